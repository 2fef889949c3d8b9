/*
 * `fenghuo hub`: the TAXII 2.1 server over a data folder. Parses flags,
 * opens the store, starts lib/taxii's server and waits for SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fenghuo/store.h"
#include "fenghuo/taxii.h"

static void hub_usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo hub --data DIR [OPTIONS]\n"
            "\n"
            "Runs the TAXII 2.1 hub over the data folder DIR (created on first start: a\n"
            "SQLite database in WAL mode). Discovery is at /taxii2/, the API root at %s.\n"
            "Manage organizations, tokens and collections with 'fenghuo admin'.\n"
            "\n"
            "options:\n"
            "  --data DIR                 the data folder (required)\n"
            "  --listen ADDR:PORT         address to serve on (default 127.0.0.1:8443; port 0\n"
            "                             picks a free port, printed at start)\n"
            "  --tls-cert FILE            PEM certificate: serve HTTPS\n"
            "  --tls-key FILE             PEM private key of --tls-cert\n"
            "  --insecure-plain-http      allow plain HTTP on a non-loopback address (tokens\n"
            "                             travel in clear text; for tests behind a TLS proxy)\n"
            "  --threads N                HTTP worker threads (default: one per core)\n"
            "  --max-content-length N     largest POST body (default 16M; K/M/G suffixes)\n"
            "  --log-level LEVEL          debug, info, warn, error (default info)\n"
            "consensus (docs/SHARING.md, Trust and consensus):\n"
            "  --consensus-threshold X    score that publishes a value (default 1.5: two\n"
            "                             organizations of normal trust, or one of high trust)\n"
            "  --consensus-half-life KIND=DURATION\n"
            "                             decay of reports of KIND (address, domain, url, hash);\n"
            "                             DURATION with s, m, h or d (defaults 24h, 7d, 7d, 30d);\n"
            "                             repeatable\n"
            "  --consensus-interval SECONDS\n"
            "                             how often decayed values are withdrawn (default 10)\n"
            "  -h, --help                 show this help\n"
            "\n"
            "Plain HTTP is served on loopback addresses only, with a warning, unless\n"
            "--insecure-plain-http is given. SIGTERM or SIGINT stops the hub gracefully:\n"
            "requests in flight finish and the database is closed cleanly.\n"
            "\n"
            "exit status: 0 stopped by a signal, 2 usage error, data folder unusable, or the\n"
            "address cannot be served (e.g. the port is taken).\n",
            FH_TAXII_API_ROOT);
}

int fh_cmd_hub(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"listen", required_argument, NULL, 'l'},
                                             {"tls-cert", required_argument, NULL, 'c'},
                                             {"tls-key", required_argument, NULL, 'k'},
                                             {"insecure-plain-http", no_argument, NULL, 'P'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"max-content-length", required_argument, NULL, 'm'},
                                             {"log-level", required_argument, NULL, 'L'},
                                             {"consensus-threshold", required_argument, NULL, 'T'},
                                             {"consensus-half-life", required_argument, NULL, 'H'},
                                             {"consensus-interval", required_argument, NULL, 'I'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *data = NULL;
    fh_taxii_server_config scfg = {.listen = "127.0.0.1:8443"};
    fh_taxii_config tcfg = {0};
    fh_consensus_config ccfg;
    fh_consensus_config_init(&ccfg);
    fh_buf cerr;
    char *end = NULL;
    optind = 1;
    int c;
    int64_t v;
    fh_log_level level;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            scfg.listen = optarg;
            break;
        case 'c':
            scfg.tls_cert = optarg;
            break;
        case 'k':
            scfg.tls_key = optarg;
            break;
        case 'P':
            scfg.allow_plain_http = true;
            break;
        case 't':
            if (fh_parse_i64(optarg, 1, 256, &v) != FH_OK) {
                fprintf(stderr, "fenghuo hub: --threads takes 1 to 256, not '%s'\n", optarg);
                return FH_EXIT_USAGE;
            }
            scfg.threads = (unsigned)v;
            break;
        case 'm':
            if (fh_parse_size(optarg, (size_t)1 << 30, &tcfg.max_content_length) != FH_OK ||
                tcfg.max_content_length < 1024) {
                fprintf(stderr, "fenghuo hub: --max-content-length takes 1K to 1G, not '%s'\n",
                        optarg);
                return FH_EXIT_USAGE;
            }
            break;
        case 'L':
            if (fh_log_level_parse(optarg, &level) != FH_OK) {
                fprintf(stderr, "fenghuo hub: unknown --log-level '%s'\n", optarg);
                return FH_EXIT_USAGE;
            }
            fh_log_set_level(level);
            break;
        case 'T':
            ccfg.threshold = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(ccfg.threshold >= 0.01) ||
                !(ccfg.threshold <= 1000)) {
                fprintf(stderr, "fenghuo hub: --consensus-threshold takes 0.01 to 1000, not '%s'\n",
                        optarg);
                return FH_EXIT_USAGE;
            }
            break;
        case 'H':
            fh_buf_init(&cerr, 0);
            if (fh_consensus_parse_half_life(&ccfg, optarg, &cerr) != FH_OK) {
                fprintf(stderr, "fenghuo hub: --consensus-half-life %s\n", cerr.data);
                fh_buf_cleanup(&cerr);
                return FH_EXIT_USAGE;
            }
            fh_buf_cleanup(&cerr);
            break;
        case 'I':
            if (fh_parse_i64(optarg, 1, 86400, &v) != FH_OK) {
                fprintf(stderr, "fenghuo hub: --consensus-interval takes 1 to 86400, not '%s'\n",
                        optarg);
                return FH_EXIT_USAGE;
            }
            ccfg.interval_s = (unsigned)v;
            break;
        case 'h':
            hub_usage(stdout);
            return FH_EXIT_OK;
        default:
            hub_usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    if (data == NULL || optind != argc) {
        fprintf(stderr, "fenghuo hub: %s; see 'fenghuo hub --help'\n",
                data == NULL ? "--data DIR is required" : "unexpected arguments");
        return FH_EXIT_USAGE;
    }
    bool loopback = false;
    if (fh_taxii_listen_parse(scfg.listen, &loopback) != FH_OK) {
        fprintf(stderr, "fenghuo hub: --listen '%s' is not ADDR:PORT with a numeric address\n",
                scfg.listen);
        return FH_EXIT_USAGE;
    }

    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and only sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    fh_buf err;
    fh_buf_init(&err, 0);
    fh_store *store = NULL;
    fh_err rc = fh_store_open(data, 0, &store, &err);
    if (rc) {
        fprintf(stderr, "fenghuo hub: data folder unusable: %s\n",
                err.data ? err.data : fh_strerror(rc));
        fh_buf_cleanup(&err);
        return FH_EXIT_USAGE;
    }
    fh_taxii_hub *hub = fh_taxii_hub_new(store, &tcfg);
    rc = fh_taxii_hub_start_consensus(hub, &ccfg);
    if (rc) {
        fprintf(stderr, "fenghuo hub: cannot start consensus: %s\n", fh_strerror(rc));
        fh_buf_cleanup(&err);
        fh_taxii_hub_free(hub);
        fh_store_close(store);
        return FH_EXIT_USAGE;
    }
    fh_taxii_server *srv = NULL;
    rc = fh_taxii_server_start(hub, &scfg, &srv, &err);
    if (rc) {
        fprintf(stderr, "fenghuo hub: %s\n", err.data ? err.data : fh_strerror(rc));
        fh_buf_cleanup(&err);
        fh_taxii_hub_free(hub);
        fh_store_close(store);
        return FH_EXIT_USAGE;
    }
    fh_buf_cleanup(&err);
    if (geteuid() == 0)
        fh_warn("hub", "running as root: the hub needs no privileges; run it as an "
                       "unprivileged user that owns the data folder");
    bool tls = scfg.tls_cert != NULL;
    if (!tls)
        fh_warn("hub", "serving plain HTTP: tokens travel in clear text%s",
                loopback ? " (loopback only)" : "");
    /* The address line goes to stdout so scripts (and tests) can read the
     * port when --listen asked for port 0. */
    char host[80];
    snprintf(host, sizeof host, "%s", scfg.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    printf("fenghuo hub: listening on %s://%s:%u%s (discovery %s://%s:%u/taxii2/)\n",
           tls ? "https" : "http", host, fh_taxii_server_port(srv), FH_TAXII_API_ROOT,
           tls ? "https" : "http", host, fh_taxii_server_port(srv));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    fh_info("hub", "%s received; stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    fh_taxii_server_stop(srv);
    fh_taxii_hub_free(hub);
    fh_store_close(store);
    fh_info("hub", "stopped; the database is closed");
    return FH_EXIT_OK;
}
