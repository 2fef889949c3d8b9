/*
 * sFlow version 5 (sflow.org, sflow_version_5.txt): a datagram header with
 * the agent's address and a list of samples in XDR (big-endian, 4-byte
 * aligned). Flow samples (format 1, and the expanded format 3) carry the
 * sampling rate and records; of those, the raw packet header (record 1) goes
 * through the sensor's own packet decoder (fh_net_decode), and the sampled
 * IPv4 and IPv6 summaries (records 3 and 4) are used when no header is given.
 * Counter samples (2 and 4) are walked over and counted. One callback is made
 * per flow sample: it stands for sampling_rate packets.
 */
#include <string.h>

#include "flow/flow-int.h"

#define SFLOW_HEADER_MIN 28 /* with an IPv4 agent address */

#define SAMPLE_FLOW              1
#define SAMPLE_COUNTERS          2
#define SAMPLE_FLOW_EXPANDED     3
#define SAMPLE_COUNTERS_EXPANDED 4

#define RECORD_RAW_HEADER   1
#define RECORD_SAMPLED_IPV4 3
#define RECORD_SAMPLED_IPV6 4

#define HEADER_ETHERNET 1
#define HEADER_IPV4     11
#define HEADER_IPV6     12

struct sampled_ipv4 {
    uint8_t length[4];
    uint8_t protocol[4];
    uint8_t src[4];
    uint8_t dst[4];
    uint8_t src_port[4];
    uint8_t dst_port[4];
    uint8_t tcp_flags[4];
    uint8_t tos[4];
};
_Static_assert(sizeof(struct sampled_ipv4) == 32, "sFlow sampled_ipv4 is 32 bytes");

struct sampled_ipv6 {
    uint8_t length[4];
    uint8_t protocol[4];
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t src_port[4];
    uint8_t dst_port[4];
    uint8_t tcp_flags[4];
    uint8_t priority[4];
};
_Static_assert(sizeof(struct sampled_ipv6) == 56, "sFlow sampled_ipv6 is 56 bytes");

/* A cursor over XDR data. */
struct xdr {
    const uint8_t *p, *end;
};

static bool get32(struct xdr *x, uint32_t *v)
{
    if (x->end - x->p < 4)
        return false;
    *v = fh__flow_rd32(x->p);
    x->p += 4;
    return true;
}

/* An opaque<> of n bytes: returns its start and moves past its padding. */
static const uint8_t *get_opaque(struct xdr *x, uint32_t n)
{
    if ((size_t)(x->end - x->p) < n)
        return NULL;
    const uint8_t *start = x->p;
    size_t padded = ((size_t)n + 3) & ~(size_t)3;
    x->p += padded <= (size_t)(x->end - x->p) ? padded : n;
    return start;
}

struct sample_ctx {
    fh_flow_collector *c;
    struct fh__flow_exporter *e;
    fh_flow_record *r; /* the collector's next record, built in place */
    bool have_header, have_summary;
};

static void raw_header(struct sample_ctx *s, const uint8_t *rec, uint32_t len)
{
    struct xdr x = {rec, rec + len};
    uint32_t proto, frame_len, stripped, hlen;
    const uint8_t *hdr;
    if (!get32(&x, &proto) || !get32(&x, &frame_len) || !get32(&x, &stripped) ||
        !get32(&x, &hlen) || (hdr = get_opaque(&x, hlen)) == NULL) {
        fh__flow_anomaly(s->c, s->e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
        return;
    }
    fh_link_type link;
    if (proto == HEADER_ETHERNET)
        link = FH_LINK_ETHERNET;
    else if (proto == HEADER_IPV4 || proto == HEADER_IPV6)
        link = FH_LINK_RAW;
    else {
        fh__flow_anomaly(s->c, s->e, FH_FLOW_ANOM_SFLOW_UNKNOWN_HEADER);
        return;
    }
    /* The frame's length on the wire: frame_length counts the bytes stripped
     * (FCS) too; it is never less than what was captured. */
    uint32_t wire = frame_len > stripped ? frame_len - stripped : 0;
    if (wire < hlen)
        wire = hlen;
    fh_anomaly a = fh_net_decode(link, hdr, hlen, wire, &s->r->pkt);
    if (a != FH_ANOM_NONE)
        fh__flow_anomaly(s->c, s->e, FH_FLOW_ANOM_SAMPLED_PACKET);
    fh_flow_record *r = s->r;
    const fh_pkt *p = &r->pkt;
    r->has_pkt = true;
    r->ip_version = p->ip_version;
    r->ip_proto = p->proto;
    r->tcp_flags = p->tcp_flags;
    memcpy(r->src, p->src, 16);
    memcpy(r->dst, p->dst, 16);
    r->sport = p->sport;
    r->dport = p->dport;
    r->icmp_type = p->icmp_type;
    r->icmp_code = p->icmp_code;
    r->bytes = wire;
    s->have_header = true;
}

static void sampled_ip(struct sample_ctx *s, uint32_t format, const uint8_t *rec, uint32_t len)
{
    fh_flow_record *r = s->r;
    if (format == RECORD_SAMPLED_IPV4) {
        struct sampled_ipv4 v;
        if (len < sizeof(v)) {
            fh__flow_anomaly(s->c, s->e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
            return;
        }
        memcpy(&v, rec, sizeof(v));
        r->ip_version = 4;
        memset(r->src, 0, 16);
        memset(r->dst, 0, 16);
        memcpy(r->src, v.src, 4);
        memcpy(r->dst, v.dst, 4);
        r->ip_proto = (uint8_t)fh__flow_rd32(v.protocol);
        r->sport = (uint16_t)fh__flow_rd32(v.src_port);
        r->dport = (uint16_t)fh__flow_rd32(v.dst_port);
        r->tcp_flags = (uint8_t)fh__flow_rd32(v.tcp_flags);
        r->tos = (uint8_t)fh__flow_rd32(v.tos);
        r->bytes = fh__flow_rd32(v.length);
    } else {
        struct sampled_ipv6 v;
        if (len < sizeof(v)) {
            fh__flow_anomaly(s->c, s->e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
            return;
        }
        memcpy(&v, rec, sizeof(v));
        r->ip_version = 6;
        memcpy(r->src, v.src, 16);
        memcpy(r->dst, v.dst, 16);
        r->ip_proto = (uint8_t)fh__flow_rd32(v.protocol);
        r->sport = (uint16_t)fh__flow_rd32(v.src_port);
        r->dport = (uint16_t)fh__flow_rd32(v.dst_port);
        r->tcp_flags = (uint8_t)fh__flow_rd32(v.tcp_flags);
        r->bytes = fh__flow_rd32(v.length);
    }
    if (r->ip_proto == 1 || r->ip_proto == 58) {
        /* ICMP: the summary's ports hold type and code. */
        r->icmp_type = (uint8_t)r->sport;
        r->icmp_code = (uint8_t)r->dport;
        r->sport = r->dport = 0;
    }
    s->have_summary = true;
}

/* A flow sample (expanded or not), after its data_format and length. */
static void flow_sample(struct sample_ctx *s, bool expanded, struct xdr *x)
{
    fh_flow_collector *c = s->c;
    uint32_t seq, source, source_index = 0, rate, pool, drops, in, out, nrec, dummy;
    bool ok = get32(x, &seq) && get32(x, &source);
    if (expanded)
        ok = ok && get32(x, &source_index);
    ok = ok && get32(x, &rate) && get32(x, &pool) && get32(x, &drops);
    if (expanded)
        ok = ok && get32(x, &dummy) && get32(x, &in) && get32(x, &dummy) && get32(x, &out);
    else
        ok = ok && get32(x, &in) && get32(x, &out);
    ok = ok && get32(x, &nrec);
    if (!ok) {
        fh__flow_anomaly(c, s->e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
        return;
    }
    if (rate)
        s->r->sampling_rate = rate;
    s->r->input_if = in;
    s->r->output_if = out;
    s->r->packets = 1;
    if (s->e) {
        if (rate)
            s->e->sampling = rate;
        if (drops > s->e->st.sflow_drops)
            s->e->st.sflow_drops = drops;
    }
    for (uint32_t i = 0; i < nrec; i++) {
        uint32_t format, len;
        const uint8_t *rec;
        if (!get32(x, &format) || !get32(x, &len) || (rec = get_opaque(x, len)) == NULL) {
            fh__flow_anomaly(c, s->e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
            break;
        }
        if (format == RECORD_RAW_HEADER && !s->have_header)
            raw_header(s, rec, len);
        else if ((format == RECORD_SAMPLED_IPV4 || format == RECORD_SAMPLED_IPV6) &&
                 !s->have_header && !s->have_summary)
            sampled_ip(s, format, rec, len);
        else
            c->st.sflow_skipped_records++;
    }
    if (!s->have_header && !s->have_summary)
        return;
    c->st.records[FH_FLOW_SFLOW5]++;
    if (s->e)
        s->e->st.records++;
    fh__flow_emit(c);
}

fh_err fh__flow_decode_sflow(fh_flow_collector *c, const fh_flow_addr *exporter,
                             const uint8_t *data, size_t len, uint64_t now_us)
{
    struct xdr x = {data + 4, data + len};
    uint32_t atype, sub_agent = 0, seq = 0, uptime = 0, nsamples = 0;
    fh_flow_addr agent = {0};
    if (!get32(&x, &atype)) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    size_t alen = atype == 1 ? 4 : atype == 2 ? 16 : 0;
    if (atype > 2) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_SFLOW_BAD_AGENT);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    if ((size_t)(x.end - x.p) < alen + 16) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    if (alen)
        fh_flow_addr_set(&agent, atype == 1 ? 4 : 6, x.p);
    x.p += alen;
    get32(&x, &sub_agent);
    get32(&x, &seq);
    get32(&x, &uptime);
    get32(&x, &nsamples);
    c->st.datagrams[FH_FLOW_SFLOW5]++;
    struct fh__flow_exporter *e =
        fh__flow_exporter_get(c, exporter, FH_FLOW_SFLOW5, sub_agent, now_us);
    fh__flow_sequence(c, e, seq, seq + 1);

    for (uint32_t i = 0; i < nsamples; i++) {
        uint32_t format, slen;
        const uint8_t *body;
        if (!get32(&x, &format) || !get32(&x, &slen) || (body = get_opaque(&x, slen)) == NULL) {
            fh__flow_anomaly(c, e, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE);
            break;
        }
        if (format >> 12 != 0) {
            c->st.sflow_skipped_records++; /* an enterprise's own sample format */
            continue;
        }
        struct xdr sx = {body, body + slen};
        switch (format & 0xfff) {
        case SAMPLE_FLOW:
        case SAMPLE_FLOW_EXPANDED: {
            struct sample_ctx s = {.c = c, .e = e, .r = fh__flow_next_record(c)};
            fh__flow_record_init(c, s.r, FH_FLOW_SFLOW5, exporter, sub_agent);
            if (agent.family)
                s.r->agent = agent;
            s.r->start_us = s.r->end_us = now_us;
            flow_sample(&s, (format & 0xfff) == SAMPLE_FLOW_EXPANDED, &sx);
            break;
        }
        case SAMPLE_COUNTERS:
        case SAMPLE_COUNTERS_EXPANDED:
            c->st.sflow_counter_samples++;
            break;
        default:
            c->st.sflow_skipped_records++;
            break;
        }
    }
    return FH_OK;
}
