/*
 * Unit tests: STIX 2.1 validation of common properties, SDOs, SROs and meta
 * objects (lib/stix/stix-validate.c, -sdo.c, -meta.c). Each test checks one
 * rule: the path and a fragment of the message, not only a count.
 */
#include "test-stix-validate.h"

/* Section 4.7's example indicator (the pattern's quotes written \u0027). */
static const char *const INDICATOR =
    "{'type':'indicator','spec_version':'2.1',"
    "'id':'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',"
    "'created_by_ref':'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',"
    "'created':'2016-04-06T20:03:48.000Z','modified':'2016-04-06T20:03:48.000Z',"
    "'indicator_types':['malicious-activity'],'name':'Poison Ivy Malware',"
    "'description':'This file is part of Poison Ivy',"
    "'pattern':'[ file:hashes.\\u0027SHA-256\\u0027 = "
    "\\u00274bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877\\u0027 ]',"
    "'pattern_type':'stix','valid_from':'2016-01-01T00:00:00Z'}";

static const char *const IPV4 = "{'type':'ipv4-addr','spec_version':'2.1',"
                                "'id':'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',"
                                "'value':'198.51.100.3'}";

static const char *const SIGHTING =
    "{'type':'sighting','spec_version':'2.1',"
    "'id':'sighting--ee20065d-2555-424f-ad9e-0f8428623c75',"
    "'created':'2016-04-06T20:08:31.000Z','modified':'2016-04-06T20:08:31.000Z',"
    "'first_seen':'2015-12-21T19:00:00Z','last_seen':'2015-12-21T19:00:00Z','count':50,"
    "'sighting_of_ref':'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',"
    "'observed_data_refs':['observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf'],"
    "'where_sighted_refs':['identity--b67d30ff-02ac-498a-92f9-32f845f448ff']}";

static const char *const RELATIONSHIP =
    "{'type':'relationship','spec_version':'2.1',"
    "'id':'relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e',"
    "'created':'2016-04-06T20:06:37.000Z','modified':'2016-04-06T20:06:37.000Z',"
    "'relationship_type':'indicates',"
    "'source_ref':'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',"
    "'target_ref':'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'}";

static const char *const LOCATION =
    "{'type':'location','spec_version':'2.1',"
    "'id':'location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64',"
    "'created':'2016-04-06T20:03:00.000Z','modified':'2016-04-06T20:03:00.000Z',"
    "'region':'northern-america'}";

static const char *const OBSERVED =
    "{'type':'observed-data','spec_version':'2.1',"
    "'id':'observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf',"
    "'created':'2016-04-06T19:58:16.000Z','modified':'2016-04-06T19:58:16.000Z',"
    "'first_observed':'2015-12-21T19:00:00Z','last_observed':'2015-12-21T19:00:00Z',"
    "'number_observed':50,'object_refs':['ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8']}";

static const char *const MALWARE = "{'type':'malware','spec_version':'2.1',"
                                   "'id':'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b',"
                                   "'created':'2016-04-06T20:07:09.000Z',"
                                   "'modified':'2016-04-06T20:07:09.000Z',"
                                   "'name':'Poison Ivy','is_family':true}";

static const char *const STATEMENT =
    "{'type':'marking-definition','spec_version':'2.1',"
    "'id':'marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd',"
    "'created':'2016-08-01T00:00:00.000Z','definition_type':'statement',"
    "'definition':{'statement':'Copyright 2019, Example Corp'}}";

static const char *const TLP_GREEN_1 =
    "{'type':'marking-definition','spec_version':'2.1',"
    "'id':'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',"
    "'created':'2017-01-20T00:00:00.000Z','definition_type':'tlp','name':'TLP:GREEN',"
    "'definition':{'tlp':'green'}}";

static const char *const EXTDEF =
    "{'id':'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e',"
    "'type':'extension-definition','spec_version':'2.1','name':'Extension Foo 1',"
    "'created':'2014-02-20T09:16:08.989000Z','modified':'2014-02-20T09:16:08.989000Z',"
    "'created_by_ref':'identity--11b76a96-5d2b-45e0-8a5a-f6994f370731',"
    "'schema':'https://www.example.com/schema-foo-1/v1/','version':'1.2.1',"
    "'extension_types':['property-extension']}";

#define D   fh_stix_diags d
#define END fh_stix_diags_cleanup(&d)

/* ==== the object and its identity ======================================== */

static void spec_indicator_example_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(INDICATOR, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void value_that_is_not_an_object_is_rejected_and_named_by_index(void **state)
{
    D;
    json_t *arr = json_array();
    fh_stix_validate_opts o;
    fh_stix_validate_opts_init(&o);
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_object(arr, 7, &o, &d), FH_ERR_INVALID);
    assert_string_equal(d.items[0].object_id, "(object 7)");
    assert_diag(&d, FH_DIAG_ERROR, "$", "must be a JSON object");
    json_decref(arr);
    END;
}

static void missing_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "type", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.type", "is required");
    END;
}

static void type_with_upper_case_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "type", "'Indicator'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.type", "is not a type name");
    END;
}

static void custom_type_with_double_hyphen_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'x-foo--bar','id':'x-foo--bar--4527e5de-8572-446a-"
                                 "a57a-706f15467461','x_a':1}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.type", "no '--'");
    END;
}

static void id_of_another_type_is_rejected(void **state)
{
    D;
    assert_int_equal(
        tv_variant(INDICATOR, "id", "'malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.id", "must be the object's type 'indicator'");
    END;
}

static void id_with_malformed_uuid_is_rejected_and_object_named_by_index(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "id", "'indicator--8e2e2d2b-17d4'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.id", "RFC 4122 UUID");
    assert_string_equal(d.items[0].object_id, "(object 0)");
    END;
}

static void missing_id_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "id", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.id", "is required");
    END;
}

static void sdo_with_uuid_version_1_gets_a_warning_only(void **state)
{
    D;
    assert_int_equal(
        tv_variant(INDICATOR, "id", "'indicator--1621d4d4-b67d-11e3-9670-f01faf20d111'", &d),
        FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.id", "SHOULD use UUIDv4");
    END;
}

/* ==== spec_version, created, modified ==================================== */

static void sdo_without_spec_version_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "spec_version", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.spec_version", "is required on STIX Domain Objects");
    END;
}

static void spec_version_2_0_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "spec_version", "'2.0'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.spec_version", "must be \"2.1\"");
    END;
}

static void sco_without_spec_version_is_valid(void **state)
{
    D;
    assert_int_equal(tv_variant(IPV4, "spec_version", NULL, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void sco_with_spec_version_2_0_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(IPV4, "spec_version", "'2.0'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.spec_version", "must be \"2.1\"");
    END;
}

static void sdo_without_created_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "created", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created", "is required");
    END;
}

static void sro_without_modified_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "modified", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.modified", "is required on STIX Relationship Objects");
    END;
}

static void modified_before_created_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "modified", "'2016-04-06T20:03:47.999Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.modified", "later than or equal to created");
    END;
}

static void modified_equal_to_created_is_valid(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "modified", "'2016-04-06T20:03:48.000000Z'", &d), FH_OK);
    END;
}

static void created_without_milliseconds_is_rejected(void **state)
{
    /* Section 3.2: "The minimum precision MUST be milliseconds". */
    D;
    assert_int_equal(tv_variant(INDICATOR, "created", "'2016-04-06T20:03:48Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created", "millisecond precision");
    END;
}

static void timestamp_with_offset_instead_of_z_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "valid_from", "'2016-01-01T00:00:00+01:00'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.valid_from", "must be a timestamp");
    END;
}

static void sco_with_created_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(IPV4, "created", "'2016-04-06T20:03:48.000Z'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created", "is not a property of STIX Cyber-observable");
    END;
}

static void defanged_on_sdo_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "defanged", "true", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.defanged", "is not a property of STIX Domain Objects");
    END;
}

static void defanged_on_sco_is_valid(void **state)
{
    D;
    assert_int_equal(tv_variant(IPV4, "defanged", "true", &d), FH_OK);
    END;
}

/* ==== common optional properties ========================================= */

static void created_by_ref_to_a_non_identity_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "created_by_ref",
                                "'malware--f431f809-377b-45e0-aa1c-6a4751cae5ff'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created_by_ref", "must refer to an object of type identity");
    END;
}

static void object_marking_ref_to_a_non_marking_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "object_marking_refs",
                                "['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',"
                                "'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff']",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_marking_refs[1]", "marking-definition");
    END;
}

static void empty_object_marking_refs_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "object_marking_refs", "[]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_marking_refs", "must not be an empty list");
    END;
}

static void confidence_above_100_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "confidence", "101", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.confidence", "from 0 to 100");
    END;
}

static void confidence_with_a_fraction_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "confidence", "50.5", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.confidence", "must be an integer");
    END;
}

static void confidence_0_and_100_are_valid(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "confidence", "0", &d), FH_OK);
    END;
    assert_int_equal(tv_variant(INDICATOR, "confidence", "100", &d), FH_OK);
    END;
}

static void revoked_as_a_string_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "revoked", "'true'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.revoked", "must be a boolean");
    END;
}

static void labels_with_a_number_are_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "labels", "['ok', 5]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.labels[1]", "must be a string");
    END;
}

static void lang_that_is_not_a_language_code_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "lang", "'english language'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.lang", "RFC 5646");
    END;
}

static void lang_with_script_subtag_is_valid(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "lang", "'zh-Hans-CN'", &d), FH_OK);
    END;
}

/* ==== external references ================================================ */

static void external_reference_without_source_name_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "external_references", "[{'external_id':'1370'}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.external_references[0].source_name", "is required");
    END;
}

static void external_reference_with_only_source_name_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "external_references", "[{'source_name':'veris'}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.external_references[0]",
                "at least one of description, url or external_id");
    END;
}

static void external_reference_with_short_md5_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "external_references",
                                "[{'source_name':'x','url':'https://example.com/',"
                                "'hashes':{'MD5':'3773a88f65a5e780c8dff9cdc3a056f'}}]",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.external_references[0].hashes.MD5", "32 hexadecimal");
    END;
}

static void external_reference_with_custom_hash_is_valid(void **state)
{
    /* Section 2.7's example: SHA-256 and a user-defined hash. */
    D;
    assert_int_equal(
        tv_variant(INDICATOR, "external_references",
                   "[{'source_name':'x','url':'https://example.com/','hashes':{"
                   "'SHA-256':'6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b',"
                   "'x_foo_hash':'aaaabbbbccccddddeeeeffff0123457890'}}]",
                   &d),
        FH_OK);
    assert_clean(&d);
    END;
}

static void hash_name_of_two_characters_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "external_references",
                                "[{'source_name':'x','url':'u:x','hashes':{'ab':'00'}}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.external_references[0].hashes.ab", "3..250");
    END;
}

static void capec_external_id_must_have_its_form(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "external_references",
                                "[{'source_name':'capec','external_id':'550'}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.external_references[0].external_id", "CAPEC-");
    END;
    assert_int_equal(tv_variant(INDICATOR, "external_references",
                                "[{'source_name':'capec','external_id':'CAPEC-550'}]", &d),
                     FH_OK);
    END;
}

/* ==== granular markings (section 7.2.3) =================================== */

static const char *const VULN =
    "{'id':'vulnerability--ee916c28-c7a4-4d0d-ad56-a8d357f89fef','spec_version':'2.1',"
    "'created':'2016-02-14T00:00:00.000Z','modified':'2016-02-14T00:00:00.000Z',"
    "'type':'vulnerability','name':'CVE-2014-0160','description':'The (1) TLS...',"
    "'external_references':[{'source_name':'cve','external_id':'CVE-2014-0160'}],"
    "'labels':['heartbleed','has-logo']}";

static fh_err granular(const char *markings, fh_stix_diags *d)
{
    return tv_variant(VULN, "granular_markings", markings, d);
}

#define GM_REF "'marking_ref':'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'"

static void spec_valid_selectors_resolve(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['description',"
                              "'external_references.[0].source_name','labels.[0]','labels',"
                              "'external_references']}]",
                              &d),
                     FH_OK);
    assert_clean(&d);
    END;
}

static void selector_of_absent_property_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['pattern']}]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors[0]", "not present");
    END;
}

static void selector_past_the_end_of_a_list_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['external_references.[3]']}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors[0]",
                "list item that is not present");
    END;
}

static void selector_indexing_a_string_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['description.[0]']}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors[0]", "not a list");
    END;
}

static void selector_naming_a_property_of_a_list_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['labels.name']}]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors[0]", "not an object");
    END;
}

static void selector_with_bad_index_syntax_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'selectors':['labels.[-1]']}]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors[0]", "non-negative integer");
    END;
}

static void granular_marking_with_lang_and_marking_ref_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{" GM_REF ",'lang':'de','selectors':['description']}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0]", "exactly one of marking_ref and lang");
    END;
}

static void granular_marking_with_neither_lang_nor_marking_ref_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{'selectors':['description']}]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0]", "exactly one of marking_ref and lang");
    END;
}

static void granular_marking_without_selectors_is_rejected(void **state)
{
    D;
    assert_int_equal(granular("[{'lang':'de','selectors':[]}]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.granular_markings[0].selectors", "empty list");
    END;
}

static void granular_language_marking_is_valid(void **state)
{
    D;
    assert_int_equal(granular("[{'lang':'de','selectors':['description']}]", &d), FH_OK);
    assert_clean(&d);
    END;
}

/* ==== property names and custom content ================================== */

static void reserved_property_severity_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "severity", "'high'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.severity", "reserved");
    END;
}

static void custom_x_property_is_accepted_silently(void **state)
{
    D;
    assert_int_equal(
        tv_variant(INDICATOR, "x_acme_org_scoring", "{'impact':'high','probability':'low'}", &d),
        FH_OK);
    assert_clean(&d);
    END;
}

static void unknown_property_gets_a_warning(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "score", "5", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.score", "not a property of indicator");
    END;
}

static void unknown_property_warning_can_be_turned_off(void **state)
{
    D;
    json_t *o = tv_load(INDICATOR);
    json_object_set_new(o, "score", json_integer(5));
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    opts.warn_unknown_properties = false;
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_object(o, 0, &opts, &d), FH_OK);
    assert_int_equal(d.warnings, 0);
    json_decref(o);
    END;
}

static void property_name_with_upper_case_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "x_Score", "5", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.x_Score", "a-z 0-9 _");
    END;
}

static void custom_ref_property_must_hold_an_identifier(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "x_acme_source_ref", "'somewhere'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.x_acme_source_ref", "must be an identifier");
    END;
}

static void custom_hex_property_must_be_lower_case_hex(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "x_acme_flags_hex", "'0A'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.x_acme_flags_hex", "hex");
    END;
}

static void deprecated_custom_object_is_accepted(void **state)
{
    /* Section 11.2's example. */
    D;
    assert_int_equal(
        tv_validate("{'type':'x-example-com-customobject',"
                    "'id':'x-example-com-customobject--4527e5de-8572-446a-a57a-706f15467461',"
                    "'created':'2016-08-01T00:00:00.000Z','modified':'2016-08-01T00:00:00.000Z',"
                    "'some_custom_stuff':14,'other_custom_stuff':'hello'}",
                    &d),
        FH_OK);
    assert_clean(&d);
    END;
}

/* ==== extensions =========================================================== */

static void empty_extensions_are_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions", "{}", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions", "empty dictionary");
    END;
}

static void property_extension_is_valid(void **state)
{
    /* Section 7.3's "adding properties to an existing STIX object". */
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'extension_type':'property-extension','rank':5,'toxicity':8}}",
                                &d),
                     FH_OK);
    assert_clean(&d);
    END;
}

static void extension_without_extension_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'rank':5}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR,
                "$.extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e",
                "must have extension_type");
    END;
}

static void extension_type_outside_the_enumeration_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'extension_type':'property_extension','rank':5}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR,
                "$.extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
                ".extension_type",
                "must be one of");
    END;
}

static void extension_property_with_hyphen_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'extension_type':'property-extension','my-rank':5}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR,
                "$.extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
                ".my-rank",
                "extension property names");
    END;
}

static void toplevel_property_extension_allows_its_properties_without_warning(void **state)
{
    D;
    json_t *o = tv_load(INDICATOR);
    json_object_set_new(o, "rank", json_integer(1));
    json_object_set_new(o, "extensions",
                        tv_loads("{'extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1':"
                                 "{'extension_type':'toplevel-property-extension'}}",
                                 0));
    assert_int_equal(tv_validate_obj(o, &d), FH_OK);
    assert_clean(&d);
    json_decref(o);
    END;
}

static void new_sdo_extension_on_a_specification_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'extension_type':'new-sdo'}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR,
                "$.extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
                ".extension_type",
                "defines a new object type");
    END;
}

static void new_sdo_object_needs_the_sdo_common_properties(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'my-favorite-sdo',"
                                 "'id':'my-favorite-sdo--ac97aae4-83f1-46ca-a351-7aeb76678189',"
                                 "'name':'x','extensions':{'extension-definition--9c59fd79-4215-"
                                 "4ba2-920d-3e4f320e1e62':{'extension_type':'new-sdo'}}}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created", "is required on STIX Domain Objects");
    assert_diag(&d, FH_DIAG_ERROR, "$.spec_version", "is required");
    END;
}

/* ==== SDOs ================================================================= */

static void indicator_valid_until_before_valid_from_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "valid_until", "'2015-12-31T23:59:59Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.valid_until", "must be later than valid_from");
    END;
}

static void indicator_valid_until_equal_to_valid_from_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "valid_until", "'2016-01-01T00:00:00.000Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.valid_until", "must be later than valid_from");
    END;
}

static void indicator_without_pattern_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "pattern", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.pattern", "is required");
    END;
}

static void indicator_without_pattern_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "pattern_type", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.pattern_type", "is required");
    END;
}

static void indicator_with_broken_stix_pattern_reports_the_column(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "pattern", "'ipv4-addr:value = 1'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.pattern", "column 1:");
    END;
}

static void indicator_pattern_of_another_language_is_not_parsed_as_stix(void **state)
{
    D;
    json_t *o = tv_load(INDICATOR);
    json_object_set_new(o, "pattern_type", json_string("snort"));
    json_object_set_new(o, "pattern", json_string("alert tcp any any -> any 80 (msg:\"x\";)"));
    assert_int_equal(tv_validate_obj(o, &d), FH_OK);
    json_decref(o);
    END;
}

static void indicator_pattern_longer_than_the_limit_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(INDICATOR);
    fh_stix_validate_opts opts;
    fh_stix_validate_opts_init(&opts);
    opts.max_pattern_len = 10;
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_object(o, 0, &opts, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.pattern", "the limit is 10");
    json_decref(o);
    END;
}

static void malware_family_without_name_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(MALWARE, "name", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.name", "required when is_family is true");
    END;
}

static void malware_instance_without_name_is_valid(void **state)
{
    D;
    json_t *o = tv_load(MALWARE);
    json_object_del(o, "name");
    json_object_set_new(o, "is_family", json_false());
    assert_int_equal(tv_validate_obj(o, &d), FH_OK);
    json_decref(o);
    END;
}

static void malware_is_family_as_string_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(MALWARE, "is_family", "'true'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.is_family", "must be a boolean");
    END;
}

static void malware_sample_ref_to_an_address_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(MALWARE, "sample_refs",
                                "['ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4']", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.sample_refs[0]", "file artifact");
    END;
}

static void campaign_last_seen_before_first_seen_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'campaign','spec_version':'2.1',"
                                 "'id':'campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',"
                                 "'created':'2016-04-06T20:03:00.000Z',"
                                 "'modified':'2016-04-06T20:03:00.000Z','name':'Green Group',"
                                 "'first_seen':'2016-04-06T20:03:00Z',"
                                 "'last_seen':'2016-04-05T20:03:00Z'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.last_seen", "later than or equal to first_seen");
    END;
}

static void location_with_region_only_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(LOCATION, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void location_with_nothing_to_locate_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(LOCATION, "region", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "at least one of region, country");
    END;
}

static void location_latitude_without_longitude_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(LOCATION, "latitude", "48.8566", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.longitude", "required when latitude is present");
    END;
}

static void location_latitude_out_of_range_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(LOCATION);
    json_object_set_new(o, "latitude", json_real(90.5));
    json_object_set_new(o, "longitude", json_real(-180.0));
    assert_int_equal(tv_validate_obj(o, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.latitude", "from -90 to 90");
    assert_false(tv_has(&d, FH_DIAG_ERROR, "$.longitude", "from"));
    json_decref(o);
    END;
}

static void location_latitude_as_string_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(LOCATION);
    json_object_set_new(o, "latitude", json_string("48.8566"));
    json_object_set_new(o, "longitude", json_real(2.3522));
    assert_int_equal(tv_validate_obj(o, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.latitude", "must be a number");
    json_decref(o);
    END;
}

static void location_precision_without_coordinates_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(LOCATION, "precision", "1000.0", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.precision", "needs both latitude and longitude");
    END;
}

static void observed_data_last_before_first_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(OBSERVED, "last_observed", "'2015-12-21T18:59:59Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.last_observed", "later than or equal to first_observed");
    END;
}

static void observed_data_number_observed_bounds(void **state)
{
    D;
    assert_int_equal(tv_variant(OBSERVED, "number_observed", "0", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.number_observed", "from 1 to 999999999");
    END;
    assert_int_equal(tv_variant(OBSERVED, "number_observed", "1000000000", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.number_observed", "from 1 to 999999999");
    END;
    assert_int_equal(tv_variant(OBSERVED, "number_observed", "999999999", &d), FH_OK);
    END;
}

static void observed_data_with_objects_and_object_refs_is_rejected(void **state)
{
    D;
    assert_int_equal(
        tv_variant(OBSERVED, "objects", "{'0':{'type':'ipv4-addr','value':'198.51.100.3'}}", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.objects", "must not be present together with object_refs");
    END;
}

static void observed_data_without_any_sco_reference_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(OBSERVED, "object_refs",
                                "['relationship--57b56a43-b8b0-4cba-9deb-34e3e1faed9e']", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_refs", "at least one SCO reference");
    END;
}

static void observed_data_referring_to_an_sdo_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(OBSERVED, "object_refs",
                                "['ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8',"
                                "'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f']",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_refs[1]", "an SCO or SRO");
    END;
}

static void opinion_outside_the_enumeration_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'opinion','spec_version':'2.1',"
                                 "'id':'opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7',"
                                 "'created':'2016-05-12T08:17:27.000Z',"
                                 "'modified':'2016-05-12T08:17:27.000Z',"
                                 "'object_refs':['relationship--16d2358f-3b0d-4c88-b047-"
                                 "0da2f7ed4471'],'opinion':'mostly-agree'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.opinion", "strongly-disagree disagree neutral");
    END;
}

static const char *const REPORT =
    "{'type':'report','spec_version':'2.1','id':'report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3',"
    "'created':'2015-12-21T19:59:11.000Z','modified':'2015-12-21T19:59:11.000Z',"
    "'name':'The Black Vine Cyberespionage Group','published':'2016-01-20T17:00:00.000Z',"
    "'object_refs':['indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2']}";

static void report_with_empty_object_refs_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(REPORT, "object_refs", "[]", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_refs", "must not be an empty list");
    END;
}

static void report_without_published_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(REPORT, "published", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.published", "is required on report");
    END;
}

static void grouping_without_context_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'grouping','spec_version':'2.1',"
                                 "'id':'grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3',"
                                 "'created':'2015-12-21T19:59:11.000Z',"
                                 "'modified':'2015-12-21T19:59:11.000Z','name':'A group',"
                                 "'object_refs':['indicator--26ffb872-1dd9-446e-b6f5-"
                                 "d58527e5b5d2']}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.context", "is required on grouping");
    END;
}

static void malware_analysis_without_result_or_scos_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'malware-analysis','spec_version':'2.1',"
                                 "'id':'malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c',"
                                 "'created':'2020-01-16T18:52:24.277Z',"
                                 "'modified':'2020-01-16T18:52:24.277Z','product':'microsoft'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "one of result or analysis_sco_refs");
    END;
}

static void course_of_action_with_reserved_action_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'course-of-action','spec_version':'2.1',"
                                 "'id':'course-of-action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',"
                                 "'created':'2016-04-06T20:03:48.000Z',"
                                 "'modified':'2016-04-06T20:03:48.000Z','name':'Block',"
                                 "'action':'block'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.action", "RESERVED");
    END;
}

static void note_without_content_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'note','spec_version':'2.1',"
                                 "'id':'note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061',"
                                 "'created':'2016-05-12T08:17:27.000Z',"
                                 "'modified':'2016-05-12T08:17:27.000Z',"
                                 "'object_refs':['campaign--8e2e2d2b-17d4-4cbf-938f-"
                                 "98ee46b3cd3f']}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.content", "is required on note");
    END;
}

static void kill_chain_phase_without_phase_name_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "kill_chain_phases",
                                "[{'kill_chain_name':'lockheed-martin-cyber-kill-chain'}]", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.kill_chain_phases[0].phase_name", "is required");
    END;
}

/* ==== SROs ================================================================= */

static void relationship_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(RELATIONSHIP, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void relationship_type_with_upper_case_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(RELATIONSHIP, "relationship_type", "'Indicates'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.relationship_type", "a-z 0-9 and hyphen");
    END;
}

static void relationship_to_a_marking_definition_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(RELATIONSHIP, "target_ref",
                                "'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.target_ref", "an SDO or SCO");
    END;
}

static void relationship_stop_time_equal_to_start_time_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(RELATIONSHIP);
    json_object_set_new(o, "start_time", json_string("2016-04-06T20:06:37Z"));
    json_object_set_new(o, "stop_time", json_string("2016-04-06T20:06:37.000Z"));
    assert_int_equal(tv_validate_obj(o, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.stop_time", "must be later than start_time");
    json_decref(o);
    END;
}

static void relationship_without_source_ref_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(RELATIONSHIP, "source_ref", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.source_ref", "is required");
    END;
}

static void sighting_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(SIGHTING, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void sighting_count_bounds(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "count", "-1", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.count", "from 0 to 999999999");
    END;
    assert_int_equal(tv_variant(SIGHTING, "count", "1000000000", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.count", "from 0 to 999999999");
    END;
    assert_int_equal(tv_variant(SIGHTING, "count", "0", &d), FH_OK);
    END;
}

static void sighting_of_an_sco_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "sighting_of_ref",
                                "'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.sighting_of_ref", "must refer to an SDO");
    END;
}

static void sighting_observed_data_ref_to_an_indicator_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "observed_data_refs",
                                "['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f']", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.observed_data_refs[0]", "observed-data");
    END;
}

static void sighting_where_sighted_at_a_location_is_valid_at_malware_not(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "where_sighted_refs",
                                "['location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64']", &d),
                     FH_OK);
    END;
    assert_int_equal(tv_variant(SIGHTING, "where_sighted_refs",
                                "['malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b']", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.where_sighted_refs[0]", "identity location");
    END;
}

static void sighting_last_seen_before_first_seen_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(SIGHTING, "last_seen", "'2015-12-21T18:00:00Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.last_seen", "later than or equal to first_seen");
    END;
}

/* ==== marking definitions ================================================== */

static void tlp_1_objects_of_the_specification_are_valid(void **state)
{
    static const char *const tlp[][3] = {
        {"613f2e26-407d-48c7-9eca-b8e91df99dc9", "WHITE", "white"},
        {"34098fce-860f-48ae-8e50-ebd3cc5e41da", "GREEN", "green"},
        {"f88d31f6-486f-44da-b317-01333bde0b82", "AMBER", "amber"},
        {"5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "RED", "red"},
    };
    for (size_t i = 0; i < 4; i++) {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "{'type':'marking-definition','spec_version':'2.1',"
                 "'id':'marking-definition--%s','created':'2017-01-20T00:00:00.000Z',"
                 "'definition_type':'tlp','name':'TLP:%s','definition':{'tlp':'%s'}}",
                 tlp[i][0], tlp[i][1], tlp[i][2]);
        D;
        assert_int_equal(tv_validate(buf, &d), FH_OK);
        assert_clean(&d);
        END;
    }
}

static void tlp_1_id_with_other_content_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TLP_GREEN_1, "definition", "{'tlp':'red'}", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.definition", "differs");
    END;
    assert_int_equal(tv_variant(TLP_GREEN_1, "name", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.name", "is missing");
    END;
    assert_int_equal(tv_variant(TLP_GREEN_1, "created_by_ref",
                                "'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created_by_ref", "not part of the published TLP");
    END;
}

static void tlp_definition_under_another_id_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TLP_GREEN_1, "id",
                                "'marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.id", "must be one of the four objects");
    END;
}

static void tlp_2_objects_are_valid(void **state)
{
    static const char *const tlp[][3] = {
        {"94868c89-83c2-464b-929b-a1a8aa3c8487", "CLEAR", "clear"},
        {"bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "GREEN", "green"},
        {"55d920b0-5e8b-4f79-9ee9-91f868d9b421", "AMBER", "amber"},
        {"939a9414-2ddd-4d32-a0cd-375ea402b003", "AMBER+STRICT", "amber+strict"},
        {"e828b379-4e03-4974-9ac4-e53a884c97c1", "RED", "red"},
    };
    for (size_t i = 0; i < 5; i++) {
        char buf[640];
        snprintf(buf, sizeof buf,
                 "{'type':'marking-definition','spec_version':'2.1',"
                 "'id':'marking-definition--%s','created':'2022-10-01T00:00:00.000Z',"
                 "'name':'TLP:%s','extensions':{'extension-definition--60a3c5c5-0d10-413e-"
                 "aab3-9e08dde9e88d':{'extension_type':'property-extension','tlp_2_0':'%s'}}}",
                 tlp[i][0], tlp[i][1], tlp[i][2]);
        D;
        assert_int_equal(tv_validate(buf, &d), FH_OK);
        assert_clean(&d);
        END;
    }
}

static const char *const TLP2_RED =
    "{'type':'marking-definition','spec_version':'2.1',"
    "'id':'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',"
    "'created':'2022-10-01T00:00:00.000Z','name':'TLP:RED','extensions':{"
    "'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d':"
    "{'extension_type':'property-extension','tlp_2_0':'red'}}}";

static void tlp_2_id_with_another_level_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TLP2_RED, "extensions",
                                "{'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d':"
                                "{'extension_type':'property-extension','tlp_2_0':'clear'}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions", "differs");
    END;
}

static void tlp_2_extension_under_another_id_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TLP2_RED, "id",
                                "'marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.id", "one of the five published objects");
    END;
}

static void statement_marking_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(STATEMENT, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void statement_marking_without_statement_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(STATEMENT, "definition", "{'text':'Copyright'}", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.definition.statement", "is required");
    END;
}

static void marking_definition_with_modified_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(STATEMENT, "modified", "'2016-08-01T00:00:00.000Z'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.modified", "is not a property of marking-definition");
    END;
}

static void marking_definition_without_definition_or_extensions_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(STATEMENT);
    json_object_del(o, "definition");
    json_object_del(o, "definition_type");
    assert_int_equal(tv_validate_obj(o, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.definition_type", "required when extensions is not present");
    assert_diag(&d, FH_DIAG_ERROR, "$.definition", "required when extensions is not present");
    json_decref(o);
    END;
}

static void marking_definition_marking_itself_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(STATEMENT, "object_marking_refs",
                                "['marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd']", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.object_marking_refs[0]", "must not mark itself");
    END;
}

/* ==== language content and extension definitions ========================== */

static const char *const LANGCONTENT =
    "{'type':'language-content','id':'language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d',"
    "'spec_version':'2.1','created':'2017-02-08T21:31:22.007Z',"
    "'modified':'2017-02-08T21:31:22.007Z',"
    "'object_ref':'campaign--12a111f0-b824-4baf-a224-83b80237a094',"
    "'object_modified':'2017-02-08T21:31:22.007Z',"
    "'contents':{'de':{'name':'Bank Angriff'},'fr':{'name':'Attaque Bank'}}}";

static void language_content_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(LANGCONTENT, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void language_content_with_a_bad_language_key_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(LANGCONTENT, "contents", "{'deutsch_1':{'name':'x'}}", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.contents.deutsch_1", "RFC 5646");
    END;
}

static void language_content_with_lang_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(LANGCONTENT, "lang", "'en'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.lang", "is not a property of language-content");
    END;
}

static void extension_definition_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(EXTDEF, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void extension_definition_without_created_by_ref_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(EXTDEF, "created_by_ref", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.created_by_ref", "is required");
    END;
}

static void extension_definition_with_unknown_extension_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(EXTDEF, "extension_types", "['new-smo']", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extension_types[0]", "must be one of");
    END;
}

static void extension_properties_without_toplevel_extension_are_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(EXTDEF, "extension_properties", "['rank']", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extension_properties", "toplevel-property-extension");
    END;
}

static void extension_definition_with_extensions_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(EXTDEF, "extensions",
                                "{'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e':"
                                "{'extension_type':'property-extension','rank':1}}",
                                &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions", "is not a property of extension-definition");
    END;
}

/* ==== open vocabularies and SHOULD rules =================================== */

static void malware_type_outside_the_vocabulary_gets_a_warning(void **state)
{
    D;
    assert_int_equal(
        tv_variant(MALWARE, "malware_types", "['remote-access-trojan','cryptominer']", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.malware_types[1]", "not in malware-type-ov");
    assert_false(tv_has(&d, FH_DIAG_WARNING, "$.malware_types[0]", "not in"));
    END;
}

static void pattern_type_outside_the_vocabulary_gets_a_warning(void **state)
{
    D;
    json_t *o = tv_load(INDICATOR);
    json_object_set_new(o, "pattern_type", json_string("kql"));
    json_object_set_new(o, "pattern", json_string("DeviceNetworkEvents"));
    assert_int_equal(tv_validate_obj(o, &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.pattern_type", "not in pattern-type-ov");
    json_decref(o);
    END;
}

static void region_from_the_vocabulary_gets_no_warning(void **state)
{
    D;
    assert_int_equal(tv_variant(LOCATION, "region", "'south-eastern-asia'", &d), FH_OK);
    assert_clean(&d);
    END;
    assert_int_equal(tv_variant(LOCATION, "region", "'Europe'", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.region", "not in region-ov");
    END;
}

static void encoding_property_without_its_property_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'file','id':'file--4af9b9a5-0a37-4c1f-9d3b-5d0e6a0b1a11',"
                                 "'hashes':{'MD5':'3773a88f65a5e780c8dff9cdc3a056f3'},"
                                 "'name_enc':'windows-1252'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.name_enc", "must not be present without name");
    END;
}

static void derived_from_between_types_gets_a_warning(void **state)
{
    D;
    assert_int_equal(tv_variant(RELATIONSHIP, "relationship_type", "'derived-from'", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.target_ref", "same type");
    END;
}

static void malware_analysis_ending_before_it_starts_gets_a_warning(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'malware-analysis','spec_version':'2.1',"
                                 "'id':'malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c',"
                                 "'created':'2020-01-16T18:52:24.277Z',"
                                 "'modified':'2020-01-16T18:52:24.277Z','product':'microsoft',"
                                 "'result':'malicious','analysis_started':'2012-02-11T08:36:14Z',"
                                 "'analysis_ended':'2012-02-11T08:36:13Z'}",
                                 &d),
                     FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.analysis_ended", "earlier than analysis_started");
    END;
}

/* ==== containers =========================================================== */

static void kill_chain_name_with_spaces_gets_a_warning(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "kill_chain_phases",
                                "[{'kill_chain_name':'Lockheed Martin','phase_name':'recon'}]", &d),
                     FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.kill_chain_phases[0].kill_chain_name", "lower case");
    assert_false(tv_has(&d, FH_DIAG_WARNING, "$.kill_chain_phases[0].phase_name", "lower case"));
    END;
}

static void uuid_reused_for_another_type_gets_a_warning(void **state)
{
    D;
    json_t *arr = json_array();
    json_array_append_new(arr, tv_load(INDICATOR));
    json_t *m = tv_load(MALWARE);
    json_object_set_new(m, "id", json_string("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
    json_array_append_new(arr, m);
    fh_stix_validate_opts o;
    fh_stix_validate_opts_init(&o);
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_all(arr, &o, &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.id", "also used by indicator--8e2e2d2b");
    json_decref(arr);
    END;
}

static void validate_all_names_each_invalid_object(void **state)
{
    D;
    json_t *arr = json_array();
    json_array_append_new(arr, tv_load(INDICATOR));
    json_array_append_new(arr, json_string("not an object"));
    fh_stix_validate_opts o;
    fh_stix_validate_opts_init(&o);
    fh_stix_diags_init(&d);
    assert_int_equal(fh_stix_validate_all(arr, &o, &d), FH_ERR_INVALID);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].object_id, "(object 1)");
    fh_buf line;
    fh_buf_init(&line, 0);
    fh_stix_diag_format(&d.items[0], &line);
    assert_string_equal(line.data, "(object 1): $: a STIX object must be a JSON object");
    fh_buf_cleanup(&line);
    json_decref(arr);
    END;
}

static void diagnostic_formats_as_id_path_and_rule(void **state)
{
    D;
    assert_int_equal(tv_variant(INDICATOR, "valid_until", "'2015-01-01T00:00:00Z'", &d),
                     FH_ERR_INVALID);
    fh_buf line;
    fh_buf_init(&line, 0);
    fh_stix_diag_format(&d.items[0], &line);
    assert_string_equal(line.data, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: "
                                   "$.valid_until: must be later than valid_from");
    fh_buf_cleanup(&line);
    END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_indicator_example_is_valid),
        cmocka_unit_test(value_that_is_not_an_object_is_rejected_and_named_by_index),
        cmocka_unit_test(missing_type_is_rejected),
        cmocka_unit_test(type_with_upper_case_is_rejected),
        cmocka_unit_test(custom_type_with_double_hyphen_is_rejected),
        cmocka_unit_test(id_of_another_type_is_rejected),
        cmocka_unit_test(id_with_malformed_uuid_is_rejected_and_object_named_by_index),
        cmocka_unit_test(missing_id_is_rejected),
        cmocka_unit_test(sdo_with_uuid_version_1_gets_a_warning_only),
        cmocka_unit_test(sdo_without_spec_version_is_rejected),
        cmocka_unit_test(spec_version_2_0_is_rejected),
        cmocka_unit_test(sco_without_spec_version_is_valid),
        cmocka_unit_test(sco_with_spec_version_2_0_is_rejected),
        cmocka_unit_test(sdo_without_created_is_rejected),
        cmocka_unit_test(sro_without_modified_is_rejected),
        cmocka_unit_test(modified_before_created_is_rejected),
        cmocka_unit_test(modified_equal_to_created_is_valid),
        cmocka_unit_test(created_without_milliseconds_is_rejected),
        cmocka_unit_test(timestamp_with_offset_instead_of_z_is_rejected),
        cmocka_unit_test(sco_with_created_is_rejected),
        cmocka_unit_test(defanged_on_sdo_is_rejected),
        cmocka_unit_test(defanged_on_sco_is_valid),
        cmocka_unit_test(created_by_ref_to_a_non_identity_is_rejected),
        cmocka_unit_test(object_marking_ref_to_a_non_marking_is_rejected),
        cmocka_unit_test(empty_object_marking_refs_is_rejected),
        cmocka_unit_test(confidence_above_100_is_rejected),
        cmocka_unit_test(confidence_with_a_fraction_is_rejected),
        cmocka_unit_test(confidence_0_and_100_are_valid),
        cmocka_unit_test(revoked_as_a_string_is_rejected),
        cmocka_unit_test(labels_with_a_number_are_rejected),
        cmocka_unit_test(lang_that_is_not_a_language_code_is_rejected),
        cmocka_unit_test(lang_with_script_subtag_is_valid),
        cmocka_unit_test(external_reference_without_source_name_is_rejected),
        cmocka_unit_test(external_reference_with_only_source_name_is_rejected),
        cmocka_unit_test(external_reference_with_short_md5_is_rejected),
        cmocka_unit_test(external_reference_with_custom_hash_is_valid),
        cmocka_unit_test(hash_name_of_two_characters_is_rejected),
        cmocka_unit_test(capec_external_id_must_have_its_form),
        cmocka_unit_test(spec_valid_selectors_resolve),
        cmocka_unit_test(selector_of_absent_property_is_rejected),
        cmocka_unit_test(selector_past_the_end_of_a_list_is_rejected),
        cmocka_unit_test(selector_indexing_a_string_is_rejected),
        cmocka_unit_test(selector_naming_a_property_of_a_list_is_rejected),
        cmocka_unit_test(selector_with_bad_index_syntax_is_rejected),
        cmocka_unit_test(granular_marking_with_lang_and_marking_ref_is_rejected),
        cmocka_unit_test(granular_marking_with_neither_lang_nor_marking_ref_is_rejected),
        cmocka_unit_test(granular_marking_without_selectors_is_rejected),
        cmocka_unit_test(granular_language_marking_is_valid),
        cmocka_unit_test(reserved_property_severity_is_rejected),
        cmocka_unit_test(custom_x_property_is_accepted_silently),
        cmocka_unit_test(unknown_property_gets_a_warning),
        cmocka_unit_test(unknown_property_warning_can_be_turned_off),
        cmocka_unit_test(property_name_with_upper_case_is_rejected),
        cmocka_unit_test(custom_ref_property_must_hold_an_identifier),
        cmocka_unit_test(custom_hex_property_must_be_lower_case_hex),
        cmocka_unit_test(deprecated_custom_object_is_accepted),
        cmocka_unit_test(empty_extensions_are_rejected),
        cmocka_unit_test(property_extension_is_valid),
        cmocka_unit_test(extension_without_extension_type_is_rejected),
        cmocka_unit_test(extension_type_outside_the_enumeration_is_rejected),
        cmocka_unit_test(extension_property_with_hyphen_is_rejected),
        cmocka_unit_test(toplevel_property_extension_allows_its_properties_without_warning),
        cmocka_unit_test(new_sdo_extension_on_a_specification_type_is_rejected),
        cmocka_unit_test(new_sdo_object_needs_the_sdo_common_properties),
        cmocka_unit_test(indicator_valid_until_before_valid_from_is_rejected),
        cmocka_unit_test(indicator_valid_until_equal_to_valid_from_is_rejected),
        cmocka_unit_test(indicator_without_pattern_is_rejected),
        cmocka_unit_test(indicator_without_pattern_type_is_rejected),
        cmocka_unit_test(indicator_with_broken_stix_pattern_reports_the_column),
        cmocka_unit_test(indicator_pattern_of_another_language_is_not_parsed_as_stix),
        cmocka_unit_test(indicator_pattern_longer_than_the_limit_is_rejected),
        cmocka_unit_test(malware_family_without_name_is_rejected),
        cmocka_unit_test(malware_instance_without_name_is_valid),
        cmocka_unit_test(malware_is_family_as_string_is_rejected),
        cmocka_unit_test(malware_sample_ref_to_an_address_is_rejected),
        cmocka_unit_test(campaign_last_seen_before_first_seen_is_rejected),
        cmocka_unit_test(location_with_region_only_is_valid),
        cmocka_unit_test(location_with_nothing_to_locate_is_rejected),
        cmocka_unit_test(location_latitude_without_longitude_is_rejected),
        cmocka_unit_test(location_latitude_out_of_range_is_rejected),
        cmocka_unit_test(location_latitude_as_string_is_rejected),
        cmocka_unit_test(location_precision_without_coordinates_is_rejected),
        cmocka_unit_test(observed_data_last_before_first_is_rejected),
        cmocka_unit_test(observed_data_number_observed_bounds),
        cmocka_unit_test(observed_data_with_objects_and_object_refs_is_rejected),
        cmocka_unit_test(observed_data_without_any_sco_reference_is_rejected),
        cmocka_unit_test(observed_data_referring_to_an_sdo_is_rejected),
        cmocka_unit_test(opinion_outside_the_enumeration_is_rejected),
        cmocka_unit_test(report_with_empty_object_refs_is_rejected),
        cmocka_unit_test(report_without_published_is_rejected),
        cmocka_unit_test(grouping_without_context_is_rejected),
        cmocka_unit_test(malware_analysis_without_result_or_scos_is_rejected),
        cmocka_unit_test(course_of_action_with_reserved_action_is_rejected),
        cmocka_unit_test(note_without_content_is_rejected),
        cmocka_unit_test(kill_chain_phase_without_phase_name_is_rejected),
        cmocka_unit_test(relationship_is_valid),
        cmocka_unit_test(relationship_type_with_upper_case_is_rejected),
        cmocka_unit_test(relationship_to_a_marking_definition_is_rejected),
        cmocka_unit_test(relationship_stop_time_equal_to_start_time_is_rejected),
        cmocka_unit_test(relationship_without_source_ref_is_rejected),
        cmocka_unit_test(sighting_is_valid),
        cmocka_unit_test(sighting_count_bounds),
        cmocka_unit_test(sighting_of_an_sco_is_rejected),
        cmocka_unit_test(sighting_observed_data_ref_to_an_indicator_is_rejected),
        cmocka_unit_test(sighting_where_sighted_at_a_location_is_valid_at_malware_not),
        cmocka_unit_test(sighting_last_seen_before_first_seen_is_rejected),
        cmocka_unit_test(tlp_1_objects_of_the_specification_are_valid),
        cmocka_unit_test(tlp_1_id_with_other_content_is_rejected),
        cmocka_unit_test(tlp_definition_under_another_id_is_rejected),
        cmocka_unit_test(tlp_2_objects_are_valid),
        cmocka_unit_test(tlp_2_id_with_another_level_is_rejected),
        cmocka_unit_test(tlp_2_extension_under_another_id_is_rejected),
        cmocka_unit_test(statement_marking_is_valid),
        cmocka_unit_test(statement_marking_without_statement_is_rejected),
        cmocka_unit_test(marking_definition_with_modified_is_rejected),
        cmocka_unit_test(marking_definition_without_definition_or_extensions_is_rejected),
        cmocka_unit_test(marking_definition_marking_itself_is_rejected),
        cmocka_unit_test(language_content_is_valid),
        cmocka_unit_test(language_content_with_a_bad_language_key_is_rejected),
        cmocka_unit_test(language_content_with_lang_is_rejected),
        cmocka_unit_test(extension_definition_is_valid),
        cmocka_unit_test(extension_definition_without_created_by_ref_is_rejected),
        cmocka_unit_test(extension_definition_with_unknown_extension_type_is_rejected),
        cmocka_unit_test(extension_properties_without_toplevel_extension_are_rejected),
        cmocka_unit_test(extension_definition_with_extensions_is_rejected),
        cmocka_unit_test(malware_type_outside_the_vocabulary_gets_a_warning),
        cmocka_unit_test(pattern_type_outside_the_vocabulary_gets_a_warning),
        cmocka_unit_test(region_from_the_vocabulary_gets_no_warning),
        cmocka_unit_test(encoding_property_without_its_property_is_rejected),
        cmocka_unit_test(derived_from_between_types_gets_a_warning),
        cmocka_unit_test(malware_analysis_ending_before_it_starts_gets_a_warning),
        cmocka_unit_test(kill_chain_name_with_spaces_gets_a_warning),
        cmocka_unit_test(uuid_reused_for_another_type_gets_a_warning),
        cmocka_unit_test(validate_all_names_each_invalid_object),
        cmocka_unit_test(diagnostic_formats_as_id_path_and_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
