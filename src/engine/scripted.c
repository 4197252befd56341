/* The scripted provider and codec (see scripted.h).
 *
 * Pending calls sit in a min-heap on (due time, submit order). Call ids are
 * (generation << 32 | slot) in a slot table, so cancel finds a call in O(1)
 * and a stale id (the call already completed) is recognised and ignored. */
#include "engine/scripted.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "util/buf.h"

#define ANSWER_MAX (4u * 1024u * 1024u)

typedef struct scall {
    uint64_t due, seq, id;
    size_t heap_idx;
    tl_scripted_reply reply;
    char *user; /* the request's user prompt (the task ids) */
    size_t user_len;
    tl_chat_done_cb cb;
    void *ud;
} scall;

typedef struct slot {
    scall *c;
    uint32_t gen;
    uint32_t next_free;
} slot;

typedef struct scripted {
    tl_provider base;
    tl_scripted_opts o;
    pthread_mutex_t mu;
    tl_xoshiro rng;
    uint64_t n_calls, seq;
    scall **heap;
    size_t n_heap, cap_heap;
    slot *slots;
    uint32_t n_slots, cap_slots, free_head; /* free_head: slot + 1, 0 = none */
    tl_scripted_stats st;
} scripted;

void tl_scripted_opts_default(tl_scripted_opts *o)
{
    memset(o, 0, sizeof *o);
    o->name = "scripted";
    o->model = "script-1";
    o->latency_ns = 100 * TL_NS_PER_MS;
    o->retry_after_ms = 1000;
    o->seed = 1;
}

/* ---------------------------------------------------------------- heap */

static bool before(const scall *a, const scall *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void hset(scripted *s, size_t i, scall *c)
{
    s->heap[i] = c;
    c->heap_idx = i;
}

static void hup(scripted *s, size_t i)
{
    scall *c = s->heap[i];
    while (i > 0 && before(c, s->heap[(i - 1) / 2])) {
        hset(s, i, s->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    hset(s, i, c);
}

static void hdown(scripted *s, size_t i)
{
    scall *c = s->heap[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= s->n_heap)
            break;
        if (k + 1 < s->n_heap && before(s->heap[k + 1], s->heap[k]))
            k++;
        if (!before(s->heap[k], c))
            break;
        hset(s, i, s->heap[k]);
        i = k;
    }
    hset(s, i, c);
}

static void hremove(scripted *s, scall *c)
{
    size_t i = c->heap_idx;
    scall *last = s->heap[--s->n_heap];
    if (i == s->n_heap)
        return;
    hset(s, i, last);
    hup(s, i);
    hdown(s, last->heap_idx);
}

/* ---------------------------------------------------------------- slots */

static tl_err slot_take(scripted *s, scall *c)
{
    uint32_t i;
    if (s->free_head) {
        i = s->free_head - 1;
        s->free_head = s->slots[i].next_free;
    } else {
        if (s->n_slots == s->cap_slots) {
            uint32_t cap = s->cap_slots ? s->cap_slots * 2 : 64;
            slot *ns = tl__realloc(s->slots, cap * sizeof *ns);
            if (!ns)
                return TL_ENOMEM;
            s->slots = ns;
            s->cap_slots = cap;
        }
        i = s->n_slots++;
        s->slots[i].gen = 0;
    }
    s->slots[i].c = c;
    s->slots[i].gen++;
    c->id = ((uint64_t)s->slots[i].gen << 32) | i;
    return TL_OK;
}

static void slot_free(scripted *s, scall *c)
{
    uint32_t i = (uint32_t)c->id;
    s->slots[i].c = NULL;
    s->slots[i].next_free = s->free_head;
    s->free_head = i + 1;
}

static scall *slot_find(scripted *s, uint64_t id)
{
    uint32_t i = (uint32_t)id;
    if (i >= s->n_slots || s->slots[i].gen != (uint32_t)(id >> 32))
        return NULL;
    return s->slots[i].c;
}

/* ---------------------------------------------------------------- replies */

static bool chance(scripted *s, double p)
{
    return p > 0 && tl_rng_unit(&s->rng.base) < p;
}

/* The random model (under the lock). */
static void model_reply(scripted *s, uint64_t now, tl_scripted_reply *r)
{
    const tl_scripted_opts *o = &s->o;
    memset(r, 0, sizeof *r);
    r->retry_after_ms = -1;
    r->latency_ns = o->latency_ns + (o->jitter_ns ? tl_rng_below(&s->rng.base, o->jitter_ns) : 0);
    if (chance(s, o->p_slow))
        r->latency_ns = o->slow_ns;
    if (o->quantum_ns)
        r->latency_ns = (r->latency_ns + o->quantum_ns - 1) / o->quantum_ns * o->quantum_ns;
    double u = tl_rng_unit(&s->rng.base), acc = 0;
    if (now >= o->outage_from_ns && now < o->outage_to_ns)
        r->error = TL_CALL_SERVER;
    else if (u < (acc += o->p_server))
        r->error = TL_CALL_SERVER;
    else if (u < (acc += o->p_timeout))
        r->error = TL_CALL_TIMEOUT;
    else if (u < (acc += o->p_429)) {
        r->error = TL_CALL_RATE_LIMITED;
        r->retry_after_ms = o->retry_after_ms;
    } else if (u < (acc += o->p_malformed))
        r->error = TL_CALL_MALFORMED;
    else if (u < (acc += o->p_partial))
        r->drop = 1;
}

static size_t count_ids(const char *user, size_t n)
{
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += user[i] == '\n';
    return lines ? lines - 1 : 0; /* "TASKS\n", then one line per id */
}

/* The answer to a call: ANSWER and the ids it echoes. */
static tl_err build_answer(const scall *c, tl_buf *b)
{
    size_t ids = count_ids(c->user, c->user_len);
    size_t keep = c->reply.drop < ids ? ids - c->reply.drop : 0;
    tl_err err = tl_buf_puts(b, "ANSWER\n");
    const char *p = c->user, *end = c->user + c->user_len;
    const char *nl = memchr(p, '\n', (size_t)(end - p)); /* skip "TASKS" */
    p = nl ? nl + 1 : end;
    for (size_t i = 0; !err && i < keep && p < end; i++) {
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (i == 0 && c->reply.reject_first)
            err = tl_buf_puts(b, "REJECT ");
        if (!err)
            err = tl_buf_append(b, p, len);
        if (!err)
            err = tl_buf_putc(b, '\n');
        p = nl ? nl + 1 : end;
    }
    return err;
}

/* Runs c's callback (outside the lock) and frees it. */
static void complete(scripted *s, scall *c, uint64_t now, bool cancelled)
{
    tl_chat_response r;
    memset(&r, 0, sizeof r);
    r.retry_after_ms = -1;
    r.remaining_requests = r.remaining_tokens = r.reset_ms = -1;
    r.latency_ns = (int64_t)c->reply.latency_ns;
    tl_buf b;
    tl_buf_init(&b, ANSWER_MAX);
    if (cancelled) {
        r.error = TL_CALL_CANCELLED;
    } else {
        r.dead_letter = c->reply.dead_letter;
        r.error = r.dead_letter ? TL_CALL_SERVER : c->reply.error;
        r.retry_after_ms = c->reply.retry_after_ms;
        r.http_status = r.error == TL_CALL_OK ? 200 : r.error == TL_CALL_RATE_LIMITED ? 429 : 500;
        if (r.error == TL_CALL_OK && build_answer(c, &b) != TL_OK)
            r.error = TL_CALL_MALFORMED;
        if (r.error == TL_CALL_MALFORMED) {
            tl_buf_reset(&b);
            if (tl_buf_puts(&b, "I'd be happy to help with your resume!") != TL_OK)
                b.len = 0;
        }
        r.text = b.data;
        r.text_len = b.len;
        r.tokens_in = (int)(c->user_len / 4 + 1);
        r.tokens_out = (int)(b.len / 4 + 1);
        if (r.error == TL_CALL_TIMEOUT || r.error == TL_CALL_SERVER ||
            r.error == TL_CALL_RATE_LIMITED)
            r.tokens_out = 0;
        if (r.dead_letter)
            r.tokens_in = 0;
    }
    (void)now;
    pthread_mutex_lock(&s->mu);
    if (cancelled) {
        s->st.cancelled++;
    } else {
        s->st.completed++;
        s->st.failed += r.error != TL_CALL_OK;
        s->st.billed_in += (uint64_t)r.tokens_in;
        s->st.billed_out += (uint64_t)r.tokens_out;
    }
    pthread_mutex_unlock(&s->mu);
    c->cb(c->ud, &r);
    tl_buf_free(&b);
    free(c->user);
    tl__free(c);
}

/* ---------------------------------------------------------------- ops */

static tl_err s_submit(tl_provider *p, const tl_chat_request *req, tl_chat_done_cb cb, void *ud,
                       uint64_t *call_id)
{
    scripted *s = (scripted *)p;
    if (!req || !req->user || !cb)
        return TL_EINVAL;
    scall *c = tl__calloc(1, sizeof *c);
    size_t n = strlen(req->user);
    char *user = c ? malloc(n + 1) : NULL;
    if (!c || !user) {
        tl__free(c);
        free(user);
        return TL_ENOMEM;
    }
    memcpy(user, req->user, n + 1);
    c->user = user;
    c->user_len = n;
    c->cb = cb;
    c->ud = ud;
    uint64_t now = tl_clock_now(s->o.clock);
    pthread_mutex_lock(&s->mu);
    uint64_t no = s->n_calls++;
    model_reply(s, now, &c->reply);
    pthread_mutex_unlock(&s->mu);
    if (s->o.script)
        s->o.script(s->o.script_ud, no, now, req, &c->reply);
    pthread_mutex_lock(&s->mu);
    s->st.calls++;
    s->st.tasks += count_ids(user, n);
    if (s->o.inline_completion) {
        pthread_mutex_unlock(&s->mu);
        c->id = UINT64_MAX;
        *call_id = c->id;
        complete(s, c, now, false);
        return TL_OK;
    }
    if (s->n_heap == s->cap_heap) {
        size_t cap = s->cap_heap ? s->cap_heap * 2 : 64;
        scall **h = tl__realloc(s->heap, cap * sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&s->mu);
            free(user);
            tl__free(c);
            return TL_ENOMEM;
        }
        s->heap = h;
        s->cap_heap = cap;
    }
    if (slot_take(s, c) != TL_OK) {
        pthread_mutex_unlock(&s->mu);
        free(user);
        tl__free(c);
        return TL_ENOMEM;
    }
    c->due = now + c->reply.latency_ns;
    c->seq = s->seq++;
    s->heap[s->n_heap++] = c;
    hup(s, s->n_heap - 1);
    if (s->n_heap > s->st.max_pending)
        s->st.max_pending = s->n_heap;
    *call_id = c->id;
    pthread_mutex_unlock(&s->mu);
    return TL_OK;
}

static void s_cancel(tl_provider *p, uint64_t call_id)
{
    scripted *s = (scripted *)p;
    pthread_mutex_lock(&s->mu);
    scall *c = slot_find(s, call_id);
    if (c) {
        hremove(s, c);
        slot_free(s, c);
    }
    pthread_mutex_unlock(&s->mu);
    if (c)
        complete(s, c, tl_clock_now(s->o.clock), true);
}

static void s_destroy(tl_provider *p)
{
    scripted *s = (scripted *)p;
    for (size_t i = 0; i < s->n_heap; i++) {
        free(s->heap[i]->user);
        tl__free(s->heap[i]);
    }
    tl__free(s->heap);
    tl__free(s->slots);
    pthread_mutex_destroy(&s->mu);
    tl__free(s);
}

static const tl_provider_ops scripted_ops = {s_submit, s_cancel, s_destroy};

tl_err tl_scripted_create(tl_provider **out, const tl_scripted_opts *opts)
{
    if (!out || !opts || !opts->clock)
        return TL_EINVAL;
    scripted *s = tl__calloc(1, sizeof *s);
    if (!s)
        return TL_ENOMEM;
    s->o = *opts;
    if (!s->o.name)
        s->o.name = "scripted";
    if (!s->o.model)
        s->o.model = "script-1";
    s->base.ops = &scripted_ops;
    s->base.name = s->o.name;
    s->base.model = s->o.model;
    pthread_mutex_init(&s->mu, NULL);
    tl_xoshiro_init(&s->rng, s->o.seed);
    *out = &s->base;
    return TL_OK;
}

size_t tl_scripted_fire(tl_provider *p)
{
    scripted *s = (scripted *)p;
    size_t fired = 0;
    for (;;) {
        uint64_t now = tl_clock_now(s->o.clock);
        pthread_mutex_lock(&s->mu);
        scall *c = s->n_heap && s->heap[0]->due <= now ? s->heap[0] : NULL;
        if (c) {
            hremove(s, c);
            slot_free(s, c);
        }
        pthread_mutex_unlock(&s->mu);
        if (!c)
            return fired;
        complete(s, c, now, false);
        fired++;
    }
}

uint64_t tl_scripted_next_due(tl_provider *p)
{
    scripted *s = (scripted *)p;
    pthread_mutex_lock(&s->mu);
    uint64_t t = s->n_heap ? s->heap[0]->due : UINT64_MAX;
    pthread_mutex_unlock(&s->mu);
    return t;
}

void tl_scripted_stats_get(tl_provider *p, tl_scripted_stats *st)
{
    scripted *s = (scripted *)p;
    pthread_mutex_lock(&s->mu);
    *st = s->st;
    st->pending = s->n_heap;
    pthread_mutex_unlock(&s->mu);
}

/* ---------------------------------------------------------------- codec */

typedef struct sctx {
    tl_local_ctx *lctx;
} sctx;

static tl_err c_create(const tl_resume *r, const tl_job *j, const tl_terms *t, tl_strength st,
                       void **out)
{
    sctx *c = tl__calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    tl_err err = tl_local_ctx_create(r, j, t, st, &c->lctx);
    if (err) {
        tl__free(c);
        return err;
    }
    *out = c;
    return TL_OK;
}

static void c_free(void *ctx)
{
    sctx *c = ctx;
    if (!c)
        return;
    tl_local_ctx_free(c->lctx);
    tl__free(c);
}

static tl_err c_render(void *ctx, const tl_prompt_task *tasks, size_t n, char **sys, char **user)
{
    (void)ctx;
    tl_buf b;
    tl_buf_init(&b, ANSWER_MAX);
    tl_err err = tl_buf_puts(&b, "TASKS\n");
    for (size_t i = 0; !err && i < n; i++) {
        err = tl_buf_puts(&b, tasks[i].id);
        if (!err)
            err = tl_buf_putc(&b, '\n');
    }
    char *s = malloc(sizeof "scripted");
    if (!err && !s)
        err = TL_ENOMEM;
    if (!err)
        err = tl_buf_take(&b, user, NULL);
    if (err) {
        free(s);
        tl_buf_free(&b);
        return err;
    }
    memcpy(s, "scripted", sizeof "scripted");
    *sys = s;
    return TL_OK;
}

/* Does the answer hold a line equal to prefix + id? */
static bool has_line(const char *a, size_t len, const char *prefix, const char *id)
{
    size_t pn = strlen(prefix), in = strlen(id);
    const char *p = a, *end = a + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n == pn + in && memcmp(p, prefix, pn) == 0 && memcmp(p + pn, id, in) == 0)
            return true;
        p = nl ? nl + 1 : end;
    }
    return false;
}

static tl_err c_apply(void *ctx, const char *answer, size_t len, const tl_prompt_task *tasks,
                      size_t n, tl_resume *out, tl_changes *changes, tl_prompt_outcome *outcomes)
{
    sctx *c = ctx;
    if (len < 7 || memcmp(answer, "ANSWER\n", 7) != 0) {
        for (size_t i = 0; i < n; i++)
            outcomes[i] = TL_PROMPT_MALFORMED;
        return TL_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        if (has_line(answer, len, "REJECT ", tasks[i].id))
            outcomes[i] = TL_PROMPT_REJECTED;
        else if (!has_line(answer, len, "", tasks[i].id))
            outcomes[i] = TL_PROMPT_MISSING;
        else
            outcomes[i] = tl_local_tailor(c->lctx, &tasks[i].target, out, changes) == TL_OK
                              ? TL_PROMPT_APPLIED
                              : TL_PROMPT_MALFORMED;
    }
    return TL_OK;
}

static const tl_codec scripted_codec = {c_create, c_free, c_render, c_apply, 1};

const tl_codec *tl_scripted_codec(void)
{
    return &scripted_codec;
}
