/*
 * The STIX 2.1 patterning language (STIX 2.1 section 9): parsing into a tree,
 * normalized formatting, and compiling into the observables a sensor can
 * match in traffic.
 *
 * This header is the whole interface; the tree itself is opaque. It does not
 * evaluate patterns against observed-data objects: fenghuo matches traffic,
 * and only the parts of a pattern that name addresses, domain names, URLs,
 * file hashes and ports can be matched there (see docs/PATTERNS.md).
 */
#ifndef FENGHUO_PATTERN_H
#define FENGHUO_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"
#include "fenghuo/time.h"
#include "fenghuo/util.h"

/* Deepest nesting of brackets and parentheses a pattern may have. The parser
 * recurses once per level, so this also bounds its stack use. */
#define FH_PATTERN_MAX_DEPTH 64

typedef struct fh_pattern fh_pattern;

typedef struct fh_pattern_error {
    size_t column;     /* 1-based column (byte offset + 1) of the problem */
    char message[256]; /* what was expected, e.g. "expected ']' or AND/OR" */
} fh_pattern_error;

/*
 * Parses len bytes of text as a STIX pattern. Fails with FH_ERR_LIMIT when
 * len > max_len (0 means FH_STIX_DEFAULT_MAX_PATTERN_LEN), FH_ERR_PARSE on a
 * syntax error (err filled, may be NULL). On success *out is a new tree the
 * caller frees with fh_pattern_free. Thread-safe.
 *
 * Also FH_ERR_LIMIT (err filled) when brackets and parentheses nest deeper
 * than FH_PATTERN_MAX_DEPTH. Besides the grammar, the parser checks the
 * rules of section 9 that need no SCO schema: constants (escapes, hex,
 * base64, timestamps, integer range), operand kinds per operator, IN sets of
 * one kind, positive REPEATS/WITHIN, one qualifier of each kind per
 * expression, STIX type names, and that AND inside brackets joins
 * comparisons that one object type can satisfy. text need not be
 * NUL-terminated; a NUL byte in it is an error.
 */
fh_err fh_pattern_parse(const char *text, size_t len, size_t max_len, fh_pattern **out /* OUT */,
                        fh_pattern_error *err);

/* Frees a tree; NULL does nothing. */
void fh_pattern_free(fh_pattern *p);

/*
 * Appends the normalized text of p to out: single spaces around operators
 * and keywords, upper-case keywords, no redundant parentheses, constants in
 * canonical form (strings re-escaped, integers in decimal, floats in their
 * shortest round-trip form, hex in lower case, base64 without line feeds,
 * timestamps as fh_time_format prints them), path keys quoted only when
 * they must be. Parsing the output gives a tree that formats identically.
 * Fails only with FH_ERR_LIMIT when out reaches its maximum.
 */
fh_err fh_pattern_format(const fh_pattern *p, fh_buf *out);

/* ---- compiling for a sensor ------------------------------------------------ */

typedef enum fh_pattern_obs_kind {
    FH_PATTERN_OBS_IPV4,          /* addr[0..3] and prefix (0..32) */
    FH_PATTERN_OBS_IPV6,          /* addr[0..15] and prefix (0..128) */
    FH_PATTERN_OBS_DOMAIN,        /* value is a lower-case domain name */
    FH_PATTERN_OBS_DOMAIN_SUFFIX, /* any name ending in "." + value (LIKE '%.example.com') */
    FH_PATTERN_OBS_URL,           /* value is the URL, scheme and host in lower case */
    FH_PATTERN_OBS_HASH,          /* hash_alg and value (lower-case hex digest) */
    FH_PATTERN_OBS_PORT           /* port, side, protocol */
} fh_pattern_obs_kind;

typedef enum fh_pattern_side {
    FH_PATTERN_SIDE_ANY = 0, /* either end of a connection (ipv4-addr:value ...) */
    FH_PATTERN_SIDE_SRC,     /* network-traffic:src_ref / src_port */
    FH_PATTERN_SIDE_DST      /* network-traffic:dst_ref / dst_port */
} fh_pattern_side;

typedef enum fh_pattern_hash_alg {
    FH_PATTERN_HASH_MD5,
    FH_PATTERN_HASH_SHA1,
    FH_PATTERN_HASH_SHA256,
    FH_PATTERN_HASH_SHA512,
    FH_PATTERN_HASH_SHA3_256,
    FH_PATTERN_HASH_SHA3_512
} fh_pattern_hash_alg;

/*
 * One thing a sensor can look for. exact means that seeing it once is enough
 * for the whole pattern to match (within the time window, when has_window);
 * a partial observable is only one part of what the pattern asks for (it is
 * joined by AND to other conditions, or the pattern needs several
 * observations: AND or FOLLOWEDBY between brackets, REPEATS n > 1). An
 * address and a port of one network-traffic object, joined by AND, make one
 * observable: the address with has_port set.
 */
typedef struct fh_pattern_observable {
    fh_pattern_obs_kind kind;
    bool exact;
    char *value;          /* normalized text: "198.51.100.0/24", "example.com", "443" */
    size_t column;        /* 1-based column of the comparison in the pattern */
    fh_pattern_side side; /* addresses, domains and ports reached via network-traffic */
    uint8_t addr[16];     /* IPv4 uses the first 4 bytes; host bits are zero */
    unsigned prefix;
    fh_pattern_hash_alg hash_alg;
    uint16_t port;     /* PORT; and addresses/domains when has_port */
    char protocol[16]; /* "tcp", "udp", "sctp" when the pattern says; "" for any */
    /* An address or domain of a network-traffic object whose AND also names
     * a port: the flow must use port (on port_side) as well. */
    bool has_port;
    fh_pattern_side port_side;
    bool has_window; /* START/STOP: only observations in [start, stop) count */
    fh_time start;
    fh_time stop;
} fh_pattern_observable;

/* A remark about one comparison: why it cannot be matched in traffic
 * ("not matchable in traffic: ..."), or how a value was adjusted. */
typedef struct fh_pattern_note {
    size_t column;    /* 1-based column of the comparison */
    bool unmatchable; /* true: a reason the comparison is not matchable */
    char *text;
} fh_pattern_note;

/* The result of fh_pattern_compile; the caller owns it. */
typedef struct fh_pattern_observables {
    fh_pattern_observable *items;
    size_t count;
    size_t cap;
    fh_pattern_note *notes;
    size_t note_count;
    size_t note_cap;
} fh_pattern_observables;

void fh_pattern_observables_init(fh_pattern_observables *o);
/* Frees everything the list holds and leaves it empty; NULL does nothing. */
void fh_pattern_observables_cleanup(fh_pattern_observables *o);

/*
 * Appends to out every observable of p that a sensor can match in traffic:
 * IPv4/IPv6 addresses and CIDRs, domain names, URLs, file hashes and ports,
 * one item per constant (IN lists expand). Comparisons that cannot be
 * matched are reported as notes, never as errors: a valid pattern always
 * compiles, possibly to nothing. Identical observables (also ones out held
 * before the call) are listed once, at their first place.
 * Returns FH_OK; out must have been initialized. Thread-safe.
 */
fh_err fh_pattern_compile(const fh_pattern *p, fh_pattern_observables *out /* OUT */);

/* "ipv4", "ipv6", "domain", "domain-suffix", "url", "hash", "port". */
/* Parses text and compiles it into out (initialized by the caller), freeing
 * the tree: what a reader of indicators needs in one call. Returns what
 * fh_pattern_parse returns; err (may be NULL) as there. */
fh_err fh_pattern_compile_text(const char *text, fh_pattern_observables *out,
                               fh_pattern_error *err);

const char *fh_pattern_obs_kind_name(fh_pattern_obs_kind kind);
/* "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512". */
const char *fh_pattern_hash_alg_name(fh_pattern_hash_alg alg);
/* "any", "src", "dst". */
const char *fh_pattern_side_name(fh_pattern_side side);

#endif
