/* End to end over loopback: the engine (engine/processor.h) runs whole
 * customizations through the openai and anthropic clients against
 * fake-llm; during an outage window the breaker opens and work falls back
 * to the embedded engine, and after it the breaker closes again. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/processor.h"
#include "provider/anthropic.h"
#include "provider/fakellm.h"
#include "provider/io.h"
#include "provider/openai.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

#define WAIT_S 60

typedef struct run {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    tl_err status;
    tl_result *result;
    tl_job_metrics metrics;
    size_t tasks, by_provider, fell_back;
    const char *provider; /* the chain's first link */
    /* streaming progress, per task id */
    size_t prog[64];
    int prog_tokens[64];
    double prog_at[64];
    bool result_seen[64];
    size_t prog_after_result, prog_backwards, prog_too_soon;
} run;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_progress(void *ud, const tl_task_progress *p)
{
    run *x = ud;
    assert_true(p->task_id < 64);
    assert_non_null(p->section_id);
    pthread_mutex_lock(&x->m);
    uint32_t t = p->task_id;
    double now = mono_ms();
    if (x->result_seen[t])
        x->prog_after_result++;
    if (x->prog[t] && p->tokens <= x->prog_tokens[t])
        x->prog_backwards++;
    /* the engine throttles by its clock, this measures delivery: some slack */
    if (x->prog[t] && now - x->prog_at[t] < 150)
        x->prog_too_soon++;
    x->prog[t]++;
    x->prog_tokens[t] = p->tokens;
    x->prog_at[t] = now;
    pthread_mutex_unlock(&x->m);
}

static void on_task(void *ud, const tl_task_result *r)
{
    run *x = ud;
    pthread_mutex_lock(&x->m);
    if (r->task_id < 64)
        x->result_seen[r->task_id] = true;
    x->tasks++;
    if (strcmp(r->provider, x->provider) == 0)
        x->by_provider++;
    if (r->fell_back)
        x->fell_back++;
    pthread_mutex_unlock(&x->m);
}

static void on_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                    const tl_job_metrics *m)
{
    (void)job_id;
    run *x = ud;
    pthread_mutex_lock(&x->m);
    x->status = status;
    x->result = result;
    x->metrics = *m;
    x->done = true;
    pthread_cond_broadcast(&x->c);
    pthread_mutex_unlock(&x->m);
}

typedef struct fx {
    tl_terms *terms;
    tl_resume *r;
    tl_job *j;
    tl_fakellm *llm;
    tl_io *io;
    tl_provider *p;
    tl_engine *e;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->r = tf_resume("alex-chen.json");
    f->j = tf_job(f->terms, "senior-backend-engineer.txt");
    assert_int_equal(tl_io_create(&f->io, NULL), TL_OK);
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.loop_thread = true;
    eo.workers = 1;
    eo.no_cache = true; /* every job goes to the provider */
    assert_int_equal(tl_engine_create(&f->e, &eo), TL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tl_engine_destroy(f->e);
    tl_provider_destroy(f->p);
    tl_io_destroy(f->io);
    tl_fakellm_stop(f->llm);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    tl_terms_free(f->terms);
    free(f);
    return 0;
}

/* Runs one job on chain [p] and waits for it. */
static void run_job_progress(fx *f, run *x, bool progress)
{
    memset(x, 0, sizeof *x);
    pthread_mutex_init(&x->m, NULL);
    pthread_cond_init(&x->c, NULL);
    x->provider = f->p->name;
    tl_job_opts jo = {0};
    jo.strength = TL_STRENGTH_BALANCED;
    jo.chain = &f->p;
    jo.n_chain = 1;
    jo.on_task = on_task;
    jo.on_progress = progress ? on_progress : NULL;
    jo.on_done = on_done;
    jo.ud = x;
    assert_int_equal(tl_engine_submit(f->e, f->r, f->j, f->terms, &jo, NULL), TL_OK);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_S;
    pthread_mutex_lock(&x->m);
    while (!x->done)
        if (pthread_cond_timedwait(&x->c, &x->m, &ts) != 0)
            break;
    pthread_mutex_unlock(&x->m);
    assert_true(x->done);
    assert_int_equal(x->status, TL_OK);
    assert_non_null(x->result);
    pthread_mutex_destroy(&x->m);
    pthread_cond_destroy(&x->c);
}

static void run_job(fx *f, run *x)
{
    run_job_progress(f, x, false);
}

static void start_llm(fx *f, const tl_fakellm_opts *o)
{
    assert_int_equal(tl_fakellm_start(o, &f->llm), TL_OK);
}

static void register_provider(fx *f, const tl_provider_conf *conf)
{
    assert_int_equal(tl_engine_add_provider(f->e, f->p, conf), TL_OK);
}

static void test_openai_job(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 5;
    start_llm(f, &o);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.io = f->io, .base_url = url, .api_key = "sk-engine-test"};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    register_provider(f, NULL);
    run x;
    run_job(f, &x);
    /* Every task answered by fake-llm through the guard, none fell back. */
    assert_true(x.tasks >= 4);
    assert_int_equal(x.by_provider, x.tasks);
    assert_int_equal(x.fell_back, 0);
    assert_true(x.result->changes->n > 0);
    assert_true(x.metrics.provider_calls >= 1);
    assert_true(x.metrics.tokens_out > 0);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.ok, x.metrics.provider_calls);
    tl_result_free(x.result);
}

static void test_anthropic_job(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 5;
    start_llm(f, &o);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", tl_fakellm_port(f->llm));
    tl_anthropic_opts ao = {.io = f->io, .base_url = url, .api_key = "sk-ant-engine-test"};
    assert_int_equal(tl_anthropic_create(&ao, &f->p), TL_OK);
    register_provider(f, NULL);
    run x;
    run_job(f, &x);
    assert_int_equal(x.by_provider, x.tasks);
    assert_int_equal(x.fell_back, 0);
    tl_result_free(x.result);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static tl_breaker_state breaker_state(fx *f)
{
    tl_engine_provider_stats st[4];
    size_t n = tl_engine_providers(f->e, st, 4);
    assert_true(n >= 1);
    return st[0].breaker.state;
}

/* fake-llm is down for its first 1.5 s: jobs complete anyway (fallback),
 * the breaker opens; once the window has passed, the breaker's trial call
 * succeeds, it closes, and the provider serves whole jobs again. */
/* A provider that streams: each task's progress arrives while its call
 * generates, throttled, growing, and never after the task's result. */
static void test_streamed_progress(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.ms_per_token = 10; /* an event (six tokens) every 60 ms */
    start_llm(f, &o);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.io = f->io, .base_url = url, .api_key = "sk-engine-test", .stream = true};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    register_provider(f, NULL);
    run x;
    run_job_progress(f, &x, true);
    assert_true(x.tasks >= 4);
    assert_int_equal(x.by_provider, x.tasks);
    size_t with_progress = 0, several = 0;
    for (size_t t = 0; t < 64; t++) {
        with_progress += x.prog[t] > 0;
        several += x.prog[t] >= 2;
    }
    /* every task's call takes some 300 ms or more: a report at its first
     * text, more every 200 ms */
    assert_int_equal(with_progress, x.tasks);
    assert_true(several >= 1);
    assert_int_equal(x.prog_after_result, 0);
    assert_int_equal(x.prog_backwards, 0);
    assert_int_equal(x.prog_too_soon, 0);
    tl_result_free(x.result);
}

static void test_outage_breaker_fallback(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 2;
    assert_int_equal(tl_fakellm_add_outage(&o, "0:1.5"), TL_OK);
    start_llm(f, &o);
    double t0 = mono_s();
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.io = f->io, .base_url = url, .api_key = "sk-engine-test"};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.breaker.window_size = 4;
    conf.breaker.minimum_calls = 4;
    conf.breaker.wait_in_open_ns = 200 * TL_NS_PER_MS;
    conf.breaker.max_wait_in_open_ns = 200 * TL_NS_PER_MS;
    conf.breaker.half_open_calls = 1;
    conf.retry.max_attempts = 1;
    conf.hedge = false;
    register_provider(f, &conf);

    bool saw_open = false, saw_fallback = false, recovered = false;
    size_t jobs = 0;
    while (mono_s() - t0 < 30 && !recovered) {
        run x;
        run_job(f, &x);
        jobs++;
        /* Whatever happens, every task completes. */
        assert_true(x.tasks >= 4);
        if (x.fell_back)
            saw_fallback = true;
        tl_breaker_state s = breaker_state(f);
        if (s == TL_BREAKER_OPEN || s == TL_BREAKER_HALF_OPEN || x.metrics.breaker_refusals)
            saw_open = true;
        if (mono_s() - t0 > 1.6 && x.by_provider == x.tasks && s == TL_BREAKER_CLOSED)
            recovered = true;
        tl_result_free(x.result);
    }
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    printf("# outage: %zu jobs, fake-llm calls %llu (errors %llu), recovered after %.2f s\n", jobs,
           (unsigned long long)st.calls, (unsigned long long)st.errors, mono_s() - t0);
    assert_true(saw_fallback);
    assert_true(saw_open);
    assert_true(recovered);
    assert_true(st.errors > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_openai_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_breaker_fallback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
