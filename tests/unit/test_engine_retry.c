/* Retry policy: jittered delays within bounds and reproducible from a
 * seed, Retry-After, attempt limits, and the budget during an outage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/retry.h"

#define MS TL_NS_PER_MS
#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)

typedef struct fx {
    tl_test_clock clock;
    tl_retry *r;
} fx;

static tl_retry_opts opts(fx *f, uint64_t seed)
{
    tl_test_clock_init(&f->clock, T0);
    tl_retry_opts o;
    tl_retry_opts_default(&o);
    o.clock = &f->clock.base;
    o.seed = seed;
    return o;
}

static void make(fx *f, const tl_retry_opts *o)
{
    assert_int_equal(tl_retry_create(&f->r, o), TL_OK);
}

static void test_delays_within_bounds(void **state)
{
    fx f;
    tl_retry_opts o = opts(&f, 1);
    o.max_attempts = 12;
    o.budget_floor_per_sec = 100000; /* not what this test is about */
    make(&f, &o);
    for (unsigned n = 1; n <= 11; n++) {
        uint64_t cap = 250 * MS << (n - 1);
        if (cap > 20 * SEC)
            cap = 20 * SEC;
        uint64_t lo = UINT64_MAX, hi = 0;
        double sum = 0;
        enum { N = 2000 };
        for (int i = 0; i < N; i++) {
            uint64_t d;
            assert_int_equal(tl_retry_next(f.r, n, 0, &d), TL_RETRY_AFTER);
            assert_true(d <= cap);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            sum += (double)d;
        }
        /* Full jitter: spread over [0, cap], mean about cap / 2. */
        assert_true(lo < cap / 10);
        assert_true(hi > cap - cap / 10);
        double mean = sum / N / (double)cap;
        assert_true(mean > 0.45 && mean < 0.55);
        tl_test_clock_advance(&f.clock, 20 * SEC); /* a fresh budget window */
    }
    tl_retry_destroy(f.r);
}

static void test_deterministic_with_seed(void **state)
{
    fx f1, f2, f3;
    tl_retry_opts o1 = opts(&f1, 77), o2 = opts(&f2, 77), o3 = opts(&f3, 78);
    make(&f1, &o1);
    make(&f2, &o2);
    make(&f3, &o3);
    int same = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t a, b, c;
        unsigned n = 1 + (unsigned)i % 3;
        assert_int_equal(tl_retry_next(f1.r, n, 0, &a), TL_RETRY_AFTER);
        assert_int_equal(tl_retry_next(f2.r, n, 0, &b), TL_RETRY_AFTER);
        assert_int_equal(tl_retry_next(f3.r, n, 0, &c), TL_RETRY_AFTER);
        assert_true(a == b);
        same += a == c;
    }
    assert_true(same < 3);
    tl_retry_destroy(f1.r);
    tl_retry_destroy(f2.r);
    tl_retry_destroy(f3.r);

    /* An injected RNG is used as given. */
    tl_xoshiro x1, x2;
    tl_xoshiro_init(&x1, 5);
    tl_xoshiro_init(&x2, 5);
    fx g;
    tl_retry_opts o = opts(&g, 0);
    o.rng = &x1.base;
    make(&g, &o);
    uint64_t d;
    assert_int_equal(tl_retry_next(g.r, 1, 0, &d), TL_RETRY_AFTER);
    assert_true(d == tl_rng_below(&x2.base, 250 * MS + 1));
    tl_retry_destroy(g.r);
}

static void test_retry_after_and_limits(void **state)
{
    fx f;
    tl_retry_opts o = opts(&f, 3);
    o.budget_floor_per_sec = 1000; /* the budget is another test's business */
    make(&f, &o);
    uint64_t d;
    /* Retry-After longer than the backoff wins... */
    assert_int_equal(tl_retry_next(f.r, 1, 3 * SEC, &d), TL_RETRY_AFTER);
    assert_int_equal(d, 3 * SEC);
    /* ...and a shorter one does not shorten the backoff. */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(tl_retry_next(f.r, 3, 1, &d), TL_RETRY_AFTER);
        assert_true(d >= 1 && d <= 1 * SEC);
    }
    /* Too long to wait for: fall back. */
    assert_int_equal(tl_retry_next(f.r, 1, 121 * SEC, &d), TL_RETRY_TOO_LONG);
    assert_int_equal(d, 0);
    assert_int_equal(tl_retry_next(f.r, 1, 120 * SEC, &d), TL_RETRY_AFTER);
    assert_int_equal(d, 120 * SEC);
    /* Four attempts in all. */
    assert_int_equal(tl_retry_next(f.r, 4, 0, &d), TL_RETRY_EXHAUSTED);
    assert_int_equal(tl_retry_next(f.r, 3, 0, &d), TL_RETRY_AFTER);
    tl_retry_stats st;
    tl_retry_stats_get(f.r, &st);
    assert_int_equal(st.exhausted, 1);
    assert_int_equal(st.too_long, 1);
    tl_retry_destroy(f.r);
}

/* An outage: 50 calls a second for 60 s, every attempt fails, and each
 * call asks for up to 3 retries. Per 10-s window the retries stay within
 * 20% of the calls plus the floor of 3/s, and the budget is what stops
 * them (the bound is nearly reached). */
static void test_budget_in_outage(void **state)
{
    fx f;
    tl_retry_opts o = opts(&f, 9);
    make(&f, &o);
    enum { WINDOWS = 6, PER_SEC = 50 };
    uint64_t calls[WINDOWS] = {0}, retries[WINDOWS] = {0};
    for (int tick = 0; tick < WINDOWS * 10 * PER_SEC; tick++) {
        int w = tick / (10 * PER_SEC);
        tl_retry_note_call(f.r);
        calls[w]++;
        for (unsigned attempt = 1;; attempt++) {
            uint64_t d;
            tl_retry_verdict v = tl_retry_next(f.r, attempt, 0, &d);
            if (v != TL_RETRY_AFTER)
                break;
            retries[w]++;
        }
        tl_test_clock_advance(&f.clock, SEC / PER_SEC);
    }
    uint64_t total_calls = 0, total_retries = 0;
    for (int w = 0; w < WINDOWS; w++) {
        uint64_t bound = calls[w] * 20 / 100 + 30;
        assert_true(retries[w] <= bound);
        assert_true(retries[w] >= bound * 9 / 10);
        total_calls += calls[w];
        total_retries += retries[w];
    }
    /* Load in the outage: calls + retries <= 1.2 x calls + 30 per window,
     * where unbounded retries would have made it 4 x. */
    assert_true(total_calls + total_retries <= total_calls * 12 / 10 + 30 * WINDOWS);
    tl_retry_stats st;
    tl_retry_stats_get(f.r, &st);
    assert_true(st.denied_budget > 0);
    assert_int_equal(st.retries, total_retries);
    assert_true(st.retries_in_window <= st.calls_in_window * 20 / 100 + 30);
    tl_retry_destroy(f.r);
}

/* A quiet provider (one call every 2 s) that glitches: the floor lets every
 * retry through. */
static void test_budget_floor_for_quiet_provider(void **state)
{
    fx f;
    tl_retry_opts o = opts(&f, 11);
    make(&f, &o);
    for (int i = 0; i < 30; i++) {
        tl_retry_note_call(f.r);
        uint64_t d;
        for (unsigned attempt = 1; attempt < 4; attempt++)
            assert_int_equal(tl_retry_next(f.r, attempt, 0, &d), TL_RETRY_AFTER);
        tl_test_clock_advance(&f.clock, 2 * SEC);
    }
    tl_retry_stats st;
    tl_retry_stats_get(f.r, &st);
    assert_int_equal(st.denied_budget, 0);
    assert_int_equal(st.retries, 90);
    tl_retry_destroy(f.r);
}

static void test_errors(void **state)
{
    tl_retry_opts o;
    tl_retry_opts_default(&o);
    assert_int_equal(o.max_attempts, 4);
    assert_int_equal(o.budget_percent, 20);
    assert_int_equal(o.budget_window_ns, 10 * SEC);
    tl_retry *r = NULL;
    o.max_attempts = 0;
    assert_int_equal(tl_retry_create(&r, &o), TL_EINVAL);
    tl_retry_opts_default(&o);
    o.base_delay_ns = 30 * SEC; /* above max_delay */
    assert_int_equal(tl_retry_create(&r, &o), TL_EINVAL);
    assert_null(r);
    tl__alloc_fail_after(0);
    assert_int_equal(tl_retry_create(&r, NULL), TL_ENOMEM);
    tl__alloc_fail_after(-1);
    assert_null(r);
    assert_int_equal(tl_retry_create(&r, NULL), TL_OK); /* seeded from the OS */
    uint64_t d;
    assert_int_equal(tl_retry_next(r, 1, 0, &d), TL_RETRY_AFTER);
    assert_true(d <= 250 * MS);
    tl_retry_destroy(r);
    tl_retry_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays_within_bounds),
        cmocka_unit_test(test_deterministic_with_seed),
        cmocka_unit_test(test_retry_after_and_limits),
        cmocka_unit_test(test_budget_in_outage),
        cmocka_unit_test(test_budget_floor_for_quiet_provider),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
