/* The remote provider: chat calls sent to `tailor worker` processes over
 * the queue, answers read back from this process's reply stream (dist.h).
 *
 * Locking: one mutex guards the table of waiting calls and the stats.
 * Enqueuing happens outside it (except when resending, which holds it so
 * that a call cannot be answered and freed meanwhile; the queue handle has
 * its own lock and never calls back). Callbacks run on the reader thread
 * with no lock held. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "dist/dist_int.h"
#include "util/log.h"

enum { BUCKETS = 1024, READ_BLOCK_MS = 200 };

typedef struct rcall {
    uint64_t id;
    tl_chat_done_cb cb;
    void *ud;
    char *payload;
    size_t len;
    uint64_t sent_ms;
    bool cancelled; /* answer CANCELLED from the reader thread */
    bool unsent;    /* Redis was away (at submit, or lost it): the reader thread sends it */
    bool sent_once;
    unsigned band;
    struct rcall *next;
} rcall;

typedef struct remote {
    tl_provider base; /* first */
    char name[64];
    char target[64];
    char model[128];
    bool has_target;
    unsigned band, bands;
    uint64_t resend_after_ms;
    char instance[96];
    char reply[192];
    tl_dist_queue *prod;   /* submit's handle */
    tl_dist_queue *reader; /* the reader thread's handle */
    pthread_mutex_t mu;
    rcall *table[BUCKETS];
    uint64_t seq;
    uint64_t prod_epoch, reader_epoch;
    tl_dist_remote_stats st;
    atomic_bool stop;
    pthread_t th;
} remote;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void task_name(const remote *r, uint64_t id, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%" PRIu64, r->instance, id);
}

/* Removes and returns call id (mu held). */
static rcall *take_call(remote *r, uint64_t id)
{
    rcall **pp = &r->table[id % BUCKETS];
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            rcall *c = *pp;
            *pp = c->next;
            return c;
        }
    }
    return NULL;
}

static void free_call(rcall *c)
{
    free(c->payload);
    free(c);
}

static void answer_cancelled(rcall *c)
{
    tl_chat_response resp = {.error = TL_CALL_CANCELLED,
                             .retry_after_ms = -1,
                             .remaining_requests = -1,
                             .remaining_tokens = -1,
                             .reset_ms = -1,
                             .message = "cancelled"};
    c->cb(c->ud, &resp);
    free_call(c);
}

static tl_err rm_submit(tl_provider *p, const tl_chat_request *req, tl_chat_done_cb cb, void *ud,
                        uint64_t *call_id)
{
    remote *r = (remote *)p;
    if (!cb)
        return TL_EINVAL;
    rcall *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    tl_err e = tl_dist_encode_request(req, r->has_target ? r->target : NULL, &c->payload, &c->len);
    if (e) {
        free(c);
        return e;
    }
    c->cb = cb;
    c->ud = ud;
    c->sent_ms = now_ms();
    c->band = req->has_priority ? tl_dist_band_for(req->priority, r->bands) : r->band;
    pthread_mutex_lock(&r->mu);
    c->id = ++r->seq;
    char task[128];
    task_name(r, c->id, task, sizeof task);
    /* Enqueued under the lock, so that the answer cannot be matched
     * before the call is in the table. Redis away (restarting): the call is accepted all the same
     * and sent by the reader thread once Redis is back, so that an outage of a few seconds costs
     * time, not fallbacks. */
    c->unsent = tl_dist_enqueue(r->prod, c->band, task, r->reply, c->payload, c->len) != TL_OK;
    c->sent_once = !c->unsent;
    c->next = r->table[c->id % BUCKETS];
    r->table[c->id % BUCKETS] = c;
    r->st.submitted++;
    r->st.in_flight++;
    uint64_t id = c->id; /* c may be answered and freed once unlocked */
    pthread_mutex_unlock(&r->mu);
    if (call_id)
        *call_id = id;
    return TL_OK;
}

static void rm_cancel(tl_provider *p, uint64_t call_id)
{
    remote *r = (remote *)p;
    pthread_mutex_lock(&r->mu);
    for (rcall *c = r->table[call_id % BUCKETS]; c; c = c->next)
        if (c->id == call_id)
            c->cancelled = true; /* the reader thread answers it */
    pthread_mutex_unlock(&r->mu);
}

/* Enqueues again every waiting call (after a reconnect: Redis may have
 * lost them), or those older than resend_after_ms. mu held. */
static void resend(remote *r, bool all)
{
    uint64_t now = now_ms();
    if (all) /* whatever fails now is tried again on the next round */
        for (size_t b = 0; b < BUCKETS; b++)
            for (rcall *c = r->table[b]; c; c = c->next)
                c->unsent = true;
    for (size_t b = 0; b < BUCKETS; b++) {
        for (rcall *c = r->table[b]; c; c = c->next) {
            if (c->cancelled)
                continue;
            if (!c->unsent && (!r->resend_after_ms || now - c->sent_ms < r->resend_after_ms))
                continue;
            char task[128];
            task_name(r, c->id, task, sizeof task);
            if (tl_dist_enqueue(r->prod, c->band, task, r->reply, c->payload, c->len) == TL_OK) {
                c->sent_ms = now;
                if (c->sent_once)
                    r->st.resent++;
                c->sent_once = true;
                c->unsent = false;
            } else {
                return; /* still away: try again on the next round */
            }
        }
    }
}

static void deliver(remote *r, const tl_dist_result *res)
{
    const char *colon = strrchr(res->task_id, ':');
    size_t il = strlen(r->instance);
    if (!colon || (size_t)(colon - res->task_id) != il ||
        strncmp(res->task_id, r->instance, il) != 0)
        return;
    uint64_t id = strtoull(colon + 1, NULL, 10);
    pthread_mutex_lock(&r->mu);
    rcall *c = take_call(r, id);
    if (c) {
        r->st.answered++;
        r->st.in_flight--;
    } else {
        r->st.duplicates++;
    }
    pthread_mutex_unlock(&r->mu);
    if (!c)
        return;
    tl__dist_response d;
    if (tl__dist_decode_response(res->result, res->len, &d) != TL_OK) {
        tl_chat_response bad = {.error = TL_CALL_MALFORMED,
                                .retry_after_ms = -1,
                                .remaining_requests = -1,
                                .remaining_tokens = -1,
                                .reset_ms = -1,
                                .message = "worker answer is not JSON"};
        c->cb(c->ud, &bad);
    } else {
        c->cb(c->ud, &d.resp);
        tl__dist_response_free(&d);
    }
    free_call(c);
}

/* Answers the calls marked cancelled (mu not held on entry). */
static void flush_cancelled(remote *r)
{
    rcall *list = NULL;
    pthread_mutex_lock(&r->mu);
    for (size_t b = 0; b < BUCKETS; b++) {
        rcall **pp = &r->table[b];
        while (*pp) {
            rcall *c = *pp;
            if (c->cancelled) {
                *pp = c->next;
                c->next = list;
                list = c;
                r->st.cancelled++;
                r->st.in_flight--;
            } else {
                pp = &c->next;
            }
        }
    }
    pthread_mutex_unlock(&r->mu);
    while (list) {
        rcall *c = list;
        list = c->next;
        answer_cancelled(c);
    }
}

static void *reader_main(void *arg)
{
    remote *r = arg;
    char last[48] = "0"; /* the reply stream is this instance's own */
    uint64_t last_resend_check = now_ms();
    while (!atomic_load(&r->stop)) {
        tl_dist_result *res = NULL;
        size_t n = 0;
        tl_err e = tl_dist_read_results(r->reader, r->reply, last, READ_BLOCK_MS, &res, &n);
        if (e) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
        for (size_t i = 0; i < n; i++)
            deliver(r, &res[i]);
        tl_dist_results_free(res, n);
        flush_cancelled(r);
        uint64_t now = now_ms();
        uint64_t pe = tl_dist_epoch(r->prod), re = tl_dist_epoch(r->reader);
        bool reconnected = pe != r->prod_epoch || re != r->reader_epoch;
        if (reconnected || now - last_resend_check >= 250) {
            if (reconnected) {
                tl_warn("msg=\"remote provider: Redis reconnected, sending waiting calls "
                        "again\"");
                /* A Redis that restarted starts its stream ids again from
                 * its clock, which may be behind our last id. */
                snprintf(last, sizeof last, "%s", "0");
            }
            pthread_mutex_lock(&r->mu);
            resend(r, reconnected);
            pthread_mutex_unlock(&r->mu);
            r->prod_epoch = pe;
            r->reader_epoch = re;
            last_resend_check = now;
        }
    }
    return NULL;
}

static void rm_destroy(tl_provider *p)
{
    remote *r = (remote *)p;
    atomic_store(&r->stop, true);
    pthread_join(r->th, NULL);
    for (size_t b = 0; b < BUCKETS; b++) {
        while (r->table[b]) {
            rcall *c = r->table[b];
            r->table[b] = c->next;
            answer_cancelled(c);
        }
    }
    /* The reply stream is this instance's alone. */
    if (tl_dist_drop_reply(r->prod, r->reply) != TL_OK)
        tl_warn("msg=\"remote provider: reply stream left in Redis\" stream=%s", r->reply);
    tl_dist_queue_destroy(r->reader);
    tl_dist_queue_destroy(r->prod);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static const tl_provider_ops remote_ops = {
    .submit = rm_submit,
    .cancel = rm_cancel,
    .destroy = rm_destroy,
};

void tl_dist_remote_stats_get(tl_provider *p, tl_dist_remote_stats *st)
{
    remote *r = (remote *)p;
    pthread_mutex_lock(&r->mu);
    *st = r->st;
    pthread_mutex_unlock(&r->mu);
}

tl_err tl_dist_remote_create(const tl_dist_remote_opts *opts, tl_provider **out)
{
    if (!opts || !opts->url || !out)
        return TL_EINVAL;
    remote *r = calloc(1, sizeof *r);
    if (!r)
        return TL_ENOMEM;
    r->base.ops = &remote_ops;
    snprintf(r->name, sizeof r->name, "%s", opts->name ? opts->name : "remote");
    r->base.name = r->name;
    r->base.model = NULL;
    if (opts->model) {
        snprintf(r->model, sizeof r->model, "%s", opts->model);
        r->base.model = r->model;
    }
    if (opts->target) {
        snprintf(r->target, sizeof r->target, "%s", opts->target);
        r->has_target = true;
    }
    r->band = opts->band ? opts->band : 1;
    r->resend_after_ms = opts->resend_after_ms;
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = now_ms() ^ ((uint64_t)getpid() << 20);
    char host[32] = "h";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(r->instance, sizeof r->instance, "%s-%ld-%08" PRIx64, host, (long)getpid(),
             rnd & 0xffffffffu);
    const char *prefix = opts->prefix ? opts->prefix : "tailor";
    snprintf(r->reply, sizeof r->reply, "%s:reply:%s", prefix, r->instance);
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return TL_ENOMEM;
    }
    tl_dist_queue_opts qo;
    tl_dist_queue_opts_default(&qo);
    qo.url = opts->url;
    qo.prefix = prefix;
    r->bands = qo.bands;
    tl_err e = tl_dist_queue_create(&r->prod, &qo);
    if (e == TL_OK)
        e = tl_dist_queue_create(&r->reader, &qo);
    if (e == TL_OK && pthread_create(&r->th, NULL, reader_main, r) != 0)
        e = TL_ENOMEM;
    if (e) {
        tl_dist_queue_destroy(r->reader);
        tl_dist_queue_destroy(r->prod);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return e;
    }
    *out = &r->base;
    return TL_OK;
}
