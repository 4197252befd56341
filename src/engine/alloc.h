/* Allocation wrapper shared by the engine's modules (internal, tl__ tier).
 *
 * Every engine allocation goes through these calls so that a test can make
 * the Nth allocation fail and check that each public call returns
 * TL_ENOMEM and leaves its object as it was (SQLite's and curl's "torture"
 * tests). In production the wrappers are malloc/calloc/realloc/free.
 *
 * Not part of any module's contract: only engine sources and engine tests
 * include this header. */
#ifndef TL_ENGINE_ALLOC_H
#define TL_ENGINE_ALLOC_H

#include <stddef.h>

void *tl__malloc(size_t n);
void *tl__calloc(size_t count, size_t size);
void *tl__realloc(void *p, size_t n);
void tl__free(void *p);

/* Test hook: after `n` more successful allocations, every allocation fails
 * (returns NULL) until the hook is reset with a negative n. Thread-safe. */
void tl__alloc_fail_after(long n);
/* Allocations attempted since the last tl__alloc_fail_after() call. */
long tl__alloc_count(void);

#endif
