/* Circuit breaker, one per provider and model.
 *
 * States (resilience4j's model):
 *   CLOSED      calls flow; outcomes fill a sliding window. Once the window
 *               holds at least minimum_calls outcomes and the failure rate
 *               or the slow-call rate reaches its threshold -> OPEN; also
 *               after consecutive_failures failures in a row, when set.
 *   OPEN        every call is refused at once, for wait_in_open. The first
 *               acquire after that -> HALF_OPEN.
 *   HALF_OPEN   half_open_calls trial calls are let through, no more; when
 *               all have reported, their failure and slow-call rates decide:
 *               below both thresholds -> CLOSED (fresh window), else -> OPEN
 *               again, with the wait multiplied by open_backoff (up to
 *               max_wait_in_open) for as long as the provider stays down.
 *   FORCED_OPEN refuses everything until an operator says otherwise.
 *   DISABLED    lets everything through and records nothing.
 *
 * Windows: TL_BREAKER_COUNT (the last window_size outcomes) or
 * TL_BREAKER_TIME (the outcomes of the last window_size seconds, kept in
 * one bucket per second). A call is slow when its duration is at least
 * slow_call_ns, whether it succeeded or failed.
 *
 * Outcomes: SUCCESS, FAILURE (timeouts, 5xx, 408, 429, broken answers) and
 * IGNORED (other client errors, fact-guard rejections, cancelled calls):
 * ignored outcomes do not count, but do release a half-open trial slot.
 * Only outcomes of calls admitted in the current state count: a call let
 * through while CLOSED that ends after the breaker opened changes nothing.
 *
 * Events: every state change is reported to on_event, on the thread whose
 * call caused it, after the breaker's lock is released (the callback may
 * call into the breaker). Changes made by different threads may be
 * reported in a different order than they happened.
 *
 * Cost: acquire in CLOSED or DISABLED is one atomic load; record takes one
 * uncontended mutex; neither allocates. Any thread may call anything. */
#ifndef TL_ENGINE_BREAKER_H
#define TL_ENGINE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/clock.h"
#include "util/err.h"

typedef struct tl_breaker tl_breaker;

typedef enum tl_breaker_state {
    TL_BREAKER_CLOSED,
    TL_BREAKER_OPEN,
    TL_BREAKER_HALF_OPEN,
    TL_BREAKER_FORCED_OPEN,
    TL_BREAKER_DISABLED
} tl_breaker_state;

typedef enum tl_breaker_window { TL_BREAKER_COUNT, TL_BREAKER_TIME } tl_breaker_window;

typedef enum tl_breaker_outcome {
    TL_BREAKER_SUCCESS,
    TL_BREAKER_FAILURE,
    TL_BREAKER_IGNORED
} tl_breaker_outcome;

typedef struct tl_breaker_event {
    const char *name; /* the breaker's name */
    tl_breaker_state from, to;
    uint64_t at_ns;
    double failure_rate; /* percent, over the window (or the trials) that decided; -1: none */
    double slow_rate;    /* percent, likewise */
    uint64_t wait_ns;    /* to OPEN: how long calls will be refused */
} tl_breaker_event;

typedef void (*tl_breaker_event_cb)(void *ud, const tl_breaker_event *ev);

typedef struct tl_breaker_opts {
    const tl_clock *clock;           /* default NULL: tl_clock_real() */
    const char *name;                /* copied (up to 63 bytes); default "breaker" */
    unsigned failure_rate_threshold; /* percent, 1..100; default 50 */
    unsigned slow_rate_threshold;    /* percent, 1..100; default 100 */
    uint64_t slow_call_ns;           /* default 60 s */
    tl_breaker_window window_type;   /* default TL_BREAKER_COUNT */
    unsigned window_size;            /* calls (1..100000) or seconds (1..3600); default 100 */
    unsigned minimum_calls;          /* default 100 (a count window needs at most window_size) */
    unsigned consecutive_failures;   /* also open after this many failures in a row, whatever
                                        the window says; default 0: off */
    uint64_t wait_in_open_ns;        /* default 60 s */
    unsigned half_open_calls;        /* trial calls, >= 1; default 10 */
    double open_backoff;             /* wait growth after failed trials, >= 1; default 1 (none) */
    uint64_t max_wait_in_open_ns;    /* cap of that growth; default 0: wait_in_open_ns */
    tl_breaker_event_cb on_event;    /* default NULL */
    void *event_ud;
} tl_breaker_opts;

/* resilience4j's defaults, as listed above. */
void tl_breaker_opts_default(tl_breaker_opts *o);
/* For LLM providers, whose outages are short and frequent and whose calls
 * are few and slow: count window 100, minimum 50 calls, 8 failures in a
 * row, slow call 30 s, open 10 s growing x2 up to 120 s, 3 trial calls
 * (each trial is a costly call into a provider that may still be down).
 * Two rules, because one window cannot do both jobs: a provider that
 * fails a quarter of its calls is not down and must stay closed, while a
 * dead provider must cost few calls. Failures do not come evenly: calls
 * that time out finish together, late, while the slots they hold let few
 * other calls finish, so in completion order the failures bunch (against
 * fake-llm failing 25% of calls, 5% by timeout, windows of 60 outcomes
 * reached 50%; a window of 20 does so in 94% of 1,000-call runs even when
 * failures are independent). A run of 8 failures in a row marks the
 * outage instead (at 25% independent failures one comes about once in
 * 90,000 calls). */
void tl_breaker_opts_llm(tl_breaker_opts *o);

/* Creates a closed breaker; opts NULL means the defaults. TL_EINVAL for an
 * option out of range, TL_ENOMEM; on error *out is untouched. */
TL_MUST_CHECK tl_err tl_breaker_create(tl_breaker **out, const tl_breaker_opts *opts);
/* NULL does nothing. No call may be in progress on other threads. */
void tl_breaker_destroy(tl_breaker *b);

/* What acquire hands out and record takes back; opaque to the caller. */
typedef struct tl_breaker_permit {
    uint32_t gen_;
    uint8_t kind_;
} tl_breaker_permit;

/* May a call go out now? true: make it, then report with record(); false:
 * refused (OPEN, FORCED_OPEN, or HALF_OPEN with every trial slot taken). */
bool tl_breaker_acquire(tl_breaker *b, tl_breaker_permit *p);

/* Reports the outcome of a call admitted by acquire (exactly once per true
 * acquire). duration_ns is the call's latency, for the slow-call rate. */
void tl_breaker_record(tl_breaker *b, const tl_breaker_permit *p, tl_breaker_outcome o,
                       uint64_t duration_ns);

/* How an HTTP answer counts: 2xx/3xx success; 408, 429 and 5xx failure;
 * other 4xx ignored; status 0 (no answer: connection error, timeout) failure. */
tl_breaker_outcome tl_breaker_classify_http(int status);

/* Operator transitions. To CLOSED: fresh window, base wait. To OPEN: a wait
 * starts now. FORCED_OPEN and DISABLED stay until the next transition.
 * Reports the change as an event (nothing when already in that state). */
void tl_breaker_transition(tl_breaker *b, tl_breaker_state to);

tl_breaker_state tl_breaker_state_get(tl_breaker *b);
const char *tl_breaker_state_name(tl_breaker_state s);

typedef struct tl_breaker_stats {
    tl_breaker_state state;
    unsigned calls, failures, slow; /* in the window now */
    double failure_rate, slow_rate; /* percent; -1 while below the minimum calls */
    uint64_t not_permitted;         /* refused acquires since create */
    uint64_t open_until_ns;         /* OPEN: when trial calls may start; else 0 */
    uint64_t wait_ns;               /* the current wait in OPEN (grows with backoff) */
} tl_breaker_stats;

void tl_breaker_stats_get(tl_breaker *b, tl_breaker_stats *st);

#endif
