/* Word (DOCX, Office Open XML) resumes: reader and writer.
 *
 * Reading takes word/document.xml (and word/styles.xml for style names) out
 * of the zip archive: paragraphs in order (table cells included, deleted
 * text and field codes left out) with their styles: Title is the name,
 * Heading 1-3 (or an outline level) are section headings and entry titles,
 * List Paragraph / List Bullet and numbered paragraphs (w:numPr) are
 * bullets; a short all-bold paragraph that names a known section is a
 * heading too. The paragraphs then go through the plain-text reader's
 * section detection, so a DOCX reads like the same resume in plain text.
 *
 * Writing makes a clean, ATS-friendly document: real heading styles
 * (Title, Heading 1, Heading 2), real bullet lists (numbering.xml), no
 * tables, text boxes or images; one column.
 *
 * Limits: the file at most TL_DOCX_MAX_BYTES; at most TL_DOCX_MAX_ENTRIES
 * zip entries; no entry over TL_DOCX_MAX_ENTRY_BYTES uncompressed and all
 * of them together at most TL_DOCX_MAX_TOTAL_BYTES (zip bombs are refused
 * before anything is inflated, and inflation stops at the limit whatever
 * the archive claims).
 *
 * Threads: every function may be called from any thread. */
#ifndef TL_DOCX_H
#define TL_DOCX_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "util/err.h"

#define TL_DOCX_MAX_BYTES (10u * 1024u * 1024u)
#define TL_DOCX_MAX_ENTRIES 2000
#define TL_DOCX_MAX_ENTRY_BYTES (16u * 1024u * 1024u)
#define TL_DOCX_MAX_TOTAL_BYTES (64u * 1024u * 1024u)

/* True when p[0..n) starts like a zip archive ("PK\3\4"). */
bool tl_docx_sniff(const void *p, size_t n);

/* Reads a DOCX file held in p[0..n). On success *out is a new resume (its
 * format is TEXT: what it was read through) that the caller frees.
 * Errors: TL_ETOOBIG (file or archive limits), TL_EFORMAT (not a zip, not
 * a Word document, bad XML), TL_EEMPTY (no text), TL_ENOMEM; err (may be
 * NULL) says what is wrong. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_docx_read(const void *p, size_t n, tl_resume **out, tl_doc_error *err);

/* The paragraphs of a DOCX file as plain text, one line per paragraph
 * (bullets as "• text", headings upper-cased), as fed to the text reader.
 * *out is malloc'd and NUL-terminated; the caller frees it. */
TL_MUST_CHECK tl_err tl_docx_text(const void *p, size_t n, char **out, size_t *len,
                                  tl_doc_error *err);

typedef struct tl_docx_opts {
    bool letter; /* US Letter; default (false) A4 */
} tl_docx_opts;

/* Writes r as a DOCX file into a malloc'd buffer *out of *len bytes that
 * the caller frees. o may be NULL (defaults). On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_docx_write(const tl_resume *r, const tl_docx_opts *o, char **out,
                                   size_t *len);

/* Writes a plain letter: paragraphs are separated by blank lines, the
 * lines of one paragraph are kept apart (line breaks). Same ownership as
 * tl_docx_write. */
TL_MUST_CHECK tl_err tl_docx_write_text(const char *text, size_t n, const tl_docx_opts *o,
                                        char **out, size_t *len);

#endif
