/* Scheduler: ordering, aging, urgency, starvation bound, expiry, scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/sched.h"

#define MS TL_NS_PER_MS
#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)

typedef struct task {
    tl_sched_node node; /* first, so a node pointer is a task pointer */
    int id;
} task;

typedef struct fx {
    tl_test_clock clock;
    tl_sched *s;
} fx;

static tl_sched *make(fx *f, void (*tweak)(tl_sched_opts *))
{
    tl_test_clock_init(&f->clock, T0);
    tl_sched_opts o;
    tl_sched_opts_default(&o);
    o.clock = &f->clock.base;
    if (tweak)
        tweak(&o);
    assert_int_equal(tl_sched_create(&f->s, &o), TL_OK);
    return f->s;
}

static int pop_id(tl_sched *s, tl_sched_status want)
{
    tl_sched_node *n = NULL;
    assert_int_equal(tl_sched_pop(s, &n), want);
    return n ? ((task *)n)->id : -1;
}

static void test_order_by_base(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    task t[6] = {0};
    int prio[6] = {5, 1, 9, 3, 9, 5};
    for (int i = 0; i < 6; i++) {
        t[i].id = i;
        assert_int_equal(tl_sched_push(s, &t[i].node, prio[i], 0), TL_OK);
    }
    assert_int_equal(tl_sched_len(s), 6);
    /* Higher first; equal priorities in push order. */
    int want[6] = {2, 4, 0, 5, 3, 1};
    for (int i = 0; i < 6; i++)
        assert_int_equal(pop_id(s, TL_SCHED_READY), want[i]);
    assert_int_equal(pop_id(s, TL_SCHED_EMPTY), -1);
    /* A popped node may be pushed again; a queued one may not. */
    assert_int_equal(tl_sched_push(s, &t[0].node, 1, 0), TL_OK);
    assert_int_equal(tl_sched_push(s, &t[0].node, 1, 0), TL_EINVAL);
    tl_sched_destroy(s);
}

/* Default P = 100 ms: a task 10 points lower overtakes a fresh one after
 * exactly 10 * P of waiting (the tie goes to the older task). */
static void test_aging_overtakes(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    task lo = {.id = 1}, hi = {.id = 2};
    const uint64_t P = 100 * MS;

    assert_int_equal(tl_sched_push(s, &lo.node, 0, 0), TL_OK);
    tl_test_clock_advance(&f.clock, 10 * P - 1);
    assert_int_equal(tl_sched_push(s, &hi.node, 10, 0), TL_OK);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 2); /* one ns short */
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);

    assert_int_equal(tl_sched_push(s, &lo.node, 0, 0), TL_OK);
    tl_test_clock_advance(&f.clock, 10 * P);
    assert_int_equal(tl_sched_push(s, &hi.node, 10, 0), TL_OK);
    assert_true(tl_sched_effective(s, &lo.node, tl_clock_now(&f.clock.base)) == 10.0);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 2);

    /* Aging also works for tasks queued together long ago. */
    assert_int_equal(tl_sched_push(s, &lo.node, 0, 0), TL_OK);
    tl_test_clock_advance(&f.clock, 25 * P);
    assert_int_equal(tl_sched_push(s, &hi.node, 20, 0), TL_OK);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 2);
    tl_sched_destroy(s);
}

/* W = 5 s, B = 100, K = 9: a low task of a job due in 10 s passes a task
 * 50 points higher the moment its deadline is 5 s away, not before. */
static void test_deadline_near_overtakes(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    task a = {.id = 1}, b = {.id = 2};
    tl_sched_node *n;
    assert_int_equal(tl_sched_push(s, &a.node, 50, 0), TL_OK);
    assert_int_equal(tl_sched_push(s, &b.node, 0, T0 + 10 * SEC), TL_OK);
    assert_int_equal(tl_sched_next_deadline(s), T0 + 10 * SEC);

    tl_test_clock_set(&f.clock, T0 + 5 * SEC - 1);
    assert_int_equal(tl_sched_peek(s, &n), TL_SCHED_READY);
    assert_ptr_equal(n, &a.node);

    tl_test_clock_set(&f.clock, T0 + 5 * SEC);
    uint64_t now = tl_clock_now(&f.clock.base);
    assert_true(tl_sched_effective(s, &b.node, now) == 0 + 50 + 100); /* aging + boost */
    assert_int_equal(tl_sched_peek(s, &n), TL_SCHED_READY);
    assert_ptr_equal(n, &b.node);

    /* Inside the window it ages (1 + K) times as fast: 2 s later it has
     * gained 20 + 180 points where a normal task gains 20. */
    tl_test_clock_set(&f.clock, T0 + 7 * SEC);
    now = tl_clock_now(&f.clock.base);
    assert_true(tl_sched_effective(s, &b.node, now) == 70 + 100 + 180);
    assert_true(tl_sched_effective(s, &a.node, now) == 50 + 70);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 2);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);

    /* Between two urgent tasks the nearer deadline wins at equal base. */
    task c = {.id = 3}, d = {.id = 4};
    assert_int_equal(tl_sched_push(s, &c.node, 0, now + 4 * SEC), TL_OK);
    assert_int_equal(tl_sched_push(s, &d.node, 0, now + 2 * SEC), TL_OK);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 4);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 3);
    tl_sched_destroy(s);
}

/* A flood: every 10 ms one fresh high-priority task arrives and one task is
 * dispatched, over a backlog of M high tasks. The formula bounds the low
 * task's wait by (b_hi - b_lo) * P + M * step. */
static void test_flood_does_not_starve(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    enum { M = 50, STEPS = 100000 };
    const int b_hi = 100, b_lo = 0;
    const uint64_t P = 100 * MS, step = 10 * MS;
    task *hi = calloc(M + STEPS, sizeof *hi);
    assert_non_null(hi);
    task lo = {.id = -7};
    int nhi = 0;
    for (; nhi < M; nhi++)
        assert_int_equal(tl_sched_push(s, &hi[nhi].node, b_hi, 0), TL_OK);
    uint64_t start = tl_clock_now(&f.clock.base);
    assert_int_equal(tl_sched_push(s, &lo.node, b_lo, 0), TL_OK);

    uint64_t waited = 0;
    for (int i = 0; i < STEPS && !waited; i++) {
        tl_test_clock_advance(&f.clock, step);
        hi[nhi].id = nhi;
        assert_int_equal(tl_sched_push(s, &hi[nhi++].node, b_hi, 0), TL_OK);
        if (pop_id(s, TL_SCHED_READY) == -7)
            waited = tl_clock_now(&f.clock.base) - start;
    }
    uint64_t bound = (uint64_t)(b_hi - b_lo) * P + M * step;
    assert_true(waited > 0);
    assert_true(waited <= bound);
    assert_true(waited >= (uint64_t)(b_hi - b_lo) * P); /* it did wait its turn */
    free(hi);
    tl_sched_destroy(s);
}

static void test_expired_reported(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    task a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
    tl_sched_node *n;
    assert_int_equal(tl_sched_push(s, &a.node, 1000, 0), TL_OK);
    assert_int_equal(tl_sched_push(s, &b.node, 0, T0 + 2 * SEC), TL_OK);
    assert_int_equal(tl_sched_push(s, &c.node, 0, T0 + 1 * SEC), TL_OK);
    assert_int_equal(tl_sched_pop_expired(s, &n), TL_SCHED_EMPTY);
    assert_null(n);

    tl_test_clock_set(&f.clock, T0 + 3 * SEC);
    assert_int_equal(tl_sched_next_deadline(s), T0 + 1 * SEC);
    /* Expired tasks come first, earliest deadline first, whatever the
     * priorities. */
    assert_int_equal(pop_id(s, TL_SCHED_EXPIRED), 3);
    assert_int_equal(tl_sched_pop_expired(s, &n), TL_SCHED_EXPIRED);
    assert_ptr_equal(n, &b.node);
    assert_int_equal(tl_sched_pop_expired(s, &n), TL_SCHED_EMPTY);
    assert_int_equal(tl_sched_next_deadline(s), 0);

    /* A deadline already past at push time is expired at once. */
    assert_int_equal(tl_sched_push(s, &d.node, 0, T0), TL_OK);
    assert_true(tl_sched_effective(s, &d.node, tl_clock_now(&f.clock.base)) > 1e300);
    assert_int_equal(pop_id(s, TL_SCHED_EXPIRED), 4);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);
    tl_sched_destroy(s);
}

static void no_urgency(tl_sched_opts *o)
{
    o->urgency_window_ns = 0;
}

static void test_no_window_still_expires(void **state)
{
    fx f;
    tl_sched *s = make(&f, no_urgency);
    task a = {.id = 1}, b = {.id = 2};
    assert_int_equal(tl_sched_push(s, &a.node, 10, 0), TL_OK);
    assert_int_equal(tl_sched_push(s, &b.node, 0, T0 + SEC), TL_OK);
    tl_test_clock_set(&f.clock, T0 + SEC - 1);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);
    tl_test_clock_set(&f.clock, T0 + SEC);
    assert_int_equal(pop_id(s, TL_SCHED_EXPIRED), 2);
    tl_sched_destroy(s);
}

static void test_remove(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    task t[5] = {0};
    for (int i = 0; i < 5; i++) {
        t[i].id = i;
        assert_int_equal(tl_sched_push(s, &t[i].node, i, i % 2 ? T0 + 60 * SEC : 0), TL_OK);
    }
    assert_int_equal(tl_sched_remove(s, &t[3].node), TL_OK);
    assert_int_equal(tl_sched_remove(s, &t[3].node), TL_ENOTFOUND);
    assert_int_equal(tl_sched_remove(s, &t[0].node), TL_OK);
    assert_int_equal(tl_sched_len(s), 3);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 4);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 2);
    assert_int_equal(pop_id(s, TL_SCHED_READY), 1);
    assert_int_equal(tl_sched_next_deadline(s), 0);
    tl_sched_destroy(s);
}

/* Model check: with time moving and deadlines everywhere, every pop is the
 * task the formula ranks first (brute force over all queued tasks). */
static void test_matches_formula(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    enum { N = 1500 };
    task *t = calloc(N, sizeof *t);
    assert_non_null(t);
    tl_xoshiro rng;
    tl_xoshiro_init(&rng, 42);
    int pushed = 0, popped = 0;
    while (popped < N) {
        tl_test_clock_advance(&f.clock, tl_rng_below(&rng.base, 50 * MS));
        uint64_t now = tl_clock_now(&f.clock.base);
        if (pushed < N && tl_rng_below(&rng.base, 3) != 0) {
            t[pushed].id = pushed;
            uint64_t dl = tl_rng_below(&rng.base, 2) ? now + tl_rng_below(&rng.base, 20 * SEC) : 0;
            int prio = (int)tl_rng_below(&rng.base, 200);
            assert_int_equal(tl_sched_push(s, &t[pushed++].node, prio, dl), TL_OK);
            continue;
        }
        tl_sched_node *n;
        tl_sched_status st = tl_sched_pop(s, &n);
        if (st == TL_SCHED_EMPTY) {
            assert_int_equal(popped, pushed);
            continue;
        }
        popped++;
        double best = tl_sched_effective(s, n, now);
        for (int i = 0; i < pushed; i++) {
            if (t[i].node.where_ == 0)
                continue;
            double e = tl_sched_effective(s, &t[i].node, now);
            if (st == TL_SCHED_EXPIRED) {
                assert_true(n->deadline_ns_ <= now);
                if (t[i].node.deadline_ns_)
                    assert_true(t[i].node.deadline_ns_ >= n->deadline_ns_);
            } else {
                assert_true(e <= best + 1e-6);
            }
        }
    }
    free(t);
    tl_sched_destroy(s);
}

static void test_100k(void **state)
{
    fx f;
    tl_sched *s = make(&f, NULL);
    enum { N = 100000 };
    task *t = calloc(N, sizeof *t);
    assert_non_null(t);
    tl_xoshiro rng;
    tl_xoshiro_init(&rng, 7);
    for (int i = 0; i < N; i++) {
        tl_test_clock_advance(&f.clock, 1000);
        uint64_t dl = 0; /* a quarter of the tasks are urgent or about to be */
        if (i % 4 == 0)
            dl = tl_clock_now(&f.clock.base) + 3 * SEC + tl_rng_below(&rng.base, 5 * SEC);
        assert_int_equal(tl_sched_push(s, &t[i].node, (int)tl_rng_below(&rng.base, 1000), dl),
                         TL_OK);
    }
    assert_int_equal(tl_sched_len(s), N);
    /* Time stands still while draining: the effective priorities popped
     * never increase. */
    uint64_t now = tl_clock_now(&f.clock.base);
    double prev = 1e300;
    for (int i = 0; i < N; i++) {
        tl_sched_node *n;
        assert_int_equal(tl_sched_pop(s, &n), TL_SCHED_READY);
        double e = tl_sched_effective(s, n, now);
        assert_true(e <= prev + 1e-6);
        prev = e;
    }
    assert_int_equal(tl_sched_len(s), 0);
    free(t);
    tl_sched_destroy(s);
}

static void test_create_errors(void **state)
{
    tl_sched *s = NULL;
    tl_sched_opts o;
    tl_sched_opts_default(&o);
    o.urgency_rate = 101;
    assert_int_equal(tl_sched_create(&s, &o), TL_EINVAL);
    tl_sched_opts_default(&o);
    o.aging_interval_ns = 0;
    assert_int_equal(tl_sched_create(&s, &o), TL_EINVAL);
    assert_null(s);
    tl_sched_destroy(NULL);

    /* Every allocation failure at create is reported, nothing leaks. */
    for (long k = 0;; k++) {
        tl__alloc_fail_after(k);
        tl_err e = tl_sched_create(&s, NULL);
        tl__alloc_fail_after(-1);
        if (e == TL_OK)
            break;
        assert_int_equal(e, TL_ENOMEM);
        assert_null(s);
    }
    tl_sched_destroy(s);
}

static void small_heap(tl_sched_opts *o)
{
    o->initial_capacity = 4;
}

static void test_push_enomem(void **state)
{
    fx f;
    tl_sched *s = make(&f, small_heap);
    task t[5] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(tl_sched_push(s, &t[i].node, i, 0), TL_OK);
    tl__alloc_fail_after(0);
    assert_int_equal(tl_sched_push(s, &t[4].node, 9, T0 + SEC), TL_ENOMEM);
    tl__alloc_fail_after(-1);
    assert_int_equal(tl_sched_len(s), 4);
    assert_int_equal(t[4].node.where_, 0);
    assert_int_equal(tl_sched_push(s, &t[4].node, 9, T0 + SEC), TL_OK);
    tl_sched_node *n;
    assert_int_equal(tl_sched_pop(s, &n), TL_SCHED_READY);
    assert_ptr_equal(n, &t[4].node);
    tl_sched_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_by_base),
        cmocka_unit_test(test_aging_overtakes),
        cmocka_unit_test(test_deadline_near_overtakes),
        cmocka_unit_test(test_flood_does_not_starve),
        cmocka_unit_test(test_expired_reported),
        cmocka_unit_test(test_no_window_still_expires),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_matches_formula),
        cmocka_unit_test(test_100k),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_push_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
