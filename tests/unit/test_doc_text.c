/* Plain-text reader and writer. */
#include "test_doc_common.h"

static void test_sam_fixture(void **state)
{
    (void)state;
    tl_resume *r = td_parse_file("sam-okafor.txt", TL_FORMAT_AUTO);
    assert_int_equal(r->format, TL_FORMAT_TEXT);
    tl_basics *b = &r->basics;
    assert_string_equal(b->name, "SAM OKAFOR, RN");
    assert_string_equal(b->location, "Chicago, IL");
    assert_string_equal(b->email, "sam.okafor@example.net");
    assert_string_equal(b->phone, "312-555-0119");
    assert_true(strncmp(b->summary, "Registered nurse with 6 years of acute care", 43) == 0);
    assert_non_null(strstr(b->summary, "precepting new graduate nurses."));

    assert_int_equal(r->n_sections, 4);
    tl_section *w = &r->sections[0];
    assert_int_equal(w->kind, TL_SEC_WORK);
    assert_int_equal(w->n_entries, 2);
    tl_entry *e = &w->entries[0];
    assert_string_equal(e->title, "Registered Nurse, Step-Down Unit");
    assert_string_equal(e->org, "Lakeshore General Hospital");
    assert_string_equal(e->location, "Chicago, IL");
    assert_string_equal(e->start_date, "March 2021");
    assert_null(e->end_date);
    assert_int_equal(e->n_bullets, 5);
    assert_string_equal(e->bullets[0], "Provide care for 4-5 telemetry patients per shift, "
                                       "including post-cardiac-catheterization and post-op "
                                       "patients");
    assert_string_equal(e->bullets[4], "Document care in Epic EHR");
    e = &w->entries[1];
    assert_string_equal(e->title, "Registered Nurse, Medical-Surgical Unit");
    assert_string_equal(e->org, "Riverside Community Hospital");
    assert_string_equal(e->location, "Evanston, IL");
    assert_string_equal(e->start_date, "June 2018");
    assert_string_equal(e->end_date, "February 2021");
    assert_int_equal(e->n_bullets, 4);
    assert_string_equal(e->bullets[3], "Responded to rapid response calls as a member of the "
                                       "unit team");

    tl_section *ed = &r->sections[1];
    assert_int_equal(ed->kind, TL_SEC_EDUCATION);
    assert_int_equal(ed->n_entries, 1);
    assert_string_equal(ed->entries[0].title, "Bachelor of Science in Nursing");
    assert_string_equal(ed->entries[0].org, "Loyola University Chicago");
    assert_string_equal(ed->entries[0].end_date, "2018");

    tl_section *c = &r->sections[2];
    assert_int_equal(c->kind, TL_SEC_CERTIFICATES);
    assert_string_equal(c->title, "Licenses and Certifications");
    assert_int_equal(c->n_entries, 4);
    const char *titles[] = {"Registered Nurse", "Basic Life Support (BLS)",
                            "Advanced Cardiovascular Life Support (ACLS)",
                            "Progressive Care Certified Nurse (PCCN)"};
    const char *issuers[] = {"State of Illinois (active)", "American Heart Association",
                             "American Heart Association", "AACN"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(c->entries[i].title, titles[i]);
        assert_string_equal(c->entries[i].org, issuers[i]);
    }
    assert_null(c->entries[0].date);
    assert_string_equal(c->entries[3].date, "2022");

    tl_section *s = &r->sections[3];
    assert_int_equal(s->kind, TL_SEC_SKILLS);
    assert_int_equal(s->n_entries, 1);
    assert_null(s->entries[0].title);
    const char *kw[] = {"Telemetry monitoring", "IV therapy", "patient education", "wound care",
                        "Epic", "medication administration", "care planning", "team leadership"};
    assert_int_equal(s->entries[0].n_bullets, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(s->entries[0].bullets[i], kw[i]);
    assert_int_equal(tl_resume_bullet_count(r), 17);
    tl_resume_free(r);
}

static void test_round_trip(void **state)
{
    (void)state;
    tl_resume *a = td_parse_file("sam-okafor.txt", TL_FORMAT_TEXT);
    char *t1 = NULL, *t2 = NULL;
    tl_resume *b = td_reparse(a, TL_FORMAT_TEXT, &t1);
    td_model_eq(a, b);
    tl_resume *c = td_reparse(b, TL_FORMAT_TEXT, &t2);
    assert_string_equal(t1, t2);
    assert_non_null(strstr(t1, "\nEXPERIENCE\n"));
    assert_non_null(strstr(t1, "\nLICENSES AND CERTIFICATIONS\n"));
    assert_non_null(strstr(t1, "Lakeshore General Hospital, Chicago, IL | March 2021 - Present\n"));
    assert_non_null(strstr(t1, "Progressive Care Certified Nurse (PCCN), AACN, 2022\n"));
    free(t1);
    free(t2);
    tl_resume_free(a);
    tl_resume_free(b);
    tl_resume_free(c);
}

/* Every fixture through text and back keeps its entries and bullets. */
static void test_cross_formats(void **state)
{
    (void)state;
    const char *files[] = {"alex-chen.json", "maria-lopez.md", "sam-okafor.txt"};
    for (size_t f = 0; f < 3; f++) {
        tl_resume *a = td_parse_file(files[f], TL_FORMAT_AUTO);
        tl_resume *t = td_reparse(a, TL_FORMAT_TEXT, NULL);
        assert_int_equal(t->n_sections, a->n_sections);
        assert_int_equal(tl_resume_bullet_count(t), tl_resume_bullet_count(a));
        for (size_t i = 0; i < a->n_sections; i++) {
            assert_int_equal(t->sections[i].kind, a->sections[i].kind);
            assert_int_equal(t->sections[i].n_entries, a->sections[i].n_entries);
            for (size_t j = 0; j < a->sections[i].n_entries; j++) {
                const tl_entry *x = &a->sections[i].entries[j], *y = &t->sections[i].entries[j];
                assert_int_equal(x->n_bullets, y->n_bullets);
                td_str_eq(x->start_date, y->start_date);
                td_str_eq(x->end_date, y->end_date);
                if (a->sections[i].kind != TL_SEC_EDUCATION)
                    td_str_eq(x->title, y->title);
                td_str_eq(x->org, y->org);
            }
        }
        td_str_eq(a->basics.email, t->basics.email);
        td_str_eq(a->basics.summary, t->basics.summary);
        /* and from text to Markdown too */
        tl_resume *m = td_reparse(t, TL_FORMAT_MARKDOWN, NULL);
        td_model_eq(t, m);
        tl_resume_free(m);
        tl_resume_free(t);
        tl_resume_free(a);
    }
}

static void test_variants(void **state)
{
    (void)state;
    const char *txt = "Lee Park, MBA\n"
                      "Product Manager\n"
                      "Portland, OR, lee@example.com, (503) 555-0100, github.com/leepark\n"
                      "\n"
                      "Profile:\n"
                      "Product manager who ships.\n"
                      "\n"
                      "WORK HISTORY\n"
                      "Senior Product Manager at Rocket Labs | Jan 2020 - Present\n"
                      "- Launched three products\n"
                      "  used by 1M people\n"
                      "- Grew revenue 40%\n"
                      "\n"
                      "Northwind Traders — Product Analyst (2017 – 2019)\n"
                      "\xe2\x80\xa2 Analysed churn\n"
                      "\n"
                      "Intern, Contoso, Seattle, WA, 2016\n"
                      "* Wrote tests\n"
                      "\n"
                      "Skills\n"
                      "Product: roadmaps, discovery, A/B tests\n"
                      "Tools: Jira, SQL\n"
                      "\n"
                      "CERTIFICATIONS\n"
                      "Certified Scrum Product Owner, Scrum Alliance, 2021\n"
                      "\n"
                      "VOLUNTEER WORK\n"
                      "Mentor\n"
                      "Code Club, Portland, OR | 2018 - 2020\n"
                      "* Taught kids\n"
                      "\n"
                      "MILITARY SERVICE\n"
                      "Sergeant, US Army, 2010 - 2014\n"
                      "* Led a squad\n";
    tl_resume *r = td_parse_str(txt, TL_FORMAT_AUTO);
    assert_int_equal(r->format, TL_FORMAT_TEXT);
    assert_string_equal(r->basics.name, "Lee Park, MBA");
    assert_string_equal(r->basics.label, "Product Manager");
    assert_string_equal(r->basics.location, "Portland, OR");
    assert_string_equal(r->basics.email, "lee@example.com");
    assert_string_equal(r->basics.phone, "(503) 555-0100");
    assert_int_equal(r->basics.n_profiles, 1);
    assert_string_equal(r->basics.profiles[0].network, "GitHub");
    assert_string_equal(r->basics.summary, "Product manager who ships.");
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_string_equal(w->title, "Work History");
    assert_int_equal(w->n_entries, 3);
    assert_string_equal(w->entries[0].title, "Senior Product Manager");
    assert_string_equal(w->entries[0].org, "Rocket Labs");
    assert_string_equal(w->entries[0].start_date, "Jan 2020");
    assert_null(w->entries[0].end_date);
    assert_int_equal(w->entries[0].n_bullets, 2);
    assert_string_equal(w->entries[0].bullets[0], "Launched three products used by 1M people");
    assert_string_equal(w->entries[1].title, "Product Analyst");
    assert_string_equal(w->entries[1].org, "Northwind Traders");
    assert_string_equal(w->entries[1].start_date, "2017");
    assert_string_equal(w->entries[1].end_date, "2019");
    assert_int_equal(w->entries[1].n_bullets, 1);
    assert_string_equal(w->entries[2].title, "Intern");
    assert_string_equal(w->entries[2].org, "Contoso");
    assert_string_equal(w->entries[2].location, "Seattle, WA");
    assert_string_equal(w->entries[2].start_date, "2016");
    tl_section *s = tl_resume_find_section(r, TL_SEC_SKILLS);
    assert_int_equal(s->n_entries, 2);
    assert_string_equal(s->entries[0].title, "Product");
    assert_int_equal(s->entries[0].n_bullets, 3);
    assert_string_equal(s->entries[1].bullets[1], "SQL");
    tl_section *c = tl_resume_find_section(r, TL_SEC_CERTIFICATES);
    assert_string_equal(c->entries[0].title, "Certified Scrum Product Owner");
    assert_string_equal(c->entries[0].org, "Scrum Alliance");
    assert_string_equal(c->entries[0].date, "2021");
    tl_section *v = tl_resume_find_section(r, TL_SEC_VOLUNTEER);
    assert_string_equal(v->entries[0].title, "Mentor");
    assert_string_equal(v->entries[0].org, "Code Club");
    assert_string_equal(v->entries[0].location, "Portland, OR");
    int mi = tl_resume_section_index(r, "military_service");
    assert_true(mi >= 0);
    assert_string_equal(r->sections[mi].title, "Military Service");
    assert_string_equal(r->sections[mi].entries[0].title, "Sergeant");
    assert_string_equal(r->sections[mi].entries[0].org, "US Army");
    assert_int_equal(r->sections[mi].entries[0].n_bullets, 1);
    /* round trip */
    tl_resume *b = td_reparse(r, TL_FORMAT_TEXT, NULL);
    td_model_eq(r, b);
    tl_resume_free(b);
    tl_resume_free(r);
}

/* Dates on the title line, a head over three lines, employer first, a
 * two-line degree, one skill per line (an ALL-CAPS skill is no heading). */
static void test_more_variants(void **state)
{
    (void)state;
    const char *txt = "John Doe\n"
                      "john@doe.com | 555-555-5555 | Remote\n"
                      "\n"
                      "EXPERIENCE\n"
                      "Software Engineer, Google                    2019 - Present\n"
                      "- Built X\n"
                      "- Led Y\n"
                      "\n"
                      "Senior Engineer\n"
                      "Acme Corp\n"
                      "Jan 2017 \xe2\x80\x93 Dec 2018\n"
                      "- Did Z\n"
                      "\n"
                      "Acme Corp\n"
                      "Junior Engineer | 2015 - 2017\n"
                      "* Learned\n"
                      "\n"
                      "EDUCATION\n"
                      "University of Michigan\n"
                      "B.S. Computer Science, 2015\n"
                      "\n"
                      "SKILLS\n"
                      "Python\n"
                      "SQL\n"
                      "Excel\n"
                      "\n"
                      "INTERESTS\n"
                      "Climbing, chess\n";
    tl_resume *r = td_parse_str(txt, TL_FORMAT_TEXT);
    assert_string_equal(r->basics.location, "Remote");
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_int_equal(w->n_entries, 3);
    assert_string_equal(w->entries[0].title, "Software Engineer");
    assert_string_equal(w->entries[0].org, "Google");
    assert_string_equal(w->entries[0].start_date, "2019");
    assert_null(w->entries[0].end_date);
    assert_int_equal(w->entries[0].n_bullets, 2);
    assert_string_equal(w->entries[1].title, "Senior Engineer");
    assert_string_equal(w->entries[1].org, "Acme Corp");
    assert_string_equal(w->entries[1].start_date, "Jan 2017");
    assert_string_equal(w->entries[1].end_date, "Dec 2018");
    assert_int_equal(w->entries[1].n_bullets, 1);
    assert_string_equal(w->entries[2].title, "Junior Engineer");
    assert_string_equal(w->entries[2].org, "Acme Corp");
    tl_section *ed = tl_resume_find_section(r, TL_SEC_EDUCATION);
    assert_int_equal(ed->n_entries, 1);
    assert_string_equal(ed->entries[0].title, "B.S. Computer Science");
    assert_string_equal(ed->entries[0].org, "University of Michigan");
    assert_string_equal(ed->entries[0].end_date, "2015");
    tl_section *s = tl_resume_find_section(r, TL_SEC_SKILLS);
    assert_int_equal(s->n_entries, 1);
    assert_int_equal(s->entries[0].n_bullets, 3);
    assert_string_equal(s->entries[0].bullets[1], "SQL");
    tl_section *in = tl_resume_find_section(r, TL_SEC_INTERESTS);
    assert_int_equal(in->n_entries, 2);
    assert_string_equal(in->entries[1].title, "chess");
    assert_int_equal(r->n_sections, 4);
    tl_resume_free(r);
}

/* A first section of its own, in another script: a custom section whose
 * key keeps its letters. */
static void test_custom_unicode(void **state)
{
    (void)state;
    const char *txt = "Ana Silva\nana@example.pt\n\nPUBLICA\xc3\x87\xc3\x95" "ES E "
                      "PR\xc3\x89MIOS\n* Um\n";
    tl_resume *r = td_parse_str(txt, TL_FORMAT_TEXT);
    assert_int_equal(r->n_sections, 1);
    assert_string_equal(r->sections[0].key, "publica\xc3\xa7\xc3\xb5" "es_e_pr\xc3\xa9mios");
    assert_string_equal(r->sections[0].title, "Publica\xc3\xa7\xc3\xb5" "es E Pr\xc3\xa9mios");
    assert_string_equal(r->sections[0].entries[0].bullets[0], "Um");
    char **slot = tl_resume_slot(r, "publica\xc3\xa7\xc3\xb5" "es_e_pr\xc3\xa9mios[0].highlights[0]");
    assert_ptr_equal(slot, &r->sections[0].entries[0].bullets[0]);
    tl_resume *b = td_reparse(r, TL_FORMAT_TEXT, NULL);
    td_model_eq(r, b);
    tl_resume_free(b);
    tl_resume_free(r);
}

static void test_bad(void **state)
{
    (void)state;
    tl_resume *r = NULL;
    tl_doc_error err;
    const char *s = "EXPERIENCE\n\nSKILLS\n";
    assert_int_equal(tl_resume_parse(s, strlen(s), TL_FORMAT_TEXT, &r, &err), TL_EEMPTY);
    assert_null(r);
    s = "Just a sentence.\n";
    assert_int_equal(tl_resume_parse(s, strlen(s), TL_FORMAT_TEXT, &r, &err), TL_EEMPTY);
    assert_string_equal(err.message, "no recognisable resume sections");
    /* One field past TL_MAX_FIELD_BYTES (a wrapped summary). */
    size_t cap = TL_MAX_FIELD_BYTES + 256;
    char *p = malloc(cap);
    assert_non_null(p);
    size_t n = (size_t)snprintf(p, cap, "Name\nSUMMARY\n");
    while (n < TL_MAX_FIELD_BYTES + 100) {
        static const char line[] = "words words words words words words words words.\n";
        memcpy(p + n, line, sizeof line - 1);
        n += sizeof line - 1;
    }
    assert_int_equal(tl_resume_parse(p, n, TL_FORMAT_TEXT, &r, &err), TL_ETOOBIG);
    assert_true(err.line > 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sam_fixture), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_cross_formats), cmocka_unit_test(test_variants),
        cmocka_unit_test(test_more_variants), cmocka_unit_test(test_custom_unicode),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
