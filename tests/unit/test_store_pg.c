/* The store's tests (test_store.c) on PostgreSQL, plus what only a server
 * backend has: a pool used by many threads, a reconnect after the server
 * drops the connection, a second open that migrates nothing, and opening
 * by address.
 *
 * The server: TL_TEST_PG_URL, else this program runs itself again under
 * tests/services.sh, which starts a PostgreSQL cluster on loopback for the
 * run. When no server can be started the tests are skipped with a message
 * (a failure instead when TL_REQUIRE_SERVICES is set, as in CI). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/store.h"

#define TEST_STORE_NO_MAIN
static tl_err pg_open_fresh(tl_store **s);
#define TEST_STORE_OPEN(s) pg_open_fresh(s)
#include "test_store.c"

static const char *pg_url;

/* Runs sql on a connection of its own; 0 on success. */
static int admin(const char *sql)
{
    PGconn *c = PQconnectdb(pg_url);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!ok)
            fprintf(stderr, "admin: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(c);
    return ok ? 0 : -1;
}

/* An empty database, then the store on it. */
static tl_err pg_open_fresh(tl_store **s)
{
    if (admin("SET client_min_messages = warning; DROP SCHEMA public CASCADE;"
              " CREATE SCHEMA public") != 0)
        return TL_EIO;
    tl_store_pg_opts o = {.conninfo = pg_url, .pool_size = 3};
    return tl_store_open_pg(s, &o);
}

/* A second open sees the schema and migrates nothing; the data stays. */
static void test_reopen(void **state)
{
    tl_store *s = *state;
    int64_t id = add_resume(s, "{\"x\":1}");
    tl_store *t = NULL;
    tl_store_pg_opts o = {.conninfo = pg_url, .pool_size = 1};
    assert_int_equal(tl_store_open_pg(&t, &o), TL_OK);
    tl_store_resume *r = NULL;
    assert_int_equal(tl_store_resume_get(t, id, 0, &r), TL_OK);
    assert_string_equal(r->json, "{\"x\":1}");
    assert_string_equal(r->created_at + 19, r->created_at + strlen(r->created_at) - 5);
    assert_int_equal(r->created_at[strlen(r->created_at) - 1], 'Z');
    tl_store_resume_free(r);
    tl_store_destroy(t);

    PGconn *c = PQconnectdb(pg_url);
    PGresult *res = PQexec(c, "SELECT count(*), max(version) FROM schema_version");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_int_equal(strtol(PQgetvalue(res, 0, 0), NULL, 10), tl_store_pg_schema_version());
    assert_int_equal(strtol(PQgetvalue(res, 0, 1), NULL, 10), tl_store_pg_schema_version());
    PQclear(res);
    PQfinish(c);
}

/* The server ends every connection of the store: the next calls reconnect. */
static void test_reconnect(void **state)
{
    tl_store *s = *state;
    assert_int_equal(tl_store_ping(s), TL_OK);
    assert_int_equal(admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE application_name = 'tailor' AND pid <> pg_backend_pid()"),
                     0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(tl_store_ping(s), TL_OK);
    int64_t id = add_resume(s, "{}");
    assert_true(id > 0);
}

enum { THREADS = 8, PER_THREAD = 25 };

static void *adder(void *arg)
{
    tl_store *s = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        tl_store_call c = {.model = "m", .latency_ms = 1, .tokens_in = 1};
        if (tl_store_telemetry_record(s, &c) != TL_OK)
            return (void *)1;
        tl_store_resume_in in = {.format = "json", .json = "{}"};
        int64_t id = 0;
        if (tl_store_resume_add(s, &in, &id) != TL_OK)
            return (void *)1;
        int v = 0;
        if (tl_store_resume_add_version(s, id, &in, &v) != TL_OK || v != 2)
            return (void *)1;
    }
    return NULL;
}

/* More threads than connections: every call gets one in turn. */
static void test_threads(void **state)
{
    tl_store *s = *state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, s), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rv = NULL;
        pthread_join(t[i], &rv);
        assert_null(rv);
    }
    tl_store_model_stats m;
    assert_int_equal(tl_store_telemetry_get(s, "m", &m), TL_OK);
    assert_int_equal(m.calls, THREADS * PER_THREAD);
}

static void test_open_by_address(void **state)
{
    (void)state;
    assert_true(tl_store_address_is_pg("postgres://x@y/z"));
    assert_true(tl_store_address_is_pg("postgresql://x@y/z"));
    assert_false(tl_store_address_is_pg("tailor.db"));
    assert_false(tl_store_address_is_pg(NULL));
    tl_store *s = NULL;
    assert_int_equal(tl_store_open(&s, pg_url), TL_OK);
    assert_int_equal(tl_store_ping(s), TL_OK);
    tl_store_destroy(s);
    s = NULL;
    assert_int_equal(tl_store_open(&s, "sqlite::memory:"), TL_OK);
    assert_int_equal(tl_store_ping(s), TL_OK);
    tl_store_destroy(s);
    s = NULL;
    assert_int_equal(tl_store_open(&s, "postgres://nobody@127.0.0.1:1/none"), TL_EIO);
    assert_null(s);
    tl_store_pg_opts bad = {0};
    assert_int_equal(tl_store_open_pg(&s, &bad), TL_EINVAL);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)test_file_database; /* SQLite's own: test_store runs them */
    (void)test_open_fails_cleanly;
    (void)test_old_database;
    pg_url = getenv("TL_TEST_PG_URL");
    if (!pg_url || !*pg_url) {
        if (!getenv("TL_SERVICES_TRIED")) {
            /* Run again with a server of our own. */
            char *args[] = {"bash", TL_TEST_DATA "/../services.sh", "run", "--pg", "--", argv[0],
                            NULL};
            execvp("bash", args);
            perror("exec bash");
        }
        printf("SKIP: no PostgreSQL server (set TL_TEST_PG_URL, or install postgresql"
               " for tests/services.sh); the store tests on PostgreSQL did not run\n");
        return getenv("TL_REQUIRE_SERVICES") ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_not_found_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_requires_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_descriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_claim_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_telemetry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_router_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test(test_open_by_address),
    };
    return cmocka_run_group_tests_name("store_pg", tests, NULL, NULL);
}
