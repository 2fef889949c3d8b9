/*
 * JSON input with limits, and canonical output.
 *
 * jansson parses; this file adds what jansson leaves to its users: a size
 * limit checked before parsing, a depth limit checked after (jansson itself
 * stops at 2048 levels, so the walk below is bounded), duplicate-key and NUL
 * rejection, and messages that say where the problem is.
 */
#include <string.h>

#include "fenghuo/json.h"

void fh_json_limits_init(fh_json_limits *l)
{
    l->max_bytes = FH_JSON_DEFAULT_MAX_BYTES;
    l->max_depth = FH_JSON_DEFAULT_MAX_DEPTH;
}

unsigned fh_json_depth(const json_t *v)
{
    /* Recursion depth is bounded by jansson's own parser limit (2048). */
    unsigned max = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *child;
        json_object_foreach((json_t *)v, k, child)
        {
            unsigned d = fh_json_depth(child);
            if (d > max)
                max = d;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            unsigned d = fh_json_depth(child);
            if (d > max)
                max = d;
        }
        return max + 1;
    }
    return 0;
}

fh_err fh_json_load(const char *data, size_t len, const fh_json_limits *limits, json_t **out,
                    fh_buf *err)
{
    fh_json_limits defaults;
    if (limits == NULL) {
        fh_json_limits_init(&defaults);
        limits = &defaults;
    }
    *out = NULL;
    if (len > limits->max_bytes) {
        if (err)
            fh_buf_appendf(err, "document is %zu bytes; the limit is %zu (raise max_bytes)", len,
                           limits->max_bytes);
        return FH_ERR_LIMIT;
    }
    json_error_t jerr;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        if (err) {
            if (json_error_code(&jerr) == json_error_null_character)
                fh_buf_appendf(err,
                               "line %d, column %d: NUL characters are not allowed in JSON "
                               "strings",
                               jerr.line, jerr.column);
            else
                fh_buf_appendf(err, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        }
        return json_error_code(&jerr) == json_error_out_of_memory ? FH_ERR_NOMEM : FH_ERR_PARSE;
    }
    unsigned depth = fh_json_depth(v);
    if (depth > limits->max_depth) {
        if (err)
            fh_buf_appendf(err, "JSON nesting depth is %u; the limit is %u (raise max_depth)",
                           depth, limits->max_depth);
        json_decref(v);
        return FH_ERR_LIMIT;
    }
    *out = v;
    return FH_OK;
}

const char *fh_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
