/*
 * The pattern compiler: from a parsed STIX pattern to the observables a
 * network sensor can look for in traffic (addresses and CIDR blocks, domain
 * names, URLs, file hashes, ports), each marked exact (seeing it once is a
 * match of the whole pattern) or partial (only one part of what the pattern
 * asks for).
 *
 * It is not a pattern evaluator: it never says a pattern matched. It is
 * conservative: when in doubt an observable is partial, and a comparison it
 * cannot turn into an observable becomes a note saying why, never an error.
 * docs/PATTERNS.md states the rules for users.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stix/stix-pattern-int.h"

/* What an observation or comparison is compiled under. */
struct ctx {
    bool partial; /* an enclosing AND, FOLLOWEDBY or REPEATS */
    bool has_window;
    fh_time start;
    fh_time stop;
};

/* ---- the result list ----------------------------------------------------------- */

void fh_pattern_observables_init(fh_pattern_observables *o)
{
    memset(o, 0, sizeof *o);
}

void fh_pattern_observables_cleanup(fh_pattern_observables *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->count; i++)
        free(o->items[i].value);
    for (size_t i = 0; i < o->note_count; i++)
        free(o->notes[i].text);
    free(o->items);
    free(o->notes);
    memset(o, 0, sizeof *o);
}

const char *fh_pattern_obs_kind_name(fh_pattern_obs_kind kind)
{
    static const char *const names[] = {"ipv4", "ipv6", "domain", "domain-suffix",
                                        "url",  "hash", "port"};
    return (size_t)kind < FH_ARRAY_LEN(names) ? names[kind] : "?";
}

const char *fh_pattern_hash_alg_name(fh_pattern_hash_alg alg)
{
    static const char *const names[] = {"MD5",     "SHA-1",    "SHA-256",
                                        "SHA-512", "SHA3-256", "SHA3-512"};
    return (size_t)alg < FH_ARRAY_LEN(names) ? names[alg] : "?";
}

const char *fh_pattern_side_name(fh_pattern_side side)
{
    return side == FH_PATTERN_SIDE_SRC ? "src" : side == FH_PATTERN_SIDE_DST ? "dst" : "any";
}

/* Orders observables by everything that makes them distinct, then by their
 * place in the list (items are one array, so addresses give that order). */
static int observable_cmp(const void *pa, const void *pb)
{
    const fh_pattern_observable *a = *(const fh_pattern_observable *const *)pa;
    const fh_pattern_observable *b = *(const fh_pattern_observable *const *)pb;
    int c;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    if (a->hash_alg != b->hash_alg)
        return a->hash_alg < b->hash_alg ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->has_port != b->has_port)
        return a->has_port ? 1 : -1;
    if (a->port_side != b->port_side)
        return a->port_side < b->port_side ? -1 : 1;
    if ((c = strcmp(a->value, b->value)) != 0 || (c = strcmp(a->protocol, b->protocol)) != 0)
        return c;
    if (a->has_window != b->has_window)
        return a->has_window ? 1 : -1;
    if (a->has_window && ((c = fh_time_cmp(&a->start, &b->start)) != 0 ||
                          (c = fh_time_cmp(&a->stop, &b->stop)) != 0))
        return c;
    return a < b ? -1 : a > b ? 1 : 0;
}

static bool same_observable(const fh_pattern_observable *a, const fh_pattern_observable *b)
{
    return a->kind == b->kind && a->side == b->side && a->hash_alg == b->hash_alg &&
           a->port == b->port && a->has_port == b->has_port && a->port_side == b->port_side &&
           strcmp(a->value, b->value) == 0 && strcmp(a->protocol, b->protocol) == 0 &&
           a->has_window == b->has_window &&
           (!a->has_window ||
            (fh_time_cmp(&a->start, &b->start) == 0 && fh_time_cmp(&a->stop, &b->stop) == 0));
}

/*
 * Lists each distinct observable once, at the place it first appeared; a
 * kept one is exact when any of its duplicates was (one way to match
 * suffices). O(n log n), so IN sets of any size stay cheap.
 */
static void dedupe(fh_pattern_observables *o)
{
    if (o->count < 2)
        return;
    fh_pattern_observable **order = fh_xmalloc(o->count * sizeof *order);
    for (size_t i = 0; i < o->count; i++)
        order[i] = &o->items[i];
    qsort(order, o->count, sizeof *order, observable_cmp);
    size_t keep = 0;
    for (size_t i = 1; i < o->count; i++) {
        if (same_observable(order[keep], order[i])) {
            order[keep]->exact = order[keep]->exact || order[i]->exact;
            free(order[i]->value);
            order[i]->value = NULL;
        } else {
            keep = i;
        }
    }
    free(order);
    size_t n = 0;
    for (size_t i = 0; i < o->count; i++)
        if (o->items[i].value != NULL)
            o->items[n++] = o->items[i];
    o->count = n;
}

/* Appends ob, taking its value; duplicates go in dedupe(). */
static void add_observable(fh_pattern_observables *o, fh_pattern_observable *ob)
{
    if (o->count == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->items = fh_xrealloc(o->items, o->cap * sizeof *o->items);
    }
    o->items[o->count++] = *ob;
    ob->value = NULL;
}

static void add_note(fh_pattern_observables *o, size_t column, bool unmatchable, char *text)
{
    if (o->note_count == o->note_cap) {
        o->note_cap = o->note_cap ? o->note_cap * 2 : 8;
        o->notes = fh_xrealloc(o->notes, o->note_cap * sizeof *o->notes);
    }
    o->notes[o->note_count++] = (fh_pattern_note){column, unmatchable, text};
}

/* ---- what a comparison names ------------------------------------------------- */

enum target {
    T_NONE,
    T_ADDR,     /* ipv4-addr:value, ipv6-addr:value (family set) */
    T_REF_ADDR, /* network-traffic:src_ref.value / dst_ref.value: address or domain */
    T_DOMAIN,
    T_URL,
    T_HASH,
    T_PORT,
    T_PROTOCOL, /* network-traffic:protocols[i] */
    T_REF_TYPE  /* network-traffic:src_ref.type / dst_ref.type */
};

struct target_info {
    enum target t;
    int family; /* T_ADDR: 4 or 6 */
    fh_pattern_side side;
    fh_pattern_hash_alg alg;
    const char *hash_key; /* T_HASH with an algorithm fenghuo does not match */
    bool hash_known;
};

static bool step_is(const fh__ppath *path, size_t i, const char *key)
{
    return i < path->nsteps && path->steps[i].kind == FH__PSTEP_KEY &&
           strcmp(path->steps[i].key, key) == 0;
}

static bool hash_alg_from_key(const char *k, fh_pattern_hash_alg *alg)
{
    static const struct {
        const char *name;
        fh_pattern_hash_alg alg;
    } map[] = {
        {"MD5", FH_PATTERN_HASH_MD5},           {"SHA-1", FH_PATTERN_HASH_SHA1},
        {"SHA1", FH_PATTERN_HASH_SHA1},         {"SHA-256", FH_PATTERN_HASH_SHA256},
        {"SHA256", FH_PATTERN_HASH_SHA256},     {"SHA-512", FH_PATTERN_HASH_SHA512},
        {"SHA512", FH_PATTERN_HASH_SHA512},     {"SHA3-256", FH_PATTERN_HASH_SHA3_256},
        {"SHA3-512", FH_PATTERN_HASH_SHA3_512},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(map); i++) {
        if (strcasecmp(k, map[i].name) == 0) {
            *alg = map[i].alg;
            return true;
        }
    }
    return false;
}

static struct target_info classify(const fh__ppath *path)
{
    struct target_info ti = {T_NONE, 0, FH_PATTERN_SIDE_ANY, FH_PATTERN_HASH_MD5, NULL, false};
    const char *t = path->type;
    size_t n = path->nsteps;
    if ((strcmp(t, "ipv4-addr") == 0 || strcmp(t, "ipv6-addr") == 0) && n == 1 &&
        step_is(path, 0, "value")) {
        ti.t = T_ADDR;
        ti.family = t[3] == '4' ? 4 : 6;
    } else if (strcmp(t, "domain-name") == 0 && n == 1 && step_is(path, 0, "value")) {
        ti.t = T_DOMAIN;
    } else if (strcmp(t, "url") == 0 && n == 1 && step_is(path, 0, "value")) {
        ti.t = T_URL;
    } else if ((strcmp(t, "file") == 0 || strcmp(t, "artifact") == 0) && n == 2 &&
               step_is(path, 0, "hashes") && path->steps[1].kind == FH__PSTEP_KEY) {
        ti.t = T_HASH;
        ti.hash_key = path->steps[1].key;
        ti.hash_known = hash_alg_from_key(ti.hash_key, &ti.alg);
    } else if (strcmp(t, "network-traffic") == 0) {
        bool src = step_is(path, 0, "src_ref") || step_is(path, 0, "src_port");
        ti.side = src ? FH_PATTERN_SIDE_SRC : FH_PATTERN_SIDE_DST;
        if (n == 2 && (step_is(path, 0, "src_ref") || step_is(path, 0, "dst_ref")) &&
            step_is(path, 1, "value"))
            ti.t = T_REF_ADDR;
        else if (n == 2 && (step_is(path, 0, "src_ref") || step_is(path, 0, "dst_ref")) &&
                 step_is(path, 1, "type"))
            ti.t = T_REF_TYPE;
        else if (n == 1 && (step_is(path, 0, "src_port") || step_is(path, 0, "dst_port")))
            ti.t = T_PORT;
        else if (n == 2 && step_is(path, 0, "protocols") && path->steps[1].kind != FH__PSTEP_KEY)
            ti.t = T_PROTOCOL;
    }
    return ti;
}

/* ---- values ------------------------------------------------------------------ */

/* Lower-cases and checks a domain name: ASCII labels of 1 to 63 letters,
 * digits, '-' and '_' (not starting or ending with '-'), 253 characters at
 * most, one trailing dot dropped. Returns NULL and sets *why otherwise. */
static char *normalize_domain(const char *s, size_t n, const char **why)
{
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > 253) {
        *why = n == 0 ? "is empty" : "is longer than 253 characters";
        return NULL;
    }
    char *d = fh_xstrndup(s, n);
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = d[i];
        if (i == n || c == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-') {
                *why = label == 0   ? "has an empty label"
                       : label > 63 ? "has a label longer than 63 characters"
                                    : "has a label that starts or ends with '-'";
                free(d);
                return NULL;
            }
            label = 0;
            continue;
        }
        if ((unsigned char)c >= 0x80) {
            *why = "is not ASCII (write internationalized names in their xn-- form)";
            free(d);
            return NULL;
        }
        if (!(isalnum((unsigned char)c) || c == '-' || c == '_')) {
            *why = "holds a character a domain name cannot have";
            free(d);
            return NULL;
        }
        d[i] = (char)tolower((unsigned char)c);
        label++;
    }
    /* No top-level domain is all digits: "198.51.100" is a broken address. */
    const char *last = strrchr(d, '.');
    last = last ? last + 1 : d;
    if (strspn(last, "0123456789") == strlen(last)) {
        *why = "ends in an all-numeric label (a malformed IP address?)";
        free(d);
        return NULL;
    }
    return d;
}

/* The authority's host and port, u[host..end): a domain name, an IPv4
 * address or a bracketed IPv6 address, and an optional :port. */
static bool url_host_valid(const char *u, size_t host, size_t end)
{
    size_t hend = end;
    char buf[INET6_ADDRSTRLEN + 1];
    uint8_t addr[16];
    if (host < end && u[host] == '[') {
        const char *close = memchr(u + host, ']', end - host);
        if (close == NULL)
            return false;
        size_t alen = (size_t)(close - (u + host)) - 1;
        if (alen == 0 || alen >= sizeof buf)
            return false;
        memcpy(buf, u + host + 1, alen);
        buf[alen] = '\0';
        if (inet_pton(AF_INET6, buf, addr) != 1)
            return false;
        hend = (size_t)(close - u) + 1;
        if (hend < end && u[hend] != ':')
            return false;
    } else {
        const char *colon = memchr(u + host, ':', end - host);
        if (colon)
            hend = (size_t)(colon - u);
        size_t hlen = hend - host;
        if (hlen == 0)
            return false;
        bool is_v4 = false;
        if (hlen < sizeof buf) {
            memcpy(buf, u + host, hlen);
            buf[hlen] = '\0';
            is_v4 = inet_pton(AF_INET, buf, addr) == 1;
        }
        const char *why;
        char *d = is_v4 ? NULL : normalize_domain(u + host, hlen, &why);
        if (!is_v4 && d == NULL)
            return false;
        free(d);
    }
    if (hend < end) {
        /* ":" then 1 to 5 digits up to 65535 (an empty port is allowed by RFC 3986). */
        unsigned long port = 0;
        for (size_t k = hend + 1; k < end; k++) {
            if (u[k] < '0' || u[k] > '9')
                return false;
            port = port * 10 + (unsigned long)(u[k] - '0');
            if (port > 65535)
                return false;
        }
    }
    return true;
}

/* scheme://[userinfo@]host[:port][/path...]: scheme and host lower-cased,
 * the rest kept. URLs on the wire are ASCII: spaces, control characters and
 * non-ASCII (not percent-encoded) are refused. */
static char *normalize_url(const char *s, size_t n, const char **why)
{
    size_t i = 0;
    if (n == 0 || !isalpha((unsigned char)s[0])) {
        *why = "is not an absolute URL (scheme://host/...)";
        return NULL;
    }
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i + 3 > n || memcmp(s + i, "://", 3) != 0) {
        *why = "is not an absolute URL (scheme://host/...)";
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c <= 0x20 || c >= 0x7f) {
            *why = c >= 0x80 ? "is not ASCII (percent-encode it as a client would send it)"
                             : "contains a space or control character";
            return NULL;
        }
    }
    char *u = fh_xstrndup(s, n);
    for (size_t k = 0; k < i; k++)
        u[k] = (char)tolower((unsigned char)u[k]);
    size_t host = i + 3, end = host;
    while (end < n && u[end] != '/' && u[end] != '?' && u[end] != '#')
        end++;
    /* userinfo cannot hold an unescaped '@': the last one ends it. */
    for (size_t k = end; k > host; k--) {
        if (u[k - 1] == '@') {
            host = k;
            break;
        }
    }
    if (host == end) {
        *why = "has no host";
        free(u);
        return NULL;
    }
    if (!url_host_valid(u, host, end)) {
        *why = "has a host that is not a domain name or IP address (or a bad port)";
        free(u);
        return NULL;
    }
    for (size_t k = host; k < end; k++)
        u[k] = (char)tolower((unsigned char)u[k]);
    return u;
}

static size_t hash_hex_len(fh_pattern_hash_alg alg)
{
    switch (alg) {
    case FH_PATTERN_HASH_MD5:
        return 32;
    case FH_PATTERN_HASH_SHA1:
        return 40;
    case FH_PATTERN_HASH_SHA256:
    case FH_PATTERN_HASH_SHA3_256:
        return 64;
    case FH_PATTERN_HASH_SHA512:
    case FH_PATTERN_HASH_SHA3_512:
        return 128;
    }
    return 0;
}

/* ---- notes --------------------------------------------------------------------- */

/* The comparison as text for a note, shortened to keep notes readable. */
static char *cmp_text(const fh__pnode *n)
{
    fh_pattern tmp;
    fh__pnode obs = {0};
    fh__pnode *kid = (fh__pnode *)n;
    obs.kind = FH__PN_OBS;
    obs.kids = &kid;
    obs.nkids = 1;
    tmp.root = &obs;
    fh_buf b;
    fh_buf_init(&b, 0);
    fh_pattern_format(&tmp, &b);
    /* Drop the brackets the printer put around it. */
    char *s = fh_xstrndup(b.data + 1, b.len - 2);
    fh_buf_cleanup(&b);
    if (strlen(s) > 120) {
        size_t cut = 110;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--;
        memcpy(s + cut, "...", 4);
    }
    return s;
}

static void unmatchable(fh_pattern_observables *o, const fh__pnode *n, const char *fmt, ...)
    FH_PRINTF(3, 4);

static void unmatchable(fh_pattern_observables *o, const fh__pnode *n, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char *c = cmp_text(n);
    add_note(o, n->column, true, fh_xasprintf("%s: %s", c, why));
    free(c);
}

/* ---- comparisons --------------------------------------------------------------- */

static void init_observable(fh_pattern_observable *ob, const fh__pnode *n, const struct ctx *cx,
                            fh_pattern_obs_kind kind)
{
    memset(ob, 0, sizeof *ob);
    ob->kind = kind;
    ob->exact = !cx->partial;
    ob->column = n->column;
    ob->has_window = cx->has_window;
    ob->start = cx->start;
    ob->stop = cx->stop;
}

static void emit_address(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx,
                         const struct target_info *ti, const fh__pconst *c, bool superset)
{
    int family;
    uint8_t addr[16];
    unsigned prefix;
    bool has_prefix;
    if (c->kind != FH__PC_STRING) {
        unmatchable(o, n, "an address is compared with %s", "a constant that is not a string");
        return;
    }
    if (!fh__pattern_parse_ip(c->str, c->str_len, &family, addr, &prefix, &has_prefix)) {
        if (ti->t == T_REF_ADDR) {
            const char *why = NULL;
            char *d = normalize_domain(c->str, c->str_len, &why);
            if (d == NULL) {
                unmatchable(o, n, "the value is neither an IP address nor a domain name (it %s)",
                            why);
                return;
            }
            fh_pattern_observable ob;
            init_observable(&ob, n, cx, FH_PATTERN_OBS_DOMAIN);
            ob.side = ti->side;
            ob.value = d;
            add_observable(o, &ob);
            return;
        }
        unmatchable(o, n, "the value is not an IPv%d address or CIDR block", ti->family);
        return;
    }
    if (ti->t == T_ADDR && family != ti->family) {
        unmatchable(o, n, "the value is an IPv%d address, the path an IPv%d one; it never matches",
                    family, ti->family);
        return;
    }
    unsigned max = family == 4 ? 32 : 128;
    if (superset && prefix != max) {
        unmatchable(o, n, "an address in traffic is a single host and never contains a /%u block",
                    prefix);
        return;
    }
    /* Clear host bits; say so when there were any. */
    bool had_host_bits = false;
    size_t nbytes = family == 4 ? 4 : 16;
    for (size_t i = 0; i < nbytes; i++) {
        unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;
        uint8_t mask = keep ? (uint8_t)(0xff << (8 - keep)) : 0;
        if (addr[i] & (uint8_t)~mask)
            had_host_bits = true;
        addr[i] &= mask;
    }
    char text[INET6_ADDRSTRLEN];
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof text);
    fh_pattern_observable ob;
    init_observable(&ob, n, cx, family == 4 ? FH_PATTERN_OBS_IPV4 : FH_PATTERN_OBS_IPV6);
    ob.side = ti->side;
    memcpy(ob.addr, addr, 16);
    ob.prefix = prefix;
    ob.value = prefix == max ? fh_xstrdup(text) : fh_xasprintf("%s/%u", text, prefix);
    /* Legal, but a sensor matching it flags (or blocks) a large share of
     * all traffic: say so, so that nobody installs it by accident. */
    if (prefix < (family == 4 ? 8u : 16u))
        add_note(o, n->column, false,
                 fh_xasprintf("%s is a very broad block (shorter than /%u): it matches a large "
                              "share of all traffic",
                              ob.value, family == 4 ? 8u : 16u));
    if (had_host_bits)
        add_note(
            o, n->column, false,
            fh_xasprintf("'%.60s' has host bits set; matching the block %s", c->str, ob.value));
    add_observable(o, &ob);
}

static void emit_value(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx,
                       const struct target_info *ti, const fh__pconst *c)
{
    const char *why = NULL;
    fh_pattern_observable ob;
    switch (ti->t) {
    case T_ADDR:
    case T_REF_ADDR:
        emit_address(o, n, cx, ti, c, n->op == FH__POP_ISSUPERSET);
        return;
    case T_DOMAIN:
    case T_URL: {
        if (c->kind != FH__PC_STRING) {
            unmatchable(o, n, "the constant is not a string");
            return;
        }
        char *v = ti->t == T_DOMAIN ? normalize_domain(c->str, c->str_len, &why)
                                    : normalize_url(c->str, c->str_len, &why);
        if (v == NULL) {
            unmatchable(o, n, "the value %s", why);
            return;
        }
        init_observable(&ob, n, cx, ti->t == T_DOMAIN ? FH_PATTERN_OBS_DOMAIN : FH_PATTERN_OBS_URL);
        ob.value = v;
        add_observable(o, &ob);
        return;
    }
    case T_HASH: {
        size_t want = hash_hex_len(ti->alg);
        if ((c->kind != FH__PC_STRING && c->kind != FH__PC_HEX) || c->str_len != want) {
            unmatchable(o, n, "the value is not a %s digest (%zu hex digits)",
                        fh_pattern_hash_alg_name(ti->alg), want);
            return;
        }
        for (size_t i = 0; i < c->str_len; i++) {
            if (!isxdigit((unsigned char)c->str[i])) {
                unmatchable(o, n, "the value is not a %s digest (%zu hex digits)",
                            fh_pattern_hash_alg_name(ti->alg), want);
                return;
            }
        }
        init_observable(&ob, n, cx, FH_PATTERN_OBS_HASH);
        ob.hash_alg = ti->alg;
        ob.value = fh_xstrndup(c->str, c->str_len);
        for (char *s = ob.value; *s; s++)
            *s = (char)tolower((unsigned char)*s);
        add_observable(o, &ob);
        return;
    }
    case T_PORT:
        if (c->kind != FH__PC_INT || c->i < 0 || c->i > 65535) {
            unmatchable(o, n, "a port is an integer from 0 to 65535");
            return;
        }
        init_observable(&ob, n, cx, FH_PATTERN_OBS_PORT);
        ob.side = ti->side;
        ob.port = (uint16_t)c->i;
        ob.value = fh_xasprintf("%u", (unsigned)ob.port);
        add_observable(o, &ob);
        return;
    default:
        return;
    }
}

/* LIKE '%.example.com': every subdomain of example.com, which a sensor's
 * suffix set can match. Any other LIKE is not matchable. */
static void emit_like(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx)
{
    const fh__pconst *c = &n->consts[0];
    const char *why = "LIKE is only matchable as a suffix '%.example.com'";
    if (c->str_len > 2 && c->str[0] == '%' && c->str[1] == '.' &&
        strpbrk(c->str + 2, "%_") == NULL) {
        char *d = normalize_domain(c->str + 2, c->str_len - 2, &why);
        if (d) {
            fh_pattern_observable ob;
            init_observable(&ob, n, cx, FH_PATTERN_OBS_DOMAIN_SUFFIX);
            ob.value = d;
            add_observable(o, &ob);
            return;
        }
        unmatchable(o, n, "the suffix %s", why);
        return;
    }
    unmatchable(o, n, "%s", why);
}

static void compile_comparison(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx)
{
    struct target_info ti = classify(&n->path);
    if (ti.t == T_NONE || ti.t == T_PROTOCOL || ti.t == T_REF_TYPE) {
        fh_buf pb;
        fh_buf_init(&pb, 200);
        fh__pattern_put_path(&pb, &n->path);
        unmatchable(o, n,
                    "a sensor sees addresses, domain names, URLs, file hashes and ports, not %s",
                    pb.data ? pb.data : "this path");
        fh_buf_cleanup(&pb);
        return;
    }
    if (ti.t == T_HASH && !ti.hash_known) {
        bool fuzzy = strcasecmp(ti.hash_key, "SSDEEP") == 0 || strcasecmp(ti.hash_key, "TLSH") == 0;
        unmatchable(o, n,
                    fuzzy ? "the fuzzy hash %.40s needs similarity matching"
                          : "the hash algorithm '%.40s' is not one fenghuo computes",
                    ti.hash_key);
        return;
    }
    if (n->negated) {
        unmatchable(o, n, "a negated comparison (NOT) names what is absent");
        return;
    }
    switch (n->op) {
    case FH__POP_EQ:
    case FH__POP_IN:
        for (size_t i = 0; i < n->nconsts; i++)
            emit_value(o, n, cx, &ti, &n->consts[i]);
        return;
    case FH__POP_ISSUBSET:
    case FH__POP_ISSUPERSET:
        if (ti.t == T_ADDR || ti.t == T_REF_ADDR) {
            emit_value(o, n, cx, &ti, &n->consts[0]);
            return;
        }
        unmatchable(o, n, "%s applies to addresses only", fh__pattern_op_name(n->op));
        return;
    case FH__POP_LIKE:
        if (ti.t == T_DOMAIN) {
            emit_like(o, n, cx);
            return;
        }
        unmatchable(o, n, "LIKE is only matchable on domain-name:value");
        return;
    case FH__POP_MATCHES:
        unmatchable(o, n, "MATCHES needs a regular-expression engine the sensor does not run");
        return;
    case FH__POP_EXISTS:
        unmatchable(o, n, "EXISTS names no value to look for");
        return;
    case FH__POP_NE:
        unmatchable(o, n, "'!=' names what is absent");
        return;
    default:
        unmatchable(o, n, "'%s' is a range, not a value a sensor looks up",
                    fh__pattern_op_name(n->op));
        return;
    }
}

/* ---- comparison trees -------------------------------------------------------- */

static void compile_cmp(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx);

static void merge_into(fh_pattern_observables *o, fh_pattern_observables *from)
{
    for (size_t i = 0; i < from->count; i++)
        add_observable(o, &from->items[i]);
    for (size_t i = 0; i < from->note_count; i++) {
        add_note(o, from->notes[i].column, from->notes[i].unmatchable, from->notes[i].text);
        from->notes[i].text = NULL;
    }
    fh_pattern_observables_cleanup(from);
}

/* A comparison that constrains a network-traffic object without naming a
 * value: dst_ref.type = 'ipv4-addr', protocols[*] = 'tcp'. */
static bool is_guard(const fh__pnode *k, struct target_info *ti)
{
    if (k->kind != FH__PN_CMP || k->op != FH__POP_EQ || k->negated || k->nconsts != 1 ||
        k->consts[0].kind != FH__PC_STRING)
        return false;
    *ti = classify(&k->path);
    return ti->t == T_REF_TYPE || ti->t == T_PROTOCOL;
}

/* Does the ref-type guard g agree with observable ob (same side, same kind)? */
static bool guard_agrees(const struct target_info *gti, const char *type,
                         const fh_pattern_observable *ob)
{
    if (ob->side != gti->side)
        return false;
    return (strcmp(type, "ipv4-addr") == 0 && ob->kind == FH_PATTERN_OBS_IPV4) ||
           (strcmp(type, "ipv6-addr") == 0 && ob->kind == FH_PATTERN_OBS_IPV6) ||
           (strcmp(type, "domain-name") == 0 && ob->kind == FH_PATTERN_OBS_DOMAIN);
}

/* Frees the observables of a list, keeping its notes. */
static void drop_items(fh_pattern_observables *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].value);
    l->count = 0;
}

/* A network-traffic comparison that names values a sensor can look up:
 * an address (or domain) on one side, or a port. */
static enum target flow_value(const fh__pnode *k)
{
    if (k->kind != FH__PN_CMP || k->negated || strcmp(k->path.type, "network-traffic") != 0)
        return T_NONE;
    struct target_info ti = classify(&k->path);
    if (ti.t == T_REF_ADDR && (k->op == FH__POP_EQ || k->op == FH__POP_IN ||
                               k->op == FH__POP_ISSUBSET || k->op == FH__POP_ISSUPERSET))
        return T_REF_ADDR;
    if (ti.t == T_PORT && (k->op == FH__POP_EQ || k->op == FH__POP_IN))
        return T_PORT;
    return T_NONE;
}

/*
 * AND inside brackets: every operand must hold for the same object, so an
 * observable of one operand is partial. The exception is one network-traffic
 * object described by what a sensor sees in a flow: an address (or domain)
 * on one side and/or a port, plus operands that only restate the address
 * type of a side (dst_ref.type = 'ipv4-addr') or give the transport
 * (protocols[*] = 'tcp'). Those fold into exact observables: the address
 * with its port (every address with every port of IN sets), or the port
 * with its protocol.
 */
static void compile_and(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx)
{
    size_t naddr = 0, nport = 0, nother = 0, addr_idx = 0, port_idx = 0;
    struct target_info ti;
    for (size_t i = 0; i < n->nkids; i++) {
        enum target t = flow_value(n->kids[i]);
        if (t == T_REF_ADDR)
            naddr++, addr_idx = i;
        else if (t == T_PORT)
            nport++, port_idx = i;
        else if (!is_guard(n->kids[i], &ti))
            nother++;
    }
    if (nother > 0 || naddr > 1 || nport > 1 || naddr + nport == 0) {
        struct ctx sub = *cx;
        sub.partial = true;
        for (size_t i = 0; i < n->nkids; i++)
            compile_cmp(o, n->kids[i], &sub);
        return;
    }
    fh_pattern_observables tmp, addrs, ports;
    fh_pattern_observables_init(&tmp);
    fh_pattern_observables_init(&addrs);
    fh_pattern_observables_init(&ports);
    if (naddr)
        compile_comparison(&addrs, n->kids[addr_idx], cx);
    if (nport)
        compile_comparison(&ports, n->kids[port_idx], cx);
    if (naddr && nport) {
        /* An address or port that could not be compiled leaves the other
         * one alone, and partial. */
        fh_pattern_observables *alone = addrs.count == 0   ? &ports
                                        : ports.count == 0 ? &addrs
                                                           : NULL;
        if (alone) {
            for (size_t j = 0; j < alone->count; j++)
                alone->items[j].exact = false;
        }
        for (size_t a = 0; alone == NULL && a < addrs.count; a++) {
            for (size_t q = 0; q < ports.count; q++) {
                fh_pattern_observable ob = addrs.items[a];
                ob.value = fh_xstrdup(addrs.items[a].value);
                ob.has_port = true;
                ob.port = ports.items[q].port;
                ob.port_side = ports.items[q].side;
                add_observable(&tmp, &ob);
            }
        }
        if (alone == NULL) {
            /* The combinations replace the address and port templates. */
            drop_items(&addrs);
            drop_items(&ports);
        }
    }
    merge_into(&tmp, &addrs);
    merge_into(&tmp, &ports);
    for (size_t j = 0; j < tmp.count; j++) {
        fh_pattern_observable *ob = &tmp.items[j];
        for (size_t i = 0; i < n->nkids; i++) {
            const fh__pnode *g = n->kids[i];
            if (!is_guard(g, &ti))
                continue;
            const char *val = g->consts[0].str;
            if (ti.t == T_REF_TYPE && guard_agrees(&ti, val, ob))
                continue;
            if (ti.t == T_PROTOCOL && (ob->kind == FH_PATTERN_OBS_PORT || ob->has_port) &&
                ob->protocol[0] == '\0' && g->consts[0].str_len < sizeof ob->protocol &&
                (strcasecmp(val, "tcp") == 0 || strcasecmp(val, "udp") == 0 ||
                 strcasecmp(val, "sctp") == 0)) {
                for (size_t k = 0; val[k]; k++)
                    ob->protocol[k] = (char)tolower((unsigned char)val[k]);
                continue;
            }
            ob->exact = false;
        }
    }
    /* The guards themselves are accounted for: no notes for them. */
    merge_into(o, &tmp);
}

static void compile_cmp(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx)
{
    switch (n->kind) {
    case FH__PN_CMP:
        compile_comparison(o, n, cx);
        return;
    case FH__PN_CMP_OR:
        for (size_t i = 0; i < n->nkids; i++)
            compile_cmp(o, n->kids[i], cx);
        return;
    case FH__PN_CMP_AND:
        compile_and(o, n, cx);
        return;
    default:
        return;
    }
}

/* ---- observation expressions ------------------------------------------------- */

static void compile_obs(fh_pattern_observables *o, const fh__pnode *n, const struct ctx *cx)
{
    struct ctx sub = *cx;
    switch (n->kind) {
    case FH__PN_OBS:
        compile_cmp(o, n->kids[0], cx);
        return;
    case FH__PN_OBS_OR:
        for (size_t i = 0; i < n->nkids; i++)
            compile_obs(o, n->kids[i], cx);
        return;
    case FH__PN_OBS_AND:
    case FH__PN_FOLLOWEDBY:
        sub.partial = true;
        for (size_t i = 0; i < n->nkids; i++)
            compile_obs(o, n->kids[i], &sub);
        return;
    case FH__PN_QUALIFIED:
        /* WITHIN never changes exactness: one observation is always within
         * any window, and several are already partial. */
        for (size_t i = 0; i < n->nquals; i++) {
            const fh__pqual *q = &n->quals[i];
            if (q->kind == FH__PQ_REPEATS && q->repeats > 1)
                sub.partial = true;
            if (q->kind == FH__PQ_STARTSTOP) {
                if (!sub.has_window || fh_time_cmp(&q->start, &sub.start) > 0)
                    sub.start = q->start;
                if (!sub.has_window || fh_time_cmp(&q->stop, &sub.stop) < 0)
                    sub.stop = q->stop;
                sub.has_window = true;
            }
        }
        if (sub.has_window && fh_time_cmp(&sub.start, &sub.stop) >= 0) {
            add_note(o, n->column, true,
                     fh_xstrdup("the START/STOP window is empty (STOP is not later than START); "
                                "this part never matches"));
            return;
        }
        compile_obs(o, n->kids[0], &sub);
        return;
    default:
        return;
    }
}

fh_err fh_pattern_compile(const fh_pattern *p, fh_pattern_observables *out)
{
    if (p == NULL || p->root == NULL || out == NULL)
        return FH_ERR_USAGE;
    struct ctx cx;
    memset(&cx, 0, sizeof cx);
    compile_obs(out, p->root, &cx);
    dedupe(out);
    return FH_OK;
}

fh_err fh_pattern_compile_text(const char *text, fh_pattern_observables *out, fh_pattern_error *err)
{
    fh_pattern *p = NULL;
    fh_err rc = fh_pattern_parse(text, strlen(text), 0, &p, err);
    if (rc == FH_OK)
        rc = fh_pattern_compile(p, out);
    fh_pattern_free(p);
    return rc;
}
