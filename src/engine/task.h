/* Tasks and plans: a customization job cut into units of provider work.
 *
 * A plan lists one task per subsection of the resume the engine tailors
 * (the summary, each skills group, each work role, project, ...), in
 * document order. Entries with more than split_over bullets (default 6)
 * are split into bullet groups, so that no task is more than about
 * max_ratio (default 2) times the median task's token estimate: a long
 * role then never sits alone on the critical path. (The embedded engine's
 * own target list, tailor/local.h, splits only over 12 bullets; a plan
 * makes its own finer targets, which tl_target's bullet ranges allow.)
 * Skills groups are never split: each is one list ordered as a whole.
 *
 * Base priority (higher runs first, the scheduler's points):
 *   summary 300, skills groups 250, the most recent role 250 (current, or
 *   latest start date, else the first), other roles 200 minus 10 per older
 *   role (at least 100), projects 100, education 80, others 60; every
 *   further bullet group of an entry 5 less than the one before.
 * Token estimate: a task's input text in bytes / 4 (about one token per
 * four bytes of English), plus TL_TASK_PROMPT_TOKENS of instructions.
 * Model tier: LARGE for the summary and work roles (writing that carries
 * the resume), SMALL for the rest (lists and short entries).
 * Requests (batch groups): alone on a provider, a job makes per model
 * tier no more requests than the original processor would (one per
 * section), its tasks spread over them largest first, each into the
 * request with the fewest tokens so far, so that the slowest request (an
 * answer is generated token by token) is as short as it can be; at most
 * max_batch tasks a request (more requests only when the tasks outnumber
 * that). The engine batches by these groups while the provider has free
 * slots, and by kind up to larger bounds while it is saturated
 * (engine/processor.h).
 *
 * A plan is plain data: it owns its tasks, borrows nothing, and is not
 * shared between threads while being built. */
#ifndef TL_ENGINE_TASK_H
#define TL_ENGINE_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "doc/resume.h"
#include "tailor/change.h"
#include "tailor/local.h"
#include "util/err.h"

#define TL_TASK_PROMPT_TOKENS 24 /* instruction overhead counted per task */
#define TL_TASK_MAX_DEPS 4
#define TL_TASK_ID_CAP 64

typedef enum tl_task_kind {
    TL_TASK_SUMMARY,
    TL_TASK_SKILLS,
    TL_TASK_WORK,
    TL_TASK_PROJECT,
    TL_TASK_EDUCATION,
    TL_TASK_OTHER,
    TL_TASK_KIND_COUNT_
} tl_task_kind;

/* "summary", "skills", "work", "project", "education", "other". */
const char *tl_task_kind_name(tl_task_kind k);

typedef enum tl_model_tier { TL_TIER_SMALL = 0, TL_TIER_LARGE = 1 } tl_model_tier;

/* "small", "large". */
const char *tl_model_tier_name(tl_model_tier t);

typedef struct tl_task {
    uint32_t id;                /* index in its plan, 0-based */
    uint64_t job_id;            /* the plan's job id */
    char label[TL_TASK_ID_CAP]; /* the target's id: "work[0].highlights[0-5]" */
    tl_task_kind kind;
    tl_target target;
    int32_t priority; /* base priority, see above */
    uint32_t tokens_est;
    tl_model_tier tier;
    /* Tasks (ids in this plan) that must complete first. None today: every
     * subsection is tailored on its own; the consistency pass joins them. */
    uint32_t deps[TL_TASK_MAX_DEPS];
    unsigned n_deps;
    unsigned attempts; /* provider attempts made so far (the engine counts) */
    /* The request the task shares with others of its job (see above): -1
     * when it goes alone, else the group's index. */
    int batch;
} tl_task;

typedef struct tl_plan_opts {
    tl_strength strength; /* 0: BALANCED (recorded, used for batch groups) */
    unsigned split_over;  /* split entries with more bullets; default 6 */
    double max_ratio;     /* group size bound vs the median task; default 2.0 */
    unsigned max_group;   /* at most this many bullets per group; 0 (default): split_over */
    unsigned max_batch;   /* default 8 */
} tl_plan_opts;

void tl_plan_opts_default(tl_plan_opts *o);

typedef struct tl_plan {
    uint64_t job_id;
    tl_strength strength;
    tl_task *tasks;
    size_t n;
    size_t n_batches; /* static batch groups (see tl_task.batch) */
} tl_plan;

/* Plans r (only read) for a job with id job_id. opts NULL: the defaults.
 * *out is the caller's (tl_plan_free). On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_plan_build(const tl_resume *r, uint64_t job_id, const tl_plan_opts *opts,
                                   tl_plan **out);
void tl_plan_free(tl_plan *p);

/* The token estimate of target t of r (as tl_plan_build computes it). */
uint32_t tl_target_tokens(const tl_resume *r, const tl_target *t);

/* The median of the plan's token estimates (0 for an empty plan). */
uint32_t tl_plan_median_tokens(const tl_plan *p);

#endif
