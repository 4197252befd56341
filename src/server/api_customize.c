/* /api/v1/enhance-customize: run a customization (waiting for it, or 202
 * and a job id), read a job, cancel it, stream its events; and, at start,
 * run again the jobs an earlier process left unfinished. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "util/log.h"

/* ---- the request ---- */

static bool parse_strength(tl_req *r, json_t *body, tl_strength *out, enum MHD_Result *rc)
{
    json_t *v = json_object_get(body, "customization_strength");
    *out = TL_STRENGTH_BALANCED;
    if (!v || json_is_null(v))
        return true;
    bool ok = false;
    if (json_is_string(v))
        ok = tl_strength_parse(json_string_value(v), out) == TL_OK;
    else if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 3) {
        *out = (tl_strength)json_integer_value(v);
        ok = true;
    }
    if (!ok)
        *rc = tl__reply_error(r, 422, "invalid_strength",
                              "customization_strength must be CONSERVATIVE, BALANCED, "
                              "EXTENSIVE, or 1, 2, 3");
    return ok;
}

/* Resolves one provider name against the server's providers; "local"
 * (the embedded engine) ends the chain. */
static bool add_provider(tl_req *r, tl_provider **chain, size_t *n_chain, const char *name,
                         size_t n, bool *local, enum MHD_Result *rc)
{
    if (n == 0)
        return true;
    if (*local) {
        *rc = tl__reply_error(r, 422, "invalid_provider",
                              "provider: '%.*s' comes after local, which always answers",
                              (int)(n > 64 ? 64 : n), name);
        return false;
    }
    if (n == 5 && memcmp(name, "local", 5) == 0) {
        *local = true;
        return true;
    }
    const tl_server *s = r->srv;
    for (size_t i = 0; i < s->o.n_providers; i++) {
        const char *pn = s->o.providers[i]->name;
        if (strlen(pn) != n || memcmp(pn, name, n) != 0)
            continue;
        for (size_t k = 0; k < *n_chain; k++)
            if (chain[k] == s->o.providers[i]) {
                *rc = tl__reply_error(r, 422, "invalid_provider", "provider: '%s' is named twice",
                                      pn);
                return false;
            }
        chain[(*n_chain)++] = s->o.providers[i];
        return true;
    }
    *rc = tl__reply_error(r, 422, "unknown_provider",
                          "provider: '%.*s' is not configured on this server (see /health)",
                          (int)(n > 64 ? 64 : n), name);
    return false;
}

bool tl__parse_chain(tl_req *r, json_t *body, tl_provider **chain, size_t *n_chain,
                     enum MHD_Result *rc)
{
    json_t *v = json_object_get(body, "provider");
    *n_chain = 0;
    const tl_server *s = r->srv;
    if (!v || json_is_null(v)) {
        for (size_t i = 0; i < s->o.n_providers && i < TL_ENGINE_MAX_CHAIN; i++)
            chain[(*n_chain)++] = s->o.providers[i];
        return true;
    }
    bool local = false;
    if (json_is_string(v)) {
        const char *p = json_string_value(v);
        while (*p) {
            size_t n = strcspn(p, ",");
            const char *item = p;
            size_t len = n;
            while (len && (*item == ' ' || *item == '\t')) {
                item++;
                len--;
            }
            while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
                len--;
            if (!add_provider(r, chain, n_chain, item, len, &local, rc))
                return false;
            p += n + (p[n] == ',');
        }
        return true;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it)
        {
            if (!json_is_string(it)) {
                *rc = tl__reply_error(r, 400, "invalid_field",
                                      "provider must be a string or an array of strings");
                return false;
            }
            if (!add_provider(r, chain, n_chain, json_string_value(it), json_string_length(it),
                              &local, rc))
                return false;
        }
        return true;
    }
    *rc = tl__reply_error(r, 400, "invalid_field",
                          "provider must be a string (\"openai,local\") or an array of strings");
    return false;
}

/* priority (an integer, -1000..1000) and deadline_ms (milliseconds from
 * now, > 0). */
static bool parse_scheduling(tl_req *r, json_t *body, tl_customize_req *c, enum MHD_Result *rc)
{
    json_t *p = json_object_get(body, "priority");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p) || json_integer_value(p) < -1000 || json_integer_value(p) > 1000) {
            *rc = tl__reply_error(r, 422, "invalid_priority",
                                  "priority must be an integer from -1000 to 1000");
            return false;
        }
        c->priority = (int32_t)json_integer_value(p);
    }
    json_t *d = json_object_get(body, "deadline_ms");
    if (d && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) <= 0 || json_integer_value(d) > 86400000) {
            *rc = tl__reply_error(r, 422, "invalid_deadline",
                                  "deadline_ms must be a positive number of milliseconds "
                                  "(at most one day)");
            return false;
        }
        c->deadline_ms = json_integer_value(d);
    }
    return true;
}

/* sections: ["work", "skills", "basics.summary", "projects[0]"]. */
static bool parse_sections(tl_req *r, json_t *body, tl_customize_req *c, enum MHD_Result *rc)
{
    json_t *v = json_object_get(body, "sections");
    c->sections[0] = '\0';
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        *rc = tl__reply_error(r, 400, "invalid_field",
                              "sections must be a non-empty array of section ids");
        return false;
    }
    size_t used = 0, i;
    json_t *it;
    json_array_foreach(v, i, it)
    {
        const char *id = json_string_value(it);
        size_t n = id ? strlen(id) : 0;
        if (!id || n == 0 || strchr(id, ',')) {
            *rc = tl__reply_error(r, 422, "invalid_sections",
                                  "sections: each item is a section id such as \"work\", "
                                  "\"skills\" or \"work[0]\"");
            return false;
        }
        if (used + n + 2 > sizeof c->sections) {
            *rc = tl__reply_error(r, 422, "invalid_sections", "sections: too many items");
            return false;
        }
        used += (size_t)snprintf(c->sections + used, sizeof c->sections - used, "%s%s",
                                 used ? "," : "", id);
    }
    return true;
}

bool tl__customize_options(tl_req *r, json_t *body, tl_customize_req *c, enum MHD_Result *rc)
{
    if (!tl__parse_chain(r, body, c->chain, &c->n_chain, rc) || !parse_scheduling(r, body, c, rc) ||
        !parse_sections(r, body, c, rc))
        return false;
    json_t *a = json_object_get(body, "async");
    if (a && !json_is_boolean(a) && !json_is_null(a)) {
        *rc = tl__reply_error(r, 400, "invalid_field", "async must be true or false");
        return false;
    }
    c->async = json_is_true(a);
    json_t *f = json_object_get(body, "format");
    c->out_format = TL_FORMAT_AUTO;
    if (f && !json_is_null(f) &&
        (!json_is_string(f) || tl_format_parse(json_string_value(f), &c->out_format) != TL_OK)) {
        *rc = tl__reply_error(r, 422, "invalid_format",
                              "format must be json, markdown, text or html");
        return false;
    }
    return parse_strength(r, body, &c->strength, rc);
}

/* What a restarted server needs to run the job again, without the store's
 * resume or job description (either may be deleted or changed since). */
static char *request_record(const tl_customize_req *c)
{
    /* The chain by name ("openai,local"), for a restarted server. */
    char chain[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n_chain && used < sizeof chain; i++)
        used += (size_t)snprintf(chain + used, sizeof chain - used, "%s,", c->chain[i]->name);
    if (used < sizeof chain)
        snprintf(chain + used, sizeof chain - used, "local");
    char *resume_json = NULL;
    size_t len = 0;
    if (tl_resume_write(c->resume.resume, TL_FORMAT_JSON, &resume_json, &len) != TL_OK)
        return NULL;
    json_t *doc = json_pack(
        "{s:s% s:s s:s s:s s:s s:I s:i s:I}", "resume", resume_json, len, "resume_format",
        tl_format_name(c->resume.resume->format), "job_description", c->jd.jd->text, "strength",
        tl_strength_name(c->strength), "format", tl_format_name(c->out_format), "resume_id",
        (json_int_t)c->resume.id, "resume_version", c->resume.version, "job_description_id",
        (json_int_t)c->jd.id, "plan", c->plan);
    if (doc && (json_object_set_new(doc, "provider", json_string(chain)) != 0 ||
                json_object_set_new(doc, "priority", json_integer(c->priority)) != 0 ||
                json_object_set_new(doc, "deadline_ms", json_integer(c->deadline_ms)) != 0 ||
                json_object_set_new(doc, "compare", json_boolean(c->compare)) != 0 ||
                json_object_set_new(doc, "sections", json_string(c->sections)) != 0)) {
        json_decref(doc);
        doc = NULL;
    }
    free(resume_json);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* The queue's input for request c, as job id. */
static tl_job_input job_input(const tl_customize_req *c, int64_t id)
{
    tl_job_input in = {.id = id,
                       .resume = c->resume.resume,
                       .jd = c->jd.jd,
                       .strength = c->strength,
                       .out_format = c->out_format,
                       .resume_id = c->resume.id,
                       .resume_version = c->resume.version,
                       .jd_id = c->jd.id,
                       .plan = c->plan,
                       .n_chain = c->n_chain,
                       .priority = c->priority,
                       .compare = c->compare,
                       .sections = c->sections};
    memcpy(in.chain, c->chain, c->n_chain * sizeof c->chain[0]);
    if (c->deadline_ms > 0)
        in.deadline_ns =
            tl_clock_now(tl_clock_real()) + (uint64_t)c->deadline_ms * UINT64_C(1000000);
    return in;
}

tl_err tl__submit_customize(tl_server *s, tl_customize_req *c, tl_sjob **out)
{
    char *request = request_record(c);
    if (!request)
        return TL_ENOMEM;
    tl_store_job_in ji = {.resume_id = c->resume.id,
                          .resume_version = c->resume.version,
                          .jd_id = c->jd.id,
                          .strength = tl_strength_name(c->strength),
                          .request_json = request,
                          .owner = s->instance,
                          .lease_ms = s->lease_ms};
    int64_t id = 0;
    tl_err e = tl_store_job_add(s->store, &ji, &id);
    free(request);
    if (e)
        return e;
    tl_job_input in = job_input(c, id);
    e = tl_jobq_submit(s->jobs, &in, out);
    if (e == TL_OK) {
        c->resume.resume = NULL;
        c->jd.jd = NULL;
    } else {
        tl_store_job_end end = {.status = "failed",
                                .error_code = "not_queued",
                                .error_message = "the server could not queue the job"};
        if (tl_store_job_finish(s->store, id, &end) != TL_OK)
            tl_warn("msg=\"cannot record a job that was not queued\" job_id=%lld", (long long)id);
    }
    return e;
}

/* The answer to a request that waited for its job; called again each time
 * the connection is resumed, until the job has ended. */
bool tl__wait_job(tl_req *r, tl_sjob *j)
{
    if (r->watching && r->watching != j) {
        tl_sjob_unwatch(r->watching, &r->watch);
        r->watching = NULL;
    }
    bool ended = tl_sjob_wait(j, &r->watch, tl__park_conn, r->conn);
    if (!ended)
        r->watching = j;
    return ended;
}

static enum MHD_Result customize_wait(tl_req *r)
{
    if (!tl__wait_job(r, r->job))
        return MHD_YES; /* suspended until the job ends */
    switch (tl_sjob_state_of(r->job)) {
    case TL_SJOB_DONE: return tl__reply_json_text(r, 200, strdup(tl_sjob_result(r->job)));
    case TL_SJOB_FAILED:
        return tl__reply_error(r, 500, tl_sjob_error_code(r->job), "job %lld failed: %s",
                               (long long)tl_sjob_id(r->job), tl_sjob_error_message(r->job));
    case TL_SJOB_CANCELLED:
        return tl__reply_error(r, 409, "cancelled", "job %lld was cancelled",
                               (long long)tl_sjob_id(r->job));
    default:
        return tl__reply_error(r, 503, "shutting_down",
                               "the server stopped before job %lld ran; it will run at the "
                               "next start",
                               (long long)tl_sjob_id(r->job));
    }
}

static enum MHD_Result accepted(tl_req *r, int64_t id)
{
    tl__set_header(r, MHD_HTTP_HEADER_LOCATION, "/api/v1/enhance-customize/%lld", (long long)id);
    char self[96], events[112];
    snprintf(self, sizeof self, "/api/v1/enhance-customize/%lld", (long long)id);
    snprintf(events, sizeof events, "%s/events", self);
    return tl__reply_json(r, 202,
                          json_pack("{sI ss s{ss ss}}", "job_id", (json_int_t)id, "status",
                                    "queued", "links", "self", self, "events", events));
}

/* POST /enhance-customize, /enhance-customize/plan and
 * /enhance-customize/performance-comparison. */
static enum MHD_Result customize(tl_req *r, bool plan, bool compare)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    tl_customize_req c = {.plan = plan, .compare = compare};
    bool ok = tl__customize_options(r, body, &c, &rc) &&
              tl__resolve_resume(r, body, &c.resume, &rc) && tl__resolve_jd(r, body, &c.jd, &rc);
    json_decref(body);
    if (ok) {
        tl_sjob *job = NULL;
        tl_err e = tl__submit_customize(r->srv, &c, &job);
        if (e) {
            rc = e == TL_EINVAL ? tl__reply_error(r, 503, "draining", "the server is stopping")
                                : tl__reply_error(r, 500, "storage_error",
                                                  "cannot record the job: %s", tl_strerror(e));
        } else if (c.async) {
            rc = accepted(r, tl_sjob_id(job));
            tl_sjob_unref(job);
        } else {
            r->job = job; /* released when the request ends */
            r->cont = customize_wait;
            rc = customize_wait(r);
        }
    }
    tl_resume_free(c.resume.resume);
    tl_job_free(c.jd.jd);
    return rc;
}

enum MHD_Result tl__h_customize(tl_req *r)
{
    return customize(r, false, false);
}

enum MHD_Result tl__h_plan(tl_req *r)
{
    return customize(r, true, false);
}

/* The original and the enhanced processor on the same input and chain,
 * each on a fresh engine (cold cache); see jobs.h. */
enum MHD_Result tl__h_compare(tl_req *r)
{
    return customize(r, false, true);
}

/* ---- a job ---- */

static enum MHD_Result no_job(tl_req *r, tl_err e, int64_t id)
{
    if (e == TL_ENOTFOUND)
        return tl__reply_error(r, 404, "not_found", "no job %lld", (long long)id);
    return tl__reply_error(r, 500, "storage_error", "cannot read the job");
}

enum MHD_Result tl__h_job_get(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    tl_store_job *rec = NULL;
    tl_err e = tl_store_job_get(r->srv->store, id, &rec);
    if (e)
        return no_job(r, e, id);
    json_t *doc =
        json_pack("{sI ss ss ss ss}", "job_id", (json_int_t)id, "status", rec->status, "strength",
                  rec->strength, "created_at", rec->created_at, "updated_at", rec->updated_at);
    if (doc && rec->resume_id) {
        json_object_set_new(doc, "resume_id", json_integer(rec->resume_id));
        json_object_set_new(doc, "resume_version", json_integer(rec->resume_version));
    }
    if (doc && rec->jd_id)
        json_object_set_new(doc, "job_description_id", json_integer(rec->jd_id));
    if (doc && rec->new_version)
        json_object_set_new(doc, "version", json_integer(rec->new_version));
    if (doc && rec->result_json)
        json_object_set_new(doc, "result", json_loads(rec->result_json, 0, NULL));
    if (doc && rec->error_code)
        json_object_set_new(doc, "error",
                            json_pack("{ss ss}", "code", rec->error_code, "message",
                                      rec->error_message ? rec->error_message : ""));
    tl_store_job_free(rec);
    return tl__reply_json(r, 200, doc);
}

enum MHD_Result tl__h_job_cancel(tl_req *r)
{
    int64_t id = tl__param_id(r, 0);
    tl_err e = id ? tl_jobq_cancel(r->srv->jobs, id) : TL_ENOTFOUND;
    if (e == TL_OK)
        return tl__reply_json(
            r, 200, json_pack("{sI ss}", "job_id", (json_int_t)id, "status", "cancelled"));
    tl_store_job *rec = NULL;
    tl_err ge = tl_store_job_get(r->srv->store, id, &rec);
    if (ge)
        return no_job(r, ge, id);
    enum MHD_Result rc =
        tl__reply_error(r, 409, "not_cancellable", "job %lld cannot be cancelled: it is %s",
                        (long long)id, rec->status);
    tl_store_job_free(rec);
    return rc;
}

/* ---- Server-Sent Events ---- */

struct tl_sse {
    tl_req *req;  /* NULL once the request has ended */
    tl_sjob *job; /* a reference */
    tl_sse_cursor cursor;
    tl_watch watch;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    tl_sse *s = cls;
    size_t n = 0;
    switch (tl_sjob_read(s->job, &s->cursor, buf, max, &n, &s->watch, tl__park_conn, s->watch.ud)) {
    case TL_READ_DATA:
        if (s->req)
            s->req->bytes += n;
        return (ssize_t)n;
    case TL_READ_PARKED: return 0; /* suspended until the next event */
    case TL_READ_END: break;
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void sse_free(void *cls)
{
    tl_sse *s = cls;
    tl_sjob_unwatch(s->job, &s->watch);
    tl_sjob_unref(s->job);
    if (s->req)
        s->req->sse = NULL;
    free(s);
}

void tl__sse_detach(tl_req *r)
{
    if (r->sse)
        r->sse->req = NULL;
    r->sse = NULL;
}

/* The job from memory; else rebuilt from the store once it has ended;
 * else (another server runs it) followed through the store: *followed. */
static enum MHD_Result find_job(tl_req *r, int64_t id, tl_sjob **out, bool *followed)
{
    *followed = false;
    *out = id ? tl_jobq_find(r->srv->jobs, id) : NULL;
    if (*out)
        return MHD_YES;
    tl_store_job *rec = NULL;
    tl_err e = tl_store_job_get(r->srv->store, id, &rec);
    if (e)
        return no_job(r, e, id);
    e = tl_sjob_from_record(rec, out);
    if (e == TL_EINVAL) {
        e = tl__follow_job(r->srv->follow, rec, out);
        *followed = e == TL_OK;
    }
    tl_store_job_free(rec);
    if (e == TL_EINVAL)
        return tl__reply_error(r, 503, "draining", "the server is stopping");
    if (e)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    return MHD_YES;
}

static size_t last_event_id(tl_req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!h)
        h = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "last_event_id");
    if (!h || !*h)
        return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(h, &end, 10);
    return errno || *end || h[0] == '-' ? 0 : (size_t)v;
}

enum MHD_Result tl__h_job_events(tl_req *r)
{
    tl_sjob *job = NULL;
    bool followed = false;
    enum MHD_Result rc = find_job(r, tl__param_id(r, 0), &job, &followed);
    if (!job)
        return rc;
    tl_sse *s = calloc(1, sizeof *s);
    if (!s) {
        tl_sjob_unref(job);
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    }
    s->job = job;
    s->req = r;
    s->cursor.event = last_event_id(r);
    /* A followed job's stream is "accepted" (id 1) and its end (id 2): a
     * client that read further on the server running the job (its ids
     * count that server's progress events) gets the end. */
    if (followed && s->cursor.event > 1)
        s->cursor.event = 1;
    s->watch.wake = tl__wake_conn;
    s->watch.ud = r->conn;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
    if (!resp) {
        sse_free(s);
        return MHD_NO;
    }
    r->sse = s;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return tl__queue(r, 200, resp, 0);
}

/* ---- recovery ---- */

static const char *string_or(json_t *doc, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : dflt;
}

static tl_err rebuild(tl_server *s, const tl_store_job *rec, tl_customize_req *c)
{
    json_t *doc = json_loads(rec->request_json, 0, NULL);
    json_t *resume = json_object_get(doc, "resume");
    json_t *jd = json_object_get(doc, "job_description");
    tl_err e = TL_EFORMAT;
    if (json_is_string(resume) && json_is_string(jd)) {
        e = tl_resume_parse(json_string_value(resume), json_string_length(resume), TL_FORMAT_JSON,
                            &c->resume.resume, NULL);
        if (e == TL_OK)
            e = tl_job_parse(json_string_value(jd), json_string_length(jd), s->terms, &c->jd.jd,
                             NULL);
    }
    if (e == TL_OK) {
        tl_format f;
        if (tl_format_parse(string_or(doc, "resume_format", "json"), &f) == TL_OK)
            c->resume.resume->format = f;
        if (tl_format_parse(string_or(doc, "format", "auto"), &c->out_format) != TL_OK)
            c->out_format = TL_FORMAT_AUTO;
        if (tl_strength_parse(rec->strength, &c->strength) != TL_OK)
            c->strength = TL_STRENGTH_BALANCED;
        c->resume.id = rec->resume_id;
        c->resume.version = rec->resume_version;
        c->jd.id = rec->jd_id;
        c->plan = json_is_true(json_object_get(doc, "plan"));
        c->compare = json_is_true(json_object_get(doc, "compare"));
        snprintf(c->sections, sizeof c->sections, "%s", string_or(doc, "sections", ""));
        c->priority = (int32_t)json_integer_value(json_object_get(doc, "priority"));
        c->deadline_ms = json_integer_value(json_object_get(doc, "deadline_ms"));
        c->n_chain = 0;
        const char *chain = string_or(doc, "provider", "local");
        /* Providers this run does not have are left out: the job still runs. */
        for (const char *p = chain; *p;) {
            size_t n = strcspn(p, ",");
            for (size_t i = 0; i < s->o.n_providers && c->n_chain < TL_ENGINE_MAX_CHAIN; i++)
                if (strlen(s->o.providers[i]->name) == n &&
                    memcmp(s->o.providers[i]->name, p, n) == 0)
                    c->chain[c->n_chain++] = s->o.providers[i];
            p += n + (p[n] == ',');
        }
    }
    json_decref(doc);
    return e;
}

/* Records that job id, claimed by this server, cannot run. */
static void not_recovered(tl_server *s, int64_t id)
{
    tl_store_job_end end = {.status = "failed",
                            .error_code = "not_recovered",
                            .error_message = "the job could not be run again after a restart"};
    if (tl_store_job_finish(s->store, id, &end) != TL_OK)
        tl_warn("msg=\"cannot record a job that was not recovered\" job_id=%lld", (long long)id);
}

static void recover_one(tl_server *s, int64_t id)
{
    tl_store_job *rec = NULL;
    if (tl_store_job_get(s->store, id, &rec) != TL_OK)
        return;
    tl_customize_req c = {0};
    tl_err e = rebuild(s, rec, &c);
    bool stopped = false;
    if (e == TL_OK) {
        tl_job_input in = job_input(&c, id);
        in.recovered = true;
        e = tl_jobq_submit(s->jobs, &in, NULL);
        if (e == TL_OK) {
            c.resume.resume = NULL;
            c.jd.jd = NULL;
        }
        /* The queue stopped meanwhile: the job stays unfinished, released
         * at stop for the next server. */
        stopped = e == TL_EINVAL;
    }
    if (e && !stopped)
        not_recovered(s, id);
    tl_info("msg=\"job from an earlier run or another server %s\" job_id=%lld",
            stopped ? "left for the next server"
            : e     ? "failed"
                    : "queued again",
            (long long)id);
    tl_resume_free(c.resume.resume);
    tl_job_free(c.jd.jd);
    tl_store_job_free(rec);
}

void tl__recover_jobs(tl_server *s, bool at_start)
{
    int64_t *ids = NULL;
    size_t n = 0;
    /* A database only this server uses (a SQLite file): what is unfinished
     * at start was left by an earlier run of it, so there is no lease to
     * wait for. */
    int all = at_start && !tl_store_is_shared(s->store);
    tl_err e = tl_store_job_claim(s->store, s->instance, s->lease_ms, all, &ids, &n);
    if (e) {
        tl_warn("msg=\"cannot claim unfinished jobs\" err=\"%s\"", tl_strerror(e));
        return;
    }
    for (size_t i = 0; i < n; i++)
        recover_one(s, ids[i]);
    free(ids);
}
