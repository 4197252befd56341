/* Advice drawn from a match report: where a resume states each job keyword
 * (section by section, under which spelling), and what its writer could
 * honestly do about the report. Advice never invents a fact: a keyword the
 * resume does not state is pointed at ("add it only if you have it"),
 * never put in; a keyword is proposed for a section only when that
 * section's own text already states it. */
#ifndef TL_ADVICE_H
#define TL_ADVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "tailor/match.h"
#include "tailor/score.h"
#include "util/arena.h"
#include "util/err.h"

/* ---- where the resume states each job keyword ---- */

/* One job keyword in one part of the resume. The slot is 0 for basics
 * (summary and label) and 1 + s for section s. */
typedef struct tl_kw_where {
    int kw; /* index into the job's keywords */
    int slot;
    int count; /* mentions in the slot */
    /* A spelling the slot uses that the job writes otherwise and that
     * tailoring may respell ("k8s" for "Kubernetes"); NULL when every
     * mention is as the job writes it. */
    char *written;
} tl_kw_where;

typedef struct tl_evidence {
    tl_arena *arena;
    size_t n_kw, n_slots;
    tl_kw_where *items; /* by slot, in order of first mention */
    size_t n, cap;
} tl_evidence;

/* Walks r once against m's job. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_evidence_compute(const tl_resume *r, const tl_matcher *m,
                                         tl_evidence **out);
void tl_evidence_free(tl_evidence *e);

/* The mention of keyword kw in slot, or NULL. */
const tl_kw_where *tl_evidence_find(const tl_evidence *e, int slot, int kw);
/* True when some section of kind k states kw. */
bool tl_evidence_in_kind(const tl_evidence *e, const tl_resume *r, tl_section_kind k, int kw);
/* True when a work, volunteer or project section states kw: the resume
 * shows it used, not only listed. */
bool tl_evidence_in_experience(const tl_evidence *e, const tl_resume *r, int kw);

struct json_t;
/* The keywords slot states, heaviest first: [{"term" (the job's
 * spelling), "mentions", "resume_spelling" (when tailoring would respell
 * it), "in_skills" (the skills section lists it too)}]. A new reference,
 * or NULL when out of memory. */
struct json_t *tl_evidence_slot_json(const tl_evidence *e, const tl_resume *r, const tl_matcher *m,
                                     int slot);

/* ---- suggestions ---- */

typedef enum tl_advice_kind {
    TL_ADVICE_SPELLING,    /* the resume states a keyword under another spelling */
    TL_ADVICE_SKILLS_ONLY, /* listed in skills, shown in no experience */
    TL_ADVICE_SECTION,     /* a section that states few of the job's keywords */
    TL_ADVICE_MISSING      /* a keyword the resume does not state at all */
} tl_advice_kind;

/* "spelling", "skills_only", "section", "missing". */
const char *tl_advice_kind_name(tl_advice_kind k);

typedef struct tl_advice {
    tl_advice_kind kind;
    char *term;    /* the job's spelling; NULL for TL_ADVICE_SECTION */
    char *section; /* the section key ("work", "basics.summary"), or NULL */
    char *text;    /* for a person */
} tl_advice;

typedef struct tl_advices {
    tl_arena *arena;
    tl_advice *items; /* in the order above, heaviest keyword first */
    size_t n, cap;
} tl_advices;

/* Below this section score (0-100) an experience section or the summary
 * is said to state few of the job's keywords. */
#define TL_ADVICE_LOW_SECTION 20
/* At most this many keywords the resume lacks are named. */
#define TL_ADVICE_MAX_MISSING 8

/* Advice on r's report s against m's job. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_advise(const tl_resume *r, const tl_matcher *m, const tl_score *s,
                               tl_advices **out);
void tl_advices_free(tl_advices *a);

/* [{"kind", "term"?, "section"?, "text"}]: a new reference, or NULL. */
struct json_t *tl_advices_to_json(const tl_advices *a);

#endif
