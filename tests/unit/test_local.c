/* The embedded engine, one target at a time, as a user would check it:
 * the job's spellings, the order of bullets and skills, stronger openings,
 * the composed summary, and nothing invented. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/guard.h"
#include "tailor/local.h"
#include "tailor/match.h"
#include "util/file.h"
#include "util/limits.h"

static tl_terms *terms;

static tl_resume *load_resume(const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_RESUME_BYTES, &text, &n), TL_OK);
    tl_resume *r = NULL;
    assert_int_equal(tl_resume_parse(text, n, TL_FORMAT_AUTO, &r, NULL), TL_OK);
    free(text);
    return r;
}

static tl_job *load_job(const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n), TL_OK);
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(text, n, terms, &j, NULL), TL_OK);
    free(text);
    return j;
}

/* Tailors every target of a clone of r; the caller frees both outputs. */
static tl_resume *tailor(const tl_resume *r, const tl_job *j, tl_strength s, tl_changes **ch)
{
    tl_local_ctx *ctx = NULL;
    assert_int_equal(tl_local_ctx_create(r, j, terms, s, &ctx), TL_OK);
    tl_resume *out = NULL;
    assert_int_equal(tl_resume_clone(r, &out), TL_OK);
    tl_target *t = NULL;
    size_t n = 0;
    assert_int_equal(tl_local_targets(r, &t, &n), TL_OK);
    *ch = tl_changes_new();
    assert_non_null(*ch);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tl_local_tailor(ctx, &t[i], out, *ch), TL_OK);
    free(t);
    tl_local_ctx_free(ctx);
    return out;
}

static const tl_change *find_change(const tl_changes *ch, tl_change_kind kind, const char *id,
                                    const char *reason_part)
{
    for (size_t i = 0; i < ch->n; i++) {
        const tl_change *c = &ch->items[i];
        if (c->kind == kind && (!id || strcmp(c->id, id) == 0) &&
            (!reason_part || (c->reason && strstr(c->reason, reason_part))))
            return c;
    }
    return NULL;
}

static int bullet_index(const tl_entry *e, const char *prefix)
{
    for (size_t i = 0; i < e->n_bullets; i++)
        if (strncmp(e->bullets[i], prefix, strlen(prefix)) == 0)
            return (int)i;
    return -1;
}

/* ---- targets ---- */

static void test_targets(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_target *t = NULL;
    size_t n = 0;
    assert_int_equal(tl_local_targets(r, &t, &n), TL_OK);
    /* The summary, 3 roles, 1 project, 3 skills groups; not education,
     * languages or certificates. */
    assert_int_equal(n, 8);
    char id[64];
    tl_target_id(r, &t[0], id, sizeof id);
    assert_int_equal(t[0].kind, TL_TARGET_SUMMARY);
    assert_string_equal(id, "basics.summary");
    tl_target_id(r, &t[1], id, sizeof id);
    assert_string_equal(id, "work[0]");
    tl_target_id(r, &t[7], id, sizeof id);
    assert_string_equal(id, "skills[2]");
    free(t);

    /* A long entry is split into bullet groups. */
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    tl_entry *e = &w->entries[2];
    for (int i = 0; i < 17; i++) {
        char b[32];
        snprintf(b, sizeof b, "Bullet %d", i);
        assert_int_equal(tl_entry_add_bullet(r, e, b, strlen(b)), TL_OK);
    }
    assert_int_equal(e->n_bullets, 20);
    assert_int_equal(tl_local_targets(r, &t, &n), TL_OK);
    assert_int_equal(n, 10);
    assert_int_equal(t[3].entry, 2);
    assert_int_equal(t[3].bullet_from, 0);
    assert_int_equal(t[3].bullet_to, 8);
    assert_int_equal(t[5].bullet_from, 16);
    assert_int_equal(t[5].bullet_to, 0);
    tl_target_id(r, &t[4], id, sizeof id);
    assert_string_equal(id, "work[2].highlights[8-15]");
    free(t);
    tl_resume_free(r);
}

/* ---- CONSERVATIVE ---- */

static void test_job_spelling_and_order(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_CONSERVATIVE, &ch);
    const tl_entry *w0 = &tl_resume_find_section(out, TL_SEC_WORK)->entries[0];

    /* golang -> Go, k8s -> Kubernetes, postgres -> PostgreSQL, kafka -> Kafka. */
    int ledger = bullet_index(w0, "Led the redesign of the ledger service in Go,");
    assert_true(ledger >= 0);
    assert_true(bullet_index(w0, "Built an event pipeline on Kafka and PostgreSQL ") >= 0);
    assert_true(bullet_index(w0, "Introduced Kubernetes autoscaling") >= 0);
    for (size_t i = 0; i < w0->n_bullets; i++)
        assert_null(strstr(w0->bullets[i], "golang"));
    assert_non_null(find_change(ch, TL_CHANGE_TERM, NULL, "golang as Go"));
    assert_non_null(find_change(ch, TL_CHANGE_TERM, NULL, "k8s as Kubernetes"));

    /* The Kafka/PostgreSQL bullet (two requirements) moves up, and says why. */
    int kafka = bullet_index(w0, "Built an event pipeline");
    assert_true(kafka < 1);
    char id[64];
    snprintf(id, sizeof id, "work[0].highlights[%d]", kafka);
    const tl_change *c = find_change(ch, TL_CHANGE_REORDER, id, "moved up");
    assert_non_null(c);
    assert_non_null(strstr(c->reason, "Kafka"));
    assert_non_null(strstr(c->reason, "requirement"));
    assert_true(kafka < ledger);

    /* Skills lists keep their order at this strength. */
    const tl_section *so = tl_resume_find_section(r, TL_SEC_SKILLS);
    const tl_section *st = tl_resume_find_section(out, TL_SEC_SKILLS);
    for (size_t g = 0; g < so->n_entries; g++)
        for (size_t k = 0; k < so->entries[g].n_bullets; k++)
            assert_string_equal(so->entries[g].bullets[k], st->entries[g].bullets[k]);
    assert_null(find_change(ch, TL_CHANGE_REWRITE, NULL, NULL));
    assert_null(find_change(ch, TL_CHANGE_SUMMARY, NULL, NULL));
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

/* The words of a text, each dictionary term replaced by its id, sorted:
 * two texts that differ only in term spellings (and order) compare equal. */
typedef struct words {
    char w[512][40];
    size_t n;
} words;

static void add_words(const tl_matcher *m, const char *s, words *out)
{
    tl_text_match *tm = malloc(sizeof *tm);
    assert_non_null(tm);
    tl_matcher_terms_only(m, s, strlen(s), tm);
    size_t pos = 0, n = strlen(s), t = 0;
    tl_word w;
    while (tl_next_word(s, n, &pos, &w)) {
        while (t < tm->n_terms && tm->terms[t].start + tm->terms[t].len <= w.start)
            t++;
        assert_true(out->n < 512);
        if (t < tm->n_terms && w.start >= tm->terms[t].start) {
            if (w.start == tm->terms[t].start)
                snprintf(out->w[out->n++], 40, "#%d", tm->terms[t].id);
            continue;
        }
        size_t k = 0;
        for (; k < w.len && k < 39; k++)
            out->w[out->n][k] = (char)tolower((unsigned char)s[w.start + k]);
        out->w[out->n++][k] = '\0';
    }
    free(tm);
}

static int cmp_word(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void entry_words(const tl_matcher *m, const tl_entry *e, words *out)
{
    out->n = 0;
    if (e->summary)
        add_words(m, e->summary, out);
    for (size_t i = 0; i < e->n_bullets; i++)
        add_words(m, e->bullets[i], out);
    qsort(out->w, out->n, sizeof out->w[0], cmp_word);
}

static void check_only_spellings(const char *resume, const char *job)
{
    tl_resume *r = load_resume(resume);
    tl_job *j = load_job(job);
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_CONSERVATIVE, &ch);
    tl_matcher *m = NULL;
    assert_int_equal(tl_matcher_create(NULL, terms, &m), TL_OK);
    words *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(r->basics.summary ? r->basics.summary : "",
                        out->basics.summary ? out->basics.summary : "");
    for (size_t s = 0; s < r->n_sections; s++) {
        for (size_t i = 0; i < r->sections[s].n_entries; i++) {
            const tl_entry *eo = &r->sections[s].entries[i], *et = &out->sections[s].entries[i];
            assert_int_equal(eo->n_bullets, et->n_bullets);
            entry_words(m, eo, a);
            entry_words(m, et, b);
            assert_int_equal(a->n, b->n);
            for (size_t k = 0; k < a->n; k++)
                assert_string_equal(a->w[k], b->w[k]);
        }
    }
    for (size_t i = 0; i < ch->n; i++)
        assert_true(ch->items[i].kind == TL_CHANGE_TERM || ch->items[i].kind == TL_CHANGE_REORDER);
    free(a);
    free(b);
    tl_matcher_free(m);
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_conservative_changes_only_spellings(void **state)
{
    (void)state;
    check_only_spellings("alex-chen.json", "senior-backend-engineer.txt");
    check_only_spellings("maria-lopez.md", "analytics-engineer.txt");
    check_only_spellings("sam-okafor.txt", "icu-registered-nurse.txt");
    check_only_spellings("alex-chen.json", "product-marketing-manager.txt");
}

/* ---- BALANCED ---- */

static void test_balanced_skills_and_long_entries(void **state)
{
    (void)state;
    tl_resume *r = load_resume("maria-lopez.md");
    tl_job *j = load_job("analytics-engineer.txt");
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_BALANCED, &ch);
    /* "SQL, Python (...), R, Excel, A/B testing, regression, forecasting":
     * the job's skills first, each group keeping its own order. */
    const tl_entry *g = &tl_resume_find_section(out, TL_SEC_SKILLS)->entries[0];
    assert_int_equal(g->n_bullets, 7);
    assert_string_equal(g->bullets[0], "SQL");
    assert_true(strncmp(g->bullets[1], "Python", 6) == 0);
    assert_string_equal(g->bullets[2], "A/B testing");
    assert_string_equal(g->bullets[3], "forecasting");
    assert_string_equal(g->bullets[4], "R");
    assert_string_equal(g->bullets[5], "Excel");
    assert_string_equal(g->bullets[6], "regression");
    assert_non_null(find_change(ch, TL_CHANGE_REORDER, "skills[0].keywords[2]", "moved up"));
    /* The dbt/Snowflake bullet leads the current role. */
    const tl_entry *w0 = &tl_resume_find_section(out, TL_SEC_WORK)->entries[0];
    assert_non_null(strstr(w0->bullets[0], "Snowflake"));
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);

    /* alex: the Cartwheel role has 5 bullets; the two that mention nothing
     * the job asks for go to the end, with a reason. */
    r = load_resume("alex-chen.json");
    j = load_job("senior-backend-engineer.txt");
    out = tailor(r, j, TL_STRENGTH_BALANCED, &ch);
    const tl_entry *w1 = &tl_resume_find_section(out, TL_SEC_WORK)->entries[1];
    assert_int_equal(w1->n_bullets, 5);
    assert_true(bullet_index(w1, "Built a React dashboard") >= 3);
    assert_true(bullet_index(w1, "Optimised PostgreSQL queries") == 0);
    assert_non_null(find_change(ch, TL_CHANGE_REORDER, NULL, "mentions nothing the job asks for"));
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_balanced_summary_order(void **state)
{
    (void)state;
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.summary,
                                   "Enjoys hiking and board games. Built payment services in "
                                   "golang on kafka for 6 years."),
                     TL_OK);
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_BALANCED, &ch);
    assert_string_equal(out->basics.summary, "Built payment services in Go on Kafka for 6 years. "
                                             "Enjoys hiking and board games.");
    const tl_change *c = find_change(ch, TL_CHANGE_SUMMARY, "basics.summary", "leads with");
    assert_non_null(c);
    assert_non_null(strstr(c->reason, "Go"));
    tl_changes_free(ch);
    tl_resume_free(out);

    /* CONSERVATIVE respells but keeps the order. */
    out = tailor(r, j, TL_STRENGTH_CONSERVATIVE, &ch);
    assert_string_equal(out->basics.summary, "Enjoys hiking and board games. Built payment "
                                             "services in Go on Kafka for 6 years.");
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_resume_free(r);
    tl_job_free(j);
}

/* ---- EXTENSIVE ---- */

/* A current role and a past one, with weak openings. */
static tl_resume *weak_resume(void)
{
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Jo Rivera"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.label, "Engineer with 8 years in payments"),
                     TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    assert_non_null(w);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Platform Engineer"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "Acme Corp"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, "2022-01"), TL_OK);
    static const char *const now[] = {"Worked on the checkout service in golang",
                                      "Responsible for managing a team of 5 engineers"};
    for (int i = 0; i < 2; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, now[i], strlen(now[i])), TL_OK);
    w = tl_resume_find_section(r, TL_SEC_WORK);
    e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Software Engineer"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "Widgets Ltd"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, "2018-01"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->end_date, "2021-12"), TL_OK);
    static const char *const past[] = {
        "Responsible for the billing system on postgres", "Helped with onboarding new hires",
        "Participated in design reviews", "Shipped the kafka consumer rewrite"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, past[i], strlen(past[i])), TL_OK);
    tl_section *sk = tl_resume_add_section(r, TL_SEC_SKILLS, NULL, NULL);
    tl_entry *g = tl_section_add_entry(r, sk);
    assert_int_equal(tl_resume_set(r, &g->title, "Tools"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, g, "Kubernetes", 10), TL_OK);
    return r;
}

static bool starts_weak(const char *s)
{
    static const char *const weak[] = {"Responsible for", "Worked on",   "Helped",     "Assisted",
                                       "Participated in", "Involved in", "Tasked with"};
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++)
        if (strncmp(s, weak[i], strlen(weak[i])) == 0)
            return true;
    return false;
}

static void test_extensive_openings(void **state)
{
    (void)state;
    tl_resume *r = weak_resume();
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_EXTENSIVE, &ch);
    const tl_section *w = tl_resume_find_section(out, TL_SEC_WORK);
    for (size_t i = 0; i < w->n_entries; i++)
        for (size_t b = 0; b < w->entries[i].n_bullets; b++)
            assert_false(starts_weak(w->entries[i].bullets[b]));
    /* Current role: present tense; past role: past tense. */
    const tl_entry *cur = &w->entries[0], *old = &w->entries[1];
    assert_true(bullet_index(cur, "Develop the checkout service in Go") >= 0);
    assert_true(bullet_index(cur, "Manage a team of 5 engineers") >= 0);
    assert_true(bullet_index(old, "Built the billing system on PostgreSQL") >= 0);
    assert_true(bullet_index(old, "Contributed to onboarding new hires") >= 0);
    assert_true(bullet_index(old, "Contributed to design reviews") >= 0);
    assert_true(bullet_index(old, "Shipped the Kafka consumer rewrite") >= 0);
    const tl_change *c = find_change(ch, TL_CHANGE_REWRITE, NULL, "\"Responsible for\" became");
    assert_non_null(c);
    assert_non_null(c->before);
    assert_true(strncmp(c->before, "Responsible for", 15) == 0);

    /* The summary opens with a sentence made of what the resume says: the
     * current title, the label's "8 years", the job's skills it shows. */
    assert_non_null(out->basics.summary);
    assert_true(
        strncmp(out->basics.summary, "Platform Engineer with 8 years of experience in ", 48) == 0);
    assert_non_null(strstr(out->basics.summary, "Go"));
    assert_non_null(strstr(out->basics.summary, "Kafka"));
    assert_non_null(find_change(ch, TL_CHANGE_SUMMARY, "basics.summary", "composed"));

    /* And the whole result states nothing the original does not. */
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(r, j, terms, &g), TL_OK);
    tl_guard_finding f;
    tl_err e = tl_guard_check_resume(g, out, &f);
    if (e)
        fail_msg("guard: %s \"%s\" at %s", tl_fact_kind_name(f.kind), f.text, f.id);
    tl_guard_free(g);
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

/* A summary that does not open with the role gets a composed opening. */
static void test_extensive_summary_composed_opening(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    assert_int_equal(tl_resume_set(r, &r->basics.summary,
                                   "Comfortable across the stack, with a focus on reliability."),
                     TL_OK);
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_EXTENSIVE, &ch);
    const char *s = out->basics.summary;
    assert_true(strncmp(s, "Senior Software Engineer with experience in Go", 46) == 0);
    assert_non_null(strstr(s, "Comfortable across the stack, with a focus on reliability."));
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_extensive_summary_of_fixtures(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_changes *ch = NULL;
    tl_resume *out = tailor(r, j, TL_STRENGTH_EXTENSIVE, &ch);
    const char *s = out->basics.summary;
    /* The summary already opens with the role ("Software engineer with 8
     * years..."), so it keeps that opening and the job's skills it has come
     * second, instead of naming the role twice. */
    assert_true(strncmp(s, "Software engineer with 8 years of experience building backend "
                           "services and data pipelines. Skilled in Go",
                        104) == 0);
    assert_non_null(strstr(s, "Kafka"));
    assert_null(strstr(s, "Senior Software Engineer with"));
    /* The rest of the original summary follows, whole. */
    assert_non_null(strstr(s, "Comfortable across the stack, with a focus on reliability"));
    /* "8 years" is said once: the summary already says it. */
    assert_ptr_equal(strstr(s, "8 years"), strrchr(s, '8'));
    tl_changes_free(ch);
    tl_resume_free(out);
    tl_job_free(j);
    tl_resume_free(r);
}

/* ---- nothing invented ---- */

typedef struct numbers {
    char v[256][24];
    size_t n;
} numbers;

static bool collect_numbers(void *ud, const tl_text_ref *ref)
{
    numbers *nb = ud;
    const char *s = ref->text;
    for (size_t i = 0; s[i];) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t k = 0;
        while (isdigit((unsigned char)s[i]) && k < 23)
            nb->v[nb->n][k++] = s[i++];
        nb->v[nb->n][k] = '\0';
        if (nb->n < 255)
            nb->n++;
    }
    return true;
}

static bool has_number(const numbers *nb, const char *v)
{
    for (size_t i = 0; i < nb->n; i++)
        if (strcmp(nb->v[i], v) == 0)
            return true;
    return false;
}

static void test_nothing_invented(void **state)
{
    (void)state;
    static const char *const resumes[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
    static const char *const jobs[] = {"senior-backend-engineer.txt", "analytics-engineer.txt",
                                       "icu-registered-nurse.txt", "product-marketing-manager.txt"};
    numbers *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    assert_non_null(before);
    assert_non_null(after);
    for (size_t a = 0; a < 3; a++) {
        tl_resume *r = load_resume(resumes[a]);
        before->n = 0;
        tl_resume_texts(r, collect_numbers, before);
        for (size_t b = 0; b < 4; b++) {
            tl_job *j = load_job(jobs[b]);
            for (int s = TL_STRENGTH_CONSERVATIVE; s <= TL_STRENGTH_EXTENSIVE; s++) {
                tl_changes *ch = NULL;
                tl_resume *out = tailor(r, j, (tl_strength)s, &ch);
                after->n = 0;
                tl_resume_texts(out, collect_numbers, after);
                for (size_t i = 0; i < after->n; i++)
                    if (!has_number(before, after->v[i]))
                        fail_msg("%s x %s (%d): %s is new", resumes[a], jobs[b], s, after->v[i]);
                /* Same employers, titles and dates, entry by entry. */
                for (size_t k = 0; k < r->n_sections; k++)
                    for (size_t e = 0; e < r->sections[k].n_entries; e++) {
                        const tl_entry *x = &r->sections[k].entries[e];
                        const tl_entry *y = &out->sections[k].entries[e];
                        assert_ptr_equal(!x->org, !y->org);
                        if (x->org)
                            assert_string_equal(x->org, y->org);
                        if (x->title)
                            assert_string_equal(x->title, y->title);
                        if (x->start_date)
                            assert_string_equal(x->start_date, y->start_date);
                        assert_int_equal(x->n_bullets, y->n_bullets);
                    }
                tl_changes_free(ch);
                tl_resume_free(out);
            }
            tl_job_free(j);
        }
        tl_resume_free(r);
    }
    free(before);
    free(after);
}

/* ---- verbs (shared with the consistency pass) ---- */

static void test_verbs(void **state)
{
    (void)state;
    tl_verb_form f;
    char out[32];
    int v = tl_verb_find("Built", 5, &f);
    assert_true(v >= 0);
    assert_int_equal(f, TL_VERB_PAST);
    assert_int_equal(tl_verb_spell(v, TL_VERB_BASE, true, out, sizeof out), 5);
    assert_string_equal(out, "Build");
    v = tl_verb_find("managing", 8, &f);
    assert_int_equal(f, TL_VERB_GERUND);
    tl_verb_spell(v, TL_VERB_PAST, false, out, sizeof out);
    assert_string_equal(out, "managed");
    v = tl_verb_find("planning", 8, &f);
    assert_int_equal(f, TL_VERB_GERUND);
    tl_verb_spell(v, TL_VERB_PAST, false, out, sizeof out);
    assert_string_equal(out, "planned");
    v = tl_verb_find("Led", 3, &f);
    tl_verb_spell(v, TL_VERB_BASE, true, out, sizeof out);
    assert_string_equal(out, "Lead");
    v = tl_verb_find("cut", 3, &f);
    assert_int_equal(f, TL_VERB_BASE); /* base wins over the same-looking past */
    v = tl_verb_find("applies", 7, &f);
    assert_int_equal(f, TL_VERB_THIRD);
    tl_verb_spell(v, TL_VERB_PAST, false, out, sizeof out);
    assert_string_equal(out, "applied");
    assert_int_equal(tl_verb_find("Member", 6, NULL), -1);
    assert_int_equal(tl_verb_find("", 0, NULL), -1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_local_ctx *ctx = NULL;
    assert_int_equal(tl_local_ctx_create(NULL, j, terms, 0, &ctx), TL_EINVAL);
    assert_int_equal(tl_local_ctx_create(r, j, terms, (tl_strength)7, &ctx), TL_EINVAL);
    assert_null(ctx);
    assert_int_equal(tl_local_ctx_create(r, j, terms, 0, &ctx), TL_OK);
    tl_resume *out = NULL;
    assert_int_equal(tl_resume_clone(r, &out), TL_OK);
    tl_target t = {TL_TARGET_ENTRY, 99, 0, 0, 0};
    assert_int_equal(tl_local_tailor(ctx, &t, out, NULL), TL_EINVAL);
    t = (tl_target){TL_TARGET_ENTRY, 0, 0, 4, 2};
    assert_int_equal(tl_local_tailor(ctx, &t, out, NULL), TL_EINVAL);
    t = (tl_target){TL_TARGET_ENTRY, 0, 0, 0, 0};
    assert_int_equal(tl_local_tailor(ctx, &t, out, NULL), TL_OK); /* changes may be NULL */
    tl_resume_free(out);
    tl_local_ctx_free(ctx);
    tl_local_ctx_free(NULL);
    tl_job_free(j);
    tl_resume_free(r);
}

static int setup(void **state)
{
    (void)state;
    return tl_terms_load_default(&terms) == TL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tl_terms_free(terms);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_job_spelling_and_order),
        cmocka_unit_test(test_conservative_changes_only_spellings),
        cmocka_unit_test(test_balanced_skills_and_long_entries),
        cmocka_unit_test(test_balanced_summary_order),
        cmocka_unit_test(test_extensive_openings),
        cmocka_unit_test(test_extensive_summary_of_fixtures),
        cmocka_unit_test(test_extensive_summary_composed_opening),
        cmocka_unit_test(test_nothing_invented),
        cmocka_unit_test(test_verbs),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
