/* The fixture resumes and job descriptions of tests/data, read and parsed
 * for a test (which fails at once when one cannot be). */
#ifndef TEST_FIXTURES_H
#define TEST_FIXTURES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "doc/job.h"
#include "doc/resume.h"
#include "doc/terms.h"
#include "util/file.h"
#include "util/limits.h"

static inline tl_resume *tf_resume(const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_RESUME_BYTES, &text, &n), TL_OK);
    tl_resume *r = NULL;
    assert_int_equal(tl_resume_parse(text, n, TL_FORMAT_AUTO, &r, NULL), TL_OK);
    free(text);
    return r;
}

static inline tl_job *tf_job(const tl_terms *terms, const char *name)
{
    char path[512], *text = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/%s", TL_TEST_DATA, name);
    assert_int_equal(tl_file_read(path, TL_MAX_JOB_BYTES, &text, &n), TL_OK);
    tl_job *j = NULL;
    assert_int_equal(tl_job_parse(text, n, terms, &j, NULL), TL_OK);
    free(text);
    return j;
}

#endif
