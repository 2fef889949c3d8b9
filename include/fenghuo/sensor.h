/*
 * The sensor's pipeline: packets from capture files or a live interface are
 * decoded (lib/net), matched against indicators (lib/match), fed to the
 * detectors (lib/detect), and the results are written as JSON lines events
 * (docs/EVENTS.md).
 *
 * One fh_sensor is driven by one thread (the one that calls fh_sensor_run).
 * With config.workers > 1 it starts that many worker threads which decode and
 * match packets and hand what they found to the calling thread, which does
 * the detection and writes the events (docs/sensor.md, "Workers"). Packet
 * time drives detection when reading files, so the same file always gives
 * the same events, with any number of workers (apart from the attack ids,
 * which are random, and the stats' wall-clock and per-worker figures).
 */
#ifndef FENGHUO_SENSOR_H
#define FENGHUO_SENSOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fenghuo/detect.h"
#include "fenghuo/err.h"
#include "fenghuo/match.h"
#include "fenghuo/util.h"

typedef struct fh_sensor_config {
    fh_detect_config detect;
    unsigned match_interval_s;  /* an indicator_match key is re-reported at most this often (60) */
    size_t max_match_keys;      /* (indicator, where, src, dst) keys tracked (65536) */
    size_t max_indicator_bytes; /* largest indicator file (256 MiB) */
    int snaplen;                /* live capture: bytes kept per packet (65535) */
    int buffer_mib;             /* live capture: kernel ring size (64) */
    const char *bpf;            /* live capture: optional filter */
    fh_tls_reasm_config tls_reasm; /* ClientHello reassembly (net.h; docs/sensor.md) */
    unsigned workers;              /* decoding and matching threads, 1..FH_SENSOR_MAX_WORKERS (1) */
    const char *cpus; /* workers > 1: CPUs to pin worker i to (the i-th, cycling), "0,2-3"; NULL */
    char cpus_text[128]; /* the config file's cpus value: cpus points here when it came from
                            the file (read by fh_sensor_new only; a copy of the struct keeps
                            pointing at this one) */
} fh_sensor_config;

/* Most workers: a live capture opens one socket and ring per worker. */
#define FH_SENSOR_MAX_WORKERS 64

/* Parses a CPU list ("0,2-3": numbers and ranges, at most
 * FH_SENSOR_MAX_WORKERS CPUs) into cpus[] (room for FH_SENSOR_MAX_WORKERS).
 * what names the setting in the message ("--cpus"). FH_ERR_USAGE when bad. */
fh_err fh_sensor_parse_cpus(const char *list, const char *what, int *cpus, size_t *n /* OUT */,
                            fh_buf *err);

void fh_sensor_config_init(fh_sensor_config *c);

/* Host groups read from a config file: prefixes with their own thresholds. */
typedef struct fh_sensor_groups {
    fh_match_builder *prefixes; /* rule = group index + 1 */
    fh_detect_thresholds *thresholds;
    char **names;
    size_t count;
} fh_sensor_groups;

void fh_sensor_groups_cleanup(fh_sensor_groups *g);

/*
 * Reads a sensor config file (docs/sensor.md, "Config file") into cfg (over
 * what it holds) and groups (empty before the call). Every unknown key, bad
 * value or prefix is an error naming FILE:LINE.
 */
fh_err fh_sensor_config_load(fh_sensor_config *cfg, fh_sensor_groups *groups, const char *path,
                             fh_buf *err);

typedef struct fh_sensor fh_sensor;

/*
 * Blocks the sensor's own detections (scanners, brute-forcers) in the
 * nftables table `table` for ttl_s seconds, and the addresses of the
 * enforced collections (fh_sensor_follow_config.enforced) until their
 * valid_until (those without one: a timeout of ttl_s, renewed while the
 * sensor runs), through a privileged helper process forked now (call as
 * root, before fh_sensor_drop_privileges and fh_sensor_run). Never blocked:
 * the protected networks (the --networks list), allow (a comma-separated
 * list of addresses and prefixes, or NULL) and, unless no_default_allow, the
 * default allowlist of `fenghuo enforce`. dry_run: the helper prints
 * transactions to stderr. FH_ERR_USAGE for a bad allow list or table name.
 */
fh_err fh_sensor_set_enforce(fh_sensor *s, const char *networks, const char *allow,
                             bool no_default_allow, const char *table, bool dry_run, unsigned ttl_s,
                             fh_buf *err);

/* Hands the groups to the detector (groups is emptied). */
fh_err fh_sensor_set_groups(fh_sensor *s, fh_sensor_groups *groups, fh_buf *err);

/* events: where JSON lines go (the sensor does not close it). err receives a
 * message on failure. */
fh_err fh_sensor_new(const fh_sensor_config *c, FILE *events, fh_sensor **out /* OUT */,
                     fh_buf *err);
void fh_sensor_free(fh_sensor *s);

/* The protected networks: "198.18.0.0/15,2001:db8::/32". */
fh_err fh_sensor_set_networks(fh_sensor *s, const char *list, fh_buf *err);

/*
 * Loads indicator files (STIX bundle/envelope/array/object, or a plain list:
 * one IP, CIDR or domain per line, '#' comments) into a new matcher and swaps
 * it in. On failure the old matcher stays. Files are remembered for
 * fh_sensor_reload. Prints a summary line to the log.
 */
fh_err fh_sensor_load_indicators(fh_sensor *s, const char *const *files, size_t n, fh_buf *err);
fh_err fh_sensor_reload(fh_sensor *s, fh_buf *err);

/* Opens capture files (all before any is read, so privileges can be dropped
 * in between). */
fh_err fh_sensor_open_files(fh_sensor *s, const char *const *files, size_t n, fh_buf *err);
/* Listens for flow records (NetFlow v5/v9, IPFIX, sFlow v5: the version is
 * read from each datagram) on UDP "ADDRESS:PORT" or "[ADDRESS6]:PORT".
 * Flows run on this host's clock: they cannot be mixed with capture files,
 * only with one live interface. */
fh_err fh_sensor_open_flow(fh_sensor *s, const char *listen, fh_buf *err);

/* Opens a live interface: one capture handle per worker, joined in one
 * PACKET_FANOUT group (hash of the flow) when there are several. */
fh_err fh_sensor_open_live(fh_sensor *s, const char *iface, fh_buf *err);

/* Drops root to `user` (setgroups, setgid, setuid) and checks that root
 * cannot be regained. The n paths in own (the spool folder) are given to the
 * user first, so it can still write there. Does nothing when not root. */
fh_err fh_sensor_drop_privileges(const char *user, const char *const *own, size_t n, fh_buf *err);

/* Reporting sightings and indicators to a hub (docs/sensor.md, "Reporting"). */
typedef struct fh_sensor_report_config {
    const char *hub; /* a TAXII server or API root URL */
    const char *token;
    const char *collection;    /* collection id to post to */
    const char *identity;      /* identity--… of the sensor's organization, or NULL */
    const char *cacert;        /* PEM CA file for the hub's certificate, or NULL */
    bool insecure;             /* do not verify the certificate (tests only) */
    const char *spool;         /* folder for batches not yet stored (created 0700) */
    const char *sighting_tlp;  /* marking-definition id; NULL: TLP:AMBER */
    const char *indicator_tlp; /* NULL: TLP:GREEN */
    unsigned valid_days;       /* valid_until of reported indicators (default 7) */
    unsigned wait_s;           /* at the end, post for at most this long (default 30) */
    /* Comma-separated prefixes (the --networks list) that the reporter
     * declares as its organization's networks on the hub before its first
     * post, so the hub pseudonymizes the victims in them; NULL: declare
     * nothing (--no-declare-networks). */
    const char *declare_networks;
} fh_sensor_report_config;

void fh_sensor_report_config_init(fh_sensor_report_config *c);

/* Following indicator collections on the hub (docs/sensor.md, "Following"). */
typedef struct fh_sensor_follow_config {
    const char *hub;
    const char *token;
    const char *cacert;
    bool insecure;
    const char *const *collections; /* matched only */
    size_t n_collections;
    /* Matched and blocked (with fh_sensor_set_enforce): the exact addresses
     * and prefixes of their indicators are kept in the nftables sets. A
     * collection named in both lists is enforced. */
    const char *const *enforced;
    size_t n_enforced;
    unsigned interval_s; /* seconds between polls (default 5) */
    size_t max_objects;  /* indicators kept from the hub (default 10,000,000) */
} fh_sensor_follow_config;

/* Starts following (the first poll happens in fh_sensor_run's thread start;
 * a capture-file run polls once before reading the files). */
fh_err fh_sensor_set_follow(fh_sensor *s, const fh_sensor_follow_config *c, fh_buf *err);

/* Connects to the hub (discovery) and opens the spool. Call before
 * fh_sensor_drop_privileges (give it the spool to own). */
fh_err fh_sensor_set_report(fh_sensor *s, const fh_sensor_report_config *c, fh_buf *err);

/* Reads what was opened until the end of the files or until stop is set;
 * reload is checked between packets (SIGHUP). Ends every open attack, then
 * writes the stats event. */
fh_err fh_sensor_run(fh_sensor *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                     fh_buf *err);

#endif
