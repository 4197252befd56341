/* Job descriptions: title, company, parts, bullets, weighted keywords,
 * hints, filler, fingerprints and input checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/job.h"
#include "util/file.h"
#include "util/limits.h"

static int setup(void **state)
{
    tl_terms *t = NULL;
    if (tl_terms_load_default(&t) != TL_OK)
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tl_terms_free(*state);
    return 0;
}

static tl_job *parse_file(const tl_terms *t, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n), TL_OK);
    tl_job *j = NULL;
    tl_doc_error err;
    assert_int_equal(tl_job_parse(text, n, t, &j, &err), TL_OK);
    free(text);
    return j;
}

static tl_job *parse_str(const tl_terms *t, const char *text)
{
    tl_job *j = NULL;
    tl_doc_error err;
    assert_int_equal(tl_job_parse(text, strlen(text), t, &j, &err), TL_OK);
    return j;
}

/* Rank (0-based) of a keyword, or -1. */
static int rank(const tl_job *j, const char *term)
{
    const tl_keyword *k = tl_job_keyword(j, term);
    return k ? (int)(k - j->keywords) : -1;
}

static void expect_kw(const tl_job *j, const char *term, tl_jd_part part)
{
    const tl_keyword *k = tl_job_keyword(j, term);
    if (!k)
        fail_msg("keyword missing: %s", term);
    if (k->part != part)
        fail_msg("%s: part %s, want %s", term, tl_jd_part_name(k->part), tl_jd_part_name(part));
    assert_true(k->weight > 0);
    assert_true(k->count >= 1);
    assert_non_null(k->surface);
}

static void expect_invariants(const tl_job *j)
{
    assert_true(j->n_keywords <= TL_JOB_MAX_KEYWORDS);
    static const char *const filler[] = {
        "strong",    "experience",    "ability", "years", "excellent", "solid",  "familiarity",
        "knowledge", "understanding", "looking", "team",  "work",      "skills", "required",
        "preferred", "including",     "the",     "and",   NULL};
    bool phrases = false;
    for (size_t i = 0; i < j->n_keywords; i++) {
        const tl_keyword *k = &j->keywords[i];
        if (i > 0)
            assert_true(j->keywords[i - 1].weight >= k->weight);
        if (k->term_id < 0) {
            phrases = true;
            /* a phrase has 1-3 words, none of them filler */
            int words = 1;
            for (const char *p = k->term; *p; p++)
                words += *p == ' ';
            assert_true(words <= 3);
            char buf[128];
            snprintf(buf, sizeof buf, " %s ", k->term);
            for (int f = 0; filler[f]; f++) {
                char w[40];
                snprintf(w, sizeof w, " %s ", filler[f]);
                if (strstr(buf, w))
                    fail_msg("filler '%s' in keyword '%s'", filler[f], k->term);
            }
        } else {
            /* among equal weights, terms come before phrases */
            if (phrases && i > 0 && j->keywords[i - 1].weight == k->weight)
                assert_true(j->keywords[i - 1].term_id >= 0);
        }
    }
}

static void test_backend(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_file(t, "senior-backend-engineer.txt");
    assert_string_equal(j->title, "Senior Backend Engineer, Payments Infrastructure");
    assert_string_equal(j->company, "Northwind Financial");
    assert_int_equal(j->n_responsibilities, 5);
    assert_int_equal(j->n_requirements, 5);
    assert_int_equal(j->n_nice_to_have, 4);
    assert_string_equal(j->responsibilities[0],
                        "Design, build and operate high-throughput, low-latency services in Go "
                        "(Golang)");
    assert_string_equal(j->nice_to_have[0], "Experience with gRPC and Protocol Buffers");
    static const char *const top[] = {"Go", "Kafka", "PostgreSQL", "Kubernetes", "Terraform"};
    for (size_t i = 0; i < 5; i++) {
        expect_kw(j, top[i], TL_JD_REQUIREMENTS);
        int r = rank(j, top[i]);
        if (r < 0 || r >= 10)
            fail_msg("%s ranks %d", top[i], r);
    }
    assert_string_equal(j->keywords[0].term, "Go");
    assert_string_equal(tl_job_keyword(j, "go")->surface, "Go"); /* "Go" 3x, "Golang" 1x */
    assert_true(tl_job_keyword(j, "Go")->count >= 4);
    expect_kw(j, "gRPC", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Protocol Buffers", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "PCI DSS", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Redis", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Payments", TL_JD_REQUIREMENTS);
    expect_kw(j, "Ledgers", TL_JD_REQUIREMENTS);
    expect_kw(j, "Docker", TL_JD_REQUIREMENTS);
    expect_kw(j, "AWS", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "SLOs", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Mentoring", TL_JD_RESPONSIBILITIES);
    /* phrases that are not in the dictionary */
    expect_kw(j, "design reviews", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "incident response", TL_JD_RESPONSIBILITIES);
    assert_int_equal(tl_job_keyword(j, "incident response")->term_id, -1);
    /* the closing paragraph is not a nice-to-have */
    assert_null(tl_job_keyword(j, "salary"));
    assert_null(tl_job_keyword(j, "equity"));
    expect_invariants(j);
    tl_job_free(j);
}

static void test_icu_nurse(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_file(t, "icu-registered-nurse.txt");
    assert_string_equal(j->title, "Registered Nurse - Cardiac ICU (Full Time, Nights)");
    assert_string_equal(j->company, "Mercy Heart Institute");
    assert_int_equal(j->n_responsibilities, 6);
    assert_int_equal(j->n_requirements, 5);
    assert_int_equal(j->n_nice_to_have, 0);
    expect_kw(j, "BLS", TL_JD_REQUIREMENTS);
    expect_kw(j, "ACLS", TL_JD_REQUIREMENTS);
    expect_kw(j, "BSN", TL_JD_REQUIREMENTS);
    expect_kw(j, "Epic", TL_JD_REQUIREMENTS);
    expect_kw(j, "Registered Nurse", TL_JD_REQUIREMENTS);
    expect_kw(j, "ICU", TL_JD_REQUIREMENTS);
    /* "CCRN or PCCN preferred" inside the requirements */
    expect_kw(j, "CCRN", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "PCCN", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Step-down", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Hemodynamic monitoring", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Vasoactive medications", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Precepting", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Patient education", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Intra-aortic balloon pump", TL_JD_RESPONSIBILITIES);
    expect_invariants(j);
    tl_job_free(j);
}

static void test_analytics(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_file(t, "analytics-engineer.txt");
    assert_string_equal(j->title, "Analytics Engineer");
    assert_string_equal(j->company, "Cedar Retail Group");
    assert_int_equal(j->n_responsibilities, 5);
    assert_int_equal(j->n_requirements, 5);
    assert_int_equal(j->n_nice_to_have, 3);
    expect_kw(j, "dbt", TL_JD_REQUIREMENTS);
    expect_kw(j, "Snowflake", TL_JD_REQUIREMENTS);
    expect_kw(j, "SQL", TL_JD_REQUIREMENTS);
    expect_kw(j, "Python", TL_JD_REQUIREMENTS);
    expect_kw(j, "pandas", TL_JD_REQUIREMENTS);
    expect_kw(j, "Tableau", TL_JD_REQUIREMENTS);
    expect_kw(j, "Power BI", TL_JD_REQUIREMENTS);
    expect_kw(j, "BigQuery", TL_JD_REQUIREMENTS);
    expect_kw(j, "A/B testing", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Forecasting", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Airflow", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Statistics", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "data models", TL_JD_RESPONSIBILITIES);
    assert_string_equal(tl_job_keyword(j, "A/B testing")->surface, "A/B tests");
    expect_invariants(j);
    tl_job_free(j);
}

static void test_product_marketing(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_file(t, "product-marketing-manager.txt");
    assert_string_equal(j->title, "Product Marketing Manager — Developer Tools");
    assert_string_equal(j->company, "Tessellate Software");
    /* "What you will do" and "What we look for" */
    assert_int_equal(j->n_responsibilities, 5);
    assert_int_equal(j->n_requirements, 4);
    expect_kw(j, "Product marketing", TL_JD_REQUIREMENTS);
    expect_kw(j, "Positioning", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Messaging", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Sales enablement", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Battlecards", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Amplitude", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "SQL", TL_JD_REQUIREMENTS);
    expect_kw(j, "win/loss interviews", TL_JD_RESPONSIBILITIES);
    /* "ideally for developer or B2B SaaS products" */
    expect_kw(j, "B2B SaaS", TL_JD_NICE_TO_HAVE);
    expect_invariants(j);
    tl_job_free(j);
}

static void test_headings_and_hints(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_str(t, "Data Engineer at Acme Corp\n"
                             "\n"
                             "## What You'll Be Doing:\n"
                             "1. Build pipelines with Spark\n"
                             "2) Tune Snowflake\n"
                             "**Must-haves**\n"
                             "• Scala\n"
                             "• Kafka required, Flink preferred\n"
                             "Bonus points:\n"
                             "* Databricks\n"
                             "* Airflow (required)\n"
                             "Benefits\n"
                             "- Dental\n"
                             "Skills: dbt, Looker\n");
    assert_string_equal(j->title, "Data Engineer at Acme Corp");
    assert_string_equal(j->company, "Acme Corp");
    assert_int_equal(j->n_responsibilities, 2);
    assert_string_equal(j->responsibilities[0], "Build pipelines with Spark");
    assert_string_equal(j->responsibilities[1], "Tune Snowflake");
    assert_int_equal(j->n_requirements, 3);
    assert_string_equal(j->requirements[2], "dbt, Looker");
    assert_int_equal(j->n_nice_to_have, 2);
    expect_kw(j, "Apache Spark", TL_JD_RESPONSIBILITIES);
    expect_kw(j, "Scala", TL_JD_REQUIREMENTS);
    expect_kw(j, "Kafka", TL_JD_REQUIREMENTS);
    expect_kw(j, "Apache Flink", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Databricks", TL_JD_NICE_TO_HAVE);
    expect_kw(j, "Airflow", TL_JD_REQUIREMENTS);
    expect_kw(j, "dbt", TL_JD_REQUIREMENTS);
    expect_kw(j, "Looker", TL_JD_REQUIREMENTS);
    /* weights: requirement 3, responsibility 2, nice-to-have 1 */
    assert_true(tl_job_keyword(j, "Scala")->weight == 3.0);
    assert_true(tl_job_keyword(j, "Snowflake")->weight == 2.0);
    assert_true(tl_job_keyword(j, "Databricks")->weight == 1.0);
    assert_null(tl_job_keyword(j, "dental"));
    expect_invariants(j);
    tl_job_free(j);
}

static void test_no_headings(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_str(t, "Backend developer\nWe use Python and PostgreSQL. Python is great.");
    assert_string_equal(j->title, "Backend developer");
    assert_null(j->company); /* the second line is a sentence */
    assert_int_equal(j->n_requirements + j->n_responsibilities + j->n_nice_to_have, 0);
    expect_kw(j, "Python", TL_JD_OTHER);
    assert_true(tl_job_keyword(j, "Python")->weight == 1.0);
    expect_kw(j, "Backend development", TL_JD_REQUIREMENTS); /* the title */
    tl_job_free(j);
    /* a second line that names a place or a schedule is no company */
    j = parse_str(t, "Nurse\nRemote - US\nRequirements\n- BLS\n");
    assert_null(j->company);
    expect_kw(j, "BLS", TL_JD_REQUIREMENTS);
    tl_job_free(j);
    j = parse_str(t, "Nurse\nCompany: Mercy Health | Chicago\n");
    assert_string_equal(j->company, "Mercy Health");
    tl_job_free(j);
    j = parse_str(
        t, "Staff Engineer\n\nAbout us\nGlobex Corporation is hiring engineers who love Go.\n");
    assert_string_equal(j->company, "Globex Corporation");
    tl_job_free(j);
    /* Markdown and CRLF */
    j = parse_str(t, "# Senior Engineer\r\n**Acme Inc** \xe2\x80\x94 NYC\r\n\r\n"
                     "## Requirements\r\n- Go\r\n- Kubernetes\r\n");
    assert_string_equal(j->title, "Senior Engineer");
    assert_string_equal(j->company, "Acme Inc");
    assert_int_equal(j->n_requirements, 2);
    assert_string_equal(j->requirements[0], "Go");
    expect_kw(j, "Go", TL_JD_REQUIREMENTS);
    expect_kw(j, "Kubernetes", TL_JD_REQUIREMENTS);
    tl_job_free(j);
    /* a single line is a title */
    j = parse_str(t, "  Go Developer  ");
    assert_string_equal(j->title, "Go Developer");
    expect_kw(j, "Go", TL_JD_REQUIREMENTS);
    tl_job_free(j);
}

static void test_go_verb_not_keyword(void **state)
{
    const tl_terms *t = *state;
    tl_job *j = parse_str(t, "Marketing Lead\nAcme\nResponsibilities\n"
                             "- Own the go-to-market plan and go to events\n"
                             "- Let's go! Ready to go live\n");
    expect_kw(j, "Go-to-market", TL_JD_RESPONSIBILITIES);
    assert_null(tl_job_keyword(j, "Go"));
    assert_null(tl_job_keyword(j, "go"));
    tl_job_free(j);
}

static void test_keyword_cap(void **state)
{
    const tl_terms *t = *state;
    /* 60 distinct terms and many phrases: at most 40 kept, terms first */
    static const char *const many[] = {
        "Python",        "Java",    "Kotlin",    "Scala",      "Ruby",       "PHP",
        "Perl",          "Haskell", "Erlang",    "Clojure",    "TypeScript", "JavaScript",
        "Kafka",         "Redis",   "MySQL",     "PostgreSQL", "MongoDB",    "Cassandra",
        "Elasticsearch", "Neo4j",   "Docker",    "Kubernetes", "Terraform",  "Ansible",
        "Jenkins",       "AWS",     "Azure",     "GCP",        "Linux",      "Git",
        "GraphQL",       "gRPC",    "Django",    "Flask",      "FastAPI",    "Laravel",
        "Hibernate",     "jQuery",  "Redux",     "Svelte",     "Vue",        "Angular",
        "Webpack",       "Vite",    "Jest",      "Cypress",    "Selenium",   "Playwright",
        "JUnit",         "pytest",  "Postman",   "Figma",      "Jira",       "Tableau",
        "Looker",        "dbt",     "Snowflake", "BigQuery",   "Redshift",   "Airflow"};
    char text[8192];
    size_t o = (size_t)snprintf(text, sizeof text, "Engineer\nAcme\nRequirements\n");
    for (size_t i = 0; i < sizeof many / sizeof *many; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "- %s and quantum widget alignment %zu\n",
                              many[i], i);
    tl_job *j = parse_str(t, text);
    assert_int_equal(j->n_keywords, TL_JOB_MAX_KEYWORDS);
    for (size_t i = 0; i < j->n_keywords; i++)
        assert_true(j->keywords[i].term_id >= 0);
    expect_invariants(j);
    tl_job_free(j);
}

static void test_fingerprint(void **state)
{
    const tl_terms *t = *state;
    tl_job *a = parse_str(t, "Engineer\nAcme\nRequirements\n- Strong Go and Kafka\n");
    tl_job *b = parse_str(t, "Engineer\nAcme\n\nRequirements:\n* Solid experience with golang "
                             "and Apache Kafka\n");
    tl_job *c = parse_str(t, "Engineer\nAcme\nNice to have\n- Go and Kafka\n");
    tl_job *a2 = parse_str(t, "Engineer\nAcme\nRequirements\n- Strong Go and Kafka\n");
    assert_true(a->fingerprint == b->fingerprint); /* same keywords, other words */
    assert_true(a->fingerprint == a2->fingerprint);
    assert_true(a->fingerprint != c->fingerprint); /* same terms, other part */
    tl_job_free(a);
    tl_job_free(b);
    tl_job_free(c);
    tl_job_free(a2);
    /* the sample files are stable across runs */
    tl_job *x = parse_file(t, "senior-backend-engineer.txt");
    tl_job *y = parse_file(t, "senior-backend-engineer.txt");
    assert_true(x->fingerprint == y->fingerprint);
    assert_true(x->fingerprint != 0);
    tl_job_free(x);
    tl_job_free(y);
}

static void expect_error(const tl_terms *t, const char *p, size_t n, tl_err want)
{
    tl_job *j = (tl_job *)0x1;
    tl_doc_error err;
    assert_int_equal(tl_job_parse(p, n, t, &j, &err), want);
    assert_true(j == (tl_job *)0x1); /* untouched */
    assert_true(strlen(err.message) > 0);
}

static void test_bad_input(void **state)
{
    const tl_terms *t = *state;
    expect_error(t, "", 0, TL_EEMPTY);
    expect_error(t, NULL, 0, TL_EEMPTY);
    expect_error(t, " \n\t\r\n  ", 6, TL_EEMPTY);
    expect_error(t, "123 456 - 789", 13, TL_EEMPTY);
    expect_error(t, "Engineer\n\xff\xfe\x00\x01", 12, TL_EUTF8);
    expect_error(t, "Engineer\nok\x00more", 16, TL_EUTF8);
    expect_error(t, "Engineer\n\xc3\x28 bad", 14, TL_EUTF8);
    char bin[64];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(i % 2 ? 0x01 : 'a');
    expect_error(t, bin, sizeof bin, TL_EFORMAT);
    /* too big */
    size_t big = TL_MAX_JOB_BYTES + 1;
    char *p = malloc(big);
    memset(p, 'a', big);
    expect_error(t, p, big, TL_ETOOBIG);
    free(p);
    tl_job *j;
    assert_int_equal(tl_job_parse("x", 1, NULL, &j, NULL), TL_EINVAL);
    /* the line of a bad byte is reported */
    tl_doc_error err;
    assert_int_equal(tl_job_parse("a\nb\nc \xc0\xaf", 8, t, &j, &err), TL_EUTF8);
    assert_int_equal(err.line, 3);
    tl_job_free(NULL);
}

static void test_part_names(void **state)
{
    (void)state;
    assert_string_equal(tl_jd_part_name(TL_JD_REQUIREMENTS), "requirement");
    assert_string_equal(tl_jd_part_name(TL_JD_RESPONSIBILITIES), "responsibility");
    assert_string_equal(tl_jd_part_name(TL_JD_NICE_TO_HAVE), "nice-to-have");
    assert_string_equal(tl_jd_part_name(TL_JD_OTHER), "other");
    assert_null(tl_job_keyword(NULL, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend),
        cmocka_unit_test(test_icu_nurse),
        cmocka_unit_test(test_analytics),
        cmocka_unit_test(test_product_marketing),
        cmocka_unit_test(test_headings_and_hints),
        cmocka_unit_test(test_no_headings),
        cmocka_unit_test(test_go_verb_not_keyword),
        cmocka_unit_test(test_keyword_cap),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_part_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
