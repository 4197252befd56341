/* Cover letters written by providers (provider/letter.h) against fake-llm
 * over loopback: a provider-written letter passes the fact guard and ties
 * the embedded letter's requirements to the same achievements; a
 * hallucinated one (a fake employer) is rejected and the embedded letter
 * is used; failing and timing-out providers fall back down the chain;
 * the answer parser is lenient about shape and strict about facts. */
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
#include "provider/fakellm.h"
#include "provider/io.h"
#include "provider/letter.h"
#include "provider/openai.h"
#include "tailor/guard.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

typedef struct fx {
    tl_terms *terms;
    tl_resume *r;
    tl_job *j;
    tl_io *io;
    tl_fakellm *llm[4]; /* healthy, hallucinating, failing, timing out */
    tl_provider *p[4];
} fx;

static const char *const names[4] = {"good", "liar", "flaky", "slow"};

static void start(fx *f, size_t i, const tl_fakellm_opts *o)
{
    assert_int_equal(tl_fakellm_start(o, &f->llm[i]), TL_OK);
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", tl_fakellm_port(f->llm[i]));
    tl_openai_opts oo = {
        .io = f->io, .base_url = url, .api_key = "sk-letter-test", .name = names[i]};
    assert_int_equal(tl_openai_create(&oo, &f->p[i]), TL_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->r = tf_resume("alex-chen.json");
    f->j = tf_job(f->terms, "senior-backend-engineer.txt");
    assert_int_equal(tl_io_create(&f->io, NULL), TL_OK);
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    start(f, 0, &o);
    o.hallucinate_rate = 1.0;
    start(f, 1, &o);
    tl_fakellm_opts_default(&o);
    o.error_rate = 1.0;
    start(f, 2, &o);
    tl_fakellm_opts_default(&o);
    o.timeout_rate = 1.0;
    start(f, 3, &o);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < 4; i++)
        tl_provider_destroy(f->p[i]);
    tl_io_destroy(f->io);
    for (size_t i = 0; i < 4; i++)
        tl_fakellm_stop(f->llm[i]);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    tl_terms_free(f->terms);
    free(f);
    return 0;
}

static char *render(const tl_cover_letter *l)
{
    char *text = NULL;
    size_t n;
    assert_int_equal(tl_cover_letter_render(l, TL_FORMAT_TEXT, &text, &n), TL_OK);
    return text;
}

/* Every body paragraph passes the guard sentence by sentence, the letter
 * names role and company and fits one page. */
static void check_clean(fx *f, const tl_cover_letter *l)
{
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(f->r, f->j, f->terms, &g), TL_OK);
    for (size_t i = l->n_head; i + 1 < l->n_paragraphs; i++) {
        tl_guard_finding fd;
        tl_err e = tl_cover_letter_check(l, g, l->paragraphs[i], &fd);
        if (e)
            print_error("guard refuses %s '%s' in: %s\n", tl_fact_kind_name(fd.kind), fd.text,
                        l->paragraphs[i]);
        assert_int_equal(e, TL_OK);
    }
    tl_guard_free(g);
    char *text = render(l);
    assert_non_null(strstr(text, "Senior Backend Engineer"));
    assert_non_null(strstr(text, "Northwind Financial"));
    assert_non_null(strstr(text, "Sincerely,\nAlex Chen"));
    assert_null(strstr(text, "Initech"));
    assert_true(l->words <= TL_LETTER_MAX_WORDS);
    free(text);
}

static tl_cover_letter *write_with(fx *f, const size_t *links, size_t n)
{
    tl_letter_link chain[4];
    for (size_t i = 0; i < n; i++)
        chain[i] = (tl_letter_link){.provider = f->p[links[i]]};
    tl_letter_chain_opts o = {.timeout_ms = 1500, .wait_ms = 5000};
    tl_cover_letter *l = NULL;
    assert_int_equal(tl_letter_write_chain(f->r, f->j, f->terms, chain, n, &o, &l), TL_OK);
    return l;
}

static void test_provider_writes(void **state)
{
    fx *f = *state;
    tl_fakellm_stats_reset(f->llm[0]);
    size_t links[] = {0};
    tl_cover_letter *l = write_with(f, links, 1);
    assert_string_equal(l->provider, "good");
    assert_int_equal(l->n_attempts, 0);
    check_clean(f, l);
    /* the same requirements, tied to the same achievements, as the
     * embedded letter's */
    tl_cover_letter *plan = NULL;
    assert_int_equal(tl_cover_letter_write(f->r, f->j, f->terms, NULL, &plan), TL_OK);
    assert_true(plan->n_points >= 2);
    char *text = render(l);
    for (size_t i = 0; i < plan->n_points; i++) {
        assert_non_null(strstr(text, plan->points[i].requirement));
        /* the achievement word for word (without its final stop) */
        char a[512];
        snprintf(a, sizeof a, "%s", plan->points[i].achievement);
        size_t n = strlen(a);
        while (n && a[n - 1] == '.')
            a[--n] = '\0';
        assert_non_null(strstr(text, a));
    }
    assert_string_equal(plan->provider, "local");
    assert_int_equal(l->n_keywords, plan->n_keywords);
    free(text);
    tl_cover_letter_free(plan);
    tl_cover_letter_free(l);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm[0], &st);
    assert_int_equal(st.ok, 1);
}

static void test_hallucination_rejected(void **state)
{
    fx *f = *state;
    size_t links[] = {1};
    tl_cover_letter *l = write_with(f, links, 1);
    assert_string_equal(l->provider, "local");
    assert_int_equal(l->n_attempts, 1);
    assert_string_equal(l->attempts[0].provider, "liar");
    assert_string_equal(l->attempts[0].outcome, "rejected");
    assert_non_null(strstr(l->attempts[0].detail, "Initech"));
    check_clean(f, l);
    tl_cover_letter_free(l);
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f->llm[1], &st);
    assert_true(st.hallucinated >= 1);
}

/* A failing, a timing-out and a lying provider, then a good one: the
 * good one writes it, after three recorded failures. */
static void test_falls_back_down_the_chain(void **state)
{
    fx *f = *state;
    size_t links[] = {2, 3, 1, 0};
    tl_cover_letter *l = write_with(f, links, 4);
    assert_string_equal(l->provider, "good");
    assert_int_equal(l->n_attempts, 3);
    assert_string_equal(l->attempts[0].provider, "flaky");
    assert_string_equal(l->attempts[0].outcome, "server");
    assert_string_equal(l->attempts[1].provider, "slow");
    assert_string_equal(l->attempts[1].outcome, "timeout");
    assert_string_equal(l->attempts[2].outcome, "rejected");
    check_clean(f, l);
    tl_cover_letter_free(l);
    /* every provider failing: the embedded letter */
    size_t bad[] = {2, 1};
    l = write_with(f, bad, 2);
    assert_string_equal(l->provider, "local");
    assert_int_equal(l->n_attempts, 2);
    check_clean(f, l);
    tl_cover_letter_free(l);
    /* no provider: the embedded letter, nothing asked */
    l = write_with(f, NULL, 0);
    assert_string_equal(l->provider, "local");
    assert_int_equal(l->n_attempts, 0);
    tl_cover_letter_free(l);
}

/* The prompt carries the rules, the role, the company and the material. */
static void test_prompt(void **state)
{
    fx *f = *state;
    tl_cover_letter *plan = NULL;
    assert_int_equal(tl_cover_letter_write(f->r, f->j, f->terms, NULL, &plan), TL_OK);
    char *sys = NULL, *user = NULL;
    assert_int_equal(tl_letter_prompt_render(plan, f->r, TL_TONE_WARM, &sys, &user), TL_OK);
    assert_non_null(strstr(sys, "letter prompt v1"));
    assert_non_null(strstr(sys, "Never add an employer, a title, a date, a number"));
    assert_non_null(strstr(sys, "{\"paragraphs\""));
    assert_non_null(strstr(user, "### Letter (JSON)\n{"));
    assert_non_null(strstr(user, "\"role\":\"Senior Backend Engineer, Payments Infrastructure\""));
    assert_non_null(strstr(user, "\"company\":\"Northwind Financial\""));
    assert_non_null(strstr(user, "\"tone\":\"warm\""));
    assert_non_null(strstr(user, plan->points[0].achievement));
    free(sys);
    free(user);
    tl_cover_letter_free(plan);
}

static tl_err apply(fx *f, const tl_cover_letter *plan, const char *answer, tl_cover_letter **out,
                    tl_guard_finding *fd)
{
    tl_guard *g = NULL;
    assert_int_equal(tl_guard_create(f->r, f->j, f->terms, &g), TL_OK);
    tl_err e = tl_letter_prompt_apply(plan, g, answer, strlen(answer), "p", out, fd);
    tl_guard_free(g);
    return e;
}

/* Lenient about shape: prose around the JSON, one string split at blank
 * lines, the greeting and sign-off dropped; strict about facts. */
static void test_parse(void **state)
{
    fx *f = *state;
    tl_cover_letter *plan = NULL, *l = NULL;
    assert_int_equal(tl_cover_letter_write(f->r, f->j, f->terms, NULL, &plan), TL_OK);
    tl_guard_finding fd;
    const char *prose =
        "Here it is:\n```json\n{\"letter\": \"Dear Hiring Manager,\\n\\nI am applying for the "
        "Senior Backend Engineer position at Northwind Financial.\\n\\nI would welcome a "
        "conversation. Thank you.\\n\\nSincerely,\\nAlex Chen\"}\n```";
    assert_int_equal(apply(f, plan, prose, &l, &fd), TL_OK);
    assert_int_equal(l->n_paragraphs, plan->n_head + 2 + 1);
    assert_string_equal(l->paragraphs[l->n_head], "I am applying for the Senior Backend Engineer "
                                                  "position at Northwind Financial.");
    tl_cover_letter_free(l);
    l = NULL;
    /* a number the resume lacks */
    assert_int_equal(apply(f, plan,
                           "{\"paragraphs\": [\"I am applying for the Senior Backend Engineer "
                           "position at Northwind Financial. I cut costs by 83%.\"]}",
                           &l, &fd),
                     TL_EREJECTED);
    assert_int_equal(fd.kind, TL_FACT_NUMBER);
    /* a skill the resume lacks (the job asks for gRPC) */
    assert_int_equal(apply(f, plan,
                           "{\"paragraphs\": [\"I am applying for the Senior Backend Engineer "
                           "position at Northwind Financial.\", \"I know gRPC well.\"]}",
                           &l, &fd),
                     TL_EREJECTED);
    /* the company not named, no JSON, no paragraphs */
    assert_int_equal(apply(f, plan,
                           "{\"paragraphs\": [\"I am applying for the Senior Backend Engineer "
                           "position.\"]}",
                           &l, &fd),
                     TL_EFORMAT);
    assert_int_equal(apply(f, plan, "I would love to.", &l, &fd), TL_EFORMAT);
    assert_int_equal(apply(f, plan, "{\"paragraphs\": []}", &l, &fd), TL_EFORMAT);
    assert_int_equal(apply(f, plan, "{\"paragraphs\": [3]}", &l, &fd), TL_EFORMAT);
    assert_null(l);
    tl_cover_letter_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_provider_writes),
        cmocka_unit_test(test_hallucination_rejected),
        cmocka_unit_test(test_falls_back_down_the_chain),
        cmocka_unit_test(test_prompt),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
