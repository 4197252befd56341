/* libFuzzer target: the DOCX reader (zip container, XML, styles, the text
 * reader behind it). A refusal must say why and hand out nothing; what is
 * read is written back as DOCX and must read again with its bullets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/docx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_docx_read(data, size, &r, &err);
    if (e != TL_OK) {
        if (r || !err.message[0])
            abort();
        return 0;
    }
    char *out = NULL;
    size_t len = 0;
    if (tl_docx_write(r, NULL, &out, &len) != TL_OK)
        abort();
    tl_resume *back = NULL;
    if (tl_docx_read(out, len, &back, &err) != TL_OK)
        abort(); /* what the writer writes, the reader reads */
    tl_resume_free(back);
    free(out);
    tl_resume_free(r);
    return 0;
}
