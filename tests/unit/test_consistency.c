/* The consistency pass over a whole resume: one spelling per term, tense by
 * role, one bullet style, one date format, repeated bullets reported. */
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
#include "tailor/consistency.h"
#include "tailor/match.h"

static tl_terms *terms;

static tl_entry *add_role(tl_resume *r, const char *title, const char *start, const char *end,
                          const char *const *bullets, size_t n)
{
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    if (!w)
        w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    assert_non_null(w);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_non_null(e);
    assert_int_equal(tl_resume_set(r, &e->title, title), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "Northwind"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, start), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->end_date, end), TL_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, bullets[i], strlen(bullets[i])), TL_OK);
    return e;
}

/* Three roles written by three hands. */
static tl_resume *messy_resume(void)
{
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Kim Lee"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.summary, "Data engineer using kafka daily."),
                     TL_OK);
    static const char *const now[] = {"Led the platform team", "Build dashboards on Kafka.",
                                      "own the kafka cluster"};
    add_role(r, "Lead Data Engineer", "Jan 2022", NULL, now, 3);
    static const char *const mid[] = {"Build weekly demand forecasts in Python",
                                      "Own the Kafka topics", "Mentored junior analysts"};
    add_role(r, "Data Engineer", "2019-06", "2021-12", mid, 3);
    static const char *const old[] = {"Manages the reporting stack", "Wrote sql reports",
                                      "mentored junior analysts.", "Set up Kafka monitoring"};
    add_role(r, "Analyst", "March 2017", "May 2019", old, 4);
    tl_section *ed = tl_resume_add_section(r, TL_SEC_EDUCATION, NULL, NULL);
    tl_entry *e = tl_section_add_entry(r, ed);
    assert_int_equal(tl_resume_set(r, &e->title, "Bachelor"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "State university"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, "2013-09"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->end_date, "2017-06"), TL_OK);
    tl_section *c = tl_resume_add_section(r, TL_SEC_CERTIFICATES, NULL, NULL);
    e = tl_section_add_entry(r, c);
    assert_int_equal(tl_resume_set(r, &e->title, "confluent kafka developer"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->date, "2020"), TL_OK);
    return r;
}

static const tl_change *find_change(const tl_changes *ch, tl_change_kind kind, const char *id)
{
    for (size_t i = 0; i < ch->n; i++)
        if (ch->items[i].kind == kind && strcmp(ch->items[i].id, id) == 0)
            return &ch->items[i];
    return NULL;
}

static size_t count_kind(const tl_changes *ch, tl_change_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < ch->n; i++)
        n += ch->items[i].kind == kind;
    return n;
}

static const tl_entry *role(const tl_resume *r, size_t i)
{
    return &tl_resume_find_section(r, TL_SEC_WORK)->entries[i];
}

static void test_whole_pass(void **state)
{
    (void)state;
    tl_resume *r = messy_resume();
    tl_changes *ch = tl_changes_new();
    assert_non_null(ch);
    assert_int_equal(tl_consistency_run(r, NULL, terms, ch), TL_OK);

    /* Tense: present for the current role, past for the others. */
    assert_string_equal(role(r, 0)->bullets[0], "Lead the platform team");
    assert_string_equal(role(r, 1)->bullets[0], "Built weekly demand forecasts in Python");
    assert_string_equal(role(r, 1)->bullets[1], "Owned the Kafka topics");
    assert_string_equal(role(r, 2)->bullets[0], "Managed the reporting stack");
    assert_string_equal(role(r, 2)->bullets[1], "Wrote sql reports");       /* its only spelling */
    assert_string_equal(role(r, 2)->bullets[3], "Set up Kafka monitoring"); /* same in both */
    const tl_change *c = find_change(ch, TL_CHANGE_TENSE, "work[1].highlights[0]");
    assert_non_null(c);
    assert_string_equal(c->before, "Build weekly demand forecasts in Python");
    assert_non_null(strstr(c->reason, "past"));
    assert_non_null(find_change(ch, TL_CHANGE_TENSE, "work[0].highlights[0]"));

    /* One spelling per term: the resume's most common ("Kafka"). */
    assert_string_equal(r->basics.summary, "Data engineer using Kafka daily.");
    assert_string_equal(role(r, 0)->bullets[2], "Own the Kafka cluster");
    assert_non_null(find_change(ch, TL_CHANGE_TERM, "basics.summary"));

    /* One bullet style: most bullets have no full stop; first letters up. */
    assert_string_equal(role(r, 0)->bullets[1], "Build dashboards on Kafka");
    assert_string_equal(role(r, 2)->bullets[2], "Mentored junior analysts");
    assert_non_null(find_change(ch, TL_CHANGE_STYLE, "work[0].highlights[1]"));

    /* One date format: most dates are "2021-03". Years alone stay. */
    assert_string_equal(role(r, 0)->start_date, "2022-01");
    assert_string_equal(role(r, 2)->start_date, "2017-03");
    assert_string_equal(role(r, 2)->end_date, "2019-05");
    c = find_change(ch, TL_CHANGE_STYLE, "work[2].startDate");
    assert_non_null(c);
    assert_string_equal(c->before, "March 2017");
    assert_string_equal(c->after, "2017-03");
    const tl_section *cs = tl_resume_find_section(r, TL_SEC_CERTIFICATES);
    assert_string_equal(cs->entries[0].date, "2020");

    /* The same bullet in two roles is reported, not changed. */
    c = find_change(ch, TL_CHANGE_REPEATED, "work[2].highlights[2]");
    assert_non_null(c);
    assert_non_null(strstr(c->reason, "work[1].highlights[2]"));
    assert_string_equal(role(r, 1)->bullets[2], "Mentored junior analysts");
    assert_int_equal(count_kind(ch, TL_CHANGE_REPEATED), 1);

    /* Names are facts as written: titles, schools, certificates. */
    assert_string_equal(cs->entries[0].title, "confluent kafka developer");
    assert_string_equal(role(r, 0)->title, "Lead Data Engineer");
    assert_string_equal(tl_resume_find_section(r, TL_SEC_EDUCATION)->entries[0].org,
                        "State university");

    /* A second pass finds nothing left to do but the repeat. */
    tl_changes *again = tl_changes_new();
    assert_non_null(again);
    assert_int_equal(tl_consistency_run(r, NULL, terms, again), TL_OK);
    assert_int_equal(again->n, 1);
    assert_int_equal(again->items[0].kind, TL_CHANGE_REPEATED);
    tl_changes_free(again);
    tl_changes_free(ch);
    tl_resume_free(r);
}

/* The job's spelling wins over the resume's most common one. */
static void test_job_spelling_wins(void **state)
{
    (void)state;
    static const char job_text[] = "Data Engineer\n\nRequirements\n"
                                   "- Experience with PostgreSQL and Kafka in production\n";
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(job_text, strlen(job_text), terms, &j, NULL), TL_OK);
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    static const char *const b[] = {"Tuned postgres queries", "Moved reports off postgres",
                                    "Ran Postgres upgrades"};
    add_role(r, "Engineer", "2019-01", "2020-01", b, 3);
    tl_changes *ch = tl_changes_new();
    assert_non_null(ch);
    assert_int_equal(tl_consistency_run(r, j, terms, ch), TL_OK);
    assert_string_equal(role(r, 0)->bullets[0], "Tuned PostgreSQL queries");
    assert_string_equal(role(r, 0)->bullets[1], "Moved reports off PostgreSQL");
    assert_string_equal(role(r, 0)->bullets[2], "Ran PostgreSQL upgrades");
    const tl_change *c = find_change(ch, TL_CHANGE_TERM, "work[0].highlights[0]");
    assert_non_null(c);
    assert_non_null(strstr(c->reason, "the job's"));
    tl_changes_free(ch);
    tl_resume_free(r);
    tl_job_free(j);
}

/* In the current role, duties go to the present tense but a finished
 * achievement with its outcome keeps the past. */
static void test_current_role_results_stay_past(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    static const char *const b[] = {"Led the ledger redesign, cutting p99 latency to 95ms",
                                    "Introduced canary deploys, reducing incidents by 40%",
                                    "Managed the on-call rota"};
    add_role(r, "Engineer", "2021-03", NULL, b, 3);
    tl_changes *ch = tl_changes_new();
    assert_non_null(ch);
    assert_int_equal(tl_consistency_run(r, NULL, terms, ch), TL_OK);
    assert_string_equal(role(r, 0)->bullets[0],
                        "Led the ledger redesign, cutting p99 latency to 95ms");
    assert_string_equal(role(r, 0)->bullets[1],
                        "Introduced canary deploys, reducing incidents by 40%");
    assert_string_equal(role(r, 0)->bullets[2], "Manage the on-call rota");
    assert_null(find_change(ch, TL_CHANGE_TENSE, "work[0].highlights[0]"));
    assert_non_null(find_change(ch, TL_CHANGE_TENSE, "work[0].highlights[2]"));
    tl_changes_free(ch);
    tl_resume_free(r);
}

/* Periods added when most bullets have them; a date style that only
 * month-and-year dates share. */
static void test_periods_and_month_names(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    static const char *const a[] = {"Shipped the app.", "Cut costs by 10%.", "Hired two people"};
    add_role(r, "Engineer", "March 2021", NULL, a, 3);
    static const char *const b[] = {"Wrote the docs.", "Ran the on-call rota!"};
    add_role(r, "Engineer", "June 2018", "2021-02", b, 2);
    tl_changes *ch = tl_changes_new();
    assert_non_null(ch);
    assert_int_equal(tl_consistency_run(r, NULL, terms, ch), TL_OK);
    assert_string_equal(role(r, 0)->bullets[0], "Ship the app.");
    assert_string_equal(role(r, 0)->bullets[2], "Hire two people.");
    assert_string_equal(role(r, 1)->bullets[1], "Ran the on-call rota!"); /* its own ending */
    assert_string_equal(role(r, 1)->end_date, "February 2021");
    assert_string_equal(role(r, 0)->start_date, "March 2021");
    tl_changes_free(ch);
    tl_resume_free(r);
}

static void test_dates(void **state)
{
    (void)state;
    tl_date d;
    char out[32];
    assert_true(tl_date_parse("Sept 2019", 9, &d));
    assert_int_equal(d.year, 2019);
    assert_int_equal(d.month, 9);
    assert_int_equal(d.style, TL_DATE_MON);
    assert_true(tl_date_parse(" 2021-03 ", 9, &d));
    assert_int_equal(d.style, TL_DATE_ISO_MONTH);
    assert_true(tl_date_format(&d, TL_DATE_MONTH, out, sizeof out) > 0);
    assert_string_equal(out, "March 2021");
    assert_true(tl_date_format(&d, TL_DATE_SLASH, out, sizeof out) > 0);
    assert_string_equal(out, "03/2021");
    assert_true(tl_date_parse("03/2021", 7, &d));
    assert_int_equal(d.month, 3);
    assert_true(tl_date_parse("2021", 4, &d));
    assert_int_equal(tl_date_format(&d, TL_DATE_MON, out, sizeof out), 0); /* no month */
    assert_false(tl_date_parse("Present", 7, &d));
    assert_false(tl_date_parse("2021-13", 7, &d));
    assert_false(tl_date_parse("Marching 2021", 13, &d));
    assert_true(tl_date_is_present(" present"));
    assert_false(tl_date_is_present("2021"));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(tl_consistency_run(NULL, NULL, terms, NULL), TL_EINVAL);
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_consistency_run(r, NULL, terms, NULL), TL_OK); /* empty is fine */
    tl_resume_free(r);
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
        cmocka_unit_test(test_whole_pass),
        cmocka_unit_test(test_job_spelling_wins),
        cmocka_unit_test(test_current_role_results_stay_past),
        cmocka_unit_test(test_periods_and_month_names),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
