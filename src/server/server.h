/* The HTTP API and the web page (DESIGN.md section 5), on libmicrohttpd.
 *
 * Threading: libmicrohttpd's internal epoll loop on a pool of `threads`
 * threads (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL with
 * MHD_OPTION_THREAD_POOL_SIZE). No request holds one of those threads
 * while a customization runs: customizations run on the server's own pool
 * of `workers` threads (server/jobs.h) and the waiting connection is
 * suspended (MHD_suspend_connection) until its job ends; a Server-Sent
 * Events stream is suspended the same way between events. Thread-per-
 * connection would be simpler for SSE but would cost a thread per open
 * stream; suspend/resume keeps the thread count fixed.
 *
 * Every answer is JSON (errors {"error":{"code","message"}}) except
 * /metrics (Prometheus text), the event streams and the page. */
#ifndef TL_SERVER_H
#define TL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/terms.h"
#include "engine/processor.h"
#include "store/store.h"
#include "util/err.h"

typedef struct tl_server tl_server;

typedef struct tl_server_opts {
    const char *bind;      /* address to listen on; NULL means "127.0.0.1" */
    uint16_t port;         /* 0 picks a free port (see tl_server_port) */
    tl_store *store;       /* required; borrowed, must outlive the server */
    const tl_terms *terms; /* NULL loads the shipped dictionary; borrowed */
    int threads;           /* HTTP threads; 0 means 2 */
    int workers;           /* customization workers; 0 means 2, or 8 with providers (a
                              worker waits while the engine's providers answer) */
    size_t max_body;       /* request body cap in bytes; 0 means 2 MiB */
    /* API keys (copied). When n_api_keys > 0 every /api/ route needs
     * "Authorization: Bearer KEY"; /, /health, /metrics, /openapi.json stay
     * open unless protect_metrics is set (then /metrics needs a key too). */
    const char *const *api_keys;
    size_t n_api_keys;
    bool protect_metrics;
    /* Requests per second allowed per client (its API key, or its address
     * without keys) on /api/ routes, with bursts of rate_burst; 0 is no
     * limit. Over it: 429 with Retry-After. */
    double rate_limit;
    int rate_burst;      /* 0 means max(1, 2 * rate_limit) */
    const char *web_dir; /* serve the page from here instead of the built-in one */
    bool access_log;     /* one log line per request */
    bool no_recover;     /* do not re-run jobs left unfinished by an earlier run */
    /* The lease of a job this server runs: renewed every third of it; a
     * job whose server died runs elsewhere once it has run out (several
     * servers on one database). 0 means 30000. */
    int64_t job_lease_ms;
    /* AI providers (borrowed; must outlive the server), in the order of the
     * default fallback chain; the embedded engine always ends it. The
     * server owns one enhanced engine for the process (cache, breakers and
     * limiters shared by every request); a job whose chain names a
     * provider runs on it, a job on the embedded engine alone runs on
     * tl_customize. A request's `provider` may name any subset of these. */
    tl_provider *const *providers;
    const tl_provider_conf *provider_confs; /* NULL: the defaults; else n_providers */
    size_t n_providers;
    /* Options of the server's engine (NULL: the defaults, on its own loop
     * thread with one CPU worker). */
    const tl_engine_opts *engine_opts;
} tl_server_opts;

/* Starts listening and serving. TL_EINVAL for a bad option (bind address),
 * TL_EIO when the port cannot be bound. */
TL_MUST_CHECK tl_err tl_server_create(tl_server **out, const tl_server_opts *opts);
/* The port actually listened on. */
uint16_t tl_server_port(const tl_server *s);

/* From now on /api/ requests are answered 503 "draining". */
void tl_server_set_draining(tl_server *s, bool on);
/* Graceful shutdown, first half: 503 for new API requests, stop accepting
 * connections, and wait up to timeout_ms for queued and running jobs.
 * TL_OK when they all ended, TL_ETIMEDOUT otherwise. Call from one thread
 * (a signal-waiting main thread), then tl_server_destroy. */
TL_MUST_CHECK tl_err tl_server_drain(tl_server *s, int timeout_ms);
/* Stops everything and frees the server. NULL does nothing. */
void tl_server_destroy(tl_server *s);

#endif
