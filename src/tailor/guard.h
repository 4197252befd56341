/* The fact guard: refuses tailored text that states a fact the original
 * resume does not.
 *
 * It indexes the original once: numbers (percentages, money, ranges, "25k",
 * number words), dates (years, month and year), every word (so employers,
 * schools and other proper nouns are known), capitalised titles
 * ("Senior Software Engineer"), degree words (PhD, M.S., Bachelor, BSN...),
 * and the dictionary terms it mentions (skills, certifications). A tailored
 * text is rejected when it introduces:
 *   - a number or a date absent from the whole original;
 *   - a capitalised name (an employer, a school, a product...) whose words
 *     the original never uses;
 *   - a capitalised title ("Staff Engineer", "Director of ...") the
 *     original does not spell out;
 *   - a degree or a certification the original does not name;
 *   - a skill (a dictionary term) the original does not mention under any
 *     spelling, or one of the job's phrases the original does not use.
 * Respelling is allowed: "Go" where the original says "golang" is the same
 * canonical term. For an entry, the job's terms must come from that same
 * entry of the original (a bullet cannot borrow Kafka from another role),
 * and its title, organisation and dates must be the original's.
 *
 * Action verbs that open a sentence ("Led", "Built") are not facts and pass.
 *
 * A tl_guard is immutable once built and may be shared by any threads. */
#ifndef TL_GUARD_H
#define TL_GUARD_H

#include <stddef.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/local.h"
#include "util/err.h"

typedef enum tl_fact_kind {
    TL_FACT_NUMBER,
    TL_FACT_DATE,
    TL_FACT_EMPLOYER, /* a capitalised name after "at", "for", "joined", "from", or before "Inc" */
    TL_FACT_TITLE,
    TL_FACT_DEGREE,
    TL_FACT_CERTIFICATION,
    TL_FACT_SKILL,
    TL_FACT_NAME /* any other capitalised name */
} tl_fact_kind;

/* "number", "date", "employer", "title", "degree", "certification",
 * "skill", "name". */
const char *tl_fact_kind_name(tl_fact_kind k);

/* Why a text was rejected: the first offending fact. */
typedef struct tl_guard_finding {
    tl_fact_kind kind;
    char text[96]; /* the offending text as written (truncated) */
    char id[96];   /* where: "work[0].highlights[2]" ("" for tl_guard_check_text) */
} tl_guard_finding;

typedef struct tl_guard tl_guard;

/* Indexes original. job may be NULL (then no per-entry rule for the job's
 * terms and no phrase check). original, job and terms must outlive the
 * guard. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_guard_create(const tl_resume *original, const tl_job *job,
                                     const tl_terms *terms, tl_guard **out);
void tl_guard_free(tl_guard *g);

/* Checks one text against the whole original. TL_OK when it states nothing
 * new, TL_EREJECTED with *f (may be NULL) filled otherwise. */
TL_MUST_CHECK tl_err tl_guard_check_text(const tl_guard *g, const char *text, size_t n,
                                         tl_guard_finding *f);

/* Checks the part of `tailored` that target t names (its texts, and for an
 * entry its fixed fields and the per-entry rule). tailored must have the
 * original's sections and entries (TL_EINVAL otherwise). */
TL_MUST_CHECK tl_err tl_guard_check_target(const tl_guard *g, const tl_resume *tailored,
                                           const tl_target *t, tl_guard_finding *f);

/* Checks every target of a tailored resume (the summary and every entry of
 * every section), plus the basics (name, contact) being unchanged. */
TL_MUST_CHECK tl_err tl_guard_check_resume(const tl_guard *g, const tl_resume *tailored,
                                           tl_guard_finding *f);

#endif
