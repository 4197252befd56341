/* Storage: resumes and their versions, job descriptions, customization jobs
 * and per-model telemetry, behind one interface.
 *
 * A tl_store is a table of operations (tl_store_ops) plus the backend's own
 * state, so that another backend (PostgreSQL) can implement the same calls.
 * Callers use the tl_store_* wrappers below, never the table directly.
 *
 * Backends: SQLite (tl_store_open_sqlite), one file in WAL mode
 * ("tailor.db" by default) or ":memory:" for tests; PostgreSQL
 * (tl_store_open_pg) for several servers; tl_store_open picks one from an
 * address.
 *
 * Records handed out (tl_store_resume, tl_store_jd, tl_store_job, lists)
 * are malloc'd copies owned by the caller and freed with their _free
 * function; NULL does nothing. Strings given to the store are copied.
 *
 * Threads: every call may be made from any thread at any time; a backend
 * serialises access itself (the SQLite one with a mutex around its single
 * connection). Ids are positive 64-bit integers, never reused. */
#ifndef TL_STORE_H
#define TL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct tl_store tl_store;

/* ---- records ---- */

/* One version of a resume. Version 1 is what was uploaded; every
 * customization of a stored resume adds the next version. */
typedef struct tl_store_resume {
    int64_t id;
    int version;
    int latest_version; /* the resume's newest version */
    char *format;       /* the format it was read from: "json", "markdown", "text" */
    char *json;         /* the version as a JSON Resume document */
    char *source;       /* the text as uploaded (version 1), else NULL */
    char *created_at;   /* ISO 8601, UTC */
    int64_t job_id;     /* the job that produced it, 0 for an upload */
    int64_t jd_id;      /* the job description it was tailored for, or 0 */
    int parent_version; /* the version it was tailored from, or 0 */
} tl_store_resume;

/* What a new resume version is made of. */
typedef struct tl_store_resume_in {
    const char *format; /* required */
    const char *json;   /* required: the JSON Resume document */
    const char *source; /* optional */
    int64_t job_id;     /* optional */
    int64_t jd_id;      /* optional */
    int parent_version; /* optional */
} tl_store_resume_in;

typedef struct tl_store_version_info {
    int version;
    char *format;
    char *created_at;
    int64_t job_id;
    int64_t jd_id;
    int parent_version;
} tl_store_version_info;

typedef struct tl_store_versions {
    int64_t resume_id;
    tl_store_version_info *items; /* oldest first */
    size_t n;
} tl_store_versions;

typedef struct tl_store_jd {
    int64_t id;
    char *title;   /* may be NULL */
    char *company; /* may be NULL */
    char *text;
    char *analysis_json; /* the analysis as a JSON document */
    char *created_at;
} tl_store_jd;

typedef struct tl_store_jd_in {
    const char *title;         /* optional */
    const char *company;       /* optional */
    const char *text;          /* required */
    const char *analysis_json; /* required */
} tl_store_jd_in;

/* Job statuses as stored: "queued", "running", "done", "failed", "cancelled". */
typedef struct tl_store_job {
    int64_t id;
    char *status;
    int64_t resume_id;   /* 0 when the resume was inline */
    int resume_version;  /* the version customized, 0 when inline */
    int64_t jd_id;       /* 0 when the job description was inline */
    char *strength;      /* "CONSERVATIVE", "BALANCED", "EXTENSIVE" */
    char *request_json;  /* what is needed to run it again after a restart ("{}" once done) */
    char *result_json;   /* the full result once done, else NULL */
    char *error_code;    /* once failed, else NULL */
    char *error_message; /* once failed, else NULL */
    int new_version;     /* the resume version it created, or 0 */
    char *created_at;
    char *updated_at;
    char *owner;         /* the server instance that holds the job's lease, or NULL */
    int64_t lease_until; /* when that lease ends: ms since 1970 on the database's clock */
} tl_store_job;

typedef struct tl_store_job_in {
    int64_t resume_id;
    int resume_version;
    int64_t jd_id;
    const char *strength;     /* required */
    const char *request_json; /* required */
    /* The server that runs it (optional; see "leases" below): the job is
     * added with a lease of lease_ms held by owner. */
    const char *owner;
    int64_t lease_ms;
} tl_store_job_in;

/* The end of a job (tl_store_job_finish). */
typedef struct tl_store_job_end {
    const char *status;        /* "done", "failed" or "cancelled" */
    const char *result_json;   /* for done */
    const char *error_code;    /* for failed */
    const char *error_message; /* for failed */
    int new_version;
} tl_store_job_end;

/* One call of a model (or of the embedded engine, model "local"). */
typedef struct tl_store_call {
    const char *model;
    double latency_ms;
    int failed;         /* 1 when the call failed */
    int guard_rejected; /* 1 when the fact guard refused the answer */
    int64_t tokens_in;
    int64_t tokens_out;
    double cost_usd;
} tl_store_call;

/* Totals per model since the database was created. */
typedef struct tl_store_model_stats {
    int64_t calls;
    int64_t failures;
    int64_t guard_rejections;
    double latency_ms_total;
    int64_t tokens_in;
    int64_t tokens_out;
    double cost_usd;
} tl_store_model_stats;

/* ---- the backend table ---- */

/* Every operation returns TL_OK, TL_ENOTFOUND (no such id), TL_EINVAL (a
 * required field missing), TL_ENOMEM, or TL_EIO (the database failed).
 * On failure the out parameters are untouched. */
typedef struct tl_store_ops {
    const char *name; /* "sqlite" */
    int shared;       /* 1 when several servers may use the database at once */
    void (*destroy)(tl_store *s);
    tl_err (*ping)(tl_store *s);
    tl_err (*resume_add)(tl_store *s, const tl_store_resume_in *in, int64_t *id);
    tl_err (*resume_add_version)(tl_store *s, int64_t id, const tl_store_resume_in *in,
                                 int *version);
    tl_err (*resume_get)(tl_store *s, int64_t id, int version, tl_store_resume **out);
    tl_err (*resume_versions)(tl_store *s, int64_t id, tl_store_versions **out);
    tl_err (*resume_delete)(tl_store *s, int64_t id);
    tl_err (*jd_add)(tl_store *s, const tl_store_jd_in *in, int64_t *id);
    tl_err (*jd_get)(tl_store *s, int64_t id, tl_store_jd **out);
    tl_err (*jd_delete)(tl_store *s, int64_t id);
    tl_err (*job_add)(tl_store *s, const tl_store_job_in *in, int64_t *id);
    tl_err (*job_get)(tl_store *s, int64_t id, tl_store_job **out);
    tl_err (*job_set_status)(tl_store *s, int64_t id, const char *status);
    tl_err (*job_finish)(tl_store *s, int64_t id, const tl_store_job_end *end);
    tl_err (*job_unfinished)(tl_store *s, int64_t **ids, size_t *n);
    tl_err (*jobs_active_for)(tl_store *s, int64_t resume_id, int64_t jd_id, int *count);
    tl_err (*job_claim)(tl_store *s, const char *owner, int64_t lease_ms, int all, int64_t **ids,
                        size_t *n);
    tl_err (*job_renew)(tl_store *s, const char *owner, int64_t lease_ms, size_t *renewed);
    tl_err (*job_release)(tl_store *s, const char *owner);
    tl_err (*telemetry_record)(tl_store *s, const tl_store_call *call);
    tl_err (*telemetry_get)(tl_store *s, const char *model, tl_store_model_stats *out);
    tl_err (*router_state_put)(tl_store *s, const char *json);
    tl_err (*router_state_get)(tl_store *s, char **json);
} tl_store_ops;

/* The common head of every backend's state. */
struct tl_store {
    const tl_store_ops *ops;
};

/* ---- SQLite ---- */

typedef struct tl_store_sqlite_opts {
    const char *path;    /* NULL means "tailor.db"; ":memory:" keeps it in memory */
    int busy_timeout_ms; /* 0 means 5000 */
} tl_store_sqlite_opts;

/* Opens (creating if needed) the database and brings its schema up to date.
 * TL_EIO when it cannot be opened or migrated. opts may be NULL. */
TL_MUST_CHECK tl_err tl_store_open_sqlite(tl_store **out, const tl_store_sqlite_opts *opts);
/* The schema version the code migrates to (for tests). */
int tl_store_sqlite_schema_version(void);

/* ---- PostgreSQL ---- */

/* The PostgreSQL backend (store/postgres.c): the same records and calls,
 * for several servers sharing one database. A small pool of connections
 * (each call takes one for its whole duration, transaction included); a
 * connection found broken is reset once and the call retried when nothing
 * of it can have been applied. Migrations run under an advisory lock, so
 * servers starting together migrate once. Dates are ISO 8601 UTC text, as
 * SQLite's. */
typedef struct tl_store_pg_opts {
    const char *conninfo;  /* required: "postgres://user@host:port/db" or "key=value ..." */
    unsigned pool_size;    /* connections; 0 means 4 */
    int connect_timeout_s; /* 0 means 10 */
} tl_store_pg_opts;

/* Connects, creates or migrates the schema. TL_EINVAL without conninfo,
 * TL_EIO when the server cannot be reached or migrated. */
TL_MUST_CHECK tl_err tl_store_open_pg(tl_store **out, const tl_store_pg_opts *opts);
/* The schema version the PostgreSQL backend migrates to (for tests). */
int tl_store_pg_schema_version(void);

/* ---- opening by address ---- */

/* Opens the backend an address names: "postgres://..." or
 * "postgresql://..." is PostgreSQL; "sqlite:PATH" or anything else is a
 * SQLite file (":memory:" included). NULL means "tailor.db". */
TL_MUST_CHECK tl_err tl_store_open(tl_store **out, const char *address);
/* True when address names a PostgreSQL database. */
int tl_store_address_is_pg(const char *address);

/* ---- calls (each dispatches to the backend) ---- */

/* Closes the store. NULL does nothing. No call may be running. */
void tl_store_destroy(tl_store *s);
/* TL_OK when the database answers. */
TL_MUST_CHECK tl_err tl_store_ping(tl_store *s);

/* A new resume whose version 1 is in. */
TL_MUST_CHECK tl_err tl_store_resume_add(tl_store *s, const tl_store_resume_in *in, int64_t *id);
/* The next version of resume id; *version receives its number. */
TL_MUST_CHECK tl_err tl_store_resume_add_version(tl_store *s, int64_t id,
                                                 const tl_store_resume_in *in, int *version);
/* One version of resume id; version 0 means the newest. */
TL_MUST_CHECK tl_err tl_store_resume_get(tl_store *s, int64_t id, int version,
                                         tl_store_resume **out);
TL_MUST_CHECK tl_err tl_store_resume_versions(tl_store *s, int64_t id, tl_store_versions **out);
/* Deletes the resume and all its versions. */
TL_MUST_CHECK tl_err tl_store_resume_delete(tl_store *s, int64_t id);
void tl_store_resume_free(tl_store_resume *r);
void tl_store_versions_free(tl_store_versions *v);

TL_MUST_CHECK tl_err tl_store_jd_add(tl_store *s, const tl_store_jd_in *in, int64_t *id);
TL_MUST_CHECK tl_err tl_store_jd_get(tl_store *s, int64_t id, tl_store_jd **out);
TL_MUST_CHECK tl_err tl_store_jd_delete(tl_store *s, int64_t id);
void tl_store_jd_free(tl_store_jd *j);

/* A new job, status "queued". */
TL_MUST_CHECK tl_err tl_store_job_add(tl_store *s, const tl_store_job_in *in, int64_t *id);
TL_MUST_CHECK tl_err tl_store_job_get(tl_store *s, int64_t id, tl_store_job **out);
/* Sets the status ("queued", "running", ...) without touching the rest. */
TL_MUST_CHECK tl_err tl_store_job_set_status(tl_store *s, int64_t id, const char *status);
/* Records the end of a job. Unless it failed, its request_json becomes
 * "{}": it was only kept to run the job again after a restart. */
TL_MUST_CHECK tl_err tl_store_job_finish(tl_store *s, int64_t id, const tl_store_job_end *end);
/* Ids of jobs queued or running (oldest first), for a restarted server to
 * run again. *ids is malloc'd (NULL when *n is 0); the caller frees it. */
TL_MUST_CHECK tl_err tl_store_job_unfinished(tl_store *s, int64_t **ids, size_t *n);
/* Number of queued or running jobs that use resume_id or jd_id (either may
 * be 0 to ignore it). */
TL_MUST_CHECK tl_err tl_store_jobs_active_for(tl_store *s, int64_t resume_id, int64_t jd_id,
                                              int *count);
void tl_store_job_free(tl_store_job *j);

/* ---- leases: which server runs an unfinished job ----
 *
 * Several servers on one database must not run a job twice. An
 * unfinished job (queued or running) has an owner, the id of the server
 * instance that runs it, and a lease the owner renews while it runs it.
 * A job whose lease ran out (its server died) or that has no owner (an
 * older database, a server that stopped and released it) may be claimed
 * by another server. Lease times are on the database's clock, so that the
 * servers' clocks need not agree. A finished job is never claimed. */

/* Claims, atomically, the unfinished jobs that owner may take: those with
 * no owner or an expired lease (all: every unfinished job not already
 * owner's, for a database only one server uses), each with a lease of
 * lease_ms. Two servers claiming at once never get the same job. *ids
 * (oldest first; malloc'd, NULL when *n is 0) are the jobs claimed. */
TL_MUST_CHECK tl_err tl_store_job_claim(tl_store *s, const char *owner, int64_t lease_ms, int all,
                                        int64_t **ids, size_t *n);
/* Extends to lease_ms from now the lease of every unfinished job owner
 * holds; *renewed (may be NULL) counts them. */
TL_MUST_CHECK tl_err tl_store_job_renew(tl_store *s, const char *owner, int64_t lease_ms,
                                        size_t *renewed);
/* Gives up owner's unfinished jobs (a server stopping with jobs left), so
 * that the next server claims them at once. */
TL_MUST_CHECK tl_err tl_store_job_release(tl_store *s, const char *owner);
/* True when several servers may use the database at once (PostgreSQL). */
int tl_store_is_shared(const tl_store *s);

/* Adds one call to the model's totals. */
TL_MUST_CHECK tl_err tl_store_telemetry_record(tl_store *s, const tl_store_call *call);
/* The model's totals; all zero for a model never seen. */
TL_MUST_CHECK tl_err tl_store_telemetry_get(tl_store *s, const char *model,
                                            tl_store_model_stats *out);

/* The model router's telemetry (EWMAs and totals; engine/processor.h's
 * tl_engine_telemetry_save), one JSON text replaced as a whole. */
TL_MUST_CHECK tl_err tl_store_router_state_put(tl_store *s, const char *json);
/* The text last put (malloc'd; the caller frees); TL_ENOTFOUND when none. */
TL_MUST_CHECK tl_err tl_store_router_state_get(tl_store *s, char **json);

#endif
