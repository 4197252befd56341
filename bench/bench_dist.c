/* The engine's side of distributed work: N customization jobs run by the
 * engine with a remote provider (src/dist) as the chain, so every provider
 * call goes to `tailor worker` processes over Redis Streams. Plans, the
 * fact guard, fallbacks and the consistency pass stay here.
 *
 * Checks what the distributed tests need and prints one line of figures:
 *   every job completes; every task of every job has exactly one result;
 *   jobs per minute.
 * Exit 0 when all jobs completed with one result per task, 1 otherwise.
 *
 * usage: bench_dist --redis URL [--jobs N] [--in-flight K] [--timeout-s S]
 *                   [--prefix P] [--resend-after-ms MS] [--data DIR]
 * Without --redis it prints a note and exits 0 (bench/run.sh runs every
 * bench_* bare); bench/dist_scaling.sh runs it with 1, 2 and 4 workers. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dist/dist.h"
#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/processor.h"
#include "util/file.h"
#include "util/limits.h"

enum { MAX_TASKS = 256, MAX_JOBS = 100000 };

typedef struct jobrec {
    uint64_t id;
    unsigned char seen[MAX_TASKS];
    unsigned tasks, dups, fell_back, remote;
    bool done;
    tl_err status;
} jobrec;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned in_flight, done_jobs, failed_jobs;

static void on_task(void *ud, const tl_task_result *r)
{
    jobrec *j = ud;
    pthread_mutex_lock(&mu);
    if (r->task_id < MAX_TASKS) {
        if (j->seen[r->task_id]++)
            j->dups++;
        else
            j->tasks++;
    }
    if (r->fell_back)
        j->fell_back++;
    else if (!r->cached)
        j->remote++;
    pthread_mutex_unlock(&mu);
}

static void on_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                    const tl_job_metrics *m)
{
    (void)job_id;
    (void)m;
    jobrec *j = ud;
    tl_result_free(result);
    pthread_mutex_lock(&mu);
    j->done = true;
    j->status = status;
    in_flight--;
    done_jobs++;
    if (status != TL_OK)
        failed_jobs++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_long(const char *s, long lo, long hi)
{
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_dist: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static void *load(const char *dir, const char *name, size_t max, size_t *n)
{
    char path[1024], *text = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tl_file_read(path, max, &text, n) != TL_OK) {
        fprintf(stderr, "bench_dist: cannot read %s\n", path);
        exit(2);
    }
    return text;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *prefix = NULL, *data = TL_TEST_DATA;
    long jobs = 200, max_in_flight = 40, timeout_s = 100, resend_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "bench_dist: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--redis") == 0)
            url = v;
        else if (strcmp(a, "--jobs") == 0)
            jobs = arg_long(v, 1, MAX_JOBS);
        else if (strcmp(a, "--in-flight") == 0)
            max_in_flight = arg_long(v, 1, 10000);
        else if (strcmp(a, "--timeout-s") == 0)
            timeout_s = arg_long(v, 1, 86400);
        else if (strcmp(a, "--resend-after-ms") == 0)
            resend_ms = arg_long(v, 0, 86400000);
        else if (strcmp(a, "--prefix") == 0)
            prefix = v;
        else if (strcmp(a, "--data") == 0)
            data = v;
        else {
            fprintf(stderr, "bench_dist: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!url) {
        /* bench/run.sh runs every bench_* without arguments: the scaling
         * run needs servers, which bench/dist_scaling.sh starts. */
        printf("bench_dist: needs --redis URL and workers; see bench/dist_scaling.sh\n");
        return 0;
    }
    tl_terms *terms = NULL;
    if (tl_terms_load_default(&terms) != TL_OK)
        return 1;
    /* A few resumes and job descriptions, so that jobs differ. */
    const char *resumes[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
    const char *jds[] = {"senior-backend-engineer.txt", "analytics-engineer.txt",
                         "product-marketing-manager.txt", "icu-registered-nurse.txt"};
    enum { NR = 3, NJ = 4 };
    tl_resume *rs[NR] = {0};
    tl_job *js[NJ] = {0};
    for (int i = 0; i < NR; i++) {
        size_t n = 0;
        char *t = load(data, resumes[i], TL_MAX_RESUME_BYTES, &n);
        if (tl_resume_parse(t, n, TL_FORMAT_AUTO, &rs[i], NULL) != TL_OK)
            return 1;
        free(t);
    }
    for (int i = 0; i < NJ; i++) {
        size_t n = 0;
        char *t = load(data, jds[i], TL_MAX_JOB_BYTES, &n);
        if (tl_job_parse(t, n, terms, &js[i], NULL) != TL_OK)
            return 1;
        free(t);
    }

    tl_provider *remote = NULL;
    tl_dist_remote_opts ro = {.url = url, .prefix = prefix, .resend_after_ms = (uint64_t)resend_ms};
    tl_err e = tl_dist_remote_create(&ro, &remote);
    if (e) {
        fprintf(stderr, "bench_dist: cannot reach %s: %s\n", url, tl_strerror(e));
        return 1;
    }
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.loop_thread = true;
    eo.workers = 2;
    eo.no_cache = true; /* every job goes to the workers */
    tl_engine *eng = NULL;
    if ((e = tl_engine_create(&eng, &eo)) != TL_OK)
        return 1;
    tl_provider_conf pc;
    tl_provider_conf_default(&pc);
    pc.hedge = false; /* one call per attempt: the counts stay exact */
    pc.ratelimit.max_concurrency = 256;
    if ((e = tl_engine_add_provider(eng, remote, &pc)) != TL_OK) {
        fprintf(stderr, "bench_dist: add provider: %s\n", tl_strerror(e));
        return 1;
    }

    jobrec *recs = calloc((size_t)jobs, sizeof *recs);
    if (!recs)
        return 1;
    double t0 = now_s();
    double deadline = t0 + (double)timeout_s;
    bool timed_out = false;
    for (long i = 0; i < jobs && !timed_out; i++) {
        pthread_mutex_lock(&mu);
        while (in_flight >= (unsigned)max_in_flight && !timed_out) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&cv, &mu, &ts);
            timed_out = now_s() > deadline;
        }
        in_flight++;
        pthread_mutex_unlock(&mu);
        if (timed_out)
            break;
        tl_job_opts jo = {0};
        jo.strength = (tl_strength)(i % 3) == 0 ? TL_STRENGTH_BALANCED : TL_STRENGTH_EXTENSIVE;
        jo.chain = &remote;
        jo.n_chain = 1;
        jo.priority = (int32_t)(i % 5);
        jo.on_task = on_task;
        jo.on_done = on_done;
        jo.ud = &recs[i];
        e = tl_engine_submit(eng, rs[i % NR], js[i % NJ], terms, &jo, &recs[i].id);
        if (e) {
            fprintf(stderr, "bench_dist: submit: %s\n", tl_strerror(e));
            pthread_mutex_lock(&mu);
            in_flight--;
            failed_jobs++;
            pthread_mutex_unlock(&mu);
        }
    }
    pthread_mutex_lock(&mu);
    while (done_jobs + 0u < (unsigned)jobs && !timed_out) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&cv, &mu, &ts);
        timed_out = now_s() > deadline;
    }
    unsigned done = done_jobs, failed = failed_jobs;
    pthread_mutex_unlock(&mu);
    double wall = now_s() - t0;

    tl_engine_destroy(eng);
    tl_dist_remote_stats rst;
    tl_dist_remote_stats_get(remote, &rst);
    tl_provider_destroy(remote);

    unsigned long tasks = 0, dups = 0, fell = 0, rem = 0, incomplete = 0;
    for (long i = 0; i < jobs; i++) {
        tasks += recs[i].tasks;
        dups += recs[i].dups;
        fell += recs[i].fell_back;
        rem += recs[i].remote;
        if (!recs[i].done)
            incomplete++;
    }
    printf("jobs=%ld done=%u failed=%u incomplete=%lu tasks=%lu duplicate_task_results=%lu "
           "tasks_by_workers=%lu tasks_fell_back=%lu calls=%llu answers=%llu "
           "duplicate_answers=%llu resent=%llu wall_s=%.2f jobs_per_min=%.0f\n",
           jobs, done, failed, incomplete, tasks, dups, rem, fell,
           (unsigned long long)rst.submitted, (unsigned long long)rst.answered,
           (unsigned long long)rst.duplicates, (unsigned long long)rst.resent, wall,
           wall > 0 ? (double)done * 60.0 / wall : 0.0);
    free(recs);
    for (int i = 0; i < NR; i++)
        tl_resume_free(rs[i]);
    for (int i = 0; i < NJ; i++)
        tl_job_free(js[i]);
    tl_terms_free(terms);
    bool ok = done == (unsigned)jobs && failed == 0 && dups == 0 && incomplete == 0;
    return ok ? 0 : 1;
}
