/* Placeholder reader/writer until the format module lands. */
#include "doc/doc_int.h"

tl_err tl__json_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err)
{
    (void)r;
    (void)p;
    (void)n;
    return tl__doc_fail(err, TL_EFORMAT, 0, "json reader not available yet");
}

tl_err tl__json_write(const tl_resume *r, tl_buf *b)
{
    (void)r;
    (void)b;
    return TL_EFORMAT;
}
