#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TL_ARENA_BLOCK 8192u
#define TL_ARENA_ALIGN 16u

typedef struct block {
    struct block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} block;

struct tl_arena {
    block *head;
    size_t total;
};

tl_arena *tl_arena_create(void)
{
    return calloc(1, sizeof(tl_arena));
}

void tl_arena_destroy(tl_arena *a)
{
    if (!a)
        return;
    block *b = a->head;
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *tl_arena_alloc(tl_arena *a, size_t n)
{
    if (!a)
        return NULL;
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = (n + TL_ARENA_ALIGN - 1) & ~(size_t)(TL_ARENA_ALIGN - 1);
    block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > TL_ARENA_BLOCK ? need : TL_ARENA_BLOCK;
        block *nb = malloc(sizeof(block) + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        /* A big one-off allocation goes behind the current block so that the
         * current block's free space is not wasted. */
        if (b && need > TL_ARENA_BLOCK) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *tl_arena_strndup(tl_arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = tl_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tl_arena_strdup(tl_arena *a, const char *s)
{
    return s ? tl_arena_strndup(a, s, strlen(s)) : NULL;
}

size_t tl_arena_used(const tl_arena *a)
{
    return a ? a->total : 0;
}

void *tl_arena_push(tl_arena *a, void *arr_ptr, size_t *n, size_t *cap, size_t elem)
{
    void **arr = arr_ptr;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        if (ncap > SIZE_MAX / elem)
            return NULL;
        void *p = tl_arena_alloc(a, ncap * elem);
        if (!p)
            return NULL;
        if (*n)
            memcpy(p, *arr, *n * elem);
        *arr = p;
        *cap = ncap;
    }
    unsigned char *slot = (unsigned char *)*arr + *n * elem;
    memset(slot, 0, elem);
    (*n)++;
    return slot;
}
