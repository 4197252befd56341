/* tailor serve: the HTTP API and the web page until SIGTERM or SIGINT,
 * then a graceful drain (no new connections, running jobs finish for up to
 * --drain-s seconds) and exit 0. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "store/store.h"
#include "util/file.h"
#include "util/log.h"
#include "util/str.h"

enum { MAX_KEYS = 1024 };

typedef struct serve_args {
    const char *bind;
    long port;
    const char *db;
    long workers;
    long threads;
    long max_body;
    const char *keys_file;
    const char *keys_env; /* TAILOR_API_KEYS: comma-separated keys */
    long drain_s;
    long job_lease_ms;
    double rate_limit;
    const char *web_dir;
    const char *terms_path;
    const char *providers; /* --providers (NULL: $TAILOR_PROVIDERS, config, "local") */
    const char *config;    /* --config */
    const char *queue;     /* --queue: provider calls go to `tailor worker`s over Redis */
    bool quiet;
    bool protect_metrics;
} serve_args;

static void serve_usage(FILE *f)
{
    fputs("usage: tailor serve [--port 5001] [--bind 127.0.0.1] [--db "
          "tailor.db|:memory:|postgres://...]\n"
          "                    [--workers N] [--threads N] [--max-body BYTES]\n"
          "                    [--api-keys FILE] [--rate-limit N] [--protect-metrics]\n"
          "                    [--drain-s N] [--web-dir DIR] [--terms FILE] [--quiet]\n"
          "                    [--providers openai,anthropic,local] [--config tailor.conf]\n"
          "                    [--queue redis://HOST:PORT] [--job-lease-ms MS]\n"
          "\n"
          "  --port        port to listen on (env TAILOR_PORT; default 5001)\n"
          "  --bind        address to listen on (env TAILOR_BIND; default 127.0.0.1)\n"
          "  --db          SQLite database file, or postgres://USER@HOST:PORT/DB\n"
          "                (env TAILOR_DB; default tailor.db)\n"
          "  --workers     customization worker threads (env TAILOR_WORKERS; default 2,\n"
          "                or 8 with providers: a job waits for their answers)\n"
          "  --threads     HTTP threads (default 2)\n"
          "  --max-body    request body limit in bytes (default 2097152)\n"
          "  --api-keys    file of API keys, one per line (env TAILOR_API_KEYS_FILE, or\n"
          "                TAILOR_API_KEYS as a comma-separated list); /api/ then needs\n"
          "                Authorization: Bearer KEY\n"
          "  --rate-limit  requests per second per client on /api/ (default: no limit)\n"
          "  --protect-metrics  /metrics needs an API key too\n"
          "  --drain-s     seconds running jobs get to finish on shutdown (default 30)\n"
          "  --web-dir     serve the page from DIR instead of the built-in copy\n"
          "  --terms       an extra terminology file\n"
          "  --providers   the default fallback chain (env TAILOR_PROVIDERS; default: the\n"
          "                config's providers line, else local); a request's provider\n"
          "                may choose among these; local always ends the chain\n"
          "  --config      provider configuration (default $TAILOR_CONFIG, else\n"
          "                ./tailor.conf, else OPENAI_* / ANTHROPIC_* variables)\n"
          "  --queue       redis://HOST:PORT: the chain's provider calls go to\n"
          "                `tailor worker` processes (src/dist) instead of out from here\n"
          "  --job-lease-ms  how long a job this server runs stays its own without a\n"
          "                renewal (every third of it); a job of a server that died\n"
          "                is run by another one after that (default 30000)\n"
          "  --quiet       no access log\n",
          f);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int bad_value(const char *opt, const char *v)
{
    cli_error("serve: bad value '%s' for %s", v ? v : "", opt);
    return TL_EXIT_BADINPUT;
}

static void defaults_from_env(serve_args *a)
{
    a->port = 5001;
    a->db = "tailor.db";
    a->drain_s = 30;
    const char *v;
    if ((v = getenv("TAILOR_PORT")) && !parse_long(v, 0, 65535, &a->port))
        cli_error("serve: ignoring TAILOR_PORT='%s'", v);
    if ((v = getenv("TAILOR_WORKERS")) && !parse_long(v, 1, 256, &a->workers))
        cli_error("serve: ignoring TAILOR_WORKERS='%s'", v);
    if ((v = getenv("TAILOR_DB")) && *v)
        a->db = v;
    if ((v = getenv("TAILOR_BIND")) && *v)
        a->bind = v;
    if ((v = getenv("TAILOR_API_KEYS_FILE")) && *v)
        a->keys_file = v;
    if ((v = getenv("TAILOR_API_KEYS")) && *v)
        a->keys_env = v;
}

static int parse_serve_args(int argc, char **argv, serve_args *a)
{
    static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                         {"bind", required_argument, NULL, 'b'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"workers", required_argument, NULL, 'w'},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"max-body", required_argument, NULL, 'm'},
                                         {"api-keys", required_argument, NULL, 'k'},
                                         {"drain-s", required_argument, NULL, 's'},
                                         {"web-dir", required_argument, NULL, 'W'},
                                         {"terms", required_argument, NULL, 't'},
                                         {"rate-limit", required_argument, NULL, 'r'},
                                         {"protect-metrics", no_argument, NULL, 'P'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"providers", required_argument, NULL, 'R'},
                                         {"config", required_argument, NULL, 'C'},
                                         {"queue", required_argument, NULL, 'Q'},
                                         {"job-lease-ms", required_argument, NULL, 'L'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    defaults_from_env(a);
    long rate = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:b:d:w:T:m:k:s:W:t:r:PqhR:C:Q:L:", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!parse_long(optarg, 0, 65535, &a->port))
                return bad_value("--port", optarg);
            break;
        case 'b': a->bind = optarg; break;
        case 'd': a->db = optarg; break;
        case 'w':
            if (!parse_long(optarg, 1, 256, &a->workers))
                return bad_value("--workers", optarg);
            break;
        case 'T':
            if (!parse_long(optarg, 1, 256, &a->threads))
                return bad_value("--threads", optarg);
            break;
        case 'm':
            if (!parse_long(optarg, 1, LONG_MAX, &a->max_body))
                return bad_value("--max-body", optarg);
            break;
        case 'k': a->keys_file = optarg; break;
        case 's':
            if (!parse_long(optarg, 0, 86400, &a->drain_s))
                return bad_value("--drain-s", optarg);
            break;
        case 'W': a->web_dir = optarg; break;
        case 't': a->terms_path = optarg; break;
        case 'r':
            if (!parse_long(optarg, 1, 1000000, &rate))
                return bad_value("--rate-limit", optarg);
            a->rate_limit = (double)rate;
            break;
        case 'P': a->protect_metrics = true; break;
        case 'q': a->quiet = true; break;
        case 'R': a->providers = optarg; break;
        case 'C': a->config = optarg; break;
        case 'Q': a->queue = optarg; break;
        case 'L':
            if (!parse_long(optarg, 30, 3600000, &a->job_lease_ms))
                return bad_value("--job-lease-ms", optarg);
            break;
        case 'h': serve_usage(stdout); exit(TL_EXIT_OK);
        default: serve_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (optind != argc) {
        serve_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    return TL_EXIT_OK;
}

/* ---- API keys ---- */

typedef struct key_list {
    char *storage; /* the text the keys point into */
    const char *keys[MAX_KEYS];
    size_t n;
} key_list;

/* Splits text in place at any of seps; keeps non-empty, non-comment items. */
static int split_keys(key_list *k, char *text, const char *seps)
{
    char *p = text;
    while (*p) {
        size_t n = strcspn(p, seps);
        char *next = p[n] ? p + n + 1 : p + n;
        p[n] = '\0';
        const char *item = p;
        size_t len = n;
        tl_str_trim(&item, &len);
        if (len > 0 && item[0] != '#') {
            if (k->n == MAX_KEYS) {
                cli_error("serve: more than %d API keys", MAX_KEYS);
                return TL_EXIT_BADINPUT;
            }
            ((char *)item)[len] = '\0';
            k->keys[k->n++] = item;
        }
        p = next;
    }
    return TL_EXIT_OK;
}

static int load_keys(const serve_args *a, key_list *k)
{
    if (a->keys_file) {
        size_t len = 0;
        if (tl_file_read(a->keys_file, 1u << 20, &k->storage, &len) != TL_OK) {
            cli_error("%s: cannot read the API keys file", a->keys_file);
            return TL_EXIT_BADINPUT;
        }
        int rc = split_keys(k, k->storage, "\r\n");
        if (rc == TL_EXIT_OK && k->n == 0) {
            cli_error("%s: no API key in the file", a->keys_file);
            rc = TL_EXIT_BADINPUT;
        }
        return rc;
    }
    if (a->keys_env) {
        if (!(k->storage = strdup(a->keys_env)))
            return TL_EXIT_INTERNAL;
        return split_keys(k, k->storage, ",");
    }
    return TL_EXIT_OK;
}

/* ---- running ---- */

/* Waits for SIGTERM or SIGINT (blocked in every thread, so only this
 * sigwait sees them), then drains. */
static int run_until_signal(tl_server *srv, const sigset_t *set, long drain_s)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    tl_info("msg=\"signal received, shutting down\" signal=%s",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    tl_err e = tl_server_drain(srv, (int)(drain_s * 1000));
    tl_server_destroy(srv);
    tl_info("msg=\"stopped\" drained=%s", e == TL_OK ? "yes" : "no");
    return TL_EXIT_OK;
}

static int start(const serve_args *a, const key_list *keys, tl_store *store, const tl_terms *terms,
                 const cli_providers *cp)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    tl_server_opts so = {.bind = a->bind,
                         .port = (uint16_t)a->port,
                         .store = store,
                         .terms = terms,
                         .threads = (int)a->threads,
                         .workers = (int)a->workers,
                         .max_body = (size_t)a->max_body,
                         .api_keys = keys->keys,
                         .n_api_keys = keys->n,
                         .protect_metrics = a->protect_metrics,
                         .rate_limit = a->rate_limit,
                         .web_dir = a->web_dir,
                         .access_log = !a->quiet,
                         .job_lease_ms = a->job_lease_ms,
                         .providers = cp->p,
                         .provider_confs = cp->conf,
                         .n_providers = cp->n};
    tl_server *srv = NULL;
    tl_err e = tl_server_create(&srv, &so);
    if (e) {
        cli_error("serve: cannot start the server: %s", tl_strerror(e));
        return e == TL_EINVAL ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    if (cp->n > 0) {
        fputs("tailor: providers:", stderr);
        for (size_t i = 0; i < cp->n; i++)
            fprintf(stderr, " %s", cp->p[i]->name);
        fputs(" local\n", stderr);
    }
    fprintf(stderr, "tailor: serving on http://%s:%u/\n", a->bind ? a->bind : "127.0.0.1",
            (unsigned)tl_server_port(srv));
    return run_until_signal(srv, &set, a->drain_s);
}

int cmd_serve(int argc, char **argv)
{
    serve_args a = {0};
    int rc = parse_serve_args(argc, argv, &a);
    if (rc)
        return rc;
    key_list keys = {0};
    tl_terms *terms = NULL;
    tl_store *store = NULL;
    cli_providers cp;
    if ((rc = cli_providers_open(a.providers, a.config, &cp)) != TL_EXIT_OK)
        return rc;
    if (a.queue && (rc = cli_providers_to_queue(&cp, a.queue)) != TL_EXIT_OK) {
        cli_providers_close(&cp);
        return rc;
    }
    if ((rc = load_keys(&a, &keys)) == TL_EXIT_OK &&
        (rc = cli_load_terms(a.terms_path, &terms)) == TL_EXIT_OK) {
        tl_err e = tl_store_open(&store, a.db); /* a file, or postgres://... */
        if (e) {
            cli_error("%s: cannot open the database: %s",
                      tl_store_address_is_pg(a.db) ? "postgres" : a.db, tl_strerror(e));
            rc = TL_EXIT_INTERNAL;
        } else {
            rc = start(&a, &keys, store, terms, &cp);
        }
    }
    cli_providers_close(&cp); /* after the server and its engines */
    tl_store_destroy(store);
    tl_terms_free(terms);
    free(keys.storage);
    return rc;
}
