/*
 * TLS ClientHello reassembly across TCP segments and TLS records, so the
 * sensor reads the server_name of hellos that do not fit one segment (see
 * net.h, "TLS ClientHello reassembly", and docs/sensor.md).
 *
 * Each entry is keyed by the connection's 4-tuple in the client-to-server
 * direction and holds the raw TCP stream from the first byte of the hello,
 * record headers included, at its stream offset. Once the contiguous prefix
 * holds the whole handshake message, the record headers are squeezed out in
 * place and fh_tls_sni reads the result behind one synthetic record header.
 *
 * Not for: anything after the ClientHello, server-to-client data, QUIC
 * Initial packets (the hello is encrypted there), or a hello whose first
 * segment is lost or arrives after later ones.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fenghuo/net.h"
#include "fenghuo/util.h"

#define NIL        UINT32_MAX
#define REC_HDR    5
#define HS_HDR     4
#define REC_MAX    (16384 + 2048) /* TLSPlaintext limit plus what TLS 1.2 allows */
#define US_PER_MS  1000ULL
#define CT_HS      22 /* TLS ContentType handshake */
#define HT_CLIENTH 1  /* HandshakeType client_hello */

/* 40 bytes with no padding, compared with memcmp. */
struct key {
    uint8_t family;
    uint8_t zero[3];
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

struct slot {
    struct key key;
    uint32_t hnext;          /* next slot in the hash chain, or in the free list */
    uint32_t older, newer;   /* the idle-order list */
    uint32_t isn;            /* sequence number of buf[0], the hello's first byte */
    uint32_t have;           /* contiguous bytes from buf[0] */
    uint32_t ooo_lo, ooo_hi; /* one held range ahead of a hole; lo == hi: none */
    uint64_t last_us;        /* the last segment's packet time */
};

struct fh_tls_reasm {
    fh_tls_reasm_config cfg;
    struct slot *slots;
    uint8_t *bufs;    /* max_flows * max_bytes */
    uint8_t *scratch; /* max_bytes: a hello split over records in one segment */
    uint32_t *buckets;
    uint32_t mask;
    uint32_t free_head;
    uint32_t newest, oldest;
    uint64_t seed;
    fh_tls_reasm_stats st;
};

void fh_tls_reasm_config_init(fh_tls_reasm_config *c)
{
    c->max_flows = FH_TLS_REASM_DEFAULT_FLOWS;
    c->max_bytes = FH_TLS_REASM_DEFAULT_BYTES;
    c->timeout_ms = FH_TLS_REASM_DEFAULT_TIMEOUT_MS;
}

fh_err fh_tls_reasm_new(const fh_tls_reasm_config *c, fh_tls_reasm **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    if (c->max_flows == 0)
        return FH_OK;
    if (c->max_flows > FH_TLS_REASM_MAX_FLOWS) {
        *why = "tls_reassembly_flows is over the limit of 1048576";
        return FH_ERR_INVALID;
    }
    if (c->max_bytes < FH_TLS_REASM_MIN_BYTES || c->max_bytes > FH_TLS_REASM_MAX_BYTES) {
        *why = "tls_reassembly_bytes must be 512-65535";
        return FH_ERR_INVALID;
    }
    if (c->timeout_ms == 0 || c->timeout_ms > 3600 * 1000) {
        *why = "tls_reassembly_timeout_ms must be 1-3600000";
        return FH_ERR_INVALID;
    }
    fh_tls_reasm *r = fh_xcalloc(1, sizeof *r);
    r->cfg = *c;
    r->slots = fh_xcalloc(c->max_flows, sizeof *r->slots);
    /* Untouched pages of the buffers cost address space, not memory. */
    r->bufs = fh_xcalloc(c->max_flows, c->max_bytes);
    r->scratch = fh_xmalloc(c->max_bytes);
    uint32_t nb = 16;
    while (nb < 2 * c->max_flows)
        nb *= 2;
    r->mask = nb - 1;
    r->buckets = fh_xmalloc(nb * sizeof *r->buckets);
    for (uint32_t i = 0; i < nb; i++)
        r->buckets[i] = NIL;
    for (uint32_t i = 0; i < c->max_flows; i++)
        r->slots[i].hnext = i + 1 < c->max_flows ? i + 1 : NIL;
    r->free_head = 0;
    r->newest = r->oldest = NIL;
    /* A secret seed keeps crafted 4-tuples from piling into one chain; the
     * chains' order never shows in the results, so runs stay deterministic. */
    if (getrandom(&r->seed, sizeof r->seed, GRND_NONBLOCK) != (ssize_t)sizeof r->seed)
        r->seed = (uint64_t)(uintptr_t)r ^ 0x5bd1e9955bd1e995ULL;
    *out = r;
    return FH_OK;
}

void fh_tls_reasm_free(fh_tls_reasm *r)
{
    if (r == NULL)
        return;
    free(r->slots);
    free(r->bufs);
    free(r->scratch);
    free(r->buckets);
    free(r);
}

void fh_tls_reasm_get_stats(const fh_tls_reasm *r, fh_tls_reasm_stats *st)
{
    if (r == NULL)
        memset(st, 0, sizeof *st);
    else
        *st = r->st;
}

/* ---- the table -------------------------------------------------------------- */

static uint32_t bucket_of(const fh_tls_reasm *r, const struct key *k)
{
    uint64_t w[sizeof(struct key) / 8];
    _Static_assert(sizeof(struct key) == 40, "key is five words, no padding");
    memcpy(w, k, sizeof w);
    uint64_t h = r->seed;
    for (size_t i = 0; i < FH_ARRAY_LEN(w); i++) {
        h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ h >> 32) & r->mask;
}

static uint8_t *buf_of(fh_tls_reasm *r, uint32_t i)
{
    return r->bufs + (size_t)i * r->cfg.max_bytes;
}

static void lru_unlink(fh_tls_reasm *r, uint32_t i)
{
    struct slot *s = &r->slots[i];
    if (s->older != NIL)
        r->slots[s->older].newer = s->newer;
    else
        r->oldest = s->newer;
    if (s->newer != NIL)
        r->slots[s->newer].older = s->older;
    else
        r->newest = s->older;
}

static void lru_push_newest(fh_tls_reasm *r, uint32_t i)
{
    struct slot *s = &r->slots[i];
    s->older = r->newest;
    s->newer = NIL;
    if (r->newest != NIL)
        r->slots[r->newest].newer = i;
    else
        r->oldest = i;
    r->newest = i;
}

static uint32_t lookup(const fh_tls_reasm *r, const struct key *k)
{
    for (uint32_t i = r->buckets[bucket_of(r, k)]; i != NIL; i = r->slots[i].hnext)
        if (memcmp(&r->slots[i].key, k, sizeof *k) == 0)
            return i;
    return NIL;
}

static void drop(fh_tls_reasm *r, uint32_t i)
{
    uint32_t *pp = &r->buckets[bucket_of(r, &r->slots[i].key)];
    while (*pp != i)
        pp = &r->slots[*pp].hnext;
    *pp = r->slots[i].hnext;
    lru_unlink(r, i);
    r->slots[i].hnext = r->free_head;
    r->free_head = i;
    r->st.active--;
}

/* A slot for k, evicting the entry idle longest when none is free. */
static uint32_t take(fh_tls_reasm *r, const struct key *k, uint64_t ts_us)
{
    if (r->free_head == NIL) {
        r->st.evictions++;
        drop(r, r->oldest);
    }
    uint32_t i = r->free_head;
    struct slot *s = &r->slots[i];
    r->free_head = s->hnext;
    memset(s, 0, sizeof *s);
    s->key = *k;
    uint32_t b = bucket_of(r, k);
    s->hnext = r->buckets[b];
    r->buckets[b] = i;
    s->last_us = ts_us;
    lru_push_newest(r, i);
    r->st.active++;
    return i;
}

void fh_tls_reasm_expire(fh_tls_reasm *r, uint64_t now_us)
{
    if (r == NULL)
        return;
    uint64_t limit = (uint64_t)r->cfg.timeout_ms * US_PER_MS;
    while (r->oldest != NIL && now_us > r->slots[r->oldest].last_us &&
           now_us - r->slots[r->oldest].last_us > limit) {
        r->st.timeouts++;
        drop(r, r->oldest);
    }
}

/* ---- the record layer ------------------------------------------------------- */

enum scan_result { SCAN_MORE, SCAN_DONE, SCAN_BAD, SCAN_BIG };

struct scan_info {
    uint32_t records;       /* records (whole or begun) walked */
    uint32_t hs_total;      /* 4 + the handshake length, 0 while unknown */
    uint32_t first_rec_end; /* end of the first record's bytes present */
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Walks the records in b[0..have) as the start of a ClientHello: each must
 * be a handshake record of version 3.x, together carrying one client_hello
 * message. DONE once the message is whole; BIG when it would not fit max
 * bytes of stream; BAD when the framing says this is not a ClientHello.
 * Every byte present is checked, so a prefix of one byte is judged too.
 */
static enum scan_result scan(const uint8_t *b, uint32_t have, uint32_t max, struct scan_info *info)
{
    uint32_t pos = 0, hs_got = 0;
    uint8_t hh[HS_HDR];
    memset(info, 0, sizeof *info);
    while (pos < have) {
        uint32_t left = have - pos;
        if (b[pos] != CT_HS || (left >= 2 && b[pos + 1] != 3))
            return SCAN_BAD;
        info->records++;
        if (left < REC_HDR) {
            if (info->records == 1)
                info->first_rec_end = have;
            break;
        }
        uint32_t rlen = rd16(b + pos + 3);
        if (rlen == 0 || rlen > REC_MAX)
            return SCAN_BAD;
        uint32_t body = pos + REC_HDR;
        uint32_t avail = have - body < rlen ? have - body : rlen;
        if (info->records == 1)
            info->first_rec_end = body + avail;
        uint32_t i = 0;
        while (hs_got < HS_HDR && i < avail)
            hh[hs_got++] = b[body + i++];
        if (hs_got >= 1 && hh[0] != HT_CLIENTH)
            return SCAN_BAD;
        if (hs_got == HS_HDR && info->hs_total == 0) {
            uint32_t hs_len = (uint32_t)hh[1] << 16 | (uint32_t)hh[2] << 8 | hh[3];
            if (hs_len > max)
                return SCAN_BIG;
            info->hs_total = HS_HDR + hs_len;
            if (REC_HDR + info->hs_total > max)
                return SCAN_BIG;
            hs_got = HS_HDR;
        }
        hs_got += avail - i;
        if (info->hs_total && hs_got >= info->hs_total)
            return SCAN_DONE;
        if (avail < rlen)
            break;
        pos = body + rlen;
    }
    /* More records than bytes of message: the rest cannot fit either. */
    return have >= max ? SCAN_BIG : SCAN_MORE;
}

/*
 * Writes the handshake message carried by the records of src (scan said
 * DONE) to dst + 5 behind a synthetic record header, and returns the length
 * of the result. dst may be src: the write position never passes the read
 * position.
 */
static uint32_t squeeze(const uint8_t *src, uint8_t *dst, uint32_t hs_total)
{
    uint32_t pos = 0, out = REC_HDR;
    while (out - REC_HDR < hs_total) {
        uint32_t rlen = rd16(src + pos + 3);
        uint32_t want = hs_total - (out - REC_HDR);
        uint32_t n = rlen < want ? rlen : want;
        memmove(dst + out, src + pos + REC_HDR, n);
        out += n;
        pos += REC_HDR + rlen;
    }
    uint32_t rec = hs_total > 0xffff ? 0xffff : hs_total;
    dst[0] = CT_HS, dst[1] = 3, dst[2] = 1;
    dst[3] = (uint8_t)(rec >> 8), dst[4] = (uint8_t)rec;
    return out;
}

/* ---- segments --------------------------------------------------------------- */

struct result {
    char *sni;
    bool *found;
    fh_anomaly *anomaly;
};

static void parse(const uint8_t *b, uint32_t len, const struct result *res)
{
    *res->anomaly = fh_tls_sni(b, len, res->sni, res->found);
}

/* The sequence number of the first payload byte: a SYN (TCP Fast Open
 * carries the hello in it) takes one number itself. */
static uint32_t data_seq(const fh_pkt *p)
{
    return p->tcp_seq + (p->tcp_flags & FH_TCP_SYN ? 1u : 0u);
}

/* A payload that starts with a handshake record and has no entry. */
static void first_segment(fh_tls_reasm *r, const struct key *k, const fh_pkt *p, uint64_t ts_us,
                          const struct result *res)
{
    const uint8_t *d = p->payload;
    uint32_t n = p->payload_len;
    uint32_t max = r ? r->cfg.max_bytes : FH_TLS_REASM_MAX_BYTES;
    struct scan_info info;
    enum scan_result sr = scan(d, n, max, &info);
    if (sr == SCAN_DONE && info.records == 1) {
        parse(d, n, res); /* the common case: whole in one record and one segment */
        return;
    }
    if (sr == SCAN_DONE && r) {
        parse(r->scratch, squeeze(d, r->scratch, info.hs_total), res);
        return;
    }
    if (sr == SCAN_BAD) {
        /* Not the start of a ClientHello: the parser judges it as before. */
        parse(d, n, res);
        return;
    }
    /* Incomplete (or, without a table, over several records): the part in
     * the first record may already hold the name. A first record shorter
     * than the handshake header is legal fragmentation, not for the parser. */
    if (n >= REC_HDR && rd16(d + 3) >= HS_HDR)
        parse(d, info.first_rec_end, res);
    if (r == NULL || sr == SCAN_DONE)
        return;
    if (*res->found || *res->anomaly) {
        if (*res->found)
            r->st.early_sni++;
        return;
    }
    if (sr == SCAN_BIG) {
        r->st.overflow++;
        return;
    }
    uint32_t i = take(r, k, ts_us);
    struct slot *s = &r->slots[i];
    s->isn = data_seq(p);
    s->have = n;
    memcpy(buf_of(r, i), d, n);
    r->st.started++;
}

/* A segment of a connection with an entry. Returns false when the entry
 * was dropped and the segment should be read as a new start. */
static bool next_segment(fh_tls_reasm *r, uint32_t i, const fh_pkt *p, uint64_t ts_us,
                         const struct result *res)
{
    struct slot *s = &r->slots[i];
    uint8_t *buf = buf_of(r, i);
    uint32_t max = r->cfg.max_bytes;
    const uint8_t *d = p->payload;
    uint32_t n = p->payload_len;
    int64_t rel = (int32_t)(data_seq(p) - s->isn);
    if (rel < -(int64_t)max || rel >= (int64_t)max) {
        /* Far from the hello: a new connection on the same ports, or junk. */
        r->st.gaps++;
        drop(r, i);
        return false;
    }
    if (rel < 0) { /* bytes from before the hello (a late retransmission) */
        if ((int64_t)n <= -rel) {
            r->st.retransmits++;
            return true;
        }
        d += -rel, n -= (uint32_t)-rel, rel = 0;
    }
    uint32_t off = (uint32_t)rel;
    if (n > max - off) {
        r->st.overflow++;
        drop(r, i);
        return true;
    }
    s->last_us = ts_us;
    lru_unlink(r, i);
    lru_push_newest(r, i);
    if (off + n <= s->have) {
        r->st.retransmits++;
        return true;
    }
    if (off <= s->have) {
        memcpy(buf + s->have, d + (s->have - off), off + n - s->have);
        s->have = off + n;
        if (s->ooo_hi > s->ooo_lo && s->ooo_lo <= s->have) {
            if (s->ooo_hi > s->have)
                s->have = s->ooo_hi;
            s->ooo_lo = s->ooo_hi = 0;
        }
    } else {
        /* Ahead of a hole: hold one range, joined with what touches it. */
        bool none = s->ooo_hi == s->ooo_lo;
        if (!none && (off > s->ooo_hi || off + n < s->ooo_lo)) {
            r->st.gaps++;
            drop(r, i);
            return true;
        }
        memcpy(buf + off, d, n);
        if (none || off < s->ooo_lo)
            s->ooo_lo = off;
        if (none || off + n > s->ooo_hi)
            s->ooo_hi = off + n;
        r->st.out_of_order++;
        return true;
    }
    struct scan_info info;
    switch (scan(buf, s->have, max, &info)) {
    case SCAN_MORE:
        return true;
    case SCAN_BIG:
        r->st.overflow++;
        break;
    case SCAN_BAD:
        r->st.malformed++;
        *res->anomaly = FH_ANOM_TLS_MALFORMED;
        break;
    case SCAN_DONE:
        r->st.completed++;
        parse(buf, squeeze(buf, buf, info.hs_total), res);
        break;
    }
    drop(r, i);
    return true;
}

bool fh_tls_reasm_segment(fh_tls_reasm *r, const fh_pkt *p, uint64_t ts_us,
                          char sni[FH_TLS_SNI_MAX + 1], bool *found, fh_anomaly *anomaly)
{
    *found = false;
    *anomaly = FH_ANOM_NONE;
    sni[0] = '\0';
    if (p->proto != 6 || p->payload_len == 0 || p->payload == NULL)
        return false;
    struct result res = {sni, found, anomaly};
    bool start = p->payload[0] == CT_HS;
    if (p->fragment) {
        /* No sequence to follow in IP fragments: read the start alone. */
        if (start && p->first_fragment)
            first_segment(NULL, NULL, p, ts_us, &res);
        return start && p->first_fragment;
    }
    struct key k;
    if (r) {
        memset(&k, 0, sizeof k);
        k.family = p->ip_version;
        k.sport = p->sport, k.dport = p->dport;
        memcpy(k.src, p->src, 16);
        memcpy(k.dst, p->dst, 16);
        fh_tls_reasm_expire(r, ts_us);
        if (r->st.active) {
            uint32_t i = lookup(r, &k);
            if (i != NIL && next_segment(r, i, p, ts_us, &res))
                return true;
        }
    }
    if (!start)
        return false;
    first_segment(r, r ? &k : NULL, p, ts_us, &res);
    return true;
}
