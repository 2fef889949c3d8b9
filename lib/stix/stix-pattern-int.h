/*
 * The tree behind fh_pattern, shared by the parser (stix-pattern.c), the
 * printer (stix-pattern-format.c) and the compiler (stix-pattern-compile.c).
 * Nothing outside lib/stix/stix-pattern*.c includes this file.
 *
 * Shape: AND/OR/FOLLOWEDBY nodes are n-ary (a chain of one operator is one
 * node), so the tree is only as deep as the brackets and parentheses of the
 * text, which the parser bounds by FH_PATTERN_MAX_DEPTH. Every recursive
 * walk over the tree is therefore bounded too.
 */
#ifndef FENGHUO_STIX_PATTERN_INT_H
#define FENGHUO_STIX_PATTERN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/pattern.h"
#include "fenghuo/time.h"

typedef enum fh__pconst_kind {
    FH__PC_STRING,
    FH__PC_INT,
    FH__PC_FLOAT,
    FH__PC_BOOL,
    FH__PC_HEX,
    FH__PC_BINARY,
    FH__PC_TIMESTAMP
} fh__pconst_kind;

typedef struct fh__pconst {
    fh__pconst_kind kind;
    size_t column; /* 1-based */
    /* STRING: the decoded text (no NUL inside); HEX: lower-case digits;
     * BINARY: canonical base64 (no line feeds, zero pad bits). */
    char *str;
    size_t str_len;
    int64_t i; /* INT */
    double f;  /* FLOAT */
    bool b;    /* BOOL */
    fh_time t; /* TIMESTAMP */
} fh__pconst;

typedef enum fh__pstep_kind {
    FH__PSTEP_KEY,      /* .name or .'quoted name' */
    FH__PSTEP_INDEX,    /* [n] */
    FH__PSTEP_ANY_INDEX /* [*] */
} fh__pstep_kind;

typedef struct fh__pstep {
    fh__pstep_kind kind;
    char *key;
    int64_t index;
} fh__pstep;

typedef struct fh__ppath {
    char *type;       /* object type, e.g. "network-traffic" */
    fh__pstep *steps; /* steps[0] is the first property (always a KEY) */
    size_t nsteps;
    size_t column;
} fh__ppath;

typedef enum fh__pop {
    FH__POP_EQ,
    FH__POP_NE,
    FH__POP_LT,
    FH__POP_LE,
    FH__POP_GT,
    FH__POP_GE,
    FH__POP_IN,
    FH__POP_LIKE,
    FH__POP_MATCHES,
    FH__POP_ISSUBSET,
    FH__POP_ISSUPERSET,
    FH__POP_EXISTS
} fh__pop;

typedef enum fh__pnode_kind {
    FH__PN_CMP,        /* one comparison */
    FH__PN_CMP_AND,    /* kids: comparison-level nodes */
    FH__PN_CMP_OR,     /* kids: comparison-level nodes */
    FH__PN_OBS,        /* [ ... ]: kids[0] is a comparison-level node */
    FH__PN_OBS_AND,    /* kids: observation-level nodes */
    FH__PN_OBS_OR,     /* kids: observation-level nodes */
    FH__PN_FOLLOWEDBY, /* kids: observation-level nodes, in time order */
    FH__PN_QUALIFIED   /* kids[0] with quals[0..nquals) applied in order */
} fh__pnode_kind;

typedef enum fh__pqual_kind { FH__PQ_WITHIN, FH__PQ_REPEATS, FH__PQ_STARTSTOP } fh__pqual_kind;

typedef struct fh__pqual {
    fh__pqual_kind kind;
    size_t column;
    fh__pconst within; /* WITHIN: an INT or FLOAT constant, > 0 */
    int64_t repeats;   /* REPEATS: >= 1 */
    fh_time start;     /* START/STOP */
    fh_time stop;
} fh__pqual;

typedef struct fh__pnode fh__pnode;
struct fh__pnode {
    fh__pnode_kind kind;
    size_t column;
    /* FH__PN_CMP */
    fh__ppath path;
    fh__pop op;
    bool negated;
    fh__pconst *consts; /* one, or the members of an IN set; none for EXISTS */
    size_t nconsts;
    /* compound nodes */
    fh__pnode **kids;
    size_t nkids;
    size_t kids_cap;
    /* FH__PN_QUALIFIED: at most one of each kind */
    fh__pqual quals[3];
    size_t nquals;
};

struct fh_pattern {
    fh__pnode *root;
};

/* The keyword of an operator: "=", "IN", "ISSUBSET", ... */
const char *fh__pattern_op_name(fh__pop op);

/* True when a and b are the same tree: same shape, operators, paths and
 * constants (floats bit for bit). Columns are not compared. */
bool fh__pattern_equal(const fh_pattern *a, const fh_pattern *b);

/* Appends the normalized text of an object path. */
fh_err fh__pattern_put_path(fh_buf *b, const fh__ppath *path);

/* Parses "a.b.c.d" or "a.b.c.d/n" (IPv4) or an IPv6 address with an
 * optional "/n"; addr receives the address with host bits as given.
 * *prefix is 32/128 when no "/n" is given. Returns false when s is not one.
 * Strict: inet_pton syntax, prefix digits only, no leading zeros. */
bool fh__pattern_parse_ip(const char *s, size_t len, int *family /* OUT: 4 or 6 */,
                          uint8_t addr[16] /* OUT */, unsigned *prefix /* OUT */,
                          bool *has_prefix /* OUT */);

#endif
