/* Small string helpers shared by every layer. ASCII case folding only:
 * resume headings and technical terms are compared that way; UTF-8 is
 * passed through untouched. */
#ifndef TL_STR_H
#define TL_STR_H

#include <stdbool.h>
#include <stddef.h>

/* True when p[0..n) is valid UTF-8 (no overlongs, no surrogates) and holds
 * no NUL byte. */
bool tl_utf8_valid(const char *p, size_t n);

bool tl_str_ieq(const char *a, const char *b);
/* Case-insensitive comparison of a[0..an) and b[0..bn). */
bool tl_str_ieqn(const char *a, size_t an, const char *b, size_t bn);
/* True when s starts with prefix, ignoring ASCII case. */
bool tl_str_istarts(const char *s, const char *prefix);
/* Case-insensitive search for needle in hay[0..n); NULL when absent. */
const char *tl_str_ifind(const char *hay, size_t n, const char *needle);

/* Narrows [*p, *p + *n) to drop leading and trailing ASCII whitespace. */
void tl_str_trim(const char **p, size_t *n);

/* Letters, digits, and bytes of multi-byte UTF-8 sequences. */
bool tl_is_word_byte(unsigned char c);

/* Lowercases ASCII letters of s in place. */
void tl_str_lower(char *s);

/* Number of UTF-8 code points in s[0..n) (bytes that are not continuations). */
size_t tl_utf8_len(const char *s, size_t n);

#endif
