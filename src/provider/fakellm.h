/* fake-llm: an OpenAI- and Anthropic-compatible HTTP server for tests and
 * benchmarks, on loopback (`tailor fake-llm`, or in-process).
 *
 * Endpoints:
 *   POST /v1/chat/completions (and /chat/completions)  OpenAI shape, plain
 *        or streaming (stream: true: SSE chunks, usage in the last chunk
 *        when stream_options.include_usage)
 *   POST /v1/messages        Anthropic shape, plain or streaming
 *   GET  /v1/models          one model, for clients that list them
 *   GET  /stats              {"calls","ok","errors","timeouts","rate_limited",
 *                             "malformed","hallucinated","rejected_format",
 *                             "tokens_in","tokens_out","in_flight"}
 *   POST /stats/reset        zeroes the counters
 *
 * The answer is a deterministic tailoring of the subsections found in the
 * prompt (the "### Subsections (JSON)" block of provider/prompt.h): the
 * same bullets, respelled by the prompt's term map and ordered by the
 * number of the job's keywords they mention (ties keep their order), in
 * the answer shape of prompt.h. A cover-letter prompt (its "### Letter
 * (JSON)" block, provider/letter.h) gets a letter body built from the
 * block's own role, company, candidate and achievements. A prompt without
 * either block gets a small JSON object. Usage counts 4 bytes a token.
 *
 * Faults, drawn per call from a seeded generator in this order: outage
 * window (503), rate limits (429 + Retry-After, x-ratelimit-* headers),
 * error (500 or 503; 529 on /v1/messages), timeout (never answers: the
 * connection is held until the client gives up, or until stop),
 * malformed (a 200 whose body is cut short), hallucination (a fake
 * employer or number added to the first bullet or the summary; a fake
 * employer added to a letter's achievements).
 *
 * Latency does not hold a thread: a request that must wait is suspended
 * (MHD suspend/resume) and one timer thread resumes it when due, so a few
 * MHD threads serve thousands of slow calls. A plain answer comes after
 * latency + ms_per_token x tokens; a streamed one (chunked SSE) starts
 * after the latency and then sends one event (about six tokens) every
 * 6 x ms_per_token, its content reader suspending the connection between
 * events.
 *
 * Threads: start/stop from one thread; stats from any. */
#ifndef TL_PROVIDER_FAKELLM_H
#define TL_PROVIDER_FAKELLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum tl_fakellm_dist { TL_FAKELLM_FIXED = 0, TL_FAKELLM_LOGNORMAL } tl_fakellm_dist;

#define TL_FAKELLM_MAX_OUTAGES 16

typedef struct tl_fakellm_opts {
    const char *bind;             /* default "127.0.0.1" */
    unsigned port;                /* 0 (default): a free port, see tl_fakellm_port */
    unsigned threads;             /* MHD worker threads; default 2 */
    double latency_ms;            /* median latency; default 0 */
    tl_fakellm_dist latency_dist; /* default FIXED */
    double latency_sigma;         /* lognormal sigma; default 0.5 */
    double ms_per_token;          /* added per answer token; default 0 */
    double error_rate;            /* 0..1, each default 0 */
    double timeout_rate;
    double malformed_rate;
    double hallucinate_rate;
    unsigned rpm, tpm; /* limits; 0 (default): none */
    struct {
        double start_s, end_s; /* seconds since start */
    } outages[TL_FAKELLM_MAX_OUTAGES];
    size_t n_outages;
    uint64_t seed;               /* default 0: fixed seed 42 */
    bool reject_response_format; /* answer 400 to response_format, as some servers do */
    int timeout_hold_ms;         /* how long a "timeout" call is held; default 600000 */
} tl_fakellm_opts;

void tl_fakellm_opts_default(tl_fakellm_opts *o);

typedef struct tl_fakellm tl_fakellm;

/* Starts the server (its threads run until stop). TL_EINVAL for a bad
 * option or bind address, TL_EIO when it cannot listen. On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_fakellm_start(const tl_fakellm_opts *opts, tl_fakellm **out);
/* Answers every held call (503), stops, frees. NULL does nothing. */
void tl_fakellm_stop(tl_fakellm *f);
/* The port it listens on. */
unsigned tl_fakellm_port(const tl_fakellm *f);

typedef struct tl_fakellm_stats {
    uint64_t calls, ok, errors, timeouts, rate_limited, malformed, hallucinated, rejected_format,
        tokens_in, tokens_out;
    uint64_t in_flight; /* calls received and not yet answered */
} tl_fakellm_stats;

void tl_fakellm_stats_get(tl_fakellm *f, tl_fakellm_stats *st);
void tl_fakellm_stats_reset(tl_fakellm *f);

/* Parses an --outage value "START:END" (seconds, fractions allowed) into
 * the next slot of o. TL_EINVAL when malformed or full. */
TL_MUST_CHECK tl_err tl_fakellm_add_outage(tl_fakellm_opts *o, const char *spec);

#endif
