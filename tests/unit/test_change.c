/* Strengths and change lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tailor/change.h"

static void test_strength_parse(void **state)
{
    (void)state;
    tl_strength s;
    assert_int_equal(tl_strength_parse("conservative", &s), TL_OK);
    assert_int_equal(s, TL_STRENGTH_CONSERVATIVE);
    assert_int_equal(tl_strength_parse("BALANCED", &s), TL_OK);
    assert_int_equal(s, TL_STRENGTH_BALANCED);
    assert_int_equal(tl_strength_parse("Extensive", &s), TL_OK);
    assert_int_equal(s, TL_STRENGTH_EXTENSIVE);
    assert_int_equal(tl_strength_parse("1", &s), TL_OK);
    assert_int_equal(s, TL_STRENGTH_CONSERVATIVE);
    assert_int_equal(tl_strength_parse("3", &s), TL_OK);
    assert_int_equal(s, TL_STRENGTH_EXTENSIVE);
    s = TL_STRENGTH_BALANCED;
    assert_int_equal(tl_strength_parse("HUGE", &s), TL_EINVAL);
    assert_int_equal(tl_strength_parse("4", &s), TL_EINVAL);
    assert_int_equal(tl_strength_parse("", &s), TL_EINVAL);
    assert_int_equal(tl_strength_parse(NULL, &s), TL_EINVAL);
    assert_int_equal(s, TL_STRENGTH_BALANCED); /* untouched on failure */
    assert_string_equal(tl_strength_name(TL_STRENGTH_CONSERVATIVE), "CONSERVATIVE");
    assert_string_equal(tl_strength_name(TL_STRENGTH_BALANCED), "BALANCED");
    assert_string_equal(tl_strength_name(TL_STRENGTH_EXTENSIVE), "EXTENSIVE");
}

static void test_kind_names(void **state)
{
    (void)state;
    static const char *const names[] = {"term",  "reorder", "rewrite", "summary",
                                        "tense", "style",   "repeated"};
    for (int k = TL_CHANGE_TERM; k <= TL_CHANGE_REPEATED; k++)
        assert_string_equal(tl_change_kind_name((tl_change_kind)k), names[k]);
}

static void test_add_and_extend(void **state)
{
    (void)state;
    tl_changes *c = tl_changes_new();
    assert_non_null(c);
    char before[] = "Built on kafka";
    assert_int_equal(tl_changes_add(c, TL_CHANGE_TERM, "work[0].highlights[1]", before,
                                    "Built on Kafka", "respelled %s as %s, the job's spelling",
                                    "kafka", "Kafka"),
                     TL_OK);
    before[0] = 'X'; /* the list holds its own copies */
    assert_int_equal(
        tl_changes_add(c, TL_CHANGE_SUMMARY, "basics.summary", NULL, "Engineer.", NULL), TL_OK);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->items[0].kind, TL_CHANGE_TERM);
    assert_string_equal(c->items[0].id, "work[0].highlights[1]");
    assert_string_equal(c->items[0].before, "Built on kafka");
    assert_string_equal(c->items[0].after, "Built on Kafka");
    assert_string_equal(c->items[0].reason, "respelled kafka as Kafka, the job's spelling");
    assert_null(c->items[1].before);
    assert_null(c->items[1].reason);

    tl_changes *all = tl_changes_new();
    assert_non_null(all);
    assert_int_equal(tl_changes_extend(all, c), TL_OK);
    assert_int_equal(tl_changes_extend(all, all), TL_OK); /* doubling itself is fine */
    assert_int_equal(all->n, 4);
    assert_string_equal(all->items[3].after, "Engineer.");
    assert_int_equal(all->items[2].kind, TL_CHANGE_TERM);
    tl_changes_free(c);
    tl_changes_free(all);
    tl_changes_free(NULL);
}

static void test_many_changes(void **state)
{
    (void)state;
    tl_changes *c = tl_changes_new();
    assert_non_null(c);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(tl_changes_add(c, TL_CHANGE_STYLE, "x", "a", "b", "n=%d", i), TL_OK);
    assert_int_equal(c->n, 1000);
    assert_string_equal(c->items[999].reason, "n=999");
    assert_int_equal(tl_changes_add(NULL, TL_CHANGE_STYLE, "x", NULL, NULL, NULL), TL_EINVAL);
    tl_changes_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strength_parse),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_add_and_extend),
        cmocka_unit_test(test_many_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
