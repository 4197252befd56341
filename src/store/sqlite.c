/* The SQLite backend of the store.
 *
 * One connection, guarded by one mutex: every operation takes the mutex for
 * its whole duration (including its transaction), so statements prepared
 * once at open are never used by two threads at once. SQLite itself is
 * opened with SQLITE_OPEN_NOMUTEX because of that. A single connection is
 * also what makes ":memory:" work: every thread sees the same database.
 * Writes are short (one row or two), so the mutex is not a bottleneck at
 * the server's request rates; a second backend may do better.
 *
 * The schema is versioned: schema_version holds the number of migrations
 * applied, and open applies the missing ones, each in its own transaction. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/log.h"

/* Each entry is one migration; never edit one that has shipped, add one. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE resumes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  latest_version INTEGER NOT NULL DEFAULT 1,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE resume_versions ("
    "  resume_id INTEGER NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,"
    "  version INTEGER NOT NULL,"
    "  format TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  source TEXT,"
    "  job_id INTEGER NOT NULL DEFAULT 0,"
    "  jd_id INTEGER NOT NULL DEFAULT 0,"
    "  parent_version INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (resume_id, version));"
    "CREATE TABLE job_descriptions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  title TEXT, company TEXT,"
    "  text TEXT NOT NULL,"
    "  analysis TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  status TEXT NOT NULL,"
    "  resume_id INTEGER NOT NULL DEFAULT 0,"
    "  resume_version INTEGER NOT NULL DEFAULT 0,"
    "  jd_id INTEGER NOT NULL DEFAULT 0,"
    "  strength TEXT NOT NULL,"
    "  request TEXT NOT NULL,"
    "  result TEXT, error_code TEXT, error_message TEXT,"
    "  new_version INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX jobs_by_status ON jobs(status);"
    "CREATE TABLE model_telemetry ("
    "  model TEXT PRIMARY KEY,"
    "  calls INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  guard_rejections INTEGER NOT NULL DEFAULT 0,"
    "  latency_ms_total REAL NOT NULL DEFAULT 0,"
    "  tokens_in INTEGER NOT NULL DEFAULT 0,"
    "  tokens_out INTEGER NOT NULL DEFAULT 0,"
    "  cost_usd REAL NOT NULL DEFAULT 0,"
    "  updated_at TEXT NOT NULL);",
    /* 2: the model router's state (one row) */
    "CREATE TABLE router_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  state TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);",
    /* 3: an unfinished job's owner (a server instance) and its lease, in ms
     * since 1970; jobs of older databases have none, so any server takes them */
    "ALTER TABLE jobs ADD COLUMN owner TEXT;"
    "ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;",
};
enum { N_MIGRATIONS = sizeof migrations / sizeof migrations[0] };

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
/* Now in ms since 1970 (julianday has the precision; unixepoch('subsec')
 * needs SQLite 3.42). */
#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

/* Every statement, prepared once at open. */
enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PING,
    ST_RESUME_INSERT,
    ST_VERSION_INSERT,
    ST_RESUME_LATEST,
    ST_RESUME_BUMP,
    ST_RESUME_GET,
    ST_VERSIONS,
    ST_RESUME_DELETE,
    ST_JD_INSERT,
    ST_JD_GET,
    ST_JD_DELETE,
    ST_JOB_INSERT,
    ST_JOB_GET,
    ST_JOB_STATUS,
    ST_JOB_FINISH,
    ST_JOB_UNFINISHED,
    ST_JOB_ACTIVE_FOR,
    ST_JOB_CLAIM,
    ST_JOB_RENEW,
    ST_JOB_RELEASE,
    ST_TELEMETRY_ADD,
    ST_TELEMETRY_GET,
    ST_ROUTER_PUT,
    ST_ROUTER_GET,
    ST_COUNT_
};

static const char *const statements[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PING] = "SELECT 1",
    [ST_RESUME_INSERT] = "INSERT INTO resumes(latest_version, created_at) VALUES (1, " NOW ")",
    [ST_VERSION_INSERT] =
        "INSERT INTO resume_versions(resume_id, version, format, json, source, job_id, jd_id,"
        " parent_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, " NOW ")",
    [ST_RESUME_LATEST] = "SELECT latest_version FROM resumes WHERE id = ?1",
    [ST_RESUME_BUMP] = "UPDATE resumes SET latest_version = ?2 WHERE id = ?1",
    [ST_RESUME_GET] =
        "SELECT v.version, r.latest_version, v.format, v.json, v.source, v.created_at,"
        " v.job_id, v.jd_id, v.parent_version FROM resume_versions v"
        " JOIN resumes r ON r.id = v.resume_id"
        " WHERE v.resume_id = ?1 AND v.version = CASE WHEN ?2 = 0 THEN r.latest_version"
        " ELSE ?2 END",
    [ST_VERSIONS] = "SELECT version, format, created_at, job_id, jd_id, parent_version"
                    " FROM resume_versions WHERE resume_id = ?1 ORDER BY version",
    [ST_RESUME_DELETE] = "DELETE FROM resumes WHERE id = ?1",
    [ST_JD_INSERT] = "INSERT INTO job_descriptions(title, company, text, analysis, created_at)"
                     " VALUES (?1, ?2, ?3, ?4, " NOW ")",
    [ST_JD_GET] = "SELECT title, company, text, analysis, created_at FROM job_descriptions"
                  " WHERE id = ?1",
    [ST_JD_DELETE] = "DELETE FROM job_descriptions WHERE id = ?1",
    [ST_JOB_INSERT] =
        "INSERT INTO jobs(status, resume_id, resume_version, jd_id, strength, request,"
        " created_at, updated_at, owner, lease_until) VALUES ('queued', ?1, ?2, ?3, ?4, ?5, " NOW
        ", " NOW ", ?6, CASE WHEN ?6 IS NULL THEN 0 ELSE " NOW_MS " + ?7 END)",
    [ST_JOB_GET] = "SELECT status, resume_id, resume_version, jd_id, strength, request, result,"
                   " error_code, error_message, new_version, created_at, updated_at, owner,"
                   " lease_until FROM jobs WHERE id = ?1",
    [ST_JOB_STATUS] = "UPDATE jobs SET status = ?2, updated_at = " NOW " WHERE id = ?1",
    /* The request is kept only as long as the job may have to run again
     * (and when it failed, to see why); a done job's result says it all. */
    [ST_JOB_FINISH] = "UPDATE jobs SET status = ?2, result = ?3, error_code = ?4,"
                      " error_message = ?5, new_version = ?6, updated_at = " NOW ","
                      " request = CASE WHEN ?2 = 'failed' THEN request ELSE '{}' END"
                      " WHERE id = ?1",
    [ST_JOB_UNFINISHED] = "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id",
    [ST_JOB_ACTIVE_FOR] = "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')"
                          " AND ((?1 > 0 AND resume_id = ?1) OR (?2 > 0 AND jd_id = ?2))",
    /* One statement, so one transaction: a claim is atomic against other
     * connections (other processes on the file) as well. */
    [ST_JOB_CLAIM] = "UPDATE jobs SET owner = ?1, lease_until = " NOW_MS " + ?2"
                     " WHERE status IN ('queued', 'running') AND owner IS NOT ?1"
                     " AND (?3 OR owner IS NULL OR lease_until < " NOW_MS ") RETURNING id",
    [ST_JOB_RENEW] = "UPDATE jobs SET lease_until = " NOW_MS " + ?2"
                     " WHERE owner = ?1 AND status IN ('queued', 'running')",
    [ST_JOB_RELEASE] = "UPDATE jobs SET owner = NULL, lease_until = 0"
                       " WHERE owner = ?1 AND status IN ('queued', 'running')",
    [ST_TELEMETRY_ADD] =
        "INSERT INTO model_telemetry(model, calls, failures, guard_rejections,"
        " latency_ms_total, tokens_in, tokens_out, cost_usd, updated_at)"
        " VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, " NOW ")"
        " ON CONFLICT(model) DO UPDATE SET calls = calls + 1,"
        " failures = failures + excluded.failures,"
        " guard_rejections = guard_rejections + excluded.guard_rejections,"
        " latency_ms_total = latency_ms_total + excluded.latency_ms_total,"
        " tokens_in = tokens_in + excluded.tokens_in,"
        " tokens_out = tokens_out + excluded.tokens_out,"
        " cost_usd = cost_usd + excluded.cost_usd, updated_at = excluded.updated_at",
    [ST_TELEMETRY_GET] = "SELECT calls, failures, guard_rejections, latency_ms_total,"
                         " tokens_in, tokens_out, cost_usd FROM model_telemetry"
                         " WHERE model = ?1",
    [ST_ROUTER_PUT] = "INSERT INTO router_state(id, state, updated_at) VALUES (1, ?1, " NOW ")"
                      " ON CONFLICT(id) DO UPDATE SET state = excluded.state,"
                      " updated_at = excluded.updated_at",
    [ST_ROUTER_GET] = "SELECT state FROM router_state WHERE id = 1",
};

typedef struct sq_store {
    tl_store base; /* first: a tl_store * is a sq_store * */
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *st[ST_COUNT_];
} sq_store;

static sq_store *sq(tl_store *s)
{
    return (sq_store *)s;
}

/* ---- small helpers (all called with the mutex held) ---- */

/* Makes a statement ready for its next use. */
static sqlite3_stmt *stmt(sq_store *q, int which)
{
    sqlite3_stmt *st = q->st[which];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static tl_err db_fail(sq_store *q, const char *what)
{
    tl_error("msg=\"store: %s failed\" sqlite=\"%s\"", what, sqlite3_errmsg(q->db));
    return TL_EIO;
}

/* Runs a statement that returns no rows. */
static tl_err run(sq_store *q, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TL_OK : db_fail(q, what);
}

static tl_err exec_one(sq_store *q, int which)
{
    return run(q, stmt(q, which), statements[which]);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* A malloc'd copy of a text column, NULL for SQL NULL. *ok becomes 0 when
 * the copy could not be made. */
static char *col_dup(sqlite3_stmt *st, int i, int *ok)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    char *c = strdup((const char *)t);
    if (!c)
        *ok = 0;
    return c;
}

static void lock(sq_store *q)
{
    pthread_mutex_lock(&q->mu);
}

static void unlock(sq_store *q)
{
    pthread_mutex_unlock(&q->mu);
}

/* ---- lifecycle ---- */

static void sq_destroy(tl_store *s)
{
    sq_store *q = sq(s);
    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(q->st[i]);
    sqlite3_close(q->db);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static tl_err sq_ping(tl_store *s)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_PING);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    unlock(q);
    return rc == SQLITE_ROW ? TL_OK : TL_EIO;
}

/* ---- resumes ---- */

static tl_err insert_version(sq_store *q, int64_t id, int version, const tl_store_resume_in *in)
{
    sqlite3_stmt *st = stmt(q, ST_VERSION_INSERT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, version);
    bind_text(st, 3, in->format);
    bind_text(st, 4, in->json);
    bind_text(st, 5, in->source);
    sqlite3_bind_int64(st, 6, in->job_id);
    sqlite3_bind_int64(st, 7, in->jd_id);
    sqlite3_bind_int(st, 8, in->parent_version);
    return run(q, st, "insert resume version");
}

/* Ends the transaction begun by the caller: COMMIT when e is TL_OK, else
 * ROLLBACK. Returns e, or the commit's failure. */
static tl_err end_tx(sq_store *q, tl_err e)
{
    if (e == TL_OK)
        e = exec_one(q, ST_COMMIT);
    if (e != TL_OK)
        (void)exec_one(q, ST_ROLLBACK);
    return e;
}

static tl_err sq_resume_add(tl_store *s, const tl_store_resume_in *in, int64_t *id)
{
    sq_store *q = sq(s);
    lock(q);
    tl_err e = exec_one(q, ST_BEGIN);
    if (e)
        goto out;
    e = exec_one(q, ST_RESUME_INSERT);
    int64_t new_id = sqlite3_last_insert_rowid(q->db);
    if (e == TL_OK)
        e = insert_version(q, new_id, 1, in);
    e = end_tx(q, e);
    if (e == TL_OK)
        *id = new_id;
out:
    unlock(q);
    return e;
}

static tl_err latest_version(sq_store *q, int64_t id, int *v)
{
    sqlite3_stmt *st = stmt(q, ST_RESUME_LATEST);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    tl_err e = TL_OK;
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else
        e = rc == SQLITE_DONE ? TL_ENOTFOUND : db_fail(q, "latest version");
    sqlite3_reset(st);
    return e;
}

static tl_err sq_resume_add_version(tl_store *s, int64_t id, const tl_store_resume_in *in,
                                    int *version)
{
    sq_store *q = sq(s);
    lock(q);
    tl_err e = exec_one(q, ST_BEGIN);
    if (e)
        goto out;
    int v = 0;
    e = latest_version(q, id, &v);
    if (e == TL_OK)
        e = insert_version(q, id, v + 1, in);
    if (e == TL_OK) {
        sqlite3_stmt *st = stmt(q, ST_RESUME_BUMP);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, v + 1);
        e = run(q, st, "bump resume version");
    }
    e = end_tx(q, e);
    if (e == TL_OK)
        *version = v + 1;
out:
    unlock(q);
    return e;
}

static tl_err read_resume_row(sqlite3_stmt *st, int64_t id, tl_store_resume **out)
{
    tl_store_resume *r = calloc(1, sizeof *r);
    if (!r)
        return TL_ENOMEM;
    int ok = 1;
    r->id = id;
    r->version = sqlite3_column_int(st, 0);
    r->latest_version = sqlite3_column_int(st, 1);
    r->format = col_dup(st, 2, &ok);
    r->json = col_dup(st, 3, &ok);
    r->source = col_dup(st, 4, &ok);
    r->created_at = col_dup(st, 5, &ok);
    r->job_id = sqlite3_column_int64(st, 6);
    r->jd_id = sqlite3_column_int64(st, 7);
    r->parent_version = sqlite3_column_int(st, 8);
    if (!ok) {
        tl_store_resume_free(r);
        return TL_ENOMEM;
    }
    *out = r;
    return TL_OK;
}

static tl_err sq_resume_get(tl_store *s, int64_t id, int version, tl_store_resume **out)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_RESUME_GET);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, version);
    int rc = sqlite3_step(st);
    tl_err e;
    if (rc == SQLITE_ROW)
        e = read_resume_row(st, id, out);
    else
        e = rc == SQLITE_DONE ? TL_ENOTFOUND : db_fail(q, "get resume");
    sqlite3_reset(st);
    unlock(q);
    return e;
}

static tl_err push_version(sqlite3_stmt *st, tl_store_versions *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        tl_store_version_info *items = realloc(v->items, ncap * sizeof *items);
        if (!items)
            return TL_ENOMEM;
        v->items = items;
        *cap = ncap;
    }
    tl_store_version_info *it = &v->items[v->n];
    memset(it, 0, sizeof *it);
    int ok = 1;
    it->version = sqlite3_column_int(st, 0);
    it->format = col_dup(st, 1, &ok);
    it->created_at = col_dup(st, 2, &ok);
    it->job_id = sqlite3_column_int64(st, 3);
    it->jd_id = sqlite3_column_int64(st, 4);
    it->parent_version = sqlite3_column_int(st, 5);
    v->n++; /* counted even when a copy failed, so that free sees it */
    return ok ? TL_OK : TL_ENOMEM;
}

static tl_err sq_resume_versions(tl_store *s, int64_t id, tl_store_versions **out)
{
    sq_store *q = sq(s);
    tl_store_versions *v = calloc(1, sizeof *v);
    if (!v)
        return TL_ENOMEM;
    v->resume_id = id;
    size_t cap = 0;
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_VERSIONS);
    sqlite3_bind_int64(st, 1, id);
    tl_err e = TL_OK;
    int rc = SQLITE_DONE;
    while (e == TL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = push_version(st, v, &cap);
    if (e == TL_OK && rc != SQLITE_DONE)
        e = db_fail(q, "list versions");
    sqlite3_reset(st);
    unlock(q);
    if (e == TL_OK && v->n == 0)
        e = TL_ENOTFOUND;
    if (e) {
        tl_store_versions_free(v);
        return e;
    }
    *out = v;
    return TL_OK;
}

/* Runs a DELETE by id: TL_ENOTFOUND when no row went. */
static tl_err delete_by_id(tl_store *s, int which, int64_t id)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, which);
    sqlite3_bind_int64(st, 1, id);
    tl_err e = run(q, st, "delete");
    if (e == TL_OK && sqlite3_changes(q->db) == 0)
        e = TL_ENOTFOUND;
    unlock(q);
    return e;
}

static tl_err sq_resume_delete(tl_store *s, int64_t id)
{
    return delete_by_id(s, ST_RESUME_DELETE, id);
}

/* ---- job descriptions ---- */

static tl_err sq_jd_add(tl_store *s, const tl_store_jd_in *in, int64_t *id)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JD_INSERT);
    bind_text(st, 1, in->title);
    bind_text(st, 2, in->company);
    bind_text(st, 3, in->text);
    bind_text(st, 4, in->analysis_json);
    tl_err e = run(q, st, "insert job description");
    if (e == TL_OK)
        *id = sqlite3_last_insert_rowid(q->db);
    unlock(q);
    return e;
}

static tl_err read_jd_row(sqlite3_stmt *st, int64_t id, tl_store_jd **out)
{
    tl_store_jd *j = calloc(1, sizeof *j);
    if (!j)
        return TL_ENOMEM;
    int ok = 1;
    j->id = id;
    j->title = col_dup(st, 0, &ok);
    j->company = col_dup(st, 1, &ok);
    j->text = col_dup(st, 2, &ok);
    j->analysis_json = col_dup(st, 3, &ok);
    j->created_at = col_dup(st, 4, &ok);
    if (!ok) {
        tl_store_jd_free(j);
        return TL_ENOMEM;
    }
    *out = j;
    return TL_OK;
}

static tl_err sq_jd_get(tl_store *s, int64_t id, tl_store_jd **out)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JD_GET);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    tl_err e;
    if (rc == SQLITE_ROW)
        e = read_jd_row(st, id, out);
    else
        e = rc == SQLITE_DONE ? TL_ENOTFOUND : db_fail(q, "get job description");
    sqlite3_reset(st);
    unlock(q);
    return e;
}

static tl_err sq_jd_delete(tl_store *s, int64_t id)
{
    return delete_by_id(s, ST_JD_DELETE, id);
}

/* ---- jobs ---- */

static tl_err sq_job_add(tl_store *s, const tl_store_job_in *in, int64_t *id)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_INSERT);
    sqlite3_bind_int64(st, 1, in->resume_id);
    sqlite3_bind_int(st, 2, in->resume_version);
    sqlite3_bind_int64(st, 3, in->jd_id);
    bind_text(st, 4, in->strength);
    bind_text(st, 5, in->request_json);
    bind_text(st, 6, in->owner);
    sqlite3_bind_int64(st, 7, in->lease_ms);
    tl_err e = run(q, st, "insert job");
    if (e == TL_OK)
        *id = sqlite3_last_insert_rowid(q->db);
    unlock(q);
    return e;
}

static tl_err read_job_row(sqlite3_stmt *st, int64_t id, tl_store_job **out)
{
    tl_store_job *j = calloc(1, sizeof *j);
    if (!j)
        return TL_ENOMEM;
    int ok = 1;
    j->id = id;
    j->status = col_dup(st, 0, &ok);
    j->resume_id = sqlite3_column_int64(st, 1);
    j->resume_version = sqlite3_column_int(st, 2);
    j->jd_id = sqlite3_column_int64(st, 3);
    j->strength = col_dup(st, 4, &ok);
    j->request_json = col_dup(st, 5, &ok);
    j->result_json = col_dup(st, 6, &ok);
    j->error_code = col_dup(st, 7, &ok);
    j->error_message = col_dup(st, 8, &ok);
    j->new_version = sqlite3_column_int(st, 9);
    j->created_at = col_dup(st, 10, &ok);
    j->updated_at = col_dup(st, 11, &ok);
    j->owner = col_dup(st, 12, &ok);
    j->lease_until = sqlite3_column_int64(st, 13);
    if (!ok) {
        tl_store_job_free(j);
        return TL_ENOMEM;
    }
    *out = j;
    return TL_OK;
}

static tl_err sq_job_get(tl_store *s, int64_t id, tl_store_job **out)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_GET);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    tl_err e;
    if (rc == SQLITE_ROW)
        e = read_job_row(st, id, out);
    else
        e = rc == SQLITE_DONE ? TL_ENOTFOUND : db_fail(q, "get job");
    sqlite3_reset(st);
    unlock(q);
    return e;
}

static tl_err sq_job_set_status(tl_store *s, int64_t id, const char *status)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_STATUS);
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, status);
    tl_err e = run(q, st, "set job status");
    if (e == TL_OK && sqlite3_changes(q->db) == 0)
        e = TL_ENOTFOUND;
    unlock(q);
    return e;
}

static tl_err sq_job_finish(tl_store *s, int64_t id, const tl_store_job_end *end)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_FINISH);
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, end->status);
    bind_text(st, 3, end->result_json);
    bind_text(st, 4, end->error_code);
    bind_text(st, 5, end->error_message);
    sqlite3_bind_int(st, 6, end->new_version);
    tl_err e = run(q, st, "finish job");
    if (e == TL_OK && sqlite3_changes(q->db) == 0)
        e = TL_ENOTFOUND;
    unlock(q);
    return e;
}

/* Steps st to its end, collecting column 0 of each row. */
static tl_err collect_ids(sq_store *q, sqlite3_stmt *st, const char *what, int64_t **ids, size_t *n)
{
    int64_t *list = NULL;
    size_t len = 0, cap = 0;
    tl_err e = TL_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            int64_t *nl = realloc(list, ncap * sizeof *nl);
            if (!nl) {
                e = TL_ENOMEM;
                break;
            }
            list = nl;
            cap = ncap;
        }
        list[len++] = sqlite3_column_int64(st, 0);
    }
    if (e == TL_OK && rc != SQLITE_DONE)
        e = db_fail(q, what);
    sqlite3_reset(st);
    if (e) {
        free(list);
        return e;
    }
    *ids = list;
    *n = len;
    return TL_OK;
}

static tl_err sq_job_unfinished(tl_store *s, int64_t **ids, size_t *n)
{
    sq_store *q = sq(s);
    lock(q);
    tl_err e = collect_ids(q, stmt(q, ST_JOB_UNFINISHED), "list unfinished jobs", ids, n);
    unlock(q);
    return e;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static tl_err sq_job_claim(tl_store *s, const char *owner, int64_t lease_ms, int all, int64_t **ids,
                           size_t *n)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_CLAIM);
    bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, lease_ms);
    sqlite3_bind_int(st, 3, all);
    tl_err e = collect_ids(q, st, "claim jobs", ids, n);
    unlock(q);
    if (e == TL_OK && *n > 1)
        qsort(*ids, *n, sizeof **ids, cmp_id); /* RETURNING has no order */
    return e;
}

/* An UPDATE of owner's unfinished jobs; *changed counts them. */
static tl_err owner_update(tl_store *s, int which, const char *owner, int64_t lease_ms,
                           size_t *changed)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, which);
    bind_text(st, 1, owner);
    if (which == ST_JOB_RENEW)
        sqlite3_bind_int64(st, 2, lease_ms);
    tl_err e = run(q, st, statements[which]);
    if (e == TL_OK && changed)
        *changed = (size_t)sqlite3_changes(q->db);
    unlock(q);
    return e;
}

static tl_err sq_job_renew(tl_store *s, const char *owner, int64_t lease_ms, size_t *renewed)
{
    return owner_update(s, ST_JOB_RENEW, owner, lease_ms, renewed);
}

static tl_err sq_job_release(tl_store *s, const char *owner)
{
    return owner_update(s, ST_JOB_RELEASE, owner, 0, NULL);
}

static tl_err sq_jobs_active_for(tl_store *s, int64_t resume_id, int64_t jd_id, int *count)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_JOB_ACTIVE_FOR);
    sqlite3_bind_int64(st, 1, resume_id);
    sqlite3_bind_int64(st, 2, jd_id);
    int rc = sqlite3_step(st);
    tl_err e = TL_OK;
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(st, 0);
    else
        e = db_fail(q, "count active jobs");
    sqlite3_reset(st);
    unlock(q);
    return e;
}

/* ---- telemetry ---- */

static tl_err sq_telemetry_record(tl_store *s, const tl_store_call *c)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_TELEMETRY_ADD);
    bind_text(st, 1, c->model);
    sqlite3_bind_int(st, 2, c->failed ? 1 : 0);
    sqlite3_bind_int(st, 3, c->guard_rejected ? 1 : 0);
    sqlite3_bind_double(st, 4, c->latency_ms);
    sqlite3_bind_int64(st, 5, c->tokens_in);
    sqlite3_bind_int64(st, 6, c->tokens_out);
    sqlite3_bind_double(st, 7, c->cost_usd);
    tl_err e = run(q, st, "record telemetry");
    unlock(q);
    return e;
}

static tl_err sq_telemetry_get(tl_store *s, const char *model, tl_store_model_stats *out)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_TELEMETRY_GET);
    bind_text(st, 1, model);
    int rc = sqlite3_step(st);
    tl_err e = TL_OK;
    tl_store_model_stats m = {0};
    if (rc == SQLITE_ROW) {
        m.calls = sqlite3_column_int64(st, 0);
        m.failures = sqlite3_column_int64(st, 1);
        m.guard_rejections = sqlite3_column_int64(st, 2);
        m.latency_ms_total = sqlite3_column_double(st, 3);
        m.tokens_in = sqlite3_column_int64(st, 4);
        m.tokens_out = sqlite3_column_int64(st, 5);
        m.cost_usd = sqlite3_column_double(st, 6);
    } else if (rc != SQLITE_DONE) {
        e = db_fail(q, "get telemetry");
    }
    sqlite3_reset(st);
    unlock(q);
    if (e == TL_OK)
        *out = m;
    return e;
}

static tl_err sq_router_state_put(tl_store *s, const char *json)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_ROUTER_PUT);
    bind_text(st, 1, json);
    tl_err e = run(q, st, "save router state");
    unlock(q);
    return e;
}

static tl_err sq_router_state_get(tl_store *s, char **json)
{
    sq_store *q = sq(s);
    lock(q);
    sqlite3_stmt *st = stmt(q, ST_ROUTER_GET);
    int rc = sqlite3_step(st);
    tl_err e = TL_ENOTFOUND;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char *c = t ? strdup(t) : NULL;
        e = c ? TL_OK : TL_ENOMEM;
        if (c)
            *json = c;
    } else if (rc != SQLITE_DONE) {
        e = db_fail(q, "get router state");
    }
    sqlite3_reset(st);
    unlock(q);
    return e;
}

static const tl_store_ops sqlite_ops = {
    .name = "sqlite",
    .destroy = sq_destroy,
    .ping = sq_ping,
    .resume_add = sq_resume_add,
    .resume_add_version = sq_resume_add_version,
    .resume_get = sq_resume_get,
    .resume_versions = sq_resume_versions,
    .resume_delete = sq_resume_delete,
    .jd_add = sq_jd_add,
    .jd_get = sq_jd_get,
    .jd_delete = sq_jd_delete,
    .job_add = sq_job_add,
    .job_get = sq_job_get,
    .job_set_status = sq_job_set_status,
    .job_finish = sq_job_finish,
    .job_unfinished = sq_job_unfinished,
    .jobs_active_for = sq_jobs_active_for,
    .job_claim = sq_job_claim,
    .job_renew = sq_job_renew,
    .job_release = sq_job_release,
    .telemetry_record = sq_telemetry_record,
    .telemetry_get = sq_telemetry_get,
    .router_state_put = sq_router_state_put,
    .router_state_get = sq_router_state_get,
};

/* ---- opening and migrating ---- */

static tl_err exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return TL_OK;
    tl_error("msg=\"store: migration step failed\" sqlite=\"%s\"", msg ? msg : "?");
    sqlite3_free(msg);
    return TL_EIO;
}

static tl_err schema_version(sqlite3 *db, int *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return TL_EIO;
    tl_err e = TL_EIO;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        e = TL_OK;
    }
    sqlite3_finalize(st);
    return e;
}

static tl_err mark_applied(sqlite3 *db, int version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO schema_version(version, applied_at) VALUES (?1, " NOW ")",
                           -1, &st, NULL) != SQLITE_OK)
        return TL_EIO;
    sqlite3_bind_int(st, 1, version);
    tl_err e = sqlite3_step(st) == SQLITE_DONE ? TL_OK : TL_EIO;
    sqlite3_finalize(st);
    return e;
}

/* Applies the migrations the database has not seen, each atomically with
 * its row in schema_version. */
static tl_err migrate(sqlite3 *db)
{
    tl_err e = exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY,"
                            " applied_at TEXT NOT NULL)");
    int have = 0;
    if (e == TL_OK)
        e = schema_version(db, &have);
    if (e == TL_OK && have > N_MIGRATIONS) {
        tl_error("msg=\"store: database schema %d is newer than this build (%d)\"", have,
                 N_MIGRATIONS);
        return TL_EIO;
    }
    for (int i = have; e == TL_OK && i < N_MIGRATIONS; i++) {
        e = exec_sql(db, "BEGIN IMMEDIATE");
        if (e == TL_OK)
            e = exec_sql(db, migrations[i]);
        if (e == TL_OK)
            e = mark_applied(db, i + 1);
        if (e == TL_OK)
            e = exec_sql(db, "COMMIT");
        else
            (void)exec_sql(db, "ROLLBACK");
    }
    return e;
}

static tl_err configure(sqlite3 *db, int busy_ms, int in_memory)
{
    sqlite3_busy_timeout(db, busy_ms);
    tl_err e = exec_sql(db, "PRAGMA foreign_keys = ON");
    /* WAL lets readers in other processes (backups, tools) work while the
     * server writes; an in-memory database has no journal to speak of. */
    if (e == TL_OK && !in_memory)
        e = exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    return e;
}

static tl_err prepare_all(sq_store *q)
{
    for (int i = 0; i < ST_COUNT_; i++) {
        if (sqlite3_prepare_v3(q->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i],
                               NULL) != SQLITE_OK) {
            tl_error("msg=\"store: cannot prepare\" sql=\"%s\" sqlite=\"%s\"", statements[i],
                     sqlite3_errmsg(q->db));
            return TL_EIO;
        }
    }
    return TL_OK;
}

int tl_store_sqlite_schema_version(void)
{
    return N_MIGRATIONS;
}

tl_err tl_store_open_sqlite(tl_store **out, const tl_store_sqlite_opts *opts)
{
    const char *path = opts && opts->path ? opts->path : "tailor.db";
    int busy_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000;
    sq_store *q = calloc(1, sizeof *q);
    if (!q)
        return TL_ENOMEM;
    q->base.ops = &sqlite_ops;
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        free(q);
        return TL_ENOMEM;
    }
    tl_err e = TL_EIO;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
        tl_error("msg=\"store: cannot open\" path=\"%s\" sqlite=\"%s\"", path,
                 q->db ? sqlite3_errmsg(q->db) : "out of memory");
        goto fail;
    }
    if ((e = configure(q->db, busy_ms, strcmp(path, ":memory:") == 0)) != TL_OK ||
        (e = migrate(q->db)) != TL_OK || (e = prepare_all(q)) != TL_OK)
        goto fail;
    *out = &q->base;
    return TL_OK;
fail:
    sq_destroy(&q->base);
    return e;
}
