/* The original (baseline) processor: what a careful first version does.
 *
 * Per job, sections in document order, one at a time: all of a section's
 * subsections go to the chain's first provider in one request (no split
 * beyond the embedded engine's own, no batching across sections, no
 * cache, no limiter, no breaker, no hedging). An answer that leaves
 * subsections out, or a failed call, gets one retry (after the answer's
 * Retry-After when it gives one); what is still missing then is done by
 * the embedded engine, so every job completes. Jobs run side by side. */
#include <stdlib.h>

#include "engine/alloc.h"
#include "engine/engine_int.h"

static void orig_send(tl_engine *e, eng_call *c);

/* Section identity of a task: the summary is a section of its own. */
static long section_of(const eng_task *t)
{
    return t->t.target.kind == TL_TARGET_SUMMARY ? -1 : (long)t->t.target.section;
}

/* Completes t; starts the next section when t closed its own. Touches
 * nothing of the job after the last task (the job may be gone). */
static void orig_task_done(tl_engine *e, eng_task *t, const char *producer)
{
    eng_job *j = t->job;
    bool next = --j->orig_open == 0 && j->orig_next < j->n_tasks;
    tl__task_complete(e, t, producer);
    if (next)
        tl__orig_start(e, j);
}

static void to_local(tl_engine *e, eng_task *t)
{
    eng_job *j = t->job;
    if (j->n_chain > 0 && j->cctx) {
        t->fell_back = true;
        j->m.fallbacks++;
    }
    t->call = NULL;
    tl__run_local(e, t);
}

void tl__orig_local_done(tl_engine *e, eng_task *t)
{
    orig_task_done(e, t, "local");
}

static eng_call *section_call(tl_engine *e, eng_job *j, eng_task **tasks, size_t n,
                              unsigned attempt)
{
    eng_call *c = tl__call_new(e, j, j->chain[0], 0, n);
    if (!c)
        return NULL;
    c->original = true;
    c->attempt = attempt;
    c->n = n;
    for (size_t i = 0; i < n; i++) {
        c->tasks[i] = tasks[i];
        tasks[i]->call = c;
        tasks[i]->state = T_CALL;
        c->est_tokens += tasks[i]->t.tokens_est;
    }
    return c;
}

/* Starts the next section of j. */
void tl__orig_start(tl_engine *e, eng_job *j)
{
    size_t from = j->orig_next, to = from + 1;
    while (to < j->n_tasks && section_of(&j->tasks[to]) == section_of(&j->tasks[from]))
        to++;
    j->orig_next = to;
    j->orig_open = to - from;
    eng_task **tasks = tl__malloc((to - from) * sizeof *tasks);
    eng_call *c = NULL;
    if (tasks) {
        for (size_t i = from; i < to; i++)
            tasks[i - from] = &j->tasks[i];
        if (j->n_chain > 0 && j->cctx)
            c = section_call(e, j, tasks, to - from, 1);
    }
    tl__free(tasks);
    if (c) {
        orig_send(e, c);
        return;
    }
    tl__job_hold(j);
    for (size_t i = from; i < to; i++)
        to_local(e, &j->tasks[i]);
    tl__job_release(e, j);
}

static void retry_fire(tl_engine *e, tl__timer *tm)
{
    orig_send(e, container_of_(tm, eng_call, tm));
}

/* The section's call failed to go out or came back short: retry it once,
 * then the embedded engine. c is consumed. A dead-lettered call is not
 * retried (the queue already gave up on it). */
static void orig_retry(tl_engine *e, eng_call *c, uint64_t retry_after_ns, bool dead_letter)
{
    eng_job *j = c->job;
    eng_call *again =
        c->attempt < 2 && !dead_letter ? section_call(e, j, c->tasks, c->n, c->attempt + 1) : NULL;
    if (again) {
        j->m.retries++;
        tl__call_free(e, c);
        if (retry_after_ns)
            tl__timer_arm(e, &again->tm, tl__now(e) + retry_after_ns, retry_fire);
        else
            orig_send(e, again);
        return;
    }
    tl__job_hold(j);
    for (size_t i = 0; i < c->n; i++)
        to_local(e, c->tasks[i]);
    tl__call_free(e, c);
    tl__job_release(e, j);
}

static void orig_send(tl_engine *e, eng_call *c)
{
    char *sys = NULL, *user = NULL;
    /* The router's model, but no breaker: the baseline has none. */
    c->model = tl__pick_model(e, c->prov, c->tasks[0]->t.tier, (long)c->est_tokens, false);
    tl_err err = tl__render(e, c, &sys, &user);
    if (!err) {
        tl_chat_request req = {0};
        req.model = c->model->name[0] ? c->model->name : NULL;
        req.system = sys;
        req.user = user;
        req.json = true;
        req.tokens_in_estimate = (int)c->est_tokens;
        req.attempt = c->attempt;
        for (size_t i = 0; i < c->n; i++) {
            c->tasks[i]->calls++;
            c->tasks[i]->t.attempts++;
        }
        c->sent_ns = tl__now(e);
        err = tl__call_submit(c, &req);
    }
    free(sys);
    free(user);
    if (err) {
        c->job->m.failures++;
        orig_retry(e, c, 0, false);
        return;
    }
    c->sent = true;
    c->job->m.provider_calls++;
}

void tl__orig_response(tl_engine *e, eng_call *c, const tl_chat_response *r)
{
    eng_job *j = c->job;
    c->sent = false;
    tl__account_response(j, r, c->model);
    size_t left = 0;
    if (r->error == TL_CALL_OK) {
        tl_prompt_outcome *out = tl__malloc(c->n * sizeof *out);
        if (out)
            tl__apply_answer(e, c, r->text ? r->text : "", r->text_len, out);
        tl__model_record(e, c, r, out, out ? c->n : 0);
        tl__job_hold(j);
        for (size_t i = 0; i < c->n; i++) {
            eng_task *t = c->tasks[i];
            if (out && out[i] == TL_PROMPT_APPLIED) {
                t->call = NULL;
                orig_task_done(e, t, c->prov->p->name ? c->prov->p->name : "provider");
            } else {
                c->tasks[left++] = t;
            }
        }
        tl__free(out);
        c->n = left;
        if (left)
            j->m.failures++;
        if (left == 0) {
            tl__call_free(e, c);
            tl__job_release(e, j);
            return;
        }
        tl__job_release(e, j);
    } else if (r->dead_letter) {
        j->m.dead_lettered += c->n;
    } else {
        tl__model_record(e, c, r, NULL, 0);
        j->m.failures++;
    }
    uint64_t ra = r->retry_after_ms > 0 ? (uint64_t)r->retry_after_ms * TL_NS_PER_MS : 0;
    orig_retry(e, c, ra, r->dead_letter);
}
