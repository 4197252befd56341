/* Markdown reader and writer. */
#include "test_doc_common.h"

static void check_work(const tl_entry *e, const char *title, const char *org, const char *start,
                       const char *end, size_t bullets)
{
    td_str_eq(title, e->title);
    td_str_eq(org, e->org);
    td_str_eq(start, e->start_date);
    td_str_eq(end, e->end_date);
    assert_int_equal(e->n_bullets, bullets);
}

static void test_maria_fixture(void **state)
{
    (void)state;
    tl_resume *r = td_parse_file("maria-lopez.md", TL_FORMAT_AUTO);
    assert_int_equal(r->format, TL_FORMAT_MARKDOWN);
    tl_basics *b = &r->basics;
    assert_string_equal(b->name, "Maria Lopez");
    assert_string_equal(b->label, "Data Analyst");
    assert_string_equal(b->location, "Austin, TX");
    assert_string_equal(b->email, "maria.lopez@example.org");
    assert_string_equal(b->phone, "(512) 555-0187");
    assert_int_equal(b->n_profiles, 1);
    assert_string_equal(b->profiles[0].network, "LinkedIn");
    assert_string_equal(b->profiles[0].username, "marialopez");
    assert_string_equal(b->profiles[0].url, "linkedin.com/in/marialopez");
    assert_string_equal(b->summary,
                        "Data analyst with five years of experience turning messy operational "
                        "data into dashboards and forecasts that teams actually use. Strong in "
                        "SQL and Python, comfortable presenting to executives.");

    assert_int_equal(r->n_sections, 4);
    tl_section *w = &r->sections[0];
    assert_int_equal(w->kind, TL_SEC_WORK);
    assert_string_equal(w->title, "Experience");
    assert_int_equal(w->n_entries, 3);
    check_work(&w->entries[0], "Senior Data Analyst", "Greenleaf Grocers", "Jan 2022", NULL, 5);
    check_work(&w->entries[1], "Data Analyst", "Harbor Health Clinics", "Jun 2019", "Dec 2021", 4);
    check_work(&w->entries[2], "Research Assistant", "University of Texas at Austin", "Sep 2017",
               "May 2019", 2);
    assert_string_equal(w->entries[0].bullets[0],
                        "Build weekly demand forecasts for 120 stores using Python (pandas, "
                        "statsmodels), improving forecast accuracy by 18%");
    assert_string_equal(w->entries[1].bullets[3],
                        "Trained 20 clinic managers on self-service reporting in Power BI");
    assert_string_equal(w->entries[2].bullets[1],
                        "Ran regression analyses in R and wrote methods sections for two "
                        "published papers");

    tl_section *s = &r->sections[1];
    assert_int_equal(s->kind, TL_SEC_SKILLS);
    assert_int_equal(s->n_entries, 3);
    assert_string_equal(s->entries[0].title, "Analysis");
    const char *analysis[] = {"SQL",   "Python (pandas, NumPy, statsmodels)",
                              "R",     "Excel",
                              "A/B testing", "regression",
                              "forecasting"};
    assert_int_equal(s->entries[0].n_bullets, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(s->entries[0].bullets[i], analysis[i]);
    assert_string_equal(s->entries[1].title, "Tools");
    assert_int_equal(s->entries[1].n_bullets, 6);
    assert_string_equal(s->entries[1].bullets[5], "Jupyter");
    assert_string_equal(s->entries[2].title, "Communication");
    assert_string_equal(s->entries[2].bullets[2], "documentation");

    tl_section *ed = &r->sections[2];
    assert_int_equal(ed->kind, TL_SEC_EDUCATION);
    assert_int_equal(ed->n_entries, 2);
    assert_string_equal(ed->entries[0].title, "M.S. in Statistics");
    assert_string_equal(ed->entries[0].org, "University of Texas at Austin");
    assert_string_equal(ed->entries[0].end_date, "2019");
    assert_string_equal(ed->entries[1].title, "B.A. in Economics");
    assert_string_equal(ed->entries[1].org, "Texas State University");
    assert_string_equal(ed->entries[1].end_date, "2017");

    tl_section *c = &r->sections[3];
    assert_int_equal(c->kind, TL_SEC_CERTIFICATES);
    assert_int_equal(c->n_entries, 1);
    assert_string_equal(c->entries[0].title, "Tableau Desktop Specialist");
    assert_string_equal(c->entries[0].date, "2021");
    assert_null(c->entries[0].org);
    assert_int_equal(tl_resume_bullet_count(r), 11 + 16);

    char **slot = tl_resume_slot(r, "work[1].position");
    assert_non_null(slot);
    assert_string_equal(*slot, "Data Analyst");
    tl_resume_free(r);
}

/* Markdown -> model -> Markdown -> model keeps every entry and bullet, and
 * the second rendering is the same as the first. */
static void test_round_trip(void **state)
{
    (void)state;
    tl_resume *a = td_parse_file("maria-lopez.md", TL_FORMAT_MARKDOWN);
    char *t1 = NULL, *t2 = NULL;
    tl_resume *b = td_reparse(a, TL_FORMAT_MARKDOWN, &t1);
    td_model_eq(a, b);
    tl_resume *c = td_reparse(b, TL_FORMAT_MARKDOWN, &t2);
    td_model_eq(b, c);
    assert_string_equal(t1, t2);
    assert_non_null(strstr(t1, "### Data Analyst \xe2\x80\x94 Harbor Health Clinics (Jun 2019 "
                               "\xe2\x80\x93 Dec 2021)"));
    assert_non_null(strstr(t1, "- **Analysis:** SQL, Python (pandas, NumPy, statsmodels), R"));
    assert_non_null(strstr(t1, "- Tableau Desktop Specialist (2021)"));
    free(t1);
    free(t2);
    tl_resume_free(a);
    tl_resume_free(b);
    tl_resume_free(c);
}

/* JSON Resume -> Markdown -> model keeps what Markdown can say. */
static void test_from_json(void **state)
{
    (void)state;
    tl_resume *j = td_parse_file("alex-chen.json", TL_FORMAT_JSON);
    tl_resume *m = td_reparse(j, TL_FORMAT_MARKDOWN, NULL);
    assert_int_equal(m->n_sections, j->n_sections);
    assert_int_equal(tl_resume_bullet_count(m), tl_resume_bullet_count(j));
    for (size_t i = 0; i < j->n_sections; i++) {
        const tl_section *x = &j->sections[i], *y = &m->sections[i];
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->n_entries, y->n_entries);
        for (size_t k = 0; k < x->n_entries; k++) {
            assert_int_equal(x->entries[k].n_bullets, y->entries[k].n_bullets);
            td_str_eq(x->entries[k].org, y->entries[k].org);
            td_str_eq(x->entries[k].start_date, y->entries[k].start_date);
            td_str_eq(x->entries[k].end_date, y->entries[k].end_date);
            td_str_eq(x->entries[k].summary, y->entries[k].summary);
            td_str_eq(x->entries[k].url, y->entries[k].url);
        }
    }
    const tl_section *w = tl_resume_find_section(m, TL_SEC_WORK);
    assert_string_equal(w->entries[0].title, "Senior Software Engineer");
    const tl_section *ed = tl_resume_find_section(m, TL_SEC_EDUCATION);
    assert_string_equal(ed->entries[0].title, "Bachelor in Computer Science");
    const tl_section *la = tl_resume_find_section(m, TL_SEC_LANGUAGES);
    assert_string_equal(tl_entry_field(&la->entries[1], "fluency"), "Professional");
    const tl_section *ce = tl_resume_find_section(m, TL_SEC_CERTIFICATES);
    assert_string_equal(ce->entries[0].title, "AWS Certified Solutions Architect \xe2\x80\x93 Associate");
    assert_string_equal(ce->entries[0].org, "Amazon Web Services");
    assert_string_equal(ce->entries[0].date, "2022-05");
    assert_string_equal(m->basics.url, "https://alexchen.example.com");
    assert_int_equal(m->basics.n_profiles, 2);
    assert_string_equal(m->basics.profiles[0].username, "alexchen");
    tl_resume_free(j);
    tl_resume_free(m);
}

/* Common ways of writing entry heads. */
static void test_entry_variants(void **state)
{
    (void)state;
    const char *md = "# Pat Doe\n"
                     "pat@example.com | 555-123-4567 | Denver, CO\n"
                     "\n"
                     "## Work Experience\n"
                     "### Acme Corp — Staff Engineer (March 2021 - Present)\n"
                     "* Did a\n"
                     "### Lead Developer, Widget Co\n"
                     "*Boulder, CO · Jan 2018 – Feb 2021*\n"
                     "\n"
                     "Short summary of the role.\n"
                     "\n"
                     "1. First\n"
                     "2. Second item that wraps\n"
                     "   onto a second line\n"
                     "### Analyst | Data Inc | 2016 - 2017\n"
                     "• Counted things\n"
                     "**Intern** – Big Bank, 2015\n"
                     "- Fetched coffee\n"
                     "### Designer - Studio Nine (Summer 2014)\n"
                     "## Profile\n"
                     "Builds things.\n"
                     "\n"
                     "Second paragraph.\n"
                     "## Technical Skills\n"
                     "- Go, C, Rust\n"
                     "- **Cloud**: AWS, GCP\n"
                     "## Volunteer Work\n"
                     "### Mentor — Code Club (2019)\n"
                     "## Honors & Awards\n"
                     "- Employee of the Year — Acme Corp (2022)\n"
                     "## Military Service\n"
                     "- Served four years\n";
    tl_resume *r = td_parse_str(md, TL_FORMAT_AUTO);
    assert_int_equal(r->format, TL_FORMAT_MARKDOWN);
    assert_string_equal(r->basics.location, "Denver, CO");
    assert_string_equal(r->basics.phone, "555-123-4567");
    assert_string_equal(r->basics.summary, "Builds things.\n\nSecond paragraph.");
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_string_equal(w->title, "Work Experience");
    assert_int_equal(w->n_entries, 5);
    check_work(&w->entries[0], "Staff Engineer", "Acme Corp", "March 2021", NULL, 1);
    check_work(&w->entries[1], "Lead Developer", "Widget Co", "Jan 2018", "Feb 2021", 2);
    assert_string_equal(w->entries[1].location, "Boulder, CO");
    assert_string_equal(w->entries[1].summary, "Short summary of the role.");
    assert_string_equal(w->entries[1].bullets[1], "Second item that wraps onto a second line");
    check_work(&w->entries[2], "Analyst", "Data Inc", "2016", "2017", 1);
    check_work(&w->entries[3], "Intern", "Big Bank", "2015", "2015", 1);
    check_work(&w->entries[4], "Designer", "Studio Nine", "Summer 2014", "Summer 2014", 0);
    tl_section *s = tl_resume_find_section(r, TL_SEC_SKILLS);
    assert_int_equal(s->n_entries, 2);
    assert_null(s->entries[0].title);
    assert_int_equal(s->entries[0].n_bullets, 3);
    assert_string_equal(s->entries[0].bullets[2], "Rust");
    assert_string_equal(s->entries[1].title, "Cloud");
    assert_int_equal(s->entries[1].n_bullets, 2);
    tl_section *v = tl_resume_find_section(r, TL_SEC_VOLUNTEER);
    assert_string_equal(v->entries[0].title, "Mentor");
    assert_string_equal(v->entries[0].org, "Code Club");
    tl_section *a = tl_resume_find_section(r, TL_SEC_AWARDS);
    assert_string_equal(a->entries[0].title, "Employee of the Year");
    assert_string_equal(a->entries[0].org, "Acme Corp");
    assert_string_equal(a->entries[0].date, "2022");
    int mi = tl_resume_section_index(r, "military_service");
    assert_true(mi >= 0);
    assert_int_equal(r->sections[mi].kind, TL_SEC_CUSTOM);
    assert_string_equal(r->sections[mi].title, "Military Service");
    assert_string_equal(r->sections[mi].entries[0].bullets[0], "Served four years");
    char id[64];
    tl_resume_entry_id(r, (size_t)mi, 0, 0, id, sizeof id);
    assert_string_equal(id, "military_service[0].highlights[0]");

    /* And it survives its own round trip. */
    tl_resume *b = td_reparse(r, TL_FORMAT_MARKDOWN, NULL);
    td_model_eq(r, b);
    tl_resume_free(b);
    tl_resume_free(r);
}

/* Employer as heading with the role in bold below, a head over three
 * lines, links in the contact line, list-style education and languages. */
static void test_more_variants(void **state)
{
    (void)state;
    const char *md = "# Jane Roe\n"
                     "**Senior Product Designer**\n"
                     "jane@roe.io \xc2\xb7 [LinkedIn](https://linkedin.com/in/janeroe) \xc2\xb7 "
                     "Berlin, Germany\n"
                     "\n"
                     "## About\n"
                     "I design things people like.\n"
                     "\n"
                     "## Experience\n"
                     "### Acme Corp\n"
                     "**Senior Engineer** | Jan 2020 \xe2\x80\x93 Present\n"
                     "- Shipped the thing\n"
                     "\n"
                     "### Senior Data Analyst\n"
                     "Greenleaf Grocers \xc2\xb7 Austin, TX\n"
                     "Jan 2022 \xe2\x80\x93 Present\n"
                     "- Built dashboards\n"
                     "\n"
                     "**Globex** \xe2\x80\x94 Designer (2016 \xe2\x80\x93 2019)\n"
                     "* Drew stuff\n"
                     "\n"
                     "## Education\n"
                     "- B.Sc. Design, Universit\xc3\xa4t der K\xc3\xbcnste Berlin, 2015\n"
                     "- A.A., Community College, 2012\n"
                     "\n"
                     "## Languages\n"
                     "English (native), German (C1)\n"
                     "## Interests\n"
                     "- Music: jazz, piano\n";
    tl_resume *r = td_parse_str(md, TL_FORMAT_AUTO);
    assert_string_equal(r->basics.label, "Senior Product Designer");
    assert_string_equal(r->basics.location, "Berlin, Germany");
    assert_string_equal(r->basics.summary, "I design things people like.");
    assert_int_equal(r->basics.n_profiles, 1);
    assert_string_equal(r->basics.profiles[0].url, "https://linkedin.com/in/janeroe");
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_int_equal(w->n_entries, 3);
    check_work(&w->entries[0], "Senior Engineer", "Acme Corp", "Jan 2020", NULL, 1);
    check_work(&w->entries[1], "Senior Data Analyst", "Greenleaf Grocers", "Jan 2022", NULL, 1);
    assert_string_equal(w->entries[1].location, "Austin, TX");
    check_work(&w->entries[2], "Designer", "Globex", "2016", "2019", 1);
    tl_section *ed = tl_resume_find_section(r, TL_SEC_EDUCATION);
    assert_int_equal(ed->n_entries, 2);
    assert_string_equal(ed->entries[0].title, "B.Sc. Design");
    assert_string_equal(ed->entries[0].org, "Universit\xc3\xa4t der K\xc3\xbcnste Berlin");
    assert_string_equal(ed->entries[1].end_date, "2012");
    tl_section *la = tl_resume_find_section(r, TL_SEC_LANGUAGES);
    assert_int_equal(la->n_entries, 2);
    assert_string_equal(la->entries[1].title, "German");
    assert_string_equal(tl_entry_field(&la->entries[1], "fluency"), "C1");
    tl_section *in = tl_resume_find_section(r, TL_SEC_INTERESTS);
    assert_string_equal(in->entries[0].title, "Music");
    assert_int_equal(in->entries[0].n_bullets, 2);
    tl_resume *b = td_reparse(r, TL_FORMAT_MARKDOWN, NULL);
    td_model_eq(r, b);
    tl_resume_free(b);
    tl_resume_free(r);
}

/* Sections as "#" headings, entries as "##". */
static void test_top_level_sections(void **state)
{
    (void)state;
    const char *md = "Jo Smith\njo@example.com\n\n# Experience\n## Nurse, City Hospital (2019 – 2021)\n"
                     "- Cared\n# Skills\n- Triage, ICU\n";
    tl_resume *r = td_parse_str(md, TL_FORMAT_MARKDOWN);
    assert_string_equal(r->basics.name, "Jo Smith");
    assert_string_equal(r->basics.email, "jo@example.com");
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_non_null(w);
    check_work(&w->entries[0], "Nurse", "City Hospital", "2019", "2021", 1);
    assert_int_equal(td_bullets_of(r, TL_SEC_SKILLS), 2);
    tl_resume_free(r);
}

/* Text that looks like markup is escaped on the way out and read back as
 * it was. */
static void test_escaping(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_int_equal(tl_resume_set(r, &r->basics.name, "A **B**"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.email, "a@b.co"), TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.summary, "# not a heading\n- not a bullet"),
                     TL_OK);
    tl_section *w = tl_resume_add_section(r, TL_SEC_WORK, NULL, NULL);
    tl_entry *e = tl_section_add_entry(r, w);
    assert_int_equal(tl_resume_set(r, &e->title, "Dev"), TL_OK);
    const char *bl[] = {"# hash first", "**bold** and __under__", "1. numbered", "back\\*slash",
                        "- dash"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(tl_entry_add_bullet(r, e, bl[i], strlen(bl[i])), TL_OK);
    char *out = NULL;
    tl_resume *b = td_reparse(r, TL_FORMAT_MARKDOWN, &out);
    assert_string_equal(b->basics.name, "A **B**");
    tl_entry *be = &b->sections[0].entries[0];
    assert_int_equal(be->n_bullets, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(be->bullets[i], bl[i]);
    assert_string_equal(b->basics.summary, "# not a heading - not a bullet");
    free(out);
    tl_resume_free(b);
    tl_resume_free(r);
}

static void test_empty_and_bad(void **state)
{
    (void)state;
    tl_resume *r = NULL;
    tl_doc_error err;
    const char *s = "## Experience\n\n## Skills\n";
    assert_int_equal(tl_resume_parse(s, strlen(s), TL_FORMAT_MARKDOWN, &r, &err), TL_EEMPTY);
    assert_string_equal(err.message, "no recognisable resume sections");
    assert_null(r);
    s = "just a line of words\n";
    assert_int_equal(tl_resume_parse(s, strlen(s), TL_FORMAT_MARKDOWN, &r, &err), TL_EEMPTY);
    s = "# Name\n## Experience\n- \xed\xa0\x80 surrogate\n";
    assert_int_equal(tl_resume_parse(s, strlen(s), TL_FORMAT_MARKDOWN, &r, &err), TL_EUTF8);
    assert_int_equal(err.line, 3);
    /* Too many bullets in one entry. */
    size_t cap = 64 + (TL_MAX_BULLETS + 1) * 6;
    char *p = malloc(cap);
    assert_non_null(p);
    size_t n = (size_t)snprintf(p, cap, "# N\n## Experience\n### T\n");
    for (unsigned i = 0; i <= TL_MAX_BULLETS; i++)
        n += (size_t)snprintf(p + n, cap - n, "- b%u\n", i % 10);
    assert_int_equal(tl_resume_parse(p, n, TL_FORMAT_MARKDOWN, &r, &err), TL_ETOOBIG);
    assert_non_null(strstr(err.message, "bullets"));
    assert_true(err.line > 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maria_fixture),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_json),          cmocka_unit_test(test_entry_variants),
        cmocka_unit_test(test_top_level_sections), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_more_variants),      cmocka_unit_test(test_empty_and_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
