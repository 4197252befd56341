#include "util/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

tl_err tl_file_read(const char *path, size_t max, char **out, size_t *len)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return TL_EIO;
    tl_buf b;
    tl_buf_init(&b, max);
    char chunk[16384];
    tl_err e = TL_OK;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n > 0 && (e = tl_buf_append(&b, chunk, n)) != TL_OK)
            break;
        if (n < sizeof chunk) {
            if (ferror(f))
                e = TL_EIO;
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    return e;
}

tl_err tl_file_write(const char *path, const char *p, size_t n)
{
    int is_stdout = strcmp(path, "-") == 0;
    FILE *f = is_stdout ? stdout : fopen(path, "wb");
    if (!f)
        return TL_EIO;
    size_t w = fwrite(p, 1, n, f);
    int rc = is_stdout ? fflush(f) : fclose(f);
    return (w == n && rc == 0) ? TL_OK : TL_EIO;
}
