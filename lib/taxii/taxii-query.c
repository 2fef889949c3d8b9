/*
 * The parts of a TAXII request that come from untrusted text: query-string
 * filters (TAXII 2.1 section 3.4), pagination cursors, Accept and
 * Content-Type media types (section 1.6.8) and the Authorization header.
 * Everything here is pure: no store, no network, so the fuzz target
 * (tests/fuzz/fuzz_taxii_query.c) can drive all of it.
 */
#include <ctype.h>
#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fenghuo/taxii.h"
#include "fenghuo/time.h"

void fh_taxii_filter_init(fh_taxii_filter *f)
{
    memset(f, 0, sizeof *f);
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void fh_taxii_filter_cleanup(fh_taxii_filter *f)
{
    free_list(f->ids, f->n_ids);
    free_list(f->types, f->n_types);
    free_list(f->spec_versions, f->n_spec_versions);
    free_list(f->versions, f->n_versions);
    free(f->added_after);
    free(f->next);
    memset(f, 0, sizeof *f);
}

/* Splits a comma-separated value; empty items are an error. */
static fh_err split_values(const char *key, const char *value, char ***out, size_t *n, fh_buf *err)
{
    size_t count = 1;
    for (const char *p = value; *p; p++)
        count += *p == ',';
    if (count > FH_TAXII_MAX_FILTER_VALUES) {
        fh_buf_appendf(err, "%s has %zu values; the limit is %d", key, count,
                       FH_TAXII_MAX_FILTER_VALUES);
        return FH_ERR_INVALID;
    }
    char **v = fh_xcalloc(count, sizeof *v);
    const char *start = value;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (len == 0) {
            fh_buf_appendf(err, "%s has an empty value", key);
            free_list(v, i);
            return FH_ERR_INVALID;
        }
        v[i] = fh_xstrndup(start, len);
        start = end ? end + 1 : start + len;
    }
    *out = v;
    *n = count;
    return FH_OK;
}

static fh_err parse_versions(const char *value, fh_taxii_filter *f, fh_buf *err)
{
    char **v = NULL;
    size_t n = 0;
    fh_err rc = split_values("match[version]", value, &v, &n, err);
    if (rc)
        return rc;
    f->versions = fh_xcalloc(n, sizeof *f->versions);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v[i], v[j]) == 0) {
                fh_buf_appendf(err, "match[version] lists '%s' twice", v[i]);
                rc = FH_ERR_INVALID;
                goto done;
            }
        }
        if (strcmp(v[i], "all") == 0) {
            f->version_all = true;
        } else if (strcmp(v[i], "first") == 0) {
            f->version_first = true;
        } else if (strcmp(v[i], "last") == 0) {
            f->version_last = true;
        } else {
            const char *why = NULL;
            fh_time t;
            if (fh_time_parse(v[i], strlen(v[i]), &t, &why) != FH_OK) {
                fh_buf_appendf(err,
                               "match[version] takes all, first, last or timestamps; '%s' is "
                               "none (%s)",
                               v[i], why ? why : "not a timestamp");
                rc = FH_ERR_INVALID;
                goto done;
            }
            f->versions[f->n_versions++] = fh_xstrdup(v[i]);
        }
    }
    if (f->version_all && n > 1) {
        fh_buf_append_str(err, "match[version]=all cannot be combined with other versions");
        rc = FH_ERR_INVALID;
    }
done:
    free_list(v, n);
    return rc;
}

fh_err fh_taxii_filter_parse(const fh_taxii_param *params, size_t n, unsigned allowed,
                             fh_taxii_filter *f, fh_buf *err)
{
    static const struct {
        const char *key;
        unsigned flag;
    } known[] = {{"added_after", FH_TAXII_F_ADDED_AFTER},
                 {"limit", FH_TAXII_F_LIMIT},
                 {"next", FH_TAXII_F_NEXT},
                 {"match[id]", FH_TAXII_F_ID},
                 {"match[type]", FH_TAXII_F_TYPE},
                 {"match[version]", FH_TAXII_F_VERSION},
                 {"match[spec_version]", FH_TAXII_F_SPEC_VERSION}};
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *key = params[i].key, *value = params[i].value ? params[i].value : "";
        unsigned flag = 0;
        for (size_t k = 0; k < FH_ARRAY_LEN(known); k++)
            if (key && strcmp(key, known[k].key) == 0)
                flag = known[k].flag;
        if (flag == 0 || !(allowed & flag))
            continue; /* the spec lets servers ignore what they do not support */
        if (seen & flag) {
            fh_buf_appendf(err, "%s must not appear more than once", key);
            return FH_ERR_INVALID;
        }
        seen |= flag;
        fh_err rc = FH_OK;
        switch (flag) {
        case FH_TAXII_F_ADDED_AFTER: {
            fh_time t;
            const char *why = NULL;
            if (fh_time_parse(value, strlen(value), &t, &why) != FH_OK) {
                fh_buf_appendf(err,
                               "added_after must be a timestamp such as "
                               "2026-01-31T12:00:00.000000Z (%s)",
                               why ? why : "invalid");
                return FH_ERR_INVALID;
            }
            f->has_added_after = true;
            f->added_after_us = t.sec * 1000000 + (int64_t)(t.nsec / 1000);
            f->added_after = fh_xstrdup(value);
            break;
        }
        case FH_TAXII_F_LIMIT: {
            int64_t v = 0;
            if (fh_parse_i64(value, 1, INT32_MAX, &v) != FH_OK) {
                fh_buf_appendf(err, "limit must be an integer greater than zero, not '%s'", value);
                return FH_ERR_INVALID;
            }
            f->limit = (size_t)v;
            break;
        }
        case FH_TAXII_F_NEXT:
            if (value[0] == '\0') {
                fh_buf_append_str(err, "next is empty");
                return FH_ERR_INVALID;
            }
            f->next = fh_xstrdup(value);
            break;
        case FH_TAXII_F_ID:
            rc = split_values(key, value, &f->ids, &f->n_ids, err);
            break;
        case FH_TAXII_F_TYPE:
            rc = split_values(key, value, &f->types, &f->n_types, err);
            break;
        case FH_TAXII_F_SPEC_VERSION:
            rc = split_values(key, value, &f->spec_versions, &f->n_spec_versions, err);
            break;
        case FH_TAXII_F_VERSION:
            rc = parse_versions(value, f, err);
            break;
        }
        if (rc)
            return rc;
    }
    return FH_OK;
}

/* ---- digest and cursors ------------------------------------------------- */

static void digest_str(struct sha256_ctx *c, const char *s)
{
    sha256_update(c, s ? strlen(s) + 1 : 1, (const uint8_t *)(s ? s : ""));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Values in sorted order, so "a,b" and "b,a" give one digest. */
static void digest_list(struct sha256_ctx *c, const char *tag, char **v, size_t n)
{
    digest_str(c, tag);
    char **sorted = fh_xcalloc(n ? n : 1, sizeof *sorted);
    if (n)
        memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    for (size_t i = 0; i < n; i++)
        digest_str(c, sorted[i]);
    free(sorted);
}

void fh_taxii_filter_digest(const fh_taxii_filter *f, const char *endpoint, const char *collection,
                            const char *object_id, uint8_t out[16])
{
    struct sha256_ctx c;
    sha256_init(&c);
    digest_str(&c, "fenghuo-cursor-1");
    digest_str(&c, endpoint);
    digest_str(&c, collection);
    digest_str(&c, object_id);
    digest_str(&c, f->added_after);
    digest_list(&c, "id", f->ids, f->n_ids);
    digest_list(&c, "type", f->types, f->n_types);
    digest_list(&c, "spec_version", f->spec_versions, f->n_spec_versions);
    digest_list(&c, "version", f->versions, f->n_versions);
    char flags[4] = {f->version_all ? 'a' : '-', f->version_first ? 'f' : '-',
                     f->version_last ? 'l' : '-', 0};
    digest_str(&c, flags);
    uint8_t full[SHA256_DIGEST_SIZE];
    sha256_digest(&c, sizeof full, full);
    memcpy(out, full, 16);
}

#define CURSOR_VERSION 1
#define CURSOR_BYTES   41 /* version, position, digest, MAC */

static void cursor_mac(const uint8_t key[32], const uint8_t *msg, size_t len, uint8_t out[16])
{
    struct hmac_sha256_ctx h;
    hmac_sha256_set_key(&h, 32, key);
    hmac_sha256_update(&h, len, msg);
    uint8_t full[SHA256_DIGEST_SIZE];
    hmac_sha256_digest(&h, sizeof full, full);
    memcpy(out, full, 16);
}

void fh_taxii_cursor_encode(const uint8_t key[32], int64_t position, const uint8_t digest[16],
                            char *out)
{
    uint8_t raw[CURSOR_BYTES];
    raw[0] = CURSOR_VERSION;
    uint64_t p = (uint64_t)position;
    for (int i = 0; i < 8; i++)
        raw[1 + i] = (uint8_t)(p >> (56 - 8 * i));
    memcpy(raw + 9, digest, 16);
    cursor_mac(key, raw, 25, raw + 25);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < CURSOR_BYTES; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * CURSOR_BYTES] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

fh_err fh_taxii_cursor_decode(const uint8_t key[32], const char *text, const uint8_t digest[16],
                              int64_t *position)
{
    if (text == NULL || strlen(text) != 2 * CURSOR_BYTES)
        return FH_ERR_PARSE;
    uint8_t raw[CURSOR_BYTES];
    for (size_t i = 0; i < CURSOR_BYTES; i++) {
        int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return FH_ERR_PARSE;
        raw[i] = (uint8_t)(hi << 4 | lo);
    }
    uint8_t mac[16];
    cursor_mac(key, raw, 25, mac);
    if (raw[0] != CURSOR_VERSION || !fh_consttime_equal(mac, 16, raw + 25, 16))
        return FH_ERR_PARSE;
    if (!fh_consttime_equal(digest, 16, raw + 9, 16))
        return FH_ERR_CONFLICT;
    uint64_t p = 0;
    for (int i = 0; i < 8; i++)
        p = p << 8 | raw[1 + i];
    *position = (int64_t)p;
    return FH_OK;
}

/* ---- media types -------------------------------------------------------- */

/* Trims spaces and tabs at both ends of [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static bool token_eq(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) == n && strncasecmp(s, lit, n) == 0;
}

/*
 * Checks one media range [s, e): "type/subtype *(; param=value)". Sets
 * *taxii when it is application/taxii+json (version absent or 2.1),
 * *wildcard for * / * and application/ *, *q_zero when q=0.
 */
static void media_range(const char *s, const char *e, bool *taxii, bool *wildcard, bool *q_zero)
{
    *taxii = *wildcard = *q_zero = false;
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *te = semi ? semi : e;
    const char *ts = s;
    trim(&ts, &te);
    bool is_taxii = token_eq(ts, te, "application/taxii+json");
    *wildcard = token_eq(ts, te, "*/*") || token_eq(ts, te, "application/*");
    bool version_ok = true;
    while (semi) {
        const char *ps = semi + 1;
        semi = memchr(ps, ';', (size_t)(e - ps));
        const char *pe = semi ? semi : e;
        trim(&ps, &pe);
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        if (eq == NULL)
            continue;
        const char *ks = ps, *ke = eq, *vs = eq + 1, *ve = pe;
        trim(&ks, &ke);
        trim(&vs, &ve);
        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
            vs++;
            ve--;
        }
        if (token_eq(ks, ke, "version"))
            version_ok = token_eq(vs, ve, "2.1");
        else if (token_eq(ks, ke, "q")) {
            char q[16];
            size_t qn = (size_t)(ve - vs) < sizeof q - 1 ? (size_t)(ve - vs) : sizeof q - 1;
            memcpy(q, vs, qn);
            q[qn] = '\0';
            char *qe = NULL;
            double qv = strtod(q, &qe);
            *q_zero = qe != q && qv <= 0.0;
        }
    }
    *taxii = is_taxii && version_ok;
}

bool fh_taxii_accept_ok(const char *accept)
{
    if (accept == NULL)
        return true;
    const char *p = accept;
    const char *end = accept + strlen(accept);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        bool taxii, wildcard, q_zero;
        media_range(p, e, &taxii, &wildcard, &q_zero);
        if ((taxii || wildcard) && !q_zero)
            return true;
        p = comma ? comma + 1 : end;
    }
    return false;
}

bool fh_taxii_content_type_ok(const char *content_type)
{
    if (content_type == NULL)
        return false;
    bool taxii, wildcard, q_zero;
    media_range(content_type, content_type + strlen(content_type), &taxii, &wildcard, &q_zero);
    return taxii;
}

/* ---- credentials -------------------------------------------------------- */

fh_err fh_taxii_auth_token(const char *authorization, char *out, size_t max)
{
    if (authorization == NULL || max == 0)
        return FH_ERR_AUTH;
    const char *p = authorization;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "Bearer ", 7) == 0) {
        p += 7;
        while (*p == ' ')
            p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 0 || len >= max)
            return FH_ERR_AUTH;
        memcpy(out, p, len);
        out[len] = '\0';
        return FH_OK;
    }
    if (strncasecmp(p, "Basic ", 6) == 0) {
        p += 6;
        while (*p == ' ')
            p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 0 || len > 1024)
            return FH_ERR_AUTH;
        uint8_t *dec = fh_xmalloc(BASE64_DECODE_LENGTH(len) + 1);
        size_t dlen = BASE64_DECODE_LENGTH(len);
        struct base64_decode_ctx ctx;
        base64_decode_init(&ctx);
        fh_err rc = FH_ERR_AUTH;
        if (base64_decode_update(&ctx, &dlen, dec, len, p) && base64_decode_final(&ctx)) {
            /* user:password; the token is the password, the user is ignored. */
            uint8_t *colon = memchr(dec, ':', dlen);
            if (colon) {
                size_t plen = dlen - (size_t)(colon + 1 - dec);
                if (plen > 0 && plen < max && memchr(colon + 1, '\0', plen) == NULL) {
                    memcpy(out, colon + 1, plen);
                    out[plen] = '\0';
                    rc = FH_OK;
                }
            }
        }
        memset(dec, 0, BASE64_DECODE_LENGTH(len) + 1);
        free(dec);
        return rc;
    }
    return FH_ERR_AUTH;
}
