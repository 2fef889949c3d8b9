/*
 * Helpers shared by the STIX validator's unit tests (test-stix-validate*.c):
 * validate a JSON text or a modified base object and look for a diagnostic
 * by severity, path and a fragment of its message.
 */
#ifndef FENGHUO_TEST_STIX_VALIDATE_H
#define FENGHUO_TEST_STIX_VALIDATE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/stix.h"

/* Test JSON is written with ' for " to keep it readable in C; a literal
 * single quote inside a JSON string is written \\u0027. */
static inline json_t *tv_loads(const char *text, size_t flags)
{
    json_error_t err;
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        copy[i] = text[i] == '\'' ? '"' : text[i];
    json_t *o = json_loads(copy, flags, &err);
    free(copy);
    if (o == NULL)
        fail_msg("test JSON does not parse: %s (line %d): %s", err.text, err.line, text);
    return o;
}

static inline json_t *tv_load(const char *text)
{
    return tv_loads(text, JSON_REJECT_DUPLICATES);
}

/* Validates obj with default options into d (initialized here). */
static inline fh_err tv_validate_obj(const json_t *obj, fh_stix_diags *d)
{
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    fh_stix_diags_init(d);
    return fh_stix_validate_object(obj, 0, &opts, d);
}

static inline fh_err tv_validate(const char *text, fh_stix_diags *d)
{
    json_t *o = tv_load(text);
    fh_err rc = tv_validate_obj(o, d);
    json_decref(o);
    return rc;
}

/* Prints every diagnostic: shown by cmocka when an assertion fails. */
static inline void tv_dump(const fh_stix_diags *d)
{
    for (size_t i = 0; i < d->count; i++)
        print_message("  %s: %s: %s%s\n", d->items[i].object_id, d->items[i].path,
                      d->items[i].message,
                      d->items[i].severity == FH_DIAG_WARNING ? " (warning)" : "");
}

/* True when d holds a diagnostic of severity sev at exactly path whose
 * message contains fragment. */
static inline bool tv_has(const fh_stix_diags *d, fh_diag_severity sev, const char *path,
                          const char *fragment)
{
    for (size_t i = 0; i < d->count; i++) {
        const fh_stix_diag *x = &d->items[i];
        if (x->severity == sev && strcmp(x->path, path) == 0 &&
            strstr(x->message, fragment) != NULL)
            return true;
    }
    return false;
}

#define assert_diag(d, sev, path, fragment)                                                        \
    do {                                                                                           \
        if (!tv_has((d), (sev), (path), (fragment))) {                                             \
            tv_dump(d);                                                                            \
            fail_msg("expected %s at %s containing '%s'",                                          \
                     (sev) == FH_DIAG_ERROR ? "error" : "warning", (path), (fragment));            \
        }                                                                                          \
    } while (0)

#define assert_no_errors(d)                                                                        \
    do {                                                                                           \
        if ((d)->errors != 0) {                                                                    \
            tv_dump(d);                                                                            \
            fail_msg("expected no errors, got %zu", (d)->errors);                                  \
        }                                                                                          \
    } while (0)

#define assert_clean(d)                                                                            \
    do {                                                                                           \
        if ((d)->errors != 0 || (d)->warnings != 0) {                                              \
            tv_dump(d);                                                                            \
            fail_msg("expected no diagnostics, got %zu errors, %zu warnings", (d)->errors,         \
                     (d)->warnings);                                                               \
        }                                                                                          \
    } while (0)

/* Validates base with key set to the JSON value `value` (NULL removes the
 * key). Returns the result; d receives the diagnostics. */
static inline fh_err tv_variant(const char *base, const char *key, const char *value,
                                fh_stix_diags *d)
{
    json_t *o = tv_load(base);
    if (value == NULL) {
        json_object_del(o, key);
    } else {
        json_object_set_new(o, key, tv_loads(value, JSON_DECODE_ANY));
    }
    fh_err rc = tv_validate_obj(o, d);
    json_decref(o);
    return rc;
}

#endif
