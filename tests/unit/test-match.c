/*
 * Unit tests: the matcher (lib/match): longest-prefix match for IPv4 and
 * IPv6 (also checked against a linear scan on random prefixes), domain
 * suffixes, exact strings, and parsing of plain list lines.
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

#include "fenghuo/match.h"

static void add(fh_match_builder *b, const char *text, uint32_t rule)
{
    const char *why = NULL;
    assert_int_equal(fh_match_add_text(b, text, strlen(text), rule, &why), FH_OK);
}

static uint32_t v4(const fh_match *m, const char *s)
{
    uint8_t a[4];
    assert_int_equal(inet_pton(AF_INET, s, a), 1);
    return fh_match_ipv4(m, a);
}

static uint32_t v6(const fh_match *m, const char *s)
{
    uint8_t a[16];
    assert_int_equal(inet_pton(AF_INET6, s, a), 1);
    return fh_match_ipv6(m, a);
}

static uint32_t dom(const fh_match *m, const char *s)
{
    return fh_match_domain(m, s, strlen(s));
}

static void ipv4_longest_prefix_wins(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    /* added in an order that is not shortest first, on purpose */
    add(b, "198.18.1.7", 5);
    add(b, "198.18.0.0/15", 1);
    add(b, "198.18.1.128/25", 4);
    add(b, "198.18.1.0/24", 3);
    add(b, "198.18.0.0/16", 2);
    fh_match *m = fh_match_build(b);
    assert_int_equal(v4(m, "198.19.255.255"), 1);
    assert_int_equal(v4(m, "198.18.200.1"), 2);
    assert_int_equal(v4(m, "198.18.1.1"), 3);
    assert_int_equal(v4(m, "198.18.1.7"), 5);
    assert_int_equal(v4(m, "198.18.1.8"), 3);
    assert_int_equal(v4(m, "198.18.1.200"), 4);
    assert_int_equal(v4(m, "198.20.0.0"), 0);
    assert_int_equal(v4(m, "192.0.2.1"), 0);
    fh_match_stats st;
    fh_match_get_stats(m, &st);
    assert_int_equal(st.ipv4_prefixes, 5);
    assert_int_equal(st.ipv4_tbl8_groups, 1);
    fh_match_free(m);
}

static void ipv4_default_route_and_host_bits(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    add(b, "0.0.0.0/0", 9);
    add(b, "203.0.113.77/24", 3); /* host bits are ignored */
    fh_match *m = fh_match_build(b);
    assert_int_equal(v4(m, "8.8.8.8"), 9);
    assert_int_equal(v4(m, "203.0.113.1"), 3);
    fh_match_free(m);
}

static void duplicate_keys_keep_the_first_rule(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    add(b, "192.0.2.1", 1);
    add(b, "192.0.2.1/32", 2);
    add(b, "2001:db8::1", 3);
    add(b, "2001:db8::1/128", 4);
    add(b, "evil.example", 5);
    add(b, "EVIL.example.", 6);
    fh_match *m = fh_match_build(b);
    assert_int_equal(v4(m, "192.0.2.1"), 1);
    assert_int_equal(v6(m, "2001:db8::1"), 3);
    assert_int_equal(dom(m, "evil.example"), 5);
    fh_match_stats st;
    fh_match_get_stats(m, &st);
    assert_int_equal(st.duplicates, 3);
    fh_match_free(m);
}

static void ipv6_longest_prefix_wins(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    add(b, "2001:db8::/32", 1);
    add(b, "2001:db8:1::/48", 2);
    add(b, "2001:db8:1:2::/64", 3);
    add(b, "2001:db8:1:2::99", 4);
    add(b, "2001:db8:ff00::/41", 5);
    fh_match *m = fh_match_build(b);
    assert_int_equal(v6(m, "2001:db8:1:2::99"), 4);
    assert_int_equal(v6(m, "2001:db8:1:2::98"), 3);
    assert_int_equal(v6(m, "2001:db8:1:3::1"), 2);
    assert_int_equal(v6(m, "2001:db8:2::1"), 1);
    assert_int_equal(v6(m, "2001:db8:ff7f::1"), 5);
    assert_int_equal(v6(m, "2001:db8:fe00::1"), 1);
    assert_int_equal(v6(m, "2001:db9::1"), 0);
    assert_int_equal(v4(m, "192.0.2.1"), 0); /* no IPv4 table at all */
    fh_match_free(m);
}

static void domain_matches_itself_and_names_below(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    add(b, "evil.example", 1);
    add(b, "very.evil.example", 2);
    add(b, "com", 3);
    fh_match *m = fh_match_build(b);
    assert_int_equal(dom(m, "evil.example"), 1);
    assert_int_equal(dom(m, "a.b.evil.example"), 1);
    assert_int_equal(dom(m, "WWW.Evil.Example."), 1);
    assert_int_equal(dom(m, "x.very.evil.example"), 2);
    assert_int_equal(dom(m, "notevil.example"), 0);
    assert_int_equal(dom(m, "example"), 0);
    assert_int_equal(dom(m, "evil.example.org"), 0);
    assert_int_equal(dom(m, "shop.com"), 3);
    assert_int_equal(dom(m, ""), 0);
    fh_match_free(m);
}

static void strings_match_exactly_within_their_kind(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    const char *url = "http://evil.example/payload.exe";
    const char *sha = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db";
    assert_int_equal(fh_match_add_string(b, 1, url, strlen(url), 7), FH_OK);
    assert_int_equal(fh_match_add_string(b, 2, sha, strlen(sha), 8), FH_OK);
    fh_match *m = fh_match_build(b);
    assert_int_equal(fh_match_string(m, 1, url, strlen(url)), 7);
    assert_int_equal(fh_match_string(m, 2, sha, strlen(sha)), 8);
    assert_int_equal(fh_match_string(m, 2, url, strlen(url)), 0);
    assert_int_equal(fh_match_string(m, 1, url, strlen(url) - 1), 0);
    fh_match_free(m);
}

static void list_lines_that_are_not_indicators_are_refused(void **state)
{
    const char *bad[] = {
        "",           "   ",        "1.2.3",  "198.51.100.0/33", "2001:db8::/129", "evil..example",
        "not a name", "10.0.0.0/x", "a.b/24", "http://x"};
    fh_match_builder *b = fh_match_builder_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        assert_int_equal(fh_match_add_text(b, bad[i], strlen(bad[i]), 1, &why), FH_ERR_INVALID);
        assert_non_null(why);
    }
    assert_int_equal(fh_match_add_text(b, " 192.0.2.9 \r\n", 13, 1, NULL), FH_OK);
    assert_int_equal(fh_match_add_ipv4(b, (const uint8_t *)"\1\2\3\4", 33, 1), FH_ERR_INVALID);
    assert_int_equal(fh_match_add_ipv4(b, (const uint8_t *)"\1\2\3\4", 32, 0), FH_ERR_INVALID);
    fh_match *m = fh_match_build(b);
    assert_int_equal(v4(m, "192.0.2.9"), 1);
    fh_match_free(m);
}

/* A linear scan: the reference the table is checked against. */
struct ref4 {
    uint32_t addr;
    unsigned plen;
    uint32_t rule;
};

static uint32_t ref_lookup(const struct ref4 *r, size_t n, uint32_t a)
{
    int best = -1;
    uint32_t rule = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t mask = r[i].plen == 32 ? 0xffffffffu : r[i].plen ? ~(0xffffffffu >> r[i].plen) : 0;
        if ((a & mask) == r[i].addr && (int)r[i].plen > best) {
            best = (int)r[i].plen;
            rule = r[i].rule;
        }
    }
    return rule;
}

static void ipv4_agrees_with_a_linear_scan_on_random_prefixes(void **state)
{
    srand(12345);
    enum { N = 600, LOOKUPS = 20000 };
    struct ref4 *r = calloc(N, sizeof *r);
    fh_match_builder *b = fh_match_builder_new();
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        /* addresses in a few /8s so that prefixes nest */
        uint32_t a = (uint32_t)(rand() % 4 + 10) << 24 | (uint32_t)(rand() & 0xffffff);
        unsigned plen = (unsigned)(rand() % 33);
        uint32_t mask = plen == 32 ? 0xffffffffu : plen ? ~(0xffffffffu >> plen) : 0;
        a &= mask;
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup |= r[k].addr == a && r[k].plen == plen;
        if (dup)
            continue;
        r[n] = (struct ref4){a, plen, (uint32_t)n + 1};
        uint8_t bytes[4] = {a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff};
        assert_int_equal(fh_match_add_ipv4(b, bytes, plen, r[n].rule), FH_OK);
        n++;
    }
    fh_match *m = fh_match_build(b);
    for (int i = 0; i < LOOKUPS; i++) {
        uint32_t a = i % 2 ? r[rand() % n].addr | (uint32_t)(rand() & 0xff)
                           : (uint32_t)(rand() % 5 + 9) << 24 | (uint32_t)(rand() & 0xffffff);
        uint8_t bytes[4] = {a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff};
        uint32_t want = ref_lookup(r, n, a), got = 0;
        assert_int_equal(fh_match_ipv4(m, bytes), want);
        fh_match_ipv4_batch(m, (const uint8_t(*)[4])bytes, 1, &got);
        assert_int_equal(got, want);
    }
    fh_match_free(m);
    free(r);
}

/* The /16 summary: a prefix shorter than /16 marks every /16 it covers,
 * a longer one its own; addresses in unmarked /16s miss, single and in
 * batches. */
static void sparse_prefixes_hit_at_their_edges_and_miss_beside(void **state)
{
    (void)state;
    fh_match_builder *b = fh_match_builder_new();
    add(b, "172.16.0.0/12", 1);
    add(b, "10.1.0.0/16", 2);
    add(b, "10.2.128.0/17", 3);
    add(b, "192.168.1.7", 4);
    add(b, "100.64.0.0/10", 5);
    fh_match *m = fh_match_build(b);
    static const struct {
        const char *addr;
        uint32_t rule;
    } cases[] = {
        {"172.16.0.0", 1},  {"172.31.255.255", 1}, {"172.15.255.255", 0}, {"172.32.0.0", 0},
        {"10.1.0.0", 2},    {"10.1.255.255", 2},   {"10.0.255.255", 0},   {"10.2.127.255", 0},
        {"10.2.128.0", 3},  {"10.2.255.255", 3},   {"10.3.0.0", 0},       {"192.168.1.7", 4},
        {"192.168.1.8", 0}, {"192.168.2.7", 0},    {"100.64.0.1", 5},     {"100.127.255.255", 5},
        {"100.128.0.0", 0}, {"8.8.8.8", 0},        {"0.0.0.0", 0},        {"255.255.255.255", 0},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    uint8_t addrs[N][4];
    uint32_t got[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(inet_pton(AF_INET, cases[i].addr, addrs[i]), 1);
        assert_int_equal(v4(m, cases[i].addr), cases[i].rule);
    }
    fh_match_ipv4_batch(m, (const uint8_t(*)[4])addrs, N, got);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(got[i], cases[i].rule);
    fh_match_free(m);
}

static void hosts_and_groups_in_one_slash24_and_batches_agree(void **state)
{
    fh_match_builder *b = fh_match_builder_new();
    add(b, "192.0.2.0/24", 1);
    add(b, "192.0.2.5", 2); /* host table: no group in this /24 yet... */
    add(b, "198.51.100.0/24", 3);
    add(b, "198.51.100.9", 4); /* ...here a /25 makes a group, so the /32 goes in it */
    add(b, "198.51.100.128/25", 5);
    add(b, "203.0.113.77", 6); /* a host with no covering prefix */
    fh_match *m = fh_match_build(b);
    const char *probe[] = {"192.0.2.5",      "192.0.2.6",    "198.51.100.9", "198.51.100.10",
                           "198.51.100.200", "203.0.113.77", "203.0.113.78", "10.0.0.1"};
    uint32_t want[] = {2, 1, 4, 3, 5, 6, 0, 0};
    uint8_t addrs[8][4];
    uint32_t got[8];
    for (int i = 0; i < 8; i++) {
        assert_int_equal(inet_pton(AF_INET, probe[i], addrs[i]), 1);
        assert_int_equal(fh_match_ipv4(m, addrs[i]), want[i]);
    }
    fh_match_ipv4_batch(m, (const uint8_t(*)[4])addrs, 8, got);
    assert_memory_equal(got, want, sizeof want);
    fh_match_stats st;
    fh_match_get_stats(m, &st);
    assert_int_equal(st.ipv4_hosts, 2);
    assert_int_equal(st.ipv4_tbl8_groups, 1);
    fh_match_free(m);
}

/* The batch is a software pipeline with a ring of in-flight lookups: every
 * batch length, shorter and longer than the pipeline, must give exactly the
 * single lookups' answers, in order. */
static void batches_of_every_length_agree_with_single_lookups(void **state)
{
    srand(777);
    enum { NPFX = 300, MAX = 200 };
    uint32_t pfx[NPFX];
    fh_match_builder *b = fh_match_builder_new();
    for (uint32_t i = 0; i < NPFX; i++) {
        uint32_t a = (uint32_t)(rand() % 3 + 10) << 24 | (uint32_t)(rand() & 0xffffff);
        unsigned plen = i % 3 == 0 ? 32 : i % 3 == 1 ? 24 : 28;
        if (plen < 32)
            a &= ~(0xffffffffu >> plen);
        pfx[i] = a;
        uint8_t bytes[4] = {a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff};
        assert_int_equal(fh_match_add_ipv4(b, bytes, plen, i + 1), FH_OK);
    }
    fh_match *m = fh_match_build(b);
    uint8_t addrs[MAX][4];
    uint32_t want[MAX], got[MAX + 1];
    unsigned hits = 0, looked = 0;
    for (size_t len = 0; len <= MAX; len++) {
        for (size_t i = 0; i < len; i++) {
            /* half inside a loaded prefix (host bits random), half anywhere */
            uint32_t a = i % 2 ? pfx[rand() % NPFX] | (uint32_t)(rand() & (i % 4 == 1 ? 0 : 0xf))
                               : (uint32_t)(rand() % 3 + 10) << 24 | (uint32_t)(rand() & 0xffffff);
            for (int k = 0; k < 4; k++)
                addrs[i][k] = (uint8_t)(a >> (24 - 8 * k));
            want[i] = fh_match_ipv4(m, addrs[i]);
            hits += want[i] != 0;
            looked++;
        }
        got[len] = 0xdeadbeef; /* the batch must not write past its end */
        fh_match_ipv4_batch(m, (const uint8_t(*)[4])addrs, len, got);
        if (len)
            assert_memory_equal(got, want, len * sizeof *want);
        assert_int_equal(got[len], 0xdeadbeef);
    }
    assert_true(hits > looked / 3); /* the lookups did reach loaded prefixes */
    fh_match_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_longest_prefix_wins),
        cmocka_unit_test(ipv4_default_route_and_host_bits),
        cmocka_unit_test(duplicate_keys_keep_the_first_rule),
        cmocka_unit_test(ipv6_longest_prefix_wins),
        cmocka_unit_test(domain_matches_itself_and_names_below),
        cmocka_unit_test(strings_match_exactly_within_their_kind),
        cmocka_unit_test(list_lines_that_are_not_indicators_are_refused),
        cmocka_unit_test(ipv4_agrees_with_a_linear_scan_on_random_prefixes),
        cmocka_unit_test(sparse_prefixes_hit_at_their_edges_and_miss_beside),
        cmocka_unit_test(hosts_and_groups_in_one_slash24_and_batches_agree),
        cmocka_unit_test(batches_of_every_length_agree_with_single_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
