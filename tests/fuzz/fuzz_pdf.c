/* libFuzzer target: the PDF reader (poppler's text and geometry, the line
 * and column logic, the text reader behind it). A refusal must say why and
 * hand out nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_pdf_read(data, size, &r, &err);
    if (e != TL_OK) {
        if (r || !err.message[0])
            abort();
        return 0;
    }
    tl_resume_free(r);
    return 0;
}
