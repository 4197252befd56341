/* Beyond one machine: a task queue on Redis Streams, and the state worker
 * processes share through Redis (a cache tier, per-provider rate limits).
 * DESIGN.md section 5, "Distributed workers". No home-made cluster code:
 * Redis consumer groups do the distribution and the recovery.
 *
 * ---- Queue ----
 *
 * Keys (prefix default "tailor"):
 *   PREFIX:tasks:B     one stream per priority band B = 0 .. bands-1;
 *                      band bands-1 is the highest and is read first
 *   PREFIX:dead        the dead-letter stream (tasks over the delivery limit)
 *   PREFIX:result:T    the result of task T (SET NX, with a TTL): one per task
 *   REPLY              the stream named by the producer of a task, where
 *                      the first result of each task is announced
 * One consumer group ("workers") reads every band.
 *
 * A task's life: the producer XADDs it (tl_dist_enqueue) with its id, its
 * reply stream and a payload. A worker takes it (tl_dist_take: XREADGROUP,
 * bands in order), does the work, stores the result (tl_dist_complete: one
 * Lua script that SETs PREFIX:result:T NX and, only when that SET
 * happened, XADDs the result to the reply stream; then, in the same atomic
 * step, XACKs the entry and XDELs it, so that nothing is acknowledged
 * before its result is stored and the streams hold only unfinished work).
 * A worker that dies leaves its tasks pending in the group; any worker's
 * tl_dist_take reclaims tasks idle for claim_idle_ms (XAUTOCLAIM) before
 * reading new ones. A task delivered more than max_deliveries times is
 * copied to PREFIX:dead and handed out once more with dead = true: the
 * worker then completes it on the embedded engine, and marks the result so.
 * A task done twice (a slow worker whose task was reclaimed) yields one
 * result: the second SET NX fails and nothing is announced.
 *
 * Redis restarts. Every call reconnects when the connection broke (and
 * recreates the group, which a Redis without persistence has forgotten).
 * What a Redis restart without persistence loses (queued tasks) the
 * producer gets back by enqueuing again every task it still waits for
 * (tl_dist_epoch tells it that a reconnect happened); duplicates are
 * harmless, see above.
 *
 * ---- Shared cache tier ----
 *
 * Below each process's in-memory cache (engine/cache.h), with the same
 * 128-bit keys: PREFIX:cache:HEX with a TTL (SET PX). Single flight across
 * processes: a process that misses takes PREFIX:lock:HEX (SET NX PX with a
 * random token); the others wait for the value (polling) until it appears
 * or the lock expires, whereupon one of them takes the lock in turn. The
 * lock is released by compare-and-delete of the token.
 *
 * The fact guard runs on the engine's side, after the worker, so a cached
 * answer may be one the guard rejected: a worker does not look a retry
 * (tl_chat_request.attempt > 1) up, and stores its answer over the old
 * one, so that the retry and every later first attempt get a new answer.
 *
 * ---- Shared rate limits ----
 *
 * Per provider, requests/min and tokens/min token buckets kept in one
 * Redis hash (PREFIX:rl:PROVIDER) and changed only by one Lua script
 * (EVALSHA; loaded again after a restart), with the time from Redis's own
 * clock, so N workers together keep to the provider's limits whatever
 * their clocks say. Each process keeps its own tl_ratelimit for the
 * adaptive concurrency and Retry-After (those react to what this process
 * sees); the shared buckets only decide the rate.
 *
 * ---- Why circuit breakers stay per process ----
 *
 * A breaker judges the path from this process to the provider: its DNS,
 * its connections, its proxy, its network. One worker behind a broken
 * route must not open the breaker of all the others, and a shared breaker
 * would put a Redis round trip (and a Redis outage) on the path of every
 * call just to decide whether to call. Provider-wide trouble shows up in
 * every process's own window within a few calls anyway, so the per-process
 * breakers converge without sharing state.
 *
 * Threads: each handle has one Redis connection behind a mutex; any thread
 * may call, calls on one handle take turns (a blocking take holds it for
 * up to block_ms). Use one queue handle per consuming thread. */
#ifndef TL_DIST_H
#define TL_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cache.h"
#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "provider/provider.h"
#include "tailor/tailor.h"
#include "util/buf.h"
#include "util/err.h"

#define TL_DIST_MAX_BANDS 8

/* Splits "redis://HOST[:PORT][/DB]" (PORT default 6379; no password:
 * Redis is expected on a private network or loopback).
 * TL_EINVAL for anything else. host gets at most host_cap - 1 bytes. */
TL_MUST_CHECK tl_err tl_dist_parse_url(const char *url, char *host, size_t host_cap, int *port,
                                       int *db);

/* ---- queue ---- */

typedef struct tl_dist_queue tl_dist_queue;

typedef struct tl_dist_queue_opts {
    const char *url;         /* required: redis://HOST:PORT */
    const char *prefix;      /* key prefix; default "tailor" */
    const char *consumer;    /* this consumer's name; default "HOSTNAME-PID-N" */
    unsigned bands;          /* priority bands, 1..TL_DIST_MAX_BANDS; default 3 */
    uint64_t claim_idle_ms;  /* reclaim tasks pending this long; default 30000 */
    unsigned max_deliveries; /* then dead-letter; default 3 */
    uint64_t result_ttl_s;   /* lifetime of a stored result; default 86400 */
    int timeout_ms;          /* per command (besides a take's block); default 5000 */
} tl_dist_queue_opts;

void tl_dist_queue_opts_default(tl_dist_queue_opts *o);

/* Connects (TL_EIO if Redis cannot be reached) and creates the group on
 * every band (keeping an existing one). TL_EINVAL for a bad option. */
TL_MUST_CHECK tl_err tl_dist_queue_create(tl_dist_queue **out, const tl_dist_queue_opts *opts);
/* NULL does nothing. Pending tasks stay pending (another worker reclaims). */
void tl_dist_queue_destroy(tl_dist_queue *q);

/* Number of reconnects so far (0 while the first connection lasts). */
uint64_t tl_dist_epoch(tl_dist_queue *q);

/* Producer: puts a task on band (clamped to 0..bands-1). task_id is
 * unique per task (e.g. "SERVER:JOB:TASK"); reply is the stream its result
 * is announced on. Payload bytes are opaque. TL_EIO when Redis fails. */
TL_MUST_CHECK tl_err tl_dist_enqueue(tl_dist_queue *q, unsigned band, const char *task_id,
                                     const char *reply, const void *payload, size_t len);

/* The band for a task of this priority (engine/task.h's points, the job's
 * added) among `bands`: priority 250 and up (the summary, skills and the
 * latest role of an ordinary job, anything of an urgent one) goes to the
 * highest band, under 100 (education, other sections, low-priority jobs)
 * to the lowest, the rest spread evenly over the bands between. */
unsigned tl_dist_band_for(int32_t priority, unsigned bands);

/* A taken task. Owned by the caller: tl_dist_msg_free. */
typedef struct tl_dist_msg {
    unsigned band;
    char entry_id[48]; /* the stream entry id */
    char *task_id;
    char *reply;
    char *payload; /* NUL-terminated besides len */
    size_t len;
    unsigned deliveries; /* 1 on the first delivery */
    bool dead;           /* over the delivery limit: complete on the embedded engine */
} tl_dist_msg;

void tl_dist_msg_free(tl_dist_msg *m);

/* Consumer: reclaims an idle task if any (at most every claim_idle_ms / 4),
 * else reads the highest band that has a new task (one band at a time:
 * nothing of a lower band is delivered while a higher one has work), else
 * waits up to block_ms for one. TL_OK with *out; TL_ENOTFOUND when nothing came;
 * TL_EIO when Redis failed (call again: it reconnects). */
TL_MUST_CHECK tl_err tl_dist_take(tl_dist_queue *q, int block_ms, tl_dist_msg **out);

/* Stores m's result once (see above) and acknowledges m. *first (may be
 * NULL) tells whether this was the task's first result. After TL_EIO the
 * task stays pending and will be delivered again. */
TL_MUST_CHECK tl_err tl_dist_complete(tl_dist_queue *q, const tl_dist_msg *m, const void *result,
                                      size_t len, bool *first);

/* An announced result, read from a reply stream. */
typedef struct tl_dist_result {
    char *task_id;
    char *result;
    size_t len;
} tl_dist_result;

/* Producer: reads announced results from stream reply after entry *last
 * ("0" at first; advanced here), waiting up to block_ms (0: no wait).
 * *out is a malloc'd array of *n results (NULL when none), freed with
 * tl_dist_results_free. */
TL_MUST_CHECK tl_err tl_dist_read_results(tl_dist_queue *q, const char *reply, char last[48],
                                          int block_ms, tl_dist_result **out, size_t *n);
void tl_dist_results_free(tl_dist_result *r, size_t n);

/* Deletes a reply stream (its producer is going away). */
TL_MUST_CHECK tl_err tl_dist_drop_reply(tl_dist_queue *q, const char *reply);

/* The stored result of a task (TL_ENOTFOUND when none yet). */
TL_MUST_CHECK tl_err tl_dist_result_get(tl_dist_queue *q, const char *task_id, tl_buf *out);

typedef struct tl_dist_queue_stats {
    uint64_t queued;  /* entries in the task streams */
    uint64_t pending; /* delivered and not acknowledged, all bands */
    uint64_t dead;    /* entries in the dead-letter stream */
} tl_dist_queue_stats;

TL_MUST_CHECK tl_err tl_dist_queue_stats_get(tl_dist_queue *q, tl_dist_queue_stats *st);

/* ---- shared cache tier ---- */

typedef struct tl_dist_cache tl_dist_cache;

typedef struct tl_dist_cache_opts {
    const char *url;    /* required */
    const char *prefix; /* default "tailor" */
    uint64_t ttl_ms;    /* value lifetime; default 3600000 (engine's default) */
    uint64_t lock_ms;   /* single-flight lock lifetime; default 30000 */
    int poll_ms;        /* while waiting for another process; default 10 */
    int timeout_ms;     /* per command; default 2000 */
} tl_dist_cache_opts;

void tl_dist_cache_opts_default(tl_dist_cache_opts *o);
TL_MUST_CHECK tl_err tl_dist_cache_create(tl_dist_cache **out, const tl_dist_cache_opts *opts);
void tl_dist_cache_destroy(tl_dist_cache *c);

/* Appends key's value to *out: TL_OK, or TL_ENOTFOUND. */
TL_MUST_CHECK tl_err tl_dist_cache_get(tl_dist_cache *c, tl_cache_key key, tl_buf *out);
/* Stores value with the TTL (ttl_ms 0: the default). */
TL_MUST_CHECK tl_err tl_dist_cache_put(tl_dist_cache *c, tl_cache_key key, const void *value,
                                       size_t len, uint64_t ttl_ms);

/* Single flight across processes. HIT: the value was appended to *out
 * (perhaps after waiting up to wait_ms for another process's flight).
 * LEADER: this process holds the key's lock: compute, then
 * tl_dist_cache_complete (stores and unlocks) or tl_dist_cache_release.
 * WAITING is never returned: after wait_ms without a value the caller
 * becomes LEADER without the lock (computing twice beats waiting forever). */
TL_MUST_CHECK tl_err tl_dist_cache_acquire(tl_dist_cache *c, tl_cache_key key, tl_buf *out,
                                           int wait_ms, tl_cache_acq *res);
TL_MUST_CHECK tl_err tl_dist_cache_complete(tl_dist_cache *c, tl_cache_key key, const void *value,
                                            size_t len, uint64_t ttl_ms);
/* Gives the lock up (if this handle holds it). */
TL_MUST_CHECK tl_err tl_dist_cache_release(tl_dist_cache *c, tl_cache_key key);

/* ---- shared rate limits ---- */

typedef struct tl_dist_rl tl_dist_rl;

typedef struct tl_dist_rl_opts {
    const char *url;              /* required */
    const char *prefix;           /* default "tailor" */
    const char *provider;         /* required: the buckets' name */
    uint64_t requests_per_minute; /* 0: unlimited */
    uint64_t tokens_per_minute;   /* 0: unlimited */
    uint64_t request_burst;       /* 0: requests_per_minute */
    uint64_t token_burst;         /* 0: tokens_per_minute */
    int timeout_ms;               /* per command; default 2000 */
} tl_dist_rl_opts;

TL_MUST_CHECK tl_err tl_dist_rl_create(tl_dist_rl **out, const tl_dist_rl_opts *opts);
void tl_dist_rl_destroy(tl_dist_rl *rl);

/* Takes one request and est_tokens from the shared buckets: TL_OK with
 * *wait_ns 0 when admitted, TL_OK with *wait_ns > 0 (nothing taken) when
 * the caller must wait that long first. A request larger than the token
 * burst passes when the bucket is full, leaving it in debt. TL_EIO when
 * Redis fails (callers then fall back on their local limiter). */
TL_MUST_CHECK tl_err tl_dist_rl_reserve(tl_dist_rl *rl, uint64_t est_tokens, uint64_t *wait_ns);
/* Corrects the token bucket once the provider counted: charges
 * actual - estimate (refunds when negative), never above the burst. */
TL_MUST_CHECK tl_err tl_dist_rl_settle(tl_dist_rl *rl, uint64_t est_tokens, uint64_t actual_tokens);

/* ---- the engine's side: a provider that sends calls to the workers ----
 *
 * The seam between the engine and the workers is the provider interface
 * (provider/provider.h): put a remote provider in a job's chain and the
 * engine's provider stage sends each call (one task, or a batch) to the
 * queue instead of a provider; `tailor worker` makes the real call there
 * (with the shared rate limits and the shared cache) and the answer comes
 * back on this process's reply stream. The engine keeps planning, batching,
 * its cache, the fact guard, retries, the fallback chain (ending in the
 * embedded engine) and the consistency pass, and needs no change.
 *
 * A call dead-lettered after max_deliveries is answered by the worker with
 * dead_letter set (error TL_CALL_SERVER, message "dead_letter"): the engine
 * then completes the task on the embedded engine at once, without a retry
 * or a breaker failure, counts it in the job's dead_lettered metric, and
 * the task result says so (fell_back, provider "local").
 *
 * Calls still waiting are enqueued again after a Redis reconnect (Redis
 * may have lost them) and after resend_after_ms; a task answered twice is
 * delivered once (results are stored once, and a call is forgotten when
 * its first answer arrives). */

typedef struct tl_dist_remote_opts {
    const char *url;          /* required */
    const char *prefix;       /* default "tailor" */
    const char *name;         /* the provider's name in the engine; default "remote" */
    const char *target;       /* provider the workers should call; default NULL: their first */
    const char *model;        /* the provider's default model as shown here; default NULL */
    unsigned band;            /* band of calls that carry no priority (a request's
                                 priority picks its band: tl_dist_band_for);
                                 default 1 (of 3) */
    uint64_t resend_after_ms; /* enqueue a waiting call again after this; default 0: never */
} tl_dist_remote_opts;

typedef struct tl_dist_remote_stats {
    uint64_t submitted, answered, duplicates, resent, cancelled, in_flight;
} tl_dist_remote_stats;

/* A provider (destroy with tl_provider_destroy: waiting calls are answered
 * TL_CALL_CANCELLED first). Callbacks run on the provider's reader thread. */
TL_MUST_CHECK tl_err tl_dist_remote_create(const tl_dist_remote_opts *opts, tl_provider **out);
/* p must come from tl_dist_remote_create. */
void tl_dist_remote_stats_get(tl_provider *p, tl_dist_remote_stats *st);

/* ---- customizing through the workers ----
 *
 * tl_customize's contract (tailor/tailor.h) on an engine whose provider
 * chain is one remote provider: the same inputs, the same result, and the
 * progress callback after each task; the provider calls are made by
 * `tailor worker` processes. For programs that embed the library; the
 * server reaches the workers through its own engine instead (serve --queue
 * puts remote providers in its chain). */

typedef struct tl_dist_customizer tl_dist_customizer;

typedef struct tl_dist_customizer_opts {
    const char *url;          /* required */
    const char *prefix;       /* default "tailor" */
    unsigned cpu_workers;     /* the engine's CPU threads; default 2 */
    uint64_t resend_after_ms; /* see tl_dist_remote_opts; default 0 */
    bool no_cache;            /* no in-process result cache; default false */
} tl_dist_customizer_opts;

/* Starts the engine and the remote provider. TL_EIO: Redis unreachable. */
TL_MUST_CHECK tl_err tl_dist_customizer_create(tl_dist_customizer **out,
                                               const tl_dist_customizer_opts *opts);
/* No customization may be running. NULL does nothing. */
void tl_dist_customizer_destroy(tl_dist_customizer *c);
/* Blocks until the job is done; any thread, many at once. ud is the
 * customizer (so that it fits a callback slot). progress runs on the
 * engine's loop thread, once per task, with (tasks done, tasks). */
TL_MUST_CHECK tl_err tl_dist_customize(void *ud, const tl_resume *r, const tl_job *j,
                                       const tl_terms *t, const tl_customize_opts *o,
                                       tl_result **out);
/* The remote provider's figures (for /metrics). */
void tl_dist_customizer_stats(tl_dist_customizer *c, tl_dist_remote_stats *st);

/* ---- the worker ---- */

typedef struct tl_dist_worker_provider {
    tl_provider *p;               /* borrowed */
    uint64_t requests_per_minute; /* shared limit over all workers; 0: none */
    uint64_t tokens_per_minute;
} tl_dist_worker_provider;

typedef struct tl_dist_worker_opts {
    const char *url;                          /* required */
    const char *prefix;                       /* default "tailor" */
    unsigned concurrency;                     /* threads taking tasks; default 4 */
    const tl_dist_worker_provider *providers; /* at least one */
    size_t n_providers;
    uint64_t claim_idle_ms;  /* default 30000 */
    unsigned max_deliveries; /* default 3 */
    bool no_cache;           /* skip the shared cache tier */
    uint64_t cache_ttl_ms;   /* default 3600000 */
} tl_dist_worker_opts;

typedef struct tl_dist_worker tl_dist_worker;

typedef struct tl_dist_worker_stats {
    uint64_t tasks, provider_calls, cache_hits, dead_letters, rate_waits, errors;
} tl_dist_worker_stats;

/* Starts the worker threads. TL_EIO when Redis cannot be reached. */
TL_MUST_CHECK tl_err tl_dist_worker_start(const tl_dist_worker_opts *opts, tl_dist_worker **out);
/* Stops taking tasks, finishes the ones in hand, joins, frees. NULL: nothing. */
void tl_dist_worker_stop(tl_dist_worker *w);
void tl_dist_worker_stats_get(tl_dist_worker *w, tl_dist_worker_stats *st);

/* The request and answer encodings on the queue (JSON), for tests. */
TL_MUST_CHECK tl_err tl_dist_encode_request(const tl_chat_request *req, const char *target,
                                            char **out, size_t *len);
TL_MUST_CHECK tl_err tl_dist_encode_response(const tl_chat_response *resp, char **out, size_t *len);

#endif
