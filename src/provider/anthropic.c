/* The anthropic provider (anthropic.h): request and answer shapes of
 * POST {base_url}/v1/messages, plain and streaming. */
#include "provider/anthropic.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/chat_int.h"

static tl_err an_build(const tl__chat *p, const tl_chat_request *req, bool json_mode, tl_buf *url,
                       char ***headers, tl_buf *body)
{
    (void)json_mode; /* no JSON mode in this API: the prompt asks for JSON */
    tl_err e = tl_buf_printf(url, "%s/v1/messages", p->base_url);
    if (e != TL_OK)
        return e;
    size_t nh = 0;
    if ((e = tl__headers_add(headers, &nh, "Content-Type: application/json")) != TL_OK ||
        (e = tl__headers_add(headers, &nh, "anthropic-version: %s", p->version)) != TL_OK ||
        (e = tl__headers_add(headers, &nh, "Expect:")) != TL_OK)
        return e;
    if (p->key && (e = tl__headers_add(headers, &nh, "x-api-key: %s", p->key)) != TL_OK)
        return e;
    json_t *o = json_pack("{s:s,s:i,s:f,s:[{s:s,s:s}]}", "model", req->model, "max_tokens",
                          req->max_tokens > 0 ? req->max_tokens : p->max_tokens, "temperature",
                          req->temperature, "messages", "role", "user", "content", req->user);
    if (!o)
        return TL_EINVAL;
    bool bad = false;
    if (req->system)
        bad = json_object_set_new(o, "system", json_string(req->system)) != 0;
    if (!bad && req->stream)
        bad = json_object_set_new(o, "stream", json_true()) != 0;
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return bad ? TL_EINVAL : TL_ENOMEM;
    e = tl_buf_puts(body, s);
    free(s);
    return e;
}

static void usage_of(json_t *u, int *tin, int *tout)
{
    json_t *i = json_object_get(u, "input_tokens"), *o = json_object_get(u, "output_tokens");
    if (json_is_integer(i) && json_integer_value(i) >= 0 && json_integer_value(i) < (1 << 30))
        *tin = (int)json_integer_value(i);
    if (json_is_integer(o) && json_integer_value(o) >= 0 && json_integer_value(o) < (1 << 30))
        *tout = (int)json_integer_value(o);
}

typedef struct sse_state {
    tl_buf *text;
    int *tin, *tout;
    bool bad, server, any;
    char *msg;
    size_t cap;
} sse_state;

static bool an_event(void *ud, const char *d, size_t n)
{
    sse_state *st = ud;
    json_t *o = json_loadb(d, n, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type) {
        json_decref(o);
        st->bad = true;
        snprintf(st->msg, st->cap, "a stream event is not JSON");
        return false;
    }
    st->any = true;
    if (strcmp(type, "error") == 0) {
        /* overloaded_error mid-stream: the server's trouble, retryable */
        st->server = true;
        snprintf(st->msg, st->cap, "the stream reported an error");
    } else if (strcmp(type, "message_start") == 0) {
        usage_of(json_object_get(json_object_get(o, "message"), "usage"), st->tin, st->tout);
    } else if (strcmp(type, "message_delta") == 0) {
        usage_of(json_object_get(o, "usage"), st->tin, st->tout);
    } else if (strcmp(type, "content_block_delta") == 0) {
        const char *t = json_string_value(json_object_get(json_object_get(o, "delta"), "text"));
        if (t && tl_buf_append(st->text, t, strlen(t)) != TL_OK) {
            st->bad = true;
            snprintf(st->msg, st->cap, "answer too large");
        }
    }
    json_decref(o);
    return !st->bad && !st->server;
}

static tl_call_error an_parse(const char *body, size_t n, bool stream, tl_buf *text, int *tin,
                              int *tout, char *msg, size_t cap)
{
    msg[0] = '\0';
    if (stream && n && body[0] != '{') {
        sse_state st = {text, tin, tout, false, false, false, msg, cap};
        tl__sse_each(body, n, an_event, &st);
        if (st.server)
            return TL_CALL_SERVER;
        if (st.bad)
            return TL_CALL_MALFORMED;
        if (!st.any) {
            snprintf(msg, cap, "the stream held no event");
            return TL_CALL_MALFORMED;
        }
        return TL_CALL_OK;
    }
    json_t *o = json_loadb(body, n, 0, NULL);
    json_t *content = json_object_get(o, "content");
    if (!json_is_array(content)) {
        json_decref(o);
        snprintf(msg, cap, "the answer has no content");
        return TL_CALL_MALFORMED;
    }
    size_t i;
    json_t *blk;
    bool any = false;
    tl_call_error err = TL_CALL_OK;
    json_array_foreach(content, i, blk)
    {
        const char *t = json_string_value(json_object_get(blk, "text"));
        if (!t)
            continue;
        any = true;
        if (tl_buf_append(text, t, strlen(t)) != TL_OK) {
            snprintf(msg, cap, "answer too large");
            err = TL_CALL_MALFORMED;
            break;
        }
    }
    if (err == TL_CALL_OK && !any) {
        snprintf(msg, cap, "the answer has no text block");
        err = TL_CALL_MALFORMED;
    }
    usage_of(json_object_get(o, "usage"), tin, tout);
    json_decref(o);
    return err;
}

/* A content_block_delta's text, counted for progress. */
static size_t an_delta(const char *d, size_t n)
{
    json_t *o = json_loadb(d, n, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    json_t *t = json_object_get(json_object_get(o, "delta"), "text");
    size_t len = type && strcmp(type, "content_block_delta") == 0 && json_is_string(t)
                     ? json_string_length(t)
                     : 0;
    json_decref(o);
    return len;
}

static const tl__dialect anthropic_dialect = {"anthropic", an_build, an_parse, an_delta};

static const char *pick(const char *opt, const char *env, const char *def)
{
    if (opt && *opt)
        return opt;
    const char *v = env ? getenv(env) : NULL;
    return v && *v ? v : def;
}

tl_err tl_anthropic_create(const tl_anthropic_opts *opts, tl_provider **out)
{
    if (!out)
        return TL_EINVAL;
    tl_anthropic_opts d = {0};
    if (opts)
        d = *opts;
    tl__chat *p = NULL;
    tl__chat_timeouts t = {d.timeout_ms, d.connect_timeout_ms, d.first_byte_timeout_ms};
    tl_err e =
        tl__chat_create(&anthropic_dialect, d.io, d.name && *d.name ? d.name : "anthropic",
                        pick(d.base_url, "ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
                        pick(d.api_key, "ANTHROPIC_API_KEY", NULL),
                        pick(d.model, "TAILOR_ANTHROPIC_MODEL", "claude-3-5-haiku-latest"),
                        d.version && *d.version ? d.version : "2023-06-01", &t, d.max_tokens, &p);
    if (e != TL_OK)
        return e;
    p->stream = d.stream;
    *out = &p->base;
    return TL_OK;
}
