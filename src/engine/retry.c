/* Retry policy: backoff arithmetic and a bucketed sliding window of calls
 * and retries, under one mutex. */
#include "engine/retry.h"

#include <pthread.h>

#include "engine/alloc.h"

#define BUCKETS 10

typedef struct bucket {
    uint64_t idx; /* which bucket-width slice of time it counts */
    uint64_t calls, retries;
} bucket;

struct tl_retry {
    pthread_mutex_t mu;
    const tl_clock *clock;
    tl_rng *rng;
    tl_xoshiro own_rng;
    unsigned max_attempts, percent;
    uint64_t base, max_delay, max_ra;
    uint64_t width;       /* budget_window / BUCKETS */
    uint64_t floor_total; /* retries always allowed per window */
    bucket b[BUCKETS];
    uint64_t retries, denied, exhausted, too_long;
};

void tl_retry_opts_default(tl_retry_opts *o)
{
    *o = (tl_retry_opts){
        .max_attempts = 4,
        .base_delay_ns = 250 * TL_NS_PER_MS,
        .max_delay_ns = 20 * TL_NS_PER_SEC,
        .max_retry_after_ns = 120 * TL_NS_PER_SEC,
        .budget_percent = 20,
        .budget_window_ns = 10 * TL_NS_PER_SEC,
        .budget_floor_per_sec = 3,
    };
}

static int opts_valid(const tl_retry_opts *o)
{
    /* The limits keep the budget arithmetic far from overflow. */
    return o->max_attempts >= 1 && o->max_attempts <= 64 && o->base_delay_ns <= o->max_delay_ns &&
           o->budget_window_ns >= BUCKETS && o->budget_window_ns <= 3600 * TL_NS_PER_SEC &&
           o->budget_percent <= 1000 && o->budget_floor_per_sec <= 1000000;
}

tl_err tl_retry_create(tl_retry **out, const tl_retry_opts *opts)
{
    tl_retry_opts def;
    if (!opts) {
        tl_retry_opts_default(&def);
        opts = &def;
    }
    if (!out || !opts_valid(opts))
        return TL_EINVAL;
    tl_retry *r = tl__calloc(1, sizeof *r);
    if (!r)
        return TL_ENOMEM;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        tl__free(r);
        return TL_ENOMEM;
    }
    r->clock = opts->clock ? opts->clock : tl_clock_real();
    tl_xoshiro_init(&r->own_rng, opts->seed ? opts->seed : tl_rng_os_seed());
    r->rng = opts->rng ? opts->rng : &r->own_rng.base;
    r->max_attempts = opts->max_attempts;
    r->percent = opts->budget_percent;
    r->base = opts->base_delay_ns;
    r->max_delay = opts->max_delay_ns;
    r->max_ra = opts->max_retry_after_ns;
    r->width = opts->budget_window_ns / BUCKETS;
    /* floor/s x window in seconds, kept exact for windows that are not
     * whole seconds. */
    r->floor_total = opts->budget_floor_per_sec * opts->budget_window_ns / TL_NS_PER_SEC;
    *out = r;
    return TL_OK;
}

void tl_retry_destroy(tl_retry *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    tl__free(r);
}

/* The bucket counting time `now`, emptied if it last counted an older slice. */
static bucket *current(tl_retry *r, uint64_t now)
{
    uint64_t idx = now / r->width;
    bucket *k = &r->b[idx % BUCKETS];
    if (k->idx != idx)
        *k = (bucket){idx, 0, 0};
    return k;
}

/* Calls and retries of the window ending now (the current slice and the
 * BUCKETS - 1 before it). */
static void window(const tl_retry *r, uint64_t now, uint64_t *calls, uint64_t *retries)
{
    uint64_t idx = now / r->width;
    *calls = *retries = 0;
    for (int i = 0; i < BUCKETS; i++) {
        const bucket *k = &r->b[i];
        if (k->idx + BUCKETS > idx && k->idx <= idx) {
            *calls += k->calls;
            *retries += k->retries;
        }
    }
}

void tl_retry_note_call(tl_retry *r)
{
    uint64_t now = tl_clock_now(r->clock);
    pthread_mutex_lock(&r->mu);
    current(r, now)->calls++;
    pthread_mutex_unlock(&r->mu);
}

/* Full jitter over the capped exponential for retry n >= 1. */
static uint64_t backoff(tl_retry *r, unsigned n)
{
    uint64_t cap = r->base;
    for (unsigned i = 1; i < n && cap < r->max_delay; i++)
        cap = cap > r->max_delay / 2 ? r->max_delay : cap * 2;
    if (cap > r->max_delay)
        cap = r->max_delay;
    return tl_rng_below(r->rng, cap + 1);
}

tl_retry_verdict tl_retry_next(tl_retry *r, unsigned attempts_made, uint64_t retry_after_ns,
                               uint64_t *delay_ns)
{
    uint64_t now = tl_clock_now(r->clock);
    tl_retry_verdict v = TL_RETRY_AFTER;
    uint64_t delay = 0;
    pthread_mutex_lock(&r->mu);
    if (attempts_made >= r->max_attempts) {
        v = TL_RETRY_EXHAUSTED;
        r->exhausted++;
    } else if (retry_after_ns > r->max_ra) {
        v = TL_RETRY_TOO_LONG;
        r->too_long++;
    } else {
        uint64_t calls, retries;
        window(r, now, &calls, &retries);
        if ((retries + 1) * 100 > calls * r->percent + r->floor_total * 100) {
            v = TL_RETRY_NO_BUDGET;
            r->denied++;
        } else {
            current(r, now)->retries++;
            r->retries++;
            delay = backoff(r, attempts_made ? attempts_made : 1);
            if (delay < retry_after_ns)
                delay = retry_after_ns;
        }
    }
    pthread_mutex_unlock(&r->mu);
    *delay_ns = delay;
    return v;
}

void tl_retry_stats_get(tl_retry *r, tl_retry_stats *st)
{
    uint64_t now = tl_clock_now(r->clock);
    pthread_mutex_lock(&r->mu);
    window(r, now, &st->calls_in_window, &st->retries_in_window);
    st->retries = r->retries;
    st->denied_budget = r->denied;
    st->exhausted = r->exhausted;
    st->too_long = r->too_long;
    pthread_mutex_unlock(&r->mu);
}
