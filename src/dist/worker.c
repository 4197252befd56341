/* The worker: threads that take calls from the queue, make them on a real
 * provider under the shared rate limits and the shared cache tier, and
 * store the answers (dist.h).
 *
 * Each thread has its own queue, cache and limiter handles (one Redis
 * connection each) and makes one call at a time, waiting for the
 * provider's callback (which runs on the provider's I/O thread) on a
 * condition variable: `concurrency` threads = that many calls in flight. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dist/dist.h"
#include "dist/dist_int.h"
#include "util/log.h"

enum { TAKE_BLOCK_MS = 200, CACHE_WAIT_MS = 10000, MAX_THREADS = 256 };

typedef struct wthread wthread;

struct tl_dist_worker {
    tl_dist_worker_opts o;
    tl_dist_worker_provider *providers;
    atomic_bool stop;
    pthread_mutex_t mu; /* stats */
    tl_dist_worker_stats st;
    wthread *threads;
    unsigned n_threads;
};

struct wthread {
    tl_dist_worker *w;
    pthread_t th;
    bool started;
    tl_dist_queue *q;
    tl_dist_cache *cache;
    tl_dist_rl **rl; /* per provider, NULL when unlimited */
    /* the call in progress */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    char *answer; /* encoded response */
    size_t answer_len;
    bool answer_ok;
    uint64_t tokens;
};

static void count(tl_dist_worker *w, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&w->mu);
    *field += n;
    pthread_mutex_unlock(&w->mu);
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void settle_quiet(tl_dist_rl *rl, uint64_t est, uint64_t actual)
{
    if (tl_dist_rl_settle(rl, est, actual) != TL_OK)
        tl_warn("msg=\"worker: shared token bucket not corrected\"");
}

static void on_answer(void *ud, const tl_chat_response *resp)
{
    wthread *t = ud;
    char *enc = NULL;
    size_t len = 0;
    tl_err e = tl_dist_encode_response(resp, &enc, &len);
    pthread_mutex_lock(&t->mu);
    if (e == TL_OK) {
        t->answer = enc;
        t->answer_len = len;
    }
    t->answer_ok = resp->error == TL_CALL_OK;
    t->tokens = (uint64_t)(resp->tokens_in > 0 ? resp->tokens_in : 0) +
                (uint64_t)(resp->tokens_out > 0 ? resp->tokens_out : 0);
    t->done = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static tl_err encode_error(tl_call_error err, const char *message, char **out, size_t *len)
{
    tl_chat_response r = {.error = err,
                          .retry_after_ms = -1,
                          .remaining_requests = -1,
                          .remaining_tokens = -1,
                          .reset_ms = -1,
                          .message = message};
    return tl_dist_encode_response(&r, out, len);
}

/* The answer to a dead-lettered call: not made, not to be retried (the
 * engine completes the task on the embedded engine). */
static tl_err encode_dead_letter(char **out, size_t *len)
{
    tl_chat_response r = {.error = TL_CALL_SERVER,
                          .retry_after_ms = -1,
                          .remaining_requests = -1,
                          .remaining_tokens = -1,
                          .reset_ms = -1,
                          .message = "dead_letter",
                          .dead_letter = true};
    return tl_dist_encode_response(&r, out, len);
}

static size_t pick_provider(const tl_dist_worker *w, const char *target)
{
    if (target)
        for (size_t i = 0; i < w->o.n_providers; i++)
            if (w->providers[i].p->name && strcmp(w->providers[i].p->name, target) == 0)
                return i;
    return 0;
}

/* Makes the call on provider i (shared limit first); *out gets the
 * encoded answer, *ok whether it is a success. */
static tl_err call_provider(wthread *t, size_t i, const tl_chat_request *req, char **out,
                            size_t *len, bool *ok)
{
    tl_dist_worker *w = t->w;
    tl_provider *p = w->providers[i].p;
    uint64_t est = (uint64_t)(req->tokens_in_estimate > 0 ? req->tokens_in_estimate : 0) +
                   (uint64_t)(req->max_tokens > 0 ? req->max_tokens : 256);
    if (t->rl[i]) {
        for (;;) {
            uint64_t wait_ns = 0;
            if (tl_dist_rl_reserve(t->rl[i], est, &wait_ns) != TL_OK)
                break; /* Redis down: go on, the provider's 429s will tell */
            if (wait_ns == 0)
                break;
            count(w, &w->st.rate_waits, 1);
            sleep_ms(wait_ns / 1000000u + 1);
        }
    }
    pthread_mutex_lock(&t->mu);
    t->done = false;
    t->answer = NULL;
    pthread_mutex_unlock(&t->mu);
    uint64_t id = 0;
    tl_err e = tl_provider_submit(p, req, on_answer, t, &id);
    if (e) {
        if (t->rl[i])
            settle_quiet(t->rl[i], est, 0);
        return encode_error(TL_CALL_SERVER, "worker could not submit the call", out, len);
    }
    count(w, &w->st.provider_calls, 1);
    pthread_mutex_lock(&t->mu);
    while (!t->done)
        pthread_cond_wait(&t->cv, &t->mu);
    char *a = t->answer;
    size_t alen = t->answer_len;
    bool aok = t->answer_ok;
    uint64_t tokens = t->tokens;
    t->answer = NULL;
    pthread_mutex_unlock(&t->mu);
    if (t->rl[i])
        settle_quiet(t->rl[i], est, tokens);
    if (!a)
        return TL_ENOMEM;
    *out = a;
    *len = alen;
    *ok = aok;
    return TL_OK;
}

tl_cache_key tl__dist_request_key(const char *provider, const tl_chat_request *r)
{
    const char *model = r->model ? r->model : "";
    const char *sys = r->system ? r->system : "";
    char flags[32];
    snprintf(flags, sizeof flags, "%d/%d/%.3f", r->json ? 1 : 0, r->max_tokens, r->temperature);
    tl_cache_field f[] = {{"dist-v1", 7},     {provider, strlen(provider)}, {model, strlen(model)},
                          {sys, strlen(sys)}, {r->user, strlen(r->user)},   {flags, strlen(flags)}};
    return tl_cache_key_fields(f, sizeof f / sizeof f[0]);
}

/* Looks key up in the shared cache (waiting for another worker's flight).
 * true with *out on a hit; else *locked says whether this thread now
 * holds the key's lock. */
static bool cache_lookup(wthread *t, tl_cache_key key, char **out, size_t *len, bool *locked)
{
    tl_buf b;
    tl_buf_init(&b, 64u << 20);
    tl_cache_acq acq = TL_CACHE_LEADER;
    *locked = false;
    if (tl_dist_cache_acquire(t->cache, key, &b, CACHE_WAIT_MS, &acq) == TL_OK) {
        if (acq == TL_CACHE_HIT && b.data) {
            count(t->w, &t->w->st.cache_hits, 1);
            *out = b.data; /* the cached encoded answer */
            *len = b.len;
            return true;
        }
        *locked = acq != TL_CACHE_HIT;
    }
    tl_buf_free(&b);
    return false;
}

/* After the call: a success is stored (a retry's overwrites the answer
 * that sent the engine back here), the lock given up otherwise. */
static void cache_finish(wthread *t, tl_cache_key key, bool locked, bool ok, const char *ans,
                         size_t len)
{
    uint64_t ttl = t->w->o.cache_ttl_ms;
    tl_err ce = TL_OK;
    if (ok)
        ce = locked ? tl_dist_cache_complete(t->cache, key, ans, len, ttl)
                    : tl_dist_cache_put(t->cache, key, ans, len, ttl);
    else if (locked)
        ce = tl_dist_cache_release(t->cache, key);
    if (ce)
        tl_warn("msg=\"worker: shared cache update failed\" error=\"%s\"", tl_strerror(ce));
}

/* One task: its answer, from the cache or the provider. A retry is not
 * looked up: the guard runs on the engine's side, after this, so the
 * cached answer may be the very one it rejected. */
static tl_err work_one(wthread *t, const tl_dist_msg *m, char **out, size_t *len)
{
    tl_dist_worker *w = t->w;
    if (m->dead) {
        count(w, &w->st.dead_letters, 1);
        /* The engine that sent it completes it on the embedded engine. */
        return encode_dead_letter(out, len);
    }
    tl__dist_request d;
    if (tl__dist_decode_request(m->payload, m->len, &d) != TL_OK)
        return encode_error(TL_CALL_CLIENT, "undecodable request", out, len);
    size_t i = pick_provider(w, d.target);
    const char *pname = w->providers[i].p->name ? w->providers[i].p->name : "";
    tl_cache_key key = tl__dist_request_key(pname, &d.req);
    bool retry = d.req.attempt > 1, locked = false;
    if (t->cache && !retry && cache_lookup(t, key, out, len, &locked)) {
        tl__dist_request_free(&d);
        return TL_OK;
    }
    bool ok = false;
    tl_err e = call_provider(t, i, &d.req, out, len, &ok);
    if (t->cache && (locked || retry))
        cache_finish(t, key, locked, ok && e == TL_OK, e == TL_OK ? *out : NULL,
                     e == TL_OK ? *len : 0);
    if (e == TL_OK && !ok)
        count(w, &w->st.errors, 1);
    tl__dist_request_free(&d);
    return e;
}

static void *thread_main(void *arg)
{
    wthread *t = arg;
    tl_dist_worker *w = t->w;
    while (!atomic_load(&w->stop)) {
        tl_dist_msg *m = NULL;
        tl_err e = tl_dist_take(t->q, TAKE_BLOCK_MS, &m);
        if (e == TL_ENOTFOUND)
            continue;
        if (e) {
            sleep_ms(100); /* Redis away: the next call reconnects */
            continue;
        }
        char *ans = NULL;
        size_t len = 0;
        e = work_one(t, m, &ans, &len);
        if (e == TL_OK) {
            /* Counted before the answer is visible, so that the figures
             * agree (hits + calls = tasks) once the caller has it. */
            count(w, &w->st.tasks, 1);
            /* Store, then acknowledge; a Redis that went away meanwhile
             * gets a few tries, else the task stays pending and another
             * delivery does it again (its result is stored once). */
            for (int attempt = 0; attempt < 5; attempt++) {
                if (tl_dist_complete(t->q, m, ans, len, NULL) == TL_OK)
                    break;
                sleep_ms(200);
            }
        }
        free(ans);
        tl_dist_msg_free(m);
    }
    return NULL;
}

static void thread_free(wthread *t, size_t n_providers)
{
    tl_dist_queue_destroy(t->q);
    tl_dist_cache_destroy(t->cache);
    if (t->rl)
        for (size_t i = 0; i < n_providers; i++)
            tl_dist_rl_destroy(t->rl[i]);
    free(t->rl);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
}

static tl_err thread_init(tl_dist_worker *w, wthread *t)
{
    t->w = w;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (!(t->rl = calloc(w->o.n_providers, sizeof *t->rl)))
        return TL_ENOMEM;
    tl_dist_queue_opts qo;
    tl_dist_queue_opts_default(&qo);
    qo.url = w->o.url;
    qo.prefix = w->o.prefix;
    if (w->o.claim_idle_ms)
        qo.claim_idle_ms = w->o.claim_idle_ms;
    if (w->o.max_deliveries)
        qo.max_deliveries = w->o.max_deliveries;
    tl_err e = tl_dist_queue_create(&t->q, &qo);
    if (e == TL_OK && !w->o.no_cache) {
        tl_dist_cache_opts co;
        tl_dist_cache_opts_default(&co);
        co.url = w->o.url;
        co.prefix = w->o.prefix;
        if (w->o.cache_ttl_ms)
            co.ttl_ms = w->o.cache_ttl_ms;
        e = tl_dist_cache_create(&t->cache, &co);
    }
    for (size_t i = 0; e == TL_OK && i < w->o.n_providers; i++) {
        const tl_dist_worker_provider *p = &w->providers[i];
        if (!p->requests_per_minute && !p->tokens_per_minute)
            continue;
        tl_dist_rl_opts ro = {.url = w->o.url,
                              .prefix = w->o.prefix,
                              .provider = p->p->name ? p->p->name : "provider",
                              .requests_per_minute = p->requests_per_minute,
                              .tokens_per_minute = p->tokens_per_minute};
        /* Bursts are the providers' own (a minute's allowance): the bucket
         * is shared, so N workers together never get more than one. */
        e = tl_dist_rl_create(&t->rl[i], &ro);
    }
    return e;
}

tl_err tl_dist_worker_start(const tl_dist_worker_opts *opts, tl_dist_worker **out)
{
    if (!opts || !opts->url || !opts->providers || !opts->n_providers || !out)
        return TL_EINVAL;
    unsigned n = opts->concurrency ? opts->concurrency : 4;
    if (n > MAX_THREADS)
        return TL_EINVAL;
    tl_dist_worker *w = calloc(1, sizeof *w);
    if (!w)
        return TL_ENOMEM;
    w->o = *opts;
    if (!w->o.prefix)
        w->o.prefix = "tailor";
    pthread_mutex_init(&w->mu, NULL);
    tl_err e = TL_ENOMEM;
    w->providers = calloc(opts->n_providers, sizeof *w->providers);
    w->threads = calloc(n, sizeof *w->threads);
    if (!w->providers || !w->threads)
        goto fail;
    memcpy(w->providers, opts->providers, opts->n_providers * sizeof *w->providers);
    w->o.providers = w->providers;
    for (unsigned i = 0; i < n; i++) {
        w->n_threads++;
        if ((e = thread_init(w, &w->threads[i])) != TL_OK)
            goto fail;
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i].th, NULL, thread_main, &w->threads[i]) != 0) {
            e = TL_ENOMEM;
            goto fail;
        }
        w->threads[i].started = true;
    }
    *out = w;
    return TL_OK;
fail:
    tl_dist_worker_stop(w);
    return e;
}

void tl_dist_worker_stop(tl_dist_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    for (unsigned i = 0; i < w->n_threads; i++)
        if (w->threads[i].started)
            pthread_join(w->threads[i].th, NULL);
    for (unsigned i = 0; i < w->n_threads; i++)
        thread_free(&w->threads[i], w->o.n_providers);
    free(w->threads);
    free(w->providers);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void tl_dist_worker_stats_get(tl_dist_worker *w, tl_dist_worker_stats *st)
{
    pthread_mutex_lock(&w->mu);
    *st = w->st;
    pthread_mutex_unlock(&w->mu);
}
