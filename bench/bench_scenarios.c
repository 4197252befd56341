/* Scenario benchmarks: the ORIGINAL and the ENHANCED processor (and, when
 * node is there, the peer stack of bench/peers/node) against the same
 * fake-llm over loopback, with faults. Every figure that compares is a
 * ratio measured in the same run.
 *
 * Each run (one scenario, one processor) is a child process with a fresh
 * engine and a cold cache, talking to a fresh `tailor fake-llm` process;
 * its CPU seconds and peak RSS come from wait4(), so neither fake-llm nor
 * the other runs count. A run whose fake-llm /stats disagree with the
 * client's own count of calls is marked INVALID.
 *
 * usage: bench_scenarios [--quick] [--out DIR] [--peer DIR] [--tailor BIN]
 * writes DIR/latest.json and DIR/latest.md (DIR default bench/results) and
 * DIR/data/NAME.dat for the charts (bench/plot.sh). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/cache.h"
#include "engine/processor.h"
#include "engine/task.h"
#include "provider/io.h"
#include "provider/openai.h"
#include "provider/prompt.h"
#include "tailor/tailor.h"
#include "util/file.h"
#include "util/limits.h"

/* ------------------------------------------------------------ helpers */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void die(const char *what)
{
    fprintf(stderr, "bench_scenarios: %s\n", what);
    exit(1);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    double *s = malloc(n * sizeof *s);
    if (!s)
        die("out of memory");
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_dbl);
    size_t i = (size_t)ceil(p * (double)n) - 1;
    if (i >= n)
        i = n - 1;
    double r = s[i];
    free(s);
    return r;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

/* ------------------------------------------------------------ inputs */

#define MAX_RES 32
#define MAX_JDS 64

typedef struct corpus {
    tl_terms *terms;
    tl_resume *res[MAX_RES];
    size_t n_res;
    tl_job *jds[MAX_JDS];
    size_t n_jds;
} corpus;

static const char *RES_FILES[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
static const char *JD_FILES[] = {"senior-backend-engineer.txt", "analytics-engineer.txt",
                                 "icu-registered-nurse.txt", "product-marketing-manager.txt"};

static char *read_data(const char *name, size_t max, size_t *n)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    if (tl_file_read(path, max, &text, n) != TL_OK)
        die(path);
    return text;
}

static tl_resume *parse_resume(const char *text, size_t n)
{
    tl_resume *r = NULL;
    if (tl_resume_parse(text, n, TL_FORMAT_AUTO, &r, NULL) != TL_OK)
        die("resume parse");
    return r;
}

static tl_job *parse_jd(const corpus *c, const char *text, size_t n)
{
    tl_job *j = NULL;
    if (tl_job_parse(text, n, c->terms, &j, NULL) != TL_OK)
        die("job parse");
    return j;
}

/* Variant v of a resume: bullet 0 of entry (v % entries) of a section gets
 * a different closing phrase, so that one subsection differs per variant. */
static const char *PHRASES[] = {
    "with clear written hand-offs",   "working closely with two partner teams",
    "documented for the wider group", "reviewed with the team lead",
    "shared in a team demo",          "tracked on a weekly dashboard",
    "with a short runbook",           "presented at the monthly review",
};

static void vary_resume(tl_resume *r, unsigned v)
{
    if (v == 0)
        return;
    for (size_t s = 0; s < r->n_sections; s++) {
        tl_section *sec = &r->sections[(s + v) % r->n_sections];
        if (sec->n_entries == 0)
            continue;
        tl_entry *e = &sec->entries[v % sec->n_entries];
        if (e->n_bullets == 0)
            continue;
        char buf[2048];
        const char *b = e->bullets[0];
        size_t len = strlen(b);
        while (len && (b[len - 1] == '.' || b[len - 1] == ' '))
            len--;
        snprintf(buf, sizeof buf, "%.*s, %s.", (int)len, b,
                 PHRASES[(v - 1) % (sizeof PHRASES / sizeof *PHRASES)]);
        if (tl_resume_set(r, &e->bullets[0], buf) != TL_OK)
            die("resume set");
        return;
    }
}

static const char *EXTRA_KW[] = {"Kubernetes", "Terraform", "Snowflake", "dbt",  "Tableau",
                                 "Kafka",      "Airflow",   "GraphQL",   "Rust", "Go",
                                 "Figma",      "HubSpot",   "Epic EHR",  "ACLS", "Salesforce"};

/* 20 resumes (3 fixtures and variants) and 50 job descriptions (4 fixtures
 * and variants with other nice-to-have keywords). */
static void load_corpus(corpus *c)
{
    if (tl_terms_load_default(&c->terms) != TL_OK)
        die("terms");
    for (unsigned i = 0; i < 20; i++) {
        size_t n;
        char *t = read_data(RES_FILES[i % 3], TL_MAX_RESUME_BYTES, &n);
        c->res[c->n_res] = parse_resume(t, n);
        vary_resume(c->res[c->n_res], i / 3);
        c->n_res++;
        free(t);
    }
    for (unsigned i = 0; i < 50; i++) {
        size_t n;
        char *t = read_data(JD_FILES[i % 4], TL_MAX_JOB_BYTES, &n);
        unsigned v = i / 4;
        if (v == 0) {
            c->jds[c->n_jds++] = parse_jd(c, t, n);
        } else {
            size_t nk = sizeof EXTRA_KW / sizeof *EXTRA_KW;
            size_t cap = n + 256;
            char *u = malloc(cap);
            if (!u)
                die("out of memory");
            int k = snprintf(u, cap, "%s\n\nNice to have: %s and %s.\n", t, EXTRA_KW[v % nk],
                             EXTRA_KW[(v * 7 + 3) % nk]);
            c->jds[c->n_jds++] = parse_jd(c, u, (size_t)k);
            free(u);
        }
        free(t);
    }
}

/* A resume of many short sections: education, certificates, skill groups. */
static tl_resume *batch_resume(void)
{
    json_t *edu = json_array(), *cert = json_array(), *skills = json_array();
    static const char *fields[] = {"Computer Science",   "Statistics", "Data Engineering",
                                   "Cloud Architecture", "Databases",  "Security"};
    for (int i = 0; i < 10; i++)
        json_array_append_new(edu, json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "institution",
                                             "State University", "area", fields[i % 6], "studyType",
                                             i % 2 ? "Certificate" : "Course", "endDate", "2019",
                                             "courses", "Distributed systems and SQL"));
    for (int i = 0; i < 14; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s Associate %d", fields[i % 6], i + 1);
        json_array_append_new(cert, json_pack("{s:s, s:s, s:s}", "name", name, "issuer",
                                              "Cloud Academy", "date", "2021-05"));
    }
    static const char *groups[][3] = {{"Languages", "Python", "Go"},
                                      {"Databases", "PostgreSQL", "Redis"},
                                      {"Cloud", "AWS", "Kubernetes"},
                                      {"Data", "dbt", "Airflow"},
                                      {"Observability", "Grafana", "Prometheus"},
                                      {"Messaging", "Kafka", "RabbitMQ"},
                                      {"Testing", "pytest", "Playwright"},
                                      {"Frontend", "React", "TypeScript"}};
    for (int i = 0; i < 8; i++)
        json_array_append_new(skills, json_pack("{s:s, s:[s,s]}", "name", groups[i][0], "keywords",
                                                groups[i][1], groups[i][2]));
    json_t *doc =
        json_pack("{s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:[s,s]}], s:o, s:o, s:o}", "basics",
                  "name", "Jordan Lee", "label", "Backend Engineer", "summary",
                  "Backend engineer who builds data services in Python and Go.", "work", "name",
                  "Acme", "position", "Backend Engineer", "startDate", "2020-01", "highlights",
                  "Built a Python service that serves 2,000 requests per second",
                  "Moved batch jobs to Airflow and cut failures by half", "education", edu,
                  "certificates", cert, "skills", skills);
    if (!doc)
        die("batch resume");
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    tl_resume *r = parse_resume(text, strlen(text));
    free(text);
    return r;
}

/* ------------------------------------------------------------ settings */

typedef struct cfg {
    bool quick;
    double lat_ms;       /* fake-llm median latency (lognormal, sigma 0.5) */
    double ms_per_token; /* fake-llm time per answer token */
    int timeout_ms;      /* client timeout per call (tailor and the peer) */
    const char *out;     /* results directory */
    const char *peer_dir;
    const char *tailor_bin;
    bool peer_ok;
} cfg;

static cfg C;

/* ------------------------------------------------------------ fake-llm */

typedef struct llm {
    pid_t pid;
    unsigned port;
    double t0; /* monotonic seconds when it started (its outage clock) */
    char url[96];
} llm;

typedef struct llm_opts {
    double lat_ms, ms_per_token;
    double error_rate, timeout_rate;
    unsigned rpm, tpm;
    double outage_from, outage_to; /* seconds since start; to 0: none */
} llm_opts;

static void llm_start(const llm_opts *o, llm *l)
{
    char a_tok[32], a_lat[32], a_err[32], a_to[32], a_rpm[32], a_tpm[32], a_out[64];
    snprintf(a_lat, sizeof a_lat, "%g", o->lat_ms);
    snprintf(a_tok, sizeof a_tok, "%g", o->ms_per_token);
    snprintf(a_err, sizeof a_err, "%g", o->error_rate);
    snprintf(a_to, sizeof a_to, "%g", o->timeout_rate);
    snprintf(a_rpm, sizeof a_rpm, "%u", o->rpm);
    snprintf(a_tpm, sizeof a_tpm, "%u", o->tpm);
    snprintf(a_out, sizeof a_out, "%.3f:%.3f", o->outage_from, o->outage_to);
    const char *argv[32];
    int k = 0;
    argv[k++] = C.tailor_bin;
    argv[k++] = "fake-llm";
    argv[k++] = "--port";
    argv[k++] = "0";
    argv[k++] = "--threads";
    argv[k++] = "2";
    argv[k++] = "--latency-dist";
    argv[k++] = "lognormal";
    argv[k++] = "--latency-ms";
    argv[k++] = a_lat;
    argv[k++] = "--ms-per-token";
    argv[k++] = a_tok;
    argv[k++] = "--error-rate";
    argv[k++] = a_err;
    argv[k++] = "--timeout-rate";
    argv[k++] = a_to;
    if (o->rpm) {
        argv[k++] = "--rpm";
        argv[k++] = a_rpm;
    }
    if (o->tpm) {
        argv[k++] = "--tpm";
        argv[k++] = a_tpm;
    }
    if (o->outage_to > 0) {
        argv[k++] = "--outage";
        argv[k++] = a_out;
    }
    argv[k] = NULL;
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe");
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        execv(C.tailor_bin, (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    char line[256];
    size_t n = 0;
    unsigned port = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(fd[0], line + n, 1);
        if (r <= 0)
            break;
        n++;
        if (line[n - 1] == '\n') {
            line[n] = 0;
            const char *p = strrchr(line, ':');
            port = p ? (unsigned)strtoul(p + 1, NULL, 10) : 0;
            if (port)
                break;
            n = 0;
        }
    }
    close(fd[0]);
    if (!port)
        die("fake-llm did not print its port");
    l->pid = pid;
    l->port = port;
    l->t0 = t0;
    snprintf(l->url, sizeof l->url, "http://127.0.0.1:%u/v1", port);
}

static size_t curl_sink(char *p, size_t sz, size_t nm, void *ud)
{
    char **acc = ud;
    size_t n = sz * nm, old = *acc ? strlen(*acc) : 0;
    char *x = realloc(*acc, old + n + 1);
    if (!x)
        return 0;
    memcpy(x + old, p, n);
    x[old + n] = 0;
    *acc = x;
    return n;
}

typedef struct llm_stats {
    double calls, ok, errors, timeouts, rate_limited, tokens_in, tokens_out;
} llm_stats;

static bool llm_stats_get(const llm *l, llm_stats *st)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats", l->port);
    CURL *h = curl_easy_init();
    char *body = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    memset(st, 0, sizeof *st);
    json_t *j = rc == CURLE_OK && body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    if (!j)
        return false;
    st->calls = json_number_value(json_object_get(j, "calls"));
    st->ok = json_number_value(json_object_get(j, "ok"));
    st->errors = json_number_value(json_object_get(j, "errors"));
    st->timeouts = json_number_value(json_object_get(j, "timeouts"));
    st->rate_limited = json_number_value(json_object_get(j, "rate_limited"));
    st->tokens_in = json_number_value(json_object_get(j, "tokens_in"));
    st->tokens_out = json_number_value(json_object_get(j, "tokens_out"));
    json_decref(j);
    return true;
}

/* Spends the server's initial rate-limit burst (its buckets start full)
 * so that a run measures the steady limit; then zeroes its stats. */
static void llm_drain(const llm *l, unsigned n)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/chat/completions", l->port);
    static const char body[] = "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\","
                               "\"content\":\"hi\"}]}";
    CURLM *m = curl_multi_init();
    CURL **hs = calloc(n, sizeof *hs);
    char **sinks = calloc(n, sizeof *sinks);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    for (unsigned i = 0; i < n; i++) {
        hs[i] = curl_easy_init();
        curl_easy_setopt(hs[i], CURLOPT_URL, url);
        curl_easy_setopt(hs[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(hs[i], CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, curl_sink);
        curl_easy_setopt(hs[i], CURLOPT_WRITEDATA, &sinks[i]);
        curl_easy_setopt(hs[i], CURLOPT_TIMEOUT_MS, 30000L);
        curl_multi_add_handle(m, hs[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    for (unsigned i = 0; i < n; i++) {
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
        free(sinks[i]);
    }
    curl_slist_free_all(hdr);
    curl_multi_cleanup(m);
    free(hs);
    free(sinks);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/stats/reset", l->port);
    CURL *h = curl_easy_init();
    char *sink = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    free(sink);
}

static void llm_stop(llm *l)
{
    kill(l->pid, SIGTERM);
    int st;
    for (int i = 0; i < 200; i++) {
        if (waitpid(l->pid, &st, WNOHANG) == l->pid)
            return;
        sleep_s(0.01);
    }
    kill(l->pid, SIGKILL);
    waitpid(l->pid, &st, 0);
}

/* ------------------------------------------------------------ a run */

typedef enum who { ORIGINAL = 0, ENHANCED, PEER } who;
static const char *WHO[] = {"original", "enhanced", "peer"};

typedef struct pairj {
    uint16_t r, j;
} pairj;

typedef struct run_spec {
    who who;
    const corpus *c;
    tl_resume *const *res; /* resumes indexed by pair.r (c->res or the batch one) */
    const pairj *jobs;
    size_t n_jobs;
    unsigned conc;     /* closed loop: jobs in flight */
    double interval_s; /* > 0: open loop, one job every interval_s from start_at */
    double start_at;   /* monotonic seconds */
    double cap_s;      /* stop submitting after this long (0: none) */
    bool hard_cap;     /* at cap_s, stop the run (jobs in flight are dropped) */
    bool no_cache;
    unsigned max_batch;
    size_t cache_bytes;
    unsigned rpm, tpm;     /* the provider's known limits */
    bool sequential_bound; /* scenario 1: per job critical-path bound */
    bool breaker_watch;
} run_spec;

/* ---- counting provider wrapper ---- */

typedef struct wrap {
    tl_provider base;
    tl_provider *inner;
    pthread_mutex_t m;
    uint64_t submits, ok;
    double max_latency_s; /* since the last reset */
    double *ok_at;        /* monotonic seconds of successful answers */
    size_t n_ok_at, cap_ok_at;
} wrap;

typedef struct wcall {
    wrap *w;
    tl_chat_done_cb cb;
    void *ud;
} wcall;

static void wrap_done(void *ud, const tl_chat_response *resp)
{
    wcall *c = ud;
    wrap *w = c->w;
    pthread_mutex_lock(&w->m);
    if (resp->error == TL_CALL_OK) {
        w->ok++;
        double lat = (double)resp->latency_ns / 1e9;
        if (lat > w->max_latency_s)
            w->max_latency_s = lat;
        if (w->n_ok_at == w->cap_ok_at) {
            size_t nc = w->cap_ok_at ? w->cap_ok_at * 2 : 1024;
            double *x = realloc(w->ok_at, nc * sizeof *x);
            if (x) {
                w->ok_at = x;
                w->cap_ok_at = nc;
            }
        }
        if (w->n_ok_at < w->cap_ok_at)
            w->ok_at[w->n_ok_at++] = now_s();
    }
    pthread_mutex_unlock(&w->m);
    c->cb(c->ud, resp);
    free(c);
}

static tl_err wrap_submit(tl_provider *p, const tl_chat_request *req, tl_chat_done_cb cb, void *ud,
                          uint64_t *call_id)
{
    wrap *w = (wrap *)p;
    wcall *c = malloc(sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->w = w;
    c->cb = cb;
    c->ud = ud;
    pthread_mutex_lock(&w->m);
    w->submits++;
    pthread_mutex_unlock(&w->m);
    tl_err e = tl_provider_submit(w->inner, req, wrap_done, c, call_id);
    if (e) {
        pthread_mutex_lock(&w->m);
        w->submits--;
        pthread_mutex_unlock(&w->m);
        free(c);
    }
    return e;
}

static void wrap_cancel(tl_provider *p, uint64_t id)
{
    wrap *w = (wrap *)p;
    tl_provider_cancel(w->inner, id);
}

static void wrap_destroy(tl_provider *p)
{
    (void)p;
}

static const tl_provider_ops WRAP_OPS = {wrap_submit, wrap_cancel, wrap_destroy};

/* ---- jobs ---- */

typedef struct slot {
    struct runner *rn;
    size_t idx;
    double t_submit, t_last_task, t_done;
    double max_call_s;
    unsigned fell_back;
} slot;

typedef struct runner {
    pthread_mutex_t m;
    pthread_cond_t cv;
    size_t in_flight, done, failed, degraded, fallbacks;
    slot *slots;
    wrap *w;
} runner;

static void on_task(void *ud, const tl_task_result *r)
{
    slot *s = ud;
    pthread_mutex_lock(&s->rn->m);
    s->t_last_task = now_s();
    if (r->fell_back)
        s->fell_back++;
    pthread_mutex_unlock(&s->rn->m);
}

static void on_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                    const tl_job_metrics *m)
{
    (void)job_id;
    (void)m;
    slot *s = ud;
    runner *rn = s->rn;
    tl_result_free(result);
    pthread_mutex_lock(&rn->m);
    s->t_done = now_s();
    rn->in_flight--;
    rn->done++;
    if (status != TL_OK)
        rn->failed++;
    if (s->fell_back) {
        rn->degraded++;
        rn->fallbacks += s->fell_back;
    }
    pthread_cond_broadcast(&rn->cv);
    pthread_mutex_unlock(&rn->m);
}

static json_t *dbl_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

/* Runs the spec in this (child) process and writes its JSON to fd. */
static void run_engine(const run_spec *sp, const char *url, int fd)
{
    tl_io *io = NULL;
    if (tl_io_create(&io, NULL) != TL_OK)
        die("io");
    tl_openai_opts oo = {.io = io,
                         .base_url = url,
                         .api_key = "sk-bench",
                         .model = "fake",
                         .timeout_ms = C.timeout_ms};
    tl_provider *inner = NULL;
    if (tl_openai_create(&oo, &inner) != TL_OK)
        die("openai");
    wrap w = {.base = {.ops = &WRAP_OPS, .name = "openai", .model = inner->model}, .inner = inner};
    pthread_mutex_init(&w.m, NULL);
    tl_provider *p = &w.base;

    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.kind = sp->who == ORIGINAL ? TL_ENGINE_ORIGINAL : TL_ENGINE_ENHANCED;
    eo.loop_thread = true;
    eo.workers = 1;
    eo.no_cache = sp->no_cache;
    /* the batcher's wait, scaled like the latencies (20 ms at a 1 s median) */
    eo.max_queue_delay_ns = (uint64_t)(20e6 * C.lat_ms / 1000.0);
    if (sp->max_batch)
        eo.max_batch = sp->max_batch;
    if (sp->cache_bytes)
        eo.cache_bytes = sp->cache_bytes;
    tl_engine *e = NULL;
    if (tl_engine_create(&e, &eo) != TL_OK)
        die("engine");
    tl_provider_conf pc;
    tl_provider_conf_default(&pc);
    /* The defaults (the breaker's LLM preset, the retry policy) with their
     * times scaled like the latencies: x lat_ms / 1000 (a 1 s median in
     * real use). Counts, shares and thresholds stay as they are. */
    double scale = C.lat_ms / 1000.0;
    pc.breaker.wait_in_open_ns = (uint64_t)((double)pc.breaker.wait_in_open_ns * scale);
    pc.breaker.max_wait_in_open_ns = (uint64_t)((double)pc.breaker.max_wait_in_open_ns * scale);
    pc.breaker.slow_call_ns = (uint64_t)((double)pc.breaker.slow_call_ns * scale);
    pc.retry.base_delay_ns = (uint64_t)((double)pc.retry.base_delay_ns * scale);
    pc.retry.max_delay_ns = (uint64_t)((double)pc.retry.max_delay_ns * scale);
    pc.ratelimit.requests_per_minute = sp->rpm;
    pc.ratelimit.tokens_per_minute = sp->tpm;
    /* the provider's bucket is drained before the run: a 1 s burst */
    pc.ratelimit.request_burst = sp->rpm ? 1 : 0;
    pc.ratelimit.token_burst = sp->tpm / 60;
    if (tl_engine_add_provider(e, p, &pc) != TL_OK)
        die("add provider");

    runner rn = {0};
    pthread_mutex_init(&rn.m, NULL);
    pthread_cond_init(&rn.cv, NULL);
    rn.slots = calloc(sp->n_jobs, sizeof *rn.slots);
    rn.w = &w;
    json_t *closes = json_array();
    bool was_open = false;
    double t_start = now_s();
    if (sp->start_at > t_start) {
        sleep_s(sp->start_at - t_start);
        t_start = now_s();
    }
    size_t next = 0;
    pthread_mutex_lock(&rn.m);
    for (;;) {
        double t = now_s();
        bool capped = sp->cap_s > 0 && t - t_start > sp->cap_s;
        /* submit what is due */
        while (next < sp->n_jobs && !capped &&
               (sp->interval_s > 0 ? t >= t_start + (double)next * sp->interval_s
                                   : rn.in_flight < sp->conc)) {
            slot *s = &rn.slots[next];
            s->rn = &rn;
            s->idx = next;
            s->t_submit = now_s();
            if (sp->sequential_bound) {
                pthread_mutex_lock(&w.m);
                w.max_latency_s = 0;
                pthread_mutex_unlock(&w.m);
            }
            tl_job_opts jo = {0};
            jo.strength = TL_STRENGTH_BALANCED;
            jo.chain = &p;
            jo.n_chain = 1;
            jo.on_task = on_task;
            jo.on_done = on_done;
            jo.ud = s;
            rn.in_flight++;
            const pairj *pj = &sp->jobs[next];
            next++;
            pthread_mutex_unlock(&rn.m);
            if (tl_engine_submit(e, sp->res[pj->r], sp->c->jds[pj->j], sp->c->terms, &jo, NULL) !=
                TL_OK)
                die("submit");
            pthread_mutex_lock(&rn.m);
            if (sp->sequential_bound) {
                while (rn.done < next)
                    pthread_cond_wait(&rn.cv, &rn.m);
                pthread_mutex_lock(&w.m);
                s->max_call_s = w.max_latency_s;
                pthread_mutex_unlock(&w.m);
            }
        }
        if ((next == sp->n_jobs || capped) && rn.in_flight == 0)
            break;
        if (capped && sp->hard_cap)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 5000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&rn.cv, &rn.m, &ts);
        if (sp->breaker_watch && sp->who == ENHANCED) {
            pthread_mutex_unlock(&rn.m);
            tl_engine_provider_stats ps[2];
            if (tl_engine_providers(e, ps, 2) >= 1) {
                bool closed = ps[0].breaker.state == TL_BREAKER_CLOSED;
                if (!closed)
                    was_open = true;
                else if (was_open) {
                    was_open = false;
                    json_array_append_new(closes, json_real(now_s()));
                }
            }
            pthread_mutex_lock(&rn.m);
        }
    }
    pthread_mutex_unlock(&rn.m);
    double t_end = now_s();
    tl_job_metrics m;
    tl_engine_metrics(e, &m);
    /* a run stopped at its deadline may still have jobs in flight: read
     * under the locks, and leave the engine to the process's exit */
    pthread_mutex_lock(&rn.m);
    pthread_mutex_lock(&w.m);
    size_t left = rn.in_flight;
    size_t n = rn.done;
    double *job_ms = calloc(n + 1, sizeof *job_ms), *bound_ms = calloc(n + 1, sizeof *bound_ms);
    size_t k = 0;
    for (size_t i = 0; i < next; i++) {
        slot *s = &rn.slots[i];
        if (s->t_done <= 0)
            continue;
        job_ms[k] = (s->t_done - s->t_submit) * 1e3;
        double cons = s->t_last_task > 0 ? s->t_done - s->t_last_task : 0;
        bound_ms[k] = (s->max_call_s + cons) * 1e3;
        k++;
    }
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "jobs",
        (json_int_t)next, "done", (json_int_t)rn.done, "failed", (json_int_t)rn.failed, "degraded",
        (json_int_t)rn.degraded, "fallbacks", (json_int_t)rn.fallbacks, "calls",
        (json_int_t)w.submits, "ok", (json_int_t)w.ok, "wall_s", t_end - t_start, "t_start",
        t_start, "job_ms", dbl_array(job_ms, k), "bound_ms",
        sp->sequential_bound ? dbl_array(bound_ms, k) : json_array(), "ok_at",
        dbl_array(w.ok_at, w.n_ok_at), "close_at", closes, "cache_hits", (json_int_t)m.cache_hits,
        "batches", (json_int_t)m.batches, "hedges", (json_int_t)m.hedges);
    /* the engine's own account of what went wrong, for reading a run */
    json_object_set_new(
        o, "engine",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "retries", (json_int_t)m.retries,
                  "failures", (json_int_t)m.failures, "fallbacks", (json_int_t)m.fallbacks,
                  "breaker_refusals", (json_int_t)m.breaker_refusals, "breaker_transitions",
                  (json_int_t)m.breaker_transitions, "deadline_expired",
                  (json_int_t)m.deadline_expired, "hedge_wins", (json_int_t)m.hedge_wins));
    pthread_mutex_unlock(&w.m);
    pthread_mutex_unlock(&rn.m);
    char *text = json_dumps(o, JSON_COMPACT);
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t r = write(fd, text + off, len - off);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    free(text);
    json_decref(o);
    if (left) {
        close(fd);
        _exit(0);
    }
    tl_engine_destroy(e);
    tl_provider_destroy(inner);
    tl_io_destroy(io);
}

/* ---- the peer's input ---- */

static json_t *plan_json(const corpus *c, const tl_resume *r, const tl_job *j)
{
    tl_plan_opts po;
    tl_plan_opts_default(&po);
    po.strength = TL_STRENGTH_BALANCED;
    tl_plan *plan = NULL;
    if (tl_plan_build(r, 1, &po, &plan) != TL_OK)
        die("plan");
    const tl_codec *codec = tl_codec_prompt();
    void *cctx = NULL;
    if (codec->ctx_create(r, j, c->terms, TL_STRENGTH_BALANCED, &cctx) != TL_OK)
        die("codec");
    json_t *tasks = json_array();
    for (size_t i = 0; i < plan->n; i++) {
        const tl_task *t = &plan->tasks[i];
        tl_prompt_task pt = {t->label, t->target};
        char *sys = NULL, *user = NULL;
        if (codec->render(cctx, &pt, 1, &sys, &user) != TL_OK)
            die("render");
        json_array_append_new(tasks,
                              json_pack("{s:s, s:s?, s:s, s:i}", "id", t->label, "system", sys,
                                        "user", user, "tokens_est", (int)t->tokens_est));
        free(sys);
        free(user);
    }
    codec->ctx_free(cctx);
    tl_plan_free(plan);
    return tasks;
}

/* Writes the peer's input file: the plans of the pairs used, the jobs, the
 * settings. Returns its path (static buffer). */
static const char *peer_input(const run_spec *sp, const llm *l, const char *scen)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/data/peer-%s.json", C.out, scen);
    json_t *plans = json_object(), *jobs = json_array();
    for (size_t i = 0; i < sp->n_jobs; i++) {
        char key[32];
        snprintf(key, sizeof key, "%u:%u", sp->jobs[i].r, sp->jobs[i].j);
        if (!json_object_get(plans, key))
            json_object_set_new(
                plans, key, plan_json(sp->c, sp->res[sp->jobs[i].r], sp->c->jds[sp->jobs[i].j]));
        json_array_append_new(jobs, json_string(key));
    }
    json_t *o = json_pack(
        "{s:s, s:o, s:o, s:i, s:f, s:f, s:f, s:i, s:b, s:I, s:i, s:i, s:b, s:f, s:f, s:b}", "url",
        l->url, "plans", plans, "jobs", jobs, "concurrency", (int)sp->conc, "interval_s",
        sp->interval_s, "start_at", sp->start_at, "cap_s", sp->cap_s, "timeout_ms", C.timeout_ms,
        "cache", !sp->no_cache, "cache_bytes", (json_int_t)sp->cache_bytes, "rpm", (int)sp->rpm,
        "tpm", (int)sp->tpm, "hard_cap", sp->hard_cap, "scale", C.lat_ms / 1000.0, "lat_ms",
        C.lat_ms, "sequential", sp->sequential_bound);
    if (json_dump_file(o, path, JSON_COMPACT) != 0)
        die("peer input");
    json_decref(o);
    return path;
}

typedef struct result {
    json_t *j; /* the run's own report */
    double cpu_s, rss_mb;
    llm_stats st;
    double calls_in_outage;
    bool valid;
    char why[128];
} result;

/* Runs one spec against a fresh fake-llm in a child process. */
static void run(run_spec *sp, const llm_opts *lo, const char *scen, result *res)
{
    memset(res, 0, sizeof *res);
    llm l;
    llm_start(lo, &l);
    sleep_s(0.05);
    if (lo->rpm)
        llm_drain(&l, lo->rpm);
    if (sp->interval_s > 0 || sp->start_at > 0)
        sp->start_at = l.t0 + 0.5;
    const char *peer_path = sp->who == PEER ? peer_input(sp, &l, scen) : NULL;
    int fd[2];
    if (pipe(fd) != 0)
        die("pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fd[0]);
        char logp[600];
        snprintf(logp, sizeof logp, "%s/data/%s-%s.log", C.out, scen, WHO[sp->who]);
        int lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (lfd >= 0)
            dup2(lfd, 2);
        if (sp->who == PEER) {
            dup2(fd[1], 1);
            char script[512];
            snprintf(script, sizeof script, "%s/peer.mjs", C.peer_dir);
            execlp("node", "node", script, peer_path, (char *)NULL);
            _exit(127);
        }
        run_engine(sp, l.url, fd[1]);
        close(fd[1]);
        _exit(0);
    }
    close(fd[1]);
    /* read the report while sampling fake-llm at the outage's edges */
    char *acc = NULL;
    size_t n = 0, cap = 0;
    llm_stats a = {0}, b = {0};
    bool got_a = false, got_b = false;
    for (;;) {
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(fd[0], &rs);
        struct timeval tv = {0, 10000};
        int sel = select(fd[0] + 1, &rs, NULL, NULL, &tv);
        if (lo->outage_to > 0) {
            double t = now_s() - l.t0;
            if (!got_a && t >= lo->outage_from)
                got_a = llm_stats_get(&l, &a);
            if (!got_b && t >= lo->outage_to)
                got_b = llm_stats_get(&l, &b);
        }
        if (sel > 0) {
            if (n + 65536 > cap) {
                cap = cap ? cap * 2 : 1 << 20;
                acc = realloc(acc, cap);
                if (!acc)
                    die("out of memory");
            }
            ssize_t r = read(fd[0], acc + n, cap - n - 1);
            if (r <= 0)
                break;
            n += (size_t)r;
        }
    }
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        die("wait4");
    res->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    res->rss_mb = (double)ru.ru_maxrss / 1024.0;
    sleep_s(0.05);
    llm_stats_get(&l, &res->st);
    if (got_a && got_b)
        res->calls_in_outage = b.calls - a.calls;
    llm_stop(&l);
    if (acc)
        acc[n] = 0;
    res->j = acc ? json_loads(acc, 0, NULL) : NULL;
    free(acc);
    if (!res->j || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(res->why, sizeof res->why, "the run crashed or wrote no report (status %d)",
                 status);
        res->j = json_object();
        return;
    }
    double calls = json_number_value(json_object_get(res->j, "calls"));
    double tol = fmax(2, 0.01 * res->st.calls) + (sp->hard_cap ? 16 : 0);
    /* Where the client counts its successful answers too, it cannot have
     * more than fake-llm says it answered (fewer is fine: a hedge's loser
     * or a timed-out call was answered to nobody). */
    json_t *ok = json_object_get(res->j, "ok");
    if (fabs(calls - res->st.calls) > tol)
        snprintf(res->why, sizeof res->why, "client counted %.0f calls, fake-llm %.0f", calls,
                 res->st.calls);
    else if (json_is_number(ok) && json_number_value(ok) > res->st.ok + tol)
        snprintf(res->why, sizeof res->why, "client counted %.0f answers, fake-llm %.0f ok",
                 json_number_value(ok), res->st.ok);
    else
        res->valid = true;
}

static double jnum(const result *r, const char *k)
{
    return json_number_value(json_object_get(r->j, k));
}

static size_t jarr(const result *r, const char *k, double **out)
{
    json_t *a = json_object_get(r->j, k);
    size_t n = json_array_size(a);
    *out = calloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = json_number_value(json_array_get(a, i));
    return n;
}

static double p95_job(const result *r)
{
    double *v;
    size_t n = jarr(r, "job_ms", &v);
    double x = pct(v, n, 0.95);
    free(v);
    return x;
}

/* ------------------------------------------------------------ report */

static json_t *REPORT;  /* latest.json */
static FILE *MD;        /* latest.md */
static json_t *FIGURES; /* [{scenario, figure, value, target, ok}] */
static bool ANY_INVALID;

static void figure(const char *scen, const char *name, double v, const char *target, int ok)
{
    /* ok: 1 meets, 0 misses, -1 no target */
    const char *mark = ok < 0 ? "" : ok ? "yes" : "NO";
    printf("  %-44s %10.3f  %-10s %s\n", name, v, target ? target : "", mark);
    fprintf(MD, "| %s | %s | %.3f | %s | %s |\n", scen, name, v, target ? target : "", mark);
    json_array_append_new(FIGURES,
                          json_pack("{s:s, s:s, s:f, s:s?, s:o}", "scenario", scen, "figure", name,
                                    "value", isnan(v) ? -1.0 : v, "target", target, "meets",
                                    ok < 0 ? json_null() : json_boolean(ok)));
}

static void record_run(const char *scen, const result *r, const char *who_name)
{
    json_t *o =
        json_pack("{s:s, s:s, s:b, s:s, s:f, s:f, s:f, s:f, s:f, s:O}", "scenario", scen, "who",
                  who_name, "valid", r->valid, "why", r->why, "cpu_s", r->cpu_s, "rss_mb",
                  r->rss_mb, "llm_calls", r->st.calls, "llm_rate_limited", r->st.rate_limited,
                  "calls_in_outage", r->calls_in_outage, "report", r->j);
    json_array_append_new(json_object_get(REPORT, "runs"), o);
    printf(
        "  [%s/%s] %s jobs %.0f/%.0f wall %.2fs calls %.0f (llm %.0f) cpu %.2fs rss %.1fMB%s%s\n",
        scen, who_name, r->valid ? "ok" : "INVALID", jnum(r, "done"), jnum(r, "jobs"),
        jnum(r, "wall_s"), jnum(r, "calls"), r->st.calls, r->cpu_s, r->rss_mb, r->valid ? "" : ": ",
        r->why);
    if (!r->valid) {
        ANY_INVALID = true;
        fprintf(MD, "| %s | %s run | INVALID | | %s |\n", scen, who_name, r->why);
    }
}

/* data file for the charts: one line per processor */
static FILE *dat_open(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/%s.dat", C.out, name);
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    return f;
}

/* rows: who  wall_s  degraded  calls  cpu_s  rss_mb */
static void dat_row(FILE *f, const char *who_name, const result *r)
{
    if (!r || !r->valid || !r->j || !json_object_size(r->j))
        return; /* an invalid run is reported as such, never charted */
    fprintf(f, "%s %.4f %.0f %.0f %.4f %.2f\n", who_name, jnum(r, "wall_s"),
            jnum(r, "degraded") + jnum(r, "failed"), jnum(r, "calls"), r->cpu_s, r->rss_mb);
}

static void peer_vs(const char *scen, const result *t, const result *p)
{
    if (!C.peer_ok || !p->valid || !t->valid)
        return;
    char n[96];
    snprintf(n, sizeof n, "tailor/peer wall time");
    figure(scen, n, ratio(jnum(t, "wall_s"), jnum(p, "wall_s")), "< 1",
           jnum(t, "wall_s") < jnum(p, "wall_s"));
    double tf = jnum(t, "failed") + jnum(t, "degraded"),
           pf = jnum(p, "failed") + jnum(p, "degraded");
    snprintf(n, sizeof n, "failed+degraded jobs tailor vs peer: %.0f vs %.0f", tf, pf);
    figure(scen, n, tf - pf, "<= 0", tf <= pf);
    figure(scen, "tailor/peer provider calls", ratio(jnum(t, "calls"), jnum(p, "calls")), "< 1",
           jnum(t, "calls") < jnum(p, "calls"));
    figure(scen, "tailor/peer CPU seconds", ratio(t->cpu_s, p->cpu_s), "< 1", t->cpu_s < p->cpu_s);
    figure(scen, "tailor/peer peak RSS", ratio(t->rss_mb, p->rss_mb), "< 1", t->rss_mb < p->rss_mb);
}

static void section(const char *title)
{
    printf("\n== %s\n", title);
    fflush(stdout);
}

/* ------------------------------------------------------------ scenarios */

static pairj *fixture_pairs(size_t n)
{
    pairj *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].r = (uint16_t)(i % 3);
        v[i].j = (uint16_t)(i % 4); /* 12 distinct pairs, then again */
    }
    return v;
}

static void base_llm(llm_opts *lo)
{
    memset(lo, 0, sizeof *lo);
    lo->lat_ms = C.lat_ms;
    lo->ms_per_token = C.ms_per_token;
}

static void run_three(run_spec *sp, const llm_opts *lo, const char *scen, result r[3],
                      bool with_peer)
{
    for (int w = 0; w < 3; w++) {
        if (w == PEER && (!with_peer || !C.peer_ok)) {
            memset(&r[w], 0, sizeof r[w]);
            r[w].j = json_object();
            continue;
        }
        sp->who = (who)w;
        run(sp, lo, scen, &r[w]);
        record_run(scen, &r[w], WHO[w]);
    }
}

static void s1_latency(const corpus *c)
{
    section("1 latency: single jobs, lognormal latency");
    size_t n = C.quick ? 4 : 12;
    pairj *jobs = fixture_pairs(n);
    run_spec sp = {
        .c = c, .res = c->res, .jobs = jobs, .n_jobs = n, .conc = 1, .sequential_bound = true};
    llm_opts lo;
    base_llm(&lo);
    result r[3];
    run_three(&sp, &lo, "1-latency", r, true);
    if (r[0].valid && r[1].valid) {
        double wo = jnum(&r[0], "wall_s"), we = jnum(&r[1], "wall_s");
        figure("1-latency", "enhanced/original wall time", ratio(we, wo), "<= 0.20",
               ratio(we, wo) <= 0.20);
        double *jm, *bm;
        size_t k = jarr(&r[1], "job_ms", &jm);
        jarr(&r[1], "bound_ms", &bm);
        double sj = 0, sb = 0, worst = 0;
        for (size_t i = 0; i < k; i++) {
            sj += jm[i];
            sb += bm[i];
            if (bm[i] > 0 && jm[i] / bm[i] > worst)
                worst = jm[i] / bm[i];
        }
        figure("1-latency", "enhanced wall / critical-path bound (mean)", ratio(sj, sb), "<= 1.3",
               ratio(sj, sb) <= 1.3);
        figure("1-latency", "enhanced wall / critical-path bound (worst)", worst, "", -1);
        free(jm);
        free(bm);
    }
    peer_vs("1-latency", &r[1], &r[2]);
    FILE *f = dat_open("1-latency");
    for (int w = 0; w < 3; w++)
        dat_row(f, WHO[w], &r[w]);
    fclose(f);
    for (int w = 0; w < 3; w++)
        json_decref(r[w].j);
    free(jobs);
}

static void s2_faults(const corpus *c)
{
    section("2 faults: 20% server errors, 5% timeouts");
    size_t n = C.quick ? 40 : 200;
    pairj *jobs = fixture_pairs(n);
    run_spec sp = {.c = c, .res = c->res, .jobs = jobs, .n_jobs = n, .conc = 16, .no_cache = true};
    llm_opts healthy, faulty;
    base_llm(&healthy);
    base_llm(&faulty);
    faulty.error_rate = 0.20;
    faulty.timeout_rate = 0.05;
    result h[3], f[3];
    run_three(&sp, &healthy, "2-faults-healthy", h, true);
    run_three(&sp, &faulty, "2-faults", f, true);
    if (f[0].valid && f[1].valid) {
        figure("2-faults", "failed jobs, original", jnum(&f[0], "failed"), "", -1);
        figure("2-faults", "failed jobs, enhanced", jnum(&f[1], "failed"), "0",
               jnum(&f[1], "failed") == 0);
        figure("2-faults", "jobs with fallback sections, original", jnum(&f[0], "degraded"), "",
               -1);
        figure("2-faults", "jobs with fallback sections, enhanced", jnum(&f[1], "degraded"), "",
               -1);
        figure("2-faults", "fallback sections, original", jnum(&f[0], "fallbacks"), "", -1);
        figure("2-faults", "fallback sections, enhanced", jnum(&f[1], "fallbacks"), "", -1);
    }
    for (int w = 0; w < 3; w++)
        if (f[w].valid && h[w].valid) {
            char name[96];
            snprintf(name, sizeof name, "p95 job time faulty/healthy, %s", WHO[w]);
            figure("2-faults", name, ratio(p95_job(&f[w]), p95_job(&h[w])), "", -1);
        }
    if (C.peer_ok && f[2].valid)
        figure("2-faults", "failed or degraded jobs, peer",
               jnum(&f[2], "failed") + jnum(&f[2], "degraded"), "", -1);
    peer_vs("2-faults", &f[1], &f[2]);
    FILE *fd = dat_open("2-faults");
    for (int w = 0; w < 3; w++)
        dat_row(fd, WHO[w], &f[w]);
    fclose(fd);
    for (int w = 0; w < 3; w++) {
        json_decref(h[w].j);
        json_decref(f[w].j);
    }
    free(jobs);
}

static void s3_outage(const corpus *c)
{
    section("3 outage: provider down for the middle third");
    size_t n = C.quick ? 40 : 300;
    double interval = 0.1; /* 10 jobs/s */
    double dur = (double)n * interval;
    pairj *jobs = fixture_pairs(n);
    run_spec sp = {.c = c,
                   .res = c->res,
                   .jobs = jobs,
                   .n_jobs = n,
                   .interval_s = interval,
                   .start_at = 1,
                   .no_cache = true,

                   .breaker_watch = true};
    llm_opts lo;
    base_llm(&lo);
    lo.outage_from = 0.5 + dur / 3;
    lo.outage_to = 0.5 + 2 * dur / 3;
    result r[3];
    run_three(&sp, &lo, "3-outage", r, true);
    if (r[0].valid && r[1].valid) {
        figure("3-outage", "calls to the dead provider, original", r[0].calls_in_outage, "", -1);
        figure("3-outage", "calls to the dead provider, enhanced", r[1].calls_in_outage, "", -1);
        double q = ratio(r[1].calls_in_outage, r[0].calls_in_outage);
        figure("3-outage", "calls during outage enhanced/original", q, "<= 0.05", q <= 0.05);
        figure("3-outage", "jobs completed, enhanced (of all)", jnum(&r[1], "done"), "all",
               jnum(&r[1], "done") == (double)n && jnum(&r[1], "failed") == 0);
        figure("3-outage", "jobs completed, original (of all)", jnum(&r[0], "done"), "", -1);
    }
    for (int w = 1; w < 3; w++) {
        if (!r[w].valid)
            continue;
        double *ca;
        size_t k = jarr(&r[w], "close_at", &ca);
        /* the outage's end on the monotonic clock: the run's start is 0.5 s
         * after fake-llm's, which the report's t_start records */
        double end = jnum(&r[w], "t_start") - 0.5 + lo.outage_to;
        double best = NAN;
        for (size_t i = 0; i < k; i++)
            if (ca[i] >= end - 0.001 && (isnan(best) || ca[i] < best))
                best = ca[i];
        char name[96];
        snprintf(name, sizeof name, "outage end -> breaker closed (s), %s", WHO[w]);
        figure("3-outage", name, isnan(best) ? -1 : best - end, "", -1);
        free(ca);
    }
    if (C.peer_ok && r[2].valid) {
        figure("3-outage", "calls to the dead provider, peer", r[2].calls_in_outage, "", -1);
        figure("3-outage", "failed or degraded jobs, peer",
               jnum(&r[2], "failed") + jnum(&r[2], "degraded"), "", -1);
    }
    peer_vs("3-outage", &r[1], &r[2]);
    FILE *f = dat_open("3-outage");
    for (int w = 0; w < 3; w++)
        fprintf(f, "%s %.0f\n", WHO[w], r[w].calls_in_outage);
    fclose(f);
    f = dat_open("3-outage-all");
    for (int w = 0; w < 3; w++)
        dat_row(f, WHO[w], &r[w]);
    fclose(f);
    for (int w = 0; w < 3; w++)
        json_decref(r[w].j);
    free(jobs);
}

/* achieved rate: successful answers within the run's window (the server's
 * burst was drained first), per minute */
static double achieved_rpm(const result *r, double cap_s)
{
    double *at;
    size_t k = jarr(r, "ok_at", &at);
    double t0 = jnum(r, "t_start"), n = 0;
    for (size_t i = 0; i < k; i++)
        if (at[i] >= t0 && at[i] <= t0 + cap_s)
            n++;
    free(at);
    return n / cap_s * 60.0;
}

static void s4_ratelimit(const corpus *c)
{
    section("4 rate limit: fake-llm --rpm/--tpm");
    unsigned rpm = C.quick ? 240 : 600, tpm = rpm * 3000;
    double cap = C.quick ? 6 : 40;
    size_t n = C.quick ? 60 : 300;
    pairj *jobs = fixture_pairs(n);
    run_spec sp = {.c = c,
                   .res = c->res,
                   .jobs = jobs,
                   .n_jobs = n,
                   .conc = 16,
                   .no_cache = true,
                   .rpm = rpm,
                   .tpm = tpm,
                   .cap_s = cap,
                   .hard_cap = true};
    llm_opts lo;
    base_llm(&lo);
    lo.rpm = rpm;
    lo.tpm = tpm;
    result r[3];
    run_three(&sp, &lo, "4-ratelimit", r, true);
    double ach[3] = {0}, share[3] = {0};
    for (int w = 0; w < 3; w++) {
        if (!r[w].valid)
            continue;
        char name[96];
        ach[w] = achieved_rpm(&r[w], cap) / rpm;
        snprintf(name, sizeof name, "achieved rpm / limit, %s", WHO[w]);
        figure("4-ratelimit", name, ach[w], w == ENHANCED ? ">= 0.90" : "",
               w == ENHANCED ? ach[w] >= 0.90 : -1);
        share[w] = ratio(r[w].st.rate_limited, r[w].st.calls);
        snprintf(name, sizeof name, "429 share of calls, %s", WHO[w]);
        figure("4-ratelimit", name, share[w], w == ENHANCED ? "<= 0.01" : "",
               w == ENHANCED ? share[w] <= 0.01 : -1);
        snprintf(name, sizeof name, "jobs completed in %.0f s, %s", cap, WHO[w]);
        figure("4-ratelimit", name, jnum(&r[w], "done"), "", -1);
    }
    if (C.peer_ok && r[1].valid && r[2].valid)
        figure("4-ratelimit", "tailor/peer jobs completed in the window",
               ratio(jnum(&r[1], "done"), jnum(&r[2], "done")), "> 1",
               jnum(&r[1], "done") > jnum(&r[2], "done"));
    peer_vs("4-ratelimit", &r[1], &r[2]);
    FILE *f = dat_open("4-ratelimit");
    for (int w = 0; w < 3; w++)
        if (r[w].valid)
            fprintf(f, "%s %.4f %.4f %.0f\n", WHO[w], ach[w], share[w], jnum(&r[w], "done"));
    fclose(f);
    f = dat_open("4-ratelimit-all");
    for (int w = 0; w < 3; w++)
        dat_row(f, WHO[w], &r[w]);
    fclose(f);
    for (int w = 0; w < 3; w++)
        json_decref(r[w].j);
    free(jobs);
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Zipf(1.0) over the 1000 resume x job pairs, ranks shuffled. */
static pairj *zipf_trace(size_t n, uint64_t seed)
{
    size_t np = 20 * 50;
    double *cdf = malloc(np * sizeof *cdf), acc = 0;
    uint32_t *perm = malloc(np * sizeof *perm);
    for (size_t i = 0; i < np; i++) {
        acc += 1.0 / (double)(i + 1);
        cdf[i] = acc;
        perm[i] = (uint32_t)i;
    }
    uint64_t rng = seed;
    for (size_t i = np - 1; i > 0; i--) {
        size_t j = (size_t)(splitmix(&rng) % (i + 1));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    pairj *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        double u = (double)(splitmix(&rng) >> 11) / 9007199254740992.0 * acc;
        size_t lo = 0, hi = np - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        v[i].r = (uint16_t)(perm[lo] % 20);
        v[i].j = (uint16_t)(perm[lo] / 20);
    }
    free(cdf);
    free(perm);
    return v;
}

/* The trace of task requests (key: the rendered prompt; size: the prompt's
 * bytes) replayed on two caches of the same byte size: tailor's
 * (W-TinyLFU) and a plain LRU. Returns the hit ratios. */
static void replay(const corpus *c, const pairj *jobs, size_t n, size_t bytes, double *tiny,
                   double *lru, size_t *distinct_bytes)
{
    typedef struct tk {
        tl_cache_key k;
        size_t len;
    } tk;
    tk *trace = NULL;
    size_t nt = 0, ct = 0;
    /* plan each distinct pair once */
    tk **pp = calloc(20 * 50, sizeof *pp);
    size_t *pn = calloc(20 * 50, sizeof *pn);
    *distinct_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t id = (size_t)jobs[i].j * 20 + jobs[i].r;
        if (!pp[id]) {
            json_t *tasks = plan_json(c, c->res[jobs[i].r], c->jds[jobs[i].j]);
            pn[id] = json_array_size(tasks);
            pp[id] = calloc(pn[id] + 1, sizeof **pp);
            for (size_t t = 0; t < pn[id]; t++) {
                json_t *tj = json_array_get(tasks, t);
                const char *u = json_string_value(json_object_get(tj, "user"));
                pp[id][t].k = tl_cache_key_of(u, strlen(u));
                /* the cached value is the answer: about the subsection's size */
                pp[id][t].len = 4 * (size_t)json_integer_value(json_object_get(tj, "tokens_est"));
                *distinct_bytes += pp[id][t].len + tl_cache_entry_overhead;
            }
            json_decref(tasks);
        }
        for (size_t t = 0; t < pn[id]; t++) {
            if (nt == ct) {
                ct = ct ? ct * 2 : 4096;
                trace = realloc(trace, ct * sizeof *trace);
            }
            trace[nt++] = pp[id][t];
        }
    }
    for (int pol = 0; pol < 2; pol++) {
        tl_cache_opts co;
        tl_cache_opts_default(&co);
        co.max_bytes = bytes;
        co.default_ttl_ns = TL_CACHE_TTL_NEVER;
        co.policy = pol ? TL_CACHE_LRU : TL_CACHE_TINYLFU;
        tl_cache *cache = NULL;
        if (tl_cache_create(&cache, &co) != TL_OK)
            die("cache");
        size_t hits = 0;
        char *val = calloc(1, 65536);
        for (size_t i = 0; i < nt; i++) {
            tl_buf out;
            tl_buf_init(&out, 1 << 20);
            if (tl_cache_get(cache, trace[i].k, &out) == TL_OK)
                hits++;
            else if (tl_cache_put(cache, trace[i].k, val, trace[i].len, NULL) != TL_OK)
                die("cache put");
            tl_buf_free(&out);
        }
        free(val);
        tl_cache_destroy(cache);
        *(pol ? lru : tiny) = (double)hits / (double)nt;
    }
    for (size_t i = 0; i < 20 * 50; i++)
        free(pp[i]);
    free(pp);
    free(pn);
    free(trace);
}

static void s5_cache(const corpus *c)
{
    section("5 cache: 20 resumes x 50 job descriptions, Zipf(1.0)");
    size_t n = C.quick ? 200 : 2000;
    pairj *jobs = zipf_trace(n, 7);
    double tiny = 0, lru = 0;
    size_t distinct = 0;
    replay(c, jobs, n, 1 << 20, &tiny, &lru, &distinct);
    /* a cache of a tenth of the distinct bytes the trace touches */
    size_t bytes = distinct / 10;
    printf("  trace: %zu jobs, %zu KiB of distinct answers\n", n, distinct / 1024);
    if (bytes < (size_t)(16 * 4096 * 2))
        bytes = 16 * 4096 * 2;
    replay(c, jobs, n, bytes, &tiny, &lru, &distinct);
    double saved = C.lat_ms;
    C.lat_ms = C.lat_ms / 4;
    run_spec sp = {
        .c = c, .res = c->res, .jobs = jobs, .n_jobs = n, .conc = 32, .cache_bytes = bytes};
    llm_opts lo;
    base_llm(&lo);
    result r[3], nc;
    run_three(&sp, &lo, "5-cache", r, true);
    sp.who = ENHANCED;
    sp.no_cache = true;
    run(&sp, &lo, "5-cache-off", &nc);
    record_run("5-cache-off", &nc, "enhanced-nocache");
    C.lat_ms = saved;
    if (r[1].valid && nc.valid)
        figure("5-cache", "provider calls with cache / without, enhanced",
               ratio(jnum(&r[1], "calls"), jnum(&nc, "calls")), "", -1);
    if (r[0].valid && r[1].valid)
        figure("5-cache", "provider calls enhanced/original",
               ratio(jnum(&r[1], "calls"), jnum(&r[0], "calls")), "", -1);
    char name[128];
    snprintf(name, sizeof name, "hit ratio W-TinyLFU/LRU (%.2f vs %.2f, %zu KiB)", tiny, lru,
             bytes / 1024);
    figure("5-cache", name, ratio(tiny, lru), ">= 1.0", ratio(tiny, lru) >= 1.0);
    peer_vs("5-cache", &r[1], &r[2]);
    FILE *f = dat_open("5-cache");
    for (int w = 0; w < 3; w++)
        dat_row(f, WHO[w], &r[w]);
    dat_row(f, "enhanced-nocache", &nc);
    fclose(f);
    for (int w = 0; w < 3; w++)
        json_decref(r[w].j);
    json_decref(nc.j);
    free(jobs);
}

static void s6_batching(const corpus *c)
{
    section("6 batching: many short sections");
    tl_resume *br = batch_resume();
    tl_resume *res[1] = {br};
    size_t n = C.quick ? 8 : 24;
    pairj *jobs = calloc(n, sizeof *jobs);
    for (size_t i = 0; i < n; i++)
        jobs[i].j = (uint16_t)(i % 50);
    run_spec sp = {.who = ENHANCED,
                   .c = c,
                   .res = res,
                   .jobs = jobs,
                   .n_jobs = n,
                   .conc = 4,
                   .no_cache = true};
    llm_opts lo;
    base_llm(&lo);
    result b, u, o;
    run(&sp, &lo, "6-batching", &b);
    record_run("6-batching", &b, "enhanced");
    sp.max_batch = 1;
    run(&sp, &lo, "6-batching-off", &u);
    record_run("6-batching-off", &u, "enhanced-nobatch");
    sp.who = ORIGINAL;
    sp.max_batch = 0;
    run(&sp, &lo, "6-batching-orig", &o);
    record_run("6-batching", &o, "original");
    if (b.valid && u.valid) {
        double q = ratio(jnum(&b, "calls"), jnum(&u, "calls"));
        figure("6-batching", "provider requests with batching / without", q, "<= 0.40", q <= 0.40);
        double wq = ratio(jnum(&b, "wall_s"), jnum(&u, "wall_s"));
        figure("6-batching", "wall time with batching / without", wq, "<= 1.0", wq <= 1.0);
    }
    FILE *f = dat_open("6-batching");
    dat_row(f, "original", &o);
    dat_row(f, "enhanced", &b);
    dat_row(f, "enhanced-nobatch", &u);
    fclose(f);
    json_decref(b.j);
    json_decref(u.j);
    json_decref(o.j);
    free(jobs);
    tl_resume_free(br);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    C.out = "bench/results";
    C.peer_dir = "bench/peers/node";
    static char self_dir[512], bin[600];
    ssize_t k = readlink("/proc/self/exe", self_dir, sizeof self_dir - 1);
    if (k > 0) {
        self_dir[k] = 0;
        char *sl = strrchr(self_dir, '/');
        if (sl)
            *sl = 0;
    }
    snprintf(bin, sizeof bin, "%s/tailor", self_dir);
    C.tailor_bin = bin;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            C.quick = true;
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            C.out = argv[++i];
        else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc)
            C.peer_dir = argv[++i];
        else if (strcmp(argv[i], "--tailor") == 0 && i + 1 < argc)
            C.tailor_bin = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_scenarios [--quick] [--out DIR] [--peer DIR] "
                            "[--tailor BIN] [--only 123456]\n");
            return 2;
        }
    }
    if (getenv("QUICK") && strcmp(getenv("QUICK"), "1") == 0)
        C.quick = true;
    C.lat_ms = C.quick ? 50 : 200;
    C.ms_per_token = C.quick ? 0.25 : 1.0;
    C.timeout_ms = (int)(C.lat_ms * 8 + C.ms_per_token * 1000);
    if (access(C.tailor_bin, X_OK) != 0)
        die("no tailor binary next to bench_scenarios (use --tailor)");
    char probe[600];
    snprintf(probe, sizeof probe, "%s/node_modules", C.peer_dir);
    C.peer_ok = access(probe, R_OK) == 0 && system("node --version >/dev/null 2>&1") == 0;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/data", C.out);
    mkdir(C.out, 0755);
    mkdir(dir, 0755);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    corpus c = {0};
    load_corpus(&c);
    char mdpath[600];
    snprintf(mdpath, sizeof mdpath, "%s/latest.md", C.out);
    MD = fopen(mdpath, "w");
    if (!MD)
        die(mdpath);
    struct utsname un;
    uname(&un);
    char when[64];
    time_t tt = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
    REPORT = json_pack("{s:s, s:b, s:f, s:i, s:i, s:s, s:s, s:b, s:[], s:[]}", "when", when,
                       "quick", C.quick, "latency_median_ms", C.lat_ms, "timeout_ms", C.timeout_ms,
                       "cores", (int)sysconf(_SC_NPROCESSORS_ONLN), "machine", un.machine, "kernel",
                       un.release, "peer", C.peer_ok, "figures", "runs");
    FIGURES = json_object_get(REPORT, "figures");
    fprintf(MD,
            "# tailor scenario benchmarks\n\n%s, %ld cores, %s %s, %s run; fake-llm median "
            "latency %.0f ms (lognormal, sigma 0.5), client timeout %d ms; peer: %s.\n\n"
            "Command: `make bench%s`\n\n"
            "| scenario | figure | value | target | meets |\n|---|---|---|---|---|\n",
            when, sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.machine, C.quick ? "QUICK" : "full",
            C.lat_ms, C.timeout_ms,
            C.peer_ok ? "bench/peers/node" : "skipped (no node or node_modules)",
            C.quick ? " QUICK=1" : "");
    printf("bench_scenarios: %s run, median latency %.0f ms, timeout %d ms, peer %s\n",
           C.quick ? "QUICK" : "full", C.lat_ms, C.timeout_ms, C.peer_ok ? "on" : "skipped");
    printf("  %-44s %10s  %-10s %s\n", "figure", "value", "target", "meets");
    double t0 = now_s();
    if (!only || strchr(only, '1'))
        s1_latency(&c);
    if (!only || strchr(only, '2'))
        s2_faults(&c);
    if (!only || strchr(only, '3'))
        s3_outage(&c);
    if (!only || strchr(only, '4'))
        s4_ratelimit(&c);
    if (!only || strchr(only, '5'))
        s5_cache(&c);
    if (!only || strchr(only, '6'))
        s6_batching(&c);
    double took = now_s() - t0;
    fprintf(MD, "\nTook %.0f s.%s\n", took,
            ANY_INVALID ? " Some runs were INVALID (fake-llm's counts disagree with the "
                          "client's): their figures are left out."
                        : " Every run's client-side call count matched fake-llm's /stats.");
    fclose(MD);
    json_object_set_new(REPORT, "took_s", json_real(took));
    /* the answer times served scenario 4's figures; the file keeps counts */
    json_t *runs = json_object_get(REPORT, "runs");
    for (size_t i = 0; i < json_array_size(runs); i++) {
        json_t *rep = json_object_get(json_array_get(runs, i), "report");
        json_object_del(rep, "ok_at");
    }
    char jpath[600];
    snprintf(jpath, sizeof jpath, "%s/latest.json", C.out);
    if (json_dump_file(REPORT, jpath, JSON_INDENT(1)) != 0)
        die(jpath);
    printf("\ntook %.0f s; wrote %s and %s\n", took, mdpath, jpath);
    json_decref(REPORT);
    for (size_t i = 0; i < c.n_res; i++)
        tl_resume_free(c.res[i]);
    for (size_t i = 0; i < c.n_jds; i++)
        tl_job_free(c.jds[i]);
    tl_terms_free(c.terms);
    curl_global_cleanup();
    return 0;
}
