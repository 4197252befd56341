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
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_from_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
