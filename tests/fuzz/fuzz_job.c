/* libFuzzer target: job-description analysis with the shipped dictionary.
 * Checks the parser's promises on any input: no crash, no leak, keywords
 * within bounds and ordered, parts and title consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/job.h"
#include "doc/terms.h"

static tl_terms *terms;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!terms && tl_terms_load_default(&terms) != TL_OK)
        abort();
    tl_job *j = NULL;
    tl_doc_error err;
    tl_err e = tl_job_parse((const char *)data, size, terms, &j, &err);
    if (e != TL_OK) {
        if (j || err.message[0] == '\0')
            abort(); /* a refusal says why and hands out nothing */
        return 0;
    }
    if (!j->title || j->n_keywords > TL_JOB_MAX_KEYWORDS)
        abort();
    for (size_t i = 0; i < j->n_keywords; i++) {
        const tl_keyword *k = &j->keywords[i];
        if (!k->term || !k->surface || k->weight <= 0 || k->count < 1 || k->part > TL_JD_OTHER)
            abort();
        if (i && j->keywords[i - 1].weight < k->weight)
            abort();
        if (k->term_id >= (int)tl_terms_count(terms))
            abort();
        if (tl_job_keyword(j, k->term) == NULL)
            abort();
    }
    for (size_t i = 0; i < j->n_requirements; i++)
        if (!j->requirements[i] || !j->requirements[i][0])
            abort();
    tl_job_free(j);
    return 0;
}
