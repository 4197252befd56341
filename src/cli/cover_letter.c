/* tailor cover-letter RESUME JOB: a one-page cover letter for the job, from
 * the resume's own content, as text, Markdown, DOCX or PDF; written by the
 * first provider of the chain whose letter passes the fact guard, else by
 * the embedded engine (provider/letter.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "doc/docx.h"
#include "doc/pdf.h"
#include "provider/letter.h"
#include "tailor/cover_letter.h"
#include "util/file.h"

typedef struct letter_args {
    const char *resume_path;
    const char *job_path;
    const char *out_path;
    const char *terms_path;
    tl_format format;
    int binary;
    tl_letter_tone tone;
    tl_pdf_paper paper;
    const char *providers; /* --providers (NULL: $TAILOR_PROVIDERS, config, "local") */
    const char *config;    /* --config */
} letter_args;

static void letter_usage(FILE *f)
{
    fputs("usage: tailor cover-letter RESUME JOB [--tone formal|warm]\n"
          "                            [--format txt|md|docx|pdf] [--paper a4|letter]\n"
          "                            [-o OUT] [--terms FILE]\n"
          "                            [--providers openai,anthropic,local] [--config FILE]\n"
          "\n"
          "  RESUME   JSON Resume, Markdown, plain text, PDF or DOCX (detected)\n"
          "  JOB      the job description, plain text ('-' reads standard input)\n"
          "  --tone   formal (default) or warm\n"
          "  --format output format (default txt); docx and pdf need -o or a pipe\n"
          "  --paper  page size of DOCX and PDF output (default a4)\n"
          "  -o OUT   write the letter to OUT instead of standard output\n"
          "  --terms  an extra terminology file\n"
          "  --providers the fallback chain (also --provider; env TAILOR_PROVIDERS;\n"
          "           default: the config's providers line, else local); a provider's\n"
          "           letter that fails the fact guard falls back to the next, and local,\n"
          "           the embedded engine, is always last\n"
          "  --config provider configuration (default $TAILOR_CONFIG, else ./tailor.conf)\n",
          f);
}

static int parse_letter_args(int argc, char **argv, letter_args *a)
{
    static const struct option opts[] = {
        {"tone", required_argument, NULL, 'T'},     {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},   {"terms", required_argument, NULL, 't'},
        {"paper", required_argument, NULL, 'p'},    {"providers", required_argument, NULL, 'P'},
        {"provider", required_argument, NULL, 'P'}, {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    a->format = TL_FORMAT_TEXT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'T':
            if (tl_letter_tone_parse(optarg, &a->tone) != TL_OK) {
                cli_error("unknown tone '%s' (formal or warm)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'f':
            if (cli_parse_doc_format(optarg, &a->format, &a->binary) != TL_EXIT_OK ||
                (!a->binary && a->format != TL_FORMAT_TEXT && a->format != TL_FORMAT_MARKDOWN)) {
                cli_error("unknown letter format '%s' (txt, md, docx or pdf)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'p':
            if (tl_pdf_paper_parse(optarg, &a->paper) != TL_OK) {
                cli_error("unknown paper '%s' (a4 or letter)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'o': a->out_path = optarg; break;
        case 't': a->terms_path = optarg; break;
        case 'P': a->providers = optarg; break;
        case 'C': a->config = optarg; break;
        case 'h': letter_usage(stdout); exit(TL_EXIT_OK);
        default: letter_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (argc - optind != 2) {
        letter_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    a->resume_path = argv[optind];
    a->job_path = argv[optind + 1];
    return TL_EXIT_OK;
}

static int write_letter(const letter_args *a, const tl_cover_letter *l)
{
    char *text = NULL, *data = NULL;
    size_t len = 0, dlen = 0;
    tl_format fmt = a->binary ? TL_FORMAT_TEXT : a->format;
    tl_err e = tl_cover_letter_render(l, fmt, &text, &len);
    if (e == TL_OK && a->binary == CLI_BIN_DOCX) {
        tl_docx_opts o = {.letter = a->paper == TL_PDF_LETTER};
        e = tl_docx_write_text(text, len, &o, &data, &dlen);
    } else if (e == TL_OK && a->binary == CLI_BIN_PDF) {
        tl_pdf_opts o = {.paper = a->paper, .tmpl = TL_PDF_CLASSIC};
        e = tl_pdf_write_text(text, len, &o, &data, &dlen);
    }
    int rc;
    if (e) {
        cli_error("cannot render the letter: %s", tl_strerror(e));
        rc = TL_EXIT_INTERNAL;
    } else if (a->binary) {
        rc = cli_write_binary(data, dlen, a->out_path);
    } else if (tl_file_write(a->out_path ? a->out_path : "-", text, len) != TL_OK) {
        cli_error("%s: cannot write the letter", a->out_path ? a->out_path : "stdout");
        rc = TL_EXIT_INTERNAL;
    } else {
        rc = TL_EXIT_OK;
    }
    free(text);
    free(data);
    return rc;
}

/* Says on stderr who wrote the letter and why the providers before it
 * were passed over. */
static void report(const cli_providers *cp, const tl_cover_letter *l)
{
    if (cp->n == 0)
        return;
    for (size_t i = 0; i < l->n_attempts; i++)
        fprintf(stderr, "letter: %s fell back (%s): %s\n", l->attempts[i].provider,
                l->attempts[i].outcome, l->attempts[i].detail);
    fprintf(stderr, "letter: written by %s\n", l->provider);
}

static int write_with_chain(const letter_args *a, const cli_providers *cp, const tl_resume *r,
                            const tl_job *j, const tl_terms *t)
{
    tl_letter_link chain[CLI_MAX_PROVIDERS];
    for (size_t i = 0; i < cp->n; i++)
        chain[i] = (tl_letter_link){.provider = cp->p[i], .model = cp->conf[i].model_large};
    tl_letter_chain_opts o = {.letter = {.tone = a->tone}};
    tl_cover_letter *letter = NULL;
    tl_err e = tl_letter_write_chain(r, j, t, chain, cp->n, &o, &letter);
    if (e) {
        cli_error("cannot write the letter: %s", tl_strerror(e));
        return cli_exit_code(e) == TL_EXIT_BADINPUT ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    report(cp, letter);
    int rc = write_letter(a, letter);
    tl_cover_letter_free(letter);
    return rc;
}

int cmd_cover_letter(int argc, char **argv)
{
    letter_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_letter_args(argc, argv, &a);
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
        rc = write_with_chain(&a, &cp, resume, job, terms);
    tl_job_free(job);
    tl_resume_free(resume);
    tl_terms_free(terms);
    cli_providers_close(&cp);
    return rc;
}
