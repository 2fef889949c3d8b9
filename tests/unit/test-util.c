/*
 * Unit tests: errors, allocation helpers, bounded buffers, number parsing,
 * constant-time comparison and log-level parsing (lib/util).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fenghuo/util.h"

static void every_error_code_has_its_own_message(void **state)
{
    for (int i = 0; i < FH_ERR__COUNT; i++) {
        const char *m = fh_strerror((fh_err)i);
        assert_non_null(m);
        assert_string_not_equal(m, "unknown error");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(m, fh_strerror((fh_err)j));
    }
    assert_string_equal(fh_strerror(FH_ERR__COUNT), "unknown error");
    assert_string_equal(fh_strerror((fh_err)-1), "unknown error");
}

static void buffer_appends_and_stays_terminated(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 0);
    assert_int_equal(fh_buf_append_str(&b, "abc"), FH_OK);
    assert_int_equal(fh_buf_appendf(&b, "-%d-", 42), FH_OK);
    assert_int_equal(fh_buf_append_char(&b, 'z'), FH_OK);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "abc-42-z");
    fh_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    fh_buf_cleanup(&b);
}

static void buffer_refuses_to_grow_past_its_maximum(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 10);
    assert_int_equal(fh_buf_append_str(&b, "0123456789"), FH_OK);
    assert_int_equal(fh_buf_append_char(&b, 'x'), FH_ERR_LIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    fh_buf_reset(&b);
    assert_int_equal(fh_buf_appendf(&b, "%s", "01234567890"), FH_ERR_LIMIT);
    assert_int_equal(b.len, 0);
    fh_buf_cleanup(&b);
}

static void buffer_grows_through_many_appends(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(fh_buf_append(&b, "0123456789", 10), FH_OK);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[99999], '9');
    assert_int_equal(b.data[100000], '\0');
    char *s = fh_buf_steal(&b);
    assert_int_equal(strlen(s), 100000);
    assert_null(b.data);
    free(s);
    fh_buf_cleanup(&b);
}

static void buffer_escapes_json_strings(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 0);
    const char in[] = "a\"b\\c\n\x01";
    assert_int_equal(fh_buf_append_json_string(&b, in, sizeof in - 1), FH_OK);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    fh_buf_cleanup(&b);
}

static void buffer_json_string_over_limit_leaves_buffer_unchanged(void **state)
{
    fh_buf b;
    fh_buf_init(&b, 8);
    assert_int_equal(fh_buf_append_str(&b, "ab"), FH_OK);
    assert_int_equal(fh_buf_append_json_string(&b, "0123456789", 10), FH_ERR_LIMIT);
    assert_string_equal(b.data, "ab");
    fh_buf_cleanup(&b);
}

static void buffer_reads_a_file_and_reports_the_limit(void **state)
{
    char path[] = "/tmp/fh-test-util-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello, file", 11), 11);
    close(fd);
    fh_buf b;
    fh_buf_init(&b, 100);
    assert_int_equal(fh_buf_read_file(&b, path), FH_OK);
    assert_string_equal(b.data, "hello, file");
    fh_buf_cleanup(&b);
    fh_buf_init(&b, 5);
    assert_int_equal(fh_buf_read_file(&b, path), FH_ERR_LIMIT);
    fh_buf_cleanup(&b);
    unlink(path);
    fh_buf_init(&b, 5);
    assert_int_equal(fh_buf_read_file(&b, "/nonexistent/fenghuo"), FH_ERR_IO);
    fh_buf_cleanup(&b);
}

static void parse_i64_checks_range_and_trailing_text(void **state)
{
    int64_t v = 0;
    assert_int_equal(fh_parse_i64("42", 0, 100, &v), FH_OK);
    assert_int_equal(v, 42);
    assert_int_equal(fh_parse_i64("-5", -10, 10, &v), FH_OK);
    assert_int_equal(v, -5);
    assert_int_equal(fh_parse_i64("101", 0, 100, &v), FH_ERR_LIMIT);
    assert_int_equal(fh_parse_i64("99999999999999999999", 0, INT64_MAX, &v), FH_ERR_LIMIT);
    assert_int_equal(fh_parse_i64("12abc", 0, 100, &v), FH_ERR_PARSE);
    assert_int_equal(fh_parse_i64("", 0, 100, &v), FH_ERR_PARSE);
    assert_int_equal(fh_parse_i64(" 1", 0, 100, &v), FH_ERR_PARSE);
    assert_int_equal(fh_parse_i64("+1", 0, 100, &v), FH_ERR_PARSE);
}

static void parse_size_understands_suffixes(void **state)
{
    size_t v = 0;
    assert_int_equal(fh_parse_size("64K", SIZE_MAX, &v), FH_OK);
    assert_int_equal(v, 65536);
    assert_int_equal(fh_parse_size("3M", SIZE_MAX, &v), FH_OK);
    assert_int_equal(v, 3 << 20);
    assert_int_equal(fh_parse_size("1G", SIZE_MAX, &v), FH_OK);
    assert_int_equal(v, (size_t)1 << 30);
    assert_int_equal(fh_parse_size("2G", (size_t)1 << 30, &v), FH_ERR_LIMIT);
    assert_int_equal(fh_parse_size("12X", SIZE_MAX, &v), FH_ERR_PARSE);
    assert_int_equal(fh_parse_size("-1", SIZE_MAX, &v), FH_ERR_PARSE);
}

static void consttime_equal_compares_content_and_length(void **state)
{
    assert_true(fh_consttime_equal("secret", 6, "secret", 6));
    assert_false(fh_consttime_equal("secret", 6, "secreT", 6));
    assert_false(fh_consttime_equal("secret", 6, "secret!", 7));
    assert_true(fh_consttime_equal("", 0, "", 0));
}

static void log_levels_parse_by_name(void **state)
{
    fh_log_level l;
    assert_int_equal(fh_log_level_parse("warn", &l), FH_OK);
    assert_int_equal(l, FH_LOG_WARN);
    assert_int_equal(fh_log_level_parse("debug", &l), FH_OK);
    assert_int_equal(l, FH_LOG_DEBUG);
    assert_int_equal(fh_log_level_parse("verbose", &l), FH_ERR_USAGE);
}

static void asprintf_formats_into_a_new_string(void **state)
{
    char *s = fh_xasprintf("%s=%d", "n", 7);
    assert_string_equal(s, "n=7");
    free(s);
    char *d = fh_xstrndup("abcdef", 3);
    assert_string_equal(d, "abc");
    free(d);
    assert_null(fh_xstrdup(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_error_code_has_its_own_message),
        cmocka_unit_test(buffer_appends_and_stays_terminated),
        cmocka_unit_test(buffer_refuses_to_grow_past_its_maximum),
        cmocka_unit_test(buffer_grows_through_many_appends),
        cmocka_unit_test(buffer_escapes_json_strings),
        cmocka_unit_test(buffer_json_string_over_limit_leaves_buffer_unchanged),
        cmocka_unit_test(buffer_reads_a_file_and_reports_the_limit),
        cmocka_unit_test(parse_i64_checks_range_and_trailing_text),
        cmocka_unit_test(parse_size_understands_suffixes),
        cmocka_unit_test(consttime_equal_compares_content_and_length),
        cmocka_unit_test(log_levels_parse_by_name),
        cmocka_unit_test(asprintf_formats_into_a_new_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
