/* The anthropic provider: the Messages API.
 *
 * POST {base_url}/v1/messages with x-api-key and anthropic-version headers;
 * the system prompt goes in "system", the user prompt as the one user
 * message. 529 (overloaded) is a server error, 429 is rate limited with
 * retry-after; anthropic-ratelimit-* headers are reported like OpenAI's.
 * Streaming (SSE) is supported. The key never appears in a log or in a
 * response's message.
 *
 * Threads: as provider/openai.h. */
#ifndef TL_PROVIDER_ANTHROPIC_H
#define TL_PROVIDER_ANTHROPIC_H

#include "provider/io.h"
#include "provider/provider.h"
#include "util/err.h"

typedef struct tl_anthropic_opts {
    tl_io *io;                 /* default NULL: the process's shared loop */
    const char *base_url;      /* default $ANTHROPIC_BASE_URL, else "https://api.anthropic.com" */
    const char *api_key;       /* default $ANTHROPIC_API_KEY */
    const char *model;         /* default $TAILOR_ANTHROPIC_MODEL, else "claude-3-5-haiku-latest" */
    const char *version;       /* anthropic-version; default "2023-06-01" */
    int timeout_ms;            /* per call when the request sets none; default 120000 */
    int connect_timeout_ms;    /* default 5000 */
    int first_byte_timeout_ms; /* no byte of the answer this long after the call starts:
                                  a timeout (plain and streamed calls); default 60000 */
    int max_tokens;            /* when the request sets none; default 2048 */
    bool stream;               /* stream every call (SSE), whatever the request says, so
                                  that progress can be reported; default false
                                  (tailor.conf's `stream` defaults to true) */
    const char *name;          /* the provider's name (breakers, metrics); default "anthropic" */
} tl_anthropic_opts;

/* opts NULL means the defaults. Strings are copied. On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_anthropic_create(const tl_anthropic_opts *opts, tl_provider **out);

#endif
