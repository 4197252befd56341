/* Plain-text resumes, and the line grammar the Markdown reader shares.
 *
 * Part 1, the grammar: headings, dates, entry heads, contact parts, and the
 * line-reader state (tl__lines) that turns them into the model.
 * Part 2, the plain-text reader: the name on the first line, contact
 * lines, headings in ALL CAPS or known heading words, entries of one or two
 * head lines ("Title, Unit" / "Org, City, ST | March 2021 - Present"),
 * bullets "*", "-", "•".
 * Part 3, the plain-text writer, which writes the same conventions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "doc/doc_int.h"
#include "util/limits.h"
#include "util/str.h"

/* ======================================================================
 * Part 1: spans and words
 * ====================================================================== */

static tl__span span(const char *p, size_t n)
{
    tl__span s = {p, n};
    return s;
}

tl__span tl__span_trim(tl__span s)
{
    tl_str_trim(&s.p, &s.n);
    return s;
}

static bool starts(tl__span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static bool ends(tl__span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

/* First occurrence of lit in s, or -1. */
static long find(tl__span s, const char *lit)
{
    size_t n = strlen(lit);
    for (size_t i = 0; n && i + n <= s.n; i++)
        if (memcmp(s.p + i, lit, n) == 0)
            return (long)i;
    return -1;
}

/* The next word of s from *i: ASCII letters and digits lowercased, dots
 * dropped ("M.S." -> "ms"), other UTF-8 bytes kept. Returns its length (0
 * at the end). Truncates long words to cap - 1 bytes. */
static size_t next_word(tl__span s, size_t *i, char *out, size_t cap)
{
    size_t k = *i, n = 0;
    /* a run of dots alone ("...") is not a word: skip to the next one */
    while (n == 0 && k < s.n) {
        while (k < s.n && !tl_is_word_byte((unsigned char)s.p[k]))
            k++;
        while (k < s.n && (tl_is_word_byte((unsigned char)s.p[k]) || s.p[k] == '.')) {
            char c = s.p[k++];
            if (c != '.' && n + 1 < cap)
                out[n++] = (char)tolower((unsigned char)c);
        }
    }
    out[n] = '\0';
    *i = k;
    return n;
}

static bool in_list(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0)
            return true;
    return false;
}

/* Number of words of s that are in list. */
static int count_words(tl__span s, const char *const *list)
{
    char w[32];
    size_t i = 0;
    int c = 0;
    while (next_word(s, &i, w, sizeof w))
        c += in_list(w, list);
    return c;
}

static const char *const title_words[] = {
    "engineer", "developer", "analyst", "manager", "director", "nurse", "assistant", "intern",
    "lead", "specialist", "consultant", "designer", "scientist", "officer", "coordinator",
    "associate", "architect", "administrator", "head", "vp", "president", "founder", "owner",
    "teacher", "technician", "representative", "accountant", "editor", "writer", "researcher",
    "programmer", "executive", "supervisor", "advisor", "adviser", "strategist", "marketer",
    "chef", "instructor", "professor", "lecturer", "therapist", "physician", "pharmacist",
    "clerk", "agent", "partner", "principal", "senior", "junior", "sr", "jr", "rn", "volunteer",
    "fellow", "student", "tutor", "contractor", "freelance", "freelancer", "operator",
    "mechanic", "attorney", "lawyer", "paralegal", "chief", "cto", "ceo", "cfo", "coo", "cmo",
    "sre", "devops", "staff", "trainee", "apprentice", "educator", "counselor", "aide",
    "technologist", "planner", "buyer", "recruiter", "auditor", "controller", "economist",
    "statistician", "librarian", "secretary", "receptionist", "driver", "mentor", "member",
    NULL};

static const char *const org_words[] = {
    "inc", "llc", "ltd", "corp", "corporation", "company", "co", "group", "university",
    "college", "hospital", "clinic", "clinics", "health", "healthcare", "labs", "lab", "school",
    "institute", "bank", "agency", "gmbh", "foundation", "systems", "technologies", "solutions",
    "partners", "media", "payments", "logistics", "grocers", "studio", "studios", "center",
    "centre", "services", "consulting", "department", "county", "government", "ministry",
    "academy", "nhs", "bureau", "council", "society", "club", "church", "llp", "plc", "ag",
    "holdings", "ventures", "capital", "networks", "software", "medical", "general",
    "community", "memorial", "enterprises", "industries", "international", "global", "ltda",
    "sa", "bv", "ab", "oy", "as", "srl", "pty", "limited", "incorporated", NULL};

static const char *const degree_words[] = {
    "bachelor", "bachelors", "master", "masters", "phd", "doctor", "doctorate", "associate",
    "associates", "diploma", "certificate", "bs", "ba", "ms", "ma", "mba", "bsc", "msc", "bsn",
    "msn", "beng", "meng", "degree", "aa", "md", "jd", "llb", "llm", "mfa", "bfa", "edd", "ged",
    "mph", "dnp", "adn", "hnd", "bachelor's", "master's", NULL};

static const char *const school_words[] = {"university", "college", "institute", "school",
                                           "academy", "polytechnic", "conservatory", NULL};

/* ======================================================================
 * Headings
 * ====================================================================== */

enum { K_SUMMARY = -1 };

static const struct {
    const char *h;
    int kind;
} strict_headings[] = {
    {"summary", K_SUMMARY}, {"professional summary", K_SUMMARY}, {"career summary", K_SUMMARY},
    {"executive summary", K_SUMMARY}, {"summary of qualifications", K_SUMMARY},
    {"profile", K_SUMMARY}, {"professional profile", K_SUMMARY}, {"about", K_SUMMARY},
    {"about me", K_SUMMARY}, {"objective", K_SUMMARY}, {"career objective", K_SUMMARY},
    {"overview", K_SUMMARY}, {"personal statement", K_SUMMARY}, {"bio", K_SUMMARY},
    {"experience", TL_SEC_WORK}, {"work experience", TL_SEC_WORK},
    {"professional experience", TL_SEC_WORK}, {"relevant experience", TL_SEC_WORK},
    {"employment", TL_SEC_WORK}, {"employment history", TL_SEC_WORK},
    {"work history", TL_SEC_WORK}, {"career history", TL_SEC_WORK},
    {"clinical experience", TL_SEC_WORK}, {"work", TL_SEC_WORK},
    {"skills", TL_SEC_SKILLS}, {"technical skills", TL_SEC_SKILLS},
    {"core skills", TL_SEC_SKILLS}, {"key skills", TL_SEC_SKILLS},
    {"core competencies", TL_SEC_SKILLS}, {"competencies", TL_SEC_SKILLS},
    {"skills and tools", TL_SEC_SKILLS}, {"technologies", TL_SEC_SKILLS},
    {"areas of expertise", TL_SEC_SKILLS}, {"expertise", TL_SEC_SKILLS},
    {"clinical skills", TL_SEC_SKILLS}, {"tech stack", TL_SEC_SKILLS},
    {"skills and abilities", TL_SEC_SKILLS}, {"education", TL_SEC_EDUCATION},
    {"education and training", TL_SEC_EDUCATION}, {"academic background", TL_SEC_EDUCATION},
    {"certifications", TL_SEC_CERTIFICATES}, {"certificates", TL_SEC_CERTIFICATES},
    {"certification", TL_SEC_CERTIFICATES}, {"licenses", TL_SEC_CERTIFICATES},
    {"licenses and certifications", TL_SEC_CERTIFICATES},
    {"certifications and licenses", TL_SEC_CERTIFICATES},
    {"licensure", TL_SEC_CERTIFICATES}, {"credentials", TL_SEC_CERTIFICATES},
    {"projects", TL_SEC_PROJECTS}, {"personal projects", TL_SEC_PROJECTS},
    {"selected projects", TL_SEC_PROJECTS}, {"side projects", TL_SEC_PROJECTS},
    {"key projects", TL_SEC_PROJECTS}, {"open source", TL_SEC_PROJECTS},
    {"volunteer", TL_SEC_VOLUNTEER}, {"volunteering", TL_SEC_VOLUNTEER},
    {"volunteer experience", TL_SEC_VOLUNTEER}, {"volunteer work", TL_SEC_VOLUNTEER},
    {"community involvement", TL_SEC_VOLUNTEER}, {"awards", TL_SEC_AWARDS},
    {"honors", TL_SEC_AWARDS}, {"honours", TL_SEC_AWARDS},
    {"awards and honors", TL_SEC_AWARDS}, {"honors and awards", TL_SEC_AWARDS},
    {"achievements", TL_SEC_AWARDS}, {"publications", TL_SEC_PUBLICATIONS},
    {"selected publications", TL_SEC_PUBLICATIONS}, {"languages", TL_SEC_LANGUAGES},
    {"interests", TL_SEC_INTERESTS}, {"hobbies", TL_SEC_INTERESTS},
    {"hobbies and interests", TL_SEC_INTERESTS}, {"references", TL_SEC_REFERENCES},
};

/* Heading words for loose matching; the first word of a heading that is
 * here decides ("Skills & Certifications" is skills). */
static const struct {
    const char *w;
    int kind;
} heading_words[] = {
    {"summary", K_SUMMARY}, {"profile", K_SUMMARY}, {"objective", K_SUMMARY},
    {"about", K_SUMMARY}, {"overview", K_SUMMARY},
    {"volunteer", TL_SEC_VOLUNTEER}, {"volunteering", TL_SEC_VOLUNTEER},
    {"experience", TL_SEC_WORK}, {"employment", TL_SEC_WORK}, {"work", TL_SEC_WORK},
    {"skills", TL_SEC_SKILLS}, {"skill", TL_SEC_SKILLS}, {"competencies", TL_SEC_SKILLS},
    {"technologies", TL_SEC_SKILLS}, {"expertise", TL_SEC_SKILLS},
    {"proficiencies", TL_SEC_SKILLS}, {"education", TL_SEC_EDUCATION},
    {"academic", TL_SEC_EDUCATION}, {"coursework", TL_SEC_EDUCATION},
    {"certifications", TL_SEC_CERTIFICATES}, {"certification", TL_SEC_CERTIFICATES},
    {"certificates", TL_SEC_CERTIFICATES}, {"licenses", TL_SEC_CERTIFICATES},
    {"licences", TL_SEC_CERTIFICATES}, {"licensure", TL_SEC_CERTIFICATES},
    {"projects", TL_SEC_PROJECTS}, {"awards", TL_SEC_AWARDS}, {"honors", TL_SEC_AWARDS},
    {"honours", TL_SEC_AWARDS}, {"achievements", TL_SEC_AWARDS},
    {"publications", TL_SEC_PUBLICATIONS}, {"languages", TL_SEC_LANGUAGES},
    {"interests", TL_SEC_INTERESTS}, {"hobbies", TL_SEC_INTERESTS},
    {"references", TL_SEC_REFERENCES},
};

/* Lowercase words joined by single spaces, "&" and "/" read as "and". */
static bool normalize_heading(tl__span s, char *out, size_t cap)
{
    size_t n = 0, i = 0;
    char w[48];
    if (s.n > 100)
        return false;
    for (;;) {
        size_t save = i;
        size_t wl = next_word(s, &i, w, sizeof w);
        /* an "&" or "/" between words counts as "and" */
        for (size_t k = save; k < i && n; k++) {
            if (s.p[k] == '&' || s.p[k] == '/') {
                if (n + 5 >= cap)
                    return false;
                memcpy(out + n, " and", 4);
                n += 4;
                break;
            }
        }
        if (!wl)
            break;
        if (n + wl + 2 >= cap)
            return false;
        if (n)
            out[n++] = ' ';
        memcpy(out + n, w, wl);
        n += wl;
    }
    out[n] = '\0';
    return n > 0;
}

bool tl__heading_kind(tl__span s, bool loose, tl_section_kind *kind, bool *summary)
{
    char h[128];
    if (!normalize_heading(tl__span_trim(s), h, sizeof h))
        return false;
    int k = -2;
    for (size_t i = 0; i < sizeof strict_headings / sizeof strict_headings[0]; i++)
        if (strcmp(h, strict_headings[i].h) == 0)
            k = strict_headings[i].kind;
    if (k == -2 && loose) {
        char w[48];
        size_t i = 0;
        tl__span hs = span(h, strlen(h));
        while (k == -2 && next_word(hs, &i, w, sizeof w))
            for (size_t j = 0; j < sizeof heading_words / sizeof heading_words[0]; j++)
                if (strcmp(w, heading_words[j].w) == 0) {
                    k = heading_words[j].kind;
                    break;
                }
    }
    if (k == -2)
        return false;
    *summary = k == K_SUMMARY;
    *kind = k == K_SUMMARY ? TL_SEC_CUSTOM : (tl_section_kind)k;
    return true;
}

/* ======================================================================
 * Dates
 * ====================================================================== */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t alpha_run(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_alpha(p[i]))
        i++;
    return i;
}

static size_t digit_run(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_digit(p[i]))
        i++;
    return i;
}

static bool word_in(const char *p, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (tl_str_ieqn(p, n, list[i], strlen(list[i])))
            return true;
    return false;
}

static const char *const month_names[] = {
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june",
    "jul", "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov",
    "november", "dec", "december", "spring", "summer", "fall", "autumn", "winter", NULL};

static const char *const present_words[] = {"present", "current", "now", "today", "ongoing",
                                            NULL};

/* A four-digit year 1900-2099 not followed by a letter or digit. */
static size_t match_year(const char *p, size_t n)
{
    if (n < 4 || digit_run(p, n) != 4)
        return 0;
    if (!((p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0')))
        return 0;
    if (n > 4 && is_alpha(p[4]))
        return 0;
    return 4;
}

/* One date: "Jan 2022", "January, 2022", "Sept. 2019", "03/2021",
 * "2021-03", "2021-03-15", "2019". Returns bytes used, 0 if none. */
static size_t match_date(const char *p, size_t n)
{
    size_t a = alpha_run(p, n);
    if (a && word_in(p, a, month_names)) {
        size_t i = a;
        if (i < n && p[i] == '.')
            i++;
        if (i < n && p[i] == ',')
            i++;
        size_t sp = 0;
        while (i < n && p[i] == ' ' && sp < 2) {
            i++;
            sp++;
        }
        size_t y = match_year(p + i, n - i);
        return y ? i + y : 0;
    }
    size_t d = digit_run(p, n);
    if ((d == 1 || d == 2) && d < n && p[d] == '/') {
        size_t y = match_year(p + d + 1, n - d - 1);
        return y ? d + 1 + y : 0;
    }
    if (!match_year(p, n))
        return 0;
    /* YYYY-MM or YYYY-MM-DD (two digits exactly, a month). */
    if (n >= 7 && (p[4] == '-' || p[4] == '/') && digit_run(p + 5, n - 5) == 2 &&
        (p[5] == '0' || (p[5] == '1' && p[6] <= '2'))) {
        if (n >= 10 && p[7] == '-' && digit_run(p + 8, n - 8) == 2)
            return 10;
        return 7;
    }
    return 4;
}

static size_t match_present(const char *p, size_t n)
{
    size_t a = alpha_run(p, n);
    return a && word_in(p, a, present_words) ? a : 0;
}

/* A range separator: "-", "–", "—", "to", "until", "through". */
static size_t match_range_sep(const char *p, size_t n)
{
    if (n >= 1 && p[0] == '-')
        return 1;
    if (n >= 3 && (memcmp(p, "\xe2\x80\x93", 3) == 0 || memcmp(p, "\xe2\x80\x94", 3) == 0))
        return 3;
    size_t a = alpha_run(p, n);
    static const char *const words[] = {"to", "until", "through", "till", NULL};
    return a && word_in(p, a, words) ? a : 0;
}

static size_t skip_spaces(const char *p, size_t n, size_t i)
{
    size_t k = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t') && k < 4) {
        i++;
        k++;
    }
    return i;
}

/* s (trimmed) is exactly a date or a range. */
static bool parse_dates_full(tl__span s, tl__entry_head *h)
{
    if (s.n >= 2 && s.p[0] == '(' && s.p[s.n - 1] == ')')
        s = tl__span_trim(span(s.p + 1, s.n - 2));
    if (!s.n)
        return false;
    size_t d1 = match_date(s.p, s.n); /* "Present" alone is not a date */
    if (!d1)
        return false;
    if (d1 == s.n) {
        h->date = span(s.p, d1);
        h->start = h->end = span(s.p, 0);
        h->present = false;
        return true;
    }
    size_t i = skip_spaces(s.p, s.n, d1);
    size_t sep = match_range_sep(s.p + i, s.n - i);
    if (!sep)
        return false;
    i = skip_spaces(s.p, s.n, i + sep);
    size_t d2 = match_date(s.p + i, s.n - i);
    size_t pr = d2 ? 0 : match_present(s.p + i, s.n - i);
    if ((!d2 && !pr) || i + d2 + pr != s.n)
        return false;
    h->start = span(s.p, d1);
    h->end = span(s.p + i, d2);
    h->present = pr > 0;
    h->date = span(s.p, 0);
    return true;
}

bool tl__is_dates(tl__span s)
{
    tl__entry_head h;
    memset(&h, 0, sizeof h);
    return parse_dates_full(tl__span_trim(s), &h);
}

/* Drops trailing separators and spaces: " |", ",", " —", "–", "-", "·". */
static tl__span strip_trailing_seps(tl__span s)
{
    for (;;) {
        s = tl__span_trim(s);
        if (s.n && strchr("|,;:-(", s.p[s.n - 1])) {
            s.n--;
        } else if (ends(s, "\xe2\x80\x93") || ends(s, "\xe2\x80\x94")) {
            s.n -= 3;
        } else if (ends(s, "\xc2\xb7") || ends(s, "\xe2\x80\xa2")) {
            s.n -= ends(s, "\xc2\xb7") ? 2 : 3;
        } else {
            return s;
        }
    }
}

tl__span tl__strip_leading_seps(tl__span s)
{
    for (;;) {
        s = tl__span_trim(s);
        if (s.n && strchr("|,;:-", s.p[0])) {
            s.p++;
            s.n--;
        } else if (starts(s, "\xe2\x80\x93") || starts(s, "\xe2\x80\x94") ||
                   starts(s, "\xe2\x80\xa2")) {
            s.p += 3;
            s.n -= 3;
        } else if (starts(s, "\xc2\xb7")) {
            s.p += 2;
            s.n -= 2;
        } else {
            return s;
        }
    }
}

bool tl__take_dates(tl__span *s, tl__entry_head *h)
{
    tl__span t = tl__span_trim(*s);
    if (!t.n)
        return false;
    /* "(...)" at the end */
    if (t.p[t.n - 1] == ')') {
        size_t i = t.n - 1;
        while (i > 0 && t.p[i - 1] != '(' && t.n - i < 64)
            i--;
        if (i > 0 && t.p[i - 1] == '(' &&
            parse_dates_full(tl__span_trim(span(t.p + i, t.n - 1 - i)), h)) {
            *s = strip_trailing_seps(span(t.p, i - 1));
            return true;
        }
    }
    /* The leftmost word start within the last 64 bytes from which the rest
     * is a date or a range. */
    size_t from = t.n > 64 ? t.n - 64 : 0;
    for (size_t i = from; i < t.n; i++) {
        char c = t.p[i];
        if (c == ' ' || c == '\t')
            continue;
        bool boundary = i == 0 || strchr(" \t,|(;:", t.p[i - 1]) ||
                        (unsigned char)t.p[i - 1] >= 0x80;
        if (!boundary || !(is_alpha(c) || is_digit(c)))
            continue;
        if (parse_dates_full(span(t.p + i, t.n - i), h)) {
            *s = strip_trailing_seps(span(t.p, i));
            return true;
        }
    }
    return false;
}

/* ======================================================================
 * Entry heads
 * ====================================================================== */

/* Splits s on every occurrence of sep (outside parentheses) into parts. */
static size_t split_on(tl__span s, const char *sep, tl__span *parts, size_t max)
{
    size_t n = 0, start = 0, sl = strlen(sep);
    int depth = 0;
    for (size_t i = 0; i < s.n && n + 1 < max; i++) {
        if (s.p[i] == '(')
            depth++;
        else if (s.p[i] == ')' && depth > 0)
            depth--;
        if (depth == 0 && i + sl <= s.n && memcmp(s.p + i, sep, sl) == 0) {
            parts[n++] = tl__span_trim(span(s.p + start, i - start));
            start = i + sl;
            i += sl - 1;
        }
    }
    parts[n++] = tl__span_trim(span(s.p + start, s.n - start));
    return n;
}

/* A dash separator with spaces around it: " — ", " – ", " - ". */
static size_t split_dashes(tl__span s, tl__span *parts, size_t max)
{
    static const char *const seps[] = {" \xe2\x80\x94 ", " \xe2\x80\x93 ", " - "};
    for (size_t i = 0; i < 3; i++)
        if (find(s, seps[i]) >= 0)
            return split_on(s, seps[i], parts, max);
    parts[0] = s;
    return 1;
}

/* A US state or similar two-letter code, or a word that names a place
 * without being one ("Remote"). */
static bool place_tail(tl__span s)
{
    s = tl__span_trim(s);
    if (s.n == 2 && isupper((unsigned char)s.p[0]) && isupper((unsigned char)s.p[1]))
        return true;
    static const char *const w[] = {"remote", "hybrid", "usa", "us", "uk", "canada", "germany",
                                    "france", "india", "australia", "united states",
                                    "united kingdom", "netherlands", "spain", "ireland", NULL};
    /* "IL 60601" */
    if (s.n > 3 && isupper((unsigned char)s.p[0]) && isupper((unsigned char)s.p[1]) &&
        s.p[2] == ' ' && digit_run(s.p + 3, s.n - 3) >= 4)
        return true;
    return word_in(s.p, s.n, w);
}

/* "Lakeshore General Hospital, Chicago, IL" -> org, "Chicago, IL". Only
 * splits when the tail reads as a place, so "University of California,
 * Davis" stays whole. */
static void split_org_location(tl__span s, tl__span *org, tl__span *loc)
{
    tl__span parts[8];
    size_t n = split_on(s, ", ", parts, 8);
    *org = s;
    *loc = span(s.p + s.n, 0);
    if (n >= 3 && place_tail(parts[n - 1])) {
        *org = tl__span_trim(span(s.p, (size_t)(parts[n - 2].p - s.p)));
        *org = strip_trailing_seps(*org);
        *loc = span(parts[n - 2].p, (size_t)(s.p + s.n - parts[n - 2].p));
    } else if (n == 2 && word_in(parts[1].p, parts[1].n,
                                 (const char *const[]){"remote", "hybrid", NULL})) {
        /* "Acme, Remote"; but "University of California, Davis" stays */
        *org = parts[0];
        *loc = parts[1];
    }
}

/* Whether the parts read the other way round ("Company — Title"). */
bool tl__swapped(tl__span a, tl__span b, tl_section_kind kind)
{
    if (!a.n || !b.n)
        return false;
    if (kind == TL_SEC_EDUCATION)
        return count_words(a, school_words) > 0 && count_words(a, degree_words) == 0 &&
               count_words(b, degree_words) > 0;
    int at = count_words(a, title_words), ao = count_words(a, org_words);
    int bt = count_words(b, title_words), bo = count_words(b, org_words);
    return at == 0 && bt > 0 && (ao > 0 || bo == 0);
}

/* The span from the start of parts[i] to the end of s. */
static tl__span rest_from(tl__span s, tl__span part)
{
    return span(part.p, (size_t)(s.p + s.n - part.p));
}

/* Education with commas: the part naming a school is the org, what comes
 * before it the degree, what follows it the location. */
static void education_commas(tl__span s, tl__span *parts, size_t n, tl__entry_head *h)
{
    size_t school = n;
    for (size_t i = 1; i < n && school == n; i++)
        if (count_words(parts[i], school_words))
            school = i;
    if (school == n)
        school = 1;
    h->title = tl__span_trim(span(s.p, (size_t)(parts[school - 1].p + parts[school - 1].n - s.p)));
    split_org_location(rest_from(s, parts[school]), &h->org, &h->location);
}

void tl__parse_head(tl__span s, tl_section_kind kind, tl__entry_head *h)
{
    memset(h, 0, sizeof *h);
    s = tl__span_trim(s);
    tl__take_dates(&s, h);
    s = strip_trailing_seps(s);
    tl__span parts[8];
    size_t n;
    if (find(s, " | ") >= 0 || find(s, " \xc2\xb7 ") >= 0)
        n = split_on(s, find(s, " | ") >= 0 ? " | " : " \xc2\xb7 ", parts, 8);
    else
        n = split_dashes(s, parts, 8);
    if (n == 1 && (kind == TL_SEC_WORK || kind == TL_SEC_VOLUNTEER) && find(s, " at ") > 0) {
        long at = find(s, " at ");
        tl__span a = span(s.p, (size_t)at);
        if (count_words(a, title_words) > 0) {
            parts[0] = tl__span_trim(a);
            parts[1] = tl__span_trim(span(s.p + at + 4, s.n - (size_t)at - 4));
            n = 2;
        }
    }
    if (n == 1 && find(s, ", ") > 0 && split_on(s, ", ", parts, 8) > 1) {
        /* (commas inside parentheses do not split) */
        n = split_on(s, ", ", parts, 8);
        if (kind == TL_SEC_EDUCATION) {
            education_commas(s, parts, n, h);
            return;
        }
        h->title = parts[0];
        split_org_location(rest_from(s, parts[1]), &h->org, &h->location);
    } else {
        h->title = parts[0];
        if (n == 2)
            split_org_location(parts[1], &h->org, &h->location);
        else if (n > 2) {
            h->org = parts[1];
            h->location = rest_from(s, parts[2]);
        }
    }
    if (tl__swapped(h->title, h->org, kind)) {
        tl__span t = h->title;
        h->title = h->org;
        h->org = t;
    }
}

void tl__parse_org_line(tl__span s, tl__entry_head *h)
{
    tl__entry_head d;
    memset(&d, 0, sizeof d);
    s = tl__span_trim(s);
    if (tl__take_dates(&s, &d) && !h->start.n && !h->date.n) {
        h->start = d.start;
        h->end = d.end;
        h->date = d.date;
        h->present = d.present;
    }
    s = strip_trailing_seps(s);
    tl__span parts[8];
    size_t n = split_on(s, " | ", parts, 8);
    if (n == 1)
        n = split_on(s, " \xc2\xb7 ", parts, 8);
    if (n == 1)
        n = split_dashes(s, parts, 8);
    split_org_location(parts[0], &h->org, &h->location);
    if (n > 1 && !h->location.n)
        h->location = rest_from(s, parts[1]);
}

void tl__parse_head2(tl__span l1, tl__span l2, tl_section_kind kind, tl__entry_head *h)
{
    memset(h, 0, sizeof *h);
    l1 = tl__span_trim(l1);
    tl__take_dates(&l1, h);
    h->title = strip_trailing_seps(l1);
    tl__parse_org_line(l2, h);
    if (tl__swapped(h->title, h->org, kind)) {
        tl__span t = h->title;
        h->title = h->org;
        h->org = t;
    }
}

bool tl__bullet(tl__span line, tl__span *rest)
{
    tl__span s = line;
    size_t i = 0;
    while (i < s.n && (s.p[i] == ' ' || s.p[i] == '\t'))
        i++;
    size_t m = 0;
    if (i < s.n && strchr("-*+", s.p[i]))
        m = 1;
    else if (s.n - i >= 3 && (memcmp(s.p + i, "\xe2\x80\xa2", 3) == 0 ||
                              memcmp(s.p + i, "\xe2\x97\x8f", 3) == 0 ||
                              memcmp(s.p + i, "\xe2\x96\xaa", 3) == 0))
        m = 3; /* • ● ▪ */
    else if (s.n - i >= 2 && memcmp(s.p + i, "\xc2\xb7", 2) == 0)
        m = 2; /* · */
    else {
        size_t d = digit_run(s.p + i, s.n - i);
        if (d && d <= 3 && i + d < s.n && (s.p[i + d] == '.' || s.p[i + d] == ')'))
            m = d + 1;
    }
    if (!m)
        return false;
    i += m;
    /* A marker needs a space after it ("-x" and "**bold**" are not items),
     * except the bullet characters, which are unambiguous. */
    bool glyph = m >= 2 && !is_digit(s.p[i - m]);
    if (i < s.n && s.p[i] != ' ' && s.p[i] != '\t' && !glyph)
        return false;
    if (i >= s.n && !glyph)
        return false;
    *rest = tl__span_trim(span(s.p + i, s.n - i));
    return true;
}

/* ======================================================================
 * The line reader
 * ====================================================================== */

void tl__lines_init(tl__lines *L, tl_resume *r, tl_doc_error *err, bool md)
{
    memset(L, 0, sizeof *L);
    L->r = r;
    L->err = err;
    L->sec = -1;
    L->ent = -1;
    L->md = md;
    L->text_sec = L->text_ent = -1;
    tl_buf_init(&L->buf, TL_MAX_FIELD_BYTES);
    tl_buf_init(&L->text, TL_MAX_FIELD_BYTES);
}

void tl__lines_free(tl__lines *L)
{
    tl_buf_free(&L->buf);
    tl_buf_free(&L->text);
}

tl_section_kind tl__lines_kind(const tl__lines *L)
{
    return L->sec < 0 ? TL_SEC_COUNT_ : L->r->sections[L->sec].kind;
}

static tl_section *cur_section(const tl__lines *L)
{
    return L->sec < 0 ? NULL : &L->r->sections[L->sec];
}

tl_entry *tl__lines_entry_ptr(const tl__lines *L)
{
    tl_section *s = cur_section(L);
    return s && L->ent >= 0 ? &s->entries[L->ent] : NULL;
}

/* Maps a model error to a message naming the line. */
static tl_err fail(tl__lines *L, tl_err e, const char *what)
{
    if (e == TL_OK)
        return e;
    if (e == TL_ETOOBIG)
        return tl__doc_fail(L->err, e, L->line, "line %d: %s", L->line, what);
    if (e == TL_ENOMEM)
        return tl__doc_fail(L->err, e, L->line, "out of memory");
    return e;
}

/* Appends s to b with Markdown inline markup cleaned when md: "**" and
 * "__" pairs dropped, backslash escapes resolved. */
static tl_err append_clean(tl_buf *b, tl__span s, bool md)
{
    if (!md)
        return tl_buf_append(b, s.p, s.n);
    tl_err e = TL_OK;
    for (size_t i = 0; i < s.n && e == TL_OK; i++) {
        char c = s.p[i];
        unsigned char next = i + 1 < s.n ? (unsigned char)s.p[i + 1] : 0;
        if (c == '\\' && (ispunct(next) || next >= 0xC0)) {
            e = tl_buf_putc(b, s.p[++i]);
        } else if ((c == '*' || c == '_') && i + 1 < s.n && s.p[i + 1] == c &&
                   (c == '*' || i == 0 || !tl_is_word_byte((unsigned char)s.p[i - 1]) ||
                    i + 2 >= s.n || !tl_is_word_byte((unsigned char)s.p[i + 2]))) {
            i++;
        } else {
            e = tl_buf_putc(b, c);
        }
    }
    return e;
}

/* Sets a slot from a span (trimmed, cleaned); empty leaves it as it was. */
static tl_err put_span(tl__lines *L, char **slot, tl__span s)
{
    s = tl__span_trim(s);
    if (!s.n)
        return TL_OK;
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err e = append_clean(&b, s, L->md);
    tl__span t = tl__span_trim(span(tl_buf_str(&b), b.len));
    if (e == TL_OK && t.n)
        e = tl_resume_setn(L->r, slot, t.p, t.n);
    tl_buf_free(&b);
    return fail(L, e, "field too long");
}

static tl_err add_bullet_span(tl__lines *L, tl_entry *e, tl__span s)
{
    s = tl__span_trim(s);
    if (!s.n)
        return TL_OK;
    if (e->n_bullets >= TL_MAX_BULLETS)
        return tl__doc_fail(L->err, TL_ETOOBIG, L->line, "line %d: more than %u bullets", L->line,
                            TL_MAX_BULLETS);
    return fail(L, tl_entry_add_bullet(L->r, e, s.p, s.n), "bullet too long");
}

static tl_err new_entry(tl__lines *L, bool from_item, tl_entry **out)
{
    tl_section *s = cur_section(L);
    if (!s)
        return TL_EINTERNAL;
    if (s->n_entries >= TL_MAX_ENTRIES)
        return tl__doc_fail(L->err, TL_ETOOBIG, L->line,
                            "line %d: more than %u entries in section \"%s\"", L->line,
                            TL_MAX_ENTRIES, s->title);
    tl_entry *e = tl_section_add_entry(L->r, s);
    if (!e)
        return fail(L, TL_ENOMEM, "");
    L->ent = (int)(s->n_entries - 1);
    L->ent_from_item = from_item;
    *out = e;
    return TL_OK;
}

static tl_err set_dates(tl__lines *L, tl_entry *e, const tl__entry_head *h, tl_section_kind k)
{
    tl_err err = TL_OK;
    if (h->start.n) {
        err = put_span(L, &e->start_date, h->start);
        if (err == TL_OK && !h->present)
            err = put_span(L, &e->end_date, h->end);
    } else if (h->date.n) {
        /* A single date: graduation for education, both ends of a role,
         * the date of a certificate, award or publication. */
        if (k == TL_SEC_EDUCATION) {
            err = put_span(L, &e->end_date, h->date);
        } else if (k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS ||
                   k == TL_SEC_CUSTOM) {
            err = put_span(L, &e->start_date, h->date);
            if (err == TL_OK)
                err = put_span(L, &e->end_date, h->date);
        } else {
            err = put_span(L, &e->date, h->date);
        }
    }
    return err;
}

static tl_err fill_head(tl__lines *L, tl_entry *e, const tl__entry_head *h, bool only_empty)
{
    tl_section_kind k = tl__lines_kind(L);
    tl_err err = TL_OK;
    if (!only_empty || !e->title)
        err = put_span(L, &e->title, h->title);
    if (err == TL_OK && (!only_empty || !e->org))
        err = put_span(L, &e->org, h->org);
    if (err == TL_OK && (!only_empty || !e->location))
        err = put_span(L, &e->location, h->location);
    if (err == TL_OK && (!only_empty || (!e->start_date && !e->end_date && !e->date)))
        err = set_dates(L, e, h, k);
    return err;
}

tl_err tl__lines_entry(tl__lines *L, const tl__entry_head *h)
{
    tl_err err = tl__lines_flush(L);
    if (err != TL_OK)
        return err;
    if (L->sec < 0 || L->in_summary)
        return TL_OK;
    tl_entry *e;
    err = new_entry(L, false, &e);
    return err == TL_OK ? fill_head(L, e, h, false) : err;
}

tl_err tl__lines_entry_more(tl__lines *L, const tl__entry_head *h)
{
    tl_err err = tl__lines_flush(L);
    tl_entry *e = tl__lines_entry_ptr(L);
    if (err != TL_OK || !e)
        return err;
    return fill_head(L, e, h, true);
}

static bool is_letter(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

/* Copies s into out (cap bytes) with letters lowercased, except the first
 * letter of each word when title is set. Leaves out as s when the result
 * would not fit (or s is not UTF-8, which the caller has ruled out). */
static void recase(const char *s, char *out, size_t cap, bool title)
{
    size_t n = 0, len = strlen(s);
    bool word_start = true;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0)
            goto keep;
        i += (size_t)k;
        bool letter = is_letter(cp);
        if (letter)
            cp = title && word_start ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        word_start = !letter && cp != '\'';
        if (n + 4 >= cap)
            goto keep;
        n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out + n);
    }
    out[n] = '\0';
    return;
keep:
    snprintf(out, cap, "%s", s);
}

/* Title case for an ALL-CAPS heading: "LICENSES AND CERTIFICATIONS" ->
 * "Licenses and Certifications". Other headings are kept as written. */
static void title_case(char *s, size_t cap)
{
    bool upper = false, lower = false;
    for (char *p = s; *p; p++) {
        upper |= isupper((unsigned char)*p) != 0;
        lower |= islower((unsigned char)*p) != 0;
    }
    if (!upper || lower)
        return;
    char tmp[128];
    recase(s, tmp, sizeof tmp, true);
    snprintf(s, cap, "%s", tmp);
    static const char *const small[] = {"and", "of", "or", "the", "in", "for", "to", "a", NULL};
    bool first = true;
    for (char *p = s; *p;) {
        char *w = p;
        while (*p && (isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80))
            p++;
        if (p > w && !first && word_in(w, (size_t)(p - w), small))
            *w = (char)tolower((unsigned char)*w);
        if (p > w)
            first = false;
        while (*p && !isalpha((unsigned char)*p) && (unsigned char)*p < 0x80)
            p++;
    }
}

/* "Military Service" -> "military_service" (letters of any script kept,
 * lowercased). Keys that would read back as something else get a prefix. */
static void custom_key(const char *title, char *out, size_t cap)
{
    char low[128];
    recase(title, low, sizeof low, false);
    size_t n = 0;
    for (const char *p = low; *p && n + 1 < cap && n < 40; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) || c >= 0x80)
            out[n++] = (char)c;
        else if (n && out[n - 1] != '_')
            out[n++] = '_';
    }
    /* do not end inside a UTF-8 sequence */
    while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
        n--;
    if (n && (unsigned char)out[n - 1] >= 0xC0)
        n--;
    while (n && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    if (!n || strcmp(out, "basics") == 0 || strcmp(out, "meta") == 0 ||
        tl_section_kind_from_key(out) != TL_SEC_CUSTOM) {
        char tmp[48];
        memcpy(tmp, n ? out : "other", n ? n + 1 : 6);
        if (snprintf(out, cap, "section_%s", tmp) < 0)
            out[0] = '\0';
    }
}

tl_err tl__lines_section(tl__lines *L, tl__span heading, bool loose)
{
    tl_err err = tl__lines_flush(L);
    if (err != TL_OK)
        return err;
    heading = strip_trailing_seps(tl__span_trim(heading));
    char title[128];
    tl_buf b;
    tl_buf_init(&b, sizeof title - 1);
    err = append_clean(&b, heading.n > 100 ? span(heading.p, 100) : heading, L->md);
    snprintf(title, sizeof title, "%s", err == TL_OK ? tl_buf_str(&b) : "Other");
    tl_buf_free(&b);
    /* do not cut a UTF-8 sequence in half */
    size_t tl = strlen(title);
    while (tl && ((unsigned char)title[tl - 1] & 0xC0) == 0x80)
        tl--;
    if (tl && (unsigned char)title[tl - 1] >= 0xC0)
        tl--;
    if (heading.n > 100)
        title[tl] = '\0';
    title_case(title, sizeof title);
    tl_section_kind kind;
    bool summary = false;
    L->ent = -1;
    L->ent_from_item = false;
    if (tl__heading_kind(span(title, strlen(title)), loose, &kind, &summary) && summary) {
        L->in_summary = true;
        return TL_OK;
    }
    L->in_summary = false;
    char key[64];
    if (!tl__heading_kind(span(title, strlen(title)), loose, &kind, &summary)) {
        kind = TL_SEC_CUSTOM;
        custom_key(title, key, sizeof key);
    } else {
        snprintf(key, sizeof key, "%s", tl_section_kind_key(kind));
    }
    int idx = tl_resume_section_index(L->r, key);
    if (idx >= 0) {
        L->sec = idx;
        return TL_OK;
    }
    if (L->r->n_sections >= TL_MAX_SECTIONS)
        return tl__doc_fail(L->err, TL_ETOOBIG, L->line, "line %d: more than %u sections",
                            L->line, TL_MAX_SECTIONS);
    if (!tl_resume_add_section(L->r, kind, key, title[0] ? title : NULL))
        return fail(L, TL_ENOMEM, "");
    L->sec = (int)(L->r->n_sections - 1);
    return TL_OK;
}

/* ---- items by section kind ---- */

/* Splits on commas and semicolons outside parentheses. */
static size_t split_list(tl__span s, tl__span *parts, size_t max)
{
    size_t n = 0, start = 0;
    int depth = 0;
    for (size_t i = 0; i <= s.n && n < max; i++) {
        char c = i < s.n ? s.p[i] : ',';
        if (c == '(' || c == '[')
            depth++;
        else if ((c == ')' || c == ']') && depth > 0)
            depth--;
        else if ((c == ',' || c == ';') && (depth == 0 || i == s.n)) {
            tl__span p = tl__span_trim(span(s.p + start, i - start));
            if (p.n && p.p[p.n - 1] == '.' && i == s.n)
                p.n--;
            if (p.n)
                parts[n++] = p;
            start = i + 1;
        }
    }
    if (start < s.n && n == max) {
        /* more items than fit: the rest goes in the last one */
        parts[n - 1] = tl__span_trim(span(parts[n - 1].p, (size_t)(s.p + s.n - parts[n - 1].p)));
    }
    return n;
}

/* "**Analysis:** SQL, R" or "Analysis: SQL, R": *name gets "Analysis",
 * *rest the list. False when there is no such name. */
static bool named_list(tl__span s, tl__span *name, tl__span *rest)
{
    long c = -1;
    for (size_t i = 0; i < s.n && i < 60; i++) {
        if (s.p[i] == ':') {
            c = (long)i;
            break;
        }
        if (s.p[i] == ',' || s.p[i] == '(')
            return false;
    }
    if (c <= 0)
        return false;
    *name = span(s.p, (size_t)c);
    *rest = span(s.p + c + 1, s.n - (size_t)c - 1);
    /* the colon may sit inside the bold: "**Analysis:** ..." */
    if (starts(*rest, "**") || starts(*rest, "__")) {
        rest->p += 2;
        rest->n -= 2;
    }
    if (starts(*name, "**") || starts(*name, "__")) {
        name->p += 2;
        name->n -= 2;
    }
    if (ends(*name, "**") || ends(*name, "__"))
        name->n -= 2;
    *name = tl__span_trim(*name);
    *rest = tl__span_trim(*rest);
    return name->n > 0;
}

static tl_err add_keywords(tl__lines *L, tl_entry *e, tl__span s)
{
    tl__span parts[TL_MAX_BULLETS];
    size_t n = split_list(s, parts, TL_MAX_BULLETS);
    for (size_t i = 0; i < n; i++) {
        tl_buf b;
        tl_buf_init(&b, TL_MAX_FIELD_BYTES);
        tl_err err = append_clean(&b, parts[i], L->md);
        if (err == TL_OK)
            err = add_bullet_span(L, e, span(tl_buf_str(&b), b.len));
        tl_buf_free(&b);
        if (err != TL_OK)
            return fail(L, err, "keyword too long");
    }
    return TL_OK;
}

static tl_err skills_item(tl__lines *L, tl__span s)
{
    tl__span name, rest;
    tl_entry *e;
    tl_err err;
    if (named_list(s, &name, &rest)) {
        err = new_entry(L, true, &e);
        if (err == TL_OK)
            err = put_span(L, &e->title, name);
        return err == TL_OK ? add_keywords(L, e, rest) : err;
    }
    /* An unnamed list joins the current unnamed group, if any. */
    e = tl__lines_entry_ptr(L);
    if (!e || e->title) {
        err = new_entry(L, true, &e);
        if (err != TL_OK)
            return err;
    }
    return add_keywords(L, e, s);
}

/* "Spanish (Fluent)", "Spanish - native", "Spanish: conversational". */
static tl_err language_item(tl__lines *L, tl__span s)
{
    tl__span parts[32];
    size_t n = split_list(s, parts, 32);
    for (size_t i = 0; i < n; i++) {
        tl__span lang = parts[i], flu = span(parts[i].p, 0);
        tl__span bits[2];
        if (lang.n > 2 && lang.p[lang.n - 1] == ')') {
            long o = -1;
            for (size_t k = 0; k < lang.n; k++)
                if (lang.p[k] == '(')
                    o = (long)k;
            if (o > 0) {
                flu = span(lang.p + o + 1, lang.n - (size_t)o - 2);
                lang = span(lang.p, (size_t)o);
            }
        } else if (split_dashes(lang, bits, 2) == 2 || split_on(lang, ": ", bits, 2) == 2) {
            lang = bits[0];
            flu = bits[1];
        }
        tl_entry *e;
        tl_err err = new_entry(L, true, &e);
        if (err == TL_OK)
            err = put_span(L, &e->title, lang);
        flu = tl__span_trim(flu);
        if (err == TL_OK && flu.n) {
            char *v = NULL;
            err = put_span(L, &v, flu);
            if (err == TL_OK && v)
                err = fail(L, tl_entry_set_field(L->r, e, "fluency", v), "field too long");
        }
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

/* "Name (2021)", "Name, Issuer, 2022", "Name — Issuer (2021)". The name may
 * hold en dashes ("Architect – Associate"), so only an em dash, a pipe or
 * a comma outside parentheses separates the issuer. */
static tl_err certificate_item(tl__lines *L, tl__span s, tl_entry *e)
{
    tl__entry_head h;
    memset(&h, 0, sizeof h);
    s = tl__span_trim(s);
    tl__take_dates(&s, &h);
    s = strip_trailing_seps(s);
    tl__span parts[2];
    size_t n = split_on(s, " \xe2\x80\x94 ", parts, 2);
    if (n == 1)
        n = split_on(s, " | ", parts, 2);
    if (n == 1)
        n = split_on(s, ", ", parts, 2);
    tl_err err = put_span(L, &e->title, parts[0]);
    if (err == TL_OK && n == 2)
        err = put_span(L, &e->org, parts[1]);
    if (err == TL_OK)
        err = set_dates(L, e, &h, tl__lines_kind(L));
    return err;
}

static tl_err reference_item(tl__lines *L, tl__span s, tl_entry *e)
{
    tl__span parts[2];
    if (split_on(s, " \xe2\x80\x94 ", parts, 2) == 2 && parts[0].n < 60) {
        tl_err err = put_span(L, &e->title, parts[0]);
        return err == TL_OK ? put_span(L, &e->summary, parts[1]) : err;
    }
    return put_span(L, &e->summary, s);
}

/* "Music: jazz, piano" is one interest with keywords; "Climbing, chess"
 * two interests. e is the entry made for the item. */
static tl_err interests_item(tl__lines *L, tl__span s, tl_entry *e)
{
    tl__span name, rest;
    if (named_list(s, &name, &rest)) {
        tl_err err = put_span(L, &e->title, name);
        return err == TL_OK ? add_keywords(L, e, rest) : err;
    }
    tl__span parts[64];
    size_t n = split_list(s, parts, 64);
    tl_err err = TL_OK;
    for (size_t i = 0; i < n && err == TL_OK; i++) {
        if (i)
            err = new_entry(L, true, &e);
        if (err == TL_OK)
            err = put_span(L, &e->title, parts[i]);
    }
    return err;
}

/* A list item of a section whose entries are one line each. Under an
 * entry that came from a heading, the item is that entry's bullet. */
static tl_err list_item(tl__lines *L, tl__span s, tl_section_kind k)
{
    tl_entry *e = tl__lines_entry_ptr(L);
    if (e && !L->ent_from_item)
        return add_bullet_span(L, e, s);
    tl_err err = new_entry(L, true, &e);
    if (err != TL_OK)
        return err;
    if (k == TL_SEC_REFERENCES)
        return reference_item(L, s, e);
    if (k == TL_SEC_EDUCATION) {
        tl__entry_head h;
        tl__parse_head(s, k, &h);
        return fill_head(L, e, &h, false);
    }
    if (k == TL_SEC_INTERESTS)
        return interests_item(L, s, e);
    return certificate_item(L, s, e);
}

static tl_err dispatch_item(tl__lines *L, tl__span s)
{
    tl_section_kind k = tl__lines_kind(L);
    switch (k) {
    case TL_SEC_SKILLS: return skills_item(L, s);
    case TL_SEC_LANGUAGES: return language_item(L, s);
    case TL_SEC_CERTIFICATES:
    case TL_SEC_AWARDS:
    case TL_SEC_PUBLICATIONS:
    case TL_SEC_INTERESTS:
    case TL_SEC_REFERENCES:
    case TL_SEC_EDUCATION: return list_item(L, s, k);
    default: break;
    }
    tl_entry *e = tl__lines_entry_ptr(L);
    if (!e) {
        tl_err err = new_entry(L, false, &e);
        if (err != TL_OK)
            return err;
    }
    return add_bullet_span(L, e, s);
}

/* Joins text onto an existing slot value with sep. */
static tl_err append_slot(tl__lines *L, char **slot, const char *sep, tl__span s)
{
    if (!*slot)
        return put_span(L, slot, s);
    tl_buf b;
    tl_buf_init(&b, TL_MAX_FIELD_BYTES);
    tl_err err = tl_buf_puts(&b, *slot);
    if (err == TL_OK)
        err = tl_buf_puts(&b, sep);
    if (err == TL_OK)
        err = tl_buf_append(&b, s.p, s.n);
    if (err == TL_OK)
        err = tl_resume_setn(L->r, slot, b.data, b.len);
    tl_buf_free(&b);
    return fail(L, err, "text too long");
}

/* Stores the pending list item. */
static tl_err flush_item(tl__lines *L)
{
    if (L->pend == TL__PEND_NONE)
        return TL_OK;
    L->pend = TL__PEND_NONE;
    tl__span s = tl__span_trim(span(tl_buf_str(&L->buf), L->buf.len));
    tl_err err = s.n ? dispatch_item(L, s) : TL_OK;
    tl_buf_reset(&L->buf);
    return err;
}

/* Stores the pending summary text where it belongs. Text is collected in
 * its own buffer and stored once, so a long summary costs no copies. */
static tl_err flush_text(tl__lines *L)
{
    tl__pend p = L->text_pend;
    L->text_pend = TL__PEND_NONE;
    L->para_break = false;
    tl__span s = tl__span_trim(span(tl_buf_str(&L->text), L->text.len));
    tl_err err = TL_OK;
    if (!s.n || p == TL__PEND_NONE) {
        /* nothing */
    } else if (p == TL__PEND_SUMMARY) {
        err = append_slot(L, &L->r->basics.summary, "\n\n", s);
    } else {
        tl_entry *e = &L->r->sections[L->text_sec].entries[L->text_ent];
        err = append_slot(L, &e->summary, "\n\n", s);
    }
    tl_buf_reset(&L->text);
    return err;
}

tl_err tl__lines_flush(tl__lines *L)
{
    tl_err err = flush_item(L);
    tl_err err2 = flush_text(L);
    return err != TL_OK ? err : err2;
}

/* Appends cleaned text to b. */
static tl_err pend_to(tl__lines *L, tl_buf *b, tl__span s, const char *sep)
{
    tl_err err = TL_OK;
    if (b->len && sep)
        err = tl_buf_puts(b, sep);
    if (err == TL_OK)
        err = append_clean(b, tl__span_trim(s), L->md);
    if (err == TL_ETOOBIG)
        return tl__doc_fail(L->err, err, L->line, "line %d: text longer than %u bytes", L->line,
                            TL_MAX_FIELD_BYTES);
    return fail(L, err, "");
}

/* Appends a line of summary text for the basics (sec < 0) or an entry. */
static tl_err text_to(tl__lines *L, tl__pend want, int sec, int ent, tl__span s)
{
    tl_err err = flush_item(L);
    if (err == TL_OK && (L->text_pend != want || L->text_sec != sec || L->text_ent != ent))
        err = flush_text(L);
    if (err != TL_OK)
        return err;
    L->text_pend = want;
    L->text_sec = sec;
    L->text_ent = ent;
    const char *sep = L->para_break ? "\n\n" : " ";
    L->para_break = false;
    return pend_to(L, &L->text, s, sep);
}

tl_err tl__lines_item(tl__lines *L, tl__span text)
{
    if (L->in_summary)
        return tl__lines_text(L, text);
    if (L->sec < 0)
        return tl__lines_header(L, text);
    tl_err err = flush_item(L);
    if (err != TL_OK)
        return err;
    L->pend = TL__PEND_ITEM;
    return pend_to(L, &L->buf, text, NULL);
}

tl_err tl__lines_continue(tl__lines *L, tl__span text)
{
    if (L->pend == TL__PEND_NONE)
        return tl__lines_text(L, text);
    return pend_to(L, &L->buf, text, " ");
}

tl_err tl__lines_text(tl__lines *L, tl__span text)
{
    if (L->sec < 0 && !L->in_summary)
        return tl__lines_header(L, text);
    if (L->in_summary)
        return text_to(L, TL__PEND_SUMMARY, -1, -1, text);
    tl_section_kind k = tl__lines_kind(L);
    if (k != TL_SEC_WORK && k != TL_SEC_VOLUNTEER && k != TL_SEC_PROJECTS && k != TL_SEC_CUSTOM &&
        !(k == TL_SEC_EDUCATION && L->ent >= 0 && !L->ent_from_item))
        return tl__lines_item(L, text);
    tl_err err = flush_item(L);
    if (err == TL_OK && L->ent < 0) {
        tl_entry *e;
        err = new_entry(L, false, &e);
    }
    return err == TL_OK ? text_to(L, TL__PEND_ENTRY_SUMMARY, L->sec, L->ent, text) : err;
}

tl_err tl__lines_blank(tl__lines *L)
{
    tl_err err = flush_item(L);
    if (L->text_pend != TL__PEND_NONE)
        L->para_break = true;
    return err;
}

bool tl__lines_pending(const tl__lines *L)
{
    return L->pend != TL__PEND_NONE || L->text_pend != TL__PEND_NONE;
}

tl_err tl__lines_finish(tl__lines *L)
{
    tl_err err = tl__lines_flush(L);
    tl__lines_free(L);
    return err;
}

/* ---- the header: name, label, contact details ---- */

static bool has_ch(tl__span s, char c)
{
    return memchr(s.p, c, s.n) != NULL;
}

static bool is_email(tl__span s)
{
    const char *at = memchr(s.p, '@', s.n);
    if (!at || at == s.p || has_ch(s, ' '))
        return false;
    tl__span dom = span(at + 1, (size_t)(s.p + s.n - at - 1));
    return dom.n >= 3 && has_ch(dom, '.');
}

static bool is_phone(tl__span s)
{
    size_t digits = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (is_digit(c))
            digits++;
        else if (!strchr(" +-().x/", c))
            return false;
    }
    return digits >= 7 && digits <= 15;
}

bool tl__is_url(tl__span s)
{
    if (!s.n || has_ch(s, ' ') || has_ch(s, '@'))
        return false;
    if ((s.n > 7 && tl_str_ieqn(s.p, 7, "http://", 7)) ||
        (s.n > 8 && tl_str_ieqn(s.p, 8, "https://", 8)) ||
        (s.n > 4 && tl_str_ieqn(s.p, 4, "www.", 4)))
        return true;
    /* "linkedin.com/in/x", "alexchen.dev": a dot followed by 2+ letters. */
    const char *dot = NULL;
    for (size_t i = 0; i + 2 < s.n; i++)
        if (s.p[i] == '.' && i > 0 && is_alpha(s.p[i + 1]) && is_alpha(s.p[i + 2]))
            dot = s.p + i;
    if (!dot)
        return false;
    size_t tld = alpha_run(dot + 1, (size_t)(s.p + s.n - dot - 1));
    return tld >= 2 && tld <= 12 && (dot + 1 + tld == s.p + s.n || dot[1 + tld] == '/');
}

/* The URL of a Markdown link or autolink, else s itself. */
static tl__span link_target(tl__span s)
{
    long m = find(s, "](");
    if (m > 0 && ends(s, ")"))
        return tl__span_trim(span(s.p + m + 2, s.n - (size_t)m - 3));
    if (starts(s, "<") && ends(s, ">"))
        return span(s.p + 1, s.n - 2);
    return s;
}

/* Drops a label such as "Email:" or "Phone:" in front of a contact part. */
static tl__span drop_contact_label(tl__span s)
{
    static const char *const labels[] = {"email", "e-mail", "mail", "phone", "tel", "mobile",
                                         "cell", "linkedin", "github", "web", "website",
                                         "portfolio", "location", "address", "site", NULL};
    long c = find(s, ":");
    if (c > 0 && c < 12 && !(c + 2 < (long)s.n && s.p[c + 1] == '/' && s.p[c + 2] == '/')) {
        tl__span w = tl__span_trim(span(s.p, (size_t)c));
        if (starts(w, "**"))
            w = span(w.p + 2, w.n - 2);
        if (word_in(w.p, w.n, labels)) {
            s = tl__span_trim(span(s.p + c + 1, s.n - (size_t)c - 1));
            if (starts(s, "**"))
                s = tl__span_trim(span(s.p + 2, s.n - 2));
        }
    }
    return s;
}

static tl_err add_profile_url(tl__lines *L, tl__span url)
{
    static const struct {
        const char *host, *network;
    } nets[] = {{"linkedin.com", "LinkedIn"}, {"github.com", "GitHub"},
                {"gitlab.com", "GitLab"},     {"twitter.com", "Twitter"},
                {"x.com/", "X"},              {"stackoverflow.com", "Stack Overflow"},
                {"behance.net", "Behance"},   {"dribbble.com", "Dribbble"}};
    const char *network = NULL;
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
        if (tl_str_ifind(url.p, url.n, nets[i].host))
            network = nets[i].network;
    char *u = NULL;
    tl_err err = put_span(L, &u, url);
    if (err != TL_OK || !u)
        return err;
    if (!network) {
        if (!L->r->basics.url)
            return tl_resume_set(L->r, &L->r->basics.url, u);
    }
    /* the username is the last path segment */
    const char *slash = strrchr(u, '/');
    while (slash && slash[1] == '\0' && slash > u) {
        const char *q = slash - 1;
        while (q > u && *q != '/')
            q--;
        slash = *q == '/' && q != slash ? q : NULL;
    }
    char *user = NULL;
    if (network && slash && slash[1]) {
        size_t ul = strcspn(slash + 1, "/?#");
        err = tl_resume_setn(L->r, &user, slash + 1, ul);
    }
    if (err == TL_OK)
        err = tl_basics_add_profile(L->r, network, user, u);
    return fail(L, err, "too many profiles");
}

/* One part of a contact line. Returns whether it was a contact detail (as
 * opposed to free text, which the caller treats as label or location). */
static tl_err contact_part(tl__lines *L, tl__span part, bool *free_text)
{
    tl_basics *b = &L->r->basics;
    *free_text = false;
    part = drop_contact_label(tl__span_trim(part));
    tl__span target = link_target(part);
    if (starts(target, "mailto:"))
        target = span(target.p + 7, target.n - 7);
    if (is_email(target) && !b->email)
        return put_span(L, &b->email, target);
    if (starts(target, "tel:"))
        target = span(target.p + 4, target.n - 4);
    if (is_phone(target) && !b->phone)
        return put_span(L, &b->phone, target);
    if (tl__is_url(target))
        return add_profile_url(L, target);
    *free_text = true;
    return TL_OK;
}

/* Free text of the header: the label when it names a role, else the
 * location when it has none yet. */
static tl_err header_free(tl__lines *L, tl__span s, bool alone)
{
    tl_basics *b = &L->r->basics;
    s = tl__span_trim(s);
    if (!s.n)
        return TL_OK;
    bool placeish = has_ch(s, ',') || place_tail(s);
    if (!b->label && count_words(s, title_words) > 0 && !placeish)
        return put_span(L, &b->label, s);
    if (!b->location && (placeish || !alone) && s.n < 80)
        return put_span(L, &b->location, s);
    if (!b->label && s.n < 80)
        return put_span(L, &b->label, s);
    /* Longer prose before any heading: a summary without a heading. */
    return text_to(L, TL__PEND_SUMMARY, -1, -1, s);
}

/* Splits on the primary separators; without any, on commas, keeping
 * "Austin, TX" together. */
static size_t contact_parts(tl__span s, tl__span *parts, size_t max)
{
    static const char *const seps[] = {" \xc2\xb7 ", " | ", " \xe2\x80\xa2 ", "\xc2\xb7", "|",
                                       "\xe2\x80\xa2", "  ", "\t"};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        if (find(s, seps[i]) < 0)
            continue;
        size_t n = split_on(s, seps[i], parts, max);
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (parts[j].n)
                parts[k++] = parts[j];
        return k;
    }
    size_t n = split_on(s, ",", parts, max);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (k && place_tail(parts[j]) && !is_email(parts[k - 1]) && !is_phone(parts[k - 1]) &&
            !tl__is_url(parts[k - 1]))
            parts[k - 1] = span(parts[k - 1].p, (size_t)(parts[j].p + parts[j].n - parts[k - 1].p));
        else if (parts[j].n)
            parts[k++] = parts[j];
    }
    return k;
}

tl_err tl__lines_header(tl__lines *L, tl__span line)
{
    line = tl__span_trim(line);
    if (!line.n)
        return TL_OK;
    tl_basics *b = &L->r->basics;
    if (!b->name) {
        tl__span name = line;
        if (starts(name, "# "))
            name = tl__span_trim(span(name.p + 2, name.n - 2));
        return put_span(L, &b->name, name);
    }
    tl__span parts[16];
    size_t n = contact_parts(line, parts, 16);
    for (size_t i = 0; i < n; i++) {
        bool free_text;
        tl_err err = contact_part(L, parts[i], &free_text);
        if (err == TL_OK && free_text)
            err = header_free(L, parts[i], n == 1);
        if (err != TL_OK)
            return err;
    }
    return TL_OK;
}

/* ======================================================================
 * Writer helpers
 * ====================================================================== */

bool tl__entry_has_dates(const tl_entry *e)
{
    return e->start_date || e->end_date || e->date;
}

tl_err tl__put_dates(tl_buf *b, const tl_entry *e, const char *sep)
{
    if (e->start_date && e->end_date && strcmp(e->start_date, e->end_date) == 0)
        return tl_buf_puts(b, e->start_date);
    if (e->start_date)
        return tl_buf_printf(b, "%s%s%s", e->start_date, sep,
                             e->end_date ? e->end_date : "Present");
    if (e->end_date)
        return tl_buf_puts(b, e->end_date);
    if (e->date)
        return tl_buf_puts(b, e->date);
    return TL_OK;
}

tl_err tl__put_title(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    const char *area = s->kind == TL_SEC_EDUCATION ? tl_entry_field(e, "area") : NULL;
    if (e->title && area)
        return tl_buf_printf(b, "%s in %s", e->title, area);
    if (e->title)
        return tl_buf_puts(b, e->title);
    return area ? tl_buf_puts(b, area) : TL_OK;
}

bool tl__section_as_list(const tl_section *s)
{
    switch (s->kind) {
    case TL_SEC_CERTIFICATES:
    case TL_SEC_AWARDS:
    case TL_SEC_PUBLICATIONS:
    case TL_SEC_LANGUAGES:
    case TL_SEC_REFERENCES:
        break;
    default: return false;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        const tl_entry *e = &s->entries[i];
        if (e->n_bullets || e->url || e->location || e->start_date || e->end_date ||
            (e->summary && s->kind != TL_SEC_REFERENCES) ||
            (s->kind == TL_SEC_REFERENCES && e->org))
            return false;
    }
    return true;
}

tl_err tl__put_list_item(tl_buf *b, const tl_section *s, const tl_entry *e, const char *sep,
                         bool paren_dates)
{
    tl_err err = TL_OK;
    if (s->kind == TL_SEC_LANGUAGES) {
        const char *fl = tl_entry_field(e, "fluency");
        err = tl_buf_puts(b, e->title ? e->title : "");
        if (err == TL_OK && fl)
            err = tl_buf_printf(b, " (%s)", fl);
        return err;
    }
    if (s->kind == TL_SEC_REFERENCES) {
        if (e->title)
            err = tl_buf_printf(b, "%s \xe2\x80\x94 ", e->title);
        return err == TL_OK ? tl_buf_puts(b, e->summary ? e->summary : "") : err;
    }
    err = tl_buf_puts(b, e->title ? e->title : "");
    if (err == TL_OK && e->org)
        err = tl_buf_printf(b, "%s%s", sep, e->org);
    if (err == TL_OK && tl__entry_has_dates(e)) {
        err = tl_buf_puts(b, paren_dates ? " (" : ", ");
        if (err == TL_OK)
            err = tl__put_dates(b, e, " \xe2\x80\x93 ");
        if (err == TL_OK && paren_dates)
            err = tl_buf_putc(b, ')');
    }
    return err;
}

tl_err tl__put_contacts(tl_buf *b, const tl_basics *bs, const char *sep)
{
    const char *parts[5] = {bs->location, bs->email, bs->phone, bs->url, NULL};
    bool first = true;
    tl_err err = TL_OK;
    for (size_t i = 0; i < 4 && err == TL_OK; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        err = tl_buf_printf(b, "%s%s", first ? "" : sep, parts[i]);
        first = false;
    }
    for (size_t i = 0; i < bs->n_profiles && err == TL_OK; i++) {
        const tl_profile *p = &bs->profiles[i];
        const char *v = p->url ? p->url : p->username;
        if (!v || (bs->url && strcmp(v, bs->url) == 0))
            continue;
        err = tl_buf_printf(b, "%s%s", first ? "" : sep, v);
        first = false;
    }
    return err;
}

/* ======================================================================
 * Part 2: the plain-text reader
 * ====================================================================== */

typedef struct text_line {
    tl__span s;    /* trimmed */
    bool indented; /* began with whitespace */
} text_line;

static bool caps_line(tl__span s)
{
    size_t letters = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (islower(c))
            return false;
        if (isupper(c))
            letters++;
        else if (isdigit(c) || c == '@' || c == '|')
            return false;
    }
    return letters >= 3;
}

/* A heading line: a known heading (any case, optional colon), or a short
 * ALL-CAPS line. Never a list item. */
static bool text_heading(tl__span s, bool *loose)
{
    tl__span rest;
    if (!s.n || s.n > 60 || tl__bullet(s, &rest))
        return false;
    tl__span h = strip_trailing_seps(s);
    tl_section_kind k;
    bool summary;
    *loose = false;
    if (tl__heading_kind(h, false, &k, &summary))
        return true;
    if (caps_line(h) && !tl__is_dates(h)) {
        *loose = true;
        return true;
    }
    return false;
}

static bool is_rule(tl__span s)
{
    if (s.n < 3)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!strchr("-=_*~#", s.p[i]) && s.p[i] != ' ')
            return false;
    return true;
}

/* Prose rather than a head line: long, or ends like a sentence. */
bool tl__prose(tl__span s)
{
    return s.n > 110 || (s.n > 40 && s.p[s.n - 1] == '.');
}

static bool entry_kind(tl_section_kind k)
{
    return k == TL_SEC_WORK || k == TL_SEC_VOLUNTEER || k == TL_SEC_PROJECTS ||
           k == TL_SEC_CUSTOM || k == TL_SEC_EDUCATION;
}

typedef struct text_reader {
    tl__lines L;
    text_line *lines;
    size_t n;
    bool last_bullet; /* the previous non-blank line was a bullet */
    bool blank;       /* a blank line came just before */
    int head_lines;   /* head lines of the current entry */
} text_reader;

/* The next line is plain text (not blank, a list item, a heading or a
 * link), so it may be the second line of an entry head. */
static bool next_is_plain(const text_reader *t, size_t i)
{
    if (i + 1 >= t->n || !t->lines[i + 1].s.n)
        return false;
    tl__span rest;
    bool loose;
    tl__span s = t->lines[i + 1].s;
    return !tl__bullet(s, &rest) && !text_heading(s, &loose) && !tl__is_url(s);
}

/* A line in a section of entries. Returns how many lines it consumed. */
static tl_err text_entry_line(text_reader *t, size_t i, size_t *used)
{
    tl__lines *L = &t->L;
    tl__span s = t->lines[i].s;
    tl_section_kind k = tl__lines_kind(L);
    tl_entry *e = tl__lines_entry_ptr(L);
    *used = 1;
    tl__entry_head h;
    memset(&h, 0, sizeof h);
    tl__span probe = s;
    bool dated = tl__take_dates(&probe, &h);
    /* Continuation of a wrapped bullet. */
    if (t->last_bullet && !t->blank && L->pend == TL__PEND_ITEM) {
        bool next_dated = next_is_plain(t, i) && tl__is_dates(t->lines[i + 1].s);
        if (t->lines[i].indented || (!dated && !next_dated))
            return tl__lines_continue(L, s);
    }
    /* A link under the head is the entry's URL. */
    if (e && !e->url && e->n_bullets == 0 && tl__is_url(s) && L->pend != TL__PEND_ITEM) {
        tl_err err = tl__lines_flush(L);
        if (err == TL_OK)
            err = tl_resume_setn(L->r, &e->url, s.p, s.n);
        t->head_lines = 2; /* what follows a link is no longer the head */
        return fail(L, err, "URL too long");
    }
    /* Dates on a line of their own under the head. */
    if (e && e->n_bullets == 0 && !tl__lines_pending(L) && !L->ent_from_item &&
        !tl__entry_has_dates(e) && dated && !probe.n) {
        return tl__lines_entry_more(L, &h);
    }
    /* The rest of the current entry's head, or its summary. */
    if (e && e->n_bullets == 0 && L->pend != TL__PEND_ITEM && !L->ent_from_item) {
        if (t->head_lines < 2 && L->text_pend == TL__PEND_NONE && !tl__prose(s) && !e->org && (dated || !tl__entry_has_dates(e)) &&
            !t->blank) {
            tl__parse_head(s, k, &h);
            if (!h.title.n && !h.org.n)
                h.title = h.org;
            /* a lone second line is the organisation */
            if (h.title.n && !h.org.n) {
                h.org = h.title;
                h.title = span(s.p, 0);
            }
            t->head_lines++;
            return tl__lines_entry_more(L, &h);
        }
        if (tl__prose(s) || (!dated && !next_is_plain(t, i) && !t->blank))
            return tl__lines_text(L, s);
    }
    if (k == TL_SEC_EDUCATION && dated) {
        /* one line, one degree */
        tl__parse_head(s, k, &h);
        t->head_lines = 2;
        return tl__lines_entry(L, &h);
    }
    if (!dated && next_is_plain(t, i) && !tl__prose(t->lines[i + 1].s)) {
        tl__parse_head2(s, t->lines[i + 1].s, k, &h);
        *used = 2;
        t->head_lines = 2;
        return tl__lines_entry(L, &h);
    }
    if (tl__prose(s) && e)
        return tl__lines_text(L, s);
    tl__parse_head(s, k, &h);
    t->head_lines = 1;
    return tl__lines_entry(L, &h);
}

static tl_err text_line_in_section(text_reader *t, size_t i, size_t *used)
{
    tl__lines *L = &t->L;
    tl__span s = t->lines[i].s, rest;
    *used = 1;
    if (tl__bullet(s, &rest)) {
        t->last_bullet = true;
        return tl__lines_item(L, rest);
    }
    if (L->in_summary)
        return tl__lines_text(L, s);
    tl_section_kind k = tl__lines_kind(L);
    tl_err err;
    if (entry_kind(k) && !(k == TL_SEC_EDUCATION && L->ent_from_item))
        err = text_entry_line(t, i, used);
    else if (t->lines[i].indented && L->pend == TL__PEND_ITEM)
        err = tl__lines_continue(L, s);
    else
        err = tl__lines_item(L, s);
    t->last_bullet = false;
    return err;
}

/* A heading here: a known heading, or an ALL-CAPS line. An ALL-CAPS line
 * that names no known section ("MILITARY SERVICE") must stand apart (after
 * a blank line, no commas, four letters or more) and not sit in the
 * header, so that "SQL" in a skills list or a capitalised name is not one. */
static bool text_is_heading(const text_reader *t, tl__span s, bool *loose)
{
    if (!t->L.r->basics.name || !text_heading(s, loose))
        return false;
    tl_section_kind k;
    bool summary;
    if (!*loose || tl__heading_kind(s, true, &k, &summary))
        return true;
    size_t letters = 0;
    for (size_t i = 0; i < s.n; i++)
        letters += isupper((unsigned char)s.p[i]) != 0;
    /* In the header only once contact details were seen (a first section
     * may be a custom one), never the line under the name. */
    const tl_basics *b = &t->L.r->basics;
    bool in_header = t->L.sec < 0 && !t->L.in_summary;
    bool contacts = b->email || b->phone || b->url || b->location || b->n_profiles;
    return (!in_header || contacts) && t->blank && letters >= 4 && !has_ch(s, ',');
}

static tl_err split_lines(const char *p, size_t n, text_line **out, size_t *count)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += p[i] == '\n' || p[i] == '\f';
    text_line *lines = calloc(cap, sizeof *lines);
    if (!lines)
        return TL_ENOMEM;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n' && p[i] != '\f')
            continue;
        tl__span s = span(p + start, i - start);
        if (k == 0 && s.n >= 3 && memcmp(s.p, "\xef\xbb\xbf", 3) == 0) {
            s.p += 3;
            s.n -= 3;
        }
        lines[k].indented = s.n && (s.p[0] == ' ' || s.p[0] == '\t');
        lines[k].s = tl__span_trim(s);
        k++;
        start = i + 1;
    }
    *out = lines;
    *count = k;
    return TL_OK;
}

tl_err tl__text_read(tl_resume *r, const char *p, size_t n, tl_doc_error *err)
{
    text_reader t;
    memset(&t, 0, sizeof t);
    tl_err e = split_lines(p, n, &t.lines, &t.n);
    if (e != TL_OK)
        return tl__doc_fail(err, e, 0, "out of memory");
    tl__lines_init(&t.L, r, err, false);
    for (size_t i = 0; i < t.n && e == TL_OK;) {
        tl__span s = t.lines[i].s;
        t.L.line = (int)i + 1;
        size_t used = 1;
        bool loose;
        if (!s.n) {
            e = tl__lines_blank(&t.L);
            t.blank = true;
            i++;
            continue;
        }
        if (is_rule(s)) {
            i++;
            continue;
        }
        if (text_is_heading(&t, s, &loose)) {
            e = tl__lines_section(&t.L, s, loose);
            t.last_bullet = false;
        } else if (t.L.sec < 0 && !t.L.in_summary) {
            e = tl__lines_header(&t.L, s);
        } else {
            e = text_line_in_section(&t, i, &used);
        }
        t.blank = false;
        i += used;
    }
    if (e == TL_OK)
        e = tl__lines_finish(&t.L);
    else
        tl__lines_free(&t.L);
    free(t.lines);
    return e;
}

/* ======================================================================
 * Part 3: the plain-text writer
 * ====================================================================== */

static tl_err put_upper(tl_buf *b, const char *s)
{
    tl_err e = TL_OK;
    for (; *s && e == TL_OK; s++)
        e = tl_buf_putc(b, (char)toupper((unsigned char)*s));
    return e;
}

/* Text with newlines kept, each line written as is. */
static tl_err put_para(tl_buf *b, const char *s)
{
    tl_err e = tl_buf_puts(b, s);
    return e == TL_OK ? tl_buf_putc(b, '\n') : e;
}

static tl_err text_header(tl_buf *b, const tl_resume *r)
{
    const tl_basics *bs = &r->basics;
    tl_err e = TL_OK;
    if (bs->name)
        e = tl_buf_printf(b, "%s\n", bs->name);
    if (e == TL_OK && bs->label)
        e = tl_buf_printf(b, "%s\n", bs->label);
    size_t before = b->len;
    if (e == TL_OK)
        e = tl__put_contacts(b, bs, " | ");
    if (e == TL_OK && b->len > before)
        e = tl_buf_putc(b, '\n');
    if (e == TL_OK && bs->summary) {
        e = tl_buf_puts(b, "\nSUMMARY\n");
        if (e == TL_OK)
            e = put_para(b, bs->summary);
    }
    return e;
}

static tl_err text_bullets(tl_buf *b, const tl_entry *e)
{
    tl_err err = TL_OK;
    for (size_t i = 0; i < e->n_bullets && err == TL_OK; i++)
        err = tl_buf_printf(b, "* %s\n", e->bullets[i]);
    return err;
}

/* "Title" then "Org, Location | dates" (the second line only when there is
 * something for it). */
static tl_err text_entry(tl_buf *b, const tl_section *s, const tl_entry *e)
{
    tl_err err = tl_buf_putc(b, '\n');
    bool has_title = e->title || (s->kind == TL_SEC_EDUCATION && tl_entry_field(e, "area"));
    if (err == TL_OK && s->kind == TL_SEC_EDUCATION) {
        /* one line: "Degree, School, Place, 2018" */
        err = tl__put_title(b, s, e);
        const char *parts[2] = {e->org, e->location};
        for (int i = 0; i < 2 && err == TL_OK; i++)
            if (parts[i])
                err = tl_buf_printf(b, "%s%s", b->len && b->data[b->len - 1] != '\n' ? ", " : "",
                                    parts[i]);
        if (err == TL_OK && tl__entry_has_dates(e)) {
            err = tl_buf_puts(b, ", ");
            if (err == TL_OK)
                err = tl__put_dates(b, e, " - ");
        }
        if (err == TL_OK)
            err = tl_buf_putc(b, '\n');
    } else {
        if (err == TL_OK && has_title) {
            err = tl__put_title(b, s, e);
            if (err == TL_OK)
                err = tl_buf_putc(b, '\n');
        }
        bool second = e->org || e->location || tl__entry_has_dates(e);
        if (err == TL_OK && second) {
            if (e->org)
                err = tl_buf_puts(b, e->org);
            if (err == TL_OK && e->location)
                err = tl_buf_printf(b, "%s%s", e->org ? ", " : "", e->location);
            if (err == TL_OK && tl__entry_has_dates(e)) {
                if (e->org || e->location)
                    err = tl_buf_puts(b, " | ");
                if (err == TL_OK)
                    err = tl__put_dates(b, e, " - ");
            }
            if (err == TL_OK)
                err = tl_buf_putc(b, '\n');
        }
        if (err == TL_OK && e->url)
            err = tl_buf_printf(b, "%s\n", e->url);
    }
    if (err == TL_OK && e->summary)
        err = put_para(b, e->summary);
    return err == TL_OK ? text_bullets(b, e) : err;
}

static tl_err text_section(tl_buf *b, const tl_section *s)
{
    tl_err err = tl_buf_putc(b, '\n');
    if (err == TL_OK)
        err = put_upper(b, s->title ? s->title : tl_section_kind_title(s->kind));
    if (err == TL_OK)
        err = tl_buf_putc(b, '\n');
    for (size_t i = 0; i < s->n_entries && err == TL_OK; i++) {
        const tl_entry *e = &s->entries[i];
        if (s->kind == TL_SEC_SKILLS || s->kind == TL_SEC_INTERESTS) {
            if (e->title)
                err = tl_buf_printf(b, "%s: ", e->title);
            for (size_t k = 0; k < e->n_bullets && err == TL_OK; k++)
                err = tl_buf_printf(b, "%s%s", k ? ", " : "", e->bullets[k]);
            if (err == TL_OK)
                err = tl_buf_putc(b, '\n');
        } else if (tl__section_as_list(s)) {
            err = tl__put_list_item(b, s, e, ", ", false);
            if (err == TL_OK)
                err = tl_buf_putc(b, '\n');
        } else {
            err = text_entry(b, s, e);
        }
    }
    return err;
}

tl_err tl__text_write(const tl_resume *r, tl_buf *b)
{
    tl_err e = text_header(b, r);
    for (size_t i = 0; i < r->n_sections && e == TL_OK; i++)
        e = text_section(b, &r->sections[i]);
    return e;
}
