/*
 * Shared driver of the four flow fuzz targets (fuzz_netflow5.c,
 * fuzz_netflow9.c, fuzz_ipfix.c, fuzz_sflow.c). An input is a sequence of
 * datagrams, each framed by a 2-byte big-endian length (a frame that does not
 * fit takes the rest of the input), fed in order to a fresh collector with
 * small limits, two seconds apart (from two exporters, eight datagrams each
 * in turn), so templates learnt from one datagram are
 * used, refreshed, withdrawn and expired by the next ones. Each datagram gets
 * the target's version stamped on it, so the fuzzer spends its time inside
 * one decoder. Records are checked against the promises of flow.h; a broken
 * promise abort()s so libFuzzer keeps the input.
 */
#ifndef FENGHUO_FUZZ_FLOW_H
#define FENGHUO_FUZZ_FLOW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/flow.h"
#include "fenghuo/util.h"

#define FUZZ_FLOW_T0 1700000000000000ULL

struct fuzz_flow_ctx {
    fh_flow_proto proto;
    const uint8_t *dgram;
    size_t dgram_len;
    uint64_t records;
};

static void fuzz_flow_check(void *arg, const fh_flow_record *r)
{
    struct fuzz_flow_ctx *x = arg;
    x->records++;
    if (r->proto != x->proto || r->sampling_rate == 0)
        abort();
    if (r->ip_version != 0 && r->ip_version != 4 && r->ip_version != 6)
        abort();
    if (r->has_pkt && r->pkt.payload &&
        (r->pkt.payload < x->dgram ||
         r->pkt.payload + r->pkt.payload_len > x->dgram + x->dgram_len))
        abort(); /* a sampled packet's payload lies inside the datagram */
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    if (fh_flow_record_to_pkt(r, &p, &scale, &ts) && !r->has_pkt && scale == 0 && r->packets)
        abort();
    if (fh_flow_record_rate_scale(r) == 0)
        abort();
}

static int fuzz_flow_run(fh_flow_proto proto, const uint8_t *data, size_t size)
{
    static const uint8_t version[FH_FLOW_PROTO__COUNT][4] = {[FH_FLOW_NETFLOW5] = {0, 5},
                                                             [FH_FLOW_NETFLOW9] = {0, 9},
                                                             [FH_FLOW_IPFIX] = {0, 10},
                                                             [FH_FLOW_SFLOW5] = {0, 0, 0, 5}};
    size_t vlen = proto == FH_FLOW_SFLOW5 ? 4 : 2;
    fh_flow_limits lim;
    fh_flow_limits_init(&lim);
    lim.max_templates = 8;
    lim.max_template_fields = 32;
    lim.max_record_len = 512;
    lim.max_exporters = 4;
    lim.template_timeout_s = 5;
    fh_flow_collector *c;
    if (fh_flow_collector_new(&lim, &c, NULL) != FH_OK)
        abort();
    fh_flow_addr exporter = {.family = 4, .addr = {192, 0, 2, 1}};
    struct fuzz_flow_ctx x = {.proto = proto};
    uint64_t now = FUZZ_FLOW_T0;
    size_t off = 0, frames = 0;
    while (off < size && frames < 64) {
        size_t n = size - off, start = off;
        if (n >= 2 && (size_t)(data[off] << 8 | data[off + 1]) <= n - 2) {
            n = (size_t)(data[off] << 8 | data[off + 1]);
            start = off + 2;
        }
        /* An exact-size copy: ASan sees reads past the datagram. */
        uint8_t *d = fh_xmalloc(n);
        if (n)
            memcpy(d, data + start, n);
        memcpy(d, version[proto], n < vlen ? n : vlen);
        x.dgram = d;
        x.dgram_len = n;
        fh_flow_decode(c, &exporter, d, n, now, fuzz_flow_check, &x);
        free(d);
        off = start + n;
        now += 2000000;
        frames++;
        exporter.addr[3] = (uint8_t)(1 + frames / 8 % 2); /* eight datagrams per exporter */
    }
    fh_flow_collector_expire(c, now);
    fh_flow_stats st;
    fh_flow_collector_get_stats(c, &st);
    if (st.templates_active > lim.max_templates || st.exporters > lim.max_exporters)
        abort();
    if (st.records[proto] != x.records)
        abort();
    fh_flow_collector_free(c);
    return 0;
}

#endif
