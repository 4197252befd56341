/* The original (baseline) processor: one call per section, in document
 * order, one retry (after Retry-After), the embedded engine for what is
 * left, and the same result as tl_customize. */
#include "test_engine_fx.h"

typedef struct rec {
    uint64_t at[32];
    char first[32][40]; /* first task id of each request */
    size_t ids[32];
    size_t n;
    int fail_calls[4]; /* call numbers that fail (-1: none) */
    tl_call_error fail_with;
    int drop_call; /* call number answered short by one, -1: none */
} rec;

static void record(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                   tl_scripted_reply *r)
{
    rec *s = ud;
    if (s->n < 32) {
        const char *p = strchr(req->user, '\n');
        p = p ? p + 1 : req->user;
        size_t len = strcspn(p, "\n");
        snprintf(s->first[s->n], sizeof s->first[0], "%.*s", (int)len, p);
        size_t ids = 0;
        for (const char *c = req->user; *c; c++)
            ids += *c == '\n';
        s->ids[s->n] = ids - 1;
        s->at[s->n++] = now;
    }
    r->latency_ns = 100 * MS;
    for (int i = 0; i < 4; i++)
        if (s->fail_calls[i] == (int)no) {
            r->error = s->fail_with;
            if (s->fail_with == TL_CALL_RATE_LIMITED)
                r->retry_after_ms = 2000;
        }
    if (s->drop_call == (int)no)
        r->drop = 1;
}

static tl_provider *setup(fx *f, rec *s)
{
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.kind = TL_ENGINE_ORIGINAL;
    fx_init(f, "alex-chen.json", "senior-backend-engineer.txt", &o);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = record;
    so.script_ud = s;
    return fx_provider(f, &so, NULL);
}

static void rec_init(rec *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 4; i++)
        s->fail_calls[i] = -1;
    s->drop_call = -1;
}

static void test_one_call_per_section_in_order(void **state)
{
    (void)state;
    fx f;
    rec s;
    rec_init(&s);
    tl_provider *p = setup(&f, &s);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    /* summary, work (3 roles), projects, skills (3 groups) */
    assert_int_equal(s.n, 4);
    assert_int_equal(f.m[0].provider_calls, 4);
    const char *want[4] = {"basics.summary", "work[0]", "projects[0]", "skills[0]"};
    size_t want_ids[4] = {1, 3, 1, 3};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(s.first[i], want[i]);
        assert_int_equal(s.ids[i], want_ids[i]);
        if (i > 0) /* one section at a time */
            assert_true(s.at[i] >= s.at[i - 1] + 100 * MS);
    }
    assert_int_equal(f.done_at[0], T0 + 400 * MS);
    assert_int_equal(f.m[0].batches, 0);
    assert_int_equal(f.m[0].cache_hits + f.m[0].cache_misses, 0);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "scripted");
    tl_result *w = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], w);
    tl_result_free(w);
    fx_free(&f);
}

/* One retry, then the embedded engine for the section. */
static void test_one_retry_then_local(void **state)
{
    (void)state;
    fx f;
    rec s;
    rec_init(&s);
    s.fail_calls[0] = 0; /* summary: fails, retried, succeeds */
    s.fail_calls[1] = 2; /* work: fails twice -> local */
    s.fail_calls[2] = 3;
    s.fail_with = TL_CALL_SERVER;
    tl_provider *p = setup(&f, &s);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(s.n, 6); /* 2 + 2 + 1 + 1 */
    assert_int_equal(f.m[0].retries, 2);
    assert_int_equal(f.m[0].fallbacks, 3);
    size_t local = 0;
    for (size_t i = 0; i < f.n_tr; i++)
        if (strcmp(f.tr[i].provider, "local") == 0) {
            assert_true(f.tr[i].fell_back);
            local++;
        }
    assert_int_equal(local, 3);
    tl_result *w = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], w);
    tl_result_free(w);
    fx_free(&f);
}

/* A 429's Retry-After is waited for before the retry. */
static void test_retry_after(void **state)
{
    (void)state;
    fx f;
    rec s;
    rec_init(&s);
    s.fail_calls[0] = 0;
    s.fail_with = TL_CALL_RATE_LIMITED;
    tl_provider *p = setup(&f, &s);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_true(s.n >= 2);
    assert_true(s.at[1] >= s.at[0] + 100 * MS + 2000 * MS);
    fx_free(&f);
}

/* A short answer: only the missing subsections are asked again. */
static void test_partial_answer(void **state)
{
    (void)state;
    fx f;
    rec s;
    rec_init(&s);
    s.drop_call = 1; /* work: 3 asked, 2 answered */
    tl_provider *p = setup(&f, &s);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.ids[1], 3);
    assert_int_equal(s.ids[2], 1);
    assert_string_equal(s.first[2], "work[2]");
    tl_result *w = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], w);
    tl_result_free(w);
    fx_free(&f);
}

static void test_local_only_equals_customize(void **state)
{
    (void)state;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.kind = TL_ENGINE_ORIGINAL;
    fx f;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
    fx_submit(&f, NULL, 0, TL_STRENGTH_EXTENSIVE, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.m[0].provider_calls, 0);
    tl_result *w = fx_customize(&f, TL_STRENGTH_EXTENSIVE);
    fx_assert_same(f.res[0], w);
    tl_result_free(w);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_call_per_section_in_order),
        cmocka_unit_test(test_one_retry_then_local),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_partial_answer),
        cmocka_unit_test(test_local_only_equals_customize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
