/* Provider configuration (config.h). Every string lives in the config's
 * arena. */
#include "provider/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/anthropic.h"
#include "provider/openai.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/str.h"

struct tl_config {
    tl_arena *arena;
    tl_provider_settings p[TL_CONFIG_MAX_PROVIDERS];
    size_t n;
    const char *chain;
};

const char *tl_provider_type_name(tl_provider_type t)
{
    return t == TL_PROVIDER_ANTHROPIC ? "anthropic" : "openai";
}

static tl_err fail(tl_doc_error *err, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tl_err fail(tl_doc_error *err, int line, const char *fmt, ...)
{
    if (err) {
        err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return TL_EFORMAT;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool parse_price(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < 0 || x > 1e6)
        return false;
    *out = x;
    return true;
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 48)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.'))
            return false;
    return true;
}

/* The resilience keys in tl_res_key order, with their ranges. */
static const struct res_spec {
    const char *name;
    long lo, hi;
    bool boolean;
} res_specs[TL_RES_COUNT] = {
    {"breaker_failure_rate", 1, 100, false},
    {"breaker_slow_rate", 1, 100, false},
    {"breaker_slow_call_ms", 1, 86400000, false},
    {"breaker_window", 1, 100000, false},
    {"breaker_minimum_calls", 1, 100000, false},
    {"breaker_consecutive_failures", 0, 100000, false},
    {"breaker_wait_open_ms", 1, 86400000, false},
    {"breaker_half_open_calls", 1, 1000, false},
    {"retry_max_attempts", 1, 64, false},
    /* At most the backoff's cap (engine/retry.h: max_delay 20 s). */
    {"retry_base_delay_ms", 0, 20000, false},
    {"retry_budget_percent", 0, 1000, false},
    {"retry_budget_floor_per_s", 0, 1000000, false},
    {"hedge", 0, 1, true},
    {"hedge_after_ms", 0, 86400000, false},
    {"hedge_to_local", 0, 1, true},
};

const char *tl_res_key_name(tl_res_key k)
{
    return k < TL_RES_COUNT ? res_specs[k].name : "";
}

static bool parse_bool(const char *v, long *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
            *out = strcmp(v, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

/* A resilience key: TL_OK when set, TL_ENOTFOUND when k is none of them. */
static tl_err set_res_key(tl_provider_settings *s, const char *k, const char *v, int line,
                          tl_doc_error *err)
{
    for (size_t i = 0; i < TL_RES_COUNT; i++) {
        const struct res_spec *r = &res_specs[i];
        if (strcmp(k, r->name) != 0)
            continue;
        if (r->boolean && !parse_bool(v, &s->res[i]))
            return fail(err, line, "%s must be true or false", k);
        if (!r->boolean && !parse_long(v, r->lo, r->hi, &s->res[i]))
            return fail(err, line, "%s must be a whole number from %ld to %ld", k, r->lo, r->hi);
        s->res_set[i] = true;
        return TL_OK;
    }
    return TL_ENOTFOUND;
}

/* "name:tier:price_in:price_out[:context], ..." */
static tl_err parse_models(tl_config *c, tl_provider_settings *s, const char *v, int line,
                           tl_doc_error *err)
{
    size_t n = 1;
    for (const char *q = v; *q; q++)
        n += *q == ',';
    if (n > 64)
        return fail(err, line, "more than 64 models");
    tl_model_entry *m = tl_arena_alloc(c->arena, n * sizeof *m);
    if (!m)
        return TL_ENOMEM;
    size_t k = 0;
    const char *q = v;
    while (*q) {
        size_t l = strcspn(q, ",");
        const char *item = q;
        size_t il = l;
        tl_str_trim(&item, &il);
        char buf[256];
        if (il == 0 || il >= sizeof buf)
            return fail(err, line, "models: an empty or too long entry");
        memcpy(buf, item, il);
        buf[il] = '\0';
        char *parts[5] = {0};
        size_t np = 0;
        char *save = buf;
        for (char *f = buf;; f++) {
            if (*f == ':' || *f == '\0') {
                bool end = *f == '\0';
                *f = '\0';
                if (np < 5)
                    parts[np] = save;
                np++;
                save = f + 1;
                if (end)
                    break;
            }
        }
        if (np < 4 || np > 5 || !*parts[0])
            return fail(err, line, "models: '%.60s' is not name:tier:price_in:price_out[:context]",
                        item);
        tl_model_entry *e = &m[k++];
        e->model = tl_arena_strdup(c->arena, parts[0]);
        e->provider = s->name;
        if (!e->model)
            return TL_ENOMEM;
        if (strcmp(parts[1], "small") == 0)
            e->tier = 0;
        else if (strcmp(parts[1], "large") == 0)
            e->tier = 1;
        else
            return fail(err, line, "models: tier '%.20s' is not small or large", parts[1]);
        if (!parse_price(parts[2], &e->price_in) || !parse_price(parts[3], &e->price_out))
            return fail(err, line, "models: bad price in '%.60s'", parts[0]);
        if (np == 5 && !parse_long(parts[4], 1, 100000000, &e->context))
            return fail(err, line, "models: bad context size in '%.60s'", parts[0]);
        q += l;
        if (*q == ',')
            q++;
    }
    s->models = m;
    s->n_models = k;
    return TL_OK;
}

/* Resolves the key from the environment and the type's defaults. */
static tl_err finish_settings(tl_config *c, tl_provider_settings *s)
{
    /* What the provider would take from the environment anyway, so that
     * the dump shows the effective value. */
    bool an = s->type == TL_PROVIDER_ANTHROPIC;
    const char *u = getenv(an ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL");
    const char *m = getenv(an ? "TAILOR_ANTHROPIC_MODEL" : "TAILOR_OPENAI_MODEL");
    if (!s->base_url && u && *u && !(s->base_url = tl_arena_strdup(c->arena, u)))
        return TL_ENOMEM;
    if (!s->model && m && *m && !(s->model = tl_arena_strdup(c->arena, m)))
        return TL_ENOMEM;
    if (!s->api_key_env)
        s->api_key_env = s->type == TL_PROVIDER_ANTHROPIC ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
    const char *env = getenv(s->api_key_env);
    if (env && *env) {
        s->api_key = tl_arena_strdup(c->arena, env);
        char src[96];
        snprintf(src, sizeof src, "env:%s", s->api_key_env);
        s->key_source = tl_arena_strdup(c->arena, src);
        if (!s->api_key || !s->key_source)
            return TL_ENOMEM;
    } else {
        s->key_source = s->api_key ? "file" : "none";
    }
    return TL_OK;
}

static tl_err set_key(tl_config *c, tl_provider_settings *s, const char *k, const char *v, int line,
                      tl_doc_error *err)
{
    const char **str = NULL;
    if (strcmp(k, "type") == 0) {
        if (strcmp(v, "openai") == 0)
            s->type = TL_PROVIDER_OPENAI;
        else if (strcmp(v, "anthropic") == 0)
            s->type = TL_PROVIDER_ANTHROPIC;
        else
            return fail(err, line, "unknown provider type '%.60s' (openai or anthropic)", v);
        return TL_OK;
    }
    if (strcmp(k, "base_url") == 0) {
        if (!tl_str_istarts(v, "http://") && !tl_str_istarts(v, "https://"))
            return fail(err, line, "base_url must start with http:// or https://");
        str = &s->base_url;
    } else if (strcmp(k, "api_key") == 0) {
        str = &s->api_key;
    } else if (strcmp(k, "api_key_env") == 0) {
        if (!valid_name(v))
            return fail(err, line, "api_key_env is not a variable name");
        str = &s->api_key_env;
    } else if (strcmp(k, "model") == 0) {
        str = &s->model;
    } else if (strcmp(k, "model_small") == 0) {
        str = &s->model_small;
    } else if (strcmp(k, "model_large") == 0) {
        str = &s->model_large;
    } else if (strcmp(k, "version") == 0) {
        str = &s->version;
    }
    if (str) {
        if (!*v)
            return fail(err, line, "%s is empty", k);
        *str = tl_arena_strdup(c->arena, v);
        return *str ? TL_OK : TL_ENOMEM;
    }
    struct {
        const char *key;
        long *slot;
        long lo, hi;
    } nums[] = {
        {"context", &s->context, 1, 100000000},
        {"timeout_ms", &s->timeout_ms, 1, 86400000},
        {"connect_timeout_ms", &s->connect_timeout_ms, 1, 86400000},
        {"first_byte_timeout_ms", &s->first_byte_timeout_ms, 1, 86400000},
        {"max_tokens", &s->max_tokens, 1, 10000000},
        {"rpm", &s->rpm, 0, 100000000},
        {"tpm", &s->tpm, 0, 4000000000L},
        {"max_concurrency", &s->max_concurrency, 1, 100000},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (strcmp(k, nums[i].key) == 0) {
            if (!parse_long(v, nums[i].lo, nums[i].hi, nums[i].slot))
                return fail(err, line, "%s must be a whole number from %ld to %ld", k, nums[i].lo,
                            nums[i].hi);
            return TL_OK;
        }
    if (strcmp(k, "models") == 0)
        return parse_models(c, s, v, line, err);
    if (strcmp(k, "stream") == 0) {
        long on = 0;
        if (!parse_bool(v, &on))
            return fail(err, line, "stream must be true or false");
        s->no_stream = !on;
        s->stream_set = true;
        return TL_OK;
    }
    if (strcmp(k, "price_in") == 0 || strcmp(k, "price_out") == 0) {
        if (!parse_price(v, k[6] == 'i' ? &s->price_in : &s->price_out))
            return fail(err, line, "%s must be a price in USD per million tokens", k);
        return TL_OK;
    }
    tl_err e = set_res_key(s, k, v, line, err);
    if (e != TL_ENOTFOUND)
        return e;
    return fail(err, line, "unknown key '%.60s'", k);
}

static tl_config *config_new(void)
{
    tl_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->arena = tl_arena_create();
    if (!c->arena) {
        free(c);
        return NULL;
    }
    return c;
}

tl_err tl_config_parse(const char *p, size_t n, tl_config **out, tl_doc_error *err)
{
    if (!out || (!p && n))
        return TL_EINVAL;
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    if (n > TL_CONFIG_MAX_BYTES) {
        fail(err, 0, "the config is larger than %u bytes", TL_CONFIG_MAX_BYTES);
        return TL_ETOOBIG;
    }
    if (!tl_utf8_valid(p, n)) {
        fail(err, 0, "the config is not valid UTF-8");
        return TL_EUTF8;
    }
    tl_config *c = config_new();
    if (!c)
        return TL_ENOMEM;
    tl_err e = TL_OK;
    tl_provider_settings *cur = NULL;
    int line = 0;
    size_t i = 0;
    while (i < n && e == TL_OK) {
        line++;
        size_t j = i;
        while (j < n && p[j] != '\n')
            j++;
        const char *s = p + i;
        size_t len = j - i;
        i = j + 1;
        tl_str_trim(&s, &len);
        if (len == 0 || *s == '#' || *s == ';')
            continue;
        char buf[1024];
        if (len >= sizeof buf) {
            e = fail(err, line, "line too long");
            break;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (buf[0] == '[') {
            if (buf[len - 1] != ']') {
                e = fail(err, line, "a section line must end with ']'");
                break;
            }
            buf[len - 1] = '\0';
            const char *name = buf + 1;
            size_t nl = strlen(name);
            tl_str_trim(&name, &nl);
            char nm[64];
            if (nl >= sizeof nm) {
                e = fail(err, line, "section name too long");
                break;
            }
            memcpy(nm, name, nl);
            nm[nl] = '\0';
            if (!valid_name(nm)) {
                e = fail(err, line, "bad section name '%.60s' (letters, digits, - _ .)", nm);
                break;
            }
            if (strcmp(nm, "local") == 0) {
                e = fail(err, line, "'local' is the embedded engine and takes no settings");
                break;
            }
            if (tl_config_find(c, nm)) {
                e = fail(err, line, "provider '%s' is defined twice", nm);
                break;
            }
            if (c->n == TL_CONFIG_MAX_PROVIDERS) {
                e = fail(err, line, "more than %d providers", TL_CONFIG_MAX_PROVIDERS);
                break;
            }
            cur = &c->p[c->n++];
            memset(cur, 0, sizeof *cur);
            cur->line = line;
            cur->name = tl_arena_strdup(c->arena, nm);
            if (!cur->name) {
                e = TL_ENOMEM;
                break;
            }
            if (strcmp(nm, "anthropic") == 0)
                cur->type = TL_PROVIDER_ANTHROPIC;
            else if (strcmp(nm, "openai") == 0)
                cur->type = TL_PROVIDER_OPENAI;
            continue;
        }
        char *eq = strchr(buf, '=');
        if (!eq) {
            e = fail(err, line, "expected 'key = value' or '[provider]'");
            break;
        }
        *eq = '\0';
        const char *k = buf, *v = eq + 1;
        size_t kn = strlen(k), vn = strlen(v);
        tl_str_trim(&k, &kn);
        tl_str_trim(&v, &vn);
        ((char *)k)[kn] = '\0';
        ((char *)v)[vn] = '\0';
        if (!cur) {
            if (strcmp(k, "providers") != 0) {
                e = fail(err, line, "'%.60s' outside a [provider] section", k);
                break;
            }
            c->chain = tl_arena_strdup(c->arena, v);
            if (!c->chain)
                e = TL_ENOMEM;
            continue;
        }
        e = set_key(c, cur, k, v, line, err);
    }
    for (size_t k = 0; e == TL_OK && k < c->n; k++) {
        if (!c->p[k].type)
            e = fail(err, c->p[k].line, "provider '%s' needs 'type = openai' or 'type = anthropic'",
                     c->p[k].name);
        else
            e = finish_settings(c, &c->p[k]);
    }
    /* Every name in the chain must be defined (or "local"). */
    if (e == TL_OK && c->chain) {
        const char *q = c->chain;
        while (*q && e == TL_OK) {
            size_t l = strcspn(q, ",");
            const char *nm = q;
            size_t nl = l;
            tl_str_trim(&nm, &nl);
            char one[64];
            if (nl == 0 || nl >= sizeof one) {
                e = fail(err, 0, "bad providers list '%.80s'", c->chain);
                break;
            }
            memcpy(one, nm, nl);
            one[nl] = '\0';
            if (strcmp(one, "local") != 0 && !tl_config_find(c, one))
                e = fail(err, 0, "providers names '%s', which has no [%s] section", one, one);
            q += l;
            if (*q == ',')
                q++;
        }
    }
    if (e != TL_OK) {
        tl_config_free(c);
        return e;
    }
    *out = c;
    return TL_OK;
}

tl_err tl_config_load(const char *path, tl_config **out, tl_doc_error *err)
{
    char *text = NULL;
    size_t n = 0;
    tl_err e = tl_file_read(path, TL_CONFIG_MAX_BYTES, &text, &n);
    if (e != TL_OK) {
        if (err) {
            err->line = 0;
            snprintf(err->message, sizeof err->message, "cannot read the file: %s", tl_strerror(e));
        }
        return e;
    }
    e = tl_config_parse(text, n, out, err);
    free(text);
    return e;
}

tl_err tl_config_from_env(tl_config **out)
{
    if (!out)
        return TL_EINVAL;
    tl_config *c = config_new();
    if (!c)
        return TL_ENOMEM;
    static const struct {
        const char *name;
        tl_provider_type type;
    } d[] = {{"openai", TL_PROVIDER_OPENAI}, {"anthropic", TL_PROVIDER_ANTHROPIC}};
    tl_err e = TL_OK;
    for (size_t i = 0; i < 2 && e == TL_OK; i++) {
        tl_provider_settings *s = &c->p[c->n++];
        s->name = d[i].name;
        s->type = d[i].type;
        e = finish_settings(c, s);
    }
    if (e != TL_OK) {
        tl_config_free(c);
        return e;
    }
    *out = c;
    return TL_OK;
}

void tl_config_free(tl_config *c)
{
    if (!c)
        return;
    tl_arena_destroy(c->arena);
    free(c);
}

size_t tl_config_count(const tl_config *c)
{
    return c ? c->n : 0;
}

const tl_provider_settings *tl_config_at(const tl_config *c, size_t i)
{
    return c && i < c->n ? &c->p[i] : NULL;
}

const tl_provider_settings *tl_config_find(const tl_config *c, const char *name)
{
    for (size_t i = 0; c && name && i < c->n; i++)
        if (c->p[i].name && strcmp(c->p[i].name, name) == 0)
            return &c->p[i];
    return NULL;
}

const char *tl_config_chain(const tl_config *c)
{
    return c ? c->chain : NULL;
}

tl_err tl_config_models(const tl_config *c, tl_model_entry **out, size_t *n)
{
    if (!c || !out || !n)
        return TL_EINVAL;
    size_t total = 0;
    for (size_t i = 0; i < c->n; i++)
        total += c->p[i].models ? c->p[i].n_models : 2;
    tl_model_entry *m = calloc(total ? total : 1, sizeof *m);
    if (!m)
        return TL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        const tl_provider_settings *s = &c->p[i];
        if (s->models) {
            memcpy(m + k, s->models, s->n_models * sizeof *m);
            k += s->n_models;
            continue;
        }
        const char *def = s->model                           ? s->model
                          : s->type == TL_PROVIDER_ANTHROPIC ? "claude-3-5-haiku-latest"
                                                             : "gpt-4o-mini";
        const char *small = s->model_small ? s->model_small : def;
        const char *large = s->model_large ? s->model_large : def;
        m[k++] = (tl_model_entry){s->name, small, 0, s->price_in, s->price_out, s->context};
        /* One model for both tiers is listed once (as small): the router
         * serves large tasks from the small tier when no large model is
         * usable. */
        if (strcmp(small, large) != 0)
            m[k++] = (tl_model_entry){s->name, large, 1, s->price_in, s->price_out, s->context};
    }
    *out = m;
    *n = k;
    return TL_OK;
}

static tl_err put_str(tl_buf *b, const char *k, const char *v, const char *def)
{
    if (v)
        return tl_buf_printf(b, "%s = %s\n", k, v);
    if (def)
        return tl_buf_printf(b, "%s = %s  # default\n", k, def);
    return TL_OK;
}

/* A number the file may leave out: its value, else def noted as the default. */
static tl_err put_long(tl_buf *b, const char *k, long v, long def)
{
    if (v)
        return tl_buf_printf(b, "%s = %ld\n", k, v);
    return tl_buf_printf(b, "%s = %ld  # default\n", k, def);
}

static tl_err put_timeouts(tl_buf *b, const tl_provider_settings *s)
{
    tl_err e;
    if ((e = put_long(b, "timeout_ms", s->timeout_ms, TL_PROVIDER_TIMEOUT_MS)) ||
        (e = put_long(b, "connect_timeout_ms", s->connect_timeout_ms,
                      TL_PROVIDER_CONNECT_TIMEOUT_MS)))
        return e;
    return put_long(b, "first_byte_timeout_ms", s->first_byte_timeout_ms,
                    TL_PROVIDER_FIRST_BYTE_TIMEOUT_MS);
}

static tl_err put_res(tl_buf *b, const tl_provider_settings *s, const long *defaults)
{
    tl_err e = TL_OK;
    for (size_t k = 0; e == TL_OK && k < TL_RES_COUNT; k++) {
        if (!s->res_set[k] && !defaults)
            continue;
        long v = s->res_set[k] ? s->res[k] : defaults[k];
        const char *note = s->res_set[k] ? "" : "  # default";
        if (res_specs[k].boolean)
            e = tl_buf_printf(b, "%s = %s%s\n", res_specs[k].name, v ? "true" : "false", note);
        else
            e = tl_buf_printf(b, "%s = %ld%s\n", res_specs[k].name, v, note);
    }
    return e;
}

tl_err tl_config_dump(const tl_config *c, char **out)
{
    return tl_config_dump_defaults(c, NULL, out);
}

tl_err tl_config_dump_defaults(const tl_config *c, const long *res_defaults, char **out)
{
    if (!c || !out)
        return TL_EINVAL;
    tl_buf b;
    tl_buf_init(&b, 1u << 20);
    tl_err e = tl_buf_printf(&b, "providers = %s\n", c->chain ? c->chain : "local  # default");
    for (size_t i = 0; e == TL_OK && i < c->n; i++) {
        const tl_provider_settings *s = &c->p[i];
        bool an = s->type == TL_PROVIDER_ANTHROPIC;
        char key[32];
        if (!s->api_key)
            snprintf(key, sizeof key, "(none)");
        else if (strlen(s->api_key) >= 16)
            snprintf(key, sizeof key, "****%s", s->api_key + strlen(s->api_key) - 4);
        else
            snprintf(key, sizeof key, "****");
        if ((e = tl_buf_printf(&b, "\n[%s]\ntype = %s\n", s->name,
                               tl_provider_type_name(s->type))) ||
            (e = put_str(&b, "base_url", s->base_url,
                         an ? "https://api.anthropic.com" : "https://api.openai.com/v1")) ||
            (e = s->api_key ? tl_buf_printf(&b, "api_key = %s  # from %s\n", key, s->key_source)
                            : tl_buf_puts(&b, "api_key = (none)\n")) ||
            (e = put_str(&b, "api_key_env", s->api_key_env, NULL)) ||
            (e = put_str(&b, "model", s->model, an ? "claude-3-5-haiku-latest" : "gpt-4o-mini")) ||
            (e = put_str(&b, "model_small", s->model_small, NULL)) ||
            (e = put_str(&b, "model_large", s->model_large, NULL)) ||
            (an && (e = put_str(&b, "version", s->version, "2023-06-01"))))
            break;
        if (s->price_in > 0 || s->price_out > 0)
            e = tl_buf_printf(&b, "price_in = %g\nprice_out = %g\n", s->price_in, s->price_out);
        if (e == TL_OK)
            e = put_timeouts(&b, s);
        if (e == TL_OK)
            e = tl_buf_printf(&b, "stream = %s%s\n", s->no_stream ? "false" : "true",
                              s->stream_set ? "" : "  # default");
        struct {
            const char *k;
            long v;
        } nums[] = {{"context", s->context},
                    {"max_tokens", s->max_tokens},
                    {"rpm", s->rpm},
                    {"tpm", s->tpm},
                    {"max_concurrency", s->max_concurrency}};
        for (size_t k = 0; e == TL_OK && k < sizeof nums / sizeof nums[0]; k++)
            if (nums[k].v)
                e = tl_buf_printf(&b, "%s = %ld\n", nums[k].k, nums[k].v);
        for (size_t k = 0; e == TL_OK && k < s->n_models; k++) {
            const tl_model_entry *md = &s->models[k];
            e = tl_buf_printf(&b, "%s%s:%s:%g:%g", k ? ", " : "models = ", md->model,
                              md->tier ? "large" : "small", md->price_in, md->price_out);
            if (e == TL_OK && md->context)
                e = tl_buf_printf(&b, ":%ld", md->context);
            if (e == TL_OK && k + 1 == s->n_models)
                e = tl_buf_putc(&b, '\n');
        }
        if (e == TL_OK)
            e = put_res(&b, s, res_defaults);
    }
    if (e == TL_OK)
        e = tl_buf_take(&b, out, NULL);
    tl_buf_free(&b);
    return e;
}

tl_err tl_config_create_provider(const tl_provider_settings *s, tl_io *io, tl_provider **out)
{
    if (!s || !out)
        return TL_EINVAL;
    if (s->type == TL_PROVIDER_ANTHROPIC) {
        tl_anthropic_opts o = {.io = io,
                               .name = s->name,
                               .base_url = s->base_url,
                               .api_key = s->api_key,
                               .model = s->model,
                               .version = s->version,
                               .timeout_ms = (int)s->timeout_ms,
                               .connect_timeout_ms = (int)s->connect_timeout_ms,
                               .first_byte_timeout_ms = (int)s->first_byte_timeout_ms,
                               .max_tokens = (int)s->max_tokens,
                               .stream = !s->no_stream};
        return tl_anthropic_create(&o, out);
    }
    tl_openai_opts o = {.io = io,
                        .name = s->name,
                        .base_url = s->base_url,
                        .api_key = s->api_key,
                        .model = s->model,
                        .timeout_ms = (int)s->timeout_ms,
                        .connect_timeout_ms = (int)s->connect_timeout_ms,
                        .first_byte_timeout_ms = (int)s->first_byte_timeout_ms,
                        .max_tokens = (int)s->max_tokens,
                        .stream = !s->no_stream};
    return tl_openai_create(&o, out);
}
