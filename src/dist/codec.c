/* Chat requests and answers as they travel on the queue: small JSON
 * objects (jansson), text fields kept byte for byte. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dist/dist.h"
#include "dist/dist_int.h"

static tl_err dump(json_t *o, char **out, size_t *len)
{
    if (!o)
        return TL_ENOMEM;
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return TL_ENOMEM;
    *out = s;
    *len = strlen(s);
    return TL_OK;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

tl_err tl_dist_encode_request(const tl_chat_request *req, const char *target, char **out,
                              size_t *len)
{
    if (!req || !req->user || !out || !len)
        return TL_EINVAL;
    json_t *o = json_object();
    if (!o)
        return TL_ENOMEM;
    int bad = 0;
    bad |= json_object_set_new(o, "model", str_or_null(req->model));
    bad |= json_object_set_new(o, "system", str_or_null(req->system));
    bad |= json_object_set_new(o, "user", json_string(req->user));
    bad |= json_object_set_new(o, "max_tokens", json_integer(req->max_tokens));
    bad |= json_object_set_new(o, "temperature", json_real(req->temperature));
    bad |= json_object_set_new(o, "json", json_boolean(req->json));
    bad |= json_object_set_new(o, "timeout_ms", json_integer(req->timeout_ms));
    bad |= json_object_set_new(o, "tokens_in_estimate", json_integer(req->tokens_in_estimate));
    bad |= json_object_set_new(o, "attempt", json_integer(req->attempt));
    bad |= json_object_set_new(o, "target", str_or_null(target));
    if (bad) {
        json_decref(o);
        return TL_EFORMAT; /* not valid UTF-8: json_string refused it */
    }
    return dump(o, out, len);
}

tl_err tl_dist_encode_response(const tl_chat_response *r, char **out, size_t *len)
{
    if (!r || !out || !len)
        return TL_EINVAL;
    json_t *o = json_object();
    if (!o)
        return TL_ENOMEM;
    int bad = 0;
    bad |= json_object_set_new(o, "error", json_string(tl_call_error_name(r->error)));
    bad |= json_object_set_new(o, "http_status", json_integer(r->http_status));
    bad |=
        json_object_set_new(o, "text", r->text ? json_stringn(r->text, r->text_len) : json_null());
    bad |= json_object_set_new(o, "tokens_in", json_integer(r->tokens_in));
    bad |= json_object_set_new(o, "tokens_out", json_integer(r->tokens_out));
    bad |= json_object_set_new(o, "tokens_estimated", json_boolean(r->tokens_estimated));
    bad |= json_object_set_new(o, "latency_ns", json_integer(r->latency_ns));
    bad |= json_object_set_new(o, "retry_after_ms", json_integer(r->retry_after_ms));
    bad |= json_object_set_new(o, "message", str_or_null(r->message));
    bad |= json_object_set_new(o, "dead_letter", json_boolean(r->dead_letter));
    if (bad) {
        /* An answer that is not UTF-8 cannot travel as JSON: a malformed one. */
        json_decref(o);
        tl_chat_response m = *r;
        m.error = TL_CALL_MALFORMED;
        m.text = NULL;
        m.text_len = 0;
        m.message = "answer is not valid UTF-8";
        return tl_dist_encode_response(&m, out, len);
    }
    return dump(o, out, len);
}

static const char *get_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

tl_err tl__dist_decode_request(const char *p, size_t n, tl__dist_request *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loadb(p, n, 0, NULL);
    if (!json_is_object(o) || !get_str(o, "user")) {
        json_decref(o);
        return TL_EFORMAT;
    }
    out->doc = o;
    out->target = get_str(o, "target");
    out->req.model = get_str(o, "model");
    out->req.system = get_str(o, "system");
    out->req.user = get_str(o, "user");
    out->req.max_tokens = (int)json_integer_value(json_object_get(o, "max_tokens"));
    out->req.temperature = json_number_value(json_object_get(o, "temperature"));
    out->req.json = json_is_true(json_object_get(o, "json"));
    out->req.timeout_ms = (int)json_integer_value(json_object_get(o, "timeout_ms"));
    out->req.tokens_in_estimate = (int)json_integer_value(json_object_get(o, "tokens_in_estimate"));
    json_int_t attempt = json_integer_value(json_object_get(o, "attempt"));
    out->req.attempt = attempt > 0 && attempt < 1000000 ? (unsigned)attempt : 0;
    return TL_OK;
}

void tl__dist_request_free(tl__dist_request *r)
{
    json_decref(r->doc);
    r->doc = NULL;
}

tl_err tl__dist_decode_response(const char *p, size_t n, tl__dist_response *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loadb(p, n, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return TL_EFORMAT;
    }
    out->doc = o;
    tl_chat_response *r = &out->resp;
    r->error = TL_CALL_MALFORMED;
    const char *name = get_str(o, "error");
    for (int e = TL_CALL_OK; name && e <= TL_CALL_CANCELLED; e++)
        if (strcmp(name, tl_call_error_name((tl_call_error)e)) == 0)
            r->error = (tl_call_error)e;
    r->http_status = (int)json_integer_value(json_object_get(o, "http_status"));
    json_t *t = json_object_get(o, "text");
    if (json_is_string(t)) {
        r->text = json_string_value(t);
        r->text_len = json_string_length(t);
    }
    r->tokens_in = (int)json_integer_value(json_object_get(o, "tokens_in"));
    r->tokens_out = (int)json_integer_value(json_object_get(o, "tokens_out"));
    r->tokens_estimated = json_is_true(json_object_get(o, "tokens_estimated"));
    r->latency_ns = json_integer_value(json_object_get(o, "latency_ns"));
    r->retry_after_ms = json_object_get(o, "retry_after_ms")
                            ? json_integer_value(json_object_get(o, "retry_after_ms"))
                            : -1;
    r->remaining_requests = r->remaining_tokens = r->reset_ms = -1;
    r->message = get_str(o, "message");
    /* Workers before the flag said it with the message alone. */
    r->dead_letter =
        json_is_true(json_object_get(o, "dead_letter")) ||
        (r->error == TL_CALL_SERVER && r->message && strcmp(r->message, "dead_letter") == 0);
    return TL_OK;
}

void tl__dist_response_free(tl__dist_response *r)
{
    json_decref(r->doc);
    r->doc = NULL;
}
