/*
 * Flow-record collection for the sensor: NetFlow v5, NetFlow v9 (RFC 3954),
 * IPFIX (RFC 7011) and sFlow v5 datagrams are decoded into one record type
 * that the detectors and the matcher can use (fh_flow_record_to_pkt).
 *
 * A collector holds what the protocols make stateful: NetFlow v9 and IPFIX
 * templates per (exporter address, source id / observation domain, template
 * id), sampling rates learnt from options data, sequence numbers per exporter
 * for loss estimates, and counters of every anomaly met. It is not a socket
 * reader: the caller receives UDP datagrams and hands each one over with the
 * address it came from. Every size that comes from input is bounded by a
 * named limit; malformed input is counted, never asserted on.
 *
 * One fh_flow_collector is used by one thread.
 */
#ifndef FENGHUO_FLOW_H
#define FENGHUO_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fenghuo/err.h"
#include "fenghuo/net.h"

/* ---- protocols and anomalies -------------------------------------------- */

typedef enum fh_flow_proto {
    FH_FLOW_NETFLOW5 = 0,
    FH_FLOW_NETFLOW9,
    FH_FLOW_IPFIX,
    FH_FLOW_SFLOW5,
    FH_FLOW_PROTO__COUNT
} fh_flow_proto;

/* "netflow5", "netflow9", "ipfix", "sflow5". */
const char *fh_flow_proto_name(fh_flow_proto p);

typedef enum fh_flow_anomaly {
    FH_FLOW_ANOM_NONE = 0,
    FH_FLOW_ANOM_TRUNCATED_HEADER,   /* shorter than the datagram header */
    FH_FLOW_ANOM_BAD_VERSION,        /* not 5, 9, 10 or sFlow 5 */
    FH_FLOW_ANOM_BAD_LENGTH,         /* header length or count disagrees with the datagram */
    FH_FLOW_ANOM_BAD_SET_LENGTH,     /* (flow)set length below 4 or past the datagram */
    FH_FLOW_ANOM_RESERVED_SET,       /* set id 2..255 (v9) or 4..255 (IPFIX): skipped */
    FH_FLOW_ANOM_RECORD_PAST_END,    /* a record or variable-length field runs past its set */
    FH_FLOW_ANOM_NO_TEMPLATE,        /* data set whose template is unknown: dropped */
    FH_FLOW_ANOM_TEMPLATE_MALFORMED, /* template id < 256, fields past the set, empty record */
    FH_FLOW_ANOM_TEMPLATE_TOO_MANY_FIELDS, /* limit max_template_fields */
    FH_FLOW_ANOM_TEMPLATE_TOO_LONG,        /* limit max_record_len */
    FH_FLOW_ANOM_TEMPLATE_TABLE_FULL,      /* limit max_templates */
    FH_FLOW_ANOM_TEMPLATE_EXPIRED,         /* data for a template older than template_timeout_s */
    FH_FLOW_ANOM_TEMPLATE_REDEFINED,       /* IPFIX template replaced without a withdrawal */
    FH_FLOW_ANOM_BAD_FIELD_LENGTH,         /* an address or counter field of an impossible size */
    FH_FLOW_ANOM_EXPORTER_TABLE_FULL,      /* limit max_exporters: no statistics or sampling kept */
    FH_FLOW_ANOM_SEQUENCE_RESET,           /* sequence number went backwards (restart, reorder) */
    FH_FLOW_ANOM_SFLOW_BAD_AGENT,          /* agent address type neither 1 (IPv4) nor 2 (IPv6) */
    FH_FLOW_ANOM_SFLOW_BAD_SAMPLE,         /* sample or record length past its container */
    FH_FLOW_ANOM_SFLOW_UNKNOWN_HEADER,     /* raw header of a protocol other than Ethernet/IP */
    FH_FLOW_ANOM_SAMPLED_PACKET,           /* the sampled packet header had a packet anomaly */
    FH_FLOW_ANOM__COUNT
} fh_flow_anomaly;

/* Short stable name, e.g. "no_template". */
const char *fh_flow_anomaly_name(fh_flow_anomaly a);

/* ---- addresses ----------------------------------------------------------- */

typedef struct fh_flow_addr {
    uint8_t family;   /* 4, 6, or 0 when unknown */
    uint8_t addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
} fh_flow_addr;

/* From a socket address (AF_INET, AF_INET6; IPv4-mapped IPv6 becomes IPv4).
 * Other families give family 0. */
void fh_flow_addr_from_sockaddr(const struct sockaddr *sa, fh_flow_addr *out /* OUT */);
/* From 4 or 16 bytes; family must be 4 or 6. */
void fh_flow_addr_set(fh_flow_addr *a, int family, const uint8_t *bytes);

/* ---- limits -------------------------------------------------------------- */

typedef struct fh_flow_limits {
    size_t max_templates;        /* templates cached over all exporters (4096) */
    size_t max_template_fields;  /* fields in one template (128) */
    size_t max_record_len;       /* bytes of one record, minimum size (8192) */
    size_t max_exporters;        /* (exporter, domain) statistics entries (1024) */
    unsigned template_timeout_s; /* a template not refreshed for this long is dropped (1800) */
    uint32_t default_sampling;   /* rate when the exporter says none (1) */
} fh_flow_limits;

void fh_flow_limits_init(fh_flow_limits *l);

/* ---- records ------------------------------------------------------------- */

/*
 * One flow (NetFlow, IPFIX) or one sampled packet (sFlow). Counts are as the
 * exporter sent them, not yet multiplied by sampling_rate. Times are
 * microseconds since the epoch, computed from the exporter's clock (export
 * time and sysUpTime); an sFlow sample has no time of its own and takes the
 * arrival time `now_us`. Valid only during the callback: pkt.payload points
 * into the datagram.
 */
typedef struct fh_flow_record {
    fh_flow_proto proto;
    uint8_t ip_version; /* 4, 6, or 0 when the record has no IP addresses */
    uint8_t ip_proto;   /* IPPROTO_* */
    uint8_t tcp_flags;  /* OR of the flow's packets' flags */
    uint8_t tos;
    uint8_t src[16]; /* IPv4 in the first 4 bytes */
    uint8_t dst[16];
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code;
    uint64_t packets;
    uint64_t bytes;
    uint64_t start_us, end_us;
    uint32_t sampling_rate; /* 1 in N packets; >= 1 */
    uint32_t input_if, output_if;
    fh_flow_addr exporter; /* where the datagram came from */
    fh_flow_addr agent;    /* sFlow agent address; the exporter otherwise */
    uint32_t domain_id;    /* v9 source id, IPFIX observation domain, sFlow sub-agent,
                              v5 engine type << 8 | engine id */
    uint16_t template_id;  /* v9/IPFIX */
    bool has_pkt;          /* sFlow raw packet header: pkt holds the decoded packet */
    fh_pkt pkt;
} fh_flow_record;

typedef void (*fh_flow_record_fn)(void *ctx, const fh_flow_record *r);

/*
 * What the detectors need from a record: a packet-like view and how many
 * packets it stands for. For an sFlow sample this is the sampled packet and
 * the sampling rate. For a flow, pkt carries the addresses, ports, protocol,
 * OR-ed TCP flags and the average packet size (wire_len), and *scale is
 * packets x sampling_rate (saturated at UINT32_MAX). *ts_us is the flow's end
 * time. Returns false when the record has no IP addresses (nothing to feed).
 */
bool fh_flow_record_to_pkt(const fh_flow_record *r, fh_pkt *pkt /* OUT */,
                           uint32_t *scale /* OUT */, uint64_t *ts_us /* OUT */);

/*
 * The flow's packets per second of its own duration, times the sampling rate
 * (at least 1): a flow of 60 s with 600,000 packets gives 10,000. Feeding
 * fh_detect_packet with this scale instead of the whole count keeps per-second
 * rates right when an exporter reports long flows at once (docs/FLOWS.md).
 */
uint32_t fh_flow_record_rate_scale(const fh_flow_record *r);

/* ---- collector ----------------------------------------------------------- */

typedef struct fh_flow_collector fh_flow_collector;

/* limits may be NULL for the defaults. FH_ERR_INVALID when a limit is zero
 * (msg says which). */
fh_err fh_flow_collector_new(const fh_flow_limits *limits, fh_flow_collector **out /* OUT */,
                             const char **msg);
void fh_flow_collector_free(fh_flow_collector *c);

/*
 * Decodes one UDP payload that came from `exporter`. The version is detected
 * from the first bytes: 00 05 NetFlow v5, 00 09 NetFlow v9, 00 0a IPFIX,
 * 00 00 00 05 sFlow v5 (an sFlow datagram starts with a 32-bit version, so
 * its first two bytes are zero). Calls fn once per flow record or sFlow
 * sample (options data records update the collector and are not passed on).
 * now_us is the arrival time: template expiry and sFlow sample times use it.
 * Returns FH_OK when the datagram was decoded (possibly with anomalies that
 * dropped some records: see the stats), FH_ERR_PARSE when it was dropped
 * whole (too short, unknown version, bad header). Never allocates except when
 * learning a template. fn must not call into c.
 */
fh_err fh_flow_decode(fh_flow_collector *c, const fh_flow_addr *exporter, const uint8_t *data,
                      size_t len, uint64_t now_us, fh_flow_record_fn fn, void *ctx);

/*
 * The same decoding, with the records handed over in batches: fn gets
 * 1..FH_FLOW_BATCH_MAX consecutive records at a time, in the order
 * fh_flow_decode would give them one by one, and every record of the
 * datagram has been delivered when this returns (a batch never spans two
 * datagrams). A caller that feeds the detectors uses a batch to fetch the
 * detectors' state of later records while it works on earlier ones
 * (fh_detect_prefetch). The records are valid only during the call, like
 * fh_flow_decode's. Same return codes; fn must not call into c.
 */
#define FH_FLOW_BATCH_MAX 32
typedef void (*fh_flow_batch_fn)(void *ctx, const fh_flow_record *recs, size_t n);
fh_err fh_flow_decode_batch(fh_flow_collector *c, const fh_flow_addr *exporter, const uint8_t *data,
                            size_t len, uint64_t now_us, fh_flow_batch_fn fn, void *ctx);

/* Drops templates not refreshed within template_timeout_s of now_us. Decoding
 * does this lazily too; call it from an idle tick to free memory. */
void fh_flow_collector_expire(fh_flow_collector *c, uint64_t now_us);

/* ---- statistics ---------------------------------------------------------- */

typedef struct fh_flow_stats {
    uint64_t datagrams[FH_FLOW_PROTO__COUNT];
    uint64_t records[FH_FLOW_PROTO__COUNT]; /* passed to the callback */
    uint64_t dropped_datagrams;             /* not decoded at all */
    uint64_t options_records;               /* v9/IPFIX options data records read */
    uint64_t templates_learned;
    uint64_t templates_withdrawn;
    uint64_t templates_expired;
    uint64_t templates_active;
    uint64_t enterprise_fields_skipped;
    uint64_t sflow_counter_samples; /* read and skipped */
    uint64_t sflow_skipped_records; /* flow records of unknown formats skipped */
    uint64_t exporters;
    uint64_t anomalies[FH_FLOW_ANOM__COUNT];
} fh_flow_stats;

void fh_flow_collector_get_stats(const fh_flow_collector *c, fh_flow_stats *st /* OUT */);

/*
 * Per (exporter address, protocol, domain): NetFlow v5 uses engine type/id,
 * v9 its source id, IPFIX its observation domain, sFlow its sub-agent id.
 * `lost` is the sequence-number estimate of what never arrived, in the unit
 * the protocol numbers: flows for v5, datagrams for v9 and sFlow, data
 * records for IPFIX.
 */
typedef struct fh_flow_exporter_stats {
    fh_flow_addr addr;
    fh_flow_proto proto;
    uint32_t domain_id;
    uint64_t datagrams;
    uint64_t records;
    uint64_t lost;
    uint64_t sequence_gaps; /* times a gap was seen */
    uint64_t sflow_drops;   /* sFlow: samples the agent dropped */
    uint32_t sampling_rate; /* learnt from options data or headers; 0 unknown */
    uint64_t last_us;       /* arrival time of the last datagram */
    uint64_t anomalies[FH_FLOW_ANOM__COUNT];
} fh_flow_exporter_stats;

typedef void (*fh_flow_exporter_fn)(void *ctx, const fh_flow_exporter_stats *st);

/* Calls fn for every exporter entry, in no particular order. */
void fh_flow_collector_foreach_exporter(const fh_flow_collector *c, fh_flow_exporter_fn fn,
                                        void *ctx);

/* The entry of one (exporter, protocol, domain); FH_ERR_NOTFOUND if none. */
fh_err fh_flow_collector_exporter(const fh_flow_collector *c, const fh_flow_addr *addr,
                                  fh_flow_proto proto, uint32_t domain_id,
                                  fh_flow_exporter_stats *st /* OUT */);

#endif
