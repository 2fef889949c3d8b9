/*
 * The records of a classic pcap file in a byte window: the global header's
 * facts (byte order, nanoseconds, snapshot length) and, record by record,
 * where each lies, or that more bytes are needed, or that the record is
 * irregular and libpcap should read from it on (sensor.c's file reader).
 */
#include <string.h>

#include "sensor/sensor-pcapfile.h"

#define US 1000000ULL

static uint32_t rd32_order(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16_order(const uint8_t *p, bool swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

bool fh__pcapfile_header(const uint8_t *p, size_t len, struct fh__pcapfile *f)
{
    if (len < FH__PCAPFILE_HEADER)
        return false;
    uint32_t magic;
    memcpy(&magic, p, 4);
    bool swap;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
        swap = false;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
        swap = true;
    else
        return false;
    if (rd16_order(p + 4, swap) != 2 || rd16_order(p + 6, swap) != 4)
        return false;
    f->swap = swap;
    f->nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    f->snaplen = rd32_order(p + 16, swap);
    return true;
}

enum fh__pcapfile_step fh__pcapfile_next(const struct fh__pcapfile *f, const uint8_t *buf,
                                         size_t len, size_t *pos, bool eof,
                                         struct fh__pcapfile_rec *rec)
{
    size_t left = *pos < len ? len - *pos : 0;
    if (left == 0 && eof)
        return FH__PCAPFILE_END;
    if (left < FH__PCAPFILE_REC_HEADER)
        return eof ? FH__PCAPFILE_IRREGULAR : FH__PCAPFILE_MORE;
    const uint8_t *h = buf + *pos;
    uint32_t caplen = rd32_order(h + 8, f->swap);
    if (caplen > f->snaplen || caplen > FH__PCAPFILE_MAX_CAPLEN)
        return FH__PCAPFILE_IRREGULAR;
    if (left - FH__PCAPFILE_REC_HEADER < caplen)
        return eof ? FH__PCAPFILE_IRREGULAR : FH__PCAPFILE_MORE;
    uint32_t sec = rd32_order(h, f->swap), frac = rd32_order(h + 4, f->swap);
    *rec = (struct fh__pcapfile_rec){
        .data = h + FH__PCAPFILE_REC_HEADER,
        .ts_us = (uint64_t)sec * US + (f->nsec ? frac / 1000 : frac),
        .caplen = caplen,
        .len = rd32_order(h + 12, f->swap),
    };
    *pos += FH__PCAPFILE_REC_HEADER + caplen;
    return FH__PCAPFILE_RECORD;
}
