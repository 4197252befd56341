/* The resume document model: lifecycle, building, finding, ids, and the
 * format dispatch of tl_resume_parse / tl_resume_write. The readers and
 * writers live in json_resume.c, markdown.c, text.c and html.c. */
#include "doc/resume.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc/doc_int.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

/* ---- formats ---- */

const char *tl_format_name(tl_format f)
{
    switch (f) {
    case TL_FORMAT_AUTO: return "auto";
    case TL_FORMAT_JSON: return "json";
    case TL_FORMAT_MARKDOWN: return "markdown";
    case TL_FORMAT_TEXT: return "text";
    case TL_FORMAT_HTML: return "html";
    }
    return "auto";
}

tl_err tl_format_parse(const char *s, tl_format *out)
{
    static const struct {
        const char *name;
        tl_format f;
    } names[] = {
        {"auto", TL_FORMAT_AUTO},     {"json", TL_FORMAT_JSON}, {"md", TL_FORMAT_MARKDOWN},
        {"markdown", TL_FORMAT_MARKDOWN}, {"txt", TL_FORMAT_TEXT}, {"text", TL_FORMAT_TEXT},
        {"html", TL_FORMAT_HTML},
    };
    if (!s || !out)
        return TL_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (tl_str_ieq(s, names[i].name)) {
            *out = names[i].f;
            return TL_OK;
        }
    }
    return TL_EINVAL;
}

/* ---- section kinds ---- */

static const struct {
    const char *key;
    const char *title;
    const char *bullet_key;
    tl__kind_keys slots;
} kinds[TL_SEC_COUNT_] = {
    /* Slot keys that JSON Resume does not define for a kind fall back to
     * "organization", "summary" and "date", so nothing the model holds is
     * lost when it is written as JSON. */
    [TL_SEC_WORK] = {"work", "Experience", "highlights", {"position", "name", "summary", "date"}},
    [TL_SEC_VOLUNTEER] = {"volunteer", "Volunteer", "highlights",
                          {"position", "organization", "summary", "date"}},
    [TL_SEC_EDUCATION] = {"education", "Education", "courses",
                          {"studyType", "institution", "summary", "date"}},
    [TL_SEC_AWARDS] = {"awards", "Awards", "highlights", {"title", "awarder", "summary", "date"}},
    [TL_SEC_CERTIFICATES] = {"certificates", "Certifications", "highlights",
                             {"name", "issuer", "summary", "date"}},
    [TL_SEC_PUBLICATIONS] = {"publications", "Publications", "highlights",
                             {"name", "publisher", "summary", "releaseDate"}},
    [TL_SEC_SKILLS] = {"skills", "Skills", "keywords", {"name", "organization", "summary", "date"}},
    [TL_SEC_LANGUAGES] = {"languages", "Languages", "highlights",
                          {"language", "organization", "summary", "date"}},
    [TL_SEC_INTERESTS] = {"interests", "Interests", "keywords",
                          {"name", "organization", "summary", "date"}},
    [TL_SEC_REFERENCES] = {"references", "References", "highlights",
                           {"name", "organization", "reference", "date"}},
    [TL_SEC_PROJECTS] = {"projects", "Projects", "highlights",
                         {"name", "entity", "description", "date"}},
    [TL_SEC_CUSTOM] = {"custom", "Other", "highlights",
                       {"name", "organization", "summary", "date"}},
};

static bool kind_ok(tl_section_kind k)
{
    return (unsigned)k < TL_SEC_COUNT_;
}

const char *tl_section_kind_key(tl_section_kind k)
{
    return kind_ok(k) ? kinds[k].key : "custom";
}

const char *tl_section_kind_title(tl_section_kind k)
{
    return kind_ok(k) ? kinds[k].title : "Other";
}

const char *tl_section_kind_bullet_key(tl_section_kind k)
{
    return kind_ok(k) ? kinds[k].bullet_key : "highlights";
}

tl_section_kind tl_section_kind_from_key(const char *key)
{
    if (!key)
        return TL_SEC_CUSTOM;
    for (int k = 0; k < TL_SEC_CUSTOM; k++)
        if (strcmp(kinds[k].key, key) == 0)
            return (tl_section_kind)k;
    return TL_SEC_CUSTOM;
}

const tl__kind_keys *tl__kind_keys_of(tl_section_kind k)
{
    return &kinds[kind_ok(k) ? k : TL_SEC_CUSTOM].slots;
}

tl_err tl__doc_fail(tl_doc_error *err, tl_err code, int line, const char *fmt, ...)
{
    if (err) {
        err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- lifecycle ---- */

tl_resume *tl_resume_new(void)
{
    tl_resume *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->arena = tl_arena_create();
    if (!r->arena) {
        free(r);
        return NULL;
    }
    r->format = TL_FORMAT_TEXT;
    return r;
}

void tl_resume_free(tl_resume *r)
{
    if (!r)
        return;
    if (r->raw)
        json_decref(r->raw);
    tl_arena_destroy(r->arena);
    free(r);
}

/* Copies a string into dst's arena; *ok turns false when memory runs out. */
static char *dup_into(tl_resume *dst, const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *p = tl_arena_strdup(dst->arena, s);
    if (!p)
        *ok = false;
    return p;
}

static bool clone_entry(tl_resume *dst, tl_entry *to, const tl_entry *from)
{
    bool ok = true;
    to->title = dup_into(dst, from->title, &ok);
    to->org = dup_into(dst, from->org, &ok);
    to->location = dup_into(dst, from->location, &ok);
    to->start_date = dup_into(dst, from->start_date, &ok);
    to->end_date = dup_into(dst, from->end_date, &ok);
    to->date = dup_into(dst, from->date, &ok);
    to->summary = dup_into(dst, from->summary, &ok);
    to->url = dup_into(dst, from->url, &ok);
    for (size_t i = 0; ok && i < from->n_bullets; i++)
        ok = tl_entry_add_bullet(dst, to, from->bullets[i], strlen(from->bullets[i])) == TL_OK;
    for (size_t i = 0; ok && i < from->n_fields; i++)
        ok = tl_entry_set_field(dst, to, from->fields[i].key, from->fields[i].value) == TL_OK;
    return ok;
}

static bool clone_basics(tl_resume *dst, const tl_basics *b)
{
    bool ok = true;
    tl_basics *d = &dst->basics;
    d->name = dup_into(dst, b->name, &ok);
    d->label = dup_into(dst, b->label, &ok);
    d->email = dup_into(dst, b->email, &ok);
    d->phone = dup_into(dst, b->phone, &ok);
    d->url = dup_into(dst, b->url, &ok);
    d->location = dup_into(dst, b->location, &ok);
    d->summary = dup_into(dst, b->summary, &ok);
    for (size_t i = 0; ok && i < b->n_profiles; i++)
        ok = tl_basics_add_profile(dst, b->profiles[i].network, b->profiles[i].username,
                                   b->profiles[i].url) == TL_OK;
    return ok;
}

tl_err tl_resume_clone(const tl_resume *r, tl_resume **out)
{
    if (!r || !out)
        return TL_EINVAL;
    tl_resume *c = tl_resume_new();
    if (!c)
        return TL_ENOMEM;
    c->format = r->format;
    if (!clone_basics(c, &r->basics))
        goto fail;
    for (size_t i = 0; i < r->n_sections; i++) {
        const tl_section *s = &r->sections[i];
        tl_section *d = tl_resume_add_section(c, s->kind, s->key, s->title);
        if (!d)
            goto fail;
        for (size_t j = 0; j < s->n_entries; j++) {
            tl_entry *e = tl_section_add_entry(c, d);
            if (!e || !clone_entry(c, e, &s->entries[j]))
                goto fail;
        }
    }
    if (r->raw) {
        c->raw = json_deep_copy(r->raw);
        if (!c->raw)
            goto fail;
    }
    *out = c;
    return TL_OK;
fail:
    tl_resume_free(c);
    return TL_ENOMEM;
}

/* ---- building ---- */

tl_err tl_resume_setn(tl_resume *r, char **slot, const char *value, size_t n)
{
    if (!r || !slot)
        return TL_EINVAL;
    if (!value) {
        *slot = NULL;
        return TL_OK;
    }
    if (n > TL_MAX_FIELD_BYTES)
        return TL_ETOOBIG;
    char *p = tl_arena_strndup(r->arena, value, n);
    if (!p)
        return TL_ENOMEM;
    *slot = p;
    return TL_OK;
}

tl_err tl_resume_set(tl_resume *r, char **slot, const char *value)
{
    return tl_resume_setn(r, slot, value, value ? strlen(value) : 0);
}

tl_section *tl_resume_add_section(tl_resume *r, tl_section_kind kind, const char *key,
                                  const char *title)
{
    if (!r || !kind_ok(kind) || r->n_sections >= TL_MAX_SECTIONS)
        return NULL;
    char *k = tl_arena_strdup(r->arena, key ? key : kinds[kind].key);
    char *t = tl_arena_strdup(r->arena, title ? title : kinds[kind].title);
    if (!k || !t)
        return NULL;
    tl_section *s = tl_arena_push(r->arena, &r->sections, &r->n_sections, &r->cap_sections,
                                  sizeof *s);
    if (!s)
        return NULL;
    s->kind = kind;
    s->key = k;
    s->title = t;
    return s;
}

tl_entry *tl_section_add_entry(tl_resume *r, tl_section *s)
{
    if (!r || !s || s->n_entries >= TL_MAX_ENTRIES)
        return NULL;
    return tl_arena_push(r->arena, &s->entries, &s->n_entries, &s->cap_entries,
                         sizeof(tl_entry));
}

tl_err tl_entry_add_bullet(tl_resume *r, tl_entry *e, const char *text, size_t n)
{
    if (!r || !e || !text)
        return TL_EINVAL;
    if (e->n_bullets >= TL_MAX_BULLETS || n > TL_MAX_FIELD_BYTES)
        return TL_ETOOBIG;
    char *copy = tl_arena_strndup(r->arena, text, n);
    if (!copy)
        return TL_ENOMEM;
    char **slot = tl_arena_push(r->arena, &e->bullets, &e->n_bullets, &e->cap_bullets,
                                sizeof(char *));
    if (!slot)
        return TL_ENOMEM;
    *slot = copy;
    return TL_OK;
}

static tl_field *find_field(const tl_entry *e, const char *key)
{
    for (size_t i = 0; i < e->n_fields; i++)
        if (strcmp(e->fields[i].key, key) == 0)
            return &e->fields[i];
    return NULL;
}

tl_err tl_entry_set_field(tl_resume *r, tl_entry *e, const char *key, const char *value)
{
    if (!r || !e || !key)
        return TL_EINVAL;
    if (value && strlen(value) > TL_MAX_FIELD_BYTES)
        return TL_ETOOBIG;
    tl_field *f = find_field(e, key);
    if (f)
        return tl_resume_set(r, &f->value, value);
    /* Bounded like bullets: an entry is not a dumping ground. */
    if (e->n_fields >= TL_MAX_BULLETS)
        return TL_ETOOBIG;
    char *k = tl_arena_strdup(r->arena, key);
    char *v = value ? tl_arena_strdup(r->arena, value) : NULL;
    if (!k || (value && !v))
        return TL_ENOMEM;
    f = tl_arena_push(r->arena, &e->fields, &e->n_fields, &e->cap_fields, sizeof *f);
    if (!f)
        return TL_ENOMEM;
    f->key = k;
    f->value = v;
    return TL_OK;
}

const char *tl_entry_field(const tl_entry *e, const char *key)
{
    if (!e || !key)
        return NULL;
    const tl_field *f = find_field(e, key);
    return f ? f->value : NULL;
}

tl_err tl_basics_add_profile(tl_resume *r, const char *network, const char *username,
                             const char *url)
{
    if (!r)
        return TL_EINVAL;
    if (r->basics.n_profiles >= TL_MAX_ENTRIES)
        return TL_ETOOBIG;
    bool ok = true;
    char *n = dup_into(r, network, &ok);
    char *u = dup_into(r, username, &ok);
    char *l = dup_into(r, url, &ok);
    if (!ok)
        return TL_ENOMEM;
    tl_profile *p = tl_arena_push(r->arena, &r->basics.profiles, &r->basics.n_profiles,
                                  &r->basics.cap_profiles, sizeof *p);
    if (!p)
        return TL_ENOMEM;
    p->network = n;
    p->username = u;
    p->url = l;
    return TL_OK;
}

/* ---- finding ---- */

tl_section *tl_resume_find_section(const tl_resume *r, tl_section_kind kind)
{
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->n_sections; i++)
        if (r->sections[i].kind == kind)
            return &r->sections[i];
    return NULL;
}

int tl_resume_section_index(const tl_resume *r, const char *key)
{
    if (!r || !key)
        return -1;
    for (size_t i = 0; i < r->n_sections; i++)
        if (strcmp(r->sections[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* The basics slot named by key ("summary", "name", ...), or NULL. */
static char **basics_slot(tl_basics *b, const char *key)
{
    static const struct {
        const char *key;
        size_t off;
    } slots[] = {
        {"name", offsetof(tl_basics, name)},         {"label", offsetof(tl_basics, label)},
        {"email", offsetof(tl_basics, email)},       {"phone", offsetof(tl_basics, phone)},
        {"url", offsetof(tl_basics, url)},           {"location", offsetof(tl_basics, location)},
        {"summary", offsetof(tl_basics, summary)},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        if (strcmp(slots[i].key, key) == 0)
            return (char **)((char *)b + slots[i].off);
    return NULL;
}

/* The entry slot a scalar key names for a section kind: the kind's JSON
 * Resume names first, then the names every entry shares, then the model's
 * own slot names, then an extra field. */
static char **entry_slot(tl_entry *e, tl_section_kind kind, const char *key)
{
    const tl__kind_keys *kk = tl__kind_keys_of(kind);
    if (strcmp(key, kk->title) == 0)
        return &e->title;
    if (strcmp(key, kk->org) == 0)
        return &e->org;
    if (strcmp(key, kk->summary) == 0)
        return &e->summary;
    if (strcmp(key, kk->date) == 0)
        return &e->date;
    static const struct {
        const char *key;
        size_t off;
    } common[] = {
        {"location", offsetof(tl_entry, location)}, {"startDate", offsetof(tl_entry, start_date)},
        {"endDate", offsetof(tl_entry, end_date)},  {"url", offsetof(tl_entry, url)},
        {"title", offsetof(tl_entry, title)},       {"org", offsetof(tl_entry, org)},
        {"summary", offsetof(tl_entry, summary)},   {"date", offsetof(tl_entry, date)},
    };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
        if (strcmp(common[i].key, key) == 0)
            return (char **)((char *)e + common[i].off);
    tl_field *f = find_field(e, key);
    return f ? &f->value : NULL;
}

/* Parses "[<digits>]" at *p; advances past it. */
static bool parse_index(const char **p, size_t *out)
{
    const char *s = *p;
    if (*s != '[')
        return false;
    s++;
    if (*s < '0' || *s > '9')
        return false;
    size_t v = 0;
    while (*s >= '0' && *s <= '9') {
        if (v > 1000000)
            return false;
        v = v * 10 + (size_t)(*s - '0');
        s++;
    }
    if (*s != ']')
        return false;
    *p = s + 1;
    *out = v;
    return true;
}

/* The string slot of "<entry-id>.<rest>" where rest is a scalar key or
 * "<bullet-key>[i]". */
static char **entry_rest_slot(tl_section *s, tl_entry *e, const char *rest)
{
    const char *bk = tl_section_kind_bullet_key(s->kind);
    size_t bl = strlen(bk);
    if (strncmp(rest, bk, bl) == 0 && rest[bl] == '[') {
        const char *q = rest + bl;
        size_t i;
        if (!parse_index(&q, &i) || *q || i >= e->n_bullets)
            return NULL;
        return &e->bullets[i];
    }
    if (strchr(rest, '[') || strchr(rest, '.'))
        return NULL;
    return entry_slot(e, s->kind, rest);
}

char **tl_resume_slot(tl_resume *r, const char *id)
{
    if (!r || !id)
        return NULL;
    if (strncmp(id, "basics.", 7) == 0)
        return basics_slot(&r->basics, id + 7);
    /* Section keys may hold any character (JSON keys do), so match whole
     * keys rather than splitting the id at its first '['. The first section
     * with a key wins, as in tl_resume_section_index. */
    for (size_t i = 0; i < r->n_sections; i++) {
        tl_section *s = &r->sections[i];
        size_t kl = strlen(s->key);
        if (strncmp(id, s->key, kl) != 0 || id[kl] != '[' ||
            tl_resume_section_index(r, s->key) != (int)i)
            continue;
        const char *q = id + kl;
        size_t ei;
        if (!parse_index(&q, &ei) || ei >= s->n_entries || *q != '.')
            continue;
        char **slot = entry_rest_slot(s, &s->entries[ei], q + 1);
        if (slot)
            return slot;
    }
    return NULL;
}

int tl_resume_entry_id(const tl_resume *r, size_t section, size_t entry, int bullet, char *out,
                       size_t cap)
{
    if (!r || section >= r->n_sections) {
        if (out && cap)
            out[0] = '\0';
        return -1;
    }
    const tl_section *s = &r->sections[section];
    if (bullet < 0)
        return snprintf(out, cap, "%s[%zu]", s->key, entry);
    return snprintf(out, cap, "%s[%zu].%s[%d]", s->key, entry,
                    tl_section_kind_bullet_key(s->kind), bullet);
}

size_t tl_resume_bullet_count(const tl_resume *r)
{
    if (!r)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < r->n_sections; i++)
        for (size_t j = 0; j < r->sections[i].n_entries; j++)
            n += r->sections[i].entries[j].n_bullets;
    return n;
}

/* ---- reading and writing ---- */

/* Skips a UTF-8 byte order mark and leading whitespace. */
static size_t skip_space(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* A line that opens a Markdown heading ("# ", "## "...) or a bold entry. */
static bool markdown_line(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && p[i] == ' ')
        i++;
    if (i < n && p[i] == '#') {
        size_t h = 0;
        while (i < n && p[i] == '#' && h < 7) {
            i++;
            h++;
        }
        return h <= 6 && i < n && p[i] == ' ';
    }
    if (n - i > 4 && p[i] == '*' && p[i + 1] == '*') {
        /* "**Title** ..." with a closing pair on the same line */
        for (size_t j = i + 3; j + 1 < n; j++)
            if (p[j] == '*' && p[j + 1] == '*')
                return true;
    }
    return false;
}

tl_format tl_resume_detect(const char *p, size_t n)
{
    if (!p)
        return TL_FORMAT_TEXT;
    size_t i = skip_space(p, n);
    if (i < n && p[i] == '{')
        return TL_FORMAT_JSON;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        if (markdown_line(p + i, end - i))
            return TL_FORMAT_MARKDOWN;
        i = end + 1;
    }
    return TL_FORMAT_TEXT;
}

bool tl__resume_is_empty(const tl_resume *r)
{
    const tl_basics *b = &r->basics;
    for (size_t i = 0; i < r->n_sections; i++)
        if (r->sections[i].n_entries > 0)
            return false;
    if (b->summary || b->email || b->phone || b->url || b->n_profiles)
        return false;
    /* In JSON a name is a name; in free text any first line would be one,
     * so there it takes more than a name to make a resume. */
    return r->format == TL_FORMAT_JSON ? b->name == NULL : true;
}

/* Rejects input that is binary or not UTF-8, naming the line. */
static tl_err check_text(const char *p, size_t n, tl_doc_error *err)
{
    int line = 1;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n')
            continue;
        if (memchr(p + start, '\0', i - start))
            return tl__doc_fail(err, TL_EFORMAT, line,
                                "line %d: NUL byte: this looks like a binary file, not a resume",
                                line);
        if (!tl_utf8_valid(p + start, i - start))
            return tl__doc_fail(err, TL_EUTF8, line, "line %d: text is not valid UTF-8", line);
        line++;
        start = i + 1;
    }
    /* Control bytes other than tab, CR, LF, FF mean binary garbage. */
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f')
            ctl++;
    }
    if (ctl > 0 && ctl * 50 >= n)
        return tl__doc_fail(err, TL_EFORMAT, 0,
                            "control bytes: this looks like a binary file, not a resume");
    return TL_OK;
}

static tl_err read_format(tl_resume *r, tl_format fmt, const char *p, size_t n,
                          tl_doc_error *err)
{
    switch (fmt) {
    case TL_FORMAT_JSON: return tl__json_read(r, p, n, err);
    case TL_FORMAT_MARKDOWN: return tl__markdown_read(r, p, n, err);
    case TL_FORMAT_TEXT: return tl__text_read(r, p, n, err);
    default: return tl__doc_fail(err, TL_EINVAL, 0, "%s is not a readable format",
                                 tl_format_name(fmt));
    }
}

tl_err tl_resume_parse(const char *p, size_t n, tl_format fmt, tl_resume **out, tl_doc_error *err)
{
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    if (!out || (!p && n))
        return tl__doc_fail(err, TL_EINVAL, 0, "invalid arguments");
    if (n == 0 || skip_space(p, n) == n)
        return tl__doc_fail(err, TL_EEMPTY, 0, "empty file");
    if (n > TL_MAX_RESUME_BYTES)
        return tl__doc_fail(err, TL_ETOOBIG, 0, "resume is %zu bytes; the limit is %u bytes", n,
                            TL_MAX_RESUME_BYTES);
    tl_err e = check_text(p, n, err);
    if (e != TL_OK)
        return e;
    if (fmt == TL_FORMAT_AUTO)
        fmt = tl_resume_detect(p, n);
    tl_resume *r = tl_resume_new();
    if (!r)
        return tl__doc_fail(err, TL_ENOMEM, 0, "out of memory");
    r->format = fmt;
    e = read_format(r, fmt, p, n, err);
    if (e == TL_OK && tl__resume_is_empty(r))
        e = tl__doc_fail(err, TL_EEMPTY, 0, "no recognisable resume sections");
    if (e != TL_OK) {
        if (e == TL_ENOMEM && err && !err->message[0])
            tl__doc_fail(err, TL_ENOMEM, 0, "out of memory");
        tl_resume_free(r);
        return e;
    }
    *out = r;
    return TL_OK;
}

tl_err tl_resume_write(const tl_resume *r, tl_format fmt, char **out, size_t *len)
{
    if (!r || !out)
        return TL_EINVAL;
    if (fmt == TL_FORMAT_AUTO)
        fmt = r->format == TL_FORMAT_AUTO ? TL_FORMAT_TEXT : r->format;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_OUTPUT_BYTES);
    tl_err e;
    switch (fmt) {
    case TL_FORMAT_JSON: e = tl__json_write(r, &b); break;
    case TL_FORMAT_MARKDOWN: e = tl__markdown_write(r, &b); break;
    case TL_FORMAT_TEXT: e = tl__text_write(r, &b); break;
    case TL_FORMAT_HTML: e = tl__html_write(r, &b); break;
    default: e = TL_EINVAL; break;
    }
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    return e;
}
