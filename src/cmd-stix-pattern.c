/*
 * `fenghuo stix pattern`: parses one STIX 2.1 pattern, prints it normalized
 * and lists what a network sensor could match from it (addresses, domain
 * names, URLs, file hashes, ports), or why nothing can be matched.
 *
 * It is the command-line face of include/fenghuo/pattern.h and does no
 * pattern work of its own; it does not evaluate patterns against data.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/pattern.h"
#include "fenghuo/stix.h"

static void pattern_usage(FILE *out)
{
    fprintf(out, "usage: fenghuo stix pattern [OPTIONS] PATTERN\n"
                 "       fenghuo stix pattern [OPTIONS] -        (read the pattern from stdin)\n"
                 "\n"
                 "Parses a STIX 2.1 pattern (STIX 2.1 section 9), prints it in normalized form\n"
                 "and then one line per observable a network sensor can match, e.g.\n"
                 "  ipv4 198.51.100.0/24 (exact)\n"
                 "  domain example.com dst (partial)\n"
                 "  hash SHA-256 aec070645fe5... (exact)\n"
                 "  port 443/tcp dst (exact)\n"
                 "  ipv4 203.0.113.7 dst with dst port 443/tcp (exact)\n"
                 "'exact' means one sighting of it matches the whole pattern; 'partial' means\n"
                 "the pattern also needs something else (AND, FOLLOWEDBY, REPEATS). Parts of\n"
                 "the pattern a sensor cannot see print as\n"
                 "  not matchable in traffic: COMPARISON: REASON (column N)\n"
                 "and adjustments (such as host bits cleared in a CIDR block) as 'note: ...'.\n"
                 "\n"
                 "options:\n"
                 "  --json              print one JSON object instead of lines\n"
                 "  --max-length N      longest pattern accepted in bytes (default 64K;\n"
                 "                      K/M suffixes)\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "Quote the pattern for the shell: fenghuo stix pattern \"[ipv4-addr:value = "
                 "'203.0.113.7']\"\n"
                 "\n"
                 "exit status: 0 the pattern is valid (matchable or not), 1 it is not (the\n"
                 "reason goes to standard error as 'column N: ...'), 2 usage or I/O error.\n");
}

static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_string("(not valid UTF-8)");
}

static void print_observable(const fh_pattern_observable *ob)
{
    printf("%s", fh_pattern_obs_kind_name(ob->kind));
    if (ob->kind == FH_PATTERN_OBS_HASH)
        printf(" %s", fh_pattern_hash_alg_name(ob->hash_alg));
    printf(" %s", ob->value);
    if (ob->kind == FH_PATTERN_OBS_PORT && ob->protocol[0])
        printf("/%s", ob->protocol);
    if (ob->side != FH_PATTERN_SIDE_ANY)
        printf(" %s", fh_pattern_side_name(ob->side));
    if (ob->has_port)
        printf(" with %s port %u%s%s", fh_pattern_side_name(ob->port_side), (unsigned)ob->port,
               ob->protocol[0] ? "/" : "", ob->protocol);
    printf(" (%s", ob->exact ? "exact" : "partial");
    if (ob->has_window) {
        char a[FH_TIME_STRLEN], b[FH_TIME_STRLEN];
        fh_time_format(&ob->start, a, sizeof a);
        fh_time_format(&ob->stop, b, sizeof b);
        printf(", from %s until %s", a, b);
    }
    printf(")\n");
}

static json_t *observable_json(const fh_pattern_observable *ob)
{
    json_t *o = json_pack("{s:s,s:o,s:b,s:s,s:I}", "kind", fh_pattern_obs_kind_name(ob->kind),
                          "value", jstr(ob->value), "exact", ob->exact, "side",
                          fh_pattern_side_name(ob->side), "column", (json_int_t)ob->column);
    if (ob->kind == FH_PATTERN_OBS_IPV4 || ob->kind == FH_PATTERN_OBS_IPV6)
        json_object_set_new(o, "prefix", json_integer(ob->prefix));
    if (ob->kind == FH_PATTERN_OBS_HASH)
        json_object_set_new(o, "algorithm", json_string(fh_pattern_hash_alg_name(ob->hash_alg)));
    if (ob->has_port)
        json_object_set_new(o, "port_side", json_string(fh_pattern_side_name(ob->port_side)));
    if (ob->kind == FH_PATTERN_OBS_PORT || ob->has_port) {
        json_object_set_new(o, "port", json_integer(ob->port));
        if (ob->protocol[0])
            json_object_set_new(o, "protocol", json_string(ob->protocol));
    }
    if (ob->has_window) {
        char a[FH_TIME_STRLEN], b[FH_TIME_STRLEN];
        fh_time_format(&ob->start, a, sizeof a);
        fh_time_format(&ob->stop, b, sizeof b);
        json_object_set_new(o, "start", json_string(a));
        json_object_set_new(o, "stop", json_string(b));
    }
    return o;
}

int fh_cmd_stix_pattern(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"max-length", required_argument, NULL, 'm'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    bool json = false;
    size_t max_len = FH_STIX_DEFAULT_MAX_PATTERN_LEN;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'm':
            if (fh_parse_size(optarg, (size_t)16 << 20, &max_len) != FH_OK || max_len == 0) {
                fprintf(stderr,
                        "fenghuo stix pattern: --max-length takes a size from 1 to 16M, not "
                        "'%s'\n",
                        optarg);
                return FH_EXIT_USAGE;
            }
            break;
        case 'h':
            pattern_usage(stdout);
            return FH_EXIT_OK;
        default:
            pattern_usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "fenghuo stix pattern: %s\n",
                optind >= argc ? "no PATTERN given ('-' reads standard input)"
                               : "give exactly one PATTERN (quote it for the shell)");
        pattern_usage(stderr);
        return FH_EXIT_USAGE;
    }

    int status = FH_EXIT_OK;
    fh_buf text, out;
    fh_buf_init(&text, max_len);
    fh_buf_init(&out, 0);
    fh_pattern *p = NULL;
    fh_pattern_observables obs;
    fh_pattern_observables_init(&obs);
    fh_pattern_error err;
    const char *arg = argv[optind];
    fh_err rc;
    if (strcmp(arg, "-") == 0) {
        rc = fh_buf_read_file(&text, "-");
        if (rc == FH_ERR_LIMIT) {
            fprintf(stderr,
                    "fenghuo stix pattern: column %zu: pattern is longer than %zu bytes "
                    "(raise --max-length)\n",
                    max_len + 1, max_len);
            status = FH_EXIT_FAIL;
            goto done;
        }
        if (rc) {
            fprintf(stderr, "fenghuo stix pattern: cannot read standard input: %m\n");
            status = FH_EXIT_USAGE;
            goto done;
        }
        rc = fh_pattern_parse(text.data ? text.data : "", text.len, max_len, &p, &err);
    } else {
        rc = fh_pattern_parse(arg, strlen(arg), max_len, &p, &err);
    }
    if (rc) {
        fprintf(stderr, "fenghuo stix pattern: column %zu: %s\n", err.column, err.message);
        if (json) {
            json_t *j = json_pack("{s:b,s:{s:I,s:o}}", "valid", 0, "error", "column",
                                  (json_int_t)err.column, "message", jstr(err.message));
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(j);
        }
        status = FH_EXIT_FAIL;
        goto done;
    }
    if (fh_pattern_format(p, &out) != FH_OK || fh_pattern_compile(p, &obs) != FH_OK) {
        fprintf(stderr, "fenghuo stix pattern: cannot format the pattern\n");
        status = FH_EXIT_USAGE;
        goto done;
    }

    if (json) {
        json_t *items = json_array(), *notes = json_array();
        for (size_t i = 0; i < obs.count; i++)
            json_array_append_new(items, observable_json(&obs.items[i]));
        for (size_t i = 0; i < obs.note_count; i++)
            json_array_append_new(notes, json_pack("{s:I,s:b,s:o}", "column",
                                                   (json_int_t)obs.notes[i].column, "unmatchable",
                                                   obs.notes[i].unmatchable, "text",
                                                   jstr(obs.notes[i].text)));
        json_t *j = json_pack("{s:b,s:o,s:b,s:o,s:o}", "valid", 1, "pattern", jstr(out.data),
                              "matchable", obs.count > 0, "observables", items, "notes", notes);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
        goto done;
    }
    printf("%s\n", out.data);
    for (size_t i = 0; i < obs.count; i++)
        print_observable(&obs.items[i]);
    for (size_t i = 0; i < obs.note_count; i++)
        printf("%s%s (column %zu)\n",
               obs.notes[i].unmatchable ? "not matchable in traffic: " : "note: ",
               obs.notes[i].text, obs.notes[i].column);
done:
    fh_pattern_observables_cleanup(&obs);
    fh_pattern_free(p);
    fh_buf_cleanup(&out);
    fh_buf_cleanup(&text);
    return status;
}
