/* The batcher: groups small tasks that may share one provider request.
 *
 * Items with equal keys (the caller folds provider, kind, strength and
 * model into a 64-bit key) gather in one open batch. A batch is handed out
 * (a) when adding an item fills it to max_batch items, (b) when the next
 * item would take it past max_batch_tokens (the open batch goes out, the
 * item starts a new one), or (c) by tl_batcher_due() once its oldest item
 * has waited max_queue_delay: no item ever waits longer than that for
 * companions. An item is never split or dropped; an item alone larger
 * than max_batch_tokens forms a batch of one.
 *
 * Items are intrusive (embed a tl_batch_item); a batch is a singly linked
 * list through them, oldest first. Not thread-safe: the engine's loop owns
 * it. Only open batches are kept (a bucket per key with items in it), so
 * keys may be as many as one likes; adding allocates only when the number
 * of open batches reaches a new high. */
#ifndef TL_ENGINE_BATCHER_H
#define TL_ENGINE_BATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct tl_batch_item {
    struct tl_batch_item *next; /* next item of the same batch (private while queued) */
    uint64_t tag;               /* the caller's (e.g. its job): see tl_batcher_flush_tag */
    uint64_t key_;
    uint64_t enq_ns_;
    uint32_t tokens_;
} tl_batch_item;

/* A batch handed out: items oldest first. */
typedef struct tl_batch {
    tl_batch_item *head;
    size_t n;
    uint64_t tokens;
    uint64_t key;
} tl_batch;

typedef struct tl_batcher_opts {
    unsigned max_batch;          /* default 8; 1..64 */
    uint64_t max_batch_tokens;   /* default 2048; >= 1 */
    uint64_t max_queue_delay_ns; /* default 20 ms */
} tl_batcher_opts;

void tl_batcher_opts_default(tl_batcher_opts *o);

typedef struct tl_batcher tl_batcher;

/* opts NULL: the defaults. TL_EINVAL, TL_ENOMEM; *out untouched on error. */
TL_MUST_CHECK tl_err tl_batcher_create(tl_batcher **out, const tl_batcher_opts *opts);
/* Queued items are forgotten (they are the caller's). NULL does nothing. */
void tl_batcher_destroy(tl_batcher *b);

/* Queues item under key at time now. When that makes a batch ready, *ready
 * gets it (ready->n > 0; at most one batch per call), else ready->n is 0.
 * TL_ENOMEM (nothing queued, *ready empty). */
TL_MUST_CHECK tl_err tl_batcher_add(tl_batcher *b, tl_batch_item *item, uint64_t key,
                                    uint32_t tokens, uint64_t now, tl_batch *ready);

/* As tl_batcher_add, with this add's own token bound for the key's open
 * batch (0 or more than max_batch_tokens: max_batch_tokens). The engine
 * passes a small bound while the provider has free slots and a large one
 * while its calls queue for a slot. */
TL_MUST_CHECK tl_err tl_batcher_add_capped(tl_batcher *b, tl_batch_item *item, uint64_t key,
                                           uint32_t tokens, uint64_t max_tokens, uint64_t now,
                                           tl_batch *ready);

/* Hands out one batch whose oldest item has waited max_queue_delay by now:
 * true and *ready filled, false when none is due. Call until false. */
bool tl_batcher_due(tl_batcher *b, uint64_t now, tl_batch *ready);

/* Hands out the open batch of key, due or not (flush). false when empty. */
bool tl_batcher_flush(tl_batcher *b, uint64_t key, tl_batch *ready);

/* Hands out one open batch whose oldest item has this tag, due or not
 * (its owner knows no companion can come): false when none. Call until
 * false. */
bool tl_batcher_flush_tag(tl_batcher *b, uint64_t tag, tl_batch *ready);

/* Takes a queued item out (its task was cancelled or expired): TL_ENOTFOUND
 * when it is not queued. */
TL_MUST_CHECK tl_err tl_batcher_remove(tl_batcher *b, tl_batch_item *item);

/* When the next batch becomes due (UINT64_MAX when nothing is queued). */
uint64_t tl_batcher_next_due(const tl_batcher *b);
/* Items queued. */
size_t tl_batcher_len(const tl_batcher *b);

#endif
