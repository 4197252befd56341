/* Worker pool and job records. See jobs.h for the locking rules; in short:
 *
 *   q->mu guards the run queue, the registry of jobs in memory, the
 *         counters and the stop flag;
 *   j->mu guards one job's state, events, result and watchers.
 *
 * A worker takes a job off the queue under q->mu, then runs it without any
 * lock held, taking j->mu only to publish an event or the end. */
#include "server/jobs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "server/sections.h"
#include "tailor/advice.h"
#include "tailor/local.h"
#include "tailor/tailor.h"
#include "util/deadline.h"
#include "util/log.h"

typedef struct sse_event {
    char *text;
    size_t len;
} sse_event;

/* The latest progress of one section being generated, as the event
 * readers get (jobs.h: progress is not stored history). seq orders the
 * updates of a job; 0: a free slot. */
typedef struct progress_slot {
    char section[TL_TASK_ID_CAP];
    char text[256];
    size_t len;
    uint64_t seq;
} progress_slot;

/* Sections generating at once that a job tracks; past that, updates of
 * further sections are dropped (their section events still come). */
#define MAX_PROGRESS 64

struct tl_sjob {
    atomic_int refs;
    int64_t id;
    pthread_mutex_t mu;
    tl_sjob_state state;
    tl_job_input in; /* the inputs, freed once the job has run */
    char *sections;  /* in.sections, owned */
    sse_event *events;
    size_t n_events, cap_events;
    progress_slot *progress; /* MAX_PROGRESS, allocated at the first update */
    uint64_t progress_seq;
    char *result;
    char *err_code;
    char *err_msg;
    tl_watch *watchers;
    /* Under the queue's mutex: */
    struct tl_sjob *qnext;       /* run queue */
    struct tl_sjob *prev, *next; /* registry, oldest first */
    bool registered;
};

struct tl_jobq {
    tl_jobq_opts o;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or stop */
    pthread_cond_t idle; /* a job ended */
    pthread_t *threads;
    int n_threads;
    bool stopped;
    tl_sjob *qhead, *qtail;
    tl_sjob *rhead, *rtail;
    size_t n_finished_kept;
    long n_queued, n_running;
    /* Engine jobs waited on by workers, and those given up at stop whose
     * engine may still call back (freed in tl_jobq_destroy). */
    struct eng_wait *waits;
    atomic_bool aborting; /* stop: workers give up waiting on engine jobs */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *tl_sjob_state_name(tl_sjob_state s)
{
    switch (s) {
    case TL_SJOB_QUEUED: return "queued";
    case TL_SJOB_RUNNING: return "running";
    case TL_SJOB_DONE: return "done";
    case TL_SJOB_FAILED: return "failed";
    case TL_SJOB_CANCELLED: return "cancelled";
    case TL_SJOB_ABORTED: return "queued";
    }
    return "unknown";
}

static bool ended(tl_sjob_state s)
{
    return s != TL_SJOB_QUEUED && s != TL_SJOB_RUNNING;
}

/* ---- job records ---- */

static tl_sjob *sjob_new(int64_t id)
{
    tl_sjob *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        free(j);
        return NULL;
    }
    atomic_init(&j->refs, 1);
    j->id = id;
    return j;
}

static void free_inputs(tl_job_input *in)
{
    tl_resume_free(in->resume);
    tl_job_free(in->jd);
    in->resume = NULL;
    in->jd = NULL;
}

void tl_sjob_ref(tl_sjob *j)
{
    atomic_fetch_add(&j->refs, 1);
}

void tl_sjob_unref(tl_sjob *j)
{
    if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    free_inputs(&j->in);
    free(j->sections);
    for (size_t i = 0; i < j->n_events; i++)
        free(j->events[i].text);
    free(j->events);
    free(j->progress);
    free(j->result);
    free(j->err_code);
    free(j->err_msg);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

int64_t tl_sjob_id(const tl_sjob *j)
{
    return j->id;
}

tl_sjob_state tl_sjob_state_of(tl_sjob *j)
{
    pthread_mutex_lock(&j->mu);
    tl_sjob_state s = j->state;
    pthread_mutex_unlock(&j->mu);
    return s;
}

/* These fields are written once, under the lock, before the state becomes
 * final; a reader that has seen the final state may read them freely. */
const char *tl_sjob_result(tl_sjob *j)
{
    return tl_sjob_state_of(j) == TL_SJOB_DONE ? j->result : NULL;
}

const char *tl_sjob_error_code(tl_sjob *j)
{
    tl_sjob_state s = tl_sjob_state_of(j);
    return s == TL_SJOB_FAILED || s == TL_SJOB_CANCELLED ? j->err_code : NULL;
}

const char *tl_sjob_error_message(tl_sjob *j)
{
    tl_sjob_state s = tl_sjob_state_of(j);
    return s == TL_SJOB_FAILED || s == TL_SJOB_CANCELLED ? j->err_msg : NULL;
}

/* ---- watchers (j->mu held) ---- */

static void watch_link(tl_sjob *j, tl_watch *w)
{
    if (w->linked)
        return;
    w->prev = NULL;
    w->next = j->watchers;
    if (j->watchers)
        j->watchers->prev = w;
    j->watchers = w;
    w->linked = true;
}

static void watch_unlink(tl_sjob *j, tl_watch *w)
{
    if (!w->linked)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        j->watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
    w->linked = false;
}

/* Wakes the parked watchers; final: the job has ended. */
static void wake_all(tl_sjob *j, bool final)
{
    for (tl_watch *w = j->watchers; w; w = w->next) {
        if (!w->parked || (w->final_only && !final))
            continue;
        w->parked = false;
        w->wake(w->ud);
    }
}

void tl_sjob_unwatch(tl_sjob *j, tl_watch *w)
{
    pthread_mutex_lock(&j->mu);
    watch_unlink(j, w);
    w->parked = false;
    pthread_mutex_unlock(&j->mu);
}

static void park(tl_sjob *j, tl_watch *w, tl_park_fn fn, void *ud)
{
    watch_link(j, w);
    w->parked = true;
    fn(ud);
}

bool tl_sjob_wait(tl_sjob *j, tl_watch *w, tl_park_fn fn, void *ud)
{
    pthread_mutex_lock(&j->mu);
    bool done = ended(j->state);
    if (!done)
        park(j, w, fn, ud);
    pthread_mutex_unlock(&j->mu);
    return done;
}

/* The live slot with the lowest seq after `after`, or NULL. j->mu held. */
static const progress_slot *progress_next(const tl_sjob *j, uint64_t after)
{
    const progress_slot *best = NULL;
    for (size_t i = 0; j->progress && i < MAX_PROGRESS; i++) {
        const progress_slot *p = &j->progress[i];
        if (p->seq > after && (!best || p->seq < best->seq))
            best = p;
    }
    return best;
}

/* Copies the progress updates c has not seen, whole events only, into
 * buf[max); returns the bytes copied. j->mu held. */
static size_t progress_copy(tl_sjob *j, tl_sse_cursor *c, char *buf, size_t max)
{
    size_t got = 0;
    const progress_slot *p;
    while ((p = progress_next(j, c->progress_seen)) != NULL && p->len <= max - got) {
        memcpy(buf + got, p->text, p->len);
        got += p->len;
        c->progress_seen = p->seq;
    }
    return got;
}

tl_read_status tl_sjob_read(tl_sjob *j, tl_sse_cursor *c, char *buf, size_t max, size_t *n,
                            tl_watch *w, tl_park_fn fn, void *ud)
{
    size_t got = 0;
    pthread_mutex_lock(&j->mu);
    while (got < max && c->event < j->n_events) {
        const sse_event *ev = &j->events[c->event];
        size_t take = ev->len - c->offset;
        if (take > max - got)
            take = max - got;
        memcpy(buf + got, ev->text + c->offset, take);
        got += take;
        c->offset += take;
        if (c->offset == ev->len) {
            c->event++;
            c->offset = 0;
        }
    }
    if (c->event == j->n_events && c->offset == 0 && !ended(j->state))
        got += progress_copy(j, c, buf + got, max - got);
    tl_read_status st = TL_READ_DATA;
    if (got == 0) {
        if (ended(j->state))
            st = TL_READ_END;
        else {
            park(j, w, fn, ud);
            st = TL_READ_PARKED;
        }
    }
    pthread_mutex_unlock(&j->mu);
    *n = got;
    return st;
}

/* ---- events (j->mu held) ---- */

/* Appends one event; data is one line of JSON. An event that cannot be
 * stored is logged and dropped: the job's end is still in the store. */
static void emit(tl_sjob *j, const char *name, const char *data)
{
    if (j->n_events == j->cap_events) {
        size_t ncap = j->cap_events ? j->cap_events * 2 : 8;
        sse_event *ne = realloc(j->events, ncap * sizeof *ne);
        if (!ne)
            goto fail;
        j->events = ne;
        j->cap_events = ncap;
    }
    size_t need = strlen(name) + strlen(data) + 64;
    char *text = malloc(need);
    if (!text)
        goto fail;
    int len = snprintf(text, need, "id: %zu\nevent: %s\ndata: %s\n\n", j->n_events + 1, name, data);
    j->events[j->n_events++] = (sse_event){text, (size_t)len};
    return;
fail:
    tl_error("msg=\"job event dropped: out of memory\" job_id=%lld event=%s", (long long)j->id,
             name);
}

static void emit_json(tl_sjob *j, const char *name, json_t *data)
{
    char *s = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (s)
        emit(j, name, s);
    else
        tl_error("msg=\"job event dropped: out of memory\" job_id=%lld", (long long)j->id);
    free(s);
}

static void emit_error(tl_sjob *j, const char *code, const char *message)
{
    emit_json(j, "error",
              json_pack("{sI s{ss ss}}", "job_id", (json_int_t)j->id, "error", "code", code,
                        "message", message));
}

/* The slot of section, else a free one (NULL: none left, or no memory). */
static progress_slot *progress_slot_of(tl_sjob *j, const char *section, bool take)
{
    if (!j->progress && take)
        j->progress = calloc(MAX_PROGRESS, sizeof *j->progress);
    progress_slot *free_slot = NULL;
    for (size_t i = 0; j->progress && i < MAX_PROGRESS; i++) {
        progress_slot *p = &j->progress[i];
        if (p->seq && strcmp(p->section, section) == 0)
            return p;
        if (!p->seq && !free_slot)
            free_slot = p;
    }
    return take ? free_slot : NULL;
}

/* Records a section's progress for the readers (jobs.h). */
static void progress_set(tl_sjob *j, const char *section, int tokens)
{
    progress_slot *p = progress_slot_of(j, section, true);
    if (!p || strlen(section) >= sizeof p->section)
        return;
    json_t *d =
        json_pack("{sI ss si}", "job_id", (json_int_t)j->id, "section", section, "tokens", tokens);
    char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    int len = s ? snprintf(p->text, sizeof p->text, "event: progress\ndata: %s\n\n", s) : -1;
    free(s);
    if (len < 0 || (size_t)len >= sizeof p->text) {
        p->seq = 0; /* cannot say it: say nothing */
        return;
    }
    snprintf(p->section, sizeof p->section, "%s", section);
    p->len = (size_t)len;
    p->seq = ++j->progress_seq;
}

/* A section is in: its progress is over. */
static void progress_clear(tl_sjob *j, const char *section)
{
    progress_slot *p = section ? progress_slot_of(j, section, false) : NULL;
    if (p)
        p->seq = 0;
}

/* ---- the queue ---- */

/* q->mu held. */
static void registry_add(tl_jobq *q, tl_sjob *j)
{
    tl_sjob_ref(j);
    j->prev = q->rtail;
    j->next = NULL;
    if (q->rtail)
        q->rtail->next = j;
    else
        q->rhead = j;
    q->rtail = j;
    j->registered = true;
}

static void registry_remove(tl_jobq *q, tl_sjob *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        q->rhead = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        q->rtail = j->prev;
    j->registered = false;
    tl_sjob_unref(j);
}

/* Drops the oldest finished jobs beyond the number to keep. q->mu held. */
static void registry_trim(tl_jobq *q)
{
    tl_sjob *j = q->rhead;
    while (j && q->n_finished_kept > q->o.keep_finished) {
        tl_sjob *next = j->next;
        if (ended(tl_sjob_state_of(j))) {
            registry_remove(q, j);
            q->n_finished_kept--;
        }
        j = next;
    }
}

static tl_sjob *queue_pop(tl_jobq *q)
{
    tl_sjob *j = q->qhead;
    if (j) {
        q->qhead = j->qnext;
        if (!q->qhead)
            q->qtail = NULL;
        j->qnext = NULL;
        q->n_queued--;
    }
    return j;
}

static bool queue_remove(tl_jobq *q, tl_sjob *j)
{
    tl_sjob **pp = &q->qhead;
    tl_sjob *prev = NULL;
    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return false;
    *pp = j->qnext;
    if (q->qtail == j)
        q->qtail = prev;
    j->qnext = NULL;
    q->n_queued--;
    return true;
}

/* ---- running one job ---- */

typedef struct run_ctx {
    tl_jobq *q;
    tl_sjob *j;
    char (*ids)[96]; /* the id of each subsection, in the order they are done */
    size_t n_ids;
} run_ctx;

/* The ids of the subsections tl_customize tailors, in its order
 * ("basics.summary", "work[0]", "work[0].highlights[8-15]"); none when out
 * of memory (the events then carry only the counts). */
static void subsection_ids(const tl_resume *r, run_ctx *rc)
{
    tl_target *t = NULL;
    size_t n = 0;
    if (tl_local_targets(r, &t, &n) != TL_OK || n == 0)
        return;
    if ((rc->ids = calloc(n, sizeof *rc->ids)) != NULL) {
        for (size_t i = 0; i < n; i++)
            tl_target_id(r, &t[i], rc->ids[i], sizeof rc->ids[i]);
        rc->n_ids = n;
    }
    free(t);
}

/* A subsection's tailored text as the events carry it ("after"): the
 * summary's string, or the entry's summary (when the target starts the
 * entry) and its bullets as an array. */
static json_t *target_text(const tl_resume *r, const tl_target *tg)
{
    if (tg->kind == TL_TARGET_SUMMARY)
        return r->basics.summary ? json_string(r->basics.summary) : json_null();
    const tl_entry *en = &r->sections[tg->section].entries[tg->entry];
    size_t from = tg->bullet_from < en->n_bullets ? tg->bullet_from : en->n_bullets;
    size_t to = tl_target_bullet_end(tg, en);
    if (from == to)
        return from == 0 && en->summary ? json_string(en->summary) : json_null();
    json_t *a = json_array();
    if (a && from == 0 && en->summary)
        json_array_append_new(a, json_string(en->summary));
    for (size_t i = from; a && i < to; i++)
        if (en->bullets[i])
            json_array_append_new(a, json_string(en->bullets[i]));
    return a ? a : json_null();
}

/* One "section" event per subsection done: the counts, the subsection's
 * id and tailored text, and what produced it (the embedded engine:
 * provider "local", never a fallback). */
static void on_section(void *ud, int done, int total, const tl_resume *tailored,
                       const tl_target *target)
{
    run_ctx *rc = ud;
    const char *id = done >= 1 && (size_t)done <= rc->n_ids ? rc->ids[done - 1] : NULL;
    json_t *after = target_text(tailored, target);
    pthread_mutex_lock(&rc->j->mu);
    emit_json(rc->j, "section",
              json_pack("{sI si si s:s* ss sb so*}", "job_id", (json_int_t)rc->j->id, "done", done,
                        "total", total, "section", id, "provider", "local", "fallback", 0, "after",
                        after));
    wake_all(rc->j, false);
    pthread_mutex_unlock(&rc->j->mu);
}

/* The "consistency" event, once every section is in and the pass over the
 * whole resume has run: how many changes it made, by kind. */
static void emit_consistency(tl_sjob *j, const tl_result *res)
{
    size_t tense = 0, style = 0, repeated = 0;
    for (size_t i = 0; res->changes && i < res->changes->n; i++) {
        tl_change_kind k = res->changes->items[i].kind;
        tense += k == TL_CHANGE_TENSE;
        style += k == TL_CHANGE_STYLE;
        repeated += k == TL_CHANGE_REPEATED;
    }
    pthread_mutex_lock(&j->mu);
    emit_json(j, "consistency",
              json_pack("{sI sI sI sI}", "job_id", (json_int_t)j->id, "tense", (json_int_t)tense,
                        "style", (json_int_t)style, "repeated", (json_int_t)repeated));
    wake_all(j, false);
    pthread_mutex_unlock(&j->mu);
}

/* The metrics object M of a job run on an engine: the engine's job
 * metrics, under the names of the API. */
static json_t *metrics_json(const tl_job_metrics *m, const char *engine)
{
    json_t *o = json_pack(
        "{sf sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sf sf sf ss}", "wall_ms",
        m->wall_ms, "tasks", (json_int_t)m->tasks, "provider_calls", (json_int_t)m->provider_calls,
        "tokens_in", (json_int_t)m->tokens_in, "tokens_out", (json_int_t)m->tokens_out, "retries",
        (json_int_t)m->retries, "failures", (json_int_t)m->failures, "fallbacks",
        (json_int_t)m->fallbacks, "cache_hits", (json_int_t)m->cache_hits, "cache_misses",
        (json_int_t)m->cache_misses, "cache_coalesced", (json_int_t)m->cache_coalesced, "batches",
        (json_int_t)m->batches, "batched_tasks", (json_int_t)m->batched_tasks, "hedges",
        (json_int_t)m->hedges, "hedge_wins", (json_int_t)m->hedge_wins, "breaker_refusals",
        (json_int_t)m->breaker_refusals, "breaker_transitions", (json_int_t)m->breaker_transitions,
        "ratelimit_waits", (json_int_t)m->ratelimit_waits, "deadline_expired",
        (json_int_t)m->deadline_expired, "dead_lettered", (json_int_t)m->dead_lettered, "max_batch",
        (json_int_t)m->max_batch, "cost_usd", m->cost_usd, "queue_wait_p50_ms",
        m->queue_wait_p50_ms, "queue_wait_p99_ms", m->queue_wait_p99_ms, "engine", engine);
    return o;
}

/* The metrics object every customization result carries: the engine's
 * job metrics (m), or for the embedded engine alone (m NULL) the wall
 * time and zeros, since it calls no provider. */
static tl_err add_metrics(json_t *doc, double wall_ms, const tl_job_metrics *m)
{
    json_t *mo = json_object_get(doc, "metrics");
    if (!json_is_object(mo)) {
        mo = json_object();
        if (!mo || json_object_set_new(doc, "metrics", mo) != 0)
            return TL_ENOMEM;
    }
    json_t *add =
        m ? metrics_json(m, "enhanced")
          : json_pack("{sf si si si si si si si sf ss}", "wall_ms", wall_ms, "provider_calls", 0,
                      "tokens_in", 0, "tokens_out", 0, "retries", 0, "failures", 0, "fallbacks", 0,
                      "cache_hits", 0, "cost_usd", 0.0, "engine", "embedded");
    if (!add || json_object_update(mo, add) != 0) {
        json_decref(add);
        return TL_ENOMEM;
    }
    json_decref(add);
    return TL_OK;
}

/* The version job j already stored (0: none): a job taken over from a
 * server that died between storing its version and recording its end
 * must not add a second one. Only one server runs a job at a time (its
 * lease), so looking and then adding is not a race. */
static int stored_version(tl_jobq *q, const tl_sjob *j)
{
    if (!j->in.recovered)
        return 0; /* a first run has stored nothing: no need to read every version */
    tl_store_versions *v = NULL;
    if (tl_store_resume_versions(q->o.store, j->in.resume_id, &v) != TL_OK)
        return 0;
    int found = 0;
    for (size_t i = 0; i < v->n && !found; i++)
        if (v->items[i].job_id == j->id)
            found = v->items[i].version;
    tl_store_versions_free(v);
    return found;
}

/* Stores the tailored resume as the next version of its resume. */
static tl_err store_version(tl_jobq *q, tl_sjob *j, json_t *doc, int *version)
{
    if ((*version = stored_version(q, j)) > 0) {
        tl_info("msg=\"job run again after a takeover; its version was stored already\""
                " job_id=%lld version=%d",
                (long long)j->id, *version);
        return TL_OK;
    }
    char *resume_json = json_dumps(json_object_get(doc, "resume"), JSON_COMPACT);
    if (!resume_json)
        return TL_ENOMEM;
    tl_store_resume_in in = {.format = tl_format_name(j->in.resume->format),
                             .json = resume_json,
                             .job_id = j->id,
                             .jd_id = j->in.jd_id,
                             .parent_version = j->in.resume_version};
    tl_err e = tl_store_resume_add_version(q->o.store, j->in.resume_id, &in, version);
    free(resume_json);
    return e;
}

/* The section a change id belongs to: "work" of "work[1].highlights[0]",
 * "basics" of "basics.summary". */
static json_t *section_key(const char *id)
{
    size_t n = strcspn(id, "[.");
    return json_stringn(id, n);
}

/* The resume part a plan section key names: 0 for "basics", 1 + s for
 * section s (the first with that key), -1 for none. */
static int plan_slot(const tl_resume *r, const char *key)
{
    if (strcmp(key, "basics") == 0)
        return 0;
    for (size_t i = 0; i < r->n_sections; i++)
        if (r->sections[i].key && strcmp(r->sections[i].key, key) == 0)
            return 1 + (int)i;
    return -1;
}

static bool plan_has(json_t *order, const char *key)
{
    size_t i;
    json_t *sec;
    json_array_foreach(order, i, sec)
    {
        if (strcmp(json_string_value(json_object_get(sec, "key")), key) == 0)
            return true;
    }
    return false;
}

/* Adds to each plan section the job keywords its own text states (so a
 * customization may bring them forward there without adding a fact), and
 * a section for each tailorable part that states some but changes
 * nothing. */
static tl_err plan_keywords(json_t *order, const tl_evidence *ev, const tl_resume *r,
                            const tl_matcher *m)
{
    size_t i;
    json_t *sec;
    json_array_foreach(order, i, sec)
    {
        int slot = plan_slot(r, json_string_value(json_object_get(sec, "key")));
        json_t *kws = slot >= 0 ? tl_evidence_slot_json(ev, r, m, slot) : json_array();
        if (json_object_set_new(sec, "keywords", kws) != 0)
            return TL_ENOMEM;
    }
    for (size_t slot = 0; slot <= r->n_sections; slot++) {
        const char *key = slot ? r->sections[slot - 1].key : "basics";
        if (!key || plan_has(order, key) ||
            (slot && !tl_section_tailorable(r->sections[slot - 1].kind)))
            continue;
        json_t *kws = tl_evidence_slot_json(ev, r, m, (int)slot);
        if (json_array_size(kws) == 0) {
            json_decref(kws);
            continue;
        }
        if (json_array_append_new(
                order, json_pack("{ss s[] so}", "key", key, "changes", "keywords", kws)) != 0)
            return TL_ENOMEM;
    }
    return TL_OK;
}

static tl_err add_plan_keywords(json_t *order, const tl_resume *r, const tl_job *jd,
                                const tl_terms *t)
{
    tl_matcher *m = NULL;
    tl_evidence *ev = NULL;
    tl_err e = tl_matcher_create(jd, t, &m);
    if (e == TL_OK)
        e = tl_evidence_compute(r, m, &ev);
    if (e == TL_OK)
        e = plan_keywords(order, ev, r, m);
    tl_evidence_free(ev);
    tl_matcher_free(m);
    return e;
}

/* Reshapes a result into a plan: the changes grouped by section, each with
 * the keywords r states there for jd, without the tailored document. */
static tl_err to_plan(json_t *doc, const tl_resume *r, const tl_job *jd, const tl_terms *t)
{
    json_t *groups = json_object();
    json_t *order = json_array();
    size_t i;
    json_t *c;
    tl_err e = groups && order ? TL_OK : TL_ENOMEM;
    json_array_foreach(json_object_get(doc, "changes"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        json_t *key = section_key(id ? id : "");
        const char *k = json_string_value(key);
        json_t *list = k ? json_object_get(groups, k) : NULL;
        if (k && !list) {
            list = json_array();
            json_object_set_new(groups, k, list);
            json_array_append_new(order, json_pack("{sO sO}", "key", key, "changes", list));
        }
        if (!list || json_array_append(list, c) != 0)
            e = TL_ENOMEM;
        json_decref(key);
    }
    json_decref(groups);
    if (e == TL_OK)
        e = add_plan_keywords(order, r, jd, t);
    if (e == TL_OK && json_object_set_new(doc, "plan", json_pack("{so}", "sections", order)) != 0)
        e = TL_ENOMEM;
    else if (e != TL_OK)
        json_decref(order);
    json_object_del(doc, "resume");
    json_object_del(doc, "rendered");
    json_object_del(doc, "changes");
    return e;
}

/* Builds the result document of a finished customization. */
static tl_err build_result(tl_jobq *q, tl_sjob *j, const tl_result *res, double t0,
                           const tl_job_metrics *m, json_t *sections, char **out, int *new_version)
{
    json_t *doc = NULL;
    tl_err e = tl_result_to_value(res, j->in.out_format, &doc);
    if (e)
        return e;
    if (json_object_set_new(doc, "job_id", json_integer(j->id)) != 0 ||
        json_object_set_new(doc, "strength", json_string(tl_strength_name(j->in.strength))) != 0)
        e = TL_ENOMEM;
    if (e == TL_OK && j->in.plan)
        e = to_plan(doc, j->in.resume, j->in.jd, q->o.terms);
    if (e == TL_OK && j->in.resume_id > 0 && !j->in.plan) {
        e = store_version(q, j, doc, new_version);
        if (e == TL_OK &&
            (json_object_set_new(doc, "resume_id", json_integer(j->in.resume_id)) != 0 ||
             json_object_set_new(doc, "version", json_integer(*new_version)) != 0 ||
             json_object_set_new(doc, "parent_version", json_integer(j->in.resume_version)) != 0))
            e = TL_ENOMEM;
    }
    if (e == TL_OK && j->in.jd_id > 0 &&
        json_object_set_new(doc, "job_description_id", json_integer(j->in.jd_id)) != 0)
        e = TL_ENOMEM;
    if (e == TL_OK)
        e = add_metrics(doc, now_ms() - t0, m);
    if (e == TL_OK && sections && json_object_set(doc, "sections", sections) != 0)
        e = TL_ENOMEM;
    if (e == TL_OK && !(*out = json_dumps(doc, JSON_COMPACT)))
        e = TL_ENOMEM;
    json_decref(doc);
    return e;
}

/* Publishes the end of a job: the store first (so that a client told
 * "done" always finds it there), then memory, then the watchers. */
static void finish(tl_jobq *q, tl_sjob *j, char *result, int new_version, tl_err e)
{
    tl_store_job_end end = {
        .status = result ? "done" : "failed", .result_json = result, .new_version = new_version};
    if (!result) {
        end.error_code = e == TL_EIO ? "storage_error" : "customize_failed";
        end.error_message = tl_strerror(e);
    }
    if (tl_store_job_finish(q->o.store, j->id, &end) != TL_OK)
        tl_error("msg=\"cannot record the end of a job\" job_id=%lld", (long long)j->id);
    pthread_mutex_lock(&j->mu);
    if (result) {
        j->result = result;
        emit(j, "done", result);
        j->state = TL_SJOB_DONE;
    } else {
        j->err_code = strdup(end.error_code);
        j->err_msg = strdup(end.error_message);
        emit_error(j, end.error_code, end.error_message);
        j->state = TL_SJOB_FAILED;
    }
    wake_all(j, true);
    pthread_mutex_unlock(&j->mu);
}

/* ---- jobs on the engine ---- */

typedef struct eng_wait {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    bool abandoned; /* the worker gave up at stop; callbacks do nothing */
    tl_err status;
    tl_result *res;
    tl_job_metrics met;
    tl_jobq *q;
    tl_engine *engine;            /* a comparison's own engine, left to tl_jobq_destroy when
                                     abandoned; NULL: the server's */
    tl_sjob *j;                   /* a reference; NULL: no events (a comparison's runs) */
    const char *first;            /* the chain's first provider */
    int total, n_done;            /* tasks planned, tasks done */
    json_t *sections;             /* [{id, provider, fallback, cached, attempts}] */
    struct eng_wait *next, *prev; /* q->waits, under q->mu */
} eng_wait;

/* A wait registered with q (so that stop can wake it). NULL when out of
 * memory. */
static eng_wait *eng_wait_new(tl_jobq *q, tl_sjob *j)
{
    eng_wait *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
    w->q = q;
    w->j = j;
    if (j) {
        tl_sjob_ref(j);
        w->sections = json_array();
    }
    pthread_mutex_lock(&q->mu);
    w->next = q->waits;
    if (q->waits)
        q->waits->prev = w;
    q->waits = w;
    pthread_mutex_unlock(&q->mu);
    return w;
}

/* Unregisters and frees w: once its job is done, or once no callback of
 * its engine can come any more. */
static void eng_wait_free(eng_wait *w)
{
    tl_jobq *q = w->q;
    pthread_mutex_lock(&q->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        q->waits = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&q->mu);
    pthread_mutex_destroy(&w->m);
    pthread_cond_destroy(&w->c);
    json_decref(w->sections);
    tl_result_free(w->res);
    tl_sjob_unref(w->j);
    free(w);
}

/* Stop: every worker waiting on an engine job gives up. q->mu held. */
static void wake_waits(tl_jobq *q)
{
    for (eng_wait *w = q->waits; w; w = w->next) {
        pthread_mutex_lock(&w->m);
        pthread_cond_broadcast(&w->c);
        pthread_mutex_unlock(&w->m);
    }
}

/* The task's tailored text, for the page to show at once: the summary
 * alone as a string, else the bullets (with the summary first). */
static json_t *task_text(const tl_task_result *r)
{
    if (r->n_bullets == 0)
        return r->summary ? json_string(r->summary) : json_null();
    json_t *a = json_array();
    if (a && r->summary)
        json_array_append_new(a, json_string(r->summary));
    for (size_t i = 0; a && i < r->n_bullets; i++)
        if (r->bullets[i])
            json_array_append_new(a, json_string(r->bullets[i]));
    return a ? a : json_null();
}

/* On the engine's loop: one "section" event per task done, and a
 * "fallback" event when a later link than the chain's first produced it. */
static void on_engine_task(void *ud, const tl_task_result *r)
{
    eng_wait *w = ud;
    pthread_mutex_lock(&w->m);
    bool gone = w->abandoned;
    pthread_mutex_unlock(&w->m);
    if (!w->j || gone)
        return;
    w->n_done++;
    int total = w->total > w->n_done ? w->total : w->n_done;
    json_t *rec = json_pack("{s:s* ss sb sb si}", "id", r->section_id, "provider",
                            r->provider ? r->provider : "local", "fallback", r->fell_back, "cached",
                            r->cached, "attempts", (int)r->attempts);
    if (rec)
        json_array_append_new(w->sections, rec);
    tl_sjob *j = w->j;
    pthread_mutex_lock(&j->mu);
    progress_clear(j, r->section_id);
    emit_json(j, "section",
              json_pack("{sI si si s:s* ss sb sb si so}", "job_id", (json_int_t)j->id, "done",
                        w->n_done, "total", total, "section", r->section_id, "provider",
                        r->provider ? r->provider : "local", "fallback", r->fell_back, "cached",
                        r->cached, "attempts", (int)r->attempts, "after", task_text(r)));
    if (r->fell_back)
        emit_json(j, "fallback",
                  json_pack("{sI s:s* ss ss}", "job_id", (json_int_t)j->id, "section",
                            r->section_id, "from", w->first ? w->first : "local", "provider",
                            r->provider ? r->provider : "local"));
    wake_all(j, false);
    pthread_mutex_unlock(&j->mu);
}

/* On the engine's loop: a section's answer so far, for the readers of the
 * job's events (not stored: jobs.h). */
static void on_engine_progress(void *ud, const tl_task_progress *p)
{
    eng_wait *w = ud;
    pthread_mutex_lock(&w->m);
    bool gone = w->abandoned;
    pthread_mutex_unlock(&w->m);
    if (!w->j || gone || !p->section_id)
        return;
    tl_sjob *j = w->j;
    pthread_mutex_lock(&j->mu);
    progress_set(j, p->section_id, p->tokens);
    wake_all(j, false);
    pthread_mutex_unlock(&j->mu);
}

static void on_engine_done(void *ud, uint64_t job_id, tl_err status, tl_result *result,
                           const tl_job_metrics *m)
{
    (void)job_id;
    eng_wait *w = ud;
    pthread_mutex_lock(&w->m);
    w->status = status;
    w->res = result;
    if (m)
        w->met = *m;
    w->done = true;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
}

/* Runs in's job on engine eng and waits for its end (the engine always
 * ends a job it accepted: the embedded engine is its last link). */
static tl_err engine_run(tl_engine *eng, const tl_job_input *in, const tl_terms *terms, eng_wait *w)
{
    w->first = in->n_chain ? in->chain[0]->name : "local";
    if (w->j) {
        tl_plan_opts po;
        tl_plan_opts_default(&po);
        po.strength = in->strength;
        tl_plan *plan = NULL;
        if (tl_plan_build(in->resume, 0, &po, &plan) == TL_OK)
            w->total = (int)plan->n;
        tl_plan_free(plan);
    }
    tl_job_opts jo = {.strength = in->strength,
                      .chain = (tl_provider **)in->chain,
                      .n_chain = in->n_chain,
                      .priority = in->priority,
                      .deadline_ns = in->deadline_ns,
                      .on_task = on_engine_task,
                      .on_progress = on_engine_progress,
                      .on_done = on_engine_done,
                      .ud = w};
    tl_err e = tl_engine_submit(eng, in->resume, in->jd, terms, &jo, NULL);
    if (e)
        return e;
    /* Until the job is done, or the queue stops: then w is abandoned (its
     * callbacks do nothing; tl_jobq_destroy frees it once the engines are
     * gone) and the job stays unfinished in the store. */
    pthread_mutex_lock(&w->m);
    while (!w->done && !atomic_load(&w->q->aborting))
        pthread_cond_wait(&w->c, &w->m);
    bool done = w->done;
    if (!done)
        w->abandoned = true;
    pthread_mutex_unlock(&w->m);
    return done ? w->status : TL_ETIMEDOUT; /* w->abandoned says which */
}

/* One run of a comparison: a fresh engine of the kind (cold cache, fresh
 * breakers and limiters) with the server's providers. */
static tl_err compare_run(tl_jobq *q, tl_sjob *j, tl_engine_kind kind, tl_job_metrics *out)
{
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.kind = kind;
    eo.loop_thread = true;
    eo.workers = 1;
    tl_engine *eng = NULL;
    tl_err e = tl_engine_create(&eng, &eo);
    for (size_t i = 0; e == TL_OK && i < q->o.n_providers; i++)
        e = tl_engine_add_provider(eng, q->o.providers[i],
                                   q->o.provider_confs ? &q->o.provider_confs[i] : NULL);
    eng_wait *w = e == TL_OK ? eng_wait_new(q, NULL) : NULL;
    if (e == TL_OK && !w)
        e = TL_ENOMEM;
    if (e == TL_OK)
        e = engine_run(eng, &j->in, q->o.terms, w);
    if (w && w->abandoned) {
        w->engine = eng; /* destroyed by tl_jobq_destroy, after the providers close */
        return TL_ETIMEDOUT;
    }
    if (e == TL_OK)
        *out = w->met;
    tl_engine_destroy(eng);
    if (w)
        eng_wait_free(w);
    return e;
}

/* enhanced / original; when the original is 0: 1 when the enhanced is 0
 * too (no difference), else null (no finite ratio). */
static json_t *ratio(double enhanced, double original)
{
    if (original > 0)
        return json_real(enhanced / original);
    return enhanced > 0 ? json_null() : json_real(1.0);
}

static tl_err run_compare(tl_jobq *q, tl_sjob *j, char **out)
{
    tl_job_metrics orig = {0}, enh = {0};
    tl_err e = compare_run(q, j, TL_ENGINE_ORIGINAL, &orig);
    if (e == TL_OK)
        e = compare_run(q, j, TL_ENGINE_ENHANCED, &enh);
    if (e)
        return e;
    json_t *mo = metrics_json(&orig, "original");
    json_t *me = metrics_json(&enh, "enhanced");
    json_t *chain = json_array();
    for (size_t i = 0; chain && i < j->in.n_chain; i++)
        json_array_append_new(chain, json_string(j->in.chain[i]->name));
    if (chain)
        json_array_append_new(chain, json_string("local"));
    json_t *doc =
        json_pack("{sI ss so* so* so* s{so* so* so*}}", "job_id", (json_int_t)j->id, "strength",
                  tl_strength_name(j->in.strength), "provider", chain, "original", mo, "enhanced",
                  me, "improvement", "time_ratio", ratio(enh.wall_ms, orig.wall_ms), "calls_ratio",
                  ratio((double)enh.provider_calls, (double)orig.provider_calls), "failure_ratio",
                  ratio((double)enh.failures, (double)orig.failures));
    if (!doc)
        return TL_ENOMEM;
    *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return *out ? TL_OK : TL_ENOMEM;
}

/* A running job given up at stop: it stays unfinished in the store (a
 * restarted server runs it again) and its waiters are told so. */
static void abort_job(tl_sjob *j)
{
    tl_info("msg=\"job left unfinished at stop; it runs again at the next start\" job_id=%lld",
            (long long)j->id);
    pthread_mutex_lock(&j->mu);
    j->state = TL_SJOB_ABORTED;
    wake_all(j, true);
    pthread_mutex_unlock(&j->mu);
}

static void run_job(tl_jobq *q, tl_sjob *j)
{
    pthread_mutex_lock(&j->mu);
    bool cancelled = j->state != TL_SJOB_QUEUED;
    if (!cancelled)
        j->state = TL_SJOB_RUNNING;
    pthread_mutex_unlock(&j->mu);
    if (cancelled)
        return;
    double t0 = now_ms();
    if (tl_store_job_set_status(q->o.store, j->id, "running") != TL_OK)
        tl_warn("msg=\"cannot mark a job running\" job_id=%lld", (long long)j->id);
    char *result = NULL;
    int new_version = 0;
    tl_err e;
    if (j->in.compare) {
        e = run_compare(q, j, &result);
        if (e == TL_ETIMEDOUT && atomic_load(&q->aborting)) {
            abort_job(j);
            return;
        }
    } else if (j->in.n_chain > 0 && q->o.engine) {
        eng_wait *w = eng_wait_new(q, j);
        e = w ? engine_run(q->o.engine, &j->in, q->o.terms, w) : TL_ENOMEM;
        if (w && w->abandoned) {
            abort_job(j); /* w (and the inputs the engine reads) live on */
            return;
        }
        if (e == TL_OK && j->sections)
            e = tl__keep_sections(w->res, j->in.resume, j->in.jd, q->o.terms, j->sections);
        if (e == TL_OK)
            emit_consistency(j, w->res);
        if (e == TL_OK)
            e = build_result(q, j, w->res, t0, &w->met, w->sections, &result, &new_version);
        if (w)
            eng_wait_free(w);
    } else {
        run_ctx rc = {.q = q, .j = j};
        subsection_ids(j->in.resume, &rc);
        tl_customize_opts co = {
            .strength = j->in.strength, .section = on_section, .progress_ud = &rc};
        tl_result *res = NULL;
        e = tl_customize(j->in.resume, j->in.jd, q->o.terms, &co, &res);
        if (e == TL_OK && j->sections)
            e = tl__keep_sections(res, j->in.resume, j->in.jd, q->o.terms, j->sections);
        if (e == TL_OK)
            emit_consistency(j, res);
        if (e == TL_OK)
            e = build_result(q, j, res, t0, NULL, NULL, &result, &new_version);
        tl_result_free(res);
        free(rc.ids);
    }
    if (e)
        tl_warn("msg=\"customization failed\" job_id=%lld err=\"%s\"", (long long)j->id,
                tl_strerror(e));
    finish(q, j, result, new_version, e);
    free_inputs(&j->in);
    if (q->o.on_end)
        q->o.on_end(q->o.on_end_ud, result ? "done" : "failed", (now_ms() - t0) / 1e3);
}

/* The worker loop: take the oldest queued job, run it with no queue lock
 * held, account for it, repeat until stopped. */
static void *worker_main(void *arg)
{
    tl_jobq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stopped && !q->qhead)
            pthread_cond_wait(&q->work, &q->mu);
        if (q->stopped)
            break;
        tl_sjob *j = queue_pop(q);
        q->n_running++;
        pthread_mutex_unlock(&q->mu);
        run_job(q, j);
        pthread_mutex_lock(&q->mu);
        q->n_running--;
        q->n_finished_kept++;
        registry_trim(q);
        pthread_cond_broadcast(&q->idle);
        tl_sjob_unref(j); /* the queue's reference */
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

tl_err tl_jobq_create(tl_jobq **out, const tl_jobq_opts *opts)
{
    if (!opts || !opts->store || !opts->terms)
        return TL_EINVAL;
    tl_jobq *q = calloc(1, sizeof *q);
    if (!q)
        return TL_ENOMEM;
    q->o = *opts;
    if (q->o.workers <= 0)
        q->o.workers = 2;
    if (q->o.keep_finished == 0)
        q->o.keep_finished = 256;
    q->threads = calloc((size_t)q->o.workers, sizeof *q->threads);
    if (!q->threads || pthread_mutex_init(&q->mu, NULL) != 0) {
        free(q->threads);
        free(q);
        return TL_ENOMEM;
    }
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->idle, NULL);
    for (int i = 0; i < q->o.workers; i++) {
        if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0)
            break;
        q->n_threads++;
    }
    if (q->n_threads == 0) {
        tl_jobq_destroy(q);
        return TL_ENOMEM;
    }
    *out = q;
    return TL_OK;
}

void tl_jobq_stop(tl_jobq *q)
{
    pthread_mutex_lock(&q->mu);
    bool was = q->stopped;
    q->stopped = true;
    atomic_store(&q->aborting, true);
    wake_waits(q);
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->mu);
    if (was)
        return;
    for (int i = 0; i < q->n_threads; i++)
        pthread_join(q->threads[i], NULL);
    pthread_mutex_lock(&q->mu);
    tl_sjob *j;
    while ((j = queue_pop(q)) != NULL) {
        pthread_mutex_lock(&j->mu);
        j->state = TL_SJOB_ABORTED;
        wake_all(j, true);
        pthread_mutex_unlock(&j->mu);
        tl_sjob_unref(j);
    }
    pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->mu);
}

void tl_jobq_destroy(tl_jobq *q)
{
    if (!q)
        return;
    tl_jobq_stop(q);
    /* Waits given up at stop: a comparison's engine goes first (its
     * providers are closed by now), then the wait. */
    while (q->waits) {
        tl_engine_destroy(q->waits->engine);
        eng_wait_free(q->waits);
    }
    while (q->rhead)
        registry_remove(q, q->rhead);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->mu);
    free(q->threads);
    free(q);
}

tl_err tl_jobq_submit(tl_jobq *q, tl_job_input *in, tl_sjob **out)
{
    tl_sjob *j = sjob_new(in->id);
    if (!j)
        return TL_ENOMEM;
    pthread_mutex_lock(&q->mu);
    if (q->stopped) {
        pthread_mutex_unlock(&q->mu);
        tl_sjob_unref(j);
        return TL_EINVAL;
    }
    if (in->sections && *in->sections && !(j->sections = strdup(in->sections))) {
        pthread_mutex_unlock(&q->mu);
        tl_sjob_unref(j);
        return TL_ENOMEM;
    }
    j->in = *in;
    j->in.sections = j->sections;
    in->resume = NULL;
    in->jd = NULL;
    emit_json(j, "accepted",
              json_pack("{sI ss ss}", "job_id", (json_int_t)j->id, "status", "queued", "strength",
                        tl_strength_name(j->in.strength)));
    registry_add(q, j);
    tl_sjob_ref(j); /* the queue's reference, dropped by the worker */
    if (q->qtail)
        q->qtail->qnext = j;
    else
        q->qhead = j;
    q->qtail = j;
    q->n_queued++;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    if (out)
        *out = j;
    else
        tl_sjob_unref(j);
    return TL_OK;
}

tl_sjob *tl_jobq_find(tl_jobq *q, int64_t id)
{
    pthread_mutex_lock(&q->mu);
    tl_sjob *j = q->rtail;
    while (j && j->id != id)
        j = j->prev;
    if (j)
        tl_sjob_ref(j);
    pthread_mutex_unlock(&q->mu);
    return j;
}

tl_err tl_jobq_cancel(tl_jobq *q, int64_t id)
{
    tl_sjob *j = tl_jobq_find(q, id);
    if (!j)
        return TL_ENOTFOUND;
    pthread_mutex_lock(&q->mu);
    bool removed = false;
    pthread_mutex_lock(&j->mu);
    if (j->state == TL_SJOB_QUEUED && queue_remove(q, j)) {
        removed = true;
        j->state = TL_SJOB_CANCELLED;
        j->err_code = strdup("cancelled");
        j->err_msg = strdup("the job was cancelled before it ran");
        emit_error(j, "cancelled", "the job was cancelled before it ran");
        wake_all(j, true);
        free_inputs(&j->in);
        q->n_finished_kept++;
        pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&j->mu);
    pthread_mutex_unlock(&q->mu);
    if (removed) {
        tl_sjob_unref(j); /* the queue's reference */
        tl_store_job_end end = {.status = "cancelled",
                                .error_code = "cancelled",
                                .error_message = "the job was cancelled before it ran"};
        if (tl_store_job_finish(q->o.store, id, &end) != TL_OK)
            tl_warn("msg=\"cannot record a cancellation\" job_id=%lld", (long long)id);
        if (q->o.on_end)
            q->o.on_end(q->o.on_end_ud, "cancelled", 0);
    }
    tl_sjob_unref(j);
    return removed ? TL_OK : TL_EINVAL;
}

bool tl_jobq_wait_idle(tl_jobq *q, int timeout_ms)
{
    struct timespec until = tl_deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&q->mu);
    int rc = 0;
    while ((q->n_queued > 0 || q->n_running > 0) && rc == 0)
        rc = pthread_cond_timedwait(&q->idle, &q->mu, &until);
    bool idle = q->n_queued == 0 && q->n_running == 0;
    pthread_mutex_unlock(&q->mu);
    return idle;
}

void tl_jobq_counts(tl_jobq *q, long *queued, long *running)
{
    pthread_mutex_lock(&q->mu);
    *queued = q->n_queued;
    *running = q->n_running;
    pthread_mutex_unlock(&q->mu);
}

/* ---- jobs rebuilt from the store ---- */

/* The state an ended record is in; false while it is unfinished. */
static bool record_state(const tl_store_job *rec, tl_sjob_state *st)
{
    if (strcmp(rec->status, "done") == 0 && rec->result_json)
        *st = TL_SJOB_DONE;
    else if (strcmp(rec->status, "failed") == 0)
        *st = TL_SJOB_FAILED;
    else if (strcmp(rec->status, "cancelled") == 0)
        *st = TL_SJOB_CANCELLED;
    else
        return false;
    return true;
}

/* A job outside any queue with its "accepted" event. */
static tl_sjob *record_job(const tl_store_job *rec)
{
    tl_sjob *j = sjob_new(rec->id);
    if (!j)
        return NULL;
    emit_json(j, "accepted",
              json_pack("{sI ss ss}", "job_id", (json_int_t)j->id, "status", "queued", "strength",
                        rec->strength));
    if (j->n_events != 1) {
        tl_sjob_unref(j);
        return NULL;
    }
    return j;
}

/* Records the end of rec (state st) in j: its result or error, the end
 * event, the state (j->mu held, or j not shared yet). False when out of
 * memory. */
static bool record_end(tl_sjob *j, const tl_store_job *rec, tl_sjob_state st)
{
    size_t before = j->n_events;
    if (st == TL_SJOB_DONE) {
        j->result = strdup(rec->result_json);
        if (j->result)
            emit(j, "done", j->result);
    } else {
        const char *code = rec->error_code ? rec->error_code : "failed";
        const char *msg = rec->error_message ? rec->error_message : "the job failed";
        j->err_code = strdup(code);
        j->err_msg = strdup(msg);
        emit_error(j, code, msg);
    }
    j->state = st;
    return j->n_events == before + 1 &&
           (st == TL_SJOB_DONE ? j->result != NULL : j->err_code && j->err_msg);
}

tl_err tl_sjob_from_record(const tl_store_job *rec, tl_sjob **out)
{
    tl_sjob_state st;
    if (!record_state(rec, &st))
        return TL_EINVAL;
    tl_sjob *j = record_job(rec);
    if (!j)
        return TL_ENOMEM;
    if (!record_end(j, rec, st)) {
        tl_sjob_unref(j);
        return TL_ENOMEM;
    }
    *out = j;
    return TL_OK;
}

/* ---- jobs of other servers, followed through the store ---- */

tl_err tl_sjob_follower(const tl_store_job *rec, tl_sjob **out)
{
    tl_sjob_state st;
    if (record_state(rec, &st))
        return TL_EINVAL;
    tl_sjob *j = record_job(rec);
    if (!j)
        return TL_ENOMEM;
    j->state = strcmp(rec->status, "running") == 0 ? TL_SJOB_RUNNING : TL_SJOB_QUEUED;
    *out = j;
    return TL_OK;
}

bool tl_sjob_follow_update(tl_sjob *j, const tl_store_job *rec)
{
    tl_sjob_state st;
    pthread_mutex_lock(&j->mu);
    bool was_ended = ended(j->state);
    if (!was_ended && record_state(rec, &st)) {
        if (!record_end(j, rec, st))
            tl_error("msg=\"followed job: end event lost, out of memory\" job_id=%lld",
                     (long long)j->id);
        wake_all(j, true);
    } else if (!was_ended && strcmp(rec->status, "running") == 0) {
        j->state = TL_SJOB_RUNNING;
    }
    bool now_ended = ended(j->state);
    pthread_mutex_unlock(&j->mu);
    return now_ended;
}

void tl_sjob_follow_abort(tl_sjob *j)
{
    pthread_mutex_lock(&j->mu);
    if (!ended(j->state))
        j->state = TL_SJOB_ABORTED;
    wake_all(j, true);
    pthread_mutex_unlock(&j->mu);
}

bool tl_sjob_unshared(tl_sjob *j)
{
    return atomic_load(&j->refs) == 1;
}
