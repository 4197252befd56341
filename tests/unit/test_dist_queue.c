/* The Redis Streams task queue against a real redis-server: bands in
 * order, results stored once and announced once, acknowledgement after
 * the result, a dead consumer's task reclaimed, the delivery limit and the
 * dead-letter stream, and a Redis that drops connections and forgets
 * everything (as a restart without persistence does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_dist_fx.h"

static int prefix_seq;

static tl_dist_queue *open_q(const char *prefix, uint64_t claim_idle_ms, unsigned max_deliveries)
{
    tl_dist_queue_opts o;
    tl_dist_queue_opts_default(&o);
    o.url = redis_url;
    o.prefix = prefix;
    o.claim_idle_ms = claim_idle_ms;
    o.max_deliveries = max_deliveries;
    tl_dist_queue *q = NULL;
    assert_int_equal(tl_dist_queue_create(&q, &o), TL_OK);
    return q;
}

static void new_prefix(char *p, size_t n)
{
    snprintf(p, n, "tq%d-%ld", ++prefix_seq, (long)getpid());
}

static void test_parse_url(void **state)
{
    (void)state;
    char h[64];
    int port = 0, db = -1;
    assert_int_equal(tl_dist_parse_url("redis://127.0.0.1:6380", h, sizeof h, &port, &db), TL_OK);
    assert_string_equal(h, "127.0.0.1");
    assert_int_equal(port, 6380);
    assert_int_equal(db, 0);
    assert_int_equal(tl_dist_parse_url("redis://cache/2", h, sizeof h, &port, &db), TL_OK);
    assert_string_equal(h, "cache");
    assert_int_equal(port, 6379);
    assert_int_equal(db, 2);
    assert_int_equal(tl_dist_parse_url("http://x", h, sizeof h, &port, &db), TL_EINVAL);
    assert_int_equal(tl_dist_parse_url("redis://x:0", h, sizeof h, &port, &db), TL_EINVAL);
    assert_int_equal(tl_dist_parse_url("redis://x:1/a", h, sizeof h, &port, &db), TL_EINVAL);
    assert_int_equal(tl_dist_parse_url("redis://", h, sizeof h, &port, &db), TL_EINVAL);
    tl_dist_queue *q = NULL;
    tl_dist_queue_opts o;
    tl_dist_queue_opts_default(&o);
    o.url = "redis://127.0.0.1:1";
    assert_int_equal(tl_dist_queue_create(&q, &o), TL_EIO);
    assert_null(q);
}

/* Higher bands first; within a band, in order. */
static void test_bands_in_order(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *q = open_q(p, 60000, 3);
    assert_int_equal(tl_dist_enqueue(q, 0, "low", "rep", "l", 1), TL_OK);
    assert_int_equal(tl_dist_enqueue(q, 2, "high1", "rep", "h1", 2), TL_OK);
    assert_int_equal(tl_dist_enqueue(q, 1, "mid", "rep", "m", 1), TL_OK);
    assert_int_equal(tl_dist_enqueue(q, 9, "high2", "rep", "h2", 2), TL_OK); /* clamped */
    const char *want[] = {"high1", "high2", "mid", "low"};
    for (int i = 0; i < 4; i++) {
        tl_dist_msg *m = NULL;
        assert_int_equal(tl_dist_take(q, 100, &m), TL_OK);
        assert_string_equal(m->task_id, want[i]);
        assert_string_equal(m->reply, "rep");
        assert_int_equal(m->deliveries, 1);
        assert_false(m->dead);
        bool first = false;
        assert_int_equal(tl_dist_complete(q, m, m->payload, m->len, &first), TL_OK);
        assert_true(first);
        tl_dist_msg_free(m);
    }
    tl_dist_msg *none = NULL;
    assert_int_equal(tl_dist_take(q, 50, &none), TL_ENOTFOUND);
    assert_null(none);

    char last[48] = "0";
    tl_dist_result *res = NULL;
    size_t n = 0;
    assert_int_equal(tl_dist_read_results(q, "rep", last, 0, &res, &n), TL_OK);
    assert_int_equal(n, 4);
    assert_string_equal(res[0].task_id, "high1");
    assert_string_equal(res[0].result, "h1");
    tl_dist_results_free(res, n);
    assert_int_equal(tl_dist_read_results(q, "rep", last, 0, &res, &n), TL_OK);
    assert_int_equal(n, 0);
    assert_null(res);

    tl_dist_queue_stats st;
    assert_int_equal(tl_dist_queue_stats_get(q, &st), TL_OK);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.queued, 0); /* done entries leave the streams */
    assert_int_equal(st.dead, 0);
    tl_dist_queue_destroy(q);
}

/* Priorities pick bands: the summary of an ordinary job (300) goes to the
 * highest, a role (200) to the middle, education (80) to the lowest, and a
 * job's own priority moves its tasks. Through the remote provider, calls
 * are taken highest band first whatever their order of submission. */
static void ignore_answer(void *ud, const tl_chat_response *r)
{
    (void)ud;
    (void)r;
}

static void test_priority_bands(void **state)
{
    (void)state;
    assert_int_equal(tl_dist_band_for(300, 3), 2);
    assert_int_equal(tl_dist_band_for(250, 3), 2);
    assert_int_equal(tl_dist_band_for(200, 3), 1);
    assert_int_equal(tl_dist_band_for(100, 3), 1);
    assert_int_equal(tl_dist_band_for(80, 3), 0);
    assert_int_equal(tl_dist_band_for(80 + 500, 3), 2);  /* an urgent job */
    assert_int_equal(tl_dist_band_for(300 - 500, 3), 0); /* a background job */
    assert_int_equal(tl_dist_band_for(300, 1), 0);
    assert_int_equal(tl_dist_band_for(200, 2), 0);
    assert_int_equal(tl_dist_band_for(100, 5), 1);
    assert_int_equal(tl_dist_band_for(249, 5), 3);

    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_remote_opts ro = {0};
    ro.url = redis_url;
    ro.prefix = p;
    tl_provider *remote = NULL;
    assert_int_equal(tl_dist_remote_create(&ro, &remote), TL_OK);
    const int32_t prio[] = {80, 200, 300};
    for (int i = 0; i < 3; i++) {
        char user[16];
        snprintf(user, sizeof user, "task %d", prio[i]);
        tl_chat_request req = {0};
        req.user = user;
        req.has_priority = true;
        req.priority = prio[i];
        uint64_t id = 0;
        assert_int_equal(tl_provider_submit(remote, &req, ignore_answer, NULL, &id), TL_OK);
    }
    tl_dist_queue *q = open_q(p, 60000, 3);
    const unsigned want[] = {2, 1, 0};
    for (int i = 0; i < 3; i++) {
        tl_dist_msg *m = NULL;
        assert_int_equal(tl_dist_take(q, 500, &m), TL_OK);
        assert_int_equal(m->band, want[i]);
        tl_dist_msg_free(m);
    }
    tl_dist_queue_destroy(q);
    tl_provider_destroy(remote);
}

static long long pending_on(const char *prefix, unsigned band)
{
    char key[64];
    snprintf(key, sizeof key, "%s:tasks:%u", prefix, band);
    redisReply *r = fx_cmd("XPENDING %s workers", key);
    long long n = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                          r->element[0]->type == REDIS_REPLY_INTEGER
                      ? r->element[0]->integer
                      : -1;
    if (r)
        freeReplyObject(r);
    return n;
}

/* One band at a time: while a higher band has work, a take delivers
 * nothing of the lower ones (an entry delivered and held would grow idle
 * and be reclaimed by another worker), so the next worker gets the lower
 * band's first entry, and a higher entry enqueued meanwhile still goes
 * first. */
static void test_one_band_at_a_time(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *a = open_q(p, 60000, 3), *b = open_q(p, 60000, 3);
    assert_int_equal(tl_dist_enqueue(a, 0, "low1", "rep", "l", 1), TL_OK);
    assert_int_equal(tl_dist_enqueue(a, 0, "low2", "rep", "l", 1), TL_OK);
    assert_int_equal(tl_dist_enqueue(a, 1, "mid1", "rep", "m", 1), TL_OK);
    assert_int_equal(tl_dist_enqueue(a, 2, "high1", "rep", "h", 1), TL_OK);
    tl_dist_msg *m[5] = {NULL};
    assert_int_equal(tl_dist_take(a, 100, &m[0]), TL_OK);
    assert_string_equal(m[0]->task_id, "high1");
    assert_int_equal(pending_on(p, 2), 1);
    assert_int_equal(pending_on(p, 1), 0); /* nothing of the lower bands delivered */
    assert_int_equal(pending_on(p, 0), 0);
    assert_int_equal(tl_dist_enqueue(b, 2, "high2", "rep", "h", 1), TL_OK);
    assert_int_equal(tl_dist_take(b, 100, &m[1]), TL_OK);
    assert_string_equal(m[1]->task_id, "high2");
    assert_int_equal(tl_dist_take(b, 100, &m[2]), TL_OK);
    assert_string_equal(m[2]->task_id, "mid1");
    assert_int_equal(pending_on(p, 0), 0);
    assert_int_equal(tl_dist_take(a, 100, &m[3]), TL_OK);
    assert_string_equal(m[3]->task_id, "low1");
    assert_int_equal(tl_dist_take(b, 100, &m[4]), TL_OK);
    assert_string_equal(m[4]->task_id, "low2");
    tl_dist_msg *none = NULL;
    assert_int_equal(tl_dist_take(a, 50, &none), TL_ENOTFOUND);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(tl_dist_complete(i % 2 ? b : a, m[i], "r", 1, NULL), TL_OK);
        tl_dist_msg_free(m[i]);
    }
    assert_int_equal(pending_on(p, 0) + pending_on(p, 1) + pending_on(p, 2), 0);
    tl_dist_queue_destroy(b);
    tl_dist_queue_destroy(a);
}

/* A task done twice yields one stored and one announced result. */
static void test_idempotent_results(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *q = open_q(p, 60000, 3);
    char rep[48];
    snprintf(rep, sizeof rep, "%s:rep", p);
    const char bin[] = {'a', 0, 'b'};
    assert_int_equal(tl_dist_enqueue(q, 1, "t1", rep, bin, sizeof bin), TL_OK);
    tl_dist_msg *m = NULL;
    assert_int_equal(tl_dist_take(q, 100, &m), TL_OK);
    assert_int_equal(m->len, 3);
    assert_memory_equal(m->payload, bin, 3);
    bool first = false;
    assert_int_equal(tl_dist_complete(q, m, "one", 3, &first), TL_OK);
    assert_true(first);
    assert_int_equal(tl_dist_complete(q, m, "two", 3, &first), TL_OK);
    assert_false(first);
    tl_dist_msg_free(m);
    tl_buf b;
    tl_buf_init(&b, 1024);
    assert_int_equal(tl_dist_result_get(q, "t1", &b), TL_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "one", 3);
    tl_buf_free(&b);
    tl_buf_init(&b, 1024);
    assert_int_equal(tl_dist_result_get(q, "nope", &b), TL_ENOTFOUND);
    tl_buf_free(&b);
    char last[48] = "0";
    tl_dist_result *res = NULL;
    size_t n = 0;
    assert_int_equal(tl_dist_read_results(q, rep, last, 0, &res, &n), TL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(res[0].result, "one");
    tl_dist_results_free(res, n);
    tl_dist_queue_destroy(q);
}

/* A consumer takes a task and dies; after claim_idle_ms another takes it
 * over (delivery 2), and the group ends with nothing pending. */
static void test_reclaim_dead_consumer(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *a = open_q(p, 150, 3);
    tl_dist_queue *b = open_q(p, 150, 3);
    assert_int_equal(tl_dist_enqueue(a, 1, "job:1", "rep", "x", 1), TL_OK);
    tl_dist_msg *m = NULL;
    assert_int_equal(tl_dist_take(a, 100, &m), TL_OK);
    tl_dist_msg_free(m);
    tl_dist_queue_destroy(a); /* dies without acknowledging */

    m = NULL;
    assert_int_equal(tl_dist_take(b, 50, &m), TL_ENOTFOUND); /* not idle long enough */
    fx_sleep_ms(200);
    tl_err e = TL_ENOTFOUND;
    for (int i = 0; i < 20 && e == TL_ENOTFOUND; i++)
        e = tl_dist_take(b, 50, &m);
    assert_int_equal(e, TL_OK);
    assert_string_equal(m->task_id, "job:1");
    assert_int_equal(m->deliveries, 2);
    assert_false(m->dead);
    assert_int_equal(tl_dist_complete(b, m, "r", 1, NULL), TL_OK);
    tl_dist_msg_free(m);
    tl_dist_queue_stats st;
    assert_int_equal(tl_dist_queue_stats_get(b, &st), TL_OK);
    assert_int_equal(st.pending, 0);
    tl_dist_queue_destroy(b);
}

/* Over max_deliveries the task is dead-lettered and handed out marked. */
static void test_delivery_limit(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *q = open_q(p, 60, 2);
    assert_int_equal(tl_dist_enqueue(q, 0, "poison", "rep", "x", 1), TL_OK);
    unsigned seen = 0;
    tl_dist_msg *m = NULL;
    for (int round = 0; round < 3; round++) {
        tl_err e = TL_ENOTFOUND;
        for (int i = 0; i < 40 && e == TL_ENOTFOUND; i++) {
            e = tl_dist_take(q, 20, &m);
            if (e == TL_ENOTFOUND)
                fx_sleep_ms(10);
        }
        assert_int_equal(e, TL_OK);
        seen = m->deliveries;
        if (round < 2) {
            assert_false(m->dead);
            tl_dist_msg_free(m); /* "crashes" on it */
            m = NULL;
        }
    }
    assert_int_equal(seen, 3);
    assert_true(m->dead);
    assert_int_equal(tl_dist_complete(q, m, "local", 5, NULL), TL_OK);
    tl_dist_msg_free(m);
    tl_dist_queue_stats st;
    assert_int_equal(tl_dist_queue_stats_get(q, &st), TL_OK);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.pending, 0);
    tl_dist_queue_destroy(q);
}

/* Connections dropped and everything forgotten: the calls reconnect,
 * the group is made again, the epoch says a reconnect happened. */
static void test_redis_forgets(void **state)
{
    (void)state;
    char p[32];
    new_prefix(p, sizeof p);
    tl_dist_queue *q = open_q(p, 60000, 3);
    tl_dist_queue *w = open_q(p, 60000, 3);
    assert_int_equal(tl_dist_epoch(q), 0);
    fx_do("FLUSHALL", NULL);
    fx_do("CLIENT KILL TYPE %s", "normal");
    /* The producer's first call after the drop reconnects. */
    assert_int_equal(tl_dist_enqueue(q, 1, "after", "rep", "y", 1), TL_OK);
    assert_int_equal(tl_dist_epoch(q), 1);
    tl_dist_msg *m = NULL;
    tl_err e = TL_EIO;
    for (int i = 0; i < 5 && e != TL_OK; i++)
        e = tl_dist_take(w, 100, &m);
    assert_int_equal(e, TL_OK);
    assert_string_equal(m->task_id, "after");
    assert_int_equal(tl_dist_complete(w, m, "z", 1, NULL), TL_OK);
    tl_dist_msg_free(m);
    /* The complete script is loaded again after SCRIPT FLUSH. */
    fx_do("SCRIPT FLUSH", NULL);
    assert_int_equal(tl_dist_enqueue(q, 1, "again", "rep", "y", 1), TL_OK);
    assert_int_equal(tl_dist_take(w, 100, &m), TL_OK);
    assert_int_equal(tl_dist_complete(w, m, "z", 1, NULL), TL_OK);
    tl_dist_msg_free(m);
    tl_dist_queue_destroy(w);
    tl_dist_queue_destroy(q);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!fx_redis_or_skip(argv))
        return getenv("TL_REQUIRE_SERVICES") ? 1 : 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),          cmocka_unit_test(test_bands_in_order),
        cmocka_unit_test(test_idempotent_results), cmocka_unit_test(test_reclaim_dead_consumer),
        cmocka_unit_test(test_delivery_limit),     cmocka_unit_test(test_redis_forgets),
        cmocka_unit_test(test_priority_bands),     cmocka_unit_test(test_one_band_at_a_time),
    };
    return cmocka_run_group_tests_name("dist_queue", tests, NULL, NULL);
}
