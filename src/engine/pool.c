/* Worker pool (see pool.h).
 *
 * Locking: one mutex guards the queue and the stop flag; workers wait on
 * one condition variable. An item is unlinked under the lock and run
 * without it. */
#include "engine/pool.h"

#include <pthread.h>

#include "engine/alloc.h"

#define MAX_THREADS 64

struct tl_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tl_work *head, *tail;
    int stop;
    unsigned n;
    pthread_t th[MAX_THREADS];
};

static void *worker(void *arg)
{
    tl_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        tl_work *w = p->head;
        if (!w)
            break; /* stopping and drained */
        p->head = w->next_;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        w->fn(w);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

tl_err tl_pool_create(tl_pool **out, unsigned threads)
{
    if (!out || threads < 1 || threads > MAX_THREADS)
        return TL_EINVAL;
    tl_pool *p = tl__calloc(1, sizeof *p);
    if (!p)
        return TL_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (; p->n < threads; p->n++)
        if (pthread_create(&p->th[p->n], NULL, worker, p) != 0) {
            tl_pool_destroy(p);
            return TL_ENOMEM;
        }
    *out = p;
    return TL_OK;
}

void tl_pool_destroy(tl_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++)
        pthread_join(p->th[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    tl__free(p);
}

void tl_pool_submit(tl_pool *p, tl_work *w)
{
    w->next_ = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next_ = w;
    else
        p->head = w;
    p->tail = w;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
