/* tailor plan RESUME JOB: how the engine would cut a customization into
 * tasks (ids, kinds, priorities, token estimates, batch groups) and the
 * exact provider request of each task alone and of each batch group. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli/cli.h"
#include "engine/processor.h"
#include "engine/task.h"

static void plan_usage(FILE *f)
{
    fputs("usage: tailor plan RESUME JOB [--strength S] [--json] [--terms FILE]\n"
          "\n"
          "  Prints the customization's task plan: one task per subsection (long\n"
          "  entries split into bullet groups) with its kind, base priority, token\n"
          "  estimate, model tier and batch group. --json adds the provider request\n"
          "  of each task alone and of each batch group.\n",
          f);
}

static void print_text(const tl_plan *p)
{
    printf("%zu tasks, %zu batch groups, strength %s, median %u tokens\n", p->n, p->n_batches,
           tl_strength_name(p->strength), tl_plan_median_tokens(p));
    printf("  %-4s %-32s %-9s %5s %6s %-5s %s\n", "id", "section", "kind", "prio", "tokens", "tier",
           "batch");
    for (size_t i = 0; i < p->n; i++) {
        const tl_task *t = &p->tasks[i];
        char batch[16] = "-";
        if (t->batch >= 0)
            snprintf(batch, sizeof batch, "%d", t->batch);
        printf("  %-4u %-32s %-9s %5d %6u %-5s %s\n", t->id, t->label, tl_task_kind_name(t->kind),
               (int)t->priority, t->tokens_est, tl_model_tier_name(t->tier), batch);
    }
}

/* {"system": ..., "user": ...} for one task, or JSON null when it cannot
 * be rendered. */
static json_t *request_json(const tl_codec *codec, void *cctx, const tl_task *t)
{
    if (!codec || !cctx)
        return json_null();
    tl_prompt_task pt = {t->label, t->target};
    char *sys = NULL, *user = NULL;
    if (codec->render(cctx, &pt, 1, &sys, &user) != TL_OK)
        return json_null();
    json_t *o = json_pack("{s:s?, s:s?}", "system", sys, "user", user);
    free(sys);
    free(user);
    return o ? o : json_null();
}

/* The batch groups: their task ids and the one request that carries them. */
static json_t *batches_json(const tl_plan *p, const tl_codec *codec, void *cctx)
{
    json_t *arr = json_array();
    tl_prompt_task *pt = calloc(p->n ? p->n : 1, sizeof *pt);
    for (size_t b = 0; arr && pt && b < p->n_batches; b++) {
        json_t *ids = json_array();
        size_t n = 0;
        for (size_t i = 0; ids && i < p->n; i++)
            if (p->tasks[i].batch == (int)b) {
                pt[n++] = (tl_prompt_task){p->tasks[i].label, p->tasks[i].target};
                json_array_append_new(ids, json_integer(p->tasks[i].id));
            }
        json_t *req = NULL;
        char *sys = NULL, *user = NULL;
        if (codec && cctx && codec->render(cctx, pt, n, &sys, &user) == TL_OK)
            req = json_pack("{s:s?, s:s?}", "system", sys, "user", user);
        free(sys);
        free(user);
        json_t *o = json_pack("{s:i, s:o, s:o}", "batch", (int)b, "tasks", ids ? ids : json_array(),
                              "request", req ? req : json_null());
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (!pt) {
        json_decref(arr);
        arr = NULL;
    }
    free(pt);
    return arr;
}

static json_t *task_json(const tl_task *t, json_t *request)
{
    json_t *deps = json_array();
    for (unsigned d = 0; deps && d < t->n_deps; d++)
        json_array_append_new(deps, json_integer(t->deps[d]));
    return json_pack("{s:I, s:s, s:s, s:i, s:i, s:s, s:o, s:o, s:o}", "id", (json_int_t)t->id,
                     "section", t->label, "kind", tl_task_kind_name(t->kind), "priority",
                     (int)t->priority, "tokens_est", (int)t->tokens_est, "tier",
                     tl_model_tier_name(t->tier), "batch",
                     t->batch >= 0 ? json_integer(t->batch) : json_null(), "deps",
                     deps ? deps : json_array(), "request", request);
}

static int print_json(const tl_plan *p, const tl_resume *r, const tl_job *j, const tl_terms *terms)
{
    const tl_codec *codec = tl_codec_prompt();
    void *cctx = NULL;
    if (codec && codec->ctx_create(r, j, terms, p->strength, &cctx) != TL_OK)
        cctx = NULL;
    json_t *tasks = json_array();
    for (size_t i = 0; tasks && i < p->n; i++) {
        json_t *t = task_json(&p->tasks[i], request_json(codec, cctx, &p->tasks[i]));
        if (!t || json_array_append_new(tasks, t) != 0) {
            json_decref(tasks);
            tasks = NULL;
        }
    }
    json_t *batches = tasks ? batches_json(p, codec, cctx) : NULL;
    if (codec && cctx)
        codec->ctx_free(cctx);
    json_t *doc = tasks && batches
                      ? json_pack("{s:s, s:i, s:i, s:i, s:o, s:o}", "strength",
                                  tl_strength_name(p->strength), "tasks_total", (int)p->n,
                                  "batch_groups", (int)p->n_batches, "median_tokens",
                                  (int)tl_plan_median_tokens(p), "tasks", tasks, "batches", batches)
                      : NULL;
    if (!doc) {
        json_decref(tasks);
        json_decref(batches);
    }
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text) {
        cli_error("out of memory");
        return TL_EXIT_INTERNAL;
    }
    puts(text);
    free(text);
    return TL_EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"strength", required_argument, NULL, 's'},
                                         {"terms", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    const char *terms_path = NULL;
    tl_strength strength = TL_STRENGTH_BALANCED;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "js:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 't': terms_path = optarg; break;
        case 's':
            if (tl_strength_parse(optarg, &strength) != TL_OK) {
                cli_error("unknown strength '%s' (CONSERVATIVE, BALANCED, EXTENSIVE)", optarg);
                return TL_EXIT_BADINPUT;
            }
            break;
        case 'h': plan_usage(stdout); return TL_EXIT_OK;
        default: plan_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (argc - optind != 2) {
        plan_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    tl_terms *terms = NULL;
    tl_resume *resume = NULL;
    tl_job *job = NULL;
    tl_plan *plan = NULL;
    int rc;
    if ((rc = cli_load_terms(terms_path, &terms)) == TL_EXIT_OK &&
        (rc = cli_load_document(argv[optind], &resume)) == TL_EXIT_OK &&
        (rc = cli_load_job(argv[optind + 1], terms, &job)) == TL_EXIT_OK) {
        tl_plan_opts po;
        tl_plan_opts_default(&po);
        po.strength = strength;
        tl_err e = tl_plan_build(resume, 1, &po, &plan);
        if (e) {
            cli_error("planning failed: %s", tl_strerror(e));
            rc = cli_exit_code(e);
        } else if (json) {
            rc = print_json(plan, resume, job, terms);
        } else {
            print_text(plan);
        }
    }
    tl_plan_free(plan);
    tl_job_free(job);
    tl_resume_free(resume);
    tl_terms_free(terms);
    return rc;
}
