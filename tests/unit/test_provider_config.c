/* Provider configuration: the INI file, its errors with line numbers,
 * keys from the environment, masking, and providers built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/breaker.h"
#include "engine/conf.h"
#include "engine/retry.h"
#include "provider/config.h"

#define SECRET "sk-file-secret-0123456789"

static void test_parse_full(void **state)
{
    (void)state;
    unsetenv("OPENAI_API_KEY");
    setenv("TL_TEST_VLLM_KEY", "env-secret-abcdefghijkl", 1);
    const char *text = "# tailor.conf\n"
                       "providers = openai, local-vllm, local\n"
                       "\n"
                       "[openai]\n"
                       "api_key = " SECRET "\n"
                       "model_small = gpt-4o-mini\n"
                       "model_large = gpt-4o\n"
                       "price_in = 0.15\n"
                       "price_out = 0.6\n"
                       "context = 128000\n"
                       "rpm = 500\n"
                       "; a comment\n"
                       "[local-vllm]\n"
                       "type = openai\n"
                       "base_url = http://127.0.0.1:8000/v1\n"
                       "api_key_env = TL_TEST_VLLM_KEY\n"
                       "api_key = ignored-because-env-wins\n"
                       "\n"
                       "[anthropic]\n"
                       "models = haiku:small:0.8:4:200000, sonnet:large:3:15\n"
                       "version = 2023-06-01\n"
                       "timeout_ms = 30000\n";
    tl_config *c = NULL;
    tl_doc_error err;
    assert_int_equal(tl_config_parse(text, strlen(text), &c, &err), TL_OK);
    assert_int_equal(tl_config_count(c), 3);
    assert_string_equal(tl_config_chain(c), "openai, local-vllm, local");
    const tl_provider_settings *o = tl_config_find(c, "openai");
    assert_non_null(o);
    assert_int_equal(o->type, TL_PROVIDER_OPENAI);
    assert_string_equal(o->api_key, SECRET);
    assert_string_equal(o->key_source, "file");
    assert_string_equal(o->model_large, "gpt-4o");
    assert_true(o->price_out > 0.59 && o->price_out < 0.61);
    assert_int_equal(o->rpm, 500);
    const tl_provider_settings *v = tl_config_find(c, "local-vllm");
    assert_string_equal(v->api_key, "env-secret-abcdefghijkl");
    assert_string_equal(v->key_source, "env:TL_TEST_VLLM_KEY");
    assert_int_equal(tl_config_find(c, "anthropic")->type, TL_PROVIDER_ANTHROPIC);

    char *dump = NULL;
    assert_int_equal(tl_config_dump(c, &dump), TL_OK);
    assert_null(strstr(dump, SECRET));
    assert_null(strstr(dump, "env-secret-abcdefghijkl"));
    assert_non_null(strstr(dump, "api_key = ****6789  # from file"));
    assert_non_null(strstr(dump, "# from env:TL_TEST_VLLM_KEY"));
    assert_non_null(
        strstr(dump, "[local-vllm]\ntype = openai\nbase_url = http://127.0.0.1:8000/v1"));
    free(dump);

    /* Providers built from it carry the section's name. */
    tl_provider *p = NULL;
    assert_int_equal(tl_config_create_provider(v, NULL, &p), TL_OK);
    assert_string_equal(p->name, "local-vllm");
    tl_provider_destroy(p);
    assert_int_equal(tl_config_create_provider(tl_config_find(c, "anthropic"), NULL, &p), TL_OK);
    assert_string_equal(p->name, "anthropic");
    assert_string_equal(p->model, "claude-3-5-haiku-latest");
    tl_provider_destroy(p);
    /* Models for the router: openai small+large, vllm's default once,
     * anthropic's list. */
    tl_model_entry *m = NULL;
    size_t nm = 0;
    assert_int_equal(tl_config_models(c, &m, &nm), TL_OK);
    assert_int_equal(nm, 5);
    assert_string_equal(m[1].model, "gpt-4o");
    assert_int_equal(m[1].tier, 1);
    assert_string_equal(m[3].provider, "anthropic");
    assert_string_equal(m[3].model, "haiku");
    assert_int_equal(m[3].context, 200000);
    assert_string_equal(m[4].model, "sonnet");
    assert_true(m[4].price_out > 14.9);
    tl_router *r = NULL;
    assert_int_equal(tl_router_create(m, nm, NULL, &r), TL_OK);
    assert_int_equal(tl_router_pick(r, 1, 1000, NULL, NULL), 1); /* cheapest large: openai gpt-4o */
    tl_router_destroy(r);
    free(m);
    tl_config_free(c);
    unsetenv("TL_TEST_VLLM_KEY");
}

static void expect_error(const char *text, int line, const char *part)
{
    tl_config *c = NULL;
    tl_doc_error err;
    assert_int_equal(tl_config_parse(text, strlen(text), &c, &err), TL_EFORMAT);
    assert_null(c);
    assert_int_equal(err.line, line);
    if (!strstr(err.message, part))
        fail_msg("'%s' not in '%s'", part, err.message);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("[openai]\nmodle = x\n", 2, "unknown key 'modle'");
    expect_error("[vllm]\nbase_url = http://x\n", 1, "needs 'type = openai'");
    expect_error("[openai]\nrpm = lots\n", 2, "rpm must be a whole number");
    expect_error("[openai]\nbase_url = ftp://x\n", 2, "http://");
    expect_error("model = x\n", 1, "outside a [provider] section");
    expect_error("[openai]\n[openai]\n", 2, "defined twice");
    expect_error("[local]\n", 1, "embedded engine");
    expect_error("[openai\n", 1, "must end with ']'");
    expect_error("[a b]\n", 1, "bad section name");
    expect_error("[x]\ntype = gemini\n", 2, "unknown provider type");
    expect_error("[openai]\njust words\n", 2, "expected 'key = value'");
    expect_error("providers = openai, nope\n[openai]\n", 0, "'nope'");
    expect_error("[openai]\nprice_in = -1\n", 2, "price");
    expect_error("[openai]\nmodels = a:medium:1:1\n", 2, "tier 'medium'");
    expect_error("[openai]\nmodels = a:small:1\n", 2, "name:tier:price_in:price_out");
    expect_error("[openai]\nmodels = a:small:1:x\n", 2, "bad price");
    tl_config *c = NULL;
    assert_int_equal(tl_config_parse("\xff", 1, &c, NULL), TL_EUTF8);
    assert_int_equal(tl_config_load("/nonexistent/tailor.conf", &c, NULL), TL_EIO);
}

static char *dump_of(const char *text)
{
    tl_config *c = NULL;
    tl_doc_error err;
    if (tl_config_parse(text, strlen(text), &c, &err) != TL_OK)
        fail_msg("line %d: %s", err.line, err.message);
    char *dump = NULL;
    assert_int_equal(tl_config_dump(c, &dump), TL_OK);
    tl_config_free(c);
    return dump;
}

static void test_timeouts(void **state)
{
    (void)state;
    char *d = dump_of("[openai]\nconnect_timeout_ms = 2000\nfirst_byte_timeout_ms = 15000\n");
    assert_non_null(strstr(d, "\nconnect_timeout_ms = 2000\n"));
    assert_non_null(strstr(d, "\nfirst_byte_timeout_ms = 15000\n"));
    assert_non_null(strstr(d, "\ntimeout_ms = 120000  # default\n"));
    free(d);
    d = dump_of("[openai]\n");
    assert_non_null(strstr(d, "\nconnect_timeout_ms = 5000  # default\n"));
    assert_non_null(strstr(d, "\nfirst_byte_timeout_ms = 60000  # default\n"));
    free(d);
    expect_error("[openai]\nfirst_byte_timeout_ms = 0\n", 2, "first_byte_timeout_ms must be");
    expect_error("[openai]\n\nconnect_timeout_ms = 5s\n", 3, "connect_timeout_ms must be");
}

/* Answers stream unless a section says otherwise. */
static void test_stream_key(void **state)
{
    (void)state;
    char *d = dump_of("[openai]\n[anthropic]\nstream = false\n");
    const char *an = strstr(d, "[anthropic]");
    assert_non_null(an);
    const char *on = strstr(d, "\nstream = true  # default\n");
    assert_true(on && on < an);
    assert_non_null(strstr(an, "\nstream = false\n"));
    free(d);
    tl_config *c = NULL;
    const char *text = "[a]\ntype = openai\nstream = no\n[b]\ntype = anthropic\nstream = yes\n";
    assert_int_equal(tl_config_parse(text, strlen(text), &c, NULL), TL_OK);
    assert_true(tl_config_find(c, "a")->no_stream);
    assert_false(tl_config_find(c, "b")->no_stream);
    tl_config_free(c);
    expect_error("[openai]\nstream = maybe\n", 2, "stream must be true or false");
}

static const char *const resilience_text = "[openai]\n"
                                           "breaker_failure_rate = 30\n"
                                           "breaker_slow_rate = 80\n"
                                           "breaker_slow_call_ms = 20000\n"
                                           "breaker_window = 40\n"
                                           "breaker_minimum_calls = 20\n"
                                           "breaker_consecutive_failures = 0\n"
                                           "breaker_wait_open_ms = 2500\n"
                                           "breaker_half_open_calls = 2\n"
                                           "retry_max_attempts = 5\n"
                                           "retry_base_delay_ms = 100\n"
                                           "retry_budget_percent = 0\n"
                                           "retry_budget_floor_per_s = 0\n"
                                           "hedge = off\n"
                                           "hedge_after_ms = 1500\n"
                                           "hedge_to_local = yes\n"
                                           "max_concurrency = 4\n";

/* Every resilience key reaches the engine's tl_provider_conf. */
static void test_resilience_keys(void **state)
{
    (void)state;
    tl_config *c = NULL;
    tl_doc_error err;
    assert_int_equal(tl_config_parse(resilience_text, strlen(resilience_text), &c, &err), TL_OK);
    const tl_provider_settings *s = tl_config_find(c, "openai");
    for (int k = 0; k < TL_RES_COUNT; k++)
        assert_true(s->res_set[k]);
    tl_provider_conf pc;
    tl_provider_conf_from_settings(s, &pc);
    assert_int_equal(pc.breaker.failure_rate_threshold, 30);
    assert_int_equal(pc.breaker.slow_rate_threshold, 80);
    assert_int_equal(pc.breaker.slow_call_ns, 20 * TL_NS_PER_SEC);
    assert_int_equal(pc.breaker.window_size, 40);
    assert_int_equal(pc.breaker.minimum_calls, 20);
    assert_int_equal(pc.breaker.consecutive_failures, 0);
    assert_int_equal(pc.breaker.wait_in_open_ns, 2500 * TL_NS_PER_MS);
    assert_int_equal(pc.breaker.half_open_calls, 2);
    assert_int_equal(pc.retry.max_attempts, 5);
    assert_int_equal(pc.retry.base_delay_ns, 100 * TL_NS_PER_MS);
    assert_int_equal(pc.retry.budget_percent, 0);
    assert_int_equal(pc.retry.budget_floor_per_sec, 0);
    assert_false(pc.hedge);
    assert_int_equal(pc.hedge_after_ns, 1500 * TL_NS_PER_MS);
    assert_true(pc.hedge_to_local);
    assert_int_equal(pc.ratelimit.max_concurrency, 4);
    /* The engine takes them. */
    tl_breaker *b = NULL;
    tl_retry *r = NULL;
    assert_int_equal(tl_breaker_create(&b, &pc.breaker), TL_OK);
    assert_int_equal(tl_retry_create(&r, &pc.retry), TL_OK);
    tl_breaker_destroy(b);
    tl_retry_destroy(r);

    char *d = NULL;
    assert_int_equal(tl_config_dump(c, &d), TL_OK);
    assert_non_null(strstr(d, "\nbreaker_failure_rate = 30\n"));
    assert_non_null(strstr(d, "\nbreaker_wait_open_ms = 2500\n"));
    assert_non_null(strstr(d, "\nretry_budget_percent = 0\n"));
    assert_non_null(strstr(d, "\nhedge = false\n"));
    assert_non_null(strstr(d, "\nhedge_to_local = true\n"));
    assert_null(strstr(d, "# default\nbreaker")); /* all given: none marked default */
    free(d);
    tl_config_free(c);
}

/* Left out, a key is the engine's default, and the dump says so. */
static void test_resilience_defaults(void **state)
{
    (void)state;
    const char *text = "[openai]\nretry_max_attempts = 2\n";
    tl_config *c = NULL;
    assert_int_equal(tl_config_parse(text, strlen(text), &c, NULL), TL_OK);
    const tl_provider_settings *s = tl_config_find(c, "openai");
    tl_provider_conf pc, def;
    tl_provider_conf_from_settings(s, &pc);
    tl_provider_conf_default(&def);
    assert_int_equal(pc.retry.max_attempts, 2);
    assert_int_equal(pc.retry.budget_percent, def.retry.budget_percent);
    assert_int_equal(pc.breaker.window_size, def.breaker.window_size);
    assert_int_equal(pc.hedge, def.hedge);
    long dv[TL_RES_COUNT];
    tl_provider_conf_res_defaults(dv);
    assert_int_equal(dv[TL_RES_BREAKER_FAILURE_RATE], def.breaker.failure_rate_threshold);
    assert_int_equal(dv[TL_RES_BREAKER_WAIT_OPEN_MS], def.breaker.wait_in_open_ns / TL_NS_PER_MS);
    assert_int_equal(dv[TL_RES_RETRY_MAX_ATTEMPTS], def.retry.max_attempts);
    assert_int_equal(dv[TL_RES_HEDGE], 1);
    char *d = NULL;
    assert_int_equal(tl_config_dump_defaults(c, dv, &d), TL_OK);
    assert_non_null(strstr(d, "\nretry_max_attempts = 2\n"));
    assert_non_null(strstr(d, "\nretry_budget_percent = 50  # default\n"));
    assert_non_null(strstr(d, "\nbreaker_failure_rate = 50  # default\n"));
    assert_non_null(strstr(d, "\nhedge = true  # default\n"));
    assert_non_null(strstr(d, "\nhedge_after_ms = 0  # default\n"));
    free(d);
    /* Without defaults, only what the file says. */
    assert_int_equal(tl_config_dump(c, &d), TL_OK);
    assert_null(strstr(d, "breaker_failure_rate"));
    free(d);
    tl_config_free(c);
    /* The extremes of every range are settings the engine accepts. */
    text = "[x]\ntype = openai\nbreaker_failure_rate = 100\nbreaker_slow_rate = 1\n"
           "breaker_slow_call_ms = 1\nbreaker_window = 100000\nbreaker_minimum_calls = 100000\n"
           "breaker_wait_open_ms = 86400000\nbreaker_half_open_calls = 1000\n"
           "retry_max_attempts = 64\nretry_base_delay_ms = 20000\n"
           "retry_budget_percent = 1000\nretry_budget_floor_per_s = 1000000\n";
    assert_int_equal(tl_config_parse(text, strlen(text), &c, NULL), TL_OK);
    tl_provider_conf_from_settings(tl_config_find(c, "x"), &pc);
    tl_breaker *b = NULL;
    tl_retry *r = NULL;
    assert_int_equal(tl_breaker_create(&b, &pc.breaker), TL_OK);
    assert_int_equal(tl_retry_create(&r, &pc.retry), TL_OK);
    tl_breaker_destroy(b);
    tl_retry_destroy(r);
    tl_config_free(c);
}

/* A bad value is an error naming the key and its line. */
static void test_resilience_errors(void **state)
{
    (void)state;
    expect_error("[openai]\nbreaker_failure_rate = 0\n", 2,
                 "breaker_failure_rate must be a whole number from 1 to 100");
    expect_error("[openai]\nmodel = m\nbreaker_failure_rate = 101\n", 3, "breaker_failure_rate");
    expect_error("[openai]\nbreaker_window = 0\n", 2, "breaker_window must be");
    expect_error("[openai]\nbreaker_wait_open_ms = 10s\n", 2, "breaker_wait_open_ms must be");
    expect_error("[openai]\nbreaker_half_open_calls = -1\n", 2, "breaker_half_open_calls");
    expect_error("[openai]\nbreaker_slow_call_ms = 0\n", 2, "breaker_slow_call_ms");
    expect_error("[openai]\nretry_max_attempts = 0\n", 2, "retry_max_attempts must be");
    expect_error("[openai]\nretry_max_attempts = 65\n", 2, "from 1 to 64");
    expect_error("[openai]\nretry_base_delay_ms = 20001\n", 2, "retry_base_delay_ms");
    expect_error("[openai]\nretry_budget_percent = 1001\n", 2, "retry_budget_percent");
    expect_error("[openai]\nretry_budget_percent = 5%\n", 2, "retry_budget_percent");
    expect_error("[openai]\nhedge = maybe\n", 2, "hedge must be true or false");
    expect_error("[openai]\nhedge_to_local = 2\n", 2, "hedge_to_local must be true or false");
    expect_error("[openai]\nhedge_after_ms = -5\n", 2, "hedge_after_ms must be");
    expect_error("[openai]\nbreaker_threshold = 5\n", 2, "unknown key 'breaker_threshold'");
}

static void test_from_env(void **state)
{
    (void)state;
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1", 1);
    setenv("OPENAI_API_KEY", "sk-env-key-000000000000", 1);
    setenv("TAILOR_OPENAI_MODEL", "m-env", 1);
    unsetenv("ANTHROPIC_API_KEY");
    tl_config *c = NULL;
    assert_int_equal(tl_config_from_env(&c), TL_OK);
    const tl_provider_settings *o = tl_config_find(c, "openai");
    assert_string_equal(o->base_url, "http://127.0.0.1:1/v1");
    assert_string_equal(o->model, "m-env");
    assert_string_equal(o->key_source, "env:OPENAI_API_KEY");
    assert_string_equal(tl_config_find(c, "anthropic")->key_source, "none");
    char *dump = NULL;
    assert_int_equal(tl_config_dump(c, &dump), TL_OK);
    assert_null(strstr(dump, "sk-env-key-000000000000"));
    free(dump);
    tl_config_free(c);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("TAILOR_OPENAI_MODEL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_timeouts),          cmocka_unit_test(test_stream_key),
        cmocka_unit_test(test_resilience_keys),   cmocka_unit_test(test_resilience_defaults),
        cmocka_unit_test(test_resilience_errors), cmocka_unit_test(test_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
