/* Property test: many random small jobs against scripted providers with
 * random latencies, failures, 429s, malformed and partial answers, slow
 * calls (hedges), outages (breakers) and deadlines. For every job:
 *   - it completes, exactly once, with TL_OK;
 *   - every task completes exactly once, and a result that did not come
 *     from the chain's first provider says it fell back;
 *   - its tailored resume equals the fault-free result (tl_customize: the
 *     scripted codec applies what the embedded engine would, so a provider
 *     answer, a cache hit and a fallback must all read the same);
 * and nothing leaks (run it in the sanitizer build).
 *
 * TL_PROPERTY_JOBS sets the number of jobs: 10,000 by default, under
 * AddressSanitizer too (about 35 s there), so the leak check covers the
 * whole run. */
#include "test_engine_fx.h"

#define DEFAULT_JOBS 10000
#define WAVE 200
#define N_JOBS_DESC 3

static const char *const bullets[] = {
    "Built Go services that process 2M events per day on Kafka",
    "Worked on the golang ingestion pipeline and its k8s deployment",
    "Responsible for PostgreSQL schema migrations and query tuning",
    "Led a team of 4 engineers building the payments API",
    "Wrote python scripts to clean and merge EHR exports",
    "Designed A/B tests for loyalty offers with the marketing team",
    "Helped with on-call for the kubernetes platform",
    "Reduced AWS costs by 30% by right-sizing instances",
    "Own the Tableau dashboards used by 60 regional managers",
    "Mentored 3 junior developers on code review and testing",
    "Automated data quality checks on the Snowflake warehouse with dbt",
    "Presented monthly insights to executives",
    "Migrated batch jobs to Airflow with retries and alerts",
    "Implemented gRPC APIs in Go with 99.9% availability",
    "Cared for 5 ICU patients per shift and titrated drips",
};
static const char *const skills[] = {"Go",  "Kafka",   "SQL", "Python", "Kubernetes", "Docker",
                                     "AWS", "Tableau", "dbt", "Excel",  "Terraform",  "Redis"};
static const char *const jobs[N_JOBS_DESC] = {"senior-backend-engineer.txt",
                                              "analytics-engineer.txt", "icu-registered-nurse.txt"};

typedef struct pjob {
    uint64_t id;
    tl_resume *r;
    const tl_job *job;
    tl_strength s;
    unsigned chain; /* providers in the chain */
    tl_result *res;
    tl_err status;
    int done;       /* done callbacks seen */
    size_t n_tasks; /* task callbacks seen */
    unsigned char seen[64];
    bool bad_task; /* a task result contradicted itself */
} pjob;

typedef struct pfx {
    tl_test_clock clock;
    tl_terms *terms;
    tl_job *jobs[N_JOBS_DESC];
    tl_engine *e;
    tl_provider *prov[2];
    tl_xoshiro rng;
} pfx;

static size_t below(pfx *f, size_t n)
{
    return (size_t)tl_rng_below(&f->rng.base, n);
}

static void add_text(tl_resume *r, tl_entry *e, const char *s)
{
    assert_int_equal(tl_entry_add_bullet(r, e, s, strlen(s)), TL_OK);
}

/* A small random resume: summary, 1-3 roles of 1-6 bullets, maybe a
 * project, 1-2 skills groups. */
static tl_resume *random_resume(pfx *f)
{
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Pat Doe"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.label, "Software Engineer"), TL_OK);
    if (below(f, 4))
        assert_int_equal(tl_resume_set(r, &r->basics.summary,
                                       "Engineer with six years of golang and python experience."),
                         TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    size_t roles = 1 + below(f, 3);
    for (size_t i = 0; i < roles; i++) {
        tl_entry *e = tl_section_add_entry(r, w);
        char buf[64];
        snprintf(buf, sizeof buf, "Company %zu", below(f, 1000));
        assert_int_equal(tl_resume_set(r, &e->org, buf), TL_OK);
        assert_int_equal(tl_resume_set(r, &e->title, "Software Engineer"), TL_OK);
        snprintf(buf, sizeof buf, "%zu-0%zu", 2022 - 3 * i, 1 + below(f, 9));
        assert_int_equal(tl_resume_set(r, &e->start_date, buf), TL_OK);
        if (i > 0 || below(f, 2)) {
            snprintf(buf, sizeof buf, "%zu-0%zu", 2024 - 3 * i, 1 + below(f, 9));
            assert_int_equal(tl_resume_set(r, &e->end_date, buf), TL_OK);
        }
        size_t nb = 1 + below(f, 6);
        for (size_t b = 0; b < nb; b++)
            add_text(r, e, bullets[below(f, sizeof bullets / sizeof bullets[0])]);
    }
    if (below(f, 2)) {
        tl_section *p = tl_resume_add_section(r, TL_SEC_PROJECTS, NULL, NULL);
        tl_entry *e = tl_section_add_entry(r, p);
        assert_int_equal(tl_resume_set(r, &e->title, "ledger"), TL_OK);
        add_text(r, e, bullets[below(f, sizeof bullets / sizeof bullets[0])]);
    }
    tl_section *s = tl_resume_add_section(r, TL_SEC_SKILLS, NULL, NULL);
    size_t groups = 1 + below(f, 2);
    for (size_t g = 0; g < groups; g++) {
        tl_entry *e = tl_section_add_entry(r, s);
        assert_int_equal(tl_resume_set(r, &e->title, g ? "Tools" : "Languages"), TL_OK);
        size_t n = 2 + below(f, 5), first = below(f, 12);
        for (size_t k = 0; k < n; k++) /* distinct: consecutive in the list */
            add_text(r, e, skills[(first + k) % 12]);
    }
    return r;
}

static void on_task(void *ud, const tl_task_result *tr)
{
    pjob *j = ud;
    j->n_tasks++;
    if (tr->task_id >= sizeof j->seen || j->seen[tr->task_id]++)
        j->bad_task = true; /* out of range, or a second result */
    bool first = j->chain > 0 && strcmp(tr->provider, "first") == 0;
    bool from_cache = strcmp(tr->provider, "cache") == 0;
    if (j->chain > 0 && !first && !from_cache && !tr->fell_back)
        j->bad_task = true; /* not the first link, yet not marked */
    if (j->chain == 0 && (strcmp(tr->provider, "local") != 0 || tr->fell_back))
        j->bad_task = true;
}

static void on_done(void *ud, uint64_t id, tl_err st, tl_result *res, const tl_job_metrics *m)
{
    pjob *j = ud;
    (void)m;
    if (id != j->id)
        j->bad_task = true;
    j->done++;
    j->status = st;
    j->res = res;
}

static void drive(pfx *f)
{
    for (long guard = 0; guard < 100000000; guard++) {
        tl_engine_poll(f->e);
        if (tl_engine_pending(f->e) == 0)
            return;
        uint64_t next = tl_engine_next_timer(f->e);
        for (int i = 0; i < 2; i++) {
            uint64_t t = tl_scripted_next_due(f->prov[i]);
            next = t < next ? t : next;
        }
        assert_true(next != UINT64_MAX);
        tl_test_clock_set(&f->clock, next);
        for (int i = 0; i < 2; i++)
            tl_scripted_fire(f->prov[i]);
    }
    fail_msg("stuck");
}

static tl_provider *faulty(pfx *f, const char *name, uint64_t seed, bool outages)
{
    tl_scripted_opts so;
    tl_scripted_opts_default(&so);
    so.name = name;
    so.clock = &f->clock.base;
    so.seed = seed;
    so.latency_ns = 50 * MS;
    so.jitter_ns = 400 * MS;
    so.p_slow = 0.03;
    so.slow_ns = 20 * SEC;
    so.p_server = 0.05;
    so.p_timeout = 0.03;
    so.p_429 = 0.03;
    so.p_malformed = 0.03;
    so.p_partial = 0.05;
    so.retry_after_ms = 500;
    so.quantum_ns = 10 * MS; /* answers and deadlines coincide now and then */
    if (outages) {           /* a 2-minute outage early on: breakers open */
        so.outage_from_ns = T0 + 30 * SEC;
        so.outage_to_ns = T0 + 150 * SEC;
    }
    tl_provider *p = NULL;
    assert_int_equal(tl_scripted_create(&p, &so), TL_OK);
    tl_provider_conf conf;
    tl_provider_conf_default(&conf);
    conf.ratelimit.max_concurrency = 64;
    assert_int_equal(tl_engine_add_provider(f->e, p, &conf), TL_OK);
    return p;
}

static void check_job(pfx *f, pjob *j)
{
    assert_int_equal(j->done, 1);
    assert_int_equal(j->status, TL_OK);
    assert_false(j->bad_task);
    assert_non_null(j->res);
    assert_int_equal(j->n_tasks, (size_t)j->res->subsections);
    tl_customize_opts co = {.strength = j->s};
    tl_result *want = NULL;
    assert_int_equal(tl_customize(j->r, j->job, f->terms, &co, &want), TL_OK);
    char *a = fx_json(j->res->tailored), *b = fx_json(want->tailored);
    assert_string_equal(a, b);
    assert_int_equal(j->res->after->score, want->after->score);
    free(a);
    free(b);
    tl_result_free(want);
}

static size_t job_count(void)
{
    const char *s = getenv("TL_PROPERTY_JOBS");
    if (!s || !*s)
        return DEFAULT_JOBS;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    return end && *end == '\0' && v > 0 ? (size_t)v : DEFAULT_JOBS;
}

static void test_random_jobs(void **state)
{
    (void)state;
    pfx f;
    memset(&f, 0, sizeof f);
    tl_test_clock_init(&f.clock, T0);
    tl_xoshiro_init(&f.rng, 20261203);
    assert_int_equal(tl_terms_load_default(&f.terms), TL_OK);
    for (int i = 0; i < N_JOBS_DESC; i++)
        f.jobs[i] = tf_job(f.terms, jobs[i]);
    tl_engine_opts o;
    tl_engine_opts_default(&o);
    o.clock = &f.clock.base;
    o.codec = tl_scripted_codec();
    o.seed = 7;
    o.cache_bytes = 1u << 20; /* small: evictions happen too */
    assert_int_equal(tl_engine_create(&f.e, &o), TL_OK);
    f.prov[0] = faulty(&f, "first", 11, true);
    f.prov[1] = faulty(&f, "second", 12, false);
    size_t total = job_count(), done = 0;
    pjob *wave = calloc(WAVE, sizeof *wave);
    assert_non_null(wave);
    uint64_t fell_back_jobs = 0;
    while (done < total) {
        size_t n = total - done < WAVE ? total - done : WAVE;
        for (size_t i = 0; i < n; i++) {
            pjob *j = &wave[i];
            memset(j, 0, sizeof *j);
            j->r = random_resume(&f);
            j->job = f.jobs[below(&f, N_JOBS_DESC)];
            j->s = (tl_strength)(1 + below(&f, 3));
            j->chain = (unsigned)below(&f, 3);
            tl_job_opts jo = {0};
            jo.strength = j->s;
            jo.chain = f.prov;
            jo.n_chain = j->chain;
            jo.priority = (int32_t)below(&f, 100);
            if (below(&f, 20) == 0) { /* some jobs have a deadline, a few already passed */
                uint64_t now = tl_clock_now(&f.clock.base);
                jo.deadline_ns = now + below(&f, 60) * 10 * MS;
            }
            jo.on_task = on_task;
            jo.on_done = on_done;
            jo.ud = j;
            assert_int_equal(tl_engine_submit(f.e, j->r, j->job, f.terms, &jo, &j->id), TL_OK);
        }
        drive(&f);
        for (size_t i = 0; i < n; i++) {
            check_job(&f, &wave[i]);
            tl_result_free(wave[i].res);
            tl_resume_free(wave[i].r);
        }
        done += n;
    }
    tl_job_metrics m;
    tl_engine_metrics(f.e, &m);
    fell_back_jobs = m.fallbacks;
    print_message("jobs %zu, tasks %llu, calls %llu, retries %llu, fallbacks %llu, hedges %llu, "
                  "cache hits %llu, breaker transitions %llu, deadline %llu\n",
                  total, (unsigned long long)m.tasks, (unsigned long long)m.provider_calls,
                  (unsigned long long)m.retries, (unsigned long long)fell_back_jobs,
                  (unsigned long long)m.hedges, (unsigned long long)m.cache_hits,
                  (unsigned long long)m.breaker_transitions,
                  (unsigned long long)m.deadline_expired);
    assert_true(m.retries > 0);
    assert_true(m.fallbacks > 0);
    assert_true(m.breaker_transitions > 0);
    for (int i = 0; i < 2; i++) {
        tl_scripted_stats st;
        tl_scripted_stats_get(f.prov[i], &st);
        assert_int_equal(st.pending, 0);
    }
    free(wave);
    tl_engine_destroy(f.e);
    for (int i = 0; i < 2; i++)
        tl_provider_destroy(f.prov[i]);
    for (int i = 0; i < N_JOBS_DESC; i++)
        tl_job_free(f.jobs[i]);
    tl_terms_free(f.terms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
