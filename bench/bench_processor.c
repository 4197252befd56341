/* Processor benchmarks, one line per figure:
 *   1. engine overhead: synthetic tasks through scheduler + cache (single
 *      flight) + rate limiter + breaker + retry accounting and a
 *      zero-latency in-process "provider", on one core: tasks/s and the
 *      added latency per task (p50, p99);
 *   2. the whole enhanced processor with a scripted provider answering
 *      inline (planning, codec, embedded engine, consistency, scores
 *      included): tasks/s, and its overhead per task over tl_customize;
 *   3. enhanced vs original wall time on a simulated clock with LLM-like
 *      latencies (scripted provider: 600 ms + up to 600 ms, 2% errors,
 *      1% 429s), one job and 20 jobs at once.
 * usage: bench_processor [TASKS] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/breaker.h"
#include "engine/cache.h"
#include "engine/processor.h"
#include "engine/ratelimit.h"
#include "engine/retry.h"
#include "engine/sched.h"
#include "engine/scripted.h"
#include "tailor/tailor.h"
#include "util/file.h"
#include "util/limits.h"

#define container_of_(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_processor: %s\n", what);
    exit(1);
}

/* ---------------------------------------------------------------- 1 */

typedef struct btask {
    tl_sched_node node;
    uint64_t id;
} btask;

static void noop_wait(void *ud, tl_cache_acq what, const void *v, size_t n)
{
    (void)ud;
    (void)what;
    (void)v;
    (void)n;
}

/* The "provider": answers at once with a fixed body. */
static size_t zero_latency_provider(uint64_t id, char *out)
{
    memcpy(out, "{\"bullets\":[\"Built it\"]}", 24);
    (void)id;
    return 24;
}

/* working_set 0: one task in four repeats an earlier key (a hit), the
 * rest are new and stored (the cache fills and evicts); else keys cycle
 * over working_set distinct subsections (a warm cache). */
static void bench_overhead(size_t n, uint64_t working_set)
{
    tl_sched *s = NULL;
    tl_cache *c = NULL;
    tl_ratelimit *rl = NULL;
    tl_breaker *br = NULL;
    tl_retry *rt = NULL;
    tl_cache_opts co;
    tl_cache_opts_default(&co);
    co.max_bytes = 64u << 20;
    tl_ratelimit_opts ro;
    tl_ratelimit_opts_default(&ro);
    ro.requests_per_minute = 1000000000ull; /* buckets in play, never binding */
    ro.tokens_per_minute = 1000000000000ull;
    tl_breaker_opts bo;
    tl_breaker_opts_llm(&bo);
    tl_retry_opts rto;
    tl_retry_opts_default(&rto);
    rto.seed = 1;
    /* The modules read the time several times per task: the coarse clock
     * (kernel tick resolution) is what a busy engine would give them. */
    const tl_clock *clk = tl_clock_coarse();
    tl_sched_opts so;
    tl_sched_opts_default(&so);
    so.clock = clk;
    co.clock = ro.clock = bo.clock = rto.clock = clk;
    if (tl_sched_create(&s, &so) || tl_cache_create(&c, &co) || tl_ratelimit_create(&rl, &ro) ||
        tl_breaker_create(&br, &bo) || tl_retry_create(&rt, &rto))
        die("create");
    enum { CHUNK = 256 };
    btask *tasks = calloc(CHUNK, sizeof *tasks);
    uint64_t *lat = malloc(n * sizeof *lat);
    if (!tasks || !lat)
        die("out of memory");
    tl_buf hit;
    tl_buf_init(&hit, 1 << 20);
    char body[64];
    size_t done = 0, hits = 0, n_lat = 0;
    uint64_t t0 = now_ns();
    while (done < n) {
        size_t m = n - done < CHUNK ? n - done : CHUNK;
        for (size_t i = 0; i < m; i++) {
            tasks[i].id = done + i;
            if (tl_sched_push(s, &tasks[i].node, (int32_t)(i % 7) * 10, 0))
                die("push");
        }
        for (size_t i = 0; i < m; i++) {
            bool timed = (done + i) % 8 == 0; /* timing every task would weigh on it */
            uint64_t a = timed ? now_ns() : 0;
            tl_sched_node *node;
            if (tl_sched_pop(s, &node) != TL_SCHED_READY)
                die("pop");
            btask *t = container_of_(node, btask, node);
            uint64_t k = working_set ? t->id % working_set : (t->id % 4 == 3) ? t->id - 3 : t->id;
            tl_cache_key key = tl_cache_key_of(&k, sizeof k);
            tl_cache_acq res;
            tl_buf_reset(&hit);
            if (tl_cache_acquire(c, key, &hit, noop_wait, NULL, &res))
                die("acquire");
            if (res == TL_CACHE_HIT) {
                hits++;
            } else {
                tl_rl_ticket tk;
                uint64_t wait;
                tl_breaker_permit pm;
                if (tl_ratelimit_reserve(rl, 100, &tk, &wait) != TL_RL_OK)
                    die("limiter");
                if (!tl_breaker_acquire(br, &pm))
                    die("breaker");
                tl_retry_note_call(rt);
                size_t len = zero_latency_provider(t->id, body);
                tl_breaker_record(br, &pm, TL_BREAKER_SUCCESS, 1000);
                tl_rl_outcome o = {TL_RL_SUCCESS, 90, 0};
                tl_ratelimit_settle(rl, &tk, &o);
                if (tl_cache_complete(c, key, body, len, NULL))
                    die("complete");
            }
            if (timed)
                lat[n_lat++] = now_ns() - a;
        }
        done += m;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    qsort(lat, n_lat, sizeof *lat, cmp_u64);
    char what[64];
    if (working_set)
        snprintf(what, sizeof what, "warm cache, %llu subsections",
                 (unsigned long long)working_set);
    else
        snprintf(what, sizeof what, "cold cache, 64 MiB, evicting");
    printf("engine overhead (%s): %.0f tasks/s on one core through scheduler + cache + limiter + "
           "breaker + retry budget, zero-latency provider, %zu tasks, %.0f%% cache hits\n",
           what, (double)n / secs, n, 100.0 * (double)hits / (double)n);
    printf("engine added latency per task (%s): p50 %.2f us, p99 %.2f us\n", what,
           (double)lat[n_lat / 2] / 1e3, (double)lat[n_lat * 99 / 100] / 1e3);
    tl_buf_free(&hit);
    free(lat);
    free(tasks);
    tl_sched_destroy(s);
    tl_cache_destroy(c);
    tl_ratelimit_destroy(rl);
    tl_breaker_destroy(br);
    tl_retry_destroy(rt);
}

/* ---------------------------------------------------------------- fixtures */

typedef struct fixtures {
    tl_terms *terms;
    tl_resume *r[3];
    tl_job *j[3];
} fixtures;

static void load(fixtures *f)
{
    static const char *const names[3][2] = {{"alex-chen.json", "senior-backend-engineer.txt"},
                                            {"maria-lopez.md", "analytics-engineer.txt"},
                                            {"sam-okafor.txt", "icu-registered-nurse.txt"}};
    if (tl_terms_load_default(&f->terms))
        die("terms");
    for (int i = 0; i < 3; i++) {
        char path[512], *text = NULL;
        size_t n = 0;
        snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, names[i][0]);
        if (tl_file_read(path, TL_MAX_RESUME_BYTES, &text, &n) ||
            tl_resume_parse(text, n, TL_FORMAT_AUTO, &f->r[i], NULL))
            die(path);
        free(text);
        snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, names[i][1]);
        if (tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n) ||
            tl_job_parse(text, n, f->terms, &f->j[i], NULL))
            die(path);
        free(text);
    }
}

static void unload(fixtures *f)
{
    for (int i = 0; i < 3; i++) {
        tl_resume_free(f->r[i]);
        tl_job_free(f->j[i]);
    }
    tl_terms_free(f->terms);
}

typedef struct counter {
    size_t done;
    double wall_ms;
    uint64_t tasks;
} counter;

static void count_done(void *ud, uint64_t id, tl_err st, tl_result *res, const tl_job_metrics *m)
{
    counter *c = ud;
    (void)id;
    if (st)
        die("job failed");
    c->done++;
    c->wall_ms += m->wall_ms;
    c->tasks += m->tasks;
    tl_result_free(res);
}

/* ---------------------------------------------------------------- 2 */

static void bench_processor(fixtures *fx, size_t jobs)
{
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.codec = tl_scripted_codec();
    o.no_cache = true; /* every task goes to the provider */
    o.max_queue_delay_ns = 0;
    tl_engine *e = NULL;
    if (tl_engine_create(&e, &o))
        die("engine");
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.clock = tl_clock_real();
    so.inline_completion = true;
    tl_provider *p = NULL;
    if (tl_scripted_create(&p, &so))
        die("provider");
    tl_provider_conf pc;
    tl_provider_conf_default(&pc);
    pc.ratelimit.max_concurrency = 1024;
    if (tl_engine_add_provider(e, p, &pc))
        die("provider conf");
    counter c = {0, 0, 0};
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < jobs; i++) {
        tl_job_opts jo = {0};
        jo.chain = &p;
        jo.n_chain = 1;
        jo.on_done = count_done;
        jo.ud = &c;
        if (tl_engine_submit(e, fx->r[i % 3], fx->j[i % 3], fx->terms, &jo, NULL))
            die("submit");
        if (i % 64 == 63)
            tl_engine_poll(e);
    }
    while (tl_engine_pending(e))
        tl_engine_poll(e);
    double engine_s = (double)(now_ns() - t0) / 1e9;
    t0 = now_ns();
    for (size_t i = 0; i < jobs; i++) {
        tl_result *r = NULL;
        if (tl_customize(fx->r[i % 3], fx->j[i % 3], fx->terms, NULL, &r))
            die("customize");
        tl_result_free(r);
    }
    double plain_s = (double)(now_ns() - t0) / 1e9;
    printf(
        "processor (enhanced, inline scripted provider, whole jobs): %.0f tasks/s, %.0f jobs/s\n",
        (double)c.tasks / engine_s, (double)jobs / engine_s);
    printf("processor overhead over tl_customize: %.2f us per task (%.1f vs %.1f us per job)\n",
           (engine_s - plain_s) * 1e6 / (double)c.tasks, engine_s * 1e6 / (double)jobs,
           plain_s * 1e6 / (double)jobs);
    tl_engine_destroy(e);
    tl_provider_destroy(p);
}

/* ---------------------------------------------------------------- 3 */

/* Simulated wall time (ms, mean per job) of `jobs` jobs submitted at once. */
static double simulate(fixtures *fx, tl_engine_kind kind, size_t jobs, uint64_t seed, bool cache)
{
    tl_test_clock clock;
    tl_test_clock_init(&clock, 1000 * TL_NS_PER_SEC);
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.kind = kind;
    o.clock = &clock.base;
    o.codec = tl_scripted_codec();
    o.seed = seed;
    o.no_cache = !cache;
    tl_engine *e = NULL;
    if (tl_engine_create(&e, &o))
        die("engine");
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.clock = &clock.base;
    so.seed = seed;
    so.latency_ns = 600 * TL_NS_PER_MS;
    so.jitter_ns = 600 * TL_NS_PER_MS;
    so.p_server = 0.02;
    so.p_429 = 0.01;
    so.retry_after_ms = 1000;
    tl_provider *p = NULL;
    if (tl_scripted_create(&p, &so))
        die("provider");
    /* The provider takes 64 calls at once (its 429s here are random, not
     * load: the limiter's AIMD still halves on each). */
    tl_provider_conf pc;
    tl_provider_conf_default(&pc);
    pc.ratelimit.max_concurrency = 64;
    if (tl_engine_add_provider(e, p, &pc))
        die("provider conf");
    counter c = {0, 0, 0};
    for (size_t i = 0; i < jobs; i++) {
        tl_job_opts jo = {0};
        jo.chain = &p;
        jo.n_chain = 1;
        jo.on_done = count_done;
        jo.ud = &c;
        if (tl_engine_submit(e, fx->r[i % 3], fx->j[i % 3], fx->terms, &jo, NULL))
            die("submit");
    }
    while (tl_engine_pending(e)) {
        tl_engine_poll(e);
        uint64_t next = tl_engine_next_timer(e), due = tl_scripted_next_due(p);
        next = due < next ? due : next;
        if (next == UINT64_MAX) {
            if (tl_engine_pending(e))
                die("simulation stuck");
            break;
        }
        tl_test_clock_set(&clock, next);
        tl_scripted_fire(p);
    }
    tl_engine_destroy(e);
    tl_provider_destroy(p);
    return c.wall_ms / (double)c.done;
}

/* Mean simulated wall time per job over 5 seeds, original and enhanced.
 * Jobs cycle over the 3 fixtures: with the cache on, identical tasks of
 * jobs running at once share one provider call (single flight). */
static void bench_ratio(fixtures *fx)
{
    static const struct {
        size_t jobs;
        bool cache;
        const char *what;
    } rows[] = {{3, false, "3 jobs at once, no cache"},
                {20, false, "20 jobs at once, no cache"},
                {20, true, "20 jobs at once over 3 distinct inputs, cache + single flight"}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        double orig = 0, enh = 0;
        for (uint64_t seed = 1; seed <= 5; seed++) {
            orig += simulate(fx, TL_ENGINE_ORIGINAL, rows[k].jobs, seed, false);
            enh += simulate(fx, TL_ENGINE_ENHANCED, rows[k].jobs, seed, rows[k].cache);
        }
        printf("enhanced vs original wall time (simulated LLM latencies, %s): original %.0f ms, "
               "enhanced %.0f ms per job, %.2fx faster\n",
               rows[k].what, orig / 5, enh / 5, orig / enh);
    }
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    if (argc > 1) {
        char *end = NULL;
        unsigned long v = strtoul(argv[1], &end, 10);
        if (end && !*end && v >= 1000)
            n = v;
    }
    bench_overhead(n, 0);
    bench_overhead(n, 20000);
    fixtures fx;
    load(&fx);
    bench_processor(&fx, 600);
    bench_ratio(&fx);
    unload(&fx);
    return 0;
}
