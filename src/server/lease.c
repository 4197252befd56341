/* The leases of this server's jobs (store.h, "leases"): a thread that,
 * every lease/3, renews the lease of every unfinished job this server
 * instance owns (one statement for all of them), and claims the jobs
 * whose server died (their lease ran out) or that a stopped server gave
 * up, and queues them here. A renewal that fails is tried again at the
 * next tick; a lease lasts three ticks, so one failure loses nothing.
 *
 * Started once the jobs of earlier runs are queued; stopped after the job
 * queue, so that jobs keep their leases while running jobs finish. */
#include <pthread.h>
#include <time.h>

#include "server/server_int.h"
#include "util/deadline.h"
#include "util/log.h"

static void tick(tl_server *s)
{
    tl_err e = tl_store_job_renew(s->store, s->instance, s->lease_ms, NULL);
    if (e)
        tl_warn("msg=\"cannot renew job leases\" err=\"%s\"", tl_strerror(e));
    /* Not while draining: the jobs would only be given up again. */
    if (!s->o.no_recover && !atomic_load(&s->draining))
        tl__recover_jobs(s, false);
}

static void *lease_main(void *arg)
{
    tl_server *s = arg;
    int64_t every = s->lease_ms / 3 > 10 ? s->lease_ms / 3 : 10;
    pthread_mutex_lock(&s->lease_mu);
    while (!s->lease_stop) {
        struct timespec until = tl_deadline_after_ms(every);
        while (!s->lease_stop && pthread_cond_timedwait(&s->lease_cv, &s->lease_mu, &until) == 0)
            ;
        if (s->lease_stop)
            break;
        pthread_mutex_unlock(&s->lease_mu);
        tick(s);
        pthread_mutex_lock(&s->lease_mu);
    }
    pthread_mutex_unlock(&s->lease_mu);
    return NULL;
}

tl_err tl__lease_start(tl_server *s)
{
    pthread_mutex_init(&s->lease_mu, NULL);
    pthread_cond_init(&s->lease_cv, NULL);
    s->lease_inited = true;
    if (pthread_create(&s->lease_thread, NULL, lease_main, s) != 0)
        return TL_ENOMEM;
    s->lease_started = true;
    return TL_OK;
}

void tl__lease_stop(tl_server *s)
{
    if (!s->lease_inited)
        return;
    pthread_mutex_lock(&s->lease_mu);
    s->lease_stop = true;
    pthread_cond_broadcast(&s->lease_cv);
    pthread_mutex_unlock(&s->lease_mu);
    if (s->lease_started)
        pthread_join(s->lease_thread, NULL);
    s->lease_started = false;
    /* The jobs left unfinished (queued, or given up at stop) are for the
     * next server to claim at once, not after their lease. */
    if (tl_store_job_release(s->store, s->instance) != TL_OK)
        tl_warn("msg=\"cannot give up this server's unfinished jobs; they run again once their "
                "lease ends\"");
    pthread_cond_destroy(&s->lease_cv);
    pthread_mutex_destroy(&s->lease_mu);
    s->lease_inited = false;
}
