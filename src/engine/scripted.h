/* A scripted in-process provider, and the codec that goes with it: the
 * engine's tests and benchmarks run against these, with no network and no
 * sleeping.
 *
 * The provider implements provider/provider.h. Each call gets a reply
 * decided at submit time, by a script function when one is given, else by
 * the options' random model (seeded: the same seed, the same replies):
 * latency (base + uniform jitter, or a long tail with p_slow), and errors
 * (server error, timeout, 429 with Retry-After, malformed answer, an
 * outage window during which every call fails). A call completes when
 * tl_scripted_fire() runs at or after its completion time on the clock
 * (the engine's tl_test_clock), on the thread that calls fire; with
 * `inline_completion` it completes inside submit, at zero latency (for
 * the engine-overhead benchmark). Cancelling a pending call completes it
 * at once with TL_CALL_CANCELLED; cancelled calls are not billed.
 *
 * The codec (tl_scripted_codec) renders a request as "TASKS\n" and one
 * task id per line. The provider's normal answer echoes it as "ANSWER\n"
 * with the same ids; the codec applies an answered id by running the
 * embedded engine on its target (so a provider's result equals the
 * embedded engine's, and tests can compare runs), a "REJECT <id>" line as
 * a guard rejection, and anything not starting with ANSWER as malformed.
 * A reply with `drop` > 0 leaves the last `drop` ids out (a partial
 * answer).
 *
 * Threads: submit, cancel and fire may be called from any thread (one
 * mutex); callbacks run without it held. */
#ifndef TL_ENGINE_SCRIPTED_H
#define TL_ENGINE_SCRIPTED_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/clock.h"
#include "engine/processor.h"
#include "provider/provider.h"
#include "util/err.h"

typedef struct tl_scripted tl_scripted;

/* What one call will do. */
typedef struct tl_scripted_reply {
    uint64_t latency_ns;
    tl_call_error error;    /* TL_CALL_OK for an answer */
    int64_t retry_after_ms; /* with RATE_LIMITED; -1: none */
    unsigned drop;          /* answer: leave out the last `drop` task ids */
    bool reject_first;      /* answer: the first task is rejected by the guard */
    bool dead_letter;       /* a queue's dead-letter answer (error SERVER, not billed) */
} tl_scripted_reply;

/* call_no counts this provider's calls from 0; now_ns is the submit time.
 * *out comes filled from the random model: change what you script. */
typedef void (*tl_scripted_fn)(void *ud, uint64_t call_no, uint64_t now_ns,
                               const tl_chat_request *req, tl_scripted_reply *out);

typedef struct tl_scripted_opts {
    const char *name;       /* default "scripted" (not copied: a literal) */
    const char *model;      /* default "script-1" */
    const tl_clock *clock;  /* required (a tl_test_clock's base) */
    bool inline_completion; /* complete inside submit (zero latency) */
    uint64_t latency_ns;    /* default 100 ms */
    uint64_t jitter_ns;     /* uniform [0, jitter) added; default 0 */
    double p_slow;          /* a call takes slow_ns instead; default 0 */
    uint64_t slow_ns;
    double p_server, p_timeout, p_429, p_malformed, p_partial; /* default 0 */
    int64_t retry_after_ms;                                    /* for 429s; default 1000 */
    uint64_t outage_from_ns, outage_to_ns;                     /* SERVER errors in [from, to) */
    uint64_t quantum_ns;   /* latencies rounded up to a multiple (events that coincide,
                              as on a coarse clock); default 0: none */
    uint64_t seed;         /* default 1 */
    tl_scripted_fn script; /* optional: decides every reply */
    void *script_ud;
} tl_scripted_opts;

void tl_scripted_opts_default(tl_scripted_opts *o);

/* TL_EINVAL (no clock), TL_ENOMEM. *out is a tl_provider: destroy it with
 * tl_provider_destroy (pending calls are dropped without callbacks). */
TL_MUST_CHECK tl_err tl_scripted_create(tl_provider **out, const tl_scripted_opts *opts);

/* Completes every pending call due by the clock's now, earliest first.
 * Returns how many completed. */
size_t tl_scripted_fire(tl_provider *p);
/* Completion time of the earliest pending call, UINT64_MAX when none. */
uint64_t tl_scripted_next_due(tl_provider *p);

typedef struct tl_scripted_stats {
    uint64_t calls;     /* submitted */
    uint64_t completed; /* answered or failed (not cancelled) */
    uint64_t cancelled;
    uint64_t failed;                /* completed with an error */
    uint64_t billed_in, billed_out; /* tokens of completed calls only */
    uint64_t tasks;                 /* task ids seen in requests */
    size_t pending, max_pending;
} tl_scripted_stats;

void tl_scripted_stats_get(tl_provider *p, tl_scripted_stats *st);

/* The codec described above. */
const tl_codec *tl_scripted_codec(void);

#endif
