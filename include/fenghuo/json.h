/*
 * JSON for fenghuo: jansson, with the limits every input passes (size and
 * nesting depth) and a canonical serialization (sorted keys, no spaces) used
 * for deterministic ids, digests and stored copies.
 *
 * Not for: STIX rules. lib/stix decides what a parsed document means.
 */
#ifndef FENGHUO_JSON_H
#define FENGHUO_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

typedef struct fh_json_limits {
    size_t max_bytes;   /* the document's size in bytes */
    unsigned max_depth; /* nesting of arrays and objects; the top level is 1 */
} fh_json_limits;

#define FH_JSON_DEFAULT_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define FH_JSON_DEFAULT_MAX_DEPTH 64u

void fh_json_limits_init(fh_json_limits *l);

/*
 * Parses data (len bytes, need not be terminated) into *out (a new reference
 * the caller decrefs). Duplicate keys in an object and NUL characters in
 * strings are rejected; so is anything after the value but white space.
 * On failure *out is NULL and err (may be NULL) receives a message with the
 * line and column, e.g. "line 3, column 7: '}' expected near ','", or the
 * limit that was hit and how to raise it.
 * Returns FH_OK, FH_ERR_PARSE or FH_ERR_LIMIT.
 */
fh_err fh_json_load(const char *data, size_t len, const fh_json_limits *limits,
                    json_t **out /* OUT */, fh_buf *err);

/* The depth of v: 0 for a scalar, 1 for a flat array or object. Iterative,
 * safe on any depth jansson accepted. */
unsigned fh_json_depth(const json_t *v);

/* Appends the RFC 8785 (JSON Canonicalization Scheme) form of v to out:
 * keys sorted by UTF-16 code units, no white space, strings escaped as
 * ECMAScript does, numbers in ECMAScript's shortest form. Integers are
 * written exactly (RFC 8785 would round those beyond 2^53 through a double).
 * FH_ERR_LIMIT when out would pass its maximum (out is then unchanged). */
fh_err fh_json_canonical(const json_t *v, fh_buf *out);

/* Short accessors that return NULL / the default when the key is absent or
 * of another type. They never allocate. */
const char *fh_json_str(const json_t *obj, const char *key);

#endif
