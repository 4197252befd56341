#include "server/http_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

static bool param_byte(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
    const char *e = strchr(s, '/');
    return e ? (size_t)(e - s) : strlen(s);
}

static bool capture(const char *seg, size_t n, tl_route_params *p)
{
    if (n == 0 || n >= TL_ROUTE_PARAM_MAX)
        return false;
    /* Brackets too: resume ids such as "work[1].highlights[0]". */
    for (size_t i = 0; i < n; i++)
        if (!param_byte((unsigned char)seg[i]) && seg[i] != '[' && seg[i] != ']')
            return false;
    if (!p)
        return true;
    if (p->n >= TL_ROUTE_MAX_PARAMS)
        return false;
    memcpy(p->v[p->n], seg, n);
    p->v[p->n][n] = '\0';
    p->n++;
    return true;
}

bool tl_route_match(const char *pattern, const char *path, tl_route_params *p)
{
    if (p)
        p->n = 0;
    if (*pattern != '/' || *path != '/')
        return false;
    if (strcmp(pattern, "/") == 0)
        return strcmp(path, "/") == 0;
    const char *a = pattern + 1, *b = path + 1;
    for (;;) {
        size_t an = seg_len(a), bn = seg_len(b);
        if (bn == 0)
            return false; /* "//" or a trailing slash */
        if (an > 1 && a[0] == '{' && a[an - 1] == '}') {
            if (!capture(b, bn, p))
                return false;
        } else if (an != bn || memcmp(a, b, an) != 0) {
            return false;
        }
        a += an;
        b += bn;
        if (*a == '\0' || *b == '\0')
            return *a == '\0' && *b == '\0';
        a++;
        b++;
    }
}

bool tl_parse_id(const char *s, int64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0' || v <= 0)
        return false;
    *out = (int64_t)v;
    return true;
}

bool tl_json_depth_ok(const char *p, size_t n, int max_depth)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++; /* skip the escaped byte, whatever it is */
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

bool tl_content_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (tl_str_ieqn(ct, n, "application/json", 16))
        return true;
    return n > 17 && tl_str_istarts(ct, "application/") && tl_str_ieqn(ct + n - 5, 5, "+json", 5);
}

tl_http_error tl_http_error_from(tl_err e)
{
    switch (e) {
    case TL_ETOOBIG: return (tl_http_error){413, "too_large"};
    case TL_EUTF8: return (tl_http_error){400, "invalid_utf8"};
    case TL_EFORMAT: return (tl_http_error){422, "invalid_document"};
    case TL_EEMPTY: return (tl_http_error){422, "nothing_recognised"};
    case TL_EINVAL: return (tl_http_error){422, "invalid_value"};
    case TL_ENOTFOUND: return (tl_http_error){404, "not_found"};
    case TL_ETIMEDOUT: return (tl_http_error){504, "timeout"};
    case TL_ENOMEM: return (tl_http_error){503, "out_of_memory"};
    case TL_EIO: return (tl_http_error){500, "storage_error"};
    default: return (tl_http_error){500, "internal"};
    }
}

bool tl_key_equal(const char *presented, size_t presented_len, const char *expected,
                  size_t expected_len)
{
    if (expected_len == 0)
        return false;
    /* Walk the presented key whole; index the expected one modulo its
     * length so that no branch depends on the secret. */
    unsigned diff = (unsigned)(presented_len ^ expected_len);
    for (size_t i = 0; i < presented_len; i++)
        diff |= (unsigned char)presented[i] ^ (unsigned char)expected[i % expected_len];
    return diff == 0;
}

const char *tl_bearer_token(const char *header, size_t *len)
{
    if (!header || !tl_str_istarts(header, "Bearer "))
        return NULL;
    const char *p = header + 7;
    size_t n = strlen(p);
    tl_str_trim(&p, &n);
    if (n == 0)
        return NULL;
    *len = n;
    return p;
}

bool tl_request_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!param_byte((unsigned char)s[i]))
            return false;
    return true;
}

const char *tl_http_reason(unsigned status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}
