/*
 * bench-lpm: lookups per second of the matcher's IPv4 and IPv6 longest-prefix
 * match and domain-suffix match, at a million prefixes (issue 5's target: 100
 * million IPv4 lookups/s per core).
 *
 *   build/bench-lpm [PREFIXES] [LOOKUPS]
 *
 * Prefixes are random with a realistic length mix (mostly /24 and /32, some
 * shorter); lookups are random addresses ("random") and addresses drawn from
 * the loaded prefixes ("realistic", where most lookups hit). Prints one line
 * per measurement; single thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/match.h"
#include "fenghuo/util.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    /* xorshift64*: fast, and good enough to spread addresses */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned v4_len(void)
{
    unsigned r = (unsigned)(rnd() % 100);
    return r < 50   ? 32
           : r < 85 ? 24
           : r < 95 ? 16 + (unsigned)(rnd() % 8)
                    : 25 + (unsigned)(rnd() % 7);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    size_t lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 50000000;
    uint32_t *addrs = fh_xmalloc(n * sizeof *addrs);

    double t0 = now();
    fh_match_builder *b = fh_match_builder_new();
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)rnd();
        addrs[i] = a;
        uint8_t bytes[4] = {a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff};
        fh_match_add_ipv4(b, bytes, v4_len(), (uint32_t)i + 1);
    }
    fh_match *m = fh_match_build(b);
    double t1 = now();
    fh_match_stats st;
    fh_match_get_stats(m, &st);
    printf("ipv4 build: %zu prefixes, %zu tbl8 groups, %.1f MiB, %.3f s\n", st.ipv4_prefixes,
           st.ipv4_tbl8_groups, (double)st.bytes / (1 << 20), t1 - t0);

    for (int mode = 0; mode < 2; mode++) {
        uint64_t hits = 0;
        double s = now();
        for (size_t i = 0; i < lookups; i++) {
            uint32_t a = mode == 0 ? (uint32_t)rnd() : addrs[rnd() % n];
            uint8_t bytes[4] = {a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff};
            hits += fh_match_ipv4(m, bytes) != 0;
        }
        double e = now() - s;
        printf("ipv4 lookup %-10s: %.1f M lookups/s, %.2f ns each, %.1f%% hits (with the "
               "cost of the random generator)\n",
               mode == 0 ? "random" : "realistic", (double)lookups / e / 1e6,
               e * 1e9 / (double)lookups, 100.0 * (double)hits / (double)lookups);
    }
    /* Batches of 256 pre-generated addresses, as the packet path sees them. */
    enum { BATCH = 256 };
    size_t pool = (size_t)1 << 22;
    uint8_t(*q)[4] = fh_xmalloc(pool * 4);
    uint32_t *out = fh_xmalloc(BATCH * sizeof *out);
    for (int mode = 0; mode < 2; mode++) {
        for (size_t i = 0; i < pool; i++) {
            uint32_t a = mode == 0 ? (uint32_t)rnd() : addrs[rnd() % n];
            q[i][0] = (uint8_t)(a >> 24), q[i][1] = (uint8_t)(a >> 16), q[i][2] = (uint8_t)(a >> 8),
            q[i][3] = (uint8_t)a;
        }
        uint64_t hits = 0;
        double s = now();
        for (size_t done = 0; done < lookups; done += BATCH) {
            fh_match_ipv4_batch(m, q + done % pool, BATCH, out);
            for (int i = 0; i < BATCH; i++)
                hits += out[i] != 0;
        }
        double e = now() - s;
        printf("ipv4 batch  %-10s: %.1f M lookups/s, %.2f ns each, %.1f%% hits\n",
               mode == 0 ? "random" : "realistic", (double)lookups / e / 1e6,
               e * 1e9 / (double)lookups, 100.0 * (double)hits / (double)lookups);
    }
    free(q);
    free(out);
    fh_match_free(m);

    /* IPv6: /48, /64 and /128 mixed. */
    size_t n6 = n / 4;
    t0 = now();
    b = fh_match_builder_new();
    uint8_t(*v6)[16] = fh_xmalloc(n6 * 16);
    for (size_t i = 0; i < n6; i++) {
        uint64_t hi = 0x20010db800000000ULL | (rnd() & 0xffffffffULL), lo = rnd();
        for (int k = 0; k < 8; k++) {
            v6[i][k] = (uint8_t)(hi >> (56 - 8 * k));
            v6[i][8 + k] = (uint8_t)(lo >> (56 - 8 * k));
        }
        static const unsigned lens[] = {48, 64, 128};
        fh_match_add_ipv6(b, v6[i], lens[rnd() % 3], (uint32_t)i + 1);
    }
    m = fh_match_build(b);
    t1 = now();
    printf("ipv6 build: %zu prefixes, %.3f s\n", n6, t1 - t0);
    size_t l6 = lookups / 5;
    uint64_t hits = 0;
    double s = now();
    for (size_t i = 0; i < l6; i++)
        hits += fh_match_ipv6(m, v6[rnd() % n6]) != 0;
    double e = now() - s;
    printf("ipv6 lookup realistic : %.1f M lookups/s, %.2f ns each, %.1f%% hits\n",
           (double)l6 / e / 1e6, e * 1e9 / (double)l6, 100.0 * (double)hits / (double)l6);
    fh_match_free(m);
    free(v6);

    /* Domains: 100,000 listed names, lookups of names three labels deep. */
    size_t nd = n / 10;
    b = fh_match_builder_new();
    char name[64];
    for (size_t i = 0; i < nd; i++) {
        int len = snprintf(name, sizeof name, "d%zx.example", (size_t)rnd() % (nd * 4));
        fh_match_add_domain(b, name, (size_t)len, (uint32_t)i + 1);
    }
    m = fh_match_build(b);
    size_t ld = lookups / 5;
    hits = 0;
    s = now();
    for (size_t i = 0; i < ld; i++) {
        int len = snprintf(name, sizeof name, "www.cdn.d%zx.example", (size_t)rnd() % (nd * 4));
        hits += fh_match_domain(m, name, (size_t)len) != 0;
    }
    e = now() - s;
    printf("domain lookup (3 labels deep, %zu names): %.1f M lookups/s, %.1f ns each "
           "(includes formatting the name), %.1f%% hits\n",
           nd, (double)ld / e / 1e6, e * 1e9 / (double)ld, 100.0 * (double)hits / (double)ld);
    fh_match_free(m);
    free(addrs);
    return 0;
}
