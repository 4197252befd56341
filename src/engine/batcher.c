/* The batcher (see batcher.h). Open batches live in a small array of
 * buckets, one per key with items queued (an emptied bucket is swapped
 * out): open batches are few at any time (they leave within
 * max_queue_delay), so a linear scan beats a hash table here. */
#include "engine/batcher.h"

#include <string.h>

#include "engine/alloc.h"
#include "engine/clock.h"

#define MAX_BATCH_LIMIT 64

typedef struct bucket {
    uint64_t key;
    tl_batch_item *head, *tail;
    size_t n;
    uint64_t tokens;
} bucket;

struct tl_batcher {
    tl_batcher_opts o;
    bucket *buckets;
    size_t n_buckets, cap_buckets;
    size_t queued;
};

void tl_batcher_opts_default(tl_batcher_opts *o)
{
    o->max_batch = 8;
    o->max_batch_tokens = 2048;
    o->max_queue_delay_ns = 20 * TL_NS_PER_MS;
}

tl_err tl_batcher_create(tl_batcher **out, const tl_batcher_opts *opts)
{
    tl_batcher_opts o;
    if (opts)
        o = *opts;
    else
        tl_batcher_opts_default(&o);
    if (!out || o.max_batch < 1 || o.max_batch > MAX_BATCH_LIMIT || o.max_batch_tokens < 1)
        return TL_EINVAL;
    tl_batcher *b = tl__calloc(1, sizeof *b);
    if (!b)
        return TL_ENOMEM;
    b->o = o;
    *out = b;
    return TL_OK;
}

void tl_batcher_destroy(tl_batcher *b)
{
    if (!b)
        return;
    tl__free(b->buckets);
    tl__free(b);
}

static bucket *find(tl_batcher *b, uint64_t key)
{
    for (size_t i = 0; i < b->n_buckets; i++)
        if (b->buckets[i].key == key)
            return &b->buckets[i];
    return NULL;
}

static bucket *find_or_add(tl_batcher *b, uint64_t key)
{
    bucket *k = find(b, key);
    if (k)
        return k;
    if (b->n_buckets == b->cap_buckets) {
        size_t cap = b->cap_buckets ? b->cap_buckets * 2 : 8;
        bucket *nb = tl__realloc(b->buckets, cap * sizeof *nb);
        if (!nb)
            return NULL;
        b->buckets = nb;
        b->cap_buckets = cap;
    }
    k = &b->buckets[b->n_buckets++];
    memset(k, 0, sizeof *k);
    k->key = key;
    return k;
}

/* Forgets an empty bucket (the last one takes its place). */
static void drop(tl_batcher *b, bucket *k)
{
    bucket *last = &b->buckets[--b->n_buckets];
    if (k != last)
        *k = *last;
}

/* Hands the bucket's items out as one batch and empties it. */
static void take(tl_batcher *b, bucket *k, tl_batch *ready)
{
    ready->head = k->head;
    ready->n = k->n;
    ready->tokens = k->tokens;
    ready->key = k->key;
    if (k->tail)
        k->tail->next = NULL;
    b->queued -= k->n;
    k->head = k->tail = NULL;
    k->n = 0;
    k->tokens = 0;
}

static void append(bucket *k, tl_batch_item *item)
{
    item->next = NULL;
    if (k->tail)
        k->tail->next = item;
    else
        k->head = item;
    k->tail = item;
    k->n++;
    k->tokens += item->tokens_;
}

tl_err tl_batcher_add(tl_batcher *b, tl_batch_item *item, uint64_t key, uint32_t tokens,
                      uint64_t now, tl_batch *ready)
{
    return tl_batcher_add_capped(b, item, key, tokens, 0, now, ready);
}

tl_err tl_batcher_add_capped(tl_batcher *b, tl_batch_item *item, uint64_t key, uint32_t tokens,
                             uint64_t max_tokens, uint64_t now, tl_batch *ready)
{
    memset(ready, 0, sizeof *ready);
    if (!max_tokens || max_tokens > b->o.max_batch_tokens)
        max_tokens = b->o.max_batch_tokens;
    bucket *k = find_or_add(b, key);
    if (!k)
        return TL_ENOMEM;
    item->key_ = key;
    item->enq_ns_ = now;
    item->tokens_ = tokens;
    /* Too heavy to join: the open batch leaves now, the item starts anew. */
    if (k->n > 0 && k->tokens + tokens > max_tokens)
        take(b, k, ready);
    append(k, item);
    b->queued++;
    if (ready->n == 0 && (k->n >= b->o.max_batch || k->tokens >= max_tokens)) {
        take(b, k, ready);
        drop(b, k);
    }
    return TL_OK;
}

static uint64_t due_at(const tl_batcher *b, const bucket *k)
{
    return k->head->enq_ns_ + b->o.max_queue_delay_ns;
}

bool tl_batcher_due(tl_batcher *b, uint64_t now, tl_batch *ready)
{
    for (size_t i = 0; i < b->n_buckets; i++) {
        bucket *k = &b->buckets[i];
        if (k->n > 0 && due_at(b, k) <= now) {
            take(b, k, ready);
            drop(b, k);
            return true;
        }
    }
    return false;
}

bool tl_batcher_flush(tl_batcher *b, uint64_t key, tl_batch *ready)
{
    bucket *k = find(b, key);
    if (!k || k->n == 0)
        return false;
    take(b, k, ready);
    drop(b, k);
    return true;
}

bool tl_batcher_flush_tag(tl_batcher *b, uint64_t tag, tl_batch *ready)
{
    for (size_t i = 0; i < b->n_buckets; i++) {
        bucket *k = &b->buckets[i];
        if (k->n > 0 && k->head->tag == tag) {
            take(b, k, ready);
            drop(b, k);
            return true;
        }
    }
    return false;
}

tl_err tl_batcher_remove(tl_batcher *b, tl_batch_item *item)
{
    bucket *k = find(b, item->key_);
    if (!k)
        return TL_ENOTFOUND;
    tl_batch_item *prev = NULL;
    for (tl_batch_item *it = k->head; it; prev = it, it = it->next) {
        if (it != item)
            continue;
        if (prev)
            prev->next = it->next;
        else
            k->head = it->next;
        if (k->tail == it)
            k->tail = prev;
        k->n--;
        k->tokens -= it->tokens_;
        b->queued--;
        it->next = NULL;
        if (k->n == 0)
            drop(b, k);
        return TL_OK;
    }
    return TL_ENOTFOUND;
}

uint64_t tl_batcher_next_due(const tl_batcher *b)
{
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < b->n_buckets; i++) {
        const bucket *k = &b->buckets[i];
        if (k->n > 0 && due_at(b, k) < best)
            best = due_at(b, k);
    }
    return best;
}

size_t tl_batcher_len(const tl_batcher *b)
{
    return b->queued;
}
