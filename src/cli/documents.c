/* Documents in and out for the subcommands: resumes read from PDF and DOCX
 * files as well as the text formats, and DOCX and PDF output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "doc/docx.h"
#include "doc/pdf.h"
#include "util/file.h"
#include "util/limits.h"
#include "util/str.h"

int cli_parse_doc_format(const char *s, tl_format *fmt, int *binary)
{
    *binary = CLI_BIN_NONE;
    if (s && tl_str_ieq(s, "docx")) {
        *binary = CLI_BIN_DOCX;
        return TL_EXIT_OK;
    }
    if (s && tl_str_ieq(s, "pdf")) {
        *binary = CLI_BIN_PDF;
        return TL_EXIT_OK;
    }
    return tl_format_parse(s, fmt) == TL_OK ? TL_EXIT_OK : TL_EXIT_BADINPUT;
}

int cli_load_document(const char *path, tl_resume **out)
{
    size_t max = TL_PDF_MAX_BYTES > TL_DOCX_MAX_BYTES ? TL_PDF_MAX_BYTES : TL_DOCX_MAX_BYTES;
    char *data = NULL;
    size_t len = 0;
    tl_err e = tl_file_read(path, max, &data, &len);
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
    bool pdf = tl_pdf_sniff(data, len), docx = tl_docx_sniff(data, len);
    free(data);
    if (!pdf && !docx)
        return cli_load_resume(path, TL_FORMAT_AUTO, out);
    /* read again with the binary readers (the file is small) */
    if (tl_file_read(path, max, &data, &len) != TL_OK) {
        cli_error("%s: cannot read the file", path);
        return TL_EXIT_BADINPUT;
    }
    tl_doc_error err = {0, ""};
    e = pdf ? tl_pdf_read(data, len, out, &err) : tl_docx_read(data, len, out, &err);
    free(data);
    if (e) {
        cli_error("%s: %s", path, err.message[0] ? err.message : tl_strerror(e));
        return cli_exit_code(e);
    }
    return TL_EXIT_OK;
}

int cli_write_binary(const char *data, size_t len, const char *out_path)
{
    bool to_stdout = !out_path || strcmp(out_path, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_error("refusing to write a binary document to the terminal; use -o FILE");
        return TL_EXIT_BADINPUT;
    }
    if (tl_file_write(to_stdout ? "-" : out_path, data, len) != TL_OK) {
        cli_error("%s: cannot write the result", to_stdout ? "stdout" : out_path);
        return TL_EXIT_INTERNAL;
    }
    return TL_EXIT_OK;
}

int cli_write_resume_binary(const tl_resume *r, int binary, const char *out_path)
{
    if (binary != CLI_BIN_DOCX && binary != CLI_BIN_PDF)
        return TL_EXIT_INTERNAL;
    bool to_stdout = !out_path || strcmp(out_path, "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_error("refusing to write a binary document to the terminal; use -o FILE");
        return TL_EXIT_BADINPUT;
    }
    char *data = NULL;
    size_t len = 0;
    tl_err e = binary == CLI_BIN_DOCX ? tl_docx_write(r, NULL, &data, &len)
                                      : tl_pdf_write(r, NULL, &data, &len);
    if (e) {
        cli_error("cannot render the result as %s: %s", binary == CLI_BIN_DOCX ? "DOCX" : "PDF",
                  tl_strerror(e));
        return cli_exit_code(e) == TL_EXIT_BADINPUT ? TL_EXIT_BADINPUT : TL_EXIT_INTERNAL;
    }
    int rc = cli_write_binary(data, len, out_path);
    free(data);
    return rc;
}
