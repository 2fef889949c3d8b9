/*
 * Unit tests: the rings that join the sensor's workers to its detection
 * thread (lib/sensor/sensor-workers.c): order, full and empty rings, the
 * packet ring's wrap-around, and a producer and a consumer thread passing
 * a million records and packets (run under `make tsan` too).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/sensor-workers.h"

static void record_ring_keeps_order_and_says_when_full_or_empty(void **state)
{
    (void)state;
    struct fh__sensor_ring r;
    fh__sensor_ring_init(&r, 8);
    assert_null(fh__sensor_ring_peek(&r));
    for (uint64_t i = 0; i < 8; i++) {
        struct fh__sensor_rec *rec = fh__sensor_ring_claim(&r);
        assert_non_null(rec);
        rec->ts_us = i;
        fh__sensor_ring_push(&r);
    }
    assert_null(fh__sensor_ring_claim(&r));
    for (uint64_t i = 0; i < 8; i++) {
        struct fh__sensor_rec *rec = fh__sensor_ring_peek(&r);
        assert_non_null(rec);
        assert_int_equal(rec->ts_us, i);
        fh__sensor_ring_pop(&r);
        /* Room again after a pop. */
        assert_non_null(fh__sensor_ring_claim(&r));
    }
    assert_null(fh__sensor_ring_peek(&r));
    fh__sensor_ring_cleanup(&r);
}

static void packet_ring_wraps_entries_whole(void **state)
{
    (void)state;
    struct fh__sensor_pktring r;
    fh__sensor_pktring_init(&r, 4096);
    uint8_t data[1000];
    unsigned put = 0, got = 0;
    /* Sizes that do not divide the ring, so entries meet its end at every
     * offset; each entry must come out whole and in order. */
    for (unsigned round = 0; round < 2000; round++) {
        uint32_t len = 1 + (round * 37) % 1000;
        memset(data, (int)(round & 0xff), len);
        struct fh__sensor_pkthdr h = {.caplen = len, .len = len + 4, .ts_us = round};
        while (!fh__sensor_pktring_put(&r, &h, data)) {
            const struct fh__sensor_pkthdr *e = fh__sensor_pktring_get(&r);
            assert_non_null(e); /* full means something to read */
            uint32_t want = 1 + (got * 37) % 1000;
            assert_int_equal(e->ts_us, got);
            assert_int_equal(e->caplen, want);
            assert_int_equal(e->len, want + 4);
            const uint8_t *d = (const uint8_t *)(e + 1);
            assert_int_equal(d[0], got & 0xff);
            assert_int_equal(d[want - 1], got & 0xff);
            fh__sensor_pktring_release(&r);
            got++;
        }
        put++;
    }
    const struct fh__sensor_pkthdr *e;
    while ((e = fh__sensor_pktring_get(&r)) != NULL) {
        assert_int_equal(e->ts_us, got);
        fh__sensor_pktring_release(&r);
        got++;
    }
    assert_int_equal(got, put);
    fh__sensor_pktring_cleanup(&r);
}

/* Batches: claim_at/push_n on the record ring, at/release_to on the packet
 * ring, as the file workers use them. */
static void rings_take_batches_in_order(void **state)
{
    (void)state;
    struct fh__sensor_ring r;
    fh__sensor_ring_init(&r, 8);
    for (size_t k = 0; k < 8; k++) {
        struct fh__sensor_rec *rec = fh__sensor_ring_claim_at(&r, k);
        assert_non_null(rec);
        rec->ts_us = k;
    }
    assert_null(fh__sensor_ring_claim_at(&r, 8)); /* only 8 slots */
    fh__sensor_ring_push_n(&r, 5);
    assert_null(fh__sensor_ring_claim_at(&r, 3)); /* 5 taken, 3 free */
    assert_non_null(fh__sensor_ring_claim_at(&r, 2));
    for (uint64_t i = 0; i < 5; i++) {
        struct fh__sensor_rec *rec = fh__sensor_ring_peek(&r);
        assert_non_null(rec);
        assert_int_equal(rec->ts_us, i);
        fh__sensor_ring_pop(&r);
    }
    assert_null(fh__sensor_ring_peek(&r));
    assert_non_null(fh__sensor_ring_claim_at(&r, 7));
    fh__sensor_ring_cleanup(&r);

    struct fh__sensor_pktring p;
    fh__sensor_pktring_init(&p, 4096);
    uint8_t data[1000];
    unsigned put = 0, got = 0;
    for (unsigned round = 0; round < 3000; round++) {
        uint32_t len = 1 + (round * 53) % 1000;
        memset(data, (int)(round & 0xff), len);
        struct fh__sensor_pkthdr h = {.caplen = len, .len = len, .ts_us = round};
        while (!fh__sensor_pktring_put(&p, &h, data)) {
            /* Take up to 3 at once, release up to the second. */
            uint64_t pos = fh__sensor_pktring_start(&p), ends[3];
            size_t n = 0;
            const struct fh__sensor_pkthdr *e;
            while (n < 3 && (e = fh__sensor_pktring_at(&p, pos, &pos)) != NULL) {
                uint32_t want = 1 + ((got + n) * 53) % 1000;
                assert_int_equal(e->ts_us, got + n);
                assert_int_equal(e->caplen, want);
                const uint8_t *d = (const uint8_t *)(e + 1);
                assert_int_equal(d[want - 1], (got + n) & 0xff);
                ends[n++] = pos;
            }
            assert_true(n > 0); /* full means something to read */
            size_t keep = n > 1 ? n - 1 : n;
            fh__sensor_pktring_release_to(&p, ends[keep - 1]);
            got += (unsigned)keep;
        }
        put++;
    }
    const struct fh__sensor_pkthdr *e;
    while ((e = fh__sensor_pktring_get(&p)) != NULL) {
        assert_int_equal(e->ts_us, got);
        fh__sensor_pktring_release(&p);
        got++;
    }
    assert_int_equal(got, put);
    fh__sensor_pktring_cleanup(&p);
}

#define N_PASSED 1000000

struct pair {
    struct fh__sensor_ring recs;
    struct fh__sensor_pktring pkts;
};

static void *producer(void *arg)
{
    struct pair *p = arg;
    uint8_t data[64];
    for (uint64_t i = 0; i < N_PASSED; i++) {
        struct fh__sensor_rec *rec;
        while ((rec = fh__sensor_ring_claim(&p->recs)) == NULL)
            ;
        rec->ts_us = i;
        rec->wire_len = (uint32_t)(i * 7);
        fh__sensor_ring_push(&p->recs);
        uint32_t len = 1 + (uint32_t)(i % 64);
        memset(data, (int)(i & 0xff), len);
        struct fh__sensor_pkthdr h = {.caplen = len, .len = len, .ts_us = i};
        while (!fh__sensor_pktring_put(&p->pkts, &h, data))
            ;
    }
    return NULL;
}

static void two_threads_pass_a_million_records_in_order(void **state)
{
    (void)state;
    struct pair p;
    fh__sensor_ring_init(&p.recs, 1024);
    fh__sensor_pktring_init(&p.pkts, 1 << 16);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &p), 0);
    uint64_t recs = 0, pkts = 0;
    bool ordered = true;
    while (recs < N_PASSED || pkts < N_PASSED) {
        struct fh__sensor_rec *rec = fh__sensor_ring_peek(&p.recs);
        if (rec) {
            ordered &= rec->ts_us == recs && rec->wire_len == (uint32_t)(recs * 7);
            fh__sensor_ring_pop(&p.recs);
            recs++;
        }
        const struct fh__sensor_pkthdr *h = fh__sensor_pktring_get(&p.pkts);
        if (h) {
            const uint8_t *d = (const uint8_t *)(h + 1);
            ordered &= h->ts_us == pkts && h->caplen == 1 + pkts % 64 &&
                       d[h->caplen - 1] == (uint8_t)(pkts & 0xff);
            fh__sensor_pktring_release(&p.pkts);
            pkts++;
        }
    }
    pthread_join(t, NULL);
    assert_true(ordered);
    assert_null(fh__sensor_ring_peek(&p.recs));
    assert_null(fh__sensor_pktring_get(&p.pkts));
    fh__sensor_ring_cleanup(&p.recs);
    fh__sensor_pktring_cleanup(&p.pkts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_ring_keeps_order_and_says_when_full_or_empty),
        cmocka_unit_test(packet_ring_wraps_entries_whole),
        cmocka_unit_test(rings_take_batches_in_order),
        cmocka_unit_test(two_threads_pass_a_million_records_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
