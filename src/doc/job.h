/* A job description, analysed: its parts and its weighted keywords.
 *
 * Parts are found by heading words and their common variants
 * ("Requirements", "Qualifications", "What we look for" -> requirements;
 * "Responsibilities", "What you'll do" -> responsibilities; "Nice to have",
 * "Preferred", "Bonus" -> nice to have). Without headings every line counts
 * as "other".
 *
 * Keywords are dictionary terms and domain phrases (1-3 words), weighted by
 * where they appear (requirements > responsibilities > nice-to-have > other;
 * the title counts like requirements) and how often; stop-words and filler
 * ("strong", "experience", "ability") are left out. */
#ifndef TL_JOB_H
#define TL_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/resume.h"
#include "doc/terms.h"
#include "util/arena.h"
#include "util/err.h"

typedef enum tl_jd_part {
    TL_JD_REQUIREMENTS,     /* includes the title */
    TL_JD_RESPONSIBILITIES,
    TL_JD_NICE_TO_HAVE,
    TL_JD_OTHER
} tl_jd_part;

const char *tl_jd_part_name(tl_jd_part p); /* "requirement", "responsibility", "nice-to-have", "other" */

/* At most this many keywords are kept: dictionary terms first, then the
 * heaviest phrases. */
#define TL_JOB_MAX_KEYWORDS 40

typedef struct tl_keyword {
    char *term;     /* canonical spelling (dictionary) or the phrase, lowercased */
    char *surface;  /* the job's own spelling, its most frequent */
    int term_id;    /* dictionary id, or -1 for a phrase */
    double weight;  /* > 0; sum over occurrences of the part's weight */
    int count;      /* occurrences in the job */
    tl_jd_part part;/* the most important part it appears in */
} tl_keyword;

typedef struct tl_job {
    tl_arena *arena;
    char *text;     /* the whole description, as given */
    char *title;    /* first non-empty line, trimmed (or NULL) */
    char *company;  /* from the second line or "at X" / "X is hiring" (or NULL) */
    char **responsibilities;
    size_t n_responsibilities, cap_responsibilities;
    char **requirements;
    size_t n_requirements, cap_requirements;
    char **nice_to_have;
    size_t n_nice_to_have, cap_nice_to_have;
    tl_keyword *keywords; /* sorted by weight, heaviest first */
    size_t n_keywords, cap_keywords;
    uint64_t fingerprint; /* hash of the normalised keyword list */
} tl_job;

/* Analyses text[0..n). Checks size (TL_MAX_JOB_BYTES), UTF-8 and that there
 * is some text. Errors: TL_ETOOBIG, TL_EUTF8, TL_EEMPTY, TL_ENOMEM; err (may
 * be NULL) says what is wrong. terms is only read. */
TL_MUST_CHECK tl_err tl_job_parse(const char *text, size_t n, const tl_terms *terms,
                                  tl_job **out, tl_doc_error *err);
void tl_job_free(tl_job *j);

/* The keyword with this canonical term (case-insensitive), or NULL. */
const tl_keyword *tl_job_keyword(const tl_job *j, const char *term);

#endif
