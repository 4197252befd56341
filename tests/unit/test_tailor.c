/* One customization end to end, and its JSON result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/guard.h"
#include "tailor/tailor.h"
#include "util/file.h"
#include "util/limits.h"

static tl_terms *terms;

static tl_resume *load_resume(const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_RESUME_BYTES, &text, &n), TL_OK);
    tl_resume *r = NULL;
    assert_int_equal(tl_resume_parse(text, n, TL_FORMAT_AUTO, &r, NULL), TL_OK);
    free(text);
    return r;
}

static tl_job *load_job(const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n), TL_OK);
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(text, n, terms, &j, NULL), TL_OK);
    free(text);
    return j;
}

static bool has_missing(const tl_score *s, const char *term)
{
    for (size_t i = 0; i < s->n_missing; i++)
        if (strcmp(s->missing[i].term, term) == 0)
            return true;
    return false;
}

static bool has_change(const tl_changes *ch, tl_change_kind kind)
{
    for (size_t i = 0; i < ch->n; i++)
        if (ch->items[i].kind == kind)
            return true;
    return false;
}

typedef struct progress {
    int calls, last_done, total;
} progress;

static void on_progress(void *ud, int done, int total)
{
    progress *p = ud;
    p->calls++;
    assert_true(done > p->last_done);
    p->last_done = done;
    p->total = total;
}

static void test_backend(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    progress p = {0, 0, 0};
    tl_customize_opts opts = {.strength = 0, .progress = on_progress, .progress_ud = &p};
    tl_result *res = NULL;
    assert_int_equal(tl_customize(r, j, terms, &opts, &res), TL_OK);
    assert_true(res->after->score > res->before->score);
    assert_int_equal(res->after->coverage, res->before->coverage); /* nothing added */
    assert_true(has_missing(res->after, "gRPC"));
    assert_int_equal(res->subsections, 8);
    assert_int_equal(p.calls, 8);
    assert_int_equal(p.last_done, p.total);
    assert_true(res->elapsed_ms > 0);
    assert_true(has_change(res->changes, TL_CHANGE_TERM));
    assert_true(has_change(res->changes, TL_CHANGE_REORDER));
    const tl_entry *w0 = &tl_resume_find_section(res->tailored, TL_SEC_WORK)->entries[0];
    bool go = false;
    for (size_t i = 0; i < w0->n_bullets; i++) {
        assert_null(strstr(w0->bullets[i], "golang"));
        go = go || strstr(w0->bullets[i], "ledger service in Go") != NULL;
    }
    assert_true(go);
    /* The input is left as it was. */
    assert_string_equal(tl_resume_find_section(r, TL_SEC_WORK)->entries[0].bullets[0],
                        "Led the redesign of the ledger service in golang, cutting p99 latency "
                        "from 480ms to 95ms");
    tl_result_free(res);
    tl_job_free(j);
    tl_resume_free(r);
}

/* "Responsible for ..." is rewritten at EXTENSIVE and the result passes the
 * fact guard. */
static void test_extensive_hand_built(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Dana Fox"), TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Backend Engineer"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "Globex"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, "2019-04"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->end_date, "2023-08"), TL_OK);
    static const char *const b[] = {"Responsible for the payments API in golang",
                                    "Responsible for maintaining 12 kafka consumers",
                                    "Assisted in the migration to postgres"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, b[i], strlen(b[i])), TL_OK);
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_customize_opts opts = {.strength = TL_STRENGTH_EXTENSIVE};
    tl_result *res = NULL;
    assert_int_equal(tl_customize(r, j, terms, &opts, &res), TL_OK);
    const tl_entry *t = &tl_resume_find_section(res->tailored, TL_SEC_WORK)->entries[0];
    for (size_t i = 0; i < t->n_bullets; i++) {
        assert_null(strstr(t->bullets[i], "Responsible for"));
        assert_null(strstr(t->bullets[i], "Assisted in"));
    }
    bool maintained = false, api = false;
    for (size_t i = 0; i < t->n_bullets; i++) {
        maintained = maintained || strcmp(t->bullets[i], "Maintained 12 Kafka consumers") == 0;
        api = api || strcmp(t->bullets[i], "Developed the payments API in Go") == 0;
    }
    assert_true(maintained);
    assert_true(api);
    assert_true(has_change(res->changes, TL_CHANGE_REWRITE));
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(r, j, terms, &g), TL_OK);
    tl_guard_finding f;
    if (tl_guard_check_resume(g, res->tailored, &f) != TL_OK)
        fail_msg("guard: %s \"%s\" at %s", tl_fact_kind_name(f.kind), f.text, f.id);
    tl_guard_free(g);
    tl_result_free(res);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_result_json(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    tl_result *res = NULL;
    assert_int_equal(tl_customize(r, j, terms, NULL, &res), TL_OK);
    char *text = NULL;
    assert_int_equal(tl_result_to_json(res, TL_FORMAT_AUTO, &text), TL_OK);
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(o);
    json_t *resume = json_object_get(o, "resume");
    assert_true(json_is_object(resume));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(resume, "basics"), "name")), "Alex Chen");
    assert_string_equal(json_string_value(json_object_get(o, "format")), "json");
    assert_null(json_object_get(o, "rendered")); /* JSON needs no second rendering */
    json_t *score = json_object_get(o, "score");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(score, "before"), "score")),
                     res->before->score);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(score, "after"), "score")),
                     res->after->score);
    json_t *missing = json_object_get(o, "missing_keywords");
    assert_int_equal(json_array_size(missing), res->after->n_missing);
    assert_non_null(json_object_get(json_array_get(missing, 0), "job_count"));
    json_t *changes = json_object_get(o, "changes");
    assert_int_equal(json_array_size(changes), res->changes->n);
    json_t *c0 = json_array_get(changes, 0);
    assert_non_null(json_string_value(json_object_get(c0, "kind")));
    assert_non_null(json_string_value(json_object_get(c0, "id")));
    assert_non_null(json_object_get(c0, "before"));
    assert_non_null(json_string_value(json_object_get(c0, "reason")));
    json_t *metrics = json_object_get(o, "metrics");
    assert_true(json_is_number(json_object_get(metrics, "elapsed_ms")));
    assert_int_equal(json_integer_value(json_object_get(metrics, "subsections")), 8);
    json_decref(o);

    /* Asked for Markdown: the rendering comes along. */
    assert_int_equal(tl_result_to_json(res, TL_FORMAT_MARKDOWN, &text), TL_OK);
    o = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "format")), "markdown");
    const char *md = json_string_value(json_object_get(o, "rendered"));
    assert_non_null(md);
    assert_non_null(strstr(md, "Alex Chen"));
    assert_non_null(strstr(md, "Lumen Payments"));
    json_decref(o);
    tl_result_free(res);
    tl_job_free(j);
    tl_resume_free(r);
}

/* A Markdown resume comes back as Markdown by default. */
static void test_markdown_input(void **state)
{
    (void)state;
    tl_resume *r = load_resume("maria-lopez.md");
    tl_job *j = load_job("analytics-engineer.txt");
    tl_result *res = NULL;
    tl_customize_opts opts = {.strength = TL_STRENGTH_EXTENSIVE};
    assert_int_equal(tl_customize(r, j, terms, &opts, &res), TL_OK);
    assert_true(res->after->score >= res->before->score);
    char *text = NULL;
    assert_int_equal(tl_result_to_json(res, TL_FORMAT_AUTO, &text), TL_OK);
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    assert_string_equal(json_string_value(json_object_get(o, "format")), "markdown");
    assert_non_null(strstr(json_string_value(json_object_get(o, "rendered")), "## "));
    json_decref(o);
    tl_result_free(res);
    tl_job_free(j);
    tl_resume_free(r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The embedded engine is fast: the median customization (parsed inputs)
 * stays far below the 2 ms a whole request may take. The bound here is
 * loose so that sanitizer builds pass; the benchmark measures precisely. */
static void test_speed(void **state)
{
    (void)state;
    tl_resume *r = load_resume("alex-chen.json");
    tl_job *j = load_job("senior-backend-engineer.txt");
    double t[51];
    for (int i = 0; i < 51; i++) {
        tl_result *res = NULL;
        assert_int_equal(tl_customize(r, j, terms, NULL, &res), TL_OK);
        t[i] = res->elapsed_ms;
        tl_result_free(res);
    }
    qsort(t, 51, sizeof t[0], cmp_double);
    print_message("median customization: %.3f ms\n", t[25]);
    assert_true(t[25] < 50.0);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tl_result *res = (tl_result *)0x1;
    assert_int_equal(tl_customize(NULL, NULL, terms, NULL, &res), TL_EINVAL);
    assert_ptr_equal(res, (tl_result *)0x1);
    char *text = NULL;
    assert_int_equal(tl_result_to_json(NULL, TL_FORMAT_JSON, &text), TL_EINVAL);
    tl_result_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    return tl_terms_load_default(&terms) == TL_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tl_terms_free(terms);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend),     cmocka_unit_test(test_extensive_hand_built),
        cmocka_unit_test(test_result_json), cmocka_unit_test(test_markdown_input),
        cmocka_unit_test(test_speed),       cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
