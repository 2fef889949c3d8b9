/*
 * Unit tests: STIX 2.1 validation of Cyber-observable Objects and their
 * predefined extensions (lib/stix/stix-validate-sco.c), with the address
 * syntax a sensor relies on and the deterministic ids of section 2.9.
 */
#include "test-stix-validate.h"

#include "stix/stix-internal.h"

/* An SCO of type `type` with id uuid and one property `prop` = value. */
static fh_err sco(const char *type, const char *uuid, const char *prop, const char *value,
                  fh_stix_diags *d)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{'type':'%s','spec_version':'2.1','id':'%s--%s','%s':%s}", type,
             type, uuid, prop, value);
    return tv_validate(buf, d);
}

#define V4  "4af9b9a5-0a37-4c1f-9d3b-5d0e6a0b1a11" /* a UUIDv4: no deterministic-id check */
#define D   fh_stix_diags d
#define END fh_stix_diags_cleanup(&d)

/* ==== addresses ========================================================== */

static void ipv4_addresses_and_cidr_blocks_are_accepted(void **state)
{
    static const char *const good[] = {"198.51.100.3", "0.0.0.0",         "255.255.255.255",
                                       "10.2.4.5/24",  "198.51.100.0/32", "0.0.0.0/0"};
    for (size_t i = 0; i < FH_ARRAY_LEN(good); i++)
        assert_true(fh__stix_ipv4_valid(good[i], true));
}

static void malformed_ipv4_addresses_are_refused(void **state)
{
    static const char *const bad[] = {"256.1.1.1",  "1.2.3",           "1.2.3.4.5",  "01.2.3.4",
                                      "1.2.3.4/33", "1.2.3.4/",        "1.2.3.4/08", " 1.2.3.4",
                                      "1.2.3.4 ",   "a.b.c.d",         "1..2.3",     "",
                                      "1.2.3.4/-1", "4294967296.0.0.1"};
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++)
        if (fh__stix_ipv4_valid(bad[i], true))
            fail_msg("accepted '%s'", bad[i]);
}

static void ipv4_object_with_bad_value_is_rejected_with_path(void **state)
{
    D;
    assert_int_equal(sco("ipv4-addr", V4, "value", "'198.51.100.256'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "is not an IPv4 address or CIDR block");
    END;
}

static void ipv6_addresses_and_cidr_blocks_are_accepted(void **state)
{
    static const char *const good[] = {"2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                                       "2001:0db8::/96",
                                       "::",
                                       "::1",
                                       "::ffff:198.51.100.3",
                                       "fe80::1/128"};
    for (size_t i = 0; i < FH_ARRAY_LEN(good); i++)
        if (!fh__stix_ipv6_valid(good[i], true))
            fail_msg("refused '%s'", good[i]);
}

static void malformed_ipv6_addresses_are_refused(void **state)
{
    static const char *const bad[] = {"2001:db8::1::2", "2001:db8::/129", "12345::", "fe80::1%eth0",
                                      "198.51.100.3",   "2001:db8::/",    ":::",     "g::1"};
    for (size_t i = 0; i < FH_ARRAY_LEN(bad); i++)
        if (fh__stix_ipv6_valid(bad[i], true))
            fail_msg("accepted '%s'", bad[i]);
}

static void ipv6_object_with_bad_value_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("ipv6-addr", V4, "value", "'2001:db8::1::2'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "IPv6");
    END;
}

static void mac_address_must_be_lower_case_colon_form(void **state)
{
    assert_true(fh__stix_mac_valid("d2:fb:49:24:37:18"));
    assert_false(fh__stix_mac_valid("D2:FB:49:24:37:18"));
    assert_false(fh__stix_mac_valid("d2-fb-49-24-37-18"));
    assert_false(fh__stix_mac_valid("d2:fb:49:24:37:8"));
    assert_false(fh__stix_mac_valid("d2fb.4924.3718"));
    D;
    assert_int_equal(sco("mac-addr", V4, "value", "'D2:FB:49:24:37:18'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "lower-case colon form");
    END;
}

static void domain_names_follow_rfc_1034(void **state)
{
    assert_true(fh__stix_domain_valid("example.com"));
    assert_true(fh__stix_domain_valid("example.com."));
    assert_true(fh__stix_domain_valid("xn--bcher-kva.example"));
    assert_true(fh__stix_domain_valid("b\xc3\xbc"
                                      "cher.example"));
    assert_false(fh__stix_domain_valid("-example.com"));
    assert_false(fh__stix_domain_valid("example-.com"));
    assert_false(fh__stix_domain_valid("a..com"));
    assert_false(fh__stix_domain_valid("exa mple.com"));
    assert_false(fh__stix_domain_valid(""));
    assert_false(fh__stix_domain_valid("."));
    char longlabel[80];
    memset(longlabel, 'a', 64);
    memcpy(longlabel + 64, ".com", 5);
    assert_false(fh__stix_domain_valid(longlabel));
    D;
    assert_int_equal(sco("domain-name", V4, "value", "'http://example.com'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "domain name");
    END;
}

static void url_must_have_a_scheme_and_no_spaces(void **state)
{
    D;
    assert_int_equal(sco("url", V4, "value", "'https://example.com/research/index.html'", &d),
                     FH_OK);
    END;
    assert_int_equal(sco("url", V4, "value", "'example.com/index.html'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "RFC 3986");
    END;
    assert_int_equal(sco("url", V4, "value", "'http://example.com/a b'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "RFC 3986");
    END;
    assert_int_equal(sco("url", V4, "value", "'http://example.com/%zz'", &d), FH_ERR_INVALID);
    END;
}

static void email_address_with_display_name_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("email-addr", V4, "value", "'John Doe <john@example.com>'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.value", "without display name");
    END;
    assert_int_equal(sco("email-addr", V4, "value", "'john@example.com'", &d), FH_OK);
    END;
}

static void autonomous_system_number_must_be_an_integer(void **state)
{
    D;
    assert_int_equal(sco("autonomous-system", V4, "number", "'15139'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.number", "must be an integer");
    END;
}

/* ==== deterministic ids =================================================== */

static void ipv4_with_the_deterministic_id_gets_no_warning(void **state)
{
    /* Section 2.9's example: 198.51.100.3 -> 28bb3599-77cd-5a82-a950-b5bc3caf07c4. */
    D;
    assert_int_equal(
        sco("ipv4-addr", "28bb3599-77cd-5a82-a950-b5bc3caf07c4", "value", "'198.51.100.3'", &d),
        FH_OK);
    assert_clean(&d);
    END;
}

static void ipv4_with_another_uuid_v5_gets_a_warning_naming_the_right_id(void **state)
{
    D;
    assert_int_equal(
        sco("ipv4-addr", "28bb3599-77cd-5a82-a950-b5bc3caf07c4", "value", "'198.51.100.4'", &d),
        FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.id", "would be ipv4-addr--");
    END;
}

/* ==== file and hashes ===================================================== */

static void file_without_hashes_or_name_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("file", V4, "size", "25537", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "at least one of hashes or name");
    END;
}

static void file_with_negative_size_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'file','id':'file--" V4 "','name':'a','size':-1}", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.size", "from 0");
    END;
}

static void file_hash_lengths_follow_the_algorithm(void **state)
{
    static const struct {
        const char *algo, *value;
        bool ok;
    } cases[] = {
        {"MD5", "3773a88f65a5e780c8dff9cdc3a056f3", true},
        {"MD5", "3773a88f65a5e780c8dff9cdc3a056f", false},
        {"MD5", "3773a88f65a5e780c8dff9cdc3a056fg", false},
        {"SHA-1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", true},
        {"SHA-1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb1", false},
        {"SHA-256", "effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3e5da0e698766", true},
        {"SHA-256", "effb46bba03f6c8aea5c653f9cf984f170dcdd3bbbe2ff6843c3e5da0e69876", false},
        {"SHA-512",
         "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2"
         "877eec2f63b931bd47417a81a538327af927da3e",
         true},
        {"SHA-512", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce", false},
        {"SHA3-256", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", true},
        {"SHA3-512", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a", false},
        {"SSDEEP", "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:RUR4QfnWLcMSx",
         true},
        {"SSDEEP", "not-a-fuzzy-hash", false},
        {"TLSH", "T1B2D3A8C4E5F6071829304A5B6C7D8E9F00112233445566778899AABBCCDDEEFF001122", true},
        {"TLSH", "B2D3A8C4E5F6071829304A5B6C7D8E9F00112233445566778899AABBCCDDEEFF001122", true},
        {"TLSH", "B2D3A8C4", false},
        {"x_custom_hash", "anything at all", true},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(cases); i++) {
        char hashes[512], path[64];
        snprintf(hashes, sizeof hashes, "{'%s':'%s'}", cases[i].algo, cases[i].value);
        D;
        fh_err rc = sco("file", V4, "hashes", hashes, &d);
        if ((rc == FH_OK) != cases[i].ok) {
            tv_dump(&d);
            fail_msg("%s '%s': expected %s", cases[i].algo, cases[i].value,
                     cases[i].ok ? "valid" : "invalid");
        }
        snprintf(path, sizeof path, "$.hashes.%s", cases[i].algo);
        if (!cases[i].ok)
            assert_diag(&d, FH_DIAG_ERROR, path, "must be");
        END;
    }
}

static void hash_name_in_another_case_gets_a_warning(void **state)
{
    D;
    assert_int_equal(sco("file", V4, "hashes", "{'sha-256':'00'}", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.hashes.sha-256", "write 'SHA-256'");
    END;
}

static void empty_hashes_are_rejected(void **state)
{
    D;
    assert_int_equal(sco("file", V4, "hashes", "{}", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.hashes", "must not be empty");
    END;
}

static void upper_case_hex_is_rejected(void **state)
{
    D;
    assert_int_equal(
        tv_validate("{'type':'file','id':'file--" V4 "','name':'a','magic_number_hex':'FFD8'}", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.magic_number_hex", "lower case");
    END;
}

/* ==== network traffic ======================================================= */

static const char *const TRAFFIC =
    "{'type':'network-traffic','spec_version':'2.1',"
    "'id':'network-traffic--5ab9008a-dc6a-57b0-822f-fc592d8a6513',"
    "'src_ref':'ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53',"
    "'dst_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd','src_port':223,"
    "'dst_port':502,'protocols':['ipv4','tcp'],'start':'2016-04-06T20:03:48.000Z',"
    "'end':'2016-04-06T20:03:49.000Z'}";

static void network_traffic_is_valid(void **state)
{
    D;
    assert_int_equal(tv_validate(TRAFFIC, &d), FH_OK);
    assert_clean(&d);
    END;
}

static void network_traffic_without_src_or_dst_is_rejected(void **state)
{
    D;
    json_t *o = tv_load(TRAFFIC);
    json_object_del(o, "src_ref");
    json_object_del(o, "dst_ref");
    assert_int_equal(tv_validate_obj(o, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "must contain src_ref or dst_ref");
    json_decref(o);
    END;
}

static void network_traffic_without_protocols_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "protocols", NULL, &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.protocols", "is required");
    END;
}

static void network_traffic_port_above_65535_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "dst_port", "65536", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.dst_port", "from 0 to 65535");
    END;
    assert_int_equal(tv_variant(TRAFFIC, "src_port", "65535", &d), FH_OK);
    END;
}

static void network_traffic_end_before_start_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "end", "'2016-04-06T20:03:47.000Z'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.end", "later than or equal to start");
    END;
}

static void network_traffic_active_with_end_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "is_active", "true", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.end", "must not be present when is_active is true");
    END;
}

static void network_traffic_source_that_is_a_file_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "src_ref", "'file--" V4 "'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.src_ref", "ipv4-addr ipv6-addr mac-addr domain-name");
    END;
}

static void http_request_extension_needs_request_value(void **state)
{
    D;
    assert_int_equal(
        tv_variant(TRAFFIC, "extensions", "{'http-request-ext':{'request_method':'get'}}", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.http-request-ext.request_value", "is required");
    END;
}

static void socket_extension_with_unknown_address_family_is_rejected(void **state)
{
    D;
    assert_int_equal(
        tv_variant(TRAFFIC, "extensions", "{'socket-ext':{'address_family':'AF_INET7'}}", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.socket-ext.address_family", "AF_INET");
    END;
}

static void icmp_extension_hex_must_be_lower_case(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "extensions",
                                "{'icmp-ext':{'icmp_type_hex':'0B','icmp_code_hex':'00'}}", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.icmp-ext.icmp_type_hex", "lower case");
    END;
}

static void tcp_extension_without_properties_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "extensions", "{'tcp-ext':{}}", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.tcp-ext", "at least one property");
    END;
}

static void extension_of_another_object_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_variant(TRAFFIC, "extensions", "{'ntfs-ext':{'sid':'1234567'}}", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.ntfs-ext", "not a predefined extension of");
    END;
}

static void custom_sco_extension_must_end_in_ext(void **state)
{
    D;
    assert_int_equal(
        tv_variant(TRAFFIC, "extensions", "{'x-example-com-foo':{'foo_val':'foo'}}", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.x-example-com-foo", "end with -ext");
    END;
    assert_int_equal(
        tv_variant(TRAFFIC, "extensions", "{'x-example-com-foo-ext':{'foo_val':'foo'}}", &d),
        FH_OK);
    END;
}

/* ==== file extensions ======================================================= */

static void pe_binary_extension_with_only_pe_type_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'file','id':'file--" V4 "','name':'a.exe',"
                                 "'extensions':{'windows-pebinary-ext':{'pe_type':'exe'}}}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.windows-pebinary-ext", "besides pe_type");
    END;
}

static void pe_section_without_name_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'file','id':'file--" V4 "','name':'a.exe',"
                                 "'extensions':{'windows-pebinary-ext':{'pe_type':'exe',"
                                 "'sections':[{'size':10}]}}}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.windows-pebinary-ext.sections[0].name",
                "is required");
    END;
}

static void archive_extension_needs_contains_refs_to_files(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'file','id':'file--" V4 "','name':'a.zip',"
                                 "'extensions':{'archive-ext':{'contains_refs':["
                                 "'url--" V4 "']}}}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.extensions.archive-ext.contains_refs[0]", "file directory");
    END;
}

/* ==== other SCOs ============================================================ */

static void artifact_with_url_needs_hashes(void **state)
{
    D;
    assert_int_equal(sco("artifact", V4, "url", "'https://example.com/a.bin'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.hashes", "is required when url is present");
    END;
}

static void artifact_payload_must_be_base64(void **state)
{
    D;
    assert_int_equal(sco("artifact", V4, "payload_bin", "'VBORw0KGgo ...'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.payload_bin", "base64");
    END;
    assert_int_equal(sco("artifact", V4, "payload_bin", "'aGVsbG8gd29ybGQ='", &d), FH_OK);
    END;
}

static void x509_certificate_without_properties_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("x509-certificate", V4, "defanged", "false", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "at least one property");
    END;
    assert_int_equal(sco("x509-certificate", V4, "serial_number", "'36:f7:d4:32:f4:ab:70:ea'", &d),
                     FH_OK);
    END;
}

static void email_message_body_with_multipart_is_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'email-message','id':'email-message--" V4 "',"
                                 "'is_multipart':true,'body':'hello'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.body", "is_multipart is true");
    END;
}

static void email_message_without_is_multipart_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("email-message", V4, "subject", "'hi'", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.is_multipart", "is required");
    END;
}

static void process_without_properties_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("process", V4, "defanged", "false", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$", "at least one property");
    END;
}

static void sco_with_labels_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("domain-name", V4, "labels", "['x']", &d), FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.labels", "is not a property of STIX Cyber-observable");
    END;
}

static void resolves_to_refs_of_the_wrong_type_are_rejected(void **state)
{
    D;
    assert_int_equal(tv_validate("{'type':'domain-name','id':'domain-name--" V4 "',"
                                 "'value':'example.com','resolves_to_refs':['mac-addr--" V4 "']}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.resolves_to_refs[0]", "ipv4-addr ipv6-addr domain-name");
    END;
}

static void software_cpe_must_be_a_cpe_2_3_string(void **state)
{
    D;
    assert_int_equal(
        sco("software", V4, "cpe", "'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*'", &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.name", "is required");
    assert_false(tv_has(&d, FH_DIAG_ERROR, "$.cpe", "CPE"));
    END;
    assert_int_equal(tv_validate("{'type':'software','id':'software--" V4 "','name':'Word',"
                                 "'cpe':'cpe:/a:microsoft:word:2000'}",
                                 &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.cpe", "CPE 2.3");
    END;
}

static void artifact_url_must_be_a_url(void **state)
{
    D;
    assert_int_equal(
        tv_validate("{'type':'artifact','id':'artifact--" V4 "',"
                    "'url':'not a url','hashes':{'MD5':'3773a88f65a5e780c8dff9cdc3a056f3'}}",
                    &d),
        FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.url", "valid URL");
    END;
}

static void values_in_messages_are_cut_and_made_printable(void **state)
{
    char longval[300];
    memset(longval, 'a', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    longval[3] = '\n';
    char q[FH__STIX_QUOTE_MAX];
    fh__stix_quote(longval, q);
    assert_int_equal(strlen(q), FH__STIX_QUOTE_MAX - 1);
    assert_int_equal(q[3], '?');
    assert_string_equal(q + strlen(q) - 3, "...");
    /* A 2-byte UTF-8 character across the cut is not split. */
    memset(longval, 'a', sizeof longval - 1);
    longval[FH__STIX_QUOTE_MAX - 5] = '\xc3';
    longval[FH__STIX_QUOTE_MAX - 4] = '\xbc';
    fh__stix_quote(longval, q);
    assert_int_equal((unsigned char)q[strlen(q) - 4], 'a');
}

static void registry_key_with_abbreviated_hive_is_rejected(void **state)
{
    D;
    assert_int_equal(sco("windows-registry-key", V4, "key", "'HKLM\\\\system\\\\bar\\\\foo'", &d),
                     FH_ERR_INVALID);
    assert_diag(&d, FH_DIAG_ERROR, "$.key", "HKEY_LOCAL_MACHINE, not HKLM");
    END;
    assert_int_equal(
        sco("windows-registry-key", V4, "key", "'hkey_local_machine\\\\system\\\\bar\\\\foo'", &d),
        FH_OK);
    END;
}

static void process_priority_not_ending_in_class_gets_a_warning(void **state)
{
    D;
    assert_int_equal(
        sco("process", V4, "extensions", "{'windows-process-ext':{'priority':'HIGH'}}", &d), FH_OK);
    assert_diag(&d, FH_DIAG_WARNING, "$.extensions.windows-process-ext.priority", "_CLASS");
    END;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_addresses_and_cidr_blocks_are_accepted),
        cmocka_unit_test(malformed_ipv4_addresses_are_refused),
        cmocka_unit_test(ipv4_object_with_bad_value_is_rejected_with_path),
        cmocka_unit_test(ipv6_addresses_and_cidr_blocks_are_accepted),
        cmocka_unit_test(malformed_ipv6_addresses_are_refused),
        cmocka_unit_test(ipv6_object_with_bad_value_is_rejected),
        cmocka_unit_test(mac_address_must_be_lower_case_colon_form),
        cmocka_unit_test(domain_names_follow_rfc_1034),
        cmocka_unit_test(url_must_have_a_scheme_and_no_spaces),
        cmocka_unit_test(email_address_with_display_name_is_rejected),
        cmocka_unit_test(autonomous_system_number_must_be_an_integer),
        cmocka_unit_test(ipv4_with_the_deterministic_id_gets_no_warning),
        cmocka_unit_test(ipv4_with_another_uuid_v5_gets_a_warning_naming_the_right_id),
        cmocka_unit_test(file_without_hashes_or_name_is_rejected),
        cmocka_unit_test(file_with_negative_size_is_rejected),
        cmocka_unit_test(file_hash_lengths_follow_the_algorithm),
        cmocka_unit_test(hash_name_in_another_case_gets_a_warning),
        cmocka_unit_test(empty_hashes_are_rejected),
        cmocka_unit_test(upper_case_hex_is_rejected),
        cmocka_unit_test(network_traffic_is_valid),
        cmocka_unit_test(network_traffic_without_src_or_dst_is_rejected),
        cmocka_unit_test(network_traffic_without_protocols_is_rejected),
        cmocka_unit_test(network_traffic_port_above_65535_is_rejected),
        cmocka_unit_test(network_traffic_end_before_start_is_rejected),
        cmocka_unit_test(network_traffic_active_with_end_is_rejected),
        cmocka_unit_test(network_traffic_source_that_is_a_file_is_rejected),
        cmocka_unit_test(http_request_extension_needs_request_value),
        cmocka_unit_test(socket_extension_with_unknown_address_family_is_rejected),
        cmocka_unit_test(icmp_extension_hex_must_be_lower_case),
        cmocka_unit_test(tcp_extension_without_properties_is_rejected),
        cmocka_unit_test(extension_of_another_object_type_is_rejected),
        cmocka_unit_test(custom_sco_extension_must_end_in_ext),
        cmocka_unit_test(pe_binary_extension_with_only_pe_type_is_rejected),
        cmocka_unit_test(pe_section_without_name_is_rejected),
        cmocka_unit_test(archive_extension_needs_contains_refs_to_files),
        cmocka_unit_test(artifact_with_url_needs_hashes),
        cmocka_unit_test(artifact_payload_must_be_base64),
        cmocka_unit_test(x509_certificate_without_properties_is_rejected),
        cmocka_unit_test(email_message_body_with_multipart_is_rejected),
        cmocka_unit_test(email_message_without_is_multipart_is_rejected),
        cmocka_unit_test(process_without_properties_is_rejected),
        cmocka_unit_test(sco_with_labels_is_rejected),
        cmocka_unit_test(resolves_to_refs_of_the_wrong_type_are_rejected),
        cmocka_unit_test(software_cpe_must_be_a_cpe_2_3_string),
        cmocka_unit_test(artifact_url_must_be_a_url),
        cmocka_unit_test(values_in_messages_are_cut_and_made_printable),
        cmocka_unit_test(registry_key_with_abbreviated_hive_is_rejected),
        cmocka_unit_test(process_priority_not_ending_in_class_gets_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
