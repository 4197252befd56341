/* libFuzzer target: the JSON Resume reader, then every writer and the readers
 * again on what the writers produce (see fuzz_resume.h). */
#include "fuzz_resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_resume_one(data, size, TL_FORMAT_JSON);
}
