/* tailor.conf settings into tl_provider_conf (conf.h). */
#include "engine/conf.h"

#include "engine/clock.h"

static uint64_t ms_to_ns(long ms)
{
    return (uint64_t)ms * TL_NS_PER_MS;
}

static long ns_to_ms(uint64_t ns)
{
    return (long)(ns / TL_NS_PER_MS);
}

/* The value of key k in c, in the file's units. */
static long res_get(const tl_provider_conf *c, tl_res_key k)
{
    switch (k) {
    case TL_RES_BREAKER_FAILURE_RATE: return (long)c->breaker.failure_rate_threshold;
    case TL_RES_BREAKER_SLOW_RATE: return (long)c->breaker.slow_rate_threshold;
    case TL_RES_BREAKER_SLOW_CALL_MS: return ns_to_ms(c->breaker.slow_call_ns);
    case TL_RES_BREAKER_WINDOW: return (long)c->breaker.window_size;
    case TL_RES_BREAKER_MINIMUM_CALLS: return (long)c->breaker.minimum_calls;
    case TL_RES_BREAKER_CONSECUTIVE_FAILURES: return (long)c->breaker.consecutive_failures;
    case TL_RES_BREAKER_WAIT_OPEN_MS: return ns_to_ms(c->breaker.wait_in_open_ns);
    case TL_RES_BREAKER_HALF_OPEN_CALLS: return (long)c->breaker.half_open_calls;
    case TL_RES_RETRY_MAX_ATTEMPTS: return (long)c->retry.max_attempts;
    case TL_RES_RETRY_BASE_DELAY_MS: return ns_to_ms(c->retry.base_delay_ns);
    case TL_RES_RETRY_BUDGET_PERCENT: return (long)c->retry.budget_percent;
    case TL_RES_RETRY_BUDGET_FLOOR_PER_S: return (long)c->retry.budget_floor_per_sec;
    case TL_RES_HEDGE: return c->hedge;
    case TL_RES_HEDGE_AFTER_MS: return ns_to_ms(c->hedge_after_ns);
    case TL_RES_HEDGE_TO_LOCAL: return c->hedge_to_local;
    case TL_RES_COUNT: break;
    }
    return 0;
}

/* Sets key k of c to v (in the file's units, already range-checked). */
static void res_put(tl_provider_conf *c, tl_res_key k, long v)
{
    unsigned u = (unsigned)v;
    switch (k) {
    case TL_RES_BREAKER_FAILURE_RATE: c->breaker.failure_rate_threshold = u; break;
    case TL_RES_BREAKER_SLOW_RATE: c->breaker.slow_rate_threshold = u; break;
    case TL_RES_BREAKER_SLOW_CALL_MS: c->breaker.slow_call_ns = ms_to_ns(v); break;
    case TL_RES_BREAKER_WINDOW: c->breaker.window_size = u; break;
    case TL_RES_BREAKER_MINIMUM_CALLS: c->breaker.minimum_calls = u; break;
    case TL_RES_BREAKER_CONSECUTIVE_FAILURES: c->breaker.consecutive_failures = u; break;
    case TL_RES_BREAKER_WAIT_OPEN_MS: c->breaker.wait_in_open_ns = ms_to_ns(v); break;
    case TL_RES_BREAKER_HALF_OPEN_CALLS: c->breaker.half_open_calls = u; break;
    case TL_RES_RETRY_MAX_ATTEMPTS: c->retry.max_attempts = u; break;
    case TL_RES_RETRY_BASE_DELAY_MS: c->retry.base_delay_ns = ms_to_ns(v); break;
    case TL_RES_RETRY_BUDGET_PERCENT: c->retry.budget_percent = u; break;
    case TL_RES_RETRY_BUDGET_FLOOR_PER_S: c->retry.budget_floor_per_sec = u; break;
    case TL_RES_HEDGE: c->hedge = v != 0; break;
    case TL_RES_HEDGE_AFTER_MS: c->hedge_after_ns = ms_to_ns(v); break;
    case TL_RES_HEDGE_TO_LOCAL: c->hedge_to_local = v != 0; break;
    case TL_RES_COUNT: break;
    }
}

void tl_provider_conf_res_defaults(long out[TL_RES_COUNT])
{
    tl_provider_conf c;
    tl_provider_conf_default(&c);
    for (int k = 0; k < TL_RES_COUNT; k++)
        out[k] = res_get(&c, (tl_res_key)k);
}

void tl_provider_conf_from_settings(const tl_provider_settings *s, tl_provider_conf *c)
{
    tl_provider_conf_default(c);
    if (s->rpm > 0)
        c->ratelimit.requests_per_minute = (uint64_t)s->rpm;
    if (s->tpm > 0)
        c->ratelimit.tokens_per_minute = (uint64_t)s->tpm;
    if (s->max_concurrency > 0)
        c->ratelimit.max_concurrency = (unsigned)s->max_concurrency;
    c->model_small = s->model_small;
    c->model_large = s->model_large;
    c->usd_per_mtok_in = s->price_in;
    c->usd_per_mtok_out = s->price_out;
    /* The `models` list, with each model's own tier and prices. */
    c->models = s->models;
    c->n_models = s->n_models;
    for (int k = 0; k < TL_RES_COUNT; k++)
        if (s->res_set[k])
            res_put(c, (tl_res_key)k, s->res[k]);
}
