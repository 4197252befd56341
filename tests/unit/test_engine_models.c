/* The engine's models: each provider's configured models with their own
 * tiers and prices, on a test clock with scripted providers. */
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
    tl_model_entry bad[] = {{NULL, "m", 2, 1, 1, 0}};
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.models = bad;
    conf.n_models = 1;
    assert_int_equal(tl_engine_add_provider(f.e, p, &conf), TL_EINVAL);
    conf.n_models = 0;
    assert_int_equal(tl_engine_add_provider(f.e, p, &conf), TL_EINVAL);
    fx_free(&f);
    tl_provider_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_uses_model_prices),
        cmocka_unit_test(test_bad_models_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
