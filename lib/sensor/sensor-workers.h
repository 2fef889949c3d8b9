/*
 * Internal: the sensor's packet path split in two halves, and the threads
 * that run them (sensor-workers.c).
 *
 * A worker decodes a packet and matches it against the indicators (the
 * costly, stateless half: only the immutable matcher snapshot is read) and
 * writes what it found into a fixed-size record. The detection thread takes
 * the records in order and does everything that keeps state: match
 * aggregation, flood, scan and brute-force detection, events. With one
 * worker both halves run in one thread, one record at a time; with N they
 * are joined by one lock-free single-producer single-consumer ring per
 * worker. The same record type and the same two functions run in both
 * cases, so N workers give the events one worker gives (docs/sensor.md,
 * "Workers").
 */
#ifndef FENGHUO_SENSOR_WORKERS_H
#define FENGHUO_SENSOR_WORKERS_H

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fenghuo/net.h"
#include "fenghuo/sensor.h"

struct fh__sensor_snapshot;

/* Matches a packet can give: both addresses, one name (DNS, TLS or HTTP
 * Host) and the URL made of the Host. */
#define FH__SENSOR_MAX_HITS 4
/* Packets decoded and matched together: their address lookups overlap
 * (fh_match_ipv4_batch) and the detection thread prefetches its tables for
 * the ones that follow. */
#define FH__SENSOR_BATCH 64
/* Bytes of an ICMP error's body kept for the scan detector: the quoted
 * IP header (IPv4 with options: 60) and the quoted ports. */
#define FH__SENSOR_QUOTE_MAX 128

enum fh__sensor_rec_kind {
    FH__REC_PACKET = 1, /* an IP packet: pkt, hits, protected flags */
    FH__REC_NONIP,      /* not IP: only time passes */
    FH__REC_SNAPSHOT,   /* the worker now reads `snap`: nothing before uses the old one */
};

struct fh__sensor_hit {
    uint32_t rule;
    uint8_t where;
};

/* What one packet gave a worker. pkt.payload is not carried (the capture
 * buffer is gone by the time the record is read), except an ICMP error's
 * quote in `quote`, where pkt.payload_len says how much of it there is. */
struct fh__sensor_rec {
    uint8_t kind;
    uint8_t n_hits;
    bool dst_protected, src_protected;
    uint32_t wire_len;
    uint64_t ts_us;
    const struct fh__sensor_snapshot *snap; /* FH__REC_SNAPSHOT */
    struct fh__sensor_hit hits[FH__SENSOR_MAX_HITS];
    fh_pkt pkt;
    uint8_t quote[FH__SENSOR_QUOTE_MAX];
};

/* One captured packet of a batch: data stays valid until the batch is
 * decoded. */
struct fh__sensor_raw {
    const uint8_t *data;
    uint64_t ts_us;
    uint32_t caplen, len;
    fh_link_type link;
};

/* A single-producer single-consumer ring of records. */
struct fh__sensor_ring {
    struct fh__sensor_rec *slots;
    size_t mask;
    _Alignas(64) _Atomic uint64_t head; /* written by the producer */
    uint64_t tail_cache;
    _Alignas(64) _Atomic uint64_t tail; /* written by the consumer */
    uint64_t head_cache;
};

void fh__sensor_ring_init(struct fh__sensor_ring *r, size_t capacity /* power of two */);
void fh__sensor_ring_cleanup(struct fh__sensor_ring *r);
/* Producer: a free slot to fill, or NULL when full; then _push. */
struct fh__sensor_rec *fh__sensor_ring_claim(struct fh__sensor_ring *r);
void fh__sensor_ring_push(struct fh__sensor_ring *r);
/* Producer: the k-th free slot after the head (k < capacity), or NULL when
 * there are not k + 1 free slots now; then _push_n. */
struct fh__sensor_rec *fh__sensor_ring_claim_at(struct fh__sensor_ring *r, size_t k);
void fh__sensor_ring_push_n(struct fh__sensor_ring *r, size_t n);
/* Consumer: the oldest record, or NULL when empty; then _pop. */
struct fh__sensor_rec *fh__sensor_ring_peek(struct fh__sensor_ring *r);
/* Consumer: the record `ahead` places after the oldest if it is known to
 * be there already, or NULL (never waits, never reads the head). */
struct fh__sensor_rec *fh__sensor_ring_peek_ahead(struct fh__sensor_ring *r, size_t ahead);
void fh__sensor_ring_pop(struct fh__sensor_ring *r);

/* A single-producer single-consumer ring of whole packets (capture files:
 * the reader hands packets to workers). */
struct fh__sensor_pktring {
    uint8_t *buf;
    size_t cap;
    _Alignas(64) _Atomic uint64_t head;
    uint64_t tail_cache;
    _Alignas(64) _Atomic uint64_t tail;
    uint64_t head_cache;
};

struct fh__sensor_pkthdr {
    uint32_t size; /* of this entry with its data, 8-aligned; 0: wrap to the start */
    uint32_t caplen, len;
    uint32_t link;
    uint64_t ts_us;
};

void fh__sensor_pktring_init(struct fh__sensor_pktring *r, size_t capacity);
void fh__sensor_pktring_cleanup(struct fh__sensor_pktring *r);
/* false when there is no room now. caplen must be at most capacity / 4. */
bool fh__sensor_pktring_put(struct fh__sensor_pktring *r, const struct fh__sensor_pkthdr *h,
                            const uint8_t *data);
/* The oldest packet (its data follows the header), or NULL; then _release. */
const struct fh__sensor_pkthdr *fh__sensor_pktring_get(struct fh__sensor_pktring *r);
void fh__sensor_pktring_release(struct fh__sensor_pktring *r);
/* Consumer, several at a time: the packet at *pos (start from
 * fh__sensor_pktring_start), or NULL when there is none yet; *next is where
 * the following one starts. _release_to(pos) frees everything before pos. */
uint64_t fh__sensor_pktring_start(struct fh__sensor_pktring *r);
const struct fh__sensor_pkthdr *fh__sensor_pktring_at(struct fh__sensor_pktring *r, uint64_t pos,
                                                      uint64_t *next);
void fh__sensor_pktring_release_to(struct fh__sensor_pktring *r, uint64_t pos);

/* One worker: its thread's state. Counters are written by the worker only
 * and read by the detection thread after the worker has been joined. */
struct fh__sensor_worker {
    unsigned index;
    fh_sensor *sensor;
    const struct fh__sensor_snapshot *snap; /* what this worker reads now */
    uint64_t last_us;                       /* time never goes back per worker */
    uint64_t packets, bytes, ip_packets;
    uint64_t anomalies[FH_ANOM__COUNT];
    uint64_t drops, ifdrops; /* the kernel's, for a live capture */
    uint64_t ring_waits;     /* times the record ring was full and the worker waited */
    int cpu;                 /* pinned to this CPU, or -1 */
    fh_tls_reasm *tls_reasm; /* ClientHello reassembly of this worker's flows */
    /* live capture */
    pcap_t *pcap;
    fh_link_type link;
    /* threads */
    struct fh__sensor_ring out;
    struct fh__sensor_pktring in;
    const struct fh__sensor_snapshot *consumer_snap; /* the detection thread's view */
    uint32_t consumer_gen;                           /* and its generation */
    pthread_t thread;
    bool started;
    atomic_bool stop;
};

/* ---- provided by sensor.c ---- */

/* Worker half: decodes one captured packet and matches it into rec. */
void fh__sensor_decode(struct fh__sensor_worker *w, fh_link_type link, uint64_t ts_us,
                       uint32_t caplen, uint32_t len, const uint8_t *data,
                       struct fh__sensor_rec *rec /* OUT */);
/* Worker half for n <= FH__SENSOR_BATCH packets at once: the same records
 * fh__sensor_decode gives one by one, with the address lookups of the
 * whole batch overlapped. */
void fh__sensor_decode_batch(struct fh__sensor_worker *w, const struct fh__sensor_raw *raw,
                             size_t n, struct fh__sensor_rec *const *recs /* OUT */);
/* Reads up to max packets of capture file c (0 .. fh__sensor_n_files - 1),
 * in file order, into raw[]: their data stays valid until the next call
 * for any file. Returns how many (> 0), 0 at the end of the file, or -1
 * (err says why). */
int fh__sensor_read_file(fh_sensor *s, size_t c, struct fh__sensor_raw *raw, size_t max,
                         fh_buf *err);
size_t fh__sensor_n_files(const fh_sensor *s);
/* Worker: at a quiescent point, takes the published snapshot. Returns true
 * (and fills rec as a marker) when it changed. */
bool fh__sensor_worker_sync(struct fh__sensor_worker *w, struct fh__sensor_rec *rec /* OUT */);
/* Detection thread: the second half for one record of worker w. */
void fh__sensor_account(fh_sensor *s, struct fh__sensor_worker *w, struct fh__sensor_rec *rec);
/* Detection thread: a record that will be accounted soon (cache hint). */
void fh__sensor_prefetch(fh_sensor *s, const struct fh__sensor_rec *rec);
/* Detection thread: SIGHUP reloads and the hub's snapshots. */
void fh__sensor_housekeeping(fh_sensor *s, volatile sig_atomic_t *reload);
/* Detection thread: writes out the events held since the last call (the
 * packet loops flush once per batch, not once per event). */
void fh__sensor_flush_events(fh_sensor *s);
/* Detection thread: no packet for a while: let wall-clock time pass. */
void fh__sensor_idle_tick(fh_sensor *s);

/* ---- provided by sensor-workers.c ---- */

/* Runs N workers over live captures (one handle each, already in a fanout
 * group) until stop. */
fh_err fh__sensor_run_live_workers(fh_sensor *s, struct fh__sensor_worker *w, size_t n,
                                   volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                                   fh_buf *err);
/* Reads the capture files in this thread (fh__sensor_read_file), hands
 * each packet to a worker by a hash of its address pair and ports (both
 * directions of a flow go to one worker), and takes the records back in
 * file order. */
fh_err fh__sensor_run_file_workers(fh_sensor *s, struct fh__sensor_worker *w, size_t n,
                                   volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                                   fh_buf *err);
/* Puts a live handle into a fanout group (hash of the flow): a new one
 * whose id the kernel chooses when *group < 0 (then *group is set to it),
 * else group *group. */
fh_err fh__sensor_join_fanout(pcap_t *p, const char *iface, int *group, fh_buf *err);

#endif
