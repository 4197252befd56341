/* The server's pure helpers: routing, request checks, error mapping, key
 * comparison, the rate limiter and the metrics text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/diff.h"
#include "server/http_util.h"
#include "server/limiter.h"
#include "server/metrics.h"

static void test_route_match(void **state)
{
    (void)state;
    tl_route_params p;
    assert_true(tl_route_match("/", "/", &p));
    assert_false(tl_route_match("/", "/x", &p));
    assert_true(tl_route_match("/api/v1/resumes", "/api/v1/resumes", &p));
    assert_int_equal(p.n, 0);
    assert_false(tl_route_match("/api/v1/resumes", "/api/v1/resumes/", &p));
    assert_false(tl_route_match("/api/v1/resumes", "/api/v1/resume", &p));
    assert_false(tl_route_match("/api/v1/resumes", "/api/v1/resumesX", &p));
    assert_true(tl_route_match("/api/v1/resumes/{id}", "/api/v1/resumes/42", &p));
    assert_int_equal(p.n, 1);
    assert_string_equal(p.v[0], "42");
    assert_true(
        tl_route_match("/api/v1/resumes/{id}/versions/{v}", "/api/v1/resumes/7/versions/3", &p));
    assert_int_equal(p.n, 2);
    assert_string_equal(p.v[0], "7");
    assert_string_equal(p.v[1], "3");
    assert_false(tl_route_match("/api/v1/resumes/{id}", "/api/v1/resumes/42/versions", &p));
    assert_false(tl_route_match("/api/v1/resumes/{id}/versions", "/api/v1/resumes//versions", &p));
    assert_false(tl_route_match("/api/v1/resumes/{id}", "/api/v1/resumes/a%2Fb", &p));
    assert_false(tl_route_match("/api/v1/resumes/{id}", "/api/v1/resumes/..%00", &p));
    assert_false(tl_route_match("/x", "", &p));
    assert_false(tl_route_match("/x", "x", &p));
    char longseg[200] = "/r/";
    memset(longseg + 3, '1', 100);
    assert_false(tl_route_match("/r/{id}", longseg, &p));
    assert_true(tl_route_match("/r/{id}", "/r/abc", NULL));
}

static void test_parse_id(void **state)
{
    (void)state;
    int64_t id = 0;
    assert_true(tl_parse_id("1", &id));
    assert_int_equal(id, 1);
    assert_true(tl_parse_id("9223372036854775807", &id));
    assert_false(tl_parse_id("9223372036854775808", &id));
    assert_false(tl_parse_id("0", &id));
    assert_false(tl_parse_id("-1", &id));
    assert_false(tl_parse_id("+1", &id));
    assert_false(tl_parse_id(" 1", &id));
    assert_false(tl_parse_id("1x", &id));
    assert_false(tl_parse_id("", &id));
    assert_false(tl_parse_id(NULL, &id));
}

static void test_json_depth(void **state)
{
    (void)state;
    const char *ok = "{\"a\":[1,{\"b\":[]}]}";
    assert_true(tl_json_depth_ok(ok, strlen(ok), 4));
    assert_false(tl_json_depth_ok(ok, strlen(ok), 3));
    /* Brackets inside strings, and escaped quotes, do not count. */
    const char *str = "{\"a\":\"[[[[[[\\\"[[[[\"}";
    assert_true(tl_json_depth_ok(str, strlen(str), 1));
    char deep[200];
    for (int i = 0; i < 100; i++)
        deep[i] = '[';
    for (int i = 0; i < 100; i++)
        deep[100 + i] = ']';
    assert_false(tl_json_depth_ok(deep, sizeof deep, 32));
    assert_true(tl_json_depth_ok(deep, sizeof deep, 100));
    assert_true(tl_json_depth_ok("", 0, 1));
}

static void test_content_type(void **state)
{
    (void)state;
    assert_true(tl_content_type_is_json("application/json"));
    assert_true(tl_content_type_is_json("Application/JSON; charset=utf-8"));
    assert_true(tl_content_type_is_json("application/merge-patch+json"));
    assert_false(tl_content_type_is_json("application/jsonx"));
    assert_false(tl_content_type_is_json("text/plain"));
    assert_false(tl_content_type_is_json("application/x-www-form-urlencoded"));
    assert_false(tl_content_type_is_json(NULL));
    assert_false(tl_content_type_is_json(""));
}

static void test_error_mapping(void **state)
{
    (void)state;
    assert_int_equal(tl_http_error_from(TL_ETOOBIG).status, 413);
    assert_int_equal(tl_http_error_from(TL_EEMPTY).status, 422);
    assert_int_equal(tl_http_error_from(TL_EFORMAT).status, 422);
    assert_int_equal(tl_http_error_from(TL_EUTF8).status, 400);
    assert_int_equal(tl_http_error_from(TL_ENOTFOUND).status, 404);
    assert_int_equal(tl_http_error_from(TL_EIO).status, 500);
    assert_string_equal(tl_http_error_from(TL_EEMPTY).code, "nothing_recognised");
    assert_string_equal(tl_http_reason(405), "Method Not Allowed");
    assert_string_equal(tl_http_reason(299), "Unknown");
}

static void test_keys(void **state)
{
    (void)state;
    assert_true(tl_key_equal("secret", 6, "secret", 6));
    assert_false(tl_key_equal("secreT", 6, "secret", 6));
    assert_false(tl_key_equal("secret1", 7, "secret", 6));
    assert_false(tl_key_equal("secre", 5, "secret", 6));
    assert_false(tl_key_equal("", 0, "secret", 6));
    assert_false(tl_key_equal("", 0, "", 0));
    size_t n = 0;
    const char *k = tl_bearer_token("Bearer abc123 ", &n);
    assert_non_null(k);
    assert_int_equal(n, 6);
    assert_memory_equal(k, "abc123", 6);
    assert_non_null(tl_bearer_token("bearer x", &n));
    assert_null(tl_bearer_token("Basic abc", &n));
    assert_null(tl_bearer_token("Bearer    ", &n));
    assert_null(tl_bearer_token(NULL, &n));
}

static void test_request_id(void **state)
{
    (void)state;
    assert_true(tl_request_id_ok("abc-123_x.y"));
    assert_false(tl_request_id_ok(""));
    assert_false(tl_request_id_ok("a b"));
    assert_false(tl_request_id_ok("a\nb"));
    char longid[80];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_false(tl_request_id_ok(longid));
}

static void test_limiter(void **state)
{
    (void)state;
    tl_limiter *l = tl_limiter_create(2, 3);
    assert_non_null(l);
    int retry = 0;
    assert_true(tl_limiter_take(l, "k", 1, 100.0, &retry));
    assert_true(tl_limiter_take(l, "k", 1, 100.0, &retry));
    assert_true(tl_limiter_take(l, "k", 1, 100.0, &retry));
    assert_false(tl_limiter_take(l, "k", 1, 100.0, &retry));
    assert_int_equal(retry, 1);
    /* Another client has its own bucket. */
    assert_true(tl_limiter_take(l, "other", 5, 100.0, &retry));
    /* Half a second later one token is back. */
    assert_true(tl_limiter_take(l, "k", 1, 100.5, &retry));
    assert_false(tl_limiter_take(l, "k", 1, 100.5, &retry));
    tl_limiter_destroy(l);
    assert_null(tl_limiter_create(0, 1));
    tl_limiter_destroy(NULL);
}

static void test_metrics(void **state)
{
    (void)state;
    const char *names[] = {"/health", "/api/v1/resumes"};
    tl_metrics *m = tl_metrics_create(2, names);
    assert_non_null(m);
    tl_metrics_request(m, 0, 200, 0.0001);
    tl_metrics_request(m, 0, 200, 0.2);
    tl_metrics_request(m, 1, 422, 0.002);
    tl_metrics_request(m, -1, 404, 0.001);
    tl_metrics_request(m, 1, 299, 0.001);
    tl_metrics_job_end(m, "done", 0.03);
    tl_metrics_job_end(m, "failed", 0.03);
    tl_metrics_gauges g = {.jobs_queued = 3, .jobs_running = 1};
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(tl_metrics_render(m, &g, &text, &len), TL_OK);
    assert_int_equal(strlen(text), len);
    assert_non_null(
        strstr(text, "tailor_http_requests_total{route=\"/health\",status=\"200\"} 2\n"));
    assert_non_null(
        strstr(text, "tailor_http_requests_total{route=\"/api/v1/resumes\",status=\"422\"} 1\n"));
    assert_non_null(
        strstr(text, "tailor_http_requests_total{route=\"/api/v1/resumes\",status=\"other\"} 1\n"));
    assert_non_null(
        strstr(text, "tailor_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
    assert_non_null(strstr(
        text, "tailor_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(
        text, "tailor_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 2\n"));
    assert_non_null(
        strstr(text, "tailor_http_request_duration_seconds_count{route=\"/health\"} 2\n"));
    assert_non_null(strstr(text, "tailor_jobs{status=\"queued\"} 3\n"));
    assert_non_null(strstr(text, "tailor_jobs_total{status=\"done\"} 1\n"));
    assert_non_null(strstr(text, "tailor_jobs_total{status=\"failed\"} 1\n"));
    assert_non_null(strstr(text, "tailor_customize_duration_seconds_count 2\n"));
    assert_non_null(strstr(text, "# TYPE tailor_customize_duration_seconds histogram\n"));
    free(text);
    tl_metrics_destroy(m);
}

static json_t *find_by(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(json_object_get(v, key));
        if (s && strcmp(s, value) == 0)
            return v;
    }
    return NULL;
}

static int summary(json_t *d, const char *key)
{
    return (int)json_integer_value(json_object_get(json_object_get(d, "summary"), key));
}

static void test_diff(void **state)
{
    (void)state;
    json_t *a = json_loads("{\"basics\":{\"name\":\"A\",\"summary\":\"x\"},"
                           "\"work\":[{\"name\":\"Acme\",\"position\":\"Eng\",\"highlights\":"
                           "[\"Built Go services\",\"Led team\",\"Wrote docs\"]},"
                           "{\"name\":\"Beta\",\"position\":\"Dev\",\"highlights\":[]}],"
                           "\"skills\":[{\"name\":\"Go\"}]}",
                           0, NULL);
    json_t *b = json_loads(
        "{\"basics\":{\"name\":\"A\",\"summary\":\"y\"},"
        "\"work\":[{\"name\":\"Beta\",\"position\":\"Dev\",\"highlights\":[]},"
        "{\"name\":\"Acme\",\"position\":\"Eng\",\"highlights\":"
        "[\"Led team\",\"Built Go services in production\",\"Something else entirely\"]}],"
        "\"projects\":[{\"name\":\"P\"}]}",
        0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    json_t *d = tl_resume_diff(a, b);
    assert_non_null(d);
    json_t *secs = json_object_get(d, "sections");
    json_t *basics = find_by(secs, "key", "basics");
    assert_string_equal(json_string_value(json_object_get(basics, "status")), "changed");
    json_t *f0 = json_array_get(json_object_get(basics, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "field")), "summary");
    assert_string_equal(json_string_value(json_object_get(f0, "after")), "y");
    assert_string_equal(
        json_string_value(json_object_get(find_by(secs, "key", "skills"), "status")), "removed");
    assert_string_equal(
        json_string_value(json_object_get(find_by(secs, "key", "projects"), "status")), "added");
    json_t *work = find_by(secs, "key", "work");
    json_t *entries = json_object_get(work, "entries");
    json_t *beta = find_by(entries, "title", "Beta");
    assert_string_equal(json_string_value(json_object_get(beta, "status")), "moved");
    json_t *acme = find_by(entries, "title", "Acme");
    assert_string_equal(json_string_value(json_object_get(acme, "status")), "changed");
    json_t *bullets = json_object_get(acme, "bullets");
    json_t *changed = find_by(bullets, "status", "changed");
    assert_string_equal(json_string_value(json_object_get(changed, "before")), "Built Go services");
    assert_string_equal(json_string_value(json_object_get(changed, "after")),
                        "Built Go services in production");
    assert_non_null(find_by(bullets, "status", "moved"));
    assert_string_equal(
        json_string_value(json_object_get(find_by(bullets, "status", "added"), "after")),
        "Something else entirely");
    assert_string_equal(
        json_string_value(json_object_get(find_by(bullets, "status", "removed"), "before")),
        "Wrote docs");
    assert_int_equal(summary(d, "sections_changed"), 4);
    assert_int_equal(summary(d, "entries_moved"), 2);
    assert_int_equal(summary(d, "bullets_changed"), 1);
    assert_int_equal(summary(d, "bullets_added"), 1);
    assert_int_equal(summary(d, "bullets_removed"), 1);
    assert_int_equal(summary(d, "bullets_moved"), 1);
    json_decref(d);
    /* A document compared with itself has no differences. */
    d = tl_resume_diff(a, a);
    assert_int_equal(summary(d, "sections_changed"), 0);
    json_decref(d);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_match),   cmocka_unit_test(test_parse_id),
        cmocka_unit_test(test_json_depth),    cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_error_mapping), cmocka_unit_test(test_keys),
        cmocka_unit_test(test_request_id),    cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_metrics),       cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
