/*
 * fenghuo core utilities: allocation policy, bounded growable buffers,
 * logging, and small string helpers.
 *
 * Allocation policy: fh_xmalloc and friends abort the process when memory is
 * exhausted, so their results are never checked. Sizes that come from input
 * must pass a limit check before they reach an allocator.
 */
#ifndef FENGHUO_UTIL_H
#define FENGHUO_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

#define FH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define FH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define FH_NORETURN          __attribute__((noreturn))
#else
#define FH_PRINTF(fmt, args)
#define FH_NORETURN
#endif

/* ---- allocation ------------------------------------------------------- */

/* Never return NULL: abort with a message when memory is exhausted.
 * fh_xmalloc(0) returns a unique pointer that must be freed. */
void *fh_xmalloc(size_t n);
void *fh_xcalloc(size_t count, size_t size);
void *fh_xrealloc(void *p, size_t n);
/* Copies s (NULL gives NULL). */
char *fh_xstrdup(const char *s);
/* Copies the first n bytes of s and terminates the copy. */
char *fh_xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees. */
char *fh_xasprintf(const char *fmt, ...) FH_PRINTF(1, 2);

/* Prints "fenghuo: fatal: ..." and exits with status 2. Start-up only. */
FH_NORETURN void fh_fatal(const char *fmt, ...) FH_PRINTF(1, 2);

/* ---- bounded growable buffer ------------------------------------------- */

/*
 * A byte buffer that grows on demand up to a hard maximum. The contents are
 * always NUL-terminated (the terminator is not counted in len) so text can be
 * used directly. Appending past max fails with FH_ERR_LIMIT and leaves the
 * buffer unchanged. The caller owns the struct; fh_buf_cleanup frees data.
 */
typedef struct fh_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* hard maximum of len */
} fh_buf;

#define FH_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void fh_buf_init(fh_buf *b, size_t max);
void fh_buf_cleanup(fh_buf *b);
void fh_buf_reset(fh_buf *b);
fh_err fh_buf_append(fh_buf *b, const void *data, size_t n);
fh_err fh_buf_append_str(fh_buf *b, const char *s);
fh_err fh_buf_append_char(fh_buf *b, char c);
fh_err fh_buf_appendf(fh_buf *b, const char *fmt, ...) FH_PRINTF(2, 3);
fh_err fh_buf_vappendf(fh_buf *b, const char *fmt, va_list ap) FH_PRINTF(2, 0);
/* Appends s as a JSON string literal, quotes included. */
fh_err fh_buf_append_json_string(fh_buf *b, const char *s, size_t n);
/* Hands the data to the caller (who frees it) and resets the buffer. Never
 * NULL: an empty buffer gives an empty string. */
char *fh_buf_steal(fh_buf *b);

/* Reads a whole file ("-" is standard input) into b, failing with
 * FH_ERR_LIMIT when it is larger than b->max and FH_ERR_IO otherwise. */
fh_err fh_buf_read_file(fh_buf *b, const char *path);

/* ---- logging ------------------------------------------------------------ */

typedef enum fh_log_level {
    FH_LOG_DEBUG = 0,
    FH_LOG_INFO,
    FH_LOG_WARN,
    FH_LOG_ERROR,
    FH_LOG_OFF
} fh_log_level;

typedef enum fh_log_format {
    FH_LOG_TEXT, /* "2026-11-28T10:00:00.123Z warn hub: message" for a terminal */
    FH_LOG_JSON  /* one JSON object per line, for services */
} fh_log_format;

/* Global logging configuration; set once at start-up, before threads. */
void fh_log_set_level(fh_log_level level);
void fh_log_set_format(fh_log_format format);
fh_log_level fh_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off". */
fh_err fh_log_level_parse(const char *s, fh_log_level *level /* OUT */);

/* Writes one line to stderr; thread-safe (one write per line). The message is
 * truncated at 4 KiB. Never log secrets: tokens, keys, passwords. */
void fh_log(fh_log_level level, const char *component, const char *fmt, ...) FH_PRINTF(3, 4);

#define fh_debug(comp, ...) fh_log(FH_LOG_DEBUG, comp, __VA_ARGS__)
#define fh_info(comp, ...)  fh_log(FH_LOG_INFO, comp, __VA_ARGS__)
#define fh_warn(comp, ...)  fh_log(FH_LOG_WARN, comp, __VA_ARGS__)
#define fh_error(comp, ...) fh_log(FH_LOG_ERROR, comp, __VA_ARGS__)

/* ---- parsing helpers ---------------------------------------------------- */

/* Parses a whole decimal integer in [min, max]; no trailing characters. */
fh_err fh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out /* OUT */);
/* Parses a size with an optional K, M or G suffix (powers of 1024). */
fh_err fh_parse_size(const char *s, size_t max, size_t *out /* OUT */);

/* Compares two byte strings in time independent of where they differ.
 * Returns true when equal. Lengths are not secret. */
bool fh_consttime_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
