/* Scheduler: four binary heaps over intrusive nodes. See sched.h for the
 * formula and why the keys do not depend on the current time.
 *
 * Invariants (under s->mu):
 *   - a NORMAL node is in `normal` (rank slot) and, if it has a deadline,
 *     in `promo` (time slot);
 *   - an URGENT node is in `urgent` (rank slot) and in `expiry` (time slot);
 *     only nodes with a deadline become urgent;
 *   - node->idx_[slot] is the node's position in the heap of that slot.
 * `promo` would be keyed by d - W and `expiry` by d; W is the same for every
 * node, so both simply order by deadline. Deadlines are clamped to INT64_MAX
 * so that a negated deadline is a valid sort key. */
#include "engine/sched.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>

#include "engine/alloc.h"

enum { SLOT_RANK = 0, SLOT_TIME = 1 };
enum { WHERE_NONE = 0, WHERE_NORMAL, WHERE_URGENT };

/* Heap slots carry their node's sort key, so that sifting compares within
 * the heap array instead of chasing node pointers (one cache miss per level
 * on a large queue). Every heap is a max-heap on k, ties to the lower seq:
 * rank heaps use the node's key, time heaps the negated deadline. */
typedef struct hent {
    int64_t k;
    uint64_t seq;
    tl_sched_node *n;
} hent;

typedef struct heap {
    hent *a;
    uint32_t n, cap;
    int slot;
} heap;

struct tl_sched {
    pthread_mutex_t mu;
    const tl_clock *clock;
    int64_t P, W, B, K;
    uint64_t epoch; /* origin of the integer keys; reset when the queue empties */
    uint64_t seq;
    heap normal, urgent, promo, expiry;
};

/* ---- heap ---------------------------------------------------------------- */

static inline bool above(const hent *x, const hent *y)
{
    return x->k != y->k ? x->k > y->k : x->seq < y->seq;
}

static inline void heap_put(heap *h, uint32_t i, hent x)
{
    h->a[i] = x;
    x.n->idx_[h->slot] = i;
}

static void sift_up(heap *h, uint32_t i)
{
    hent x = h->a[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!above(&x, &h->a[parent]))
            break;
        heap_put(h, i, h->a[parent]);
        i = parent;
    }
    heap_put(h, i, x);
}

static void sift_down(heap *h, uint32_t i)
{
    hent x = h->a[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && above(&h->a[child + 1], &h->a[child]))
            child++;
        if (!above(&h->a[child], &x))
            break;
        heap_put(h, i, h->a[child]);
        i = child;
    }
    heap_put(h, i, x);
}

static tl_err heap_reserve(heap *h, uint32_t need)
{
    if (need <= h->cap)
        return TL_OK;
    if (need > UINT32_MAX / 2)
        return TL_ENOMEM;
    uint32_t cap = h->cap ? h->cap : need;
    while (cap < need)
        cap *= 2;
    hent *a = tl__realloc(h->a, (size_t)cap * sizeof *a);
    if (!a)
        return TL_ENOMEM;
    h->a = a;
    h->cap = cap;
    return TL_OK;
}

static inline int64_t sort_key(const heap *h, const tl_sched_node *x)
{
    return h->slot == SLOT_RANK ? x->key_ : -(int64_t)x->deadline_ns_;
}

/* The caller has reserved room. */
static void heap_insert(heap *h, tl_sched_node *x)
{
    uint32_t i = h->n++;
    heap_put(h, i, (hent){sort_key(h, x), x->seq_, x});
    sift_up(h, i);
}

static void heap_remove(heap *h, tl_sched_node *x)
{
    uint32_t i = x->idx_[h->slot];
    hent last = h->a[--h->n];
    if (i == h->n)
        return;
    heap_put(h, i, last);
    /* The moved node may belong above or below its new place. */
    if (i > 0 && above(&last, &h->a[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

static inline tl_sched_node *heap_top(const heap *h)
{
    return h->n ? h->a[0].n : NULL;
}

/* ---- keys ------------------------------------------------------------------ */

static inline int64_t rel(const tl_sched *s, uint64_t t)
{
    return t > s->epoch ? (int64_t)(t - s->epoch) : 0;
}

static inline int64_t normal_key(const tl_sched *s, const tl_sched_node *x)
{
    return (int64_t)x->priority_ * s->P - rel(s, x->enqueued_ns_);
}

static inline int64_t urgent_key(const tl_sched *s, const tl_sched_node *x)
{
    return normal_key(s, x) + s->B * s->P - s->K * (rel(s, x->deadline_ns_) - s->W);
}

/* eff(t) * P, the comparable value of a heap top at time now. */
static inline int64_t scaled_eff(const tl_sched *s, const tl_sched_node *x, uint64_t now)
{
    int64_t r = rel(s, now);
    return x->where_ == WHERE_URGENT ? x->key_ + (1 + s->K) * r : x->key_ + r;
}

static inline bool in_window(const tl_sched *s, const tl_sched_node *x, uint64_t now)
{
    return x->deadline_ns_ && now + (uint64_t)s->W >= x->deadline_ns_;
}

static void make_urgent(tl_sched *s, tl_sched_node *x)
{
    heap_remove(&s->normal, x);
    heap_remove(&s->promo, x);
    x->where_ = WHERE_URGENT;
    x->key_ = urgent_key(s, x);
    /* The urgent heaps have room: every node counts against each pair's
     * reservation at push time (see reserve_all). */
    heap_insert(&s->urgent, x);
    heap_insert(&s->expiry, x);
}

/* Moves every normal node whose deadline entered the window to the urgent
 * heaps. Each node moves at most once. */
static void promote(tl_sched *s, uint64_t now)
{
    tl_sched_node *x;
    while ((x = heap_top(&s->promo)) && in_window(s, x, now))
        make_urgent(s, x);
}

/* ---- public -------------------------------------------------------------- */

void tl_sched_opts_default(tl_sched_opts *o)
{
    o->clock = NULL;
    o->aging_interval_ns = 100 * TL_NS_PER_MS;
    o->urgency_window_ns = 5 * TL_NS_PER_SEC;
    o->urgency_boost = 100;
    o->urgency_rate = 9;
    o->initial_capacity = 1024;
}

static bool opts_valid(const tl_sched_opts *o)
{
    return o->aging_interval_ns >= 1 && o->aging_interval_ns <= 100 * TL_NS_PER_SEC &&
           o->urgency_window_ns <= 86400 * TL_NS_PER_SEC && o->urgency_boost <= 1000000 &&
           o->urgency_boost >= -1000000 && o->urgency_rate <= 100 &&
           o->initial_capacity <= UINT32_MAX / 4;
}

/* Every queued node takes a slot in one rank heap and at most one time heap;
 * reserving `need` slots in all four keeps make_urgent() from allocating. */
static tl_err reserve_all(tl_sched *s, uint32_t need)
{
    heap *hs[4] = {&s->normal, &s->urgent, &s->promo, &s->expiry};
    for (int i = 0; i < 4; i++)
        if (heap_reserve(hs[i], need) != TL_OK)
            return TL_ENOMEM;
    return TL_OK;
}

tl_err tl_sched_create(tl_sched **out, const tl_sched_opts *opts)
{
    tl_sched_opts def;
    if (!opts) {
        tl_sched_opts_default(&def);
        opts = &def;
    }
    if (!out || !opts_valid(opts))
        return TL_EINVAL;
    tl_sched *s = tl__calloc(1, sizeof *s);
    if (!s)
        return TL_ENOMEM;
    s->clock = opts->clock ? opts->clock : tl_clock_real();
    s->P = (int64_t)opts->aging_interval_ns;
    s->W = (int64_t)opts->urgency_window_ns;
    s->B = opts->urgency_boost;
    s->K = opts->urgency_rate;
    s->normal.slot = s->urgent.slot = SLOT_RANK;
    s->promo.slot = s->expiry.slot = SLOT_TIME;
    if (reserve_all(s, (uint32_t)opts->initial_capacity) != TL_OK)
        goto fail;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    *out = s;
    return TL_OK;
fail:
    tl__free(s->normal.a);
    tl__free(s->urgent.a);
    tl__free(s->promo.a);
    tl__free(s->expiry.a);
    tl__free(s);
    return TL_ENOMEM;
}

void tl_sched_destroy(tl_sched *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    tl__free(s->normal.a);
    tl__free(s->urgent.a);
    tl__free(s->promo.a);
    tl__free(s->expiry.a);
    tl__free(s);
}

static inline uint32_t queued(const tl_sched *s)
{
    return s->normal.n + s->urgent.n;
}

tl_err tl_sched_push(tl_sched *s, tl_sched_node *node, int32_t priority, uint64_t deadline_ns)
{
    if (!s || !node)
        return TL_EINVAL;
    if (priority > TL_SCHED_PRIORITY_MAX)
        priority = TL_SCHED_PRIORITY_MAX;
    if (priority < -TL_SCHED_PRIORITY_MAX)
        priority = -TL_SCHED_PRIORITY_MAX;
    uint64_t now = tl_clock_now(s->clock);
    tl_err err = TL_OK;
    pthread_mutex_lock(&s->mu);
    if (node->where_ != WHERE_NONE) {
        err = TL_EINVAL;
        goto out;
    }
    if (reserve_all(s, queued(s) + 1) != TL_OK) {
        err = TL_ENOMEM;
        goto out;
    }
    if (queued(s) == 0)
        s->epoch = now; /* keeps the integer keys small; no key to rebase */
    node->priority_ = priority;
    node->enqueued_ns_ = now;
    /* A deadline already past is pinned to now: expired, and its key stays
     * within the range the option limits guarantee. */
    if (deadline_ns > (uint64_t)INT64_MAX)
        deadline_ns = (uint64_t)INT64_MAX;
    node->deadline_ns_ = deadline_ns == 0 ? 0 : (deadline_ns < now ? now : deadline_ns);
    node->seq_ = s->seq++;
    node->where_ = WHERE_NORMAL;
    node->key_ = normal_key(s, node);
    heap_insert(&s->normal, node);
    if (node->deadline_ns_) {
        heap_insert(&s->promo, node);
        if (in_window(s, node, now))
            make_urgent(s, node);
    }
out:
    pthread_mutex_unlock(&s->mu);
    return err;
}

static void take(tl_sched *s, tl_sched_node *x)
{
    if (x->where_ == WHERE_URGENT) {
        heap_remove(&s->urgent, x);
        heap_remove(&s->expiry, x);
    } else {
        heap_remove(&s->normal, x);
        if (x->deadline_ns_)
            heap_remove(&s->promo, x);
    }
    x->where_ = WHERE_NONE;
}

/* Finds the next task at time now (s->mu held). */
static tl_sched_status choose(tl_sched *s, uint64_t now, bool expired_only, tl_sched_node **out)
{
    promote(s, now);
    tl_sched_node *e = heap_top(&s->expiry);
    if (e && e->deadline_ns_ <= now) {
        *out = e;
        return TL_SCHED_EXPIRED;
    }
    tl_sched_node *n = heap_top(&s->normal), *u = heap_top(&s->urgent);
    *out = NULL;
    if (expired_only || (!n && !u))
        return TL_SCHED_EMPTY;
    if (!n || !u) {
        *out = n ? n : u;
        return TL_SCHED_READY;
    }
    int64_t en = scaled_eff(s, n, now), eu = scaled_eff(s, u, now);
    *out = (eu > en || (eu == en && u->seq_ < n->seq_)) ? u : n;
    return TL_SCHED_READY;
}

static tl_sched_status next(tl_sched *s, tl_sched_node **out, bool remove, bool expired_only)
{
    uint64_t now = tl_clock_now(s->clock);
    pthread_mutex_lock(&s->mu);
    tl_sched_status st = choose(s, now, expired_only, out);
    if (remove && *out)
        take(s, *out);
    pthread_mutex_unlock(&s->mu);
    return st;
}

tl_sched_status tl_sched_pop(tl_sched *s, tl_sched_node **out)
{
    return next(s, out, true, false);
}

tl_sched_status tl_sched_peek(tl_sched *s, tl_sched_node **out)
{
    return next(s, out, false, false);
}

tl_sched_status tl_sched_pop_expired(tl_sched *s, tl_sched_node **out)
{
    return next(s, out, true, true);
}

tl_err tl_sched_remove(tl_sched *s, tl_sched_node *node)
{
    pthread_mutex_lock(&s->mu);
    tl_err err = TL_ENOTFOUND;
    if (node->where_ != WHERE_NONE) {
        /* A node of another scheduler would have a bogus index: check it
         * really sits where its index says. */
        heap *h = node->where_ == WHERE_URGENT ? &s->urgent : &s->normal;
        uint32_t i = node->idx_[SLOT_RANK];
        if (i < h->n && h->a[i].n == node) {
            take(s, node);
            err = TL_OK;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return err;
}

size_t tl_sched_len(tl_sched *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = queued(s);
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t tl_sched_next_deadline(tl_sched *s)
{
    pthread_mutex_lock(&s->mu);
    tl_sched_node *a = heap_top(&s->expiry), *b = heap_top(&s->promo);
    uint64_t d = 0;
    if (a)
        d = a->deadline_ns_;
    if (b && (d == 0 || b->deadline_ns_ < d))
        d = b->deadline_ns_;
    pthread_mutex_unlock(&s->mu);
    return d;
}

double tl_sched_effective(tl_sched *s, const tl_sched_node *x, uint64_t now)
{
    pthread_mutex_lock(&s->mu);
    double P = (double)s->P;
    uint64_t waited = now > x->enqueued_ns_ ? now - x->enqueued_ns_ : 0;
    double eff = x->priority_ + (double)waited / P;
    uint64_t d = x->deadline_ns_;
    if (d && now >= d)
        eff = INFINITY;
    else if (d && now + (uint64_t)s->W >= d)
        eff += (double)s->B + (double)s->K * (double)(now + (uint64_t)s->W - d) / P;
    pthread_mutex_unlock(&s->mu);
    return eff;
}
