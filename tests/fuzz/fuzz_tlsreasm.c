/*
 * Fuzz target: TLS ClientHello reassembly (lib/net/net-tlsreasm.c), fed a
 * sequence of TCP segments of up to four connections.
 *
 * Input: one byte of settings (bits 0-2: slots - 1; bit 3: 512-byte slots
 * instead of 4096), then segments, each
 *   u8 flow (bits 0-1: which connection; bit 2: IPv6; bit 3: SYN set)
 *   u8 time step in 100 ms units (the timeout is 5 s)
 *   u32 sequence number, big-endian
 *   u16 payload length, big-endian, then the payload (cut at the end of input)
 * tests/fuzz/make_tlsreasm_seeds.py writes the seeds in this form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fh_tls_reasm_config c;
    fh_tls_reasm_config_init(&c);
    c.max_flows = 1 + (data[0] & 7);
    c.max_bytes = data[0] & 8 ? 512 : 4096;
    fh_tls_reasm *r = NULL;
    const char *why = NULL;
    if (fh_tls_reasm_new(&c, &r, &why) != FH_OK || r == NULL)
        abort();
    size_t pos = 1;
    uint64_t ts = 1000000;
    while (size - pos >= 8) {
        uint8_t flow = data[pos];
        ts += (uint64_t)data[pos + 1] * 100000;
        uint32_t seq = (uint32_t)data[pos + 2] << 24 | (uint32_t)data[pos + 3] << 16 |
                       (uint32_t)data[pos + 4] << 8 | data[pos + 5];
        size_t len = (size_t)data[pos + 6] << 8 | data[pos + 7];
        pos += 8;
        if (len > size - pos)
            len = size - pos;
        fh_pkt p;
        memset(&p, 0, sizeof p);
        p.ip_version = flow & 4 ? 6 : 4;
        p.proto = 6;
        p.src[0] = 198, p.src[1] = 18, p.src[3] = 1;
        p.dst[0] = 192, p.dst[2] = 2, p.dst[3] = 1;
        p.sport = (uint16_t)(40000 + (flow & 3));
        p.dport = 443;
        p.tcp_seq = seq;
        p.tcp_flags = flow & 8 ? FH_TCP_SYN : FH_TCP_ACK;
        p.payload = len ? data + pos : NULL;
        p.payload_len = (uint32_t)len;
        char sni[FH_TLS_SNI_MAX + 1];
        bool found = false;
        fh_anomaly a = FH_ANOM_NONE;
        bool handled = fh_tls_reasm_segment(r, &p, ts, sni, &found, &a);
        if (found && (!handled || sni[0] == '\0' || strlen(sni) > FH_TLS_SNI_MAX))
            abort();
        if (a != FH_ANOM_NONE && a != FH_ANOM_TLS_MALFORMED)
            abort();
        fh_tls_reasm_stats st;
        fh_tls_reasm_get_stats(r, &st);
        if (st.active > c.max_flows || st.completed > st.started)
            abort();
        pos += len;
    }
    fh_tls_reasm_free(r);
    return 0;
}
