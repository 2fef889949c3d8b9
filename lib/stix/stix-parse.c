/*
 * STIX containers and diagnostics: turns a document (bundle, TAXII envelope,
 * array or single object) into a JSON array of objects, within limits, and
 * collects the messages that validation produces.
 *
 * Not for: the rules objects must follow (stix-validate*.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/stix.h"
#include "fenghuo/uuid.h"

/* ---- diagnostics -------------------------------------------------------- */

void fh_stix_diags_init(fh_stix_diags *d)
{
    memset(d, 0, sizeof *d);
    d->max_items = FH_STIX_DEFAULT_MAX_DIAGS;
}

void fh_stix_diags_cleanup(fh_stix_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].object_id);
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

void fh_stix_diags_add(fh_stix_diags *d, fh_diag_severity sev, const char *object_id,
                       const char *path, const char *fmt, ...)
{
    if (sev == FH_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
    if (d->count >= d->max_items) {
        d->dropped++;
        return;
    }
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = fh_xrealloc(d->items, d->cap * sizeof *d->items);
    }
    va_list ap;
    va_start(ap, fmt);
    fh_buf msg;
    fh_buf_init(&msg, 4096);
    /* A message longer than 4 KiB is cut; the limit error leaves it as is. */
    (void)fh_buf_vappendf(&msg, fmt, ap);
    va_end(ap);
    fh_stix_diag *item = &d->items[d->count++];
    item->severity = sev;
    item->object_id = fh_xstrdup(object_id ? object_id : "(document)");
    item->path = fh_xstrdup(path ? path : "$");
    item->message = msg.len ? fh_buf_steal(&msg) : fh_xstrdup(fmt);
    fh_buf_cleanup(&msg);
}

fh_err fh_stix_diag_format(const fh_stix_diag *diag, fh_buf *out)
{
    return fh_buf_appendf(out, "%s: %s: %s%s", diag->object_id, diag->path, diag->message,
                          diag->severity == FH_DIAG_WARNING ? " (warning)" : "");
}

/* ---- limits ------------------------------------------------------------- */

void fh_stix_limits_init(fh_stix_limits *l)
{
    l->max_bytes = FH_JSON_DEFAULT_MAX_BYTES;
    l->max_depth = FH_JSON_DEFAULT_MAX_DEPTH;
    l->max_objects = FH_STIX_DEFAULT_MAX_OBJECTS;
    l->max_pattern_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
}

const char *fh_stix_container_name(fh_stix_container c)
{
    switch (c) {
    case FH_STIX_BUNDLE:
        return "bundle";
    case FH_STIX_ENVELOPE:
        return "envelope";
    case FH_STIX_ARRAY:
        return "array";
    case FH_STIX_OBJECT:
        return "object";
    }
    return "unknown";
}

/* ---- identifiers ---------------------------------------------------------- */

bool fh_stix_type_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool fh_stix_id_valid(const char *s, const char *type)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n < 36 + 2 + 3)
        return false;
    const char *uuid = s + n - 36;
    if (uuid[-1] != '-' || uuid[-2] != '-')
        return false;
    size_t tlen = n - 38;
    if (tlen > 250)
        return false;
    char tname[251];
    memcpy(tname, s, tlen);
    tname[tlen] = '\0';
    if (!fh_stix_type_name_valid(tname))
        return false;
    if (type && strcmp(tname, type) != 0)
        return false;
    fh_uuid u;
    if (fh_uuid_parse(uuid, 36, &u) != FH_OK || !fh_uuid_is_rfc4122(&u))
        return false;
    /* STIX identifiers are written in lower case (section 2.9). */
    for (size_t i = 0; i < 36; i++)
        if (uuid[i] >= 'A' && uuid[i] <= 'F')
            return false;
    return true;
}

/* ---- containers ------------------------------------------------------------ */

/* Checks that every element of arr is a JSON object and that there are not
 * too many; reports each problem. */
static fh_err check_elements(const json_t *arr, const fh_stix_limits *lim, const char *where,
                             fh_stix_diags *diags)
{
    size_t n = json_array_size(arr);
    if (n > lim->max_objects) {
        fh_stix_diags_add(diags, FH_DIAG_ERROR, NULL, where,
                          "%zu objects; the limit is %zu (raise max_objects)", n, lim->max_objects);
        return FH_ERR_LIMIT;
    }
    fh_err rc = FH_OK;
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        if (!json_is_object(el)) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, NULL, NULL, "%s[%zu]: must be a JSON object",
                              where, i);
            rc = FH_ERR_INVALID;
        }
    }
    return rc;
}

fh_err fh_stix_parse(const char *data, size_t len, const fh_stix_limits *limits, json_t **objects,
                     fh_stix_container *kind, fh_stix_diags *diags)
{
    fh_stix_limits defaults;
    if (limits == NULL) {
        fh_stix_limits_init(&defaults);
        limits = &defaults;
    }
    *objects = NULL;
    fh_json_limits jl = {.max_bytes = limits->max_bytes, .max_depth = limits->max_depth};
    fh_buf err;
    fh_buf_init(&err, 1024);
    json_t *doc = NULL;
    fh_err rc = fh_json_load(data, len, &jl, &doc, &err);
    if (rc) {
        fh_stix_diags_add(diags, FH_DIAG_ERROR, NULL, NULL, "%s",
                          err.len ? err.data : fh_strerror(rc));
        fh_buf_cleanup(&err);
        return rc;
    }
    fh_buf_cleanup(&err);

    /* jansson accepts only an array or an object at the top level (no
     * JSON_DECODE_ANY), so a scalar document failed to parse above. */
    fh_stix_container k;
    json_t *arr = NULL;
    if (json_is_array(doc)) {
        k = FH_STIX_ARRAY;
        rc = check_elements(doc, limits, "$", diags);
        arr = json_incref(doc);
    } else if (json_is_string(json_object_get(doc, "type")) &&
               strcmp(fh_json_str(doc, "type"), "bundle") == 0) {
        k = FH_STIX_BUNDLE;
        const char *id = fh_json_str(doc, "id");
        const char *name = id ? id : "bundle";
        if (!fh_stix_id_valid(id, "bundle")) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, name, "$.id",
                              "a bundle must have an id of the form bundle--<UUID>");
            rc = FH_ERR_INVALID;
        }
        if (json_object_get(doc, "spec_version"))
            fh_stix_diags_add(diags, FH_DIAG_WARNING, name, "$.spec_version",
                              "bundles have no spec_version in STIX 2.1 (it was STIX 2.0's)");
        json_t *objs = json_object_get(doc, "objects");
        if (objs && !json_is_array(objs)) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, name, "$.objects", "must be an array");
            rc = FH_ERR_INVALID;
        } else if (objs) {
            if (json_array_size(objs) == 0) {
                fh_stix_diags_add(diags, FH_DIAG_ERROR, name, "$.objects",
                                  "must not be empty when present");
                rc = FH_ERR_INVALID;
            }
            fh_err erc = check_elements(objs, limits, "$.objects", diags);
            if (erc)
                rc = erc;
        }
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v)
        {
            if (strcmp(key, "type") && strcmp(key, "id") && strcmp(key, "objects") &&
                strcmp(key, "spec_version") && strncmp(key, "x_", 2))
                fh_stix_diags_add(diags, FH_DIAG_WARNING, name, "$", "unknown bundle property '%s'",
                                  key);
        }
        arr = objs ? json_incref(objs) : json_array();
    } else if (json_object_get(doc, "type") == NULL &&
               (json_object_get(doc, "objects") || json_object_get(doc, "more") ||
                json_object_size(doc) == 0)) {
        /* TAXII 2.1 section 3.7: {"more": bool, "next": string, "objects": [...]},
         * every property optional (an empty envelope is {}). */
        k = FH_STIX_ENVELOPE;
        json_t *objs = json_object_get(doc, "objects");
        json_t *more = json_object_get(doc, "more");
        json_t *next = json_object_get(doc, "next");
        if (more && !json_is_boolean(more)) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, "envelope", "$.more", "must be a boolean");
            rc = FH_ERR_INVALID;
        }
        if (next && !json_is_string(next)) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, "envelope", "$.next", "must be a string");
            rc = FH_ERR_INVALID;
        }
        if (objs && !json_is_array(objs)) {
            fh_stix_diags_add(diags, FH_DIAG_ERROR, "envelope", "$.objects", "must be an array");
            rc = FH_ERR_INVALID;
        } else if (objs) {
            fh_err erc = check_elements(objs, limits, "$.objects", diags);
            if (erc)
                rc = erc;
        }
        arr = objs && json_is_array(objs) ? json_incref(objs) : json_array();
    } else {
        k = FH_STIX_OBJECT;
        arr = json_array();
        json_array_append(arr, doc);
    }
    if (kind)
        *kind = k;
    if (rc == FH_OK)
        *objects = arr;
    else
        json_decref(arr);
    json_decref(doc);
    return rc;
}

fh_err fh_stix_parse_all(const char *data, size_t len, const char *name, json_t **objects,
                         fh_buf *err)
{
    fh_stix_limits lim;
    fh_stix_limits_init(&lim);
    lim.max_bytes = len + 1;
    lim.max_objects = SIZE_MAX;
    fh_stix_diags diags;
    fh_stix_diags_init(&diags);
    fh_err rc = fh_stix_parse(data, len, &lim, objects, NULL, &diags);
    for (size_t i = 0; rc && i < diags.count; i++) {
        fh_buf_appendf(err, "%s: ", name);
        fh_stix_diag_format(&diags.items[i], err);
        fh_buf_append_char(err, '\n');
    }
    fh_stix_diags_cleanup(&diags);
    return rc;
}
