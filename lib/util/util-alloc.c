/*
 * The allocation policy: allocation failure aborts. fenghuo's inputs are
 * bounded before they are allocated for, so running out of memory means the
 * machine is in trouble, and continuing would only hide it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/util.h"

static FH_NORETURN void out_of_memory(size_t n)
{
    fprintf(stderr, "fenghuo: fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *fh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory(n);
    return p;
}

void *fh_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *fh_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory(n);
    return q;
}

char *fh_xstrdup(const char *s)
{
    if (s == NULL)
        return NULL;
    return fh_xstrndup(s, strlen(s));
}

char *fh_xstrndup(const char *s, size_t n)
{
    char *p = fh_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *fh_xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return fh_xstrdup("");
    }
    char *p = fh_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void fh_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fenghuo: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}
