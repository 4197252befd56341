/* The daemon: starting and stopping libmicrohttpd, the route table, and
 * the path every request takes before its handler:
 *
 *   body gathered (capped) -> route (404/405) -> draining (503) ->
 *   API key (401) -> rate limit (429) -> handler
 *
 * and, when it ends, one access log line and the metrics. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/provstats.h"
#include "server/server_int.h"
#include "util/hash.h"
#include "util/log.h"

static const tl_route routes[] = {
    {"GET", "/", tl__h_web, false},
    {"GET", "/app.js", tl__h_web, false},
    {"GET", "/app.css", tl__h_web, false},
    {"GET", "/diff.js", tl__h_web, false},
    {"GET", "/resume.js", tl__h_web, false},
    {"GET", "/health", tl__h_health, false},
    {"GET", "/metrics", tl__h_metrics, false},
    {"GET", "/openapi.json", tl__h_openapi, false},
    {"POST", "/api/v1/resumes", tl__h_resume_create, true},
    {"GET", "/api/v1/resumes/{id}", tl__h_resume_get, true},
    {"DELETE", "/api/v1/resumes/{id}", tl__h_resume_delete, true},
    {"GET", "/api/v1/resumes/{id}/versions", tl__h_resume_versions, true},
    {"GET", "/api/v1/resumes/{id}/versions/{v}", tl__h_resume_version, true},
    {"GET", "/api/v1/resumes/{id}/versions/{v}/diff", tl__h_resume_diff, true},
    {"GET", "/api/v1/resumes/{id}/versions/{v}/export", tl__h_resume_export, true},
    {"POST", "/api/v1/job-descriptions", tl__h_jd_create, true},
    {"GET", "/api/v1/job-descriptions/{id}", tl__h_jd_get, true},
    {"DELETE", "/api/v1/job-descriptions/{id}", tl__h_jd_delete, true},
    {"POST", "/api/v1/ats/analyze", tl__h_ats_analyze, true},
    {"POST", "/api/v1/cover-letter", tl__h_cover_letter, true},
    {"POST", "/api/v1/enhance-customize", tl__h_customize, true},
    {"POST", "/api/v1/enhance-customize/plan", tl__h_plan, true},
    {"POST", "/api/v1/enhance-customize/batch", tl__h_batch, true},
    {"POST", "/api/v1/enhance-customize/performance-comparison", tl__h_compare, true},
    {"POST", "/api/v1/enhance-customize/{job_id}/sections/{section_id}/revert", tl__h_revert, true},
    {"GET", "/api/v1/enhance-customize/{job_id}", tl__h_job_get, true},
    {"DELETE", "/api/v1/enhance-customize/{job_id}", tl__h_job_cancel, true},
    {"GET", "/api/v1/enhance-customize/{job_id}/events", tl__h_job_events, true},
};
enum { N_ROUTES = sizeof routes / sizeof routes[0] };
static const char *route_names[N_ROUTES];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- routing ---- */

static bool method_is(const char *method, const char *want)
{
    /* HEAD is GET without the body, which libmicrohttpd takes care of. */
    if (strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0)
        return true;
    return strcmp(method, want) == 0;
}

/* Finds the route of method + path. When the path exists under other
 * methods only, returns -1 with allow listing them ("GET, DELETE"). */
static int find_route(const char *method, const char *path, tl_route_params *p, char *allow,
                      size_t cap, bool *path_known)
{
    allow[0] = '\0';
    *path_known = false;
    for (int i = 0; i < N_ROUTES; i++) {
        if (!tl_route_match(routes[i].pattern, path, p))
            continue;
        if (method_is(method, routes[i].method))
            return i;
        *path_known = true;
        size_t used = strlen(allow);
        snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", routes[i].method);
    }
    return -1;
}

/* ---- access checks ---- */

static bool key_ok(tl_server *s, const char *key, size_t n)
{
    bool ok = false;
    /* Every key is compared, whichever matches, so the time taken does not
     * say which one did. */
    for (size_t i = 0; i < s->n_keys; i++)
        ok |= tl_key_equal(key, n, s->keys[i], s->key_lens[i]);
    return ok;
}

static void client_address(tl_req *r, char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* The API key (401) and the rate limit (429): false when the request may
 * not go on, with the answer queued and MHD's verdict in *rc. */
static bool admit(tl_req *r, enum MHD_Result *rc)
{
    tl_server *s = r->srv;
    const char *auth =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    size_t klen = 0;
    const char *key = tl_bearer_token(auth, &klen);
    if (s->n_keys > 0 && (!key || !key_ok(s, key, klen))) {
        tl__set_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"tailor\"");
        *rc = tl__reply_error(r, 401, "unauthorized",
                              key ? "the API key is not valid"
                                  : "this route needs Authorization: Bearer <API key>");
        return false;
    }
    if (!s->limiter)
        return true;
    char who[INET6_ADDRSTRLEN + 8];
    if (s->n_keys > 0 && key) {
        klen = klen < sizeof who - 1 ? klen : sizeof who - 1;
        memcpy(who, key, klen);
        who[klen] = '\0';
    } else {
        client_address(r, who, sizeof who);
    }
    int retry = 1;
    if (tl_limiter_take(s->limiter, who, strlen(who), now_ms() / 1e3, &retry))
        return true;
    tl__set_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "%d", retry);
    *rc = tl__reply_error(r, 429, "rate_limited", "too many requests; retry in %d s", retry);
    return false;
}

/* ---- one request ---- */

static void request_id(tl_req *r)
{
    const char *given = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (tl_request_id_ok(given)) {
        snprintf(r->id, sizeof r->id, "%s", given);
        return;
    }
    uint64_t n = atomic_fetch_add(&r->srv->next_request, 1);
    tl_hash_hex(tl_hash64(&n, sizeof n, r->srv->id_seed), r->id);
}

static tl_req *req_new(tl_server *s, struct MHD_Connection *c, const char *method, const char *url)
{
    tl_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = s;
    r->conn = c;
    r->method = method;
    r->url = url;
    r->route = -1;
    r->t0 = now_ms();
    tl_buf_init(&r->body, s->o.max_body);
    request_id(r);
    r->watch.wake = tl__wake_conn;
    r->watch.ud = c;
    r->watch.final_only = true;
    return r;
}

/* Early answers, before the body is read: a declared length over the cap. */
static bool declared_too_big(tl_req *r)
{
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return false;
    char *end = NULL;
    unsigned long long v = strtoull(cl, &end, 10);
    return end != cl && v > r->srv->o.max_body;
}

static void gather(tl_req *r, const char *data, size_t n)
{
    if (r->too_big)
        return;
    if (tl_buf_append(&r->body, data, n) != TL_OK) {
        r->too_big = true; /* keep reading, answer 413 at the end */
        tl_buf_free(&r->body);
    }
}

static enum MHD_Result dispatch(tl_req *r)
{
    tl_server *s = r->srv;
    char allow[64];
    bool known = false;
    int i = find_route(r->method, r->url, &r->params, allow, sizeof allow, &known);
    if (i < 0 && known) {
        tl__set_header(r, MHD_HTTP_HEADER_ALLOW, "%s", allow);
        return tl__reply_error(r, 405, "method_not_allowed", "%s is not allowed here; use %s",
                               r->method, allow);
    }
    if (i < 0)
        return tl__reply_error(r, 404, "not_found", "no such route");
    r->route = i;
    /* Parameters again, for the matched route (the loop may have gone on). */
    tl_route_match(routes[i].pattern, r->url, &r->params);
    enum MHD_Result rc;
    bool metrics_locked = s->o.protect_metrics && routes[i].handler == tl__h_metrics;
    if (routes[i].api && atomic_load(&s->draining))
        return tl__reply_error(r, 503, "draining", "the server is shutting down");
    if ((routes[i].api || metrics_locked) && !admit(r, &rc))
        return rc;
    return routes[i].handler(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    tl_server *s = cls;
    tl_req *r = *con_cls;
    if (!r) {
        r = req_new(s, c, method, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        if (declared_too_big(r)) {
            r->too_big = true;
            return tl__reply_error(r, 413, "too_large", "the body is larger than %zu bytes",
                                   s->o.max_body);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        gather(r, upload_data, *upload_size);
        r->received += *upload_size;
        *upload_size = 0;
        /* A body somewhat over the cap is read to its end to answer 413;
         * one that goes on and on is cut off. */
        return r->received > 4 * s->o.max_body + (1u << 20) ? MHD_NO : MHD_YES;
    }
    if (r->cont)
        return r->cont(r); /* resumed after a wait */
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    tl_server *s = cls;
    tl_req *r = *con_cls;
    if (!r)
        return;
    double ms = now_ms() - r->t0;
    unsigned status = r->status ? r->status : 499; /* the client went away first */
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status == 0)
        status = 499;
    tl_metrics_request(s->metrics, r->route, status, ms / 1e3);
    if (s->o.access_log)
        tl_info("msg=access method=%s path=\"%s\" status=%u bytes=%llu duration_ms=%.3f "
                "request_id=%s",
                r->method, r->url, status, (unsigned long long)r->bytes, ms, r->id);
    if (r->watching)
        tl_sjob_unwatch(r->watching, &r->watch);
    tl_sjob_unref(r->job);
    for (size_t i = 0; i < r->n_batch; i++)
        tl_sjob_unref(r->batch[i]);
    free(r->batch);
    tl__sse_detach(r);
    if (r->work_release)
        r->work_release(r->work);
    tl_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    tl_warn("msg=\"http: %s\"", line);
}

/* ---- lifecycle ---- */

#define ROUTER_SAVE_EVERY_S 60

static uint64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

/* The model router's telemetry outlives the process in the store: taken
 * back at start, saved once a minute at most (as jobs end) and at stop. */
static void router_state_load(tl_server *s)
{
    char *json = NULL;
    atomic_store(&s->router_saved_s, mono_s());
    if (!s->store || tl_store_router_state_get(s->store, &json) != TL_OK)
        return;
    if (tl_engine_telemetry_load(s->engine, json, strlen(json)) != TL_OK)
        tl_warn("msg=\"stored model telemetry ignored: not readable\"");
    free(json);
}

static void router_state_save(tl_server *s)
{
    char *json = NULL;
    if (!s->store || !s->engine || tl_engine_telemetry_save(s->engine, &json) != TL_OK)
        return;
    if (tl_store_router_state_put(s->store, json) != TL_OK)
        tl_warn("msg=\"model telemetry not saved\"");
    free(json);
}

static void on_job_end(void *ud, const char *status, double seconds)
{
    tl_server *s = ud;
    tl_metrics_job_end(s->metrics, status, seconds);
    uint64_t now = mono_s(), last = atomic_load(&s->router_saved_s);
    /* One job end of many saves: the one that moves the time on. */
    if (now >= last + ROUTER_SAVE_EVERY_S &&
        atomic_compare_exchange_strong(&s->router_saved_s, &last, now))
        router_state_save(s);
}

static tl_err copy_keys(tl_server *s, const tl_server_opts *o)
{
    if (o->n_api_keys == 0)
        return TL_OK;
    s->keys = calloc(o->n_api_keys, sizeof *s->keys);
    s->key_lens = calloc(o->n_api_keys, sizeof *s->key_lens);
    if (!s->keys || !s->key_lens)
        return TL_ENOMEM;
    for (size_t i = 0; i < o->n_api_keys; i++) {
        if (!o->api_keys[i] || !o->api_keys[i][0])
            return TL_EINVAL;
        if (!(s->keys[i] = strdup(o->api_keys[i])))
            return TL_ENOMEM;
        s->key_lens[i] = strlen(s->keys[i]);
        s->n_keys++;
    }
    return TL_OK;
}

static tl_err init_parts(tl_server *s)
{
    tl_err e;
    for (int i = 0; i < N_ROUTES; i++)
        route_names[i] = routes[i].pattern;
    if (!s->terms) {
        if ((e = tl_terms_load_default(&s->own_terms)) != TL_OK)
            return e;
        s->terms = s->own_terms;
    }
    if (!(s->metrics = tl_metrics_create(N_ROUTES, route_names)))
        return TL_ENOMEM;
    if (s->o.rate_limit > 0) {
        double burst = s->o.rate_burst > 0 ? s->o.rate_burst : 2 * s->o.rate_limit;
        if (!(s->limiter = tl_limiter_create(s->o.rate_limit, burst < 1 ? 1 : burst)))
            return TL_ENOMEM;
    }
    if (s->o.web_dir && !(s->web_dir = strdup(s->o.web_dir)))
        return TL_ENOMEM;
    /* Every provider counted for /metrics; the wrappers stand in for the
     * caller's providers from here on (the engine, the queue, requests). */
    if (s->o.n_providers > 0) {
        if (!(s->wrapped = calloc(s->o.n_providers, sizeof *s->wrapped)))
            return TL_ENOMEM;
        for (; s->n_wrapped < s->o.n_providers; s->n_wrapped++)
            if ((e = tl__provstats_wrap(s->o.providers[s->n_wrapped], &s->wrapped[s->n_wrapped])) !=
                TL_OK)
                return e;
        s->o.providers = s->wrapped;
    }
    tl_engine_opts eo;
    tl_engine_opts_default(&eo);
    eo.loop_thread = true;
    eo.workers = 1;
    if (s->o.engine_opts)
        eo = *s->o.engine_opts;
    if ((e = tl_engine_create(&s->engine, &eo)) != TL_OK)
        return e;
    for (size_t i = 0; i < s->o.n_providers; i++)
        if ((e = tl_engine_add_provider(s->engine, s->o.providers[i],
                                        s->o.provider_confs ? &s->o.provider_confs[i] : NULL)) !=
            TL_OK)
            return e;
    router_state_load(s);
    /* Cover letters that ask providers wait seconds for an answer: they
     * are written on a pool of their own, never on an HTTP thread. */
    if (s->o.n_providers > 0 && (e = tl_pool_create(&s->letters, 4)) != TL_OK)
        return e;
    if (s->o.workers <= 0 && s->o.n_providers > 0)
        s->o.workers = 8;
    tl_jobq_opts jo = {.store = s->store,
                       .terms = s->terms,
                       .workers = s->o.workers,
                       .on_end = on_job_end,
                       .on_end_ud = s,
                       .engine = s->engine,
                       .providers = s->o.providers,
                       .provider_confs = s->o.provider_confs,
                       .n_providers = s->o.n_providers};
    if ((e = tl__follow_create(&s->follow, s->store, 0)) != TL_OK)
        return e;
    return tl_jobq_create(&s->jobs, &jo);
}

/* This run's id, random at each start (a restarted server is a new
 * owner): HOST-PID-RANDOM, so that logs and job records say which server
 * it was. */
static void make_instance_id(tl_server *s)
{
    char host[48] = "tailor";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "tailor");
    host[sizeof host - 1] = '\0';
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = s->id_seed ^ (uint64_t)clock();
    snprintf(s->instance, sizeof s->instance, "%s-%ld-%016llx", host, (long)getpid(),
             (unsigned long long)r);
}

static tl_err start_daemon(tl_server *s)
{
    const char *bind = s->o.bind ? s->o.bind : "127.0.0.1";
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(s->o.port)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(s->o.port)};
    const struct sockaddr *sa = (const struct sockaddr *)&v4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET6, bind, &v6.sin6_addr) == 1) {
        sa = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else if (inet_pton(AF_INET, bind, &v4.sin_addr) != 1) {
        tl_error("msg=\"cannot use bind address\" bind=\"%s\"", bind);
        return TL_EINVAL;
    }
    s->daemon = MHD_start_daemon(
        flags, s->o.port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
    if (!s->daemon) {
        tl_error("msg=\"cannot listen\" bind=\"%s\" port=%u", bind, (unsigned)s->o.port);
        return TL_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->o.port;
    return TL_OK;
}

tl_err tl_server_create(tl_server **out, const tl_server_opts *opts)
{
    if (!opts || !opts->store)
        return TL_EINVAL;
    tl_server *s = calloc(1, sizeof *s);
    if (!s)
        return TL_ENOMEM;
    s->o = *opts;
    s->o.api_keys = NULL; /* copied below; never kept */
    s->o.web_dir = NULL;
    s->o.engine_opts = NULL; /* read in init_parts only */
    if (s->o.threads <= 0)
        s->o.threads = 2;
    if (s->o.max_body == 0)
        s->o.max_body = 2u * 1024u * 1024u;
    s->store = opts->store;
    s->listen_fd = -1;
    s->terms = opts->terms;
    s->id_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    atomic_init(&s->draining, false);
    atomic_init(&s->next_request, 1);
    s->lease_ms = opts->job_lease_ms > 0 ? opts->job_lease_ms : 30000;
    make_instance_id(s);
    tl_err e = copy_keys(s, opts);
    if (e == TL_OK) {
        s->o.web_dir = opts->web_dir;
        s->o.engine_opts = opts->engine_opts;
        e = init_parts(s);
        s->o.engine_opts = NULL;
        s->o.web_dir = s->web_dir;
    }
    if (e == TL_OK && !s->o.no_recover)
        tl__recover_jobs(s, true);
    if (e == TL_OK)
        e = tl__lease_start(s);
    if (e == TL_OK)
        e = start_daemon(s);
    if (e) {
        tl_server_destroy(s);
        return e;
    }
    tl_info("msg=\"listening\" bind=%s port=%u threads=%d workers=%d auth=%s instance=%s "
            "job_lease_ms=%lld",
            opts->bind ? opts->bind : "127.0.0.1", (unsigned)s->port, s->o.threads,
            s->o.workers > 0 ? s->o.workers : 2, s->n_keys ? "on" : "off", s->instance,
            (long long)s->lease_ms);
    *out = s;
    return TL_OK;
}

uint16_t tl_server_port(const tl_server *s)
{
    return s->port;
}

void tl_server_set_draining(tl_server *s, bool on)
{
    atomic_store(&s->draining, on);
}

tl_err tl_server_drain(tl_server *s, int timeout_ms)
{
    atomic_store(&s->draining, true);
    long queued = 0, running = 0;
    tl_jobq_counts(s->jobs, &queued, &running);
    tl_info("msg=\"draining\" queued=%ld running=%ld timeout_ms=%d", queued, running, timeout_ms);
    if (s->listen_fd < 0)
        s->listen_fd = MHD_quiesce_daemon(s->daemon); /* no new connections */
    bool idle = tl_jobq_wait_idle(s->jobs, timeout_ms < 0 ? 0 : timeout_ms);
    if (!idle)
        tl_warn("msg=\"drain timed out; unfinished jobs stay queued for the next start\"");
    return idle ? TL_OK : TL_ETIMEDOUT;
}

void tl_server_destroy(tl_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    /* Workers first: the jobs they abort wake every parked connection, so
     * that none is suspended when the daemon stops. */
    if (s->jobs)
        tl_jobq_stop(s->jobs);
    /* After the queue: leases were renewed while running jobs finished;
     * then the jobs left unfinished are released for the next server. */
    tl__lease_stop(s);
    /* Streams of other servers' jobs end before the daemon stops. */
    tl__follow_destroy(s->follow);
    s->follow = NULL;
    /* Letters being written end (each call is bounded) and wake their
     * connections before the daemon stops. */
    tl_pool_destroy(s->letters);
    s->letters = NULL;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0)
        close(s->listen_fd); /* handed to us by MHD_quiesce_daemon */
    /* Workers are stopped (those waiting on an engine gave up). Then: no
     * provider call may reach an engine any more, the engine, and the
     * queue (which destroys the comparisons' engines given up at stop). */
    for (size_t i = 0; i < s->n_wrapped; i++)
        tl__provstats_quiesce(s->wrapped[i]);
    router_state_save(s);
    tl_engine_destroy(s->engine);
    tl_jobq_destroy(s->jobs);
    for (size_t i = 0; i < s->n_wrapped; i++)
        tl_provider_destroy(s->wrapped[i]);
    free(s->wrapped);
    tl_metrics_destroy(s->metrics);
    tl_limiter_destroy(s->limiter);
    for (size_t i = 0; i < s->n_keys; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->key_lens);
    free(s->web_dir);
    tl_terms_free(s->own_terms);
    free(s);
}
