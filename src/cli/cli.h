/* The tailor command: shared helpers of its subcommands. */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "engine/processor.h"
#include "provider/config.h"

/* Exit codes scripts can trust. */
enum { TL_EXIT_OK = 0, TL_EXIT_INTERNAL = 1, TL_EXIT_BADINPUT = 2 };

/* Prints "tailor: <fmt>" and a newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each loader prints a one-line error naming the file and returns the exit
 * code to use (TL_EXIT_OK on success). */
int cli_load_terms(const char *extra_path, tl_terms **out);
int cli_load_resume(const char *path, tl_format fmt, tl_resume **out);
int cli_load_job(const char *path, const tl_terms *terms, tl_job **out);

/* Maps a tl_err to an exit code: input problems are 2, the rest 1. */
int cli_exit_code(tl_err e);

int cmd_customize(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fake_llm(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_cover_letter(int argc, char **argv);
int cmd_config(int argc, char **argv);

/* Documents (documents.c): --format docx|pdf next to the text formats
 * (*binary: CLI_BIN_*), resumes read from PDF and DOCX files too, and
 * binary output that is never written to a terminal. */
enum { CLI_BIN_NONE = 0, CLI_BIN_DOCX, CLI_BIN_PDF };
int cli_parse_doc_format(const char *s, tl_format *fmt, int *binary);
int cli_load_document(const char *path, tl_resume **out);
int cli_write_binary(const char *data, size_t len, const char *out_path);
int cli_write_resume_binary(const tl_resume *r, int binary, const char *out_path);

/* The provider chain (providers.c): --providers "openai,anthropic,local"
 * (NULL: $TAILOR_PROVIDERS, else the config's `providers` line, else
 * "local") with each provider built from the configuration (config_path,
 * else $TAILOR_CONFIG, else ./tailor.conf, else the environment). p holds
 * the chain without "local" (the embedded engine is always last); n == 0
 * means the embedded engine alone. open prints its errors and returns the
 * exit code; on failure nothing is left to close. */
#define CLI_MAX_PROVIDERS TL_ENGINE_MAX_CHAIN
typedef struct cli_providers {
    tl_config *cfg; /* the settings' strings live here */
    tl_provider *p[CLI_MAX_PROVIDERS];
    tl_provider_conf conf[CLI_MAX_PROVIDERS];
    size_t n;
} cli_providers;
int cli_providers_open(const char *chain, const char *config_path, cli_providers *cp);
/* Registers every provider of cp with e, with its settings. */
TL_MUST_CHECK tl_err cli_providers_register(const cli_providers *cp, tl_engine *e);
/* Destroys the providers (after every engine that uses them) and the config. */
void cli_providers_close(cli_providers *cp);
/* serve --queue (worker.c): each provider of cp is replaced by a remote
 * provider of the same name whose calls `tailor worker`s make (src/dist). */
int cli_providers_to_queue(cli_providers *cp, const char *redis_url);

#endif
