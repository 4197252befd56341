#include "tailor/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tailor/match.h"
#include "util/hash.h"

/* What the resume says about each job keyword, gathered in one walk. */
typedef struct kw_seen {
    int count;       /* mentions in the whole resume */
    bool spelled_ok; /* every dictionary mention uses the job's spelling */
    bool prominent;  /* mentioned in the summary, label or a leading bullet */
} kw_seen;

/* What one text says, kept so that a text met again (the same in the
 * tailored resume as in the original) is not scanned twice. */
typedef struct hit {
    int kw, count;
    bool spelled_ok;
} hit;

typedef struct memo_text {
    uint64_t h;
    size_t len, first, n; /* hits[first, first + n) */
} memo_text;

typedef struct memo {
    memo_text *texts; /* open addressing on h; len 0 marks a free slot */
    size_t mask;
    hit *hits;
    size_t n_hits, cap_hits;
    bool recording; /* else looking up */
} memo;

typedef struct walk_ctx {
    const tl_resume *r;
    const tl_matcher *m;
    kw_seen *seen;    /* one per job keyword */
    bool *in_section; /* one per job keyword per section slot */
    size_t n_kw;
    size_t n_slots; /* 1 (the summary) + the resume's sections */
    memo *memo;     /* may be NULL */
    bool oom;
    tl_text_match tm; /* scratch */
    hit scratch[TL_MATCH_MAX_KW];
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

static memo_text *memo_find(memo *mo, uint64_t h, size_t len)
{
    for (size_t i = (size_t)h & mo->mask;; i = (i + 1) & mo->mask) {
        memo_text *t = &mo->texts[i];
        if (t->len == 0 || (t->h == h && t->len == len))
            return t;
    }
}

/* The hits of one text: from the memo when it was met, else scanned (and
 * recorded when the memo records). */
static bool text_hits(walk_ctx *c, const char *text, const hit **out, size_t *n)
{
    size_t len = strlen(text);
    memo_text *mt = NULL;
    if (c->memo) {
        mt = memo_find(c->memo, tl_hash64(text, len, 0), len);
        if (mt->len) {
            *out = c->memo->hits + mt->first;
            *n = mt->n;
            return true;
        }
    }
    tl_matcher_match(c->m, text, len, &c->tm);
    hit *scratch = c->scratch;
    for (size_t i = 0; i < c->tm.n_kw; i++)
        scratch[i] = (hit){c->tm.kw[i], c->tm.kw_count[i], c->tm.kw_job_spelling[i]};
    *out = scratch;
    *n = c->tm.n_kw;
    if (!mt || !c->memo->recording)
        return true;
    memo *mo = c->memo;
    if (mo->n_hits + *n > mo->cap_hits) {
        size_t cap = mo->cap_hits ? mo->cap_hits * 2 : 256;
        while (cap < mo->n_hits + *n)
            cap *= 2;
        hit *p = realloc(mo->hits, cap * sizeof *p);
        if (!p)
            return false;
        mo->hits = p;
        mo->cap_hits = cap;
    }
    if (*n)
        memcpy(mo->hits + mo->n_hits, scratch, *n * sizeof *scratch);
    *mt = (memo_text){tl_hash64(text, len, 0), len, mo->n_hits, *n};
    mo->n_hits += *n;
    return true;
}

static bool on_text(void *ud, const tl_text_ref *ref)
{
    walk_ctx *c = ud;
    int slot = slot_of(ref);
    if (slot < 0 && ref->slot != TL_SLOT_LOCATION)
        return true;
    const hit *hits;
    size_t n;
    if (!text_hits(c, ref->text, &hits, &n)) {
        c->oom = true;
        return false;
    }
    bool prominent = is_prominent(c->r, ref);
    for (size_t i = 0; i < n; i++) {
        kw_seen *s = &c->seen[hits[i].kw];
        s->count += hits[i].count;
        s->spelled_ok = s->spelled_ok && hits[i].spelled_ok;
        s->prominent = s->prominent || prominent;
        if (slot >= 0)
            c->in_section[(size_t)slot * c->n_kw + (size_t)hits[i].kw] = true;
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

static tl_err compute(const tl_resume *r, const tl_matcher *m, memo *mo, tl_score **out)
{
    const tl_job *j = m ? tl_matcher_job(m) : NULL;
    if (!r || !j || !out)
        return TL_EINVAL;
    tl_err e = TL_ENOMEM;
    walk_ctx *c = calloc(1, sizeof *c);
    tl_score *s = calloc(1, sizeof *s);
    if (!c || !s || !(s->arena = tl_arena_create()))
        goto fail;
    c->r = r;
    c->m = m;
    c->memo = mo;
    c->n_kw = j->n_keywords;
    c->n_slots = 1 + r->n_sections;
    c->seen = calloc(c->n_kw + 1, sizeof *c->seen);
    c->in_section = calloc(c->n_slots * c->n_kw + 1, sizeof *c->in_section);
    if (!c->seen || !c->in_section)
        goto fail;
    for (size_t i = 0; i < c->n_kw; i++)
        c->seen[i].spelled_ok = true;
    tl_resume_texts(r, on_text, c);
    if (c->oom || (e = summarise(s, r, j, c)) != TL_OK)
        goto fail;
    free(c->seen);
    free(c->in_section);
    free(c);
    *out = s;
    return TL_OK;
fail:
    if (c) {
        free(c->seen);
        free(c->in_section);
    }
    free(c);
    tl_score_free(s);
    return e ? e : TL_ENOMEM;
}

tl_err tl_score_compute_with(const tl_resume *r, const tl_matcher *m, tl_score **out)
{
    return compute(r, m, NULL, out);
}

static bool count_cb(void *ud, const tl_text_ref *ref)
{
    (void)ref;
    ++*(size_t *)ud;
    return true;
}

tl_err tl_score_compute_pair(const tl_resume *before, const tl_resume *after, const tl_matcher *m,
                             tl_score **out_before, tl_score **out_after)
{
    if (!before || !after || !m || !out_before || !out_after)
        return TL_EINVAL;
    size_t n = 0;
    tl_resume_texts(before, count_cb, &n);
    memo mo = {0};
    size_t cap = 16;
    while (cap < 2 * n + 1)
        cap *= 2;
    mo.texts = calloc(cap, sizeof *mo.texts);
    if (!mo.texts)
        return TL_ENOMEM;
    mo.mask = cap - 1;
    mo.recording = true;
    tl_score *b = NULL, *a = NULL;
    tl_err e = compute(before, m, &mo, &b);
    mo.recording = false;
    if (!e)
        e = compute(after, m, &mo, &a);
    free(mo.texts);
    free(mo.hits);
    if (e) {
        tl_score_free(b);
        return e;
    }
    *out_before = b;
    *out_after = a;
    return TL_OK;
}

tl_err tl_score_compute(const tl_resume *r, const tl_job *j, const tl_terms *t, tl_score **out)
{
    if (!r || !j || !t || !out)
        return TL_EINVAL;
    tl_matcher *m = NULL;
    tl_err e = tl_matcher_create(j, t, &m);
    if (!e)
        e = tl_score_compute_with(r, m, out);
    tl_matcher_free(m);
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
        json_t *o = json_pack("{s:s, s:f, s:i, s:i, s:s}", "term", k[i].term, "weight", k[i].weight,
                              "job_count", k[i].job_count, "resume_count", k[i].resume_count,
                              "part", tl_jd_part_name(k[i].part));
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
        json_t *o =
            json_pack("{s:s, s:i}", "key", s->sections[i].key, "score", s->sections[i].score);
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
