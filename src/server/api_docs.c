/* /api/v1/resumes, /api/v1/job-descriptions and /api/v1/ats/analyze. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/diff.h"
#include "server/server_int.h"
#include "tailor/advice.h"
#include "tailor/score.h"
#include "util/hash.h"

/* ---- resumes ---- */

/* [{key, title?, entries}] for each section array of a JSON Resume. */
static json_t *sections_summary(json_t *resume)
{
    json_t *list = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(resume, key, v)
    {
        if (!json_is_array(v))
            continue;
        json_array_append_new(
            list, json_pack("{ss sI}", "key", key, "entries", (json_int_t)json_array_size(v)));
    }
    return list;
}

/* The answer for one stored version: metadata, the document, a summary,
 * and the document rendered in ?format= when asked. */
static enum MHD_Result reply_version(tl_req *r, unsigned status, const tl_store_resume *rec)
{
    json_error_t jerr;
    json_t *resume = json_loads(rec->json, 0, &jerr);
    if (!resume)
        return tl__reply_error(r, 500, "internal", "a stored resume is not valid JSON");
    json_t *name = json_object_get(json_object_get(resume, "basics"), "name");
    json_t *doc =
        json_pack("{sI si si ss ss sO* so}", "id", (json_int_t)rec->id, "version", rec->version,
                  "latest_version", rec->latest_version, "format", rec->format, "created_at",
                  rec->created_at ? rec->created_at : "", "name",
                  json_is_string(name) ? name : NULL, "sections", sections_summary(resume));
    if (doc && rec->job_id) {
        json_object_set_new(doc, "job_id", json_integer(rec->job_id));
        json_object_set_new(doc, "job_description_id", json_integer(rec->jd_id));
        json_object_set_new(doc, "parent_version", json_integer(rec->parent_version));
    }
    const char *want = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
    tl_format fmt;
    if (doc && want) {
        if (tl_format_parse(want, &fmt) != TL_OK) {
            json_decref(doc);
            json_decref(resume);
            return tl__reply_error(r, 422, "invalid_format",
                                   "format must be json, markdown, text or html");
        }
        tl_resume *parsed = NULL;
        char *text = NULL;
        size_t len = 0;
        if (tl_resume_parse(rec->json, strlen(rec->json), TL_FORMAT_JSON, &parsed, NULL) == TL_OK &&
            tl_resume_write(parsed, fmt, &text, &len) == TL_OK)
            json_object_set_new(doc, "rendered", json_stringn(text, len));
        free(text);
        tl_resume_free(parsed);
    }
    if (doc)
        json_object_set_new(doc, "resume", resume);
    else
        json_decref(resume);
    return tl__reply_json(r, status, doc);
}

static enum MHD_Result store_failed(tl_req *r, tl_err e, const char *what, int64_t id)
{
    if (e == TL_ENOTFOUND)
        return tl__reply_error(r, 404, "not_found", "no %s %lld", what, (long long)id);
    if (e == TL_ENOMEM)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    return tl__reply_error(r, 500, "storage_error", "the database failed");
}

enum MHD_Result tl__h_resume_create(tl_req *r)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    tl_resume *resume = NULL;
    char *source = NULL;
    bool ok = tl__resume_from_value(r, body, &resume, &source, &rc);
    json_decref(body);
    if (!ok)
        return rc;
    char *json = NULL;
    size_t len = 0;
    tl_err e = tl_resume_write(resume, TL_FORMAT_JSON, &json, &len);
    int64_t id = 0;
    if (e == TL_OK) {
        tl_store_resume_in in = {
            .format = tl_format_name(resume->format), .json = json, .source = source};
        e = tl_store_resume_add(r->srv->store, &in, &id);
    }
    tl_resume_free(resume);
    free(json);
    free(source);
    if (e)
        return store_failed(r, e, "resume", 0);
    tl_store_resume *rec = NULL;
    if ((e = tl_store_resume_get(r->srv->store, id, 0, &rec)) != TL_OK)
        return store_failed(r, e, "resume", id);
    tl__set_header(r, MHD_HTTP_HEADER_LOCATION, "/api/v1/resumes/%lld", (long long)id);
    rc = reply_version(r, 201, rec);
    tl_store_resume_free(rec);
    return rc;
}

static enum MHD_Result get_version(tl_req *r, int version)
{
    int64_t id = tl__param_id(r, 0);
    tl_store_resume *rec = NULL;
    tl_err e = tl_store_resume_get(r->srv->store, id, version, &rec);
    if (e == TL_ENOTFOUND && version > 0 &&
        tl_store_resume_get(r->srv->store, id, 0, &rec) == TL_OK) {
        tl_store_resume_free(rec);
        return tl__reply_error(r, 404, "not_found", "resume %lld has no version %d", (long long)id,
                               version);
    }
    if (e)
        return store_failed(r, e, "resume", id);
    enum MHD_Result rc = reply_version(r, 200, rec);
    tl_store_resume_free(rec);
    return rc;
}

enum MHD_Result tl__h_resume_get(tl_req *r)
{
    return get_version(r, 0);
}

enum MHD_Result tl__h_resume_version(tl_req *r)
{
    int64_t v = tl__param_id(r, 1);
    if (v <= 0 || v > 1000000)
        return tl__reply_error(r, 404, "not_found", "versions are numbered from 1");
    return get_version(r, (int)v);
}

enum MHD_Result tl__h_resume_versions(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    tl_store_versions *vs = NULL;
    tl_err e = tl_store_resume_versions(r->srv->store, id, &vs);
    if (e)
        return store_failed(r, e, "resume", id);
    json_t *list = json_array();
    for (size_t i = 0; i < vs->n; i++) {
        const tl_store_version_info *v = &vs->items[i];
        json_array_append_new(list,
                              json_pack("{si ss ss ss sI sI si}", "version", v->version, "format",
                                        v->format, "created_at", v->created_at ? v->created_at : "",
                                        "origin", v->job_id ? "customization" : "upload", "job_id",
                                        (json_int_t)v->job_id, "job_description_id",
                                        (json_int_t)v->jd_id, "parent_version", v->parent_version));
    }
    int latest = vs->n ? vs->items[vs->n - 1].version : 0;
    tl_store_versions_free(vs);
    return tl__reply_json(
        r, 200,
        json_pack("{sI si so}", "id", (json_int_t)id, "latest_version", latest, "versions", list));
}

/* ?against=W, or the version v was tailored from, or v - 1. */
static int against_version(tl_req *r, const tl_store_resume *rec, bool *bad)
{
    const char *w = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "against");
    int64_t v = 0;
    *bad = false;
    if (w) {
        *bad = !tl_parse_id(w, &v) || v > 1000000;
        return (int)v;
    }
    return rec->parent_version ? rec->parent_version : rec->version - 1;
}

static json_t *load_json(const char *text)
{
    return json_loads(text, 0, NULL);
}

enum MHD_Result tl__h_resume_diff(tl_req *r)
{
    int64_t id = tl__param_id(r, 0), v = tl__param_id(r, 1);
    tl_store_resume *newer = NULL, *older = NULL;
    tl_err e = v > 0 && v <= 1000000 ? tl_store_resume_get(r->srv->store, id, (int)v, &newer)
                                     : TL_ENOTFOUND;
    if (e)
        return store_failed(r, e, "resume version of", id);
    bool bad = false;
    int w = against_version(r, newer, &bad);
    enum MHD_Result rc;
    if (bad || w < 1) {
        rc = tl__reply_error(r, 422, "invalid_value",
                             bad ? "against must be a version number"
                                 : "version 1 has no earlier version; give ?against=N");
    } else if ((e = tl_store_resume_get(r->srv->store, id, w, &older)) != TL_OK) {
        rc = e == TL_ENOTFOUND ? tl__reply_error(r, 404, "not_found",
                                                 "resume %lld has no version %d", (long long)id, w)
                               : store_failed(r, e, "resume", id);
    } else {
        json_t *a = load_json(older->json), *b = load_json(newer->json);
        json_t *d = a && b ? tl_resume_diff(a, b) : NULL;
        json_decref(a);
        json_decref(b);
        if (d) {
            json_object_set_new(d, "id", json_integer(id));
            json_object_set_new(d, "version", json_integer(v));
            json_object_set_new(d, "against", json_integer(w));
        }
        rc = d ? tl__reply_json(r, 200, d)
               : tl__reply_error(r, 500, "internal", "cannot compare the versions");
    }
    tl_store_resume_free(newer);
    tl_store_resume_free(older);
    return rc;
}

/* 409 while a queued or running job uses it. */
static bool in_use(tl_req *r, int64_t resume_id, int64_t jd_id, enum MHD_Result *rc)
{
    int n = 0;
    if (tl_store_jobs_active_for(r->srv->store, resume_id, jd_id, &n) != TL_OK || n == 0)
        return false;
    *rc = tl__reply_error(r, 409, "in_use", "%d unfinished customization job%s use%s it", n,
                          n == 1 ? "" : "s", n == 1 ? "s" : "");
    return true;
}

enum MHD_Result tl__h_resume_delete(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    enum MHD_Result rc;
    if (id && in_use(r, id, 0, &rc))
        return rc;
    tl_err e = tl_store_resume_delete(r->srv->store, id);
    return e ? store_failed(r, e, "resume", id) : tl__reply_empty(r, 204);
}

/* ---- job descriptions ---- */

static json_t *string_list(char **items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

/* What the analysis of a job found, as stored and answered. */
static json_t *jd_analysis(const tl_job *j)
{
    json_t *kws = json_array();
    for (size_t i = 0; i < j->n_keywords; i++) {
        const tl_keyword *k = &j->keywords[i];
        json_array_append_new(kws, json_pack("{ss ss sf si ss sb}", "term", k->term, "surface",
                                             k->surface ? k->surface : k->term, "weight", k->weight,
                                             "count", k->count, "part", tl_jd_part_name(k->part),
                                             "dictionary", k->term_id >= 0));
    }
    char fp[17];
    tl_hash_hex(j->fingerprint, fp);
    return json_pack("{s:s? s:s? s:o s:o s:o s:o s:s}", "title", j->title, "company", j->company,
                     "keywords", kws, "requirements",
                     string_list(j->requirements, j->n_requirements), "responsibilities",
                     string_list(j->responsibilities, j->n_responsibilities), "nice_to_have",
                     string_list(j->nice_to_have, j->n_nice_to_have), "fingerprint", fp);
}

static enum MHD_Result jd_store(tl_req *r, json_t *body, const tl_job *job)
{
    const char *title = NULL, *company = NULL;
    enum MHD_Result rc;
    if (!tl__opt_string(r, body, "title", &title, &rc) ||
        !tl__opt_string(r, body, "company", &company, &rc))
        return rc;
    json_t *analysis = jd_analysis(job);
    char *analysis_json = analysis ? json_dumps(analysis, JSON_COMPACT) : NULL;
    tl_store_jd_in in = {.title = title ? title : job->title,
                         .company = company ? company : job->company,
                         .text = job->text,
                         .analysis_json = analysis_json};
    int64_t id = 0;
    tl_err e = analysis_json ? tl_store_jd_add(r->srv->store, &in, &id) : TL_ENOMEM;
    free(analysis_json);
    if (e) {
        json_decref(analysis);
        return store_failed(r, e, "job description", 0);
    }
    tl__set_header(r, MHD_HTTP_HEADER_LOCATION, "/api/v1/job-descriptions/%lld", (long long)id);
    return tl__reply_json(r, 201,
                          json_pack("{sI s:s? s:s? so}", "id", (json_int_t)id, "title", in.title,
                                    "company", in.company, "analysis", analysis));
}

enum MHD_Result tl__h_jd_create(tl_req *r)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    json_t *text = json_object_get(body, "text");
    if (!text) {
        json_decref(body);
        return tl__reply_error(r, 400, "missing_field", "text is required");
    }
    tl_job *job = NULL;
    if (tl__job_from_value(r, text, &job, &rc))
        rc = jd_store(r, body, job);
    tl_job_free(job);
    json_decref(body);
    return rc;
}

enum MHD_Result tl__h_jd_get(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    tl_store_jd *rec = NULL;
    tl_err e = tl_store_jd_get(r->srv->store, id, &rec);
    if (e)
        return store_failed(r, e, "job description", id);
    json_t *analysis = json_loads(rec->analysis_json, 0, NULL);
    json_t *doc = json_pack("{sI s:s? s:s? ss ss so*}", "id", (json_int_t)id, "title", rec->title,
                            "company", rec->company, "text", rec->text, "created_at",
                            rec->created_at ? rec->created_at : "", "analysis", analysis);
    tl_store_jd_free(rec);
    return tl__reply_json(r, 200, doc);
}

enum MHD_Result tl__h_jd_delete(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    enum MHD_Result rc;
    if (id && in_use(r, 0, id, &rc))
        return rc;
    tl_err e = tl_store_jd_delete(r->srv->store, id);
    return e ? store_failed(r, e, "job description", id) : tl__reply_empty(r, 204);
}

/* ---- the match report ---- */

/* The report of r against j with its suggestions, or NULL (*e says why). */
static json_t *match_report(const tl_resume *r, const tl_job *j, const tl_terms *t, tl_err *e)
{
    tl_matcher *m = NULL;
    tl_score *sc = NULL;
    tl_advices *adv = NULL;
    json_t *doc = NULL;
    *e = tl_matcher_create(j, t, &m);
    if (*e == TL_OK)
        *e = tl_score_compute_with(r, m, &sc);
    if (*e == TL_OK)
        *e = tl_advise(r, m, sc, &adv);
    if (*e == TL_OK) {
        doc = tl_score_to_json(sc);
        json_t *sugg = tl_advices_to_json(adv);
        /* set_new takes sugg, also when it fails. */
        if (!doc || json_object_set_new(doc, "suggestions", sugg) != 0) {
            json_decref(doc);
            if (!doc)
                json_decref(sugg);
            doc = NULL;
            *e = TL_ENOMEM;
        }
    }
    tl_advices_free(adv);
    tl_score_free(sc);
    tl_matcher_free(m);
    return doc;
}

enum MHD_Result tl__h_ats_analyze(tl_req *r)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    tl_resume_ref rr;
    tl_jd_ref jr = {0};
    bool ok = tl__resolve_resume(r, body, &rr, &rc) && tl__resolve_jd(r, body, &jr, &rc);
    json_decref(body);
    if (ok) {
        tl_err e = TL_OK;
        json_t *doc = match_report(rr.resume, jr.jd, r->srv->terms, &e);
        if (doc) {
            if (rr.id)
                json_object_set_new(doc, "resume_id", json_integer(rr.id));
            if (jr.id)
                json_object_set_new(doc, "job_description_id", json_integer(jr.id));
            rc = tl__reply_json(r, 200, doc);
        } else {
            rc = tl__reply_error(r, 500, "internal", "scoring failed: %s", tl_strerror(e));
        }
    }
    tl_resume_free(rr.resume);
    tl_job_free(jr.jd);
    return rc;
}
