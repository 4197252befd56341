/* A small pool of CPU worker threads (libuv's uv_queue_work in spirit).
 *
 * Work items are intrusive: embed a tl_work, set fn, submit. fn runs once
 * on some worker thread; it must itself hand its result back to whoever
 * waits (the engine posts an event to its loop). Items run in submission
 * order as workers free up. No allocation after create. */
#ifndef TL_ENGINE_POOL_H
#define TL_ENGINE_POOL_H

#include "util/err.h"

typedef struct tl_work {
    struct tl_work *next_; /* private while queued */
    void (*fn)(struct tl_work *w);
} tl_work;

typedef struct tl_pool tl_pool;

/* Starts `threads` workers (1..64). TL_EINVAL, TL_ENOMEM (or a thread
 * that could not start); *out untouched on error. */
TL_MUST_CHECK tl_err tl_pool_create(tl_pool **out, unsigned threads);
/* Runs every queued item, then joins the workers. Not from a worker.
 * NULL does nothing. */
void tl_pool_destroy(tl_pool *p);
/* Queues w. Any thread, workers included. */
void tl_pool_submit(tl_pool *p, tl_work *w);

#endif
