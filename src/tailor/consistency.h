/* The consistency pass: one sequential pass over a whole tailored resume,
 * after every subsection was tailored on its own, so that the parts read as
 * one document:
 *
 *   terms    one spelling per term in the tailored texts: the job's when the
 *            job names the term, else the spelling the resume uses most
 *            (ties: the first met);
 *   tense    the opening verb of a bullet in the past tense for a role with
 *            an end date ("Build" -> "Built", "Own" -> "Owned") and in the
 *            present for the current role ("Led" -> "Lead"), except a
 *            bullet of the current role that reports a finished result
 *            (a percentage, "cutting ...", "saving ..."), which keeps its
 *            past tense; undated entries (projects) are left alone;
 *   style    one bullet style: a trailing period on every bullet or on none
 *            (what most bullets do; none on a tie), first letter capitalised;
 *   dates    one date format ("2021-03", "Mar 2021", "March 2021",
 *            "03/2021"): the one most dates with a month use; dates that
 *            give only a year stay as they are;
 *   repeats  a bullet said twice (same words, any case or punctuation) is
 *            reported (TL_CHANGE_REPEATED), not changed.
 *
 * Texts of the summary and of the sections the engine tailors are read and
 * changed (tl_section_tailorable); dates of every section are normalised.
 * Titles, employers, schools and certificates are never touched.
 *
 * Threads: writes r; needs exclusive access to it. */
#ifndef TL_CONSISTENCY_H
#define TL_CONSISTENCY_H

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/change.h"
#include "util/err.h"

/* Runs every step on r. job may be NULL (then the resume's most common
 * spelling always wins). Appends one change per text changed (and one per
 * repeated bullet) to changes (may be NULL). On TL_ENOMEM some steps may
 * have run; every string of r is still valid. */
TL_MUST_CHECK tl_err tl_consistency_run(tl_resume *r, const tl_job *job, const tl_terms *terms,
                                        tl_changes *changes);

/* The same with a matcher already built for the job (may have none) and
 * the dictionary (tailor/match.h). */
struct tl_matcher;
TL_MUST_CHECK tl_err tl_consistency_run_with(tl_resume *r, const struct tl_matcher *m,
                                             tl_changes *changes);

#endif
