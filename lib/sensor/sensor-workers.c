/*
 * The sensor's worker threads (sensor-workers.h): N threads decode and match
 * packets, the thread that runs the sensor detects and writes events.
 *
 * Why this split. Floods are counted per victim over packets from any
 * number of sources, scans per source over any number of victims, and a
 * scan's outcome needs both directions of a connection plus ICMP errors
 * from routers. No one fanout key keeps all of these whole in one worker,
 * so detection stays in one thread and sees every packet, in order, with
 * exactly the state and thresholds of a single-threaded sensor; the workers
 * do the part that needs no shared state and costs most per packet:
 * decoding, the network and indicator lookups, and DNS, TLS and HTTP
 * parsing. A worker hands the detection thread a fixed-size record through
 * its own single-producer single-consumer ring: no lock, no allocation.
 *
 * Capture files: this thread reads the files, sends each packet to a worker
 * by a hash of its address pair and ports (both directions of a flow to one
 * worker, as the kernel's fanout does), remembers which worker has which
 * packet, and takes the records back in file order: the events are those of
 * one worker, in the same order.
 *
 * Live capture: each worker reads its own libpcap handle (TPACKET_V3 ring)
 * in one PACKET_FANOUT_HASH group; the detection thread takes records from
 * the rings oldest first. The kernel's flow hash is symmetric, so a SYN and
 * its answer reach the same worker and stay in order.
 */
#include <assert.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fenghuo/util.h"
#include "sensor/sensor-workers.h"

#define US          1000000ULL
#define OUT_RING    4096              /* records per worker */
#define IN_RING     ((size_t)4 << 20) /* bytes of packets per worker (capture files) */
#define ORDER_SLOTS ((size_t)1 << 20) /* packets in flight (capture files) */
/* The detection thread asks for a destination's counters this many
 * records of one ring before it needs them. */
#define PREFETCH_AHEAD 6

/* ---- rings --------------------------------------------------------------------- */

void fh__sensor_ring_init(struct fh__sensor_ring *r, size_t capacity)
{
    assert((capacity & (capacity - 1)) == 0 && capacity > 0);
    r->slots = fh_xcalloc(capacity, sizeof *r->slots);
    r->mask = capacity - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->tail_cache = r->head_cache = 0;
}

void fh__sensor_ring_cleanup(struct fh__sensor_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

struct fh__sensor_rec *fh__sensor_ring_claim(struct fh__sensor_ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - r->tail_cache > r->mask) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h - r->tail_cache > r->mask)
            return NULL;
    }
    return &r->slots[h & r->mask];
}

void fh__sensor_ring_push(struct fh__sensor_ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

struct fh__sensor_rec *fh__sensor_ring_claim_at(struct fh__sensor_ring *r, size_t k)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed) + k;
    if (h - r->tail_cache > r->mask) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h - r->tail_cache > r->mask)
            return NULL;
    }
    return &r->slots[h & r->mask];
}

void fh__sensor_ring_push_n(struct fh__sensor_ring *r, size_t n)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, h + n, memory_order_release);
}

struct fh__sensor_rec *fh__sensor_ring_peek(struct fh__sensor_ring *r)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == r->head_cache) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t == r->head_cache)
            return NULL;
    }
    return &r->slots[t & r->mask];
}

struct fh__sensor_rec *fh__sensor_ring_peek_ahead(struct fh__sensor_ring *r, size_t ahead)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (r->head_cache - t <= ahead) /* head_cache was read with acquire */
        return NULL;
    return &r->slots[(t + ahead) & r->mask];
}

void fh__sensor_ring_pop(struct fh__sensor_ring *r)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

void fh__sensor_pktring_init(struct fh__sensor_pktring *r, size_t capacity)
{
    assert(capacity % 8 == 0 && capacity >= 1024);
    r->buf = fh_xmalloc(capacity);
    r->cap = capacity;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->tail_cache = r->head_cache = 0;
}

void fh__sensor_pktring_cleanup(struct fh__sensor_pktring *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Entries are 8-aligned and never wrap: one that does not fit before the
 * end starts at 0, and the rest of the lap is skipped (a header with size 0
 * says so when there is room for one). */
bool fh__sensor_pktring_put(struct fh__sensor_pktring *r, const struct fh__sensor_pkthdr *h,
                            const uint8_t *data)
{
    size_t need = (sizeof *h + h->caplen + 7) & ~(size_t)7;
    assert(need <= r->cap / 4);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t pos = head % r->cap;
    size_t skip = pos + need > r->cap ? r->cap - pos : 0;
    if (head + skip + need - r->tail_cache > r->cap) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head + skip + need - r->tail_cache > r->cap)
            return false;
    }
    if (skip) {
        if (skip >= sizeof *h) {
            struct fh__sensor_pkthdr wrap = {0};
            memcpy(r->buf + pos, &wrap, sizeof wrap);
        }
        head += skip;
        pos = 0;
    }
    struct fh__sensor_pkthdr e = *h;
    e.size = (uint32_t)need;
    memcpy(r->buf + pos, &e, sizeof e);
    memcpy(r->buf + pos + sizeof e, data, h->caplen);
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return true;
}

const struct fh__sensor_pkthdr *fh__sensor_pktring_get(struct fh__sensor_pktring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        if (tail == r->head_cache) {
            r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
            if (tail == r->head_cache)
                return NULL;
        }
        size_t pos = tail % r->cap;
        const struct fh__sensor_pkthdr *h = (const struct fh__sensor_pkthdr *)(r->buf + pos);
        if (r->cap - pos >= sizeof *h && h->size != 0)
            return h;
        tail += r->cap - pos; /* the rest of the lap is unused */
        atomic_store_explicit(&r->tail, tail, memory_order_release);
    }
}

void fh__sensor_pktring_release(struct fh__sensor_pktring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    const struct fh__sensor_pkthdr *h = (const struct fh__sensor_pkthdr *)(r->buf + tail % r->cap);
    atomic_store_explicit(&r->tail, tail + h->size, memory_order_release);
}

uint64_t fh__sensor_pktring_start(struct fh__sensor_pktring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed);
}

const struct fh__sensor_pkthdr *fh__sensor_pktring_at(struct fh__sensor_pktring *r, uint64_t pos,
                                                      uint64_t *next)
{
    for (;;) {
        if (pos == r->head_cache) {
            r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
            if (pos == r->head_cache)
                return NULL;
        }
        size_t at = pos % r->cap;
        const struct fh__sensor_pkthdr *h = (const struct fh__sensor_pkthdr *)(r->buf + at);
        if (r->cap - at >= sizeof *h && h->size != 0) {
            *next = pos + h->size;
            return h;
        }
        pos += r->cap - at; /* the rest of the lap is unused */
    }
}

void fh__sensor_pktring_release_to(struct fh__sensor_pktring *r, uint64_t pos)
{
    atomic_store_explicit(&r->tail, pos, memory_order_release);
}

/* ---- waiting ---------------------------------------------------------------------- */

/* Nothing to do for now: give the core away for a moment (the machine may
 * have fewer cores than threads). */
static void pause_briefly(void)
{
    struct timespec ts = {0, 20 * 1000};
    nanosleep(&ts, NULL);
}

/* The same, longer after a while of nothing (an idle live sensor should
 * not wake 50,000 times a second). */
static void pause_idle(unsigned *idle)
{
    struct timespec ts = {0, *idle < 256 ? 20 * 1000 : 1000 * 1000};
    if (*idle < UINT32_MAX)
        (*idle)++;
    nanosleep(&ts, NULL);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A free record slot of w's ring, waiting while the ring is full (the
 * detection thread drains it until the worker has exited). */
static struct fh__sensor_rec *claim_wait(struct fh__sensor_worker *w)
{
    struct fh__sensor_rec *rec = fh__sensor_ring_claim(&w->out);
    if (rec)
        return rec;
    w->ring_waits++;
    while ((rec = fh__sensor_ring_claim(&w->out)) == NULL)
        pause_briefly();
    return rec;
}

/* ---- worker threads --------------------------------------------------------------- */

struct worker_thread {
    struct fh__sensor_worker *w;
    atomic_bool exited;
    atomic_int failed; /* a live capture's read failed */
    char message[PCAP_ERRBUF_SIZE];
    uint8_t *buf; /* a live worker's batch (LIVE_BYTES) */
};

static void *file_worker(void *arg)
{
    struct worker_thread *t = arg;
    struct fh__sensor_worker *w = t->w;
    struct fh__sensor_raw raw[FH__SENSOR_BATCH];
    struct fh__sensor_rec *recs[FH__SENSOR_BATCH];
    uint64_t ends[FH__SENSOR_BATCH];
    for (;;) {
        /* The packets first, then the snapshot: a snapshot published
         * before a packet was handed out is the one that packet is matched
         * with (the ring's release and acquire order the two), as with one
         * worker. */
        size_t n = 0;
        uint64_t pos = fh__sensor_pktring_start(&w->in);
        const struct fh__sensor_pkthdr *h;
        while (n < FH__SENSOR_BATCH && (h = fh__sensor_pktring_at(&w->in, pos, &pos)) != NULL) {
            raw[n] = (struct fh__sensor_raw){.data = (const uint8_t *)(h + 1),
                                             .ts_us = h->ts_us,
                                             .caplen = h->caplen,
                                             .len = h->len,
                                             .link = (fh_link_type)h->link};
            ends[n++] = pos;
        }
        struct fh__sensor_rec *rec = claim_wait(w);
        if (fh__sensor_worker_sync(w, rec)) {
            fh__sensor_ring_push(&w->out);
            continue; /* the packets are taken again, with the new snapshot */
        }
        if (n == 0) {
            if (atomic_load(&w->stop))
                break;
            pause_briefly();
            continue;
        }
        /* As many as there are free records for. */
        size_t m = 1;
        recs[0] = rec;
        while (m < n && (recs[m] = fh__sensor_ring_claim_at(&w->out, m)) != NULL)
            m++;
        fh__sensor_decode_batch(w, raw, m, recs);
        fh__sensor_pktring_release_to(&w->in, ends[m - 1]);
        fh__sensor_ring_push_n(&w->out, m);
    }
    atomic_store(&t->exited, true);
    return NULL;
}

/* Decodes packets in runs of as many as there are free records for. */
static void decode_all(struct fh__sensor_worker *w, const struct fh__sensor_raw *raw, size_t n)
{
    struct fh__sensor_rec *recs[FH__SENSOR_BATCH];
    for (size_t done = 0; done < n;) {
        size_t m = 1;
        recs[0] = claim_wait(w);
        while (m < n - done && (recs[m] = fh__sensor_ring_claim_at(&w->out, m)) != NULL)
            m++;
        fh__sensor_decode_batch(w, raw + done, m, recs);
        fh__sensor_ring_push_n(&w->out, m);
        done += m;
    }
}

/* A live worker's packets, copied as libpcap hands them over (it gives a
 * ring block back to the kernel when it moves on to the next) and decoded
 * a batch at a time. */
#define LIVE_BYTES ((size_t)1 << 20) /* four of the largest packets libpcap gives */

struct live_batch {
    struct fh__sensor_worker *w;
    size_t n, used;
    uint8_t *buf;
    struct fh__sensor_raw raw[FH__SENSOR_BATCH];
};

static void live_flush(struct live_batch *b)
{
    decode_all(b->w, b->raw, b->n);
    b->n = 0;
    b->used = 0;
}

static void on_live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct live_batch *b = (struct live_batch *)user;
    uint32_t caplen = h->caplen < LIVE_BYTES ? h->caplen : (uint32_t)LIVE_BYTES;
    if (b->n == FH__SENSOR_BATCH || LIVE_BYTES - b->used < caplen)
        live_flush(b);
    memcpy(b->buf + b->used, data, caplen);
    b->raw[b->n++] = (struct fh__sensor_raw){
        .data = b->buf + b->used,
        .ts_us = (uint64_t)h->ts.tv_sec * US + (uint64_t)h->ts.tv_usec,
        .caplen = caplen,
        .len = h->len,
        .link = b->w->link,
    };
    b->used += (caplen + 15) & ~(size_t)15;
}

/* The handle is non-blocking: libpcap's own wait on a TPACKET_V3 ring
 * blocks until the kernel retires a block, and it retires none while no
 * packet comes, so an idle worker would never see the stop flag or a new
 * snapshot. It waits in poll() for at most 100 ms instead. */
static void *live_worker(void *arg)
{
    struct worker_thread *t = arg;
    struct fh__sensor_worker *w = t->w;
    int fd = pcap_get_selectable_fd(w->pcap);
    struct live_batch batch = {.w = w, .buf = t->buf};
    while (!atomic_load(&w->stop)) {
        struct fh__sensor_rec *rec = claim_wait(w);
        if (fh__sensor_worker_sync(w, rec))
            fh__sensor_ring_push(&w->out);
        int r = pcap_dispatch(w->pcap, 256, on_live_packet, (u_char *)&batch);
        live_flush(&batch);
        if (r == PCAP_ERROR) {
            snprintf(t->message, sizeof t->message, "%s", pcap_geterr(w->pcap));
            atomic_store(&t->failed, 1);
            break;
        }
        if (r == 0) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            poll(&pfd, 1, 100);
        }
    }
    atomic_store(&t->exited, true);
    return NULL;
}

static fh_err start_workers(struct fh__sensor_worker *w, size_t n, struct worker_thread *t,
                            void *(*fn)(void *), bool files, fh_buf *err)
{
    for (size_t i = 0; i < n && !files; i++) {
        char ebuf[PCAP_ERRBUF_SIZE] = "";
        if (pcap_setnonblock(w[i].pcap, 1, ebuf) != 0 || pcap_get_selectable_fd(w[i].pcap) < 0) {
            fh_buf_appendf(err, "worker %zu: cannot poll its capture: %s", i, ebuf);
            return FH_ERR_UNSUPPORTED;
        }
    }
    for (size_t i = 0; i < n; i++) {
        fh__sensor_ring_init(&w[i].out, OUT_RING);
        if (files)
            fh__sensor_pktring_init(&w[i].in, IN_RING);
        else
            t[i].buf = fh_xmalloc(LIVE_BYTES);
        atomic_store(&w[i].stop, false);
        t[i].w = &w[i];
        atomic_init(&t[i].exited, false);
        atomic_init(&t[i].failed, 0);
    }
    for (size_t i = 0; i < n; i++) {
        int e = pthread_create(&w[i].thread, NULL, fn, &t[i]);
        if (e) {
            fh_buf_appendf(err, "cannot start worker %zu: %s", i, strerror(e));
            return FH_ERR_INTERNAL;
        }
        w[i].started = true;
        if (w[i].cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(w[i].cpu, &set);
            e = pthread_setaffinity_np(w[i].thread, sizeof set, &set);
            if (e) {
                fh_buf_appendf(err, "--cpus: cannot pin worker %zu to CPU %d: %s", i, w[i].cpu,
                               strerror(e));
                return FH_ERR_USAGE;
            }
        }
    }
    return FH_OK;
}

/* Stops the workers and takes every record they still give (each record
 * a worker made is accounted for, so the counts add up). */
static void stop_workers(fh_sensor *s, struct fh__sensor_worker *w, size_t n,
                         struct worker_thread *t)
{
    for (size_t i = 0; i < n; i++)
        atomic_store(&w[i].stop, true);
    for (;;) {
        bool all = true;
        for (size_t i = 0; i < n; i++) {
            if (w[i].started && !atomic_load(&t[i].exited))
                all = false;
            struct fh__sensor_rec *rec;
            while (w[i].out.slots && (rec = fh__sensor_ring_peek(&w[i].out)) != NULL) {
                fh__sensor_account(s, &w[i], rec);
                fh__sensor_ring_pop(&w[i].out);
            }
        }
        if (all)
            break;
        pause_briefly();
    }
    for (size_t i = 0; i < n; i++) {
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
        w[i].started = false;
        struct fh__sensor_rec *rec;
        while (w[i].out.slots && (rec = fh__sensor_ring_peek(&w[i].out)) != NULL) {
            fh__sensor_account(s, &w[i], rec);
            fh__sensor_ring_pop(&w[i].out);
        }
        fh__sensor_ring_cleanup(&w[i].out);
        fh__sensor_pktring_cleanup(&w[i].in);
    }
}

/* ---- capture files ---------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t addr_hash(const uint8_t a[16])
{
    uint64_t hi, lo;
    memcpy(&hi, a, 8);
    memcpy(&lo, a + 8, 8);
    return mix64(hi ^ mix64(lo));
}

/* The worker of a packet: the same for both directions of a flow. */
static size_t worker_of(fh_link_type link, const uint8_t *data, uint32_t caplen, uint32_t len,
                        size_t n)
{
    fh_pkt p;
    fh_net_decode(link, data, caplen, len, &p);
    if (p.ip_version == 0)
        return 0;
    uint64_t h = addr_hash(p.src) ^ addr_hash(p.dst);
    h ^= (uint64_t)(p.sport ^ p.dport) << 8 | p.proto;
    return (size_t)(mix64(h) % n);
}

fh_err fh__sensor_run_file_workers(fh_sensor *s, struct fh__sensor_worker *w, size_t n,
                                   volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                                   fh_buf *err)
{
    struct worker_thread *t = fh_xcalloc(n, sizeof *t);
    uint8_t *order = fh_xmalloc(ORDER_SLOTS); /* the worker of each packet in flight */
    uint64_t oh = 0, ot = 0;
    fh_err rc = start_workers(w, n, t, file_worker, true, err);
    size_t f = 0, n_files = fh__sensor_n_files(s);
    bool eof = rc != FH_OK, have = false;
    /* Packets read and not handed out yet (valid until the next read). */
    struct fh__sensor_raw raw[FH__SENSOR_BATCH];
    size_t nb = 0, bi = 0;
    struct fh__sensor_pkthdr ph = {0};
    size_t target = 0;
    uint64_t last_ts = 0;
    while (rc == FH_OK) {
        bool progress = false;
        fh__sensor_housekeeping(s, reload);
        if (stop && *stop)
            eof = true;
        /* Read and hand out a batch. */
        for (int k = 0; k < 256 && !eof; k++) {
            if (!have) {
                if (bi == nb) {
                    if (f == n_files) {
                        eof = true;
                        break;
                    }
                    int r = fh__sensor_read_file(s, f, raw, FH__SENSOR_BATCH, err);
                    if (r < 0) {
                        rc = FH_ERR_IO;
                        eof = true;
                        break;
                    }
                    if (r == 0) {
                        f++; /* end of this file */
                        continue;
                    }
                    nb = (size_t)r;
                    bi = 0;
                }
                const struct fh__sensor_raw *x = &raw[bi];
                uint64_t ts = x->ts_us;
                if (ts < last_ts)
                    ts = last_ts; /* monotonic across files, as with one worker */
                last_ts = ts;
                uint32_t caplen = x->caplen;
                if (caplen > IN_RING / 4 - sizeof ph)
                    caplen = (uint32_t)(IN_RING / 4 - sizeof ph); /* beyond pcap's snaplen */
                ph = (struct fh__sensor_pkthdr){
                    .caplen = caplen, .len = x->len, .link = x->link, .ts_us = ts};
                target = worker_of(x->link, x->data, caplen, x->len, n);
                have = true;
            }
            if (oh - ot == ORDER_SLOTS || !fh__sensor_pktring_put(&w[target].in, &ph, raw[bi].data))
                break;
            order[oh++ % ORDER_SLOTS] = (uint8_t)target;
            have = false;
            bi++;
            progress = true;
        }
        /* Take the records back in the order the packets were read. */
        for (int k = 0; k < 1024 && ot != oh; k++) {
            struct fh__sensor_worker *x = &w[order[ot % ORDER_SLOTS]];
            struct fh__sensor_rec *rec = fh__sensor_ring_peek(&x->out);
            if (rec == NULL)
                break;
            struct fh__sensor_rec *next = fh__sensor_ring_peek_ahead(&x->out, PREFETCH_AHEAD);
            if (next)
                fh__sensor_prefetch(s, next);
            if (rec->kind != FH__REC_SNAPSHOT)
                ot++;
            fh__sensor_account(s, x, rec);
            fh__sensor_ring_pop(&x->out);
            progress = true;
        }
        /* A worker that moved to a new snapshot says so at the head of its
         * ring, where nothing older waits: take it now. */
        for (size_t i = 0; i < n; i++) {
            struct fh__sensor_rec *rec = fh__sensor_ring_peek(&w[i].out);
            if (rec && rec->kind == FH__REC_SNAPSHOT) {
                fh__sensor_account(s, &w[i], rec);
                fh__sensor_ring_pop(&w[i].out);
                progress = true;
            }
        }
        fh__sensor_flush_events(s);
        if (eof && ot == oh)
            break;
        if (!progress)
            pause_briefly();
    }
    stop_workers(s, w, n, t);
    free(order);
    free(t);
    return rc;
}

/* ---- live capture ----------------------------------------------------------------- */

fh_err fh__sensor_join_fanout(pcap_t *p, const char *iface, int *group, fh_buf *err)
{
    int fd = pcap_get_selectable_fd(p);
    if (fd < 0) {
        fh_buf_appendf(err, "%s: no socket to join a fanout group with", iface);
        return FH_ERR_UNSUPPORTED;
    }
    if (*group < 0) {
        /* A group id of the kernel's choosing, so that two sensors on one
         * interface never share a group by accident (Linux 4.5 and later). */
        int arg = (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
        if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) == 0) {
            int val = 0;
            socklen_t len = sizeof val;
            if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, &len) != 0) {
                fh_buf_appendf(err, "%s: cannot read the fanout group id: %s", iface,
                               strerror(errno));
                return FH_ERR_IO;
            }
            *group = val & 0xffff;
            return FH_OK;
        }
        if (errno != EINVAL) {
            fh_buf_appendf(err, "%s: cannot create a packet fanout group: %s", iface,
                           strerror(errno));
            return FH_ERR_IO;
        }
        *group = (int)(getpid() & 0xffff); /* an older kernel: an id of our own */
    }
    int arg = (*group & 0xffff) | (PACKET_FANOUT_HASH << 16);
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
        fh_buf_appendf(err, "%s: cannot join packet fanout group %d: %s", iface, *group & 0xffff,
                       strerror(errno));
        return FH_ERR_IO;
    }
    return FH_OK;
}

/* Takes up to `max` records from the rings, the oldest head first. */
static size_t drain_live(fh_sensor *s, struct fh__sensor_worker *w, size_t n, size_t max)
{
    size_t got = 0;
    while (got < max) {
        struct fh__sensor_worker *best = NULL;
        uint64_t best_ts = UINT64_MAX;
        for (size_t i = 0; i < n; i++) {
            struct fh__sensor_rec *rec = fh__sensor_ring_peek(&w[i].out);
            if (rec && rec->kind == FH__REC_SNAPSHOT) {
                fh__sensor_account(s, &w[i], rec);
                fh__sensor_ring_pop(&w[i].out);
                rec = fh__sensor_ring_peek(&w[i].out);
            }
            if (rec && rec->kind != FH__REC_SNAPSHOT && rec->ts_us < best_ts) {
                best = &w[i];
                best_ts = rec->ts_us;
            }
        }
        if (best == NULL)
            break;
        struct fh__sensor_rec *next = fh__sensor_ring_peek_ahead(&best->out, PREFETCH_AHEAD);
        if (next)
            fh__sensor_prefetch(s, next);
        fh__sensor_account(s, best, fh__sensor_ring_peek(&best->out));
        fh__sensor_ring_pop(&best->out);
        got++;
    }
    return got;
}

fh_err fh__sensor_run_live_workers(fh_sensor *s, struct fh__sensor_worker *w, size_t n,
                                   volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                                   fh_buf *err)
{
    struct worker_thread *t = fh_xcalloc(n, sizeof *t);
    fh_err rc = start_workers(w, n, t, live_worker, false, err);
    double last = wall_now();
    unsigned idle = 0;
    while (rc == FH_OK && !(stop && *stop)) {
        fh__sensor_housekeeping(s, reload);
        size_t got = drain_live(s, w, n, 4096);
        fh__sensor_flush_events(s);
        if (got) {
            last = wall_now();
            idle = 0;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (atomic_load(&t[i].failed)) {
                fh_buf_appendf(err, "worker %zu: %s", i, t[i].message);
                rc = FH_ERR_IO;
            }
        }
        if (wall_now() - last >= 0.1) {
            /* Every ring empty for a while: let time pass for the detectors. */
            fh__sensor_idle_tick(s);
            fh__sensor_flush_events(s);
            last = wall_now();
        }
        pause_idle(&idle);
    }
    stop_workers(s, w, n, t);
    for (size_t i = 0; i < n; i++) {
        struct pcap_stat st;
        if (pcap_stats(w[i].pcap, &st) == 0) {
            w[i].drops += st.ps_drop;
            w[i].ifdrops += st.ps_ifdrop;
        }
        free(t[i].buf);
    }
    free(t);
    return rc;
}
