/* Shared fixture of the processor tests: fixtures loaded from tests/data,
 * an engine on a test clock, scripted providers, and a driver that moves
 * the clock from event to event (never sleeping) until every job is done. */
#ifndef TEST_ENGINE_FX_H
#define TEST_ENGINE_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/processor.h"
#include "engine/scripted.h"
#include "tailor/tailor.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

#define MS TL_NS_PER_MS
#define SEC TL_NS_PER_SEC
#define T0 (1000 * SEC)
#define MAX_PROV 4
#define MAX_DONE 96
#define MAX_TASKS 256

typedef struct fx {
    tl_test_clock clock;
    tl_terms *terms;
    tl_resume *resume;
    tl_job *job;
    tl_engine *e;
    tl_provider *prov[MAX_PROV];
    size_t n_prov;
    /* what came back */
    size_t n_done;
    tl_result *res[MAX_DONE];
    tl_job_metrics m[MAX_DONE];
    tl_err status[MAX_DONE];
    size_t n_tr;
    tl_task_result tr[MAX_TASKS];
    char tr_producer[MAX_TASKS][32];
    uint64_t done_at[MAX_DONE];
    uint64_t done_id[MAX_DONE]; /* the job of each done_at */
    size_t texts_seen;          /* task results whose texts match the tailored resume's */
} fx;

static inline void fx_on_task(void *ud, const tl_task_result *r)
{
    fx *f = ud;
    if (f->n_tr < MAX_TASKS) {
        f->tr[f->n_tr] = *r;
        snprintf(f->tr_producer[f->n_tr], sizeof f->tr_producer[0], "%s", r->provider);
        f->tr[f->n_tr].provider = f->tr_producer[f->n_tr];
        f->tr[f->n_tr].section_id = NULL;
        f->tr[f->n_tr].bullets = NULL;
        f->tr[f->n_tr].summary = NULL;
        f->n_tr++;
    }
    /* the streamed texts are the subsection's: a summary task has a
     * summary and no bullets; an entry's bullets are all there */
    bool ok = r->bullets || r->n_bullets == 0;
    for (size_t i = 0; ok && i < r->n_bullets; i++)
        ok = r->bullets[i] && r->bullets[i][0];
    if (r->kind == TL_TASK_SUMMARY)
        ok = ok && r->n_bullets == 0;
    else
        ok = ok && r->n_bullets > 0;
    f->texts_seen += ok;
}

static inline void fx_on_done(void *ud, uint64_t job_id, tl_err status, tl_result *res,
                              const tl_job_metrics *m)
{
    fx *f = ud;
    assert_true(f->n_done < MAX_DONE);
    f->done_id[f->n_done] = job_id;
    f->res[f->n_done] = res;
    f->m[f->n_done] = *m;
    f->status[f->n_done] = status;
    f->done_at[f->n_done] = tl_clock_now(&f->clock.base);
    f->n_done++;
}

/* Loads the fixtures and makes an engine with opts (tweaked by the test). */
static inline void fx_init(fx *f, const char *resume, const char *job, tl_engine_opts *o)
{
    memset(f, 0, sizeof *f);
    tl_test_clock_init(&f->clock, T0);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->resume = tf_resume(resume);
    f->job = tf_job(f->terms, job);
    tl_engine_opts d;
    if (!o) {
        tl_engine_opts_default(&d);
        o = &d;
    }
    o->clock = &f->clock.base;
    if (!o->codec)
        o->codec = tl_scripted_codec();
    if (!o->seed)
        o->seed = 42;
    assert_int_equal(tl_engine_create(&f->e, o), TL_OK);
}

static inline tl_provider *fx_provider(fx *f, tl_scripted_opts *so, const tl_provider_conf *conf)
{
    tl_scripted_opts d;
    if (!so) {
        tl_scripted_opts_default(&d);
        so = &d;
    }
    so->clock = &f->clock.base;
    tl_provider *p = NULL;
    assert_int_equal(tl_scripted_create(&p, so), TL_OK);
    assert_int_equal(tl_engine_add_provider(f->e, p, conf), TL_OK);
    f->prov[f->n_prov++] = p;
    return p;
}

/* As fx_submit, at a job priority; returns the job's id. */
static inline uint64_t fx_submit_at(fx *f, tl_provider **chain, size_t n, int32_t priority)
{
    tl_job_opts jo = {0};
    jo.strength = TL_STRENGTH_BALANCED;
    jo.chain = chain;
    jo.n_chain = n;
    jo.priority = priority;
    jo.on_task = fx_on_task;
    jo.on_done = fx_on_done;
    jo.ud = f;
    uint64_t id = 0;
    assert_int_equal(tl_engine_submit(f->e, f->resume, f->job, f->terms, &jo, &id), TL_OK);
    return id;
}

/* When job id finished (fails the test if it did not). */
static inline uint64_t fx_done_at(const fx *f, uint64_t id)
{
    for (size_t i = 0; i < f->n_done; i++)
        if (f->done_id[i] == id)
            return f->done_at[i];
    fail_msg("job %llu did not finish", (unsigned long long)id);
    return 0;
}

static inline void fx_submit(fx *f, tl_provider **chain, size_t n, tl_strength s, uint64_t deadline)
{
    tl_job_opts jo = {0};
    jo.strength = s;
    jo.chain = chain;
    jo.n_chain = n;
    jo.deadline_ns = deadline;
    jo.on_task = fx_on_task;
    jo.on_done = fx_on_done;
    jo.ud = f;
    assert_int_equal(tl_engine_submit(f->e, f->resume, f->job, f->terms, &jo, NULL), TL_OK);
}

static inline uint64_t fx_next(fx *f)
{
    uint64_t next = tl_engine_next_timer(f->e);
    for (size_t i = 0; i < f->n_prov; i++) {
        uint64_t t = tl_scripted_next_due(f->prov[i]);
        next = t < next ? t : next;
    }
    return next;
}

/* Runs until no job is pending: poll, then jump the clock to the next
 * event and fire what is due. Fails the test if nothing is left to run
 * while jobs are still pending. */
static inline void fx_drive(fx *f)
{
    for (long guard = 0; guard < 10000000; guard++) {
        tl_engine_poll(f->e);
        if (tl_engine_pending(f->e) == 0)
            return;
        uint64_t next = fx_next(f);
        assert_true(next != UINT64_MAX);
        tl_test_clock_set(&f->clock, next);
        for (size_t i = 0; i < f->n_prov; i++)
            tl_scripted_fire(f->prov[i]);
    }
    fail_msg("the engine did not finish");
}

/* Runs until the clock reaches `until` (or nothing is left). */
static inline void fx_drive_until(fx *f, uint64_t until)
{
    for (;;) {
        tl_engine_poll(f->e);
        uint64_t next = fx_next(f);
        if (next == UINT64_MAX || next > until) {
            tl_test_clock_set(&f->clock, until);
            tl_engine_poll(f->e);
            return;
        }
        tl_test_clock_set(&f->clock, next);
        for (size_t i = 0; i < f->n_prov; i++)
            tl_scripted_fire(f->prov[i]);
    }
}

static inline void fx_free(fx *f)
{
    tl_engine_destroy(f->e);
    for (size_t i = 0; i < f->n_prov; i++)
        tl_provider_destroy(f->prov[i]);
    for (size_t i = 0; i < f->n_done; i++)
        tl_result_free(f->res[i]);
    tl_job_free(f->job);
    tl_resume_free(f->resume);
    tl_terms_free(f->terms);
}

/* The tailored resume as JSON text (caller frees). */
static inline char *fx_json(const tl_resume *r)
{
    char *s = NULL;
    size_t n = 0;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &s, &n), TL_OK);
    return s;
}

/* a and b tailored the same: same resume, same changes, same scores. */
static inline void fx_assert_same(const tl_result *a, const tl_result *b)
{
    char *ja = fx_json(a->tailored), *jb = fx_json(b->tailored);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    assert_int_equal(a->changes->n, b->changes->n);
    for (size_t i = 0; i < a->changes->n; i++) {
        assert_int_equal(a->changes->items[i].kind, b->changes->items[i].kind);
        assert_string_equal(a->changes->items[i].id, b->changes->items[i].id);
    }
    assert_int_equal(a->after->score, b->after->score);
    assert_int_equal(a->before->score, b->before->score);
}

static inline tl_result *fx_customize(fx *f, tl_strength s)
{
    tl_customize_opts co = {.strength = s};
    tl_result *r = NULL;
    assert_int_equal(tl_customize(f->resume, f->job, f->terms, &co, &r), TL_OK);
    return r;
}

#endif
