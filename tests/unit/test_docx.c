/* DOCX: the writer's documents read back with every role, date and bullet;
 * LibreOffice opens them; documents LibreOffice wrote are read; styles map
 * to the model; malformed files, oversized files and zip bombs are refused
 * with a clear message. */
#include "test_documents_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "doc/docx.h"

static tl_resume *docx_back(const char *data, size_t len)
{
    tl_resume *b = NULL;
    tl_doc_error err;
    tl_err e = tl_docx_read(data, len, &b, &err);
    if (e)
        print_error("docx read: %s\n", err.message);
    assert_int_equal(e, TL_OK);
    return b;
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        tl_resume *r = td_fixture(td_fixtures[i]);
        for (int letter = 0; letter < 2; letter++) {
            tl_docx_opts o = {.letter = letter};
            char *d = NULL;
            size_t n = 0;
            assert_int_equal(tl_docx_write(r, &o, &d, &n), TL_OK);
            assert_true(tl_docx_sniff(d, n));
            tl_resume *b = docx_back(d, n);
            assert_string_equal(b->basics.name, r->basics.name);
            td_assert_survives(r, b, td_fixtures[i]);
            tl_resume *t = td_text_round_trip(r);
            td_assert_survives(t, b, td_fixtures[i]);
            tl_resume_free(t);
            tl_resume_free(b);
            free(d);
        }
        tl_resume_free(r);
    }
}

/* The parts of the archive, and what the document does not use. */
static char *entry(const char *d, size_t n, const char *name)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(d, n, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    assert_non_null(za);
    zip_stat_t st;
    char *out = NULL;
    if (zip_stat(za, name, 0, &st) == 0) {
        zip_file_t *f = zip_fopen(za, name, 0);
        out = calloc(1, st.size + 1);
        assert_int_equal(zip_fread(f, out, st.size), (zip_int64_t)st.size);
        zip_fclose(f);
    }
    zip_discard(za);
    zip_error_fini(&ze);
    return out;
}

static void test_structure(void **state)
{
    (void)state;
    tl_resume *r = td_fixture("maria-lopez.md");
    /* markup-like text is escaped */
    tl_section *w = tl_resume_find_section(r, TL_SEC_WORK);
    assert_int_equal(tl_entry_add_bullet(r, &w->entries[0], "Led R&D <core> \"team\" 'x'", 26),
                     TL_OK);
    char *d = NULL;
    size_t n = 0;
    assert_int_equal(tl_docx_write(r, NULL, &d, &n), TL_OK);
    static const char *const parts[] = {"[Content_Types].xml", "_rels/.rels",
                                        "word/document.xml",   "word/styles.xml",
                                        "word/numbering.xml",  "word/_rels/document.xml.rels"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *p = entry(d, n, parts[i]);
        assert_non_null(p);
        free(p);
    }
    char *doc = entry(d, n, "word/document.xml");
    assert_non_null(strstr(doc, "<w:pStyle w:val=\"Title\"/>"));
    assert_non_null(strstr(doc, "<w:pStyle w:val=\"Heading1\"/>"));
    assert_non_null(strstr(doc, "<w:pStyle w:val=\"Heading2\"/>"));
    assert_non_null(strstr(doc, "<w:numId w:val=\"1\"/>"));
    assert_null(strstr(doc, "<w:tbl"));
    assert_null(strstr(doc, "txbx"));
    assert_non_null(strstr(doc, "R&amp;D &lt;core&gt; &quot;team&quot; &apos;x&apos;"));
    assert_non_null(strstr(doc, "w:w=\"11906\"")); /* A4 */
    free(doc);
    char *num = entry(d, n, "word/numbering.xml");
    assert_non_null(strstr(num, "<w:numFmt w:val=\"bullet\"/>"));
    free(num);
    tl_resume *b = docx_back(d, n);
    const tl_entry *e = &tl_resume_find_section(b, TL_SEC_WORK)->entries[0];
    assert_string_equal(e->bullets[e->n_bullets - 1], "Led R&D <core> \"team\" 'x'");
    tl_resume_free(b);
    free(d);
    tl_resume_free(r);
}

/* ---- documents made here, by hand ---- */

typedef struct part {
    const char *name;
    const char *data;
    size_t n; /* 0: strlen */
} part;

static char *make_zip(const part *parts, size_t count, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    for (size_t i = 0; i < count; i++) {
        size_t n = parts[i].n ? parts[i].n : strlen(parts[i].data);
        zip_source_t *s = zip_source_buffer(za, parts[i].data, n, 0);
        assert_true(zip_file_add(za, parts[i].name, s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    zip_stat_t st;
    assert_int_equal(zip_source_stat(src, &st), 0);
    char *out = malloc(st.size);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_read(src, out, st.size), (zip_int64_t)st.size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = st.size;
    return out;
}

#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""

static const char styled_doc[] =
    "<?xml version=\"1.0\"?><w:document " W "><w:body>"
    "<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr><w:r><w:t>Jane Doe</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>jane@example.com</w:t></w:r><w:r><w:tab/><w:t>555-0100</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:pStyle w:val=\"Berschrift1\"/></w:pPr><w:r><w:t>Leadership "
    "Roles</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:pStyle w:val=\"Heading2\"/></w:pPr><w:r><w:t>Team Lead</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Acme Corp | Jan 2020 - Present</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"3\"/></w:numPr></w:pPr>"
    "<w:r><w:t xml:space=\"preserve\">Grew the team </w:t></w:r><w:del><w:r><w:delText>not this"
    "</w:delText></w:r></w:del><w:r><w:t>to 9 people</w:t></w:r></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:pPr><w:pStyle w:val=\"ListParagraph\"/></w:pPr>"
    "<w:r><w:t>Ran weekly planning</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Education</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>BS in Physics, State University, 2019</w:t></w:r></w:p>"
    "</w:body></w:document>";

static const char styled_styles[] =
    "<?xml version=\"1.0\"?><w:styles " W ">"
    "<w:style w:type=\"paragraph\" w:styleId=\"Berschrift1\"><w:name w:val=\"heading "
    "1\"/></w:style>"
    "</w:styles>";

static void test_styles(void **state)
{
    (void)state;
    part parts[] = {{"word/document.xml", styled_doc, 0}, {"word/styles.xml", styled_styles, 0}};
    size_t n;
    char *d = make_zip(parts, 2, &n);
    char *text = NULL;
    size_t tn;
    tl_doc_error err;
    assert_int_equal(tl_docx_text(d, n, &text, &tn, &err), TL_OK);
    assert_non_null(strstr(text, "LEADERSHIP ROLES\n"));
    assert_non_null(strstr(text, "jane@example.com | 555-0100"));
    assert_non_null(strstr(text, "\xe2\x80\xa2 Grew the team to 9 people\n"));
    assert_null(strstr(text, "not this"));
    free(text);
    tl_resume *r = docx_back(d, n);
    assert_string_equal(r->basics.name, "Jane Doe");
    assert_string_equal(r->basics.email, "jane@example.com");
    assert_int_equal(r->n_sections, 2);
    assert_string_equal(r->sections[0].title, "Leadership Roles");
    const tl_entry *e = &r->sections[0].entries[0];
    assert_string_equal(e->title, "Team Lead");
    assert_string_equal(e->org, "Acme Corp");
    assert_string_equal(e->start_date, "Jan 2020");
    assert_int_equal(e->n_bullets, 2);
    assert_string_equal(e->bullets[0], "Grew the team to 9 people");
    assert_string_equal(e->bullets[1], "Ran weekly planning");
    assert_int_equal(r->sections[1].kind, TL_SEC_EDUCATION);
    tl_resume_free(r);
    free(d);
}

/* Documents LibreOffice wrote (tests/data/documents/make.sh): from tailor's
 * HTML of each fixture resume (compared with the resume the page shows,
 * NAME.lo.json), and from the plain-text resume as it is (no styles at
 * all). Every role, bullet, skill and education entry is read back into
 * its section. */
static void test_libreoffice_fixtures(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"documents/maria-lopez.lo.docx", "documents/maria-lopez.lo.json"},
        {"documents/sam-okafor.lo.docx", "documents/sam-okafor.lo.json"},
        {"documents/sam-okafor-plain.lo.docx", "sam-okafor.txt"},
        {"documents/alex-chen.lo.docx", "documents/alex-chen.lo.json"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t n;
        char *d = td_read(pairs[i][0], TL_DOCX_MAX_BYTES, &n);
        tl_resume *b = docx_back(d, n);
        tl_resume *r = td_fixture(pairs[i][1]);
        td_assert_same_content(r, b, pairs[i][0]);
        assert_int_equal(tl_resume_bullet_count(b), tl_resume_bullet_count(r));
        tl_resume_free(r);
        tl_resume_free(b);
        free(d);
    }
}

/* LibreOffice opens what the writer writes and converts it to PDF. */
static void test_opens_in_libreoffice(void **state)
{
    (void)state;
    td_need_tool("soffice", "libreoffice-writer-nogui");
    char dir[] = "/tmp/tl_docx_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048] = "", path[600];
    int k = snprintf(cmd, sizeof cmd,
                     "cd %s && HOME=%s timeout 110 soffice -env:UserInstallation=file://%s/profile "
                     "--headless --convert-to pdf --outdir %s",
                     dir, dir, dir, dir);
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        tl_resume *r = td_fixture(td_fixtures[i]);
        char *d = NULL;
        size_t n = 0;
        assert_int_equal(tl_docx_write(r, NULL, &d, &n), TL_OK);
        snprintf(path, sizeof path, "%s/r%zu.docx", dir, i);
        assert_int_equal(tl_file_write(path, d, n), TL_OK);
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " r%zu.docx", i);
        free(d);
        tl_resume_free(r);
    }
    k += snprintf(cmd + k, sizeof cmd - (size_t)k, " >%s/log 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < sizeof td_fixtures / sizeof td_fixtures[0]; i++) {
        snprintf(path, sizeof path, "%s/r%zu.pdf", dir, i);
        struct stat st;
        if (stat(path, &st) != 0)
            print_error("LibreOffice did not convert %s\n", td_fixtures[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 1000);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void expect_refusal(const char *d, size_t n, tl_err want, const char *msg_part)
{
    tl_resume *r = NULL;
    tl_doc_error err;
    tl_err e = tl_docx_read(d, n, &r, &err);
    if (e != want || !strstr(err.message, msg_part))
        print_error("got %d '%s', want %d '%s'\n", e, err.message, want, msg_part);
    assert_int_equal(e, want);
    assert_null(r);
    assert_non_null(strstr(err.message, msg_part));
}

static void test_malformed(void **state)
{
    (void)state;
    expect_refusal("", 0, TL_EEMPTY, "empty");
    expect_refusal("hello world", 11, TL_EFORMAT, "not a DOCX");
    expect_refusal("PK\x03\x04garbage garbage garbage", 27, TL_EFORMAT, "zip");
    /* a zip that is not a Word document */
    part other[] = {{"hello.txt", "hi", 0}};
    size_t n;
    char *d = make_zip(other, 1, &n);
    expect_refusal(d, n, TL_EFORMAT, "not a Word document");
    free(d);
    /* truncated */
    tl_resume *r = td_fixture("maria-lopez.md");
    assert_int_equal(tl_docx_write(r, NULL, &d, &n), TL_OK);
    expect_refusal(d, n / 2, TL_EFORMAT, "DOCX");
    free(d);
    tl_resume_free(r);
    /* bad XML, a DTD (entity expansion), no body, no text */
    part bad[] = {{"word/document.xml", "<w:document " W "><w:body><w:p>", 0}};
    d = make_zip(bad, 1, &n);
    expect_refusal(d, n, TL_EFORMAT, "not well-formed");
    free(d);
    part dtd[] = {{"word/document.xml",
                   "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
                   "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><w:document " W
                   "><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>",
                   0}};
    d = make_zip(dtd, 1, &n);
    expect_refusal(d, n, TL_EFORMAT, "document type declaration");
    free(d);
    part nobody[] = {{"word/document.xml", "<w:document " W "/>", 0}};
    d = make_zip(nobody, 1, &n);
    expect_refusal(d, n, TL_EFORMAT, "no document body");
    free(d);
    part empty[] = {{"word/document.xml", "<w:document " W "><w:body/></w:document>", 0}};
    d = make_zip(empty, 1, &n);
    expect_refusal(d, n, TL_EEMPTY, "no text");
    free(d);
}

static void test_limits(void **state)
{
    (void)state;
    /* the file itself */
    size_t big = TL_DOCX_MAX_BYTES + 1;
    char *d = calloc(1, big);
    memcpy(d, "PK\x03\x04", 4);
    expect_refusal(d, big, TL_ETOOBIG, "limit");
    free(d);
    /* one entry that inflates past the per-entry limit (a zip bomb) */
    size_t zn = TL_DOCX_MAX_ENTRY_BYTES + 1;
    char *zeros = calloc(1, zn);
    part bomb[] = {{"word/document.xml", zeros, zn}};
    size_t n;
    d = make_zip(bomb, 1, &n);
    assert_true(n < 100000); /* small on disk */
    expect_refusal(d, n, TL_ETOOBIG, "uncompressed");
    free(d);
    /* entries that inflate past the total limit together */
    size_t each = TL_DOCX_MAX_ENTRY_BYTES;
    part many_big[5];
    char names[5][32];
    for (int i = 0; i < 5; i++) {
        snprintf(names[i], sizeof names[i], "word/media/f%d.bin", i);
        many_big[i].name = names[i];
        many_big[i].data = zeros;
        many_big[i].n = each;
    }
    d = make_zip(many_big, 5, &n);
    expect_refusal(d, n, TL_ETOOBIG, "inflates to more than");
    free(d);
    free(zeros);
    /* too many entries */
    size_t count = TL_DOCX_MAX_ENTRIES + 1;
    part *lots = calloc(count, sizeof *lots);
    char(*lnames)[32] = calloc(count, 32);
    for (size_t i = 0; i < count; i++) {
        snprintf(lnames[i], 32, "x/%zu", i);
        lots[i].name = lnames[i];
        lots[i].data = "x";
    }
    d = make_zip(lots, count, &n);
    expect_refusal(d, n, TL_ETOOBIG, "entries");
    free(d);
    free(lots);
    free(lnames);
}

static void test_letter_text(void **state)
{
    (void)state;
    const char *letter = "Jane Doe\njane@example.com\n\nDear Hiring Manager,\n\nI am writing "
                         "about R&D.\n\nSincerely,\nJane Doe\n";
    char *d = NULL;
    size_t n = 0;
    tl_docx_opts o = {.letter = true};
    assert_int_equal(tl_docx_write_text(letter, strlen(letter), &o, &d, &n), TL_OK);
    char *doc = entry(d, n, "word/document.xml");
    assert_non_null(strstr(doc, "R&amp;D"));
    assert_non_null(strstr(doc, "<w:br/>"));
    assert_non_null(strstr(doc, "w:w=\"12240\"")); /* US Letter */
    free(doc);
    char *text = NULL;
    size_t tn;
    tl_doc_error err;
    assert_int_equal(tl_docx_text(d, n, &text, &tn, &err), TL_OK);
    assert_non_null(strstr(text, "Dear Hiring Manager,"));
    assert_non_null(strstr(text, "Sincerely,\nJane Doe"));
    free(text);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_styles),
        cmocka_unit_test(test_libreoffice_fixtures),
        cmocka_unit_test(test_opens_in_libreoffice),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_letter_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
