/*
 * Internal interface of the STIX 2.1 validator (lib/stix/stix-validate*.c):
 * the validation context that names the object and collects diagnostics,
 * the property tables each object type is described by, and the checks the
 * sections share (identifiers, timestamps, hashes, addresses).
 *
 * Not for: anything outside lib/stix. Callers use include/fenghuo/stix.h.
 */
#ifndef FENGHUO_STIX_INTERNAL_H
#define FENGHUO_STIX_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/stix.h"
#include "fenghuo/time.h"

/* Longest JSON path a diagnostic carries; deeper paths are cut (with "…"). */
#define FH__STIX_PATH_MAX 256

/* What kind of STIX object a type is; decides the common properties. */
typedef enum fh__stix_class {
    FH__STIX_SDO,
    FH__STIX_SRO,
    FH__STIX_SCO,
    FH__STIX_MARKING,  /* marking-definition */
    FH__STIX_LANGUAGE, /* language-content */
    FH__STIX_EXTDEF,   /* extension-definition */
    FH__STIX_CUSTOM    /* a type this specification does not define */
} fh__stix_class;

/* The value kinds of section 2 (and a few composite ones). */
typedef enum fh__stix_kind {
    FH__K_STRING,
    FH__K_BOOL,
    FH__K_INT,   /* with optional range */
    FH__K_FLOAT, /* with optional range */
    FH__K_TIMESTAMP,
    FH__K_ID, /* identifier; targets lists the allowed types */
    FH__K_ID_LIST,
    FH__K_STR_LIST, /* list of string or open-vocab */
    FH__K_ENUM,     /* values lists the allowed terms */
    FH__K_ENUM_LIST,
    FH__K_HASHES,
    FH__K_DICT, /* dictionary; dict_values restricts the value type */
    FH__K_HEX,
    FH__K_BINARY,
    FH__K_OBJECT,   /* nested object described by sub */
    FH__K_OBJ_LIST, /* list of nested objects described by sub */
    FH__K_RESERVED, /* a RESERVED property: must not be present */
    FH__K_ANY       /* checked by the type's rule function */
} fh__stix_kind;

/* Value restriction of a dictionary property. */
typedef enum fh__stix_dictval {
    FH__DV_ANY = 0,
    FH__DV_STRING,
    FH__DV_INT,
    FH__DV_INT_OR_STRING,
    FH__DV_STR_LIST
} fh__stix_dictval;

typedef struct fh__stix_prop fh__stix_prop;

/* One row of a property table. Tables end with a row whose name is NULL. */
struct fh__stix_prop {
    const char *name;
    fh__stix_kind kind;
    bool required;
    /* FH__K_ID/_LIST: space-separated allowed target types, or one of
     * "<sdo>", "<sco>", "<sdo-sco>", "<sco-sro>", "<any>" (NULL = any).
     * FH__K_ENUM/_LIST: space-separated allowed values. */
    const char *allowed;
    bool has_range;
    double min, max;
    const fh__stix_prop *sub; /* FH__K_OBJECT / FH__K_OBJ_LIST */
    fh__stix_dictval dict_values;
};

/* Shorthands for table rows: P_<kind>(name, ...); an R suffix = required. */
#define FH__P(n, k, req, allowed, sub, dv)                                                         \
    {                                                                                              \
        n, k, req, allowed, false, 0, 0, sub, dv                                                   \
    }
#define P_STR(n)    FH__P(n, FH__K_STRING, false, NULL, NULL, 0)
#define P_STR_R(n)  FH__P(n, FH__K_STRING, true, NULL, NULL, 0)
#define P_BOOL(n)   FH__P(n, FH__K_BOOL, false, NULL, NULL, 0)
#define P_BOOL_R(n) FH__P(n, FH__K_BOOL, true, NULL, NULL, 0)
#define P_INT(n)    FH__P(n, FH__K_INT, false, NULL, NULL, 0)
#define P_INT_RANGE(n, lo, hi, req)                                                                \
    {                                                                                              \
        n, FH__K_INT, req, NULL, true, lo, hi, NULL, 0                                             \
    }
#define P_FLOAT(n) FH__P(n, FH__K_FLOAT, false, NULL, NULL, 0)
#define P_FLOAT_RANGE(n, lo, hi)                                                                   \
    {                                                                                              \
        n, FH__K_FLOAT, false, NULL, true, lo, hi, NULL, 0                                         \
    }
#define P_TIME(n)     FH__P(n, FH__K_TIMESTAMP, false, NULL, NULL, 0)
#define P_TIME_R(n)   FH__P(n, FH__K_TIMESTAMP, true, NULL, NULL, 0)
#define P_ID(n, t)    FH__P(n, FH__K_ID, false, t, NULL, 0)
#define P_ID_R(n, t)  FH__P(n, FH__K_ID, true, t, NULL, 0)
#define P_IDS(n, t)   FH__P(n, FH__K_ID_LIST, false, t, NULL, 0)
#define P_IDS_R(n, t) FH__P(n, FH__K_ID_LIST, true, t, NULL, 0)
#define P_STRS(n)     FH__P(n, FH__K_STR_LIST, false, NULL, NULL, 0)
/* Open vocabularies (section 2.14): allowed is "@<name> term term ...";
 * a value outside the vocabulary is a warning, never an error. */
#define P_OV(n, vocab)     FH__P(n, FH__K_STRING, false, vocab, NULL, 0)
#define P_OV_R(n, vocab)   FH__P(n, FH__K_STRING, true, vocab, NULL, 0)
#define P_OVS(n, vocab)    FH__P(n, FH__K_STR_LIST, false, vocab, NULL, 0)
#define P_STRS_R(n)        FH__P(n, FH__K_STR_LIST, true, NULL, NULL, 0)
#define P_ENUM(n, vals)    FH__P(n, FH__K_ENUM, false, vals, NULL, 0)
#define P_ENUM_R(n, vals)  FH__P(n, FH__K_ENUM, true, vals, NULL, 0)
#define P_ENUMS_R(n, vals) FH__P(n, FH__K_ENUM_LIST, true, vals, NULL, 0)
#define P_HASHES(n)        FH__P(n, FH__K_HASHES, false, NULL, NULL, 0)
#define P_DICT(n, dv)      FH__P(n, FH__K_DICT, false, NULL, NULL, dv)
#define P_DICT_R(n, dv)    FH__P(n, FH__K_DICT, true, NULL, NULL, dv)
#define P_HEX(n)           FH__P(n, FH__K_HEX, false, NULL, NULL, 0)
#define P_HEX_R(n)         FH__P(n, FH__K_HEX, true, NULL, NULL, 0)
#define P_BIN(n)           FH__P(n, FH__K_BINARY, false, NULL, NULL, 0)
#define P_OBJ(n, sub)      FH__P(n, FH__K_OBJECT, false, NULL, sub, 0)
#define P_OBJS(n, sub)     FH__P(n, FH__K_OBJ_LIST, false, NULL, sub, 0)
#define P_RESERVED(n)      FH__P(n, FH__K_RESERVED, false, NULL, NULL, 0)
#define P_ANY(n)           FH__P(n, FH__K_ANY, false, NULL, NULL, 0)
#define P_ANY_R(n)         FH__P(n, FH__K_ANY, true, NULL, NULL, 0)
#define P_END              FH__P(NULL, FH__K_ANY, false, NULL, NULL, 0)

/* Table rows of types shared by several sections. */
extern const fh__stix_prop fh__stix_kill_chain_phase[];

/* Validation of one object: who it is, where messages go. */
typedef struct fh__stix_vctx {
    const fh_stix_validate_opts *opts;
    fh_stix_diags *diags;
    const json_t *obj;
    const char *type; /* NULL when the object has no usable type */
    fh__stix_class cls;
    char name[300]; /* id, or "(object N)" */
    size_t errors;
    /* The object carries a toplevel-property-extension: properties it
     * does not know may come from that extension. */
    bool toplevel_ext;
} fh__stix_vctx;

/* ---- diagnostics (stix-validate.c) ----------------------------------- */

void fh__stix_error(fh__stix_vctx *v, const char *path, const char *fmt, ...) FH_PRINTF(3, 4);
void fh__stix_warning(fh__stix_vctx *v, const char *path, const char *fmt, ...) FH_PRINTF(3, 4);
/* out = base + ".key" (or "['key']" when key has unusual characters). */
void fh__stix_path_key(char *out, size_t n, const char *base, const char *key);
/* out = base + "[i]". */
void fh__stix_path_index(char *out, size_t n, const char *base, size_t i);

/* Copies s into buf for a message: control characters become '?', long
 * values are cut (at a UTF-8 character boundary) and end in "...". */
#define FH__STIX_QUOTE_MAX 104
const char *fh__stix_quote(const char *s, char buf[FH__STIX_QUOTE_MAX]);

/* ---- shared checks (stix-validate.c) ----------------------------------- */

/* Checks every property of obj against table (and reports unknown ones
 * unless `extra` or the common tables know them). path is obj's path. */
void fh__stix_check_props(fh__stix_vctx *v, const json_t *obj, const char *path,
                          const fh__stix_prop *table, const char *what, unsigned depth);
/* Checks one value against one table row. */
void fh__stix_check_value(fh__stix_vctx *v, const json_t *val, const char *path,
                          const fh__stix_prop *p, unsigned depth);
/* Parses the timestamp at obj[key] when it is present and valid. */
bool fh__stix_get_time(const json_t *obj, const char *key, fh_time *out);
/* Reports `later` < `earlier` (or <= when strict) as an error. */
void fh__stix_check_order(fh__stix_vctx *v, const json_t *obj, const char *earlier,
                          const char *later, bool strict);
/* Warns (the spec states no rule) when `later` is before `earlier`. */
void fh__stix_warn_order(fh__stix_vctx *v, const json_t *obj, const char *earlier,
                         const char *later);
/* The class of a type name defined by the specification (FH__STIX_CUSTOM
 * for any other). */
fh__stix_class fh__stix_class_of(const char *type);
/* True when s is lower-case hex of even length. */
bool fh__stix_is_hex(const char *s);
/* True when s is an RFC 5646 language tag (syntax only). */
bool fh__stix_lang_valid(const char *s);
/* Checks a hashes dictionary. */
void fh__stix_check_hashes(fh__stix_vctx *v, const json_t *val, const char *path);
/* Checks a property name against section 3.1 / 11.1.1: a-z 0-9 _, starts
 * with a letter, 3..250 characters. */
bool fh__stix_prop_name_valid(const char *s);
/* True when the object's type has the word in the space-separated list. */
bool fh__stix_word_in(const char *list, const char *word, size_t wlen);

/* ---- per type (stix-validate-sdo.c, -sco.c, -meta.c) ------------------- */

typedef void (*fh__stix_rule_fn)(fh__stix_vctx *v, const json_t *obj);

typedef struct fh__stix_type {
    const char *name;
    fh__stix_class cls;
    const fh__stix_prop *props;
    fh__stix_rule_fn rules;      /* rules between properties; may be NULL */
    const char *predefined_exts; /* space-separated names, or NULL */
} fh__stix_type;

extern const fh__stix_type fh__stix_sdo_types[];
extern const fh__stix_type fh__stix_sco_types[];
extern const fh__stix_type fh__stix_meta_types[];

/* The table of a predefined SCO extension ("ntfs-ext"...), or NULL. */
const fh__stix_prop *fh__stix_predefined_ext(const char *name);
/* Extra rules of a predefined extension (may do nothing). */
void fh__stix_predefined_ext_rules(fh__stix_vctx *v, const char *name, const json_t *ext,
                                   const char *path);

/* Address checks used by SCO rules and tests. */
bool fh__stix_ipv4_valid(const char *s, bool allow_cidr);
bool fh__stix_ipv6_valid(const char *s, bool allow_cidr);
bool fh__stix_mac_valid(const char *s);
bool fh__stix_domain_valid(const char *s);
bool fh__stix_url_valid(const char *s);

/* Marking-definition specifics (stix-validate-meta.c). */
void fh__stix_check_marking(fh__stix_vctx *v, const json_t *obj);

#endif
