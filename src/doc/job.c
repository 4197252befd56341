/* Job descriptions: parts, bullets and weighted keywords.
 *
 * One pass over the lines: the first is the title, the second usually names
 * the company, headings switch the current part, and every other line is
 * content. Content is cut into segments (at ";" and sentence ends), each
 * segment may carry a hint ("BSN required", "CCRN preferred") that
 * overrides its part, and each segment is scanned for dictionary terms; the
 * text between terms yields phrases (runs of content words, stop-words and
 * filler break them). Occurrences accumulate in a hash table; at the end
 * terms and the better phrases are kept, heaviest first. */
#include "doc/job.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/limits.h"
#include "util/str.h"

#define MAX_SURFACES 4
#define MAX_WORD_BYTES 40 /* longer tokens are never stop-words */
#define MAX_PHRASE_BYTES 120
#define HEADING_MAX_BYTES 80

static const double part_weight[] = {3.0, 2.0, 1.0, 0.5};

const char *tl_jd_part_name(tl_jd_part p)
{
    switch (p) {
    case TL_JD_REQUIREMENTS: return "requirement";
    case TL_JD_RESPONSIBILITIES: return "responsibility";
    case TL_JD_NICE_TO_HAVE: return "nice-to-have";
    case TL_JD_OTHER: return "other";
    }
    return "other";
}

/* ---- word lists ---- */

/* Words that never belong to a keyword: function words, filler, generic
 * verbs. They break phrases. Sorted once at first use. */
/* clang-format off */
static const char *stop_words[] = {
    "a", "able", "about", "above", "accurate", "across", "act", "active", "actively", "actually",
    "additional", "after", "again", "all", "along", "alongside", "already", "also", "although",
    "always", "am", "amazing", "among", "an", "analyse", "analysing", "analyze", "analyzing",
    "and", "another", "any", "apply", "are", "around", "as", "assess", "assist", "assisted",
    "assisting", "assists", "at", "automate", "automating", "available", "awesome", "based",
    "basically", "be", "become", "been", "before", "being", "best", "better", "between",
    "beyond", "big", "both", "bring", "bringing", "brings", "broad", "brought", "build",
    "builds", "built", "but", "by", "can", "candidate", "candidates", "champion", "clean",
    "clear", "closely", "collaborate", "collaborating", "come", "comfortable", "committed",
    "communicate", "communicating", "competitive", "complex", "conduct", "conducting",
    "contribute", "contributed", "contributing", "coordinate", "coordinating", "could", "create",
    "created", "creating", "critical", "culture", "curious", "cutting", "cutting-edge", "daily",
    "day", "day-to-day", "days", "deep", "define", "defining", "deliver", "delivered",
    "delivering", "demonstrable", "demonstrated", "deploy", "deploying", "desirable", "desire",
    "desired", "develop", "developed", "developing", "develops", "did", "diverse", "diversity",
    "do", "does", "doing", "drive", "driving", "duties", "e.g", "e.g.", "each", "eager",
    "educate", "eight", "either", "else", "employer", "empower", "enable", "enabling", "end",
    "end-to-end", "enjoy", "ensure", "ensuring", "entry-level", "environment", "environments",
    "equal", "equivalent", "establish", "establishing", "etc", "etc.", "evaluate", "even",
    "every", "everyday", "evolve", "excellent", "exceptional", "excited", "exciting", "execute",
    "executing", "experience", "experienced", "experiences", "expert", "expertise", "explain",
    "exposure", "familiar", "familiarity", "fast", "fast-growing", "fast-paced", "few", "field",
    "first", "five", "for", "four", "from", "full", "full-time", "fully", "further", "get",
    "gets", "getting", "given", "go", "good", "great", "grow", "growing", "had", "handle",
    "handling", "hands", "hands-on", "has", "have", "having", "he", "help", "helping", "helps",
    "her", "here", "hers", "high", "high-quality", "highly", "his", "how", "however", "humble",
    "i", "i.e", "i.e.", "idea", "ideal", "ideally", "ideas", "identify", "identifying", "if",
    "impactful", "implement", "implementing", "improve", "improving", "in", "in-person",
    "include", "includes", "including", "inclusion", "inclusive", "influence", "innovative",
    "instead", "integrate", "integrating", "into", "investigate", "investigating", "is", "it",
    "it's", "its", "join", "junior", "just", "keep", "key", "kind", "know", "knowledge",
    "knowledgeable", "large", "lead", "leading", "learn", "learning", "least", "led", "let's",
    "level", "leverage", "leveraging", "like", "looking", "lot", "lots", "love", "maintain",
    "maintaining", "make", "makes", "making", "manage", "managed", "managing", "many", "may",
    "meaningful", "measure", "mid", "mid-level", "might", "migrate", "migrating", "minimum",
    "mission", "modern", "months", "more", "most", "motivated", "move", "much", "must", "my",
    "need", "needed", "needs", "new", "nice", "nights", "nine", "no", "nor", "not", "of", "off",
    "often", "on", "on-site", "one", "only", "onsite", "operate", "opportunity", "optimise",
    "optimize", "optimizing", "or", "other", "others", "otherwise", "our", "ours", "out", "over",
    "oversee", "overseeing", "own", "owning", "owns", "part", "part-time", "participate",
    "partner", "partnering", "passion", "passionate", "per", "perform", "performant",
    "performing", "plenty", "plus", "position", "preferably", "preferred", "prepare",
    "preparing", "previous", "prior", "prioritise", "prioritize", "production-quality",
    "professional", "proficiency", "proficient", "proven", "provide", "provided", "provides",
    "providing", "qualifications", "qualified", "quite", "rather", "ready", "really", "record",
    "refactor", "refactoring", "related", "relevant", "reliable", "remote", "required",
    "requirement", "requirements", "requires", "responsibilities", "responsibility",
    "responsible", "role", "roles", "run", "running", "same", "scale", "scaled", "scaling",
    "second", "seeking", "self-starter", "senior", "senior-level", "serve", "serving", "set",
    "setting", "seven", "several", "shape", "shaping", "she", "ship", "shipped", "shipping",
    "ships", "should", "similar", "simple", "simply", "six", "skill", "skilled", "skills",
    "smart", "so", "solid", "some", "sometimes", "sr", "state-of-the-art", "still", "strong",
    "stronger", "strongest", "success", "successful", "such", "support", "supporting", "take",
    "talented", "teach", "team", "teams", "tell", "ten", "than", "that", "the", "their", "them",
    "then", "there", "therefore", "these", "they", "things", "third", "this", "those", "though",
    "three", "thrive", "thriving", "through", "throughout", "thus", "time", "to", "together",
    "too", "top", "track", "translate", "translating", "truly", "turn", "turning", "two",
    "uncover", "understand", "understanding", "up", "upon", "us", "use", "used", "using",
    "usually", "utilize", "utilizing", "values", "various", "versus", "very", "via", "vision",
    "vs", "want", "was", "way", "ways", "we", "we'll", "we're", "we've", "well",
    "well-documented", "were", "what", "when", "where", "whether", "which", "while", "who",
    "whom", "why", "wide", "will", "willing", "with", "within", "without", "work", "worked",
    "working", "works", "world-class", "would", "write", "writes", "written", "wrote", "year",
    "years", "yes", "yet", "you", "you'll", "you're", "you've", "your", "yours", "yrs"};
/* clang-format on */

/* Words too generic to be a keyword alone; fine inside a phrase
 * ("design reviews", "data models"). */
/* clang-format off */
static const char *generic_words[] = {
    "ability", "analysis", "applications", "architecture", "area", "areas", "budget", "budgets",
    "business", "campaign", "campaigns", "care", "clinic", "clinics", "company", "consumer",
    "consumers", "content", "countries", "country", "customer", "customers", "data", "decisions",
    "design", "development", "direction", "employee", "employees", "engineer", "engineering",
    "engineers", "families", "family", "feature", "features", "field", "fields", "findings",
    "future", "graduate", "graduates", "growth", "history", "hospital", "hospitals", "impact",
    "industry", "infrastructure", "insights", "interface", "interfaces", "issues", "launch",
    "launches", "level", "levels", "location", "locations", "manager", "managers", "market",
    "member", "members", "methods", "metrics", "model", "models", "money", "monitor",
    "monitoring", "nurse", "nurses", "office", "offices", "operations", "opportunity",
    "organization", "partner", "partners", "patient", "patients", "people", "performance",
    "plan", "plans", "platform", "platforms", "problems", "process", "processes", "product",
    "products", "program", "programs", "project", "projects", "quality", "region", "regions",
    "release", "releases", "report", "reporting", "reports", "research", "results", "review",
    "reviews", "service", "services", "shift", "shifts", "size", "software", "solution",
    "solutions", "staff", "stakeholders", "standards", "state", "states", "story", "system",
    "systems", "technical", "technologies", "technology", "test", "testing", "tests", "today",
    "tool", "tools", "unit", "units", "user", "users", "volume", "world"};
/* clang-format on */

/* Adverbs end in "ly"; these words do too and are not adverbs. */
/* clang-format off */
static const char *ly_nouns[] = {
    "anomaly", "assembly", "family", "italy", "july", "monopoly", "rally", "supply", "ally",
    "reply", "apply", "poly"};
/* clang-format on */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void sort_lists(void)
{
    qsort(stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words, cmp_str);
    qsort(generic_words, sizeof generic_words / sizeof *generic_words, sizeof *generic_words,
          cmp_str);
}

static bool in_sorted(const char *w, const char **list, size_t n)
{
    return bsearch(&w, list, n, sizeof *list, cmp_str) != NULL;
}

#define IN_LIST(w, list) in_sorted((w), (list), sizeof(list) / sizeof *(list))

/* ---- accumulating keywords ---- */

typedef struct acc {
    char *key;  /* "T<id>" for a term, "P<phrase>" for a phrase (plural folded) */
    char *term; /* canonical spelling, or the phrase as first seen, lowercased */
    uint64_t hash;
    int term_id;
    double weight;
    int count;
    tl_jd_part part;
    size_t surf_off[MAX_SURFACES]; /* surfaces: spans of the job's text */
    size_t surf_len[MAX_SURFACES];
    int surf_n[MAX_SURFACES];
    int n_surf;
    size_t order; /* first occurrence, for stable ties */
} acc;

typedef struct ctx {
    tl_job *j;
    const tl_terms *terms;
    acc *accs; /* malloc'd */
    size_t n_accs, cap_accs;
    int *slots; /* malloc'd open-addressing table of acc indexes */
    size_t cap_slots;
    tl_err err;
    /* the segment being scanned */
    size_t seg_start, cursor;
    tl_jd_part seg_part;
} ctx;

static tl_err grow_slots(ctx *c)
{
    size_t cap = c->cap_slots ? c->cap_slots * 2 : 256;
    int *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return TL_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i] = -1;
    for (size_t a = 0; a < c->n_accs; a++) {
        size_t i = (size_t)c->accs[a].hash & (cap - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (cap - 1);
        slots[i] = (int)a;
    }
    free(c->slots);
    c->slots = slots;
    c->cap_slots = cap;
    return TL_OK;
}

/* The accumulator for key (created with term when new), or NULL. */
static acc *find_acc(ctx *c, const char *key, size_t kn, const char *term, size_t tn, int id)
{
    uint64_t h = tl_hash64(key, kn, 0);
    if ((c->n_accs + 1) * 2 > c->cap_slots && (c->err = grow_slots(c)) != TL_OK)
        return NULL;
    size_t mask = c->cap_slots - 1, i = (size_t)h & mask;
    for (; c->slots[i] >= 0; i = (i + 1) & mask) {
        acc *a = &c->accs[c->slots[i]];
        if (a->hash == h && strlen(a->key) == kn && memcmp(a->key, key, kn) == 0)
            return a;
    }
    if (c->n_accs == c->cap_accs) {
        size_t cap = c->cap_accs ? c->cap_accs * 2 : 64;
        acc *p = realloc(c->accs, cap * sizeof *p);
        if (!p) {
            c->err = TL_ENOMEM;
            return NULL;
        }
        c->accs = p;
        c->cap_accs = cap;
    }
    acc *a = &c->accs[c->n_accs];
    memset(a, 0, sizeof *a);
    a->key = tl_arena_strndup(c->j->arena, key, kn);
    a->term = tl_arena_strndup(c->j->arena, term, tn);
    if (!a->key || !a->term) {
        c->err = TL_ENOMEM;
        return NULL;
    }
    a->hash = h;
    a->term_id = id;
    a->part = TL_JD_OTHER;
    a->order = c->n_accs;
    c->slots[i] = (int)c->n_accs++;
    return a;
}

static void add_surface(const ctx *c, acc *a, size_t off, size_t len)
{
    const char *text = c->j->text;
    for (int i = 0; i < a->n_surf; i++) {
        if (a->surf_len[i] == len && memcmp(text + a->surf_off[i], text + off, len) == 0) {
            a->surf_n[i]++;
            return;
        }
    }
    if (a->n_surf < MAX_SURFACES) {
        a->surf_off[a->n_surf] = off;
        a->surf_len[a->n_surf] = len;
        a->surf_n[a->n_surf++] = 1;
    }
}

static void add_occurrence(ctx *c, acc *a, size_t off, size_t len, tl_jd_part part)
{
    a->weight += part_weight[part];
    a->count++;
    if (part < a->part)
        a->part = part;
    add_surface(c, a, off, len);
}

/* ---- phrases ---- */

/* A phrase token: a run of word characters, with inner joiners
 * ("win/loss", "on-call", "we're"). */
static bool word_char(const char *s, size_t n, size_t i, size_t *clen)
{
    unsigned char ch = (unsigned char)s[i];
    *clen = 1;
    if (ch < 0x80)
        return isalnum(ch) != 0;
    utf8proc_int32_t cp;
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k <= 0)
        return false;
    *clen = (size_t)k;
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

static bool is_joiner(char ch)
{
    return ch == '-' || ch == '/' || ch == '\'' || ch == '.' || ch == '&' || ch == '+';
}

/* End of the token that starts at s[i] (a word character). */
static size_t token_end(const char *s, size_t b, size_t i)
{
    size_t cl;
    for (;;) {
        while (i < b && word_char(s, b, i, &cl))
            i += cl;
        if (i + 1 < b && is_joiner(s[i]) && word_char(s, b, i + 1, &cl)) {
            i++;
            continue;
        }
        /* a curly apostrophe: "you’ll" */
        if (i + 3 < b && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99 && word_char(s, b, i + 3, &cl)) {
            i += 3;
            continue;
        }
        return i;
    }
}

/* Lowercases a token into out (curly apostrophes made straight). Returns
 * the length, 0 when it does not fit. */
static size_t lower_token(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= cap)
            return 0;
        if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            out[o++] = '\'';
            i += 2;
            continue;
        }
        out[o++] = (char)tolower((unsigned char)s[i]);
    }
    out[o] = '\0';
    return o;
}

static bool has_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
            return true;
    return false;
}

/* True when a token breaks phrases: numbers, single letters, stop-words,
 * adverbs. */
static bool is_breaker(const char *s, size_t n)
{
    if (n < 2 || !has_letter(s, n))
        return true;
    char w[MAX_WORD_BYTES];
    size_t wn = lower_token(s, n, w, sizeof w);
    if (wn == 0)
        return false;
    if (IN_LIST(w, stop_words))
        return true;
    if (wn > 4 && w[wn - 2] == 'l' && w[wn - 1] == 'y' && !strchr(w, '-')) {
        for (size_t i = 0; i < sizeof ly_nouns / sizeof *ly_nouns; i++)
            if (strcmp(w, ly_nouns[i]) == 0)
                return false;
        return true;
    }
    return false;
}

/* Adds the phrase made of words [ws[k], we[k]) of the text. */
static void add_phrase(ctx *c, const size_t *ws, const size_t *we, int k, tl_jd_part part)
{
    const char *s = c->j->text;
    char term[MAX_PHRASE_BYTES], key[MAX_PHRASE_BYTES + 1];
    size_t tn = 0;
    for (int i = 0; i < k; i++) {
        if (tn && tn + 1 < sizeof term)
            term[tn++] = ' ';
        size_t wn = lower_token(s + ws[i], we[i] - ws[i], term + tn, sizeof term - tn);
        if (wn == 0)
            return; /* too long to be a sensible phrase */
        tn += wn;
    }
    if (k == 1 && (tn < 3 || IN_LIST(term, generic_words)))
        return;
    /* The key folds a plural last word: "data model" = "data models". */
    size_t kn = tn;
    if (kn > 4 && term[kn - 1] == 's' && term[kn - 2] != 's' && term[kn - 2] != 'u' &&
        term[kn - 2] != 'i')
        kn--;
    key[0] = 'P';
    memcpy(key + 1, term, kn);
    acc *a = find_acc(c, key, kn + 1, term, tn, -1);
    if (a)
        add_occurrence(c, a, ws[0], we[k - 1] - ws[0], part);
}

/* Emits the current run of content words: all of it when it has at most
 * three words, else its last two (the head of an English noun phrase). */
static void flush_run(ctx *c, size_t *ws, size_t *we, int *nw, int total, tl_jd_part part)
{
    if (*nw == 0)
        return;
    int k = total > 3 ? 2 : *nw;
    add_phrase(c, ws + (*nw - k), we + (*nw - k), k, part);
    *nw = 0;
}

/* Phrases of the text s[a..b), which holds no dictionary term. */
static void extract_phrases(ctx *c, size_t a, size_t b, tl_jd_part part)
{
    const char *s = c->j->text;
    size_t ws[3], we[3];
    int nw = 0, total = 0;
    size_t i = a, cl;
    while (i < b && c->err == TL_OK) {
        if (!word_char(s, b, i, &cl)) {
            if (s[i] != ' ' && s[i] != '\t') {
                flush_run(c, ws, we, &nw, total, part);
                total = 0;
            }
            i += cl;
            continue;
        }
        size_t e = token_end(s, b, i);
        if (is_breaker(s + i, e - i)) {
            flush_run(c, ws, we, &nw, total, part);
            total = 0;
        } else {
            if (nw == 3) { /* keep the last three words */
                memmove(ws, ws + 1, 2 * sizeof *ws);
                memmove(we, we + 1, 2 * sizeof *we);
                nw = 2;
            }
            ws[nw] = i;
            we[nw++] = e;
            total++;
        }
        i = e;
    }
    flush_run(c, ws, we, &nw, total, part);
}

/* ---- segments ---- */

static bool on_term(void *ud, const tl_term_match *m)
{
    ctx *c = ud;
    size_t start = c->seg_start + m->start;
    extract_phrases(c, c->cursor, start, c->seg_part);
    char key[16];
    int kn = snprintf(key, sizeof key, "T%d", m->id);
    const char *canon = tl_terms_canonical(c->terms, m->id);
    acc *a = find_acc(c, key, (size_t)kn, canon, strlen(canon), m->id);
    if (a)
        add_occurrence(c, a, start, m->len, c->seg_part);
    c->cursor = start + m->len;
    return c->err == TL_OK;
}

/* True when s[0..n) holds word w (case-insensitive, word-bounded). */
static bool has_word(const char *s, size_t n, const char *w)
{
    size_t wn = strlen(w);
    for (size_t i = 0; i + wn <= n; i++) {
        if ((s[i] | 0x20) != w[0]) /* w is lowercase; a cheap first check */
            continue;
        if ((i == 0 || !isalnum((unsigned char)s[i - 1])) && tl_str_ieqn(s + i, wn, w, wn) &&
            (i + wn == n || !isalnum((unsigned char)s[i + wn])))
            return true;
    }
    return false;
}

typedef enum { HINT_NONE, HINT_REQ, HINT_NICE, HINT_BOTH } hint;

/* "X required", "must have X" / "X preferred", "X is a plus". */
static hint find_hint(const char *s, size_t n)
{
    static const char *const req[] = {"required",  "requirement", "must",
                                      "mandatory", "essential",   NULL};
    /* clang-format off */
    static const char *const nice[] = {
        "preferred", "preferably", "preferable", "a plus", "bonus", "nice to have",
        "nice-to-have", "desirable", "desired", "ideally", "advantageous", "optional", NULL};
    /* clang-format on */
    bool r = false, p = false;
    for (int i = 0; req[i] && !r; i++)
        r = has_word(s, n, req[i]);
    for (int i = 0; nice[i] && !p; i++)
        p = has_word(s, n, nice[i]);
    return r && p ? HINT_BOTH : r ? HINT_REQ : p ? HINT_NICE : HINT_NONE;
}

static void scan_pieces(ctx *c, size_t a, size_t b, tl_jd_part part);

/* One segment: its hint, then its terms and the phrases between them. */
static void scan_segment(ctx *c, size_t a, size_t b, tl_jd_part part, bool split_commas)
{
    const char *s = c->j->text;
    hint h = find_hint(s + a, b - a);
    if (h == HINT_BOTH && split_commas) {
        scan_pieces(c, a, b, part); /* "Python required, R preferred" */
        return;
    }
    if (h == HINT_REQ || h == HINT_BOTH)
        part = TL_JD_REQUIREMENTS;
    else if (h == HINT_NICE)
        part = TL_JD_NICE_TO_HAVE;
    c->seg_start = a;
    c->cursor = a;
    c->seg_part = part;
    tl_terms_scan(c->terms, s + a, b - a, on_term, c);
    if (c->err == TL_OK)
        extract_phrases(c, c->cursor, b, part);
}

/* Splits s[a..b) at commas and scans each piece as a segment. */
static void scan_pieces(ctx *c, size_t a, size_t b, tl_jd_part part)
{
    const char *s = c->j->text;
    size_t i = a;
    while (i < b && c->err == TL_OK) {
        size_t j = i;
        while (j < b && s[j] != ',')
            j++;
        scan_segment(c, i, j, part, false);
        i = j + 1;
    }
}

/* Splits a content line into segments at ";" and sentence ends. */
static void scan_line(ctx *c, size_t a, size_t b, tl_jd_part part)
{
    const char *s = c->j->text;
    size_t i = a;
    while (i < b && c->err == TL_OK) {
        size_t j = i;
        while (j < b && s[j] != ';' &&
               !((s[j] == '.' || s[j] == '!' || s[j] == '?') &&
                 (j + 1 == b || s[j + 1] == ' ' || s[j + 1] == '\t')))
            j++;
        scan_segment(c, i, j, part, true);
        i = j + 1;
    }
}

/* ---- lines, headings, bullets ---- */

typedef struct heading {
    const char *text;
    tl_jd_part part;
} heading;

/* Normalised heading text (lowercase, "-" as blank, no decoration). */
static const heading headings[] = {
    {"requirements", TL_JD_REQUIREMENTS},
    {"requirement", TL_JD_REQUIREMENTS},
    {"job requirements", TL_JD_REQUIREMENTS},
    {"qualifications", TL_JD_REQUIREMENTS},
    {"minimum qualifications", TL_JD_REQUIREMENTS},
    {"basic qualifications", TL_JD_REQUIREMENTS},
    {"required qualifications", TL_JD_REQUIREMENTS},
    {"key qualifications", TL_JD_REQUIREMENTS},
    {"required skills", TL_JD_REQUIREMENTS},
    {"required experience", TL_JD_REQUIREMENTS},
    {"required", TL_JD_REQUIREMENTS},
    {"must have", TL_JD_REQUIREMENTS},
    {"must haves", TL_JD_REQUIREMENTS},
    {"what we look for", TL_JD_REQUIREMENTS},
    {"what we're looking for", TL_JD_REQUIREMENTS},
    {"what we are looking for", TL_JD_REQUIREMENTS},
    {"who we're looking for", TL_JD_REQUIREMENTS},
    {"who we are looking for", TL_JD_REQUIREMENTS},
    {"we're looking for", TL_JD_REQUIREMENTS},
    {"what you bring", TL_JD_REQUIREMENTS},
    {"what you'll bring", TL_JD_REQUIREMENTS},
    {"what you will bring", TL_JD_REQUIREMENTS},
    {"what you need", TL_JD_REQUIREMENTS},
    {"what you'll need", TL_JD_REQUIREMENTS},
    {"what you will need", TL_JD_REQUIREMENTS},
    {"what we need", TL_JD_REQUIREMENTS},
    {"you have", TL_JD_REQUIREMENTS},
    {"you'll have", TL_JD_REQUIREMENTS},
    {"you should have", TL_JD_REQUIREMENTS},
    {"about you", TL_JD_REQUIREMENTS},
    {"who you are", TL_JD_REQUIREMENTS},
    {"your profile", TL_JD_REQUIREMENTS},
    {"your background", TL_JD_REQUIREMENTS},
    {"skills", TL_JD_REQUIREMENTS},
    {"skills and experience", TL_JD_REQUIREMENTS},
    {"skills & experience", TL_JD_REQUIREMENTS},
    {"skills and qualifications", TL_JD_REQUIREMENTS},
    {"experience", TL_JD_REQUIREMENTS},
    {"your experience", TL_JD_REQUIREMENTS},
    {"education", TL_JD_REQUIREMENTS},
    {"licenses", TL_JD_REQUIREMENTS},
    {"licensure", TL_JD_REQUIREMENTS},
    {"certifications", TL_JD_REQUIREMENTS},
    {"to be successful", TL_JD_REQUIREMENTS},
    {"responsibilities", TL_JD_RESPONSIBILITIES},
    {"key responsibilities", TL_JD_RESPONSIBILITIES},
    {"job responsibilities", TL_JD_RESPONSIBILITIES},
    {"your responsibilities", TL_JD_RESPONSIBILITIES},
    {"main responsibilities", TL_JD_RESPONSIBILITIES},
    {"duties", TL_JD_RESPONSIBILITIES},
    {"key duties", TL_JD_RESPONSIBILITIES},
    {"job duties", TL_JD_RESPONSIBILITIES},
    {"duties and responsibilities", TL_JD_RESPONSIBILITIES},
    {"essential functions", TL_JD_RESPONSIBILITIES},
    {"essential duties", TL_JD_RESPONSIBILITIES},
    {"what you'll do", TL_JD_RESPONSIBILITIES},
    {"what you will do", TL_JD_RESPONSIBILITIES},
    {"what you'll be doing", TL_JD_RESPONSIBILITIES},
    {"what you will be doing", TL_JD_RESPONSIBILITIES},
    {"what you'll work on", TL_JD_RESPONSIBILITIES},
    {"what the job involves", TL_JD_RESPONSIBILITIES},
    {"the role", TL_JD_RESPONSIBILITIES},
    {"your role", TL_JD_RESPONSIBILITIES},
    {"role", TL_JD_RESPONSIBILITIES},
    {"in this role", TL_JD_RESPONSIBILITIES},
    {"in this role you will", TL_JD_RESPONSIBILITIES},
    {"you will", TL_JD_RESPONSIBILITIES},
    {"you'll", TL_JD_RESPONSIBILITIES},
    {"day to day", TL_JD_RESPONSIBILITIES},
    {"a day in the life", TL_JD_RESPONSIBILITIES},
    {"your impact", TL_JD_RESPONSIBILITIES},
    {"nice to have", TL_JD_NICE_TO_HAVE},
    {"nice to haves", TL_JD_NICE_TO_HAVE},
    {"good to have", TL_JD_NICE_TO_HAVE},
    {"preferred", TL_JD_NICE_TO_HAVE},
    {"preferred qualifications", TL_JD_NICE_TO_HAVE},
    {"preferred skills", TL_JD_NICE_TO_HAVE},
    {"preferred experience", TL_JD_NICE_TO_HAVE},
    {"bonus", TL_JD_NICE_TO_HAVE},
    {"bonus points", TL_JD_NICE_TO_HAVE},
    {"bonus points if you have", TL_JD_NICE_TO_HAVE},
    {"pluses", TL_JD_NICE_TO_HAVE},
    {"plus", TL_JD_NICE_TO_HAVE},
    {"it's a plus", TL_JD_NICE_TO_HAVE},
    {"extra credit", TL_JD_NICE_TO_HAVE},
    {"desired", TL_JD_NICE_TO_HAVE},
    {"desired skills", TL_JD_NICE_TO_HAVE},
    {"desired qualifications", TL_JD_NICE_TO_HAVE},
    {"desirable", TL_JD_NICE_TO_HAVE},
    {"ideally", TL_JD_NICE_TO_HAVE},
    {"ideally you have", TL_JD_NICE_TO_HAVE},
    {"even better", TL_JD_NICE_TO_HAVE},
    {"additional qualifications", TL_JD_NICE_TO_HAVE},
    {"what would make you stand out", TL_JD_NICE_TO_HAVE},
    {"about us", TL_JD_OTHER},
    {"about the company", TL_JD_OTHER},
    {"about the role", TL_JD_OTHER},
    {"about the job", TL_JD_OTHER},
    {"about the team", TL_JD_OTHER},
    {"about", TL_JD_OTHER},
    {"who we are", TL_JD_OTHER},
    {"our company", TL_JD_OTHER},
    {"the team", TL_JD_OTHER},
    {"the company", TL_JD_OTHER},
    {"benefits", TL_JD_OTHER},
    {"perks", TL_JD_OTHER},
    {"perks and benefits", TL_JD_OTHER},
    {"what we offer", TL_JD_OTHER},
    {"we offer", TL_JD_OTHER},
    {"compensation", TL_JD_OTHER},
    {"salary", TL_JD_OTHER},
    {"pay", TL_JD_OTHER},
    {"position summary", TL_JD_OTHER},
    {"job summary", TL_JD_OTHER},
    {"role summary", TL_JD_OTHER},
    {"summary", TL_JD_OTHER},
    {"overview", TL_JD_OTHER},
    {"job description", TL_JD_OTHER},
    {"description", TL_JD_OTHER},
    {"location", TL_JD_OTHER},
    {"schedule", TL_JD_OTHER},
    {"how to apply", TL_JD_OTHER},
    {"equal opportunity", TL_JD_OTHER},
    {"equal opportunity employer", TL_JD_OTHER},
    {"our values", TL_JD_OTHER},
    {"why join us", TL_JD_OTHER},
    {"why us", TL_JD_OTHER},
};

/* Normalises a possible heading into out: lowercase, decoration ("#",
 * "*", "_", "=") and a trailing ":" dropped, "-" and blank runs made one
 * blank, curly apostrophes straight. Returns the length, 0 if too long. */
static size_t norm_heading(const char *s, size_t n, char *out, size_t cap, bool *md)
{
    size_t i = 0, o = 0;
    *md = n > 0 && s[0] == '#';
    while (i < n && strchr("#*_= \t", s[i]))
        i++;
    while (n > i && strchr("*_=: \t", s[n - 1]))
        n--;
    for (; i < n; i++) {
        char ch = s[i];
        if (i + 2 < n && (unsigned char)ch == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            ch = '\'';
            i += 2;
        }
        if (ch == '-' || ch == '\t')
            ch = ' ';
        if (ch == ' ' && (o == 0 || out[o - 1] == ' '))
            continue;
        if (o + 1 >= cap)
            return 0;
        out[o++] = (char)tolower((unsigned char)ch);
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

/* The part a heading names: it equals a known heading, or starts with one
 * followed by "(", "&", "/", ":" or "and" ("Requirements & skills"). */
static bool match_heading(const char *h, size_t n, tl_jd_part *part)
{
    size_t best = 0;
    for (size_t k = 0; k < sizeof headings / sizeof *headings; k++) {
        const char *e = headings[k].text;
        size_t en = strlen(e);
        if (en > n || memcmp(h, e, en) != 0 || en <= best)
            continue;
        const char *rest = h + en;
        bool ok = en == n || strchr("(&/:", rest[0]) ||
                  (rest[0] == ' ' &&
                   ((rest[1] && strchr("(&/", rest[1])) || strncmp(rest + 1, "and ", 4) == 0));
        if (ok) {
            best = en;
            *part = headings[k].part;
        }
    }
    return best > 0;
}

/* Length of a bullet marker at the start of s[0..n) (with its blank), or 0. */
static size_t bullet_len(const char *s, size_t n)
{
    static const char *const marks[] = {"•", "·", "▪", "◦", "○", "►",
                                        "✓", "✔", "–", "—", "➢", NULL};
    if (n >= 2 && strchr("-*+>", s[0]) && (s[1] == ' ' || s[1] == '\t'))
        return 2;
    for (int i = 0; marks[i]; i++) {
        size_t m = strlen(marks[i]);
        if (n >= m && memcmp(s, marks[i], m) == 0)
            return m;
    }
    size_t d = 0;
    while (d < n && d < 3 && isdigit((unsigned char)s[d]))
        d++;
    if (d && d + 1 < n && (s[d] == '.' || s[d] == ')') && (s[d + 1] == ' ' || s[d + 1] == '\t'))
        return d + 2;
    return 0;
}

/* A heading line: the part it names, and where content after "Heading:"
 * starts (== n when none). Unknown Markdown headings ("## Benefits") are
 * OTHER. */
static bool is_heading(const char *s, size_t n, tl_jd_part *part, size_t *rest)
{
    char h[HEADING_MAX_BYTES + 1];
    bool md;
    *rest = n;
    if (bullet_len(s, n))
        return false;
    const char *colon = memchr(s, ':', n < 48 ? n : 48);
    if (colon && (size_t)(colon - s) + 1 < n) { /* "Requirements: BSN, BLS" */
        size_t hn = norm_heading(s, (size_t)(colon - s), h, sizeof h, &md);
        if (hn && match_heading(h, hn, part)) {
            *rest = (size_t)(colon - s) + 1;
            return true;
        }
    }
    if (n > HEADING_MAX_BYTES)
        return false;
    size_t hn = norm_heading(s, n, h, sizeof h, &md);
    if (hn && match_heading(h, hn, part))
        return true;
    if (md && hn) {
        *part = TL_JD_OTHER;
        return true;
    }
    return false;
}

static char *copy_trimmed(tl_arena *a, const char *p, size_t n)
{
    tl_str_trim(&p, &n);
    if (n > TL_MAX_FIELD_BYTES) { /* cut long text at a character boundary */
        n = TL_MAX_FIELD_BYTES;
        while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--;
    }
    return n ? tl_arena_strndup(a, p, n) : NULL;
}

static bool istarts_n(const char *s, size_t n, const char *prefix)
{
    size_t pn = strlen(prefix);
    return n >= pn && tl_str_ieqn(s, pn, prefix, pn);
}

/* Company from "Northwind Financial — Remote (US)": the text before the
 * first separator. */
static char *company_from(tl_arena *a, const char *p, size_t n)
{
    static const char *const seps[] = {" — ", " – ", " - ", ",", " | ", "|",
                                       " · ", " (",  "—",   "–", " • ", NULL};
    if (n > 10 && tl_str_ieqn(p, 8, "company:", 8)) {
        p += 8;
        n -= 8;
    }
    size_t cut = n;
    for (int i = 0; seps[i]; i++) {
        const char *q = tl_str_ifind(p, n, seps[i]);
        if (q && (size_t)(q - p) < cut)
            cut = (size_t)(q - p);
    }
    const char *s = p;
    size_t sn = cut;
    tl_str_trim(&s, &sn);
    while (sn && strchr("*_#", s[0])) { /* Markdown emphasis: "**Acme Inc**" */
        s++;
        sn--;
    }
    while (sn && strchr("*_", s[sn - 1]))
        sn--;
    tl_str_trim(&s, &sn);
    if (sn == 0 || sn > 100)
        return NULL;
    /* "Remote (US)", "Full-time · Hybrid": a location or a schedule */
    static const char *const not_names[] = {"remote",    "full-time", "full time", "part-time",
                                            "part time", "contract",  "hybrid",    "on-site",
                                            "onsite",    "location",  "salary",    NULL};
    for (int i = 0; not_names[i]; i++)
        if (istarts_n(s, sn, not_names[i]))
            return NULL;
    return tl_arena_strndup(a, s, sn);
}

/* Company named in the title: "Senior Engineer at Acme Corp". */
static char *company_in_title(tl_arena *a, const char *t)
{
    const char *at = strstr(t, " at ");
    if (!at || !isupper((unsigned char)at[4]))
        return NULL;
    return company_from(a, at + 4, strlen(at + 4));
}

static tl_err push_item(tl_job *j, tl_jd_part part, const char *p, size_t n)
{
    char ***arr;
    size_t *cnt, *cap;
    switch (part) {
    case TL_JD_REQUIREMENTS:
        arr = &j->requirements;
        cnt = &j->n_requirements;
        cap = &j->cap_requirements;
        break;
    case TL_JD_RESPONSIBILITIES:
        arr = &j->responsibilities;
        cnt = &j->n_responsibilities;
        cap = &j->cap_responsibilities;
        break;
    case TL_JD_NICE_TO_HAVE:
        arr = &j->nice_to_have;
        cnt = &j->n_nice_to_have;
        cap = &j->cap_nice_to_have;
        break;
    default: return TL_OK;
    }
    if (*cnt >= TL_MAX_BULLETS)
        return TL_OK; /* keywords still count; the list is long enough */
    char *item = copy_trimmed(j->arena, p, n);
    if (!item)
        return TL_OK;
    char **slot = tl_arena_push(j->arena, arr, cnt, cap, sizeof *slot);
    if (!slot)
        return TL_ENOMEM;
    *slot = item;
    return TL_OK;
}

/* Title without Markdown decoration or a "Job title:" label. */
static char *clean_title(tl_arena *a, const char *p, size_t n)
{
    while (n && strchr("#*_ \t", p[0])) {
        p++;
        n--;
    }
    while (n && strchr("*_ \t", p[n - 1]))
        n--;
    static const char *const labels[] = {"job title:", "title:", "position:", "role:", NULL};
    for (int i = 0; labels[i]; i++) {
        size_t ln = strlen(labels[i]);
        if (n > ln && tl_str_ieqn(p, ln, labels[i], ln)) {
            p += ln;
            n -= ln;
            break;
        }
    }
    return copy_trimmed(a, p, n);
}

/* True when a second line reads like "Company — Location", not content. */
static bool company_line(const char *s, size_t n)
{
    if (n > 120 || bullet_len(s, n) || s[n - 1] == '.' || s[n - 1] == ':')
        return false;
    int words = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ' && i + 1 < n && s[i + 1] != ' ')
            words++;
    return words < 12;
}

/* Company from "Acme Corp is hiring ..." in the first lines, or NULL. */
static char *company_hiring(tl_arena *a, const char *s)
{
    for (int line = 0; line < 10 && *s; line++) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *h = tl_str_ifind(s, n, " is hiring");
        if (h && h > s && h - s <= 80) {
            const char *p = s;
            size_t pn = (size_t)(h - s);
            size_t bl = bullet_len(p, pn);
            return company_from(a, p + bl, pn - bl);
        }
        if (!e)
            break;
        s = e + 1;
    }
    return NULL;
}

static tl_err parse_lines(ctx *c)
{
    tl_job *j = c->j;
    const char *s = j->text;
    size_t n = strlen(s), i = 0;
    int nonempty = 0;
    tl_jd_part part = TL_JD_OTHER;
    bool seen_heading = false, part_bullets = false, blank = false;
    while (i < n && c->err == TL_OK) {
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        const char *p = s + i;
        size_t pn = e - i;
        tl_str_trim(&p, &pn);
        size_t a = (size_t)(p - s), next = e + 1;
        if (pn == 0) {
            blank = true;
            i = next;
            continue;
        }
        bool was_blank = blank;
        blank = false;
        nonempty++;
        if (nonempty == 1) {
            if (!(j->title = clean_title(j->arena, p, pn)))
                return TL_ENOMEM;
            j->company = company_in_title(j->arena, j->title);
            scan_line(c, a, a + pn, TL_JD_REQUIREMENTS);
            i = next;
            continue;
        }
        tl_jd_part hp;
        size_t rest;
        if (is_heading(p, pn, &hp, &rest)) {
            part = hp;
            seen_heading = true;
            part_bullets = false;
            if (rest < pn) {
                if ((c->err = push_item(j, part, p + rest, pn - rest)) != TL_OK)
                    break;
                scan_line(c, a + rest, a + pn, part);
            }
            i = next;
            continue;
        }
        if (nonempty == 2 && !seen_heading && company_line(p, pn)) {
            if (!j->company)
                j->company = company_from(j->arena, p, pn);
            i = next;
            continue;
        }
        size_t bl = bullet_len(p, pn);
        /* Prose after a blank line that ends a bulleted list is no longer
         * part of it ("We offer competitive salary..."). */
        if (bl == 0 && part_bullets && was_blank)
            part = TL_JD_OTHER;
        part_bullets = part_bullets || bl > 0;
        if ((c->err = push_item(j, part, p + bl, pn - bl)) != TL_OK)
            break;
        scan_line(c, a + bl, a + pn, part);
        i = next;
    }
    if (c->err == TL_OK && !j->company)
        j->company = company_hiring(j->arena, s);
    return c->err;
}

/* ---- choosing and ordering keywords ---- */

static bool keep_phrase(const acc *a)
{
    bool single = strchr(a->term, ' ') == NULL;
    if (single)
        return a->count >= 2 && a->weight >= 2.0;
    return a->weight >= 1.0;
}

static int cmp_acc(const void *x, const void *y)
{
    const acc *a = *(const acc *const *)x, *b = *(const acc *const *)y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_keyword(const void *x, const void *y)
{
    const tl_keyword *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    if ((a->term_id < 0) != (b->term_id < 0))
        return a->term_id < 0 ? 1 : -1; /* terms first */
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->term, b->term);
}

/* The most frequent spelling (the first seen on a tie). */
static char *best_surface(tl_job *j, const acc *a)
{
    int best = 0;
    for (int i = 1; i < a->n_surf; i++)
        if (a->surf_n[i] > a->surf_n[best])
            best = i;
    return tl_arena_strndup(j->arena, j->text + a->surf_off[best], a->surf_len[best]);
}

static tl_err add_keyword(tl_job *j, const acc *a)
{
    tl_keyword *k =
        tl_arena_push(j->arena, &j->keywords, &j->n_keywords, &j->cap_keywords, sizeof *k);
    if (!k)
        return TL_ENOMEM;
    k->term = a->term;
    k->surface = best_surface(j, a);
    if (!k->surface)
        return TL_ENOMEM;
    k->term_id = a->term_id;
    k->weight = a->weight;
    k->count = a->count;
    k->part = a->part;
    return TL_OK;
}

/* Terms first, then phrases, at most TL_JOB_MAX_KEYWORDS in all. */
static tl_err choose_keywords(ctx *c)
{
    const acc **order = malloc((c->n_accs ? c->n_accs : 1) * sizeof *order);
    if (!order)
        return TL_ENOMEM;
    for (size_t i = 0; i < c->n_accs; i++)
        order[i] = &c->accs[i];
    qsort(order, c->n_accs, sizeof *order, cmp_acc);
    tl_err e = TL_OK;
    for (int pass = 0; pass < 2 && e == TL_OK; pass++) {
        for (size_t i = 0; i < c->n_accs && e == TL_OK; i++) {
            const acc *a = order[i];
            if (c->j->n_keywords >= TL_JOB_MAX_KEYWORDS)
                break;
            bool is_term = a->term_id >= 0;
            if ((pass == 0) != is_term || (!is_term && !keep_phrase(a)))
                continue;
            e = add_keyword(c->j, a);
        }
    }
    free(order);
    if (e == TL_OK && c->j->n_keywords > 1)
        qsort(c->j->keywords, c->j->n_keywords, sizeof *c->j->keywords, cmp_keyword);
    return e;
}

static int cmp_kw_term(const void *x, const void *y)
{
    const tl_keyword *a = *(const tl_keyword *const *)x, *b = *(const tl_keyword *const *)y;
    return strcmp(a->term, b->term);
}

/* Hash of the keyword list sorted by term: term and part of each. */
static tl_err fingerprint(tl_job *j)
{
    const tl_keyword **v = malloc((j->n_keywords ? j->n_keywords : 1) * sizeof *v);
    if (!v)
        return TL_ENOMEM;
    for (size_t i = 0; i < j->n_keywords; i++)
        v[i] = &j->keywords[i];
    qsort(v, j->n_keywords, sizeof *v, cmp_kw_term);
    tl_buf b;
    tl_buf_init(&b, 1u << 20);
    tl_err e = TL_OK;
    for (size_t i = 0; i < j->n_keywords && e == TL_OK; i++)
        e = tl_buf_printf(&b, "%s\t%s\n", v[i]->term, tl_jd_part_name(v[i]->part));
    if (e == TL_OK)
        j->fingerprint = tl_hash64(b.data ? b.data : "", b.len, 0);
    tl_buf_free(&b);
    free(v);
    return e;
}

/* ---- checks ---- */

static void set_err(tl_doc_error *err, int line, const char *msg)
{
    if (!err)
        return;
    err->line = line;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

/* Line of the first byte that is not valid UTF-8 (or a NUL), with *nul
 * set when it is a NUL. 0 when the text is valid. */
static int bad_utf8_line(const char *p, size_t n, bool *nul)
{
    *nul = memchr(p, '\0', n) != NULL;
    if (tl_utf8_valid(p, n))
        return 0;
    int line = 1;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && p[e] != '\n')
            e++;
        if (!tl_utf8_valid(p + i, e - i))
            return line;
        line++;
        i = e + 1;
    }
    return line;
}

static tl_err check_text(const char *text, size_t n, tl_doc_error *err)
{
    char msg[200];
    if (n > TL_MAX_JOB_BYTES) {
        snprintf(msg, sizeof msg, "job description is %zu bytes; the limit is %u", n,
                 TL_MAX_JOB_BYTES);
        set_err(err, 0, msg);
        return TL_ETOOBIG;
    }
    bool nul;
    int bad = bad_utf8_line(text, n, &nul);
    if (bad) {
        snprintf(msg, sizeof msg, "job description is not UTF-8 text (%s on line %d)",
                 nul ? "a NUL byte, binary data?" : "invalid byte sequence", bad);
        set_err(err, bad, msg);
        return TL_EUTF8;
    }
    size_t ctrl = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        if ((ch < 0x20 && !isspace(ch)) || ch == 0x7F)
            ctrl++;
        else if (isalpha(ch) || ch >= 0xC0)
            letters++;
    }
    if (ctrl > 0 && ctrl * 50 > n) {
        snprintf(msg, sizeof msg, "job description looks like binary data (%zu control characters)",
                 ctrl);
        set_err(err, 0, msg);
        return TL_EFORMAT;
    }
    if (letters == 0) {
        set_err(err, 0, n ? "job description has no words" : "job description is empty");
        return TL_EEMPTY;
    }
    return TL_OK;
}

/* ---- public ---- */

tl_err tl_job_parse(const char *text, size_t n, const tl_terms *terms, tl_job **out,
                    tl_doc_error *err)
{
    if (err) {
        err->line = 0;
        err->message[0] = '\0';
    }
    if ((!text && n) || !terms || !out)
        return TL_EINVAL;
    tl_err e = check_text(text ? text : "", n, err);
    if (e != TL_OK)
        return e;
    pthread_once(&lists_once, sort_lists);
    ctx c = {0};
    tl_arena *arena = tl_arena_create();
    tl_job *j = arena ? tl_arena_alloc(arena, sizeof *j) : NULL;
    if (!j)
        goto nomem;
    j->arena = arena;
    if (!(j->text = tl_arena_strndup(arena, text, n)))
        goto nomem;
    c.j = j;
    c.terms = terms;
    if ((e = parse_lines(&c)) != TL_OK)
        goto fail;
    if ((e = choose_keywords(&c)) != TL_OK || (e = fingerprint(j)) != TL_OK)
        goto fail;
    free(c.accs);
    free(c.slots);
    *out = j;
    return TL_OK;
nomem:
    e = TL_ENOMEM;
fail:
    free(c.accs);
    free(c.slots);
    tl_arena_destroy(arena);
    set_err(err, 0, tl_strerror(e));
    return e;
}

void tl_job_free(tl_job *j)
{
    if (j)
        tl_arena_destroy(j->arena);
}

const tl_keyword *tl_job_keyword(const tl_job *j, const char *term)
{
    if (!j || !term)
        return NULL;
    for (size_t i = 0; i < j->n_keywords; i++)
        if (tl_str_ieq(j->keywords[i].term, term))
            return &j->keywords[i];
    return NULL;
}
