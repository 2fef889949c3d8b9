/*
 * The sharing policy's vocabulary (docs/SHARING.md): TLP levels and the
 * marking-definition ids that name them (TLP 1.0 and 2.0), an object's
 * effective TLP, and the STIX objects that publish sharing groups.
 *
 * Not for: deciding visibility of stored objects. That is a predicate inside
 * the store's SQL (lib/store), so pagination and counts stay right; this
 * module supplies the facts it is computed from.
 *
 * Thread-safety: every function is pure or returns new objects; any thread.
 */
#ifndef FENGHUO_POLICY_H
#define FENGHUO_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

/* TLP levels in order of restriction: a larger value shows to fewer. The
 * numbers are stored in the database; never renumber. */
typedef enum fh_tlp {
    FH_TLP_NONE = -1, /* no TLP marking */
    FH_TLP_CLEAR = 0, /* also TLP 1.0 WHITE */
    FH_TLP_GREEN = 1,
    FH_TLP_AMBER = 2,
    FH_TLP_AMBER_STRICT = 3,
    FH_TLP_RED = 4
} fh_tlp;

/* The level a marking-definition id names (TLP 1.0 or 2.0), or FH_TLP_NONE
 * when id is not a TLP marking (or NULL). */
fh_tlp fh_policy_tlp_of_marking(const char *id);

/* The most restrictive TLP among obj's object_marking_refs; FH_TLP_NONE
 * when it has none. obj may be any JSON value. */
fh_tlp fh_policy_object_tlp(const json_t *obj);

/*
 * TLP granular markings of obj. *partial receives the most restrictive of
 * them; *whole the most restrictive of those that select a property the
 * object cannot lose (without it, fh_stix_validate_object rejects the
 * object): a reader who may not see that level must not see the object at
 * all. FH_TLP_NONE when there are none. Redaction works on top-level
 * properties: "external_references.[0].url" selects external_references.
 */
void fh_policy_granular_tlp(const json_t *obj, fh_tlp *whole /* OUT */, fh_tlp *partial /* OUT */);

/* Removes from obj (in place) every top-level property a TLP granular
 * marking above clearance selects, with the granular markings that select
 * those properties (granular_markings itself when none is left). */
void fh_policy_redact(json_t *obj, int clearance);

/* Removes the granular markings of obj that select top-level property key
 * (or something inside it); granular_markings itself when none is left. */
void fh_policy_redact_property(json_t *obj, const char *key);

/* "clear", "green", "amber", "amber+strict", "red"; "none" otherwise. */
const char *fh_policy_tlp_name(fh_tlp t);

/* Parses one of the names above (case-insensitive; "white" is CLEAR).
 * FH_ERR_INVALID for anything else. */
fh_err fh_policy_tlp_parse(const char *name, fh_tlp *out /* OUT */);

/* The TLP 2.0 marking-definition id of a level (static string), or NULL. */
const char *fh_policy_tlp_marking_id(fh_tlp t);

/* The id of fenghuo's sharing-group extension-definition. */
#define FH_POLICY_GROUP_EXTENSION "extension-definition--752804a7-fda9-4f76-8559-78ce24ae5b51"

/* The extension-definition object of sharing groups (a new reference). */
json_t *fh_policy_group_extension_definition(void);

/*
 * A sharing group's marking-definition (a new reference): id is its
 * "marking-definition--…" id, created its creation timestamp, members a JSON
 * array of identity ids (borrowed; copied).
 */
json_t *fh_policy_group_marking(const char *id, const char *name, const char *created,
                                const json_t *members);

/* ---- Crypto-PAn (victim privacy) ------------------------------------------ */

#define FH_POLICY_CRYPTOPAN_KEYLEN 32

/* A Crypto-PAn instance for a 32-byte key (AES-128 key, then the pad
 * secret), as in the reference implementation. Never fails (allocation
 * aborts). Immutable after creation: any thread may use it at once. */
typedef struct fh_policy_cryptopan fh_policy_cryptopan;
fh_policy_cryptopan *fh_policy_cryptopan_new(const uint8_t key[FH_POLICY_CRYPTOPAN_KEYLEN]);
/* Wipes and frees c; NULL does nothing. */
void fh_policy_cryptopan_free(fh_policy_cryptopan *c);

/* The pseudonym of an IPv4 / IPv6 address, network byte order. in and out
 * may be the same buffer. */
void fh_policy_cryptopan_v4(const fh_policy_cryptopan *c, const uint8_t in[4], uint8_t out[4]);
void fh_policy_cryptopan_v6(const fh_policy_cryptopan *c, const uint8_t in[16], uint8_t out[16]);

/* ---- victim privacy (docs/SHARING.md) ------------------------------------- */

/* An IPv4 or IPv6 address or prefix. */
typedef struct fh_policy_prefix {
    uint8_t family;   /* 4 or 6 */
    uint8_t len;      /* prefix length: 32 / 128 for a single address */
    bool has_len;     /* written with "/len" */
    uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
} fh_policy_prefix;

/* Parses "198.51.100.7", "198.51.100.0/24", "2001:db8::1", "2001:db8::/32"
 * (inet_pton syntax; the length in decimal, no sign, in range). Host bits
 * after the length are kept as written. FH_ERR_INVALID otherwise. */
fh_err fh_policy_prefix_parse(const char *text, fh_policy_prefix *out /* OUT */);

/* Writes p as text ("/len" only when has_len) into out (64 bytes suffice). */
void fh_policy_prefix_format(const fh_policy_prefix *p, char *out, size_t outsize);

/* Clears the host bits after p->len. */
void fh_policy_prefix_mask(fh_policy_prefix *p);

/* True when every address of inner lies in outer (same family, inner at
 * least as long, the first outer->len bits equal). */
bool fh_policy_prefix_within(const fh_policy_prefix *inner, const fh_policy_prefix *outer);

/* The first and last address of p as sortable byte strings (out: 17 bytes
 * for IPv6, 5 for IPv4; a family byte first), for range checks in SQL.
 * Returns the length written. */
size_t fh_policy_prefix_range(const fh_policy_prefix *p, uint8_t lo[17] /* OUT */,
                              uint8_t hi[17] /* OUT */);

/*
 * The IPv4 address or prefix that an IPv6 value embeds (docs/SHARING.md),
 * into *v4 (may be NULL): in ::ffff:0:0/96 (IPv4-mapped), ::/96
 * (IPv4-compatible, deprecated; not :: and ::1) and 64:ff9b::/96 (NAT64,
 * RFC 6052) the last 32 bits, when p is at least 96 bits long (a /L value
 * embeds a /(L-96)); in 2002::/16 (6to4, RFC 3056) bits 16-47, when p is at
 * least 16 bits long (a /L value embeds a /min(L-16, 32)). Returns the byte
 * offset of the IPv4 part in p->addr (12 or 2), 0 when p embeds none.
 */
size_t fh_policy_prefix_embedded_v4(const fh_policy_prefix *p, fh_policy_prefix *v4 /* OUT */);

/* True when p lies wholly inside one of the n nets; an IPv6 value that
 * embeds an IPv4 address is also judged by that IPv4 part against IPv4
 * nets. */
bool fh_policy_prefix_inside(const fh_policy_prefix *p, const fh_policy_prefix *nets, size_t n);

/* The Crypto-PAn pseudonym of an address or prefix: the address bits
 * pseudonymized, then (for a prefix) the host bits after the length cleared,
 * so a prefix keeps its length and is the prefix of its members' pseudonyms.
 * An IPv6 value that embeds an IPv4 address keeps its IPv6 prefix and gets
 * the pseudonym of its IPv4 part in place of it (6to4: the bits after the
 * IPv4 part are those of the IPv6 pseudonym of the whole value). */
void fh_policy_prefix_pseudonym(const fh_policy_cryptopan *c, const fh_policy_prefix *in,
                                fh_policy_prefix *out /* OUT */);

/* What the pseudonymization of one object needs. nets: the networks of the
 * version's submitters; resolve: returns the stored ipv4-addr, ipv6-addr or
 * network-traffic object with that id (a borrowed reference that lives as
 * long as the call) or NULL when the hub has none. */
typedef struct fh_policy_victims {
    const fh_policy_cryptopan *cp;
    const fh_policy_prefix *nets;
    size_t n_nets;
    const json_t *(*resolve)(void *ctx, const char *id);
    /* Optional (may be NULL): the networks that count for the referenced
     * SCO with this id because of its own versions (docs/SHARING.md: the
     * networks of their submitters that this reader is not); *n receives
     * their count. The array must stay valid until the next call. A
     * referenced object is rewritten with nets and these, so a reference
     * names the id the reader gets for the object it names. */
    const fh_policy_prefix *(*own_nets)(void *ctx, const char *id, size_t *n /* OUT */);
    void *ctx;
    /* Optional (may be NULL): a JSON object the caller keeps between calls
     * with the same cp and nets (and clears when they change), where the
     * rewritten id of each reference followed is remembered (null: it
     * stays). Saves resolving and rewriting the same SCO again. */
    json_t *memo;
} fh_policy_victims;

/*
 * Replaces, in obj (in place), every address inside v->nets by its Crypto-PAn
 * pseudonym: the value of an ipv4-addr / ipv6-addr, the values of those in
 * an observed-data's embedded "objects" dictionary, and the references to
 * address SCOs and network-traffic objects (object_refs, src_ref, dst_ref)
 * whose stored value is inside v->nets or the referenced SCO's own_nets: a
 * reference becomes the id of the rewritten object it names. The id of a rewritten SCO is
 * recomputed (fh_stix_sco_id) when it was the deterministic id of its content. Other objects and
 * addresses outside v->nets are left alone. *changed (may be NULL) tells whether anything changed.
 * Pure: the result depends only on obj, the nets, the key and what resolve answers.
 */
void fh_policy_pseudonymize(json_t *obj, const fh_policy_victims *v, bool *changed /* OUT */);

#endif
