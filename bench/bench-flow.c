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
 * records/s for decoding alone, for decoding plus detection one record at a
 * time (fh_flow_decode), and for decoding plus detection in batches
 * (fh_flow_decode_batch, with each record's detector entries prefetched
 * PREFETCH_AHEAD records ahead, as the sensor does), by wall-clock time and
 * by this process's CPU time (the machine may be shared). With
 * BENCH_NO_THP=1 in the environment the process runs without transparent
 * huge pages (prctl PR_SET_THP_DISABLE), to see what they bring;
 * BENCH_AHEAD=N prefetches N records ahead instead of 8 (0: not at all);
 * BENCH_MODE=0, 1 or 2 runs only that mode (for a profile of it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

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

/* How many records ahead of detection their entries are prefetched (8, as
 * the sensor does; BENCH_AHEAD=N to try others, 0 for none). */
static size_t prefetch_ahead = 8;

static void detect_batch(void *arg, const fh_flow_record *recs, size_t n)
{
    struct ctx *c = arg;
    fh_pkt p[FH_FLOW_BATCH_MAX];
    uint32_t scale[FH_FLOW_BATCH_MAX];
    bool ip[FH_FLOW_BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        uint64_t ts;
        ip[i] = fh_flow_record_to_pkt(&recs[i], &p[i], &scale[i], &ts);
        scale[i] = fh_flow_record_rate_scale(&recs[i]);
        if (i < prefetch_ahead && ip[i])
            fh_detect_prefetch(c->d, &p[i], p[i].dst[0] == 198);
    }
    for (size_t i = 0; i < n; i++) {
        size_t ahead = i + prefetch_ahead;
        if (prefetch_ahead && ahead < n && ip[ahead])
            fh_detect_prefetch(c->d, &p[ahead], p[ahead].dst[0] == 198);
        c->records++;
        if (ip[i])
            fh_detect_packet(c->d, &p[i], c->ts, p[i].dst[0] == 198, false, scale[i]);
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    if (getenv("BENCH_NO_THP") && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
        fprintf(stderr, "bench-flow: cannot disable transparent huge pages\n");
    int only = -1;
    int64_t v;
    if (getenv("BENCH_AHEAD") &&
        fh_parse_i64(getenv("BENCH_AHEAD"), 0, FH_FLOW_BATCH_MAX, &v) == FH_OK)
        prefetch_ahead = (size_t)v;
    if (getenv("BENCH_MODE") && fh_parse_i64(getenv("BENCH_MODE"), 0, 2, &v) == FH_OK)
        only = (int)v;
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
    fh_flow_addr exporter;
    uint8_t lo[4] = {127, 0, 0, 1};
    fh_flow_addr_set(&exporter, 4, lo);
    uint64_t t0 = (uint64_t)time(NULL) * 1000000ULL;
    static const char *const names[3] = {"decode only:", "decode + detect:", "batch + detect:"};
    for (int mode = 0; mode < 3; mode++) {
        if (only >= 0 && mode != only)
            continue;
        uint64_t dgrams = 0;
        c.records = 0;
        /* A fresh detector for each mode, so that each starts from empty tables. */
        fh_detect_free(c.d);
        if (fh_detect_new(&dc, no_event, NULL, &c.d, &msg) != FH_OK)
            return 2;
        c.ts = t0;
        double s = now(), cs = cpu_now();
        for (int64_t r = 0; r < rounds; r++) {
            const uint8_t *p = (const uint8_t *)b.data, *end = p + b.len;
            while (end - p >= 4) {
                uint32_t n =
                    (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
                p += 4;
                if (n > (size_t)(end - p))
                    break;
                if (mode == 2)
                    fh_flow_decode_batch(fc, &exporter, p, n, c.ts, detect_batch, &c);
                else
                    fh_flow_decode(fc, &exporter, p, n, c.ts, mode ? detect : count, &c);
                p += n;
                dgrams++;
                c.ts += 10; /* time moves on a little, as records keep arriving */
            }
        }
        double e = now() - s, ce = cpu_now() - cs;
        printf("%-18s %7.2f M records/s, %7.2f M per CPU second  (%llu records in %llu "
               "datagrams, %.3f s)\n",
               names[mode], (double)c.records / e / 1e6, (double)c.records / ce / 1e6,
               (unsigned long long)c.records, (unsigned long long)dgrams, e);
    }
    fh_detect_free(c.d);
    fh_flow_collector_free(fc);
    fh_buf_cleanup(&b);
    return 0;
}
