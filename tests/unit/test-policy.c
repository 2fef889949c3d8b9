/*
 * Unit tests: the sharing policy's vocabulary (lib/policy): TLP 1.0 and 2.0
 * marking ids, the effective TLP of an object (most restrictive wins,
 * granular markings), level names, the STIX objects that publish sharing
 * groups, and Crypto-PAn against the reference implementation's sample
 * trace and the prefix-preservation property.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/policy.h"
#include "fenghuo/stix.h"

#define CLEAR2  "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define GREEN2  "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define AMBER2  "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define STRICT2 "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define RED2    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define WHITE1  "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define GREEN1  "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define AMBER1  "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define RED1    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

static fh_tlp tlp_of_json(const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    assert_non_null(o);
    fh_tlp t = fh_policy_object_tlp(o);
    json_decref(o);
    return t;
}

static void tlp1_and_tlp2_ids_map_to_levels(void **state)
{
    (void)state;
    assert_int_equal(fh_policy_tlp_of_marking(CLEAR2), FH_TLP_CLEAR);
    assert_int_equal(fh_policy_tlp_of_marking(WHITE1), FH_TLP_CLEAR);
    assert_int_equal(fh_policy_tlp_of_marking(GREEN1), FH_TLP_GREEN);
    assert_int_equal(fh_policy_tlp_of_marking(GREEN2), FH_TLP_GREEN);
    assert_int_equal(fh_policy_tlp_of_marking(AMBER1), FH_TLP_AMBER);
    assert_int_equal(fh_policy_tlp_of_marking(AMBER2), FH_TLP_AMBER);
    assert_int_equal(fh_policy_tlp_of_marking(STRICT2), FH_TLP_AMBER_STRICT);
    assert_int_equal(fh_policy_tlp_of_marking(RED1), FH_TLP_RED);
    assert_int_equal(fh_policy_tlp_of_marking(RED2), FH_TLP_RED);
}

static void other_markings_are_not_tlp(void **state)
{
    (void)state;
    assert_int_equal(fh_policy_tlp_of_marking(NULL), FH_TLP_NONE);
    assert_int_equal(fh_policy_tlp_of_marking(""), FH_TLP_NONE);
    assert_int_equal(
        fh_policy_tlp_of_marking("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c2"),
        FH_TLP_NONE);
    assert_int_equal(fh_policy_tlp_of_marking(RED2 "x"), FH_TLP_NONE);
}

static void object_without_markings_has_no_tlp(void **state)
{
    (void)state;
    assert_int_equal(tlp_of_json("{\"type\":\"indicator\"}"), FH_TLP_NONE);
    assert_int_equal(tlp_of_json("{\"object_marking_refs\":[]}"), FH_TLP_NONE);
    assert_int_equal(tlp_of_json("{\"object_marking_refs\":[\"marking-definition--0d1b5c3e-5a33-"
                                 "4f6e-9a9e-2d7c3c1b0f00\"]}"),
                     FH_TLP_NONE);
    assert_int_equal(tlp_of_json("[1,2]"), FH_TLP_NONE);
}

static void most_restrictive_marking_wins(void **state)
{
    (void)state;
    assert_int_equal(
        tlp_of_json("{\"object_marking_refs\":[\"" CLEAR2 "\",\"" STRICT2 "\",\"" GREEN1 "\"]}"),
        FH_TLP_AMBER_STRICT);
    assert_int_equal(tlp_of_json("{\"object_marking_refs\":[\"" RED1 "\",\"" WHITE1 "\"]}"),
                     FH_TLP_RED);
    assert_int_equal(tlp_of_json("{\"object_marking_refs\":[\"" AMBER1 "\",\"" GREEN2 "\"]}"),
                     FH_TLP_AMBER);
}

#define INDICATOR                                                                                  \
    "\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-"      \
    "938f-98ee46b3cd3f\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:"   \
    "00:00.000Z\",\"pattern\":\"[ipv4-addr:value = '203.0.113.7']\",\"pattern_type\":\"stix\","    \
    "\"valid_from\":\"2026-01-01T00:00:00Z\",\"name\":\"n\",\"description\":\"d\""

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    assert_non_null(o);
    return o;
}

static void granular_markings_do_not_set_the_object_tlp(void **state)
{
    (void)state;
    assert_int_equal(tlp_of_json("{\"granular_markings\":[{\"marking_ref\":\"" RED2
                                 "\",\"selectors\":[\"name\"]}]}"),
                     FH_TLP_NONE);
}

static void granular_marking_on_a_required_property_restricts_the_whole_object(void **state)
{
    (void)state;
    json_t *o = load("{" INDICATOR ",\"granular_markings\":[{\"marking_ref\":\"" RED2
                     "\",\"selectors\":[\"pattern\"]},{\"marking_ref\":\"" AMBER2
                     "\",\"selectors\":[\"description\"]}]}");
    fh_tlp whole, partial;
    fh_policy_granular_tlp(o, &whole, &partial);
    assert_int_equal(whole, FH_TLP_RED);
    assert_int_equal(partial, FH_TLP_RED);
    json_decref(o);
}

static void granular_marking_on_an_optional_property_restricts_that_property(void **state)
{
    (void)state;
    json_t *o = load("{" INDICATOR ",\"granular_markings\":[{\"marking_ref\":\"" RED2
                     "\",\"selectors\":[\"description\",\"name\"]},{\"marking_ref\":\"" GREEN2
                     "\",\"selectors\":[\"pattern\"]},{\"marking_ref\":\"" CLEAR2
                     "\",\"selectors\":[\"name\"]}]}");
    fh_tlp whole, partial;
    fh_policy_granular_tlp(o, &whole, &partial);
    assert_int_equal(whole, FH_TLP_GREEN);
    assert_int_equal(partial, FH_TLP_RED);
    /* A reader cleared up to AMBER+STRICT loses description and name, and
     * the markings that select them; the GREEN one on pattern stays. */
    fh_policy_redact(o, FH_TLP_AMBER_STRICT);
    assert_null(json_object_get(o, "description"));
    assert_null(json_object_get(o, "name"));
    assert_non_null(json_object_get(o, "pattern"));
    json_t *g = json_object_get(o, "granular_markings");
    assert_int_equal(json_array_size(g), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(g, 0), "marking_ref")),
                        GREEN2);
    /* A reader cleared for RED loses nothing. */
    json_t *o2 = load("{" INDICATOR ",\"granular_markings\":[{\"marking_ref\":\"" RED2
                      "\",\"selectors\":[\"description\"]}]}");
    fh_policy_redact(o2, FH_TLP_RED);
    assert_non_null(json_object_get(o2, "description"));
    fh_policy_redact(o2, FH_TLP_GREEN);
    assert_null(json_object_get(o2, "description"));
    assert_null(json_object_get(o2, "granular_markings"));
    json_decref(o2);
    json_decref(o);
}

static void names_parse_and_print(void **state)
{
    (void)state;
    static const char *const names[] = {"clear", "green", "amber", "amber+strict", "red"};
    for (int i = 0; i < 5; i++) {
        fh_tlp t = FH_TLP_NONE;
        assert_int_equal(fh_policy_tlp_parse(names[i], &t), FH_OK);
        assert_int_equal(t, i);
        assert_string_equal(fh_policy_tlp_name(t), names[i]);
        assert_int_equal(fh_policy_tlp_of_marking(fh_policy_tlp_marking_id(t)), t);
    }
    fh_tlp t = FH_TLP_NONE;
    assert_int_equal(fh_policy_tlp_parse("WHITE", &t), FH_OK);
    assert_int_equal(t, FH_TLP_CLEAR);
    assert_int_equal(fh_policy_tlp_parse("amber-strict", &t), FH_ERR_INVALID);
    assert_int_equal(fh_policy_tlp_parse(NULL, &t), FH_ERR_INVALID);
    assert_string_equal(fh_policy_tlp_name(FH_TLP_NONE), "none");
    assert_null(fh_policy_tlp_marking_id(FH_TLP_NONE));
}

static void group_marking_names_members_through_the_extension(void **state)
{
    (void)state;
    json_t *members = json_pack("[s,s]", "identity--a", "identity--b");
    json_t *m = fh_policy_group_marking("marking-definition--1", "ops", "2026-01-01T00:00:00.000Z",
                                        members);
    json_decref(members);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "type")), "marking-definition");
    assert_string_equal(json_string_value(json_object_get(m, "name")),
                        "fenghuo sharing group: ops");
    json_t *ext = json_object_get(json_object_get(m, "extensions"), FH_POLICY_GROUP_EXTENSION);
    assert_non_null(ext);
    assert_string_equal(json_string_value(json_object_get(ext, "extension_type")),
                        "property-extension");
    assert_int_equal(json_array_size(json_object_get(ext, "members")), 2);
    json_decref(m);

    json_t *d = fh_policy_group_extension_definition();
    assert_string_equal(json_string_value(json_object_get(d, "id")), FH_POLICY_GROUP_EXTENSION);
    assert_string_equal(json_string_value(json_object_get(d, "type")), "extension-definition");
    assert_non_null(json_object_get(d, "schema"));
    json_decref(d);
}

/* ---- Crypto-PAn ----------------------------------------------------------- */

/* The key of the Crypto-PAn reference distribution's sample trace. */
static const uint8_t reference_key[32] = {21,  34, 23,  141, 51, 164, 207, 128, 19,  10,  91,
                                          22,  73, 144, 125, 16, 216, 152, 143, 131, 121, 121,
                                          101, 39, 98,  87,  76, 45,  42,  132, 34,  2};

static void v4(const fh_policy_cryptopan *c, const char *in, char out[INET_ADDRSTRLEN])
{
    uint8_t a[4], b[4];
    assert_int_equal(inet_pton(AF_INET, in, a), 1);
    fh_policy_cryptopan_v4(c, a, b);
    assert_non_null(inet_ntop(AF_INET, b, out, INET_ADDRSTRLEN));
}

static void cryptopan_matches_the_reference_sample_trace(void **state)
{
    (void)state;
    /* Pairs of sample_trace_raw.dat / sample_trace_sanitized.dat of the
     * reference implementation (as its ports' test suites list them). */
    static const char *const pairs[][2] = {
        {"128.11.68.132", "135.242.180.132"},   {"129.118.74.4", "134.136.186.123"},
        {"130.132.252.244", "133.68.164.234"},  {"141.223.7.43", "141.167.8.160"},
        {"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
        {"156.29.3.236", "147.225.12.42"},      {"165.247.96.84", "162.9.99.234"},
        {"166.107.77.190", "160.132.178.185"},  {"192.102.249.13", "252.138.62.131"},
        {"192.215.32.125", "252.43.47.189"},    {"192.233.80.103", "252.25.108.8"},
        {"192.41.57.43", "252.222.221.184"},    {"193.150.244.223", "253.169.52.216"},
        {"195.205.63.100", "255.186.223.5"},
    };
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(reference_key);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char out[INET_ADDRSTRLEN];
        v4(c, pairs[i][0], out);
        assert_string_equal(out, pairs[i][1]);
    }
    /* In place gives the same. */
    uint8_t a[4] = {128, 11, 68, 132};
    fh_policy_cryptopan_v4(c, a, a);
    assert_memory_equal(a, ((uint8_t[]){135, 242, 180, 132}), 4);
    fh_policy_cryptopan_free(c);
    fh_policy_cryptopan_free(NULL);
}

/* Length of the common prefix of two addresses, in bits. */
static unsigned common_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    for (unsigned i = 0; i < bits; i++)
        if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
            return i;
    return bits;
}

static void cryptopan_preserves_exactly_the_common_prefix(void **state)
{
    (void)state;
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 37 + 11);
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(key);
    uint32_t x = 12345;
    for (int round = 0; round < 300; round++) {
        uint8_t a[16], b[16], pa[16], pb[16];
        for (int i = 0; i < 16; i++) {
            x = x * 1103515245u + 12345u;
            a[i] = (uint8_t)(x >> 16);
            x = x * 1103515245u + 12345u;
            b[i] = (uint8_t)(x >> 16);
        }
        /* Make them share a random prefix first. */
        unsigned share = (unsigned)(x >> 8) % 129;
        for (unsigned i = 0; i < share; i++) {
            uint8_t bit = (uint8_t)(1u << (7 - i % 8));
            b[i / 8] = (uint8_t)((b[i / 8] & ~bit) | (a[i / 8] & bit));
        }
        fh_policy_cryptopan_v6(c, a, pa);
        fh_policy_cryptopan_v6(c, b, pb);
        assert_int_equal(common_prefix(pa, pb, 128), common_prefix(a, b, 128));
        fh_policy_cryptopan_v4(c, a, pa);
        fh_policy_cryptopan_v4(c, b, pb);
        assert_int_equal(common_prefix(pa, pb, 32), common_prefix(a, b, 32));
    }
    fh_policy_cryptopan_free(c);
}

/* ---- victim privacy ---------------------------------------------------------- */

static fh_policy_prefix prefix(const char *text)
{
    fh_policy_prefix p;
    assert_int_equal(fh_policy_prefix_parse(text, &p), FH_OK);
    return p;
}

static void prefixes_parse_print_and_contain(void **state)
{
    (void)state;
    static const char *const good[] = {"198.51.100.7",  "198.51.100.0/24", "0.0.0.0/0",
                                       "2001:db8::1",   "2001:db8::/32",   "::/0",
                                       "::ffff:1.2.3.4"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        fh_policy_prefix p = prefix(good[i]);
        char out[64];
        fh_policy_prefix_format(&p, out, sizeof out);
        assert_string_equal(out, good[i]);
    }
    static const char *const bad[] = {"",           "banana",      "1.2.3",          "1.2.3.4/33",
                                      "1.2.3.4/",   "1.2.3.4/024", "2001:db8::/129", "1.2.3.4/-1",
                                      "1.2.3.4/2x", "/24"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fh_policy_prefix p;
        assert_int_equal(fh_policy_prefix_parse(bad[i], &p), FH_ERR_INVALID);
    }
    fh_policy_prefix net = prefix("198.51.100.0/24"), host = prefix("198.51.100.7");
    fh_policy_prefix half = prefix("198.51.100.128/25"), other = prefix("198.51.101.7");
    fh_policy_prefix six = prefix("2001:db8::/32");
    assert_true(fh_policy_prefix_within(&host, &net));
    assert_true(fh_policy_prefix_within(&half, &net));
    assert_true(fh_policy_prefix_within(&net, &net));
    assert_false(fh_policy_prefix_within(&net, &half));
    assert_false(fh_policy_prefix_within(&other, &net));
    assert_false(fh_policy_prefix_within(&host, &six));
    fh_policy_prefix in6 = prefix("2001:db8:ffff::1");
    assert_true(fh_policy_prefix_within(&in6, &six));
    /* Ranges sort as addresses do, families apart. */
    uint8_t lo[17], hi[17];
    assert_int_equal(fh_policy_prefix_range(&net, lo, hi), 5);
    assert_memory_equal(lo, ((uint8_t[]){4, 198, 51, 100, 0}), 5);
    assert_memory_equal(hi, ((uint8_t[]){4, 198, 51, 100, 255}), 5);
    assert_int_equal(fh_policy_prefix_range(&six, lo, hi), 17);
    assert_int_equal(lo[0], 6);
    assert_int_equal(hi[4], 0xb8);
    assert_int_equal(hi[5], 0xff);
    assert_int_equal(hi[16], 0xff);
    assert_int_equal(lo[16], 0);
}

static void prefix_pseudonyms_keep_their_length_and_contain_their_members(void **state)
{
    (void)state;
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(reference_key);
    uint32_t x = 777;
    for (int round = 0; round < 200; round++) {
        fh_policy_prefix p = {.family = round % 2 ? 6 : 4, .has_len = true};
        unsigned bits = p.family == 6 ? 128 : 32;
        for (int i = 0; i < 16; i++) {
            x = x * 1103515245u + 12345u;
            p.addr[i] = (uint8_t)(x >> 16);
        }
        if (p.family == 4)
            memset(p.addr + 4, 0, 12);
        p.len = (uint8_t)((x >> 4) % (bits + 1));
        fh_policy_prefix member = p, pp, pm, masked = p;
        member.has_len = false;
        member.len = (uint8_t)bits;
        fh_policy_prefix_mask(&masked);
        fh_policy_prefix_pseudonym(c, &p, &pp);
        fh_policy_prefix_pseudonym(c, &member, &pm);
        /* The length stays, no bit after it is set, host bits of the input
         * do not matter, and members map inside the pseudonym. */
        assert_int_equal(pp.len, p.len);
        assert_true(pp.has_len);
        fh_policy_prefix again = pp;
        fh_policy_prefix_mask(&again);
        assert_memory_equal(again.addr, pp.addr, 16);
        fh_policy_prefix pq;
        fh_policy_prefix_pseudonym(c, &masked, &pq);
        assert_memory_equal(pq.addr, pp.addr, 16);
        assert_true(fh_policy_prefix_within(&pm, &pp));
        /* A single address is its Crypto-PAn pseudonym. */
        uint8_t direct[16];
        if (p.family == 6)
            fh_policy_cryptopan_v6(c, member.addr, direct);
        else
            fh_policy_cryptopan_v4(c, member.addr, direct);
        assert_memory_equal(direct, pm.addr, bits / 8);
    }
    /* The reference trace, through prefixes: 128.11.68.132 -> 135.242.180.132. */
    fh_policy_prefix p = prefix("128.11.68.0/24"), q;
    fh_policy_prefix_pseudonym(c, &p, &q);
    char out[64];
    fh_policy_prefix_format(&q, out, sizeof out);
    assert_string_equal(out, "135.242.180.0/24");
    fh_policy_cryptopan_free(c);
}

/* The store of the test below: objects by id. */
static const json_t *resolve_in(void *ctx, const char *id)
{
    return json_object_get(ctx, id);
}

static json_t *address(const char *value)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", strchr(value, ':') ? "ipv6-addr" : "ipv4-addr",
                          "spec_version", "2.1", "value", value);
    char id[128];
    assert_int_equal(fh_stix_sco_id(o, id, sizeof id), FH_OK);
    json_object_set_new(o, "id", json_string(id));
    return o;
}

static void assert_valid(const json_t *o)
{
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_object(o, 0, &opts, &d), FH_OK);
    fh_stix_diags_cleanup(&d);
}

static void pseudonymize_rewrites_victims_and_follows_references(void **state)
{
    (void)state;
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(reference_key);
    fh_policy_prefix nets[2] = {prefix("128.11.0.0/16"), prefix("2001:db8:a::/48")};
    json_t *victim = address("128.11.68.132"), *attacker = address("203.0.113.9");
    json_t *victim6 = address("2001:db8:a::7"), *cidr = address("128.11.68.0/24");
    json_t *randomid =
        json_pack("{s:s,s:s,s:s,s:s}", "type", "ipv4-addr", "spec_version", "2.1", "id",
                  "ipv4-addr--4b5e1c3a-2f4d-4e8b-9c1a-6d7e8f9a0b1c", "value", "128.11.1.1");
    json_t *flow =
        json_pack("{s:s,s:s,s:O,s:O,s:i,s:[s,s]}", "type", "network-traffic", "spec_version", "2.1",
                  "src_ref", json_object_get(attacker, "id"), "dst_ref",
                  json_object_get(victim, "id"), "dst_port", 22, "protocols", "ipv4", "tcp");
    char id[128];
    assert_int_equal(fh_stix_sco_id(flow, id, sizeof id), FH_OK);
    json_object_set_new(flow, "id", json_string(id));
    json_t *store = json_object();
    json_t *all[] = {victim, attacker, victim6, cidr, randomid, flow};
    for (size_t i = 0; i < 6; i++)
        json_object_set(store, json_string_value(json_object_get(all[i], "id")), all[i]);
    fh_policy_victims v = {.cp = c, .nets = nets, .n_nets = 2, .resolve = resolve_in, .ctx = store};

    /* An address inside: the value is its pseudonym, the id follows. */
    json_t *o = json_deep_copy(victim);
    bool changed = false;
    fh_policy_pseudonymize(o, &v, &changed);
    assert_true(changed);
    assert_string_equal(json_string_value(json_object_get(o, "value")), "135.242.180.132");
    assert_int_equal(fh_stix_sco_id(o, id, sizeof id), FH_OK);
    assert_string_equal(json_string_value(json_object_get(o, "id")), id);
    assert_valid(o);
    char victim_new[128];
    snprintf(victim_new, sizeof victim_new, "%s", id);
    json_decref(o);

    /* A prefix keeps its length. */
    o = json_deep_copy(cidr);
    fh_policy_pseudonymize(o, &v, &changed);
    assert_string_equal(json_string_value(json_object_get(o, "value")), "135.242.180.0/24");
    assert_valid(o);
    json_decref(o);

    /* Outside: unchanged. Without networks: unchanged. */
    o = json_deep_copy(attacker);
    fh_policy_pseudonymize(o, &v, &changed);
    assert_false(changed);
    assert_true(json_equal(o, attacker));
    fh_policy_victims none = v;
    none.n_nets = 0;
    json_decref(o);
    o = json_deep_copy(victim);
    fh_policy_pseudonymize(o, &none, &changed);
    assert_false(changed);
    assert_true(json_equal(o, victim));
    json_decref(o);

    /* A random (UUIDv4) id says nothing: it stays, the value changes. */
    o = json_deep_copy(randomid);
    fh_policy_pseudonymize(o, &v, &changed);
    assert_true(changed);
    assert_true(json_equal(json_object_get(o, "id"), json_object_get(randomid, "id")));
    assert_string_not_equal(json_string_value(json_object_get(o, "value")), "128.11.1.1");
    json_decref(o);

    /* network-traffic: dst_ref follows the victim, src_ref stays, new id. */
    o = json_deep_copy(flow);
    fh_policy_pseudonymize(o, &v, &changed);
    assert_true(changed);
    assert_string_equal(json_string_value(json_object_get(o, "dst_ref")), victim_new);
    assert_true(json_equal(json_object_get(o, "src_ref"), json_object_get(attacker, "id")));
    assert_int_equal(fh_stix_sco_id(o, id, sizeof id), FH_OK);
    assert_string_equal(json_string_value(json_object_get(o, "id")), id);
    assert_string_not_equal(id, json_string_value(json_object_get(flow, "id")));
    assert_valid(o);
    char flow_new[128];
    snprintf(flow_new, sizeof flow_new, "%s", id);
    json_decref(o);

    /* observed-data: every reference to a rewritten object follows; refs
     * the store does not know stay. */
    json_t *od = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:[O,O,O,O,s]}", "type", "observed-data", "spec_version",
        "2.1", "id", "observed-data--6f0a8a64-5d0e-4c55-8a1b-2b9c4f0e1d2a", "created",
        "2026-11-28T10:00:00.000Z", "modified", "2026-11-28T10:00:00.000Z", "first_observed",
        "2026-11-28T10:00:00Z", "last_observed", "2026-11-28T10:00:00Z", "number_observed", 1,
        "object_refs", json_object_get(attacker, "id"), json_object_get(victim, "id"),
        json_object_get(flow, "id"), json_object_get(victim6, "id"),
        "ipv4-addr--00000000-0000-5000-8000-000000000000");
    fh_policy_pseudonymize(od, &v, &changed);
    assert_true(changed);
    json_t *refs = json_object_get(od, "object_refs");
    assert_true(json_equal(json_array_get(refs, 0), json_object_get(attacker, "id")));
    assert_string_equal(json_string_value(json_array_get(refs, 1)), victim_new);
    assert_string_equal(json_string_value(json_array_get(refs, 2)), flow_new);
    assert_string_not_equal(json_string_value(json_array_get(refs, 3)),
                            json_string_value(json_object_get(victim6, "id")));
    assert_string_equal(json_string_value(json_array_get(refs, 4)),
                        "ipv4-addr--00000000-0000-5000-8000-000000000000");
    assert_valid(od);
    /* With a memo: the same answer, the second time from the memo. */
    fh_policy_victims memo = v;
    memo.memo = json_object();
    for (int round = 0; round < 2; round++) {
        json_t *again = json_pack("{s:s,s:O}", "type", "observed-data", "object_refs",
                                  json_object_get(od, "object_refs"));
        json_object_set_new(again, "object_refs",
                            json_pack("[O,O,O,O]", json_object_get(attacker, "id"),
                                      json_object_get(victim, "id"), json_object_get(flow, "id"),
                                      json_object_get(victim6, "id")));
        fh_policy_pseudonymize(again, &memo, &changed);
        assert_true(changed);
        for (size_t i = 0; i < 4; i++)
            assert_true(json_equal(json_array_get(json_object_get(again, "object_refs"), i),
                                   json_array_get(refs, i)));
        json_decref(again);
    }
    assert_int_equal(json_object_size(memo.memo), 4);
    json_decref(memo.memo);
    json_decref(od);

    /* The deprecated embedded dictionary: values only. */
    od = json_pack("{s:s,s:{s:{s:s,s:s},s:{s:s,s:s}}}", "type", "observed-data", "objects", "0",
                   "type", "ipv4-addr", "value", "128.11.68.132", "1", "type", "ipv4-addr", "value",
                   "203.0.113.9");
    fh_policy_pseudonymize(od, &v, &changed);
    assert_true(changed);
    json_t *emb = json_object_get(od, "objects");
    assert_string_equal(json_string_value(json_object_get(json_object_get(emb, "0"), "value")),
                        "135.242.180.132");
    assert_string_equal(json_string_value(json_object_get(json_object_get(emb, "1"), "value")),
                        "203.0.113.9");
    json_decref(od);

    /* Other objects are never touched. */
    json_t *ind = json_pack("{s:s,s:s}", "type", "indicator", "pattern",
                            "[ipv4-addr:value = '128.11.68.132']");
    json_t *copy = json_deep_copy(ind);
    fh_policy_pseudonymize(copy, &v, &changed);
    assert_false(changed);
    assert_true(json_equal(copy, ind));
    json_decref(copy);
    json_decref(ind);

    for (size_t i = 0; i < 6; i++)
        json_decref(all[i]);
    json_decref(store);
    fh_policy_cryptopan_free(c);
}

/* The pseudonym of value under nets, as text ("" when it stays). */
static void value_pseudonym(const fh_policy_cryptopan *c, const fh_policy_prefix *nets, size_t n,
                            const char *value, char out[64])
{
    json_t *o = address(value);
    fh_policy_victims v = {.cp = c, .nets = nets, .n_nets = n};
    bool changed = false;
    fh_policy_pseudonymize(o, &v, &changed);
    snprintf(out, 64, "%s", changed ? json_string_value(json_object_get(o, "value")) : "");
    if (changed)
        assert_valid(o);
    json_decref(o);
}

/* Whether text parses to the same address or prefix as want. */
static bool same_prefix(const char *text, const char *want)
{
    fh_policy_prefix a, b;
    return fh_policy_prefix_parse(text, &a) == FH_OK && fh_policy_prefix_parse(want, &b) == FH_OK &&
           a.family == b.family && a.len == b.len && memcmp(a.addr, b.addr, 16) == 0;
}

static void ipv6_values_that_embed_ipv4_are_judged_and_pseudonymized_as_ipv4(void **state)
{
    (void)state;
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(reference_key);
    /* The reference trace: 128.11.68.132 -> 135.242.180.132. */
    fh_policy_prefix nets[1] = {prefix("128.11.0.0/16")};
    char out[64];
    static const char *const cases[][2] = {
        {"::ffff:128.11.68.132", "::ffff:135.242.180.132"},     /* IPv4-mapped */
        {"::ffff:800b:4484", "::ffff:135.242.180.132"},         /* the same, in hex */
        {"::128.11.68.132", "::135.242.180.132"},               /* IPv4-compatible */
        {"64:ff9b::128.11.68.132", "64:ff9b::135.242.180.132"}, /* NAT64, RFC 6052 */
        {"::ffff:128.11.68.0/120", "::ffff:135.242.180.0/120"}, /* a /24 inside */
        {"64:ff9b::128.11.68.132/128", "64:ff9b::135.242.180.132/128"},
        {"2002:800b:4400::/40", "2002:87f2:b400::/40"}, /* 6to4 of a /24 */
        {"2002:800b:4484::/48", "2002:87f2:b484::/48"}, /* a 6to4 site */
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        value_pseudonym(c, nets, 1, cases[i][0], out);
        if (!same_prefix(out, cases[i][1]))
            fail_msg("%s became \"%s\", not %s", cases[i][0], out, cases[i][1]);
    }
    /* Outside the networks, or not an embedding (too short a prefix, ::
     * and ::1, another IPv6 prefix): unchanged. */
    static const char *const stay[] = {"::ffff:203.0.113.9", "::ffff:128.11.0.0/95",
                                       "64:ff9b:1::128.11.68.132", "2003:800b:4484::1",
                                       "2002:800b::/31"};
    for (size_t i = 0; i < FH_ARRAY_LEN(stay); i++) {
        value_pseudonym(c, nets, 1, stay[i], out);
        if (out[0])
            fail_msg("%s became %s", stay[i], out);
    }
    fh_policy_prefix all[1] = {prefix("0.0.0.0/0")};
    value_pseudonym(c, all, 1, "::1", out);
    assert_string_equal(out, "");
    value_pseudonym(c, all, 1, "::", out);
    assert_string_equal(out, "");
    value_pseudonym(c, all, 1, "::2", out); /* 0.0.0.2 in IPv4-compatible form */
    assert_string_not_equal(out, "");

    /* 6to4: the IPv4 part is the IPv4 pseudonym; the bits after it are the
     * IPv6 pseudonym's, so an interface id that repeats the IPv4 address
     * does not survive, and common prefixes are kept exactly. */
    value_pseudonym(c, nets, 1, "2002:800b:4484:1::800b:4484", out);
    fh_policy_prefix a = prefix(out), b;
    assert_memory_equal(a.addr, ((uint8_t[]){0x20, 0x02, 135, 242, 180, 132}), 6);
    assert_memory_not_equal(a.addr + 12, ((uint8_t[]){0x80, 0x0b, 0x44, 0x84}), 4);
    value_pseudonym(c, nets, 1, "2002:800b:4484:1:8000::", out);
    b = prefix(out);
    assert_memory_equal(a.addr, b.addr, 8);
    assert_int_not_equal(a.addr[8] & 0x80, b.addr[8] & 0x80); /* 64 bits in common, no more */

    /* What the embedding is. */
    fh_policy_prefix p = prefix("::ffff:128.11.68.0/120"), v4;
    assert_int_equal(fh_policy_prefix_embedded_v4(&p, &v4), 12);
    assert_int_equal(v4.family, 4);
    assert_int_equal(v4.len, 24);
    assert_memory_equal(v4.addr, ((uint8_t[]){128, 11, 68, 0}), 4);
    p = prefix("2002:800b:4484:1::1");
    assert_int_equal(fh_policy_prefix_embedded_v4(&p, &v4), 2);
    assert_int_equal(v4.len, 32);
    assert_memory_equal(v4.addr, ((uint8_t[]){128, 11, 68, 132}), 4);
    p = prefix("2001:db8::1");
    assert_int_equal(fh_policy_prefix_embedded_v4(&p, NULL), 0);
    p = prefix("128.11.68.132");
    assert_int_equal(fh_policy_prefix_embedded_v4(&p, NULL), 0);
    p = prefix("::ffff:128.11.68.132");
    assert_true(fh_policy_prefix_inside(&p, nets, 1));
    p = prefix("::ffff:128.12.68.132");
    assert_false(fh_policy_prefix_inside(&p, nets, 1));
    fh_policy_cryptopan_free(c);
}

/* own_nets of the test below: the networks of one SCO's own submitters. */
struct own_fixture {
    const char *id;
    fh_policy_prefix nets[1];
    json_t *store;
    int calls;
};

static const json_t *resolve_fixture(void *ctx, const char *id)
{
    return json_object_get(((struct own_fixture *)ctx)->store, id);
}

static const fh_policy_prefix *own_nets_fixture(void *ctx, const char *id, size_t *n)
{
    struct own_fixture *f = ctx;
    f->calls++;
    *n = strcmp(id, f->id) == 0 ? 1 : 0;
    return *n ? f->nets : NULL;
}

static void references_follow_the_referenced_sco_own_networks(void **state)
{
    (void)state;
    fh_policy_cryptopan *c = fh_policy_cryptopan_new(reference_key);
    json_t *victim = address("128.11.68.132"), *attacker = address("203.0.113.9");
    json_t *flow =
        json_pack("{s:s,s:s,s:O,s:O,s:i,s:[s,s]}", "type", "network-traffic", "spec_version", "2.1",
                  "src_ref", json_object_get(attacker, "id"), "dst_ref",
                  json_object_get(victim, "id"), "dst_port", 22, "protocols", "ipv4", "tcp");
    char id[128];
    assert_int_equal(fh_stix_sco_id(flow, id, sizeof id), FH_OK);
    json_object_set_new(flow, "id", json_string(id));
    struct own_fixture f = {.id = json_string_value(json_object_get(victim, "id")),
                            .nets = {prefix("128.11.0.0/16")},
                            .store = json_object()};
    json_t *all[] = {victim, attacker, flow};
    for (size_t i = 0; i < FH_ARRAY_LEN(all); i++)
        json_object_set(f.store, json_string_value(json_object_get(all[i], "id")), all[i]);

    /* What the victim's own submitters' readers get for it and its flow. */
    json_t *shown = json_deep_copy(victim);
    fh_policy_victims own = {.cp = c, .nets = f.nets, .n_nets = 1};
    bool changed = false;
    fh_policy_pseudonymize(shown, &own, &changed);
    assert_true(changed);
    json_t *shown_flow = json_deep_copy(flow);
    fh_policy_victims by_ref = {
        .cp = c, .resolve = resolve_fixture, .own_nets = own_nets_fixture, .ctx = &f};
    fh_policy_pseudonymize(shown_flow, &by_ref, &changed);
    assert_true(changed); /* no networks of its own: its reference follows the SCO's */
    assert_true(json_equal(json_object_get(shown_flow, "dst_ref"), json_object_get(shown, "id")));

    /* An observed-data whose submitter has no networks: its references name
     * the ids the reader gets for the victim and the flow, never the
     * originals; the attacker stays. */
    json_t *od = json_pack("{s:s,s:[O,O,O]}", "type", "observed-data", "object_refs",
                           json_object_get(attacker, "id"), json_object_get(victim, "id"),
                           json_object_get(flow, "id"));
    fh_policy_pseudonymize(od, &by_ref, &changed);
    assert_true(changed);
    json_t *refs = json_object_get(od, "object_refs");
    assert_true(json_equal(json_array_get(refs, 0), json_object_get(attacker, "id")));
    assert_true(json_equal(json_array_get(refs, 1), json_object_get(shown, "id")));
    assert_true(json_equal(json_array_get(refs, 2), json_object_get(shown_flow, "id")));
    assert_true(f.calls > 0);
    /* Without own_nets and networks: nothing changes (the rule before). */
    json_t *plain = json_pack("{s:s,s:[O]}", "type", "observed-data", "object_refs",
                              json_object_get(victim, "id"));
    by_ref.own_nets = NULL;
    fh_policy_pseudonymize(plain, &by_ref, &changed);
    assert_false(changed);
    json_decref(plain);
    json_decref(od);
    json_decref(shown);
    json_decref(shown_flow);
    for (size_t i = 0; i < FH_ARRAY_LEN(all); i++)
        json_decref(all[i]);
    json_decref(f.store);
    fh_policy_cryptopan_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tlp1_and_tlp2_ids_map_to_levels),
        cmocka_unit_test(other_markings_are_not_tlp),
        cmocka_unit_test(object_without_markings_has_no_tlp),
        cmocka_unit_test(most_restrictive_marking_wins),
        cmocka_unit_test(granular_markings_do_not_set_the_object_tlp),
        cmocka_unit_test(granular_marking_on_a_required_property_restricts_the_whole_object),
        cmocka_unit_test(granular_marking_on_an_optional_property_restricts_that_property),
        cmocka_unit_test(names_parse_and_print),
        cmocka_unit_test(group_marking_names_members_through_the_extension),
        cmocka_unit_test(cryptopan_matches_the_reference_sample_trace),
        cmocka_unit_test(cryptopan_preserves_exactly_the_common_prefix),
        cmocka_unit_test(prefixes_parse_print_and_contain),
        cmocka_unit_test(prefix_pseudonyms_keep_their_length_and_contain_their_members),
        cmocka_unit_test(pseudonymize_rewrites_victims_and_follows_references),
        cmocka_unit_test(ipv6_values_that_embed_ipv4_are_judged_and_pseudonymized_as_ipv4),
        cmocka_unit_test(references_follow_the_referenced_sco_own_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
