/* The resume document model: building, finding, ids, slots, clone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "doc/resume.h"
#include "util/limits.h"

static void test_format_names(void **state)
{
    (void)state;
    tl_format f;
    assert_int_equal(tl_format_parse("MD", &f), TL_OK);
    assert_int_equal(f, TL_FORMAT_MARKDOWN);
    assert_int_equal(tl_format_parse("txt", &f), TL_OK);
    assert_int_equal(f, TL_FORMAT_TEXT);
    assert_int_equal(tl_format_parse("Json", &f), TL_OK);
    assert_int_equal(f, TL_FORMAT_JSON);
    assert_int_equal(tl_format_parse("html", &f), TL_OK);
    assert_int_equal(f, TL_FORMAT_HTML);
    assert_int_equal(tl_format_parse("pdf", &f), TL_EINVAL);
    assert_string_equal(tl_format_name(TL_FORMAT_MARKDOWN), "markdown");
    assert_string_equal(tl_format_name(TL_FORMAT_AUTO), "auto");
}

static void test_kind_tables(void **state)
{
    (void)state;
    assert_string_equal(tl_section_kind_key(TL_SEC_WORK), "work");
    assert_string_equal(tl_section_kind_key(TL_SEC_CUSTOM), "custom");
    assert_string_equal(tl_section_kind_title(TL_SEC_WORK), "Experience");
    assert_string_equal(tl_section_kind_bullet_key(TL_SEC_SKILLS), "keywords");
    assert_string_equal(tl_section_kind_bullet_key(TL_SEC_INTERESTS), "keywords");
    assert_string_equal(tl_section_kind_bullet_key(TL_SEC_EDUCATION), "courses");
    assert_string_equal(tl_section_kind_bullet_key(TL_SEC_PROJECTS), "highlights");
    assert_int_equal(tl_section_kind_from_key("certificates"), TL_SEC_CERTIFICATES);
    assert_int_equal(tl_section_kind_from_key("military"), TL_SEC_CUSTOM);
    assert_int_equal(tl_section_kind_from_key(NULL), TL_SEC_CUSTOM);
    for (int k = 0; k < TL_SEC_CUSTOM; k++)
        assert_int_equal(tl_section_kind_from_key(tl_section_kind_key((tl_section_kind)k)), k);
}

/* A small resume: two work entries, skills, one custom section. */
static tl_resume *build(void)
{
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    assert_int_equal(tl_resume_set(r, &r->basics.name, "Ada Park"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.summary, "Engineer."), TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    assert_non_null(w);
    assert_string_equal(w->key, "work");
    assert_string_equal(w->title, "Experience");
    for (int i = 0; i < 2; i++) {
        tl_entry *e = tl_section_add_entry(r, w);
        assert_non_null(e);
        assert_int_equal(tl_resume_set(r, &e->title, i ? "Engineer" : "Lead"), TL_OK);
        assert_int_equal(tl_resume_setn(r, &e->org, "Acme Corp!", 9), TL_OK);
        assert_int_equal(tl_entry_add_bullet(r, e, "Shipped things", 7), TL_OK);
        assert_int_equal(tl_entry_add_bullet(r, e, "Fixed bugs", 10), TL_OK);
    }
    tl_section *s = tl_resume_add_section(r, TL_SEC_SKILLS, NULL, "Technical Skills");
    assert_non_null(s);
    tl_entry *g = tl_section_add_entry(r, s);
    assert_non_null(g);
    assert_int_equal(tl_resume_set(r, &g->title, "Languages"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, g, "C", 1), TL_OK);
    assert_int_equal(tl_entry_set_field(r, g, "level", "Expert"), TL_OK);
    tl_section *m = tl_resume_add_section(r, TL_SEC_CUSTOM, "military", "Military Service");
    assert_non_null(m);
    tl_entry *me = tl_section_add_entry(r, m);
    assert_non_null(me);
    assert_int_equal(tl_entry_add_bullet(r, me, "Led a squad", 11), TL_OK);
    assert_int_equal(tl_basics_add_profile(r, "GitHub", "ada", "https://github.com/ada"), TL_OK);
    return r;
}

static void test_build_and_find(void **state)
{
    (void)state;
    tl_resume *r = build();
    assert_int_equal(r->n_sections, 3);
    assert_string_equal(r->sections[0].entries[0].org, "Acme Corp");
    assert_string_equal(r->sections[0].entries[0].bullets[0], "Shipped");
    assert_int_equal(tl_resume_bullet_count(r), 6);
    assert_ptr_equal(tl_resume_find_section(r, TL_SEC_SKILLS), &r->sections[1]);
    assert_null(tl_resume_find_section(r, TL_SEC_EDUCATION));
    assert_int_equal(tl_resume_section_index(r, "military"), 2);
    assert_int_equal(tl_resume_section_index(r, "awards"), -1);
    tl_entry *g = &r->sections[1].entries[0];
    assert_string_equal(tl_entry_field(g, "level"), "Expert");
    assert_int_equal(tl_entry_set_field(r, g, "level", "Master"), TL_OK);
    assert_string_equal(tl_entry_field(g, "level"), "Master");
    assert_int_equal(g->n_fields, 1);
    assert_null(tl_entry_field(g, "nope"));
    assert_int_equal(tl_resume_set(r, &g->title, NULL), TL_OK);
    assert_null(g->title);
    assert_string_equal(r->basics.profiles[0].username, "ada");
    tl_resume_free(r);
    tl_resume_free(NULL);
}

static void test_slots(void **state)
{
    (void)state;
    tl_resume *r = build();
    char **p = tl_resume_slot(r, "basics.summary");
    assert_ptr_equal(p, &r->basics.summary);
    assert_ptr_equal(tl_resume_slot(r, "basics.name"), &r->basics.name);
    assert_null(tl_resume_slot(r, "basics.nope"));
    tl_entry *w1 = &r->sections[0].entries[1];
    assert_ptr_equal(tl_resume_slot(r, "work[1].position"), &w1->title);
    assert_ptr_equal(tl_resume_slot(r, "work[1].name"), &w1->org);
    assert_ptr_equal(tl_resume_slot(r, "work[1].summary"), &w1->summary);
    assert_ptr_equal(tl_resume_slot(r, "work[1].startDate"), &w1->start_date);
    assert_ptr_equal(tl_resume_slot(r, "work[1].endDate"), &w1->end_date);
    assert_ptr_equal(tl_resume_slot(r, "work[1].highlights[1]"), &w1->bullets[1]);
    assert_null(tl_resume_slot(r, "work[1].highlights[2]"));
    assert_null(tl_resume_slot(r, "work[2].position"));
    assert_null(tl_resume_slot(r, "work[1]"));
    assert_null(tl_resume_slot(r, "work"));
    assert_null(tl_resume_slot(r, "work[x].position"));
    assert_null(tl_resume_slot(r, "work[1].keywords[0]"));
    assert_null(tl_resume_slot(r, "work[1].highlights[0]x"));
    assert_null(tl_resume_slot(r, "[0].position"));
    tl_entry *g = &r->sections[1].entries[0];
    assert_ptr_equal(tl_resume_slot(r, "skills[0].name"), &g->title);
    assert_ptr_equal(tl_resume_slot(r, "skills[0].keywords[0]"), &g->bullets[0]);
    assert_ptr_equal(tl_resume_slot(r, "skills[0].level"), &g->fields[0].value);
    assert_ptr_equal(tl_resume_slot(r, "military[0].highlights[0]"),
                     &r->sections[2].entries[0].bullets[0]);
    /* Writing through a slot. */
    p = tl_resume_slot(r, "work[0].highlights[0]");
    assert_int_equal(tl_resume_set(r, p, "Shipped more"), TL_OK);
    assert_string_equal(r->sections[0].entries[0].bullets[0], "Shipped more");
    tl_resume_free(r);
}

static void test_ids(void **state)
{
    (void)state;
    tl_resume *r = build();
    char id[64];
    assert_int_equal(tl_resume_entry_id(r, 0, 1, -1, id, sizeof id), 7);
    assert_string_equal(id, "work[1]");
    tl_resume_entry_id(r, 0, 1, 3, id, sizeof id);
    assert_string_equal(id, "work[1].highlights[3]");
    tl_resume_entry_id(r, 1, 0, 0, id, sizeof id);
    assert_string_equal(id, "skills[0].keywords[0]");
    tl_resume_entry_id(r, 2, 0, 1, id, sizeof id);
    assert_string_equal(id, "military[0].highlights[1]");
    assert_int_equal(tl_resume_entry_id(r, 9, 0, 0, id, sizeof id), -1);
    /* snprintf semantics: the length even when truncated. */
    char small[4];
    assert_int_equal(tl_resume_entry_id(r, 0, 1, 3, small, sizeof small), 21);
    assert_string_equal(small, "wor");
    tl_resume_free(r);
}

static void test_clone(void **state)
{
    (void)state;
    tl_resume *r = build();
    r->raw = json_pack("{s:{s:s}}", "basics", "name", "Ada Park");
    assert_non_null(r->raw);
    r->format = TL_FORMAT_JSON;
    tl_resume *c = NULL;
    assert_int_equal(tl_resume_clone(r, &c), TL_OK);
    assert_non_null(c);
    assert_int_equal(c->format, TL_FORMAT_JSON);
    assert_true(c->raw != r->raw);
    assert_true(json_equal(c->raw, r->raw));
    assert_int_equal(c->n_sections, 3);
    assert_string_equal(c->sections[1].title, "Technical Skills");
    assert_string_equal(c->sections[2].key, "military");
    assert_true(c->sections[0].entries[0].bullets[0] != r->sections[0].entries[0].bullets[0]);
    assert_string_equal(c->sections[0].entries[0].bullets[0], "Shipped");
    assert_string_equal(tl_entry_field(&c->sections[1].entries[0], "level"), "Expert");
    assert_string_equal(c->basics.profiles[0].url, "https://github.com/ada");
    assert_int_equal(tl_resume_bullet_count(c), tl_resume_bullet_count(r));
    tl_resume_free(r);
    /* The clone survives its original. */
    assert_string_equal(c->basics.name, "Ada Park");
    tl_resume_free(c);
}

static void test_limits(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_non_null(r);
    for (unsigned i = 0; i < TL_MAX_SECTIONS; i++)
        assert_non_null(tl_resume_add_section(r, TL_SEC_CUSTOM, "x", NULL));
    assert_null(tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL));
    tl_section *s = &r->sections[0];
    for (unsigned i = 0; i < TL_MAX_ENTRIES; i++)
        assert_non_null(tl_section_add_entry(r, s));
    assert_null(tl_section_add_entry(r, s));
    tl_entry *e = &s->entries[0];
    for (unsigned i = 0; i < TL_MAX_BULLETS; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, "b", 1), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, e, "b", 1), TL_ETOOBIG);
    assert_int_equal(e->n_bullets, TL_MAX_BULLETS);
    static char big[TL_MAX_FIELD_BYTES + 2];
    memset(big, 'a', sizeof big - 1);
    assert_int_equal(tl_resume_set(r, &e->title, big), TL_ETOOBIG);
    assert_null(e->title);
    assert_null(tl_resume_add_section(r, TL_SEC_COUNT_, NULL, NULL));
    tl_resume_free(r);
}

static void test_detect(void **state)
{
    (void)state;
    const char *j = "  \n {\"basics\":{}}";
    assert_int_equal(tl_resume_detect(j, strlen(j)), TL_FORMAT_JSON);
    const char *m = "Name\n\n## Experience\n- a\n";
    assert_int_equal(tl_resume_detect(m, strlen(m)), TL_FORMAT_MARKDOWN);
    const char *b = "Name\n**Engineer** — Acme, 2019\n";
    assert_int_equal(tl_resume_detect(b, strlen(b)), TL_FORMAT_MARKDOWN);
    const char *t = "NAME\nEXPERIENCE\n* did #1 things\n";
    assert_int_equal(tl_resume_detect(t, strlen(t)), TL_FORMAT_TEXT);
    assert_int_equal(tl_resume_detect("", 0), TL_FORMAT_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names), cmocka_unit_test(test_kind_tables),
        cmocka_unit_test(test_build_and_find), cmocka_unit_test(test_slots),
        cmocka_unit_test(test_ids),          cmocka_unit_test(test_clone),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
