/* Internals shared by the files of the doc module (resume.c and the format
 * readers and writers). Not part of the public contract: other modules use
 * doc/resume.h only. */
#ifndef TL_DOC_INT_H
#define TL_DOC_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "util/buf.h"
#include "util/err.h"

/* JSON Resume key of each entry slot for a section kind, never NULL (kinds
 * without such a key in the schema use "organization", "summary", "date").
 * Custom sections use name/organization/summary/date; the JSON reader and
 * writer also accept common aliases there ("title", "description"...). */
typedef struct tl__kind_keys {
    const char *title;
    const char *org;
    const char *summary;
    const char *date;
} tl__kind_keys;

const tl__kind_keys *tl__kind_keys_of(tl_section_kind k);

/* Fills err (may be NULL) with a one-line message and a line (0: unknown).
 * Always returns code, so a reader can write `return tl__doc_fail(...)`. */
tl_err tl__doc_fail(tl_doc_error *err, tl_err code, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Readers: parse p[0..n) (already checked for size and UTF-8) into r. */
TL_MUST_CHECK tl_err tl__json_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);
TL_MUST_CHECK tl_err tl__markdown_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);
TL_MUST_CHECK tl_err tl__text_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);

/* Writers: append the rendering of r to b. */
TL_MUST_CHECK tl_err tl__json_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__markdown_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__text_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__html_write(const tl_resume *r, tl_buf *b);

/* ---- helpers shared by the line-based readers (markdown.c, text.c) ---- */

/* A slice of the input. */
typedef struct tl__span {
    const char *p;
    size_t n;
} tl__span;

/* The section kind a heading names ("Work Experience" -> WORK, "Profile" ->
 * the summary pseudo-kind). Returns true and sets *kind when known; *summary
 * is set when the heading names the basics summary. */
bool tl__heading_kind(const char *p, size_t n, tl_section_kind *kind, bool *summary);

/* Splits "Title — Org (dates)" style lines. Each output span may be empty. */
typedef struct tl__entry_head {
    tl__span title, org, location, start, end, date;
    bool present; /* the end date said "Present"/"Current" */
} tl__entry_head;

/* Finds a date range or a single date at the end of s ("Jan 2022 – Present",
 * "(2019)", "| March 2021 - Present", ", 2018"); on success narrows *s to
 * what precedes it and fills h->start/end (range) or h->date (single). */
bool tl__take_dates(tl__span *s, tl__entry_head *h);

/* True when s[0..n) looks like a date range or a single date. */
bool tl__looks_like_dates(const char *p, size_t n);

/* Splits s on the first entry separator (" — ", " – ", " - ", " | ",
 * " at ", ", "): a and b get the parts. sep_out (may be NULL) tells which. */
bool tl__split_head(tl__span s, tl__span *a, tl__span *b);

/* Sets an entry slot from a span (trimmed; empty leaves it NULL). */
TL_MUST_CHECK tl_err tl__set_span(tl_resume *r, char **slot, tl__span s);

/* Contact line parts: detects email, phone, url/linkedin, location, label. */
TL_MUST_CHECK tl_err tl__contact_part(tl_resume *r, tl__span part, bool *used);

/* Splits skills keywords on commas outside parentheses and adds each
 * (trimmed, non-empty) as a bullet of e. */
TL_MUST_CHECK tl_err tl__add_keywords(tl_resume *r, tl_entry *e, tl__span s);

/* Fills a certificate entry from "Name (2021)", "Name, Issuer, 2022",
 * "Name — Issuer (2021)". */
TL_MUST_CHECK tl_err tl__parse_certificate(tl_resume *r, tl_entry *e, tl__span s);

/* Date range text as written back: "Jan 2022 – Present". Appends nothing
 * when the entry has no dates. sep is the range separator. */
TL_MUST_CHECK tl_err tl__put_dates(tl_buf *b, const tl_entry *e, const char *sep);

/* True when r has nothing recognisable (no name, no sections with content,
 * no bullets, no summary). */
bool tl__resume_is_empty(const tl_resume *r);

#endif
