/* The match score on the fixtures: what a user reads in `tailor score`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/match.h"
#include "tailor/score.h"
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

static const tl_score_keyword *find_kw(const tl_score_keyword *k, size_t n, const char *term)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k[i].term, term) == 0)
            return &k[i];
    return NULL;
}

static const tl_score_keyword *matched(const tl_score *s, const char *term)
{
    return find_kw(s->matched, s->n_matched, term);
}

static const tl_score_keyword *missing(const tl_score *s, const char *term)
{
    return find_kw(s->missing, s->n_missing, term);
}

static int section_score(const tl_score *s, const char *key)
{
    for (size_t i = 0; i < s->n_sections; i++)
        if (strcmp(s->sections[i].key, key) == 0)
            return s->sections[i].score;
    return -1;
}

static tl_score *score_of(const char *resume, const char *job, tl_resume **r_out, tl_job **j_out)
{
    tl_resume *r = load_resume(resume);
    tl_job *j = load_job(job);
    tl_score *s = NULL;
    assert_int_equal(tl_score_compute(r, j, terms, &s), TL_OK);
    *r_out = r;
    *j_out = j;
    return s;
}

static void test_backend(void **state)
{
    (void)state;
    tl_resume *r;
    tl_job *j;
    tl_score *s = score_of("alex-chen.json", "senior-backend-engineer.txt", &r, &j);
    assert_in_range(s->score, 1, 99);
    assert_in_range(s->coverage, s->score, 100);
    /* The skills the resume has, under any spelling ("golang", "k8s"). */
    const tl_score_keyword *go = matched(s, "Go");
    assert_non_null(go);
    assert_true(go->job_count >= 2);
    assert_true(go->resume_count >= 3); /* golang, tinyq's "in Go", skills */
    assert_int_equal(go->part, TL_JD_REQUIREMENTS);
    assert_non_null(matched(s, "Kafka"));
    assert_non_null(matched(s, "PostgreSQL"));
    assert_non_null(matched(s, "Kubernetes"));
    /* What it lacks. */
    assert_non_null(missing(s, "gRPC"));
    assert_null(matched(s, "gRPC"));
    assert_int_equal(missing(s, "gRPC")->resume_count, 0);
    /* Heaviest first in both lists. */
    for (size_t i = 1; i < s->n_matched; i++)
        assert_true(s->matched[i - 1].weight >= s->matched[i].weight);
    for (size_t i = 1; i < s->n_missing; i++)
        assert_true(s->missing[i - 1].weight >= s->missing[i].weight);
    assert_int_equal(s->n_matched + s->n_missing, j->n_keywords);
    /* Per section: experience carries most; languages nothing. */
    assert_true(section_score(s, "work") > section_score(s, "languages"));
    assert_int_equal(section_score(s, "languages"), 0);
    assert_true(section_score(s, "basics.summary") >= 0);
    tl_score_free(s);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_analytics(void **state)
{
    (void)state;
    tl_resume *r;
    tl_job *j;
    tl_score *s = score_of("maria-lopez.md", "analytics-engineer.txt", &r, &j);
    assert_non_null(matched(s, "Tableau"));
    assert_non_null(matched(s, "dbt"));
    assert_non_null(matched(s, "Snowflake"));
    assert_non_null(missing(s, "Looker"));
    assert_true(matched(s, "Tableau")->resume_count >= 2); /* a bullet and the skills */
    tl_score_free(s);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_nurse(void **state)
{
    (void)state;
    tl_resume *r;
    tl_job *j;
    tl_score *s = score_of("sam-okafor.txt", "icu-registered-nurse.txt", &r, &j);
    assert_non_null(matched(s, "BLS"));
    assert_non_null(matched(s, "ACLS"));
    assert_non_null(matched(s, "Epic"));
    assert_non_null(missing(s, "CCRN"));
    tl_score_free(s);
    tl_job_free(j);
    tl_resume_free(r);
}

/* A resume for another field scores low, and nothing goes below zero. */
static void test_unrelated(void **state)
{
    (void)state;
    tl_resume *r;
    tl_job *j;
    tl_score *s = score_of("sam-okafor.txt", "senior-backend-engineer.txt", &r, &j);
    tl_score *t = NULL;
    tl_resume *alex = load_resume("alex-chen.json");
    assert_int_equal(tl_score_compute(alex, j, terms, &t), TL_OK);
    assert_true(s->score < t->score);
    assert_true(s->score >= 0);
    tl_score_free(t);
    tl_resume_free(alex);
    tl_score_free(s);
    tl_job_free(j);
    tl_resume_free(r);
}

/* Spelling a keyword the job's way and mentioning it early raise the
 * score; coverage does not move. */
static void test_spelling_and_prominence(void **state)
{
    (void)state;
    static const char job_text[] = "Backend Engineer\n\nRequirements\n"
                                   "- Experience with Kafka and PostgreSQL\n"
                                   "- Kubernetes in production\n";
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(job_text, strlen(job_text), terms, &j, NULL), TL_OK);
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Engineer"), TL_OK);
    static const char *const bullets[] = {"Ran the interview loop", "Wrote runbooks",
                                          "Built pipelines on kafka with postgres and k8s"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, bullets[i], strlen(bullets[i])), TL_OK);
    tl_score *before = NULL, *after = NULL;
    assert_int_equal(tl_score_compute(r, j, terms, &before), TL_OK);
    assert_int_equal(
        tl_resume_set(r, &e->bullets[2], "Built pipelines on Kafka with PostgreSQL and Kubernetes"),
        TL_OK);
    char *tmp = e->bullets[0]; /* move it up: a leading bullet */
    e->bullets[0] = e->bullets[2];
    e->bullets[2] = tmp;
    assert_int_equal(tl_score_compute(r, j, terms, &after), TL_OK);
    assert_int_equal(before->coverage, after->coverage);
    assert_true(after->score > before->score);
    assert_int_equal(after->score, after->coverage);

    /* Scoring both at once gives the same figures. */
    tl_matcher *m = NULL;
    assert_int_equal(tl_matcher_create(j, terms, &m), TL_OK);
    tl_score *b2 = NULL, *a2 = NULL;
    assert_int_equal(tl_score_compute_pair(r, r, m, &b2, &a2), TL_OK);
    assert_int_equal(b2->score, after->score);
    assert_int_equal(a2->score, after->score);
    assert_int_equal(a2->n_matched, after->n_matched);
    tl_score_free(b2);
    tl_score_free(a2);
    tl_matcher_free(m);
    tl_score_free(before);
    tl_score_free(after);
    tl_resume_free(r);
    tl_job_free(j);
}

static void test_json(void **state)
{
    (void)state;
    tl_resume *r;
    tl_job *j;
    tl_score *s = score_of("alex-chen.json", "senior-backend-engineer.txt", &r, &j);
    json_t *o = tl_score_to_json(s);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "score")), s->score);
    assert_int_equal(json_integer_value(json_object_get(o, "coverage")), s->coverage);
    json_t *m = json_object_get(o, "matched");
    assert_int_equal(json_array_size(m), s->n_matched);
    json_t *first = json_array_get(m, 0);
    assert_string_equal(json_string_value(json_object_get(first, "term")), s->matched[0].term);
    assert_non_null(json_object_get(first, "weight"));
    assert_non_null(json_object_get(first, "job_count"));
    assert_non_null(json_object_get(first, "resume_count"));
    assert_string_equal(json_string_value(json_object_get(first, "part")),
                        tl_jd_part_name(s->matched[0].part));
    assert_int_equal(json_array_size(json_object_get(o, "missing")), s->n_missing);
    json_t *secs = json_object_get(o, "sections");
    assert_int_equal(json_array_size(secs), s->n_sections);
    assert_non_null(json_object_get(json_array_get(secs, 0), "key"));
    json_decref(o);
    assert_null(tl_score_to_json(NULL));
    tl_score_free(s);
    tl_job_free(j);
    tl_resume_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tl_score *s = (tl_score *)0x1;
    assert_int_equal(tl_score_compute(NULL, NULL, terms, &s), TL_EINVAL);
    assert_ptr_equal(s, (tl_score *)0x1);
    tl_score_free(NULL);
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
        cmocka_unit_test(test_backend),
        cmocka_unit_test(test_analytics),
        cmocka_unit_test(test_nurse),
        cmocka_unit_test(test_unrelated),
        cmocka_unit_test(test_spelling_and_prominence),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
