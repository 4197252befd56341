/* JSON Resume (https://jsonresume.org/schema, v1.x) reader and writer.
 *
 * The reader keeps the whole parsed tree in r->raw. The writer starts from a
 * deep copy of it and overwrites only what the model knows (slots, bullets,
 * extra string fields), so a JSON -> model -> JSON round trip is equal as
 * JSON to its input, and fields the model does not know survive tailoring.
 *
 * Shape rules: a slot or bullet that is not a string (null counts as unset)
 * is refused with a message naming its path ("work[1].highlights[0]:
 * expected a string"). Other keys of an entry are free: string values
 * become extra fields, anything else stays in raw only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc/doc_int.h"
#include "util/limits.h"
#include "util/str.h"

/* Slot indices into the tables below. */
enum { SLOT_TITLE, SLOT_ORG, SLOT_SUMMARY, SLOT_DATE, SLOT_N_ };

/* Custom sections are anyone's shape: the first alias present (as a
 * string) is the slot, in the reader and in the writer alike. */
static const char *const custom_aliases[SLOT_N_][5] = {
    [SLOT_TITLE] = {"name", "title", "position", NULL},
    [SLOT_ORG] = {"organization", "company", "institution", "issuer", NULL},
    [SLOT_SUMMARY] = {"summary", "description", NULL},
    [SLOT_DATE] = {"date", NULL},
};

/* Keys every entry shares, with the model slot each fills. */
static const struct {
    const char *key;
    size_t off;
} common_slots[] = {
    {"location", offsetof(tl_entry, location)},
    {"startDate", offsetof(tl_entry, start_date)},
    {"endDate", offsetof(tl_entry, end_date)},
    {"url", offsetof(tl_entry, url)},
};

static const size_t slot_off[SLOT_N_] = {
    offsetof(tl_entry, title),
    offsetof(tl_entry, org),
    offsetof(tl_entry, summary),
    offsetof(tl_entry, date),
};

static const char *kind_slot_key(tl_section_kind k, int slot)
{
    const tl__kind_keys *kk = tl__kind_keys_of(k);
    switch (slot) {
    case SLOT_TITLE: return kk->title;
    case SLOT_ORG: return kk->org;
    case SLOT_SUMMARY: return kk->summary;
    default: return kk->date;
    }
}

/* The keys a slot may be read from, canonical first. Older JSON Resume
 * files name a work entry's employer "company". */
static const char *const *slot_aliases(tl_section_kind k, int slot, const char **one)
{
    static const char *const work_org[] = {"name", "company", NULL};
    if (k == TL_SEC_CUSTOM)
        return custom_aliases[slot];
    if (k == TL_SEC_WORK && slot == SLOT_ORG)
        return work_org;
    one[0] = kind_slot_key(k, slot);
    one[1] = NULL;
    return one;
}

/* The JSON key of a slot for an entry object obj (may be NULL): the first
 * alias that holds a string, the reader and the writer alike. */
static const char *slot_key(tl_section_kind k, int slot, const json_t *obj)
{
    const char *one[2];
    const char *const *al = slot_aliases(k, slot, one);
    /* a known kind's own key always counts (and a wrong type is refused) */
    if (!al[1] || (k != TL_SEC_CUSTOM && json_object_get(obj, al[0])))
        return al[0];
    for (size_t i = 0; al[i]; i++)
        if (json_is_string(json_object_get(obj, al[i])))
            return al[i];
    /* None holds a string: the first one that is absent, so that a
     * non-string value under an alias is never overwritten. */
    for (size_t i = 0; al[i]; i++)
        if (!json_object_get(obj, al[i]))
            return al[i];
    return NULL;
}

/* ======================================================================
 * Reading
 * ====================================================================== */

/* A path for messages ("work[1].highlights[0]"); truncation is harmless. */
static void pathf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

typedef struct reader {
    tl_resume *r;
    tl_doc_error *err;
} reader;

/* Checks nesting depth before jansson sees the text, so that a deeply
 * nested input cannot exhaust the stack. */
static tl_err check_depth(const char *p, size_t n, tl_doc_error *err)
{
    int depth = 0, line = 1;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > TL_MAX_JSON_DEPTH)
                return tl__doc_fail(err, TL_ETOOBIG, line,
                                    "line %d: JSON nests deeper than %d levels", line,
                                    TL_MAX_JSON_DEPTH);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return TL_OK;
}

static tl_err set_string(reader *rd, char **slot, const json_t *v, const char *path)
{
    if (!v || json_is_null(v))
        return TL_OK;
    if (!json_is_string(v))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: expected a string", path);
    size_t n = json_string_length(v);
    if (n > TL_MAX_FIELD_BYTES)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "%s: %zu bytes; the limit is %u", path, n,
                            TL_MAX_FIELD_BYTES);
    if (memchr(json_string_value(v), '\0', n))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: string holds a NUL character", path);
    return tl_resume_setn(rd->r, slot, json_string_value(v), n);
}

/* "City, Region, CC" from a JSON Resume location object. */
static tl_err flatten_location(const json_t *loc, tl_buf *b)
{
    static const char *const parts[] = {"address", "city", "region", "countryCode"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *s = json_string_value(json_object_get(loc, parts[i]));
        if (!s || !*s)
            continue;
        tl_err e = b->len ? tl_buf_puts(b, ", ") : TL_OK;
        if (e == TL_OK)
            e = tl_buf_puts(b, s);
        if (e != TL_OK)
            return e;
    }
    return TL_OK;
}

static tl_err read_location(reader *rd, const json_t *loc)
{
    if (!loc || json_is_null(loc) || json_is_string(loc))
        return set_string(rd, &rd->r->basics.location, loc, "basics.location");
    if (!json_is_object(loc))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "basics.location: expected an object");
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = flatten_location(loc, &b);
    if (e == TL_OK && b.len)
        e = tl_resume_setn(rd->r, &rd->r->basics.location, b.data, b.len);
    tl_buf_free(&b);
    if (e == TL_ETOOBIG)
        return tl__doc_fail(rd->err, e, 0, "basics.location: too long");
    return e;
}

static tl_err read_profiles(reader *rd, const json_t *arr)
{
    if (!arr || json_is_null(arr))
        return TL_OK;
    if (!json_is_array(arr))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "basics.profiles: expected an array");
    if (json_array_size(arr) > TL_MAX_ENTRIES)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "basics.profiles: more than %u profiles",
                            TL_MAX_ENTRIES);
    size_t i;
    const json_t *p;
    json_array_foreach(arr, i, p)
    {
        char path[64];
        if (!json_is_object(p))
            return tl__doc_fail(rd->err, TL_EFORMAT, 0, "basics.profiles[%zu]: expected an object",
                                i);
        char *v[3] = {NULL, NULL, NULL};
        static const char *const keys[3] = {"network", "username", "url"};
        for (int k = 0; k < 3; k++) {
            pathf(path, sizeof path, "basics.profiles[%zu].%s", i, keys[k]);
            tl_err e = set_string(rd, &v[k], json_object_get(p, keys[k]), path);
            if (e != TL_OK)
                return e;
        }
        tl_err e = tl_basics_add_profile(rd->r, v[0], v[1], v[2]);
        if (e != TL_OK)
            return e;
    }
    return TL_OK;
}

static tl_err read_basics(reader *rd, const json_t *b)
{
    if (!b || json_is_null(b))
        return TL_OK;
    if (!json_is_object(b))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "basics: expected an object");
    tl_basics *bs = &rd->r->basics;
    const struct {
        const char *key;
        char **slot;
    } slots[] = {
        {"name", &bs->name},   {"label", &bs->label}, {"email", &bs->email},
        {"phone", &bs->phone}, {"url", &bs->url},     {"summary", &bs->summary},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        char path[32];
        pathf(path, sizeof path, "basics.%s", slots[i].key);
        tl_err e = set_string(rd, slots[i].slot, json_object_get(b, slots[i].key), path);
        if (e != TL_OK)
            return e;
    }
    tl_err e = read_location(rd, json_object_get(b, "location"));
    if (e == TL_OK)
        e = read_profiles(rd, json_object_get(b, "profiles"));
    return e;
}

static tl_err read_bullets(reader *rd, tl_entry *e, const json_t *arr, const char *path)
{
    if (!arr || json_is_null(arr))
        return TL_OK;
    if (!json_is_array(arr))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: expected an array of strings", path);
    if (json_array_size(arr) > TL_MAX_BULLETS)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "%s: %zu items; the limit is %u", path,
                            json_array_size(arr), TL_MAX_BULLETS);
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        char ipath[160];
        pathf(ipath, sizeof ipath, "%s[%zu]", path, i);
        char *text = NULL;
        if (json_is_null(v))
            return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: expected a string", ipath);
        tl_err err = set_string(rd, &text, v, ipath);
        if (err == TL_OK)
            err = tl_entry_add_bullet(rd->r, e, text, strlen(text));
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

/* The model slot a key of an entry object fills, or NULL for a free key. */
static char **entry_key_slot(tl_entry *e, tl_section_kind k, const json_t *obj, const char *key)
{
    for (int s = 0; s < SLOT_N_; s++) {
        const char *sk = slot_key(k, s, obj);
        if (sk && strcmp(sk, key) == 0)
            return (char **)((char *)e + slot_off[s]);
    }
    for (size_t i = 0; i < sizeof common_slots / sizeof common_slots[0]; i++)
        if (strcmp(common_slots[i].key, key) == 0)
            return (char **)((char *)e + common_slots[i].off);
    return NULL;
}

static tl_err read_entry(reader *rd, tl_section *s, const json_t *obj, const char *path)
{
    if (!json_is_object(obj))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: expected an object", path);
    tl_entry *e = tl_section_add_entry(rd->r, s);
    if (!e)
        return TL_ENOMEM; /* the entry count was checked by the caller */
    const char *bk = tl_section_kind_bullet_key(s->kind);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char kpath[160];
        pathf(kpath, sizeof kpath, "%s.%s", path, key);
        tl_err err = TL_OK;
        char **slot;
        if (strcmp(key, bk) == 0)
            err = read_bullets(rd, e, v, kpath);
        else if ((slot = entry_key_slot(e, s->kind, obj, key)))
            err = set_string(rd, slot, v, kpath);
        else if (json_is_string(v)) {
            char *val = NULL;
            err = set_string(rd, &val, v, kpath);
            if (err == TL_OK)
                err = tl_entry_set_field(rd->r, e, key, val);
        }
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

/* True when a top-level value is read as a section: a known key holding an
 * array, or any other key holding a non-empty array of objects only. The
 * writer uses the same rule to find sections the model has dropped. */
static bool is_section_value(const char *key, const json_t *v)
{
    if (strcmp(key, "basics") == 0 || strcmp(key, "meta") == 0 || key[0] == '$')
        return false;
    if (tl_section_kind_from_key(key) != TL_SEC_CUSTOM)
        return true; /* shape is checked by the reader */
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) if (!json_is_object(x)) return false;
    return true;
}

/* "military_service" -> "Military Service". */
static tl_err custom_title(tl_resume *r, const char *key, char **out)
{
    tl_buf b;
    tl_buf_init(&b, 256);
    bool start = true;
    tl_err e = TL_OK;
    for (const char *p = key; *p && e == TL_OK; p++) {
        char c = *p;
        if (c == '_' || c == '-') {
            c = ' ';
        } else if (start && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        start = c == ' ';
        e = tl_buf_putc(&b, c);
    }
    if (e == TL_OK)
        e = tl_resume_set(r, out, tl_buf_str(&b));
    tl_buf_free(&b);
    return e == TL_ETOOBIG ? tl_resume_set(r, out, key) : e;
}

static tl_err read_section(reader *rd, const char *key, const json_t *v)
{
    tl_section_kind kind = tl_section_kind_from_key(key);
    if (!json_is_array(v))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0, "%s: expected an array", key);
    if (rd->r->n_sections >= TL_MAX_SECTIONS)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "more than %u sections", TL_MAX_SECTIONS);
    if (json_array_size(v) > TL_MAX_ENTRIES)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "%s: %zu entries; the limit is %u", key,
                            json_array_size(v), TL_MAX_ENTRIES);
    if (strlen(key) > 100)
        return tl__doc_fail(rd->err, TL_ETOOBIG, 0, "section key longer than 100 bytes");
    char *title = NULL;
    if (kind == TL_SEC_CUSTOM) {
        tl_err e = custom_title(rd->r, key, &title);
        if (e != TL_OK)
            return e;
    }
    tl_section *s = tl_resume_add_section(rd->r, kind, key, title);
    if (!s)
        return TL_ENOMEM;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x)
    {
        char path[160];
        pathf(path, sizeof path, "%s[%zu]", key, i);
        tl_err e = read_entry(rd, s, x, path);
        if (e != TL_OK)
            return e;
    }
    return TL_OK;
}

static tl_err read_root(reader *rd, const json_t *root)
{
    if (!json_is_object(root))
        return tl__doc_fail(rd->err, TL_EFORMAT, 0,
                            "top level: expected an object (a JSON Resume), found %s",
                            json_is_array(root) ? "an array" : "a scalar");
    tl_err e = read_basics(rd, json_object_get(root, "basics"));
    if (e != TL_OK)
        return e;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        if (!is_section_value(key, v))
            continue;
        e = read_section(rd, key, v);
        if (e != TL_OK)
            return e;
    }
    return TL_OK;
}

tl_err tl__json_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err)
{
    tl_err e = check_depth(p, n, err);
    if (e != TL_OK)
        return e;
    json_error_t jerr;
    json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tl__doc_fail(err, TL_EFORMAT, jerr.line > 0 ? jerr.line : 0,
                            "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    reader rd = {r, err};
    e = read_root(&rd, root);
    if (e != TL_OK) {
        json_decref(root);
        return e;
    }
    r->raw = root;
    r->format = TL_FORMAT_JSON;
    return TL_OK;
}

/* ======================================================================
 * Writing
 * ====================================================================== */

/* Sets obj[key] to s. A NULL s removes a string that was there (the model
 * cleared it) and leaves any other value alone (the model never had it). */
static tl_err put_str(json_t *obj, const char *key, const char *s)
{
    if (!s) {
        if (json_is_string(json_object_get(obj, key)))
            json_object_del(obj, key);
        return TL_OK;
    }
    json_t *v = json_string(s);
    if (!v)
        return tl_utf8_valid(s, strlen(s)) ? TL_ENOMEM : TL_EUTF8;
    return json_object_set_new(obj, key, v) == 0 ? TL_OK : TL_ENOMEM;
}

static tl_err put_strings(json_t *obj, const char *key, char *const *items, size_t n)
{
    if (n == 0 && !json_object_get(obj, key))
        return TL_OK;
    json_t *arr = json_array();
    if (!arr)
        return TL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_string(items[i] ? items[i] : "");
        if (!v || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            return v ? TL_ENOMEM : TL_EUTF8;
        }
    }
    return json_object_set_new(obj, key, arr) == 0 ? TL_OK : TL_ENOMEM;
}

/* "San Francisco, CA, US" -> city, region, countryCode, unless it reads
 * the same as the raw location (then that is kept as it was). A changed
 * location replaces address/city/region/countryCode and keeps the other
 * keys of the raw object (postalCode...). */
static tl_err put_location(json_t *basics, const char *s)
{
    json_t *old = json_object_get(basics, "location");
    if (!s) {
        /* Cleared: remove what the reader had turned into a location; an
         * object without address parts was never one. */
        tl_buf b;
        tl_buf_init(&b, TL_MAX_FIELD_BYTES);
        bool had = json_is_string(old) ||
                   (json_is_object(old) && flatten_location(old, &b) == TL_OK && b.len);
        tl_buf_free(&b);
        if (had)
            json_object_del(basics, "location");
        return TL_OK;
    }
    if (json_is_string(old))
        return put_str(basics, "location", s);
    if (json_is_object(old)) {
        tl_buf b;
        tl_buf_init(&b, TL_MAX_FIELD_BYTES);
        tl_err e = flatten_location(old, &b);
        bool same = e == TL_OK && strcmp(tl_buf_str(&b), s) == 0;
        tl_buf_free(&b);
        if (same)
            return TL_OK;
    }
    json_t *loc = json_is_object(old) ? json_deep_copy(old) : json_object();
    if (!loc)
        return TL_ENOMEM;
    static const char *const parts[] = {"address", "city", "region", "countryCode"};
    for (size_t i = 0; i < 4; i++)
        json_object_del(loc, parts[i]);
    /* Split on commas: the last two parts are region and country only when
     * there are three or more. */
    const char *segs[8];
    size_t lens[8], ns = 0;
    const char *p = s;
    while (ns < 8) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        const char *q = p;
        tl_str_trim(&q, &n);
        segs[ns] = q;
        lens[ns++] = n;
        if (!c)
            break;
        p = c + 1;
    }
    static const char *const by_count[4][3] = {{NULL, NULL, NULL},
                                               {"city", NULL, NULL},
                                               {"city", "region", NULL},
                                               {"city", "region", "countryCode"}};
    size_t use = ns > 3 ? 3 : ns;
    tl_err e = TL_OK;
    for (size_t i = 0; i < use && e == TL_OK; i++) {
        /* Extra leading parts stay with the city. */
        size_t from = i == 0 ? 0 : ns - use + i;
        size_t to = i == 0 ? ns - use + 1 : from + 1;
        tl_buf b;
        tl_buf_init(&b, TL_MAX_FIELD_BYTES);
        for (size_t k = from; k < to && e == TL_OK; k++) {
            if (k > from)
                e = tl_buf_puts(&b, ", ");
            if (e == TL_OK)
                e = tl_buf_append(&b, segs[k], lens[k]);
        }
        if (e == TL_OK && b.len)
            e = put_str(loc, by_count[use][i], tl_buf_str(&b));
        tl_buf_free(&b);
    }
    if (e != TL_OK) {
        json_decref(loc);
        return e;
    }
    return json_object_set_new(basics, "location", loc) == 0 ? TL_OK : TL_ENOMEM;
}

static tl_err put_profiles(json_t *basics, const tl_basics *b)
{
    const json_t *old = json_object_get(basics, "profiles");
    if (b->n_profiles == 0 && !json_is_array(old)) {
        return TL_OK;
    }
    json_t *arr = json_array();
    if (!arr)
        return TL_ENOMEM;
    tl_err e = TL_OK;
    for (size_t i = 0; i < b->n_profiles && e == TL_OK; i++) {
        const json_t *was = json_array_get(old, i);
        json_t *o = json_is_object(was) ? json_deep_copy(was) : json_object();
        if (!o) {
            e = TL_ENOMEM;
            break;
        }
        e = put_str(o, "network", b->profiles[i].network);
        if (e == TL_OK)
            e = put_str(o, "username", b->profiles[i].username);
        if (e == TL_OK)
            e = put_str(o, "url", b->profiles[i].url);
        if (json_array_append_new(arr, o) != 0 && e == TL_OK)
            e = TL_ENOMEM;
    }
    if (e == TL_OK && json_object_set(basics, "profiles", arr) != 0)
        e = TL_ENOMEM;
    json_decref(arr);
    return e;
}

static bool basics_empty(const tl_basics *b)
{
    return !b->name && !b->label && !b->email && !b->phone && !b->url && !b->location &&
           !b->summary && b->n_profiles == 0;
}

static tl_err put_basics(json_t *root, const tl_basics *b)
{
    json_t *bo = json_object_get(root, "basics");
    if (!json_is_object(bo)) {
        if (basics_empty(b))
            return TL_OK;
        bo = json_object();
        if (!bo || json_object_set_new(root, "basics", bo) != 0)
            return TL_ENOMEM;
    }
    const struct {
        const char *key;
        const char *val;
    } slots[] = {
        {"name", b->name},   {"label", b->label}, {"email", b->email},
        {"phone", b->phone}, {"url", b->url},     {"summary", b->summary},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        tl_err e = put_str(bo, slots[i].key, slots[i].val);
        if (e != TL_OK)
            return e;
    }
    tl_err e = put_location(bo, b->location);
    return e == TL_OK ? put_profiles(bo, b) : e;
}

/* True when key of obj is one the model reads into a slot or the bullets. */
static bool is_slot_key(tl_section_kind k, const json_t *obj, const char *key)
{
    if (strcmp(key, tl_section_kind_bullet_key(k)) == 0)
        return true;
    for (int s = 0; s < SLOT_N_; s++) {
        const char *sk = slot_key(k, s, obj);
        if (sk && strcmp(sk, key) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof common_slots / sizeof common_slots[0]; i++)
        if (strcmp(common_slots[i].key, key) == 0)
            return true;
    return false;
}

/* Removes string keys the model no longer has as fields. */
static void drop_cleared_fields(json_t *o, const tl_entry *e, tl_section_kind k)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(o, tmp, key, v)
    {
        if (json_is_string(v) && !is_slot_key(k, o, key) && !tl_entry_field(e, key))
            json_object_del(o, key);
    }
}

static tl_err put_entry(json_t *o, const tl_entry *e, tl_section_kind k)
{
    tl_err err = TL_OK;
    drop_cleared_fields(o, e, k);
    /* Resolve the slot keys before writing, since writing a custom alias
     * can change which alias is "first present". */
    const char *keys[SLOT_N_];
    for (int s = 0; s < SLOT_N_; s++)
        keys[s] = slot_key(k, s, o);
    for (int s = 0; s < SLOT_N_ && err == TL_OK; s++)
        if (keys[s])
            err = put_str(o, keys[s], *(char *const *)((const char *)e + slot_off[s]));
    for (size_t i = 0; i < sizeof common_slots / sizeof common_slots[0] && err == TL_OK; i++)
        err = put_str(o, common_slots[i].key,
                      *(char *const *)((const char *)e + common_slots[i].off));
    if (err == TL_OK)
        err = put_strings(o, tl_section_kind_bullet_key(k), e->bullets, e->n_bullets);
    for (size_t i = 0; i < e->n_fields && err == TL_OK; i++)
        if (!is_slot_key(k, o, e->fields[i].key))
            err = put_str(o, e->fields[i].key, e->fields[i].value);
    return err;
}

/* Writes a section as an array, each entry over its raw object (by index)
 * when there is one. An array already written under the same key in this
 * pass (two model sections sharing a key) is appended to. */
static tl_err put_section(json_t *root, const json_t *raw, const tl_section *s, json_t *done)
{
    json_t *arr = json_object_get(done, s->key);
    bool fresh = !arr;
    if (fresh) {
        arr = json_array();
        if (!arr)
            return TL_ENOMEM;
    }
    const json_t *old = json_object_get(raw, s->key);
    tl_err e = TL_OK;
    for (size_t i = 0; i < s->n_entries && e == TL_OK; i++) {
        const json_t *was = fresh ? json_array_get(old, i) : NULL;
        json_t *o = json_is_object(was) ? json_deep_copy(was) : json_object();
        if (!o) {
            e = TL_ENOMEM;
            break;
        }
        e = put_entry(o, &s->entries[i], s->kind);
        if (json_array_append_new(arr, o) != 0 && e == TL_OK)
            e = TL_ENOMEM;
    }
    if (fresh) {
        if (e == TL_OK &&
            (json_object_set(root, s->key, arr) != 0 || json_object_set(done, s->key, arr) != 0))
            e = TL_ENOMEM;
        json_decref(arr);
    }
    return e;
}

static tl_err build_json(const tl_resume *r, json_t **out)
{
    const json_t *raw = json_is_object(r->raw) ? r->raw : NULL;
    json_t *root = raw ? json_deep_copy(raw) : json_object();
    json_t *done = json_object();
    tl_err e = root && done ? TL_OK : TL_ENOMEM;
    if (e == TL_OK)
        e = put_basics(root, &r->basics);
    for (size_t i = 0; i < r->n_sections && e == TL_OK; i++)
        e = put_section(root, raw, &r->sections[i], done);
    if (e == TL_OK && raw) {
        /* Sections the model dropped go away. */
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(root, tmp, key, v)
        {
            if (!json_object_get(done, key) && is_section_value(key, v))
                json_object_del(root, key);
        }
    }
    json_decref(done);
    if (e != TL_OK) {
        json_decref(root);
        return e;
    }
    *out = root;
    return TL_OK;
}

tl_err tl_resume_to_json_value(const tl_resume *r, json_t **out)
{
    if (!r || !out)
        return TL_EINVAL;
    return build_json(r, out);
}

tl_err tl__json_write(const tl_resume *r, tl_buf *b)
{
    json_t *root = NULL;
    tl_err e = build_json(r, &root);
    if (e != TL_OK)
        return e;
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s)
        return TL_ENOMEM;
    e = tl_buf_puts(b, s);
    if (e == TL_OK)
        e = tl_buf_putc(b, '\n');
    free(s);
    return e;
}
