/* Model choice from telemetry.
 *
 * The configuration lists models (provider, model, tier, prices, context
 * size). For a task the router picks, among the usable models of the tier
 * the task needs whose context fits it, the cheapest (every model priced
 * within price_slack of the cheapest counts as cheapest), and among those
 * the one with the best expected latency x success: the lowest
 *     ewma_latency / ((1 - failure_rate) * (1 - rejection_rate))
 * A model is usable when the caller's callback says so (its breaker is
 * not open). When no model of the tier is usable, the other tier's are
 * tried (large for small tasks first). Telemetry per model: EWMA latency,
 * EWMA failure and fact-guard rejection rates, calls, tokens and cost in
 * USD, kept in memory; tl_router_save / tl_router_load turn it into JSON
 * for the storage layer to persist.
 *
 * Tiers are ints with the values of engine/task.h's tl_model_tier
 * (0 small, 1 large): the provider layer does not include the engine.
 *
 * Threads: one mutex per router; any thread may call anything. The usable
 * callback runs under no router lock. */
#ifndef TL_PROVIDER_ROUTER_H
#define TL_PROVIDER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct tl_model_entry {
    const char *provider;       /* provider name (copied) */
    const char *model;          /* model name (copied) */
    int tier;                   /* 0 small, 1 large */
    double price_in, price_out; /* USD per million tokens */
    long context;               /* tokens; 0: unknown (anything fits) */
} tl_model_entry;

typedef struct tl_router_opts {
    double alpha;            /* weight of a new observation in the EWMAs; default 0.2 */
    double price_slack;      /* >= 1; default 1.25 */
    double prior_latency_ms; /* latency assumed before the first answer; default 2000 */
    double min_success;      /* floor of the success estimate; default 0.05 */
} tl_router_opts;

void tl_router_opts_default(tl_router_opts *o);

typedef struct tl_router tl_router;

/* n >= 1 models; TL_EINVAL for a bad entry or option (a tier other than
 * 0/1, a negative price, a duplicate provider+model). On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_router_create(const tl_model_entry *models, size_t n,
                                      const tl_router_opts *opts, tl_router **out);
void tl_router_destroy(tl_router *r);

size_t tl_router_count(const tl_router *r);
/* Model i as given at create (strings owned by the router). */
const tl_model_entry *tl_router_model(const tl_router *r, size_t i);
/* Index of provider+model, or -1. */
int tl_router_find(const tl_router *r, const char *provider, const char *model);

/* May model i take a call now (e.g. its breaker is not open)? */
typedef bool (*tl_router_usable_cb)(void *ud, size_t i, const tl_model_entry *m);

/* The model for a task of tier needing tokens (prompt + answer); usable
 * may be NULL (all usable). -1 when no model is usable or fits. */
int tl_router_pick(tl_router *r, int tier, long tokens, tl_router_usable_cb usable, void *ud);

typedef struct tl_router_obs {
    bool ok;             /* answered and usable */
    bool guard_rejected; /* answered, but the fact guard refused it */
    uint64_t latency_ns;
    long tokens_in, tokens_out;
} tl_router_obs;

/* Records one call of model i. Indexes out of range are ignored. */
void tl_router_record(tl_router *r, size_t i, const tl_router_obs *o);

typedef struct tl_model_stats {
    uint64_t calls, failures, rejections;
    double latency_ms;     /* EWMA; the prior until the first answer */
    double failure_rate;   /* EWMA of failures, 0..1 */
    double rejection_rate; /* EWMA of guard rejections among answers, 0..1 */
    uint64_t tokens_in, tokens_out;
    double cost_usd;
} tl_model_stats;

void tl_router_stats(tl_router *r, size_t i, tl_model_stats *st);

/* Appends the telemetry in Prometheus text format (tailor_model_* series
 * labelled provider and model). */
TL_MUST_CHECK tl_err tl_router_metrics(tl_router *r, tl_buf *out);

/* The telemetry as JSON (malloc'd), and back: load takes the entries of
 * models it knows and ignores the rest. TL_EFORMAT for text that is not
 * such JSON (nothing changed then). */
TL_MUST_CHECK tl_err tl_router_save(tl_router *r, char **json);
TL_MUST_CHECK tl_err tl_router_load(tl_router *r, const char *json, size_t n);

#endif
