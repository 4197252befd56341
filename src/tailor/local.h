/* The embedded engine (the "local" provider): tailors one subsection of a
 * resume for a job, without any network, and never invents a fact.
 *
 * A customization is a list of targets (tl_local_targets), one task each;
 * tl_local_tailor does one task. What it does depends on the strength:
 *
 *   CONSERVATIVE  terms respelled the job's way ("golang" -> "Go",
 *                 "k8s" -> "Kubernetes"); bullets ordered by relevance to
 *                 the job (sum of the weights of the job keywords they
 *                 mention; ties keep their order). Nothing else.
 *   BALANCED      + the job's skills first in each skills group; in long
 *                 entries (more than 4 bullets) the bullets that mention
 *                 nothing the job asks for go to the end, least related
 *                 last; the summary's sentences ordered by relevance.
 *   EXTENSIVE     + weak openings ("Responsible for", "Worked on",
 *                 "Helped with", ...) replaced by an action verb that fits
 *                 the bullet, in the past tense for past roles and the
 *                 present for the current one; an opening sentence for the
 *                 summary composed from the resume's own title and the
 *                 job's skills the resume already has.
 *
 * Every change is appended to a tl_changes with a reason for a person.
 *
 * Threads: a tl_local_ctx is immutable once created and may be shared by
 * any threads. tl_local_tailor writes only the target's part of `out`, but
 * writes allocate in out's arena: calls on the same `out` must not run at
 * the same time (give each worker its own clone, or serialise). */
#ifndef TL_LOCAL_H
#define TL_LOCAL_H

#include <stddef.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/change.h"
#include "util/err.h"

/* One task: the summary, or one entry of a section (a work role, a project,
 * a skills group...), or a group of an entry's bullets. */
typedef enum tl_target_kind {
    TL_TARGET_SUMMARY, /* basics.summary */
    TL_TARGET_ENTRY    /* sections[section].entries[entry] */
} tl_target_kind;

typedef struct tl_target {
    tl_target_kind kind;
    size_t section, entry;
    /* Bullets [bullet_from, bullet_to) of the entry; bullet_to == 0 means
     * up to the last. The entry's own summary is tailored by the group
     * that starts at 0. Reordering stays within the group. */
    size_t bullet_from, bullet_to;
} tl_target;

/* Where t's bullets end in entry e: bullet_to, or e's last bullet when
 * bullet_to is 0 or past it. */
static inline size_t tl_target_bullet_end(const tl_target *t, const tl_entry *e)
{
    return t->bullet_to && t->bullet_to < e->n_bullets ? t->bullet_to : e->n_bullets;
}

/* Entries with more bullets than this are split into groups of
 * TL_LOCAL_GROUP bullets, so that no task dominates. */
#define TL_LOCAL_SPLIT_OVER 12
#define TL_LOCAL_GROUP 8

/* The targets of r, in document order: the summary first (always listed: at
 * EXTENSIVE it may be composed when the resume has none), then one per entry
 * with bullets or a summary in the sections the engine tailors (work,
 * volunteer, projects, custom sections; skills: one target per skills group,
 * i.e. per entry of the skills section). Long entries give one target per
 * bullet group. *out is malloc'd (caller frees; NULL when *n is 0). On
 * failure *out and *n are untouched. */
TL_MUST_CHECK tl_err tl_local_targets(const tl_resume *r, tl_target **out, size_t *n);

/* Writes the id of a target ("basics.summary", "work[0]",
 * "work[0].highlights[8-15]") into out[cap]; returns the length
 * (snprintf semantics). */
int tl_target_id(const tl_resume *r, const tl_target *t, char *out, size_t cap);

typedef struct tl_local_ctx tl_local_ctx;

/* What every task of one customization shares: the original resume, the
 * job, the dictionary and the strength (0 means BALANCED), and what is
 * derived from them once (the job's keyword index, the resume's facts
 * usable in a summary). original, job and terms must outlive the context.
 * TL_EINVAL for a strength that is not 0-3. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_local_ctx_create(const tl_resume *original, const tl_job *job,
                                         const tl_terms *terms, tl_strength strength,
                                         tl_local_ctx **out);
void tl_local_ctx_free(tl_local_ctx *ctx);

/* The context's index of the job's keywords (tailor/match.h), for steps
 * that follow (consistency, score). Valid while ctx lives. */
struct tl_matcher;
const struct tl_matcher *tl_local_ctx_matcher(const tl_local_ctx *ctx);

/* Tailors target t of `out`, a copy of the context's original resume (it
 * must still have the original's sections and entries; parts of it other
 * than the target are not read or written). Appends its changes to changes
 * (may be NULL). TL_EINVAL when t does not name a part of out; on
 * TL_ENOMEM the target may be half tailored (every string in it is still
 * valid). */
TL_MUST_CHECK tl_err tl_local_tailor(const tl_local_ctx *ctx, const tl_target *t, tl_resume *out,
                                     tl_changes *changes);

#endif
