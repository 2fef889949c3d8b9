/*
 * Fuzz target: the sensor's classic pcap file walker
 * (lib/sensor/sensor-pcapfile.c): the global header, then the records
 * through windows of random sizes, refilled the way sensor.c's reader does
 * (the unread bytes kept, more appended), so that a refill falls at every
 * boundary: inside a record header, inside its data, right after it.
 * Files up to 2 KiB are walked a second time with windows grown one byte
 * at a time, so that the corpus replay meets every boundary too.
 *
 * Input: u32 seed of the window sizes (bit 31: put libpcap's maximum in
 * for the header's snapshot length, as the sensor does with libpcap's
 * value), then the file. tests/fuzz/make_pcapfile_seeds.py writes seeds.
 *
 * Checked: every record lies inside its window, its caplen is within the
 * snapshot length and the maximum, the walk moves forward or stops, and it
 * gives the same records and the same end (end of file or irregular, at
 * the same offset) as one walk over the whole file in a single window.
 * Each window is its own allocation of exactly its bytes, so ASan sees
 * any read past it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/sensor-pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#define MAX_FILE   ((size_t)1 << 20)
#define SMALL_FILE ((size_t)2 << 10) /* also walked a byte at a time */

static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

struct window {
    const uint8_t *file;
    size_t size;     /* of the file */
    uint64_t off;    /* file offset of buf[0] */
    uint8_t *buf;    /* exactly len bytes (NULL when len is 0) */
    size_t len, pos; /* bytes in buf; the next record */
    bool eof;        /* the last fill could not fill the window */
};

/* Keeps the unread bytes and appends more, up to a capacity of unread +
 * extra: what sensor.c's reader_fill does with a READ_BLOCK of that size. */
static void fill(struct window *w, size_t extra)
{
    size_t unread = w->len - w->pos;
    size_t cap = unread + extra;
    w->off += w->pos;
    size_t avail = w->size - (size_t)w->off;
    size_t len = avail < cap ? avail : cap;
    uint8_t *buf = len ? malloc(len) : NULL;
    CHECK(len == 0 || buf != NULL);
    if (len)
        memcpy(buf, w->file + w->off, len);
    free(w->buf);
    w->buf = buf;
    w->len = len;
    w->pos = 0;
    w->eof = avail < cap; /* a read past the end found nothing */
}

/* Walks the file's records through windows grown by a byte at a time
 * (bytewise) or by random amounts drawn from seed, beside the reference. */
static void walk(const struct fh__pcapfile *pf, const uint8_t *file, size_t fsize, uint32_t seed,
                 bool bytewise)
{
    const struct fh__pcapfile f = *pf;
    /* The reference: the whole file in one window. */
    const uint8_t *all = file + FH__PCAPFILE_HEADER;
    size_t all_len = fsize - FH__PCAPFILE_HEADER, all_pos = 0;

    struct window w = {.file = file, .size = fsize, .off = FH__PCAPFILE_HEADER};
    size_t steps = 0, limit = 2 * fsize + 16;
    for (;;) {
        CHECK(++steps <= limit);
        size_t before = w.pos;
        struct fh__pcapfile_rec rec;
        enum fh__pcapfile_step st = fh__pcapfile_next(&f, w.buf, w.len, &w.pos, w.eof, &rec);
        if (st == FH__PCAPFILE_MORE) {
            CHECK(!w.eof && w.pos == before);
            uint32_t r = next_rand(&seed);
            size_t unread = w.len - w.pos;
            size_t extra = bytewise  ? 1
                           : (r & 1) ? 1 + (r >> 1) % 16
                                     : 1 + (r >> 1) % (2 * unread + 64);
            fill(&w, extra);
            continue;
        }
        struct fh__pcapfile_rec ref;
        size_t ref_before = all_pos;
        enum fh__pcapfile_step ref_st = fh__pcapfile_next(&f, all, all_len, &all_pos, true, &ref);
        CHECK(ref_st != FH__PCAPFILE_MORE);
        CHECK(st == ref_st);
        CHECK(w.off + before == FH__PCAPFILE_HEADER + ref_before);
        if (st != FH__PCAPFILE_RECORD) {
            CHECK(w.pos == before);
            if (st == FH__PCAPFILE_END)
                CHECK(w.eof && w.pos == w.len && all_pos == all_len);
            break;
        }
        CHECK(rec.caplen <= f.snaplen && rec.caplen <= FH__PCAPFILE_MAX_CAPLEN);
        CHECK(rec.data == w.buf + before + FH__PCAPFILE_REC_HEADER);
        CHECK(w.pos == before + FH__PCAPFILE_REC_HEADER + rec.caplen && w.pos <= w.len);
        CHECK(rec.caplen == ref.caplen && rec.len == ref.len && rec.ts_us == ref.ts_us);
        CHECK(rec.caplen == 0 || memcmp(rec.data, ref.data, rec.caplen) == 0);
    }
    free(w.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                    (uint32_t)data[3] << 24;
    const uint8_t *file = data + 4;
    size_t fsize = size - 4;
    if (fsize > MAX_FILE)
        return 0;

    struct fh__pcapfile f;
    /* The header parser on every length up to the header's. */
    for (size_t n = 0; n < FH__PCAPFILE_HEADER && n <= fsize; n++) {
        uint8_t *p = n ? malloc(n) : NULL;
        if (n)
            memcpy(p, file, n);
        CHECK(!fh__pcapfile_header(p, n, &f));
        free(p);
    }
    if (!fh__pcapfile_header(file, fsize, &f))
        return 0;
    CHECK(fsize >= FH__PCAPFILE_HEADER);
    if (seed & 0x80000000u)
        f.snaplen = FH__PCAPFILE_MAX_CAPLEN;

    walk(&f, file, fsize, seed, false);
    if (fsize <= SMALL_FILE)
        walk(&f, file, fsize, seed, true);
    return 0;
}
