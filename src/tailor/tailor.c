#include "tailor/tailor.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "tailor/consistency.h"
#include "tailor/local.h"
#include "tailor/match.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Tailors every target of res->tailored with the embedded engine. */
static tl_err tailor_all(const tl_local_ctx *ctx, const tl_resume *r, const tl_customize_opts *opts,
                         tl_result *res)
{
    tl_target *targets = NULL;
    size_t n = 0;
    tl_err e = tl_local_targets(r, &targets, &n);
    for (size_t i = 0; !e && i < n; i++) {
        e = tl_local_tailor(ctx, &targets[i], res->tailored, res->changes);
        if (!e && opts && opts->progress)
            opts->progress(opts->progress_ud, (int)(i + 1), (int)n);
        if (!e && opts && opts->section)
            opts->section(opts->progress_ud, (int)(i + 1), (int)n, res->tailored, &targets[i]);
    }
    res->subsections = (int)n;
    free(targets);
    return e;
}

tl_err tl_customize(const tl_resume *r, const tl_job *j, const tl_terms *t,
                    const tl_customize_opts *opts, tl_result **out)
{
    if (!r || !j || !t || !out)
        return TL_EINVAL;
    double t0 = now_ms();
    tl_local_ctx *ctx = NULL;
    tl_result *res = calloc(1, sizeof *res);
    if (!res)
        return TL_ENOMEM;
    tl_err e = TL_ENOMEM;
    if (!(res->changes = tl_changes_new()))
        goto fail;
    /* One index of the job serves the engine, the consistency pass and
     * both scores. */
    if ((e = tl_local_ctx_create(r, j, t, opts ? opts->strength : 0, &ctx)) != TL_OK)
        goto fail;
    const tl_matcher *m = tl_local_ctx_matcher(ctx);
    if ((e = tl_resume_clone(r, &res->tailored)) != TL_OK ||
        (e = tailor_all(ctx, r, opts, res)) != TL_OK ||
        (e = tl_consistency_run_with(res->tailored, m, res->changes)) != TL_OK ||
        (e = tl_score_compute_pair(r, res->tailored, m, &res->before, &res->after)) != TL_OK)
        goto fail;
    tl_local_ctx_free(ctx);
    res->elapsed_ms = now_ms() - t0;
    *out = res;
    return TL_OK;
fail:
    tl_local_ctx_free(ctx);
    tl_result_free(res);
    return e;
}

void tl_result_free(tl_result *res)
{
    if (!res)
        return;
    tl_resume_free(res->tailored);
    tl_changes_free(res->changes);
    tl_score_free(res->before);
    tl_score_free(res->after);
    free(res);
}

/* ---- JSON ---- */

/* The tailored resume as a JSON Resume object, and its rendering in fmt
 * when fmt is not JSON. */
static tl_err resume_parts(const tl_result *res, tl_format fmt, json_t **resume, json_t **rendered)
{
    char *text = NULL;
    size_t len = 0;
    tl_err e = tl_resume_to_json_value(res->tailored, resume);
    if (e)
        return e;
    *rendered = NULL;
    if (fmt == TL_FORMAT_JSON)
        return TL_OK;
    if ((e = tl_resume_write(res->tailored, fmt, &text, &len)) != TL_OK) {
        json_decref(*resume);
        return e;
    }
    *rendered = json_stringn(text, len);
    free(text);
    if (!*rendered) {
        json_decref(*resume);
        return TL_ENOMEM;
    }
    return TL_OK;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *changes_json(const tl_changes *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < c->n; i++) {
        const tl_change *ch = &c->items[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", tl_change_kind_name(ch->kind),
                              "id", ch->id ? ch->id : "", "before", str_or_null(ch->before),
                              "after", str_or_null(ch->after), "reason", str_or_null(ch->reason));
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *missing_json(const tl_score *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->n_missing; i++) {
        const tl_score_keyword *k = &s->missing[i];
        json_t *o = json_pack("{s:s, s:f, s:i}", "term", k->term, "weight", k->weight, "job_count",
                              k->job_count);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *scores_json(const tl_result *res)
{
    json_t *before = tl_score_to_json(res->before);
    json_t *after = tl_score_to_json(res->after);
    if (!before || !after) {
        json_decref(before);
        json_decref(after);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "before", before, "after", after);
}

tl_err tl_result_to_value(const tl_result *res, tl_format fmt, json_t **out)
{
    if (!res || !out || !res->tailored || !res->before || !res->after || !res->changes)
        return TL_EINVAL;
    if (fmt == TL_FORMAT_AUTO)
        fmt = res->tailored->format;
    json_t *resume = NULL, *rendered = NULL;
    tl_err e = resume_parts(res, fmt, &resume, &rendered);
    if (e)
        return e;
    json_t *doc = json_object();
    if (!doc) {
        json_decref(resume);
        json_decref(rendered);
        return TL_ENOMEM;
    }
    /* set_new takes the value's reference even when it fails, and fails
     * on a NULL value: one check at the end covers every step. */
    int bad = json_object_set_new(doc, "resume", resume);
    bad |= json_object_set_new(doc, "format", json_string(tl_format_name(fmt)));
    if (rendered)
        bad |= json_object_set_new(doc, "rendered", rendered);
    bad |= json_object_set_new(doc, "score", scores_json(res));
    bad |= json_object_set_new(doc, "missing_keywords", missing_json(res->after));
    bad |= json_object_set_new(doc, "changes", changes_json(res->changes));
    bad |= json_object_set_new(
        doc, "metrics",
        json_pack("{s:f, s:i}", "elapsed_ms", res->elapsed_ms, "subsections", res->subsections));
    if (bad) {
        json_decref(doc);
        return TL_ENOMEM;
    }
    *out = doc;
    return TL_OK;
}

tl_err tl_result_to_json(const tl_result *res, tl_format fmt, char **out)
{
    if (!out)
        return TL_EINVAL;
    json_t *doc = NULL;
    tl_err e = tl_result_to_value(res, fmt, &doc);
    if (e)
        return e;
    char *text = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    if (!text)
        return TL_ENOMEM;
    *out = text;
    return TL_OK;
}
