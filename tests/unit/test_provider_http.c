/* The openai and anthropic clients against fake-llm, in-process, over real
 * loopback sockets: answers, every class of failure, the response_format
 * re-ask, streaming, the fact guard on hallucinated answers, cancel, and
 * 1,000 calls in flight on one I/O thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "provider/anthropic.h"
#include "provider/chat_int.h"
#include "provider/fakellm.h"
#include "provider/io.h"
#include "provider/openai.h"
#include "provider/prompt.h"
#include "tailor/local.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

#define KEY "sk-test-0123456789abcdef"
#define WAIT_S 60

/* ---- waiting for callbacks ---- */

typedef struct got {
    tl_call_error error;
    int status;
    char *text;
    int tin, tout;
    bool estimated;
    int64_t retry_after_ms, remaining_requests, reset_ms;
    char message[300];
} got;

typedef struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    size_t done, want;
    got *g; /* want slots */
    pthread_t cb_thread;
    bool one_thread;
    /* streaming progress, as reported */
    size_t n_prog;
    size_t prog_chars[512];
    int prog_tokens[512];
    bool prog_after_done, prog_backwards;
} waiter;

typedef struct slot {
    waiter *w;
    size_t i;
} slot;

static void waiter_init(waiter *w, size_t want)
{
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
    w->done = 0;
    w->n_prog = 0;
    w->prog_after_done = w->prog_backwards = false;
    w->want = want;
    w->g = calloc(want, sizeof *w->g);
    assert_non_null(w->g);
    w->one_thread = true;
}

static void waiter_free(waiter *w)
{
    for (size_t i = 0; i < w->want; i++)
        free(w->g[i].text);
    free(w->g);
    pthread_mutex_destroy(&w->m);
    pthread_cond_destroy(&w->c);
}

static void on_done(void *ud, const tl_chat_response *r)
{
    slot *s = ud;
    waiter *w = s->w;
    got *g = &w->g[s->i];
    g->error = r->error;
    g->status = r->http_status;
    g->text = r->text_len ? strndup(r->text, r->text_len) : NULL;
    g->tin = r->tokens_in;
    g->tout = r->tokens_out;
    g->estimated = r->tokens_estimated;
    g->retry_after_ms = r->retry_after_ms;
    g->remaining_requests = r->remaining_requests;
    g->reset_ms = r->reset_ms;
    snprintf(g->message, sizeof g->message, "%s", r->message ? r->message : "");
    pthread_mutex_lock(&w->m);
    if (w->done == 0)
        w->cb_thread = pthread_self();
    else if (!pthread_equal(w->cb_thread, pthread_self()))
        w->one_thread = false;
    w->done++;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
}

static void on_progress(void *ud, const tl_chat_progress *p)
{
    waiter *w = ud;
    pthread_mutex_lock(&w->m);
    if (w->done)
        w->prog_after_done = true;
    if (w->n_prog && p->chars <= w->prog_chars[w->n_prog - 1])
        w->prog_backwards = true;
    if (w->n_prog < sizeof w->prog_chars / sizeof w->prog_chars[0]) {
        w->prog_chars[w->n_prog] = p->chars;
        w->prog_tokens[w->n_prog] = p->tokens;
        w->n_prog++;
    }
    pthread_mutex_unlock(&w->m);
}

static void wait_all(waiter *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_S;
    pthread_mutex_lock(&w->m);
    while (w->done < w->want)
        if (pthread_cond_timedwait(&w->c, &w->m, &ts) != 0)
            break;
    size_t done = w->done;
    pthread_mutex_unlock(&w->m);
    assert_int_equal(done, w->want);
}

/* ---- fixtures ---- */

typedef struct fx {
    tl_terms *terms;
    tl_resume *r;
    tl_job *j;
    tl_prompt_ctx *ctx;
    char *sys, *user;
    tl_prompt_task task;
    tl_io *io;
    tl_fakellm *llm;
    tl_provider *p;
    char url[128];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->r = tf_resume("alex-chen.json");
    f->j = tf_job(f->terms, "senior-backend-engineer.txt");
    assert_int_equal(tl_prompt_ctx_create(f->r, f->j, f->terms, TL_STRENGTH_BALANCED, &f->ctx),
                     TL_OK);
    f->task = (tl_prompt_task){"w0", {TL_TARGET_ENTRY, 0, 0, 0, 0}};
    assert_int_equal(tl_prompt_render(f->ctx, &f->task, 1, &f->sys, &f->user), TL_OK);
    assert_int_equal(tl_io_create(&f->io, NULL), TL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tl_provider_destroy(f->p);
    tl_io_destroy(f->io);
    tl_fakellm_stop(f->llm);
    free(f->sys);
    free(f->user);
    tl_prompt_ctx_free(f->ctx);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    tl_terms_free(f->terms);
    free(f);
    return 0;
}

static void start_llm(fx *f, tl_fakellm_opts *o)
{
    assert_int_equal(tl_fakellm_start(o, &f->llm), TL_OK);
    assert_true(tl_fakellm_port(f->llm) > 0);
}

static void make_openai(fx *f)
{
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.io = f->io, .base_url = f->url, .api_key = KEY, .model = "fake-1"};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    assert_string_equal(f->p->name, "openai");
}

static void make_anthropic(fx *f)
{
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", tl_fakellm_port(f->llm));
    tl_anthropic_opts ao = {.io = f->io, .base_url = f->url, .api_key = KEY};
    assert_int_equal(tl_anthropic_create(&ao, &f->p), TL_OK);
}

static tl_chat_request request(const fx *f, bool stream)
{
    tl_chat_request rq = {0};
    rq.system = f->sys;
    rq.user = f->user;
    rq.json = true;
    rq.stream = stream;
    return rq;
}

/* One call, waited for. */
static void call_once(fx *f, const tl_chat_request *rq, waiter *w)
{
    waiter_init(w, 1);
    slot s = {w, 0};
    uint64_t id = 0;
    assert_int_equal(tl_provider_submit(f->p, rq, on_done, &s, &id), TL_OK);
    assert_true(id > 0);
    wait_all(w);
    assert_null(strstr(w->g[0].message, KEY));
}

static void apply_answer(fx *f, const got *g, tl_prompt_outcome want)
{
    tl_resume *out = NULL;
    assert_int_equal(tl_resume_clone(f->r, &out), TL_OK);
    tl_changes *ch = tl_changes_new();
    tl_prompt_outcome oc;
    assert_non_null(g->text);
    assert_int_equal(tl_prompt_apply(f->ctx, g->text, strlen(g->text), &f->task, 1, out, ch, &oc),
                     TL_OK);
    assert_int_equal(oc, want);
    if (want == TL_PROMPT_APPLIED)
        assert_true(ch->n > 0); /* reordered, and golang -> Go */
    else
        assert_string_equal(out->sections[0].entries[0].bullets[0],
                            f->r->sections[0].entries[0].bullets[0]);
    tl_changes_free(ch);
    tl_resume_free(out);
}

/* ---- tests ---- */

static void test_openai_success(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    call_once(f, &rq, &w);
    got *g = &w.g[0];
    assert_int_equal(g->error, TL_CALL_OK);
    assert_int_equal(g->status, 200);
    assert_false(g->estimated);
    assert_true(g->tin > 100 && g->tout > 10);
    assert_non_null(strstr(g->text, "\"id\":\"w0\""));
    apply_answer(f, g, TL_PROMPT_APPLIED);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.ok, 1);
    assert_int_equal(st.tokens_out, (uint64_t)g->tout);
    waiter_free(&w);
}

static void test_openai_stream(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter plain, streamed;
    call_once(f, &rq, &plain);
    rq.stream = true;
    call_once(f, &rq, &streamed);
    assert_int_equal(streamed.g[0].error, TL_CALL_OK);
    assert_string_equal(streamed.g[0].text, plain.g[0].text);
    assert_false(streamed.g[0].estimated); /* usage in the last chunk */
    assert_int_equal(streamed.g[0].tout, plain.g[0].tout);
    apply_answer(f, &streamed.g[0], TL_PROMPT_APPLIED);
    waiter_free(&plain);
    waiter_free(&streamed);
}

/* A provider that streams every call reports the answer as it arrives,
 * in several steps and always before the answer; the answer equals the
 * plain one, and the last step counts all of it. */
static void check_progress(fx *f)
{
    tl_chat_request rq = request(f, false);
    rq.on_progress = on_progress;
    waiter plain, streamed;
    rq.progress_ud = &plain;
    call_once(f, &rq, &plain); /* the plain provider below never reports */
    assert_int_equal(plain.g[0].error, TL_CALL_OK);
    assert_int_equal(plain.n_prog, 0);
    tl_provider *plain_p = f->p;
    if (strcmp(plain_p->name, "openai") == 0) {
        tl_openai_opts oo = {
            .io = f->io, .base_url = f->url, .api_key = KEY, .model = "fake-1", .stream = true};
        assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    } else {
        tl_anthropic_opts ao = {.io = f->io, .base_url = f->url, .api_key = KEY, .stream = true};
        assert_int_equal(tl_anthropic_create(&ao, &f->p), TL_OK);
    }
    rq.progress_ud = &streamed;
    call_once(f, &rq, &streamed);
    tl_provider_destroy(plain_p);
    got *g = &streamed.g[0];
    assert_int_equal(g->error, TL_CALL_OK);
    assert_string_equal(g->text, plain.g[0].text);
    assert_int_equal(g->tout, plain.g[0].tout);
    assert_false(g->estimated);
    assert_true(streamed.n_prog >= 3);
    assert_false(streamed.prog_after_done);
    assert_false(streamed.prog_backwards);
    assert_true(streamed.prog_chars[0] < strlen(g->text));
    assert_int_equal(streamed.prog_chars[streamed.n_prog - 1], strlen(g->text));
    /* fake-llm bills (bytes + 3) / 4 tokens: the estimate meets the usage */
    assert_int_equal(streamed.prog_tokens[streamed.n_prog - 1], g->tout);
    waiter_free(&plain);
    waiter_free(&streamed);
}

static void test_openai_stream_progress(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.ms_per_token = 1; /* an event every 6 ms: the answer comes in chunks */
    start_llm(f, &o);
    make_openai(f);
    check_progress(f);
}

static void test_anthropic_stream_progress(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.ms_per_token = 1;
    start_llm(f, &o);
    make_anthropic(f);
    check_progress(f);
}

static void test_openai_server_errors(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.error_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    for (int i = 0; i < 4; i++) {
        waiter w;
        call_once(f, &rq, &w);
        assert_int_equal(w.g[0].error, TL_CALL_SERVER);
        assert_true(w.g[0].status == 500 || w.g[0].status == 503);
        assert_non_null(strstr(w.g[0].message, "injected server error"));
        waiter_free(&w);
    }
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.errors, 4);
}

static void test_openai_timeout_and_cancel(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.timeout_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    rq.timeout_ms = 300;
    waiter w;
    call_once(f, &rq, &w);
    assert_int_equal(w.g[0].error, TL_CALL_TIMEOUT);
    assert_int_equal(w.g[0].status, 0);
    waiter_free(&w);

    /* Cancel: the callback runs once, with CANCELLED. */
    rq.timeout_ms = 60000;
    waiter_init(&w, 1);
    slot s = {&w, 0};
    uint64_t id = 0;
    assert_int_equal(tl_provider_submit(f->p, &rq, on_done, &s, &id), TL_OK);
    tl_provider_cancel(f->p, id);
    wait_all(&w);
    assert_int_equal(w.g[0].error, TL_CALL_CANCELLED);
    tl_provider_cancel(f->p, id); /* already done: nothing */
    waiter_free(&w);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_true(st.timeouts >= 1);
}

static void test_openai_rate_limited(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.rpm = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w1, w2;
    call_once(f, &rq, &w1);
    assert_int_equal(w1.g[0].error, TL_CALL_OK);
    call_once(f, &rq, &w2);
    got *g = &w2.g[0];
    assert_int_equal(g->error, TL_CALL_RATE_LIMITED);
    assert_int_equal(g->status, 429);
    /* One request a minute: the next one in about 60 s. */
    assert_true(g->retry_after_ms > 50000 && g->retry_after_ms <= 61000);
    assert_int_equal(g->remaining_requests, 0);
    assert_true(g->reset_ms > 50000);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.rate_limited, 1);
    waiter_free(&w1);
    waiter_free(&w2);
}

static void test_openai_malformed(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.malformed_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    call_once(f, &rq, &w);
    assert_int_equal(w.g[0].error, TL_CALL_MALFORMED);
    assert_int_equal(w.g[0].status, 200);
    waiter_free(&w);
}

static void test_openai_rejects_response_format(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.reject_response_format = true;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w1, w2;
    call_once(f, &rq, &w1);
    assert_int_equal(w1.g[0].error, TL_CALL_OK);
    apply_answer(f, &w1.g[0], TL_PROMPT_APPLIED);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.rejected_format, 1);
    assert_int_equal(st.calls, 2);
    /* Remembered: the next call goes out without response_format. */
    call_once(f, &rq, &w2);
    assert_int_equal(w2.g[0].error, TL_CALL_OK);
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.rejected_format, 1);
    assert_int_equal(st.calls, 3);
    waiter_free(&w1);
    waiter_free(&w2);
}

static void test_hallucinated_rejected_by_guard(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.hallucinate_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    for (int i = 0; i < 4; i++) { /* both kinds: employer and number */
        waiter w;
        call_once(f, &rq, &w);
        assert_int_equal(w.g[0].error, TL_CALL_OK);
        apply_answer(f, &w.g[0], TL_PROMPT_REJECTED);
        waiter_free(&w);
    }
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.hallucinated, 4);
}

static void test_anthropic(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start_llm(f, &o);
    make_anthropic(f);
    assert_string_equal(f->p->name, "anthropic");
    tl_chat_request rq = request(f, false);
    waiter plain, streamed;
    call_once(f, &rq, &plain);
    assert_int_equal(plain.g[0].error, TL_CALL_OK);
    assert_false(plain.g[0].estimated);
    apply_answer(f, &plain.g[0], TL_PROMPT_APPLIED);
    rq.stream = true;
    call_once(f, &rq, &streamed);
    assert_int_equal(streamed.g[0].error, TL_CALL_OK);
    assert_string_equal(streamed.g[0].text, plain.g[0].text);
    assert_int_equal(streamed.g[0].tin, plain.g[0].tin);
    assert_int_equal(streamed.g[0].tout, plain.g[0].tout);
    waiter_free(&plain);
    waiter_free(&streamed);
}

static void test_anthropic_overloaded(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.error_rate = 1;
    o.seed = 7;
    start_llm(f, &o);
    make_anthropic(f);
    tl_chat_request rq = request(f, false);
    bool saw529 = false;
    for (int i = 0; i < 8; i++) {
        waiter w;
        call_once(f, &rq, &w);
        assert_int_equal(w.g[0].error, TL_CALL_SERVER);
        saw529 |= w.g[0].status == 529;
        waiter_free(&w);
    }
    assert_true(saw529);
}

static long threads_now(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long n = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, "Threads:", 8) == 0)
            n = strtol(line + 8, NULL, 10);
    if (fp)
        fclose(fp);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_thousand_in_flight(void **state)
{
    fx *f = *state;
    enum { N = 1000 };
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 200; /* long enough for all of them to be in flight at once */
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    waiter_init(&w, N);
    slot *s = calloc(N, sizeof *s);
    assert_non_null(s);
    long threads_before = threads_now();
    double t0 = now_s();
    for (size_t i = 0; i < N; i++) {
        s[i] = (slot){&w, i};
        assert_int_equal(tl_provider_submit(f->p, &rq, on_done, &s[i], NULL), TL_OK);
    }
    /* While they are in flight: no thread was added for them. */
    long threads_during = threads_now();
    tl_io_stats ios;
    tl_io_stats_get(f->io, &ios);
    unsigned peak_flight = ios.in_flight;
    wait_all(&w);
    double elapsed = now_s() - t0;
    size_t ok = 0;
    for (size_t i = 0; i < N; i++)
        ok += w.g[i].error == TL_CALL_OK;
    assert_int_equal(ok, N);
    assert_true(w.one_thread);
    assert_int_equal(threads_during, threads_before);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    tl_io_stats_get(f->io, &ios);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm, &st);
    assert_int_equal(st.ok, N);
    printf("# 1000 concurrent calls: %.2f s, %ld threads in the process (1 I/O thread; "
           "fake-llm in-process), %u in flight after submit, %llu connections opened, "
           "peak RSS %ld MB (client and server together)\n",
           elapsed, threads_during, peak_flight, (unsigned long long)ios.connects,
           ru.ru_maxrss / 1024);
    free(s);
    waiter_free(&w);
}

static void test_io_destroy_cancels(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.timeout_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    waiter_init(&w, 3);
    slot s[3] = {{&w, 0}, {&w, 1}, {&w, 2}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_provider_submit(f->p, &rq, on_done, &s[i], NULL), TL_OK);
    tl_io_destroy(f->io);
    f->io = NULL;
    assert_int_equal(w.done, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(w.g[i].error, TL_CALL_CANCELLED);
    waiter_free(&w);
}

static void test_provider_destroy_cancels(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.timeout_rate = 1;
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    waiter_init(&w, 3);
    slot s[3] = {{&w, 0}, {&w, 1}, {&w, 2}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_provider_submit(f->p, &rq, on_done, &s[i], NULL), TL_OK);
    tl_provider_destroy(f->p); /* returns once every callback has run */
    f->p = NULL;
    assert_int_equal(w.done, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(w.g[i].error, TL_CALL_CANCELLED);
    waiter_free(&w);
}

static void test_parse_helpers(void **state)
{
    (void)state;
    assert_int_equal(tl_io_parse_retry_after("7", 0), 7000);
    assert_int_equal(tl_io_parse_retry_after(" 1.5", 0), 1500);
    assert_int_equal(tl_io_parse_retry_after("soon", 0), -1);
    assert_int_equal(tl_io_parse_retry_after("-3", 0), -1);
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    assert_int_equal(tl_io_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10000);
    assert_int_equal(tl_io_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
    assert_int_equal(tl_io_parse_duration_ms("1s"), 1000);
    assert_int_equal(tl_io_parse_duration_ms("6m0s"), 360000);
    assert_int_equal(tl_io_parse_duration_ms("20ms"), 20);
    assert_int_equal(tl_io_parse_duration_ms("1h2m3.5s"), 3723500);
    assert_int_equal(tl_io_parse_duration_ms("2"), 2000);
    assert_int_equal(tl_io_parse_duration_ms("abc"), -1);
    assert_int_equal(tl_io_parse_duration_ms("1x"), -1);
}

static void test_fakellm_options(void **state)
{
    (void)state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    assert_int_equal(tl_fakellm_add_outage(&o, "5:10"), TL_OK);
    assert_int_equal(tl_fakellm_add_outage(&o, "1.5:2.5"), TL_OK);
    assert_int_equal(o.n_outages, 2);
    assert_int_equal(tl_fakellm_add_outage(&o, "10:5"), TL_EINVAL);
    assert_int_equal(tl_fakellm_add_outage(&o, "x"), TL_EINVAL);
    o.error_rate = 2;
    tl_fakellm *f = NULL;
    assert_int_equal(tl_fakellm_start(&o, &f), TL_EINVAL);
    o.error_rate = 0;
    o.bind = "not an address";
    assert_int_equal(tl_fakellm_start(&o, &f), TL_EINVAL);
    assert_null(f);
}

static void test_outage_window(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    assert_int_equal(tl_fakellm_add_outage(&o, "0:3600"), TL_OK);
    start_llm(f, &o);
    make_openai(f);
    tl_chat_request rq = request(f, false);
    waiter w;
    call_once(f, &rq, &w);
    assert_int_equal(w.g[0].error, TL_CALL_SERVER);
    assert_int_equal(w.g[0].status, 503);
    waiter_free(&w);
}

/* Every target of a resume in one batch prompt: the summary, each role,
 * each skills group; all applied, nothing rejected by the guard, for every
 * fixture resume against every fixture job, at every strength. */
static void batch_one(fx *f, const tl_resume *r, const tl_job *j, tl_strength strength)
{
    tl_prompt_ctx *ctx = NULL;
    assert_int_equal(tl_prompt_ctx_create(r, j, f->terms, strength, &ctx), TL_OK);
    tl_target *t = NULL;
    size_t n = 0;
    assert_int_equal(tl_local_targets(r, &t, &n), TL_OK);
    assert_true(n >= 2);
    tl_prompt_task *tasks = calloc(n, sizeof *tasks);
    char(*ids)[64] = calloc(n, sizeof *ids);
    assert_non_null(tasks);
    assert_non_null(ids);
    for (size_t i = 0; i < n; i++) {
        tl_target_id(r, &t[i], ids[i], sizeof ids[i]);
        tasks[i] = (tl_prompt_task){ids[i], t[i]};
    }
    char *sys = NULL, *user = NULL;
    assert_int_equal(tl_prompt_render(ctx, tasks, n, &sys, &user), TL_OK);
    tl_chat_request rq = {.system = sys, .user = user, .json = true};
    waiter w;
    call_once(f, &rq, &w);
    assert_int_equal(w.g[0].error, TL_CALL_OK);
    tl_resume *out = NULL;
    assert_int_equal(tl_resume_clone(r, &out), TL_OK);
    tl_changes *ch = tl_changes_new();
    tl_prompt_outcome *oc = calloc(n, sizeof *oc);
    assert_int_equal(tl_prompt_apply(ctx, w.g[0].text, strlen(w.g[0].text), tasks, n, out, ch, oc),
                     TL_OK);
    for (size_t i = 0; i < n; i++)
        if (oc[i] != TL_PROMPT_APPLIED)
            fail_msg("task %s: outcome %d", ids[i], (int)oc[i]);
    free(oc);
    tl_changes_free(ch);
    tl_resume_free(out);
    waiter_free(&w);
    free(sys);
    free(user);
    free(ids);
    free(tasks);
    free(t);
    tl_prompt_ctx_free(ctx);
}

static void test_openai_batch_every_fixture(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start_llm(f, &o);
    make_openai(f);
    static const char *const resumes[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
    static const char *const jobs[] = {"senior-backend-engineer.txt", "icu-registered-nurse.txt",
                                       "product-marketing-manager.txt", "analytics-engineer.txt"};
    for (size_t ri = 0; ri < 3; ri++) {
        tl_resume *r = tf_resume(resumes[ri]);
        for (size_t ji = 0; ji < 4; ji++) {
            tl_job *j = tf_job(f->terms, jobs[ji]);
            for (int s = TL_STRENGTH_CONSERVATIVE; s <= TL_STRENGTH_EXTENSIVE; s++)
                batch_one(f, r, j, (tl_strength)s);
            tl_job_free(j);
        }
        tl_resume_free(r);
    }
}

/* ---- streams through the I/O loop directly ---- */

typedef struct stream_obs {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    tl_io_result res;
    char body[65536];
    size_t chunks;
    double first_s, last_s, start_s;
} stream_obs;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stream_data(void *ud, const char *p, size_t n)
{
    (void)p;
    (void)n;
    stream_obs *o = ud;
    double t = mono_s();
    if (o->chunks++ == 0)
        o->first_s = t;
    o->last_s = t;
}

static void stream_done(void *ud, const tl_io_result *r)
{
    stream_obs *o = ud;
    pthread_mutex_lock(&o->m);
    o->res = *r;
    snprintf(o->body, sizeof o->body, "%s", r->body ? r->body : "");
    o->res.body = NULL;
    o->res.message = NULL;
    o->done = true;
    pthread_cond_broadcast(&o->c);
    pthread_mutex_unlock(&o->m);
}

static void stream_call(fx *f, int first_byte_timeout_ms, stream_obs *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->m, NULL);
    pthread_cond_init(&o->c, NULL);
    char url[128], *body = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/chat/completions", tl_fakellm_port(f->llm));
    json_t *rq = json_pack("{s:s,s:b,s:[{s:s,s:s}]}", "model", "m", "stream", 1, "messages", "role",
                           "user", "content", f->user);
    body = json_dumps(rq, JSON_COMPACT);
    json_decref(rq);
    const char *const headers[] = {"Content-Type: application/json", NULL};
    tl_io_request ir = {.url = url,
                        .headers = headers,
                        .body = body,
                        .body_len = strlen(body),
                        .timeout_ms = 30000,
                        .first_byte_timeout_ms = first_byte_timeout_ms,
                        .on_data = stream_data};
    o->start_s = mono_s();
    /* on_data gets the same user data as the done callback */
    assert_int_equal(tl_io_submit(f->io, &ir, stream_done, o, NULL), TL_OK);
    free(body);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_S;
    pthread_mutex_lock(&o->m);
    while (!o->done)
        if (pthread_cond_timedwait(&o->c, &o->m, &ts) != 0)
            break;
    pthread_mutex_unlock(&o->m);
    assert_true(o->done);
    pthread_mutex_destroy(&o->m);
    pthread_cond_destroy(&o->c);
}

static void test_stream_paced(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 150;
    o.ms_per_token = 2; /* an event every 12 ms */
    start_llm(f, &o);
    stream_obs *ob = malloc(sizeof *ob);
    assert_non_null(ob);
    stream_call(f, 0, ob);
    assert_int_equal(ob->res.error, TL_CALL_OK);
    assert_non_null(strstr(ob->body, "data: [DONE]"));
    /* It arrived in pieces, the first after the latency, the rest later. */
    assert_true(ob->chunks >= 3);
    assert_true(ob->first_s - ob->start_s >= 0.14);
    assert_true(ob->last_s - ob->first_s >= 0.05);
    free(ob);
}

static void test_stream_first_byte_timeout(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 30000; /* the first event would come after 30 s */
    start_llm(f, &o);
    stream_obs *ob = malloc(sizeof *ob);
    assert_non_null(ob);
    stream_call(f, 1000, ob);
    assert_int_equal(ob->res.error, TL_CALL_TIMEOUT);
    assert_true(mono_s() - ob->start_s < 10);
    fprintf(stderr, "# first-byte timeout after %.2f s\n", mono_s() - ob->start_s);
    free(ob);
}

/* A plain call to a server that holds its answer: the provider's
 * first-byte timeout ends it long before its total timeout would. */
static void test_plain_first_byte_timeout(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    o.latency_ms = 20000;
    start_llm(f, &o);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm));
    tl_openai_opts oo = {.io = f->io,
                         .base_url = f->url,
                         .api_key = KEY,
                         .timeout_ms = 10000,
                         .first_byte_timeout_ms = 300};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    tl_chat_request rq = request(f, false);
    double t0 = mono_s();
    waiter w;
    call_once(f, &rq, &w);
    double took = mono_s() - t0;
    assert_int_equal(w.g[0].error, TL_CALL_TIMEOUT);
    assert_int_equal(w.g[0].status, 0);
    assert_non_null(strstr(w.g[0].message, "first-byte"));
    assert_true(took >= 0.29 && took < 5);
    waiter_free(&w);
}

static void test_connection_refused(void **state)
{
    fx *f = *state;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start_llm(f, &o);
    unsigned port = tl_fakellm_port(f->llm);
    tl_fakellm_stop(f->llm); /* nobody listens there any more */
    f->llm = NULL;
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/v1", port);
    tl_openai_opts oo = {.io = f->io, .base_url = f->url, .api_key = KEY};
    assert_int_equal(tl_openai_create(&oo, &f->p), TL_OK);
    tl_chat_request rq = request(f, false);
    waiter w;
    call_once(f, &rq, &w);
    assert_int_equal(w.g[0].error, TL_CALL_SERVER);
    assert_int_equal(w.g[0].status, 0);
    assert_true(w.g[0].message[0] != '\0');
    waiter_free(&w);
}

static void test_key_redaction(void **state)
{
    (void)state;
    tl_io *io = NULL;
    assert_int_equal(tl_io_create(&io, NULL), TL_OK);
    tl_openai_opts oo = {.io = io, .base_url = "http://127.0.0.1:9/v1", .api_key = KEY};
    tl_provider *p = NULL;
    assert_int_equal(tl_openai_create(&oo, &p), TL_OK);
    const char *body = "{\"error\":{\"message\":\"Incorrect API key provided: " KEY
                       " (also Bearer abcdef and sk-other-123456).\"}}";
    char msg[200];
    tl__chat_error_message((tl__chat *)p, body, strlen(body), msg, sizeof msg);
    assert_null(strstr(msg, KEY));
    assert_null(strstr(msg, "abcdef"));
    assert_null(strstr(msg, "other-123456"));
    assert_non_null(strstr(msg, "Incorrect API key provided"));
    tl_provider_destroy(p);
    tl_io_destroy(io);
}

static void test_shared_io(void **state)
{
    (void)state;
    /* Providers without an explicit loop share the process's one. */
    tl_openai_opts oo = {.base_url = "http://127.0.0.1:9/v1"};
    tl_anthropic_opts ao = {.base_url = "http://127.0.0.1:9"};
    tl_provider *a = NULL, *b = NULL;
    assert_int_equal(tl_openai_create(&oo, &a), TL_OK);
    assert_int_equal(tl_anthropic_create(&ao, &b), TL_OK);
    assert_ptr_equal(((tl__chat *)a)->io, ((tl__chat *)b)->io);
    tl_provider_destroy(a);
    tl_provider_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_helpers),
        cmocka_unit_test(test_fakellm_options),
        cmocka_unit_test(test_key_redaction),
        cmocka_unit_test(test_shared_io),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_stream_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_stream_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_paced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_first_byte_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_first_byte_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_batch_every_fixture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_server_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_timeout_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_rejects_response_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hallucinated_rejected_by_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_overloaded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_destroy_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_provider_destroy_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thousand_in_flight, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
