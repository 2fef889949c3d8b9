/*
 * Internal: the records of a classic pcap file, walked in a byte window
 * (sensor-pcapfile.c). No I/O and no libpcap: the sensor's file reader
 * (sensor.c) reads the blocks and falls back to libpcap; this part only
 * says what the bytes are, so a fuzz target and unit tests can drive it.
 */
#ifndef FENGHUO_SENSOR_PCAPFILE_H
#define FENGHUO_SENSOR_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FH__PCAPFILE_HEADER     24u /* the global header */
#define FH__PCAPFILE_REC_HEADER 16u /* each record's header */
#define FH__PCAPFILE_MAX_CAPLEN                                                                    \
    262144u /* libpcap's MAXIMUM_SNAPLEN: larger records are its business */

/* What the global header says about the records. */
struct fh__pcapfile {
    bool swap;        /* the records' integers are in the other byte order */
    bool nsec;        /* the second field of a timestamp is nanoseconds */
    uint32_t snaplen; /* as the header says it (the caller may put libpcap's in) */
};

/* Parses a global header (len >= 24 bytes of p): true for a classic pcap
 * file (the microsecond or nanosecond magic, either byte order) of version
 * 2.4, with f filled; false for anything else (pcapng, other versions,
 * fewer bytes). */
bool fh__pcapfile_header(const uint8_t *p, size_t len, struct fh__pcapfile *f /* OUT */);

/* One record, its data inside the window it was found in. */
struct fh__pcapfile_rec {
    const uint8_t *data; /* caplen bytes */
    uint64_t ts_us;
    uint32_t caplen, len;
};

enum fh__pcapfile_step {
    FH__PCAPFILE_RECORD,    /* rec filled, *pos moved past it */
    FH__PCAPFILE_MORE,      /* the next record goes past the window: read more */
    FH__PCAPFILE_IRREGULAR, /* longer than the snapshot length or the maximum,
                               or cut short by the end of the file: fall back */
    FH__PCAPFILE_END,       /* the end of the file, at a record boundary */
};

/* The record at buf[*pos] of the window buf[0 .. len). eof: the window
 * reaches the end of the file (nothing more to read). Never reads outside
 * the window. */
enum fh__pcapfile_step fh__pcapfile_next(const struct fh__pcapfile *f, const uint8_t *buf,
                                         size_t len, size_t *pos, bool eof,
                                         struct fh__pcapfile_rec *rec /* OUT */);

#endif
