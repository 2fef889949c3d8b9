/*
 * Packet decoding for the sensor: link layer (Ethernet, 802.1Q/QinQ, Linux
 * cooked capture, raw IP), IPv4 (options, fragments), IPv6 (extension
 * headers, fragments), TCP, UDP, ICMP and ICMPv6, and the application fields
 * the matcher needs: DNS names, TLS ClientHello SNI, HTTP Host.
 *
 * The packet path does not allocate: decoders fill caller-owned structs and
 * point into the packet's bytes. Malformed input is never asserted on; it is
 * recorded as an anomaly of a named kind, counted by the caller, and decoding
 * stops at the layer that failed.
 */
#ifndef FENGHUO_NET_H
#define FENGHUO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

/* ---- anomalies ---------------------------------------------------------- */

typedef enum fh_anomaly {
    FH_ANOM_NONE = 0,
    FH_ANOM_LINK_TRUNCATED,     /* shorter than the link header */
    FH_ANOM_LINK_UNKNOWN,       /* unknown link type (not counted as IP) */
    FH_ANOM_VLAN_TRUNCATED,     /* 802.1Q tag cut short */
    FH_ANOM_VLAN_TOO_DEEP,      /* more than FH_NET_MAX_VLAN tags */
    FH_ANOM_IPV4_TRUNCATED,     /* shorter than the IPv4 header or its IHL */
    FH_ANOM_IPV4_BAD_IHL,       /* IHL below 5 */
    FH_ANOM_IPV4_BAD_LENGTH,    /* total length below the header length */
    FH_ANOM_IPV4_BAD_OPTION,    /* an option runs past the header */
    FH_ANOM_IPV4_BAD_VERSION,   /* EtherType says IPv4, version nibble disagrees */
    FH_ANOM_IPV6_TRUNCATED,     /* shorter than the fixed IPv6 header */
    FH_ANOM_IPV6_BAD_VERSION,   /* EtherType says IPv6, version nibble disagrees */
    FH_ANOM_IPV6_EXT_TRUNCATED, /* an extension header runs past the packet */
    FH_ANOM_IPV6_EXT_TOO_MANY,  /* more than FH_NET_MAX_IPV6_EXT extension headers */
    FH_ANOM_TCP_TRUNCATED,      /* shorter than 20 bytes or its data offset */
    FH_ANOM_TCP_BAD_OFFSET,     /* data offset below 5 */
    FH_ANOM_UDP_TRUNCATED,      /* shorter than 8 bytes */
    FH_ANOM_UDP_BAD_LENGTH,     /* length field below 8 or past the IP payload */
    FH_ANOM_ICMP_TRUNCATED,     /* shorter than 4 bytes */
    FH_ANOM_DNS_MALFORMED,      /* DNS message that does not parse */
    FH_ANOM_DNS_NAME_LOOP,      /* compression pointers that loop or go forward */
    FH_ANOM_DNS_NAME_TOO_LONG,  /* name over 255 bytes or a label over 63 */
    FH_ANOM_TLS_MALFORMED,      /* ClientHello with lengths that do not add up */
    FH_ANOM_HTTP_MALFORMED,     /* request line or Host header that does not parse */
    FH_ANOM__COUNT
} fh_anomaly;

/* Short stable name of an anomaly kind, e.g. "ipv4_truncated". */
const char *fh_anomaly_name(fh_anomaly a);

/* ---- link types -------------------------------------------------------- */

/* Values are libpcap's DLT_ numbers, so a pcap handle's datalink() is used
 * as it is. */
typedef enum fh_link_type {
    FH_LINK_ETHERNET = 1,   /* DLT_EN10MB */
    FH_LINK_RAW = 12,       /* DLT_RAW (Linux value; also 14 and 101) */
    FH_LINK_LINUX_SLL = 113 /* DLT_LINUX_SLL ("any" interface) */
} fh_link_type;

#define FH_NET_MAX_VLAN     2 /* QinQ: outer and inner tag */
#define FH_NET_MAX_IPV6_EXT 8 /* extension headers followed before giving up */

/* ---- decoded packet ---------------------------------------------------- */

#define FH_TCP_FIN 0x01
#define FH_TCP_SYN 0x02
#define FH_TCP_RST 0x04
#define FH_TCP_PSH 0x08
#define FH_TCP_ACK 0x10
#define FH_TCP_URG 0x20

typedef struct fh_pkt {
    uint32_t cap_len;   /* bytes captured */
    uint32_t wire_len;  /* bytes on the wire (>= cap_len) */
    fh_anomaly anomaly; /* the first problem met, FH_ANOM_NONE if none */
    uint8_t vlan_count;
    uint16_t vlan[FH_NET_MAX_VLAN];
    uint8_t ip_version; /* 0 (not IP), 4 or 6 */
    uint8_t proto;      /* IPPROTO_* of the transport, after IPv6 ext headers */
    uint8_t ttl;        /* TTL or hop limit */
    uint8_t tcp_flags;
    bool fragment;        /* part of a fragmented datagram */
    bool first_fragment;  /* offset 0 (transport header present) */
    uint16_t frag_offset; /* in bytes */
    uint32_t frag_id;
    uint16_t ip_total_len; /* IPv4 total length / IPv6 40 + payload length */
    uint8_t src[16];       /* IPv4 in the first 4 bytes */
    uint8_t dst[16];
    uint16_t sport, dport; /* TCP/UDP ports, host order */
    uint32_t tcp_seq;      /* TCP sequence number (of the SYN itself when SYN is set) */
    uint8_t icmp_type, icmp_code;
    const uint8_t *payload; /* transport payload (captured part), may be NULL */
    uint32_t payload_len;
} fh_pkt;

/*
 * Decodes one packet of link type `link`. Fills *pkt (always: a packet that
 * fails early has ip_version 0 and an anomaly). data must stay valid while
 * pkt->payload is used. Returns the anomaly (FH_ANOM_NONE when clean).
 * Never allocates; thread-safe.
 */
fh_anomaly fh_net_decode(fh_link_type link, const uint8_t *data, uint32_t cap_len,
                         uint32_t wire_len, fh_pkt *pkt /* OUT */);

/* ---- application fields ------------------------------------------------ */

#define FH_DNS_NAME_MAX    255 /* presentation form without the trailing dot */
#define FH_DNS_MAX_ANSWERS 16

typedef struct fh_dns_answer {
    uint16_t type; /* 1 A, 28 AAAA, 5 CNAME, ... */
    uint32_t ttl;
    uint8_t addr[16];               /* A (4 bytes) or AAAA */
    char name[FH_DNS_NAME_MAX + 1]; /* CNAME target */
} fh_dns_answer;

typedef struct fh_dns_msg {
    uint16_t id;
    bool response;
    uint8_t opcode;
    uint8_t rcode;
    uint16_t qdcount, ancount;
    char qname[FH_DNS_NAME_MAX + 1]; /* the first question, lower case, no trailing dot */
    uint16_t qtype;
    uint16_t qclass;
    uint8_t n_answers; /* answers kept (A, AAAA, CNAME) */
    fh_dns_answer answers[FH_DNS_MAX_ANSWERS];
} fh_dns_msg;

/* Parses a DNS message (UDP payload; for TCP, skip the 2-byte length first).
 * Returns FH_ANOM_NONE or the anomaly. Names are lower-cased; bytes outside
 * printable ASCII are escaped as \DDD, as in zone files. */
fh_anomaly fh_dns_parse(const uint8_t *data, size_t len, fh_dns_msg *msg /* OUT */);

#define FH_TLS_SNI_MAX 255

/* Finds the server_name of a TLS ClientHello at the start of a TCP payload.
 * Returns FH_ANOM_NONE and a lower-case name in sni (NUL-terminated) when one
 * is present; *found says whether it was. Not a ClientHello: FH_ANOM_NONE and
 * *found false. Truncated or inconsistent: FH_ANOM_TLS_MALFORMED. */
fh_anomaly fh_tls_sni(const uint8_t *data, size_t len, char sni[FH_TLS_SNI_MAX + 1],
                      bool *found /* OUT */);

/* ---- TLS ClientHello reassembly ----------------------------------------- */

/*
 * A ClientHello longer than one TCP segment (post-quantum key shares make
 * browsers' hellos about 1.8 KB; a small MSS splits even short ones) is
 * collected across the segments of its connection, client to server, and
 * its server_name parsed by fh_tls_sni once it is whole. It also joins a
 * hello spread over several TLS records.
 *
 * The table is a fixed set of slots, each with its own buffer, allocated by
 * fh_tls_reasm_new: the packet path neither allocates nor locks. One table
 * belongs to one thread (one per sensor pipeline or worker).
 *
 * Segments are taken in sequence order. A retransmission of bytes already
 * held is ignored; one range of bytes that arrives ahead of a hole is held
 * until the hole fills; a second hole drops the entry (a gap). Time is the
 * packets' time, so a capture file always gives the same result. When the
 * table is full the entry idle longest is evicted for the new one.
 */

#define FH_TLS_REASM_DEFAULT_FLOWS      1024  /* ClientHellos being reassembled at once */
#define FH_TLS_REASM_DEFAULT_BYTES      16384 /* stream bytes kept per ClientHello */
#define FH_TLS_REASM_DEFAULT_TIMEOUT_MS 5000  /* packet time without a segment */
#define FH_TLS_REASM_MAX_FLOWS          1048576
#define FH_TLS_REASM_MIN_BYTES          512
#define FH_TLS_REASM_MAX_BYTES          65535

typedef struct fh_tls_reasm_config {
    uint32_t max_flows;  /* slots; 0 disables reassembly (FH_TLS_REASM_DEFAULT_FLOWS) */
    uint32_t max_bytes;  /* per slot, record headers included (FH_TLS_REASM_DEFAULT_BYTES) */
    uint32_t timeout_ms; /* an entry without a new segment for this long is dropped (5000) */
} fh_tls_reasm_config;

void fh_tls_reasm_config_init(fh_tls_reasm_config *c);

typedef struct fh_tls_reasm_stats {
    uint64_t started;      /* ClientHellos longer than their first segment, tracked */
    uint64_t completed;    /* reassembled whole and handed to the SNI parser */
    uint64_t early_sni;    /* split, but the name was already in the first segment */
    uint64_t retransmits;  /* segments that held only bytes already received */
    uint64_t out_of_order; /* segments that arrived ahead of a hole and were held */
    uint64_t gaps;         /* entries dropped: a second hole, or a segment out of window */
    uint64_t overflow;     /* ClientHellos longer than max_bytes: not reassembled */
    uint64_t evictions;    /* entries dropped for a new one when every slot was taken */
    uint64_t timeouts;     /* entries dropped after timeout_ms without a segment */
    uint64_t malformed;    /* continuations that broke the record or handshake framing */
    uint64_t active;       /* entries held now */
} fh_tls_reasm_stats;

typedef struct fh_tls_reasm fh_tls_reasm;

/*
 * Allocates a table (c->max_flows slots of c->max_bytes bytes, plus a hash
 * index). max_flows 0 gives *out NULL and FH_OK: reassembly disabled, which
 * fh_tls_reasm_segment accepts. Out of range settings: FH_ERR_INVALID and a
 * message in *why (static). Memory: about max_flows * (max_bytes + 80) bytes.
 */
fh_err fh_tls_reasm_new(const fh_tls_reasm_config *c, fh_tls_reasm **out /* OUT */,
                        const char **why /* OUT */);
void fh_tls_reasm_free(fh_tls_reasm *r);

/*
 * Feeds one decoded packet. Returns true when its TCP payload is TLS
 * handshake traffic the caller should not read as anything else: the start
 * of a ClientHello (whole or not) or a continuation of one being
 * reassembled; false otherwise (not TCP, no payload, not TLS).
 *
 * When a ClientHello became whole with this segment (or was whole in it),
 * *anomaly is fh_tls_sni's result and *found / sni its server name. r may be
 * NULL: then only hellos whose first record is whole in one segment are read
 * (the behaviour without reassembly). ts_us is the packet's time, which
 * should not go backwards. Never allocates; not thread-safe (one table per
 * thread).
 */
bool fh_tls_reasm_segment(fh_tls_reasm *r, const fh_pkt *p, uint64_t ts_us,
                          char sni[FH_TLS_SNI_MAX + 1], bool *found /* OUT */,
                          fh_anomaly *anomaly /* OUT */);

/* Drops entries idle longer than the timeout at packet time now_us (also
 * done on every fh_tls_reasm_segment call). r may be NULL. */
void fh_tls_reasm_expire(fh_tls_reasm *r, uint64_t now_us);

/* Counters since fh_tls_reasm_new; all zero for r NULL. */
void fh_tls_reasm_get_stats(const fh_tls_reasm *r, fh_tls_reasm_stats *st /* OUT */);

#define FH_HTTP_HOST_MAX 255

typedef struct fh_http_req {
    char method[16];
    char host[FH_HTTP_HOST_MAX + 1]; /* lower case, port removed; "" if absent */
    uint16_t target_len;             /* bytes of the request target */
    const uint8_t *target;           /* points into the payload */
} fh_http_req;

/* Parses an HTTP/1.x request line and Host header at the start of a TCP
 * payload. *found is false when the payload does not start like a request.
 * Returns FH_ANOM_HTTP_MALFORMED for a request line that starts well and then
 * breaks the grammar. */
fh_anomaly fh_http_request(const uint8_t *data, size_t len, fh_http_req *req /* OUT */,
                           bool *found /* OUT */);

#endif
