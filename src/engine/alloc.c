#include "engine/alloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* -1: never fail. Otherwise the number of allocations still allowed. */
static atomic_long fail_budget = -1;
static atomic_long attempts;

static bool should_fail(void)
{
    atomic_fetch_add_explicit(&attempts, 1, memory_order_relaxed);
    long left = atomic_load_explicit(&fail_budget, memory_order_relaxed);
    while (left >= 0) {
        if (left == 0)
            return true;
        if (atomic_compare_exchange_weak(&fail_budget, &left, left - 1))
            return false;
    }
    return false;
}

void *tl__malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

void *tl__calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count, size);
}

void *tl__realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

void tl__free(void *p)
{
    free(p);
}

void tl__alloc_fail_after(long n)
{
    atomic_store(&attempts, 0);
    atomic_store(&fail_budget, n < 0 ? -1 : n);
}

long tl__alloc_count(void)
{
    return atomic_load(&attempts);
}
