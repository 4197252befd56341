#include "engine/clock.h"

#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- real clock ------------------------------------------------------ */

static uint64_t real_now(const tl_clock *self)
{
    (void)self;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* +1 keeps the documented promise that the real clock never reads 0,
     * even on a system whose monotonic origin is this very instant. */
    return (uint64_t)ts.tv_sec * TL_NS_PER_SEC + (uint64_t)ts.tv_nsec + 1;
}

static const tl_clock real_clock = {real_now};

const tl_clock *tl_clock_real(void)
{
    return &real_clock;
}

static uint64_t coarse_now(const tl_clock *self)
{
    (void)self;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * TL_NS_PER_SEC + (uint64_t)ts.tv_nsec + 1;
}

static const tl_clock coarse_clock = {coarse_now};

const tl_clock *tl_clock_coarse(void)
{
    return &coarse_clock;
}

/* ---- test clock ------------------------------------------------------ */

static uint64_t test_now(const tl_clock *self)
{
    const tl_test_clock *tc = (const tl_test_clock *)self;
    return atomic_load(&tc->now);
}

void tl_test_clock_init(tl_test_clock *tc, uint64_t start_ns)
{
    tc->base.now_ns = test_now;
    atomic_init(&tc->now, start_ns);
}

void tl_test_clock_set(tl_test_clock *tc, uint64_t ns)
{
    uint64_t cur = atomic_load(&tc->now);
    while (ns > cur && !atomic_compare_exchange_weak(&tc->now, &cur, ns))
        ;
}

void tl_test_clock_advance(tl_test_clock *tc, uint64_t delta_ns)
{
    atomic_fetch_add(&tc->now, delta_ns);
}

/* ---- randomness -------------------------------------------------------- */

uint64_t tl_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(tl_rng *self)
{
    tl_xoshiro *x = (tl_xoshiro *)self;
    uint64_t *s = x->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void tl_xoshiro_init(tl_xoshiro *x, uint64_t seed)
{
    x->base.next = xoshiro_next;
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        x->s[i] = tl_splitmix64(&st);
}

uint64_t tl_rng_below(tl_rng *r, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Lemire: the high half of a 64x64 product is uniform in [0, bound)
     * once the few low values that would bias it are rejected. The
     * product is split in 32-bit halves to stay within standard C. */
    for (;;) {
        uint64_t x = tl_rng_next(r);
        uint64_t xh = x >> 32, xl = x & 0xffffffffu;
        uint64_t bh = bound >> 32, bl = bound & 0xffffffffu;
        uint64_t ll = xl * bl, lh = xl * bh, hl = xh * bl, hh = xh * bh;
        uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
        uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
        uint64_t lo = x * bound;
        /* Reject when lo falls in the biased zone [0, 2^64 mod bound). */
        if (lo >= bound || lo >= (0 - bound) % bound)
            return hi;
    }
}

double tl_rng_unit(tl_rng *r)
{
    return (double)(tl_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t tl_rng_os_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        return seed;
    uint64_t st = real_now(NULL) ^ ((uint64_t)getpid() << 32);
    return tl_splitmix64(&st);
}
