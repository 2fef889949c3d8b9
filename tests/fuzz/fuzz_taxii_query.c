/*
 * Fuzz target: what the hub parses from a request before touching the store.
 * The input is split at '&' into parameters and at the first '=' into key
 * and value (as the HTTP server hands them over, already decoded); they go
 * through the filter parser, the filter digest and the cursor decoder (the
 * "next" value). The whole input, as text, also goes through the Accept,
 * Content-Type and Authorization parsers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fh_xstrndup((const char *)data, size); /* stops at a NUL, as C strings do */
    size_t len = strlen(text);

    char *copy = fh_xstrdup(text);
    fh_taxii_param params[64];
    size_t n = 0;
    char *p = copy;
    while (p && n < 64) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        params[n].key = p;
        params[n].value = eq ? eq + 1 : "";
        n++;
        p = amp ? amp + 1 : NULL;
    }
    fh_taxii_filter f;
    fh_taxii_filter_init(&f);
    fh_buf err;
    fh_buf_init(&err, 4096);
    unsigned all = FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT | FH_TAXII_F_ID |
                   FH_TAXII_F_TYPE | FH_TAXII_F_VERSION | FH_TAXII_F_SPEC_VERSION;
    if (fh_taxii_filter_parse(params, n, all, &f, &err) == FH_OK) {
        uint8_t digest[16];
        fh_taxii_filter_digest(&f, "objects", "c", NULL, digest);
        static const uint8_t key[32] = {1};
        int64_t pos;
        if (f.next)
            fh_taxii_cursor_decode(key, f.next, digest, &pos);
        char cursor[FH_TAXII_CURSOR_STRLEN];
        fh_taxii_cursor_encode(key, f.added_after_us, digest, cursor);
        if (fh_taxii_cursor_decode(key, cursor, digest, &pos) != FH_OK || pos != f.added_after_us)
            abort(); /* a cursor we made must decode to what we put in */
    }
    fh_taxii_filter_cleanup(&f);
    fh_buf_cleanup(&err);

    fh_taxii_accept_ok(text);
    fh_taxii_content_type_ok(text);
    char token[256];
    fh_taxii_auth_token(text, token, sizeof token);
    (void)len;
    free(copy);
    free(text);
    return 0;
}
