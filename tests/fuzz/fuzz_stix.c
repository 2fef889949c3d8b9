/*
 * Fuzz target: the STIX container parser and the validator, on any bytes.
 * Every input must come back with a result and no sanitizer report.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fenghuo/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fh_stix_limits lim;
    fh_stix_limits_init(&lim);
    lim.max_bytes = 1 << 20;
    lim.max_objects = 1000;
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    fh_stix_diags diags;
    fh_stix_diags_init(&diags);
    json_t *objects = NULL;
    if (fh_stix_parse((const char *)data, size, &lim, &objects, NULL, &diags) == FH_OK) {
        fh_stix_validate_all(objects, &opts, &diags);
        fh_buf line;
        fh_buf_init(&line, 0);
        for (size_t i = 0; i < diags.count; i++)
            fh_stix_diag_format(&diags.items[i], &line);
        fh_buf_cleanup(&line);
        json_decref(objects);
    }
    fh_stix_diags_cleanup(&diags);
    return 0;
}
