/* tailor config check [--config PATH]: validates the provider
 * configuration (provider/config.h) and prints the effective settings with
 * keys masked. The file is PATH, else $TAILOR_CONFIG, else ./tailor.conf
 * when it exists; without one, the settings come from the environment.
 * Exit 0 when valid, 2 when not. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/conf.h"
#include "provider/config.h"

int cmd_config(int argc, char **argv);

static void usage(FILE *f)
{
    fputs("usage: tailor config check [--config PATH]\n"
          "\n"
          "Validates the provider configuration and prints the effective settings\n"
          "(keys masked). The file is PATH, else $TAILOR_CONFIG, else ./tailor.conf;\n"
          "without one, providers come from OPENAI_* and ANTHROPIC_* variables.\n",
          f);
}

int cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            usage(stdout);
            return TL_EXIT_OK;
        }
        usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    const char *path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'h': usage(stdout); return TL_EXIT_OK;
        default: usage(stderr); return TL_EXIT_BADINPUT;
        }
    }
    if (!path && getenv("TAILOR_CONFIG") && *getenv("TAILOR_CONFIG"))
        path = getenv("TAILOR_CONFIG");
    if (!path && access("tailor.conf", R_OK) == 0)
        path = "tailor.conf";
    tl_config *cfg = NULL;
    tl_doc_error err = {0};
    tl_err e = path ? tl_config_load(path, &cfg, &err) : tl_config_from_env(&cfg);
    if (e != TL_OK) {
        if (err.line)
            cli_error("config: %s:%d: %s", path ? path : "(environment)", err.line, err.message);
        else
            cli_error("config: %s: %s", path ? path : "(environment)",
                      err.message[0] ? err.message : tl_strerror(e));
        return cli_exit_code(e);
    }
    /* The engine's defaults for the keys the file leaves out, so that the
     * dump is every setting a provider runs with. */
    long defaults[TL_RES_COUNT];
    tl_provider_conf_res_defaults(defaults);
    char *dump = NULL;
    e = tl_config_dump_defaults(cfg, defaults, &dump);
    tl_config_free(cfg);
    if (e != TL_OK) {
        cli_error("config: %s", tl_strerror(e));
        return TL_EXIT_INTERNAL;
    }
    printf("# %s\n%s", path ? path : "no config file: settings from the environment", dump);
    free(dump);
    fprintf(stderr, "config: ok\n");
    return TL_EXIT_OK;
}
