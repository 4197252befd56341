/* The engine's loop, jobs, timers, embedded-engine work and results: what
 * the enhanced and the original processor share (see processor.h for the
 * contract and engine_int.h for the locking rules). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/engine_int.h"
#include "tailor/consistency.h"
#include "tailor/match.h"
#include "util/log.h"

#define DEFAULT_MAX_IN_FLIGHT 256

/* ------------------------------------------------------------ options */

void tl_engine_opts_default(tl_engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = TL_ENGINE_ENHANCED;
    o->max_batch = 8;
    o->max_batch_tokens = 2048;
    o->max_queue_delay_ns = 20 * TL_NS_PER_MS;
    o->cache_ttl_ns = 3600 * TL_NS_PER_SEC;
    o->aging_interval_ns = 100 * TL_NS_PER_MS;
    o->urgency_window_ns = 5 * TL_NS_PER_SEC;
    o->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    o->hedge_min_samples = 20;
}

void tl_provider_conf_default(tl_provider_conf *c)
{
    memset(c, 0, sizeof *c);
    tl_ratelimit_opts_default(&c->ratelimit);
    tl_breaker_opts_llm(&c->breaker);
    tl_retry_opts_default(&c->retry);
    c->retry.max_attempts = 3;
    c->retry.base_delay_ns = 200 * TL_NS_PER_MS;
    /* A provider failing a third of its calls is below the breaker's
     * threshold, so no outage: each failed task still gets its retries
     * (p / (1 - p) = 50% more calls). In an outage the breaker opens
     * first; the budget bounds what its trials and the calls in flight
     * can add. */
    c->retry.budget_percent = 50;
    c->hedge = true;
}

/* ------------------------------------------------------------ timers */

uint64_t tl__now(tl_engine *e)
{
    return tl_clock_now(e->clock);
}

static bool timer_less(const tl__timer *a, const tl__timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(tl_engine *e, size_t i, tl__timer *t)
{
    e->heap[i] = t;
    t->idx = i + 1;
}

static void heap_up(tl_engine *e, size_t i)
{
    tl__timer *t = e->heap[i];
    while (i > 0 && timer_less(t, e->heap[(i - 1) / 2])) {
        heap_set(e, i, e->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(e, i, t);
}

static void heap_down(tl_engine *e, size_t i)
{
    tl__timer *t = e->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= e->n_heap)
            break;
        if (c + 1 < e->n_heap && timer_less(e->heap[c + 1], e->heap[c]))
            c++;
        if (!timer_less(e->heap[c], t))
            break;
        heap_set(e, i, e->heap[c]);
        i = c;
    }
    heap_set(e, i, t);
}

void tl__timer_disarm(tl_engine *e, tl__timer *t)
{
    if (!t->idx)
        return;
    size_t i = t->idx - 1;
    t->idx = 0;
    tl__timer *last = e->heap[--e->n_heap];
    if (i == e->n_heap)
        return;
    heap_set(e, i, last);
    heap_up(e, i);
    heap_down(e, last->idx - 1);
}

/* Every object that embeds a timer reserves its heap slot when it is made,
 * where failing is easy to handle; arming then never allocates. */
bool tl__timer_reserve(tl_engine *e, size_t n)
{
    size_t need = e->timer_slots + n;
    if (need > e->cap_heap) {
        size_t cap = e->cap_heap ? e->cap_heap * 2 : 256;
        cap = cap < need ? need : cap;
        tl__timer **h = tl__realloc(e->heap, cap * sizeof *h);
        if (!h)
            return false;
        e->heap = h;
        e->cap_heap = cap;
    }
    e->timer_slots = need;
    return true;
}

void tl__timer_release(tl_engine *e, size_t n)
{
    e->timer_slots -= n;
}

/* Arms t (re-arms when armed). Its owner holds a reserved slot. */
void tl__timer_arm(tl_engine *e, tl__timer *t, uint64_t when, tl__timer_fn fn)
{
    tl__timer_disarm(e, t);
    if (e->n_heap == e->cap_heap) { /* a bug: an owner without a reservation */
        tl_error("msg=\"engine timer without a reserved slot\"");
        return;
    }
    t->when = when;
    t->seq = e->timer_seq++;
    t->fn = fn;
    e->heap[e->n_heap++] = t;
    heap_up(e, e->n_heap - 1);
}

/* Fires every timer due by now; true when one fired. */
static bool fire_timers(tl_engine *e)
{
    bool any = false;
    uint64_t now = tl__now(e);
    while (e->n_heap > 0 && e->heap[0]->when <= now) {
        tl__timer *t = e->heap[0];
        tl__timer_disarm(e, t);
        t->fn(e, t);
        any = true;
    }
    return any;
}

/* ------------------------------------------------------------ providers */

static void on_breaker_event(void *ud, const tl_breaker_event *ev)
{
    tl_engine *e = ud;
    atomic_fetch_add(&e->breaker_events, 1);
    tl_info("msg=\"breaker\" name=%s from=%s to=%s failure_rate=%.0f", ev->name,
            tl_breaker_state_name(ev->from), tl_breaker_state_name(ev->to), ev->failure_rate);
}

static void prov_free(eng_prov *p)
{
    if (!p)
        return;
    tl_ratelimit_destroy(p->rl);
    tl_sched_destroy(p->parked);
    tl_router_destroy(p->router);
    for (size_t i = 0; p->models && i < p->n_models; i++)
        tl_breaker_destroy(p->models[i].br);
    tl__free(p->models);
    tl_retry_destroy(p->retry);
    tl__free(p);
}

eng_model *tl__tier_model(const eng_prov *p, tl_model_tier tier)
{
    for (size_t i = 0; i < p->n_models; i++)
        if (p->models[i].tier == (int)tier)
            return &p->models[i];
    return &p->models[0];
}

static const char *conf_tier_model(const eng_prov *p, tl_model_tier tier)
{
    const char *m = tier == TL_TIER_LARGE ? p->conf.model_large : p->conf.model_small;
    if (!m)
        m = p->p->model;
    return m ? m : "";
}

static bool model_entry_ok(const tl_model_entry *m)
{
    return m->model && (m->tier == 0 || m->tier == 1) && m->price_in >= 0 && m->price_out >= 0 &&
           m->context >= 0;
}

/* The provider's models: the configured list, else the small and the
 * large tier's model (once when both tiers use one) at the provider's
 * prices. */
static tl_err models_create(eng_prov *p)
{
    size_t n = p->conf.models ? p->conf.n_models : 2;
    if (n == 0)
        return TL_EINVAL;
    p->models = tl__calloc(n, sizeof *p->models);
    if (!p->models)
        return TL_ENOMEM;
    if (p->conf.models) {
        for (size_t i = 0; i < n; i++) {
            const tl_model_entry *m = &p->conf.models[i];
            if (!model_entry_ok(m))
                return TL_EINVAL;
            p->models[i] =
                (eng_model){m->model, m->tier, m->price_in, m->price_out, m->context, NULL};
        }
        p->n_models = n;
        return TL_OK;
    }
    for (int tier = 0; tier < 2; tier++) {
        const char *name = conf_tier_model(p, (tl_model_tier)tier);
        if (tier == 1 && strcmp(name, p->models[0].name) == 0)
            break;
        p->models[p->n_models++] =
            (eng_model){name, tier, p->conf.usd_per_mtok_in, p->conf.usd_per_mtok_out, 0, NULL};
    }
    return TL_OK;
}

static tl_err router_create(eng_prov *p)
{
    tl_model_entry *m = tl__calloc(p->n_models, sizeof *m);
    if (!m)
        return TL_ENOMEM;
    for (size_t i = 0; i < p->n_models; i++) {
        const eng_model *em = &p->models[i];
        m[i] = (tl_model_entry){p->p->name ? p->p->name : "provider",
                                em->name,
                                em->tier,
                                em->price_in,
                                em->price_out,
                                em->context};
    }
    tl_err err = tl_router_create(m, p->n_models, NULL, &p->router);
    tl__free(m);
    return err;
}

/* One breaker per model ("openai:gpt-4o-mini"). */
static tl_err breakers_create(eng_prov *p, bool named)
{
    char name[128];
    for (size_t i = 0; i < p->n_models; i++) {
        if (!named) {
            snprintf(name, sizeof name, "%s:%s", p->p->name ? p->p->name : "provider",
                     p->models[i].name);
            p->conf.breaker.name = name;
        }
        tl_err err = tl_breaker_create(&p->models[i].br, &p->conf.breaker);
        if (err)
            return err;
    }
    return TL_OK;
}

/* The scheduler's ranking, for the main queue and each provider's parked
 * calls alike. */
static void parked_opts(const tl_engine *e, tl_sched_opts *so)
{
    tl_sched_opts_default(so);
    so->clock = e->clock;
    if (e->o.aging_interval_ns)
        so->aging_interval_ns = e->o.aging_interval_ns;
    so->urgency_window_ns = e->o.urgency_window_ns;
    so->initial_capacity = 64;
}

static tl_err prov_new(tl_engine *e, tl_provider *pr, const tl_provider_conf *conf, eng_prov **out)
{
    eng_prov *p = tl__calloc(1, sizeof *p);
    if (!p)
        return TL_ENOMEM;
    p->p = pr;
    p->e = e;
    if (conf)
        p->conf = *conf;
    else
        tl_provider_conf_default(&p->conf);
    p->conf.ratelimit.clock = e->clock;
    p->conf.breaker.clock = e->clock;
    p->conf.breaker.on_event = on_breaker_event;
    p->conf.breaker.event_ud = e;
    p->conf.retry.clock = e->clock;
    if (!p->conf.retry.seed && !p->conf.retry.rng)
        p->conf.retry.seed = tl_rng_next(&e->rng.base) | 1;
    tl_sched_opts so;
    parked_opts(e, &so);
    tl_err err;
    if ((err = tl_sched_create(&p->parked, &so)) != TL_OK ||
        (err = tl_ratelimit_create(&p->rl, &p->conf.ratelimit)) != TL_OK ||
        (err = models_create(p)) != TL_OK || (err = router_create(p)) != TL_OK ||
        (err = breakers_create(p, conf && conf->breaker.name)) != TL_OK ||
        (err = tl_retry_create(&p->retry, &p->conf.retry)) != TL_OK) {
        prov_free(p);
        return err;
    }
    p->conf.breaker.name = NULL; /* copied by the breakers; ours may dangle */
    *out = p;
    return TL_OK;
}

static eng_prov *prov_find(tl_engine *e, const tl_provider *pr)
{
    for (size_t i = 0; i < e->n_provs; i++)
        if (e->provs[i]->p == pr)
            return e->provs[i];
    return NULL;
}

static tl_err prov_add(tl_engine *e, tl_provider *pr, const tl_provider_conf *conf, eng_prov **out)
{
    if (e->n_provs == e->cap_provs) {
        size_t cap = e->cap_provs ? e->cap_provs * 2 : 4;
        eng_prov **np = tl__realloc(e->provs, cap * sizeof *np);
        if (!np)
            return TL_ENOMEM;
        e->provs = np;
        e->cap_provs = cap;
    }
    eng_prov *p = NULL;
    tl_err err = prov_new(e, pr, conf, &p);
    if (err)
        return err;
    e->provs[e->n_provs++] = p;
    if (out)
        *out = p;
    return TL_OK;
}

tl_err tl_engine_add_provider(tl_engine *e, tl_provider *p, const tl_provider_conf *conf)
{
    if (!e || !p)
        return TL_EINVAL;
    pthread_mutex_lock(&e->loop_mu);
    tl_err err = prov_find(e, p) ? TL_EINVAL : prov_add(e, p, conf, NULL);
    pthread_mutex_unlock(&e->loop_mu);
    return err;
}

/* Is m's breaker refusing calls now: forced open, or open with its wait
 * not over (past it, the next call is a trial and may go)? */
static bool breaker_refuses(tl_engine *e, const eng_model *m)
{
    tl_breaker_stats st;
    tl_breaker_stats_get(m->br, &st);
    if (st.state == TL_BREAKER_FORCED_OPEN)
        return true;
    return st.state == TL_BREAKER_OPEN && tl__now(e) < st.open_until_ns;
}

typedef struct pick_ctx {
    tl_engine *e;
    const eng_prov *p;
    int tier;
    bool tier_known; /* p has a model of that tier */
    bool breakers;
} pick_ctx;

static bool pick_usable(void *ud, size_t i, const tl_model_entry *entry)
{
    (void)entry;
    const pick_ctx *c = ud;
    const eng_model *m = &c->p->models[i];
    /* Only the task's own tier: when every model of it is down the call is
     * refused and the task moves down the chain, not up to a dearer tier. */
    if (c->tier_known && m->tier != c->tier)
        return false;
    return !c->breakers || !breaker_refuses(c->e, m);
}

eng_model *tl__pick_model(tl_engine *e, eng_prov *p, tl_model_tier tier, long tokens, bool breakers)
{
    eng_model *def = tl__tier_model(p, tier);
    if (p->n_models == 1)
        return def;
    pick_ctx c = {e, p, (int)tier, def->tier == (int)tier, breakers};
    int i = tl_router_pick(p->router, (int)tier, tokens, pick_usable, &c);
    return i >= 0 ? &p->models[i] : def;
}

/* An answer the guard refused for any of its tasks counts as a guard
 * rejection; one unusable otherwise (malformed) as a failure. */
void tl__model_record(tl_engine *e, eng_call *c, const tl_chat_response *r,
                      const tl_prompt_outcome *outcomes, size_t n)
{
    if (!c->model || r->error == TL_CALL_CANCELLED)
        return;
    tl_router_obs o = {0};
    o.latency_ns = tl__now(e) - c->sent_ns;
    o.tokens_in = r->tokens_in;
    o.tokens_out = r->tokens_out;
    bool malformed = false;
    for (size_t i = 0; r->error == TL_CALL_OK && outcomes && i < n; i++) {
        o.guard_rejected |= outcomes[i] == TL_PROMPT_REJECTED;
        malformed |= outcomes[i] == TL_PROMPT_MALFORMED;
    }
    o.ok = r->error == TL_CALL_OK && !o.guard_rejected && !malformed;
    tl_router_record(c->prov->router, (size_t)(c->model - c->prov->models), &o);
}

/* ------------------------------------------------------------ inbox */

static void post(tl_engine *e, eng_event *ev)
{
    ev->next = NULL;
    pthread_mutex_lock(&e->inbox_mu);
    if (e->in_tail)
        e->in_tail->next = ev;
    else
        e->in_head = ev;
    e->in_tail = ev;
    pthread_cond_signal(&e->inbox_cv);
    pthread_mutex_unlock(&e->inbox_mu);
}

/* Events that cannot be allocated would lose a completion for good; they
 * come from a small fixed reserve instead, refilled as events are freed. */
static eng_event *event_new(ev_kind kind, void *ptr)
{
    eng_event *ev = tl__calloc(1, sizeof *ev);
    if (!ev) {
        /* Last resort: retry plain calloc (the test hook only fails tl__). */
        ev = calloc(1, sizeof *ev);
        if (!ev)
            abort(); /* nothing sane is left: the completion cannot be queued */
    }
    ev->kind = kind;
    ev->ptr = ptr;
    return ev;
}

static void event_free(eng_event *ev)
{
    free(ev->text);
    free(ev);
}

/* The provider's completion: copy what outlives the callback, queue it. */
static void on_call_done(void *ud, const tl_chat_response *resp)
{
    eng_call *c = ud;
    eng_event *ev = event_new(EV_RESPONSE, c);
    ev->resp = *resp;
    ev->resp.message = NULL;
    if (resp->text && resp->text_len) {
        ev->text = malloc(resp->text_len + 1);
        if (ev->text) {
            memcpy(ev->text, resp->text, resp->text_len);
            ev->text[resp->text_len] = '\0';
        } else {
            ev->resp.error = TL_CALL_MALFORMED; /* cannot keep it: treat as unusable */
        }
    }
    ev->resp.text = ev->text;
    if (!ev->text)
        ev->resp.text_len = 0;
    post(c->e, ev);
}

/* The provider's progress, on its thread: throttled here, before an event
 * is even allocated, since a stream may report every token. */
static void on_call_progress(void *ud, const tl_chat_progress *p)
{
    eng_call *c = ud;
    uint64_t now = tl__now(c->e), last = atomic_load(&c->progress_ns);
    if (last && now + 1 - last < TL_ENGINE_PROGRESS_NS)
        return;
    atomic_store(&c->progress_ns, now + 1);
    eng_event *ev = event_new(EV_PROGRESS, c);
    ev->tokens = p->tokens;
    post(c->e, ev);
}

tl_err tl__call_submit(eng_call *c, const tl_chat_request *req)
{
    tl_chat_request r = *req;
    if (c->job->o.on_progress) {
        atomic_store(&c->progress_ns, 0);
        r.on_progress = on_call_progress;
        r.progress_ud = c;
    }
    return tl_provider_submit(c->prov->p, &r, on_call_done, c, &c->call_id);
}

static void out_push(tl_engine *e, eng_out *o);

/* A call's progress, on the loop: reported for each of its tasks that
 * still waits on it (not one a hedge or a fallback has finished). The
 * call is alive: its answer, which frees it, is posted after this. */
static void call_progress(tl_engine *e, eng_call *c, int tokens)
{
    eng_job *j = c->job;
    for (size_t i = 0; i < c->n && j->o.on_progress; i++) {
        eng_task *t = c->tasks[i];
        if (t->state != T_CALL || (t->call != c && t->hedge != c))
            continue;
        eng_out *o = tl__calloc(1, sizeof *o);
        if (!o)
            return; /* progress is only a hint */
        o->kind = OUT_PROGRESS;
        o->progress_cb = j->o.on_progress;
        o->ud = j->o.ud;
        o->tp.job_id = j->id;
        o->tp.task_id = t->t.id;
        o->tp.tokens = tokens;
        snprintf(o->section_id, sizeof o->section_id, "%s", t->t.label);
        out_push(e, o);
    }
}

/* ------------------------------------------------------------ calls */

eng_call *tl__call_new(tl_engine *e, eng_job *j, eng_prov *p, unsigned link, size_t n)
{
    eng_call *c = tl__calloc(1, sizeof *c + n * sizeof c->tasks[0]);
    if (!c)
        return NULL;
    if (!tl__timer_reserve(e, 1)) {
        tl__free(c);
        return NULL;
    }
    c->e = e;
    c->job = j;
    c->prov = p;
    c->link = link;
    j->refs++;
    e->in_flight++;
    return c;
}

static void job_free(tl_engine *e, eng_job *j);

void tl__job_hold(eng_job *j)
{
    j->refs++;
}

void tl__job_release(tl_engine *e, eng_job *j)
{
    if (--j->refs == 0 && j->finished)
        job_free(e, j);
}

void tl__call_free(tl_engine *e, eng_call *c)
{
    tl__timer_disarm(e, &c->tm);
    tl__timer_release(e, 1);
    eng_job *j = c->job;
    e->in_flight--;
    tl__free(c);
    if (--j->refs == 0 && j->finished)
        job_free(e, j);
}

tl_err tl__render(tl_engine *e, eng_call *c, char **sys, char **user)
{
    if (!e->codec || !c->job->cctx)
        return TL_ENOTFOUND;
    tl_prompt_task *pt = tl__malloc(c->n * sizeof *pt);
    if (!pt)
        return TL_ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        pt[i].id = c->tasks[i]->t.label;
        pt[i].target = c->tasks[i]->t.target;
    }
    tl_err err = e->codec->render(c->job->cctx, pt, c->n, sys, user);
    tl__free(pt);
    return err;
}

void tl__account_response(eng_job *j, const tl_chat_response *r, const eng_model *m)
{
    uint64_t in = r->tokens_in > 0 ? (uint64_t)r->tokens_in : 0;
    uint64_t out = r->tokens_out > 0 ? (uint64_t)r->tokens_out : 0;
    j->m.tokens_in += in;
    j->m.tokens_out += out;
    j->m.cost_usd += ((double)in * m->price_in + (double)out * m->price_out) / 1e6;
}

/* ------------------------------------------------------------ applying answers */

/* Does change id `id` fall inside target t of r? */
static bool change_in_target(const tl_resume *r, const char *id, const tl_target *t)
{
    if (t->kind == TL_TARGET_SUMMARY)
        return strncmp(id, "basics.", 7) == 0;
    const tl_section *s = &r->sections[t->section];
    char head[96];
    int n = snprintf(head, sizeof head, "%s[%zu]", s->key, t->entry);
    if (n <= 0 || (size_t)n >= sizeof head || strncmp(id, head, (size_t)n) != 0)
        return false;
    const char *rest = id + n;
    if (*rest != '\0' && *rest != '.')
        return false; /* "work[1]" must not match "work[10]" */
    const char *br = strchr(rest, '[');
    if (!br)
        return t->bullet_from == 0; /* the entry itself or its summary: the first group */
    char *end = NULL;
    unsigned long b = strtoul(br + 1, &end, 10);
    size_t to = t->bullet_to ? t->bullet_to : (size_t)-1;
    return end != br + 1 && b >= t->bullet_from && b < to;
}

/* Moves each change of `all` to the list of the task it belongs to (the
 * first task when none claims it). */
static tl_err distribute(const tl_resume *r, eng_task **tasks, size_t n, const tl_changes *all)
{
    for (size_t k = 0; k < all->n; k++) {
        const tl_change *ch = &all->items[k];
        size_t owner = 0;
        for (size_t i = 0; i < n; i++)
            if (ch->id && change_in_target(r, ch->id, &tasks[i]->t.target)) {
                owner = i;
                break;
            }
        tl_changes *dst = tasks[owner]->changes;
        tl_err err = tl_changes_add(dst, ch->kind, ch->id, ch->before, ch->after, "%s",
                                    ch->reason ? ch->reason : "");
        if (err)
            return err;
    }
    return TL_OK;
}

/* Applies a provider's answer to the live tasks of c (tasks[0..n) of the
 * call; callers pass only live ones) and fills outcomes[n]. */
void tl__apply_answer(tl_engine *e, eng_call *c, const char *text, size_t len,
                      tl_prompt_outcome *outcomes)
{
    eng_job *j = c->job;
    for (size_t i = 0; i < c->n; i++)
        outcomes[i] = TL_PROMPT_MALFORMED;
    tl_prompt_task *pt = tl__malloc(c->n * sizeof *pt);
    tl_changes *tmp = tl_changes_new();
    if (!pt || !tmp || !e->codec || !j->cctx)
        goto out;
    for (size_t i = 0; i < c->n; i++) {
        pt[i].id = c->tasks[i]->t.label;
        pt[i].target = c->tasks[i]->t.target;
    }
    pthread_mutex_lock(&j->out_mu);
    tl_err err = e->codec->apply(j->cctx, text, len, pt, c->n, j->res->tailored, tmp, outcomes);
    if (err == TL_OK && distribute(j->r, c->tasks, c->n, tmp) != TL_OK)
        j->status = TL_ENOMEM;
    pthread_mutex_unlock(&j->out_mu);
out:
    tl_changes_free(tmp);
    tl__free(pt);
}

/* ------------------------------------------------------------ embedded engine */

static void local_tailor(eng_task *t)
{
    eng_job *j = t->job;
    pthread_mutex_lock(&j->out_mu);
    tl_err err = tl_local_tailor(j->lctx, &t->t.target, j->res->tailored, t->changes);
    if (err)
        j->status = err;
    pthread_mutex_unlock(&j->out_mu);
}

static void local_done(tl_engine *e, eng_task *t)
{
    if (e->o.kind == TL_ENGINE_ORIGINAL)
        tl__orig_local_done(e, t);
    else
        tl__enh_local_done(e, t);
}

static void local_work(tl_work *w)
{
    eng_task *t = container_of_(w, eng_task, work);
    local_tailor(t);
    post(t->job->e, event_new(EV_LOCAL_DONE, t));
}

void tl__run_local(tl_engine *e, eng_task *t)
{
    t->state = T_LOCAL;
    if (e->pool) {
        t->work.fn = local_work;
        tl_pool_submit(e->pool, &t->work);
        return;
    }
    local_tailor(t);
    local_done(e, t);
}

/* ------------------------------------------------------------ results */

static void out_push(tl_engine *e, eng_out *o)
{
    o->next = NULL;
    if (e->out_tail)
        e->out_tail->next = o;
    else
        e->out_head = o;
    e->out_tail = o;
}

static void job_finish(tl_engine *e, eng_job *j);

static size_t opt_len(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *put_text(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = memcpy(*at, s, n);
    *at += n;
    return p;
}

/* Copies the tailored texts of t's target into o (one allocation), under
 * the job's output lock. Without memory the result simply has no texts. */
static void snapshot_texts(eng_job *j, eng_task *t, eng_out *o)
{
    const tl_target *tg = &t->t.target;
    const tl_resume *out = j->res->tailored;
    const char *summary = NULL;
    const tl_entry *en = NULL;
    size_t from = 0, to = 0;
    pthread_mutex_lock(&j->out_mu);
    if (tg->kind == TL_TARGET_SUMMARY) {
        summary = out->basics.summary;
    } else {
        en = &out->sections[tg->section].entries[tg->entry];
        from = tg->bullet_from < en->n_bullets ? tg->bullet_from : en->n_bullets;
        to = tl_target_bullet_end(tg, en);
        summary = from == 0 ? en->summary : NULL;
    }
    size_t n = to - from, bytes = n * sizeof(char *) + opt_len(summary);
    for (size_t i = from; i < to; i++)
        bytes += opt_len(en->bullets[i]) + 1;
    char **block = bytes ? tl__malloc(bytes) : NULL;
    if (block) {
        char *at = (char *)(block + n);
        for (size_t i = 0; i < n; i++)
            block[i] =
                en->bullets[from + i] ? put_text(&at, en->bullets[from + i]) : put_text(&at, "");
        o->tr.summary = put_text(&at, summary);
        o->tr.bullets = (const char *const *)block;
        o->tr.n_bullets = n;
        o->tr.bullet_from = from;
        o->texts = block;
    }
    pthread_mutex_unlock(&j->out_mu);
}

void tl__task_complete(tl_engine *e, eng_task *t, const char *producer)
{
    eng_job *j = t->job;
    t->state = T_DONE;
    t->producer = producer;
    j->n_done++;
    if (j->o.on_task) {
        eng_out *o = tl__calloc(1, sizeof *o);
        if (o) {
            o->kind = OUT_TASK;
            o->task_cb = j->o.on_task;
            o->ud = j->o.ud;
            o->tr.job_id = j->id;
            o->tr.task_id = t->t.id;
            o->tr.kind = t->t.kind;
            o->tr.provider = producer;
            o->tr.fell_back = t->fell_back;
            o->tr.cached = t->cached;
            o->tr.attempts = t->calls;
            snprintf(o->section_id, sizeof o->section_id, "%s", t->t.label);
            snapshot_texts(j, t, o);
            out_push(e, o);
        }
    }
    if (j->n_done == j->n_tasks)
        job_finish(e, j);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Queue-wait percentiles of the job's tasks, and the cumulative histogram. */
static void queue_waits(tl_engine *e, eng_job *j)
{
    if (j->n_tasks == 0)
        return;
    uint64_t *w = tl__malloc(j->n_tasks * sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < j->n_tasks; i++)
        w[i] = j->tasks[i].wait_ns;
    qsort(w, j->n_tasks, sizeof *w, cmp_u64);
    j->m.queue_wait_p50_ms = (double)w[(j->n_tasks - 1) / 2] / 1e6;
    j->m.queue_wait_p99_ms = (double)w[(j->n_tasks * 99 + 99) / 100 - 1] / 1e6;
    pthread_mutex_lock(&e->stats_mu);
    for (size_t i = 0; i < j->n_tasks; i++) {
        uint64_t us = w[i] / TL_NS_PER_US;
        unsigned b = 0;
        while (us) {
            us >>= 1;
            b++;
        }
        e->qwait_hist[b < 63 ? b : 63]++;
    }
    pthread_mutex_unlock(&e->stats_mu);
    tl__free(w);
}

static void add_total(tl_engine *e, const tl_job_metrics *m)
{
    pthread_mutex_lock(&e->stats_mu);
    tl_job_metrics *t = &e->total;
    t->wall_ms += m->wall_ms;
    t->tasks += m->tasks;
    t->provider_calls += m->provider_calls;
    t->tokens_in += m->tokens_in;
    t->tokens_out += m->tokens_out;
    t->cache_hits += m->cache_hits;
    t->cache_misses += m->cache_misses;
    t->cache_coalesced += m->cache_coalesced;
    t->batches += m->batches;
    t->batched_tasks += m->batched_tasks;
    t->max_batch = m->max_batch > t->max_batch ? m->max_batch : t->max_batch;
    t->retries += m->retries;
    t->failures += m->failures;
    t->fallbacks += m->fallbacks;
    t->hedges += m->hedges;
    t->hedge_wins += m->hedge_wins;
    t->breaker_refusals += m->breaker_refusals;
    t->ratelimit_waits += m->ratelimit_waits;
    t->deadline_expired += m->deadline_expired;
    t->dead_lettered += m->dead_lettered;
    t->cost_usd += m->cost_usd;
    pthread_mutex_unlock(&e->stats_mu);
}

/* The consistency pass and the scores: CPU work, on a worker or inline. */
static void finish_cpu(eng_job *j)
{
    if (j->status)
        return;
    tl_result *res = j->res;
    tl_err err = TL_OK;
    for (size_t i = 0; !err && i < j->n_tasks; i++)
        err = tl_changes_extend(res->changes, j->tasks[i].changes);
    const tl_matcher *m = tl_local_ctx_matcher(j->lctx);
    if (!err)
        err = tl_consistency_run_with(res->tailored, m, res->changes);
    if (!err)
        err = tl_score_compute_pair(j->r, res->tailored, m, &res->before, &res->after);
    res->subsections = (int)j->n_tasks;
    j->status = err;
}

static void job_done(tl_engine *e, eng_job *j);

static void finish_work(tl_work *w)
{
    eng_job *j = container_of_(w, eng_job, work);
    pthread_mutex_lock(&j->out_mu);
    finish_cpu(j);
    pthread_mutex_unlock(&j->out_mu);
    post(j->e, event_new(EV_JOB_DONE, j));
}

static void job_finish(tl_engine *e, eng_job *j)
{
    j->finishing = true;
    tl__timer_disarm(e, &j->deadline_tm);
    if (e->pool) {
        j->work.fn = finish_work;
        tl_pool_submit(e->pool, &j->work);
        return;
    }
    finish_cpu(j);
    job_done(e, j);
}

static void job_unlink(tl_engine *e, eng_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else if (e->jobs == j)
        e->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->next = j->prev = NULL;
}

/* Frees what reads the caller's resume and job: after the done callback
 * they may be gone. */
static void job_release_inputs(tl_engine *e, eng_job *j)
{
    for (size_t i = 0; j->tasks && i < j->n_tasks; i++)
        tl_changes_free(j->tasks[i].changes), j->tasks[i].changes = NULL;
    if (j->cctx)
        e->codec->ctx_free(j->cctx);
    j->cctx = NULL;
    tl_local_ctx_free(j->lctx);
    j->lctx = NULL;
}

static void job_free(tl_engine *e, eng_job *j)
{
    tl__timer_release(e, j->timer_slots);
    job_release_inputs(e, j);
    tl_result_free(j->res);
    tl_plan_free(j->plan);
    tl__free(j->tasks);
    pthread_mutex_destroy(&j->out_mu);
    tl__free(j);
}

static void job_done(tl_engine *e, eng_job *j)
{
    j->m.wall_ms = (double)(tl__now(e) - j->t0) / 1e6;
    j->m.tasks = j->n_tasks;
    j->m.breaker_transitions = atomic_load(&e->breaker_events) - j->breaker_events0;
    queue_waits(e, j);
    if (j->res)
        j->res->elapsed_ms = j->m.wall_ms;
    add_total(e, &j->m);
    eng_out *o = tl__calloc(1, sizeof *o);
    if (o && j->o.on_done) {
        o->kind = OUT_DONE;
        o->done_cb = j->o.on_done;
        o->ud = j->o.ud;
        o->job_id = j->id;
        o->status = j->status;
        o->m = j->m;
        if (!j->status) {
            o->res = j->res;
            j->res = NULL;
        }
        out_push(e, o);
    } else {
        tl__free(o);
    }
    job_unlink(e, j);
    job_release_inputs(e, j);
    j->finished = true;
    atomic_fetch_sub(&e->pending, 1);
    if (j->refs == 0)
        job_free(e, j);
}

/* ------------------------------------------------------------ submit */

static tl_err job_tasks(eng_job *j)
{
    j->n_tasks = j->plan->n;
    j->tasks = tl__calloc(j->n_tasks ? j->n_tasks : 1, sizeof *j->tasks);
    if (!j->tasks)
        return TL_ENOMEM;
    for (size_t i = 0; i < j->n_tasks; i++) {
        eng_task *t = &j->tasks[i];
        t->t = j->plan->tasks[i];
        t->job = j;
        if (!(t->changes = tl_changes_new()))
            return TL_ENOMEM;
    }
    return TL_OK;
}

/* The embedded engine's own targets, one task each (the original
 * processor does not split entries further). */
static tl_err plan_original(eng_job *j, const tl_plan_opts *po)
{
    tl_plan_opts o = *po;
    o.split_over = TL_LOCAL_SPLIT_OVER;
    o.max_group = TL_LOCAL_GROUP;
    o.max_ratio = 1e9;
    o.max_batch = 1;
    tl_err err = tl_plan_build(j->r, j->id, &o, &j->plan);
    if (err)
        return err;
    /* Same cut as tl_local_targets, so sections read exactly as there. */
    tl_target *t = NULL;
    size_t n = 0;
    if ((err = tl_local_targets(j->r, &t, &n)) != TL_OK)
        return err;
    if (n == j->plan->n)
        for (size_t i = 0; i < n; i++) {
            j->plan->tasks[i].target = t[i];
            tl_target_id(j->r, &t[i], j->plan->tasks[i].label, sizeof j->plan->tasks[i].label);
        }
    free(t);
    return TL_OK;
}

static tl_err job_chain(tl_engine *e, eng_job *j, const tl_job_opts *o)
{
    if (o->n_chain > TL_ENGINE_MAX_CHAIN || (o->n_chain && !o->chain))
        return TL_EINVAL;
    pthread_mutex_lock(&e->loop_mu);
    tl_err err = TL_OK;
    for (size_t i = 0; !err && i < o->n_chain; i++) {
        eng_prov *p = prov_find(e, o->chain[i]);
        if (!p)
            err = o->chain[i] ? prov_add(e, o->chain[i], NULL, &p) : TL_EINVAL;
        if (!err)
            j->chain[j->n_chain++] = p;
    }
    pthread_mutex_unlock(&e->loop_mu);
    j->o.chain = NULL; /* copied: the caller's array may go */
    return err;
}

static tl_err job_build(tl_engine *e, eng_job *j, const tl_job_opts *o)
{
    tl_strength s = o->strength ? o->strength : TL_STRENGTH_BALANCED;
    tl_plan_opts po;
    if (o->plan)
        po = *o->plan;
    else
        tl_plan_opts_default(&po);
    po.strength = s;
    po.max_batch = e->o.max_batch;
    tl_err err;
    if ((err = job_chain(e, j, o)) != TL_OK)
        return err;
    if (e->o.kind == TL_ENGINE_ORIGINAL)
        err = plan_original(j, &po);
    else
        err = tl_plan_build(j->r, j->id, &po, &j->plan);
    if (err || (err = job_tasks(j)) != TL_OK ||
        (err = tl_local_ctx_create(j->r, j->j, j->terms, s, &j->lctx)) != TL_OK)
        return err;
    if (j->n_chain && e->codec && e->codec->ctx_create(j->r, j->j, j->terms, s, &j->cctx) != TL_OK)
        j->cctx = NULL; /* no codec context: the embedded engine does it all */
    if (!(j->res = tl__calloc(1, sizeof *j->res)) || !(j->res->changes = tl_changes_new()))
        return TL_ENOMEM;
    return tl_resume_clone(j->r, &j->res->tailored);
}

tl_err tl_engine_submit(tl_engine *e, const tl_resume *resume, const tl_job *job,
                        const tl_terms *terms, const tl_job_opts *o, uint64_t *job_id)
{
    if (!e || !resume || !job || !terms || !o ||
        (o->strength && (o->strength < 1 || o->strength > 3)))
        return TL_EINVAL;
    eng_job *j = tl__calloc(1, sizeof *j);
    if (!j)
        return TL_ENOMEM;
    pthread_mutex_init(&j->out_mu, NULL);
    j->e = e;
    j->r = resume;
    j->j = job;
    j->terms = terms;
    j->o = *o;
    j->id = atomic_fetch_add(&e->next_job_id, 1);
    tl_err err = job_build(e, j, o);
    if (err) {
        job_free(e, j);
        return err;
    }
    if (job_id)
        *job_id = j->id;
    atomic_fetch_add(&e->pending, 1);
    post(e, event_new(EV_JOB, j));
    return TL_OK;
}

/* ------------------------------------------------------------ the loop */

static void job_deadline(tl_engine *e, tl__timer *tm)
{
    eng_job *j = container_of_(tm, eng_job, deadline_tm);
    if (e->o.kind == TL_ENGINE_ENHANCED)
        tl__enh_expire(e, j);
}

static void job_start(tl_engine *e, eng_job *j)
{
    j->next = e->jobs;
    if (e->jobs)
        e->jobs->prev = j;
    e->jobs = j;
    j->t0 = tl__now(e);
    j->breaker_events0 = atomic_load(&e->breaker_events);
    if (j->n_tasks == 0) {
        job_finish(e, j);
        return;
    }
    /* Timers of the job (its deadline) and of its tasks (retries). Without
     * them the job can still run: on the embedded engine, which needs none;
     * an overdue task still leaves the scheduler as expired. */
    if (tl__timer_reserve(e, j->n_tasks + 1))
        j->timer_slots = j->n_tasks + 1;
    else
        j->n_chain = 0;
    if (j->timer_slots && j->o.deadline_ns && e->o.kind == TL_ENGINE_ENHANCED)
        tl__timer_arm(e, &j->deadline_tm, j->o.deadline_ns, job_deadline);
    if (e->o.kind == TL_ENGINE_ORIGINAL)
        tl__orig_start(e, j);
    else
        tl__enh_start(e, j);
}

static void handle(tl_engine *e, eng_event *ev)
{
    switch (ev->kind) {
    case EV_JOB: job_start(e, ev->ptr); break;
    case EV_RESPONSE: {
        eng_call *c = ev->ptr;
        if (c->original)
            tl__orig_response(e, c, &ev->resp);
        else
            tl__enh_response(e, c, &ev->resp);
        break;
    }
    case EV_PROGRESS: call_progress(e, ev->ptr, ev->tokens); break;
    case EV_LOCAL_DONE: local_done(e, ev->ptr); break;
    case EV_JOB_DONE: job_done(e, ev->ptr); break;
    }
}

/* Takes the whole inbox; true when it held anything. */
static bool drain_inbox(tl_engine *e)
{
    pthread_mutex_lock(&e->inbox_mu);
    eng_event *ev = e->in_head;
    e->in_head = e->in_tail = NULL;
    pthread_mutex_unlock(&e->inbox_mu);
    bool any = ev != NULL;
    while (ev) {
        eng_event *next = ev->next;
        handle(e, ev);
        event_free(ev);
        ev = next;
    }
    return any;
}

static void deliver(eng_out *o)
{
    while (o) {
        eng_out *next = o->next;
        if (o->kind == OUT_TASK) {
            o->tr.section_id = o->section_id;
            o->task_cb(o->ud, &o->tr);
            tl__free(o->texts);
        } else if (o->kind == OUT_PROGRESS) {
            o->tp.section_id = o->section_id;
            o->progress_cb(o->ud, &o->tp);
        } else {
            o->done_cb(o->ud, o->job_id, o->status, o->res, &o->m);
        }
        tl__free(o);
        o = next;
    }
}

/* One round of the loop: everything due now; then the callbacks. */
static void run_once(tl_engine *e)
{
    pthread_mutex_lock(&e->loop_mu);
    bool progress = true;
    while (progress) {
        progress = drain_inbox(e);
        progress |= fire_timers(e);
        if (e->o.kind == TL_ENGINE_ENHANCED)
            tl__enh_dispatch(e);
    }
    eng_out *o = e->out_head;
    e->out_head = e->out_tail = NULL;
    pthread_mutex_unlock(&e->loop_mu);
    deliver(o);
}

uint64_t tl_engine_next_timer(tl_engine *e)
{
    pthread_mutex_lock(&e->loop_mu);
    uint64_t t = e->n_heap ? e->heap[0]->when : UINT64_MAX;
    pthread_mutex_unlock(&e->loop_mu);
    return t;
}

static void *loop_main(void *arg)
{
    tl_engine *e = arg;
    for (;;) {
        run_once(e);
        uint64_t next = tl_engine_next_timer(e);
        pthread_mutex_lock(&e->inbox_mu);
        if (e->stop) {
            pthread_mutex_unlock(&e->inbox_mu);
            break;
        }
        if (!e->in_head) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t now = tl__now(e);
            uint64_t wait = next == UINT64_MAX ? TL_NS_PER_SEC : next > now ? next - now : 0;
            if (wait > TL_NS_PER_SEC)
                wait = TL_NS_PER_SEC;
            uint64_t ns = (uint64_t)ts.tv_nsec + wait;
            ts.tv_sec += (time_t)(ns / TL_NS_PER_SEC);
            ts.tv_nsec = (long)(ns % TL_NS_PER_SEC);
            if (wait)
                pthread_cond_timedwait(&e->inbox_cv, &e->inbox_mu, &ts);
        }
        pthread_mutex_unlock(&e->inbox_mu);
    }
    return NULL;
}

void tl_engine_poll(tl_engine *e)
{
    if (!e)
        return;
    if (e->have_loop) {
        pthread_mutex_lock(&e->inbox_mu);
        pthread_cond_signal(&e->inbox_cv);
        pthread_mutex_unlock(&e->inbox_mu);
        return;
    }
    run_once(e);
}

size_t tl_engine_pending(tl_engine *e)
{
    return e ? atomic_load(&e->pending) : 0;
}

void tl_engine_metrics(tl_engine *e, tl_job_metrics *out)
{
    pthread_mutex_lock(&e->stats_mu);
    *out = e->total;
    uint64_t n = 0;
    for (int b = 0; b < 64; b++)
        n += e->qwait_hist[b];
    /* bucket b holds waits in [2^(b-1), 2^b) us: report the upper bound */
    uint64_t seen = 0;
    bool p50 = false;
    for (int b = 0; n && b < 64; b++) {
        seen += e->qwait_hist[b];
        double up = b ? (double)(1ull << b) / 1e3 : 0.0;
        if (!p50 && seen * 2 >= n) {
            out->queue_wait_p50_ms = up;
            p50 = true;
        }
        if (seen * 100 >= n * 99) {
            out->queue_wait_p99_ms = up;
            break;
        }
    }
    pthread_mutex_unlock(&e->stats_mu);
    out->breaker_transitions = atomic_load(&e->breaker_events);
}

size_t tl_engine_providers(tl_engine *e, tl_engine_provider_stats *out, size_t cap)
{
    pthread_mutex_lock(&e->loop_mu);
    size_t n = e->n_provs;
    for (size_t i = 0; i < n && i < cap; i++) {
        eng_prov *p = e->provs[i];
        tl_engine_provider_stats *st = &out[i];
        memset(st, 0, sizeof *st);
        st->name = p->p->name ? p->p->name : "provider";
        tl_breaker_stats_get(tl__tier_model(p, TL_TIER_SMALL)->br, &st->breaker);
        tl_breaker_stats_get(tl__tier_model(p, TL_TIER_LARGE)->br, &st->breaker_large);
        tl_ratelimit_stats_get(p->rl, &st->ratelimit);
        tl_retry_stats_get(p->retry, &st->retry);
        st->p95_ns = p->p95_ns;
        st->parked = p->n_parked;
    }
    pthread_mutex_unlock(&e->loop_mu);
    return n;
}

size_t tl_engine_models(tl_engine *e, tl_engine_model_stats *out, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&e->loop_mu);
    for (size_t i = 0; i < e->n_provs; i++) {
        eng_prov *p = e->provs[i];
        for (size_t k = 0; k < p->n_models; k++, n++) {
            if (n >= cap)
                continue;
            const eng_model *m = &p->models[k];
            tl_engine_model_stats *st = &out[n];
            memset(st, 0, sizeof *st);
            st->provider = p->p->name ? p->p->name : "provider";
            st->model = m->name;
            st->tier = m->tier;
            st->price_in = m->price_in;
            st->price_out = m->price_out;
            st->breaker = tl_breaker_state_get(m->br);
            tl_router_stats(p->router, k, &st->st);
        }
    }
    pthread_mutex_unlock(&e->loop_mu);
    return n;
}

/* Appends the elements of the JSON array text s to arr. */
static tl_err extend_json(json_t *arr, const char *s)
{
    json_t *a = json_loads(s, 0, NULL);
    tl_err err = json_is_array(a) && json_array_extend(arr, a) == 0 ? TL_OK : TL_ENOMEM;
    json_decref(a);
    return err;
}

tl_err tl_engine_telemetry_save(tl_engine *e, char **json)
{
    if (!e || !json)
        return TL_EINVAL;
    json_t *arr = json_array();
    tl_err err = arr ? TL_OK : TL_ENOMEM;
    pthread_mutex_lock(&e->loop_mu);
    for (size_t i = 0; err == TL_OK && i < e->n_provs; i++) {
        char *one = NULL;
        err = tl_router_save(e->provs[i]->router, &one);
        if (err == TL_OK)
            err = extend_json(arr, one);
        free(one);
    }
    pthread_mutex_unlock(&e->loop_mu);
    char *s = err == TL_OK ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!s)
        return err ? err : TL_ENOMEM;
    *json = s;
    return TL_OK;
}

tl_err tl_engine_telemetry_load(tl_engine *e, const char *json, size_t n)
{
    if (!e || !json)
        return TL_EINVAL;
    tl_err err = TL_OK;
    pthread_mutex_lock(&e->loop_mu);
    /* Each router takes its own models' entries; the first refuses bad
     * text before any has changed. */
    for (size_t i = 0; err == TL_OK && i < e->n_provs; i++)
        err = tl_router_load(e->provs[i]->router, json, n);
    pthread_mutex_unlock(&e->loop_mu);
    return err;
}

/* ------------------------------------------------------------ lifecycle */

static tl_err check_opts(const tl_engine_opts *o)
{
    if (o->max_batch < 1 || o->max_batch > 64 || o->max_batch_tokens < 1 || o->workers > 64 ||
        o->max_in_flight < 1)
        return TL_EINVAL;
    return TL_OK;
}

static tl_err create_parts(tl_engine *e)
{
    tl_sched_opts so;
    tl_sched_opts_default(&so);
    so.clock = e->clock;
    if (e->o.aging_interval_ns)
        so.aging_interval_ns = e->o.aging_interval_ns;
    so.urgency_window_ns = e->o.urgency_window_ns;
    tl_cache_opts co;
    tl_cache_opts_default(&co);
    co.clock = e->clock;
    if (e->o.cache_bytes)
        co.max_bytes = e->o.cache_bytes;
    if (e->o.cache_ttl_ns)
        co.default_ttl_ns = e->o.cache_ttl_ns;
    tl_batcher_opts bo = {e->o.max_batch, e->o.max_batch_tokens, e->o.max_queue_delay_ns};
    tl_err err;
    if ((err = tl_sched_create(&e->sched, &so)) != TL_OK ||
        (err = tl_cache_create(&e->cache, &co)) != TL_OK ||
        (err = tl_batcher_create(&e->batcher, &bo)) != TL_OK)
        return err;
    if (e->o.workers && (err = tl_pool_create(&e->pool, e->o.workers)) != TL_OK)
        return err;
    return TL_OK;
}

tl_err tl_engine_create(tl_engine **out, const tl_engine_opts *opts)
{
    tl_engine_opts o;
    if (opts)
        o = *opts;
    else
        tl_engine_opts_default(&o);
    if (!out || check_opts(&o))
        return TL_EINVAL;
    tl_engine *e = tl__calloc(1, sizeof *e);
    if (!e)
        return TL_ENOMEM;
    e->o = o;
    e->clock = o.clock ? o.clock : tl_clock_real();
    e->codec = o.codec ? o.codec : tl_codec_prompt();
    tl_xoshiro_init(&e->rng, o.seed ? o.seed : tl_rng_os_seed());
    atomic_init(&e->next_job_id, 1);
    atomic_init(&e->breaker_events, 0);
    atomic_init(&e->pending, 0);
    pthread_mutex_init(&e->loop_mu, NULL);
    pthread_mutex_init(&e->inbox_mu, NULL);
    pthread_mutex_init(&e->stats_mu, NULL);
    pthread_cond_init(&e->inbox_cv, NULL);
    tl_err err = create_parts(e);
    if (!err && !tl__timer_reserve(e, 1)) /* the batch timer */
        err = TL_ENOMEM;
    if (!err && o.loop_thread) {
        if (pthread_create(&e->loop, NULL, loop_main, e) != 0)
            err = TL_ENOMEM;
        else
            e->have_loop = true;
    }
    if (err) {
        tl_engine_destroy(e);
        return err;
    }
    *out = e;
    return TL_OK;
}

/* Cancels every call still out: their callbacks (CANCELLED, or already
 * queued) land in the inbox, which destroy then drops. */
static void cancel_calls(tl_engine *e)
{
    for (eng_job *j = e->jobs; j; j = j->next)
        for (size_t i = 0; i < j->n_tasks; i++) {
            eng_task *t = &j->tasks[i];
            if (t->state == T_CALL && t->call && t->call->sent)
                tl_provider_cancel(t->call->prov->p, t->call->call_id);
            if (t->hedge && t->hedge->sent)
                tl_provider_cancel(t->hedge->prov->p, t->hedge->call_id);
        }
}

/* Frees a call at destroy time: its tasks forget it first. */
static void drop_call(tl_engine *e, eng_call *c)
{
    for (size_t k = 0; k < c->n; k++) {
        if (c->tasks[k]->call == c)
            c->tasks[k]->call = NULL;
        if (c->tasks[k]->hedge == c)
            c->tasks[k]->hedge = NULL;
    }
    tl__call_free(e, c);
}

static void drop_events(tl_engine *e)
{
    for (eng_event *ev = e->in_head, *next; ev; ev = next) {
        next = ev->next;
        if (ev->kind == EV_JOB) {
            atomic_fetch_sub(&e->pending, 1);
            job_free(e, ev->ptr);
        } else if (ev->kind == EV_RESPONSE) {
            drop_call(e, ev->ptr);
        }
        event_free(ev);
    }
    e->in_head = e->in_tail = NULL;
}

static void drop_jobs(tl_engine *e)
{
    for (size_t i = 0; i < e->n_provs; i++) {
        eng_prov *p = e->provs[i];
        eng_call *c;
        while ((c = tl__unpark(p)) != NULL)
            drop_call(e, c);
    }
    while (e->jobs) {
        eng_job *j = e->jobs;
        job_unlink(e, j);
        j->finished = true; /* freed with its last call */
        j->refs++;
        for (size_t i = 0; i < j->n_tasks; i++) {
            eng_task *t = &j->tasks[i];
            if (t->call)
                drop_call(e, t->call);
            if (t->hedge)
                drop_call(e, t->hedge);
        }
        if (--j->refs == 0)
            job_free(e, j);
    }
    for (eng_out *o = e->out_head, *next; o; o = next) {
        next = o->next;
        tl__free(o->texts);
        tl_result_free(o->res);
        tl__free(o);
    }
    e->out_head = e->out_tail = NULL;
}

void tl_engine_destroy(tl_engine *e)
{
    if (!e)
        return;
    if (e->have_loop) {
        pthread_mutex_lock(&e->inbox_mu);
        e->stop = true;
        pthread_cond_signal(&e->inbox_cv);
        pthread_mutex_unlock(&e->inbox_mu);
        pthread_join(e->loop, NULL);
    }
    tl_pool_destroy(e->pool); /* runs queued work: its events land in the inbox */
    e->pool = NULL;
    pthread_mutex_lock(&e->loop_mu);
    cancel_calls(e);
    drop_events(e);
    drop_jobs(e);
    pthread_mutex_unlock(&e->loop_mu);
    for (size_t i = 0; i < e->n_provs; i++)
        prov_free(e->provs[i]);
    tl__free(e->provs);
    tl__free(e->heap);
    tl_sched_destroy(e->sched);
    tl_cache_destroy(e->cache);
    tl_batcher_destroy(e->batcher);
    pthread_cond_destroy(&e->inbox_cv);
    pthread_mutex_destroy(&e->stats_mu);
    pthread_mutex_destroy(&e->inbox_mu);
    pthread_mutex_destroy(&e->loop_mu);
    tl__free(e);
}
