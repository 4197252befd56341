/* Internal: what the HTTP chat providers (openai.c, anthropic.c) share.
 * chat.c implements tl_provider_ops once (call tracking, cancel, the
 * response_format re-ask, key redaction, token estimates); a dialect
 * builds one API's request and parses its answers. */
#ifndef TL_PROVIDER_CHAT_INT_H
#define TL_PROVIDER_CHAT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "provider/io.h"
#include "provider/provider.h"
#include "util/buf.h"

typedef struct tl__chat tl__chat;

typedef struct tl__dialect {
    const char *name;
    /* Builds the URL, the headers (NULL-terminated, malloc'd strings in a
     * malloc'd array) and the body of req. */
    tl_err (*build)(const tl__chat *p, const tl_chat_request *req, bool json_mode, tl_buf *url,
                    char ***headers, tl_buf *body);
    /* Parses a 2xx body into text and token counts (-1 when absent).
     * Returns TL_CALL_OK or the class of failure, with a message. */
    tl_call_error (*parse)(const char *body, size_t n, bool stream, tl_buf *text, int *tin,
                           int *tout, char *msg, size_t cap);
    /* The bytes of answer text one SSE event's data adds (0 for events
     * that carry none, or that cannot be read): streaming progress. */
    size_t (*delta)(const char *data, size_t n);
} tl__dialect;

struct tl__chat {
    tl_provider base;
    const tl__dialect *d;
    tl_io *io;
    bool shared_io;
    char *base_url, *key, *model, *version;
    int timeout_ms, connect_timeout_ms, first_byte_timeout_ms, max_tokens;
    atomic_bool no_json;    /* the server rejected response_format once */
    bool stream;            /* stream every call (set once, before any call) */
    pthread_mutex_t lock;   /* guards calls and each call's io_id */
    pthread_cond_t drained; /* signalled when calls becomes empty */
    struct chat_call *calls;
    _Atomic uint64_t next_id;
};

/* A provider's timeouts in ms; 0: TL_PROVIDER_*_TIMEOUT_MS. */
typedef struct tl__chat_timeouts {
    int total_ms, connect_ms, first_byte_ms;
} tl__chat_timeouts;

/* Creates the shared part; strings copied (NULLs allowed). */
tl_err tl__chat_create(const tl__dialect *d, tl_io *io, const char *name, const char *base_url,
                       const char *key, const char *model, const char *version,
                       const tl__chat_timeouts *t, int max_tokens, tl__chat **out);

/* The error message of an API error body ({"error": {"message": ...}}),
 * truncated into out[cap] with the key and anything key-like masked. */
void tl__chat_error_message(const tl__chat *p, const char *body, size_t n, char *out, size_t cap);

/* Appends one header line "Name: value" to *headers (grown by one). */
tl_err tl__headers_add(char ***headers, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tl__headers_free(char **headers);

/* Calls cb for each "data:" payload of an SSE body (stops at [DONE]). */
void tl__sse_each(const char *body, size_t n, bool (*cb)(void *ud, const char *data, size_t dn),
                  void *ud);

#endif
