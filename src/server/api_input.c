/* Turning request values into documents: a resume given inline or by id,
 * a job description given inline or by id. Each failure is answered here,
 * with the status that fits it. */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "util/str.h"

/* {"format": "...", "content": "..."} */
static bool is_wrapper(json_t *v)
{
    return json_is_object(v) && json_object_get(v, "content") != NULL;
}

static bool wrapper_format(tl_req *r, json_t *v, tl_format *fmt, enum MHD_Result *rc)
{
    json_t *f = json_object_get(v, "format");
    *fmt = TL_FORMAT_AUTO;
    if (!f || json_is_null(f))
        return true;
    if (!json_is_string(f)) {
        *rc = tl__reply_error(r, 400, "invalid_field", "format must be a string");
        return false;
    }
    const char *name = json_string_value(f);
    if (tl_str_ieq(name, "auto")) {
        *fmt = TL_FORMAT_AUTO;
        return true;
    }
    if (tl_format_parse(name, fmt) != TL_OK || *fmt == TL_FORMAT_HTML) {
        *rc = tl__reply_error(r, 422, "invalid_format",
                              "format must be json, markdown or text, not '%s'", name);
        return false;
    }
    return true;
}

bool tl__resume_from_value(tl_req *r, json_t *v, tl_resume **out, char **source,
                           enum MHD_Result *rc)
{
    if (!json_is_object(v)) {
        *rc = tl__reply_error(r, 400, "invalid_field",
                              "resume must be a JSON Resume object or {format, content}");
        return false;
    }
    char *text = NULL;
    size_t len = 0;
    tl_format fmt = TL_FORMAT_JSON;
    if (is_wrapper(v)) {
        json_t *c = json_object_get(v, "content");
        if (!json_is_string(c)) {
            *rc = tl__reply_error(r, 400, "invalid_field", "content must be a string");
            return false;
        }
        if (!wrapper_format(r, v, &fmt, rc))
            return false;
        len = json_string_length(c);
        text = malloc(len + 1);
        if (text)
            memcpy(text, json_string_value(c), len + 1);
    } else {
        text = json_dumps(v, JSON_COMPACT);
        len = text ? strlen(text) : 0;
    }
    if (!text) {
        *rc = tl__reply_error(r, 503, "out_of_memory", "out of memory");
        return false;
    }
    tl_doc_error err = {0};
    tl_err e = tl_resume_parse(text, len, fmt, out, &err);
    if (e) {
        free(text);
        *rc = tl__reply_doc_error(r, e, &err, "resume");
        return false;
    }
    if (source)
        *source = text;
    else
        free(text);
    return true;
}

bool tl__job_from_value(tl_req *r, json_t *v, tl_job **out, enum MHD_Result *rc)
{
    json_t *t = json_is_object(v) ? json_object_get(v, "text") : v;
    if (!json_is_string(t)) {
        *rc = tl__reply_error(r, 400, "invalid_field",
                              "job_description must be a string or {\"text\": \"...\"}");
        return false;
    }
    tl_doc_error err = {0};
    tl_err e = tl_job_parse(json_string_value(t), json_string_length(t), r->srv->terms, out, &err);
    if (e) {
        *rc = tl__reply_doc_error(r, e, &err, "job description");
        return false;
    }
    return true;
}

/* An optional positive integer field: 0 when absent; false (answered) when
 * present but not a positive integer. */
static bool opt_id(tl_req *r, json_t *body, const char *key, int64_t *out, enum MHD_Result *rc)
{
    json_t *v = json_object_get(body, key);
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        *rc = tl__reply_error(r, 400, "invalid_field", "%s must be a positive integer", key);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

static bool resume_from_store(tl_req *r, tl_resume_ref *ref, enum MHD_Result *rc)
{
    tl_store_resume *rec = NULL;
    tl_err e = tl_store_resume_get(r->srv->store, ref->id, ref->version, &rec);
    if (e == TL_ENOTFOUND) {
        *rc = ref->version
                  ? tl__reply_error(r, 404, "not_found", "resume %lld has no version %d",
                                    (long long)ref->id, ref->version)
                  : tl__reply_error(r, 404, "not_found", "no resume %lld", (long long)ref->id);
        return false;
    }
    if (e) {
        *rc = tl__reply_error(r, 500, "storage_error", "cannot read the resume");
        return false;
    }
    tl_doc_error err = {0};
    e = tl_resume_parse(rec->json, strlen(rec->json), TL_FORMAT_JSON, &ref->resume, &err);
    if (e == TL_OK) {
        tl_format orig;
        /* Answer in the format it was uploaded in, as for an inline one. */
        if (tl_format_parse(rec->format, &orig) == TL_OK)
            ref->resume->format = orig;
        ref->version = rec->version;
    }
    tl_store_resume_free(rec);
    if (e) {
        *rc = tl__reply_doc_error(r, e, &err, "stored resume");
        return false;
    }
    return true;
}

bool tl__resolve_resume(tl_req *r, json_t *body, tl_resume_ref *out, enum MHD_Result *rc)
{
    memset(out, 0, sizeof *out);
    int64_t version = 0;
    if (!opt_id(r, body, "resume_id", &out->id, rc) ||
        !opt_id(r, body, "resume_version", &version, rc))
        return false;
    json_t *inline_v = json_object_get(body, "resume");
    if (out->id && inline_v) {
        *rc = tl__reply_error(r, 400, "invalid_field", "give resume_id or resume, not both");
        return false;
    }
    if (out->id) {
        out->version = version > 1000000 ? 1000000 : (int)version;
        return resume_from_store(r, out, rc);
    }
    if (!inline_v) {
        *rc = tl__reply_error(r, 400, "missing_field", "resume_id or resume is required");
        return false;
    }
    return tl__resume_from_value(r, inline_v, &out->resume, NULL, rc);
}

bool tl__resolve_jd(tl_req *r, json_t *body, tl_jd_ref *out, enum MHD_Result *rc)
{
    memset(out, 0, sizeof *out);
    if (!opt_id(r, body, "job_description_id", &out->id, rc))
        return false;
    json_t *inline_v = json_object_get(body, "job_description");
    if (out->id && inline_v) {
        *rc = tl__reply_error(r, 400, "invalid_field",
                              "give job_description_id or job_description, not both");
        return false;
    }
    if (!out->id) {
        if (!inline_v) {
            *rc = tl__reply_error(r, 400, "missing_field",
                                  "job_description_id or job_description is required");
            return false;
        }
        return tl__job_from_value(r, inline_v, &out->jd, rc);
    }
    return tl__jd_from_id(r, out->id, &out->jd, rc);
}

bool tl__jd_from_id(tl_req *r, int64_t id, tl_job **out, enum MHD_Result *rc)
{
    tl_store_jd *rec = NULL;
    tl_err e = tl_store_jd_get(r->srv->store, id, &rec);
    if (e) {
        *rc = e == TL_ENOTFOUND
                  ? tl__reply_error(r, 404, "not_found", "no job description %lld", (long long)id)
                  : tl__reply_error(r, 500, "storage_error", "cannot read the job description");
        return false;
    }
    tl_doc_error err = {0};
    e = tl_job_parse(rec->text, strlen(rec->text), r->srv->terms, out, &err);
    tl_store_jd_free(rec);
    if (e) {
        *rc = tl__reply_doc_error(r, e, &err, "stored job description");
        return false;
    }
    return true;
}
