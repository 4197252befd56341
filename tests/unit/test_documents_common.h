/* Helpers shared by test_docx, test_pdf and test_cover_letter
 * (header-only: each test is one executable). */
#ifndef TEST_DOCUMENTS_COMMON_H
#define TEST_DOCUMENTS_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc/resume.h"
#include "util/buf.h"
#include "util/file.h"

static const char *const td_fixtures[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};

/* Skips the test when tool (a command) is missing, or fails it when the
 * environment must have every tool (TL_REQUIRE_SERVICES, as CI sets it:
 * there scripts/deps.sh installs package). */
#define td_need_tool(tool, package)                                                                \
    do {                                                                                           \
        if (system("command -v " tool " >/dev/null 2>&1") != 0) {                                  \
            if (getenv("TL_REQUIRE_SERVICES"))                                                     \
                fail_msg("%s (%s) is not installed and TL_REQUIRE_SERVICES is set", tool,          \
                         package);                                                                 \
            print_message("SKIP: %s (%s) is not installed\n", tool, package);                      \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static inline char *td_read(const char *name, size_t max, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *p = NULL;
    assert_int_equal(tl_file_read(path, max, &p, len), TL_OK);
    return p;
}

static inline tl_resume *td_fixture(const char *name)
{
    size_t n;
    char *p = td_read(name, 4u << 20, &n);
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse(p, n, TL_FORMAT_AUTO, &r, &err);
    free(p);
    if (e)
        print_error("%s: %s\n", name, err.message);
    assert_int_equal(e, TL_OK);
    return r;
}

static inline bool td_same(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Every role, date and bullet of `orig` is in `back`: same sections (by
 * key, in any order), same entries; work-like entries keep title and
 * organisation; every entry keeps its dates and its bullets, verbatim. */
static inline void td_assert_survives(const tl_resume *orig, const tl_resume *back,
                                      const char *what)
{
    for (size_t i = 0; i < orig->n_sections; i++) {
        const tl_section *s = &orig->sections[i];
        if (!s->n_entries)
            continue;
        int bi = tl_resume_section_index(back, s->key);
        if (bi < 0)
            print_error("%s: section %s lost\n", what, s->key);
        assert_true(bi >= 0);
        const tl_section *t = &back->sections[bi];
        if (t->n_entries != s->n_entries)
            print_error("%s: %s has %zu entries, want %zu\n", what, s->key, t->n_entries,
                        s->n_entries);
        assert_int_equal(t->n_entries, s->n_entries);
        bool roles = s->kind == TL_SEC_WORK || s->kind == TL_SEC_VOLUNTEER;
        for (size_t k = 0; k < s->n_entries; k++) {
            const tl_entry *a = &s->entries[k], *b = &t->entries[k];
            if (roles) {
                if (!td_same(a->title, b->title) || !td_same(a->org, b->org) ||
                    !td_same(a->start_date, b->start_date) || !td_same(a->end_date, b->end_date))
                    print_error("%s: %s[%zu]: '%s' '%s' %s-%s, want '%s' '%s' %s-%s\n", what,
                                s->key, k, b->title, b->org, b->start_date, b->end_date, a->title,
                                a->org, a->start_date, a->end_date);
                assert_true(td_same(a->title, b->title));
                assert_true(td_same(a->org, b->org));
            }
            if (!td_same(a->start_date, b->start_date) || !td_same(a->end_date, b->end_date) ||
                !td_same(a->date, b->date))
                print_error("%s: %s[%zu]: dates %s-%s %s, want %s-%s %s\n", what, s->key, k,
                            b->start_date, b->end_date, b->date, a->start_date, a->end_date,
                            a->date);
            assert_true(td_same(a->start_date, b->start_date));
            assert_true(td_same(a->end_date, b->end_date));
            assert_true(td_same(a->date, b->date));
            if (a->n_bullets != b->n_bullets)
                print_error("%s: %s[%zu] has %zu bullets, want %zu\n", what, s->key, k,
                            b->n_bullets, a->n_bullets);
            assert_int_equal(a->n_bullets, b->n_bullets);
            for (size_t m = 0; m < a->n_bullets; m++) {
                if (!td_same(a->bullets[m], b->bullets[m]))
                    print_error("%s: %s[%zu] bullet %zu: '%s', want '%s'\n", what, s->key, k, m,
                                b->bullets[m], a->bullets[m]);
                assert_string_equal(a->bullets[m], b->bullets[m]);
            }
        }
    }
}

/* ---- documents another program wrote: same content, set its own way ---- */

/* Bullet glyphs a writer may leave in front of an item. */
static inline size_t td_glyph(const char *s)
{
    static const char *const g[] = {
        "\xe2\x80\xa2", "\xe2\x80\x93", "\xc2\xb7", "\xe2\x96\xaa", "\xe2\x97\x8f", "-", "*"};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        size_t n = strlen(g[i]);
        if (strncmp(s, g[i], n) == 0 && (s[n] == ' ' || s[n] == '\t'))
            return n;
    }
    return 0;
}

/* s with a leading bullet glyph dropped and every run of white space
 * (tabs, newlines, no-break spaces) one space, trimmed: how another
 * program may set the same text. out has cap bytes. */
static inline const char *td_norm(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    if (!s)
        return NULL;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    s += td_glyph(s);
    bool space = false;
    for (; *s && k + 2 < cap; s++) {
        bool nbsp = (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0;
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || nbsp) {
            s += nbsp;
            space = k > 0;
            continue;
        }
        if (space)
            out[k++] = ' ';
        space = false;
        out[k++] = *s;
    }
    out[k] = '\0';
    return out;
}

static inline bool td_same_norm(const char *a, const char *b)
{
    char x[4096], y[4096];
    return td_same(td_norm(a, x, sizeof x), td_norm(b, y, sizeof y));
}

/* The title an entry is set under: an education entry's degree and area
 * are one line ("Bachelor in Computer Science") in every writer. */
static inline const char *td_title(const tl_section *s, const tl_entry *e, char *out, size_t cap)
{
    const char *area = s->kind == TL_SEC_EDUCATION ? tl_entry_field(e, "area") : NULL;
    if (!area)
        return e->title;
    snprintf(out, cap, "%s%s%s", e->title ? e->title : "", e->title ? " in " : "", area);
    return out;
}

/* Section s (of the expected resume) is in `got` under its key, with the
 * same entries in order: title (position, degree, skill group, ...),
 * organisation and dates when `heads`, and every bullet (highlights,
 * keywords, courses) with the same text, white space and bullet glyphs
 * aside. */
static inline void td_assert_section(const tl_section *s, const tl_resume *got, bool heads,
                                     const char *what)
{
    int gi = tl_resume_section_index(got, s->key);
    if (gi < 0)
        print_error("%s: section %s lost\n", what, s->key);
    assert_true(gi >= 0);
    const tl_section *t = &got->sections[gi];
    if (t->n_entries != s->n_entries)
        print_error("%s: %s has %zu entries, want %zu\n", what, s->key, t->n_entries, s->n_entries);
    assert_int_equal(t->n_entries, s->n_entries);
    for (size_t k = 0; k < s->n_entries; k++) {
        const tl_entry *a = &s->entries[k], *b = &t->entries[k];
        char ta[512], tb[512];
        const char *wt = td_title(s, a, ta, sizeof ta), *gt = td_title(t, b, tb, sizeof tb);
        bool head = td_same_norm(wt, gt) && td_same_norm(a->org, b->org) &&
                    td_same(a->start_date, b->start_date) && td_same(a->end_date, b->end_date) &&
                    td_same(a->date, b->date);
        if (heads && !head)
            print_error("%s: %s[%zu]: '%s' '%s' %s-%s %s, want '%s' '%s' %s-%s %s\n", what, s->key,
                        k, gt, b->org, b->start_date, b->end_date, b->date, wt, a->org,
                        a->start_date, a->end_date, a->date);
        assert_true(head || !heads);
        if (a->n_bullets != b->n_bullets)
            print_error("%s: %s[%zu] has %zu bullets, want %zu\n", what, s->key, k, b->n_bullets,
                        a->n_bullets);
        assert_int_equal(b->n_bullets, a->n_bullets);
        for (size_t m = 0; m < a->n_bullets; m++) {
            if (!td_same_norm(a->bullets[m], b->bullets[m]))
                print_error("%s: %s[%zu] bullet %zu: '%s', want '%s'\n", what, s->key, k, m,
                            b->bullets[m], a->bullets[m]);
            assert_true(td_same_norm(a->bullets[m], b->bullets[m]));
        }
    }
}

/* Every section of `want` with entries is in `got`, as td_assert_section
 * checks it, and so is the name. */
static inline void td_assert_same_content(const tl_resume *want, const tl_resume *got,
                                          const char *what)
{
    assert_true(td_same_norm(want->basics.name, got->basics.name));
    for (size_t i = 0; i < want->n_sections; i++)
        if (want->sections[i].n_entries)
            td_assert_section(&want->sections[i], got, true, what);
}

/* The same resume through the plain-text writer and reader: what a DOCX or
 * PDF round trip can at best give back. */
static inline tl_resume *td_text_round_trip(const tl_resume *r)
{
    char *t = NULL;
    size_t n = 0;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_TEXT, &t, &n), TL_OK);
    tl_resume *back = NULL;
    tl_doc_error err;
    assert_int_equal(tl_resume_parse(t, n, TL_FORMAT_TEXT, &back, &err), TL_OK);
    free(t);
    return back;
}

#endif
