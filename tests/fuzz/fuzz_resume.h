/* The body shared by the resume fuzz targets (fuzz_json_resume,
 * fuzz_markdown, fuzz_text): parse with one format and, on success, check
 * the model's promises, write every format, and parse the outputs again.
 * Checks abort() so that libFuzzer reports them. */
#ifndef FUZZ_RESUME_H
#define FUZZ_RESUME_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc/resume.h"

/* Every bullet is reachable through its id. */
static void fuzz_check_ids(tl_resume *r)
{
    char id[256];
    for (size_t i = 0; i < r->n_sections; i++) {
        tl_section *s = &r->sections[i];
        for (size_t j = 0; j < s->n_entries && j < 4; j++) {
            tl_entry *e = &s->entries[j];
            for (size_t k = 0; k < e->n_bullets && k < 4; k++) {
                int n = tl_resume_entry_id(r, i, j, (int)k, id, sizeof id);
                if (n < 0 || (size_t)n >= sizeof id)
                    continue;
                /* a section key that repeats names the first section */
                if (tl_resume_section_index(r, s->key) != (int)i)
                    continue;
                if (tl_resume_slot(r, id) != &e->bullets[k])
                    abort();
            }
        }
    }
}

static void fuzz_reparse(const char *out, size_t len, tl_format f, const tl_resume *from)
{
    tl_resume *back = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse(out, len, f, &back, &err);
    if (e != TL_OK) {
        if (back || !err.message[0])
            abort();
        /* what the JSON writer writes, the JSON reader reads */
        if (f == TL_FORMAT_JSON)
            abort();
        return;
    }
    if (f == TL_FORMAT_JSON && tl_resume_bullet_count(back) != tl_resume_bullet_count(from))
        abort();
    tl_resume_free(back);
}

static int fuzz_resume_one(const uint8_t *data, size_t size, tl_format fmt)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse((const char *)data, size, fmt, &r, &err);
    if (e != TL_OK) {
        if (r || !err.message[0])
            abort(); /* a refusal says why and hands out nothing */
        return 0;
    }
    fuzz_check_ids(r);
    tl_resume *c = NULL;
    if (tl_resume_clone(r, &c) != TL_OK)
        abort();
    if (tl_resume_bullet_count(c) != tl_resume_bullet_count(r))
        abort();
    tl_resume_free(c);
    static const tl_format outs[] = {TL_FORMAT_JSON, TL_FORMAT_MARKDOWN, TL_FORMAT_TEXT,
                                     TL_FORMAT_HTML};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        char *out = NULL;
        size_t len = 0;
        if (tl_resume_write(r, outs[i], &out, &len) != TL_OK || !out || strlen(out) != len)
            abort();
        if (outs[i] == TL_FORMAT_JSON && r->raw) {
            /* a model read from JSON and left alone writes its input back */
            json_t *j = json_loadb(out, len, 0, NULL);
            if (!j || !json_equal(j, r->raw))
                abort();
            json_decref(j);
        }
        if (outs[i] != TL_FORMAT_HTML)
            fuzz_reparse(out, len, outs[i], r);
        free(out);
    }
    tl_resume_free(r);
    return 0;
}

#endif
