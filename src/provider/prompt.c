/* Prompts: templates (version TL_PROMPT_VERSION) and the answer parser.
 *
 * The user prompt carries two machine-readable blocks, each a heading line
 * followed by one line of JSON:
 *   ### Job (JSON)           {"title", "company", "matched_keywords",
 *                             "missing_keywords", "term_map"}
 *   ### Subsections (JSON)   [{"id", "section", "kind", ...}, ...]
 * Providers read them as text; fake-llm (provider/fakellm.c) parses them
 * to answer deterministically, so their shape is part of the template's
 * version.
 *
 * Applying an answer: each task's object is validated (shape, bullet
 * count, UTF-8, sizes), written into `out` by pointer swaps of the target's
 * slots, checked with tl_guard_check_target, and on rejection the old
 * pointers are put back (the new strings stay unused in out's arena). */
#include "provider/prompt.h"
#include "provider/prompt_int.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tailor/guard.h"
#include "tailor/match.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/str.h"

#define PROMPT_MAX_BYTES (1u * 1024u * 1024u)
#define ANSWER_MAX_BYTES (4u * 1024u * 1024u)
#define ANSWER_MAX_STARTS 64 /* candidate JSON starts tried in one answer */
#define MAX_TERM_MAP 64

struct tl_prompt_ctx {
    const tl_resume *orig;
    const tl_job *job;
    const tl_terms *terms;
    tl_strength strength;
    tl_guard *guard;
    tl_matcher *matcher;
    bool *matched; /* per job keyword: the original mentions it */
};

/* ------------------------------------------------------------ context */

static bool mark_matched(void *ud, const tl_text_ref *ref)
{
    tl_prompt_ctx *c = ud;
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return false;
    tl_matcher_match(c->matcher, ref->text, strlen(ref->text), tm);
    for (size_t i = 0; i < tm->n_kw; i++)
        if (tm->kw[i] >= 0 && (size_t)tm->kw[i] < c->job->n_keywords)
            c->matched[tm->kw[i]] = true;
    free(tm);
    return true;
}

tl_err tl_prompt_ctx_create(const tl_resume *original, const tl_job *job, const tl_terms *terms,
                            tl_strength strength, tl_prompt_ctx **out)
{
    if (!original || !job || !terms || !out)
        return TL_EINVAL;
    if (strength == 0)
        strength = TL_STRENGTH_BALANCED;
    if (strength < TL_STRENGTH_CONSERVATIVE || strength > TL_STRENGTH_EXTENSIVE)
        return TL_EINVAL;
    tl_prompt_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return TL_ENOMEM;
    c->orig = original;
    c->job = job;
    c->terms = terms;
    c->strength = strength;
    tl_err e = tl_guard_create(original, job, terms, &c->guard);
    if (e != TL_OK)
        goto fail;
    e = tl_matcher_create(job, terms, &c->matcher);
    if (e != TL_OK)
        goto fail;
    c->matched = calloc(job->n_keywords + 1, sizeof *c->matched);
    if (!c->matched) {
        e = TL_ENOMEM;
        goto fail;
    }
    tl_resume_texts(original, mark_matched, c);
    *out = c;
    return TL_OK;
fail:
    tl_prompt_ctx_free(c);
    return e;
}

void tl_prompt_ctx_free(tl_prompt_ctx *ctx)
{
    if (!ctx)
        return;
    tl_guard_free(ctx->guard);
    tl_matcher_free(ctx->matcher);
    free(ctx->matched);
    free(ctx);
}

/* ------------------------------------------------------------ rendering */

static const char *strength_rules(tl_strength s)
{
    switch (s) {
    case TL_STRENGTH_CONSERVATIVE:
        return "CONSERVATIVE: respell terms the job's way (use term_map) and order the bullets "
               "by relevance to the job (the ones that mention the job's keywords first). Do not "
               "reword anything else.";
    case TL_STRENGTH_BALANCED:
        return "BALANCED: as CONSERVATIVE, and: in a skills group put the job's skills first; "
               "in an entry with more than 4 bullets move the bullets that mention nothing the "
               "job asks for to the end; order the summary's sentences by relevance. Light "
               "rewording is allowed only to surface a keyword the text already supports.";
    case TL_STRENGTH_EXTENSIVE:
        return "EXTENSIVE: as BALANCED, and: replace weak openings (\"Responsible for\", "
               "\"Worked on\", \"Helped with\") with a fitting action verb, past tense for past "
               "roles and present for the current one; bullets may be reworded for impact; the "
               "summary may open with a sentence composed from the resume's own title and the "
               "job's skills the resume already shows.";
    }
    return "";
}

static const char *const hard_rules =
    "Hard rules:\n"
    "1. Keep every fact of the input: every number, date, name, tool and result stays.\n"
    "2. Never add an employer, a title, a date, a number, a degree, a certification or a "
    "skill that the subsection does not already state. Do not borrow facts from other "
    "parts of the resume or from the job description.\n"
    "3. Keep the bullet count: answer exactly as many bullets as the subsection has "
    "(reordering is allowed; dropping, merging or splitting bullets is not).\n"
    "4. Use the job's spelling of a term when the resume spells it differently (term_map).\n"
    "5. Answer with JSON only, no prose, in the shape asked for.\n";

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static tl_err add_term_map(const tl_prompt_ctx *c, const char *text, json_t *map)
{
    if (!text || !*text)
        return TL_OK;
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return TL_ENOMEM;
    size_t n = strlen(text);
    tl_matcher_terms_only(c->matcher, text, n, tm);
    for (size_t i = 0; i < tm->n_terms && json_object_size(map) < MAX_TERM_MAP; i++) {
        const tl_term_match *m = &tm->terms[i];
        int kw = tl_matcher_keyword_of_term(c->matcher, m->id);
        const char *p;
        size_t pn;
        if (kw < 0 || !tl_matcher_job_spelling(c->matcher, kw, &p, &pn))
            continue;
        size_t fn = tl_term_stem(c->terms, m->id, text + m->start, m->len);
        const char *from = text + m->start;
        if (fn == pn && memcmp(from, p, pn) == 0)
            continue;
        if (!tl_respell_allowed(c->terms, m->id, from, fn, p, pn))
            continue;
        if (tl_str_ieqn(from, fn, p, pn) && !tl_case_informative(text, n, m->start, fn))
            continue;
        char key[128], val[128];
        if (fn >= sizeof key || pn >= sizeof val)
            continue;
        memcpy(key, from, fn);
        key[fn] = '\0';
        memcpy(val, p, pn);
        val[pn] = '\0';
        if (!tl_utf8_valid(key, fn) || !tl_utf8_valid(val, pn))
            continue;
        if (json_object_set_new(map, key, json_string(val)) != 0) {
            free(tm);
            return TL_ENOMEM;
        }
    }
    free(tm);
    return TL_OK;
}

static bool target_valid(const tl_resume *r, const tl_target *t)
{
    if (t->kind == TL_TARGET_SUMMARY)
        return true;
    if (t->kind != TL_TARGET_ENTRY || t->section >= r->n_sections ||
        t->entry >= r->sections[t->section].n_entries)
        return false;
    const tl_entry *en = &r->sections[t->section].entries[t->entry];
    size_t to = t->bullet_to ? t->bullet_to : en->n_bullets;
    return t->bullet_from <= to && to <= en->n_bullets;
}

static size_t group_end(const tl_entry *en, const tl_target *t)
{
    return t->bullet_to ? t->bullet_to : en->n_bullets;
}

/* The subsection of one task as JSON; its term spellings go into map. */
static tl_err task_json(const tl_prompt_ctx *c, const tl_prompt_task *task, json_t *map,
                        json_t **out)
{
    const tl_resume *r = c->orig;
    const tl_target *t = &task->target;
    if (!target_valid(r, t) || !task->id || !tl_utf8_valid(task->id, strlen(task->id)))
        return TL_EINVAL;
    json_t *o = json_object();
    if (!o)
        return TL_ENOMEM;
    tl_err e = TL_ENOMEM;
    char where[128];
    tl_target_id(r, t, where, sizeof where);
    if (json_object_set_new(o, "id", json_string(task->id)) ||
        json_object_set_new(o, "part", json_string(where)))
        goto fail;
    if (t->kind == TL_TARGET_SUMMARY) {
        if (json_object_set_new(o, "kind", json_string("summary")) ||
            json_object_set_new(o, "label", str_or_null(r->basics.label)) ||
            json_object_set_new(o, "summary",
                                json_string(r->basics.summary ? r->basics.summary : "")))
            goto fail;
        if ((e = add_term_map(c, r->basics.summary, map)) != TL_OK)
            goto fail;
    } else {
        const tl_section *s = &r->sections[t->section];
        const tl_entry *en = &s->entries[t->entry];
        const char *kind = s->kind == TL_SEC_SKILLS ? "skills" : "entry";
        if (json_object_set_new(o, "kind", json_string(kind)) ||
            json_object_set_new(o, "section", json_string(s->key)) ||
            json_object_set_new(o, "title", str_or_null(en->title)) ||
            json_object_set_new(o, "organisation", str_or_null(en->org)) ||
            json_object_set_new(o, "start", str_or_null(en->start_date)) ||
            json_object_set_new(o, "end",
                                str_or_null(en->end_date     ? en->end_date
                                            : en->start_date ? "present"
                                                             : NULL)))
            goto fail;
        if (t->bullet_from == 0 && en->summary) {
            if (json_object_set_new(o, "summary", json_string(en->summary)))
                goto fail;
            if ((e = add_term_map(c, en->summary, map)) != TL_OK)
                goto fail;
        }
        json_t *b = json_array();
        if (!b || json_object_set_new(o, "bullets", b))
            goto fail;
        for (size_t i = t->bullet_from; i < group_end(en, t); i++) {
            if (json_array_append_new(b, json_string(en->bullets[i])))
                goto fail;
            if ((e = add_term_map(c, en->bullets[i], map)) != TL_OK)
                goto fail;
        }
    }
    *out = o;
    return TL_OK;
fail:
    json_decref(o);
    return e;
}

static tl_err job_json(const tl_prompt_ctx *c, json_t *map, json_t **out)
{
    json_t *o = json_object(), *matched = json_array(), *missing = json_array();
    if (!o || !matched || !missing) {
        json_decref(o);
        json_decref(matched);
        json_decref(missing);
        return TL_ENOMEM;
    }
    const tl_job *j = c->job;
    bool bad = json_object_set_new(o, "title", str_or_null(j->title)) ||
               json_object_set_new(o, "company", str_or_null(j->company)) ||
               json_object_set_new(o, "matched_keywords", matched) ||
               json_object_set_new(o, "missing_keywords", missing);
    for (size_t i = 0; !bad && i < j->n_keywords; i++) {
        const tl_keyword *k = &j->keywords[i];
        const char *name = k->surface ? k->surface : k->term;
        bad = json_array_append_new(c->matched[i] ? matched : missing, json_string(name)) != 0;
    }
    if (!bad)
        bad = json_object_set(o, "term_map", map) != 0;
    if (bad) {
        json_decref(o);
        return TL_ENOMEM;
    }
    *out = o;
    return TL_OK;
}

tl_err tl_prompt_render(const tl_prompt_ctx *ctx, const tl_prompt_task *tasks, size_t n,
                        char **system, char **user)
{
    if (!ctx || !tasks || n == 0 || !system || !user)
        return TL_EINVAL;
    json_t *arr = json_array(), *map = json_object(), *job = NULL;
    char *tasks_s = NULL, *job_s = NULL, *sys = NULL;
    tl_buf b, sb;
    tl_buf_init(&b, PROMPT_MAX_BYTES);
    tl_buf_init(&sb, PROMPT_MAX_BYTES);
    tl_err e = TL_ENOMEM;
    if (!arr || !map)
        goto done;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++)
            if (tasks[k].id && tasks[i].id && strcmp(tasks[k].id, tasks[i].id) == 0) {
                e = TL_EINVAL; /* ids must be unique within the batch */
                goto done;
            }
        json_t *t = NULL;
        if ((e = task_json(ctx, &tasks[i], map, &t)) != TL_OK)
            goto done;
        if (json_array_append_new(arr, t)) {
            e = TL_ENOMEM;
            goto done;
        }
    }
    if ((e = job_json(ctx, map, &job)) != TL_OK)
        goto done;
    e = TL_ENOMEM;
    tasks_s = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
    job_s = json_dumps(job, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!tasks_s || !job_s)
        goto done;

    if ((e = tl_buf_printf(&sb,
                           "You tailor one part of a resume to a job description (tailor prompt "
                           "v%d). You rearrange and respell what the resume already says; you "
                           "never invent.\n\n%s",
                           TL_PROMPT_VERSION, hard_rules)) != TL_OK)
        goto done;
    if (n == 1)
        e = tl_buf_puts(&sb, "\nAnswer with one JSON object: {\"id\": \"<the subsection's id>\", "
                             "\"summary\": \"...\", \"bullets\": [\"...\"], \"changes\": "
                             "[{\"what\": \"...\", \"why\": \"...\"}]}. A summary subsection "
                             "answers \"summary\" only; a skills group answers its keywords as "
                             "\"bullets\"; \"summary\" only when the subsection has one.\n");
    else
        e = tl_buf_puts(&sb, "\nSeveral subsections are given. Answer with one JSON object whose "
                             "keys are the subsection ids, each value an object {\"summary\": "
                             "\"...\", \"bullets\": [\"...\"], \"changes\": [{\"what\": \"...\", "
                             "\"why\": \"...\"}]}. Answer every id. A summary subsection answers "
                             "\"summary\" only; a skills group answers its keywords as "
                             "\"bullets\"; \"summary\" only when the subsection has one.\n");
    if (e != TL_OK)
        goto done;

    if ((e = tl_buf_printf(&b, "Prompt version: %d\nStrength: %s\n\n", TL_PROMPT_VERSION,
                           strength_rules(ctx->strength))) != TL_OK ||
        (e = tl_buf_printf(&b, "### Job (JSON)\n%s\n\n", job_s)) != TL_OK ||
        (e = tl_buf_printf(&b, "### Subsections (JSON)\n%s\n\n", tasks_s)) != TL_OK)
        goto done;
    if (n == 1)
        e = tl_buf_printf(
            &b, "Tailor this subsection (id \"%s\"). Keep exactly %s. Answer JSON only.\n",
            tasks[0].id,
            tasks[0].target.kind == TL_TARGET_SUMMARY ? "its facts"
                                                      : "its bullet count and its facts");
    else
        e = tl_buf_printf(&b,
                          "Tailor these %zu subsections. For each, keep its bullet count and "
                          "its facts. Answer one JSON object keyed by id, JSON only.\n",
                          n);
    if (e != TL_OK)
        goto done;
    if ((e = tl_buf_take(&sb, &sys, NULL)) != TL_OK)
        goto done;
    if ((e = tl_buf_take(&b, user, NULL)) != TL_OK) {
        free(sys);
        goto done;
    }
    *system = sys;
done:
    json_decref(arr);
    json_decref(map);
    json_decref(job);
    free(tasks_s);
    free(job_s);
    tl_buf_free(&b);
    tl_buf_free(&sb);
    return e;
}

/* ------------------------------------------------------------ parsing */

/* Finds the first JSON object or array in p[0..n): a ``` fence's content
 * first, then each '{' or '[' in turn (at most ANSWER_MAX_STARTS). */
json_t *tl__prompt_find_json(const char *p, size_t n)
{
    if (n == 0 || n > ANSWER_MAX_BYTES)
        return NULL;
    size_t tries = 0;
    for (size_t i = 0; i < n && tries < ANSWER_MAX_STARTS; i++) {
        if (p[i] != '{' && p[i] != '[')
            continue;
        tries++;
        json_error_t err;
        json_t *v = json_loadb(p + i, n - i, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
        if (v && (json_is_object(v) || json_is_array(v)))
            return v;
        json_decref(v);
        /* A value that starts here and failed may hold a valid one inside
         * (prose "[note] {...}"): keep scanning from the next byte. */
    }
    return NULL;
}

static const char *const array_keys[] = {"results",     "tasks",    "answers", "items",
                                         "subsections", "sections", "data"};

static json_t *find_in_array(json_t *arr, const char *id, size_t n_tasks)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *vid = json_string_value(json_object_get(v, "id"));
        if (json_is_object(v) && vid && strcmp(vid, id) == 0)
            return v;
    }
    if (n_tasks == 1 && json_array_size(arr) == 1 && json_is_object(json_array_get(arr, 0)) &&
        !json_is_string(json_object_get(json_array_get(arr, 0), "id")))
        return json_array_get(arr, 0);
    return NULL;
}

static bool looks_like_answer(json_t *o)
{
    return json_object_get(o, "bullets") || json_object_get(o, "summary") ||
           json_object_get(o, "highlights") || json_object_get(o, "keywords");
}

/* The answer object for task id, or NULL. */
static json_t *lookup(json_t *root, const char *id, size_t n_tasks)
{
    if (json_is_array(root))
        return find_in_array(root, id, n_tasks);
    if (!json_is_object(root))
        return NULL;
    const char *rid = json_string_value(json_object_get(root, "id"));
    if (rid && strcmp(rid, id) == 0 && looks_like_answer(root))
        return root;
    json_t *v = json_object_get(root, id);
    if (json_is_object(v))
        return v;
    for (size_t k = 0; k < sizeof array_keys / sizeof array_keys[0]; k++) {
        json_t *a = json_object_get(root, array_keys[k]);
        if (json_is_array(a) && (v = find_in_array(a, id, n_tasks)) != NULL)
            return v;
        if (json_is_object(a) && json_is_object(json_object_get(a, id)))
            return json_object_get(a, id);
    }
    if (n_tasks == 1 && !rid && looks_like_answer(root))
        return root;
    return NULL;
}

static bool text_ok(const char *s, size_t n)
{
    if (n == 0 || n > TL_MAX_FIELD_BYTES || !tl_utf8_valid(s, n))
        return false;
    const char *p = s;
    size_t m = n;
    tl_str_trim(&p, &m);
    return m > 0;
}

/* A string member, validated; *s NULL when absent. False when present but
 * unusable. */
static bool get_text(json_t *o, const char *key, const char **s, size_t *n)
{
    json_t *v = json_object_get(o, key);
    *s = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    *s = json_string_value(v);
    *n = json_string_length(v);
    return text_ok(*s, *n);
}

/* ------------------------------------------------------------ changes */

/* Texts equal up to the spelling of dictionary terms: each term occurrence
 * compares as its term id, the rest byte for byte after case folding. */
static tl_err normalise(const tl_prompt_ctx *c, const char *s, tl_buf *out)
{
    tl_buf_reset(out);
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return TL_ENOMEM;
    size_t n = strlen(s), at = 0;
    tl_matcher_terms_only(c->matcher, s, n, tm);
    tl_err e = TL_OK;
    for (size_t i = 0; i < tm->n_terms && e == TL_OK; i++) {
        const tl_term_match *m = &tm->terms[i];
        if (m->start < at)
            continue;
        for (size_t k = at; k < m->start && e == TL_OK; k++)
            e = tl_buf_putc(out, (char)((s[k] >= 'A' && s[k] <= 'Z') ? s[k] + 32 : s[k]));
        if (e == TL_OK)
            e = tl_buf_printf(out, "\x01%d\x01", m->id);
        at = m->start + m->len;
    }
    for (size_t k = at; k < n && e == TL_OK; k++)
        e = tl_buf_putc(out, (char)((s[k] >= 'A' && s[k] <= 'Z') ? s[k] + 32 : s[k]));
    free(tm);
    return e;
}

/* Number of words (4+ bytes) of a also in b: pairs rewritten bullets. */
static size_t word_overlap(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b), pos = 0, hits = 0;
    tl_word w;
    while (tl_next_word(a, an, &pos, &w)) {
        if (w.len < 4)
            continue;
        char tmp[64];
        if (w.len >= sizeof tmp)
            continue;
        memcpy(tmp, a + w.start, w.len);
        tmp[w.len] = '\0';
        if (tl_str_ifind(b, bn, tmp))
            hits++;
    }
    return hits;
}

/* The answer's reason that best fits text: the "why" of the change whose
 * "what" shares the most words with it; NULL when none shares any. */
static const char *answer_why(json_t *answer, const char *before, const char *after)
{
    json_t *ch = json_object_get(answer, "changes");
    size_t i, best = 0;
    json_t *v;
    const char *why = NULL;
    json_array_foreach(ch, i, v)
    {
        const char *what = json_string_value(json_object_get(v, "what"));
        const char *w = json_string_value(json_object_get(v, "why"));
        if (!w || !text_ok(w, strlen(w)) || strlen(w) > 512)
            continue;
        size_t score = 1;
        if (what)
            score += word_overlap(what, after) + word_overlap(what, before);
        if (score > best) {
            best = score;
            why = w;
        }
    }
    return best > 1 ? why : (json_array_size(ch) == 1 ? why : NULL);
}

typedef struct applier {
    const tl_prompt_ctx *ctx;
    tl_resume *out;
    tl_changes *changes;
    json_t *answer;
    tl_buf na, nb;
} applier;

static tl_err record_text(applier *ap, tl_change_kind rewrite_kind, const char *id,
                          const char *before, const char *after)
{
    if (!ap->changes || strcmp(before, after) == 0)
        return TL_OK;
    tl_err e;
    if ((e = normalise(ap->ctx, before, &ap->na)) != TL_OK ||
        (e = normalise(ap->ctx, after, &ap->nb)) != TL_OK)
        return e;
    bool term_only = strcmp(tl_buf_str(&ap->na), tl_buf_str(&ap->nb)) == 0;
    const char *why = answer_why(ap->answer, before, after);
    if (term_only)
        return tl_changes_add(ap->changes, TL_CHANGE_TERM, id, before, after, "%s",
                              why ? why : "respelled in the job's spelling");
    return tl_changes_add(ap->changes, rewrite_kind, id, before, after, "%s",
                          why ? why : "reworded for the job by the provider");
}

/* Records the changes of a bullet group: old[k] (before) -> now[k]. */
static tl_err record_bullets(applier *ap, const tl_section *s, size_t entry, size_t from,
                             char **old, char **now, size_t n)
{
    if (!ap->changes || n == 0)
        return TL_OK;
    /* Pair each new bullet with an old one: exact text, then equal up to
     * term spellings, then the most words in common. */
    int *src = malloc(n * sizeof *src);
    bool *used = calloc(n, sizeof *used);
    tl_err e = TL_ENOMEM;
    if (!src || !used)
        goto done;
    for (size_t i = 0; i < n; i++)
        src[i] = -1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n; k++)
            if (!used[k] && strcmp(now[i], old[k]) == 0) {
                src[i] = (int)k;
                used[k] = true;
                break;
            }
    for (size_t i = 0; i < n; i++) {
        if (src[i] >= 0)
            continue;
        if ((e = normalise(ap->ctx, now[i], &ap->nb)) != TL_OK)
            goto done;
        for (size_t k = 0; k < n && src[i] < 0; k++) {
            if (used[k])
                continue;
            if ((e = normalise(ap->ctx, old[k], &ap->na)) != TL_OK)
                goto done;
            if (strcmp(tl_buf_str(&ap->na), tl_buf_str(&ap->nb)) == 0) {
                src[i] = (int)k;
                used[k] = true;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (src[i] >= 0)
            continue;
        size_t best = 0;
        int bk = -1;
        for (size_t k = 0; k < n; k++) {
            if (used[k])
                continue;
            size_t ov = word_overlap(now[i], old[k]) + 1;
            if (ov > best) {
                best = ov;
                bk = (int)k;
            }
        }
        src[i] = bk;
        if (bk >= 0)
            used[bk] = true;
    }
    for (size_t i = 0; i < n; i++) {
        char id[160];
        snprintf(id, sizeof id, "%s[%zu].%s[%zu]", s->key, entry,
                 tl_section_kind_bullet_key(s->kind), from + i);
        const char *before = src[i] >= 0 ? old[src[i]] : old[i];
        if (src[i] >= 0 && (size_t)src[i] != i) {
            const char *why = answer_why(ap->answer, before, now[i]);
            e = tl_changes_add(ap->changes, TL_CHANGE_REORDER, id, before, before,
                               "moved %s from %d to %zu: %s", (size_t)src[i] > i ? "up" : "down",
                               src[i] + 1, i + 1, why ? why : "ordered by relevance to the job");
            if (e != TL_OK)
                goto done;
        }
        if ((e = record_text(ap, TL_CHANGE_REWRITE, id, before, now[i])) != TL_OK)
            goto done;
    }
    e = TL_OK;
done:
    free(src);
    free(used);
    return e;
}

static tl_err apply_summary(applier *ap, json_t *obj, const tl_target *t, tl_prompt_outcome *oc)
{
    const char *s;
    size_t n;
    *oc = TL_PROMPT_MALFORMED;
    if (!get_text(obj, "summary", &s, &n))
        return TL_OK;
    char **slot = &ap->out->basics.summary;
    if (!s) {
        /* No summary answered: fine only when there is none to tailor. */
        if (!*slot)
            *oc = TL_PROMPT_APPLIED;
        return TL_OK;
    }
    char *old = *slot;
    tl_err e = tl_resume_setn(ap->out, slot, s, n);
    if (e != TL_OK)
        return e;
    tl_guard_finding f;
    e = tl_guard_check_target(ap->ctx->guard, ap->out, t, &f);
    if (e == TL_EREJECTED) {
        *slot = old;
        *oc = TL_PROMPT_REJECTED;
        return TL_OK;
    }
    if (e != TL_OK) {
        *slot = old;
        return e;
    }
    *oc = TL_PROMPT_APPLIED;
    if (old)
        return record_text(ap, TL_CHANGE_SUMMARY, "basics.summary", old, *slot);
    if (ap->changes)
        return tl_changes_add(ap->changes, TL_CHANGE_SUMMARY, "basics.summary", NULL, *slot, "%s",
                              "summary composed by the provider from the resume's own facts");
    return TL_OK;
}

static json_t *bullets_member(json_t *obj)
{
    static const char *const keys[] = {"bullets", "highlights", "keywords", "courses"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(obj, keys[i]);
        if (v)
            return v;
    }
    return NULL;
}

static tl_err apply_entry(applier *ap, json_t *obj, const tl_target *t, tl_prompt_outcome *oc)
{
    *oc = TL_PROMPT_MALFORMED;
    tl_section *sec = &ap->out->sections[t->section];
    tl_entry *en = &sec->entries[t->entry];
    size_t from = t->bullet_from, to = group_end(en, t), count = to - from;

    json_t *b = bullets_member(obj);
    if (count > 0 && !json_is_array(b))
        return TL_OK;
    if (count == 0 && b && (!json_is_array(b) || json_array_size(b) != 0))
        return TL_OK;
    if (count > 0 && json_array_size(b) != count)
        return TL_OK;
    for (size_t i = 0; i < count; i++) {
        json_t *v = json_array_get(b, i);
        if (!json_is_string(v) || !text_ok(json_string_value(v), json_string_length(v)))
            return TL_OK;
    }
    const char *sum = NULL;
    size_t sum_n = 0;
    bool has_summary = from == 0 && en->summary;
    if (has_summary && !get_text(obj, "summary", &sum, &sum_n))
        return TL_OK;

    char **old = count ? malloc(count * sizeof *old) : NULL;
    if (count && !old)
        return TL_ENOMEM;
    char *old_sum = en->summary;
    memcpy(old, en->bullets + from, count * sizeof *old);
    tl_err e = TL_OK;
    for (size_t i = 0; i < count && e == TL_OK; i++) {
        json_t *v = json_array_get(b, i);
        e = tl_resume_setn(ap->out, &en->bullets[from + i], json_string_value(v),
                           json_string_length(v));
    }
    if (e == TL_OK && has_summary && sum)
        e = tl_resume_setn(ap->out, &en->summary, sum, sum_n);
    if (e == TL_OK) {
        tl_guard_finding f;
        e = tl_guard_check_target(ap->ctx->guard, ap->out, t, &f);
        if (e == TL_EREJECTED) {
            *oc = TL_PROMPT_REJECTED;
            e = TL_OK;
            goto restore;
        }
    }
    if (e != TL_OK)
        goto restore;
    *oc = TL_PROMPT_APPLIED;
    e = record_bullets(ap, sec, t->entry, from, old, en->bullets + from, count);
    if (e == TL_OK && has_summary && sum) {
        char id[160];
        snprintf(id, sizeof id, "%s[%zu].summary", sec->key, t->entry);
        e = record_text(ap, TL_CHANGE_REWRITE, id, old_sum, en->summary);
    }
    free(old);
    return e;
restore:
    memcpy(en->bullets + from, old, count * sizeof *old);
    en->summary = old_sum;
    free(old);
    return e;
}

tl_err tl_prompt_apply(const tl_prompt_ctx *ctx, const char *answer, size_t len,
                       const tl_prompt_task *tasks, size_t n, tl_resume *out, tl_changes *changes,
                       tl_prompt_outcome *outcomes)
{
    if (!ctx || (!answer && len) || (!tasks && n) || !out || (!outcomes && n))
        return TL_EINVAL;
    for (size_t i = 0; i < n; i++)
        outcomes[i] = TL_PROMPT_MALFORMED;
    json_t *root = answer ? tl__prompt_find_json(answer, len) : NULL;
    if (!root)
        return TL_EFORMAT;
    applier ap = {ctx, out, changes, NULL, {0}, {0}};
    tl_buf_init(&ap.na, 4 * TL_MAX_FIELD_BYTES);
    tl_buf_init(&ap.nb, 4 * TL_MAX_FIELD_BYTES);
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        const tl_target *t = &tasks[i].target;
        if (!tasks[i].id || !target_valid(out, t) || !target_valid(ctx->orig, t)) {
            outcomes[i] = TL_PROMPT_MALFORMED;
            continue;
        }
        json_t *obj = lookup(root, tasks[i].id, n);
        if (!obj) {
            outcomes[i] = TL_PROMPT_MISSING;
            continue;
        }
        ap.answer = obj;
        if (t->kind == TL_TARGET_SUMMARY)
            e = apply_summary(&ap, obj, t, &outcomes[i]);
        else
            e = apply_entry(&ap, obj, t, &outcomes[i]);
    }
    tl_buf_free(&ap.na);
    tl_buf_free(&ap.nb);
    json_decref(root);
    return e;
}
