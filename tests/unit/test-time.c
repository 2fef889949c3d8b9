/*
 * Unit tests: STIX timestamps (lib/util/util-time.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fenghuo/time.h"

static fh_err parse(const char *s, fh_time *t)
{
    return fh_time_parse(s, strlen(s), t, NULL);
}

static void parses_epoch_without_fraction(void **state)
{
    fh_time t;
    assert_int_equal(parse("1970-01-01T00:00:00Z", &t), FH_OK);
    assert_int_equal(t.sec, 0);
    assert_int_equal(t.nsec, 0);
    assert_int_equal(t.frac_digits, 0);
}

static void parses_milliseconds_and_keeps_them(void **state)
{
    fh_time t;
    char buf[FH_TIME_STRLEN];
    assert_int_equal(parse("2016-01-20T12:31:12.123Z", &t), FH_OK);
    assert_int_equal(t.sec, 1453293072);
    assert_int_equal(t.nsec, 123000000);
    fh_time_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2016-01-20T12:31:12.123Z");
}

static void keeps_trailing_zero_digits_as_given(void **state)
{
    fh_time t;
    char buf[FH_TIME_STRLEN];
    assert_int_equal(parse("2026-11-28T10:00:00.100Z", &t), FH_OK);
    fh_time_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T10:00:00.100Z");
    assert_int_equal(parse("2026-11-28T10:00:00.000001Z", &t), FH_OK);
    assert_int_equal(t.nsec, 1000);
    fh_time_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T10:00:00.000001Z");
}

static void formats_with_requested_digits(void **state)
{
    fh_time t;
    char buf[FH_TIME_STRLEN];
    assert_int_equal(parse("2026-11-28T10:00:00.123456789Z", &t), FH_OK);
    fh_time_format_digits(&t, 3, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T10:00:00.123Z");
    fh_time_format_digits(&t, 0, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T10:00:00Z");
    fh_time_format(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-28T10:00:00.123456789Z");
}

static void accepts_leap_day_in_leap_years_only(void **state)
{
    fh_time t;
    assert_int_equal(parse("2024-02-29T00:00:00Z", &t), FH_OK);
    assert_int_equal(parse("2000-02-29T00:00:00Z", &t), FH_OK);
    assert_int_equal(parse("2023-02-29T00:00:00Z", &t), FH_ERR_PARSE);
    assert_int_equal(parse("1900-02-29T00:00:00Z", &t), FH_ERR_PARSE);
}

static void rejects_impossible_dates_and_times(void **state)
{
    const char *bad[] = {
        "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",
        "2026-01-01T23:60:00Z", "2026-01-01T12:00:60Z", "0000-01-01T00:00:00Z",
    };
    fh_time t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *msg = NULL;
        assert_int_equal(fh_time_parse(bad[i], strlen(bad[i]), &t, &msg), FH_ERR_PARSE);
        assert_non_null(msg);
    }
}

static void rejects_other_zones_and_shapes(void **state)
{
    const char *bad[] = {
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00z",
        "2026-01-01t00:00:00Z",
        "2026-01-01 00:00:00Z",
        "2026-01-01T00:00Z",
        "2026-01-01T00:00:00.Z",
        "2026-1-01T00:00:00Z",
        "2026-01-01T00:00:00ZZ",
        "2026-01-01T00:00:00.1234567890Z",
        "",
        "20260101T000000Z",
    };
    fh_time t;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], &t), FH_ERR_PARSE);
}

static void leap_second_equals_next_midnight(void **state)
{
    fh_time a, b;
    assert_int_equal(parse("2016-12-31T23:59:60Z", &a), FH_OK);
    assert_int_equal(parse("2017-01-01T00:00:00Z", &b), FH_OK);
    assert_int_equal(fh_time_cmp(&a, &b), 0);
}

static void compares_by_instant_not_by_text(void **state)
{
    fh_time a, b;
    assert_int_equal(parse("2026-01-01T00:00:00.1Z", &a), FH_OK);
    assert_int_equal(parse("2026-01-01T00:00:00.100Z", &b), FH_OK);
    assert_int_equal(fh_time_cmp(&a, &b), 0);
    assert_int_equal(parse("2026-01-01T00:00:00.000001Z", &b), FH_OK);
    assert_true(fh_time_cmp(&a, &b) > 0);
    assert_true(fh_time_cmp(&b, &a) < 0);
}

static void round_trips_far_dates(void **state)
{
    const char *ok[] = {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
                        "1969-12-31T23:59:59.5Z", "2100-03-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        fh_time t;
        char buf[FH_TIME_STRLEN];
        assert_int_equal(parse(ok[i], &t), FH_OK);
        fh_time_format(&t, buf, sizeof buf);
        assert_string_equal(buf, ok[i]);
    }
}

static void now_is_valid_and_has_microseconds(void **state)
{
    fh_time t = fh_time_now();
    char buf[FH_TIME_STRLEN];
    fh_time_format(&t, buf, sizeof buf);
    assert_int_equal(strlen(buf), 27);
    assert_true(fh_time_valid(buf));
    assert_true(t.sec > 1700000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_epoch_without_fraction),
        cmocka_unit_test(parses_milliseconds_and_keeps_them),
        cmocka_unit_test(keeps_trailing_zero_digits_as_given),
        cmocka_unit_test(formats_with_requested_digits),
        cmocka_unit_test(accepts_leap_day_in_leap_years_only),
        cmocka_unit_test(rejects_impossible_dates_and_times),
        cmocka_unit_test(rejects_other_zones_and_shapes),
        cmocka_unit_test(leap_second_equals_next_midnight),
        cmocka_unit_test(compares_by_instant_not_by_text),
        cmocka_unit_test(round_trips_far_dates),
        cmocka_unit_test(now_is_valid_and_has_microseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
