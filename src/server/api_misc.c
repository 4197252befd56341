/* /health, /metrics, /openapi.json and the page (/, its scripts and style). */
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "util/file.h"
#include "util/hash.h"

/* Compiled in from web/ and src/server/openapi.json (cmake/embed.cmake). */
extern const unsigned char tl_web_index_html[];
extern const size_t tl_web_index_html_len;
extern const unsigned char tl_web_app_js[];
extern const size_t tl_web_app_js_len;
extern const unsigned char tl_web_app_css[];
extern const size_t tl_web_app_css_len;
extern const unsigned char tl_web_diff_js[];
extern const size_t tl_web_diff_js_len;
extern const unsigned char tl_web_resume_js[];
extern const size_t tl_web_resume_js_len;
extern const unsigned char tl_openapi_json[];
extern const size_t tl_openapi_json_len;

enum MHD_Result tl__h_health(tl_req *r)
{
    bool db = tl_store_ping(r->srv->store) == TL_OK;
    bool draining = atomic_load(&r->srv->draining);
    const char *status = !db ? "error" : draining ? "draining" : "ok";
    long queued = 0, running = 0;
    tl_jobq_counts(r->srv->jobs, &queued, &running);
    /* Each provider of the chain with its breakers' states (an open breaker
     * does not make the server unready: its work falls back), then the
     * embedded engine, always available. */
    json_t *providers = json_array();
    tl_engine_provider_stats ps[TL_ENGINE_MAX_CHAIN * 2];
    size_t n = r->srv->engine ? tl_engine_providers(r->srv->engine, ps, sizeof ps / sizeof ps[0])
                              : 0;
    if (n > sizeof ps / sizeof ps[0])
        n = sizeof ps / sizeof ps[0];
    for (size_t i = 0; providers && i < n; i++)
        json_array_append_new(
            providers, json_pack("{ss ss ss}", "name", ps[i].name, "breaker",
                                 tl_breaker_state_name(ps[i].breaker.state), "breaker_large",
                                 tl_breaker_state_name(ps[i].breaker_large.state)));
    if (providers)
        json_array_append_new(providers, json_pack("{ss ss}", "name", "local", "breaker", "none"));
    return tl__reply_json(r, db && !draining ? 200 : 503,
                          json_pack("{ss ss s{si si} so*}", "status", status, "db",
                                    db ? "ok" : "error", "jobs", "queued", (int)queued, "running",
                                    (int)running, "providers", providers));
}

enum MHD_Result tl__h_metrics(tl_req *r)
{
    tl_metrics_gauges g = {.draining = atomic_load(&r->srv->draining),
                           .engine = r->srv->engine,
                           .providers = r->srv->wrapped,
                           .n_providers = r->srv->n_wrapped};
    tl_jobq_counts(r->srv->jobs, &g.jobs_queued, &g.jobs_running);
    char *text = NULL;
    size_t len = 0;
    if (tl_metrics_render(r->srv->metrics, &g, &text, &len) != TL_OK)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    return tl__reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

enum MHD_Result tl__h_openapi(tl_req *r)
{
    return tl__reply_static(r, 200, "application/json", tl_openapi_json, tl_openapi_json_len,
                            false);
}

typedef struct asset {
    const char *path;
    const char *file;
    const char *ctype;
    const unsigned char *data;
    const size_t *len;
} asset;

static const asset assets[] = {
    {"/", "index.html", "text/html; charset=utf-8", tl_web_index_html, &tl_web_index_html_len},
    {"/app.js", "app.js", "text/javascript; charset=utf-8", tl_web_app_js, &tl_web_app_js_len},
    {"/app.css", "app.css", "text/css; charset=utf-8", tl_web_app_css, &tl_web_app_css_len},
    {"/diff.js", "diff.js", "text/javascript; charset=utf-8", tl_web_diff_js, &tl_web_diff_js_len},
    {"/resume.js", "resume.js", "text/javascript; charset=utf-8", tl_web_resume_js,
     &tl_web_resume_js_len},
};

/* The page's files are served with "Cache-Control: no-cache" and an ETag
 * (a hash of the bytes): a browser asks again each time and gets 304 Not
 * Modified while the file is the same. */
static void etag_of(const void *p, size_t n, char out[20])
{
    char hex[17];
    tl_hash_hex(tl_hash64(p, n, 0x7461696c6f72ULL), hex);
    snprintf(out, 20, "\"%s\"", hex);
}

static bool not_modified(tl_req *r, const char *etag)
{
    const char *inm =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    return inm && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0);
}

static enum MHD_Result reply_not_modified(tl_req *r, const char *etag)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    tl__add_page_headers(resp);
    return tl__queue(r, 304, resp, 0);
}

/* From --web-dir: only the known file names are ever opened, so no path a
 * client sends reaches the file system. */
static enum MHD_Result serve_file(tl_req *r, const asset *a)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", r->srv->web_dir, a->file);
    char *data = NULL;
    size_t len = 0;
    if (n <= 0 || (size_t)n >= sizeof path ||
        tl_file_read(path, 8u * 1024u * 1024u, &data, &len) != TL_OK)
        return tl__reply_error(r, 404, "not_found", "%s is not in the web directory", a->file);
    char etag[20];
    etag_of(data, len, etag);
    if (not_modified(r, etag)) {
        free(data);
        return reply_not_modified(r, etag);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    tl__add_page_headers(resp);
    return tl__queue(r, 200, resp, len);
}

enum MHD_Result tl__h_web(tl_req *r)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        const asset *a = &assets[i];
        if (strcmp(r->url, a->path) != 0)
            continue;
        if (r->srv->web_dir)
            return serve_file(r, a);
        char etag[20];
        etag_of(a->data, *a->len, etag);
        if (not_modified(r, etag))
            return reply_not_modified(r, etag);
        tl__set_header(r, MHD_HTTP_HEADER_ETAG, "%s", etag);
        return tl__reply_static(r, 200, a->ctype, a->data, *a->len, true);
    }
    return tl__reply_error(r, 404, "not_found", "no such page");
}
