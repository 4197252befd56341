/* The match score: how well a resume covers a job's keywords.
 *
 * coverage = 100 * sum(weight of job keywords found in the resume)
 *                / sum(weight of all job keywords), rounded.
 * A keyword is found when the resume mentions its canonical term under any
 * dictionary spelling (or, for a phrase, the phrase itself). Each section
 * gets the same figure over the keywords it mentions.
 *
 * score weighs the same keywords by how a reader (or an applicant tracking
 * system) meets them, so that tailoring shows:
 *   score = 100 * sum(weight * f) / sum(weight), rounded, where f is 0 for a
 *   missing keyword and, for a found one, 0.8, plus 0.1 when every mention
 *   uses the job's spelling, plus 0.1 when it is mentioned prominently (the
 *   summary, the label, or the first two bullets of an experience entry).
 * So score <= coverage, and equals it when every keyword is spelled the
 * job's way and in view. */
#ifndef TL_SCORE_H
#define TL_SCORE_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "util/arena.h"
#include "util/err.h"

typedef struct tl_score_keyword {
    char *term;       /* canonical */
    double weight;
    int job_count;
    int resume_count;
    tl_jd_part part;
} tl_score_keyword;

typedef struct tl_section_score {
    char *key;   /* "basics.summary", "work", "skills", ... */
    int score;   /* 0-100 */
} tl_section_score;

typedef struct tl_score {
    tl_arena *arena;
    int score;    /* 0-100, see above */
    int coverage; /* 0-100, see above */
    tl_score_keyword *matched; /* heaviest first */
    size_t n_matched, cap_matched;
    tl_score_keyword *missing; /* heaviest first */
    size_t n_missing, cap_missing;
    tl_section_score *sections;
    size_t n_sections, cap_sections;
} tl_score;

/* Scores r for j. r, j and t are only read; *out is the caller's (free it
 * with tl_score_free). On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_score_compute(const tl_resume *r, const tl_job *j, const tl_terms *t,
                                      tl_score **out);
/* The same with a matcher already built for the job and the dictionary
 * (tailor/match.h), so that scoring several resumes for one job indexes the
 * job once. */
struct tl_matcher;
TL_MUST_CHECK tl_err tl_score_compute_with(const tl_resume *r, const struct tl_matcher *m,
                                           tl_score **out);
/* Scores two versions of one resume (before and after tailoring) for the
 * job of m, scanning a text the two share only once. On failure both
 * outputs are untouched. */
TL_MUST_CHECK tl_err tl_score_compute_pair(const tl_resume *before, const tl_resume *after,
                                           const struct tl_matcher *m, tl_score **out_before,
                                           tl_score **out_after);
void tl_score_free(tl_score *s);

struct json_t;
/* {"score", "coverage", "matched": [{"term","weight","job_count","resume_count","part"}],
 *  "missing": [...], "sections": [{"key","score"}]}: a new reference, or
 * NULL when out of memory. */
struct json_t *tl_score_to_json(const tl_score *s);

#endif
