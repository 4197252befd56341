/* Markdown resumes: reader and writer.
 *
 * Conventions (read, and written back):
 *   # Name
 *   Label
 *   City, ST · email · phone · linkedin.com/in/x
 *   ## Summary                      (Profile, About... -> basics.summary)
 *   ## Experience                   (any heading; known words map to kinds)
 *   ### Title — Company (Jan 2022 – Present)
 *   *City, ST · https://url*        (optional meta line)
 *   Summary paragraph.
 *   - bullet
 *   ## Skills
 *   - **Analysis:** SQL, Python (pandas, NumPy), R
 *   ## Certifications
 *   - Tableau Desktop Specialist (2021)
 * Also read: "**Title** — Org, 2019" entry lines, "### Company — Title",
 * "### Title | Company | dates", "*", "+", "•" and "1." list markers, lazy
 * continuation lines, and documents whose sections are "#" headings. The
 * shared line grammar lives in text.c. */
#include <ctype.h>
#include <string.h>

#include "doc/doc_int.h"
#include "util/limits.h"
#include "util/str.h"

/* ======================================================================
 * Reading
 * ====================================================================== */

static tl__span mkspan(const char *p, size_t n)
{
    tl__span s = {p, n};
    return s;
}

static bool sp_starts(tl__span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/* "## Heading ##" -> level 2, text "Heading". At most three leading spaces. */
static int heading_level(tl__span raw, tl__span *text)
{
    size_t i = 0;
    while (i < raw.n && i < 3 && raw.p[i] == ' ')
        i++;
    int level = 0;
    while (i < raw.n && raw.p[i] == '#' && level < 7) {
        i++;
        level++;
    }
    if (level == 0 || level > 6 || (i < raw.n && raw.p[i] != ' ' && raw.p[i] != '\t'))
        return 0;
    tl__span t = tl__span_trim(mkspan(raw.p + i, raw.n - i));
    /* closing hashes */
    size_t end = t.n;
    while (end && t.p[end - 1] == '#')
        end--;
    if (end < t.n && (end == 0 || t.p[end - 1] == ' '))
        t.n = end;
    *text = tl__span_trim(t);
    return level;
}

static bool md_rule(tl__span s)
{
    if (s.n < 3)
        return false;
    char c = s.p[0];
    if (c != '-' && c != '*' && c != '_' && c != '=')
        return false;
    size_t count = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == c)
            count++;
        else if (s.p[i] != ' ')
            return false;
    }
    return count >= 3;
}

/* "**Title** rest": *bold gets the inside, *rest what follows. */
static bool bold_lead(tl__span s, tl__span *bold, tl__span *rest)
{
    if (!sp_starts(s, "**") && !sp_starts(s, "__"))
        return false;
    char c = s.p[0];
    for (size_t i = 2; i + 1 < s.n; i++) {
        if (s.p[i] == c && s.p[i + 1] == c) {
            if (i == 2)
                return false;
            *bold = tl__span_trim(mkspan(s.p + 2, i - 2));
            *rest = tl__span_trim(mkspan(s.p + i + 2, s.n - i - 2));
            return true;
        }
    }
    return false;
}

/* "*City, ST · url*" or "_..._" (not bold). */
static bool italic_line(tl__span s, tl__span *inner)
{
    if (s.n < 3 || (s.p[0] != '*' && s.p[0] != '_') || s.p[1] == s.p[0] ||
        s.p[s.n - 1] != s.p[0] || s.p[s.n - 2] == s.p[0] || s.p[1] == ' ')
        return false;
    *inner = tl__span_trim(mkspan(s.p + 1, s.n - 2));
    return inner->n > 0;
}

static bool entry_section(tl_section_kind k)
{
    return k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS ||
           k == TL_SEC_CUSTOM || k == TL_SEC_EDUCATION || k == TL_SEC_AWARDS ||
           k == TL_SEC_PUBLICATIONS || k == TL_SEC_CERTIFICATES || k == TL_SEC_REFERENCES;
}

typedef struct md_reader {
    tl__lines L;
    int sec_level;   /* heading level of sections (2 unless the file says) */
    bool after_head; /* the last non-blank line was an entry head */
    bool blank;      /* the previous line was blank */
    bool in_code;    /* inside a ``` fence */
    bool in_comment; /* inside <!-- --> */
} md_reader;

/* The heading level the document uses for sections: that of its first
 * heading that names a known section. */
static int find_section_level(const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n')
            continue;
        tl__span t;
        int lvl = heading_level(mkspan(p + start, i - start), &t);
        tl_section_kind k;
        bool summary;
        if (lvl && tl__heading_kind(t, false, &k, &summary))
            return lvl;
        start = i + 1;
    }
    return 2;
}

/* An entry head in a heading: "### Title — Company (dates)". */
static tl_err md_entry_heading(md_reader *m, tl__span text)
{
    tl__entry_head h;
    tl_section_kind k = tl__lines_kind(&m->L);
    if (k == TL_SEC_SKILLS || k == TL_SEC_INTERESTS || k == TL_SEC_LANGUAGES) {
        memset(&h, 0, sizeof h);
        h.title = text;
    } else {
        tl__parse_head(text, k, &h);
    }
    m->after_head = true;
    return tl__lines_entry(&m->L, &h);
}

/* "### Acme Corp" then "**Senior Engineer** | 2020 – Present": the bold
 * line completes the head above it, whose heading named the employer. */
static bool completes_head(const md_reader *m, const tl__entry_head *h, tl_section_kind k)
{
    const tl_entry *e = tl__lines_entry_ptr(&m->L);
    if (!m->after_head || !e || !e->title || e->org || e->n_bullets ||
        tl__lines_pending(&m->L) || h->org.n)
        return false;
    tl__span was = {e->title, strlen(e->title)};
    return tl__swapped(was, h->title, k);
}

/* "**Title** — Org, 2019" in a section of entries. */
static tl_err md_bold_entry(md_reader *m, tl__span bold, tl__span rest)
{
    tl_section_kind k = tl__lines_kind(&m->L);
    tl__entry_head h;
    memset(&h, 0, sizeof h);
    tl__span title = bold;
    if (title.n && title.p[title.n - 1] == ':')
        title.n--;
    tl__take_dates(&title, &h);
    h.title = tl__span_trim(title);
    rest = tl__strip_leading_seps(rest);
    if (rest.n)
        tl__parse_org_line(rest, &h);
    if (completes_head(m, &h, k)) {
        tl_entry *e = tl__lines_entry_ptr(&m->L);
        e->org = e->title; /* both live in the resume's arena */
        e->title = NULL;
        return tl__lines_entry_more(&m->L, &h);
    }
    if (tl__swapped(h.title, h.org, k)) {
        tl__span t = h.title;
        h.title = h.org;
        h.org = t;
    }
    m->after_head = true;
    return tl__lines_entry(&m->L, &h);
}

/* "*City, ST · https://x · Jan 2022 – Present*" under an entry head. */
static tl_err md_meta(md_reader *m, tl__span inner)
{
    tl__entry_head h;
    memset(&h, 0, sizeof h);
    tl__span parts[8];
    size_t n = 0, start = 0;
    static const char dot[] = " \xc2\xb7 ";
    for (size_t i = 0; i <= inner.n && n < 8; i++) {
        bool sep = i + 4 <= inner.n && memcmp(inner.p + i, dot, 4) == 0;
        bool pipe = i + 3 <= inner.n && memcmp(inner.p + i, " | ", 3) == 0;
        if (i == inner.n || sep || pipe) {
            parts[n++] = tl__span_trim(mkspan(inner.p + start, i - start));
            start = i + (sep ? 4 : 3);
            i = start - 1;
        }
    }
    tl_entry *e = tl__lines_entry_ptr(&m->L);
    tl_err err = TL_OK;
    for (size_t i = 0; i < n && err == TL_OK; i++) {
        tl__span p = parts[i];
        if (!p.n)
            continue;
        if (tl__is_url(p) && e && !e->url)
            err = tl_resume_setn(m->L.r, &e->url, p.p, p.n);
        else if (tl__is_dates(p))
            tl__take_dates(&p, &h);
        else if (!h.location.n)
            h.location = p;
    }
    if (err != TL_OK)
        return err == TL_ETOOBIG ? tl__doc_fail(m->L.err, err, m->L.line, "line %d: too long",
                                                m->L.line)
                                 : err;
    return tl__lines_entry_more(&m->L, &h);
}

/* True when a plain line right under an entry head is its organisation
 * line ("Greenleaf Grocers · Austin, TX · Jan 2022 – Present"). */
static bool org_line_fits(const md_reader *m, tl__span s)
{
    const tl_entry *e = tl__lines_entry_ptr(&m->L);
    return m->after_head && e && !e->org && e->n_bullets == 0 && !e->summary &&
           !tl__lines_pending(&m->L) && !tl__prose(s) && !m->blank;
}

static tl_err md_plain(md_reader *m, tl__span raw, tl__span s)
{
    tl__lines *L = &m->L;
    tl_section_kind k = tl__lines_kind(L);
    tl__span bold, rest, inner;
    bool indented = raw.n && (raw.p[0] == ' ' || raw.p[0] == '\t');
    bool entries = L->sec >= 0 && !L->in_summary && entry_section(k);
    /* "**Title** — Org" opens an entry even right under a list item. */
    if (entries && !indented && bold_lead(s, &bold, &rest) &&
        (rest.n || k != TL_SEC_CERTIFICATES))
        return md_bold_entry(m, bold, rest);
    /* A wrapped list item: lazy continuation, or indented after a blank. */
    if (L->pend == TL__PEND_ITEM && (!m->blank || indented)) {
        m->after_head = false;
        return tl__lines_continue(L, s);
    }
    if (entries) {
        if (m->after_head && italic_line(s, &inner) && tl__lines_entry_ptr(L))
            return md_meta(m, inner);
        if (org_line_fits(m, s) && k != TL_SEC_EDUCATION) {
            tl__entry_head h;
            memset(&h, 0, sizeof h);
            tl__parse_org_line(s, &h);
            return tl__lines_entry_more(L, &h);
        }
        if (m->after_head && tl__is_dates(s)) {
            tl__entry_head h;
            memset(&h, 0, sizeof h);
            tl__take_dates(&s, &h);
            return tl__lines_entry_more(L, &h);
        }
    }
    m->after_head = false;
    return tl__lines_text(L, s);
}

static tl_err md_heading(md_reader *m, int level, tl__span text)
{
    tl__lines *L = &m->L;
    tl_section_kind k;
    bool summary;
    if (level == 1 && !L->r->basics.name && L->sec < 0 && !L->in_summary &&
        !tl__heading_kind(text, false, &k, &summary))
        return tl__lines_header(L, text);
    if (level <= m->sec_level) {
        m->after_head = false;
        return tl__lines_section(L, text, true);
    }
    if (L->sec < 0 && !L->in_summary) {
        if (tl__heading_kind(text, false, &k, &summary)) {
            m->after_head = false;
            return tl__lines_section(L, text, true);
        }
        return tl__lines_header(L, text);
    }
    if (L->in_summary)
        return tl__lines_text(L, text);
    return md_entry_heading(m, text);
}

/* One line of the document. */
static tl_err md_line(md_reader *m, tl__span raw)
{
    tl__lines *L = &m->L;
    tl__span s = tl__span_trim(raw), text, rest;
    if (m->in_comment) {
        const char *end = s.n >= 3 ? tl_str_ifind(s.p, s.n, "-->") : NULL;
        m->in_comment = end == NULL;
        return TL_OK;
    }
    if (sp_starts(s, "```") || sp_starts(s, "~~~")) {
        m->in_code = !m->in_code;
        return TL_OK;
    }
    if (!s.n) {
        m->blank = true;
        return tl__lines_blank(L);
    }
    tl_err err;
    if (sp_starts(s, "<!--")) {
        m->in_comment = !tl_str_ifind(s.p, s.n, "-->");
        return TL_OK;
    }
    int level = m->in_code ? 0 : heading_level(raw, &text);
    if (level) {
        err = md_heading(m, level, text);
    } else if (md_rule(s)) {
        err = tl__lines_flush(L);
    } else if (tl__bullet(raw, &rest)) {
        m->after_head = false;
        err = tl__lines_item(L, rest);
    } else if (sp_starts(s, "> ")) {
        err = md_plain(m, raw, tl__span_trim(mkspan(s.p + 2, s.n - 2)));
    } else {
        err = md_plain(m, raw, s);
    }
    m->blank = false;
    return err;
}

tl_err tl__markdown_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err)
{
    md_reader m;
    memset(&m, 0, sizeof m);
    m.sec_level = find_section_level(p, n);
    tl__lines_init(&m.L, r, err, true);
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
        n -= 3;
    }
    tl_err e = TL_OK;
    size_t start = 0;
    int line = 1;
    for (size_t i = 0; i <= n && e == TL_OK; i++) {
        if (i < n && p[i] != '\n')
            continue;
        size_t len = i - start;
        if (len && p[start + len - 1] == '\r')
            len--;
        m.L.line = line++;
        e = md_line(&m, mkspan(p + start, len));
        start = i + 1;
    }
    if (e == TL_OK)
        return tl__lines_finish(&m.L);
    tl__lines_free(&m.L);
    return e;
}

/* ======================================================================
 * Writing
 * ====================================================================== */

/* Text on one line, with what Markdown would read as markup escaped:
 * "**", "__" and backslashes before punctuation; newlines become spaces. */
static tl_err md_inline_n(tl_buf *b, const char *s, size_t n)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        char c = s[i];
        bool next_same = i + 1 < n && s[i + 1] == c;
        if (c == '\n' || c == '\r') {
            e = tl_buf_putc(b, ' ');
        } else if ((c == '*' || c == '_') && next_same) {
            e = tl_buf_printf(b, "\\%c\\%c", c, c);
            i++;
        } else if (c == '\\' && i + 1 < n &&
                   (ispunct((unsigned char)s[i + 1]) || (unsigned char)s[i + 1] >= 0xC0)) {
            e = tl_buf_puts(b, "\\\\");
        } else {
            e = tl_buf_putc(b, c);
        }
    }
    return e;
}

static tl_err md_inline(tl_buf *b, const char *s)
{
    return md_inline_n(b, s, strlen(s));
}

/* A paragraph line: also escapes a start that would read as a heading,
 * list item, quote, rule or entry line. */
static tl_err md_para_line(tl_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    tl_err e = TL_OK;
    if (i < n) {
        size_t d = 0;
        while (i + d < n && isdigit((unsigned char)s[i + d]))
            d++;
        if (d && i + d < n && (s[i + d] == '.' || s[i + d] == ')')) {
            e = tl_buf_append(b, s + i, d);
            if (e == TL_OK)
                e = tl_buf_putc(b, '\\');
            i += d;
        } else if (strchr("#->+*=_`~<", s[i]) ||
                   tl__bullet((tl__span){s + i, n - i}, &(tl__span){NULL, 0})) {
            e = tl_buf_putc(b, '\\');
        }
    }
    return e == TL_OK ? md_inline_n(b, s + i, n - i) : e;
}

/* Paragraphs: lines kept, each escaped. */
static tl_err md_paragraphs(tl_buf *b, const char *s)
{
    tl_err e = TL_OK;
    const char *p = s;
    while (e == TL_OK) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        e = md_para_line(b, p, n);
        if (e == TL_OK)
            e = tl_buf_putc(b, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return e == TL_OK ? tl_buf_putc(b, '\n') : e;
}

static tl_err md_header(tl_buf *b, const tl_resume *r)
{
    const tl_basics *bs = &r->basics;
    tl_err e = TL_OK;
    if (bs->name) {
        e = tl_buf_puts(b, "# ");
        if (e == TL_OK)
            e = md_inline(b, bs->name);
        if (e == TL_OK)
            e = tl_buf_puts(b, "\n\n");
    }
    if (e == TL_OK && bs->label) {
        e = md_para_line(b, bs->label, strlen(bs->label));
        if (e == TL_OK)
            e = tl_buf_puts(b, "\n\n");
    }
    tl_buf c;
    tl_buf_init(&c, TL_MAX_OUTPUT_BYTES);
    if (e == TL_OK)
        e = tl__put_contacts(&c, bs, " \xc2\xb7 ");
    if (e == TL_OK && c.len) {
        e = md_para_line(b, c.data, c.len);
        if (e == TL_OK)
            e = tl_buf_puts(b, "\n\n");
    }
    tl_buf_free(&c);
    if (e == TL_OK && bs->summary) {
        e = tl_buf_puts(b, "## Summary\n\n");
        if (e == TL_OK)
            e = md_paragraphs(b, bs->summary);
    }
    return e;
}

static tl_err md_bullets(tl_buf *b, const tl_entry *e)
{
    tl_err err = TL_OK;
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++) {
        err = tl_buf_puts(b, "- ");
        if (err == TL_OK)
            err = md_inline(b, e->bullets[i]);
        if (err == TL_OK)
            err = tl_buf_putc(b, '\n');
    }
    if (err == TL_OK && e->n_bullets)
        err = tl_buf_putc(b, '\n');
    return err;
}

static bool entry_has_head(const tl_section *s, const tl_entry *e)
{
    return e->title || e->org || tl__entry_has_dates(e) || e->location || e->url ||
           (s->kind == TL_SEC_EDUCATION && tl_entry_field(e, "area"));
}

/* "### Title — Org (dates)", "*Location · url*", summary, bullets. */
static tl_err md_entry(tl_buf *b, const tl_section *s, const tl_entry *e, bool first)
{
    tl_err err = TL_OK;
    if (!first || entry_has_head(s, e)) {
        tl_buf t;
        tl_buf_init(&t, TL_MAX_OUTPUT_BYTES);
        err = tl__put_title(&t, s, e);
        if (err == TL_OK && e->org)
            err = tl_buf_printf(&t, "%s%s", t.len ? " \xe2\x80\x94 " : "", e->org);
        if (err == TL_OK && tl__entry_has_dates(e)) {
            err = tl_buf_puts(&t, t.len ? " (" : "(");
            if (err == TL_OK)
                err = tl__put_dates(&t, e, " \xe2\x80\x93 ");
            if (err == TL_OK)
                err = tl_buf_putc(&t, ')');
        }
        if (err == TL_OK)
            err = tl_buf_puts(b, t.len ? "### " : "###");
        if (err == TL_OK)
            err = md_inline(b, tl_buf_str(&t));
        tl_buf_free(&t);
        if (err == TL_OK)
            err = tl_buf_putc(b, '\n');
    }
    if (err == TL_OK && (e->location || e->url)) {
        err = tl_buf_putc(b, '*');
        if (err == TL_OK && e->location)
            err = md_inline(b, e->location);
        if (err == TL_OK && e->url)
            err = tl_buf_printf(b, "%s%s", e->location ? " \xc2\xb7 " : "", e->url);
        if (err == TL_OK)
            err = tl_buf_puts(b, "*\n");
    }
    if (err == TL_OK)
        err = tl_buf_putc(b, '\n');
    if (err == TL_OK && e->summary)
        err = md_paragraphs(b, e->summary);
    return err == TL_OK ? md_bullets(b, e) : err;
}

/* "- **Name:** a, b, c" or "- a, b, c". */
static tl_err md_group(tl_buf *b, const tl_entry *e)
{
    tl_err err = tl_buf_puts(b, "- ");
    if (err == TL_OK && e->title) {
        err = tl_buf_puts(b, "**");
        if (err == TL_OK)
            err = md_inline(b, e->title);
        if (err == TL_OK)
            err = tl_buf_puts(b, ":**");
        if (err == TL_OK && e->n_bullets)
            err = tl_buf_putc(b, ' ');
    }
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++) {
        if (i)
            err = tl_buf_puts(b, ", ");
        if (err == TL_OK)
            err = md_inline(b, e->bullets[i]);
    }
    return err == TL_OK ? tl_buf_putc(b, '\n') : err;
}

static tl_err md_list_item(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    tl_buf t;
    tl_buf_init(&t, TL_MAX_OUTPUT_BYTES);
    tl_err err = tl__put_list_item(&t, s, e, " \xe2\x80\x94 ", true);
    if (err == TL_OK)
        err = tl_buf_puts(b, "- ");
    if (err == TL_OK)
        err = md_inline(b, tl_buf_str(&t));
    tl_buf_free(&t);
    return err == TL_OK ? tl_buf_putc(b, '\n') : err;
}

static tl_err md_section(tl_buf *b, const tl_section *s)
{
    tl_err err = tl_buf_puts(b, "## ");
    if (err == TL_OK)
        err = md_inline(b, s->title ? s->title : tl_section_kind_title(s->kind));
    if (err == TL_OK)
        err = tl_buf_puts(b, "\n\n");
    bool grouped = s->kind == TL_SEC_SKILLS || s->kind == TL_SEC_INTERESTS;
    bool list = grouped || tl__section_as_list(s);
    for (size_t i = 0; i < s->n_entries && err == TL_OK; i++) {
        const tl_entry *e = &s->entries[i];
        if (grouped)
            err = md_group(b, e);
        else if (list)
            err = md_list_item(b, s, e);
        else
            err = md_entry(b, s, e, i == 0);
    }
    if (err == TL_OK && list && s->n_entries)
        err = tl_buf_putc(b, '\n');
    return err;
}

tl_err tl__markdown_write(const tl_resume *r, tl_buf *b)
{
    tl_err e = md_header(b, r);
    for (size_t i = 0; i < r->n_sections && e == TL_OK; i++)
        e = md_section(b, &r->sections[i]);
    /* one trailing newline */
    while (e == TL_OK && b->len > 1 && b->data[b->len - 1] == '\n' && b->data[b->len - 2] == '\n')
        b->data[--b->len] = '\0';
    return e;
}
