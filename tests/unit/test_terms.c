/* The terminology dictionary: data, variants, boundaries, context rules,
 * longest match, user files, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "doc/terms.h"
#include "util/file.h"
#include "util/limits.h"

static int setup(void **state)
{
    tl_terms *t = NULL;
    if (tl_terms_load_default(&t) != TL_OK)
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tl_terms_free(*state);
    return 0;
}

/* ---- helpers ---- */

#define MAX_FOUND 64

typedef struct found {
    const tl_terms *t;
    const char *text;
    char items[MAX_FOUND][128]; /* "Canonical=surface" */
    int n;
} found;

static bool collect(void *ud, const tl_term_match *m)
{
    found *f = ud;
    if (f->n < MAX_FOUND) {
        snprintf(f->items[f->n], sizeof f->items[f->n], "%s=%.*s", tl_terms_canonical(f->t, m->id),
                 (int)m->len, f->text + m->start);
        f->n++;
    }
    return true;
}

static found *scan(const tl_terms *t, const char *text)
{
    static found f;
    memset(&f, 0, sizeof f);
    f.t = t;
    f.text = text;
    tl_terms_scan(t, text, strlen(text), collect, &f);
    return &f;
}

/* The matches of text joined with ", ": "Go=Go, Kafka=Apache Kafka". */
static const char *scan_str(const tl_terms *t, const char *text)
{
    static char out[4096];
    found *f = scan(t, text);
    out[0] = '\0';
    size_t o = 0;
    for (int i = 0; i < f->n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? ", " : "", f->items[i]);
    return out;
}

/* True when canonical term c is found in text. */
static bool finds(const tl_terms *t, const char *text, const char *c)
{
    found *f = scan(t, text);
    size_t cn = strlen(c);
    for (int i = 0; i < f->n; i++)
        if (strncmp(f->items[i], c, cn) == 0 && f->items[i][cn] == '=')
            return true;
    return false;
}

static const char *canon(const tl_terms *t, const char *s)
{
    int id = tl_terms_lookup(t, s, strlen(s));
    return id < 0 ? "(none)" : tl_terms_canonical(t, id);
}

/* ---- data ---- */

static void test_default_size(void **state)
{
    const tl_terms *t = *state;
    assert_true(tl_terms_count(t) >= 400);
    /* every id has a canonical spelling and a category */
    for (size_t i = 0; i < tl_terms_count(t); i++) {
        assert_non_null(tl_terms_canonical(t, (int)i));
        assert_non_null(tl_terms_category(t, (int)i));
        /* the canonical spelling looks itself up */
        const char *c = tl_terms_canonical(t, (int)i);
        assert_int_equal(tl_terms_lookup(t, c, strlen(c)), (int)i);
    }
    assert_null(tl_terms_canonical(t, -1));
    assert_null(tl_terms_canonical(t, (int)tl_terms_count(t)));
    assert_null(tl_terms_category(t, 1 << 30));
}

static void test_variants(void **state)
{
    const tl_terms *t = *state;
    assert_string_equal(canon(t, "JS"), "JavaScript");
    assert_string_equal(canon(t, "javascript"), "JavaScript");
    assert_string_equal(canon(t, "Java Script"), "JavaScript");
    assert_string_equal(canon(t, "k8s"), "Kubernetes");
    assert_string_equal(canon(t, "golang"), "Go");
    assert_string_equal(canon(t, "postgres"), "PostgreSQL");
    assert_string_equal(canon(t, "psql"), "PostgreSQL");
    assert_string_equal(canon(t, "Apache Kafka"), "Kafka");
    assert_string_equal(canon(t, "REST"), "REST APIs");
    assert_string_equal(canon(t, "RESTful"), "REST APIs");
    assert_string_equal(canon(t, "protobuf"), "Protocol Buffers");
    assert_string_equal(canon(t, "Amazon Web Services"), "AWS");
    assert_string_equal(canon(t, "AB testing"), "A/B testing");
    assert_string_equal(canon(t, "A/B tests"), "A/B testing");
    assert_string_equal(canon(t, "RN"), "Registered Nurse");
    assert_string_equal(canon(t, "Bachelor of Science in Nursing"), "BSN");
    assert_string_equal(canon(t, "intensive care unit"), "ICU");
    assert_string_equal(canon(t, "Basic Life Support"), "BLS");
    assert_string_equal(canon(t, "Advanced Cardiovascular Life Support"), "ACLS");
    assert_string_equal(canon(t, "Epic EHR"), "Epic");
    assert_string_equal(canon(t, "electronic health records"), "EHR");
    assert_string_equal(canon(t, "med-surg"), "Medical-surgical");
    assert_string_equal(canon(t, "med surg"), "Medical-surgical");
    assert_string_equal(canon(t, "preceptor"), "Precepting");
    assert_string_equal(canon(t, "precept"), "Precepting");
    assert_string_equal(canon(t, "GTM"), "Go-to-market");
    assert_string_equal(canon(t, "B2B"), "B2B SaaS");
    assert_string_equal(canon(t, "ledger"), "Ledgers");
    assert_string_equal(canon(t, "PCI"), "PCI DSS");
    assert_string_equal(canon(t, "mentored"), "Mentoring");
    assert_string_equal(canon(t, "  step   down "), "Step-down");
    assert_string_equal(canon(t, "CI/CD"), "CI/CD");
    assert_string_equal(canon(t, "no such term"), "(none)");
    assert_string_equal(canon(t, ""), "(none)");
    /* case-sensitive spellings look up only as written */
    assert_string_equal(canon(t, "ER"), "Emergency department");
    assert_string_equal(canon(t, "er"), "(none)");
    assert_string_equal(tl_terms_category(t, tl_terms_lookup(t, "k8s", 3)), "cloud");
    assert_string_equal(tl_terms_category(t, tl_terms_lookup(t, "BLS", 3)), "certification");
}

/* Every skill, tool and certification of the sample documents is known. */
static void test_sample_terms_known(void **state)
{
    const tl_terms *t = *state;
    /* clang-format off */
    static const char *const must[] = {
        "kafka", "golang", "k8s", "postgres", "javascript", "python", "Java", "Spring",
        "REST APIs", "Airflow", "PostgreSQL", "React", "Jenkins", "Docker", "PHP", "MySQL",
        "Terraform", "AWS", "Redis", "SQL", "Kubernetes", "dbt", "Snowflake", "BigQuery",
        "Redshift", "Tableau", "Looker", "Power BI", "pandas", "NumPy", "statsmodels", "Excel",
        "A/B testing", "regression", "forecasting", "statistics", "data warehouse",
        "data pipelines", "Git", "Jupyter", "KPIs", "data quality", "EHR", "telemetry",
        "hemodynamic monitoring", "IV therapy", "vasoactive", "step-down", "medical-surgical",
        "precepting", "patient education", "wound care", "medication administration",
        "care planning", "acute care", "BSN", "BLS", "ACLS", "CCRN", "PCCN", "Epic", "ICU",
        "mechanical ventilation", "IABP", "cardiogenic shock", "mechanical circulatory support",
        "interdisciplinary team", "quality improvement", "product marketing", "positioning",
        "messaging", "sales enablement", "battlecards", "competitive analysis", "Amplitude",
        "B2B SaaS", "pitch decks", "customer research", "customer success", "SDK", "API",
        "payments", "ledgers", "PCI DSS", "ACH", "gRPC", "Protocol Buffers", "SLOs",
        "observability", "postmortems", "distributed systems", "relational databases",
        "infrastructure as code", "event-driven architecture", "mentoring",
        "stakeholder management", "communication", "leadership",
        "AWS Certified Solutions Architect – Associate", "Tableau Desktop Specialist",
        "Progressive Care Certified Nurse", "GitHub", "canary deploys", "autoscaling",
        "runbooks", "on-call", "stored procedures", "executive presentations", "documentation",
        "self-service reporting", "survey data", "team leadership", "Calm under pressure",
        "discharge plans", "blood products", "rapid response", "post-op", "Swan-Ganz catheters",
        "arterial lines", "caching strategies", "open-source contributions",
        "orchestration tools", "BI tools", "Retail", "grocery", "merchandising", "supply chain",
        "dashboards", "datasets", "experimentation", "developer tools", "product launches",
        "product analytics", "go-to-market", "R", "C", "C++", "C#", ".NET", "Node.js",
        "TypeScript", "Rust", "Swift", "Excel"};
    /* clang-format on */
    for (size_t i = 0; i < sizeof must / sizeof *must; i++) {
        if (tl_terms_lookup(t, must[i], strlen(must[i])) < 0)
            fail_msg("not in the dictionary: %s", must[i]);
    }
}

/* ---- matching ---- */

static void test_word_boundaries(void **state)
{
    const tl_terms *t = *state;
    assert_false(finds(t, "javascripts are not plural here, scalable", "Scala"));
    assert_false(finds(t, "The Javanese language", "Java"));
    assert_false(finds(t, "a sqlite3x file", "SQLite"));
    assert_false(finds(t, "CSS-in-JS", "C"));
    assert_false(finds(t, "talked to the C-level and C-suite", "C"));
    assert_false(finds(t, "R&D budget", "R"));
    assert_false(finds(t, "contact sam.okafor@example.net today", ".NET"));
    assert_false(finds(t, "open app.js in the editor", "JavaScript"));
    assert_false(finds(t, "I use go.mod files", "Go"));
    assert_true(finds(t, "Kafka-based pipelines", "Kafka"));
    assert_true(finds(t, "Built on .NET and C# with C++ tools", ".NET"));
    assert_true(finds(t, "Built on .NET and C# with C++ tools", "C#"));
    assert_true(finds(t, "Built on .NET and C# with C++ tools", "C++"));
    assert_true(finds(t, "Services in Node.js.", "Node.js"));
    /* nothing inside addresses */
    assert_string_equal(scan_str(t, "see https://github.com/alexchen or www.kafka.example, "
                                    "mail sql@aws.example; linkedin.com/in/python-dev"),
                        "");
    assert_string_equal(scan_str(t, "GitHub: https://x.example (Go)"), "Git=GitHub, Go=Go");
    assert_true(finds(t, "ASP.NET and Node.js", "ASP.NET"));
    assert_string_equal(scan_str(t, "REST APIs and SLOs"), "REST APIs=REST APIs, SLOs=SLOs");
    assert_string_equal(scan_str(t, "two APIs, five KPIs"), "APIs=APIs, Metrics=KPIs");
    assert_string_equal(scan_str(t, "Düsseldorf SQL café"), "SQL=SQL");
    assert_string_equal(scan_str(t, "Python—SQL"), "Python=Python, SQL=SQL");
}

static void test_flexible_separators(void **state)
{
    const tl_terms *t = *state;
    assert_string_equal(scan_str(t, "step-down unit"), "Step-down=step-down unit");
    assert_string_equal(scan_str(t, "step down"), "Step-down=step down");
    assert_string_equal(scan_str(t, "Step  -  Down"), "Step-down=Step  -  Down");
    assert_string_equal(scan_str(t, "med-surg and medical surgical"),
                        "Medical-surgical=med-surg, Medical-surgical=medical surgical");
    assert_string_equal(scan_str(t, "go-to-market plan"), "Go-to-market=go-to-market");
    assert_string_equal(scan_str(t, "Solutions Architect – Associate"), "");
    assert_true(finds(t, "AWS Certified Solutions Architect – Associate",
                      "AWS Certified Solutions Architect"));
    /* a line break is not a separator */
    assert_false(finds(t, "Power\nBI", "Power BI"));
}

static void test_longest_match(void **state)
{
    const tl_terms *t = *state;
    assert_string_equal(scan_str(t, "on Apache Kafka and Kafka"),
                        "Kafka=Apache Kafka, Kafka=Kafka");
    assert_string_equal(scan_str(t, "Power BI dashboards"),
                        "Power BI=Power BI, Dashboards=dashboards");
    assert_string_equal(scan_str(t, "React Native app"), "React Native=React Native");
    assert_string_equal(scan_str(t, "Spring Boot services"), "Spring Boot=Spring Boot");
    assert_string_equal(scan_str(t, "Document care in Epic EHR"), "Epic=Epic EHR");
    assert_string_equal(scan_str(t, "Ruby on Rails"), "Ruby on Rails=Ruby on Rails");
    assert_string_equal(scan_str(t, "Bachelor of Science in Nursing"),
                        "BSN=Bachelor of Science in Nursing");
}

static void test_go_context(void **state)
{
    const tl_terms *t = *state;
    /* the language */
    assert_true(finds(t, "Design services in Go (Golang)", "Go"));
    assert_true(finds(t, "Strong experience with Go in production", "Go"));
    assert_true(finds(t, "You will own critical Go services end to end", "Go"));
    assert_true(finds(t, "Languages: Go, Java, Python", "Go"));
    assert_true(finds(t, "- Go", "Go"));
    assert_true(finds(t, "python, go, sql", "Go"));
    assert_true(finds(t, "written in go.", "Go"));
    assert_true(finds(t, "An open-source persistent job queue in Go", "Go"));
    assert_true(finds(t, "go services and tooling", "Go"));
    assert_string_equal(scan_str(t, "redesign of the ledger service in golang"),
                        "Ledgers=ledger service, Go=golang");
    /* the verb */
    assert_false(finds(t, "Let's go!", "Go"));
    assert_false(finds(t, "Let's Go", "Go"));
    assert_false(finds(t, "We go the extra mile", "Go"));
    assert_false(finds(t, "Go to the office on Mondays", "Go"));
    assert_false(finds(t, "ready to go live next week", "Go"));
    assert_false(finds(t, "Ready to Go live", "Go"));
    assert_false(finds(t, "things go wrong", "Go"));
    assert_string_equal(scan_str(t, "Plan the go to market and go-to-market motions"),
                        "Go-to-market=go to market, Go-to-market=go-to-market");
}

static void test_everyday_words(void **state)
{
    const tl_terms *t = *state;
    assert_true(finds(t, "Built a React dashboard for dispatchers", "React"));
    assert_false(finds(t, "Nurses react quickly to alarms", "React"));
    assert_false(finds(t, "we react to incidents", "React"));
    assert_true(finds(t, "Developed REST APIs in Java/Spring for dispatch", "Spring"));
    assert_false(finds(t, "Graduated in Spring 2019", "Spring"));
    assert_false(finds(t, "Spring semester projects", "Spring"));
    assert_false(finds(t, "there is a spring in the garden", "Spring"));
    assert_true(finds(t, "Built an Excel model for staffing", "Excel"));
    assert_true(finds(t, "SQL, Python, R, Excel", "Excel"));
    assert_false(finds(t, "You will excel at building rapport", "Excel"));
    assert_false(finds(t, "Excel at building rapport", "Excel"));
    assert_true(finds(t, "Experience with Epic documentation", "Epic"));
    assert_true(finds(t, "Telemetry monitoring, IV therapy, Epic, wound care", "Epic"));
    assert_false(finds(t, "an epic journey", "Epic"));
    assert_false(finds(t, "split the Epics into stories", "Epic"));
    assert_true(finds(t, "iOS apps in Swift", "Swift"));
    assert_false(finds(t, "a swift response to incidents", "Swift"));
    assert_true(finds(t, "Rust, Go and C++", "Rust"));
    assert_false(finds(t, "removed rust from the pipes", "Rust"));
    assert_true(finds(t, "an Express app", "Express.js"));
    assert_false(finds(t, "express interest in the role", "Express.js"));
    assert_true(finds(t, "Automated with Airflow", "Airflow"));
}

static void test_single_letters(void **state)
{
    const tl_terms *t = *state;
    assert_true(finds(t, "Ran regression analyses in R and wrote methods", "R"));
    assert_true(finds(t, "SQL, Python (pandas, NumPy), R, Excel", "R"));
    assert_true(finds(t, "- R", "R"));
    assert_true(finds(t, "Systems programming in C", "C"));
    assert_true(finds(t, "C/C++ developer", "C"));
    assert_true(finds(t, "C/C++ developer", "C++"));
    assert_false(finds(t, "Sam R. Okafor", "R"));
    assert_false(finds(t, "rated r for language", "R"));
    assert_false(finds(t, "Vitamin C levels", "C"));
    assert_false(finds(t, "Plan B or plan C", "C"));
    assert_false(finds(t, "grade C", "C"));
}

static bool stop_after_one(void *ud, const tl_term_match *m)
{
    (void)m;
    (*(int *)ud)++;
    return false;
}

static void test_scan_stop_and_edges(void **state)
{
    const tl_terms *t = *state;
    int calls = 0;
    const char *s = "Python, SQL, Kafka";
    tl_terms_scan(t, s, strlen(s), stop_after_one, &calls);
    assert_int_equal(calls, 1);
    tl_terms_scan(t, "", 0, stop_after_one, &calls);
    tl_terms_scan(NULL, s, strlen(s), stop_after_one, &calls);
    assert_int_equal(calls, 1);
    /* invalid UTF-8 and a NUL in the middle do not trip the scanner */
    const char bad[] = "SQL \xff\xfe Go\0 Kafka \xe2\x80";
    found f = {0};
    f.t = t;
    f.text = bad;
    tl_terms_scan(t, bad, sizeof bad - 1, collect, &f);
    assert_true(f.n >= 2);
    /* offsets and lengths are in bytes of the scanned text */
    const char *u = "Kenntnisse in Kubernetes";
    found *g = scan(t, u);
    assert_int_equal(g->n, 1);
    assert_string_equal(g->items[0], "Kubernetes=Kubernetes");
}

/* ---- user files ---- */

static char *write_temp(const char *content)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tl_terms_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_user_file_extends(void **state)
{
    (void)state;
    tl_terms *t = NULL;
    assert_int_equal(tl_terms_load_default(&t), TL_OK);
    size_t before = tl_terms_count(t);
    char *path = write_temp("# my terms\n"
                            "[software]\n"
                            "Kubernetes | kubes | K-8-S\n" /* extends a known term */
                            "golang | Go programming\n"    /* a variant names the term */
                            "Zig | ziglang\n"              /* a new term */
                            "\n"
                            "[robotics]\n"
                            "ROS | Robot Operating System\n");
    tl_doc_error err;
    assert_int_equal(tl_terms_load_file(t, path, &err), TL_OK);
    unlink(path);
    assert_int_equal(tl_terms_count(t), before + 2);
    assert_string_equal(canon(t, "kubes"), "Kubernetes");
    assert_string_equal(canon(t, "k 8 s"), "Kubernetes");
    assert_string_equal(canon(t, "Go programming"), "Go");
    assert_string_equal(canon(t, "ziglang"), "Zig");
    assert_string_equal(tl_terms_category(t, tl_terms_lookup(t, "zig", 3)), "software");
    assert_string_equal(tl_terms_category(t, tl_terms_lookup(t, "ROS", 3)), "robotics");
    /* the new spellings are found by a scan too */
    assert_string_equal(scan_str(t, "kubes and Zig and the Robot Operating System"),
                        "Kubernetes=kubes, Zig=Zig, ROS=Robot Operating System");
    /* a missing file */
    assert_int_equal(tl_terms_load_file(t, "/nonexistent/terms.txt", &err), TL_EIO);
    assert_non_null(strstr(err.message, "/nonexistent/terms.txt"));
    /* a bad user file is named with its line */
    path = write_temp("Zig2 | zz\nbad | | line\n");
    assert_int_equal(tl_terms_load_file(t, path, &err), TL_EFORMAT);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "line 2"));
    unlink(path);
    assert_string_equal(canon(t, "zz"), "(none)");
    tl_terms_free(t);
}

static void expect_bad(const char *text, int line, const char *words)
{
    tl_terms *t = tl_terms_new();
    assert_non_null(t);
    tl_doc_error err;
    assert_int_equal(tl_terms_parse(t, text, strlen(text), &err), TL_EFORMAT);
    assert_int_equal(err.line, line);
    char want[32];
    snprintf(want, sizeof want, "line %d", line);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, words));
    assert_int_equal(tl_terms_count(t), 0); /* a bad file adds nothing */
    tl_terms_free(t);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    expect_bad("[software]\nGo | Golang\nJS | | Java Script\n", 3, "empty term");
    expect_bad("Go\n[software\n", 2, "']'");
    expect_bad("# c\n\n[ ]\n", 3, "empty category");
    expect_bad("A | B |\n", 1, "empty term");
    expect_bad("ok\n~ | x\n", 2, "empty term");
    expect_bad("x\n- - -\n", 2, "separators");
    expect_bad("a\tb\nx\x01y\n", 2, "control");
    char longline[400];
    memset(longline, 'a', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    expect_bad(longline, 1, "longer than");
    /* invalid UTF-8 is its own error */
    tl_terms *t = tl_terms_new();
    tl_doc_error err;
    assert_int_equal(tl_terms_parse(t, "ok\nbad \xc3\x28\n", 10, &err), TL_EUTF8);
    assert_int_equal(err.line, 2);
    /* CRLF, comments and blank lines are fine */
    const char *crlf = "# c\r\n\r\n[x]\r\nFoo | Bar\r\n";
    assert_int_equal(tl_terms_parse(t, crlf, strlen(crlf), &err), TL_OK);
    assert_string_equal(canon(t, "bar"), "Foo");
    tl_terms_free(t);
}

static void test_markers(void **state)
{
    (void)state;
    tl_terms *t = tl_terms_new();
    tl_doc_error err;
    const char *d = "[x]\n~Bolt | Bolt framework\n=OR | operating room\n";
    assert_int_equal(tl_terms_parse(t, d, strlen(d), &err), TL_OK);
    assert_true(finds(t, "We use Bolt, Kafka", "Bolt"));
    assert_true(finds(t, "built with Bolt framework", "Bolt"));
    assert_false(finds(t, "bolt the door", "Bolt"));
    assert_true(finds(t, "OR nurse", "OR"));
    assert_false(finds(t, "this or that", "OR"));
    assert_string_equal(canon(t, "OR"), "OR");
    assert_string_equal(canon(t, "or"), "(none)");
    tl_terms_free(t);
}

/* ---- threads ---- */

typedef struct worker {
    const tl_terms *t;
    const char *text;
    size_t n;
    int hits;
} worker;

static bool count_hit(void *ud, const tl_term_match *m)
{
    (void)m;
    (*(int *)ud)++;
    return true;
}

static void *scan_many(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 50; i++) {
        int hits = 0;
        tl_terms_scan(w->t, w->text, w->n, count_hit, &hits);
        if (i && hits != w->hits)
            w->hits = -1;
        else
            w->hits = hits;
    }
    return NULL;
}

/* One dictionary, read by several threads at once. */
static void test_shared_by_threads(void **state)
{
    const tl_terms *t = *state;
    const char *text = "Go, Kafka and PostgreSQL on k8s; BLS, ACLS, Epic; SQL, R, Excel";
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){t, text, strlen(text), 0};
        assert_int_equal(pthread_create(&th[i], NULL, scan_many, &w[i]), 0);
    }
    int joined = 0;
    for (int i = 0; i < 4; i++)
        joined += pthread_join(th[i], NULL) == 0;
    assert_int_equal(joined, 4); /* all joined before any check can jump out */
    for (int i = 0; i < 4; i++)
        assert_int_equal(w[i].hits, 10);
}

/* ---- speed ---- */

static void test_scan_speed(void **state)
{
    const tl_terms *t = *state;
    char *text = NULL;
    size_t n = 0;
    assert_int_equal(tl_file_read(TL_TEST_DATA "/alex-chen.json", TL_MAX_RESUME_BYTES, &text, &n),
                     TL_OK);
    int hits = 0;
    found f;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    enum { ROUNDS = 200 };
    for (int i = 0; i < ROUNDS; i++) {
        memset(&f, 0, sizeof f);
        f.t = t;
        f.text = text;
        tl_terms_scan(t, text, n, collect, &f);
        hits = f.n;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us =
        ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / ROUNDS;
    print_message("scan of a %zu-byte resume: %.1f us, %d terms\n", n, us, hits);
    assert_true(hits > 30);
    assert_true(us < 2000.0); /* generous: sanitizer builds are slow */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_size),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_sample_terms_known),
        cmocka_unit_test(test_word_boundaries),
        cmocka_unit_test(test_flexible_separators),
        cmocka_unit_test(test_longest_match),
        cmocka_unit_test(test_go_context),
        cmocka_unit_test(test_everyday_words),
        cmocka_unit_test(test_single_letters),
        cmocka_unit_test(test_scan_stop_and_edges),
        cmocka_unit_test(test_user_file_extends),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_markers),
        cmocka_unit_test(test_shared_by_threads),
        cmocka_unit_test(test_scan_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
