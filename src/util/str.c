#include "util/str.h"

#include <ctype.h>
#include <string.h>

#include <utf8proc.h>

bool tl_utf8_valid(const char *p, size_t n)
{
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)p;
    size_t i = 0;
    while (i < n) {
        if (s[i] == 0)
            return false;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return false;
        i += (size_t)k;
    }
    return true;
}

bool tl_str_ieqn(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

bool tl_str_ieq(const char *a, const char *b)
{
    return tl_str_ieqn(a, strlen(a), b, strlen(b));
}

bool tl_str_istarts(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strlen(s) >= n && tl_str_ieqn(s, n, prefix, n);
}

const char *tl_str_ifind(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0)
        return hay;
    if (m > n)
        return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (tl_str_ieqn(hay + i, m, needle, m))
            return hay + i;
    return NULL;
}

void tl_str_trim(const char **p, size_t *n)
{
    const char *s = *p;
    size_t len = *n;
    while (len && isspace((unsigned char)s[0])) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    *p = s;
    *n = len;
}

bool tl_is_word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

void tl_str_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

size_t tl_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}
