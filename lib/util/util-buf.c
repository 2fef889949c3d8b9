/*
 * fh_buf: a growable byte buffer with a hard maximum. Growth doubles the
 * capacity, never beyond max + 1 (room for the terminator). A failed append
 * leaves the buffer as it was, so a caller can report the limit and go on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/util.h"

void fh_buf_init(fh_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : FH_BUF_DEFAULT_MAX;
}

void fh_buf_cleanup(fh_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void fh_buf_reset(fh_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes and the terminator. */
static fh_err reserve(fh_buf *b, size_t n)
{
    if (n > b->max - b->len)
        return FH_ERR_LIMIT;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return FH_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max < SIZE_MAX && cap > b->max + 1)
        cap = b->max + 1;
    b->data = fh_xrealloc(b->data, cap);
    b->cap = cap;
    return FH_OK;
}

fh_err fh_buf_append(fh_buf *b, const void *data, size_t n)
{
    fh_err rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return FH_OK;
}

fh_err fh_buf_append_str(fh_buf *b, const char *s)
{
    return fh_buf_append(b, s, strlen(s));
}

fh_err fh_buf_append_char(fh_buf *b, char c)
{
    return fh_buf_append(b, &c, 1);
}

fh_err fh_buf_vappendf(fh_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return FH_ERR_INVALID;
    fh_err rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return FH_OK;
}

fh_err fh_buf_appendf(fh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fh_err rc = fh_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

fh_err fh_buf_append_json_string(fh_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = b->len;
    fh_err rc = fh_buf_append_char(b, '"');
    for (size_t i = 0; rc == FH_OK && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rc = fh_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            rc = fh_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            rc = fh_buf_append(b, "\\n", 2);
            break;
        case '\r':
            rc = fh_buf_append(b, "\\r", 2);
            break;
        case '\t':
            rc = fh_buf_append(b, "\\t", 2);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                rc = fh_buf_append(b, esc, sizeof esc);
            } else {
                rc = fh_buf_append_char(b, (char)c);
            }
        }
    }
    if (rc == FH_OK)
        rc = fh_buf_append_char(b, '"');
    if (rc) {
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return rc;
}

char *fh_buf_steal(fh_buf *b)
{
    char *p = b->data ? b->data : fh_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

fh_err fh_buf_read_file(fh_buf *b, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return FH_ERR_IO;
    fh_err rc = FH_OK;
    char chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n > 0) {
            rc = fh_buf_append(b, chunk, n);
            if (rc)
                break;
        }
        if (n < sizeof chunk) {
            if (ferror(f))
                rc = FH_ERR_IO;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    return rc;
}
