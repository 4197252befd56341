/* The store's public calls: argument checks, then the backend's table. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

void tl_store_destroy(tl_store *s)
{
    if (s)
        s->ops->destroy(s);
}

tl_err tl_store_ping(tl_store *s)
{
    return s->ops->ping(s);
}

static int resume_in_ok(const tl_store_resume_in *in)
{
    return in && in->format && in->json;
}

tl_err tl_store_resume_add(tl_store *s, const tl_store_resume_in *in, int64_t *id)
{
    if (!resume_in_ok(in) || !id)
        return TL_EINVAL;
    return s->ops->resume_add(s, in, id);
}

tl_err tl_store_resume_add_version(tl_store *s, int64_t id, const tl_store_resume_in *in,
                                   int *version)
{
    if (!resume_in_ok(in) || !version || id <= 0)
        return id <= 0 ? TL_ENOTFOUND : TL_EINVAL;
    return s->ops->resume_add_version(s, id, in, version);
}

tl_err tl_store_resume_get(tl_store *s, int64_t id, int version, tl_store_resume **out)
{
    if (!out)
        return TL_EINVAL;
    if (id <= 0 || version < 0)
        return TL_ENOTFOUND;
    return s->ops->resume_get(s, id, version, out);
}

tl_err tl_store_resume_versions(tl_store *s, int64_t id, tl_store_versions **out)
{
    if (!out)
        return TL_EINVAL;
    if (id <= 0)
        return TL_ENOTFOUND;
    return s->ops->resume_versions(s, id, out);
}

tl_err tl_store_resume_delete(tl_store *s, int64_t id)
{
    return id <= 0 ? TL_ENOTFOUND : s->ops->resume_delete(s, id);
}

void tl_store_resume_free(tl_store_resume *r)
{
    if (!r)
        return;
    free(r->format);
    free(r->json);
    free(r->source);
    free(r->created_at);
    free(r);
}

void tl_store_versions_free(tl_store_versions *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i].format);
        free(v->items[i].created_at);
    }
    free(v->items);
    free(v);
}

tl_err tl_store_jd_add(tl_store *s, const tl_store_jd_in *in, int64_t *id)
{
    if (!in || !in->text || !in->analysis_json || !id)
        return TL_EINVAL;
    return s->ops->jd_add(s, in, id);
}

tl_err tl_store_jd_get(tl_store *s, int64_t id, tl_store_jd **out)
{
    if (!out)
        return TL_EINVAL;
    return id <= 0 ? TL_ENOTFOUND : s->ops->jd_get(s, id, out);
}

tl_err tl_store_jd_delete(tl_store *s, int64_t id)
{
    return id <= 0 ? TL_ENOTFOUND : s->ops->jd_delete(s, id);
}

void tl_store_jd_free(tl_store_jd *j)
{
    if (!j)
        return;
    free(j->title);
    free(j->company);
    free(j->text);
    free(j->analysis_json);
    free(j->created_at);
    free(j);
}

tl_err tl_store_job_add(tl_store *s, const tl_store_job_in *in, int64_t *id)
{
    if (!in || !in->strength || !in->request_json || !id || (in->owner && in->lease_ms <= 0))
        return TL_EINVAL;
    return s->ops->job_add(s, in, id);
}

tl_err tl_store_job_get(tl_store *s, int64_t id, tl_store_job **out)
{
    if (!out)
        return TL_EINVAL;
    return id <= 0 ? TL_ENOTFOUND : s->ops->job_get(s, id, out);
}

tl_err tl_store_job_set_status(tl_store *s, int64_t id, const char *status)
{
    if (!status)
        return TL_EINVAL;
    return id <= 0 ? TL_ENOTFOUND : s->ops->job_set_status(s, id, status);
}

tl_err tl_store_job_finish(tl_store *s, int64_t id, const tl_store_job_end *end)
{
    if (!end || !end->status)
        return TL_EINVAL;
    return id <= 0 ? TL_ENOTFOUND : s->ops->job_finish(s, id, end);
}

tl_err tl_store_job_unfinished(tl_store *s, int64_t **ids, size_t *n)
{
    if (!ids || !n)
        return TL_EINVAL;
    return s->ops->job_unfinished(s, ids, n);
}

tl_err tl_store_jobs_active_for(tl_store *s, int64_t resume_id, int64_t jd_id, int *count)
{
    if (!count)
        return TL_EINVAL;
    return s->ops->jobs_active_for(s, resume_id, jd_id, count);
}

tl_err tl_store_job_claim(tl_store *s, const char *owner, int64_t lease_ms, int all, int64_t **ids,
                          size_t *n)
{
    if (!owner || !*owner || lease_ms <= 0 || !ids || !n)
        return TL_EINVAL;
    return s->ops->job_claim(s, owner, lease_ms, all ? 1 : 0, ids, n);
}

tl_err tl_store_job_renew(tl_store *s, const char *owner, int64_t lease_ms, size_t *renewed)
{
    size_t ignored = 0;
    if (!owner || !*owner || lease_ms <= 0)
        return TL_EINVAL;
    return s->ops->job_renew(s, owner, lease_ms, renewed ? renewed : &ignored);
}

tl_err tl_store_job_release(tl_store *s, const char *owner)
{
    if (!owner || !*owner)
        return TL_EINVAL;
    return s->ops->job_release(s, owner);
}

int tl_store_is_shared(const tl_store *s)
{
    return s->ops->shared;
}

void tl_store_job_free(tl_store_job *j)
{
    if (!j)
        return;
    free(j->owner);
    free(j->status);
    free(j->strength);
    free(j->request_json);
    free(j->result_json);
    free(j->error_code);
    free(j->error_message);
    free(j->created_at);
    free(j->updated_at);
    free(j);
}

tl_err tl_store_telemetry_record(tl_store *s, const tl_store_call *call)
{
    if (!call || !call->model)
        return TL_EINVAL;
    return s->ops->telemetry_record(s, call);
}

tl_err tl_store_telemetry_get(tl_store *s, const char *model, tl_store_model_stats *out)
{
    if (!model || !out)
        return TL_EINVAL;
    return s->ops->telemetry_get(s, model, out);
}

int tl_store_address_is_pg(const char *address)
{
    return address &&
           (strncmp(address, "postgres://", 11) == 0 || strncmp(address, "postgresql://", 13) == 0);
}

tl_err tl_store_open(tl_store **out, const char *address)
{
    if (!out)
        return TL_EINVAL;
    if (tl_store_address_is_pg(address)) {
        tl_store_pg_opts po = {.conninfo = address};
        return tl_store_open_pg(out, &po);
    }
    if (address && strncmp(address, "sqlite:", 7) == 0)
        address += 7;
    tl_store_sqlite_opts so = {.path = address};
    return tl_store_open_sqlite(out, &so);
}

tl_err tl_store_router_state_put(tl_store *s, const char *json)
{
    if (!s || !json)
        return TL_EINVAL;
    return s->ops->router_state_put(s, json);
}

tl_err tl_store_router_state_get(tl_store *s, char **json)
{
    if (!s || !json)
        return TL_EINVAL;
    return s->ops->router_state_get(s, json);
}
