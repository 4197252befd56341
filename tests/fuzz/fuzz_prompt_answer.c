/* libFuzzer target: the prompt answer parser (provider/prompt.h). Any bytes
 * as a provider's answer for a batch of three tasks of a fixed resume:
 * no crash, no leak, one outcome per task, and every applied bullet group
 * keeps its bullet count. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "provider/prompt.h"

static const char resume_json[] =
    "{\"basics\":{\"name\":\"Alex Chen\",\"summary\":\"Backend engineer with 8 years in golang "
    "and kafka.\"},\"work\":[{\"name\":\"Lumen Payments\",\"position\":\"Senior Software "
    "Engineer\",\"startDate\":\"2021-03\",\"highlights\":[\"Led the ledger service in golang, "
    "cutting p99 latency from 480ms to 95ms\",\"Built an event pipeline on kafka\",\"Mentored 5 "
    "engineers\"]},{\"name\":\"Cartwheel\",\"position\":\"Software Engineer\",\"startDate\":"
    "\"2017-01\",\"endDate\":\"2021-02\",\"highlights\":[\"Wrote python tooling\"]}]}";
static const char job_text[] =
    "Senior Backend Engineer\nRequirements\n- Go and Kafka\n- Kubernetes\n";

static tl_terms *terms;
static tl_resume *orig;
static tl_job *job;
static tl_prompt_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx) {
        if (tl_terms_load_default(&terms) != TL_OK ||
            tl_resume_parse(resume_json, sizeof resume_json - 1, TL_FORMAT_JSON, &orig, NULL) !=
                TL_OK ||
            tl_job_parse(job_text, sizeof job_text - 1, terms, &job, NULL) != TL_OK ||
            tl_prompt_ctx_create(orig, job, terms, TL_STRENGTH_EXTENSIVE, &ctx) != TL_OK)
            abort();
    }
    tl_prompt_task t[3] = {{"s", {TL_TARGET_SUMMARY, 0, 0, 0, 0}},
                           {"w0", {TL_TARGET_ENTRY, 0, 0, 0, 0}},
                           {"w1", {TL_TARGET_ENTRY, 0, 1, 0, 0}}};
    tl_resume *out = NULL;
    if (tl_resume_clone(orig, &out) != TL_OK)
        abort();
    tl_changes *ch = tl_changes_new();
    if (!ch)
        abort();
    tl_prompt_outcome oc[3] = {99, 99, 99};
    tl_err e = tl_prompt_apply(ctx, (const char *)data, size, t, 3, out, ch, oc);
    if (e != TL_OK && e != TL_EFORMAT && e != TL_ENOMEM)
        abort();
    for (int i = 0; i < 3; i++)
        if (oc[i] > TL_PROMPT_REJECTED)
            abort();
    if (out->sections[0].entries[0].n_bullets != 3 || out->sections[0].entries[1].n_bullets != 1)
        abort();
    for (size_t i = 0; i < 3; i++)
        if (!out->sections[0].entries[0].bullets[i])
            abort();
    tl_changes_free(ch);
    tl_resume_free(out);
    return 0;
}
