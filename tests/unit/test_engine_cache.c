/* Cache: hits and misses, TTL, byte bound, single flight, invalidation,
 * eviction quality against plain LRU, allocation failures, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "engine/alloc.h"
#include "engine/cache.h"
#include "engine/clock.h"

#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)

typedef struct fx {
    tl_test_clock clock;
    tl_cache *c;
    tl_buf out;
} fx;

static tl_cache_opts base_opts(fx *f)
{
    tl_test_clock_init(&f->clock, T0);
    tl_buf_init(&f->out, 1 << 20);
    tl_cache_opts o;
    tl_cache_opts_default(&o);
    o.clock = &f->clock.base;
    o.max_bytes = 1 << 20;
    o.default_ttl_ns = 10 * SEC;
    return o;
}

static void make(fx *f)
{
    tl_cache_opts o = base_opts(f);
    assert_int_equal(tl_cache_create(&f->c, &o), TL_OK);
}

static void done(fx *f)
{
    tl_buf_free(&f->out);
    tl_cache_destroy(f->c);
}

static tl_cache_key K(const char *s)
{
    return tl_cache_key_of(s, strlen(s));
}

static tl_err put_s(tl_cache *c, const char *k, const char *v, uint64_t tag)
{
    tl_cache_put_opts po = {.tag = tag};
    return tl_cache_put(c, K(k), v, strlen(v), &po);
}

static const char *get_s(fx *f, const char *k)
{
    tl_buf_reset(&f->out);
    tl_err e = tl_cache_get(f->c, K(k), &f->out);
    return e == TL_OK ? tl_buf_str(&f->out) : NULL;
}

static void test_keys(void **state)
{
    tl_cache_field a[2] = {{"ab", 2}, {"c", 1}}, b[2] = {{"a", 1}, {"bc", 2}};
    assert_false(tl_cache_key_eq(tl_cache_key_fields(a, 2), tl_cache_key_fields(b, 2)));
    assert_true(tl_cache_key_eq(tl_cache_key_fields(a, 2), tl_cache_key_fields(a, 2)));
    assert_true(tl_cache_key_eq(K("x"), K("x")));
    assert_false(tl_cache_key_eq(K("x"), K("y")));
}

static void test_hit_miss(void **state)
{
    fx f;
    make(&f);
    assert_null(get_s(&f, "summary"));
    assert_int_equal(put_s(f.c, "summary", "tailored summary", 0), TL_OK);
    assert_string_equal(get_s(&f, "summary"), "tailored summary");
    assert_int_equal(put_s(f.c, "summary", "v2", 0), TL_OK); /* replace */
    assert_string_equal(get_s(&f, "summary"), "v2");
    assert_int_equal(tl_cache_put(f.c, K("empty"), NULL, 0, NULL), TL_OK);
    assert_non_null(get_s(&f, "empty"));
    assert_int_equal(tl_cache_remove(f.c, K("empty")), TL_OK);
    assert_int_equal(tl_cache_remove(f.c, K("empty")), TL_ENOTFOUND);

    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.hits, 3);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.bytes, tl_cache_entry_overhead + 2);
    done(&f);
}

static void test_ttl(void **state)
{
    fx f;
    make(&f);
    assert_int_equal(put_s(f.c, "a", "1", 0), TL_OK); /* default 10 s */
    tl_cache_put_opts never = {.ttl_ns = TL_CACHE_TTL_NEVER}, short_ttl = {.ttl_ns = 2 * SEC};
    assert_int_equal(tl_cache_put(f.c, K("b"), "2", 1, &never), TL_OK);
    assert_int_equal(tl_cache_put(f.c, K("c"), "3", 1, &short_ttl), TL_OK);

    tl_test_clock_advance(&f.clock, 2 * SEC - 1);
    assert_non_null(get_s(&f, "c"));
    tl_test_clock_advance(&f.clock, 1);
    assert_null(get_s(&f, "c"));
    tl_test_clock_set(&f.clock, T0 + 10 * SEC - 1);
    assert_non_null(get_s(&f, "a"));
    tl_test_clock_set(&f.clock, T0 + 10 * SEC);
    assert_null(get_s(&f, "a"));
    tl_test_clock_set(&f.clock, T0 + 1000000 * SEC);
    assert_non_null(get_s(&f, "b"));

    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.expirations, 2);
    assert_int_equal(st.entries, 1);

    /* purge drops expired entries nobody asks for. */
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(put_s(f.c, k, "v", 0), TL_OK);
    }
    tl_test_clock_advance(&f.clock, 10 * SEC);
    assert_int_equal(tl_cache_purge_expired(f.c), 50);
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.entries, 1);
    done(&f);
}

static void byte_bound(tl_cache_policy policy)
{
    fx f;
    tl_cache_opts o = base_opts(&f);
    o.max_bytes = 64 * 1024;
    o.shards = 4;
    o.policy = policy;
    assert_int_equal(tl_cache_create(&f.c, &o), TL_OK);
    char v[700];
    memset(v, 'x', sizeof v);
    tl_cache_stats st;
    for (int i = 0; i < 2000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i % 300);
        assert_int_equal(tl_cache_put(f.c, K(k), v, 100 + (size_t)(i * 37) % 600, NULL), TL_OK);
        if (i % 3 == 0)
            (void)get_s(&f, k);
        tl_cache_stats_get(f.c, &st);
        assert_true(st.bytes <= o.max_bytes);
    }
    assert_true(st.entries > 20);
    assert_true(st.evictions > 0);
    /* A value that could never fit its shard is refused outright. */
    char *big = calloc(1, 16 * 1024);
    assert_int_equal(tl_cache_put(f.c, K("big"), big, 16 * 1024, NULL), TL_ETOOBIG);
    free(big);
    done(&f);
}

static void test_byte_bound(void **state)
{
    byte_bound(TL_CACHE_TINYLFU);
    byte_bound(TL_CACHE_LRU);
}

/* ---- single flight ---- */

typedef struct waiter_rec {
    int calls;
    tl_cache_acq what;
    char value[64];
} waiter_rec;

static void on_wait(void *ud, tl_cache_acq what, const void *value, size_t len)
{
    waiter_rec *r = ud;
    r->calls++;
    r->what = what;
    if (value && len < sizeof r->value) {
        memcpy(r->value, value, len);
        r->value[len] = '\0';
    }
}

static void test_coalescing(void **state)
{
    fx f;
    make(&f);
    enum { N = 10 };
    tl_cache_key k = K("work[0]");
    tl_cache_acq res;
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_LEADER);
    waiter_rec w[N] = {0};
    for (int i = 0; i < N; i++) {
        assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, &w[i], &res), TL_OK);
        assert_int_equal(res, TL_CACHE_WAITING);
    }
    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.flights, 1);
    assert_int_equal(st.coalesced, N);
    assert_int_equal(st.misses, 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(w[i].calls, 0);

    assert_int_equal(tl_cache_complete(f.c, k, "done", 4, NULL), TL_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(w[i].calls, 1);
        assert_int_equal(w[i].what, TL_CACHE_HIT);
        assert_string_equal(w[i].value, "done");
    }
    /* Stored: the next caller hits. */
    tl_buf_reset(&f.out);
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_HIT);
    assert_string_equal(tl_buf_str(&f.out), "done");
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.flights, 0);
    done(&f);
}

static void test_abandon(void **state)
{
    fx f;
    make(&f);
    tl_cache_key k = K("skills");
    tl_cache_acq res;
    waiter_rec a = {0}, b = {0}, c = {0};
    assert_int_equal(tl_cache_abandon(f.c, k), TL_ENOTFOUND);
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, &a, &res), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, &b, &res), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, k, &f.out, on_wait, &c, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_WAITING);
    assert_int_equal(tl_cache_unwait(f.c, k, on_wait, &c), TL_OK); /* c's job was cancelled */
    assert_int_equal(tl_cache_unwait(f.c, k, on_wait, &c), TL_ENOTFOUND);

    /* The leader gives up: the oldest waiter leads, the other still waits. */
    assert_int_equal(tl_cache_abandon(f.c, k), TL_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.what, TL_CACHE_LEADER);
    assert_int_equal(b.calls, 0);
    assert_int_equal(tl_cache_complete(f.c, k, "from a", 6, NULL), TL_OK);
    assert_int_equal(b.calls, 1);
    assert_string_equal(b.value, "from a");
    assert_int_equal(c.calls, 0);
    assert_int_equal(a.calls, 1);

    /* Abandoned with nobody waiting: the flight ends, the next caller leads. */
    tl_cache_key k2 = K("education");
    assert_int_equal(tl_cache_acquire(f.c, k2, &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(tl_cache_abandon(f.c, k2), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, k2, &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_LEADER);
    /* no_store: waiters get it, the cache does not keep it. */
    assert_int_equal(tl_cache_acquire(f.c, k2, &f.out, on_wait, &c, &res), TL_OK);
    tl_cache_put_opts ns = {.no_store = true};
    assert_int_equal(tl_cache_complete(f.c, k2, "fallback", 8, &ns), TL_OK);
    assert_string_equal(c.value, "fallback");
    assert_null(get_s(&f, "education"));
    done(&f);
}

static void test_invalidate_tag(void **state)
{
    fx f;
    make(&f);
    const uint64_t A = 0xa11ce, B = 0xb0b;
    char k[16];
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof k, "a%d", i);
        assert_int_equal(put_s(f.c, k, "from section A", A), TL_OK);
        snprintf(k, sizeof k, "b%d", i);
        assert_int_equal(put_s(f.c, k, "from section B", B), TL_OK);
    }
    assert_int_equal(put_s(f.c, "untagged", "x", 0), TL_OK);
    /* Replacing an entry moves it between tags. */
    assert_int_equal(put_s(f.c, "a0", "now from B", B), TL_OK);

    assert_int_equal(tl_cache_invalidate_tag(f.c, A), 29);
    assert_int_equal(tl_cache_invalidate_tag(f.c, A), 0);
    assert_int_equal(tl_cache_invalidate_tag(f.c, 0), 0);
    assert_null(get_s(&f, "a5"));
    assert_string_equal(get_s(&f, "a0"), "now from B");
    assert_string_equal(get_s(&f, "b7"), "from section B");
    assert_non_null(get_s(&f, "untagged"));
    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.invalidations, 29);
    assert_int_equal(st.entries, 32);

    /* A flight running while its source is edited delivers but does not
     * store; one on another tag stores. */
    tl_cache_acq res;
    waiter_rec w = {0};
    tl_cache_put_opts pa = {.tag = A}, pb = {.tag = B};
    assert_int_equal(tl_cache_acquire(f.c, K("fa"), &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, K("fa"), &f.out, on_wait, &w, &res), TL_OK);
    assert_int_equal(tl_cache_acquire(f.c, K("fb"), &f.out, on_wait, NULL, &res), TL_OK);
    assert_int_equal(tl_cache_invalidate_tag(f.c, A), 0);
    assert_int_equal(tl_cache_complete(f.c, K("fa"), "stale", 5, &pa), TL_OK);
    assert_int_equal(tl_cache_complete(f.c, K("fb"), "fine", 4, &pb), TL_OK);
    assert_string_equal(w.value, "stale");
    assert_null(get_s(&f, "fa"));
    assert_string_equal(get_s(&f, "fb"), "fine");

    /* More invalidations than remembered: the flight does not store. */
    assert_int_equal(tl_cache_acquire(f.c, K("fc"), &f.out, on_wait, NULL, &res), TL_OK);
    for (uint64_t t = 1; t <= 100; t++)
        (void)tl_cache_invalidate_tag(f.c, 1000 + t);
    assert_int_equal(tl_cache_complete(f.c, K("fc"), "unsure", 6, &pb), TL_OK);
    assert_null(get_s(&f, "fc"));
    done(&f);
}

/* ---- eviction quality ---- */

static double zipf_hit_ratio(tl_cache_policy policy, double s, int items, int requests)
{
    fx f;
    tl_cache_opts o = base_opts(&f);
    o.policy = policy;
    o.default_ttl_ns = TL_CACHE_TTL_NEVER;
    enum { VLEN = 900 };
    o.max_bytes = 400 * (VLEN + tl_cache_entry_overhead); /* about 400 entries */
    assert_int_equal(tl_cache_create(&f.c, &o), TL_OK);

    double *cdf = malloc(sizeof *cdf * (size_t)items);
    assert_non_null(cdf);
    double sum = 0;
    for (int i = 0; i < items; i++)
        cdf[i] = (sum += 1.0 / pow(i + 1, s));
    tl_xoshiro rng;
    tl_xoshiro_init(&rng, 2024);
    char v[VLEN];
    memset(v, 'v', sizeof v);
    int hits = 0;
    for (int r = 0; r < requests; r++) {
        double u = tl_rng_unit(&rng.base) * sum;
        int lo = 0, hi = items - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        /* Popular ranks are scattered over the key space. */
        uint64_t id = (uint64_t)lo * 0x9e3779b97f4a7c15ull;
        tl_cache_key k = tl_cache_key_of(&id, sizeof id);
        tl_buf_reset(&f.out);
        if (tl_cache_get(f.c, k, &f.out) == TL_OK)
            hits++;
        else
            assert_int_equal(tl_cache_put(f.c, k, v, VLEN, NULL), TL_OK);
    }
    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_true(st.bytes <= o.max_bytes);
    free(cdf);
    done(&f);
    return (double)hits / requests;
}

static void test_zipf_vs_lru(void **state)
{
    const double skews[] = {0.7, 0.9, 1.1};
    for (int i = 0; i < 3; i++) {
        double lfu = zipf_hit_ratio(TL_CACHE_TINYLFU, skews[i], 20000, 300000);
        double lru = zipf_hit_ratio(TL_CACHE_LRU, skews[i], 20000, 300000);
        print_message("zipf s=%.1f: W-TinyLFU hit ratio %.3f, LRU %.3f\n", skews[i], lfu, lru);
        assert_true(lfu >= lru);
    }
}

/* ---- failures ---- */

static void test_enomem(void **state)
{
    tl_cache *c = NULL;
    for (long k = 0;; k++) {
        tl__alloc_fail_after(k);
        tl_err e = tl_cache_create(&c, NULL);
        tl__alloc_fail_after(-1);
        if (e == TL_OK)
            break;
        assert_int_equal(e, TL_ENOMEM);
        assert_null(c);
    }
    tl_cache_destroy(c);

    fx f;
    make(&f);
    assert_int_equal(put_s(f.c, "keep", "old", 7), TL_OK);
    tl__alloc_fail_after(0);
    assert_int_equal(put_s(f.c, "keep", "new", 8), TL_ENOMEM);
    assert_int_equal(put_s(f.c, "other", "x", 0), TL_ENOMEM);
    tl_cache_acq res;
    assert_int_equal(tl_cache_acquire(f.c, K("fl"), &f.out, on_wait, NULL, &res), TL_ENOMEM);
    tl__alloc_fail_after(1); /* the entry fits, its new tag group does not */
    assert_int_equal(put_s(f.c, "keep", "new", 8), TL_ENOMEM);
    tl__alloc_fail_after(-1);
    assert_string_equal(get_s(&f, "keep"), "old");
    assert_int_equal(tl_cache_invalidate_tag(f.c, 7), 1);
    tl_cache_stats st;
    tl_cache_stats_get(f.c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.flights, 0);

    tl_cache_opts o;
    tl_cache_opts_default(&o);
    o.shards = 3;
    assert_int_equal(tl_cache_create(&c, &o), TL_EINVAL);
    tl_cache_opts_default(&o);
    o.max_bytes = 1000;
    assert_int_equal(tl_cache_create(&c, &o), TL_EINVAL);
    done(&f);
}

/* ---- threads ---- */

typedef struct race {
    tl_cache *c;
    pthread_barrier_t acquired;
    atomic_int leaders, delivered, hits;
} race;

static void on_race(void *ud, tl_cache_acq what, const void *value, size_t len)
{
    race *r = ud;
    if (what == TL_CACHE_HIT && len == 6 && memcmp(value, "result", 6) == 0)
        atomic_fetch_add(&r->delivered, 1);
}

static void *race_thread(void *arg)
{
    race *r = arg;
    tl_buf out;
    tl_buf_init(&out, 1024);
    tl_cache_acq res;
    tl_cache_key k = K("same request");
    assert_int_equal(tl_cache_acquire(r->c, k, &out, on_race, r, &res), TL_OK);
    if (res == TL_CACHE_LEADER)
        atomic_fetch_add(&r->leaders, 1);
    pthread_barrier_wait(&r->acquired);
    if (res == TL_CACHE_LEADER)
        assert_int_equal(tl_cache_complete(r->c, k, "result", 6, NULL), TL_OK);
    /* Random traffic on other keys meanwhile. */
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", (i * 7919) % 700);
        tl_buf_reset(&out);
        if (tl_cache_get(r->c, K(key), &out) == TL_OK)
            atomic_fetch_add(&r->hits, 1);
        else
            assert_int_equal(tl_cache_put(r->c, K(key), key, strlen(key), NULL), TL_OK);
    }
    tl_buf_free(&out);
    return NULL;
}

static void test_threads(void **state)
{
    enum { N = 8 };
    fx f;
    tl_cache_opts o = base_opts(&f);
    o.max_bytes = 64 * 1024;
    race r = {0};
    assert_int_equal(tl_cache_create(&r.c, &o), TL_OK);
    pthread_barrier_init(&r.acquired, NULL, N);
    pthread_t th[N];
    for (int i = 0; i < N; i++)
        pthread_create(&th[i], NULL, race_thread, &r);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&r.acquired);
    assert_int_equal(atomic_load(&r.leaders), 1);
    assert_int_equal(atomic_load(&r.delivered), N - 1);
    assert_true(atomic_load(&r.hits) > 0);
    tl_cache_stats st;
    tl_cache_stats_get(r.c, &st);
    assert_true(st.bytes <= o.max_bytes);
    assert_int_equal(st.coalesced, N - 1);
    tl_cache_destroy(r.c);
    tl_buf_free(&f.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_hit_miss),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_coalescing),
        cmocka_unit_test(test_abandon),
        cmocka_unit_test(test_invalidate_tag),
        cmocka_unit_test(test_zipf_vs_lru),
        cmocka_unit_test(test_enomem),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
