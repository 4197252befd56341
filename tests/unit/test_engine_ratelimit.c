/* Rate limiter: buckets on the test clock, refunds and charges, header
 * corrections, Retry-After, AIMD decrease and recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/ratelimit.h"

#define MS TL_NS_PER_MS
#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)

typedef struct fx {
    tl_test_clock clock;
    tl_ratelimit *rl;
} fx;

static tl_ratelimit_opts opts(fx *f)
{
    tl_test_clock_init(&f->clock, T0);
    tl_ratelimit_opts o;
    tl_ratelimit_opts_default(&o);
    o.clock = &f->clock.base;
    o.max_concurrency = 1000;
    return o;
}

static void make(fx *f, const tl_ratelimit_opts *o)
{
    assert_int_equal(tl_ratelimit_create(&f->rl, o), TL_OK);
}

static const tl_rl_outcome OK0 = {TL_RL_SUCCESS, 0, 0};

static tl_rl_status try(fx *f, uint64_t est, tl_rl_ticket *t, uint64_t *wait)
{
    return tl_ratelimit_reserve(f->rl, est, t, wait);
}

static void test_request_bucket(void **state)
{
    fx f;
    tl_ratelimit_opts o = opts(&f);
    o.requests_per_minute = 60;
    make(&f, &o);
    tl_rl_ticket t;
    uint64_t wait;
    /* A full bucket: a minute's allowance at once. */
    for (int i = 0; i < 60; i++) {
        assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
        assert_int_equal(wait, 0);
        tl_ratelimit_settle(f.rl, &t, &OK0);
    }
    /* Then one per second: the request waits, it is not failed. */
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 1 * SEC);
    tl_test_clock_advance(&f.clock, 500 * MS);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 500 * MS);
    tl_test_clock_advance(&f.clock, 500 * MS);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
    tl_ratelimit_settle(f.rl, &t, &OK0);
    /* An idle minute refills it, and no further. */
    tl_test_clock_advance(&f.clock, 3600 * SEC);
    tl_ratelimit_stats st;
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.requests_available == 60.0);
    assert_true(st.tokens_available == -1.0); /* unlimited */
    tl_ratelimit_destroy(f.rl);
}

static void test_token_bucket_refund_and_charge(void **state)
{
    fx f;
    tl_ratelimit_opts o = opts(&f);
    o.tokens_per_minute = 6000; /* 100 per second */
    make(&f, &o);
    tl_rl_ticket a, b, c;
    uint64_t wait;
    assert_int_equal(try(&f, 4000, &a, &wait), TL_RL_OK);
    assert_int_equal(try(&f, 3000, &b, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 10 * SEC); /* 1000 short at 100/s */
    /* The answer used 1000 tokens, not 4000: the 3000 come back. */
    tl_rl_outcome used = {TL_RL_SUCCESS, 1000, 0};
    tl_ratelimit_settle(f.rl, &a, &used);
    tl_ratelimit_settle(f.rl, &a, &used); /* settled already: ignored */
    tl_ratelimit_stats st;
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.tokens_available == 5000.0);
    assert_int_equal(try(&f, 3000, &b, &wait), TL_RL_OK);
    /* This one used more than estimated: the difference is charged. */
    tl_rl_outcome more = {TL_RL_SUCCESS, 4500, 0};
    tl_ratelimit_settle(f.rl, &b, &more);
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.tokens_available == 500.0);
    assert_int_equal(try(&f, 1000, &c, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 5 * SEC);
    /* A request bigger than the whole bucket waits for a full bucket, then
     * leaves it in debt. */
    assert_int_equal(try(&f, 9000, &c, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 55 * SEC);
    tl_test_clock_advance(&f.clock, 55 * SEC);
    assert_int_equal(try(&f, 9000, &c, &wait), TL_RL_OK);
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.tokens_available == -3000.0);
    /* Cancelled before it went out: everything comes back. */
    tl_rl_outcome unsent = {TL_RL_NOT_SENT, 0, 0};
    tl_ratelimit_settle(f.rl, &c, &unsent);
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.tokens_available == 6000.0);
    tl_ratelimit_destroy(f.rl);
}

static void test_header_correction(void **state)
{
    fx f;
    tl_ratelimit_opts o = opts(&f);
    o.requests_per_minute = 600; /* 10 per second */
    o.tokens_per_minute = 60000;
    make(&f, &o);
    tl_rl_ticket t;
    uint64_t wait;
    assert_int_equal(try(&f, 100, &t, &wait), TL_RL_OK);
    /* The server has less room than we think (other clients share the key). */
    tl_ratelimit_observe_headers(f.rl, 2, 1000, -1);
    tl_ratelimit_settle(f.rl, &t, &OK0);
    tl_ratelimit_stats st;
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.requests_available == 2.0);
    assert_true(st.tokens_available == 1100.0); /* 1000, plus the 100 refunded */
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
    tl_ratelimit_settle(f.rl, &t, &OK0);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
    tl_ratelimit_settle(f.rl, &t, &OK0);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 100 * MS);
    /* More room on the server than here: not raised (our calls in flight
     * may not be in its count); absent figures change nothing. */
    tl_ratelimit_observe_headers(f.rl, 500, -1, -1);
    tl_ratelimit_stats_get(f.rl, &st);
    assert_true(st.requests_available == 0.0);
    /* Exhausted with a reset time: nothing before the reset. */
    tl_test_clock_advance(&f.clock, 10 * SEC);
    tl_ratelimit_observe_headers(f.rl, -1, 0, 3000);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 3 * SEC);
    tl_test_clock_advance(&f.clock, 3 * SEC);
    assert_int_equal(try(&f, 10, &t, &wait), TL_RL_OK);
    tl_ratelimit_destroy(f.rl);
}

static void test_retry_after_honoured(void **state)
{
    fx f;
    tl_ratelimit_opts o = opts(&f);
    make(&f, &o);
    tl_rl_ticket t;
    uint64_t wait;
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
    tl_rl_outcome limited = {TL_RL_LIMITED, 0, 5 * SEC};
    tl_ratelimit_settle(f.rl, &t, &limited);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 5 * SEC);
    tl_test_clock_advance(&f.clock, 5 * SEC - MS);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, MS);
    tl_test_clock_advance(&f.clock, MS);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_OK);
    /* Without a Retry-After the default (1 s) applies. */
    tl_rl_outcome bare = {TL_RL_LIMITED, 0, 0};
    tl_ratelimit_settle(f.rl, &t, &bare);
    assert_int_equal(try(&f, 0, &t, &wait), TL_RL_WAIT);
    assert_int_equal(wait, 1 * SEC);
    tl_ratelimit_stats st;
    tl_ratelimit_stats_get(f.rl, &st);
    assert_int_equal(st.limited, 2);
    assert_int_equal(st.blocked_until_ns, T0 + 6 * SEC);
    tl_ratelimit_destroy(f.rl);
}

static unsigned limit_of(fx *f)
{
    tl_ratelimit_stats st;
    tl_ratelimit_stats_get(f->rl, &st);
    return st.limit;
}

/* Runs n calls one after another, all answering with `o`. */
static void calls(fx *f, int n, const tl_rl_outcome *o)
{
    for (int i = 0; i < n; i++) {
        tl_rl_ticket t;
        uint64_t wait;
        assert_int_equal(try(f, 0, &t, &wait), TL_RL_OK);
        tl_ratelimit_settle(f->rl, &t, o);
    }
}

static void test_aimd(void **state)
{
    fx f;
    tl_ratelimit_opts o = opts(&f);
    o.max_concurrency = 8;
    make(&f, &o);
    tl_rl_ticket t[9];
    uint64_t wait;
    for (int i = 0; i < 8; i++)
        assert_int_equal(try(&f, 0, &t[i], &wait), TL_RL_OK);
    assert_int_equal(try(&f, 0, &t[8], &wait), TL_RL_BUSY);
    assert_int_equal(wait, 0);

    /* A burst of 429s from calls admitted together cuts once: 8 -> 4. */
    tl_rl_outcome limited = {TL_RL_LIMITED, 0, 2 * SEC};
    for (int i = 0; i < 8; i++)
        tl_ratelimit_settle(f.rl, &t[i], &limited);
    assert_int_equal(limit_of(&f), 4);
    tl_test_clock_advance(&f.clock, 2 * SEC);
    for (int i = 0; i < 4; i++)
        assert_int_equal(try(&f, 0, &t[i], &wait), TL_RL_OK);
    assert_int_equal(try(&f, 0, &t[4], &wait), TL_RL_BUSY);
    /* A new episode cuts again, down to the floor of 1 and no lower. */
    tl_ratelimit_settle(f.rl, &t[0], &limited);
    assert_int_equal(limit_of(&f), 2);
    tl_ratelimit_settle(f.rl, &t[1], &limited); /* same episode */
    assert_int_equal(limit_of(&f), 2);
    tl_ratelimit_settle(f.rl, &t[2], &OK0);
    tl_ratelimit_settle(f.rl, &t[3], &OK0);
    tl_test_clock_advance(&f.clock, 2 * SEC);
    calls(&f, 1, &limited);
    tl_test_clock_advance(&f.clock, 2 * SEC);
    calls(&f, 1, &limited);
    assert_int_equal(limit_of(&f), 1);
    tl_test_clock_advance(&f.clock, 2 * SEC);

    /* Slow answers and failures neither cut nor grow it. */
    tl_rl_outcome failed = {TL_RL_FAILED, 0, 0};
    calls(&f, 20, &failed);
    assert_int_equal(limit_of(&f), 1);

    /* Recovery: +1 per window of `limit` successes: 1->2 after 1, 2->3
     * after 2 more, ... back to 8 after 1+2+...+7 = 28, and no further. */
    int total = 0;
    for (unsigned lim = 1; lim < 8; lim++) {
        calls(&f, (int)lim - 1, &OK0);
        assert_int_equal(limit_of(&f), lim);
        calls(&f, 1, &OK0);
        assert_int_equal(limit_of(&f), lim + 1);
        total += (int)lim;
    }
    assert_int_equal(total, 28);
    calls(&f, 100, &OK0);
    assert_int_equal(limit_of(&f), 8);
    tl_ratelimit_destroy(f.rl);
}

static void test_errors(void **state)
{
    tl_ratelimit_opts o;
    tl_ratelimit_opts_default(&o);
    tl_ratelimit *rl = NULL;
    o.decrease_factor = 1.0;
    assert_int_equal(tl_ratelimit_create(&rl, &o), TL_EINVAL);
    tl_ratelimit_opts_default(&o);
    o.min_concurrency = 0;
    assert_int_equal(tl_ratelimit_create(&rl, &o), TL_EINVAL);
    tl_ratelimit_opts_default(&o);
    o.token_burst = 5; /* a burst without a rate */
    assert_int_equal(tl_ratelimit_create(&rl, &o), TL_EINVAL);
    assert_null(rl);
    tl__alloc_fail_after(0);
    assert_int_equal(tl_ratelimit_create(&rl, NULL), TL_ENOMEM);
    tl__alloc_fail_after(-1);
    assert_null(rl);
    assert_int_equal(tl_ratelimit_create(&rl, NULL), TL_OK);
    tl_ratelimit_destroy(rl);
    tl_ratelimit_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_bucket),
        cmocka_unit_test(test_token_bucket_refund_and_charge),
        cmocka_unit_test(test_header_correction),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_aimd),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
