#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tl_buf_init(tl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void tl_buf_free(tl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void tl_buf_reset(tl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static tl_err reserve(tl_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return TL_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return TL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return TL_ENOMEM;
    b->data = p;
    b->cap = cap;
    return TL_OK;
}

tl_err tl_buf_append(tl_buf *b, const void *p, size_t n)
{
    tl_err e = reserve(b, n);
    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TL_OK;
}

tl_err tl_buf_puts(tl_buf *b, const char *s)
{
    return tl_buf_append(b, s, strlen(s));
}

tl_err tl_buf_putc(tl_buf *b, char c)
{
    return tl_buf_append(b, &c, 1);
}

tl_err tl_buf_vprintf(tl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return TL_EINVAL;
    tl_err e = reserve(b, (size_t)n);
    if (e)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return TL_OK;
}

tl_err tl_buf_printf(tl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tl_err e = tl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

tl_err tl_buf_take(tl_buf *b, char **out, size_t *len_out)
{
    if (!b->data) {
        tl_err e = reserve(b, 0);
        if (e)
            return e;
        b->data[0] = '\0';
    }
    *out = b->data;
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return TL_OK;
}

const char *tl_buf_str(const tl_buf *b)
{
    return b->data ? b->data : "";
}
