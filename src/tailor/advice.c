#include "tailor/advice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/str.h"

/* ------------------------------------------------------------ evidence */

typedef struct ev_ctx {
    const tl_matcher *m;
    tl_evidence *e;
    int *index; /* slot * n_kw + kw -> 1 + item index; 0: none yet */
    bool oom;
    tl_text_match tm; /* scratch */
} ev_ctx;

/* 0 for the summary and label, 1 + s for section s; -1 for texts that
 * say nothing about fit (name, contact, location). */
static int slot_of(const tl_text_ref *ref)
{
    if (ref->section < 0)
        return ref->slot == TL_SLOT_SUMMARY || ref->slot == TL_SLOT_LABEL ? 0 : -1;
    return ref->slot == TL_SLOT_CONTACT || ref->slot == TL_SLOT_LOCATION ? -1 : 1 + ref->section;
}

static tl_kw_where *where_of(ev_ctx *c, int slot, int kw)
{
    tl_evidence *e = c->e;
    int *ix = &c->index[(size_t)slot * e->n_kw + (size_t)kw];
    if (*ix)
        return &e->items[*ix - 1];
    tl_kw_where *w = tl_arena_push(e->arena, &e->items, &e->n, &e->cap, sizeof *w);
    if (!w)
        return NULL;
    w->kw = kw;
    w->slot = slot;
    *ix = (int)e->n;
    return w;
}

/* The first spelling of kw in text that the job writes otherwise and that
 * tailoring may respell; NULL when none (or out of memory). */
static char *other_spelling(ev_ctx *c, const char *text, int kw)
{
    const char *js;
    size_t jl;
    if (!tl_matcher_job_spelling(c->m, kw, &js, &jl))
        return NULL;
    const tl_terms *t = tl_matcher_terms(c->m);
    for (size_t i = 0; i < c->tm.n_terms; i++) {
        const tl_term_match *tm = &c->tm.terms[i];
        if (tl_matcher_keyword_of_term(c->m, tm->id) != kw)
            continue;
        const char *p = text + tm->start;
        size_t len = tl_term_stem(t, tm->id, p, tm->len);
        if (!tl_str_ieqn(p, len, js, jl) && tl_respell_allowed(t, tm->id, p, len, js, jl))
            return tl_arena_strndup(c->e->arena, p, len);
    }
    return NULL;
}

static bool on_text(void *ud, const tl_text_ref *ref)
{
    ev_ctx *c = ud;
    int slot = slot_of(ref);
    if (slot < 0)
        return true;
    tl_matcher_match(c->m, ref->text, strlen(ref->text), &c->tm);
    for (size_t i = 0; i < c->tm.n_kw; i++) {
        tl_kw_where *w = where_of(c, slot, c->tm.kw[i]);
        if (!w) {
            c->oom = true;
            return false;
        }
        w->count += c->tm.kw_count[i];
        if (!c->tm.kw_job_spelling[i] && !w->written)
            w->written = other_spelling(c, ref->text, c->tm.kw[i]);
    }
    return true;
}

tl_err tl_evidence_compute(const tl_resume *r, const tl_matcher *m, tl_evidence **out)
{
    const tl_job *j = m ? tl_matcher_job(m) : NULL;
    if (!r || !j || !out)
        return TL_EINVAL;
    tl_evidence *e = calloc(1, sizeof *e);
    ev_ctx *c = calloc(1, sizeof *c);
    if (!e || !c || !(e->arena = tl_arena_create())) {
        free(c);
        tl_evidence_free(e);
        return TL_ENOMEM;
    }
    e->n_kw = j->n_keywords;
    e->n_slots = 1 + r->n_sections;
    c->m = m;
    c->e = e;
    c->index = tl_arena_alloc(e->arena, (e->n_slots * e->n_kw + 1) * sizeof *c->index);
    if (c->index)
        tl_resume_texts(r, on_text, c);
    bool failed = !c->index || c->oom;
    free(c);
    if (failed) {
        tl_evidence_free(e);
        return TL_ENOMEM;
    }
    *out = e;
    return TL_OK;
}

void tl_evidence_free(tl_evidence *e)
{
    if (!e)
        return;
    tl_arena_destroy(e->arena);
    free(e);
}

const tl_kw_where *tl_evidence_find(const tl_evidence *e, int slot, int kw)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].slot == slot && e->items[i].kw == kw)
            return &e->items[i];
    return NULL;
}

static bool experience_kind(tl_section_kind k)
{
    return k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS;
}

static bool slot_is(const tl_resume *r, int slot, tl_section_kind k)
{
    return slot > 0 && (size_t)slot <= r->n_sections && r->sections[slot - 1].kind == k;
}

bool tl_evidence_in_kind(const tl_evidence *e, const tl_resume *r, tl_section_kind k, int kw)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].kw == kw && slot_is(r, e->items[i].slot, k))
            return true;
    return false;
}

bool tl_evidence_in_experience(const tl_evidence *e, const tl_resume *r, int kw)
{
    for (size_t i = 0; i < e->n; i++) {
        int s = e->items[i].slot;
        if (e->items[i].kw == kw && s > 0 && experience_kind(r->sections[s - 1].kind))
            return true;
    }
    return false;
}

/* The job's own spelling of keyword kw, as a person should read it. */
static const char *job_term(const tl_job *j, int kw)
{
    const tl_keyword *k = &j->keywords[kw];
    return k->surface && *k->surface ? k->surface : k->term ? k->term : "";
}

/* The keywords of j in weight order, heaviest first (stable). */
static int *by_weight(const tl_job *j)
{
    int *order = malloc((j->n_keywords + 1) * sizeof *order);
    for (size_t i = 0; order && i < j->n_keywords; i++) {
        size_t k = i;
        while (k > 0 && j->keywords[order[k - 1]].weight < j->keywords[i].weight) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = (int)i;
    }
    return order;
}

static json_t *where_json(const tl_evidence *e, const tl_resume *r, const tl_job *j,
                          const tl_kw_where *w)
{
    return json_pack("{ss si s:s* sb}", "term", job_term(j, w->kw), "mentions", w->count,
                     "resume_spelling", w->written, "in_skills",
                     tl_evidence_in_kind(e, r, TL_SEC_SKILLS, w->kw));
}

json_t *tl_evidence_slot_json(const tl_evidence *e, const tl_resume *r, const tl_matcher *m,
                              int slot)
{
    const tl_job *j = tl_matcher_job(m);
    int *order = by_weight(j);
    json_t *arr = order ? json_array() : NULL;
    for (size_t i = 0; arr && i < j->n_keywords; i++) {
        const tl_kw_where *w = tl_evidence_find(e, slot, order[i]);
        if (w && json_array_append_new(arr, where_json(e, r, j, w)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    free(order);
    return arr;
}

/* ---------------------------------------------------------- suggestions */

const char *tl_advice_kind_name(tl_advice_kind k)
{
    switch (k) {
    case TL_ADVICE_SPELLING: return "spelling";
    case TL_ADVICE_SKILLS_ONLY: return "skills_only";
    case TL_ADVICE_SECTION: return "section";
    case TL_ADVICE_MISSING: return "missing";
    }
    return "unknown";
}

typedef struct advise_ctx {
    const tl_resume *r;
    const tl_job *j;
    const tl_evidence *e;
    const tl_score *s;
    const int *order; /* job keywords, heaviest first */
    tl_advices *out;
} advise_ctx;

static const char *slot_key(const tl_resume *r, int slot)
{
    if (slot == 0)
        return "basics.summary";
    const char *k = r->sections[slot - 1].key;
    return k ? k : "custom";
}

static tl_err add(advise_ctx *c, tl_advice_kind kind, const char *term, const char *section,
                  const char *text)
{
    tl_advices *a = c->out;
    tl_advice *ad = tl_arena_push(a->arena, &a->items, &a->n, &a->cap, sizeof *ad);
    if (!ad)
        return TL_ENOMEM;
    ad->kind = kind;
    ad->term = term ? tl_arena_strdup(a->arena, term) : NULL;
    ad->section = section ? tl_arena_strdup(a->arena, section) : NULL;
    ad->text = tl_arena_strdup(a->arena, text);
    bool ok = ad->text && (!term || ad->term) && (!section || ad->section);
    return ok ? TL_OK : TL_ENOMEM;
}

/* A keyword the resume states, in some part, under a spelling the job
 * does not use: the reader (or the screening software) may miss it. */
static tl_err advise_spellings(advise_ctx *c)
{
    char text[512];
    for (size_t i = 0; i < c->j->n_keywords; i++) {
        int kw = c->order[i];
        for (size_t k = 0; k < c->e->n; k++) {
            const tl_kw_where *w = &c->e->items[k];
            if (w->kw != kw || !w->written)
                continue;
            const char *term = job_term(c->j, kw);
            const char *key = slot_key(c->r, w->slot);
            snprintf(text, sizeof text, "Write \"%s\" as the job does: %s says \"%s\".", term, key,
                     w->written);
            tl_err e = add(c, TL_ADVICE_SPELLING, term, key, text);
            if (e)
                return e;
            break;
        }
    }
    return TL_OK;
}

/* A keyword listed among the skills that no experience shows: a claim a
 * reader cannot check. The advice is to show it, never to invent it. */
static tl_err advise_skills_only(advise_ctx *c)
{
    char text[512];
    for (size_t i = 0; i < c->j->n_keywords; i++) {
        int kw = c->order[i];
        if (!tl_evidence_in_kind(c->e, c->r, TL_SEC_SKILLS, kw) ||
            tl_evidence_in_experience(c->e, c->r, kw))
            continue;
        const char *term = job_term(c->j, kw);
        snprintf(text, sizeof text,
                 "\"%s\" is in your skills, but no work or project entry shows it: if you have "
                 "used it, say where in a bullet.",
                 term);
        tl_err e = add(c, TL_ADVICE_SKILLS_ONLY, term, "skills", text);
        if (e)
            return e;
    }
    return TL_OK;
}

/* Up to three keywords the experience shows that slot does not state,
 * written into buf as "A, B and C"; false when there are none. */
static bool shown_elsewhere(advise_ctx *c, int slot, char *buf, size_t cap)
{
    const char *names[3];
    size_t n = 0;
    for (size_t i = 0; i < c->j->n_keywords && n < 3; i++) {
        int kw = c->order[i];
        if (tl_evidence_in_experience(c->e, c->r, kw) && !tl_evidence_find(c->e, slot, kw))
            names[n++] = job_term(c->j, kw);
    }
    if (n == 0)
        return false;
    if (n == 1)
        snprintf(buf, cap, "%s", names[0]);
    else if (n == 2)
        snprintf(buf, cap, "%s and %s", names[0], names[1]);
    else
        snprintf(buf, cap, "%s, %s and %s", names[0], names[1], names[2]);
    return true;
}

static int slot_of_key(const tl_resume *r, const char *key)
{
    if (strcmp(key, "basics.summary") == 0)
        return 0;
    for (size_t i = 0; i < r->n_sections; i++)
        if (r->sections[i].key && strcmp(r->sections[i].key, key) == 0)
            return 1 + (int)i;
    return -1;
}

/* The summary and the experience sections are where a reader looks for
 * the job's keywords; one that states few of them is pointed out, with
 * the keywords the rest of the resume backs when there are some. */
static tl_err advise_section(advise_ctx *c, const tl_section_score *ss)
{
    int slot = slot_of_key(c->r, ss->key);
    bool summary = slot == 0;
    if (slot < 0 || ss->score >= TL_ADVICE_LOW_SECTION ||
        (!summary && !experience_kind(c->r->sections[slot - 1].kind)))
        return TL_OK;
    char names[256], text[512];
    if (summary) {
        if (!shown_elsewhere(c, 0, names, sizeof names))
            return TL_OK;
        snprintf(text, sizeof text,
                 "The summary states few of the job's keywords (section score %d); your "
                 "experience shows %s: name them there.",
                 ss->score, names);
    } else {
        snprintf(text, sizeof text,
                 "The %s section states few of the job's keywords (section score %d): where that "
                 "experience used what the job asks for, say so in its bullets.",
                 ss->key, ss->score);
    }
    return add(c, TL_ADVICE_SECTION, NULL, ss->key, text);
}

static int keyword_index(const tl_job *j, const char *term)
{
    for (size_t i = 0; i < j->n_keywords; i++)
        if (j->keywords[i].term && strcmp(j->keywords[i].term, term) == 0)
            return (int)i;
    return -1;
}

/* A keyword the resume does not state: named, with the honest caveat. */
static tl_err advise_missing(advise_ctx *c, const tl_score_keyword *k)
{
    int kw = keyword_index(c->j, k->term);
    const char *term = kw >= 0 ? job_term(c->j, kw) : k->term;
    char text[512];
    if (k->part == TL_JD_REQUIREMENTS)
        snprintf(text, sizeof text,
                 "The job asks for \"%s\", a requirement, and the resume does not state it: add "
                 "it only if you have it.",
                 term);
    else
        snprintf(text, sizeof text,
                 "The job names \"%s\" (%s) and the resume does not: add it only if you have it.",
                 term, tl_part_phrase(k->part, false));
    return add(c, TL_ADVICE_MISSING, term, NULL, text);
}

static tl_err advise_all(advise_ctx *c)
{
    tl_err e = advise_spellings(c);
    if (!e)
        e = advise_skills_only(c);
    if (c->s->n_matched > 0)
        for (size_t i = 0; !e && i < c->s->n_sections; i++)
            e = advise_section(c, &c->s->sections[i]);
    for (size_t i = 0; !e && i < c->s->n_missing && i < TL_ADVICE_MAX_MISSING; i++)
        e = advise_missing(c, &c->s->missing[i]);
    return e;
}

tl_err tl_advise(const tl_resume *r, const tl_matcher *m, const tl_score *s, tl_advices **out)
{
    const tl_job *j = m ? tl_matcher_job(m) : NULL;
    if (!r || !j || !s || !out)
        return TL_EINVAL;
    tl_evidence *ev = NULL;
    tl_err e = tl_evidence_compute(r, m, &ev);
    if (e)
        return e;
    advise_ctx c = {.r = r, .j = j, .e = ev, .s = s, .order = by_weight(j)};
    c.out = calloc(1, sizeof *c.out);
    e = TL_ENOMEM;
    if (c.order && c.out && (c.out->arena = tl_arena_create()))
        e = advise_all(&c);
    free((void *)c.order);
    tl_evidence_free(ev);
    if (e) {
        tl_advices_free(c.out);
        return e;
    }
    *out = c.out;
    return TL_OK;
}

void tl_advices_free(tl_advices *a)
{
    if (!a)
        return;
    tl_arena_destroy(a->arena);
    free(a);
}

json_t *tl_advices_to_json(const tl_advices *a)
{
    json_t *arr = a ? json_array() : NULL;
    for (size_t i = 0; arr && i < a->n; i++) {
        const tl_advice *ad = &a->items[i];
        json_t *o = json_pack("{ss s:s* s:s* ss}", "kind", tl_advice_kind_name(ad->kind), "term",
                              ad->term, "section", ad->section, "text", ad->text);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
