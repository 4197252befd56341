/* Rate limiter, one per provider: token buckets plus an adaptive
 * concurrency limit.
 *
 * Buckets. Requests per minute and tokens per minute, each a token bucket
 * on the injected clock that refills continuously at limit/60 s per second
 * up to its burst (default: one minute's allowance, which is how providers
 * state their limits). A request takes 1 from the request bucket and its
 * estimated tokens from the token bucket; once answered, settle() charges
 * or refunds the difference between the estimate and the tokens the
 * provider actually counted. A request larger than the token burst is let
 * through when the bucket is full and leaves it in debt, rather than never.
 *
 * Waiting, not failing: reserve() either admits the request or says how
 * long until it could be admitted (TL_RL_WAIT), or that the concurrency
 * limit is reached (TL_RL_BUSY: try again when a call settles). Nothing is
 * taken unless it admits. Ordering between waiting requests is the
 * scheduler's business.
 *
 * Server corrections. observe_headers() takes the provider's own view
 * (x-ratelimit-remaining-requests / -tokens, reset time): when the server
 * has less room than the buckets think (other clients share the key), the
 * buckets drop to the server's figure; the buckets are never raised by it,
 * because requests of ours still in flight may not be in the server's count.
 * Zero remaining with a reset time holds every request until the reset.
 *
 * Adaptive concurrency (AIMD). At most `limit` calls in flight; limit
 * starts at max_concurrency. A rate-limited answer (429) blocks all calls
 * until its Retry-After has passed (default_retry_after when the answer
 * gives none) and multiplies limit by decrease_factor (floor, at least
 * min_concurrency) -- once per congestion episode: 429s of calls admitted
 * before the cut do not cut again. Each run of `limit` successes (or
 * increase_after, if set) raises limit by 1 up to max_concurrency. Only 429
 * cuts: a slow answer or a failure (timeout, 5xx) is the breaker's
 * business, not a sign of rate pressure, and changes nothing here.
 *
 * Threads: one mutex per limiter; any thread may call. No call allocates
 * after create. */
#ifndef TL_ENGINE_RATELIMIT_H
#define TL_ENGINE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/clock.h"
#include "util/err.h"

typedef struct tl_ratelimit tl_ratelimit;

typedef struct tl_ratelimit_opts {
    const tl_clock *clock;           /* default NULL: tl_clock_real() */
    uint64_t requests_per_minute;    /* 0: unlimited (default) */
    uint64_t tokens_per_minute;      /* 0: unlimited (default) */
    uint64_t request_burst;          /* bucket size; 0 (default): requests_per_minute */
    uint64_t token_burst;            /* bucket size; 0 (default): tokens_per_minute */
    unsigned max_concurrency;        /* starting and highest limit; default 16 */
    unsigned min_concurrency;        /* lowest limit, >= 1; default 1 */
    double decrease_factor;          /* on 429, in (0, 1); default 0.5 */
    unsigned increase_after;         /* successes per +1; 0 (default): the current limit */
    uint64_t default_retry_after_ns; /* 429 without Retry-After; default 1 s */
} tl_ratelimit_opts;

void tl_ratelimit_opts_default(tl_ratelimit_opts *o);

/* opts NULL means the defaults. TL_EINVAL for an option out of range,
 * TL_ENOMEM; on error *out is untouched. */
TL_MUST_CHECK tl_err tl_ratelimit_create(tl_ratelimit **out, const tl_ratelimit_opts *opts);
/* NULL does nothing. */
void tl_ratelimit_destroy(tl_ratelimit *rl);

/* What an admitted request holds until settle(); opaque. */
typedef struct tl_rl_ticket {
    uint64_t tokens_;
    uint64_t epoch_;
    bool held_;
} tl_rl_ticket;

typedef enum tl_rl_status {
    TL_RL_OK,   /* admitted: *t holds a slot, a request and the estimate */
    TL_RL_WAIT, /* not now: *wait_ns from now at the earliest */
    TL_RL_BUSY  /* concurrency limit reached: retry when a call settles */
} tl_rl_status;

/* Tries to admit a request estimated at est_tokens. *wait_ns is set for
 * TL_RL_WAIT and 0 otherwise. */
tl_rl_status tl_ratelimit_reserve(tl_ratelimit *rl, uint64_t est_tokens, tl_rl_ticket *t,
                                  uint64_t *wait_ns);

typedef enum tl_rl_result {
    TL_RL_SUCCESS, /* answered (however slowly) */
    TL_RL_FAILED,  /* sent, failed otherwise (timeout, 5xx, broken answer) */
    TL_RL_LIMITED, /* 429 or the provider's rate-limit error */
    TL_RL_NOT_SENT /* never went out (cancelled): request and tokens refunded */
} tl_rl_result;

typedef struct tl_rl_outcome {
    tl_rl_result result;
    uint64_t actual_tokens;  /* tokens the provider counted (prompt + completion) */
    uint64_t retry_after_ns; /* LIMITED: the answer's Retry-After; 0: none given */
} tl_rl_outcome;

/* Ends an admitted request: frees its slot, charges or refunds
 * actual_tokens - estimate, and feeds the AIMD limit. A ticket not held
 * (never admitted, or already settled) is ignored. */
void tl_ratelimit_settle(tl_ratelimit *rl, tl_rl_ticket *t, const tl_rl_outcome *o);

/* The provider's view from answer headers; a negative value is "absent".
 * reset_ms: time until the exhausted limit resets (used when a remaining
 * figure is 0). */
void tl_ratelimit_observe_headers(tl_ratelimit *rl, int64_t remaining_requests,
                                  int64_t remaining_tokens, int64_t reset_ms);

typedef struct tl_ratelimit_stats {
    unsigned limit; /* current concurrency limit */
    unsigned in_flight;
    double requests_available; /* bucket levels now (negative: in debt); -1: unlimited */
    double tokens_available;
    uint64_t blocked_until_ns;               /* Retry-After or header reset; 0 when not blocked */
    uint64_t admitted, waits, busy, limited; /* reserve answers, and 429s settled */
} tl_ratelimit_stats;

void tl_ratelimit_stats_get(tl_ratelimit *rl, tl_ratelimit_stats *st);

#endif
