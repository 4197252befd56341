/* The engine's models: each provider's configured models with their own
 * tiers and prices, on a test clock with scripted providers. */
#include "server/metrics.h"
#include "test_engine_fx.h"

static void count_models(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                         tl_scripted_reply *r)
{
    (void)no;
    (void)now;
    (void)r;
    size_t *seen = ud; /* [0] m-cheap, [1] anything else */
    seen[req->model && strcmp(req->model, "m-cheap") == 0 ? 0 : 1]++;
}

/* A job's cost is its tokens at the prices of the model that answered,
 * not the provider-wide ones. */
static void test_cost_uses_model_prices(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    size_t seen[2] = {0};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = count_models;
    so.script_ud = seen;
    tl_model_entry models[] = {{NULL, "m-cheap", 0, 2.0, 4.0, 0}};
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.usd_per_mtok_in = 100; /* not used: the model has its own */
    conf.usd_per_mtok_out = 100;
    conf.models = models;
    conf.n_models = 1;
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.status[0], TL_OK);
    assert_true(seen[0] > 0);
    assert_int_equal(seen[1], 0); /* the large tier has no model: the small one serves it */
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(f.m[0].tokens_in, st.billed_in);
    assert_int_equal(f.m[0].tokens_out, st.billed_out);
    double want = ((double)st.billed_in * 2.0 + (double)st.billed_out * 4.0) / 1e6;
    assert_true(want > 0);
    assert_true(f.m[0].cost_usd > want * 0.999999 && f.m[0].cost_usd < want * 1.000001);
    fx_free(&f);
}

typedef struct seen_models {
    size_t cheap, dear, large, other;
} seen_models;

static void by_model(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                     tl_scripted_reply *r)
{
    (void)no;
    (void)now;
    seen_models *s = ud;
    const char *m = req->model ? req->model : "";
    if (strcmp(m, "m-cheap") == 0) {
        s->cheap++;
        if (s->other == 1) /* the cheap model is down */
            r->error = TL_CALL_SERVER;
    } else if (strcmp(m, "m-dear") == 0) {
        s->dear++;
    } else if (strcmp(m, "m-large") == 0) {
        s->large++;
    }
}

static const tl_model_entry three[] = {
    {NULL, "m-dear", 0, 1.0, 2.0, 0},
    {NULL, "m-cheap", 0, 0.1, 0.2, 0},
    {NULL, "m-large", 1, 3.0, 6.0, 0},
};

static tl_provider *three_models(fx *f, seen_models *seen, tl_provider_conf *conf)
{
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = by_model;
    so.script_ud = seen;
    tl_provider_conf_default(conf);
    conf->models = three;
    conf->n_models = 3;
    conf->hedge = false;
    return fx_provider(f, &so, conf);
}

static const tl_engine_model_stats *model_stats(tl_engine_model_stats *ms, size_t n,
                                                const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ms[i].model, name) == 0)
            return &ms[i];
    fail_msg("no model %s", name);
    return NULL;
}

/* Small tasks go to the cheapest small model, large ones to the large
 * model; every call is in its model's telemetry, priced at its prices. */
static void test_cheapest_of_tier(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    seen_models seen = {0};
    tl_provider_conf conf;
    tl_provider *p = three_models(&f, &seen, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.status[0], TL_OK);
    assert_true(seen.cheap > 0);
    assert_true(seen.large > 0);
    assert_int_equal(seen.dear, 0);
    tl_engine_model_stats ms[4];
    assert_int_equal(tl_engine_models(f.e, ms, 4), 3);
    const tl_engine_model_stats *cheap = model_stats(ms, 3, "m-cheap");
    const tl_engine_model_stats *large = model_stats(ms, 3, "m-large");
    assert_string_equal(cheap->provider, "scripted");
    assert_int_equal(cheap->st.calls, seen.cheap);
    assert_int_equal(large->st.calls, seen.large);
    assert_int_equal(model_stats(ms, 3, "m-dear")->st.calls, 0);
    assert_int_equal(cheap->st.failures, 0);
    /* The scripted provider answers in 100 ms. */
    assert_true(cheap->st.latency_ms > 99 && cheap->st.latency_ms < 101);
    assert_int_equal(cheap->st.tokens_in + large->st.tokens_in, f.m[0].tokens_in);
    double want = ((double)cheap->st.tokens_in * 0.1 + (double)cheap->st.tokens_out * 0.2 +
                   (double)large->st.tokens_in * 3.0 + (double)large->st.tokens_out * 6.0) /
                  1e6;
    assert_true(f.m[0].cost_usd > want * 0.999999 && f.m[0].cost_usd < want * 1.000001);
    assert_true(cheap->st.cost_usd + large->st.cost_usd > want * 0.999999);
    fx_free(&f);
}

/* The cheap small model goes down: once its breaker opens, small tasks go
 * to the other small model instead of down the chain. */
static void test_open_breaker_skipped(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    seen_models seen = {0};
    seen.other = 1; /* m-cheap fails every call */
    tl_provider_conf conf;
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = by_model;
    so.script_ud = &seen;
    tl_provider_conf_default(&conf);
    conf.models = three;
    conf.n_models = 3;
    conf.hedge = false;
    conf.breaker.window_size = 4;
    conf.breaker.minimum_calls = 4;
    conf.retry.max_attempts = 1;
    tl_provider *p = fx_provider(&f, &so, &conf);
    for (int i = 0; i < 4; i++) {
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
    }
    tl_engine_model_stats ms[3];
    assert_int_equal(tl_engine_models(f.e, ms, 3), 3);
    const tl_engine_model_stats *cheap = model_stats(ms, 3, "m-cheap");
    assert_int_equal(cheap->breaker, TL_BREAKER_OPEN);
    assert_true(cheap->st.failures >= 4);
    assert_true(cheap->st.failure_rate > 0.5);
    assert_true(seen.dear > 0);
    assert_int_equal(model_stats(ms, 3, "m-dear")->st.failures, 0);
    /* The last job: every task answered by the provider, none fell back. */
    size_t from = f.n_tr - (size_t)f.m[3].tasks;
    for (size_t i = from; i < f.n_tr; i++) {
        assert_false(f.tr[i].fell_back);
        assert_true(strcmp(f.tr[i].provider, "scripted") == 0 ||
                    strcmp(f.tr[i].provider, "cache") == 0);
    }
    fx_free(&f);
}

static void reject_all(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                       tl_scripted_reply *r)
{
    (void)ud;
    (void)no;
    (void)now;
    (void)req;
    r->reject_first = true;
}

/* An answer the fact guard refuses is a guard rejection, not a failure. */
static void test_guard_rejections_counted(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = reject_all;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    tl_engine_model_stats ms[2];
    assert_int_equal(tl_engine_models(f.e, ms, 2), 1);
    assert_true(ms[0].st.rejections > 0);
    assert_int_equal(ms[0].st.failures, 0);
    assert_true(ms[0].st.rejection_rate > 0);
    fx_free(&f);
}

/* Telemetry survives a save and a load into a fresh engine. */
static void test_telemetry_save_load(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    seen_models seen = {0};
    tl_provider_conf conf;
    tl_provider *p = three_models(&f, &seen, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    char *json = NULL;
    assert_int_equal(tl_engine_telemetry_save(f.e, &json), TL_OK);
    tl_engine_model_stats before[3], after[3];
    assert_int_equal(tl_engine_models(f.e, before, 3), 3);
    fx g;
    fx_init(&g, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    seen_models seen2 = {0};
    (void)three_models(&g, &seen2, &conf);
    assert_int_equal(tl_engine_telemetry_load(g.e, "{}", 2), TL_EFORMAT);
    assert_int_equal(tl_engine_telemetry_load(g.e, json, strlen(json)), TL_OK);
    assert_int_equal(tl_engine_models(g.e, after, 3), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(after[i].st.calls, before[i].st.calls);
        assert_int_equal(after[i].st.tokens_out, before[i].st.tokens_out);
        assert_true(after[i].st.cost_usd > before[i].st.cost_usd - 1e-9 &&
                    after[i].st.cost_usd < before[i].st.cost_usd + 1e-9);
    }
    free(json);
    fx_free(&g);
    fx_free(&f);
}

/* /metrics has every model's telemetry. */
static void test_models_in_metrics(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    seen_models seen = {0};
    tl_provider_conf conf;
    tl_provider *p = three_models(&f, &seen, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    const char *routes[] = {"/"};
    tl_metrics *m = tl_metrics_create(1, routes);
    assert_non_null(m);
    tl_metrics_gauges g = {0};
    g.engine = f.e;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(tl_metrics_render(m, &g, &text, &len), TL_OK);
    char want[160];
    snprintf(
        want, sizeof want,
        "tailor_model_calls_total{provider=\"scripted\",model=\"m-cheap\",tier=\"small\"} %zu\n",
        seen.cheap);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(
        text,
        "tailor_model_calls_total{provider=\"scripted\",model=\"m-dear\",tier=\"small\"} 0\n"));
    assert_non_null(strstr(text, "# TYPE tailor_model_cost_usd_total counter\n"));
    assert_non_null(strstr(text, "tailor_model_latency_ewma_seconds{provider=\"scripted\","
                                 "model=\"m-cheap\",tier=\"small\"} 0.100000\n"));
    assert_non_null(strstr(text,
                           "tailor_model_tokens_total{provider=\"scripted\",model=\"m-large\","
                           "tier=\"large\",direction=\"out\"} "));
    assert_non_null(strstr(text, "tailor_model_guard_rejections_total{"));
    assert_non_null(strstr(text, "tailor_model_failures_total{"));
    assert_non_null(strstr(text,
                           "tailor_model_breaker_state{provider=\"scripted\",model=\"m-cheap\","
                           "tier=\"small\"} 0\n"));
    free(text);
    tl_metrics_destroy(m);
    fx_free(&f);
}

/* A bad model entry is refused when the provider is added. */
static void test_bad_models_refused(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.clock = &f.clock.base;
    tl_provider *p = NULL;
    assert_int_equal(tl_scripted_create(&p, &so), TL_OK);
    tl_model_entry bad[] = {{NULL, "m", 2, 1, 1, 0}, {NULL, "m", 0, 1, 1, 0}};
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.models = bad;
    conf.n_models = 1;
    assert_int_equal(tl_engine_add_provider(f.e, p, &conf), TL_EINVAL);
    conf.n_models = 0;
    assert_int_equal(tl_engine_add_provider(f.e, p, &conf), TL_EINVAL);
    bad[0].tier = 0; /* twice the same model */
    conf.n_models = 2;
    assert_int_equal(tl_engine_add_provider(f.e, p, &conf), TL_EINVAL);
    fx_free(&f);
    tl_provider_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_uses_model_prices),
        cmocka_unit_test(test_cheapest_of_tier),
        cmocka_unit_test(test_open_breaker_skipped),
        cmocka_unit_test(test_guard_rejections_counted),
        cmocka_unit_test(test_telemetry_save_load),
        cmocka_unit_test(test_models_in_metrics),
        cmocka_unit_test(test_bad_models_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
