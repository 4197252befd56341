/* libFuzzer target: the DOCX reader (zip container, XML, styles, the text
 * reader behind it). An input that is not a zip archive is packed as
 * word/document.xml of one, so that mutations reach the XML reader past
 * the archive's checksums. A refusal must say why and hand out nothing;
 * what is read is written back as DOCX and must read again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "doc/docx.h"

/* data as the document part of an archive (NULL when libzip fails). */
static char *pack(const uint8_t *data, size_t size, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    char *out = NULL;
    if (!za) {
        zip_source_free(src);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_source_keep(src);
    zip_source_t *s = zip_source_buffer(za, data, size, 0);
    if (!s || zip_file_add(za, "word/document.xml", s, 0) < 0 || zip_close(za) < 0) {
        zip_source_free(s);
        zip_discard(za);
        zip_source_free(src);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_stat_t st;
    if (zip_source_stat(src, &st) == 0 && (out = malloc(st.size ? st.size : 1)) &&
        zip_source_open(src) == 0) {
        if (zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
            free(out);
            out = NULL;
        }
        zip_source_close(src);
        *len = st.size;
    }
    zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *packed = NULL;
    if (!tl_docx_sniff(data, size)) {
        size_t len = 0;
        packed = pack(data, size, &len);
        if (!packed)
            return 0;
        data = (const uint8_t *)packed;
        size = len;
    }
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_docx_read(data, size, &r, &err);
    if (e != TL_OK) {
        if (r || !err.message[0])
            abort();
        free(packed);
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
    free(packed);
    return 0;
}
