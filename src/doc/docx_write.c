/* DOCX writer: a clean Word document from the resume's blocks (blocks.h),
 * packed with libzip in memory. Headings use the built-in heading styles,
 * bullets a real bullet list (numbering.xml); no tables, no text boxes. */
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "doc/blocks.h"
#include "doc/doc_int.h"
#include "doc/docx.h"
#include "util/buf.h"
#include "util/limits.h"

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define R_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define DOC_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char content_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" "
    "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
    "<Override PartName=\"/word/numbering.xml\" ContentType=\"application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" "
    "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
    "</Types>";

static const char root_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"" PKG_REL "\">"
    "<Relationship Id=\"rId1\" Type=\"" DOC_REL "/officeDocument\" Target=\"word/document.xml\"/>"
    "<Relationship Id=\"rId2\" "
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
    "core-properties\" Target=\"docProps/core.xml\"/>"
    "</Relationships>";

static const char doc_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<Relationships xmlns=\"" PKG_REL "\">"
    "<Relationship Id=\"rId1\" Type=\"" DOC_REL "/styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" DOC_REL "/numbering\" Target=\"numbering.xml\"/>"
    "</Relationships>";

static const char styles_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:styles xmlns:w=\"" W_NS "\">"
    "<w:docDefaults><w:rPrDefault><w:rPr>"
    "<w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:eastAsia=\"Arial\" w:cs=\"Arial\"/>"
    "<w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/><w:lang w:val=\"en-US\"/>"
    "</w:rPr></w:rPrDefault>"
    "<w:pPrDefault><w:pPr><w:spacing w:after=\"60\" w:line=\"264\" w:lineRule=\"auto\"/>"
    "</w:pPr></w:pPrDefault></w:docDefaults>"
    "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">"
    "<w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>"
    "<w:pPr><w:spacing w:after=\"60\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"40\"/><w:szCs w:val=\"40\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>"
    "<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"80\"/>"
    "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"808080\"/></w:pBdr>"
    "<w:outlineLvl w:val=\"0\"/></w:pPr>"
    "<w:rPr><w:b/><w:color w:val=\"1F3864\"/><w:sz w:val=\"26\"/><w:szCs w:val=\"26\"/>"
    "</w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>"
    "<w:pPr><w:keepNext/><w:spacing w:before=\"160\" w:after=\"20\"/>"
    "<w:outlineLvl w:val=\"1\"/></w:pPr>"
    "<w:rPr><w:b/><w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/></w:rPr></w:style>"
    "<w:style w:type=\"paragraph\" w:styleId=\"ListBullet\"><w:name w:val=\"List Bullet\"/>"
    "<w:basedOn w:val=\"Normal\"/><w:qFormat/>"
    "<w:pPr><w:numPr><w:numId w:val=\"1\"/></w:numPr><w:spacing w:after=\"20\"/>"
    "<w:ind w:left=\"360\" w:hanging=\"360\"/></w:pPr></w:style>"
    "</w:styles>";

static const char numbering_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:numbering xmlns:w=\"" W_NS "\">"
    "<w:abstractNum w:abstractNumId=\"0\"><w:multiLevelType w:val=\"singleLevel\"/>"
    "<w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"bullet\"/>"
    "<w:lvlText w:val=\"\xe2\x80\xa2\"/><w:lvlJc w:val=\"left\"/>"
    "<w:pPr><w:ind w:left=\"360\" w:hanging=\"360\"/></w:pPr>"
    "<w:rPr><w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\"/></w:rPr></w:lvl>"
    "</w:abstractNum>"
    "<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>"
    "</w:numbering>";

/* Text escaped for XML; characters XML 1.0 forbids are dropped. */
static tl_err xml_text(tl_buf *b, const char *s, size_t n)
{
    tl_err e = TL_OK;
    for (size_t i = 0; i < n && e == TL_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': e = tl_buf_puts(b, "&amp;"); break;
        case '<': e = tl_buf_puts(b, "&lt;"); break;
        case '>': e = tl_buf_puts(b, "&gt;"); break;
        case '"': e = tl_buf_puts(b, "&quot;"); break;
        case '\'': e = tl_buf_puts(b, "&apos;"); break;
        default:
            if (c < 0x20 && c != '\t')
                break;
            /* U+FFFE and U+FFFF are not XML characters either */
            if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
                ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF)) {
                i += 2;
                break;
            }
            e = tl_buf_putc(b, (char)c);
        }
    }
    return e;
}

/* One run: <w:r>[<w:rPr>..</w:rPr>]<w:t>text</w:t></w:r>. */
static tl_err run(tl_buf *b, const char *s, size_t n, bool bold, bool italic)
{
    if (!n)
        return TL_OK;
    tl_err e = tl_buf_puts(b, "<w:r>");
    if (e == TL_OK && (bold || italic))
        e = tl_buf_printf(b, "<w:rPr>%s%s</w:rPr>", bold ? "<w:b/>" : "", italic ? "<w:i/>" : "");
    if (e == TL_OK)
        e = tl_buf_puts(b, "<w:t xml:space=\"preserve\">");
    if (e == TL_OK)
        e = xml_text(b, s, n);
    return e == TL_OK ? tl_buf_puts(b, "</w:t></w:r>") : e;
}

static tl_err para_open(tl_buf *b, const char *style, bool bullet, const char *extra)
{
    tl_err e = tl_buf_puts(b, "<w:p>");
    if (e == TL_OK && (style || extra)) {
        e = tl_buf_puts(b, "<w:pPr>");
        if (e == TL_OK && style)
            e = tl_buf_printf(b, "<w:pStyle w:val=\"%s\"/>", style);
        if (e == TL_OK && bullet)
            e = tl_buf_puts(b, "<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr>");
        if (e == TL_OK && extra)
            e = tl_buf_puts(b, extra);
        if (e == TL_OK)
            e = tl_buf_puts(b, "</w:pPr>");
    }
    return e;
}

static tl_err block_para(tl_buf *b, const tl__block *k, const tl__block *prev)
{
    const char *style = NULL;
    const char *extra = NULL;
    bool bold = false, italic = false, bullet = false;
    switch (k->kind) {
    case TL__B_NAME: style = "Title"; break;
    case TL__B_LABEL: bold = true; break;
    case TL__B_CONTACT: extra = "<w:spacing w:after=\"120\"/>"; break;
    case TL__B_HEADING: style = "Heading1"; break;
    case TL__B_TITLE: style = "Heading2"; break;
    case TL__B_META: italic = true; break;
    case TL__B_PARA: break;
    case TL__B_BULLET:
        style = "ListBullet";
        bullet = true;
        break;
    case TL__B_ITEM:
        /* space above a one-line entry (a degree) that opens an entry */
        if (k->first && prev && prev->kind != TL__B_HEADING)
            extra = "<w:spacing w:before=\"80\"/>";
        break;
    }
    tl_err e = para_open(b, style, bullet, extra);
    size_t n = strlen(k->text);
    if (e == TL_OK && k->lead)
        e = run(b, k->text, k->lead, true, italic);
    if (e == TL_OK)
        e = run(b, k->text + k->lead, n - k->lead, bold, italic);
    return e == TL_OK ? tl_buf_puts(b, "</w:p>") : e;
}

static tl_err doc_open(tl_buf *b)
{
    return tl_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                          "<w:document xmlns:w=\"" W_NS "\" xmlns:r=\"" R_NS "\"><w:body>");
}

static tl_err doc_close(tl_buf *b, const tl_docx_opts *o)
{
    bool letter = o && o->letter;
    return tl_buf_printf(b,
                         "<w:sectPr><w:pgSz w:w=\"%d\" w:h=\"%d\"/>"
                         "<w:pgMar w:top=\"1008\" w:right=\"1080\" w:bottom=\"1008\" "
                         "w:left=\"1080\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/>"
                         "</w:sectPr></w:body></w:document>",
                         letter ? 12240 : 11906, letter ? 15840 : 16838);
}

static tl_err core_xml(tl_buf *b, const char *title)
{
    tl_err e = tl_buf_puts(
        b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
           "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
           "metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
           "<dc:title>");
    if (e == TL_OK && title)
        e = xml_text(b, title, strlen(title));
    if (e == TL_OK)
        e = tl_buf_puts(b, "</dc:title><dc:creator>");
    if (e == TL_OK && title)
        e = xml_text(b, title, strlen(title));
    return e == TL_OK ? tl_buf_puts(b, "</dc:creator></cp:coreProperties>") : e;
}

/* Packs the parts into a zip archive in memory. */
static tl_err pack(const char *document, size_t doc_len, const char *core, size_t core_len,
                   char **out, size_t *len)
{
    struct {
        const char *name;
        const char *data;
        size_t n;
    } parts[] = {
        {"[Content_Types].xml", content_types, sizeof content_types - 1},
        {"_rels/.rels", root_rels, sizeof root_rels - 1},
        {"word/document.xml", document, doc_len},
        {"word/styles.xml", styles_xml, sizeof styles_xml - 1},
        {"word/numbering.xml", numbering_xml, sizeof numbering_xml - 1},
        {"word/_rels/document.xml.rels", doc_rels, sizeof doc_rels - 1},
        {"docProps/core.xml", core, core_len},
    };
    zip_error_t ze;
    zip_error_init(&ze);
    tl_err e = TL_ENOMEM;
    zip_t *za = NULL;
    char *data = NULL;
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!src)
        goto fail;
    za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!za)
        goto fail;
    zip_source_keep(src);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        zip_source_t *s = zip_source_buffer(za, parts[i].data, parts[i].n, 0);
        if (!s)
            goto fail;
        if (zip_file_add(za, parts[i].name, s, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(s);
            goto fail;
        }
    }
    if (zip_close(za) < 0)
        goto fail;
    za = NULL;
    zip_stat_t st;
    if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) ||
        st.size > TL_MAX_OUTPUT_BYTES) {
        e = TL_ETOOBIG;
        goto fail;
    }
    data = malloc(st.size ? st.size : 1);
    if (!data || zip_source_open(src) < 0)
        goto fail;
    zip_int64_t got = zip_source_read(src, data, st.size);
    zip_source_close(src);
    if (got < 0 || (zip_uint64_t)got != st.size) {
        e = TL_EINTERNAL;
        goto fail;
    }
    zip_source_free(src);
    zip_error_fini(&ze);
    *out = data;
    *len = (size_t)st.size;
    return TL_OK;
fail:
    free(data);
    if (za)
        zip_discard(za);
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    return e;
}

static tl_err finish(tl_buf *doc, const tl_docx_opts *o, const char *title, char **out, size_t *len)
{
    tl_buf core;
    tl_buf_init(&core, 64 * 1024);
    tl_err e = doc_close(doc, o);
    if (e == TL_OK)
        e = core_xml(&core, title);
    if (e == TL_OK)
        e = pack(tl_buf_str(doc), doc->len, tl_buf_str(&core), core.len, out, len);
    tl_buf_free(&core);
    return e;
}

tl_err tl_docx_write(const tl_resume *r, const tl_docx_opts *o, char **out, size_t *len)
{
    if (!r || !out || !len)
        return TL_EINVAL;
    tl__blocks blocks;
    tl_err e = tl__blocks_build(r, &blocks);
    if (e != TL_OK)
        return e;
    tl_buf doc;
    tl_buf_init(&doc, TL_MAX_OUTPUT_BYTES);
    e = doc_open(&doc);
    for (size_t i = 0; i < blocks.n && e == TL_OK; i++)
        e = block_para(&doc, &blocks.items[i], i ? &blocks.items[i - 1] : NULL);
    if (e == TL_OK)
        e = finish(&doc, o, r->basics.name, out, len);
    tl_buf_free(&doc);
    tl__blocks_free(&blocks);
    return e;
}

tl_err tl_docx_write_text(const char *text, size_t n, const tl_docx_opts *o, char **out,
                          size_t *len)
{
    if ((!text && n) || !out || !len)
        return TL_EINVAL;
    tl_buf doc;
    tl_buf_init(&doc, TL_MAX_OUTPUT_BYTES);
    tl_err e = doc_open(&doc);
    size_t i = 0;
    while (e == TL_OK && i < n) {
        /* skip blank lines between paragraphs */
        while (i < n && (text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i >= n)
            break;
        e = tl_buf_puts(&doc, "<w:p><w:pPr><w:spacing w:after=\"200\"/></w:pPr>");
        bool first = true;
        while (e == TL_OK && i < n && text[i] != '\n') {
            const char *nl = memchr(text + i, '\n', n - i);
            size_t end = nl ? (size_t)(nl - text) : n;
            size_t m = end - i;
            if (m && text[i + m - 1] == '\r')
                m--;
            if (!first)
                e = tl_buf_puts(&doc, "<w:r><w:br/></w:r>");
            if (e == TL_OK)
                e = run(&doc, text + i, m, false, false);
            first = false;
            i = end < n ? end + 1 : n;
            if (i < n && (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')))
                break; /* a blank line ends the paragraph */
        }
        if (e == TL_OK)
            e = tl_buf_puts(&doc, "</w:p>");
    }
    if (e == TL_OK)
        e = finish(&doc, o, NULL, out, len);
    tl_buf_free(&doc);
    return e;
}
