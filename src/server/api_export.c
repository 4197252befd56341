/* Documents out: a stored resume version exported as a file
 * (GET /api/v1/resumes/{id}/versions/{v}/export) and cover letters
 * (POST /api/v1/cover-letter), written by the request's provider chain
 * with the embedded engine as the fallback (provider/letter.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/docx.h"
#include "doc/pdf.h"
#include "provider/letter.h"
#include "server/server_int.h"
#include "tailor/cover_letter.h"
#include "util/str.h"

enum { OUT_TEXT = 0, OUT_DOCX, OUT_PDF };

typedef struct out_format {
    const char *name;
    const char *ext;
    const char *ctype;
    tl_format fmt; /* for OUT_TEXT */
    int kind;
} out_format;

static const char ct_pdf[] = "application/pdf";
static const char ct_docx[] =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
static const char ct_md[] = "text/markdown; charset=utf-8";
static const char ct_text[] = "text/plain; charset=utf-8";

static const out_format export_formats[] = {
    {"pdf", "pdf", ct_pdf, TL_FORMAT_AUTO, OUT_PDF},
    {"docx", "docx", ct_docx, TL_FORMAT_AUTO, OUT_DOCX},
    {"md", "md", ct_md, TL_FORMAT_MARKDOWN, OUT_TEXT},
    {"markdown", "md", ct_md, TL_FORMAT_MARKDOWN, OUT_TEXT},
    {"json", "json", "application/json", TL_FORMAT_JSON, OUT_TEXT},
    {"html", "html", "text/html; charset=utf-8", TL_FORMAT_HTML, OUT_TEXT},
    {"text", "txt", ct_text, TL_FORMAT_TEXT, OUT_TEXT},
    {"txt", "txt", ct_text, TL_FORMAT_TEXT, OUT_TEXT},
};

/* JSON (name NULL) answers the letter as a JSON document. */
static const out_format letter_formats[] = {
    {"json", NULL, NULL, TL_FORMAT_AUTO, OUT_TEXT},
    {"text", "txt", ct_text, TL_FORMAT_TEXT, OUT_TEXT},
    {"txt", "txt", ct_text, TL_FORMAT_TEXT, OUT_TEXT},
    {"markdown", "md", ct_md, TL_FORMAT_MARKDOWN, OUT_TEXT},
    {"md", "md", ct_md, TL_FORMAT_MARKDOWN, OUT_TEXT},
    {"docx", "docx", ct_docx, TL_FORMAT_AUTO, OUT_DOCX},
    {"pdf", "pdf", ct_pdf, TL_FORMAT_AUTO, OUT_PDF},
};

static const out_format *find_format(const out_format *list, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (tl_str_ieq(name, list[i].name))
            return &list[i];
    return NULL;
}

/* A rendering failure, answered. */
static enum MHD_Result render_failed(tl_req *r, tl_err e, const char *what)
{
    if (e == TL_ENOMEM)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    return tl__reply_error(r, 500, "internal", "cannot render the %s: %s", what, tl_strerror(e));
}

/* Answers a document (data taken) as an attachment named file. */
static enum MHD_Result reply_file(tl_req *r, const char *ctype, char *data, size_t len,
                                  const char *file)
{
    tl__set_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, "attachment; filename=\"%s\"", file);
    return tl__reply_text(r, 200, ctype, data, len);
}

/* ---- GET /api/v1/resumes/{id}/versions/{v}/export ---- */

static const char *query(tl_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* A page size named p (NULL: none given, *paper untouched); false
 * (answered) when it is not one. */
static bool parse_paper(tl_req *r, const char *p, tl_pdf_paper *paper, enum MHD_Result *rc)
{
    if (p && tl_pdf_paper_parse(p, paper) != TL_OK) {
        *rc = tl__reply_error(r, 400, "invalid_paper", "paper must be a4 or letter, not '%s'", p);
        return false;
    }
    return true;
}

/* format, paper and template of the query; false (answered) when one is
 * not known. */
static bool export_options(tl_req *r, const out_format **f, tl_pdf_opts *po, enum MHD_Result *rc)
{
    const char *fmt = query(r, "format");
    const char *paper = query(r, "paper");
    const char *tmpl = query(r, "template");
    *f = find_format(export_formats, sizeof export_formats / sizeof export_formats[0],
                     fmt ? fmt : "json");
    if (!*f) {
        *rc = tl__reply_error(r, 400, "invalid_format",
                              "format must be pdf, docx, md, markdown, json, html, text or txt, "
                              "not '%s'",
                              fmt);
        return false;
    }
    memset(po, 0, sizeof *po);
    if (!parse_paper(r, paper, &po->paper, rc))
        return false;
    if (tmpl && tl_pdf_template_parse(tmpl, &po->tmpl) != TL_OK) {
        *rc = tl__reply_error(r, 400, "invalid_template",
                              "template must be classic or two-column, not '%s'", tmpl);
        return false;
    }
    if ((paper || tmpl) && (*f)->kind != OUT_PDF) {
        *rc = tl__reply_error(r, 400, "invalid_option",
                              "paper and template only apply to format=pdf");
        return false;
    }
    return true;
}

/* Stored version v of resume id, parsed; false (answered) when there is no
 * such resume or version. */
static bool load_version(tl_req *r, int64_t id, int64_t v, tl_resume **out, enum MHD_Result *rc)
{
    tl_store_resume *rec = NULL;
    tl_err e =
        v > 0 && v <= 1000000 ? tl_store_resume_get(r->srv->store, id, (int)v, &rec) : TL_ENOTFOUND;
    if (e == TL_ENOTFOUND) {
        /* Which is missing: the resume, or only the version? */
        bool known = id > 0 && tl_store_resume_get(r->srv->store, id, 0, &rec) == TL_OK;
        tl_store_resume_free(rec);
        *rc = known ? tl__reply_error(r, 404, "not_found", "resume %lld has no version %lld",
                                      (long long)id, (long long)v)
                    : tl__reply_error(r, 404, "not_found", "no resume %lld", (long long)id);
        return false;
    }
    if (e) {
        *rc = e == TL_ENOMEM ? tl__reply_error(r, 503, "out_of_memory", "out of memory")
                             : tl__reply_error(r, 500, "storage_error", "the database failed");
        return false;
    }
    tl_doc_error err = {0};
    e = tl_resume_parse(rec->json, strlen(rec->json), TL_FORMAT_JSON, out, &err);
    tl_store_resume_free(rec);
    if (e) {
        *rc = tl__reply_doc_error(r, e, &err, "stored resume");
        return false;
    }
    return true;
}

enum MHD_Result tl__h_resume_export(tl_req *r)
{
    int64_t id = tl__param_id(r, 0), v = tl__param_id(r, 1);
    const out_format *f = NULL;
    tl_pdf_opts po;
    tl_resume *resume = NULL;
    enum MHD_Result rc;
    if (!export_options(r, &f, &po, &rc) || !load_version(r, id, v, &resume, &rc))
        return rc;
    char *data = NULL;
    size_t len = 0;
    tl_err e;
    if (f->kind == OUT_PDF) {
        e = tl_pdf_write(resume, &po, &data, &len);
    } else if (f->kind == OUT_DOCX) {
        tl_docx_opts dopts = {0};
        e = tl_docx_write(resume, &dopts, &data, &len);
    } else {
        e = tl_resume_write(resume, f->fmt, &data, &len);
    }
    tl_resume_free(resume);
    if (e)
        return render_failed(r, e, "resume");
    char file[96];
    snprintf(file, sizeof file, "resume-%lld-v%lld.%s", (long long)id, (long long)v, f->ext);
    return reply_file(r, f->ctype, data, len, file);
}

/* ---- POST /api/v1/cover-letter ---- */

/* The page size of a PDF letter ("paper", as the export route takes it);
 * false (answered) when it is unknown or the letter is not a PDF. */
static bool letter_paper(tl_req *r, json_t *body, const out_format *f, tl_pdf_paper *paper,
                         enum MHD_Result *rc)
{
    const char *p = NULL;
    if (!tl__opt_string(r, body, "paper", &p, rc))
        return false;
    *paper = TL_PDF_A4;
    if (!p)
        return true;
    if (!parse_paper(r, p, paper, rc))
        return false;
    if (f->kind != OUT_PDF) {
        *rc = tl__reply_error(r, 400, "invalid_option", "paper only applies to format=pdf");
        return false;
    }
    return true;
}

static bool letter_options(tl_req *r, json_t *body, tl_letter_tone *tone, const out_format **f,
                           tl_pdf_paper *paper, enum MHD_Result *rc)
{
    const char *t = NULL, *fmt = NULL;
    if (!tl__opt_string(r, body, "tone", &t, rc) || !tl__opt_string(r, body, "format", &fmt, rc))
        return false;
    *tone = TL_TONE_FORMAL;
    if (t && tl_letter_tone_parse(t, tone) != TL_OK) {
        *rc = tl__reply_error(r, 400, "invalid_tone", "tone must be formal or warm, not '%s'", t);
        return false;
    }
    *f = find_format(letter_formats, sizeof letter_formats / sizeof letter_formats[0],
                     fmt ? fmt : "json");
    if (!*f) {
        *rc = tl__reply_error(r, 400, "invalid_format",
                              "format must be json, text, markdown, docx or pdf, not '%s'", fmt);
        return false;
    }
    if (!letter_paper(r, body, *f, paper, rc))
        return false;
    /* "version" names the stored resume's version, as "resume_version"
     * does for the other routes. */
    json_t *version = json_object_get(body, "version");
    if (version) {
        if (json_object_get(body, "resume_version")) {
            *rc = tl__reply_error(r, 400, "invalid_field",
                                  "give version or resume_version, not both");
            return false;
        }
        json_object_set(body, "resume_version", version);
    }
    return true;
}

/* Something besides the name and contacts to write a letter from. */
static bool has_content(const tl_resume *res)
{
    for (size_t i = 0; i < res->n_sections; i++)
        if (res->sections[i].n_entries > 0)
            return true;
    return res->basics.summary && *res->basics.summary;
}

/* The providers passed over before the one that wrote the letter. */
static json_t *attempts_json(const tl_cover_letter *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n_attempts; i++)
        json_array_append_new(a, json_pack("{s:s s:s s:s}", "provider", l->attempts[i].provider,
                                           "outcome", l->attempts[i].outcome, "detail",
                                           l->attempts[i].detail));
    return a;
}

static json_t *letter_json(const tl_cover_letter *l, tl_letter_tone tone, const char *text,
                           size_t tlen, const char *md, size_t mlen)
{
    json_t *kws = json_array();
    for (size_t i = 0; kws && i < l->n_keywords; i++)
        json_array_append_new(kws, json_string(l->keywords[i]));
    return json_pack("{s:s s:s? s:s s:o s:i s:s% s:s% s:s s:o}", "role", l->role, "company",
                     l->company, "tone", tl_letter_tone_name(tone), "keywords", kws, "words",
                     l->words, "text", text, tlen, "markdown", md, mlen, "provider", l->provider,
                     "fell_back", attempts_json(l));
}

static enum MHD_Result reply_letter(tl_req *r, const tl_cover_letter *l, tl_letter_tone tone,
                                    const out_format *f, tl_pdf_paper paper)
{
    char *text = NULL, *md = NULL, *data = NULL;
    size_t tlen = 0, mlen = 0, dlen = 0;
    tl_err e = tl_cover_letter_render(l, TL_FORMAT_TEXT, &text, &tlen);
    if (e)
        return render_failed(r, e, "letter");
    char file[32];
    snprintf(file, sizeof file, "cover-letter.%s", f->ext ? f->ext : "json");
    tl__set_header(r, "X-Tailor-Provider", "%s", l->provider);
    if (!f->ext) { /* JSON */
        e = tl_cover_letter_render(l, TL_FORMAT_MARKDOWN, &md, &mlen);
        json_t *doc = e == TL_OK ? letter_json(l, tone, text, tlen, md, mlen) : NULL;
        free(text);
        free(md);
        if (e)
            return render_failed(r, e, "letter");
        return tl__reply_json(r, 200, doc);
    }
    if (f->kind == OUT_TEXT && f->fmt == TL_FORMAT_TEXT)
        return reply_file(r, f->ctype, text, tlen, file);
    if (f->kind == OUT_TEXT) {
        free(text);
        e = tl_cover_letter_render(l, f->fmt, &data, &dlen);
    } else if (f->kind == OUT_DOCX) {
        tl_docx_opts dopts = {0};
        e = tl_docx_write_text(text, tlen, &dopts, &data, &dlen);
        free(text);
    } else {
        tl_pdf_opts popts = {.paper = paper, .tmpl = TL_PDF_CLASSIC};
        e = tl_pdf_write_text(text, tlen, &popts, &data, &dlen);
        free(text);
    }
    if (e)
        return render_failed(r, e, "letter");
    return reply_file(r, f->ctype, data, dlen, file);
}

/* The request's chain, each provider with its configured model. */
static size_t letter_chain(const tl_server *s, tl_provider *const *chain, size_t n,
                           tl_letter_link *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = (tl_letter_link){.provider = chain[i]};
        for (size_t k = 0; s->o.provider_confs && k < s->o.n_providers; k++)
            if (s->o.providers[k] == chain[i])
                out[i].model = s->o.provider_confs[k].model_large;
    }
    return n;
}

/* Per call to a provider, and the longest wait for its answer: a letter
 * that cannot be had in time is written by the next link instead. */
#define LETTER_CALL_MS 30000
#define LETTER_WAIT_MS 35000

static tl_err write_chain(tl_server *srv, const tl_resume *res, const tl_job *jd,
                          tl_provider *const *chain, size_t n, tl_letter_tone tone,
                          tl_cover_letter **out)
{
    tl_letter_link links[TL_ENGINE_MAX_CHAIN];
    tl_letter_chain_opts o = {
        .letter = {.tone = tone}, .timeout_ms = LETTER_CALL_MS, .wait_ms = LETTER_WAIT_MS};
    return tl_letter_write_chain(res, jd, srv->terms, links, letter_chain(srv, chain, n, links), &o,
                                 out);
}

static enum MHD_Result answer_letter(tl_req *r, tl_err e, const tl_cover_letter *l,
                                     tl_letter_tone tone, const out_format *f, tl_pdf_paper paper)
{
    if (e == TL_EREJECTED)
        return tl__reply_error(r, 422, "no_content",
                               "nothing in the resume makes a letter that passes the fact guard");
    if (e)
        return render_failed(r, e, "letter");
    return reply_letter(r, l, tone, f, paper);
}

/* A letter whose chain has providers is written on the server's letter
 * pool while its connection waits suspended: a provider may take seconds
 * to answer, and the HTTP threads are few. The request and the worker
 * each hold a reference. */
typedef struct letter_job {
    tl_work work; /* first: the pool hands this back */
    pthread_mutex_t mu;
    int refs;
    bool done, parked;
    struct MHD_Connection *conn;
    tl_server *srv;
    tl_resume *resume;
    tl_job *jd;
    tl_provider *chain[TL_ENGINE_MAX_CHAIN];
    size_t n_chain;
    tl_letter_tone tone;
    const out_format *f;
    tl_pdf_paper paper;
    tl_cover_letter *letter;
    tl_err err;
} letter_job;

static void letter_job_release(void *p)
{
    letter_job *lj = p;
    pthread_mutex_lock(&lj->mu);
    int left = --lj->refs;
    pthread_mutex_unlock(&lj->mu);
    if (left > 0)
        return;
    tl_cover_letter_free(lj->letter);
    tl_resume_free(lj->resume);
    tl_job_free(lj->jd);
    pthread_mutex_destroy(&lj->mu);
    free(lj);
}

static void letter_work(tl_work *w)
{
    letter_job *lj = (letter_job *)w;
    lj->err =
        write_chain(lj->srv, lj->resume, lj->jd, lj->chain, lj->n_chain, lj->tone, &lj->letter);
    pthread_mutex_lock(&lj->mu);
    lj->done = true;
    if (lj->parked)
        tl__wake_conn(lj->conn);
    lj->parked = false;
    pthread_mutex_unlock(&lj->mu);
    letter_job_release(lj);
}

/* The request's continuation: suspended until the letter is written. */
static enum MHD_Result letter_wait(tl_req *r)
{
    letter_job *lj = r->work;
    pthread_mutex_lock(&lj->mu);
    if (!lj->done) {
        lj->parked = true;
        tl__park_conn(r->conn);
        pthread_mutex_unlock(&lj->mu);
        return MHD_YES;
    }
    pthread_mutex_unlock(&lj->mu);
    return answer_letter(r, lj->err, lj->letter, lj->tone, lj->f, lj->paper);
}

/* Takes the resume and the job description of rr and jr. */
static enum MHD_Result start_letter(tl_req *r, tl_resume_ref *rr, tl_jd_ref *jr,
                                    tl_provider *const *chain, size_t n, tl_letter_tone tone,
                                    const out_format *f, tl_pdf_paper paper)
{
    letter_job *lj = calloc(1, sizeof *lj);
    if (!lj)
        return tl__reply_error(r, 503, "out_of_memory", "out of memory");
    pthread_mutex_init(&lj->mu, NULL);
    lj->refs = 2;
    lj->work.fn = letter_work;
    lj->conn = r->conn;
    lj->srv = r->srv;
    lj->resume = rr->resume;
    lj->jd = jr->jd;
    rr->resume = NULL;
    jr->jd = NULL;
    memcpy(lj->chain, chain, n * sizeof chain[0]);
    lj->n_chain = n;
    lj->tone = tone;
    lj->f = f;
    lj->paper = paper;
    r->work = lj;
    r->work_release = letter_job_release;
    r->cont = letter_wait;
    tl_pool_submit(r->srv->letters, &lj->work);
    return letter_wait(r);
}

enum MHD_Result tl__h_cover_letter(tl_req *r)
{
    json_t *body = NULL;
    enum MHD_Result rc;
    if (!tl__read_json(r, &body, &rc))
        return rc;
    tl_letter_tone tone = TL_TONE_FORMAL;
    const out_format *f = NULL;
    tl_resume_ref rr = {0};
    tl_jd_ref jr = {0};
    tl_pdf_paper paper = TL_PDF_A4;
    tl_provider *chain[TL_ENGINE_MAX_CHAIN];
    size_t n_chain = 0;
    bool ok = letter_options(r, body, &tone, &f, &paper, &rc) &&
              tl__parse_chain(r, body, chain, &n_chain, &rc) &&
              tl__resolve_resume(r, body, &rr, &rc) && tl__resolve_jd(r, body, &jr, &rc);
    json_decref(body);
    if (ok && !has_content(rr.resume)) {
        rc = tl__reply_error(r, 422, "no_content",
                             "the resume has no entries or summary to write a letter from");
        ok = false;
    }
    if (ok && n_chain > 0 && r->srv->letters) {
        rc = start_letter(r, &rr, &jr, chain, n_chain, tone, f, paper);
    } else if (ok) { /* the embedded engine alone: no wait */
        tl_cover_letter *l = NULL;
        tl_err e = write_chain(r->srv, rr.resume, jr.jd, chain, 0, tone, &l);
        rc = answer_letter(r, e, l, tone, f, paper);
        tl_cover_letter_free(l);
    }
    tl_resume_free(rr.resume);
    tl_job_free(jr.jd);
    return rc;
}
