/* PDF reader: poppler's text in reading order, with the geometry and font
 * of every character, turned into the lines of a plain-text resume and
 * read by the text reader (text.c).
 *
 *   1. lines: poppler's text split at newlines; per line its left edge
 *      (after any bullet glyph), right edge, top, font size, bold, italic;
 *   2. running headers and footers (a line in the top or bottom band that
 *      repeats on several pages, page numbers) are dropped;
 *   3. headings: lines set larger than the body text (at the size the
 *      document uses for its known headings), or bold lines naming a known
 *      section; they are written upper-cased unless the text reader knows
 *      them anyway, and their case is restored afterwards;
 *   4. a line that starts where the line above started, in the same font,
 *      right below it, is joined to it when the line above was full (its
 *      first word would not have fitted there): a wrapped bullet or
 *      paragraph becomes one line again;
 *   5. a blank line goes where the vertical gap is larger than usual, and
 *      after a bullet list, so that the text reader sees entries apart. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

#include "doc/blocks.h"
#include "doc/doc_int.h"
#include "doc/pdf.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/limits.h"
#include "util/str.h"

typedef struct pline {
    int page;
    double x0; /* left edge of the text (after a bullet glyph) */
    double x1; /* right edge */
    double y0; /* top */
    double size;
    double first_word; /* width of the first word */
    double page_h;
    double y_last; /* top of its last physical line (after joining) */
    int src;       /* poppler line it came from (fragments share it) */
    int col;       /* 0: one column or the header, 1: left, 2: right */
    bool bold, italic, bullet, geom;
    bool heading, drop;
    char *text; /* malloc'd, trimmed, bullet glyph removed */
    size_t n;
} pline;

#define MAX_LINES 20000     /* lines in a document */
#define MAX_PAGE_LINES 2500 /* lines on one page */
#define PITCH_MEMO 16

typedef struct plines {
    pline *items;
    size_t n, cap;
    size_t bytes;
    size_t page_lines; /* lines of the page being read */
    /* line_pitch by font size, computed once the lines are final */
    double pitch_size[PITCH_MEMO], pitch[PITCH_MEMO];
    size_t n_pitch;
} plines;

static void plines_free(plines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->items[i].text);
    free(L->items);
    memset(L, 0, sizeof *L);
}

/* ---- characters ---- */

static bool bullet_char(gunichar c)
{
    switch (c) {
    case 0x2022:
    case 0x25CF:
    case 0x25AA:
    case 0x25A0:
    case 0x25E6:
    case 0x2023:
    case 0x2043:
    case 0x2219:
    case 0x00B7:
    case 0x27A2:
    case 0x25BA:
    case 0x25B8:
    case 0x2713:
    case 0x2714:
    case 0x2192:
    case 0x25C6:
    case 0x25C7:
    case 0x2756:
    case 0x2013:
    case '-':
    case '*':
    case 0x25CB:
    case 0x2666:
    case 0x2605: return true;
    default:
        /* symbol fonts map their bullets into the private use area */
        return c >= 0xF000 && c <= 0xF0FF;
    }
}

static bool font_bold(const char *f)
{
    return f &&
           (strstr(f, "Bold") || strstr(f, "bold") || strstr(f, "Black") || strstr(f, "Heavy") ||
            strstr(f, "Semibold") || strstr(f, "SemiBold") || strstr(f, "Demi"));
}

static bool font_italic(const char *f)
{
    return f && (strstr(f, "Italic") || strstr(f, "Oblique") || strstr(f, "italic"));
}

/* ---- step 1: lines with geometry ---- */

typedef struct page_ctx {
    const char *text;
    PopplerRectangle *rects;
    guint n_rects;
    GList *attrs;
    double h;
    int page;
    int src;
} page_ctx;

static tl_err push_line(plines *L, const pline *l, tl_doc_error *err)
{
    L->bytes += l->n + 3;
    if (L->n >= MAX_LINES || ++L->page_lines > MAX_PAGE_LINES)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "PDF: more than %d lines of text%s",
                            L->n >= MAX_LINES ? MAX_LINES : MAX_PAGE_LINES,
                            L->n >= MAX_LINES ? "" : " on a page");
    if (L->bytes > TL_MAX_RESUME_BYTES)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "PDF: more than %u bytes of text",
                            TL_MAX_RESUME_BYTES);
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 128;
        pline *a = realloc(L->items, cap * sizeof *a);
        if (!a)
            return TL_ENOMEM;
        L->items = a;
        L->cap = cap;
    }
    L->items[L->n++] = *l;
    return TL_OK;
}

/* One line: chars [c0, c1) of the page, bytes [b0, b1) of its text. */
static tl_err make_line(plines *L, const page_ctx *pc, size_t c0, size_t c1, size_t b0, size_t b1,
                        GList **attr_it, tl_doc_error *err)
{
    const char *s = pc->text + b0;
    size_t n = b1 - b0;
    bool geom = pc->rects && c1 <= pc->n_rects;
    pline l;
    memset(&l, 0, sizeof l);
    l.page = pc->page;
    l.page_h = pc->h;
    l.src = pc->src;
    l.geom = geom;
    l.x0 = l.y0 = 1e9;
    l.x1 = -1e9;
    /* skip leading blanks; find a bullet */
    size_t bi = 0, ci = c0;
    while (bi < n && (s[bi] == ' ' || s[bi] == '\t')) {
        bi++;
        ci++;
    }
    if (bi < n) {
        gunichar c = g_utf8_get_char_validated(s + bi, (gssize)(n - bi));
        if (c != (gunichar)-1 && c != (gunichar)-2 && bullet_char(c)) {
            const char *next = g_utf8_next_char(s + bi);
            size_t nb = (size_t)(next - s);
            bool spaced = nb < n && (s[nb] == ' ' || s[nb] == '\t');
            bool apart = false;
            if (!spaced && geom && nb < n && ci + 1 < c1)
                apart = pc->rects[ci + 1].x1 > pc->rects[ci].x2 + 1.5;
            bool ascii = c == '-' || c == '*' || c == 0x2013;
            if ((spaced || (apart && !ascii)) && nb < n) {
                l.bullet = true;
                bi = nb;
                ci++;
                while (bi < n && (s[bi] == ' ' || s[bi] == '\t')) {
                    bi++;
                    ci++;
                }
            }
        }
    }
    size_t end = n;
    while (end > bi && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
        end--;
    if (end == bi)
        return TL_OK;
    /* geometry and fonts of the kept characters */
    size_t chars = 0, bold = 0, italic = 0;
    bool word_done = false;
    double word_x0 = 0;
    const char *q = s + bi;
    for (size_t k = ci; geom && q < s + end; k++, q = g_utf8_next_char(q)) {
        if (k >= c1)
            break;
        const PopplerRectangle *r = &pc->rects[k];
        bool space = *q == ' ' || *q == '\t';
        while (*attr_it && ((PopplerTextAttributes *)(*attr_it)->data)->end_index < (gint)k)
            *attr_it = (*attr_it)->next;
        const PopplerTextAttributes *a = *attr_it ? (*attr_it)->data : NULL;
        if (a && a->start_index > (gint)k)
            a = NULL;
        if (space) {
            if (chars)
                word_done = true;
            continue;
        }
        if (r->x1 < l.x0)
            l.x0 = r->x1;
        if (r->x2 > l.x1)
            l.x1 = r->x2;
        if (r->y1 < l.y0)
            l.y0 = r->y1;
        if (!chars)
            word_x0 = r->x1;
        if (!word_done)
            l.first_word = r->x2 - word_x0;
        chars++;
        if (a) {
            if (a->font_size > l.size)
                l.size = a->font_size;
            bold += font_bold(a->font_name);
            italic += font_italic(a->font_name);
        }
    }
    if (!chars) {
        l.geom = false;
        l.x0 = l.x1 = l.y0 = 0;
    }
    l.y_last = l.y0;
    l.bold = chars && bold == chars;
    l.italic = chars && italic * 2 > chars;
    l.text = malloc(end - bi + 1);
    if (!l.text)
        return TL_ENOMEM;
    memcpy(l.text, s + bi, end - bi);
    l.text[end - bi] = '\0';
    l.n = end - bi;
    tl_err e = push_line(L, &l, err);
    if (e != TL_OK)
        free(l.text);
    return e;
}

/* A poppler line, cut where a wide horizontal gap separates two columns
 * (poppler joins text at the same height across columns). Fragments of
 * one line are put back together later unless the page has columns. */
static tl_err split_line(plines *L, page_ctx *pc, size_t c0, size_t c1, size_t b0, size_t b1,
                         GList **attr_it, tl_doc_error *err)
{
    pc->src++;
    if (!pc->rects || c1 > pc->n_rects)
        return make_line(L, pc, c0, c1, b0, b1, attr_it, err);
    size_t seg_c = c0, seg_b = b0;
    double last_x2 = -1, last_h = 0;
    const char *q = pc->text + b0;
    tl_err e = TL_OK;
    for (size_t k = c0; k < c1 && e == TL_OK; k++, q = g_utf8_next_char(q)) {
        const PopplerRectangle *r = &pc->rects[k];
        if (*q == ' ' || *q == '\t')
            continue;
        double h = r->y2 - r->y1;
        double gap = fmax(15.0, 1.6 * fmax(h, last_h));
        if (last_x2 >= 0 && r->x1 - last_x2 > gap) {
            size_t b = (size_t)(q - pc->text);
            e = make_line(L, pc, seg_c, k, seg_b, b, attr_it, err);
            seg_c = k;
            seg_b = b;
        }
        last_x2 = r->x2;
        last_h = h;
    }
    return e == TL_OK ? make_line(L, pc, seg_c, c1, seg_b, b1, attr_it, err) : e;
}

static tl_err page_lines(plines *L, PopplerPage *page, int pno, tl_doc_error *err)
{
    page_ctx pc;
    memset(&pc, 0, sizeof pc);
    pc.page = pno;
    pc.src = L->n ? L->items[L->n - 1].src + 1 : 0;
    L->page_lines = 0;
    double w = 0;
    poppler_page_get_size(page, &w, &pc.h);
    char *text = poppler_page_get_text(page);
    if (!text)
        return TL_OK;
    pc.text = text;
    size_t len = strlen(text);
    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        g_free(text);
        return tl__doc_fail(err, TL_EFORMAT, 0, "PDF: page %d has text that is not UTF-8", pno + 1);
    }
    if (!poppler_page_get_text_layout(page, &pc.rects, &pc.n_rects))
        pc.rects = NULL;
    if ((size_t)g_utf8_strlen(text, (gssize)len) > pc.n_rects) {
        g_free(pc.rects);
        pc.rects = NULL;
        pc.n_rects = 0;
    }
    pc.attrs = pc.rects ? poppler_page_get_text_attributes(page) : NULL;
    GList *it = pc.attrs;
    tl_err e = TL_OK;
    size_t c0 = 0, ci = 0, b0 = 0;
    for (const char *q = text; e == TL_OK; q = g_utf8_next_char(q), ci++) {
        if (*q == '\n' || *q == '\0') {
            size_t b = (size_t)(q - text);
            e = split_line(L, &pc, c0, ci, b0, b, &it, err);
            if (!*q)
                break;
            c0 = ci + 1;
            b0 = b + 1;
        }
    }
    poppler_page_free_text_attributes(pc.attrs);
    g_free(pc.rects);
    g_free(text);
    return e;
}

/* ---- step 2: running headers and footers ---- */

/* The text with digits folded ("Page 2 of 3" = "Page 1 of 3"). */
static void fold_key(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    for (; *s && k + 1 < cap; s++)
        out[k++] = isdigit((unsigned char)*s) ? '#' : (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

static bool page_number(const char *s)
{
    char k[64];
    fold_key(s, k, sizeof k);
    static const char *const pats[] = {
        "#",      "##",    "- # -", "-#-",  "page #", "page ##", "page # of #", "page # of ##",
        "# of #", "# / #", "#/#",   "p. #", NULL};
    for (size_t i = 0; pats[i]; i++)
        if (strcmp(k, pats[i]) == 0)
            return true;
    return false;
}

static bool in_band(const pline *l)
{
    return l->geom && l->page_h > 0 && (l->y0 < l->page_h * 0.07 || l->y0 > l->page_h * 0.92);
}

typedef struct band_key {
    uint64_t hash; /* of the folded text */
    int page;
    size_t line;
} band_key;

static int cmp_band(const void *a, const void *b)
{
    const band_key *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->page > y->page) - (x->page < y->page);
}

/* Page numbers, and lines of the top or bottom band whose text (digits
 * folded) is on two pages or more. Sorting the band's lines by text keeps
 * this O(n log n). */
static tl_err drop_running(plines *L, int pages)
{
    size_t nb = 0;
    for (size_t i = 0; i < L->n; i++)
        nb += in_band(&L->items[i]);
    band_key *k = nb ? calloc(nb, sizeof *k) : NULL;
    if (nb && !k)
        return TL_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < L->n; i++) {
        pline *l = &L->items[i];
        if (!in_band(l))
            continue;
        if (page_number(l->text) && l->y0 > l->page_h * 0.5)
            l->drop = true;
        char key[160];
        fold_key(l->text, key, sizeof key);
        k[m].hash = tl_hash64(key, strlen(key), 0);
        k[m].page = l->page;
        k[m++].line = i;
    }
    if (pages >= 2 && m > 1) {
        qsort(k, m, sizeof *k, cmp_band);
        for (size_t a = 0; a < m;) {
            size_t b = a + 1;
            int distinct = 1;
            for (; b < m && k[b].hash == k[a].hash; b++)
                distinct += k[b].page != k[b - 1].page;
            for (size_t c = a; distinct >= 2 && c < b; c++) {
                /* the name set large on the first page, repeated small
                 * as a running header on the others, stays */
                const pline *l = &L->items[k[c].line];
                bool name = k[c].line == 0;
                for (size_t d = a; name && d < b; d++)
                    name = d == c || l->size > L->items[k[d].line].size + 1.0;
                if (!name)
                    L->items[k[c].line].drop = true;
            }
            a = b;
        }
    }
    free(k);
    return TL_OK;
}

/* ---- step 3: headings ---- */

static bool strict_heading(const char *s, size_t n)
{
    tl_section_kind k;
    bool summary;
    return n <= 60 && tl__heading_kind((tl__span){s, n}, false, &k, &summary);
}

static double body_size(const plines *L)
{
    /* the size most characters are set in, by quarter points */
    enum { SLOTS = 400 };
    static const double step = 0.25;
    size_t hist[SLOTS] = {0};
    for (size_t i = 0; i < L->n; i++) {
        const pline *l = &L->items[i];
        if (l->drop || !l->geom || l->size <= 0)
            continue;
        long k = lround(l->size / step);
        if (k > 0 && k < SLOTS)
            hist[k] += l->n;
    }
    size_t best = 0;
    for (size_t k = 1; k < SLOTS; k++)
        if (hist[k] > hist[best])
            best = k;
    return best ? (double)best * step : 0;
}

static void find_headings(plines *L)
{
    double body = body_size(L);
    size_t first = 0;
    while (first < L->n && L->items[first].drop)
        first++;
    /* the size of the larger lines that name known sections */
    double head = 0;
    size_t votes = 0;
    for (size_t i = first + 1; body > 0 && i < L->n; i++) {
        const pline *l = &L->items[i];
        if (l->drop || l->bullet || l->size < body * 1.12 || !strict_heading(l->text, l->n))
            continue;
        size_t v = 0;
        for (size_t j = first + 1; j < L->n; j++)
            v += !L->items[j].drop && fabs(L->items[j].size - l->size) <= 0.3 &&
                 strict_heading(L->items[j].text, L->items[j].n);
        if (v > votes) {
            votes = v;
            head = l->size;
        }
    }
    for (size_t i = first + 1; i < L->n; i++) {
        pline *l = &L->items[i];
        if (l->drop || l->bullet || l->n > 60 || tl__is_dates((tl__span){l->text, l->n}))
            continue;
        bool larger =
            body > 0 && l->size >= body * 1.12 && (head == 0 || fabs(l->size - head) <= 0.6);
        bool known = strict_heading(l->text, l->n) && (l->bold || l->size >= body * 1.12);
        /* a larger line with a sentence's end or an address is no heading */
        bool texty = l->text[l->n - 1] == '.' || memchr(l->text, '@', l->n) != NULL;
        l->heading = (larger && !texty) || known;
    }
}

/* ---- steps 4 and 5: joined lines, blank lines, the text ---- */

static double column_right(const plines *L, size_t i)
{
    /* lines are grouped by page: look at this page only */
    const pline *l = &L->items[i];
    double right = l->x1;
    size_t a = i, b = i;
    while (a > 0 && L->items[a - 1].page == l->page)
        a--;
    while (b < L->n && L->items[b].page == l->page)
        b++;
    for (size_t j = a; j < b; j++) {
        const pline *m = &L->items[j];
        if (m->col == l->col && m->geom && !m->drop && fabs(m->x0 - l->x0) <= 3 && m->x1 > right)
            right = m->x1;
    }
    return right;
}

/* The usual distance between the tops of two lines of one paragraph set
 * in this size: the smallest seen between consecutive lines that start at
 * the same place. Separate paragraphs and list items often sit further
 * apart than that. */
static double line_pitch(plines *L, double size)
{
    for (size_t k = 0; k < L->n_pitch; k++)
        if (L->pitch_size[k] == size)
            return L->pitch[k];
    double best = 0;
    for (size_t i = 1; i < L->n; i++) {
        const pline *a = &L->items[i - 1], *b = &L->items[i];
        if (!a->geom || !b->geom || a->page != b->page || fabs(a->size - size) > 0.3 ||
            fabs(b->size - size) > 0.3 || fabs(a->x0 - b->x0) > 3)
            continue;
        double dy = b->y0 - a->y0;
        if (dy > size * 0.8 && (best == 0 || dy < best))
            best = dy;
    }
    if (L->n_pitch < PITCH_MEMO) {
        L->pitch_size[L->n_pitch] = size;
        L->pitch[L->n_pitch++] = best;
    }
    return best;
}

/* Whether line m continues line l (a wrapped line). */
static bool continues(plines *L, size_t li, const pline *l, const pline *m)
{
    if (!l->geom || !m->geom || l->page != m->page || l->col != m->col || m->bullet)
        return false;
    if (fabs(m->x0 - l->x0) > 3 || fabs(m->size - l->size) > 0.3 || m->bold != l->bold ||
        m->italic != l->italic)
        return false;
    double dy = m->y0 - l->y0;
    double pitch = line_pitch(L, l->size);
    if (dy <= 0 || dy > fmax(l->size * 1.6, pitch * 1.1))
        return false;
    if (pitch > 0 && dy > pitch + fmax(0.6, pitch * 0.05))
        return false;
    double right = column_right(L, li);
    return l->x1 + m->first_word + l->size * 0.3 >= right - 1.0;
}

static tl_err put_text(tl_buf *b, const char *s, size_t n, bool upper)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        char c = s[i];
        if (c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n')
            c = ' ';
        else if ((unsigned char)c < 0x20 || c == 0x7f)
            continue; /* control bytes some fonts map glyphs to */
        e = tl_buf_putc(b, upper ? (char)toupper((unsigned char)c) : c);
    }
    return e;
}

static tl_err blank(tl_buf *b)
{
    if (b->len == 0 || (b->len >= 2 && b->data[b->len - 2] == '\n'))
        return TL_OK;
    return tl_buf_putc(b, '\n');
}

static tl_err to_text(plines *L, tl_buf *b, tl__headings *hs)
{
    tl_err e = TL_OK;
    const pline *prev = NULL;
    for (size_t i = 0; i < L->n && e == TL_OK; i++) {
        const pline *l = &L->items[i];
        if (l->drop)
            continue;
        bool gap = false;
        if (prev && prev->geom && l->geom) {
            double dy = l->y0 - prev->y_last;
            double pitch = line_pitch(L, prev->size);
            double big = pitch > prev->size ? pitch * 1.3 : prev->size * 1.75;
            gap = l->page == prev->page && (dy > big || dy < -prev->size);
            /* extra space opens an entry when what follows stands out
             * (bold or larger); under an entry head (its dates, place,
             * link, summary) it is only layout */
            if (gap && dy >= 0 && !l->bold && l->size <= prev->size + 0.5 && !prev->bullet &&
                !prev->heading)
                gap = false;
        }
        if (l->heading || gap || (prev && prev->bullet && !l->bullet))
            e = blank(b);
        if (e == TL_OK && l->bullet)
            e = tl_buf_puts(b, "\xe2\x80\xa2 ");
        bool upper = false;
        if (e == TL_OK && l->heading && !strict_heading(l->text, l->n)) {
            upper = true;
            e = tl__headings_add(hs, l->text, l->n);
        }
        if (e == TL_OK)
            e = put_text(b, l->text, l->n, upper);
        /* dates on the line under an entry head belong to it */
        const pline *m = i + 1 < L->n ? &L->items[i + 1] : NULL;
        if (e == TL_OK && m && !m->drop && !l->heading && !l->bullet && !m->bullet && !m->heading &&
            m->page == l->page && !tl__is_dates((tl__span){l->text, l->n}) &&
            tl__is_dates((tl__span){m->text, m->n})) {
            tl__span probe = {l->text, l->n};
            tl__entry_head h;
            memset(&h, 0, sizeof h);
            if (!tl__take_dates(&probe, &h)) {
                e = tl_buf_puts(b, " | ");
                if (e == TL_OK)
                    e = put_text(b, m->text, m->n, false);
                i++;
            }
        }
        if (e == TL_OK)
            e = tl_buf_putc(b, '\n');
        prev = l;
    }
    return e;
}

/* Appends sep and m's text to l's. */
static tl_err append_text(pline *l, const char *sep, const pline *m)
{
    size_t sn = strlen(sep);
    char *t = realloc(l->text, l->n + sn + m->n + 1);
    if (!t)
        return TL_ENOMEM;
    memcpy(t + l->n, sep, sn);
    memcpy(t + l->n + sn, m->text, m->n + 1);
    l->text = t;
    l->n += sn + m->n;
    return TL_OK;
}

/* Step 4: wrapped lines joined. Decisions are taken on the physical lines
 * first, then the lines are merged in place. */
static tl_err join_wrapped(plines *L)
{
    if (L->n == 0)
        return TL_OK;
    bool *cont = calloc(L->n, sizeof *cont);
    if (!cont)
        return TL_ENOMEM;
    size_t prev = L->n;
    for (size_t i = 0; i < L->n; i++) {
        if (L->items[i].drop)
            continue;
        if (prev < L->n)
            cont[i] = continues(L, prev, &L->items[prev], &L->items[i]);
        prev = i;
    }
    size_t out = 0;
    tl_err e = TL_OK;
    for (size_t i = 0; i < L->n; i++) {
        pline *m = &L->items[i];
        if (m->drop) {
            free(m->text);
            continue;
        }
        if (cont[i] && out > 0 && e == TL_OK) {
            pline *l = &L->items[out - 1];
            bool hyph = l->n && l->text[l->n - 1] == '-';
            e = append_text(l, hyph ? "" : " ", m);
            l->x1 = m->x1;
            l->y_last = m->y0;
            free(m->text);
            continue;
        }
        L->items[out++] = *m;
    }
    L->n = out;
    free(cont);
    return e;
}

/* ---- columns ---- */

static int cmp_y(const void *a, const void *b)
{
    const pline *x = a, *y = b;
    if (fabs(x->y0 - y->y0) > 1.0)
        return x->y0 < y->y0 ? -1 : 1;
    return x->x0 < y->x0 ? -1 : x->x0 > y->x0;
}

/* The gutter of a two-column page [a, b): an x that no line below the
 * header crosses, with lines on both sides. *ystart is the top of the
 * columns. False when the page is one column. */
static bool find_gutter(const pline *P, size_t n, double *gx, double *ystart)
{
    double min_x0 = 1e9;
    for (size_t i = 0; i < n; i++)
        if (P[i].x0 < min_x0)
            min_x0 = P[i].x0;
    size_t best = 0;
    for (size_t c = 0; c < n; c++) {
        double X = P[c].x0;
        if (X < min_x0 + 60)
            continue;
        double top = -1e9;
        for (size_t i = 0; i < n; i++)
            if (P[i].x0 < X - 1 && P[i].x1 > X + 1 && P[i].y0 > top)
                top = P[i].y0;
        size_t left = 0, right = 0;
        for (size_t i = 0; i < n; i++) {
            if (P[i].y0 <= top + 0.5)
                continue;
            if (P[i].x0 >= X - 1)
                right++;
            else
                left++;
        }
        if (left >= 2 && right >= 2 && left + right > best && (left + right) * 5 >= n * 2) {
            best = left + right;
            *gx = X;
            *ystart = top;
        }
    }
    return best >= 6;
}

/* Step 1b: per page, lines in reading order: a two-column page reads the
 * header, then the left column, then the right; on a one-column page the
 * fragments of one poppler line are put back together. */
static tl_err order_columns(plines *L)
{
    size_t i = 0;
    tl_err e = TL_OK;
    while (i < L->n && e == TL_OK) {
        size_t j = i;
        while (j < L->n && L->items[j].page == L->items[i].page)
            j++;
        pline *P = L->items + i;
        size_t n = j - i;
        bool geom = true;
        for (size_t k = 0; k < n; k++)
            geom = geom && P[k].geom;
        double gx = 0, ystart = 0;
        if (geom && n > 1 && find_gutter(P, n, &gx, &ystart)) {
            pline *tmp = malloc(n * sizeof *tmp);
            if (!tmp)
                return TL_ENOMEM;
            size_t k = 0;
            for (int pass = 0; pass < 3; pass++) {
                size_t from = k;
                for (size_t m = 0; m < n; m++) {
                    bool head = P[m].y0 <= ystart + 0.5;
                    bool left = !head && P[m].x0 < gx - 1;
                    if ((pass == 0 && head) || (pass == 1 && left) ||
                        (pass == 2 && !head && !left)) {
                        tmp[k] = P[m];
                        tmp[k++].col = pass;
                    }
                }
                qsort(tmp + from, k - from, sizeof *tmp, cmp_y);
            }
            memcpy(P, tmp, n * sizeof *tmp);
            free(tmp);
        } else {
            /* one column: fragments of a line back together */
            size_t out = 0;
            for (size_t m = 0; m < n && e == TL_OK; m++) {
                if (out && P[out - 1].src == P[m].src) {
                    pline *l = &P[out - 1];
                    e = append_text(l, " | ", &P[m]);
                    l->x1 = fmax(l->x1, P[m].x1);
                    l->size = fmax(l->size, P[m].size);
                    l->bold = l->bold && P[m].bold;
                    free(P[m].text);
                    continue;
                }
                P[out++] = P[m];
            }
            if (out < n) {
                memmove(P + out, P + n, (L->n - j) * sizeof *P);
                L->n -= n - out;
                j = i + out;
            }
        }
        i = j;
    }
    return e;
}

/* ---- the document ---- */

static tl_err pdf_lines(const void *p, size_t n, tl_buf *out, tl__headings *hs, tl_doc_error *err)
{
    if (!p || n == 0)
        return tl__doc_fail(err, TL_EEMPTY, 0, "empty file");
    if (n > TL_PDF_MAX_BYTES)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "PDF: the file is %zu bytes; the limit is %u", n,
                            TL_PDF_MAX_BYTES);
    if (!tl_pdf_sniff(p, n))
        return tl__doc_fail(err, TL_EFORMAT, 0, "not a PDF file (no %%PDF- header)");
    GBytes *bytes = g_bytes_new_static(p, n);
    GError *gerr = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    g_bytes_unref(bytes);
    if (!doc) {
        tl_err e;
        if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
            e = tl__doc_fail(err, TL_EFORMAT, 0, "PDF: the file is encrypted (password protected)");
        else
            e = tl__doc_fail(err, TL_EFORMAT, 0, "PDF: damaged or unreadable file%s%s",
                             gerr ? ": " : "", gerr ? gerr->message : "");
        g_clear_error(&gerr);
        return e;
    }
    int pages = poppler_document_get_n_pages(doc);
    tl_err e = TL_OK;
    if (pages > TL_PDF_MAX_PAGES)
        e = tl__doc_fail(err, TL_ETOOBIG, 0, "PDF: %d pages; the limit is %d", pages,
                         TL_PDF_MAX_PAGES);
    else if (pages <= 0)
        e = tl__doc_fail(err, TL_EEMPTY, 0, "PDF: the document has no pages");
    plines L;
    memset(&L, 0, sizeof L);
    for (int i = 0; i < pages && e == TL_OK; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page) {
            e = tl__doc_fail(err, TL_EFORMAT, 0, "PDF: page %d cannot be read", i + 1);
            break;
        }
        e = page_lines(&L, page, i, err);
        g_object_unref(page);
    }
    if (e == TL_OK)
        e = order_columns(&L);
    if (e == TL_OK) {
        e = drop_running(&L, pages);
        if (e == TL_OK)
            e = join_wrapped(&L);
    }
    if (e == TL_OK) {
        find_headings(&L);
        e = to_text(&L, out, hs);
        if (e == TL_ETOOBIG)
            e = tl__doc_fail(err, e, 0, "PDF: more than %u bytes of text", TL_MAX_RESUME_BYTES);
    }
    plines_free(&L);
    g_object_unref(doc);
    return e;
}

tl_err tl_pdf_text(const void *p, size_t n, char **out, size_t *len, tl_doc_error *err)
{
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    if (!out)
        return tl__doc_fail(err, TL_EINVAL, 0, "invalid arguments");
    tl_buf b;
    tl_buf_init(&b, TL_MAX_RESUME_BYTES);
    tl__headings hs;
    tl__headings_init(&hs);
    tl_err e = pdf_lines(p, n, &b, &hs, err);
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    tl__headings_free(&hs);
    return e;
}

tl_err tl_pdf_read(const void *p, size_t n, tl_resume **out, tl_doc_error *err)
{
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    if (!out)
        return tl__doc_fail(err, TL_EINVAL, 0, "invalid arguments");
    tl_buf b;
    tl_buf_init(&b, TL_MAX_RESUME_BYTES);
    tl__headings hs;
    tl__headings_init(&hs);
    tl_err e = pdf_lines(p, n, &b, &hs, err);
    if (e == TL_OK)
        e = tl__read_lines(tl_buf_str(&b), b.len, &hs, "PDF", out, err);
    tl_buf_free(&b);
    tl__headings_free(&hs);
    return e;
}
