/* tailor fake-llm: the OpenAI/Anthropic-compatible test server
 * (provider/fakellm.h) as a command. Prints "listening on HOST:PORT" as
 * the first line of standard output, then runs until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "provider/fakellm.h"
#include "util/log.h"

static void usage(FILE *f)
{
    fputs("usage: tailor fake-llm [OPTIONS]\n"
          "\n"
          "An OpenAI-compatible (POST /v1/chat/completions) and Anthropic-compatible\n"
          "(POST /v1/messages) server for tests and benchmarks. GET /stats reports\n"
          "what it served; POST /stats/reset zeroes it.\n"
          "\n"
          "options:\n"
          "  --port N                 port (default 0: a free one, printed on stdout)\n"
          "  --bind ADDR              IPv4 address (default 127.0.0.1)\n"
          "  --threads N              server threads (default 2)\n"
          "  --latency-ms MS          median latency (default 0)\n"
          "  --latency-dist D         fixed | lognormal (default fixed)\n"
          "  --latency-sigma S        lognormal sigma (default 0.5)\n"
          "  --ms-per-token MS        added per answer token (default 0)\n"
          "  --error-rate R           share of 500/503 answers, 0..1\n"
          "  --timeout-rate R         share of calls never answered\n"
          "  --timeout-hold-ms MS     how long such a call is held (default 600000)\n"
          "  --malformed-rate R       share of 200s with a cut-off body\n"
          "  --hallucinate-rate R     share of answers with a fake employer or number\n"
          "  --rpm N, --tpm N         limits; past them 429 with Retry-After\n"
          "  --outage START:END       503 between these seconds since start (repeatable)\n"
          "  --reject-response-format answer 400 to response_format (as some servers do)\n"
          "  --seed N                 random seed (default 42)\n",
          f);
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_ulong(const char *s, unsigned long long hi, unsigned long long *out)
{
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > hi)
        return false;
    *out = v;
    return true;
}

static int bad_value(const char *opt, const char *v)
{
    cli_error("fake-llm: bad value '%s' for %s", v ? v : "", opt);
    return TL_EXIT_BADINPUT;
}

int cmd_fake_llm(int argc, char **argv)
{
    static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                         {"bind", required_argument, NULL, 'b'},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"latency-ms", required_argument, NULL, 'l'},
                                         {"latency-dist", required_argument, NULL, 'D'},
                                         {"latency-sigma", required_argument, NULL, 'S'},
                                         {"ms-per-token", required_argument, NULL, 'k'},
                                         {"error-rate", required_argument, NULL, 'e'},
                                         {"timeout-rate", required_argument, NULL, 't'},
                                         {"timeout-hold-ms", required_argument, NULL, 'O'},
                                         {"malformed-rate", required_argument, NULL, 'm'},
                                         {"hallucinate-rate", required_argument, NULL, 'H'},
                                         {"rpm", required_argument, NULL, 'r'},
                                         {"tpm", required_argument, NULL, 'R'},
                                         {"outage", required_argument, NULL, 'o'},
                                         {"reject-response-format", no_argument, NULL, 'F'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    unsigned long long u;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!parse_ulong(optarg, 65535, &u))
                return bad_value("--port", optarg);
            o.port = (unsigned)u;
            break;
        case 'b': o.bind = optarg; break;
        case 'T':
            if (!parse_ulong(optarg, 256, &u) || u == 0)
                return bad_value("--threads", optarg);
            o.threads = (unsigned)u;
            break;
        case 'l':
            if (!parse_double(optarg, 0, 3600000, &o.latency_ms))
                return bad_value("--latency-ms", optarg);
            break;
        case 'D':
            if (strcmp(optarg, "fixed") == 0)
                o.latency_dist = TL_FAKELLM_FIXED;
            else if (strcmp(optarg, "lognormal") == 0)
                o.latency_dist = TL_FAKELLM_LOGNORMAL;
            else
                return bad_value("--latency-dist", optarg);
            break;
        case 'S':
            if (!parse_double(optarg, 0.001, 10, &o.latency_sigma))
                return bad_value("--latency-sigma", optarg);
            break;
        case 'k':
            if (!parse_double(optarg, 0, 60000, &o.ms_per_token))
                return bad_value("--ms-per-token", optarg);
            break;
        case 'e':
            if (!parse_double(optarg, 0, 1, &o.error_rate))
                return bad_value("--error-rate", optarg);
            break;
        case 't':
            if (!parse_double(optarg, 0, 1, &o.timeout_rate))
                return bad_value("--timeout-rate", optarg);
            break;
        case 'O':
            if (!parse_ulong(optarg, 86400000, &u) || u == 0)
                return bad_value("--timeout-hold-ms", optarg);
            o.timeout_hold_ms = (int)u;
            break;
        case 'm':
            if (!parse_double(optarg, 0, 1, &o.malformed_rate))
                return bad_value("--malformed-rate", optarg);
            break;
        case 'H':
            if (!parse_double(optarg, 0, 1, &o.hallucinate_rate))
                return bad_value("--hallucinate-rate", optarg);
            break;
        case 'r':
            if (!parse_ulong(optarg, 100000000, &u))
                return bad_value("--rpm", optarg);
            o.rpm = (unsigned)u;
            break;
        case 'R':
            if (!parse_ulong(optarg, 4000000000ull, &u))
                return bad_value("--tpm", optarg);
            o.tpm = (unsigned)u;
            break;
        case 'o':
            if (tl_fakellm_add_outage(&o, optarg) != TL_OK)
                return bad_value("--outage (START:END, at most 16)", optarg);
            break;
        case 'F': o.reject_response_format = true; break;
        case 's':
            if (!parse_ulong(optarg, UINT64_MAX, &u))
                return bad_value("--seed", optarg);
            o.seed = u;
            break;
        case 'h': usage(stdout); return TL_EXIT_OK;
        default: usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (optind < argc) {
        cli_error("fake-llm: unexpected argument '%s'", argv[optind]);
        return TL_EXIT_BADINPUT;
    }

    /* Signals are taken by sigwait below only: block them before any
     * thread starts, so every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    tl_fakellm *f = NULL;
    tl_err e = tl_fakellm_start(&o, &f);
    if (e != TL_OK) {
        cli_error("fake-llm: cannot listen on %s:%u: %s", o.bind, o.port, tl_strerror(e));
        return e == TL_EINVAL ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    printf("listening on %s:%u\n", o.bind, tl_fakellm_port(f));
    fflush(stdout);
    tl_info("msg=\"fake-llm started\" port=%u latency_ms=%g error_rate=%g timeout_rate=%g "
            "rpm=%u tpm=%u",
            tl_fakellm_port(f), o.latency_ms, o.error_rate, o.timeout_rate, o.rpm, o.tpm);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f, &st);
    tl_fakellm_stop(f);
    tl_info("msg=\"fake-llm stopped\" signal=%s calls=%llu ok=%llu",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", (unsigned long long)st.calls,
            (unsigned long long)st.ok);
    return TL_EXIT_OK;
}
