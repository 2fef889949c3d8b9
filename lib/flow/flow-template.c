/*
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011): the two template-based formats.
 * A datagram is a header and a list of sets; template sets describe records,
 * data sets hold records that only make sense with their template. Both share
 * the field numbers below 128 (IPFIX's information elements, RFC 7012, took
 * them over from v9), so one record decoder serves both; the differences are
 * the header, the set ids, options-template layout, enterprise-specific
 * fields and variable-length fields (IPFIX only), and template withdrawal
 * (IPFIX only; v9 templates only expire).
 *
 * Data that arrives before its template cannot be decoded: it is dropped and
 * counted as "no_template" (records are not kept pending, so a collector that
 * starts after its exporters loses up to one template refresh interval).
 */
#include <stdlib.h>
#include <string.h>

#include "fenghuo/util.h"
#include "flow/flow-int.h"

#define V9_HEADER_LEN    20
#define IPFIX_HEADER_LEN 16
#define SET_HEADER_LEN   4
#define VARLEN           0xffff

struct v9_header {
    uint8_t version[2];
    uint8_t count[2];
    uint8_t sys_uptime[4];
    uint8_t unix_secs[4];
    uint8_t sequence[4]; /* export packets */
    uint8_t source_id[4];
};
_Static_assert(sizeof(struct v9_header) == V9_HEADER_LEN, "NetFlow v9 header is 20 bytes");

struct ipfix_header {
    uint8_t version[2];
    uint8_t length[2];
    uint8_t export_time[4];
    uint8_t sequence[4]; /* data records */
    uint8_t domain_id[4];
};
_Static_assert(sizeof(struct ipfix_header) == IPFIX_HEADER_LEN, "IPFIX header is 16 bytes");

/* Information elements used (RFC 7012 / IANA; v9 numbers are the same). */
enum {
    IE_OCTET_DELTA = 1,
    IE_PACKET_DELTA = 2,
    IE_PROTOCOL = 4,
    IE_TOS = 5,
    IE_TCP_FLAGS = 6,
    IE_SRC_PORT = 7,
    IE_SRC_V4 = 8,
    IE_INGRESS_IF = 10,
    IE_DST_PORT = 11,
    IE_DST_V4 = 12,
    IE_EGRESS_IF = 14,
    IE_END_SYSUPTIME = 21,
    IE_START_SYSUPTIME = 22,
    IE_POST_OCTET_DELTA = 23,
    IE_POST_PACKET_DELTA = 24,
    IE_SRC_V6 = 27,
    IE_DST_V6 = 28,
    IE_ICMP_TYPE_CODE_V4 = 32,
    IE_SAMPLING_INTERVAL = 34,
    IE_SAMPLER_ID = 48,
    IE_SAMPLER_RANDOM_INTERVAL = 50,
    IE_ICMP_TYPE_CODE_V6 = 139,
    IE_START_SECONDS = 150,
    IE_END_SECONDS = 151,
    IE_START_MILLISECONDS = 152,
    IE_END_MILLISECONDS = 153,
    IE_START_MICROSECONDS = 154,
    IE_END_MICROSECONDS = 155,
    IE_START_NANOSECONDS = 156,
    IE_END_NANOSECONDS = 157,
    IE_START_DELTA_US = 158,
    IE_END_DELTA_US = 159,
    IE_SYSTEM_INIT_MS = 160,
    IE_ICMP_TYPE_V4 = 176,
    IE_ICMP_CODE_V4 = 177,
    IE_ICMP_TYPE_V6 = 178,
    IE_ICMP_CODE_V6 = 179,
    IE_SELECTOR_ID = 302,
    IE_SAMPLING_PACKET_INTERVAL = 305,
    IE_SAMPLING_PACKET_SPACE = 306,
};

/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define NTP_UNIX_OFFSET 2208988800ULL

/* Everything one datagram's sets need to know about it. */
struct msg {
    fh_flow_collector *c;
    struct fh__flow_exporter *e;
    const fh_flow_addr *exporter;
    fh_flow_proto proto;
    bool ipfix;
    uint32_t domain;
    uint64_t export_us;
    uint32_t uptime_ms; /* v9 header sysUpTime */
    uint64_t now_us;
    uint32_t data_records; /* IPFIX sequence numbers count these */
    bool uncounted;        /* a data set was dropped, so its records are unknown */
    bool withdrew_all[2];  /* templates, options templates: walked the table once */
};

static void anomaly(struct msg *m, fh_flow_anomaly a)
{
    fh__flow_anomaly(m->c, m->e, a);
}

static void key_for(const struct msg *m, uint16_t template_id, struct fh__flow_key *k)
{
    memset(k, 0, sizeof(*k));
    if (m->exporter) {
        k->family = m->exporter->family;
        memcpy(k->addr, m->exporter->addr, 16);
    }
    k->proto = (uint8_t)m->proto;
    k->domain_id = m->domain;
    k->template_id = template_id;
}

/* ---- templates ------------------------------------------------------------ */

/*
 * Reads `count` field specifiers from *p. Fields beyond the limit are walked
 * over (so the next template in the set is still found) but not kept.
 * Returns NONE, TEMPLATE_MALFORMED (runs past end) or TOO_MANY_FIELDS.
 */
static fh_flow_anomaly read_fields(struct msg *m, const uint8_t **p, const uint8_t *end,
                                   uint16_t count, uint16_t *kept)
{
    fh_flow_collector *c = m->c;
    const uint8_t *q = *p;
    fh_flow_anomaly a = FH_FLOW_ANOM_NONE;
    *kept = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (end - q < 4)
            return FH_FLOW_ANOM_TEMPLATE_MALFORMED;
        uint16_t id = fh__flow_rd16(q), flen = fh__flow_rd16(q + 2);
        q += 4;
        uint8_t ent = 0;
        if (m->ipfix && (id & 0x8000)) {
            if (end - q < 4)
                return FH_FLOW_ANOM_TEMPLATE_MALFORMED;
            q += 4; /* enterprise number: the field is skipped, its number is not needed */
            ent = 1;
            id &= 0x7fff;
        }
        if (i >= c->lim.max_template_fields) {
            a = FH_FLOW_ANOM_TEMPLATE_TOO_MANY_FIELDS;
            continue;
        }
        c->scratch[i] = (struct fh__flow_field){.id = id, .len = flen, .enterprise = ent};
        c->scratch[i].pad = 0;
        (*kept)++;
    }
    *p = q;
    return a;
}

/* Checks and stores a parsed template (fields in c->scratch). */
static void learn(struct msg *m, uint16_t tid, bool options, uint16_t scope, uint16_t n)
{
    fh_flow_collector *c = m->c;
    if (tid < 256 || n == 0) {
        anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
        return;
    }
    uint64_t min_len = 0;
    for (uint16_t i = 0; i < n; i++) {
        uint16_t l = c->scratch[i].len;
        if (l == VARLEN && !m->ipfix) {
            /* v9 has no variable-length encoding. */
            anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
            return;
        }
        min_len += l == VARLEN ? 1 : l;
    }
    if (min_len == 0) {
        /* Records of zero bytes would never end a data set. */
        anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
        return;
    }
    if (min_len > c->lim.max_record_len) {
        anomaly(m, FH_FLOW_ANOM_TEMPLATE_TOO_LONG);
        return;
    }
    struct fh__flow_key k;
    key_for(m, tid, &k);
    bool changed;
    fh_flow_anomaly a =
        fh__flow_template_store(c, &k, options, scope, c->scratch, n, m->now_us, &changed);
    if (a)
        anomaly(m, a);
    else if (changed && m->ipfix)
        anomaly(m, FH_FLOW_ANOM_TEMPLATE_REDEFINED);
}

static void withdraw(struct msg *m, uint16_t tid, uint16_t set_id, bool options)
{
    struct fh__flow_key k;
    key_for(m, tid, &k);
    if (tid == set_id) {
        /* Withdrawing all walks the whole table; once per message is enough
         * for any exporter and keeps a datagram full of them cheap. */
        if (!m->withdrew_all[options])
            fh__flow_template_withdraw(m->c, &k, true, options);
        m->withdrew_all[options] = true;
    } else if (tid >= 256)
        fh__flow_template_withdraw(m->c, &k, false, options);
    else
        anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
}

/* v9 set 0 and IPFIX set 2: template records. */
static void template_set(struct msg *m, uint16_t set_id, const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 4) {
        uint16_t tid = fh__flow_rd16(p), count = fh__flow_rd16(p + 2);
        if (tid == 0 && count == 0)
            return; /* padding */
        p += 4;
        if (count == 0) {
            if (m->ipfix)
                withdraw(m, tid, set_id, false);
            else
                anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
            continue;
        }
        uint16_t n;
        fh_flow_anomaly a = read_fields(m, &p, end, count, &n);
        if (a == FH_FLOW_ANOM_TEMPLATE_MALFORMED) {
            anomaly(m, a);
            return;
        }
        if (a) {
            anomaly(m, a);
            continue;
        }
        learn(m, tid, false, 0, n);
    }
}

/* v9 set 1: template id, scope length and options length in bytes, then the
 * scope fields (whose types are scope kinds, not field types) and the
 * option fields. */
static void v9_options_set(struct msg *m, const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 6) {
        uint16_t tid = fh__flow_rd16(p), scope_len = fh__flow_rd16(p + 2),
                 opt_len = fh__flow_rd16(p + 4);
        if (tid == 0 && scope_len == 0)
            return; /* padding */
        p += 6;
        if (scope_len % 4 || opt_len % 4 || (size_t)(end - p) < (size_t)scope_len + opt_len) {
            anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
            return;
        }
        uint16_t count = (uint16_t)((scope_len + opt_len) / 4), n;
        fh_flow_anomaly a = read_fields(m, &p, end, count, &n);
        if (a) {
            anomaly(m, a);
            continue;
        }
        learn(m, tid, true, (uint16_t)(scope_len / 4), n);
    }
}

/* IPFIX set 3: template id, field count, scope field count, fields. */
static void ipfix_options_set(struct msg *m, const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 4) {
        uint16_t tid = fh__flow_rd16(p), count = fh__flow_rd16(p + 2);
        if (tid == 0 && count == 0)
            return; /* padding */
        p += 4;
        if (count == 0) {
            withdraw(m, tid, 3, true);
            continue;
        }
        if (end - p < 2) {
            anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
            return;
        }
        uint16_t scope = fh__flow_rd16(p);
        p += 2;
        uint16_t n;
        fh_flow_anomaly a = read_fields(m, &p, end, count, &n);
        if (a == FH_FLOW_ANOM_TEMPLATE_MALFORMED) {
            anomaly(m, a);
            return;
        }
        if (a) {
            anomaly(m, a);
            continue;
        }
        if (scope == 0 || scope > count) {
            anomaly(m, FH_FLOW_ANOM_TEMPLATE_MALFORMED);
            continue;
        }
        learn(m, tid, true, scope, n);
    }
}

/* ---- data records --------------------------------------------------------- */

struct times {
    bool have_start, have_end;
    uint64_t start_us, end_us;
    bool up_start, up_end; /* sysUpTime stamps, resolved at the end */
    uint32_t up_start_ms, up_end_ms;
    uint64_t sys_init_ms;
};

static uint64_t ntp_to_us(uint64_t ntp)
{
    uint64_t secs = ntp >> 32, frac = ntp & 0xffffffffu;
    if (secs < NTP_UNIX_OFFSET)
        return 0;
    return (secs - NTP_UNIX_OFFSET) * FH__FLOW_US + ((frac * FH__FLOW_US) >> 32);
}

static void set_time(struct times *t, bool start, uint64_t us)
{
    if (start) {
        t->have_start = true;
        t->start_us = us;
    } else {
        t->have_end = true;
        t->end_us = us;
    }
}

static uint64_t sub_clamped(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

/* Sampling fields shared by flow records and options records. */
struct sampling {
    uint64_t interval; /* 34 or 50: one in N */
    uint64_t pkt_interval, pkt_space;
    bool have_sampler; /* 48 or 302: which sampler */
    uint64_t sampler_id;
};

static uint32_t sampling_rate(const struct sampling *s)
{
    uint64_t rate = 0;
    if (s->pkt_interval) /* RFC 5477: select `interval` packets, skip `space` */
        rate = (s->pkt_interval + s->pkt_space) / s->pkt_interval;
    else if (s->interval)
        rate = s->interval;
    return rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
}

static bool field_sampling(struct sampling *s, uint16_t id, const uint8_t *v, uint16_t l)
{
    if (l < 1 || l > 8)
        return false;
    switch (id) {
    case IE_SAMPLING_INTERVAL:
    case IE_SAMPLER_RANDOM_INTERVAL:
        s->interval = fh__flow_rduint(v, l);
        return true;
    case IE_SAMPLING_PACKET_INTERVAL:
        s->pkt_interval = fh__flow_rduint(v, l);
        return true;
    case IE_SAMPLING_PACKET_SPACE:
        s->pkt_space = fh__flow_rduint(v, l);
        return true;
    case IE_SAMPLER_ID:
    case IE_SELECTOR_ID:
        s->have_sampler = true;
        s->sampler_id = fh__flow_rduint(v, l);
        return true;
    default:
        return false;
    }
}

struct counts {
    bool have_bytes, have_packets;
    uint64_t post_bytes, post_packets;
};

/*
 * What a flow record's field does, decided by its IE id and length alone:
 * once per template for fixed-length templates (fh__flow_template_compile),
 * once per field and record for the others. OP_NONE fields are ignored (not
 * ours, or a sampling field of an impossible size); OP_BAD_LENGTH counts
 * bad_field_length each time a record carries it.
 */
enum field_op {
    OP_NONE = 0,
    OP_BAD_LENGTH,
    OP_SAMPLING_INTERVAL,
    OP_SAMPLING_PACKET_INTERVAL,
    OP_SAMPLING_PACKET_SPACE,
    OP_SAMPLER_ID,
    OP_BYTES,
    OP_PACKETS,
    OP_POST_BYTES,
    OP_POST_PACKETS,
    OP_PROTOCOL,
    OP_TOS,
    OP_TCP_FLAGS,
    OP_SRC_PORT,
    OP_DST_PORT,
    OP_SRC_V4,
    OP_DST_V4,
    OP_SRC_V6,
    OP_DST_V6,
    OP_INGRESS_IF,
    OP_EGRESS_IF,
    OP_ICMP_TYPE_CODE,
    OP_ICMP_TYPE,
    OP_ICMP_CODE,
    OP_START_SYSUPTIME,
    OP_END_SYSUPTIME,
    OP_START_SECONDS,
    OP_END_SECONDS,
    OP_START_MILLISECONDS,
    OP_END_MILLISECONDS,
    OP_START_NTP,
    OP_END_NTP,
    OP_START_DELTA_US,
    OP_END_DELTA_US,
    OP_SYSTEM_INIT_MS,
};

static uint8_t field_op(uint16_t id, uint16_t l)
{
    bool numeric = l >= 1 && l <= 8;
    switch (id) {
    case IE_SAMPLING_INTERVAL:
    case IE_SAMPLER_RANDOM_INTERVAL:
        return numeric ? OP_SAMPLING_INTERVAL : OP_NONE;
    case IE_SAMPLING_PACKET_INTERVAL:
        return numeric ? OP_SAMPLING_PACKET_INTERVAL : OP_NONE;
    case IE_SAMPLING_PACKET_SPACE:
        return numeric ? OP_SAMPLING_PACKET_SPACE : OP_NONE;
    case IE_SAMPLER_ID:
    case IE_SELECTOR_ID:
        return numeric ? OP_SAMPLER_ID : OP_NONE;
    case IE_SRC_V4:
        return l == 4 ? OP_SRC_V4 : OP_BAD_LENGTH;
    case IE_DST_V4:
        return l == 4 ? OP_DST_V4 : OP_BAD_LENGTH;
    case IE_SRC_V6:
        return l == 16 ? OP_SRC_V6 : OP_BAD_LENGTH;
    case IE_DST_V6:
        return l == 16 ? OP_DST_V6 : OP_BAD_LENGTH;
    case IE_START_MICROSECONDS:
    case IE_START_NANOSECONDS:
        return l == 8 ? OP_START_NTP : OP_BAD_LENGTH;
    case IE_END_MICROSECONDS:
    case IE_END_NANOSECONDS:
        return l == 8 ? OP_END_NTP : OP_BAD_LENGTH;
    default:
        break;
    }
    uint8_t op;
    switch (id) {
    case IE_OCTET_DELTA:
        op = OP_BYTES;
        break;
    case IE_PACKET_DELTA:
        op = OP_PACKETS;
        break;
    case IE_POST_OCTET_DELTA:
        op = OP_POST_BYTES;
        break;
    case IE_POST_PACKET_DELTA:
        op = OP_POST_PACKETS;
        break;
    case IE_PROTOCOL:
        op = OP_PROTOCOL;
        break;
    case IE_TOS:
        op = OP_TOS;
        break;
    case IE_TCP_FLAGS: /* 1 byte in v9, 2 in IPFIX (RFC 7125); the low 8 are ours */
        op = OP_TCP_FLAGS;
        break;
    case IE_SRC_PORT:
        op = OP_SRC_PORT;
        break;
    case IE_DST_PORT:
        op = OP_DST_PORT;
        break;
    case IE_INGRESS_IF:
        op = OP_INGRESS_IF;
        break;
    case IE_EGRESS_IF:
        op = OP_EGRESS_IF;
        break;
    case IE_ICMP_TYPE_CODE_V4:
    case IE_ICMP_TYPE_CODE_V6:
        op = OP_ICMP_TYPE_CODE;
        break;
    case IE_ICMP_TYPE_V4:
    case IE_ICMP_TYPE_V6:
        op = OP_ICMP_TYPE;
        break;
    case IE_ICMP_CODE_V4:
    case IE_ICMP_CODE_V6:
        op = OP_ICMP_CODE;
        break;
    case IE_START_SYSUPTIME:
        op = OP_START_SYSUPTIME;
        break;
    case IE_END_SYSUPTIME:
        op = OP_END_SYSUPTIME;
        break;
    case IE_START_SECONDS:
        op = OP_START_SECONDS;
        break;
    case IE_END_SECONDS:
        op = OP_END_SECONDS;
        break;
    case IE_START_MILLISECONDS:
        op = OP_START_MILLISECONDS;
        break;
    case IE_END_MILLISECONDS:
        op = OP_END_MILLISECONDS;
        break;
    case IE_START_DELTA_US:
        op = OP_START_DELTA_US;
        break;
    case IE_END_DELTA_US:
        op = OP_END_DELTA_US;
        break;
    case IE_SYSTEM_INIT_MS:
        op = OP_SYSTEM_INIT_MS;
        break;
    default:
        return OP_NONE;
    }
    return numeric ? op : OP_BAD_LENGTH;
}

/* An unsigned big-endian integer of 1..8 bytes, the common sizes unrolled. */
static inline uint64_t rd_uint(const uint8_t *v, uint16_t l)
{
    switch (l) {
    case 1:
        return v[0];
    case 2:
        return fh__flow_rd16(v);
    case 4:
        return fh__flow_rd32(v);
    case 8:
        return (uint64_t)fh__flow_rd32(v) << 32 | fh__flow_rd32(v + 4);
    default:
        return fh__flow_rduint(v, l);
    }
}

/* One field of a flow record: op from field_op(id, l); v holds l bytes. */
/* Always inlined: in the compiled path the call would cost as much as the
 * field. */
__attribute__((always_inline)) static inline void apply_field(struct msg *m, fh_flow_record *r,
                                                              struct times *t, struct counts *n,
                                                              struct sampling *s, uint8_t op,
                                                              const uint8_t *v, uint16_t l)
{
    switch (op) {
    case OP_NONE:
        break;
    case OP_BAD_LENGTH:
        anomaly(m, FH_FLOW_ANOM_BAD_FIELD_LENGTH);
        break;
    case OP_SAMPLING_INTERVAL:
        s->interval = rd_uint(v, l);
        break;
    case OP_SAMPLING_PACKET_INTERVAL:
        s->pkt_interval = rd_uint(v, l);
        break;
    case OP_SAMPLING_PACKET_SPACE:
        s->pkt_space = rd_uint(v, l);
        break;
    case OP_SAMPLER_ID:
        s->have_sampler = true;
        s->sampler_id = rd_uint(v, l);
        break;
    case OP_BYTES:
        r->bytes = rd_uint(v, l);
        n->have_bytes = true;
        break;
    case OP_PACKETS:
        r->packets = rd_uint(v, l);
        n->have_packets = true;
        break;
    case OP_POST_BYTES:
        n->post_bytes = rd_uint(v, l);
        break;
    case OP_POST_PACKETS:
        n->post_packets = rd_uint(v, l);
        break;
    case OP_PROTOCOL:
        r->ip_proto = (uint8_t)rd_uint(v, l);
        break;
    case OP_TOS:
        r->tos = (uint8_t)rd_uint(v, l);
        break;
    case OP_TCP_FLAGS:
        r->tcp_flags = (uint8_t)rd_uint(v, l);
        break;
    case OP_SRC_PORT:
        r->sport = (uint16_t)rd_uint(v, l);
        break;
    case OP_DST_PORT:
        r->dport = (uint16_t)rd_uint(v, l);
        break;
    case OP_SRC_V4:
        if (r->ip_version != 6) {
            memcpy(r->src, v, 4);
            r->ip_version = 4;
        }
        break;
    case OP_DST_V4:
        if (r->ip_version != 6) {
            memcpy(r->dst, v, 4);
            r->ip_version = 4;
        }
        break;
    case OP_SRC_V6:
        if (r->ip_version == 4)
            memset(r->dst, 0, 16); /* a v4 destination seen first is dropped */
        memcpy(r->src, v, 16);
        r->ip_version = 6;
        break;
    case OP_DST_V6:
        if (r->ip_version == 4)
            memset(r->src, 0, 16);
        memcpy(r->dst, v, 16);
        r->ip_version = 6;
        break;
    case OP_INGRESS_IF:
        r->input_if = (uint32_t)rd_uint(v, l);
        break;
    case OP_EGRESS_IF:
        r->output_if = (uint32_t)rd_uint(v, l);
        break;
    case OP_ICMP_TYPE_CODE: {
        uint64_t tc = rd_uint(v, l);
        r->icmp_type = (uint8_t)(tc >> 8);
        r->icmp_code = (uint8_t)tc;
        break;
    }
    case OP_ICMP_TYPE:
        r->icmp_type = (uint8_t)rd_uint(v, l);
        break;
    case OP_ICMP_CODE:
        r->icmp_code = (uint8_t)rd_uint(v, l);
        break;
    case OP_START_SYSUPTIME:
        t->up_start = true;
        t->up_start_ms = (uint32_t)rd_uint(v, l);
        break;
    case OP_END_SYSUPTIME:
        t->up_end = true;
        t->up_end_ms = (uint32_t)rd_uint(v, l);
        break;
    case OP_START_SECONDS:
    case OP_END_SECONDS:
        set_time(t, op == OP_START_SECONDS, rd_uint(v, l) * FH__FLOW_US);
        break;
    case OP_START_MILLISECONDS:
    case OP_END_MILLISECONDS:
        set_time(t, op == OP_START_MILLISECONDS, rd_uint(v, l) * 1000);
        break;
    case OP_START_NTP:
    case OP_END_NTP:
        set_time(t, op == OP_START_NTP, ntp_to_us(rd_uint(v, 8)));
        break;
    case OP_START_DELTA_US:
    case OP_END_DELTA_US:
        set_time(t, op == OP_START_DELTA_US, sub_clamped(m->export_us, rd_uint(v, l)));
        break;
    case OP_SYSTEM_INIT_MS:
        t->sys_init_ms = rd_uint(v, l);
        break;
    default:
        break;
    }
}

/* ---- templates compiled ---------------------------------------------------- */

void fh__flow_template_compile(struct fh__flow_template *t)
{
    free(t->ops);
    t->ops = NULL;
    t->n_ops = 0;
    t->n_enterprise = 0;
    if (t->varlen || t->options)
        return; /* offsets vary per record, or options records: the general path */
    t->ops = fh_xcalloc(t->n_fields ? t->n_fields : 1, sizeof(*t->ops));
    uint32_t off = 0;
    for (uint16_t i = 0; i < t->n_fields; i++) {
        const struct fh__flow_field *f = &t->fields[i];
        if (f->enterprise) {
            t->n_enterprise++;
        } else {
            uint8_t op = field_op(f->id, f->len);
            if (op != OP_NONE)
                t->ops[t->n_ops++] = (struct fh__flow_op){.off = off, .len = f->len, .op = op};
        }
        off += f->len;
    }
}

static uint64_t uptime_to_us(const struct msg *m, uint64_t sys_init_ms, uint32_t stamp_ms)
{
    if (!m->ipfix) {
        /* v9: relative to the header's sysUpTime at export (see NetFlow v5). */
        int64_t ago_ms = (int32_t)(m->uptime_ms - stamp_ms);
        int64_t t = (int64_t)m->export_us - ago_ms * 1000;
        return t > 0 ? (uint64_t)t : 0;
    }
    if (sys_init_ms == 0)
        return m->export_us; /* IPFIX without systemInitTimeMilliseconds: unknown */
    return (sys_init_ms + stamp_ms) * 1000;
}

static void finish_times(const struct msg *m, fh_flow_record *r, struct times *t)
{
    uint64_t init = t->sys_init_ms ? t->sys_init_ms : (m->e ? m->e->sys_init_ms : 0);
    if (t->up_start && !t->have_start)
        set_time(t, true, uptime_to_us(m, init, t->up_start_ms));
    if (t->up_end && !t->have_end)
        set_time(t, false, uptime_to_us(m, init, t->up_end_ms));
    r->start_us = t->have_start ? t->start_us : (t->have_end ? t->end_us : m->export_us);
    r->end_us = t->have_end ? t->end_us : r->start_us;
}

static void sampler_learn(struct fh__flow_exporter *e, uint64_t id, uint32_t rate)
{
    for (uint8_t i = 0; i < e->n_samplers; i++) {
        if (e->samplers[i].id == id) {
            e->samplers[i].rate = rate;
            return;
        }
    }
    uint8_t i = e->n_samplers < FH__FLOW_MAX_SAMPLERS ? e->n_samplers++ : e->next_sampler;
    e->next_sampler = (uint8_t)((i + 1) % FH__FLOW_MAX_SAMPLERS);
    e->samplers[i].id = id;
    e->samplers[i].rate = rate;
}

static uint32_t sampler_rate(const struct fh__flow_exporter *e, uint64_t id)
{
    for (uint8_t i = 0; e && i < e->n_samplers; i++)
        if (e->samplers[i].id == id)
            return e->samplers[i].rate;
    return 0;
}

/* Options data: what the collector learns about the exporter. A rate that
 * names its sampler is kept for records naming the same sampler, and is the
 * exporter's rate only until one without a sampler id is seen. */
static void options_record(struct msg *m, const struct fh__flow_template *tpl,
                           const uint8_t *const *vals, const uint16_t *lens)
{
    struct sampling s = {0};
    uint64_t init = 0;
    /* v9 scope fields have their own numbering (1 system, 2 interface...). */
    uint16_t first = m->ipfix ? 0 : tpl->scope_fields;
    for (uint16_t i = first; i < tpl->n_fields; i++) {
        const struct fh__flow_field *f = &tpl->fields[i];
        if (f->enterprise)
            continue;
        if (field_sampling(&s, f->id, vals[i], lens[i]))
            continue;
        if (f->id == IE_SYSTEM_INIT_MS && lens[i] >= 1 && lens[i] <= 8)
            init = fh__flow_rduint(vals[i], lens[i]);
    }
    m->c->st.options_records++;
    if (m->e == NULL)
        return;
    uint32_t rate = sampling_rate(&s);
    if (rate && s.have_sampler) {
        sampler_learn(m->e, s.sampler_id, rate);
        if (m->e->sampling == 0)
            m->e->sampling = rate;
    } else if (rate) {
        m->e->sampling = rate;
    }
    if (init)
        m->e->sys_init_ms = init;
}

/* What every flow record gets before its fields and after them. */
static fh_flow_record *record_start(struct msg *m, const struct fh__flow_template *tpl)
{
    fh_flow_record *r = fh__flow_next_record(m->c);
    fh__flow_record_init(m->c, r, m->proto, m->exporter, m->domain);
    r->template_id = tpl->key.template_id;
    if (m->e && m->e->sampling)
        r->sampling_rate = m->e->sampling;
    return r;
}

static void record_finish(struct msg *m, fh_flow_record *r, struct times *t, const struct counts *n,
                          const struct sampling *s)
{
    if (!n->have_bytes)
        r->bytes = n->post_bytes;
    if (!n->have_packets)
        r->packets = n->post_packets;
    uint32_t rate = sampling_rate(s);
    if (rate == 0 && s->have_sampler)
        rate = sampler_rate(m->e, s->sampler_id);
    if (rate)
        r->sampling_rate = rate;
    finish_times(m, r, t);
    m->c->st.records[m->proto]++;
    if (m->e)
        m->e->st.records++;
    fh__flow_emit(m->c);
}

/* A record of any template: fields found by vals/lens, their meaning looked
 * up one by one. */
static void flow_record(struct msg *m, const struct fh__flow_template *tpl,
                        const uint8_t *const *vals, const uint16_t *lens)
{
    fh_flow_record *r = record_start(m, tpl);
    struct times t = {0};
    struct counts n = {0};
    struct sampling s = {0};
    for (uint16_t i = 0; i < tpl->n_fields; i++) {
        const struct fh__flow_field *f = &tpl->fields[i];
        if (f->enterprise) {
            m->c->st.enterprise_fields_skipped++;
            continue;
        }
        apply_field(m, r, &t, &n, &s, field_op(f->id, lens[i]), vals[i], lens[i]);
    }
    record_finish(m, r, &t, &n, &s);
}

/* A record of a fixed-length template at rec: only the fields that mean
 * something, at offsets and with meanings worked out when the template was
 * learnt. Same result as flow_record. */
static void flow_record_compiled(struct msg *m, const struct fh__flow_template *tpl,
                                 const uint8_t *rec)
{
    fh_flow_record *r = record_start(m, tpl);
    struct times t = {0};
    struct counts n = {0};
    struct sampling s = {0};
    m->c->st.enterprise_fields_skipped += tpl->n_enterprise;
    for (uint16_t i = 0; i < tpl->n_ops; i++) {
        const struct fh__flow_op *o = &tpl->ops[i];
        apply_field(m, r, &t, &n, &s, o->op, rec + o->off, o->len);
    }
    record_finish(m, r, &t, &n, &s);
}

static void data_set(struct msg *m, uint16_t set_id, const uint8_t *p, const uint8_t *end)
{
    fh_flow_collector *c = m->c;
    struct fh__flow_key k;
    key_for(m, set_id, &k);
    bool expired;
    const struct fh__flow_template *tpl = fh__flow_template_find(c, &k, m->now_us, &expired);
    if (tpl == NULL) {
        anomaly(m, expired ? FH_FLOW_ANOM_TEMPLATE_EXPIRED : FH_FLOW_ANOM_NO_TEMPLATE);
        m->uncounted = true;
        return;
    }
    if (tpl->ops && !c->general_only) {
        /* Fixed length: every record is min_len bytes; what is left over at
         * the end is padding, as below. */
        while ((size_t)(end - p) >= tpl->min_len) {
            m->data_records++;
            flow_record_compiled(m, tpl, p);
            p += tpl->min_len;
        }
        return;
    }
    /* Value pointers of one record, in arrays sized max_template_fields at
     * creation, so that no record allocates. */
    const uint8_t **vals = c->vals;
    uint16_t *lens = c->lens;
    while ((size_t)(end - p) >= tpl->min_len) {
        const uint8_t *q = p;
        bool ok = true;
        for (uint16_t i = 0; i < tpl->n_fields && ok; i++) {
            uint32_t l = tpl->fields[i].len;
            if (l == VARLEN) {
                /* RFC 7011 7: one length byte, or 255 and two more. */
                if (end - q < 1) {
                    ok = false;
                    break;
                }
                l = *q++;
                if (l == 255) {
                    if (end - q < 2) {
                        ok = false;
                        break;
                    }
                    l = fh__flow_rd16(q);
                    q += 2;
                }
            }
            if ((size_t)(end - q) < l) {
                ok = false;
                break;
            }
            vals[i] = q;
            lens[i] = (uint16_t)l;
            q += l;
        }
        if (!ok) {
            anomaly(m, FH_FLOW_ANOM_RECORD_PAST_END);
            break;
        }
        p = q;
        m->data_records++;
        if (tpl->options)
            options_record(m, tpl, vals, lens);
        else
            flow_record(m, tpl, vals, lens);
    }
}

/* ---- datagrams ------------------------------------------------------------ */

static void sets(struct msg *m, const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        if (end - p < SET_HEADER_LEN) {
            anomaly(m, FH_FLOW_ANOM_BAD_SET_LENGTH);
            return;
        }
        uint16_t id = fh__flow_rd16(p), len = fh__flow_rd16(p + 2);
        if (len < SET_HEADER_LEN || len > end - p) {
            anomaly(m, FH_FLOW_ANOM_BAD_SET_LENGTH);
            return;
        }
        const uint8_t *body = p + SET_HEADER_LEN, *set_end = p + len;
        p = set_end;
        if (id >= 256)
            data_set(m, id, body, set_end);
        else if (id == (m->ipfix ? 2 : 0))
            template_set(m, id, body, set_end);
        else if (m->ipfix && id == 3)
            ipfix_options_set(m, body, set_end);
        else if (!m->ipfix && id == 1)
            v9_options_set(m, body, set_end);
        else
            anomaly(m, FH_FLOW_ANOM_RESERVED_SET);
    }
}

fh_err fh__flow_decode_netflow9(fh_flow_collector *c, const fh_flow_addr *exporter,
                                const uint8_t *data, size_t len, uint64_t now_us)
{
    if (len < V9_HEADER_LEN) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    struct v9_header h;
    memcpy(&h, data, sizeof(h));
    c->st.datagrams[FH_FLOW_NETFLOW9]++;
    struct msg m = {
        .c = c,
        .exporter = exporter,
        .proto = FH_FLOW_NETFLOW9,
        .domain = fh__flow_rd32(h.source_id),
        .export_us = (uint64_t)fh__flow_rd32(h.unix_secs) * FH__FLOW_US,
        .uptime_ms = fh__flow_rd32(h.sys_uptime),
        .now_us = now_us,
    };
    m.e = fh__flow_exporter_get(c, exporter, FH_FLOW_NETFLOW9, m.domain, now_us);
    uint32_t seq = fh__flow_rd32(h.sequence);
    fh__flow_sequence(c, m.e, seq, seq + 1);
    sets(&m, data + V9_HEADER_LEN, data + len);
    return FH_OK;
}

fh_err fh__flow_decode_ipfix(fh_flow_collector *c, const fh_flow_addr *exporter,
                             const uint8_t *data, size_t len, uint64_t now_us)
{
    if (len < IPFIX_HEADER_LEN) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    struct ipfix_header h;
    memcpy(&h, data, sizeof(h));
    uint16_t mlen = fh__flow_rd16(h.length);
    if (mlen < IPFIX_HEADER_LEN || mlen > len) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_BAD_LENGTH);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    c->st.datagrams[FH_FLOW_IPFIX]++;
    struct msg m = {
        .c = c,
        .exporter = exporter,
        .proto = FH_FLOW_IPFIX,
        .ipfix = true,
        .domain = fh__flow_rd32(h.domain_id),
        .export_us = (uint64_t)fh__flow_rd32(h.export_time) * FH__FLOW_US,
        .now_us = now_us,
    };
    m.e = fh__flow_exporter_get(c, exporter, FH_FLOW_IPFIX, m.domain, now_us);
    sets(&m, data + IPFIX_HEADER_LEN, data + mlen);
    /* The sequence number counts data records sent before this message, so
     * the next message should carry seq + the records in this one; when a
     * data set could not be read (no template) that count is unknown and
     * the next check is skipped. */
    uint32_t seq = fh__flow_rd32(h.sequence);
    fh__flow_sequence(c, m.e, seq, seq + m.data_records);
    if (m.e && m.uncounted)
        m.e->seq_uncertain = true;
    return FH_OK;
}
