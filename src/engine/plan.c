/* Planning: a resume's subsections into tasks (see task.h for the rules). */
#include "engine/task.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "tailor/match.h"

#define P_SUMMARY 300
#define P_SKILLS 250
#define P_RECENT 250
#define P_ROLE 200
#define P_ROLE_STEP 10
#define P_ROLE_MIN 100
#define P_PROJECT 100
#define P_EDUCATION 80
#define P_OTHER 60
#define P_GROUP_STEP 5

const char *tl_task_kind_name(tl_task_kind k)
{
    static const char *const names[] = {"summary", "skills",    "work",
                                        "project", "education", "other"};
    return (unsigned)k < TL_TASK_KIND_COUNT_ ? names[k] : "other";
}

const char *tl_model_tier_name(tl_model_tier t)
{
    return t == TL_TIER_LARGE ? "large" : "small";
}

void tl_plan_opts_default(tl_plan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->strength = TL_STRENGTH_BALANCED;
    o->split_over = 6;
    o->max_ratio = 2.0;
    o->max_group = 0; /* split_over */
    o->max_batch = 8;
}

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

uint32_t tl_target_tokens(const tl_resume *r, const tl_target *t)
{
    size_t bytes = 0;
    if (t->kind == TL_TARGET_SUMMARY) {
        bytes = slen(r->basics.summary) + slen(r->basics.label);
    } else if (t->section < r->n_sections && t->entry < r->sections[t->section].n_entries) {
        const tl_entry *e = &r->sections[t->section].entries[t->entry];
        bytes = slen(e->title) + slen(e->org);
        if (t->bullet_from == 0)
            bytes += slen(e->summary);
        for (size_t b = t->bullet_from; b < tl_target_bullet_end(t, e); b++)
            bytes += slen(e->bullets[b]) + 1;
    }
    return (uint32_t)((bytes + 3) / 4 + TL_TASK_PROMPT_TOKENS);
}

static tl_task_kind kind_of(const tl_resume *r, const tl_target *t)
{
    if (t->kind == TL_TARGET_SUMMARY)
        return TL_TASK_SUMMARY;
    switch (r->sections[t->section].kind) {
    case TL_SEC_SKILLS: return TL_TASK_SKILLS;
    case TL_SEC_WORK:
    case TL_SEC_VOLUNTEER: return TL_TASK_WORK;
    case TL_SEC_PROJECTS: return TL_TASK_PROJECT;
    case TL_SEC_EDUCATION: return TL_TASK_EDUCATION;
    default: return TL_TASK_OTHER;
    }
}

/* Months since year 0 of an entry's start date, or -1. */
static long start_months(const tl_entry *e)
{
    tl_date d;
    if (!e->start_date || !tl_date_parse(e->start_date, strlen(e->start_date), &d))
        return -1;
    return (long)d.year * 12 + d.month;
}

/* The entry index of the most recent role in the first work section: the
 * current one, else the latest start, else the first; -1 with no work. */
static long most_recent_role(const tl_resume *r, size_t *section)
{
    const tl_section *s = tl_resume_find_section(r, TL_SEC_WORK);
    if (!s || s->n_entries == 0)
        return -1;
    *section = (size_t)(s - r->sections);
    long best = 0, best_start = -2;
    for (size_t i = 0; i < s->n_entries; i++) {
        if (tl_entry_is_current(&s->entries[i]))
            return (long)i;
        long m = start_months(&s->entries[i]);
        if (m > best_start) {
            best_start = m;
            best = (long)i;
        }
    }
    return best;
}

/* Whole-entry units: the embedded engine's targets with its own bullet
 * groups merged back, so that the plan can cut them its own way. */
static tl_err whole_units(const tl_resume *r, tl_target **out, size_t *n_out)
{
    tl_target *t = NULL;
    size_t n = 0;
    tl_err e = tl_local_targets(r, &t, &n);
    if (e)
        return e;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        tl_target u = t[i];
        if (w > 0 && u.kind == TL_TARGET_ENTRY && t[w - 1].kind == TL_TARGET_ENTRY &&
            t[w - 1].section == u.section && t[w - 1].entry == u.entry)
            continue; /* a further group of the entry just kept */
        u.bullet_from = u.bullet_to = 0;
        t[w++] = u;
    }
    *out = t;
    *n_out = w;
    return TL_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t median_of(const uint32_t *v, size_t n)
{
    uint32_t *c = tl__malloc(n * sizeof *c);
    if (!c)
        return v[0];
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_u32);
    uint32_t m = c[n / 2];
    tl__free(c);
    return m;
}

/* Group count for an entry of nb bullets so that each group holds at most
 * max_group bullets and at most cap tokens (as far as single bullets allow). */
static size_t group_count(const tl_resume *r, tl_target whole, size_t nb, unsigned max_group,
                          double cap)
{
    size_t g = (nb + max_group - 1) / max_group;
    for (; g < nb; g++) {
        uint32_t worst = 0;
        size_t from = 0;
        for (size_t k = 0; k < g; k++) {
            size_t size = nb / g + (k < nb % g);
            tl_target t = whole;
            t.bullet_from = from;
            t.bullet_to = from + size;
            uint32_t tok = tl_target_tokens(r, &t);
            worst = tok > worst ? tok : worst;
            from += size;
        }
        if ((double)worst <= cap)
            break;
    }
    return g ? g : 1;
}

static void fill_task(const tl_resume *r, tl_task *k, tl_target t, uint64_t job_id, size_t idx)
{
    memset(k, 0, sizeof *k);
    k->id = (uint32_t)idx;
    k->job_id = job_id;
    k->target = t;
    k->kind = kind_of(r, &t);
    k->tokens_est = tl_target_tokens(r, &t);
    k->tier = k->kind == TL_TASK_SUMMARY || k->kind == TL_TASK_WORK ? TL_TIER_LARGE : TL_TIER_SMALL;
    k->batch = -1;
    tl_target_id(r, &t, k->label, sizeof k->label);
}

static int32_t base_priority(const tl_task *k, long recent, size_t recent_sec, int *role_rank)
{
    switch (k->kind) {
    case TL_TASK_SUMMARY: return P_SUMMARY;
    case TL_TASK_SKILLS: return P_SKILLS;
    case TL_TASK_WORK: {
        if (recent >= 0 && k->target.section == recent_sec && (long)k->target.entry == recent)
            return P_RECENT;
        int32_t p = P_ROLE - P_ROLE_STEP * (*role_rank)++;
        return p < P_ROLE_MIN ? P_ROLE_MIN : p;
    }
    case TL_TASK_PROJECT: return P_PROJECT;
    case TL_TASK_EDUCATION: return P_EDUCATION;
    default: return P_OTHER;
    }
}

/* Expands each unit into its tasks (one, or one per bullet group). */
static tl_err expand(const tl_resume *r, const tl_target *units, size_t n_units,
                     const tl_plan_opts *o, double cap, tl_plan *p)
{
    size_t max_tasks = 0;
    for (size_t i = 0; i < n_units; i++) {
        const tl_target *u = &units[i];
        max_tasks += u->kind == TL_TARGET_ENTRY
                         ? r->sections[u->section].entries[u->entry].n_bullets + 1
                         : 1;
    }
    p->tasks = tl__calloc(max_tasks ? max_tasks : 1, sizeof *p->tasks);
    if (!p->tasks)
        return TL_ENOMEM;
    size_t recent_sec = 0;
    long recent = most_recent_role(r, &recent_sec);
    int role_rank = 0;
    for (size_t i = 0; i < n_units; i++) {
        tl_target u = units[i];
        size_t nb =
            u.kind == TL_TARGET_ENTRY ? r->sections[u.section].entries[u.entry].n_bullets : 0;
        /* A skills group is one ordered list ("the job's skills first"):
         * cutting it would order each piece on its own. */
        bool list = u.kind == TL_TARGET_ENTRY && r->sections[u.section].kind == TL_SEC_SKILLS;
        size_t groups = nb > o->split_over && !list ? group_count(r, u, nb, o->max_group, cap) : 1;
        int32_t prio = 0;
        for (size_t k = 0, from = 0; k < groups; k++) {
            tl_target t = u;
            if (groups > 1) {
                size_t size = nb / groups + (k < nb % groups);
                t.bullet_from = from;
                t.bullet_to = k + 1 == groups ? 0 : from + size;
                from += size;
            }
            tl_task *task = &p->tasks[p->n];
            fill_task(r, task, t, p->job_id, p->n);
            if (k == 0)
                prio = base_priority(task, recent, recent_sec, &role_rank);
            task->priority = prio - (int32_t)k * P_GROUP_STEP;
            p->n++;
        }
    }
    return TL_OK;
}

/* The section a task belongs to, as the original processor counts its
 * requests (one per section; the basics summary is one). */
static size_t section_of(const tl_task *t)
{
    return t->target.kind == TL_TARGET_ENTRY ? t->target.section + 1 : 0;
}

/* How many requests the original processor makes for the tasks of one
 * tier: one per section. */
static size_t sections_in_tier(const tl_plan *p, tl_model_tier tier)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->tasks[i].tier != tier)
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = p->tasks[k].tier == tier && section_of(&p->tasks[k]) == section_of(&p->tasks[i]);
        n += !seen;
    }
    return n;
}

/* Longest processing time first: tasks by estimate, largest first, each
 * into the request with the fewest tokens so far (that still has room for
 * max_batch tasks). Keeps the largest request, which answers last, small. */
static void pack_tier(tl_plan *p, tl_model_tier tier, size_t bins, unsigned max_batch,
                      size_t *order, uint64_t *load, unsigned *count, int first_bin)
{
    size_t m = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->tasks[i].tier == tier)
            order[m++] = i;
    if (bins * max_batch < m) /* more tasks than the requests can carry */
        bins = (m + max_batch - 1) / max_batch;
    for (size_t i = 1; i < m; i++) /* insertion sort, stable: plans are small */
        for (size_t j = i;
             j > 0 && p->tasks[order[j]].tokens_est > p->tasks[order[j - 1]].tokens_est; j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    memset(load, 0, bins * sizeof *load);
    memset(count, 0, bins * sizeof *count);
    for (size_t i = 0; i < m; i++) {
        size_t best = SIZE_MAX;
        for (size_t b = 0; b < bins; b++)
            if (count[b] < max_batch && (best == SIZE_MAX || load[b] < load[best]))
                best = b;
        load[best] += p->tasks[order[i]].tokens_est;
        count[best]++;
        p->tasks[order[i]].batch = first_bin + (int)best;
    }
}

/* The requests of a job alone on a provider (tl_task.batch): per model
 * tier, no more requests than the original processor makes (one per
 * section), the tasks spread over them by token estimate so that the
 * slowest request is as short as it can be. A request of one task is no
 * batch (-1); the others are numbered from 0. */
static tl_err assign_batches(tl_plan *p, const tl_plan_opts *o)
{
    size_t cap = p->n ? p->n : 1;
    size_t *order = tl__malloc(cap * sizeof *order);
    uint64_t *load = tl__malloc(cap * sizeof *load);
    unsigned *count = tl__malloc(cap * sizeof *count);
    int *members = tl__calloc(2 * cap, sizeof *members);
    tl_err e = TL_ENOMEM;
    if (!order || !load || !count || !members)
        goto out;
    int next = 0;
    static const tl_model_tier tiers[] = {TL_TIER_SMALL, TL_TIER_LARGE};
    for (size_t k = 0; k < sizeof tiers / sizeof tiers[0]; k++) {
        size_t bins = sections_in_tier(p, tiers[k]);
        if (!bins)
            continue;
        pack_tier(p, tiers[k], bins, o->max_batch, order, load, count, next);
        for (size_t i = 0; i < p->n; i++)
            if (p->tasks[i].tier == tiers[k] && p->tasks[i].batch >= next)
                next = p->tasks[i].batch + 1;
    }
    for (size_t i = 0; i < p->n; i++)
        members[p->tasks[i].batch]++;
    int *renum = members + cap; /* a group of one is no batch */
    int n_batches = 0;
    for (int b = 0; b < next; b++)
        renum[b] = members[b] > 1 ? n_batches++ : -1;
    for (size_t i = 0; i < p->n; i++)
        p->tasks[i].batch = renum[p->tasks[i].batch];
    p->n_batches = (size_t)n_batches;
    e = TL_OK;
out:
    tl__free(order);
    tl__free(load);
    tl__free(count);
    tl__free(members);
    return e;
}

static tl_err check_opts(const tl_plan_opts *o)
{
    if (o->split_over < 1 || o->max_ratio < 1.0 || o->max_batch < 1)
        return TL_EINVAL;
    return TL_OK;
}

tl_err tl_plan_build(const tl_resume *r, uint64_t job_id, const tl_plan_opts *opts, tl_plan **out)
{
    tl_plan_opts o;
    if (opts)
        o = *opts;
    else
        tl_plan_opts_default(&o);
    if (!o.strength)
        o.strength = TL_STRENGTH_BALANCED;
    if (!o.max_group)
        o.max_group = o.split_over;
    if (!r || !out || check_opts(&o))
        return TL_EINVAL;
    tl_target *units = NULL;
    size_t n_units = 0;
    uint32_t *est = NULL;
    tl_plan *p = tl__calloc(1, sizeof *p);
    tl_err e = TL_ENOMEM;
    if (!p)
        return TL_ENOMEM;
    p->job_id = job_id;
    p->strength = o.strength;
    if ((e = whole_units(r, &units, &n_units)) != TL_OK)
        goto fail;
    e = TL_ENOMEM;
    if (n_units && !(est = tl__malloc(n_units * sizeof *est)))
        goto fail;
    for (size_t i = 0; i < n_units; i++)
        est[i] = tl_target_tokens(r, &units[i]);
    double cap = n_units ? o.max_ratio * median_of(est, n_units) : 0;
    if ((e = expand(r, units, n_units, &o, cap, p)) != TL_OK ||
        (e = assign_batches(p, &o)) != TL_OK)
        goto fail;
    free(units); /* from tl_local_targets: plain malloc */
    tl__free(est);
    *out = p;
    return TL_OK;
fail:
    free(units);
    tl__free(est);
    tl_plan_free(p);
    return e;
}

void tl_plan_free(tl_plan *p)
{
    if (!p)
        return;
    tl__free(p->tasks);
    tl__free(p);
}

uint32_t tl_plan_median_tokens(const tl_plan *p)
{
    if (!p || p->n == 0)
        return 0;
    uint32_t *v = tl__malloc(p->n * sizeof *v);
    if (!v)
        return p->tasks[0].tokens_est;
    for (size_t i = 0; i < p->n; i++)
        v[i] = p->tasks[i].tokens_est;
    uint32_t m = median_of(v, p->n);
    tl__free(v);
    return m;
}
