#include "cli/cli.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("serve: the HTTP server is not part of this build yet");
    return TL_EXIT_INTERNAL;
}
