/* Prompts: tasks (subsections of a resume) into chat requests, and answers
 * back into tailored subsections.
 *
 * One template for a single subsection and one for a batch, whose answer is
 * a JSON array keyed by task id. TL_PROMPT_VERSION is part of every cache
 * key: change it whenever a template changes what a provider answers.
 *
 * The answer of one task is a JSON object in the subsection's shape:
 *   {"id": "<task id>", "summary": "...", "bullets": ["...", ...],
 *    "changes": [{"what": "...", "why": "..."}]}
 * (the summary task answers "summary" only; a skills group "bullets" as its
 * keywords). Answers are parsed leniently: JSON inside prose or a ``` fence
 * is found. Every answer goes through the fact guard (tailor/guard.h)
 * before it is applied; a rejection counts as a malformed answer.
 *
 * Threads: a tl_prompt_ctx is immutable once created and may be shared. */
#ifndef TL_PROMPT_H
#define TL_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/change.h"
#include "tailor/local.h"
#include "util/err.h"

#define TL_PROMPT_VERSION 1

typedef struct tl_prompt_ctx tl_prompt_ctx;

/* What the prompts of one customization share: the original resume, the
 * job, the dictionary, the strength. They must outlive the context. */
TL_MUST_CHECK tl_err tl_prompt_ctx_create(const tl_resume *original, const tl_job *job,
                                          const tl_terms *terms, tl_strength strength,
                                          tl_prompt_ctx **out);
void tl_prompt_ctx_free(tl_prompt_ctx *ctx);

/* One task of a prompt: its id (unique within the batch) and its target. */
typedef struct tl_prompt_task {
    const char *id;
    tl_target target;
} tl_prompt_task;

/* Renders n tasks (n == 1: the single template; n > 1: the batch one) as a
 * system and a user prompt (malloc'd; caller frees both). */
TL_MUST_CHECK tl_err tl_prompt_render(const tl_prompt_ctx *ctx, const tl_prompt_task *tasks,
                                      size_t n, char **system, char **user);

typedef enum tl_prompt_outcome {
    TL_PROMPT_APPLIED,   /* answered, passed the guard, applied to out */
    TL_PROMPT_MISSING,   /* the answer did not cover this task (retry it alone) */
    TL_PROMPT_MALFORMED, /* covered but unusable (wrong shape, bullet count) */
    TL_PROMPT_REJECTED   /* the fact guard rejected it */
} tl_prompt_outcome;

/* Parses answer[0..len) for the n tasks, applies each usable, guarded task
 * result to its target in out (a copy of the original resume) and appends
 * its changes, and writes one outcome per task into outcomes[n]. Returns
 * TL_EFORMAT when no JSON at all could be found (every outcome MALFORMED);
 * TL_OK otherwise, even when some tasks were not applied. Writes to out:
 * callers serialise calls on the same out. */
TL_MUST_CHECK tl_err tl_prompt_apply(const tl_prompt_ctx *ctx, const char *answer, size_t len,
                                     const tl_prompt_task *tasks, size_t n, tl_resume *out,
                                     tl_changes *changes, tl_prompt_outcome *outcomes);

#endif
