/* Helpers shared by the test_doc_* executables (header-only: each test is
 * one executable). */
#ifndef TEST_DOC_COMMON_H
#define TEST_DOC_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/resume.h"
#include "util/file.h"
#include "util/limits.h"

static inline char *td_load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *p = NULL;
    assert_int_equal(tl_file_read(path, TL_MAX_RESUME_BYTES, &p, len), TL_OK);
    return p;
}

static inline tl_resume *td_parse(const char *p, size_t n, tl_format f)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse(p, n, f, &r, &err);
    if (e != TL_OK)
        print_error("parse failed (%d): %s\n", e, err.message);
    assert_int_equal(e, TL_OK);
    assert_non_null(r);
    return r;
}

static inline tl_resume *td_parse_str(const char *s, tl_format f)
{
    return td_parse(s, strlen(s), f);
}

static inline tl_resume *td_parse_file(const char *name, tl_format f)
{
    size_t n;
    char *p = td_load(name, &n);
    tl_resume *r = td_parse(p, n, f);
    free(p);
    return r;
}

/* Writes r in f and parses the output back in f. */
static inline tl_resume *td_reparse(const tl_resume *r, tl_format f, char **text_out)
{
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(tl_resume_write(r, f, &out, &len), TL_OK);
    tl_resume *back = td_parse(out, len, f);
    if (text_out)
        *text_out = out;
    else
        free(out);
    return back;
}

static inline void td_str_eq(const char *want, const char *got)
{
    if (!want || !got) {
        if (want != got)
            print_error("want \"%s\", got \"%s\"\n", want ? want : "(null)",
                        got ? got : "(null)");
        assert_ptr_equal(want, got);
        return;
    }
    assert_string_equal(want, got);
}

/* Two entries say the same things (slots and bullets). */
static inline void td_entry_eq(const tl_entry *a, const tl_entry *b)
{
    td_str_eq(a->title, b->title);
    td_str_eq(a->org, b->org);
    td_str_eq(a->location, b->location);
    td_str_eq(a->start_date, b->start_date);
    td_str_eq(a->end_date, b->end_date);
    td_str_eq(a->date, b->date);
    td_str_eq(a->summary, b->summary);
    td_str_eq(a->url, b->url);
    assert_int_equal(a->n_bullets, b->n_bullets);
    for (size_t i = 0; i < a->n_bullets; i++)
        assert_string_equal(a->bullets[i], b->bullets[i]);
}

/* Two models hold the same basics, sections, entries and bullets. */
static inline void td_model_eq(const tl_resume *a, const tl_resume *b)
{
    td_str_eq(a->basics.name, b->basics.name);
    td_str_eq(a->basics.label, b->basics.label);
    td_str_eq(a->basics.email, b->basics.email);
    td_str_eq(a->basics.phone, b->basics.phone);
    td_str_eq(a->basics.location, b->basics.location);
    td_str_eq(a->basics.summary, b->basics.summary);
    assert_int_equal(a->n_sections, b->n_sections);
    for (size_t i = 0; i < a->n_sections; i++) {
        const tl_section *x = &a->sections[i], *y = &b->sections[i];
        assert_int_equal(x->kind, y->kind);
        assert_string_equal(x->key, y->key);
        assert_int_equal(x->n_entries, y->n_entries);
        for (size_t j = 0; j < x->n_entries; j++)
            td_entry_eq(&x->entries[j], &y->entries[j]);
    }
}

/* Bullets of a section kind, summed over its entries. */
static inline size_t td_bullets_of(const tl_resume *r, tl_section_kind k)
{
    const tl_section *s = tl_resume_find_section(r, k);
    size_t n = 0;
    for (size_t i = 0; s && i < s->n_entries; i++)
        n += s->entries[i].n_bullets;
    return n;
}

#endif
