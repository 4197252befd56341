/* Time and randomness for the engine, behind interfaces that tests drive.
 *
 * Every engine module that needs the time (breaker waits, cache TTLs,
 * scheduler aging and deadlines, token buckets, retry budgets) reads it from
 * a tl_clock passed in its options; every module that needs randomness
 * (retry jitter) draws from a tl_rng. Production passes tl_clock_real() and
 * a tl_rng seeded from the system; tests pass a tl_test_clock they set by
 * hand and a fixed seed, so no test ever sleeps and every run is the same.
 *
 * Both are small structs whose first member is a table of one function
 * (libuv's style): a module holds a `const tl_clock *` / `tl_rng *` and
 * never knows which implementation is behind it. */
#ifndef TL_ENGINE_CLOCK_H
#define TL_ENGINE_CLOCK_H

#include <stdint.h>

#define TL_NS_PER_US 1000ull
#define TL_NS_PER_MS 1000000ull
#define TL_NS_PER_SEC 1000000000ull

/* ---- clock ---------------------------------------------------------- */

/* A monotonic clock in nanoseconds. The origin is unspecified (only
 * differences mean something) but never 0 for the real clock, so modules
 * may use 0 as "no time". now_ns must be callable from any thread. */
typedef struct tl_clock {
    uint64_t (*now_ns)(const struct tl_clock *self);
} tl_clock;

static inline uint64_t tl_clock_now(const tl_clock *c)
{
    return c->now_ns(c);
}

/* The process-wide real clock: CLOCK_MONOTONIC, in nanoseconds. A static
 * object: never freed, safe from any thread. */
const tl_clock *tl_clock_real(void);

/* CLOCK_MONOTONIC_COARSE: the same origin as tl_clock_real(), a resolution
 * of a few milliseconds (the kernel tick), and several times cheaper to
 * read. Enough for everything the engine times in milliseconds or more
 * (TTLs, buckets, aging, breaker waits); a static object like the real
 * clock. */
const tl_clock *tl_clock_coarse(void);

/* A clock that moves only when told to. Thread-safe (the time is an atomic),
 * so tests may share it with worker threads. Lives wherever the test puts
 * it (stack or struct); there is nothing to destroy. */
typedef struct tl_test_clock {
    tl_clock base; /* pass &tc.base wherever a tl_clock is wanted */
    _Atomic uint64_t now;
} tl_test_clock;

/* Sets the clock to start_ns. Tests usually start at a large round value
 * (e.g. 1000 s) so that "0 = no time" never collides with a real instant. */
void tl_test_clock_init(tl_test_clock *tc, uint64_t start_ns);
/* Moves the clock to ns. A monotonic clock never goes back: an ns earlier
 * than the current time is ignored. */
void tl_test_clock_set(tl_test_clock *tc, uint64_t ns);
void tl_test_clock_advance(tl_test_clock *tc, uint64_t delta_ns);

/* ---- randomness ----------------------------------------------------- */

/* A source of uniformly distributed 64-bit values. Not thread-safe: each
 * tl_rng belongs to one owner, which serialises its use (e.g. under the
 * owner's lock). */
typedef struct tl_rng {
    uint64_t (*next)(struct tl_rng *self);
} tl_rng;

static inline uint64_t tl_rng_next(tl_rng *r)
{
    return r->next(r);
}

/* A uniform value in [0, bound); 0 when bound is 0. Unbiased (Lemire's
 * multiply-and-reject method). */
uint64_t tl_rng_below(tl_rng *r, uint64_t bound);
/* A uniform double in [0, 1), 53 bits of precision. */
double tl_rng_unit(tl_rng *r);

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 so that any
 * 64-bit seed, 0 included, gives a well-mixed state. Same seed, same
 * sequence, on every platform. */
typedef struct tl_xoshiro {
    tl_rng base; /* pass &x.base wherever a tl_rng is wanted */
    uint64_t s[4];
} tl_xoshiro;

void tl_xoshiro_init(tl_xoshiro *x, uint64_t seed);

/* One step of splitmix64 over *state: a fast, well-mixed 64-bit sequence.
 * Also useful on its own to derive seeds. */
uint64_t tl_splitmix64(uint64_t *state);

/* A seed from the operating system (getrandom), or from the real clock and
 * the process id when that is unavailable. For production use only: tests
 * pass fixed seeds. */
uint64_t tl_rng_os_seed(void);

#endif
