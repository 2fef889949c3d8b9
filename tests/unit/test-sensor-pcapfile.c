/*
 * Unit tests: the sensor's classic pcap walker (lib/sensor/sensor-pcapfile.c):
 * which headers it takes, records in both byte orders and in nanoseconds,
 * a window cut at every byte, and the irregular records it leaves to
 * libpcap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/sensor-pcapfile.h"

static void put32(uint8_t *p, uint32_t v, bool be)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (be ? 24 - 8 * i : 8 * i));
}

static void put16(uint8_t *p, uint16_t v, bool be)
{
    p[0] = (uint8_t)(be ? v >> 8 : v);
    p[1] = (uint8_t)(be ? v : v >> 8);
}

static void header(uint8_t *p, uint32_t magic, bool be, uint16_t major, uint16_t minor,
                   uint32_t snaplen)
{
    memset(p, 0, FH__PCAPFILE_HEADER);
    put32(p, magic, be);
    put16(p + 4, major, be);
    put16(p + 6, minor, be);
    put32(p + 16, snaplen, be);
    put32(p + 20, 1, be);
}

/* A record header and caplen bytes of data (i + caplen), at p. */
static size_t record(uint8_t *p, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                     bool be)
{
    put32(p, sec, be);
    put32(p + 4, frac, be);
    put32(p + 8, caplen, be);
    put32(p + 12, len, be);
    for (uint32_t i = 0; i < caplen; i++)
        p[16 + i] = (uint8_t)(i + caplen);
    return 16 + caplen;
}

static void header_takes_classic_pcap_2_4_only(void **state)
{
    (void)state;
    uint8_t h[FH__PCAPFILE_HEADER];
    struct fh__pcapfile f;
    const struct {
        uint32_t magic;
        bool be, swap_on_le_host, nsec;
    } ok[] = {
        {0xa1b2c3d4u, false, false, false},
        {0xa1b2c3d4u, true, true, false},
        {0xa1b23c4du, false, false, true},
        {0xa1b23c4du, true, true, true},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        header(h, ok[i].magic, ok[i].be, 2, 4, 1514);
        assert_true(fh__pcapfile_header(h, sizeof h, &f));
        assert_int_equal(f.swap, ok[i].swap_on_le_host); /* the tests run little-endian */
        assert_int_equal(f.nsec, ok[i].nsec);
        assert_int_equal(f.snaplen, 1514);
        assert_false(fh__pcapfile_header(h, sizeof h - 1, &f));
    }
    header(h, 0xa1b2c3d4u, false, 2, 3, 1514);
    assert_false(fh__pcapfile_header(h, sizeof h, &f));
    header(h, 0xa1b2c3d4u, false, 1, 4, 1514);
    assert_false(fh__pcapfile_header(h, sizeof h, &f));
    header(h, 0x0a0d0d0au, false, 2, 4, 1514); /* pcapng's section header */
    assert_false(fh__pcapfile_header(h, sizeof h, &f));
}

/* Two records in a window cut at every length: MORE until the whole record
 * is there, then the record; at the end of the file a cut one is irregular. */
static void walker_needs_whole_records_and_reads_both_orders(void **state)
{
    (void)state;
    for (int be = 0; be <= 1; be++) {
        for (int nsec = 0; nsec <= 1; nsec++) {
            uint8_t file[FH__PCAPFILE_HEADER + 2 * 16 + 60 + 40];
            header(file, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, be, 2, 4, 65535);
            struct fh__pcapfile f;
            assert_true(fh__pcapfile_header(file, sizeof file, &f));
            uint8_t *recs = file + FH__PCAPFILE_HEADER;
            size_t first = record(recs, 1000, nsec ? 123456789 : 123456, 60, 1514, be);
            size_t total = first + record(recs + first, 1001, 5, 40, 40, be);
            for (size_t len = 0; len <= total; len++) {
                for (int eof = 0; eof <= 1; eof++) {
                    size_t pos = 0;
                    struct fh__pcapfile_rec rec;
                    enum fh__pcapfile_step st = fh__pcapfile_next(&f, recs, len, &pos, eof, &rec);
                    if (len < first) {
                        assert_int_equal(st, len == 0 && eof ? FH__PCAPFILE_END
                                             : eof           ? FH__PCAPFILE_IRREGULAR
                                                             : FH__PCAPFILE_MORE);
                        assert_int_equal(pos, 0);
                        continue;
                    }
                    assert_int_equal(st, FH__PCAPFILE_RECORD);
                    assert_int_equal(pos, first);
                    assert_ptr_equal(rec.data, recs + 16);
                    assert_int_equal(rec.caplen, 60);
                    assert_int_equal(rec.len, 1514);
                    assert_int_equal(rec.ts_us, 1000 * 1000000ULL + 123456);
                    assert_int_equal(rec.data[59], (uint8_t)(59 + 60));
                    st = fh__pcapfile_next(&f, recs, len, &pos, eof, &rec);
                    if (len == total) {
                        assert_int_equal(st, FH__PCAPFILE_RECORD);
                        assert_int_equal(rec.ts_us, 1001 * 1000000ULL + (nsec ? 0 : 5));
                        assert_int_equal(rec.caplen, 40);
                        assert_int_equal(pos, total);
                        st = fh__pcapfile_next(&f, recs, len, &pos, eof, &rec);
                        assert_int_equal(st, eof ? FH__PCAPFILE_END : FH__PCAPFILE_MORE);
                    } else if (len == first) {
                        assert_int_equal(st, eof ? FH__PCAPFILE_END : FH__PCAPFILE_MORE);
                    } else {
                        assert_int_equal(st, eof ? FH__PCAPFILE_IRREGULAR : FH__PCAPFILE_MORE);
                        assert_int_equal(pos, first);
                    }
                }
            }
        }
    }
}

/* Longer than the snapshot length or libpcap's maximum: irregular even when
 * the whole record is there, and even before it is. */
static void walker_leaves_over_long_records_to_libpcap(void **state)
{
    (void)state;
    struct fh__pcapfile f = {.swap = false, .nsec = false, .snaplen = 32};
    uint8_t buf[16 + 64];
    record(buf, 1, 2, 33, 33, false);
    size_t pos = 0;
    struct fh__pcapfile_rec rec;
    assert_int_equal(fh__pcapfile_next(&f, buf, sizeof buf, &pos, false, &rec),
                     FH__PCAPFILE_IRREGULAR);
    assert_int_equal(fh__pcapfile_next(&f, buf, 16, &pos, false, &rec), FH__PCAPFILE_IRREGULAR);
    assert_int_equal(pos, 0);
    record(buf, 1, 2, 32, 33, false);
    assert_int_equal(fh__pcapfile_next(&f, buf, sizeof buf, &pos, false, &rec),
                     FH__PCAPFILE_RECORD);
    assert_int_equal(rec.caplen, 32);

    f.snaplen = UINT32_MAX;
    put32(buf + 8, FH__PCAPFILE_MAX_CAPLEN + 1, false);
    pos = 0;
    assert_int_equal(fh__pcapfile_next(&f, buf, sizeof buf, &pos, false, &rec),
                     FH__PCAPFILE_IRREGULAR);
    put32(buf + 8, FH__PCAPFILE_MAX_CAPLEN, false);
    assert_int_equal(fh__pcapfile_next(&f, buf, sizeof buf, &pos, false, &rec), FH__PCAPFILE_MORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_takes_classic_pcap_2_4_only),
        cmocka_unit_test(walker_needs_whole_records_and_reads_both_orders),
        cmocka_unit_test(walker_leaves_over_long_records_to_libpcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
