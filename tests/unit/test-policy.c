/*
 * Unit tests: the sharing policy's vocabulary (lib/policy): TLP 1.0 and 2.0
 * marking ids, the effective TLP of an object (most restrictive wins,
 * granular markings count), level names, and the STIX objects that publish
 * sharing groups.
 */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
