/* Strength of a customization, and the change list every step reports.
 * A change list owns its strings (in its arena). Not thread-safe. */
#ifndef TL_CHANGE_H
#define TL_CHANGE_H

#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

typedef enum tl_strength {
    TL_STRENGTH_CONSERVATIVE = 1, /* job's spelling of terms, bullets by relevance */
    TL_STRENGTH_BALANCED = 2,     /* + matching skills first, summary leads with matches */
    TL_STRENGTH_EXTENSIVE = 3     /* + stronger bullet openings, composed summary */
} tl_strength;

/* Accepts CONSERVATIVE, BALANCED, EXTENSIVE (any case) and 1, 2, 3. */
TL_MUST_CHECK tl_err tl_strength_parse(const char *s, tl_strength *out);
/* "CONSERVATIVE", "BALANCED" or "EXTENSIVE". */
const char *tl_strength_name(tl_strength s);

typedef enum tl_change_kind {
    TL_CHANGE_TERM,     /* a term respelled to the job's spelling */
    TL_CHANGE_REORDER,  /* a bullet or skill moved */
    TL_CHANGE_REWRITE,  /* a bullet's wording changed (opening verb) */
    TL_CHANGE_SUMMARY,  /* the summary recomposed or reordered */
    TL_CHANGE_TENSE,    /* consistency: verb tense */
    TL_CHANGE_STYLE,    /* consistency: bullet or date style */
    TL_CHANGE_REPEATED  /* consistency: a bullet repeated across entries (reported, not changed) */
} tl_change_kind;

/* "term", "reorder", "rewrite", "summary", "tense", "style", "repeated". */
const char *tl_change_kind_name(tl_change_kind k);

typedef struct tl_change {
    tl_change_kind kind;
    char *id;     /* the resume id it applies to ("work[0].highlights[2]") */
    char *before; /* NULL when nothing was there */
    char *after;
    char *reason; /* for a person: "moved up: mentions Kafka, a requirement" */
} tl_change;

typedef struct tl_changes {
    tl_arena *arena;
    tl_change *items;
    size_t n, cap;
} tl_changes;

/* An empty list; NULL when out of memory. */
tl_changes *tl_changes_new(void);
void tl_changes_free(tl_changes *c);
/* Appends a change; strings are copied, reason is printf-formatted. */
TL_MUST_CHECK tl_err tl_changes_add(tl_changes *c, tl_change_kind kind, const char *id,
                                    const char *before, const char *after, const char *reason_fmt,
                                    ...) __attribute__((format(printf, 6, 7)));
/* Appends copies of every change of src. */
TL_MUST_CHECK tl_err tl_changes_extend(tl_changes *c, const tl_changes *src);

#endif
