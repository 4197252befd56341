#include "tailor/consistency.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tailor/match.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/limits.h"
#include "util/str.h"

#define ID_CAP 96

/* One text the pass may change. */
typedef struct tslot {
    char **slot;
    int section; /* -1: basics.summary */
    size_t entry;
    int bullet; /* -1: the entry's summary */
} tslot;

/* One dictionary term occurrence in a text. */
typedef struct occ {
    size_t text;       /* index into the slot list */
    size_t start, len; /* len: without a plural "s" (tl_term_stem) */
    int id;
    size_t order;     /* position of first meeting, for ties */
    bool informative; /* its capitalisation means something */
} occ;

/* The spelling chosen for a term. */
typedef struct spelling {
    int id;
    const char *p;
    size_t len;
    bool job; /* the job's spelling (else the resume's most common) */
} spelling;

typedef struct pass {
    tl_resume *r;
    const tl_job *job;
    const tl_terms *terms;
    const tl_matcher *m;
    tl_changes *ch;
    tslot *slots;
    size_t n_slots, cap_slots;
    occ *occs;
    size_t n_occs, cap_occs;
    spelling *sp;
    size_t n_sp;
    bool *stale; /* per slot: a term in it is not spelled the chosen way */
    tl_text_match tm;
} pass;

static void slot_id(const pass *p, const tslot *t, char *out)
{
    if (t->section < 0) {
        snprintf(out, ID_CAP, "basics.summary");
        return;
    }
    int n = tl_resume_entry_id(p->r, (size_t)t->section, t->entry, t->bullet, out, ID_CAP);
    if (t->bullet < 0 && n > 0 && (size_t)n < ID_CAP)
        snprintf(out + n, ID_CAP - (size_t)n, ".summary");
}

static tl_err add_slot(pass *p, char **slot, int section, size_t entry, int bullet)
{
    if (!*slot || !**slot)
        return TL_OK;
    if (p->n_slots == p->cap_slots) {
        size_t cap = p->cap_slots ? p->cap_slots * 2 : 64;
        tslot *n = realloc(p->slots, cap * sizeof *n);
        if (!n)
            return TL_ENOMEM;
        p->slots = n;
        p->cap_slots = cap;
    }
    p->slots[p->n_slots++] = (tslot){slot, section, entry, bullet};
    return TL_OK;
}

static tl_err collect_slots(pass *p)
{
    tl_resume *r = p->r;
    tl_err e = add_slot(p, &r->basics.summary, -1, 0, -1);
    for (size_t s = 0; !e && s < r->n_sections; s++) {
        tl_section *sec = &r->sections[s];
        if (!tl_section_tailorable(sec->kind))
            continue;
        for (size_t i = 0; !e && i < sec->n_entries; i++) {
            tl_entry *en = &sec->entries[i];
            e = add_slot(p, &en->summary, (int)s, i, -1);
            for (size_t b = 0; !e && b < en->n_bullets; b++)
                e = add_slot(p, &en->bullets[b], (int)s, i, (int)b);
        }
    }
    return e;
}

/* ------------------------------------------------------------------ terms */

static tl_err scan_terms(pass *p)
{
    for (size_t t = 0; t < p->n_slots; t++) {
        const char *s = *p->slots[t].slot;
        tl_matcher_terms_only(p->m, s, strlen(s), &p->tm);
        for (size_t i = 0; i < p->tm.n_terms; i++) {
            if (p->n_occs == p->cap_occs) {
                size_t cap = p->cap_occs ? p->cap_occs * 2 : 128;
                occ *n = realloc(p->occs, cap * sizeof *n);
                if (!n)
                    return TL_ENOMEM;
                p->occs = n;
                p->cap_occs = cap;
            }
            const tl_term_match *tm = &p->tm.terms[i];
            size_t len = tl_term_stem(p->terms, tm->id, s + tm->start, tm->len);
            p->occs[p->n_occs] =
                (occ){t,      tm->start, len,
                      tm->id, p->n_occs, tl_case_informative(s, strlen(s), tm->start, len)};
            p->n_occs++;
        }
    }
    return TL_OK;
}

static const char *occ_text(const pass *p, const occ *o)
{
    return *p->slots[o->text].slot + o->start;
}

/* qsort has no context argument: the pass being sorted. Only one pass runs
 * per thread at a time, and the pointer is set right before sorting. */
static _Thread_local const pass *sorting;

/* By term, then spelling, then first meeting. */
static int cmp_occ(const void *a, const void *b)
{
    const occ *x = a, *y = b;
    if (x->id != y->id)
        return (x->id > y->id) - (x->id < y->id);
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(occ_text(sorting, x), occ_text(sorting, y), n);
    if (c)
        return c;
    if (x->len != y->len)
        return (x->len > y->len) - (x->len < y->len);
    return (x->order > y->order) - (x->order < y->order);
}

static bool same_spelling(const pass *p, const occ *a, const occ *b)
{
    return a->len == b->len && memcmp(occ_text(p, a), occ_text(p, b), a->len) == 0;
}

/* For the occurrences [from, to) of one term (sorted), the spelling most
 * used among those whose case means something (all of them when none
 * does); ties go to the canonical spelling, then to the one met first. */
static spelling most_used(const pass *p, size_t from, size_t to)
{
    bool any_informative = false;
    for (size_t i = from; i < to; i++)
        any_informative = any_informative || p->occs[i].informative;
    const char *canon = tl_terms_canonical(p->terms, p->occs[from].id);
    size_t best = from, best_count = 0, best_order = SIZE_MAX;
    bool best_canon = false;
    for (size_t i = from; i < to;) {
        size_t j = i, count = 0, order = SIZE_MAX;
        while (j < to && same_spelling(p, &p->occs[i], &p->occs[j])) {
            if (p->occs[j].informative || !any_informative) {
                count++;
                order = p->occs[j].order < order ? p->occs[j].order : order;
            }
            j++;
        }
        bool is_canon = canon && strlen(canon) == p->occs[i].len &&
                        memcmp(canon, occ_text(p, &p->occs[i]), p->occs[i].len) == 0;
        bool better =
            count > best_count ||
            (count == best_count && count > 0 &&
             ((is_canon && !best_canon) || (is_canon == best_canon && order < best_order)));
        if (better) {
            best = i;
            best_count = count;
            best_order = order;
            best_canon = is_canon;
        }
        i = j;
    }
    const occ *o = &p->occs[best];
    return (spelling){o->id, occ_text(p, o), o->len, false};
}

/* True when the occurrence of a term at text[start, start+len) should be
 * rewritten as sp. */
static bool wants_respelling(const pass *p, const char *text, size_t start, size_t len,
                             bool informative, const spelling *sp)
{
    const char *w = text + start;
    if (!tl_respell_allowed(p->terms, sp->id, w, len, sp->p, sp->len))
        return false;
    return !tl_str_ieqn(w, len, sp->p, sp->len) || informative;
}

static tl_err choose_spellings(pass *p)
{
    if (p->n_occs == 0)
        return TL_OK;
    sorting = p;
    qsort(p->occs, p->n_occs, sizeof *p->occs, cmp_occ);
    sorting = NULL;
    p->sp = calloc(p->n_occs, sizeof *p->sp);
    p->stale = calloc(p->n_slots, sizeof *p->stale);
    if (!p->sp || !p->stale)
        return TL_ENOMEM;
    for (size_t i = 0; i < p->n_occs;) {
        size_t j = i;
        while (j < p->n_occs && p->occs[j].id == p->occs[i].id)
            j++;
        spelling s = most_used(p, i, j);
        int kw = p->job ? tl_matcher_keyword_of_term(p->m, s.id) : -1;
        const char *js;
        size_t jl;
        if (kw >= 0 && tl_matcher_job_spelling(p->m, kw, &js, &jl))
            s = (spelling){s.id, js, jl, true};
        p->sp[p->n_sp++] = s;
        for (size_t k = i; k < j; k++) {
            const occ *o = &p->occs[k];
            if (wants_respelling(p, *p->slots[o->text].slot, o->start, o->len, o->informative, &s))
                p->stale[o->text] = true;
        }
        i = j;
    }
    return TL_OK;
}

static const spelling *spelling_of(const pass *p, int id)
{
    size_t lo = 0, hi = p->n_sp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->sp[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n_sp && p->sp[lo].id == id ? &p->sp[lo] : NULL;
}

/* Rewrites one text with the chosen spellings. */
static tl_err respell_text(pass *p, size_t t)
{
    tslot *ts = &p->slots[t];
    const char *s = *ts->slot;
    tl_matcher_terms_only(p->m, s, strlen(s), &p->tm);
    tl_buf b, why;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_buf_init(&why, 400);
    size_t at = 0, changed = 0;
    bool job = false;
    tl_err e = TL_OK;
    for (size_t i = 0; i < p->tm.n_terms && !e; i++) {
        const tl_term_match *m = &p->tm.terms[i];
        const spelling *sp = spelling_of(p, m->id);
        size_t len = tl_term_stem(p->terms, m->id, s + m->start, m->len);
        if (!sp || !wants_respelling(p, s, m->start, len,
                                     tl_case_informative(s, strlen(s), m->start, len), sp))
            continue;
        e = tl_buf_append(&b, s + at, m->start - at);
        if (!e)
            e = tl_buf_append(&b, sp->p, sp->len);
        if (!e && changed < 4)
            e = tl_buf_printf(&why, "%s%.*s as %.*s", changed ? " and " : "", (int)len,
                              s + m->start, (int)sp->len, sp->p);
        job = job || sp->job;
        at = m->start + len;
        changed++;
    }
    if (!e && changed) {
        e = tl_buf_puts(&b, s + at);
        if (!e)
            e = tl_resume_set(p->r, ts->slot, tl_buf_str(&b));
        char id[ID_CAP];
        slot_id(p, ts, id);
        if (!e && p->ch)
            e = tl_changes_add(p->ch, TL_CHANGE_TERM, id, s, *ts->slot,
                               "respelled %s: one spelling per term, %s", tl_buf_str(&why),
                               job ? "the job's" : "the one the resume uses most");
    }
    tl_buf_free(&b);
    tl_buf_free(&why);
    return e;
}

static tl_err unify_terms(pass *p)
{
    tl_err e = scan_terms(p);
    if (!e)
        e = choose_spellings(p);
    /* Slots point into the resume; rewriting one never moves another. */
    for (size_t t = 0; !e && p->stale && t < p->n_slots; t++)
        if (p->stale[t])
            e = respell_text(p, t);
    return e;
}

/* ------------------------------------------------------------------ tense */

/* The form the verb w[0..n) should take, or false when it is right (or not
 * a table verb). */
static bool retense(const char *w, size_t n, bool past, char *out, size_t cap, size_t *len)
{
    tl_verb_form form;
    int v = tl_verb_find(w, n, &form);
    if (v < 0)
        return false;
    tl_verb_form want;
    if (past && (form == TL_VERB_BASE || form == TL_VERB_THIRD))
        want = TL_VERB_PAST;
    else if (!past && form == TL_VERB_PAST)
        want = TL_VERB_BASE;
    else
        return false;
    *len = tl_verb_spell(v, want, isupper((unsigned char)w[0]) != 0, out, cap);
    return *len && !(*len == n && memcmp(out, w, n) == 0);
}

/* A second verb joined by "and" to the opening one ("Mentor 5 engineers
 * and ran the loop"): for the current role only, where a past form after
 * "and" is almost always a verb; a present form may well be a noun ("and
 * report tools"), so past roles are left alone there. */
static bool second_verb(const char *s, size_t n, size_t from, tl_word *out)
{
    size_t pos = from;
    tl_word w;
    bool after_and = false;
    while (tl_next_word(s, n, &pos, &w)) {
        if (after_and) {
            *out = w;
            return true;
        }
        after_and = tl_str_ieqn(s + w.start, w.len, "and", 3);
    }
    return false;
}

static tl_err fix_tense(pass *p, const tslot *ts, bool past)
{
    const char *s = *ts->slot;
    size_t n = strlen(s), pos = 0;
    tl_word w[2];
    char verb[2][32];
    size_t vl[2] = {0, 0};
    if (!tl_next_word(s, n, &pos, &w[0]))
        return TL_OK;
    bool first = retense(s + w[0].start, w[0].len, past, verb[0], sizeof verb[0], &vl[0]);
    if (!first)
        return TL_OK;
    bool second = !past && second_verb(s, n, pos, &w[1]) &&
                  retense(s + w[1].start, w[1].len, past, verb[1], sizeof verb[1], &vl[1]);
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = tl_buf_append(&b, s, w[0].start);
    if (!e)
        e = tl_buf_append(&b, verb[0], vl[0]);
    size_t at = w[0].start + w[0].len;
    if (!e && second) {
        e = tl_buf_append(&b, s + at, w[1].start - at);
        if (!e)
            e = tl_buf_append(&b, verb[1], vl[1]);
        at = w[1].start + w[1].len;
    }
    if (!e)
        e = tl_buf_puts(&b, s + at);
    if (!e)
        e = tl_resume_set(p->r, ts->slot, tl_buf_str(&b));
    tl_buf_free(&b);
    char id[ID_CAP];
    slot_id(p, ts, id);
    if (!e && p->ch)
        e = tl_changes_add(p->ch, TL_CHANGE_TENSE, id, s, *ts->slot, "%s: \"%.*s\" became \"%s\"%s",
                           past ? "past tense for a past role"
                                : "present tense for the current role",
                           (int)w[0].len, s + w[0].start, verb[0],
                           second ? " (and the verb after \"and\" too)" : "");
    return e;
}

/* True when a bullet reports a finished achievement with its outcome
 * ("Led the redesign..., cutting p99 latency from 480ms to 95ms"). Such a
 * bullet reads right in the past tense even in the current role, so the
 * pass leaves it there; ongoing duties ("Own the Tableau dashboards") are
 * what the present tense is for. */
static bool reports_result(const char *s)
{
    static const char *const outcome_words[] = {
        "cutting",   "reducing", "improving", "saving",  "increasing", "decreasing",
        "boosting",  "lowering", "raising",   "growing", "doubling",   "halving",
        "resulting", "achieving", "eliminating"};
    if (strchr(s, '%'))
        return true;
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof outcome_words / sizeof *outcome_words; i++) {
        const char *hit = tl_str_ifind(s, n, outcome_words[i]);
        size_t wl = strlen(outcome_words[i]);
        if (hit && (hit == s || !tl_is_word_byte((unsigned char)hit[-1])) &&
            !tl_is_word_byte((unsigned char)hit[wl]))
            return true;
    }
    return false;
}

static tl_err unify_tense(pass *p)
{
    tl_err e = TL_OK;
    for (size_t t = 0; !e && t < p->n_slots; t++) {
        const tslot *ts = &p->slots[t];
        if (ts->section < 0 || ts->bullet < 0)
            continue;
        const tl_section *sec = &p->r->sections[ts->section];
        if (sec->kind != TL_SEC_WORK && sec->kind != TL_SEC_VOLUNTEER && sec->kind != TL_SEC_CUSTOM)
            continue;
        const tl_entry *en = &sec->entries[ts->entry];
        if (tl_entry_is_past(en))
            e = fix_tense(p, ts, true);
        else if (tl_entry_is_current(en) && !reports_result(*ts->slot))
            e = fix_tense(p, ts, false);
    }
    return e;
}

/* ------------------------------------------------------------------ style */

static bool styled_bullet(const pass *p, const tslot *ts)
{
    return ts->section >= 0 && ts->bullet >= 0 && p->r->sections[ts->section].kind != TL_SEC_SKILLS;
}

/* Length without trailing spaces. */
static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return n;
}

static tl_err restyle(pass *p, const tslot *ts, bool period)
{
    const char *s = *ts->slot;
    size_t n = trimmed_len(s);
    if (n == 0)
        return TL_OK;
    bool has = s[n - 1] == '.';
    bool other_end = strchr("!?:;)\"'", s[n - 1]) != NULL;
    bool add = period && !has && !other_end;
    bool drop = !period && has && !(n > 1 && s[n - 2] == '.'); /* keep "etc..." alone */
    bool capital = islower((unsigned char)s[0]) != 0;
    if (!add && !drop && !capital)
        return TL_OK;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = tl_buf_append(&b, s, drop ? n - 1 : n);
    if (!e && add)
        e = tl_buf_putc(&b, '.');
    if (!e && capital)
        b.data[0] = (char)toupper((unsigned char)b.data[0]);
    if (!e)
        e = tl_resume_set(p->r, ts->slot, tl_buf_str(&b));
    tl_buf_free(&b);
    char id[ID_CAP];
    slot_id(p, ts, id);
    const char *what = add    ? (capital ? "trailing period added and first letter capitalised"
                                         : "trailing period added")
                       : drop ? (capital ? "trailing period removed and first letter capitalised"
                                         : "trailing period removed")
                              : "first letter capitalised";
    if (!e && p->ch)
        e = tl_changes_add(p->ch, TL_CHANGE_STYLE, id, s, *ts->slot, "%s, as in most bullets",
                           what);
    return e;
}

static tl_err unify_style(pass *p)
{
    size_t with = 0, without = 0;
    for (size_t t = 0; t < p->n_slots; t++) {
        if (!styled_bullet(p, &p->slots[t]))
            continue;
        const char *s = *p->slots[t].slot;
        size_t n = trimmed_len(s);
        if (n && s[n - 1] == '.')
            with++;
        else if (n && !strchr("!?:;)\"'", s[n - 1]))
            without++; /* "...!" keeps its own ending and does not vote */
    }
    bool period = with > without;
    tl_err e = TL_OK;
    for (size_t t = 0; !e && t < p->n_slots; t++)
        if (styled_bullet(p, &p->slots[t]))
            e = restyle(p, &p->slots[t], period);
    return e;
}

/* ------------------------------------------------------------------ dates */

static char **date_slot(tl_entry *e, int which)
{
    return which == 0 ? &e->start_date : which == 1 ? &e->end_date : &e->date;
}

static const char *date_key(const tl_section *s, int which)
{
    if (which == 0)
        return "startDate";
    if (which == 1)
        return "endDate";
    return s->kind == TL_SEC_PUBLICATIONS ? "releaseDate" : "date";
}

/* The style most dates with a month use (ties: the first met). */
static tl_date_style main_date_style(const tl_resume *r)
{
    size_t count[TL_DATE_STYLE_COUNT_] = {0}, first[TL_DATE_STYLE_COUNT_];
    size_t seen = 0;
    for (size_t s = 0; s < r->n_sections; s++)
        for (size_t i = 0; i < r->sections[s].n_entries; i++)
            for (int w = 0; w < 3; w++) {
                const char *d = *date_slot(&r->sections[s].entries[i], w);
                tl_date dt;
                if (!d || !tl_date_parse(d, strlen(d), &dt) || !dt.month)
                    continue;
                if (count[dt.style]++ == 0)
                    first[dt.style] = seen;
                seen++;
            }
    tl_date_style best = TL_DATE_NONE;
    for (int st = 1; st < TL_DATE_STYLE_COUNT_; st++)
        if (count[st] && (best == TL_DATE_NONE || count[st] > count[best] ||
                          (count[st] == count[best] && first[st] < first[best])))
            best = (tl_date_style)st;
    return best;
}

static tl_err restyle_date(pass *p, size_t s, size_t i, int which, tl_date_style style)
{
    tl_section *sec = &p->r->sections[s];
    char **slot = date_slot(&sec->entries[i], which);
    tl_date d;
    char out[32];
    if (!*slot || !tl_date_parse(*slot, strlen(*slot), &d) || !d.month || d.style == style ||
        !tl_date_format(&d, style, out, sizeof out) || strcmp(out, *slot) == 0)
        return TL_OK;
    const char *before = *slot;
    tl_err e = tl_resume_set(p->r, slot, out);
    char id[ID_CAP];
    int n = tl_resume_entry_id(p->r, s, i, -1, id, sizeof id);
    if (n > 0 && (size_t)n < sizeof id)
        snprintf(id + n, sizeof id - (size_t)n, ".%s", date_key(sec, which));
    if (!e && p->ch)
        e = tl_changes_add(p->ch, TL_CHANGE_STYLE, id, before, *slot,
                           "date written like most dates in the resume (%s)", out);
    return e;
}

static tl_err unify_dates(pass *p)
{
    tl_date_style style = main_date_style(p->r);
    if (style == TL_DATE_NONE)
        return TL_OK;
    tl_err e = TL_OK;
    for (size_t s = 0; !e && s < p->r->n_sections; s++)
        for (size_t i = 0; !e && i < p->r->sections[s].n_entries; i++)
            for (int w = 0; !e && w < 3; w++)
                e = restyle_date(p, s, i, w, style);
    return e;
}

/* ---------------------------------------------------------------- repeats */

typedef struct bkey {
    uint64_t h;
    size_t slot;
} bkey;

static int cmp_bkey(const void *a, const void *b)
{
    const bkey *x = a, *y = b;
    if (x->h != y->h)
        return (x->h > y->h) - (x->h < y->h);
    return (x->slot > y->slot) - (x->slot < y->slot);
}

/* Hash of the bullet's letters and digits, case-folded. */
static uint64_t bullet_hash(const char *s)
{
    char buf[512];
    size_t k = 0;
    uint64_t h = 0;
    for (const char *q = s; *q; q++) {
        if (!tl_is_word_byte((unsigned char)*q))
            continue;
        buf[k++] = (char)tolower((unsigned char)*q);
        if (k == sizeof buf) {
            h = tl_hash64(buf, k, h);
            k = 0;
        }
    }
    return tl_hash64(buf, k, h);
}

static tl_err report_repeats(pass *p)
{
    bkey *keys = calloc(p->n_slots + 1, sizeof *keys);
    if (!keys)
        return TL_ENOMEM;
    size_t n = 0;
    for (size_t t = 0; t < p->n_slots; t++)
        if (styled_bullet(p, &p->slots[t]))
            keys[n++] = (bkey){bullet_hash(*p->slots[t].slot), t};
    qsort(keys, n, sizeof *keys, cmp_bkey);
    tl_err e = TL_OK;
    for (size_t i = 1; i < n && !e; i++) {
        if (keys[i].h != keys[i - 1].h)
            continue;
        size_t first = i - 1;
        while (first > 0 && keys[first - 1].h == keys[i].h)
            first--;
        const tslot *a = &p->slots[keys[first].slot], *b = &p->slots[keys[i].slot];
        char ida[ID_CAP], idb[ID_CAP];
        slot_id(p, a, ida);
        slot_id(p, b, idb);
        if (p->ch)
            e = tl_changes_add(p->ch, TL_CHANGE_REPEATED, idb, *b->slot, *b->slot,
                               "the same bullet is also at %s; consider keeping one", ida);
    }
    free(keys);
    return e;
}

/* ------------------------------------------------------------------- run */

tl_err tl_consistency_run_with(tl_resume *r, const tl_matcher *m, tl_changes *changes)
{
    if (!r || !m)
        return TL_EINVAL;
    pass *p = calloc(1, sizeof *p);
    if (!p)
        return TL_ENOMEM;
    p->r = r;
    p->job = tl_matcher_job(m);
    p->terms = tl_matcher_terms(m);
    p->m = m;
    p->ch = changes;
    tl_err e = collect_slots(p);
    if (!e)
        e = unify_terms(p);
    if (!e)
        e = unify_tense(p);
    if (!e)
        e = unify_style(p);
    if (!e)
        e = unify_dates(p);
    if (!e)
        e = report_repeats(p);
    free(p->slots);
    free(p->occs);
    free(p->sp);
    free(p->stale);
    free(p);
    return e;
}

tl_err tl_consistency_run(tl_resume *r, const tl_job *job, const tl_terms *terms,
                          tl_changes *changes)
{
    if (!r || !terms)
        return TL_EINVAL;
    tl_matcher *m = NULL;
    tl_err e = tl_matcher_create(job, terms, &m);
    if (!e)
        e = tl_consistency_run_with(r, m, changes);
    tl_matcher_free(m);
    return e;
}
