/* The openai provider: any OpenAI-compatible chat-completions server
 * (OpenAI, Azure-style gateways, vLLM, llama.cpp server, Ollama's /v1,
 * LM Studio, LiteLLM, fake-llm).
 *
 * POST {base_url}/chat/completions with "Authorization: Bearer <key>" when
 * a key is set. A request with json asks for response_format json_object;
 * a server that answers 400 naming response_format is asked again without
 * it, and the provider remembers not to send it again. Streaming requests
 * (stream: true, SSE) ask for usage in the last chunk
 * (stream_options.include_usage). Tokens come from the answer's usage,
 * else are estimated (4 bytes a token). The key never appears in a log or
 * in a response's message.
 *
 * Threads: any thread may submit or cancel; callbacks run on the I/O
 * thread (provider/io.h). Destroy cancels the calls in flight, waits
 * until their callbacks (TL_CALL_CANCELLED) have run, then frees; never
 * call it from the I/O thread (a callback). */
#ifndef TL_PROVIDER_OPENAI_H
#define TL_PROVIDER_OPENAI_H

#include <stdbool.h>

#include "provider/io.h"
#include "provider/provider.h"
#include "util/err.h"

typedef struct tl_openai_opts {
    tl_io *io;                 /* default NULL: the process's shared loop */
    const char *base_url;      /* default $OPENAI_BASE_URL, else "https://api.openai.com/v1" */
    const char *api_key;       /* default $OPENAI_API_KEY; none: no Authorization header */
    const char *model;         /* default $TAILOR_OPENAI_MODEL, else "gpt-4o-mini" */
    int timeout_ms;            /* per call when the request sets none; default 120000 */
    int connect_timeout_ms;    /* default 5000 */
    int first_byte_timeout_ms; /* no byte of the answer this long after the call starts:
                                  a timeout (plain and streamed calls); default 60000 */
    int max_tokens;            /* when the request sets none; default 2048 */
    bool stream;               /* stream every call (SSE), whatever the request says, so
                                  that progress can be reported; default false
                                  (tailor.conf's `stream` defaults to true) */
    bool no_json_mode;         /* never send response_format; default false */
    const char *name;          /* the provider's name (breakers, metrics); default "openai" */
} tl_openai_opts;

/* opts NULL means the defaults. Strings are copied. On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_openai_create(const tl_openai_opts *opts, tl_provider **out);

#endif
