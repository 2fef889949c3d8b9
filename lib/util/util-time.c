/*
 * STIX timestamps (RFC 3339, UTC, "Z"): strict parsing, formatting that keeps
 * the precision given, and comparison. Conversion between civil dates and
 * day numbers uses the proleptic Gregorian calendar, as RFC 3339 does.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fenghuo/time.h"

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a civil date. Shifts the year to start in March
 * so the leap day is the last day of the shifted year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

#define FAIL(msg)                                                                                  \
    do {                                                                                           \
        if (errmsg)                                                                                \
            *errmsg = (msg);                                                                       \
        return FH_ERR_PARSE;                                                                       \
    } while (0)

fh_err fh_time_parse(const char *s, size_t len, fh_time *out, const char **errmsg)
{
    size_t i = 0;
    int year, mon, day, hour, min, sec;
    if (!digits(s, len, &i, 4, &year) || !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &mon) ||
        !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &day))
        FAIL("expected a date as YYYY-MM-DD");
    if (!expect(s, len, &i, 'T'))
        FAIL("expected 'T' between date and time");
    if (!digits(s, len, &i, 2, &hour) || !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &min) ||
        !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &sec))
        FAIL("expected a time as HH:mm:ss");
    uint32_t nsec = 0;
    int ndig = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (ndig == 9)
                FAIL("more than 9 fractional digits (nanoseconds) are not supported");
            nsec = nsec * 10 + (uint32_t)(s[i] - '0');
            ndig++;
            i++;
        }
        if (ndig == 0)
            FAIL("expected digits after the decimal point");
        for (int k = ndig; k < 9; k++)
            nsec *= 10;
    }
    if (i >= len || s[i] != 'Z')
        FAIL("timestamp must be in UTC and end with 'Z'");
    i++;
    if (i != len)
        FAIL("unexpected characters after 'Z'");
    if (year < 1)
        FAIL("year must be 0001 or later");
    if (mon < 1 || mon > 12)
        FAIL("month must be 01-12");
    if (day < 1 || day > days_in_month(year, mon))
        FAIL("day does not exist in that month");
    if (hour > 23)
        FAIL("hour must be 00-23");
    if (min > 59)
        FAIL("minute must be 00-59");
    if (sec > 60 || (sec == 60 && (hour != 23 || min != 59)))
        FAIL("second must be 00-59 (60 only at 23:59:60, a leap second)");

    out->sec = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    out->nsec = nsec;
    out->frac_digits = (uint8_t)ndig;
    return FH_OK;
}

size_t fh_time_format_digits(const fh_time *t, unsigned ndig, char *buf, size_t bufsize)
{
    if (ndig > 9)
        ndig = 9;
    int64_t days = t->sec / 86400;
    int64_t rem = t->sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char frac[12] = "";
    if (ndig > 0) {
        uint32_t v = t->nsec;
        for (unsigned k = ndig; k < 9; k++)
            v /= 10;
        snprintf(frac, sizeof frac, ".%0*u", (int)ndig, v);
    }
    int n = snprintf(buf, bufsize, "%04lld-%02d-%02dT%02d:%02d:%02d%sZ", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac);
    if (n < 0)
        return 0;
    return (size_t)n < bufsize ? (size_t)n : bufsize ? bufsize - 1 : 0;
}

size_t fh_time_format(const fh_time *t, char *buf, size_t bufsize)
{
    return fh_time_format_digits(t, t->frac_digits, buf, bufsize);
}

int fh_time_cmp(const fh_time *a, const fh_time *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->nsec != b->nsec)
        return a->nsec < b->nsec ? -1 : 1;
    return 0;
}

fh_time fh_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fh_time t = {.sec = ts.tv_sec, .nsec = (uint32_t)(ts.tv_nsec / 1000 * 1000), .frac_digits = 6};
    return t;
}

bool fh_time_valid(const char *s)
{
    fh_time t;
    return s && fh_time_parse(s, strlen(s), &t, NULL) == FH_OK;
}
