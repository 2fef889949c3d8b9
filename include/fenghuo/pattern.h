/*
 * The STIX 2.1 patterning language (STIX 2.1 section 9): parsing into a tree,
 * normalized formatting, and compiling into the observables a sensor can
 * match in traffic.
 */
#ifndef FENGHUO_PATTERN_H
#define FENGHUO_PATTERN_H

#include <stddef.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

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
 */
fh_err fh_pattern_parse(const char *text, size_t len, size_t max_len, fh_pattern **out /* OUT */,
                        fh_pattern_error *err);

/* Frees a tree; NULL does nothing. */
void fh_pattern_free(fh_pattern *p);

#endif
