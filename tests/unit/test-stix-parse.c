/*
 * Unit tests: JSON limits (lib/json) and STIX containers, diagnostics and
 * identifiers (lib/stix/stix-parse.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/json.h"
#include "fenghuo/stix.h"

#define IND_ID    "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define BUNDLE_ID "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"

static fh_err parse(const char *doc, const fh_stix_limits *lim, json_t **objs,
                    fh_stix_container *kind, fh_stix_diags *d)
{
    return fh_stix_parse(doc, strlen(doc), lim, objs, kind, d);
}

/* True when some diagnostic has this path and contains this fragment. */
static bool has_diag(const fh_stix_diags *d, const char *path, const char *fragment)
{
    for (size_t i = 0; i < d->count; i++)
        if ((path == NULL || strcmp(d->items[i].path, path) == 0) &&
            strstr(d->items[i].message, fragment))
            return true;
    return false;
}

static void json_load_reports_line_and_column(void **state)
{
    fh_buf err;
    fh_buf_init(&err, 0);
    json_t *v = NULL;
    const char *doc = "{\n  \"a\": 1,\n  \"b\" 2\n}";
    assert_int_equal(fh_json_load(doc, strlen(doc), NULL, &v, &err), FH_ERR_PARSE);
    assert_null(v);
    assert_non_null(strstr(err.data, "line 3"));
    fh_buf_cleanup(&err);
}

static void json_load_rejects_duplicate_keys(void **state)
{
    json_t *v = NULL;
    const char *doc = "{\"id\":\"a\",\"id\":\"b\"}";
    assert_int_equal(fh_json_load(doc, strlen(doc), NULL, &v, NULL), FH_ERR_PARSE);
}

static void json_load_enforces_depth_and_size(void **state)
{
    fh_json_limits lim = {.max_bytes = 100, .max_depth = 3};
    fh_buf err;
    fh_buf_init(&err, 0);
    json_t *v = NULL;
    assert_int_equal(fh_json_load("[[[1]]]", 7, &lim, &v, &err), FH_OK);
    assert_int_equal(fh_json_depth(v), 3);
    json_decref(v);
    assert_int_equal(fh_json_load("[[[[1]]]]", 9, &lim, &v, &err), FH_ERR_LIMIT);
    assert_non_null(strstr(err.data, "the limit is 3"));
    fh_buf_reset(&err);
    char big[200];
    memset(big, ' ', sizeof big);
    big[0] = '1';
    assert_int_equal(fh_json_load(big, sizeof big, &lim, &v, &err), FH_ERR_LIMIT);
    assert_non_null(strstr(err.data, "200 bytes"));
    fh_buf_cleanup(&err);
}

static void json_load_rejects_nul_in_strings(void **state)
{
    const char doc[] = "{\"a\":\"x\\u0000y\"}";
    json_t *v = NULL;
    assert_int_equal(fh_json_load(doc, sizeof doc - 1, NULL, &v, NULL), FH_ERR_PARSE);
}

static void canonical_json_sorts_keys_without_spaces(void **state)
{
    json_error_t e;
    json_t *v = json_loads("{\"b\": [1, 2], \"a\": {\"d\": true, \"c\": \"x\"}}", 0, &e);
    fh_buf out;
    fh_buf_init(&out, 0);
    assert_int_equal(fh_json_canonical(v, &out), FH_OK);
    assert_string_equal(out.data, "{\"a\":{\"c\":\"x\",\"d\":true},\"b\":[1,2]}");
    fh_buf_cleanup(&out);
    json_decref(v);
}

static char *canon(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
    assert_non_null(v);
    fh_buf out;
    fh_buf_init(&out, 0);
    assert_int_equal(fh_json_canonical(v, &out), FH_OK);
    json_decref(v);
    return fh_buf_steal(&out);
}

static void canonical_numbers_follow_ecmascript(void **state)
{
    /* The number examples of RFC 8785 section 3.2.2. */
    char *s = canon("[333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]");
    assert_string_equal(s, "[333333333.3333333,1e+30,4.5,0.002,1e-27]");
    free(s);
    s = canon("[-0.0, 100.0, 1e21, 1e20, 123456789012, -1.5e-7, 0.000001]");
    assert_string_equal(s, "[0,100,1e+21,100000000000000000000,123456789012,-1.5e-7,0.000001]");
    free(s);
}

static void canonical_strings_escape_as_ecmascript_does(void **state)
{
    /* RFC 8785 section 3.2.2's string example. */
    char *s = canon("\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"");
    assert_string_equal(s, "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
    free(s);
    s = canon("\"\\u007f\\b\\t\"");
    assert_string_equal(s, "\"\x7f\\b\\t\"");
    free(s);
}

static void canonical_keys_sort_by_utf16_code_units(void **state)
{
    /* RFC 8785 section 3.2.3's sorting example: U+1F600 (a surrogate pair)
     * sorts before U+FB33, unlike in a byte-wise sort. */
    char *s = canon("{\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,"
                    "\"\\ud83d\\ude00\":5,\"\\u0080\":6,\"\\u00f6\":7}");
    assert_string_equal(s, "{\"\\r\":2,\"1\":4,\"\xc2\x80\":6,\"\xc3\xb6\":7,"
                           "\"\xe2\x82\xac\":1,\"\xf0\x9f\x98\x80\":5,\"\xef\xac\xb3\":3}");
    free(s);
}

static void bundle_objects_are_returned(void **state)
{
    const char *doc = "{\"type\":\"bundle\",\"id\":\"" BUNDLE_ID "\",\"objects\":["
                      "{\"type\":\"indicator\",\"id\":\"" IND_ID "\"},{\"type\":\"x-a\"}]}";
    json_t *objs = NULL;
    fh_stix_container kind;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse(doc, NULL, &objs, &kind, &d), FH_OK);
    assert_int_equal(kind, FH_STIX_BUNDLE);
    assert_int_equal(json_array_size(objs), 2);
    assert_int_equal(d.errors, 0);
    json_decref(objs);
    fh_stix_diags_cleanup(&d);
}

static void bundle_without_valid_id_is_invalid(void **state)
{
    const char *doc = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[{\"type\":\"x\"}]}";
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse(doc, NULL, &objs, NULL, &d), FH_ERR_INVALID);
    assert_null(objs);
    assert_true(has_diag(&d, "$.id", "bundle--<UUID>"));
    fh_stix_diags_cleanup(&d);
}

static void bundle_with_empty_objects_is_invalid(void **state)
{
    const char *doc = "{\"type\":\"bundle\",\"id\":\"" BUNDLE_ID "\",\"objects\":[]}";
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse(doc, NULL, &objs, NULL, &d), FH_ERR_INVALID);
    assert_true(has_diag(&d, "$.objects", "must not be empty"));
    fh_stix_diags_cleanup(&d);
}

static void bundle_with_spec_version_gets_a_warning(void **state)
{
    const char *doc = "{\"type\":\"bundle\",\"id\":\"" BUNDLE_ID "\",\"spec_version\":\"2.0\","
                      "\"objects\":[{\"type\":\"x\"}]}";
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse(doc, NULL, &objs, NULL, &d), FH_OK);
    assert_int_equal(d.warnings, 1);
    assert_true(has_diag(&d, "$.spec_version", "STIX 2.0"));
    json_decref(objs);
    fh_stix_diags_cleanup(&d);
}

static void envelope_array_and_single_object_are_recognized(void **state)
{
    const char *docs[] = {"{\"more\":false,\"objects\":[{\"type\":\"a\"},{\"type\":\"b\"}]}",
                          "[{\"type\":\"a\"},{\"type\":\"b\"}]", "{}",
                          "{\"type\":\"indicator\",\"id\":\"" IND_ID "\"}"};
    fh_stix_container kinds[] = {FH_STIX_ENVELOPE, FH_STIX_ARRAY, FH_STIX_ENVELOPE, FH_STIX_OBJECT};
    size_t counts[] = {2, 2, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        json_t *objs = NULL;
        fh_stix_container kind;
        fh_stix_diags d;
        fh_stix_diags_init(&d);
        assert_int_equal(parse(docs[i], NULL, &objs, &kind, &d), FH_OK);
        assert_int_equal(kind, kinds[i]);
        assert_int_equal(json_array_size(objs), counts[i]);
        json_decref(objs);
        fh_stix_diags_cleanup(&d);
    }
}

static void envelope_with_wrong_types_is_invalid(void **state)
{
    const char *doc = "{\"more\":\"yes\",\"next\":5,\"objects\":[1]}";
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse(doc, NULL, &objs, NULL, &d), FH_ERR_INVALID);
    assert_true(has_diag(&d, "$.more", "boolean"));
    assert_true(has_diag(&d, "$.next", "string"));
    assert_true(has_diag(&d, "$", "$.objects[0]: must be a JSON object"));
    fh_stix_diags_cleanup(&d);
}

static void too_many_objects_names_the_limit(void **state)
{
    fh_stix_limits lim;
    fh_stix_limits_init(&lim);
    lim.max_objects = 2;
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse("[{},{},{}]", &lim, &objs, NULL, &d), FH_ERR_LIMIT);
    assert_true(has_diag(&d, "$", "3 objects; the limit is 2"));
    fh_stix_diags_cleanup(&d);
}

static void scalar_or_broken_document_is_a_parse_error(void **state)
{
    json_t *objs = NULL;
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    assert_int_equal(parse("42", NULL, &objs, NULL, &d), FH_ERR_PARSE);
    assert_true(has_diag(&d, "$", "'[' or '{' expected"));
    assert_int_equal(parse("not json", NULL, &objs, NULL, &d), FH_ERR_PARSE);
    assert_int_equal(d.errors, 2);
    assert_null(objs);
    fh_stix_diags_cleanup(&d);
}

static void diagnostics_format_as_id_path_message(void **state)
{
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    fh_stix_diags_add(&d, FH_DIAG_ERROR, IND_ID, "$.valid_until", "must be later than valid_from");
    fh_stix_diags_add(&d, FH_DIAG_WARNING, IND_ID, "$", "unknown property '%s'", "foo");
    fh_buf out;
    fh_buf_init(&out, 0);
    fh_stix_diag_format(&d.items[0], &out);
    assert_string_equal(out.data, IND_ID ": $.valid_until: must be later than valid_from");
    fh_buf_reset(&out);
    fh_stix_diag_format(&d.items[1], &out);
    assert_string_equal(out.data, IND_ID ": $: unknown property 'foo' (warning)");
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.warnings, 1);
    fh_buf_cleanup(&out);
    fh_stix_diags_cleanup(&d);
}

static void diagnostics_past_the_maximum_are_counted_not_lost(void **state)
{
    fh_stix_diags d;
    fh_stix_diags_init(&d);
    d.max_items = 3;
    for (int i = 0; i < 5; i++)
        fh_stix_diags_add(&d, FH_DIAG_ERROR, NULL, NULL, "error %d", i);
    assert_int_equal(d.count, 3);
    assert_int_equal(d.dropped, 2);
    assert_int_equal(d.errors, 5);
    fh_stix_diags_cleanup(&d);
}

static void identifiers_follow_type_and_uuid_rules(void **state)
{
    assert_true(fh_stix_id_valid(IND_ID, "indicator"));
    assert_true(fh_stix_id_valid(IND_ID, NULL));
    assert_false(fh_stix_id_valid(IND_ID, "malware"));
    assert_false(fh_stix_id_valid("indicator--8E2E2D2B-17d4-4cbf-938f-98ee46b3cd3f", NULL));
    assert_false(fh_stix_id_valid("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
    assert_false(fh_stix_id_valid("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
    /* variant bits 0xxx: not an RFC 4122 UUID */
    assert_false(fh_stix_id_valid("indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", NULL));
    assert_false(fh_stix_id_valid("in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL));
    assert_false(fh_stix_id_valid(NULL, NULL));
    assert_true(fh_stix_type_name_valid("x-acme-widget"));
    assert_false(fh_stix_type_name_valid("1abc"));
    assert_false(fh_stix_type_name_valid("ab"));
    assert_false(fh_stix_type_name_valid("has_underscore"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_load_reports_line_and_column),
        cmocka_unit_test(json_load_rejects_duplicate_keys),
        cmocka_unit_test(json_load_enforces_depth_and_size),
        cmocka_unit_test(json_load_rejects_nul_in_strings),
        cmocka_unit_test(canonical_json_sorts_keys_without_spaces),
        cmocka_unit_test(canonical_numbers_follow_ecmascript),
        cmocka_unit_test(canonical_strings_escape_as_ecmascript_does),
        cmocka_unit_test(canonical_keys_sort_by_utf16_code_units),
        cmocka_unit_test(bundle_objects_are_returned),
        cmocka_unit_test(bundle_without_valid_id_is_invalid),
        cmocka_unit_test(bundle_with_empty_objects_is_invalid),
        cmocka_unit_test(bundle_with_spec_version_gets_a_warning),
        cmocka_unit_test(envelope_array_and_single_object_are_recognized),
        cmocka_unit_test(envelope_with_wrong_types_is_invalid),
        cmocka_unit_test(too_many_objects_names_the_limit),
        cmocka_unit_test(scalar_or_broken_document_is_a_parse_error),
        cmocka_unit_test(diagnostics_format_as_id_path_message),
        cmocka_unit_test(diagnostics_past_the_maximum_are_counted_not_lost),
        cmocka_unit_test(identifiers_follow_type_and_uuid_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
