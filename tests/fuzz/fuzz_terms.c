/* libFuzzer target: the terminology dictionary. The input is read as a
 * user terms file (merged into a fresh dictionary) and scanned as text with
 * both that dictionary and the shipped one; matches must lie inside the
 * text, in order, without overlaps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/terms.h"

static tl_terms *shipped;

typedef struct check {
    const tl_terms *t;
    size_t n;
    size_t last_end;
} check;

static bool on_match(void *ud, const tl_term_match *m)
{
    check *c = ud;
    if (m->len == 0 || m->start < c->last_end || m->start + m->len > c->n)
        abort();
    if (m->id < 0 || (size_t)m->id >= tl_terms_count(c->t) || !tl_terms_canonical(c->t, m->id))
        abort();
    c->last_end = m->start + m->len;
    return true;
}

static void scan_with(const tl_terms *t, const char *p, size_t n)
{
    check c = {t, n, 0};
    tl_terms_scan(t, p, n, on_match, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!shipped && tl_terms_load_default(&shipped) != TL_OK)
        abort();
    const char *p = (const char *)data;
    scan_with(shipped, p, size);
    (void)tl_terms_lookup(shipped, p, size);

    tl_terms *t = tl_terms_new();
    if (!t)
        return 0;
    tl_doc_error err;
    tl_err e = tl_terms_parse(t, p, size, &err);
    if (e == TL_EFORMAT && (err.line <= 0 || err.message[0] == '\0'))
        abort(); /* a malformed line is named */
    if (e == TL_OK) {
        for (size_t i = 0; i < tl_terms_count(t); i++) {
            const char *c = tl_terms_canonical(t, (int)i);
            if (!c || !tl_terms_category(t, (int)i))
                abort();
            (void)tl_terms_lookup(t, c, strlen(c));
        }
        scan_with(t, p, size);
    }
    tl_terms_free(t);
    return 0;
}
