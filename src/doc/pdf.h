/* PDF resumes: reader (poppler) and writer (Cairo + Pango).
 *
 * Reading extracts each page's text in reading order with the size and
 * weight of its fonts; lines set larger than the body text (or bold and
 * naming a known section) are section headings, lines opening with a
 * bullet glyph are bullets, lines wrapped by the layout are joined again,
 * and text repeated at the top or bottom of every page (running headers,
 * footers, page numbers) is dropped. The lines then go through the
 * plain-text reader's section detection. Columns come out one after the
 * other, as poppler's reading order finds them.
 *
 * Writing typesets the resume on A4 or US Letter with DejaVu Sans (found
 * through fontconfig, embedded as a subset), with selectable text, in one
 * of two templates: CLASSIC (one column, ATS-friendly) or TWO_COLUMN (the
 * name across the top, skills, education and certificates in a sidebar,
 * experience in the main column).
 *
 * Threads: reading may run on any thread; writing uses Pango and fontconfig,
 * whose shared caches are thread-safe in the versions tailor builds with. */
#ifndef TL_PDF_H
#define TL_PDF_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "util/err.h"

#define TL_PDF_MAX_BYTES (10u * 1024u * 1024u)
#define TL_PDF_MAX_PAGES 20

/* True when p[0..n) starts like a PDF file ("%PDF-"). */
bool tl_pdf_sniff(const void *p, size_t n);

/* Reads a PDF file held in p[0..n). On success *out is a new resume (its
 * format is TEXT) that the caller frees. Errors: TL_ETOOBIG (over
 * TL_PDF_MAX_BYTES or TL_PDF_MAX_PAGES), TL_EFORMAT (not a PDF, damaged,
 * encrypted), TL_EEMPTY (no text: a scanned image), TL_ENOMEM; err (may
 * be NULL) says what is wrong. On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_pdf_read(const void *p, size_t n, tl_resume **out, tl_doc_error *err);

/* The lines the reader feeds to the text reader (headings upper-cased,
 * bullets as "• text", wrapped lines joined). *out is malloc'd and
 * NUL-terminated; the caller frees it. */
TL_MUST_CHECK tl_err tl_pdf_text(const void *p, size_t n, char **out, size_t *len,
                                 tl_doc_error *err);

typedef enum tl_pdf_paper { TL_PDF_A4 = 0, TL_PDF_LETTER } tl_pdf_paper;
typedef enum tl_pdf_template { TL_PDF_CLASSIC = 0, TL_PDF_TWO_COLUMN } tl_pdf_template;

typedef struct tl_pdf_opts {
    tl_pdf_paper paper;   /* default A4 */
    tl_pdf_template tmpl; /* default CLASSIC */
} tl_pdf_opts;

/* "classic", "two-column" (also "two_column", "2col"); TL_EINVAL else. */
TL_MUST_CHECK tl_err tl_pdf_template_parse(const char *s, tl_pdf_template *out);
/* "a4", "letter" (also "us-letter"); TL_EINVAL else. */
TL_MUST_CHECK tl_err tl_pdf_paper_parse(const char *s, tl_pdf_paper *out);

/* Typesets r into a malloc'd PDF *out of *len bytes that the caller frees.
 * o may be NULL (defaults). On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_pdf_write(const tl_resume *r, const tl_pdf_opts *o, char **out,
                                  size_t *len);

/* Typesets a plain letter (paragraphs separated by blank lines, line
 * breaks kept) in the CLASSIC style. Same ownership as tl_pdf_write. */
TL_MUST_CHECK tl_err tl_pdf_write_text(const char *text, size_t n, const tl_pdf_opts *o, char **out,
                                       size_t *len);

/* Frees Pango's default font map, for leak checkers at the end of a
 * program. fontconfig keeps its configuration for the life of the process
 * (a few hundred bytes that LeakSanitizer reports: tests/lsan.supp). */
void tl_pdf_cleanup(void);

#endif
