/* The openai provider (openai.h): request and answer shapes of
 * POST {base_url}/chat/completions, plain and streaming. */
#include "provider/openai.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/chat_int.h"

static tl_err oa_build(const tl__chat *p, const tl_chat_request *req, bool json_mode, tl_buf *url,
                       char ***headers, tl_buf *body)
{
    tl_err e = tl_buf_printf(url, "%s/chat/completions", p->base_url);
    if (e != TL_OK)
        return e;
    size_t nh = 0;
    if ((e = tl__headers_add(headers, &nh, "Content-Type: application/json")) != TL_OK ||
        (e = tl__headers_add(headers, &nh, "Accept: %s",
                             req->stream ? "text/event-stream" : "application/json")) != TL_OK ||
        (e = tl__headers_add(headers, &nh, "Expect:")) != TL_OK)
        return e;
    if (p->key && (e = tl__headers_add(headers, &nh, "Authorization: Bearer %s", p->key)) != TL_OK)
        return e;
    json_t *o = json_object(), *msgs = json_array();
    if (!o || !msgs) {
        json_decref(o);
        json_decref(msgs);
        return TL_ENOMEM;
    }
    bool bad = json_object_set_new(o, "model", json_string(req->model)) != 0 ||
               json_object_set_new(o, "messages", msgs) != 0;
    if (!bad && req->system)
        bad = json_array_append_new(
                  msgs, json_pack("{s:s,s:s}", "role", "system", "content", req->system)) != 0;
    if (!bad)
        bad = json_array_append_new(
                  msgs, json_pack("{s:s,s:s}", "role", "user", "content", req->user)) != 0;
    if (!bad)
        bad = json_object_set_new(
                  o, "max_tokens",
                  json_integer(req->max_tokens > 0 ? req->max_tokens : p->max_tokens)) != 0 ||
              json_object_set_new(o, "temperature", json_real(req->temperature)) != 0;
    if (!bad && json_mode)
        bad = json_object_set_new(o, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (!bad && req->stream)
        bad = json_object_set_new(o, "stream", json_true()) != 0 ||
              json_object_set_new(o, "stream_options", json_pack("{s:b}", "include_usage", 1)) != 0;
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return bad ? TL_EINVAL : TL_ENOMEM; /* strings that are not UTF-8 fail json_string */
    e = tl_buf_puts(body, s);
    free(s);
    return e;
}

static void usage_of(json_t *usage, int *tin, int *tout)
{
    json_t *pt = json_object_get(usage, "prompt_tokens");
    json_t *ct = json_object_get(usage, "completion_tokens");
    if (json_is_integer(pt) && json_integer_value(pt) >= 0 && json_integer_value(pt) < (1 << 30))
        *tin = (int)json_integer_value(pt);
    if (json_is_integer(ct) && json_integer_value(ct) >= 0 && json_integer_value(ct) < (1 << 30))
        *tout = (int)json_integer_value(ct);
}

typedef struct sse_state {
    tl_buf *text;
    int *tin, *tout;
    bool bad, any;
    char *msg;
    size_t cap;
} sse_state;

static bool oa_chunk(void *ud, const char *d, size_t n)
{
    sse_state *st = ud;
    json_t *o = json_loadb(d, n, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        st->bad = true;
        snprintf(st->msg, st->cap, "a stream event is not JSON");
        return false;
    }
    if (json_object_get(o, "error")) {
        st->bad = true;
        snprintf(st->msg, st->cap, "the stream reported an error");
        json_decref(o);
        return false;
    }
    st->any = true;
    json_t *ch = json_array_get(json_object_get(o, "choices"), 0);
    const char *c = json_string_value(json_object_get(json_object_get(ch, "delta"), "content"));
    if (c && tl_buf_append(st->text, c, strlen(c)) != TL_OK) {
        st->bad = true;
        snprintf(st->msg, st->cap, "answer too large");
    }
    json_t *u = json_object_get(o, "usage");
    if (json_is_object(u))
        usage_of(u, st->tin, st->tout);
    json_decref(o);
    return !st->bad;
}

static tl_call_error oa_parse(const char *body, size_t n, bool stream, tl_buf *text, int *tin,
                              int *tout, char *msg, size_t cap)
{
    msg[0] = '\0';
    if (stream && n && body[0] != '{') {
        sse_state st = {text, tin, tout, false, false, msg, cap};
        tl__sse_each(body, n, oa_chunk, &st);
        if (st.bad)
            return TL_CALL_MALFORMED;
        if (!st.any) {
            snprintf(msg, cap, "the stream held no event");
            return TL_CALL_MALFORMED;
        }
        return TL_CALL_OK;
    }
    /* Not streamed (or a server that ignored stream: true). */
    json_t *o = json_loadb(body, n, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(msg, cap, "the answer is not JSON");
        return TL_CALL_MALFORMED;
    }
    json_t *ch = json_array_get(json_object_get(o, "choices"), 0);
    json_t *content = json_object_get(json_object_get(ch, "message"), "content");
    tl_call_error err = TL_CALL_OK;
    if (!json_is_string(content)) {
        snprintf(msg, cap, "the answer has no choices[0].message.content");
        err = TL_CALL_MALFORMED;
    } else if (tl_buf_append(text, json_string_value(content), json_string_length(content)) !=
               TL_OK) {
        snprintf(msg, cap, "answer too large");
        err = TL_CALL_MALFORMED;
    }
    usage_of(json_object_get(o, "usage"), tin, tout);
    json_decref(o);
    return err;
}

/* A chunk's choices[0].delta.content, counted for progress. */
static size_t oa_delta(const char *d, size_t n)
{
    json_t *o = json_loadb(d, n, 0, NULL);
    json_t *ch = json_array_get(json_object_get(o, "choices"), 0);
    json_t *c = json_object_get(json_object_get(ch, "delta"), "content");
    size_t len = json_is_string(c) ? json_string_length(c) : 0;
    json_decref(o);
    return len;
}

static const tl__dialect openai_dialect = {"openai", oa_build, oa_parse, oa_delta};

static const char *pick(const char *opt, const char *env, const char *def)
{
    if (opt && *opt)
        return opt;
    const char *v = env ? getenv(env) : NULL;
    return v && *v ? v : def;
}

tl_err tl_openai_create(const tl_openai_opts *opts, tl_provider **out)
{
    if (!out)
        return TL_EINVAL;
    tl_openai_opts d = {0};
    if (opts)
        d = *opts;
    tl__chat *p = NULL;
    tl__chat_timeouts t = {d.timeout_ms, d.connect_timeout_ms, d.first_byte_timeout_ms};
    tl_err e = tl__chat_create(&openai_dialect, d.io, d.name && *d.name ? d.name : "openai",
                               pick(d.base_url, "OPENAI_BASE_URL", "https://api.openai.com/v1"),
                               pick(d.api_key, "OPENAI_API_KEY", NULL),
                               pick(d.model, "TAILOR_OPENAI_MODEL", "gpt-4o-mini"), NULL, &t,
                               d.max_tokens, &p);
    if (e != TL_OK)
        return e;
    if (d.no_json_mode)
        atomic_store(&p->no_json, true);
    p->stream = d.stream;
    *out = &p->base;
    return TL_OK;
}
