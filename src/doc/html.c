/* Placeholder writer until the HTML module lands. */
#include "doc/doc_int.h"

tl_err tl__html_write(const tl_resume *r, tl_buf *b)
{
    (void)r;
    (void)b;
    return TL_EFORMAT;
}
