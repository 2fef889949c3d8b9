/*
 * Unit tests: the configuration file reader (lib/util/util-config.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/config.h"

static fh_err parse(fh_config *c, const char *text, fh_buf *err)
{
    return fh_config_parse(c, "test.conf", text, strlen(text), err);
}

static void keys_values_sections_and_lines_are_kept(void **state)
{
    fh_config c;
    fh_buf err;
    fh_buf_init(&err, 0);
    const char *text = "# top\n"
                       "threshold_pps = 5000   # busy\n"
                       "\n"
                       "[group dns-servers]\n"
                       "prefixes = 198.18.0.53/32, 2001:db8::53\n"
                       "udp_pps=200000\r\n";
    assert_int_equal(parse(&c, text, &err), FH_OK);
    assert_int_equal(c.count, 4);
    assert_string_equal(c.entries[0].section, "");
    assert_string_equal(c.entries[0].key, "threshold_pps");
    assert_string_equal(c.entries[0].value, "5000");
    assert_int_equal(c.entries[0].line, 2);
    /* the header is an entry with an empty key */
    assert_string_equal(c.entries[1].section, "group dns-servers");
    assert_string_equal(c.entries[1].key, "");
    assert_int_equal(c.entries[1].line, 4);
    assert_string_equal(c.entries[2].section, "group dns-servers");
    assert_string_equal(c.entries[2].value, "198.18.0.53/32, 2001:db8::53");
    assert_string_equal(c.entries[3].value, "200000");
    assert_int_equal(c.entries[3].line, 6);
    fh_config_cleanup(&c);
    fh_buf_cleanup(&err);
}

static void a_hash_inside_a_value_is_not_a_comment(void **state)
{
    fh_config c;
    fh_buf err;
    fh_buf_init(&err, 0);
    assert_int_equal(parse(&c, "bpf = port#1 # note\n", &err), FH_OK);
    assert_string_equal(c.entries[0].value, "port#1");
    fh_config_cleanup(&c);
    fh_buf_cleanup(&err);
}

static void errors_name_file_and_line(void **state)
{
    static const struct {
        const char *text, *fragment;
    } cases[] = {
        {"ok = 1\nno equals sign\n", "test.conf:2: expected 'key = value'"},
        {"Bad-Key = 1\n", "test.conf:1: 'Bad-Key' is not a key"},
        {"[group x\n", "test.conf:1: a section header"},
        {"[ ]\n", "test.conf:1: empty section header"},
        {"= 5\n", "test.conf:1: '' is not a key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fh_config c;
        fh_buf err;
        fh_buf_init(&err, 0);
        assert_int_equal(parse(&c, cases[i].text, &err), FH_ERR_PARSE);
        assert_non_null(strstr(err.data, cases[i].fragment));
        assert_int_equal(c.count, 0);
        fh_config_cleanup(&c);
        fh_buf_cleanup(&err);
    }
}

static void limits_have_numbers(void **state)
{
    fh_config c;
    fh_buf err;
    fh_buf_init(&err, 0);
    char *line = malloc(FH_CONFIG_MAX_LINE + 10);
    memset(line, 'a', FH_CONFIG_MAX_LINE + 5);
    line[FH_CONFIG_MAX_LINE + 5] = '\0';
    assert_int_equal(parse(&c, line, &err), FH_ERR_LIMIT);
    assert_non_null(strstr(err.data, "4096"));
    fh_config_cleanup(&c);
    free(line);
    fh_buf_reset(&err);
    const char nul[] = "a = 1\0b = 2";
    assert_int_equal(fh_config_parse(&c, "x", nul, sizeof nul - 1, &err), FH_ERR_PARSE);
    assert_non_null(strstr(err.data, "NUL"));
    fh_config_cleanup(&c);
    fh_buf_reset(&err);
    assert_int_equal(fh_config_load(&c, "/nonexistent/fenghuo.conf", &err), FH_ERR_IO);
    assert_non_null(strstr(err.data, "cannot read"));
    fh_config_cleanup(&c);
    fh_buf_cleanup(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_values_sections_and_lines_are_kept),
        cmocka_unit_test(a_hash_inside_a_value_is_not_a_comment),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(limits_have_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
