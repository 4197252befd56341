/* PDF: the writer's documents (both templates, A4 and US Letter) read back
 * with every role, date and bullet, and so does their pdftotext text;
 * fonts are embedded; documents LibreOffice wrote are read; running
 * headers, footers and page numbers are dropped; malformed, oversized and
 * empty files are refused with a clear message. */
#include "test_documents_common.h"

#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <poppler.h>

#include "doc/pdf.h"

static tl_resume *pdf_back(const char *data, size_t len)
{
    tl_resume *b = NULL;
    tl_doc_error err;
    tl_err e = tl_pdf_read(data, len, &b, &err);
    if (e)
        print_error("pdf read: %s\n", err.message);
    assert_int_equal(e, TL_OK);
    return b;
}

static void page_size(const char *d, size_t n, double *w, double *h, int *pages)
{
    GBytes *bytes = g_bytes_new(d, n);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
    g_bytes_unref(bytes);
    assert_non_null(doc);
    *pages = poppler_document_get_n_pages(doc);
    PopplerPage *p = poppler_document_get_page(doc, 0);
    poppler_page_get_size(p, w, h);
    g_object_unref(p);
    g_object_unref(doc);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const tl_pdf_opts opts[] = {{TL_PDF_A4, TL_PDF_CLASSIC},
                                       {TL_PDF_LETTER, TL_PDF_CLASSIC},
                                       {TL_PDF_A4, TL_PDF_TWO_COLUMN},
                                       {TL_PDF_LETTER, TL_PDF_TWO_COLUMN}};
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        tl_resume *r = td_fixture(td_fixtures[i]);
        tl_resume *t = td_text_round_trip(r);
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
            char *d = NULL;
            size_t n = 0;
            assert_int_equal(tl_pdf_write(r, &opts[k], &d, &n), TL_OK);
            assert_true(tl_pdf_sniff(d, n));
            double w, h;
            int pages;
            page_size(d, n, &w, &h, &pages);
            assert_true(pages >= 1 && pages <= 2);
            if (opts[k].paper == TL_PDF_A4) {
                assert_true(w > 595 && w < 596 && h > 841 && h < 842);
            } else {
                assert_true(w == 612 && h == 792);
            }
            /* DejaVu Sans, embedded */
            assert_non_null(memmem(d, n, "DejaVuSans", 10));
            assert_non_null(memmem(d, n, "/FontFile", 9));
            tl_resume *b = pdf_back(d, n);
            char what[128];
            snprintf(what, sizeof what, "%s (template %d, paper %d)", td_fixtures[i], opts[k].tmpl,
                     opts[k].paper);
            assert_string_equal(b->basics.name, r->basics.name);
            td_assert_survives(r, b, what);
            td_assert_survives(t, b, what);
            tl_resume_free(b);
            free(d);
        }
        tl_resume_free(t);
        tl_resume_free(r);
    }
}

/* What pdftotext extracts from the single-column template reads back
 * through the plain-text reader with every bullet intact (in its section:
 * pdftotext's paragraph breaks are its own). */
static void test_pdftotext(void **state)
{
    (void)state;
    td_need_tool("pdftotext", "poppler-utils");
    char dir[] = "/tmp/tl_pdf_XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        tl_resume *r = td_fixture(td_fixtures[i]);
        char *d = NULL;
        size_t n = 0;
        assert_int_equal(tl_pdf_write(r, NULL, &d, &n), TL_OK);
        char pdf[600], txt[600], cmd[1400];
        snprintf(pdf, sizeof pdf, "%s/r.pdf", dir);
        snprintf(txt, sizeof txt, "%s/r.txt", dir);
        assert_int_equal(tl_file_write(pdf, d, n), TL_OK);
        free(d);
        snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s %s", pdf, txt);
        assert_int_equal(system(cmd), 0);
        size_t tn;
        char *t = NULL;
        assert_int_equal(tl_file_read(txt, 1u << 20, &t, &tn), TL_OK);
        tl_resume *b = NULL;
        tl_doc_error err;
        tl_err e = tl_resume_parse(t, tn, TL_FORMAT_TEXT, &b, &err);
        if (e)
            print_error("%s: %s\n", td_fixtures[i], err.message);
        assert_int_equal(e, TL_OK);
        /* every bullet is in the text, whole */
        for (size_t s = 0; s < r->n_sections; s++) {
            const tl_section *sec = &r->sections[s];
            if (sec->kind == TL_SEC_SKILLS || sec->kind == TL_SEC_INTERESTS)
                continue;
            for (size_t k = 0; k < sec->n_entries; k++)
                for (size_t m = 0; m < sec->entries[k].n_bullets; m++) {
                    const char *want = sec->entries[k].bullets[m];
                    int bi = tl_resume_section_index(b, sec->key);
                    assert_true(bi >= 0);
                    /* pdftotext's own paragraph breaks may split an entry's head
                     * differently; the bullet stays whole, in its section */
                    bool found = false;
                    const tl_section *bs = &b->sections[bi];
                    for (size_t x = 0; x < bs->n_entries; x++)
                        for (size_t q = 0; q < bs->entries[x].n_bullets; q++)
                            found = found || strcmp(bs->entries[x].bullets[q], want) == 0;
                    if (!found)
                        print_error("%s: bullet lost in pdftotext: %s\n", td_fixtures[i], want);
                    assert_true(found);
                }
        }
        tl_resume_free(b);
        free(t);
        tl_resume_free(r);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Documents LibreOffice wrote (tests/data/documents/make.sh) from tailor's
 * HTML of each fixture resume: every role, bullet, skill and education
 * entry is read back into its section, as the resume the page shows
 * (NAME.lo.json) has it. */
static void test_libreoffice_fixtures(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"documents/maria-lopez.lo.pdf", "documents/maria-lopez.lo.json"},
        {"documents/sam-okafor.lo.pdf", "documents/sam-okafor.lo.json"},
        {"documents/alex-chen.lo.pdf", "documents/alex-chen.lo.json"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t n;
        char *d = td_read(pairs[i][0], TL_PDF_MAX_BYTES, &n);
        tl_resume *b = pdf_back(d, n);
        tl_resume *r = td_fixture(pairs[i][1]);
        td_assert_same_content(r, b, pairs[i][0]);
        assert_int_equal(tl_resume_bullet_count(b), tl_resume_bullet_count(r));
        tl_resume_free(r);
        tl_resume_free(b);
        free(d);
    }
}

/* Where s is in text, or fails the test. */
static size_t text_at(const char *text, const char *s)
{
    const char *p = strstr(text, s);
    if (!p)
        print_error("not in the text: %s\n", s);
    assert_non_null(p);
    return (size_t)(p - text);
}

/* A two-column page LibreOffice set (tests/data/documents/make.sh, a
 * section of two columns, no table): the work history in the wide left
 * column, a sidebar on the right. The reader reads the whole left column,
 * then the sidebar; no line of one ends up among the other's. */
static void test_libreoffice_two_column(void **state)
{
    (void)state;
    size_t n;
    char *d = td_read("documents/alex-chen-two-column.lo.pdf", TL_PDF_MAX_BYTES, &n);
    tl_resume *r = td_fixture("documents/alex-chen.lo.json");
    char *text = NULL;
    size_t tn;
    tl_doc_error err;
    assert_int_equal(tl_pdf_text(d, n, &text, &tn, &err), TL_OK);
    size_t side = text_at(text, "\nSkills\n");
    /* the left column, every bullet before the sidebar's first heading */
    static const tl_section_kind left[] = {TL_SEC_WORK, TL_SEC_PROJECTS};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        const tl_section *s = tl_resume_find_section(r, left[i]);
        for (size_t k = 0; k < s->n_entries; k++)
            for (size_t m = 0; m < s->entries[k].n_bullets; m++)
                assert_true(text_at(text, s->entries[k].bullets[m]) < side);
    }
    /* the sidebar after it, whole */
    assert_true(text_at(text, "Languages: Go, Java, Python") > side);
    assert_true(text_at(text, "University of California, Davis") > side);
    assert_true(text_at(text, "Mandarin (Professional)") > side);
    free(text);
    tl_resume *b = pdf_back(d, n);
    const char *what = "alex-chen-two-column.lo.pdf";
    assert_string_equal(b->basics.name, r->basics.name);
    static const tl_section_kind whole[] = {TL_SEC_WORK, TL_SEC_SKILLS, TL_SEC_EDUCATION,
                                            TL_SEC_LANGUAGES};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        td_assert_section(tl_resume_find_section(r, whole[i]), b, true, what);
    /* a project's one-line description under its name reads as its
     * organisation: only its bullets are compared */
    td_assert_section(tl_resume_find_section(r, TL_SEC_PROJECTS), b, false, what);
    assert_int_equal(tl_resume_bullet_count(b), tl_resume_bullet_count(r));
    tl_resume_free(b);
    tl_resume_free(r);
    free(d);
}

/* ---- PDFs made here with cairo's toy text API ---- */

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int n)
{
    tl_buf *b = closure;
    return tl_buf_append(b, data, n) == TL_OK ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

typedef struct line {
    int page;
    double x, y, size;
    const char *text;
} line;

static char *make_pdf(const line *lines, size_t count, int pages, size_t *len)
{
    tl_buf b;
    tl_buf_init(&b, 1u << 24);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, &b, 595, 842);
    cairo_t *cr = cairo_create(s);
    /* Pango, as the writer uses it (cairo's toy font API keeps fontconfig
     * patterns that leak checkers see) */
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *ctx = pango_font_map_create_context(fm);
    pango_cairo_update_context(cr, ctx);
    pango_cairo_context_set_resolution(ctx, 72.0);
    for (int p = 0; p < pages; p++) {
        for (size_t i = 0; i < count; i++) {
            if (lines[i].page != p && lines[i].page != -1)
                continue;
            char text[128];
            snprintf(text, sizeof text, lines[i].text, p + 1, pages);
            PangoLayout *l = pango_layout_new(ctx);
            PangoFontDescription *fd = pango_font_description_new();
            pango_font_description_set_family(fd, "DejaVu Sans");
            pango_font_description_set_size(fd, (int)(lines[i].size * PANGO_SCALE));
            pango_layout_set_font_description(l, fd);
            pango_font_description_free(fd);
            pango_layout_set_text(l, text, -1);
            cairo_move_to(cr, lines[i].x, lines[i].y);
            pango_cairo_show_layout_line(cr, pango_layout_get_line_readonly(l, 0));
            g_object_unref(l);
        }
        cairo_show_page(cr);
    }
    g_object_unref(ctx);
    g_object_unref(fm);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    char *out = NULL;
    assert_int_equal(tl_buf_take(&b, &out, len), TL_OK);
    tl_buf_free(&b);
    return out;
}

static void test_running_headers(void **state)
{
    (void)state;
    static const line lines[] = {
        {-1, 50, 30, 8, "Jane Doe - Resume"},
        {-1, 280, 820, 8, "Page %d of %d"},
        {0, 50, 90, 20, "Jane Doe"},
        {0, 50, 115, 10, "jane@example.com | 555-0100"},
        {0, 50, 150, 13, "Experience"},
        {0, 50, 175, 10, "Engineer"},
        {0, 50, 190, 10, "Acme Inc | 2020 - Present"},
        {0, 50, 205, 10, "\xe2\x80\xa2 Built the billing service"},
        {1, 50, 90, 10, "\xe2\x80\xa2 Ran the on-call rotation"},
        {1, 50, 130, 13, "Education"},
        {1, 50, 155, 10, "BS in Physics, State University, 2019"},
    };
    size_t n;
    char *d = make_pdf(lines, sizeof lines / sizeof lines[0], 2, &n);
    char *text = NULL;
    size_t tn;
    tl_doc_error err;
    assert_int_equal(tl_pdf_text(d, n, &text, &tn, &err), TL_OK);
    assert_null(strstr(text, "Resume"));
    assert_null(strstr(text, "Page"));
    free(text);
    tl_resume *r = pdf_back(d, n);
    assert_string_equal(r->basics.name, "Jane Doe");
    const tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_non_null(w);
    assert_int_equal(w->n_entries, 1);
    assert_string_equal(w->entries[0].org, "Acme Inc");
    assert_int_equal(w->entries[0].n_bullets, 2);
    assert_string_equal(w->entries[0].bullets[1], "Ran the on-call rotation");
    assert_non_null(tl_resume_find_section(r, TL_SEC_EDUCATION));
    tl_resume_free(r);
    free(d);
}

/* The name at the top of the first page, repeated small as a running
 * header on the second, stays the name. */
static void test_name_as_header(void **state)
{
    (void)state;
    static const line lines[] = {
        {0, 50, 45, 20, "Jane Doe"},
        {1, 50, 30, 8, "Jane Doe"},
        {0, 50, 90, 10, "jane@example.com | 555-0100"},
        {0, 50, 130, 13, "Experience"},
        {0, 50, 155, 10, "Engineer"},
        {0, 50, 170, 10, "Acme Inc | 2020 - Present"},
        {0, 50, 185, 10, "\xe2\x80\xa2 Built the billing service"},
        {1, 50, 90, 10, "\xe2\x80\xa2 Ran the on-call rotation"},
    };
    size_t n;
    char *d = make_pdf(lines, sizeof lines / sizeof lines[0], 2, &n);
    tl_resume *r = pdf_back(d, n);
    assert_string_equal(r->basics.name, "Jane Doe");
    assert_string_equal(r->basics.email, "jane@example.com");
    const tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_non_null(w);
    assert_int_equal(w->entries[0].n_bullets, 2);
    tl_resume_free(r);
    free(d);
}

static void expect_refusal(const char *d, size_t n, tl_err want, const char *msg_part)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_pdf_read(d, n, &r, &err);
    if (e != want || !strstr(err.message, msg_part))
        print_error("got %d '%s', want %d '%s'\n", e, err.message, want, msg_part);
    assert_int_equal(e, want);
    assert_null(r);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_refusal("", 0, TL_EEMPTY, "empty");
    expect_refusal("hello", 5, TL_EFORMAT, "not a PDF");
    const char junk[] = "%PDF-1.7\nthis is not a pdf at all\n";
    expect_refusal(junk, sizeof junk - 1, TL_EFORMAT, "damaged");
    /* too large */
    size_t big = TL_PDF_MAX_BYTES + 1;
    char *d = calloc(1, big);
    memcpy(d, "%PDF-1.4", 8);
    expect_refusal(d, big, TL_ETOOBIG, "limit");
    free(d);
    /* too many pages */
    static const line one[] = {{-1, 50, 90, 10, "Page %d of %d"}};
    size_t n;
    d = make_pdf(one, 1, TL_PDF_MAX_PAGES + 1, &n);
    expect_refusal(d, n, TL_ETOOBIG, "pages");
    free(d);
    /* no text (a scanned page) */
    d = make_pdf(one, 0, 1, &n);
    expect_refusal(d, n, TL_EEMPTY, "no text");
    free(d);
    /* truncated */
    tl_resume *r = td_fixture("maria-lopez.md");
    assert_int_equal(tl_pdf_write(r, NULL, &d, &n), TL_OK);
    tl_resume *b = NULL;
    tl_doc_error err;
    tl_err e = tl_pdf_read(d, n / 3, &b, &err);
    /* poppler may recover part of a cut file; either way nothing is lost
     * silently: a refusal says why */
    if (e != TL_OK)
        assert_true(err.message[0] != '\0');
    tl_resume_free(b);
    free(d);
    tl_resume_free(r);
}

static void test_letter_text(void **state)
{
    (void)state;
    const char *letter = "Jane Doe\njane@example.com\n\nDear Hiring Manager,\n\nI am writing "
                         "about the role.\n\nSincerely,\nJane Doe\n";
    char *d = NULL;
    size_t n = 0;
    tl_pdf_opts o = {TL_PDF_LETTER, TL_PDF_CLASSIC};
    assert_int_equal(tl_pdf_write_text(letter, strlen(letter), &o, &d, &n), TL_OK);
    char *text = NULL;
    size_t tn;
    tl_doc_error err;
    assert_int_equal(tl_pdf_text(d, n, &text, &tn, &err), TL_OK);
    assert_non_null(strstr(text, "Dear Hiring Manager,"));
    assert_non_null(strstr(text, "Sincerely,"));
    free(text);
    free(d);
    tl_pdf_template t;
    tl_pdf_paper p;
    assert_int_equal(tl_pdf_template_parse("two-column", &t), TL_OK);
    assert_int_equal(t, TL_PDF_TWO_COLUMN);
    assert_int_equal(tl_pdf_paper_parse("Letter", &p), TL_OK);
    assert_int_equal(p, TL_PDF_LETTER);
    assert_int_equal(tl_pdf_paper_parse("a5", &p), TL_EINVAL);
}

static int teardown(void **state)
{
    (void)state;
    tl_pdf_cleanup();
    return 0;
}

/* Under LeakSanitizer: fontconfig keeps its configuration for the life of
 * the process once Pango loaded fonts (see tests/lsan.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pdftotext),
        cmocka_unit_test(test_libreoffice_fixtures),
        cmocka_unit_test(test_libreoffice_two_column),
        cmocka_unit_test(test_running_headers),
        cmocka_unit_test(test_name_as_header),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_letter_text),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
