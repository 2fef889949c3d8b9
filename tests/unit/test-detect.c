/*
 * Unit tests: the detectors (lib/detect) on synthetic packets in packet time:
 * floods of each kind with their lifecycle, baselines, scans by threshold
 * random walk, brute force, full tables, and quiet benign traffic; and that
 * fh_detect_prefetch changes nothing; thresholds exact to the packet.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/detect.h"

#define US 1000000ULL
#define T0 (1795000000ULL * US) /* 2026-11-18, any fixed instant */

struct events {
    json_t *list;
};

static void collect(void *ctx, json_t *ev)
{
    struct events *e = ctx;
    json_array_append(e->list, ev);
}

static size_t count_type(const struct events *e, const char *type)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(e->list, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), type) == 0)
            n++;
    }
    return n;
}

static json_t *first_of(const struct events *e, const char *type)
{
    size_t i;
    json_t *ev;
    json_array_foreach(e->list, i, ev)
    {
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), type) == 0)
            return ev;
    }
    return NULL;
}

static fh_detect *make(fh_detect_config *c, struct events *e)
{
    e->list = json_array();
    fh_detect *d = NULL;
    assert_int_equal(fh_detect_new(c, collect, e, &d, NULL), FH_OK);
    return d;
}

static void done(fh_detect *d, struct events *e)
{
    fh_detect_free(d);
    json_decref(e->list);
}

static fh_pkt pkt4(const char *src, const char *dst, uint8_t proto, uint16_t sport, uint16_t dport,
                   uint8_t flags, uint32_t len)
{
    fh_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = 4;
    p.proto = proto;
    inet_pton(AF_INET, src, p.src);
    inet_pton(AF_INET, dst, p.dst);
    p.sport = sport;
    p.dport = dport;
    p.tcp_flags = flags;
    p.wire_len = p.cap_len = len;
    return p;
}

/* Sends n packets spread evenly over `secs` seconds from t, with varying
 * source addresses (198.18.x.y) and ports. */
static uint64_t flood(fh_detect *d, uint64_t t, double secs, unsigned n, const char *victim,
                      uint8_t proto, uint16_t sport, uint8_t flags, uint32_t len)
{
    for (unsigned i = 0; i < n; i++) {
        char src[32];
        snprintf(src, sizeof src, "198.18.%u.%u", (i / 250) % 250, i % 250 + 1);
        fh_pkt p =
            pkt4(src, victim, proto, sport ? sport : (uint16_t)(1024 + i % 60000), 80, flags, len);
        fh_detect_packet(d, &p, t + (uint64_t)(secs * US * i / n), true, false, 1);
    }
    return t + (uint64_t)(secs * US);
}

static void syn_flood_starts_within_a_second_and_ends_after_quiet(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    uint64_t t = flood(d, T0, 2.0, 60000, "198.19.0.10", 6, 0, 0x02, 60);
    json_t *start = first_of(&e, "attack_start");
    assert_non_null(start);
    assert_string_equal(json_string_value(json_object_get(start, "attack_type")), "syn_flood");
    assert_string_equal(json_string_value(json_object_get(start, "victim")), "198.19.0.10");
    /* onset at T0; 30,000 pps crosses 10,000 pps a third of a second in */
    const char *ts = json_string_value(json_object_get(start, "time"));
    assert_non_null(strstr(ts, "T"));
    json_t *fp = json_object_get(start, "fingerprint");
    assert_true(json_array_size(json_object_get(fp, "top_sources")) > 0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(fp, "tcp_flags"), "syn")) > 0, 1);
    assert_int_equal(count_type(&e, "attack_end"), 0);
    for (int s = 1; s <= 12; s++)
        fh_detect_tick(d, t + s * US);
    assert_int_equal(count_type(&e, "attack_end"), 1);
    assert_true(count_type(&e, "attack_update") >= 1);
    json_t *end = first_of(&e, "attack_end");
    assert_string_equal(json_string_value(json_object_get(end, "attack_id")),
                        json_string_value(json_object_get(start, "attack_id")));
    assert_true(json_integer_value(json_object_get(end, "packets")) > 40000);
    done(d, &e);
}

/* Sends n SYNs of len bytes to victim at t, t + step us, ...; returns the
 * count of attack_start events after each of them in starts[] (if not NULL). */
static void syns_at(fh_detect *d, struct events *e, uint64_t t, uint64_t step, unsigned n,
                    const char *victim, uint32_t len, size_t *starts)
{
    for (unsigned i = 0; i < n; i++) {
        fh_pkt p = pkt4("203.0.113.5", victim, 6, (uint16_t)(2000 + i), 80, 0x02, len);
        fh_detect_packet(d, &p, t + i * step, true, false, 1);
        if (starts)
            starts[i] = count_type(e, "attack_start");
    }
}

/* The per-packet shortcut (a packet far below every threshold skips the rate
 * estimate) must not move the thresholds: a suspect opens at exactly half
 * the threshold (its fingerprint then counts 51 of 100 packets) and the
 * attack starts at exactly the threshold, by packets, by bytes, and with
 * the unexpired share of the previous window. */
static void thresholds_are_exact_at_the_packet(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    c.floor_pps[FH_CAT_SYN] = 100;
    struct events e;
    fh_detect *d = make(&c, &e);
    size_t starts[100];
    /* By packets: over at the 100th SYN of a fresh host. */
    syns_at(d, &e, T0, 1, 100, "198.19.0.1", 60, starts);
    assert_int_equal(starts[98], 0);
    assert_int_equal(starts[99], 1);
    json_t *st = first_of(&e, "attack_start");
    assert_int_equal(json_integer_value(json_object_get(st, "packets")), 51);
    done(d, &e);

    /* With a previous window: 40 SYNs in second 0, then all at second 1.5,
     * where the estimate is cur + 40 * 0.5; half the threshold at cur = 30, the
     * threshold at cur = 80. */
    d = make(&c, &e);
    syns_at(d, &e, T0, 1, 40, "198.19.0.2", 60, NULL);
    syns_at(d, &e, T0 + US + US / 2, 0, 80, "198.19.0.2", 60, starts);
    assert_int_equal(count_type(&e, "attack_start"), 1);
    assert_int_equal(starts[78], 0);
    assert_int_equal(starts[79], 1);
    st = first_of(&e, "attack_start");
    assert_int_equal(json_integer_value(json_object_get(st, "packets")), 51);
    done(d, &e);

    /* By bytes: 80,000 bit/s is 10,000 bytes, the 100th SYN of 100 bytes. */
    c.floor_pps[FH_CAT_SYN] = 1000000;
    c.floor_bps[FH_CAT_SYN] = 80000;
    d = make(&c, &e);
    syns_at(d, &e, T0, 1, 100, "198.19.0.3", 100, starts);
    assert_int_equal(starts[98], 0);
    assert_int_equal(starts[99], 1);
    st = first_of(&e, "attack_start");
    assert_int_equal(json_integer_value(json_object_get(st, "packets")), 51);
    done(d, &e);
}

static void amplification_is_named_by_source_port(void **state)
{
    static const struct {
        uint16_t port;
        const char *type;
    } cases[] = {{53, "dns_amplification"},          {123, "ntp_amplification"},
                 {11211, "memcached_amplification"}, {1900, "ssdp_amplification"},
                 {389, "cldap_amplification"},       {161, "snmp_amplification"},
                 {19, "chargen_amplification"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fh_detect_config c;
        fh_detect_config_init(&c);
        struct events e;
        fh_detect *d = make(&c, &e);
        /* 20,000 packets of 1,400 bytes in one second: 224 Mbit/s */
        flood(d, T0, 1.0, 20000, "198.19.0.20", 17, cases[k].port, 0, 1400);
        json_t *start = first_of(&e, "attack_start");
        assert_non_null(start);
        assert_string_equal(json_string_value(json_object_get(start, "attack_type")),
                            cases[k].type);
        assert_int_equal(json_integer_value(json_object_get(start, "amplification_port")),
                         cases[k].port);
        done(d, &e);
    }
}

static void other_flood_kinds_are_classified(void **state)
{
    static const struct {
        uint8_t proto, flags;
        uint16_t sport;
        const char *type;
    } cases[] = {{6, 0x10, 0, "ack_flood"},
                 {17, 0, 0, "udp_flood"},
                 {1, 0, 0, "icmp_flood"},
                 {6, 0x18, 0, "tcp_flood"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fh_detect_config c;
        fh_detect_config_init(&c);
        struct events e;
        fh_detect *d = make(&c, &e);
        flood(d, T0, 1.0, 30000, "198.19.0.30", cases[k].proto, cases[k].sport, cases[k].flags,
              100);
        json_t *start = first_of(&e, "attack_start");
        assert_non_null(start);
        assert_string_equal(json_string_value(json_object_get(start, "attack_type")),
                            cases[k].type);
        done(d, &e);
    }
}

static void fragment_flood_has_its_own_lower_floor(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    for (unsigned i = 0; i < 3000; i++) {
        fh_pkt p = pkt4("198.18.0.1", "198.19.0.40", 17, 0, 0, 0, 1500);
        p.fragment = true;
        p.frag_offset = 1480;
        fh_detect_packet(d, &p, T0 + i * (US / 3000), true, false, 1);
    }
    json_t *start = first_of(&e, "attack_start");
    assert_non_null(start);
    assert_string_equal(json_string_value(json_object_get(start, "attack_type")), "fragment_flood");
    done(d, &e);
}

static void baseline_raises_the_threshold_of_a_busy_host(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    for (int i = 0; i < FH_CAT__COUNT; i++)
        c.floor_pps[i] = 2000;
    struct events e;
    fh_detect *d = make(&c, &e);
    uint64_t t = T0;
    for (int s = 0; s < 120; s++) /* 1,000 pps of UDP for two minutes */
        t = flood(d, t, 1.0, 1000, "198.19.0.50", 17, 5000, 0, 200);
    assert_int_equal(count_type(&e, "attack_start"), 0);
    for (int s = 0; s < 5; s++) /* 3,000 pps: over the floor, under 5 x baseline */
        t = flood(d, t, 1.0, 3000, "198.19.0.50", 17, 5000, 0, 200);
    assert_int_equal(count_type(&e, "attack_start"), 0);
    /* The baseline has moved up towards 3,000 (about 1,800 now): 15,000 pps
     * is well over five times it. */
    t = flood(d, t, 1.0, 15000, "198.19.0.50", 17, 5000, 0, 200);
    assert_int_equal(count_type(&e, "attack_start"), 1);
    done(d, &e);
}

static void benign_traffic_gives_no_event(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    uint64_t t = T0;
    for (int s = 0; s < 60; s++) {
        for (int i = 0; i < 200; i++) {
            char src[32];
            snprintf(src, sizeof src, "203.0.113.%d", i % 50 + 1);
            uint64_t ts = t + (uint64_t)i * (US / 200);
            /* a client's connection: SYN, the server's SYN-ACK, then data */
            fh_pkt syn = pkt4(src, "198.19.1.1", 6, (uint16_t)(30000 + s * 200 + i), 443, 0x02, 60);
            fh_pkt sa = pkt4("198.19.1.1", src, 6, 443, (uint16_t)(30000 + s * 200 + i), 0x12, 60);
            fh_pkt data =
                pkt4(src, "198.19.1.1", 6, (uint16_t)(30000 + s * 200 + i), 443, 0x18, 600);
            fh_detect_packet(d, &syn, ts, true, false, 1);
            fh_detect_packet(d, &sa, ts + 1000, false, true, 1);
            fh_detect_packet(d, &data, ts + 2000, true, false, 1);
        }
        t += US;
    }
    fh_detect_flush(d, t);
    assert_int_equal(json_array_size(e.list), 0);
    fh_detect_stats st;
    fh_detect_get_stats(d, &st);
    assert_int_equal(st.packets, 60 * 200 * 3);
    done(d, &e);
}

static void vertical_scan_answered_by_rst_is_flagged_within_five_probes(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    uint64_t t = T0;
    int probes = 0;
    for (uint16_t port = 1; port <= 20 && count_type(&e, "scan") == 0; port++) {
        fh_pkt syn = pkt4("192.0.2.66", "198.19.2.2", 6, 40000, port, 0x02, 60);
        fh_pkt rst = pkt4("198.19.2.2", "192.0.2.66", 6, port, 40000, 0x14, 60);
        fh_detect_packet(d, &syn, t, true, false, 1);
        fh_detect_packet(d, &rst, t + 500, false, true, 1);
        probes++;
        t += 10000;
    }
    assert_int_equal(count_type(&e, "scan"), 1);
    assert_true(probes <= 5);
    json_t *scan = first_of(&e, "scan");
    assert_string_equal(json_string_value(json_object_get(scan, "scanner")), "192.0.2.66");
    assert_string_equal(json_string_value(json_object_get(scan, "kind")), "vertical");
    assert_int_equal(json_array_size(json_object_get(scan, "ports")), probes);
    done(d, &e);
}

static void horizontal_scan_with_no_answers_is_flagged_after_timeouts(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    uint64_t t = T0;
    for (int h = 1; h <= 10; h++) {
        char dst[32];
        snprintf(dst, sizeof dst, "198.19.3.%d", h);
        fh_pkt syn = pkt4("192.0.2.77", dst, 6, 40000, 23, 0x02, 60);
        fh_detect_packet(d, &syn, t, true, false, 1);
        t += 1000;
    }
    assert_int_equal(count_type(&e, "scan"), 0);
    fh_detect_tick(d, t + 4 * US);
    assert_int_equal(count_type(&e, "scan"), 1);
    json_t *scan = first_of(&e, "scan");
    assert_string_equal(json_string_value(json_object_get(scan, "kind")), "horizontal");
    done(d, &e);
}

static void icmp_unreachable_counts_as_a_failed_probe(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    for (int h = 1; h <= 4; h++) {
        char dst[32];
        snprintf(dst, sizeof dst, "198.19.4.%d", h);
        fh_pkt syn = pkt4("192.0.2.88", dst, 6, 40001, 8080, 0x02, 60);
        fh_detect_packet(d, &syn, T0 + h * 1000, true, false, 1);
        /* ICMP port unreachable quoting the probe: IPv4 header + 8 bytes */
        uint8_t quote[4 + 28] = {0};
        uint8_t *ip = quote + 4;
        ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
        memcpy(ip + 12, syn.src, 4);
        memcpy(ip + 16, syn.dst, 4);
        ip[20] = 40001 >> 8, ip[21] = 40001 & 0xff, ip[22] = 8080 >> 8, ip[23] = 8080 & 0xff;
        fh_pkt un = pkt4(dst, "192.0.2.88", 1, 0, 0, 0, 70);
        un.icmp_type = 3;
        un.payload = quote; /* the decoder's payload starts after the 4-byte ICMP header */
        un.payload_len = sizeof quote;
        fh_detect_packet(d, &un, T0 + h * 1000 + 300, false, true, 1);
    }
    assert_int_equal(count_type(&e, "scan"), 1);
    done(d, &e);
}

static void answered_connections_are_not_a_scan(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    for (int i = 0; i < 50; i++) {
        char dst[32];
        snprintf(dst, sizeof dst, "198.19.5.%d", i % 5 + 1);
        fh_pkt syn = pkt4("203.0.113.9", dst, 6, (uint16_t)(50000 + i), 443, 0x02, 60);
        fh_pkt sa = pkt4(dst, "203.0.113.9", 6, 443, (uint16_t)(50000 + i), 0x12, 60);
        fh_detect_packet(d, &syn, T0 + i * 1000, true, false, 1);
        fh_detect_packet(d, &sa, T0 + i * 1000 + 200, false, true, 1);
    }
    fh_detect_flush(d, T0 + 10 * US);
    assert_int_equal(count_type(&e, "scan"), 0);
    done(d, &e);
}

static void ssh_brute_force_is_reported_once_per_window(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    struct events e;
    fh_detect *d = make(&c, &e);
    for (int i = 0; i < 45; i++) {
        fh_pkt syn = pkt4("192.0.2.99", "198.19.6.1", 6, (uint16_t)(40000 + i), 22, 0x02, 60);
        fh_pkt sa = pkt4("198.19.6.1", "192.0.2.99", 6, 22, (uint16_t)(40000 + i), 0x12, 60);
        fh_detect_packet(d, &syn, T0 + (uint64_t)i * US, true, false, 1);
        fh_detect_packet(d, &sa, T0 + (uint64_t)i * US + 100, false, true, 1);
    }
    assert_int_equal(count_type(&e, "bruteforce"), 1);
    json_t *bf = first_of(&e, "bruteforce");
    assert_string_equal(json_string_value(json_object_get(bf, "service")), "ssh");
    assert_string_equal(json_string_value(json_object_get(bf, "attacker")), "192.0.2.99");
    assert_int_equal(json_integer_value(json_object_get(bf, "attempts")), 20);
    assert_int_equal(count_type(&e, "scan"), 0);
    done(d, &e);
}

static void full_host_table_is_counted_not_silent(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    c.max_hosts = 2;
    struct events e;
    fh_detect *d = make(&c, &e);
    const char *victims[] = {"198.19.7.1", "198.19.7.2", "198.19.7.3"};
    for (int v = 0; v < 3; v++) {
        fh_pkt p = pkt4("192.0.2.1", victims[v], 17, 1, 2, 0, 100);
        fh_detect_packet(d, &p, T0, true, false, 1);
    }
    fh_detect_stats st;
    fh_detect_get_stats(d, &st);
    assert_int_equal(st.hosts_tracked, 2);
    assert_int_equal(st.hosts_table_full, 1);
    done(d, &e);
}

/* Feeds a mix (a SYN flood, ssh knocks, probes of closed ports, IPv6, UDP)
 * to d, calling fh_detect_prefetch for each packet first when asked. */
static void mixed_traffic(fh_detect *d, bool prefetch)
{
    for (unsigned i = 0; i < 30000; i++) {
        char src[32], dst[32];
        snprintf(src, sizeof src, "203.0.%u.%u", (i / 7) % 3, i % 200 + 1);
        snprintf(dst, sizeof dst, "198.19.%u.%u", i % 5, (i * 7) % 250);
        unsigned kind = i % 6;
        fh_pkt p = kind == 0 ? pkt4(src, "198.19.0.1", 6, (uint16_t)(1024 + i), 80, 0x02, 60)
                   : kind == 1
                       ? pkt4("192.0.2.9", "198.19.0.2", 6, (uint16_t)(2000 + i), 22, 0x02, 60)
                   : kind == 2 ? pkt4("192.0.2.8", dst, 6, 4444, (uint16_t)(1 + i % 90), 0x02, 60)
                   : kind == 3 ? pkt4(src, dst, 17, 53, 5353, 0, 512)
                               : pkt4(src, dst, 6, 443, 5000, 0x10, 1500);
        if (kind == 5) {
            p.ip_version = 6;
            p.dst[15] = (uint8_t)i;
        }
        bool protected_dst = p.dst[0] == 198;
        if (prefetch)
            fh_detect_prefetch(d, &p, protected_dst);
        fh_detect_packet(d, &p, T0 + (uint64_t)i * 500, protected_dst, false, 50 + i % 3);
    }
    fh_detect_flush(d, T0 + 30000ULL * 500 + 10 * US);
}

static void prefetch_changes_nothing(fh_detect_config *c, bool all_kinds)
{
    struct events plain, fetched;
    fh_detect *a = make(c, &plain), *b = make(c, &fetched);
    mixed_traffic(a, false);
    mixed_traffic(b, true);
    size_t i;
    json_t *ev;
    json_array_foreach(plain.list, i, ev)
    {
        json_object_del(ev, "attack_id"); /* random */
    }
    json_array_foreach(fetched.list, i, ev)
    {
        json_object_del(ev, "attack_id");
    }
    assert_true(json_array_size(plain.list) > 0);
    if (all_kinds) {
        assert_true(count_type(&plain, "attack_start") > 0);
        assert_true(count_type(&plain, "bruteforce") > 0);
        assert_true(count_type(&plain, "scan") > 0);
    }
    assert_true(json_equal(plain.list, fetched.list));
    fh_detect_stats sa, sb;
    fh_detect_get_stats(a, &sa);
    fh_detect_get_stats(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof sa);
    done(a, &plain);
    done(b, &fetched);
}

static void prefetch_is_only_a_hint_with_large_and_full_tables(void **state)
{
    /* Default sizes: the large tables are mapped for huge pages. */
    fh_detect_config c;
    fh_detect_config_init(&c);
    prefetch_changes_nothing(&c, true);
    /* Tiny tables, full after a few packets: prefetching keys that are not
     * there and cannot be added. */
    c.max_hosts = 3;
    c.max_sources = 1;
    c.max_pending = 2;
    c.max_bf = 1;
    prefetch_changes_nothing(&c, false);
}

static void inconsistent_config_is_refused_with_a_reason(void **state)
{
    fh_detect_config c;
    fh_detect_config_init(&c);
    c.trw_theta1 = 0.9;
    fh_detect *d = NULL;
    const char *msg = NULL;
    assert_int_equal(fh_detect_new(&c, collect, NULL, &d, &msg), FH_ERR_INVALID);
    assert_null(d);
    assert_non_null(strstr(msg, "trw_theta1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syn_flood_starts_within_a_second_and_ends_after_quiet),
        cmocka_unit_test(thresholds_are_exact_at_the_packet),
        cmocka_unit_test(amplification_is_named_by_source_port),
        cmocka_unit_test(other_flood_kinds_are_classified),
        cmocka_unit_test(fragment_flood_has_its_own_lower_floor),
        cmocka_unit_test(baseline_raises_the_threshold_of_a_busy_host),
        cmocka_unit_test(benign_traffic_gives_no_event),
        cmocka_unit_test(vertical_scan_answered_by_rst_is_flagged_within_five_probes),
        cmocka_unit_test(horizontal_scan_with_no_answers_is_flagged_after_timeouts),
        cmocka_unit_test(icmp_unreachable_counts_as_a_failed_probe),
        cmocka_unit_test(answered_connections_are_not_a_scan),
        cmocka_unit_test(ssh_brute_force_is_reported_once_per_window),
        cmocka_unit_test(full_host_table_is_counted_not_silent),
        cmocka_unit_test(inconsistent_config_is_refused_with_a_reason),
        cmocka_unit_test(prefetch_is_only_a_hint_with_large_and_full_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
