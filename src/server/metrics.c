#include "server/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/provstats.h"
#include "util/buf.h"

/* The statuses the server answers with; anything else counts as "other". */
static const unsigned statuses[] = {200, 201, 202, 204, 400, 401, 404, 405,
                                    409, 413, 415, 422, 429, 500, 503, 504};
enum { N_STATUS = sizeof statuses / sizeof statuses[0] + 1 };

/* Upper bounds of the histogram buckets, in seconds (+Inf is implicit). */
static const double req_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  10};
enum { N_REQ_BUCKETS = sizeof req_bounds / sizeof req_bounds[0] + 1 };
static const double job_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                    0.5,   1,     2.5,  5,     10,   30,  60};
enum { N_JOB_BUCKETS = sizeof job_bounds / sizeof job_bounds[0] + 1 };

enum { N_MAX_BUCKETS = 16 }; /* at least N_REQ_BUCKETS and N_JOB_BUCKETS */
_Static_assert((int)N_MAX_BUCKETS >= (int)N_REQ_BUCKETS, "request buckets fit");
_Static_assert((int)N_MAX_BUCKETS >= (int)N_JOB_BUCKETS, "job buckets fit");

static const char *const job_statuses[] = {"done", "failed", "cancelled"};
enum { N_JOB_STATUS = 3 };

typedef struct histogram {
    atomic_uint_fast64_t bucket[N_MAX_BUCKETS];
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_us; /* microseconds, so that it stays an integer */
} histogram;

typedef struct route_stats {
    atomic_uint_fast64_t by_status[N_STATUS];
    histogram latency;
} route_stats;

struct tl_metrics {
    size_t n_routes;
    const char *const *names;
    route_stats *routes; /* n_routes + 1: the last is "unmatched" */
    atomic_uint_fast64_t jobs_ended[N_JOB_STATUS];
    histogram job_duration;
};

tl_metrics *tl_metrics_create(size_t n_routes, const char *const *route_names)
{
    tl_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->routes = calloc(n_routes + 1, sizeof *m->routes);
    if (!m->routes) {
        free(m);
        return NULL;
    }
    m->n_routes = n_routes;
    m->names = route_names;
    return m;
}

void tl_metrics_destroy(tl_metrics *m)
{
    if (!m)
        return;
    free(m->routes);
    free(m);
}

static void observe(histogram *h, const double *bounds, int n_bounds, double seconds)
{
    int i = 0;
    while (i < n_bounds && seconds > bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

static int status_index(unsigned status)
{
    for (int i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUS - 1;
}

void tl_metrics_request(tl_metrics *m, int route, unsigned status, double seconds)
{
    route_stats *r =
        &m->routes[route < 0 || (size_t)route >= m->n_routes ? m->n_routes : (size_t)route];
    atomic_fetch_add_explicit(&r->by_status[status_index(status)], 1, memory_order_relaxed);
    observe(&r->latency, req_bounds, N_REQ_BUCKETS - 1, seconds);
}

void tl_metrics_job_end(tl_metrics *m, const char *status, double seconds)
{
    for (int i = 0; i < N_JOB_STATUS; i++)
        if (strcmp(status, job_statuses[i]) == 0)
            atomic_fetch_add_explicit(&m->jobs_ended[i], 1, memory_order_relaxed);
    if (strcmp(status, "cancelled") != 0)
        observe(&m->job_duration, job_bounds, N_JOB_BUCKETS - 1, seconds);
}

static uint64_t load(atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static const char *route_name(const tl_metrics *m, size_t i)
{
    return i < m->n_routes ? m->names[i] : "unmatched";
}

static tl_err render_histogram(tl_buf *b, const char *name, const char *labels, histogram *h,
                               const double *bounds, int n_bounds)
{
    uint64_t cum = 0;
    tl_err e = TL_OK;
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i <= n_bounds && e == TL_OK; i++) {
        cum += load(&h->bucket[i]);
        if (i < n_bounds)
            e = tl_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
                              (unsigned long long)cum);
        else
            e = tl_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                              (unsigned long long)cum);
    }
    char braces[192] = "";
    if (labels[0])
        snprintf(braces, sizeof braces, "{%s}", labels);
    if (e == TL_OK)
        e = tl_buf_printf(b, "%s_sum%s %.6f\n%s_count%s %llu\n", name, braces,
                          (double)load(&h->sum_us) / 1e6, name, braces,
                          (unsigned long long)load(&h->count));
    return e;
}

static tl_err render_requests(tl_metrics *m, tl_buf *b)
{
    tl_err e = tl_buf_puts(b, "# HELP tailor_http_requests_total HTTP requests by route and"
                              " status.\n# TYPE tailor_http_requests_total counter\n");
    for (size_t i = 0; i <= m->n_routes && e == TL_OK; i++) {
        for (int s = 0; s < N_STATUS && e == TL_OK; s++) {
            uint64_t v = load(&m->routes[i].by_status[s]);
            if (v == 0)
                continue;
            char code[8];
            if (s < N_STATUS - 1)
                snprintf(code, sizeof code, "%u", statuses[s]);
            else
                snprintf(code, sizeof code, "other");
            e = tl_buf_printf(b, "tailor_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                              route_name(m, i), code, (unsigned long long)v);
        }
    }
    if (e == TL_OK)
        e = tl_buf_puts(b, "# HELP tailor_http_request_duration_seconds Time from request to"
                           " response, by route.\n"
                           "# TYPE tailor_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->n_routes && e == TL_OK; i++) {
        if (load(&m->routes[i].latency.count) == 0)
            continue;
        char labels[160];
        snprintf(labels, sizeof labels, "route=\"%s\"", route_name(m, i));
        e = render_histogram(b, "tailor_http_request_duration_seconds", labels,
                             &m->routes[i].latency, req_bounds, N_REQ_BUCKETS - 1);
    }
    return e;
}

static tl_err render_jobs(tl_metrics *m, const tl_metrics_gauges *g, tl_buf *b)
{
    tl_err e = tl_buf_printf(b,
                             "# HELP tailor_jobs Customization jobs queued or running now.\n"
                             "# TYPE tailor_jobs gauge\n"
                             "tailor_jobs{status=\"queued\"} %ld\n"
                             "tailor_jobs{status=\"running\"} %ld\n"
                             "# HELP tailor_jobs_total Customization jobs ended since start, by"
                             " status.\n"
                             "# TYPE tailor_jobs_total counter\n",
                             g ? g->jobs_queued : 0, g ? g->jobs_running : 0);
    for (int i = 0; i < N_JOB_STATUS && e == TL_OK; i++)
        e = tl_buf_printf(b, "tailor_jobs_total{status=\"%s\"} %llu\n", job_statuses[i],
                          (unsigned long long)load(&m->jobs_ended[i]));
    if (e == TL_OK)
        e = tl_buf_puts(b, "# HELP tailor_customize_duration_seconds Wall time of a"
                           " customization job.\n"
                           "# TYPE tailor_customize_duration_seconds histogram\n");
    if (e == TL_OK)
        e = render_histogram(b, "tailor_customize_duration_seconds", "", &m->job_duration,
                             job_bounds, N_JOB_BUCKETS - 1);
    if (e == TL_OK)
        e = tl_buf_printf(b,
                          "# HELP tailor_draining 1 while the server drains before exit.\n"
                          "# TYPE tailor_draining gauge\ntailor_draining %d\n",
                          g && g->draining ? 1 : 0);
    return e;
}

/* 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled. */
static int breaker_gauge(tl_breaker_state s)
{
    switch (s) {
    case TL_BREAKER_CLOSED: return 0;
    case TL_BREAKER_OPEN: return 1;
    case TL_BREAKER_HALF_OPEN: return 2;
    case TL_BREAKER_FORCED_OPEN: return 3;
    case TL_BREAKER_DISABLED: return 4;
    }
    return 0;
}

typedef struct counter_row {
    const char *name, *type, *help;
    double value;
} counter_row;

/* A label value as Prometheus text wants it (", \\ and newlines escaped);
 * model names come from the configuration and may hold anything. */
static void label_value(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 3 < cap; s++) {
        if (*s == '"' || *s == '\\' || *s == '\n') {
            out[k++] = '\\';
            out[k++] = *s == '\n' ? 'n' : *s;
        } else {
            out[k++] = *s;
        }
    }
    out[k] = '\0';
}

/* One model series: every model's value of field k (see render_models). */
static tl_err model_series(tl_buf *b, const tl_engine_model_stats *ms, size_t n, int k,
                           const char *name)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        const tl_engine_model_stats *m = &ms[i];
        char model[192], labels[320];
        label_value(m->model, model, sizeof model);
        snprintf(labels, sizeof labels, "provider=\"%s\",model=\"%s\",tier=\"%s\"", m->provider,
                 model, m->tier ? "large" : "small");
        switch (k) {
        case 0:
            e = tl_buf_printf(b, "%s{%s} %llu\n", name, labels, (unsigned long long)m->st.calls);
            break;
        case 1:
            e = tl_buf_printf(b, "%s{%s} %llu\n", name, labels, (unsigned long long)m->st.failures);
            break;
        case 2:
            e = tl_buf_printf(b, "%s{%s} %llu\n", name, labels,
                              (unsigned long long)m->st.rejections);
            break;
        case 3:
            e = tl_buf_printf(b, "%s{%s} %.6f\n", name, labels, m->st.latency_ms / 1000.0);
            break;
        case 4: e = tl_buf_printf(b, "%s{%s} %.6f\n", name, labels, m->st.failure_rate); break;
        case 5: e = tl_buf_printf(b, "%s{%s} %.6f\n", name, labels, m->st.rejection_rate); break;
        case 6:
            e = tl_buf_printf(b, "%s{%s,direction=\"in\"} %llu\n%s{%s,direction=\"out\"} %llu\n",
                              name, labels, (unsigned long long)m->st.tokens_in, name, labels,
                              (unsigned long long)m->st.tokens_out);
            break;
        case 7: e = tl_buf_printf(b, "%s{%s} %.10g\n", name, labels, m->st.cost_usd); break;
        default:
            e = tl_buf_printf(b, "%s{%s} %d\n", name, labels, breaker_gauge(m->breaker));
            break;
        }
    }
    return e;
}

/* The router's telemetry of every model of every provider. */
static tl_err render_models(tl_engine *eng, tl_buf *b)
{
    enum { CAP = 256 };
    tl_engine_model_stats *ms = malloc(CAP * sizeof *ms);
    if (!ms)
        return TL_ENOMEM;
    size_t n = tl_engine_models(eng, ms, CAP);
    if (n > CAP)
        n = CAP;
    static const char *const series[][3] = {
        {"tailor_model_calls_total", "counter", "Provider calls per model."},
        {"tailor_model_failures_total", "counter",
         "Failed calls per model (errors, unusable answers)."},
        {"tailor_model_guard_rejections_total", "counter",
         "Answers the fact guard refused, per model."},
        {"tailor_model_latency_ewma_seconds", "gauge",
         "EWMA latency of the model's answered calls."},
        {"tailor_model_failure_rate", "gauge", "EWMA failure rate of the model's calls."},
        {"tailor_model_guard_rejection_rate", "gauge",
         "EWMA fact-guard rejection rate of its answers."},
        {"tailor_model_tokens_total", "counter", "Tokens per model and direction."},
        {"tailor_model_cost_usd_total", "counter", "Cost in US dollars per model."},
        {"tailor_model_breaker_state", "gauge",
         "The model's breaker (0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled)."},
    };
    tl_err e = TL_OK;
    for (int k = 0; k < (int)(sizeof series / sizeof series[0]) && e == TL_OK; k++) {
        e = tl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", series[k][0], series[k][2],
                          series[k][0], series[k][1]);
        if (e == TL_OK)
            e = model_series(b, ms, n, k, series[k][0]);
    }
    free(ms);
    return e;
}

/* The engine's figures: its jobs summed (calls, tokens, cost, cache,
 * retries, fallbacks...) and each provider's breaker, limiter and retry
 * state. */
static tl_err render_engine(tl_engine *eng, tl_buf *b)
{
    tl_job_metrics m;
    tl_engine_metrics(eng, &m);
    tl_cache_stats cs;
    tl_engine_cache_stats(eng, &cs);
    const counter_row rows[] = {
        {"tailor_engine_tasks_total", "counter", "Tasks the engine completed.", (double)m.tasks},
        {"tailor_engine_provider_calls_total", "counter", "Provider calls made by the engine.",
         (double)m.provider_calls},
        {"tailor_engine_tokens_in_total", "counter", "Prompt tokens sent to providers.",
         (double)m.tokens_in},
        {"tailor_engine_tokens_out_total", "counter", "Answer tokens received from providers.",
         (double)m.tokens_out},
        {"tailor_engine_cost_usd_total", "counter", "Provider cost in US dollars.", m.cost_usd},
        {"tailor_engine_cache_hits_total", "counter", "Tasks answered from the cache.",
         (double)m.cache_hits},
        {"tailor_engine_cache_misses_total", "counter", "Tasks the cache did not have.",
         (double)m.cache_misses},
        {"tailor_engine_cache_coalesced_total", "counter",
         "Tasks that joined an identical task in flight.", (double)m.cache_coalesced},
        {"tailor_engine_batches_total", "counter", "Provider requests carrying 2+ tasks.",
         (double)m.batches},
        {"tailor_engine_retries_total", "counter", "Provider calls retried.", (double)m.retries},
        {"tailor_engine_failures_total", "counter", "Provider calls that failed.",
         (double)m.failures},
        {"tailor_engine_fallbacks_total", "counter",
         "Tasks produced by a later link of the chain than the first.", (double)m.fallbacks},
        {"tailor_engine_hedges_total", "counter", "Hedged provider calls.", (double)m.hedges},
        {"tailor_engine_breaker_refusals_total", "counter", "Calls refused by an open breaker.",
         (double)m.breaker_refusals},
        {"tailor_engine_breaker_transitions_total", "counter", "Breaker state changes.",
         (double)m.breaker_transitions},
        {"tailor_engine_ratelimit_waits_total", "counter", "Calls that waited for a rate limit.",
         (double)m.ratelimit_waits},
        {"tailor_engine_deadline_expired_total", "counter",
         "Tasks run on the embedded engine because their deadline passed.",
         (double)m.deadline_expired},
        {"tailor_engine_dead_lettered_total", "counter",
         "Tasks run on the embedded engine because the queue dead-lettered their call.",
         (double)m.dead_lettered},
        {"tailor_engine_cache_bytes", "gauge", "Bytes the result cache holds now.",
         (double)cs.bytes},
        {"tailor_engine_cache_entries", "gauge", "Entries the result cache holds now.",
         (double)cs.entries},
        {"tailor_engine_cache_evictions_total", "counter",
         "Cache entries dropped for space (TinyLFU rejections included).", (double)cs.evictions},
        {"tailor_engine_cache_expirations_total", "counter",
         "Cache entries dropped because their TTL passed.", (double)cs.expirations},
        {"tailor_engine_jobs_pending", "gauge", "Jobs submitted to the engine and not done.",
         (double)tl_engine_pending(eng)},
        {"tailor_engine_queue_wait_p99_ms", "gauge", "Task queue wait, 99th percentile (ms).",
         m.queue_wait_p99_ms},
    };
    tl_err e = TL_OK;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && e == TL_OK; i++)
        e = tl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.10g\n", rows[i].name, rows[i].help,
                          rows[i].name, rows[i].type, rows[i].name, rows[i].value);
    tl_engine_provider_stats ps[TL_ENGINE_MAX_CHAIN * 2];
    size_t n = tl_engine_providers(eng, ps, sizeof ps / sizeof ps[0]);
    if (n > sizeof ps / sizeof ps[0])
        n = sizeof ps / sizeof ps[0];
    if (e == TL_OK)
        e = tl_buf_puts(b, "# HELP tailor_provider_breaker_state Breaker state by provider and tier"
                           " (0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled).\n"
                           "# TYPE tailor_provider_breaker_state gauge\n");
    for (size_t i = 0; i < n && e == TL_OK; i++)
        e = tl_buf_printf(b,
                          "tailor_provider_breaker_state{provider=\"%s\",tier=\"small\"} %d\n"
                          "tailor_provider_breaker_state{provider=\"%s\",tier=\"large\"} %d\n",
                          ps[i].name, breaker_gauge(ps[i].breaker.state), ps[i].name,
                          breaker_gauge(ps[i].breaker_large.state));
    static const char *const per[][3] = {
        {"tailor_provider_calls_total", "counter",
         "Provider calls by outcome (admitted by the limiter, rate-limited answers, retries, "
         "refused by the breaker)."},
        {"tailor_provider_ratelimit_waits_total", "counter",
         "Times a call waited for the provider's rate limit."},
        {"tailor_provider_concurrency_limit", "gauge",
         "The provider's adaptive concurrency limit."},
        {"tailor_provider_in_flight", "gauge", "Calls in flight to the provider."},
        {"tailor_provider_parked", "gauge", "Calls waiting for a concurrency slot (queue depth)."},
        {"tailor_provider_latency_p95_seconds", "gauge",
         "Observed p95 latency of recent successful calls."},
    };
    for (size_t k = 0; k < sizeof per / sizeof per[0] && e == TL_OK; k++) {
        e = tl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", per[k][0], per[k][2], per[k][0],
                          per[k][1]);
        for (size_t i = 0; i < n && e == TL_OK; i++) {
            const tl_engine_provider_stats *p = &ps[i];
            switch (k) {
            case 0:
                e = tl_buf_printf(
                    b,
                    "%s{provider=\"%s\",outcome=\"admitted\"} %llu\n"
                    "%s{provider=\"%s\",outcome=\"rate_limited\"} %llu\n"
                    "%s{provider=\"%s\",outcome=\"retried\"} %llu\n"
                    "%s{provider=\"%s\",outcome=\"refused\"} %llu\n",
                    per[k][0], p->name, (unsigned long long)p->ratelimit.admitted, per[k][0],
                    p->name, (unsigned long long)p->ratelimit.limited, per[k][0], p->name,
                    (unsigned long long)p->retry.retries, per[k][0], p->name,
                    (unsigned long long)(p->breaker.not_permitted +
                                         (p->breaker_large.not_permitted != p->breaker.not_permitted
                                              ? p->breaker_large.not_permitted
                                              : 0)));
                break;
            case 1:
                e = tl_buf_printf(b, "%s{provider=\"%s\"} %llu\n", per[k][0], p->name,
                                  (unsigned long long)p->ratelimit.waits);
                break;
            case 2:
                e = tl_buf_printf(b, "%s{provider=\"%s\"} %u\n", per[k][0], p->name,
                                  p->ratelimit.limit);
                break;
            case 3:
                e = tl_buf_printf(b, "%s{provider=\"%s\"} %u\n", per[k][0], p->name,
                                  p->ratelimit.in_flight);
                break;
            case 4:
                e = tl_buf_printf(b, "%s{provider=\"%s\"} %zu\n", per[k][0], p->name, p->parked);
                break;
            default:
                e = tl_buf_printf(b, "%s{provider=\"%s\"} %.6f\n", per[k][0], p->name,
                                  (double)p->p95_ns / 1e9);
                break;
            }
        }
    }
    return e;
}

tl_err tl_metrics_render(tl_metrics *m, const tl_metrics_gauges *g, char **out, size_t *len)
{
    tl_buf b;
    tl_buf_init(&b, 4u * 1024u * 1024u);
    tl_err e = render_requests(m, &b);
    if (e == TL_OK)
        e = render_jobs(m, g, &b);
    if (e == TL_OK && g && g->engine)
        e = render_engine(g->engine, &b);
    if (e == TL_OK && g && g->engine)
        e = render_models(g->engine, &b);
    if (e == TL_OK && g && g->n_providers > 0)
        e = tl__provstats_render(g->providers, g->n_providers, &b);
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    return e;
}
