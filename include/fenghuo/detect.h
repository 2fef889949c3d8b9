/*
 * Detection for the sensor: volumetric attacks per protected destination
 * (floods and amplification, with a fingerprint and a lifecycle), scans by
 * threshold random walk per source, and brute force against authentication
 * services.
 *
 * Time is the packets' time (microseconds), so a capture file always gives
 * the same events. The per-packet function does not allocate: every table is
 * sized at creation, and each has a stated policy when it is full (counted in
 * the stats). Events are handed to a callback as jansson objects; emitting an
 * event is rare and may allocate.
 *
 * One fh_detect is used by one thread.
 */
#ifndef FENGHUO_DETECT_H
#define FENGHUO_DETECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"
#include "fenghuo/match.h"
#include "fenghuo/net.h"

/* Traffic categories counted per destination and per second. */
typedef enum fh_detect_cat {
    FH_CAT_SYN = 0,   /* TCP SYN without ACK */
    FH_CAT_ACK,       /* TCP ACK without SYN, FIN, RST, PSH or payload */
    FH_CAT_TCP_OTHER, /* other TCP */
    FH_CAT_UDP,       /* UDP not from an amplification port */
    FH_CAT_AMP,       /* UDP from a known amplification source port */
    FH_CAT_ICMP,      /* ICMP and ICMPv6 */
    FH_CAT_FRAG,      /* non-first IP fragments */
    FH_CAT__COUNT
} fh_detect_cat;

typedef struct fh_detect_config {
    /* Floods: a category is an attack when its rate reaches
     * max(floor, baseline_factor x its EWMA baseline) in packets or bits per
     * second, estimated over a sliding 1-second window. */
    uint32_t floor_pps[FH_CAT__COUNT];
    uint64_t floor_bps[FH_CAT__COUNT];
    double baseline_factor; /* default 5 */
    double ewma_alpha;      /* weight of the newest second, default 0.1 */
    unsigned end_quiet_s;   /* seconds below threshold that end an attack (default 10) */
    unsigned update_s;      /* seconds between attack_update events (default 5) */
    size_t max_hosts;       /* destinations tracked (default 262144) */
    size_t max_attacks;     /* attacks tracked at once (default 4096) */
    /* Scans: threshold random walk (Jung et al., IEEE S&P 2004). */
    double trw_theta0;      /* P(success) of a benign source's first contact, 0.8 */
    double trw_theta1;      /* P(success) of a scanner's, 0.2 */
    double trw_pd;          /* wanted detection probability, 0.99 */
    double trw_pf;          /* tolerated false-positive probability, 0.01 */
    unsigned trw_timeout_s; /* an unanswered SYN counts as failed after this (3) */
    size_t max_sources;     /* scan-tracked sources (default 65536) */
    size_t max_pending;     /* unanswered first contacts tracked (default 262144) */
    /* Brute force: this many new connections from one source to one service
     * of one destination within the window (defaults 20 in 60 s). */
    unsigned bf_threshold;
    unsigned bf_window_s;
    size_t max_bf; /* (source, service) pairs tracked (default 65536) */
} fh_detect_config;

/* Fills c with the defaults above; floors: 10,000 pps or 100 Mbit/s for
 * every category but fragments (1,000 pps, 10 Mbit/s). */
void fh_detect_config_init(fh_detect_config *c);

const char *fh_detect_cat_name(fh_detect_cat c);

typedef struct fh_detect_stats {
    uint64_t packets;
    uint64_t packets_to_protected;
    uint64_t hosts_tracked;
    uint64_t hosts_table_full;   /* packets whose destination could not be tracked */
    uint64_t attacks_table_full; /* attacks not fingerprinted: table full */
    uint64_t sources_table_full;
    uint64_t pending_table_full;
    uint64_t bf_table_full;
    uint64_t events;
} fh_detect_stats;

typedef struct fh_detect fh_detect;

/* Thresholds of one host group: floors per category. */
typedef struct fh_detect_thresholds {
    uint32_t floor_pps[FH_CAT__COUNT];
    uint64_t floor_bps[FH_CAT__COUNT];
} fh_detect_thresholds;

#define FH_DETECT_MAX_GROUPS 65535

/* Called for every event; the callee owns nothing (decref is the caller's
 * job after the call returns). */
typedef void (*fh_detect_emit_fn)(void *ctx, json_t *event);

/* FH_ERR_INVALID when the config is inconsistent (msg says which field). */
fh_err fh_detect_new(const fh_detect_config *c, fh_detect_emit_fn emit, void *ctx,
                     fh_detect **out /* OUT */, const char **msg);
void fh_detect_free(fh_detect *d);

/*
 * Per-prefix thresholds, like FastNetMon's host groups: a destination whose
 * longest matching prefix in `prefixes` has rule i + 1 uses groups[i]
 * instead of the config's floors (the baseline factor still applies). Call
 * before the first packet. The detector takes prefixes (freed with it) and
 * copies groups. FH_ERR_INVALID for more than FH_DETECT_MAX_GROUPS.
 */
fh_err fh_detect_set_groups(fh_detect *d, fh_match *prefixes, const fh_detect_thresholds *groups,
                            size_t n);

/*
 * Feeds one decoded packet seen at ts_us. dst_protected / src_protected say
 * whether each address lies in the protected networks: floods and brute force
 * are tracked for protected destinations, scans for probes of protected
 * destinations. `scale` multiplies counts (flow sampling); 1 for packets.
 */
void fh_detect_packet(fh_detect *d, const fh_pkt *p, uint64_t ts_us, bool dst_protected,
                      bool src_protected, uint32_t scale);

/*
 * A hint that p will be fed soon (with the same dst_protected): fetches into
 * the cache the entries fh_detect_packet will look up for it: the
 * destination's counters and, for a TCP SYN to a protected host, its
 * first-contact and brute-force entries and the source's scan state (the
 * answers of protected hosts, which look up a first contact, are not
 * prefetched). Nothing else changes. A caller with packets or flow records
 * queued calls it some records ahead; the lookup of a random destination in a
 * table of many misses the cache otherwise. Never fails, never allocates.
 */
void fh_detect_prefetch(const fh_detect *d, const fh_pkt *p, bool dst_protected);

/* Advances time without a packet (called by the sensor once per second of
 * packet time and at idle): ends quiet attacks, times out probes. */
void fh_detect_tick(fh_detect *d, uint64_t ts_us);

/* End of input: ends every open attack at ts_us. */
void fh_detect_flush(fh_detect *d, uint64_t ts_us);

void fh_detect_get_stats(const fh_detect *d, fh_detect_stats *st /* OUT */);

/* Formats an address of a packet (family 4 or 6) as text into out (46 bytes). */
void fh_detect_addr_str(int family, const uint8_t addr[16], char out[46]);

#endif
