/* Internals shared by the engine's processor sources (processor.c: the
 * loop, jobs, timers, local work, results; enhanced.c and original.c: the
 * two ways of running a job's tasks). Not a contract for anyone else.
 *
 * Threads. Everything below except `inbox` and the cumulative metrics is
 * owned by the loop: it is touched only by the loop thread, or by the
 * caller of tl_engine_poll when there is no loop thread (one caller at a
 * time: `loop_mu` serialises pollers). Other threads (provider I/O,
 * workers, submitters) talk to the loop only through the inbox: a list of
 * events under `inbox_mu`. Workers write a job's output resume under the
 * job's `out_mu`, which the loop also takes to apply answers.
 * Lock order: loop_mu -> out_mu -> inbox_mu -> stats_mu. */
#ifndef TL_ENGINE_INT_H
#define TL_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/batcher.h"
#include "engine/cache.h"
#include "engine/pool.h"
#include "engine/processor.h"
#include "engine/sched.h"

#define container_of_(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

#define LAT_SAMPLES 128

/* For calls whose failure changes nothing (undoing what may already be
 * undone): the result is looked at, and deliberately dropped. */
static inline void tl__ignore(tl_err e)
{
    (void)e;
}

typedef struct tl__timer tl__timer;
typedef void (*tl__timer_fn)(tl_engine *e, tl__timer *t);
struct tl__timer {
    uint64_t when;
    uint64_t seq;
    size_t idx; /* position in the heap + 1; 0: not armed */
    tl__timer_fn fn;
};

struct eng_call;

/* One model of a provider, as the engine uses it. */
typedef struct eng_model {
    const char *name;           /* "": the provider's own default */
    int tier;                   /* the tier it serves: 0 small, 1 large */
    double price_in, price_out; /* USD per million tokens */
    long context;               /* tokens; 0: unknown */
    tl_breaker *br;             /* its own breaker: a model can be down while
                                   another of the same provider answers */
} eng_model;

/* A provider as the engine knows it. */
typedef struct eng_prov {
    tl_provider *p;
    tl_provider_conf conf;
    tl_ratelimit *rl;
    eng_model *models; /* n_models >= 1 */
    size_t n_models;
    tl_router *router; /* the models' telemetry and choice (model i is router entry i) */
    tl_retry *retry;
    uint64_t lat[LAT_SAMPLES]; /* ring of recent successful latencies */
    size_t n_lat, lat_pos;
    uint64_t lat_seen; /* samples ever taken: p95 is recomputed every 16 */
    uint64_t p95_ns;   /* recomputed every 16 samples */
    /* Calls waiting for a concurrency slot, ranked like the engine's
     * scheduler (base priority, aging, the job's deadline): under load the
     * most urgent waiting call goes first, and none starves. */
    tl_sched *parked;
    struct eng_call *front; /* a woken call that must wait again: first in line */
    size_t n_parked;        /* in parked, plus front */
    bool park_front;        /* set while a woken call is being tried */
    tl_engine *e;
} eng_prov;

typedef enum tstate {
    T_NEW,
    T_QUEUED,     /* in the scheduler */
    T_WAIT_CACHE, /* waiting on another task's flight */
    T_BATCHING,   /* in the batcher */
    T_CALL,       /* in a call (being sent, parked or in flight) */
    T_TIMER,      /* waiting for its retry */
    T_LOCAL,      /* on the embedded engine */
    T_DONE
} tstate;

struct eng_job;

typedef struct eng_task {
    tl_sched_node node;
    tl_batch_item bitem;
    tl__timer tm;
    tl_task t; /* the plan's task */
    struct eng_job *job;
    tstate state;
    unsigned link;          /* chain index; job->n_chain is the embedded engine */
    unsigned link_attempts; /* attempts on this link */
    bool solo;              /* retries and leftovers of a batch go alone */
    bool leader;            /* owns key's cache flight */
    bool cache_off;         /* a cached value was unusable: compute it */
    bool key_valid;
    unsigned key_link;
    tl_cache_key key;
    uint64_t tag;
    eng_model *model;       /* the model chosen on its link (NULL: none yet) */
    struct eng_call *call;  /* primary call, while state is T_CALL */
    struct eng_call *hedge; /* hedge call in flight, if any */
    bool primary_failed;    /* the primary call failed while a hedge flies */
    bool hedge_local;       /* the hedge runs on the embedded engine */
    tl_changes *changes;
    const char *producer;
    bool fell_back, cached;
    unsigned calls;
    uint64_t pushed_ns, wait_ns;
    tl_work work; /* embedded engine on a worker */
} eng_task;

typedef struct eng_job {
    tl_engine *e;
    uint64_t id;
    struct eng_job *next, *prev; /* the engine's live jobs */
    const tl_resume *r;
    const tl_job *j;
    const tl_terms *terms;
    tl_job_opts o;
    eng_prov *chain[TL_ENGINE_MAX_CHAIN];
    unsigned n_chain;
    tl_plan *plan;
    eng_task *tasks;
    size_t n_tasks, n_done;
    size_t queued; /* tasks in the scheduler: at 0 no batch companion can come */
    tl_local_ctx *lctx;
    void *cctx; /* codec context; NULL: no codec (embedded engine only) */
    pthread_mutex_t out_mu;
    tl_result *res;
    tl_err status;
    tl_job_metrics m;
    uint64_t t0;
    uint64_t breaker_events0;
    tl__timer deadline_tm;
    unsigned refs;      /* calls that still point at this job */
    size_t timer_slots; /* heap slots reserved for its timers */
    bool finishing;     /* consistency pass queued or running */
    bool finished;      /* done callback queued */
    tl_work work;       /* the consistency pass on a worker */
    /* original processor: the section being worked on */
    size_t orig_next; /* next task index to start a section from */
    size_t orig_open; /* tasks of the current section not done */
} eng_job;

typedef struct eng_call {
    tl_engine *e;
    eng_prov *prov;
    eng_job *job;
    tl_sched_node pnode; /* in its provider's parked calls */
    tl__timer tm;        /* rate-limit wait, or the hedge */
    unsigned link;
    bool hedge; /* a hedge for tasks[0] */
    bool sent;
    bool original;    /* the original processor's call (no limiter, no breaker) */
    unsigned attempt; /* original: 1 or 2 */
    tl_rl_ticket ticket;
    tl_breaker_permit permit;
    eng_model *model; /* the call's model (its breaker, name and prices) */
    tl_breaker *br;   /* the breaker of the call's model */
    bool permitted;
    bool rl_waited; /* counted in ratelimit_waits (once per call) */
    uint64_t call_id;
    uint64_t sent_ns;
    /* Streaming progress: the provider's thread throttles its reports by
     * the engine time of the last one posted (+1: 0 means none yet). */
    _Atomic uint64_t progress_ns;
    uint32_t est_tokens;
    size_t n;
    eng_task *tasks[]; /* n */
} eng_call;

typedef enum ev_kind { EV_JOB, EV_RESPONSE, EV_PROGRESS, EV_LOCAL_DONE, EV_JOB_DONE } ev_kind;

typedef struct eng_event {
    struct eng_event *next;
    ev_kind kind;
    void *ptr; /* job, call or task */
    tl_chat_response resp;
    char *text; /* copy of resp.text */
    int tokens; /* EV_PROGRESS: the call's answer tokens so far */
} eng_event;

typedef enum out_kind { OUT_TASK, OUT_PROGRESS, OUT_DONE } out_kind;

typedef struct eng_out {
    struct eng_out *next;
    out_kind kind;
    tl_task_cb task_cb;
    tl_task_progress_cb progress_cb;
    tl_job_done_cb done_cb;
    void *ud;
    tl_task_result tr;
    tl_task_progress tp;
    char section_id[TL_TASK_ID_CAP];
    void *texts; /* one block: the bullets' pointers, then the strings */
    uint64_t job_id;
    tl_err status;
    tl_result *res;
    tl_job_metrics m;
} eng_out;

struct tl_engine {
    tl_engine_opts o;
    const tl_clock *clock;
    const tl_codec *codec;
    tl_sched *sched;
    tl_cache *cache;
    tl_batcher *batcher;
    tl_pool *pool;
    tl_xoshiro rng;
    /* loop-owned */
    eng_prov **provs;
    size_t n_provs, cap_provs;
    tl__timer **heap;
    size_t n_heap, cap_heap;
    size_t timer_slots; /* reserved by the timers' owners (<= cap_heap) */
    uint64_t timer_seq;
    tl__timer batch_tm;
    eng_job *jobs;
    eng_out *out_head, *out_tail;
    unsigned in_flight; /* calls sent or parked */
    /* shared */
    pthread_mutex_t loop_mu;
    pthread_mutex_t inbox_mu;
    pthread_cond_t inbox_cv;
    eng_event *in_head, *in_tail;
    pthread_t loop;
    bool have_loop, stop;
    pthread_mutex_t stats_mu;
    tl_job_metrics total;
    uint64_t qwait_hist[64]; /* log2 buckets of microseconds */
    atomic_uint_fast64_t next_job_id;
    atomic_uint_fast64_t breaker_events;
    atomic_size_t pending;
};

/* processor.c */
/* A reference that keeps a job's memory (not its inputs) alive across a
 * loop that may finish it. */
void tl__job_hold(eng_job *j);
void tl__job_release(tl_engine *e, eng_job *j);
bool tl__timer_reserve(tl_engine *e, size_t n);
void tl__timer_release(tl_engine *e, size_t n);
void tl__timer_arm(tl_engine *e, tl__timer *t, uint64_t when, tl__timer_fn fn);
void tl__timer_disarm(tl_engine *e, tl__timer *t);
uint64_t tl__now(tl_engine *e);
void tl__run_local(tl_engine *e, eng_task *t);
void tl__task_complete(tl_engine *e, eng_task *t, const char *producer);
void tl__apply_answer(tl_engine *e, eng_call *c, const char *text, size_t len,
                      tl_prompt_outcome *outcomes);
tl_err tl__render(tl_engine *e, eng_call *c, char **sys, char **user);
eng_call *tl__call_new(tl_engine *e, eng_job *j, eng_prov *p, unsigned link, size_t n);
void tl__call_free(tl_engine *e, eng_call *c);
/* The first model of p serving tier (the tier's default), else p's first. */
eng_model *tl__tier_model(const eng_prov *p, tl_model_tier tier);
/* The router's model of p for a task of tier needing tokens: among the
 * models of that tier (any, when p has none of it) whose breaker is not
 * refusing calls (when `breakers`), the cheapest, then the best expected
 * latency x success. None usable: the tier's default, whose breaker then
 * refuses the call as it always did. */
eng_model *tl__pick_model(tl_engine *e, eng_prov *p, tl_model_tier tier, long tokens,
                          bool breakers);
/* Records call c's outcome in its provider's router (telemetry). */
void tl__model_record(tl_engine *e, eng_call *c, const tl_chat_response *r,
                      const tl_prompt_outcome *outcomes, size_t n);
/* Submits c's request to its provider; the answer comes back as an event. */
tl_err tl__call_submit(eng_call *c, const tl_chat_request *req);
/* Adds r's tokens to j, and their cost at model m's prices. */
void tl__account_response(eng_job *j, const tl_chat_response *r, const eng_model *m);

/* enhanced.c */
void tl__enh_start(tl_engine *e, eng_job *j);
void tl__enh_dispatch(tl_engine *e);
void tl__enh_response(tl_engine *e, eng_call *c, const tl_chat_response *r);
void tl__enh_expire(tl_engine *e, eng_job *j);
/* Takes the next parked call of p off its waiting list (NULL: none). */
eng_call *tl__unpark(eng_prov *p);
void tl__enh_batch_timer(tl_engine *e, tl__timer *t);
void tl__enh_local_done(tl_engine *e, eng_task *t);

/* original.c */
void tl__orig_start(tl_engine *e, eng_job *j);
void tl__orig_response(tl_engine *e, eng_call *c, const tl_chat_response *r);
void tl__orig_local_done(tl_engine *e, eng_task *t);

#endif
