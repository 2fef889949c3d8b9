/*
 * The STIX 2.1 pattern parser (STIX 2.1 section 9): a hand-written recursive
 * descent parser that turns pattern text into the tree of stix-pattern-int.h
 * and says, for any text it refuses, the column and what it expected there.
 *
 * It is for syntax and the rules section 9 states without reference to an
 * SCO's schema. It does not know which properties an object type has, and it
 * does not evaluate patterns. The grammar it implements is written out in
 * docs/PATTERNS.md; in short, from lowest to highest precedence:
 *
 *   pattern     = obs-fb
 *   obs-fb      = obs-or *("FOLLOWEDBY" obs-or)
 *   obs-or      = obs-and *("OR" obs-and)
 *   obs-and     = obs-qual *("AND" obs-qual)
 *   obs-qual    = obs-primary *qualifier
 *   obs-primary = "[" cmp-or "]" / "(" obs-fb ")"
 *   cmp-or      = cmp-and *("OR" cmp-and)
 *   cmp-and     = cmp-primary *("AND" cmp-primary)
 *   cmp-primary = "(" cmp-or ")" / "EXISTS" path / path ["NOT"] op constant(s)
 *
 * Untrusted input never reaches assert(): every problem becomes an error
 * with a column. Recursion is bounded by FH_PATTERN_MAX_DEPTH.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fenghuo/stix.h"
#include "stix/stix-pattern-int.h"

/* STIX 2.1 section 2.10: integers fit in 54 bits. */
#define PATTERN_INT_MAX ((int64_t)9007199254740991)

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    unsigned depth;
    fh_pattern_error *err;
};

/* ---- errors ----------------------------------------------------------------- */

static fh_err fail_at(struct parser *p, size_t pos, fh_err rc, const char *fmt, ...)
    FH_PRINTF(4, 5);

static fh_err fail_at(struct parser *p, size_t pos, fh_err rc, const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        p->err->column = pos + 1;
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 when it is invalid
 * (truncated, overlong, a surrogate, beyond U+10FFFF). */
static size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((u[0] & 0xe0) == 0xc0) {
        len = 2, c = u[0] & 0x1f, min = 0x80;
    } else if ((u[0] & 0xf0) == 0xe0) {
        len = 3, c = u[0] & 0x0f, min = 0x800;
    } else if ((u[0] & 0xf8) == 0xf0) {
        len = 4, c = u[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static const char *const keywords[] = {
    "AND",    "OR", "NOT",     "FOLLOWEDBY", "LIKE",   "MATCHES", "ISSUBSET", "ISSUPERSET",
    "EXISTS", "IN", "REPEATS", "TIMES",      "WITHIN", "SECONDS", "START",    "STOP",
};

/* Describes what is at pos for "found ..." in a message: a short quoted
 * word, a symbol, or a code point; only printable ASCII is quoted. */
static void describe(const struct parser *p, size_t pos, char *buf, size_t n)
{
    if (pos >= p->len) {
        snprintf(buf, n, "the end of the pattern");
        return;
    }
    const char *s = p->s + pos;
    size_t left = p->len - pos;
    unsigned char c = (unsigned char)s[0];
    if (c >= 0x80 || c < 0x20 || c == 0x7f) {
        uint32_t cp;
        if (utf8_decode(s, left, &cp))
            snprintf(buf, n, "U+%04" PRIX32, cp);
        else
            snprintf(buf, n, "byte 0x%02X", c);
        return;
    }
    if (left >= 2 && s[1] == '\'' && (c == 'h' || c == 'b' || c == 't')) {
        snprintf(buf, n, "%s constant", c == 'h' ? "a hex" : c == 'b' ? "a binary" : "a timestamp");
        return;
    }
    if (c == '\'') {
        snprintf(buf, n, "a string constant");
        return;
    }
    size_t w = 0;
    while (w < left && w < 40 && (is_ident_char(s[w]) || s[w] == '-' || s[w] == ':' || s[w] == '.'))
        w++;
    if (w == 0) {
        w = (left >= 2 && (c == '!' || c == '<' || c == '>') && s[1] == '=') ? 2 : 1;
    }
    snprintf(buf, n, "'%.*s'", (int)w, s);
}

/* "expected WHAT, found X", with a hint when X is a keyword in lower case. */
static fh_err expected(struct parser *p, const char *what)
{
    char found[64];
    describe(p, p->pos, found, sizeof found);
    const char *hint = "";
    size_t w = 0;
    while (p->pos + w < p->len && w < 12 && is_ident_char(p->s[p->pos + w]))
        w++;
    if (w > 0 && (p->pos + w == p->len || !is_ident_char(p->s[p->pos + w]))) {
        for (size_t k = 0; k < FH_ARRAY_LEN(keywords); k++) {
            if (strlen(keywords[k]) == w && strncasecmp(keywords[k], p->s + p->pos, w) == 0 &&
                strncmp(keywords[k], p->s + p->pos, w) != 0) {
                hint = " (keywords are upper case)";
                break;
            }
        }
    }
    return fail_at(p, p->pos, FH_ERR_PARSE, "expected %s, found %s%s", what, found, hint);
}

/* ---- scanning ------------------------------------------------------------- */

/* Unicode White_Space (section 9.1 "whitespace"), as UTF-8 or ASCII. */
static bool is_unicode_space(uint32_t cp)
{
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
            p->pos++;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t l = utf8_decode(p->s + p->pos, p->len - p->pos, &cp);
            if (l && is_unicode_space(cp)) {
                p->pos += l;
                continue;
            }
        }
        break;
    }
}

/* True when the keyword kw (upper case, exact) starts at pos and is not the
 * beginning of a longer word. */
static bool at_kw(const struct parser *p, const char *kw)
{
    size_t n = strlen(kw);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, kw, n) != 0)
        return false;
    return p->pos + n == p->len || !is_ident_char(p->s[p->pos + n]);
}

static bool accept_kw(struct parser *p, const char *kw)
{
    skip_ws(p);
    if (!at_kw(p, kw))
        return false;
    p->pos += strlen(kw);
    return true;
}

static fh_err enter(struct parser *p, size_t at)
{
    if (p->depth >= FH_PATTERN_MAX_DEPTH)
        return fail_at(p, at, FH_ERR_LIMIT,
                       "brackets and parentheses nest deeper than %d levels; the limit is %d",
                       FH_PATTERN_MAX_DEPTH, FH_PATTERN_MAX_DEPTH);
    p->depth++;
    return FH_OK;
}

/* ---- tree helpers ------------------------------------------------------------ */

static void const_cleanup(fh__pconst *c)
{
    free(c->str);
    c->str = NULL;
}

static void path_cleanup(fh__ppath *path)
{
    free(path->type);
    for (size_t i = 0; i < path->nsteps; i++)
        free(path->steps[i].key);
    free(path->steps);
    memset(path, 0, sizeof *path);
}

static void node_free(fh__pnode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    path_cleanup(&n->path);
    for (size_t i = 0; i < n->nconsts; i++)
        const_cleanup(&n->consts[i]);
    free(n->consts);
    for (size_t i = 0; i < n->nquals; i++)
        const_cleanup(&n->quals[i].within);
    free(n);
}

static fh__pnode *node_new(fh__pnode_kind kind, size_t column)
{
    fh__pnode *n = fh_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->column = column;
    return n;
}

static void node_add(fh__pnode *n, fh__pnode *kid)
{
    if (n->nkids == n->kids_cap) {
        n->kids_cap = n->kids_cap ? n->kids_cap * 2 : 4;
        n->kids = fh_xrealloc(n->kids, n->kids_cap * sizeof *n->kids);
    }
    n->kids[n->nkids++] = kid;
}

void fh_pattern_free(fh_pattern *p)
{
    if (p == NULL)
        return;
    node_free(p->root);
    free(p);
}

const char *fh__pattern_op_name(fh__pop op)
{
    static const char *const names[] = {
        "=",  "!=",   "<",       "<=",       ">",          ">=",
        "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS",
    };
    return (size_t)op < FH_ARRAY_LEN(names) ? names[op] : "?";
}

/* ---- IP addresses ------------------------------------------------------------ */

bool fh__pattern_parse_ip(const char *s, size_t len, int *family, uint8_t addr[16],
                          unsigned *prefix, bool *has_prefix)
{
    char buf[INET6_ADDRSTRLEN + 1];
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (alen == 0 || alen >= sizeof buf)
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    memset(addr, 0, 16);
    unsigned max;
    if (memchr(buf, ':', alen)) {
        if (inet_pton(AF_INET6, buf, addr) != 1)
            return false;
        *family = 6;
        max = 128;
    } else {
        if (inet_pton(AF_INET, buf, addr) != 1)
            return false;
        *family = 4;
        max = 32;
    }
    *prefix = max;
    *has_prefix = slash != NULL;
    if (slash) {
        const char *d = slash + 1;
        size_t dn = len - alen - 1;
        if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0'))
            return false;
        unsigned v = 0;
        for (size_t i = 0; i < dn; i++) {
            if (d[i] < '0' || d[i] > '9')
                return false;
            v = v * 10 + (unsigned)(d[i] - '0');
        }
        if (v > max)
            return false;
        *prefix = v;
    }
    return true;
}

/* ---- constants ------------------------------------------------------------- */

/* Reads a quoted string at p->pos (on the opening apostrophe) into out,
 * decoding \' and \\. Leaves p->pos after the closing apostrophe. */
static fh_err scan_string(struct parser *p, fh_buf *out)
{
    size_t open = p->pos;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return fail_at(p, open, FH_ERR_PARSE,
                           "string is not terminated: expected a closing apostrophe (')");
        char c = p->s[p->pos];
        if (c == '\'') {
            p->pos++;
            return FH_OK;
        }
        if (c == '\\') {
            if (p->pos + 1 < p->len && (p->s[p->pos + 1] == '\'' || p->s[p->pos + 1] == '\\')) {
                fh_buf_append_char(out, p->s[p->pos + 1]);
                p->pos += 2;
                continue;
            }
            return fail_at(p, p->pos, FH_ERR_PARSE,
                           "only ' and \\ may follow a backslash in a string (write \\\\ for a "
                           "backslash)");
        }
        if ((unsigned char)c >= 0x80) {
            uint32_t cp;
            size_t l = utf8_decode(p->s + p->pos, p->len - p->pos, &cp);
            if (l == 0)
                return fail_at(p, p->pos, FH_ERR_PARSE, "invalid UTF-8 in a string (byte 0x%02X)",
                               (unsigned char)c);
            fh_buf_append(out, p->s + p->pos, l);
            p->pos += l;
            continue;
        }
        fh_buf_append_char(out, c);
        p->pos++;
    }
}

/* Finds the closing apostrophe of a prefixed constant (h'', b'', t'') whose
 * body has no escapes; *body and *body_len receive the text between. */
static fh_err scan_raw_quoted(struct parser *p, const char *what, size_t *body, size_t *body_len)
{
    size_t open = p->pos;
    const char *q = memchr(p->s + p->pos + 2, '\'', p->len - p->pos - 2);
    if (q == NULL)
        return fail_at(p, open, FH_ERR_PARSE,
                       "%s constant is not terminated: expected a closing apostrophe (')", what);
    *body = p->pos + 2;
    *body_len = (size_t)(q - (p->s + *body));
    p->pos = (size_t)(q - p->s) + 1;
    return FH_OK;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    const char *x = c ? strchr(b64_alphabet, c) : NULL;
    return x ? (int)(x - b64_alphabet) : -1;
}

/* RFC 4648 base64 with padding; line feeds (and carriage returns) are
 * ignored as section 9.2 says. The canonical re-encoding (zero pad bits,
 * no line breaks) goes to c->str. */
static fh_err scan_binary(struct parser *p, fh__pconst *c)
{
    size_t body, n;
    fh_err rc = scan_raw_quoted(p, "binary", &body, &n);
    if (rc)
        return rc;
    fh_buf clean, out;
    fh_buf_init(&clean, n + 1);
    fh_buf_init(&out, n + 8);
    for (size_t i = 0; i < n; i++) {
        char ch = p->s[body + i];
        if (ch == '\n' || ch == '\r')
            continue;
        if (ch != '=' && b64_value(ch) < 0) {
            rc = fail_at(p, body + i, FH_ERR_PARSE,
                         "not a base64 character in a binary constant (A-Z, a-z, 0-9, +, /, =)");
            goto done;
        }
        fh_buf_append_char(&clean, ch);
    }
    if (clean.len % 4 != 0) {
        rc = fail_at(p, c->column - 1, FH_ERR_PARSE,
                     "binary constant has %zu base64 characters; base64 comes in groups of 4 "
                     "(pad with '=')",
                     clean.len);
        goto done;
    }
    for (size_t i = 0; i < clean.len; i += 4) {
        const char *g = clean.data + i;
        bool last = i + 4 == clean.len;
        int pad = (g[3] == '=') + (g[2] == '=');
        if (g[0] == '=' || g[1] == '=' || (g[2] == '=' && g[3] != '=') || (pad && !last)) {
            rc = fail_at(p, c->column - 1, FH_ERR_PARSE,
                         "misplaced '=' in a binary constant: padding only ends the base64 text");
            goto done;
        }
        uint32_t v = (uint32_t)b64_value(g[0]) << 18 | (uint32_t)b64_value(g[1]) << 12;
        if (pad < 2)
            v |= (uint32_t)b64_value(g[2]) << 6;
        if (pad < 1)
            v |= (uint32_t)b64_value(g[3]);
        /* Bits beyond the last whole byte are dropped (RFC 4648 section 3.5). */
        v &= pad == 2 ? 0xff0000u : pad == 1 ? 0xffff00u : 0xffffffu;
        char enc[4];
        enc[0] = b64_alphabet[(v >> 18) & 63];
        enc[1] = b64_alphabet[(v >> 12) & 63];
        enc[2] = pad >= 2 ? '=' : b64_alphabet[(v >> 6) & 63];
        enc[3] = pad >= 1 ? '=' : b64_alphabet[v & 63];
        fh_buf_append(&out, enc, 4);
    }
    c->str_len = out.len;
    c->str = fh_buf_steal(&out);
done:
    fh_buf_cleanup(&clean);
    fh_buf_cleanup(&out);
    return rc;
}

static fh_err scan_hex(struct parser *p, fh__pconst *c)
{
    size_t body, n;
    fh_err rc = scan_raw_quoted(p, "hex", &body, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        char ch = p->s[body + i];
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))
            continue;
        if (ch >= 'A' && ch <= 'F')
            return fail_at(p, body + i, FH_ERR_PARSE,
                           "hex digits are lower case in a hex constant (0-9, a-f)");
        return fail_at(p, body + i, FH_ERR_PARSE, "not a hex digit in a hex constant (0-9, a-f)");
    }
    if (n % 2)
        return fail_at(p, c->column - 1, FH_ERR_PARSE,
                       "hex constant has an odd number of digits (%zu); two digits make a byte", n);
    c->str = fh_xstrndup(p->s + body, n);
    c->str_len = n;
    return FH_OK;
}

static fh_err scan_timestamp(struct parser *p, fh__pconst *c)
{
    size_t body, n;
    fh_err rc = scan_raw_quoted(p, "timestamp", &body, &n);
    if (rc)
        return rc;
    const char *why = NULL;
    if (fh_time_parse(p->s + body, n, &c->t, &why) != FH_OK) {
        bool printable = n <= 40;
        for (size_t i = 0; i < n && printable; i++)
            printable = p->s[body + i] >= 0x20 && p->s[body + i] < 0x7f;
        if (printable)
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "invalid timestamp '%.*s': %s (want YYYY-MM-DDTHH:MM:SS[.s]Z)", (int)n,
                           p->s + body, why ? why : "not a STIX timestamp");
        return fail_at(p, c->column - 1, FH_ERR_PARSE,
                       "invalid timestamp: %s (want YYYY-MM-DDTHH:MM:SS[.s]Z)",
                       why ? why : "not a STIX timestamp");
    }
    return FH_OK;
}

/* -?digits[.digits][(e|E)[+-]digits]: an integer when there is neither a
 * point nor an exponent. */
static fh_err scan_number(struct parser *p, fh__pconst *c)
{
    size_t start = p->pos, i = p->pos;
    bool neg = false, is_float = false;
    if (i < p->len && p->s[i] == '-') {
        neg = true;
        i++;
    }
    size_t digits = i;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
        i++;
    if (i == digits)
        return expected(p, "a number");
    if (i < p->len && p->s[i] == '.') {
        size_t frac = ++i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
        if (i == frac)
            return fail_at(p, i, FH_ERR_PARSE, "expected digits after the decimal point");
        is_float = true;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        size_t exp = i;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
        if (i == exp)
            return fail_at(p, i, FH_ERR_PARSE, "expected digits in the exponent");
        is_float = true;
    }
    if (i < p->len && (is_ident_char(p->s[i]) || p->s[i] == '.' || p->s[i] == '\''))
        return fail_at(p, i, FH_ERR_PARSE, "unexpected character after a number");
    size_t n = i - start;
    if (is_float) {
        char buf[128];
        if (n >= sizeof buf)
            return fail_at(p, start, FH_ERR_PARSE,
                           "floating-point constant is too long (%zu "
                           "characters; the limit is %zu)",
                           n, sizeof buf - 1);
        memcpy(buf, p->s + start, n);
        buf[n] = '\0';
        errno = 0;
        char *end = NULL;
        double v = strtod(buf, &end);
        if (end != buf + n || !isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
            return fail_at(p, start, FH_ERR_PARSE,
                           "floating-point constant is out of range (IEEE 754 double)");
        /* Denormals are kept; a non-zero constant that rounds to 0 is not. */
        if (v == 0) {
            for (size_t k = digits - start; k < n && buf[k] != 'e' && buf[k] != 'E'; k++)
                if (buf[k] >= '1' && buf[k] <= '9')
                    return fail_at(p, start, FH_ERR_PARSE,
                                   "floating-point constant is too small for an IEEE 754 double "
                                   "(it would read as 0)");
        }
        c->kind = FH__PC_FLOAT;
        c->f = v;
    } else {
        int64_t v = 0;
        for (size_t k = digits; k < i; k++) {
            v = v * 10 + (p->s[k] - '0');
            if (v > PATTERN_INT_MAX)
                return fail_at(p, start, FH_ERR_PARSE,
                               "integer constant is out of range (-(2^53)+1 to 2^53-1, STIX 2.1 "
                               "section 2.10)");
        }
        c->kind = FH__PC_INT;
        c->i = neg ? -v : v;
    }
    p->pos = i;
    return FH_OK;
}

/* Reads any constant at the current position (after whitespace). */
static fh_err parse_constant(struct parser *p, fh__pconst *c)
{
    skip_ws(p);
    memset(c, 0, sizeof *c);
    c->column = p->pos + 1;
    if (p->pos >= p->len)
        return expected(p, "a constant");
    char ch = p->s[p->pos];
    bool quoted_next = p->pos + 1 < p->len && p->s[p->pos + 1] == '\'';
    if (ch == '\'') {
        fh_buf b;
        fh_buf_init(&b, p->len + 1);
        fh_err rc = scan_string(p, &b);
        if (rc) {
            fh_buf_cleanup(&b);
            return rc;
        }
        c->kind = FH__PC_STRING;
        c->str_len = b.len;
        c->str = fh_buf_steal(&b);
        fh_buf_cleanup(&b);
        return FH_OK;
    }
    if (ch == 'h' && quoted_next) {
        c->kind = FH__PC_HEX;
        return scan_hex(p, c);
    }
    if (ch == 'b' && quoted_next) {
        c->kind = FH__PC_BINARY;
        return scan_binary(p, c);
    }
    if (ch == 't' && quoted_next) {
        c->kind = FH__PC_TIMESTAMP;
        return scan_timestamp(p, c);
    }
    if (at_kw(p, "true") || at_kw(p, "false")) {
        c->kind = FH__PC_BOOL;
        c->b = ch == 't';
        p->pos += c->b ? 4 : 5;
        return FH_OK;
    }
    if (ch == '-' || (ch >= '0' && ch <= '9'))
        return scan_number(p, c);
    if (ch == '+')
        return fail_at(p, p->pos, FH_ERR_PARSE,
                       "a positive number is written without '+' (STIX 2.1 section 9.2)");
    if (ch == '"')
        return fail_at(p, p->pos, FH_ERR_PARSE,
                       "strings are enclosed in apostrophes ('x'), not double quotes");
    if (ch == '.')
        return fail_at(p, p->pos, FH_ERR_PARSE,
                       "a floating-point constant needs a digit before the point (0.5)");
    size_t w = 0;
    while (p->pos + w < p->len && is_ident_char(p->s[p->pos + w]))
        w++;
    if ((w == 4 && strncasecmp(p->s + p->pos, "true", 4) == 0) ||
        (w == 5 && strncasecmp(p->s + p->pos, "false", 5) == 0))
        return fail_at(p, p->pos, FH_ERR_PARSE,
                       "booleans are lower case: expected true or false, found '%.*s'", (int)w,
                       p->s + p->pos);
    return expected(p, "a constant (string, number, true/false, h'..', b'..' or t'..')");
}

static const char *const_kind_name(fh__pconst_kind k)
{
    switch (k) {
    case FH__PC_STRING:
        return "a string";
    case FH__PC_INT:
        return "an integer";
    case FH__PC_FLOAT:
        return "a floating-point number";
    case FH__PC_BOOL:
        return "a boolean";
    case FH__PC_HEX:
        return "a hex constant";
    case FH__PC_BINARY:
        return "a binary constant";
    case FH__PC_TIMESTAMP:
        return "a timestamp";
    }
    return "a constant";
}

/* ---- object paths ------------------------------------------------------------ */

static void path_add_step(fh__ppath *path, fh__pstep step)
{
    path->steps = fh_xrealloc(path->steps, (path->nsteps + 1) * sizeof *path->steps);
    path->steps[path->nsteps++] = step;
}

/* A property name or dictionary key: an identifier, or a quoted string when
 * it holds '-' or '.' (section 9.7) or anything else an identifier cannot. */
static fh_err parse_key(struct parser *p, fh__ppath *path, const char *what)
{
    size_t at = p->pos;
    if (at < p->len && p->s[at] == '\'') {
        fh_buf b;
        fh_buf_init(&b, p->len + 1);
        fh_err rc = scan_string(p, &b);
        if (rc == FH_OK && b.len == 0)
            rc = fail_at(p, at, FH_ERR_PARSE, "empty property name ''");
        if (rc) {
            fh_buf_cleanup(&b);
            return rc;
        }
        path_add_step(path, (fh__pstep){FH__PSTEP_KEY, fh_buf_steal(&b), 0});
        fh_buf_cleanup(&b);
        return FH_OK;
    }
    if (at >= p->len || !is_ident_start(p->s[at]))
        return expected(p, what);
    size_t i = at;
    while (i < p->len && is_ident_char(p->s[i]))
        i++;
    if (i < p->len && p->s[i] == '-') {
        size_t j = i;
        while (j < p->len && j - at < 40 && (is_ident_char(p->s[j]) || p->s[j] == '-'))
            j++;
        return fail_at(p, at, FH_ERR_PARSE,
                       "a property name with '-' must be quoted: '%.*s' (STIX 2.1 section 9.7)",
                       (int)(j - at), p->s + at);
    }
    path_add_step(path, (fh__pstep){FH__PSTEP_KEY, fh_xstrndup(p->s + at, i - at), 0});
    p->pos = i;
    return FH_OK;
}

/* Section 3.1 and the custom-object rules: a-z, 0-9 and '-', starting with a
 * letter, 3 to 250 characters, no "--". */
static bool type_name_valid(const char *s, size_t n)
{
    if (n < 3 || n > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && i + 1 < n && s[i + 1] == '-')
            return false;
    }
    return true;
}

static fh_err parse_path(struct parser *p, fh__ppath *path)
{
    size_t start = p->pos;
    path->column = start + 1;
    if (start >= p->len || !is_ident_start(p->s[start]))
        return expected(p, "an object path, EXISTS or '('");
    size_t i = start;
    while (i < p->len && (is_ident_char(p->s[i]) || p->s[i] == '-'))
        i++;
    size_t n = i - start;
    if (i >= p->len || p->s[i] != ':') {
        for (size_t k = 0; k < FH_ARRAY_LEN(keywords); k++) {
            if (strlen(keywords[k]) == n && strncasecmp(keywords[k], p->s + start, n) == 0)
                return expected(p, "an object path");
        }
        p->pos = i;
        return fail_at(p, i, FH_ERR_PARSE,
                       "expected ':' after the object type '%.*s' (object paths look like "
                       "file:name)",
                       (int)(n > 40 ? 40 : n), p->s + start);
    }
    if (!type_name_valid(p->s + start, n))
        return fail_at(p, start, FH_ERR_PARSE,
                       "'%.*s' is not a STIX object type (a-z, 0-9 and single '-', 3 to 250 "
                       "characters, starting with a letter)",
                       (int)(n > 40 ? 40 : n), p->s + start);
    path->type = fh_xstrndup(p->s + start, n);
    p->pos = i + 1;
    fh_err rc = parse_key(p, path, "a property name after ':'");
    if (rc)
        return rc;
    for (;;) {
        if (p->pos >= p->len)
            return FH_OK;
        char c = p->s[p->pos];
        if (c == '.') {
            p->pos++;
            rc = parse_key(p, path, "a property name or quoted key after '.'");
            if (rc)
                return rc;
        } else if (c == '[') {
            size_t at = p->pos++;
            fh__pstep step = {FH__PSTEP_ANY_INDEX, NULL, 0};
            if (p->pos < p->len && p->s[p->pos] == '*') {
                p->pos++;
            } else {
                size_t d = p->pos;
                int64_t v = 0;
                while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
                    v = v * 10 + (p->s[p->pos] - '0');
                    if (v > PATTERN_INT_MAX)
                        return fail_at(p, d, FH_ERR_PARSE, "list index is out of range");
                    p->pos++;
                }
                if (p->pos == d)
                    return expected(p, "a list index (0, 1, ... or *)");
                step.kind = FH__PSTEP_INDEX;
                step.index = v;
            }
            if (p->pos >= p->len || p->s[p->pos] != ']') {
                (void)at;
                return expected(p, "']' to close the list index");
            }
            p->pos++;
            path_add_step(path, step);
        } else {
            return FH_OK;
        }
    }
}

/* ---- comparison expressions ------------------------------------------------- */

typedef fh_err (*parse_fn)(struct parser *p, fh__pnode **out);

/*
 * A left-associative chain of one keyword operator, built as one n-ary node.
 * A first operand of the same kind (from parentheses) is extended in place:
 * "(a OR b) OR c" is "a OR b OR c" under left associativity. With
 * flatten_all, same-kind operands anywhere are merged too (AND and OR inside
 * brackets are associative).
 */
static fh_err parse_chain(struct parser *p, const char *kw, fh__pnode_kind kind, parse_fn operand,
                          bool flatten_all, fh__pnode **out)
{
    fh__pnode *left = NULL, *right = NULL, *chain = NULL;
    fh_err rc = operand(p, &left);
    if (rc)
        goto done;
    while (accept_kw(p, kw)) {
        rc = operand(p, &right);
        if (rc)
            goto done;
        if (chain == NULL) {
            if (left->kind == kind) {
                chain = left;
            } else {
                chain = node_new(kind, left->column);
                node_add(chain, left);
            }
            left = NULL;
        }
        if (flatten_all && right->kind == kind) {
            for (size_t i = 0; i < right->nkids; i++)
                node_add(chain, right->kids[i]);
            right->nkids = 0;
            node_free(right);
        } else {
            node_add(chain, right);
        }
        right = NULL;
    }
    *out = chain ? chain : left;
    chain = left = NULL;
done:
    node_free(left);
    node_free(right);
    node_free(chain);
    return rc;
}

static fh_err parse_cmp_or(struct parser *p, fh__pnode **out);

static bool const_numeric(fh__pconst_kind k)
{
    return k == FH__PC_INT || k == FH__PC_FLOAT;
}

/* Checks the constant(s) of a comparison against what its operator takes. */
static fh_err check_operands(struct parser *p, fh__pnode *n)
{
    fh__pconst *c = &n->consts[0];
    const char *op = fh__pattern_op_name(n->op);
    switch (n->op) {
    case FH__POP_EQ:
    case FH__POP_NE:
    case FH__POP_IN:
        return FH_OK;
    case FH__POP_LT:
    case FH__POP_LE:
    case FH__POP_GT:
    case FH__POP_GE:
        if (c->kind == FH__PC_BOOL)
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "'%s' needs an orderable constant (number, string, timestamp, hex or "
                           "binary), not a boolean",
                           op);
        return FH_OK;
    case FH__POP_LIKE:
    case FH__POP_MATCHES:
        if (c->kind != FH__PC_STRING)
            return fail_at(p, c->column - 1, FH_ERR_PARSE, "%s needs a string constant, found %s",
                           op, const_kind_name(c->kind));
        return FH_OK;
    case FH__POP_ISSUBSET:
    case FH__POP_ISSUPERSET: {
        if (c->kind != FH__PC_STRING)
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "%s needs a string with an IP address or CIDR block, found %s", op,
                           const_kind_name(c->kind));
        int family;
        uint8_t addr[16];
        unsigned prefix;
        bool has_prefix;
        if (!fh__pattern_parse_ip(c->str, c->str_len, &family, addr, &prefix, &has_prefix))
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "%s needs an IPv4 or IPv6 address or CIDR block such as "
                           "'198.51.100.0/24'",
                           op);
        const char *t = n->path.type;
        if ((strcmp(t, "ipv4-addr") == 0 && family != 4) ||
            (strcmp(t, "ipv6-addr") == 0 && family != 6))
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "%s compares %s with an IPv%d %s; use a value of the path's own type",
                           op, t, family, has_prefix ? "CIDR block" : "address");
        return FH_OK;
    }
    case FH__POP_EXISTS:
        return FH_OK;
    }
    return FH_OK;
}

static fh_err parse_in_set(struct parser *p, fh__pnode *n)
{
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '(')
        return expected(p, "'(' to start the IN set, as in IN ('a', 'b')");
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ')')
        return fail_at(p, p->pos, FH_ERR_PARSE, "IN set is empty; give at least one constant");
    size_t cap = 0;
    for (;;) {
        if (n->nconsts == cap) {
            cap = cap ? cap * 2 : 4;
            n->consts = fh_xrealloc(n->consts, cap * sizeof *n->consts);
        }
        fh__pconst *c = &n->consts[n->nconsts];
        fh_err rc = parse_constant(p, c);
        if (rc)
            return rc;
        n->nconsts++;
        fh__pconst *first = &n->consts[0];
        if (c->kind != first->kind && !(const_numeric(c->kind) && const_numeric(first->kind)))
            return fail_at(p, c->column - 1, FH_ERR_PARSE,
                           "IN set mixes %s with %s; its constants must be of one type",
                           const_kind_name(first->kind), const_kind_name(c->kind));
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ')') {
            p->pos++;
            return FH_OK;
        }
        return expected(p, "',' or ')' in the IN set");
    }
}

static fh_err parse_comparison(struct parser *p, fh__pnode **out)
{
    fh__pnode *n = node_new(FH__PN_CMP, p->pos + 1);
    fh_err rc;
    if (accept_kw(p, "EXISTS")) {
        skip_ws(p);
        n->op = FH__POP_EXISTS;
        rc = parse_path(p, &n->path);
        goto done;
    }
    if (at_kw(p, "NOT")) {
        rc = fail_at(p, p->pos, FH_ERR_PARSE,
                     "NOT goes between the object path and the operator, as in "
                     "file:name NOT = 'x'");
        goto done;
    }
    rc = parse_path(p, &n->path);
    if (rc)
        goto done;
    n->negated = accept_kw(p, "NOT");
    skip_ws(p);
    const char *s = p->s + p->pos;
    size_t left = p->len - p->pos;
    size_t oplen = 0;
    if (left >= 2 && s[0] == '!' && s[1] == '=')
        n->op = FH__POP_NE, oplen = 2;
    else if (left >= 2 && s[0] == '<' && s[1] == '=')
        n->op = FH__POP_LE, oplen = 2;
    else if (left >= 2 && s[0] == '>' && s[1] == '=')
        n->op = FH__POP_GE, oplen = 2;
    else if (left >= 1 && s[0] == '=')
        n->op = FH__POP_EQ, oplen = 1;
    else if (left >= 1 && s[0] == '<')
        n->op = FH__POP_LT, oplen = 1;
    else if (left >= 1 && s[0] == '>')
        n->op = FH__POP_GT, oplen = 1;
    else if (at_kw(p, "IN"))
        n->op = FH__POP_IN, oplen = 2;
    else if (at_kw(p, "LIKE"))
        n->op = FH__POP_LIKE, oplen = 4;
    else if (at_kw(p, "MATCHES"))
        n->op = FH__POP_MATCHES, oplen = 7;
    else if (at_kw(p, "ISSUBSET"))
        n->op = FH__POP_ISSUBSET, oplen = 8;
    else if (at_kw(p, "ISSUPERSET"))
        n->op = FH__POP_ISSUPERSET, oplen = 10;
    if (oplen == 0) {
        if (at_kw(p, "EXISTS"))
            rc = fail_at(p, p->pos, FH_ERR_PARSE,
                         "EXISTS goes before the object path, as in EXISTS file:name");
        else
            rc = expected(p, "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, "
                             "ISSUBSET, ISSUPERSET)");
        goto done;
    }
    p->pos += oplen;
    if (n->op == FH__POP_IN) {
        rc = parse_in_set(p, n);
        goto done;
    }
    n->consts = fh_xcalloc(1, sizeof *n->consts);
    rc = parse_constant(p, &n->consts[0]);
    if (rc)
        goto done;
    n->nconsts = 1;
    rc = check_operands(p, n);
done:
    if (rc) {
        node_free(n);
        return rc;
    }
    *out = n;
    return FH_OK;
}

/*
 * "(" inner ")" or "[" inner "]" at p->pos, one nesting level deeper.
 * expect says what could have come where the closing symbol is missing,
 * e.g. "']' or AND/OR".
 */
static fh_err parse_group(struct parser *p, char close, parse_fn inner_fn, const char *expect,
                          fh__pnode **out)
{
    fh__pnode *inner = NULL;
    fh_err rc = enter(p, p->pos);
    if (rc)
        goto done;
    p->pos++;
    rc = inner_fn(p, &inner);
    if (rc)
        goto done;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != close) {
        rc = expected(p, expect);
        goto done;
    }
    p->pos++;
    p->depth--;
    *out = inner;
    inner = NULL;
done:
    node_free(inner);
    return rc;
}

static fh_err parse_cmp_primary(struct parser *p, fh__pnode **out)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '(')
        return parse_group(p, ')', parse_cmp_or, "')' or AND/OR", out);
    return parse_comparison(p, out);
}

static fh_err parse_cmp_and(struct parser *p, fh__pnode **out)
{
    return parse_chain(p, "AND", FH__PN_CMP_AND, parse_cmp_primary, true, out);
}

static fh_err parse_cmp_or(struct parser *p, fh__pnode **out)
{
    return parse_chain(p, "OR", FH__PN_CMP_OR, parse_cmp_and, true, out);
}

/* ---- one object type per AND (section 9.5) ---------------------------------- */

struct typeset {
    const char **v; /* sorted, no duplicates (after typeset_normalize) */
    size_t n;
    size_t cap;
};

static void typeset_add(struct typeset *t, const char *s)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->v = fh_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = s;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void typeset_normalize(struct typeset *t)
{
    if (t->n < 2)
        return;
    qsort(t->v, t->n, sizeof *t->v, str_ptr_cmp);
    size_t keep = 1;
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->v[i], t->v[keep - 1]) != 0)
            t->v[keep++] = t->v[i];
    t->n = keep;
}

/* acc = acc ∩ other; both sorted. */
static void typeset_intersect(struct typeset *acc, const struct typeset *other)
{
    size_t i = 0, j = 0, keep = 0;
    while (i < acc->n && j < other->n) {
        int c = strcmp(acc->v[i], other->v[j]);
        if (c == 0)
            acc->v[keep++] = acc->v[i], i++, j++;
        else if (c < 0)
            i++;
        else
            j++;
    }
    acc->n = keep;
}

/*
 * The object types that could satisfy comparison tree n (into *res, empty
 * on entry): a comparison gives its path's type, OR the union, AND the
 * intersection, which must not be empty: "All operands of AND in an
 * Observation Expression MUST be satisfiable with the same object." Sorted
 * sets keep this O(n log n) per nesting level for any pattern size.
 */
static fh_err object_types(struct parser *p, const fh__pnode *n, struct typeset *res)
{
    if (n->kind == FH__PN_CMP) {
        typeset_add(res, n->path.type);
        return FH_OK;
    }
    struct typeset kid = {0};
    fh_err rc = FH_OK;
    for (size_t i = 0; rc == FH_OK && i < n->nkids; i++) {
        kid.n = 0;
        rc = object_types(p, n->kids[i], &kid);
        if (rc)
            break;
        if (n->kind == FH__PN_CMP_OR || i == 0) {
            for (size_t k = 0; k < kid.n; k++)
                typeset_add(res, kid.v[k]);
            if (i == 0 || i + 1 == n->nkids)
                typeset_normalize(res);
            continue;
        }
        const char *a = res->v[0], *b = kid.v[0];
        typeset_intersect(res, &kid);
        if (res->n == 0)
            rc = fail_at(p, n->kids[i]->column - 1, FH_ERR_PARSE,
                         "AND joins comparisons on '%.60s' and '%.60s', which no single object "
                         "satisfies; use OR, or separate [ ] observations joined by AND",
                         a, b);
    }
    free(kid.v);
    return rc;
}

/* ---- observation expressions ------------------------------------------------- */

static fh_err parse_obs_fb(struct parser *p, fh__pnode **out);

static fh_err parse_obs_primary(struct parser *p, fh__pnode **out)
{
    skip_ws(p);
    size_t at = p->pos;
    if (at < p->len && p->s[at] == '(')
        return parse_group(p, ')', parse_obs_fb, "')', AND, OR, FOLLOWEDBY or a qualifier", out);
    if (at >= p->len || p->s[at] != '[')
        return expected(p, "'[' or '(' to start an observation expression");
    fh__pnode *inner = NULL;
    struct typeset types = {0};
    fh_err rc = parse_group(p, ']', parse_cmp_or, "']' or AND/OR", &inner);
    if (rc)
        goto done;
    rc = object_types(p, inner, &types);
    if (rc)
        goto done;
    *out = node_new(FH__PN_OBS, at + 1);
    node_add(*out, inner);
    inner = NULL;
done:
    free(types.v);
    node_free(inner);
    return rc;
}

static fh_err parse_positive(struct parser *p, const char *kw, bool integer_only, fh__pconst *c)
{
    skip_ws(p);
    fh_err rc;
    if (p->pos < p->len && (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9')))
        rc = scan_number(p, c);
    else
        rc = expected(p, integer_only ? "a positive integer" : "a positive number of seconds");
    if (rc)
        return rc;
    if (integer_only && c->kind != FH__PC_INT)
        return fail_at(p, c->column - 1, FH_ERR_PARSE, "%s needs a positive integer", kw);
    if ((c->kind == FH__PC_INT && c->i <= 0) || (c->kind == FH__PC_FLOAT && !(c->f > 0)))
        return fail_at(p, c->column - 1, FH_ERR_PARSE, "%s needs a positive %s, found %s", kw,
                       integer_only ? "integer" : "number",
                       c->kind == FH__PC_INT && c->i == 0 ? "0" : "a value <= 0");
    return FH_OK;
}

static fh_err parse_qualifier(struct parser *p, fh__pqual *q)
{
    fh_err rc;
    memset(q, 0, sizeof *q);
    q->column = p->pos + 1;
    if (accept_kw(p, "WITHIN")) {
        q->kind = FH__PQ_WITHIN;
        skip_ws(p);
        q->within.column = p->pos + 1;
        rc = parse_positive(p, "WITHIN", false, &q->within);
        if (rc)
            return rc;
        if (!accept_kw(p, "SECONDS")) {
            if (at_kw(p, "MINUTES") || at_kw(p, "HOURS") || at_kw(p, "MINUTE"))
                return fail_at(p, p->pos, FH_ERR_PARSE,
                               "WITHIN takes SECONDS only (write 300 SECONDS for 5 minutes)");
            return expected(p, "SECONDS after the WITHIN duration");
        }
        return FH_OK;
    }
    if (accept_kw(p, "REPEATS")) {
        q->kind = FH__PQ_REPEATS;
        fh__pconst c;
        memset(&c, 0, sizeof c);
        skip_ws(p);
        c.column = p->pos + 1;
        rc = parse_positive(p, "REPEATS", true, &c);
        if (rc)
            return rc;
        q->repeats = c.i;
        if (!accept_kw(p, "TIMES"))
            return expected(p, "TIMES after the REPEATS count");
        return FH_OK;
    }
    if (accept_kw(p, "START")) {
        q->kind = FH__PQ_STARTSTOP;
        fh__pconst c;
        skip_ws(p);
        if (!(p->pos + 1 < p->len && p->s[p->pos] == 't' && p->s[p->pos + 1] == '\''))
            return expected(p, "a timestamp t'YYYY-MM-DDTHH:MM:SSZ' after START");
        rc = parse_constant(p, &c);
        if (rc)
            return rc;
        q->start = c.t;
        if (!accept_kw(p, "STOP"))
            return expected(p, "STOP after the START timestamp");
        skip_ws(p);
        if (!(p->pos + 1 < p->len && p->s[p->pos] == 't' && p->s[p->pos + 1] == '\''))
            return expected(p, "a timestamp t'YYYY-MM-DDTHH:MM:SSZ' after STOP");
        rc = parse_constant(p, &c);
        if (rc)
            return rc;
        q->stop = c.t;
        return FH_OK;
    }
    return FH_ERR_NOTFOUND;
}

static bool has_qual(const fh__pnode *n, fh__pqual_kind kind)
{
    for (size_t i = 0; i < n->nquals; i++)
        if (n->quals[i].kind == kind)
            return true;
    return false;
}

static const char *qual_name(fh__pqual_kind k)
{
    return k == FH__PQ_WITHIN ? "WITHIN" : k == FH__PQ_REPEATS ? "REPEATS" : "START/STOP";
}

/*
 * An observation primary and the qualifiers after it. Qualifiers of a chain
 * apply in order; a chain must not repeat a kind (section 9.5.1). A
 * parenthesized qualified expression takes further qualifiers of other
 * kinds into its own list (the meaning is the same), and is wrapped in a
 * new node when a kind repeats: "([a] WITHIN 5 SECONDS) WITHIN 9 SECONDS".
 */
static fh_err parse_obs_qualified(struct parser *p, fh__pnode **out)
{
    fh__pnode *n = NULL;
    fh_err rc = parse_obs_primary(p, &n);
    if (rc)
        return rc;
    unsigned seen = 0;
    for (;;) {
        skip_ws(p);
        if (!(at_kw(p, "WITHIN") || at_kw(p, "REPEATS") || at_kw(p, "START")))
            break;
        fh__pqual q;
        rc = parse_qualifier(p, &q);
        if (rc) {
            const_cleanup(&q.within);
            goto done;
        }
        if (seen & (1u << q.kind)) {
            const_cleanup(&q.within);
            rc = fail_at(p, q.column - 1, FH_ERR_PARSE,
                         "a second %s qualifier on the same expression; an expression takes at "
                         "most one of each kind (use parentheses to nest)",
                         qual_name(q.kind));
            goto done;
        }
        seen |= 1u << q.kind;
        if (n->kind != FH__PN_QUALIFIED || has_qual(n, q.kind)) {
            fh__pnode *w = node_new(FH__PN_QUALIFIED, n->column);
            node_add(w, n);
            n = w;
        }
        n->quals[n->nquals++] = q;
    }
    *out = n;
    n = NULL;
done:
    node_free(n);
    return rc;
}

static fh_err parse_obs_and(struct parser *p, fh__pnode **out)
{
    return parse_chain(p, "AND", FH__PN_OBS_AND, parse_obs_qualified, false, out);
}

static fh_err parse_obs_or(struct parser *p, fh__pnode **out)
{
    return parse_chain(p, "OR", FH__PN_OBS_OR, parse_obs_and, false, out);
}

static fh_err parse_obs_fb(struct parser *p, fh__pnode **out)
{
    return parse_chain(p, "FOLLOWEDBY", FH__PN_FOLLOWEDBY, parse_obs_or, false, out);
}

/* ---- entry point ------------------------------------------------------------- */

fh_err fh_pattern_parse(const char *text, size_t len, size_t max_len, fh_pattern **out,
                        fh_pattern_error *err)
{
    assert(out != NULL);
    assert(text != NULL || len == 0);
    *out = NULL;
    if (err) {
        err->column = 0;
        err->message[0] = '\0';
    }
    if (max_len == 0)
        max_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
    struct parser p = {text ? text : "", len, 0, 0, err};
    if (len > max_len)
        return fail_at(&p, max_len, FH_ERR_LIMIT, "pattern is %zu bytes; the limit is %zu", len,
                       max_len);
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul)
        return fail_at(&p, (size_t)(nul - text), FH_ERR_PARSE, "NUL byte in the pattern");
    skip_ws(&p);
    if (p.pos >= len)
        return fail_at(&p, p.pos, FH_ERR_PARSE,
                       "pattern is empty: expected '[' to start an observation expression");
    fh__pnode *root = NULL;
    fh_err rc = parse_obs_fb(&p, &root);
    if (rc)
        return rc;
    skip_ws(&p);
    if (p.pos < len) {
        node_free(root);
        return expected(&p, "AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or the "
                            "end of the pattern");
    }
    *out = fh_xcalloc(1, sizeof **out);
    (*out)->root = root;
    return FH_OK;
}

/* ---- structural equality (tests and fuzzing) ------------------------------ */

static bool const_equal(const fh__pconst *a, const fh__pconst *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case FH__PC_STRING:
    case FH__PC_HEX:
    case FH__PC_BINARY:
        return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case FH__PC_INT:
        return a->i == b->i;
    case FH__PC_FLOAT:
        return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case FH__PC_BOOL:
        return a->b == b->b;
    case FH__PC_TIMESTAMP:
        return a->t.sec == b->t.sec && a->t.nsec == b->t.nsec &&
               a->t.frac_digits == b->t.frac_digits;
    }
    return false;
}

static bool path_equal(const fh__ppath *a, const fh__ppath *b)
{
    if (strcmp(a->type, b->type) != 0 || a->nsteps != b->nsteps)
        return false;
    for (size_t i = 0; i < a->nsteps; i++) {
        const fh__pstep *x = &a->steps[i], *y = &b->steps[i];
        if (x->kind != y->kind || x->index != y->index)
            return false;
        if (x->kind == FH__PSTEP_KEY && strcmp(x->key, y->key) != 0)
            return false;
    }
    return true;
}

static bool qual_equal(const fh__pqual *a, const fh__pqual *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == FH__PQ_WITHIN)
        return const_equal(&a->within, &b->within);
    if (a->kind == FH__PQ_REPEATS)
        return a->repeats == b->repeats;
    return fh_time_cmp(&a->start, &b->start) == 0 && fh_time_cmp(&a->stop, &b->stop) == 0 &&
           a->start.frac_digits == b->start.frac_digits &&
           a->stop.frac_digits == b->stop.frac_digits;
}

static bool node_equal(const fh__pnode *a, const fh__pnode *b)
{
    if (a->kind != b->kind || a->nkids != b->nkids || a->nquals != b->nquals)
        return false;
    if (a->kind == FH__PN_CMP) {
        if (a->op != b->op || a->negated != b->negated || a->nconsts != b->nconsts ||
            !path_equal(&a->path, &b->path))
            return false;
        for (size_t i = 0; i < a->nconsts; i++)
            if (!const_equal(&a->consts[i], &b->consts[i]))
                return false;
        return true;
    }
    for (size_t i = 0; i < a->nquals; i++)
        if (!qual_equal(&a->quals[i], &b->quals[i]))
            return false;
    for (size_t i = 0; i < a->nkids; i++)
        if (!node_equal(a->kids[i], b->kids[i]))
            return false;
    return true;
}

bool fh__pattern_equal(const fh_pattern *a, const fh_pattern *b)
{
    return node_equal(a->root, b->root);
}
