/* PDF writer: the resume's blocks (blocks.h) typeset with Pango on a Cairo
 * PDF surface.
 *
 * Two passes: the first lays every block out (Pango layouts, broken into
 * lines) and places each line on a page and column; the second draws the
 * pages in order, since a PDF surface cannot go back to an earlier page.
 * Fonts are DejaVu Sans through fontconfig; cairo embeds the subsets and
 * their ToUnicode maps, so the text is selectable and extractable. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "doc/blocks.h"
#include "doc/doc_int.h"
#include "doc/pdf.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

#define FONT "DejaVu Sans"
#define MARGIN_X 50.0
#define MARGIN_Y 46.0
#define BULLET_INDENT 11.0
#define GUTTER 22.0

tl_err tl_pdf_template_parse(const char *s, tl_pdf_template *out)
{
    if (!s || !out)
        return TL_EINVAL;
    if (tl_str_ieq(s, "classic") || tl_str_ieq(s, "ats") || tl_str_ieq(s, "one-column")) {
        *out = TL_PDF_CLASSIC;
        return TL_OK;
    }
    if (tl_str_ieq(s, "two-column") || tl_str_ieq(s, "two_column") || tl_str_ieq(s, "2col")) {
        *out = TL_PDF_TWO_COLUMN;
        return TL_OK;
    }
    return TL_EINVAL;
}

tl_err tl_pdf_paper_parse(const char *s, tl_pdf_paper *out)
{
    if (!s || !out)
        return TL_EINVAL;
    if (tl_str_ieq(s, "a4")) {
        *out = TL_PDF_A4;
        return TL_OK;
    }
    if (tl_str_ieq(s, "letter") || tl_str_ieq(s, "us-letter") || tl_str_ieq(s, "usletter")) {
        *out = TL_PDF_LETTER;
        return TL_OK;
    }
    return TL_EINVAL;
}

/* How each kind of block is set. */
typedef struct style {
    double size;
    bool bold, italic;
    double before, after; /* space around the block, points */
    double r, g, b;
} style;

static style style_of(const tl__block *k, bool letter)
{
    style s = {9.5, false, false, 0, 1.5, 0.1, 0.1, 0.1};
    if (letter) {
        s.size = 10.5;
        s.before = k->first ? 8 : 0;
        return s;
    }
    switch (k->kind) {
    case TL__B_NAME:
        s.size = 20;
        s.bold = true;
        s.after = 3;
        break;
    case TL__B_LABEL:
        s.size = 10.5;
        s.after = 2;
        break;
    case TL__B_CONTACT:
        s.size = 9;
        s.after = 4;
        s.r = s.g = s.b = 0.25;
        break;
    case TL__B_HEADING:
        s.size = 12.5;
        s.bold = true;
        s.before = 11;
        s.after = 5;
        s.r = 0.12;
        s.g = 0.22;
        s.b = 0.39;
        break;
    case TL__B_TITLE:
        s.size = 10;
        s.bold = true;
        s.before = k->first ? 10 : 0;
        break;
    case TL__B_META:
        s.size = 9;
        s.italic = true;
        s.after = 2;
        s.r = s.g = s.b = 0.3;
        break;
    case TL__B_PARA: s.after = 3; break;
    case TL__B_BULLET: s.after = 1.5; break;
    case TL__B_ITEM:
        s.before = k->first ? 10 : 0;
        s.after = 2;
        break;
    }
    return s;
}

/* One placed line of a layout, or a bullet glyph, or a rule. */
typedef struct placed {
    int page;
    double x, y;           /* baseline of a line; top of a rule */
    PangoLayoutLine *line; /* borrowed from its layout; NULL for a rule */
    double w;              /* rule width */
    double r, g, b;
} placed;

typedef struct typesetter {
    cairo_t *cr;
    PangoFontMap *fm;
    PangoContext *ctx;
    double page_w, page_h;
    PangoLayout **layouts;
    size_t n_layouts, cap_layouts;
    placed *items;
    size_t n_items, cap_items;
    int pages;
} typesetter;

typedef struct column {
    double x, w;
    double top; /* top of the column on the first page */
    int page;
    double y; /* next free position */
} column;

static tl_err keep_layout(typesetter *t, PangoLayout *l)
{
    if (t->n_layouts == t->cap_layouts) {
        size_t cap = t->cap_layouts ? t->cap_layouts * 2 : 64;
        PangoLayout **a = realloc(t->layouts, cap * sizeof *a);
        if (!a)
            return TL_ENOMEM;
        t->layouts = a;
        t->cap_layouts = cap;
    }
    t->layouts[t->n_layouts++] = l;
    return TL_OK;
}

static tl_err place(typesetter *t, const placed *p)
{
    if (t->n_items == t->cap_items) {
        size_t cap = t->cap_items ? t->cap_items * 2 : 256;
        if (cap > 1u << 22)
            return TL_ETOOBIG;
        placed *a = realloc(t->items, cap * sizeof *a);
        if (!a)
            return TL_ENOMEM;
        t->items = a;
        t->cap_items = cap;
    }
    t->items[t->n_items++] = *p;
    if (p->page + 1 > t->pages)
        t->pages = p->page + 1;
    return TL_OK;
}

static PangoLayout *make_layout(typesetter *t, const char *text, size_t lead, const style *s,
                                double width)
{
    PangoLayout *l = pango_layout_new(t->ctx);
    if (!l)
        return NULL;
    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, FONT);
    pango_font_description_set_size(fd, (int)lround(s->size * PANGO_SCALE));
    pango_font_description_set_weight(fd, s->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_style(fd, s->italic ? PANGO_STYLE_OBLIQUE : PANGO_STYLE_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(l, text, -1);
    if (lead) {
        PangoAttrList *al = pango_attr_list_new();
        PangoAttribute *a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
        a->start_index = 0;
        a->end_index = (guint)lead;
        pango_attr_list_insert(al, a);
        pango_layout_set_attributes(l, al);
        pango_attr_list_unref(al);
    }
    return l;
}

static double bottom(const typesetter *t)
{
    return t->page_h - MARGIN_Y;
}

static void next_page(typesetter *t, column *c)
{
    c->page++;
    c->y = MARGIN_Y;
    (void)t;
}

/* Lays out one block in column c. keep: points that must fit below the
 * block's first line on the same page (a heading keeps some of what it
 * heads). */
static tl_err set_block(typesetter *t, column *c, const tl__block *k, const style *s, double keep)
{
    double indent = k->kind == TL__B_BULLET ? BULLET_INDENT : 0;
    double width = c->w - indent;
    PangoLayout *l = make_layout(t, k->text, k->lead, s, width);
    if (!l)
        return TL_ENOMEM;
    tl_err e = keep_layout(t, l);
    if (e != TL_OK) {
        g_object_unref(l);
        return e;
    }
    if (c->y > MARGIN_Y + 0.5)
        c->y += s->before;
    int n = pango_layout_get_line_count(l);
    for (int i = 0; i < n && e == TL_OK; i++) {
        PangoLayoutLine *line = pango_layout_get_line_readonly(l, i);
        PangoRectangle ink, logical;
        pango_layout_line_get_extents(line, &ink, &logical);
        double h = (double)logical.height / PANGO_SCALE;
        double ascent = (double)-logical.y / PANGO_SCALE;
        double need = h + (i == 0 ? keep : 0);
        if (c->y + need > bottom(t) && c->y > MARGIN_Y + 0.5)
            next_page(t, c);
        placed p = {c->page, c->x + indent, c->y + ascent, line, 0, s->r, s->g, s->b};
        e = place(t, &p);
        if (e == TL_OK && i == 0 && k->kind == TL__B_BULLET) {
            style bs = *s;
            bs.bold = false;
            PangoLayout *g = make_layout(t, "\xe2\x80\xa2", 0, &bs, BULLET_INDENT);
            if (!g)
                return TL_ENOMEM;
            e = keep_layout(t, g);
            if (e != TL_OK) {
                g_object_unref(g);
                return e;
            }
            placed gp = {c->page, c->x + 1, c->y + ascent, pango_layout_get_line_readonly(g, 0),
                         0,       s->r,     s->g,          s->b};
            e = place(t, &gp);
        }
        c->y += h;
    }
    if (e == TL_OK && k->kind == TL__B_HEADING) {
        placed rule = {c->page, c->x, c->y + 1.5, NULL, c->w, 0.55, 0.6, 0.68};
        e = place(t, &rule);
        c->y += 2;
    }
    c->y += s->after;
    if (t->pages > TL_PDF_MAX_PAGES * 4)
        return TL_ETOOBIG;
    return e;
}

static double keep_for(const tl__block *k)
{
    switch (k->kind) {
    case TL__B_HEADING: return 40;
    case TL__B_TITLE: return 28;
    case TL__B_META: return 14;
    default: return 0;
    }
}

static tl_err set_blocks(typesetter *t, const tl__blocks *bl, bool two_col, bool letter)
{
    double content = t->page_w - 2 * MARGIN_X;
    column full = {MARGIN_X, content, MARGIN_Y, 0, MARGIN_Y};
    tl_err e = TL_OK;
    size_t i = 0;
    if (two_col) {
        /* the header across the top */
        for (; i < bl->n && e == TL_OK; i++) {
            const tl__block *k = &bl->items[i];
            if (k->kind != TL__B_NAME && k->kind != TL__B_LABEL && k->kind != TL__B_CONTACT)
                break;
            style s = style_of(k, false);
            e = set_block(t, &full, k, &s, 0);
        }
        double side_w = floor(content * 0.31);
        column side = {MARGIN_X, side_w, 0, full.page, full.y + 4};
        column main = {MARGIN_X + side_w + GUTTER, content - side_w - GUTTER, 0, full.page,
                       full.y + 4};
        for (; i < bl->n && e == TL_OK; i++) {
            const tl__block *k = &bl->items[i];
            style s = style_of(k, false);
            column *c = k->side ? &side : &main;
            /* the sidebar a little smaller */
            if (k->side && s.size > 9)
                s.size = k->kind == TL__B_HEADING ? 11.5 : 9;
            e = set_block(t, c, k, &s, keep_for(k));
        }
        return e;
    }
    for (; i < bl->n && e == TL_OK; i++) {
        const tl__block *k = &bl->items[i];
        style s = style_of(k, letter);
        e = set_block(t, &full, k, &s, letter ? 0 : keep_for(k));
    }
    return e;
}

static void draw(typesetter *t)
{
    for (int pg = 0; pg < t->pages; pg++) {
        for (size_t i = 0; i < t->n_items; i++) {
            const placed *p = &t->items[i];
            if (p->page != pg)
                continue;
            cairo_set_source_rgb(t->cr, p->r, p->g, p->b);
            if (p->line) {
                cairo_move_to(t->cr, p->x, p->y);
                pango_cairo_show_layout_line(t->cr, p->line);
            } else {
                cairo_set_line_width(t->cr, 0.6);
                cairo_move_to(t->cr, p->x, p->y);
                cairo_line_to(t->cr, p->x + p->w, p->y);
                cairo_stroke(t->cr);
            }
        }
        cairo_show_page(t->cr);
    }
}

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int n)
{
    return tl_buf_append(closure, data, n) == TL_OK ? CAIRO_STATUS_SUCCESS
                                                    : CAIRO_STATUS_WRITE_ERROR;
}

static tl_err typeset(const tl__blocks *bl, const tl_pdf_opts *o, const char *title, bool letter,
                      char **out, size_t *len)
{
    typesetter t;
    memset(&t, 0, sizeof t);
    bool us = o && o->paper == TL_PDF_LETTER;
    t.page_w = us ? 612.0 : 595.2756;
    t.page_h = us ? 792.0 : 841.8898;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_OUTPUT_BYTES);
    tl_err e = TL_ENOMEM;
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(write_cb, &b, t.page_w, t.page_h);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        goto done;
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "tailor");
    if (title && *title)
        cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, title);
    t.cr = cairo_create(surf);
    if (cairo_status(t.cr) != CAIRO_STATUS_SUCCESS)
        goto done;
    t.fm = pango_cairo_font_map_new();
    if (!t.fm)
        goto done;
    t.ctx = pango_font_map_create_context(t.fm);
    if (!t.ctx)
        goto done;
    pango_cairo_update_context(t.cr, t.ctx);
    pango_cairo_context_set_resolution(t.ctx, 72.0);
    e = set_blocks(&t, bl, o && o->tmpl == TL_PDF_TWO_COLUMN && !letter, letter);
    if (e == TL_OK && t.pages > TL_PDF_MAX_PAGES)
        e = TL_ETOOBIG;
    if (e == TL_OK) {
        if (t.pages == 0)
            t.pages = 1;
        draw(&t);
        cairo_destroy(t.cr);
        t.cr = NULL;
        cairo_surface_finish(surf);
        if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
            e = b.len >= TL_MAX_OUTPUT_BYTES ? TL_ETOOBIG : TL_EINTERNAL;
    }
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
done:
    for (size_t i = 0; i < t.n_layouts; i++)
        g_object_unref(t.layouts[i]);
    free(t.layouts);
    free(t.items);
    if (t.ctx)
        g_object_unref(t.ctx);
    if (t.fm)
        g_object_unref(t.fm);
    if (t.cr)
        cairo_destroy(t.cr);
    cairo_surface_destroy(surf);
    tl_buf_free(&b);
    return e;
}

bool tl_pdf_sniff(const void *p, size_t n)
{
    /* "%PDF-" within the first KiB, as readers allow junk before it */
    if (!p)
        return false;
    size_t lim = n < 1024 ? n : 1024;
    for (size_t i = 0; i + 5 <= lim; i++)
        if (memcmp((const char *)p + i, "%PDF-", 5) == 0)
            return true;
    return false;
}

tl_err tl_pdf_write(const tl_resume *r, const tl_pdf_opts *o, char **out, size_t *len)
{
    if (!r || !out || !len)
        return TL_EINVAL;
    tl__blocks bl;
    tl_err e = tl__blocks_build(r, &bl);
    if (e != TL_OK)
        return e;
    e = typeset(&bl, o, r->basics.name, false, out, len);
    tl__blocks_free(&bl);
    return e;
}

tl_err tl_pdf_write_text(const char *text, size_t n, const tl_pdf_opts *o, char **out, size_t *len)
{
    if ((!text && n) || !out || !len)
        return TL_EINVAL;
    tl__blocks bl;
    memset(&bl, 0, sizeof bl);
    tl_err e = TL_OK;
    bool para_start = true;
    size_t i = 0;
    while (i < n && e == TL_OK) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - text) : n;
        tl__span l = tl__span_trim((tl__span){text + i, end - i});
        if (!l.n) {
            para_start = true;
        } else {
            if (bl.n == bl.cap) {
                size_t cap = bl.cap ? bl.cap * 2 : 32;
                tl__block *a = realloc(bl.items, cap * sizeof *a);
                if (!a) {
                    e = TL_ENOMEM;
                    break;
                }
                bl.items = a;
                bl.cap = cap;
            }
            tl__block *k = &bl.items[bl.n];
            memset(k, 0, sizeof *k);
            k->kind = TL__B_PARA;
            k->first = para_start && bl.n > 0;
            k->text = malloc(l.n + 1);
            if (!k->text) {
                e = TL_ENOMEM;
                break;
            }
            memcpy(k->text, l.p, l.n);
            k->text[l.n] = '\0';
            bl.n++;
            para_start = false;
        }
        i = end + 1;
    }
    if (e == TL_OK)
        e = typeset(&bl, o, NULL, true, out, len);
    tl__blocks_free(&bl);
    return e;
}

void tl_pdf_cleanup(void)
{
    /* Only Pango's default font map (tailor makes its own per document).
     * fontconfig's configuration stays: FcFini can assert while Pango's
     * font map initialisation thread still holds fontconfig caches. */
    pango_cairo_font_map_set_default(NULL);
}
