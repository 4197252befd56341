/* The prompt module (provider/prompt.h) as the engine's codec. */
#include <stddef.h>

#include "engine/processor.h"

static tl_err p_ctx_create(const tl_resume *r, const tl_job *j, const tl_terms *t, tl_strength s,
                           void **ctx)
{
    tl_prompt_ctx *c = NULL;
    tl_err e = tl_prompt_ctx_create(r, j, t, s, &c);
    if (!e)
        *ctx = c;
    return e;
}

static void p_ctx_free(void *ctx)
{
    tl_prompt_ctx_free(ctx);
}

static tl_err p_render(void *ctx, const tl_prompt_task *tasks, size_t n, char **sys, char **user)
{
    return tl_prompt_render(ctx, tasks, n, sys, user);
}

static tl_err p_apply(void *ctx, const char *answer, size_t len, const tl_prompt_task *tasks,
                      size_t n, tl_resume *out, tl_changes *changes, tl_prompt_outcome *outcomes)
{
    return tl_prompt_apply(ctx, answer, len, tasks, n, out, changes, outcomes);
}

static const tl_codec prompt_codec = {p_ctx_create, p_ctx_free, p_render, p_apply,
                                      TL_PROMPT_VERSION};

const tl_codec *tl_codec_prompt(void)
{
    return &prompt_codec;
}
