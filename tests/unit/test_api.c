/* The HTTP API end to end: a real server in this process, on a free port,
 * with an in-memory database, spoken to over HTTP with libcurl. Covers
 * every route's success path, each error status, the event stream read to
 * its end and resumed, keys on and off, limits, draining, recovery of jobs
 * after a restart, and garbage that must not bring the server down. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "provider/fakellm.h"
#include "provider/io.h"
#include "provider/openai.h"
#include "server/server.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/file.h"

#include "test_api_fx.h"

/* ---- health, page, docs, metrics ---- */

static void test_health(void **state)
{
    fixture *f = *state;
    resp r = get(f, "/health");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(r.json, "db")), "ok");
    char v[128];
    assert_non_null(header(&r, "X-Request-Id", v, sizeof v));
    assert_non_null(header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "application/json");
    resp_free(&r);
    r = http(f, "HEAD", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(r.body.len, 0);
    resp_free(&r);
    r = http(f, "POST", "/health", "{}", NULL);
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(header(&r, "Allow", v, sizeof v), "GET");
    resp_free(&r);
    /* A sane request id from the client is kept. */
    req_opts o = {.extra = "X-Request-Id: trace-42"};
    r = http(f, "GET", "/health", NULL, &o);
    assert_string_equal(header(&r, "X-Request-Id", v, sizeof v), "trace-42");
    resp_free(&r);
}

static void test_page(void **state)
{
    fixture *f = *state;
    char v[512];
    resp r = get(f, "/");
    expect(&r, 200, NULL);
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    assert_non_null(header(&r, "Content-Security-Policy", v, sizeof v));
    assert_non_null(strstr(v, "default-src 'none'"));
    assert_non_null(strstr(tl_buf_str(&r.body), "<html"));
    resp_free(&r);
    r = get(f, "/app.js");
    expect(&r, 200, NULL);
    assert_non_null(strstr(header(&r, "Content-Type", v, sizeof v), "javascript"));
    resp_free(&r);
    r = get(f, "/app.css");
    expect(&r, 200, NULL);
    assert_non_null(strstr(header(&r, "Content-Type", v, sizeof v), "text/css"));
    resp_free(&r);
    /* The modules app.js imports. */
    const char *modules[] = {"/diff.js", "/resume.js"};
    for (size_t i = 0; i < 2; i++) {
        r = get(f, modules[i]);
        expect(&r, 200, NULL);
        assert_string_equal(header(&r, "Content-Type", v, sizeof v),
                            "text/javascript; charset=utf-8");
        assert_non_null(header(&r, "Content-Security-Policy", v, sizeof v));
        assert_non_null(strstr(tl_buf_str(&r.body), "export function"));
        resp_free(&r);
    }
    r = get(f, "/index.html.bak");
    expect(&r, 404, "not_found");
    resp_free(&r);

    /* Revalidated by ETag: the same file answers 304 without a body. */
    r = get(f, "/app.js");
    char etag[64], extra[96];
    assert_non_null(header(&r, "ETag", etag, sizeof etag));
    assert_string_equal(header(&r, "Cache-Control", v, sizeof v), "no-cache");
    resp_free(&r);
    snprintf(extra, sizeof extra, "If-None-Match: %s", etag);
    req_opts o = {.extra = extra};
    r = http(f, "GET", "/app.js", NULL, &o);
    expect(&r, 304, NULL);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(header(&r, "ETag", v, sizeof v), etag);
    resp_free(&r);
    o.extra = "If-None-Match: \"0000000000000000\"";
    r = http(f, "GET", "/app.js", NULL, &o);
    expect(&r, 200, NULL);
    resp_free(&r);
    r = get(f, "/");
    char page_etag[64];
    assert_non_null(header(&r, "ETag", page_etag, sizeof page_etag));
    assert_string_not_equal(page_etag, etag);
    resp_free(&r);
}

/* --web-dir: the page comes from the directory, and only known names. */
static void test_web_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/tailor-web-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/index.html", dir);
    assert_int_equal(tl_file_write(path, "<html>from disk</html>", 22), TL_OK);
    tl_server_opts o = {.web_dir = dir};
    fixture *f = start_with(&o, NULL);
    char v[512];
    resp r = get(f, "/");
    expect(&r, 200, NULL);
    assert_string_equal(tl_buf_str(&r.body), "<html>from disk</html>");
    assert_non_null(header(&r, "Content-Security-Policy", v, sizeof v));
    char etag[64], extra[96];
    assert_non_null(header(&r, "ETag", etag, sizeof etag));
    resp_free(&r);
    snprintf(extra, sizeof extra, "If-None-Match: %s", etag);
    req_opts ro = {.extra = extra};
    r = http(f, "GET", "/", NULL, &ro);
    expect(&r, 304, NULL);
    resp_free(&r);
    /* A changed file has a new ETag. */
    assert_int_equal(tl_file_write(path, "<html>changed</html>", 20), TL_OK);
    r = http(f, "GET", "/", NULL, &ro);
    expect(&r, 200, NULL);
    assert_string_equal(tl_buf_str(&r.body), "<html>changed</html>");
    resp_free(&r);
    r = get(f, "/app.js");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/../index.html");
    assert_true(r.status == 404 || r.status == 400);
    resp_free(&r);
    stop(f);
    unlink(path);
    rmdir(dir);
}

/* Every path the OpenAPI document lists answers (neither 404 for an
 * unknown route nor 405) for every method it lists. */
static void test_openapi_is_true(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r = get(f, "/openapi.json");
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "openapi")), "3.1.0");
    json_t *paths = json_object_get(r.json, "paths");
    assert_true(json_object_size(paths) >= 10);
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        char concrete[256];
        size_t o = 0;
        for (const char *p = path; *p && o + 24 < sizeof concrete; p++) {
            if (*p != '{') {
                concrete[o++] = *p;
                continue;
            }
            const char *end = strchr(p, '}');
            /* A resume id, or the version 1 of it; a job description id. */
            long long v = strncmp(p, "{v}", 3) == 0  ? 1
                          : strstr(path, "job-desc") ? (long long)jid
                                                     : (long long)rid;
            o += (size_t)snprintf(concrete + o, sizeof concrete - o, "%lld", v);
            p = end;
        }
        concrete[o] = '\0';
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            char upper[16];
            size_t i = 0;
            for (; method[i] && i < sizeof upper - 1; i++)
                upper[i] = (char)(method[i] - 32 * (method[i] >= 'a' && method[i] <= 'z'));
            upper[i] = '\0';
            if (strcmp(upper, "DELETE") == 0)
                continue; /* would destroy what the others need */
            resp a = http(f, upper, concrete, strcmp(upper, "POST") == 0 ? "{}" : NULL, NULL);
            json_t *err = json_object_get(json_object_get(a.json, "error"), "code");
            bool unknown = a.status == 405 || (a.status == 404 && err &&
                                               strcmp(json_string_value(err), "not_found") == 0 &&
                                               strstr(tl_buf_str(&a.body), "no such route"));
            if (unknown)
                fail_msg("%s %s: %ld %s", upper, concrete, a.status, tl_buf_str(&a.body));
            resp_free(&a);
        }
    }
    resp_free(&r);
}

static void test_metrics(void **state)
{
    fixture *f = *state;
    resp r = get(f, "/health");
    resp_free(&r);
    r = get(f, "/nope");
    resp_free(&r);
    /* A request is counted when its connection is done with it, which may
     * be a moment after the client has the answer: poll briefly. */
    for (int tries = 0;; tries++) {
        r = get(f, "/metrics");
        expect(&r, 200, NULL);
        if (strstr(tl_buf_str(&r.body), "route=\"unmatched\",status=\"404\"") || tries == 50)
            break;
        resp_free(&r);
        usleep(20000);
    }
    char v[128];
    assert_non_null(strstr(header(&r, "Content-Type", v, sizeof v), "text/plain"));
    const char *t = tl_buf_str(&r.body);
    assert_non_null(strstr(t, "tailor_http_requests_total{route=\"/health\",status=\"200\"}"));
    assert_non_null(strstr(t, "tailor_http_requests_total{route=\"unmatched\",status=\"404\"}"));
    assert_non_null(strstr(t, "tailor_http_request_duration_seconds_bucket{route=\"/health\""));
    assert_non_null(strstr(t, "tailor_jobs{status=\"queued\"}"));
    assert_non_null(strstr(t, "# TYPE tailor_customize_duration_seconds histogram"));
    resp_free(&r);
}

/* ---- resumes ---- */

static bool has_section(json_t *doc, const char *key)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "sections"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "key")), key) == 0)
            return true;
    }
    return false;
}

static void test_resume_lifecycle(void **state)
{
    fixture *f = *state;
    char *text = fixture_text("alex-chen.json");
    resp r = post(f, "/api/v1/resumes", text);
    free(text);
    expect(&r, 201, NULL);
    int64_t id = int_field(&r, "id");
    assert_int_equal(int_field(&r, "version"), 1);
    assert_string_equal(json_string_value(json_object_get(r.json, "format")), "json");
    assert_true(has_section(r.json, "work"));
    char v[128], want[64];
    snprintf(want, sizeof want, "/api/v1/resumes/%lld", (long long)id);
    assert_string_equal(header(&r, "Location", v, sizeof v), want);
    resp_free(&r);

    r = get(f, want);
    expect(&r, 200, NULL);
    json_t *name =
        json_object_get(json_object_get(json_object_get(r.json, "resume"), "basics"), "name");
    assert_string_equal(json_string_value(name), "Alex Chen");
    resp_free(&r);

    char path[128];
    snprintf(path, sizeof path, "%s?format=markdown", want);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_non_null(strstr(json_string_value(json_object_get(r.json, "rendered")), "Alex Chen"));
    resp_free(&r);
    snprintf(path, sizeof path, "%s?format=pdf", want);
    r = get(f, path);
    expect(&r, 422, "invalid_format");
    resp_free(&r);

    snprintf(path, sizeof path, "%s/versions", want);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "versions")), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "%s/versions/1", want);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(int_field(&r, "version"), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "%s/versions/2", want);
    r = get(f, path);
    expect(&r, 404, "not_found");
    resp_free(&r);

    r = http(f, "DELETE", want, NULL, NULL);
    expect(&r, 204, NULL);
    assert_int_equal(r.body.len, 0);
    resp_free(&r);
    r = http(f, "DELETE", want, NULL, NULL);
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, want);
    expect(&r, 404, "not_found");
    resp_free(&r);
}

static void test_resume_formats(void **state)
{
    fixture *f = *state;
    char *md = fixture_text("maria-lopez.md");
    resp r =
        post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "markdown", "content", md));
    free(md);
    expect(&r, 201, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "format")), "markdown");
    assert_true(has_section(r.json, "work"));
    resp_free(&r);

    char *txt = fixture_text("sam-okafor.txt");
    r = post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "text", "content", txt));
    expect(&r, 201, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "format")), "text");
    resp_free(&r);
    /* Without a format the content's own is detected. */
    r = post_json(f, "/api/v1/resumes", json_pack("{ss}", "content", txt));
    free(txt);
    expect(&r, 201, NULL);
    resp_free(&r);

    /* Text beyond ASCII comes back as it went in. */
    r = post_json(f, "/api/v1/resumes",
                  json_pack("{ss ss}", "format", "markdown", "content",
                            "# José Núñez\n\n## Experience\n\n### Ingeniero — Café Señor "
                            "(2020 – Present)\n\n- Construí servicios en Go 🚀\n"));
    expect(&r, 201, NULL);
    int64_t id = int_field(&r, "id");
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "José Núñez");
    resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)id);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_non_null(strstr(tl_buf_str(&r.body), "servicios en Go 🚀"));
    resp_free(&r);

    char *json = fixture_text("alex-chen.json");
    r = post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "json", "content", json));
    free(json);
    expect(&r, 201, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "format")), "json");
    resp_free(&r);
}

static void test_resume_errors(void **state)
{
    fixture *f = *state;
    resp r = post(f, "/api/v1/resumes", "{\"basics\": ");
    expect(&r, 400, "invalid_json");
    resp_free(&r);
    r = post(f, "/api/v1/resumes", "[1,2]");
    expect(&r, 400, "invalid_json");
    resp_free(&r);
    r = http(f, "POST", "/api/v1/resumes", NULL, NULL);
    expect(&r, 415, "unsupported_media_type");
    resp_free(&r);
    req_opts text = {.ctype = "text/plain"};
    r = http(f, "POST", "/api/v1/resumes", "{}", &text);
    expect(&r, 415, "unsupported_media_type");
    resp_free(&r);
    req_opts empty = {.ctype = "application/json", .len = 0};
    r = http(f, "POST", "/api/v1/resumes", "", &empty);
    expect(&r, 400, "empty_body");
    resp_free(&r);
    req_opts bad = {.len = 14};
    r = http(f, "POST", "/api/v1/resumes", "{\"a\":\"\xff\xfe\"}   ", &bad);
    expect(&r, 400, "invalid_utf8");
    resp_free(&r);
    r = post(f, "/api/v1/resumes", "{\"a\":1,\"a\":2}");
    expect(&r, 400, "invalid_json");
    resp_free(&r);

    /* Valid JSON, but nothing a resume is made of. */
    r = post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "text", "content", ""));
    expect(&r, 422, NULL);
    resp_free(&r);
    r = post(f, "/api/v1/resumes", "{}");
    expect(&r, 422, NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "pdf", "content", "x"));
    expect(&r, 422, "invalid_format");
    resp_free(&r);
    r = post_json(f, "/api/v1/resumes", json_pack("{si}", "content", 5));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/resumes", json_pack("{ss ss}", "format", "json", "content", "{"));
    expect(&r, 422, NULL);
    resp_free(&r);

    r = get(f, "/api/v1/resumes/abc");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/resumes/99999");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/resumes/99999/versions");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/resumes/1/versions/0");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/nothing");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/resumes/");
    expect(&r, 404, "not_found");
    resp_free(&r);

    char v[64];
    r = http(f, "PUT", "/api/v1/resumes", "{}", NULL);
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(header(&r, "Allow", v, sizeof v), "POST");
    resp_free(&r);
    r = http(f, "PATCH", "/api/v1/resumes/1", "{}", NULL);
    expect(&r, 405, "method_not_allowed");
    assert_string_equal(header(&r, "Allow", v, sizeof v), "GET, DELETE");
    resp_free(&r);
    r = get(f, "/api/v1/enhance-customize");
    expect(&r, 405, "method_not_allowed");
    resp_free(&r);
}

static void test_depth_limit(void **state)
{
    fixture *f = *state;
    tl_buf b;
    tl_buf_init(&b, 1u << 20);
    for (int i = 0; i < 40; i++)
        assert_int_equal(tl_buf_puts(&b, "{\"a\":"), TL_OK);
    assert_int_equal(tl_buf_puts(&b, "1"), TL_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(tl_buf_putc(&b, '}'), TL_OK);
    resp r = post(f, "/api/v1/resumes", tl_buf_str(&b));
    expect(&r, 400, "too_deep");
    resp_free(&r);
    /* Deep arrays inside a string are text, not nesting. */
    tl_buf_reset(&b);
    assert_int_equal(tl_buf_puts(&b, "{\"text\":\""), TL_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(tl_buf_putc(&b, '['), TL_OK);
    assert_int_equal(tl_buf_puts(&b, " Kafka\\nGo\"}"), TL_OK);
    r = post(f, "/api/v1/job-descriptions", tl_buf_str(&b));
    expect(&r, 201, NULL);
    resp_free(&r);
    tl_buf_free(&b);
}

/* ---- job descriptions ---- */

static void test_job_descriptions(void **state)
{
    fixture *f = *state;
    char *text = fixture_text("senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/job-descriptions",
                       json_pack("{ss ss}", "text", text, "company", "Northwind"));
    free(text);
    expect(&r, 201, NULL);
    int64_t id = int_field(&r, "id");
    assert_string_equal(json_string_value(json_object_get(r.json, "company")), "Northwind");
    json_t *a = json_object_get(r.json, "analysis");
    assert_true(json_array_size(json_object_get(a, "keywords")) > 3);
    json_t *k0 = json_array_get(json_object_get(a, "keywords"), 0);
    assert_true(json_is_string(json_object_get(k0, "term")));
    assert_true(json_is_number(json_object_get(k0, "weight")));
    assert_true(json_is_string(json_object_get(k0, "part")));
    assert_true(json_is_array(json_object_get(a, "requirements")));
    resp_free(&r);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/job-descriptions/%lld", (long long)id);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_non_null(strstr(json_string_value(json_object_get(r.json, "text")), "Kafka"));
    assert_true(json_is_object(json_object_get(r.json, "analysis")));
    resp_free(&r);

    r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "title", "x"));
    expect(&r, 400, "missing_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/job-descriptions", json_pack("{si}", "text", 3));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss si}", "text", "Go", "title", 3));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "text", "   \n "));
    expect(&r, 422, NULL);
    resp_free(&r);

    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 204, NULL);
    resp_free(&r);
    r = get(f, path);
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 404, "not_found");
    resp_free(&r);
}

/* ---- customization ---- */

static void check_result(const resp *r)
{
    json_t *d = r->json;
    assert_true(json_is_object(json_object_get(d, "resume")));
    json_t *score = json_object_get(d, "score");
    assert_true(json_is_object(json_object_get(score, "before")));
    assert_true(json_is_object(json_object_get(score, "after")));
    assert_true(json_is_array(json_object_get(d, "missing_keywords")));
    assert_true(json_is_array(json_object_get(d, "changes")));
    json_t *m = json_object_get(d, "metrics");
    const char *keys[] = {"wall_ms",  "provider_calls", "tokens_in",  "tokens_out", "retries",
                          "failures", "fallbacks",      "cache_hits", "cost_usd"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_is_number(json_object_get(m, keys[i])))
            fail_msg("metrics.%s missing", keys[i]);
    assert_int_equal(json_integer_value(json_object_get(m, "provider_calls")), 0);
}

static void test_customize_stored(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/enhance-customize",
                       json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                                 (json_int_t)jid, "customization_strength", "BALANCED"));
    expect(&r, 200, NULL);
    check_result(&r);
    assert_int_equal(int_field(&r, "version"), 2);
    assert_int_equal(int_field(&r, "resume_id"), rid);
    json_t *score = json_object_get(r.json, "score");
    int before =
        (int)json_integer_value(json_object_get(json_object_get(score, "before"), "score"));
    int after = (int)json_integer_value(json_object_get(json_object_get(score, "after"), "score"));
    assert_true(after >= before);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);

    char path[160];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions", (long long)rid);
    r = get(f, path);
    expect(&r, 200, NULL);
    json_t *vs = json_object_get(r.json, "versions");
    assert_int_equal(json_array_size(vs), 2);
    json_t *v2 = json_array_get(vs, 1);
    assert_string_equal(json_string_value(json_object_get(v2, "origin")), "customization");
    assert_int_equal(json_integer_value(json_object_get(v2, "job_id")), job);
    resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "done");
    assert_true(json_is_object(json_object_get(r.json, "result")));
    resp_free(&r);

    /* What the customization changed, version 2 against version 1. */
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/2/diff", (long long)rid);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(int_field(&r, "against"), 1);
    assert_true(json_is_array(json_object_get(r.json, "sections")));
    assert_true(json_integer_value(
                    json_object_get(json_object_get(r.json, "summary"), "sections_changed")) >= 1);
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/1/diff?against=2", (long long)rid);
    r = get(f, path);
    expect(&r, 200, NULL);
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/1/diff", (long long)rid);
    r = get(f, path);
    expect(&r, 422, "invalid_value");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/2/diff?against=x", (long long)rid);
    r = get(f, path);
    expect(&r, 422, "invalid_value");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/2/diff?against=9", (long long)rid);
    r = get(f, path);
    expect(&r, 404, "not_found");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/7/diff", (long long)rid);
    r = get(f, path);
    expect(&r, 404, "not_found");
    resp_free(&r);

    /* A finished job cannot be cancelled. */
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)job);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "not_cancellable");
    resp_free(&r);
    /* Nor deleted... but its resume can, now that no job runs on it. */
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 204, NULL);
    resp_free(&r);
}

static void test_customize_inline(void **state)
{
    fixture *f = *state;
    char *md = fixture_text("maria-lopez.md");
    char *job = fixture_text("analytics-engineer.txt");
    resp r = post_json(f, "/api/v1/enhance-customize",
                       json_pack("{s{ss ss} ss si}", "resume", "format", "markdown", "content", md,
                                 "job_description", job, "customization_strength", 3));
    expect(&r, 200, NULL);
    check_result(&r);
    assert_null(json_object_get(r.json, "version"));
    assert_true(json_is_string(json_object_get(r.json, "rendered")));
    resp_free(&r);

    char *alex = fixture_text("alex-chen.json");
    json_t *resume = json_loads(alex, 0, NULL);
    free(alex);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{so s{ss} ss}", "resume", resume, "job_description", "text", job,
                            "customization_strength", "conservative"));
    expect(&r, 200, NULL);
    check_result(&r);
    resp_free(&r);

    char *sam = fixture_text("sam-okafor.txt");
    char *icu = fixture_text("icu-registered-nurse.txt");
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{s{ss} ss}", "resume", "content", sam, "job_description", icu));
    expect(&r, 200, NULL);
    check_result(&r);
    assert_string_equal(json_string_value(json_object_get(r.json, "strength")), "BALANCED");
    resp_free(&r);
    free(sam);
    free(icu);
    free(md);
    free(job);
}

static void test_customize_errors(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/enhance-customize",
                       json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                                 (json_int_t)jid, "customization_strength", "HUGE"));
    expect(&r, 422, "invalid_strength");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI sI si}", "resume_id", (json_int_t)rid, "job_description_id",
                            (json_int_t)jid, "customization_strength", 4));
    expect(&r, 422, "invalid_strength");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI}", "job_description_id", (json_int_t)jid));
    expect(&r, 400, "missing_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize", json_pack("{sI}", "resume_id", (json_int_t)rid));
    expect(&r, 400, "missing_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{si sI}", "resume_id", 999999, "job_description_id", (json_int_t)jid));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI si}", "resume_id", (json_int_t)rid, "job_description_id", 999999));
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{ss sI}", "resume_id", "1", "job_description_id", (json_int_t)jid));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                            (json_int_t)jid, "async", "yes"));
    expect(&r, 400, "invalid_field");
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{s{ss ss} ss}", "resume", "format", "text", "content", "",
                            "job_description", "Go"));
    expect(&r, 422, NULL);
    resp_free(&r);
    r = get(f, "/api/v1/enhance-customize/424242");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/api/v1/enhance-customize/424242/events");
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = http(f, "DELETE", "/api/v1/enhance-customize/424242", NULL, NULL);
    expect(&r, 404, "not_found");
    resp_free(&r);
}

/* Counts "event: NAME" lines; returns the first event id seen. */
static int count_events(const char *s, const char *name, long *first_id)
{
    int n = 0;
    char want[64];
    snprintf(want, sizeof want, "event: %s\n", name);
    for (const char *p = strstr(s, want); p; p = strstr(p + 1, want))
        n++;
    if (first_id) {
        const char *id = strstr(s, "id: ");
        *first_id = id ? strtol(id + 4, NULL, 10) : -1;
    }
    return n;
}

static void test_async_and_events(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r =
        post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI sI ss sb}", "resume_id", (json_int_t)rid, "job_description_id",
                            (json_int_t)jid, "customization_strength", "EXTENSIVE", "async", 1));
    expect(&r, 202, NULL);
    int64_t job = int_field(&r, "job_id");
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "queued");
    resp_free(&r);

    /* Subscribed at once: the stream follows the job to its end. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    char v[64];
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/event-stream");
    const char *s = tl_buf_str(&r.body);
    long first = 0;
    assert_int_equal(count_events(s, "accepted", &first), 1);
    assert_int_equal(first, 1);
    int sections = count_events(s, "section", NULL);
    assert_true(sections >= 1);
    assert_int_equal(count_events(s, "done", NULL), 1);
    assert_int_equal(count_events(s, "error", NULL), 0);
    /* Each section event names its subsection, in order, and what made it. */
    const char *sec = strstr(s, "event: section\ndata: ");
    assert_non_null(sec);
    json_t *first_sec = json_loads(sec + 21, JSON_DISABLE_EOF_CHECK, NULL);
    assert_int_equal(json_integer_value(json_object_get(first_sec, "done")), 1);
    assert_int_equal(json_integer_value(json_object_get(first_sec, "total")), sections);
    assert_string_equal(json_string_value(json_object_get(first_sec, "section")), "basics.summary");
    assert_string_equal(json_string_value(json_object_get(first_sec, "provider")), "local");
    assert_true(json_is_false(json_object_get(first_sec, "fallback")));
    /* ... and carries its tailored text: the summary's string */
    json_t *after = json_object_get(first_sec, "after");
    assert_true(json_is_string(after) && json_string_length(after) > 20);
    json_decref(first_sec);
    assert_non_null(strstr(s, "\"section\":\"work[0]\""));
    /* a work entry's event: its bullets */
    const char *w0 = strstr(s, "\"section\":\"work[0]\"");
    const char *w0_data = w0;
    while (w0_data > s && strncmp(w0_data, "data: ", 6) != 0)
        w0_data--;
    json_t *w0_ev = json_loads(w0_data + 6, JSON_DISABLE_EOF_CHECK, NULL);
    assert_true(json_is_array(json_object_get(w0_ev, "after")));
    assert_true(json_array_size(json_object_get(w0_ev, "after")) >= 3);
    json_decref(w0_ev);
    /* The consistency pass is announced once, after the last section and
     * before done. */
    assert_int_equal(count_events(s, "consistency", NULL), 1);
    const char *cons = strstr(s, "event: consistency\n");
    const char *last_sec = s;
    for (const char *p = s; (p = strstr(p, "event: section\n")) != NULL; p++)
        last_sec = p;
    assert_true(cons > last_sec && cons < strstr(s, "event: done\n"));
    /* The done event carries the whole result. */
    const char *done = strstr(s, "event: done\ndata: ");
    assert_non_null(done);
    json_t *res = json_loads(done + 18, JSON_DISABLE_EOF_CHECK, NULL);
    assert_true(json_is_object(json_object_get(res, "resume")));
    json_decref(res);
    resp_free(&r);

    /* Reconnecting after event 2 gets the rest, from event 3. */
    req_opts o = {.extra = "Last-Event-ID: 2"};
    r = http(f, "GET", path, NULL, &o);
    expect(&r, 200, NULL);
    s = tl_buf_str(&r.body);
    assert_int_equal(count_events(s, "accepted", &first), 0);
    assert_int_equal(first, 3);
    assert_int_equal(count_events(s, "section", NULL), sections - 1);
    assert_int_equal(count_events(s, "done", NULL), 1);
    resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "done");
    assert_int_equal(int_field(&r, "version"), 2);
    resp_free(&r);
}

/* Many customizations at once, synchronous and not, over few workers. */
static void test_concurrent_customizations(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    enum { N = 12 };
    CURLM *m = curl_multi_init();
    CURL *h[N];
    tl_buf bodies[N];
    char *payload = NULL;
    json_t *doc =
        json_pack("{sI sI}", "resume_id", (json_int_t)rid, "job_description_id", (json_int_t)jid);
    payload = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/enhance-customize", f->base);
    for (int i = 0; i < N; i++) {
        tl_buf_init(&bodies[i], 8u << 20);
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &bodies[i]);
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 60L);
        curl_multi_add_handle(m, h[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < N; i++) {
        long status = 0;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 200);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        tl_buf_free(&bodies[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdr);
    free(payload);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    resp r = get(f, path);
    assert_int_equal(int_field(&r, "latest_version"), N + 1);
    resp_free(&r);
}

static void test_plan(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/enhance-customize/plan",
                       json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                                 (json_int_t)jid, "customization_strength", "EXTENSIVE"));
    expect(&r, 200, NULL);
    json_t *sections = json_object_get(json_object_get(r.json, "plan"), "sections");
    assert_true(json_array_size(sections) >= 1);
    json_t *s0 = json_array_get(sections, 0);
    assert_true(json_is_string(json_object_get(s0, "key")));
    json_t *c0 = json_array_get(json_object_get(s0, "changes"), 0);
    assert_true(json_is_string(json_object_get(c0, "reason")));
    assert_true(json_is_object(json_object_get(json_object_get(r.json, "score"), "after")));
    assert_null(json_object_get(r.json, "resume"));
    assert_null(json_object_get(r.json, "version"));
    size_t i;
    json_t *sec;
    json_array_foreach(sections, i, sec)
    {
        assert_true(json_is_array(json_object_get(sec, "keywords")));
    }
    resp_free(&r);
    /* A plan stores no version. */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    r = get(f, path);
    assert_int_equal(int_field(&r, "latest_version"), 1);
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize/plan",
                  json_pack("{sI}", "resume_id", (json_int_t)rid));
    expect(&r, 400, "missing_field");
    resp_free(&r);
}

/* The keyword of a plan section named term, or NULL. */
static json_t *plan_keyword(const resp *r, const char *section, const char *term)
{
    size_t i, k;
    json_t *sec, *kw;
    json_array_foreach(json_object_get(json_object_get(r->json, "plan"), "sections"), i, sec)
    {
        if (strcmp(json_string_value(json_object_get(sec, "key")), section) != 0)
            continue;
        json_array_foreach(json_object_get(sec, "keywords"), k, kw)
        {
            if (strcmp(json_string_value(json_object_get(kw, "term")), term) == 0)
                return kw;
        }
    }
    return NULL;
}

/* Per section, the plan names the job keywords that section's own text
 * states: respellings it would make, skills its bullets back; never one
 * the section does not state. */
static void test_plan_keywords(void **state)
{
    fixture *f = *state;
    const char *resume =
        "{\"basics\": {\"name\": \"Sam Lee\", \"summary\": \"Engineer who likes clear code.\"},"
        " \"work\": [{\"name\": \"Acme\", \"position\": \"Engineer\", \"startDate\": \"2020-01\","
        " \"highlights\": [\"Ran services on k8s for three teams\", \"Built Kafka pipelines\"]}],"
        " \"skills\": [{\"name\": \"Tools\", \"keywords\": [\"Terraform\", \"Kafka\"]}]}";
    const char *job = "Platform Engineer\n\nRequirements:\n"
                      "- Experience running Kubernetes and Kafka in production\n"
                      "- Experience with Terraform and Rust\n";
    resp r = post_json(
        f, "/api/v1/enhance-customize/plan",
        json_pack("{so ss}", "resume", json_loads(resume, 0, NULL), "job_description", job));
    expect(&r, 200, NULL);
    json_t *k8s = plan_keyword(&r, "work", "Kubernetes");
    assert_non_null(k8s);
    assert_string_equal(json_string_value(json_object_get(k8s, "resume_spelling")), "k8s");
    assert_false(json_is_true(json_object_get(k8s, "in_skills")));
    json_t *kafka = plan_keyword(&r, "work", "Kafka");
    assert_non_null(kafka);
    assert_true(json_is_true(json_object_get(kafka, "in_skills")));
    assert_null(json_object_get(kafka, "resume_spelling"));
    assert_int_equal(json_integer_value(json_object_get(kafka, "mentions")), 1);
    assert_non_null(plan_keyword(&r, "skills", "Terraform"));
    assert_null(plan_keyword(&r, "work", "Terraform")); /* no bullet states it */
    assert_null(plan_keyword(&r, "work", "Rust"));
    assert_null(plan_keyword(&r, "basics", "Kafka"));
    resp_free(&r);
}

static void test_batch(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    char *t2 = fixture_text("analytics-engineer.txt");
    char *t3 = fixture_text("product-marketing-manager.txt");
    resp r = post_json(f, "/api/v1/enhance-customize/batch",
                       json_pack("{sI s[I] s[s{ss}]}", "resume_id", (json_int_t)rid,
                                 "job_description_ids", (json_int_t)jid, "job_descriptions", t2,
                                 "text", t3));
    expect(&r, 200, NULL);
    assert_int_equal(int_field(&r, "count"), 3);
    json_t *results = json_object_get(r.json, "results");
    assert_int_equal(json_array_size(results), 3);
    size_t i;
    json_t *v;
    json_array_foreach(results, i, v)
    {
        assert_string_equal(json_string_value(json_object_get(v, "status")), "done");
        assert_true(json_is_object(json_object_get(json_object_get(v, "result"), "score")));
    }
    resp_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    r = get(f, path);
    assert_int_equal(int_field(&r, "latest_version"), 4);
    resp_free(&r);

    r = post_json(f, "/api/v1/enhance-customize/batch",
                  json_pack("{sI s[ss] sb}", "resume_id", (json_int_t)rid, "job_descriptions", t2,
                            t3, "async", 1));
    expect(&r, 202, NULL);
    json_t *jobs = json_object_get(r.json, "jobs");
    assert_int_equal(json_array_size(jobs), 2);
    int64_t last = json_integer_value(json_object_get(json_array_get(jobs, 1), "job_id"));
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)last);
    r = get(f, path);
    assert_int_equal(count_events(tl_buf_str(&r.body), "done", NULL), 1);
    resp_free(&r);

    r = post_json(f, "/api/v1/enhance-customize/batch",
                  json_pack("{sI}", "resume_id", (json_int_t)rid));
    expect(&r, 400, "missing_field");
    resp_free(&r);
    json_t *many = json_array();
    for (int k = 0; k < 101; k++)
        json_array_append_new(many, json_integer(jid));
    r = post_json(f, "/api/v1/enhance-customize/batch",
                  json_pack("{sI so}", "resume_id", (json_int_t)rid, "job_description_ids", many));
    expect(&r, 422, "too_many");
    resp_free(&r);
    r = post_json(
        f, "/api/v1/enhance-customize/batch",
        json_pack("{sI s[i]}", "resume_id", (json_int_t)rid, "job_description_ids", 987654));
    expect(&r, 404, "not_found");
    resp_free(&r);
    free(t2);
    free(t3);
}

static const char *summary_of(fixture *f, int64_t rid, int version)
{
    static char out[4096];
    char path[96];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld/versions/%d", (long long)rid, version);
    resp r = get(f, path);
    expect(&r, 200, NULL);
    json_t *s =
        json_object_get(json_object_get(json_object_get(r.json, "resume"), "basics"), "summary");
    snprintf(out, sizeof out, "%s", json_string_value(s) ? json_string_value(s) : "");
    resp_free(&r);
    return out;
}

static void test_revert(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    resp r = post_json(f, "/api/v1/enhance-customize",
                       json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                                 (json_int_t)jid, "customization_strength", "EXTENSIVE"));
    expect(&r, 200, NULL);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);
    char original[4096];
    snprintf(original, sizeof original, "%s", summary_of(f, rid, 1));

    char path[160];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/sections/basics.summary/revert",
             (long long)job);
    r = post(f, path, "{}");
    expect(&r, 201, NULL);
    assert_int_equal(int_field(&r, "version"), 3);
    assert_int_equal(int_field(&r, "parent_version"), 2);
    resp_free(&r);
    assert_string_equal(summary_of(f, rid, 3), original);

    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/sections/work[0]/revert",
             (long long)job);
    r = post(f, path, "{}");
    expect(&r, 201, NULL);
    /* Reverts add up: this one builds on the previous one. */
    assert_int_equal(int_field(&r, "version"), 4);
    assert_int_equal(int_field(&r, "parent_version"), 3);
    resp_free(&r);
    assert_string_equal(summary_of(f, rid, 4), original);
    {
        char vpath[96];
        snprintf(vpath, sizeof vpath, "/api/v1/resumes/%lld/versions/1", (long long)rid);
        resp v1 = get(f, vpath);
        snprintf(vpath, sizeof vpath, "/api/v1/resumes/%lld/versions/4", (long long)rid);
        resp v4 = get(f, vpath);
        expect(&v1, 200, NULL);
        expect(&v4, 200, NULL);
        json_t *w1 = json_array_get(json_object_get(json_object_get(v1.json, "resume"), "work"), 0);
        json_t *w4 = json_array_get(json_object_get(json_object_get(v4.json, "resume"), "work"), 0);
        assert_true(json_equal(w1, w4));
        resp_free(&v1);
        resp_free(&v4);
    }
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/sections/nothing/revert",
             (long long)job);
    r = post(f, path, "{}");
    expect(&r, 404, "not_found");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/sections/work[x/revert",
             (long long)job);
    r = post(f, path, "{}");
    expect(&r, 422, "invalid_value");
    resp_free(&r);
    r = post(f, "/api/v1/enhance-customize/999999/sections/work/revert", "{}");
    expect(&r, 404, "not_found");
    resp_free(&r);

    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{s{ss} ss}", "resume", "content",
                            "Jo Doe\nExperience\nEngineer at X\n- Built Go services",
                            "job_description", "Go"));
    expect(&r, 200, NULL);
    job = int_field(&r, "job_id");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/sections/work/revert",
             (long long)job);
    r = post(f, path, "{}");
    expect(&r, 409, "not_stored");
    resp_free(&r);
}

/* A resume or job description that an unfinished job uses stays. */
static void test_in_use(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    /* A job another server has queued: in the database, not in memory. */
    tl_store_job_in ji = {.resume_id = rid,
                          .resume_version = 1,
                          .jd_id = jid,
                          .strength = "BALANCED",
                          .request_json = "{}"};
    int64_t job = 0;
    assert_int_equal(tl_store_job_add(f->store, &ji, &job), TL_OK);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    resp r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "in_use");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/job-descriptions/%lld", (long long)jid);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "in_use");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)job);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "not_cancellable");
    resp_free(&r);
    tl_store_job_end end = {.status = "failed", .error_code = "x", .error_message = "y"};
    assert_int_equal(tl_store_job_finish(f->store, job, &end), TL_OK);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "not_cancellable");
    resp_free(&r);
    /* Its events, rebuilt from the database: accepted, then the error. */
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(count_events(tl_buf_str(&r.body), "accepted", NULL), 1);
    assert_int_equal(count_events(tl_buf_str(&r.body), "error", NULL), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/resumes/%lld", (long long)rid);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 204, NULL);
    resp_free(&r);
}

/* A job still queued is cancelled: one worker, kept busy by a batch, so
 * that the job submitted after it waits its turn. */
static void test_cancel_queued(void **state)
{
    (void)state;
    tl_server_opts o = {.workers = 1};
    fixture *f = start_with(&o, NULL);
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    json_t *ids = json_array();
    for (int k = 0; k < 100; k++)
        json_array_append_new(ids, json_integer(jid));
    resp r = post_json(f, "/api/v1/enhance-customize/batch",
                       json_pack("{sI so sb}", "resume_id", (json_int_t)rid, "job_description_ids",
                                 ids, "async", 1));
    expect(&r, 202, NULL);
    resp_free(&r);
    r = post_json(f, "/api/v1/enhance-customize",
                  json_pack("{sI sI sb}", "resume_id", (json_int_t)rid, "job_description_id",
                            (json_int_t)jid, "async", 1));
    expect(&r, 202, NULL);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)job);
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 200, NULL);
    assert_int_equal(int_field(&r, "job_id"), job);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "cancelled");
    resp_free(&r);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "cancelled");
    resp_free(&r);
    /* Once cancelled it cannot be cancelled again, and its stream ends. */
    r = http(f, "DELETE", path, NULL, NULL);
    expect(&r, 409, "not_cancellable");
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(count_events(tl_buf_str(&r.body), "error", NULL), 1);
    assert_int_equal(count_events(tl_buf_str(&r.body), "done", NULL), 0);
    assert_non_null(strstr(tl_buf_str(&r.body), "cancelled"));
    resp_free(&r);
    stop(f);
}

static void test_ats_analyze(void **state)
{
    fixture *f = *state;
    int64_t rid = upload_resume(f, "alex-chen.json");
    resp r = post_json(f, "/api/v1/ats/analyze",
                       json_pack("{sI ss}", "resume_id", (json_int_t)rid, "job_description",
                                 "We need Go, Kafka and PostgreSQL experience."));
    expect(&r, 200, NULL);
    assert_true(json_is_integer(json_object_get(r.json, "score")));
    assert_true(json_is_array(json_object_get(r.json, "missing")));
    assert_true(json_is_array(json_object_get(r.json, "suggestions")));
    resp_free(&r);
}

/* The suggestion of a kind about term (NULL: any term), or NULL. */
static json_t *suggestion(const resp *r, const char *kind, const char *term)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r->json, "suggestions"), i, s)
    {
        const char *k = json_string_value(json_object_get(s, "kind"));
        const char *t = json_string_value(json_object_get(s, "term"));
        if (strcmp(k, kind) == 0 && (!term || (t && strcmp(t, term) == 0)))
            return s;
    }
    return NULL;
}

static const char *text_of(json_t *suggestion)
{
    assert_non_null(suggestion);
    return json_string_value(json_object_get(suggestion, "text"));
}

/* Suggestions come from what the report found: a keyword the resume
 * spells otherwise, one only listed among the skills, a summary that
 * names none of what the experience shows, keywords missing altogether
 * (never to be added unless true). */
static void test_ats_suggestions(void **state)
{
    fixture *f = *state;
    const char *resume =
        "{\"basics\": {\"name\": \"Sam Lee\", \"summary\": \"Engineer who likes clear code.\"},"
        " \"work\": [{\"name\": \"Acme\", \"position\": \"Engineer\", \"startDate\": \"2020-01\","
        " \"highlights\": [\"Ran services on k8s for three teams\", \"Built Kafka pipelines\"]}],"
        " \"skills\": [{\"name\": \"Tools\", \"keywords\": [\"Terraform\", \"Kafka\"]}]}";
    const char *job = "Platform Engineer\n\nRequirements:\n"
                      "- Experience running Kubernetes and Kafka in production\n"
                      "- Experience with Terraform and Rust\n\n"
                      "Nice to have:\n- Experience with GraphQL\n";
    json_t *body =
        json_pack("{so ss}", "resume", json_loads(resume, 0, NULL), "job_description", job);
    resp r = post_json(f, "/api/v1/ats/analyze", body);
    expect(&r, 200, NULL);
    const char *t = text_of(suggestion(&r, "spelling", "Kubernetes"));
    assert_non_null(strstr(t, "\"k8s\""));
    assert_string_equal(
        json_string_value(json_object_get(suggestion(&r, "spelling", "Kubernetes"), "section")),
        "work");
    assert_non_null(
        strstr(text_of(suggestion(&r, "skills_only", "Terraform")), "if you have used it"));
    assert_null(suggestion(&r, "skills_only", "Kafka")); /* a bullet shows it */
    t = text_of(suggestion(&r, "section", NULL));
    assert_non_null(strstr(t, "summary"));
    assert_non_null(strstr(t, "Kubernetes"));
    t = text_of(suggestion(&r, "missing", "Rust"));
    assert_non_null(strstr(t, "a requirement"));
    assert_non_null(strstr(t, "only if you have it"));
    assert_non_null(strstr(text_of(suggestion(&r, "missing", "GraphQL")), "nice to have"));
    assert_null(suggestion(&r, "missing", "Kafka"));
    resp_free(&r);
}

/* ---- limits, keys, draining, garbage ---- */

static void test_body_limit(void **state)
{
    (void)state;
    tl_server_opts o = {.max_body = 1024};
    fixture *f = start_with(&o, NULL);
    char big[4096];
    padded_object(big, sizeof big);
    resp r = post(f, "/api/v1/resumes", big);
    expect(&r, 413, "too_large");
    resp_free(&r);
    /* Chunked, without a declared length. */
    req_opts chunked = {.extra = "Transfer-Encoding: chunked"};
    r = http(f, "POST", "/api/v1/job-descriptions", big, &chunked);
    expect(&r, 413, "too_large");
    resp_free(&r);
    r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "text", "Go and Kafka"));
    expect(&r, 201, NULL);
    resp_free(&r);
    stop(f);
}

static void test_auth(void **state)
{
    (void)state;
    const char *keys[] = {"key-one", "key-two"};
    tl_server_opts o = {.api_keys = keys, .n_api_keys = 2};
    fixture *f = start_with(&o, NULL);
    char v[128];
    resp r = get(f, "/api/v1/resumes/1");
    expect(&r, 401, "unauthorized");
    assert_non_null(header(&r, "WWW-Authenticate", v, sizeof v));
    resp_free(&r);
    req_opts wrong = {.auth = "Bearer key-three"};
    r = http(f, "GET", "/api/v1/resumes/1", NULL, &wrong);
    expect(&r, 401, "unauthorized");
    resp_free(&r);
    req_opts basic = {.auth = "Basic a2V5LW9uZTo="};
    r = http(f, "GET", "/api/v1/resumes/1", NULL, &basic);
    expect(&r, 401, "unauthorized");
    resp_free(&r);
    req_opts prefix = {.auth = "Bearer key-on"};
    r = http(f, "GET", "/api/v1/resumes/1", NULL, &prefix);
    expect(&r, 401, "unauthorized");
    resp_free(&r);
    req_opts right = {.auth = "Bearer key-two"};
    r = http(f, "POST", "/api/v1/job-descriptions", "{\"text\":\"Go\"}", &right);
    expect(&r, 201, NULL);
    resp_free(&r);
    r = http(f, "GET", "/api/v1/resumes/1", NULL, &right);
    expect(&r, 404, "not_found");
    resp_free(&r);
    r = get(f, "/health");
    expect(&r, 200, NULL);
    resp_free(&r);
    r = get(f, "/");
    expect(&r, 200, NULL);
    resp_free(&r);
    r = get(f, "/metrics");
    expect(&r, 200, NULL);
    resp_free(&r);
    stop(f);

    tl_server_opts locked = {.api_keys = keys, .n_api_keys = 2, .protect_metrics = true};
    f = start_with(&locked, NULL);
    r = get(f, "/metrics");
    expect(&r, 401, "unauthorized");
    resp_free(&r);
    r = http(f, "GET", "/metrics", NULL, &right);
    expect(&r, 200, NULL);
    resp_free(&r);
    stop(f);
}

static void test_rate_limit(void **state)
{
    (void)state;
    tl_server_opts o = {.rate_limit = 0.5, .rate_burst = 2};
    fixture *f = start_with(&o, NULL);
    resp r = get(f, "/api/v1/resumes/1");
    expect(&r, 404, NULL);
    resp_free(&r);
    r = get(f, "/api/v1/resumes/1");
    expect(&r, 404, NULL);
    resp_free(&r);
    r = get(f, "/api/v1/resumes/1");
    expect(&r, 429, "rate_limited");
    char v[32];
    assert_non_null(header(&r, "Retry-After", v, sizeof v));
    assert_true(strtol(v, NULL, 10) >= 1);
    resp_free(&r);
    /* The page and the health check are not limited. */
    r = get(f, "/health");
    expect(&r, 200, NULL);
    resp_free(&r);
    stop(f);
}

static void test_draining(void **state)
{
    (void)state;
    fixture *f = start_with(NULL, NULL);
    tl_server_set_draining(f->srv, true);
    resp r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "text", "Go"));
    expect(&r, 503, "draining");
    resp_free(&r);
    r = get(f, "/health");
    expect(&r, 503, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "draining");
    resp_free(&r);
    assert_int_equal(tl_server_drain(f->srv, 1000), TL_OK);
    stop(f);
}

typedef struct waiter {
    fixture *f;
    const char *body;
    long status;
    bool failed;
} waiter;

static void *wait_customize(void *arg)
{
    waiter *w = arg;
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/enhance-customize", w->f->base);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    tl_buf body;
    tl_buf_init(&body, 8u << 20);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, w->body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    w->failed = curl_easy_perform(c) != CURLE_OK;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->status);
    tl_buf_free(&body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

/* Stopping the server while requests wait for queued jobs: they are
 * answered (503) or cut off, and nothing hangs, crashes or leaks. */
static void test_stop_with_waiters(void **state)
{
    (void)state;
    tl_server_opts o = {.workers = 1};
    fixture *f = start_with(&o, NULL);
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    json_t *ids = json_array();
    for (int k = 0; k < 100; k++)
        json_array_append_new(ids, json_integer(jid));
    resp r = post_json(f, "/api/v1/enhance-customize/batch",
                       json_pack("{sI so sb}", "resume_id", (json_int_t)rid, "job_description_ids",
                                 ids, "async", 1));
    expect(&r, 202, NULL);
    resp_free(&r);
    char body[128];
    snprintf(body, sizeof body, "{\"resume_id\":%lld,\"job_description_id\":%lld}", (long long)rid,
             (long long)jid);
    enum { N = 4 };
    waiter w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (waiter){.f = f, .body = body};
        assert_int_equal(pthread_create(&t[i], NULL, wait_customize, &w[i]), 0);
    }
    usleep(50000); /* let them reach the server and park */
    tl_server_destroy(f->srv);
    f->srv = NULL;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_true(w[i].failed || w[i].status == 503 || w[i].status == 200);
    }
    stop(f);
}

/* Raw bytes on a socket: what no well-behaved client sends. */
static void send_raw(fixture *f, const char *data, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(tl_server_port(f->srv))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    (void)w;
    shutdown(fd, SHUT_WR);
    char buf[4096];
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (recv(fd, buf, sizeof buf, 0) > 0)
        ;
    close(fd);
}

static void test_garbage(void **state)
{
    fixture *f = *state;
    const char *raw[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "POST /api/v1/resumes HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{",
        "POST /api/v1/resumes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 10\r\n\r\n{\"a\"",
        "GET /api/v1/resumes/1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /%00%ff HTTP/1.1\r\nHost: x\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        send_raw(f, raw[i], strlen(raw[i]));
    /* Mangled versions of a valid body: never a crash, never a 5xx. */
    const char *body = "{\"resume\":{\"format\":\"text\",\"content\":\"Jo Doe\\nExperience\\n"
                       "Engineer at X\\n- Built Go services\"},\"job_description\":\"Go\","
                       "\"customization_strength\":\"BALANCED\"}";
    size_t n = strlen(body);
    char *m = malloc(n + 1);
    srand(7);
    for (int round = 0; round < 150; round++) {
        memcpy(m, body, n + 1);
        for (int k = 0; k < 1 + round % 4; k++)
            m[(size_t)rand() % n] = (char)(rand() % 256);
        req_opts o = {.len = n};
        resp r = http(f, "POST", "/api/v1/enhance-customize", m, &o);
        if (r.status >= 500 || r.status < 200)
            fail_msg("round %d: status %ld: %s", round, r.status, tl_buf_str(&r.body));
        resp_free(&r);
    }
    free(m);
    resp r = get(f, "/health");
    expect(&r, 200, NULL);
    resp_free(&r);
}

/* A job left queued by a server that died runs when the next one starts. */
static void test_recovery(void **state)
{
    (void)state;
    tl_store *store = NULL;
    tl_store_sqlite_opts so = {.path = ":memory:"};
    assert_int_equal(tl_store_open_sqlite(&store, &so), TL_OK);
    char *alex = fixture_text("alex-chen.json");
    char *job = fixture_text("senior-backend-engineer.txt");
    tl_store_resume_in ri = {.format = "json", .json = alex};
    int64_t rid = 0;
    assert_int_equal(tl_store_resume_add(store, &ri, &rid), TL_OK);
    json_t *req =
        json_pack("{ss ss ss ss ss sI si si}", "resume", alex, "resume_format", "json",
                  "job_description", job, "strength", "BALANCED", "format", "json", "resume_id",
                  (json_int_t)rid, "resume_version", 1, "job_description_id", 0);
    char *req_text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    tl_store_job_in ji = {
        .resume_id = rid, .resume_version = 1, .strength = "BALANCED", .request_json = req_text};
    int64_t id = 0;
    assert_int_equal(tl_store_job_add(store, &ji, &id), TL_OK);
    free(req_text);
    free(alex);
    free(job);

    fixture *f = start_with(NULL, store);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)id);
    resp r = get(f, path); /* returns once the job has ended */
    expect(&r, 200, NULL);
    assert_int_equal(count_events(tl_buf_str(&r.body), "done", NULL), 1);
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld", (long long)id);
    r = get(f, path);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "done");
    assert_int_equal(int_field(&r, "version"), 2);
    resp_free(&r);
    stop(f);
}

/* ---- providers: the server's engine against fake-llm ---- */

typedef struct llm_fixture {
    tl_fakellm *llm;
    tl_io *io;
    tl_provider *openai;
    tl_provider_conf conf; /* borrowed by the server */
    fixture *f;
} llm_fixture;

/* fake-llm with opts o, an openai provider on it (streaming every call
 * when stream), and a server whose chain is openai, local. */
static llm_fixture *start_llm_stream(const tl_fakellm_opts *o, bool stream)
{
    llm_fixture *x = calloc(1, sizeof *x);
    assert_non_null(x);
    assert_int_equal(tl_fakellm_start(o, &x->llm), TL_OK);
    assert_int_equal(tl_io_create(&x->io, NULL), TL_OK);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(x->llm));
    tl_openai_opts oo = {.io = x->io, .base_url = url, .api_key = "sk-api-test", .stream = stream};
    assert_int_equal(tl_openai_create(&oo, &x->openai), TL_OK);
    tl_provider_conf_default(&x->conf);
    x->conf.retry.max_attempts = 2;
    x->conf.retry.base_delay_ns = 1000000; /* 1 ms: an outage test need not wait */
    tl_server_opts so = {.providers = &x->openai, .provider_confs = &x->conf, .n_providers = 1};
    x->f = start_with(&so, NULL);
    return x;
}

static llm_fixture *start_llm(const tl_fakellm_opts *o)
{
    return start_llm_stream(o, false);
}

static void stop_llm(llm_fixture *x)
{
    stop(x->f);
    tl_provider_destroy(x->openai);
    tl_io_destroy(x->io);
    tl_fakellm_stop(x->llm);
    free(x);
}

static json_t *seed_body(fixture *f)
{
    int64_t rid = upload_resume(f, "alex-chen.json");
    int64_t jid = upload_jd(f, "senior-backend-engineer.txt");
    return json_pack("{sI sI ss}", "resume_id", (json_int_t)rid, "job_description_id",
                     (json_int_t)jid, "customization_strength", "BALANCED");
}

/* A provider that streams, slowly enough for several progress reports a
 * call: the event stream has "progress" events (not stored history: no
 * id) for a section before that section's event, and none after it. */
static void test_progress_events(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.ms_per_token = 5; /* an event of six tokens every 30 ms */
    llm_fixture *x = start_llm_stream(&o, true);
    fixture *f = x->f;
    json_t *body = seed_body(f);
    json_object_set_new(body, "async", json_true());
    json_object_set_new(body, "provider", json_pack("[ss]", "openai", "local"));
    resp r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 202, NULL);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    const char *s = tl_buf_str(&r.body);
    assert_true(count_events(s, "progress", NULL) >= 2);
    assert_int_equal(count_events(s, "done", NULL), 1);
    int before = 0;
    for (const char *p = strstr(s, "event: progress\n"); p;
         p = strstr(p + 1, "event: progress\n")) {
        assert_true(p == s || strncmp(p - 2, "\n\n", 2) == 0); /* no id line */
        json_t *d = json_loads(p + strlen("event: progress\ndata: "), JSON_DISABLE_EOF_CHECK, NULL);
        assert_non_null(d);
        const char *sec = json_string_value(json_object_get(d, "section"));
        assert_non_null(sec);
        assert_true(json_integer_value(json_object_get(d, "tokens")) > 0);
        assert_int_equal(json_integer_value(json_object_get(d, "job_id")), job);
        char want[160];
        snprintf(want, sizeof want, "event: section\ndata: {\"job_id\":%lld,", (long long)job);
        /* the section's own event comes after its progress */
        const char *ev = p, *found = NULL;
        while ((ev = strstr(ev + 1, want)) != NULL) {
            json_t *e =
                json_loads(ev + strlen("event: section\ndata: "), JSON_DISABLE_EOF_CHECK, NULL);
            bool same = e && strcmp(json_string_value(json_object_get(e, "section")), sec) == 0;
            json_decref(e);
            if (same) {
                found = ev;
                break;
            }
        }
        assert_non_null(found);
        before++;
        json_decref(d);
    }
    assert_true(before >= 2);
    resp_free(&r);
    /* A replay after the job has ended has no progress. */
    r = get(f, path);
    expect(&r, 200, NULL);
    assert_int_equal(count_events(tl_buf_str(&r.body), "progress", NULL), 0);
    assert_int_equal(count_events(tl_buf_str(&r.body), "done", NULL), 1);
    resp_free(&r);
    stop_llm(x);
}

static int64_t metric(json_t *m, const char *key)
{
    json_t *v = json_object_get(m, key);
    if (!json_is_number(v))
        fail_msg("metrics have no %s", key);
    return (int64_t)json_number_value(v);
}

static void test_provider_customize(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 2;
    llm_fixture *x = start_llm(&o);
    fixture *f = x->f;

    /* /health lists the provider and its breaker, then local. */
    resp r = get(f, "/health");
    expect(&r, 200, NULL);
    json_t *pl = json_object_get(r.json, "providers");
    assert_int_equal(json_array_size(pl), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pl, 0), "name")),
                        "openai");
    assert_string_equal(json_string_value(json_object_get(json_array_get(pl, 0), "breaker")),
                        "closed");
    assert_string_equal(json_string_value(json_object_get(json_array_get(pl, 1), "name")), "local");
    resp_free(&r);

    /* The default chain (openai, local): every section made by openai. */
    r = post_json(f, "/api/v1/enhance-customize", seed_body(f));
    expect(&r, 200, NULL);
    json_t *m = json_object_get(r.json, "metrics");
    assert_true(metric(m, "provider_calls") > 0);
    assert_true(metric(m, "tokens_out") > 0);
    assert_int_equal(metric(m, "fallbacks"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "engine")), "enhanced");
    json_t *secs = json_object_get(r.json, "sections");
    assert_true(json_array_size(secs) >= 4);
    size_t i;
    json_t *sec;
    json_array_foreach(secs, i, sec)
    {
        assert_string_equal(json_string_value(json_object_get(sec, "provider")), "openai");
        assert_true(json_is_false(json_object_get(sec, "fallback")));
    }
    assert_true(json_is_object(json_object_get(r.json, "resume")));
    tl_fakellm_stats st;
    tl_fakellm_stats_get(x->llm, &st);
    assert_int_equal((int64_t)st.ok, metric(m, "provider_calls"));
    resp_free(&r);

    /* Asynchronous, with the chain named: the events say who made each. */
    json_t *body = seed_body(f);
    json_object_set_new(body, "async", json_true());
    json_object_set_new(body, "provider", json_pack("[ss]", "openai", "local"));
    json_object_set_new(body, "priority", json_integer(5));
    json_object_set_new(body, "deadline_ms", json_integer(60000));
    r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 202, NULL);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    const char *s = tl_buf_str(&r.body);
    int sections = count_events(s, "section", NULL);
    assert_true(sections >= 4);
    assert_int_equal(count_events(s, "fallback", NULL), 0);
    assert_int_equal(count_events(s, "done", NULL), 1);
    const char *ev = strstr(s, "event: section\ndata: ");
    assert_non_null(ev);
    json_t *first = json_loads(ev + 21, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(json_string_value(json_object_get(first, "section")));
    assert_true(json_is_false(json_object_get(first, "fallback")));
    /* The second job's sections may come from the cache the first filled. */
    const char *prov = json_string_value(json_object_get(first, "provider"));
    assert_true(strcmp(prov, "openai") == 0 || strcmp(prov, "cache") == 0);
    json_decref(first);
    resp_free(&r);

    /* The embedded engine alone, on request: no provider call. */
    body = seed_body(f);
    json_object_set_new(body, "provider", json_string("local"));
    r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 200, NULL);
    assert_int_equal(metric(json_object_get(r.json, "metrics"), "provider_calls"), 0);
    resp_free(&r);

    /* /metrics carries the engine's figures. */
    r = get(f, "/metrics");
    expect(&r, 200, NULL);
    s = tl_buf_str(&r.body);
    assert_non_null(
        strstr(s, "tailor_provider_breaker_state{provider=\"openai\",tier=\"small\"} 0"));
    assert_non_null(strstr(s, "tailor_engine_provider_calls_total "));
    assert_null(strstr(s, "tailor_engine_provider_calls_total 0\n"));
    assert_non_null(strstr(s, "tailor_engine_cache_hits_total "));
    assert_non_null(strstr(s, "tailor_engine_cache_bytes "));
    assert_null(strstr(s, "tailor_engine_cache_bytes 0\n")); /* the first job filled it */
    assert_non_null(strstr(s, "tailor_engine_tokens_in_total "));
    assert_non_null(strstr(s, "tailor_engine_cost_usd_total "));
    assert_non_null(strstr(s, "tailor_model_calls_total{provider=\"openai\",model=\""));
    assert_non_null(strstr(s, "tailor_model_cost_usd_total{provider=\"openai\",model=\""));
    assert_non_null(
        strstr(s, "tailor_provider_calls_total{provider=\"openai\",outcome=\"admitted\"}"));
    assert_non_null(strstr(s, "tailor_provider_parked{provider=\"openai\"}"));
    assert_non_null(
        strstr(s, "tailor_provider_answers_total{provider=\"openai\",outcome=\"ok\"} "));
    assert_null(strstr(s, "tailor_provider_answers_total{provider=\"openai\",outcome=\"ok\"} 0\n"));
    assert_non_null(strstr(s, "tailor_provider_latency_seconds_count{provider=\"openai\"} "));
    resp_free(&r);
    stop_llm(x);
}

static void test_provider_errors(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    llm_fixture *x = start_llm(&o);
    fixture *f = x->f;
    const char *bad[][2] = {{"\"nope\"", "unknown_provider"},
                            {"\"local,openai\"", "invalid_provider"},
                            {"\"openai,openai\"", "invalid_provider"},
                            {"5", "invalid_field"},
                            {"[1]", "invalid_field"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *body = seed_body(f);
        json_object_set_new(body, "provider", json_loads(bad[i][0], JSON_DECODE_ANY, NULL));
        resp r = post_json(f, "/api/v1/enhance-customize", body);
        expect(&r, strcmp(bad[i][1], "invalid_field") == 0 ? 400 : 422, bad[i][1]);
        resp_free(&r);
    }
    json_t *body = seed_body(f);
    json_object_set_new(body, "deadline_ms", json_integer(-5));
    resp r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 422, "invalid_deadline");
    resp_free(&r);
    body = seed_body(f);
    json_object_set_new(body, "priority", json_string("high"));
    r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 422, "invalid_priority");
    resp_free(&r);
    stop_llm(x);
}

/* The provider fails every call: each section falls back to the embedded
 * engine and the job still completes. */
static void test_provider_outage(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.error_rate = 1.0;
    llm_fixture *x = start_llm(&o);
    fixture *f = x->f;
    json_t *body = seed_body(f);
    json_object_set_new(body, "async", json_true());
    resp r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 202, NULL);
    int64_t job = int_field(&r, "job_id");
    resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/enhance-customize/%lld/events", (long long)job);
    r = get(f, path);
    expect(&r, 200, NULL);
    const char *s = tl_buf_str(&r.body);
    assert_int_equal(count_events(s, "done", NULL), 1);
    int fallbacks = count_events(s, "fallback", NULL);
    assert_true(fallbacks > 0);
    assert_int_equal(fallbacks, count_events(s, "section", NULL));
    const char *done = strstr(s, "event: done\ndata: ");
    assert_non_null(done);
    json_t *res = json_loads(done + 18, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(res);
    json_t *m = json_object_get(res, "metrics");
    assert_true(metric(m, "fallbacks") > 0);
    assert_true(metric(m, "failures") > 0);
    size_t i;
    json_t *sec;
    json_array_foreach(json_object_get(res, "sections"), i, sec)
    {
        assert_string_equal(json_string_value(json_object_get(sec, "provider")), "local");
        assert_true(json_is_true(json_object_get(sec, "fallback")));
    }
    assert_true(json_is_object(json_object_get(res, "resume")));
    json_decref(res);
    resp_free(&r);
    stop_llm(x);
}

/* The seed's own example request to the comparison endpoint. */
static void test_performance_comparison(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 2;
    llm_fixture *x = start_llm(&o);
    fixture *f = x->f;
    json_t *body = seed_body(f);
    resp r = post_json(f, "/api/v1/enhance-customize/performance-comparison", body);
    expect(&r, 200, NULL);
    json_t *orig = json_object_get(r.json, "original");
    json_t *enh = json_object_get(r.json, "enhanced");
    json_t *imp = json_object_get(r.json, "improvement");
    assert_true(json_is_object(orig) && json_is_object(enh) && json_is_object(imp));
    static const char *const keys[] = {"wall_ms",    "provider_calls", "tokens_in",
                                       "tokens_out", "retries",        "failures",
                                       "fallbacks",  "cache_hits",     "cost_usd"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        assert_true(json_is_number(json_object_get(orig, keys[i])));
        assert_true(json_is_number(json_object_get(enh, keys[i])));
    }
    assert_true(metric(orig, "provider_calls") > 0);
    assert_true(metric(enh, "provider_calls") > 0);
    assert_true(metric(enh, "provider_calls") <= metric(orig, "provider_calls"));
    assert_string_equal(json_string_value(json_object_get(orig, "engine")), "original");
    assert_string_equal(json_string_value(json_object_get(enh, "engine")), "enhanced");
    assert_true(json_is_number(json_object_get(imp, "time_ratio")));
    assert_true(json_is_number(json_object_get(imp, "calls_ratio")));
    assert_true(fabs(json_number_value(json_object_get(imp, "calls_ratio")) -
                     (double)metric(enh, "provider_calls") /
                         (double)metric(orig, "provider_calls")) < 1e-3);
    assert_true(json_number_value(json_object_get(imp, "calls_ratio")) <= 1.0);
    /* No failures on either side: 0 / 0 answers 1. */
    assert_true(json_number_value(json_object_get(imp, "failure_ratio")) == 1.0);
    resp_free(&r);
    /* Nothing came from a warm cache: the server's engine was not used. */
    r = get(f, "/metrics");
    assert_non_null(strstr(tl_buf_str(&r.body), "tailor_engine_provider_calls_total 0\n"));
    resp_free(&r);
    stop_llm(x);
}

/* Without providers both runs make no call: the calls ratio is 1. */
static void test_comparison_local(void **state)
{
    fixture *f = *state;
    resp r = post_json(f, "/api/v1/enhance-customize/performance-comparison", seed_body(f));
    expect(&r, 200, NULL);
    json_t *imp = json_object_get(r.json, "improvement");
    assert_int_equal(metric(json_object_get(r.json, "original"), "provider_calls"), 0);
    assert_true(json_number_value(json_object_get(imp, "calls_ratio")) == 1.0);
    assert_true(json_number_value(json_object_get(imp, "failure_ratio")) == 1.0);
    assert_true(json_is_number(json_object_get(imp, "time_ratio")));
    resp_free(&r);
}

/* sections: only the listed sections keep their tailoring. */
static void test_customize_sections(void **state)
{
    fixture *f = *state;
    char *orig_text = fixture_text("alex-chen.json");
    json_t *orig = json_loads(orig_text, 0, NULL);
    free(orig_text);
    assert_non_null(orig);
    json_t *body = seed_body(f);
    json_object_set_new(body, "sections", json_pack("[ss]", "skills", "work[0]"));
    resp r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 200, NULL);
    json_t *res = json_object_get(r.json, "resume");
    /* Everything else is the original again. */
    assert_true(json_equal(json_object_get(res, "basics"), json_object_get(orig, "basics")));
    json_t *work = json_object_get(res, "work");
    for (size_t i = 1; i < json_array_size(work); i++)
        assert_true(
            json_equal(json_array_get(work, i), json_array_get(json_object_get(orig, "work"), i)));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "changes"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        assert_true(strncmp(id, "skills", 6) == 0 || strncmp(id, "work[0]", 7) == 0);
    }
    resp_free(&r);
    json_decref(orig);
    body = seed_body(f);
    json_object_set_new(body, "sections", json_pack("[i]", 3));
    r = post_json(f, "/api/v1/enhance-customize", body);
    expect(&r, 422, "invalid_sections");
    resp_free(&r);
}

/* A provider that never answers does not hold the server's stop: the job
 * (and a comparison) is given up and stays unfinished in the store. */
static void test_stop_with_hung_provider(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.timeout_rate = 1.0;
    llm_fixture *x = start_llm(&o);
    fixture *f = x->f;
    int64_t jobs[2];
    for (int i = 0; i < 2; i++) {
        json_t *body = seed_body(f);
        json_object_set_new(body, "async", json_true());
        resp r = post_json(
            f, i ? "/api/v1/enhance-customize/performance-comparison" : "/api/v1/enhance-customize",
            body);
        expect(&r, 202, NULL);
        jobs[i] = int_field(&r, "job_id");
        resp_free(&r);
    }
    /* Both running, with their calls held by fake-llm. */
    for (int i = 0; i < 250; i++) {
        int running = 0;
        for (int k = 0; k < 2; k++) {
            tl_store_job *rec = NULL;
            assert_int_equal(tl_store_job_get(f->store, jobs[k], &rec), TL_OK);
            running += strcmp(rec->status, "running") == 0;
            tl_store_job_free(rec);
        }
        if (running == 2)
            break;
        usleep(20000);
    }
    usleep(300000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tl_server_destroy(f->srv);
    f->srv = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (s >= 5.0)
        fail_msg("stopping took %.1f s", s);
    for (int i = 0; i < 2; i++) {
        tl_store_job *rec = NULL;
        assert_int_equal(tl_store_job_get(f->store, jobs[i], &rec), TL_OK);
        assert_string_equal(rec->status, "running");
        tl_store_job_free(rec);
    }
    stop_llm(x);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openapi_is_true, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_descriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customize_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customize_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customize_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_customizations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ats_analyze, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ats_suggestions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_keywords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert, setup, teardown),
        cmocka_unit_test(test_web_dir),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_draining),
        cmocka_unit_test(test_stop_with_waiters),
        cmocka_unit_test(test_cancel_queued),
        cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_provider_customize),
        cmocka_unit_test(test_progress_events),
        cmocka_unit_test(test_provider_errors),
        cmocka_unit_test(test_provider_outage),
        cmocka_unit_test(test_performance_comparison),
        cmocka_unit_test_setup_teardown(test_comparison_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customize_sections, setup, teardown),
        cmocka_unit_test(test_stop_with_hung_provider),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
