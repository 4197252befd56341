#include "tailor/change.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

tl_err tl_strength_parse(const char *s, tl_strength *out)
{
    if (!s || !out)
        return TL_EINVAL;
    static const struct {
        const char *name, *digit;
        tl_strength value;
    } names[] = {{"CONSERVATIVE", "1", TL_STRENGTH_CONSERVATIVE},
                 {"BALANCED", "2", TL_STRENGTH_BALANCED},
                 {"EXTENSIVE", "3", TL_STRENGTH_EXTENSIVE}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (tl_str_ieq(s, names[i].name) || strcmp(s, names[i].digit) == 0) {
            *out = names[i].value;
            return TL_OK;
        }
    }
    return TL_EINVAL;
}

const char *tl_strength_name(tl_strength s)
{
    switch (s) {
    case TL_STRENGTH_CONSERVATIVE: return "CONSERVATIVE";
    case TL_STRENGTH_BALANCED: return "BALANCED";
    case TL_STRENGTH_EXTENSIVE: return "EXTENSIVE";
    }
    return "BALANCED";
}

const char *tl_change_kind_name(tl_change_kind k)
{
    switch (k) {
    case TL_CHANGE_TERM: return "term";
    case TL_CHANGE_REORDER: return "reorder";
    case TL_CHANGE_REWRITE: return "rewrite";
    case TL_CHANGE_SUMMARY: return "summary";
    case TL_CHANGE_TENSE: return "tense";
    case TL_CHANGE_STYLE: return "style";
    case TL_CHANGE_REPEATED: return "repeated";
    }
    return "unknown";
}

tl_changes *tl_changes_new(void)
{
    tl_changes *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->arena = tl_arena_create();
    if (!c->arena) {
        free(c);
        return NULL;
    }
    return c;
}

void tl_changes_free(tl_changes *c)
{
    if (!c)
        return;
    tl_arena_destroy(c->arena);
    free(c);
}

/* Copies s into the list's arena; *ok turns false when that fails. */
static char *copy(tl_changes *c, const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *p = tl_arena_strdup(c->arena, s);
    if (!p)
        *ok = 0;
    return p;
}

/* Appends one change whose reason is already formatted. The list is left as
 * it was on failure (strings already copied stay in the arena, unused). */
static tl_err add_formatted(tl_changes *c, tl_change_kind kind, const char *id, const char *before,
                            const char *after, const char *reason)
{
    int ok = 1;
    char *cid = copy(c, id ? id : "", &ok);
    char *cb = copy(c, before, &ok);
    char *ca = copy(c, after, &ok);
    char *cr = copy(c, reason, &ok);
    if (!ok)
        return TL_ENOMEM;
    tl_change *ch = tl_arena_push(c->arena, &c->items, &c->n, &c->cap, sizeof *ch);
    if (!ch)
        return TL_ENOMEM;
    ch->kind = kind;
    ch->id = cid;
    ch->before = cb;
    ch->after = ca;
    ch->reason = cr;
    return TL_OK;
}

tl_err tl_changes_add(tl_changes *c, tl_change_kind kind, const char *id, const char *before,
                      const char *after, const char *reason_fmt, ...)
{
    if (!c)
        return TL_EINVAL;
    char reason[512];
    reason[0] = '\0';
    if (reason_fmt) {
        va_list ap;
        va_start(ap, reason_fmt);
        vsnprintf(reason, sizeof reason, reason_fmt, ap);
        va_end(ap);
    }
    return add_formatted(c, kind, id, before, after, reason_fmt ? reason : NULL);
}

tl_err tl_changes_extend(tl_changes *c, const tl_changes *src)
{
    if (!c || !src)
        return TL_EINVAL;
    size_t n = src->n; /* c may be src: copy what was there at the start */
    for (size_t i = 0; i < n; i++) {
        const tl_change *s = &src->items[i];
        tl_err e = add_formatted(c, s->kind, s->id, s->before, s->after, s->reason);
        if (e)
            return e;
    }
    return TL_OK;
}
