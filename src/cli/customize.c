/* tailor customize RESUME JOB: the tailored resume on stdout (or -o OUT),
 * the score before -> after and the missing keywords on stderr. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tailor/tailor.h"
#include "util/file.h"

typedef struct customize_args {
    const char *resume_path;
    const char *job_path;
    const char *out_path;
    const char *terms_path;
    tl_format format;
    int binary; /* CLI_BIN_DOCX or CLI_BIN_PDF: --format docx|pdf */
    tl_strength strength;
    bool explain;
    bool json;
    bool quiet;
} customize_args;

static void customize_usage(FILE *f)
{
    fputs("usage: tailor customize RESUME JOB [--strength CONSERVATIVE|BALANCED|EXTENSIVE]\n"
          "                        [--format json|md|txt|html|docx|pdf] [-o OUT] [--terms FILE]\n"
          "                        [--explain] [--json] [--quiet]\n"
          "\n"
          "  RESUME     JSON Resume, Markdown, plain text, PDF or DOCX (format detected)\n"
          "  JOB        the job description, plain text ('-' reads standard input)\n"
          "  --strength how far to go (default BALANCED; 1, 2, 3 also accepted)\n"
          "  --format   output format (default: the resume's own)\n"
          "  -o OUT     write the result to OUT instead of standard output\n"
          "  --terms    an extra terminology file (Canonical | variant | ...)\n"
          "  --explain  print every change and its reason on standard error\n"
          "  --json     print the whole result (resume, changes, scores) as JSON\n"
          "  --quiet    print nothing on standard error but errors\n",
          f);
}

static int parse_customize_args(int argc, char **argv, customize_args *a)
{
    static const struct option opts[] = {
        {"strength", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},   {"terms", required_argument, NULL, 't'},
        {"explain", no_argument, NULL, 'e'},        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    a->strength = TL_STRENGTH_BALANCED;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:f:o:t:ejqh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (tl_strength_parse(optarg, &a->strength) != TL_OK) {
                cli_error("unknown strength '%s' (CONSERVATIVE, BALANCED or EXTENSIVE)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'f':
            if (cli_parse_doc_format(optarg, &a->format, &a->binary) != TL_EXIT_OK) {
                cli_error("unknown format '%s' (json, md, txt, html, docx or pdf)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'o': a->out_path = optarg; break;
        case 't': a->terms_path = optarg; break;
        case 'e': a->explain = true; break;
        case 'j': a->json = true; break;
        case 'q': a->quiet = true; break;
        case 'h': customize_usage(stdout); exit(TL_EXIT_OK);
        default: customize_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (argc - optind != 2) {
        customize_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    a->resume_path = argv[optind];
    a->job_path = argv[optind + 1];
    return TL_EXIT_OK;
}

/* A progress bar on a terminal; nothing when stderr is a pipe or a file. */
static void draw_progress(void *ud, int done, int total)
{
    (void)ud;
    if (total <= 0)
        return;
    enum { WIDTH = 30 };
    int filled = done * WIDTH / total;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '-';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %d/%d sections", bar, done, total);
    if (done == total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

static void print_summary(const tl_result *res)
{
    int delta = res->after->score - res->before->score;
    fprintf(stderr, "match score: %d -> %d (%+d)\n", res->before->score, res->after->score, delta);
    const tl_score *s = res->after;
    if (s->n_missing == 0) {
        fputs("missing keywords: none\n", stderr);
        return;
    }
    fputs("missing keywords: ", stderr);
    for (size_t i = 0; i < s->n_missing; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", s->missing[i].term);
    fputc('\n', stderr);
}

static void print_changes(const tl_changes *ch)
{
    for (size_t i = 0; i < ch->n; i++) {
        const tl_change *c = &ch->items[i];
        fprintf(stderr, "* %s %s: %s\n", tl_change_kind_name(c->kind), c->id,
                c->reason ? c->reason : "");
        if (c->before && c->after && strcmp(c->before, c->after) != 0) {
            fprintf(stderr, "    - %s\n", c->before);
            fprintf(stderr, "    + %s\n", c->after);
        }
    }
    if (ch->n == 0)
        fputs("no changes\n", stderr);
}

static int render(const customize_args *a, const tl_result *res, char **out, size_t *len)
{
    tl_err e;
    if (a->json) {
        e = tl_result_to_json(res, a->format, out);
        if (e == TL_OK)
            *len = strlen(*out);
    } else {
        e = tl_resume_write(res->tailored, a->format, out, len);
    }
    if (e)
        cli_error("cannot render the result: %s", tl_strerror(e));
    return cli_exit_code(e);
}

static int run_customize(const customize_args *a, tl_resume *resume, tl_job *job,
                         const tl_terms *terms)
{
    tl_customize_opts opts = {.strength = a->strength};
    if (!a->quiet && isatty(STDERR_FILENO))
        opts.progress = draw_progress;
    tl_result *res = NULL;
    tl_err e = tl_customize(resume, job, terms, &opts, &res);
    if (e) {
        cli_error("customization failed: %s", tl_strerror(e));
        return cli_exit_code(e) == TL_EXIT_BADINPUT ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = a->binary && !a->json ? cli_write_resume_binary(res->tailored, a->binary, a->out_path)
                                   : render(a, res, &text, &len);
    if (rc == TL_EXIT_OK && text) {
        const char *dest = a->out_path ? a->out_path : "-";
        if (tl_file_write(dest, text, len) != TL_OK) {
            cli_error("%s: cannot write the result", a->out_path ? a->out_path : "stdout");
            rc = TL_EXIT_INTERNAL;
        }
    }
    free(text);
    if (rc == TL_EXIT_OK && a->explain)
        print_changes(res->changes);
    if (rc == TL_EXIT_OK && !a->quiet)
        print_summary(res);
    tl_result_free(res);
    return rc;
}

int cmd_customize(int argc, char **argv)
{
    customize_args a = {0};
    int rc = parse_customize_args(argc, argv, &a);
    if (rc)
        return rc;
    tl_terms *terms = NULL;
    tl_resume *resume = NULL;
    tl_job *job = NULL;
    if ((rc = cli_load_terms(a.terms_path, &terms)) == TL_EXIT_OK &&
        (rc = cli_load_document(a.resume_path, &resume)) == TL_EXIT_OK &&
        (rc = cli_load_job(a.job_path, terms, &job)) == TL_EXIT_OK)
        rc = run_customize(&a, resume, job, terms);
    tl_job_free(job);
    tl_resume_free(resume);
    tl_terms_free(terms);
    return rc;
}
