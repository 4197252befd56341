/* DOCX reader: word/document.xml paragraphs, with their styles, turned into
 * the lines of a plain-text resume and read by the text reader (text.c).
 *
 * The archive is opened from memory (libzip) and checked before anything
 * is inflated: entry count, declared sizes; reads stop at the limits
 * whatever the archive declares. XML is parsed by libxml2 without network
 * access, without entity substitution, and a document type declaration is
 * refused (Word never writes one). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#include "doc/doc_int.h"
#include "doc/docx.h"
#include "doc/blocks.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

bool tl_docx_sniff(const void *p, size_t n)
{
    return p && n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0;
}

/* ---- the archive ---- */

/* Reads entry `name` (at most max bytes) into a malloc'd, NUL-terminated
 * buffer. TL_ENOTFOUND when absent. */
static tl_err read_entry(zip_t *za, const char *name, size_t max, char **out, size_t *len,
                         tl_doc_error *err)
{
    zip_int64_t idx = zip_name_locate(za, name, 0);
    if (idx < 0)
        return TL_ENOTFOUND;
    zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (!f)
        return tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: cannot open %s in the archive: %s", name,
                            zip_strerror(za));
    tl_buf b;
    tl_buf_init(&b, max);
    char chunk[16384];
    tl_err e = TL_OK;
    for (;;) {
        zip_int64_t got = zip_fread(f, chunk, sizeof chunk);
        if (got < 0) {
            e = tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: %s is corrupt: %s", name,
                             zip_file_strerror(f));
            break;
        }
        if (got == 0)
            break;
        e = tl_buf_append(&b, chunk, (size_t)got);
        if (e == TL_ETOOBIG) {
            e = tl__doc_fail(err, TL_ETOOBIG, 0, "DOCX: %s inflates past %zu bytes", name, max);
            break;
        }
        if (e != TL_OK)
            break;
    }
    zip_fclose(f);
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    return e;
}

/* Entry count and declared sizes, before anything is inflated. */
static tl_err check_archive(zip_t *za, tl_doc_error *err)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0 || n > TL_DOCX_MAX_ENTRIES)
        return tl__doc_fail(err, TL_ETOOBIG, 0,
                            "DOCX: %lld entries in the archive; the limit is %d", (long long)n,
                            TL_DOCX_MAX_ENTRIES);
    zip_uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0)
            return tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: corrupt archive entry %lld",
                                (long long)i);
        if (!(st.valid & ZIP_STAT_SIZE))
            continue;
        if (st.size > TL_DOCX_MAX_ENTRY_BYTES)
            return tl__doc_fail(err, TL_ETOOBIG, 0,
                                "DOCX: entry %s is %llu bytes uncompressed; the limit is %u",
                                st.valid & ZIP_STAT_NAME ? st.name : "?",
                                (unsigned long long)st.size, TL_DOCX_MAX_ENTRY_BYTES);
        total += st.size;
        if (total > TL_DOCX_MAX_TOTAL_BYTES)
            return tl__doc_fail(err, TL_ETOOBIG, 0,
                                "DOCX: the archive inflates to more than %u bytes",
                                TL_DOCX_MAX_TOTAL_BYTES);
    }
    return TL_OK;
}

/* ---- XML helpers ---- */

static bool is(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static bool is_w(const xmlNode *n, const char *local)
{
    return is(n, local) && n->ns && n->ns->prefix && strcmp((const char *)n->ns->prefix, "w") == 0;
}

/* The value of attribute `local` (any namespace), or NULL. */
static const char *attr(const xmlNode *n, const char *local)
{
    for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
        if (strcmp((const char *)a->name, local) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static const xmlNode *child(const xmlNode *n, const char *local)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is(c, local))
            return c;
    return NULL;
}

static bool on_off(const xmlNode *n)
{
    const char *v = attr(n, "val");
    return !v || !(strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "off") == 0);
}

static tl_err parse_xml(const char *p, size_t n, const char *name, xmlDoc **out, tl_doc_error *err)
{
    if (n > (size_t)0x7fffffff)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "DOCX: %s is too large", name);
    xmlDoc *d = xmlReadMemory(p, (int)n, name, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d)
        return tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: %s is not well-formed XML", name);
    if (d->intSubset || d->extSubset) {
        xmlFreeDoc(d);
        return tl__doc_fail(err, TL_EFORMAT, 0,
                            "DOCX: %s has a document type declaration, which Word never writes",
                            name);
    }
    *out = d;
    return TL_OK;
}

/* ---- styles ---- */

typedef enum para_kind { P_PLAIN, P_TITLE, P_HEAD, P_LIST } para_kind;

#define MAX_STYLES 2000

typedef struct style_info {
    char id[64];
    para_kind kind;
    int level; /* headings: 1-9 */
} style_info;

typedef struct styles {
    style_info *items;
    size_t n;
} styles;

/* What a style name ("heading 2", "Title", "List Paragraph") says. */
static para_kind kind_of_name(const char *name, int *level)
{
    char low[64];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = '\0';
    if (strcmp(low, "title") == 0)
        return P_TITLE;
    if (strncmp(low, "heading", 7) == 0) {
        const char *d = low + 7;
        while (*d == ' ')
            d++;
        if (*d >= '1' && *d <= '9' && !d[1]) {
            *level = *d - '0';
            return P_HEAD;
        }
    }
    if (strstr(low, "list"))
        return P_LIST;
    return P_PLAIN;
}

static void styles_load(const xmlDoc *d, styles *st)
{
    const xmlNode *root = xmlDocGetRootElement((xmlDoc *)d);
    size_t count = 0;
    for (const xmlNode *c = root ? root->children : NULL; c; c = c->next)
        count += is(c, "style");
    if (count > MAX_STYLES)
        count = MAX_STYLES; /* every paragraph looks its style up */
    st->items = count ? calloc(count, sizeof *st->items) : NULL;
    if (!st->items)
        return; /* without styles, style ids are read as names */
    for (const xmlNode *c = root->children; c && st->n < count; c = c->next) {
        if (!is(c, "style"))
            continue;
        const char *id = attr(c, "styleId");
        const xmlNode *nm = child(c, "name");
        const char *name = nm ? attr(nm, "val") : NULL;
        if (!id || strlen(id) >= sizeof st->items[0].id)
            continue;
        style_info *s = &st->items[st->n++];
        memcpy(s->id, id, strlen(id) + 1);
        s->level = 0;
        s->kind = kind_of_name(name ? name : id, &s->level);
        const xmlNode *ppr = child(c, "pPr");
        const xmlNode *ol = child(ppr, "outlineLvl");
        const char *olv = attr(ol, "val");
        if (s->kind == P_PLAIN && olv && olv[0] >= '0' && olv[0] <= '8' && !olv[1]) {
            s->kind = P_HEAD;
            s->level = olv[0] - '0' + 1;
        }
        if (s->kind == P_PLAIN && child(ppr, "numPr"))
            s->kind = P_LIST;
    }
}

static para_kind style_kind(const styles *st, const char *id, int *level)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->items[i].id, id) == 0) {
            *level = st->items[i].level;
            return st->items[i].kind;
        }
    return kind_of_name(id, level); /* "Heading1", "ListParagraph" */
}

/* ---- paragraphs ---- */

typedef struct para {
    para_kind kind;
    int level;
    bool bold;  /* every run with text is bold */
    char *text; /* malloc'd; lines split by '\n' (w:br) */
    size_t n;
} para;

typedef struct reader {
    const styles *st;
    para *paras;
    size_t n, cap;
    size_t bytes; /* text collected so far */
    tl_doc_error *err;
} reader;

typedef struct para_text {
    tl_buf b;
    bool any_run, all_bold;
} para_text;

static tl_err put_sep(para_text *t, const char *sep)
{
    /* a tab between words reads as a separator, leading ones as nothing */
    if (!t->b.len || t->b.data[t->b.len - 1] == '\n')
        return TL_OK;
    while (t->b.len && t->b.data[t->b.len - 1] == ' ')
        t->b.data[--t->b.len] = '\0';
    return tl_buf_puts(&t->b, sep);
}

static tl_err collect(const xmlNode *n, para_text *t, bool bold, int depth)
{
    if (depth > 48)
        return TL_OK;
    tl_err e = TL_OK;
    for (const xmlNode *c = n->children; c && e == TL_OK; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *nm = (const char *)c->name;
        if (is_w(c, "t")) {
            xmlChar *s = xmlNodeGetContent(c);
            if (!s)
                return TL_ENOMEM;
            size_t len = strlen((const char *)s);
            if (len) {
                t->any_run = true;
                t->all_bold = t->all_bold && bold;
            }
            e = tl_buf_append(&t->b, s, len);
            xmlFree(s);
        } else if (is_w(c, "tab") || is_w(c, "ptab")) {
            e = put_sep(t, " | ");
        } else if (is_w(c, "br") || is_w(c, "cr")) {
            const char *type = attr(c, "type");
            if (!type || strcmp(type, "textWrapping") == 0)
                e = tl_buf_putc(&t->b, '\n');
        } else if (is_w(c, "noBreakHyphen")) {
            e = tl_buf_putc(&t->b, '-');
        } else if (is_w(c, "r")) {
            const xmlNode *rpr = child(c, "rPr");
            const xmlNode *b = child(rpr, "b");
            e = collect(c, t, b && on_off(b), depth + 1);
        } else if (strcmp(nm, "delText") == 0 || strcmp(nm, "instrText") == 0 ||
                   strcmp(nm, "del") == 0 || strcmp(nm, "pPr") == 0 || strcmp(nm, "rPr") == 0 ||
                   strcmp(nm, "txbxContent") == 0 || strcmp(nm, "Choice") == 0 ||
                   strcmp(nm, "footnoteReference") == 0) {
            continue;
        } else {
            /* hyperlinks, fields, smart tags, insertions, fallbacks... */
            e = collect(c, t, bold, depth + 1);
        }
    }
    return e;
}

static tl_err add_para(reader *rd, const xmlNode *p)
{
    para pa;
    memset(&pa, 0, sizeof pa);
    const xmlNode *ppr = child(p, "pPr");
    const xmlNode *ps = child(ppr, "pStyle");
    const char *sid = attr(ps, "val");
    if (sid)
        pa.kind = style_kind(rd->st, sid, &pa.level);
    const xmlNode *ol = child(ppr, "outlineLvl");
    const char *olv = attr(ol, "val");
    if (olv && olv[0] >= '0' && olv[0] <= '8' && !olv[1] && pa.kind != P_TITLE) {
        pa.kind = P_HEAD;
        pa.level = olv[0] - '0' + 1;
    }
    const xmlNode *np = child(ppr, "numPr");
    if (np && pa.kind == P_PLAIN) {
        const char *id = attr(child(np, "numId"), "val");
        if (!id || strcmp(id, "0") != 0)
            pa.kind = P_LIST;
    }
    para_text t;
    tl_buf_init(&t.b, TL_MAX_FIELD_BYTES);
    t.any_run = false;
    t.all_bold = true;
    tl_err e = collect(p, &t, false, 0);
    if (e == TL_ETOOBIG) {
        tl_buf_free(&t.b);
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "DOCX: a paragraph is longer than %u bytes",
                            TL_MAX_FIELD_BYTES);
    }
    if (e == TL_OK)
        e = tl_buf_take(&t.b, &pa.text, &pa.n);
    tl_buf_free(&t.b);
    if (e != TL_OK)
        return e;
    pa.bold = t.any_run && t.all_bold;
    rd->bytes += pa.n + 4;
    if (rd->bytes > TL_MAX_RESUME_BYTES) {
        free(pa.text);
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "DOCX: more than %u bytes of text",
                            TL_MAX_RESUME_BYTES);
    }
    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? rd->cap * 2 : 64;
        para *np2 = realloc(rd->paras, cap * sizeof *np2);
        if (!np2) {
            free(pa.text);
            return TL_ENOMEM;
        }
        rd->paras = np2;
        rd->cap = cap;
    }
    rd->paras[rd->n++] = pa;
    return TL_OK;
}

static tl_err walk_blocks(reader *rd, const xmlNode *n, int depth);

/* Text boxes inside a paragraph's runs, read after it. */
static tl_err walk_boxes(reader *rd, const xmlNode *n, int depth)
{
    if (depth > 48)
        return TL_OK;
    tl_err e = TL_OK;
    for (const xmlNode *c = n->children; c && e == TL_OK; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || is(c, "Choice"))
            continue;
        if (is(c, "txbxContent"))
            e = walk_blocks(rd, c, depth + 1);
        else
            e = walk_boxes(rd, c, depth + 1);
    }
    return e;
}

static tl_err walk_blocks(reader *rd, const xmlNode *n, int depth)
{
    if (depth > 48)
        return TL_OK;
    tl_err e = TL_OK;
    for (const xmlNode *c = n->children; c && e == TL_OK; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_w(c, "p")) {
            e = add_para(rd, c);
            if (e == TL_OK)
                e = walk_boxes(rd, c, depth + 1);
        } else if (is_w(c, "tbl") || is_w(c, "tr") || is_w(c, "tc") || is_w(c, "sdt") ||
                   is_w(c, "sdtContent") || is_w(c, "customXml") || is_w(c, "txbxContent") ||
                   is_w(c, "ins") || is(c, "AlternateContent") || is(c, "Fallback")) {
            e = walk_blocks(rd, c, depth + 1);
        }
    }
    return e;
}

/* ---- to text ---- */

static bool strict_heading(const char *s, size_t n)
{
    tl__span sp = {s, n};
    tl_section_kind k;
    bool summary;
    return tl__heading_kind(sp, false, &k, &summary);
}

static tl_err emit_line(tl_buf *out, const char *s, size_t n, bool upper)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        char c = s[i];
        if (c == '\n' || c == '\r' || c == '\t' || c == '\f')
            c = ' ';
        else if ((unsigned char)c < 0x20 || c == 0x7f)
            continue;
        e = tl_buf_putc(out, upper ? (char)toupper((unsigned char)c) : c);
    }
    return e == TL_OK ? tl_buf_putc(out, '\n') : e;
}

static tl_err emit_blank(tl_buf *out)
{
    if (out->len == 0 || (out->len >= 2 && out->data[out->len - 2] == '\n'))
        return TL_OK;
    return tl_buf_putc(out, '\n');
}

/* The paragraphs as the lines of a plain-text resume. */
static tl_err to_lines(const reader *rd, tl_buf *out, tl__headings *hs)
{
    /* Sections are the shallowest heading level that names a known
     * section (else the shallowest heading level there is). */
    int sec_level = 10, any_level = 10;
    for (size_t i = 0; i < rd->n; i++) {
        const para *p = &rd->paras[i];
        if (p->kind != P_HEAD)
            continue;
        tl__span s = tl__span_trim((tl__span){p->text, p->n});
        if (p->level < any_level && s.n)
            any_level = p->level;
        if (p->level < sec_level && strict_heading(s.p, s.n))
            sec_level = p->level;
    }
    if (sec_level == 10)
        sec_level = any_level;
    tl_err e = TL_OK;
    for (size_t i = 0; i < rd->n && e == TL_OK; i++) {
        const para *p = &rd->paras[i];
        tl__span s = tl__span_trim((tl__span){p->text, p->n});
        if (!s.n) {
            e = emit_blank(out);
            continue;
        }
        bool heading = (p->kind == P_HEAD && p->level == sec_level) ||
                       (p->kind != P_LIST && p->bold && s.n <= 60 && !memchr(s.p, '\n', s.n) &&
                        strict_heading(s.p, s.n) && out->len > 0);
        if (heading) {
            bool strict = strict_heading(s.p, s.n);
            e = emit_blank(out);
            if (e == TL_OK && !strict)
                e = tl__headings_add(hs, s.p, s.n);
            if (e == TL_OK)
                e = emit_line(out, s.p, s.n, !strict);
        } else if (p->kind == P_HEAD && p->level > sec_level) {
            e = emit_blank(out);
            if (e == TL_OK)
                e = emit_line(out, s.p, s.n, false);
            /* dates in the paragraph under an entry heading belong to it */
            const para *q = i + 1 < rd->n ? &rd->paras[i + 1] : NULL;
            tl__span qs = q ? tl__span_trim((tl__span){q->text, q->n}) : (tl__span){NULL, 0};
            if (e == TL_OK && q && q->kind == P_PLAIN && qs.n && tl__is_dates(qs)) {
                out->len--; /* the newline */
                e = tl_buf_puts(out, " | ");
                if (e == TL_OK)
                    e = emit_line(out, qs.p, qs.n, false);
                i++;
            }
        } else if (p->kind == P_LIST) {
            e = tl_buf_puts(out, "\xe2\x80\xa2 ");
            if (e == TL_OK)
                e = emit_line(out, s.p, s.n, false);
        } else {
            /* one line per line break */
            size_t start = 0;
            for (size_t k = 0; k <= s.n && e == TL_OK; k++) {
                if (k < s.n && s.p[k] != '\n')
                    continue;
                tl__span l = tl__span_trim((tl__span){s.p + start, k - start});
                if (l.n)
                    e = emit_line(out, l.p, l.n, false);
                start = k + 1;
            }
        }
    }
    return e;
}

static void free_paras(reader *rd)
{
    for (size_t i = 0; i < rd->n; i++)
        free(rd->paras[i].text);
    free(rd->paras);
    rd->paras = NULL;
    rd->n = rd->cap = 0;
}

static tl_err docx_lines(const void *data, size_t size, tl_buf *out, tl__headings *hs,
                         tl_doc_error *err)
{
    if (!data || size == 0)
        return tl__doc_fail(err, TL_EEMPTY, 0, "empty file");
    if (size > TL_DOCX_MAX_BYTES)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "DOCX: the file is %zu bytes; the limit is %u",
                            size, TL_DOCX_MAX_BYTES);
    if (!tl_docx_sniff(data, size))
        return tl__doc_fail(err, TL_EFORMAT, 0, "not a DOCX file (no zip signature)");
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, size, 0, &ze);
    if (!src) {
        zip_error_fini(&ze);
        return tl__doc_fail(err, TL_ENOMEM, 0, "out of memory");
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!za) {
        tl_err e = tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: not a valid zip archive: %s",
                                zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return e;
    }
    zip_error_fini(&ze);
    char *doc = NULL, *sty = NULL;
    size_t doc_n = 0, sty_n = 0;
    xmlDoc *dd = NULL, *sd = NULL;
    styles st = {NULL, 0};
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.err = err;
    rd.st = &st;
    tl_err e = check_archive(za, err);
    if (e == TL_OK) {
        e = read_entry(za, "word/document.xml", TL_DOCX_MAX_ENTRY_BYTES, &doc, &doc_n, err);
        if (e == TL_ENOTFOUND)
            e = tl__doc_fail(err, TL_EFORMAT, 0,
                             "DOCX: no word/document.xml: this zip is not a Word document");
    }
    if (e == TL_OK) {
        tl_err se = read_entry(za, "word/styles.xml", TL_DOCX_MAX_ENTRY_BYTES, &sty, &sty_n, err);
        if (se == TL_OK && parse_xml(sty, sty_n, "styles.xml", &sd, NULL) == TL_OK)
            styles_load(sd, &st);
        else if (se != TL_OK && se != TL_ENOTFOUND && se != TL_EFORMAT)
            e = se;
    }
    if (e == TL_OK)
        e = parse_xml(doc, doc_n, "word/document.xml", &dd, err);
    if (e == TL_OK) {
        const xmlNode *root = xmlDocGetRootElement(dd);
        const xmlNode *body = is(root, "document") ? child(root, "body") : NULL;
        if (!body)
            e = tl__doc_fail(err, TL_EFORMAT, 0, "DOCX: word/document.xml has no document body");
        else
            e = walk_blocks(&rd, body, 0);
    }
    if (e == TL_OK)
        e = to_lines(&rd, out, hs);
    if (e == TL_ETOOBIG && err && !err->message[0])
        tl__doc_fail(err, e, 0, "DOCX: more than %u bytes of text", TL_MAX_RESUME_BYTES);
    free_paras(&rd);
    free(st.items);
    xmlFreeDoc(dd);
    xmlFreeDoc(sd);
    free(doc);
    free(sty);
    zip_discard(za);
    return e;
}

tl_err tl_docx_text(const void *p, size_t n, char **out, size_t *len, tl_doc_error *err)
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
    tl_err e = docx_lines(p, n, &b, &hs, err);
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    tl__headings_free(&hs);
    return e;
}

tl_err tl_docx_read(const void *p, size_t n, tl_resume **out, tl_doc_error *err)
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
    tl_err e = docx_lines(p, n, &b, &hs, err);
    if (e == TL_OK)
        e = tl__read_lines(tl_buf_str(&b), b.len, &hs, "DOCX", out, err);
    tl_buf_free(&b);
    tl__headings_free(&hs);
    return e;
}
