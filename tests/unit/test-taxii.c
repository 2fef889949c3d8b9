/*
 * Unit tests: the pure parts of lib/taxii: query filters, pagination
 * cursors, media types and credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/taxii.h"

#define ALL_FILTERS                                                                                \
    (FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT | FH_TAXII_F_ID |                 \
     FH_TAXII_F_TYPE | FH_TAXII_F_VERSION | FH_TAXII_F_SPEC_VERSION)

static fh_err parse1(const char *k, const char *v, fh_taxii_filter *f)
{
    fh_taxii_param p = {k, v};
    fh_buf err;
    fh_buf_init(&err, 0);
    fh_taxii_filter_init(f);
    fh_err rc = fh_taxii_filter_parse(&p, 1, ALL_FILTERS, f, &err);
    if (rc)
        assert_non_null(err.data); /* every refusal says why */
    fh_buf_cleanup(&err);
    return rc;
}

static void splits_types_on_commas(void **state)
{
    fh_taxii_filter f;
    assert_int_equal(parse1("match[type]", "indicator,sighting", &f), FH_OK);
    assert_int_equal(f.n_types, 2);
    assert_string_equal(f.types[1], "sighting");
    fh_taxii_filter_cleanup(&f);
}

static void refuses_empty_values_and_too_many(void **state)
{
    fh_taxii_filter f;
    assert_int_equal(parse1("match[type]", "indicator,", &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
    assert_int_equal(parse1("match[id]", "", &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
    char many[1024] = "";
    for (int i = 0; i < 150; i++)
        strncat(many, "a,", sizeof many - strlen(many) - 1);
    many[strlen(many) - 1] = '\0';
    assert_int_equal(parse1("match[type]", many, &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
}

static void versions_keywords_and_timestamps(void **state)
{
    fh_taxii_filter f;
    assert_int_equal(parse1("match[version]", "first,2018-03-02T01:01:01.123Z,last", &f), FH_OK);
    assert_true(f.version_first && f.version_last && !f.version_all);
    assert_int_equal(f.n_versions, 1);
    fh_taxii_filter_cleanup(&f);
    assert_int_equal(parse1("match[version]", "all,last", &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
    assert_int_equal(parse1("match[version]", "last,last", &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
    assert_int_equal(parse1("match[version]", "2018-13-02T01:01:01Z", &f), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
}

static void limit_must_be_positive(void **state)
{
    fh_taxii_filter f;
    assert_int_equal(parse1("limit", "5", &f), FH_OK);
    assert_int_equal(f.limit, 5);
    fh_taxii_filter_cleanup(&f);
    const char *bad[] = {"0", "-3", "", "1.5", "9999999999999"};
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++) {
        assert_int_equal(parse1("limit", bad[i], &f), FH_ERR_INVALID);
        fh_taxii_filter_cleanup(&f);
    }
}

static void added_after_to_microseconds(void **state)
{
    fh_taxii_filter f;
    assert_int_equal(parse1("added_after", "1970-01-01T00:00:01.0000019Z", &f), FH_OK);
    assert_true(f.has_added_after);
    assert_int_equal(f.added_after_us, 1000001); /* floor: > 1.0000019 s means >= 1.000002 */
    fh_taxii_filter_cleanup(&f);
}

static void repeated_parameter_is_refused_unknown_ignored(void **state)
{
    fh_taxii_param p[] = {{"match[type]", "a"}, {"match[color]", "red"}, {"match[type]", "b"}};
    fh_taxii_filter f;
    fh_taxii_filter_init(&f);
    fh_buf err;
    fh_buf_init(&err, 0);
    assert_int_equal(fh_taxii_filter_parse(p, 2, ALL_FILTERS, &f, &err), FH_OK);
    fh_taxii_filter_cleanup(&f);
    assert_int_equal(fh_taxii_filter_parse(p, 3, ALL_FILTERS, &f, &err), FH_ERR_INVALID);
    fh_taxii_filter_cleanup(&f);
    /* A filter the endpoint does not take is ignored, not an error. */
    assert_int_equal(fh_taxii_filter_parse(p, 3, FH_TAXII_F_LIMIT, &f, &err), FH_OK);
    assert_int_equal(f.n_types, 0);
    fh_taxii_filter_cleanup(&f);
    fh_buf_cleanup(&err);
}

static void digest_ignores_value_order_but_not_values(void **state)
{
    fh_taxii_filter a, b, c;
    uint8_t da[16], db[16], dc[16];
    parse1("match[type]", "indicator,malware", &a);
    parse1("match[type]", "malware,indicator", &b);
    parse1("match[type]", "malware", &c);
    fh_taxii_filter_digest(&a, "objects", "c1", NULL, da);
    fh_taxii_filter_digest(&b, "objects", "c1", NULL, db);
    fh_taxii_filter_digest(&c, "objects", "c1", NULL, dc);
    assert_memory_equal(da, db, 16);
    assert_memory_not_equal(da, dc, 16);
    fh_taxii_filter_digest(&a, "objects", "c2", NULL, db);
    assert_memory_not_equal(da, db, 16);
    fh_taxii_filter_cleanup(&a);
    fh_taxii_filter_cleanup(&b);
    fh_taxii_filter_cleanup(&c);
}

static void cursor_round_trip_and_tampering(void **state)
{
    uint8_t key[32] = {1, 2, 3}, other_key[32] = {9};
    uint8_t digest[16] = {7}, other_digest[16] = {8};
    char text[FH_TAXII_CURSOR_STRLEN];
    fh_taxii_cursor_encode(key, 1764322800123456, digest, text);
    int64_t pos = 0;
    assert_int_equal(fh_taxii_cursor_decode(key, text, digest, &pos), FH_OK);
    assert_int_equal(pos, 1764322800123456);
    assert_int_equal(fh_taxii_cursor_decode(key, text, other_digest, &pos), FH_ERR_CONFLICT);
    assert_int_equal(fh_taxii_cursor_decode(other_key, text, digest, &pos), FH_ERR_PARSE);
    text[5] = text[5] == '0' ? '1' : '0';
    assert_int_equal(fh_taxii_cursor_decode(key, text, digest, &pos), FH_ERR_PARSE);
    assert_int_equal(fh_taxii_cursor_decode(key, "abc", digest, &pos), FH_ERR_PARSE);
}

static void accept_header_negotiation(void **state)
{
    assert_true(fh_taxii_accept_ok(NULL));
    assert_true(fh_taxii_accept_ok("application/taxii+json;version=2.1"));
    assert_true(fh_taxii_accept_ok("application/taxii+json"));
    assert_true(fh_taxii_accept_ok("Application/TAXII+json ; version=\"2.1\""));
    assert_true(fh_taxii_accept_ok("text/html, application/taxii+json;version=2.1;q=0.5"));
    assert_true(fh_taxii_accept_ok("*/*"));
    assert_false(fh_taxii_accept_ok("application/json"));
    assert_false(fh_taxii_accept_ok("application/taxii+json;version=2.0"));
    assert_false(fh_taxii_accept_ok("application/taxii+json;version=2.1;q=0"));
    assert_false(fh_taxii_accept_ok(""));
}

static void content_type_must_be_taxii(void **state)
{
    assert_true(fh_taxii_content_type_ok("application/taxii+json;version=2.1"));
    assert_true(fh_taxii_content_type_ok("application/taxii+json"));
    assert_false(fh_taxii_content_type_ok(NULL));
    assert_false(fh_taxii_content_type_ok("application/json"));
    assert_false(fh_taxii_content_type_ok("*/*"));
    assert_false(fh_taxii_content_type_ok("application/taxii+json;version=2.0"));
}

static void credentials_bearer_and_basic(void **state)
{
    char out[128];
    assert_int_equal(fh_taxii_auth_token("Bearer abc123", out, sizeof out), FH_OK);
    assert_string_equal(out, "abc123");
    /* "user:tok" */
    assert_int_equal(fh_taxii_auth_token("Basic dXNlcjp0b2s=", out, sizeof out), FH_OK);
    assert_string_equal(out, "tok");
    /* ":tok" with an empty user name */
    assert_int_equal(fh_taxii_auth_token("basic OnRvaw==", out, sizeof out), FH_OK);
    assert_string_equal(out, "tok");
    assert_int_equal(fh_taxii_auth_token("Basic !!!", out, sizeof out), FH_ERR_AUTH);
    assert_int_equal(fh_taxii_auth_token("Basic dXNlcg==", out, sizeof out), FH_ERR_AUTH);
    assert_int_equal(fh_taxii_auth_token("Digest x", out, sizeof out), FH_ERR_AUTH);
    assert_int_equal(fh_taxii_auth_token("Bearer ", out, sizeof out), FH_ERR_AUTH);
    assert_int_equal(fh_taxii_auth_token(NULL, out, sizeof out), FH_ERR_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_types_on_commas),
        cmocka_unit_test(refuses_empty_values_and_too_many),
        cmocka_unit_test(versions_keywords_and_timestamps),
        cmocka_unit_test(limit_must_be_positive),
        cmocka_unit_test(added_after_to_microseconds),
        cmocka_unit_test(repeated_parameter_is_refused_unknown_ignored),
        cmocka_unit_test(digest_ignores_value_order_but_not_values),
        cmocka_unit_test(cursor_round_trip_and_tampering),
        cmocka_unit_test(accept_header_negotiation),
        cmocka_unit_test(content_type_must_be_taxii),
        cmocka_unit_test(credentials_bearer_and_basic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
