/* Shared by the files of the server module, nobody else: the server's
 * state, one request's state, the answer helpers and the handlers.
 *
 * A request (tl_req) lives from libmicrohttpd's first call for it to the
 * completion notice, and is only touched from the daemon thread that owns
 * its connection (workers reach it solely through MHD_resume_connection). */
#ifndef TL_SERVER_INT_H
#define TL_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "engine/pool.h"
#include "server/http_util.h"
#include "server/jobs.h"
#include "server/limiter.h"
#include "server/metrics.h"
#include "server/server.h"
#include "util/buf.h"

typedef struct tl_req tl_req;
typedef enum MHD_Result (*tl_handler)(tl_req *r);

typedef struct tl_follow tl_follow;

typedef struct tl_route {
    const char *method; /* "GET", "POST", "DELETE" */
    const char *pattern;
    tl_handler handler;
    bool api; /* under /api/: auth, rate limit, draining */
} tl_route;

struct tl_server {
    tl_server_opts o;
    struct MHD_Daemon *daemon;
    int listen_fd; /* the listening socket once quiesced, else -1 */
    uint16_t port;
    tl_store *store;
    const tl_terms *terms;
    tl_terms *own_terms; /* when the server loaded them */
    tl_jobq *jobs;
    tl_engine *engine;                   /* the process's engine */
    atomic_uint_fast64_t router_saved_s; /* when the router's state was last saved (monotonic s) */
    tl_provider **wrapped;               /* the caller's providers, counted (server/provstats.h);
                                            o.providers points here once built */
    size_t n_wrapped;
    tl_metrics *metrics;
    tl_pool *letters; /* writes cover letters that ask providers (api_export.c) */
    tl_limiter *limiter;
    char **keys;
    size_t *key_lens;
    size_t n_keys;
    char *web_dir;
    atomic_bool draining;
    atomic_uint_fast64_t next_request;
    uint64_t id_seed;
    /* Several servers on one database (store.h, "leases"): this instance's
     * id, the owner of the jobs it runs, and their lease. */
    char instance[96];
    int64_t lease_ms;
    pthread_t lease_thread; /* server/lease.c */
    pthread_mutex_t lease_mu;
    pthread_cond_t lease_cv;
    bool lease_inited, lease_started, lease_stop;
    tl_follow *follow; /* streams of jobs other servers run (server/follow.c) */
};

typedef struct tl_sse tl_sse;

struct tl_req {
    tl_server *srv;
    struct MHD_Connection *conn;
    const char *method; /* libmicrohttpd's, valid for the request */
    const char *url;
    int route; /* index in the route table, -1 when none */
    tl_route_params params;
    tl_buf body;
    bool too_big;
    uint64_t received; /* body bytes received, kept or not */
    bool started;      /* the first call (headers) is past */
    double t0;         /* monotonic ms */
    char id[72];       /* request id */
    unsigned status;
    uint64_t bytes;
    /* An extra header for the answer (Allow, Location, Retry-After, ...). */
    const char *hdr_name;
    char hdr_value[160];
    /* A request waiting for a job: the continuation called when resumed. */
    tl_handler cont;
    tl_sjob *job;    /* the job a customization waits for */
    tl_sjob **batch; /* the jobs a batch waits for */
    size_t n_batch;
    tl_sjob *watching; /* the job r->watch is linked into */
    tl_watch watch;
    tl_sse *sse; /* the event stream answering this request, if any */
    /* Work done off the HTTP thread for this request (a cover letter),
     * released when the request ends. */
    void *work;
    void (*work_release)(void *work);
};

/* ---- answers (respond.c). Each queues the answer and returns MHD's
 * verdict; those that take a document or text take ownership of it. ---- */

enum MHD_Result tl__reply_json(tl_req *r, unsigned status, json_t *doc);
/* text: malloc'd JSON, taken. */
enum MHD_Result tl__reply_json_text(tl_req *r, unsigned status, char *text);
enum MHD_Result tl__reply_error(tl_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum MHD_Result tl__reply_empty(tl_req *r, unsigned status);
/* A static body (never freed) with a content type; page: add the page's
 * security headers (CSP and friends). */
enum MHD_Result tl__reply_static(tl_req *r, unsigned status, const char *ctype, const void *p,
                                 size_t n, bool page);
/* The security headers of the page (strict CSP, no framing, ...). */
void tl__add_page_headers(struct MHD_Response *resp);
/* A malloc'd body, taken. */
enum MHD_Result tl__reply_text(tl_req *r, unsigned status, const char *ctype, char *p, size_t n);
/* Queues resp (adding the common headers) and destroys our reference. */
enum MHD_Result tl__queue(tl_req *r, unsigned status, struct MHD_Response *resp, uint64_t bytes);
/* Sets the extra header of the answer. */
void tl__set_header(tl_req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the body as a JSON object. On failure answers (413, 415, 400) and
 * returns false with *rc set; on success *out is a new reference. */
bool tl__read_json(tl_req *r, json_t **out, enum MHD_Result *rc);
/* An optional string field of body: *out NULL when absent or null; false
 * (answered 400 invalid_field) when it is not a string. */
bool tl__opt_string(tl_req *r, json_t *body, const char *key, const char **out,
                    enum MHD_Result *rc);

/* Answers the failure of reading a document (resume, job description). */
enum MHD_Result tl__reply_doc_error(tl_req *r, tl_err e, const tl_doc_error *err, const char *what);

/* The id in path parameter i, or 0 when it is not a valid id. */
int64_t tl__param_id(const tl_req *r, int i);

/* ---- suspending a connection while it waits for a job ---- */
void tl__park_conn(void *conn);
void tl__wake_conn(void *conn);

/* ---- handlers ---- */
enum MHD_Result tl__h_resume_create(tl_req *r);
enum MHD_Result tl__h_resume_get(tl_req *r);
enum MHD_Result tl__h_resume_delete(tl_req *r);
enum MHD_Result tl__h_resume_versions(tl_req *r);
enum MHD_Result tl__h_resume_version(tl_req *r);
enum MHD_Result tl__h_resume_diff(tl_req *r);
enum MHD_Result tl__h_jd_create(tl_req *r);
enum MHD_Result tl__h_jd_get(tl_req *r);
enum MHD_Result tl__h_jd_delete(tl_req *r);
enum MHD_Result tl__h_ats_analyze(tl_req *r);
enum MHD_Result tl__h_customize(tl_req *r);
enum MHD_Result tl__h_job_get(tl_req *r);
enum MHD_Result tl__h_job_cancel(tl_req *r);
enum MHD_Result tl__h_job_events(tl_req *r);
enum MHD_Result tl__h_health(tl_req *r);
enum MHD_Result tl__h_metrics(tl_req *r);
enum MHD_Result tl__h_openapi(tl_req *r);
enum MHD_Result tl__h_web(tl_req *r);

/* Called when a request ends: frees its event stream link. */
void tl__sse_detach(tl_req *r);

/* Claims the unfinished jobs this server may take (store.h, "leases"):
 * those with no owner or an expired lease; at_start on a database only
 * this server uses, every unfinished job (an earlier run of it left
 * them). Queues them here. */
void tl__recover_jobs(tl_server *s, bool at_start);

/* The lease keeper (lease.c): renews this server's leases and claims jobs
 * of dead servers, every lease/3. Stop releases the jobs left unfinished. */
TL_MUST_CHECK tl_err tl__lease_start(tl_server *s);
void tl__lease_stop(tl_server *s);

/* Followers of jobs that run on another server (follow.c): the store is
 * read every poll_ms (0: 500) until the job ends. */
TL_MUST_CHECK tl_err tl__follow_create(tl_follow **out, tl_store *store, int poll_ms);
/* The follower of unfinished record rec (a new reference; one follower
 * per job). TL_EINVAL once stopped or when rec has ended. */
TL_MUST_CHECK tl_err tl__follow_job(tl_follow *f, const tl_store_job *rec, tl_sjob **out);
/* Stops following: every follower's readers see their stream end. */
void tl__follow_destroy(tl_follow *f);

/* Resolving inputs shared by several handlers (api_input.c). Each answers
 * the error itself and returns false with *rc set. */
bool tl__resume_from_value(tl_req *r, json_t *v, tl_resume **out, char **source,
                           enum MHD_Result *rc);
bool tl__job_from_value(tl_req *r, json_t *v, tl_job **out, enum MHD_Result *rc);
/* A resume from the body's resume_id (+ resume_version) or resume. */
typedef struct tl_resume_ref {
    tl_resume *resume;
    int64_t id; /* 0 when inline */
    int version;
} tl_resume_ref;
bool tl__resolve_resume(tl_req *r, json_t *body, tl_resume_ref *out, enum MHD_Result *rc);
typedef struct tl_jd_ref {
    tl_job *jd;
    int64_t id; /* 0 when inline */
} tl_jd_ref;
bool tl__resolve_jd(tl_req *r, json_t *body, tl_jd_ref *out, enum MHD_Result *rc);

/* A customization request, parsed (api_customize.c). */
typedef struct tl_customize_req {
    tl_resume_ref resume;
    tl_jd_ref jd;
    tl_strength strength;
    tl_format out_format;
    bool async;
    bool plan;
    bool compare;
    tl_provider *chain[TL_ENGINE_MAX_CHAIN]; /* before the embedded engine */
    size_t n_chain;
    int32_t priority;
    int64_t deadline_ms; /* 0: none */
    char sections[1024]; /* comma-separated; "": all */
} tl_customize_req;

/* The body's "provider": "openai,local" or ["openai", "local"] into
 * chain[0..*n) (at most TL_ENGINE_MAX_CHAIN, the embedded engine not
 * counted); absent: every provider of the server, in order. A name the
 * server lacks is 422 unknown_provider; false (answered) then. */
bool tl__parse_chain(tl_req *r, json_t *body, tl_provider **chain, size_t *n, enum MHD_Result *rc);
/* customization_strength, format, async of a body. */
bool tl__customize_options(tl_req *r, json_t *body, tl_customize_req *c, enum MHD_Result *rc);
/* Records the job in the store and queues it. On success the queue owns
 * c's documents (set to NULL) and *out is a reference. TL_EINVAL when the
 * queue has stopped. */
TL_MUST_CHECK tl_err tl__submit_customize(tl_server *s, tl_customize_req *c, tl_sjob **out);
/* Waits for job j (moving r's watch to it). True when it has ended. */
bool tl__wait_job(tl_req *r, tl_sjob *j);
/* A stored job description, analysed. */
bool tl__jd_from_id(tl_req *r, int64_t id, tl_job **out, enum MHD_Result *rc);

enum MHD_Result tl__h_plan(tl_req *r);
enum MHD_Result tl__h_batch(tl_req *r);
enum MHD_Result tl__h_revert(tl_req *r);
enum MHD_Result tl__h_compare(tl_req *r);

/* Documents out (api_export.c): a stored version as a file (pdf, docx, md,
 * json, html, text), and a cover letter from the embedded engine. */
enum MHD_Result tl__h_resume_export(tl_req *r);
enum MHD_Result tl__h_cover_letter(tl_req *r);

#endif
