/* The providers' I/O loop (see io.h).
 *
 * Locking rules: `lock` guards the pending queue, the cancel list, the stop
 * flag and nothing else. Everything the loop thread touches (the multi
 * handle, the active list, every call once queued) belongs to the loop
 * thread alone; submit hands a call over by queueing it and waking the
 * loop with curl_multi_wakeup. Callbacks run on the loop thread with no
 * lock held, so they may submit and cancel. */
#include "provider/io.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/str.h"

typedef struct io_call {
    struct io_call *next, *prev;
    uint64_t id;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;
    tl_buf resp;
    bool too_big, added;
    bool got_body;        /* a byte of the body has arrived */
    uint64_t fb_deadline; /* no body byte by then: timeout; 0 = none */
    int64_t retry_after_ms, rem_req, rem_tok, reset_req_ms, reset_tok_ms;
    uint64_t start_ns;
    tl_io_done_cb cb;
    void *ud;
    void (*on_data)(void *ud, const char *p, size_t n);
    char errbuf[CURL_ERROR_SIZE];
    char msg[160];
} io_call;

struct tl_io {
    tl_io_opts opts;
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t lock;
    io_call *pending_head, *pending_tail; /* under lock */
    uint64_t *cancels;                    /* under lock */
    size_t n_cancels, cap_cancels;
    bool stop;       /* under lock */
    io_call *active; /* loop thread only */
    _Atomic uint64_t next_id, submitted, completed, cancelled, connects;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ curl global */

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned global_users;

static tl_err global_acquire(void)
{
    tl_err e = TL_OK;
    pthread_mutex_lock(&global_lock);
    if (global_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        e = TL_ENOMEM;
    else
        global_users++;
    pthread_mutex_unlock(&global_lock);
    return e;
}

static void global_release(void)
{
    pthread_mutex_lock(&global_lock);
    if (global_users && --global_users == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&global_lock);
}

/* ------------------------------------------------------------ parsing */

int64_t tl_io_parse_duration_ms(const char *v)
{
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (!*v)
        return -1;
    double total = 0;
    bool any = false;
    const char *p = v;
    while (*p && *p != '\r' && *p != '\n' && *p != ' ') {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || x < 0 || x > 1e9)
            return -1;
        p = end;
        double mult;
        if (p[0] == 'm' && p[1] == 's') {
            mult = 1;
            p += 2;
        } else if (p[0] == 'u' && p[1] == 's') {
            mult = 0.001;
            p += 2;
        } else if (p[0] == 'n' && p[1] == 's') {
            mult = 0.000001;
            p += 2;
        } else if (*p == 's') {
            mult = 1000;
            p++;
        } else if (*p == 'm') {
            mult = 60000;
            p++;
        } else if (*p == 'h') {
            mult = 3600000;
            p++;
        } else if (!*p || *p == '\r' || *p == '\n' || *p == ' ') {
            if (any)
                return -1; /* "1m5" */
            mult = 1000;   /* a bare number is seconds */
        } else {
            return -1;
        }
        total += x * mult;
        any = true;
    }
    if (!any || total > 1e12)
        return -1;
    return (int64_t)(total + 0.5);
}

int64_t tl_io_parse_retry_after(const char *v, int64_t now_s)
{
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        errno = 0;
        double s = strtod(v, &end);
        while (*end == ' ' || *end == '\r' || *end == '\n' || *end == '\t')
            end++;
        if (errno || *end || s < 0 || s > 1e9)
            return -1;
        return (int64_t)(s * 1000 + 0.5);
    }
    char tmp[64];
    size_t n = strcspn(v, "\r\n");
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    time_t t = curl_getdate(tmp, NULL);
    if (t == (time_t)-1)
        return -1;
    int64_t d = (int64_t)t - now_s;
    return d <= 0 ? 0 : d * 1000;
}

/* RFC 3339 ("2026-12-03T18:00:05Z") to ms from now; -1 when unusable. */
static int64_t parse_rfc3339_from_now(const char *v)
{
    int y, mo, d, h, mi;
    double s;
    if (sscanf(v, " %4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &s) != 6)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = 0;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double ms = ((double)t + s - (double)now.tv_sec) * 1000.0 - now.tv_nsec / 1e6;
    return ms <= 0 ? 0 : (int64_t)ms;
}

static int64_t parse_count(const char *v)
{
    while (*v == ' ')
        v++;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || errno || x < 0)
        return -1;
    return (int64_t)x;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
    io_call *c = ud;
    size_t n = size * nitems;
    char line[512];
    size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, p, m);
    line[m] = '\0';
    if (tl_str_istarts(line, "HTTP/")) {
        /* A new header block (after 100 Continue or a redirect). */
        c->retry_after_ms = c->rem_req = c->rem_tok = c->reset_req_ms = c->reset_tok_ms = -1;
        return n;
    }
    char *colon = strchr(line, ':');
    if (!colon)
        return n;
    *colon = '\0';
    const char *name = line, *val = colon + 1;
    while (*val == ' ')
        val++;
    char *cr = strpbrk(colon + 1, "\r\n");
    if (cr)
        *cr = '\0';
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    if (tl_str_ieq(name, "retry-after")) {
        int64_t ms = tl_io_parse_retry_after(val, (int64_t)rt.tv_sec);
        if (ms >= 0 && c->retry_after_ms < 0)
            c->retry_after_ms = ms;
    } else if (tl_str_ieq(name, "retry-after-ms")) {
        char *end;
        double ms = strtod(val, &end);
        if (end != val && ms >= 0 && ms < 1e12)
            c->retry_after_ms = (int64_t)ms; /* more precise: wins */
    } else if (tl_str_ieq(name, "x-ratelimit-remaining-requests") ||
               tl_str_ieq(name, "anthropic-ratelimit-requests-remaining")) {
        c->rem_req = parse_count(val);
    } else if (tl_str_ieq(name, "x-ratelimit-remaining-tokens") ||
               tl_str_ieq(name, "anthropic-ratelimit-tokens-remaining")) {
        c->rem_tok = parse_count(val);
    } else if (tl_str_ieq(name, "x-ratelimit-reset-requests")) {
        c->reset_req_ms = tl_io_parse_duration_ms(val);
    } else if (tl_str_ieq(name, "x-ratelimit-reset-tokens")) {
        c->reset_tok_ms = tl_io_parse_duration_ms(val);
    } else if (tl_str_ieq(name, "anthropic-ratelimit-requests-reset")) {
        c->reset_req_ms = parse_rfc3339_from_now(val);
    } else if (tl_str_ieq(name, "anthropic-ratelimit-tokens-reset")) {
        c->reset_tok_ms = parse_rfc3339_from_now(val);
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    io_call *c = ud;
    size_t n = size * nmemb;
    if (n)
        c->got_body = true;
    if (tl_buf_append(&c->resp, p, n) != TL_OK) {
        c->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (c->on_data)
        c->on_data(c->ud, p, n);
    return n;
}

/* ------------------------------------------------------------ calls */

static void call_free(io_call *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->hdrs);
    free(c->body);
    tl_buf_free(&c->resp);
    free(c);
}

static tl_call_error classify_status(int status)
{
    if (status >= 200 && status < 300)
        return TL_CALL_OK;
    if (status == 408)
        return TL_CALL_TIMEOUT;
    if (status == 429)
        return TL_CALL_RATE_LIMITED;
    if (status >= 400 && status < 500)
        return TL_CALL_CLIENT;
    return TL_CALL_SERVER; /* 5xx, 529 included; 1xx/3xx are not answers we can use */
}

static tl_call_error classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return TL_CALL_TIMEOUT;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT: return TL_CALL_CLIENT;
    default: return TL_CALL_SERVER; /* connect, reset, DNS, TLS, empty reply */
    }
}

/* Reports c (already out of the multi handle and the active list). */
static void call_finish(tl_io *io, io_call *c, CURLcode rc, bool cancelled)
{
    tl_io_result r = {0};
    long status = 0;
    if (c->easy && !cancelled) {
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        long nc = 0;
        if (curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK && nc > 0)
            atomic_fetch_add(&io->connects, (uint64_t)nc);
    }
    r.http_status = (int)status;
    r.message = "";
    if (cancelled) {
        r.error = TL_CALL_CANCELLED;
        r.message = "cancelled";
    } else if (c->too_big) {
        r.error = TL_CALL_MALFORMED;
        r.message = "answer too large";
    } else if (rc != CURLE_OK) {
        r.error = classify_curl(rc);
        snprintf(c->msg, sizeof c->msg, "%.150s",
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
        r.message = c->msg;
    } else {
        r.error = classify_status((int)status);
        if (r.error != TL_CALL_OK) {
            snprintf(c->msg, sizeof c->msg, "HTTP %ld", status);
            r.message = c->msg;
        }
    }
    r.body = tl_buf_str(&c->resp);
    r.body_len = c->resp.len;
    r.latency_ns = (int64_t)(now_ns() - c->start_ns);
    r.retry_after_ms = c->retry_after_ms;
    r.remaining_requests = c->rem_req;
    r.remaining_tokens = c->rem_tok;
    if (c->rem_req == 0 && c->reset_req_ms >= 0)
        r.reset_ms = c->reset_req_ms;
    else if (c->rem_tok == 0 && c->reset_tok_ms >= 0)
        r.reset_ms = c->reset_tok_ms;
    else if (c->reset_req_ms >= 0 && c->reset_tok_ms >= 0)
        r.reset_ms = c->reset_req_ms < c->reset_tok_ms ? c->reset_req_ms : c->reset_tok_ms;
    else
        r.reset_ms = c->reset_req_ms >= 0 ? c->reset_req_ms : c->reset_tok_ms;
    if (cancelled)
        atomic_fetch_add(&io->cancelled, 1);
    atomic_fetch_add(&io->completed, 1);
    c->cb(c->ud, &r);
    call_free(c);
}

static void active_unlink(tl_io *io, io_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        io->active = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

static void call_remove(tl_io *io, io_call *c)
{
    if (c->added)
        curl_multi_remove_handle(io->multi, c->easy);
    c->added = false;
    active_unlink(io, c);
}

/* ------------------------------------------------------------ the loop */

static void *loop_main(void *arg)
{
    tl_io *io = arg;
    for (;;) {
        pthread_mutex_lock(&io->lock);
        io_call *pend = io->pending_head;
        io->pending_head = io->pending_tail = NULL;
        uint64_t *cancels = io->cancels;
        size_t n_cancels = io->n_cancels;
        io->cancels = NULL;
        io->n_cancels = io->cap_cancels = 0;
        bool stop = io->stop;
        pthread_mutex_unlock(&io->lock);

        while (pend) {
            io_call *c = pend;
            pend = c->next;
            c->next = io->active;
            c->prev = NULL;
            if (io->active)
                io->active->prev = c;
            io->active = c;
            if (curl_multi_add_handle(io->multi, c->easy) == CURLM_OK) {
                c->added = true;
            } else {
                active_unlink(io, c);
                call_finish(io, c, CURLE_OUT_OF_MEMORY, false);
            }
        }
        for (size_t i = 0; i < n_cancels; i++) {
            for (io_call *c = io->active; c; c = c->next) {
                if (c->id == cancels[i]) {
                    call_remove(io, c);
                    call_finish(io, c, CURLE_OK, true);
                    break;
                }
            }
        }
        free(cancels);
        if (stop) {
            while (io->active) {
                io_call *c = io->active;
                call_remove(io, c);
                call_finish(io, c, CURLE_OK, true);
            }
            /* Calls submitted by those callbacks are cancelled too. */
            pthread_mutex_lock(&io->lock);
            pend = io->pending_head;
            io->pending_head = io->pending_tail = NULL;
            pthread_mutex_unlock(&io->lock);
            if (!pend)
                break;
            while (pend) {
                io_call *c = pend;
                pend = c->next;
                call_finish(io, c, CURLE_OK, true);
            }
            continue;
        }

        int running = 0;
        curl_multi_perform(io->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(io->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            io_call *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            CURLcode rc = m->data.result;
            if (!c)
                continue;
            call_remove(io, c);
            call_finish(io, c, rc, false);
        }
        /* First-byte deadlines: libcurl's low-speed check averages over
         * several seconds (and counts headers), so the loop keeps the
         * deadline itself. */
        uint64_t now = now_ns();
        int wait_ms = 1000;
        for (io_call *c = io->active, *next; c; c = next) {
            next = c->next;
            if (!c->fb_deadline || c->got_body)
                continue;
            if (now >= c->fb_deadline) {
                call_remove(io, c);
                snprintf(c->errbuf, sizeof c->errbuf, "no answer within the first-byte timeout");
                call_finish(io, c, CURLE_OPERATION_TIMEDOUT, false);
                continue;
            }
            uint64_t left_ms = (c->fb_deadline - now) / 1000000u + 1;
            if (left_ms < (uint64_t)wait_ms)
                wait_ms = (int)left_ms;
        }
        curl_multi_poll(io->multi, NULL, 0, wait_ms, NULL);
    }
    return NULL;
}

void tl_io_opts_default(tl_io_opts *o)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    o->first_byte_timeout_ms = 60000;
    o->total_timeout_ms = 120000;
    o->max_host_connections = 256;
    o->max_connections = 256;
    o->max_response_bytes = 8u * 1024u * 1024u;
}

tl_err tl_io_create(tl_io **out, const tl_io_opts *opts)
{
    if (!out)
        return TL_EINVAL;
    tl_io_opts d;
    tl_io_opts_default(&d);
    if (opts) {
        if (opts->connect_timeout_ms > 0)
            d.connect_timeout_ms = opts->connect_timeout_ms;
        if (opts->first_byte_timeout_ms)
            d.first_byte_timeout_ms = opts->first_byte_timeout_ms;
        if (opts->total_timeout_ms > 0)
            d.total_timeout_ms = opts->total_timeout_ms;
        if (opts->max_host_connections)
            d.max_host_connections = opts->max_host_connections;
        if (opts->max_connections)
            d.max_connections = opts->max_connections;
        if (opts->max_response_bytes)
            d.max_response_bytes = opts->max_response_bytes;
    }
    if (global_acquire() != TL_OK)
        return TL_ENOMEM;
    tl_io *io = calloc(1, sizeof *io);
    if (!io) {
        global_release();
        return TL_ENOMEM;
    }
    io->opts = d;
    atomic_init(&io->next_id, 1);
    tl_err e = TL_ENOMEM;
    if (pthread_mutex_init(&io->lock, NULL) != 0) {
        free(io);
        global_release();
        return TL_ENOMEM;
    }
    io->multi = curl_multi_init();
    if (!io->multi)
        goto fail;
    curl_multi_setopt(io->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(io->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)d.max_host_connections);
    curl_multi_setopt(io->multi, CURLMOPT_MAXCONNECTS, (long)d.max_connections);
    if (pthread_create(&io->thread, NULL, loop_main, io) != 0)
        goto fail;
    *out = io;
    return TL_OK;
fail:
    if (io->multi)
        curl_multi_cleanup(io->multi);
    pthread_mutex_destroy(&io->lock);
    free(io);
    global_release();
    return e;
}

void tl_io_destroy(tl_io *io)
{
    if (!io)
        return;
    pthread_mutex_lock(&io->lock);
    io->stop = true;
    pthread_mutex_unlock(&io->lock);
    curl_multi_wakeup(io->multi);
    pthread_join(io->thread, NULL);
    free(io->cancels);
    curl_multi_cleanup(io->multi);
    pthread_mutex_destroy(&io->lock);
    free(io);
    global_release();
}

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static tl_io *shared_io;
static unsigned shared_users;

tl_err tl_io_shared_acquire(tl_io **out)
{
    if (!out)
        return TL_EINVAL;
    tl_err e = TL_OK;
    pthread_mutex_lock(&shared_lock);
    if (!shared_io)
        e = tl_io_create(&shared_io, NULL);
    if (e == TL_OK) {
        shared_users++;
        *out = shared_io;
    }
    pthread_mutex_unlock(&shared_lock);
    return e;
}

void tl_io_shared_release(tl_io *io)
{
    if (!io)
        return;
    tl_io *dead = NULL;
    pthread_mutex_lock(&shared_lock);
    if (io == shared_io && shared_users && --shared_users == 0) {
        dead = shared_io;
        shared_io = NULL;
    }
    pthread_mutex_unlock(&shared_lock);
    tl_io_destroy(dead);
}

tl_err tl_io_submit(tl_io *io, const tl_io_request *req, tl_io_done_cb cb, void *ud, uint64_t *id)
{
    if (!io || !req || !req->url || !cb)
        return TL_EINVAL;
    io_call *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    tl_buf_init(&c->resp, io->opts.max_response_bytes);
    c->retry_after_ms = c->rem_req = c->rem_tok = c->reset_req_ms = c->reset_tok_ms = -1;
    c->cb = cb;
    c->ud = ud;
    c->on_data = req->on_data;
    c->easy = curl_easy_init();
    if (!c->easy)
        goto fail;
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *l = curl_slist_append(c->hdrs, *h);
        if (!l)
            goto fail;
        c->hdrs = l;
    }
    CURL *e = c->easy;
    bool post = req->body || (req->method && strcmp(req->method, "POST") == 0);
    if (post) {
        c->body = malloc(req->body_len + 1);
        if (!c->body)
            goto fail;
        if (req->body_len)
            memcpy(c->body, req->body, req->body_len);
        c->body[req->body_len] = '\0';
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
        goto fail;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    long connect =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : io->opts.connect_timeout_ms;
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect);
    long total = req->timeout_ms > 0 ? req->timeout_ms : io->opts.total_timeout_ms;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total);
    int fb =
        req->first_byte_timeout_ms ? req->first_byte_timeout_ms : io->opts.first_byte_timeout_ms;
    if (fb > 0) {
        /* Stalls after the first byte: libcurl's low-speed limit. */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((fb + 999) / 1000));
    }
    c->id = atomic_fetch_add(&io->next_id, 1);
    c->start_ns = now_ns();
    if (fb > 0)
        c->fb_deadline = c->start_ns + (uint64_t)fb * 1000000u;
    if (id)
        *id = c->id;
    atomic_fetch_add(&io->submitted, 1);
    pthread_mutex_lock(&io->lock);
    if (io->stop) {
        pthread_mutex_unlock(&io->lock);
        atomic_fetch_sub(&io->submitted, 1);
        call_free(c);
        return TL_EINVAL;
    }
    c->next = NULL;
    if (io->pending_tail)
        io->pending_tail->next = c;
    else
        io->pending_head = c;
    io->pending_tail = c;
    pthread_mutex_unlock(&io->lock);
    curl_multi_wakeup(io->multi);
    return TL_OK;
fail:
    call_free(c);
    return TL_ENOMEM;
}

void tl_io_cancel(tl_io *io, uint64_t id)
{
    if (!io || id == 0)
        return;
    pthread_mutex_lock(&io->lock);
    if (io->n_cancels == io->cap_cancels) {
        size_t cap = io->cap_cancels ? io->cap_cancels * 2 : 16;
        uint64_t *p = realloc(io->cancels, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&io->lock);
            return; /* the call runs to its end instead */
        }
        io->cancels = p;
        io->cap_cancels = cap;
    }
    io->cancels[io->n_cancels++] = id;
    pthread_mutex_unlock(&io->lock);
    curl_multi_wakeup(io->multi);
}

void tl_io_stats_get(tl_io *io, tl_io_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!io)
        return;
    st->submitted = atomic_load(&io->submitted);
    st->completed = atomic_load(&io->completed);
    st->cancelled = atomic_load(&io->cancelled);
    st->in_flight = (unsigned)(st->submitted - st->completed);
    st->connects = atomic_load(&io->connects);
}
