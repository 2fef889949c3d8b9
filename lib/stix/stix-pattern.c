/*
 * Placeholder for the STIX patterning language; replaced by the real parser.
 */
#include <string.h>

#include "fenghuo/pattern.h"
#include "fenghuo/stix.h"

struct fh_pattern {
    int unused;
};

fh_err fh_pattern_parse(const char *text, size_t len, size_t max_len, fh_pattern **out,
                        fh_pattern_error *err)
{
    if (max_len == 0)
        max_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
    *out = NULL;
    if (len > max_len)
        return FH_ERR_LIMIT;
    if (len == 0 || text[0] != '[') {
        if (err) {
            err->column = 1;
            snprintf(err->message, sizeof err->message, "expected '['");
        }
        return FH_ERR_PARSE;
    }
    *out = fh_xcalloc(1, sizeof **out);
    return FH_OK;
}

void fh_pattern_free(fh_pattern *p)
{
    free(p);
}
