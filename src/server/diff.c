#include "server/diff.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Counters of the whole diff. */
typedef struct totals {
    int sections_changed, entries_added, entries_removed, entries_moved, fields_changed;
    int bullets_added, bullets_removed, bullets_changed, bullets_moved;
} totals;

static const char *const bullet_keys[] = {"highlights", "keywords", "courses"};
static const char *const identity_keys[] = {
    "name",     "position", "company", "institution", "organization", "studyType", "area",
    "language", "title",    "issuer",  "awarder",     "publisher",    "entity",    "network"};
enum { N_IDENTITY = sizeof identity_keys / sizeof identity_keys[0] };

static bool same_string(json_t *a, json_t *b)
{
    const char *x = json_string_value(a), *y = json_string_value(b);
    if (!x || !y)
        return x == y;
    return strcmp(x, y) == 0;
}

/* ---- bullets ---- */

/* Share of the words of the shorter text found in the longer one (ASCII
 * word characters, case-insensitive), 0..1. */
static double overlap(const char *a, const char *b)
{
    int words = 0, found = 0;
    const char *p = strlen(a) <= strlen(b) ? a : b;
    const char *hay = p == a ? b : a;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && isalnum((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - s);
        if (n < 3)
            continue;
        words++;
        for (const char *h = hay; *h; h++) {
            if (strncasecmp(h, s, n) == 0) {
                found++;
                break;
            }
        }
    }
    return words ? (double)found / words : 0;
}

static void add_bullet(json_t *list, const char *status, json_t *before, json_t *after, int from,
                       int to)
{
    json_t *b = json_pack("{ss}", "status", status);
    if (!b)
        return;
    if (before) {
        json_object_set(b, "before", before);
        json_object_set_new(b, "from", json_integer(from));
    }
    if (after) {
        json_object_set(b, "after", after);
        json_object_set_new(b, "to", json_integer(to));
    }
    json_array_append_new(list, b);
}

/* Pairs the bullets of a and b; appends the differences to out. */
static void diff_bullets(json_t *a, json_t *b, json_t *out, totals *t)
{
    size_t na = json_array_size(a), nb = json_array_size(b);
    int *pair_of_b = malloc((nb + 1) * sizeof *pair_of_b); /* index in a, or -1 */
    bool *used_a = calloc(na + 1, sizeof *used_a);
    if (!pair_of_b || !used_a)
        goto out;
    for (size_t j = 0; j < nb; j++) {
        pair_of_b[j] = -1;
        for (size_t i = 0; i < na && pair_of_b[j] < 0; i++)
            if (!used_a[i] && same_string(json_array_get(a, i), json_array_get(b, j))) {
                pair_of_b[j] = (int)i;
                used_a[i] = true;
            }
    }
    for (size_t j = 0; j < nb; j++) {
        if (pair_of_b[j] >= 0)
            continue;
        const char *tb = json_string_value(json_array_get(b, j));
        double best = 0.5;
        for (size_t i = 0; i < na && tb; i++) {
            const char *ta = json_string_value(json_array_get(a, i));
            double o = used_a[i] || !ta ? 0 : overlap(ta, tb);
            if (o >= best) {
                best = o;
                pair_of_b[j] = (int)i;
            }
        }
        if (pair_of_b[j] >= 0) {
            used_a[pair_of_b[j]] = true;
            add_bullet(out, "changed", json_array_get(a, (size_t)pair_of_b[j]),
                       json_array_get(b, j), pair_of_b[j], (int)j);
            t->bullets_changed++;
        } else {
            add_bullet(out, "added", NULL, json_array_get(b, j), 0, (int)j);
            t->bullets_added++;
        }
    }
    for (size_t j = 0; j < nb; j++) {
        int i = pair_of_b[j];
        if (i >= 0 && (size_t)i != j &&
            same_string(json_array_get(a, (size_t)i), json_array_get(b, j))) {
            add_bullet(out, "moved", json_array_get(a, (size_t)i), json_array_get(b, j), i, (int)j);
            t->bullets_moved++;
        }
    }
    for (size_t i = 0; i < na; i++)
        if (!used_a[i]) {
            add_bullet(out, "removed", json_array_get(a, i), NULL, (int)i, 0);
            t->bullets_removed++;
        }
out:
    free(pair_of_b);
    free(used_a);
}

/* ---- fields and entries ---- */

/* The string fields that differ between objects a and b (either may be
 * missing a field). */
static json_t *diff_fields(json_t *a, json_t *b, totals *t)
{
    json_t *out = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(b, key, v)
    {
        json_t *old = json_object_get(a, key);
        if (json_is_string(v) && !same_string(old, v)) {
            json_array_append_new(out, json_pack("{ss sO* sO}", "field", key, "before",
                                                 json_is_string(old) ? old : NULL, "after", v));
            t->fields_changed++;
        }
    }
    json_object_foreach(a, key, v)
    {
        if (json_is_string(v) && !json_object_get(b, key)) {
            json_array_append_new(out,
                                  json_pack("{ss sO s:n}", "field", key, "before", v, "after"));
            t->fields_changed++;
        }
    }
    return out;
}

static bool same_identity(json_t *a, json_t *b)
{
    bool any = false;
    for (int k = 0; k < N_IDENTITY; k++) {
        json_t *x = json_object_get(a, identity_keys[k]), *y = json_object_get(b, identity_keys[k]);
        if (!x && !y)
            continue;
        if (!same_string(x, y))
            return false;
        any = true;
    }
    return any;
}

static const char *entry_title(json_t *e)
{
    for (int k = 0; k < N_IDENTITY; k++) {
        const char *s = json_string_value(json_object_get(e, identity_keys[k]));
        if (s)
            return s;
    }
    return NULL;
}

/* The difference of one pair of entries, or NULL when they are equal and
 * in the same place. */
static json_t *diff_entry(json_t *a, json_t *b, int from, int to, totals *t)
{
    json_t *fields = diff_fields(a, b, t);
    json_t *bullets = json_array();
    for (size_t i = 0; i < sizeof bullet_keys / sizeof bullet_keys[0]; i++)
        diff_bullets(json_object_get(a, bullet_keys[i]), json_object_get(b, bullet_keys[i]),
                     bullets, t);
    bool moved = from != to;
    if (!moved && json_array_size(fields) == 0 && json_array_size(bullets) == 0) {
        json_decref(fields);
        json_decref(bullets);
        return NULL;
    }
    if (moved)
        t->entries_moved++;
    const char *status = json_array_size(fields) || json_array_size(bullets) ? "changed" : "moved";
    return json_pack("{si si s:s? ss so so}", "index", to, "before_index", from, "title",
                     entry_title(b), "status", status, "fields", fields, "bullets", bullets);
}

static json_t *whole_entry(json_t *e, const char *status, int index)
{
    return json_pack("{si s:s? ss sO}", "index", index, "title", entry_title(e), "status", status,
                     strcmp(status, "added") == 0 ? "after" : "before", e);
}

/* Pairs the entries of two sections; returns the list of differences. */
static json_t *diff_entries(json_t *a, json_t *b, totals *t)
{
    json_t *out = json_array();
    size_t na = json_array_size(a), nb = json_array_size(b);
    int *pair = malloc((nb + 1) * sizeof *pair);
    bool *used = calloc(na + 1, sizeof *used);
    if (!out || !pair || !used)
        goto done;
    for (size_t j = 0; j < nb; j++) {
        pair[j] = -1;
        for (size_t i = 0; i < na && pair[j] < 0; i++)
            if (!used[i] && same_identity(json_array_get(a, i), json_array_get(b, j))) {
                pair[j] = (int)i;
                used[i] = true;
            }
    }
    /* What identity did not pair, pair in order of appearance. */
    size_t next = 0;
    for (size_t j = 0; j < nb; j++) {
        while (pair[j] < 0 && next < na) {
            if (!used[next]) {
                pair[j] = (int)next;
                used[next] = true;
            }
            next++;
        }
        json_t *d = pair[j] < 0 ? whole_entry(json_array_get(b, j), "added", (int)j)
                                : diff_entry(json_array_get(a, (size_t)pair[j]),
                                             json_array_get(b, j), pair[j], (int)j, t);
        if (pair[j] < 0)
            t->entries_added++;
        if (d)
            json_array_append_new(out, d);
    }
    for (size_t i = 0; i < na; i++)
        if (!used[i]) {
            json_array_append_new(out, whole_entry(json_array_get(a, i), "removed", (int)i));
            t->entries_removed++;
        }
done:
    free(pair);
    free(used);
    return out;
}

/* ---- sections ---- */

static void add_section(json_t *list, const char *key, json_t *a, json_t *b, totals *t)
{
    const char *status;
    json_t *d = json_pack("{ss}", "key", key);
    if (!d)
        return;
    if (!a || !b) {
        status = a ? "removed" : "added";
    } else if (strcmp(key, "basics") == 0) {
        json_t *f = diff_fields(a, b, t);
        status = json_array_size(f) ? "changed" : "unchanged";
        json_object_set_new(d, "fields", f);
    } else {
        json_t *e = diff_entries(a, b, t);
        status = json_array_size(e) ? "changed" : "unchanged";
        json_object_set_new(d, "entries", e);
    }
    if (strcmp(status, "unchanged") != 0)
        t->sections_changed++;
    json_object_set_new(d, "status", json_string(status));
    json_array_append_new(list, d);
}

static bool is_section(const char *key, json_t *v)
{
    return json_is_array(v) || (strcmp(key, "basics") == 0 && json_is_object(v));
}

json_t *tl_resume_diff(json_t *before, json_t *after)
{
    totals t = {0};
    json_t *sections = json_array();
    if (!sections)
        return NULL;
    const char *key;
    json_t *v;
    json_object_foreach(after, key, v)
    {
        if (is_section(key, v))
            add_section(sections, key, json_object_get(before, key), v, &t);
    }
    json_object_foreach(before, key, v)
    {
        if (is_section(key, v) && !json_object_get(after, key))
            add_section(sections, key, v, NULL, &t);
    }
    return json_pack("{so s{si si si si si si si si si}}", "sections", sections, "summary",
                     "sections_changed", t.sections_changed, "entries_added", t.entries_added,
                     "entries_removed", t.entries_removed, "entries_moved", t.entries_moved,
                     "fields_changed", t.fields_changed, "bullets_added", t.bullets_added,
                     "bullets_removed", t.bullets_removed, "bullets_changed", t.bullets_changed,
                     "bullets_moved", t.bullets_moved);
}
