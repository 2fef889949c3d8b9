/*
 * NetFlow version 5, as Cisco publishes its export format: a 24-byte header
 * and up to 30 fixed 48-byte IPv4 flow records. Times in the records are the
 * router's sysUpTime in milliseconds; the header gives sysUpTime and the
 * wall-clock time of export, from which absolute times follow. The header's
 * sequence number counts flows, so a gap is a number of lost flows.
 */
#include <string.h>

#include "flow/flow-int.h"

#define V5_HEADER_LEN  24
#define V5_RECORD_LEN  48
#define V5_MAX_RECORDS 30

struct v5_header {
    uint8_t version[2];
    uint8_t count[2];
    uint8_t sys_uptime[4];
    uint8_t unix_secs[4];
    uint8_t unix_nsecs[4];
    uint8_t flow_sequence[4];
    uint8_t engine_type;
    uint8_t engine_id;
    uint8_t sampling_interval[2]; /* mode in the top 2 bits, interval in 14 */
};
_Static_assert(sizeof(struct v5_header) == V5_HEADER_LEN, "NetFlow v5 header is 24 bytes");

struct v5_record {
    uint8_t srcaddr[4];
    uint8_t dstaddr[4];
    uint8_t nexthop[4];
    uint8_t input[2];
    uint8_t output[2];
    uint8_t d_pkts[4];
    uint8_t d_octets[4];
    uint8_t first[4]; /* sysUpTime at the first packet */
    uint8_t last[4];  /* sysUpTime at the last packet */
    uint8_t srcport[2];
    uint8_t dstport[2];
    uint8_t pad1;
    uint8_t tcp_flags;
    uint8_t prot;
    uint8_t tos;
    uint8_t src_as[2];
    uint8_t dst_as[2];
    uint8_t src_mask;
    uint8_t dst_mask;
    uint8_t pad2[2];
};
_Static_assert(sizeof(struct v5_record) == V5_RECORD_LEN, "NetFlow v5 record is 48 bytes");

/* Absolute time of a sysUpTime stamp: the export time minus how long before
 * export it was. The difference is taken in 32 bits so that a sysUpTime that
 * wrapped (every 49.7 days) between the stamp and the export still works; a
 * stamp slightly after export (clock skew) gives a negative difference. */
static uint64_t uptime_to_us(uint64_t export_us, uint32_t export_uptime_ms, uint32_t stamp_ms)
{
    int64_t ago_ms = (int32_t)(export_uptime_ms - stamp_ms);
    int64_t t = (int64_t)export_us - ago_ms * 1000;
    return t > 0 ? (uint64_t)t : 0;
}

fh_err fh__flow_decode_netflow5(fh_flow_collector *c, const fh_flow_addr *exporter,
                                const uint8_t *data, size_t len, uint64_t now_us)
{
    if (len < V5_HEADER_LEN) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    struct v5_header h;
    memcpy(&h, data, sizeof(h));
    uint16_t count = fh__flow_rd16(h.count);
    uint32_t domain = (uint32_t)h.engine_type << 8 | h.engine_id;
    if (count == 0 || count > V5_MAX_RECORDS ||
        len < V5_HEADER_LEN + (size_t)count * V5_RECORD_LEN) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_BAD_LENGTH);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    c->st.datagrams[FH_FLOW_NETFLOW5]++;
    struct fh__flow_exporter *e =
        fh__flow_exporter_get(c, exporter, FH_FLOW_NETFLOW5, domain, now_us);
    uint32_t seq = fh__flow_rd32(h.flow_sequence);
    fh__flow_sequence(c, e, seq, seq + count);

    uint32_t uptime = fh__flow_rd32(h.sys_uptime);
    uint64_t export_us = (uint64_t)fh__flow_rd32(h.unix_secs) * FH__FLOW_US +
                         fh__flow_rd32(h.unix_nsecs) / 1000 % FH__FLOW_US;
    uint32_t interval = fh__flow_rd16(h.sampling_interval) & 0x3fff;
    if (e && interval > 1)
        e->sampling = interval;

    for (uint16_t i = 0; i < count; i++) {
        struct v5_record rec;
        memcpy(&rec, data + V5_HEADER_LEN + (size_t)i * V5_RECORD_LEN, sizeof(rec));
        fh_flow_record *r = fh__flow_next_record(c);
        fh__flow_record_init(c, r, FH_FLOW_NETFLOW5, exporter, domain);
        if (interval > 1)
            r->sampling_rate = interval;
        r->ip_version = 4;
        memcpy(r->src, rec.srcaddr, 4);
        memcpy(r->dst, rec.dstaddr, 4);
        r->input_if = fh__flow_rd16(rec.input);
        r->output_if = fh__flow_rd16(rec.output);
        r->packets = fh__flow_rd32(rec.d_pkts);
        r->bytes = fh__flow_rd32(rec.d_octets);
        r->start_us = uptime_to_us(export_us, uptime, fh__flow_rd32(rec.first));
        r->end_us = uptime_to_us(export_us, uptime, fh__flow_rd32(rec.last));
        r->ip_proto = rec.prot;
        r->tos = rec.tos;
        r->tcp_flags = rec.tcp_flags;
        uint16_t sport = fh__flow_rd16(rec.srcport), dport = fh__flow_rd16(rec.dstport);
        if (rec.prot == 1) {
            /* ICMP: routers put type << 8 | code in the destination port. */
            r->icmp_type = (uint8_t)(dport >> 8);
            r->icmp_code = (uint8_t)dport;
        } else {
            r->sport = sport;
            r->dport = dport;
        }
        c->st.records[FH_FLOW_NETFLOW5]++;
        if (e)
            e->st.records++;
        fh__flow_emit(c);
    }
    return FH_OK;
}
