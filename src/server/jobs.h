/* The server's customization jobs: a small worker pool that runs
 * tl_customize, and the in-memory record of each job (state, events,
 * result) that requests wait on and Server-Sent Events streams read.
 *
 * This module knows nothing of HTTP. A request that must wait for a job
 * registers a tl_watch with a wake callback; whoever waits is "parked" by
 * a callback run under the job's lock (the server suspends its connection
 * there) and woken, also under the job's lock, when the job moves on (the
 * server resumes the connection). Parking and waking under the same lock
 * is what makes a wake-up impossible to miss.
 *
 * Locks: the queue's mutex, then a job's mutex; never the other order. A
 * park or wake callback must not call back into this module.
 *
 * Every job is in the store before it is submitted (status "queued"); the
 * workers record "running", then the end ("done" with the result, a new
 * resume version when the resume is stored, or "failed"). Jobs still queued
 * when the queue stops stay "queued" in the store, for the next start. */
#ifndef TL_JOBS_H
#define TL_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/processor.h"
#include "store/store.h"
#include "tailor/change.h"
#include "util/err.h"

typedef struct tl_jobq tl_jobq;
typedef struct tl_sjob tl_sjob;

typedef struct tl_jobq_opts {
    tl_store *store;       /* required; borrowed */
    const tl_terms *terms; /* required; borrowed */
    int workers;           /* 0 means 2 */
    size_t keep_finished;  /* finished jobs kept in memory; 0 means 256 */
    /* Called from a worker after each job ends ("done", "failed",
     * "cancelled") with its run time; optional. */
    void (*on_end)(void *ud, const char *status, double seconds);
    void *on_end_ud;
    /* The server's engine (borrowed; optional): jobs whose chain names a
     * provider run on it; the others on tl_customize. */
    tl_engine *engine;
    /* The providers and their settings (borrowed), registered with the
     * fresh engines of a performance comparison. */
    tl_provider *const *providers;
    const tl_provider_conf *provider_confs; /* NULL: the defaults */
    size_t n_providers;
} tl_jobq_opts;

/* What a job runs on. */
typedef struct tl_job_input {
    int64_t id;        /* the job's id in the store */
    tl_resume *resume; /* taken by tl_jobq_submit on success */
    tl_job *jd;        /* taken by tl_jobq_submit on success */
    tl_strength strength;
    tl_format out_format; /* AUTO: the resume's own */
    int64_t resume_id;    /* when > 0 the result becomes its next version */
    int resume_version;
    int64_t jd_id;
    bool plan; /* a plan: the result says what would change; no version is stored */
    /* Run again after a restart or a takeover: it may have stored its
     * version before its server stopped. */
    bool recovered;
    /* The fallback chain before the embedded engine (n_chain 0: the
     * embedded engine alone, through tl_customize). */
    tl_provider *chain[TL_ENGINE_MAX_CHAIN];
    size_t n_chain;
    int32_t priority;     /* added to the engine's task priorities */
    uint64_t deadline_ns; /* absolute, on tl_clock_real(); 0: none */
    /* A performance comparison: the original and the enhanced processor on
     * the same input and chain, each on a fresh engine (cold cache); the
     * result is {"original": M, "enhanced": M, "improvement": {...}}. */
    bool compare;
    /* Keep the tailoring of these sections only (server/sections.h),
     * comma-separated; NULL or "": all. Copied by tl_jobq_submit. */
    const char *sections;
} tl_job_input;

typedef enum tl_sjob_state {
    TL_SJOB_QUEUED,
    TL_SJOB_RUNNING,
    TL_SJOB_DONE,
    TL_SJOB_FAILED,
    TL_SJOB_CANCELLED,
    TL_SJOB_ABORTED /* the server stopped before it ran; still queued in the store */
} tl_sjob_state;

/* "queued", "running", "done", "failed", "cancelled", "queued" (aborted). */
const char *tl_sjob_state_name(tl_sjob_state s);

TL_MUST_CHECK tl_err tl_jobq_create(tl_jobq **out, const tl_jobq_opts *opts);
/* Stops the workers after the jobs they are running, marks jobs still
 * queued ABORTED and wakes every watcher. A job waiting on an engine is
 * not waited for (a hung provider can take minutes): it is marked ABORTED
 * too and stays unfinished in the store, to run at the next start.
 * Idempotent. */
void tl_jobq_stop(tl_jobq *q);
/* Stops (if needed) and frees the queue. Jobs still referenced elsewhere
 * live on until their last reference goes. With engines: close the
 * providers (no callback may reach an engine any more) and destroy the
 * server's engine before this; the comparisons' engines given up at stop
 * are destroyed here. NULL does nothing. */
void tl_jobq_destroy(tl_jobq *q);

/* Queues a job and emits its "accepted" event. On success the queue owns
 * in->resume and in->jd, and *out is a reference for the caller (out may be
 * NULL). On failure (TL_ENOMEM, TL_EINVAL once stopped) nothing is taken. */
TL_MUST_CHECK tl_err tl_jobq_submit(tl_jobq *q, tl_job_input *in, tl_sjob **out);
/* A new reference to job id, or NULL when it is not in memory. */
tl_sjob *tl_jobq_find(tl_jobq *q, int64_t id);
/* Cancels a queued job: TL_OK; TL_EINVAL when it already runs or ended;
 * TL_ENOTFOUND when it is not in memory. */
TL_MUST_CHECK tl_err tl_jobq_cancel(tl_jobq *q, int64_t id);
/* Waits until no job is queued or running, for at most timeout_ms. True
 * when idle. */
bool tl_jobq_wait_idle(tl_jobq *q, int timeout_ms);
void tl_jobq_counts(tl_jobq *q, long *queued, long *running);

/* A finished job rebuilt from its store record, outside any queue (for a
 * job no longer in memory): its events are "accepted" then "done" or
 * "error". TL_EINVAL when the record is not finished. */
TL_MUST_CHECK tl_err tl_sjob_from_record(const tl_store_job *rec, tl_sjob **out);

/* A job another server runs, followed through the store (an unfinished
 * record, outside any queue): its events are "accepted", then the end
 * ("done" or "error") once tl_sjob_follow_update sees the record ended.
 * Progress events stay with the server that runs the job. TL_EINVAL when
 * the record has ended (tl_sjob_from_record then). */
TL_MUST_CHECK tl_err tl_sjob_follower(const tl_store_job *rec, tl_sjob **out);
/* Brings follower j up to date with its record rec: once rec has ended,
 * the end event, the state, and every watcher woken. True when j has
 * ended. */
bool tl_sjob_follow_update(tl_sjob *j, const tl_store_job *rec);
/* Ends follower j without an end event (the server stops following):
 * its readers see the stream end. */
void tl_sjob_follow_abort(tl_sjob *j);
/* True when the caller holds the only reference to j. */
bool tl_sjob_unshared(tl_sjob *j);

void tl_sjob_ref(tl_sjob *j);
/* Drops a reference; the last one frees the job. NULL does nothing. */
void tl_sjob_unref(tl_sjob *j);
int64_t tl_sjob_id(const tl_sjob *j);
tl_sjob_state tl_sjob_state_of(tl_sjob *j);

/* Once the job is DONE: its result document (JSON), else NULL. Once FAILED
 * or CANCELLED: the error code and message, else NULL. The strings live as
 * long as the job and never change once set. */
const char *tl_sjob_result(tl_sjob *j);
const char *tl_sjob_error_code(tl_sjob *j);
const char *tl_sjob_error_message(tl_sjob *j);

/* One waiter on a job. Zero it, set wake/ud (and final_only to be woken
 * only when the job ends), and unwatch before freeing it. */
typedef struct tl_watch {
    struct tl_watch *next, *prev;
    void (*wake)(void *ud);
    void *ud;
    bool final_only;
    bool parked;
    bool linked;
} tl_watch;

/* Park callback: runs under the job's lock when there is nothing to hand
 * out yet; the caller's wait begins there (the server suspends). */
typedef void (*tl_park_fn)(void *ud);

/* True when the job has ended (any state but QUEUED/RUNNING). Otherwise
 * parks w (calls park(ud) under the lock) and returns false. */
bool tl_sjob_wait(tl_sjob *j, tl_watch *w, tl_park_fn park, void *ud);
/* Removes w from the job (a no-op when it is not there). */
void tl_sjob_unwatch(tl_sjob *j, tl_watch *w);

/* Where a stream reader is: the next event and the bytes of it already
 * copied. Start at {last_event_id, 0} to resume after that event. */
typedef struct tl_sse_cursor {
    size_t event;
    size_t offset;
    uint64_t progress_seen; /* the last progress update handed out (0: none) */
} tl_sse_cursor;

typedef enum { TL_READ_DATA, TL_READ_PARKED, TL_READ_END } tl_read_status;

/* Copies up to max bytes of the job's event stream from c into buf (*n
 * bytes, advancing c): TL_READ_DATA. With nothing to copy: TL_READ_END
 * when the job has ended, else parks w (as tl_sjob_wait) and returns
 * TL_READ_PARKED. Each event is "id: N\nevent: NAME\ndata: JSON\n\n".
 *
 * "progress" events ({job_id, section, tokens}: a section's answer so far,
 * from a provider that streams) are not part of that history: a reader
 * that has every stored event gets, once, the latest progress of each
 * section still being generated that changed since it last looked, as an
 * event without an id (so a reconnect resumes after the last stored
 * event, and a replay holds no stale progress). */
tl_read_status tl_sjob_read(tl_sjob *j, tl_sse_cursor *c, char *buf, size_t max, size_t *n,
                            tl_watch *w, tl_park_fn park, void *ud);

#endif
