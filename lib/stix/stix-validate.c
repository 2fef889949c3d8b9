/*
 * Placeholder for STIX 2.1 validation; replaced by the rules of the spec.
 */
#include <string.h>

#include "fenghuo/stix.h"

void fh_stix_validate_opts_init(fh_stix_validate_opts *o)
{
    o->max_pattern_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
    o->warn_unknown_properties = true;
}

fh_err fh_stix_validate_object(const json_t *obj, size_t index, const fh_stix_validate_opts *opts,
                               fh_stix_diags *diags)
{
    const char *type = json_string_value(json_object_get(obj, "type"));
    const char *id = json_string_value(json_object_get(obj, "id"));
    if (type == NULL || !fh_stix_id_valid(id, type)) {
        fh_stix_diags_add(diags, FH_DIAG_ERROR, id, "$.id", "must be <type>--<UUID>");
        return FH_ERR_INVALID;
    }
    return FH_OK;
}

fh_err fh_stix_validate_all(const json_t *objects, const fh_stix_validate_opts *opts,
                            fh_stix_diags *diags)
{
    fh_err rc = FH_OK;
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        if (fh_stix_validate_object(obj, i, opts, diags) != FH_OK)
            rc = FH_ERR_INVALID;
    }
    return rc;
}
