/* The task queue on Redis Streams (see dist.h for the protocol). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist/dist.h"
#include "dist/redis_int.h"
#include "util/log.h"

#define GROUP "workers"

/* KEYS[1] the result key, KEYS[2] the reply stream; ARGV task id, result,
 * TTL in seconds. Announces only the first result of a task. */
/* KEYS[1] the result key, KEYS[2] the reply stream, KEYS[3] the task's
 * stream; ARGV task id, result, TTL in seconds, group, entry id. Stores and
 * announces only the first result of a task, then acknowledges the entry
 * and deletes it (the streams hold only what is not done), all in one
 * atomic step: nothing is acknowledged that is not stored. pcall: a group
 * that a restarted Redis forgot must not undo the stored result. */
static const char complete_lua[] =
    "local first = 0\n"
    "if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[3]) then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000000', '*', 'task', ARGV[1],"
    " 'result', ARGV[2])\n"
    "  first = 1\n"
    "end\n"
    "pcall(redis.call, 'XACK', KEYS[3], ARGV[4], ARGV[5])\n"
    "pcall(redis.call, 'XDEL', KEYS[3], ARGV[5])\n"
    "return first\n";

enum { KEY_CAP = 256 };

struct tl_dist_queue {
    tl__redis *r;
    tl_dist_queue_opts o;
    char prefix[64];
    char consumer[128];
    char streams[TL_DIST_MAX_BANDS][KEY_CAP];
    char dead[KEY_CAP];
    uint64_t groups_epoch; /* epoch at which the groups were last made */
    bool groups_made;
    uint64_t last_claim_ms;
    char sha[41];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tl_dist_queue_opts_default(tl_dist_queue_opts *o)
{
    memset(o, 0, sizeof *o);
    o->prefix = "tailor";
    o->bands = 3;
    o->claim_idle_ms = 30000;
    o->max_deliveries = 3;
    o->result_ttl_s = 86400;
    o->timeout_ms = 5000;
}

void tl_dist_msg_free(tl_dist_msg *m)
{
    if (!m)
        return;
    free(m->task_id);
    free(m->reply);
    free(m->payload);
    free(m);
}

/* Creates the group on every band (MKSTREAM; BUSYGROUP is fine). */
static tl_err make_groups(tl_dist_queue *q)
{
    uint64_t ep = tl__redis_epoch(q->r);
    if (q->groups_made && ep == q->groups_epoch)
        return TL_OK;
    for (unsigned b = 0; b < q->o.bands; b++) {
        const char *a[] = {"XGROUP", "CREATE", q->streams[b], GROUP, "0", "MKSTREAM"};
        redisReply *rep = NULL;
        tl_err e = tl__redis_cmdv(q->r, &rep, 0, 6, a);
        if (e)
            return e;
        bool ok = rep->type != REDIS_REPLY_ERROR || strncmp(rep->str, "BUSYGROUP", 9) == 0;
        if (!ok)
            tl_error("msg=\"redis: cannot create group\" stream=%s error=\"%s\"", q->streams[b],
                     rep->str);
        freeReplyObject(rep);
        if (!ok)
            return TL_EIO;
    }
    /* The epoch may have moved while we worked: then do it again next time. */
    q->groups_epoch = ep;
    q->groups_made = ep == tl__redis_epoch(q->r);
    return TL_OK;
}

tl_err tl_dist_queue_create(tl_dist_queue **out, const tl_dist_queue_opts *opts)
{
    tl_dist_queue_opts d;
    tl_dist_queue_opts_default(&d);
    if (!out || !opts || !opts->url)
        return TL_EINVAL;
    tl_dist_queue *q = calloc(1, sizeof *q);
    if (!q)
        return TL_ENOMEM;
    q->o = *opts;
    if (!q->o.prefix)
        q->o.prefix = d.prefix;
    if (!q->o.bands)
        q->o.bands = d.bands;
    if (!q->o.claim_idle_ms)
        q->o.claim_idle_ms = d.claim_idle_ms;
    if (!q->o.max_deliveries)
        q->o.max_deliveries = d.max_deliveries;
    if (!q->o.result_ttl_s)
        q->o.result_ttl_s = d.result_ttl_s;
    if (q->o.timeout_ms <= 0)
        q->o.timeout_ms = d.timeout_ms;
    if (q->o.bands > TL_DIST_MAX_BANDS || strlen(q->o.prefix) >= sizeof q->prefix) {
        free(q);
        return TL_EINVAL;
    }
    snprintf(q->prefix, sizeof q->prefix, "%s", q->o.prefix);
    q->o.prefix = q->prefix;
    if (q->o.consumer) {
        snprintf(q->consumer, sizeof q->consumer, "%s", q->o.consumer);
    } else {
        static atomic_uint seq;
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(q->consumer, sizeof q->consumer, "%s-%ld-%u", host, (long)getpid(),
                 atomic_fetch_add(&seq, 1));
    }
    q->o.consumer = q->consumer;
    for (unsigned b = 0; b < q->o.bands; b++)
        snprintf(q->streams[b], KEY_CAP, "%s:tasks:%u", q->prefix, b);
    snprintf(q->dead, KEY_CAP, "%s:dead", q->prefix);
    tl_err e = tl__redis_open(&q->r, q->o.url, q->o.timeout_ms);
    if (e == TL_OK)
        e = make_groups(q);
    if (e) {
        tl_dist_queue_destroy(q);
        return e;
    }
    *out = q;
    return TL_OK;
}

void tl_dist_queue_destroy(tl_dist_queue *q)
{
    if (!q)
        return;
    tl__redis_close(q->r);
    free(q);
}

uint64_t tl_dist_epoch(tl_dist_queue *q)
{
    return tl__redis_epoch(q->r);
}

unsigned tl_dist_band_for(int32_t priority, unsigned bands)
{
    enum { LOW_BELOW = 100, HIGH_FROM = 250 };
    if (bands <= 1 || priority < LOW_BELOW)
        return 0;
    if (priority >= HIGH_FROM)
        return bands - 1;
    if (bands == 2)
        return 0;
    /* the bands strictly between the lowest and the highest */
    unsigned middle = bands - 2;
    return 1 + (unsigned)((int64_t)(priority - LOW_BELOW) * middle / (HIGH_FROM - LOW_BELOW));
}

tl_err tl_dist_enqueue(tl_dist_queue *q, unsigned band, const char *task_id, const char *reply,
                       const void *payload, size_t len)
{
    if (!task_id || !reply || (!payload && len))
        return TL_EINVAL;
    if (band >= q->o.bands)
        band = q->o.bands - 1;
    tl_err e = make_groups(q);
    if (e)
        return e;
    const char *a[] = {"XADD", q->streams[band],      "*", "task", task_id, "reply", reply,
                       "data", payload ? payload : ""};
    size_t l[9];
    for (int i = 0; i < 8; i++)
        l[i] = strlen(a[i]);
    l[8] = len;
    redisReply *rep = NULL;
    e = tl__redis_cmd(q->r, &rep, 0, 9, a, l);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_ERROR) {
        tl_error("msg=\"redis: XADD failed\" error=\"%s\"", rep->str);
        e = TL_EIO;
    }
    freeReplyObject(rep);
    return e;
}

/* ---- reading entries ---- */

static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* An entry [id, [field, value, ...]] into a message. TL_ENOTFOUND for a
 * deleted entry (nil fields) or one without our fields. */
static tl_err parse_entry(const redisReply *ent, unsigned band, tl_dist_msg **out)
{
    if (ent->type != REDIS_REPLY_ARRAY || ent->elements < 2 ||
        ent->element[0]->type != REDIS_REPLY_STRING)
        return TL_ENOTFOUND;
    const redisReply *f = ent->element[1];
    if (f->type != REDIS_REPLY_ARRAY)
        return TL_ENOTFOUND;
    tl_dist_msg *m = calloc(1, sizeof *m);
    if (!m)
        return TL_ENOMEM;
    m->band = band;
    m->deliveries = 1;
    snprintf(m->entry_id, sizeof m->entry_id, "%s", ent->element[0]->str);
    bool oom = false;
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        char **slot = NULL;
        if (strcmp(k->str, "task") == 0)
            slot = &m->task_id;
        else if (strcmp(k->str, "reply") == 0)
            slot = &m->reply;
        else if (strcmp(k->str, "data") == 0)
            slot = &m->payload;
        if (!slot || *slot)
            continue;
        if (!(*slot = dup_n(v->str, v->len)))
            oom = true;
        if (slot == &m->payload)
            m->len = v->len;
    }
    if (oom) {
        tl_dist_msg_free(m);
        return TL_ENOMEM;
    }
    if (!m->task_id || !m->reply || !m->payload) {
        tl_dist_msg_free(m);
        return TL_ENOTFOUND;
    }
    *out = m;
    return TL_OK;
}

static void ack_entry(tl_dist_queue *q, unsigned band, const char *id)
{
    const char *a[] = {"XACK", q->streams[band], GROUP, id};
    redisReply *rep = NULL;
    if (tl__redis_cmdv(q->r, &rep, 0, 4, a) == TL_OK)
        freeReplyObject(rep);
}

/* How often an entry was delivered (XPENDING of that one id). */
static unsigned deliveries_of(tl_dist_queue *q, unsigned band, const char *id)
{
    const char *a[] = {"XPENDING", q->streams[band], GROUP, id, id, "1"};
    redisReply *rep = NULL;
    unsigned n = 1;
    if (tl__redis_cmdv(q->r, &rep, 0, 6, a) != TL_OK)
        return n;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 4 &&
        rep->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
        n = (unsigned)rep->element[0]->element[3]->integer;
    freeReplyObject(rep);
    return n;
}

static void dead_letter(tl_dist_queue *q, tl_dist_msg *m)
{
    char dl[16];
    snprintf(dl, sizeof dl, "%u", m->deliveries);
    /* Kept for operators to look at; bounded. */
    const char *a[] = {"XADD",  q->dead,     "MAXLEN",     "~",      "100000", "*",
                       "task",  m->task_id,  "reply",      m->reply, "stream", q->streams[m->band],
                       "entry", m->entry_id, "deliveries", dl};
    redisReply *rep = NULL;
    if (tl__redis_cmdv(q->r, &rep, 0, (int)(sizeof a / sizeof a[0]), a) == TL_OK) {
        if (rep->type == REDIS_REPLY_ERROR)
            tl_error("msg=\"redis: dead-letter XADD failed\" error=\"%s\"", rep->str);
        freeReplyObject(rep);
    }
    tl_warn("msg=\"task over the delivery limit: dead-lettered, completing on the embedded "
            "engine\" task=%s deliveries=%u",
            m->task_id, m->deliveries);
}

/* XAUTOCLAIM one idle entry, bands from the highest. */
static tl_err claim_idle(tl_dist_queue *q, tl_dist_msg **out)
{
    char idle[24];
    snprintf(idle, sizeof idle, "%" PRIu64, q->o.claim_idle_ms);
    for (int b = (int)q->o.bands - 1; b >= 0; b--) {
        const char *a[] = {"XAUTOCLAIM", q->streams[b], GROUP,   q->consumer,
                           idle,         "0-0",         "COUNT", "1"};
        redisReply *rep = NULL;
        tl_err e = tl__redis_cmdv(q->r, &rep, 0, 8, a);
        if (e)
            return e;
        tl_dist_msg *m = NULL;
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
            rep->element[1]->type == REDIS_REPLY_ARRAY && rep->element[1]->elements > 0) {
            const redisReply *ent = rep->element[1]->element[0];
            e = parse_entry(ent, (unsigned)b, &m);
            if (e == TL_ENOTFOUND && ent->type == REDIS_REPLY_ARRAY && ent->elements > 0 &&
                ent->element[0]->type == REDIS_REPLY_STRING)
                ack_entry(q, (unsigned)b, ent->element[0]->str); /* unusable: drop it */
        }
        freeReplyObject(rep);
        if (e == TL_ENOMEM)
            return e;
        if (m) {
            m->deliveries = deliveries_of(q, (unsigned)b, m->entry_id);
            tl_info("msg=\"reclaimed an idle task\" task=%s deliveries=%u", m->task_id,
                    m->deliveries);
            if (m->deliveries > q->o.max_deliveries) {
                m->dead = true;
                dead_letter(q, m);
            }
            *out = m;
            return TL_OK;
        }
    }
    return TL_ENOTFOUND;
}

/* A NOGROUP answer means Redis lost the group (it restarted): make it
 * again. Any error answer is TL_EIO. */
static tl_err read_error(tl_dist_queue *q, const redisReply *rep, const char *what)
{
    bool nogroup = strncmp(rep->str, "NOGROUP", 7) == 0;
    if (nogroup) {
        q->groups_made = false;
        (void)make_groups(q);
    } else {
        tl_error("msg=\"redis: %s failed\" error=\"%s\"", what, rep->str);
    }
    return TL_EIO;
}

/* The first entry of an XREADGROUP answer on one stream: TL_OK with *out,
 * TL_ENOTFOUND when there is none or it is unusable (then acknowledged, so
 * that it does not come back). */
static tl_err first_entry(tl_dist_queue *q, const redisReply *rep, unsigned band, tl_dist_msg **out)
{
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1)
        return TL_ENOTFOUND;
    const redisReply *s = rep->element[0];
    if (s->type != REDIS_REPLY_ARRAY || s->elements < 2 ||
        s->element[1]->type != REDIS_REPLY_ARRAY || s->element[1]->elements < 1)
        return TL_ENOTFOUND;
    const redisReply *ent = s->element[1]->element[0];
    tl_err e = parse_entry(ent, band, out);
    if (e == TL_ENOTFOUND && ent->type == REDIS_REPLY_ARRAY && ent->elements > 0 &&
        ent->element[0]->type == REDIS_REPLY_STRING)
        ack_entry(q, band, ent->element[0]->str);
    return e;
}

/* One new entry of band b, without waiting. TL_ENOTFOUND when the band
 * has none (an unusable entry is dropped and the next one read). */
static tl_err read_band(tl_dist_queue *q, unsigned b, tl_dist_msg **out)
{
    enum { UNUSABLE_MAX = 16 };
    for (int tries = 0; tries < UNUSABLE_MAX; tries++) {
        const char *a[] = {"XREADGROUP", "GROUP",   GROUP,         q->consumer, "COUNT",
                           "1",          "STREAMS", q->streams[b], ">"};
        redisReply *rep = NULL;
        tl_err e = tl__redis_cmdv(q->r, &rep, 0, 9, a);
        if (e)
            return e;
        if (rep->type == REDIS_REPLY_ERROR) {
            e = read_error(q, rep, "XREADGROUP");
            freeReplyObject(rep);
            return e;
        }
        bool empty = rep->type != REDIS_REPLY_ARRAY || rep->elements == 0;
        e = empty ? TL_ENOTFOUND : first_entry(q, rep, b, out);
        freeReplyObject(rep);
        if (e != TL_ENOTFOUND || empty)
            return e;
    }
    return TL_ENOTFOUND;
}

/* One new entry, from the highest band that has one. Bands are read one
 * at a time: a read of several at once would deliver an entry of each,
 * and the lower ones, held while higher ones are served, would pass
 * claim_idle_ms and be taken over by another worker (a second call). */
static tl_err read_new(tl_dist_queue *q, tl_dist_msg **out)
{
    for (int b = (int)q->o.bands - 1; b >= 0; b--) {
        tl_err e = read_band(q, (unsigned)b, out);
        if (e != TL_ENOTFOUND)
            return e;
    }
    return TL_ENOTFOUND;
}

/* The group's last-delivered id on band b ("0-0" when unknown): entries
 * after it are the ones not yet delivered to anyone. */
static void last_delivered(tl_dist_queue *q, unsigned b, char id[48])
{
    snprintf(id, 48, "%s", "0-0");
    const char *a[] = {"XINFO", "GROUPS", q->streams[b]};
    redisReply *rep = NULL;
    if (tl__redis_cmdv(q->r, &rep, 0, 3, a) != TL_OK)
        return;
    for (size_t g = 0; rep->type == REDIS_REPLY_ARRAY && g < rep->elements; g++) {
        const redisReply *f = rep->element[g];
        const char *name = NULL, *last = NULL;
        for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
            const redisReply *k = f->element[i], *v = f->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(k->str, "name") == 0)
                name = v->str;
            else if (strcmp(k->str, "last-delivered-id") == 0)
                last = v->str;
        }
        if (name && last && strcmp(name, GROUP) == 0)
            snprintf(id, 48, "%s", last);
    }
    freeReplyObject(rep);
}

/* Waits up to block_ms for an entry not yet delivered on any band. It
 * watches (XREAD, outside the group) instead of reading through the group,
 * which would deliver one entry per band at once; from each band's
 * last-delivered id, so that an entry added since the last read ends the
 * wait at once. TL_OK: something may be there (another worker may take it
 * first); TL_ENOTFOUND: the wait ran out. */
static tl_err wait_new(tl_dist_queue *q, int block_ms)
{
    const char *a[4 + 2 * TL_DIST_MAX_BANDS];
    char ids[TL_DIST_MAX_BANDS][48], block[16];
    int n = 0;
    snprintf(block, sizeof block, "%d", block_ms);
    a[n++] = "XREAD";
    a[n++] = "BLOCK";
    a[n++] = block;
    a[n++] = "STREAMS";
    for (unsigned b = 0; b < q->o.bands; b++)
        a[n++] = q->streams[b];
    for (unsigned b = 0; b < q->o.bands; b++) {
        last_delivered(q, b, ids[b]);
        a[n++] = ids[b];
    }
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(q->r, &rep, block_ms, n, a);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_ERROR)
        e = read_error(q, rep, "XREAD");
    else
        e = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 ? TL_OK : TL_ENOTFOUND;
    freeReplyObject(rep);
    return e;
}

tl_err tl_dist_take(tl_dist_queue *q, int block_ms, tl_dist_msg **out)
{
    if (!out)
        return TL_EINVAL;
    tl_err e = make_groups(q);
    if (e)
        return e;
    uint64_t now = now_ms();
    uint64_t every = q->o.claim_idle_ms / 4 ? q->o.claim_idle_ms / 4 : 1;
    if (now - q->last_claim_ms >= every) {
        e = claim_idle(q, out);
        if (e != TL_ENOTFOUND)
            return e;
        q->last_claim_ms = now;
    }
    e = read_new(q, out);
    if (e != TL_ENOTFOUND || block_ms <= 0)
        return e;
    /* Wait no longer than the next reclaim scan is due. */
    if ((uint64_t)block_ms > every)
        block_ms = (int)every;
    e = wait_new(q, block_ms);
    return e == TL_OK ? read_new(q, out) : e;
}

tl_err tl_dist_complete(tl_dist_queue *q, const tl_dist_msg *m, const void *result, size_t len,
                        bool *first)
{
    if (!m || (!result && len))
        return TL_EINVAL;
    char key[KEY_CAP], ttl[24];
    snprintf(key, sizeof key, "%s:result:%s", q->prefix, m->task_id);
    snprintf(ttl, sizeof ttl, "%" PRIu64, q->o.result_ttl_s);
    const char *a[] = {
        "3", key,   m->reply,   q->streams[m->band], m->task_id, result ? result : "",
        ttl, GROUP, m->entry_id};
    size_t l[9];
    for (int i = 0; i < 9; i++)
        l[i] = strlen(a[i]);
    l[5] = len;
    redisReply *rep = NULL;
    tl_err e = tl__redis_script(q->r, complete_lua, q->sha, &rep, 9, a, l);
    if (e)
        return e;
    if (rep->type != REDIS_REPLY_INTEGER) {
        tl_error("msg=\"redis: storing a result failed\" error=\"%s\"",
                 rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
        freeReplyObject(rep);
        return TL_EIO;
    }
    if (first)
        *first = rep->integer == 1;
    freeReplyObject(rep);
    return TL_OK;
}

/* ---- results ---- */

void tl_dist_results_free(tl_dist_result *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++) {
        free(r[i].task_id);
        free(r[i].result);
    }
    free(r);
}

tl_err tl_dist_read_results(tl_dist_queue *q, const char *reply, char last[48], int block_ms,
                            tl_dist_result **out, size_t *n)
{
    if (!reply || !last || !out || !n)
        return TL_EINVAL;
    const char *a[8];
    int k = 0;
    char block[16];
    a[k++] = "XREAD";
    a[k++] = "COUNT";
    a[k++] = "256";
    if (block_ms > 0) {
        snprintf(block, sizeof block, "%d", block_ms);
        a[k++] = "BLOCK";
        a[k++] = block;
    }
    a[k++] = "STREAMS";
    a[k++] = reply;
    a[k++] = last;
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(q->r, &rep, block_ms > 0 ? block_ms : 0, k, a);
    if (e)
        return e;
    tl_dist_result *res = NULL;
    size_t cnt = 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 2) {
        const redisReply *ents = rep->element[0]->element[1];
        if (ents->type == REDIS_REPLY_ARRAY && ents->elements > 0) {
            res = calloc(ents->elements, sizeof *res);
            if (!res)
                e = TL_ENOMEM;
            for (size_t i = 0; res && i < ents->elements; i++) {
                const redisReply *ent = ents->element[i];
                if (ent->type != REDIS_REPLY_ARRAY || ent->elements < 2 ||
                    ent->element[0]->type != REDIS_REPLY_STRING)
                    continue;
                snprintf(last, 48, "%s", ent->element[0]->str);
                const redisReply *f = ent->element[1];
                if (f->type != REDIS_REPLY_ARRAY)
                    continue;
                tl_dist_result *r = &res[cnt];
                for (size_t j = 0; j + 1 < f->elements; j += 2) {
                    const redisReply *kk = f->element[j], *v = f->element[j + 1];
                    if (kk->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                        continue;
                    if (strcmp(kk->str, "task") == 0 && !r->task_id) {
                        r->task_id = dup_n(v->str, v->len);
                    } else if (strcmp(kk->str, "result") == 0 && !r->result) {
                        r->result = dup_n(v->str, v->len);
                        r->len = v->len;
                    }
                }
                if (r->task_id && r->result) {
                    cnt++;
                } else {
                    free(r->task_id);
                    free(r->result);
                    memset(r, 0, sizeof *r);
                }
            }
        }
    } else if (rep->type == REDIS_REPLY_ERROR) {
        tl_error("msg=\"redis: XREAD failed\" error=\"%s\"", rep->str);
        e = TL_EIO;
    }
    freeReplyObject(rep);
    if (e) {
        tl_dist_results_free(res, cnt);
        return e;
    }
    if (cnt == 0) {
        free(res);
        res = NULL;
    }
    *out = res;
    *n = cnt;
    return TL_OK;
}

tl_err tl_dist_drop_reply(tl_dist_queue *q, const char *reply)
{
    const char *a[] = {"DEL", reply};
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(q->r, &rep, 0, 2, a);
    if (e == TL_OK)
        freeReplyObject(rep);
    return e;
}

tl_err tl_dist_result_get(tl_dist_queue *q, const char *task_id, tl_buf *out)
{
    char key[KEY_CAP];
    snprintf(key, sizeof key, "%s:result:%s", q->prefix, task_id);
    const char *a[] = {"GET", key};
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(q->r, &rep, 0, 2, a);
    if (e)
        return e;
    if (rep->type == REDIS_REPLY_STRING)
        e = tl_buf_append(out, rep->str, rep->len);
    else
        e = rep->type == REDIS_REPLY_NIL ? TL_ENOTFOUND : TL_EIO;
    freeReplyObject(rep);
    return e;
}

static tl_err int_cmd(tl_dist_queue *q, int argc, const char **a, uint64_t *v, int elem)
{
    redisReply *rep = NULL;
    tl_err e = tl__redis_cmdv(q->r, &rep, 0, argc, a);
    if (e)
        return e;
    if (elem < 0 && rep->type == REDIS_REPLY_INTEGER)
        *v += (uint64_t)rep->integer;
    else if (elem >= 0 && rep->type == REDIS_REPLY_ARRAY && rep->elements > (size_t)elem &&
             rep->element[elem]->type == REDIS_REPLY_INTEGER)
        *v += (uint64_t)rep->element[elem]->integer;
    freeReplyObject(rep);
    return TL_OK;
}

tl_err tl_dist_queue_stats_get(tl_dist_queue *q, tl_dist_queue_stats *st)
{
    tl_dist_queue_stats s = {0};
    tl_err e = TL_OK;
    for (unsigned b = 0; e == TL_OK && b < q->o.bands; b++) {
        const char *xl[] = {"XLEN", q->streams[b]};
        e = int_cmd(q, 2, xl, &s.queued, -1);
        const char *xp[] = {"XPENDING", q->streams[b], GROUP};
        if (e == TL_OK)
            e = int_cmd(q, 3, xp, &s.pending, 0);
    }
    const char *xd[] = {"XLEN", q->dead};
    if (e == TL_OK)
        e = int_cmd(q, 2, xd, &s.dead, -1);
    if (e == TL_OK)
        *st = s;
    return e;
}
