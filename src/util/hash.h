/* Content hashing (xxHash3, 64 bit) for cache keys and fingerprints. */
#ifndef TL_HASH_H
#define TL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t tl_hash64(const void *p, size_t n, uint64_t seed);
/* Formats h as 16 lowercase hex digits into out[17]. */
void tl_hash_hex(uint64_t h, char out[17]);

#endif
