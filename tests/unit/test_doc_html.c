/* HTML writer. */
#include "test_doc_common.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_page(void **state)
{
    (void)state;
    tl_resume *r = td_parse_file("alex-chen.json", TL_FORMAT_JSON);
    char *html = NULL;
    size_t len = 0;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_HTML, &html, &len), TL_OK);
    assert_int_equal(strlen(html), len);
    assert_true(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, "<title>Alex Chen \xe2\x80\x94 Resume</title>"));
    assert_non_null(strstr(html, "@media print"));
    assert_non_null(strstr(html, "@page"));
    assert_non_null(strstr(html, "</html>\n"));
    /* standalone: nothing fetched from elsewhere */
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    /* every bullet and skill is there */
    assert_int_equal(count(html, "<li>"), tl_resume_bullet_count(r) - 16 + 3 + 2 + 1);
    assert_non_null(strstr(html, "<li>Set up CI with Jenkins and Docker</li>"));
    assert_non_null(strstr(html, "<strong>Infrastructure:</strong> Kubernetes, Docker"));
    assert_non_null(strstr(html, "<a href=\"mailto:alex.chen@example.com\">"));
    assert_non_null(strstr(html, "<a href=\"tel:+14155550142\">"));
    assert_non_null(strstr(html, "<span class=\"dates\">2021-03 \xe2\x80\x93 Present</span>"));
    assert_non_null(strstr(html, "<h2>Experience</h2>"));
    free(html);
    tl_resume_free(r);
}

static void test_escaping(void **state)
{
    (void)state;
    tl_resume *r = tl_resume_new();
    assert_int_equal(tl_resume_set(r, &r->basics.name, "<script>alert('x')</script> & Co"),
                     TL_OK);
    assert_int_equal(tl_resume_set(r, &r->basics.url, "javascript:alert(1)"), TL_OK);
    tl_section *s = tl_resume_add_section(r, TL_SEC_CUSTOM, "x\"><b", "A \"quoted\" <title>");
    tl_entry *e = tl_section_add_entry(r, s);
    assert_int_equal(tl_resume_set(r, &e->url, "\" onmouseover=\"x"), TL_OK);
    assert_int_equal(tl_entry_add_bullet(r, e, "1 < 2 && 3 > 2", 14), TL_OK);
    char *html = NULL;
    assert_int_equal(tl_resume_write(r, TL_FORMAT_HTML, &html, NULL), TL_OK);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"));
    assert_null(strstr(html, "href=\"javascript:"));
    assert_null(strstr(html, "\" onmouseover"));
    assert_non_null(strstr(html, "<li>1 &lt; 2 &amp;&amp; 3 &gt; 2</li>"));
    assert_non_null(strstr(html, "<h2>A &quot;quoted&quot; &lt;title&gt;</h2>"));
    assert_non_null(strstr(html, "<section class=\"x---b\">"));
    free(html);
    tl_resume_free(r);
}

/* Every fixture renders; the Markdown and text ones too. */
static void test_fixtures(void **state)
{
    (void)state;
    const char *files[] = {"maria-lopez.md", "sam-okafor.txt"};
    for (size_t i = 0; i < 2; i++) {
        tl_resume *r = td_parse_file(files[i], TL_FORMAT_AUTO);
        char *html = NULL;
        assert_int_equal(tl_resume_write(r, TL_FORMAT_HTML, &html, NULL), TL_OK);
        assert_non_null(strstr(html, "<h1>"));
        assert_true(count(html, "<article class=\"entry\">") >= 3);
        free(html);
        tl_resume_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
