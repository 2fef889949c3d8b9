/*
 * `fenghuo import`: plain lists, CSV files, MISP feeds or STIX files become
 * STIX 2.1 indicators with the TLP you give, written as a bundle or
 * submitted to a hub collection. See docs/import.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/json.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/stix.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"

#define POST_BATCH 1000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo import --format plain|csv|misp-feed|stix --tlp TLP INPUT...\n"
            "                      [--hub URL --collection ID | --output FILE]\n"
            "\n"
            "Turns each value into a STIX 2.1 indicator (an IP address or prefix, a URL, a\n"
            "hex digest of MD5/SHA-1/SHA-256/SHA-512, or a domain name; anything else is\n"
            "reported with its line and left out), marked with the TLP you give, and writes a\n"
            "bundle (standard output or --output) or submits it to a hub collection.\n"
            "Indicator ids come from the value, so importing the same list again updates the\n"
            "same indicators.\n"
            "\n"
            "formats:\n"
            "  plain       one value per line, '#' comments\n"
            "  csv         a header row with a 'value' column (or the first column), e.g. what\n"
            "              'fenghuo export --format csv' writes\n"
            "  misp-feed   a MISP feed folder (manifest.json and event files): every to_ids\n"
            "              attribute of type ip-src, ip-dst, domain, hostname, url, uri, md5,\n"
            "              sha1, sha256 or sha512\n"
            "  stix        STIX files: their indicators, re-marked with --tlp\n"
            "options:\n"
            "  --tlp TLP           clear, green, amber, amber+strict or red (required)\n"
            "  --name TEXT         plain and csv: the indicators' name (default: the value;\n"
            "                      MISP feeds: the event's info)\n"
            "  --valid-days N      valid_until N days after now (default: none)\n"
            "  --hub URL           submit to this hub (token: --token or $FENGHUO_TOKEN)\n"
            "  --collection ID     the collection to submit to\n"
            "  --output FILE       write the bundle there instead of standard output\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 every value imported, 1 some values refused (the rest was\n"
            "imported), 2 usage, I/O or hub error.\n");
}

static void add_value(json_t *out, const char *value, size_t len, const char *where, size_t line,
                      const char *name, const char *tlp, const char *now, const char *until,
                      size_t *refused)
{
    char *v = fh_xstrndup(value, len);
    const char *why = NULL;
    json_t *ind = fh_import_indicator(v, name, tlp, now, until, &why);
    if (ind)
        json_array_append_new(out, ind);
    else {
        fprintf(stderr, "fenghuo import: %s:%zu: '%s': %s\n", where, line, v, why);
        (*refused)++;
    }
    free(v);
}

/* Splits one CSV record (RFC 4180, no embedded line breaks) into fields. */
static size_t csv_fields(const char *s, size_t n, char **fields, size_t max)
{
    size_t count = 0, i = 0;
    while (i <= n && count < max) {
        fh_buf f;
        fh_buf_init(&f, 1 << 20);
        if (i < n && s[i] == '"') {
            i++;
            while (i < n) {
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
                    fh_buf_append_char(&f, '"');
                    i += 2;
                } else if (s[i] == '"') {
                    i++;
                    break;
                } else {
                    fh_buf_append_char(&f, s[i++]);
                }
            }
            while (i < n && s[i] != ',')
                i++;
        } else {
            while (i < n && s[i] != ',')
                fh_buf_append_char(&f, s[i++]);
        }
        fields[count++] = fh_buf_steal(&f);
        fh_buf_cleanup(&f);
        i++;
    }
    return count;
}

static fh_err import_lines(const char *path, bool csv, json_t *out, const char *name,
                           const char *tlp, const char *now, const char *until, size_t *refused)
{
    fh_buf data;
    fh_buf_init(&data, (size_t)256 << 20);
    if (fh_buf_read_file(&data, path) != FH_OK) {
        fprintf(stderr, "fenghuo import: %s: cannot read (or larger than 256 MiB)\n", path);
        fh_buf_cleanup(&data);
        return FH_ERR_IO;
    }
    const char *p = data.data ? data.data : "", *end = p + data.len;
    size_t line = 0;
    long column = -1; /* csv: the value column, found in the header */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        if (e > p && e[-1] == '\r')
            e--;
        if (csv) {
            char *fields[64];
            size_t n = csv_fields(p, (size_t)(e - p), fields, 64);
            if (column < 0) {
                column = 0;
                for (size_t k = 0; k < n; k++)
                    if (strcmp(fields[k], "value") == 0)
                        column = (long)k;
            } else if ((size_t)column < n && fields[column][0]) {
                add_value(out, fields[column], strlen(fields[column]), path, line, name, tlp, now,
                          until, refused);
            }
            for (size_t k = 0; k < n; k++)
                free(fields[k]);
        } else {
            const char *hash = memchr(p, '#', (size_t)(e - p));
            const char *stop = hash ? hash : e;
            while (p < stop && (*p == ' ' || *p == '\t'))
                p++;
            while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
                stop--;
            if (stop > p)
                add_value(out, p, (size_t)(stop - p), path, line, name, tlp, now, until, refused);
        }
        p = nl ? nl + 1 : end;
    }
    fh_buf_cleanup(&data);
    return FH_OK;
}

static fh_err import_stix(const char *path, json_t *out, const char *tlp)
{
    fh_buf data, err;
    fh_buf_init(&data, (size_t)256 << 20);
    fh_buf_init(&err, 1 << 16);
    json_t *objs = NULL;
    fh_err rc = fh_buf_read_file(&data, path);
    if (rc)
        fprintf(stderr, "fenghuo import: %s: cannot read (or larger than 256 MiB)\n", path);
    else if ((rc = fh_stix_parse_all(data.data ? data.data : "", data.len, path, &objs, &err)))
        fprintf(stderr, "fenghuo import: %s", err.data);
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        const char *type = fh_json_str(o, "type");
        if (type && strcmp(type, "indicator") == 0) {
            json_t *copy = json_deep_copy(o);
            json_object_set_new(copy, "object_marking_refs", json_pack("[s]", tlp));
            json_array_append_new(out, copy);
        }
    }
    json_decref(objs);
    fh_buf_cleanup(&err);
    fh_buf_cleanup(&data);
    return rc;
}

static int submit(const char *hub, const char *token, const char *collection, json_t *objects)
{
    fh_taxii_client_opts o = {.token = token, .timeout_s = 300};
    fh_taxii_client *c = NULL;
    fh_buf err;
    fh_buf_init(&err, 1 << 16);
    int status = FH_EXIT_OK;
    if (fh_taxii_client_new(hub, &o, &c, &err) != FH_OK) {
        fprintf(stderr, "fenghuo import: %s\n", err.data);
        fh_buf_cleanup(&err);
        return FH_EXIT_USAGE;
    }
    char *rel = fh_xasprintf("collections/%s/objects/", collection);
    size_t stored = 0, failed = 0;
    for (size_t at = 0; at < json_array_size(objects) && status == FH_EXIT_OK; at += POST_BATCH) {
        json_t *batch = json_array();
        for (size_t k = at; k < at + POST_BATCH && k < json_array_size(objects); k++)
            json_array_append(batch, json_array_get(objects, k));
        json_t *env = json_pack("{s:o}", "objects", batch);
        char *body = json_dumps(env, JSON_COMPACT);
        json_decref(env);
        fh_taxii_reply r;
        fh_taxii_reply_init(&r);
        fh_buf_reset(&err);
        if (fh_taxii_client_call(c, "POST", rel, body, strlen(body), &r, &err) != FH_OK ||
            r.status != 202) {
            fh_buf msg;
            fh_buf_init(&msg, 4096);
            fh_taxii_describe_error(&r, &msg);
            fprintf(stderr, "fenghuo import: the hub refused the post: %s\n",
                    err.len    ? err.data
                    : msg.data ? msg.data
                               : "?");
            fh_buf_cleanup(&msg);
            status = FH_EXIT_USAGE;
        } else {
            json_t *st = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
            stored += (size_t)json_integer_value(json_object_get(st, "success_count"));
            failed += (size_t)json_integer_value(json_object_get(st, "failure_count"));
            size_t i;
            json_t *f;
            json_array_foreach(json_object_get(st, "failures"), i, f)
            {
                fprintf(stderr, "fenghuo import: refused %s: %s\n", fh_json_str(f, "id"),
                        fh_json_str(f, "message"));
            }
            json_decref(st);
        }
        free(body);
        fh_taxii_reply_cleanup(&r);
    }
    fprintf(stderr, "fenghuo import: %zu stored, %zu refused by the hub\n", stored, failed);
    if (status == FH_EXIT_OK && failed)
        status = FH_EXIT_FAIL;
    free(rel);
    fh_taxii_client_free(c);
    fh_buf_cleanup(&err);
    return status;
}

int fh_cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"tlp", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},   {"valid-days", required_argument, NULL, 'v'},
        {"hub", required_argument, NULL, 'H'},    {"collection", required_argument, NULL, 'c'},
        {"token", required_argument, NULL, 'T'},  {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *format = NULL, *tlp = NULL, *name = NULL, *hub = NULL, *collection = NULL;
    const char *output = NULL, *token = getenv("FENGHUO_TOKEN");
    int64_t days = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 't':
            tlp = fh_tlp_marking_id(optarg);
            if (tlp == NULL) {
                fprintf(stderr, "fenghuo import: --tlp is clear, green, amber, amber+strict or "
                                "red\n");
                return FH_EXIT_USAGE;
            }
            break;
        case 'n':
            name = optarg;
            break;
        case 'v':
            if (fh_parse_i64(optarg, 1, 3650, &days) != FH_OK) {
                fprintf(stderr, "fenghuo import: --valid-days takes 1 to 3650\n");
                return FH_EXIT_USAGE;
            }
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
        case 'o':
            output = optarg;
            break;
        case 'h':
            usage(stdout);
            return FH_EXIT_OK;
        default:
            usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    bool known = format && (strcmp(format, "plain") == 0 || strcmp(format, "csv") == 0 ||
                            strcmp(format, "misp-feed") == 0 || strcmp(format, "stix") == 0);
    if (!known || tlp == NULL || optind == argc || (hub && (collection == NULL || token == NULL)) ||
        (hub && output)) {
        fprintf(stderr, "fenghuo import: give --format plain|csv|misp-feed|stix, --tlp and an "
                        "INPUT; --hub goes with --collection and a token, not with --output\n");
        return FH_EXIT_USAGE;
    }
    fh_time t = fh_time_now();
    t.frac_digits = 3;
    t.nsec = t.nsec / 1000000 * 1000000;
    char now[FH_TIME_STRLEN], until[FH_TIME_STRLEN];
    fh_time_format(&t, now, sizeof now);
    t.sec += days * 86400;
    fh_time_format(&t, until, sizeof until);
    json_t *objects = json_array();
    size_t refused = 0;
    int status = FH_EXIT_OK;
    for (int i = optind; i < argc && status == FH_EXIT_OK; i++) {
        fh_err rc = FH_OK;
        if (strcmp(format, "misp-feed") == 0) {
            fh_import_stats st = {0};
            fh_buf err;
            fh_buf_init(&err, 4096);
            rc = fh_import_misp_feed(argv[i], tlp, objects, &st, &err);
            if (rc)
                fprintf(stderr, "fenghuo import: %s\n", err.data);
            else
                fprintf(stderr,
                        "fenghuo import: %s: %zu events, %zu indicators, %zu attributes "
                        "not for IDS or of other types, %zu refused\n",
                        argv[i], st.events, st.indicators, st.skipped, st.rejected);
            refused += st.rejected;
            fh_buf_cleanup(&err);
        } else if (strcmp(format, "stix") == 0) {
            rc = import_stix(argv[i], objects, tlp);
        } else {
            rc = import_lines(argv[i], strcmp(format, "csv") == 0, objects, name, tlp, now,
                              days ? until : NULL, &refused);
        }
        if (rc)
            status = FH_EXIT_USAGE;
    }
    if (status == FH_EXIT_OK) {
        if (hub) {
            status =
                json_array_size(objects) ? submit(hub, token, collection, objects) : FH_EXIT_OK;
        } else {
            fh_uuid u;
            char us[FH_UUID_STRLEN];
            fh_uuid_v4(&u);
            fh_uuid_format(&u, us);
            char *bid = fh_xasprintf("bundle--%s", us);
            json_t *bundle = json_pack("{s:s,s:s}", "type", "bundle", "id", bid);
            free(bid);
            if (json_array_size(objects))
                json_object_set(bundle, "objects", objects);
            FILE *f = output ? fopen(output, "w") : stdout;
            if (f == NULL || json_dumpf(bundle, f, JSON_INDENT(1)) != 0 || fputc('\n', f) == EOF ||
                (output && fclose(f) != 0)) {
                fprintf(stderr, "fenghuo import: cannot write %s\n", output ? output : "stdout");
                status = FH_EXIT_USAGE;
            }
            json_decref(bundle);
        }
        fprintf(stderr, "fenghuo import: %zu indicators, %zu values refused\n",
                json_array_size(objects), refused);
        if (status == FH_EXIT_OK && refused)
            status = FH_EXIT_FAIL;
    }
    json_decref(objects);
    return status;
}
