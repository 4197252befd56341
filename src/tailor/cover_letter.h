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
 * The letter keeps what it was built from (the points: each requirement
 * with the achievement tied to it, and the further skills it names) so
 * that a provider can be asked for a letter from the same material
 * (provider/letter.h); tl_cover_letter_derive wraps such a letter's body
 * in this letter's header, greeting and sign-off.
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
#include "tailor/guard.h"
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

/* One requirement of the job tied to one achievement of the resume. */
typedef struct tl_letter_point {
    char *keyword;     /* the job keyword (canonical term) */
    char *requirement; /* the keyword as the letter writes it ("distributed systems") */
    char *achievement; /* the resume's bullet, word for word */
    char *where;       /* its entry's organisation or title; NULL when none */
} tl_letter_point;

/* A provider that was asked to write the letter and what came of it. */
typedef struct tl_letter_attempt {
    char *provider;
    char *outcome; /* "ok", a tl_call_error name, "malformed" or "rejected" */
    char *detail;  /* why it was not used ("" when used) */
} tl_letter_attempt;

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
    /* The header and greeting are paragraphs[0..n_head); the sign-off is
     * the last paragraph; the body, which the guard checks, is between. */
    size_t n_head;
    tl_letter_point *points;
    size_t n_points, cap_points;
    char **skills; /* further matching skills the letter names */
    size_t n_skills, cap_skills;
    char *provider; /* who wrote it: "local" (the embedded engine) or a provider's name */
    tl_letter_attempt *attempts; /* providers asked before, in chain order */
    size_t n_attempts, cap_attempts;
} tl_cover_letter;

/* Writes a letter for resume r and job j. r, j and t are only read. o may
 * be NULL (defaults). Errors: TL_EINVAL, TL_ENOMEM, TL_EREJECTED (no
 * paragraph could be made that the guard accepts: not expected). On
 * failure *out is untouched. */
TL_MUST_CHECK tl_err tl_cover_letter_write(const tl_resume *r, const tl_job *j, const tl_terms *t,
                                           const tl_cover_letter_opts *o, tl_cover_letter **out);
void tl_cover_letter_free(tl_cover_letter *l);

/* The length of role's head: "Senior Backend Engineer" of "Senior Backend
 * Engineer, Payments Infrastructure" (or "... - Payments"), which a
 * letter may name alone. */
size_t tl_letter_role_head(const char *role);

/* Checks one sentence of a letter for l's resume: TL_OK when guard g
 * (built for that resume and job) accepts it with the role, the company
 * (which the letter addresses rather than claims) and the pronoun "I" set
 * aside (the role's head too); TL_EREJECTED with *f (may be NULL) filled otherwise. */
TL_MUST_CHECK tl_err tl_cover_letter_check(const tl_cover_letter *l, const tl_guard *g,
                                           const char *text, tl_guard_finding *f);

/* A letter with plan's header, greeting and sign-off around the n body
 * paragraphs (copied; not checked here), written by provider. Its keywords
 * are those of plan's that the body mentions. */
TL_MUST_CHECK tl_err tl_cover_letter_derive(const tl_cover_letter *plan, const char *const *body,
                                            size_t n, const char *provider, tl_cover_letter **out);

/* Records on l that provider was asked and what came of it. */
TL_MUST_CHECK tl_err tl_cover_letter_note(tl_cover_letter *l, const char *provider,
                                          const char *outcome, const char *detail);

/* The letter as plain text (fmt TEXT: paragraphs separated by blank lines)
 * or Markdown (MARKDOWN: the name as a heading, text escaped). *out is
 * malloc'd; the caller frees it. TL_EINVAL for other formats. */
TL_MUST_CHECK tl_err tl_cover_letter_render(const tl_cover_letter *l, tl_format fmt, char **out,
                                            size_t *len);

#endif
