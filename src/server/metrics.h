/* The server's counters and histograms, rendered in the Prometheus text
 * exposition format.
 *
 * Recording is lock-free (relaxed atomics) and may happen from any thread;
 * rendering reads a consistent-enough snapshot (each number is exact, the
 * set is not taken at one instant, which Prometheus tolerates). */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/processor.h"
#include "util/err.h"

typedef struct tl_metrics tl_metrics;

/* route_names: n_routes labels ("/api/v1/resumes/{id}"), borrowed for the
 * metrics' lifetime. Requests that match no route use index -1 and the
 * label "unmatched". NULL when out of memory. */
tl_metrics *tl_metrics_create(size_t n_routes, const char *const *route_names);
void tl_metrics_destroy(tl_metrics *m);

/* One request: route index (or -1), method GET/POST/DELETE/other, status. */
void tl_metrics_request(tl_metrics *m, int route, unsigned status, double seconds);
/* One customization job that ended ("done", "failed", "cancelled"). */
void tl_metrics_job_end(tl_metrics *m, const char *status, double seconds);

/* Gauges owned by others, sampled at render time. */
typedef struct tl_metrics_gauges {
    long jobs_queued;
    long jobs_running;
    bool draining;
    tl_engine *engine; /* optional: its cumulative job metrics and providers */
    tl_provider *const *providers; /* optional: provstats wrappers (server/provstats.h) */
    size_t n_providers;
} tl_metrics_gauges;

/* The exposition text (malloc'd; the caller frees). */
TL_MUST_CHECK tl_err tl_metrics_render(tl_metrics *m, const tl_metrics_gauges *g, char **out,
                                       size_t *len);

#endif
