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

#endif
