/* The enhanced processor end to end, on a test clock with scripted
 * providers: same results as tl_customize, cache hits and single flight,
 * breaker and fallback, 429 + Retry-After, retry budget, deadlines,
 * hedging, partial batch answers, threads. */
#include <pthread.h>
#include <sched.h>

#include "engine/alloc.h"
#include "test_engine_fx.h"

static const char *const fixtures[][2] = {
    {"alex-chen.json", "senior-backend-engineer.txt"},
    {"maria-lopez.md", "analytics-engineer.txt"},
    {"sam-okafor.txt", "icu-registered-nurse.txt"},
};

/* With only the embedded engine in the chain, every fixture tailors
 * exactly as tl_customize does, at every strength. */
static void test_local_only_equals_customize(void **state)
{
    (void)state;
    for (size_t k = 0; k < 3; k++)
        for (tl_strength s = TL_STRENGTH_CONSERVATIVE; s <= TL_STRENGTH_EXTENSIVE; s++) {
            fx f;
            fx_init(&f, fixtures[k][0], fixtures[k][1], NULL);
            fx_submit(&f, NULL, 0, s, 0);
            fx_drive(&f);
            assert_int_equal(f.n_done, 1);
            assert_int_equal(f.status[0], TL_OK);
            tl_result *want = fx_customize(&f, s);
            fx_assert_same(f.res[0], want);
            assert_int_equal(f.m[0].provider_calls, 0);
            assert_int_equal(f.n_tr, f.m[0].tasks);
            for (size_t i = 0; i < f.n_tr; i++) {
                assert_string_equal(f.tr[i].provider, "local");
                assert_false(f.tr[i].fell_back);
            }
            tl_result_free(want);
            fx_free(&f);
        }
}

/* A healthy provider does every task; small ones share requests. */
static void test_provider_does_all(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_provider *p = fx_provider(&f, NULL, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    assert_int_equal(f.texts_seen, f.n_tr);
    for (size_t i = 0; i < f.n_tr; i++) {
        assert_string_equal(f.tr[i].provider, "scripted");
        assert_false(f.tr[i].fell_back);
    }
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(st.tasks, f.m[0].tasks);
    assert_true(st.calls < f.m[0].tasks); /* batched */
    assert_true(f.m[0].batches >= 1);
    assert_int_equal(f.m[0].provider_calls, st.calls);
    assert_int_equal(f.m[0].tokens_in, st.billed_in);
    assert_int_equal(f.m[0].fallbacks, 0);
    /* every task of the job left the scheduler at once: its batches went
     * without waiting out max_queue_delay */
    assert_int_equal(f.done_at[0], T0 + 100 * MS);
    fx_free(&f);
}

/* A second identical job is served from the cache; two identical jobs
 * at once call the provider once per task (single flight). */
static void test_cache_hits_and_single_flight(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", NULL);
    tl_provider *p = fx_provider(&f, NULL, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    tl_scripted_stats st1;
    tl_scripted_stats_get(p, &st1);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    tl_scripted_stats st2;
    tl_scripted_stats_get(p, &st2);
    assert_int_equal(f.n_done, 2);
    assert_int_equal(st2.calls, st1.calls); /* no call for the second job */
    assert_int_equal(f.m[1].cache_hits, f.m[1].tasks);
    assert_int_equal(f.m[1].provider_calls, 0);
    char *a = fx_json(f.res[0]->tailored), *b = fx_json(f.res[1]->tailored);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(f.res[0]->after->score, f.res[1]->after->score);
    fx_free(&f);

    /* single flight: the same job twice, at once, with a cold cache */
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", NULL);
    p = fx_provider(&f, NULL, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(f.n_done, 2);
    assert_int_equal(st.tasks, f.m[0].tasks); /* each task asked once */
    assert_int_equal(f.m[0].cache_coalesced + f.m[1].cache_coalesced, f.m[0].tasks);
    a = fx_json(f.res[0]->tailored);
    b = fx_json(f.res[1]->tailored);
    assert_string_equal(a, b);
    free(a);
    free(b);
    fx_free(&f);
}

/* The job's text parsed with extra wording that mentions nothing the
 * resume or the keyword list cares about. */
static tl_job *job_with_extra(fx *f, const char *name, const char *extra)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n), TL_OK);
    size_t m = strlen(extra);
    char *all = malloc(n + m + 1);
    assert_non_null(all);
    memcpy(all, text, n);
    memcpy(all + n, extra, m + 1);
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(all, n + m, f->terms, &j, NULL), TL_OK);
    free(all);
    free(text);
    return j;
}

static void submit_for(fx *f, const tl_resume *r, const tl_job *j, tl_provider *p)
{
    tl_job_opts jo = {0};
    jo.chain = &p;
    jo.n_chain = 1;
    jo.on_task = fx_on_task;
    jo.on_done = fx_on_done;
    jo.ud = f;
    assert_int_equal(tl_engine_submit(f->e, r, j, f->terms, &jo, NULL), TL_OK);
}

/* Keys cover the subsection and the part of the job it depends on: a job
 * reworded where no keyword changes still hits; an edited role misses, and
 * only it (and the summary, composed from the whole resume) does. */
static void test_cache_key_scope(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_provider *p = fx_provider(&f, NULL, NULL);
    tl_job *reworded =
        job_with_extra(&f, "senior-backend-engineer.txt", "\nThanks for reading this far.\n");
    assert_int_equal(reworded->n_keywords, f.job->n_keywords);
    for (size_t i = 0; i < f.job->n_keywords; i++)
        assert_string_equal(reworded->keywords[i].term, f.job->keywords[i].term);
    submit_for(&f, f.resume, f.job, p);
    fx_drive(&f);
    submit_for(&f, f.resume, reworded, p);
    fx_drive(&f);
    assert_int_equal(f.n_done, 2);
    assert_int_equal(f.m[1].cache_hits, f.m[1].tasks);

    tl_resume *edited = NULL;
    assert_int_equal(tl_resume_clone(f.resume, &edited), TL_OK);
    tl_entry *role = &edited->sections[tl_resume_section_index(edited, "work")].entries[1];
    assert_int_equal(tl_resume_set(edited, &role->bullets[0], "Built a new thing in Go"), TL_OK);
    submit_for(&f, edited, f.job, p);
    fx_drive(&f);
    assert_int_equal(f.n_done, 3);
    assert_int_equal(f.m[2].cache_misses, 2); /* work[1] and the summary */
    assert_int_equal(f.m[2].cache_hits, f.m[2].tasks - 2);
    tl_job_free(reworded);
    fx_free(&f);
    tl_resume_free(edited);
}

/* A provider in outage: the breaker opens, tasks fall back to the embedded
 * engine, and calls to the dead provider stop. */
static void test_breaker_opens_and_falls_back(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.outage_from_ns = 0;
    so.outage_to_ns = UINT64_MAX;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.breaker.window_size = 6;
    conf.breaker.minimum_calls = 6;
    conf.retry.max_attempts = 2;
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    for (int i = 0; i < 6; i++) {
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
    }
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    uint64_t refused = 0, transitions = 0;
    for (size_t i = 0; i < f.n_done; i++) {
        assert_int_equal(f.status[i], TL_OK);
        fx_assert_same(f.res[i], want);
        assert_int_equal(f.m[i].fallbacks, f.m[i].tasks);
        refused += f.m[i].breaker_refusals;
        transitions += f.m[i].breaker_transitions;
    }
    for (size_t i = 0; i < f.n_tr; i++) {
        assert_string_equal(f.tr[i].provider, "local");
        assert_true(f.tr[i].fell_back);
    }
    assert_true(refused > 0);
    assert_true(transitions >= 1);
    /* once open, the dead provider is not called: the last jobs made none */
    assert_int_equal(f.m[f.n_done - 1].provider_calls, 0);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_true(st.calls <= 12);
    tl_engine_provider_stats ps[2];
    assert_int_equal(tl_engine_providers(f.e, ps, 2), 1);
    assert_string_equal(ps[0].name, "scripted");
    assert_int_equal(ps[0].breaker.state, TL_BREAKER_OPEN);
    assert_true(ps[0].breaker.not_permitted > 0);
    tl_result_free(want);
    fx_free(&f);
}

static void large_model_down(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                             tl_scripted_reply *r)
{
    (void)ud;
    (void)no;
    (void)now;
    if (req->model && strcmp(req->model, "m-large") == 0)
        r->error = TL_CALL_SERVER;
}

/* One breaker per model: the large model's outage opens its breaker only;
 * the small model keeps serving its tasks. */
static void test_breaker_per_model(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = large_model_down;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.model_small = "m-small";
    conf.model_large = "m-large";
    conf.breaker.window_size = 4;
    conf.breaker.minimum_calls = 4;
    conf.retry.max_attempts = 1;
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    for (int i = 0; i < 4; i++) {
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
    }
    tl_engine_provider_stats ps;
    assert_int_equal(tl_engine_providers(f.e, &ps, 1), 1);
    assert_int_equal(ps.breaker_large.state, TL_BREAKER_OPEN);
    assert_int_equal(ps.breaker.state, TL_BREAKER_CLOSED);
    size_t small = 0, large = 0;
    for (size_t i = 0; i < f.n_tr; i++) {
        bool is_large = f.tr[i].kind == TL_TASK_SUMMARY || f.tr[i].kind == TL_TASK_WORK;
        if (is_large) {
            assert_string_equal(f.tr[i].provider, "local");
            large++;
        } else {
            assert_true(strcmp(f.tr[i].provider, "scripted") == 0 ||
                        strcmp(f.tr[i].provider, "cache") == 0);
            small++;
        }
    }
    assert_true(small > 0 && large > 0);
    fx_free(&f);
}

typedef struct ra_script {
    uint64_t submit_at[16];
    unsigned n;
} ra_script;

static void first_429(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                      tl_scripted_reply *r)
{
    ra_script *s = ud;
    (void)req;
    if (s->n < 16)
        s->submit_at[s->n++] = now;
    r->latency_ns = 50 * MS;
    if (no == 0) {
        r->error = TL_CALL_RATE_LIMITED;
        r->retry_after_ms = 3000;
    }
}

/* A 429 with Retry-After: nothing goes to that provider before it passed. */
static void test_429_retry_after(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
    ra_script s = {{0}, 0};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = first_429;
    so.script_ud = &s;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.ratelimit.max_concurrency = 1; /* one call at a time: the order is plain */
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_true(s.n >= 2);
    uint64_t answered = s.submit_at[0] + 50 * MS;
    assert_true(s.submit_at[1] >= answered + 3000 * MS);
    assert_true(f.m[0].retries >= 1);
    assert_int_equal(f.m[0].fallbacks, 0);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "scripted");
    fx_free(&f);
}

/* Retries never add more than the budget to a failing provider's load. */
static void test_retry_budget_caps_retries(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", &o);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.p_server = 1.0;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.breaker.window_size = 100000; /* never opens: the budget alone decides */
    conf.breaker.minimum_calls = 100000;
    conf.retry.max_attempts = 10;
    conf.retry.budget_percent = 20;
    conf.retry.budget_floor_per_sec = 0;
    conf.retry.budget_window_ns = 3600 * SEC;
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    for (int i = 0; i < 5; i++)
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    uint64_t retries = 0, tasks = 0;
    for (size_t i = 0; i < f.n_done; i++) {
        retries += f.m[i].retries;
        tasks += f.m[i].tasks;
        assert_int_equal(f.m[i].fallbacks, f.m[i].tasks);
    }
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    uint64_t first = st.calls - retries;
    assert_true(retries * 100 <= first * 20 + 100);
    assert_true(st.calls < tasks * 2); /* without a budget: 10 per task */
    fx_free(&f);
}

/* A job whose deadline has passed runs on the embedded engine at once;
 * one whose deadline passes mid-flight finishes on it at the deadline. */
static void test_deadline(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.latency_ns = 10 * SEC;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, T0 - 1);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.done_at[0], T0);
    assert_int_equal(f.m[0].provider_calls, 0);
    assert_int_equal(f.m[0].deadline_expired, f.m[0].tasks);
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);

    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, T0 + 1 * SEC);
    fx_drive(&f);
    assert_int_equal(f.n_done, 2);
    assert_int_equal(f.done_at[1], T0 + 1 * SEC);
    assert_true(f.m[1].provider_calls > 0);
    assert_int_equal(f.m[1].deadline_expired, f.m[1].tasks);
    fx_assert_same(f.res[1], want);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(st.cancelled, st.calls); /* nobody waits for them: cancelled */
    assert_int_equal(st.billed_in, 0);
    tl_result_free(want);
    fx_free(&f);
}

/* A failure that arrives at the very instant of the deadline: the task
 * goes to the embedded engine instead of a retry (and is not lost). */
static void test_failure_at_deadline(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.latency_ns = 1 * SEC;
    so.p_server = 1.0;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, T0 + 20 * MS + 1 * SEC);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.done_at[0], T0 + 20 * MS + 1 * SEC);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "local");
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

static void dead_letter_all(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                            tl_scripted_reply *r)
{
    (void)ud;
    (void)no;
    (void)now;
    (void)req;
    r->dead_letter = true;
}

/* A call its queue dead-lettered goes straight to the embedded engine:
 * no retry, not the next provider of the chain, no breaker failure, and
 * the job's metrics count it. */
static void test_dead_letter_goes_local(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = dead_letter_all;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    conf.breaker.window_size = 4;
    conf.breaker.minimum_calls = 4;
    tl_provider *chain[2];
    chain[0] = fx_provider(&f, &so, &conf);
    tl_scripted_opts so2;
    tl_scripted_opts_default(&so2);
    so2.name = "second";
    chain[1] = fx_provider(&f, &so2, NULL);
    fx_submit(&f, chain, 2, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.status[0], TL_OK);
    tl_scripted_stats st, st2;
    tl_scripted_stats_get(chain[0], &st);
    tl_scripted_stats_get(chain[1], &st2);
    assert_int_equal(f.m[0].dead_lettered, f.m[0].tasks);
    assert_int_equal(f.m[0].fallbacks, f.m[0].tasks);
    assert_int_equal(f.m[0].retries, 0);
    assert_int_equal(f.m[0].failures, 0);
    assert_int_equal(f.m[0].provider_calls, st.calls); /* each call once */
    assert_int_equal(st2.calls, 0);
    for (size_t i = 0; i < f.n_tr; i++) {
        assert_string_equal(f.tr[i].provider, "local");
        assert_true(f.tr[i].fell_back);
        assert_int_equal(f.tr[i].attempts, 1);
    }
    tl_engine_provider_stats ps[2];
    assert_int_equal(tl_engine_providers(f.e, ps, 2), 2);
    assert_int_equal(ps[0].breaker.state, TL_BREAKER_CLOSED);
    assert_int_equal(ps[0].breaker.failures, 0);
    tl_job_metrics total;
    tl_engine_metrics(f.e, &total);
    assert_int_equal(total.dead_lettered, f.m[0].tasks);
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

typedef struct attempt_script {
    char *first_user; /* call 0's request */
    unsigned retries, same_as_first, firsts, unsaid;
} attempt_script;

static void reject_first_call(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                              tl_scripted_reply *r)
{
    attempt_script *s = ud;
    (void)now;
    if (no == 0) {
        s->first_user = strdup(req->user);
        r->reject_first = true;
    }
    if (req->attempt == 0)
        s->unsaid++;
    else if (req->attempt == 1)
        s->firsts++;
    else
        s->retries++;
    if (no > 0 && req->attempt > 1 && strcmp(req->user, s->first_user) == 0)
        s->same_as_first++;
}

/* A request says which attempt it is: a task the guard rejected goes
 * again as the same request marked attempt 2, so that a provider that
 * caches answers (the workers' shared cache) asks again. */
static void test_retry_request_says_attempt(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
    attempt_script s = {0};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = reject_first_call;
    so.script_ud = &s;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.m[0].retries, 1);
    assert_int_equal(s.unsaid, 0);
    assert_int_equal(s.retries, 1);
    assert_int_equal(s.same_as_first, 1);
    assert_int_equal(s.firsts, f.m[0].tasks);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "scripted");
    free(s.first_user);
    fx_free(&f);
}

/* A slow provider is hedged to the next one after hedge_after; the hedge
 * wins, the slow call is cancelled and billed nowhere. */
static void test_hedge_wins(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
    tl_scripted_opts slow, fast;
    tl_scripted_opts_default(&slow);
    slow.name = "slow";
    slow.latency_ns = 8 * SEC;
    tl_scripted_opts_default(&fast);
    fast.name = "fast";
    fast.latency_ns = 200 * MS;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge_after_ns = 1 * SEC;
    tl_provider *chain[2];
    chain[0] = fx_provider(&f, &slow, &conf);
    chain[1] = fx_provider(&f, &fast, NULL);
    fx_submit(&f, chain, 2, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.m[0].hedges, f.m[0].tasks);
    assert_int_equal(f.m[0].hedge_wins, f.m[0].tasks);
    assert_true(f.done_at[0] <= T0 + 1 * SEC + 200 * MS);
    for (size_t i = 0; i < f.n_tr; i++) {
        assert_string_equal(f.tr[i].provider, "fast");
        assert_true(f.tr[i].fell_back);
    }
    tl_scripted_stats s1, s2;
    tl_scripted_stats_get(chain[0], &s1);
    tl_scripted_stats_get(chain[1], &s2);
    assert_int_equal(s1.cancelled, s1.calls);
    assert_int_equal(s1.billed_in, 0);
    assert_int_equal(f.m[0].tokens_in, s2.billed_in); /* billed once */
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

/* With only the embedded engine after it, a slow provider is hedged there
 * only when asked (quality for tail latency); otherwise the hedge is a
 * second request to the same provider, which here is no faster: the
 * primary answers, the hedges are cancelled, nothing fell back. */
static void test_hedge_to_local(void **state)
{
    (void)state;
    for (int allow = 0; allow < 2; allow++) {
        fx f;
        tl_engine_opts o;
        tl_engine_opts_default(&o);
        o.max_batch = 1;
        fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
        tl_scripted_opts slow;
        tl_scripted_opts_default(&slow);
        slow.latency_ns = 8 * SEC;
        tl_provider_conf conf;
        tl_provider_conf_default(&conf);
        conf.hedge_after_ns = 1 * SEC;
        conf.hedge_to_local = allow;
        tl_provider *p = fx_provider(&f, &slow, &conf);
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
        assert_int_equal(f.n_done, 1);
        tl_scripted_stats st;
        tl_scripted_stats_get(p, &st);
        if (allow) {
            assert_int_equal(f.m[0].hedges, f.m[0].tasks);
            assert_int_equal(f.done_at[0], T0 + 1 * SEC);
            assert_int_equal(st.cancelled, st.calls);
            for (size_t i = 0; i < f.n_tr; i++)
                assert_string_equal(f.tr[i].provider, "local");
        } else {
            assert_int_equal(f.m[0].hedges, f.m[0].tasks);
            assert_int_equal(f.m[0].hedge_wins, 0);
            assert_int_equal(f.done_at[0], T0 + 8 * SEC);
            assert_int_equal(st.calls, 2 * f.m[0].tasks);
            assert_int_equal(st.cancelled, f.m[0].tasks);
            for (size_t i = 0; i < f.n_tr; i++) {
                assert_string_equal(f.tr[i].provider, "scripted");
                assert_false(f.tr[i].fell_back);
            }
        }
        fx_free(&f);
    }
}

static void first_call_slow(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                            tl_scripted_reply *r)
{
    (void)ud;
    (void)now;
    (void)req;
    r->latency_ns = no == 0 ? 8 * SEC : 100 * TL_NS_PER_MS;
}

/* The same-provider hedge wins when the primary drew a long latency: the
 * task is done at hedge time plus one fast answer, by the provider itself
 * (not a fallback), and the value is cached like any answer. */
static void test_hedge_same_provider_wins(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    fx_init(&f, "maria-lopez.md", "analytics-engineer.txt", &o);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = first_call_slow;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge_after_ns = 1 * SEC;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.m[0].hedges, 1);
    assert_int_equal(f.m[0].hedge_wins, 1);
    assert_int_equal(f.m[0].fallbacks, 0);
    assert_true(f.done_at[0] <= T0 + 1 * SEC + 200 * TL_NS_PER_MS);
    for (size_t i = 0; i < f.n_tr; i++) {
        assert_string_equal(f.tr[i].provider, "scripted");
        assert_false(f.tr[i].fell_back);
    }
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(st.cancelled, 1); /* the slow primary */
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

/* Against the original on the same provider (100 ms a call): the
 * enhanced processor makes no more requests (the plan packs the tasks
 * into as many requests as the original has sections) and, sending them
 * at once instead of one after the other, finishes in the time of one
 * call. The results are the same. */
static void test_no_more_calls_than_original(void **state)
{
    (void)state;
    uint64_t calls[2] = {0}, took[2] = {0};
    for (int kind = 0; kind < 2; kind++) {
        fx f;
        tl_engine_opts o;
        tl_engine_opts_default(&o);
        o.kind = kind ? TL_ENGINE_ORIGINAL : TL_ENGINE_ENHANCED;
        fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", &o);
        tl_provider *p = fx_provider(&f, NULL, NULL);
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
        assert_int_equal(f.n_done, 1);
        assert_int_equal(f.m[0].fallbacks, 0);
        calls[kind] = f.m[0].provider_calls;
        took[kind] = f.done_at[0] - T0;
        tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
        fx_assert_same(f.res[0], want);
        tl_result_free(want);
        fx_free(&f);
    }
    assert_int_equal(calls[1], 4); /* summary, work, projects, skills */
    assert_true(calls[0] <= calls[1]);
    assert_true(took[0] <= 100 * MS + 20 * MS); /* one call, plus at most the batch delay */
    assert_true(took[1] >= 4 * 100 * MS);
}

typedef struct prio_seen {
    int calls, without;
    int32_t lo, hi;
} prio_seen;

static void note_priority(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                          tl_scripted_reply *r)
{
    (void)no;
    (void)now;
    (void)r;
    prio_seen *ps = ud;
    ps->calls++;
    if (!req->has_priority) {
        ps->without++;
        return;
    }
    if (req->priority < ps->lo)
        ps->lo = req->priority;
    if (req->priority > ps->hi)
        ps->hi = req->priority;
}

/* Every request carries its task's priority (for providers that queue
 * calls): the summary's 300 the highest, nothing under the plan's lowest. */
static void test_requests_carry_priority(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    prio_seen ps = {0, 0, INT32_MAX, INT32_MIN};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = note_priority;
    so.script_ud = &ps;
    tl_provider *p = fx_provider(&f, &so, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_true(ps.calls > 0);
    assert_int_equal(ps.without, 0);
    assert_int_equal(ps.hi, 300);
    assert_true(ps.lo >= 60 && ps.lo < 300);
    fx_free(&f);
}

static void drop_last_of_first(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                               tl_scripted_reply *r)
{
    (void)ud;
    (void)now;
    (void)req;
    if (no == 0)
        r->drop = 1;
}

/* A batch answer that leaves a task out: the others complete, the missing
 * one is asked again alone. */
static void test_partial_batch_answer(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = drop_last_of_first;
    tl_provider *p = fx_provider(&f, &so, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_true(f.m[0].batches >= 1);
    assert_int_equal(f.m[0].retries, 1);
    assert_int_equal(f.m[0].fallbacks, 0);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "scripted");
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(st.tasks, f.m[0].tasks + 1);
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

/* Every call of the job's first wave fails with a server error: each is
 * retried once as it was, a batch as one request (one retry, one call),
 * not as one request per task. */
typedef struct wave_script {
    uint64_t first_at;
    size_t first_calls;
} wave_script;

static void fail_first_wave(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                            tl_scripted_reply *r)
{
    wave_script *w = ud;
    (void)req;
    if (no == 0)
        w->first_at = now;
    if (now == w->first_at) {
        w->first_calls++;
        r->error = TL_CALL_SERVER;
    }
}

static void test_failed_batch_retried_whole(void **state)
{
    (void)state;
    uint64_t healthy_calls;
    {
        fx f;
        fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
        tl_provider *p = fx_provider(&f, NULL, NULL);
        fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
        fx_drive(&f);
        tl_scripted_stats st;
        tl_scripted_stats_get(p, &st);
        healthy_calls = st.calls;
        fx_free(&f);
    }
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    wave_script w = {0, 0};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = fail_first_wave;
    so.script_ud = &w;
    tl_provider *p = fx_provider(&f, &so, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.status[0], TL_OK);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(w.first_calls, healthy_calls); /* the whole job went at once */
    /* the first wave had batches: more tasks than calls */
    assert_true(st.tasks - f.m[0].tasks > w.first_calls);
    assert_int_equal(f.m[0].retries, w.first_calls);
    assert_int_equal(st.calls, healthy_calls + w.first_calls);
    assert_int_equal(f.m[0].fallbacks, 0);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "scripted");
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

/* The job's first requests (batches) hang for 10 s; past hedge_after
 * each is sent again whole, as one request: the hedges answer, the
 * primaries are cancelled, and the job is done in well under a second. */
static void slow_first_wave(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                            tl_scripted_reply *r)
{
    wave_script *w = ud;
    (void)req;
    if (no == 0)
        w->first_at = now;
    if (now == w->first_at) {
        w->first_calls++;
        r->latency_ns = 10 * SEC;
    }
}

static void test_batch_hedge_wins(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    wave_script w = {0, 0};
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = slow_first_wave;
    so.script_ud = &w;
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = true;
    conf.hedge_after_ns = 500 * MS;
    tl_provider *p = fx_provider(&f, &so, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    assert_int_equal(f.status[0], TL_OK);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_true(f.m[0].batches >= 1);
    assert_true(w.first_calls < f.m[0].tasks); /* the first wave had batches */
    /* one hedge per request, each a whole batch again */
    assert_int_equal(f.m[0].hedges, w.first_calls);
    assert_int_equal(st.calls, 2 * w.first_calls);
    assert_int_equal(st.cancelled, w.first_calls);
    assert_int_equal(f.m[0].hedge_wins, f.m[0].tasks);
    assert_true(f.done_at[0] < T0 + SEC);
    assert_int_equal(f.m[0].fallbacks, 0);
    tl_result *want = fx_customize(&f, TL_STRENGTH_BALANCED);
    fx_assert_same(f.res[0], want);
    tl_result_free(want);
    fx_free(&f);
}

/* A provider that takes one call at a time: the job's calls wait parked
 * for the slot, ranked like the scheduler's tasks. */
static tl_provider *one_at_a_time(fx *f)
{
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.ratelimit.max_concurrency = 1;
    conf.hedge = false;
    return fx_provider(f, NULL, &conf);
}

static tl_engine_opts no_cache_no_batch(void)
{
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.no_cache = true; /* identical jobs would otherwise share their calls */
    o.max_batch = 1;
    return o;
}

/* Waiting for a saturated provider, a high-priority job's calls go before
 * those of a low-priority job that came first. */
static void test_parked_calls_by_priority(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o = no_cache_no_batch();
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", &o);
    tl_provider *p = one_at_a_time(&f);
    uint64_t low = fx_submit_at(&f, &p, 1, 0);
    tl_engine_poll(f.e); /* its calls are out of the scheduler, parked */
    uint64_t high = fx_submit_at(&f, &p, 1, 200);
    fx_drive(&f);
    assert_int_equal(f.n_done, 2);
    /* the low job's first call was already out; then the high job's all */
    assert_true(fx_done_at(&f, high) < fx_done_at(&f, low));
    assert_int_equal(f.m[0].fallbacks + f.m[1].fallbacks, 0);
    fx_free(&f);
}

/* A stream of higher-priority jobs does not starve a parked call: it ages
 * (one point per aging interval, 100 ms by default) until it overtakes
 * newcomers. The low job's least task (a project, base 100) waits at most
 * for the calls pushed within (320 - 100) intervals (22 s) of it, the
 * newcomers' summaries being 300 + 20: it is not left for last. */
static void test_parked_calls_age(void **state)
{
    (void)state;
    fx f;
    tl_engine_opts o = no_cache_no_batch();
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", &o);
    tl_provider *p = one_at_a_time(&f);
    uint64_t low = fx_submit_at(&f, &p, 1, 0);
    /* A new job of priority 20 every 400 ms for 40 s: each has 8 calls of
     * 100 ms, so the provider falls behind more and more. */
    uint64_t high[60], t = T0;
    for (int i = 0; i < 60; i++) {
        high[i] = fx_submit_at(&f, &p, 1, 20);
        t += 400 * MS;
        fx_drive_until(&f, t);
    }
    fx_drive(&f);
    assert_int_equal(f.n_done, 61);
    uint64_t low_done = fx_done_at(&f, low);
    size_t later = 0;
    for (int i = 0; i < 60; i++)
        later += fx_done_at(&f, high[i]) > low_done;
    print_message("low job done at %.1f s, before %zu of the 60 newer jobs\n",
                  (double)(low_done - T0) / SEC, later);
    /* Without aging it would finish last (after 48 s of their calls). */
    assert_true(later >= 20);
    assert_true(low_done < T0 + 35 * SEC);
    fx_free(&f);
}

/* ---- threads: a loop thread, two workers, a provider answering inline */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    tl_result *res[4];
} waiter;

static void w_done(void *ud, uint64_t id, tl_err st, tl_result *res, const tl_job_metrics *m)
{
    waiter *w = ud;
    (void)id;
    (void)m;
    assert_int_equal(st, TL_OK);
    pthread_mutex_lock(&w->mu);
    w->res[w->done++] = res;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void test_threads(void **state)
{
    (void)state;
    tl_terms *terms = NULL;
    assert_int_equal(tl_terms_load_default(&terms), TL_OK);
    tl_resume *r = tf_resume("alex-chen.json");
    tl_job *j = tf_job(terms, "senior-backend-engineer.txt");
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.loop_thread = true;
    o.workers = 2;
    o.codec = tl_scripted_codec();
    o.max_queue_delay_ns = 1 * MS;
    tl_engine *e = NULL;
    assert_int_equal(tl_engine_create(&e, &o), TL_OK);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.clock = tl_clock_real();
    so.inline_completion = true;
    tl_provider *p = NULL;
    assert_int_equal(tl_scripted_create(&p, &so), TL_OK);
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}};
    tl_job_opts jo = {0};
    jo.on_done = w_done;
    jo.ud = &w;
    assert_int_equal(tl_engine_submit(e, r, j, terms, &jo, NULL), TL_OK); /* local only */
    jo.chain = &p;
    jo.n_chain = 1;
    assert_int_equal(tl_engine_submit(e, r, j, terms, &jo, NULL), TL_OK);
    assert_int_equal(tl_engine_submit(e, r, j, terms, &jo, NULL), TL_OK);
    pthread_mutex_lock(&w.mu);
    while (w.done < 3)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    tl_customize_opts co = {.strength = TL_STRENGTH_BALANCED};
    tl_result *want = NULL;
    assert_int_equal(tl_customize(r, j, terms, &co, &want), TL_OK);
    for (int i = 0; i < 3; i++) {
        char *a = fx_json(w.res[i]->tailored), *b = fx_json(want->tailored);
        assert_string_equal(a, b);
        free(a);
        free(b);
        tl_result_free(w.res[i]);
    }
    tl_result_free(want);
    tl_engine_destroy(e);
    tl_provider_destroy(p);
    tl_job_free(j);
    tl_resume_free(r);
    tl_terms_free(terms);
}

/* Destroying a threaded engine with calls in flight and work queued. */
static void test_destroy_threaded_midway(void **state)
{
    (void)state;
    tl_terms *terms = NULL;
    assert_int_equal(tl_terms_load_default(&terms), TL_OK);
    tl_resume *r = tf_resume("alex-chen.json");
    tl_job *j = tf_job(terms, "senior-backend-engineer.txt");
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.loop_thread = true;
    o.workers = 2;
    o.codec = tl_scripted_codec();
    tl_engine *e = NULL;
    assert_int_equal(tl_engine_create(&e, &o), TL_OK);
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.clock = tl_clock_real();
    so.latency_ns = 3600 * SEC; /* never answers by itself */
    tl_provider *p = NULL;
    assert_int_equal(tl_scripted_create(&p, &so), TL_OK);
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}};
    tl_job_opts jo = {0};
    jo.on_done = w_done;
    jo.ud = &w;
    jo.chain = &p;
    jo.n_chain = 1;
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_engine_submit(e, r, j, terms, &jo, NULL), TL_OK);
    jo.n_chain = 0; /* and one on the workers */
    assert_int_equal(tl_engine_submit(e, r, j, terms, &jo, NULL), TL_OK);
    for (int spin = 0; spin < 1000; spin++) { /* until calls are out */
        tl_scripted_stats st;
        tl_scripted_stats_get(p, &st);
        if (st.pending > 0)
            break;
        sched_yield();
    }
    tl_engine_destroy(e);
    for (int i = 0; i < w.done; i++)
        tl_result_free(w.res[i]);
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_int_equal(st.pending, 0); /* cancelled at destroy */
    tl_provider_destroy(p);
    tl_job_free(j);
    tl_resume_free(r);
    tl_terms_free(terms);
}

/* Bad arguments are refused and no callback runs. */
static void test_bad_arguments(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_job_opts jo = {0};
    jo.on_done = fx_on_done;
    jo.ud = &f;
    jo.n_chain = 1; /* and no chain */
    assert_int_equal(tl_engine_submit(f.e, f.resume, f.job, f.terms, &jo, NULL), TL_EINVAL);
    jo.n_chain = 0;
    jo.strength = 7;
    assert_int_equal(tl_engine_submit(f.e, f.resume, f.job, f.terms, &jo, NULL), TL_EINVAL);
    assert_int_equal(tl_engine_submit(f.e, NULL, f.job, f.terms, &jo, NULL), TL_EINVAL);
    tl_engine_poll(f.e);
    assert_int_equal(f.n_done, 0);
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 0;
    tl_engine *e = NULL;
    assert_int_equal(tl_engine_create(&e, &o), TL_EINVAL);
    assert_null(e);
    fx_free(&f);
}

/* Destroying an engine with work in flight frees everything. */
static void test_destroy_midway(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_provider *p = fx_provider(&f, NULL, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_submit(&f, &p, 1, TL_STRENGTH_EXTENSIVE, 0);
    fx_drive_until(&f, T0 + 30 * MS);
    assert_int_equal(f.n_done, 0);
    fx_free(&f);
}

/* Allocation failures anywhere (engine, planning, calls, cache, results):
 * every call either fails cleanly or the job still completes; nothing
 * leaks (sanitizer build) and nothing hangs. */
static void alloc_run(long fail_after, long *count);

static void test_allocation_failures(void **state)
{
    (void)state;
    long total = 0;
    alloc_run(1L << 40, &total); /* how many allocations a whole run makes */
    assert_true(total > 50);
    long step = total / 150 > 0 ? total / 150 : 1;
    for (long n = 0; n <= total; n += step)
        alloc_run(n, NULL);
}

/* One engine, two jobs, the Nth engine allocation and all after it fail. */
static void alloc_run(long fail_after, long *count)
{
    {
        long n = fail_after;
        fx f;
        memset(&f, 0, sizeof f);
        tl_test_clock_init(&f.clock, T0);
        assert_int_equal(tl_terms_load_default(&f.terms), TL_OK);
        f.resume = tf_resume("alex-chen.json");
        f.job = tf_job(f.terms, "senior-backend-engineer.txt");
        tl_scripted_opts so;
        tl_scripted_opts_default(&so);
        so.clock = &f.clock.base;
        so.p_partial = 0.3;
        assert_int_equal(tl_scripted_create(&f.prov[0], &so), TL_OK);
        f.n_prov = 1;
        tl_engine_opts o;
        tl_engine_opts_default(&o);
        o.clock = &f.clock.base;
        o.codec = tl_scripted_codec();
        o.seed = 3;
        tl__alloc_fail_after(n);
        tl_err err = tl_engine_create(&f.e, &o);
        if (err == TL_OK) {
            tl_job_opts jo = {0};
            jo.chain = f.prov;
            jo.n_chain = 1;
            jo.on_task = fx_on_task;
            jo.on_done = fx_on_done;
            jo.ud = &f;
            err = tl_engine_submit(f.e, f.resume, f.job, f.terms, &jo, NULL);
            if (err == TL_OK)
                err = tl_engine_submit(f.e, f.resume, f.job, f.terms, &jo, NULL);
            if (err)
                assert_int_equal(err, TL_ENOMEM);
            fx_drive(&f);
        } else {
            assert_int_equal(err, TL_ENOMEM);
        }
        if (count)
            *count = tl__alloc_count();
        tl__alloc_fail_after(-1);
        for (size_t i = 0; i < f.n_done; i++)
            assert_true(f.status[i] == TL_OK || f.status[i] == TL_ENOMEM);
        fx_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_only_equals_customize),
        cmocka_unit_test(test_provider_does_all),
        cmocka_unit_test(test_cache_hits_and_single_flight),
        cmocka_unit_test(test_cache_key_scope),
        cmocka_unit_test(test_breaker_opens_and_falls_back),
        cmocka_unit_test(test_breaker_per_model),
        cmocka_unit_test(test_429_retry_after),
        cmocka_unit_test(test_retry_budget_caps_retries),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_failure_at_deadline),
        cmocka_unit_test(test_dead_letter_goes_local),
        cmocka_unit_test(test_retry_request_says_attempt),
        cmocka_unit_test(test_hedge_wins),
        cmocka_unit_test(test_hedge_to_local),
        cmocka_unit_test(test_hedge_same_provider_wins),
        cmocka_unit_test(test_no_more_calls_than_original),
        cmocka_unit_test(test_requests_carry_priority),
        cmocka_unit_test(test_partial_batch_answer),
        cmocka_unit_test(test_failed_batch_retried_whole),
        cmocka_unit_test(test_batch_hedge_wins),
        cmocka_unit_test(test_parked_calls_by_priority),
        cmocka_unit_test(test_parked_calls_age),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_destroy_threaded_midway),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_destroy_midway),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
