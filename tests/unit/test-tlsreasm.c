/*
 * Unit tests: TLS ClientHello reassembly across TCP segments and TLS records
 * (lib/net/net-tlsreasm.c). The hellos are built the way browsers send them
 * today: a hybrid post-quantum key share (X25519MLKEM768, 1216 bytes) ahead
 * of the server_name, so the name sits past the first 1400 bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/net.h"
#include "fenghuo/util.h"

#define SNI      "Login.Evil.Example"
#define SNI_LOW  "login.evil.example"
#define PQ_SHARE 1216 /* X25519MLKEM768 client key share */
#define SEC      1000000ULL

/* ---- building hellos ---------------------------------------------------------- */

struct w {
    uint8_t *p;
    size_t n;
};

static void u8(struct w *w, unsigned v)
{
    w->p[w->n++] = (uint8_t)v;
}

static void u16(struct w *w, unsigned v)
{
    u8(w, v >> 8);
    u8(w, v);
}

static void fill(struct w *w, size_t len, uint8_t v)
{
    memset(w->p + w->n, v, len);
    w->n += len;
}

static void ext_sni(struct w *w, const char *name)
{
    size_t n = strlen(name);
    u16(w, 0);
    u16(w, n + 5);
    u16(w, n + 3);
    u8(w, 0);
    u16(w, n);
    memcpy(w->p + w->n, name, n);
    w->n += n;
}

/* A ClientHello handshake message (type, 3-byte length, body) in out;
 * key_share bytes of key share; the name first or after the key share. */
static size_t build_hello(uint8_t *out, const char *name, size_t key_share, bool name_first)
{
    struct w w = {out, 0};
    u8(&w, 1);
    fill(&w, 3, 0); /* length, set below */
    u16(&w, 0x0303);
    fill(&w, 32, 0xa5); /* random */
    u8(&w, 32);
    fill(&w, 32, 0x5a); /* legacy_session_id */
    u16(&w, 32);
    for (unsigned i = 0; i < 16; i++)
        u16(&w, 0x1301 + i);
    u8(&w, 1);
    u8(&w, 0);
    size_t ext_len_at = w.n;
    u16(&w, 0);
    u16(&w, 0x0a0a); /* GREASE */
    u16(&w, 0);
    if (name && name_first)
        ext_sni(&w, name);
    u16(&w, 10); /* supported_groups */
    u16(&w, 8);
    u16(&w, 6);
    u16(&w, 0x11ec);
    u16(&w, 0x001d);
    u16(&w, 0x0017);
    u16(&w, 51); /* key_share */
    u16(&w, key_share + 4 + 2);
    u16(&w, key_share + 4);
    u16(&w, 0x11ec);
    u16(&w, key_share);
    fill(&w, key_share, 0x42);
    u16(&w, 43); /* supported_versions */
    u16(&w, 3);
    u8(&w, 2);
    u16(&w, 0x0304);
    if (name && !name_first)
        ext_sni(&w, name);
    u16(&w, 13); /* signature_algorithms */
    u16(&w, 18);
    u16(&w, 16);
    for (unsigned i = 0; i < 8; i++)
        u16(&w, 0x0401 + i);
    u16(&w, 0xfe0d); /* encrypted_client_hello, as GREASE */
    u16(&w, 250);
    fill(&w, 250, 0x77);
    u16(&w, 16); /* ALPN h2, http/1.1 */
    u16(&w, 14);
    u16(&w, 12);
    u8(&w, 2);
    memcpy(w.p + w.n, "h2", 2);
    w.n += 2;
    u8(&w, 8);
    memcpy(w.p + w.n, "http/1.1", 8);
    w.n += 8;
    size_t ext_len = w.n - ext_len_at - 2;
    out[ext_len_at] = (uint8_t)(ext_len >> 8), out[ext_len_at + 1] = (uint8_t)ext_len;
    size_t body = w.n - 4;
    out[1] = (uint8_t)(body >> 16), out[2] = (uint8_t)(body >> 8), out[3] = (uint8_t)body;
    return w.n;
}

/* Wraps a handshake message in records of at most rec bytes. */
static size_t records(const uint8_t *hs, size_t len, size_t rec, uint8_t *out)
{
    size_t n = 0;
    for (size_t off = 0; off < len; off += rec) {
        size_t k = len - off < rec ? len - off : rec;
        out[n++] = 22, out[n++] = 3, out[n++] = 1;
        out[n++] = (uint8_t)(k >> 8), out[n++] = (uint8_t)k;
        memcpy(out + n, hs + off, k);
        n += k;
    }
    return n;
}

/* ---- feeding segments ------------------------------------------------------------ */

struct flow {
    uint8_t version;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t isn;
};

static struct flow flow4(uint16_t sport)
{
    struct flow f = {.version = 4, .sport = sport, .dport = 443, .isn = 1000};
    memcpy(f.src, (uint8_t[]){198, 18, 0, 2}, 4);
    memcpy(f.dst, (uint8_t[]){198, 19, 0, 1}, 4);
    return f;
}

static struct flow flow6(uint16_t sport)
{
    struct flow f = {.version = 6, .sport = sport, .dport = 443, .isn = 0xfffffff0u};
    f.src[0] = 0x20, f.src[1] = 0x01, f.src[2] = 0x0d, f.src[3] = 0xb8, f.src[15] = 2;
    f.dst[0] = 0x20, f.dst[1] = 0x01, f.dst[2] = 0x0d, f.dst[3] = 0xb8, f.dst[15] = 1;
    return f;
}

struct out {
    bool handled, found;
    fh_anomaly anomaly;
    char sni[FH_TLS_SNI_MAX + 1];
};

/* Feeds stream bytes [off, off + len) of flow f as one segment. */
static struct out seg(fh_tls_reasm *r, const struct flow *f, const uint8_t *stream, size_t off,
                      size_t len, uint64_t ts)
{
    fh_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = f->version;
    p.proto = 6;
    memcpy(p.src, f->src, 16);
    memcpy(p.dst, f->dst, 16);
    p.sport = f->sport, p.dport = f->dport;
    p.tcp_seq = f->isn + (uint32_t)off;
    p.tcp_flags = FH_TCP_ACK | FH_TCP_PSH;
    p.payload = stream + off;
    p.payload_len = (uint32_t)len;
    struct out o;
    o.handled = fh_tls_reasm_segment(r, &p, ts, o.sni, &o.found, &o.anomaly);
    return o;
}

static fh_tls_reasm *table(uint32_t flows)
{
    fh_tls_reasm_config c;
    fh_tls_reasm_config_init(&c);
    c.max_flows = flows;
    fh_tls_reasm *r = NULL;
    const char *why = NULL;
    assert_int_equal(fh_tls_reasm_new(&c, &r, &why), FH_OK);
    assert_non_null(r);
    return r;
}

static fh_tls_reasm_stats stats(const fh_tls_reasm *r)
{
    fh_tls_reasm_stats st;
    fh_tls_reasm_get_stats(r, &st);
    return st;
}

static uint8_t hs_buf[70000], stream_buf[80000];

/* The usual browser hello in one record: returns its stream length. */
static size_t browser_hello(void)
{
    size_t hs = build_hello(hs_buf, SNI, PQ_SHARE, false);
    return records(hs_buf, hs, 16384, stream_buf);
}

static void assert_found(const struct out *o)
{
    assert_true(o->handled);
    assert_int_equal(o->anomaly, FH_ANOM_NONE);
    assert_true(o->found);
    assert_string_equal(o->sni, SNI_LOW);
}

/* ---- tests ------------------------------------------------------------------------- */

static void whole_hello_in_one_segment_is_read_without_an_entry(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    assert_true(len > 1500);
    struct flow f = flow4(40000);
    struct out o = seg(r, &f, stream_buf, 0, len, 1);
    assert_found(&o);
    assert_int_equal(stats(r).started, 0);
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void split_at_every_byte_gives_the_name_once(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40001);
    for (size_t cut = 1; cut < len; cut++) {
        f.isn += 100000; /* a new connection each time */
        struct out a = seg(r, &f, stream_buf, 0, cut, cut);
        assert_true(a.handled);
        assert_int_equal(a.anomaly, FH_ANOM_NONE);
        if (a.found) {
            /* The name was whole in the first part: nothing is held. */
            assert_string_equal(a.sni, SNI_LOW);
            assert_int_equal(stats(r).active, 0);
            continue;
        }
        struct out b = seg(r, &f, stream_buf, cut, len - cut, cut);
        assert_found(&b);
        assert_int_equal(stats(r).active, 0);
    }
    fh_tls_reasm_stats st = stats(r);
    assert_int_equal(st.started + st.early_sni, len - 1);
    assert_int_equal(st.completed, st.started);
    assert_true(st.started > 1000); /* the name is near the end */
    assert_int_equal(st.gaps + st.overflow + st.malformed + st.evictions, 0);
    fh_tls_reasm_free(r);
}

static void split_into_many_segments_of_any_size(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 7, 100, 536, 1000};
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40002);
    for (size_t s = 0; s < FH_ARRAY_LEN(sizes); s++) {
        f.isn += 100000;
        size_t found = 0;
        for (size_t off = 0; off < len; off += sizes[s]) {
            size_t k = len - off < sizes[s] ? len - off : sizes[s];
            struct out o = seg(r, &f, stream_buf, off, k, 1);
            assert_true(o.handled);
            if (o.found) {
                assert_string_equal(o.sni, SNI_LOW);
                assert_int_equal(off + k, len); /* only the last one completes it */
                found++;
            }
        }
        assert_int_equal(found, 1);
    }
    assert_int_equal(stats(r).completed, FH_ARRAY_LEN(sizes));
    fh_tls_reasm_free(r);
}

static void hello_over_several_records_is_joined(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t hs = build_hello(hs_buf, SNI, PQ_SHARE, false);
    static const size_t recs[] = {1, 3, 4, 5, 100, 700};
    for (size_t i = 0; i < FH_ARRAY_LEN(recs); i++) {
        size_t len = records(hs_buf, hs, recs[i], stream_buf);
        struct flow f = flow4((uint16_t)(41000 + i));
        assert_true(len <= FH_TLS_REASM_DEFAULT_BYTES);
        /* All records in one segment. */
        struct out o = seg(r, &f, stream_buf, 0, len, 1);
        assert_found(&o);
        /* And in segments of 300 bytes that cut records anywhere. */
        f.isn += 50000;
        size_t found = 0;
        for (size_t off = 0; off < len; off += 300) {
            o = seg(r, &f, stream_buf, off, len - off < 300 ? len - off : 300, 1);
            assert_true(o.handled);
            found += o.found;
            if (o.found)
                assert_string_equal(o.sni, SNI_LOW);
        }
        assert_int_equal(found, 1);
    }
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void without_a_table_only_whole_first_records_are_read(void **state)
{
    (void)state;
    size_t len = browser_hello();
    struct flow f = flow4(40003);
    struct out o = seg(NULL, &f, stream_buf, 0, len, 1);
    assert_found(&o);
    o = seg(NULL, &f, stream_buf, 0, 1000, 1);
    assert_true(o.handled);
    assert_false(o.found);
    o = seg(NULL, &f, stream_buf, 1000, len - 1000, 1);
    assert_false(o.handled); /* a continuation is not recognised without a table */
    fh_tls_reasm_stats st;
    fh_tls_reasm_get_stats(NULL, &st);
    assert_int_equal(st.started, 0);
}

static void retransmissions_are_tolerated(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40004);
    assert_false(seg(r, &f, stream_buf, 0, 1000, 1).found);
    assert_false(seg(r, &f, stream_buf, 0, 1000, 2).found);     /* whole first again */
    assert_false(seg(r, &f, stream_buf, 500, 300, 3).found);    /* inside what is held */
    assert_false(seg(r, &f, stream_buf, 800, 700, 4).found);    /* overlaps and extends */
    struct out o = seg(r, &f, stream_buf, 1000, len - 1000, 5); /* overlaps the end */
    assert_found(&o);
    fh_tls_reasm_stats st = stats(r);
    assert_int_equal(st.retransmits, 2);
    assert_int_equal(st.completed, 1);
    assert_int_equal(st.gaps, 0);
    fh_tls_reasm_free(r);
}

static void one_segment_ahead_of_a_hole_is_held(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40005);
    assert_false(seg(r, &f, stream_buf, 0, 600, 1).found);
    assert_false(seg(r, &f, stream_buf, 1200, len - 1200, 2).found);
    assert_false(seg(r, &f, stream_buf, 1100, 200, 3).found); /* joins the held range */
    struct out o = seg(r, &f, stream_buf, 600, 500, 4);       /* fills the hole */
    assert_found(&o);
    assert_int_equal(stats(r).out_of_order, 2);
    assert_int_equal(stats(r).gaps, 0);
    fh_tls_reasm_free(r);
}

static void a_second_hole_drops_the_entry(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40006);
    assert_false(seg(r, &f, stream_buf, 0, 500, 1).found);
    assert_false(seg(r, &f, stream_buf, 1000, 200, 2).found);
    assert_false(seg(r, &f, stream_buf, 1500, 200, 3).found);
    assert_int_equal(stats(r).gaps, 1);
    assert_int_equal(stats(r).active, 0);
    /* What follows is no longer followed. */
    struct out o = seg(r, &f, stream_buf, 500, len - 500, 4);
    assert_false(o.handled);
    assert_false(o.found);
    fh_tls_reasm_free(r);
}

static void interleaved_flows_keep_their_own_bytes(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    static uint8_t s2[8000];
    size_t len1 = browser_hello();
    size_t hs2 = build_hello(hs_buf, "other.example", PQ_SHARE, false);
    size_t len2 = records(hs_buf, hs2, 16384, s2);
    struct flow a = flow4(40007), b = flow6(40007), c = flow4(40008);
    c.isn = a.isn; /* same sequence numbers, other port */
    assert_false(seg(r, &a, stream_buf, 0, 700, 1).found);
    assert_false(seg(r, &b, s2, 0, 700, 1).found);
    assert_false(seg(r, &c, s2, 0, 700, 1).found);
    assert_false(seg(r, &a, stream_buf, 700, 700, 2).found);
    assert_false(seg(r, &b, s2, 700, 700, 2).found);
    assert_int_equal(stats(r).active, 3);
    struct out o = seg(r, &b, s2, 1400, len2 - 1400, 3);
    assert_true(o.found);
    assert_string_equal(o.sni, "other.example");
    o = seg(r, &a, stream_buf, 1400, len1 - 1400, 3);
    assert_found(&o);
    assert_false(seg(r, &c, s2, 700, 700, 3).found);
    o = seg(r, &c, s2, 1400, len2 - 1400, 3);
    assert_string_equal(o.sni, "other.example");
    assert_int_equal(stats(r).completed, 3);
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void a_full_table_evicts_the_entry_idle_longest(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(2);
    size_t len = browser_hello();
    struct flow f1 = flow4(1), f2 = flow4(2), f3 = flow4(3);
    seg(r, &f1, stream_buf, 0, 1000, 1 * SEC);
    seg(r, &f2, stream_buf, 0, 1000, 2 * SEC);
    seg(r, &f1, stream_buf, 1000, 100, 3 * SEC); /* f1 is now the fresher */
    seg(r, &f3, stream_buf, 0, 1000, 4 * SEC);   /* evicts f2 */
    assert_int_equal(stats(r).evictions, 1);
    assert_int_equal(stats(r).active, 2);
    assert_false(seg(r, &f2, stream_buf, 1000, len - 1000, 5 * SEC).found);
    struct out o = seg(r, &f1, stream_buf, 1100, len - 1100, 5 * SEC);
    assert_found(&o);
    o = seg(r, &f3, stream_buf, 1000, len - 1000, 5 * SEC);
    assert_found(&o);
    fh_tls_reasm_free(r);
}

static void an_oversized_hello_is_not_held(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t hs = build_hello(hs_buf, SNI, 20000, false);
    size_t len = records(hs_buf, hs, 16384, stream_buf);
    struct flow f = flow4(40009);
    struct out o = seg(r, &f, stream_buf, 0, 1400, 1);
    assert_true(o.handled);
    assert_false(o.found);
    assert_int_equal(stats(r).overflow, 1);
    assert_int_equal(stats(r).active, 0);
    assert_false(seg(r, &f, stream_buf, 1400, len - 1400, 1).found);
    /* A hello that declares less but whose stream outgrows the slot. */
    f.isn += 100000;
    size_t hs2 = build_hello(hs_buf, SNI, 16000, false);
    len = records(hs_buf, hs2, 200, stream_buf); /* 5 bytes more per 200 */
    assert_true(len > FH_TLS_REASM_DEFAULT_BYTES);
    for (size_t off = 0; off < len; off += 1400)
        assert_false(seg(r, &f, stream_buf, off, len - off < 1400 ? len - off : 1400, 1).found);
    assert_int_equal(stats(r).overflow, 2);
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void an_idle_entry_times_out_in_packet_time(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40010), g = flow4(40011);
    seg(r, &f, stream_buf, 0, 1000, 10 * SEC);
    seg(r, &g, stream_buf, 0, 1000, 14 * SEC);
    /* 4.9 s later for f: still there. */
    fh_tls_reasm_expire(r, 14 * SEC + 900000);
    assert_int_equal(stats(r).active, 2);
    fh_tls_reasm_expire(r, 15 * SEC + 1);
    assert_int_equal(stats(r).timeouts, 1);
    assert_false(seg(r, &f, stream_buf, 1000, len - 1000, 15 * SEC + 2).handled);
    struct out o = seg(r, &g, stream_buf, 1000, len - 1000, 15 * SEC + 3);
    assert_found(&o);
    fh_tls_reasm_free(r);
}

static void ipv6_and_a_wrapping_sequence_number(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow6(40012); /* isn 0xfffffff0: wraps inside the hello */
    assert_false(seg(r, &f, stream_buf, 0, 1220, 1).found);
    struct out o = seg(r, &f, stream_buf, 1220, len - 1220, 2);
    assert_found(&o);
    fh_tls_reasm_free(r);
}

static void a_continuation_that_breaks_the_framing_is_malformed(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t hs = build_hello(hs_buf, SNI, PQ_SHARE, false);
    size_t len = records(hs_buf, hs, 1000, stream_buf);
    stream_buf[1005] = 23; /* the second record claims to be application data */
    struct flow f = flow4(40013);
    assert_false(seg(r, &f, stream_buf, 0, 1000, 1).found);
    struct out o = seg(r, &f, stream_buf, 1000, len - 1000, 2);
    assert_true(o.handled);
    assert_false(o.found);
    assert_int_equal(o.anomaly, FH_ANOM_TLS_MALFORMED);
    assert_int_equal(stats(r).malformed, 1);
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void a_new_hello_on_the_same_ports_replaces_the_old(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40014);
    seg(r, &f, stream_buf, 0, 1000, 1);
    f.isn += 3000000; /* far from the first: a new connection */
    assert_false(seg(r, &f, stream_buf, 0, 1000, 2).found);
    struct out o = seg(r, &f, stream_buf, 1000, len - 1000, 3);
    assert_found(&o);
    assert_int_equal(stats(r).gaps, 1);
    fh_tls_reasm_free(r);
}

static void a_hello_begun_in_a_fast_open_syn_continues_after_it(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    size_t len = browser_hello();
    struct flow f = flow4(40016);
    fh_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = 4, p.proto = 6, p.tcp_flags = FH_TCP_SYN;
    memcpy(p.src, f.src, 16);
    memcpy(p.dst, f.dst, 16);
    p.sport = f.sport, p.dport = f.dport;
    p.tcp_seq = f.isn - 1; /* the SYN's own number; its data starts one later */
    p.payload = stream_buf, p.payload_len = 1000;
    char sni[FH_TLS_SNI_MAX + 1];
    bool found = true;
    fh_anomaly a;
    assert_true(fh_tls_reasm_segment(r, &p, 1, sni, &found, &a));
    assert_false(found);
    struct out o = seg(r, &f, stream_buf, 1000, len - 1000, 2);
    assert_found(&o);
    assert_int_equal(stats(r).gaps, 0);
    fh_tls_reasm_free(r);
}

static void non_tls_traffic_is_left_to_others(void **state)
{
    (void)state;
    fh_tls_reasm *r = table(16);
    static const uint8_t get[] = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
    static const uint8_t server_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
    struct flow f = flow4(40015);
    assert_false(seg(r, &f, get, 0, sizeof get - 1, 1).handled);
    struct out o = seg(r, &f, server_hello, 0, sizeof server_hello, 1);
    assert_true(o.handled);
    assert_false(o.found);
    assert_int_equal(stats(r).active, 0);
    fh_tls_reasm_free(r);
}

static void bad_settings_are_refused_with_a_message(void **state)
{
    (void)state;
    fh_tls_reasm_config c;
    fh_tls_reasm_config_init(&c);
    fh_tls_reasm *r = NULL;
    const char *why = NULL;
    c.max_bytes = 100;
    assert_int_equal(fh_tls_reasm_new(&c, &r, &why), FH_ERR_INVALID);
    assert_non_null(why);
    assert_null(r);
    fh_tls_reasm_config_init(&c);
    c.max_flows = FH_TLS_REASM_MAX_FLOWS + 1;
    assert_int_equal(fh_tls_reasm_new(&c, &r, &why), FH_ERR_INVALID);
    fh_tls_reasm_config_init(&c);
    c.max_flows = 0; /* disabled */
    assert_int_equal(fh_tls_reasm_new(&c, &r, &why), FH_OK);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_hello_in_one_segment_is_read_without_an_entry),
        cmocka_unit_test(split_at_every_byte_gives_the_name_once),
        cmocka_unit_test(split_into_many_segments_of_any_size),
        cmocka_unit_test(hello_over_several_records_is_joined),
        cmocka_unit_test(without_a_table_only_whole_first_records_are_read),
        cmocka_unit_test(retransmissions_are_tolerated),
        cmocka_unit_test(one_segment_ahead_of_a_hole_is_held),
        cmocka_unit_test(a_second_hole_drops_the_entry),
        cmocka_unit_test(interleaved_flows_keep_their_own_bytes),
        cmocka_unit_test(a_full_table_evicts_the_entry_idle_longest),
        cmocka_unit_test(an_oversized_hello_is_not_held),
        cmocka_unit_test(an_idle_entry_times_out_in_packet_time),
        cmocka_unit_test(ipv6_and_a_wrapping_sequence_number),
        cmocka_unit_test(a_continuation_that_breaks_the_framing_is_malformed),
        cmocka_unit_test(a_new_hello_on_the_same_ports_replaces_the_old),
        cmocka_unit_test(a_hello_begun_in_a_fast_open_syn_continues_after_it),
        cmocka_unit_test(non_tls_traffic_is_left_to_others),
        cmocka_unit_test(bad_settings_are_refused_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
