/* src/dist internal: decoding what travels on the queue (codec.c). */
#ifndef TL_DIST_INT_H
#define TL_DIST_INT_H

#include <jansson.h>

#include "engine/cache.h"
#include "provider/provider.h"
#include "util/err.h"

/* A decoded request: req's strings point into doc. */
typedef struct tl__dist_request {
    tl_chat_request req;
    const char *target; /* provider asked for, or NULL */
    json_t *doc;
} tl__dist_request;

/* A decoded answer: resp's strings point into doc. */
typedef struct tl__dist_response {
    tl_chat_response resp;
    json_t *doc;
} tl__dist_response;

/* The worker's shared-cache key of a request made on provider `provider`
 * (the attempt number is not part of it: a retry is the same request). */
tl_cache_key tl__dist_request_key(const char *provider, const tl_chat_request *r);

TL_MUST_CHECK tl_err tl__dist_decode_request(const char *p, size_t n, tl__dist_request *out);
void tl__dist_request_free(tl__dist_request *r);
TL_MUST_CHECK tl_err tl__dist_decode_response(const char *p, size_t n, tl__dist_response *out);
void tl__dist_response_free(tl__dist_response *r);

#endif
