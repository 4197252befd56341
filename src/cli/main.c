/* The tailor command. Each subcommand lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

#define TAILOR_VERSION "0.1.0"

static void usage(FILE *f)
{
    fputs("usage: tailor COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  customize RESUME JOB   tailor a resume to a job description\n"
          "  score RESUME JOB       match score of a resume against a job\n"
          "  serve [--port N]       run the HTTP API and the web page\n"
          "  plan RESUME JOB        print a customization's task plan\n"
          "  cover-letter RESUME JOB  write a cover letter for a job\n"
          "  worker --redis URL     take provider calls from a Redis queue\n"
          "  fake-llm [--port N]    run an OpenAI-compatible test server\n"
          "  config check           validate tailor.conf and print the effective config\n"
          "  version                print the version\n"
          "\n"
          "Run 'tailor COMMAND --help' for a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    tl_log_from_env();
    if (argc < 2) {
        usage(stderr);
        return TL_EXIT_BADINPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "customize") == 0)
        return cmd_customize(argc - 1, argv + 1);
    if (strcmp(cmd, "score") == 0)
        return cmd_score(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "plan") == 0)
        return cmd_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "cover-letter") == 0)
        return cmd_cover_letter(argc - 1, argv + 1);
    if (strcmp(cmd, "config") == 0)
        return cmd_config(argc - 1, argv + 1);
    if (strcmp(cmd, "fake-llm") == 0)
        return cmd_fake_llm(argc - 1, argv + 1);
    if (strcmp(cmd, "worker") == 0)
        return cmd_worker(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        puts("tailor " TAILOR_VERSION);
        return TL_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return TL_EXIT_OK;
    }
    cli_error("unknown command '%s'", cmd);
    usage(stderr);
    return TL_EXIT_BADINPUT;
}
