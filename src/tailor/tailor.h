/* One customization, start to end, on the embedded engine: tailor every
 * subsection for the job, run the consistency pass, score before and after.
 *
 * The parallel engine (src/engine) runs the same steps as tasks; this is
 * the in-process path used by the CLI, the fallback, and the benchmarks. */
#ifndef TL_TAILOR_H
#define TL_TAILOR_H

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/change.h"
#include "tailor/local.h"
#include "tailor/score.h"
#include "util/err.h"

/* Called after each subsection is tailored, from the calling thread. */
typedef void (*tl_progress_cb)(void *ud, int done, int total);

/* The same moment with what was done: the resume as tailored so far (the
 * consistency pass has not run yet) and the subsection's target in it,
 * whose text is the subsection's tailoring. Only read them, and only
 * during the call. */
typedef void (*tl_section_cb)(void *ud, int done, int total, const tl_resume *tailored,
                              const tl_target *target);

typedef struct tl_customize_opts {
    tl_strength strength;    /* 0 means BALANCED */
    tl_progress_cb progress; /* optional */
    tl_section_cb section;   /* optional; with progress, both are called */
    void *progress_ud;       /* for both */
} tl_customize_opts;

typedef struct tl_result {
    tl_resume *tailored; /* owned */
    tl_changes *changes; /* every change: tailoring, then consistency */
    tl_score *before;    /* the original resume's score */
    tl_score *after;     /* the tailored resume's score */
    int subsections;     /* subsections tailored */
    double elapsed_ms;   /* wall time of tl_customize */
} tl_result;

/* Tailors r for j. r, j and t are only read. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_customize(const tl_resume *r, const tl_job *j, const tl_terms *t,
                                  const tl_customize_opts *opts, tl_result **out);
void tl_result_free(tl_result *res);

/* The result as a JSON document (malloc'd; caller frees):
 * {"resume": <JSON Resume object>, "format": "...",
 *  "rendered": "<the resume in fmt when fmt is not JSON>",
 *  "score": {"before": {...}, "after": {...}},
 *  "missing_keywords": [{"term","weight","job_count"}...],
 *  "changes": [{"kind","id","before","after","reason"}...],
 *  "metrics": {"elapsed_ms", "subsections"}} */
TL_MUST_CHECK tl_err tl_result_to_json(const tl_result *res, tl_format fmt, char **out);

/* The same document as a JSON value, for callers that add to it before
 * serialising (the caller owns *out: json_decref). */
TL_MUST_CHECK tl_err tl_result_to_value(const tl_result *res, tl_format fmt, json_t **out);

#endif
