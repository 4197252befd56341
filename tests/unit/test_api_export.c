/* Documents out over HTTP: a stored resume version exported as PDF, DOCX,
 * Markdown, JSON, HTML and text (GET /api/v1/resumes/{id}/versions/{v}/export)
 * and cover letters (POST /api/v1/cover-letter), on a real server in this
 * process on a free loopback port, spoken to with libcurl. The documents
 * are read back with tailor's own readers (and poppler for page sizes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <poppler.h>

#include "doc/docx.h"
#include "doc/pdf.h"
#include "server/server.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/file.h"

#include "test_api_fx.h"

static resp export(fixture *f, int64_t id, int v, const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/%d/export%s%s", (long long)id, v,
             query ? "?" : "", query ? query : "");
    return get(f, path);
}

static void expect_attachment(const resp *r, const char *file)
{
    char want[128];
    snprintf(want, sizeof want, "attachment; filename=\"%s\"", file);
    expect_header(r, "Content-Disposition", want);
}

/* The first page's size in points, through poppler. */
static void page_size(const resp *r, double *w, double *h)
{
    GBytes *bytes = g_bytes_new(r->body.data, r->body.len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    if (!doc)
        fail_msg("poppler: %s", err ? err->message : "?");
    PopplerPage *page = poppler_document_get_page(doc, 0);
    assert_non_null(page);
    poppler_page_get_size(page, w, h);
    g_object_unref(page);
    g_object_unref(doc);
    g_bytes_unref(bytes);
}

/* The number of entries in the resume's work section. */
static size_t work_entries(const tl_resume *res)
{
    const tl_section *s = tl_resume_find_section(res, TL_SEC_WORK);
    return s ? s->n_entries : 0;
}

/* ---- export ---- */

static void test_export_pdf(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    resp r = export(f, id, 1, "format=pdf");
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "application/pdf");
    char file[64];
    snprintf(file, sizeof file, "resume-%lld-v1.pdf", (long long)id);
    expect_attachment(&r, file);
    assert_true(r.body.len > 5 && memcmp(r.body.data, "%PDF-", 5) == 0);
    char *text = NULL;
    size_t tn = 0;
    tl_doc_error err = {0};
    assert_int_equal(tl_pdf_text(r.body.data, r.body.len, &text, &tn, &err), TL_OK);
    if (!strcasestr(text, "Alex Chen"))
        fail_msg("no name in the PDF text: %.300s", text);
    /* a bullet of the first role, whole, as a bullet line */
    const char *bullet = strstr(text, "• Led the redesign of the ledger service");
    if (!bullet)
        fail_msg("no bullet in the PDF text: %.600s", text);
    free(text);
    /* A4 by default, US Letter when asked: a different page size. */
    double aw = 0, ah = 0, lw = 0, lh = 0;
    page_size(&r, &aw, &ah);
    resp_free(&r);
    r = export(f, id, 1, "format=pdf&paper=letter&template=two-column");
    expect(&r, 200, NULL);
    assert_true(memcmp(r.body.data, "%PDF-", 5) == 0);
    page_size(&r, &lw, &lh);
    resp_free(&r);
    if (!(aw > 595 && aw < 596 && ah > 841 && ah < 842))
        fail_msg("A4 page is %.2f x %.2f", aw, ah);
    if (!(lw > 611.9 && lw < 612.1 && lh > 791.9 && lh < 792.1))
        fail_msg("letter page is %.2f x %.2f", lw, lh);
    r = export(f, id, 1, "format=PDF&paper=a4&template=classic");
    expect(&r, 200, NULL);
    resp_free(&r);
}

static void test_export_docx(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    resp r = export(f, id, 1, "format=docx");
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    char file[64];
    snprintf(file, sizeof file, "resume-%lld-v1.docx", (long long)id);
    expect_attachment(&r, file);
    assert_true(r.body.len > 4 && memcmp(r.body.data, "PK\3\4", 4) == 0);
    tl_resume *back = NULL, *orig = NULL;
    tl_doc_error err = {0};
    assert_int_equal(tl_docx_read(r.body.data, r.body.len, &back, &err), TL_OK);
    char *json = fixture_text("alex-chen.json");
    assert_int_equal(tl_resume_parse(json, strlen(json), TL_FORMAT_JSON, &orig, NULL), TL_OK);
    free(json);
    assert_true(work_entries(orig) >= 2);
    assert_int_equal(work_entries(back), work_entries(orig));
    assert_string_equal(back->basics.name, "Alex Chen");
    tl_resume_free(back);
    tl_resume_free(orig);
    resp_free(&r);
}

static void test_export_text_formats(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    char file[64];

    resp r = export(f, id, 1, "format=md");
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "text/markdown; charset=utf-8");
    snprintf(file, sizeof file, "resume-%lld-v1.md", (long long)id);
    expect_attachment(&r, file);
    const char *t = tl_buf_str(&r.body);
    assert_true(strncmp(t, "# Alex Chen", 11) == 0);
    assert_non_null(strstr(t, "- Led the redesign of the ledger service"));
    resp_free(&r);
    r = export(f, id, 1, "format=markdown");
    expect(&r, 200, NULL);
    expect_attachment(&r, file);
    assert_true(strncmp(tl_buf_str(&r.body), "# Alex Chen", 11) == 0);
    resp_free(&r);

    /* JSON, the default: the stored JSON Resume */
    r = export(f, id, 1, NULL);
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "application/json");
    snprintf(file, sizeof file, "resume-%lld-v1.json", (long long)id);
    expect_attachment(&r, file);
    assert_true(json_is_object(r.json));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "basics"), "name")), "Alex Chen");
    assert_int_equal(json_array_size(json_object_get(r.json, "work")), 3);
    resp_free(&r);

    r = export(f, id, 1, "format=html");
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "text/html; charset=utf-8");
    t = tl_buf_str(&r.body);
    assert_non_null(strstr(t, "<html"));
    assert_non_null(strstr(t, "Alex Chen"));
    assert_non_null(strstr(t, "<li>Led the redesign of the ledger service"));
    resp_free(&r);

    const char *plain[] = {"format=text", "format=txt"};
    snprintf(file, sizeof file, "resume-%lld-v1.txt", (long long)id);
    for (size_t i = 0; i < 2; i++) {
        r = export(f, id, 1, plain[i]);
        expect(&r, 200, NULL);
        expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
        expect_attachment(&r, file);
        t = tl_buf_str(&r.body);
        assert_true(strncmp(t, "Alex Chen", 9) == 0);
        assert_non_null(strstr(t, "Led the redesign of the ledger service"));
        assert_null(strstr(t, "<"));
        resp_free(&r);
    }
}

static void test_export_errors(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    resp r = export(f, id, 1, "format=odt");
    expect(&r, 400, "invalid_format");
    expect_message(&r, "odt", "pdf", "docx", "md", "markdown", "json", "html", "text", "txt", NULL);
    resp_free(&r);
    r = export(f, id, 1, "format=pdf&paper=legal");
    expect(&r, 400, "invalid_paper");
    expect_message(&r, "a4", "letter", NULL);
    resp_free(&r);
    r = export(f, id, 1, "format=pdf&template=fancy");
    expect(&r, 400, "invalid_template");
    expect_message(&r, "classic", "two-column", NULL);
    resp_free(&r);
    r = export(f, id, 1, "format=md&paper=letter");
    expect(&r, 400, "invalid_option");
    expect_message(&r, "pdf", NULL);
    resp_free(&r);
    r = export(f, id, 2, "format=pdf");
    expect(&r, 404, "not_found");
    expect_message(&r, "no version 2", NULL);
    resp_free(&r);
    r = export(f, id + 100, 1, NULL);
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/resumes/1/versions/0/export");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = http(f, "POST", "/api/v1/resumes/1/versions/1/export", "{}", NULL);
    expect(&r, 405, "method_not_allowed");
    resp_free(&r);
}

/* ---- cover letters ---- */

static void test_cover_letter_json(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    char *job = fixture_text("senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/cover-letter",
                       json_pack("{sI ss}", "resume_id", (json_int_t)id, "job_description", job));
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "application/json");
    json_t *d = r.json;
    assert_string_equal(json_string_value(json_object_get(d, "company")), "Northwind Financial");
    assert_non_null(
        strstr(json_string_value(json_object_get(d, "role")), "Senior Backend Engineer"));
    assert_string_equal(json_string_value(json_object_get(d, "tone")), "formal");
    json_t *words = json_object_get(d, "words");
    assert_true(json_is_integer(words));
    assert_true(json_integer_value(words) > 20 && json_integer_value(words) <= 400);
    json_t *kws = json_object_get(d, "keywords");
    assert_true(json_is_array(kws) && json_array_size(kws) >= 1);
    const char *text = json_string_value(json_object_get(d, "text"));
    const char *md = json_string_value(json_object_get(d, "markdown"));
    assert_non_null(text);
    assert_non_null(md);
    assert_non_null(strstr(text, "Northwind Financial"));
    assert_true(strncmp(text, "Alex Chen\n", 10) == 0);
    assert_true(strncmp(md, "# Alex Chen", 11) == 0);
    assert_non_null(strstr(text, "Dear Hiring Manager"));
    resp_free(&r);

    /* Stored job by id, warm tone, inline resume, version by number. */
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    char *resume = fixture_text("alex-chen.json");
    json_t *rj = json_loads(resume, 0, NULL);
    free(resume);
    assert_non_null(rj);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{so sI ss}", "resume", rj, "job_description_id", (json_int_t)jid,
                            "tone", "warm"));
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "tone")), "warm");
    assert_string_equal(json_string_value(json_object_get(r.json, "company")),
                        "Northwind Financial");
    assert_null(strstr(json_string_value(json_object_get(r.json, "text")), "Dear Hiring Manager"));
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI si s{ss}}", "resume_id", (json_int_t)id, "version", 1,
                            "job_description", "text", job));
    expect(&r, 200, NULL);
    resp_free(&r);
    /* A Markdown resume as {format, content}, a text answer. */
    char *maria = fixture_text("maria-lopez.md");
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{s{ss ss} ss ss}", "resume", "format", "markdown", "content", maria,
                            "job_description", job, "format", "text"));
    free(maria);
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    expect_attachment(&r, "cover-letter.txt");
    assert_non_null(strstr(tl_buf_str(&r.body), "Northwind Financial"));
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "markdown"));
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "text/markdown; charset=utf-8");
    expect_attachment(&r, "cover-letter.md");
    assert_true(strncmp(tl_buf_str(&r.body), "# Alex Chen", 11) == 0);
    resp_free(&r);
    free(job);
}

static void test_cover_letter_documents(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    char *job = fixture_text("senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/cover-letter",
                       json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                                 "format", "pdf"));
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "application/pdf");
    expect_attachment(&r, "cover-letter.pdf");
    assert_true(r.body.len > 5 && memcmp(r.body.data, "%PDF-", 5) == 0);
    char *text = NULL;
    size_t tn = 0;
    assert_int_equal(tl_pdf_text(r.body.data, r.body.len, &text, &tn, NULL), TL_OK);
    assert_non_null(strstr(text, "Northwind Financial"));
    free(text);
    /* A4 by default, US Letter when asked, as for an export. */
    double aw = 0, ah = 0, lw = 0, lh = 0;
    page_size(&r, &aw, &ah);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "pdf", "paper", "letter"));
    expect(&r, 200, NULL);
    assert_true(r.body.len > 5 && memcmp(r.body.data, "%PDF-", 5) == 0);
    page_size(&r, &lw, &lh);
    resp_free(&r);
    if (!(aw > 595 && aw < 596 && ah > 841 && ah < 842))
        fail_msg("A4 letter page is %.2f x %.2f", aw, ah);
    if (!(lw > 611.9 && lw < 612.1 && lh > 791.9 && lh < 792.1))
        fail_msg("US Letter page is %.2f x %.2f", lw, lh);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "pdf", "paper", "a4"));
    expect(&r, 200, NULL);
    page_size(&r, &aw, &ah);
    if (!(aw > 595 && aw < 596 && ah > 841 && ah < 842))
        fail_msg("paper=a4 letter page is %.2f x %.2f", aw, ah);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "docx"));
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect_attachment(&r, "cover-letter.docx");
    assert_true(r.body.len > 4 && memcmp(r.body.data, "PK\3\4", 4) == 0);
    assert_int_equal(tl_docx_text(r.body.data, r.body.len, &text, &tn, NULL), TL_OK);
    assert_non_null(strstr(text, "Northwind Financial"));
    free(text);
    resp_free(&r);
    free(job);
}

static void test_cover_letter_errors(void **state)
{
    fixture *f = *state;
    int64_t id = upload_resume(f, "alex-chen.json");
    char *job = fixture_text("senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/cover-letter", json_pack("{sI}", "resume_id", (json_int_t)id));
    expect(&r, 400, "missing_field");
    expect_message(&r, "job_description", NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter", json_pack("{ss}", "job_description", job));
    expect(&r, 400, "missing_field");
    expect_message(&r, "resume", NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "tone", "sarcastic"));
    expect(&r, 400, "invalid_tone");
    expect_message(&r, "formal", "warm", NULL);
    resp_free(&r);
    r = post_json(
        f, "/api/v1/cover-letter",
        json_pack("{sI ss si}", "resume_id", (json_int_t)id, "job_description", job, "tone", 2));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "html"));
    expect(&r, 400, "invalid_format");
    expect_message(&r, "json", "text", "markdown", "docx", "pdf", NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "pdf", "paper", "legal"));
    expect(&r, 400, "invalid_paper");
    expect_message(&r, "a4", "letter", NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "docx", "paper", "letter"));
    expect(&r, 400, "invalid_option");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss si}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "pdf", "paper", 4));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss}", "resume_id", (json_int_t)id + 100, "job_description", job));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(
        f, "/api/v1/cover-letter",
        json_pack("{sI si ss}", "resume_id", (json_int_t)id, "version", 9, "job_description", job));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(
        f, "/api/v1/cover-letter",
        json_pack("{sI sI}", "resume_id", (json_int_t)id, "job_description_id", (json_int_t)4242));
    expect(&r, 404, "not_found");
    resp_free(&r);
    /* A name and nothing else: no letter to write. */
    r = post_json(
        f, "/api/v1/cover-letter",
        json_pack("{s{s{ss}} ss}", "resume", "basics", "name", "Jo Doe", "job_description", job));
    expect(&r, 422, "no_content");
    resp_free(&r);
    r = post(f, "/api/v1/cover-letter", "[1]");
    expect(&r, 400, "invalid_json");
    resp_free(&r);
    /* The JSON depth limit of every POST route. */
    tl_buf b;
    tl_buf_init(&b, 1u << 20);
    for (int i = 0; i < 40; i++)
        assert_int_equal(tl_buf_puts(&b, "{\"a\":"), TL_OK);
    assert_int_equal(tl_buf_puts(&b, "1"), TL_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(tl_buf_putc(&b, '}'), TL_OK);
    r = post(f, "/api/v1/cover-letter", tl_buf_str(&b));
    expect(&r, 400, "too_deep");
    resp_free(&r);
    tl_buf_free(&b);
    r = get(f, "/api/v1/cover-letter");
    expect(&r, 405, "method_not_allowed");
    resp_free(&r);
    free(job);
}

/* The body limit of every POST route. */
static void test_cover_letter_body_limit(void **state)
{
    (void)state;
    tl_server_opts o = {.max_body = 1024};
    fixture *f = start_with(&o, NULL);
    char big[4096];
    padded_object(big, sizeof big);
    resp r = post(f, "/api/v1/cover-letter", big);
    expect(&r, 413, "too_large");
    resp_free(&r);
    stop(f);
}

static int group_teardown(void **state)
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
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_pdf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_docx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_text_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cover_letter_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cover_letter_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cover_letter_errors, setup, teardown),
        cmocka_unit_test(test_cover_letter_body_limit),
    };
    int rc = cmocka_run_group_tests(tests, NULL, group_teardown);
    curl_global_cleanup();
    return rc;
}
