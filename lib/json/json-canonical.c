/*
 * RFC 8785, the JSON Canonicalization Scheme: the one byte string a JSON
 * value has, whoever wrote it. STIX 2.1 (section 2.9) computes SCO ids over
 * it, and the hub uses it to recognise identical content.
 *
 * Written here rather than with jansson's JSON_SORT_KEYS because the details
 * differ: jansson sorts keys by bytes (RFC 8785 by UTF-16 code units, which
 * differs for characters beyond U+FFFF), escapes control characters with
 * upper-case hex and /u007f (RFC 8785: lower case, DEL as is), and prints
 * doubles with %.17g (RFC 8785: ECMAScript's shortest round-trip form).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"

/* Next code point of a valid UTF-8 string (jansson validated it). */
static uint32_t next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
    if (n)
        c &= 0x3fu >> n;
    for (int i = 1; i <= n; i++)
        c = c << 6 | (s[i] & 0x3f);
    *p = s + 1 + n;
    return c;
}

/* Compares two keys as sequences of UTF-16 code units. */
static int cmp_utf16(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x && *y) {
        uint32_t cx = next_cp(&x), cy = next_cp(&y);
        if (cx == cy)
            continue;
        /* Beyond the BMP a code point is a surrogate pair whose first unit
         * (D800..DBFF) sorts below E000..FFFF. */
        uint32_t ux = cx >= 0x10000 ? 0xd800 + ((cx - 0x10000) >> 10) : cx;
        uint32_t uy = cy >= 0x10000 ? 0xd800 + ((cy - 0x10000) >> 10) : cy;
        if (ux != uy)
            return ux < uy ? -1 : 1;
        uint32_t lx = cx >= 0x10000 ? 0xdc00 + ((cx - 0x10000) & 0x3ff) : 0;
        uint32_t ly = cy >= 0x10000 ? 0xdc00 + ((cy - 0x10000) & 0x3ff) : 0;
        return lx < ly ? -1 : 1;
    }
    return *x ? 1 : *y ? -1 : 0;
}

static int cmp_keys(const void *a, const void *b)
{
    return cmp_utf16(*(const char *const *)a, *(const char *const *)b);
}

static fh_err put_string(fh_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fh_err rc = fh_buf_append_char(out, '"');
    size_t run = 0; /* bytes copied as they are, appended in one go */
    for (size_t i = 0; rc == FH_OK && i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : 0;
        const char *esc = NULL;
        char u[7];
        if (i < n && c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run)
            rc = fh_buf_append(out, s + i - run, run);
        run = 0;
        if (i == n || rc)
            break;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
        }
        rc = fh_buf_append_str(out, esc);
    }
    if (rc == FH_OK)
        rc = fh_buf_append_char(out, '"');
    return rc;
}

/* ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3). */
static fh_err put_double(fh_buf *out, double x)
{
    if (x == 0)
        return fh_buf_append_char(out, '0'); /* also -0 */
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]XX: collect the digits and the exponent. */
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[20];
    int k = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = (int)strtol(p + 1, NULL, 10) + 1; /* x = 0.digits * 10^n */
    fh_err rc = neg ? fh_buf_append_char(out, '-') : FH_OK;
    if (rc)
        return rc;
    if (k <= n && n <= 21) {
        rc = fh_buf_append(out, digits, (size_t)k);
        for (int i = 0; rc == FH_OK && i < n - k; i++)
            rc = fh_buf_append_char(out, '0');
    } else if (0 < n && n <= 21) {
        rc = fh_buf_appendf(out, "%.*s.%s", n, digits, digits + n);
    } else if (-6 < n && n <= 0) {
        rc = fh_buf_append_str(out, "0.");
        for (int i = 0; rc == FH_OK && i < -n; i++)
            rc = fh_buf_append_char(out, '0');
        if (rc == FH_OK)
            rc = fh_buf_append_str(out, digits);
    } else {
        int e = n - 1;
        if (k == 1)
            rc = fh_buf_appendf(out, "%se%c%d", digits, e < 0 ? '-' : '+', abs(e));
        else
            rc =
                fh_buf_appendf(out, "%c.%se%c%d", digits[0], digits + 1, e < 0 ? '-' : '+', abs(e));
    }
    return rc;
}

static fh_err put_value(fh_buf *out, const json_t *v)
{
    fh_err rc = FH_OK;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = fh_xmalloc((n ? n : 1) * sizeof *keys);
        const char *k;
        json_t *child;
        json_object_foreach((json_t *)v, k, child)
        {
            keys[i++] = k;
        }
        qsort(keys, n, sizeof *keys, cmp_keys);
        rc = fh_buf_append_char(out, '{');
        for (i = 0; rc == FH_OK && i < n; i++) {
            if (i)
                rc = fh_buf_append_char(out, ',');
            if (rc == FH_OK)
                rc = put_string(out, keys[i], strlen(keys[i]));
            if (rc == FH_OK)
                rc = fh_buf_append_char(out, ':');
            if (rc == FH_OK)
                rc = put_value(out, json_object_get(v, keys[i]));
        }
        if (rc == FH_OK)
            rc = fh_buf_append_char(out, '}');
        free(keys);
        return rc;
    }
    case JSON_ARRAY: {
        rc = fh_buf_append_char(out, '[');
        for (size_t i = 0; rc == FH_OK && i < json_array_size(v); i++) {
            if (i)
                rc = fh_buf_append_char(out, ',');
            if (rc == FH_OK)
                rc = put_value(out, json_array_get(v, i));
        }
        return rc ? rc : fh_buf_append_char(out, ']');
    }
    case JSON_STRING:
        return put_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fh_buf_appendf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return put_double(out, json_real_value(v));
    case JSON_TRUE:
        return fh_buf_append_str(out, "true");
    case JSON_FALSE:
        return fh_buf_append_str(out, "false");
    case JSON_NULL:
        return fh_buf_append_str(out, "null");
    }
    return FH_ERR_INVALID;
}

fh_err fh_json_canonical(const json_t *v, fh_buf *out)
{
    size_t start = out->len;
    /* Depth is bounded by what jansson parsed (2048) or what code built. */
    fh_err rc = put_value(out, v);
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}
