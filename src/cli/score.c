/* tailor score RESUME JOB: how well the resume matches the job, as it is. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli/cli.h"
#include "tailor/score.h"

static void score_usage(FILE *f)
{
    fputs("usage: tailor score RESUME JOB [--json] [--terms FILE]\n"
          "\n"
          "  Prints the match score (0-100), the job's keywords the resume matches\n"
          "  and those it is missing, and a score per section.\n",
          f);
}

static void print_keywords(const char *label, const tl_score_keyword *k, size_t n)
{
    printf("%s (%zu):\n", label, n);
    for (size_t i = 0; i < n; i++)
        printf("  %-28s %-14s weight %5.1f  job %d  resume %d\n", k[i].term,
               tl_jd_part_name(k[i].part), k[i].weight, k[i].job_count, k[i].resume_count);
}

static void print_report(const tl_score *s)
{
    printf("match score: %d/100\n", s->score);
    print_keywords("matched", s->matched, s->n_matched);
    print_keywords("missing", s->missing, s->n_missing);
    puts("sections:");
    for (size_t i = 0; i < s->n_sections; i++)
        printf("  %-20s %3d\n", s->sections[i].key, s->sections[i].score);
}

static int print_json(const tl_score *s)
{
    json_t *j = tl_score_to_json(s);
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text) {
        cli_error("out of memory");
        return TL_EXIT_INTERNAL;
    }
    puts(text);
    free(text);
    return TL_EXIT_OK;
}

int cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"terms", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    const char *terms_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jt:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 't': terms_path = optarg; break;
        case 'h': score_usage(stdout); return TL_EXIT_OK;
        default: score_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (argc - optind != 2) {
        score_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    tl_terms *terms = NULL;
    tl_resume *resume = NULL;
    tl_job *job = NULL;
    tl_score *score = NULL;
    int rc;
    if ((rc = cli_load_terms(terms_path, &terms)) == TL_EXIT_OK &&
        (rc = cli_load_document(argv[optind], &resume)) == TL_EXIT_OK &&
        (rc = cli_load_job(argv[optind + 1], terms, &job)) == TL_EXIT_OK) {
        tl_err e = tl_score_compute(resume, job, terms, &score);
        if (e) {
            cli_error("scoring failed: %s", tl_strerror(e));
            rc = TL_EXIT_INTERNAL;
        } else if (json) {
            rc = print_json(score);
        } else {
            print_report(score);
        }
    }
    tl_score_free(score);
    tl_job_free(job);
    tl_resume_free(resume);
    tl_terms_free(terms);
    return rc;
}
