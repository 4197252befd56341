/* Model choice from telemetry (router.h). */
#include "provider/router.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct model_slot {
    tl_model_entry e;
    tl_model_stats st;
    bool answered; /* latency_ms is observed, not the prior */
} model_slot;

struct tl_router {
    tl_router_opts o;
    pthread_mutex_t lock;
    model_slot *m;
    size_t n;
};

void tl_router_opts_default(tl_router_opts *o)
{
    o->alpha = 0.2;
    o->price_slack = 1.25;
    o->prior_latency_ms = 2000;
    o->min_success = 0.05;
}

static void free_models(model_slot *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free((char *)m[i].e.provider);
        free((char *)m[i].e.model);
    }
    free(m);
}

tl_err tl_router_create(const tl_model_entry *models, size_t n, const tl_router_opts *opts,
                        tl_router **out)
{
    if (!models || n == 0 || !out)
        return TL_EINVAL;
    tl_router_opts o;
    tl_router_opts_default(&o);
    if (opts) {
        if (opts->alpha > 0)
            o.alpha = opts->alpha;
        if (opts->price_slack > 0)
            o.price_slack = opts->price_slack;
        if (opts->prior_latency_ms > 0)
            o.prior_latency_ms = opts->prior_latency_ms;
        if (opts->min_success > 0)
            o.min_success = opts->min_success;
    }
    if (o.alpha > 1 || o.price_slack < 1 || o.min_success > 1)
        return TL_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const tl_model_entry *e = &models[i];
        if (!e->provider || !e->model || (e->tier != 0 && e->tier != 1) || e->price_in < 0 ||
            e->price_out < 0 || !isfinite(e->price_in) || !isfinite(e->price_out) || e->context < 0)
            return TL_EINVAL;
        for (size_t k = 0; k < i; k++)
            if (strcmp(models[k].provider, e->provider) == 0 &&
                strcmp(models[k].model, e->model) == 0)
                return TL_EINVAL;
    }
    tl_router *r = calloc(1, sizeof *r);
    model_slot *m = calloc(n, sizeof *m);
    if (!r || !m) {
        free(r);
        free(m);
        return TL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        m[i].e = models[i];
        m[i].e.provider = strdup(models[i].provider);
        m[i].e.model = strdup(models[i].model);
        m[i].st.latency_ms = o.prior_latency_ms;
        if (!m[i].e.provider || !m[i].e.model) {
            free_models(m, n);
            free(r);
            return TL_ENOMEM;
        }
    }
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free_models(m, n);
        free(r);
        return TL_ENOMEM;
    }
    r->o = o;
    r->m = m;
    r->n = n;
    *out = r;
    return TL_OK;
}

void tl_router_destroy(tl_router *r)
{
    if (!r)
        return;
    free_models(r->m, r->n);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

size_t tl_router_count(const tl_router *r)
{
    return r ? r->n : 0;
}

const tl_model_entry *tl_router_model(const tl_router *r, size_t i)
{
    return r && i < r->n ? &r->m[i].e : NULL;
}

int tl_router_find(const tl_router *r, const char *provider, const char *model)
{
    for (size_t i = 0; r && provider && model && i < r->n; i++)
        if (strcmp(r->m[i].e.provider, provider) == 0 && strcmp(r->m[i].e.model, model) == 0)
            return (int)i;
    return -1;
}

static double score(const tl_router *r, const model_slot *m)
{
    double success = (1 - m->st.failure_rate) * (1 - m->st.rejection_rate);
    if (success < r->o.min_success)
        success = r->o.min_success;
    return m->st.latency_ms / success;
}

/* The best usable model of one tier, or -1. */
static int pick_tier(tl_router *r, int tier, long tokens, const bool *usable)
{
    double cheapest = INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const model_slot *m = &r->m[i];
        if (m->e.tier != tier || !usable[i] || (m->e.context && tokens > m->e.context))
            continue;
        double price = m->e.price_in + m->e.price_out;
        if (price < cheapest)
            cheapest = price;
    }
    if (cheapest == INFINITY)
        return -1;
    int best = -1;
    double best_score = INFINITY;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n; i++) {
        const model_slot *m = &r->m[i];
        if (m->e.tier != tier || !usable[i] || (m->e.context && tokens > m->e.context))
            continue;
        double price = m->e.price_in + m->e.price_out;
        if (price > cheapest * r->o.price_slack + 1e-12)
            continue;
        double s = score(r, m);
        if (s < best_score) {
            best_score = s;
            best = (int)i;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return best;
}

int tl_router_pick(tl_router *r, int tier, long tokens, tl_router_usable_cb usable, void *ud)
{
    if (!r || (tier != 0 && tier != 1))
        return -1;
    bool stack_ok[64] = {0};
    bool *ok = r->n <= 64 ? stack_ok : malloc(r->n * sizeof *ok);
    if (!ok)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        ok[i] = usable ? usable(ud, i, &r->m[i].e) : true;
    int best = pick_tier(r, tier, tokens, ok);
    if (best < 0)
        best = pick_tier(r, 1 - tier, tokens, ok);
    if (ok != stack_ok)
        free(ok);
    return best;
}

void tl_router_record(tl_router *r, size_t i, const tl_router_obs *o)
{
    if (!r || !o || i >= r->n)
        return;
    pthread_mutex_lock(&r->lock);
    model_slot *m = &r->m[i];
    double a = r->o.alpha;
    bool failed = !o->ok && !o->guard_rejected;
    m->st.calls++;
    m->st.failures += failed;
    m->st.failure_rate = (1 - a) * m->st.failure_rate + a * (failed ? 1 : 0);
    if (!failed) {
        /* Answered: its latency counts, and whether the guard took it. */
        m->st.rejections += o->guard_rejected;
        m->st.rejection_rate = (1 - a) * m->st.rejection_rate + a * (o->guard_rejected ? 1 : 0);
        double ms = (double)o->latency_ns / 1e6;
        m->st.latency_ms = m->answered ? (1 - a) * m->st.latency_ms + a * ms : ms;
        m->answered = true;
    }
    long tin = o->tokens_in > 0 ? o->tokens_in : 0, tout = o->tokens_out > 0 ? o->tokens_out : 0;
    m->st.tokens_in += (uint64_t)tin;
    m->st.tokens_out += (uint64_t)tout;
    m->st.cost_usd += (tin * m->e.price_in + tout * m->e.price_out) / 1e6;
    pthread_mutex_unlock(&r->lock);
}

void tl_router_stats(tl_router *r, size_t i, tl_model_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!r || i >= r->n)
        return;
    pthread_mutex_lock(&r->lock);
    *st = r->m[i].st;
    pthread_mutex_unlock(&r->lock);
}

tl_err tl_router_metrics(tl_router *r, tl_buf *out)
{
    if (!r || !out)
        return TL_EINVAL;
    static const struct {
        const char *name, *type, *help;
    } series[] = {
        {"tailor_model_calls_total", "counter", "Provider calls per model"},
        {"tailor_model_failures_total", "counter", "Failed calls per model"},
        {"tailor_model_guard_rejections_total", "counter", "Answers refused by the fact guard"},
        {"tailor_model_latency_ewma_seconds", "gauge", "EWMA latency of answered calls"},
        {"tailor_model_failure_rate", "gauge", "EWMA failure rate"},
        {"tailor_model_guard_rejection_rate", "gauge", "EWMA fact-guard rejection rate"},
        {"tailor_model_tokens_total", "counter", "Tokens per model and direction"},
        {"tailor_model_cost_usd_total", "counter", "Cost in USD per model"},
    };
    tl_err e = TL_OK;
    pthread_mutex_lock(&r->lock);
    for (size_t s = 0; e == TL_OK && s < sizeof series / sizeof series[0]; s++) {
        e = tl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", series[s].name, series[s].help,
                          series[s].name, series[s].type);
        for (size_t i = 0; e == TL_OK && i < r->n; i++) {
            const model_slot *m = &r->m[i];
            const char *p = m->e.provider, *md = m->e.model;
            switch (s) {
            case 0:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %llu\n", series[s].name, p,
                                  md, (unsigned long long)m->st.calls);
                break;
            case 1:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %llu\n", series[s].name, p,
                                  md, (unsigned long long)m->st.failures);
                break;
            case 2:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %llu\n", series[s].name, p,
                                  md, (unsigned long long)m->st.rejections);
                break;
            case 3:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %.6f\n", series[s].name, p,
                                  md, m->st.latency_ms / 1000.0);
                break;
            case 4:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %.6f\n", series[s].name, p,
                                  md, m->st.failure_rate);
                break;
            case 5:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %.6f\n", series[s].name, p,
                                  md, m->st.rejection_rate);
                break;
            case 6:
                e = tl_buf_printf(out,
                                  "%s{provider=\"%s\",model=\"%s\",direction=\"in\"} %llu\n"
                                  "%s{provider=\"%s\",model=\"%s\",direction=\"out\"} %llu\n",
                                  series[s].name, p, md, (unsigned long long)m->st.tokens_in,
                                  series[s].name, p, md, (unsigned long long)m->st.tokens_out);
                break;
            default:
                e = tl_buf_printf(out, "%s{provider=\"%s\",model=\"%s\"} %.6f\n", series[s].name, p,
                                  md, m->st.cost_usd);
                break;
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
    return e;
}

tl_err tl_router_save(tl_router *r, char **json)
{
    if (!r || !json)
        return TL_EINVAL;
    json_t *arr = json_array();
    if (!arr)
        return TL_ENOMEM;
    bool bad = false;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n && !bad; i++) {
        const model_slot *m = &r->m[i];
        json_t *o = json_pack(
            "{s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:f,s:I,s:I,s:f,s:b}", "provider", m->e.provider, "model",
            m->e.model, "calls", (json_int_t)m->st.calls, "failures", (json_int_t)m->st.failures,
            "rejections", (json_int_t)m->st.rejections, "latency_ms", m->st.latency_ms,
            "failure_rate", m->st.failure_rate, "rejection_rate", m->st.rejection_rate, "tokens_in",
            (json_int_t)m->st.tokens_in, "tokens_out", (json_int_t)m->st.tokens_out, "cost_usd",
            m->st.cost_usd, "answered", m->answered);
        bad = !o || json_array_append_new(arr, o) != 0;
    }
    pthread_mutex_unlock(&r->lock);
    char *s = bad ? NULL : json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!s)
        return TL_ENOMEM;
    *json = s;
    return TL_OK;
}

static bool rate(json_t *v, double *out)
{
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x) || x < 0)
        return false;
    *out = x;
    return true;
}

tl_err tl_router_load(tl_router *r, const char *json, size_t n)
{
    if (!r || !json)
        return TL_EINVAL;
    json_t *arr = json_loadb(json, n, 0, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return TL_EFORMAT;
    }
    size_t k;
    json_t *o;
    /* Validate everything first, so a bad file changes nothing. */
    json_array_foreach(arr, k, o)
    {
        double x;
        if (!json_is_string(json_object_get(o, "provider")) ||
            !json_is_string(json_object_get(o, "model")) ||
            !rate(json_object_get(o, "latency_ms"), &x) ||
            !rate(json_object_get(o, "failure_rate"), &x) || x > 1 ||
            !rate(json_object_get(o, "rejection_rate"), &x) || x > 1 ||
            !rate(json_object_get(o, "cost_usd"), &x)) {
            json_decref(arr);
            return TL_EFORMAT;
        }
    }
    pthread_mutex_lock(&r->lock);
    json_array_foreach(arr, k, o)
    {
        int i = -1;
        const char *p = json_string_value(json_object_get(o, "provider"));
        const char *md = json_string_value(json_object_get(o, "model"));
        for (size_t j = 0; j < r->n; j++)
            if (strcmp(r->m[j].e.provider, p) == 0 && strcmp(r->m[j].e.model, md) == 0)
                i = (int)j;
        if (i < 0)
            continue;
        model_slot *m = &r->m[i];
        json_int_t v;
        m->st.calls = (v = json_integer_value(json_object_get(o, "calls"))) > 0 ? (uint64_t)v : 0;
        m->st.failures =
            (v = json_integer_value(json_object_get(o, "failures"))) > 0 ? (uint64_t)v : 0;
        m->st.rejections =
            (v = json_integer_value(json_object_get(o, "rejections"))) > 0 ? (uint64_t)v : 0;
        m->st.tokens_in =
            (v = json_integer_value(json_object_get(o, "tokens_in"))) > 0 ? (uint64_t)v : 0;
        m->st.tokens_out =
            (v = json_integer_value(json_object_get(o, "tokens_out"))) > 0 ? (uint64_t)v : 0;
        m->st.latency_ms = json_number_value(json_object_get(o, "latency_ms"));
        m->st.failure_rate = json_number_value(json_object_get(o, "failure_rate"));
        m->st.rejection_rate = json_number_value(json_object_get(o, "rejection_rate"));
        m->st.cost_usd = json_number_value(json_object_get(o, "cost_usd"));
        m->answered = json_is_true(json_object_get(o, "answered"));
    }
    pthread_mutex_unlock(&r->lock);
    json_decref(arr);
    return TL_OK;
}
