/* State shared by processes through Redis: the cache tier below each
 * process's in-memory cache, and per-provider token buckets (dist.h). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "dist/redis_int.h"
#include "util/log.h"

enum { KEY_CAP = 192 };

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- cache tier ---- */

/* Deletes the lock only if it still holds our token (it may have expired
 * and been taken by another process meanwhile). */
static const char unlock_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                 "  return redis.call('DEL', KEYS[1])\n"
                                 "end\n"
                                 "return 0\n";

struct tl_dist_cache {
    tl__redis *r;
    tl_dist_cache_opts o;
    char prefix[64];
    char token[40]; /* this handle's lock token */
    char sha[41];
};

void tl_dist_cache_opts_default(tl_dist_cache_opts *o)
{
    memset(o, 0, sizeof *o);
    o->prefix = "tailor";
    o->ttl_ms = 3600000;
    o->lock_ms = 30000;
    o->poll_ms = 10;
    o->timeout_ms = 2000;
}

tl_err tl_dist_cache_create(tl_dist_cache **out, const tl_dist_cache_opts *opts)
{
    if (!out || !opts || !opts->url)
        return TL_EINVAL;
    tl_dist_cache_opts d;
    tl_dist_cache_opts_default(&d);
    tl_dist_cache *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->o = *opts;
    if (!c->o.prefix)
        c->o.prefix = d.prefix;
    if (!c->o.ttl_ms)
        c->o.ttl_ms = d.ttl_ms;
    if (!c->o.lock_ms)
        c->o.lock_ms = d.lock_ms;
    if (c->o.poll_ms <= 0)
        c->o.poll_ms = d.poll_ms;
    if (c->o.timeout_ms <= 0)
        c->o.timeout_ms = d.timeout_ms;
    if (strlen(c->o.prefix) >= sizeof c->prefix) {
        free(c);
        return TL_EINVAL;
    }
    snprintf(c->prefix, sizeof c->prefix, "%s", c->o.prefix);
    c->o.prefix = c->prefix;
    uint64_t rnd[2] = {0, 0};
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        static atomic_uint_fast64_t seq;
        rnd[0] = (uint64_t)getpid() << 32 ^ now_ms();
        rnd[1] = atomic_fetch_add(&seq, 1);
    }
    snprintf(c->token, sizeof c->token, "%016" PRIx64 "%016" PRIx64, rnd[0], rnd[1]);
    tl_err e = tl__redis_open(&c->r, c->o.url, c->o.timeout_ms);
    if (e) {
        free(c);
        return e;
    }
    *out = c;
    return TL_OK;
}

void tl_dist_cache_destroy(tl_dist_cache *c)
{
    if (!c)
        return;
    tl__redis_close(c->r);
    free(c);
}

static void key_name(const tl_dist_cache *c, const char *kind, tl_cache_key k, char out[KEY_CAP])
{
    snprintf(out, KEY_CAP, "%s:%s:%016" PRIx64 "%016" PRIx64, c->prefix, kind, k.hi, k.lo);
}

tl_err tl_dist_cache_get(tl_dist_cache *c, tl_cache_key key, tl_buf *out)
{
    char k[KEY_CAP];
    key_name(c, "cache", key, k);
    const char *a[] = {"GET", k};
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(c->r, &rep, 0, 2, a);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_STRING)
        e = tl_buf_append(out, rep->str, rep->len);
    else
        e = rep->type == REDIS_REPLY_NIL ? TL_ENOTFOUND : TL_EIO;
    freeReplyObject(rep);
    return e;
}

tl_err tl_dist_cache_put(tl_dist_cache *c, tl_cache_key key, const void *value, size_t len,
                         uint64_t ttl_ms)
{
    if (!value && len)
        return TL_EINVAL;
    char k[KEY_CAP], ttl[24];
    key_name(c, "cache", key, k);
    snprintf(ttl, sizeof ttl, "%" PRIu64, ttl_ms ? ttl_ms : c->o.ttl_ms);
    const char *a[] = {"SET", k, value ? value : "", "PX", ttl};
    size_t l[] = {3, strlen(k), len, 2, strlen(ttl)};
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmd(c->r, &rep, 0, 5, a, l);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_ERROR)
        e = TL_EIO;
    freeReplyObject(rep);
    return e;
}

/* SET lock NX PX: *got when this handle now holds it. */
static tl_err try_lock(tl_dist_cache *c, const char *lk, bool *got)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%" PRIu64, c->o.lock_ms);
    const char *a[] = {"SET", lk, c->token, "NX", "PX", ms};
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(c->r, &rep, 0, 6, a);
    if (e)
        return e;
    *got = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    return TL_OK;
}

/* Best effort: a lock left behind expires after lock_ms anyway. */
static void release_quiet(tl_dist_cache *c, tl_cache_key key)
{
    tl_err e = tl_dist_cache_release(c, key);
    if (e)
        tl_warn("msg=\"redis: cache lock not released\" error=\"%s\"", tl_strerror(e));
}

tl_err tl_dist_cache_acquire(tl_dist_cache *c, tl_cache_key key, tl_buf *out, int wait_ms,
                             tl_cache_acq *res)
{
    if (!out || !res)
        return TL_EINVAL;
    char lk[KEY_CAP];
    key_name(c, "lock", key, lk);
    uint64_t deadline = now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    for (;;) {
        tl_err e = tl_dist_cache_get(c, key, out);
        if (e == TL_OK) {
            *res = TL_CACHE_HIT;
            return TL_OK;
        }
        if (e != TL_ENOTFOUND)
            return e;
        bool got = false;
        if ((e = try_lock(c, lk, &got)) != TL_OK)
            return e;
        if (got) {
            /* The leader may have finished between our GET and our lock. */
            e = tl_dist_cache_get(c, key, out);
            if (e == TL_OK) {
                release_quiet(c, key);
                *res = TL_CACHE_HIT;
                return TL_OK;
            }
            if (e != TL_ENOTFOUND) {
                release_quiet(c, key);
                return e;
            }
        }
        if (got || now_ms() >= deadline) {
            /* Without the lock after wait_ms: compute anyway. */
            *res = TL_CACHE_LEADER;
            return TL_OK;
        }
        sleep_ms(c->o.poll_ms);
    }
}

tl_err tl_dist_cache_release(tl_dist_cache *c, tl_cache_key key)
{
    char lk[KEY_CAP];
    key_name(c, "lock", key, lk);
    const char *a[] = {"1", lk, c->token};
    redisReply *rep = NULL;
    tl_err e = tl__redis_script(c->r, unlock_lua, c->sha, &rep, 3, a, NULL);
    if (e)
        return e;
    freeReplyObject(rep);
    return TL_OK;
}

tl_err tl_dist_cache_complete(tl_dist_cache *c, tl_cache_key key, const void *value, size_t len,
                              uint64_t ttl_ms)
{
    tl_err e = tl_dist_cache_put(c, key, value, len, ttl_ms);
    tl_err u = tl_dist_cache_release(c, key);
    return e ? e : u;
}

/* ---- shared rate limits ---- */

/* One script for both calls. KEYS[1]: the provider's hash. ARGV: mode
 * ("take" or "adjust"), rpm, tpm, request burst, token burst, tokens (the
 * estimate to take, or the signed correction). Refills both buckets from
 * Redis's clock, then either takes (returning 0) or says how many ms to
 * wait (taking nothing), or applies the correction. */
static const char bucket_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local rpm, tpm = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local rb, tb = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local cost = tonumber(ARGV[6])\n"
    "local h = redis.call('HMGET', KEYS[1], 'r', 't', 'ts')\n"
    "local r = tonumber(h[1]) or rb\n"
    "local tk = tonumber(h[2]) or tb\n"
    "local ts = tonumber(h[3]) or now\n"
    "local dt = now - ts\n"
    "if dt < 0 then dt = 0 end\n"
    "if rpm > 0 then r = math.min(rb, r + dt * rpm / 60000) end\n"
    "if tpm > 0 then tk = math.min(tb, tk + dt * tpm / 60000) end\n"
    "local wait = 0\n"
    "if ARGV[1] == 'adjust' then\n"
    "  if tpm > 0 then tk = math.min(tb, tk - cost) end\n"
    "else\n"
    "  if rpm > 0 and r < 1 then wait = math.ceil((1 - r) * 60000 / rpm) end\n"
    "  if tpm > 0 then\n"
    "    local need = math.min(cost, tb)\n"
    "    if tk < need then wait = math.max(wait, math.ceil((need - tk) * 60000 / tpm)) end\n"
    "  end\n"
    "  if wait == 0 then\n"
    "    if rpm > 0 then r = r - 1 end\n"
    "    if tpm > 0 then tk = tk - cost end\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(tk), 'ts', tostring(now))\n"
    "redis.call('PEXPIRE', KEYS[1], 600000)\n"
    "return wait\n";

struct tl_dist_rl {
    tl__redis *r;
    char key[KEY_CAP];
    char rpm[24], tpm[24], rb[24], tb[24];
    char sha[41];
};

tl_err tl_dist_rl_create(tl_dist_rl **out, const tl_dist_rl_opts *o)
{
    if (!out || !o || !o->url || !o->provider)
        return TL_EINVAL;
    tl_dist_rl *rl = calloc(1, sizeof *rl);
    if (!rl)
        return TL_ENOMEM;
    snprintf(rl->key, sizeof rl->key, "%s:rl:%s", o->prefix ? o->prefix : "tailor", o->provider);
    snprintf(rl->rpm, sizeof rl->rpm, "%" PRIu64, o->requests_per_minute);
    snprintf(rl->tpm, sizeof rl->tpm, "%" PRIu64, o->tokens_per_minute);
    snprintf(rl->rb, sizeof rl->rb, "%" PRIu64,
             o->request_burst ? o->request_burst : o->requests_per_minute);
    snprintf(rl->tb, sizeof rl->tb, "%" PRIu64,
             o->token_burst ? o->token_burst : o->tokens_per_minute);
    tl_err e = tl__redis_open(&rl->r, o->url, o->timeout_ms > 0 ? o->timeout_ms : 2000);
    if (e) {
        free(rl);
        return e;
    }
    *out = rl;
    return TL_OK;
}

void tl_dist_rl_destroy(tl_dist_rl *rl)
{
    if (!rl)
        return;
    tl__redis_close(rl->r);
    free(rl);
}

static tl_err bucket(tl_dist_rl *rl, const char *mode, int64_t tokens, int64_t *wait_ms)
{
    char tk[24];
    snprintf(tk, sizeof tk, "%" PRId64, tokens);
    const char *a[] = {"1", rl->key, mode, rl->rpm, rl->tpm, rl->rb, rl->tb, tk};
    redisReply *rep = NULL;
    tl_err e = tl__redis_script(rl->r, bucket_lua, rl->sha, &rep, 8, a, NULL);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_INTEGER) {
        *wait_ms = rep->integer;
    } else {
        tl_error("msg=\"redis: rate-limit script failed\" error=\"%s\"",
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
        e = TL_EIO;
    }
    freeReplyObject(rep);
    return e;
}

tl_err tl_dist_rl_reserve(tl_dist_rl *rl, uint64_t est_tokens, uint64_t *wait_ns)
{
    if (!wait_ns)
        return TL_EINVAL;
    int64_t w = 0;
    tl_err e = bucket(rl, "take", (int64_t)est_tokens, &w);
    if (e == TL_OK)
        *wait_ns = w > 0 ? (uint64_t)w * 1000000u : 0;
    return e;
}

tl_err tl_dist_rl_settle(tl_dist_rl *rl, uint64_t est_tokens, uint64_t actual_tokens)
{
    if (actual_tokens == est_tokens)
        return TL_OK;
    int64_t w = 0;
    return bucket(rl, "adjust", (int64_t)actual_tokens - (int64_t)est_tokens, &w);
}
