/* Provider configuration: the tailor.conf file (INI), environment
 * overrides for secrets, and providers built from it.
 *
 * Format (UTF-8; "#" or ";" starts a comment line; blanks around "=" and
 * values are trimmed):
 *
 *   providers = openai, local          the default fallback chain
 *
 *   [openai]                           a provider, named by its section
 *   base_url = https://api.openai.com/v1
 *   api_key_env = OPENAI_API_KEY       where the key comes from (preferred)
 *   api_key = sk-...                   or the key itself (discouraged)
 *   model = gpt-4o-mini                default model
 *   model_small = gpt-4o-mini          model of SMALL tier tasks
 *   model_large = gpt-4o               model of LARGE tier tasks
 *   price_in = 0.15                    USD per million input tokens
 *   price_out = 0.60                   USD per million output tokens
 *   context = 128000                   context size in tokens
 *   timeout_ms = 120000                total per call
 *   connect_timeout_ms = 5000
 *   first_byte_timeout_ms = 60000      no answer byte this long: a timeout
 *   max_tokens = 2048
 *   stream = true                      stream answers (SSE): progress as they come
 *   rpm = 500                          requests per minute (0: none)
 *   tpm = 200000                       tokens per minute (0: none)
 *   max_concurrency = 16
 *   breaker_failure_rate = 50          the engine's resilience keys
 *   retry_max_attempts = 3             (tl_res_key below; README's
 *   hedge = true                       Providers section lists them all)
 *   models = gpt-4o-mini:small:0.15:0.60:128000, gpt-4o:large:2.50:10:128000
 *                                      several models: name:tier:price_in:
 *                                      price_out[:context] (tier small|large)
 *
 *   [local-vllm]                       any name; then say the API:
 *   type = openai                      openai | anthropic
 *   base_url = http://127.0.0.1:8000/v1
 *
 * A section named "openai" or "anthropic" has that type unless it says
 * otherwise. anthropic sections also take `version` (anthropic-version).
 * The name "local" is reserved (the embedded engine is not configured
 * here).
 *
 * Environment: a key always comes from the environment when the variable
 * named by api_key_env is set (default OPENAI_API_KEY for type openai,
 * ANTHROPIC_API_KEY for anthropic), over the file's api_key. Without a
 * file, tl_config_from_env gives the "openai" and "anthropic" providers
 * from OPENAI_BASE_URL / OPENAI_API_KEY / TAILOR_OPENAI_MODEL and
 * ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY / TAILOR_ANTHROPIC_MODEL.
 *
 * Keys are never printed: tl_config_dump masks them.
 *
 * A tl_config is immutable once loaded and may be shared by threads. */
#ifndef TL_PROVIDER_CONFIG_H
#define TL_PROVIDER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/resume.h"
#include "provider/io.h"
#include "provider/provider.h"
#include "provider/router.h"
#include "util/err.h"

#define TL_CONFIG_MAX_BYTES (256u * 1024u)
#define TL_CONFIG_MAX_PROVIDERS 32

typedef enum tl_provider_type { TL_PROVIDER_OPENAI = 1, TL_PROVIDER_ANTHROPIC } tl_provider_type;

/* "openai" or "anthropic". */
const char *tl_provider_type_name(tl_provider_type t);

/* The engine's resilience settings of a provider, each optional: the
 * engine's default (engine/conf.h) applies when the file leaves a key
 * out. Durations in ms; booleans 0 or 1. */
typedef enum tl_res_key {
    TL_RES_BREAKER_FAILURE_RATE,         /* percent failed over the window that opens it */
    TL_RES_BREAKER_SLOW_RATE,            /* percent slow over the window that opens it */
    TL_RES_BREAKER_SLOW_CALL_MS,         /* a call this long is slow */
    TL_RES_BREAKER_WINDOW,               /* calls the rates are taken over */
    TL_RES_BREAKER_MINIMUM_CALLS,        /* calls before the rates count */
    TL_RES_BREAKER_CONSECUTIVE_FAILURES, /* failures in a row that open it; 0: off */
    TL_RES_BREAKER_WAIT_OPEN_MS,         /* open this long before trial calls */
    TL_RES_BREAKER_HALF_OPEN_CALLS,      /* trial calls */
    TL_RES_RETRY_MAX_ATTEMPTS,           /* calls per task and provider, the first included */
    TL_RES_RETRY_BASE_DELAY_MS,          /* backoff base (full jitter, doubling) */
    TL_RES_RETRY_BUDGET_PERCENT,         /* retries as a percentage of first calls */
    TL_RES_RETRY_BUDGET_FLOOR_PER_S,     /* retries per second allowed whatever the percent */
    TL_RES_HEDGE,                        /* hedge slow calls */
    TL_RES_HEDGE_AFTER_MS,               /* when; 0: the provider's observed p95 */
    TL_RES_HEDGE_TO_LOCAL,               /* hedge to the embedded engine when it is next */
    TL_RES_COUNT
} tl_res_key;

/* The key's name in tailor.conf ("breaker_failure_rate"). */
const char *tl_res_key_name(tl_res_key k);

typedef struct tl_provider_settings {
    const char *name; /* the section's name */
    tl_provider_type type;
    const char *base_url;    /* NULL: the type's default (or its environment variable) */
    const char *api_key;     /* effective key (environment over file); NULL: none */
    const char *api_key_env; /* variable the key is read from */
    const char *key_source;  /* "env:NAME", "file" or "none" */
    const char *model, *model_small, *model_large;  /* NULL: defaults */
    const char *version;                            /* anthropic-version; NULL: default */
    double price_in, price_out;                     /* USD per million tokens; 0: unknown */
    long context;                                   /* tokens; 0: unknown */
    long timeout_ms, max_tokens;                    /* 0: the provider's defaults */
    long connect_timeout_ms, first_byte_timeout_ms; /* 0: TL_PROVIDER_*_TIMEOUT_MS */
    long rpm, tpm, max_concurrency;                 /* 0: none / the engine's default */
    bool no_stream;         /* `stream = false`: plain answers (default: streamed) */
    bool stream_set;        /* the file says `stream` */
    int line;               /* where the section starts (0: env) */
    tl_model_entry *models; /* the `models` list (provider set to name); NULL when absent */
    size_t n_models;
    long res[TL_RES_COUNT];     /* resilience keys, valid where res_set is true */
    bool res_set[TL_RES_COUNT]; /* false: the engine's default */
} tl_provider_settings;

typedef struct tl_config tl_config;

/* Parses p[0..n) (need not be NUL-terminated) and applies the
 * environment. TL_EFORMAT with err (may be NULL) naming the line and what
 * is wrong; TL_ETOOBIG past TL_CONFIG_MAX_BYTES; TL_EUTF8. On failure
 * *out is untouched. */
TL_MUST_CHECK tl_err tl_config_parse(const char *p, size_t n, tl_config **out, tl_doc_error *err);
/* Reads and parses a file (TL_EIO when it cannot be read). */
TL_MUST_CHECK tl_err tl_config_load(const char *path, tl_config **out, tl_doc_error *err);
/* No file: "openai" and "anthropic" from the environment. */
TL_MUST_CHECK tl_err tl_config_from_env(tl_config **out);
void tl_config_free(tl_config *c);

size_t tl_config_count(const tl_config *c);
const tl_provider_settings *tl_config_at(const tl_config *c, size_t i);
/* The provider named name, or NULL. */
const tl_provider_settings *tl_config_find(const tl_config *c, const char *name);
/* The file's `providers` line (NULL when absent), e.g. "openai, local". */
const char *tl_config_chain(const tl_config *c);

/* Every model of every provider, for tl_router_create: each provider's
 * `models` list, else its model_small (tier 0) and model_large (tier 1),
 * else its model (or the type's default) once as tier 0, all priced with
 * the provider's price_in/price_out and context. *out is malloc'd (caller
 * frees; its strings belong to c). */
TL_MUST_CHECK tl_err tl_config_models(const tl_config *c, tl_model_entry **out, size_t *n);

/* The effective configuration as INI text, keys masked ("****cdef", or
 * "****" for short keys) and their source noted. malloc'd; caller frees.
 * Resilience keys the file leaves out are shown with res_defaults[k]
 * (marked "# default"; engine/conf.h has them), or not at all when
 * res_defaults is NULL. */
TL_MUST_CHECK tl_err tl_config_dump_defaults(const tl_config *c, const long *res_defaults,
                                             char **out);
/* tl_config_dump_defaults without defaults. */
TL_MUST_CHECK tl_err tl_config_dump(const tl_config *c, char **out);

/* Creates the provider of settings s on loop io (NULL: the shared one). */
TL_MUST_CHECK tl_err tl_config_create_provider(const tl_provider_settings *s, tl_io *io,
                                               tl_provider **out);

#endif
