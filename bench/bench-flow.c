/*
 * bench-flow: flow records decoded and fed to detection per second, on one
 * core, from datagrams a real exporter sent (recorded by bench/flow-capture).
 *
 *   bench/flow-capture /tmp/1m.pcap v9 /tmp/v9.frames
 *   build/bench-flow /tmp/v9.frames [ROUNDS]
 *
 * Each round decodes every datagram with one collector (templates learnt in
 * the first round stay) and feeds every record to the matcher-free detector
 * path the sensor uses (fh_flow_record_to_pkt + fh_detect_packet). Prints
 * records/s for decoding alone and for decoding plus detection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/detect.h"
#include "fenghuo/flow.h"
#include "fenghuo/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctx {
    fh_detect *d;
    uint64_t records;
    uint64_t ts;
};

static void count(void *arg, const fh_flow_record *r)
{
    (void)r;
    ((struct ctx *)arg)->records++;
}

static void detect(void *arg, const fh_flow_record *r)
{
    struct ctx *c = arg;
    fh_pkt p;
    uint32_t scale;
    uint64_t ts;
    c->records++;
    if (fh_flow_record_to_pkt(r, &p, &scale, &ts))
        fh_detect_packet(c->d, &p, c->ts, p.dst[0] == 198, false, fh_flow_record_rate_scale(r));
}

static void no_event(void *ctx, json_t *ev)
{
    (void)ctx;
    (void)ev;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-flow FRAMES [ROUNDS]\n");
        return 2;
    }
    int64_t rounds = 10;
    if (argc > 2 && fh_parse_i64(argv[2], 1, 100000, &rounds) != FH_OK) {
        fprintf(stderr, "bench-flow: ROUNDS is 1 to 100000\n");
        return 2;
    }
    fh_buf b;
    fh_buf_init(&b, (size_t)2 << 30);
    if (fh_buf_read_file(&b, argv[1]) != FH_OK) {
        fprintf(stderr, "bench-flow: cannot read %s\n", argv[1]);
        return 2;
    }
    fh_flow_limits lim;
    fh_flow_limits_init(&lim);
    fh_flow_collector *fc = NULL;
    const char *msg = NULL;
    if (fh_flow_collector_new(&lim, &fc, &msg) != FH_OK)
        return 2;
    fh_detect_config dc;
    fh_detect_config_init(&dc);
    struct ctx c = {0};
    if (fh_detect_new(&dc, no_event, NULL, &c.d, &msg) != FH_OK)
        return 2;
    fh_flow_addr exporter;
    uint8_t lo[4] = {127, 0, 0, 1};
    fh_flow_addr_set(&exporter, 4, lo);
    c.ts = (uint64_t)time(NULL) * 1000000ULL;
    for (int mode = 0; mode < 2; mode++) {
        uint64_t dgrams = 0;
        c.records = 0;
        double s = now();
        for (int64_t r = 0; r < rounds; r++) {
            const uint8_t *p = (const uint8_t *)b.data, *end = p + b.len;
            while (end - p >= 4) {
                uint32_t n =
                    (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
                p += 4;
                if (n > (size_t)(end - p))
                    break;
                fh_flow_decode(fc, &exporter, p, n, c.ts, mode ? detect : count, &c);
                p += n;
                dgrams++;
                c.ts += 10; /* time moves on a little, as records keep arriving */
            }
        }
        double e = now() - s;
        printf("%-20s %8.2f M records/s  (%llu records in %llu datagrams, %.3f s)\n",
               mode ? "decode + detect:" : "decode only:", (double)c.records / e / 1e6,
               (unsigned long long)c.records, (unsigned long long)dgrams, e);
    }
    fh_detect_free(c.d);
    fh_flow_collector_free(fc);
    fh_buf_cleanup(&b);
    return 0;
}
