/* The provider interface: one chat completion in, one classified answer out.
 *
 * A provider is a chat-completion client (openai, anthropic, fake-llm's
 * clients, a scripted provider in tests). It knows nothing of resumes: the
 * prompt module (provider/prompt.h) turns tasks into requests and answers
 * back into task results, and the engine decides what to call when. The
 * embedded engine is not a provider of this kind: the engine calls
 * tailor/local.h directly as the last link of every fallback chain.
 *
 * Calls are asynchronous: submit returns at once; the done callback runs
 * exactly once per accepted call, on the provider's I/O thread (or, for a
 * scripted provider, on the thread that advances its clock), unless the
 * call is cancelled first. If submit fails, the callback never runs. */
#ifndef TL_PROVIDER_H
#define TL_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum tl_call_error {
    TL_CALL_OK = 0,
    TL_CALL_TIMEOUT,      /* connect, first byte or total timeout */
    TL_CALL_RATE_LIMITED, /* 429 or an explicit rate-limit answer; see retry_after_ms */
    TL_CALL_SERVER,       /* 5xx (529 overloaded included), connection reset, network */
    TL_CALL_CLIENT,       /* 4xx other than 408/429: our request is wrong, do not retry */
    TL_CALL_MALFORMED,    /* 2xx with an answer that cannot be used */
    TL_CALL_REFUSED,      /* refused before sending (breaker open) */
    TL_CALL_CANCELLED     /* cancelled by the caller (e.g. a losing hedge) */
} tl_call_error;

/* The HTTP providers' timeouts when neither their options nor the request
 * say otherwise (provider/openai.h, provider/anthropic.h). A plain (not
 * streamed) answer is written whole once the model has finished, so its
 * first byte comes at about the end of the call: the first-byte timeout
 * then bounds the generation itself (2,048 tokens at some 50 tokens/s is
 * about 40 s), and the total, twice that, leaves room for a slow body
 * after it. A stream's first byte is its first token; the same 60 s covers
 * a server that queues the call before it starts. */
#define TL_PROVIDER_TIMEOUT_MS 120000
#define TL_PROVIDER_CONNECT_TIMEOUT_MS 5000
#define TL_PROVIDER_FIRST_BYTE_TIMEOUT_MS 60000

/* "ok", "timeout", "rate_limited", "server", "client", "malformed",
 * "refused", "cancelled". */
const char *tl_call_error_name(tl_call_error e);

/* How much of a streamed answer has arrived. */
typedef struct tl_chat_progress {
    size_t chars; /* bytes of answer text so far */
    int tokens;   /* estimated from chars, 4 bytes a token (as for an answer
                     without usage): deltas carry one token or several,
                     depending on the server */
} tl_chat_progress;

/* Called with the request's progress_ud, on the thread the done callback
 * runs on, before it; must not block. (Not submit's ud: a provider that
 * wraps another passes the request through with its own ud.) */
typedef void (*tl_chat_progress_cb)(void *ud, const tl_chat_progress *p);

typedef struct tl_chat_request {
    const char *model;  /* provider's model name; NULL = provider default */
    const char *system; /* system prompt (may be NULL) */
    const char *user;   /* user prompt */
    int max_tokens;     /* answer budget; 0 = provider default */
    double temperature;
    bool json;   /* ask for a JSON object answer */
    bool stream; /* stream the answer (SSE); the callback still runs once */
    /* Optional: reports the answer as it arrives, each time a streamed
     * call (this request's stream, or a provider that streams every call)
     * receives text. A call that does not stream never calls it. */
    tl_chat_progress_cb on_progress;
    void *progress_ud;
    int timeout_ms; /* total; 0 = provider default */
    int tokens_in_estimate;
    /* The task's priority (its base priority plus its job's, engine/task.h),
     * for providers that queue calls (the Redis Streams one picks a band by
     * it); direct HTTP providers ignore it. */
    bool has_priority;
    int32_t priority;
    /* 1 for the first call of these tasks on this provider, 2 and up for
     * a retry (or a hedge to the same provider); 0: not said. A provider
     * that caches answers must not serve a retry from its cache: the
     * answer it would give is the one that was not good enough (the fact
     * guard runs after the provider). */
    unsigned attempt;
} tl_chat_request;

typedef struct tl_chat_response {
    tl_call_error error;
    int http_status;  /* 0 when no HTTP answer */
    const char *text; /* the answer's content; valid during the callback only */
    size_t text_len;
    int tokens_in, tokens_out;
    bool tokens_estimated; /* true when the answer had no usage */
    int64_t latency_ns;
    int64_t retry_after_ms; /* -1 when the answer gave none */
    /* x-ratelimit-* headers where sent, else -1 */
    int64_t remaining_requests, remaining_tokens, reset_ms;
    const char *message; /* error detail for logs; never holds a key */
    /* The call was never made and must not be retried: a queue between the
     * engine and the provider gave up on it (dead-lettered after too many
     * deliveries). error is TL_CALL_SERVER, for callers that do not know
     * the flag; the engine completes the task on the embedded engine. */
    bool dead_letter;
} tl_chat_response;

typedef void (*tl_chat_done_cb)(void *ud, const tl_chat_response *resp);

typedef struct tl_provider tl_provider;

typedef struct tl_provider_ops {
    /* Starts a call; *call_id identifies it for cancel. */
    tl_err (*submit)(tl_provider *p, const tl_chat_request *req, tl_chat_done_cb cb, void *ud,
                     uint64_t *call_id);
    /* Cancels a call in flight: its callback then runs with
     * TL_CALL_CANCELLED, or not at all if it already ran. */
    void (*cancel)(tl_provider *p, uint64_t call_id);
    void (*destroy)(tl_provider *p);
} tl_provider_ops;

/* Implementations embed this as their first member. */
struct tl_provider {
    const tl_provider_ops *ops;
    const char *name;  /* "openai", "anthropic", ... */
    const char *model; /* default model */
};

static inline tl_err tl_provider_submit(tl_provider *p, const tl_chat_request *req,
                                        tl_chat_done_cb cb, void *ud, uint64_t *call_id)
{
    return p->ops->submit(p, req, cb, ud, call_id);
}

static inline void tl_provider_cancel(tl_provider *p, uint64_t call_id)
{
    p->ops->cancel(p, call_id);
}

static inline void tl_provider_destroy(tl_provider *p)
{
    if (p)
        p->ops->destroy(p);
}

#endif
