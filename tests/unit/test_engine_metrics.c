/* The job metrics no other test reads, each driven to a value known in
 * advance on a test clock with scripted providers: rate-limit waits and
 * the spacing of calls, queue-wait percentiles, batches, tokens and cost,
 * and hedges drawn from the retry budget. */
#include <math.h>

#include "test_engine_fx.h"

#define MAX_CALLS 256

/* What a script saw of each call. */
typedef struct seen {
    size_t n;
    uint64_t at[MAX_CALLS];     /* submit time */
    unsigned tasks[MAX_CALLS];  /* task ids in the request */
    uint64_t tok_in[MAX_CALLS]; /* the tokens the scripted provider will bill */
    char model[MAX_CALLS][32];
} seen;

/* Task ids in a scripted request: one a line after "TASKS\n". */
static unsigned count_tasks(const char *user)
{
    unsigned n = 0;
    const char *p = strchr(user, '\n');
    while (p && p[1]) {
        n++;
        p = strchr(p + 1, '\n');
    }
    return n;
}

static void record(void *ud, uint64_t no, uint64_t now, const tl_chat_request *req,
                   tl_scripted_reply *r)
{
    (void)no;
    (void)r;
    seen *s = ud;
    if (s->n == MAX_CALLS)
        return;
    s->at[s->n] = now;
    s->tasks[s->n] = count_tasks(req->user);
    s->tok_in[s->n] = strlen(req->user) / 4 + 1; /* as scripted.c bills */
    snprintf(s->model[s->n], sizeof s->model[0], "%s", req->model ? req->model : "");
    s->n++;
}

static tl_provider *recorded(fx *f, seen *s, const tl_provider_conf *conf)
{
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.script = record;
    so.script_ud = s;
    return fx_provider(f, &so, conf);
}

static void init_unbatched(fx *f, unsigned max_in_flight)
{
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = 1;
    if (max_in_flight)
        o.max_in_flight = max_in_flight;
    fx_init(f, "alex-chen.json", "senior-backend-engineer.txt", &o);
}

/* An rpm of 60 with a bucket of one request: a call a second. Every call
 * after the first waits for the limiter once, and the calls go out one
 * second apart. */
static void test_ratelimit_waits(void **state)
{
    (void)state;
    fx f;
    init_unbatched(&f, 0);
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.ratelimit.requests_per_minute = 60;
    conf.ratelimit.request_burst = 1;
    conf.hedge = false;
    seen s = {0};
    tl_provider *p = recorded(&f, &s, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    const tl_job_metrics *m = &f.m[0];
    assert_true(m->tasks >= 3);
    assert_int_equal(s.n, m->tasks);
    assert_int_equal(m->provider_calls, m->tasks);
    assert_int_equal(m->ratelimit_waits, m->tasks - 1);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.at[i], T0 + i * SEC);
    assert_int_equal(f.done_at[0], T0 + (s.n - 1) * SEC + 100 * MS);
    assert_int_equal(m->fallbacks, 0);
    tl_job_metrics total;
    tl_engine_metrics(f.e, &total);
    assert_int_equal(total.ratelimit_waits, m->ratelimit_waits);
    fx_free(&f);
}

/* One call in flight at a time, 100 ms each: the k-th task popped waited
 * k x 100 ms in the scheduler, so the percentiles are those of
 * 0, 100, ..., (n - 1) x 100 ms. */
static void test_queue_wait_percentiles(void **state)
{
    (void)state;
    fx f;
    init_unbatched(&f, 1);
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.hedge = false;
    seen s = {0};
    tl_provider *p = recorded(&f, &s, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    const tl_job_metrics *m = &f.m[0];
    size_t n = (size_t)m->tasks;
    assert_true(n >= 3);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.at[i], T0 + i * 100 * MS);
    double p50 = (double)((n - 1) / 2) * 100.0;
    double p99 = (double)((n * 99 + 99) / 100 - 1) * 100.0;
    assert_true(fabs(m->queue_wait_p50_ms - p50) < 1e-9);
    assert_true(fabs(m->queue_wait_p99_ms - p99) < 1e-9);
    assert_true(m->queue_wait_p99_ms > m->queue_wait_p50_ms);
    fx_free(&f);
}

/* Batches: the metrics count the requests of two or more tasks, their
 * tasks, and the largest, as the provider saw them. */
static void check_batches(unsigned max_batch)
{
    fx f;
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.max_batch = max_batch;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", &o);
    seen s = {0};
    tl_provider *p = recorded(&f, &s, NULL);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    const tl_job_metrics *m = &f.m[0];
    uint64_t batches = 0, batched = 0, largest = 0, tasks = 0;
    for (size_t i = 0; i < s.n; i++) {
        tasks += s.tasks[i];
        if (s.tasks[i] > largest)
            largest = s.tasks[i];
        if (s.tasks[i] > 1) {
            batches++;
            batched += s.tasks[i];
        }
    }
    assert_int_equal(tasks, m->tasks);
    assert_int_equal(m->batches, batches);
    assert_int_equal(m->batched_tasks, batched);
    assert_int_equal(m->max_batch, largest > 1 ? largest : 0);
    assert_true(largest <= max_batch);
    if (max_batch > 1)
        assert_true(m->max_batch >= 2); /* the fixture has tasks to share requests */
    fx_free(&f);
}

static void test_batch_metrics(void **state)
{
    (void)state;
    check_batches(8);
    check_batches(2);
    check_batches(1);
}

/* tokens_out and tokens_in are what the provider billed; cost_usd is
 * their sum at the provider's prices. */
static void test_tokens_and_cost(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.usd_per_mtok_in = 2.5;
    conf.usd_per_mtok_out = 10.0;
    tl_provider *p = fx_provider(&f, NULL, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    const tl_job_metrics *m = &f.m[0];
    tl_scripted_stats st;
    tl_scripted_stats_get(p, &st);
    assert_true(st.billed_out > 0);
    assert_int_equal(m->tokens_in, st.billed_in);
    assert_int_equal(m->tokens_out, st.billed_out);
    double want = ((double)st.billed_in * 2.5 + (double)st.billed_out * 10.0) / 1e6;
    assert_true(fabs(m->cost_usd - want) < 1e-12);
    tl_job_metrics total;
    tl_engine_metrics(f.e, &total);
    assert_int_equal(total.tokens_out, m->tokens_out);
    assert_true(fabs(total.cost_usd - want) < 1e-12);
    fx_free(&f);
}

/* With a `models` list each call is priced at its own model's prices:
 * small and large tasks here pay different input prices. */
static void test_cost_per_model(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, "alex-chen.json", "senior-backend-engineer.txt", NULL);
    static const tl_model_entry models[] = {
        {"scripted", "cheap", 0, 1.0, 0.0, 0},
        {"scripted", "dear", 1, 7.0, 0.0, 0},
    };
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.models = models;
    conf.n_models = 2;
    seen s = {0};
    tl_provider *p = recorded(&f, &s, &conf);
    fx_submit(&f, &p, 1, TL_STRENGTH_BALANCED, 0);
    fx_drive(&f);
    assert_int_equal(f.n_done, 1);
    double want = 0;
    size_t cheap = 0, dear = 0;
    for (size_t i = 0; i < s.n; i++) {
        bool is_dear = strcmp(s.model[i], "dear") == 0;
        assert_true(is_dear || strcmp(s.model[i], "cheap") == 0);
        want += (double)s.tok_in[i] * (is_dear ? 7.0 : 1.0) / 1e6;
        dear += is_dear;
        cheap += !is_dear;
    }
    assert_true(cheap > 0 && dear > 0); /* both tiers were used */
    assert_true(fabs(f.m[0].cost_usd - want) < 1e-12);
    fx_free(&f);
}

/* Hedges are retries: a slow provider with hedging after 1 s and a fast
 * one behind it. With no retry budget (0% and no floor) nothing is
 * hedged and the slow provider answers everything after 8 s; with a
 * budget every task is hedged at 1 s and the fast provider wins. */
static void run_hedged(unsigned budget_percent, fx *f, tl_provider **chain)
{
    init_unbatched(f, 0);
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
    conf.retry.budget_percent = budget_percent;
    conf.retry.budget_floor_per_sec = 0;
    chain[0] = fx_provider(f, &slow, &conf);
    chain[1] = fx_provider(f, &fast, NULL);
    fx_submit(f, chain, 2, TL_STRENGTH_BALANCED, 0);
    fx_drive(f);
    assert_int_equal(f->n_done, 1);
}

static void test_hedges_use_retry_budget(void **state)
{
    (void)state;
    fx f;
    tl_provider *chain[2];
    run_hedged(0, &f, chain);
    assert_int_equal(f.m[0].hedges, 0);
    assert_int_equal(f.m[0].hedge_wins, 0);
    assert_int_equal(f.done_at[0], T0 + 8 * SEC);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "slow");
    tl_engine_provider_stats ps[2];
    assert_int_equal(tl_engine_providers(f.e, ps, 2), 2);
    assert_true(ps[0].retry.denied_budget >= f.m[0].tasks);
    fx_free(&f);

    run_hedged(100, &f, chain);
    assert_int_equal(f.m[0].hedges, f.m[0].tasks);
    assert_int_equal(f.m[0].hedge_wins, f.m[0].tasks);
    assert_int_equal(f.done_at[0], T0 + 1 * SEC + 200 * MS);
    for (size_t i = 0; i < f.n_tr; i++)
        assert_string_equal(f.tr[i].provider, "fast");
    tl_engine_providers(f.e, ps, 2);
    assert_int_equal(ps[0].retry.retries, f.m[0].hedges); /* each hedge spent a retry */
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_waits), cmocka_unit_test(test_queue_wait_percentiles),
        cmocka_unit_test(test_batch_metrics),   cmocka_unit_test(test_tokens_and_cost),
        cmocka_unit_test(test_cost_per_model),  cmocka_unit_test(test_hedges_use_retry_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
