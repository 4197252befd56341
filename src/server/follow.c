/* Event streams of jobs that another server runs (several servers on one
 * database, behind a load balancer). Such a job is not in this server's
 * memory, so its stream is rebuilt from the store: a follower job
 * (jobs.h, tl_sjob_follower) that a thread of its own brings up to date
 * by reading the job's record every poll_ms until it ends. One follower
 * per job, shared by every stream that reads it; it is dropped once the
 * job has ended or nobody reads it any more.
 *
 * Locks: f->mu, then a job's mutex (tl_sjob_follow_update); the store is
 * read with no lock held. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "server/server_int.h"
#include "util/deadline.h"
#include "util/log.h"

struct tl_follow {
    tl_store *store;
    int poll_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a follower was added, or stop */
    pthread_t thread;
    bool started;
    bool stop;
    tl_sjob **jobs; /* a reference each */
    size_t n, cap;
};

/* f->mu held: drops follower i (the registry's reference). */
static void drop(tl_follow *f, size_t i)
{
    tl_sjob_unref(f->jobs[i]);
    f->jobs[i] = f->jobs[--f->n];
}

/* Reads each followed job's record once (no lock held: a reference each
 * in snap) and drops the followers that ended or have no reader. */
static void poll_once(tl_follow *f, tl_sjob **snap, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tl_store_job *rec = NULL;
        if (tl_store_job_get(f->store, tl_sjob_id(snap[i]), &rec) == TL_OK)
            (void)tl_sjob_follow_update(snap[i], rec);
        tl_store_job_free(rec);
        tl_sjob_unref(snap[i]);
    }
    pthread_mutex_lock(&f->mu);
    for (size_t i = f->n; i-- > 0;) {
        tl_sjob_state st = tl_sjob_state_of(f->jobs[i]);
        if ((st != TL_SJOB_QUEUED && st != TL_SJOB_RUNNING) || tl_sjob_unshared(f->jobs[i]))
            drop(f, i);
    }
    pthread_mutex_unlock(&f->mu);
}

static void *follow_main(void *arg)
{
    tl_follow *f = arg;
    tl_sjob **snap = NULL;
    size_t snap_cap = 0;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        if (f->n == 0) {
            pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        struct timespec until = tl_deadline_after_ms(f->poll_ms);
        while (!f->stop && pthread_cond_timedwait(&f->cv, &f->mu, &until) == 0)
            ;
        if (f->stop)
            break;
        if (f->n > snap_cap) {
            tl_sjob **ns = realloc(snap, f->n * sizeof *ns);
            if (!ns)
                continue; /* next time */
            snap = ns;
            snap_cap = f->n;
        }
        size_t n = f->n;
        for (size_t i = 0; i < n; i++) {
            snap[i] = f->jobs[i];
            tl_sjob_ref(snap[i]);
        }
        pthread_mutex_unlock(&f->mu);
        poll_once(f, snap, n);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    free(snap);
    return NULL;
}

tl_err tl__follow_create(tl_follow **out, tl_store *store, int poll_ms)
{
    tl_follow *f = calloc(1, sizeof *f);
    if (!f)
        return TL_ENOMEM;
    f->store = store;
    f->poll_ms = poll_ms > 0 ? poll_ms : 500;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
        tl__follow_destroy(f);
        return TL_ENOMEM;
    }
    f->started = true;
    *out = f;
    return TL_OK;
}

/* f->mu held: the follower of job id, or NULL. */
static tl_sjob *lookup(tl_follow *f, int64_t id)
{
    for (size_t i = 0; i < f->n; i++)
        if (tl_sjob_id(f->jobs[i]) == id)
            return f->jobs[i];
    return NULL;
}

/* f->mu held: adds j (taking a reference of its own). */
static tl_err add(tl_follow *f, tl_sjob *j)
{
    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 8;
        tl_sjob **nj = realloc(f->jobs, ncap * sizeof *nj);
        if (!nj)
            return TL_ENOMEM;
        f->jobs = nj;
        f->cap = ncap;
    }
    tl_sjob_ref(j);
    f->jobs[f->n++] = j;
    pthread_cond_signal(&f->cv);
    return TL_OK;
}

tl_err tl__follow_job(tl_follow *f, const tl_store_job *rec, tl_sjob **out)
{
    pthread_mutex_lock(&f->mu);
    tl_err e = f->stop ? TL_EINVAL : TL_OK;
    tl_sjob *j = e ? NULL : lookup(f, rec->id);
    if (j) {
        tl_sjob_ref(j);
    } else if (e == TL_OK && (e = tl_sjob_follower(rec, &j)) == TL_OK && (e = add(f, j)) != TL_OK) {
        tl_sjob_unref(j);
        j = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    if (e == TL_OK)
        *out = j;
    return e;
}

void tl__follow_destroy(tl_follow *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->started)
        pthread_join(f->thread, NULL);
    /* Readers parked on a follower are woken: their streams end. */
    for (size_t i = 0; i < f->n; i++) {
        tl_sjob_follow_abort(f->jobs[i]);
        tl_sjob_unref(f->jobs[i]);
    }
    free(f->jobs);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
