/*
 * `fenghuo stix pattern`: placeholder until the pattern compiler lands.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/pattern.h"

int fh_cmd_stix_pattern(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: fenghuo stix pattern 'PATTERN'\n");
        return FH_EXIT_OK;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: fenghuo stix pattern 'PATTERN'\n");
        return FH_EXIT_USAGE;
    }
    fh_pattern *p = NULL;
    fh_pattern_error err;
    fh_err rc = fh_pattern_parse(argv[1], strlen(argv[1]), 0, &p, &err);
    if (rc) {
        fprintf(stderr, "column %zu: %s\n", err.column, err.message);
        return FH_EXIT_FAIL;
    }
    fh_pattern_free(p);
    return FH_EXIT_OK;
}
