/* Growable byte buffer with a hard cap (curl's dynbuf, in spirit).
 *
 * The content is always NUL-terminated. A write that would pass the cap
 * fails with TL_ETOOBIG and leaves the buffer as it was. */
#ifndef TL_BUF_H
#define TL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/err.h"

typedef struct tl_buf {
    char *data; /* NULL until the first write */
    size_t len;
    size_t cap;  /* allocated bytes */
    size_t max;  /* hard cap on len */
} tl_buf;

/* An empty buffer that will hold at most max bytes. Allocates nothing. */
void tl_buf_init(tl_buf *b, size_t max);
/* Frees the content; the buffer is empty and usable again. */
void tl_buf_free(tl_buf *b);
/* Empties the buffer, keeping its memory. */
void tl_buf_reset(tl_buf *b);

TL_MUST_CHECK tl_err tl_buf_append(tl_buf *b, const void *p, size_t n);
TL_MUST_CHECK tl_err tl_buf_puts(tl_buf *b, const char *s);
TL_MUST_CHECK tl_err tl_buf_putc(tl_buf *b, char c);
TL_MUST_CHECK tl_err tl_buf_printf(tl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
TL_MUST_CHECK tl_err tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap);

/* Hands the content (malloc'd, NUL-terminated, never NULL on success) to the
 * caller, who frees it; the buffer is left empty. *len_out may be NULL. */
TL_MUST_CHECK tl_err tl_buf_take(tl_buf *b, char **out, size_t *len_out);

/* The content as a string ("" when empty). Valid until the next write. */
const char *tl_buf_str(const tl_buf *b);

#endif
