/*
 * bench-nft: elements applied per second to nftables sets by fh_nft_sync
 * (batched transactions of FH_NFT_BATCH elements), for issue 6's target of
 * 10,000 elements/s (CrowdSec's firewall bouncer: about 40 decisions/s).
 *
 *   ip netns add fhb && ip netns exec fhb build/bench-nft [ELEMENTS]; ip netns del fhb
 *
 * Run it in a network namespace of its own: it creates and deletes the table
 * inet fenghuo_bench there. Needs root (CAP_NET_ADMIN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fenghuo/mitigate.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    fh_buf err;
    fh_buf_init(&err, 1 << 20);
    fh_nft *nft = NULL;
    if (fh_nft_new("fenghuo_bench", false, NULL, &nft, &err) || fh_nft_setup(nft, &err)) {
        fprintf(stderr, "bench-nft: %s\n", err.data ? err.data : "?");
        return 2;
    }
    fh_block *b = calloc(n, sizeof *b);
    uint32_t x = 0x9e3779b9u;
    int64_t t0 = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b[i].family = 4;
        b[i].plen = 32;
        b[i].addr[0] = (uint8_t)(x >> 24), b[i].addr[1] = (uint8_t)(x >> 16);
        b[i].addr[2] = (uint8_t)(x >> 8), b[i].addr[3] = (uint8_t)x;
        b[i].expires = t0 + 3600 + (int64_t)(i % 600);
    }
    fh_nft_stats st;
    double s = now();
    if (fh_nft_sync(nft, b, n, t0, &st, &err)) {
        fprintf(stderr, "bench-nft: %s\n", err.data);
        return 2;
    }
    double e = now() - s;
    printf("add:    %zu elements in %zu transactions, %.3f s: %.0f elements/s\n", st.added,
           st.transactions, e, (double)st.added / e);
    /* A tenth leaves, a tenth arrives: a typical update round. */
    for (size_t i = 0; i < n / 10; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b[i].addr[0] = (uint8_t)(x >> 24), b[i].addr[1] = (uint8_t)(x >> 16);
        b[i].addr[2] = (uint8_t)(x >> 8), b[i].addr[3] = (uint8_t)x;
    }
    s = now();
    if (fh_nft_sync(nft, b, n, t0, &st, &err)) {
        fprintf(stderr, "bench-nft: %s\n", err.data);
        return 2;
    }
    e = now() - s;
    printf("update: %zu added, %zu removed, %zu unchanged in %.3f s: %.0f changes/s\n", st.added,
           st.removed, st.unchanged, e, (double)(st.added + st.removed) / e);
    fh_nft_teardown(nft, &err);
    fh_nft_free(nft);
    free(b);
    fh_buf_cleanup(&err);
    return 0;
}
