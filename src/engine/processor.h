/* The engine's public header: submit customization jobs, get each task's
 * result as it completes and the job's result once the consistency pass
 * has run. It knows tasks, jobs, providers and callbacks; nothing of HTTP
 * or storage.
 *
 * Two processors sit behind this one interface:
 *
 *   ENHANCED  every job is planned into subsection tasks (engine/task.h);
 *             tasks of all jobs share one scheduler (aging, deadlines) and
 *             flow: scheduler -> batcher -> cache (single flight) -> rate
 *             limiter -> breaker -> provider -> codec apply (fact guard) ->
 *             result, with retries (backoff, jitter, Retry-After, budget),
 *             hedging after the provider's observed p95 (to the next link,
 *             or the same provider again before the embedded engine), and a fallback
 *             chain that always ends in the embedded engine (tailor/local.h),
 *             so every task completes. A task whose job deadline has passed
 *             runs on the embedded engine at once.
 *   ORIGINAL  the baseline: per job, one provider call per section (all of
 *             a section's subsections in one request), sections in
 *             document order, one retry (honouring Retry-After), no cache,
 *             no batching across sections, no breaker, no hedging, no
 *             deadline; what a provider cannot do is done by the embedded
 *             engine.
 *
 * Batches group tasks of one job as its plan does (same provider link and
 * model tier; engine/task.h): a request carries one resume and one job
 * description. Cache keys
 * (XXH3-128) cover a task's canonical content (the whole resume for the
 * summary, which is composed from all of it), the job keywords its texts
 * mention with the job's spelling, part and weight, the strength, the
 * model and the codec version: a job reworded where none of that changes
 * hits; an edited role misses alone. Only provider answers are stored,
 * never fallbacks; a cached value is applied as the texts it produced.
 * Both finish a job with the same consistency pass and scores as
 * tl_customize (tailor/tailor.h), so with no provider in the chain their
 * result equals tl_customize's.
 *
 * Threads and time. The engine runs on one loop: either its own thread
 * (opts.loop_thread) on the real clock, or the caller's thread, which
 * then pumps it with tl_engine_poll() (tests and simulations, on a
 * tl_test_clock). Provider callbacks may arrive on any thread: they only
 * queue an event for the loop. CPU work (the embedded engine, the
 * consistency pass, scores) runs on opts.workers worker threads, or inline
 * on the loop when workers is 0. No thread is ever created per call.
 * Writes to a job's output resume are serialised by a per-job lock.
 * Every callback (task results, job done) runs on the loop thread (or in
 * tl_engine_poll), never under an engine lock: it may call back into the
 * engine (submit, metrics) but must not block for long. */
#ifndef TL_ENGINE_PROCESSOR_H
#define TL_ENGINE_PROCESSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/breaker.h"
#include "engine/cache.h"
#include "engine/clock.h"
#include "engine/ratelimit.h"
#include "engine/retry.h"
#include "engine/task.h"
#include "provider/prompt.h"
#include "provider/provider.h"
#include "provider/router.h"
#include "tailor/tailor.h"
#include "util/err.h"

typedef struct tl_engine tl_engine;

/* ---- codec: tasks to requests and answers back ---- */

/* How tasks become a chat request and an answer becomes tailored
 * subsections. The prompt module (provider/prompt.h) is the real one;
 * tests use a scripted one (engine/scripted.h). Every function may be
 * called from any thread; apply is called with the job's output lock
 * held. */
typedef struct tl_codec {
    tl_err (*ctx_create)(const tl_resume *original, const tl_job *job, const tl_terms *terms,
                         tl_strength strength, void **ctx);
    void (*ctx_free)(void *ctx);
    tl_err (*render)(void *ctx, const tl_prompt_task *tasks, size_t n, char **system, char **user);
    tl_err (*apply)(void *ctx, const char *answer, size_t len, const tl_prompt_task *tasks,
                    size_t n, tl_resume *out, tl_changes *changes, tl_prompt_outcome *outcomes);
    int version; /* part of every cache key (TL_PROMPT_VERSION for the prompt module) */
} tl_codec;

/* The prompt module as a codec (never NULL). */
const tl_codec *tl_codec_prompt(void);

/* ---- providers ---- */

/* Per-provider settings, fixed when the provider is first used. Strings
 * (model names) must outlive the engine. There is one limiter and one
 * retry budget per provider, and one breaker per model it is used with. */
typedef struct tl_provider_conf {
    tl_ratelimit_opts ratelimit; /* clock is the engine's */
    tl_breaker_opts breaker;     /* default tl_breaker_opts_llm(); clock is the engine's */
    tl_retry_opts retry;         /* default max 3 attempts, 200 ms base; clock the engine's */
    const char *model_small;     /* model of SMALL tier tasks; NULL: the provider's default */
    const char *model_large;     /* model of LARGE tier tasks; NULL: the provider's default */
    double usd_per_mtok_in;      /* price per million input tokens (metrics); default 0 */
    double usd_per_mtok_out;
    /* The provider's models, each with its tier, prices (USD per million
     * tokens) and context size (provider/router.h; the entries' provider
     * field is not used). When given they replace model_small, model_large
     * and the prices above; NULL (default): those two models at those
     * prices. The array is copied, its strings must outlive the engine. */
    const tl_model_entry *models;
    size_t n_models;
    bool hedge;              /* hedge slow calls to the next link (to this provider
                                again when the next is the embedded engine and
                                hedge_to_local is false); default true */
    uint64_t hedge_after_ns; /* 0 (default): the provider's observed p95 latency */
    bool hedge_to_local;     /* hedge to the embedded engine when it is the next link
                                (trades quality for tail latency); default false */
} tl_provider_conf;

/* Defaults as stated above. */
void tl_provider_conf_default(tl_provider_conf *c);

/* Registers p with its settings (conf NULL: the defaults). A provider used
 * in a job's chain without being registered gets the defaults. p must
 * outlive the engine. TL_EINVAL if p is already known or an option is out
 * of range; TL_ENOMEM. Any thread. */
TL_MUST_CHECK tl_err tl_engine_add_provider(tl_engine *e, tl_provider *p,
                                            const tl_provider_conf *conf);

/* ---- engine ---- */

typedef enum tl_engine_kind { TL_ENGINE_ENHANCED = 0, TL_ENGINE_ORIGINAL } tl_engine_kind;

typedef struct tl_engine_opts {
    tl_engine_kind kind;   /* default ENHANCED */
    const tl_clock *clock; /* default NULL: tl_clock_real() */
    bool loop_thread;      /* default false: the caller pumps tl_engine_poll() */
    unsigned workers;      /* CPU worker threads; default 0: inline on the loop */
    const tl_codec *codec; /* default NULL: tl_codec_prompt() */
    uint64_t seed;         /* retry jitter; default 0: from the system */
    /* batcher */
    unsigned max_batch; /* default 8 (1 disables batching) */
    /* A job's tasks share requests as its plan groups them (engine/task.h):
     * no more requests than the original processor makes, and since an
     * answer is generated token by token, the slowest request as short as
     * the tasks allow. */
    uint32_t max_batch_tokens;   /* a request's bound; default 2048 */
    uint64_t max_queue_delay_ns; /* default 20 ms */
    /* cache */
    size_t cache_bytes;    /* default 64 MiB; 0 keeps the default */
    uint64_t cache_ttl_ns; /* default 1 hour */
    bool no_cache;         /* default false */
    /* scheduler */
    uint64_t aging_interval_ns; /* default 100 ms (engine/sched.h) */
    uint64_t urgency_window_ns; /* default 5 s */
    unsigned max_in_flight;     /* provider calls in flight, all providers; default 256 */
    unsigned hedge_min_samples; /* latencies seen before hedging by p95; default 20 */
} tl_engine_opts;

void tl_engine_opts_default(tl_engine_opts *o);

/* Creates an engine; opts NULL means the defaults. On error (TL_EINVAL,
 * TL_ENOMEM) *out is untouched. */
TL_MUST_CHECK tl_err tl_engine_create(tl_engine **out, const tl_engine_opts *opts);
/* Stops the loop thread and the workers, cancels provider calls in flight
 * and drops unfinished jobs (their done callbacks never run). Call it
 * from neither a callback nor a worker. NULL does nothing. */
void tl_engine_destroy(tl_engine *e);

/* ---- jobs ---- */

/* One task's result, delivered as soon as the task completes. */
typedef struct tl_task_result {
    uint64_t job_id;
    uint32_t task_id;
    const char *section_id; /* "work[0].highlights[0-5]" (valid during the callback) */
    tl_task_kind kind;
    const char *provider; /* name of the provider that produced it, "local" for the
                             embedded engine, "cache" for a cache hit */
    bool fell_back;       /* produced by a later link than the chain's first */
    bool cached;          /* from the cache (a hit, or a coalesced flight) */
    unsigned attempts;    /* provider calls made for it */
    /* The subsection as tailored, for streaming (valid during the callback;
     * the consistency pass may still change it): the summary (basics
     * summary, or the entry's own when the task covers its first bullet;
     * NULL when none) and bullets [bullet_from, bullet_from + n_bullets)
     * of the entry. */
    const char *summary;
    const char *const *bullets;
    size_t n_bullets, bullet_from;
} tl_task_result;

/* Metrics of one job (and, summed, of the engine). */
typedef struct tl_job_metrics {
    double wall_ms;
    uint64_t tasks, provider_calls, tokens_in, tokens_out;
    uint64_t cache_hits, cache_misses, cache_coalesced;
    uint64_t batches, batched_tasks, max_batch; /* requests of 2+ tasks, tasks in them */
    uint64_t retries, failures, fallbacks, hedges, hedge_wins;
    uint64_t breaker_refusals, breaker_transitions, deadline_expired;
    uint64_t ratelimit_waits; /* calls the rate limiter held back (each counted once) */
    uint64_t dead_lettered;   /* tasks whose call the queue dead-lettered: done on the
                                 embedded engine at once (counted in fallbacks too) */
    double queue_wait_p50_ms, queue_wait_p99_ms;
    double cost_usd;
} tl_job_metrics;

/* A task's answer as it is generated: how much of it its call has
 * received so far (a batch's tasks each get their call's figure). */
typedef struct tl_task_progress {
    uint64_t job_id;
    uint32_t task_id;
    const char *section_id; /* as in tl_task_result (valid during the callback) */
    int tokens;             /* answer tokens so far (estimated, tl_chat_progress) */
} tl_task_progress;

/* Reports come only from calls that stream (tl_chat_request.on_progress),
 * at most once per TL_ENGINE_PROGRESS_NS per call on the engine's clock
 * (the first at once), and always before the task's result. */
#define TL_ENGINE_PROGRESS_NS (200u * 1000u * 1000u)

typedef void (*tl_task_cb)(void *ud, const tl_task_result *r);
typedef void (*tl_task_progress_cb)(void *ud, const tl_task_progress *p);
/* The job's end: status TL_OK with *result (the callee owns it: free with
 * tl_result_free), or an error (TL_ENOMEM...) with result NULL. m is valid
 * during the call. */
typedef void (*tl_job_done_cb)(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                               const tl_job_metrics *m);

typedef struct tl_job_opts {
    tl_strength strength; /* 0: BALANCED */
    tl_provider **chain;  /* providers tried in order; the embedded engine is always
                             last (implicit); n_chain 0: embedded engine only */
    size_t n_chain;
    int32_t priority;                /* added to every task's base priority; default 0 */
    uint64_t deadline_ns;            /* absolute, on the engine's clock; 0: none */
    tl_task_cb on_task;              /* optional */
    tl_task_progress_cb on_progress; /* optional: streamed answers as they arrive */
    tl_job_done_cb on_done;          /* optional (but how else would you get the result?) */
    void *ud;
    const tl_plan_opts *plan; /* NULL: the defaults (strength taken from above) */
} tl_job_opts;

#define TL_ENGINE_MAX_CHAIN 8

/* Submits a job: plans it and queues its tasks. resume, job and terms are
 * only read and must outlive the job (until its done callback has
 * returned); the chain array is copied. *job_id (may be NULL) gets the
 * job's id (> 0). Any thread. On error (TL_EINVAL, TL_ENOMEM) no callback
 * ever runs. */
TL_MUST_CHECK tl_err tl_engine_submit(tl_engine *e, const tl_resume *resume, const tl_job *job,
                                      const tl_terms *terms, const tl_job_opts *o,
                                      uint64_t *job_id);

/* Without a loop thread: runs everything that is due now (events from
 * providers and workers, timers) and delivers callbacks, then returns.
 * With a loop thread it only wakes the loop. */
void tl_engine_poll(tl_engine *e);
/* The next time (engine clock) at which a timer of the engine is due, or
 * UINT64_MAX when none is armed. */
uint64_t tl_engine_next_timer(tl_engine *e);
/* Jobs submitted and not yet done. Any thread. */
size_t tl_engine_pending(tl_engine *e);

/* One provider's state, for /metrics. */
typedef struct tl_engine_provider_stats {
    const char *name;               /* the provider's own name (valid while the provider lives) */
    tl_breaker_stats breaker;       /* the SMALL tier's model */
    tl_breaker_stats breaker_large; /* the LARGE tier's (the same one when both share a model) */
    tl_ratelimit_stats ratelimit;
    tl_retry_stats retry;
    uint64_t p95_ns; /* observed latency of recent successful calls; 0: none yet */
    size_t parked;   /* calls waiting for a concurrency slot */
} tl_engine_provider_stats;

/* Fills out[0..cap) with the known providers, in registration order, and
 * returns how many there are (which may exceed cap). Any thread. */
size_t tl_engine_providers(tl_engine *e, tl_engine_provider_stats *out, size_t cap);

/* One model's telemetry (provider/router.h), for /metrics. */
typedef struct tl_engine_model_stats {
    const char *provider; /* the provider's name (valid while the provider lives) */
    const char *model;    /* "" for the provider's own default (valid while the engine lives) */
    int tier;             /* 0 small, 1 large */
    double price_in, price_out; /* USD per million tokens */
    tl_breaker_state breaker;
    tl_model_stats st; /* calls, failures, guard rejections, EWMA latency, tokens, cost */
} tl_engine_model_stats;

/* Fills out[0..cap) with every model of every known provider (providers in
 * registration order, models as configured) and returns how many there
 * are (which may exceed cap). Any thread. */
size_t tl_engine_models(tl_engine *e, tl_engine_model_stats *out, size_t cap);

/* The models' telemetry as one JSON array (malloc'd; caller frees), for
 * the storage layer to keep; load takes back the entries of models the
 * engine knows now and ignores the rest (TL_EFORMAT for text that is not
 * such an array: nothing changes then). Any thread. */
TL_MUST_CHECK tl_err tl_engine_telemetry_save(tl_engine *e, char **json);
TL_MUST_CHECK tl_err tl_engine_telemetry_load(tl_engine *e, const char *json, size_t n);

/* Cumulative metrics since create (jobs done so far; wall_ms sums the jobs'
 * wall times; queue waits over all tasks). Any thread. */
void tl_engine_metrics(tl_engine *e, tl_job_metrics *out);

/* The result cache's counters and size now (bytes, entries, evictions...);
 * all zero when the engine runs without a cache. Any thread. */
void tl_engine_cache_stats(tl_engine *e, tl_cache_stats *out);

#endif
