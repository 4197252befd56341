/* Customizing through the workers, all in one process but over a real
 * redis-server and a real fake-llm: tl_dist_customize answers like
 * tl_customize (progress per task, a tailored result) while the provider
 * calls are made by a tl_dist_worker; the same request twice is served by
 * the shared cache tier; a dead-lettered call is answered "dead_letter". */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dist/dist_int.h"
#include "provider/fakellm.h"
#include "provider/openai.h"
#include "test_dist_fx.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

typedef struct fx {
    tl_terms *terms;
    tl_resume *r;
    tl_job *j;
    tl_fakellm *llm;
    tl_provider *openai;
    tl_dist_worker *worker;
    tl_dist_customizer *cust;
    char prefix[32];
} fx;

static int seq;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->prefix, sizeof f->prefix, "tc%d-%ld", ++seq, (long)getpid());
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->r = tf_resume("alex-chen.json");
    f->j = tf_job(f->terms, "senior-backend-engineer.txt");
    tl_fakellm_opts lo;
    tl_fakellm_opts_default(&lo);
    lo.latency_ms = 5;
    assert_int_equal(tl_fakellm_start(&lo, &f->llm), TL_OK);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.base_url = url, .api_key = "sk-dist-test"};
    assert_int_equal(tl_openai_create(&oo, &f->openai), TL_OK);
    *state = f;
    return 0;
}

static void start_worker(fx *f, bool no_cache, uint64_t claim_idle_ms, unsigned max_deliveries)
{
    tl_dist_worker_provider wp = {.p = f->openai};
    tl_dist_worker_opts wo = {.url = redis_url,
                              .prefix = f->prefix,
                              .concurrency = 4,
                              .providers = &wp,
                              .n_providers = 1,
                              .no_cache = no_cache,
                              .claim_idle_ms = claim_idle_ms,
                              .max_deliveries = max_deliveries};
    assert_int_equal(tl_dist_worker_start(&wo, &f->worker), TL_OK);
}

static int teardown(void **state)
{
    fx *f = *state;
    tl_dist_customizer_destroy(f->cust);
    tl_dist_worker_stop(f->worker);
    tl_provider_destroy(f->openai);
    tl_fakellm_stop(f->llm);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    tl_terms_free(f->terms);
    free(f);
    return 0;
}

typedef struct prog {
    int calls, last_done, last_total;
} prog;

static void on_progress(void *ud, int done, int total)
{
    prog *p = ud;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static void test_customize_through_workers(void **state)
{
    fx *f = *state;
    start_worker(f, false, 0, 0);
    tl_dist_customizer_opts co = {.url = redis_url, .prefix = f->prefix, .no_cache = true};
    assert_int_equal(tl_dist_customizer_create(&f->cust, &co), TL_OK);
    for (int round = 0; round < 2; round++) {
        prog p = {0};
        tl_customize_opts o = {
            .strength = TL_STRENGTH_BALANCED, .progress = on_progress, .progress_ud = &p};
        tl_result *res = NULL;
        assert_int_equal(tl_dist_customize(f->cust, f->r, f->j, f->terms, &o, &res), TL_OK);
        assert_non_null(res);
        assert_non_null(res->tailored);
        assert_true(res->changes->n > 0);
        assert_true(p.calls >= 4);
        assert_int_equal(p.last_done, p.calls);
        assert_int_equal(p.last_total, p.calls);
        tl_result_free(res);
    }
    tl_dist_worker_stats ws;
    tl_dist_worker_stats_get(f->worker, &ws);
    tl_fakellm_stats ls;
    tl_fakellm_stats_get(f->llm, &ls);
    /* The second round asked the same calls: the shared cache answered. */
    assert_true(ws.tasks > 0);
    assert_int_equal(ws.provider_calls, ls.calls);
    assert_true(ws.cache_hits > 0);
    assert_int_equal(ws.cache_hits + ws.provider_calls, ws.tasks);
    tl_dist_remote_stats rs;
    tl_dist_customizer_stats(f->cust, &rs);
    assert_int_equal(rs.submitted, rs.answered);
    assert_int_equal(rs.in_flight, 0);
}

/* A call taken by a consumer that "crashed" once, with max_deliveries 1:
 * the worker dead-letters it and answers "dead_letter" (the engine then
 * completes the task on the embedded engine). */
static void test_dead_letter_answer(void **state)
{
    fx *f = *state;
    tl_dist_queue_opts qo;
    tl_dist_queue_opts_default(&qo);
    qo.url = redis_url;
    qo.prefix = f->prefix;
    tl_dist_queue *q = NULL;
    assert_int_equal(tl_dist_queue_create(&q, &qo), TL_OK);
    tl_chat_request req = {.user = "tailor this", .max_tokens = 50};
    char *payload = NULL;
    size_t len = 0;
    assert_int_equal(tl_dist_encode_request(&req, NULL, &payload, &len), TL_OK);
    char reply[64];
    snprintf(reply, sizeof reply, "%s:rep", f->prefix);
    assert_int_equal(tl_dist_enqueue(q, 1, "dl-1", reply, payload, len), TL_OK);
    free(payload);
    tl_dist_msg *m = NULL;
    assert_int_equal(tl_dist_take(q, 100, &m), TL_OK);
    tl_dist_msg_free(m); /* crashed */
    start_worker(f, true, 50, 1);
    char last[48] = "0";
    tl_dist_result *res = NULL;
    size_t n = 0;
    for (int i = 0; i < 50 && n == 0; i++)
        assert_int_equal(tl_dist_read_results(q, reply, last, 100, &res, &n), TL_OK);
    assert_int_equal(n, 1);
    tl__dist_response d;
    assert_int_equal(tl__dist_decode_response(res[0].result, res[0].len, &d), TL_OK);
    assert_int_equal(d.resp.error, TL_CALL_SERVER);
    assert_string_equal(d.resp.message, "dead_letter");
    assert_true(d.resp.dead_letter);
    tl__dist_response_free(&d);
    tl_dist_results_free(res, n);
    tl_dist_worker_stats ws;
    tl_dist_worker_stats_get(f->worker, &ws);
    assert_int_equal(ws.dead_letters, 1);
    assert_int_equal(ws.provider_calls, 0);
    tl_dist_queue_stats st;
    assert_int_equal(tl_dist_queue_stats_get(q, &st), TL_OK);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.pending, 0);
    tl_dist_queue_destroy(q);
}

/* Sends req through the queue and returns the answer's text (malloc'd;
 * "" when none), asserting a successful answer. */
static char *ask(tl_dist_queue *q, const char *reply, const char *task, const tl_chat_request *req)
{
    char *payload = NULL;
    size_t len = 0;
    assert_int_equal(tl_dist_encode_request(req, NULL, &payload, &len), TL_OK);
    assert_int_equal(tl_dist_enqueue(q, 1, task, reply, payload, len), TL_OK);
    free(payload);
    static char last[48] = "0";
    tl_dist_result *res = NULL;
    size_t n = 0;
    for (int i = 0; i < 100 && n == 0; i++)
        assert_int_equal(tl_dist_read_results(q, reply, last, 100, &res, &n), TL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(res[0].task_id, task);
    tl__dist_response d;
    assert_int_equal(tl__dist_decode_response(res[0].result, res[0].len, &d), TL_OK);
    assert_int_equal(d.resp.error, TL_CALL_OK);
    char *text = strndup(d.resp.text ? d.resp.text : "", d.resp.text_len);
    tl__dist_response_free(&d);
    tl_dist_results_free(res, n);
    return text;
}

/* The fact guard runs on the engine's side, after the worker: an answer
 * it rejected may sit in the shared cache. A retry (attempt 2) is not
 * served from there: it reaches the provider, and its answer replaces the
 * cached one, which first attempts then get. */
static void test_retry_skips_and_replaces_cache(void **state)
{
    fx *f = *state;
    start_worker(f, false, 0, 0);
    tl_dist_queue_opts qo;
    tl_dist_queue_opts_default(&qo);
    qo.url = redis_url;
    qo.prefix = f->prefix;
    tl_dist_queue *q = NULL;
    assert_int_equal(tl_dist_queue_create(&q, &qo), TL_OK);
    char reply[64];
    snprintf(reply, sizeof reply, "%s:rep", f->prefix);
    tl_chat_request req = {.user = "Tailor: work[0] Built the billing service in Go.",
                           .max_tokens = 200,
                           .json = true,
                           .attempt = 1};
    /* the answer the guard rejected, as the worker cached it */
    tl_dist_cache_opts co;
    tl_dist_cache_opts_default(&co);
    co.url = redis_url;
    co.prefix = f->prefix;
    tl_dist_cache *c = NULL;
    assert_int_equal(tl_dist_cache_create(&c, &co), TL_OK);
    tl_cache_key key = tl__dist_request_key(f->openai->name, &req);
    tl_chat_response bad = {.error = TL_CALL_OK, .text = "REJECTED", .text_len = 8};
    char *enc = NULL;
    size_t len = 0;
    assert_int_equal(tl_dist_encode_response(&bad, &enc, &len), TL_OK);
    assert_int_equal(tl_dist_cache_put(c, key, enc, len, 0), TL_OK);
    free(enc);

    char *a1 = ask(q, reply, "r-1", &req); /* a first attempt: the cache answers */
    assert_string_equal(a1, "REJECTED");
    tl_dist_worker_stats ws;
    tl_dist_worker_stats_get(f->worker, &ws);
    assert_int_equal(ws.provider_calls, 0);
    assert_int_equal(ws.cache_hits, 1);

    req.attempt = 2; /* the engine's retry */
    char *a2 = ask(q, reply, "r-2", &req);
    assert_string_not_equal(a2, "REJECTED");
    tl_dist_worker_stats_get(f->worker, &ws);
    assert_int_equal(ws.provider_calls, 1);
    assert_int_equal(ws.cache_hits, 1);

    req.attempt = 1; /* another engine's first attempt: the new answer */
    char *a3 = ask(q, reply, "r-3", &req);
    assert_string_equal(a3, a2);
    tl_dist_worker_stats_get(f->worker, &ws);
    assert_int_equal(ws.provider_calls, 1);
    assert_int_equal(ws.cache_hits, 2);
    free(a1);
    free(a2);
    free(a3);
    tl_dist_cache_destroy(c);
    tl_dist_queue_destroy(q);
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    tl_chat_request req = {.model = "m",
                           .system = "sys",
                           .user = "us\xc3\xa9r",
                           .max_tokens = 7,
                           .temperature = 0.25,
                           .json = true,
                           .timeout_ms = 900,
                           .tokens_in_estimate = 33,
                           .attempt = 3};
    char *p = NULL;
    size_t n = 0;
    assert_int_equal(tl_dist_encode_request(&req, "openai", &p, &n), TL_OK);
    tl__dist_request d;
    assert_int_equal(tl__dist_decode_request(p, n, &d), TL_OK);
    assert_string_equal(d.req.user, "us\xc3\xa9r");
    assert_string_equal(d.req.system, "sys");
    assert_string_equal(d.target, "openai");
    assert_int_equal(d.req.max_tokens, 7);
    assert_true(d.req.json);
    assert_int_equal(d.req.tokens_in_estimate, 33);
    assert_int_equal(d.req.attempt, 3);
    tl__dist_request_free(&d);
    free(p);
    tl_chat_response resp = {.error = TL_CALL_RATE_LIMITED,
                             .http_status = 429,
                             .text = "t",
                             .text_len = 1,
                             .retry_after_ms = 1500,
                             .message = "slow down"};
    assert_int_equal(tl_dist_encode_response(&resp, &p, &n), TL_OK);
    tl__dist_response r;
    assert_int_equal(tl__dist_decode_response(p, n, &r), TL_OK);
    assert_int_equal(r.resp.error, TL_CALL_RATE_LIMITED);
    assert_int_equal(r.resp.http_status, 429);
    assert_int_equal(r.resp.retry_after_ms, 1500);
    assert_int_equal(r.resp.text_len, 1);
    assert_false(r.resp.dead_letter);
    tl__dist_response_free(&r);
    free(p);
    /* Not UTF-8: travels as a malformed answer. */
    resp.error = TL_CALL_OK;
    resp.text = "\xff\xfe";
    resp.text_len = 2;
    assert_int_equal(tl_dist_encode_response(&resp, &p, &n), TL_OK);
    assert_int_equal(tl__dist_decode_response(p, n, &r), TL_OK);
    assert_int_equal(r.resp.error, TL_CALL_MALFORMED);
    tl__dist_response_free(&r);
    free(p);
    assert_int_equal(tl__dist_decode_request("{", 1, &d), TL_EFORMAT);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!fx_redis_or_skip(argv))
        return getenv("TL_REQUIRE_SERVICES") ? 1 : 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test_setup_teardown(test_customize_through_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_skips_and_replaces_cache, setup, teardown),
    };
    return cmocka_run_group_tests_name("dist_customize", tests, NULL, NULL);
}
