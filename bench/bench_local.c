/* The embedded engine end to end, in-process: parse the resume, analyse the
 * job, tailor every section, run the consistency pass, write the result.
 * Prints the median and p99 time of one customization on one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/tailor.h"
#include "util/file.h"
#include "util/limits.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One whole customization; returns 0 on success. */
static int customize_once(const tl_terms *terms, const char *resume, size_t rlen, const char *job,
                          size_t jlen, tl_strength strength)
{
    tl_resume *r = NULL;
    tl_job *j = NULL;
    tl_result *res = NULL;
    char *out = NULL;
    size_t olen = 0;
    int rc = 1;
    if (tl_resume_parse(resume, rlen, TL_FORMAT_AUTO, &r, NULL) != TL_OK)
        goto done;
    if (tl_job_parse(job, jlen, terms, &j, NULL) != TL_OK)
        goto done;
    tl_customize_opts opts = {.strength = strength};
    if (tl_customize(r, j, terms, &opts, &res) != TL_OK)
        goto done;
    if (tl_resume_write(res->tailored, TL_FORMAT_AUTO, &out, &olen) != TL_OK)
        goto done;
    rc = 0;
done:
    free(out);
    tl_result_free(res);
    tl_job_free(j);
    tl_resume_free(r);
    return rc;
}

static int bench_pair(const tl_terms *terms, const char *resume_file, const char *job_file,
                      tl_strength strength, int iterations)
{
    char path[1024], *resume = NULL, *job = NULL;
    size_t rlen = 0, jlen = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, resume_file);
    if (tl_file_read(path, TL_MAX_RESUME_BYTES, &resume, &rlen) != TL_OK)
        return 1;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, job_file);
    if (tl_file_read(path, TL_MAX_JOB_BYTES, &job, &jlen) != TL_OK) {
        free(resume);
        return 1;
    }
    double *t = calloc((size_t)iterations, sizeof *t);
    int rc = t ? 0 : 1;
    for (int i = 0; i < 50 && rc == 0; i++) /* warm-up */
        rc = customize_once(terms, resume, rlen, job, jlen, strength);
    for (int i = 0; i < iterations && rc == 0; i++) {
        double t0 = now_us();
        rc = customize_once(terms, resume, rlen, job, jlen, strength);
        t[i] = now_us() - t0;
    }
    if (rc == 0) {
        qsort(t, (size_t)iterations, sizeof *t, cmp_double);
        printf("local_customize %-16s x %-32s %-12s median_ms=%.3f p99_ms=%.3f target_ms=2.0\n",
               resume_file, job_file, tl_strength_name(strength), t[iterations / 2] / 1e3,
               t[iterations * 99 / 100] / 1e3);
    }
    free(t);
    free(resume);
    free(job);
    return rc;
}

int main(int argc, char **argv)
{
    int iterations = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2000;
    if (iterations < 10)
        iterations = 10;
    tl_terms *terms = NULL;
    if (tl_terms_load_default(&terms) != TL_OK) {
        fputs("bench_local: cannot load the dictionary\n", stderr);
        return 1;
    }
    int rc = bench_pair(terms, "alex-chen.json", "senior-backend-engineer.txt",
                        TL_STRENGTH_BALANCED, iterations);
    rc |= bench_pair(terms, "alex-chen.json", "senior-backend-engineer.txt",
                     TL_STRENGTH_EXTENSIVE, iterations);
    rc |= bench_pair(terms, "maria-lopez.md", "analytics-engineer.txt", TL_STRENGTH_BALANCED,
                     iterations);
    rc |= bench_pair(terms, "sam-okafor.txt", "icu-registered-nurse.txt", TL_STRENGTH_BALANCED,
                     iterations);
    tl_terms_free(terms);
    if (rc)
        fputs("bench_local: a customization failed\n", stderr);
    return rc;
}
