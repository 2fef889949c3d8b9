/*
 * Unit tests: compiling STIX patterns into observables a sensor can match
 * (lib/stix/stix-pattern-compile.c): each kind, IN lists, exact versus
 * partial, and the comparisons that cannot be matched in traffic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/pattern.h"

static fh_pattern_observables compiled;

static int setup(void **state)
{
    fh_pattern_observables_init(&compiled);
    return 0;
}

static int teardown(void **state)
{
    fh_pattern_observables_cleanup(&compiled);
    return 0;
}

static void compile(const char *text)
{
    fh_pattern *p = NULL;
    fh_pattern_error err;
    fh_pattern_observables_cleanup(&compiled);
    if (fh_pattern_parse(text, strlen(text), 0, &p, &err) != FH_OK)
        fail_msg("%s: column %zu: %s", text, err.column, err.message);
    assert_int_equal(fh_pattern_compile(p, &compiled), FH_OK);
    fh_pattern_free(p);
}

static const fh_pattern_observable *find(fh_pattern_obs_kind kind, const char *value)
{
    for (size_t i = 0; i < compiled.count; i++)
        if (compiled.items[i].kind == kind && strcmp(compiled.items[i].value, value) == 0)
            return &compiled.items[i];
    fail_msg("no %s observable '%s' among %zu", fh_pattern_obs_kind_name(kind), value,
             compiled.count);
    return NULL;
}

static void assert_note(bool unmatchable, const char *fragment)
{
    for (size_t i = 0; i < compiled.note_count; i++)
        if (compiled.notes[i].unmatchable == unmatchable &&
            strstr(compiled.notes[i].text, fragment))
            return;
    fail_msg("no note with '%s' among %zu (first: %s)", fragment, compiled.note_count,
             compiled.note_count ? compiled.notes[0].text : "none");
}

/* ---- kinds ---------------------------------------------------------------------- */

static void ipv4_address_and_cidr(void **state)
{
    compile("[ipv4-addr:value = '203.0.113.7']");
    assert_int_equal(compiled.count, 1);
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_IPV4, "203.0.113.7");
    assert_true(o->exact);
    assert_int_equal(o->prefix, 32);
    assert_int_equal(o->side, FH_PATTERN_SIDE_ANY);
    assert_memory_equal(o->addr, ((uint8_t[]){203, 0, 113, 7}), 4);
    assert_int_equal(o->column, 2);
    assert_int_equal(compiled.note_count, 0);

    compile("[ipv4-addr:value = '198.51.100.1/32']");
    assert_int_equal(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->prefix, 32);

    compile("[ipv4-addr:value ISSUBSET '198.51.100.0/24']");
    o = find(FH_PATTERN_OBS_IPV4, "198.51.100.0/24");
    assert_true(o->exact);
    assert_int_equal(o->prefix, 24);
}

static void cidr_host_bits_are_cleared_with_a_note(void **state)
{
    compile("[ipv4-addr:value ISSUBSET '198.51.100.77/24']");
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_IPV4, "198.51.100.0/24");
    assert_memory_equal(o->addr, ((uint8_t[]){198, 51, 100, 0}), 4);
    assert_note(false, "'198.51.100.77/24' has host bits set; matching the block 198.51.100.0/24");
    compile("[ipv4-addr:value ISSUBSET '0.0.0.0/0' OR ipv6-addr:value ISSUBSET '2000::/3']");
    assert_true(find(FH_PATTERN_OBS_IPV4, "0.0.0.0/0")->exact);
    assert_note(false, "0.0.0.0/0 is a very broad block (shorter than /8)");
    assert_note(false, "2000::/3 is a very broad block (shorter than /16)");
    compile("[ipv4-addr:value ISSUBSET '10.0.0.0/8']");
    assert_int_equal(compiled.note_count, 0);
    compile("[ipv6-addr:value = '2001:db8::1/32']");
    find(FH_PATTERN_OBS_IPV6, "2001:db8::/32");
    assert_note(false, "host bits set");
}

static void ipv6_is_printed_in_rfc5952_form(void **state)
{
    compile("[network-traffic:dst_ref.value ISSUBSET "
            "'2001:0db8:dead:beef:0000:0000:0000:0000/64']");
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_IPV6, "2001:db8:dead:beef::/64");
    assert_int_equal(o->side, FH_PATTERN_SIDE_DST);
    assert_int_equal(o->prefix, 64);
    assert_true(o->exact);
    compile("[ipv6-addr:value = '2001:0DB8:0:0:0:0:0:0001']");
    assert_int_equal(find(FH_PATTERN_OBS_IPV6, "2001:db8::1")->prefix, 128);
}

static void invalid_addresses_are_not_matchable(void **state)
{
    compile("[ipv4-addr:value = '198.51.100.256']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "not an IPv4 address");
    compile("[ipv4-addr:value = '010.1.1.1']");
    assert_int_equal(compiled.count, 0);
    compile("[ipv4-addr:value = '2001:db8::1']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "an IPv6 address, the path an IPv4 one");
    compile("[ipv4-addr:value = 3]");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "not a string");
}

static void issuperset_matches_only_single_hosts(void **state)
{
    compile("[ipv4-addr:value ISSUPERSET '198.51.100.9']");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.9")->exact);
    compile("[ipv4-addr:value ISSUPERSET '198.51.100.0/24']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "never contains a /24 block");
}

static void network_traffic_refs_keep_their_side(void **state)
{
    compile("[network-traffic:src_ref.value = '203.0.113.10' OR network-traffic:dst_ref.value = "
            "'198.51.100.58']");
    assert_int_equal(find(FH_PATTERN_OBS_IPV4, "203.0.113.10")->side, FH_PATTERN_SIDE_SRC);
    assert_int_equal(find(FH_PATTERN_OBS_IPV4, "198.51.100.58")->side, FH_PATTERN_SIDE_DST);
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.58")->exact);
    /* A reference to a domain name. */
    compile("[network-traffic:dst_ref.value = 'Example.COM.']");
    assert_int_equal(find(FH_PATTERN_OBS_DOMAIN, "example.com")->side, FH_PATTERN_SIDE_DST);
}

static void type_guards_fold_into_the_address(void **state)
{
    /* Section 9.8, "Matching on Network Traffic with a particular destination". */
    compile("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'203.0.113.33/32']");
    assert_int_equal(compiled.count, 1);
    assert_true(find(FH_PATTERN_OBS_IPV4, "203.0.113.33")->exact);
    assert_int_equal(compiled.note_count, 0);
    /* A guard that disagrees (other side, other type) leaves it partial. */
    compile("[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'203.0.113.33']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "203.0.113.33")->exact);
    compile("[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
            "'203.0.113.33']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "203.0.113.33")->exact);
}

static void domain_names_are_normalized(void **state)
{
    compile("[domain-name:value = 'WWW.Example.com']");
    assert_true(find(FH_PATTERN_OBS_DOMAIN, "www.example.com")->exact);
    compile("[domain-name:value = 'bad domain.com']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "holds a character a domain name cannot have");
    compile("[domain-name:value = '-a.example.com']");
    assert_note(true, "starts or ends with '-'");
    compile("[domain-name:value = 'a..example.com']");
    assert_note(true, "empty label");
    compile("[domain-name:value = '198.51.100']");
    assert_note(true, "all-numeric label");
    compile("[network-traffic:dst_ref.value = '198.51.100.1.2']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "neither an IP address nor a domain name");
    compile("[domain-name:value = '1password.com']");
    find(FH_PATTERN_OBS_DOMAIN, "1password.com");
    compile("[domain-name:value = '\xe7\x83\xbd\xe7\x81\xab.cn']");
    assert_note(true, "xn--");
}

static void like_with_a_leading_wildcard_label_is_a_suffix(void **state)
{
    compile("[domain-name:value LIKE '%.Example.com']");
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_DOMAIN_SUFFIX, "example.com");
    assert_true(o->exact);
    compile("[domain-name:value LIKE 'ex%.com']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "only matchable as a suffix");
    compile("[domain-name:value LIKE '%.ex_mple.com']");
    assert_int_equal(compiled.count, 0);
}

static void urls_lower_case_scheme_and_host_only(void **state)
{
    compile("[url:value = 'HTTP://User@Example.COM:8080/Path?Q=A']");
    assert_true(find(FH_PATTERN_OBS_URL, "http://User@example.com:8080/Path?Q=A")->exact);
    compile("[url:value = 'example.com/foo']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "not an absolute URL");
    compile("[url:value = 'http:///foo']");
    assert_note(true, "has no host");
    compile("[url:value = 'http://[2001:DB8::1]:8443/x' OR url:value = 'https://198.51.100.7/' OR "
            "url:value = 'http://a@b@Host.Example:/']");
    assert_int_equal(compiled.count, 3);
    find(FH_PATTERN_OBS_URL, "http://[2001:db8::1]:8443/x");
    find(FH_PATTERN_OBS_URL, "https://198.51.100.7/");
    find(FH_PATTERN_OBS_URL, "http://a@b@host.example:/");
    static const char *const bad[] = {
        "[url:value = 'http://-@)-----r']",
        "[url:value = 'http://exa mple.com/']",
        "[url:value = 'http://example.com:99999/']",
        "[url:value = 'http://[::1/']",
        "[url:value = 'http://[zz::1]/']",
        "[url:value = 'http://example.com:8o/']",
        "[url:value = 'http://ex\xc3\xa4mple.com/']",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        compile(bad[i]);
        if (compiled.count != 0)
            fail_msg("%s compiled to %s", bad[i], compiled.items[0].value);
        assert_int_equal(compiled.note_count, 1);
    }
    compile("[url:value = 'http://ex\xc3\xa4mple.com/']");
    assert_note(true, "is not ASCII");
}

static void file_hashes_by_algorithm(void **state)
{
    compile("[file:hashes.'SHA-256' = "
            "'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']");
    const fh_pattern_observable *o = find(
        FH_PATTERN_OBS_HASH, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f");
    assert_int_equal(o->hash_alg, FH_PATTERN_HASH_SHA256);
    assert_true(o->exact);
    compile("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:hashes.'SHA-1' = "
            "'da39a3ee5e6b4b0d3255bfef95601890afd80709' OR artifact:hashes.'SHA-512' = h'"
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318"
            "d2877eec2f63b931bd47417a81a538327af927da3e']");
    assert_int_equal(compiled.count, 3);
    assert_int_equal(find(FH_PATTERN_OBS_HASH, "cead3f77f6cda6ec00f57d76c9a6879f")->hash_alg,
                     FH_PATTERN_HASH_MD5);
    assert_int_equal(
        find(FH_PATTERN_OBS_HASH, "da39a3ee5e6b4b0d3255bfef95601890afd80709")->hash_alg,
        FH_PATTERN_HASH_SHA1);
    compile("[file:hashes.'SHA-256' = '13987239847...']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "not a SHA-256 digest (64 hex digits)");
    compile("[file:hashes.ssdeep = '3:a:b']");
    assert_note(true, "fuzzy hash");
    compile("[file:hashes.x_custom = 'abcd']");
    assert_note(true, "not one fenghuo computes");
}

static void ports_with_and_without_protocol(void **state)
{
    compile("[network-traffic:dst_port = 443]");
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_PORT, "443");
    assert_int_equal(o->port, 443);
    assert_int_equal(o->side, FH_PATTERN_SIDE_DST);
    assert_string_equal(o->protocol, "");
    assert_true(o->exact);

    compile("[network-traffic:src_port IN (53, 5353) AND network-traffic:protocols[*] = 'UDP']");
    assert_int_equal(compiled.count, 2);
    o = find(FH_PATTERN_OBS_PORT, "5353");
    assert_string_equal(o->protocol, "udp");
    assert_int_equal(o->side, FH_PATTERN_SIDE_SRC);
    assert_true(o->exact);

    /* A protocol that is not a transport leaves the port partial. */
    compile("[network-traffic:dst_port = 80 AND network-traffic:protocols[*] = 'http']");
    assert_false(find(FH_PATTERN_OBS_PORT, "80")->exact);

    compile("[network-traffic:dst_port = 70000]");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "0 to 65535");
    compile("[network-traffic:dst_port > 1024]");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "'>' is a range");
}

static void address_and_port_of_one_flow_fold_together(void **state)
{
    compile("[network-traffic:dst_ref.value IN ('203.0.113.7', 'evil.example') AND "
            "network-traffic:dst_port IN (443, 8443) AND network-traffic:protocols[*] = 'tcp']");
    assert_int_equal(compiled.count, 4);
    const fh_pattern_observable *o = &compiled.items[0];
    assert_int_equal(o->kind, FH_PATTERN_OBS_IPV4);
    assert_string_equal(o->value, "203.0.113.7");
    assert_true(o->has_port);
    assert_int_equal(o->port, 443);
    assert_int_equal(o->port_side, FH_PATTERN_SIDE_DST);
    assert_string_equal(o->protocol, "tcp");
    assert_true(o->exact);
    o = &compiled.items[3];
    assert_int_equal(o->kind, FH_PATTERN_OBS_DOMAIN);
    assert_int_equal(o->port, 8443);
    assert_true(o->exact);
    assert_int_equal(compiled.note_count, 0);

    /* Source block, destination port. */
    compile("[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24' AND "
            "network-traffic:dst_port = 22]");
    o = find(FH_PATTERN_OBS_IPV4, "198.51.100.0/24");
    assert_int_equal(o->side, FH_PATTERN_SIDE_SRC);
    assert_int_equal(o->port_side, FH_PATTERN_SIDE_DST);
    assert_int_equal(o->port, 22);
    assert_true(o->exact);

    /* An address that cannot be compiled leaves the port alone and partial. */
    compile("[network-traffic:dst_ref.value = 'bad value!' AND network-traffic:src_port = 53]");
    assert_int_equal(compiled.count, 1);
    o = find(FH_PATTERN_OBS_PORT, "53");
    assert_false(o->exact);
    assert_false(o->has_port);
    assert_note(true, "neither an IP address nor a domain name");

    /* Anything else in the AND makes them partial again. */
    compile("[network-traffic:dst_ref.value = '203.0.113.7' AND network-traffic:dst_port = 443 "
            "AND network-traffic:dst_byte_count > 100]");
    assert_int_equal(compiled.count, 2);
    assert_false(find(FH_PATTERN_OBS_IPV4, "203.0.113.7")->exact);
    assert_false(find(FH_PATTERN_OBS_IPV4, "203.0.113.7")->has_port);
    assert_false(find(FH_PATTERN_OBS_PORT, "443")->exact);
    /* Two ports of one side in one AND: partial too. */
    compile("[network-traffic:dst_port = 443 AND network-traffic:dst_port = 8443]");
    assert_false(find(FH_PATTERN_OBS_PORT, "443")->exact);
}

/* ---- IN lists and exactness -------------------------------------------------- */

static void in_lists_expand_and_duplicates_merge(void **state)
{
    compile("[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2', '198.51.100.1/32')]");
    assert_int_equal(compiled.count, 2);
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.2")->exact);
    compile("[domain-name:value IN ('a.example', 'b.example', 'c.example')]");
    assert_int_equal(compiled.count, 3);
}

static void or_is_exact_and_is_partial(void **state)
{
    compile("[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2']");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.2")->exact);

    compile("[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value != '198.51.100.2']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_note(true, "'!=' names what is absent");

    /* Observation OR keeps exactness; observation AND and FOLLOWEDBY do not. */
    compile("[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'example.com']");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_true(find(FH_PATTERN_OBS_DOMAIN, "example.com")->exact);
    compile("[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'example.com']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_false(find(FH_PATTERN_OBS_DOMAIN, "example.com")->exact);
    compile("[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'example.com']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_false(find(FH_PATTERN_OBS_DOMAIN, "example.com")->exact);
    /* (a AND b) OR c: c alone suffices. */
    compile("([ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '198.51.100.2']) OR "
            "[ipv4-addr:value = '198.51.100.3']");
    assert_false(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.3")->exact);
    /* Seen once as partial and once as exact: exact wins. */
    compile("([ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '198.51.100.2']) OR "
            "[ipv4-addr:value = '198.51.100.1']");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    assert_int_equal(compiled.count, 2);
}

static void qualifiers_affect_exactness_as_documented(void **state)
{
    compile("[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES");
    assert_false(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    compile("[ipv4-addr:value = '198.51.100.1'] REPEATS 1 TIMES");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    /* WITHIN on one observation is always satisfied. */
    compile("[ipv4-addr:value = '198.51.100.1'] WITHIN 60 SECONDS");
    assert_true(find(FH_PATTERN_OBS_IPV4, "198.51.100.1")->exact);
    /* START/STOP keeps exactness but carries the window. */
    compile("[ipv4-addr:value = '198.51.100.1'] START t'2016-06-01T00:00:00Z' STOP "
            "t'2016-07-01T00:00:00Z'");
    const fh_pattern_observable *o = find(FH_PATTERN_OBS_IPV4, "198.51.100.1");
    assert_true(o->exact);
    assert_true(o->has_window);
    assert_int_equal(o->start.sec, 1464739200);
    assert_int_equal(o->stop.sec, 1467331200);
    /* Nested windows intersect; an empty window never matches. */
    compile("([ipv4-addr:value = '198.51.100.1'] START t'2016-06-10T00:00:00Z' STOP "
            "t'2016-08-01T00:00:00Z') START t'2016-06-01T00:00:00Z' STOP "
            "t'2016-07-01T00:00:00Z'");
    o = find(FH_PATTERN_OBS_IPV4, "198.51.100.1");
    assert_int_equal(o->start.sec, 1465516800);
    assert_int_equal(o->stop.sec, 1467331200);
    compile("[ipv4-addr:value = '198.51.100.1'] START t'2016-07-01T00:00:00Z' STOP "
            "t'2016-06-01T00:00:00Z'");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "window is empty");
}

static void large_in_sets_keep_order_and_drop_duplicates(void **state)
{
    /* 30000 members, 10000 distinct: dedupe is O(n log n), order is kept. */
    fh_buf b;
    fh_buf_init(&b, 0);
    fh_buf_append_str(&b, "[ipv4-addr:value IN (");
    for (int i = 0; i < 30000; i++)
        fh_buf_appendf(&b, "%s'10.%d.%d.%d'", i ? ", " : "", (i % 10000) >> 16 & 255,
                       (i % 10000) >> 8 & 255, (i % 10000) & 255);
    fh_buf_append_str(&b, ")]");
    fh_pattern *p = NULL;
    assert_int_equal(fh_pattern_parse(b.data, b.len, b.len, &p, NULL), FH_OK);
    fh_pattern_observables_cleanup(&compiled);
    assert_int_equal(fh_pattern_compile(p, &compiled), FH_OK);
    assert_int_equal(compiled.count, 10000);
    assert_string_equal(compiled.items[0].value, "10.0.0.0");
    assert_string_equal(compiled.items[1].value, "10.0.0.1");
    assert_string_equal(compiled.items[9999].value, "10.0.39.15");
    fh_pattern_free(p);
    fh_buf_cleanup(&b);
}

/* ---- not matchable ------------------------------------------------------------- */

static void valid_patterns_without_traffic_observables_compile_to_notes(void **state)
{
    compile("[file:name = 'x']");
    assert_int_equal(compiled.count, 0);
    assert_note(true, "file:name = 'x': a sensor sees addresses, domain names, URLs, file hashes "
                      "and ports, not file:name");
    compile("[process:pid > 4]");
    assert_int_equal(compiled.count, 0);
    assert_int_equal(compiled.note_count, 1);
    assert_int_equal(compiled.notes[0].column, 2);
    compile("[domain-name:value MATCHES '^evil']");
    assert_note(true, "MATCHES needs a regular-expression engine");
    compile("[ipv4-addr:value NOT = '198.51.100.1']");
    assert_note(true, "negated comparison");
    compile("[EXISTS domain-name:value]");
    assert_note(true, "EXISTS names no value");
    /* Partly matchable: the matchable part is listed, the rest noted. */
    compile("[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
            "'198.51.100.1/32']");
    assert_false(find(FH_PATTERN_OBS_DOMAIN, "www.5z8.info")->exact);
    assert_note(true, "domain-name:resolves_to_refs[*].value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ipv4_address_and_cidr, setup, teardown),
        cmocka_unit_test_setup_teardown(cidr_host_bits_are_cleared_with_a_note, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv6_is_printed_in_rfc5952_form, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_addresses_are_not_matchable, setup, teardown),
        cmocka_unit_test_setup_teardown(issuperset_matches_only_single_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(network_traffic_refs_keep_their_side, setup, teardown),
        cmocka_unit_test_setup_teardown(type_guards_fold_into_the_address, setup, teardown),
        cmocka_unit_test_setup_teardown(domain_names_are_normalized, setup, teardown),
        cmocka_unit_test_setup_teardown(like_with_a_leading_wildcard_label_is_a_suffix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(urls_lower_case_scheme_and_host_only, setup, teardown),
        cmocka_unit_test_setup_teardown(file_hashes_by_algorithm, setup, teardown),
        cmocka_unit_test_setup_teardown(ports_with_and_without_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(address_and_port_of_one_flow_fold_together, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(in_lists_expand_and_duplicates_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(large_in_sets_keep_order_and_drop_duplicates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(or_is_exact_and_is_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(qualifiers_affect_exactness_as_documented, setup, teardown),
        cmocka_unit_test_setup_teardown(valid_patterns_without_traffic_observables_compile_to_notes,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
