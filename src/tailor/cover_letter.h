/* Cover letters written by the embedded engine: from templates and the
 * resume's own content, never inventing a fact.
 *
 * The letter names the role and the company from the job description
 * (tl_job title and company), ties the job's heaviest keywords that the
 * resume covers to the resume's strongest matching achievements (the
 * bullets that mention those keywords, most relevant first, at most one
 * per keyword and none twice), names a few more matching skills, and
 * closes plainly. Two tones: FORMAL ("Dear Hiring Manager", "Sincerely")
 * and WARM (a friendlier opening and closing).
 *
 * Every paragraph of the body (all but the contact header, which is the
 * resume's own, and the greeting and sign-off formulae) passes the fact
 * guard (tailor/guard.h) against the resume, with the role and the
 * company (which the letter addresses, not claims) and the pronoun "I"
 * set aside: no employer, number, skill, title or credential the
 * resume lacks. Sentences are checked one by one and a rejected one is
 * left out; the letter is bounded to one page (TL_LETTER_MAX_WORDS).
 *
 * A tl_cover_letter owns its strings. Functions may run on any thread; one
 * letter belongs to one thread at a time. */
#ifndef TL_COVER_LETTER_H
#define TL_COVER_LETTER_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "util/arena.h"
#include "util/err.h"

#define TL_LETTER_MAX_WORDS 400 /* about one printed page with the header */
#define TL_LETTER_MAX_POINTS 3  /* achievements tied to requirements */

typedef enum tl_letter_tone { TL_TONE_FORMAL = 0, TL_TONE_WARM } tl_letter_tone;

/* Accepts "formal", "warm" (any case); TL_EINVAL else. */
TL_MUST_CHECK tl_err tl_letter_tone_parse(const char *s, tl_letter_tone *out);
const char *tl_letter_tone_name(tl_letter_tone t);

typedef struct tl_cover_letter_opts {
    tl_letter_tone tone; /* default FORMAL */
    int max_points;      /* 0 means TL_LETTER_MAX_POINTS */
} tl_cover_letter_opts;

typedef struct tl_cover_letter {
    tl_arena *arena;
    char *role;    /* as addressed ("the role" when the job names none) */
    char *company; /* NULL when the job names none */
    /* The letter: header lines (name, contacts), greeting, body
     * paragraphs, closing, signature; each one paragraph of text. */
    char **paragraphs;
    size_t n_paragraphs, cap_paragraphs;
    /* The job keywords the letter ties to achievements (canonical). */
    char **keywords;
    size_t n_keywords, cap_keywords;
    int words; /* words in the letter */
} tl_cover_letter;

/* Writes a letter for resume r and job j. r, j and t are only read. o may
 * be NULL (defaults). Errors: TL_EINVAL, TL_ENOMEM, TL_EREJECTED (no
 * paragraph could be made that the guard accepts: not expected). On
 * failure *out is untouched. */
TL_MUST_CHECK tl_err tl_cover_letter_write(const tl_resume *r, const tl_job *j, const tl_terms *t,
                                           const tl_cover_letter_opts *o, tl_cover_letter **out);
void tl_cover_letter_free(tl_cover_letter *l);

/* The letter as plain text (fmt TEXT: paragraphs separated by blank lines)
 * or Markdown (MARKDOWN: the name as a heading, text escaped). *out is
 * malloc'd; the caller frees it. TL_EINVAL for other formats. */
TL_MUST_CHECK tl_err tl_cover_letter_render(const tl_cover_letter *l, tl_format fmt, char **out,
                                            size_t *len);

#endif
