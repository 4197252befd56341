/* JSON Resume reader and writer, and the input checks of tl_resume_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/resume.h"
#include "util/file.h"
#include "util/limits.h"

static char *load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    char *p = NULL;
    assert_int_equal(tl_file_read(path, TL_MAX_RESUME_BYTES, &p, len), TL_OK);
    return p;
}

static tl_resume *parse_str(const char *s)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse(s, strlen(s), TL_FORMAT_JSON, &r, &err);
    if (e != TL_OK)
        print_error("parse failed: %s\n", err.message);
    assert_int_equal(e, TL_OK);
    return r;
}

/* Expects parse of s to fail with code, and the message to contain want. */
static void expect_fail(const char *s, size_t n, tl_format f, tl_err code, const char *want)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_resume_parse(s, n, f, &r, &err);
    if (e != code || !strstr(err.message, want))
        print_error("got %d \"%s\", want %d \"%s\"\n", e, err.message, code, want);
    assert_int_equal(e, code);
    assert_null(r);
    assert_non_null(strstr(err.message, want));
}

static void test_alex_fields(void **state)
{
    (void)state;
    size_t n;
    char *p = load("alex-chen.json", &n);
    tl_resume *r = NULL;
    tl_doc_error err;
    assert_int_equal(tl_resume_parse(p, n, TL_FORMAT_AUTO, &r, &err), TL_OK);
    free(p);
    assert_int_equal(r->format, TL_FORMAT_JSON);
    assert_non_null(r->raw);
    tl_basics *b = &r->basics;
    assert_string_equal(b->name, "Alex Chen");
    assert_string_equal(b->label, "Software Engineer");
    assert_string_equal(b->email, "alex.chen@example.com");
    assert_string_equal(b->phone, "+1 (415) 555-0142");
    assert_string_equal(b->url, "https://alexchen.example.com");
    assert_string_equal(b->location, "San Francisco, CA, US");
    assert_true(strncmp(b->summary, "Software engineer with 8 years", 30) == 0);
    assert_int_equal(b->n_profiles, 2);
    assert_string_equal(b->profiles[1].network, "LinkedIn");
    assert_string_equal(b->profiles[1].username, "alex-chen");

    assert_int_equal(r->n_sections, 6);
    const char *keys[] = {"work", "projects", "education", "skills", "languages", "certificates"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(r->sections[i].key, keys[i]);
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_int_equal(w->n_entries, 3);
    assert_string_equal(w->entries[0].title, "Senior Software Engineer");
    assert_string_equal(w->entries[0].org, "Lumen Payments");
    assert_string_equal(w->entries[0].url, "https://lumen.example.com");
    assert_string_equal(w->entries[0].start_date, "2021-03");
    assert_null(w->entries[0].end_date);
    assert_int_equal(w->entries[0].n_bullets, 5);
    assert_string_equal(w->entries[0].bullets[4], "Wrote runbooks and on-call tooling in python");
    assert_string_equal(w->entries[1].end_date, "2021-02");
    assert_string_equal(w->entries[1].summary, "Route optimisation for regional delivery fleets.");
    assert_int_equal(w->entries[1].n_bullets, 5);
    assert_string_equal(w->entries[2].title, "Junior Developer");
    assert_int_equal(w->entries[2].n_bullets, 3);
    assert_null(w->entries[2].summary);

    tl_section *pr = tl_resume_find_section(r, TL_SEC_PROJECTS);
    assert_string_equal(pr->entries[0].title, "tinyq");
    assert_string_equal(pr->entries[0].summary, "An open-source persistent job queue in Go");
    assert_int_equal(pr->entries[0].n_bullets, 2);

    tl_section *ed = tl_resume_find_section(r, TL_SEC_EDUCATION);
    assert_string_equal(ed->entries[0].title, "Bachelor");
    assert_string_equal(ed->entries[0].org, "University of California, Davis");
    assert_string_equal(tl_entry_field(&ed->entries[0], "area"), "Computer Science");
    assert_string_equal(tl_entry_field(&ed->entries[0], "score"), "3.7");
    assert_string_equal(ed->entries[0].end_date, "2016-06");

    tl_section *sk = tl_resume_find_section(r, TL_SEC_SKILLS);
    assert_int_equal(sk->n_entries, 3);
    assert_string_equal(sk->entries[1].title, "Infrastructure");
    assert_int_equal(sk->entries[1].n_bullets, 5);
    assert_string_equal(sk->entries[1].bullets[0], "Kubernetes");
    assert_string_equal(sk->entries[2].bullets[4], "MySQL");

    tl_section *la = tl_resume_find_section(r, TL_SEC_LANGUAGES);
    assert_string_equal(la->entries[1].title, "Mandarin");
    assert_string_equal(tl_entry_field(&la->entries[1], "fluency"), "Professional");

    tl_section *ce = tl_resume_find_section(r, TL_SEC_CERTIFICATES);
    assert_string_equal(ce->entries[0].title, "AWS Certified Solutions Architect – Associate");
    assert_string_equal(ce->entries[0].org, "Amazon Web Services");
    assert_string_equal(ce->entries[0].date, "2022-05");
    assert_int_equal(tl_resume_bullet_count(r), 5 + 5 + 3 + 2 + 16);
    tl_resume_free(r);
}

static json_t *load_json(const char *s, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb(s, n, 0, &je);
    assert_non_null(j);
    return j;
}

static void test_round_trip_equal(void **state)
{
    (void)state;
    size_t n;
    char *p = load("alex-chen.json", &n);
    tl_resume *r = NULL;
    assert_int_equal(tl_resume_parse(p, n, TL_FORMAT_JSON, &r, NULL), TL_OK);
    char *out = NULL;
    size_t olen = 0;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_AUTO, &out, &olen), TL_OK);
    assert_int_equal(strlen(out), olen);
    json_t *a = load_json(p, n), *b = load_json(out, olen);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    free(out);
    /* A clone writes the same. */
    tl_resume *c = NULL;
    assert_int_equal(tl_resume_clone(r, &c), TL_OK);
    assert_int_equal(tl_resume_write(c, TL_FORMAT_JSON, &out, NULL), TL_OK);
    a = load_json(p, n);
    b = load_json(out, strlen(out));
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    free(out);
    tl_resume_free(c);
    tl_resume_free(r);
    free(p);
}

/* Unknown fields, custom sections, nulls and numbers all survive. */
static void test_round_trip_unknown(void **state)
{
    (void)state;
    const char *s =
        "{\"$schema\":\"x\",\"basics\":{\"name\":\"A\",\"image\":\"i.png\",\"x\":[1,2],"
        "\"location\":{\"city\":\"Oslo\",\"postalCode\":\"0150\"}},"
        "\"work\":[{\"name\":\"N\",\"position\":\"P\",\"endDate\":null,\"team\":7,"
        "\"highlights\":[],\"extra\":{\"k\":true}}],"
        "\"military\":[{\"title\":\"Sergeant\",\"branch\":\"Army\",\"highlights\":[\"Led\"]}],"
        "\"numbers\":[1,2],\"meta\":{\"version\":\"v1\"},\"interests\":[]}";
    tl_resume *r = parse_str(s);
    assert_int_equal(r->n_sections, 3);
    assert_string_equal(r->sections[1].key, "military");
    assert_string_equal(r->sections[1].title, "Military");
    assert_int_equal(r->sections[1].kind, TL_SEC_CUSTOM);
    assert_string_equal(r->sections[1].entries[0].title, "Sergeant");
    assert_string_equal(tl_entry_field(&r->sections[1].entries[0], "branch"), "Army");
    assert_string_equal(r->basics.location, "Oslo");
    assert_int_equal(r->sections[2].n_entries, 0);
    char *out = NULL;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &out, NULL), TL_OK);
    json_t *a = load_json(s, strlen(s)), *b = load_json(out, strlen(out));
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    free(out);
    tl_resume_free(r);
}

/* Edits reach the output; cleared slots are removed; nothing is added. */
/* Older files name the employer "company": read, and written back there. */
static void test_company_alias(void **state)
{
    (void)state;
    const char *s = "{\"work\":[{\"company\":\"Acme\",\"position\":\"Dev\"}]}";
    tl_resume *r = parse_str(s);
    tl_entry *e = &r->sections[0].entries[0];
    assert_string_equal(e->org, "Acme");
    assert_int_equal(tl_resume_set(r, &e->org, "Acme Corp"), TL_OK);
    char *out = NULL;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &out, NULL), TL_OK);
    json_t *want = json_pack("{s:[{s:s,s:s}]}", "work", "company", "Acme Corp", "position", "Dev");
    json_t *got = load_json(out, strlen(out));
    assert_true(json_equal(want, got));
    json_decref(want);
    json_decref(got);
    free(out);
    tl_resume_free(r);
}

static void test_write_edits(void **state)
{
    (void)state;
    const char *s = "{\"basics\":{\"name\":\"A\",\"label\":\"L\",\"location\":{\"city\":\"Oslo\"}},"
                    "\"work\":[{\"name\":\"N\",\"position\":\"P\",\"summary\":\"S\","
                    "\"highlights\":[\"one\",\"two\"],\"unknown\":\"u\"}]}";
    tl_resume *r = parse_str(s);
    tl_entry *e = &r->sections[0].entries[0];
    assert_int_equal(tl_resume_set(r, tl_resume_slot(r, "work[0].highlights[1]"), "TWO"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, e, "three", 5), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->summary, NULL), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.label, NULL), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.location, "Austin, TX"), TL_OK);
    assert_int_equal(tl_entry_set_field(r, e, "unknown", "v"), TL_OK);
    tl_section *sk = tl_resume_add_section(r, TL_SEC_SKILLS, NULL, NULL);
    tl_entry *g = tl_section_add_entry(r, sk);
    assert_int_equal(tl_resume_set(r, &g->title, "Core"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, g, "C", 1), TL_OK);
    char *out = NULL;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &out, NULL), TL_OK);
    json_t *want = json_pack(
        "{s:{s:s,s:{s:s,s:s}},s:[{s:s,s:s,s:[s,s,s],s:s}],s:[{s:s,s:[s]}]}", "basics", "name",
        "A", "location", "city", "Austin", "region", "TX", "work", "name", "N", "position", "P",
        "highlights", "one", "TWO", "three", "unknown", "v", "skills", "name", "Core",
        "keywords", "C");
    json_t *got = load_json(out, strlen(out));
    if (!json_equal(want, got))
        print_error("%s\n", out);
    assert_true(json_equal(want, got));
    json_decref(want);
    json_decref(got);
    free(out);
    /* Dropping a section removes it from the output. */
    r->n_sections = 1;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &out, NULL), TL_OK);
    got = load_json(out, strlen(out));
    assert_null(json_object_get(got, "skills"));
    assert_non_null(json_object_get(got, "work"));
    json_decref(got);
    free(out);
    tl_resume_free(r);
}

/* Without a raw tree the writer builds a JSON Resume from scratch. */
static void test_write_fresh(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Zoë \"Z\" Q"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.location, "Lyon, ARA, FR"), TL_OK);
    assert_int_equal(tl_basics_add_profile(r, "GitHub", "zq", NULL), TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Dev"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->org, "Acme"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->start_date, "Jan 2020"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, e, "Did", 3), TL_OK);
    tl_section *c = tl_resume_add_section(r, TL_SEC_CERTIFICATES, NULL, NULL);
    e = tl_section_add_entry(r, c);
    assert_int_equal(tl_resume_set(r, &e->title, "CKA"), TL_OK);
    assert_int_equal(tl_resume_set(r, &e->date, "2021"), TL_OK);
    char *out = NULL;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_JSON, &out, NULL), TL_OK);
    json_t *want = json_pack("{s:{s:s,s:{s:s,s:s,s:s},s:[{s:s,s:s}]},"
                             "s:[{s:s,s:s,s:s,s:[s]}],s:[{s:s,s:s}]}",
                             "basics", "name", "Zoë \"Z\" Q", "location", "city", "Lyon",
                             "region", "ARA", "countryCode", "FR", "profiles", "network",
                             "GitHub", "username", "zq", "work", "position", "Dev", "name",
                             "Acme", "startDate", "Jan 2020", "highlights", "Did",
                             "certificates", "name", "CKA", "date", "2021");
    json_t *got = load_json(out, strlen(out));
    if (!json_equal(want, got))
        print_error("%s\n", out);
    assert_true(json_equal(want, got));
    json_decref(want);
    json_decref(got);
    /* And it parses back. */
    tl_resume *back = parse_str(out);
    assert_string_equal(back->basics.location, "Lyon, ARA, FR");
    assert_string_equal(back->sections[0].entries[0].start_date, "Jan 2020");
    tl_resume_free(back);
    free(out);
    tl_resume_free(r);
}

static void test_bad_shapes(void **state)
{
    (void)state;
    const struct {
        const char *in;
        tl_err code;
        const char *msg;
    } cases[] = {
        {"[1,2]", TL_EFORMAT, "top level: expected an object"},
        {"{\"basics\": ", TL_EFORMAT, "invalid JSON at line 1"},
        {"{\"basics\":{\"name\":\"A\"}} x", TL_EFORMAT, "invalid JSON"},
        {"{\"basics\":[]}", TL_EFORMAT, "basics: expected an object"},
        {"{\"basics\":{\"name\":42}}", TL_EFORMAT, "basics.name: expected a string"},
        {"{\"work\":{}}", TL_EFORMAT, "work: expected an array"},
        {"{\"work\":[1]}", TL_EFORMAT, "work[0]: expected an object"},
        {"{\"work\":[{},{\"highlights\":[\"a\",3]}]}", TL_EFORMAT,
         "work[1].highlights[1]: expected a string"},
        {"{\"work\":[{\"highlights\":\"a\"}]}", TL_EFORMAT, "work[0].highlights: expected an array"},
        {"{\"work\":[{\"position\":true}]}", TL_EFORMAT, "work[0].position: expected a string"},
        {"{\"work\":[{\"name\":1,\"company\":\"C\"}]}", TL_EFORMAT,
         "work[0].name: expected a string"},
        {"{\"education\":[{\"startDate\":2019}]}", TL_EFORMAT,
         "education[0].startDate: expected a string"},
        {"{\"skills\":[{\"keywords\":[null]}]}", TL_EFORMAT, "skills[0].keywords[0]"},
        {"{\"basics\":{\"profiles\":[\"x\"]}}", TL_EFORMAT, "basics.profiles[0]"},
        {"{\"a\":1,\"a\":2}", TL_EFORMAT, "duplicate"},
        {"{}", TL_EEMPTY, "no recognisable resume sections"},
        {"{\"basics\":{},\"work\":[]}", TL_EEMPTY, "no recognisable"},
        {"{\"basics\":{\"name\":\"a\\u0000b\"}}", TL_EFORMAT, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_fail(cases[i].in, strlen(cases[i].in), TL_FORMAT_JSON, cases[i].code,
                    cases[i].msg);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_fail("", 0, TL_FORMAT_AUTO, TL_EEMPTY, "empty file");
    expect_fail(" \n\t\n", 4, TL_FORMAT_AUTO, TL_EEMPTY, "empty file");
    const char *u1 = "{\"basics\":{\"name\":\"\xff\"}}";
    expect_fail(u1, strlen(u1), TL_FORMAT_AUTO, TL_EUTF8, "UTF-8");
    const char *u2 = "ok\nbad \xc3\x28 here\n";
    expect_fail(u2, strlen(u2), TL_FORMAT_TEXT, TL_EUTF8, "line 2");
    static const char bin[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
    expect_fail(bin, sizeof bin - 1, TL_FORMAT_AUTO, TL_EFORMAT, "binary");
    char ctl[64];
    for (size_t i = 0; i < sizeof ctl; i++)
        ctl[i] = (char)(i % 2 ? 0x01 : 'a');
    expect_fail(ctl, sizeof ctl, TL_FORMAT_AUTO, TL_EFORMAT, "binary");
    /* Over the size limit. */
    size_t big = 3u * 1024u * 1024u;
    char *p = malloc(big);
    assert_non_null(p);
    memset(p, 'a', big);
    p[0] = '{';
    expect_fail(p, big, TL_FORMAT_AUTO, TL_ETOOBIG, "limit");
    /* 100000 nested arrays: refused before jansson recurses. */
    size_t deep = 100000;
    memset(p, '[', deep);
    expect_fail(p, deep, TL_FORMAT_JSON, TL_ETOOBIG, "deeper than");
    p[0] = '{';
    memcpy(p, "{\"a\":", 5);
    expect_fail(p, deep, TL_FORMAT_AUTO, TL_ETOOBIG, "deeper than");
    free(p);
    /* Brackets inside strings do not count. */
    char s[200];
    snprintf(s, sizeof s, "{\"basics\":{\"name\":\"%s\"}}",
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"");
    tl_resume *r = parse_str(s);
    tl_resume_free(r);
}

static void test_limits(void **state)
{
    (void)state;
    /* Too many bullets in one entry. */
    size_t cap = 64 + (TL_MAX_BULLETS + 1) * 4;
    char *p = malloc(cap);
    assert_non_null(p);
    size_t n = (size_t)snprintf(p, cap, "{\"work\":[{\"highlights\":[");
    for (unsigned i = 0; i <= TL_MAX_BULLETS; i++)
        n += (size_t)snprintf(p + n, cap - n, "%s\"b\"", i ? "," : "");
    n += (size_t)snprintf(p + n, cap - n, "]}]}");
    expect_fail(p, n, TL_FORMAT_JSON, TL_ETOOBIG, "work[0].highlights");
    free(p);
    /* A field over TL_MAX_FIELD_BYTES. */
    cap = TL_MAX_FIELD_BYTES + 64;
    p = malloc(cap);
    assert_non_null(p);
    n = (size_t)snprintf(p, cap, "{\"basics\":{\"summary\":\"");
    memset(p + n, 'x', TL_MAX_FIELD_BYTES + 1);
    n += TL_MAX_FIELD_BYTES + 1;
    memcpy(p + n, "\"}}", 3);
    n += 3;
    expect_fail(p, n, TL_FORMAT_JSON, TL_ETOOBIG, "basics.summary");
    free(p);
    /* Too many sections. */
    cap = 64 + (TL_MAX_SECTIONS + 1) * 32;
    p = malloc(cap);
    assert_non_null(p);
    n = (size_t)snprintf(p, cap, "{\"basics\":{\"name\":\"x\"}");
    for (unsigned i = 0; i <= TL_MAX_SECTIONS; i++)
        n += (size_t)snprintf(p + n, cap - n, ",\"s%u\":[{}]", i);
    n += (size_t)snprintf(p + n, cap - n, "}");
    expect_fail(p, n, TL_FORMAT_JSON, TL_ETOOBIG, "sections");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alex_fields),        cmocka_unit_test(test_round_trip_equal),
        cmocka_unit_test(test_round_trip_unknown), cmocka_unit_test(test_company_alias),
        cmocka_unit_test(test_write_edits),
        cmocka_unit_test(test_write_fresh),        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_bad_input),          cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
