/* src/dist internal: one Redis connection that reconnects by itself.
 * Shared by the files of the dist module only. */
#ifndef TL_DIST_REDIS_INT_H
#define TL_DIST_REDIS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "util/err.h"

typedef struct tl__redis {
    pthread_mutex_t mu;
    redisContext *c; /* NULL while disconnected */
    char host[256];
    int port;
    int db;
    int timeout_ms;
    uint64_t epoch; /* connections made after the first */
    bool ever;      /* a connection was made once */
} tl__redis;

/* Parses url and connects. TL_EINVAL (url), TL_ENOMEM, TL_EIO. */
TL_MUST_CHECK tl_err tl__redis_open(tl__redis **out, const char *url, int timeout_ms);
void tl__redis_close(tl__redis *r);

/* Runs one command (binary-safe arguments). *reply is the caller's
 * (freeReplyObject), an error reply included. On a broken connection it
 * reconnects once and runs the command again; TL_EIO when that fails too.
 * extra_ms lengthens the read timeout (blocking commands). Holds r->mu. */
TL_MUST_CHECK tl_err tl__redis_cmd(tl__redis *r, redisReply **reply, int extra_ms, int argc,
                                   const char **argv, const size_t *lens);
/* tl__redis_cmd with NUL-terminated arguments. */
TL_MUST_CHECK tl_err tl__redis_cmdv(tl__redis *r, redisReply **reply, int extra_ms, int argc,
                                    const char **argv);

/* Runs a Lua script by EVALSHA, loading it on NOSCRIPT (a restarted
 * Redis). sha is 41 bytes, filled on first use. */
TL_MUST_CHECK tl_err tl__redis_script(tl__redis *r, const char *script, char sha[41],
                                      redisReply **reply, int argc, const char **argv,
                                      const size_t *lens);

/* The epoch now (reconnects so far). */
uint64_t tl__redis_epoch(tl__redis *r);

#endif
