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
#include <stddef.h>

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

/* The most restrictive TLP among obj's object_marking_refs and the
 * marking_ref of its granular_markings (granular markings restrict the whole
 * object until redaction exists; see docs/SHARING.md); FH_TLP_NONE when it
 * has none. obj may be any JSON value. */
fh_tlp fh_policy_object_tlp(const json_t *obj);

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

#endif
