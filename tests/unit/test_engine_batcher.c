/* Batcher: grouping by key, size and token bounds, the delay bound,
 * removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/batcher.h"
#include "engine/clock.h"

#define MS TL_NS_PER_MS
#define T0 (1000 * TL_NS_PER_SEC)

static tl_batcher *make(unsigned max_batch, uint64_t max_tokens)
{
    tl_batcher_opts o;
    tl_batcher_opts_default(&o);
    o.max_batch = max_batch;
    o.max_batch_tokens = max_tokens;
    tl_batcher *b = NULL;
    assert_int_equal(tl_batcher_create(&b, &o), TL_OK);
    return b;
}

static bool in_batch(const tl_batch *b, const tl_batch_item *it)
{
    for (const tl_batch_item *x = b->head; x; x = x->next)
        if (x == it)
            return true;
    return false;
}

/* Same key: one batch, handed out when it reaches max_batch; other keys
 * gather apart. */
static void test_grouping(void **state)
{
    (void)state;
    tl_batcher *b = make(4, 10000);
    tl_batch_item it[8];
    tl_batch ready;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tl_batcher_add(b, &it[i], 1, 10, T0, &ready), TL_OK);
        assert_int_equal(ready.n, 0);
    }
    assert_int_equal(tl_batcher_add(b, &it[3], 2, 10, T0, &ready), TL_OK); /* other key */
    assert_int_equal(ready.n, 0);
    assert_int_equal(tl_batcher_len(b), 4);
    assert_int_equal(tl_batcher_add(b, &it[4], 1, 10, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 4);
    assert_int_equal(ready.key, 1);
    assert_int_equal(ready.tokens, 40);
    assert_ptr_equal(ready.head, &it[0]); /* oldest first */
    assert_false(in_batch(&ready, &it[3]));
    assert_int_equal(tl_batcher_len(b), 1);
    tl_batcher_destroy(b);
}

/* A task that would take a batch past max_batch_tokens sends the open
 * batch and starts a new one; a heavy task alone goes at once. */
static void test_token_bound(void **state)
{
    (void)state;
    tl_batcher *b = make(8, 100);
    tl_batch_item it[4];
    tl_batch ready;
    assert_int_equal(tl_batcher_add(b, &it[0], 1, 40, T0, &ready), TL_OK);
    assert_int_equal(tl_batcher_add(b, &it[1], 1, 40, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 0);
    assert_int_equal(tl_batcher_add(b, &it[2], 1, 40, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 2);
    assert_int_equal(ready.tokens, 80);
    assert_false(in_batch(&ready, &it[2]));
    assert_int_equal(tl_batcher_len(b), 1);
    tl_batcher_destroy(b);

    b = make(8, 100);
    assert_int_equal(tl_batcher_add(b, &it[3], 5, 150, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 1);
    assert_ptr_equal(ready.head, &it[3]);
    tl_batcher_destroy(b);
}

/* A per-add bound narrows the batcher's own, never widens it. */
static void test_capped_add(void **state)
{
    (void)state;
    tl_batcher *b = make(8, 100);
    tl_batch_item it[5];
    tl_batch ready;
    assert_int_equal(tl_batcher_add_capped(b, &it[0], 1, 30, 50, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 0);
    assert_int_equal(tl_batcher_add_capped(b, &it[1], 1, 30, 50, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 1); /* 60 > 50: the first goes alone */
    assert_ptr_equal(ready.head, &it[0]);
    /* 0 and a bound above the batcher's mean the batcher's (100). */
    assert_int_equal(tl_batcher_add_capped(b, &it[2], 1, 30, 0, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 0);
    assert_int_equal(tl_batcher_add_capped(b, &it[3], 1, 30, 1000, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 0);
    assert_int_equal(tl_batcher_add_capped(b, &it[4], 1, 30, 1000, T0, &ready), TL_OK);
    assert_int_equal(ready.n, 3); /* 120 > 100 */
    assert_int_equal(ready.tokens, 90);
    tl_batcher_destroy(b);
}

/* No item waits longer than max_queue_delay: due exactly then, not before. */
static void test_delay_bound(void **state)
{
    (void)state;
    tl_batcher *b = make(8, 10000);
    tl_batch_item it[3];
    tl_batch ready;
    assert_int_equal(tl_batcher_next_due(b), UINT64_MAX);
    assert_int_equal(tl_batcher_add(b, &it[0], 1, 10, T0, &ready), TL_OK);
    assert_int_equal(tl_batcher_add(b, &it[1], 1, 10, T0 + 5 * MS, &ready), TL_OK);
    assert_int_equal(tl_batcher_add(b, &it[2], 2, 10, T0 + 10 * MS, &ready), TL_OK);
    assert_int_equal(tl_batcher_next_due(b), T0 + 20 * MS);
    assert_false(tl_batcher_due(b, T0 + 20 * MS - 1, &ready));
    assert_true(tl_batcher_due(b, T0 + 20 * MS, &ready));
    assert_int_equal(ready.n, 2); /* the later companion goes with the oldest */
    assert_false(tl_batcher_due(b, T0 + 20 * MS, &ready));
    assert_int_equal(tl_batcher_next_due(b), T0 + 30 * MS);
    assert_true(tl_batcher_due(b, T0 + 31 * MS, &ready));
    assert_int_equal(ready.n, 1);
    assert_int_equal(tl_batcher_len(b), 0);
    tl_batcher_destroy(b);
}

static void test_remove_and_flush(void **state)
{
    (void)state;
    tl_batcher *b = make(8, 10000);
    tl_batch_item it[3];
    tl_batch ready;
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_batcher_add(b, &it[i], 1, 10, T0, &ready), TL_OK);
    assert_int_equal(tl_batcher_remove(b, &it[1]), TL_OK);
    assert_int_equal(tl_batcher_remove(b, &it[1]), TL_ENOTFOUND);
    assert_true(tl_batcher_flush(b, 1, &ready));
    assert_int_equal(ready.n, 2);
    assert_int_equal(ready.tokens, 20);
    assert_false(in_batch(&ready, &it[1]));
    assert_false(tl_batcher_flush(b, 1, &ready));
    assert_false(tl_batcher_flush(b, 9, &ready));
    tl_batcher_destroy(b);
}

/* A tag (the engine's job) flushes its open batches, due or not; other
 * tags stay. Emptied keys leave no trace. */
static void test_flush_tag(void **state)
{
    (void)state;
    tl_batcher *b = make(8, 10000);
    tl_batch_item it[4];
    tl_batch ready;
    for (int i = 0; i < 4; i++) {
        it[i].tag = i < 3 ? 7 : 9;
        assert_int_equal(
            tl_batcher_add(b, &it[i], (uint64_t)(i % 2 + (i == 3) * 10), 10, T0, &ready), TL_OK);
    }
    size_t got = 0;
    while (tl_batcher_flush_tag(b, 7, &ready)) {
        for (const tl_batch_item *x = ready.head; x; x = x->next)
            assert_int_equal(x->tag, 7);
        got += ready.n;
    }
    assert_int_equal(got, 3);
    assert_int_equal(tl_batcher_len(b), 1);
    assert_int_equal(tl_batcher_next_due(b), T0 + 20 * MS);
    assert_true(tl_batcher_flush_tag(b, 9, &ready));
    assert_int_equal(tl_batcher_next_due(b), UINT64_MAX);
    /* many keys over time: only open ones are kept */
    for (uint64_t k = 0; k < 10000; k++) {
        assert_int_equal(tl_batcher_add(b, &it[0], 100 + k, 10, T0, &ready), TL_OK);
        assert_true(tl_batcher_flush(b, 100 + k, &ready));
    }
    assert_int_equal(tl_batcher_len(b), 0);
    tl_batcher_destroy(b);
}

static void test_bad_options(void **state)
{
    (void)state;
    tl_batcher_opts o;
    tl_batcher_opts_default(&o);
    assert_int_equal(o.max_batch, 8);
    assert_int_equal(o.max_queue_delay_ns, 20 * MS);
    o.max_batch = 0;
    tl_batcher *b = NULL;
    assert_int_equal(tl_batcher_create(&b, &o), TL_EINVAL);
    assert_null(b);
    tl_batcher_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),         cmocka_unit_test(test_token_bound),
        cmocka_unit_test(test_capped_add),       cmocka_unit_test(test_delay_bound),
        cmocka_unit_test(test_remove_and_flush), cmocka_unit_test(test_flush_tag),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
