/*
 * Fuzz target: the STIX pattern parser, printer and compiler on any bytes.
 * Whatever parses must format, the formatted text must parse again and
 * give the same tree (so the printer put every needed parenthesis), and the
 * tree must compile; a broken promise abort()s so libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/pattern.h"
#include "stix/stix-pattern-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fh_pattern *p = NULL, *again = NULL;
    fh_pattern_error err;
    if (fh_pattern_parse((const char *)data, size, 1 << 16, &p, &err) != FH_OK) {
        if (err.column == 0 || err.column > size + 1 || err.message[0] == '\0') {
            fprintf(stderr, "error without a usable column or message\n");
            abort();
        }
        return 0;
    }
    fh_buf first, second;
    fh_buf_init(&first, 0);
    fh_buf_init(&second, 0);
    if (fh_pattern_format(p, &first) != FH_OK)
        abort();
    /* The normalized text may be longer than the input; give it room. */
    if (fh_pattern_parse(first.data, first.len, first.len + 1, &again, &err) != FH_OK) {
        fprintf(stderr, "formatted pattern does not parse: column %zu: %s\n%s\n", err.column,
                err.message, first.data);
        abort();
    }
    if (!fh__pattern_equal(p, again)) {
        fprintf(stderr, "formatted pattern parses to another tree:\n%s\n", first.data);
        abort();
    }
    if (fh_pattern_format(again, &second) != FH_OK || strcmp(first.data, second.data) != 0) {
        fprintf(stderr, "format is not stable:\n%s\n%s\n", first.data, second.data);
        abort();
    }
    fh_pattern_observables obs;
    fh_pattern_observables_init(&obs);
    if (fh_pattern_compile(p, &obs) != FH_OK)
        abort();
    for (size_t i = 0; i < obs.count; i++)
        if (obs.items[i].value == NULL || obs.items[i].column == 0)
            abort();
    fh_pattern_observables_cleanup(&obs);
    fh_pattern_free(again);
    fh_pattern_free(p);
    fh_buf_cleanup(&first);
    fh_buf_cleanup(&second);
    return 0;
}
