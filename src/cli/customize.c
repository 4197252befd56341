/* tailor customize RESUME JOB: the tailored resume on stdout (or -o OUT),
 * the score before -> after and the missing keywords on stderr. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "doc/pdf.h"
#include "tailor/tailor.h"
#include "util/file.h"

typedef struct customize_args {
    const char *resume_path;
    const char *job_path;
    const char *out_path;
    const char *terms_path;
    tl_format format;
    int binary;                           /* CLI_BIN_DOCX or CLI_BIN_PDF: --format docx|pdf */
    tl_pdf_opts pdf;                      /* --paper, --template */
    const char *paper_arg, *template_arg; /* as given, NULL when not */
    tl_strength strength;
    const char *providers; /* --providers (NULL: $TAILOR_PROVIDERS, config, "local") */
    const char *config;    /* --config */
    bool explain;
    bool json;
    bool quiet;
} customize_args;

static void customize_usage(FILE *f)
{
    fputs("usage: tailor customize RESUME JOB [--strength CONSERVATIVE|BALANCED|EXTENSIVE]\n"
          "                        [--format json|md|txt|html|docx|pdf] [-o OUT] [--terms FILE]\n"
          "                        [--paper a4|letter] [--template classic|two-column]\n"
          "                        [--providers openai,anthropic,local] [--config tailor.conf]\n"
          "                        [--explain] [--json] [--quiet]\n"
          "\n"
          "  RESUME     JSON Resume, Markdown, plain text, PDF or DOCX (format detected)\n"
          "  JOB        the job description, plain text ('-' reads standard input)\n"
          "  --strength how far to go (default BALANCED; 1, 2, 3 also accepted)\n"
          "  --format   output format (default: the resume's own)\n"
          "  --paper    page size of --format pdf: a4 (default) or letter\n"
          "  --template layout of --format pdf: classic (default, one column) or\n"
          "             two-column (skills and education in a sidebar)\n"
          "  -o OUT     write the result to OUT instead of standard output\n"
          "  --terms    an extra terminology file (Canonical | variant | ...)\n"
          "  --providers the fallback chain (env TAILOR_PROVIDERS; default: the config's\n"
          "             providers line, else local); local, the embedded engine, is\n"
          "             always last. Keys and URLs from the config or OPENAI_BASE_URL,\n"
          "             OPENAI_API_KEY, TAILOR_OPENAI_MODEL, ANTHROPIC_BASE_URL, ...\n"
          "  --config   provider configuration (default $TAILOR_CONFIG, else ./tailor.conf)\n"
          "  --explain  print every change and its reason on standard error (and, with\n"
          "             providers, the sections that fell back and the job's metrics)\n"
          "  --json     print the whole result (resume, changes, scores) as JSON\n"
          "  --quiet    print nothing on standard error but errors\n",
          f);
}

static int parse_customize_args(int argc, char **argv, customize_args *a)
{
    static const struct option opts[] = {{"strength", required_argument, NULL, 's'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"terms", required_argument, NULL, 't'},
                                         {"explain", no_argument, NULL, 'e'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"providers", required_argument, NULL, 'P'},
                                         {"config", required_argument, NULL, 'C'},
                                         {"paper", required_argument, NULL, 'p'},
                                         {"template", required_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    a->strength = TL_STRENGTH_BALANCED;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:f:o:t:ejqhP:C:", opts, NULL)) != -1) {
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
        case 'p':
            if (tl_pdf_paper_parse(optarg, &a->pdf.paper) != TL_OK) {
                cli_error("unknown paper '%s' (a4 or letter)", optarg);
                return TL_EXIT_BADINPUT;
            }
            a->paper_arg = optarg;
            break;
        case 'T':
            if (tl_pdf_template_parse(optarg, &a->pdf.tmpl) != TL_OK) {
                cli_error("unknown template '%s' (classic or two-column)", optarg);
                return TL_EXIT_BADINPUT;
            }
            a->template_arg = optarg;
            break;
        case 'o': a->out_path = optarg; break;
        case 't': a->terms_path = optarg; break;
        case 'e': a->explain = true; break;
        case 'j': a->json = true; break;
        case 'q': a->quiet = true; break;
        case 'P': a->providers = optarg; break;
        case 'C': a->config = optarg; break;
        case 'h': customize_usage(stdout); exit(TL_EXIT_OK);
        default: customize_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (argc - optind != 2) {
        customize_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    if ((a->paper_arg || a->template_arg) && (a->binary != CLI_BIN_PDF || a->json)) {
        const char *what = a->paper_arg && a->template_arg ? "--paper and --template"
                           : a->paper_arg                  ? "--paper"
                                                           : "--template";
        cli_error("%s only appl%s to --format pdf%s", what,
                  a->paper_arg && a->template_arg ? "y" : "ies",
                  a->binary == CLI_BIN_PDF ? ", not with --json" : "");
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

/* --format docx|pdf: the tailored resume as a document, PDF with --paper
 * and --template. */
static int write_document(const customize_args *a, const tl_resume *r)
{
    if (a->binary != CLI_BIN_PDF)
        return cli_write_resume_binary(r, a->binary, a->out_path);
    char *data = NULL;
    size_t len = 0;
    tl_err e = tl_pdf_write(r, &a->pdf, &data, &len);
    if (e) {
        cli_error("cannot render the result as PDF: %s", tl_strerror(e));
        return cli_exit_code(e) == TL_EXIT_BADINPUT ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    int rc = cli_write_binary(data, len, a->out_path);
    free(data);
    return rc;
}

/* ---- through the engine, when a provider is in the chain ---- */

typedef struct fell_back {
    char section[96];
    char provider[32];
} fell_back;

typedef struct engine_run {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    tl_err status;
    tl_result *result;
    tl_job_metrics metrics;
    int tasks_done, total;
    bool progress;
    fell_back *fb; /* the tasks that fell back */
    size_t n_fb, cap_fb;
    bool fb_lost; /* some could not be recorded (out of memory) */
} engine_run;

static void on_engine_task(void *ud, const tl_task_result *r)
{
    engine_run *x = ud;
    pthread_mutex_lock(&x->m);
    x->tasks_done++;
    if (r->fell_back) {
        if (x->n_fb == x->cap_fb) {
            size_t ncap = x->cap_fb ? 2 * x->cap_fb : 16;
            fell_back *nf = realloc(x->fb, ncap * sizeof *nf);
            if (nf) {
                x->fb = nf;
                x->cap_fb = ncap;
            }
        }
        if (x->n_fb < x->cap_fb) {
            fell_back *f = &x->fb[x->n_fb++];
            snprintf(f->section, sizeof f->section, "%s", r->section_id ? r->section_id : "?");
            snprintf(f->provider, sizeof f->provider, "%s", r->provider ? r->provider : "?");
        } else {
            x->fb_lost = true;
        }
    }
    if (x->progress)
        draw_progress(NULL, x->tasks_done < x->total ? x->tasks_done : x->total, x->total);
    pthread_mutex_unlock(&x->m);
}

static void on_engine_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                           const tl_job_metrics *m)
{
    (void)job_id;
    engine_run *x = ud;
    pthread_mutex_lock(&x->m);
    x->status = status;
    x->result = result;
    if (m)
        x->metrics = *m;
    x->done = true;
    pthread_cond_broadcast(&x->c);
    pthread_mutex_unlock(&x->m);
}

static void print_engine_report(const engine_run *x)
{
    if (x->n_fb == 0 && !x->fb_lost)
        fputs("fallbacks: none\n", stderr);
    for (size_t i = 0; i < x->n_fb; i++)
        fprintf(stderr, "fell back: %s (by %s)\n", x->fb[i].section, x->fb[i].provider);
    if (x->fb_lost)
        fputs("fell back: (more sections not listed: out of memory)\n", stderr);
    const tl_job_metrics *m = &x->metrics;
    fprintf(stderr,
            "metrics: wall_ms=%.1f tasks=%llu provider_calls=%llu tokens_in=%llu "
            "tokens_out=%llu retries=%llu failures=%llu fallbacks=%llu cache_hits=%llu "
            "batches=%llu hedges=%llu breaker_refusals=%llu cost_usd=%.6f\n",
            m->wall_ms, (unsigned long long)m->tasks, (unsigned long long)m->provider_calls,
            (unsigned long long)m->tokens_in, (unsigned long long)m->tokens_out,
            (unsigned long long)m->retries, (unsigned long long)m->failures,
            (unsigned long long)m->fallbacks, (unsigned long long)m->cache_hits,
            (unsigned long long)m->batches, (unsigned long long)m->hedges,
            (unsigned long long)m->breaker_refusals, m->cost_usd);
}

/* Runs the job on the enhanced engine with the chain of cp; *out is the
 * result. The engine has its own loop thread; this thread waits. */
static tl_err run_engine(const customize_args *a, const cli_providers *cp, tl_resume *resume,
                         tl_job *job, const tl_terms *terms, engine_run *x, tl_result **out)
{
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.loop_thread = true;
    eo.workers = 1;
    tl_engine *eng = NULL;
    tl_err e = tl_engine_create(&eng, &eo);
    if (e == TL_OK)
        e = cli_providers_register(cp, eng);
    if (e) {
        tl_engine_destroy(eng);
        return e;
    }
    tl_plan *plan = NULL;
    tl_plan_opts po;
    tl_plan_opts_default(&po);
    po.strength = a->strength;
    if (tl_plan_build(resume, 0, &po, &plan) == TL_OK)
        x->total = (int)plan->n;
    tl_plan_free(plan);
    x->progress = !a->quiet && isatty(STDERR_FILENO);
    tl_job_opts jo = {.strength = a->strength,
                      .chain = (tl_provider **)cp->p,
                      .n_chain = cp->n,
                      .on_task = on_engine_task,
                      .on_done = on_engine_done,
                      .ud = x};
    e = tl_engine_submit(eng, resume, job, terms, &jo, NULL);
    if (e == TL_OK) {
        pthread_mutex_lock(&x->m);
        while (!x->done)
            pthread_cond_wait(&x->c, &x->m);
        pthread_mutex_unlock(&x->m);
        e = x->status;
        *out = x->result;
    }
    tl_engine_destroy(eng);
    return e;
}

static int run_customize(const customize_args *a, const cli_providers *cp, tl_resume *resume,
                         tl_job *job, const tl_terms *terms)
{
    tl_customize_opts opts = {.strength = a->strength};
    if (!a->quiet && isatty(STDERR_FILENO))
        opts.progress = draw_progress;
    tl_result *res = NULL;
    engine_run x = {.status = TL_OK};
    pthread_mutex_init(&x.m, NULL);
    pthread_cond_init(&x.c, NULL);
    tl_err e = cp->n > 0 ? run_engine(a, cp, resume, job, terms, &x, &res)
                         : tl_customize(resume, job, terms, &opts, &res);
    pthread_mutex_destroy(&x.m);
    pthread_cond_destroy(&x.c);
    if (e) {
        free(x.fb);
        cli_error("customization failed: %s", tl_strerror(e));
        return cli_exit_code(e) == TL_EXIT_BADINPUT ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = a->binary && !a->json ? write_document(a, res->tailored) : render(a, res, &text, &len);
    if (rc == TL_EXIT_OK && text) {
        const char *dest = a->out_path ? a->out_path : "-";
        if (tl_file_write(dest, text, len) != TL_OK) {
            cli_error("%s: cannot write the result", a->out_path ? a->out_path : "stdout");
            rc = TL_EXIT_INTERNAL;
        }
    }
    free(text);
    if (rc == TL_EXIT_OK && a->explain) {
        print_changes(res->changes);
        if (cp->n > 0)
            print_engine_report(&x);
    }
    free(x.fb);
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
    cli_providers cp;
    if ((rc = cli_providers_open(a.providers, a.config, &cp)) != TL_EXIT_OK)
        return rc;
    if ((rc = cli_load_terms(a.terms_path, &terms)) == TL_EXIT_OK &&
        (rc = cli_load_document(a.resume_path, &resume)) == TL_EXIT_OK &&
        (rc = cli_load_job(a.job_path, terms, &job)) == TL_EXIT_OK)
        rc = run_customize(&a, &cp, resume, job, terms);
    cli_providers_close(&cp);
    tl_job_free(job);
    tl_resume_free(resume);
    tl_terms_free(terms);
    return rc;
}
