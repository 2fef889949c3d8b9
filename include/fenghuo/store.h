/*
 * The hub's store: organizations, tokens, collections, grants, STIX objects
 * and TAXII status resources, on SQLite in WAL mode in one data folder.
 *
 * One writer connection (serialized by a mutex), a pool of read-only
 * connections (readers never wait for the writer), and a background
 * connection that checkpoints the WAL so commits do not. Every write is one
 * transaction; a POST's objects and its status resource commit together, so a
 * status that says "complete" names only objects that are on disk. POSTs
 * that wait for the writer are committed together (group commit), each in
 * its own savepoint.
 *
 * Objects are keyed by (collection, id, version) where the version is the
 * object's modified timestamp (created when it has none; for objects with
 * neither, such as SCOs, the date the content was first added). date_added is
 * assigned here: microseconds, strictly increasing within a collection.
 *
 * Visibility (docs/SHARING.md) is part of every object query: a query with a
 * reader returns only what that organization may see, so pages, counts and
 * date_added bounds are computed over the visible versions alone.
 *
 * Not for: HTTP, TAXII media types.
 * No SQL exists outside lib/store.
 *
 * Thread-safety: every function may be called from any thread on one
 * fh_store, except fh_store_close.
 */
#ifndef FENGHUO_STORE_H
#define FENGHUO_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/consensus.h"
#include "fenghuo/err.h"
#include "fenghuo/util.h"

typedef struct fh_store fh_store;

/* A token in hex: 256 random bits, 64 hex digits and a NUL. */
#define FH_STORE_TOKEN_STRLEN 65
#define FH_STORE_ID_STRLEN    37 /* a UUID and a NUL */

/*
 * Opens (creating when missing) the store in folder dir: dir/fenghuo.db,
 * with its schema migrated to the current version. readers is the number of
 * read-only connections (0 means 4). On failure *out is NULL and err (may be
 * NULL) says what to do, e.g. "cannot create /x: Permission denied".
 * Returns FH_OK, FH_ERR_IO (folder unusable) or FH_ERR_DB.
 */
fh_err fh_store_open(const char *dir, unsigned readers, fh_store **out /* OUT */, fh_buf *err);

/* Closes every connection (a WAL checkpoint happens on the last). NULL does
 * nothing. No call may be running on s. */
void fh_store_close(fh_store *s);

/* The schema version of an open store. */
int fh_store_schema_version(fh_store *s);

/* PRAGMA integrity_check: *ok is true when SQLite answers "ok". */
fh_err fh_store_integrity_check(fh_store *s, bool *ok /* OUT */);

/* The 32-byte key that authenticates pagination cursors; created randomly on
 * the first open and kept in the database, so cursors survive restarts. */
void fh_store_cursor_key(fh_store *s, uint8_t key[32] /* OUT */);

/* ---- organizations, tokens ---------------------------------------------- */

/* Adds an organization with a STIX identity object (identity_class
 * organization). id_out receives its UUID. FH_ERR_EXISTS when the name is
 * taken; FH_ERR_INVALID when name is empty or longer than 200 bytes. */
fh_err fh_store_org_add(fh_store *s, const char *name, char id_out[FH_STORE_ID_STRLEN]);

/* Finds an organization by id or by name. FH_ERR_NOTFOUND when neither. */
fh_err fh_store_org_find(fh_store *s, const char *id_or_name, char id_out[FH_STORE_ID_STRLEN]);

/* Makes org (id or name) a direct client of parent (id or name), or of no
 * one when parent is NULL. FH_ERR_NOTFOUND when either does not exist,
 * FH_ERR_INVALID when they are the same organization. */
fh_err fh_store_org_set_parent(fh_store *s, const char *org, const char *parent);

/* Whether org's name is shown to others on the objects it submits (named)
 * or replaced by the hub's community identity (the default; see
 * docs/SHARING.md, "Submitter anonymity"). FH_ERR_NOTFOUND. */
fh_err fh_store_org_set_named(fh_store *s, const char *org, bool named);

/* The hub's community identity, a STIX identity object created on the first
 * open and kept (a new reference). */
json_t *fh_store_community_identity(fh_store *s);

/* A new JSON array (caller decrefs) of {"id","name","identity","created",
 * "parent","named","networks"} (parent: the parent's name or null; networks:
 * an array of prefixes). */
fh_err fh_store_org_list(fh_store *s, json_t **out /* OUT */);

/*
 * Creates a token for organization org (id or name): 256 bits from the CSPRNG,
 * returned once in token_out (hex) and stored only as its SHA-256. id_out
 * receives the token's own id (for listing and revoking). label may be NULL.
 */
fh_err fh_store_token_new(fh_store *s, const char *org, const char *label, bool admin,
                          char token_out[FH_STORE_TOKEN_STRLEN], char id_out[FH_STORE_ID_STRLEN]);

/* A new JSON array of {"id","org","org_name","label","admin","created","revoked"};
 * never the token or its hash. */
fh_err fh_store_token_list(fh_store *s, json_t **out /* OUT */);

/* Revokes a token by id. FH_ERR_NOTFOUND when there is no such token. */
fh_err fh_store_token_revoke(fh_store *s, const char *id);

/* Who a request comes from. */
typedef struct fh_store_principal {
    char org_id[FH_STORE_ID_STRLEN];
    char token_id[FH_STORE_ID_STRLEN];
    bool admin;
} fh_store_principal;

/* Looks up a presented token (len bytes, any content). The stored SHA-256 is
 * compared in constant time. FH_ERR_AUTH when unknown or revoked. */
fh_err fh_store_token_auth(fh_store *s, const char *token, size_t len,
                           fh_store_principal *out /* OUT */);

/* ---- victim privacy (docs/SHARING.md) ------------------------------------ */

/* The most networks one organization may declare. */
#define FH_STORE_MAX_NETWORKS 1000

/*
 * Changes the networks (own address space) of org (id or name): with clear,
 * every network is removed first; then the n_add prefixes of add are added
 * and the n_remove of remove removed ("198.51.100.0/24", "2001:db8::/32"; a
 * single address is a /32 or /128). One transaction. FH_ERR_NOTFOUND (no
 * such organization), FH_ERR_INVALID (a prefix does not parse or has bits
 * set after its length; *bad, when non-NULL, points at it), FH_ERR_LIMIT
 * (more than FH_STORE_MAX_NETWORKS).
 */
fh_err fh_store_org_networks(fh_store *s, const char *org, bool clear, const char *const *add,
                             size_t n_add, const char *const *remove, size_t n_remove,
                             const char **bad /* OUT */);

/* A new JSON array of org's networks as text, sorted. FH_ERR_NOTFOUND. */
fh_err fh_store_org_networks_list(fh_store *s, const char *org, json_t **out /* OUT */);

/*
 * Replaces the hub's pseudonym key (the file pseudonym.key in the data
 * folder, 32 random bytes, mode 0600) by a new random one. Every read from
 * then on, in this process and in a hub running on the same folder, uses
 * the new key: pseudonyms before and after are unlinkable.
 * FH_ERR_IO when the file cannot be written (logged without the key).
 */
fh_err fh_store_pseudonym_rotate(fh_store *s);

/* ---- collections, grants ------------------------------------------------ */

/* Adds a collection; id may be NULL (a random UUID is chosen) or a UUID.
 * description may be NULL. FH_ERR_EXISTS when the id is taken,
 * FH_ERR_INVALID when id is not a UUID or title is empty. */
fh_err fh_store_collection_add(fh_store *s, const char *title, const char *description,
                               const char *id, char id_out[FH_STORE_ID_STRLEN]);

/* Sets the TLP (an fh_tlp from fenghuo/policy.h, CLEAR..RED) that objects
 * without a TLP marking get in this collection; AMBER until set. Applies to
 * objects stored afterwards. FH_ERR_NOTFOUND, FH_ERR_INVALID. */
fh_err fh_store_collection_set_default_tlp(fh_store *s, const char *collection, int tlp);

/* A new JSON array of every collection {"id","title","description","created",
 * "objects","default_tlp"} in creation order (default_tlp by name). */
fh_err fh_store_collection_list(fh_store *s, json_t **out /* OUT */);

/* Sets org's permissions on a collection (replacing earlier ones).
 * FH_ERR_NOTFOUND when either does not exist. */
fh_err fh_store_grant(fh_store *s, const char *collection, const char *org, bool can_read,
                      bool can_write);
/* Removes org's permissions. FH_ERR_NOTFOUND when there were none. */
fh_err fh_store_revoke(fh_store *s, const char *collection, const char *org);

/* The caller's access to one collection. *exists is false when there is no
 * such collection; can_write comes from the org's grant, can_read from its
 * grant or its parent's (a client reads through its parent). */
fh_err fh_store_access(fh_store *s, const char *collection, const char *org_id,
                       bool *exists /* OUT */, bool *can_read /* OUT */, bool *can_write /* OUT */);

/* TAXII collection resources ({"id","title","description","can_read",
 * "can_write","media_types"}) of the collections org_id may read or write
 * (its own grants, and read through its parent's), in
 * creation order; a new JSON array. When only is non-NULL, just that one. */
fh_err fh_store_collections_for(fh_store *s, const char *org_id, const char *only,
                                json_t **out /* OUT */);

/* ---- sharing groups ------------------------------------------------------ */

/* A group's id: its marking-definition id, "marking-definition--" + UUID. */
#define FH_STORE_GROUP_ID_STRLEN 57

/* Adds a sharing group named name with the n organizations orgs (ids or
 * names). id_out receives its marking-definition id. FH_ERR_EXISTS (name
 * taken), FH_ERR_NOTFOUND (an organization), FH_ERR_INVALID (empty name). */
fh_err fh_store_group_add(fh_store *s, const char *name, const char *const *orgs, size_t n,
                          char id_out[FH_STORE_GROUP_ID_STRLEN]);

/* Adds and removes members of group (id or name); adding a member twice or
 * removing a non-member does nothing. Takes effect on every stored object
 * that names the group at once. FH_ERR_NOTFOUND. */
fh_err fh_store_group_members(fh_store *s, const char *group, const char *const *add, size_t n_add,
                              const char *const *remove, size_t n_remove);

/* A new JSON array of groups {"id","name","created","members":[{"id","name",
 * "identity"}],"marking_definition":{...}}; only the one group when only
 * (id or name) is non-NULL (FH_ERR_NOTFOUND when there is no such group). */
fh_err fh_store_group_list(fh_store *s, const char *only, json_t **out /* OUT */);

/* ---- objects ------------------------------------------------------------ */

/* One object of a POST. Set object for a valid object; set message (and id,
 * version when known) for one that failed validation. */
typedef struct fh_store_put_item {
    const json_t *object; /* a validated STIX object, or NULL */
    const char *id;       /* for the status; may be NULL for failures */
    const char *version;  /* for the status; may be NULL for failures */
    const char *message;  /* non-NULL: this item failed with this message */
    /* Optional: the object's JSON text exactly as it was posted (raw_len
     * bytes, a single JSON object equal to object). When given, it is
     * stored as is instead of serializing object again. */
    const char *raw;
    size_t raw_len;
} fh_store_put_item;

/*
 * Stores the valid items in collection (idempotent: an (id, version) already
 * there counts as a success and is not stored again) and records the status
 * resource, all in one transaction. On FH_OK the status resource's JSON text
 * ("status":"complete", after the commit) is appended to status. The
 * poster's organization is the only one that may read the status later.
 * Each stored version records org_id as its submitter, its effective TLP
 * (markings, else the collection's default) and the sharing groups it names.
 */
fh_err fh_store_post(fh_store *s, const char *collection, const char *org_id,
                     const fh_store_put_item *items, size_t n, fh_buf *status /* OUT */);

/* A status resource by id, if org_id posted it. FH_ERR_NOTFOUND otherwise
 * (also for statuses older than the retention, 7 days). */
fh_err fh_store_status_get(fh_store *s, const char *id, const char *org_id, json_t **out /* OUT */);

/* What a query returns. */
typedef enum fh_store_view {
    FH_STORE_VIEW_OBJECTS,  /* the objects themselves */
    FH_STORE_VIEW_MANIFEST, /* manifest-records */
    FH_STORE_VIEW_VERSIONS  /* version strings */
} fh_store_view;

/* A list of strings (borrowed; the caller keeps them alive). */
typedef struct fh_store_strs {
    const char **v;
    size_t n;
} fh_store_strs;

/* Filters of a TAXII query. Empty lists mean "no filter on that field". */
typedef struct fh_store_query {
    const char *collection; /* required */
    /* The reading organization's id: only versions it may see are selected
     * (docs/SHARING.md), and first/last mean the first/last version it may
     * see. NULL: no visibility filter (the operator's own tools only). */
    const char *reader;
    /* With a reader, objects submitted by another organization that is not
     * named show the hub's community identity in created_by_ref and in the
     * where_sighted_refs that name the submitter. */
    const char *object_id; /* object and versions endpoints, else NULL */
    fh_store_strs ids;
    fh_store_strs types;
    fh_store_strs spec_versions;
    /* Versions: all, or any of first / last / exact timestamps; none of them
     * set means last (the spec's default). */
    bool version_all;
    bool version_first;
    bool version_last;
    fh_store_strs versions; /* timestamps, any precision */
    bool has_added_after;
    int64_t added_after_us; /* date_added > this (microseconds since epoch) */
    size_t limit;           /* at least 1 */
} fh_store_query;

typedef struct fh_store_result {
    fh_buf items;           /* JSON values separated by commas, no brackets */
    size_t count;           /* how many */
    bool more;              /* more match after the last one */
    int64_t first_added_us; /* date_added of the first and last item */
    int64_t last_added_us;
    /* The object ids of the items at TLP:AMBER or above, as JSON strings
     * separated by commas (for the audit record of the read). */
    fh_buf restricted;
    size_t n_restricted;
} fh_store_result;

void fh_store_result_init(fh_store_result *r);
void fh_store_result_cleanup(fh_store_result *r);

/* Runs q and appends the page to r (which the caller initialized). The page
 * is in date_added order. FH_ERR_INVALID when a version timestamp does not
 * parse. */
fh_err fh_store_query_run(fh_store *s, const fh_store_query *q, fh_store_view view,
                          fh_store_result *r);

/* Whether collection holds any version of object_id that reader (an
 * organization id; NULL: anyone) may see. */
fh_err fh_store_object_exists(fh_store *s, const char *collection, const char *object_id,
                              const char *reader, bool *exists /* OUT */);

/*
 * Deletes versions of q->object_id in q->collection: the versions q selects,
 * or every version when q sets no version filter at all (all of first, last,
 * version_all unset and no timestamps); with q->reader, only versions that
 * reader may see. *deleted receives the count.
 */
fh_err fh_store_delete(fh_store *s, const fh_store_query *q, size_t *deleted /* OUT */);

/* ---- trust and consensus (docs/SHARING.md) ------------------------------ */

/* Sets the operator's trust level of org (id or name): an fh_trust_level
 * from fenghuo/consensus.h. The values org reported are scored again at the
 * hub's next consensus check. FH_ERR_NOTFOUND, FH_ERR_INVALID. */
fh_err fh_store_org_set_trust(fh_store *s, const char *org, int level);

/* A new JSON array of {"id","name","trust","agree","disagree","feedback",
 * "weight"}: each organization's operator level (by name), its feedback
 * points from other organizations' opinions (capped per organization), the
 * resulting factor and its weight under cfg. */
fh_err fh_store_org_trust_list(fh_store *s, const fh_consensus_config *cfg, json_t **out /* OUT */);

/*
 * Turns on trust and consensus (docs/SHARING.md): creates the built-in
 * `consensus` collection when missing (its id is kept in the store; id_out
 * receives it), grants read, never write, to every organization without a
 * grant on it, and from now on every fh_store_post records, in its own
 * transaction, the contributions of the indicators and sightings it stored
 * at TLP:CLEAR or GREEN and the opinions it stored, and publishes or revokes
 * the consensus indicators of the values they touch. cfg is copied. Call
 * before the store is shared between threads.
 */
fh_err fh_store_consensus_enable(fh_store *s, const fh_consensus_config *cfg,
                                 char id_out[FH_STORE_ID_STRLEN]);

/* The consensus collection's id; FH_ERR_NOTFOUND before it was enabled once. */
fh_err fh_store_consensus_collection(fh_store *s, char id_out[FH_STORE_ID_STRLEN]);

/* The periodic side (after fh_store_consensus_enable; FH_ERR_USAGE before):
 * revokes the values whose valid_until has come and scores again those
 * whose organizations' trust changed (at most 5,000 of each per call, in
 * one transaction; *more (may be NULL) is true when some were left: call
 * again); also grants read on the consensus collection to new
 * organizations. *published (may be NULL) receives how many versions it
 * wrote. */
fh_err fh_store_consensus_check(fh_store *s, size_t *published /* OUT */, bool *more /* OUT */);

/* A new JSON array of the values with reports {"kind","value","indicator"
 * (null before its first publication),"state" ("none","published",
 * "revoked"),"score","organizations","valid_until"} scored at now with cfg,
 * or, when cfg is NULL, with the configuration the hub last enabled
 * consensus with (the defaults if it never did). For the operator. */
fh_err fh_store_consensus_list(fh_store *s, const fh_consensus_config *cfg, json_t **out /* OUT */);

/* ---- audit ------------------------------------------------------------- */

/* One audit record. org_id and token_id are NULL for the command line. */
typedef struct fh_store_audit {
    const char *org_id;
    const char *token_id;
    const char *action;     /* "read", "admin" */
    const char *endpoint;   /* e.g. "GET /api/collections/…/objects/", "cli" */
    const char *collection; /* may be NULL */
    const char *object_ids; /* a JSON array's text, or NULL */
    const char *detail;     /* free text (the admin command), or NULL */
} fh_store_audit;

/* Appends a record, committed before returning (audit records cannot be
 * changed or deleted: the schema refuses it). */
fh_err fh_store_audit_append(fh_store *s, const fh_store_audit *a);

/* A new JSON array of records {"seq","time","org","org_name","token",
 * "action","endpoint","collection","object_ids","detail"} in order, those at
 * or after since_us (0: all) and, when org is non-NULL, of that organization
 * (id or name). FH_ERR_NOTFOUND when org does not exist. */
fh_err fh_store_audit_list(fh_store *s, int64_t since_us, const char *org, json_t **out /* OUT */);

/* Formats microseconds since the epoch as a timestamp with 6 digits. */
void fh_store_format_us(int64_t us, char buf[32]);

#endif
