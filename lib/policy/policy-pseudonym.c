/*
 * Victim privacy (docs/SHARING.md): addresses and prefixes, and the rewriting
 * of one STIX object so that the addresses inside a reporting organization's
 * networks show as Crypto-PAn pseudonyms, with the ids of rewritten SCOs
 * recomputed and every reference to them following.
 *
 * Not for: deciding who sees originals (the store knows the submitters and
 * the reader) or keeping the key (lib/store).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/policy.h"
#include "fenghuo/stix.h"
#include "fenghuo/util.h"

/* ---- addresses and prefixes ------------------------------------------------ */

fh_err fh_policy_prefix_parse(const char *text, fh_policy_prefix *out)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return FH_ERR_INVALID;
    char buf[64];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof buf)
        return FH_ERR_INVALID;
    memcpy(buf, text, alen);
    buf[alen] = '\0';
    if (strchr(buf, ':')) {
        if (inet_pton(AF_INET6, buf, out->addr) != 1)
            return FH_ERR_INVALID;
        out->family = 6;
        out->len = 128;
    } else {
        if (inet_pton(AF_INET, buf, out->addr) != 1)
            return FH_ERR_INVALID;
        out->family = 4;
        out->len = 32;
    }
    if (slash) {
        const char *d = slash + 1;
        size_t n = strlen(d);
        if (n == 0 || n > 3 || (n > 1 && d[0] == '0'))
            return FH_ERR_INVALID;
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
            if (d[i] < '0' || d[i] > '9')
                return FH_ERR_INVALID;
            v = v * 10 + (unsigned)(d[i] - '0');
        }
        if (v > out->len)
            return FH_ERR_INVALID;
        out->len = (uint8_t)v;
        out->has_len = true;
    }
    return FH_OK;
}

void fh_policy_prefix_format(const fh_policy_prefix *p, char *out, size_t outsize)
{
    char a[INET6_ADDRSTRLEN] = "";
    inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof a);
    if (p->has_len)
        snprintf(out, outsize, "%s/%u", a, (unsigned)p->len);
    else
        snprintf(out, outsize, "%s", a);
}

static unsigned family_bits(const fh_policy_prefix *p)
{
    return p->family == 6 ? 128 : 32;
}

void fh_policy_prefix_mask(fh_policy_prefix *p)
{
    unsigned bits = family_bits(p);
    for (unsigned i = p->len; i < bits; i++)
        p->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

bool fh_policy_prefix_within(const fh_policy_prefix *inner, const fh_policy_prefix *outer)
{
    if (inner->family != outer->family || inner->len < outer->len)
        return false;
    unsigned full = outer->len / 8, rest = outer->len % 8;
    if (memcmp(inner->addr, outer->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (inner->addr[full] & mask) == (outer->addr[full] & mask);
}

size_t fh_policy_prefix_range(const fh_policy_prefix *p, uint8_t lo[17], uint8_t hi[17])
{
    unsigned bits = family_bits(p);
    size_t n = bits / 8;
    lo[0] = hi[0] = p->family;
    memcpy(lo + 1, p->addr, n);
    memcpy(hi + 1, p->addr, n);
    for (unsigned i = p->len; i < bits; i++) {
        lo[1 + i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
        hi[1 + i / 8] |= (uint8_t)(0x80u >> (i % 8));
    }
    return n + 1;
}

/* The IPv6 prefixes whose addresses embed an IPv4 address in their last 32
 * bits (docs/SHARING.md): IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96
 * (deprecated; :: and ::1 are not IPv4 addresses), and the NAT64 well-known
 * prefix 64:ff9b::/96 (RFC 6052). */
static const uint8_t embed96[][12] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0},
};

size_t fh_policy_prefix_embedded_v4(const fh_policy_prefix *p, fh_policy_prefix *v4)
{
    if (p->family != 6)
        return 0;
    size_t at = 0;
    unsigned len = 0;
    if (p->len >= 96) {
        for (size_t i = 0; i < FH_ARRAY_LEN(embed96) && at == 0; i++) {
            if (memcmp(p->addr, embed96[i], 12) == 0)
                at = 12;
        }
        static const uint8_t low[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 1}};
        if (at && memcmp(p->addr, embed96[1], 12) == 0 && p->len == 128 &&
            (memcmp(p->addr + 12, low[0], 4) == 0 || memcmp(p->addr + 12, low[1], 4) == 0))
            at = 0; /* :: and ::1 */
        len = p->len - 96u;
    }
    if (at == 0 && p->len >= 16 && p->addr[0] == 0x20 && p->addr[1] == 0x02) {
        at = 2; /* 6to4, 2002::/16 (RFC 3056): bits 16-47 */
        len = p->len - 16u > 32 ? 32 : p->len - 16u;
    }
    if (at == 0)
        return 0;
    if (v4) {
        memset(v4, 0, sizeof *v4);
        v4->family = 4;
        memcpy(v4->addr, p->addr + at, 4);
        v4->len = (uint8_t)len;
        v4->has_len = len < 32;
        fh_policy_prefix_mask(v4);
    }
    return at;
}

bool fh_policy_prefix_inside(const fh_policy_prefix *p, const fh_policy_prefix *nets, size_t n)
{
    fh_policy_prefix v4;
    bool embeds = fh_policy_prefix_embedded_v4(p, &v4) != 0;
    for (size_t i = 0; i < n; i++) {
        if (fh_policy_prefix_within(p, &nets[i]) ||
            (embeds && fh_policy_prefix_within(&v4, &nets[i])))
            return true;
    }
    return false;
}

void fh_policy_prefix_pseudonym(const fh_policy_cryptopan *c, const fh_policy_prefix *in,
                                fh_policy_prefix *out)
{
    fh_policy_prefix p = *in;
    /* The bits after the length do not belong to the prefix: they must not
     * influence its pseudonym. */
    fh_policy_prefix_mask(&p);
    fh_policy_prefix v4;
    size_t at = fh_policy_prefix_embedded_v4(&p, &v4);
    if (at) {
        /* The embedded IPv4 part becomes the pseudonym of that IPv4 address
         * (or prefix), so the victim looks the same in both families. In a
         * 6to4 address the bits after it (subnet and interface id, which
         * may repeat the IPv4 address) are those of the IPv6 pseudonym:
         * still prefix-preserving, since they depend only on the bits
         * before them. */
        uint8_t full[16];
        if (at == 2)
            fh_policy_cryptopan_v6(c, p.addr, full);
        fh_policy_prefix q;
        fh_policy_prefix_pseudonym(c, &v4, &q);
        memcpy(p.addr + at, q.addr, 4);
        if (at == 2)
            memcpy(p.addr + 6, full + 6, 10);
    } else if (p.family == 6) {
        fh_policy_cryptopan_v6(c, p.addr, p.addr);
    } else {
        fh_policy_cryptopan_v4(c, p.addr, p.addr);
    }
    fh_policy_prefix_mask(&p);
    *out = p;
}

/* ---- objects ------------------------------------------------------------------ */

/* References are followed at most this deep (observed-data -> network-traffic
 * -> address); a network-traffic's src_ref names an address, never another
 * network-traffic, so deeper chains are not valid STIX. */
#define MAX_DEPTH 3

static void rewrite(json_t *obj, const fh_policy_victims *v, int depth, bool *changed);

static bool is_address_type(const char *t)
{
    return t && (strcmp(t, "ipv4-addr") == 0 || strcmp(t, "ipv6-addr") == 0);
}

/* The pseudonymous value of an address value inside the nets, into out;
 * false when it is outside them (or not an address). */
static bool pseudonymous_value(const char *value, const fh_policy_victims *v, char *out,
                               size_t outsize)
{
    fh_policy_prefix p;
    if (fh_policy_prefix_parse(value, &p) != FH_OK)
        return false;
    if (!fh_policy_prefix_inside(&p, v->nets, v->n_nets))
        return false;
    fh_policy_prefix q;
    fh_policy_prefix_pseudonym(v->cp, &p, &q);
    fh_policy_prefix_format(&q, out, outsize);
    return true;
}

/* Whether obj's id is the deterministic id of its content. */
static bool has_content_id(const json_t *obj)
{
    char want[300];
    const char *id = json_string_value(json_object_get(obj, "id"));
    return id && fh_stix_sco_id(obj, want, sizeof want) == FH_OK && strcmp(want, id) == 0;
}

/* The id that the object named by ref has once rewritten, as a new JSON
 * string; NULL when unchanged (unknown to the hub, not an address or
 * network-traffic, outside the nets). The referenced object is rewritten
 * with the referencing object's networks and its own versions' (own_nets),
 * so the reference names the id this reader gets for it. The caller
 * replaces the reference: a string may be shared, so it is never changed in
 * place. */
static json_t *rewrite_ref(const json_t *ref, const fh_policy_victims *v, int depth)
{
    const char *id = json_string_value(ref);
    if (id == NULL || depth >= MAX_DEPTH || v->resolve == NULL)
        return NULL;
    if (strncmp(id, "ipv4-addr--", 11) != 0 && strncmp(id, "ipv6-addr--", 11) != 0 &&
        strncmp(id, "network-traffic--", 17) != 0)
        return NULL;
    json_t *known = v->memo ? json_object_get(v->memo, id) : NULL;
    if (known)
        return json_is_string(known) ? json_incref(known) : NULL;
    const json_t *stored = v->resolve(v->ctx, id);
    json_t *out = NULL;
    if (stored) {
        /* A copy first: own_nets may resolve other objects, and a borrowed
         * reference need not outlive that. */
        json_t *copy = json_deep_copy(stored);
        /* An address already inside the referencing object's networks is
         * rewritten whatever its own submitters' networks are. */
        fh_policy_prefix p;
        const char *val = json_string_value(json_object_get(copy, "value"));
        bool decided = id[0] == 'i' && val && fh_policy_prefix_parse(val, &p) == FH_OK &&
                       fh_policy_prefix_inside(&p, v->nets, v->n_nets);
        size_t n_own = 0;
        const fh_policy_prefix *own =
            v->own_nets && !decided ? v->own_nets(v->ctx, id, &n_own) : NULL;
        /* The referenced object's rewriting uses other networks: what is
         * remembered under v's networks does not apply to it. */
        fh_policy_victims inner = *v;
        inner.memo = NULL;
        fh_policy_prefix *both = NULL;
        if (n_own) {
            both = fh_xcalloc(v->n_nets + n_own, sizeof *both);
            if (v->n_nets)
                memcpy(both, v->nets, v->n_nets * sizeof *both);
            memcpy(both + v->n_nets, own, n_own * sizeof *both);
            inner.nets = both;
            inner.n_nets = v->n_nets + n_own;
        }
        bool changed = false;
        rewrite(copy, &inner, depth + 1, &changed);
        const char *nid = json_string_value(json_object_get(copy, "id"));
        out = changed && nid && strcmp(nid, id) != 0 ? json_string(nid) : NULL;
        json_decref(copy);
        free(both);
    }
    if (v->memo)
        json_object_set(v->memo, id, out ? out : json_null());
    return out;
}

static void rewrite(json_t *obj, const fh_policy_victims *v, int depth, bool *changed)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (type == NULL)
        return;
    char value[64];
    if (is_address_type(type)) {
        const char *val = json_string_value(json_object_get(obj, "value"));
        if (val == NULL || !pseudonymous_value(val, v, value, sizeof value))
            return;
        bool content_id = has_content_id(obj);
        json_object_set_new(obj, "value", json_string(value));
        char id[300];
        if (content_id && fh_stix_sco_id(obj, id, sizeof id) == FH_OK)
            json_object_set_new(obj, "id", json_string(id));
        *changed = true;
    } else if (strcmp(type, "network-traffic") == 0) {
        bool content_id = has_content_id(obj);
        bool any = false;
        static const char *const refs[] = {"src_ref", "dst_ref"};
        for (size_t i = 0; i < FH_ARRAY_LEN(refs); i++) {
            json_t *r = rewrite_ref(json_object_get(obj, refs[i]), v, depth);
            if (r) {
                json_object_set_new(obj, refs[i], r);
                any = true;
            }
        }
        char id[300];
        if (any && content_id && fh_stix_sco_id(obj, id, sizeof id) == FH_OK)
            json_object_set_new(obj, "id", json_string(id));
        if (any)
            *changed = true;
    } else if (strcmp(type, "observed-data") == 0) {
        size_t i;
        json_t *r;
        json_t *list = json_object_get(obj, "object_refs");
        json_array_foreach(list, i, r)
        {
            json_t *nr = rewrite_ref(r, v, depth);
            if (nr) {
                json_array_set_new(list, i, nr);
                *changed = true;
            }
        }
        /* The deprecated embedded dictionary: its references are local keys,
         * so only the values change. */
        const char *k;
        json_t *e;
        json_object_foreach(json_object_get(obj, "objects"), k, e)
        {
            const char *t = json_string_value(json_object_get(e, "type"));
            const char *val = json_string_value(json_object_get(e, "value"));
            if (is_address_type(t) && val && pseudonymous_value(val, v, value, sizeof value)) {
                json_object_set_new(e, "value", json_string(value));
                *changed = true;
            }
        }
    }
}

void fh_policy_pseudonymize(json_t *obj, const fh_policy_victims *v, bool *changed)
{
    bool any = false;
    if (obj && v && v->cp && (v->n_nets || v->own_nets))
        rewrite(obj, v, 0, &any);
    if (changed)
        *changed = any;
}
