/* Cover letters from templates and the resume's own content (see
 * cover_letter.h). Sentences are made one at a time and each is checked by
 * the fact guard before it goes in; what the guard refuses is left out. */
#include "tailor/cover_letter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tailor/guard.h"
#include "tailor/match.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

tl_err tl_letter_tone_parse(const char *s, tl_letter_tone *out)
{
    if (!s || !out)
        return TL_EINVAL;
    if (tl_str_ieq(s, "formal")) {
        *out = TL_TONE_FORMAL;
        return TL_OK;
    }
    if (tl_str_ieq(s, "warm")) {
        *out = TL_TONE_WARM;
        return TL_OK;
    }
    return TL_EINVAL;
}

const char *tl_letter_tone_name(tl_letter_tone t)
{
    return t == TL_TONE_WARM ? "warm" : "formal";
}

void tl_cover_letter_free(tl_cover_letter *l)
{
    if (!l)
        return;
    tl_arena_destroy(l->arena);
    free(l);
}

/* ---- what the letter is built from ---- */

typedef struct point {
    int kw;            /* job keyword index */
    const char *text;  /* the bullet */
    const char *where; /* its entry's organisation or title */
} point;

typedef struct writer {
    const tl_resume *r;
    const tl_job *j;
    const tl_guard *guard;
    const tl_matcher *m;
    tl_letter_tone tone;
    const char *role;    /* in the arena */
    const char *company; /* in the arena, or NULL */
    tl_cover_letter *out;
    bool *covered; /* job keywords the resume mentions */
    size_t n_kw;
} writer;

static bool add_para(writer *w, const char *text)
{
    char *c = tl_arena_strdup(w->out->arena, text);
    if (!c)
        return false;
    char **slot = tl_arena_push(w->out->arena, &w->out->paragraphs, &w->out->n_paragraphs,
                                &w->out->cap_paragraphs, sizeof *slot);
    if (!slot)
        return false;
    *slot = c;
    return true;
}

/* Replaces every occurrence of what (case-insensitive) in b with with. */
static tl_err mask(tl_buf *b, const char *what, const char *with)
{
    if (!what || !*what)
        return TL_OK;
    size_t wn = strlen(what);
    tl_buf o;
    tl_buf_init(&o, b->max);
    tl_err e = TL_OK;
    const char *s = tl_buf_str(b);
    size_t n = b->len, i = 0;
    while (i < n && e == TL_OK) {
        const char *f = tl_str_ifind(s + i, n - i, what);
        size_t k = f ? (size_t)(f - s) : n;
        e = tl_buf_append(&o, s + i, k - i);
        if (e == TL_OK && f)
            e = tl_buf_puts(&o, with);
        i = f ? k + wn : n;
    }
    if (e == TL_OK) {
        tl_buf_reset(b);
        e = tl_buf_append(b, tl_buf_str(&o), o.len);
    }
    tl_buf_free(&o);
    return e;
}

size_t tl_letter_role_head(const char *role)
{
    size_t n = role ? strcspn(role, ",") : 0;
    const char *dash = role ? strstr(role, " - ") : NULL;
    if (dash && (size_t)(dash - role) < n)
        n = (size_t)(dash - role);
    return n;
}

/* TL_OK when g accepts text with role and company, which the letter
 * addresses rather than claims, set aside. */
static tl_err check_masked(const tl_guard *g, const char *role, const char *company,
                           const char *text, tl_guard_finding *f)
{
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES * 2);
    tl_err e = tl_buf_puts(&b, text);
    if (e == TL_OK)
        e = mask(&b, role, "the role");
    /* a letter may name the role by its head alone */
    size_t head = tl_letter_role_head(role);
    if (e == TL_OK && role && head > 0 && head < strlen(role)) {
        char h[256];
        snprintf(h, sizeof h, "%.*s", (int)head, role);
        e = mask(&b, h, "the role");
    }
    if (e == TL_OK && company)
        e = mask(&b, company, "the company");
    /* the pronoun "I" states nothing, but reads as a capitalised name */
    for (size_t i = 0; e == TL_OK && i < b.len; i++)
        if (b.data[i] == 'I' && (i == 0 || !tl_is_word_byte((unsigned char)b.data[i - 1])) &&
            (i + 1 == b.len || !tl_is_word_byte((unsigned char)b.data[i + 1])))
            b.data[i] = 'i';
    if (e == TL_OK)
        e = tl_guard_check_text(g, tl_buf_str(&b), b.len, f);
    tl_buf_free(&b);
    return e;
}

static bool guard_ok(const writer *w, const char *text)
{
    return check_masked(w->guard, w->role, w->company, text, NULL) == TL_OK;
}

tl_err tl_cover_letter_check(const tl_cover_letter *l, const tl_guard *g, const char *text,
                             tl_guard_finding *f)
{
    if (!l || !g || !text)
        return TL_EINVAL;
    return check_masked(g, l->role, l->company, text, f);
}

/* Appends sentence s (with a space before it when b has text) when the
 * guard accepts it. */
static tl_err sentence(const writer *w, tl_buf *b, const char *s)
{
    if (!guard_ok(w, s))
        return TL_OK;
    tl_err e = b->len ? tl_buf_putc(b, ' ') : TL_OK;
    return e == TL_OK ? tl_buf_puts(b, s) : e;
}

static const char *article(const char *word)
{
    char c = (char)tolower((unsigned char)(word ? word[0] : 'x'));
    return strchr("aeio", c) ? "an" : "a";
}

/* The role as a person would say it: the job's title without a trailing
 * "(Full Time, Nights)" and without "- Team" after a long title. */
static char *clean_role(tl_arena *a, const char *title)
{
    if (!title || !*title)
        return tl_arena_strdup(a, "advertised");
    const char *p = title;
    size_t n = strlen(p);
    tl_str_trim(&p, &n);
    const char *paren = memchr(p, '(', n);
    if (paren && paren > p + 3)
        n = (size_t)(paren - p);
    if (n > 100)
        n = 100;
    while (n && (p[n - 1] == ' ' || p[n - 1] == ',' || p[n - 1] == '-'))
        n--;
    /* do not end inside a UTF-8 sequence */
    while (n && ((unsigned char)p[n - 1] & 0xC0) == 0x80)
        n--;
    if (n && (unsigned char)p[n - 1] >= 0xC0)
        n--;
    return tl_arena_strndup(a, p, n ? n : strlen(p));
}

/* The first work entry (newest first, as resumes are written). */
static const tl_entry *latest_role(const tl_resume *r)
{
    const tl_section *s = tl_resume_find_section(r, TL_SEC_WORK);
    for (size_t i = 0; s && i < s->n_entries; i++)
        if (s->entries[i].title && s->entries[i].org)
            return &s->entries[i];
    return NULL;
}

static tl_err opening(writer *w)
{
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    char s[768];
    const char *co = w->company;
    /* the first opening the guard accepts (template words can be skills:
     * "writing" is one in some fields); the last one always goes in */
    tl_err e = TL_OK;
    for (int k = 0; k < 3 && e == TL_OK && b.len == 0; k++) {
        if (k == 0 && w->tone == TL_TONE_WARM)
            snprintf(s, sizeof s,
                     "I was glad to see that %s is looking for %s %s, and I would "
                     "love to join your team.",
                     co ? co : "your team", article(w->role), w->role);
        else if (k == 0)
            snprintf(s, sizeof s, "I am applying for the %s position%s%s.", w->role,
                     co ? " at " : "", co ? co : "");
        else
            snprintf(s, sizeof s, "Please consider me for the %s position%s%s.", w->role,
                     co ? " at " : "", co ? co : "");
        e = k < 2 ? sentence(w, &b, s) : tl_buf_puts(&b, s);
    }
    const tl_entry *last = latest_role(w->r);
    if (e == TL_OK && last) {
        bool now = tl_entry_is_current(last);
        snprintf(s, sizeof s, "%s %s %s at %s.",
                 now ? "I currently work as" : "Most recently, I worked as", article(last->title),
                 last->title, last->org);
        e = sentence(w, &b, s);
    } else if (e == TL_OK && w->r->basics.label) {
        snprintf(s, sizeof s, "I bring my experience as %s %s.", article(w->r->basics.label),
                 w->r->basics.label);
        e = sentence(w, &b, s);
    }
    if (e == TL_OK && !add_para(w, tl_buf_str(&b)))
        e = TL_ENOMEM;
    tl_buf_free(&b);
    return e;
}

/* Collects the bullets of the sections that hold achievements. */
typedef struct cand {
    const char *text;
    const char *where;
    tl_text_match tm;
    bool used;
} cand;

static tl_err candidates(const writer *w, cand **out, size_t *n)
{
    size_t count = 0;
    for (size_t i = 0; i < w->r->n_sections; i++) {
        const tl_section *s = &w->r->sections[i];
        if (s->kind != TL_SEC_WORK && s->kind != TL_SEC_PROJECTS && s->kind != TL_SEC_VOLUNTEER &&
            s->kind != TL_SEC_CUSTOM)
            continue;
        for (size_t k = 0; k < s->n_entries; k++)
            count += s->entries[k].n_bullets;
    }
    if (count > 512)
        count = 512;
    cand *c = count ? calloc(count, sizeof *c) : NULL;
    if (count && !c)
        return TL_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < w->r->n_sections && m < count; i++) {
        const tl_section *s = &w->r->sections[i];
        if (s->kind != TL_SEC_WORK && s->kind != TL_SEC_PROJECTS && s->kind != TL_SEC_VOLUNTEER &&
            s->kind != TL_SEC_CUSTOM)
            continue;
        for (size_t k = 0; k < s->n_entries && m < count; k++) {
            const tl_entry *e = &s->entries[k];
            const char *where = e->org ? e->org : e->title;
            for (size_t b = 0; b < e->n_bullets && m < count; b++) {
                c[m].text = e->bullets[b];
                c[m].where = where;
                tl_matcher_match(w->m, c[m].text, strlen(c[m].text), &c[m].tm);
                m++;
            }
        }
    }
    *out = c;
    *n = m;
    return TL_OK;
}

static bool mentions(const cand *c, int kw)
{
    for (size_t i = 0; i < c->tm.n_kw; i++)
        if (c->tm.kw[i] == kw)
            return true;
    return false;
}

/* "Build weekly forecasts." -> "I build weekly forecasts"; a bullet that
 * does not open with a verb is quoted after a colon. */
static tl_err clause(tl_buf *b, const char *where, const char *text)
{
    const char *p = text;
    size_t n = strlen(p);
    tl_str_trim(&p, &n);
    while (n && (p[n - 1] == '.' || p[n - 1] == ';' || p[n - 1] == ','))
        n--;
    size_t wl = 0;
    while (wl < n && isalpha((unsigned char)p[wl]))
        wl++;
    bool verb = wl > 1 && tl_verb_find(p, wl, NULL) >= 0;
    tl_err e;
    if (where)
        e = tl_buf_printf(b, "At %s, ", where);
    else
        e = TL_OK;
    if (e == TL_OK && verb) {
        bool lower = n > 1 && islower((unsigned char)p[1]);
        e = tl_buf_printf(b, "I %c", lower ? (char)tolower((unsigned char)p[0]) : p[0]);
        if (e == TL_OK)
            e = tl_buf_append(b, p + 1, n - 1);
    } else if (e == TL_OK) {
        if (!where)
            e = tl_buf_puts(b, "One result I am proud of: ");
        else
            e = tl_buf_puts(b, "one result I am proud of: ");
        if (e == TL_OK)
            e = tl_buf_append(b, p, n);
    }
    return e == TL_OK ? tl_buf_putc(b, '.') : e;
}

static const char *kw_name(const writer *w, int kw)
{
    /* the canonical term: the job's own spelling may be a sentence's
     * capitalised opening ("Educate patients") */
    const tl_keyword *k = &w->j->keywords[kw];
    return k->term && *k->term ? k->term : k->surface;
}

/* A term inside a sentence: "Distributed systems" -> "distributed
 * systems" (a phrase capitalised only as a list item would be); names
 * ("Apache Kafka", "Power BI", "Terraform") keep their capitals. */
static bool lower_in(const char *text, const char *t)
{
    /* t with a lowercase first letter, as a whole word of text */
    size_t n = strlen(t);
    if (!text || n < 2 || n > 60)
        return false;
    char low[64];
    memcpy(low, t, n + 1);
    low[0] = (char)tolower((unsigned char)low[0]);
    for (const char *p = strstr(text, low); p; p = strstr(p + 1, low)) {
        bool before = p == text || !tl_is_word_byte((unsigned char)p[-1]);
        bool after = !tl_is_word_byte((unsigned char)p[n]);
        if (before && after)
            return true;
    }
    return false;
}

static tl_err put_term(tl_buf *b, const char *t, const char *job_text)
{
    const char *sp = strchr(t, ' ');
    bool phrase = isupper((unsigned char)t[0]) && islower((unsigned char)t[1]) &&
                  (sp || lower_in(job_text, t));
    for (const char *p = sp; phrase && p && *p; p++)
        if (isupper((unsigned char)*p))
            phrase = false;
    if (!phrase)
        return tl_buf_puts(b, t);
    tl_err e = tl_buf_putc(b, (char)tolower((unsigned char)t[0]));
    return e == TL_OK ? tl_buf_puts(b, t + 1) : e;
}

static tl_err list_words(tl_buf *b, const char *const *items, size_t n, const char *job_text)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        e = tl_buf_puts(b, i == 0 ? "" : (i + 1 == n ? " and " : ", "));
        if (e == TL_OK)
            e = put_term(b, items[i], job_text);
    }
    return e;
}

static bool add_keyword(writer *w, int kw)
{
    char *c = tl_arena_strdup(w->out->arena, w->j->keywords[kw].term);
    char **slot = c ? tl_arena_push(w->out->arena, &w->out->keywords, &w->out->n_keywords,
                                    &w->out->cap_keywords, sizeof *slot)
                    : NULL;
    if (!slot)
        return false;
    *slot = c;
    return true;
}

/* Keeps point p (its requirement as name, spelled as the letter writes
 * it) for the provider prompt. */
static tl_err add_point(writer *w, const point *p, const char *name)
{
    tl_arena *a = w->out->arena;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = put_term(&b, name, w->j->text);
    tl_letter_point *slot = e == TL_OK ? tl_arena_push(a, &w->out->points, &w->out->n_points,
                                                       &w->out->cap_points, sizeof *slot)
                                       : NULL;
    if (slot) {
        slot->keyword = tl_arena_strdup(a, w->j->keywords[p->kw].term);
        slot->requirement = tl_arena_strdup(a, tl_buf_str(&b));
        slot->achievement = tl_arena_strdup(a, p->text);
        slot->where = p->where ? tl_arena_strdup(a, p->where) : NULL;
        if (!slot->keyword || !slot->requirement || !slot->achievement ||
            (p->where && !slot->where))
            e = TL_ENOMEM;
    } else if (e == TL_OK) {
        e = TL_ENOMEM;
    }
    tl_buf_free(&b);
    return e;
}

/* The achievements paragraph: the heaviest keywords the resume covers,
 * each tied to its most relevant bullet. */
static tl_err achievements(writer *w, int max_points, bool *cited)
{
    cand *c = NULL;
    size_t nc = 0;
    tl_err e = candidates(w, &c, &nc);
    if (e != TL_OK)
        return e;
    point pts[TL_LETTER_MAX_POINTS * 2];
    size_t np = 0;
    for (size_t k = 0; k < w->n_kw && np < (size_t)max_points; k++) {
        if (cited[k])
            continue;
        long best = -1;
        for (size_t i = 0; i < nc; i++)
            if (!c[i].used && mentions(&c[i], (int)k) &&
                (best < 0 || c[i].tm.relevance > c[best].tm.relevance))
                best = (long)i;
        if (best < 0)
            continue;
        /* the sentence must pass the guard on its own */
        tl_buf s;
        tl_buf_init(&s, TL_MAX_FIELD_BYTES);
        e = clause(&s, c[best].where, c[best].text);
        bool ok = e == TL_OK && guard_ok(w, tl_buf_str(&s));
        tl_buf_free(&s);
        if (e != TL_OK)
            break;
        c[best].used = true;
        if (!ok)
            continue;
        pts[np].kw = (int)k;
        pts[np].text = c[best].text;
        pts[np].where = c[best].where;
        np++;
        /* everything that bullet mentions is cited by it */
        for (size_t i = 0; i < c[best].tm.n_kw; i++)
            if (c[best].tm.kw[i] >= 0 && (size_t)c[best].tm.kw[i] < w->n_kw)
                cited[c[best].tm.kw[i]] = true;
    }
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES * 2);
    if (e == TL_OK && np) {
        const char *names[TL_LETTER_MAX_POINTS * 2];
        for (size_t i = 0; i < np; i++) {
            names[i] = kw_name(w, pts[i].kw);
            if (!add_keyword(w, pts[i].kw))
                e = TL_ENOMEM;
            if (e == TL_OK)
                e = add_point(w, &pts[i], names[i]);
        }
        tl_buf head;
        tl_buf_init(&head, TL_MAX_FIELD_BYTES);
        if (e == TL_OK)
            e = tl_buf_puts(&head, w->tone == TL_TONE_WARM
                                       ? "What drew me to this role is how closely it matches "
                                         "work I already do: "
                                       : "Your posting asks for ");
        if (e == TL_OK)
            e = list_words(&head, names, np, w->j->text);
        if (e == TL_OK)
            e = tl_buf_puts(&head,
                            w->tone == TL_TONE_WARM ? "." : ", and my experience covers each.");
        if (e == TL_OK)
            e = sentence(w, &b, tl_buf_str(&head));
        tl_buf_free(&head);
        const char *prev_where = NULL;
        int same_run = 0;
        for (size_t i = 0; i < np && e == TL_OK; i++) {
            tl_buf s;
            tl_buf_init(&s, TL_MAX_FIELD_BYTES);
            bool same = prev_where && pts[i].where && strcmp(prev_where, pts[i].where) == 0;
            if (same) {
                /* "There, I ...", then "I also ..." */
                e = tl_buf_puts(&s, same_run++ == 0 ? "There, " : "");
                if (e == TL_OK)
                    e = clause(&s, NULL, pts[i].text);
                if (e == TL_OK && same_run == 1 && s.len > 7 && s.data[7] == 'O')
                    s.data[7] = 'o';
                if (e == TL_OK && same_run > 1 && s.len > 2 && memcmp(s.data, "I ", 2) == 0) {
                    tl_buf t2;
                    tl_buf_init(&t2, TL_MAX_FIELD_BYTES);
                    e = tl_buf_printf(&t2, "I also %s", s.data + 2);
                    if (e == TL_OK) {
                        tl_buf_reset(&s);
                        e = tl_buf_append(&s, t2.data, t2.len);
                    }
                    tl_buf_free(&t2);
                }
            } else {
                same_run = 0;
                e = clause(&s, pts[i].where, pts[i].text);
            }
            if (e == TL_OK)
                e = sentence(w, &b, tl_buf_str(&s));
            tl_buf_free(&s);
            prev_where = pts[i].where;
        }
    } else if (e == TL_OK) {
        /* nothing matches: the first achievements of the latest role */
        for (size_t i = 0; i < nc && i < 2 && e == TL_OK; i++) {
            tl_buf s;
            tl_buf_init(&s, TL_MAX_FIELD_BYTES);
            e = clause(&s, i == 0 ? c[i].where : NULL, c[i].text);
            if (e == TL_OK)
                e = sentence(w, &b, tl_buf_str(&s));
            tl_buf_free(&s);
        }
    }
    if (e == TL_OK && b.len && !add_para(w, tl_buf_str(&b)))
        e = TL_ENOMEM;
    tl_buf_free(&b);
    free(c);
    return e;
}

static bool mark_covered(void *ud, const tl_text_ref *ref)
{
    writer *w = ud;
    tl_text_match tm;
    tl_matcher_match(w->m, ref->text, strlen(ref->text), &tm);
    for (size_t i = 0; i < tm.n_kw; i++)
        if (tm.kw[i] >= 0 && (size_t)tm.kw[i] < w->n_kw)
            w->covered[tm.kw[i]] = true;
    return true;
}

/* A few more of the job's keywords that the resume mentions. */
static tl_err more_skills(writer *w, const bool *cited)
{
    const char *names[5];
    size_t n = 0;
    for (size_t k = 0; k < w->n_kw && n < 5; k++)
        if (w->covered[k] && !cited[k] && w->j->keywords[k].term_id >= 0 &&
            !tl_str_ifind(w->role, strlen(w->role), w->j->keywords[k].term)) {
            tl_buf probe;
            tl_buf_init(&probe, 512);
            bool ok = tl_buf_printf(&probe, "I also bring experience with %s.",
                                    kw_name(w, (int)k)) == TL_OK &&
                      guard_ok(w, tl_buf_str(&probe));
            tl_buf_free(&probe);
            if (ok)
                names[n++] = kw_name(w, (int)k);
        }
    if (n < 2)
        return TL_OK;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e =
        tl_buf_puts(&b, w->tone == TL_TONE_WARM ? "I would also bring hands-on experience with "
                                                : "I also bring experience with ");
    if (e == TL_OK)
        e = list_words(&b, names, n, w->j->text);
    if (e == TL_OK)
        e = tl_buf_puts(&b, w->tone == TL_TONE_WARM ? ", all of which your team works with."
                                                    : ", which your description also lists.");
    bool ok = e == TL_OK && guard_ok(w, tl_buf_str(&b));
    if (ok && !add_para(w, tl_buf_str(&b)))
        e = TL_ENOMEM;
    for (size_t i = 0; ok && e == TL_OK && i < n; i++) {
        /* as the letter writes it: "distributed systems" */
        tl_buf t;
        tl_buf_init(&t, TL_MAX_FIELD_BYTES);
        e = put_term(&t, names[i], w->j->text);
        char *c = e == TL_OK ? tl_arena_strdup(w->out->arena, tl_buf_str(&t)) : NULL;
        tl_buf_free(&t);
        char **slot = c ? tl_arena_push(w->out->arena, &w->out->skills, &w->out->n_skills,
                                        &w->out->cap_skills, sizeof *slot)
                        : NULL;
        if (!slot)
            e = TL_ENOMEM;
        else
            *slot = c;
    }
    tl_buf_free(&b);
    return e;
}

static tl_err closing(writer *w)
{
    char s[768];
    const char *who = w->company ? w->company : "your team";
    if (w->tone == TL_TONE_WARM)
        snprintf(s, sizeof s,
                 "I would be glad to talk about how I could help %s. Thank you for "
                 "reading, and I hope to hear from you.",
                 who);
    else
        snprintf(s, sizeof s,
                 "I would welcome the opportunity to discuss how my experience fits "
                 "the needs of %s. Thank you for your time and consideration.",
                 who);
    if (!add_para(w, s))
        return TL_ENOMEM;
    const char *name = w->r->basics.name ? w->r->basics.name : "";
    snprintf(s, sizeof s, "%s\n%s", w->tone == TL_TONE_WARM ? "Warm regards," : "Sincerely,", name);
    return add_para(w, s) ? TL_OK : TL_ENOMEM;
}

static tl_err header(writer *w)
{
    const tl_basics *bs = &w->r->basics;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = TL_OK;
    if (bs->name)
        e = tl_buf_puts(&b, bs->name);
    const char *parts[3] = {bs->location, bs->email, bs->phone};
    bool first = true;
    for (size_t i = 0; i < 3 && e == TL_OK; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        e = tl_buf_printf(&b, "%s%s", first ? (b.len ? "\n" : "") : " | ", parts[i]);
        first = false;
    }
    if (e == TL_OK && b.len && !add_para(w, tl_buf_str(&b)))
        e = TL_ENOMEM;
    tl_buf_reset(&b);
    if (e == TL_OK) {
        if (w->tone == TL_TONE_WARM && w->company)
            e = tl_buf_printf(&b, "Hello %s team,", w->company);
        else
            e = tl_buf_puts(&b, w->tone == TL_TONE_WARM ? "Hello," : "Dear Hiring Manager,");
    }
    if (e == TL_OK && !add_para(w, tl_buf_str(&b)))
        e = TL_ENOMEM;
    w->out->n_head = w->out->n_paragraphs;
    tl_buf_free(&b);
    return e;
}

static int count_words(const tl_cover_letter *l)
{
    int words = 0;
    for (size_t i = 0; i < l->n_paragraphs; i++) {
        bool in = false;
        for (const char *p = l->paragraphs[i]; *p; p++) {
            bool sp = isspace((unsigned char)*p);
            if (!sp && !in)
                words++;
            in = !sp;
        }
    }
    return words;
}

static tl_err build(writer *w, int max_points)
{
    w->out->n_paragraphs = 0;
    w->out->n_keywords = 0;
    w->out->n_points = 0;
    w->out->n_skills = 0;
    bool *cited = calloc(w->n_kw ? w->n_kw : 1, sizeof *cited);
    if (!cited)
        return TL_ENOMEM;
    tl_err e = header(w);
    if (e == TL_OK)
        e = opening(w);
    if (e == TL_OK)
        e = achievements(w, max_points, cited);
    if (e == TL_OK && max_points > 1)
        e = more_skills(w, cited);
    if (e == TL_OK)
        e = closing(w);
    free(cited);
    return e;
}

tl_err tl_cover_letter_write(const tl_resume *r, const tl_job *j, const tl_terms *t,
                             const tl_cover_letter_opts *o, tl_cover_letter **out)
{
    if (!r || !j || !t || !out)
        return TL_EINVAL;
    int max_points = o && o->max_points > 0 ? o->max_points : TL_LETTER_MAX_POINTS;
    if (max_points > TL_LETTER_MAX_POINTS * 2)
        max_points = TL_LETTER_MAX_POINTS * 2;
    tl_cover_letter *l = calloc(1, sizeof *l);
    if (!l)
        return TL_ENOMEM;
    writer w;
    memset(&w, 0, sizeof w);
    tl_guard *g = NULL;
    tl_matcher *m = NULL;
    tl_err e = TL_ENOMEM;
    l->arena = tl_arena_create();
    if (!l->arena)
        goto fail;
    w.r = r;
    w.j = j;
    w.tone = o ? o->tone : TL_TONE_FORMAL;
    w.out = l;
    w.n_kw = j->n_keywords;
    l->role = clean_role(l->arena, j->title);
    l->provider = tl_arena_strdup(l->arena, "local");
    if (!l->role || !l->provider)
        goto fail;
    if (j->company && *j->company) {
        l->company = tl_arena_strdup(l->arena, j->company);
        if (!l->company)
            goto fail;
    }
    w.role = l->role;
    w.company = l->company;
    if ((e = tl_guard_create(r, j, t, &g)) != TL_OK)
        goto fail;
    if ((e = tl_matcher_create(j, t, &m)) != TL_OK)
        goto fail;
    w.guard = g;
    w.m = m;
    w.covered = calloc(w.n_kw ? w.n_kw : 1, sizeof *w.covered);
    e = TL_ENOMEM;
    if (!w.covered)
        goto fail;
    tl_resume_texts(r, mark_covered, &w);
    /* fewer achievements until the letter fits on a page */
    for (int pts = max_points; pts >= 1; pts--) {
        e = build(&w, pts);
        if (e != TL_OK)
            goto fail;
        l->words = count_words(l);
        if (l->words <= TL_LETTER_MAX_WORDS)
            break;
    }
    free(w.covered);
    tl_matcher_free(m);
    tl_guard_free(g);
    *out = l;
    return TL_OK;
fail:
    free(w.covered);
    tl_matcher_free(m);
    tl_guard_free(g);
    tl_cover_letter_free(l);
    return e;
}

static bool copy_para(tl_cover_letter *l, const char *text)
{
    char *c = tl_arena_strdup(l->arena, text);
    char **slot = c ? tl_arena_push(l->arena, &l->paragraphs, &l->n_paragraphs, &l->cap_paragraphs,
                                    sizeof *slot)
                    : NULL;
    if (slot)
        *slot = c;
    return slot != NULL;
}

/* The keywords of plan that the body of l mentions. */
static bool derive_keywords(const tl_cover_letter *plan, tl_cover_letter *l)
{
    for (size_t k = 0; k < plan->n_keywords; k++) {
        bool seen = false;
        for (size_t i = l->n_head; !seen && i + 1 < l->n_paragraphs; i++)
            seen = tl_str_ifind(l->paragraphs[i], strlen(l->paragraphs[i]), plan->keywords[k]);
        if (!seen)
            continue;
        char *c = tl_arena_strdup(l->arena, plan->keywords[k]);
        char **slot = c ? tl_arena_push(l->arena, &l->keywords, &l->n_keywords, &l->cap_keywords,
                                        sizeof *slot)
                        : NULL;
        if (!slot)
            return false;
        *slot = c;
    }
    return true;
}

tl_err tl_cover_letter_derive(const tl_cover_letter *plan, const char *const *body, size_t n,
                              const char *provider, tl_cover_letter **out)
{
    if (!plan || (!body && n) || !provider || !out || plan->n_paragraphs < plan->n_head + 1)
        return TL_EINVAL;
    tl_cover_letter *l = calloc(1, sizeof *l);
    if (!l || !(l->arena = tl_arena_create())) {
        free(l);
        return TL_ENOMEM;
    }
    bool ok = (l->role = tl_arena_strdup(l->arena, plan->role)) != NULL &&
              (!plan->company || (l->company = tl_arena_strdup(l->arena, plan->company))) &&
              (l->provider = tl_arena_strdup(l->arena, provider)) != NULL;
    for (size_t i = 0; ok && i < plan->n_head; i++)
        ok = copy_para(l, plan->paragraphs[i]);
    l->n_head = plan->n_head;
    for (size_t i = 0; ok && i < n; i++)
        ok = copy_para(l, body[i]);
    ok = ok && copy_para(l, plan->paragraphs[plan->n_paragraphs - 1]) && derive_keywords(plan, l);
    for (size_t i = 0; ok && i < plan->n_attempts; i++)
        ok = tl_cover_letter_note(l, plan->attempts[i].provider, plan->attempts[i].outcome,
                                  plan->attempts[i].detail) == TL_OK;
    if (!ok) {
        tl_cover_letter_free(l);
        return TL_ENOMEM;
    }
    l->words = count_words(l);
    *out = l;
    return TL_OK;
}

tl_err tl_cover_letter_note(tl_cover_letter *l, const char *provider, const char *outcome,
                            const char *detail)
{
    if (!l || !provider || !outcome)
        return TL_EINVAL;
    tl_letter_attempt *a =
        tl_arena_push(l->arena, &l->attempts, &l->n_attempts, &l->cap_attempts, sizeof *a);
    if (!a)
        return TL_ENOMEM;
    a->provider = tl_arena_strdup(l->arena, provider);
    a->outcome = tl_arena_strdup(l->arena, outcome);
    a->detail = tl_arena_strdup(l->arena, detail ? detail : "");
    return a->provider && a->outcome && a->detail ? TL_OK : TL_ENOMEM;
}

/* Markdown text: characters that would read as markup escaped. */
static tl_err md_escape(tl_buf *b, const char *s, size_t n)
{
    tl_err e = TL_OK;
    bool line_start = true;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        char c = s[i];
        if (strchr("\\*_`[]<>", c) || (line_start && strchr("#-+>|", c)))
            e = tl_buf_putc(b, '\\');
        if (e == TL_OK)
            e = tl_buf_putc(b, c);
        line_start = c == '\n';
    }
    return e;
}

tl_err tl_cover_letter_render(const tl_cover_letter *l, tl_format fmt, char **out, size_t *len)
{
    if (!l || !out || (fmt != TL_FORMAT_TEXT && fmt != TL_FORMAT_MARKDOWN))
        return TL_EINVAL;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_OUTPUT_BYTES);
    tl_err e = TL_OK;
    for (size_t i = 0; i < l->n_paragraphs && e == TL_OK; i++) {
        const char *p = l->paragraphs[i];
        if (i)
            e = tl_buf_putc(&b, '\n');
        if (fmt == TL_FORMAT_TEXT) {
            e = tl_buf_printf(&b, "%s\n", p);
            continue;
        }
        /* Markdown: the header's first line is the name as a heading;
         * line breaks inside a paragraph are kept ("  \n"). */
        const char *nl = strchr(p, '\n');
        size_t first = nl ? (size_t)(nl - p) : strlen(p);
        if (i == 0 && e == TL_OK) {
            e = tl_buf_puts(&b, "# ");
            if (e == TL_OK)
                e = md_escape(&b, p, first);
            if (e == TL_OK)
                e = tl_buf_puts(&b, "\n\n");
            p = nl ? nl + 1 : p + first;
        }
        while (e == TL_OK && *p) {
            nl = strchr(p, '\n');
            size_t k = nl ? (size_t)(nl - p) : strlen(p);
            e = md_escape(&b, p, k);
            if (e == TL_OK)
                e = tl_buf_puts(&b, nl ? "  \n" : "\n");
            p = nl ? nl + 1 : p + k;
        }
    }
    if (e == TL_OK)
        e = tl_buf_take(&b, out, len);
    tl_buf_free(&b);
    return e;
}
