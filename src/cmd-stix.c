/*
 * `fenghuo stix`: STIX 2.1 tools for analysts and scripts.
 *   fenghuo stix validate [--json] FILE...   check documents against STIX 2.1
 *   fenghuo stix pattern 'PATTERN'           parse a pattern (cmd-stix-pattern.c)
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/json.h"
#include "fenghuo/stix.h"

static void stix_usage(FILE *out)
{
    fprintf(out, "usage: fenghuo stix SUBCOMMAND [ARGS...]\n"
                 "\n"
                 "subcommands:\n"
                 "  validate [--json] FILE...   check STIX 2.1 documents (bundle, TAXII envelope,\n"
                 "                              array of objects, or one object); '-' is stdin\n"
                 "  pattern 'PATTERN'           parse a STIX pattern, print it normalized and\n"
                 "                              what a sensor can match from it\n"
                 "\n"
                 "Run 'fenghuo stix SUBCOMMAND --help' for the options of each.\n");
}

int fh_cmd_stix(int argc, char **argv)
{
    if (argc < 2) {
        stix_usage(stderr);
        return FH_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        stix_usage(stdout);
        return FH_EXIT_OK;
    }
    if (strcmp(sub, "validate") == 0)
        return fh_cmd_stix_validate(argc - 1, argv + 1);
    if (strcmp(sub, "pattern") == 0)
        return fh_cmd_stix_pattern(argc - 1, argv + 1);
    fprintf(stderr, "fenghuo stix: unknown subcommand '%s'; see 'fenghuo stix --help'\n", sub);
    return FH_EXIT_USAGE;
}

/* ---- validate --------------------------------------------------------------- */

static void validate_usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo stix validate [OPTIONS] FILE...\n"
            "\n"
            "Checks every object in each FILE against STIX 2.1 (common properties, each\n"
            "object type's required properties and rules, SCOs, TLP 1.0/2.0 markings,\n"
            "indicator patterns). A FILE holds a STIX bundle, a TAXII 2.1 envelope, a JSON\n"
            "array of objects or a single object; '-' reads standard input.\n"
            "\n"
            "Each problem is printed on one line:\n"
            "  FILE: OBJECT-ID: JSON-PATH: RULE\n"
            "and warnings (custom-looking properties without x_, SHOULD rules) end with\n"
            "'(warning)'. A summary goes to standard error.\n"
            "\n"
            "options:\n"
            "  --json              print one JSON report on stdout instead of lines\n"
            "  --no-warnings       print errors only\n"
            "  --max-bytes N       largest document accepted (default 64M; K/M/G suffixes)\n"
            "  --max-depth N       deepest JSON nesting accepted (default %u)\n"
            "  --max-objects N     most objects in one document (default %u)\n"
            "  --max-pattern N     longest indicator pattern in bytes (default 64K)\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 every object is valid, 1 some object or document is invalid,\n"
            "2 usage or I/O error (e.g. a file cannot be read).\n",
            FH_JSON_DEFAULT_MAX_DEPTH, FH_STIX_DEFAULT_MAX_OBJECTS);
}

struct validate_args {
    bool json;
    bool warnings;
    fh_stix_limits limits;
    fh_stix_validate_opts opts;
};

/* Validates one file; appends its JSON report to reports (when --json) or
 * prints its lines. Returns 0 valid, 1 invalid, 2 unreadable. */
static int validate_file(const char *path, const struct validate_args *a, json_t *reports,
                         size_t *n_objects, size_t *n_errors, size_t *n_warnings)
{
    fh_buf data;
    fh_buf_init(&data, a->limits.max_bytes);
    fh_err rc = fh_buf_read_file(&data, path);
    if (rc == FH_ERR_LIMIT) {
        fprintf(stderr, "fenghuo stix validate: %s: larger than %zu bytes (raise --max-bytes)\n",
                path, a->limits.max_bytes);
        fh_buf_cleanup(&data);
        return FH_EXIT_USAGE;
    }
    if (rc) {
        fprintf(stderr, "fenghuo stix validate: %s: cannot read: %m\n", path);
        fh_buf_cleanup(&data);
        return FH_EXIT_USAGE;
    }
    fh_stix_diags diags;
    fh_stix_diags_init(&diags);
    json_t *objects = NULL;
    fh_stix_container kind = FH_STIX_OBJECT;
    rc = fh_stix_parse(data.data ? data.data : "", data.len, &a->limits, &objects, &kind, &diags);
    size_t count = 0;
    if (rc == FH_OK) {
        count = json_array_size(objects);
        fh_stix_validate_all(objects, &a->opts, &diags);
    }
    *n_objects += count;
    *n_errors += diags.errors;
    *n_warnings += diags.warnings;

    if (a->json) {
        json_t *list = json_array();
        for (size_t i = 0; i < diags.count; i++) {
            const fh_stix_diag *d = &diags.items[i];
            if (d->severity == FH_DIAG_WARNING && !a->warnings)
                continue;
            json_array_append_new(
                list, json_pack("{s:s,s:s,s:s,s:s}", "severity",
                                d->severity == FH_DIAG_ERROR ? "error" : "warning", "id",
                                d->object_id, "path", d->path, "message", d->message));
        }
        json_array_append_new(
            reports, json_pack("{s:s,s:s,s:I,s:b,s:I,s:I,s:I,s:o}", "file", path, "container",
                               fh_stix_container_name(kind), "objects", (json_int_t)count, "valid",
                               diags.errors == 0, "errors", (json_int_t)diags.errors, "warnings",
                               (json_int_t)diags.warnings, "dropped", (json_int_t)diags.dropped,
                               "diagnostics", list));
    } else {
        fh_buf line;
        fh_buf_init(&line, 0);
        for (size_t i = 0; i < diags.count; i++) {
            const fh_stix_diag *d = &diags.items[i];
            if (d->severity == FH_DIAG_WARNING && !a->warnings)
                continue;
            fh_buf_reset(&line);
            fh_stix_diag_format(d, &line);
            printf("%s: %s\n", path, line.data);
        }
        if (diags.dropped)
            printf("%s: (document): $: %zu more diagnostics not shown\n", path, diags.dropped);
        fh_buf_cleanup(&line);
    }
    int status = diags.errors ? FH_EXIT_FAIL : FH_EXIT_OK;
    json_decref(objects);
    fh_stix_diags_cleanup(&diags);
    fh_buf_cleanup(&data);
    return status;
}

static int parse_size_opt(const char *name, const char *v, size_t max, size_t *out)
{
    if (fh_parse_size(v, max, out) != FH_OK || *out == 0) {
        fprintf(stderr, "fenghuo stix validate: %s takes a size from 1 to %zu, not '%s'\n", name,
                max, v);
        return -1;
    }
    return 0;
}

int fh_cmd_stix_validate(int argc, char **argv)
{
    struct validate_args a = {.json = false, .warnings = true};
    fh_stix_limits_init(&a.limits);
    fh_stix_validate_opts_init(&a.opts);
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"no-warnings", no_argument, NULL, 'W'},
                                             {"max-bytes", required_argument, NULL, 'b'},
                                             {"max-depth", required_argument, NULL, 'd'},
                                             {"max-objects", required_argument, NULL, 'o'},
                                             {"max-pattern", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    size_t v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            a.json = true;
            break;
        case 'W':
            a.warnings = false;
            break;
        case 'b':
            if (parse_size_opt("--max-bytes", optarg, (size_t)4 << 30, &a.limits.max_bytes))
                return FH_EXIT_USAGE;
            break;
        case 'd':
            if (parse_size_opt("--max-depth", optarg, 1000, &v))
                return FH_EXIT_USAGE;
            a.limits.max_depth = (unsigned)v;
            break;
        case 'o':
            if (parse_size_opt("--max-objects", optarg, 100000000, &a.limits.max_objects))
                return FH_EXIT_USAGE;
            break;
        case 'p':
            if (parse_size_opt("--max-pattern", optarg, (size_t)16 << 20, &v))
                return FH_EXIT_USAGE;
            a.limits.max_pattern_len = a.opts.max_pattern_len = v;
            break;
        case 'h':
            validate_usage(stdout);
            return FH_EXIT_OK;
        default:
            validate_usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "fenghuo stix validate: no FILE given ('-' reads standard input)\n");
        validate_usage(stderr);
        return FH_EXIT_USAGE;
    }
    int status = FH_EXIT_OK;
    size_t n_objects = 0, n_errors = 0, n_warnings = 0;
    json_t *reports = a.json ? json_array() : NULL;
    for (int i = optind; i < argc; i++) {
        int s = validate_file(argv[i], &a, reports, &n_objects, &n_errors, &n_warnings);
        if (s > status)
            status = s;
    }
    if (a.json) {
        json_t *out = json_pack("{s:b,s:I,s:I,s:I,s:o}", "valid", status == FH_EXIT_OK, "objects",
                                (json_int_t)n_objects, "errors", (json_int_t)n_errors, "warnings",
                                (json_int_t)n_warnings, "files", reports);
        json_dumpf(out, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(out);
    }
    fprintf(stderr, "fenghuo stix validate: %zu object%s, %zu error%s, %zu warning%s\n", n_objects,
            n_objects == 1 ? "" : "s", n_errors, n_errors == 1 ? "" : "s", n_warnings,
            n_warnings == 1 ? "" : "s");
    return status;
}
