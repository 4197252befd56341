#include "tailor/local.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tailor/match.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

#define ID_CAP 96
#define MAX_SUMMARY_SKILLS 4
#define MAX_SENTENCES 32

struct tl_local_ctx {
    const tl_resume *orig;
    const tl_job *job;
    const tl_terms *terms;
    tl_strength strength;
    tl_matcher *m;
    /* For the composed summary (EXTENSIVE only): the current (else latest)
     * role's title, the resume's own "N years" when only the label says it,
     * and the job's skills that the resume mentions, heaviest first. */
    char title[128];
    char years[48];
    int skills[MAX_SUMMARY_SKILLS];
    size_t n_skills;
};

/* ---------------------------------------------------------------- targets */

static bool entry_has_content(const tl_entry *e)
{
    return e->n_bullets > 0 || (e->summary && e->summary[0]);
}

static tl_err push_target(tl_target **arr, size_t *n, size_t *cap, tl_target t)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        tl_target *p = realloc(*arr, ncap * sizeof *p);
        if (!p)
            return TL_ENOMEM;
        *arr = p;
        *cap = ncap;
    }
    (*arr)[(*n)++] = t;
    return TL_OK;
}

/* One target per entry, or per bullet group for long entries. */
static tl_err entry_targets(const tl_entry *e, size_t s, size_t i, tl_target **arr, size_t *n,
                            size_t *cap)
{
    tl_target t = {TL_TARGET_ENTRY, s, i, 0, 0};
    if (e->n_bullets <= TL_LOCAL_SPLIT_OVER)
        return push_target(arr, n, cap, t);
    for (size_t from = 0; from < e->n_bullets; from += TL_LOCAL_GROUP) {
        t.bullet_from = from;
        t.bullet_to = from + TL_LOCAL_GROUP < e->n_bullets ? from + TL_LOCAL_GROUP : 0;
        tl_err err = push_target(arr, n, cap, t);
        if (err)
            return err;
    }
    return TL_OK;
}

tl_err tl_local_targets(const tl_resume *r, tl_target **out, size_t *n_out)
{
    if (!r || !out || !n_out)
        return TL_EINVAL;
    tl_target *arr = NULL;
    size_t n = 0, cap = 0;
    tl_target summary = {TL_TARGET_SUMMARY, 0, 0, 0, 0};
    tl_err e = push_target(&arr, &n, &cap, summary);
    for (size_t s = 0; !e && s < r->n_sections; s++) {
        const tl_section *sec = &r->sections[s];
        if (!tl_section_tailorable(sec->kind))
            continue;
        for (size_t i = 0; !e && i < sec->n_entries; i++)
            if (entry_has_content(&sec->entries[i]))
                e = entry_targets(&sec->entries[i], s, i, &arr, &n, &cap);
    }
    if (e) {
        free(arr);
        return e;
    }
    *out = arr;
    *n_out = n;
    return TL_OK;
}

int tl_target_id(const tl_resume *r, const tl_target *t, char *out, size_t cap)
{
    if (t->kind == TL_TARGET_SUMMARY)
        return snprintf(out, cap, "basics.summary");
    if (t->section >= r->n_sections)
        return snprintf(out, cap, "?");
    const tl_section *s = &r->sections[t->section];
    if (t->bullet_from == 0 && t->bullet_to == 0)
        return snprintf(out, cap, "%s[%zu]", s->key, t->entry);
    if (t->bullet_to == 0)
        return snprintf(out, cap, "%s[%zu].%s[%zu-]", s->key, t->entry,
                        tl_section_kind_bullet_key(s->kind), t->bullet_from);
    return snprintf(out, cap, "%s[%zu].%s[%zu-%zu]", s->key, t->entry,
                    tl_section_kind_bullet_key(s->kind), t->bullet_from, t->bullet_to - 1);
}

/* ---------------------------------------------------------------- context */

/* Finds "<number> years" (digits, "6+", or a number word) in s; copies it
 * as written into out. */
static bool find_years(const char *s, char *out, size_t cap)
{
    static const char *const words[] = {"two",    "three",   "four",  "five", "six",
                                        "seven",  "eight",   "nine",  "ten",  "eleven",
                                        "twelve", "fifteen", "twenty"};
    if (!s)
        return false;
    size_t n = strlen(s), pos = 0;
    tl_word prev = {0, 0}, w;
    bool have_prev = false;
    while (tl_next_word(s, n, &pos, &w)) {
        bool years = tl_str_ieqn(s + w.start, w.len, "years", 5);
        if (years && have_prev) {
            const char *p = s + prev.start;
            bool number = isdigit((unsigned char)p[0]);
            for (size_t i = 0; !number && i < sizeof words / sizeof words[0]; i++)
                number = tl_str_ieqn(p, prev.len, words[i], strlen(words[i]));
            if (number) {
                int len = snprintf(out, cap, "%.*s", (int)(w.start + w.len - prev.start), p);
                return len > 0 && (size_t)len < cap;
            }
        }
        prev = w;
        have_prev = true;
    }
    return false;
}

/* The title of the current role, else of the first work entry, cut at the
 * first comma ("Registered Nurse, Step-Down Unit" -> "Registered Nurse");
 * else the resume's label. */
static void pick_title(const tl_resume *r, char *out, size_t cap)
{
    out[0] = '\0';
    const tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    const char *title = NULL;
    for (size_t i = 0; w && i < w->n_entries && !title; i++)
        if (tl_entry_is_current(&w->entries[i]) && w->entries[i].title)
            title = w->entries[i].title;
    if (!title && w && w->n_entries)
        title = w->entries[0].title;
    if (!title)
        title = r->basics.label;
    if (!title)
        return;
    size_t n = strcspn(title, ",|(");
    const char *p = title;
    tl_str_trim(&p, &n);
    if (n < cap) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

typedef struct skills_ctx {
    const tl_matcher *m;
    const tl_resume *r;
    bool *has;
    tl_text_match tm;
} skills_ctx;

/* Skills count where the resume shows them: the summary and the texts of
 * the sections the engine tailors, not titles, schools or certificates. */
static bool collect_skill(void *ud, const tl_text_ref *ref)
{
    skills_ctx *c = ud;
    bool shown = ref->section < 0 ? ref->slot == TL_SLOT_SUMMARY || ref->slot == TL_SLOT_LABEL
                                  : (ref->slot == TL_SLOT_BULLET || ref->slot == TL_SLOT_SUMMARY) &&
                                        tl_section_tailorable(c->r->sections[ref->section].kind);
    if (!shown)
        return true;
    tl_matcher_match(c->m, ref->text, strlen(ref->text), &c->tm);
    for (size_t i = 0; i < c->tm.n_kw; i++)
        c->has[c->tm.kw[i]] = true;
    return true;
}

/* True for the terms a summary can list as skills: dictionary terms, not
 * soft skills, certifications or the title itself ("Registered Nurse"). */
static bool summary_skill(const tl_local_ctx *c, const tl_keyword *k)
{
    if (k->term_id < 0)
        return false;
    const char *cat = tl_terms_category(c->terms, k->term_id);
    if (cat && (strcmp(cat, "soft") == 0 || strcmp(cat, "certification") == 0))
        return false;
    const char *canon = tl_terms_canonical(c->terms, k->term_id);
    return !canon || !tl_str_ifind(c->title, strlen(c->title), canon);
}

/* Skills of the job that the original resume shows, heaviest first. */
static tl_err pick_skills(tl_local_ctx *c)
{
    size_t nk = c->job->n_keywords;
    skills_ctx *sc = calloc(1, sizeof *sc);
    bool *has = calloc(nk + 1, sizeof *has);
    if (!sc || !has) {
        free(sc);
        free(has);
        return TL_ENOMEM;
    }
    sc->m = c->m;
    sc->r = c->orig;
    sc->has = has;
    tl_resume_texts(c->orig, collect_skill, sc);
    for (size_t i = 0; i < nk && c->n_skills < MAX_SUMMARY_SKILLS; i++)
        if (has[i] && summary_skill(c, &c->job->keywords[i]))
            c->skills[c->n_skills++] = (int)i;
    free(sc);
    free(has);
    return TL_OK;
}

tl_err tl_local_ctx_create(const tl_resume *original, const tl_job *job, const tl_terms *terms,
                           tl_strength strength, tl_local_ctx **out)
{
    if (!original || !job || !terms || !out || (int)strength < 0 ||
        strength > TL_STRENGTH_EXTENSIVE)
        return TL_EINVAL;
    tl_local_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->orig = original;
    c->job = job;
    c->terms = terms;
    c->strength = strength ? strength : TL_STRENGTH_BALANCED;
    tl_err e = tl_matcher_create(job, terms, &c->m);
    if (!e && c->strength >= TL_STRENGTH_EXTENSIVE) {
        pick_title(original, c->title, sizeof c->title);
        /* Years said in the summary stay there; only a label's are reused. */
        char tmp[48];
        if (!find_years(original->basics.summary, tmp, sizeof tmp))
            find_years(original->basics.label, c->years, sizeof c->years);
        e = pick_skills(c);
    }
    if (e) {
        tl_local_ctx_free(c);
        return e;
    }
    *out = c;
    return TL_OK;
}

const tl_matcher *tl_local_ctx_matcher(const tl_local_ctx *ctx)
{
    return ctx ? ctx->m : NULL;
}

void tl_local_ctx_free(tl_local_ctx *ctx)
{
    if (!ctx)
        return;
    tl_matcher_free(ctx->m);
    free(ctx);
}

/* ------------------------------------------------------------- wording */

/* How to name keyword kw in a reason: the dictionary's spelling ("Go"),
 * else the phrase as the job writes it. */
static const char *kw_name(const tl_local_ctx *c, int kw)
{
    const tl_keyword *k = &c->job->keywords[kw];
    if (k->term_id >= 0)
        return tl_terms_canonical(c->terms, k->term_id);
    return k->surface && k->surface[0] ? k->surface : k->term;
}

/* How to name keyword kw in the resume's own text: the job's spelling
 * when it is a spelling of the dictionary's term rather than a longer
 * phrase ("hemodynamic monitoring", "Go"), else the dictionary's, in
 * lower case when it is a common-noun phrase ("patient education"). */
static const char *kw_text(const tl_local_ctx *c, int kw, char *buf, size_t cap)
{
    const tl_keyword *k = &c->job->keywords[kw];
    const char *canon = kw_name(c, kw);
    const char *js;
    size_t jl;
    if (k->term_id >= 0 && tl_matcher_job_spelling(c->m, kw, &js, &jl) && jl < cap &&
        (tl_str_ieqn(js, jl, canon, strlen(canon)) ||
         tl_respell_allowed(c->terms, k->term_id, canon, strlen(canon), js, jl))) {
        memcpy(buf, js, jl);
        buf[jl] = '\0';
        return buf;
    }
    size_t n = strlen(canon);
    const char *sp = strchr(canon, ' ');
    if (!sp || n >= cap)
        return canon;
    for (size_t i = 1; i < n; i++)
        if (isupper((unsigned char)canon[i]))
            return canon; /* "Apache Kafka", "Power BI": a name */
    memcpy(buf, canon, n + 1);
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* "Kafka, a requirement"; "Kafka and PostgreSQL, requirements";
 * "Go (a requirement) and Redis (nice to have)": at most 3 keywords. */
static void describe_kws(const tl_local_ctx *c, const int *kw, size_t n, char *out, size_t cap)
{
    if (n > 3)
        n = 3;
    tl_buf b;
    tl_buf_init(&b, cap - 1);
    bool same_part = true;
    for (size_t i = 1; i < n; i++)
        same_part = same_part && c->job->keywords[kw[i]].part == c->job->keywords[kw[0]].part;
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && !e; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        e = tl_buf_printf(&b, "%s%s", sep, kw_name(c, kw[i]));
        if (!e && !same_part)
            e = tl_buf_printf(&b, " (%s)", tl_part_phrase(c->job->keywords[kw[i]].part, false));
    }
    if (!e && same_part && n)
        e = tl_buf_printf(&b, ", %s", tl_part_phrase(c->job->keywords[kw[0]].part, n > 1));
    snprintf(out, cap, "%s", tl_buf_str(&b));
    tl_buf_free(&b);
}

/* ------------------------------------------------------------- respelling */

/* True when the resume's spelling p[0..len) at start of text should become
 * the job's js[0..jl). */
static bool wants_respelling(const tl_local_ctx *c, const char *text, size_t start, size_t len,
                             int id, const char *js, size_t jl)
{
    const char *p = text + start;
    if (!tl_respell_allowed(c->terms, id, p, len, js, jl))
        return false;
    /* "kafka" -> "Kafka" only where the case means something. */
    return !tl_str_ieqn(p, len, js, jl) || tl_case_informative(text, strlen(text), start, len);
}

/* Rewrites every job keyword in *slot to the job's spelling (tm describes
 * *slot) and records one TERM change for the text. */
static tl_err respell(const tl_local_ctx *c, tl_resume *out, char **slot, const tl_text_match *tm,
                      const char *id, tl_changes *ch)
{
    const char *text = *slot;
    tl_buf b, why;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_buf_init(&why, 400);
    size_t at = 0, n_changed = 0;
    tl_err e = TL_OK;
    for (size_t i = 0; i < tm->n_terms && !e; i++) {
        const tl_term_match *t = &tm->terms[i];
        int kw = tl_matcher_keyword_of_term(c->m, t->id);
        const char *js;
        size_t jl;
        if (kw < 0 || !tl_matcher_job_spelling(c->m, kw, &js, &jl))
            continue;
        size_t len = tl_term_stem(c->terms, t->id, text + t->start, t->len);
        if (!wants_respelling(c, text, t->start, len, t->id, js, jl))
            continue;
        e = tl_buf_append(&b, text + at, t->start - at);
        if (!e)
            e = tl_buf_append(&b, js, jl);
        if (!e && n_changed < 4)
            e = tl_buf_printf(&why, "%s%.*s as %.*s", n_changed ? " and " : "", (int)len,
                              text + t->start, (int)jl, js);
        at = t->start + len;
        n_changed++;
    }
    if (!e && n_changed) {
        e = tl_buf_puts(&b, text + at);
        /* The old text stays valid: it lives in out's arena. */
        if (!e)
            e = tl_resume_set(out, slot, tl_buf_str(&b));
        if (!e && ch)
            e = tl_changes_add(ch, TL_CHANGE_TERM, id, text, *slot, "respelled %s, the job's %s",
                               tl_buf_str(&why), n_changed > 1 ? "spellings" : "spelling");
    }
    tl_buf_free(&b);
    tl_buf_free(&why);
    return e;
}

/* Matches *slot and respells it; tm is left describing the original text
 * (respelling keeps the same terms, so its relevance still holds). */
static tl_err match_and_respell(const tl_local_ctx *c, tl_resume *out, char **slot,
                                tl_text_match *tm, const char *id, tl_changes *ch)
{
    if (!*slot) {
        tm->n_terms = tm->n_kw = 0;
        tm->relevance = 0;
        return TL_OK;
    }
    tl_matcher_match(c->m, *slot, strlen(*slot), tm);
    return respell(c, out, slot, tm, id, ch);
}

/* ------------------------------------------------------------ weak openings */

typedef enum family { FAM_OWN, FAM_WORK, FAM_HELP, FAM_PART, FAM_WITH } family;

/* clang-format off */
static const struct {
    const char *phrase;
    family fam;
} weak_openings[] = {
    {"was responsible for", FAM_OWN}, {"responsible for", FAM_OWN}, {"in charge of", FAM_OWN},
    {"tasked with", FAM_OWN},         {"duties included", FAM_OWN}, {"worked on", FAM_WORK},
    {"worked with", FAM_WITH},        {"helped with", FAM_HELP},    {"helped to", FAM_HELP},
    {"helped", FAM_HELP},             {"assisted in", FAM_HELP},    {"assisted with", FAM_HELP},
    {"assisted", FAM_HELP},           {"involved in", FAM_PART},    {"was involved in", FAM_PART},
    {"participated in", FAM_PART},    {"took part in", FAM_PART},
};
/* clang-format on */

/* Action verbs chosen by what the bullet is about. `owning` verbs claim
 * leadership or ownership, so only bullets that said "Responsible for"
 * (or alike) may get them. */
static const struct {
    const char *verb;
    const char *why;
    bool owning;
    const char *words; /* space-separated, matched as whole words */
} verb_by_topic[] = {
    {"lead", "a team", true,
     " team teams staff engineers people nurses group squad department crew reports "},
    {"design", "design work", false, " design designs architecture ux ui wireframes "},
    {"analyse", "analysis", false,
     " analysis analyses analytics reporting report reports metrics research data insights "},
    {"manage", "managing work", true,
     " budget budgets project projects program programs operations vendor vendors inventory "
     "schedule schedules scheduling logistics accounts process processes "},
    {"build", "building something", false,
     " pipeline pipelines infrastructure tooling tool tools system systems platform "},
    {"develop", "software", false,
     " service services api apis application applications app apps feature features website "
     "software code integration integrations "},
    {"support", "supporting people", false,
     " customer customers client clients patient patients user users "},
    {"ensure", "quality", true, " quality compliance safety accuracy "},
    {"write", "writing", false, " documentation docs content copy blog articles "},
    {"train", "training", false, " training onboarding "},
    {"test", "testing", false, " test tests testing qa "},
};

static bool has_word(const char *list, const char *w, size_t n)
{
    char key[40];
    if (n + 3 > sizeof key)
        return false;
    key[0] = ' ';
    for (size_t i = 0; i < n; i++)
        key[i + 1] = (char)tolower((unsigned char)w[i]);
    key[n + 1] = ' ';
    key[n + 2] = '\0';
    return strstr(list, key) != NULL;
}

/* The table row whose words the text uses first, or -1. */
static int topic_verb(const char *rest, bool may_own)
{
    size_t n = strlen(rest), pos = 0;
    tl_word w;
    while (tl_next_word(rest, n, &pos, &w))
        for (size_t i = 0; i < sizeof verb_by_topic / sizeof verb_by_topic[0]; i++)
            if ((may_own || !verb_by_topic[i].owning) &&
                has_word(verb_by_topic[i].words, rest + w.start, w.len))
                return (int)i;
    return -1;
}

/* The weak opening text starts with (followed by a space), or -1. */
static int find_weak_opening(const char *text, size_t *len)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof weak_openings / sizeof weak_openings[0]; i++) {
        size_t pl = strlen(weak_openings[i].phrase);
        if (pl > best_len && tl_str_istarts(text, weak_openings[i].phrase) && text[pl] == ' ') {
            best = (int)i;
            best_len = pl;
        }
    }
    *len = best_len;
    return best;
}

typedef struct rewrite {
    char text[1024]; /* the new bullet */
    char opening[64];
    char why[64];
} rewrite;

/* Appends verb (in form) and rest to rw->text. */
static bool put_rewrite(rewrite *rw, const char *verb_base, const char *particle, tl_verb_form form,
                        const char *rest)
{
    tl_verb_form f;
    int v = tl_verb_find(verb_base, strlen(verb_base), &f);
    char vb[32];
    if (v < 0 || !tl_verb_spell(v, form, true, vb, sizeof vb))
        return false;
    int n = snprintf(rw->opening, sizeof rw->opening, "%s%s", vb, particle);
    if (n < 0 || (size_t)n >= sizeof rw->opening)
        return false;
    n = snprintf(rw->text, sizeof rw->text, "%s %s", rw->opening, rest);
    return n > 0 && (size_t)n < sizeof rw->text;
}

/* Replaces a weak opening with an action verb. False when the bullet has
 * none, or no fitting verb is known (the bullet is then left alone). */
static bool strengthen(const char *text, tl_verb_form form, rewrite *rw)
{
    size_t plen;
    int wi = find_weak_opening(text, &plen);
    if (wi < 0)
        return false;
    family fam = weak_openings[wi].fam;
    const char *rest = text + plen;
    while (*rest == ' ')
        rest++;
    if (!*rest)
        return false;
    size_t n = strlen(rest), pos = 0;
    tl_word first;
    if (!tl_next_word(rest, n, &pos, &first) || first.start != 0)
        return false;
    tl_verb_form ff;
    int v = tl_verb_find(rest, first.len, &ff);
    const char *after = rest + first.len;
    while (*after == ' ')
        after++;
    snprintf(rw->why, sizeof rw->why, "it fits the bullet");
    /* "Responsible for managing X" -> "Managed X"; "Helped to build X" and
     * "Helped with building X" -> "Contributed to building X": helping is
     * not doing, so the verb says contribution, not ownership. */
    bool helped_to = strcmp(weak_openings[wi].phrase, "helped to") == 0;
    if (v >= 0 && (ff == TL_VERB_GERUND || (ff == TL_VERB_BASE && helped_to))) {
        if (fam == FAM_OWN || fam == FAM_WORK) {
            char base[32];
            if (!tl_verb_spell(v, TL_VERB_BASE, false, base, sizeof base))
                return false;
            snprintf(rw->why, sizeof rw->why, "it names the work done");
            return put_rewrite(rw, base, "", form, after);
        }
        char ger[40];
        if (!tl_verb_spell(v, TL_VERB_GERUND, false, ger, sizeof ger))
            return false;
        char tail[1000];
        int k = snprintf(tail, sizeof tail, "%s %s", ger, after);
        if (k < 0 || (size_t)k >= sizeof tail)
            return false;
        snprintf(rw->why, sizeof rw->why, "it says what the contribution was");
        return put_rewrite(rw, "contribute", " to", form, tail);
    }
    switch (fam) {
    case FAM_OWN:
    case FAM_WORK: {
        int t = topic_verb(rest, fam == FAM_OWN);
        /* Avoid "Designed design reviews": the verb must not echo the noun. */
        if (t >= 0 && !tl_str_istarts(rest, verb_by_topic[t].verb)) {
            snprintf(rw->why, sizeof rw->why, "the bullet is about %s", verb_by_topic[t].why);
            return put_rewrite(rw, verb_by_topic[t].verb, "", form, rest);
        }
        if (fam == FAM_OWN)
            return put_rewrite(rw, "own", "", form, rest);
        return put_rewrite(rw, "contribute", " to", form, rest);
    }
    case FAM_WITH: return put_rewrite(rw, "collaborate", " with", form, rest);
    case FAM_HELP: return put_rewrite(rw, "support", "", form, rest);
    case FAM_PART: return put_rewrite(rw, "contribute", " to", form, rest);
    }
    return false;
}

/* ----------------------------------------------------------- entry target */

typedef struct binfo {
    char *text;
    double rel;
    size_t overlap;
    size_t old; /* index in the entry before reordering */
    int kw[3];
    size_t n_kw;
} binfo;

/* True when a sorts before b. */
static bool ranks_before(const binfo *a, const binfo *b, bool by_overlap)
{
    if (a->rel != b->rel)
        return a->rel > b->rel;
    return by_overlap && a->overlap > b->overlap;
}

/* Stable insertion sort: n is at most TL_MAX_BULLETS. */
static void rank(binfo *bi, size_t n, bool by_overlap)
{
    for (size_t i = 1; i < n; i++) {
        binfo x = bi[i];
        size_t j = i;
        while (j > 0 && ranks_before(&x, &bi[j - 1], by_overlap)) {
            bi[j] = bi[j - 1];
            j--;
        }
        bi[j] = x;
    }
}

typedef struct entry_job {
    const tl_local_ctx *c;
    tl_resume *out;
    size_t s, i;
    tl_entry *e;
    size_t from, to;
    bool skills;
    tl_changes *ch;
    tl_text_match *tm;
} entry_job;

static void bullet_id(const entry_job *j, size_t b, char *id)
{
    tl_resume_entry_id(j->out, j->s, j->i, (int)b, id, ID_CAP);
}

/* Respells the bullets of the group and gathers what ranking needs. */
static tl_err read_bullets(entry_job *j, binfo *bi)
{
    char id[ID_CAP];
    for (size_t b = j->from; b < j->to; b++) {
        bullet_id(j, b, id);
        tl_err e = match_and_respell(j->c, j->out, &j->e->bullets[b], j->tm, id, j->ch);
        if (e)
            return e;
        binfo *x = &bi[b - j->from];
        x->text = j->e->bullets[b];
        x->old = b;
        x->rel = j->tm->relevance;
        x->n_kw = j->tm->n_kw < 3 ? j->tm->n_kw : 3;
        for (size_t k = 0; k < x->n_kw; k++)
            x->kw[k] = j->tm->kw[k];
        /* A skill counts as matched or not: the best-matching skill must not
         * jump ahead of another matched one. */
        if (j->skills)
            x->rel = x->rel > 0 ? 1 : 0;
        x->overlap = 0;
    }
    return TL_OK;
}

/* Records why a bullet moved: up for what it mentions; down (BALANCED,
 * long entries) when it mentions nothing the job asks for. */
static tl_err report_move(entry_job *j, const binfo *x, size_t now, bool by_overlap)
{
    char id[ID_CAP], kws[200];
    bullet_id(j, now, id);
    if (now < x->old && x->n_kw) {
        describe_kws(j->c, x->kw, x->n_kw, kws, sizeof kws);
        if (j->skills)
            return tl_changes_add(j->ch, TL_CHANGE_REORDER, id, x->text, x->text,
                                  "moved up from %zu to %zu: the job asks for %s", x->old + 1,
                                  now + 1, kws);
        return tl_changes_add(j->ch, TL_CHANGE_REORDER, id, x->text, x->text,
                              "moved up from %zu to %zu: mentions %s", x->old + 1, now + 1, kws);
    }
    if (now > x->old && by_overlap && x->rel == 0)
        return tl_changes_add(j->ch, TL_CHANGE_REORDER, id, x->text, x->text,
                              "moved down from %zu to %zu: mentions nothing the job asks for",
                              x->old + 1, now + 1);
    return TL_OK;
}

/* Orders the group's bullets and records the moves. BALANCED also ranks,
 * in long entries that have something relevant, the bullets that mention
 * no keyword by how much of the job's wording they share, so that the
 * least related end last. */
static tl_err reorder(entry_job *j, binfo *bi)
{
    size_t n = j->to - j->from;
    bool balanced = j->c->strength >= TL_STRENGTH_BALANCED;
    if (j->skills && !balanced)
        return TL_OK; /* CONSERVATIVE leaves skills lists in their order */
    bool any_relevant = false;
    for (size_t k = 0; k < n; k++)
        any_relevant = any_relevant || bi[k].rel > 0;
    bool by_overlap = !j->skills && balanced && j->e->n_bullets > 4 && any_relevant;
    if (by_overlap)
        for (size_t k = 0; k < n; k++)
            bi[k].overlap = tl_matcher_overlap(j->c->m, bi[k].text, strlen(bi[k].text));
    rank(bi, n, by_overlap);
    for (size_t k = 0; k < n; k++) {
        j->e->bullets[j->from + k] = bi[k].text;
        if (j->ch && bi[k].old != j->from + k) {
            tl_err e = report_move(j, &bi[k], j->from + k, by_overlap);
            if (e)
                return e;
        }
    }
    return TL_OK;
}

static tl_verb_form entry_tense(const tl_entry *e)
{
    return tl_entry_is_current(e) ? TL_VERB_BASE : TL_VERB_PAST;
}

static tl_err strengthen_bullets(entry_job *j)
{
    tl_verb_form form = entry_tense(j->e);
    rewrite *rw = malloc(sizeof *rw);
    if (!rw)
        return TL_ENOMEM;
    tl_err e = TL_OK;
    char id[ID_CAP];
    for (size_t b = j->from; b < j->to && !e; b++) {
        char **slot = &j->e->bullets[b];
        if (!strengthen(*slot, form, rw))
            continue;
        size_t plen;
        find_weak_opening(*slot, &plen);
        char *before = *slot; /* arena memory: stays valid after the set */
        e = tl_resume_set(j->out, slot, rw->text);
        bullet_id(j, b, id);
        if (!e && j->ch)
            e = tl_changes_add(j->ch, TL_CHANGE_REWRITE, id, before, *slot,
                               "stronger opening: \"%.*s\" became \"%s\", as %s", (int)plen, before,
                               rw->opening, rw->why);
    }
    free(rw);
    return e;
}

static tl_err tailor_entry(const tl_local_ctx *c, const tl_target *t, tl_resume *out,
                           tl_changes *ch)
{
    if (t->section >= out->n_sections || t->entry >= out->sections[t->section].n_entries)
        return TL_EINVAL;
    tl_section *sec = &out->sections[t->section];
    entry_job j = {
        c,  out, t->section, t->entry, &sec->entries[t->entry], 0, 0, sec->kind == TL_SEC_SKILLS,
        ch, NULL};
    j.from = t->bullet_from;
    j.to = tl_target_bullet_end(t, j.e);
    if (j.from > j.to)
        return TL_EINVAL;
    tl_err e = TL_ENOMEM;
    binfo *bi = calloc(j.to - j.from + 1, sizeof *bi);
    j.tm = malloc(sizeof *j.tm);
    if (!bi || !j.tm)
        goto done;
    if (j.from == 0) {
        char id[ID_CAP];
        int n = tl_resume_entry_id(out, j.s, j.i, -1, id, sizeof id);
        snprintf(id + (n > 0 && (size_t)n < sizeof id ? (size_t)n : 0),
                 sizeof id - (n > 0 && (size_t)n < sizeof id ? (size_t)n : 0), ".summary");
        if ((e = match_and_respell(c, out, &j.e->summary, j.tm, id, ch)) != TL_OK)
            goto done;
    }
    if ((e = read_bullets(&j, bi)) != TL_OK || (e = reorder(&j, bi)) != TL_OK)
        goto done;
    if (c->strength >= TL_STRENGTH_EXTENSIVE && !j.skills)
        e = strengthen_bullets(&j);
done:
    free(bi);
    free(j.tm);
    return e;
}

/* --------------------------------------------------------- summary target */

typedef struct sentence {
    const char *p;
    size_t n;
    double rel;
    int kw[3];
    size_t n_kw;
} sentence;

/* True when the period at s[i] ends an abbreviation or an initial ("M.S.",
 * "e.g.", "Inc.") rather than a sentence. */
static bool abbreviation_before(const char *s, size_t i)
{
    size_t k = i;
    while (k > 0 && isalpha((unsigned char)s[k - 1]))
        k--;
    size_t len = i - k;
    if (len == 1)
        return true;
    static const char *const abbr[] = {"eg",  "ie", "etc", "vs",     "dr",  "mr",
                                       "mrs", "ms", "inc", "ltd",    "co",  "st",
                                       "jr",  "sr", "no",  "approx", "e.g", "i.e"};
    for (size_t a = 0; a < sizeof abbr / sizeof abbr[0]; a++)
        if (tl_str_ieqn(s + k, len, abbr[a], strlen(abbr[a])))
            return true;
    return false;
}

/* Splits s into sentences: a ".", "!" or "?" followed by spaces and a
 * capital letter or a digit, not after an abbreviation. */
static size_t split_sentences(const char *s, sentence *out, size_t cap)
{
    size_t n = strlen(s), start = 0, count = 0;
    for (size_t i = 0; i < n && count + 1 < cap; i++) {
        if (s[i] != '.' && s[i] != '!' && s[i] != '?')
            continue;
        size_t k = i + 1;
        if (k >= n || !isspace((unsigned char)s[k]))
            continue;
        while (k < n && isspace((unsigned char)s[k]))
            k++;
        if (k >= n || !(isupper((unsigned char)s[k]) || isdigit((unsigned char)s[k])))
            continue;
        if (s[i] == '.' && abbreviation_before(s, i))
            continue;
        const char *p = s + start;
        size_t len = i + 1 - start;
        tl_str_trim(&p, &len);
        if (len)
            out[count++] = (sentence){p, len, 0, {0}, 0};
        start = k;
    }
    const char *p = s + start;
    size_t len = n - start;
    tl_str_trim(&p, &len);
    if (len)
        out[count++] = (sentence){p, len, 0, {0}, 0};
    return count;
}

/* BALANCED: the summary's sentences, most relevant first (stable). */
static tl_err reorder_summary(const tl_local_ctx *c, tl_resume *out, tl_text_match *tm,
                              tl_changes *ch)
{
    sentence st[MAX_SENTENCES];
    size_t n = split_sentences(out->basics.summary, st, MAX_SENTENCES);
    if (n < 2)
        return TL_OK;
    for (size_t i = 0; i < n; i++) {
        tl_matcher_match(c->m, st[i].p, st[i].n, tm);
        st[i].rel = tm->relevance;
        st[i].n_kw = tm->n_kw < 3 ? tm->n_kw : 3;
        for (size_t k = 0; k < st[i].n_kw; k++)
            st[i].kw[k] = tm->kw[k];
    }
    bool moved = false;
    for (size_t i = 1; i < n; i++) {
        sentence x = st[i];
        size_t j = i;
        while (j > 0 && x.rel > st[j - 1].rel) {
            st[j] = st[j - 1];
            j--;
        }
        st[j] = x;
        moved = moved || j != i;
    }
    if (!moved)
        return TL_OK;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && !e; i++)
        e = tl_buf_printf(&b, "%s%.*s", i ? " " : "", (int)st[i].n, st[i].p);
    char *before = out->basics.summary;
    if (!e)
        e = tl_resume_set(out, &out->basics.summary, tl_buf_str(&b));
    tl_buf_free(&b);
    if (!e && ch) {
        char kws[200];
        describe_kws(c, st[0].kw, st[0].n_kw, kws, sizeof kws);
        e = tl_changes_add(ch, TL_CHANGE_SUMMARY, "basics.summary", before, out->basics.summary,
                           "reordered: now leads with the sentence that mentions %s", kws);
    }
    return e;
}

/* EXTENSIVE: "<title> with [N years of ]experience in A, B and C." from
 * what the resume already says; "" when it lacks a title or skills. */
static tl_err compose_sentence(const tl_local_ctx *c, tl_buf *b)
{
    if (!c->title[0] || c->n_skills == 0)
        return TL_OK;
    tl_err e = tl_buf_printf(b, "%s with %s%sexperience in ", c->title, c->years,
                             c->years[0] ? " of " : "");
    for (size_t i = 0; i < c->n_skills && !e; i++) {
        const char *sep = i == 0 ? "" : i + 1 == c->n_skills ? " and " : ", ";
        char nb[64];
        e = tl_buf_printf(b, "%s%s", sep, kw_text(c, c->skills[i], nb, sizeof nb));
    }
    return e ? e : tl_buf_putc(b, '.');
}

/* "Skilled in A, B and C." from the job's skills the resume already has. */
static tl_err skills_sentence(const tl_local_ctx *c, tl_buf *b)
{
    tl_err e = tl_buf_puts(b, "Skilled in ");
    for (size_t i = 0; i < c->n_skills && !e; i++) {
        const char *sep = i == 0 ? "" : i + 1 == c->n_skills ? " and " : ", ";
        char nb[64];
        e = tl_buf_printf(b, "%s%s", sep, kw_text(c, c->skills[i], nb, sizeof nb));
    }
    return e ? e : tl_buf_putc(b, '.');
}

/* Length of the first sentence of s (through its full stop), or 0 when s
 * is one sentence. */
static size_t first_sentence_len(const char *s)
{
    const char *dot = strstr(s, ". ");
    return dot ? (size_t)(dot - s) + 1 : 0;
}

/* True when the summary opens by naming the resume's title, or the end of
 * it ("Software engineer with..." for "Senior Software Engineer"). */
static bool opens_with_title(const char *summary, const char *title)
{
    if (tl_str_istarts(summary, title))
        return true;
    const char *with = strstr(summary, " with ");
    if (!with || with - summary > 60)
        return false;
    size_t n = (size_t)(with - summary), tn = strlen(title);
    return n >= 4 && n <= tn && tl_str_ieqn(title + tn - n, n, summary, n);
}

/* The new summary text into b. A summary that already opens with the
 * resume's title ("Registered nurse with 6 years...") keeps that opening
 * and gets the skills as its second sentence, so the title is not said
 * twice; any other summary gets the composed sentence in front. */
static tl_err build_composed_summary(const tl_local_ctx *c, const char *old, tl_buf *b)
{
    if (old && old[0] && opens_with_title(old, c->title)) {
        size_t head = first_sentence_len(old);
        if (head == 0)
            head = strlen(old);
        tl_err e = tl_buf_append(b, old, head);
        if (!e)
            e = tl_buf_putc(b, ' ');
        if (!e)
            e = skills_sentence(c, b);
        if (!e && old[head])
            e = tl_buf_puts(b, old + head);
        return e;
    }
    tl_err e = compose_sentence(c, b);
    if (!e && old && old[0])
        e = tl_buf_printf(b, " %s", old);
    return e;
}

static tl_err compose_summary(const tl_local_ctx *c, tl_resume *out, tl_changes *ch)
{
    if (!c->title[0] || c->n_skills == 0)
        return TL_OK;
    const char *old = out->basics.summary;
    tl_buf probe;
    tl_buf_init(&probe, TL_MAX_FIELD_BYTES);
    tl_err e = skills_sentence(c, &probe);
    bool done_before = !e && old && strstr(old, tl_buf_str(&probe));
    tl_buf_free(&probe);
    if (e || done_before)
        return e;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    e = build_composed_summary(c, old, &b);
    if (e || (old && tl_str_istarts(old, tl_buf_str(&b)) && strlen(old) == b.len)) {
        tl_buf_free(&b);
        return e;
    }
    char skills[200] = "";
    size_t sl = 0;
    for (size_t i = 0; i < c->n_skills && sl < sizeof skills; i++) {
        char nb[64];
        int k = snprintf(skills + sl, sizeof skills - sl, "%s%s", i ? ", " : "",
                         kw_text(c, c->skills[i], nb, sizeof nb));
        sl += k > 0 ? (size_t)k : 0;
    }
    char *before = out->basics.summary;
    e = tl_resume_set(out, &out->basics.summary, tl_buf_str(&b));
    tl_buf_free(&b);
    if (!e && ch)
        e = tl_changes_add(ch, TL_CHANGE_SUMMARY, "basics.summary", before, out->basics.summary,
                           "composed from the resume's own title (%s) and the skills it shows "
                           "that the job asks for (%s)",
                           c->title, skills);
    return e;
}

static tl_err tailor_summary(const tl_local_ctx *c, tl_resume *out, tl_changes *ch)
{
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return TL_ENOMEM;
    tl_err e = match_and_respell(c, out, &out->basics.summary, tm, "basics.summary", ch);
    if (!e && out->basics.summary && c->strength >= TL_STRENGTH_BALANCED)
        e = reorder_summary(c, out, tm, ch);
    if (!e && c->strength >= TL_STRENGTH_EXTENSIVE)
        e = compose_summary(c, out, ch);
    free(tm);
    return e;
}

tl_err tl_local_tailor(const tl_local_ctx *ctx, const tl_target *t, tl_resume *out,
                       tl_changes *changes)
{
    if (!ctx || !t || !out)
        return TL_EINVAL;
    if (t->kind == TL_TARGET_SUMMARY)
        return tailor_summary(ctx, out, changes);
    if (t->kind == TL_TARGET_ENTRY)
        return tailor_entry(ctx, t, out, changes);
    return TL_EINVAL;
}
