/*
 * Link, network and transport decoding: from captured bytes to an fh_pkt.
 *
 * Every length is checked against the captured length before it is read.
 * A problem records the first anomaly and stops decoding at that layer; what
 * was decoded before it stays in the packet, so the detectors still see the
 * addresses of a packet whose TCP header is cut short.
 */
#include <string.h>

#include "fenghuo/net.h"

#define ETHERTYPE_IPV4  0x0800
#define ETHERTYPE_IPV6  0x86dd
#define ETHERTYPE_VLAN  0x8100
#define ETHERTYPE_QINQ  0x88a8
#define ETHERTYPE_QINQ2 0x9100

#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58

static const char *const anomaly_names[FH_ANOM__COUNT] = {
    [FH_ANOM_NONE] = "none",
    [FH_ANOM_LINK_TRUNCATED] = "link_truncated",
    [FH_ANOM_LINK_UNKNOWN] = "link_unknown",
    [FH_ANOM_VLAN_TRUNCATED] = "vlan_truncated",
    [FH_ANOM_VLAN_TOO_DEEP] = "vlan_too_deep",
    [FH_ANOM_IPV4_TRUNCATED] = "ipv4_truncated",
    [FH_ANOM_IPV4_BAD_IHL] = "ipv4_bad_ihl",
    [FH_ANOM_IPV4_BAD_LENGTH] = "ipv4_bad_length",
    [FH_ANOM_IPV4_BAD_OPTION] = "ipv4_bad_option",
    [FH_ANOM_IPV4_BAD_VERSION] = "ipv4_bad_version",
    [FH_ANOM_IPV6_TRUNCATED] = "ipv6_truncated",
    [FH_ANOM_IPV6_BAD_VERSION] = "ipv6_bad_version",
    [FH_ANOM_IPV6_EXT_TRUNCATED] = "ipv6_ext_truncated",
    [FH_ANOM_IPV6_EXT_TOO_MANY] = "ipv6_ext_too_many",
    [FH_ANOM_TCP_TRUNCATED] = "tcp_truncated",
    [FH_ANOM_TCP_BAD_OFFSET] = "tcp_bad_offset",
    [FH_ANOM_UDP_TRUNCATED] = "udp_truncated",
    [FH_ANOM_UDP_BAD_LENGTH] = "udp_bad_length",
    [FH_ANOM_ICMP_TRUNCATED] = "icmp_truncated",
    [FH_ANOM_DNS_MALFORMED] = "dns_malformed",
    [FH_ANOM_DNS_NAME_LOOP] = "dns_name_loop",
    [FH_ANOM_DNS_NAME_TOO_LONG] = "dns_name_too_long",
    [FH_ANOM_TLS_MALFORMED] = "tls_malformed",
    [FH_ANOM_HTTP_MALFORMED] = "http_malformed",
};

const char *fh_anomaly_name(fh_anomaly a)
{
    if ((unsigned)a >= FH_ANOM__COUNT)
        return "unknown";
    return anomaly_names[a];
}

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static fh_anomaly fail(fh_pkt *pkt, fh_anomaly a)
{
    if (pkt->anomaly == FH_ANOM_NONE)
        pkt->anomaly = a;
    return a;
}

/* ---- transport ---------------------------------------------------------- */

static fh_anomaly decode_transport(fh_pkt *pkt, const uint8_t *p, uint32_t len)
{
    if (pkt->fragment && !pkt->first_fragment) {
        /* A later fragment carries no transport header; its bytes are data. */
        pkt->payload = p;
        pkt->payload_len = len;
        return FH_ANOM_NONE;
    }
    switch (pkt->proto) {
    case PROTO_TCP: {
        /* The ports come first, so a header cut short (as quoted in ICMP
         * errors, 8 bytes) still names them. */
        if (len >= 4) {
            pkt->sport = rd16(p);
            pkt->dport = rd16(p + 2);
        }
        if (len < 20)
            return fail(pkt, FH_ANOM_TCP_TRUNCATED);
        pkt->tcp_flags = p[13] & 0x3f;
        pkt->tcp_seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        uint32_t off = (uint32_t)(p[12] >> 4) * 4;
        if (off < 20)
            return fail(pkt, FH_ANOM_TCP_BAD_OFFSET);
        if (off > len)
            return fail(pkt, FH_ANOM_TCP_TRUNCATED);
        /* Options are skipped as a block: nothing in them is trusted. */
        pkt->payload = p + off;
        pkt->payload_len = len - off;
        return FH_ANOM_NONE;
    }
    case PROTO_UDP: {
        if (len >= 4) {
            pkt->sport = rd16(p);
            pkt->dport = rd16(p + 2);
        }
        if (len < 8)
            return fail(pkt, FH_ANOM_UDP_TRUNCATED);
        uint32_t ulen = rd16(p + 4);
        pkt->payload = p + 8;
        pkt->payload_len = len - 8;
        /* Length 0 is legal for IPv6 jumbograms only; treat it as "rest". */
        if (ulen != 0 && ulen < 8)
            return fail(pkt, FH_ANOM_UDP_BAD_LENGTH);
        if (ulen >= 8 && ulen - 8 < pkt->payload_len)
            pkt->payload_len = ulen - 8;
        return FH_ANOM_NONE;
    }
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        if (len < 4)
            return fail(pkt, FH_ANOM_ICMP_TRUNCATED);
        pkt->icmp_type = p[0];
        pkt->icmp_code = p[1];
        pkt->payload = p + 4;
        pkt->payload_len = len - 4;
        return FH_ANOM_NONE;
    default:
        pkt->payload = p;
        pkt->payload_len = len;
        return FH_ANOM_NONE;
    }
}

/* ---- IPv4 --------------------------------------------------------------- */

static fh_anomaly decode_ipv4(fh_pkt *pkt, const uint8_t *p, uint32_t len)
{
    if (len < 20)
        return fail(pkt, FH_ANOM_IPV4_TRUNCATED);
    if (p[0] >> 4 != 4)
        return fail(pkt, FH_ANOM_IPV4_BAD_VERSION);
    uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
    if (ihl < 20)
        return fail(pkt, FH_ANOM_IPV4_BAD_IHL);
    if (ihl > len)
        return fail(pkt, FH_ANOM_IPV4_TRUNCATED);
    pkt->ip_version = 4;
    memcpy(pkt->src, p + 12, 4);
    memcpy(pkt->dst, p + 16, 4);
    pkt->ttl = p[8];
    pkt->proto = p[9];
    uint32_t total = rd16(p + 2);
    pkt->ip_total_len = (uint16_t)total;
    if (total < ihl)
        return fail(pkt, FH_ANOM_IPV4_BAD_LENGTH);
    /* Walk the options so that a malformed one is noticed; none is used. */
    for (uint32_t i = 20; i < ihl;) {
        uint8_t type = p[i];
        if (type == 0) /* end of options */
            break;
        if (type == 1) { /* no-op */
            i++;
            continue;
        }
        if (i + 1 >= ihl || p[i + 1] < 2 || i + p[i + 1] > ihl)
            return fail(pkt, FH_ANOM_IPV4_BAD_OPTION);
        i += p[i + 1];
    }
    uint16_t frag = rd16(p + 6);
    uint16_t offset = (uint16_t)((frag & 0x1fff) * 8);
    bool more = frag & 0x2000;
    if (more || offset) {
        pkt->fragment = true;
        pkt->first_fragment = offset == 0;
        pkt->frag_offset = offset;
        pkt->frag_id = rd16(p + 4);
    }
    /* Trailing link padding (short Ethernet frames) is not IP payload. */
    uint32_t end = total < len ? total : len;
    return decode_transport(pkt, p + ihl, end - ihl);
}

/* ---- IPv6 --------------------------------------------------------------- */

static bool is_ipv6_ext(uint8_t nh)
{
    switch (nh) {
    case 0:   /* hop-by-hop options */
    case 43:  /* routing */
    case 44:  /* fragment */
    case 60:  /* destination options */
    case 51:  /* authentication header */
    case 135: /* mobility */
    case 139: /* HIP */
    case 140: /* shim6 */
        return true;
    default:
        return false;
    }
}

static fh_anomaly decode_ipv6(fh_pkt *pkt, const uint8_t *p, uint32_t len)
{
    if (len < 40)
        return fail(pkt, FH_ANOM_IPV6_TRUNCATED);
    if (p[0] >> 4 != 6)
        return fail(pkt, FH_ANOM_IPV6_BAD_VERSION);
    pkt->ip_version = 6;
    memcpy(pkt->src, p + 8, 16);
    memcpy(pkt->dst, p + 24, 16);
    pkt->ttl = p[7];
    uint32_t plen = rd16(p + 4);
    pkt->ip_total_len = (uint16_t)(40 + plen > 0xffff ? 0xffff : 40 + plen);
    uint32_t end = plen != 0 && 40 + plen < len ? 40 + plen : len;
    uint8_t nh = p[6];
    uint32_t off = 40;
    for (int n = 0; is_ipv6_ext(nh); n++) {
        if (n == FH_NET_MAX_IPV6_EXT) {
            pkt->proto = nh;
            return fail(pkt, FH_ANOM_IPV6_EXT_TOO_MANY);
        }
        if (off + 8 > end) {
            pkt->proto = nh;
            return fail(pkt, FH_ANOM_IPV6_EXT_TRUNCATED);
        }
        uint32_t hlen;
        if (nh == 44) {
            hlen = 8;
            uint16_t fo = rd16(p + off + 2);
            pkt->fragment = true;
            pkt->frag_offset = (uint16_t)(fo & 0xfff8);
            pkt->first_fragment = pkt->frag_offset == 0;
            pkt->frag_id = rd32(p + off + 4);
        } else if (nh == 51) {
            hlen = ((uint32_t)p[off + 1] + 2) * 4;
        } else {
            hlen = ((uint32_t)p[off + 1] + 1) * 8;
        }
        if (off + hlen > end) {
            pkt->proto = nh;
            return fail(pkt, FH_ANOM_IPV6_EXT_TRUNCATED);
        }
        nh = p[off];
        off += hlen;
    }
    pkt->proto = nh;
    if (nh == 59) /* no next header */
        return FH_ANOM_NONE;
    return decode_transport(pkt, p + off, end - off);
}

/* ---- link --------------------------------------------------------------- */

static fh_anomaly decode_ethertype(fh_pkt *pkt, uint16_t et, const uint8_t *p, uint32_t len)
{
    while (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ || et == ETHERTYPE_QINQ2) {
        if (pkt->vlan_count == FH_NET_MAX_VLAN)
            return fail(pkt, FH_ANOM_VLAN_TOO_DEEP);
        if (len < 4)
            return fail(pkt, FH_ANOM_VLAN_TRUNCATED);
        pkt->vlan[pkt->vlan_count++] = rd16(p) & 0x0fff;
        et = rd16(p + 2);
        p += 4;
        len -= 4;
    }
    if (et == ETHERTYPE_IPV4)
        return decode_ipv4(pkt, p, len);
    if (et == ETHERTYPE_IPV6)
        return decode_ipv6(pkt, p, len);
    return FH_ANOM_NONE; /* ARP, LLDP, ...: not IP, not an anomaly */
}

fh_anomaly fh_net_decode(fh_link_type link, const uint8_t *data, uint32_t cap_len,
                         uint32_t wire_len, fh_pkt *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->cap_len = cap_len;
    pkt->wire_len = wire_len < cap_len ? cap_len : wire_len;
    switch (link) {
    case FH_LINK_ETHERNET:
        if (cap_len < 14)
            return fail(pkt, FH_ANOM_LINK_TRUNCATED);
        return decode_ethertype(pkt, rd16(data + 12), data + 14, cap_len - 14);
    case FH_LINK_LINUX_SLL:
        if (cap_len < 16)
            return fail(pkt, FH_ANOM_LINK_TRUNCATED);
        return decode_ethertype(pkt, rd16(data + 14), data + 16, cap_len - 16);
    case FH_LINK_RAW:
        if (cap_len < 1)
            return fail(pkt, FH_ANOM_LINK_TRUNCATED);
        if (data[0] >> 4 == 4)
            return decode_ipv4(pkt, data, cap_len);
        if (data[0] >> 4 == 6)
            return decode_ipv6(pkt, data, cap_len);
        return fail(pkt, FH_ANOM_IPV4_BAD_VERSION);
    }
    return fail(pkt, FH_ANOM_LINK_UNKNOWN);
}
