/* HTML writer: one standalone HTML5 page with embedded, print-ready CSS
 * (A4 and Letter alike: the page size is left to the printer, margins are
 * set in @page) and no external resources. Every text is escaped; links are
 * made only for http(s), mailto and tel targets. */
#include <string.h>

#include "doc/doc_int.h"
#include "util/limits.h"
#include "util/str.h"

static const char css[] =
    ":root{--ink:#1d232a;--muted:#5b6570;--rule:#d5dbe1;--accent:#24527a}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:#f3f5f7;color:var(--ink);"
    "font:15px/1.5 \"Helvetica Neue\",Helvetica,Arial,\"Liberation Sans\",sans-serif}\n"
    ".resume{max-width:52rem;margin:2rem auto;padding:2.5rem 3rem;background:#fff;"
    "box-shadow:0 1px 4px rgba(0,0,0,.08)}\n"
    "header h1{margin:0;font-size:2rem;line-height:1.2;letter-spacing:.01em}\n"
    "header .label{margin:.2rem 0 0;font-size:1.1rem;color:var(--accent)}\n"
    "header .contact{margin:.5rem 0 0;color:var(--muted);font-size:.92rem}\n"
    "header .contact span+span::before{content:\"\\00b7\";margin:0 .5em;color:var(--rule)}\n"
    "a{color:var(--accent);text-decoration:none}\n"
    "a:hover{text-decoration:underline}\n"
    "section{margin-top:1.6rem}\n"
    "h2{margin:0 0 .6rem;padding-bottom:.25rem;border-bottom:1px solid var(--rule);"
    "font-size:.95rem;text-transform:uppercase;letter-spacing:.08em;color:var(--accent)}\n"
    ".entry{margin:0 0 1rem}\n"
    ".entry-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 1rem;"
    "align-items:baseline}\n"
    ".entry h3{margin:0;font-size:1rem}\n"
    ".entry .org{font-weight:normal}\n"
    ".entry .dates{color:var(--muted);font-size:.9rem;white-space:nowrap}\n"
    ".entry .meta{margin:0;color:var(--muted);font-size:.9rem}\n"
    ".entry p{margin:.3rem 0}\n"
    "ul{margin:.35rem 0 0;padding-left:1.2rem}\n"
    "li{margin:.15rem 0}\n"
    ".groups{list-style:none;padding:0}\n"
    ".summary p{margin:.4rem 0}\n"
    "@page{margin:14mm 15mm}\n"
    "@media print{\n"
    "  body{background:#fff;font-size:10.5pt;line-height:1.4}\n"
    "  .resume{max-width:none;margin:0;padding:0;box-shadow:none}\n"
    "  a{color:inherit}\n"
    "  h2{break-after:avoid;page-break-after:avoid}\n"
    "  .entry,li{break-inside:avoid;page-break-inside:avoid}\n"
    "  section{margin-top:1.1rem}\n"
    "}\n"
    "@media (max-width:40rem){.resume{margin:0;padding:1.25rem}}\n";

/* Escapes &, <, >, " and ' (safe in text and in quoted attributes). */
static tl_err esc(tl_buf *b, const char *s)
{
    tl_err e = TL_OK;
    for (; s && *s && e == TL_OK; s++) {
        switch (*s) {
        case '&': e = tl_buf_puts(b, "&amp;"); break;
        case '<': e = tl_buf_puts(b, "&lt;"); break;
        case '>': e = tl_buf_puts(b, "&gt;"); break;
        case '"': e = tl_buf_puts(b, "&quot;"); break;
        case '\'': e = tl_buf_puts(b, "&#39;"); break;
        default: e = tl_buf_putc(b, *s); break;
        }
    }
    return e;
}

/* An element with escaped text: <tag class="cls">text</tag>. */
static tl_err elem(tl_buf *b, const char *tag, const char *cls, const char *text)
{
    tl_err e = cls ? tl_buf_printf(b, "<%s class=\"%s\">", tag, cls) : tl_buf_printf(b, "<%s>", tag);
    if (e == TL_OK)
        e = esc(b, text);
    return e == TL_OK ? tl_buf_printf(b, "</%s>", tag) : e;
}

/* The href for a contact or URL, or NULL when it is not safe to link:
 * http(s) and mailto/tel are linked; a bare domain gets https://. */
static tl_err link(tl_buf *b, const char *prefix, const char *target, const char *text)
{
    bool has_scheme = tl_str_istarts(target, "http://") || tl_str_istarts(target, "https://");
    bool bare = !strchr(target, ':') && !strchr(target, ' ') && strchr(target, '.');
    if (!prefix && !has_scheme && !bare)
        return esc(b, text);
    tl_err e = tl_buf_puts(b, "<a href=\"");
    if (e == TL_OK && prefix)
        e = tl_buf_puts(b, prefix);
    else if (e == TL_OK && !has_scheme)
        e = tl_buf_puts(b, "https://");
    if (e == TL_OK)
        e = esc(b, target);
    if (e == TL_OK)
        e = tl_buf_puts(b, "\">");
    if (e == TL_OK)
        e = esc(b, text);
    return e == TL_OK ? tl_buf_puts(b, "</a>") : e;
}

/* Paragraphs of text ("\n\n" separates them). */
static tl_err paragraphs(tl_buf *b, const char *s)
{
    tl_err e = tl_buf_puts(b, "<p>");
    for (const char *p = s; *p && e == TL_OK; p++) {
        if (p[0] == '\n' && p[1] == '\n') {
            e = tl_buf_puts(b, "</p><p>");
            while (p[1] == '\n')
                p++;
        } else {
            char one[2] = {*p, 0};
            e = esc(b, one);
        }
    }
    return e == TL_OK ? tl_buf_puts(b, "</p>\n") : e;
}

/* A tel: link keeps only '+' and digits of the number. */
static tl_err phone_span(tl_buf *b, const char *v)
{
    char digits[64];
    size_t n = 0;
    for (const char *p = v; *p && n + 1 < sizeof digits; p++)
        if ((*p >= '0' && *p <= '9') || (*p == '+' && n == 0))
            digits[n++] = *p;
    digits[n] = '\0';
    tl_err e = tl_buf_puts(b, "<span>");
    if (e == TL_OK)
        e = n ? tl_buf_printf(b, "<a href=\"tel:%s\">", digits) : TL_OK;
    if (e == TL_OK)
        e = esc(b, v);
    if (e == TL_OK && n)
        e = tl_buf_puts(b, "</a>");
    return e == TL_OK ? tl_buf_puts(b, "</span>") : e;
}

static tl_err contact_span(tl_buf *b, const char *prefix, const char *v)
{
    tl_err e = tl_buf_puts(b, "<span>");
    if (e == TL_OK)
        e = prefix || strchr(v, '.') ? link(b, prefix, v, v) : esc(b, v);
    return e == TL_OK ? tl_buf_puts(b, "</span>") : e;
}

static tl_err header(tl_buf *b, const tl_basics *bs)
{
    tl_err e = tl_buf_puts(b, "<header>\n");
    if (e == TL_OK && bs->name)
        e = elem(b, "h1", NULL, bs->name);
    if (e == TL_OK && bs->label)
        e = elem(b, "p", "label", bs->label);
    if (e == TL_OK)
        e = tl_buf_puts(b, "\n<p class=\"contact\">");
    if (e == TL_OK && bs->location)
        e = elem(b, "span", NULL, bs->location);
    if (e == TL_OK && bs->email)
        e = contact_span(b, "mailto:", bs->email);
    if (e == TL_OK && bs->phone)
        e = phone_span(b, bs->phone);
    if (e == TL_OK && bs->url)
        e = contact_span(b, NULL, bs->url);
    for (size_t i = 0; i < bs->n_profiles && e == TL_OK; i++) {
        const tl_profile *p = &bs->profiles[i];
        const char *v = p->url ? p->url : p->username;
        if (v && !(bs->url && strcmp(v, bs->url) == 0))
            e = contact_span(b, NULL, v);
    }
    if (e == TL_OK)
        e = tl_buf_puts(b, "</p>\n</header>\n");
    if (e == TL_OK && bs->summary) {
        e = tl_buf_puts(b, "<section class=\"summary\">\n<h2>Summary</h2>\n");
        if (e == TL_OK)
            e = paragraphs(b, bs->summary);
        if (e == TL_OK)
            e = tl_buf_puts(b, "</section>\n");
    }
    return e;
}

static tl_err bullets(tl_buf *b, const tl_entry *e)
{
    if (!e->n_bullets)
        return TL_OK;
    tl_err err = tl_buf_puts(b, "<ul>\n");
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++) {
        err = elem(b, "li", NULL, e->bullets[i]);
        if (err == TL_OK)
            err = tl_buf_putc(b, '\n');
    }
    return err == TL_OK ? tl_buf_puts(b, "</ul>\n") : err;
}

static tl_err entry_head(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    tl_buf t;
    tl_buf_init(&t, TL_MAX_OUTPUT_BYTES);
    tl_err err = tl__put_title(&t, s, e);
    if (err == TL_OK)
        err = tl_buf_puts(b, "<div class=\"entry-head\"><h3>");
    if (err == TL_OK && t.len)
        err = elem(b, "span", "title", t.data);
    if (err == TL_OK && e->org)
        err = tl_buf_puts(b, t.len ? " <span class=\"org\">\xe2\x80\x94 " : "<span class=\"org\">");
    if (err == TL_OK && e->org)
        err = esc(b, e->org);
    if (err == TL_OK && e->org)
        err = tl_buf_puts(b, "</span>");
    if (err == TL_OK)
        err = tl_buf_puts(b, "</h3>");
    if (err == TL_OK && tl__entry_has_dates(e)) {
        tl_buf_reset(&t);
        err = tl__put_dates(&t, e, " \xe2\x80\x93 ");
        if (err == TL_OK)
            err = elem(b, "span", "dates", tl_buf_str(&t));
    }
    tl_buf_free(&t);
    return err == TL_OK ? tl_buf_puts(b, "</div>\n") : err;
}

static tl_err entry(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    tl_err err = tl_buf_puts(b, "<article class=\"entry\">\n");
    if (err == TL_OK)
        err = entry_head(b, s, e);
    if (err == TL_OK && (e->location || e->url)) {
        err = tl_buf_puts(b, "<p class=\"meta\">");
        if (err == TL_OK && e->location)
            err = esc(b, e->location);
        if (err == TL_OK && e->location && e->url)
            err = tl_buf_puts(b, " \xc2\xb7 ");
        if (err == TL_OK && e->url)
            err = link(b, NULL, e->url, e->url);
        if (err == TL_OK)
            err = tl_buf_puts(b, "</p>\n");
    }
    if (err == TL_OK && e->summary)
        err = paragraphs(b, e->summary);
    if (err == TL_OK)
        err = bullets(b, e);
    return err == TL_OK ? tl_buf_puts(b, "</article>\n") : err;
}

/* Skills and interests: "<li><strong>Name:</strong> a, b</li>". */
static tl_err group(tl_buf *b, const tl_entry *e)
{
    tl_err err = tl_buf_puts(b, "<li>");
    if (err == TL_OK && e->title) {
        err = tl_buf_puts(b, "<strong>");
        if (err == TL_OK)
            err = esc(b, e->title);
        if (err == TL_OK)
            err = tl_buf_puts(b, e->n_bullets ? ":</strong> " : "</strong>");
    }
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++) {
        if (i)
            err = tl_buf_puts(b, ", ");
        if (err == TL_OK)
            err = esc(b, e->bullets[i]);
    }
    return err == TL_OK ? tl_buf_puts(b, "</li>\n") : err;
}

static tl_err list_item(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    tl_buf t;
    tl_buf_init(&t, TL_MAX_OUTPUT_BYTES);
    tl_err err = tl__put_list_item(&t, s, e, ", ", true);
    if (err == TL_OK)
        err = elem(b, "li", NULL, tl_buf_str(&t));
    tl_buf_free(&t);
    return err == TL_OK ? tl_buf_putc(b, '\n') : err;
}

/* A section key as a CSS class: letters, digits, '-' and '_' only. */
static tl_err put_class(tl_buf *b, const char *key)
{
    tl_err e = TL_OK;
    for (const char *p = key; *p && e == TL_OK; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        e = tl_buf_putc(b, ok ? c : '-');
    }
    return e;
}

static tl_err section(tl_buf *b, const tl_section *s)
{
    tl_err err = tl_buf_puts(b, "<section class=\"");
    if (err == TL_OK)
        err = put_class(b, s->key);
    if (err == TL_OK)
        err = tl_buf_puts(b, "\">\n");
    if (err == TL_OK)
        err = elem(b, "h2", NULL, s->title ? s->title : tl_section_kind_title(s->kind));
    if (err == TL_OK)
        err = tl_buf_putc(b, '\n');
    bool grouped = s->kind == TL_SEC_SKILLS || s->kind == TL_SEC_INTERESTS;
    bool list = grouped || tl__section_as_list(s);
    if (err == TL_OK && list)
        err = tl_buf_puts(b, grouped ? "<ul class=\"groups\">\n" : "<ul>\n");
    for (size_t i = 0; i < s->n_entries && err == TL_OK; i++) {
        const tl_entry *e = &s->entries[i];
        if (grouped)
            err = group(b, e);
        else if (list)
            err = list_item(b, s, e);
        else
            err = entry(b, s, e);
    }
    if (err == TL_OK && list)
        err = tl_buf_puts(b, "</ul>\n");
    return err == TL_OK ? tl_buf_puts(b, "</section>\n") : err;
}

tl_err tl__html_write(const tl_resume *r, tl_buf *b)
{
    tl_err e = tl_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                              "<meta name=\"viewport\" content=\"width=device-width, "
                              "initial-scale=1\">\n<title>");
    if (e == TL_OK)
        e = esc(b, r->basics.name ? r->basics.name : "Resume");
    if (e == TL_OK)
        e = tl_buf_printf(b, "%s</title>\n<style>\n%s</style>\n</head>\n<body>\n"
                             "<main class=\"resume\">\n",
                          r->basics.name ? " \xe2\x80\x94 Resume" : "", css);
    if (e == TL_OK)
        e = header(b, &r->basics);
    for (size_t i = 0; i < r->n_sections && e == TL_OK; i++)
        e = section(b, &r->sections[i]);
    if (e == TL_OK)
        e = tl_buf_puts(b, "</main>\n</body>\n</html>\n");
    return e;
}
