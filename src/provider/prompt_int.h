/* Internal: what prompt.c shares with the cover-letter prompt (letter.c). */
#ifndef TL_PROMPT_INT_H
#define TL_PROMPT_INT_H

#include <jansson.h>
#include <stddef.h>

/* The first JSON object or array in p[0..n) (a ``` fence's content, or
 * JSON inside prose), new reference; NULL when there is none. */
json_t *tl__prompt_find_json(const char *p, size_t n);

#endif
