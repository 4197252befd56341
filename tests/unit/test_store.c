/* The store, on the SQLite backend: in memory, and once on a file to see
 * migrations and WAL. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

/* test_store_pg.c includes this file to run the same tests on PostgreSQL:
 * it defines TEST_STORE_OPEN (a fresh, empty store) and its own main. */
#ifndef TEST_STORE_OPEN
static tl_err open_memory(tl_store **s)
{
    tl_store_sqlite_opts o = {.path = ":memory:"};
    return tl_store_open_sqlite(s, &o);
}
#define TEST_STORE_OPEN(s) open_memory(s)
#endif

static int setup(void **state)
{
    tl_store *s = NULL;
    if (TEST_STORE_OPEN(&s) != TL_OK)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    tl_store_destroy(*state);
    return 0;
}

static int64_t add_resume(tl_store *s, const char *json)
{
    tl_store_resume_in in = {.format = "json", .json = json, .source = json};
    int64_t id = 0;
    assert_int_equal(tl_store_resume_add(s, &in, &id), TL_OK);
    assert_true(id > 0);
    return id;
}

static void test_ping(void **state)
{
    assert_int_equal(tl_store_ping(*state), TL_OK);
}

static void test_resume_versions(void **state)
{
    tl_store *s = *state;
    int64_t id = add_resume(s, "{\"basics\":{\"name\":\"A\"}}");
    tl_store_resume *r = NULL;
    assert_int_equal(tl_store_resume_get(s, id, 0, &r), TL_OK);
    assert_int_equal(r->version, 1);
    assert_int_equal(r->latest_version, 1);
    assert_string_equal(r->format, "json");
    assert_string_equal(r->json, "{\"basics\":{\"name\":\"A\"}}");
    assert_non_null(r->created_at);
    assert_int_equal(r->job_id, 0);
    tl_store_resume_free(r);

    tl_store_resume_in v2 = {
        .format = "json", .json = "{\"v\":2}", .job_id = 7, .jd_id = 3, .parent_version = 1};
    int version = 0;
    assert_int_equal(tl_store_resume_add_version(s, id, &v2, &version), TL_OK);
    assert_int_equal(version, 2);
    assert_int_equal(tl_store_resume_get(s, id, 0, &r), TL_OK);
    assert_int_equal(r->version, 2);
    assert_string_equal(r->json, "{\"v\":2}");
    assert_null(r->source);
    assert_int_equal(r->job_id, 7);
    assert_int_equal(r->jd_id, 3);
    assert_int_equal(r->parent_version, 1);
    tl_store_resume_free(r);
    assert_int_equal(tl_store_resume_get(s, id, 1, &r), TL_OK);
    assert_int_equal(r->version, 1);
    assert_int_equal(r->latest_version, 2);
    tl_store_resume_free(r);
    r = NULL;
    assert_int_equal(tl_store_resume_get(s, id, 3, &r), TL_ENOTFOUND);
    assert_null(r);

    tl_store_versions *vs = NULL;
    assert_int_equal(tl_store_resume_versions(s, id, &vs), TL_OK);
    assert_int_equal(vs->n, 2);
    assert_int_equal(vs->items[0].version, 1);
    assert_int_equal(vs->items[1].version, 2);
    assert_int_equal(vs->items[1].job_id, 7);
    tl_store_versions_free(vs);
}

static void test_resume_not_found_and_delete(void **state)
{
    tl_store *s = *state;
    tl_store_resume *r = NULL;
    assert_int_equal(tl_store_resume_get(s, 999, 0, &r), TL_ENOTFOUND);
    assert_int_equal(tl_store_resume_get(s, -1, 0, &r), TL_ENOTFOUND);
    tl_store_versions *vs = NULL;
    assert_int_equal(tl_store_resume_versions(s, 999, &vs), TL_ENOTFOUND);
    tl_store_resume_in in = {.format = "text", .json = "{}"};
    int v = 0;
    assert_int_equal(tl_store_resume_add_version(s, 999, &in, &v), TL_ENOTFOUND);

    int64_t id = add_resume(s, "{}");
    assert_int_equal(tl_store_resume_add_version(s, id, &in, &v), TL_OK);
    assert_int_equal(tl_store_resume_delete(s, id), TL_OK);
    assert_int_equal(tl_store_resume_delete(s, id), TL_ENOTFOUND);
    assert_int_equal(tl_store_resume_get(s, id, 0, &r), TL_ENOTFOUND);
    assert_int_equal(tl_store_resume_versions(s, id, &vs), TL_ENOTFOUND);
    /* Ids are never reused. */
    int64_t id2 = add_resume(s, "{}");
    assert_true(id2 > id);
}

static void test_resume_requires_fields(void **state)
{
    tl_store *s = *state;
    tl_store_resume_in in = {.format = "json"};
    int64_t id = 0;
    assert_int_equal(tl_store_resume_add(s, &in, &id), TL_EINVAL);
    assert_int_equal(id, 0);
}

static void test_job_descriptions(void **state)
{
    tl_store *s = *state;
    tl_store_jd_in in = {.title = "Engineer", .text = "We need Go.", .analysis_json = "{}"};
    int64_t id = 0;
    assert_int_equal(tl_store_jd_add(s, &in, &id), TL_OK);
    tl_store_jd *j = NULL;
    assert_int_equal(tl_store_jd_get(s, id, &j), TL_OK);
    assert_string_equal(j->title, "Engineer");
    assert_null(j->company);
    assert_string_equal(j->text, "We need Go.");
    assert_string_equal(j->analysis_json, "{}");
    tl_store_jd_free(j);
    assert_int_equal(tl_store_jd_delete(s, id), TL_OK);
    assert_int_equal(tl_store_jd_get(s, id, &j), TL_ENOTFOUND);
    assert_int_equal(tl_store_jd_delete(s, id), TL_ENOTFOUND);
    tl_store_jd_in bad = {.text = "x"};
    assert_int_equal(tl_store_jd_add(s, &bad, &id), TL_EINVAL);
}

static void test_jobs(void **state)
{
    tl_store *s = *state;
    int64_t rid = add_resume(s, "{}");
    tl_store_job_in in = {.resume_id = rid,
                          .resume_version = 1,
                          .jd_id = 5,
                          .strength = "BALANCED",
                          .request_json = "{\"r\":1}"};
    int64_t a = 0, b = 0;
    assert_int_equal(tl_store_job_add(s, &in, &a), TL_OK);
    assert_int_equal(tl_store_job_add(s, &in, &b), TL_OK);
    assert_true(b > a);

    tl_store_job *j = NULL;
    assert_int_equal(tl_store_job_get(s, a, &j), TL_OK);
    assert_string_equal(j->status, "queued");
    assert_string_equal(j->strength, "BALANCED");
    assert_string_equal(j->request_json, "{\"r\":1}");
    assert_null(j->result_json);
    assert_int_equal(j->resume_id, rid);
    tl_store_job_free(j);

    int n = -1;
    assert_int_equal(tl_store_jobs_active_for(s, rid, 0, &n), TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(tl_store_jobs_active_for(s, 0, 5, &n), TL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(tl_store_jobs_active_for(s, 0, 0, &n), TL_OK);
    assert_int_equal(n, 0);

    assert_int_equal(tl_store_job_set_status(s, a, "running"), TL_OK);
    tl_store_job_end done = {.status = "done", .result_json = "{\"ok\":true}", .new_version = 2};
    assert_int_equal(tl_store_job_finish(s, a, &done), TL_OK);
    assert_int_equal(tl_store_job_get(s, a, &j), TL_OK);
    assert_string_equal(j->status, "done");
    assert_string_equal(j->result_json, "{\"ok\":true}");
    assert_string_equal(j->request_json, "{}");
    assert_int_equal(j->new_version, 2);
    tl_store_job_free(j);

    int64_t *ids = NULL;
    size_t count = 0;
    assert_int_equal(tl_store_job_unfinished(s, &ids, &count), TL_OK);
    assert_int_equal(count, 1);
    assert_int_equal(ids[0], b);
    free(ids);

    tl_store_job_end fail = {.status = "failed", .error_code = "internal", .error_message = "x"};
    assert_int_equal(tl_store_job_finish(s, b, &fail), TL_OK);
    assert_int_equal(tl_store_job_get(s, b, &j), TL_OK);
    assert_string_equal(j->error_code, "internal");
    assert_string_equal(j->request_json, "{\"r\":1}"); /* kept to see why */
    tl_store_job_free(j);
    assert_int_equal(tl_store_job_unfinished(s, &ids, &count), TL_OK);
    assert_int_equal(count, 0);
    assert_null(ids);

    assert_int_equal(tl_store_job_get(s, 12345, &j), TL_ENOTFOUND);
    assert_int_equal(tl_store_job_set_status(s, 12345, "running"), TL_ENOTFOUND);
    assert_int_equal(tl_store_job_finish(s, 12345, &done), TL_ENOTFOUND);
}

static int64_t add_job(tl_store *s, const char *owner, int64_t lease_ms)
{
    tl_store_job_in in = {
        .strength = "BALANCED", .request_json = "{}", .owner = owner, .lease_ms = lease_ms};
    int64_t id = 0;
    assert_int_equal(tl_store_job_add(s, &in, &id), TL_OK);
    return id;
}

/* Claims for owner and checks the ids claimed, oldest first. */
static void expect_claim(tl_store *s, const char *owner, int all, const int64_t *want,
                         size_t n_want)
{
    int64_t *ids = NULL;
    size_t n = 99;
    assert_int_equal(tl_store_job_claim(s, owner, 60000, all, &ids, &n), TL_OK);
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
    free(ids);
}

static void expect_owner(tl_store *s, int64_t id, const char *owner)
{
    tl_store_job *j = NULL;
    assert_int_equal(tl_store_job_get(s, id, &j), TL_OK);
    if (owner) {
        assert_non_null(j->owner);
        assert_string_equal(j->owner, owner);
        assert_true(j->lease_until > 0);
    } else {
        assert_null(j->owner);
    }
    tl_store_job_free(j);
}

/* Leases: a live one is not taken, an expired one is, a job without an
 * owner is, a finished job never is; renew and release. */
static void test_job_leases(void **state)
{
    tl_store *s = *state;
    int64_t live = add_job(s, "a", 60000);
    int64_t none = add_job(s, NULL, 0);
    int64_t expiring = add_job(s, "b", 1);
    int64_t finished = add_job(s, NULL, 0);
    tl_store_job_end done = {.status = "done", .result_json = "{}"};
    assert_int_equal(tl_store_job_finish(s, finished, &done), TL_OK);
    expect_owner(s, live, "a");
    expect_owner(s, none, NULL);
    usleep(30 * 1000); /* b's lease of 1 ms runs out */

    expect_claim(s, "c", 0, (int64_t[]){none, expiring}, 2);
    expect_owner(s, expiring, "c");
    expect_owner(s, live, "a");
    expect_claim(s, "d", 0, NULL, 0); /* c's leases are live */
    expect_claim(s, "c", 0, NULL, 0); /* never one's own again */

    size_t renewed = 0;
    assert_int_equal(tl_store_job_renew(s, "a", 60000, &renewed), TL_OK);
    assert_int_equal(renewed, 1);
    assert_int_equal(tl_store_job_renew(s, "b", 60000, &renewed), TL_OK);
    assert_int_equal(renewed, 0); /* b lost its job */

    assert_int_equal(tl_store_job_release(s, "c"), TL_OK);
    expect_owner(s, none, NULL);
    expect_claim(s, "d", 0, (int64_t[]){none, expiring}, 2);
    /* all: every unfinished job but one's own, live leases included. */
    expect_claim(s, "e", 1, (int64_t[]){live, none, expiring}, 3);
    assert_int_equal(tl_store_job_finish(s, live, &done), TL_OK);
    expect_claim(s, "f", 1, (int64_t[]){none, expiring}, 2);
    expect_owner(s, finished, NULL);

    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(tl_store_job_claim(s, "", 1000, 0, &ids, &n), TL_EINVAL);
    assert_int_equal(tl_store_job_claim(s, "x", 0, 0, &ids, &n), TL_EINVAL);
    tl_store_job_in bad = {.strength = "BALANCED", .request_json = "{}", .owner = "x"};
    int64_t id = 0;
    assert_int_equal(tl_store_job_add(s, &bad, &id), TL_EINVAL);
}

enum { CLAIMERS = 4, CLAIM_JOBS = 60 };

typedef struct claimer {
    tl_store *s;
    char owner[16];
    int64_t *ids;
    size_t n;
} claimer;

static void *claim_loop(void *arg)
{
    claimer *c = arg;
    for (int round = 0; round < 20; round++) {
        int64_t *ids = NULL;
        size_t n = 0;
        if (tl_store_job_claim(c->s, c->owner, 60000, 0, &ids, &n) != TL_OK)
            return (void *)1;
        int64_t *all = realloc(c->ids, (c->n + n + 1) * sizeof *all);
        if (!all)
            return (void *)1;
        c->ids = all;
        for (size_t i = 0; i < n; i++)
            c->ids[c->n++] = ids[i];
        free(ids);
    }
    return NULL;
}

/* Owners claiming at once (and jobs released meanwhile): every job goes to
 * exactly one of them. */
static void test_job_claim_race(void **state)
{
    tl_store *s = *state;
    int64_t first = 0;
    for (int i = 0; i < CLAIM_JOBS; i++) {
        int64_t id = add_job(s, NULL, 0);
        if (i == 0)
            first = id;
    }
    claimer c[CLAIMERS];
    pthread_t t[CLAIMERS];
    for (int i = 0; i < CLAIMERS; i++) {
        c[i] = (claimer){.s = s};
        snprintf(c[i].owner, sizeof c[i].owner, "owner-%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, claim_loop, &c[i]), 0);
    }
    int seen[CLAIM_JOBS] = {0};
    for (int i = 0; i < CLAIMERS; i++) {
        void *rv = NULL;
        pthread_join(t[i], &rv);
        assert_null(rv);
        for (size_t k = 0; k < c[i].n; k++) {
            int64_t off = c[i].ids[k] - first;
            assert_true(off >= 0 && off < CLAIM_JOBS);
            seen[off]++;
        }
        free(c[i].ids);
    }
    for (int i = 0; i < CLAIM_JOBS; i++)
        assert_int_equal(seen[i], 1);
}

static void test_telemetry(void **state)
{
    tl_store *s = *state;
    tl_store_model_stats m;
    assert_int_equal(tl_store_telemetry_get(s, "local", &m), TL_OK);
    assert_int_equal(m.calls, 0);
    tl_store_call c = {.model = "local", .latency_ms = 2.5, .tokens_in = 10, .tokens_out = 4};
    assert_int_equal(tl_store_telemetry_record(s, &c), TL_OK);
    c.failed = 1;
    c.cost_usd = 0.25;
    assert_int_equal(tl_store_telemetry_record(s, &c), TL_OK);
    assert_int_equal(tl_store_telemetry_get(s, "local", &m), TL_OK);
    assert_int_equal(m.calls, 2);
    assert_int_equal(m.failures, 1);
    assert_int_equal(m.tokens_in, 20);
    assert_true(m.latency_ms_total > 4.9 && m.latency_ms_total < 5.1);
    assert_true(m.cost_usd > 0.24 && m.cost_usd < 0.26);
    assert_int_equal(tl_store_telemetry_get(s, "other", &m), TL_OK);
    assert_int_equal(m.calls, 0);
}

/* The router's state: none at first, then the text last put. */
static void test_router_state(void **state)
{
    tl_store *s = *state;
    char *json = NULL;
    assert_int_equal(tl_store_router_state_get(s, &json), TL_ENOTFOUND);
    assert_int_equal(tl_store_router_state_put(s, "[1]"), TL_OK);
    assert_int_equal(tl_store_router_state_put(s, "[{\"model\":\"m\"}]"), TL_OK);
    assert_int_equal(tl_store_router_state_get(s, &json), TL_OK);
    assert_string_equal(json, "[{\"model\":\"m\"}]");
    free(json);
}

/* A file database: WAL mode, the schema version recorded, and a reopen that
 * keeps the data and migrates nothing twice. */
static void test_file_database(void **state)
{
    (void)state;
    char path[] = "/tmp/tailor-store-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tl_store *s = NULL;
    tl_store_sqlite_opts o = {.path = path};
    assert_int_equal(tl_store_open_sqlite(&s, &o), TL_OK);
    int64_t id = add_resume(s, "{\"x\":1}");
    tl_store_destroy(s);

    assert_int_equal(tl_store_open_sqlite(&s, &o), TL_OK);
    tl_store_resume *r = NULL;
    assert_int_equal(tl_store_resume_get(s, id, 0, &r), TL_OK);
    assert_string_equal(r->json, "{\"x\":1}");
    tl_store_resume_free(r);
    tl_store_destroy(s);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_version", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), tl_store_sqlite_schema_version());
    assert_int_equal(sqlite3_column_int(st, 1), tl_store_sqlite_schema_version());
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);

    char side[64];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* A database of schema 2 (before leases): it migrates, and its unfinished
 * job, which has no owner, is claimed. */
static void test_old_database(void **state)
{
    (void)state;
    char path[] = "/tmp/tailor-store-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tl_store *s = NULL;
    tl_store_sqlite_opts o = {.path = path};
    assert_int_equal(tl_store_open_sqlite(&s, &o), TL_OK);
    int64_t id = add_job(s, NULL, 0);
    tl_store_destroy(s);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE jobs DROP COLUMN owner;"
                                  "ALTER TABLE jobs DROP COLUMN lease_until;"
                                  "DELETE FROM schema_version WHERE version > 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(tl_store_open_sqlite(&s, &o), TL_OK);
    expect_owner(s, id, NULL);
    expect_claim(s, "a", 0, (int64_t[]){id}, 1);
    tl_store_destroy(s);
    char side[64];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

static void test_open_fails_cleanly(void **state)
{
    (void)state;
    tl_store *s = NULL;
    tl_store_sqlite_opts o = {.path = "/nonexistent-dir/x/tailor.db"};
    assert_int_equal(tl_store_open_sqlite(&s, &o), TL_EIO);
    assert_null(s);
    tl_store_destroy(NULL);
}

#ifndef TEST_STORE_NO_MAIN
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_not_found_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_requires_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_descriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_claim_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_telemetry, setup, teardown),
        cmocka_unit_test(test_file_database),
        cmocka_unit_test(test_old_database),
        cmocka_unit_test(test_open_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
