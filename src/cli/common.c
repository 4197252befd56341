#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/file.h"
#include "util/limits.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tailor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_code(tl_err e)
{
    switch (e) {
    case TL_OK: return TL_EXIT_OK;
    case TL_EINVAL:
    case TL_EFORMAT:
    case TL_EUTF8:
    case TL_ETOOBIG:
    case TL_EEMPTY:
    case TL_EIO:
    case TL_ENOTFOUND: return TL_EXIT_BADINPUT;
    default: return TL_EXIT_INTERNAL;
    }
}

/* Reads a whole input file; the limit is a little above the parser's own so
 * that an oversized file gets the parser's clearer message... unless it is
 * far too big, which is refused here without reading it all. */
static int read_input(const char *path, size_t max, char **data, size_t *len)
{
    tl_err e = tl_file_read(path, max, data, len);
    if (e == TL_EIO) {
        cli_error("%s: cannot read the file", path);
        return TL_EXIT_BADINPUT;
    }
    if (e == TL_ETOOBIG) {
        cli_error("%s: file too large (limit %zu bytes)", path, max);
        return TL_EXIT_BADINPUT;
    }
    if (e) {
        cli_error("%s: %s", path, tl_strerror(e));
        return cli_exit_code(e);
    }
    return TL_EXIT_OK;
}

static void report_doc_error(const char *path, tl_err e, const tl_doc_error *err)
{
    const char *msg = err->message[0] ? err->message : tl_strerror(e);
    if (err->line > 0)
        cli_error("%s: line %d: %s", path, err->line, msg);
    else
        cli_error("%s: %s", path, msg);
}

int cli_load_terms(const char *extra_path, tl_terms **out)
{
    tl_terms *t = NULL;
    tl_err e = tl_terms_load_default(&t);
    if (e) {
        cli_error("cannot load the terminology dictionary: %s", tl_strerror(e));
        return TL_EXIT_INTERNAL;
    }
    if (extra_path) {
        tl_doc_error err = {0};
        e = tl_terms_load_file(t, extra_path, &err);
        if (e) {
            report_doc_error(extra_path, e, &err);
            tl_terms_free(t);
            return cli_exit_code(e);
        }
    }
    *out = t;
    return TL_EXIT_OK;
}

int cli_load_resume(const char *path, tl_format fmt, tl_resume **out)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_input(path, TL_MAX_RESUME_BYTES, &data, &len);
    if (rc)
        return rc;
    tl_doc_error err = {0};
    tl_err e = tl_resume_parse(data, len, fmt, out, &err);
    free(data);
    if (e) {
        report_doc_error(path, e, &err);
        return cli_exit_code(e);
    }
    return TL_EXIT_OK;
}

int cli_load_job(const char *path, const tl_terms *terms, tl_job **out)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_input(path, TL_MAX_JOB_BYTES, &data, &len);
    if (rc)
        return rc;
    tl_doc_error err = {0};
    tl_err e = tl_job_parse(data, len, terms, out, &err);
    free(data);
    if (e) {
        report_doc_error(path, e, &err);
        return cli_exit_code(e);
    }
    return TL_EXIT_OK;
}
