/* Cache: sharded hash tables of entries, W-TinyLFU eviction per shard,
 * flights with waiter queues, tag groups. See cache.h for the contract.
 *
 * Per shard, under sh->mu:
 *   - `entries` maps key -> entry; every entry sits in exactly one segment
 *     list (window, probation, protected) except a candidate in transit
 *     inside admit(), and seg_bytes[] sums the charges per segment;
 *   - window bytes <= window_cap and probation + protected <= main_cap once
 *     a call returns, so a shard never holds more than cap bytes;
 *   - `tags` maps tag -> group; a group lists its entries and is freed with
 *     its last entry;
 *   - `flights` maps key -> flight; a flight exists from the leader's
 *     acquire until complete, or an abandon with nobody left waiting. */
#include "engine/cache.h"

#include <pthread.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack: no allocation */
#include <xxhash.h>

#include "engine/alloc.h"

#define OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

enum { SEG_WINDOW = 0, SEG_PROBATION, SEG_PROTECTED, SEG_NONE };
enum { DROP_EVICT, DROP_REJECT, DROP_EXPIRE, DROP_INVALIDATE, DROP_REPLACE };

#define INV_RING 64 /* recent invalidations remembered per shard */
#define SKETCH_ROWS 4
#define SKETCH_MAX 15 /* counters saturate like 4-bit ones */

/* ---- keys ------------------------------------------------------------------ */

tl_cache_key tl_cache_key_of(const void *p, size_t n)
{
    XXH128_hash_t h = XXH3_128bits(p, n);
    return (tl_cache_key){h.high64, h.low64};
}

tl_cache_key tl_cache_key_fields(const tl_cache_field *fields, size_t count)
{
    XXH3_state_t st;
    XXH3_INITSTATE(&st);
    XXH3_128bits_reset(&st);
    for (size_t i = 0; i < count; i++) {
        uint64_t n = fields[i].n; /* the length first: fields cannot run together */
        XXH3_128bits_update(&st, &n, sizeof n);
        XXH3_128bits_update(&st, fields[i].p, fields[i].n);
    }
    XXH128_hash_t h = XXH3_128bits_digest(&st);
    return (tl_cache_key){h.high64, h.low64};
}

/* ---- intrusive hash table ------------------------------------------------- */

typedef struct hnode {
    tl_cache_key key;
    struct hnode *hnext;
} hnode;

typedef struct htab {
    hnode **b;
    size_t nb, n; /* nb is a power of two */
} htab;

static inline size_t hslot(tl_cache_key k, size_t nb)
{
    uint64_t x = k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull);
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    return (size_t)(x & (nb - 1));
}

static tl_err ht_init(htab *t, size_t nb)
{
    t->b = tl__calloc(nb, sizeof *t->b);
    t->nb = nb;
    t->n = 0;
    return t->b ? TL_OK : TL_ENOMEM;
}

static hnode *ht_find(const htab *t, tl_cache_key k)
{
    for (hnode *h = t->b[hslot(k, t->nb)]; h; h = h->hnext)
        if (tl_cache_key_eq(h->key, k))
            return h;
    return NULL;
}

/* Doubles the buckets. Failing to is harmless (chains grow longer), so
 * inserting never fails. */
static void ht_grow(htab *t)
{
    size_t nb = t->nb * 2;
    hnode **b = tl__calloc(nb, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < t->nb; i++) {
        hnode *h = t->b[i];
        while (h) {
            hnode *next = h->hnext;
            size_t j = hslot(h->key, nb);
            h->hnext = b[j];
            b[j] = h;
            h = next;
        }
    }
    tl__free(t->b);
    t->b = b;
    t->nb = nb;
}

static void ht_insert(htab *t, hnode *h)
{
    if (t->n >= t->nb / 2) /* short chains: each link is a likely cache miss */
        ht_grow(t);
    size_t i = hslot(h->key, t->nb);
    h->hnext = t->b[i];
    t->b[i] = h;
    t->n++;
}

static void ht_remove(htab *t, hnode *h)
{
    hnode **pp = &t->b[hslot(h->key, t->nb)];
    while (*pp != h)
        pp = &(*pp)->hnext;
    *pp = h->hnext;
    t->n--;
}

/* ---- lists ------------------------------------------------------------------ */

typedef struct link {
    struct link *prev, *next;
} link;

static inline void list_init(link *l)
{
    l->prev = l->next = l;
}

static inline void list_push_front(link *l, link *n)
{
    n->next = l->next;
    n->prev = l;
    l->next->prev = n;
    l->next = n;
}

static inline void list_remove(link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static inline link *list_back(link *l)
{
    return l->prev == l ? NULL : l->prev;
}

/* ---- entries, groups, flights --------------------------------------------- */

typedef struct tag_group {
    hnode h; /* key {tag, 0} */
    link members;
    size_t count;
} tag_group;

typedef struct entry {
    hnode h;
    link lru;
    link tagl;
    tag_group *group; /* NULL: no tag */
    uint64_t expires; /* 0: never */
    size_t len;
    uint8_t seg;
    unsigned char data[];
} entry;

const size_t tl_cache_entry_overhead = sizeof(entry);

static inline size_t charge_of(const entry *e)
{
    return sizeof(entry) + e->len;
}

typedef struct waiter {
    struct waiter *next;
    tl_cache_wait_cb cb;
    void *ud;
} waiter;

typedef struct flight {
    hnode h;
    waiter *head, *tail;
    uint64_t inv_seq; /* the shard's invalidation count when the leader began */
} flight;

/* ---- frequency sketch ------------------------------------------------------ */

/* Count-min sketch laid out as Caffeine lays it out: each key maps to one
 * 64-byte block (one cache line) and takes one counter in each of the
 * block's four 16-counter rows, so a lookup costs one cache miss, not four. */
typedef struct sketch {
    void *raw;        /* as allocated */
    uint8_t *c;       /* raw aligned to 64 bytes: nblocks x 64 counters */
    uint32_t nblocks; /* a power of two */
    uint32_t adds, sample;
} sketch;

#define SKETCH_BLOCK 64

static inline uint64_t sk_hash(tl_cache_key k)
{
    uint64_t h = k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

static inline uint8_t *sk_counter(const sketch *s, uint64_t h, unsigned row)
{
    uint8_t *block = s->c + (size_t)(h & (s->nblocks - 1)) * SKETCH_BLOCK;
    return block + row * 16 + ((h >> (40 + 4 * row)) & 15);
}

static unsigned sk_freq_h(const sketch *s, uint64_t h)
{
    unsigned f = SKETCH_MAX;
    for (unsigned r = 0; r < SKETCH_ROWS; r++) {
        unsigned v = *sk_counter(s, h, r);
        if (v < f)
            f = v;
    }
    return f;
}

static unsigned sk_freq(const sketch *s, tl_cache_key k)
{
    return sk_freq_h(s, sk_hash(k));
}

/* Conservative update: only the counters at the minimum grow, which keeps
 * the estimate tighter. Every `sample` additions all counters are halved,
 * so the sketch tracks recent popularity, not all-time popularity. */
static void sk_add(sketch *s, tl_cache_key k)
{
    uint64_t h = sk_hash(k);
    unsigned f = sk_freq_h(s, h);
    if (f < SKETCH_MAX)
        for (unsigned r = 0; r < SKETCH_ROWS; r++) {
            uint8_t *v = sk_counter(s, h, r);
            if (*v == f)
                (*v)++;
        }
    if (++s->adds >= s->sample) {
        size_t n = (size_t)s->nblocks * SKETCH_BLOCK;
        for (size_t i = 0; i < n; i++)
            s->c[i] >>= 1;
        s->adds /= 2;
    }
}

static tl_err sk_init(sketch *s, size_t per_row)
{
    uint32_t w = 64; /* counters per row */
    while (w < per_row && w < (1u << 24))
        w *= 2;
    s->nblocks = w / 16;
    s->sample = 10 * w;
    s->raw = tl__calloc((size_t)s->nblocks * SKETCH_BLOCK + SKETCH_BLOCK - 1, 1);
    if (!s->raw)
        return TL_ENOMEM;
    uintptr_t p = ((uintptr_t)s->raw + SKETCH_BLOCK - 1) & ~(uintptr_t)(SKETCH_BLOCK - 1);
    s->c = (uint8_t *)p;
    return TL_OK;
}

/* ---- shards ------------------------------------------------------------------ */

typedef struct shard {
    pthread_mutex_t mu;
    htab entries, flights, tags;
    link seg[3];
    size_t seg_bytes[3];
    size_t cap, window_cap, main_cap, protected_cap;
    sketch cms;
    bool tinylfu;
    uint64_t inv_seq;
    uint64_t inv[INV_RING]; /* tag of invalidation number i at i % INV_RING */
    uint64_t hits, misses, coalesced, evictions, rejected, expirations, invalidations;
    size_t nentries;
} shard;

struct tl_cache {
    const tl_clock *clock;
    uint64_t default_ttl;
    unsigned nshards, shift;
    shard *shards;
};

static inline shard *shard_of(tl_cache *c, tl_cache_key k)
{
    return c->nshards == 1 ? &c->shards[0] : &c->shards[k.hi >> c->shift];
}

static inline bool expired(const entry *e, uint64_t now)
{
    return e->expires && now >= e->expires;
}

static void seg_add(shard *sh, entry *e, int seg)
{
    e->seg = (uint8_t)seg;
    list_push_front(&sh->seg[seg], &e->lru);
    sh->seg_bytes[seg] += charge_of(e);
}

static void seg_del(shard *sh, entry *e)
{
    if (e->seg == SEG_NONE)
        return;
    list_remove(&e->lru);
    sh->seg_bytes[e->seg] -= charge_of(e);
    e->seg = SEG_NONE;
}

static void group_leave(shard *sh, entry *e)
{
    tag_group *g = e->group;
    if (!g)
        return;
    list_remove(&e->tagl);
    e->group = NULL;
    if (--g->count == 0) {
        ht_remove(&sh->tags, &g->h);
        tl__free(g);
    }
}

/* Unlinks e from everything, counts why, and frees it. */
static void drop(shard *sh, entry *e, int why)
{
    seg_del(sh, e);
    group_leave(sh, e);
    ht_remove(&sh->entries, &e->h);
    sh->nentries--;
    switch (why) {
    case DROP_REJECT: /* a rejection is an eviction too */
        sh->rejected++;
        sh->evictions++;
        break;
    case DROP_EVICT: sh->evictions++; break;
    case DROP_EXPIRE: sh->expirations++; break;
    case DROP_INVALIDATE: sh->invalidations++; break;
    default: break;
    }
    tl__free(e);
}

static inline size_t main_bytes(const shard *sh)
{
    return sh->seg_bytes[SEG_PROBATION] + sh->seg_bytes[SEG_PROTECTED];
}

/* TinyLFU admission of an entry leaving the window: it enters probation
 * only by beating, one by one, the victims it would displace. */
static void admit(shard *sh, entry *cand, uint64_t now)
{
    size_t need = charge_of(cand);
    if (need > sh->main_cap) {
        drop(sh, cand, sh->tinylfu ? DROP_REJECT : DROP_EVICT);
        return;
    }
    unsigned fc = sk_freq(&sh->cms, cand->h.key);
    while (main_bytes(sh) + need > sh->main_cap) {
        link *l = list_back(&sh->seg[SEG_PROBATION]);
        if (!l)
            l = list_back(&sh->seg[SEG_PROTECTED]);
        entry *victim = OF(l, entry, lru);
        if (expired(victim, now)) {
            drop(sh, victim, DROP_EXPIRE);
        } else if (fc > sk_freq(&sh->cms, victim->h.key)) {
            drop(sh, victim, DROP_EVICT);
        } else {
            drop(sh, cand, DROP_REJECT);
            return;
        }
    }
    seg_add(sh, cand, SEG_PROBATION);
}

/* Restores the byte bounds after an insertion. In LRU mode the window is
 * the whole shard and the main space is empty, so whatever leaves the
 * window is evicted: plain LRU. */
static void rebalance(shard *sh, uint64_t now)
{
    link *l;
    while (sh->seg_bytes[SEG_WINDOW] > sh->window_cap && (l = list_back(&sh->seg[SEG_WINDOW]))) {
        entry *cand = OF(l, entry, lru);
        seg_del(sh, cand);
        admit(sh, cand, now);
    }
}

static void on_access(shard *sh, tl_cache_key k)
{
    if (sh->tinylfu)
        sk_add(&sh->cms, k);
}

/* A hit moves the entry up: within the window and protected segments to
 * the front; from probation into protected, demoting protected's least
 * recent entries to probation when it overflows. */
static void on_hit(shard *sh, entry *e)
{
    on_access(sh, e->h.key);
    int seg = e->seg == SEG_PROBATION ? SEG_PROTECTED : e->seg;
    seg_del(sh, e);
    seg_add(sh, e, seg);
    link *l;
    while (sh->seg_bytes[SEG_PROTECTED] > sh->protected_cap &&
           (l = list_back(&sh->seg[SEG_PROTECTED])) && l != &e->lru) {
        entry *d = OF(l, entry, lru);
        seg_del(sh, d);
        seg_add(sh, d, SEG_PROBATION);
    }
}

static entry *find_live(shard *sh, tl_cache_key k, uint64_t now)
{
    hnode *h = ht_find(&sh->entries, k);
    if (!h)
        return NULL;
    entry *e = OF(h, entry, h);
    if (expired(e, now)) {
        drop(sh, e, DROP_EXPIRE);
        return NULL;
    }
    return e;
}

static tl_err join_group(shard *sh, entry *e, uint64_t tag)
{
    e->group = NULL;
    if (!tag)
        return TL_OK;
    tl_cache_key gk = {tag, 0};
    hnode *h = ht_find(&sh->tags, gk);
    tag_group *g = h ? OF(h, tag_group, h) : NULL;
    if (!g) {
        g = tl__malloc(sizeof *g);
        if (!g)
            return TL_ENOMEM;
        g->h.key = gk;
        list_init(&g->members);
        g->count = 0;
        ht_insert(&sh->tags, &g->h);
    }
    list_push_front(&g->members, &e->tagl);
    g->count++;
    e->group = g;
    return TL_OK;
}

static uint64_t expiry_of(const tl_cache *c, const tl_cache_put_opts *po, uint64_t now)
{
    uint64_t ttl = po && po->ttl_ns ? po->ttl_ns : c->default_ttl;
    if (ttl == TL_CACHE_TTL_NEVER)
        return 0;
    return ttl > UINT64_MAX - now ? 0 : now + ttl;
}

/* Stores a copy (sh->mu held). The new entry joins its tag group before
 * the old one leaves, so a group they share is never freed in between. */
static tl_err store(tl_cache *c, shard *sh, tl_cache_key k, const void *value, size_t len,
                    const tl_cache_put_opts *po, uint64_t now)
{
    if (len > sh->cap || sizeof(entry) + len > sh->cap)
        return TL_ETOOBIG;
    entry *e = tl__malloc(sizeof(entry) + len);
    if (!e)
        return TL_ENOMEM;
    if (join_group(sh, e, po ? po->tag : 0) != TL_OK) {
        tl__free(e);
        return TL_ENOMEM;
    }
    e->h.key = k;
    e->len = len;
    e->seg = SEG_NONE;
    e->expires = expiry_of(c, po, now);
    if (len)
        memcpy(e->data, value, len);
    hnode *old = ht_find(&sh->entries, k);
    if (old)
        drop(sh, OF(old, entry, h), DROP_REPLACE);
    ht_insert(&sh->entries, &e->h);
    sh->nentries++;
    on_access(sh, k);
    seg_add(sh, e, SEG_WINDOW);
    rebalance(sh, now);
    return TL_OK;
}

/* ---- lifecycle ---------------------------------------------------------------- */

void tl_cache_opts_default(tl_cache_opts *o)
{
    o->clock = NULL;
    o->max_bytes = 64u << 20;
    o->default_ttl_ns = 3600 * TL_NS_PER_SEC;
    o->shards = 16;
    o->policy = TL_CACHE_TINYLFU;
    o->window_percent = 1;
    o->protected_percent = 80;
    o->expected_entries = 0;
}

static bool opts_valid(const tl_cache_opts *o)
{
    unsigned n = o->shards;
    return n >= 1 && n <= 256 && (n & (n - 1)) == 0 && o->max_bytes / n >= 4096 &&
           o->window_percent <= 100 && o->protected_percent <= 100 &&
           (o->policy == TL_CACHE_TINYLFU || o->policy == TL_CACHE_LRU) && o->default_ttl_ns > 0;
}

static tl_err shard_init(shard *sh, const tl_cache_opts *o)
{
    sh->cap = o->max_bytes / o->shards;
    sh->tinylfu = o->policy == TL_CACHE_TINYLFU;
    sh->window_cap = sh->tinylfu ? sh->cap / 100 * o->window_percent : sh->cap;
    sh->main_cap = sh->cap - sh->window_cap;
    sh->protected_cap = sh->main_cap / 100 * o->protected_percent;
    for (int i = 0; i < 3; i++)
        list_init(&sh->seg[i]);
    size_t expected = o->expected_entries ? o->expected_entries : o->max_bytes / 2048;
    if (ht_init(&sh->entries, 64) != TL_OK || ht_init(&sh->flights, 16) != TL_OK ||
        ht_init(&sh->tags, 16) != TL_OK)
        return TL_ENOMEM;
    if (sh->tinylfu && sk_init(&sh->cms, expected / o->shards) != TL_OK)
        return TL_ENOMEM;
    if (pthread_mutex_init(&sh->mu, NULL) != 0)
        return TL_ENOMEM;
    return TL_OK;
}

/* Frees what shard_init and later calls allocated; the mutex is destroyed
 * only when it was initialised (the last step of shard_init). */
static void shard_free(shard *sh, bool mutex_ok)
{
    if (sh->entries.b)
        for (size_t i = 0; i < sh->entries.nb; i++)
            for (hnode *h = sh->entries.b[i], *next; h; h = next) {
                next = h->hnext;
                tl__free(OF(h, entry, h));
            }
    if (sh->tags.b)
        for (size_t i = 0; i < sh->tags.nb; i++)
            for (hnode *h = sh->tags.b[i], *next; h; h = next) {
                next = h->hnext;
                tl__free(OF(h, tag_group, h));
            }
    if (sh->flights.b)
        for (size_t i = 0; i < sh->flights.nb; i++)
            for (hnode *h = sh->flights.b[i], *next; h; h = next) {
                next = h->hnext;
                flight *f = OF(h, flight, h);
                for (waiter *w = f->head, *wn; w; w = wn) {
                    wn = w->next;
                    tl__free(w);
                }
                tl__free(f);
            }
    tl__free(sh->entries.b);
    tl__free(sh->flights.b);
    tl__free(sh->tags.b);
    tl__free(sh->cms.raw);
    if (mutex_ok)
        pthread_mutex_destroy(&sh->mu);
}

tl_err tl_cache_create(tl_cache **out, const tl_cache_opts *opts)
{
    tl_cache_opts def;
    if (!opts) {
        tl_cache_opts_default(&def);
        opts = &def;
    }
    if (!out || !opts_valid(opts))
        return TL_EINVAL;
    tl_cache *c = tl__calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->clock = opts->clock ? opts->clock : tl_clock_real();
    c->default_ttl = opts->default_ttl_ns;
    c->nshards = opts->shards;
    unsigned bits = 0;
    while ((1u << bits) < c->nshards)
        bits++;
    c->shift = 64 - bits;
    c->shards = tl__calloc(c->nshards, sizeof *c->shards);
    if (!c->shards)
        goto fail;
    unsigned ready = 0;
    for (; ready < c->nshards; ready++)
        if (shard_init(&c->shards[ready], opts) != TL_OK)
            goto fail_shards;
    *out = c;
    return TL_OK;
fail_shards:
    for (unsigned i = 0; i <= ready; i++)
        shard_free(&c->shards[i], i < ready);
fail:
    tl__free(c->shards);
    tl__free(c);
    return TL_ENOMEM;
}

void tl_cache_destroy(tl_cache *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nshards; i++)
        shard_free(&c->shards[i], true);
    tl__free(c->shards);
    tl__free(c);
}

/* ---- lookups and stores ----------------------------------------------------- */

static tl_err copy_out(tl_buf *out, const entry *e)
{
    return e->len ? tl_buf_append(out, e->data, e->len) : TL_OK;
}

tl_err tl_cache_get(tl_cache *c, tl_cache_key key, tl_buf *out)
{
    shard *sh = shard_of(c, key);
    uint64_t now = tl_clock_now(c->clock);
    pthread_mutex_lock(&sh->mu);
    tl_err err = TL_ENOTFOUND;
    entry *e = find_live(sh, key, now);
    if (e && (err = copy_out(out, e)) == TL_OK) {
        sh->hits++;
        on_hit(sh, e);
    } else if (!e) {
        sh->misses++;
        on_access(sh, key);
    }
    pthread_mutex_unlock(&sh->mu);
    return err;
}

tl_err tl_cache_put(tl_cache *c, tl_cache_key key, const void *value, size_t len,
                    const tl_cache_put_opts *po)
{
    shard *sh = shard_of(c, key);
    uint64_t now = tl_clock_now(c->clock);
    pthread_mutex_lock(&sh->mu);
    tl_err err = store(c, sh, key, value, len, po, now);
    pthread_mutex_unlock(&sh->mu);
    return err;
}

tl_err tl_cache_remove(tl_cache *c, tl_cache_key key)
{
    shard *sh = shard_of(c, key);
    pthread_mutex_lock(&sh->mu);
    hnode *h = ht_find(&sh->entries, key);
    if (h)
        drop(sh, OF(h, entry, h), DROP_REPLACE);
    pthread_mutex_unlock(&sh->mu);
    return h ? TL_OK : TL_ENOTFOUND;
}

/* ---- single flight ------------------------------------------------------------- */

tl_err tl_cache_acquire(tl_cache *c, tl_cache_key key, tl_buf *out, tl_cache_wait_cb cb, void *ud,
                        tl_cache_acq *res)
{
    shard *sh = shard_of(c, key);
    uint64_t now = tl_clock_now(c->clock);
    tl_err err = TL_OK;
    pthread_mutex_lock(&sh->mu);
    entry *e = find_live(sh, key, now);
    if (e) {
        if ((err = copy_out(out, e)) == TL_OK) {
            sh->hits++;
            on_hit(sh, e);
            *res = TL_CACHE_HIT;
        }
        goto out;
    }
    hnode *h = ht_find(&sh->flights, key);
    if (h) {
        waiter *w = tl__malloc(sizeof *w);
        if (!w) {
            err = TL_ENOMEM;
            goto out;
        }
        *w = (waiter){NULL, cb, ud};
        flight *f = OF(h, flight, h);
        if (f->tail)
            f->tail->next = w;
        else
            f->head = w;
        f->tail = w;
        sh->coalesced++;
        on_access(sh, key);
        *res = TL_CACHE_WAITING;
        goto out;
    }
    flight *f = tl__malloc(sizeof *f);
    if (!f) {
        err = TL_ENOMEM;
        goto out;
    }
    f->h.key = key;
    f->head = f->tail = NULL;
    f->inv_seq = sh->inv_seq;
    ht_insert(&sh->flights, &f->h);
    sh->misses++;
    on_access(sh, key);
    *res = TL_CACHE_LEADER;
out:
    pthread_mutex_unlock(&sh->mu);
    return err;
}

/* True when tag was invalidated after invalidation number `since`. When
 * more invalidations happened than the ring remembers, it cannot tell and
 * says yes: not storing is always safe. */
static bool invalidated_since(const shard *sh, uint64_t tag, uint64_t since)
{
    if (!tag)
        return false;
    if (sh->inv_seq - since > INV_RING)
        return true;
    for (uint64_t i = since + 1; i <= sh->inv_seq; i++)
        if (sh->inv[i % INV_RING] == tag)
            return true;
    return false;
}

tl_err tl_cache_complete(tl_cache *c, tl_cache_key key, const void *value, size_t len,
                         const tl_cache_put_opts *po)
{
    shard *sh = shard_of(c, key);
    uint64_t now = tl_clock_now(c->clock);
    tl_err err = TL_OK;
    pthread_mutex_lock(&sh->mu);
    hnode *h = ht_find(&sh->flights, key);
    flight *f = h ? OF(h, flight, h) : NULL;
    if (f)
        ht_remove(&sh->flights, h);
    bool keep =
        !(po && po->no_store) && !(f && invalidated_since(sh, po ? po->tag : 0, f->inv_seq));
    if (keep)
        err = store(c, sh, key, value, len, po, now);
    pthread_mutex_unlock(&sh->mu);
    if (!f)
        return err;
    for (waiter *w = f->head, *next; w; w = next) {
        next = w->next;
        w->cb(w->ud, TL_CACHE_HIT, value, len);
        tl__free(w);
    }
    tl__free(f);
    return err;
}

tl_err tl_cache_abandon(tl_cache *c, tl_cache_key key)
{
    shard *sh = shard_of(c, key);
    pthread_mutex_lock(&sh->mu);
    hnode *h = ht_find(&sh->flights, key);
    if (!h) {
        pthread_mutex_unlock(&sh->mu);
        return TL_ENOTFOUND;
    }
    flight *f = OF(h, flight, h);
    waiter *next_leader = f->head;
    if (next_leader) {
        f->head = next_leader->next;
        if (!f->head)
            f->tail = NULL;
        f->inv_seq = sh->inv_seq; /* the new leader's computation starts now */
    } else {
        ht_remove(&sh->flights, h);
    }
    pthread_mutex_unlock(&sh->mu);
    if (next_leader) {
        next_leader->cb(next_leader->ud, TL_CACHE_LEADER, NULL, 0);
        tl__free(next_leader);
    } else {
        tl__free(f);
    }
    return TL_OK;
}

tl_err tl_cache_unwait(tl_cache *c, tl_cache_key key, tl_cache_wait_cb cb, void *ud)
{
    shard *sh = shard_of(c, key);
    waiter *gone = NULL;
    pthread_mutex_lock(&sh->mu);
    hnode *h = ht_find(&sh->flights, key);
    if (h) {
        flight *f = OF(h, flight, h);
        waiter *prev = NULL;
        for (waiter *w = f->head; w; prev = w, w = w->next) {
            if (w->cb != cb || w->ud != ud)
                continue;
            if (prev)
                prev->next = w->next;
            else
                f->head = w->next;
            if (f->tail == w)
                f->tail = prev;
            gone = w;
            break;
        }
    }
    pthread_mutex_unlock(&sh->mu);
    tl__free(gone);
    return gone ? TL_OK : TL_ENOTFOUND;
}

/* ---- invalidation, upkeep, stats -------------------------------------------- */

size_t tl_cache_invalidate_tag(tl_cache *c, uint64_t tag)
{
    if (!tag)
        return 0;
    size_t dropped = 0;
    tl_cache_key gk = {tag, 0};
    for (unsigned i = 0; i < c->nshards; i++) {
        shard *sh = &c->shards[i];
        pthread_mutex_lock(&sh->mu);
        hnode *h;
        /* The group is freed with its last member, ending the loop. */
        while ((h = ht_find(&sh->tags, gk))) {
            tag_group *g = OF(h, tag_group, h);
            drop(sh, OF(g->members.next, entry, tagl), DROP_INVALIDATE);
            dropped++;
        }
        sh->inv_seq++;
        sh->inv[sh->inv_seq % INV_RING] = tag;
        pthread_mutex_unlock(&sh->mu);
    }
    return dropped;
}

size_t tl_cache_purge_expired(tl_cache *c)
{
    size_t dropped = 0;
    uint64_t now = tl_clock_now(c->clock);
    for (unsigned i = 0; i < c->nshards; i++) {
        shard *sh = &c->shards[i];
        pthread_mutex_lock(&sh->mu);
        for (int s = 0; s < 3; s++) {
            link *l = sh->seg[s].next;
            while (l != &sh->seg[s]) {
                link *next = l->next;
                entry *e = OF(l, entry, lru);
                if (expired(e, now)) {
                    drop(sh, e, DROP_EXPIRE);
                    dropped++;
                }
                l = next;
            }
        }
        pthread_mutex_unlock(&sh->mu);
    }
    return dropped;
}

void tl_cache_stats_get(tl_cache *c, tl_cache_stats *st)
{
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < c->nshards; i++) {
        shard *sh = &c->shards[i];
        pthread_mutex_lock(&sh->mu);
        st->hits += sh->hits;
        st->misses += sh->misses;
        st->coalesced += sh->coalesced;
        st->evictions += sh->evictions;
        st->rejected += sh->rejected;
        st->expirations += sh->expirations;
        st->invalidations += sh->invalidations;
        st->bytes += sh->seg_bytes[0] + sh->seg_bytes[1] + sh->seg_bytes[2];
        st->entries += sh->nentries;
        st->flights += sh->flights.n;
        pthread_mutex_unlock(&sh->mu);
    }
}
