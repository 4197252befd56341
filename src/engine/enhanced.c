/* The enhanced processor: how one task flows (processor.h, README.md).
 *
 *   scheduler --EXPIRED--> embedded engine
 *       | READY
 *   cache acquire --HIT--> result        --WAITING--> (the leader's value)
 *       | LEADER
 *   batcher (the plan's request groups of a job; <= max_queue_delay)
 *       |
 *   rate limiter --WAIT--> timer, --BUSY--> the provider's parked calls
 *       | OK
 *   breaker --refused--> next link
 *       | permitted
 *   provider call (hedged after the provider's p95 to the next link, or
 *   to the same provider when the next is the embedded engine)
 *       |
 *   codec apply (fact guard): APPLIED -> cache store, result
 *                             MISSING in a batch -> again, alone
 *                             unusable / call failed -> retry (backoff,
 *                             Retry-After, budget) or the next link
 *
 * Everything here runs on the loop (engine_int.h): no locks but the
 * building blocks' own and the job's output lock. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/engine_int.h"
#include "tailor/match.h"
#include "util/buf.h"
#include "util/hash.h"

#define KEY_BUF_MAX (4u * 1024u * 1024u)
#define NULL_LEN UINT32_MAX

static void route(tl_engine *e, eng_task *t);
static void route_after_cache(tl_engine *e, eng_task *t);
static bool try_send(tl_engine *e, eng_call *c);
static void expire_task(tl_engine *e, eng_task *t);
static void next_link(tl_engine *e, eng_task *t);
static void task_failed(tl_engine *e, eng_call *c, eng_task *t, uint64_t retry_after_ns,
                        bool retryable);

static bool deadline_passed(tl_engine *e, const eng_job *j)
{
    return j->o.deadline_ns && tl__now(e) >= j->o.deadline_ns;
}

static bool is_live(const eng_call *c, const eng_task *t)
{
    if (c->hedge)
        return t->hedge == c && t->state != T_DONE && t->state != T_LOCAL;
    return t->call == c && t->state == T_CALL;
}

static size_t live_count(const eng_call *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += is_live(c, c->tasks[i]);
    return n;
}

/* A call nobody waits for any more is cancelled (its answer would be
 * dropped anyway; a provider that honours cancel does not bill it). */
static void maybe_cancel(eng_call *c)
{
    if (c && c->sent && live_count(c) == 0)
        tl_provider_cancel(c->prov->p, c->call_id);
}

/* ------------------------------------------------------------ cache keys */

static tl_err put_bytes(tl_buf *b, const void *p, size_t n)
{
    uint32_t len = (uint32_t)n;
    tl_err err = tl_buf_append(b, &len, sizeof len);
    return err ? err : tl_buf_append(b, p, n);
}

static tl_err put_str(tl_buf *b, const char *s)
{
    if (!s) {
        uint32_t len = NULL_LEN;
        return tl_buf_append(b, &len, sizeof len);
    }
    return put_bytes(b, s, strlen(s));
}

static tl_err put_u64(tl_buf *b, uint64_t v)
{
    return put_bytes(b, &v, sizeof v);
}

typedef struct text_sink {
    tl_buf *b;
    tl_err err;
} text_sink;

static bool sink_text(void *ud, const tl_text_ref *ref)
{
    text_sink *s = ud;
    s->err = put_str(s->b, ref->text);
    return s->err == TL_OK;
}

/* The canonical content of a target: what its tailoring reads. The summary
 * reads the whole resume (it is composed from the resume's title, years and
 * the job's skills found anywhere in it). */
static tl_err put_content(tl_buf *b, const tl_resume *r, const tl_target *tg)
{
    tl_err err = put_u64(b, tg->kind);
    if (tg->kind == TL_TARGET_SUMMARY) {
        text_sink sink = {b, err};
        if (!err)
            tl_resume_texts(r, sink_text, &sink);
        return sink.err;
    }
    const tl_section *s = &r->sections[tg->section];
    const tl_entry *en = &s->entries[tg->entry];
    const char *fixed[] = {s->key, en->title, en->org, en->start_date, en->end_date};
    for (size_t i = 0; !err && i < sizeof fixed / sizeof fixed[0]; i++)
        err = put_str(b, fixed[i]);
    if (!err)
        err = put_u64(b, ((uint64_t)tg->bullet_from << 32) | tl_target_bullet_end(tg, en));
    if (!err && tg->bullet_from == 0)
        err = put_str(b, en->summary);
    for (size_t i = tg->bullet_from; !err && i < tl_target_bullet_end(tg, en); i++)
        err = put_str(b, en->bullets[i]);
    return err;
}

typedef struct kw_seen {
    const tl_matcher *m;
    bool *seen;
    tl_text_match *tm;
} kw_seen;

static void mark_text(kw_seen *k, const char *s)
{
    if (!s || !*s)
        return;
    tl_matcher_match(k->m, s, strlen(s), k->tm);
    for (size_t i = 0; i < k->tm->n_kw; i++)
        if (k->tm->kw[i] >= 0 && k->tm->kw[i] < TL_JOB_MAX_KEYWORDS)
            k->seen[k->tm->kw[i]] = true;
}

/* The part of the job's analysis the target depends on: the keywords its
 * texts mention (all of them for the summary, which is composed from the
 * job's skills), each with the job's spelling, part and weight. */
static tl_err put_job_part(tl_buf *b, const eng_job *j, const tl_target *tg)
{
    bool seen[TL_JOB_MAX_KEYWORDS] = {false};
    const tl_matcher *m = tl_local_ctx_matcher(j->lctx);
    if (tg->kind == TL_TARGET_SUMMARY) {
        for (size_t i = 0; i < j->j->n_keywords && i < TL_JOB_MAX_KEYWORDS; i++)
            seen[i] = true;
    } else {
        tl_text_match *tm = tl__malloc(sizeof *tm);
        if (!tm)
            return TL_ENOMEM;
        kw_seen k = {m, seen, tm};
        const tl_entry *en = &j->r->sections[tg->section].entries[tg->entry];
        mark_text(&k, en->title);
        if (tg->bullet_from == 0)
            mark_text(&k, en->summary);
        for (size_t i = tg->bullet_from; i < tl_target_bullet_end(tg, en); i++)
            mark_text(&k, en->bullets[i]);
        tl__free(tm);
    }
    tl_err err = TL_OK;
    for (size_t i = 0; !err && i < j->j->n_keywords && i < TL_JOB_MAX_KEYWORDS; i++) {
        if (!seen[i])
            continue;
        const tl_keyword *kw = &j->j->keywords[i];
        const char *sp = NULL;
        size_t sn = 0;
        bool own = tl_matcher_job_spelling(m, (int)i, &sp, &sn);
        err = put_str(b, kw->term);
        if (!err)
            err = put_str(b, kw->surface);
        if (!err)
            err = own ? put_bytes(b, sp, sn) : put_str(b, NULL);
        if (!err)
            err = put_u64(b, ((uint64_t)kw->part << 32) | (uint64_t)(kw->weight * 100.0 + 0.5));
    }
    return err;
}

/* key = XXH3-128 of (content, job part, strength, model, codec version);
 * tag = hash of the content alone, for invalidation by content. */
static tl_err task_key(tl_engine *e, eng_task *t)
{
    eng_job *j = t->job;
    tl_buf b;
    tl_buf_init(&b, KEY_BUF_MAX);
    tl_err err = put_content(&b, j->r, &t->t.target);
    if (!err)
        t->tag = tl_hash64(b.data, b.len, 0x7461696c6f72ull) | 1;
    if (!err)
        err = put_job_part(&b, j, &t->t.target);
    if (!err)
        err = put_u64(&b, ((uint64_t)j->plan->strength << 32) | (uint32_t)e->codec->version);
    if (!err)
        err = put_str(&b, t->model->name);
    if (!err) {
        t->key = tl_cache_key_of(b.data, b.len);
        t->key_valid = true;
        t->key_link = t->link;
    }
    tl_buf_free(&b);
    return err;
}

/* ------------------------------------------------------------ cache values */

/* A tailored target as stored: its texts, length-prefixed. */
static tl_err snapshot(const tl_resume *out, const tl_target *tg, tl_buf *b)
{
    if (tg->kind == TL_TARGET_SUMMARY)
        return put_str(b, out->basics.summary);
    const tl_entry *en = &out->sections[tg->section].entries[tg->entry];
    tl_err err = put_u64(b, tl_target_bullet_end(tg, en) - tg->bullet_from);
    if (!err && tg->bullet_from == 0)
        err = put_str(b, en->summary);
    for (size_t i = tg->bullet_from; !err && i < tl_target_bullet_end(tg, en); i++)
        err = put_str(b, en->bullets[i]);
    return err;
}

typedef struct reader {
    const unsigned char *p;
    size_t n;
} reader;

static bool get_str(reader *rd, const char **s, size_t *n)
{
    uint32_t len;
    if (rd->n < sizeof len)
        return false;
    memcpy(&len, rd->p, sizeof len);
    rd->p += sizeof len;
    rd->n -= sizeof len;
    if (len == NULL_LEN) {
        *s = NULL;
        *n = 0;
        return true;
    }
    if (rd->n < len)
        return false;
    *s = (const char *)rd->p;
    *n = len;
    rd->p += len;
    rd->n -= len;
    return true;
}

/* Writes one cached text into its slot, recording the change against the
 * original. */
static tl_err restore_slot(eng_task *t, char **slot, const char *orig, const char *id,
                           const char *s, size_t n)
{
    tl_resume *out = t->job->res->tailored;
    tl_err err = s ? tl_resume_setn(out, slot, s, n) : tl_resume_set(out, slot, NULL);
    if (err || !*slot || (orig && strcmp(orig, *slot) == 0))
        return err;
    return tl_changes_add(t->changes, TL_CHANGE_REWRITE, id, orig, *slot,
                          "as tailored before for the same content and job keywords");
}

static tl_err restore_entry(eng_task *t, reader *rd)
{
    const tl_target *tg = &t->t.target;
    eng_job *j = t->job;
    tl_entry *en = &j->res->tailored->sections[tg->section].entries[tg->entry];
    const tl_entry *orig = &j->r->sections[tg->section].entries[tg->entry];
    const char *s;
    size_t n;
    uint64_t count;
    if (!get_str(rd, &s, &n) || n != sizeof count)
        return TL_EFORMAT;
    memcpy(&count, s, sizeof count);
    if (count != tl_target_bullet_end(tg, en) - tg->bullet_from)
        return TL_EFORMAT;
    char id[128];
    tl_err err = TL_OK;
    if (tg->bullet_from == 0) {
        if (!get_str(rd, &s, &n))
            return TL_EFORMAT;
        snprintf(id, sizeof id, "%s[%zu].summary", j->r->sections[tg->section].key, tg->entry);
        err = restore_slot(t, &en->summary, orig->summary, id, s, n);
    }
    for (size_t i = tg->bullet_from; !err && i < tl_target_bullet_end(tg, en); i++) {
        if (!get_str(rd, &s, &n) || !s)
            return TL_EFORMAT;
        tl_resume_entry_id(j->r, tg->section, tg->entry, (int)i, id, sizeof id);
        err = restore_slot(t, &en->bullets[i], orig->bullets[i], id, s, n);
    }
    return err;
}

/* Applies a cached value to the task's target; false when it does not fit
 * (then the task computes its own). */
static bool apply_cached(eng_task *t, const void *value, size_t len)
{
    eng_job *j = t->job;
    reader rd = {value, len};
    tl_err err;
    pthread_mutex_lock(&j->out_mu);
    if (t->t.target.kind == TL_TARGET_SUMMARY) {
        const char *s;
        size_t n;
        err = get_str(&rd, &s, &n) ? restore_slot(t, &j->res->tailored->basics.summary,
                                                  j->r->basics.summary, "basics.summary", s, n)
                                   : TL_EFORMAT;
    } else {
        err = restore_entry(t, &rd);
    }
    pthread_mutex_unlock(&j->out_mu);
    if (err == TL_ENOMEM)
        j->status = err;
    return err == TL_OK;
}

/* The leader's value goes to the cache (and to its waiters). A value that
 * did not come from the key's own link (a hedge) is delivered, not stored. */
static void cache_store(tl_engine *e, eng_task *t, bool store)
{
    if (!t->leader)
        return;
    t->leader = false;
    tl_buf b;
    tl_buf_init(&b, KEY_BUF_MAX);
    eng_job *j = t->job;
    pthread_mutex_lock(&j->out_mu);
    tl_err err = snapshot(j->res->tailored, &t->t.target, &b);
    pthread_mutex_unlock(&j->out_mu);
    tl_cache_put_opts po = {0, t->tag, !store};
    if (err || tl_cache_complete(e->cache, t->key, b.data ? b.data : "", b.len, &po) != TL_OK)
        tl__ignore(tl_cache_abandon(e->cache, t->key));
    tl_buf_free(&b);
}

static void cache_release(tl_engine *e, eng_task *t)
{
    if (!t->leader)
        return;
    t->leader = false;
    tl__ignore(tl_cache_abandon(e->cache, t->key));
}

/* ------------------------------------------------------------ completing */

static void complete(tl_engine *e, eng_task *t, const char *producer)
{
    if (t->hedge) { /* the primary won: the hedge loses */
        eng_call *h = t->hedge;
        t->hedge = NULL;
        maybe_cancel(h);
    }
    if (t->call) {
        eng_call *c = t->call;
        t->call = NULL;
        t->state = T_DONE;
        maybe_cancel(c);
    }
    tl__task_complete(e, t, producer);
}

static void run_local_task(tl_engine *e, eng_task *t)
{
    cache_release(e, t);
    eng_job *j = t->job;
    if (j->n_chain > 0 && j->cctx)
        t->fell_back = true;
    t->link = j->n_chain;
    tl__run_local(e, t);
}

void tl__enh_local_done(tl_engine *e, eng_task *t)
{
    complete(e, t, "local");
}

static void on_cache_wait(void *ud, tl_cache_acq what, const void *value, size_t len)
{
    eng_task *t = ud;
    tl_engine *e = t->job->e;
    if (what == TL_CACHE_HIT && apply_cached(t, value, len)) {
        t->cached = true;
        complete(e, t, "cache");
        return;
    }
    if (what == TL_CACHE_LEADER)
        t->leader = true;
    else
        t->cache_off = true;
    route_after_cache(e, t);
}

/* ------------------------------------------------------------ routing */

/* A job's tasks share requests as its plan groups them (engine/task.h):
 * no more requests than the original processor makes, the slowest one as
 * short as can be. */
static uint64_t group_key(const eng_task *t)
{
    uint64_t k[4] = {t->job->id, t->link, (uint64_t)t->t.batch, (uint64_t)(uintptr_t)t->model};
    return tl_hash64(k, sizeof k, 0x67726f75ull);
}

/* The summed estimate of the group's tasks still to be answered on t's
 * link: the batch goes out as soon as all of them are in (after a cache
 * hit or a failed batch, the rest), or after max_queue_delay when some
 * are elsewhere (waiting on another job's identical task, say). */
static uint64_t group_tokens(const eng_task *t)
{
    const eng_job *j = t->job;
    uint64_t sum = 0;
    for (size_t i = 0; i < j->n_tasks; i++) {
        const eng_task *o = &j->tasks[i];
        if (o->t.batch == t->t.batch && o->link == t->link && o->state != T_DONE &&
            o->state != T_LOCAL)
            sum += o->t.tokens_est;
    }
    return sum;
}

static void send_tasks(tl_engine *e, eng_task **tasks, size_t n)
{
    eng_job *j = tasks[0]->job;
    unsigned link = tasks[0]->link;
    eng_call *c = tl__call_new(e, j, j->chain[link], link, n);
    if (!c) { /* no memory for a call: the embedded engine needs none */
        for (size_t i = 0; i < n; i++)
            run_local_task(e, tasks[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        c->tasks[i] = tasks[i];
        tasks[i]->state = T_CALL;
        tasks[i]->call = c;
        c->est_tokens += tasks[i]->t.tokens_est;
    }
    c->n = n;
    c->model = tasks[0]->model; /* a batch's tasks chose one model (group_key) */
    if (n > 1) {
        j->m.batches++;
        j->m.batched_tasks += n;
        if (n > j->m.max_batch)
            j->m.max_batch = n;
    }
    (void)try_send(e, c);
}

/* The batcher bounds a batch to MAX_BATCH_LIMIT (64) items; an empty one
 * sends nothing. */
static void send_batch(tl_engine *e, tl_batch *b)
{
    eng_task *tasks[64];
    size_t n = 0;
    for (tl_batch_item *it = b->head; it && n < 64; it = it->next)
        tasks[n++] = container_of_(it, eng_task, bitem);
    if (n > 0)
        send_tasks(e, tasks, n);
}

void tl__enh_batch_timer(tl_engine *e, tl__timer *tm)
{
    tl_batch b;
    while (tl_batcher_due(e->batcher, tl__now(e), &b))
        send_batch(e, &b);
    uint64_t next = tl_batcher_next_due(e->batcher);
    if (next != UINT64_MAX)
        tl__timer_arm(e, tm, next, tl__enh_batch_timer);
}

static void route_after_cache(tl_engine *e, eng_task *t)
{
    if (t->solo || e->o.max_batch <= 1 || t->t.batch < 0) {
        send_tasks(e, &t, 1);
        return;
    }
    tl_batch ready;
    t->state = T_BATCHING;
    t->bitem.tag = t->job->id;
    if (tl_batcher_add_capped(e->batcher, &t->bitem, group_key(t), t->t.tokens_est, group_tokens(t),
                              tl__now(e), &ready)) {
        send_tasks(e, &t, 1);
        return;
    }
    if (ready.n)
        send_batch(e, &ready);
    uint64_t next = tl_batcher_next_due(e->batcher);
    if (next != UINT64_MAX && (!e->batch_tm.idx || next < e->batch_tm.when))
        tl__timer_arm(e, &e->batch_tm, next, tl__enh_batch_timer);
}

/* Each time a task is routed (first, retried, on the next link) the
 * router chooses its model anew, skipping models whose breaker is open. */
static void choose_model(tl_engine *e, eng_task *t)
{
    eng_prov *p = t->job->chain[t->link];
    eng_model *m = tl__pick_model(e, p, t->t.tier, (long)t->t.tokens_est, true);
    if (m == t->model)
        return;
    /* Another model: the cache key (and flight) of the old one no longer
     * describes what this task computes. */
    cache_release(e, t);
    t->key_valid = false;
    t->model = m;
}

static void route(tl_engine *e, eng_task *t)
{
    eng_job *j = t->job;
    if (deadline_passed(e, j)) {
        expire_task(e, t);
        return;
    }
    if (t->link >= j->n_chain || !j->cctx) {
        run_local_task(e, t);
        return;
    }
    choose_model(e, t);
    if (!e->o.no_cache && !t->cache_off && !t->leader) {
        tl_buf hit;
        tl_buf_init(&hit, KEY_BUF_MAX);
        tl_cache_acq res = TL_CACHE_LEADER;
        tl_err err = (t->key_valid && t->key_link == t->link) ? TL_OK : task_key(e, t);
        if (!err)
            err = tl_cache_acquire(e->cache, t->key, &hit, on_cache_wait, t, &res);
        if (!err && res == TL_CACHE_HIT) {
            bool ok = apply_cached(t, hit.data, hit.len);
            tl_buf_free(&hit);
            if (ok) {
                j->m.cache_hits++;
                t->cached = true;
                complete(e, t, "cache");
                return;
            }
            t->cache_off = true;
        } else if (!err && res == TL_CACHE_WAITING) {
            tl_buf_free(&hit);
            j->m.cache_coalesced++;
            t->state = T_WAIT_CACHE;
            return;
        } else if (!err) {
            tl_buf_free(&hit);
            j->m.cache_misses++;
            t->leader = true;
        } else {
            tl_buf_free(&hit);
            t->cache_off = true;
        }
    }
    route_after_cache(e, t);
}

/* ------------------------------------------------------------ retries and fallback */

static void retry_fire(tl_engine *e, tl__timer *tm)
{
    eng_task *t = container_of_(tm, eng_task, tm);
    route(e, t);
}

static void next_link(tl_engine *e, eng_task *t)
{
    eng_job *j = t->job;
    cache_release(e, t);
    t->key_valid = false;
    t->link++;
    t->link_attempts = 0;
    t->solo = false;
    t->fell_back = true;
    j->m.fallbacks++;
    route(e, t);
}

/* After a failed attempt on t's link: retry later, or move on. */
static void retry_or_next(tl_engine *e, eng_task *t, uint64_t retry_after_ns)
{
    eng_job *j = t->job;
    if (deadline_passed(e, j)) {
        expire_task(e, t);
        return;
    }
    eng_prov *p = j->chain[t->link];
    uint64_t delay = 0;
    tl_retry_verdict v =
        tl_retry_next(p->retry, t->link_attempts ? t->link_attempts : 1, retry_after_ns, &delay);
    if (v != TL_RETRY_AFTER) {
        next_link(e, t);
        return;
    }
    j->m.retries++;
    t->solo = true;
    t->state = T_TIMER;
    tl__timer_arm(e, &t->tm, tl__now(e) + delay, retry_fire);
}

/* A batch that failed whole (a server error, a timeout, a 429) goes again
 * as one request: one retry against the budget and one call to the
 * provider, where retrying its tasks alone would cost one of each per
 * task and drain the budget under faults. Its tasks are timed together
 * and meet again in the batcher. */
static void retry_batch(tl_engine *e, eng_call *c, uint64_t retry_after_ns)
{
    eng_job *j = c->job;
    unsigned attempts = 1;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        eng_task *t = c->tasks[i];
        if (t->hedge) { /* its hedge still flies: it waits for that */
            task_failed(e, c, t, retry_after_ns, true);
            continue;
        }
        t->call = NULL;
        t->state = T_NEW;
        if (t->link_attempts > attempts)
            attempts = t->link_attempts;
        c->tasks[n++] = t;
    }
    c->n = n;
    if (n == 0)
        return;
    if (deadline_passed(e, j)) {
        for (size_t i = 0; i < c->n; i++)
            expire_task(e, c->tasks[i]);
        return;
    }
    uint64_t delay = 0;
    tl_retry_verdict v = tl_retry_next(c->prov->retry, attempts, retry_after_ns, &delay);
    if (v != TL_RETRY_AFTER) {
        for (size_t i = 0; i < c->n; i++)
            next_link(e, c->tasks[i]);
        return;
    }
    j->m.retries++;
    uint64_t when = tl__now(e) + delay;
    for (size_t i = 0; i < c->n; i++) {
        eng_task *t = c->tasks[i];
        t->state = T_TIMER;
        tl__timer_arm(e, &t->tm, when, retry_fire);
    }
}

static void expire_task(tl_engine *e, eng_task *t)
{
    eng_job *j = t->job;
    switch (t->state) {
    case T_QUEUED:
        tl__ignore(tl_sched_remove(e->sched, &t->node));
        j->queued--;
        break;
    case T_WAIT_CACHE: tl__ignore(tl_cache_unwait(e->cache, t->key, on_cache_wait, t)); break;
    case T_BATCHING: tl__ignore(tl_batcher_remove(e->batcher, &t->bitem)); break;
    case T_TIMER: tl__timer_disarm(e, &t->tm); break;
    case T_CALL: {
        eng_call *c = t->call;
        t->call = NULL;
        t->state = T_NEW;
        maybe_cancel(c);
        break;
    }
    case T_NEW: break; /* between two steps: nothing holds it */
    case T_LOCAL:
    case T_DONE: return;
    }
    if (t->hedge) {
        eng_call *h = t->hedge;
        t->hedge = NULL;
        maybe_cancel(h);
    }
    j->m.deadline_expired++;
    run_local_task(e, t);
}

void tl__enh_expire(tl_engine *e, eng_job *j)
{
    tl__job_hold(j); /* the last task may finish the job inside the loop */
    for (size_t i = 0; i < j->n_tasks; i++)
        expire_task(e, &j->tasks[i]);
    tl__job_release(e, j);
}

/* ------------------------------------------------------------ sending */

static void hedge_fire(tl_engine *e, tl__timer *tm);

/* A batch goes at the priority of its most urgent task. */
static int32_t call_priority(const eng_call *c)
{
    int32_t best = INT32_MIN;
    for (size_t i = 0; i < c->n; i++)
        if (c->tasks[i]->t.priority > best)
            best = c->tasks[i]->t.priority;
    return best + c->job->o.priority;
}

static void arm_hedge(tl_engine *e, eng_call *c)
{
    eng_prov *p = c->prov;
    if (c->hedge || !p->conf.hedge)
        return;
    uint64_t after = p->conf.hedge_after_ns;
    if (!after && p->n_lat >= e->o.hedge_min_samples)
        after = p->p95_ns;
    if (after)
        tl__timer_arm(e, &c->tm, tl__now(e) + after, hedge_fire);
}

static void ratelimit_fire(tl_engine *e, tl__timer *tm)
{
    (void)try_send(e, container_of_(tm, eng_call, tm));
}

/* The call cannot go out: each live task moves on (a hedge just ends). */
static void send_failed(tl_engine *e, eng_call *c)
{
    for (size_t i = 0; i < c->n; i++) {
        eng_task *t = c->tasks[i];
        if (!is_live(c, t))
            continue;
        if (c->hedge) {
            t->hedge = NULL;
            continue;
        }
        t->call = NULL;
        next_link(e, t);
    }
    tl__call_free(e, c);
}

static void park(tl_engine *e, eng_prov *p, eng_call *c)
{
    if (p->park_front && !p->front) { /* once: only the woken call keeps its place */
        p->park_front = false;
        p->front = c;
        p->n_parked++;
        return;
    }
    if (tl_sched_push(p->parked, &c->pnode, call_priority(c), c->job->o.deadline_ns) != TL_OK) {
        send_failed(e, c); /* no room to wait: its tasks move down the chain */
        return;
    }
    p->n_parked++;
}

/* The parked call to try next: the one put back in front, else the most
 * urgent; NULL when none waits. */
eng_call *tl__unpark(eng_prov *p)
{
    eng_call *c = p->front;
    if (c) {
        p->front = NULL;
    } else {
        tl_sched_node *node = NULL;
        if (tl_sched_pop(p->parked, &node) == TL_SCHED_EMPTY)
            return NULL;
        c = container_of_(node, eng_call, pnode);
    }
    p->n_parked--;
    return c;
}

typedef enum admission { ADMITTED, HELD, PARKED } admission;

/* Admission (limiter, breaker). HELD: c waits on a timer, or is gone (its
 * tasks moved on); PARKED: c waits for a concurrency slot. */
static admission admit(tl_engine *e, eng_call *c)
{
    eng_prov *p = c->prov;
    uint64_t wait = 0;
    tl_rl_status st = tl_ratelimit_reserve(p->rl, c->est_tokens, &c->ticket, &wait);
    if (st != TL_RL_OK && c->hedge) { /* a hedge does not wait */
        send_failed(e, c);
        return HELD;
    }
    if (st == TL_RL_WAIT) {
        /* Calls held together wake together and all but one wait again:
         * the metric counts calls held back, not their wake-ups. */
        if (!c->rl_waited)
            c->job->m.ratelimit_waits++;
        c->rl_waited = true;
        tl__timer_arm(e, &c->tm, tl__now(e) + wait, ratelimit_fire);
        return HELD;
    }
    if (st == TL_RL_BUSY) {
        park(e, p, c);
        return PARKED;
    }
    if (!c->model)
        c->model = tl__tier_model(p, c->tasks[0]->t.tier);
    c->br = c->model->br;
    if (!tl_breaker_acquire(c->br, &c->permit)) {
        tl_rl_outcome o = {TL_RL_NOT_SENT, 0, 0};
        tl_ratelimit_settle(p->rl, &c->ticket, &o);
        c->job->m.breaker_refusals++;
        send_failed(e, c);
        return HELD;
    }
    c->permitted = true;
    return ADMITTED;
}

static void unsend(tl_engine *e, eng_call *c)
{
    tl_rl_outcome o = {TL_RL_NOT_SENT, 0, 0};
    tl_ratelimit_settle(c->prov->rl, &c->ticket, &o);
    tl_breaker_record(c->br, &c->permit, TL_BREAKER_IGNORED, 0);
    c->job->m.failures++;
    send_failed(e, c);
}

/* The request's attempt number (tl_chat_request): a hedge to the same
 * provider is a second call for its task, like a retry. */
static unsigned call_attempt(const eng_call *c)
{
    unsigned a = 1;
    for (size_t i = 0; i < c->n; i++) {
        const eng_task *t = c->tasks[i];
        unsigned ta = c->hedge ? (c->link == t->link ? t->link_attempts + 1 : 1) : t->link_attempts;
        if (ta > a)
            a = ta;
    }
    return a;
}

/* Sends c if it may go; true when it was parked for a concurrency slot. */
static bool try_send(tl_engine *e, eng_call *c)
{
    if (live_count(c) == 0) {
        tl__call_free(e, c);
        return false;
    }
    eng_job *j = c->job;
    if (deadline_passed(e, j) && !c->hedge) {
        for (size_t i = 0; i < c->n; i++)
            if (is_live(c, c->tasks[i]))
                expire_task(e, c->tasks[i]);
        tl__call_free(e, c);
        return false;
    }
    admission ad = admit(e, c);
    if (ad != ADMITTED)
        return ad == PARKED;
    char *sys = NULL, *user = NULL;
    if (tl__render(e, c, &sys, &user) != TL_OK) {
        free(sys);
        free(user);
        unsend(e, c);
        return false;
    }
    tl_chat_request req = {0};
    req.model = c->model->name[0] ? c->model->name : NULL;
    req.system = sys;
    req.user = user;
    req.json = true;
    req.tokens_in_estimate = (int)c->est_tokens;
    req.has_priority = true;
    req.priority = call_priority(c);
    if (!c->hedge)
        tl_retry_note_call(c->prov->retry);
    for (size_t i = 0; i < c->n; i++) {
        eng_task *t = c->tasks[i];
        if (!c->hedge)
            t->link_attempts++;
        t->calls++;
        t->t.attempts++;
    }
    req.attempt = call_attempt(c);
    c->sent_ns = tl__now(e);
    tl_err err = tl__call_submit(c, &req);
    free(sys);
    free(user);
    if (err) {
        unsend(e, c);
        return false;
    }
    c->sent = true;
    j->m.provider_calls++;
    arm_hedge(e, c);
    return false;
}

/* A hedge for the tasks of c still waiting on it and not hedged yet: a
 * second request (a batch for a batch) to the next link, or to the same
 * provider when only the embedded engine is left and the provider may not
 * hedge to it; with independent latencies it answers first whenever the
 * primary drew a long one ("The Tail at Scale"). One retry of the budget
 * for the whole request, as for a failed batch. */
static void hedge_fire(tl_engine *e, tl__timer *tm)
{
    eng_call *c = container_of_(tm, eng_call, tm);
    eng_job *j = c->job;
    eng_task *tasks[64];
    size_t n = 0;
    uint64_t tokens = 0;
    for (size_t i = 0; i < c->n && n < 64; i++) {
        eng_task *t = c->tasks[i];
        if (is_live(c, t) && !t->hedge) {
            tasks[n++] = t;
            tokens += t->t.tokens_est;
        }
    }
    if (n == 0)
        return;
    uint64_t delay;
    if (tl_retry_next(c->prov->retry, 1, 0, &delay) != TL_RETRY_AFTER)
        return; /* no budget: hedges are retries */
    j->m.hedges++;
    unsigned next = c->link + 1;
    if (next >= j->n_chain && !c->prov->conf.hedge_to_local)
        next = c->link;
    if (next >= j->n_chain) { /* the embedded engine answers at once */
        j->m.hedge_wins++;
        tl__job_hold(j); /* the last task may finish the job */
        for (size_t i = 0; i < n; i++) {
            tasks[i]->call = NULL;
            tasks[i]->state = T_NEW;
        }
        maybe_cancel(c);
        for (size_t i = 0; i < n; i++)
            run_local_task(e, tasks[i]);
        tl__job_release(e, j);
        return;
    }
    eng_call *h = tl__call_new(e, j, j->chain[next], next, n);
    if (!h)
        return;
    h->hedge = true;
    for (size_t i = 0; i < n; i++) {
        h->tasks[i] = tasks[i];
        tasks[i]->hedge = h;
    }
    h->n = n;
    h->est_tokens = (uint32_t)tokens;
    h->model = tl__pick_model(e, h->prov, tasks[0]->t.tier, (long)tokens, true);
    (void)try_send(e, h);
}

/* Every provider call settles here: limiter, breaker, latency. */
static void settle(tl_engine *e, eng_call *c, const tl_chat_response *r)
{
    eng_prov *p = c->prov;
    tl_rl_outcome o = {TL_RL_FAILED, 0, 0};
    if (r->error == TL_CALL_OK)
        o.result = TL_RL_SUCCESS;
    else if (r->error == TL_CALL_RATE_LIMITED)
        o.result = TL_RL_LIMITED;
    else if (r->error == TL_CALL_CANCELLED || r->dead_letter)
        o.result = TL_RL_NOT_SENT; /* a dead-lettered call never reached the provider */
    o.actual_tokens = (uint64_t)(r->tokens_in > 0 ? r->tokens_in : 0) +
                      (uint64_t)(r->tokens_out > 0 ? r->tokens_out : 0);
    if (r->retry_after_ms > 0)
        o.retry_after_ns = (uint64_t)r->retry_after_ms * TL_NS_PER_MS;
    tl_ratelimit_settle(p->rl, &c->ticket, &o);
    if (r->remaining_requests >= 0 || r->remaining_tokens >= 0)
        tl_ratelimit_observe_headers(p->rl, r->remaining_requests, r->remaining_tokens,
                                     r->reset_ms);
    tl_breaker_outcome bo = TL_BREAKER_FAILURE;
    if (r->error == TL_CALL_OK)
        bo = TL_BREAKER_SUCCESS;
    else if (r->error == TL_CALL_CLIENT || r->error == TL_CALL_CANCELLED || r->dead_letter)
        bo = TL_BREAKER_IGNORED; /* says nothing of the provider's health */
    uint64_t lat = tl__now(e) - c->sent_ns;
    if (c->permitted)
        tl_breaker_record(c->br, &c->permit, bo, lat);
    if (r->error == TL_CALL_OK) {
        p->lat[p->lat_pos] = lat;
        p->lat_pos = (p->lat_pos + 1) % LAT_SAMPLES;
        if (p->n_lat < LAT_SAMPLES)
            p->n_lat++;
        if (++p->lat_seen % 16 == 0 || p->p95_ns == 0) {
            uint64_t v[LAT_SAMPLES];
            memcpy(v, p->lat, p->n_lat * sizeof v[0]);
            for (size_t i = 1; i < p->n_lat; i++) /* small: insertion sort */
                for (size_t k = i; k > 0 && v[k] < v[k - 1]; k--) {
                    uint64_t x = v[k];
                    v[k] = v[k - 1];
                    v[k - 1] = x;
                }
            p->p95_ns = v[(p->n_lat * 95 + 99) / 100 - 1];
        }
    }
}

/* A slot may have freed: parked calls go until one is parked again (a
 * call that is dropped, refused or made to wait frees no slot for the
 * next, which must not be left parked with nothing in flight to wake it). */
static void wake_parked(tl_engine *e, eng_prov *p)
{
    eng_call *c;
    while ((c = tl__unpark(p)) != NULL) {
        p->park_front = true; /* parked again: first in line still */
        bool parked = try_send(e, c);
        p->park_front = false;
        if (parked)
            return;
    }
}

/* A task's attempt failed on call c (the hedge or the primary). */
static void task_failed(tl_engine *e, eng_call *c, eng_task *t, uint64_t retry_after_ns,
                        bool retryable)
{
    if (c->hedge) {
        t->hedge = NULL;
        if (!t->primary_failed)
            return; /* the primary still flies */
        t->primary_failed = false;
    } else {
        t->call = NULL;
        if (t->hedge) { /* wait for the hedge */
            t->primary_failed = true;
            return;
        }
    }
    t->state = T_NEW;
    if (retryable)
        retry_or_next(e, t, retry_after_ns);
    else
        next_link(e, t);
}

/* The queue gave up on call c (it crashed workers max_deliveries times):
 * sending it again would only do the same, so the task goes straight to
 * the embedded engine, skipping retries and the rest of the chain. A
 * dead-lettered hedge just ends while the primary still flies. */
static void task_dead_lettered(tl_engine *e, eng_call *c, eng_task *t)
{
    if (c->hedge) {
        t->hedge = NULL;
        if (!t->primary_failed)
            return;
        t->primary_failed = false;
    } else {
        t->call = NULL;
        if (t->hedge) {
            eng_call *h = t->hedge;
            t->hedge = NULL;
            maybe_cancel(h);
        }
    }
    t->state = T_NEW;
    t->job->m.dead_lettered++;
    t->job->m.fallbacks++;
    run_local_task(e, t);
}

static void task_applied(tl_engine *e, eng_call *c, eng_task *t)
{
    eng_job *j = c->job;
    bool own_link = c->link == t->link; /* a hedge may go to the next link */
    if (c->hedge) {
        j->m.hedge_wins++;
        t->hedge = NULL;
        if (!own_link)
            t->fell_back = true;
    }
    cache_store(e, t, own_link);
    if (c->link > 0)
        t->fell_back = true;
    complete(e, t, c->prov->p->name ? c->prov->p->name : "provider");
}

void tl__enh_response(tl_engine *e, eng_call *c, const tl_chat_response *r)
{
    eng_prov *p = c->prov;
    eng_job *j = c->job;
    tl__timer_disarm(e, &c->tm);
    c->sent = false; /* answered: nothing left to cancel */
    settle(e, c, r);
    /* Keep only the tasks still waiting for this call. */
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (is_live(c, c->tasks[i]))
            c->tasks[n++] = c->tasks[i];
    c->n = n;
    if (n > 0) {
        tl__account_response(j, r, c->model);
        if (r->error == TL_CALL_OK) {
            tl_prompt_outcome outcomes[64];
            tl__apply_answer(e, c, r->text ? r->text : "", r->text_len, outcomes);
            tl__model_record(e, c, r, outcomes, n);
            for (size_t i = 0; i < n; i++) {
                eng_task *t = c->tasks[i];
                if (outcomes[i] == TL_PROMPT_APPLIED) {
                    task_applied(e, c, t);
                } else if (outcomes[i] == TL_PROMPT_MISSING && n > 1 && !c->hedge && !t->hedge) {
                    t->call = NULL; /* the rest of a partial answer: again, alone */
                    t->solo = true;
                    t->state = T_NEW;
                    j->m.retries++;
                    route_after_cache(e, t);
                } else {
                    j->m.failures++;
                    task_failed(e, c, t, 0, true);
                }
            }
        } else if (r->dead_letter) {
            for (size_t i = 0; i < n; i++)
                task_dead_lettered(e, c, c->tasks[i]);
        } else {
            tl__model_record(e, c, r, NULL, 0);
            j->m.failures++;
            uint64_t ra = r->retry_after_ms > 0 ? (uint64_t)r->retry_after_ms * TL_NS_PER_MS : 0;
            bool retryable = r->error != TL_CALL_CLIENT;
            if (n > 1 && retryable && !c->hedge)
                retry_batch(e, c, ra);
            else
                for (size_t i = 0; i < n; i++)
                    task_failed(e, c, c->tasks[i], ra, retryable);
        }
    }
    tl__call_free(e, c);
    wake_parked(e, p);
}

/* ------------------------------------------------------------ scheduling */

void tl__enh_start(tl_engine *e, eng_job *j)
{
    uint64_t now = tl__now(e);
    tl__job_hold(j);
    for (size_t i = 0; i < j->n_tasks; i++) {
        eng_task *t = &j->tasks[i];
        t->pushed_ns = now;
        int32_t prio = t->t.priority + j->o.priority;
        if (tl_sched_push(e->sched, &t->node, prio, j->o.deadline_ns) != TL_OK) {
            t->state = T_NEW;
            run_local_task(e, t); /* no room to queue: the embedded engine needs none */
            continue;
        }
        t->state = T_QUEUED;
        j->queued++;
    }
    tl__job_release(e, j);
}

/* Batches of a job are only for its own tasks: once none of them is left
 * in the scheduler, nothing can join its open batches, which go now
 * instead of waiting out max_queue_delay. */
static void flush_job(tl_engine *e, eng_job *j)
{
    tl_batch b;
    while (tl_batcher_flush_tag(e->batcher, j->id, &b))
        send_batch(e, &b);
}

void tl__enh_dispatch(tl_engine *e)
{
    tl_sched_node *node;
    for (;;) {
        tl_sched_status st = e->in_flight < e->o.max_in_flight
                                 ? tl_sched_pop(e->sched, &node)
                                 : tl_sched_pop_expired(e->sched, &node);
        if (st == TL_SCHED_EMPTY)
            return;
        eng_task *t = container_of_(node, eng_task, node);
        eng_job *j = t->job;
        t->wait_ns = tl__now(e) - t->pushed_ns;
        t->state = T_NEW;
        j->queued--;
        tl__job_hold(j); /* the task may finish the job */
        if (st == TL_SCHED_EXPIRED) {
            j->m.deadline_expired++;
            run_local_task(e, t);
        } else {
            route(e, t);
        }
        if (j->queued == 0 && !j->finished)
            flush_job(e, j);
        tl__job_release(e, j);
    }
}
