/*
 * Unit tests: packet, DNS, TLS and HTTP decoding (lib/net). Packets come from
 * the fuzz seed corpus (built field by field by tests/fuzz/make_net_seeds.py),
 * so the same bytes are checked for meaning here and for safety by the fuzzers.
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

static fh_buf load(const char *corpus, const char *name)
{
    const char *src = getenv("FH_SOURCE_DIR");
    char *path = fh_xasprintf("%s/tests/fuzz/corpus/%s/%s", src ? src : ".", corpus, name);
    fh_buf b;
    fh_buf_init(&b, 1 << 20);
    assert_int_equal(fh_buf_read_file(&b, path), FH_OK);
    free(path);
    return b;
}

/* Decodes a net seed: its first byte picks the link type. */
static fh_anomaly decode_seed(const char *name, fh_pkt *pkt, fh_buf *b)
{
    static const fh_link_type links[] = {FH_LINK_ETHERNET, FH_LINK_RAW, FH_LINK_LINUX_SLL};
    *b = load("net", name);
    const uint8_t *d = (const uint8_t *)b->data;
    return fh_net_decode(links[d[0]], d + 1, (uint32_t)b->len - 1, (uint32_t)b->len - 1, pkt);
}

static void ethernet_ipv4_tcp_syn_is_decoded(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("eth-ipv4-tcp-syn", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.proto, 6);
    const uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 0, 2};
    assert_memory_equal(p.src, src, 4);
    assert_memory_equal(p.dst, dst, 4);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.tcp_flags, FH_TCP_SYN);
    assert_int_equal(p.ttl, 64);
    assert_int_equal(p.payload_len, 0);
    fh_buf_cleanup(&b);
}

static void qinq_tags_are_both_kept(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("eth-qinq-udp", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.vlan_count, 2);
    assert_int_equal(p.vlan[0], 100);
    assert_int_equal(p.vlan[1], 200);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 123);
    assert_int_equal(p.payload_len, 48);
    fh_buf_cleanup(&b);
}

static void ipv4_options_are_skipped(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("raw-ipv4-options", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 1);
    assert_int_equal(p.dport, 2);
    assert_int_equal(p.tcp_flags, FH_TCP_ACK);
    fh_buf_cleanup(&b);
}

static void later_ipv4_fragment_has_no_ports(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("raw-ipv4-fragment", &p, &b), FH_ANOM_NONE);
    assert_true(p.fragment);
    assert_false(p.first_fragment);
    assert_int_equal(p.frag_offset, 185 * 8);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.payload_len, strlen("later fragment"));
    fh_buf_cleanup(&b);
}

static void ipv6_extension_headers_are_followed(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("eth-ipv6-hop-tcp", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.ip_version, 6);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 443);
    assert_int_equal(p.tcp_flags, FH_TCP_SYN | FH_TCP_ACK);
    assert_int_equal(p.dst[15], 2);
    fh_buf_cleanup(&b);
}

static void ipv6_first_fragment_has_its_udp_header(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("raw-ipv6-frag-udp", &p, &b), FH_ANOM_NONE);
    assert_true(p.fragment);
    assert_true(p.first_fragment);
    assert_int_equal(p.frag_id, 0xabcdef);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.dport, 53);
    fh_buf_cleanup(&b);
}

static void icmp_and_linux_cooked_capture(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("raw-ipv4-icmp", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.icmp_type, 8);
    fh_buf_cleanup(&b);
    assert_int_equal(decode_seed("raw-ipv6-icmpv6", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.proto, 58);
    assert_int_equal(p.icmp_type, 128);
    fh_buf_cleanup(&b);
    assert_int_equal(decode_seed("sll-ipv4-tcp", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.dport, 80);
    fh_buf_cleanup(&b);
}

static void non_ip_frames_are_not_anomalies(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("eth-arp", &p, &b), FH_ANOM_NONE);
    assert_int_equal(p.ip_version, 0);
    fh_buf_cleanup(&b);
}

static void truncated_headers_are_named_anomalies(void **state)
{
    fh_pkt p;
    fh_buf b;
    assert_int_equal(decode_seed("eth-truncated-ipv4", &p, &b), FH_ANOM_IPV4_TRUNCATED);
    assert_string_equal(fh_anomaly_name(p.anomaly), "ipv4_truncated");
    fh_buf_cleanup(&b);
    const uint8_t short_eth[10] = {0};
    assert_int_equal(fh_net_decode(FH_LINK_ETHERNET, short_eth, 10, 10, &p),
                     FH_ANOM_LINK_TRUNCATED);
    /* IPv4 header claiming IHL 4 */
    uint8_t bad_ihl[20] = {0x44};
    assert_int_equal(fh_net_decode(FH_LINK_RAW, bad_ihl, 20, 20, &p), FH_ANOM_IPV4_BAD_IHL);
    /* TCP with data offset 15 words in a 20-byte segment: addresses survive */
    uint8_t tcp_cut[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    tcp_cut[20 + 12] = 0xf0;
    assert_int_equal(fh_net_decode(FH_LINK_RAW, tcp_cut, 40, 40, &p), FH_ANOM_TCP_TRUNCATED);
    assert_int_equal(p.ip_version, 4);
    assert_int_equal(p.src[3], 1);
}

static void too_many_vlan_tags_stop_decoding(void **state)
{
    uint8_t f[14 + 12 + 20] = {0};
    f[12] = 0x81, f[13] = 0x00;
    for (int i = 0; i < 3; i++) {
        f[14 + 4 * i + 2] = 0x81;
        f[14 + 4 * i + 3] = 0x00;
    }
    fh_pkt p;
    assert_int_equal(fh_net_decode(FH_LINK_ETHERNET, f, sizeof f, sizeof f, &p),
                     FH_ANOM_VLAN_TOO_DEEP);
}

static void dns_query_name_is_lower_cased(void **state)
{
    fh_buf b = load("dns", "query-aaaa-upper");
    fh_dns_msg m;
    assert_int_equal(fh_dns_parse((const uint8_t *)b.data, b.len, &m), FH_ANOM_NONE);
    assert_false(m.response);
    assert_string_equal(m.qname, "www.example.org");
    assert_int_equal(m.qtype, 28);
    fh_buf_cleanup(&b);
}

static void dns_response_answers_follow_compression(void **state)
{
    fh_buf b = load("dns", "response-cname-a-aaaa");
    fh_dns_msg m;
    assert_int_equal(fh_dns_parse((const uint8_t *)b.data, b.len, &m), FH_ANOM_NONE);
    assert_true(m.response);
    assert_string_equal(m.qname, "example.net");
    assert_int_equal(m.n_answers, 3);
    assert_int_equal(m.answers[0].type, 5);
    assert_string_equal(m.answers[0].name, "www.example.net");
    assert_int_equal(m.answers[1].type, 1);
    assert_int_equal(m.answers[1].addr[0], 198);
    assert_int_equal(m.answers[2].type, 28);
    assert_int_equal(m.answers[2].addr[15], 1);
    fh_buf_cleanup(&b);
}

static void dns_pointer_loops_are_caught(void **state)
{
    fh_buf b = load("dns", "pointer-loop");
    fh_dns_msg m;
    assert_int_equal(fh_dns_parse((const uint8_t *)b.data, b.len, &m), FH_ANOM_DNS_NAME_LOOP);
    fh_buf_cleanup(&b);
}

static void dns_overlong_names_are_refused(void **state)
{
    uint8_t msg[12 + 300] = {0, 1, 0, 0, 0, 1};
    size_t off = 12;
    for (int i = 0; i < 5; i++) { /* 5 labels of 63 bytes: 320 bytes on the wire */
        msg[off++] = 63;
        memset(msg + off, 'a', 63);
        off += 63;
        if (off + 64 > sizeof msg)
            break;
    }
    fh_dns_msg m;
    assert_int_equal(fh_dns_parse(msg, sizeof msg, &m), FH_ANOM_DNS_NAME_TOO_LONG);
    uint8_t label64[12 + 70] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64};
    assert_int_equal(fh_dns_parse(label64, sizeof label64, &m), FH_ANOM_DNS_MALFORMED);
}

static void tls_client_hello_gives_the_sni(void **state)
{
    fh_buf b = load("tls", "client-hello-sni");
    char sni[FH_TLS_SNI_MAX + 1];
    bool found = false;
    assert_int_equal(fh_tls_sni((const uint8_t *)b.data, b.len, sni, &found), FH_ANOM_NONE);
    assert_true(found);
    assert_string_equal(sni, "evil.example");
    /* A handshake length too short for the fields inside it. */
    ((uint8_t *)b.data)[8] = 64;
    found = false;
    assert_int_equal(fh_tls_sni((const uint8_t *)b.data, b.len, sni, &found),
                     FH_ANOM_TLS_MALFORMED);
    assert_false(found);
    fh_buf_cleanup(&b);
}

static void tls_truncated_hello_is_quietly_incomplete(void **state)
{
    fh_buf b = load("tls", "client-hello-truncated");
    char sni[FH_TLS_SNI_MAX + 1];
    bool found = true;
    assert_int_equal(fh_tls_sni((const uint8_t *)b.data, b.len, sni, &found), FH_ANOM_NONE);
    assert_false(found);
    fh_buf_cleanup(&b);
    b = load("tls", "not-tls");
    assert_int_equal(fh_tls_sni((const uint8_t *)b.data, b.len, sni, &found), FH_ANOM_NONE);
    assert_false(found);
    fh_buf_cleanup(&b);
}

static void http_host_loses_its_port_and_case(void **state)
{
    fh_buf b = load("http", "get-host");
    fh_http_req r;
    bool found = false;
    assert_int_equal(fh_http_request((const uint8_t *)b.data, b.len, &r, &found), FH_ANOM_NONE);
    assert_true(found);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.host, "evil.example");
    assert_int_equal(r.target_len, strlen("/index.html"));
    assert_memory_equal(r.target, "/index.html", r.target_len);
    fh_buf_cleanup(&b);
    b = load("http", "get-ipv6-host");
    assert_int_equal(fh_http_request((const uint8_t *)b.data, b.len, &r, &found), FH_ANOM_NONE);
    assert_string_equal(r.host, "[2001:db8::1]");
    fh_buf_cleanup(&b);
}

static void http_double_host_is_malformed_and_garbage_is_not_http(void **state)
{
    fh_buf b = load("http", "double-host");
    fh_http_req r;
    bool found = false;
    assert_int_equal(fh_http_request((const uint8_t *)b.data, b.len, &r, &found),
                     FH_ANOM_HTTP_MALFORMED);
    fh_buf_cleanup(&b);
    b = load("http", "garbage");
    assert_int_equal(fh_http_request((const uint8_t *)b.data, b.len, &r, &found), FH_ANOM_NONE);
    assert_false(found);
    fh_buf_cleanup(&b);
    b = load("http", "post-no-host");
    assert_int_equal(fh_http_request((const uint8_t *)b.data, b.len, &r, &found), FH_ANOM_NONE);
    assert_true(found);
    assert_string_equal(r.host, "");
    fh_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ethernet_ipv4_tcp_syn_is_decoded),
        cmocka_unit_test(qinq_tags_are_both_kept),
        cmocka_unit_test(ipv4_options_are_skipped),
        cmocka_unit_test(later_ipv4_fragment_has_no_ports),
        cmocka_unit_test(ipv6_extension_headers_are_followed),
        cmocka_unit_test(ipv6_first_fragment_has_its_udp_header),
        cmocka_unit_test(icmp_and_linux_cooked_capture),
        cmocka_unit_test(non_ip_frames_are_not_anomalies),
        cmocka_unit_test(truncated_headers_are_named_anomalies),
        cmocka_unit_test(too_many_vlan_tags_stop_decoding),
        cmocka_unit_test(dns_query_name_is_lower_cased),
        cmocka_unit_test(dns_response_answers_follow_compression),
        cmocka_unit_test(dns_pointer_loops_are_caught),
        cmocka_unit_test(dns_overlong_names_are_refused),
        cmocka_unit_test(tls_client_hello_gives_the_sni),
        cmocka_unit_test(tls_truncated_hello_is_quietly_incomplete),
        cmocka_unit_test(http_host_loses_its_port_and_case),
        cmocka_unit_test(http_double_host_is_malformed_and_garbage_is_not_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
