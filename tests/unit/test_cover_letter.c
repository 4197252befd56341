/* Cover letters: each fixture resume against each job names the role and
 * the company, ties matched keywords to the resume's own achievements,
 * passes the fact guard paragraph by paragraph, fits one page, and renders
 * as text, Markdown, DOCX and PDF. */
#include "test_documents_common.h"

#include <ctype.h>

#include <poppler.h>

#include "doc/docx.h"
#include "doc/job.h"
#include "doc/pdf.h"
#include "tailor/cover_letter.h"
#include "tailor/guard.h"
#include "util/str.h"

static const char *const jobs[] = {"senior-backend-engineer.txt", "analytics-engineer.txt",
                                   "icu-registered-nurse.txt", "product-marketing-manager.txt"};

static tl_terms *terms;

static int setup(void **state)
{
    (void)state;
    return tl_terms_load_default(&terms) == TL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tl_terms_free(terms);
    tl_pdf_cleanup();
    return 0;
}

static tl_job *load_job(const char *name)
{
    size_t n;
    char *p = td_read(name, 1u << 20, &n);
    tl_job *j = NULL;
    tl_doc_error err;
    assert_int_equal(tl_job_parse(p, n, terms, &j, &err), TL_OK);
    free(p);
    return j;
}

/* The paragraph with what the letter addresses (role, company) and the
 * pronoun "I" set aside, as the writer checks it. */
static char *masked(const tl_cover_letter *l, const char *p)
{
    tl_buf b;
    tl_buf_init(&b, 1u << 20);
    const char *what[2] = {l->role, l->company};
    const char *with[2] = {"the role", "the company"};
    size_t n = strlen(p);
    for (size_t i = 0; i < n;) {
        bool hit = false;
        for (int k = 0; k < 2 && !hit; k++) {
            size_t wn = what[k] ? strlen(what[k]) : 0;
            if (wn && i + wn <= n && tl_str_ieqn(p + i, wn, what[k], wn)) {
                assert_int_equal(tl_buf_puts(&b, with[k]), TL_OK);
                i += wn;
                hit = true;
            }
        }
        if (hit)
            continue;
        char c = p[i];
        if (c == 'I' && (i == 0 || !tl_is_word_byte((unsigned char)p[i - 1])) &&
            (i + 1 == n || !tl_is_word_byte((unsigned char)p[i + 1])))
            c = 'i';
        assert_int_equal(tl_buf_putc(&b, c), TL_OK);
        i++;
    }
    char *out = NULL;
    assert_int_equal(tl_buf_take(&b, &out, NULL), TL_OK);
    tl_buf_free(&b);
    return out;
}

static void check_letter(const tl_resume *r, const tl_job *j, const tl_cover_letter *l,
                         const char *what, bool matching)
{
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(tl_cover_letter_render(l, TL_FORMAT_TEXT, &text, &n), TL_OK);
    /* names the role and the company */
    assert_non_null(l->role);
    assert_non_null(strstr(text, l->role));
    assert_non_null(j->company);
    assert_non_null(strstr(text, j->company));
    /* ties keywords the job asks for to the resume's achievements */
    if (matching && l->n_keywords < 2)
        print_error("%s: %zu keywords tied to achievements\n", what, l->n_keywords);
    assert_true(!matching || l->n_keywords >= 2);
    for (size_t i = 0; i < l->n_keywords; i++) {
        assert_non_null(tl_job_keyword(j, l->keywords[i]));
        assert_non_null(tl_str_ifind(text, n, l->keywords[i]));
    }
    /* one page */
    assert_true(l->words > 80);
    assert_true(l->words <= TL_LETTER_MAX_WORDS);
    /* signed with the resume's name, greeting and closing present */
    assert_non_null(strstr(text, r->basics.name));
    /* every paragraph of the body passes the fact guard (the header is
     * the resume's own contact block; greeting and sign-off are formulae) */
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(r, j, terms, &g), TL_OK);
    assert_true(l->n_paragraphs >= 5);
    for (size_t i = 2; i + 1 < l->n_paragraphs; i++) {
        char *m = masked(l, l->paragraphs[i]);
        tl_guard_finding f;
        tl_err e = tl_guard_check_text(g, m, strlen(m), &f);
        if (e)
            print_error("%s: guard rejects %s '%s' in: %s\n", what, tl_fact_kind_name(f.kind),
                        f.text, m);
        assert_int_equal(e, TL_OK);
        free(m);
    }
    tl_guard_free(g);
    free(text);
}

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        tl_resume *r = td_fixture(td_fixtures[i]);
        for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
            tl_job *j = load_job(jobs[k]);
            for (int tone = 0; tone < 2; tone++) {
                tl_cover_letter_opts o = {.tone = (tl_letter_tone)tone};
                tl_cover_letter *l = NULL;
                assert_int_equal(tl_cover_letter_write(r, j, terms, &o, &l), TL_OK);
                char what[160];
                snprintf(what, sizeof what, "%s for %s (%s)", td_fixtures[i], jobs[k],
                         tl_letter_tone_name(o.tone));
                /* td_fixtures[i] was written for jobs[i] */
                check_letter(r, j, l, what, i == k);
                tl_cover_letter_free(l);
            }
            tl_job_free(j);
        }
        tl_resume_free(r);
    }
}

/* The letter cites the resume's matching achievements word for word. */
static void test_achievements(void **state)
{
    (void)state;
    tl_resume *r = td_fixture("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_cover_letter *l = NULL;
    assert_int_equal(tl_cover_letter_write(r, j, terms, NULL, &l), TL_OK);
    char *text = NULL;
    size_t n;
    assert_int_equal(tl_cover_letter_render(l, TL_FORMAT_TEXT, &text, &n), TL_OK);
    assert_non_null(strstr(text, "Dear Hiring Manager,"));
    assert_non_null(strstr(text, "Senior Backend Engineer"));
    assert_non_null(strstr(text, "Northwind Financial"));
    assert_non_null(strstr(text, "At Lumen Payments, I "));
    assert_non_null(
        strstr(text, "event pipeline on kafka and postgres handling 25k events/second"));
    assert_non_null(strstr(text, "Sincerely,\nAlex Chen"));
    /* nothing from the job that the resume lacks: gRPC is asked for, not had */
    assert_null(strstr(text, "gRPC"));
    free(text);
    /* warm tone opens and closes differently */
    tl_cover_letter *w = NULL;
    tl_cover_letter_opts o = {.tone = TL_TONE_WARM};
    assert_int_equal(tl_cover_letter_write(r, j, terms, &o, &w), TL_OK);
    assert_int_equal(tl_cover_letter_render(w, TL_FORMAT_MARKDOWN, &text, &n), TL_OK);
    assert_true(strncmp(text, "# Alex Chen\n", 12) == 0);
    assert_non_null(strstr(text, "Hello Northwind Financial team,"));
    assert_non_null(strstr(text, "Warm regards,  \nAlex Chen"));
    free(text);
    tl_cover_letter_free(w);
    tl_cover_letter_free(l);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_documents(void **state)
{
    (void)state;
    tl_resume *r = td_fixture("maria-lopez.md");
    tl_job *j = load_job("analytics-engineer.txt");
    tl_cover_letter *l = NULL;
    assert_int_equal(tl_cover_letter_write(r, j, terms, NULL, &l), TL_OK);
    char *text = NULL, *d = NULL;
    size_t n, dn;
    assert_int_equal(tl_cover_letter_render(l, TL_FORMAT_TEXT, &text, &n), TL_OK);
    assert_int_equal(tl_pdf_write_text(text, n, NULL, &d, &dn), TL_OK);
    GBytes *bytes = g_bytes_new(d, dn);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
    g_bytes_unref(bytes);
    assert_non_null(doc);
    assert_int_equal(poppler_document_get_n_pages(doc), 1); /* one page */
    g_object_unref(doc);
    char *back = NULL;
    size_t bn;
    tl_doc_error err;
    assert_int_equal(tl_pdf_text(d, dn, &back, &bn, &err), TL_OK);
    assert_non_null(strstr(back, "Cedar Retail Group"));
    free(back);
    free(d);
    assert_int_equal(tl_docx_write_text(text, n, NULL, &d, &dn), TL_OK);
    assert_int_equal(tl_docx_text(d, dn, &back, &bn, &err), TL_OK);
    assert_non_null(strstr(back, "Analytics Engineer"));
    free(back);
    free(d);
    free(text);
    assert_int_equal(tl_cover_letter_render(l, TL_FORMAT_JSON, &text, &n), TL_EINVAL);
    tl_cover_letter_free(l);
    tl_job_free(j);
    tl_resume_free(r);
    tl_letter_tone t;
    assert_int_equal(tl_letter_tone_parse("WARM", &t), TL_OK);
    assert_int_equal(t, TL_TONE_WARM);
    assert_int_equal(tl_letter_tone_parse("angry", &t), TL_EINVAL);
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
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_achievements),
        cmocka_unit_test(test_documents),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
