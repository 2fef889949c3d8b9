/*
 * `fenghuo export`: indicators (from a hub collection or files) written in a
 * format a defender's tool loads. See docs/export.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/stix.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: fenghuo export --format F (--hub URL --collection ID | --indicators FILE...)\n"
        "                      [--since TS] [--kind K] [--output FILE]\n"
        "\n"
        "Writes the exact observables of valid STIX indicators (addresses and prefixes,\n"
        "domains, URLs, file hashes) in a format your tools load. Revoked and expired\n"
        "indicators, and parts of patterns that need more than one value, are left out.\n"
        "\n"
        "formats (--format):\n"
        "  plain             one value per line\n"
        "  csv               type,value,indicator,valid_until,confidence,name (RFC 4180)\n"
        "  stix              a STIX 2.1 bundle of the indicators\n"
        "  nft               an nft script: table inet fenghuo_feed, sets feed4 and feed6\n"
        "  ipset             an 'ipset restore' file: sets fenghuo-feed4, fenghuo-feed6\n"
        "  suricata-rules    Suricata 7 rules: addresses, dns.query, tls.sni, http.host, URLs\n"
        "  suricata-dataset  a Suricata dataset of one --kind (default domain: base64 strings;\n"
        "                    ip: addresses; hash: hex digests; url: base64 strings)\n"
        "  zeek-intel        a Zeek Intel framework file\n"
        "  rpz               a DNS response policy zone (names and rpz-ip triggers)\n"
        "\n"
        "sources:\n"
        "  --hub URL --collection ID   a hub collection (token: --token or $FENGHUO_TOKEN)\n"
        "  --since TS          only indicators added after TS (RFC 3339), for deltas\n"
        "  --indicators FILE   STIX files instead (repeatable; '-' is stdin)\n"
        "  --cacert FILE       CA certificates (PEM) for the hub\n"
        "options:\n"
        "  --kind K            only ip, domain, url or hash entries\n"
        "  --sid-base N        first Suricata sid (default 9900000)\n"
        "  --output FILE       write there instead of standard output\n"
        "  -h, --help          show this help\n"
        "\n"
        "exit status: 0 written, 2 usage, I/O or hub error.\n");
}

int fh_cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"hub", required_argument, NULL, 'H'},
                                             {"collection", required_argument, NULL, 'c'},
                                             {"token", required_argument, NULL, 'T'},
                                             {"cacert", required_argument, NULL, 'C'},
                                             {"since", required_argument, NULL, 's'},
                                             {"indicators", required_argument, NULL, 'I'},
                                             {"kind", required_argument, NULL, 'k'},
                                             {"sid-base", required_argument, NULL, 'S'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char **files = fh_xcalloc((size_t)argc + 1, sizeof *files);
    size_t n_files = 0;
    const char *hub = NULL, *collection = NULL, *since = NULL, *output = NULL, *cacert = NULL;
    const char *token = getenv("FENGHUO_TOKEN");
    bool have_format = false, misp = false;
    fh_export_format format = FH_EXPORT_PLAIN;
    fh_export_opts opts = {.kind = FH_KIND_ANY, .now = (int64_t)time(NULL)};
    int status = FH_EXIT_USAGE;
    json_t *objects = json_array();
    fh_taxii_follow *follow = NULL;
    fh_buf out, err;
    fh_buf_init(&out, (size_t)1 << 30);
    fh_buf_init(&err, 1 << 16);
    int64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "misp-feed") == 0) {
                misp = true;
                have_format = true;
                break;
            }
            if (fh_export_format_parse(optarg, &format) != FH_OK) {
                fprintf(stderr, "fenghuo export: unknown format '%s'; see --help\n", optarg);
                goto done;
            }
            have_format = true;
            break;
        case 'H':
            hub = optarg;
            break;
        case 'c':
            collection = optarg;
            break;
        case 'T':
            token = optarg;
            break;
        case 'C':
            cacert = optarg;
            break;
        case 's':
            if (!fh_time_valid(optarg)) {
                fprintf(stderr, "fenghuo export: --since takes an RFC 3339 UTC timestamp, "
                                "e.g. 2026-11-28T00:00:00Z\n");
                goto done;
            }
            since = optarg;
            break;
        case 'I':
            files[n_files++] = optarg;
            break;
        case 'k':
            if (fh_export_kind_parse(optarg, &opts.kind) != FH_OK) {
                fprintf(stderr, "fenghuo export: --kind is ip, domain, url or hash\n");
                goto done;
            }
            break;
        case 'S':
            if (fh_parse_i64(optarg, 1, 4000000000LL, &v) != FH_OK) {
                fprintf(stderr, "fenghuo export: --sid-base takes 1 to 4000000000\n");
                goto done;
            }
            opts.sid_base = (uint32_t)v;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            status = FH_EXIT_OK;
            goto done;
        default:
            usage(stderr);
            goto done;
        }
    }
    if (!have_format || (hub == NULL && n_files == 0) || (hub && n_files) ||
        (hub && (collection == NULL || token == NULL))) {
        fprintf(stderr, "fenghuo export: give --format and either --hub URL --collection ID "
                        "(with a token) or --indicators FILE...; see --help\n");
        goto done;
    }
    for (size_t i = 0; i < n_files; i++) {
        fh_buf data;
        fh_buf_init(&data, (size_t)256 << 20);
        if (fh_buf_read_file(&data, files[i]) != FH_OK) {
            fprintf(stderr, "fenghuo export: %s: cannot read (or larger than 256 MiB)\n", files[i]);
            fh_buf_cleanup(&data);
            goto done;
        }
        json_t *objs = NULL;
        fh_buf_reset(&err);
        if (fh_stix_parse_all(data.data ? data.data : "", data.len, files[i], &objs, &err) !=
            FH_OK) {
            fprintf(stderr, "fenghuo export: %s", err.data);
            fh_buf_cleanup(&data);
            goto done;
        }
        json_array_extend(objects, objs);
        json_decref(objs);
        fh_buf_cleanup(&data);
    }
    if (hub) {
        fh_taxii_client_opts o = {.token = token, .cacert = cacert, .timeout_s = 300};
        const char *colls[] = {collection};
        if (fh_taxii_follow_new(hub, &o, colls, 1, "indicator", 0, &follow) != FH_OK)
            goto done;
        if (since)
            fh_taxii_follow_since(follow, since);
        uint64_t polls, errors;
        fh_taxii_follow_poll(follow);
        fh_taxii_follow_counts(follow, &polls, &errors);
        if (errors) {
            fprintf(stderr, "fenghuo export: the hub did not answer as expected (see above)\n");
            goto done;
        }
        json_t *objs = fh_taxii_follow_objects(follow);
        json_array_extend(objects, objs);
        json_decref(objs);
    }
    if (misp) {
        size_t events = 0;
        if (output == NULL) {
            fprintf(stderr, "fenghuo export: misp-feed writes a folder: give --output DIR\n");
            goto done;
        }
        if (fh_export_misp_feed(objects, opts.now, output, &events, &err) != FH_OK) {
            fprintf(stderr, "fenghuo export: %s\n", err.data);
            goto done;
        }
        fprintf(stderr, "fenghuo export: %zu MISP events written to %s\n", events, output);
        status = FH_EXIT_OK;
        goto done;
    }
    fh_export_stats st;
    fh_export_write(format, objects, &opts, &out, &st);
    FILE *f = output ? fopen(output, "w") : stdout;
    if (f == NULL) {
        fprintf(stderr, "fenghuo export: %s: %s\n", output, strerror(errno));
        goto done;
    }
    bool ok = fwrite(out.data ? out.data : "", 1, out.len, f) == out.len;
    ok = (output ? fclose(f) : fflush(f)) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "fenghuo export: write failed: %s\n", strerror(errno));
        goto done;
    }
    fprintf(stderr,
            "fenghuo export: %zu indicators, %zu entries written as %s, %zu with nothing "
            "this format holds\n",
            st.indicators, st.entries, fh_export_format_name(format), st.skipped);
    status = FH_EXIT_OK;
done:
    fh_taxii_follow_free(follow);
    json_decref(objects);
    fh_buf_cleanup(&out);
    fh_buf_cleanup(&err);
    free(files);
    return status;
}
