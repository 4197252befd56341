/* Planning: one task per subsection, the bullet-group split rule, kinds,
 * priorities, token estimates, tiers and static batch groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/resume.h"
#include "engine/task.h"

/* A resume with a summary, n_roles work roles (bullets[i] bullets each, the
 * role at `current` without an end date), a project and a skills group. */
static tl_resume *make(size_t n_roles, const size_t *bullets, int current)
{
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.summary, "Backend engineer who ships."), TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    assert_non_null(w);
    for (size_t i = 0; i < n_roles; i++) {
        tl_entry *e = tl_section_add_entry(r, w);
        assert_non_null(e);
        char buf[128];
        snprintf(buf, sizeof buf, "Engineer %zu", i);
        assert_int_equal(tl_resume_set(r, &e->title, buf), TL_OK);
        snprintf(buf, sizeof buf, "%d-01", 2010 + (int)i);
        assert_int_equal(tl_resume_set(r, &e->start_date, buf), TL_OK);
        if ((int)i != current)
            assert_int_equal(tl_resume_set(r, &e->end_date, "2024-01"), TL_OK);
        for (size_t b = 0; b < bullets[i]; b++) {
            int n = snprintf(buf, sizeof buf, "Built service number %zu for the platform team", b);
            assert_int_equal(tl_entry_add_bullet(r, e, buf, (size_t)n), TL_OK);
        }
    }
    tl_section *p = tl_resume_add_section(r, TL_SEC_PROJECTS, NULL, NULL);
    tl_entry *pe = tl_section_add_entry(r, p);
    assert_int_equal(tl_resume_set(r, &pe->title, "tool"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, pe, "A small tool", 12), TL_OK);
    tl_section *s = tl_resume_add_section(r, TL_SEC_SKILLS, NULL, NULL);
    tl_entry *se = tl_section_add_entry(r, s);
    for (int k = 0; k < 9; k++) /* a long skills list is never split */
        assert_int_equal(tl_entry_add_bullet(r, se, "Go", 2), TL_OK);
    return r;
}

static const tl_task *find(const tl_plan *p, const char *label)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->tasks[i].label, label) == 0)
            return &p->tasks[i];
    return NULL;
}

static void test_one_task_per_subsection(void **state)
{
    (void)state;
    size_t bullets[3] = {3, 2, 4};
    tl_resume *r = make(3, bullets, 2);
    tl_plan *p = NULL;
    assert_int_equal(tl_plan_build(r, 7, NULL, &p), TL_OK);
    assert_int_equal(p->n, 6); /* summary, 3 roles, project, skills */
    assert_int_equal(p->job_id, 7);
    for (size_t i = 0; i < p->n; i++) {
        assert_int_equal(p->tasks[i].id, i);
        assert_int_equal(p->tasks[i].job_id, 7);
        assert_int_equal(p->tasks[i].n_deps, 0);
        assert_int_equal(p->tasks[i].attempts, 0);
        assert_true(p->tasks[i].tokens_est > TL_TASK_PROMPT_TOKENS);
    }
    assert_int_equal(p->tasks[0].kind, TL_TASK_SUMMARY);
    assert_string_equal(p->tasks[0].label, "basics.summary");
    assert_int_equal(find(p, "work[1]")->kind, TL_TASK_WORK);
    assert_int_equal(find(p, "projects[0]")->kind, TL_TASK_PROJECT);
    assert_int_equal(find(p, "skills[0]")->kind, TL_TASK_SKILLS);
    assert_int_equal(find(p, "work[0]")->tier, TL_TIER_LARGE);
    assert_int_equal(find(p, "skills[0]")->tier, TL_TIER_SMALL);
    tl_plan_free(p);
    tl_resume_free(r);
}

/* Summary 300, skills 250, the current role 250 (wherever it is listed),
 * other roles 200 down by 10, projects 100. */
static void test_priorities(void **state)
{
    (void)state;
    size_t bullets[3] = {3, 2, 4};
    tl_resume *r = make(3, bullets, 2);
    tl_plan *p = NULL;
    assert_int_equal(tl_plan_build(r, 1, NULL, &p), TL_OK);
    assert_int_equal(find(p, "basics.summary")->priority, 300);
    assert_int_equal(find(p, "skills[0]")->priority, 250);
    assert_int_equal(find(p, "work[2]")->priority, 250);
    assert_int_equal(find(p, "work[0]")->priority, 200);
    assert_int_equal(find(p, "work[1]")->priority, 190);
    assert_int_equal(find(p, "projects[0]")->priority, 100);
    tl_plan_free(p);
    tl_resume_free(r);

    /* no current role: the latest start is the most recent */
    r = make(3, bullets, -1);
    assert_int_equal(tl_plan_build(r, 1, NULL, &p), TL_OK);
    assert_int_equal(find(p, "work[2]")->priority, 250);
    tl_plan_free(p);
    tl_resume_free(r);
}

/* Up to 6 bullets an entry stays whole; over 6 it is cut into groups of at
 * most 6 bullets, none more than twice the median task, later groups a
 * little lower in priority. */
static void test_split_rule(void **state)
{
    (void)state;
    size_t bullets[4] = {6, 7, 20, 2};
    tl_resume *r = make(4, bullets, 0);
    tl_plan *p = NULL;
    assert_int_equal(tl_plan_build(r, 1, NULL, &p), TL_OK);
    assert_non_null(find(p, "work[0]"));
    assert_null(find(p, "work[1]"));
    assert_non_null(find(p, "work[1].highlights[0-3]"));
    assert_non_null(find(p, "work[1].highlights[4-]"));
    assert_non_null(find(p, "skills[0]")); /* 9 keywords, one task */
    uint32_t median = tl_plan_median_tokens(p);
    size_t groups = 0, covered = 0;
    int32_t last_prio = 1000;
    for (size_t i = 0; i < p->n; i++) {
        const tl_task *t = &p->tasks[i];
        assert_true(t->tokens_est <= 2 * median);
        if (t->target.kind != TL_TARGET_ENTRY || t->target.section != 0 || t->target.entry != 2)
            continue;
        size_t to = t->target.bullet_to ? t->target.bullet_to : 20;
        assert_int_equal(t->target.bullet_from, covered); /* contiguous, in order */
        assert_true(to - t->target.bullet_from <= 6);
        assert_true(t->priority < last_prio);
        last_prio = t->priority;
        covered = to;
        groups++;
    }
    assert_int_equal(covered, 20);
    assert_true(groups >= 4);
    tl_plan_free(p);

    /* the embedded engine's rule, for the original processor's plan */
    tl_plan_opts o;
    tl_plan_opts_default(&o);
    o.split_over = 12;
    o.max_group = 8;
    o.max_ratio = 1e9;
    assert_int_equal(tl_plan_build(r, 1, &o, &p), TL_OK);
    assert_non_null(find(p, "work[1]"));
    tl_plan_free(p);
    tl_resume_free(r);
}

/* Small tasks of one kind and tier share static batch groups; a group of
 * one is no batch. */
/* Requests per tier (uses the batch groups of the plan): */
static size_t requests_of(const tl_plan *p, tl_model_tier tier, uint64_t *max_load,
                          unsigned *max_tasks)
{
    uint64_t load[64] = {0};
    unsigned tasks[64] = {0};
    size_t alone = 0;
    *max_load = 0;
    *max_tasks = 0;
    for (size_t i = 0; i < p->n; i++) {
        const tl_task *t = &p->tasks[i];
        if (t->tier != tier)
            continue;
        if (t->batch < 0) {
            alone++;
            if (t->tokens_est > *max_load)
                *max_load = t->tokens_est;
            if (*max_tasks < 1)
                *max_tasks = 1;
            continue;
        }
        assert_in_range(t->batch, 0, 63);
        load[t->batch] += t->tokens_est;
        tasks[t->batch]++;
    }
    size_t groups = 0;
    for (int b = 0; b < 64; b++) {
        if (!tasks[b])
            continue;
        groups++;
        if (load[b] > *max_load)
            *max_load = load[b];
        if (tasks[b] > *max_tasks)
            *max_tasks = tasks[b];
    }
    return alone + groups;
}

/* A job alone on a provider makes, per tier, as many requests as the
 * original processor (one per section), tasks spread largest first; a
 * request carries at most max_batch tasks, so more of them only when the
 * tasks outnumber that. */
static void test_batch_groups(void **state)
{
    (void)state;
    size_t bullets[4] = {1, 1, 1, 4};
    tl_resume *r = make(4, bullets, 0);
    tl_plan_opts o;
    tl_plan_opts_default(&o);
    o.max_batch = 3;
    tl_plan *p = NULL;
    assert_int_equal(tl_plan_build(r, 1, &o, &p), TL_OK);
    uint64_t max_load, total = 0, largest = 0;
    unsigned max_tasks;
    /* large: the summary and the work section, five tasks, two requests */
    assert_int_equal(requests_of(p, TL_TIER_LARGE, &max_load, &max_tasks), 2);
    assert_true(max_tasks <= 3);
    for (size_t i = 0; i < p->n; i++)
        if (p->tasks[i].tier == TL_TIER_LARGE) {
            total += p->tasks[i].tokens_est;
            if (p->tasks[i].tokens_est > largest)
                largest = p->tasks[i].tokens_est;
        }
    /* balanced: the slower request is at most half the work plus one task */
    assert_true(max_load <= total / 2 + largest);
    /* the role with four bullets (the largest task) does not share with
     * the next largest */
    const tl_task *big = find(p, "work[3]");
    assert_non_null(big);
    for (size_t i = 0; i < p->n; i++)
        if (&p->tasks[i] != big && p->tasks[i].tier == TL_TIER_LARGE &&
            p->tasks[i].tokens_est >= big->tokens_est)
            fail_msg("work[3] is not the largest task");
    /* small: projects and skills, one task each, each alone */
    assert_int_equal(requests_of(p, TL_TIER_SMALL, &max_load, &max_tasks), 2);
    assert_int_equal(find(p, "projects[0]")->batch, -1);
    tl_plan_free(p);

    /* max_batch 2: five large tasks need three requests */
    o.max_batch = 2;
    assert_int_equal(tl_plan_build(r, 1, &o, &p), TL_OK);
    assert_int_equal(requests_of(p, TL_TIER_LARGE, &max_load, &max_tasks), 3);
    assert_true(max_tasks <= 2);
    tl_plan_free(p);
    tl_resume_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tl_plan *p = NULL;
    assert_int_equal(tl_plan_build(NULL, 1, NULL, &p), TL_EINVAL);
    tl_resume *r = tl_resume_new();
    tl_plan_opts o;
    tl_plan_opts_default(&o);
    o.split_over = 0;
    assert_int_equal(tl_plan_build(r, 1, &o, &p), TL_EINVAL);
    assert_null(p);
    /* an empty resume: just the summary */
    assert_int_equal(tl_plan_build(r, 1, NULL, &p), TL_OK);
    assert_int_equal(p->n, 1);
    tl_plan_free(p);
    tl_plan_free(NULL);
    tl_resume_free(r);
    assert_string_equal(tl_task_kind_name(TL_TASK_EDUCATION), "education");
    assert_string_equal(tl_model_tier_name(TL_TIER_LARGE), "large");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_task_per_subsection),
        cmocka_unit_test(test_priorities),
        cmocka_unit_test(test_split_rule),
        cmocka_unit_test(test_batch_groups),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
