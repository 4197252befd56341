/* tailor worker: takes provider calls from the Redis Streams queue, makes
 * them (shared rate limits, shared cache tier) and stores the answers,
 * until SIGTERM or SIGINT; then it finishes the calls in hand and exits 0.
 * See src/dist/dist.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dist/dist.h"
#include "provider/anthropic.h"
#include "provider/openai.h"
#include "util/log.h"

enum { MAX_PROVIDERS = 8 };

static void worker_usage(FILE *f)
{
    fputs("usage: tailor worker --redis redis://HOST:PORT [--concurrency N]\n"
          "                     [--providers NAME[=BASE_URL],...] [--rpm N] [--tpm N]\n"
          "                     [--claim-idle-ms MS] [--max-deliveries N] [--prefix P]\n"
          "                     [--no-cache]\n"
          "\n"
          "  --redis           the Redis server (env TAILOR_REDIS)\n"
          "  --concurrency     calls in flight (default 4)\n"
          "  --providers       openai and/or anthropic, each with an optional base URL\n"
          "                    (keys from OPENAI_API_KEY / ANTHROPIC_API_KEY; default openai)\n"
          "  --rpm, --tpm      the providers' limits, kept by all workers together\n"
          "  --claim-idle-ms   take over a dead worker's calls after this (default 30000)\n"
          "  --max-deliveries  then dead-letter: the embedded engine does it (default 3)\n"
          "  --prefix          Redis key prefix (default tailor)\n"
          "  --no-cache        no shared cache tier\n",
          f);
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

typedef struct worker_args {
    const char *redis;
    const char *prefix;
    const char *providers;
    uint64_t concurrency, rpm, tpm, claim_idle_ms, max_deliveries;
    bool no_cache;
} worker_args;

static int bad(const char *opt, const char *v)
{
    cli_error("worker: bad value '%s' for %s", v ? v : "", opt);
    return TL_EXIT_BADINPUT;
}

static int parse_args(int argc, char **argv, worker_args *a)
{
    static const struct option opts[] = {{"redis", required_argument, NULL, 'r'},
                                         {"concurrency", required_argument, NULL, 'c'},
                                         {"providers", required_argument, NULL, 'p'},
                                         {"rpm", required_argument, NULL, 'R'},
                                         {"tpm", required_argument, NULL, 'T'},
                                         {"claim-idle-ms", required_argument, NULL, 'i'},
                                         {"max-deliveries", required_argument, NULL, 'm'},
                                         {"prefix", required_argument, NULL, 'P'},
                                         {"no-cache", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    a->redis = getenv("TAILOR_REDIS");
    a->concurrency = 4;
    a->providers = "openai";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:c:p:R:T:i:m:P:nh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': a->redis = optarg; break;
        case 'c':
            if (!parse_u64(optarg, 1, 256, &a->concurrency))
                return bad("--concurrency", optarg);
            break;
        case 'p': a->providers = optarg; break;
        case 'R':
            if (!parse_u64(optarg, 1, UINT32_MAX, &a->rpm))
                return bad("--rpm", optarg);
            break;
        case 'T':
            if (!parse_u64(optarg, 1, UINT32_MAX, &a->tpm))
                return bad("--tpm", optarg);
            break;
        case 'i':
            if (!parse_u64(optarg, 1, 86400000, &a->claim_idle_ms))
                return bad("--claim-idle-ms", optarg);
            break;
        case 'm':
            if (!parse_u64(optarg, 1, 1000, &a->max_deliveries))
                return bad("--max-deliveries", optarg);
            break;
        case 'P': a->prefix = optarg; break;
        case 'n': a->no_cache = true; break;
        case 'h': worker_usage(stdout); exit(TL_EXIT_OK);
        default: worker_usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (optind != argc) {
        worker_usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    if (!a->redis || !*a->redis) {
        cli_error("worker: --redis redis://HOST:PORT is required");
        return TL_EXIT_BADINPUT;
    }
    char host[256];
    int port = 0, db = 0;
    if (tl_dist_parse_url(a->redis, host, sizeof host, &port, &db) != TL_OK)
        return bad("--redis", a->redis);
    return TL_EXIT_OK;
}

/* Builds the providers named in list ("openai=http://...,anthropic"). */
static int make_providers(const worker_args *a, tl_provider **ps, size_t *n)
{
    char *copy = strdup(a->providers);
    if (!copy)
        return TL_EXIT_INTERNAL;
    int rc = TL_EXIT_OK;
    char *p = copy;
    while (*p && rc == TL_EXIT_OK) {
        size_t len = strcspn(p, ",");
        char *next = p[len] ? p + len + 1 : p + len;
        p[len] = '\0';
        char *url = strchr(p, '=');
        if (url)
            *url++ = '\0';
        tl_err e = TL_EINVAL;
        if (*n == MAX_PROVIDERS) {
            cli_error("worker: at most %d providers", MAX_PROVIDERS);
            rc = TL_EXIT_BADINPUT;
            break;
        }
        if (strcmp(p, "openai") == 0) {
            tl_openai_opts o = {.base_url = url};
            e = tl_openai_create(&o, &ps[*n]);
        } else if (strcmp(p, "anthropic") == 0) {
            tl_anthropic_opts o = {.base_url = url};
            e = tl_anthropic_create(&o, &ps[*n]);
        } else {
            cli_error("worker: unknown provider '%s' (openai, anthropic)", p);
            rc = TL_EXIT_BADINPUT;
            break;
        }
        if (e) {
            cli_error("worker: cannot make provider '%s': %s", p, tl_strerror(e));
            rc = cli_exit_code(e);
            break;
        }
        (*n)++;
        p = next;
    }
    free(copy);
    return rc;
}

int cli_providers_to_queue(cli_providers *cp, const char *redis_url)
{
    char host[256];
    int port = 0, db = 0;
    if (tl_dist_parse_url(redis_url, host, sizeof host, &port, &db) != TL_OK) {
        cli_error("serve: bad value '%s' for --queue (redis://HOST:PORT)", redis_url);
        return TL_EXIT_BADINPUT;
    }
    if (cp->n == 0) {
        cli_error("serve: --queue sends provider calls to workers, but the chain has no "
                  "provider (--providers openai,...)");
        return TL_EXIT_BADINPUT;
    }
    for (size_t i = 0; i < cp->n; i++) {
        /* Same name (requests and settings name it), calls made elsewhere:
         * the workers call their provider of that name. */
        char name[64];
        snprintf(name, sizeof name, "%s", cp->p[i]->name ? cp->p[i]->name : "provider");
        char model[128] = "";
        if (cp->p[i]->model)
            snprintf(model, sizeof model, "%s", cp->p[i]->model);
        tl_dist_remote_opts ro = {
            .url = redis_url, .name = name, .target = name, .model = model[0] ? model : NULL};
        tl_provider *remote = NULL;
        tl_err e = tl_dist_remote_create(&ro, &remote);
        if (e) {
            cli_error("serve: cannot use the queue at %s: %s", redis_url, tl_strerror(e));
            return TL_EXIT_INTERNAL;
        }
        tl_provider_destroy(cp->p[i]);
        cp->p[i] = remote;
    }
    fprintf(stderr, "tailor: provider calls go to the workers on %s\n", redis_url);
    return TL_EXIT_OK;
}

int cmd_worker(int argc, char **argv)
{
    worker_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    tl_provider *ps[MAX_PROVIDERS] = {0};
    size_t n = 0;
    tl_dist_worker *w = NULL;
    if ((rc = make_providers(&a, ps, &n)) == TL_EXIT_OK) {
        tl_dist_worker_provider wp[MAX_PROVIDERS];
        for (size_t i = 0; i < n; i++)
            wp[i] = (tl_dist_worker_provider){
                .p = ps[i], .requests_per_minute = a.rpm, .tokens_per_minute = a.tpm};
        tl_dist_worker_opts o = {.url = a.redis,
                                 .prefix = a.prefix,
                                 .concurrency = (unsigned)a.concurrency,
                                 .providers = wp,
                                 .n_providers = n,
                                 .claim_idle_ms = a.claim_idle_ms,
                                 .max_deliveries = (unsigned)a.max_deliveries,
                                 .no_cache = a.no_cache};
        tl_err e = tl_dist_worker_start(&o, &w);
        if (e) {
            cli_error("worker: cannot start on %s: %s", a.redis, tl_strerror(e));
            rc = TL_EXIT_INTERNAL;
        }
    }
    if (rc == TL_EXIT_OK) {
        fprintf(stderr, "tailor: worker ready on %s (%u calls at once)\n", a.redis,
                (unsigned)a.concurrency);
        int sig = 0;
        while (sigwait(&set, &sig) != 0)
            ;
        tl_info("msg=\"signal received, finishing the calls in hand\" signal=%s",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        tl_dist_worker_stats st;
        tl_dist_worker_stats_get(w, &st);
        tl_dist_worker_stop(w);
        fprintf(stderr,
                "tailor: worker done: tasks=%llu provider_calls=%llu cache_hits=%llu "
                "dead_letters=%llu rate_waits=%llu errors=%llu\n",
                (unsigned long long)st.tasks, (unsigned long long)st.provider_calls,
                (unsigned long long)st.cache_hits, (unsigned long long)st.dead_letters,
                (unsigned long long)st.rate_waits, (unsigned long long)st.errors);
    }
    for (size_t i = 0; i < n; i++)
        tl_provider_destroy(ps[i]);
    return rc;
}
