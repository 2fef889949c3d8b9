/*
 * `fenghuo sensor`: reads packets (capture files or a live interface),
 * detects attacks against the protected networks, matches traffic against
 * indicators and writes events as JSON lines. See docs/sensor.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fenghuo/sensor.h"

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: fenghuo sensor (--pcap FILE... | --interface IF | --netflow ADDR:PORT...)\n"
        "                      --networks CIDR[,CIDR...]\n"
        "                      [--indicators FILE]... [--events FILE|-] [OPTIONS]\n"
        "\n"
        "Reads packets, detects floods, amplification, scans and brute force against the\n"
        "protected networks, matches every packet's addresses, DNS query names, TLS SNI and\n"
        "HTTP Host against the indicators, and writes events as JSON lines (docs/EVENTS.md).\n"
        "With --pcap, time is the packets' time and the run ends at the end of the files,\n"
        "ending every open attack; the last line is a stats event.\n"
        "\n"
        "input:\n"
        "  --pcap FILE          read a capture file (pcap or pcapng); may be repeated\n"
        "  --interface IF       capture live on IF (needs root or CAP_NET_RAW)\n"
        "  --bpf FILTER         live capture: a BPF filter, e.g. 'not port 22'\n"
        "  --netflow ADDR:PORT  receive NetFlow v5/v9 and IPFIX on UDP (e.g. 0.0.0.0:2055);\n"
        "  --ipfix ADDR:PORT    the same (each datagram says its version); repeatable\n"
        "  --sflow ADDR:PORT    receive sFlow v5 (e.g. 0.0.0.0:6343); repeatable. Flows run\n"
        "                       until SIGINT/SIGTERM, beside at most one --interface\n"
        "  --buffer MIB         live capture: kernel ring buffer (default 64; per worker)\n"
        "  --workers N          threads that decode and match packets (default 1, at most\n"
        "                       64); a live capture gets one socket per worker in a\n"
        "                       PACKET_FANOUT group; detection stays in one thread, so\n"
        "                       the events are the same as with one worker\n"
        "  --cpus LIST          pin worker i to the i-th CPU of LIST (cycling), e.g. 0,2-3\n"
        "  --networks LIST      protected prefixes, IPv4 and IPv6, comma-separated (required)\n"
        "  --indicators FILE    STIX bundle/envelope/array of indicators, or a plain list\n"
        "                       (one IP, CIDR or domain per line, '#' comments); may be\n"
        "                       repeated; reloaded on SIGHUP\n"
        "output:\n"
        "  --events FILE|-      where events go (default '-': standard output)\n"
        "  --log-format F       text (default) or json, for the log on standard error\n"
        "detection:\n"
        "  --threshold-pps N    packets/s of one kind that make a flood (default 10000;\n"
        "                       fragments: a tenth of it)\n"
        "  --threshold-bps N    bits/s of one kind that make a flood (default 100000000)\n"
        "  --baseline-factor F  a flood also needs F x the destination's usual rate (5)\n"
        "  --end-quiet S        seconds below the threshold that end an attack (10)\n"
        "  --bruteforce N/S     N connections in S seconds to one service (default 20/60)\n"
        "  --max-hosts N        protected destinations tracked (default 262144)\n"
        "  --config FILE        detection settings and host groups (per-prefix\n"
        "                       thresholds); read first, options override it\n"
        "                       (docs/sensor.md, \"Config file\")\n"
        "reporting to a hub (docs/sensor.md, \"Reporting\"):\n"
        "  --hub URL            the hub (TAXII server or API root URL)\n"
        "  --token TOKEN        its API token (default: $FENGHUO_TOKEN, which keeps it\n"
        "                       out of the process list)\n"
        "  --collection ID      collection to post sightings and indicators to\n"
        "  --identity ID        identity--... of your organization, for\n"
        "                       where_sighted_refs and created_by_ref\n"
        "  --cacert FILE        CA certificates (PEM) for the hub's certificate\n"
        "  --insecure           do not verify the hub's certificate (testing only)\n"
        "  --spool DIR          batches not yet stored by the hub (default\n"
        "                       ./fenghuo-spool); posted first on the next start\n"
        "  --report-wait S      at the end of the input, post for at most S seconds (30)\n"
        "  --no-declare-networks  do not add --networks to your organization's networks\n"
        "                       on the hub at start (they are, by default, so the hub\n"
        "                       pseudonymizes your victims; reports wait until it is done)\n"
        "  --follow ID          match traffic against the indicators of this hub\n"
        "                       collection too (by id or title), polled every\n"
        "                       --follow-interval seconds (default 5); may be repeated.\n"
        "                       Matching only: nothing of it is blocked\n"
        "blocking (docs/sensor.md, \"Blocking\"):\n"
        "  --enforce nft        block the scanners and brute-forcers it detects in the\n"
        "                       nftables table inet fenghuo_sensor (the protected networks and\n"
        "                       the default allowlist of fenghuo enforce are never blocked)\n"
        "  --enforce-collection ID  with --enforce nft and --hub: follow this collection\n"
        "                       (by id or title, e.g. the hub's 'consensus') for matching\n"
        "                       and block the exact addresses and prefixes of its\n"
        "                       indicators until their valid_until or revocation; may be\n"
        "                       repeated\n"
        "  --enforce-allow LIST addresses and prefixes never blocked, besides --networks\n"
        "  --enforce-no-default-allow  do not add the default allowlist (this host and the\n"
        "                       big public resolvers)\n"
        "  --enforce-ttl S      how long a detection's block lasts (default 3600 seconds);\n"
        "                       also the renewed timeout of enforced indicators without\n"
        "                       valid_until\n"
        "  --enforce-dry-run    print the nftables transactions instead (stderr)\n"
        "privileges:\n"
        "  --user NAME          after opening its inputs, a root process becomes NAME\n"
        "                       (default nobody) before it decodes a single packet\n"
        "  -h, --help           show this help\n"
        "\n"
        "exit status: 0 the input was read to its end (or the sensor was stopped by\n"
        "SIGINT/SIGTERM), 2 usage, input or privilege error.\n");
}

static int bad(const char *opt, const char *v)
{
    fprintf(stderr, "fenghuo sensor: %s: invalid value '%s'; see 'fenghuo sensor --help'\n", opt,
            v);
    return FH_EXIT_USAGE;
}

static bool open_flows(fh_sensor *s, const char **flows, size_t n, fh_buf *err)
{
    for (size_t i = 0; i < n; i++)
        if (fh_sensor_open_flow(s, flows[i], err) != FH_OK)
            return true;
    return false;
}

int fh_cmd_sensor(int argc, char **argv)
{
    static const struct option longopts[] = {{"pcap", required_argument, NULL, 'p'},
                                             {"interface", required_argument, NULL, 'i'},
                                             {"bpf", required_argument, NULL, 'B'},
                                             {"buffer", required_argument, NULL, 'b'},
                                             {"networks", required_argument, NULL, 'n'},
                                             {"indicators", required_argument, NULL, 'I'},
                                             {"events", required_argument, NULL, 'e'},
                                             {"log-format", required_argument, NULL, 'L'},
                                             {"threshold-pps", required_argument, NULL, 'P'},
                                             {"threshold-bps", required_argument, NULL, 'S'},
                                             {"baseline-factor", required_argument, NULL, 'F'},
                                             {"end-quiet", required_argument, NULL, 'Q'},
                                             {"bruteforce", required_argument, NULL, 'R'},
                                             {"max-hosts", required_argument, NULL, 'H'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"hub", required_argument, NULL, 1001},
                                             {"token", required_argument, NULL, 1002},
                                             {"collection", required_argument, NULL, 1003},
                                             {"identity", required_argument, NULL, 1004},
                                             {"cacert", required_argument, NULL, 1005},
                                             {"insecure", no_argument, NULL, 1006},
                                             {"spool", required_argument, NULL, 1007},
                                             {"report-wait", required_argument, NULL, 1008},
                                             {"follow", required_argument, NULL, 1009},
                                             {"follow-interval", required_argument, NULL, 1010},
                                             {"enforce", required_argument, NULL, 1011},
                                             {"netflow", required_argument, NULL, 1014},
                                             {"ipfix", required_argument, NULL, 1015},
                                             {"sflow", required_argument, NULL, 1016},
                                             {"enforce-ttl", required_argument, NULL, 1012},
                                             {"enforce-dry-run", no_argument, NULL, 1013},
                                             {"workers", required_argument, NULL, 1017},
                                             {"cpus", required_argument, NULL, 1018},
                                             {"enforce-collection", required_argument, NULL, 1019},
                                             {"enforce-allow", required_argument, NULL, 1020},
                                             {"enforce-no-default-allow", no_argument, NULL, 1021},
                                             {"no-declare-networks", no_argument, NULL, 1022},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    fh_sensor_config cfg;
    fh_sensor_config_init(&cfg);
    const char **pcaps = fh_xcalloc((size_t)argc + 1, sizeof *pcaps);
    const char **indicators = fh_xcalloc((size_t)argc + 1, sizeof *indicators);
    size_t n_pcaps = 0, n_ind = 0;
    const char *iface = NULL, *networks = NULL, *events = "-", *user = "nobody";
    int status = FH_EXIT_USAGE;
    int64_t v;
    int c;
    fh_sensor_groups groups = {0};
    const char **follows = fh_xcalloc((size_t)argc + 1, sizeof *follows);
    size_t n_follows = 0;
    const char **enforced = fh_xcalloc((size_t)argc + 1, sizeof *enforced);
    size_t n_enforced = 0;
    unsigned follow_interval = 5;
    bool enforce = false, enforce_dry = false, enforce_no_default = false;
    bool no_declare = false;
    const char *enforce_allow = NULL;
    const char **flows = fh_xcalloc((size_t)argc + 1, sizeof *flows);
    size_t n_flows = 0;
    unsigned enforce_ttl = 3600;
    fh_sensor_report_config rep;
    fh_sensor_report_config_init(&rep);
    rep.token = getenv("FENGHUO_TOKEN");
    /* The config file first, wherever it stands: options override it. */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c != 'c')
            continue;
        fh_buf cerr;
        fh_buf_init(&cerr, 1 << 16);
        fh_sensor_groups_cleanup(&groups);
        fh_err rc = fh_sensor_config_load(&cfg, &groups, optarg, &cerr);
        if (rc)
            fprintf(stderr, "fenghuo sensor: %s\n", cerr.data ? cerr.data : "bad config");
        fh_buf_cleanup(&cerr);
        if (rc)
            goto done;
    }
    opterr = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            break; /* read above */
        case 1001:
            rep.hub = optarg;
            break;
        case 1002:
            rep.token = optarg;
            break;
        case 1003:
            rep.collection = optarg;
            break;
        case 1004:
            rep.identity = optarg;
            break;
        case 1005:
            rep.cacert = optarg;
            break;
        case 1006:
            rep.insecure = true;
            break;
        case 1007:
            rep.spool = optarg;
            break;
        case 1022:
            no_declare = true;
            break;
        case 1009:
            follows[n_follows++] = optarg;
            break;
        case 1010:
            if (fh_parse_i64(optarg, 1, 86400, &v)) {
                status = bad("--follow-interval", optarg);
                goto done;
            }
            follow_interval = (unsigned)v;
            break;
        case 1014:
        case 1015:
        case 1016:
            flows[n_flows++] = optarg;
            break;
        case 1011:
            if (strcmp(optarg, "nft") != 0) {
                status = bad("--enforce", optarg);
                goto done;
            }
            enforce = true;
            break;
        case 1012:
            if (fh_parse_i64(optarg, 1, 30 * 86400, &v)) {
                status = bad("--enforce-ttl", optarg);
                goto done;
            }
            enforce_ttl = (unsigned)v;
            break;
        case 1013:
            enforce_dry = true;
            break;
        case 1019:
            enforced[n_enforced++] = optarg;
            break;
        case 1020:
            enforce_allow = optarg;
            break;
        case 1021:
            enforce_no_default = true;
            break;
        case 1017:
            if (fh_parse_i64(optarg, 1, FH_SENSOR_MAX_WORKERS, &v)) {
                fprintf(stderr,
                        "fenghuo sensor: --workers %s: give a number of threads from 1 to %d\n",
                        optarg, FH_SENSOR_MAX_WORKERS);
                goto done;
            }
            cfg.workers = (unsigned)v;
            break;
        case 1018:
            cfg.cpus = optarg;
            break;
        case 1008:
            if (fh_parse_i64(optarg, 0, 3600, &v)) {
                status = bad("--report-wait", optarg);
                goto done;
            }
            rep.wait_s = (unsigned)v;
            break;
        case 'p':
            pcaps[n_pcaps++] = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case 'B':
            cfg.bpf = optarg;
            break;
        case 'b':
            if (fh_parse_i64(optarg, 1, 4096, &v)) {
                status = bad("--buffer", optarg);
                goto done;
            }
            cfg.buffer_mib = (int)v;
            break;
        case 'n':
            networks = optarg;
            break;
        case 'I':
            indicators[n_ind++] = optarg;
            break;
        case 'e':
            events = optarg;
            break;
        case 'L':
            if (strcmp(optarg, "json") == 0)
                fh_log_set_format(FH_LOG_JSON);
            else if (strcmp(optarg, "text") != 0) {
                status = bad("--log-format", optarg);
                goto done;
            }
            break;
        case 'P':
            if (fh_parse_i64(optarg, 1, 1000000000, &v)) {
                status = bad("--threshold-pps", optarg);
                goto done;
            }
            for (int k = 0; k < FH_CAT__COUNT; k++)
                cfg.detect.floor_pps[k] = (uint32_t)v;
            cfg.detect.floor_pps[FH_CAT_FRAG] = (uint32_t)(v / 10 ? v / 10 : 1);
            break;
        case 'S':
            if (fh_parse_i64(optarg, 1, INT64_MAX, &v)) {
                status = bad("--threshold-bps", optarg);
                goto done;
            }
            for (int k = 0; k < FH_CAT__COUNT; k++)
                cfg.detect.floor_bps[k] = (uint64_t)v;
            cfg.detect.floor_bps[FH_CAT_FRAG] = (uint64_t)(v / 10 ? v / 10 : 1);
            break;
        case 'F': {
            char *end = NULL;
            double f = strtod(optarg, &end);
            if (end == optarg || *end || !(f >= 1 && f <= 1000)) {
                status = bad("--baseline-factor", optarg);
                goto done;
            }
            cfg.detect.baseline_factor = f;
            break;
        }
        case 'Q':
            if (fh_parse_i64(optarg, 1, 86400, &v)) {
                status = bad("--end-quiet", optarg);
                goto done;
            }
            cfg.detect.end_quiet_s = (unsigned)v;
            break;
        case 'R': {
            char *slash = strchr(optarg, '/');
            int64_t w;
            if (slash == NULL) {
                status = bad("--bruteforce", optarg);
                goto done;
            }
            *slash = '\0';
            bool ok = fh_parse_i64(optarg, 2, 100000, &v) == FH_OK &&
                      fh_parse_i64(slash + 1, 1, 86400, &w) == FH_OK;
            *slash = '/';
            if (!ok) {
                status = bad("--bruteforce", optarg);
                goto done;
            }
            cfg.detect.bf_threshold = (unsigned)v;
            cfg.detect.bf_window_s = (unsigned)w;
            break;
        }
        case 'H':
            if (fh_parse_i64(optarg, 1, 16777216, &v)) {
                status = bad("--max-hosts", optarg);
                goto done;
            }
            cfg.detect.max_hosts = (size_t)v;
            break;
        case 'u':
            user = optarg;
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
    if (optind < argc) {
        fprintf(stderr, "fenghuo sensor: unexpected argument '%s'\n", argv[optind]);
        goto done;
    }
    if (rep.hub == NULL &&
        (rep.collection || rep.identity || rep.cacert || n_follows || n_enforced)) {
        fprintf(stderr, "fenghuo sensor: --collection, --follow, --enforce-collection, --identity "
                        "and --cacert go with --hub\n");
        goto done;
    }
    if (!enforce && (n_enforced || enforce_allow || enforce_no_default || enforce_dry)) {
        fprintf(stderr, "fenghuo sensor: --enforce-collection, --enforce-allow, "
                        "--enforce-no-default-allow and --enforce-dry-run go with --enforce nft\n");
        goto done;
    }
    if (no_declare && (rep.hub == NULL || rep.collection == NULL)) {
        fprintf(stderr, "fenghuo sensor: --no-declare-networks goes with --hub and --collection "
                        "(reporting)\n");
        goto done;
    }
    if (rep.hub && rep.token == NULL) {
        fprintf(stderr, "fenghuo sensor: --hub needs a token: --token or $FENGHUO_TOKEN\n");
        goto done;
    }
    if (rep.hub && rep.collection == NULL && n_follows == 0 && n_enforced == 0) {
        fprintf(stderr, "fenghuo sensor: --hub needs --collection (to report), --follow or "
                        "--enforce-collection\n");
        goto done;
    }
    fh_sensor_follow_config fol = {.hub = rep.hub,
                                   .token = rep.token,
                                   .cacert = rep.cacert,
                                   .insecure = rep.insecure,
                                   .collections = follows,
                                   .n_collections = n_follows,
                                   .enforced = enforced,
                                   .n_enforced = n_enforced,
                                   .interval_s = follow_interval};
    if (n_pcaps && iface) {
        fprintf(stderr, "fenghuo sensor: give either --pcap FILE... or --interface IF\n");
        goto done;
    }
    if (n_pcaps == 0 && iface == NULL && n_flows == 0) {
        fprintf(stderr, "fenghuo sensor: give either --pcap FILE... or --interface IF, or flow "
                        "listeners (--netflow, --ipfix, --sflow)\n");
        goto done;
    }
    if (n_pcaps && n_flows) {
        fprintf(stderr, "fenghuo sensor: capture files run on packet time and flows on this "
                        "host's clock: use --pcap or flow listeners, not both\n");
        goto done;
    }
    if (cfg.cpus == cfg.cpus_text && cfg.workers < 2) {
        /* The file's list is for its own workers; --workers 1 overrides them. */
        fprintf(stderr, "fenghuo sensor: one worker: the config file's cpus is not used\n");
        cfg.cpus = NULL;
    }
    if (cfg.cpus && cfg.workers < 2) {
        fprintf(stderr, "fenghuo sensor: --cpus pins worker threads (cpus in --config too): it "
                        "goes with --workers N (N > 1)\n");
        goto done;
    }
    if (n_flows && cfg.workers > 1) {
        fprintf(stderr, "fenghuo sensor: flow listeners run with one worker: --workers goes with "
                        "--pcap or --interface alone\n");
        goto done;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cfg.workers > 1 && cpus > 0 && cfg.workers > (unsigned long)cpus)
        fprintf(stderr,
                "fenghuo sensor: warning: %u workers on %ld CPUs: they share cores (the detection "
                "thread needs one too)\n",
                cfg.workers, cpus);
    if (networks == NULL) {
        fprintf(stderr, "fenghuo sensor: --networks is required: the prefixes you protect, "
                        "e.g. --networks 198.18.0.0/15,2001:db8::/32\n");
        goto done;
    }

    rep.declare_networks = no_declare ? NULL : networks;

    FILE *out = stdout;
    if (strcmp(events, "-") != 0) {
        out = fopen(events, "a");
        if (out == NULL) {
            fprintf(stderr, "fenghuo sensor: --events %s: %s\n", events, strerror(errno));
            goto done;
        }
    }
    fh_buf err;
    fh_buf_init(&err, 1 << 20);
    fh_sensor *s = NULL;
    if (fh_sensor_new(&cfg, out, &s, &err) || fh_sensor_set_networks(s, networks, &err) ||
        (groups.count && fh_sensor_set_groups(s, &groups, &err)) ||
        (rep.hub && rep.collection && fh_sensor_set_report(s, &rep, &err)) ||
        ((n_follows || n_enforced) && fh_sensor_set_follow(s, &fol, &err)) ||
        (enforce && fh_sensor_set_enforce(s, networks, enforce_allow, enforce_no_default,
                                          "fenghuo_sensor", enforce_dry, enforce_ttl, &err)) ||
        (n_ind && fh_sensor_load_indicators(s, indicators, n_ind, &err)) ||
        (n_pcaps && fh_sensor_open_files(s, pcaps, n_pcaps, &err)) ||
        (iface && fh_sensor_open_live(s, iface, &err)) || open_flows(s, flows, n_flows, &err) ||
        fh_sensor_drop_privileges(user, rep.collection ? &rep.spool : NULL, rep.collection ? 1 : 0,
                                  &err)) {
        fprintf(stderr, "fenghuo sensor: %s\n", err.data ? err.data : "failed");
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        /* A write to a peer that is gone (the enforcement helper, the hub)
         * is an error to handle, not a reason to die. */
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
        sa.sa_handler = on_stop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sa.sa_handler = on_hup;
        sigaction(SIGHUP, &sa, NULL);
        if (fh_sensor_run(s, &stop_flag, &reload_flag, &err) == FH_OK)
            status = FH_EXIT_OK;
        else
            fprintf(stderr, "fenghuo sensor: %s\n", err.data ? err.data : "failed");
    }
    fh_sensor_free(s);
    fh_buf_cleanup(&err);
    if (out != stdout)
        fclose(out);
done:
    fh_sensor_groups_cleanup(&groups);
    free(flows);
    free(follows);
    free(enforced);
    free(pcaps);
    free(indicators);
    return status;
}
