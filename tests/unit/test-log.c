/*
 * Unit tests: logging (lib/util/util-log.c). stderr is redirected to a
 * temporary file so each test can read back exactly what was written.
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
#include <jansson.h>

#include "fenghuo/util.h"

/* Runs fn with stderr going to a file; returns what it wrote (caller frees). */
static char *capture(void (*fn)(void))
{
    char path[] = "/tmp/fh-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    fh_buf b;
    fh_buf_init(&b, 0);
    assert_int_equal(fh_buf_read_file(&b, path), FH_OK);
    close(fd);
    unlink(path);
    return fh_buf_steal(&b);
}

static void log_text_warning(void)
{
    fh_log_set_format(FH_LOG_TEXT);
    fh_log_set_level(FH_LOG_INFO);
    fh_warn("hub", "port %d is taken", 8443);
    fh_debug("hub", "not shown");
}

static void text_lines_carry_time_level_component_and_message(void **state)
{
    char *out = capture(log_text_warning);
    assert_non_null(strstr(out, " warn hub: port 8443 is taken\n"));
    assert_null(strstr(out, "not shown"));
    assert_int_equal(out[4], '-');
    assert_int_equal(out[23], 'Z');
    free(out);
}

static void log_json_with_quotes(void)
{
    fh_log_set_format(FH_LOG_JSON);
    fh_log_set_level(FH_LOG_DEBUG);
    fh_info("sensor", "name \"%s\"\nnext", "a\\b");
    fh_log_set_format(FH_LOG_TEXT);
}

static void json_lines_parse_as_json_with_the_message_intact(void **state)
{
    char *out = capture(log_json_with_quotes);
    size_t n = strlen(out);
    assert_true(n > 0 && out[n - 1] == '\n');
    json_error_t e;
    json_t *v = json_loads(out, 0, &e);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(v, "component")), "sensor");
    assert_string_equal(json_string_value(json_object_get(v, "msg")), "name \"a\\b\"\nnext");
    json_decref(v);
    free(out);
}

static void log_forged_line(void)
{
    fh_log_set_format(FH_LOG_TEXT);
    fh_log_set_level(FH_LOG_INFO);
    fh_info("hub", "user said %s", "hi\n2026-01-01T00:00:00.000Z error hub: forged");
}

static void text_lines_cannot_be_forged_by_newlines_in_input(void **state)
{
    char *out = capture(log_forged_line);
    assert_non_null(strstr(out, "hi?2026"));
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
    free(out);
}

static void log_off(void)
{
    fh_log_set_level(FH_LOG_OFF);
    fh_error("hub", "silenced");
    fh_log_set_level(FH_LOG_INFO);
}

static void level_off_writes_nothing(void **state)
{
    char *out = capture(log_off);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_lines_carry_time_level_component_and_message),
        cmocka_unit_test(json_lines_parse_as_json_with_the_message_intact),
        cmocka_unit_test(text_lines_cannot_be_forged_by_newlines_in_input),
        cmocka_unit_test(level_off_writes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
