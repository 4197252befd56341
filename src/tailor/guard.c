#include "tailor/guard.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tailor/match.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/limits.h"
#include "util/str.h"

const char *tl_fact_kind_name(tl_fact_kind k)
{
    switch (k) {
    case TL_FACT_NUMBER: return "number";
    case TL_FACT_DATE: return "date";
    case TL_FACT_EMPLOYER: return "employer";
    case TL_FACT_TITLE: return "title";
    case TL_FACT_DEGREE: return "degree";
    case TL_FACT_CERTIFICATION: return "certification";
    case TL_FACT_SKILL: return "skill";
    case TL_FACT_NAME: return "name";
    }
    return "unknown";
}

/* snprintf that may truncate on purpose (ids and excerpts are for people). */
static void fmt_into(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_into(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ small sets */

/* A growable array, sorted and deduplicated once filled. */
typedef struct u64set {
    uint64_t *v;
    size_t n, cap;
} u64set;

static bool u64_add(u64set *s, uint64_t x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *p = realloc(s->v, cap * sizeof *p);
        if (!p)
            return false;
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void u64_seal(u64set *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[k - 1])
            s->v[k++] = s->v[i];
    s->n = k;
}

static bool u64_has(const u64set *s, uint64_t x)
{
    return s->n && bsearch(&x, s->v, s->n, sizeof x, cmp_u64) != NULL;
}

/* Numbers are kept as their value times 1000, rounded, so that "3.7",
 * "25k" and "25,000" compare as values. */
static uint64_t num_key(double v)
{
    return (uint64_t)llround(fabs(v) * 1000.0);
}

static uint64_t word_key(const char *w, size_t n)
{
    char buf[64];
    if (n > sizeof buf)
        n = sizeof buf;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)w[i]);
    return tl_hash64(buf, n, 0x9e3779b97f4a7c15ull);
}

/* -------------------------------------------------------------- the guard */

struct tl_guard {
    const tl_resume *orig;
    const tl_job *job;
    const tl_terms *terms;
    tl_matcher *m;
    u64set words;     /* every word of the original, case-folded */
    u64set numbers;   /* num_key of every number */
    u64set dates;     /* year * 100 + month (month 0: a year alone) */
    u64set degrees;   /* word_key of normalised degree words ("phd", "ms") */
    u64set term_ids;  /* canonical ids of the dictionary terms mentioned */
    bool *orig_kw;    /* job keyword i is mentioned by the original */
    tl_buf blob;      /* " word word ... ": the original, case-folded, one space between words */
    tl_text_match tm; /* scratch for building only */
};

/* ---- recognisers shared by indexing and checking ---- */

/* clang-format off */
static const char *const number_words[] = {
    "two",     "three",    "four",     "five",    "six",     "seven",  "eight",
    "nine",    "ten",      "eleven",   "twelve",  "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",
    "fifty",   "sixty",    "seventy",  "eighty",  "ninety",  "hundred"};
/* clang-format on */
/* clang-format off */
static const int number_values[] = {2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 30, 40, 50, 60, 70, 80, 90, 100};
/* clang-format on */

static int number_word(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof number_words / sizeof number_words[0]; i++)
        if (tl_str_ieqn(w, n, number_words[i], strlen(number_words[i])))
            return number_values[i];
    return 0;
}

/* Reads the number at s[i] (digits, thousands commas, a decimal part, a
 * k/m/b multiplier not followed by a letter). Sets *end past it. */
static double read_number(const char *s, size_t n, size_t i, size_t *end)
{
    double v = 0;
    while (i < n) {
        if (isdigit((unsigned char)s[i])) {
            v = v * 10 + (s[i] - '0');
            i++;
        } else if (s[i] == ',' && i + 3 < n && isdigit((unsigned char)s[i + 1]) &&
                   isdigit((unsigned char)s[i + 2]) && isdigit((unsigned char)s[i + 3]) &&
                   (i + 4 >= n || !isdigit((unsigned char)s[i + 4]))) {
            i++;
        } else {
            break;
        }
    }
    if (i + 1 < n && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
        double scale = 0.1;
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            v += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    if (i < n && (i + 1 >= n || !isalpha((unsigned char)s[i + 1]))) {
        char c = (char)tolower((unsigned char)s[i]);
        if (c == 'k' || c == 'm' || c == 'b') {
            v *= c == 'k' ? 1e3 : c == 'm' ? 1e6 : 1e9;
            i++;
        }
    }
    *end = i;
    return v;
}

/* Letters and dots at s[i] as a degree word ("Ph.D." -> "phd", "M.S." ->
 * "ms", "MBA" -> "mba"). Returns its normalised key, or 0 when it is not
 * one. *end is set past the letters and dots. */
static uint64_t degree_at(const char *s, size_t n, size_t i, size_t *end)
{
    char buf[16];
    size_t k = 0, j = i;
    bool dotted = false;
    while (j < n && (isalpha((unsigned char)s[j]) || s[j] == '.') && k < sizeof buf - 1) {
        if (s[j] == '.')
            dotted = true;
        else
            buf[k++] = (char)tolower((unsigned char)s[j]);
        j++;
    }
    *end = j;
    while (j > i && s[j - 1] == '.') /* a sentence's full stop may follow */
        j--;
    buf[k] = '\0';
    bool capital = isupper((unsigned char)s[i]);
    bool upper2 = k >= 2 && isupper((unsigned char)s[i]) && isupper((unsigned char)s[j - 1]);
    static const char *const any_form[] = {"phd",  "mba",  "msc", "bsc", "bsn", "msn", "dnp",
                                           "meng", "beng", "mph", "mfa", "edd", "llm"};
    static const char *const capital_words[] = {"bachelor", "bachelors", "master", "masters",
                                                "doctorate"};
    static const char *const short_forms[] = {"ms", "bs", "ba", "ma"};
    for (size_t a = 0; a < sizeof any_form / sizeof any_form[0]; a++)
        if (strcmp(buf, any_form[a]) == 0 && (capital || dotted))
            return word_key(buf, k);
    for (size_t a = 0; a < sizeof capital_words / sizeof capital_words[0]; a++)
        if (strcmp(buf, capital_words[a]) == 0 && capital)
            return word_key(buf, k);
    for (size_t a = 0; a < sizeof short_forms / sizeof short_forms[0]; a++)
        if (strcmp(buf, short_forms[a]) == 0 && (dotted || upper2))
            return word_key(buf, k);
    return 0;
}

/* clang-format off */
static const char *const title_words[] = {
    "engineer",    "developer",  "manager",      "director",   "analyst",       "scientist",
    "architect",   "designer",   "consultant",   "specialist", "coordinator",   "administrator",
    "officer",     "president",  "vp",           "nurse",      "physician",     "technician",
    "technologist", "intern",    "representative", "executive", "supervisor",   "accountant",
    "advisor",     "adviser",    "strategist",   "researcher", "recruiter",     "cto",
    "ceo",         "cfo",        "coo",          "cio",        "founder",       "cofounder",
    "therapist",   "pharmacist", "teacher",      "professor",  "lecturer",      "instructor",
    "programmer",  "assistant",  "head",         "chief",      "principal",     "staff",
    "fellow",      "paralegal",  "attorney",     "lawyer"};
/* clang-format on */

static bool is_title_word(const char *w, size_t n)
{
    if (n > 2 && (w[n - 1] == 's' || w[n - 1] == 'S'))
        n--; /* "Engineers" */
    for (size_t i = 0; i < sizeof title_words / sizeof title_words[0]; i++)
        if (tl_str_ieqn(w, n, title_words[i], strlen(title_words[i])))
            return true;
    return false;
}

/* clang-format off */
static const char *const cert_acronyms[] = {
    "CCRN", "PCCN", "BLS",  "ACLS", "PALS", "NRP",   "TNCC", "CEN",  "CNOR", "CPN",  "RNC",
    "PMP",  "CAPM", "CPA",  "CFA",  "CMA",  "CISSP", "CISM", "CISA", "CCNA", "CCNP", "CKA",
    "CKAD", "CKS",  "CSM",  "CSPO", "PHR",  "SPHR",  "SHRM", "RHCE", "RHCSA", "OSCP", "FRM"};
/* clang-format on */

static bool is_cert_acronym(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof cert_acronyms / sizeof cert_acronyms[0]; i++)
        if (n == strlen(cert_acronyms[i]) && memcmp(w, cert_acronyms[i], n) == 0)
            return true;
    return false;
}

/* clang-format off */
static const char *const org_suffixes[] = {
    "inc",   "llc",        "ltd",      "corp",     "corporation", "company",  "co",
    "labs",  "group",      "technologies", "systems", "bank",     "hospital", "clinic",
    "clinics", "university", "college", "institute", "health",    "partners", "capital",
    "ventures", "gmbh",     "plc",      "foundation", "agency",   "studios",  "holdings"};
/* clang-format on */

static bool in_list(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (tl_str_ieqn(w, n, list[i], strlen(list[i])))
            return true;
    return false;
}

#define IN_LIST(w, n, list) in_list(w, n, list, sizeof list / sizeof list[0])

static const char *const employer_cues[] = {"at", "for", "joined", "from"};

/* Month word followed by a 4-digit year at s[i]: fills *key (year*100 +
 * month) and *end. */
static bool month_year_at(const char *s, size_t n, const tl_word *w, uint64_t *key, size_t *end)
{
    int month = tl_month_from_word(s + w->start, w->len);
    if (!month)
        return false;
    size_t j = w->start + w->len;
    if (j < n && (s[j] == '.' || s[j] == ','))
        j++;
    while (j < n && s[j] == ' ')
        j++;
    if (j + 4 > n)
        return false;
    int year = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!isdigit((unsigned char)s[j + k]))
            return false;
        year = year * 10 + (s[j + k] - '0');
    }
    if (j + 4 < n && isdigit((unsigned char)s[j + 4]))
        return false;
    *key = (uint64_t)year * 100 + (uint64_t)month;
    *end = j + 4;
    return true;
}

/* "2021-03" or "03/2021" at s[i]. */
static bool numeric_month_at(const char *s, size_t n, size_t i, uint64_t *key, size_t *end)
{
    size_t j = i;
    while (j < n && (isdigit((unsigned char)s[j]) || s[j] == '-' || s[j] == '/'))
        j++;
    tl_date d;
    if (!tl_date_parse(s + i, j - i, &d) || !d.month)
        return false;
    *key = (uint64_t)d.year * 100 + (uint64_t)d.month;
    *end = j;
    return true;
}

/* ---- indexing the original ---- */

typedef struct index_ctx {
    tl_guard *g;
    bool ok;
} index_ctx;

static bool index_numbers_dates(tl_guard *g, const char *s, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok;) {
        uint64_t key;
        size_t end;
        if (isdigit((unsigned char)s[i]) && (i == 0 || !isdigit((unsigned char)s[i - 1]))) {
            if (numeric_month_at(s, n, i, &key, &end))
                ok = u64_add(&g->dates, key) && u64_add(&g->dates, key / 100 * 100);
            double v = read_number(s, n, i, &end);
            ok = ok && u64_add(&g->numbers, num_key(v));
            if (v >= 1900 && v <= 2100 && v == floor(v))
                ok = ok && u64_add(&g->dates, (uint64_t)v * 100);
            i = end > i ? end : i + 1;
            continue;
        }
        i++;
    }
    return ok;
}

static bool index_words(tl_guard *g, const char *s, size_t n)
{
    size_t pos = 0;
    tl_word w;
    bool ok = true;
    while (ok && tl_next_word(s, n, &pos, &w)) {
        const char *p = s + w.start;
        ok = u64_add(&g->words, word_key(p, w.len));
        int nv = number_word(p, w.len);
        if (ok && nv)
            ok = u64_add(&g->numbers, num_key(nv));
        uint64_t key;
        size_t end;
        if (ok && month_year_at(s, n, &w, &key, &end))
            ok = u64_add(&g->dates, key);
        if (ok && isalpha((unsigned char)p[0])) {
            uint64_t dk = degree_at(s, n, w.start, &end);
            if (dk)
                ok = u64_add(&g->degrees, dk);
        }
        /* The blob: case-folded words, one space apart. */
        for (size_t k = 0; ok && k < w.len; k++)
            ok = tl_buf_putc(&g->blob, (char)tolower((unsigned char)p[k])) == TL_OK;
        ok = ok && tl_buf_putc(&g->blob, ' ') == TL_OK;
    }
    return ok && tl_buf_puts(&g->blob, "| ") == TL_OK; /* texts never run together */
}

static bool index_text(void *ud, const tl_text_ref *ref)
{
    index_ctx *c = ud;
    tl_guard *g = c->g;
    const char *s = ref->text;
    size_t n = strlen(s);
    tl_matcher_match(g->m, s, n, &g->tm);
    for (size_t i = 0; c->ok && i < g->tm.n_terms; i++)
        c->ok = u64_add(&g->term_ids, (uint64_t)g->tm.terms[i].id);
    for (size_t i = 0; i < g->tm.n_kw; i++)
        g->orig_kw[g->tm.kw[i]] = true;
    c->ok = c->ok && index_numbers_dates(g, s, n) && index_words(g, s, n);
    return c->ok;
}

tl_err tl_guard_create(const tl_resume *original, const tl_job *job, const tl_terms *terms,
                       tl_guard **out)
{
    if (!original || !terms || !out)
        return TL_EINVAL;
    tl_guard *g = calloc(1, sizeof *g);
    if (!g)
        return TL_ENOMEM;
    g->orig = original;
    g->job = job;
    g->terms = terms;
    tl_buf_init(&g->blob, TL_MAX_OUTPUT_BYTES);
    tl_err e = tl_matcher_create(job, terms, &g->m);
    if (!e && !(g->orig_kw = calloc(job ? job->n_keywords + 1 : 1, sizeof *g->orig_kw)))
        e = TL_ENOMEM;
    if (!e && tl_buf_puts(&g->blob, " ") != TL_OK)
        e = TL_ENOMEM;
    if (!e) {
        index_ctx c = {g, true};
        tl_resume_texts(original, index_text, &c);
        e = c.ok ? TL_OK : TL_ENOMEM;
    }
    if (e) {
        tl_guard_free(g);
        return e;
    }
    u64_seal(&g->words);
    u64_seal(&g->numbers);
    u64_seal(&g->dates);
    u64_seal(&g->degrees);
    u64_seal(&g->term_ids);
    *out = g;
    return TL_OK;
}

void tl_guard_free(tl_guard *g)
{
    if (!g)
        return;
    tl_matcher_free(g->m);
    free(g->words.v);
    free(g->numbers.v);
    free(g->dates.v);
    free(g->degrees.v);
    free(g->term_ids.v);
    free(g->orig_kw);
    tl_buf_free(&g->blob);
    free(g);
}

/* ---- checking ---- */

typedef struct check {
    const tl_guard *g;
    const char *s;
    size_t n;
    tl_text_match *tm;
    tl_guard_finding *f;
} check;

static tl_err reject(check *c, tl_fact_kind kind, const char *p, size_t len)
{
    if (c->f) {
        c->f->kind = kind;
        if (len >= sizeof c->f->text)
            len = sizeof c->f->text - 1;
        memcpy(c->f->text, p, len);
        c->f->text[len] = '\0';
        c->f->id[0] = '\0';
    }
    return TL_EREJECTED;
}

/* True when s[start, start+len) lies inside a dictionary term. */
static bool covered(const check *c, size_t start, size_t len)
{
    for (size_t i = 0; i < c->tm->n_terms; i++) {
        const tl_term_match *t = &c->tm->terms[i];
        if (start >= t->start && start + len <= t->start + t->len)
            return true;
    }
    return false;
}

/* The word before s[at] and the word after s[end], if any. */
static bool word_before(const char *s, size_t at, tl_word *w)
{
    size_t i = at;
    while (i > 0 && s[i - 1] == ' ')
        i--;
    size_t e = i;
    while (i > 0 && tl_is_word_byte((unsigned char)s[i - 1]))
        i--;
    w->start = i;
    w->len = e - i;
    return w->len > 0;
}

static bool word_after(const char *s, size_t n, size_t end, tl_word *w)
{
    size_t pos = end;
    while (pos < n && s[pos] == ' ')
        pos++;
    return pos < n && tl_is_word_byte((unsigned char)s[pos]) && tl_next_word(s, n, &pos, w);
}

/* What a dictionary term absent from the original claims to be. */
static tl_fact_kind term_kind(const check *c, const tl_term_match *t)
{
    const char *cat = tl_terms_category(c->g->terms, t->id);
    if (cat && strcmp(cat, "certification") == 0)
        return TL_FACT_CERTIFICATION;
    size_t end;
    if (degree_at(c->s, c->n, t->start, &end))
        return TL_FACT_DEGREE;
    size_t pos = t->start;
    tl_word w;
    while (tl_next_word(c->s, t->start + t->len, &pos, &w))
        if (is_title_word(c->s + w.start, w.len))
            return TL_FACT_TITLE; /* "Charge Nurse" */
    static const char *const strong_cues[] = {"at", "joined"};
    if ((word_before(c->s, t->start, &w) && IN_LIST(c->s + w.start, w.len, strong_cues)) ||
        (word_after(c->s, c->n, t->start + t->len, &w) &&
         IN_LIST(c->s + w.start, w.len, org_suffixes)))
        return TL_FACT_EMPLOYER; /* "at Stripe", "Stripe Inc." */
    return TL_FACT_SKILL;
}

static size_t phrase_words(const char *p)
{
    size_t n = strlen(p), pos = 0, k = 0;
    tl_word w;
    while (tl_next_word(p, n, &pos, &w))
        k++;
    return k;
}

/* Dictionary terms and the job's phrases must be the original's. */
static tl_err check_terms(check *c)
{
    const tl_guard *g = c->g;
    for (size_t i = 0; i < c->tm->n_terms; i++) {
        const tl_term_match *t = &c->tm->terms[i];
        if (!u64_has(&g->term_ids, (uint64_t)t->id))
            return reject(c, term_kind(c, t), c->s + t->start, t->len);
    }
    for (size_t i = 0; g->job && i < c->tm->n_kw; i++) {
        const tl_keyword *k = &g->job->keywords[c->tm->kw[i]];
        /* Single words are common English ("lead", "design"); only phrases
         * of two or more words are distinctive enough to be facts. */
        if (k->term_id < 0 && !g->orig_kw[c->tm->kw[i]] && k->term && phrase_words(k->term) > 1) {
            const char *shown = k->surface ? k->surface : k->term;
            return reject(c, TL_FACT_SKILL, shown, strlen(shown));
        }
    }
    return TL_OK;
}

/* The text of a number as a person reads it: "$240K", "45%", "25k". */
static void number_span(const check *c, size_t i, size_t end, size_t *from, size_t *to)
{
    *from = i > 0 && (c->s[i - 1] == '$' || c->s[i - 1] == '#') ? i - 1 : i;
    *to = end < c->n && c->s[end] == '%' ? end + 1 : end;
}

static tl_err check_numbers(check *c)
{
    const tl_guard *g = c->g;
    const char *s = c->s;
    for (size_t i = 0; i < c->n;) {
        if (!isdigit((unsigned char)s[i]) || (i > 0 && isdigit((unsigned char)s[i - 1]))) {
            i++;
            continue;
        }
        size_t end;
        uint64_t key;
        if (numeric_month_at(s, c->n, i, &key, &end) && !covered(c, i, end - i) &&
            !u64_has(&g->dates, key))
            return reject(c, TL_FACT_DATE, s + i, end - i);
        double v = read_number(s, c->n, i, &end);
        if (end <= i)
            end = i + 1;
        if (!covered(c, i, end - i) && !u64_has(&g->numbers, num_key(v))) {
            bool year = v >= 1900 && v <= 2100 && v == floor(v);
            size_t from, to;
            number_span(c, i, end, &from, &to);
            return reject(c, year ? TL_FACT_DATE : TL_FACT_NUMBER, s + from, to - from);
        }
        i = end;
    }
    return TL_OK;
}

/* True when the word at w opens a sentence: nothing but spaces, bullets
 * or sentence punctuation since the previous word. */
static bool sentence_start(const char *s, size_t start)
{
    for (size_t i = start; i > 0; i--) {
        char ch = s[i - 1];
        if (ch == '.' || ch == '!' || ch == '?' || ch == ':' || ch == ';' || ch == '\n' ||
            ch == '*' || ch == '(' || ch == '"')
            return true;
        if (!isspace((unsigned char)ch) && ch != '-')
            return false;
    }
    return true;
}

static bool known_word(const tl_guard *g, const char *w, size_t n)
{
    return u64_has(&g->words, word_key(w, n));
}

static bool is_capitalised(const char *w)
{
    return isupper((unsigned char)w[0]) != 0;
}

static bool all_caps(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (islower((unsigned char)w[i]))
            return false;
    return n > 1;
}

/* A capitalised first word of a sentence is capitalised for its place, not
 * because it is a name ("Worked", "Partnered"), unless it looks like one:
 * an acronym, a title word, or the start of a run of capitalised words
 * ("Google Cloud"). A lone proper noun opening a sentence passes: without
 * a lexicon it cannot be told from a verb. */
static bool harmless_opener(const check *c, const tl_word *w, const tl_word *next)
{
    const char *p = c->s + w->start;
    if (tl_is_stopword(p, w->len) || tl_verb_find(p, w->len, NULL) >= 0)
        return true;
    if (all_caps(p, w->len) || is_title_word(p, w->len))
        return false;
    return !(next && is_capitalised(c->s + next->start) && !sentence_start(c->s, next->start));
}

/* What an unknown capitalised word probably is. */
static tl_fact_kind classify(const check *c, const tl_word *w, const tl_word *prev,
                             const tl_word *next)
{
    const char *p = c->s + w->start;
    if (is_title_word(p, w->len) || (next && is_capitalised(c->s + next->start) &&
                                     is_title_word(c->s + next->start, next->len)))
        return TL_FACT_TITLE;
    if (is_cert_acronym(p, w->len))
        return TL_FACT_CERTIFICATION;
    if ((prev && IN_LIST(c->s + prev->start, prev->len, employer_cues)) ||
        (next && IN_LIST(c->s + next->start, next->len, org_suffixes)))
        return TL_FACT_EMPLOYER;
    return TL_FACT_NAME;
}

/* Unknown capitalised words: names, employers, titles, certifications. */
static tl_err check_names(check *c)
{
    tl_word ws[3]; /* previous, current, next */
    size_t pos = 0;
    bool have_prev = false;
    bool have_cur = tl_next_word(c->s, c->n, &pos, &ws[1]);
    while (have_cur) {
        bool have_next = tl_next_word(c->s, c->n, &pos, &ws[2]);
        const tl_word *w = &ws[1];
        const char *p = c->s + w->start;
        bool skip =
            !is_capitalised(p) || covered(c, w->start, w->len) || known_word(c->g, p, w->len) ||
            tl_month_from_word(p, w->len) ||
            (sentence_start(c->s, w->start) && harmless_opener(c, w, have_next ? &ws[2] : NULL));
        if (!skip) {
            size_t degree_end;
            bool degree = degree_at(c->s, c->n, w->start, &degree_end) != 0;
            tl_fact_kind k =
                degree ? TL_FACT_DEGREE
                       : classify(c, w, have_prev ? &ws[0] : NULL, have_next ? &ws[2] : NULL);
            return reject(c, k, p, w->len);
        }
        ws[0] = ws[1];
        have_prev = true;
        ws[1] = ws[2];
        have_cur = have_next;
    }
    return TL_OK;
}

static tl_err check_degrees(check *c)
{
    size_t pos = 0;
    tl_word w;
    while (tl_next_word(c->s, c->n, &pos, &w)) {
        if (!isalpha((unsigned char)c->s[w.start]) || covered(c, w.start, w.len))
            continue;
        size_t end;
        uint64_t dk = degree_at(c->s, c->n, w.start, &end);
        if (dk && !u64_has(&c->g->degrees, dk))
            return reject(c, TL_FACT_DEGREE, c->s + w.start, end - w.start);
        if (end > pos)
            pos = end;
    }
    return TL_OK;
}

/* A run of capitalised words ("Staff Software Engineer", "Director of
 * Engineering"), case-folded, one space apart, as the blob holds words. */
typedef struct run {
    char text[256];
    size_t len, solid_len; /* solid: without trailing connectors */
    size_t start, end, solid_end;
    bool titled;
} run;

static void run_add(run *r, const char *p, size_t n, size_t start, bool connector)
{
    if (r->len + n + 2 >= sizeof r->text)
        return;
    if (r->len == 0)
        r->start = start;
    r->text[r->len++] = ' ';
    for (size_t k = 0; k < n; k++)
        r->text[r->len++] = (char)tolower((unsigned char)p[k]);
    r->end = start + n;
    if (!connector) {
        r->solid_len = r->len;
        r->solid_end = r->end;
        r->titled = r->titled || is_title_word(p, n);
    }
}

/* A run that holds a title word must be spelled so in the original. */
static tl_err run_end(check *c, run *r)
{
    tl_err e = TL_OK;
    if (r->titled && r->solid_len) {
        r->text[r->solid_len] = ' ';
        r->text[r->solid_len + 1] = '\0';
        if (!strstr(tl_buf_str(&c->g->blob), r->text))
            e = reject(c, TL_FACT_TITLE, c->s + r->start, r->solid_end - r->start);
    }
    memset(r, 0, sizeof *r);
    return e;
}

/* True when only spaces and hyphens separate s[from, to). */
static bool joined(const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (s[i] != ' ' && s[i] != '-')
            return false;
    return true;
}

static tl_err check_titles(check *c)
{
    run r;
    memset(&r, 0, sizeof r);
    size_t pos = 0;
    tl_word w;
    while (tl_next_word(c->s, c->n, &pos, &w)) {
        const char *p = c->s + w.start;
        bool cap = is_capitalised(p);
        bool joins = r.len > 0 && joined(c->s, r.end, w.start);
        bool connector =
            !cap && (tl_str_ieqn(p, w.len, "of", 2) || tl_str_ieqn(p, w.len, "and", 3));
        if (joins && (cap || connector)) {
            run_add(&r, p, w.len, w.start, connector);
            continue;
        }
        tl_err e = run_end(c, &r);
        if (e)
            return e;
        if (cap)
            run_add(&r, p, w.len, w.start, false);
    }
    return run_end(c, &r);
}

/* "March 2019" must be a month the original names. */
static tl_err check_dates(check *c)
{
    size_t pos = 0;
    tl_word w;
    while (tl_next_word(c->s, c->n, &pos, &w)) {
        uint64_t key;
        size_t end;
        if (month_year_at(c->s, c->n, &w, &key, &end) && !u64_has(&c->g->dates, key))
            return reject(c, TL_FACT_DATE, c->s + w.start, end - w.start);
    }
    return TL_OK;
}

static tl_err check_in(const tl_guard *g, const char *s, size_t n, tl_text_match *tm,
                       tl_guard_finding *f)
{
    check c = {g, s, n, tm, f};
    tl_matcher_match(g->m, s, n, tm);
    tl_err e = check_terms(&c);
    if (!e)
        e = check_dates(&c);
    if (!e)
        e = check_numbers(&c);
    if (!e)
        e = check_degrees(&c);
    if (!e)
        e = check_titles(&c);
    if (!e)
        e = check_names(&c);
    return e;
}

tl_err tl_guard_check_text(const tl_guard *g, const char *text, size_t n, tl_guard_finding *f)
{
    if (!g || (!text && n))
        return TL_EINVAL;
    if (n == 0)
        return TL_OK;
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return TL_ENOMEM;
    tl_err e = check_in(g, text, n, tm, f);
    free(tm);
    return e;
}

/* ---- targets ---- */

typedef struct target_check {
    const tl_guard *g;
    tl_text_match *tm;
    tl_guard_finding *f;
    const char *id;
    /* the job's dictionary keywords the original entry mentions (per-entry
     * rule); NULL for the summary */
    const bool *entry_kw;
} target_check;

static tl_err check_field(target_check *tc, const char *text, const char *id)
{
    if (!text || !text[0])
        return TL_OK;
    tl_err e = check_in(tc->g, text, strlen(text), tc->tm, tc->f);
    /* check_in left tm describing text: each of the job's dictionary terms
     * must come from this entry of the original. */
    for (size_t i = 0; !e && tc->entry_kw && i < tc->tm->n_terms; i++) {
        const tl_term_match *t = &tc->tm->terms[i];
        int kw = tl_matcher_keyword_of_term(tc->g->m, t->id);
        if (kw < 0 || tc->entry_kw[kw])
            continue;
        e = TL_EREJECTED;
        if (tc->f) {
            check c = {tc->g, text, strlen(text), tc->tm, tc->f};
            tc->f->kind = term_kind(&c, t);
            fmt_into(tc->f->text, sizeof tc->f->text, "%.*s", (int)t->len, text + t->start);
        }
    }
    if (e == TL_EREJECTED && tc->f)
        fmt_into(tc->f->id, sizeof tc->f->id, "%s", id);
    return e;
}

static bool same_text(const char *a, const char *b)
{
    if (!a || !a[0])
        return !b || !b[0];
    return b && strcmp(a, b) == 0;
}

/* Dates may be reformatted ("2021-03" -> "Mar 2021"), not changed. */
static bool same_date(const char *a, const char *b)
{
    if (same_text(a, b))
        return true;
    if (!a || !b)
        return false;
    if (tl_date_is_present(a) && tl_date_is_present(b))
        return true;
    tl_date x, y;
    return tl_date_parse(a, strlen(a), &x) && tl_date_parse(b, strlen(b), &y) && x.year == y.year &&
           x.month == y.month && x.day == y.day;
}

static tl_err fixed_field(target_check *tc, bool same, tl_fact_kind kind, const char *value,
                          const char *id, const char *slot)
{
    if (same)
        return TL_OK;
    if (tc->f) {
        tc->f->kind = kind;
        fmt_into(tc->f->text, sizeof tc->f->text, "%s", value ? value : "");
        fmt_into(tc->f->id, sizeof tc->f->id, "%s.%s", id, slot);
    }
    return TL_EREJECTED;
}

static tl_err check_fixed(target_check *tc, const tl_entry *o, const tl_entry *t, const char *id)
{
    tl_err e = fixed_field(tc, same_text(o->title, t->title), TL_FACT_TITLE, t->title, id, "title");
    if (!e)
        e = fixed_field(tc, same_text(o->org, t->org), TL_FACT_EMPLOYER, t->org, id, "org");
    if (!e)
        e = fixed_field(tc, same_text(o->location, t->location), TL_FACT_NAME, t->location, id,
                        "location");
    if (!e)
        e = fixed_field(tc, same_date(o->start_date, t->start_date), TL_FACT_DATE, t->start_date,
                        id, "startDate");
    if (!e)
        e = fixed_field(tc, same_date(o->end_date, t->end_date), TL_FACT_DATE, t->end_date, id,
                        "endDate");
    if (!e)
        e = fixed_field(tc, same_date(o->date, t->date), TL_FACT_DATE, t->date, id, "date");
    return e;
}

/* Marks the job keywords that the original entry's texts mention. */
static void entry_keywords(const tl_guard *g, const tl_entry *e, tl_text_match *tm, bool *has)
{
    const char *texts[3] = {e->title, e->org, e->summary};
    for (size_t i = 0; i < 3 + e->n_bullets + e->n_fields; i++) {
        const char *s = i < 3                  ? texts[i]
                        : i < 3 + e->n_bullets ? e->bullets[i - 3]
                                               : e->fields[i - 3 - e->n_bullets].value;
        if (!s)
            continue;
        tl_matcher_match(g->m, s, strlen(s), tm);
        for (size_t k = 0; k < tm->n_kw; k++)
            has[tm->kw[k]] = true;
    }
}

static tl_err check_entry(target_check *tc, const tl_resume *tailored, const tl_target *t)
{
    const tl_guard *g = tc->g;
    if (t->section >= tailored->n_sections || t->section >= g->orig->n_sections)
        return TL_EINVAL;
    const tl_section *ts = &tailored->sections[t->section], *os = &g->orig->sections[t->section];
    if (t->entry >= ts->n_entries || t->entry >= os->n_entries || ts->kind != os->kind)
        return TL_EINVAL;
    const tl_entry *te = &ts->entries[t->entry], *oe = &os->entries[t->entry];
    char id[96], bid[96];
    tl_resume_entry_id(tailored, t->section, t->entry, -1, id, sizeof id);
    tl_err e = check_fixed(tc, oe, te, id);
    bool *has = NULL;
    if (!e && g->job) {
        has = calloc(g->job->n_keywords + 1, sizeof *has);
        if (!has)
            return TL_ENOMEM;
        entry_keywords(g, oe, tc->tm, has);
        tc->entry_kw = has;
    }
    size_t to = tl_target_bullet_end(t, te);
    if (!e && t->bullet_from == 0) {
        fmt_into(bid, sizeof bid, "%s.summary", id);
        e = check_field(tc, te->summary, bid);
        for (size_t i = 0; !e && i < te->n_fields; i++) {
            fmt_into(bid, sizeof bid, "%s.%s", id, te->fields[i].key ? te->fields[i].key : "?");
            e = check_field(tc, te->fields[i].value, bid);
        }
    }
    for (size_t b = t->bullet_from; !e && b < to; b++) {
        tl_resume_entry_id(tailored, t->section, t->entry, (int)b, bid, sizeof bid);
        e = check_field(tc, te->bullets[b], bid);
    }
    tc->entry_kw = NULL;
    free(has);
    return e;
}

tl_err tl_guard_check_target(const tl_guard *g, const tl_resume *tailored, const tl_target *t,
                             tl_guard_finding *f)
{
    if (!g || !tailored || !t)
        return TL_EINVAL;
    tl_text_match *tm = malloc(sizeof *tm);
    if (!tm)
        return TL_ENOMEM;
    target_check tc = {g, tm, f, NULL, NULL};
    tl_err e;
    if (t->kind == TL_TARGET_SUMMARY)
        e = check_field(&tc, tailored->basics.summary, "basics.summary");
    else
        e = check_entry(&tc, tailored, t);
    free(tm);
    return e;
}

static tl_err check_basics(const tl_guard *g, const tl_resume *tailored, tl_guard_finding *f)
{
    const tl_basics *o = &g->orig->basics, *t = &tailored->basics;
    static const struct {
        size_t off;
        const char *key;
    } fixed[] = {{offsetof(tl_basics, name), "name"},
                 {offsetof(tl_basics, email), "email"},
                 {offsetof(tl_basics, phone), "phone"},
                 {offsetof(tl_basics, url), "url"},
                 {offsetof(tl_basics, location), "location"}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const char *a = *(char *const *)((const char *)o + fixed[i].off);
        const char *b = *(char *const *)((const char *)t + fixed[i].off);
        if (!same_text(a, b)) {
            if (f) {
                f->kind = TL_FACT_NAME;
                fmt_into(f->text, sizeof f->text, "%s", b ? b : "");
                fmt_into(f->id, sizeof f->id, "basics.%s", fixed[i].key);
            }
            return TL_EREJECTED;
        }
    }
    if (!t->label)
        return TL_OK;
    tl_err e = tl_guard_check_text(g, t->label, strlen(t->label), f);
    if (e == TL_EREJECTED && f)
        fmt_into(f->id, sizeof f->id, "basics.label");
    return e;
}

tl_err tl_guard_check_resume(const tl_guard *g, const tl_resume *tailored, tl_guard_finding *f)
{
    if (!g || !tailored)
        return TL_EINVAL;
    if (tailored->n_sections != g->orig->n_sections)
        return TL_EINVAL;
    tl_err e = check_basics(g, tailored, f);
    tl_target t = {TL_TARGET_SUMMARY, 0, 0, 0, 0};
    if (!e)
        e = tl_guard_check_target(g, tailored, &t, f);
    for (size_t s = 0; !e && s < tailored->n_sections; s++) {
        for (size_t i = 0; !e && i < tailored->sections[s].n_entries; i++) {
            tl_target et = {TL_TARGET_ENTRY, s, i, 0, 0};
            e = tl_guard_check_target(g, tailored, &et, f);
        }
    }
    return e;
}
