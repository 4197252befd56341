/* fake-llm (fakellm.h).
 *
 * Threads: MHD's worker threads run the access handler; one timer thread
 * resumes suspended connections when their latency has passed. `lock`
 * guards the counters, the random generator and the rate buckets;
 * `tlock` guards the timer heap. A request's state is touched by one MHD
 * thread at a time (MHD guarantees it per connection); the timer thread
 * only reads the heap entry's connection pointer and calls
 * MHD_resume_connection, which is thread-safe with
 * MHD_ALLOW_SUSPEND_RESUME. */
#include "provider/fakellm.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/str.h"

#define BODY_MAX (4u * 1024u * 1024u)

typedef struct req_state {
    tl_buf body;
    struct MHD_Response *resp; /* ready, waiting for the timer */
    unsigned status;
    bool suspended, held, answered;
    bool counted; /* in in_flight */
} req_state;

typedef struct timer_ent {
    uint64_t due;
    struct MHD_Connection *conn;
    req_state *rs;
} timer_ent;

struct tl_fakellm {
    tl_fakellm_opts o;
    struct MHD_Daemon *d;
    unsigned port;
    uint64_t t0;
    pthread_mutex_t lock;
    tl_fakellm_stats st;
    uint64_t rng[4];
    double req_bucket, tok_bucket;
    uint64_t bucket_at;
    uint64_t seq;
    /* timer */
    pthread_t timer;
    bool timer_started;
    pthread_mutex_t tlock;
    pthread_cond_t tcond;
    timer_ent *heap;
    size_t n_heap, cap_heap;
    atomic_bool stopping;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ random */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**; under f->lock. */
static uint64_t rng_next(tl_fakellm *f)
{
    uint64_t *s = f->rng;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static double rng_unit(tl_fakellm *f)
{
    return (double)(rng_next(f) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_normal(tl_fakellm *f)
{
    double u1 = rng_unit(f), u2 = rng_unit(f);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ------------------------------------------------------------ timer */

static void heap_up(timer_ent *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].due <= h[i].due)
            break;
        timer_ent t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void heap_down(timer_ent *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].due < h[m].due)
            m = l;
        if (r < n && h[r].due < h[m].due)
            m = r;
        if (m == i)
            return;
        timer_ent t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* Schedules a resume; false when out of memory (the caller answers now). */
static bool timer_add(tl_fakellm *f, struct MHD_Connection *c, req_state *rs, uint64_t due)
{
    pthread_mutex_lock(&f->tlock);
    if (atomic_load(&f->stopping)) {
        pthread_mutex_unlock(&f->tlock);
        return false;
    }
    if (f->n_heap == f->cap_heap) {
        size_t cap = f->cap_heap ? f->cap_heap * 2 : 256;
        timer_ent *h = realloc(f->heap, cap * sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&f->tlock);
            return false;
        }
        f->heap = h;
        f->cap_heap = cap;
    }
    f->heap[f->n_heap] = (timer_ent){due, c, rs};
    heap_up(f->heap, f->n_heap++);
    pthread_cond_signal(&f->tcond);
    pthread_mutex_unlock(&f->tlock);
    return true;
}

static void *timer_main(void *arg)
{
    tl_fakellm *f = arg;
    pthread_mutex_lock(&f->tlock);
    for (;;) {
        if (f->n_heap == 0) {
            if (atomic_load(&f->stopping))
                break;
            pthread_cond_wait(&f->tcond, &f->tlock);
            continue;
        }
        uint64_t now = now_ns();
        if (f->heap[0].due > now && !atomic_load(&f->stopping)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t wait = f->heap[0].due - now;
            uint64_t ns = (uint64_t)ts.tv_nsec + wait % 1000000000ull;
            ts.tv_sec += (time_t)(wait / 1000000000ull + ns / 1000000000ull);
            ts.tv_nsec = (long)(ns % 1000000000ull);
            pthread_cond_timedwait(&f->tcond, &f->tlock, &ts);
            continue;
        }
        timer_ent e = f->heap[0];
        f->heap[0] = f->heap[--f->n_heap];
        heap_down(f->heap, f->n_heap, 0);
        pthread_mutex_unlock(&f->tlock);
        MHD_resume_connection(e.conn);
        pthread_mutex_lock(&f->tlock);
    }
    pthread_mutex_unlock(&f->tlock);
    return NULL;
}

/* ------------------------------------------------------------ answers */

static bool is_word(unsigned char c)
{
    return tl_is_word_byte(c) || c == '_';
}

/* s with every whole-word occurrence of the map's keys replaced. */
static char *respell(const char *s, json_t *map, json_t *changes)
{
    tl_buf b;
    tl_buf_init(&b, BODY_MAX);
    size_t n = strlen(s), i = 0;
    while (i < n) {
        const char *key;
        json_t *val;
        bool hit = false;
        if (i == 0 || !is_word((unsigned char)s[i - 1])) {
            json_object_foreach(map, key, val)
            {
                size_t kn = strlen(key);
                const char *v = json_string_value(val);
                if (!v || kn == 0 || kn > n - i || memcmp(s + i, key, kn) != 0)
                    continue;
                if (i + kn < n && is_word((unsigned char)s[i + kn]))
                    continue;
                if (tl_buf_puts(&b, v) != TL_OK)
                    break;
                if (changes) {
                    char what[200];
                    snprintf(what, sizeof what, "respelled %.80s as %.80s", key, v);
                    json_array_append_new(
                        changes, json_pack("{s:s,s:s}", "what", what, "why", "the job's spelling"));
                }
                i += kn;
                hit = true;
                break;
            }
        }
        if (!hit) {
            if (tl_buf_putc(&b, s[i]) != TL_OK)
                break;
            i++;
        }
    }
    char *out = NULL;
    if (tl_buf_take(&b, &out, NULL) != TL_OK)
        out = strdup(s);
    tl_buf_free(&b);
    return out;
}

static int kw_score(const char *s, json_t *job, const char **first)
{
    static const char *const lists[] = {"matched_keywords", "missing_keywords"};
    int score = 0;
    size_t n = strlen(s);
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(job, lists[l]), i, v)
        {
            const char *k = json_string_value(v);
            if (k && strlen(k) >= 2 && tl_str_ifind(s, n, k)) {
                if (!score && first)
                    *first = k;
                score++;
            }
        }
    }
    return score;
}

static const char *const fake_employers[] = {" while at Initech Global",
                                             " for Vandelay Industries"};
static const char *const fake_numbers[] = {", saving $3,700,000 a year",
                                           ", growing revenue by 917%"};

/* The answer of one subsection. */
static json_t *tailor_one(tl_fakellm *f, json_t *sub, json_t *job, bool hallucinate)
{
    json_t *map = json_object_get(job, "term_map");
    json_t *out = json_object(), *changes = json_array(), *bullets = json_array();
    const char *id = json_string_value(json_object_get(sub, "id"));
    json_object_set_new(out, "id", json_string(id ? id : "0"));
    const char *summary = json_string_value(json_object_get(sub, "summary"));
    char *sum = summary ? respell(summary, map, changes) : NULL;
    json_t *in = json_object_get(sub, "bullets");
    size_t n = json_array_size(in);
    char **b = calloc(n + 1, sizeof *b);
    int *score = calloc(n + 1, sizeof *score);
    size_t *order = calloc(n + 1, sizeof *order);
    const char **why = calloc(n + 1, sizeof *why);
    if (!b || !score || !order || !why) {
        free(b);
        free(score);
        free(order);
        free(why);
        free(sum);
        json_decref(changes);
        json_decref(bullets);
        return out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *t = json_string_value(json_array_get(in, i));
        b[i] = respell(t ? t : "", map, changes);
        score[i] = b[i] ? kw_score(b[i], job, &why[i]) : 0;
        order[i] = i;
    }
    /* Stable insertion sort by score, highest first. */
    for (size_t i = 1; i < n; i++) {
        size_t x = order[i], k = i;
        while (k > 0 && score[order[k - 1]] < score[x]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = x;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i];
        const char *text = b[k] ? b[k] : "";
        if (hallucinate && i == 0) {
            pthread_mutex_lock(&f->lock);
            uint64_t r = rng_next(f);
            pthread_mutex_unlock(&f->lock);
            const char *add = (r & 1) ? fake_employers[(r >> 1) & 1] : fake_numbers[(r >> 1) & 1];
            char *h = NULL;
            if (asprintf(&h, "%s%s", text, add) >= 0) {
                json_array_append_new(bullets, json_string(h));
                free(h);
                continue;
            }
        }
        json_array_append_new(bullets, json_string(text));
        if (k != i) {
            char what[200];
            snprintf(what, sizeof what, "moved \"%.60s\" from %zu to %zu", text, k + 1, i + 1);
            char w[160];
            if (why[k])
                snprintf(w, sizeof w, "mentions %.100s, which the job asks for", why[k]);
            else
                snprintf(w, sizeof w, "mentions less of what the job asks for");
            json_array_append_new(changes, json_pack("{s:s,s:s}", "what", what, "why", w));
        }
    }
    if (sum) {
        if (hallucinate && n == 0) {
            char *h = NULL;
            if (asprintf(&h, "%s Formerly at Initech Global.", sum) >= 0) {
                free(sum);
                sum = h;
            }
        }
        json_object_set_new(out, "summary", json_string(sum));
    }
    if (json_object_get(sub, "bullets"))
        json_object_set_new(out, "bullets", bullets);
    else
        json_decref(bullets);
    json_object_set_new(out, "changes", changes);
    for (size_t i = 0; i < n; i++)
        free(b[i]);
    free(b);
    free(score);
    free(order);
    free(why);
    free(sum);
    return out;
}

static json_t *block_after(const char *text, const char *heading)
{
    const char *p = text ? strstr(text, heading) : NULL;
    if (!p)
        return NULL;
    p += strlen(heading);
    return json_loads(p, JSON_DISABLE_EOF_CHECK, NULL);
}

/* ---- cover letters (provider/letter.h) ---- */

static const char *article_for(const char *word)
{
    return word && strchr("aeioAEIO", word[0]) ? "an" : "a";
}

/* "a, b and c" */
static tl_err put_list(tl_buf *b, json_t *items)
{
    size_t i, n = json_array_size(items);
    json_t *v;
    tl_err e = TL_OK;
    json_array_foreach(items, i, v)
    {
        const char *r = json_string_value(json_object_get(v, "requirement"));
        if (e == TL_OK)
            e = tl_buf_printf(b, "%s%s", i == 0 ? "" : (i + 1 == n ? " and " : ", "), r ? r : "");
    }
    return e;
}

static char *take_or_null(tl_buf *b, tl_err e)
{
    char *out = NULL;
    if (e != TL_OK || tl_buf_take(b, &out, NULL) != TL_OK)
        out = NULL;
    tl_buf_free(b);
    return out;
}

static char *letter_opening(json_t *doc)
{
    const char *role = json_string_value(json_object_get(doc, "role"));
    const char *co = json_string_value(json_object_get(doc, "company"));
    json_t *who = json_object_get(doc, "candidate");
    const char *title = json_string_value(json_object_get(who, "title"));
    const char *org = json_string_value(json_object_get(who, "organisation"));
    bool now = json_is_true(json_object_get(who, "current"));
    tl_buf b;
    tl_buf_init(&b, BODY_MAX);
    tl_err e = tl_buf_printf(&b, "I am applying for the %s position%s%s.",
                             role ? role : "advertised", co ? " at " : "", co ? co : "");
    if (e == TL_OK && title && org)
        e = tl_buf_printf(&b, " %s %s %s at %s.",
                          now ? "I currently work as" : "Most recently, I worked as",
                          article_for(title), title, org);
    return take_or_null(&b, e);
}

/* Each requirement with its achievement, in the achievement's own words;
 * hallucinating adds an employer the resume never names. */
static char *letter_points(json_t *doc, bool hallucinate)
{
    json_t *reqs = json_object_get(doc, "requirements");
    tl_buf b;
    tl_buf_init(&b, BODY_MAX);
    tl_err e = TL_OK;
    if (json_array_size(reqs)) {
        e = tl_buf_puts(&b, "Your posting asks for ");
        if (e == TL_OK)
            e = put_list(&b, reqs);
        if (e == TL_OK)
            e = tl_buf_puts(&b, ", and my experience covers each.");
    }
    size_t i;
    json_t *v;
    json_array_foreach(reqs, i, v)
    {
        const char *a = json_string_value(json_object_get(v, "achievement"));
        const char *where = json_string_value(json_object_get(v, "where"));
        size_t n = a ? strlen(a) : 0;
        while (n && (a[n - 1] == '.' || a[n - 1] == ' '))
            n--;
        if (e == TL_OK && where)
            e = tl_buf_printf(&b, " At %s, one result I am proud of: %.*s.", where, (int)n,
                              a ? a : "");
        else if (e == TL_OK)
            e = tl_buf_printf(&b, " One result I am proud of: %.*s.", (int)n, a ? a : "");
    }
    if (e == TL_OK && hallucinate)
        e = tl_buf_puts(&b, " Before that, I led the platform team at Initech Global.");
    return take_or_null(&b, e);
}

/* A guard-clean letter body from the prompt's own material. */
static json_t *letter_answer(json_t *doc, bool hallucinate)
{
    const char *co = json_string_value(json_object_get(doc, "company"));
    char closing[512];
    snprintf(closing, sizeof closing,
             "I would welcome the chance to discuss what I could bring to %s. Thank you for "
             "your consideration.",
             co ? co : "your team");
    json_t *paras = json_array();
    char *open = letter_opening(doc), *points = letter_points(doc, hallucinate);
    if (open)
        json_array_append_new(paras, json_string(open));
    if (points && *points)
        json_array_append_new(paras, json_string(points));
    json_array_append_new(paras, json_string(closing));
    free(open);
    free(points);
    return json_pack("{s:o}", "paragraphs", paras);
}

/* The content of the answer to a prompt (malloc'd). */
static char *answer_for(tl_fakellm *f, const char *user, bool hallucinate)
{
    json_t *letter = block_after(user, "### Letter (JSON)\n");
    if (json_is_object(letter)) {
        json_t *ans = letter_answer(letter, hallucinate);
        char *out = json_dumps(ans, JSON_COMPACT);
        json_decref(ans);
        json_decref(letter);
        return out;
    }
    json_decref(letter);
    json_t *job = block_after(user, "### Job (JSON)\n");
    json_t *subs = block_after(user, "### Subsections (JSON)\n");
    json_t *ans;
    if (!json_is_array(subs) || json_array_size(subs) == 0) {
        ans = json_pack("{s:s,s:i}", "answer", "fake-llm: no subsections in the prompt",
                        "prompt_bytes", (json_int_t)(user ? strlen(user) : 0));
    } else if (json_array_size(subs) == 1) {
        ans = tailor_one(f, json_array_get(subs, 0), job, hallucinate);
    } else {
        ans = json_object();
        size_t i;
        json_t *s;
        json_array_foreach(subs, i, s)
        {
            json_t *one = tailor_one(f, s, job, hallucinate && i == 0);
            const char *id = json_string_value(json_object_get(one, "id"));
            char key[32];
            if (!id) {
                snprintf(key, sizeof key, "%zu", i);
                id = key;
            }
            json_object_set(ans, id, one);
            json_object_del(json_object_get(ans, id), "id");
            json_decref(one);
        }
    }
    char *out = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
    json_decref(job);
    json_decref(subs);
    return out;
}

/* ------------------------------------------------------------ HTTP */

static struct MHD_Response *json_response(const char *s, size_t n)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)s, MHD_RESPMEM_MUST_COPY);
    if (r)
        MHD_add_response_header(r, "Content-Type", "application/json");
    return r;
}

static struct MHD_Response *error_response(bool anthropic, const char *type, const char *msg)
{
    json_t *o = anthropic ? json_pack("{s:s,s:{s:s,s:s}}", "type", "error", "error", "type", type,
                                      "message", msg)
                          : json_pack("{s:{s:s,s:s,s:n,s:n}}", "error", "message", msg, "type",
                                      type, "param", "code");
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    struct MHD_Response *r = s ? json_response(s, strlen(s)) : NULL;
    free(s);
    return r;
}

/* All the text of a message's content: a string or an array of parts. */
static void content_text(json_t *content, tl_buf *out)
{
    if (json_is_string(content)) {
        if (tl_buf_puts(out, json_string_value(content)) != TL_OK ||
            tl_buf_putc(out, '\n') != TL_OK)
            return; /* past the cap: the rest is not read */
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(content, i, p)
    {
        const char *t = json_string_value(json_object_get(p, "text"));
        if (t) {
            if (tl_buf_puts(out, t) != TL_OK || tl_buf_putc(out, '\n') != TL_OK)
                return; /* past the cap: the rest is not read */
        }
    }
}

/* Appends one SSE event; a failure (no memory, past the cap) marks *bad. */
static void sse_event(tl_buf *b, bool *bad, const char *event, json_t *data)
{
    char *s = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    if (!s || (event && tl_buf_printf(b, "event: %s\n", event) != TL_OK) ||
        tl_buf_printf(b, "data: %s\n\n", s) != TL_OK)
        *bad = true;
    free(s);
}

/* A streamed answer paced like a model's: the first event after the
 * latency, then one event per ms_per_token x 6 (an event carries about six
 * tokens). The content reader serves what is due and otherwise suspends
 * the connection until the timer resumes it when the next event is due. */
typedef struct pace {
    tl_fakellm *f;
    struct MHD_Connection *conn;
    double first_ms, per_event_ms; /* both 0: not paced */
} pace;

typedef struct paced {
    pace p;
    char *body;
    size_t len;
    size_t *ends; /* end offset of each event */
    size_t n_ev;
    uint64_t start;
} paced;

static uint64_t ev_due(const paced *ps, size_t k)
{
    return ps->start + (uint64_t)((ps->p.first_ms + (double)k * ps->p.per_event_ms) * 1e6);
}

static ssize_t paced_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    paced *ps = cls;
    if (pos >= ps->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t avail = 0;
    if (atomic_load(&ps->p.f->stopping)) {
        avail = ps->len;
    } else {
        uint64_t now = now_ns();
        for (size_t k = 0; k < ps->n_ev && ev_due(ps, k) <= now; k++)
            avail = ps->ends[k];
    }
    if (avail <= pos) {
        size_t k = 0;
        while (k < ps->n_ev && ps->ends[k] <= pos)
            k++;
        MHD_suspend_connection(ps->p.conn);
        if (!timer_add(ps->p.f, ps->p.conn, NULL, ev_due(ps, k)))
            MHD_resume_connection(ps->p.conn); /* stopping (or no memory): called again */
        return 0;
    }
    size_t n = avail - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, ps->body + pos, n);
    return (ssize_t)n;
}

static void paced_free(void *cls)
{
    paced *ps = cls;
    free(ps->body);
    free(ps->ends);
    free(ps);
}

/* The response of an SSE body: paced when pc asks for it, else whole. */
static struct MHD_Response *sse_response(const pace *pc, tl_buf *b)
{
    struct MHD_Response *r = NULL;
    if (pc && (pc->first_ms > 0 || pc->per_event_ms > 0)) {
        paced *ps = calloc(1, sizeof *ps);
        if (!ps)
            return NULL;
        ps->p = *pc;
        ps->start = now_ns();
        size_t n_ev = 0;
        const char *body = tl_buf_str(b);
        for (size_t i = 0; i + 1 < b->len; i++)
            n_ev += body[i] == '\n' && body[i + 1] == '\n';
        ps->ends = calloc(n_ev + 1, sizeof *ps->ends);
        if (!ps->ends || tl_buf_take(b, &ps->body, &ps->len) != TL_OK) {
            paced_free(ps);
            return NULL;
        }
        for (size_t i = 0; i + 1 < ps->len; i++)
            if (ps->body[i] == '\n' && ps->body[i + 1] == '\n')
                ps->ends[ps->n_ev++] = i + 2;
        if (ps->n_ev == 0 || ps->ends[ps->n_ev - 1] != ps->len)
            ps->ends[ps->n_ev++] = ps->len;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, paced_read, ps, paced_free);
        if (!r)
            paced_free(ps);
    } else {
        r = MHD_create_response_from_buffer(b->len, (void *)tl_buf_str(b), MHD_RESPMEM_MUST_COPY);
    }
    if (r) {
        MHD_add_response_header(r, "Content-Type", "text/event-stream");
        MHD_add_response_header(r, "Cache-Control", "no-cache");
    }
    return r;
}

static struct MHD_Response *openai_ok(const char *model, const char *content, bool stream,
                                      bool usage_in_stream, int tin, int tout, uint64_t seq,
                                      const pace *pc)
{
    char id[48];
    snprintf(id, sizeof id, "chatcmpl-fake%llu", (unsigned long long)seq);
    json_int_t created = (json_int_t)time(NULL);
    if (!stream) {
        json_t *o = json_pack(
            "{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s,s:n},s:n,s:s}],s:{s:i,s:i,s:i},s:s}", "id", id,
            "object", "chat.completion", "created", created, "model", model, "choices", "index", 0,
            "message", "role", "assistant", "content", content, "refusal", "logprobs",
            "finish_reason", "stop", "usage", "prompt_tokens", tin, "completion_tokens", tout,
            "total_tokens", tin + tout, "system_fingerprint", "fp_fakellm");
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        struct MHD_Response *r = s ? json_response(s, strlen(s)) : NULL;
        free(s);
        return r;
    }
    tl_buf b;
    tl_buf_init(&b, 4 * BODY_MAX);
    bool bad = false;
    sse_event(&b, &bad, NULL,
              json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:n}]}", "id", id, "object",
                        "chat.completion.chunk", "created", created, "model", model, "choices",
                        "index", 0, "delta", "role", "assistant", "content", "", "finish_reason"));
    size_t n = strlen(content);
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 24 ? n - i : 24;
        /* never split a UTF-8 sequence */
        while (i + k < n && ((unsigned char)content[i + k] & 0xC0) == 0x80)
            k++;
        json_t *piece = json_stringn(content + i, k);
        sse_event(&b, &bad, NULL,
                  json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:o},s:n}]}", "id", id, "object",
                            "chat.completion.chunk", "created", created, "model", model, "choices",
                            "index", 0, "delta", "content", piece, "finish_reason"));
        i += k;
    }
    sse_event(&b, &bad, NULL,
              json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{},s:s}]}", "id", id, "object",
                        "chat.completion.chunk", "created", created, "model", model, "choices",
                        "index", 0, "delta", "finish_reason", "stop"));
    if (usage_in_stream)
        sse_event(&b, &bad, NULL,
                  json_pack("{s:s,s:s,s:I,s:s,s:[],s:{s:i,s:i,s:i}}", "id", id, "object",
                            "chat.completion.chunk", "created", created, "model", model, "choices",
                            "usage", "prompt_tokens", tin, "completion_tokens", tout,
                            "total_tokens", tin + tout));
    if (tl_buf_puts(&b, "data: [DONE]\n\n") != TL_OK)
        bad = true;
    struct MHD_Response *r = bad ? NULL : sse_response(pc, &b);
    tl_buf_free(&b);
    return r;
}

static struct MHD_Response *anthropic_ok(const char *model, const char *content, bool stream,
                                         int tin, int tout, uint64_t seq, const pace *pc)
{
    char id[48];
    snprintf(id, sizeof id, "msg_fake%llu", (unsigned long long)seq);
    if (!stream) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:n,s:{s:i,s:i}}", "id", id,
                              "type", "message", "role", "assistant", "model", model, "content",
                              "type", "text", "text", content, "stop_reason", "end_turn",
                              "stop_sequence", "usage", "input_tokens", tin, "output_tokens", tout);
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        struct MHD_Response *r = s ? json_response(s, strlen(s)) : NULL;
        free(s);
        return r;
    }
    tl_buf b;
    tl_buf_init(&b, 4 * BODY_MAX);
    bool bad = false;
    sse_event(&b, &bad, "message_start",
              json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:[],s:n,s:{s:i,s:i}}}", "type", "message_start",
                        "message", "id", id, "type", "message", "role", "assistant", "model", model,
                        "content", "stop_reason", "usage", "input_tokens", tin, "output_tokens",
                        1));
    sse_event(&b, &bad, "content_block_start",
              json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_start", "index", 0,
                        "content_block", "type", "text", "text", ""));
    size_t n = strlen(content);
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 24 ? n - i : 24;
        while (i + k < n && ((unsigned char)content[i + k] & 0xC0) == 0x80)
            k++;
        sse_event(&b, &bad, "content_block_delta",
                  json_pack("{s:s,s:i,s:{s:s,s:o}}", "type", "content_block_delta", "index", 0,
                            "delta", "type", "text_delta", "text", json_stringn(content + i, k)));
        i += k;
    }
    sse_event(&b, &bad, "content_block_stop",
              json_pack("{s:s,s:i}", "type", "content_block_stop", "index", 0));
    sse_event(&b, &bad, "message_delta",
              json_pack("{s:s,s:{s:s,s:n},s:{s:i}}", "type", "message_delta", "delta",
                        "stop_reason", "end_turn", "stop_sequence", "usage", "output_tokens",
                        tout));
    sse_event(&b, &bad, "message_stop", json_pack("{s:s}", "type", "message_stop"));
    struct MHD_Response *r = bad ? NULL : sse_response(pc, &b);
    tl_buf_free(&b);
    return r;
}

/* Token buckets, under f->lock. Returns 0 when admitted, else the wait in
 * ms before enough would be there. */
static uint64_t rate_check(tl_fakellm *f, int tokens)
{
    if (!f->o.rpm && !f->o.tpm)
        return 0;
    uint64_t now = now_ns();
    double dt = (double)(now - f->bucket_at) / 1e9;
    f->bucket_at = now;
    if (f->o.rpm) {
        f->req_bucket += dt * f->o.rpm / 60.0;
        if (f->req_bucket > f->o.rpm)
            f->req_bucket = f->o.rpm;
    }
    if (f->o.tpm) {
        f->tok_bucket += dt * f->o.tpm / 60.0;
        if (f->tok_bucket > f->o.tpm)
            f->tok_bucket = f->o.tpm;
    }
    double wait_s = 0;
    if (f->o.rpm && f->req_bucket < 1)
        wait_s = (1 - f->req_bucket) * 60.0 / f->o.rpm;
    double need = (double)tokens < (double)f->o.tpm ? (double)tokens : (double)f->o.tpm;
    if (f->o.tpm && f->tok_bucket < need) {
        double w = (need - f->tok_bucket) * 60.0 / f->o.tpm;
        if (w > wait_s)
            wait_s = w;
    }
    if (wait_s > 0)
        return (uint64_t)(wait_s * 1000) + 1;
    if (f->o.rpm)
        f->req_bucket -= 1;
    if (f->o.tpm)
        f->tok_bucket -= tokens;
    return 0;
}

typedef enum fault { F_NONE, F_OUTAGE, F_LIMITED, F_ERROR, F_TIMEOUT, F_MALFORMED } fault;

/* Queues r (status) now, or suspends the connection until due. */
static enum MHD_Result deliver(tl_fakellm *f, struct MHD_Connection *c, req_state *rs,
                               struct MHD_Response *r, unsigned status, uint64_t delay_ns,
                               bool held)
{
    if (!r)
        return MHD_NO;
    if (delay_ns > 0) {
        rs->resp = r;
        rs->status = status;
        rs->held = held;
        MHD_suspend_connection(c);
        rs->suspended = true;
        if (timer_add(f, c, rs, now_ns() + delay_ns))
            return MHD_YES;
        /* no room in the timer: answer at once */
        MHD_resume_connection(c);
        return MHD_YES;
    }
    rs->answered = true;
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle_chat(tl_fakellm *f, struct MHD_Connection *c, req_state *rs,
                                   bool anthropic)
{
    json_t *req = json_loadb(tl_buf_str(&rs->body), rs->body.len, 0, NULL);
    if (!json_is_object(req)) {
        json_decref(req);
        pthread_mutex_lock(&f->lock);
        f->st.calls++;
        f->st.errors++;
        pthread_mutex_unlock(&f->lock);
        return deliver(f, c, rs,
                       error_response(anthropic, "invalid_request_error", "body is not JSON"), 400,
                       0, false);
    }
    const char *model = json_string_value(json_object_get(req, "model"));
    if (!model)
        model = "fake-llm";
    bool stream = json_is_true(json_object_get(req, "stream"));
    bool usage_in_stream =
        json_is_true(json_object_get(json_object_get(req, "stream_options"), "include_usage"));
    tl_buf text;
    tl_buf_init(&text, BODY_MAX);
    if (anthropic)
        content_text(json_object_get(req, "system"), &text);
    size_t i;
    json_t *m;
    const char *last_user = NULL;
    json_array_foreach(json_object_get(req, "messages"), i, m)
    {
        content_text(json_object_get(m, "content"), &text);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role && strcmp(role, "user") == 0 && json_is_string(json_object_get(m, "content")))
            last_user = json_string_value(json_object_get(m, "content"));
    }
    int tin = (int)((text.len + 3) / 4);
    bool wants_format = json_object_get(req, "response_format") != NULL;

    /* Decide the fault. */
    pthread_mutex_lock(&f->lock);
    f->st.calls++;
    uint64_t seq = ++f->seq;
    double since = (double)(now_ns() - f->t0) / 1e9;
    fault flt = F_NONE;
    for (size_t k = 0; k < f->o.n_outages; k++)
        if (since >= f->o.outages[k].start_s && since < f->o.outages[k].end_s)
            flt = F_OUTAGE;
    uint64_t retry_ms = 0;
    if (flt == F_NONE && (retry_ms = rate_check(f, tin)) > 0)
        flt = F_LIMITED;
    bool reject = flt == F_NONE && f->o.reject_response_format && wants_format && !anthropic;
    double u_err = rng_unit(f), u_to = rng_unit(f), u_mal = rng_unit(f), u_hal = rng_unit(f);
    uint64_t pick = rng_next(f);
    double lat_ms = f->o.latency_ms;
    if (f->o.latency_dist == TL_FAKELLM_LOGNORMAL && lat_ms > 0)
        lat_ms = lat_ms * exp(f->o.latency_sigma * rng_normal(f));
    if (flt == F_NONE && !reject) {
        if (u_err < f->o.error_rate)
            flt = F_ERROR;
        else if (u_to < f->o.timeout_rate)
            flt = F_TIMEOUT;
        else if (u_mal < f->o.malformed_rate)
            flt = F_MALFORMED;
    }
    bool hallucinate = flt == F_NONE && !reject && u_hal < f->o.hallucinate_rate;
    double rem_req = f->o.rpm ? f->req_bucket : -1, rem_tok = f->o.tpm ? f->tok_bucket : -1;
    switch (flt) {
    case F_OUTAGE:
    case F_ERROR: f->st.errors++; break;
    case F_LIMITED: f->st.rate_limited++; break;
    case F_TIMEOUT: f->st.timeouts++; break;
    case F_MALFORMED: f->st.malformed++; break;
    case F_NONE:
        if (reject)
            f->st.rejected_format++;
        break;
    }
    if (hallucinate)
        f->st.hallucinated++;
    pthread_mutex_unlock(&f->lock);

    struct MHD_Response *r = NULL;
    unsigned status = 200;
    uint64_t delay = 0;
    bool held = false;
    char *content = NULL;
    if (reject) {
        r = error_response(false, "invalid_request_error",
                           "response_format is not supported by this server");
        status = 400;
    } else if (flt == F_OUTAGE) {
        r = error_response(anthropic, anthropic ? "overloaded_error" : "server_error",
                           "fake-llm: outage window");
        status = 503;
    } else if (flt == F_LIMITED) {
        r = error_response(anthropic, anthropic ? "rate_limit_error" : "rate_limit_exceeded",
                           "fake-llm: rate limit reached");
        status = 429;
        if (r) {
            char v[32];
            snprintf(v, sizeof v, "%llu", (unsigned long long)((retry_ms + 999) / 1000));
            MHD_add_response_header(r, "Retry-After", v);
            snprintf(v, sizeof v, "%llu", (unsigned long long)retry_ms);
            MHD_add_response_header(r, "retry-after-ms", v);
            if (rem_req >= 0) {
                snprintf(v, sizeof v, "%lld", rem_req < 1 ? 0LL : (long long)rem_req);
                MHD_add_response_header(r, "x-ratelimit-remaining-requests", v);
            }
            if (rem_tok >= 0) {
                snprintf(v, sizeof v, "%lld", rem_tok < 1 ? 0LL : (long long)rem_tok);
                MHD_add_response_header(r, "x-ratelimit-remaining-tokens", v);
            }
            snprintf(v, sizeof v, "%llums", (unsigned long long)retry_ms);
            MHD_add_response_header(r, "x-ratelimit-reset-requests", v);
            MHD_add_response_header(r, "x-ratelimit-reset-tokens", v);
        }
    } else if (flt == F_ERROR) {
        if (anthropic && (pick & 1)) {
            r = error_response(true, "overloaded_error", "fake-llm: overloaded");
            status = 529;
        } else {
            r = error_response(anthropic, anthropic ? "api_error" : "server_error",
                               "fake-llm: injected server error");
            status = (pick & 2) ? 503 : 500;
        }
        delay = (uint64_t)(lat_ms * 1e6);
    } else if (flt == F_TIMEOUT) {
        r = error_response(anthropic, "timeout", "fake-llm: held until the client gave up");
        status = 504;
        held = true;
        delay = (uint64_t)f->o.timeout_hold_ms * 1000000ull;
    } else {
        content = answer_for(f, last_user ? last_user : tl_buf_str(&text), hallucinate);
        if (!content) {
            r = error_response(anthropic, "api_error", "fake-llm: out of memory");
            status = 500;
        } else if (flt == F_MALFORMED) {
            /* A 200 whose body stops in the middle. */
            const char *cut =
                anthropic
                    ? "{\"id\":\"msg_fake\",\"type\":\"message\",\"content\":[{\"type\":\"text\","
                      "\"text\":\"{\\\"bul"
                    : "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"choices\":[{"
                      "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"bul";
            r = json_response(cut, strlen(cut));
            delay = (uint64_t)(lat_ms * 1e6);
        } else {
            int tout = (int)((strlen(content) + 3) / 4);
            /* A stream is paced by its content reader (first event after
             * the latency, then token by token); a plain answer waits for
             * the whole generation time. */
            pace pc = {f, c, stream ? lat_ms : 0, stream ? f->o.ms_per_token * 6 : 0};
            r = anthropic ? anthropic_ok(model, content, stream, tin, tout, seq, &pc)
                          : openai_ok(model, content, stream, usage_in_stream, tin, tout, seq, &pc);
            delay = stream ? 0 : (uint64_t)((lat_ms + f->o.ms_per_token * tout) * 1e6);
            pthread_mutex_lock(&f->lock);
            f->st.ok++;
            f->st.tokens_in += (uint64_t)tin;
            f->st.tokens_out += (uint64_t)tout;
            pthread_mutex_unlock(&f->lock);
        }
    }
    free(content);
    tl_buf_free(&text);
    json_decref(req);
    return deliver(f, c, rs, r, status, delay, held);
}

static enum MHD_Result handle_stats(tl_fakellm *f, struct MHD_Connection *c, req_state *rs)
{
    tl_fakellm_stats st;
    tl_fakellm_stats_get(f, &st);
    char s[512];
    int n = snprintf(s, sizeof s,
                     "{\"calls\":%llu,\"ok\":%llu,\"errors\":%llu,\"timeouts\":%llu,"
                     "\"rate_limited\":%llu,\"malformed\":%llu,\"hallucinated\":%llu,"
                     "\"rejected_format\":%llu,\"tokens_in\":%llu,\"tokens_out\":%llu,"
                     "\"in_flight\":%llu}",
                     (unsigned long long)st.calls, (unsigned long long)st.ok,
                     (unsigned long long)st.errors, (unsigned long long)st.timeouts,
                     (unsigned long long)st.rate_limited, (unsigned long long)st.malformed,
                     (unsigned long long)st.hallucinated, (unsigned long long)st.rejected_format,
                     (unsigned long long)st.tokens_in, (unsigned long long)st.tokens_out,
                     (unsigned long long)st.in_flight);
    return deliver(f, c, rs, json_response(s, (size_t)n), 200, 0, false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    tl_fakellm *f = cls;
    req_state *rs = *con_cls;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs)
            return MHD_NO;
        tl_buf_init(&rs->body, BODY_MAX);
        *con_cls = rs;
        pthread_mutex_lock(&f->lock);
        f->st.in_flight++;
        rs->counted = true;
        pthread_mutex_unlock(&f->lock);
        return MHD_YES;
    }
    if (*upload_size) {
        if (tl_buf_append(&rs->body, upload, *upload_size) != TL_OK)
            return MHD_NO; /* too large: drop the connection */
        *upload_size = 0;
        return MHD_YES;
    }
    if (rs->suspended) {
        /* Resumed by the timer (or at stop): send what was prepared. */
        rs->suspended = false;
        struct MHD_Response *r = rs->resp;
        unsigned status = rs->status;
        rs->resp = NULL;
        if (!r)
            return MHD_NO;
        rs->answered = true;
        if (rs->held && atomic_load(&f->stopping))
            status = 503;
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (rs->answered)
        return MHD_NO;
    bool post = strcmp(method, "POST") == 0;
    if (post && (strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/chat/completions") == 0))
        return handle_chat(f, c, rs, false);
    if (post && strcmp(url, "/v1/messages") == 0)
        return handle_chat(f, c, rs, true);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/stats") == 0)
        return handle_stats(f, c, rs);
    if (post && strcmp(url, "/stats/reset") == 0) {
        tl_fakellm_stats_reset(f);
        return handle_stats(f, c, rs);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/models") == 0) {
        const char *s = "{\"object\":\"list\",\"data\":[{\"id\":\"fake-llm\",\"object\":\"model\","
                        "\"created\":0,\"owned_by\":\"tailor\"}]}";
        return deliver(f, c, rs, json_response(s, strlen(s)), 200, 0, false);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/health") == 0)
        return deliver(f, c, rs, json_response("{\"status\":\"ok\"}", 15), 200, 0, false);
    return deliver(f, c, rs, error_response(false, "not_found", "no such endpoint"), 404, 0, false);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    tl_fakellm *f = cls;
    req_state *rs = *con_cls;
    if (!rs)
        return;
    if (rs->counted) {
        pthread_mutex_lock(&f->lock);
        f->st.in_flight--;
        pthread_mutex_unlock(&f->lock);
    }
    if (rs->resp)
        MHD_destroy_response(rs->resp);
    tl_buf_free(&rs->body);
    free(rs);
    *con_cls = NULL;
}

/* ------------------------------------------------------------ lifecycle */

void tl_fakellm_opts_default(tl_fakellm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->threads = 2;
    o->latency_sigma = 0.5;
    o->timeout_hold_ms = 600000;
}

tl_err tl_fakellm_add_outage(tl_fakellm_opts *o, const char *spec)
{
    if (!o || !spec || o->n_outages >= TL_FAKELLM_MAX_OUTAGES)
        return TL_EINVAL;
    char *end;
    double a = strtod(spec, &end);
    if (end == spec || *end != ':')
        return TL_EINVAL;
    const char *b = end + 1;
    double z = strtod(b, &end);
    if (end == b || *end || a < 0 || z <= a || !isfinite(z))
        return TL_EINVAL;
    o->outages[o->n_outages].start_s = a;
    o->outages[o->n_outages].end_s = z;
    o->n_outages++;
    return TL_OK;
}

static bool rate_ok(double r)
{
    return r >= 0 && r <= 1;
}

tl_err tl_fakellm_start(const tl_fakellm_opts *opts, tl_fakellm **out)
{
    if (!out)
        return TL_EINVAL;
    tl_fakellm_opts o;
    tl_fakellm_opts_default(&o);
    if (opts) {
        o = *opts;
        if (!o.bind)
            o.bind = "127.0.0.1";
        if (!o.threads)
            o.threads = 2;
        if (o.latency_sigma <= 0)
            o.latency_sigma = 0.5;
        if (o.timeout_hold_ms <= 0)
            o.timeout_hold_ms = 600000;
    }
    if (!rate_ok(o.error_rate) || !rate_ok(o.timeout_rate) || !rate_ok(o.malformed_rate) ||
        !rate_ok(o.hallucinate_rate) || o.latency_ms < 0 || o.ms_per_token < 0 || o.port > 65535 ||
        o.threads > 256 || o.n_outages > TL_FAKELLM_MAX_OUTAGES)
        return TL_EINVAL;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.bind, &sa.sin_addr) != 1)
        return TL_EINVAL;
    tl_fakellm *f = calloc(1, sizeof *f);
    if (!f)
        return TL_ENOMEM;
    f->o = o;
    f->o.bind = NULL; /* not kept: the caller's string */
    uint64_t seed = o.seed ? o.seed : 42;
    for (int i = 0; i < 4; i++)
        f->rng[i] = splitmix(&seed);
    f->req_bucket = o.rpm;
    f->tok_bucket = o.tpm;
    f->t0 = f->bucket_at = now_ns();
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->tlock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->tcond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&f->timer, NULL, timer_main, f) != 0) {
        tl_fakellm_stop(f);
        return TL_ENOMEM;
    }
    f->timer_started = true;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    f->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)o.threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)8192,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_END);
    if (!f->d) {
        tl_fakellm_stop(f);
        return TL_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info ? info->port : o.port;
    *out = f;
    return TL_OK;
}

void tl_fakellm_stop(tl_fakellm *f)
{
    if (!f)
        return;
    if (f->timer_started) {
        /* Resume every held call (answered 503 if it was a timeout), then
         * let the timer thread end once its heap is empty. */
        pthread_mutex_lock(&f->tlock);
        atomic_store(&f->stopping, true);
        pthread_cond_signal(&f->tcond);
        pthread_mutex_unlock(&f->tlock);
        pthread_join(f->timer, NULL);
    }
    if (f->d)
        MHD_stop_daemon(f->d);
    free(f->heap);
    pthread_cond_destroy(&f->tcond);
    pthread_mutex_destroy(&f->tlock);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

unsigned tl_fakellm_port(const tl_fakellm *f)
{
    return f ? f->port : 0;
}

void tl_fakellm_stats_get(tl_fakellm *f, tl_fakellm_stats *st)
{
    pthread_mutex_lock(&f->lock);
    *st = f->st;
    pthread_mutex_unlock(&f->lock);
}

void tl_fakellm_stats_reset(tl_fakellm *f)
{
    pthread_mutex_lock(&f->lock);
    uint64_t in_flight = f->st.in_flight;
    memset(&f->st, 0, sizeof f->st);
    f->st.in_flight = in_flight;
    pthread_mutex_unlock(&f->lock);
}
