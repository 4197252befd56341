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

/* True when r has nothing recognisable: no entries, no summary, no contact
 * details, and (JSON only) no name. */
bool tl__resume_is_empty(const tl_resume *r);

/* Readers: parse p[0..n) (already checked for size and UTF-8) into r. */
TL_MUST_CHECK tl_err tl__json_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);
TL_MUST_CHECK tl_err tl__markdown_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);
TL_MUST_CHECK tl_err tl__text_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err);

/* Writers: append the rendering of r to b. */
TL_MUST_CHECK tl_err tl__json_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__markdown_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__text_write(const tl_resume *r, tl_buf *b);
TL_MUST_CHECK tl_err tl__html_write(const tl_resume *r, tl_buf *b);

/* ======================================================================
 * The line grammar shared by the Markdown and plain-text readers
 * (implemented in text.c). Both formats say the same things with
 * different markup: headings name sections, entry heads carry a title, an
 * organisation, a location and dates, list items are bullets, skills
 * groups or certificates depending on the section.
 * ====================================================================== */

/* A slice of the input. */
typedef struct tl__span {
    const char *p;
    size_t n;
} tl__span;

tl__span tl__span_trim(tl__span s);
/* Drops leading separators ("—", "–", "-", "|", ",", ":", "·") and spaces. */
tl__span tl__strip_leading_seps(tl__span s);

/* The parts of an entry head ("Title — Org, City, ST (Jan 2022 – Present)").
 * Spans are empty when absent. */
typedef struct tl__entry_head {
    tl__span title, org, location, start, end, date;
    bool present; /* the range ended in "Present", "Current"... */
} tl__entry_head;

/* The section kind a heading names. loose also accepts headings that merely
 * contain a kind's word ("Leadership Experience"); strict needs a known
 * heading ("Work History"). *summary is set when it names the basics
 * summary ("Professional Summary", "Profile"); then *kind is meaningless. */
bool tl__heading_kind(tl__span s, bool loose, tl_section_kind *kind, bool *summary);

/* Finds a date range or single date at the end of *s ("Jan 2022 – Present",
 * "(2019)", "| March 2021 - Present", ", 2018"); on success narrows *s to
 * what precedes it (separators dropped) and fills h's dates. */
bool tl__take_dates(tl__span *s, tl__entry_head *h);
/* True when all of s is a date range or a single date. */
bool tl__is_dates(tl__span s);

/* One-line entry head, and the two-line form ("Title, Unit" then
 * "Org, City, ST | dates"). The kind steers education and swap rules. */
void tl__parse_head(tl__span s, tl_section_kind kind, tl__entry_head *h);
void tl__parse_head2(tl__span l1, tl__span l2, tl_section_kind kind, tl__entry_head *h);

/* The organisation line of an entry ("Org, City, ST | March 2021 -
 * Present", "Org — City"): fills h->org, h->location and, when h has no
 * dates yet, its dates. */
void tl__parse_org_line(tl__span s, tl__entry_head *h);
/* Whether "a — b" reads the other way round ("Company — Title"). */
bool tl__swapped(tl__span a, tl__span b, tl_section_kind kind);
/* A URL, with or without scheme ("linkedin.com/in/x"). */
bool tl__is_url(tl__span s);
/* Prose rather than a head line: long, or a sentence. */
bool tl__prose(tl__span s);

/* True when the line opens with a list marker ("- ", "* ", "• ", "1. ");
 * *rest gets the item text. */
bool tl__bullet(tl__span line, tl__span *rest);

/* What a line reader has collected but not yet stored. */
typedef enum tl__pend {
    TL__PEND_NONE,
    TL__PEND_SUMMARY,       /* basics.summary text */
    TL__PEND_ENTRY_SUMMARY, /* an entry's summary */
    TL__PEND_ITEM           /* a list item, dispatched by section kind */
} tl__pend;

/* State of a line reader. Sections and entries are held by index, since
 * adding one may move the arrays. A list item and summary text are
 * collected apart (continuation lines join them) and stored when complete. */
typedef struct tl__lines {
    tl_resume *r;
    tl_doc_error *err;
    int line;           /* 1-based line being read, for messages */
    int sec;            /* current section, -1 before the first */
    bool in_summary;    /* under a summary heading */
    int ent;            /* current entry of sec, -1 when none */
    bool ent_from_item; /* that entry was made from a list item */
    tl__pend pend;      /* NONE or ITEM: buf holds a list item */
    tl_buf buf;
    tl__pend text_pend; /* NONE, SUMMARY or ENTRY_SUMMARY: text holds it */
    int text_sec, text_ent;
    tl_buf text;
    bool para_break;    /* a blank line since the last text line */
    bool md;            /* clean Markdown inline markup (**bold**, \x) */
} tl__lines;

void tl__lines_init(tl__lines *L, tl_resume *r, tl_doc_error *err, bool md);
/* Stores what is pending and releases the reader's buffer. */
TL_MUST_CHECK tl_err tl__lines_finish(tl__lines *L);
void tl__lines_free(tl__lines *L);
TL_MUST_CHECK tl_err tl__lines_flush(tl__lines *L);
/* True when an item or summary text is collected but not yet stored. */
bool tl__lines_pending(const tl__lines *L);

/* The kind of the current section (TL_SEC_COUNT_ before the first). */
tl_section_kind tl__lines_kind(const tl__lines *L);
/* The current entry, or NULL. Valid until the next structural call. */
tl_entry *tl__lines_entry_ptr(const tl__lines *L);

/* Opens the section a heading names (custom when unknown); a second heading
 * of a kind already seen continues that section. */
TL_MUST_CHECK tl_err tl__lines_section(tl__lines *L, tl__span heading, bool loose);
/* Starts an entry of the current section from a parsed head. */
TL_MUST_CHECK tl_err tl__lines_entry(tl__lines *L, const tl__entry_head *h);
/* Fills empty slots of the current entry from a further head line. */
TL_MUST_CHECK tl_err tl__lines_entry_more(tl__lines *L, const tl__entry_head *h);
/* Starts a list item (a bullet, a skills line, a certificate line). */
TL_MUST_CHECK tl_err tl__lines_item(tl__lines *L, tl__span text);
/* Appends a continuation line to what is pending. */
TL_MUST_CHECK tl_err tl__lines_continue(tl__lines *L, tl__span text);
/* A paragraph line: basics summary, entry summary, or an item. */
TL_MUST_CHECK tl_err tl__lines_text(tl__lines *L, tl__span text);
/* A blank line. */
TL_MUST_CHECK tl_err tl__lines_blank(tl__lines *L);
/* A line before the first section: name, label, contact details. */
TL_MUST_CHECK tl_err tl__lines_header(tl__lines *L, tl__span line);

/* ---- writer helpers ---- */

/* "Jan 2022 – Present", "2019", "2016-07 – 2018-05" (sep between the two
 * dates). Appends nothing when the entry has no dates. */
TL_MUST_CHECK tl_err tl__put_dates(tl_buf *b, const tl_entry *e, const char *sep);
bool tl__entry_has_dates(const tl_entry *e);
/* Education: "studyType in area" when the entry has an area field. */
TL_MUST_CHECK tl_err tl__put_title(tl_buf *b, const tl_section *s, const tl_entry *e);
/* True when a section's entries are written as one-line list items rather
 * than with entry heads (certificates, awards... that have no bullets). */
bool tl__section_as_list(const tl_section *s);
/* One list item: "Name<sep>Issuer (date)" ("Name<sep>Issuer, date" unless
 * paren_dates); languages "English (Native)"; references "Name — text". */
TL_MUST_CHECK tl_err tl__put_list_item(tl_buf *b, const tl_section *s, const tl_entry *e,
                                       const char *sep, bool paren_dates);
/* The contact parts of basics in order: location, email, phone, url,
 * profile urls; calls put for each. */
TL_MUST_CHECK tl_err tl__put_contacts(tl_buf *b, const tl_basics *bs, const char *sep);

#endif
