#include "cli/cli.h"

int cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("this command is not part of this build yet");
    return TL_EXIT_INTERNAL;
}
