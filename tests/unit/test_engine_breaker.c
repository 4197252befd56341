/* Circuit breaker: every transition on the test clock, both windows, slow
 * calls, refusals, the half-open trial limit, operator states, events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "engine/alloc.h"
#include "engine/breaker.h"
#include "engine/clock.h"

#define MS TL_NS_PER_MS
#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)

typedef struct events {
    int n;
    tl_breaker_event ev[32];
} events;

static void on_event(void *ud, const tl_breaker_event *ev)
{
    events *e = ud;
    if (e->n < 32)
        e->ev[e->n++] = *ev;
}

typedef struct fx {
    tl_test_clock clock;
    events evs;
    tl_breaker *b;
} fx;

/* A small breaker: count window 10, minimum 5, 50% failures, slow rate
 * 50% at 1 s, open 10 s, 3 trials. */
static tl_breaker_opts small_opts(fx *f)
{
    memset(f, 0, sizeof *f);
    tl_test_clock_init(&f->clock, T0);
    tl_breaker_opts o;
    tl_breaker_opts_default(&o);
    o.clock = &f->clock.base;
    o.name = "openai/gpt-4o-mini";
    o.window_size = 10;
    o.minimum_calls = 5;
    o.slow_rate_threshold = 50;
    o.slow_call_ns = 1 * SEC;
    o.wait_in_open_ns = 10 * SEC;
    o.half_open_calls = 3;
    o.on_event = on_event;
    o.event_ud = &f->evs;
    return o;
}

static void make(fx *f, tl_breaker_opts *o)
{
    assert_int_equal(tl_breaker_create(&f->b, o), TL_OK);
}

static void call(tl_breaker *b, tl_breaker_outcome o, uint64_t dur)
{
    tl_breaker_permit p;
    assert_true(tl_breaker_acquire(b, &p));
    tl_breaker_record(b, &p, o, dur);
}

static void expect_event(fx *f, int i, tl_breaker_state from, tl_breaker_state to)
{
    assert_true(f->evs.n > i);
    assert_int_equal(f->evs.ev[i].from, from);
    assert_int_equal(f->evs.ev[i].to, to);
    assert_string_equal(f->evs.ev[i].name, "openai/gpt-4o-mini");
}

static void test_opens_on_failure_rate(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    /* Below the minimum number of calls nothing happens, even at 100%. */
    for (int i = 0; i < 4; i++)
        call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_true(st.failure_rate < 0);
    assert_int_equal(st.calls, 4);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    expect_event(&f, 0, TL_BREAKER_CLOSED, TL_BREAKER_OPEN);
    assert_true(f.evs.ev[0].failure_rate == 100.0);
    assert_int_equal(f.evs.ev[0].wait_ns, 10 * SEC);
    assert_int_equal(f.evs.ev[0].at_ns, T0);
    tl_breaker_destroy(f.b);
}

static void test_count_window_slides(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    for (int i = 0; i < 10; i++)
        call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    /* 4 failures among the last 10: 40%, closed. */
    for (int i = 0; i < 4; i++)
        call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 10);
    assert_int_equal(st.failures, 4);
    assert_true(st.failure_rate == 40.0);
    /* Successes push the failures out of the window again. */
    for (int i = 0; i < 10; i++)
        call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.failures, 0);
    for (int i = 0; i < 4; i++)
        call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS); /* 5 of the last 10: 50% */
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    tl_breaker_destroy(f.b);
}

static void test_slow_calls(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    /* Successful but slow: 1 s is slow (at the threshold), 999 ms is not. */
    call(f.b, TL_BREAKER_SUCCESS, 999 * MS);
    call(f.b, TL_BREAKER_SUCCESS, 999 * MS);
    call(f.b, TL_BREAKER_SUCCESS, 999 * MS);
    call(f.b, TL_BREAKER_SUCCESS, 1 * SEC);
    call(f.b, TL_BREAKER_SUCCESS, 5 * SEC);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED); /* 2/5 = 40% slow */
    call(f.b, TL_BREAKER_SUCCESS, 2 * SEC);                         /* 3/6 = 50% */
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    assert_true(f.evs.ev[0].slow_rate == 50.0);
    assert_true(f.evs.ev[0].failure_rate == 0.0);
    tl_breaker_destroy(f.b);
}

static void open_it(fx *f)
{
    for (int i = 0; i < 5; i++)
        call(f->b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f->b), TL_BREAKER_OPEN);
}

static void test_open_refuses_then_half_open(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    open_it(&f);
    tl_breaker_permit p;
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.open_until_ns, T0 + 10 * SEC);
    assert_false(tl_breaker_acquire(f.b, &p));
    tl_test_clock_set(&f.clock, T0 + 10 * SEC - 1);
    assert_false(tl_breaker_acquire(f.b, &p));
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.not_permitted, 2);

    tl_test_clock_set(&f.clock, T0 + 10 * SEC);
    tl_breaker_permit t[3];
    for (int i = 0; i < 3; i++)
        assert_true(tl_breaker_acquire(f.b, &t[i]));
    expect_event(&f, 1, TL_BREAKER_OPEN, TL_BREAKER_HALF_OPEN);
    /* The trial limit: a fourth call is refused while three are out. */
    assert_false(tl_breaker_acquire(f.b, &p));
    /* An ignored trial (say a 400) frees its slot for another. */
    tl_breaker_record(f.b, &t[0], TL_BREAKER_IGNORED, 10 * MS);
    assert_true(tl_breaker_acquire(f.b, &t[0]));
    assert_false(tl_breaker_acquire(f.b, &p));
    for (int i = 0; i < 3; i++)
        tl_breaker_record(f.b, &t[i], TL_BREAKER_SUCCESS, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    expect_event(&f, 2, TL_BREAKER_HALF_OPEN, TL_BREAKER_CLOSED);
    /* Closed with a fresh window. */
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 0);
    assert_int_equal(f.evs.n, 3);
    tl_breaker_destroy(f.b);
}

static void trials(fx *f, int failures)
{
    tl_breaker_permit t[3];
    for (int i = 0; i < 3; i++)
        assert_true(tl_breaker_acquire(f->b, &t[i]));
    for (int i = 0; i < 3; i++)
        tl_breaker_record(f->b, &t[i], i < failures ? TL_BREAKER_FAILURE : TL_BREAKER_SUCCESS,
                          10 * MS);
}

static void test_half_open_reopens_with_backoff(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    o.open_backoff = 2.0;
    o.max_wait_in_open_ns = 35 * SEC;
    make(&f, &o);
    open_it(&f);
    uint64_t now = T0;
    uint64_t waits[] = {10 * SEC, 20 * SEC, 35 * SEC, 35 * SEC};
    for (int round = 0; round < 3; round++) {
        now += waits[round];
        tl_test_clock_set(&f.clock, now);
        trials(&f, 2); /* 2 of 3 fail: 67% >= 50% */
        assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
        tl_breaker_stats st;
        tl_breaker_stats_get(f.b, &st);
        assert_int_equal(st.wait_ns, waits[round + 1]);
        assert_int_equal(st.open_until_ns, now + waits[round + 1]);
        tl_breaker_permit p;
        tl_test_clock_set(&f.clock, now + waits[round + 1] - 1);
        assert_false(tl_breaker_acquire(f.b, &p));
    }
    const tl_breaker_event *last = &f.evs.ev[f.evs.n - 1];
    assert_int_equal(last->from, TL_BREAKER_HALF_OPEN);
    assert_int_equal(last->to, TL_BREAKER_OPEN);
    assert_int_equal(last->wait_ns, 35 * SEC);
    /* Recovery: 1 failure in 3 is 33%, below 50%: closed, wait back to base. */
    now += 35 * SEC;
    tl_test_clock_set(&f.clock, now);
    trials(&f, 1);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    open_it(&f);
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.wait_ns, 10 * SEC);
    tl_breaker_destroy(f.b);
}

static void test_time_window(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    o.window_type = TL_BREAKER_TIME;
    o.window_size = 10; /* seconds */
    make(&f, &o);
    for (int i = 0; i < 4; i++)
        call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 4);
    /* 10 s later those four have left the window. */
    tl_test_clock_advance(&f.clock, 10 * SEC);
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 0);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    /* Spread over the window, calls add up: 1 s apart. */
    for (int i = 0; i < 3; i++) {
        tl_test_clock_advance(&f.clock, 1 * SEC);
        call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    }
    tl_test_clock_advance(&f.clock, 1 * SEC);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS); /* 2 of 5 */
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    tl_test_clock_advance(&f.clock, 1 * SEC);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS); /* 3 of 6 = 50% */
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    assert_true(f.evs.ev[0].failure_rate == 50.0);
    /* Partial expiry: 9 s after the first failure of the series, only the
     * ones inside the last 10 s remain. */
    tl_breaker_transition(f.b, TL_BREAKER_CLOSED);
    call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    tl_test_clock_advance(&f.clock, 5 * SEC);
    call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    tl_test_clock_advance(&f.clock, 5 * SEC);
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 1);
    tl_breaker_destroy(f.b);
}

static void test_stale_outcomes_ignored(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    tl_breaker_permit late1, late2, t[3];
    assert_true(tl_breaker_acquire(f.b, &late1)); /* admitted while closed */
    assert_true(tl_breaker_acquire(f.b, &late2));
    open_it(&f);
    tl_breaker_record(f.b, &late1, TL_BREAKER_SUCCESS, 10 * MS); /* ends while open */
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 5);

    tl_test_clock_advance(&f.clock, 10 * SEC);
    for (int i = 0; i < 3; i++)
        assert_true(tl_breaker_acquire(f.b, &t[i]));
    /* A closed-state call ending in half-open is no trial. */
    tl_breaker_record(f.b, &late2, TL_BREAKER_SUCCESS, 10 * MS);
    tl_breaker_record(f.b, &t[0], TL_BREAKER_SUCCESS, 10 * MS);
    tl_breaker_record(f.b, &t[1], TL_BREAKER_SUCCESS, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_HALF_OPEN);
    tl_breaker_record(f.b, &t[2], TL_BREAKER_SUCCESS, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    tl_breaker_destroy(f.b);
}

static void test_ignored_and_classify(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    for (int i = 0; i < 20; i++)
        call(f.b, TL_BREAKER_IGNORED, 10 * SEC); /* neither failures nor slow */
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 0);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);

    assert_int_equal(tl_breaker_classify_http(200), TL_BREAKER_SUCCESS);
    assert_int_equal(tl_breaker_classify_http(304), TL_BREAKER_SUCCESS);
    assert_int_equal(tl_breaker_classify_http(400), TL_BREAKER_IGNORED);
    assert_int_equal(tl_breaker_classify_http(401), TL_BREAKER_IGNORED);
    assert_int_equal(tl_breaker_classify_http(404), TL_BREAKER_IGNORED);
    assert_int_equal(tl_breaker_classify_http(408), TL_BREAKER_FAILURE);
    assert_int_equal(tl_breaker_classify_http(429), TL_BREAKER_FAILURE);
    assert_int_equal(tl_breaker_classify_http(500), TL_BREAKER_FAILURE);
    assert_int_equal(tl_breaker_classify_http(503), TL_BREAKER_FAILURE);
    assert_int_equal(tl_breaker_classify_http(0), TL_BREAKER_FAILURE);
    tl_breaker_destroy(f.b);
}

static void test_operator_states(void **state)
{
    fx f;
    tl_breaker_opts o = small_opts(&f);
    make(&f, &o);
    tl_breaker_permit p;
    tl_breaker_transition(f.b, TL_BREAKER_FORCED_OPEN);
    expect_event(&f, 0, TL_BREAKER_CLOSED, TL_BREAKER_FORCED_OPEN);
    tl_test_clock_advance(&f.clock, 3600 * SEC);
    assert_false(tl_breaker_acquire(f.b, &p)); /* no timeout ends it */
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_FORCED_OPEN);

    tl_breaker_transition(f.b, TL_BREAKER_DISABLED);
    expect_event(&f, 1, TL_BREAKER_FORCED_OPEN, TL_BREAKER_DISABLED);
    for (int i = 0; i < 50; i++)
        call(f.b, TL_BREAKER_FAILURE, 10 * SEC);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_DISABLED);
    tl_breaker_stats st;
    tl_breaker_stats_get(f.b, &st);
    assert_int_equal(st.calls, 0);

    tl_breaker_transition(f.b, TL_BREAKER_DISABLED); /* no change, no event */
    assert_int_equal(f.evs.n, 2);
    tl_breaker_transition(f.b, TL_BREAKER_CLOSED);
    expect_event(&f, 2, TL_BREAKER_DISABLED, TL_BREAKER_CLOSED);
    open_it(&f);
    tl_breaker_transition(f.b, TL_BREAKER_HALF_OPEN); /* operator asks for trials now */
    assert_true(tl_breaker_acquire(f.b, &p));
    assert_string_equal(tl_breaker_state_name(TL_BREAKER_HALF_OPEN), "half_open");
    assert_string_equal(tl_breaker_state_name(TL_BREAKER_FORCED_OPEN), "forced_open");
    tl_breaker_destroy(f.b);
}

static void test_presets_and_errors(void **state)
{
    tl_breaker_opts o;
    tl_breaker_opts_default(&o);
    assert_int_equal(o.failure_rate_threshold, 50);
    assert_int_equal(o.slow_rate_threshold, 100);
    assert_int_equal(o.slow_call_ns, 60 * SEC);
    assert_int_equal(o.window_size, 100);
    assert_int_equal(o.minimum_calls, 100);
    assert_int_equal(o.wait_in_open_ns, 60 * SEC);
    assert_int_equal(o.half_open_calls, 10);
    tl_breaker_opts_llm(&o);
    assert_int_equal(o.window_size, 100);
    assert_int_equal(o.minimum_calls, 50);
    assert_int_equal(o.consecutive_failures, 8);
    assert_int_equal(o.slow_call_ns, 30 * SEC);
    assert_int_equal(o.wait_in_open_ns, 10 * SEC);
    assert_int_equal(o.max_wait_in_open_ns, 120 * SEC);
    assert_true(o.open_backoff == 2.0);

    tl_breaker *b = NULL;
    o.failure_rate_threshold = 0;
    assert_int_equal(tl_breaker_create(&b, &o), TL_EINVAL);
    tl_breaker_opts_llm(&o);
    o.open_backoff = 0.5;
    assert_int_equal(tl_breaker_create(&b, &o), TL_EINVAL);
    assert_null(b);
    for (long k = 0;; k++) {
        tl__alloc_fail_after(k);
        tl_err e = tl_breaker_create(&b, NULL);
        tl__alloc_fail_after(-1);
        if (e == TL_OK)
            break;
        assert_int_equal(e, TL_ENOMEM);
        assert_null(b);
    }
    /* The hot path allocates nothing. */
    tl__alloc_fail_after(0);
    for (int i = 0; i < 1000; i++)
        call(b, i % 3 ? TL_BREAKER_SUCCESS : TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl__alloc_count(), 0);
    tl__alloc_fail_after(-1);
    tl_breaker_destroy(b);
    tl_breaker_destroy(NULL);
}

/* A run of failures opens the breaker before the window's minimum; a
 * success in between starts the count again. */
static void test_consecutive_failures(void **state)
{
    (void)state;
    fx f;
    tl_breaker_opts o = small_opts(&f);
    o.window_size = 100;
    o.minimum_calls = 100;
    o.consecutive_failures = 3;
    make(&f, &o);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    call(f.b, TL_BREAKER_IGNORED, 10 * MS); /* says nothing: the run goes on */
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    expect_event(&f, 0, TL_BREAKER_CLOSED, TL_BREAKER_OPEN);
    /* Half-open trials that pass close it with a fresh run. */
    tl_test_clock_advance(&f.clock, 10 * SEC);
    for (int i = 0; i < 3; i++)
        call(f.b, TL_BREAKER_SUCCESS, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    call(f.b, TL_BREAKER_FAILURE, 10 * MS);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    tl_breaker_destroy(f.b);
}

/* What the LLM preset is for: a provider failing a quarter of its calls at
 * random (bench scenario 2) keeps its breaker closed, and a dead one is
 * cut off after 8 calls. The failure pattern comes from a
 * fixed-seed xorshift, so the run is the same every time. */
static void test_llm_preset_tolerates_noise_not_outages(void **state)
{
    (void)state;
    fx f;
    memset(&f, 0, sizeof f);
    tl_test_clock_init(&f.clock, T0);
    tl_breaker_opts o;
    tl_breaker_opts_llm(&o);
    o.clock = &f.clock.base;
    o.on_event = on_event;
    o.event_ud = &f.evs;
    make(&f, &o);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int failures = 0;
    for (int i = 0; i < 5000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bool fail = x % 4 == 0;
        failures += fail;
        call(f.b, fail ? TL_BREAKER_FAILURE : TL_BREAKER_SUCCESS, 200 * MS);
        tl_test_clock_advance(&f.clock, 20 * MS);
    }
    assert_in_range(failures, 1150, 1350);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_CLOSED);
    assert_int_equal(f.evs.n, 0);

    int sent = 0;
    tl_breaker_permit p;
    while (tl_breaker_acquire(f.b, &p)) {
        tl_breaker_record(f.b, &p, TL_BREAKER_FAILURE, 200 * MS);
        sent++;
    }
    assert_int_equal(sent, 8);
    assert_int_equal(tl_breaker_state_get(f.b), TL_BREAKER_OPEN);
    tl_breaker_destroy(f.b);
}

static void *hammer(void *arg)
{
    tl_breaker *b = arg;
    tl_breaker_permit p;
    for (int i = 0; i < 100000; i++)
        if (tl_breaker_acquire(b, &p))
            tl_breaker_record(b, &p, i % 7 == 0 ? TL_BREAKER_FAILURE : TL_BREAKER_SUCCESS,
                              i % 11 == 0 ? 40 * SEC : MS);
    return NULL;
}

static void test_threads(void **state)
{
    tl_breaker_opts o;
    tl_breaker_opts_llm(&o);
    tl_breaker *b;
    assert_int_equal(tl_breaker_create(&b, &o), TL_OK);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, b);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    tl_breaker_stats st;
    tl_breaker_stats_get(b, &st);
    assert_true(st.calls <= 100);
    assert_true(st.failures <= st.calls);
    tl_breaker_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_on_failure_rate),
        cmocka_unit_test(test_count_window_slides),
        cmocka_unit_test(test_slow_calls),
        cmocka_unit_test(test_open_refuses_then_half_open),
        cmocka_unit_test(test_half_open_reopens_with_backoff),
        cmocka_unit_test(test_time_window),
        cmocka_unit_test(test_stale_outcomes_ignored),
        cmocka_unit_test(test_ignored_and_classify),
        cmocka_unit_test(test_operator_states),
        cmocka_unit_test(test_presets_and_errors),
        cmocka_unit_test(test_llm_preset_tolerates_noise_not_outages),
        cmocka_unit_test(test_consecutive_failures),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
