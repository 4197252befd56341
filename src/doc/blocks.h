/* What the DOCX and PDF readers and writers share.
 *
 * Writing: the printed layout of a resume, a
 * flat list of typed blocks (name, contact line, section heading, entry
 * title, organisation line, paragraph, bullet...).
 *
 * The blocks follow the plain-text conventions of text.c (an entry is its
 * title on one line, then "Org, Location | dates", then bullets; education
 * one line "Degree, School, Place, 2018"; skills "Group: a, b, c"), so that
 * the text a reader extracts from a DOCX or PDF file reads back through the
 * plain-text reader with every role, date and bullet.
 *
 * Internal to the doc module. */
#ifndef TL_DOC_BLOCKS_H
#define TL_DOC_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "util/err.h"

typedef enum tl__block_kind {
    TL__B_NAME,    /* the person's name */
    TL__B_LABEL,   /* the label under it ("Data Analyst") */
    TL__B_CONTACT, /* "City · email · phone · url" */
    TL__B_HEADING, /* a section heading, as written ("Experience") */
    TL__B_TITLE,   /* an entry's title line */
    TL__B_META,    /* "Org, Location | dates" under an entry title */
    TL__B_PARA,    /* a paragraph: a summary, an entry's summary */
    TL__B_BULLET,  /* a bullet */
    TL__B_ITEM     /* a one-line item: skills group, certificate, degree */
} tl__block_kind;

typedef struct tl__block {
    tl__block_kind kind;
    char *text;  /* malloc'd, one line (no newline), never NULL */
    size_t lead; /* bytes of text to set in bold ("Analysis:"), 0 if none */
    bool side;   /* belongs in the sidebar of a two-column layout */
    bool first;  /* first block of its entry (space above it) */
} tl__block;

typedef struct tl__blocks {
    tl__block *items;
    size_t n, cap;
} tl__blocks;

/* The blocks of r. On failure *out is empty. Free with tl__blocks_free. */
TL_MUST_CHECK tl_err tl__blocks_build(const tl_resume *r, tl__blocks *out);
void tl__blocks_free(tl__blocks *b);

/* True for sections set in the sidebar of the two-column layout (skills,
 * education, certificates, languages, interests, awards). */
bool tl__block_side_kind(tl_section_kind k);

/* ---- reading ---- */

/* Headings a binary reader upper-cased so that the text reader sees them
 * as headings; their case is restored in the section titles afterwards. */
typedef struct tl__headings {
    char **items;
    size_t n;
} tl__headings;

void tl__headings_init(tl__headings *h);
/* Keeps a copy of s[0..n) (at most TL_MAX_SECTIONS are kept). */
TL_MUST_CHECK tl_err tl__headings_add(tl__headings *h, const char *s, size_t n);
void tl__headings_free(tl__headings *h);

/* Reads the lines a binary reader extracted (text[0..n)) with the
 * plain-text reader, then restores the headings' case. `what` ("PDF",
 * "DOCX") prefixes error messages. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl__read_lines(const char *text, size_t n, const tl__headings *h,
                                    const char *what, tl_resume **out, tl_doc_error *err);

#endif
