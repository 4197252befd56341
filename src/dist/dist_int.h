/* src/dist internal: decoding what travels on the queue (codec.c). */
#ifndef TL_DIST_INT_H
#define TL_DIST_INT_H

#include <jansson.h>

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

TL_MUST_CHECK tl_err tl__dist_decode_request(const char *p, size_t n, tl__dist_request *out);
void tl__dist_request_free(tl__dist_request *r);
TL_MUST_CHECK tl_err tl__dist_decode_response(const char *p, size_t n, tl__dist_response *out);
void tl__dist_response_free(tl__dist_response *r);

#endif
