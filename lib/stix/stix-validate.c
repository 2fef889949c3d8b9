/*
 * STIX 2.1 object validation: the entry points, the common properties of
 * section 3.2 (type, spec_version, id, created/modified, markings, external
 * references, extensions, custom properties) and the value types of section 2
 * that every object type's property table is checked against.
 *
 * Not for: the properties of each object type (stix-validate-sdo.c, -sco.c,
 * -meta.c), the pattern grammar (stix-pattern.c), or containers
 * (stix-parse.c). Every problem becomes a diagnostic; nothing here asserts on
 * input, and nesting is bounded by the property tables, not by the input.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/stix.h"
#include "fenghuo/uuid.h"
#include "stix/stix-internal.h"

/* ==== diagnostics ======================================================== */

static void vreport(fh__stix_vctx *v, fh_diag_severity sev, const char *path, const char *fmt,
                    va_list ap) FH_PRINTF(4, 0);

static void vreport(fh__stix_vctx *v, fh_diag_severity sev, const char *path, const char *fmt,
                    va_list ap)
{
    fh_buf msg;
    fh_buf_init(&msg, 2048);
    /* A message cut at the buffer's limit is still worth reporting. */
    (void)fh_buf_vappendf(&msg, fmt, ap);
    fh_stix_diags_add(v->diags, sev, v->name, path, "%s", msg.data ? msg.data : fmt);
    fh_buf_cleanup(&msg);
    if (sev == FH_DIAG_ERROR)
        v->errors++;
}

void fh__stix_error(fh__stix_vctx *v, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, FH_DIAG_ERROR, path, fmt, ap);
    va_end(ap);
}

void fh__stix_warning(fh__stix_vctx *v, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, FH_DIAG_WARNING, path, fmt, ap);
    va_end(ap);
}

const char *fh__stix_quote(const char *s, char buf[FH__STIX_QUOTE_MAX])
{
    const size_t keep = FH__STIX_QUOTE_MAX - 4; /* room for "..." and NUL */
    size_t n = strlen(s), i;
    size_t cut = n <= keep ? n : keep;
    /* Do not split a UTF-8 sequence: back off over continuation bytes. */
    while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    for (i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut < n) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static bool plain_key(const char *k)
{
    if (*k == '\0')
        return false;
    for (const char *p = k; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

void fh__stix_path_key(char *out, size_t n, const char *base, const char *key)
{
    int w;
    if (plain_key(key)) {
        w = snprintf(out, n, "%s.%s", base, key);
    } else {
        /* Keep the path printable: unusual keys are shown quoted and cut. */
        char safe[64];
        size_t j = 0;
        for (const char *p = key; *p && j + 1 < sizeof safe; p++) {
            unsigned char c = (unsigned char)*p;
            safe[j++] = (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') ? (char)c : '?';
        }
        safe[j] = '\0';
        w = snprintf(out, n, "%s['%s']", base, safe);
    }
    if (w < 0 || (size_t)w >= n) {
        /* Truncated: mark the cut so nobody mistakes it for a real path. */
        if (n > 4)
            memcpy(out + n - 4, "...", 4);
    }
}

void fh__stix_path_index(char *out, size_t n, const char *base, size_t i)
{
    int w = snprintf(out, n, "%s[%zu]", base, i);
    if ((w < 0 || (size_t)w >= n) && n > 4)
        memcpy(out + n - 4, "...", 4);
}

/* ==== small checks ======================================================= */

bool fh__stix_word_in(const char *list, const char *word, size_t wlen)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == wlen && wlen > 0 && memcmp(p, word, wlen) == 0)
            return true;
        p = e;
    }
    return false;
}

bool fh__stix_is_hex(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return n % 2 == 0;
}

static bool is_base64(const char *s)
{
    size_t n = strlen(s), pad = 0;
    if (n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad)
            return false; /* data after padding */
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return pad <= 2;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

bool fh__stix_lang_valid(const char *s)
{
    /* RFC 5646 syntax in short: subtags of 1-8 letters/digits joined by '-';
     * the first is a 2-8 letter language, or "x"/"i" (private use and
     * grandfathered tags). The registry itself is not consulted. */
    size_t i = 0, sub = 0;
    bool first = true, privuse = false;
    if (s[0] == '\0')
        return false;
    while (true) {
        size_t start = i;
        while (s[i] && s[i] != '-') {
            if (!is_alnum(s[i]))
                return false;
            if (first && !is_alpha(s[i]))
                return false;
            i++;
        }
        size_t len = i - start;
        if (len == 0 || len > 8)
            return false;
        if (first) {
            bool single = len == 1 && (s[start] == 'x' || s[start] == 'X' || s[start] == 'i' ||
                                       s[start] == 'I');
            if (len == 1 && !single)
                return false;
            privuse = single;
            first = false;
        }
        sub++;
        if (s[i] == '\0')
            break;
        i++; /* '-' */
    }
    return !privuse || sub >= 2;
}

bool fh__stix_prop_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 250 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool fh__stix_get_time(const json_t *obj, const char *key, fh_time *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return false;
    return fh_time_parse(json_string_value(v), json_string_length(v), out, NULL) == FH_OK;
}

void fh__stix_check_order(fh__stix_vctx *v, const json_t *obj, const char *earlier,
                          const char *later, bool strict)
{
    fh_time a, b;
    if (!fh__stix_get_time(obj, earlier, &a) || !fh__stix_get_time(obj, later, &b))
        return;
    int c = fh_time_cmp(&b, &a);
    char path[FH__STIX_PATH_MAX];
    fh__stix_path_key(path, sizeof path, "$", later);
    if (strict && c <= 0)
        fh__stix_error(v, path, "must be later than %s", earlier);
    else if (!strict && c < 0)
        fh__stix_error(v, path, "must be later than or equal to %s", earlier);
}

void fh__stix_warn_order(fh__stix_vctx *v, const json_t *obj, const char *earlier,
                         const char *later)
{
    fh_time a, b;
    if (!fh__stix_get_time(obj, earlier, &a) || !fh__stix_get_time(obj, later, &b))
        return;
    if (fh_time_cmp(&b, &a) < 0) {
        char path[FH__STIX_PATH_MAX];
        fh__stix_path_key(path, sizeof path, "$", later);
        fh__stix_warning(v, path, "is earlier than %s", earlier);
    }
}

/* ==== identifiers and their targets ====================================== */

static const struct {
    const char *name;
    fh__stix_class cls;
} known_classes[] = {
    {"attack-pattern", FH__STIX_SDO},
    {"campaign", FH__STIX_SDO},
    {"course-of-action", FH__STIX_SDO},
    {"grouping", FH__STIX_SDO},
    {"identity", FH__STIX_SDO},
    {"incident", FH__STIX_SDO},
    {"indicator", FH__STIX_SDO},
    {"infrastructure", FH__STIX_SDO},
    {"intrusion-set", FH__STIX_SDO},
    {"location", FH__STIX_SDO},
    {"malware", FH__STIX_SDO},
    {"malware-analysis", FH__STIX_SDO},
    {"note", FH__STIX_SDO},
    {"observed-data", FH__STIX_SDO},
    {"opinion", FH__STIX_SDO},
    {"report", FH__STIX_SDO},
    {"threat-actor", FH__STIX_SDO},
    {"tool", FH__STIX_SDO},
    {"vulnerability", FH__STIX_SDO},
    {"relationship", FH__STIX_SRO},
    {"sighting", FH__STIX_SRO},
    {"artifact", FH__STIX_SCO},
    {"autonomous-system", FH__STIX_SCO},
    {"directory", FH__STIX_SCO},
    {"domain-name", FH__STIX_SCO},
    {"email-addr", FH__STIX_SCO},
    {"email-message", FH__STIX_SCO},
    {"file", FH__STIX_SCO},
    {"ipv4-addr", FH__STIX_SCO},
    {"ipv6-addr", FH__STIX_SCO},
    {"mac-addr", FH__STIX_SCO},
    {"mutex", FH__STIX_SCO},
    {"network-traffic", FH__STIX_SCO},
    {"process", FH__STIX_SCO},
    {"software", FH__STIX_SCO},
    {"url", FH__STIX_SCO},
    {"user-account", FH__STIX_SCO},
    {"windows-registry-key", FH__STIX_SCO},
    {"x509-certificate", FH__STIX_SCO},
    {"marking-definition", FH__STIX_MARKING},
    {"language-content", FH__STIX_LANGUAGE},
    {"extension-definition", FH__STIX_EXTDEF},
};

static fh__stix_class class_of_n(const char *type, size_t n)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(known_classes); i++)
        if (strlen(known_classes[i].name) == n && memcmp(known_classes[i].name, type, n) == 0)
            return known_classes[i].cls;
    return FH__STIX_CUSTOM;
}

fh__stix_class fh__stix_class_of(const char *type)
{
    return class_of_n(type, strlen(type));
}

/* bundle is not a STIX Object and can be the target of nothing. */
static bool is_bundle(const char *t, size_t n)
{
    return n == 6 && memcmp(t, "bundle", 6) == 0;
}

static void check_ref(fh__stix_vctx *v, const json_t *val, const char *path, const char *allowed)
{
    if (!json_is_string(val)) {
        fh__stix_error(v, path, "must be an identifier (a string)");
        return;
    }
    const char *s = json_string_value(val);
    if (!fh_stix_id_valid(s, NULL)) {
        fh__stix_error(v, path, "must be an identifier <type>--<RFC 4122 UUID> (section 2.9)");
        return;
    }
    size_t tlen = strlen(s) - 38;
    if (is_bundle(s, tlen)) {
        fh__stix_error(v, path, "must not refer to a bundle (bundles are not STIX Objects)");
        return;
    }
    if (allowed == NULL || strcmp(allowed, "<any>") == 0)
        return;
    fh__stix_class c = class_of_n(s, tlen);
    const char *want = NULL;
    bool ok;
    if (strcmp(allowed, "<sdo>") == 0) {
        ok = c == FH__STIX_SDO || c == FH__STIX_CUSTOM;
        want = "an SDO";
    } else if (strcmp(allowed, "<sco>") == 0) {
        ok = c == FH__STIX_SCO || c == FH__STIX_CUSTOM;
        want = "an SCO";
    } else if (strcmp(allowed, "<sdo-sco>") == 0) {
        ok = c == FH__STIX_SDO || c == FH__STIX_SCO || c == FH__STIX_CUSTOM;
        want = "an SDO or SCO";
    } else if (strcmp(allowed, "<sco-sro>") == 0) {
        ok = c == FH__STIX_SCO || c == FH__STIX_SRO || c == FH__STIX_CUSTOM;
        want = "an SCO or SRO";
    } else {
        ok = fh__stix_word_in(allowed, s, tlen);
    }
    if (!ok) {
        if (want)
            fh__stix_error(v, path, "must refer to %s, not to a %.*s", want, (int)tlen, s);
        else
            fh__stix_error(v, path, "must refer to an object of type %s, not %.*s", allowed,
                           (int)tlen, s);
    }
}

/* ==== hashes (section 2.7, vocabulary 10.7) =============================== */

static bool hex_any_case(const char *s, size_t want)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return n == want;
}

static bool ssdeep_valid(const char *s)
{
    /* blocksize:hash:hash, the hashes in the base64 alphabet. */
    const char *p = s;
    if (!(*p >= '0' && *p <= '9'))
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    for (int part = 0; part < 2; part++) {
        if (*p != ':')
            return false;
        p++;
        const char *start = p;
        while (is_alnum(*p) || *p == '+' || *p == '/')
            p++;
        if (p == start)
            return false;
    }
    /* ssdeep prints ,"filename" after the hash; accept it. */
    return *p == '\0' || *p == ',';
}

static bool tlsh_valid(const char *s)
{
    /* 35 bytes as hex (70 digits); newer TLSH adds a "T1" version prefix. */
    if ((s[0] == 'T' || s[0] == 't') && s[1] == '1')
        return hex_any_case(s + 2, 70);
    return hex_any_case(s, 70);
}

void fh__stix_check_hashes(fh__stix_vctx *v, const json_t *val, const char *path)
{
    static const struct {
        const char *name;
        size_t hexlen; /* 0: checked by a function */
    } algos[] = {{"MD5", 32},      {"SHA-1", 40},     {"SHA-256", 64}, {"SHA-512", 128},
                 {"SHA3-256", 64}, {"SHA3-512", 128}, {"SSDEEP", 0},   {"TLSH", 0}};
    if (!json_is_object(val)) {
        fh__stix_error(v, path, "must be a hashes dictionary (a JSON object)");
        return;
    }
    if (json_object_size(val) == 0) {
        fh__stix_error(v, path, "must not be empty (section 2.7)");
        return;
    }
    const char *key;
    json_t *h;
    char kp[FH__STIX_PATH_MAX];
    json_object_foreach((json_t *)val, key, h)
    {
        fh__stix_path_key(kp, sizeof kp, path, key);
        size_t kl = strlen(key);
        if (kl < 3 || kl > 250 || !plain_key(key)) {
            fh__stix_error(v, kp,
                           "hash algorithm names must be 3..250 ASCII characters a-z A-Z 0-9 - _ "
                           "(section 2.7)");
            continue;
        }
        if (!json_is_string(h)) {
            fh__stix_error(v, kp, "must be a string");
            continue;
        }
        const char *s = json_string_value(h);
        bool known = false;
        for (size_t i = 0; i < FH_ARRAY_LEN(algos); i++) {
            if (strcmp(key, algos[i].name) == 0) {
                known = true;
                bool ok;
                if (algos[i].hexlen)
                    ok = hex_any_case(s, algos[i].hexlen);
                else if (strcmp(key, "SSDEEP") == 0)
                    ok = ssdeep_valid(s);
                else
                    ok = tlsh_valid(s);
                if (!ok && algos[i].hexlen)
                    fh__stix_error(v, kp, "a %s digest must be %zu hexadecimal digits", key,
                                   algos[i].hexlen);
                else if (!ok && strcmp(key, "SSDEEP") == 0)
                    fh__stix_error(v, kp, "must be an ssdeep piecewise hash blocksize:hash:hash");
                else if (!ok)
                    fh__stix_error(v, kp,
                                   "must be a TLSH hash: 35 bytes as 70 hexadecimal digits "
                                   "(optionally prefixed T1)");
            } else if (strcasecmp(key, algos[i].name) == 0) {
                fh__stix_warning(v, kp,
                                 "hash algorithm names SHOULD come from hash-algorithm-ov: "
                                 "write '%s'",
                                 algos[i].name);
                known = true;
            }
        }
        (void)known; /* custom algorithm names are allowed (open vocabulary) */
    }
}

/* ==== values against table rows ========================================= */

static bool int_in_range(const json_t *val, const fh__stix_prop *p)
{
    json_int_t x = json_integer_value(val);
    const json_int_t lim = ((json_int_t)1 << 53) - 1;
    if (x > lim || x < -lim)
        return false;
    if (p->has_range && ((double)x < p->min || (double)x > p->max))
        return false;
    return true;
}

static void check_dict(fh__stix_vctx *v, const json_t *val, const char *path,
                       const fh__stix_prop *p)
{
    if (!json_is_object(val)) {
        fh__stix_error(v, path, "must be a dictionary (a JSON object)");
        return;
    }
    if (json_object_size(val) == 0) {
        fh__stix_error(v, path, "must not be an empty dictionary (section 2.3)");
        return;
    }
    const char *key;
    json_t *x;
    char kp[FH__STIX_PATH_MAX];
    json_object_foreach((json_t *)val, key, x)
    {
        fh__stix_path_key(kp, sizeof kp, path, key);
        if (strlen(key) > 250 || !plain_key(key)) {
            fh__stix_error(v, kp,
                           "dictionary keys must be 1..250 ASCII characters a-z A-Z 0-9 - _ "
                           "(section 2.3)");
            continue;
        }
        switch (p->dict_values) {
        case FH__DV_STRING:
            if (!json_is_string(x))
                fh__stix_error(v, kp, "must be a string");
            break;
        case FH__DV_INT:
            if (!json_is_integer(x))
                fh__stix_error(v, kp, "must be an integer");
            break;
        case FH__DV_INT_OR_STRING:
            if (!json_is_integer(x) && !json_is_string(x))
                fh__stix_error(v, kp, "must be an integer or a string");
            break;
        case FH__DV_STR_LIST: {
            size_t i;
            json_t *e;
            if (!json_is_array(x) || json_array_size(x) == 0) {
                fh__stix_error(v, kp, "must be a non-empty list of strings");
                break;
            }
            json_array_foreach(x, i, e)
            {
                if (!json_is_string(e)) {
                    char ip[FH__STIX_PATH_MAX];
                    fh__stix_path_index(ip, sizeof ip, kp, i);
                    fh__stix_error(v, ip, "must be a string");
                }
            }
            break;
        }
        case FH__DV_ANY:
            if (json_is_null(x))
                fh__stix_error(v, kp, "null is not a STIX value");
            break;
        }
    }
}

/* An open vocabulary term: "@name term term ..." (section 2.14). */
static void check_vocab(fh__stix_vctx *v, const json_t *val, const char *path, const char *vocab)
{
    const char *name = vocab + 1;
    const char *terms = strchr(name, ' ');
    if (terms == NULL)
        return;
    char q[FH__STIX_QUOTE_MAX];
    if (!fh__stix_word_in(terms, json_string_value(val), json_string_length(val)))
        fh__stix_warning(v, path, "'%s' is not in %.*s: values SHOULD come from it",
                         fh__stix_quote(json_string_value(val), q), (int)(terms - name), name);
}

/* Checks one scalar (or composite) value against the row, except lists. */
static void check_single(fh__stix_vctx *v, const json_t *val, const char *path,
                         const fh__stix_prop *p, fh__stix_kind k, unsigned depth)
{
    switch (k) {
    case FH__K_STRING:
    case FH__K_STR_LIST:
        if (!json_is_string(val))
            fh__stix_error(v, path, "must be a string");
        else if (p->allowed && p->allowed[0] == '@')
            check_vocab(v, val, path, p->allowed);
        break;
    case FH__K_BOOL:
        if (!json_is_boolean(val))
            fh__stix_error(v, path, "must be a boolean (true or false)");
        break;
    case FH__K_INT:
        if (!json_is_integer(val))
            fh__stix_error(v, path, "must be an integer");
        else if (!int_in_range(val, p)) {
            if (p->has_range)
                fh__stix_error(v, path, "must be an integer from %.0f to %.0f", p->min, p->max);
            else
                fh__stix_error(v, path, "must fit in 54 bits (section 2.10)");
        }
        break;
    case FH__K_FLOAT:
        if (!json_is_number(val))
            fh__stix_error(v, path, "must be a number");
        else if (p->has_range &&
                 (json_number_value(val) < p->min || json_number_value(val) > p->max))
            fh__stix_error(v, path, "must be from %g to %g", p->min, p->max);
        break;
    case FH__K_TIMESTAMP: {
        const char *why = NULL;
        fh_time t;
        if (!json_is_string(val))
            fh__stix_error(v, path, "must be a timestamp string");
        else if (fh_time_parse(json_string_value(val), json_string_length(val), &t, &why))
            fh__stix_error(v, path, "must be a timestamp YYYY-MM-DDTHH:mm:ss[.s+]Z: %s",
                           why ? why : "invalid");
        break;
    }
    case FH__K_ID:
    case FH__K_ID_LIST:
        check_ref(v, val, path, p->allowed);
        break;
    case FH__K_ENUM:
    case FH__K_ENUM_LIST:
        if (!json_is_string(val))
            fh__stix_error(v, path, "must be a string");
        else if (!fh__stix_word_in(p->allowed, json_string_value(val), json_string_length(val)))
            fh__stix_error(v, path, "must be one of: %s", p->allowed);
        break;
    case FH__K_HASHES:
        fh__stix_check_hashes(v, val, path);
        break;
    case FH__K_DICT:
        check_dict(v, val, path, p);
        break;
    case FH__K_HEX:
        if (!json_is_string(val) || !fh__stix_is_hex(json_string_value(val)))
            fh__stix_error(v, path,
                           "must be hex: an even number of digits 0-9 a-f, lower case (section "
                           "2.8)");
        break;
    case FH__K_BINARY:
        if (!json_is_string(val) || !is_base64(json_string_value(val)))
            fh__stix_error(v, path, "must be base64 (RFC 4648, section 2.1)");
        break;
    case FH__K_OBJECT:
    case FH__K_OBJ_LIST:
        if (!json_is_object(val)) {
            fh__stix_error(v, path, "must be a JSON object");
        } else if (depth > 8) {
            /* Tables nest at most a few levels; this cannot be reached by
             * input, but bounds the recursion should a table ever loop. */
            fh__stix_error(v, path, "nested too deeply");
        } else {
            fh__stix_check_props(v, val, path, p->sub, p->name, depth + 1);
        }
        break;
    case FH__K_RESERVED:
        fh__stix_error(v, path, "is RESERVED and must not be used (section 3.8)");
        break;
    case FH__K_ANY:
        break;
    }
}

void fh__stix_check_value(fh__stix_vctx *v, const json_t *val, const char *path,
                          const fh__stix_prop *p, unsigned depth)
{
    bool list = p->kind == FH__K_ID_LIST || p->kind == FH__K_STR_LIST ||
                p->kind == FH__K_ENUM_LIST || p->kind == FH__K_OBJ_LIST;
    if (!list) {
        check_single(v, val, path, p, p->kind, depth);
        return;
    }
    if (!json_is_array(val)) {
        fh__stix_error(v, path, "must be a list");
        return;
    }
    if (json_array_size(val) == 0) {
        fh__stix_error(v, path, "must not be an empty list (section 2.12)");
        return;
    }
    size_t i;
    json_t *e;
    char ip[FH__STIX_PATH_MAX];
    json_array_foreach(val, i, e)
    {
        fh__stix_path_index(ip, sizeof ip, path, i);
        check_single(v, e, ip, p, p->kind, depth + 1);
    }
}

/* Checks a property no table knows: by the suffix rules of section 3.1. */
static void check_custom_value(fh__stix_vctx *v, const char *key, const json_t *val,
                               const char *path)
{
    static const fh__stix_prop id = {"", FH__K_ID, false, NULL, false, 0, 0, NULL, 0};
    static const fh__stix_prop ids = {"", FH__K_ID_LIST, false, NULL, false, 0, 0, NULL, 0};
    if (ends_with(key, "_refs"))
        fh__stix_check_value(v, val, path, &ids, 0);
    else if (ends_with(key, "_ref"))
        fh__stix_check_value(v, val, path, &id, 0);
    else if (ends_with(key, "_hex") &&
             (!json_is_string(val) || !fh__stix_is_hex(json_string_value(val))))
        fh__stix_error(v, path, "a _hex property must be hex, lower case (section 2.8)");
    else if (ends_with(key, "_bin") && (!json_is_string(val) || !is_base64(json_string_value(val))))
        fh__stix_error(v, path, "a _bin property must be base64 (section 2.1)");
    else if (json_is_null(val))
        fh__stix_error(v, path, "null is not a STIX value");
    else if (json_is_array(val) && json_array_size(val) == 0)
        fh__stix_error(v, path, "must not be an empty list (section 2.12)");
}

static const char *const reserved_names[] = {"severity", "username", "phone_number", "action"};

static bool is_reserved(const char *key)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(reserved_names); i++)
        if (strcmp(key, reserved_names[i]) == 0)
            return true;
    return false;
}

/* Properties of a nested object that no table row knows. */
static void check_unknown_nested(fh__stix_vctx *v, const char *key, const json_t *val,
                                 const char *path, const char *what)
{
    if (is_reserved(key)) {
        fh__stix_error(v, path, "'%s' is a reserved name and must not be used (section 3.8)", key);
        return;
    }
    if (!fh__stix_prop_name_valid(key)) {
        fh__stix_error(v, path,
                       "property names must be 3..250 characters a-z 0-9 _ starting with a "
                       "letter (section 3.1)");
        return;
    }
    check_custom_value(v, key, val, path);
    if (strncmp(key, "x_", 2) != 0 && v->opts->warn_unknown_properties)
        fh__stix_warning(v, path, "'%s' is not a property of %s", key, what);
}

void fh__stix_check_props(fh__stix_vctx *v, const json_t *obj, const char *path,
                          const fh__stix_prop *table, const char *what, unsigned depth)
{
    char pp[FH__STIX_PATH_MAX];
    for (const fh__stix_prop *p = table; p->name; p++) {
        const json_t *val = json_object_get(obj, p->name);
        fh__stix_path_key(pp, sizeof pp, path, p->name);
        if (val == NULL) {
            if (p->required)
                fh__stix_error(v, pp, "is required");
            continue;
        }
        fh__stix_check_value(v, val, pp, p, depth);
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        const fh__stix_prop *p = table;
        while (p->name && strcmp(p->name, key) != 0)
            p++;
        if (p->name)
            continue;
        fh__stix_path_key(pp, sizeof pp, path, key);
        check_unknown_nested(v, key, val, pp, what);
    }
}

/* ==== common properties (section 3.2) ==================================== */

static const fh__stix_prop extref_props[] = {
    {"source_name", FH__K_STRING, true, NULL, false, 0, 0, NULL, 0},
    {"description", FH__K_STRING, false, NULL, false, 0, 0, NULL, 0},
    {"url", FH__K_STRING, false, NULL, false, 0, 0, NULL, 0},
    {"hashes", FH__K_HASHES, false, NULL, false, 0, 0, NULL, 0},
    {"external_id", FH__K_STRING, false, NULL, false, 0, 0, NULL, 0},
    {NULL, 0, false, NULL, false, 0, 0, NULL, 0},
};

static const fh__stix_prop granular_props[] = {
    {"lang", FH__K_STRING, false, NULL, false, 0, 0, NULL, 0},
    {"marking_ref", FH__K_ID, false, "marking-definition", false, 0, 0, NULL, 0},
    {"selectors", FH__K_STR_LIST, true, NULL, false, 0, 0, NULL, 0},
    {NULL, 0, false, NULL, false, 0, 0, NULL, 0},
};

enum {
    C_SDO = 1 << FH__STIX_SDO,
    C_SRO = 1 << FH__STIX_SRO,
    C_SCO = 1 << FH__STIX_SCO,
    C_MARK = 1 << FH__STIX_MARKING,
    C_LANG = 1 << FH__STIX_LANGUAGE,
    C_EXT = 1 << FH__STIX_EXTDEF,
    C_CUST = 1 << FH__STIX_CUSTOM,
    C_ALL = 0x7f
};

/* The table of section 3.2: where each common property is required, where
 * it may appear. Anywhere else it is "not applicable" and an error. */
static const struct common_prop {
    fh__stix_prop p;
    unsigned required;
    unsigned allowed;
} common_props[] = {
    {{"type", FH__K_ANY, false, NULL, false, 0, 0, NULL, 0}, 0, C_ALL},
    {{"spec_version", FH__K_ANY, false, NULL, false, 0, 0, NULL, 0},
     C_SDO | C_SRO | C_MARK | C_LANG | C_EXT,
     C_ALL},
    {{"id", FH__K_ANY, false, NULL, false, 0, 0, NULL, 0}, 0, C_ALL},
    {{"created_by_ref", FH__K_ID, false, "identity", false, 0, 0, NULL, 0}, C_EXT, C_ALL & ~C_SCO},
    {{"created", FH__K_TIMESTAMP, false, NULL, false, 0, 0, NULL, 0},
     C_SDO | C_SRO | C_MARK | C_LANG | C_EXT,
     C_ALL & ~C_SCO},
    {{"modified", FH__K_TIMESTAMP, false, NULL, false, 0, 0, NULL, 0},
     C_SDO | C_SRO | C_LANG | C_EXT,
     C_ALL & ~(C_SCO | C_MARK)},
    {{"revoked", FH__K_BOOL, false, NULL, false, 0, 0, NULL, 0}, 0, C_ALL & ~(C_SCO | C_MARK)},
    {{"labels", FH__K_STR_LIST, false, NULL, false, 0, 0, NULL, 0}, 0, C_ALL & ~(C_SCO | C_MARK)},
    {{"confidence", FH__K_INT, false, NULL, true, 0, 100, NULL, 0},
     0,
     C_SDO | C_SRO | C_LANG | C_CUST},
    {{"lang", FH__K_STRING, false, NULL, false, 0, 0, NULL, 0}, 0, C_SDO | C_SRO | C_CUST},
    {{"external_references", FH__K_OBJ_LIST, false, NULL, false, 0, 0, extref_props, 0},
     0,
     C_ALL & ~C_SCO},
    {{"object_marking_refs", FH__K_ID_LIST, false, "marking-definition", false, 0, 0, NULL, 0},
     0,
     C_ALL},
    {{"granular_markings", FH__K_OBJ_LIST, false, NULL, false, 0, 0, granular_props, 0}, 0, C_ALL},
    {{"defanged", FH__K_BOOL, false, NULL, false, 0, 0, NULL, 0}, 0, C_SCO | C_CUST},
    {{"extensions", FH__K_ANY, false, NULL, false, 0, 0, NULL, 0}, 0, C_ALL & ~C_EXT},
};

static const char *class_name(fh__stix_class c)
{
    switch (c) {
    case FH__STIX_SDO:
        return "STIX Domain Objects";
    case FH__STIX_SRO:
        return "STIX Relationship Objects";
    case FH__STIX_SCO:
        return "STIX Cyber-observable Objects";
    case FH__STIX_MARKING:
        return "marking-definition objects";
    case FH__STIX_LANGUAGE:
        return "language-content objects";
    case FH__STIX_EXTDEF:
        return "extension-definition objects";
    case FH__STIX_CUSTOM:
        return "custom objects";
    }
    return "objects";
}

static const struct common_prop *find_common(const char *key)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(common_props); i++)
        if (strcmp(common_props[i].p.name, key) == 0)
            return &common_props[i];
    return NULL;
}

static void check_external_references(fh__stix_vctx *v, const json_t *list)
{
    size_t i;
    json_t *e;
    char ip[FH__STIX_PATH_MAX];
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, e)
    {
        if (!json_is_object(e))
            continue;
        fh__stix_path_index(ip, sizeof ip, "$.external_references", i);
        /* Section 2.5.2. */
        if (!json_object_get(e, "description") && !json_object_get(e, "url") &&
            !json_object_get(e, "external_id"))
            fh__stix_error(v, ip,
                           "needs at least one of description, url or external_id besides "
                           "source_name (section 2.5.2)");
        const char *src = fh_json_str(e, "source_name");
        const char *ext = fh_json_str(e, "external_id");
        char kp[FH__STIX_PATH_MAX];
        fh__stix_path_key(kp, sizeof kp, ip, "external_id");
        /* Sections 4.1 and 4.19: CAPEC and CVE ids have a fixed form. */
        if (src && ext && strcmp(src, "capec") == 0) {
            const char *p = ext + 6;
            bool ok = strncmp(ext, "CAPEC-", 6) == 0 && *p;
            for (; ok && *p; p++)
                ok = *p >= '0' && *p <= '9';
            if (!ok)
                fh__stix_error(v, kp, "a capec external_id must be CAPEC-<number>");
        }
        if (src && ext && strcmp(src, "cve") == 0) {
            const char *p = ext + 4;
            size_t digits = 0;
            bool ok = strncmp(ext, "CVE-", 4) == 0;
            for (int k = 0; ok && k < 4; k++, p++)
                ok = *p >= '0' && *p <= '9';
            ok = ok && *p == '-';
            if (ok)
                for (p++; *p >= '0' && *p <= '9'; p++)
                    digits++;
            if (!ok || digits < 4 || *p)
                fh__stix_error(v, kp, "a cve external_id must be a CVE identifier CVE-YYYY-NNNN");
        }
        const char *url = fh_json_str(e, "url");
        if (url && !fh__stix_url_valid(url)) {
            fh__stix_path_key(kp, sizeof kp, ip, "url");
            fh__stix_warning(v, kp, "is not a URL (RFC 3986, section 2.5)");
        }
        /* "hashes SHOULD be provided with url" is not warned about: almost
         * no producer does, and the warning would drown the useful ones. */
    }
}

/* ---- granular markings (section 7.2.3) ---------------------------------- */

/* Walks a selector through the object; NULL when it does not resolve.
 * Iterative: one step per component. */
static const char *selector_problem(const json_t *root, const char *sel)
{
    const json_t *cur = root;
    const char *p = sel;
    if (*p == '\0')
        return "is empty";
    while (true) {
        const char *end = strchr(p, '.');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            return "has an empty component (components are separated by single dots)";
        if (p[0] == '[') {
            if (len < 3 || p[len - 1] != ']')
                return "has a list index that is not [<non-negative integer>]";
            size_t idx = 0;
            for (size_t i = 1; i + 1 < len; i++) {
                if (p[i] < '0' || p[i] > '9')
                    return "has a list index that is not [<non-negative integer>]";
                if (idx > (SIZE_MAX - 9) / 10)
                    return "has a list index out of range";
                idx = idx * 10 + (size_t)(p[i] - '0');
            }
            if (!json_is_array(cur))
                return "indexes something that is not a list";
            cur = json_array_get(cur, idx);
            if (cur == NULL)
                return "refers to a list item that is not present";
        } else {
            if (memchr(p, '[', len) || memchr(p, ']', len))
                return "has a component mixing a name and a list index";
            if (!json_is_object(cur))
                return "names a property inside something that is not an object";
            char key[256];
            if (len >= sizeof key)
                return "refers to a property that is not present";
            memcpy(key, p, len);
            key[len] = '\0';
            cur = json_object_get(cur, key);
            if (cur == NULL)
                return "refers to a property that is not present on the object";
        }
        if (end == NULL)
            return NULL;
        p = end + 1;
    }
}

static void check_granular_markings(fh__stix_vctx *v, const json_t *list, const char *self_id)
{
    size_t i;
    json_t *gm;
    char ip[FH__STIX_PATH_MAX], kp[FH__STIX_PATH_MAX];
    if (!json_is_array(list))
        return;
    json_array_foreach(list, i, gm)
    {
        if (!json_is_object(gm))
            continue;
        fh__stix_path_index(ip, sizeof ip, "$.granular_markings", i);
        const json_t *lang = json_object_get(gm, "lang");
        const json_t *ref = json_object_get(gm, "marking_ref");
        if ((lang == NULL) == (ref == NULL))
            fh__stix_error(v, ip, "must have exactly one of marking_ref and lang (section 7.2.3)");
        if (json_is_string(lang) && !fh__stix_lang_valid(json_string_value(lang))) {
            fh__stix_path_key(kp, sizeof kp, ip, "lang");
            fh__stix_error(v, kp, "must be an RFC 5646 language code");
        }
        if (self_id && json_is_string(ref) && strcmp(json_string_value(ref), self_id) == 0) {
            fh__stix_path_key(kp, sizeof kp, ip, "marking_ref");
            fh__stix_error(v, kp, "a marking definition must not mark itself (section 3.2)");
        }
        const json_t *sels = json_object_get(gm, "selectors");
        size_t j;
        json_t *s;
        if (!json_is_array(sels))
            continue;
        fh__stix_path_key(kp, sizeof kp, ip, "selectors");
        json_array_foreach(sels, j, s)
        {
            if (!json_is_string(s))
                continue;
            const char *why = selector_problem(v->obj, json_string_value(s));
            if (why) {
                char sp[FH__STIX_PATH_MAX], q[FH__STIX_QUOTE_MAX];
                fh__stix_path_index(sp, sizeof sp, kp, j);
                fh__stix_error(v, sp, "selector '%s' %s (section 7.2.3)",
                               fh__stix_quote(json_string_value(s), q), why);
            }
        }
    }
}

/* ---- extensions ------------------------------------------------------------ */

static const char extension_types[] =
    "new-sdo new-sco new-sro property-extension toplevel-property-extension";

static bool is_new_type_ext(const char *et)
{
    return strcmp(et, "new-sdo") == 0 || strcmp(et, "new-sco") == 0 || strcmp(et, "new-sro") == 0;
}

static void check_ext_prop_names(fh__stix_vctx *v, const json_t *ext, const char *path)
{
    const char *key;
    json_t *val;
    char kp[FH__STIX_PATH_MAX];
    json_object_foreach((json_t *)ext, key, val)
    {
        if (strcmp(key, "extension_type") == 0)
            continue;
        fh__stix_path_key(kp, sizeof kp, path, key);
        if (!fh__stix_prop_name_valid(key))
            fh__stix_error(v, kp,
                           "extension property names must be 3..250 characters a-z 0-9 _ "
                           "(section 7.3.2)");
        else
            check_custom_value(v, key, val, kp);
    }
}

static void check_extensions(fh__stix_vctx *v, const json_t *exts, const char *predefined)
{
    char kp[FH__STIX_PATH_MAX], ep[FH__STIX_PATH_MAX];
    if (!json_is_object(exts)) {
        fh__stix_error(v, "$.extensions", "must be a dictionary (a JSON object)");
        return;
    }
    if (json_object_size(exts) == 0) {
        fh__stix_error(v, "$.extensions", "must not be an empty dictionary (section 2.3)");
        return;
    }
    const char *key;
    json_t *ext;
    json_object_foreach((json_t *)exts, key, ext)
    {
        fh__stix_path_key(kp, sizeof kp, "$.extensions", key);
        if (!json_is_object(ext)) {
            fh__stix_error(v, kp, "an extension must be a JSON object");
            continue;
        }
        const json_t *etv = json_object_get(ext, "extension_type");
        const char *et = json_string_value(etv);
        fh__stix_path_key(ep, sizeof ep, kp, "extension_type");
        if (etv && (!et || !fh__stix_word_in(extension_types, et, strlen(et)))) {
            fh__stix_error(v, ep, "must be one of: %s (section 10.5)", extension_types);
            et = NULL;
        }
        if (strncmp(key, "extension-definition--", 22) == 0) {
            if (!fh_stix_id_valid(key, "extension-definition")) {
                fh__stix_error(v, kp,
                               "an extension key must be a valid extension-definition "
                               "identifier");
                continue;
            }
            if (etv == NULL) {
                fh__stix_error(v, kp,
                               "an extension defined by an extension-definition must have "
                               "extension_type (section 3.2)");
                continue;
            }
            if (et && is_new_type_ext(et) && fh__stix_class_of(v->type) != FH__STIX_CUSTOM)
                fh__stix_error(v, ep,
                               "'%s' defines a new object type; %s is a type of the "
                               "specification (section 7.3)",
                               et, v->type);
            if (et && strcmp(et, "toplevel-property-extension") == 0 && json_object_size(ext) > 1)
                fh__stix_warning(v, kp,
                                 "a toplevel-property-extension carries its properties at the "
                                 "top level of the object, not here");
            check_ext_prop_names(v, ext, kp);
            continue;
        }
        if (predefined && fh__stix_word_in(predefined, key, strlen(key))) {
            const fh__stix_prop *table = fh__stix_predefined_ext(key);
            if (etv)
                fh__stix_error(v, ep, "predefined extensions have no extension_type (section 3.2)");
            if (table) {
                /* Every predefined extension must carry at least one of its
                 * own properties (sections 6.7.2-6.16.2). */
                bool any = false;
                for (const fh__stix_prop *p = table; p->name; p++)
                    if (json_object_get(ext, p->name))
                        any = true;
                if (!any)
                    fh__stix_error(v, kp, "must contain at least one property of %s", key);
                fh__stix_check_props(v, ext, kp, table, key, 1);
                fh__stix_predefined_ext_rules(v, key, ext, kp);
            }
            continue;
        }
        if (fh__stix_predefined_ext(key)) {
            fh__stix_error(v, kp, "'%s' is not a predefined extension of %s", key, v->type);
            continue;
        }
        if (v->cls == FH__STIX_SCO) {
            /* Deprecated custom extensions of SCOs (section 11.3.1). */
            bool ok = strlen(key) >= 3 && strlen(key) <= 250 && ends_with(key, "-ext");
            for (const char *p = key; ok && *p; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
            if (!ok)
                fh__stix_error(v, kp,
                               "a custom extension name must be 3..250 characters a-z 0-9 - "
                               "and end with -ext (section 11.3.1), or be an "
                               "extension-definition id");
            if (json_object_size(ext) == 0)
                fh__stix_error(v, kp, "a custom extension must have at least one property");
            check_ext_prop_names(v, ext, kp);
        } else if (v->cls != FH__STIX_CUSTOM) {
            fh__stix_warning(v, kp,
                             "extension keys SHOULD be an extension-definition id or a predefined "
                             "extension name (section 3.2)");
        }
    }
}

/* ==== deterministic SCO ids (section 2.9) ================================ */

/* A UUIDv5 id is checked against the id computed from the SCO's ID
 * contributing properties (fh_stix_sco_id, RFC 8785 canonical form). Only a
 * warning: section 3.4 lets producers use other algorithms, and then they
 * must not use the STIX namespace, which we cannot tell from the id. */
static void check_deterministic_id(fh__stix_vctx *v, const json_t *obj, const char *id)
{
    fh_uuid u;
    const char *uuid = id + strlen(id) - 36;
    if (fh_uuid_parse(uuid, 36, &u) != FH_OK || fh_uuid_version(&u) != 5)
        return; /* other algorithms MAY be used (section 3.4) */
    char want[300];
    if (fh_stix_sco_id(obj, want, sizeof want) != FH_OK)
        return;
    if (strcmp(want, id) != 0)
        fh__stix_warning(v, "$.id",
                         "a UUIDv5 id in the STIX namespace for these ID contributing "
                         "properties would be %s (section 2.9)",
                         want);
}

/* ==== the object ========================================================= */

static const fh__stix_type *find_type(const char *t)
{
    const fh__stix_type *lists[] = {fh__stix_sdo_types, fh__stix_sco_types, fh__stix_meta_types};
    for (size_t l = 0; l < FH_ARRAY_LEN(lists); l++)
        for (const fh__stix_type *ty = lists[l]; ty->name; ty++)
            if (strcmp(ty->name, t) == 0)
                return ty;
    return NULL;
}

/* The class a custom object declares through a new-sdo/-sco/-sro extension. */
static fh__stix_class declared_class(const json_t *obj, bool *toplevel)
{
    const json_t *exts = json_object_get(obj, "extensions");
    fh__stix_class c = FH__STIX_CUSTOM;
    const char *key;
    json_t *ext;
    *toplevel = false;
    if (!json_is_object(exts))
        return c;
    json_object_foreach((json_t *)exts, key, ext)
    {
        const char *et = fh_json_str(ext, "extension_type");
        if (et == NULL)
            continue;
        if (strcmp(et, "toplevel-property-extension") == 0)
            *toplevel = true;
        else if (strcmp(et, "new-sdo") == 0)
            c = FH__STIX_SDO;
        else if (strcmp(et, "new-sro") == 0)
            c = FH__STIX_SRO;
        else if (strcmp(et, "new-sco") == 0)
            c = FH__STIX_SCO;
    }
    return c;
}

static bool type_name_ok(const char *t)
{
    return fh_stix_type_name_valid(t) && strstr(t, "--") == NULL;
}

static void check_type_and_id(fh__stix_vctx *v, const json_t *obj, bool *type_ok)
{
    const json_t *tv = json_object_get(obj, "type");
    const json_t *iv = json_object_get(obj, "id");
    *type_ok = false;
    if (tv == NULL) {
        fh__stix_error(v, "$.type", "is required");
    } else if (!json_is_string(tv)) {
        fh__stix_error(v, "$.type", "must be a string");
    } else if (!type_name_ok(json_string_value(tv))) {
        char q[FH__STIX_QUOTE_MAX];
        fh__stix_error(v, "$.type",
                       "'%s' is not a type name: 3..250 characters a-z 0-9 -, starting with "
                       "a letter, no '--' (sections 3.1, 11.2.1)",
                       fh__stix_quote(json_string_value(tv), q));
    } else {
        *type_ok = true;
    }
    if (iv == NULL) {
        fh__stix_error(v, "$.id", "is required");
        return;
    }
    if (!json_is_string(iv)) {
        fh__stix_error(v, "$.id", "must be a string");
        return;
    }
    const char *id = json_string_value(iv);
    if (!fh_stix_id_valid(id, NULL)) {
        char q[FH__STIX_QUOTE_MAX];
        fh__stix_error(v, "$.id",
                       "'%s' must be <type>--<UUID> with an RFC 4122 UUID in lower case "
                       "(section 2.9)",
                       fh__stix_quote(id, q));
        return;
    }
    if (*type_ok && !fh_stix_id_valid(id, json_string_value(tv))) {
        fh__stix_error(v, "$.id", "the identifier's type must be the object's type '%s'",
                       json_string_value(tv));
        return;
    }
    fh_uuid u;
    if (fh_uuid_parse(id + strlen(id) - 36, 36, &u) != FH_OK)
        return;
    if (v->cls != FH__STIX_SCO && v->cls != FH__STIX_CUSTOM && fh_uuid_version(&u) != 4)
        fh__stix_warning(v, "$.id", "SDOs, SROs and meta objects SHOULD use UUIDv4 (section 2.9)");
}

static void check_common(fh__stix_vctx *v, const json_t *obj)
{
    unsigned mask = 1u << v->cls;
    char pp[FH__STIX_PATH_MAX];
    for (size_t i = 0; i < FH_ARRAY_LEN(common_props); i++) {
        const struct common_prop *c = &common_props[i];
        const json_t *val = json_object_get(obj, c->p.name);
        fh__stix_path_key(pp, sizeof pp, "$", c->p.name);
        if (val == NULL) {
            if (c->required & mask)
                fh__stix_error(v, pp, "is required on %s", class_name(v->cls));
            continue;
        }
        if (!(c->allowed & mask)) {
            fh__stix_error(v, pp, "is not a property of %s (section 3.2)", class_name(v->cls));
            continue;
        }
        fh__stix_check_value(v, val, pp, &c->p, 1);
    }
    const json_t *sv = json_object_get(obj, "spec_version");
    if (sv && (!json_is_string(sv) || strcmp(json_string_value(sv), "2.1") != 0))
        fh__stix_error(v, "$.spec_version", "must be \"2.1\" for STIX 2.1 objects");

    /* created/modified: millisecond precision at least, modified >= created. */
    static const char *const versioning[] = {"created", "modified"};
    for (size_t i = 0; i < 2; i++) {
        fh_time t;
        if ((mask & ~(unsigned)C_SCO) && fh__stix_get_time(obj, versioning[i], &t) &&
            t.frac_digits < 3) {
            fh__stix_path_key(pp, sizeof pp, "$", versioning[i]);
            fh__stix_error(v, pp,
                           "must have at least millisecond precision (three digits after the "
                           "seconds' point, section 3.2)");
        }
    }
    fh__stix_check_order(v, obj, "created", "modified", false);

    const json_t *lang = json_object_get(obj, "lang");
    if (json_is_string(lang) && !fh__stix_lang_valid(json_string_value(lang)))
        fh__stix_error(v, "$.lang", "must be an RFC 5646 language code");

    const char *self = fh_json_str(obj, "id");
    const json_t *omr = json_object_get(obj, "object_marking_refs");
    if (self && json_is_array(omr)) {
        size_t i;
        json_t *r;
        json_array_foreach(omr, i, r)
        {
            if (json_is_string(r) && strcmp(json_string_value(r), self) == 0) {
                fh__stix_path_index(pp, sizeof pp, "$.object_marking_refs", i);
                fh__stix_error(v, pp, "a marking definition must not mark itself (section 3.2)");
            }
        }
    }
    check_external_references(v, json_object_get(obj, "external_references"));
    check_granular_markings(v, json_object_get(obj, "granular_markings"), self);
}

/* Section 3.1: "The encoding property MUST NOT be present when the original
 * property is not present." */
static void check_encodings(fh__stix_vctx *v, const json_t *obj)
{
    const char *key;
    json_t *val;
    char pp[FH__STIX_PATH_MAX];
    json_object_foreach((json_t *)obj, key, val)
    {
        size_t n = strlen(key);
        if (n <= 4 || !ends_with(key, "_enc"))
            continue;
        char base[256];
        if (n - 4 >= sizeof base)
            continue;
        memcpy(base, key, n - 4);
        base[n - 4] = '\0';
        if (json_object_get(obj, base) == NULL) {
            fh__stix_path_key(pp, sizeof pp, "$", key);
            fh__stix_error(v, pp, "must not be present without %s (section 3.1)", base);
        }
    }
}

static void check_unknown_top(fh__stix_vctx *v, const json_t *obj, const fh__stix_type *ty)
{
    const char *key;
    json_t *val;
    char pp[FH__STIX_PATH_MAX];
    json_object_foreach((json_t *)obj, key, val)
    {
        if (find_common(key))
            continue;
        bool known = false;
        if (ty)
            for (const fh__stix_prop *p = ty->props; p->name && !known; p++)
                known = strcmp(p->name, key) == 0;
        if (known)
            continue;
        fh__stix_path_key(pp, sizeof pp, "$", key);
        if (is_reserved(key)) {
            fh__stix_error(v, pp, "'%s' is a reserved name and must not be used (section 3.8)",
                           key);
            continue;
        }
        if (!fh__stix_prop_name_valid(key)) {
            fh__stix_error(v, pp,
                           "property names must be 3..250 characters a-z 0-9 _ starting with a "
                           "letter (sections 3.1, 11.1.1)");
            continue;
        }
        check_custom_value(v, key, val, pp);
        if (strncmp(key, "x_", 2) == 0 || ty == NULL || v->toplevel_ext)
            continue; /* custom property, custom object, or top-level extension */
        if (v->opts->warn_unknown_properties)
            fh__stix_warning(v, pp,
                             "'%s' is not a property of %s (custom properties start with x_)", key,
                             v->type);
    }
}

void fh_stix_validate_opts_init(fh_stix_validate_opts *o)
{
    o->max_pattern_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
    o->warn_unknown_properties = true;
}

fh_err fh_stix_validate_object(const json_t *obj, size_t index, const fh_stix_validate_opts *opts,
                               fh_stix_diags *diags)
{
    fh_stix_validate_opts defaults;
    if (opts == NULL) {
        fh_stix_validate_opts_init(&defaults);
        opts = &defaults;
    }
    fh__stix_vctx v;
    memset(&v, 0, sizeof v);
    v.opts = opts;
    v.diags = diags;
    v.obj = obj;
    const char *id = fh_json_str(obj, "id");
    if (id && fh_stix_id_valid(id, NULL))
        snprintf(v.name, sizeof v.name, "%s", id);
    else
        snprintf(v.name, sizeof v.name, "(object %zu)", index);
    if (!json_is_object(obj)) {
        fh__stix_error(&v, "$", "a STIX object must be a JSON object");
        return FH_ERR_INVALID;
    }

    const char *type = fh_json_str(obj, "type");
    const fh__stix_type *ty = NULL;
    v.cls = FH__STIX_CUSTOM;
    bool toplevel = false;
    fh__stix_class declared = declared_class(obj, &toplevel);
    v.toplevel_ext = toplevel;
    if (type) {
        ty = find_type(type);
        v.cls = ty ? ty->cls : declared;
    }
    v.type = type;
    bool type_ok;
    check_type_and_id(&v, obj, &type_ok);
    if (!type_ok)
        return FH_ERR_INVALID; /* nothing else can be judged without a type */
    if (ty == NULL && declared == FH__STIX_CUSTOM && json_object_size(obj) <= 2)
        fh__stix_error(&v, "$",
                       "a custom object must have one or more properties (section 11.2.1)");

    if (v.cls == FH__STIX_CUSTOM) {
        /* A deprecated custom object (section 11.2): SDO-like or SCO-like
         * cannot be told apart, so only what holds for both is required. */
        const json_t *sv = json_object_get(obj, "spec_version");
        if (sv && (!json_is_string(sv) || strcmp(json_string_value(sv), "2.1") != 0))
            fh__stix_error(&v, "$.spec_version", "must be \"2.1\" for STIX 2.1 objects");
        unsigned mask = C_CUST;
        char pp[FH__STIX_PATH_MAX];
        for (size_t i = 0; i < FH_ARRAY_LEN(common_props); i++) {
            const json_t *val = json_object_get(obj, common_props[i].p.name);
            if (val && (common_props[i].allowed & mask)) {
                fh__stix_path_key(pp, sizeof pp, "$", common_props[i].p.name);
                fh__stix_check_value(&v, val, pp, &common_props[i].p, 1);
            }
        }
        fh__stix_check_order(&v, obj, "created", "modified", false);
        check_external_references(&v, json_object_get(obj, "external_references"));
        check_granular_markings(&v, json_object_get(obj, "granular_markings"),
                                fh_json_str(obj, "id"));
    } else {
        check_common(&v, obj);
    }
    if (ty) {
        char dummy[2] = "$";
        for (const fh__stix_prop *p = ty->props; p->name; p++) {
            const json_t *val = json_object_get(obj, p->name);
            char pp[FH__STIX_PATH_MAX];
            fh__stix_path_key(pp, sizeof pp, dummy, p->name);
            if (val == NULL) {
                if (p->required)
                    fh__stix_error(&v, pp, "is required on %s", type);
                continue;
            }
            fh__stix_check_value(&v, val, pp, p, 1);
        }
    }
    check_unknown_top(&v, obj, ty);
    check_encodings(&v, obj);
    const json_t *exts = json_object_get(obj, "extensions");
    if (exts && v.cls != FH__STIX_EXTDEF)
        check_extensions(&v, exts, ty ? ty->predefined_exts : NULL);
    if (ty && ty->rules)
        ty->rules(&v, obj);
    if (ty && ty->cls == FH__STIX_SCO && json_is_string(json_object_get(obj, "id")) &&
        fh_stix_id_valid(json_string_value(json_object_get(obj, "id")), type))
        check_deterministic_id(&v, obj, json_string_value(json_object_get(obj, "id")));
    return v.errors ? FH_ERR_INVALID : FH_OK;
}

struct uuid_use {
    const char *id; /* "<type>--<uuid>", valid */
    size_t index;
};

static int by_uuid(const void *a, const void *b)
{
    const struct uuid_use *x = a, *y = b;
    int c = strcmp(x->id + strlen(x->id) - 36, y->id + strlen(y->id) - 36);
    if (c == 0)
        c = x->index < y->index ? -1 : x->index > y->index;
    return c;
}

/* Section 2.9: "a producer MUST NOT reuse the UUID portion of the identifier
 * for objects of different types". Who produced an object is not always
 * known (created_by_ref is optional, SCOs have none), so a reuse inside one
 * container is a warning. */
static void check_uuid_reuse(const json_t *objects, fh_stix_diags *diags)
{
    size_t n = json_array_size(objects), m = 0;
    if (n < 2)
        return;
    struct uuid_use *uses = fh_xcalloc(n, sizeof *uses);
    for (size_t i = 0; i < n; i++) {
        const char *id = fh_json_str(json_array_get(objects, i), "id");
        if (id && fh_stix_id_valid(id, NULL))
            uses[m++] = (struct uuid_use){id, i};
    }
    qsort(uses, m, sizeof *uses, by_uuid);
    for (size_t i = 1; i < m; i++) {
        const char *a = uses[i - 1].id, *b = uses[i].id;
        size_t la = strlen(a), lb = strlen(b);
        if (strcmp(a + la - 36, b + lb - 36) != 0)
            continue;
        if (la == lb && memcmp(a, b, la - 38) == 0)
            continue; /* the same object, or another version of it */
        fh_stix_diags_add(diags, FH_DIAG_WARNING, b, "$.id",
                          "the UUID is also used by %s; a producer must not reuse a UUID for "
                          "objects of different types (section 2.9)",
                          a);
    }
    free(uses);
}

fh_err fh_stix_validate_all(const json_t *objects, const fh_stix_validate_opts *opts,
                            fh_stix_diags *diags)
{
    fh_err rc = FH_OK;
    size_t i;
    json_t *obj;
    if (!json_is_array(objects)) {
        fh_stix_diags_add(diags, FH_DIAG_ERROR, NULL, "$", "expected an array of objects");
        return FH_ERR_INVALID;
    }
    json_array_foreach(objects, i, obj)
    {
        if (fh_stix_validate_object(obj, i, opts, diags) != FH_OK)
            rc = FH_ERR_INVALID;
    }
    check_uuid_reuse(objects, diags);
    return rc;
}
