/* Pure helpers of the HTTP server: path patterns, request checks, error
 * mapping, key comparison. No I/O, no global state: safe from any thread,
 * and unit-tested on their own (tests/unit/test_server_util.c). */
#ifndef TL_HTTP_UTIL_H
#define TL_HTTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum { TL_ROUTE_MAX_PARAMS = 4, TL_ROUTE_PARAM_MAX = 64 };

/* Values captured by a pattern's {name} segments, in order. */
typedef struct tl_route_params {
    int n;
    char v[TL_ROUTE_MAX_PARAMS][TL_ROUTE_PARAM_MAX];
} tl_route_params;

/* True when path matches pattern segment by segment. A "{name}" segment
 * matches one non-empty segment of at most TL_ROUTE_PARAM_MAX - 1 bytes of
 * letters, digits, '-', '_', '.', '[' and ']', which is captured into p (p may be
 * NULL). A trailing slash or an empty segment never matches. */
bool tl_route_match(const char *pattern, const char *path, tl_route_params *p);

/* Parses a decimal id in 1..INT64_MAX with nothing around it. */
bool tl_parse_id(const char *s, int64_t *out);

/* True when the JSON text p[0..n) nests arrays and objects at most
 * max_depth deep. A cheap scan that understands strings and escapes and
 * nothing else, run before any parser sees the text; malformed JSON is left
 * for the parser to refuse. */
bool tl_json_depth_ok(const char *p, size_t n, int max_depth);

/* True for "application/json" and "application/<x>+json", any case, with
 * optional parameters ("; charset=utf-8"). NULL is false. */
bool tl_content_type_is_json(const char *ct);

/* The HTTP status and error code ("too_large", ...) for a failure while
 * reading a request's document. */
typedef struct tl_http_error {
    unsigned status;
    const char *code;
} tl_http_error;
tl_http_error tl_http_error_from(tl_err e);

/* Compares a presented key with an expected one in time that depends only
 * on the presented key's length, never on where they differ. */
bool tl_key_equal(const char *presented, size_t presented_len, const char *expected,
                  size_t expected_len);

/* The key of an "Authorization: Bearer KEY" header: a slice into header
 * (NULL when the header is absent or of another scheme). */
const char *tl_bearer_token(const char *header, size_t *len);

/* True when s is usable as a request id taken from a client: 1-64 bytes of
 * letters, digits, '-', '_' and '.'. */
bool tl_request_id_ok(const char *s);

/* A short reason phrase for a status ("Not Found"). */
const char *tl_http_reason(unsigned status);

#endif
