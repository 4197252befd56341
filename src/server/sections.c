#include "server/sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Is item (item[0..n)) the whole of prefix, or prefix followed by '.' or
 * '['? ("work[0]" covers "work[0].highlights[2]", not "work[01]".) */
static bool covers(const char *item, size_t n, const char *id)
{
    return strncmp(item, id, n) == 0 && (id[n] == '\0' || id[n] == '.' || id[n] == '[');
}

/* Is id covered by an item of list, or does an item cover a part of id's
 * top-level section only up to the key (basics.summary selects basics)? */
static bool selected(const char *list, const char *id, bool key_from_sub)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            if (covers(p, n, id))
                return true;
            /* "basics.summary" selects the key "basics" (not "work[0]" the key "work"). */
            size_t k = strlen(id);
            if (key_from_sub && n > k && strncmp(p, id, k) == 0 && p[k] == '.')
                return true;
        }
        p += n + (p[n] == ',');
    }
    return false;
}

bool tl__section_selected(const char *list, const char *id)
{
    char key[128];
    size_t k = strcspn(id, "[.");
    snprintf(key, sizeof key, "%.*s", (int)k, id);
    if (selected(list, key, true))
        return true;
    /* an entry: "work[1]" of "work[1].highlights[0]" */
    if (id[k] == '[') {
        const char *close = strchr(id + k, ']');
        if (close) {
            char entry[128];
            snprintf(entry, sizeof entry, "%.*s", (int)(close + 1 - id), id);
            return selected(list, entry, false);
        }
    }
    return false;
}

static json_t *resume_json(const tl_resume *r)
{
    char *text = NULL;
    size_t len = 0;
    if (tl_resume_write(r, TL_FORMAT_JSON, &text, &len) != TL_OK)
        return NULL;
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    return doc;
}

/* Puts back, in tailored, what list does not select. */
static tl_err restore(json_t *tailored, json_t *orig, const char *list)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(tailored, tmp, key, v)
    {
        if (tl__section_selected(list, key))
            continue;
        json_t *o = json_object_get(orig, key);
        if (json_is_array(v) && json_is_array(o) && json_array_size(v) == json_array_size(o)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                char id[160];
                snprintf(id, sizeof id, "%s[%zu]", key, i);
                if (!tl__section_selected(list, id) &&
                    json_array_set(v, i, json_array_get(o, i)) != 0)
                    return TL_ENOMEM;
            }
        } else if (o) {
            if (json_object_set(tailored, key, o) != 0)
                return TL_ENOMEM;
        } else {
            json_object_del(tailored, key);
        }
    }
    return TL_OK;
}

tl_err tl__keep_sections(tl_result *res, const tl_resume *original, const tl_job *jd,
                         const tl_terms *terms, const char *list)
{
    json_t *t = resume_json(res->tailored);
    json_t *o = resume_json(original);
    tl_err e = t && o ? restore(t, o, list) : TL_ENOMEM;
    char *text = e == TL_OK ? json_dumps(t, JSON_COMPACT) : NULL;
    json_decref(t);
    json_decref(o);
    if (e == TL_OK && !text)
        e = TL_ENOMEM;
    tl_resume *kept = NULL;
    if (e == TL_OK)
        e = tl_resume_parse(text, strlen(text), TL_FORMAT_JSON, &kept, NULL);
    free(text);
    tl_score *after = NULL;
    if (e == TL_OK) {
        kept->format = res->tailored->format;
        e = tl_score_compute(kept, jd, terms, &after);
    }
    if (e) {
        tl_resume_free(kept);
        return e;
    }
    tl_resume_free(res->tailored);
    res->tailored = kept;
    tl_score_free(res->after);
    res->after = after;
    /* The changes of what was put back go; their strings stay in the arena. */
    size_t w = 0;
    for (size_t i = 0; i < res->changes->n; i++)
        if (tl__section_selected(list, res->changes->items[i].id))
            res->changes->items[w++] = res->changes->items[i];
    res->changes->n = w;
    return TL_OK;
}
