/*
 * `fenghuo enforce`: keeps this host's nftables sets in step with
 * indicators (files and hub collections), so what the community confirmed
 * is dropped here. See docs/enforce.md.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/taxii.h"

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: fenghuo enforce [--indicators FILE]... [--hub URL --collection ID...]\n"
        "                       [OPTIONS]\n"
        "\n"
        "Keeps the nftables table 'inet fenghuo' (sets addr4, addr6, net4, net6, dropping traffic\n"
        "from and to their addresses) in step with indicators: the exact IPv4/IPv6\n"
        "observables of STIX indicators (expiring at their valid_until) and the addresses\n"
        "and prefixes of plain lists. Updates go in batched transactions. Needs root or\n"
        "CAP_NET_ADMIN, except with --dry-run.\n"
        "\n"
        "sources:\n"
        "  --indicators FILE   STIX bundle/envelope/array/object or plain list; repeatable\n"
        "  --hub URL           a TAXII 2.1 server or API root\n"
        "  --collection ID     a collection to follow on it, by id or by title (the hub's\n"
        "                      built-in 'consensus'); the token in $FENGHUO_TOKEN or\n"
        "                      --token; repeatable (--follow is the same)\n"
        "  --token TOKEN       the hub's API token (default: $FENGHUO_TOKEN)\n"
        "  --cacert FILE       CA certificates (PEM) for the hub\n"
        "never blocked:\n"
        "  --allow LIST        addresses and prefixes never blocked, comma-separated (add\n"
        "                      your own networks here)\n"
        "  --no-default-allow  do not add the built-in allowlist (this host, and the\n"
        "                      public resolvers of Google, Cloudflare, Quad9 and OpenDNS)\n"
        "behaviour:\n"
        "  --ttl SECONDS       expiry of entries without valid_until (default 86400)\n"
        "  --interval SECONDS  time between synchronisations (default 10)\n"
        "  --once              synchronise once and exit\n"
        "  --dry-run           print the nftables transactions instead of applying them\n"
        "  --table NAME        the table's name (default fenghuo)\n"
        "  --teardown          delete the table and exit\n"
        "  -h, --help          show this help\n"
        "\n"
        "exit status: 0 done (or stopped by SIGINT/SIGTERM; the sets stay until their\n"
        "entries expire), 2 usage error, or nftables refused a transaction.\n");
}

int fh_cmd_enforce(int argc, char **argv)
{
    static const struct option longopts[] = {{"indicators", required_argument, NULL, 'I'},
                                             {"hub", required_argument, NULL, 'H'},
                                             {"follow", required_argument, NULL, 'F'},
                                             {"collection", required_argument, NULL, 'F'},
                                             {"token", required_argument, NULL, 'T'},
                                             {"cacert", required_argument, NULL, 'C'},
                                             {"allow", required_argument, NULL, 'A'},
                                             {"no-default-allow", no_argument, NULL, 'N'},
                                             {"ttl", required_argument, NULL, 't'},
                                             {"interval", required_argument, NULL, 'i'},
                                             {"once", no_argument, NULL, 'o'},
                                             {"dry-run", no_argument, NULL, 'd'},
                                             {"table", required_argument, NULL, 'b'},
                                             {"teardown", no_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char **files = fh_xcalloc((size_t)argc + 1, sizeof *files);
    const char **follows = fh_xcalloc((size_t)argc + 1, sizeof *follows);
    size_t n_files = 0, n_follows = 0;
    const char *hub = NULL, *table = "fenghuo", *cacert = NULL;
    const char *token = getenv("FENGHUO_TOKEN");
    bool default_allow = true, once = false, dry_run = false, teardown = false;
    int64_t ttl = 86400, interval = 10;
    fh_block_list allow;
    fh_block_list_init(&allow);
    fh_nft *nft = NULL;
    fh_taxii_follow *follow = NULL;
    fh_buf err;
    fh_buf_init(&err, 1 << 16);
    int status = FH_EXIT_USAGE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'I':
            files[n_files++] = optarg;
            break;
        case 'H':
            hub = optarg;
            break;
        case 'F':
            follows[n_follows++] = optarg;
            break;
        case 'T':
            token = optarg;
            break;
        case 'C':
            cacert = optarg;
            break;
        case 'A':
            if (fh_block_list_add_text(&allow, optarg, "--allow", &err) != FH_OK) {
                fprintf(stderr, "fenghuo enforce: %s\n", err.data);
                goto done;
            }
            break;
        case 'N':
            default_allow = false;
            break;
        case 't':
            if (fh_parse_i64(optarg, 1, 365LL * 86400, &ttl)) {
                fprintf(stderr, "fenghuo enforce: --ttl takes 1 to 31536000 seconds\n");
                goto done;
            }
            break;
        case 'i':
            if (fh_parse_i64(optarg, 1, 86400, &interval)) {
                fprintf(stderr, "fenghuo enforce: --interval takes 1 to 86400 seconds\n");
                goto done;
            }
            break;
        case 'o':
            once = true;
            break;
        case 'd':
            dry_run = true;
            break;
        case 'b':
            table = optarg;
            break;
        case 'D':
            teardown = true;
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
    if (fh_nft_new(table, dry_run, stdout, &nft, &err) != FH_OK) {
        fprintf(stderr, "fenghuo enforce: %s\n", err.data);
        goto done;
    }
    if (teardown) {
        if (fh_nft_teardown(nft, &err) != FH_OK)
            fprintf(stderr, "fenghuo enforce: %s\n", err.data);
        else
            status = FH_EXIT_OK;
        goto done;
    }
    if (n_files == 0 && n_follows == 0) {
        fprintf(stderr, "fenghuo enforce: give --indicators FILE or --hub URL --collection ID\n");
        goto done;
    }
    if ((hub == NULL) != (n_follows == 0) || (hub && token == NULL)) {
        fprintf(stderr, "fenghuo enforce: --hub and --collection go together, with a token "
                        "(--token or $FENGHUO_TOKEN)\n");
        goto done;
    }
    if (default_allow)
        fh_block_list_add_default_allow(&allow);
    if (hub) {
        fh_taxii_client_opts o = {.token = token, .cacert = cacert, .timeout_s = 60};
        if (fh_taxii_follow_new(hub, &o, follows, n_follows, "indicator", 0, &follow) != FH_OK)
            goto done;
    }
    if (fh_nft_setup(nft, &err) != FH_OK) {
        fprintf(stderr, "fenghuo enforce: %s\n", err.data);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    status = FH_EXIT_OK;
    while (!stop_flag) {
        int64_t now = (int64_t)time(NULL);
        fh_block_list want;
        fh_block_list_init(&want);
        for (size_t i = 0; i < n_files; i++) {
            fh_buf_reset(&err);
            if (fh_block_from_file(&want, files[i], now + ttl, &err) != FH_OK)
                fh_error("enforce", "%s (the other sources still count)", err.data);
        }
        if (follow) {
            fh_taxii_follow_poll(follow);
            json_t *objs = fh_taxii_follow_objects(follow);
            fh_block_from_objects(&want, objs, now + ttl);
            json_decref(objs);
        }
        size_t allowed = fh_block_list_remove_allowed(&want, allow.items, allow.count, "enforce");
        fh_nft_stats st;
        fh_buf_reset(&err);
        fh_err rc = fh_nft_sync(nft, want.items, want.count, now, &st, &err);
        if (rc) {
            fprintf(stderr, "fenghuo enforce: %s\n", err.data);
            status = FH_EXIT_USAGE;
        } else {
            fh_info("enforce",
                    "%zu entries: %zu added, %zu removed, %zu renewed, %zu unchanged, %zu inside "
                    "broader ones, %zu allowlisted, %zu indicators or lines with nothing to "
                    "block; %zu transaction(s)",
                    want.count - st.covered, st.added, st.removed, st.renewed, st.unchanged,
                    st.covered, allowed, want.skipped, st.transactions);
        }
        fh_block_list_cleanup(&want);
        if (once || rc)
            break;
        for (int64_t t = 0; t < interval * 10 && !stop_flag; t++) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
done:
    fh_taxii_follow_free(follow);
    fh_nft_free(nft);
    fh_block_list_cleanup(&allow);
    fh_buf_cleanup(&err);
    free(files);
    free(follows);
    return status;
}
