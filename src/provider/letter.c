/* Cover letters written by providers (see letter.h): the prompt from the
 * embedded letter's material, the lenient answer parser with the fact
 * guard on every sentence, and the fallback chain, one blocking call per
 * provider. */
#include "provider/letter.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider/prompt_int.h"
#include "tailor/match.h"
#include "util/buf.h"
#include "util/deadline.h"
#include "util/limits.h"
#include "util/str.h"

#define LETTER_PROMPT_MAX_BYTES (256u * 1024u)
#define LETTER_ANSWER_MAX_BYTES (1u * 1024u * 1024u)

/* ------------------------------------------------------------ rendering */

static const char *const letter_rules =
    "Hard rules:\n"
    "1. Keep every fact of the input as it is stated: every number, name, tool and result "
    "of an achievement stays exactly as written.\n"
    "2. Never add an employer, a title, a date, a number, a degree, a certification or a "
    "skill that the input does not already state. Do not borrow facts from the job "
    "description: the requirements given are the ones the resume supports, and the only "
    "ones to claim.\n"
    "3. Name the role and the company exactly as given.\n"
    "4. Tie each requirement to its achievement; then close plainly in one short paragraph. "
    "No greeting, no sign-off, no signature: tailor adds them.\n"
    "5. Answer with JSON only, no prose: {\"paragraphs\": [\"...\", ...]}.\n";

static const char *tone_rules(tl_letter_tone t)
{
    return t == TL_TONE_WARM ? "warm: friendly and direct, first person, no flattery"
                             : "formal: courteous and concise, first person";
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The resume's latest role: the first work entry with a title and an
 * organisation, as the embedded letter's opening uses it. */
static json_t *candidate_json(const tl_resume *r)
{
    const tl_section *s = tl_resume_find_section(r, TL_SEC_WORK);
    const tl_entry *last = NULL;
    for (size_t i = 0; s && !last && i < s->n_entries; i++)
        if (s->entries[i].title && s->entries[i].org)
            last = &s->entries[i];
    return json_pack("{s:o s:o s:o s:b}", "name", str_or_null(r->basics.name), "title",
                     str_or_null(last ? last->title : r->basics.label), "organisation",
                     str_or_null(last ? last->org : NULL), "current",
                     last && tl_entry_is_current(last));
}

static json_t *points_json(const tl_cover_letter *plan)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < plan->n_points; i++) {
        const tl_letter_point *p = &plan->points[i];
        if (json_array_append_new(a, json_pack("{s:s s:s s:o}", "requirement", p->requirement,
                                               "achievement", p->achievement, "where",
                                               str_or_null(p->where))) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *letter_json(const tl_cover_letter *plan, const tl_resume *r, tl_letter_tone tone)
{
    json_t *skills = json_array();
    for (size_t i = 0; skills && i < plan->n_skills; i++)
        if (json_array_append_new(skills, json_string(plan->skills[i])) != 0) {
            json_decref(skills);
            skills = NULL;
        }
    json_t *pts = points_json(plan), *who = candidate_json(r);
    if (!skills || !pts || !who) {
        json_decref(skills);
        json_decref(pts);
        json_decref(who);
        return NULL;
    }
    /* the body's share of the page: the header and sign-off are tailor's */
    int max_words = TL_LETTER_MAX_WORDS - 40;
    return json_pack("{s:s s:o s:s s:o s:o s:o s:i}", "role", plan->role, "company",
                     str_or_null(plan->company), "tone", tl_letter_tone_name(tone), "candidate",
                     who, "requirements", pts, "other_skills", skills, "max_words", max_words);
}

tl_err tl_letter_prompt_render(const tl_cover_letter *plan, const tl_resume *r, tl_letter_tone tone,
                               char **system, char **user)
{
    if (!plan || !r || !system || !user)
        return TL_EINVAL;
    json_t *doc = letter_json(plan, r, tone);
    char *doc_s = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!doc_s)
        return TL_ENOMEM;
    tl_buf sb, ub;
    tl_buf_init(&sb, LETTER_PROMPT_MAX_BYTES);
    tl_buf_init(&ub, LETTER_PROMPT_MAX_BYTES);
    tl_err e = tl_buf_printf(&sb,
                             "You write the body of a one-page cover letter from a resume's own "
                             "content (tailor letter prompt v%d). You choose words; you never "
                             "invent facts.\n\n%s",
                             TL_LETTER_PROMPT_VERSION, letter_rules);
    if (e == TL_OK)
        e = tl_buf_printf(&ub, "Prompt version: %d\nTone: %s\n\n### Letter (JSON)\n%s\n\n",
                          TL_LETTER_PROMPT_VERSION, tone_rules(tone), doc_s);
    if (e == TL_OK)
        e = tl_buf_puts(&ub, "Write the letter's body for this role and company: an opening "
                             "that names both, one paragraph tying each requirement to its "
                             "achievement (the candidate's own words and numbers), and a plain "
                             "closing. At most max_words words. Answer JSON only: "
                             "{\"paragraphs\": [\"...\"]}.\n");
    free(doc_s);
    char *s = NULL;
    if (e == TL_OK && (e = tl_buf_take(&sb, &s, NULL)) == TL_OK &&
        (e = tl_buf_take(&ub, user, NULL)) == TL_OK)
        *system = s;
    else
        free(s);
    tl_buf_free(&sb);
    tl_buf_free(&ub);
    return e;
}

/* ------------------------------------------------------------ parsing */

/* The paragraphs member of an answer: an array, or one string. */
static json_t *paragraphs_of(json_t *root)
{
    static const char *const keys[] = {"paragraphs", "body", "letter", "text", "content"};
    if (json_is_array(root))
        return root;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(root, keys[i]);
        if (json_is_array(v) || json_is_string(v))
            return v;
        if (json_is_object(v) && (v = paragraphs_of(v)) != NULL)
            return v;
    }
    return NULL;
}

typedef struct body {
    char *p[TL_LETTER_MAX_PARAGRAPHS];
    size_t n;
    bool too_many;
} body;

static void body_free(body *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->p[i]);
    b->n = 0;
}

/* Adds s[0..n), trimmed, when it is not empty. */
static tl_err body_add(body *b, const char *s, size_t n)
{
    tl_str_trim(&s, &n);
    if (n == 0)
        return TL_OK;
    if (b->n == TL_LETTER_MAX_PARAGRAPHS) {
        b->too_many = true;
        return TL_OK;
    }
    if (n > TL_MAX_FIELD_BYTES || !tl_utf8_valid(s, n) || memchr(s, '\0', n))
        return TL_EFORMAT;
    b->p[b->n] = strndup(s, n);
    return b->p[b->n++] ? TL_OK : TL_ENOMEM;
}

/* One string answer: paragraphs are separated by blank lines. */
static tl_err body_split(body *b, const char *s, size_t n)
{
    tl_err e = TL_OK;
    size_t at = 0;
    for (size_t i = 0; e == TL_OK && i <= n; i++) {
        bool end = i == n || (s[i] == '\n' && i + 1 < n && (s[i + 1] == '\n' || s[i + 1] == '\r'));
        if (!end)
            continue;
        e = body_add(b, s + at, i - at);
        at = i + 1;
    }
    return e;
}

static tl_err collect(json_t *v, body *b)
{
    if (json_is_string(v))
        return body_split(b, json_string_value(v), json_string_length(v));
    size_t i;
    json_t *it;
    tl_err e = TL_OK;
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it))
            return TL_EFORMAT;
        if ((e = body_add(b, json_string_value(it), json_string_length(it))) != TL_OK)
            return e;
    }
    return TL_OK;
}

static bool starts_with(const char *s, const char *prefix)
{
    return tl_str_ieqn(s, strlen(prefix) < strlen(s) ? strlen(prefix) : strlen(s), prefix,
                       strlen(prefix));
}

/* A provider may write the greeting and the sign-off although it was told
 * not to: tailor's own stand in for them. */
static void drop_formulae(body *b)
{
    static const char *const signoffs[] = {
        "sincerely", "warm regards", "kind regards", "best regards", "regards", "best,", "yours"};
    if (b->n && strlen(b->p[0]) <= 100 && b->p[0][strlen(b->p[0]) - 1] == ',' &&
        (starts_with(b->p[0], "dear ") || starts_with(b->p[0], "hello") ||
         starts_with(b->p[0], "hi "))) {
        free(b->p[0]);
        memmove(b->p, b->p + 1, --b->n * sizeof b->p[0]);
    }
    for (size_t k = 0; b->n && k < sizeof signoffs / sizeof signoffs[0]; k++)
        if (strlen(b->p[b->n - 1]) <= 100 && starts_with(b->p[b->n - 1], signoffs[k])) {
            free(b->p[--b->n]);
            break;
        }
}

/* Checks every sentence of paragraph p: a sentence ends at '.', '!' or '?'
 * followed by a space or the end. */
static tl_err check_sentences(const tl_cover_letter *plan, const tl_guard *g, const char *p,
                              tl_guard_finding *f)
{
    size_t n = strlen(p), at = 0;
    tl_err e = TL_OK;
    for (size_t i = 0; e == TL_OK && i < n; i++) {
        bool end = (p[i] == '.' || p[i] == '!' || p[i] == '?') &&
                   (i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\n');
        if (!end && i + 1 < n)
            continue;
        char *s = strndup(p + at, i + 1 - at);
        if (!s)
            return TL_ENOMEM;
        e = tl_cover_letter_check(plan, g, s, f);
        free(s);
        at = i + 1;
    }
    return e;
}

/* The body names the role (unless the job gave none) and the company. */
static bool names_both(const tl_cover_letter *plan, const body *b)
{
    /* clean_role's stand-in when the job has no title */
    bool need_role = strcmp(plan->role, "advertised") != 0;
    bool role = !need_role, company = !plan->company;
    char head[256];
    snprintf(head, sizeof head, "%.*s", (int)tl_letter_role_head(plan->role), plan->role);
    for (size_t i = 0; i < b->n; i++) {
        size_t n = strlen(b->p[i]);
        role = role || (*head && tl_str_ifind(b->p[i], n, head));
        company = company || tl_str_ifind(b->p[i], n, plan->company);
    }
    return role && company;
}

static tl_err check_body(const tl_cover_letter *plan, const tl_guard *g, const body *b,
                         tl_guard_finding *f)
{
    if (b->n == 0 || b->too_many || !names_both(plan, b))
        return TL_EFORMAT;
    tl_err e = TL_OK;
    for (size_t i = 0; e == TL_OK && i < b->n; i++)
        e = check_sentences(plan, g, b->p[i], f);
    return e;
}

tl_err tl_letter_prompt_apply(const tl_cover_letter *plan, const tl_guard *g, const char *answer,
                              size_t len, const char *provider, tl_cover_letter **out,
                              tl_guard_finding *f)
{
    if (!plan || !g || (!answer && len) || !provider || !out)
        return TL_EINVAL;
    json_t *root = len && len <= LETTER_ANSWER_MAX_BYTES ? tl__prompt_find_json(answer, len) : NULL;
    json_t *v = root ? paragraphs_of(root) : NULL;
    body b = {.n = 0};
    tl_err e = v ? collect(v, &b) : TL_EFORMAT;
    json_decref(root);
    if (e == TL_OK) {
        drop_formulae(&b);
        e = check_body(plan, g, &b, f);
    }
    tl_cover_letter *l = NULL;
    if (e == TL_OK)
        e = tl_cover_letter_derive(plan, (const char *const *)b.p, b.n, provider, &l);
    if (e == TL_OK && l->words > TL_LETTER_MAX_WORDS) {
        tl_cover_letter_free(l);
        e = TL_EFORMAT; /* past one page */
    }
    body_free(&b);
    if (e == TL_OK)
        *out = l;
    return e;
}

/* ------------------------------------------------------------ the chain */

/* One call, waited for. The callback copies the answer: its text is valid
 * during the callback only. */
typedef struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
    tl_call_error error;
    char *text;
    size_t len;
    char message[160];
} waiter;

static void on_answer(void *ud, const tl_chat_response *resp)
{
    waiter *w = ud;
    pthread_mutex_lock(&w->m);
    w->error = resp->error;
    if (resp->error == TL_CALL_OK && resp->text) {
        w->text = strndup(resp->text, resp->text_len);
        w->len = w->text ? resp->text_len : 0;
    }
    snprintf(w->message, sizeof w->message, "%s", resp->message ? resp->message : "");
    w->done = true;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

/* Waits for the call's answer; past wait_ms it is cancelled, and its
 * callback (which the provider runs exactly once, with CANCELLED when it
 * had not answered) is still waited for, so that w outlives it. */
static void wait_answer(waiter *w, tl_provider *p, uint64_t id, int wait_ms)
{
    struct timespec until = tl_deadline_after_ms(wait_ms);
    pthread_mutex_lock(&w->m);
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->c, &w->m, &until);
    if (!w->done) {
        pthread_mutex_unlock(&w->m);
        tl_provider_cancel(p, id);
        pthread_mutex_lock(&w->m);
        while (!w->done)
            pthread_cond_wait(&w->c, &w->m);
        if (w->error == TL_CALL_CANCELLED)
            w->error = TL_CALL_TIMEOUT;
    }
    pthread_mutex_unlock(&w->m);
}

/* Asks link lk; on success w->text holds the answer. */
static void ask(const tl_letter_link *lk, const char *sys, const char *user,
                const tl_letter_chain_opts *o, waiter *w)
{
    tl_chat_request req = {
        .model = lk->model,
        .system = sys,
        .user = user,
        .max_tokens = o->max_tokens > 0 ? o->max_tokens : 1200,
        .temperature = 0.3,
        .json = true,
        .timeout_ms = o->timeout_ms,
        .tokens_in_estimate = (int)((strlen(sys) + strlen(user)) / 4),
    };
    uint64_t id = 0;
    if (tl_provider_submit(lk->provider, &req, on_answer, w, &id) != TL_OK) {
        w->error = TL_CALL_REFUSED;
        snprintf(w->message, sizeof w->message, "the call could not be sent");
        return;
    }
    wait_answer(w, lk->provider, id, o->wait_ms > 0 ? o->wait_ms : 180000);
}

/* Tries one provider: TL_OK with *out set when it wrote the letter, TL_OK
 * with *out left NULL when it failed (noted on plan), or an error of
 * tailor's own (out of memory). */
static tl_err try_link(tl_cover_letter *plan, const tl_guard *g, const tl_letter_link *lk,
                       const char *sys, const char *user, const tl_letter_chain_opts *o,
                       tl_cover_letter **out)
{
    waiter w = {.done = false};
    pthread_mutex_init(&w.m, NULL);
    pthread_cond_init(&w.c, NULL);
    ask(lk, sys, user, o, &w);
    pthread_mutex_destroy(&w.m);
    pthread_cond_destroy(&w.c);
    const char *name = lk->provider->name ? lk->provider->name : "provider";
    char detail[256];
    const char *outcome = tl_call_error_name(w.error);
    snprintf(detail, sizeof detail, "%s", w.message);
    tl_err e = TL_OK;
    if (w.error == TL_CALL_OK) {
        tl_guard_finding f = {.text = ""};
        e = w.text ? tl_letter_prompt_apply(plan, g, w.text, w.len, name, out, &f) : TL_EFORMAT;
        if (e == TL_EREJECTED) {
            outcome = "rejected";
            snprintf(detail, sizeof detail, "the fact guard refused %s '%s'",
                     tl_fact_kind_name(f.kind), f.text);
        } else if (e == TL_EFORMAT) {
            outcome = "malformed";
            snprintf(detail, sizeof detail,
                     "no usable letter (JSON paragraphs naming the role and company, one page)");
        }
    }
    free(w.text);
    if (w.error == TL_CALL_OK && e == TL_OK)
        return TL_OK;
    if (e != TL_OK && e != TL_EREJECTED && e != TL_EFORMAT)
        return e;
    return tl_cover_letter_note(plan, name, outcome, detail);
}

tl_err tl_letter_write_chain(const tl_resume *r, const tl_job *j, const tl_terms *t,
                             const tl_letter_link *chain, size_t n, const tl_letter_chain_opts *o,
                             tl_cover_letter **out)
{
    if (!r || !j || !t || (!chain && n) || !out)
        return TL_EINVAL;
    tl_letter_chain_opts def = {.letter = {.tone = TL_TONE_FORMAL}};
    if (!o)
        o = &def;
    tl_cover_letter *plan = NULL;
    tl_err e = tl_cover_letter_write(r, j, t, &o->letter, &plan);
    if (e != TL_OK || n == 0) {
        if (e == TL_OK)
            *out = plan;
        return e;
    }
    tl_guard *g = NULL;
    char *sys = NULL, *user = NULL;
    if ((e = tl_guard_create(r, j, t, &g)) == TL_OK)
        e = tl_letter_prompt_render(plan, r, o->letter.tone, &sys, &user);
    tl_cover_letter *got = NULL;
    for (size_t i = 0; e == TL_OK && i < n && !got; i++)
        e = try_link(plan, g, &chain[i], sys, user, o, &got);
    free(sys);
    free(user);
    tl_guard_free(g);
    if (e != TL_OK) {
        tl_cover_letter_free(got);
        tl_cover_letter_free(plan);
        return e;
    }
    /* the embedded letter when no provider gave one */
    *out = got ? got : plan;
    if (got)
        tl_cover_letter_free(plan);
    return TL_OK;
}
