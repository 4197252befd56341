/* Reading whole files with a size limit. */
#ifndef TL_FILE_H
#define TL_FILE_H

#include <stddef.h>

#include "util/err.h"

/* Reads path ("-" is standard input) into a malloc'd, NUL-terminated buffer
 * of at most max bytes. TL_EIO when it cannot be read, TL_ETOOBIG past max.
 * On failure *out is untouched. The caller frees *out. */
TL_MUST_CHECK tl_err tl_file_read(const char *path, size_t max, char **out, size_t *len);

/* Writes n bytes to path ("-" is standard output). */
TL_MUST_CHECK tl_err tl_file_write(const char *path, const char *p, size_t n);

#endif
