/*
 * STIX 2.1 objects: parsing of the containers objects travel in, and
 * validation of each object against the STIX 2.1 specification.
 *
 * Containers: a STIX bundle, a TAXII 2.1 envelope, a bare JSON array of
 * objects, or a single object. Every container passes named limits (bytes,
 * depth, object count) before its objects are looked at.
 *
 * Validation reports every problem it finds as a diagnostic naming the object
 * id, a JSON path inside that object and the rule, e.g.
 *   indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: $.valid_until: must be later than valid_from
 * Errors make an object invalid; warnings (unknown non-custom properties,
 * SHOULD rules) do not.
 */
#ifndef FENGHUO_STIX_H
#define FENGHUO_STIX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

/* ---- diagnostics -------------------------------------------------------- */

typedef enum fh_diag_severity { FH_DIAG_ERROR = 0, FH_DIAG_WARNING } fh_diag_severity;

typedef struct fh_stix_diag {
    fh_diag_severity severity;
    char *object_id; /* the object's id, or "(object N)" when it has none */
    char *path;      /* JSON path inside the object, "$" for the object itself */
    char *message;   /* the rule that failed, in words */
} fh_stix_diag;

/* A growable list of diagnostics; the caller owns it. At most max_items are
 * kept (further ones are counted in dropped, never silently lost). */
typedef struct fh_stix_diags {
    fh_stix_diag *items;
    size_t count;
    size_t cap;
    size_t errors;
    size_t warnings;
    size_t dropped;
    size_t max_items;
} fh_stix_diags;

#define FH_STIX_DEFAULT_MAX_DIAGS 10000

void fh_stix_diags_init(fh_stix_diags *d);
void fh_stix_diags_cleanup(fh_stix_diags *d);
void fh_stix_diags_add(fh_stix_diags *d, fh_diag_severity sev, const char *object_id,
                       const char *path, const char *fmt, ...) FH_PRINTF(5, 6);
/* "<id>: <path>: <message>" (and " (warning)" for warnings), no newline. */
fh_err fh_stix_diag_format(const fh_stix_diag *diag, fh_buf *out);

/* ---- containers --------------------------------------------------------- */

typedef struct fh_stix_limits {
    size_t max_bytes;       /* whole document; default 64 MiB */
    unsigned max_depth;     /* JSON nesting; default 64 */
    size_t max_objects;     /* objects in one container; default 10000 */
    size_t max_pattern_len; /* bytes of an indicator pattern; default 64 KiB */
} fh_stix_limits;

#define FH_STIX_DEFAULT_MAX_OBJECTS     10000
#define FH_STIX_DEFAULT_MAX_PATTERN_LEN ((size_t)64 * 1024)

void fh_stix_limits_init(fh_stix_limits *l);

typedef enum fh_stix_container {
    FH_STIX_BUNDLE,   /* {"type":"bundle","id":"bundle--…","objects":[…]} */
    FH_STIX_ENVELOPE, /* TAXII 2.1 envelope: {"more":…,"objects":[…]} */
    FH_STIX_ARRAY,    /* [ {…}, {…} ] */
    FH_STIX_OBJECT    /* one object */
} fh_stix_container;

const char *fh_stix_container_name(fh_stix_container c);

/*
 * Parses data into a JSON array of the objects it holds (*objects, a new
 * reference). Container problems (a bundle without id, an element that is not
 * a JSON object, too many objects) are reported in diags with FH_ERR_INVALID
 * or FH_ERR_LIMIT; JSON syntax errors give FH_ERR_PARSE with the line and
 * column in diags. The objects themselves are not validated here.
 */
fh_err fh_stix_parse(const char *data, size_t len, const fh_stix_limits *limits,
                     json_t **objects /* OUT */, fh_stix_container *kind /* OUT, may be NULL */,
                     fh_stix_diags *diags);

/*
 * fh_stix_parse for trusted-size inputs that a user hands over (indicator
 * files): no object-count limit, the document's own size as byte limit, the
 * default depth. On failure err receives "NAME: " and every diagnostic, one
 * per line. The objects are not validated.
 */
fh_err fh_stix_parse_all(const char *data, size_t len, const char *name, json_t **objects /* OUT */,
                         fh_buf *err);

/* ---- validation --------------------------------------------------------- */

typedef struct fh_stix_validate_opts {
    size_t max_pattern_len;
    bool warn_unknown_properties; /* default true */
} fh_stix_validate_opts;

void fh_stix_validate_opts_init(fh_stix_validate_opts *o);

/*
 * Validates one object against STIX 2.1. Every problem goes to diags.
 * Returns FH_OK when the object has no errors (warnings allowed) and
 * FH_ERR_INVALID otherwise. index is the object's position in its container,
 * used to name objects without a usable id. Thread-safe: no shared state.
 */
fh_err fh_stix_validate_object(const json_t *obj, size_t index, const fh_stix_validate_opts *opts,
                               fh_stix_diags *diags);

/* Validates every object of an array from fh_stix_parse. Returns FH_OK when
 * all are valid. */
fh_err fh_stix_validate_all(const json_t *objects, const fh_stix_validate_opts *opts,
                            fh_stix_diags *diags);

/* ---- identifiers --------------------------------------------------------- */

/* True when s is "<type>--<UUID>" with a valid type name and an RFC 4122
 * UUID. When type is non-NULL the prefix must equal it. */
bool fh_stix_id_valid(const char *s, const char *type);
/* True when s follows the STIX type-name rules (3..250 characters, a-z 0-9
 * and '-', no leading digit... see section 3.1 / 1.2.x). */
bool fh_stix_type_name_valid(const char *s);

/* True for the SCO types STIX 2.1 section 6 defines. */
bool fh_stix_is_sco_type(const char *type);

/*
 * Computes the deterministic id ("ipv4-addr--28bb3599-…") of the SCO obj from
 * its ID Contributing Properties (section 2.9). Returns FH_ERR_NOTFOUND when
 * none is present (the spec then requires a UUIDv4), FH_ERR_UNSUPPORTED for a
 * type that is not a spec SCO, FH_ERR_LIMIT when outsize is too small
 * (type length + 39 is enough).
 */
fh_err fh_stix_sco_id(const json_t *obj, char *out, size_t outsize);

#endif
