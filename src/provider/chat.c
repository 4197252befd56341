/* The HTTP chat providers' shared machinery (chat_int.h).
 *
 * Lock order: a provider's lock, then the I/O loop's (send holds the
 * provider lock across tl_io_submit so that cancel always sees the current
 * io call id). The I/O thread calls back without holding either. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider/chat_int.h"
#include "util/str.h"

typedef struct chat_call {
    struct chat_call *next, *prev;
    tl__chat *p;
    uint64_t id, io_id;
    tl_chat_done_cb cb;
    void *ud;
    tl_chat_request req; /* strings below are owned copies */
    char *model, *system, *user;
    bool json_sent, reasked;
    bool cancelled; /* under the provider's lock */
    uint64_t start_ns;
    /* Streaming progress, on the I/O thread only: the start of an SSE line
     * whose end has not arrived yet, and the answer's bytes so far. */
    tl_buf line;
    bool line_lost; /* the line outgrew its buffer: skipped */
    size_t prog_chars;
} chat_call;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ------------------------------------------------------------ helpers */

tl_err tl__headers_add(char ***headers, size_t *n, const char *fmt, ...)
{
    char **h = realloc(*headers, (*n + 2) * sizeof *h);
    if (!h)
        return TL_ENOMEM;
    *headers = h;
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int len = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (len < 0) {
        h[*n] = NULL;
        return TL_ENOMEM;
    }
    h[(*n)++] = line;
    h[*n] = NULL;
    return TL_OK;
}

void tl__headers_free(char **headers)
{
    for (char **h = headers; h && *h; h++) {
        /* Header lines may hold a key: wipe before freeing. */
        memset(*h, 0, strlen(*h));
        free(*h);
    }
    free(headers);
}

void tl__sse_each(const char *body, size_t n, bool (*cb)(void *ud, const char *data, size_t dn),
                  void *ud)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && body[j] != '\n')
            j++;
        size_t len = j - i;
        if (len && body[i + len - 1] == '\r')
            len--;
        if (len >= 5 && memcmp(body + i, "data:", 5) == 0) {
            const char *d = body + i + 5;
            size_t dn = len - 5;
            if (dn && *d == ' ') {
                d++;
                dn--;
            }
            if (dn == 6 && memcmp(d, "[DONE]", 6) == 0)
                return;
            if (!cb(ud, d, dn))
                return;
        }
        i = j + 1;
    }
}

/* Masks p's key and anything that looks like a key ("sk-...", "Bearer ..."). */
static void redact(const tl__chat *p, char *s)
{
    if (p->key && strlen(p->key) >= 4) {
        size_t kn = strlen(p->key);
        for (char *k = strstr(s, p->key); k; k = strstr(k, p->key))
            memset(k, '*', kn);
    }
    static const char *const marks[] = {"sk-", "Bearer ", "bearer "};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t ml = strlen(marks[m]);
        for (char *k = strstr(s, marks[m]); k; k = strstr(k + ml, marks[m])) {
            char *q = k + ml;
            while (*q && *q != ' ' && *q != '"' && *q != '\'' && *q != ',' && *q != '.')
                *q++ = '*';
        }
    }
}

void tl__chat_error_message(const tl__chat *p, const char *body, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    json_t *root = json_loadb(body, n, 0, NULL);
    const char *m = NULL;
    if (root) {
        json_t *err = json_object_get(root, "error");
        m = json_string_value(json_object_get(err, "message"));
        if (!m)
            m = json_string_value(err);
        if (!m)
            m = json_string_value(json_object_get(root, "message"));
    }
    if (m)
        snprintf(out, cap, "%s", m);
    json_decref(root);
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    redact(p, out);
}

/* ------------------------------------------------------------ calls */

static void call_free(chat_call *c)
{
    if (!c)
        return;
    tl_buf_free(&c->line);
    free(c->model);
    free(c->system);
    free(c->user);
    free(c);
}

static void call_unlink(tl__chat *p, chat_call *c)
{
    pthread_mutex_lock(&p->lock);
    if (c->prev)
        c->prev->next = c->next;
    else if (p->calls == c)
        p->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    if (!p->calls)
        pthread_cond_broadcast(&p->drained);
    pthread_mutex_unlock(&p->lock);
}

static void io_done(void *ud, const tl_io_result *r);

static int estimate_tokens(size_t bytes)
{
    return (int)((bytes + 3) / 4);
}

/* One whole line of a stream: a "data:" event whose text the dialect
 * counts is reported. Only progress is taken from here; the answer itself
 * is parsed from the whole body at the end, as for a plain call. */
static void progress_line(chat_call *c, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (n < 5 || memcmp(s, "data:", 5) != 0)
        return;
    s += 5;
    n -= 5;
    if (n && *s == ' ') {
        s++;
        n--;
    }
    size_t add = c->p->d->delta(s, n);
    if (!add)
        return;
    c->prog_chars += add;
    tl_chat_progress pr = {c->prog_chars, estimate_tokens(c->prog_chars)};
    c->req.on_progress(c->req.progress_ud, &pr);
}

/* The I/O loop's on_data: a chunk of the body, cut anywhere. */
static void stream_data(void *ud, const char *p, size_t n)
{
    chat_call *c = ud;
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (!c->line_lost && (c->line.len || !nl) && tl_buf_append(&c->line, p, take) != TL_OK)
            c->line_lost = true;
        if (!nl)
            return;
        if (!c->line_lost)
            progress_line(c, c->line.len ? tl_buf_str(&c->line) : p,
                          c->line.len ? c->line.len : take);
        tl_buf_reset(&c->line);
        c->line_lost = false;
        p += take + 1;
        n -= take + 1;
    }
}

static tl_err call_send(chat_call *c)
{
    tl__chat *p = c->p;
    tl_buf url, body;
    tl_buf_init(&url, 8192);
    tl_buf_init(&body, 16u * 1024u * 1024u);
    char **headers = NULL;
    bool json = c->req.json && !atomic_load(&p->no_json);
    tl_err e = p->d->build(p, &c->req, json, &url, &headers, &body);
    if (e == TL_OK) {
        c->json_sent = json;
        tl_io_request ir = {0};
        ir.method = "POST";
        ir.url = tl_buf_str(&url);
        ir.headers = (const char *const *)headers;
        ir.body = tl_buf_str(&body);
        ir.body_len = body.len;
        ir.timeout_ms = c->req.timeout_ms > 0 ? c->req.timeout_ms : p->timeout_ms;
        /* Plain and streamed calls alike: see TL_PROVIDER_TIMEOUT_MS for
         * what the first byte means for each. */
        ir.connect_timeout_ms = p->connect_timeout_ms;
        ir.first_byte_timeout_ms = p->first_byte_timeout_ms;
        if (c->req.stream && c->req.on_progress) {
            /* A re-ask starts its answer again. */
            tl_buf_reset(&c->line);
            c->line_lost = false;
            c->prog_chars = 0;
            ir.on_data = stream_data;
        }
        pthread_mutex_lock(&p->lock);
        e = tl_io_submit(p->io, &ir, io_done, c, &c->io_id);
        pthread_mutex_unlock(&p->lock);
    }
    tl__headers_free(headers);
    tl_buf_free(&url);
    tl_buf_free(&body);
    return e;
}

static bool rejects_json_mode(const tl_io_result *r)
{
    if (r->http_status != 400 || !r->body)
        return false;
    return tl_str_ifind(r->body, r->body_len, "response_format") ||
           tl_str_ifind(r->body, r->body_len, "json_object") ||
           tl_str_ifind(r->body, r->body_len, "json mode");
}

static bool has_json(const char *s, size_t n)
{
    return memchr(s, '{', n) || memchr(s, '[', n);
}

static void io_done(void *ud, const tl_io_result *r)
{
    chat_call *c = ud;
    tl__chat *p = c->p;
    if (r->error == TL_CALL_CLIENT && c->json_sent && !c->reasked && rejects_json_mode(r)) {
        /* A server without JSON mode: remember, and ask again without
         * (unless the call was cancelled meanwhile). */
        atomic_store(&p->no_json, true);
        c->reasked = true;
        pthread_mutex_lock(&p->lock);
        bool cancelled = c->cancelled;
        pthread_mutex_unlock(&p->lock);
        if (!cancelled && call_send(c) == TL_OK)
            return;
    }
    tl_chat_response resp = {0};
    pthread_mutex_lock(&p->lock);
    bool cancelled = c->cancelled;
    pthread_mutex_unlock(&p->lock);
    resp.error = cancelled && r->error != TL_CALL_OK ? TL_CALL_CANCELLED : r->error;
    resp.http_status = r->http_status;
    resp.retry_after_ms = r->retry_after_ms;
    resp.remaining_requests = r->remaining_requests;
    resp.remaining_tokens = r->remaining_tokens;
    resp.reset_ms = r->reset_ms;
    resp.latency_ns = (int64_t)(now_ns() - c->start_ns);
    resp.text = "";
    char msg[256], detail[200];
    msg[0] = '\0';
    tl_buf text;
    tl_buf_init(&text, 16u * 1024u * 1024u);
    int tin = -1, tout = -1;
    if (r->error == TL_CALL_OK) {
        resp.error = p->d->parse(r->body, r->body_len, c->req.stream, &text, &tin, &tout, detail,
                                 sizeof detail);
        if (resp.error == TL_CALL_OK && c->req.json && !has_json(tl_buf_str(&text), text.len)) {
            resp.error = TL_CALL_MALFORMED;
            snprintf(detail, sizeof detail, "the answer holds no JSON");
        }
        if (resp.error != TL_CALL_OK) {
            redact(p, detail);
            snprintf(msg, sizeof msg, "%s: %s", p->base.name, detail);
        }
    } else if (r->http_status) {
        tl__chat_error_message(p, r->body, r->body_len, detail, sizeof detail);
        snprintf(msg, sizeof msg, "%s: HTTP %d%s%s", p->base.name, r->http_status,
                 detail[0] ? ": " : "", detail);
    } else {
        snprintf(detail, sizeof detail, "%s", r->message ? r->message : "");
        redact(p, detail);
        snprintf(msg, sizeof msg, "%s: %s", p->base.name, detail);
    }
    resp.message = msg;
    if (resp.error == TL_CALL_OK) {
        resp.text = tl_buf_str(&text);
        resp.text_len = text.len;
    }
    int est_in = c->req.tokens_in_estimate > 0
                     ? c->req.tokens_in_estimate
                     : estimate_tokens((c->system ? strlen(c->system) : 0) + strlen(c->user));
    resp.tokens_estimated = tin < 0 || tout < 0;
    resp.tokens_in = tin >= 0 ? tin : est_in;
    resp.tokens_out = tout >= 0 ? tout : estimate_tokens(text.len);
    /* The callback runs before the call leaves the list, so that destroy
     * (which waits for the list to empty) never returns while a callback
     * of this provider is still running. */
    c->cb(c->ud, &resp);
    tl_buf_free(&text);
    call_unlink(p, c);
    call_free(c);
}

/* ------------------------------------------------------------ ops */

static tl_err chat_submit(tl_provider *base, const tl_chat_request *req, tl_chat_done_cb cb,
                          void *ud, uint64_t *call_id)
{
    tl__chat *p = (tl__chat *)base;
    if (!req || !req->user || !cb)
        return TL_EINVAL;
    chat_call *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->p = p;
    c->cb = cb;
    c->ud = ud;
    c->req = *req;
    c->req.stream = req->stream || p->stream;
    tl_buf_init(&c->line, 1u << 20); /* an event past 1 MiB is not counted */
    c->model = dup_or_null(req->model ? req->model : p->model);
    c->system = dup_or_null(req->system);
    c->user = strdup(req->user);
    if (!c->model || (req->system && !c->system) || !c->user) {
        call_free(c);
        return TL_ENOMEM;
    }
    c->req.model = c->model;
    c->req.system = c->system;
    c->req.user = c->user;
    c->id = atomic_fetch_add(&p->next_id, 1);
    c->start_ns = now_ns();
    pthread_mutex_lock(&p->lock);
    c->next = p->calls;
    if (p->calls)
        p->calls->prev = c;
    p->calls = c;
    pthread_mutex_unlock(&p->lock);
    if (call_id)
        *call_id = c->id;
    tl_err e = call_send(c);
    if (e != TL_OK) {
        call_unlink(p, c);
        call_free(c);
    }
    return e;
}

static void chat_cancel(tl_provider *base, uint64_t call_id)
{
    tl__chat *p = (tl__chat *)base;
    uint64_t io_id = 0;
    pthread_mutex_lock(&p->lock);
    for (chat_call *c = p->calls; c; c = c->next)
        if (c->id == call_id) {
            io_id = c->io_id;
            c->cancelled = true;
            break;
        }
    pthread_mutex_unlock(&p->lock);
    if (io_id)
        tl_io_cancel(p->io, io_id);
}

static void chat_destroy(tl_provider *base)
{
    tl__chat *p = (tl__chat *)base;
    if (p->io) {
        /* Cancel what is in flight and wait for the callbacks (they run on
         * the I/O thread, with TL_CALL_CANCELLED). */
        pthread_mutex_lock(&p->lock);
        for (chat_call *c = p->calls; c; c = c->next) {
            c->cancelled = true;
            tl_io_cancel(p->io, c->io_id);
        }
        while (p->calls)
            pthread_cond_wait(&p->drained, &p->lock);
        pthread_mutex_unlock(&p->lock);
    }
    if (p->shared_io)
        tl_io_shared_release(p->io);
    pthread_cond_destroy(&p->drained);
    pthread_mutex_destroy(&p->lock);
    if (p->key) {
        memset(p->key, 0, strlen(p->key));
        free(p->key);
    }
    free(p->base_url);
    free(p->model);
    free(p->version);
    free((char *)p->base.name);
    free(p);
}

static const tl_provider_ops chat_ops = {chat_submit, chat_cancel, chat_destroy};

tl_err tl__chat_create(const tl__dialect *d, tl_io *io, const char *name, const char *base_url,
                       const char *key, const char *model, const char *version,
                       const tl__chat_timeouts *t, int max_tokens, tl__chat **out)
{
    tl__chat *p = calloc(1, sizeof *p);
    if (!p)
        return TL_ENOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return TL_ENOMEM;
    }
    if (pthread_cond_init(&p->drained, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return TL_ENOMEM;
    }
    p->d = d;
    p->base.ops = &chat_ops;
    atomic_init(&p->next_id, 1);
    atomic_init(&p->no_json, false);
    p->timeout_ms = t && t->total_ms > 0 ? t->total_ms : TL_PROVIDER_TIMEOUT_MS;
    p->connect_timeout_ms = t && t->connect_ms > 0 ? t->connect_ms : TL_PROVIDER_CONNECT_TIMEOUT_MS;
    p->first_byte_timeout_ms =
        t && t->first_byte_ms > 0 ? t->first_byte_ms : TL_PROVIDER_FIRST_BYTE_TIMEOUT_MS;
    p->max_tokens = max_tokens > 0 ? max_tokens : 2048;
    /* Trailing slashes off the base URL: paths are appended with one. */
    p->base_url = strdup(base_url);
    p->model = strdup(model);
    p->base.name = strdup(name);
    p->key = key && *key ? strdup(key) : NULL;
    p->version = dup_or_null(version);
    if (!p->base_url || !p->model || !p->base.name || (key && *key && !p->key) ||
        (version && !p->version))
        goto fail;
    for (size_t n = strlen(p->base_url); n > 0 && p->base_url[n - 1] == '/'; n--)
        p->base_url[n - 1] = '\0';
    p->base.model = p->model;
    if (io) {
        p->io = io;
    } else {
        if (tl_io_shared_acquire(&p->io) != TL_OK)
            goto fail;
        p->shared_io = true;
    }
    *out = p;
    return TL_OK;
fail:
    chat_destroy(&p->base);
    return TL_ENOMEM;
}
