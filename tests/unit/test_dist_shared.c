/* State shared through a real redis-server: the cache tier (TTL, single
 * flight across handles standing for processes, a lock that expires), and
 * the per-provider token buckets kept by N handles together. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "test_dist_fx.h"

static char prefix[32];

static tl_dist_cache *open_cache(uint64_t lock_ms)
{
    tl_dist_cache_opts o;
    tl_dist_cache_opts_default(&o);
    o.url = redis_url;
    o.prefix = prefix;
    o.lock_ms = lock_ms;
    o.poll_ms = 5;
    tl_dist_cache *c = NULL;
    assert_int_equal(tl_dist_cache_create(&c, &o), TL_OK);
    return c;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_cache_get_put_ttl(void **state)
{
    (void)state;
    tl_dist_cache *c = open_cache(1000);
    tl_cache_key k = tl_cache_key_of("section", 7);
    tl_buf b;
    tl_buf_init(&b, 1 << 20);
    assert_int_equal(tl_dist_cache_get(c, k, &b), TL_ENOTFOUND);
    assert_int_equal(tl_dist_cache_put(c, k, "value", 5, 0), TL_OK);
    assert_int_equal(tl_dist_cache_get(c, k, &b), TL_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "value", 5);
    tl_buf_free(&b);
    tl_cache_key k2 = tl_cache_key_of("short", 5);
    assert_int_equal(tl_dist_cache_put(c, k2, "v", 1, 50), TL_OK);
    fx_sleep_ms(120);
    tl_buf_init(&b, 1 << 20);
    assert_int_equal(tl_dist_cache_get(c, k2, &b), TL_ENOTFOUND);
    tl_buf_free(&b);
    tl_dist_cache_destroy(c);
}

typedef struct waiter {
    tl_dist_cache *c;
    tl_cache_key k;
    tl_cache_acq res;
    char value[16];
    tl_err e;
    uint64_t took_ms;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    tl_buf b;
    tl_buf_init(&b, 1024);
    uint64_t t0 = mono_ms();
    w->e = tl_dist_cache_acquire(w->c, w->k, &b, 3000, &w->res);
    w->took_ms = mono_ms() - t0;
    if (w->e == TL_OK && w->res == TL_CACHE_HIT && b.len < sizeof w->value)
        memcpy(w->value, b.data, b.len);
    tl_buf_free(&b);
    return NULL;
}

/* One leader across processes; the other gets the leader's value. */
static void test_cache_single_flight(void **state)
{
    (void)state;
    tl_dist_cache *a = open_cache(5000), *b = open_cache(5000);
    tl_cache_key k = tl_cache_key_of("flight", 6);
    tl_buf buf;
    tl_buf_init(&buf, 1024);
    tl_cache_acq res = TL_CACHE_WAITING;
    assert_int_equal(tl_dist_cache_acquire(a, k, &buf, 0, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_LEADER);
    waiter w = {.c = b, .k = k};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
    fx_sleep_ms(100);
    assert_int_equal(tl_dist_cache_complete(a, k, "led", 3, 0), TL_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.e, TL_OK);
    assert_int_equal(w.res, TL_CACHE_HIT);
    assert_string_equal(w.value, "led");
    assert_true(w.took_ms >= 80);
    /* The lock is gone. */
    char lk[128];
    snprintf(lk, sizeof lk, "%s:lock:%016llx%016llx", prefix, (unsigned long long)k.hi,
             (unsigned long long)k.lo);
    assert_int_equal(fx_int("EXISTS %s", lk), 0);
    tl_buf_free(&buf);
    tl_dist_cache_destroy(a);
    tl_dist_cache_destroy(b);
}

/* A leader that dies: its lock expires and a waiter leads instead. */
static void test_cache_lock_expires(void **state)
{
    (void)state;
    tl_dist_cache *a = open_cache(150), *b = open_cache(150);
    tl_cache_key k = tl_cache_key_of("dies", 4);
    tl_buf buf;
    tl_buf_init(&buf, 1024);
    tl_cache_acq res;
    assert_int_equal(tl_dist_cache_acquire(a, k, &buf, 0, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_LEADER);
    tl_dist_cache_destroy(a); /* never completes */
    waiter w = {.c = b, .k = k};
    wait_thread(&w);
    assert_int_equal(w.e, TL_OK);
    assert_int_equal(w.res, TL_CACHE_LEADER);
    assert_true(w.took_ms >= 100 && w.took_ms < 2000);
    /* release by a handle that does not hold the lock changes nothing */
    tl_dist_cache *c = open_cache(150);
    assert_int_equal(tl_dist_cache_release(c, k), TL_OK);
    assert_int_equal(tl_dist_cache_acquire(c, k, &buf, 0, &res), TL_OK);
    assert_int_equal(res, TL_CACHE_LEADER); /* after wait 0: without the lock */
    assert_int_equal(tl_dist_cache_release(b, k), TL_OK);
    tl_buf_free(&buf);
    tl_dist_cache_destroy(b);
    tl_dist_cache_destroy(c);
}

/* ---- shared buckets ---- */

enum { RL_THREADS = 4 };

typedef struct rl_arg {
    const char *provider;
    uint64_t run_ms;
    atomic_int *admitted;
    tl_err e;
} rl_arg;

static void *rl_thread(void *p)
{
    rl_arg *a = p;
    tl_dist_rl_opts o = {.url = redis_url,
                         .prefix = prefix,
                         .provider = a->provider,
                         .requests_per_minute = 1200,
                         .request_burst = 5};
    tl_dist_rl *rl = NULL;
    if ((a->e = tl_dist_rl_create(&rl, &o)) != TL_OK)
        return NULL;
    uint64_t end = mono_ms() + a->run_ms;
    while (mono_ms() < end) {
        uint64_t wait_ns = 0;
        if ((a->e = tl_dist_rl_reserve(rl, 10, &wait_ns)) != TL_OK)
            break;
        if (wait_ns == 0)
            atomic_fetch_add(a->admitted, 1);
        else
            fx_sleep_ms((int)(wait_ns / 1000000u) + 1);
    }
    tl_dist_rl_destroy(rl);
    return NULL;
}

/* Four handles (as four workers) together keep to 1200/min = 20/s with a
 * burst of 5: in 1.5 s about 5 + 30 requests, never four times that. */
static void test_rl_shared_rate(void **state)
{
    (void)state;
    atomic_int admitted = 0;
    rl_arg args[RL_THREADS];
    pthread_t t[RL_THREADS];
    for (int i = 0; i < RL_THREADS; i++) {
        args[i] = (rl_arg){.provider = "fake", .run_ms = 1500, .admitted = &admitted};
        assert_int_equal(pthread_create(&t[i], NULL, rl_thread, &args[i]), 0);
    }
    for (int i = 0; i < RL_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].e, TL_OK);
    }
    int n = atomic_load(&admitted);
    print_message("shared bucket: %d requests admitted in 1.5 s (limit 20/s, burst 5)\n", n);
    assert_true(n >= 28);
    assert_true(n <= 38);
}

static void test_rl_tokens(void **state)
{
    (void)state;
    tl_dist_rl_opts o = {.url = redis_url,
                         .prefix = prefix,
                         .provider = "tok",
                         .tokens_per_minute = 6000,
                         .token_burst = 100};
    tl_dist_rl *rl = NULL;
    assert_int_equal(tl_dist_rl_create(&rl, &o), TL_OK);
    uint64_t w = 1;
    assert_int_equal(tl_dist_rl_reserve(rl, 60, &w), TL_OK);
    assert_int_equal(w, 0);
    assert_int_equal(tl_dist_rl_reserve(rl, 60, &w), TL_OK);
    assert_true(w > 0 && w <= 300000000u); /* 20 tokens at 100/s: ~200 ms */
    /* The first call used 10 tokens, not 60: 50 back. */
    assert_int_equal(tl_dist_rl_settle(rl, 60, 10), TL_OK);
    assert_int_equal(tl_dist_rl_reserve(rl, 60, &w), TL_OK);
    assert_int_equal(w, 0);
    /* Larger than the burst: passes once the bucket is full again. */
    fx_sleep_ms(1100);
    assert_int_equal(tl_dist_rl_reserve(rl, 500, &w), TL_OK);
    assert_int_equal(w, 0);
    assert_int_equal(tl_dist_rl_reserve(rl, 1, &w), TL_OK);
    assert_true(w > 0);
    /* The script is loaded again after a flush. */
    fx_do("SCRIPT FLUSH", NULL);
    assert_int_equal(tl_dist_rl_reserve(rl, 1, &w), TL_OK);
    tl_dist_rl_destroy(rl);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!fx_redis_or_skip(argv))
        return getenv("TL_REQUIRE_SERVICES") ? 1 : 0;
    snprintf(prefix, sizeof prefix, "ts-%ld", (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_get_put_ttl),  cmocka_unit_test(test_cache_single_flight),
        cmocka_unit_test(test_cache_lock_expires), cmocka_unit_test(test_rl_shared_rate),
        cmocka_unit_test(test_rl_tokens),
    };
    return cmocka_run_group_tests_name("dist_shared", tests, NULL, NULL);
}
