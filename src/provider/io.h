/* The providers' I/O loop: one thread driving one libcurl multi handle that
 * carries every HTTP call of the providers that share it.
 *
 * Connections are kept alive and reused between calls (the multi handle's
 * connection cache), HTTP/2 is used where a TLS server offers it and calls
 * to one host are multiplexed over it, and each call has its own timeouts:
 * connect, first byte (libcurl's low-speed limit: no byte for that long),
 * and total. A call in flight costs its easy handle and its buffers, never
 * a thread: 1,000 calls in flight are one thread and a few MB.
 *
 * Each finished call is reported once to its done callback, on the I/O
 * thread, with the HTTP status, the body, the latency, the rate-limit
 * headers (Retry-After as seconds or an HTTP-date, retry-after-ms,
 * x-ratelimit-remaining-* / x-ratelimit-reset-*, anthropic-ratelimit-*),
 * and a tl_call_error class: transport timeouts and 408 -> TIMEOUT,
 * 429 -> RATE_LIMITED, 5xx (529 included) and network errors -> SERVER,
 * other 4xx -> CLIENT, a body past max_response_bytes -> MALFORMED,
 * cancel -> CANCELLED. 2xx is TL_CALL_OK: whether the body is usable is
 * the provider's business.
 *
 * Threads: tl_io_submit and tl_io_cancel may be called from any thread,
 * the I/O thread included (a callback may submit a retry). Callbacks must
 * not block: the whole loop waits for them. tl_io_destroy must not be
 * called from the I/O thread. */
#ifndef TL_PROVIDER_IO_H
#define TL_PROVIDER_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provider/provider.h"
#include "util/err.h"

typedef struct tl_io tl_io;

typedef struct tl_io_opts {
    int connect_timeout_ms;        /* default 10000 */
    int first_byte_timeout_ms;     /* no byte of the body this long after submit: timeout;
                                      afterwards also a stall limit (libcurl's low-speed
                                      limit, whole seconds); default 60000; 0 keeps the
                                      default, negative disables */
    int total_timeout_ms;          /* default 120000; a request may ask for its own */
    unsigned max_host_connections; /* per host; calls past it wait in libcurl; default 256 */
    unsigned max_connections;      /* connection cache size; default 256 */
    size_t max_response_bytes;     /* default 8 MiB */
} tl_io_opts;

void tl_io_opts_default(tl_io_opts *o);

/* Starts the I/O thread. opts NULL means the defaults. On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_io_create(tl_io **out, const tl_io_opts *opts);
/* Cancels every call (their callbacks run with TL_CALL_CANCELLED), stops
 * and joins the thread, frees everything. NULL does nothing. */
void tl_io_destroy(tl_io *io);

/* The process's shared loop, created on first acquire with the default
 * options and destroyed on the last release. Every provider created
 * without an explicit tl_io uses it, so that the whole process has one
 * I/O thread. */
TL_MUST_CHECK tl_err tl_io_shared_acquire(tl_io **out);
void tl_io_shared_release(tl_io *io);

typedef struct tl_io_request {
    const char *method; /* "POST" (default when body is set) or "GET" */
    const char *url;
    const char *const *headers; /* "Name: value" strings; NULL-terminated array, or NULL */
    const char *body;           /* copied at submit */
    size_t body_len;
    int timeout_ms;            /* total; 0 = the loop's default */
    int connect_timeout_ms;    /* 0 = the loop's default */
    int first_byte_timeout_ms; /* 0 = the loop's default; negative: none */
    /* Optional: called on the I/O thread for every chunk of the body as it
     * arrives (streaming progress). The body is still delivered whole. */
    void (*on_data)(void *ud, const char *p, size_t n);
} tl_io_request;

typedef struct tl_io_result {
    tl_call_error error;
    int http_status;  /* 0 when no HTTP answer */
    const char *body; /* NUL-terminated; valid during the callback only */
    size_t body_len;
    int64_t latency_ns;                                     /* submit to completion */
    int64_t retry_after_ms;                                 /* -1 when absent */
    int64_t remaining_requests, remaining_tokens, reset_ms; /* -1 when absent */
    const char *message; /* a short description of the failure, "" when none */
} tl_io_result;

typedef void (*tl_io_done_cb)(void *ud, const tl_io_result *res);

/* Queues a call; *id (may be NULL) names it for tl_io_cancel. If submit
 * fails the callback never runs. */
TL_MUST_CHECK tl_err tl_io_submit(tl_io *io, const tl_io_request *req, tl_io_done_cb cb, void *ud,
                                  uint64_t *id);
/* Cancels a call: its callback runs with TL_CALL_CANCELLED on the I/O
 * thread, or not at all if it already ran. Unknown ids are ignored. */
void tl_io_cancel(tl_io *io, uint64_t id);

typedef struct tl_io_stats {
    uint64_t submitted, completed, cancelled;
    unsigned in_flight; /* submitted and not yet reported */
    uint64_t connects;  /* new connections opened (the rest reused one) */
} tl_io_stats;

void tl_io_stats_get(tl_io *io, tl_io_stats *st);

/* ---- helpers, exposed for the providers and tests ---- */

/* Parses a Retry-After value: delta-seconds (fractions allowed) or an
 * HTTP-date (relative to now_s, the current Unix time). -1 when unusable;
 * a date in the past gives 0. */
int64_t tl_io_parse_retry_after(const char *v, int64_t now_s);
/* Parses a duration like "1s", "6m0s", "20ms", "1h2m3.5s" or a bare number
 * of seconds, into milliseconds; -1 when unusable. */
int64_t tl_io_parse_duration_ms(const char *v);

#endif
