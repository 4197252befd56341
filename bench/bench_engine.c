/* Micro-benchmarks of the engine's building blocks, one line per figure:
 *   <name> <nanoseconds per operation> ns/op (<iterations>)
 * Run a Release build (make bench) on an idle machine; single-threaded, so
 * every lock is uncontended. Operations that read the real clock pay for it
 * (clock_now_real, the first line), which varies a lot between machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/breaker.h"
#include "engine/cache.h"
#include "engine/clock.h"
#include "engine/ratelimit.h"
#include "engine/retry.h"
#include "engine/sched.h"

static volatile uint64_t sink;

static void report(const char *name, uint64_t t0, uint64_t t1, uint64_t iters)
{
    printf("%-32s %8.1f ns/op (%llu)\n", name, (double)(t1 - t0) / (double)iters,
           (unsigned long long)iters);
}

static int bench_breaker(tl_breaker_window type, const char *name, uint64_t iters)
{
    const tl_clock *clk = tl_clock_real();
    tl_breaker_opts o;
    tl_breaker_opts_llm(&o);
    o.window_type = type;
    tl_breaker *b;
    if (tl_breaker_create(&b, &o) != TL_OK)
        return 1;
    uint64_t t0 = tl_clock_now(clk);
    for (uint64_t i = 0; i < iters; i++) {
        tl_breaker_permit p;
        if (tl_breaker_acquire(b, &p))
            tl_breaker_record(b, &p, (i & 15) ? TL_BREAKER_SUCCESS : TL_BREAKER_FAILURE, 1000);
    }
    uint64_t t1 = tl_clock_now(clk);
    report(name, t0, t1, iters);
    tl_breaker_destroy(b);
    return 0;
}

/* get and put over `keys` distinct 512-byte values picked at random: 1,000
 * keys fit the CPU caches (the hot set of a busy service); 100,000 keys
 * (60 MB) measure the cost of memory misses. */
static int bench_cache(int nkeys, const char *get_name, const char *put_name)
{
    enum { VLEN = 512, GETS = 2000000, PUTS = 1000000 };
    const tl_clock *clk = tl_clock_real();
    tl_cache_opts o;
    tl_cache_opts_default(&o);
    o.max_bytes = 256u << 20;
    tl_cache *c;
    if (tl_cache_create(&c, &o) != TL_OK)
        return 1;
    tl_cache_key *keys = malloc(sizeof *keys * (size_t)nkeys);
    uint32_t *pick = malloc(sizeof *pick * GETS);
    char value[VLEN];
    memset(value, 'r', sizeof value);
    if (!keys || !pick)
        return 1;
    for (uint64_t i = 0; i < (uint64_t)nkeys; i++) {
        keys[i] = tl_cache_key_of(&i, sizeof i);
        if (tl_cache_put(c, keys[i], value, VLEN, NULL) != TL_OK)
            return 1;
    }
    tl_xoshiro rng;
    tl_xoshiro_init(&rng, 1);
    for (int i = 0; i < GETS; i++)
        pick[i] = (uint32_t)tl_rng_below(&rng.base, (uint64_t)nkeys);
    tl_buf out;
    tl_buf_init(&out, 1 << 20);
    uint64_t hits = 0;
    uint64_t t0 = tl_clock_now(clk);
    for (int i = 0; i < GETS; i++) {
        tl_buf_reset(&out);
        hits += tl_cache_get(c, keys[pick[i]], &out) == TL_OK;
    }
    uint64_t t1 = tl_clock_now(clk);
    report(get_name, t0, t1, GETS);
    sink = hits;

    t0 = tl_clock_now(clk);
    for (int i = 0; i < PUTS; i++)
        if (tl_cache_put(c, keys[pick[i]], value, VLEN, NULL) != TL_OK)
            return 1;
    t1 = tl_clock_now(clk);
    report(put_name, t0, t1, PUTS);

    tl_buf_free(&out);
    free(pick);
    free(keys);
    tl_cache_destroy(c);
    return 0;
}

static int bench_clock(void)
{
    enum { N = 2000000 };
    const tl_clock *clk = tl_clock_real();
    uint64_t acc = 0, t0 = tl_clock_now(clk);
    for (int i = 0; i < N; i++)
        acc += tl_clock_now(clk);
    uint64_t t1 = tl_clock_now(clk);
    sink = acc;
    report("clock_now_real", t0, t1, N);
    return 0;
}

static int bench_sched(void)
{
    enum { QUEUED = 100000, OPS = 2000000 };
    const tl_clock *clk = tl_clock_real();
    tl_sched *s;
    if (tl_sched_create(&s, NULL) != TL_OK)
        return 1;
    tl_sched_node *nodes = calloc(QUEUED, sizeof *nodes);
    if (!nodes)
        return 1;
    tl_xoshiro rng;
    tl_xoshiro_init(&rng, 2);
    uint64_t now = tl_clock_now(clk);
    for (int i = 0; i < QUEUED; i++) {
        /* a quarter with deadlines, some of them inside the urgency window */
        uint64_t dl =
            i % 4 ? 0 : now + 2 * TL_NS_PER_SEC + tl_rng_below(&rng.base, 60 * TL_NS_PER_SEC);
        if (tl_sched_push(s, &nodes[i], (int32_t)tl_rng_below(&rng.base, 100), dl) != TL_OK)
            return 1;
    }
    uint64_t t0 = tl_clock_now(clk);
    for (int i = 0; i < OPS; i++) {
        tl_sched_node *n;
        if (tl_sched_pop(s, &n) == TL_SCHED_EMPTY)
            return 1;
        uint64_t dl = (n - nodes) % 4 ? 0 : tl_clock_now(clk) + 60 * TL_NS_PER_SEC;
        if (tl_sched_push(s, n, (int32_t)tl_rng_below(&rng.base, 100), dl) != TL_OK)
            return 1;
    }
    uint64_t t1 = tl_clock_now(clk);
    report("sched_pop_push_at_100k", t0, t1, OPS);
    free(nodes);
    tl_sched_destroy(s);
    return 0;
}

static int bench_ratelimit_retry(void)
{
    enum { OPS = 5000000 };
    const tl_clock *clk = tl_clock_real();
    tl_ratelimit_opts ro;
    tl_ratelimit_opts_default(&ro);
    ro.requests_per_minute = 1000000000;
    ro.tokens_per_minute = 1000000000;
    tl_ratelimit *rl;
    if (tl_ratelimit_create(&rl, &ro) != TL_OK)
        return 1;
    tl_rl_outcome ok = {TL_RL_SUCCESS, 90, 0};
    uint64_t t0 = tl_clock_now(clk);
    for (int i = 0; i < OPS; i++) {
        tl_rl_ticket t;
        uint64_t wait;
        if (tl_ratelimit_reserve(rl, 100, &t, &wait) == TL_RL_OK)
            tl_ratelimit_settle(rl, &t, &ok);
    }
    uint64_t t1 = tl_clock_now(clk);
    report("ratelimit_reserve_settle", t0, t1, OPS);
    tl_ratelimit_destroy(rl);

    tl_retry_opts o;
    tl_retry_opts_default(&o);
    o.seed = 3;
    o.budget_floor_per_sec = 1000000; /* measure the decision, not the refusals */
    tl_retry *r;
    if (tl_retry_create(&r, &o) != TL_OK)
        return 1;
    uint64_t acc = 0;
    t0 = tl_clock_now(clk);
    for (int i = 0; i < OPS; i++) {
        uint64_t d;
        tl_retry_note_call(r);
        if (tl_retry_next(r, 1 + (unsigned)(i & 1), 0, &d) == TL_RETRY_AFTER)
            acc += d;
    }
    t1 = tl_clock_now(clk);
    report("retry_note_call_next", t0, t1, OPS);
    sink = acc;
    tl_retry_destroy(r);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t iters = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    if (iters == 0)
        iters = 10000000;
    int bad = bench_clock();
    bad |= bench_breaker(TL_BREAKER_COUNT, "breaker_acquire_record_count", iters);
    bad |= bench_breaker(TL_BREAKER_TIME, "breaker_acquire_record_time", iters);
    bad |= bench_cache(1000, "cache_get_hit_512B_1k_keys", "cache_put_replace_512B_1k_keys");
    bad |= bench_cache(100000, "cache_get_hit_512B_100k_keys", "cache_put_replace_512B_100k_keys");
    bad |= bench_sched();
    bad |= bench_ratelimit_retry();
    if (bad)
        fprintf(stderr, "bench_engine: a setup step failed\n");
    return bad;
}
