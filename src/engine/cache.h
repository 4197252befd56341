/* Content-addressed result cache with single flight.
 *
 * Keys are 128-bit digests of everything a result depends on (canonical
 * section content, the job-description fingerprint that matters to it,
 * strength, model, prompt version): equal inputs give equal keys, so a
 * result is reused exactly when it would be recomputed the same, and a
 * changed input simply misses.
 *
 * Values are byte strings, copied in on store and copied out on read.
 * Memory is bounded: every entry is charged its value length plus a fixed
 * per-entry overhead (tl_cache_stats.bytes), and the sum never exceeds
 * max_bytes. Entries also expire after a TTL on the injected clock.
 *
 * Eviction (policy TL_CACHE_TINYLFU, the default) is W-TinyLFU as in
 * Caffeine: a small LRU admission window (window_percent of the bytes)
 * feeds a segmented LRU main space (probation + protected_percent
 * protected); an entry leaving the window enters the main space only if a
 * count-min sketch of recent access frequencies (4 rows of saturating 4-bit
 * style counters, halved every 10 x width accesses so old popularity fades)
 * says it is asked for more often than the entry it would evict. Frequently
 * used entries thus survive scans and one-off bursts that flush a plain
 * LRU. TL_CACHE_LRU gives plain LRU (for comparison and for operators).
 *
 * Single flight: tl_cache_acquire() answers HIT (value copied out), LEADER
 * (nobody is computing this key: you compute it, then call complete or
 * abandon) or WAITING (someone is: your callback will run once, later).
 * Nothing blocks. tl_cache_complete() stores the value and delivers it to
 * every waiter; tl_cache_abandon() hands the leadership to the oldest
 * waiter (its callback is told it is now the leader), so a failed or
 * cancelled computation costs one more attempt, never a stampede, and no
 * waiter is left hanging.
 *
 * Invalidation by content: an entry may carry a source tag (e.g. the hash
 * of the resume section it was derived from); tl_cache_invalidate_tag()
 * drops every entry with that tag, and a computation in flight when its
 * tag is invalidated delivers its value to its waiters but does not store it.
 *
 * Threads: every call may be made from any thread. The key space is split
 * over `shards` independent shards, each behind its own mutex; a call
 * locks one shard (invalidate_tag, purge and stats visit each in turn).
 * Callbacks run on the thread that calls complete or abandon, after the
 * shard lock is released, so they may call back into the cache. */
#ifndef TL_ENGINE_CACHE_H
#define TL_ENGINE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/clock.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct tl_cache tl_cache;

typedef struct tl_cache_key {
    uint64_t hi, lo;
} tl_cache_key;

/* The key of one byte string (XXH3, 128 bits). */
tl_cache_key tl_cache_key_of(const void *p, size_t n);

/* The key of a sequence of fields. Each field is hashed with its length, so
 * ("ab","c") and ("a","bc") give different keys. */
typedef struct tl_cache_field {
    const void *p;
    size_t n;
} tl_cache_field;
tl_cache_key tl_cache_key_fields(const tl_cache_field *fields, size_t count);

static inline bool tl_cache_key_eq(tl_cache_key a, tl_cache_key b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

typedef enum tl_cache_policy {
    TL_CACHE_TINYLFU = 0, /* window LRU + frequency admission + segmented LRU */
    TL_CACHE_LRU          /* plain LRU */
} tl_cache_policy;

typedef struct tl_cache_opts {
    const tl_clock *clock;      /* default NULL: tl_clock_real() */
    size_t max_bytes;           /* default 64 MiB; at least 4 KiB per shard */
    uint64_t default_ttl_ns;    /* default 1 hour; TL_CACHE_TTL_NEVER: no expiry */
    unsigned shards;            /* default 16; a power of two, 1..256 */
    tl_cache_policy policy;     /* default TL_CACHE_TINYLFU */
    unsigned window_percent;    /* default 1: admission window share of each shard, 0..100 */
    unsigned protected_percent; /* default 80: protected share of the main space, 0..100 */
    size_t expected_entries;    /* sizes the frequency sketch; default max_bytes / 2048 */
} tl_cache_opts;

#define TL_CACHE_TTL_NEVER UINT64_MAX

/* Bytes charged to an entry besides its value (its bookkeeping). */
extern const size_t tl_cache_entry_overhead;

void tl_cache_opts_default(tl_cache_opts *o);

/* Creates a cache; opts NULL means the defaults. TL_EINVAL for an option
 * out of range, TL_ENOMEM; on error *out is untouched. */
TL_MUST_CHECK tl_err tl_cache_create(tl_cache **out, const tl_cache_opts *opts);
/* Frees the cache and every entry. Flights still in progress are dropped:
 * their waiters' callbacks never run, so drain them before. NULL does nothing. */
void tl_cache_destroy(tl_cache *c);

/* How to store a value. Zeroed = the defaults. */
typedef struct tl_cache_put_opts {
    uint64_t ttl_ns; /* 0: the cache's default_ttl_ns; TL_CACHE_TTL_NEVER: never expires */
    uint64_t tag;    /* source tag for tl_cache_invalidate_tag(); 0: none */
    bool no_store;   /* complete() only: deliver to waiters but do not store
                        (e.g. a fallback result that must not be reused) */
} tl_cache_put_opts;

/* Looks key up. On a hit appends the value to *out and returns TL_OK;
 * TL_ENOTFOUND on a miss (or an expired entry, which is dropped);
 * TL_ETOOBIG / TL_ENOMEM when *out cannot take the value (then nothing is
 * appended). Counts a hit or a miss. */
TL_MUST_CHECK tl_err tl_cache_get(tl_cache *c, tl_cache_key key, tl_buf *out);

/* Stores a copy of value[0..len) under key, replacing any previous value.
 * po NULL means the defaults. The new entry may be refused admission (or
 * evicted at once) under TinyLFU: that is a normal outcome, TL_OK all the
 * same. TL_ETOOBIG if the entry could never fit in its shard, TL_ENOMEM;
 * on error the cache is as it was. */
TL_MUST_CHECK tl_err tl_cache_put(tl_cache *c, tl_cache_key key, const void *value, size_t len,
                                  const tl_cache_put_opts *po);

/* Drops key's entry. TL_ENOTFOUND when there was none. */
TL_MUST_CHECK tl_err tl_cache_remove(tl_cache *c, tl_cache_key key);

/* ---- single flight ---- */

typedef enum tl_cache_acq {
    TL_CACHE_HIT,    /* the value is there (acquire: appended to *out) */
    TL_CACHE_LEADER, /* compute the value, then complete() or abandon() */
    TL_CACHE_WAITING /* another caller computes it: cb will run once */
} tl_cache_acq;

/* A waiter's callback, run exactly once: with TL_CACHE_HIT and the value
 * (valid only during the call: copy what you keep), or with TL_CACHE_LEADER
 * (value NULL) when the previous leader abandoned and this waiter must now
 * compute the value and complete() or abandon() in turn. */
typedef void (*tl_cache_wait_cb)(void *ud, tl_cache_acq what, const void *value, size_t len);

/* Looks key up and, on a miss, joins or starts its flight; *res says which.
 * HIT: the value is appended to *out (cb never runs). LEADER: the caller
 * owns the flight (cb never runs). WAITING: (cb, ud) is queued and will run
 * once, from the thread that completes or abandons. On error (TL_ENOMEM,
 * or *out cannot take a hit's value) nothing is queued and cb never runs. */
TL_MUST_CHECK tl_err tl_cache_acquire(tl_cache *c, tl_cache_key key, tl_buf *out,
                                      tl_cache_wait_cb cb, void *ud, tl_cache_acq *res);

/* The leader's answer: stores value as tl_cache_put() does (unless
 * po->no_store, or its tag was invalidated while the flight was running),
 * ends the flight, then calls every waiter with it, in arrival order. With
 * no flight for key it behaves as tl_cache_put(). Waiters get the value
 * even when storing fails; the storing error is returned. */
TL_MUST_CHECK tl_err tl_cache_complete(tl_cache *c, tl_cache_key key, const void *value, size_t len,
                                       const tl_cache_put_opts *po);

/* The leader gives up. The oldest waiter becomes the leader (its callback
 * runs with TL_CACHE_LEADER); with no waiter the flight ends.
 * TL_ENOTFOUND if there is no flight for key. */
TL_MUST_CHECK tl_err tl_cache_abandon(tl_cache *c, tl_cache_key key);

/* Withdraws a waiter (its job was cancelled): the first queued (cb, ud) of
 * key's flight is removed and will not run. TL_ENOTFOUND if none matches. */
TL_MUST_CHECK tl_err tl_cache_unwait(tl_cache *c, tl_cache_key key, tl_cache_wait_cb cb, void *ud);

/* ---- invalidation and upkeep ---- */

/* Drops every entry stored with this tag (0 is no tag: nothing happens) and
 * keeps flights in progress from storing under it. Returns the number of
 * entries dropped. */
size_t tl_cache_invalidate_tag(tl_cache *c, uint64_t tag);

/* Drops every expired entry (expired entries are otherwise dropped when
 * met). O(entries): for a periodic timer. Returns the number dropped. */
size_t tl_cache_purge_expired(tl_cache *c);

typedef struct tl_cache_stats {
    uint64_t hits;          /* get/acquire found a live entry */
    uint64_t misses;        /* get/acquire found none (acquire: became leader) */
    uint64_t coalesced;     /* acquire joined a flight instead of computing */
    uint64_t evictions;     /* entries dropped for space (rejected included) */
    uint64_t rejected;      /* new entries refused admission by TinyLFU */
    uint64_t expirations;   /* entries dropped because their TTL passed */
    uint64_t invalidations; /* entries dropped by tag */
    size_t bytes;           /* charged bytes now stored (<= max_bytes) */
    size_t entries;         /* entries now stored */
    size_t flights;         /* flights in progress */
} tl_cache_stats;

/* A snapshot (shards are read one after another, so it is not atomic). */
void tl_cache_stats_get(tl_cache *c, tl_cache_stats *st);

#endif
