/* The fact guard: every kind of fabricated fact is refused; the original,
 * respellings and the embedded engine's own output pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "tailor/guard.h"
#include "tailor/local.h"
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

/* The alex-chen resume, the backend job and a guard over them. */
typedef struct fixture {
    tl_resume *r;
    tl_job *j;
    tl_guard *g;
} fixture;

static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->r = load_resume("alex-chen.json");
    f->j = load_job("senior-backend-engineer.txt");
    if (tl_guard_create(f->r, f->j, terms, &f->g) != TL_OK)
        return -1;
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;
    tl_guard_free(f->g);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    free(f);
    return 0;
}

static void expect_ok(const tl_guard *g, const char *text)
{
    tl_guard_finding f;
    tl_err e = tl_guard_check_text(g, text, strlen(text), &f);
    if (e != TL_OK)
        fail_msg("\"%s\" refused: %s \"%s\"", text, tl_fact_kind_name(f.kind), f.text);
}

static void expect_rejected(const tl_guard *g, const char *text, tl_fact_kind kind,
                            const char *offending)
{
    tl_guard_finding f;
    memset(&f, 0, sizeof f);
    tl_err e = tl_guard_check_text(g, text, strlen(text), &f);
    if (e != TL_EREJECTED)
        fail_msg("\"%s\" passed", text);
    if (f.kind != kind || strcmp(f.text, offending) != 0)
        fail_msg("\"%s\": %s \"%s\", want %s \"%s\"", text, tl_fact_kind_name(f.kind), f.text,
                 tl_fact_kind_name(kind), offending);
}

static void test_original_passes(void **state)
{
    fixture *fx = *state;
    tl_resume *copy = NULL;
    assert_int_equal(tl_resume_clone(fx->r, &copy), TL_OK);
    tl_guard_finding f;
    tl_err e = tl_guard_check_resume(fx->g, copy, &f);
    if (e)
        fail_msg("%s \"%s\" at %s", tl_fact_kind_name(f.kind), f.text, f.id);
    tl_resume_free(copy);
    expect_ok(fx->g, fx->r->basics.summary);
    expect_ok(fx->g, "");
}

static void test_fabrications_rejected(void **state)
{
    fixture *fx = *state;
    const tl_guard *g = fx->g;
    expect_rejected(g, "Led the redesign of the ledger service at Google", TL_FACT_EMPLOYER,
                    "Google");
    expect_rejected(g, "Worked with Stripe Inc. on card payments", TL_FACT_EMPLOYER, "Stripe");
    expect_rejected(g, "Promoted to Staff Engineer in the payments team", TL_FACT_TITLE,
                    "Staff Engineer");
    expect_rejected(g, "Senior Backend Engineer with experience in Go.", TL_FACT_TITLE,
                    "Senior Backend Engineer");
    expect_rejected(g, "Led the ledger redesign since 2015", TL_FACT_DATE, "2015");
    expect_rejected(g, "Joined Lumen Payments in March 2019", TL_FACT_DATE, "March 2019");
    expect_rejected(g, "Introduced canary deploys, reducing incidents by 45%", TL_FACT_NUMBER,
                    "45%");
    expect_rejected(g, "Saved $2M a year in infrastructure", TL_FACT_NUMBER, "$2M");
    expect_rejected(g, "PhD in Computer Science", TL_FACT_DEGREE, "PhD");
    expect_rejected(g, "Holds an MBA", TL_FACT_DEGREE, "MBA");
    expect_rejected(g, "CCRN certified since joining", TL_FACT_CERTIFICATION, "CCRN");
    expect_rejected(g, "Built the ledger service in Rust", TL_FACT_SKILL, "Rust");
    expect_rejected(g, "Shipped services over gRPC", TL_FACT_SKILL, "gRPC");
    expect_rejected(g, "Designed an event-driven architecture for payouts", TL_FACT_SKILL,
                    "event-driven architecture");
    expect_rejected(g, "Worked closely with Priya Raman", TL_FACT_NAME, "Priya");
}

static void test_respellings_pass(void **state)
{
    fixture *fx = *state;
    const tl_guard *g = fx->g;
    expect_ok(g, "Led the redesign of the ledger service in Go, cutting p99 latency from 480ms "
                 "to 95ms");
    expect_ok(g, "Built an event pipeline on Kafka and PostgreSQL handling 25k events/second");
    expect_ok(g, "Introduce Kubernetes autoscaling and canary deploys, reducing incidents by 40%");
    expect_ok(g, "Senior Software Engineer with experience in Go, Kafka, PostgreSQL and "
                 "Kubernetes.");
    expect_ok(g, "Mentor 5 engineers and run the backend interview loop.");
    /* Same numbers and dates written another way. */
    expect_ok(g, "Payments platform for 4000 merchants handling 25,000 events a second");
    expect_ok(g, "Senior Software Engineer since Mar 2021");
    expect_ok(g, "Used in production by two startups");
}

static tl_resume *edited(const fixture *fx)
{
    tl_resume *c = NULL;
    assert_int_equal(tl_resume_clone(fx->r, &c), TL_OK);
    return c;
}

static void expect_target(const fixture *fx, tl_resume *t, const tl_target *target, tl_err want,
                          tl_fact_kind kind, const char *text, const char *id)
{
    tl_guard_finding f;
    memset(&f, 0, sizeof f);
    tl_err e = tl_guard_check_target(fx->g, t, target, &f);
    if (e != want)
        fail_msg("target %zu/%zu: got %s, finding %s \"%s\" at %s", target->section, target->entry,
                 tl_strerror(e), tl_fact_kind_name(f.kind), f.text, f.id);
    if (want == TL_EREJECTED) {
        assert_int_equal(f.kind, kind);
        assert_string_equal(f.text, text);
        assert_string_equal(f.id, id);
    }
}

static void test_targets(void **state)
{
    fixture *fx = *state;
    tl_target w0 = {TL_TARGET_ENTRY, 0, 0, 0, 0};
    tl_target w2 = {TL_TARGET_ENTRY, 0, 2, 0, 0};
    int ws = tl_resume_section_index(fx->r, "work");
    assert_int_equal(ws, 0);

    /* Kafka is in the resume, but not in the Brightside role: a bullet of
     * that role may not borrow it. */
    tl_resume *t = edited(fx);
    tl_entry *e = &t->sections[0].entries[2];
    assert_int_equal(tl_resume_set(t, &e->bullets[0], "Maintained the company website on Kafka"),
                     TL_OK);
    expect_target(fx, t, &w2, TL_EREJECTED, TL_FACT_SKILL, "Kafka", "work[2].highlights[0]");
    tl_guard_finding f;
    assert_int_equal(tl_guard_check_text(fx->g, e->bullets[0], strlen(e->bullets[0]), &f), TL_OK);
    tl_resume_free(t);

    /* Fixed fields: the employer, the title, the dates. */
    t = edited(fx);
    assert_int_equal(tl_resume_set(t, &t->sections[0].entries[0].org, "Lumen Payments Inc"), TL_OK);
    expect_target(fx, t, &w0, TL_EREJECTED, TL_FACT_EMPLOYER, "Lumen Payments Inc", "work[0].org");
    tl_resume_free(t);
    t = edited(fx);
    assert_int_equal(tl_resume_set(t, &t->sections[0].entries[0].title, "Staff Software Engineer"),
                     TL_OK);
    expect_target(fx, t, &w0, TL_EREJECTED, TL_FACT_TITLE, "Staff Software Engineer",
                  "work[0].title");
    tl_resume_free(t);
    t = edited(fx);
    assert_int_equal(tl_resume_set(t, &t->sections[0].entries[1].end_date, "2022-02"), TL_OK);
    tl_target w1 = {TL_TARGET_ENTRY, 0, 1, 0, 0};
    expect_target(fx, t, &w1, TL_EREJECTED, TL_FACT_DATE, "2022-02", "work[1].endDate");
    /* The same date written another way is no new fact. */
    assert_int_equal(tl_resume_set(t, &t->sections[0].entries[1].end_date, "Feb 2021"), TL_OK);
    expect_target(fx, t, &w1, TL_OK, 0, NULL, NULL);
    tl_resume_free(t);

    /* The summary target: a new number. */
    t = edited(fx);
    assert_int_equal(tl_resume_set(t, &t->basics.summary, "Software engineer with 15 years."),
                     TL_OK);
    tl_target s = {TL_TARGET_SUMMARY, 0, 0, 0, 0};
    expect_target(fx, t, &s, TL_EREJECTED, TL_FACT_NUMBER, "15", "basics.summary");
    tl_resume_free(t);

    /* A whole resume with the name changed. */
    t = edited(fx);
    assert_int_equal(tl_resume_set(t, &t->basics.name, "Alexandra Chen"), TL_OK);
    assert_int_equal(tl_guard_check_resume(fx->g, t, &f), TL_EREJECTED);
    assert_string_equal(f.id, "basics.name");
    tl_resume_free(t);
}

/* The embedded engine's output passes, target by target and whole (after
 * the consistency pass), for every fixture, job and strength. */
static void test_engine_output_passes(void **state)
{
    (void)state;
    static const char *const resumes[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
    static const char *const jobs[] = {"senior-backend-engineer.txt", "analytics-engineer.txt",
                                       "icu-registered-nurse.txt", "product-marketing-manager.txt"};
    int checked = 0;
    for (size_t a = 0; a < 3; a++) {
        tl_resume *r = load_resume(resumes[a]);
        for (size_t b = 0; b < 4; b++) {
            tl_job *j = load_job(jobs[b]);
            tl_guard *g = NULL;
            assert_int_equal(tl_guard_create(r, j, terms, &g), TL_OK);
            for (int s = TL_STRENGTH_CONSERVATIVE; s <= TL_STRENGTH_EXTENSIVE; s++) {
                tl_local_ctx *ctx = NULL;
                assert_int_equal(tl_local_ctx_create(r, j, terms, (tl_strength)s, &ctx), TL_OK);
                tl_resume *out = NULL;
                assert_int_equal(tl_resume_clone(r, &out), TL_OK);
                tl_target *t = NULL;
                size_t n = 0;
                assert_int_equal(tl_local_targets(r, &t, &n), TL_OK);
                tl_guard_finding f;
                for (size_t i = 0; i < n; i++) {
                    assert_int_equal(tl_local_tailor(ctx, &t[i], out, NULL), TL_OK);
                    if (tl_guard_check_target(g, out, &t[i], &f) != TL_OK)
                        fail_msg("%s x %s (%d): %s \"%s\" at %s", resumes[a], jobs[b], s,
                                 tl_fact_kind_name(f.kind), f.text, f.id);
                    checked++;
                }
                free(t);
                tl_resume_free(out);
                tl_local_ctx_free(ctx);

                tl_customize_opts opts = {.strength = (tl_strength)s};
                tl_result *res = NULL;
                assert_int_equal(tl_customize(r, j, terms, &opts, &res), TL_OK);
                if (tl_guard_check_resume(g, res->tailored, &f) != TL_OK)
                    fail_msg("%s x %s (%d), whole: %s \"%s\" at %s", resumes[a], jobs[b], s,
                             tl_fact_kind_name(f.kind), f.text, f.id);
                tl_result_free(res);
            }
            tl_guard_free(g);
            tl_job_free(j);
        }
        tl_resume_free(r);
    }
    assert_true(checked > 100);
}

/* Degrees, certifications and titles other fixtures hold pass there. */
static void test_other_fixtures(void **state)
{
    (void)state;
    tl_resume *r = load_resume("sam-okafor.txt");
    tl_job *j = load_job("icu-registered-nurse.txt");
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(r, j, terms, &g), TL_OK);
    expect_ok(g, "Registered Nurse with BLS and ACLS, and a BSN.");
    expect_ok(g, "Titrated vasoactive drips and monitored hemodynamic status for 4-5 patients");
    expect_rejected(g, "CCRN certified cardiac nurse", TL_FACT_CERTIFICATION, "CCRN");
    expect_rejected(g, "Charge Nurse on the Cardiac ICU", TL_FACT_TITLE, "Charge Nurse");
    expect_rejected(g, "Cared for 5-7 patients", TL_FACT_NUMBER, "7");
    tl_guard_free(g);
    tl_job_free(j);
    tl_resume_free(r);

    r = load_resume("maria-lopez.md");
    assert_int_equal(tl_guard_create(r, NULL, terms, &g), TL_OK);
    expect_ok(g, "M.S. in Statistics, B.A. in Economics");
    expect_ok(g, "Data analyst with five years of experience and 5 published dashboards");
    expect_rejected(g, "Ph.D. in Statistics", TL_FACT_DEGREE, "Ph.D.");
    expect_rejected(g, "Cut overtime costs by $300K per year", TL_FACT_NUMBER, "$300K");
    tl_guard_free(g);
    tl_resume_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    tl_guard *g = (tl_guard *)0x1;
    assert_int_equal(tl_guard_create(NULL, NULL, terms, &g), TL_EINVAL);
    assert_ptr_equal(g, (tl_guard *)0x1);
    tl_guard_free(NULL);
    assert_string_equal(tl_fact_kind_name(TL_FACT_CERTIFICATION), "certification");
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
        cmocka_unit_test_setup_teardown(test_original_passes, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fabrications_rejected, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_respellings_pass, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_targets, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_engine_output_passes),
        cmocka_unit_test(test_other_fixtures),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
