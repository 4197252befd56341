/* Arena allocator: many small allocations, freed all at once.
 *
 * A document (resume, job) owns one arena; every string in it lives there,
 * so freeing the document is one call and nothing leaks on an error path.
 * Not thread-safe: one arena belongs to one thread at a time. */
#ifndef TL_ARENA_H
#define TL_ARENA_H

#include <stddef.h>

typedef struct tl_arena tl_arena;

/* Returns a new arena, or NULL when out of memory. */
tl_arena *tl_arena_create(void);
/* Frees every allocation of the arena. NULL does nothing. */
void tl_arena_destroy(tl_arena *a);

/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *tl_arena_alloc(tl_arena *a, size_t n);
/* A NUL-terminated copy of s (NULL gives NULL); NULL when out of memory. */
char *tl_arena_strdup(tl_arena *a, const char *s);
/* A NUL-terminated copy of the first n bytes of s. */
char *tl_arena_strndup(tl_arena *a, const char *s, size_t n);
/* Appends one zeroed element of elem bytes to the array *arr of *n elements
 * and capacity *cap (all three start at NULL/0), growing it in the arena by
 * doubling. Returns the new element, or NULL when out of memory (the array
 * is left as it was). */
void *tl_arena_push(tl_arena *a, void *arr_ptr, size_t *n, size_t *cap, size_t elem);

/* Bytes handed out so far (for tests and metrics). */
size_t tl_arena_used(const tl_arena *a);

#endif
