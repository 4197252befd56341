#include "tailor/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tailor/match.h"

/* What the resume says about each job keyword, gathered in one walk. */
typedef struct kw_seen {
    int count;       /* mentions in the whole resume */
    bool spelled_ok; /* every dictionary mention uses the job's spelling */
    bool prominent;  /* mentioned in the summary, label or a leading bullet */
} kw_seen;

typedef struct walk_ctx {
    const tl_resume *r;
    const tl_matcher *m;
    kw_seen *seen;        /* one per job keyword */
    bool *in_section;     /* one per job keyword per section slot */
    size_t n_kw;
    size_t n_slots;       /* 1 (the summary) + the resume's sections */
    tl_text_match tm;     /* scratch */
} walk_ctx;

/* The section slot a text counts for: 0 for the summary (and label), 1 + s
 * for section s; -1 for texts that do not count (contact, name). */
static int slot_of(const tl_text_ref *ref)
{
    if (ref->section < 0)
        return ref->slot == TL_SLOT_SUMMARY || ref->slot == TL_SLOT_LABEL ? 0 : -1;
    return ref->slot == TL_SLOT_CONTACT ? -1 : 1 + ref->section;
}

static bool is_prominent(const tl_resume *r, const tl_text_ref *ref)
{
    if (ref->section < 0)
        return ref->slot == TL_SLOT_SUMMARY || ref->slot == TL_SLOT_LABEL;
    tl_section_kind k = r->sections[ref->section].kind;
    bool experience = k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS;
    return experience && ref->slot == TL_SLOT_BULLET && ref->bullet < 2;
}

static bool on_text(void *ud, const tl_text_ref *ref)
{
    walk_ctx *c = ud;
    int slot = slot_of(ref);
    if (slot < 0 && ref->slot != TL_SLOT_LOCATION)
        return true;
    tl_matcher_match(c->m, ref->text, strlen(ref->text), &c->tm);
    bool prominent = is_prominent(c->r, ref);
    for (size_t i = 0; i < c->tm.n_kw; i++) {
        kw_seen *s = &c->seen[c->tm.kw[i]];
        s->count += c->tm.kw_count[i];
        s->spelled_ok = s->spelled_ok && c->tm.kw_job_spelling[i];
        s->prominent = s->prominent || prominent;
        if (slot >= 0)
            c->in_section[(size_t)slot * c->n_kw + (size_t)c->tm.kw[i]] = true;
    }
    return true;
}

static int percent(double part, double total)
{
    if (total <= 0)
        return 0;
    long v = lround(100.0 * part / total);
    return v < 0 ? 0 : v > 100 ? 100 : (int)v;
}

static tl_err add_keyword(tl_score *s, bool matched, const tl_keyword *k, int resume_count)
{
    tl_score_keyword *sk =
        matched ? tl_arena_push(s->arena, &s->matched, &s->n_matched, &s->cap_matched, sizeof *sk)
                : tl_arena_push(s->arena, &s->missing, &s->n_missing, &s->cap_missing, sizeof *sk);
    if (!sk)
        return TL_ENOMEM;
    sk->term = tl_arena_strdup(s->arena, k->term ? k->term : "");
    if (!sk->term)
        return TL_ENOMEM;
    sk->weight = k->weight;
    sk->job_count = k->count;
    sk->resume_count = resume_count;
    sk->part = k->part;
    return TL_OK;
}

static tl_err add_section(tl_score *s, const char *key, int score)
{
    tl_section_score *ss =
        tl_arena_push(s->arena, &s->sections, &s->n_sections, &s->cap_sections, sizeof *ss);
    if (!ss)
        return TL_ENOMEM;
    ss->key = tl_arena_strdup(s->arena, key);
    ss->score = score;
    return ss->key ? TL_OK : TL_ENOMEM;
}

/* Fills s from what the walk saw. */
static tl_err summarise(tl_score *s, const tl_resume *r, const tl_job *j, const walk_ctx *c)
{
    double total = 0, found = 0, weighted = 0;
    tl_err e = TL_OK;
    for (size_t i = 0; i < c->n_kw && !e; i++) {
        const tl_keyword *k = &j->keywords[i];
        const kw_seen *sn = &c->seen[i];
        total += k->weight;
        if (sn->count > 0) {
            found += k->weight;
            weighted += k->weight * (0.8 + (sn->spelled_ok ? 0.1 : 0) + (sn->prominent ? 0.1 : 0));
        }
        e = add_keyword(s, sn->count > 0, k, sn->count);
    }
    s->coverage = percent(found, total);
    s->score = percent(weighted, total);
    for (size_t slot = 0; slot < c->n_slots && !e; slot++) {
        if (slot == 0 && !r->basics.summary && !r->basics.label)
            continue;
        double part = 0;
        for (size_t i = 0; i < c->n_kw; i++)
            if (c->in_section[slot * c->n_kw + i])
                part += j->keywords[i].weight;
        const char *key = slot == 0 ? "basics.summary" : r->sections[slot - 1].key;
        e = add_section(s, key ? key : "custom", percent(part, total));
    }
    return e;
}

tl_err tl_score_compute(const tl_resume *r, const tl_job *j, const tl_terms *t, tl_score **out)
{
    if (!r || !j || !t || !out)
        return TL_EINVAL;
    tl_err e = TL_ENOMEM;
    tl_matcher *m = NULL;
    walk_ctx *c = calloc(1, sizeof *c);
    tl_score *s = calloc(1, sizeof *s);
    if (!c || !s || !(s->arena = tl_arena_create()))
        goto fail;
    c->r = r;
    c->n_kw = j->n_keywords;
    c->n_slots = 1 + r->n_sections;
    c->seen = calloc(c->n_kw + 1, sizeof *c->seen);
    c->in_section = calloc(c->n_slots * c->n_kw + 1, sizeof *c->in_section);
    if (!c->seen || !c->in_section)
        goto fail;
    for (size_t i = 0; i < c->n_kw; i++)
        c->seen[i].spelled_ok = true;
    if ((e = tl_matcher_create(j, t, &m)) != TL_OK)
        goto fail;
    c->m = m;
    tl_resume_texts(r, on_text, c);
    if ((e = summarise(s, r, j, c)) != TL_OK)
        goto fail;
    tl_matcher_free(m);
    free(c->seen);
    free(c->in_section);
    free(c);
    *out = s;
    return TL_OK;
fail:
    tl_matcher_free(m);
    if (c) {
        free(c->seen);
        free(c->in_section);
    }
    free(c);
    tl_score_free(s);
    return e;
}

void tl_score_free(tl_score *s)
{
    if (!s)
        return;
    tl_arena_destroy(s->arena);
    free(s);
}

static json_t *keywords_json(const tl_score_keyword *k, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_pack("{s:s, s:f, s:i, s:i, s:s}", "term", k[i].term, "weight",
                              k[i].weight, "job_count", k[i].job_count, "resume_count",
                              k[i].resume_count, "part", tl_jd_part_name(k[i].part));
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *sections_json(const tl_score *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->n_sections; i++) {
        json_t *o = json_pack("{s:s, s:i}", "key", s->sections[i].key, "score",
                              s->sections[i].score);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *tl_score_to_json(const tl_score *s)
{
    if (!s)
        return NULL;
    json_t *matched = keywords_json(s->matched, s->n_matched);
    json_t *missing = keywords_json(s->missing, s->n_missing);
    json_t *sections = sections_json(s);
    if (!matched || !missing || !sections) {
        json_decref(matched);
        json_decref(missing);
        json_decref(sections);
        return NULL;
    }
    /* "o" steals the references, also when json_pack fails. */
    return json_pack("{s:i, s:i, s:o, s:o, s:o}", "score", s->score, "coverage", s->coverage,
                     "matched", matched, "missing", missing, "sections", sections);
}
