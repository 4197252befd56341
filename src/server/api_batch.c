/* POST /api/v1/enhance-customize/batch: one resume, many job descriptions,
 * one job each; and POST /api/v1/enhance-customize/{job_id}/sections/
 * {section_id}/revert: a new version that keeps one part as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

enum { MAX_BATCH = 100 };

/* ---- batch ---- */

typedef struct batch_jds {
    tl_job *jd[MAX_BATCH];
    int64_t id[MAX_BATCH];
    size_t n;
} batch_jds;

static void batch_jds_free(batch_jds *b)
{
    for (size_t i = 0; i < b->n; i++)
        tl_job_free(b->jd[i]);
    b->n = 0;
}

/* job_description_ids (stored) then job_descriptions (inline), 1 to 100. */
static bool read_jds(tl_req *r, json_t *body, batch_jds *b, enum MHD_Result *rc)
{
    json_t *ids = json_object_get(body, "job_description_ids");
    json_t *texts = json_object_get(body, "job_descriptions");
    if ((ids && !json_is_array(ids)) || (texts && !json_is_array(texts))) {
        *rc = tl__reply_error(r, 400, "invalid_field",
                              "job_description_ids and job_descriptions must be arrays");
        return false;
    }
    size_t n = json_array_size(ids) + json_array_size(texts);
    if (n == 0 || n > MAX_BATCH) {
        *rc = n ? tl__reply_error(r, 422, "too_many", "a batch has at most %d job descriptions",
                                  MAX_BATCH)
                : tl__reply_error(r, 400, "missing_field",
                                  "job_description_ids or job_descriptions is required");
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            *rc = tl__reply_error(r, 400, "invalid_field",
                                  "job_description_ids[%zu] must be a positive integer", i);
            return false;
        }
        if (!tl__jd_from_id(r, json_integer_value(v), &b->jd[b->n], rc))
            return false;
        b->id[b->n++] = json_integer_value(v);
    }
    json_array_foreach(texts, i, v)
    {
        if (!tl__job_from_value(r, v, &b->jd[b->n], rc))
            return false;
        b->id[b->n++] = 0;
    }
    return true;
}

/* Every job's outcome, in the order of the request. */
static json_t *batch_results(tl_req *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_batch && list; i++) {
        tl_sjob *j = r->batch[i];
        tl_sjob_state st = tl_sjob_state_of(j);
        json_t *item = json_pack("{sI ss}", "job_id", (json_int_t)tl_sjob_id(j), "status",
                                 tl_sjob_state_name(st));
        if (item && st == TL_SJOB_DONE)
            json_object_set_new(item, "result", json_loads(tl_sjob_result(j), 0, NULL));
        else if (item && tl_sjob_error_code(j))
            json_object_set_new(item, "error",
                                json_pack("{ss ss}", "code", tl_sjob_error_code(j), "message",
                                          tl_sjob_error_message(j)));
        json_array_append_new(list, item);
    }
    return list;
}

/* Called again each time the connection is resumed, until all have ended. */
static enum MHD_Result batch_wait(tl_req *r)
{
    for (size_t i = 0; i < r->n_batch; i++)
        if (!tl__wait_job(r, r->batch[i]))
            return MHD_YES; /* suspended until that job ends */
    return tl__reply_json(
        r, 200, json_pack("{sI so}", "count", (json_int_t)r->n_batch, "results", batch_results(r)));
}

static enum MHD_Result batch_accepted(tl_req *r)
{
    json_t *jobs = json_array();
    for (size_t i = 0; i < r->n_batch; i++) {
        long long id = (long long)tl_sjob_id(r->batch[i]);
        char self[96], events[112];
        snprintf(self, sizeof self, "/api/v1/enhance-customize/%lld", id);
        snprintf(events, sizeof events, "%s/events", self);
        json_array_append_new(jobs, json_pack("{sI s{ss ss}}", "job_id", (json_int_t)id, "links",
                                              "self", self, "events", events));
    }
    return tl__reply_json(r, 202,
                          json_pack("{sI so}", "count", (json_int_t)r->n_batch, "jobs", jobs));
}

/* One job per job description; each gets its own copy of the resume. */
static tl_err submit_all(tl_req *r, tl_customize_req *c, batch_jds *b)
{
    r->batch = calloc(b->n, sizeof *r->batch);
    if (!r->batch)
        return TL_ENOMEM;
    tl_err e = TL_OK;
    for (size_t i = 0; i < b->n && e == TL_OK; i++) {
        tl_customize_req one = *c;
        one.resume.resume = NULL;
        e = i + 1 == b->n ? TL_OK : tl_resume_clone(c->resume.resume, &one.resume.resume);
        if (e)
            break;
        if (i + 1 == b->n) {
            one.resume.resume = c->resume.resume;
            c->resume.resume = NULL;
        }
        one.jd.jd = b->jd[i];
        one.jd.id = b->id[i];
        e = tl__submit_customize(r->srv, &one, &r->batch[r->n_batch]);
        if (e == TL_OK) {
            r->n_batch++;
            b->jd[i] = NULL; /* the queue has it */
        }
        tl_resume_free(one.resume.resume);
    }
    return e;
}

enum MHD_Result tl__h_batch(tl_req *r)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    tl_customize_req c = {0};
    batch_jds b = {0};
    bool ok = tl__customize_options(r, body, &c, &rc) && read_jds(r, body, &b, &rc) &&
              tl__resolve_resume(r, body, &c.resume, &rc);
    json_decref(body);
    if (ok) {
        tl_err e = submit_all(r, &c, &b);
        if (e)
            rc = tl__reply_error(
                r, e == TL_EINVAL ? 503 : 500, e == TL_EINVAL ? "draining" : "internal",
                "%zu of %zu jobs were queued: %s", r->n_batch, b.n, tl_strerror(e));
        else if (c.async)
            rc = batch_accepted(r);
        else {
            r->cont = batch_wait;
            rc = batch_wait(r);
        }
    }
    tl_resume_free(c.resume.resume);
    batch_jds_free(&b);
    return rc;
}

/* ---- revert ---- */

enum { MAX_STEPS = 16 };

/* One step of a resume id: a key, or an index into an array. */
typedef struct step {
    char key[TL_ROUTE_PARAM_MAX];
    long index; /* -1 for a key */
} step;

/* Splits "work[1].highlights[0]" into work, 1, highlights, 0. */
static int parse_path(const char *id, step *out)
{
    int n = 0;
    const char *p = id;
    while (*p && n < MAX_STEPS) {
        if (*p == '[') {
            char *end = NULL;
            long v = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || v < 0)
                return -1;
            out[n].key[0] = '\0';
            out[n++].index = v;
            p = end + 1;
            if (*p == '.')
                p++;
            continue;
        }
        size_t len = strcspn(p, ".[");
        if (len == 0 || len >= sizeof out[n].key)
            return -1;
        memcpy(out[n].key, p, len);
        out[n].key[len] = '\0';
        out[n++].index = -1;
        p += len;
        if (*p == '.')
            p++;
    }
    return *p ? -1 : n;
}

static json_t *step_get(json_t *v, const step *s)
{
    return s->index < 0 ? json_object_get(v, s->key) : json_array_get(v, (size_t)s->index);
}

static json_t *path_get(json_t *doc, const step *steps, int n)
{
    for (int i = 0; i < n && doc; i++)
        doc = step_get(doc, &steps[i]);
    return doc;
}

/* Puts value (NULL: removes) at the path in doc; false when the place does
 * not exist. */
static bool path_set(json_t *doc, const step *steps, int n, json_t *value)
{
    json_t *parent = path_get(doc, steps, n - 1);
    const step *last = &steps[n - 1];
    if (last->index < 0) {
        if (!json_is_object(parent))
            return false;
        return value ? json_object_set(parent, last->key, value) == 0
                     : json_object_del(parent, last->key) == 0;
    }
    if (!json_is_array(parent))
        return false;
    size_t i = (size_t)last->index, size = json_array_size(parent);
    if (!value)
        return json_array_remove(parent, i) == 0;
    if (i < size)
        return json_array_set(parent, i, value) == 0;
    return i == size && json_array_append(parent, value) == 0;
}

/* The newest version the job made: its customization, or a revert since,
 * so that reverts of several parts add up. */
static int newest_of_job(tl_store *st, const tl_store_job *job)
{
    int v = job->new_version;
    tl_store_versions *vs = NULL;
    if (tl_store_resume_versions(st, job->resume_id, &vs) != TL_OK)
        return v;
    for (size_t i = 0; i < vs->n; i++)
        if (vs->items[i].job_id == job->id && vs->items[i].version > v)
            v = vs->items[i].version;
    tl_store_versions_free(vs);
    return v;
}

/* Loads the version the job customized and the newest one it made, and
 * puts the original part back into a copy of the latter. */
static enum MHD_Result revert_in(tl_req *r, const tl_store_job *job, const step *steps, int n,
                                 const char *section)
{
    tl_store_resume *orig = NULL, *tailored = NULL;
    tl_store *st = r->srv->store;
    enum MHD_Result rc;
    if (tl_store_resume_get(st, job->resume_id, job->resume_version, &orig) != TL_OK ||
        tl_store_resume_get(st, job->resume_id, newest_of_job(st, job), &tailored) != TL_OK) {
        rc = tl__reply_error(r, 404, "not_found", "the job's resume versions are gone");
        goto out;
    }
    json_t *a = json_loads(orig->json, 0, NULL), *b = json_loads(tailored->json, 0, NULL);
    json_t *before = path_get(a, steps, n);
    if (!a || !b || (!before && !path_get(b, steps, n)) || !path_set(b, steps, n, before)) {
        rc = tl__reply_error(r, 404, "not_found", "no part '%s' to revert", section);
    } else {
        char *text = json_dumps(b, JSON_COMPACT);
        tl_store_resume_in in = {.format = tailored->format,
                                 .json = text,
                                 .job_id = job->id,
                                 .jd_id = job->jd_id,
                                 .parent_version = tailored->version};
        int version = 0;
        tl_err e =
            text ? tl_store_resume_add_version(st, job->resume_id, &in, &version) : TL_ENOMEM;
        free(text);
        tl__set_header(r, MHD_HTTP_HEADER_LOCATION, "/api/v1/resumes/%lld/versions/%d",
                       (long long)job->resume_id, version);
        rc = e ? tl__reply_error(r, 500, "storage_error", "cannot store the new version")
               : tl__reply_json(r, 201,
                                json_pack("{sI si si ss}", "id", (json_int_t)job->resume_id,
                                          "version", version, "parent_version", tailored->version,
                                          "reverted", section));
    }
    json_decref(a);
    json_decref(b);
out:
    tl_store_resume_free(orig);
    tl_store_resume_free(tailored);
    return rc;
}

enum MHD_Result tl__h_revert(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    const char *section = r->params.v[1];
    step steps[MAX_STEPS];
    int n = parse_path(section, steps);
    if (n <= 0)
        return tl__reply_error(r, 422, "invalid_value",
                               "'%s' is not a resume id (work, work[1], basics.summary, ...)",
                               section);
    tl_store_job *job = NULL;
    tl_err e = id ? tl_store_job_get(r->srv->store, id, &job) : TL_ENOTFOUND;
    if (e)
        return e == TL_ENOTFOUND
                   ? tl__reply_error(r, 404, "not_found", "no job %lld", (long long)id)
                   : tl__reply_error(r, 500, "storage_error", "cannot read the job");
    enum MHD_Result rc;
    if (strcmp(job->status, "done") != 0)
        rc = tl__reply_error(r, 409, "not_done", "job %lld is %s", (long long)id, job->status);
    else if (job->resume_id == 0 || job->new_version == 0)
        rc = tl__reply_error(r, 409, "not_stored",
                             "job %lld customized an inline resume; there is no version to change",
                             (long long)id);
    else
        rc = revert_in(r, job, steps, n, section);
    tl_store_job_free(job);
    return rc;
}
