/* Shared fixture of the HTTP API tests: a real server in the test's own
 * process on a free loopback port with an in-memory database, libcurl
 * requests, and checks of the answers' status, error codes and headers. */
#ifndef TEST_API_FX_H
#define TEST_API_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "server/server.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/file.h"

/* ---- a server for a test ---- */

typedef struct fixture {
    tl_store *store;
    tl_terms *terms;
    tl_server *srv;
    char base[64];
} fixture;

static inline fixture *start_with(const tl_server_opts *extra, tl_store *store)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (store) {
        f->store = store;
    } else {
        tl_store_sqlite_opts so = {.path = ":memory:"};
        assert_int_equal(tl_store_open_sqlite(&f->store, &so), TL_OK);
    }
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    tl_server_opts o = extra ? *extra : (tl_server_opts){0};
    o.store = f->store;
    o.terms = f->terms;
    o.port = 0;
    assert_int_equal(tl_server_create(&f->srv, &o), TL_OK);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", (unsigned)tl_server_port(f->srv));
    return f;
}

static inline void stop(fixture *f)
{
    tl_server_destroy(f->srv);
    tl_store_destroy(f->store);
    tl_terms_free(f->terms);
    free(f);
}

static inline int setup(void **state)
{
    *state = start_with(NULL, NULL);
    return 0;
}

static inline int teardown(void **state)
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

static inline size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    return tl_buf_append(ud, p, size * n) == TL_OK ? size * n : 0;
}

static inline void resp_free(resp *r)
{
    tl_buf_free(&r->body);
    tl_buf_free(&r->headers);
    json_decref(r->json);
}

/* The value of a response header (case-insensitive name), copied into out. */
static inline const char *header(const resp *r, const char *name, char *out, size_t cap)
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

typedef struct req_opts {
    const char *ctype; /* default application/json when there is a body */
    const char *auth;  /* full Authorization header value */
    const char *extra; /* one more header line */
    size_t len;        /* body length when it is not a C string */
} req_opts;

static inline resp http(fixture *f, const char *method, const char *path, const char *body,
                        const req_opts *o)
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
    char line[512];
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(o && o->len ? o->len : strlen(body)));
        snprintf(line, sizeof line, "Content-Type: %s",
                 o && o->ctype ? o->ctype : "application/json");
        h = curl_slist_append(h, line);
        h = curl_slist_append(h, "Expect:");
    }
    if (o && o->auth) {
        snprintf(line, sizeof line, "Authorization: %s", o->auth);
        h = curl_slist_append(h, line);
    }
    if (o && o->extra)
        h = curl_slist_append(h, o->extra);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
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

static inline resp get(fixture *f, const char *path)
{
    return http(f, "GET", path, NULL, NULL);
}

static inline resp post(fixture *f, const char *path, const char *body)
{
    return http(f, "POST", path, body, NULL);
}

static inline resp post_json(fixture *f, const char *path, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    resp r = post(f, path, text);
    free(text);
    return r;
}

/* Checks status and, for errors, the error document's shape and code. */
static inline void expect(const resp *r, long status, const char *code)
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

static inline int64_t int_field(const resp *r, const char *key)
{
    json_t *v = json_object_get(r->json, key);
    if (!json_is_integer(v))
        fail_msg("no integer %s in %.300s", key, tl_buf_str(&r->body));
    return json_integer_value(v);
}

static inline char *fixture_text(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(tl_file_read(path, 4u << 20, &data, &len), TL_OK);
    return data;
}

static inline int64_t upload_resume(fixture *f, const char *name)
{
    char *text = fixture_text(name);
    resp r = post(f, "/api/v1/resumes", text);
    free(text);
    expect(&r, 201, NULL);
    int64_t id = int_field(&r, "id");
    resp_free(&r);
    return id;
}

static inline int64_t upload_jd(fixture *f, const char *name)
{
    char *text = fixture_text(name);
    resp r = post_json(f, "/api/v1/job-descriptions", json_pack("{ss}", "text", text));
    free(text);
    expect(&r, 201, NULL);
    int64_t id = int_field(&r, "id");
    resp_free(&r);
    return id;
}

/* An error whose message names every one of the words (NULL-terminated). */
static inline void expect_message(const resp *r, ...)
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

static inline void expect_header(const resp *r, const char *name, const char *want)
{
    char v[256];
    if (!header(r, name, v, sizeof v))
        fail_msg("no %s header", name);
    if (strcmp(v, want) != 0)
        fail_msg("%s: '%s', want '%s'", name, v, want);
}

/* A JSON object of n - 1 bytes, mostly spaces: a body over a small
 * max_body. */
static inline void padded_object(char *buf, size_t n)
{
    memset(buf, ' ', n - 1);
    buf[0] = '{';
    buf[n - 3] = '}';
    buf[n - 1] = '\0';
}

#endif
