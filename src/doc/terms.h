/* The terminology dictionary: canonical terms and their variants.
 *
 * Data format (data/terms.txt, and user files given with --terms), UTF-8:
 *   # a comment
 *   [software]                       a category for the lines below
 *   JavaScript | JS | Java Script    canonical term first, then variants
 *   Kubernetes | k8s
 * Categories: software, data, cloud, healthcare, marketing, finance,
 * business, certification, soft (any other name is accepted as is; lines
 * before the first category are "general"). "#" starts a comment only at
 * the start of a line ("C#" is a term). A spelling may be marked:
 *   ~Go        also an everyday word: matched only in technical context
 *   =ER        matched only with this capitalisation
 * A single letter (C, R) is always both. Blanks and hyphens in a spelling
 * match any run of blanks, hyphens or dashes ("step-down" = "step down").
 * A later line whose canonical term (or variant) is already known adds its
 * variants to that term, so user files extend the shipped dictionary; a
 * spelling already taken by another term is ignored (the first one wins).
 * A file with a malformed line adds nothing.
 *
 * Matching is case-insensitive and word-bounded (a term never matches
 * inside a longer word; a plural "s" may follow: "APIs"), takes the
 * longest term at each position, and
 * applies context rules to terms that are also everyday words: "Go" the
 * language is matched when written "Go" with a capital or next to other
 * technical context ("in Go", "Go services", "Golang"), never "go" the verb
 * in running text ("go to market").
 *
 * A tl_terms is immutable once loaded and may be shared by any threads. */
#ifndef TL_TERMS_H
#define TL_TERMS_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "util/err.h"

typedef struct tl_terms tl_terms;

/* An empty dictionary; NULL when out of memory. */
tl_terms *tl_terms_new(void);
/* The shipped dictionary (compiled into the library). */
TL_MUST_CHECK tl_err tl_terms_load_default(tl_terms **out);
void tl_terms_free(tl_terms *t);

/* Adds the lines of p[0..n) to t. On TL_EFORMAT err says which line. */
TL_MUST_CHECK tl_err tl_terms_parse(tl_terms *t, const char *p, size_t n, tl_doc_error *err);
/* Reads a file (limit TL_MAX_TERMS_BYTES) and adds it. */
TL_MUST_CHECK tl_err tl_terms_load_file(tl_terms *t, const char *path, tl_doc_error *err);

/* Number of canonical terms. */
size_t tl_terms_count(const tl_terms *t);
/* The canonical spelling of term id (0 <= id < count). */
const char *tl_terms_canonical(const tl_terms *t, int id);
/* The category of term id ("software", ...). */
const char *tl_terms_category(const tl_terms *t, int id);
/* The id of the term that s[0..n) spells exactly (canonical or variant,
 * case-insensitive), or -1. */
int tl_terms_lookup(const tl_terms *t, const char *s, size_t n);

typedef struct tl_term_match {
    size_t start; /* byte offset in the scanned text */
    size_t len;   /* bytes */
    int id;       /* term id */
} tl_term_match;

/* Calls cb for each term occurrence in text[0..n), left to right, without
 * overlaps. cb returns false to stop the scan. */
typedef bool (*tl_term_cb)(void *ud, const tl_term_match *m);
void tl_terms_scan(const tl_terms *t, const char *text, size_t n, tl_term_cb cb, void *ud);

#endif
