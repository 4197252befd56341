/* Answers: common headers, JSON bodies, errors, and reading a JSON body. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "util/limits.h"
#include "util/str.h"

/* The page may load only its own script and style, talk only to its own
 * origin, and be framed by nobody. */
static const char page_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void tl__add_page_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, page_csp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_X_FRAME_OPTIONS, "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
}

void tl__set_header(tl_req *r, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->hdr_value, sizeof r->hdr_value, fmt, ap);
    va_end(ap);
    r->hdr_name = name;
}

enum MHD_Result tl__queue(tl_req *r, unsigned status, struct MHD_Response *resp, uint64_t bytes)
{
    if (!resp)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff");
    if (r->hdr_name)
        MHD_add_response_header(resp, r->hdr_name, r->hdr_value);
    r->status = status;
    r->bytes = bytes;
    enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result tl__reply_text(tl_req *r, unsigned status, const char *ctype, char *p, size_t n)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, p, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(p);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return tl__queue(r, status, resp, n);
}

enum MHD_Result tl__reply_json_text(tl_req *r, unsigned status, char *text)
{
    if (!text)
        return MHD_NO;
    return tl__reply_text(r, status, "application/json", text, strlen(text));
}

enum MHD_Result tl__reply_json(tl_req *r, unsigned status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    return tl__reply_json_text(r, status, text);
}

enum MHD_Result tl__reply_error(tl_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The message may quote input: let jansson escape it, and keep it
     * valid UTF-8 even when truncation cut a character. */
    size_t n = strlen(msg);
    while (n && !tl_utf8_valid(msg, n))
        msg[--n] = '\0';
    json_t *doc = json_pack("{s{ss ss}}", "error", "code", code, "message", msg);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return MHD_NO;
    return tl__reply_json_text(r, status, text);
}

enum MHD_Result tl__reply_empty(tl_req *r, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    return tl__queue(r, status, resp, 0);
}

enum MHD_Result tl__reply_static(tl_req *r, unsigned status, const char *ctype, const void *p,
                                 size_t n, bool page)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (page)
        tl__add_page_headers(resp);
    return tl__queue(r, status, resp, n);
}

bool tl__read_json(tl_req *r, json_t **out, enum MHD_Result *rc)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->too_big) {
        *rc = tl__reply_error(r, 413, "too_large", "the body is larger than %zu bytes",
                              r->srv->o.max_body);
        return false;
    }
    if (!tl_content_type_is_json(ct)) {
        *rc =
            tl__reply_error(r, 415, "unsupported_media_type", "send the body as application/json");
        return false;
    }
    const char *p = tl_buf_str(&r->body);
    size_t n = r->body.len;
    if (n == 0) {
        *rc = tl__reply_error(r, 400, "empty_body", "the request needs a JSON body");
        return false;
    }
    if (!tl_utf8_valid(p, n)) {
        *rc = tl__reply_error(r, 400, "invalid_utf8", "the body is not valid UTF-8");
        return false;
    }
    if (!tl_json_depth_ok(p, n, TL_MAX_JSON_DEPTH)) {
        *rc = tl__reply_error(r, 400, "too_deep", "the JSON nests deeper than %d levels",
                              TL_MAX_JSON_DEPTH);
        return false;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        *rc = tl__reply_error(r, 400, "invalid_json", "line %d, column %d: %s", jerr.line,
                              jerr.column, jerr.text);
        return false;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        *rc = tl__reply_error(r, 400, "invalid_json", "the body must be a JSON object");
        return false;
    }
    *out = doc;
    return true;
}

bool tl__opt_string(tl_req *r, json_t *body, const char *key, const char **out, enum MHD_Result *rc)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        *rc = tl__reply_error(r, 400, "invalid_field", "%s must be a string", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

enum MHD_Result tl__reply_doc_error(tl_req *r, tl_err e, const tl_doc_error *err, const char *what)
{
    tl_http_error he = tl_http_error_from(e);
    const char *msg = err && err->message[0] ? err->message : tl_strerror(e);
    if (err && err->line > 0)
        return tl__reply_error(r, he.status, he.code, "%s: line %d: %s", what, err->line, msg);
    return tl__reply_error(r, he.status, he.code, "%s: %s", what, msg);
}

int64_t tl__param_id(const tl_req *r, int i)
{
    int64_t id = 0;
    if (i >= r->params.n || !tl_parse_id(r->params.v[i], &id))
        return 0;
    return id;
}

void tl__park_conn(void *conn)
{
    MHD_suspend_connection(conn);
}

void tl__wake_conn(void *conn)
{
    MHD_resume_connection(conn);
}
