/* Prompts: what a provider is told, and how its answers are taken back
 * (lenient parsing, per-task outcomes of a batch, the fact guard). */
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
#include "provider/prompt.h"
#include "util/file.h"
#include "util/limits.h"

#include "test_fixtures.h"

typedef struct fx {
    tl_terms *terms;
    tl_resume *r;
    tl_job *j;
    tl_prompt_ctx *ctx;
    tl_resume *out;
    tl_changes *ch;
} fx;

static int setup_strength(void **state, tl_strength s)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(tl_terms_load_default(&f->terms), TL_OK);
    f->r = tf_resume("alex-chen.json");
    f->j = tf_job(f->terms, "senior-backend-engineer.txt");
    assert_int_equal(tl_prompt_ctx_create(f->r, f->j, f->terms, s, &f->ctx), TL_OK);
    assert_int_equal(tl_resume_clone(f->r, &f->out), TL_OK);
    f->ch = tl_changes_new();
    assert_non_null(f->ch);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_strength(state, TL_STRENGTH_BALANCED);
}

static int teardown(void **state)
{
    fx *f = *state;
    tl_changes_free(f->ch);
    tl_resume_free(f->out);
    tl_prompt_ctx_free(f->ctx);
    tl_job_free(f->j);
    tl_resume_free(f->r);
    tl_terms_free(f->terms);
    free(f);
    return 0;
}

static tl_prompt_task work(const char *id, size_t entry)
{
    tl_prompt_task t = {id, {TL_TARGET_ENTRY, 0, entry, 0, 0}};
    return t;
}

static const tl_entry *orig_entry(const fx *f, size_t i)
{
    return &f->r->sections[0].entries[i];
}

/* An answer object for entry i: its bullets reversed, term map applied. */
static json_t *answer_for(const fx *f, const char *id, size_t i, bool reverse)
{
    const tl_entry *en = orig_entry(f, i);
    json_t *o = json_object(), *b = json_array();
    json_object_set_new(o, "id", json_string(id));
    for (size_t k = 0; k < en->n_bullets; k++)
        json_array_append_new(b, json_string(en->bullets[reverse ? en->n_bullets - 1 - k : k]));
    json_object_set_new(o, "bullets", b);
    if (en->summary)
        json_object_set_new(o, "summary", json_string(en->summary));
    json_object_set_new(o, "changes",
                        json_pack("[{s:s,s:s}]", "what", "reordered", "why", "job relevance"));
    return o;
}

static char *dump(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    assert_non_null(s);
    return s;
}

static void test_render_single(void **state)
{
    fx *f = *state;
    tl_prompt_task t = work("t0", 0);
    char *sys = NULL, *user = NULL;
    assert_int_equal(tl_prompt_render(f->ctx, &t, 1, &sys, &user), TL_OK);
    assert_non_null(strstr(sys, "Never add an employer"));
    assert_non_null(strstr(sys, "bullet count"));
    assert_non_null(strstr(user, "Prompt version: 1"));
    assert_non_null(strstr(user, "BALANCED"));
    /* Both blocks are one line of JSON after their heading. */
    const char *jb = strstr(user, "### Job (JSON)\n");
    assert_non_null(jb);
    json_t *job = json_loads(jb + strlen("### Job (JSON)\n"), JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(job);
    assert_true(json_array_size(json_object_get(job, "matched_keywords")) > 0);
    assert_true(json_array_size(json_object_get(job, "missing_keywords")) > 0);
    /* The resume says "golang", the job "Go". */
    const char *go = json_string_value(json_object_get(json_object_get(job, "term_map"), "golang"));
    assert_non_null(go);
    assert_string_equal(go, "Go");
    json_decref(job);
    const char *sb = strstr(user, "### Subsections (JSON)\n");
    assert_non_null(sb);
    json_t *subs =
        json_loads(sb + strlen("### Subsections (JSON)\n"), JSON_DISABLE_EOF_CHECK, NULL);
    assert_true(json_is_array(subs));
    json_t *s0 = json_array_get(subs, 0);
    assert_string_equal(json_string_value(json_object_get(s0, "id")), "t0");
    assert_int_equal(json_array_size(json_object_get(s0, "bullets")), orig_entry(f, 0)->n_bullets);
    assert_string_equal(json_string_value(json_object_get(s0, "organisation")), "Lumen Payments");
    json_decref(subs);
    free(sys);
    free(user);
}

static void test_render_batch_and_errors(void **state)
{
    fx *f = *state;
    tl_prompt_task t[3] = {{"s", {TL_TARGET_SUMMARY, 0, 0, 0, 0}}, work("w0", 0), work("w1", 1)};
    char *sys = NULL, *user = NULL;
    assert_int_equal(tl_prompt_render(f->ctx, t, 3, &sys, &user), TL_OK);
    assert_non_null(strstr(sys, "keys are the subsection ids"));
    assert_non_null(strstr(user, "\"id\":\"w1\""));
    assert_non_null(strstr(user, "\"kind\":\"summary\""));
    free(sys);
    free(user);
    /* Duplicate ids, a target out of range. */
    tl_prompt_task dup[2] = {work("a", 0), work("a", 1)};
    assert_int_equal(tl_prompt_render(f->ctx, dup, 2, &sys, &user), TL_EINVAL);
    tl_prompt_task bad = work("x", 999);
    assert_int_equal(tl_prompt_render(f->ctx, &bad, 1, &sys, &user), TL_EINVAL);
}

static const tl_change *find_change(const tl_changes *ch, tl_change_kind k, const char *id)
{
    for (size_t i = 0; i < ch->n; i++)
        if (ch->items[i].kind == k && (!id || strcmp(ch->items[i].id, id) == 0))
            return &ch->items[i];
    return NULL;
}

static void test_apply_single_in_prose(void **state)
{
    fx *f = *state;
    tl_prompt_task t = work("t0", 0);
    const tl_entry *en = orig_entry(f, 0);
    json_t *o = answer_for(f, "t0", 0, true);
    /* Respell golang -> Go in the (now last) first bullet. */
    json_t *b = json_object_get(o, "bullets");
    size_t last = json_array_size(b) - 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", json_string_value(json_array_get(b, last)));
    char *g = strstr(buf, "golang");
    assert_non_null(g);
    memmove(g + 2, g + 6, strlen(g + 6) + 1);
    memcpy(g, "Go", 2);
    json_array_set_new(b, last, json_string(buf));
    char *js = dump(o);
    char answer[8192];
    snprintf(answer, sizeof answer, "Sure! Here is the {tailored} part:\n```json\n%s\n```\nDone.",
             js);
    free(js);
    tl_prompt_outcome oc;
    assert_int_equal(tl_prompt_apply(f->ctx, answer, strlen(answer), &t, 1, f->out, f->ch, &oc),
                     TL_OK);
    assert_int_equal(oc, TL_PROMPT_APPLIED);
    const tl_entry *now = &f->out->sections[0].entries[0];
    assert_string_equal(now->bullets[0], en->bullets[en->n_bullets - 1]);
    assert_string_equal(now->bullets[last], buf);
    const tl_change *c = find_change(f->ch, TL_CHANGE_REORDER, "work[0].highlights[0]");
    assert_non_null(c);
    assert_non_null(strstr(c->reason, "job relevance"));
    c = find_change(f->ch, TL_CHANGE_TERM, NULL);
    assert_non_null(c);
    assert_non_null(strstr(c->after, "in Go,"));
}

static void test_apply_batch_partial(void **state)
{
    fx *f = *state;
    tl_prompt_task t[3] = {work("a", 0), work("b", 1), work("c", 2)};
    json_t *root = json_object();
    json_object_set_new(root, "a", answer_for(f, "a", 0, true));
    /* b: wrong bullet count. c: absent. */
    json_t *bad = answer_for(f, "b", 1, false);
    json_array_remove(json_object_get(bad, "bullets"), 0);
    json_object_set_new(root, "b", bad);
    char *js = dump(root);
    tl_prompt_outcome oc[3];
    assert_int_equal(tl_prompt_apply(f->ctx, js, strlen(js), t, 3, f->out, f->ch, oc), TL_OK);
    free(js);
    assert_int_equal(oc[0], TL_PROMPT_APPLIED);
    assert_int_equal(oc[1], TL_PROMPT_MALFORMED);
    assert_int_equal(oc[2], TL_PROMPT_MISSING);
    assert_string_equal(f->out->sections[0].entries[1].bullets[0], orig_entry(f, 1)->bullets[0]);

    /* The same as an array of objects with ids. */
    json_t *arr = json_array();
    json_array_append_new(arr, answer_for(f, "c", 2, false));
    json_array_append_new(arr, answer_for(f, "b", 1, true));
    js = dump(json_pack("{s:o}", "results", arr));
    assert_int_equal(tl_prompt_apply(f->ctx, js, strlen(js), t + 1, 2, f->out, f->ch, oc), TL_OK);
    free(js);
    assert_int_equal(oc[0], TL_PROMPT_APPLIED);
    assert_int_equal(oc[1], TL_PROMPT_APPLIED);
}

static void test_apply_malformed(void **state)
{
    fx *f = *state;
    tl_prompt_task t = work("t0", 0);
    tl_prompt_outcome oc;
    const char *none = "I cannot help with that.";
    assert_int_equal(tl_prompt_apply(f->ctx, none, strlen(none), &t, 1, f->out, f->ch, &oc),
                     TL_EFORMAT);
    assert_int_equal(oc, TL_PROMPT_MALFORMED);
    const char *cut = "{\"id\":\"t0\",\"bullets\":[\"Led";
    assert_int_equal(tl_prompt_apply(f->ctx, cut, strlen(cut), &t, 1, f->out, f->ch, &oc),
                     TL_EFORMAT);
    const char *shape = "{\"id\":\"t0\",\"bullets\":\"not a list\"}";
    assert_int_equal(tl_prompt_apply(f->ctx, shape, strlen(shape), &t, 1, f->out, f->ch, &oc),
                     TL_OK);
    assert_int_equal(oc, TL_PROMPT_MALFORMED);
    const char *other = "{\"id\":\"zz\",\"bullets\":[]}";
    assert_int_equal(tl_prompt_apply(f->ctx, other, strlen(other), &t, 1, f->out, f->ch, &oc),
                     TL_OK);
    assert_int_equal(oc, TL_PROMPT_MISSING);
    /* An empty bullet. */
    json_t *o = answer_for(f, "t0", 0, false);
    json_array_set_new(json_object_get(o, "bullets"), 1, json_string("  "));
    char *js = dump(o);
    assert_int_equal(tl_prompt_apply(f->ctx, js, strlen(js), &t, 1, f->out, f->ch, &oc), TL_OK);
    free(js);
    assert_int_equal(oc, TL_PROMPT_MALFORMED);
    assert_int_equal(f->ch->n, 0);
}

static void test_apply_hallucinated(void **state)
{
    fx *f = *state;
    tl_prompt_task t = work("t0", 0);
    const char *invent[] = {
        "Led the redesign of the ledger service in golang at Initech Global",
        "Led the redesign of the ledger service in golang, saving $7,300,000 a year",
        "Led the redesign of the ledger service in golang as Principal Architect",
    };
    for (size_t i = 0; i < sizeof invent / sizeof invent[0]; i++) {
        json_t *o = answer_for(f, "t0", 0, false);
        json_array_set_new(json_object_get(o, "bullets"), 0, json_string(invent[i]));
        char *js = dump(o);
        tl_prompt_outcome oc;
        assert_int_equal(tl_prompt_apply(f->ctx, js, strlen(js), &t, 1, f->out, f->ch, &oc), TL_OK);
        free(js);
        assert_int_equal(oc, TL_PROMPT_REJECTED);
        assert_string_equal(f->out->sections[0].entries[0].bullets[0],
                            orig_entry(f, 0)->bullets[0]);
    }
    assert_int_equal(f->ch->n, 0);
}

static void test_apply_summary(void **state)
{
    fx *f = *state;
    tl_prompt_task t = {"s", {TL_TARGET_SUMMARY, 0, 0, 0, 0}};
    const char *ok =
        "{\"summary\": \"Software engineer with 8 years of experience building backend "
        "services and data pipelines, with a focus on reliability and performance of "
        "distributed systems. Comfortable across the stack.\", \"changes\": "
        "[{\"what\": \"summary\", \"why\": \"leads with distributed systems\"}]}";
    tl_prompt_outcome oc;
    assert_int_equal(tl_prompt_apply(f->ctx, ok, strlen(ok), &t, 1, f->out, f->ch, &oc), TL_OK);
    assert_int_equal(oc, TL_PROMPT_APPLIED);
    const tl_change *c = find_change(f->ch, TL_CHANGE_SUMMARY, "basics.summary");
    assert_non_null(c);
    assert_string_equal(c->reason, "leads with distributed systems");
    const char *bad = "{\"summary\": \"Engineer with 15 years at Google.\"}";
    assert_int_equal(tl_prompt_apply(f->ctx, bad, strlen(bad), &t, 1, f->out, f->ch, &oc), TL_OK);
    assert_int_equal(oc, TL_PROMPT_REJECTED);
    assert_non_null(strstr(f->out->basics.summary, "Comfortable across the stack."));
}

static void test_apply_unchanged_answer(void **state)
{
    fx *f = *state;
    tl_prompt_task t[2] = {work("a", 0), work("b", 1)};
    json_t *arr = json_array();
    json_array_append_new(arr, answer_for(f, "a", 0, false));
    json_array_append_new(arr, answer_for(f, "b", 1, false));
    char *js = dump(arr);
    tl_prompt_outcome oc[2];
    assert_int_equal(tl_prompt_apply(f->ctx, js, strlen(js), t, 2, f->out, f->ch, oc), TL_OK);
    free(js);
    assert_int_equal(oc[0], TL_PROMPT_APPLIED);
    assert_int_equal(oc[1], TL_PROMPT_APPLIED);
    assert_int_equal(f->ch->n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_render_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_batch_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_single_in_prose, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_batch_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_hallucinated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_unchanged_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
