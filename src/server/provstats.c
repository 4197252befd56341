#include "server/provstats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/deadline.h"

enum { N_OUTCOMES = TL_CALL_CANCELLED + 1 };

/* Upper bounds of the latency buckets, in seconds (+Inf is implicit). */
static const double bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
enum { N_BOUNDS = sizeof bounds / sizeof bounds[0] };

struct call;

typedef struct counted {
    tl_provider base; /* first: the engine sees a tl_provider */
    tl_provider *inner;
    pthread_mutex_t mu; /* calls, n_calls, closed */
    pthread_cond_t idle;
    struct call *calls; /* in flight */
    size_t n_calls;
    bool closed;
    atomic_uint_fast64_t outcomes[N_OUTCOMES];
    atomic_uint_fast64_t tokens_in, tokens_out;
    atomic_uint_fast64_t bucket[N_BOUNDS + 1];
    atomic_uint_fast64_t latency_count, latency_sum_us;
} counted;

typedef struct call {
    counted *c;
    tl_chat_done_cb cb;
    void *ud;
    uint64_t id;    /* the inner provider's; 0 until its submit returned */
    bool submitted; /* the inner submit has returned (under mu) */
    bool finished;  /* the callback ran before that (under mu) */
    struct call *next, *prev;
} call;

static void on_done(void *ud, const tl_chat_response *resp)
{
    call *k = ud;
    counted *c = k->c;
    unsigned o = (unsigned)resp->error < N_OUTCOMES ? (unsigned)resp->error : TL_CALL_SERVER;
    atomic_fetch_add_explicit(&c->outcomes[o], 1, memory_order_relaxed);
    if (resp->error == TL_CALL_OK) {
        atomic_fetch_add_explicit(&c->tokens_in,
                                  (uint64_t)(resp->tokens_in > 0 ? resp->tokens_in : 0),
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&c->tokens_out,
                                  (uint64_t)(resp->tokens_out > 0 ? resp->tokens_out : 0),
                                  memory_order_relaxed);
    }
    if (resp->error != TL_CALL_CANCELLED && resp->error != TL_CALL_REFUSED &&
        resp->latency_ns > 0) {
        double s = (double)resp->latency_ns / 1e9;
        int i = 0;
        while (i < N_BOUNDS && s > bounds[i])
            i++;
        atomic_fetch_add_explicit(&c->bucket[i], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->latency_count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->latency_sum_us, (uint64_t)(resp->latency_ns / 1000),
                                  memory_order_relaxed);
    }
    /* Forwarded before the call leaves the list: quiesce returns only once
     * no callback can reach the caller any more. */
    k->cb(k->ud, resp);
    pthread_mutex_lock(&c->mu);
    if (k->prev)
        k->prev->next = k->next;
    else
        c->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    c->n_calls--;
    pthread_cond_broadcast(&c->idle);
    bool mine = k->submitted; /* else c_submit frees it once back */
    k->finished = true;
    pthread_mutex_unlock(&c->mu);
    if (mine)
        free(k);
}

static tl_err c_submit(tl_provider *p, const tl_chat_request *req, tl_chat_done_cb cb, void *ud,
                       uint64_t *call_id)
{
    counted *c = (counted *)p;
    call *k = malloc(sizeof *k);
    if (!k)
        return TL_ENOMEM;
    *k = (call){.c = c, .cb = cb, .ud = ud};
    pthread_mutex_lock(&c->mu);
    if (c->closed) {
        pthread_mutex_unlock(&c->mu);
        free(k);
        return TL_EINVAL;
    }
    k->next = c->calls;
    if (c->calls)
        c->calls->prev = k;
    c->calls = k;
    c->n_calls++;
    pthread_mutex_unlock(&c->mu);
    uint64_t id = 0;
    tl_err e = tl_provider_submit(c->inner, req, on_done, k, &id);
    pthread_mutex_lock(&c->mu);
    if (e) { /* the callback never runs */
        if (k->prev)
            k->prev->next = k->next;
        else
            c->calls = k->next;
        if (k->next)
            k->next->prev = k->prev;
        c->n_calls--;
        pthread_cond_broadcast(&c->idle);
    } else {
        k->id = id;
        k->submitted = true;
    }
    bool done_early = !e && k->finished; /* the callback already ran */
    pthread_mutex_unlock(&c->mu);
    if (e || done_early)
        free(k);
    else if (call_id)
        *call_id = id;
    return e;
}

static void c_cancel(tl_provider *p, uint64_t call_id)
{
    tl_provider_cancel(((counted *)p)->inner, call_id);
}

static void c_destroy(tl_provider *p)
{
    counted *c = (counted *)p;
    tl__provstats_quiesce(p);
    pthread_cond_destroy(&c->idle);
    pthread_mutex_destroy(&c->mu);
    free(p);
}

void tl__provstats_quiesce(tl_provider *p)
{
    counted *c = (counted *)p;
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    while (c->n_calls > 0) {
        /* Cancel what is known; a call whose id is not back yet is
         * cancelled on the next round. */
        uint64_t ids[64];
        size_t n = 0;
        for (call *k = c->calls; k && n < 64; k = k->next)
            if (k->id)
                ids[n++] = k->id;
        pthread_mutex_unlock(&c->mu);
        for (size_t i = 0; i < n; i++)
            tl_provider_cancel(c->inner, ids[i]);
        pthread_mutex_lock(&c->mu);
        struct timespec until = tl_deadline_after_ms(20);
        if (c->n_calls > 0)
            pthread_cond_timedwait(&c->idle, &c->mu, &until);
    }
    pthread_mutex_unlock(&c->mu);
}

static const tl_provider_ops ops = {c_submit, c_cancel, c_destroy};

tl_err tl__provstats_wrap(tl_provider *inner, tl_provider **out)
{
    counted *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->base.ops = &ops;
    c->base.name = inner->name;
    c->base.model = inner->model;
    c->inner = inner;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return TL_ENOMEM;
    }
    pthread_cond_init(&c->idle, NULL);
    *out = &c->base;
    return TL_OK;
}

static uint64_t load(atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

tl_err tl__provstats_render(tl_provider *const *ps, size_t n, tl_buf *b)
{
    tl_err e = tl_buf_puts(b, "# HELP tailor_provider_answers_total Provider calls by provider and"
                              " outcome.\n# TYPE tailor_provider_answers_total counter\n");
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        counted *c = (counted *)ps[i];
        for (int o = 0; o < N_OUTCOMES && e == TL_OK; o++)
            e = tl_buf_printf(
                b, "tailor_provider_answers_total{provider=\"%s\",outcome=\"%s\"} %llu\n",
                c->base.name, tl_call_error_name((tl_call_error)o),
                (unsigned long long)load(&c->outcomes[o]));
    }
    if (e == TL_OK)
        e = tl_buf_puts(b,
                        "# HELP tailor_provider_tokens_total Tokens of answered calls, by"
                        " provider and direction.\n# TYPE tailor_provider_tokens_total counter\n");
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        counted *c = (counted *)ps[i];
        e = tl_buf_printf(b,
                          "tailor_provider_tokens_total{provider=\"%s\",direction=\"in\"} %llu\n"
                          "tailor_provider_tokens_total{provider=\"%s\",direction=\"out\"} %llu\n",
                          c->base.name, (unsigned long long)load(&c->tokens_in), c->base.name,
                          (unsigned long long)load(&c->tokens_out));
    }
    if (e == TL_OK)
        e = tl_buf_puts(b, "# HELP tailor_provider_latency_seconds Provider call latency.\n"
                           "# TYPE tailor_provider_latency_seconds histogram\n");
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        counted *c = (counted *)ps[i];
        uint64_t cum = 0;
        for (int k = 0; k <= N_BOUNDS && e == TL_OK; k++) {
            cum += load(&c->bucket[k]);
            if (k < N_BOUNDS)
                e = tl_buf_printf(
                    b,
                    "tailor_provider_latency_seconds_bucket{provider=\"%s\",le=\"%g\"}"
                    " %llu\n",
                    c->base.name, bounds[k], (unsigned long long)cum);
            else
                e = tl_buf_printf(b,
                                  "tailor_provider_latency_seconds_bucket{provider=\"%s\","
                                  "le=\"+Inf\"} %llu\n",
                                  c->base.name, (unsigned long long)cum);
        }
        if (e == TL_OK)
            e = tl_buf_printf(b,
                              "tailor_provider_latency_seconds_sum{provider=\"%s\"} %.6f\n"
                              "tailor_provider_latency_seconds_count{provider=\"%s\"} %llu\n",
                              c->base.name, (double)load(&c->latency_sum_us) / 1e6, c->base.name,
                              (unsigned long long)load(&c->latency_count));
    }
    return e;
}
