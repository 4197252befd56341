/* Rate limiter: two token buckets, a block-until time, and an AIMD
 * concurrency limit, all under one mutex. Bucket levels are doubles in
 * units (requests or tokens): refill is elapsed * per_minute / 60 s, and
 * waits are computed as deficit * 60 s / per_minute, so whole-unit
 * deficits at whole per-minute rates give exact nanoseconds. */
#include "engine/ratelimit.h"

#include <math.h>
#include <pthread.h>

#include "engine/alloc.h"

#define NS_PER_MIN (60.0 * (double)TL_NS_PER_SEC)

typedef struct bucket {
    bool on;
    double per_min, cap, level;
} bucket;

struct tl_ratelimit {
    pthread_mutex_t mu;
    const tl_clock *clock;
    bucket req, tok;
    uint64_t last_ns;       /* buckets refilled up to here */
    uint64_t blocked_until; /* no admission before */
    unsigned limit, lo, hi, in_flight, increase_after, successes;
    double factor;
    uint64_t epoch; /* bumped by each cut: 429s of older calls do not cut again */
    uint64_t default_retry_after;
    uint64_t admitted, waits, busy, limited;
};

static void bucket_init(bucket *b, uint64_t per_min, uint64_t burst)
{
    b->on = per_min > 0;
    b->per_min = (double)per_min;
    b->cap = (double)(burst ? burst : per_min);
    b->level = b->cap;
}

static void refill(tl_ratelimit *rl, uint64_t now)
{
    if (now <= rl->last_ns)
        return;
    double dt = (double)(now - rl->last_ns);
    bucket *bs[2] = {&rl->req, &rl->tok};
    for (int i = 0; i < 2; i++) {
        bucket *b = bs[i];
        if (b->on)
            b->level = fmin(b->cap, b->level + dt * b->per_min / NS_PER_MIN);
    }
    rl->last_ns = now;
}

/* Nanoseconds until b holds `need` (capped at its size, so that an
 * oversized request waits for a full bucket instead of forever). */
static uint64_t bucket_wait(const bucket *b, double need)
{
    if (!b->on)
        return 0;
    need = fmin(need, b->cap);
    if (b->level >= need)
        return 0;
    return (uint64_t)ceil((need - b->level) * NS_PER_MIN / b->per_min);
}

static void bucket_take(bucket *b, double n)
{
    if (b->on)
        b->level = fmax(b->level - n, -b->cap); /* debt is capped at one burst */
}

void tl_ratelimit_opts_default(tl_ratelimit_opts *o)
{
    *o = (tl_ratelimit_opts){
        .clock = NULL,
        .max_concurrency = 16,
        .min_concurrency = 1,
        .decrease_factor = 0.5,
        .default_retry_after_ns = TL_NS_PER_SEC,
    };
}

static bool opts_valid(const tl_ratelimit_opts *o)
{
    return o->min_concurrency >= 1 && o->max_concurrency >= o->min_concurrency &&
           o->decrease_factor > 0.0 && o->decrease_factor < 1.0 &&
           (o->request_burst == 0 || o->requests_per_minute > 0) &&
           (o->token_burst == 0 || o->tokens_per_minute > 0);
}

tl_err tl_ratelimit_create(tl_ratelimit **out, const tl_ratelimit_opts *opts)
{
    tl_ratelimit_opts def;
    if (!opts) {
        tl_ratelimit_opts_default(&def);
        opts = &def;
    }
    if (!out || !opts_valid(opts))
        return TL_EINVAL;
    tl_ratelimit *rl = tl__calloc(1, sizeof *rl);
    if (!rl)
        return TL_ENOMEM;
    if (pthread_mutex_init(&rl->mu, NULL) != 0) {
        tl__free(rl);
        return TL_ENOMEM;
    }
    rl->clock = opts->clock ? opts->clock : tl_clock_real();
    bucket_init(&rl->req, opts->requests_per_minute, opts->request_burst);
    bucket_init(&rl->tok, opts->tokens_per_minute, opts->token_burst);
    rl->last_ns = tl_clock_now(rl->clock);
    rl->limit = rl->hi = opts->max_concurrency;
    rl->lo = opts->min_concurrency;
    rl->factor = opts->decrease_factor;
    rl->increase_after = opts->increase_after;
    rl->default_retry_after = opts->default_retry_after_ns;
    *out = rl;
    return TL_OK;
}

void tl_ratelimit_destroy(tl_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    tl__free(rl);
}

tl_rl_status tl_ratelimit_reserve(tl_ratelimit *rl, uint64_t est_tokens, tl_rl_ticket *t,
                                  uint64_t *wait_ns)
{
    uint64_t now = tl_clock_now(rl->clock);
    tl_rl_status st;
    uint64_t wait = 0;
    pthread_mutex_lock(&rl->mu);
    refill(rl, now);
    if (now < rl->blocked_until) {
        wait = rl->blocked_until - now;
        st = TL_RL_WAIT;
    } else if (rl->in_flight >= rl->limit) {
        st = TL_RL_BUSY;
    } else {
        uint64_t wr = bucket_wait(&rl->req, 1.0);
        uint64_t wt = bucket_wait(&rl->tok, (double)est_tokens);
        wait = wr > wt ? wr : wt;
        st = wait ? TL_RL_WAIT : TL_RL_OK;
    }
    if (st == TL_RL_OK) {
        bucket_take(&rl->req, 1.0);
        bucket_take(&rl->tok, (double)est_tokens);
        rl->in_flight++;
        rl->admitted++;
        *t = (tl_rl_ticket){est_tokens, rl->epoch, true};
    } else if (st == TL_RL_WAIT) {
        rl->waits++;
    } else {
        rl->busy++;
    }
    pthread_mutex_unlock(&rl->mu);
    *wait_ns = wait;
    return st;
}

/* Multiplicative decrease, once per episode (rl->mu held). */
static void on_limited(tl_ratelimit *rl, const tl_rl_ticket *t, uint64_t retry_after, uint64_t now)
{
    rl->limited++;
    uint64_t ra = retry_after ? retry_after : rl->default_retry_after;
    if (now + ra > rl->blocked_until)
        rl->blocked_until = now + ra;
    if (t->epoch_ != rl->epoch)
        return; /* admitted before the last cut: that cut already answered it */
    unsigned cut = (unsigned)floor(rl->limit * rl->factor);
    rl->limit = cut < rl->lo ? rl->lo : cut;
    rl->epoch++;
    rl->successes = 0;
}

/* Additive increase: +1 per window of successes (rl->mu held). */
static void on_success(tl_ratelimit *rl)
{
    unsigned window = rl->increase_after ? rl->increase_after : rl->limit;
    if (rl->limit >= rl->hi) {
        rl->successes = 0;
        return;
    }
    if (++rl->successes >= window) {
        rl->limit++;
        rl->successes = 0;
    }
}

void tl_ratelimit_settle(tl_ratelimit *rl, tl_rl_ticket *t, const tl_rl_outcome *o)
{
    if (!t->held_)
        return;
    t->held_ = false;
    uint64_t now = tl_clock_now(rl->clock);
    pthread_mutex_lock(&rl->mu);
    refill(rl, now);
    rl->in_flight--;
    if (o->result == TL_RL_NOT_SENT) {
        bucket_take(&rl->req, -1.0);
        bucket_take(&rl->tok, -(double)t->tokens_);
    } else {
        bucket_take(&rl->tok, (double)o->actual_tokens - (double)t->tokens_);
    }
    /* A refund may not lift a bucket above its size. */
    rl->req.level = fmin(rl->req.level, rl->req.cap);
    rl->tok.level = fmin(rl->tok.level, rl->tok.cap);
    if (o->result == TL_RL_LIMITED)
        on_limited(rl, t, o->retry_after_ns, now);
    else if (o->result == TL_RL_SUCCESS)
        on_success(rl);
    pthread_mutex_unlock(&rl->mu);
}

static void correct(bucket *b, int64_t remaining)
{
    if (b->on && remaining >= 0 && (double)remaining < b->level)
        b->level = (double)remaining;
}

void tl_ratelimit_observe_headers(tl_ratelimit *rl, int64_t remaining_requests,
                                  int64_t remaining_tokens, int64_t reset_ms)
{
    uint64_t now = tl_clock_now(rl->clock);
    pthread_mutex_lock(&rl->mu);
    refill(rl, now);
    correct(&rl->req, remaining_requests);
    correct(&rl->tok, remaining_tokens);
    if ((remaining_requests == 0 || remaining_tokens == 0) && reset_ms > 0) {
        uint64_t until = now + (uint64_t)reset_ms * TL_NS_PER_MS;
        if (until > rl->blocked_until)
            rl->blocked_until = until;
    }
    pthread_mutex_unlock(&rl->mu);
}

void tl_ratelimit_stats_get(tl_ratelimit *rl, tl_ratelimit_stats *st)
{
    uint64_t now = tl_clock_now(rl->clock);
    pthread_mutex_lock(&rl->mu);
    refill(rl, now);
    st->limit = rl->limit;
    st->in_flight = rl->in_flight;
    st->requests_available = rl->req.on ? rl->req.level : -1;
    st->tokens_available = rl->tok.on ? rl->tok.level : -1;
    st->blocked_until_ns = now < rl->blocked_until ? rl->blocked_until : 0;
    st->admitted = rl->admitted;
    st->waits = rl->waits;
    st->busy = rl->busy;
    st->limited = rl->limited;
    pthread_mutex_unlock(&rl->mu);
}
