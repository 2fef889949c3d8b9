/*
 * STIX timestamps: RFC 3339 in UTC with a "Z", as STIX 2.1 section 2.16 says:
 * YYYY-MM-DDTHH:mm:ss[.s+]Z.
 *
 * The fractional part is kept as given: "…:12.100Z" has three digits and is
 * formatted back with three. fenghuo keeps up to nine digits (nanoseconds);
 * longer fractions are refused with a message rather than silently truncated.
 */
#ifndef FENGHUO_TIME_H
#define FENGHUO_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

typedef struct fh_time {
    int64_t sec;         /* seconds since 1970-01-01T00:00:00Z */
    uint32_t nsec;       /* 0..999999999 */
    uint8_t frac_digits; /* digits given after the point, 0..9 */
} fh_time;

/* Longest formatted timestamp: "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" + NUL. */
#define FH_TIME_STRLEN 31

/*
 * Parses a STIX timestamp. Rejects: another zone than "Z", a lower-case "t" or
 * "z", missing seconds, invalid dates (Feb 30, Feb 29 outside leap years),
 * hour 24, minute or second out of range (second 60 only at 23:59:60, a leap
 * second, which is taken as the next day's 00:00:00), years before 0001 or
 * after 9999, a point with no digits, more than 9 fractional digits.
 * errmsg (may be NULL) receives a short reason on failure.
 * Returns FH_OK or FH_ERR_PARSE.
 */
fh_err fh_time_parse(const char *s, size_t len, fh_time *out /* OUT */, const char **errmsg);

/* Formats t with its own number of fractional digits into buf (at least
 * FH_TIME_STRLEN bytes). Returns the length written. */
size_t fh_time_format(const fh_time *t, char *buf, size_t bufsize);
/* Formats with exactly `digits` fractional digits (0..9), e.g. 3 for ms. */
size_t fh_time_format_digits(const fh_time *t, unsigned digits, char *buf, size_t bufsize);

/* <0, 0, >0 as a is earlier than, equal to, later than b (by instant only). */
int fh_time_cmp(const fh_time *a, const fh_time *b);

/* The current time from the real-time clock, microsecond digits (6). */
fh_time fh_time_now(void);

/* Convenience: is s a valid STIX timestamp? */
bool fh_time_valid(const char *s);

#endif
