/*
 * Unit tests: the STIX pattern parser and normalized printer
 * (lib/stix/stix-pattern.c, lib/stix/stix-pattern-format.c). The example
 * patterns are typed in from STIX 2.1 section 9; backslashes are doubled for
 * C, so 'C:\\Windows' in the spec is "'C:\\\\Windows'" here.
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
#include "stix/stix-pattern-int.h"

/* Parses, formats, re-parses the output and checks it is the same tree and
 * formats the same.
 * Returns the normalized text (caller frees). Fails the test otherwise. */
static char *normalize(const char *in)
{
    fh_pattern *p = NULL;
    fh_pattern_error err;
    fh_err rc = fh_pattern_parse(in, strlen(in), 0, &p, &err);
    if (rc != FH_OK)
        fail_msg("parse failed for %s: column %zu: %s", in, err.column, err.message);
    fh_buf b;
    fh_buf_init(&b, 0);
    assert_int_equal(fh_pattern_format(p, &b), FH_OK);
    char *first = fh_buf_steal(&b);

    fh_pattern *again = NULL;
    rc = fh_pattern_parse(first, strlen(first), 0, &again, &err);
    if (rc != FH_OK)
        fail_msg("re-parse failed for %s: column %zu: %s", first, err.column, err.message);
    /* The same tree, not just the same text: no parenthesis went missing. */
    assert_true(fh__pattern_equal(p, again));
    assert_int_equal(fh_pattern_format(again, &b), FH_OK);
    fh_pattern_free(p);
    fh_pattern_free(again);
    assert_string_equal(b.data, first);
    fh_buf_cleanup(&b);
    return first;
}

static void assert_normal(const char *in, const char *want)
{
    char *got = normalize(in);
    assert_string_equal(got, want);
    free(got);
}

static void assert_parses(const char *in)
{
    free(normalize(in));
}

static void assert_error_rc(const char *in, fh_err want_rc, size_t column, const char *fragment)
{
    fh_pattern *p = (fh_pattern *)&p; /* must be reset to NULL */
    fh_pattern_error err;
    fh_err rc = fh_pattern_parse(in, strlen(in), 0, &p, &err);
    if (rc != want_rc)
        fail_msg("%s: expected error %d, got %d (%s)", in, want_rc, rc,
                 rc ? err.message : "parsed");
    assert_null(p);
    if (strstr(err.message, fragment) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", in, err.message, fragment);
    if (err.column != column)
        fail_msg("%s: column %zu, expected %zu (%s)", in, err.column, column, err.message);
}

static void assert_error(const char *in, size_t column, const char *fragment)
{
    assert_error_rc(in, FH_ERR_PARSE, column, fragment);
}

/* ---- the examples of STIX 2.1 section 9 ------------------------------------ */

/* Every concrete pattern of section 9 (9.1 table, 9.3, 9.5, 9.5.1, 9.6.1
 * table wrapped in brackets, 9.6.4, 9.8). */
static const char *const spec_examples[] = {
    /* 9.1 */
    "[user-account:value = 'Peter']",
    "[ipv4-addr:value = '203.0.113.1' OR ipv4-addr:value = '203.0.113.2']",
    "([ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10'])",
    "([ipv4-addr:value = '198.51.100.5' ] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 "
    "SECONDS",
    "[user-account:value = 'Peter' OR user-account:value = 'Mary']",
    "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[ipv4-addr:value = '198.51.100.5'] AND [ ipv4-addr:value = '198.51.100.10']",
    "[file:size = 25536]",
    /* 9.3 */
    "[ipv4-addr:value = '198.51.100.1/32']",
    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
    "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
    "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] REPEATS 5 TIMES",
    "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR "
    "ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY "
    "[domain-name:value = 'example.com']) WITHIN 600 SECONDS",
    /* 9.5 */
    "[ network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = "
    "'198.51.100.58' ]",
    /* 9.5.1 */
    "([file:hashes.'SHA-256' = '13987239847...'] AND [windows-registry-key:key = 'hkey']) "
    "WITHIN 120 SECONDS",
    /* 9.6.1 (comparison examples, inside brackets) */
    "[file:name = 'foo.dll']",
    "[file:size != 4112]",
    "[file:size > 256]",
    "[file:size < 1024]",
    "[file:size <= 25145]",
    "[file:size >= 33312]",
    "[process:name IN ('proccy', 'proximus', 'badproc')]",
    "[directory:path LIKE 'C:\\\\Windows\\\\%\\\\foo']",
    "[directory:path MATCHES '^C:\\\\\\\\Windows\\\\w+$']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
    "[EXISTS windows-registry-key:values]",
    /* 9.6.4 */
    "[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']",
    "[artifact:payload_bin = 'this is a test']",
    "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    "[artifact:payload_bin = h'7468697320697320612074657374']",
    /* 9.7 object paths, inside EXISTS */
    "[EXISTS file:size]",
    "[EXISTS file:extensions.'windows-pebinary-ext'.sections[*].entropy]",
    "[EXISTS network-traffic:protocols[0]]",
    "[EXISTS file:hashes.ssdeep]",
    "[EXISTS file:extensions.'raster-image-ext'.image_height]",
    "[EXISTS email-message:from_ref.value]",
    "[EXISTS directory:contains_refs[*].name]",
    /* 9.8 */
    "[file:hashes.'SHA-256' = "
    "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND "
    "email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "[file:hashes.'SHA-256' = "
    "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = "
    "'application/x-pdf']",
    "[file:hashes.'SHA-256' = "
    "'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = "
    "'cead3f77f6cda6ec00f57d76c9a6879f']\n"
    "AND [file:hashes.'SHA-256' = "
    "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY "
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
    "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND "
    "user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND "
    "user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND "
    "[user-account:account_type = 'unix' AND user-account:user_id = '1009' AND "
    "user-account:account_login = 'Mary']",
    "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES "
    "'\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
    "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
    "'203.0.113.33/32']",
    "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
    "'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = "
    "'198.51.100.1/32']",
    "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
    "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = "
    "'4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
    "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR "
    "windows-registry-key:key = "
    "'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
    "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']",
    "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = "
    "'Conference Info']",
    "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
    "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] "
    "FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r "
    "localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
    "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
    "([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) "
    "OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']",
};

static void every_spec_example_parses_and_round_trips(void **state)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(spec_examples); i++)
        assert_parses(spec_examples[i]);
    assert_true(FH_ARRAY_LEN(spec_examples) >= 55);
}

static void spec_examples_normalize_as_expected(void **state)
{
    /* Spacing inside brackets goes; outer parentheses without a qualifier go. */
    assert_normal("([ipv4-addr:value = '198.51.100.5' ] AND [ipv4-addr:value = '198.51.100.10']) "
                  "WITHIN 300 SECONDS",
                  "([ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']) "
                  "WITHIN 300 SECONDS");
    assert_normal(
        "([ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10'])",
        "[ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10']");
    assert_normal("[ network-traffic:src_ref.value = '203.0.113.10' AND "
                  "network-traffic:dst_ref.value = '198.51.100.58' ]",
                  "[network-traffic:src_ref.value = '203.0.113.10' AND "
                  "network-traffic:dst_ref.value = '198.51.100.58']");
    /* A line feed between observations becomes a space. */
    assert_normal("[file:hashes.'SHA-256' = 'bf07' OR file:hashes.MD5 = 'cead']\nAND "
                  "[file:hashes.'SHA-256' = 'aec0']",
                  "[file:hashes.'SHA-256' = 'bf07' OR file:hashes.MD5 = 'cead'] AND "
                  "[file:hashes.'SHA-256' = 'aec0']");
    /* MATCHES'...' gets its space. */
    assert_normal("[process:command_line MATCHES'^.+>-add GlobalSign.cer$'] WITHIN 300 SECONDS",
                  "[process:command_line MATCHES '^.+>-add GlobalSign.cer$'] WITHIN 300 SECONDS");
    /* Escapes are kept as escapes. */
    assert_normal("[directory:path LIKE 'C:\\\\Windows\\\\%\\\\foo']",
                  "[directory:path LIKE 'C:\\\\Windows\\\\%\\\\foo']");
    assert_normal("[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']",
                  "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']");
    /* Paths keep quotes only where needed. */
    assert_normal("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
                  "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]");
    assert_normal("[file:hashes.'MD5' = 'x']", "[file:hashes.MD5 = 'x']");
    assert_normal("[file:'name' = 'x']", "[file:name = 'x']");
    /* Parentheses that group an AND inside an OR are redundant. */
    assert_normal("[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = "
                  "t'2014-01-13T07:03:17Z']",
                  "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = "
                  "t'2014-01-13T07:03:17Z']");
    assert_normal("[(file:name = 'a' AND file:size = 1) OR file:size = 2]",
                  "[file:name = 'a' AND file:size = 1 OR file:size = 2]");
    assert_normal("[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value "
                  "= 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
                  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value "
                  "= 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS");
    assert_normal("[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP "
                  "t'2016-07-01T00:00:00Z'",
                  "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP "
                  "t'2016-07-01T00:00:00Z'");
    assert_normal("[process:name IN ('proccy', 'proximus', 'badproc')]",
                  "[process:name IN ('proccy', 'proximus', 'badproc')]");
    assert_normal("[process:name IN('a' ,'b')]", "[process:name IN ('a', 'b')]");
    assert_normal("[EXISTS   windows-registry-key:values]", "[EXISTS windows-registry-key:values]");
    assert_normal("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
                  "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']");
    assert_normal("([file:name = 'foo.dll'] AND [windows-registry-key:key = 'k']) OR "
                  "[process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']",
                  "[file:name = 'foo.dll'] AND [windows-registry-key:key = 'k'] OR "
                  "[process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']");
}

/* The schematic examples of 9.5 and 9.5.2 use placeholders ("a", "b",
 * property-j, MINUTES) that the grammar of 9.7 does not allow; they are
 * refused with messages that point at the placeholder. */
static void schematic_spec_examples_are_refused_clearly(void **state)
{
    assert_error("[ a = 'b' ] FOLLOWEDBY [ c = 'd' ] REPEATS 5 TIMES", 4,
                 "expected ':' after the object type 'a'");
    assert_error("[type-a:property-j = 'W' AND type-a:property-k = 'X' OR type-a:property-l = "
                 "'Z']",
                 9, "a property name with '-' must be quoted: 'property-j'");
    assert_error("([file:name = 'a'] AND [file:name = 'b'] REPEATS 5 TIMES) WITHIN 5 MINUTES", 68,
                 "WITHIN takes SECONDS only");
}

/* ---- constants ---------------------------------------------------------------- */

static void constants_print_in_canonical_form(void **state)
{
    assert_normal("[x-a:n = 007]", "[x-a:n = 7]");
    assert_normal("[x-a:n = -0]", "[x-a:n = 0]");
    assert_normal("[x-a:n = -42]", "[x-a:n = -42]");
    assert_normal("[x-a:n = 7.50]", "[x-a:n = 7.5]");
    assert_normal("[x-a:n = 1e3]", "[x-a:n = 1000.0]");
    assert_normal("[x-a:n = 1.5E-7]", "[x-a:n = 1.5e-07]");
    assert_normal("[x-a:n = 0.1]", "[x-a:n = 0.1]");
    assert_normal("[x-a:n = -2.50]", "[x-a:n = -2.5]");
    assert_normal("[x-a:n = 1e300]", "[x-a:n = 1.0e+300]");
    assert_normal("[x-a:n = 1e-7]", "[x-a:n = 1.0e-07]");
    assert_normal("[x-a:n = 0.000001]", "[x-a:n = 0.000001]");
    assert_normal("[x-a:n = 123456789.125]", "[x-a:n = 123456789.125]");
    assert_normal("[x-a:n = 9007199254740991]", "[x-a:n = 9007199254740991]");
    assert_normal("[x-a:n = -9007199254740991]", "[x-a:n = -9007199254740991]");
    assert_normal("[x-a:b = true OR x-a:b = false]", "[x-a:b = true OR x-a:b = false]");
}

static void hex_constants_are_lower_case_and_even(void **state)
{
    assert_normal("[x-a:h = h'ffc3']", "[x-a:h = h'ffc3']");
    assert_normal("[x-a:h = h'']", "[x-a:h = h'']");
    assert_error("[x-a:h = h'FFC3']", 12, "hex digits are lower case");
    assert_error("[x-a:h = h'ffc']", 10, "odd number of digits");
    assert_error("[x-a:h = h'fg']", 13, "not a hex digit");
    assert_error("[x-a:h = h'ff", 10, "not terminated");
}

static void binary_constants_are_checked_base64(void **state)
{
    assert_normal("[x-a:b = b'ABI=']", "[x-a:b = b'ABI=']");
    assert_normal("[x-a:b = b'AB\nI=']", "[x-a:b = b'ABI=']");
    /* Non-zero pad bits are canonicalized. */
    assert_normal("[x-a:b = b'ABJ=']", "[x-a:b = b'ABI=']");
    assert_error("[x-a:b = b'ABI']", 10, "groups of 4");
    assert_error("[x-a:b = b'A=BI']", 10, "misplaced '='");
    assert_error("[x-a:b = b'AB=I']", 10, "misplaced '='");
    assert_error("[x-a:b = b'AB==ABCD']", 10, "misplaced '='");
    assert_error("[x-a:b = b'AB*=']", 14, "not a base64 character");
}

static void timestamps_are_validated(void **state)
{
    assert_normal("[file:created = t'2014-01-13T07:03:17.120Z']",
                  "[file:created = t'2014-01-13T07:03:17.120Z']");
    assert_error("[file:created = t'2014-02-30T07:03:17Z']", 17, "invalid timestamp");
    assert_error("[file:created = t'2014-01-13 07:03:17Z']", 17, "invalid timestamp");
    assert_error("[file:created = t'2014-01-13T07:03:17+01:00']", 17, "invalid timestamp");
    assert_error("[file:name = 'x'] START '2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", 25,
                 "expected a timestamp t'YYYY-MM-DDTHH:MM:SSZ' after START");
    assert_error("[file:name = 'x'] START t'2016-06-01T00:00:00Z' t'2016-07-01T00:00:00Z'", 49,
                 "expected STOP after the START timestamp");
}

static void strings_allow_only_two_escapes(void **state)
{
    assert_normal("[file:name = 'it\\'s']", "[file:name = 'it\\'s']");
    assert_normal("[file:name = 'a\\\\b']", "[file:name = 'a\\\\b']");
    assert_error("[file:name = 'a\\nb']", 16, "only ' and \\ may follow a backslash");
    assert_error("[file:name = 'abc]", 14, "string is not terminated");
    assert_normal("[file:name = '\xe7\x83\xbd\xe7\x81\xab']",
                  "[file:name = '\xe7\x83\xbd\xe7\x81\xab']");
    assert_error("[file:name = 'a\xff']", 16, "invalid UTF-8");
}

static void numbers_are_range_checked(void **state)
{
    assert_error("[x-a:n = 9007199254740992]", 10, "out of range");
    assert_error("[x-a:n = +5]", 10, "without '+'");
    assert_error("[x-a:n = 1e999]", 10, "out of range");
    assert_error("[x-a:n = 5e-999]", 10, "too small for an IEEE 754 double");
    assert_normal("[x-a:n = 0e-999]", "[x-a:n = 0.0]");
    assert_normal("[x-a:n = 5e-320]", "[x-a:n = 5.0e-320]");
    assert_error("[x-a:n = 5x]", 11, "unexpected character after a number");
    assert_error("[x-a:n = .5]", 10, "digit before the point");
    assert_error("[x-a:b = TRUE]", 10, "booleans are lower case");
}

/* ---- operators ------------------------------------------------------------------ */

static void operators_check_their_operands(void **state)
{
    assert_error("[file:name MATCHES 5]", 20, "MATCHES needs a string constant, found an integer");
    assert_error("[file:name LIKE h'ff']", 17, "LIKE needs a string constant");
    assert_error("[file:size > true]", 14, "not a boolean");
    assert_error("[ipv4-addr:value ISSUBSET 'example.com']", 27, "IPv4 or IPv6 address or CIDR");
    assert_error("[ipv4-addr:value ISSUBSET '198.51.100.0/33']", 27, "IPv4 or IPv6 address");
    assert_error("[ipv4-addr:value ISSUBSET '2001:db8::/32']", 27, "with an IPv6 CIDR block");
    assert_error("[process:name IN ('a', 5)]", 24, "IN set mixes a string with an integer");
    assert_error("[process:name IN ()]", 19, "IN set is empty");
    assert_error("[process:name IN 'a']", 18, "expected '(' to start the IN set");
    assert_error("[process:name IN ('a' 'b')]", 23, "expected ',' or ')' in the IN set");
    assert_normal("[process:pid IN (1, 2.5)]", "[process:pid IN (1, 2.5)]");
}

static void not_goes_before_the_operator(void **state)
{
    assert_normal("[file:name NOT = 'x']", "[file:name NOT = 'x']");
    assert_normal("[file:name NOT IN ('x', 'y')]", "[file:name NOT IN ('x', 'y')]");
    assert_normal("[file:name NOT LIKE 'x%']", "[file:name NOT LIKE 'x%']");
    assert_normal("[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']",
                  "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']");
    assert_error("[NOT file:name = 'x']", 2, "NOT goes between the object path and the operator");
    assert_error("[file:name = NOT 'x']", 14, "expected a constant");
    assert_error("[NOT EXISTS file:name]", 2, "NOT goes between");
    assert_error("[file:name EXISTS]", 12, "EXISTS goes before the object path");
}

static void missing_operator_says_what_was_expected(void **state)
{
    assert_error("[file:name 'x']", 12, "expected a comparison operator (=, !=, <");
    assert_error("[file:name == 'x']", 13, "expected a constant");
    assert_error("[file:name = \"x\"]", 14, "enclosed in apostrophes");
    assert_error("[file:name = 'x' foo:bar = 1]", 18, "expected ']' or AND/OR, found 'foo:bar'");
}

/* ---- structure --------------------------------------------------------------- */

static void unbalanced_brackets_are_refused(void **state)
{
    assert_error("[file:name = 'x'", 17, "expected ']' or AND/OR, found the end of the pattern");
    assert_error("[file:name = 'x']]", 18, "found ']'");
    assert_error("([file:name = 'x']", 19, "expected ')', AND, OR, FOLLOWEDBY");
    assert_error("[(file:name = 'x']", 18, "expected ')' or AND/OR");
    assert_error("file:name = 'x'", 1, "expected '[' or '('");
    assert_error("", 1, "pattern is empty");
    assert_error("   \n ", 6, "pattern is empty");
    assert_error("[]", 2, "expected an object path, EXISTS or '('");
}

static void keywords_are_upper_case(void **state)
{
    assert_error("[file:name = 'a' or file:name = 'b']", 18, "(keywords are upper case)");
    assert_error("[file:name = 'a'] followedby [file:name = 'b']", 19, "(keywords are upper case)");
    assert_error("[file:name in ('a')]", 12, "(keywords are upper case)");
    assert_error("[file:name = 'a'] within 5 seconds", 19, "(keywords are upper case)");
    assert_error("[exists file:name]", 2, "expected an object path, found 'exists' (keywords");
    assert_error("[file:name = 'a' AND not file:name = 'b']", 22, "keywords are upper case");
}

static void qualifiers_are_checked(void **state)
{
    assert_error("[file:name = 'a'] REPEATS 0 TIMES", 27, "REPEATS needs a positive integer");
    assert_error("[file:name = 'a'] REPEATS -2 TIMES", 27, "REPEATS needs a positive integer");
    assert_error("[file:name = 'a'] REPEATS 2.5 TIMES", 27, "REPEATS needs a positive integer");
    assert_error("[file:name = 'a'] REPEATS 2", 28, "expected TIMES after the REPEATS count");
    assert_error("[file:name = 'a'] WITHIN 5", 27, "expected SECONDS after the WITHIN duration");
    assert_error("[file:name = 'a'] WITHIN 0 SECONDS", 26, "WITHIN needs a positive number");
    assert_error("[file:name = 'a'] WITHIN SECONDS", 26, "expected a positive number of seconds");
    assert_error("[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS", 36,
                 "a second WITHIN qualifier");
    assert_error("[file:name = 'a'] REPEATS 2 TIMES WITHIN 5 SECONDS REPEATS 3 TIMES", 52,
                 "a second REPEATS qualifier");
    assert_normal("[file:name = 'a'] WITHIN 2.5 SECONDS", "[file:name = 'a'] WITHIN 2.5 SECONDS");
    /* Parentheses nest qualifiers of one kind; other kinds merge into the chain. */
    assert_normal("([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 9 SECONDS",
                  "([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 9 SECONDS");
    assert_normal("([file:name = 'a'] REPEATS 2 TIMES) WITHIN 9 SECONDS",
                  "[file:name = 'a'] REPEATS 2 TIMES WITHIN 9 SECONDS");
    assert_normal("(([file:name = 'a'] REPEATS 2 TIMES) WITHIN 9 SECONDS) REPEATS 3 TIMES",
                  "([file:name = 'a'] REPEATS 2 TIMES WITHIN 9 SECONDS) REPEATS 3 TIMES");
}

static void observation_precedence_is_and_or_followedby(void **state)
{
    /* AND binds tighter than OR, OR tighter than FOLLOWEDBY (9.5.3). */
    assert_normal("[x-a:n = 1] OR [x-a:n = 2] AND [x-a:n = 3]",
                  "[x-a:n = 1] OR [x-a:n = 2] AND [x-a:n = 3]");
    assert_normal("([x-a:n = 1] OR [x-a:n = 2]) AND [x-a:n = 3]",
                  "([x-a:n = 1] OR [x-a:n = 2]) AND [x-a:n = 3]");
    assert_normal("[x-a:n = 1] FOLLOWEDBY ([x-a:n = 2] OR [x-a:n = 3])",
                  "[x-a:n = 1] FOLLOWEDBY [x-a:n = 2] OR [x-a:n = 3]");
    assert_normal("([x-a:n = 1] FOLLOWEDBY [x-a:n = 2]) OR [x-a:n = 3]",
                  "([x-a:n = 1] FOLLOWEDBY [x-a:n = 2]) OR [x-a:n = 3]");
    /* Left-nested chains are the chain; right-nested keep their parentheses. */
    assert_normal("(([x-a:n = 1] FOLLOWEDBY [x-a:n = 2]) FOLLOWEDBY [x-a:n = 3])",
                  "[x-a:n = 1] FOLLOWEDBY [x-a:n = 2] FOLLOWEDBY [x-a:n = 3]");
    assert_normal("[x-a:n = 1] FOLLOWEDBY ([x-a:n = 2] FOLLOWEDBY [x-a:n = 3])",
                  "[x-a:n = 1] FOLLOWEDBY ([x-a:n = 2] FOLLOWEDBY [x-a:n = 3])");
    /* A qualifier binds to the expression just before it (9.5.1). */
    assert_normal("[x-a:n = 1] FOLLOWEDBY [x-a:n = 2] REPEATS 5 TIMES",
                  "[x-a:n = 1] FOLLOWEDBY [x-a:n = 2] REPEATS 5 TIMES");
    assert_normal("([x-a:n = 1] FOLLOWEDBY [x-a:n = 2]) REPEATS 5 TIMES",
                  "([x-a:n = 1] FOLLOWEDBY [x-a:n = 2]) REPEATS 5 TIMES");
    /* Inside brackets, AND and OR are associative and flatten. */
    assert_normal("[x-a:n = 1 AND (x-a:n = 2 AND x-a:n = 3)]",
                  "[x-a:n = 1 AND x-a:n = 2 AND x-a:n = 3]");
    assert_normal("[x-a:n = 1 AND (x-a:n = 2 OR x-a:n = 3)]",
                  "[x-a:n = 1 AND (x-a:n = 2 OR x-a:n = 3)]");
    assert_normal("[((((x-a:n = 1))))]", "[x-a:n = 1]");
}

static void whitespace_is_any_unicode_space(void **state)
{
    /* Tabs, CR/LF, U+00A0, U+2003 and U+3000 all separate tokens. */
    assert_normal("\t[file:name\xc2\xa0=\xe2\x80\x83'x']\r\n\xe3\x80\x80"
                  "AND [file:size = 1]",
                  "[file:name = 'x'] AND [file:size = 1]");
    assert_error("[file:name \xe2\x80\x8b= 'x']", 12, "U+200B");
}

/* ---- object paths -------------------------------------------------------------- */

static void object_paths_follow_section_9_7(void **state)
{
    assert_normal("[network-traffic:protocols[0] = 'tcp']",
                  "[network-traffic:protocols[0] = 'tcp']");
    assert_normal("[file:hashes.'SHA-256' = 'x']", "[file:hashes.'SHA-256' = 'x']");
    assert_normal("[x-a:d.'a.b'.'it\\'s' = 1]", "[x-a:d.'a.b'.'it\\'s' = 1]");
    assert_error("[file:hashes.SHA-256 = 'x']", 14,
                 "a property name with '-' must be quoted: 'SHA-256'");
    assert_error("[File:name = 'x']", 2, "'File' is not a STIX object type");
    assert_error("[x--y:name = 'x']", 2, "is not a STIX object type");
    assert_error("[ab:name = 'x']", 2, "is not a STIX object type");
    assert_error("[file:name[-1] = 'x']", 12, "expected a list index");
    assert_error("[file:name[x] = 'x']", 12, "expected a list index");
    assert_error("[file:name[1 = 'x']", 13, "expected ']' to close the list index");
    assert_error("[file: = 'x']", 7, "expected a property name after ':'");
    assert_error("[file:hashes. = 'x']", 14, "expected a property name or quoted key after '.'");
    assert_error("[file:hashes.'' = 'x']", 14, "empty property name");
}

static void and_needs_one_object_type(void **state)
{
    /* 9.5: operands of AND must be satisfiable by the same object. */
    assert_error("[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'example.com']", 39,
                 "AND joins comparisons on 'ipv4-addr' and 'domain-name'");
    assert_normal("[(ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.example') AND "
                  "domain-name:value = 'b.example']",
                  "[(ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.example') AND "
                  "domain-name:value = 'b.example']");
    assert_parses("[(type-a:x = 'W' AND type-a:y = 'X') OR (type-b:m = 'Y' AND type-b:n = 'Z')]");
}

/* ---- limits -------------------------------------------------------------------- */

static void length_limit_is_enforced(void **state)
{
    const char *in = "[file:name = 'abcdefgh']";
    fh_pattern *p = NULL;
    fh_pattern_error err;
    assert_int_equal(fh_pattern_parse(in, strlen(in), 10, &p, &err), FH_ERR_LIMIT);
    assert_null(p);
    assert_int_equal(err.column, 11);
    assert_non_null(strstr(err.message, "pattern is 24 bytes; the limit is 10"));
    assert_int_equal(fh_pattern_parse(in, strlen(in), strlen(in), &p, &err), FH_OK);
    fh_pattern_free(p);
}

static void nesting_limit_is_enforced_without_recursion_trouble(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 0);
    /* Exactly at the limit: 63 parentheses and one bracket. */
    for (int i = 0; i < FH_PATTERN_MAX_DEPTH - 1; i++)
        fh_buf_append_char(&b, '(');
    fh_buf_append_str(&b, "[file:name = 'x']");
    for (int i = 0; i < FH_PATTERN_MAX_DEPTH - 1; i++)
        fh_buf_append_char(&b, ')');
    assert_normal(b.data, "[file:name = 'x']");

    /* 100000 parentheses: a clear limit error at the 65th. */
    fh_buf_reset(&b);
    for (int i = 0; i < 100000; i++)
        fh_buf_append_char(&b, '(');
    fh_pattern *p = NULL;
    fh_pattern_error err;
    assert_int_equal(fh_pattern_parse(b.data, b.len, b.len, &p, &err), FH_ERR_LIMIT);
    assert_int_equal(err.column, FH_PATTERN_MAX_DEPTH + 1);
    assert_non_null(strstr(err.message, "nest deeper than 64 levels"));

    /* Inside brackets as well. */
    fh_buf_reset(&b);
    fh_buf_append_char(&b, '[');
    for (int i = 0; i < 100000; i++)
        fh_buf_append_char(&b, '(');
    assert_int_equal(fh_pattern_parse(b.data, b.len, b.len, &p, &err), FH_ERR_LIMIT);
    assert_int_equal(err.column, FH_PATTERN_MAX_DEPTH + 1);
    fh_buf_cleanup(&b);
}

static void long_flat_chains_do_not_recurse(void **state)
{
    /* 20000 operands of one OR are one node, not a 20000-deep tree. */
    fh_buf b;
    fh_buf_init(&b, 0);
    fh_buf_append_char(&b, '[');
    for (int i = 0; i < 20000; i++)
        fh_buf_appendf(&b, "%sx-a:n = %d", i ? " OR " : "", i);
    fh_buf_append_str(&b, "] FOLLOWEDBY [x-a:n = 1]");
    for (int i = 0; i < 5000; i++)
        fh_buf_append_str(&b, " AND [x-a:n = 1]");
    fh_pattern *p = NULL;
    fh_pattern_error err;
    assert_int_equal(fh_pattern_parse(b.data, b.len, b.len, &p, &err), FH_OK);
    fh_buf out;
    fh_buf_init(&out, 0);
    assert_int_equal(fh_pattern_format(p, &out), FH_OK);
    assert_string_equal(out.data, b.data);
    fh_pattern_free(p);
    fh_buf_cleanup(&out);
    fh_buf_cleanup(&b);
}

static void nul_bytes_and_null_error_pointer_are_handled(void **state)
{
    const char in[] = "[file:name = 'a\0b']";
    fh_pattern *p = NULL;
    fh_pattern_error err;
    assert_int_equal(fh_pattern_parse(in, sizeof in - 1, 0, &p, &err), FH_ERR_PARSE);
    assert_int_equal(err.column, 16);
    assert_non_null(strstr(err.message, "NUL byte"));
    assert_int_equal(fh_pattern_parse("[", 1, 0, &p, NULL), FH_ERR_PARSE);
    assert_null(p);
    /* The text need not be terminated: only len bytes are read. */
    const char *t = "[file:name = 'x']GARBAGE";
    assert_int_equal(fh_pattern_parse(t, 17, 0, &p, &err), FH_OK);
    fh_pattern_free(p);
    fh_pattern_free(NULL);
}

static fh_pattern *parse_ok(const char *in)
{
    fh_pattern *p = NULL;
    assert_int_equal(fh_pattern_parse(in, strlen(in), 0, &p, NULL), FH_OK);
    return p;
}

static void tree_equality_sees_grouping_and_constants(void **state)
{
    /* The round-trip checks above rely on fh__pattern_equal telling these apart. */
    static const char *const pairs[][2] = {
        {"[x-a:n = 1] AND ([x-a:n = 2] OR [x-a:n = 3])",
         "[x-a:n = 1] AND [x-a:n = 2] OR [x-a:n = 3]"},
        {"[x-a:n = 1 AND (x-a:n = 2 OR x-a:n = 3)]", "[x-a:n = 1 AND x-a:n = 2 OR x-a:n = 3]"},
        {"[x-a:n = 1]", "[x-a:n = 1.0]"},
        {"[x-a:n = 0.0]", "[x-a:n = -0.0]"},
        {"[x-a:n = 'a']", "[x-a:n NOT = 'a']"},
        {"[x-a:t = t'2016-01-01T00:00:00Z']", "[x-a:t = t'2016-01-01T00:00:00.0Z']"},
        {"[x-a:n[0] = 1]", "[x-a:n[*] = 1]"},
        {"[x-a:n = 1] REPEATS 2 TIMES WITHIN 5 SECONDS",
         "[x-a:n = 1] WITHIN 5 SECONDS REPEATS 2 TIMES"},
    };
    for (size_t i = 0; i < FH_ARRAY_LEN(pairs); i++) {
        fh_pattern *a = parse_ok(pairs[i][0]), *b = parse_ok(pairs[i][1]);
        if (fh__pattern_equal(a, b))
            fail_msg("'%s' and '%s' compare equal", pairs[i][0], pairs[i][1]);
        assert_true(fh__pattern_equal(a, a));
        fh_pattern_free(a);
        fh_pattern_free(b);
    }
    fh_pattern *a = parse_ok("( [x-a:n = 1]  )"), *b = parse_ok("[x-a:'n' = 01]");
    assert_true(fh__pattern_equal(a, b));
    fh_pattern_free(a);
    fh_pattern_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_spec_example_parses_and_round_trips),
        cmocka_unit_test(spec_examples_normalize_as_expected),
        cmocka_unit_test(schematic_spec_examples_are_refused_clearly),
        cmocka_unit_test(constants_print_in_canonical_form),
        cmocka_unit_test(hex_constants_are_lower_case_and_even),
        cmocka_unit_test(binary_constants_are_checked_base64),
        cmocka_unit_test(timestamps_are_validated),
        cmocka_unit_test(strings_allow_only_two_escapes),
        cmocka_unit_test(numbers_are_range_checked),
        cmocka_unit_test(operators_check_their_operands),
        cmocka_unit_test(not_goes_before_the_operator),
        cmocka_unit_test(missing_operator_says_what_was_expected),
        cmocka_unit_test(unbalanced_brackets_are_refused),
        cmocka_unit_test(keywords_are_upper_case),
        cmocka_unit_test(qualifiers_are_checked),
        cmocka_unit_test(observation_precedence_is_and_or_followedby),
        cmocka_unit_test(whitespace_is_any_unicode_space),
        cmocka_unit_test(object_paths_follow_section_9_7),
        cmocka_unit_test(and_needs_one_object_type),
        cmocka_unit_test(length_limit_is_enforced),
        cmocka_unit_test(nesting_limit_is_enforced_without_recursion_trouble),
        cmocka_unit_test(long_flat_chains_do_not_recurse),
        cmocka_unit_test(nul_bytes_and_null_error_pointer_are_handled),
        cmocka_unit_test(tree_equality_sees_grouping_and_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
