/*
 * bench-tlsreasm: segments per second through the ClientHello reassembly
 * table (lib/net/net-tlsreasm.c) alone, without capture or decoding.
 *
 *   build/bench-tlsreasm [CONNECTIONS] [MSS] [CONCURRENT]
 *
 * Each connection sends a 1.6 KB post-quantum-sized ClientHello in segments
 * of MSS bytes (default 536: four segments); CONCURRENT connections
 * (default 256) are interleaved segment by segment, so the table holds that
 * many entries at once. Prints segments/s, ns per segment and hellos/s, and
 * the same for the hellos whole in one segment (no entry) for comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/net.h"

static size_t put_ext(uint8_t *p, unsigned type, const uint8_t *body, size_t n)
{
    p[0] = (uint8_t)(type >> 8), p[1] = (uint8_t)type;
    p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
    if (n)
        memcpy(p + 4, body, n);
    return 4 + n;
}

/* A record holding a ClientHello with a 1216-byte key share ahead of the
 * server_name; returns its length. */
static size_t hello(uint8_t *out, const char *name)
{
    uint8_t body[4096], tmp[1400];
    size_t n = 0;
    body[n++] = 3, body[n++] = 3;
    memset(body + n, 0xa5, 32), n += 32;
    body[n++] = 32;
    memset(body + n, 0x5a, 32), n += 32;
    body[n++] = 0, body[n++] = 32;
    for (int i = 0; i < 16; i++)
        body[n++] = 0x13, body[n++] = (uint8_t)(1 + i);
    body[n++] = 1, body[n++] = 0;
    size_t ext_at = n;
    n += 2;
    tmp[0] = 0x04, tmp[1] = 0xc4, tmp[2] = 0x11, tmp[3] = 0xec, tmp[4] = 0x04, tmp[5] = 0xc0;
    memset(tmp + 6, 0x42, 1216);
    n += put_ext(body + n, 51, tmp, 1222);
    memset(tmp, 0x77, 250);
    n += put_ext(body + n, 0xfe0d, tmp, 250);
    size_t nl = strlen(name);
    tmp[0] = (uint8_t)((nl + 3) >> 8), tmp[1] = (uint8_t)(nl + 3), tmp[2] = 0;
    tmp[3] = (uint8_t)(nl >> 8), tmp[4] = (uint8_t)nl;
    memcpy(tmp + 5, name, nl);
    n += put_ext(body + n, 0, tmp, nl + 5);
    size_t el = n - ext_at - 2;
    body[ext_at] = (uint8_t)(el >> 8), body[ext_at + 1] = (uint8_t)el;
    size_t hs = n + 4;
    out[0] = 22, out[1] = 3, out[2] = 1, out[3] = (uint8_t)(hs >> 8), out[4] = (uint8_t)hs;
    out[5] = 1, out[6] = 0, out[7] = (uint8_t)(n >> 8), out[8] = (uint8_t)n;
    memcpy(out + 9, body, n);
    return 9 + n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long conns = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    long mss = argc > 2 ? strtol(argv[2], NULL, 10) : 536;
    long conc = argc > 3 ? strtol(argv[3], NULL, 10) : 256;
    if (conns < 1 || mss < 1 || mss > 65535 || conc < 1 || conc > 65536) {
        fprintf(stderr, "usage: bench-tlsreasm [CONNECTIONS] [MSS 1-65535] [CONCURRENT 1-65536]\n");
        return 2;
    }
    static uint8_t rec[4096];
    size_t len = hello(rec, "www.bench-example.net");
    size_t nseg = (len + (size_t)mss - 1) / (size_t)mss;
    fh_tls_reasm_config c;
    fh_tls_reasm_config_init(&c);
    fh_tls_reasm *r = NULL;
    const char *why = NULL;
    if (fh_tls_reasm_new(&c, &r, &why) != FH_OK) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    fh_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = 4, p.proto = 6, p.dport = 443;
    p.src[0] = 198, p.src[1] = 18, p.dst[0] = 192, p.dst[2] = 2, p.dst[3] = 1;
    char sni[FH_TLS_SNI_MAX + 1];
    bool found;
    fh_anomaly a;
    uint64_t names = 0, segs = 0, ts = 1;
    double t0 = now();
    for (long base = 0; base < conns; base += conc) {
        long group = conns - base < conc ? conns - base : conc;
        for (size_t s = 0; s < nseg; s++) {
            for (long k = 0; k < group; k++) {
                long id = base + k;
                p.src[2] = (uint8_t)(id >> 8), p.src[3] = (uint8_t)id;
                p.sport = (uint16_t)(1024 + (id >> 16));
                p.tcp_seq = (uint32_t)id * 2654435761u + (uint32_t)(s * (size_t)mss);
                p.payload = rec + s * (size_t)mss;
                p.payload_len =
                    (uint32_t)(len - s * (size_t)mss < (size_t)mss ? len - s * (size_t)mss
                                                                   : (size_t)mss);
                fh_tls_reasm_segment(r, &p, ts++, sni, &found, &a);
                names += found;
                segs++;
            }
        }
    }
    double t = now() - t0;
    fh_tls_reasm_stats st;
    fh_tls_reasm_get_stats(r, &st);
    printf("split:  %ld hellos of %zu bytes in %zu segments (MSS %ld, %ld at once): "
           "%.2f M segments/s, %.0f ns/segment, %.2f M hellos/s; names %llu, completed %llu, "
           "evictions %llu\n",
           conns, len, nseg, mss, conc, (double)segs / t / 1e6, t * 1e9 / (double)segs,
           (double)conns / t / 1e6, (unsigned long long)names, (unsigned long long)st.completed,
           (unsigned long long)st.evictions);
    names = 0;
    p.payload = rec;
    p.payload_len = (uint32_t)len;
    t0 = now();
    for (long id = 0; id < conns; id++) {
        p.src[2] = (uint8_t)(id >> 8), p.src[3] = (uint8_t)id;
        fh_tls_reasm_segment(r, &p, ts++, sni, &found, &a);
        names += found;
    }
    t = now() - t0;
    printf("whole:  %ld hellos in one segment each: %.2f M hellos/s, %.0f ns/hello; names %llu\n",
           conns, (double)conns / t / 1e6, t * 1e9 / (double)conns, (unsigned long long)names);
    fh_tls_reasm_free(r);
    return names == (uint64_t)conns ? 0 : 1;
}
