/* Relevance helpers shared by the tailor module: the embedded engine, the
 * score, the fact guard and the consistency pass all ask the same questions
 * of a text ("which job keywords does it mention, under which spelling?",
 * "is its first word a verb, in which tense?", "is this a date?"), and all
 * must answer them the same way, so the answers live here.
 *
 * Everything here is read-only once built and may be shared by threads. */
#ifndef TL_MATCH_H
#define TL_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "util/err.h"

/* ---- words ---- */

typedef struct tl_word {
    size_t start, len;
} tl_word;

/* The next word of s[0..n) at or after *pos: a run of word bytes
 * (tl_is_word_byte), with inner apostrophes kept ("team's"). Advances *pos
 * past it. False at the end. */
bool tl_next_word(const char *s, size_t n, size_t *pos, tl_word *w);

/* True for small function words ("the", "and", "with"...), any case. */
bool tl_is_stopword(const char *w, size_t n);

/* ---- matching a text against a job ---- */

#define TL_MATCH_MAX_TERMS 128 /* dictionary occurrences kept per text */
#define TL_MATCH_MAX_KW 32     /* distinct job keywords kept per text */

/* What one text says, as seen from a job. */
typedef struct tl_text_match {
    /* Every dictionary term occurrence, left to right (the first
     * TL_MATCH_MAX_TERMS of them). */
    tl_term_match terms[TL_MATCH_MAX_TERMS];
    size_t n_terms;
    /* Distinct job keywords mentioned (index into job->keywords), heaviest
     * first, with their number of occurrences and whether every dictionary
     * occurrence is as the job would have it (its spelling, ignoring case,
     * or a different phrase that tl_respell_allowed would not rewrite). */
    int kw[TL_MATCH_MAX_KW];
    int kw_count[TL_MATCH_MAX_KW];
    bool kw_job_spelling[TL_MATCH_MAX_KW];
    size_t n_kw;
    /* The text's relevance: the sum over the distinct keywords of
     * log(1 + weight). Damped so that breadth counts: a bullet naming two
     * requirements outranks one naming a single, often repeated one. */
    double relevance;
} tl_text_match;

typedef struct tl_matcher tl_matcher;

/* Indexes j's keywords (j may be NULL: then texts are only scanned for
 * dictionary terms). j and t must outlive the matcher. On failure *out is
 * untouched. */
TL_MUST_CHECK tl_err tl_matcher_create(const tl_job *j, const tl_terms *t, tl_matcher **out);
void tl_matcher_free(tl_matcher *m);

const tl_job *tl_matcher_job(const tl_matcher *m);
const tl_terms *tl_matcher_terms(const tl_matcher *m);
/* The index of the job keyword whose dictionary term is term_id, or -1. */
int tl_matcher_keyword_of_term(const tl_matcher *m, int term_id);

/* Scans text[0..n) once: dictionary terms (tl_terms_scan) and the job's
 * phrases (1-4 words, compared word by word after case folding and plural
 * stripping). Never fails; out is overwritten. */
void tl_matcher_match(const tl_matcher *m, const char *text, size_t n, tl_text_match *out);

/* Only the dictionary terms of text (out->terms); no keywords, no
 * phrases: for passes that only care about spellings. */
void tl_matcher_terms_only(const tl_matcher *m, const char *text, size_t n, tl_text_match *out);

/* Number of distinct content words (4+ letters, not stop-words, plural
 * stripped) of text that the job description also uses. A weak relevance
 * signal, used to rank bullets that mention no keyword. */
size_t tl_matcher_overlap(const tl_matcher *m, const char *text, size_t n);

/* The job's own spelling of keyword kw, as the job writes it in running
 * text (its most frequent there; ties go to the dictionary's canonical
 * spelling): "Go" for a job that writes "Go services ... Go (Golang)".
 * Occurrences in titles or at the start of a sentence say nothing about
 * capitalisation and are not counted; a spelling with inner capitals
 * ("PostgreSQL") counts anywhere. False when the job never writes the term
 * so, or kw is a phrase. *p points into the job's text. */
bool tl_matcher_job_spelling(const tl_matcher *m, int kw, const char **p, size_t *n);

/* ---- spellings ---- */

/* True when the capitalisation of text[start, start+len) tells how the
 * writer spells the term: not at the start of the text or of a sentence,
 * and not next to other capitalised words (a title: "Senior Backend
 * Engineer"). A text that is the term alone (a skills item) counts. */
bool tl_case_informative(const char *text, size_t n, size_t start, size_t len);

/* Length of the spelling of term id at p[0..n) without a plural "s" that
 * the dictionary does not list ("APIs" -> 3 when only "API" is listed). */
size_t tl_term_stem(const tl_terms *t, int id, const char *p, size_t n);

/* True when the resume's spelling from[0..fn) of term id may be rewritten
 * as to[0..tn): a true respelling ("golang" -> "Go", "k8s" ->
 * "Kubernetes", "kafka" -> "Kafka", "Java Script" -> "JavaScript"), not a
 * different phrase the dictionary groups under the same term ("ledger
 * service" -> "ledgers", "mentored" -> "mentor", "Software engineer" ->
 * "software engineering"). So: never for soft skills, never between
 * inflections of one word, and for several words only when they differ in
 * case, blanks or hyphens. Case-only changes are also subject to
 * tl_case_informative (callers check it). */
bool tl_respell_allowed(const tl_terms *t, int id, const char *from, size_t fn, const char *to,
                        size_t tn);

/* Words for a person: "a requirement", "nice to have", ... */
const char *tl_part_phrase(tl_jd_part p, bool plural);

/* ---- verbs ---- */

typedef enum tl_verb_form {
    TL_VERB_BASE,  /* "build": present tense of a resume bullet */
    TL_VERB_PAST,  /* "built" */
    TL_VERB_THIRD, /* "builds" */
    TL_VERB_GERUND /* "building" */
} tl_verb_form;

/* The table verb one of whose forms is w[0..n) (any case), or -1. *form
 * (may be NULL) tells which form matched; when two forms are spelled alike
 * ("cut"/"cut") the base form wins. */
int tl_verb_find(const char *w, size_t n, tl_verb_form *form);
/* Writes a form of table verb v into out[cap] (NUL-terminated), its first
 * letter capitalised when cap_first. Returns the length, 0 when it does not
 * fit or v is not a verb. */
size_t tl_verb_spell(int v, tl_verb_form form, bool cap_first, char *out, size_t cap);

/* ---- dates ---- */

typedef enum tl_date_style {
    TL_DATE_NONE = 0,
    TL_DATE_ISO_MONTH, /* 2021-03 */
    TL_DATE_ISO_DAY,   /* 2021-03-15 */
    TL_DATE_MON,       /* Mar 2021 */
    TL_DATE_MONTH,     /* March 2021 */
    TL_DATE_SLASH,     /* 03/2021 */
    TL_DATE_YEAR,      /* 2021 */
    TL_DATE_STYLE_COUNT_
} tl_date_style;

typedef struct tl_date {
    int year, month, day; /* month and day 0 when not given */
    tl_date_style style;
} tl_date;

/* Parses a whole date field ("2021-03", "Mar 2021", "March 2021", "Sept
 * 2019", "03/2021", "2021", "2021-03-15"), surrounding spaces allowed. */
bool tl_date_parse(const char *s, size_t n, tl_date *out);
/* Writes d in style into out[cap]. Returns the length, or 0 when d lacks
 * what the style needs (a month, a day) or it does not fit. */
size_t tl_date_format(const tl_date *d, tl_date_style style, char *out, size_t cap);
/* The month (1-12) that w[0..n) names ("Mar", "march", "Sept."), or 0. */
int tl_month_from_word(const char *w, size_t n);
/* True for "Present", "Current", "Now", "Today", "Ongoing" (any case). */
bool tl_date_is_present(const char *s);

/* A dated role that has ended (end date set, not "Present"). */
bool tl_entry_is_past(const tl_entry *e);
/* A dated role still held (start date, and no end date or "Present"). */
bool tl_entry_is_current(const tl_entry *e);

/* ---- resume parts ---- */

/* Sections whose entries the engine tailors: work, volunteer, projects,
 * skills and custom sections. The others (education, certificates,
 * awards, languages, ...) hold facts written as they are. */
bool tl_section_tailorable(tl_section_kind k);

typedef enum tl_text_slot {
    TL_SLOT_NAME,     /* basics.name */
    TL_SLOT_LABEL,    /* basics.label */
    TL_SLOT_LOCATION, /* basics.location or an entry's location */
    TL_SLOT_SUMMARY,  /* basics.summary or an entry's summary */
    TL_SLOT_TITLE,    /* an entry's title (position, degree, name) */
    TL_SLOT_ORG,      /* an entry's organisation */
    TL_SLOT_DATE,     /* start, end or single date */
    TL_SLOT_BULLET,   /* highlights, keywords, courses */
    TL_SLOT_FIELD,    /* an extra field (area, score, level...) */
    TL_SLOT_CONTACT   /* email, phone, urls, profiles */
} tl_text_slot;

/* One text of a resume, as the walker reports it. */
typedef struct tl_text_ref {
    int section; /* -1 for basics */
    size_t entry;
    int bullet; /* -1 unless slot is TL_SLOT_BULLET */
    tl_text_slot slot;
    const char *text; /* never NULL */
} tl_text_ref;

typedef bool (*tl_text_cb)(void *ud, const tl_text_ref *ref);
/* Calls cb for every non-empty text of r in document order; cb returns
 * false to stop. */
void tl_resume_texts(const tl_resume *r, tl_text_cb cb, void *ud);

#endif
