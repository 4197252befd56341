/* The resume document model, its readers and its writers.
 *
 * One in-memory model for every input format: basics (name, contact,
 * summary, links) and sections of entries, each entry with fields and
 * bullets. Every string lives in the resume's arena; a resume is freed with
 * one call. Field names follow JSON Resume (https://jsonresume.org/schema),
 * the native format.
 *
 * Stable ids name every part of a resume (used by tasks, diffs and the API):
 *   "basics.summary"             the summary
 *   "work"                       a section (its key)
 *   "work[1]"                    an entry (0-based)
 *   "work[1].summary"            an entry's summary
 *   "work[1].highlights[3]"      a bullet; the bullet key depends on the
 *                                section: highlights, keywords (skills,
 *                                interests) or courses (education)
 * A custom section uses its own key: "military[0].highlights[1]".
 *
 * Threads: a resume may be read from many threads at once; writes need
 * exclusive access. */
#ifndef TL_RESUME_H
#define TL_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/arena.h"
#include "util/err.h"

typedef enum tl_format {
    TL_FORMAT_AUTO = 0, /* detect (readers) / same as the input (writers) */
    TL_FORMAT_JSON,     /* JSON Resume */
    TL_FORMAT_MARKDOWN,
    TL_FORMAT_TEXT,
    TL_FORMAT_HTML /* writer only: a standalone, print-ready page */
} tl_format;

/* "json", "markdown", "text", "html" ("auto" for AUTO). */
const char *tl_format_name(tl_format f);
/* Accepts json, md, markdown, txt, text, html (any case); TL_EINVAL else. */
TL_MUST_CHECK tl_err tl_format_parse(const char *s, tl_format *out);

typedef enum tl_section_kind {
    TL_SEC_WORK,
    TL_SEC_VOLUNTEER,
    TL_SEC_EDUCATION,
    TL_SEC_AWARDS,
    TL_SEC_CERTIFICATES,
    TL_SEC_PUBLICATIONS,
    TL_SEC_SKILLS,
    TL_SEC_LANGUAGES,
    TL_SEC_INTERESTS,
    TL_SEC_REFERENCES,
    TL_SEC_PROJECTS,
    TL_SEC_CUSTOM,
    TL_SEC_COUNT_
} tl_section_kind;

/* JSON Resume key of a kind ("work", "skills", ...; "custom" for CUSTOM). */
const char *tl_section_kind_key(tl_section_kind k);
/* Default heading of a kind ("Experience", "Skills", ...). */
const char *tl_section_kind_title(tl_section_kind k);
/* Bullet key of a kind: "highlights", "keywords" or "courses". */
const char *tl_section_kind_bullet_key(tl_section_kind k);
/* The kind whose JSON Resume key is key; TL_SEC_CUSTOM when none. */
tl_section_kind tl_section_kind_from_key(const char *key);

/* A scalar field without a slot of its own, by JSON Resume key
 * (education: area, score; skills: level; languages: fluency; ...). */
typedef struct tl_field {
    char *key;
    char *value;
} tl_field;

/* One entry of a section. Slots map to JSON Resume keys per section kind:
 *   title:   work/volunteer position, education studyType, awards title,
 *            certificates/publications/skills/interests/projects/references
 *            name, languages language
 *   org:     work name, volunteer organization, education institution,
 *            awards awarder, certificates issuer, publications publisher,
 *            projects entity
 *   summary: work/volunteer/awards/publications summary, projects
 *            description, references reference
 *   date:    awards/certificates date, publications releaseDate
 * Unset slots are NULL. Dates are kept as written ("2021-03", "Jan 2022",
 * "March 2021"); end_date NULL with start_date set means current. */
typedef struct tl_entry {
    char *title;
    char *org;
    char *location;
    char *start_date;
    char *end_date;
    char *date;
    char *summary;
    char *url;
    char **bullets;
    size_t n_bullets, cap_bullets;
    tl_field *fields;
    size_t n_fields, cap_fields;
} tl_entry;

typedef struct tl_section {
    tl_section_kind kind;
    char *key;   /* JSON Resume key, or the custom section's key */
    char *title; /* heading as written in the source, else the default */
    tl_entry *entries;
    size_t n_entries, cap_entries;
} tl_section;

typedef struct tl_profile {
    char *network;
    char *username;
    char *url;
} tl_profile;

typedef struct tl_basics {
    char *name;
    char *label;
    char *email;
    char *phone;
    char *url;
    char *location; /* one line: "San Francisco, CA, US" */
    char *summary;
    tl_profile *profiles;
    size_t n_profiles, cap_profiles;
} tl_basics;

struct json_t;

typedef struct tl_resume {
    tl_arena *arena;
    tl_format format; /* the format it was read from */
    tl_basics basics;
    tl_section *sections;
    size_t n_sections, cap_sections;
    /* The JSON Resume tree it was read from (NULL for other formats). The
     * JSON writer starts from it, so fields the model does not know are
     * written back unchanged. Owned by the resume. */
    struct json_t *raw;
} tl_resume;

/* Where and why a reader refused its input. */
typedef struct tl_doc_error {
    int line; /* 1-based, 0 when not known */
    char message[256];
} tl_doc_error;

/* ---- lifecycle ---- */

/* An empty resume (format TEXT); NULL when out of memory. */
tl_resume *tl_resume_new(void);
/* Frees everything. NULL does nothing. */
void tl_resume_free(tl_resume *r);
/* A deep copy (own arena, own raw tree). On failure *out is untouched. */
TL_MUST_CHECK tl_err tl_resume_clone(const tl_resume *r, tl_resume **out);

/* ---- building (all strings are copied into the arena) ---- */

/* Sets *slot (a char * field of r, its basics, a section or an entry) to a
 * copy of value (NULL clears it). TL_ETOOBIG past TL_MAX_FIELD_BYTES. */
TL_MUST_CHECK tl_err tl_resume_set(tl_resume *r, char **slot, const char *value);
TL_MUST_CHECK tl_err tl_resume_setn(tl_resume *r, char **slot, const char *value, size_t n);
/* Appends a section; key NULL means the kind's key, title NULL the kind's
 * default. Returns NULL when out of memory or past TL_MAX_SECTIONS. The
 * pointer is valid until the next section is added. */
tl_section *tl_resume_add_section(tl_resume *r, tl_section_kind kind, const char *key,
                                  const char *title);
/* Appends an empty entry; NULL when out of memory or past TL_MAX_ENTRIES. */
tl_entry *tl_section_add_entry(tl_resume *r, tl_section *s);
/* Appends a copy of text[0..n); TL_ETOOBIG past TL_MAX_BULLETS bullets or
 * TL_MAX_FIELD_BYTES bytes. */
TL_MUST_CHECK tl_err tl_entry_add_bullet(tl_resume *r, tl_entry *e, const char *text, size_t n);
/* Sets (or replaces) an extra field. */
TL_MUST_CHECK tl_err tl_entry_set_field(tl_resume *r, tl_entry *e, const char *key,
                                        const char *value);
/* The value of an extra field, or NULL. */
const char *tl_entry_field(const tl_entry *e, const char *key);
TL_MUST_CHECK tl_err tl_basics_add_profile(tl_resume *r, const char *network, const char *username,
                                           const char *url);

/* ---- finding ---- */

/* The first section of a kind, or NULL. */
tl_section *tl_resume_find_section(const tl_resume *r, tl_section_kind kind);
/* Index of the first section with this key, or -1. */
int tl_resume_section_index(const tl_resume *r, const char *key);
/* The string slot an id names ("basics.summary", "work[1].summary",
 * "work[1].highlights[3]", "work[1].position"...), or NULL. */
char **tl_resume_slot(tl_resume *r, const char *id);
/* Writes the id of an entry (bullet < 0) or a bullet into out. Returns the
 * length (snprintf semantics). */
int tl_resume_entry_id(const tl_resume *r, size_t section, size_t entry, int bullet, char *out,
                       size_t cap);
/* Number of bullets in the whole resume. */
size_t tl_resume_bullet_count(const tl_resume *r);

/* ---- reading and writing ---- */

/* Guesses the format: JSON when it starts with '{', MARKDOWN when it has
 * Markdown headings or bold entry lines, else TEXT. */
tl_format tl_resume_detect(const char *p, size_t n);

/* Parses p[0..n) (need not be NUL-terminated) in format fmt (AUTO detects).
 * Checks size (TL_MAX_RESUME_BYTES), UTF-8, JSON depth, and that something
 * recognisable was found. Errors: TL_ETOOBIG, TL_EUTF8, TL_EFORMAT,
 * TL_EEMPTY, TL_ENOMEM; err (may be NULL) says what is wrong. */
TL_MUST_CHECK tl_err tl_resume_parse(const char *p, size_t n, tl_format fmt, tl_resume **out,
                                     tl_doc_error *err);

/* Renders r in format fmt (AUTO: r->format) into a malloc'd NUL-terminated
 * string that the caller frees. */
TL_MUST_CHECK tl_err tl_resume_write(const tl_resume *r, tl_format fmt, char **out, size_t *len);

/* r as a JSON Resume value (what tl_resume_write writes for JSON, not yet
 * serialised), for callers that put it inside a larger JSON document.
 * The caller owns *out (json_decref). */
TL_MUST_CHECK tl_err tl_resume_to_json_value(const tl_resume *r, json_t **out);

#endif
