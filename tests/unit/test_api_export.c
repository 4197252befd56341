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

/* ---- a server for a test (as in test_api.c) ---- */

typedef struct fixture {
    tl_store *store;
    tl_terms *terms;
    tl_server *srv;
    char base[64];
} fixture;

static fixture *start_with(const tl_server_opts *extra)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    tl_store_sqlite_opts so = {.path = ":memory:"};
    assert_int_equal(tl_store_open_sqlite(&f->store, &so), TL_OK);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    tl_server_opts o = extra ? *extra : (tl_server_opts){0};
    o.store = f->store;
    o.terms = f->terms;
    o.port = 0;
    assert_int_equal(tl_server_create(&f->srv, &o), TL_OK);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", (unsigned)tl_server_port(f->srv));
    return f;
}

static void stop(fixture *f)
{
    tl_server_destroy(f->srv);
    tl_store_destroy(f->store);
    tl_terms_free(f->terms);
    free(f);
}

static int setup(void **state)
{
    *state = start_with(NULL);
    return 0;
}

static int teardown(void **state)
{
    stop(*state);
    return 0;
}

/* ---- HTTP ---- */

typedef struct resp {
    long status;
    tl_buf body;
    tl_buf headers;
    json_t *json; /* the body parsed, when it is JSON */
} resp;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    return tl_buf_append(ud, p, size * n) == TL_OK ? size * n : 0;
}

static void resp_free(resp *r)
{
    tl_buf_free(&r->body);
    tl_buf_free(&r->headers);
    json_decref(r->json);
}

/* The value of a response header (case-insensitive name), copied into out. */
static const char *header(const resp *r, const char *name, char *out, size_t cap)
{
    const char *h = tl_buf_str(&r->headers);
    size_t n = strlen(name);
    for (const char *line = h; *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(line + len - v);
            snprintf(out, cap, "%.*s", (int)vl, v);
            return out;
        }
        line += len + (end ? 2 : 0);
    }
    return NULL;
}

static resp http(fixture *f, const char *method, const char *path, const char *body)
{
    resp r = {0};
    tl_buf_init(&r.body, 64u * 1024u * 1024u);
    tl_buf_init(&r.headers, 1u << 20);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[2048];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *h = NULL;
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "Expect:");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r.json = json_loadb(tl_buf_str(&r.body), r.body.len, 0, NULL);
    return r;
}

static resp get(fixture *f, const char *path)
{
    return http(f, "GET", path, NULL);
}

static resp post(fixture *f, const char *path, const char *body)
{
    return http(f, "POST", path, body);
}

static resp post_json(fixture *f, const char *path, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert_non_null(text);
    resp r = post(f, path, text);
    free(text);
    return r;
}

/* Checks status and, for errors, the error document's shape and code. */
static void expect(const resp *r, long status, const char *code)
{
    if (r->status != status)
        fail_msg("status %ld, want %ld: %.400s", r->status, status, tl_buf_str(&r->body));
    if (!code)
        return;
    json_t *e = json_object_get(r->json, "error");
    assert_true(json_is_object(e));
    assert_true(json_is_string(json_object_get(e, "message")));
    const char *got = json_string_value(json_object_get(e, "code"));
    if (!got || strcmp(got, code) != 0)
        fail_msg("error code %s, want %s", got ? got : "(none)", code);
}

/* An error whose message names every one of the words (NULL-terminated). */
static void expect_message(const resp *r, ...)
{
    const char *msg =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    assert_non_null(msg);
    va_list ap;
    va_start(ap, r);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
        if (!strstr(msg, w))
            fail_msg("'%s' not in the message: %s", w, msg);
    va_end(ap);
}

static void expect_header(const resp *r, const char *name, const char *want)
{
    char v[256];
    if (!header(r, name, v, sizeof v))
        fail_msg("no %s header", name);
    if (strcmp(v, want) != 0)
        fail_msg("%s: '%s', want '%s'", name, v, want);
}

static char *fixture_text(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_file_read(path, 4u << 20, &data, &len), TL_OK);
    return data;
}

static int64_t upload_resume(fixture *f, const char *name)
{
    char *text = fixture_text(name);
    resp r = post(f, "/api/v1/resumes", text);
    free(text);
    expect(&r, 201, NULL);
    json_t *id = json_object_get(r.json, "id");
    assert_true(json_is_integer(id));
    int64_t v = json_integer_value(id);
    resp_free(&r);
    return v;
}

static int64_t upload_jd(fixture *f, const char *name)
{
    char *text = fixture_text(name);
    resp r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "text", text));
    free(text);
    expect(&r, 201, NULL);
    int64_t v = json_integer_value(json_object_get(r.json, "id"));
    resp_free(&r);
    return v;
}

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
        json_string_value(json_object_get(json_object_get(r.json, "basics"), "name")),
        "Alex Chen");
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
    expect_message(&r, "odt", "pdf", "docx", "md", "markdown", "json", "html", "text", "txt",
                   NULL);
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
    r = http(f, "POST", "/api/v1/resumes/1/versions/1/export", "{}");
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
    assert_non_null(strstr(json_string_value(json_object_get(d, "role")), "Senior Backend Engineer"));
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
                       json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description",
                                 job, "format", "pdf"));
    expect(&r, 200, NULL);
    expect_header(&r, "Content-Type", "application/pdf");
    expect_attachment(&r, "cover-letter.pdf");
    assert_true(r.body.len > 5 && memcmp(r.body.data, "%PDF-", 5) == 0);
    char *text = NULL;
    size_t tn = 0;
    assert_int_equal(tl_pdf_text(r.body.data, r.body.len, &text, &tn, NULL), TL_OK);
    assert_non_null(strstr(text, "Northwind Financial"));
    free(text);
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
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss si}", "resume_id", (json_int_t)id, "job_description", job,
                            "tone", 2));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss ss}", "resume_id", (json_int_t)id, "job_description", job,
                            "format", "html"));
    expect(&r, 400, "invalid_format");
    expect_message(&r, "json", "text", "markdown", "docx", "pdf", NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI ss}", "resume_id", (json_int_t)id + 100, "job_description", job));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI si ss}", "resume_id", (json_int_t)id, "version", 9,
                            "job_description", job));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{sI sI}", "resume_id", (json_int_t)id, "job_description_id",
                            (json_int_t)4242));
    expect(&r, 404, "not_found");
    resp_free(&r);
    /* A name and nothing else: no letter to write. */
    r = post_json(f, "/api/v1/cover-letter",
                  json_pack("{s{s{ss}} ss}", "resume", "basics", "name", "Jo Doe",
                            "job_description", job));
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
    fixture *f = start_with(&o);
    char big[4096];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 3] = '}';
    big[sizeof big - 1] = '\0';
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
