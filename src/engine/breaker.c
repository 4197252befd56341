/* Circuit breaker. The state and a generation number share one atomic word
 * so that acquire in CLOSED reads both in one load, without the lock; every
 * transition happens under b->mu and bumps the generation, which lets
 * record() discard outcomes of calls admitted in an earlier state. */
#include "engine/breaker.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"

enum { KIND_NORMAL = 1, KIND_TRIAL, KIND_UNTRACKED };

#define STATE_BITS 3
#define STATE_MASK 7u

typedef struct bucket {
    uint64_t sec;
    unsigned calls, fails, slows;
} bucket;

struct tl_breaker {
    _Atomic uint32_t sg; /* generation << STATE_BITS | state */
    atomic_uint_fast64_t not_permitted;
    pthread_mutex_t mu;
    const tl_clock *clock;
    char name[64];
    tl_breaker_event_cb on_event;
    void *event_ud;
    unsigned fail_thr, slow_thr, min_calls, half_open_calls, size, max_streak;
    tl_breaker_window type;
    uint64_t slow_ns, base_wait, max_wait;
    double backoff;

    /* the window: totals, and either a ring of outcomes or per-second buckets */
    unsigned calls, fails, slows;
    unsigned streak; /* failures in a row, the last outcome included */
    uint8_t *ring;   /* bit 0 failure, bit 1 slow */
    unsigned head, filled;
    bucket *buckets;
    uint64_t last_sec;

    uint64_t open_until, wait;
    unsigned trial_taken, trial_done, trial_fails, trial_slows;
};

/* An event decided under the lock, reported after it is released. */
typedef struct pending {
    bool due;
    tl_breaker_event ev;
} pending;

static inline tl_breaker_state state_of(uint32_t sg)
{
    return (tl_breaker_state)(sg & STATE_MASK);
}

/* ---- window ------------------------------------------------------------------ */

static void window_reset(tl_breaker *b)
{
    b->calls = b->fails = b->slows = 0;
    b->streak = 0;
    b->head = b->filled = 0;
    if (b->ring)
        memset(b->ring, 0, b->size);
    if (b->buckets)
        memset(b->buckets, 0, (size_t)b->size * sizeof *b->buckets);
}

/* Time window: clears the buckets of the seconds that passed since the last
 * call, at most window_size of them (amortised O(1)). */
static void window_advance(tl_breaker *b, uint64_t now)
{
    uint64_t sec = now / TL_NS_PER_SEC;
    if (sec <= b->last_sec)
        return;
    if (sec - b->last_sec >= b->size) {
        memset(b->buckets, 0, (size_t)b->size * sizeof *b->buckets);
        b->calls = b->fails = b->slows = 0;
    } else {
        for (uint64_t s = b->last_sec + 1; s <= sec; s++) {
            bucket *k = &b->buckets[s % b->size];
            b->calls -= k->calls;
            b->fails -= k->fails;
            b->slows -= k->slows;
            *k = (bucket){s, 0, 0, 0};
        }
    }
    b->last_sec = sec;
}

static void window_add(tl_breaker *b, bool fail, bool slow, uint64_t now)
{
    if (b->type == TL_BREAKER_TIME) {
        window_advance(b, now);
        bucket *k = &b->buckets[b->last_sec % b->size];
        k->calls++;
        k->fails += fail;
        k->slows += slow;
    } else {
        if (b->filled == b->size) {
            uint8_t old = b->ring[b->head];
            b->calls--;
            b->fails -= old & 1u;
            b->slows -= (old >> 1) & 1u;
        } else {
            b->filled++;
        }
        b->ring[b->head] = (uint8_t)(fail | (slow << 1));
        if (++b->head == b->size)
            b->head = 0;
    }
    b->calls++;
    b->fails += fail;
    b->slows += slow;
    b->streak = fail ? b->streak + 1 : 0;
}

static unsigned min_calls_needed(const tl_breaker *b)
{
    if (b->type == TL_BREAKER_COUNT && b->size < b->min_calls)
        return b->size;
    return b->min_calls;
}

static inline double pct(unsigned part, unsigned whole)
{
    return whole ? 100.0 * part / whole : -1.0;
}

static inline bool over(unsigned part, unsigned whole, unsigned threshold)
{
    return (uint64_t)part * 100 >= (uint64_t)threshold * whole;
}

/* ---- transitions ------------------------------------------------------------ */

/* Moves to `to` (b->mu held), sets up what the new state needs, and
 * prepares the event. */
static void move(tl_breaker *b, tl_breaker_state to, uint64_t now, double frate, double srate,
                 pending *pe)
{
    uint32_t sg = atomic_load_explicit(&b->sg, memory_order_relaxed);
    tl_breaker_state from = state_of(sg);
    switch (to) {
    case TL_BREAKER_CLOSED:
        window_reset(b);
        b->last_sec = now / TL_NS_PER_SEC;
        b->wait = b->base_wait;
        break;
    case TL_BREAKER_OPEN: b->open_until = now + b->wait; break;
    case TL_BREAKER_HALF_OPEN:
        b->trial_taken = b->trial_done = b->trial_fails = b->trial_slows = 0;
        break;
    default: break;
    }
    uint32_t gen = (sg >> STATE_BITS) + 1;
    atomic_store_explicit(&b->sg, gen << STATE_BITS | (uint32_t)to, memory_order_release);
    pe->due = b->on_event != NULL;
    pe->ev = (tl_breaker_event){
        b->name, from, to, now, frate, srate, to == TL_BREAKER_OPEN ? b->wait : 0};
}

static void emit(tl_breaker *b, const pending *pe)
{
    if (pe->due)
        b->on_event(b->event_ud, &pe->ev);
}

static bool streak_trips(const tl_breaker *b)
{
    return b->max_streak && b->streak >= b->max_streak;
}

static bool window_trips(const tl_breaker *b)
{
    return b->calls >= min_calls_needed(b) &&
           (over(b->fails, b->calls, b->fail_thr) || over(b->slows, b->calls, b->slow_thr));
}

/* CLOSED: open when the window or the run of failures says so. */
static void judge_window(tl_breaker *b, uint64_t now, pending *pe)
{
    if (window_trips(b) || streak_trips(b))
        move(b, TL_BREAKER_OPEN, now, pct(b->fails, b->calls), pct(b->slows, b->calls), pe);
}

/* HALF_OPEN: once every trial has reported, close or open again (longer). */
static void judge_trials(tl_breaker *b, uint64_t now, pending *pe)
{
    if (b->trial_done < b->half_open_calls)
        return;
    unsigned n = b->trial_done;
    double fr = pct(b->trial_fails, n), sr = pct(b->trial_slows, n);
    if (over(b->trial_fails, n, b->fail_thr) || over(b->trial_slows, n, b->slow_thr)) {
        double w = (double)b->wait * b->backoff;
        b->wait = w >= (double)b->max_wait ? b->max_wait : (uint64_t)w;
        move(b, TL_BREAKER_OPEN, now, fr, sr, pe);
    } else {
        move(b, TL_BREAKER_CLOSED, now, fr, sr, pe);
    }
}

/* ---- lifecycle ------------------------------------------------------------- */

void tl_breaker_opts_default(tl_breaker_opts *o)
{
    *o = (tl_breaker_opts){
        .clock = NULL,
        .name = "breaker",
        .failure_rate_threshold = 50,
        .slow_rate_threshold = 100,
        .slow_call_ns = 60 * TL_NS_PER_SEC,
        .window_type = TL_BREAKER_COUNT,
        .window_size = 100,
        .minimum_calls = 100,
        .wait_in_open_ns = 60 * TL_NS_PER_SEC,
        .half_open_calls = 10,
        .open_backoff = 1.0,
        .max_wait_in_open_ns = 0,
    };
}

void tl_breaker_opts_llm(tl_breaker_opts *o)
{
    tl_breaker_opts_default(o);
    o->window_size = 100;
    o->minimum_calls = 50;
    o->consecutive_failures = 8;
    o->slow_call_ns = 30 * TL_NS_PER_SEC;
    o->wait_in_open_ns = 10 * TL_NS_PER_SEC;
    o->open_backoff = 2.0;
    o->max_wait_in_open_ns = 120 * TL_NS_PER_SEC;
    o->half_open_calls = 3;
}

static bool opts_valid(const tl_breaker_opts *o)
{
    unsigned max_size = o->window_type == TL_BREAKER_TIME ? 3600 : 100000;
    return o->failure_rate_threshold >= 1 && o->failure_rate_threshold <= 100 &&
           o->slow_rate_threshold >= 1 && o->slow_rate_threshold <= 100 && o->slow_call_ns > 0 &&
           (o->window_type == TL_BREAKER_COUNT || o->window_type == TL_BREAKER_TIME) &&
           o->window_size >= 1 && o->window_size <= max_size && o->minimum_calls >= 1 &&
           o->half_open_calls >= 1 && isfinite(o->open_backoff) && o->open_backoff >= 1.0;
}

tl_err tl_breaker_create(tl_breaker **out, const tl_breaker_opts *opts)
{
    tl_breaker_opts def;
    if (!opts) {
        tl_breaker_opts_default(&def);
        opts = &def;
    }
    if (!out || !opts_valid(opts))
        return TL_EINVAL;
    tl_breaker *b = tl__calloc(1, sizeof *b);
    if (!b)
        return TL_ENOMEM;
    b->clock = opts->clock ? opts->clock : tl_clock_real();
    snprintf(b->name, sizeof b->name, "%s", opts->name ? opts->name : "breaker");
    b->on_event = opts->on_event;
    b->event_ud = opts->event_ud;
    b->fail_thr = opts->failure_rate_threshold;
    b->slow_thr = opts->slow_rate_threshold;
    b->slow_ns = opts->slow_call_ns;
    b->type = opts->window_type;
    b->size = opts->window_size;
    b->min_calls = opts->minimum_calls;
    b->max_streak = opts->consecutive_failures;
    b->half_open_calls = opts->half_open_calls;
    b->base_wait = b->wait = opts->wait_in_open_ns;
    b->max_wait =
        opts->max_wait_in_open_ns > b->base_wait ? opts->max_wait_in_open_ns : b->base_wait;
    b->backoff = opts->open_backoff;
    b->last_sec = tl_clock_now(b->clock) / TL_NS_PER_SEC;
    if (b->type == TL_BREAKER_TIME)
        b->buckets = tl__calloc(b->size, sizeof *b->buckets);
    else
        b->ring = tl__calloc(b->size, 1);
    if (!b->buckets && !b->ring)
        goto fail;
    if (pthread_mutex_init(&b->mu, NULL) != 0)
        goto fail;
    atomic_init(&b->sg, (uint32_t)TL_BREAKER_CLOSED);
    atomic_init(&b->not_permitted, 0);
    *out = b;
    return TL_OK;
fail:
    tl__free(b->buckets);
    tl__free(b->ring);
    tl__free(b);
    return TL_ENOMEM;
}

void tl_breaker_destroy(tl_breaker *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    tl__free(b->buckets);
    tl__free(b->ring);
    tl__free(b);
}

/* ---- calls -------------------------------------------------------------------- */

static bool refuse(tl_breaker *b)
{
    atomic_fetch_add_explicit(&b->not_permitted, 1, memory_order_relaxed);
    return false;
}

/* OPEN and HALF_OPEN need the clock and the trial counters: the lock. */
static bool acquire_slow(tl_breaker *b, tl_breaker_permit *p)
{
    pending pe = {0};
    bool ok = false;
    pthread_mutex_lock(&b->mu);
    uint32_t sg = atomic_load_explicit(&b->sg, memory_order_relaxed);
    if (state_of(sg) == TL_BREAKER_OPEN) {
        uint64_t now = tl_clock_now(b->clock);
        if (now >= b->open_until) {
            move(b, TL_BREAKER_HALF_OPEN, now, -1, -1, &pe);
            sg = atomic_load_explicit(&b->sg, memory_order_relaxed);
        }
    }
    switch (state_of(sg)) {
    case TL_BREAKER_HALF_OPEN:
        if (b->trial_taken < b->half_open_calls) {
            b->trial_taken++;
            *p = (tl_breaker_permit){sg >> STATE_BITS, KIND_TRIAL};
            ok = true;
        }
        break;
    case TL_BREAKER_CLOSED: /* changed while we waited for the lock */
        *p = (tl_breaker_permit){sg >> STATE_BITS, KIND_NORMAL};
        ok = true;
        break;
    case TL_BREAKER_DISABLED:
        *p = (tl_breaker_permit){0, KIND_UNTRACKED};
        ok = true;
        break;
    default: break;
    }
    pthread_mutex_unlock(&b->mu);
    emit(b, &pe);
    return ok ? true : refuse(b);
}

bool tl_breaker_acquire(tl_breaker *b, tl_breaker_permit *p)
{
    uint32_t sg = atomic_load_explicit(&b->sg, memory_order_acquire);
    switch (state_of(sg)) {
    case TL_BREAKER_CLOSED: *p = (tl_breaker_permit){sg >> STATE_BITS, KIND_NORMAL}; return true;
    case TL_BREAKER_DISABLED: *p = (tl_breaker_permit){0, KIND_UNTRACKED}; return true;
    case TL_BREAKER_FORCED_OPEN: return refuse(b);
    default: return acquire_slow(b, p);
    }
}

void tl_breaker_record(tl_breaker *b, const tl_breaker_permit *p, tl_breaker_outcome o,
                       uint64_t duration_ns)
{
    if (p->kind_ == KIND_UNTRACKED)
        return;
    bool fail = o == TL_BREAKER_FAILURE, slow = duration_ns >= b->slow_ns;
    pending pe = {0};
    pthread_mutex_lock(&b->mu);
    uint32_t sg = atomic_load_explicit(&b->sg, memory_order_relaxed);
    if (p->gen_ != sg >> STATE_BITS)
        goto out; /* admitted in an earlier state: it says nothing about this one */
    if (state_of(sg) == TL_BREAKER_CLOSED && p->kind_ == KIND_NORMAL) {
        if (o == TL_BREAKER_IGNORED)
            goto out;
        /* Only the time window and a transition need the clock. */
        uint64_t now = b->type == TL_BREAKER_TIME ? tl_clock_now(b->clock) : 0;
        window_add(b, fail, slow, now);
        if (window_trips(b) || streak_trips(b))
            judge_window(b, now ? now : tl_clock_now(b->clock), &pe);
    } else if (state_of(sg) == TL_BREAKER_HALF_OPEN && p->kind_ == KIND_TRIAL) {
        if (o == TL_BREAKER_IGNORED) {
            b->trial_taken--; /* the slot goes to another trial */
            goto out;
        }
        b->trial_done++;
        b->trial_fails += fail;
        b->trial_slows += slow;
        judge_trials(b, tl_clock_now(b->clock), &pe);
    }
out:
    pthread_mutex_unlock(&b->mu);
    emit(b, &pe);
}

tl_breaker_outcome tl_breaker_classify_http(int status)
{
    if (status == 0 || status == 408 || status == 429 || status >= 500)
        return TL_BREAKER_FAILURE;
    if (status >= 400)
        return TL_BREAKER_IGNORED;
    return TL_BREAKER_SUCCESS;
}

void tl_breaker_transition(tl_breaker *b, tl_breaker_state to)
{
    if ((unsigned)to > TL_BREAKER_DISABLED)
        return;
    pending pe = {0};
    pthread_mutex_lock(&b->mu);
    if (state_of(atomic_load_explicit(&b->sg, memory_order_relaxed)) != to)
        move(b, to, tl_clock_now(b->clock), -1, -1, &pe);
    pthread_mutex_unlock(&b->mu);
    emit(b, &pe);
}

tl_breaker_state tl_breaker_state_get(tl_breaker *b)
{
    return state_of(atomic_load_explicit(&b->sg, memory_order_acquire));
}

const char *tl_breaker_state_name(tl_breaker_state s)
{
    switch (s) {
    case TL_BREAKER_CLOSED: return "closed";
    case TL_BREAKER_OPEN: return "open";
    case TL_BREAKER_HALF_OPEN: return "half_open";
    case TL_BREAKER_FORCED_OPEN: return "forced_open";
    case TL_BREAKER_DISABLED: return "disabled";
    }
    return "unknown";
}

void tl_breaker_stats_get(tl_breaker *b, tl_breaker_stats *st)
{
    pthread_mutex_lock(&b->mu);
    if (b->type == TL_BREAKER_TIME)
        window_advance(b, tl_clock_now(b->clock));
    st->state = state_of(atomic_load_explicit(&b->sg, memory_order_relaxed));
    st->calls = b->calls;
    st->failures = b->fails;
    st->slow = b->slows;
    bool enough = b->calls >= min_calls_needed(b);
    st->failure_rate = enough ? pct(b->fails, b->calls) : -1;
    st->slow_rate = enough ? pct(b->slows, b->calls) : -1;
    st->open_until_ns = st->state == TL_BREAKER_OPEN ? b->open_until : 0;
    st->wait_ns = b->wait;
    pthread_mutex_unlock(&b->mu);
    st->not_permitted = atomic_load_explicit(&b->not_permitted, memory_order_relaxed);
}
