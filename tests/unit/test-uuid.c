/*
 * Unit tests: UUIDs (lib/util/util-uuid.c) and deterministic SCO identifiers
 * (lib/stix/stix-sco-id.c), checked against ids printed in the STIX 2.1
 * specification's examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/stix.h"
#include "fenghuo/uuid.h"

static void v4_has_version_and_variant_bits(void **state)
{
    for (int i = 0; i < 100; i++) {
        fh_uuid u;
        assert_int_equal(fh_uuid_v4(&u), FH_OK);
        assert_int_equal(fh_uuid_version(&u), 4);
        assert_true(fh_uuid_is_rfc4122(&u));
    }
}

static void v4_values_differ(void **state)
{
    fh_uuid a, b;
    assert_int_equal(fh_uuid_v4(&a), FH_OK);
    assert_int_equal(fh_uuid_v4(&b), FH_OK);
    assert_memory_not_equal(a.b, b.b, 16);
}

static void v5_matches_the_spec_example_for_ipv4(void **state)
{
    /* STIX 2.1 section 2.9 example: ipv4-addr 198.51.100.3. */
    const char name[] = "{\"value\":\"198.51.100.3\"}";
    fh_uuid u;
    char s[FH_UUID_STRLEN];
    fh_uuid_v5(&FH_UUID_STIX_SCO_NAMESPACE, name, strlen(name), &u);
    fh_uuid_format(&u, s);
    assert_string_equal(s, "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    assert_int_equal(fh_uuid_version(&u), 5);
}

static void format_and_parse_round_trip(void **state)
{
    fh_uuid u;
    char s[FH_UUID_STRLEN];
    const char *in = "00ABEDB4-aa42-466c-9c01-fed23315a9b7";
    assert_int_equal(fh_uuid_parse(in, strlen(in), &u), FH_OK);
    assert_memory_equal(u.b, FH_UUID_STIX_SCO_NAMESPACE.b, 16);
    fh_uuid_format(&u, s);
    assert_string_equal(s, "00abedb4-aa42-466c-9c01-fed23315a9b7");
}

static void parse_rejects_malformed_text(void **state)
{
    const char *bad[] = {
        "00abedb4aa42-466c-9c01-fed23315a9b7-", "00abedb4-aa42-466c-9c01-fed23315a9b",
        "00abedb4-aa42-466c-9c01-fed23315a9bg", "00abedb4+aa42-466c-9c01-fed23315a9b7", ""};
    fh_uuid u;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fh_uuid_parse(bad[i], strlen(bad[i]), &u), FH_ERR_PARSE);
}

static void check_sco_id(const char *json, const char *expected)
{
    json_error_t e;
    json_t *obj = json_loads(json, 0, &e);
    assert_non_null(obj);
    char id[128];
    assert_int_equal(fh_stix_sco_id(obj, id, sizeof id), FH_OK);
    assert_string_equal(id, expected);
    json_decref(obj);
}

static void sco_id_of_spec_examples(void **state)
{
    /* Ids as printed in the STIX 2.1 examples for these objects. */
    check_sco_id("{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"value\":\"198.51.100.3\"}",
                 "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
    check_sco_id("{\"type\":\"domain-name\",\"value\":\"example.com\","
                 "\"resolves_to_refs\":[\"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4\"]}",
                 "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
}

static void sco_id_uses_one_preferred_hash(void **state)
{
    json_error_t e;
    json_t *a =
        json_loads("{\"type\":\"file\",\"hashes\":{\"SHA-256\":\"aa\",\"MD5\":\"bb\"}}", 0, &e);
    json_t *b = json_loads("{\"type\":\"file\",\"hashes\":{\"MD5\":\"bb\"}}", 0, &e);
    char ida[128], idb[128];
    assert_int_equal(fh_stix_sco_id(a, ida, sizeof ida), FH_OK);
    assert_int_equal(fh_stix_sco_id(b, idb, sizeof idb), FH_OK);
    assert_string_equal(ida, idb);
    json_decref(a);
    json_decref(b);
}

static void sco_id_without_contributing_properties_is_notfound(void **state)
{
    json_error_t e;
    json_t *p = json_loads("{\"type\":\"process\",\"pid\":4}", 0, &e);
    json_t *c = json_loads("{\"type\":\"x-custom-thing\",\"value\":\"a\"}", 0, &e);
    char id[128];
    assert_int_equal(fh_stix_sco_id(p, id, sizeof id), FH_ERR_NOTFOUND);
    assert_int_equal(fh_stix_sco_id(c, id, sizeof id), FH_ERR_UNSUPPORTED);
    assert_true(fh_stix_is_sco_type("network-traffic"));
    assert_false(fh_stix_is_sco_type("indicator"));
    json_decref(p);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v4_has_version_and_variant_bits),
        cmocka_unit_test(v4_values_differ),
        cmocka_unit_test(v5_matches_the_spec_example_for_ipv4),
        cmocka_unit_test(format_and_parse_round_trip),
        cmocka_unit_test(parse_rejects_malformed_text),
        cmocka_unit_test(sco_id_of_spec_examples),
        cmocka_unit_test(sco_id_uses_one_preferred_hash),
        cmocka_unit_test(sco_id_without_contributing_properties_is_notfound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
