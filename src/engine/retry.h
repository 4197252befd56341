/* Retry policy, one per provider: exponential backoff with full jitter,
 * bounded attempts, Retry-After, and a retry budget.
 *
 * Delay before retry n (n = 1 for the first retry):
 *     cap   = min(max_delay, base_delay * 2^(n-1))
 *     delay = max(uniform[0, cap], retry_after)          ("full jitter")
 * Full jitter spreads the retries of many callers that failed together, so
 * they do not come back together. A Retry-After longer than
 * max_retry_after is not waited for: the caller should fall back instead.
 *
 * Budget: retries may add at most budget_percent of the first attempts
 * (calls) seen in the last budget_window, plus a floor of
 * budget_floor_per_sec retries per second of window that is always
 * allowed (so a quiet provider can still retry a few glitches):
 *     retries(window) + 1 <= calls(window) * percent / 100 + floor * window_s
 * With the defaults (20%, 10 s, 3/s) a provider in full outage sees at most
 * 1.2 x its normal load plus 30 retries per 10 s, never a retry storm that
 * multiplies load. The window is kept in 10 buckets (1 s each by default);
 * a bucket leaves the window whole.
 *
 * Time comes from the injected clock; randomness from the injected tl_rng
 * (or an internal xoshiro256** seeded from `seed`): equal seeds give equal
 * delays.
 *
 * Threads: one mutex per policy; any thread may call. Nothing allocates
 * after create. */
#ifndef TL_ENGINE_RETRY_H
#define TL_ENGINE_RETRY_H

#include <stdint.h>

#include "engine/clock.h"
#include "util/err.h"

typedef struct tl_retry tl_retry;

typedef struct tl_retry_opts {
    const tl_clock *clock;         /* default NULL: tl_clock_real() */
    tl_rng *rng;                   /* default NULL: internal, seeded from seed; a given
                                      rng is used under the policy's lock only */
    uint64_t seed;                 /* default 0: a seed from the operating system */
    unsigned max_attempts;         /* first attempt included, >= 1; default 4 */
    uint64_t base_delay_ns;        /* default 250 ms */
    uint64_t max_delay_ns;         /* default 20 s */
    uint64_t max_retry_after_ns;   /* default 120 s */
    unsigned budget_percent;       /* default 20; at most 1000 */
    uint64_t budget_window_ns;     /* default 10 s; 10 ns .. 1 hour */
    unsigned budget_floor_per_sec; /* default 3; at most 1e6 */
} tl_retry_opts;

void tl_retry_opts_default(tl_retry_opts *o);

/* opts NULL means the defaults. TL_EINVAL for an option out of range,
 * TL_ENOMEM; on error *out is untouched. */
TL_MUST_CHECK tl_err tl_retry_create(tl_retry **out, const tl_retry_opts *opts);
/* NULL does nothing. */
void tl_retry_destroy(tl_retry *r);

/* Counts a first attempt (a call) toward the budget. Call it for every
 * call that goes out, not for retries. */
void tl_retry_note_call(tl_retry *r);

typedef enum tl_retry_verdict {
    TL_RETRY_AFTER,     /* retry after *delay_ns (the retry is counted) */
    TL_RETRY_EXHAUSTED, /* max_attempts reached */
    TL_RETRY_NO_BUDGET, /* the budget is spent: fall back instead */
    TL_RETRY_TOO_LONG   /* Retry-After beyond max_retry_after: fall back */
} tl_retry_verdict;

/* After a failed attempt: should the caller retry, and after how long?
 * attempts_made counts the attempts so far, the first included (>= 1);
 * retry_after_ns is the answer's Retry-After (0: none). *delay_ns is set
 * for TL_RETRY_AFTER and 0 otherwise. */
tl_retry_verdict tl_retry_next(tl_retry *r, unsigned attempts_made, uint64_t retry_after_ns,
                               uint64_t *delay_ns);

typedef struct tl_retry_stats {
    uint64_t calls_in_window, retries_in_window;
    uint64_t retries, denied_budget, exhausted, too_long; /* since create */
} tl_retry_stats;

void tl_retry_stats_get(tl_retry *r, tl_retry_stats *st);

#endif
