/*
 * Number parsing with range checks, and constant-time comparison.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/util.h"

fh_err fh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
        return FH_ERR_PARSE;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || v < min || v > max)
        return FH_ERR_LIMIT;
    if (end == s || *end != '\0')
        return FH_ERR_PARSE;
    *out = (int64_t)v;
    return FH_OK;
}

fh_err fh_parse_size(const char *s, size_t max, size_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return FH_ERR_PARSE;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return FH_ERR_LIMIT;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end != '\0')
        return FH_ERR_PARSE;
    if (shift && v > (~0ULL >> shift))
        return FH_ERR_LIMIT;
    v <<= shift;
    if (v > max)
        return FH_ERR_LIMIT;
    *out = (size_t)v;
    return FH_OK;
}

bool fh_consttime_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    const volatile unsigned char *x = a;
    const volatile unsigned char *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < alen; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}
