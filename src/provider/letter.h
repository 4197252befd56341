/* Cover letters written by providers, with the embedded engine's letter
 * (tailor/cover_letter.h) as the plan and the fallback.
 *
 * The embedded letter is written first: it chooses the requirements the
 * letter ties to achievements (the job's heaviest keywords the resume
 * covers, each with its most relevant bullet). The prompt (template
 * version TL_LETTER_PROMPT_VERSION) gives a provider exactly that
 * material, so both letters tie the same requirements to the same
 * achievements, under the section prompts' rules: keep every fact, add no
 * employer, title, date, number, degree, certification or skill.
 *
 * The user prompt holds one machine-readable block, a heading line and one
 * line of JSON:
 *   ### Letter (JSON)  {"role", "company", "tone", "candidate": {"name",
 *                       "title", "organisation", "current"},
 *                       "requirements": [{"requirement", "achievement",
 *                       "where"}], "other_skills": [...], "max_words"}
 * fake-llm (provider/fakellm.c) parses it to answer deterministically.
 *
 * The answer is {"paragraphs": ["...", ...]}: the body only (opening,
 * achievements, a plain closing); tailor adds the header, the greeting
 * and the sign-off. Parsed leniently: JSON inside prose or a ``` fence,
 * "body", "letter" or "text" for "paragraphs", one string split at blank
 * lines, a greeting or sign-off paragraph dropped. Every sentence must
 * pass the fact guard (tl_cover_letter_check); the body must name the role
 * and the company and keep the letter to one page.
 *
 * Threads: every function may run on any thread. */
#ifndef TL_PROVIDER_LETTER_H
#define TL_PROVIDER_LETTER_H

#include <stddef.h>

#include "provider/provider.h"
#include "tailor/cover_letter.h"

#define TL_LETTER_PROMPT_VERSION 1
#define TL_LETTER_MAX_PARAGRAPHS 8

/* Renders the prompt for a letter from plan (the embedded letter for
 * resume r) in tone. *system and *user are malloc'd; the caller frees. */
TL_MUST_CHECK tl_err tl_letter_prompt_render(const tl_cover_letter *plan, const tl_resume *r,
                                             tl_letter_tone tone, char **system, char **user);

/* Turns answer[0..len) into a letter written by provider around plan's
 * header and sign-off, every body sentence checked by guard g (built for
 * plan's resume and job). TL_EFORMAT when the answer is unusable (no
 * JSON, no paragraphs, the role or company not named, too long),
 * TL_EREJECTED when the guard refuses a sentence (*f, may be NULL, says
 * which fact). On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_letter_prompt_apply(const tl_cover_letter *plan, const tl_guard *g,
                                            const char *answer, size_t len, const char *provider,
                                            tl_cover_letter **out, tl_guard_finding *f);

/* One provider of the chain, with the model to ask (NULL: its default). */
typedef struct tl_letter_link {
    tl_provider *provider;
    const char *model;
} tl_letter_link;

typedef struct tl_letter_chain_opts {
    tl_cover_letter_opts letter;
    int timeout_ms; /* per call; 0: the provider's own */
    int wait_ms;    /* the longest wait for an answer before cancelling; 0: 180000 */
    int max_tokens; /* 0: 1200 */
} tl_letter_chain_opts;

/* Writes the letter: asks each provider of chain[0..n) in turn, one call
 * each, and keeps the first answer that tl_letter_prompt_apply accepts;
 * when every one fails (an error, a timeout, a malformed or rejected
 * answer) or n == 0, the embedded letter. (*out)->provider names who wrote
 * it and (*out)->attempts what each provider asked before it gave. o may
 * be NULL. Errors as tl_cover_letter_write's; a provider's failure is
 * never one. */
TL_MUST_CHECK tl_err tl_letter_write_chain(const tl_resume *r, const tl_job *j, const tl_terms *t,
                                           const tl_letter_link *chain, size_t n,
                                           const tl_letter_chain_opts *o, tl_cover_letter **out);

#endif
