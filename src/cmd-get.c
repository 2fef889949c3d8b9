/*
 * `fenghuo get`: reads objects from a TAXII 2.1 collection and prints them as
 * JSON lines, following pagination with --all.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/json.h"
#include "fenghuo/taxii.h"

static void get_usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo get --hub URL --token TOKEN --collection ID [OPTIONS]\n"
            "\n"
            "Prints the objects of a TAXII 2.1 collection, one JSON object per line, in the\n"
            "order the hub added them.\n"
            "\n"
            "options:\n"
            "  --hub URL             the hub (https://host:8443, discovered) or an API root URL\n"
            "  --token TOKEN         the API token (default: $FENGHUO_TOKEN)\n"
            "  --collection ID       the collection to read\n"
            "  --type T[,T...]       only objects of these types (match[type])\n"
            "  --id ID[,ID...]       only these objects (match[id])\n"
            "  --added-after TS      only objects added after this timestamp\n"
            "  --version V           first, last (default), all, or timestamps (match[version])\n"
            "  --limit N             objects per page (the hub caps it)\n"
            "  --all                 follow pagination until the end (default: one page)\n"
            "  --cacert FILE         trust the CA certificates in FILE (PEM)\n"
            "  --insecure            do not verify the hub's TLS certificate\n"
            "  -h, --help            show this help\n"
            "\n"
            "exit status: 0 done, 1 the hub refused (no such collection, no permission, bad\n"
            "filter), 2 usage or network error.\n");
}

int fh_cmd_get(int argc, char **argv)
{
    static const struct option longopts[] = {{"hub", required_argument, NULL, 'H'},
                                             {"token", required_argument, NULL, 'T'},
                                             {"collection", required_argument, NULL, 'C'},
                                             {"type", required_argument, NULL, 't'},
                                             {"id", required_argument, NULL, 'i'},
                                             {"added-after", required_argument, NULL, 'a'},
                                             {"version", required_argument, NULL, 'v'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"all", no_argument, NULL, 'A'},
                                             {"cacert", required_argument, NULL, 'c'},
                                             {"insecure", no_argument, NULL, 'k'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *hub = NULL, *collection = NULL, *type = NULL, *id = NULL, *added_after = NULL,
               *version = NULL, *limit = NULL;
    bool all = false;
    fh_taxii_client_opts copts = {.token = getenv("FENGHUO_TOKEN")};
    optind = 1;
    int c;
    int64_t v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            hub = optarg;
            break;
        case 'T':
            copts.token = optarg;
            break;
        case 'C':
            collection = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        case 'a':
            added_after = optarg;
            break;
        case 'v':
            version = optarg;
            break;
        case 'l':
            if (fh_parse_i64(optarg, 1, 1000000, &v) != FH_OK) {
                fprintf(stderr, "fenghuo get: --limit takes 1 to 1000000, not '%s'\n", optarg);
                return FH_EXIT_USAGE;
            }
            limit = optarg;
            break;
        case 'A':
            all = true;
            break;
        case 'c':
            copts.cacert = optarg;
            break;
        case 'k':
            copts.insecure = true;
            break;
        case 'h':
            get_usage(stdout);
            return FH_EXIT_OK;
        default:
            get_usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    if (hub == NULL || collection == NULL || copts.token == NULL || optind != argc) {
        fprintf(stderr, "fenghuo get: --hub, --token (or $FENGHUO_TOKEN) and --collection are "
                        "required; see 'fenghuo get --help'\n");
        return FH_EXIT_USAGE;
    }
    fh_buf err, base, q;
    fh_buf_init(&err, 0);
    fh_buf_init(&base, 0);
    fh_buf_init(&q, 0);
    fh_taxii_client *client = NULL;
    fh_taxii_reply r;
    fh_taxii_reply_init(&r);
    int status = FH_EXIT_OK;
    if (fh_taxii_client_new(hub, &copts, &client, &err) != FH_OK) {
        fprintf(stderr, "fenghuo get: %s\n", err.data);
        status = FH_EXIT_USAGE;
        goto done;
    }
    fh_buf_appendf(&base, "collections/%s/objects/", collection);
    if (type)
        fh_taxii_query_add(&base, "match[type]", type);
    if (id)
        fh_taxii_query_add(&base, "match[id]", id);
    if (added_after)
        fh_taxii_query_add(&base, "added_after", added_after);
    if (version)
        fh_taxii_query_add(&base, "match[version]", version);
    if (limit)
        fh_taxii_query_add(&base, "limit", limit);
    char *next = NULL;
    fh_buf line;
    fh_buf_init(&line, FH_BUF_DEFAULT_MAX);
    /* Bounded: a hub that keeps saying "more" without a next stops us. */
    for (size_t pages = 0; pages < 100000000; pages++) {
        fh_buf_reset(&q);
        fh_buf_append(&q, base.data, base.len);
        if (next)
            fh_taxii_query_add(&q, "next", next);
        free(next);
        next = NULL;
        if (fh_taxii_client_call(client, "GET", q.data, NULL, 0, &r, &err) != FH_OK) {
            fprintf(stderr, "fenghuo get: %s\n", err.data);
            status = FH_EXIT_USAGE;
            break;
        }
        if (r.status != 200) {
            fh_taxii_describe_error(&r, &err);
            fprintf(stderr, "fenghuo get: %s\n", err.data);
            status = r.status >= 500 ? FH_EXIT_USAGE : FH_EXIT_FAIL;
            break;
        }
        json_t *env = json_loadb(r.body.data, r.body.len, 0, NULL);
        if (!json_is_object(env)) {
            fprintf(stderr, "fenghuo get: the hub's answer is not a TAXII envelope\n");
            json_decref(env);
            status = FH_EXIT_USAGE;
            break;
        }
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(env, "objects"), i, o)
        {
            fh_buf_reset(&line);
            fh_json_canonical(o, &line);
            fwrite(line.data, 1, line.len, stdout);
            fputc('\n', stdout);
        }
        bool more = json_is_true(json_object_get(env, "more"));
        const char *nx = fh_json_str(env, "next");
        if (more && nx)
            next = fh_xstrdup(nx);
        json_decref(env);
        if (!all || !more)
            break;
        if (next == NULL) {
            /* more without next: continue from the last date_added (section 3.5). */
            if (r.added_last[0] == '\0')
                break;
            fh_buf_reset(&base);
            fh_buf_appendf(&base, "collections/%s/objects/", collection);
            if (type)
                fh_taxii_query_add(&base, "match[type]", type);
            if (id)
                fh_taxii_query_add(&base, "match[id]", id);
            fh_taxii_query_add(&base, "added_after", r.added_last);
            if (version)
                fh_taxii_query_add(&base, "match[version]", version);
            if (limit)
                fh_taxii_query_add(&base, "limit", limit);
        }
    }
    free(next);
    fh_buf_cleanup(&line);
    if (fflush(stdout) != 0)
        status = FH_EXIT_USAGE;
done:
    fh_taxii_reply_cleanup(&r);
    fh_taxii_client_free(client);
    fh_buf_cleanup(&err);
    fh_buf_cleanup(&base);
    fh_buf_cleanup(&q);
    return status;
}
