/* Shared by the test_dist_* programs: a Redis server for the run, from
 * TL_TEST_REDIS_URL or else started by tests/services.sh (the program runs
 * itself again under it), and a raw connection for poking at it. */
#ifndef TEST_DIST_FX_H
#define TEST_DIST_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "dist/dist.h"

static const char *redis_url;

/* Returns 1 when the tests should run, else exits or returns 0 (skip). */
static int fx_redis_or_skip(char **argv)
{
    redis_url = getenv("TL_TEST_REDIS_URL");
    if (redis_url && *redis_url)
        return 1;
    if (!getenv("TL_SERVICES_TRIED")) {
        char *args[] = {"bash", TL_TEST_DATA "/../services.sh", "run", "--redis", "--", argv[0],
                        NULL};
        execvp("bash", args);
        perror("exec bash");
    }
    printf("SKIP: no Redis server (set TL_TEST_REDIS_URL, or install redis-server for"
           " tests/services.sh); the distributed tests did not run\n");
    return 0;
}

/* Runs one command on a fresh connection; returns the reply (or NULL). */
static inline redisReply *fx_cmd(const char *fmt, const char *arg)
{
    char host[256];
    int port = 0, db = 0;
    if (tl_dist_parse_url(redis_url, host, sizeof host, &port, &db) != TL_OK)
        return NULL;
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisReply *r = redisCommand(c, fmt, arg);
    redisFree(c);
    return r;
}

static inline long long fx_int(const char *fmt, const char *arg)
{
    redisReply *r = fx_cmd(fmt, arg);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return v;
}

static inline void fx_do(const char *fmt, const char *arg)
{
    redisReply *r = fx_cmd(fmt, arg);
    if (r)
        freeReplyObject(r);
}

static inline void fx_sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000u);
}

#endif
