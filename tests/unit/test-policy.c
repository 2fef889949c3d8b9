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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
