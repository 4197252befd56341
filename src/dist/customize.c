/* tl_customize through the workers: the engine (engine/processor.h) with
 * one remote provider as its chain (dist.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "engine/processor.h"

struct tl_dist_customizer {
    tl_engine *engine;
    tl_provider *remote;
};

/* One waiting call of tl_dist_customize. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    tl_err status;
    tl_result *result;
    int tasks_done;
    const tl_customize_opts *o;
    int total;
} waiter;

static void on_task(void *ud, const tl_task_result *r)
{
    (void)r;
    waiter *w = ud;
    int done = ++w->tasks_done; /* the loop thread delivers them one by one */
    if (w->o && w->o->progress)
        w->o->progress(w->o->progress_ud, done, w->total > done ? w->total : done);
}

static void on_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                    const tl_job_metrics *m)
{
    (void)job_id;
    (void)m;
    waiter *w = ud;
    pthread_mutex_lock(&w->mu);
    w->status = status;
    w->result = result;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

tl_err tl_dist_customizer_create(tl_dist_customizer **out, const tl_dist_customizer_opts *opts)
{
    if (!out || !opts || !opts->url)
        return TL_EINVAL;
    tl_dist_customizer *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    tl_dist_remote_opts ro = {
        .url = opts->url, .prefix = opts->prefix, .resend_after_ms = opts->resend_after_ms};
    tl_err e = tl_dist_remote_create(&ro, &c->remote);
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.loop_thread = true;
    eo.workers = opts->cpu_workers ? opts->cpu_workers : 2;
    eo.no_cache = opts->no_cache;
    if (e == TL_OK)
        e = tl_engine_create(&c->engine, &eo);
    if (e == TL_OK) {
        tl_provider_conf pc;
        tl_provider_conf_default(&pc);
        /* The workers share the provider's limits through Redis; here the
         * limiter only bounds what is queued at once. */
        pc.ratelimit.max_concurrency = 512;
        e = tl_engine_add_provider(c->engine, c->remote, &pc);
    }
    if (e) {
        tl_dist_customizer_destroy(c);
        return e;
    }
    *out = c;
    return TL_OK;
}

void tl_dist_customizer_destroy(tl_dist_customizer *c)
{
    if (!c)
        return;
    tl_engine_destroy(c->engine); /* before the provider it calls */
    tl_provider_destroy(c->remote);
    free(c);
}

void tl_dist_customizer_stats(tl_dist_customizer *c, tl_dist_remote_stats *st)
{
    tl_dist_remote_stats_get(c->remote, st);
}

tl_err tl_dist_customize(void *ud, const tl_resume *r, const tl_job *j, const tl_terms *t,
                         const tl_customize_opts *o, tl_result **out)
{
    tl_dist_customizer *c = ud;
    if (!c || !r || !j || !out)
        return TL_EINVAL;
    waiter w = {.o = o};
    tl_plan *plan = NULL;
    if (tl_plan_build(r, 0, NULL, &plan) == TL_OK) {
        w.total = (int)plan->n;
        tl_plan_free(plan);
    }
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    tl_job_opts jo = {0};
    jo.strength = o ? o->strength : 0;
    jo.chain = &c->remote;
    jo.n_chain = 1;
    jo.on_task = on_task;
    jo.on_done = on_done;
    jo.ud = &w;
    tl_err e = tl_engine_submit(c->engine, r, j, t, &jo, NULL);
    if (e == TL_OK) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        e = w.status;
        if (e == TL_OK)
            *out = w.result;
        else
            tl_result_free(w.result);
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return e;
}
