#include "server/limiter.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/hash.h"

enum { N_SLOTS = 4096 };

typedef struct bucket {
    uint64_t who; /* hash of the identity; 0 when the slot is free */
    double tokens;
    double last_s;
} bucket;

struct tl_limiter {
    pthread_mutex_t mu;
    double rate, burst;
    bucket slots[N_SLOTS];
};

tl_limiter *tl_limiter_create(double rate, double burst)
{
    if (!(rate > 0))
        return NULL;
    tl_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l);
        return NULL;
    }
    l->rate = rate;
    l->burst = burst >= 1 ? burst : 1;
    return l;
}

void tl_limiter_destroy(tl_limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

bool tl_limiter_take(tl_limiter *l, const char *id, size_t n, double now_s, int *retry_after_s)
{
    uint64_t who = tl_hash64(id, n, 0x7461696c6f72ULL) | 1; /* never 0 */
    pthread_mutex_lock(&l->mu);
    bucket *b = &l->slots[who % N_SLOTS];
    if (b->who != who) {
        b->who = who;
        b->tokens = l->burst;
        b->last_s = now_s;
    }
    double elapsed = now_s - b->last_s;
    if (elapsed > 0) {
        b->tokens = fmin(l->burst, b->tokens + elapsed * l->rate);
        b->last_s = now_s;
    }
    bool ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else if (retry_after_s) {
        double wait = (1 - b->tokens) / l->rate;
        *retry_after_s = wait < 1 ? 1 : (int)ceil(wait);
    }
    pthread_mutex_unlock(&l->mu);
    return ok;
}
