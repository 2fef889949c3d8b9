/*
 * Configuration files: a small INI dialect, read whole and kept with line
 * numbers so every complaint can say FILE:LINE.
 *
 *   # comment              (also after a value: "pps = 5000  # busy")
 *   key = value            keys before any section belong to section ""
 *   [group web-servers]    a section: a type word and an optional name
 *
 * A section header is also kept as an entry with an empty key, so callers
 * see sections that hold nothing. Keys are [a-z0-9_]+; values run to the end of the line (or a "
 * #"), trimmed. Limits: 1 MiB per file, 4096 bytes per line, 10,000 entries. Meaning is the
 * caller's: this reader knows no key.
 */
#ifndef FENGHUO_CONFIG_H
#define FENGHUO_CONFIG_H

#include <stddef.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

#define FH_CONFIG_MAX_BYTES   ((size_t)1 << 20)
#define FH_CONFIG_MAX_LINE    4096
#define FH_CONFIG_MAX_ENTRIES 10000

typedef struct fh_config_entry {
    const char *section; /* "" before the first section header, else e.g. "group web" */
    const char *key;
    const char *value;
    unsigned line;
} fh_config_entry;

typedef struct fh_config {
    char *file; /* the path, for messages */
    fh_config_entry *entries;
    size_t count;
    char *text; /* owns the strings the entries point to */
} fh_config;

/*
 * Reads and parses path. On failure err receives "FILE:LINE: what is wrong"
 * and the config is empty. Returns FH_OK, FH_ERR_IO, FH_ERR_LIMIT or
 * FH_ERR_PARSE. The caller frees with fh_config_cleanup (also after failure).
 */
fh_err fh_config_load(fh_config *c, const char *path, fh_buf *err);
/* Parses text (len bytes) as if read from a file named name. */
fh_err fh_config_parse(fh_config *c, const char *name, const char *text, size_t len, fh_buf *err);
void fh_config_cleanup(fh_config *c);

#endif
