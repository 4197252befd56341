/* Model choice: cheapest of the tier, then expected latency x success from
 * telemetry; breakers (usable), context sizes, tier fallback; metrics and
 * the JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/router.h"

static const tl_model_entry models[] = {
    {"openai", "mini-a", 0, 0.15, 0.60, 128000},      {"vllm", "mini-b", 0, 0.15, 0.60, 8000},
    {"openai", "big", 1, 2.50, 10.0, 128000},         {"anthropic", "big-2", 1, 3.00, 15.0, 200000},
    {"openai", "mini-pricey", 0, 1.00, 4.00, 128000},
};
#define N (sizeof models / sizeof models[0])

static tl_router *make(void)
{
    tl_router *r = NULL;
    assert_int_equal(tl_router_create(models, N, NULL, &r), TL_OK);
    return r;
}

static void record(tl_router *r, int i, bool ok, bool rejected, double ms, int times)
{
    tl_router_obs o = {ok, rejected, (uint64_t)(ms * 1e6), 1000, 200};
    for (int k = 0; k < times; k++)
        tl_router_record(r, (size_t)i, &o);
}

static bool not_openai(void *ud, size_t i, const tl_model_entry *m)
{
    (void)ud;
    (void)i;
    return strcmp(m->provider, "openai") != 0;
}

static bool none(void *ud, size_t i, const tl_model_entry *m)
{
    (void)ud;
    (void)i;
    (void)m;
    return false;
}

static bool only_big(void *ud, size_t i, const tl_model_entry *m)
{
    (void)ud;
    (void)m;
    return i == 2;
}

static void test_pick(void **state)
{
    (void)state;
    tl_router *r = make();
    /* No telemetry: the first cheapest of the tier. */
    assert_int_equal(tl_router_pick(r, 0, 1000, NULL, NULL), 0);
    assert_int_equal(tl_router_pick(r, 1, 1000, NULL, NULL), 2);
    /* mini-a slow, mini-b fast: mini-b. */
    record(r, 0, true, false, 3000, 5);
    record(r, 1, true, false, 500, 5);
    assert_int_equal(tl_router_pick(r, 0, 1000, NULL, NULL), 1);
    /* ... unless the task does not fit mini-b's context. */
    assert_int_equal(tl_router_pick(r, 0, 20000, NULL, NULL), 0);
    /* mini-b starts failing and being rejected: mini-a again. */
    record(r, 1, false, false, 0, 10);
    record(r, 1, false, true, 500, 10);
    assert_int_equal(tl_router_pick(r, 0, 1000, NULL, NULL), 0);
    /* The pricey small model is never the choice while a cheap one is usable. */
    record(r, 4, true, false, 10, 20);
    assert_int_not_equal(tl_router_pick(r, 0, 1000, NULL, NULL), 4);
    /* Breakers: openai unusable -> vllm; big tier -> anthropic. */
    assert_int_equal(tl_router_pick(r, 0, 1000, not_openai, NULL), 1);
    assert_int_equal(tl_router_pick(r, 1, 1000, not_openai, NULL), 3);
    /* No small model usable: the large tier serves. */
    assert_int_equal(tl_router_pick(r, 0, 1000, only_big, NULL), 2);
    assert_int_equal(tl_router_pick(r, 0, 1000, none, NULL), -1);
    assert_int_equal(tl_router_pick(r, 7, 1000, NULL, NULL), -1);
    assert_int_equal(tl_router_find(r, "anthropic", "big-2"), 3);
    assert_int_equal(tl_router_find(r, "anthropic", "nope"), -1);
    tl_router_destroy(r);
}

static void test_stats_metrics_and_persistence(void **state)
{
    (void)state;
    tl_router *r = make();
    record(r, 2, true, false, 1000, 1);
    record(r, 2, false, false, 0, 1);
    record(r, 2, false, true, 3000, 1);
    tl_model_stats st;
    tl_router_stats(r, 2, &st);
    assert_int_equal(st.calls, 3);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.rejections, 1);
    assert_int_equal(st.tokens_in, 3000);
    assert_int_equal(st.tokens_out, 600);
    /* 3000 in at 2.50/M + 600 out at 10/M */
    assert_true(st.cost_usd > 0.01349 && st.cost_usd < 0.01351);
    assert_true(st.latency_ms > 1000 && st.latency_ms < 3000);
    assert_true(st.failure_rate > 0 && st.rejection_rate > 0);

    tl_buf b;
    tl_buf_init(&b, 1 << 20);
    assert_int_equal(tl_router_metrics(r, &b), TL_OK);
    assert_non_null(
        strstr(tl_buf_str(&b), "tailor_model_calls_total{provider=\"openai\",model=\"big\"} 3\n"));
    assert_non_null(strstr(tl_buf_str(&b), "# TYPE tailor_model_cost_usd_total counter"));
    tl_buf_free(&b);

    char *json = NULL;
    assert_int_equal(tl_router_save(r, &json), TL_OK);
    tl_router *r2 = make();
    assert_int_equal(tl_router_load(r2, json, strlen(json)), TL_OK);
    tl_model_stats st2;
    tl_router_stats(r2, 2, &st2);
    assert_int_equal(st2.calls, 3);
    assert_true(st2.cost_usd > 0.01349 && st2.cost_usd < 0.01351);
    assert_true(st2.latency_ms > st.latency_ms - 0.01 && st2.latency_ms < st.latency_ms + 0.01);
    free(json);
    assert_int_equal(tl_router_load(r2, "{}", 2), TL_EFORMAT);
    const char *bad = "[{\"provider\":\"openai\",\"model\":\"big\",\"latency_ms\":1,"
                      "\"failure_rate\":7,\"rejection_rate\":0,\"cost_usd\":0}]";
    assert_int_equal(tl_router_load(r2, bad, strlen(bad)), TL_EFORMAT);
    tl_router_stats(r2, 2, &st2);
    assert_int_equal(st2.calls, 3); /* unchanged */
    tl_router_destroy(r2);
    tl_router_destroy(r);
}

static void test_create_errors(void **state)
{
    (void)state;
    tl_router *r = NULL;
    tl_model_entry dup[2] = {models[0], models[0]};
    assert_int_equal(tl_router_create(dup, 2, NULL, &r), TL_EINVAL);
    tl_model_entry badtier = models[0];
    badtier.tier = 3;
    assert_int_equal(tl_router_create(&badtier, 1, NULL, &r), TL_EINVAL);
    tl_model_entry neg = models[0];
    neg.price_in = -1;
    assert_int_equal(tl_router_create(&neg, 1, NULL, &r), TL_EINVAL);
    assert_int_equal(tl_router_create(models, 0, NULL, &r), TL_EINVAL);
    tl_router_opts o;
    tl_router_opts_default(&o);
    o.price_slack = 0.5;
    assert_int_equal(tl_router_create(models, N, &o, &r), TL_EINVAL);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_stats_metrics_and_persistence),
        cmocka_unit_test(test_create_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
