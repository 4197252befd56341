#include "tailor/match.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* ------------------------------------------------------------------ words */

/* tl_is_word_byte, inlined: this runs for every byte of every text. */
static inline bool wbyte(unsigned char c)
{
    unsigned char l = c | 0x20;
    return (c >= '0' && c <= '9') || (l >= 'a' && l <= 'z') || c >= 0x80;
}

static inline bool word_byte(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (wbyte(c))
        return true;
    /* An apostrophe between two letters belongs to the word ("team's"). */
    return c == '\'' && i > 0 && i + 1 < n && wbyte((unsigned char)s[i - 1]) &&
           wbyte((unsigned char)s[i + 1]);
}

bool tl_next_word(const char *s, size_t n, size_t *pos, tl_word *w)
{
    size_t i = *pos;
    while (i < n && !word_byte(s, n, i))
        i++;
    if (i >= n) {
        *pos = n;
        return false;
    }
    size_t start = i;
    while (i < n && word_byte(s, n, i))
        i++;
    w->start = start;
    w->len = i - start;
    *pos = i;
    return true;
}

/* clang-format off */
static const char *const stopwords[] = {
    "a",     "about", "across", "after", "all",   "also",  "an",    "and",    "any",   "are",
    "as",    "at",    "be",     "been",  "being", "both",  "but",   "by",     "can",   "could",
    "each",  "etc",   "for",    "from",  "had",   "has",   "have",  "how",    "if",    "in",
    "into",  "is",    "it",     "its",   "more",  "most",  "not",   "of",     "on",    "only",
    "or",    "other", "our",    "over",  "per",   "same",  "should", "so",    "such",  "than",
    "that",  "the",   "their",  "them",  "then",  "there", "these", "they",   "this",  "those",
    "to",    "up",    "us",     "very",  "via",   "was",   "we",    "were",   "what",  "when",
    "where", "which", "while",  "who",   "will",  "with",  "within", "would", "you",   "your"};
/* clang-format on */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool tl_is_stopword(const char *w, size_t n)
{
    char buf[8];
    if (n == 0 || n >= sizeof buf)
        return false; /* every stop-word is shorter */
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)w[i]);
    buf[n] = '\0';
    const char *key = buf;
    return bsearch(&key, stopwords, sizeof stopwords / sizeof stopwords[0], sizeof stopwords[0],
                   cmp_str) != NULL;
}

/* Lowercases w into out and strips a possessive and a plural "s", so that
 * "Ledgers" and "ledger" compare equal. Returns the length written. */
static size_t normalize_word(const char *w, size_t n, char *out, size_t cap)
{
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)w[i]);
    if (n > 2 && out[n - 2] == '\'' && out[n - 1] == 's')
        n -= 2;
    if (n > 3 && out[n - 1] == 's' && out[n - 2] != 's' && out[n - 2] != 'u' && out[n - 2] != 'i')
        n--;
    out[n] = '\0';
    return n;
}

/* ------------------------------------------------------------ hash table */

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Open addressing, keys are non-zero 64-bit hashes. */
typedef struct hslot {
    uint64_t h;
    int v;
} hslot;

typedef struct htab {
    hslot *s;
    size_t mask;
} htab;

static tl_err htab_init(htab *t, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2 + 1)
        cap *= 2;
    t->s = calloc(cap, sizeof *t->s);
    if (!t->s)
        return TL_ENOMEM;
    t->mask = cap - 1;
    return TL_OK;
}

static uint64_t nonzero(uint64_t h)
{
    return h ? h : 1;
}

/* Inserts h -> v unless h is there (the first value wins). */
static void htab_put(htab *t, uint64_t h, int v)
{
    h = nonzero(h);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        if (t->s[i].h == h)
            return;
        if (t->s[i].h == 0) {
            t->s[i].h = h;
            t->s[i].v = v;
            return;
        }
    }
}

static int htab_get(const htab *t, uint64_t h)
{
    if (!t->s)
        return -1;
    h = nonzero(h);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        if (t->s[i].h == h)
            return t->s[i].v;
        if (t->s[i].h == 0)
            return -1;
    }
}

/* ---------------------------------------------------------------- matcher */

#define MAX_PHRASE_WORDS 4
#define WORD_CAP 48

typedef struct term_kw {
    int id;
    int kw;
} term_kw;

struct tl_matcher {
    const tl_job *job;
    const tl_terms *terms;
    term_kw *by_term; /* sorted by id */
    size_t n_by_term;
    htab phrases;    /* hash of a normalised word sequence -> keyword */
    int max_words;   /* longest phrase, in words */
    htab job_words;  /* content words of the job description */
    const char **js; /* per keyword: the job's spelling (into job->text) or NULL */
    size_t *jl;
};

static int cmp_term_kw(const void *a, const void *b)
{
    const term_kw *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The hash of a word sequence combines the hashes of its normalised
 * words, so that a text's n-grams cost one multiply each. */
static uint64_t word_hash(const char *w, size_t n)
{
    return fnv(FNV_OFFSET, w, n);
}

static uint64_t combine(uint64_t h, uint64_t word)
{
    return (h * 0x9E3779B97F4A7C15ull) ^ word;
}

/* Hash of the words of phrase p, and their count. */
static uint64_t phrase_hash(const char *p, size_t n, int *words)
{
    uint64_t h = 0;
    size_t pos = 0;
    tl_word w;
    int k = 0;
    char buf[WORD_CAP];
    while (tl_next_word(p, n, &pos, &w)) {
        size_t len = normalize_word(p + w.start, w.len, buf, sizeof buf);
        h = k ? combine(h, word_hash(buf, len)) : word_hash(buf, len);
        k++;
    }
    *words = k;
    return h;
}

/* Words that say what a text is about: 4+ letters, not a function word,
 * not a number, not an action verb ("built" is in every job and resume),
 * not filler. */
static bool content_word(const char *w, size_t n)
{
    static const char *const filler[] = {"ability", "experience", "including", "knowledge",
                                         "skill",   "strong",     "team",      "using",
                                         "work",    "working",    "year"};
    if (n < 4 || tl_is_stopword(w, n))
        return false;
    bool digits = true;
    for (size_t i = 0; i < n && digits; i++)
        digits = isdigit((unsigned char)w[i]) != 0;
    if (digits || tl_verb_find(w, n, NULL) >= 0)
        return false;
    for (size_t i = 0; i < sizeof filler / sizeof filler[0]; i++)
        if (tl_str_ieqn(w, n, filler[i], strlen(filler[i])))
            return false;
    return true;
}

static tl_err index_job_words(tl_matcher *m, const char *text)
{
    size_t n = strlen(text), pos = 0, count = 0;
    tl_word w;
    while (tl_next_word(text, n, &pos, &w))
        count++;
    tl_err e = htab_init(&m->job_words, count);
    if (e)
        return e;
    pos = 0;
    char buf[WORD_CAP];
    while (tl_next_word(text, n, &pos, &w)) {
        size_t len = normalize_word(text + w.start, w.len, buf, sizeof buf);
        if (content_word(buf, len))
            htab_put(&m->job_words, word_hash(buf, len), 1);
    }
    return TL_OK;
}

static tl_err index_keywords(tl_matcher *m)
{
    const tl_job *j = m->job;
    if (j->n_keywords == 0)
        return TL_OK;
    m->by_term = calloc(j->n_keywords, sizeof *m->by_term);
    tl_err e = m->by_term ? htab_init(&m->phrases, j->n_keywords) : TL_ENOMEM;
    if (e)
        return e;
    for (size_t i = 0; i < j->n_keywords; i++) {
        const tl_keyword *k = &j->keywords[i];
        if (k->term_id >= 0) {
            m->by_term[m->n_by_term].id = k->term_id;
            m->by_term[m->n_by_term].kw = (int)i;
            m->n_by_term++;
            continue;
        }
        if (!k->term)
            continue;
        int words = 0;
        uint64_t h = phrase_hash(k->term, strlen(k->term), &words);
        if (words == 0 || words > MAX_PHRASE_WORDS)
            continue;
        htab_put(&m->phrases, h, (int)i);
        if (words > m->max_words)
            m->max_words = words;
    }
    /* Stable: the heaviest keyword of a term stays first among equal ids. */
    qsort(m->by_term, m->n_by_term, sizeof *m->by_term, cmp_term_kw);
    return TL_OK;
}

/* ---- the job's spellings ---- */

typedef struct spelled {
    int kw;
    size_t start, len;
} spelled;

typedef struct spell_scan {
    const tl_matcher *m;
    const char *text;
    size_t n;
    spelled *v;
    size_t count, cap;
    bool oom;
} spell_scan;

/* "PostgreSQL", "SQL", "gRPC": capitals after the first letter are never
 * forced by the position of the word. */
static bool inner_capital(const char *p, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (isupper((unsigned char)p[i]))
            return true;
    return false;
}

static bool on_job_term(void *ud, const tl_term_match *tm)
{
    spell_scan *c = ud;
    int kw = tl_matcher_keyword_of_term(c->m, tm->id);
    if (kw < 0)
        return true;
    size_t len = tl_term_stem(c->m->terms, tm->id, c->text + tm->start, tm->len);
    if (!inner_capital(c->text + tm->start, len) &&
        !tl_case_informative(c->text, c->n, tm->start, tm->len))
        return true;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        spelled *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return false;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->count++] = (spelled){kw, tm->start, len};
    return true;
}

static bool same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* The most frequent spelling of keyword kw among the job's counted
 * occurrences; ties go to the canonical spelling, then to the first. */
static void pick_job_spelling(tl_matcher *m, const spell_scan *c, int kw)
{
    const char *canon = tl_terms_canonical(m->terms, m->job->keywords[kw].term_id);
    size_t best = SIZE_MAX, best_count = 0;
    bool best_canon = false;
    for (size_t i = 0; i < c->count; i++) {
        if (c->v[i].kw != kw)
            continue;
        const char *p = c->text + c->v[i].start;
        size_t count = 0;
        for (size_t k = 0; k < c->count; k++)
            count += c->v[k].kw == kw &&
                     same_bytes(p, c->v[i].len, c->text + c->v[k].start, c->v[k].len);
        bool is_canon = canon && same_bytes(p, c->v[i].len, canon, strlen(canon));
        if (count > best_count || (count == best_count && is_canon && !best_canon)) {
            best = i;
            best_count = count;
            best_canon = is_canon;
        }
    }
    if (best != SIZE_MAX) {
        m->js[kw] = c->text + c->v[best].start;
        m->jl[kw] = c->v[best].len;
    }
}

static tl_err index_job_spellings(tl_matcher *m, const char *text)
{
    size_t nk = m->job->n_keywords;
    m->js = calloc(nk + 1, sizeof *m->js);
    m->jl = calloc(nk + 1, sizeof *m->jl);
    if (!m->js || !m->jl)
        return TL_ENOMEM;
    spell_scan c = {m, text, strlen(text), NULL, 0, 0, false};
    tl_terms_scan(m->terms, text, c.n, on_job_term, &c);
    if (c.oom) {
        free(c.v);
        return TL_ENOMEM;
    }
    for (size_t kw = 0; kw < nk; kw++)
        if (m->job->keywords[kw].term_id >= 0)
            pick_job_spelling(m, &c, (int)kw);
    free(c.v);
    return TL_OK;
}

bool tl_matcher_job_spelling(const tl_matcher *m, int kw, const char **p, size_t *n)
{
    if (!m->job || !m->js || kw < 0 || (size_t)kw >= m->job->n_keywords || !m->js[kw])
        return false;
    *p = m->js[kw];
    *n = m->jl[kw];
    return true;
}

/* ---- spellings ---- */

static bool capitalised_word_at(const char *s, size_t i)
{
    return isupper((unsigned char)s[i]) != 0;
}

/* True when the word that ends right before text[i] (blanks between)
 * opens a sentence. */
static bool opens_sentence(const char *text, size_t w)
{
    while (w > 0 && text[w - 1] == ' ')
        w--;
    return w == 0 || strchr(".!?:;\n\r\t", text[w - 1]) != NULL;
}

/* True when the line around text[at] is written in title case ("Senior
 * Backend Engineer, Payments Infrastructure"): two or more words, every one
 * capitalised but for short function words. */
static bool title_line(const char *text, size_t n, size_t at)
{
    size_t from = at, to = at;
    while (from > 0 && text[from - 1] != '\n')
        from--;
    while (to < n && text[to] != '\n')
        to++;
    size_t pos = from, words = 0;
    tl_word w;
    while (tl_next_word(text, to, &pos, &w)) {
        const char *p = text + w.start;
        if (w.len <= 3 && tl_is_stopword(p, w.len))
            continue;
        if (!isupper((unsigned char)p[0]) && !isdigit((unsigned char)p[0]))
            return false;
        words++;
    }
    return words >= 2;
}

bool tl_case_informative(const char *text, size_t n, size_t start, size_t len)
{
    const char *p = text;
    size_t tn = n;
    tl_str_trim(&p, &tn);
    if (p == text + start && tn == len)
        return true; /* the whole text: a list item */
    if (opens_sentence(text, start) || title_line(text, n, start))
        return false;
    bool prev_cap = false, next_cap = false, prev_opens = false;
    size_t i = start;
    while (i > 0 && text[i - 1] == ' ')
        i--;
    if (i < start && i > 0 && wbyte((unsigned char)text[i - 1])) {
        size_t w = i;
        while (w > 0 && wbyte((unsigned char)text[w - 1]))
            w--;
        prev_cap = capitalised_word_at(text, w);
        prev_opens = opens_sentence(text, w);
    }
    size_t k = start + len;
    if (k < n && text[k] == ' ') {
        while (k < n && text[k] == ' ')
            k++;
        next_cap = k < n && capitalised_word_at(text, k);
    }
    /* In a title ("Senior Backend Engineer") every word is capitalised; a
     * capitalised first word of a sentence alone says nothing. */
    if (next_cap)
        return false;
    return !(prev_cap && !prev_opens);
}

size_t tl_term_stem(const tl_terms *t, int id, const char *p, size_t n)
{
    if (n > 2 && (p[n - 1] == 's' || p[n - 1] == 'S') && tl_terms_lookup(t, p, n) != id &&
        tl_terms_lookup(t, p, n - 1) == id)
        return n - 1;
    return n;
}

static bool single_word(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ' || p[i] == '-' || p[i] == '/')
            return false;
    return true;
}

/* b is a plus an English ending ("ledger" / "ledgers", "mentor" /
 * "mentored"). */
static bool inflection(const char *a, size_t an, const char *b, size_t bn)
{
    static const char *const endings[] = {"s",   "es",  "ed",   "d",    "ing",   "er",
                                          "ers", "ion", "ions", "ment", "ments", "ship"};
    if (bn <= an || !tl_str_ieqn(a, an, b, an))
        return false;
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++)
        if (tl_str_ieqn(b + an, bn - an, endings[i], strlen(endings[i])))
            return true;
    return false;
}

/* Equal ignoring case, blanks and hyphens. */
static bool squashed_equal(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, k = 0;
    for (;;) {
        while (i < an && (a[i] == ' ' || a[i] == '-'))
            i++;
        while (k < bn && (b[k] == ' ' || b[k] == '-'))
            k++;
        if (i == an || k == bn)
            return i == an && k == bn;
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[k]))
            return false;
        i++;
        k++;
    }
}

bool tl_respell_allowed(const tl_terms *t, int id, const char *from, size_t fn, const char *to,
                        size_t tn)
{
    if (same_bytes(from, fn, to, tn) || fn == 0 || tn == 0)
        return false;
    const char *cat = tl_terms_category(t, id);
    if (cat && strcmp(cat, "soft") == 0)
        return false;
    if (tl_verb_find(from, fn, NULL) >= 0)
        return false; /* a verb of the sentence ("mentored"), not a name */
    if (inflection(from, fn, to, tn) || inflection(to, tn, from, fn))
        return false;
    if (single_word(from, fn) && single_word(to, tn))
        return true;
    return squashed_equal(from, fn, to, tn);
}

tl_err tl_matcher_create(const tl_job *j, const tl_terms *t, tl_matcher **out)
{
    if (!t || !out)
        return TL_EINVAL;
    tl_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return TL_ENOMEM;
    m->job = j;
    m->terms = t;
    tl_err e = TL_OK;
    if (j) {
        e = index_keywords(m);
        if (!e && j->text)
            e = index_job_words(m, j->text);
        if (!e && j->text)
            e = index_job_spellings(m, j->text);
    }
    if (e) {
        tl_matcher_free(m);
        return e;
    }
    *out = m;
    return TL_OK;
}

void tl_matcher_free(tl_matcher *m)
{
    if (!m)
        return;
    free(m->by_term);
    free(m->phrases.s);
    free(m->job_words.s);
    free(m->js);
    free(m->jl);
    free(m);
}

const tl_job *tl_matcher_job(const tl_matcher *m)
{
    return m->job;
}

const tl_terms *tl_matcher_terms(const tl_matcher *m)
{
    return m->terms;
}

int tl_matcher_keyword_of_term(const tl_matcher *m, int term_id)
{
    size_t lo = 0, hi = m->n_by_term;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->by_term[mid].id < term_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_by_term && m->by_term[lo].id == term_id ? m->by_term[lo].kw : -1;
}

/* Counts one mention of keyword kw; spelled_ok is false when a dictionary
 * mention uses a spelling other than the job's. */
static void add_kw(const tl_matcher *m, tl_text_match *out, int kw, bool spelled_ok)
{
    for (size_t i = 0; i < out->n_kw; i++) {
        if (out->kw[i] == kw) {
            out->kw_count[i]++;
            out->kw_job_spelling[i] = out->kw_job_spelling[i] && spelled_ok;
            return;
        }
    }
    if (out->n_kw == TL_MATCH_MAX_KW)
        return;
    out->kw[out->n_kw] = kw;
    out->kw_count[out->n_kw] = 1;
    out->kw_job_spelling[out->n_kw] = spelled_ok;
    out->n_kw++;
    out->relevance += log1p(m->job->keywords[kw].weight);
}

typedef struct scan_ctx {
    const tl_matcher *m;
    const char *text;
    tl_text_match *out;
} scan_ctx;

static bool on_term(void *ud, const tl_term_match *tm)
{
    scan_ctx *c = ud;
    if (c->out->n_terms < TL_MATCH_MAX_TERMS)
        c->out->terms[c->out->n_terms++] = *tm;
    if (!c->m->job)
        return true;
    int kw = tl_matcher_keyword_of_term(c->m, tm->id);
    if (kw >= 0) {
        const char *js;
        size_t jl;
        bool ok = true;
        if (tl_matcher_job_spelling(c->m, kw, &js, &jl)) {
            const char *p = c->text + tm->start;
            size_t len = tl_term_stem(c->m->terms, tm->id, p, tm->len);
            ok = tl_str_ieqn(p, len, js, jl) ||
                 !tl_respell_allowed(c->m->terms, tm->id, p, len, js, jl);
        }
        add_kw(c->m, c->out, kw, ok);
    }
    return true;
}

/* Looks up every run of 1..max_words words that ends at each word. */
static void match_phrases(const tl_matcher *m, const char *text, size_t n, tl_text_match *out)
{
    uint64_t ring[MAX_PHRASE_WORDS];
    size_t seen = 0, pos = 0;
    tl_word w;
    char buf[WORD_CAP];
    size_t maxk = (size_t)m->max_words;
    while (tl_next_word(text, n, &pos, &w)) {
        size_t len = normalize_word(text + w.start, w.len, buf, sizeof buf);
        ring[seen % MAX_PHRASE_WORDS] = word_hash(buf, len);
        seen++;
        for (size_t k = 1; k <= maxk && k <= seen; k++) {
            uint64_t h = ring[(seen - k) % MAX_PHRASE_WORDS];
            for (size_t i = k - 1; i >= 1; i--)
                h = combine(h, ring[(seen - i) % MAX_PHRASE_WORDS]);
            int kw = htab_get(&m->phrases, h);
            if (kw >= 0)
                add_kw(m, out, kw, true);
        }
    }
}

/* Heaviest first; insertion sort keeps the order of first mention for
 * equal weights, and n is small. */
static void sort_kw(const tl_matcher *m, tl_text_match *out)
{
    for (size_t i = 1; i < out->n_kw; i++) {
        int kw = out->kw[i], cnt = out->kw_count[i];
        bool sp = out->kw_job_spelling[i];
        double w = m->job->keywords[kw].weight;
        size_t j = i;
        while (j > 0 && m->job->keywords[out->kw[j - 1]].weight < w) {
            out->kw[j] = out->kw[j - 1];
            out->kw_count[j] = out->kw_count[j - 1];
            out->kw_job_spelling[j] = out->kw_job_spelling[j - 1];
            j--;
        }
        out->kw[j] = kw;
        out->kw_count[j] = cnt;
        out->kw_job_spelling[j] = sp;
    }
}

void tl_matcher_match(const tl_matcher *m, const char *text, size_t n, tl_text_match *out)
{
    out->n_terms = 0;
    out->n_kw = 0;
    out->relevance = 0;
    if (!text || n == 0)
        return;
    scan_ctx c = {m, text, out};
    tl_terms_scan(m->terms, text, n, on_term, &c);
    if (m->job && m->max_words > 0)
        match_phrases(m, text, n, out);
    if (m->job)
        sort_kw(m, out);
}

static bool on_term_only(void *ud, const tl_term_match *tm)
{
    tl_text_match *out = ud;
    if (out->n_terms < TL_MATCH_MAX_TERMS)
        out->terms[out->n_terms++] = *tm;
    return out->n_terms < TL_MATCH_MAX_TERMS;
}

void tl_matcher_terms_only(const tl_matcher *m, const char *text, size_t n, tl_text_match *out)
{
    out->n_terms = 0;
    out->n_kw = 0;
    out->relevance = 0;
    if (text && n)
        tl_terms_scan(m->terms, text, n, on_term_only, out);
}

size_t tl_matcher_overlap(const tl_matcher *m, const char *text, size_t n)
{
    if (!m->job_words.s || !text)
        return 0;
    uint64_t seen[64];
    size_t n_seen = 0, pos = 0;
    tl_word w;
    char buf[WORD_CAP];
    while (tl_next_word(text, n, &pos, &w) && n_seen < 64) {
        size_t len = normalize_word(text + w.start, w.len, buf, sizeof buf);
        if (!content_word(buf, len))
            continue;
        uint64_t h = word_hash(buf, len);
        if (htab_get(&m->job_words, h) < 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < n_seen && !dup; i++)
            dup = seen[i] == h;
        if (!dup)
            seen[n_seen++] = h;
    }
    return n_seen;
}

const char *tl_part_phrase(tl_jd_part p, bool plural)
{
    switch (p) {
    case TL_JD_REQUIREMENTS: return plural ? "requirements" : "a requirement";
    case TL_JD_RESPONSIBILITIES:
        return plural ? "responsibilities of the role" : "a responsibility of the role";
    case TL_JD_NICE_TO_HAVE: return plural ? "nice to have" : "nice to have";
    case TL_JD_OTHER: break;
    }
    return plural ? "named in the job description" : "named in the job description";
}

/* ------------------------------------------------------------------ verbs */

/* Verbs that open resume bullets. past and gerund are NULL when regular:
 * past adds "ed" ("d" after e, "ied" after a consonant and y); the gerund
 * drops a final e and doubles a consonant when the past does. */
typedef struct verb {
    const char *base, *past, *gerund;
} verb;

/* clang-format off */
static const verb verbs[] = {
    {"accelerate", NULL, NULL}, {"accomplish", NULL, NULL}, {"achieve", NULL, NULL},
    {"acquire", NULL, NULL},    {"adapt", NULL, NULL},      {"address", NULL, NULL},
    {"administer", NULL, NULL}, {"advance", NULL, NULL},    {"advise", NULL, NULL},
    {"advocate", NULL, NULL},   {"align", NULL, NULL},      {"allocate", NULL, NULL},
    {"analyse", NULL, NULL},    {"analyze", NULL, NULL},    {"apply", NULL, NULL},
    {"architect", NULL, NULL},  {"arrange", NULL, NULL},    {"assemble", NULL, NULL},
    {"assess", NULL, NULL},     {"assist", NULL, NULL},     {"audit", NULL, NULL},
    {"author", NULL, NULL},     {"automate", NULL, NULL},   {"balance", NULL, NULL},
    {"benchmark", NULL, NULL},  {"boost", NULL, NULL},      {"build", "built", NULL},
    {"calculate", NULL, NULL},  {"care", NULL, NULL},       {"champion", NULL, NULL},
    {"clarify", NULL, NULL},    {"coach", NULL, NULL},      {"code", NULL, NULL},
    {"collaborate", NULL, NULL}, {"collect", NULL, NULL},   {"communicate", NULL, NULL},
    {"compile", NULL, NULL},    {"complete", NULL, NULL},   {"conduct", NULL, NULL},
    {"configure", NULL, NULL},  {"consolidate", NULL, NULL}, {"consult", NULL, NULL},
    {"contribute", NULL, NULL}, {"control", "controlled", NULL}, {"convert", NULL, NULL},
    {"coordinate", NULL, NULL}, {"counsel", NULL, NULL},    {"create", NULL, NULL},
    {"cultivate", NULL, NULL},  {"curate", NULL, NULL},     {"cut", "cut", "cutting"},
    {"debug", "debugged", NULL}, {"decrease", NULL, NULL},  {"define", NULL, NULL},
    {"delegate", NULL, NULL},   {"deliver", NULL, NULL},    {"demonstrate", NULL, NULL},
    {"deploy", NULL, NULL},     {"design", NULL, NULL},     {"detect", NULL, NULL},
    {"develop", NULL, NULL},    {"devise", NULL, NULL},     {"diagnose", NULL, NULL},
    {"direct", NULL, NULL},     {"discover", NULL, NULL},   {"document", NULL, NULL},
    {"draft", NULL, NULL},      {"drive", "drove", NULL},   {"edit", NULL, NULL},
    {"educate", NULL, NULL},    {"eliminate", NULL, NULL},  {"enable", NULL, NULL},
    {"engineer", NULL, NULL},   {"enhance", NULL, NULL},    {"ensure", NULL, NULL},
    {"establish", NULL, NULL},  {"evaluate", NULL, NULL},   {"examine", NULL, NULL},
    {"execute", NULL, NULL},    {"expand", NULL, NULL},     {"expedite", NULL, NULL},
    {"facilitate", NULL, NULL}, {"forecast", "forecast", NULL}, {"formulate", NULL, NULL},
    {"foster", NULL, NULL},     {"generate", NULL, NULL},   {"grow", "grew", NULL},
    {"guide", NULL, NULL},      {"handle", NULL, NULL},     {"help", NULL, NULL},
    {"hire", NULL, NULL},       {"identify", NULL, NULL},   {"implement", NULL, NULL},
    {"improve", NULL, NULL},    {"increase", NULL, NULL},   {"influence", NULL, NULL},
    {"initiate", NULL, NULL},   {"innovate", NULL, NULL},   {"inspect", NULL, NULL},
    {"install", NULL, NULL},    {"instruct", NULL, NULL},   {"integrate", NULL, NULL},
    {"interview", NULL, NULL},  {"introduce", NULL, NULL},  {"investigate", NULL, NULL},
    {"launch", NULL, NULL},     {"lead", "led", NULL},      {"maintain", NULL, NULL},
    {"manage", NULL, NULL},     {"map", "mapped", NULL},    {"market", NULL, NULL},
    {"maximise", NULL, NULL},   {"maximize", NULL, NULL},   {"measure", NULL, NULL},
    {"mentor", NULL, NULL},     {"merge", NULL, NULL},      {"migrate", NULL, NULL},
    {"minimise", NULL, NULL},   {"minimize", NULL, NULL},   {"model", "modeled", NULL},
    {"modernise", NULL, NULL},  {"modernize", NULL, NULL},  {"monitor", NULL, NULL},
    {"motivate", NULL, NULL},   {"negotiate", NULL, NULL},  {"onboard", NULL, NULL},
    {"operate", NULL, NULL},    {"optimise", NULL, NULL},   {"optimize", NULL, NULL},
    {"orchestrate", NULL, NULL}, {"organise", NULL, NULL},  {"organize", NULL, NULL},
    {"oversee", "oversaw", NULL}, {"own", NULL, NULL},      {"partner", NULL, NULL},
    {"perform", NULL, NULL},    {"pilot", NULL, NULL},      {"pioneer", NULL, NULL},
    {"plan", "planned", NULL},  {"precept", NULL, NULL},    {"prepare", NULL, NULL},
    {"present", NULL, NULL},    {"prioritise", NULL, NULL}, {"prioritize", NULL, NULL},
    {"process", NULL, NULL},    {"produce", NULL, NULL},    {"program", "programmed", NULL},
    {"promote", NULL, NULL},    {"propose", NULL, NULL},    {"prototype", NULL, NULL},
    {"provide", NULL, NULL},    {"publish", NULL, NULL},    {"raise", NULL, NULL},
    {"rebuild", "rebuilt", NULL}, {"recommend", NULL, NULL}, {"recruit", NULL, NULL},
    {"redesign", NULL, NULL},   {"reduce", NULL, NULL},     {"refactor", NULL, NULL},
    {"release", NULL, NULL},    {"remediate", NULL, NULL},  {"report", NULL, NULL},
    {"research", NULL, NULL},   {"resolve", NULL, NULL},    {"respond", NULL, NULL},
    {"restructure", NULL, NULL}, {"review", NULL, NULL},    {"revamp", NULL, NULL},
    {"rewrite", "rewrote", NULL}, {"run", "ran", "running"}, {"save", NULL, NULL},
    {"scale", NULL, NULL},      {"schedule", NULL, NULL},   {"scope", NULL, NULL},
    {"secure", NULL, NULL},     {"select", NULL, NULL},     {"serve", NULL, NULL},
    {"set", "set", "setting"},  {"ship", "shipped", NULL},  {"simplify", NULL, NULL},
    {"solve", NULL, NULL},      {"spearhead", NULL, NULL},  {"standardise", NULL, NULL},
    {"standardize", NULL, NULL}, {"steer", NULL, NULL},     {"streamline", NULL, NULL},
    {"strengthen", NULL, NULL}, {"structure", NULL, NULL},  {"supervise", NULL, NULL},
    {"support", NULL, NULL},    {"teach", "taught", NULL},  {"test", NULL, NULL},
    {"titrate", NULL, NULL},    {"track", NULL, NULL},      {"train", NULL, NULL},
    {"transform", NULL, NULL},  {"translate", NULL, NULL},  {"treat", NULL, NULL},
    {"triage", NULL, NULL},     {"troubleshoot", NULL, NULL}, {"tune", NULL, NULL},
    {"unify", NULL, NULL},      {"update", NULL, NULL},     {"upgrade", NULL, NULL},
    {"validate", NULL, NULL},   {"verify", NULL, NULL},     {"win", "won", "winning"},      {"work", NULL, NULL},
    {"write", "wrote", NULL},
};
/* clang-format on */

#define N_VERBS (sizeof verbs / sizeof verbs[0])

static bool is_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* Writes form f of verb v (lowercase) into out[cap]; returns the length or
 * 0 when it does not fit. */
static size_t verb_form(const verb *v, tl_verb_form f, char *out, size_t cap)
{
    size_t n = strlen(v->base);
    const char *b = v->base;
    int w = 0;
    switch (f) {
    case TL_VERB_BASE: w = snprintf(out, cap, "%s", b); break;
    case TL_VERB_PAST:
        if (v->past)
            w = snprintf(out, cap, "%s", v->past);
        else if (b[n - 1] == 'e')
            w = snprintf(out, cap, "%sd", b);
        else if (b[n - 1] == 'y' && n > 1 && !is_vowel(b[n - 2]))
            w = snprintf(out, cap, "%.*sied", (int)(n - 1), b);
        else
            w = snprintf(out, cap, "%sed", b);
        break;
    case TL_VERB_THIRD:
        if (b[n - 1] == 's' || b[n - 1] == 'x' || b[n - 1] == 'z' ||
            (n > 1 && (b[n - 1] == 'h') && (b[n - 2] == 'c' || b[n - 2] == 's')))
            w = snprintf(out, cap, "%ses", b);
        else if (b[n - 1] == 'y' && n > 1 && !is_vowel(b[n - 2]))
            w = snprintf(out, cap, "%.*sies", (int)(n - 1), b);
        else
            w = snprintf(out, cap, "%ss", b);
        break;
    case TL_VERB_GERUND: {
        size_t pl = v->past ? strlen(v->past) : 0;
        bool doubled =
            v->past && pl == n + 3 && v->past[n] == b[n - 1] && strcmp(v->past + n + 1, "ed") == 0;
        if (v->gerund)
            w = snprintf(out, cap, "%s", v->gerund);
        else if (doubled)
            w = snprintf(out, cap, "%s%cing", b, b[n - 1]);
        else if (b[n - 1] == 'e' && n > 2 && b[n - 2] != 'e' && b[n - 2] != 'o' && b[n - 2] != 'y')
            w = snprintf(out, cap, "%.*sing", (int)(n - 1), b);
        else
            w = snprintf(out, cap, "%sing", b);
        break;
    }
    }
    return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

/* Every form of every table verb, sorted by spelling (then by form, base
 * first), built once: a lookup is a binary search. */
typedef struct vform {
    char w[24];
    short verb;
    unsigned char form;
} vform;

static vform vforms[N_VERBS * 4];
static size_t n_vforms;
static pthread_once_t vforms_once = PTHREAD_ONCE_INIT;

static int cmp_vform(const void *a, const void *b)
{
    const vform *x = a, *y = b;
    int c = strcmp(x->w, y->w);
    return c ? c : (x->form > y->form) - (x->form < y->form);
}

static void build_vforms(void)
{
    static const tl_verb_form order[] = {TL_VERB_BASE, TL_VERB_PAST, TL_VERB_THIRD, TL_VERB_GERUND};
    for (size_t i = 0; i < N_VERBS; i++) {
        for (size_t f = 0; f < 4; f++) {
            vform *v = &vforms[n_vforms];
            if (verb_form(&verbs[i], order[f], v->w, sizeof v->w) == 0)
                continue;
            v->verb = (short)i;
            v->form = (unsigned char)order[f];
            n_vforms++;
        }
    }
    qsort(vforms, n_vforms, sizeof *vforms, cmp_vform);
}

int tl_verb_find(const char *w, size_t n, tl_verb_form *form)
{
    vform key;
    if (n == 0 || n >= sizeof key.w)
        return -1;
    pthread_once(&vforms_once, build_vforms);
    for (size_t i = 0; i < n; i++)
        key.w[i] = (char)tolower((unsigned char)w[i]);
    key.w[n] = '\0';
    /* The leftmost entry with this spelling: the base form when two forms
     * are spelled alike ("cut"). */
    size_t lo = 0, hi = n_vforms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(vforms[mid].w, key.w) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n_vforms || strcmp(vforms[lo].w, key.w) != 0)
        return -1;
    if (form)
        *form = (tl_verb_form)vforms[lo].form;
    return vforms[lo].verb;
}

size_t tl_verb_spell(int v, tl_verb_form form, bool cap_first, char *out, size_t cap)
{
    if (v < 0 || (size_t)v >= N_VERBS || cap == 0)
        return 0;
    size_t len = verb_form(&verbs[v], form, out, cap);
    if (len && cap_first)
        out[0] = (char)toupper((unsigned char)out[0]);
    return len;
}

/* ------------------------------------------------------------------ dates */

static const char *const month_names[12] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};

int tl_month_from_word(const char *w, size_t n)
{
    if (n > 0 && w[n - 1] == '.')
        n--;
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++) {
        const char *m = month_names[i];
        size_t ml = strlen(m);
        if (tl_str_ieqn(w, n, m, ml) || tl_str_ieqn(w, n, m, 3))
            return i + 1;
    }
    if (tl_str_ieqn(w, n, "sept", 4))
        return 9;
    return 0;
}

static bool is_full_month(const char *w, size_t n, int month)
{
    const char *m = month_names[month - 1];
    return tl_str_ieqn(w, n, m, strlen(m));
}

/* Reads exactly k digits at s[*i]; false otherwise. */
static bool digits(const char *s, size_t n, size_t *i, size_t k, int *out)
{
    int v = 0;
    for (size_t j = 0; j < k; j++) {
        if (*i + j >= n || !isdigit((unsigned char)s[*i + j]))
            return false;
        v = v * 10 + (s[*i + j] - '0');
    }
    if (*i + k < n && isdigit((unsigned char)s[*i + k]))
        return false;
    *i += k;
    *out = v;
    return true;
}

static bool parse_numeric_date(const char *s, size_t n, tl_date *d)
{
    size_t i = 0;
    int a = 0, b = 0, c = 0;
    if (digits(s, n, &i, 4, &a)) {
        if (i == n) {
            *d = (tl_date){a, 0, 0, TL_DATE_YEAR};
            return true;
        }
        if (s[i] != '-' || !(i++, digits(s, n, &i, 2, &b)) || b < 1 || b > 12)
            return false;
        if (i == n) {
            *d = (tl_date){a, b, 0, TL_DATE_ISO_MONTH};
            return true;
        }
        if (s[i] != '-' || !(i++, digits(s, n, &i, 2, &c)) || c < 1 || c > 31 || i != n)
            return false;
        *d = (tl_date){a, b, c, TL_DATE_ISO_DAY};
        return true;
    }
    i = 0;
    if (!digits(s, n, &i, 2, &b) && !(i = 0, digits(s, n, &i, 1, &b)))
        return false;
    if (i >= n || s[i] != '/' || b < 1 || b > 12)
        return false;
    i++;
    if (!digits(s, n, &i, 4, &a) || i != n)
        return false;
    *d = (tl_date){a, b, 0, TL_DATE_SLASH};
    return true;
}

bool tl_date_parse(const char *s, size_t n, tl_date *out)
{
    tl_str_trim(&s, &n);
    if (n == 0)
        return false;
    tl_date d;
    if (isdigit((unsigned char)s[0])) {
        if (!parse_numeric_date(s, n, &d))
            return false;
        *out = d;
        return true;
    }
    /* "Month YYYY", "Mon. YYYY", "Month, YYYY" */
    size_t i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    int month = tl_month_from_word(s, i + (i < n && s[i] == '.'));
    if (!month)
        return false;
    size_t wlen = i;
    if (i < n && (s[i] == '.' || s[i] == ','))
        i++;
    if (i >= n || s[i] != ' ')
        return false;
    while (i < n && s[i] == ' ')
        i++;
    int year = 0;
    if (!digits(s, n, &i, 4, &year) || i != n)
        return false;
    d.year = year;
    d.month = month;
    d.day = 0;
    d.style = is_full_month(s, wlen, month) ? TL_DATE_MONTH : TL_DATE_MON;
    *out = d;
    return true;
}

size_t tl_date_format(const tl_date *d, tl_date_style style, char *out, size_t cap)
{
    int w = -1;
    bool month_ok = d->month >= 1 && d->month <= 12;
    switch (style) {
    case TL_DATE_ISO_MONTH:
        if (month_ok)
            w = snprintf(out, cap, "%04d-%02d", d->year, d->month);
        break;
    case TL_DATE_ISO_DAY:
        if (month_ok && d->day)
            w = snprintf(out, cap, "%04d-%02d-%02d", d->year, d->month, d->day);
        break;
    case TL_DATE_MON:
        if (month_ok)
            w = snprintf(out, cap, "%.3s %04d", month_names[d->month - 1], d->year);
        break;
    case TL_DATE_MONTH:
        if (month_ok)
            w = snprintf(out, cap, "%s %04d", month_names[d->month - 1], d->year);
        break;
    case TL_DATE_SLASH:
        if (month_ok)
            w = snprintf(out, cap, "%02d/%04d", d->month, d->year);
        break;
    case TL_DATE_YEAR: w = snprintf(out, cap, "%04d", d->year); break;
    case TL_DATE_NONE:
    case TL_DATE_STYLE_COUNT_: break;
    }
    return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

bool tl_date_is_present(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    tl_str_trim(&s, &n);
    static const char *const words[] = {"present", "current", "now", "today", "ongoing"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (tl_str_ieqn(s, n, words[i], strlen(words[i])))
            return true;
    return false;
}

bool tl_entry_is_past(const tl_entry *e)
{
    return e->end_date && e->end_date[0] && !tl_date_is_present(e->end_date);
}

bool tl_entry_is_current(const tl_entry *e)
{
    if (e->end_date && e->end_date[0])
        return tl_date_is_present(e->end_date);
    return e->start_date && e->start_date[0];
}

/* ----------------------------------------------------------- resume parts */

bool tl_section_tailorable(tl_section_kind k)
{
    return k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS ||
           k == TL_SEC_SKILLS || k == TL_SEC_CUSTOM;
}

static bool visit(tl_text_cb cb, void *ud, int section, size_t entry, int bullet, tl_text_slot slot,
                  const char *text)
{
    if (!text || !text[0])
        return true;
    tl_text_ref ref = {section, entry, bullet, slot, text};
    return cb(ud, &ref);
}

static bool walk_basics(const tl_basics *b, tl_text_cb cb, void *ud)
{
    bool go = visit(cb, ud, -1, 0, -1, TL_SLOT_NAME, b->name) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_LABEL, b->label) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_SUMMARY, b->summary) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_LOCATION, b->location) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->email) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->phone) &&
              visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->url);
    for (size_t i = 0; go && i < b->n_profiles; i++)
        go = visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->profiles[i].network) &&
             visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->profiles[i].username) &&
             visit(cb, ud, -1, 0, -1, TL_SLOT_CONTACT, b->profiles[i].url);
    return go;
}

static bool walk_entry(const tl_entry *e, int s, size_t i, tl_text_cb cb, void *ud)
{
    bool go = visit(cb, ud, s, i, -1, TL_SLOT_TITLE, e->title) &&
              visit(cb, ud, s, i, -1, TL_SLOT_ORG, e->org) &&
              visit(cb, ud, s, i, -1, TL_SLOT_LOCATION, e->location) &&
              visit(cb, ud, s, i, -1, TL_SLOT_DATE, e->start_date) &&
              visit(cb, ud, s, i, -1, TL_SLOT_DATE, e->end_date) &&
              visit(cb, ud, s, i, -1, TL_SLOT_DATE, e->date) &&
              visit(cb, ud, s, i, -1, TL_SLOT_SUMMARY, e->summary) &&
              visit(cb, ud, s, i, -1, TL_SLOT_CONTACT, e->url);
    for (size_t b = 0; go && b < e->n_bullets; b++)
        go = visit(cb, ud, s, i, (int)b, TL_SLOT_BULLET, e->bullets[b]);
    for (size_t f = 0; go && f < e->n_fields; f++)
        go = visit(cb, ud, s, i, -1, TL_SLOT_FIELD, e->fields[f].value);
    return go;
}

void tl_resume_texts(const tl_resume *r, tl_text_cb cb, void *ud)
{
    if (!r || !walk_basics(&r->basics, cb, ud))
        return;
    for (size_t s = 0; s < r->n_sections; s++)
        for (size_t i = 0; i < r->sections[s].n_entries; i++)
            if (!walk_entry(&r->sections[s].entries[i], (int)s, i, cb, ud))
                return;
}
