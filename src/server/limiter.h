/* Per-client request rate limit: a token bucket per client identity (an
 * API key or an address), in a fixed table of buckets, so memory stays
 * bounded whatever the number of clients. Two identities that land in the
 * same slot share it until one displaces the other (the newcomer starts
 * with a full bucket), which errs on the side of letting requests in.
 *
 * Thread-safe (one mutex; each call is a few arithmetic operations). */
#ifndef TL_LIMITER_H
#define TL_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tl_limiter tl_limiter;

/* rate: tokens per second (> 0); burst: bucket size (>= 1). NULL when out
 * of memory. */
tl_limiter *tl_limiter_create(double rate, double burst);
void tl_limiter_destroy(tl_limiter *l);

/* Takes one token for identity id[0..n) at time now_s (seconds, any
 * monotonic origin). False when the bucket is empty; *retry_after_s then
 * says when the next token comes (rounded up to whole seconds, >= 1). */
bool tl_limiter_take(tl_limiter *l, const char *id, size_t n, double now_s, int *retry_after_s);

#endif
