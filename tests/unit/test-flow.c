/*
 * Unit tests: flow-record decoding (lib/flow). Every datagram is built here
 * byte by byte with a small writer, so each test shows the wire format it
 * relies on: NetFlow v5, NetFlow v9 templates and data, IPFIX templates,
 * withdrawals, options, variable-length and enterprise fields, sFlow v5
 * samples, sequence gaps, every limit, and truncated or garbage input. The
 * three ways of decoding (one record at a time, in batches, and without
 * compiled templates) are compared record by record on the fuzz corpora and
 * on random templates, and batches with prefetching must give the detectors'
 * events of one record at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <netinet/in.h>

#include "fenghuo/detect.h"
#include "fenghuo/flow.h"
#include "fenghuo/util.h"
#include "flow/flow-int.h" /* general_only: the decoder without compiled templates */

#define US 1000000ULL
#define T0 1700000000ULL /* export time used by the tests, seconds */

/* ---- datagram writer -------------------------------------------------------- */

struct wr {
    uint8_t d[4096];
    size_t n;
};

static void u8(struct wr *w, unsigned v)
{
    assert_true(w->n < sizeof(w->d));
    w->d[w->n++] = (uint8_t)v;
}

static void u16(struct wr *w, unsigned v)
{
    u8(w, v >> 8);
    u8(w, v);
}

static void u32(struct wr *w, uint32_t v)
{
    u16(w, v >> 16);
    u16(w, v & 0xffff);
}

static void u64(struct wr *w, uint64_t v)
{
    u32(w, (uint32_t)(v >> 32));
    u32(w, (uint32_t)v);
}

static void raw(struct wr *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof(w->d));
    memcpy(w->d + w->n, p, n);
    w->n += n;
}

static void ip4(struct wr *w, unsigned a, unsigned b, unsigned c, unsigned d)
{
    u8(w, a), u8(w, b), u8(w, c), u8(w, d);
}

static void put16_at(struct wr *w, size_t at, unsigned v)
{
    w->d[at] = (uint8_t)(v >> 8);
    w->d[at + 1] = (uint8_t)v;
}

/* A set (v9 flowset) begins with id and length; the length is patched. */
static size_t set_begin(struct wr *w, unsigned id)
{
    size_t at = w->n;
    u16(w, id);
    u16(w, 0);
    return at;
}

static void set_end(struct wr *w, size_t at)
{
    put16_at(w, at + 2, (unsigned)(w->n - at));
}

static void ipfix_header(struct wr *w, uint32_t export_s, uint32_t seq, uint32_t domain)
{
    w->n = 0;
    u16(w, 10);
    u16(w, 0); /* length, patched by ipfix_end */
    u32(w, export_s);
    u32(w, seq);
    u32(w, domain);
}

static void ipfix_end(struct wr *w)
{
    put16_at(w, 2, (unsigned)w->n);
}

static void v9_header(struct wr *w, uint32_t uptime_ms, uint32_t secs, uint32_t seq,
                      uint32_t source)
{
    w->n = 0;
    u16(w, 9);
    u16(w, 0); /* count */
    u32(w, uptime_ms);
    u32(w, secs);
    u32(w, seq);
    u32(w, source);
}

/* ---- collecting records ------------------------------------------------------ */

struct got {
    fh_flow_record r[64];
    int n;
};

static void collect(void *ctx, const fh_flow_record *r)
{
    struct got *g = ctx;
    if (g->n < 64)
        g->r[g->n] = *r;
    g->n++;
}

static const fh_flow_addr EXPORTER = {.family = 4, .addr = {192, 0, 2, 1}};

static fh_flow_collector *collector(const fh_flow_limits *l)
{
    fh_flow_collector *c;
    assert_int_equal(fh_flow_collector_new(l, &c, NULL), FH_OK);
    return c;
}

static fh_err feed(fh_flow_collector *c, const struct wr *w, uint64_t now_us, struct got *g)
{
    /* An exact-size copy, so that ASan sees any read past the datagram. */
    uint8_t *copy = fh_xmalloc(w->n);
    memcpy(copy, w->d, w->n);
    fh_err rc = fh_flow_decode(c, &EXPORTER, copy, w->n, now_us, collect, g);
    free(copy);
    return rc;
}

static uint64_t anomaly_count(fh_flow_collector *c, fh_flow_anomaly a)
{
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    return st.anomalies[a];
}

static fh_flow_exporter_stats exporter_stats(fh_flow_collector *c, fh_flow_proto p, uint32_t dom)
{
    fh_flow_exporter_stats st;
    assert_int_equal(fh_flow_collector_exporter(c, &EXPORTER, p, dom, &st), FH_OK);
    return st;
}

/* ---- NetFlow v5 -------------------------------------------------------------- */

static void v5_datagram(struct wr *w, uint16_t count, uint32_t seq, uint16_t sampling)
{
    w->n = 0;
    u16(w, 5);
    u16(w, count);
    u32(w, 100000);     /* sysUpTime: 100 s */
    u32(w, T0);         /* unix_secs */
    u32(w, 5000000);    /* unix_nsecs: 5 ms */
    u32(w, seq);        /* flow_sequence */
    u8(w, 1), u8(w, 2); /* engine type, id */
    u16(w, sampling);
    for (uint16_t i = 0; i < count; i++) {
        ip4(w, 203, 0, 113, 7);
        ip4(w, 198, 18, 0, (unsigned)(10 + i));
        ip4(w, 0, 0, 0, 0);   /* next hop */
        u16(w, 3), u16(w, 4); /* interfaces */
        u32(w, 10);           /* packets */
        u32(w, 600);          /* bytes */
        u32(w, 40000);        /* first: 60 s before export */
        u32(w, 99000);        /* last: 1 s before export */
        u16(w, 40000), u16(w, 80);
        u8(w, 0), u8(w, FH_TCP_SYN), u8(w, 6), u8(w, 0);
        u16(w, 0), u16(w, 0), u8(w, 0), u8(w, 0), u16(w, 0);
    }
}

static void netflow5_records_get_absolute_times(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v5_datagram(&w, 2, 0, 0);
    assert_int_equal(w.n, 24 + 2 * 48);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 2);
    const fh_flow_record *r = &g.r[1];
    assert_int_equal(r->proto, FH_FLOW_NETFLOW5);
    assert_int_equal(r->ip_version, 4);
    const uint8_t dst[4] = {198, 18, 0, 11};
    assert_memory_equal(r->dst, dst, 4);
    assert_int_equal(r->sport, 40000);
    assert_int_equal(r->dport, 80);
    assert_int_equal(r->ip_proto, 6);
    assert_int_equal(r->tcp_flags, FH_TCP_SYN);
    assert_int_equal(r->packets, 10);
    assert_int_equal(r->bytes, 600);
    uint64_t export_us = T0 * US + 5000;
    assert_int_equal(r->start_us, export_us - 60 * US);
    assert_int_equal(r->end_us, export_us - 1 * US);
    assert_int_equal(r->sampling_rate, 1);
    assert_int_equal(r->domain_id, 0x0102);
    fh_flow_collector_free(c);
}

static void netflow5_sampling_interval_comes_from_the_header(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v5_datagram(&w, 1, 0, 0x4000 | 512); /* mode 1, one in 512 */
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].sampling_rate, 512);
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    assert_true(fh_flow_record_to_pkt(&g.r[0], &p, &scale, &ts));
    assert_int_equal(scale, 10 * 512);
    assert_int_equal(p.wire_len, 60);
    assert_int_equal(ts, g.r[0].end_us);
    fh_flow_collector_free(c);
}

static void netflow5_sequence_gap_counts_lost_flows(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v5_datagram(&w, 3, 100, 0);
    feed(c, &w, T0 * US, &g);
    v5_datagram(&w, 3, 103, 0); /* in order */
    feed(c, &w, T0 * US, &g);
    v5_datagram(&w, 3, 110, 0); /* 4 flows (106..109) lost */
    feed(c, &w, T0 * US, &g);
    fh_flow_exporter_stats st = exporter_stats(c, FH_FLOW_NETFLOW5, 0x0102);
    assert_int_equal(st.datagrams, 3);
    assert_int_equal(st.records, 9);
    assert_int_equal(st.lost, 4);
    assert_int_equal(st.sequence_gaps, 1);
    v5_datagram(&w, 1, 5, 0); /* backwards: a restart */
    feed(c, &w, T0 * US, &g);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_SEQUENCE_RESET), 1);
    assert_int_equal(exporter_stats(c, FH_FLOW_NETFLOW5, 0x0102).lost, 4);
    fh_flow_collector_free(c);
}

static void netflow5_count_past_the_datagram_is_dropped(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v5_datagram(&w, 2, 0, 0);
    w.n -= 1; /* the second record is one byte short */
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_ERR_PARSE);
    assert_int_equal(g.n, 0);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_BAD_LENGTH), 1);
    v5_datagram(&w, 1, 0, 0);
    put16_at(&w, 2, 31); /* more than 30 records is not v5 */
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_ERR_PARSE);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_BAD_LENGTH), 2);
    fh_flow_collector_free(c);
}

/* ---- NetFlow v9 -------------------------------------------------------------- */

/* Template 256: src v4, dst v4, sport, dport, proto, flags, packets, bytes,
 * first, last (sysUpTime). 34 bytes a record. */
static void v9_template_set(struct wr *w)
{
    size_t s = set_begin(w, 0);
    u16(w, 256);
    u16(w, 10);
    static const unsigned f[][2] = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1},
                                    {6, 1}, {2, 4},  {1, 4}, {22, 4}, {21, 4}};
    for (size_t i = 0; i < FH_ARRAY_LEN(f); i++)
        u16(w, f[i][0]), u16(w, f[i][1]);
    set_end(w, s);
}

static void v9_data_set(struct wr *w, unsigned records)
{
    size_t s = set_begin(w, 256);
    for (unsigned i = 0; i < records; i++) {
        ip4(w, 203, 0, 113, 9);
        ip4(w, 198, 18, 0, 20);
        u16(w, 53), u16(w, 5353);
        u8(w, 17), u8(w, 0);
        u32(w, 4), u32(w, 4000);
        u32(w, 50000), u32(w, 58000); /* 10 s and 2 s before export */
    }
    while ((w->n - s) % 4)
        u8(w, 0); /* padding */
    set_end(w, s);
}

static void netflow9_template_then_data(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 77);
    v9_template_set(&w);
    v9_data_set(&w, 3);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 3);
    const fh_flow_record *r = &g.r[2];
    assert_int_equal(r->proto, FH_FLOW_NETFLOW9);
    assert_int_equal(r->ip_version, 4);
    assert_int_equal(r->ip_proto, 17);
    assert_int_equal(r->sport, 53);
    assert_int_equal(r->dport, 5353);
    assert_int_equal(r->packets, 4);
    assert_int_equal(r->bytes, 4000);
    assert_int_equal(r->start_us, (T0 - 10) * US);
    assert_int_equal(r->end_us, (T0 - 2) * US);
    assert_int_equal(r->domain_id, 77);
    assert_int_equal(r->template_id, 256);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_learned, 1);
    assert_int_equal(st.templates_active, 1);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_RECORD_PAST_END), 0);
    fh_flow_collector_free(c);
}

static void netflow9_data_before_template_is_dropped_and_counted(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 77);
    v9_data_set(&w, 2);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 0);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_NO_TEMPLATE), 1);
    assert_int_equal(exporter_stats(c, FH_FLOW_NETFLOW9, 77).anomalies[FH_FLOW_ANOM_NO_TEMPLATE],
                     1);
    v9_header(&w, 61000, T0 + 1, 2, 77);
    v9_template_set(&w);
    feed(c, &w, T0 * US, &g);
    v9_header(&w, 62000, T0 + 2, 3, 77);
    v9_data_set(&w, 2);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 2);
    /* Templates are per source id: another domain still has none. */
    v9_header(&w, 62000, T0 + 2, 1, 78);
    v9_data_set(&w, 1);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_NO_TEMPLATE), 2);
    fh_flow_collector_free(c);
}

static void netflow9_options_data_sets_the_sampling_rate(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 5);
    size_t s = set_begin(&w, 1); /* options template */
    u16(&w, 300);
    u16(&w, 4);              /* scope length: one field */
    u16(&w, 8);              /* options length: two fields */
    u16(&w, 1), u16(&w, 4);  /* scope: system, 4 bytes */
    u16(&w, 34), u16(&w, 4); /* SAMPLING_INTERVAL */
    u16(&w, 35), u16(&w, 1); /* SAMPLING_ALGORITHM */
    u16(&w, 0);              /* padding */
    set_end(&w, s);
    s = set_begin(&w, 300);
    u32(&w, 1);    /* scope value; type 1 would read as a byte count were it not a scope */
    u32(&w, 1000); /* one in 1000 */
    u8(&w, 2);
    u8(&w, 0), u8(&w, 0), u8(&w, 0);
    set_end(&w, s);
    v9_template_set(&w);
    v9_data_set(&w, 1);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].sampling_rate, 1000);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.options_records, 1);
    assert_int_equal(exporter_stats(c, FH_FLOW_NETFLOW9, 5).sampling_rate, 1000);
    fh_flow_collector_free(c);
}

static void netflow9_records_take_the_rate_of_their_sampler(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 5);
    size_t s = set_begin(&w, 1);
    u16(&w, 301), u16(&w, 4), u16(&w, 12);
    u16(&w, 1), u16(&w, 4);  /* scope: system */
    u16(&w, 48), u16(&w, 1); /* FLOW_SAMPLER_ID */
    u16(&w, 49), u16(&w, 1); /* FLOW_SAMPLER_MODE */
    u16(&w, 50), u16(&w, 4); /* FLOW_SAMPLER_RANDOM_INTERVAL */
    u16(&w, 0);
    set_end(&w, s);
    s = set_begin(&w, 301);
    u32(&w, 0), u8(&w, 1), u8(&w, 2), u32(&w, 100);
    u32(&w, 0), u8(&w, 2), u8(&w, 2), u32(&w, 1000);
    set_end(&w, s);
    s = set_begin(&w, 0);
    u16(&w, 260), u16(&w, 3);
    u16(&w, 8), u16(&w, 4), u16(&w, 2), u16(&w, 4), u16(&w, 48), u16(&w, 1);
    set_end(&w, s);
    s = set_begin(&w, 260);
    static const uint8_t sampler[] = {2, 1, 3};
    for (size_t i = 0; i < FH_ARRAY_LEN(sampler); i++)
        ip4(&w, 192, 0, 2, (unsigned)i), u32(&w, 5), u8(&w, sampler[i]);
    set_end(&w, s);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.r[0].sampling_rate, 1000);
    assert_int_equal(g.r[1].sampling_rate, 100);
    /* An unknown sampler: the exporter's rate, the first one learnt. */
    assert_int_equal(g.r[2].sampling_rate, 100);
    fh_flow_collector_free(c);
}

static void netflow9_sequence_counts_datagrams(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    uint32_t seqs[] = {10, 11, 15, 16};
    for (size_t i = 0; i < FH_ARRAY_LEN(seqs); i++) {
        v9_header(&w, 60000, T0, seqs[i], 9);
        v9_template_set(&w);
        feed(c, &w, T0 * US, &g);
    }
    fh_flow_exporter_stats st = exporter_stats(c, FH_FLOW_NETFLOW9, 9);
    assert_int_equal(st.lost, 3);
    assert_int_equal(st.sequence_gaps, 1);
    assert_int_equal(st.datagrams, 4);
    fh_flow_collector_free(c);
}

static void netflow9_template_expires_after_the_timeout(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.template_timeout_s = 60;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 1);
    v9_template_set(&w);
    feed(c, &w, T0 * US, &g);
    v9_header(&w, 60000, T0, 2, 1);
    v9_data_set(&w, 1);
    feed(c, &w, (T0 + 59) * US, &g);
    assert_int_equal(g.n, 1);
    feed(c, &w, (T0 + 61) * US, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_TEMPLATE_EXPIRED), 1);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_expired, 1);
    assert_int_equal(st.templates_active, 0);
    fh_flow_collector_free(c);
}

static void netflow9_expire_sweeps_old_templates(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.template_timeout_s = 10;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    for (uint32_t src = 0; src < 5; src++) {
        v9_header(&w, 60000, T0, 1, src);
        v9_template_set(&w);
        feed(c, &w, (T0 + src * 5) * US, &g);
    }
    fh_flow_collector_expire(c, (T0 + 21) * US); /* sources 0, 1 and 2 are older than 10 s */
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_expired, 3);
    assert_int_equal(st.templates_active, 2);
    fh_flow_collector_free(c);
}

static void netflow9_zero_length_template_is_malformed(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    v9_header(&w, 60000, T0, 1, 1);
    size_t s = set_begin(&w, 0);
    u16(&w, 256), u16(&w, 1), u16(&w, 8), u16(&w, 0); /* one field of 0 bytes */
    set_end(&w, s);
    s = set_begin(&w, 256);
    u32(&w, 0);
    set_end(&w, s);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 0);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_TEMPLATE_MALFORMED), 1);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_NO_TEMPLATE), 1);
    fh_flow_collector_free(c);
}

/* ---- IPFIX ------------------------------------------------------------------- */

/* Template 400 for IPv6: src, dst, ports, proto, packets (reduced to 4
 * bytes), bytes (8), flowStart/EndMilliseconds. */
static void ipfix_v6_template(struct wr *w, unsigned tid)
{
    size_t s = set_begin(w, 2);
    u16(w, tid);
    u16(w, 9);
    static const unsigned f[][2] = {{27, 16}, {28, 16}, {7, 2},   {11, 2}, {4, 1},
                                    {2, 4},   {1, 8},   {152, 8}, {153, 8}};
    for (size_t i = 0; i < FH_ARRAY_LEN(f); i++)
        u16(w, f[i][0]), u16(w, f[i][1]);
    set_end(w, s);
}

static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

static void ipfix_v6_data(struct wr *w, unsigned tid, unsigned records)
{
    size_t s = set_begin(w, tid);
    for (unsigned i = 0; i < records; i++) {
        raw(w, V6_SRC, 16);
        raw(w, V6_DST, 16);
        u16(w, 12345), u16(w, 443);
        u8(w, 6);
        u32(w, 7);
        u64(w, 7000);
        u64(w, (T0 - 30) * 1000 + 250);
        u64(w, (T0 - 1) * 1000);
    }
    set_end(w, s);
}

static void ipfix_ipv6_flows_decode(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 42);
    ipfix_v6_template(&w, 400);
    ipfix_v6_data(&w, 400, 2);
    ipfix_end(&w);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 2);
    const fh_flow_record *r = &g.r[0];
    assert_int_equal(r->proto, FH_FLOW_IPFIX);
    assert_int_equal(r->ip_version, 6);
    assert_memory_equal(r->src, V6_SRC, 16);
    assert_memory_equal(r->dst, V6_DST, 16);
    assert_int_equal(r->dport, 443);
    assert_int_equal(r->packets, 7);
    assert_int_equal(r->bytes, 7000);
    assert_int_equal(r->start_us, (T0 - 30) * US + 250000);
    assert_int_equal(r->end_us, (T0 - 1) * US);
    assert_int_equal(r->domain_id, 42);
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    assert_true(fh_flow_record_to_pkt(r, &p, &scale, &ts));
    assert_int_equal(p.ip_version, 6);
    assert_memory_equal(p.dst, V6_DST, 16);
    assert_int_equal(p.wire_len, 1000);
    assert_int_equal(scale, 7);
    /* 7 packets over 29.75 s: under one packet a second, rounded up. */
    assert_int_equal(fh_flow_record_rate_scale(r), 1);
    fh_flow_collector_free(c);
}

static void ipfix_withdrawal_removes_one_template(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400);
    ipfix_v6_template(&w, 401);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 400), u16(&w, 0); /* withdraw 400 */
    set_end(&w, s);
    ipfix_v6_data(&w, 400, 1);
    ipfix_v6_data(&w, 401, 1);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].template_id, 401);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_NO_TEMPLATE), 1);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_withdrawn, 1);
    assert_int_equal(st.templates_active, 1);
    fh_flow_collector_free(c);
}

static void ipfix_withdraw_all_removes_the_domains_templates_only(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    for (uint32_t dom = 1; dom <= 2; dom++) {
        ipfix_header(&w, T0, 0, dom);
        ipfix_v6_template(&w, 400);
        ipfix_v6_template(&w, 401);
        ipfix_end(&w);
        feed(c, &w, T0 * US, &g);
    }
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 2), u16(&w, 0); /* template id 2: all templates of domain 1 */
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_withdrawn, 2);
    assert_int_equal(st.templates_active, 2);
    ipfix_header(&w, T0, 0, 2);
    ipfix_v6_data(&w, 401, 1);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 1);
    fh_flow_collector_free(c);
}

static void ipfix_redefined_template_is_counted_and_used(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400);
    ipfix_v6_template(&w, 400); /* the same again: a refresh, not a change */
    size_t s = set_begin(&w, 2);
    u16(&w, 400), u16(&w, 1), u16(&w, 8), u16(&w, 4); /* now only a source address */
    set_end(&w, s);
    s = set_begin(&w, 400);
    ip4(&w, 192, 0, 2, 99);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_TEMPLATE_REDEFINED), 1);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].ip_version, 4);
    assert_int_equal(g.r[0].src[3], 99);
    fh_flow_collector_free(c);
}

static void ipfix_variable_length_fields_in_both_forms(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 500), u16(&w, 4);
    u16(&w, 8), u16(&w, 4);
    u16(&w, 82), u16(&w, 0xffff); /* interfaceName, variable */
    u16(&w, 12), u16(&w, 4);
    u16(&w, 7), u16(&w, 2);
    set_end(&w, s);
    s = set_begin(&w, 500);
    /* Short form: one length byte. */
    ip4(&w, 10, 0, 0, 1);
    u8(&w, 3), raw(&w, "et0", 3);
    ip4(&w, 10, 0, 0, 2);
    u16(&w, 1111);
    /* Long form: 255 then two length bytes. */
    ip4(&w, 10, 0, 0, 3);
    u8(&w, 255), u16(&w, 300);
    for (int i = 0; i < 300; i++)
        u8(&w, 'x');
    ip4(&w, 10, 0, 0, 4);
    u16(&w, 2222);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.r[0].sport, 1111);
    assert_int_equal(g.r[0].dst[3], 2);
    assert_int_equal(g.r[1].sport, 2222);
    assert_int_equal(g.r[1].src[3], 3);
    assert_int_equal(g.r[1].dst[3], 4);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_RECORD_PAST_END), 0);
    fh_flow_collector_free(c);
}

static void ipfix_variable_length_past_the_set_stops_it(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 500), u16(&w, 2);
    u16(&w, 8), u16(&w, 4);
    u16(&w, 82), u16(&w, 0xffff);
    set_end(&w, s);
    s = set_begin(&w, 500);
    ip4(&w, 10, 0, 0, 1);
    u8(&w, 0); /* empty string */
    ip4(&w, 10, 0, 0, 2);
    u8(&w, 200); /* claims 200 bytes; 3 follow */
    u8(&w, 'a'), u8(&w, 'b'), u8(&w, 'c');
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].src[3], 1);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_RECORD_PAST_END), 1);
    fh_flow_collector_free(c);
}

static void ipfix_enterprise_fields_are_skipped(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 600), u16(&w, 4);
    u16(&w, 0x8000 | 8), u16(&w, 4), u32(&w, 29305); /* enterprise field numbered 8 */
    u16(&w, 8), u16(&w, 4);
    u16(&w, 0x8000 | 1), u16(&w, 0xffff), u32(&w, 9); /* variable-length enterprise */
    u16(&w, 2), u16(&w, 2);
    set_end(&w, s);
    s = set_begin(&w, 600);
    ip4(&w, 1, 1, 1, 1); /* must not be taken for a source address */
    ip4(&w, 192, 0, 2, 5);
    u8(&w, 2), u16(&w, 0xffff);
    u16(&w, 9);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 1);
    const uint8_t src[4] = {192, 0, 2, 5};
    assert_memory_equal(g.r[0].src, src, 4);
    assert_int_equal(g.r[0].packets, 9);
    assert_int_equal(g.r[0].bytes, 0);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.enterprise_fields_skipped, 2);
    fh_flow_collector_free(c);
}

static void ipfix_options_packet_interval_and_space_give_the_rate(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 3);
    size_t s = set_begin(&w, 3);
    u16(&w, 700), u16(&w, 3), u16(&w, 1); /* 3 fields, 1 scope */
    u16(&w, 149), u16(&w, 4);             /* scope: observationDomainId */
    u16(&w, 305), u16(&w, 4);
    u16(&w, 306), u16(&w, 4);
    set_end(&w, s);
    s = set_begin(&w, 700);
    u32(&w, 3), u32(&w, 1), u32(&w, 99); /* 1 packet in 100 */
    set_end(&w, s);
    ipfix_v6_template(&w, 400);
    ipfix_v6_data(&w, 400, 1);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].sampling_rate, 100);
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    assert_true(fh_flow_record_to_pkt(&g.r[0], &p, &scale, &ts));
    assert_int_equal(scale, 700);
    fh_flow_collector_free(c);
}

static void ipfix_options_withdrawal_and_bad_scope(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 3);
    size_t s = set_begin(&w, 3);
    u16(&w, 700), u16(&w, 1), u16(&w, 0); /* scope count 0: malformed */
    u16(&w, 34), u16(&w, 4);
    u16(&w, 701), u16(&w, 1), u16(&w, 1);
    u16(&w, 34), u16(&w, 4);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_TEMPLATE_MALFORMED), 1);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_active, 1);
    ipfix_header(&w, T0, 0, 3);
    s = set_begin(&w, 3);
    u16(&w, 701), u16(&w, 0); /* options template withdrawal */
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_active, 0);
    assert_int_equal(st.templates_withdrawn, 1);
    fh_flow_collector_free(c);
}

static void ipfix_sequence_counts_data_records(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 1000, 1);
    ipfix_v6_template(&w, 400);
    ipfix_v6_data(&w, 400, 3);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    ipfix_header(&w, T0, 1003, 1); /* 3 records later: no loss */
    ipfix_v6_data(&w, 400, 2);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    ipfix_header(&w, T0, 1010, 1); /* expected 1005: 5 records lost */
    ipfix_v6_data(&w, 400, 1);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_exporter_stats st = exporter_stats(c, FH_FLOW_IPFIX, 1);
    assert_int_equal(st.lost, 5);
    assert_int_equal(st.sequence_gaps, 1);
    assert_int_equal(st.records, 6);
    fh_flow_collector_free(c);
}

static void ipfix_sequence_is_not_judged_after_an_unreadable_set(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_data(&w, 400, 4); /* no template: how many records is unknown */
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    ipfix_header(&w, T0, 4, 1);
    ipfix_v6_template(&w, 400);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(exporter_stats(c, FH_FLOW_IPFIX, 1).lost, 0);
    fh_flow_collector_free(c);
}

static void ipfix_times_from_deltas_seconds_and_system_init(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 800), u16(&w, 2), u16(&w, 158), u16(&w, 4), u16(&w, 159), u16(&w, 4);
    u16(&w, 801), u16(&w, 2), u16(&w, 150), u16(&w, 4), u16(&w, 151), u16(&w, 4);
    u16(&w, 802), u16(&w, 3), u16(&w, 160), u16(&w, 8), u16(&w, 22), u16(&w, 4), u16(&w, 21),
        u16(&w, 4);
    set_end(&w, s);
    s = set_begin(&w, 800);
    u32(&w, 3000000), u32(&w, 500000); /* 3 s and 0.5 s before export */
    set_end(&w, s);
    s = set_begin(&w, 801);
    u32(&w, T0 - 20), u32(&w, T0 - 10);
    set_end(&w, s);
    s = set_begin(&w, 802);
    u64(&w, (T0 - 1000) * 1000), u32(&w, 900000), u32(&w, 950500);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.r[0].start_us, (T0 - 3) * US);
    assert_int_equal(g.r[0].end_us, T0 * US - 500000);
    assert_int_equal(g.r[1].start_us, (T0 - 20) * US);
    assert_int_equal(g.r[1].end_us, (T0 - 10) * US);
    assert_int_equal(g.r[2].start_us, (T0 - 100) * US);
    assert_int_equal(g.r[2].end_us, (T0 - 50) * US + 500000);
    fh_flow_collector_free(c);
}

static void ipfix_bad_lengths_are_counted(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400);
    ipfix_end(&w);
    put16_at(&w, 2, (unsigned)w.n + 1); /* message longer than the datagram */
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_ERR_PARSE);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_BAD_LENGTH), 1);
    ipfix_header(&w, T0, 0, 1);
    size_t s = set_begin(&w, 2);
    u16(&w, 400), u16(&w, 1);
    set_end(&w, s);
    put16_at(&w, s + 2, 200); /* set longer than the message */
    ipfix_end(&w);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_BAD_SET_LENGTH), 1);
    ipfix_header(&w, T0, 0, 1);
    s = set_begin(&w, 2);
    u16(&w, 400), u16(&w, 3), u16(&w, 8), u16(&w, 4); /* 3 fields, 1 present */
    set_end(&w, s);
    s = set_begin(&w, 17); /* reserved set id */
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_TEMPLATE_MALFORMED), 1);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_RESERVED_SET), 1);
    assert_int_equal(g.n, 0);
    fh_flow_collector_free(c);
}

/* ---- limits ------------------------------------------------------------------ */

static void limit_max_templates(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_templates = 3;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    for (unsigned t = 400; t < 405; t++)
        ipfix_v6_template(&w, t);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_active, 3);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_TEMPLATE_TABLE_FULL], 2);
    fh_flow_collector_free(c);
}

static void full_template_table_makes_room_from_expired_templates(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_templates = 2;
    l.template_timeout_s = 10;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400);
    ipfix_v6_template(&w, 401);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    ipfix_header(&w, T0 + 11, 0, 1);
    ipfix_v6_template(&w, 402);
    ipfix_v6_data(&w, 402, 1);
    ipfix_end(&w);
    feed(c, &w, (T0 + 11) * US, &g);
    assert_int_equal(g.n, 1);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.templates_expired, 2);
    assert_int_equal(st.templates_active, 1);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_TEMPLATE_TABLE_FULL], 0);
    fh_flow_collector_free(c);
}

static void limit_max_template_fields(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_template_fields = 8;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400); /* 9 fields: refused */
    size_t s = set_begin(&w, 2);
    u16(&w, 401), u16(&w, 1), u16(&w, 8), u16(&w, 4); /* the next template is still read */
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_TEMPLATE_TOO_MANY_FIELDS], 1);
    assert_int_equal(st.templates_active, 1);
    fh_flow_collector_free(c);
}

static void limit_max_record_len(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_record_len = 65; /* the v6 template's records are 65 bytes */
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    ipfix_header(&w, T0, 0, 1);
    ipfix_v6_template(&w, 400);
    size_t s = set_begin(&w, 2);
    u16(&w, 401), u16(&w, 1), u16(&w, 82), u16(&w, 66);
    set_end(&w, s);
    ipfix_end(&w);
    feed(c, &w, T0 * US, &g);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_TEMPLATE_TOO_LONG], 1);
    assert_int_equal(st.templates_active, 1);
    fh_flow_collector_free(c);
}

static void limit_max_exporters(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_exporters = 2;
    fh_flow_collector *c = collector(&l);
    struct wr w;
    struct got g = {0};
    for (uint32_t src = 0; src < 3; src++) {
        v9_header(&w, 60000, T0, 1, src);
        v9_template_set(&w);
        v9_data_set(&w, 1);
        feed(c, &w, T0 * US, &g);
    }
    /* The third source has no statistics entry but its flows still decode. */
    assert_int_equal(g.n, 3);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.exporters, 2);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_EXPORTER_TABLE_FULL], 1);
    fh_flow_exporter_stats es;
    assert_int_equal(fh_flow_collector_exporter(c, &EXPORTER, FH_FLOW_NETFLOW9, 2, &es),
                     FH_ERR_NOTFOUND);
    fh_flow_collector_free(c);
}

static void zero_limits_are_refused(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_templates = 0;
    fh_flow_collector *c = NULL;
    const char *msg = NULL;
    assert_int_equal(fh_flow_collector_new(&l, &c, &msg), FH_ERR_INVALID);
    assert_null(c);
    assert_non_null(strstr(msg, "max_templates"));
}

/* ---- sFlow v5 ---------------------------------------------------------------- */

static void sflow_header(struct wr *w, uint32_t seq, uint32_t nsamples)
{
    w->n = 0;
    u32(w, 5);
    u32(w, 1); /* agent IPv4 */
    ip4(w, 192, 0, 2, 200);
    u32(w, 3); /* sub-agent */
    u32(w, seq);
    u32(w, 123456); /* uptime */
    u32(w, nsamples);
}

/* An Ethernet + IPv4 + TCP SYN frame header, 54 bytes. */
static void syn_frame(struct wr *w)
{
    static const uint8_t eth[14] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
    raw(w, eth, 14);
    u8(w, 0x45), u8(w, 0), u16(w, 40), u16(w, 1), u16(w, 0), u8(w, 64), u8(w, 6), u16(w, 0);
    ip4(w, 203, 0, 113, 50);
    ip4(w, 198, 18, 0, 30);
    u16(w, 50000), u16(w, 22), u32(w, 1), u32(w, 0), u8(w, 0x50), u8(w, FH_TCP_SYN);
    u16(w, 1024), u16(w, 0), u16(w, 0);
}

static void sflow_flow_sample(struct wr *w, bool expanded, uint32_t rate)
{
    u32(w, expanded ? 3 : 1);
    size_t len_at = w->n;
    u32(w, 0);
    u32(w, 1); /* sample sequence */
    if (expanded)
        u32(w, 0), u32(w, 7); /* source id type, index */
    else
        u32(w, 7);
    u32(w, rate), u32(w, 1000), u32(w, 0); /* rate, pool, drops */
    if (expanded)
        u32(w, 0), u32(w, 1), u32(w, 0), u32(w, 2);
    else
        u32(w, 1), u32(w, 2);
    u32(w, 2);                /* records */
    u32(w, 1001), u32(w, 16); /* extended switch record: skipped */
    u32(w, 0), u32(w, 0), u32(w, 0), u32(w, 0);
    u32(w, 1); /* raw packet header */
    u32(w, 16 + 56);
    u32(w, 1);  /* Ethernet */
    u32(w, 64); /* frame length incl. FCS */
    u32(w, 4);  /* stripped */
    u32(w, 54); /* header length */
    syn_frame(w);
    u16(w, 0); /* XDR padding to 56 */
    uint32_t len = (uint32_t)(w->n - len_at - 4);
    w->d[len_at] = (uint8_t)(len >> 24), w->d[len_at + 1] = (uint8_t)(len >> 16);
    w->d[len_at + 2] = (uint8_t)(len >> 8), w->d[len_at + 3] = (uint8_t)len;
}

static void sflow_raw_header_is_decoded_as_a_packet(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    sflow_header(&w, 1, 1);
    sflow_flow_sample(&w, false, 2048);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 1);
    const fh_flow_record *r = &g.r[0];
    assert_int_equal(r->proto, FH_FLOW_SFLOW5);
    assert_true(r->has_pkt);
    assert_int_equal(r->pkt.ip_version, 4);
    assert_int_equal(r->pkt.tcp_flags, FH_TCP_SYN);
    assert_int_equal(r->pkt.dport, 22);
    assert_int_equal(r->pkt.wire_len, 60);
    assert_int_equal(r->sampling_rate, 2048);
    assert_int_equal(r->start_us, T0 * US);
    assert_int_equal(r->agent.family, 4);
    assert_int_equal(r->agent.addr[3], 200);
    assert_int_equal(r->domain_id, 3);
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    assert_true(fh_flow_record_to_pkt(r, &p, &scale, &ts));
    assert_int_equal(scale, 2048);
    assert_int_equal(p.dst[3], 30);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.sflow_skipped_records, 1);
    fh_flow_collector_free(c);
}

static void sflow_expanded_sample_and_counters(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    sflow_header(&w, 1, 3);
    u32(&w, 2); /* counter sample */
    u32(&w, 12 + 8 + 8);
    u32(&w, 1), u32(&w, 7), u32(&w, 1);
    u32(&w, 1), u32(&w, 8), u32(&w, 0), u32(&w, 0); /* generic counters, cut: skipped */
    sflow_flow_sample(&w, true, 512);
    u32(&w, 1); /* a flow sample with only a sampled_ipv4 summary */
    u32(&w, 32 + 8 + 32);
    u32(&w, 2), u32(&w, 7), u32(&w, 100), u32(&w, 0), u32(&w, 0), u32(&w, 1), u32(&w, 2);
    u32(&w, 1);
    u32(&w, 3), u32(&w, 32);
    u32(&w, 1500), u32(&w, 17);
    ip4(&w, 203, 0, 113, 1), ip4(&w, 198, 18, 0, 1);
    u32(&w, 123), u32(&w, 40000), u32(&w, 0), u32(&w, 0);
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.r[0].sampling_rate, 512);
    assert_true(g.r[0].has_pkt);
    assert_false(g.r[1].has_pkt);
    assert_int_equal(g.r[1].ip_proto, 17);
    assert_int_equal(g.r[1].sport, 123);
    assert_int_equal(g.r[1].bytes, 1500);
    assert_int_equal(g.r[1].sampling_rate, 100);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.sflow_counter_samples, 1);
    fh_flow_collector_free(c);
}

static void sflow_sequence_gap_and_bad_sample(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    sflow_header(&w, 10, 1);
    sflow_flow_sample(&w, false, 100);
    feed(c, &w, T0 * US, &g);
    sflow_header(&w, 13, 1); /* 11 and 12 lost */
    sflow_flow_sample(&w, false, 100);
    feed(c, &w, T0 * US, &g);
    fh_flow_exporter_stats st = exporter_stats(c, FH_FLOW_SFLOW5, 3);
    assert_int_equal(st.lost, 2);
    assert_int_equal(st.sampling_rate, 100);
    sflow_header(&w, 14, 2); /* claims two samples, holds one */
    sflow_flow_sample(&w, false, 100);
    feed(c, &w, T0 * US, &g);
    assert_int_equal(g.n, 3);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE), 1);
    sflow_header(&w, 15, 1);
    sflow_flow_sample(&w, false, 100);
    w.n -= 10; /* the raw header record is cut */
    feed(c, &w, T0 * US, &g);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_SFLOW_BAD_SAMPLE), 2);
    fh_flow_collector_free(c);
}

static void sflow_unknown_agent_type_is_dropped(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    sflow_header(&w, 1, 1);
    w.d[7] = 9;
    assert_int_equal(feed(c, &w, T0 * US, &g), FH_ERR_PARSE);
    assert_int_equal(anomaly_count(c, FH_FLOW_ANOM_SFLOW_BAD_AGENT), 1);
    fh_flow_collector_free(c);
}

/* ---- version detection and garbage -------------------------------------------- */

static void versions_are_told_apart(void **state)
{
    fh_flow_collector *c = collector(NULL);
    struct wr w;
    struct got g = {0};
    /* 00 05 is NetFlow v5; 00 00 00 05 is sFlow: a v5 header with count 0
     * must not be taken for sFlow. */
    v5_datagram(&w, 1, 0, 0);
    feed(c, &w, T0 * US, &g);
    sflow_header(&w, 1, 1);
    sflow_flow_sample(&w, false, 1);
    feed(c, &w, T0 * US, &g);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.datagrams[FH_FLOW_NETFLOW5], 1);
    assert_int_equal(st.datagrams[FH_FLOW_SFLOW5], 1);
    assert_int_equal(g.r[0].proto, FH_FLOW_NETFLOW5);
    assert_int_equal(g.r[1].proto, FH_FLOW_SFLOW5);
    static const uint8_t sflow4[] = {0, 0, 0, 4, 0, 0, 0, 1, 1, 2, 3, 4};
    static const uint8_t v7[] = {0, 7, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(fh_flow_decode(c, &EXPORTER, sflow4, sizeof(sflow4), 0, collect, &g),
                     FH_ERR_PARSE);
    assert_int_equal(fh_flow_decode(c, &EXPORTER, v7, sizeof(v7), 0, collect, &g), FH_ERR_PARSE);
    assert_int_equal(fh_flow_decode(c, &EXPORTER, v7, 3, 0, collect, &g), FH_ERR_PARSE);
    fh_flow_collector_get_stats(c, &st);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_BAD_VERSION], 2);
    assert_int_equal(st.anomalies[FH_FLOW_ANOM_TRUNCATED_HEADER], 1);
    assert_int_equal(st.dropped_datagrams, 3);
    fh_flow_collector_free(c);
}

/* Every prefix of a valid datagram of each kind decodes without a crash (ASan
 * watches the reads), and a cut never produces more records than the whole. */
static void every_truncation_is_safe(void **state)
{
    struct wr full[4];
    v5_datagram(&full[0], 3, 0, 0);
    v9_header(&full[1], 60000, T0, 1, 1);
    v9_template_set(&full[1]);
    v9_data_set(&full[1], 2);
    ipfix_header(&full[2], T0, 0, 1);
    ipfix_v6_template(&full[2], 400);
    ipfix_v6_data(&full[2], 400, 2);
    ipfix_end(&full[2]);
    sflow_header(&full[3], 1, 1);
    sflow_flow_sample(&full[3], true, 10);
    for (int k = 0; k < 4; k++) {
        for (size_t n = 0; n < full[k].n; n++) {
            fh_flow_collector *c = collector(NULL);
            struct wr w = full[k];
            w.n = n;
            struct got g = {0};
            feed(c, &w, T0 * US, &g);
            assert_true(g.n <= 3);
            fh_flow_collector_free(c);
        }
    }
}

static void random_garbage_never_crashes(void **state)
{
    fh_flow_limits l;
    fh_flow_limits_init(&l);
    l.max_templates = 16;
    l.max_template_fields = 16;
    fh_flow_collector *c = collector(&l);
    uint32_t x = 2463534242u;
    struct got g = {0};
    for (int i = 0; i < 20000; i++) {
        struct wr w = {.n = 0};
        size_t n = 4 + (x % 300);
        for (size_t j = 0; j < n; j++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
            u8(&w, x & 0xff);
        }
        /* Give each a plausible version so the decoders get past the header. */
        static const uint8_t vers[4][4] = {{0, 5}, {0, 9}, {0, 10}, {0, 0, 0, 5}};
        memcpy(w.d, vers[i % 4], i % 4 == 3 ? 4 : 2);
        if (i % 4 == 2)
            put16_at(&w, 2, (unsigned)n);
        g.n = 0;
        feed(c, &w, T0 * US, &g);
    }
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    uint64_t datagrams = 0;
    for (int p = 0; p < FH_FLOW_PROTO__COUNT; p++)
        datagrams += st.datagrams[p];
    assert_int_equal(datagrams + st.dropped_datagrams, 20000);
    assert_true(st.templates_active <= 16);
    fh_flow_collector_free(c);
}

static void names_are_stable(void **state)
{
    assert_string_equal(fh_flow_anomaly_name(FH_FLOW_ANOM_NO_TEMPLATE), "no_template");
    assert_string_equal(fh_flow_anomaly_name(FH_FLOW_ANOM__COUNT), "unknown");
    for (int a = 0; a < FH_FLOW_ANOM__COUNT; a++)
        assert_non_null(fh_flow_anomaly_name((fh_flow_anomaly)a));
    assert_string_equal(fh_flow_proto_name(FH_FLOW_IPFIX), "ipfix");
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
    uint8_t *b = (uint8_t *)&s6.sin6_addr;
    b[10] = b[11] = 0xff, b[12] = 192, b[15] = 1;
    fh_flow_addr a;
    fh_flow_addr_from_sockaddr((const struct sockaddr *)&s6, &a);
    assert_int_equal(a.family, 4);
    assert_int_equal(a.addr[0], 192);
}

static void rate_scale_spreads_long_flows(void **state)
{
    fh_flow_record r = {.ip_version = 4, .packets = 600000, .bytes = 600000 * 100};
    r.start_us = T0 * US;
    r.end_us = (T0 + 60) * US;
    r.sampling_rate = 10;
    assert_int_equal(fh_flow_record_rate_scale(&r), 100000);
    r.packets = 0xffffffffu;
    r.end_us = r.start_us;
    assert_int_equal(fh_flow_record_rate_scale(&r), UINT32_MAX);
    fh_flow_record none = {.ip_version = 0};
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    assert_false(fh_flow_record_to_pkt(&none, &p, &scale, &ts));
}

/* ---- the three ways of decoding agree ------------------------------------------ */

/* Every record of a run, byte for byte (padding included: records are built
 * zeroed, so equal records compare equal with memcmp). */
struct all_records {
    fh_flow_record *r;
    size_t n, cap;
    size_t batches, largest_batch;
};

static void keep_record(struct all_records *a, const fh_flow_record *r)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->r = realloc(a->r, a->cap * sizeof(*a->r));
        assert_non_null(a->r);
    }
    memcpy(&a->r[a->n++], r, sizeof(*r));
}

static void keep_one(void *ctx, const fh_flow_record *r)
{
    keep_record(ctx, r);
}

static void keep_batch(void *ctx, const fh_flow_record *recs, size_t n)
{
    struct all_records *a = ctx;
    assert_true(n >= 1 && n <= FH_FLOW_BATCH_MAX);
    a->batches++;
    if (n > a->largest_batch)
        a->largest_batch = n;
    for (size_t i = 0; i < n; i++)
        keep_record(a, &recs[i]);
}

/* Three collectors with the same limits, fed the same datagrams: one record
 * at a time without compiled templates, one at a time, and in batches. */
struct three {
    fh_flow_collector *c[3];
    struct all_records got[3];
};

static void three_init(struct three *t, const fh_flow_limits *l)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < 3; i++)
        t->c[i] = collector(l);
    t->c[0]->general_only = true;
}

static void three_feed(struct three *t, const fh_flow_addr *exporter, const uint8_t *d, size_t n,
                       uint64_t now_us)
{
    fh_err rc0 = fh_flow_decode(t->c[0], exporter, d, n, now_us, keep_one, &t->got[0]);
    fh_err rc1 = fh_flow_decode(t->c[1], exporter, d, n, now_us, keep_one, &t->got[1]);
    fh_err rc2 = fh_flow_decode_batch(t->c[2], exporter, d, n, now_us, keep_batch, &t->got[2]);
    assert_int_equal(rc0, rc1);
    assert_int_equal(rc0, rc2);
}

/* Same records in the same order and the same statistics; returns how many. */
static size_t three_compare(struct three *t)
{
    fh_flow_stats st[3];
    for (int i = 0; i < 3; i++)
        fh_flow_collector_get_stats(t->c[i], &st[i]);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(t->got[i].n, t->got[0].n);
        for (size_t k = 0; k < t->got[0].n; k++)
            assert_memory_equal(&t->got[i].r[k], &t->got[0].r[k], sizeof(fh_flow_record));
        assert_memory_equal(&st[i], &st[0], sizeof(fh_flow_stats));
    }
    return t->got[0].n;
}

static void three_free(struct three *t)
{
    for (int i = 0; i < 3; i++) {
        fh_flow_collector_free(t->c[i]);
        free(t->got[i].r);
    }
}

/* Replays one fuzz corpus (tests/fuzz/fuzz_flow.h's framing, limits and
 * clock) through the three; returns the records decoded. */
static size_t corpus_three_ways(const char *dir, fh_flow_proto proto, size_t *largest_batch)
{
    static const uint8_t version[FH_FLOW_PROTO__COUNT][4] = {[FH_FLOW_NETFLOW5] = {0, 5},
                                                             [FH_FLOW_NETFLOW9] = {0, 9},
                                                             [FH_FLOW_IPFIX] = {0, 10},
                                                             [FH_FLOW_SFLOW5] = {0, 0, 0, 5}};
    size_t vlen = proto == FH_FLOW_SFLOW5 ? 4 : 2, total = 0, files = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = fh_xasprintf("%s/%s", dir, e->d_name);
        fh_buf b;
        fh_buf_init(&b, (size_t)1 << 20);
        assert_int_equal(fh_buf_read_file(&b, path), FH_OK);
        free(path);
        const uint8_t *data = (const uint8_t *)b.data;
        size_t size = b.len, off = 0, frames = 0;
        fh_flow_limits lim;
        fh_flow_limits_init(&lim);
        lim.max_templates = 8;
        lim.max_template_fields = 32;
        lim.max_record_len = 512;
        lim.max_exporters = 4;
        lim.template_timeout_s = 5;
        struct three t;
        three_init(&t, &lim);
        fh_flow_addr exporter = {.family = 4, .addr = {192, 0, 2, 1}};
        uint64_t now = T0 * US;
        while (off < size && frames < 64) {
            size_t n = size - off, start = off;
            if (n >= 2 && (size_t)(data[off] << 8 | data[off + 1]) <= n - 2) {
                n = (size_t)(data[off] << 8 | data[off + 1]);
                start = off + 2;
            }
            uint8_t *dg = fh_xmalloc(n ? n : 1);
            if (n)
                memcpy(dg, data + start, n);
            memcpy(dg, version[proto], n < vlen ? n : vlen);
            three_feed(&t, &exporter, dg, n, now);
            free(dg);
            off = start + n;
            now += 2000000;
            frames++;
            exporter.addr[3] = (uint8_t)(1 + frames / 8 % 2);
        }
        total += three_compare(&t);
        if (t.got[2].largest_batch > *largest_batch)
            *largest_batch = t.got[2].largest_batch;
        three_free(&t);
        fh_buf_cleanup(&b);
        files++;
    }
    closedir(d);
    assert_true(files > 0);
    return total;
}

static void fuzz_corpora_decode_alike_in_batches_and_compiled(void **state)
{
    static const struct {
        const char *dir;
        fh_flow_proto proto;
    } corpora[] = {{"tests/fuzz/corpus/netflow5", FH_FLOW_NETFLOW5},
                   {"tests/fuzz/corpus/netflow9", FH_FLOW_NETFLOW9},
                   {"tests/fuzz/corpus/ipfix", FH_FLOW_IPFIX},
                   {"tests/fuzz/corpus/sflow", FH_FLOW_SFLOW5}};
    for (size_t i = 0; i < FH_ARRAY_LEN(corpora); i++) {
        size_t largest = 0;
        /* Each corpus has seeds with records in them: a comparison of
         * nothing would prove nothing. */
        assert_true(corpus_three_ways(corpora[i].dir, corpora[i].proto, &largest) > 0);
        assert_true(largest >= 1);
    }
}

/* Random fixed- and variable-length templates (known fields of every size
 * from 0 to 17 bytes, enterprise fields, repeats) and random data records:
 * the compiled decoder must do what the general one does, anomalies
 * included. */
static void random_templates_decode_alike_in_batches_and_compiled(void **state)
{
    static const uint16_t ids[] = {1,   2,   4,   5,   6,   7,   8,   10,  11,  12,  14,
                                   21,  22,  23,  24,  27,  28,  32,  34,  48,  50,  139,
                                   150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160,
                                   176, 177, 178, 179, 302, 305, 306, 3,   99,  400};
    uint32_t x = 88172645u;
#define NEXT() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
    struct three t;
    three_init(&t, NULL);
    size_t large_batches = 0;
    for (int round = 0; round < 400; round++) {
        bool ipfix = round % 2;
        struct wr w;
        if (ipfix)
            ipfix_header(&w, T0, (uint32_t)round, 1);
        else
            v9_header(&w, 60000, T0, (uint32_t)round, 1);
        unsigned tid = 256 + (NEXT() % 4), nf = 1 + NEXT() % 12, reclen = 0;
        bool varlen = ipfix && NEXT() % 4 == 0;
        size_t at = set_begin(&w, ipfix ? 2 : 0);
        u16(&w, tid), u16(&w, nf);
        uint16_t lens[12];
        for (unsigned f = 0; f < nf; f++) {
            unsigned id = ids[NEXT() % FH_ARRAY_LEN(ids)];
            bool ent = ipfix && NEXT() % 8 == 0;
            lens[f] = (uint16_t)(NEXT() % 18);
            if (varlen && f == nf - 1)
                lens[f] = 0xffff;
            u16(&w, ent ? id | 0x8000 : id), u16(&w, lens[f]);
            if (ent)
                u32(&w, 32473);
            reclen += lens[f] == 0xffff ? 3 : lens[f];
        }
        set_end(&w, at);
        unsigned nrec = reclen ? 1 + NEXT() % 40 : 0;
        if (reclen && reclen * nrec + 64 > sizeof(w.d) - w.n)
            nrec = (unsigned)((sizeof(w.d) - w.n - 64) / reclen);
        at = set_begin(&w, tid);
        for (unsigned r = 0; r < nrec; r++) {
            for (unsigned f = 0; f < nf; f++) {
                unsigned l = lens[f];
                if (l == 0xffff) {
                    u8(&w, 2); /* a variable-length field of two bytes */
                    l = 2;
                }
                for (unsigned k = 0; k < l; k++)
                    u8(&w, NEXT() & 0xff);
            }
        }
        set_end(&w, at);
        if (ipfix)
            ipfix_end(&w);
        uint8_t *copy = fh_xmalloc(w.n);
        memcpy(copy, w.d, w.n);
        three_feed(&t, &EXPORTER, copy, w.n, T0 * US);
        free(copy);
        large_batches += nrec > FH_FLOW_BATCH_MAX;
    }
#undef NEXT
    assert_true(three_compare(&t) > 1000);
    assert_int_equal(t.got[2].largest_batch, FH_FLOW_BATCH_MAX);
    assert_true(large_batches > 0);
    three_free(&t);
}

/* ---- into the detectors ------------------------------------------------------- */

struct detect_feed {
    fh_detect *d;
    json_t *events;
};

static void keep_event(void *ctx, json_t *ev)
{
    json_array_append(((struct detect_feed *)ctx)->events, ev);
}

static void to_detector(void *ctx, const fh_flow_record *r)
{
    struct detect_feed *f = ctx;
    fh_pkt p;
    uint32_t total;
    uint64_t ts;
    if (fh_flow_record_to_pkt(r, &p, &total, &ts))
        fh_detect_packet(f->d, &p, ts, true, false, fh_flow_record_rate_scale(r));
}

/* Five seconds of a spoofed SYN flood to 198.18.0.10 as a router reports it:
 * 30 one-packet flows a second, sampled one in `rate`. */
static size_t syn_flood_attacks(uint16_t rate)
{
    fh_flow_collector *c = collector(NULL);
    struct detect_feed f = {.events = json_array()};
    fh_detect_config cfg;
    fh_detect_config_init(&cfg);
    assert_int_equal(fh_detect_new(&cfg, keep_event, &f, &f.d, NULL), FH_OK);
    for (uint32_t sec = 0; sec < 5; sec++) {
        struct wr w = {.n = 0};
        u16(&w, 5), u16(&w, 30);
        u32(&w, 1000000 + sec * 1000); /* sysUpTime */
        u32(&w, T0 + sec), u32(&w, 0), u32(&w, sec * 30);
        u8(&w, 0), u8(&w, 0), u16(&w, rate > 1 ? 0x4000 | rate : 0);
        for (unsigned i = 0; i < 30; i++) {
            ip4(&w, 203, 0, (unsigned)(113 + sec), i);
            ip4(&w, 198, 18, 0, 10);
            ip4(&w, 0, 0, 0, 0);
            u16(&w, 1), u16(&w, 2);
            u32(&w, 1), u32(&w, 40);
            u32(&w, 1000000 + sec * 1000 - 30 + i), u32(&w, 1000000 + sec * 1000 - 30 + i);
            u16(&w, (unsigned)(1024 + i)), u16(&w, 80);
            u8(&w, 0), u8(&w, FH_TCP_SYN), u8(&w, 6), u8(&w, 0);
            u16(&w, 0), u16(&w, 0), u8(&w, 0), u8(&w, 0), u16(&w, 0);
        }
        assert_int_equal(fh_flow_decode(c, &EXPORTER, w.d, w.n, (T0 + sec) * US, to_detector, &f),
                         FH_OK);
    }
    fh_detect_flush(f.d, (T0 + 5) * US);
    size_t starts = 0, i;
    json_t *ev;
    json_array_foreach(f.events, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), "attack_start") == 0) {
            assert_string_equal(json_string_value(json_object_get(ev, "victim")), "198.18.0.10");
            assert_string_equal(json_string_value(json_object_get(ev, "attack_type")), "syn_flood");
            starts++;
        }
    }
    fh_detect_free(f.d);
    json_decref(f.events);
    fh_flow_collector_free(c);
    return starts;
}

static void sampled_netflow_syn_flood_reaches_the_flood_detector(void **state)
{
    /* 30 flows a second at 1:1000 stand for 30,000 SYN/s: over the 10,000
     * floor. Unsampled, the same records are 30 SYN/s: no attack. */
    assert_int_equal(syn_flood_attacks(1000), 1);
    assert_int_equal(syn_flood_attacks(1), 0);
}

/* The sensor's way: records of a batch converted first, then detected in
 * order with the detector's entries of the record PREFETCH_AHEAD later
 * fetched meanwhile. */
#define PREFETCH_AHEAD 8

static bool protected_dst(const fh_pkt *p)
{
    return p->dst[0] == 198;
}

static void to_detector_one(void *ctx, const fh_flow_record *r)
{
    struct detect_feed *f = ctx;
    fh_pkt p;
    uint32_t total;
    uint64_t ts;
    if (fh_flow_record_to_pkt(r, &p, &total, &ts))
        fh_detect_packet(f->d, &p, ts, protected_dst(&p), false, fh_flow_record_rate_scale(r));
}

static void to_detector_batch(void *ctx, const fh_flow_record *recs, size_t n)
{
    struct detect_feed *f = ctx;
    fh_pkt p[FH_FLOW_BATCH_MAX];
    uint64_t ts[FH_FLOW_BATCH_MAX];
    bool ip[FH_FLOW_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        uint32_t total;
        ip[i] = fh_flow_record_to_pkt(&recs[i], &p[i], &total, &ts[i]);
        if (ip[i] && i < PREFETCH_AHEAD)
            fh_detect_prefetch(f->d, &p[i], protected_dst(&p[i]));
    }
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n && ip[i + PREFETCH_AHEAD])
            fh_detect_prefetch(f->d, &p[i + PREFETCH_AHEAD], protected_dst(&p[i + PREFETCH_AHEAD]));
        if (ip[i])
            fh_detect_packet(f->d, &p[i], ts[i], protected_dst(&p[i]), false,
                             fh_flow_record_rate_scale(&recs[i]));
    }
}

/* One v5 flow record of one SYN packet. */
static void v5_syn(struct wr *w, uint32_t src, uint32_t dst, unsigned sport, unsigned dport,
                   uint32_t uptime_ms)
{
    u32(w, src), u32(w, dst), u32(w, 0);
    u16(w, 1), u16(w, 2);
    u32(w, 1), u32(w, 40);
    u32(w, uptime_ms), u32(w, uptime_ms);
    u16(w, sport), u16(w, dport);
    u8(w, 0), u8(w, FH_TCP_SYN), u8(w, 6), u8(w, 0);
    u16(w, 0), u16(w, 0), u8(w, 0), u8(w, 0), u16(w, 0);
}

static size_t count_type(json_t *events, const char *type)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        n += strcmp(json_string_value(json_object_get(ev, "event_type")), type) == 0;
    }
    return n;
}

static void batches_with_prefetch_detect_what_one_record_at_a_time_does(void **state)
{
    /* Twenty seconds of v5 datagrams, 30 SYN flows each, ten a second:
     * a sampled SYN flood against 198.18.0.10, one source knocking on ssh of
     * 198.18.0.20 (brute force), one probing ports of 198.18.0.30 without
     * answers (a scan), and background SYNs to random protected and
     * unprotected hosts. */
    fh_detect_config cfg;
    fh_detect_config_init(&cfg);
    struct detect_feed one = {.events = json_array()}, batch = {.events = json_array()};
    assert_int_equal(fh_detect_new(&cfg, keep_event, &one, &one.d, NULL), FH_OK);
    assert_int_equal(fh_detect_new(&cfg, keep_event, &batch, &batch.d, NULL), FH_OK);
    fh_flow_collector *c1 = collector(NULL), *c2 = collector(NULL);
    uint32_t x = 2463534242u, seq = 0;
    for (uint32_t sec = 0; sec < 20; sec++) {
        for (uint32_t k = 0; k < 10; k++) {
            uint32_t uptime = 1000000 + sec * 1000 + k * 100;
            struct wr w = {.n = 0};
            u16(&w, 5), u16(&w, 30);
            u32(&w, uptime);
            u32(&w, T0 + sec), u32(&w, k * 100000000u), u32(&w, seq);
            u8(&w, 0), u8(&w, 0), u16(&w, 0x4000 | 100); /* 1 in 100 */
            seq += 30;
            for (unsigned i = 0; i < 30; i++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                unsigned port = 1024 + x % 60000;
                if (i < 12 && sec >= 5 && sec < 12)
                    v5_syn(&w, 0xcb007100u | (x & 0xff), 0xc612000au, port, 80, uptime);
                else if (i == 12 && k < 3)
                    v5_syn(&w, 0xc0000207u, 0xc6120014u, port, 22, uptime);
                else if (i == 13 && sec < 3)
                    v5_syn(&w, 0xc0000208u, 0xc612001eu, port, 1 + (sec * 10 + k), uptime);
                else
                    v5_syn(&w, x, (x & 1 ? 0xc6120000u : 0xc0a80000u) | (x >> 16 & 0xffff), port,
                           443, uptime);
            }
            uint64_t now = (T0 + sec) * US + k * 100000;
            assert_int_equal(fh_flow_decode(c1, &EXPORTER, w.d, w.n, now, to_detector_one, &one),
                             FH_OK);
            assert_int_equal(
                fh_flow_decode_batch(c2, &EXPORTER, w.d, w.n, now, to_detector_batch, &batch),
                FH_OK);
        }
    }
    fh_detect_flush(one.d, (T0 + 20) * US);
    fh_detect_flush(batch.d, (T0 + 20) * US);
    /* Attack ids are random; everything else must be equal. */
    size_t i;
    json_t *ev;
    json_array_foreach(one.events, i, ev)
    {
        json_object_del(ev, "attack_id");
    }
    json_array_foreach(batch.events, i, ev)
    {
        json_object_del(ev, "attack_id");
    }
    assert_true(count_type(one.events, "attack_start") >= 1);
    assert_true(count_type(one.events, "attack_end") >= 1);
    assert_true(count_type(one.events, "bruteforce") >= 1);
    assert_true(count_type(one.events, "scan") >= 1);
    assert_true(json_equal(one.events, batch.events));
    fh_detect_stats s1, s2;
    fh_detect_get_stats(one.d, &s1);
    fh_detect_get_stats(batch.d, &s2);
    assert_memory_equal(&s1, &s2, sizeof(s1));
    fh_detect_free(one.d);
    fh_detect_free(batch.d);
    json_decref(one.events);
    json_decref(batch.events);
    fh_flow_collector_free(c1);
    fh_flow_collector_free(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(netflow5_records_get_absolute_times),
        cmocka_unit_test(netflow5_sampling_interval_comes_from_the_header),
        cmocka_unit_test(netflow5_sequence_gap_counts_lost_flows),
        cmocka_unit_test(netflow5_count_past_the_datagram_is_dropped),
        cmocka_unit_test(netflow9_template_then_data),
        cmocka_unit_test(netflow9_data_before_template_is_dropped_and_counted),
        cmocka_unit_test(netflow9_options_data_sets_the_sampling_rate),
        cmocka_unit_test(netflow9_records_take_the_rate_of_their_sampler),
        cmocka_unit_test(netflow9_sequence_counts_datagrams),
        cmocka_unit_test(netflow9_template_expires_after_the_timeout),
        cmocka_unit_test(netflow9_expire_sweeps_old_templates),
        cmocka_unit_test(netflow9_zero_length_template_is_malformed),
        cmocka_unit_test(ipfix_ipv6_flows_decode),
        cmocka_unit_test(ipfix_withdrawal_removes_one_template),
        cmocka_unit_test(ipfix_withdraw_all_removes_the_domains_templates_only),
        cmocka_unit_test(ipfix_redefined_template_is_counted_and_used),
        cmocka_unit_test(ipfix_variable_length_fields_in_both_forms),
        cmocka_unit_test(ipfix_variable_length_past_the_set_stops_it),
        cmocka_unit_test(ipfix_enterprise_fields_are_skipped),
        cmocka_unit_test(ipfix_options_packet_interval_and_space_give_the_rate),
        cmocka_unit_test(ipfix_options_withdrawal_and_bad_scope),
        cmocka_unit_test(ipfix_sequence_counts_data_records),
        cmocka_unit_test(ipfix_sequence_is_not_judged_after_an_unreadable_set),
        cmocka_unit_test(ipfix_times_from_deltas_seconds_and_system_init),
        cmocka_unit_test(ipfix_bad_lengths_are_counted),
        cmocka_unit_test(limit_max_templates),
        cmocka_unit_test(full_template_table_makes_room_from_expired_templates),
        cmocka_unit_test(limit_max_template_fields),
        cmocka_unit_test(limit_max_record_len),
        cmocka_unit_test(limit_max_exporters),
        cmocka_unit_test(zero_limits_are_refused),
        cmocka_unit_test(sflow_raw_header_is_decoded_as_a_packet),
        cmocka_unit_test(sflow_expanded_sample_and_counters),
        cmocka_unit_test(sflow_sequence_gap_and_bad_sample),
        cmocka_unit_test(sflow_unknown_agent_type_is_dropped),
        cmocka_unit_test(versions_are_told_apart),
        cmocka_unit_test(every_truncation_is_safe),
        cmocka_unit_test(random_garbage_never_crashes),
        cmocka_unit_test(names_are_stable),
        cmocka_unit_test(rate_scale_spreads_long_flows),
        cmocka_unit_test(sampled_netflow_syn_flood_reaches_the_flood_detector),
        cmocka_unit_test(fuzz_corpora_decode_alike_in_batches_and_compiled),
        cmocka_unit_test(random_templates_decode_alike_in_batches_and_compiled),
        cmocka_unit_test(batches_with_prefetch_detect_what_one_record_at_a_time_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
