/* One Redis connection that reconnects by itself (see redis_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dist/dist.h"
#include "dist/redis_int.h"
#include "util/log.h"

tl_err tl_dist_parse_url(const char *url, char *host, size_t host_cap, int *port, int *db)
{
    if (!url || strncmp(url, "redis://", 8) != 0)
        return TL_EINVAL;
    const char *p = url + 8;
    size_t hn = strcspn(p, ":/");
    if (hn == 0 || hn >= host_cap)
        return TL_EINVAL;
    long prt = 6379, d = 0;
    const char *q = p + hn;
    if (*q == ':') {
        errno = 0;
        char *end = NULL;
        prt = strtol(q + 1, &end, 10);
        if (errno || end == q + 1 || prt <= 0 || prt > 65535)
            return TL_EINVAL;
        q = end;
    }
    if (*q == '/' && q[1]) {
        errno = 0;
        char *end = NULL;
        d = strtol(q + 1, &end, 10);
        if (errno || *end || d < 0 || d > 1000)
            return TL_EINVAL;
        q = end;
    } else if (*q == '/') {
        q++;
    }
    if (*q)
        return TL_EINVAL;
    memcpy(host, p, hn);
    host[hn] = '\0';
    *port = (int)prt;
    *db = (int)d;
    return TL_OK;
}

static struct timeval tv_ms(int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

/* Called with r->mu held. */
static tl_err connect_locked(tl__redis *r)
{
    if (r->c) {
        redisFree(r->c);
        r->c = NULL;
    }
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv_ms(r->timeout_ms));
    if (!c)
        return TL_ENOMEM;
    if (c->err) {
        tl_warn("msg=\"redis: cannot connect\" host=%s port=%d error=\"%s\"", r->host, r->port,
                c->errstr);
        redisFree(c);
        return TL_EIO;
    }
    redisSetTimeout(c, tv_ms(r->timeout_ms));
    if (r->db) {
        redisReply *rep = redisCommand(c, "SELECT %d", r->db);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            redisFree(c);
            return TL_EIO;
        }
    }
    r->c = c;
    if (r->ever) {
        r->epoch++;
        tl_info("msg=\"redis: reconnected\" host=%s port=%d", r->host, r->port);
    }
    r->ever = true;
    return TL_OK;
}

tl_err tl__redis_open(tl__redis **out, const char *url, int timeout_ms)
{
    tl__redis *r = calloc(1, sizeof *r);
    if (!r)
        return TL_ENOMEM;
    tl_err e = tl_dist_parse_url(url, r->host, sizeof r->host, &r->port, &r->db);
    if (e) {
        free(r);
        return e;
    }
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r);
        return TL_ENOMEM;
    }
    if ((e = connect_locked(r)) != TL_OK) {
        tl__redis_close(r);
        return e;
    }
    *out = r;
    return TL_OK;
}

void tl__redis_close(tl__redis *r)
{
    if (!r)
        return;
    if (r->c)
        redisFree(r->c);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

uint64_t tl__redis_epoch(tl__redis *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t e = r->epoch;
    pthread_mutex_unlock(&r->mu);
    return e;
}

tl_err tl__redis_cmd(tl__redis *r, redisReply **reply, int extra_ms, int argc, const char **argv,
                     const size_t *lens)
{
    pthread_mutex_lock(&r->mu);
    tl_err e = TL_EIO;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!r->c && (e = connect_locked(r)) != TL_OK)
            break;
        redisSetTimeout(r->c, tv_ms(r->timeout_ms + extra_ms));
        redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);
        if (extra_ms)
            redisSetTimeout(r->c, tv_ms(r->timeout_ms));
        if (rep) {
            *reply = rep;
            e = TL_OK;
            break;
        }
        /* A blocking read that timed out is no broken connection, but the
         * context cannot be used again either: reconnect, do not repeat. */
        bool timed_out = r->c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        tl_warn("msg=\"redis: command failed\" command=%s error=\"%s\"", argv[0], r->c->errstr);
        redisFree(r->c);
        r->c = NULL;
        e = TL_EIO;
        if (timed_out)
            break;
    }
    pthread_mutex_unlock(&r->mu);
    return e;
}

tl_err tl__redis_cmdv(tl__redis *r, redisReply **reply, int extra_ms, int argc, const char **argv)
{
    size_t lens[32];
    if (argc > 32)
        return TL_EINVAL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return tl__redis_cmd(r, reply, extra_ms, argc, argv, lens);
}

tl_err tl__redis_script(tl__redis *r, const char *script, char sha[41], redisReply **reply,
                        int argc, const char **argv, const size_t *lens)
{
    enum { MAXA = 24 };
    if (argc + 2 > MAXA)
        return TL_EINVAL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!sha[0]) {
            const char *la[] = {"SCRIPT", "LOAD", script};
            redisReply *rep = NULL;
            tl_err e = tl__redis_cmdv(r, &rep, 0, 3, la);
            if (e)
                return e;
            bool ok = rep->type == REDIS_REPLY_STRING && rep->len == 40;
            if (ok)
                memcpy(sha, rep->str, 41);
            else
                tl_error("msg=\"redis: script load failed\" error=\"%s\"",
                         rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
            freeReplyObject(rep);
            if (!ok)
                return TL_EINTERNAL;
        }
        const char *a[MAXA];
        size_t l[MAXA];
        a[0] = "EVALSHA";
        l[0] = 7;
        a[1] = sha;
        l[1] = 40;
        for (int i = 0; i < argc; i++) {
            a[i + 2] = argv[i];
            l[i + 2] = lens ? lens[i] : strlen(argv[i]);
        }
        redisReply *rep = NULL;
        tl_err e = tl__redis_cmd(r, &rep, 0, argc + 2, a, l);
        if (e)
            return e;
        if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject(rep);
            sha[0] = '\0';
            continue;
        }
        *reply = rep;
        return TL_OK;
    }
    return TL_EIO;
}
