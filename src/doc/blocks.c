/* The printed layout of a resume (see blocks.h). */
#include "doc/blocks.h"

#include <stdlib.h>
#include <string.h>

#include "doc/doc_int.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

bool tl__block_side_kind(tl_section_kind k)
{
    switch (k) {
    case TL_SEC_SKILLS:
    case TL_SEC_EDUCATION:
    case TL_SEC_CERTIFICATES:
    case TL_SEC_LANGUAGES:
    case TL_SEC_INTERESTS:
    case TL_SEC_AWARDS: return true;
    default: return false;
    }
}

void tl__blocks_free(tl__blocks *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->items[i].text);
    free(b->items);
    memset(b, 0, sizeof *b);
}

/* Appends a block whose text is t[0..n) with newlines and tabs turned into
 * spaces. */
static tl_err push(tl__blocks *b, tl__block_kind kind, const char *t, size_t n, size_t lead,
                   bool side)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        if (cap > 1u << 20)
            return TL_ETOOBIG;
        tl__block *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return TL_ENOMEM;
        b->items = items;
        b->cap = cap;
    }
    char *text = malloc(n + 1);
    if (!text)
        return TL_ENOMEM;
    for (size_t i = 0; i < n; i++)
        text[i] = (t[i] == '\n' || t[i] == '\r' || t[i] == '\t') ? ' ' : t[i];
    text[n] = '\0';
    tl__block *k = &b->items[b->n++];
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->text = text;
    k->lead = lead <= n ? lead : 0;
    k->side = side;
    return TL_OK;
}

static tl_err push_buf(tl__blocks *b, tl__block_kind kind, tl_buf *t, size_t lead, bool side)
{
    tl_err e = push(b, kind, tl_buf_str(t), t->len, lead, side);
    tl_buf_reset(t);
    return e;
}

/* One block per non-empty line of s. */
static tl_err push_paras(tl__blocks *b, tl__block_kind kind, const char *s, bool side)
{
    tl_err e = TL_OK;
    while (e == TL_OK && *s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        const char *p = s;
        size_t m = n;
        while (m && (*p == ' ' || *p == '\t' || *p == '\r')) {
            p++;
            m--;
        }
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t' || p[m - 1] == '\r'))
            m--;
        if (m)
            e = push(b, kind, p, m, 0, side);
        s += n + (nl ? 1 : 0);
    }
    return e;
}

static tl_err header(tl__blocks *b, const tl_resume *r, tl_buf *t)
{
    const tl_basics *bs = &r->basics;
    tl_err e = TL_OK;
    if (bs->name && *bs->name)
        e = push(b, TL__B_NAME, bs->name, strlen(bs->name), 0, false);
    if (e == TL_OK && bs->label && *bs->label)
        e = push(b, TL__B_LABEL, bs->label, strlen(bs->label), 0, false);
    if (e == TL_OK)
        e = tl__put_contacts(t, bs, " | ");
    if (e == TL_OK && t->len)
        e = push_buf(b, TL__B_CONTACT, t, 0, false);
    tl_buf_reset(t);
    if (e == TL_OK && bs->summary && *bs->summary) {
        e = push(b, TL__B_HEADING, "Summary", 7, 0, false);
        if (e == TL_OK)
            e = push_paras(b, TL__B_PARA, bs->summary, false);
    }
    return e;
}

/* An entry as the text writer writes it. */
static tl_err entry(tl__blocks *b, const tl_section *s, const tl_entry *e, tl_buf *t, bool side)
{
    tl_err err = TL_OK;
    size_t start = b->n;
    if (s->kind == TL_SEC_EDUCATION) {
        err = tl__put_title(t, s, e);
        const char *parts[2] = {e->org, e->location};
        for (int i = 0; i < 2 && err == TL_OK; i++)
            if (parts[i] && *parts[i])
                err = tl_buf_printf(t, "%s%s", t->len ? ", " : "", parts[i]);
        if (err == TL_OK && tl__entry_has_dates(e)) {
            err = tl_buf_puts(t, t->len ? ", " : "");
            if (err == TL_OK)
                err = tl__put_dates(t, e, " - ");
        }
        if (err == TL_OK && t->len)
            err = push_buf(b, TL__B_TITLE, t, 0, side);
    } else {
        bool has_title = e->title || tl_entry_field(e, "area");
        if (has_title)
            err = tl__put_title(t, s, e);
        if (err == TL_OK && t->len)
            err = push_buf(b, TL__B_TITLE, t, 0, side);
        if (err == TL_OK && e->org)
            err = tl_buf_puts(t, e->org);
        if (err == TL_OK && e->location)
            err = tl_buf_printf(t, "%s%s", e->org ? ", " : "", e->location);
        if (err == TL_OK && tl__entry_has_dates(e)) {
            if (e->org || e->location)
                err = tl_buf_puts(t, " | ");
            if (err == TL_OK)
                err = tl__put_dates(t, e, " - ");
        }
        if (err == TL_OK && t->len)
            err = push_buf(b, TL__B_META, t, 0, side);
        if (err == TL_OK && e->url)
            err = push(b, TL__B_META, e->url, strlen(e->url), 0, side);
    }
    if (err == TL_OK && e->summary)
        err = push_paras(b, TL__B_PARA, e->summary, side);
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++)
        err = push(b, TL__B_BULLET, e->bullets[i], strlen(e->bullets[i]), 0, side);
    if (err == TL_OK && b->n > start)
        b->items[start].first = true;
    tl_buf_reset(t);
    return err;
}

static tl_err section(tl__blocks *b, const tl_section *s, tl_buf *t)
{
    bool side = tl__block_side_kind(s->kind);
    const char *title = s->title && *s->title ? s->title : tl_section_kind_title(s->kind);
    tl_err err = push(b, TL__B_HEADING, title, strlen(title), 0, side);
    for (size_t i = 0; i < s->n_entries && err == TL_OK; i++) {
        const tl_entry *e = &s->entries[i];
        if (s->kind == TL_SEC_SKILLS || s->kind == TL_SEC_INTERESTS) {
            size_t lead = 0;
            if (e->title && *e->title) {
                err = tl_buf_printf(t, "%s:", e->title);
                lead = t->len;
                if (err == TL_OK && e->n_bullets)
                    err = tl_buf_putc(t, ' ');
            }
            for (size_t k = 0; k < e->n_bullets && err == TL_OK; k++)
                err = tl_buf_printf(t, "%s%s", k ? ", " : "", e->bullets[k]);
            if (err == TL_OK && t->len)
                err = push_buf(b, TL__B_ITEM, t, lead, side);
        } else if (tl__section_as_list(s)) {
            err = tl__put_list_item(t, s, e, ", ", false);
            if (err == TL_OK && t->len)
                err = push_buf(b, TL__B_ITEM, t, 0, side);
        } else {
            err = entry(b, s, e, t, side);
        }
        tl_buf_reset(t);
    }
    return err;
}

tl_err tl__blocks_build(const tl_resume *r, tl__blocks *out)
{
    if (!r || !out)
        return TL_EINVAL;
    memset(out, 0, sizeof *out);
    tl_buf t;
    tl_buf_init(&t, TL_MAX_OUTPUT_BYTES);
    tl_err e = header(out, r, &t);
    for (size_t i = 0; i < r->n_sections && e == TL_OK; i++)
        if (r->sections[i].n_entries)
            e = section(out, &r->sections[i], &t);
    tl_buf_free(&t);
    if (e != TL_OK)
        tl__blocks_free(out);
    return e;
}

/* ---- reading ---- */

void tl__headings_init(tl__headings *h)
{
    h->items = NULL;
    h->n = 0;
}

tl_err tl__headings_add(tl__headings *h, const char *s, size_t n)
{
    if (h->n >= TL_MAX_SECTIONS)
        return TL_OK;
    if (!h->items) {
        h->items = calloc(TL_MAX_SECTIONS, sizeof *h->items);
        if (!h->items)
            return TL_ENOMEM;
    }
    char *c = malloc(n + 1);
    if (!c)
        return TL_ENOMEM;
    memcpy(c, s, n);
    c[n] = '\0';
    h->items[h->n++] = c;
    return TL_OK;
}

void tl__headings_free(tl__headings *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->items[i]);
    free(h->items);
    h->items = NULL;
    h->n = 0;
}

tl_err tl__read_lines(const char *text, size_t n, const tl__headings *h, const char *what,
                      tl_resume **out, tl_doc_error *err)
{
    tl_resume *r = NULL;
    tl_doc_error inner = {0, ""};
    tl_err e;
    if (n == 0)
        e = tl__doc_fail(&inner, TL_EEMPTY, 0, "no text in the document (a scanned image?)");
    else
        e = tl_resume_parse(text, n, TL_FORMAT_TEXT, &r, &inner);
    if (e != TL_OK) {
        tl__doc_fail(err, e, 0, "%s: %s", what, inner.message[0] ? inner.message : tl_strerror(e));
        return e;
    }
    for (size_t i = 0; i < r->n_sections; i++) {
        tl_section *s = &r->sections[i];
        for (size_t k = 0; h && k < h->n; k++) {
            if (s->title && tl_str_ieq(s->title, h->items[k]) && strcmp(s->title, h->items[k])) {
                e = tl_resume_set(r, &s->title, h->items[k]);
                if (e != TL_OK) {
                    tl_resume_free(r);
                    return tl__doc_fail(err, e, 0, "out of memory");
                }
                break;
            }
        }
    }
    *out = r;
    return TL_OK;
}
