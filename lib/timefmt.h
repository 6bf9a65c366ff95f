/*
 * timefmt.h: durations, timestamps and dates, parsed and printed as Spark
 * does. Timestamps are microseconds since 1970-01-01 00:00:00 UTC; dates
 * are days since 1970-01-01. The session time zone is UTC.
 */
#ifndef SP_TIMEFMT_H
#define SP_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define SP_US_PER_SEC INT64_C(1000000)
#define SP_US_PER_DAY INT64_C(86400000000)

/*
 * A duration: "10 minutes", "1 hour 30 minutes", "200 milliseconds",
 * "interval 5 seconds", "1.5 hours", "10s". Units (singular, plural or
 * short): week, day (d), hour (h, hr), minute (min, m), second (s, sec),
 * millisecond (ms, milli), microsecond (us, micro). Result in microseconds;
 * -1 with err naming what on failure. Negative durations are accepted
 * ("-5 minutes"); callers that refuse them say so.
 */
int sp_duration_parse(const char *s, int64_t *us, const char *what, struct sp_err *err);
/* "10 minutes", "1 hour 30 minutes", "250 milliseconds": the shortest exact form. */
void sp_duration_format(int64_t us, char *buf, size_t size);

/*
 * Spark's string-to-timestamp cast: "2024-05-01", "2024-05-01 10:00",
 * "2024-05-01T10:00:00.123456Z", "2024-05-01 10:00:00+02:00", with zone ids
 * Z, UTC, GMT, +hh, +hh:mm, +hhmm (and UTC+hh:mm). Leading and trailing
 * blanks are allowed. Returns 0 and *us, or -1 if s is not a timestamp.
 */
int sp_ts_parse(const char *s, size_t len, int64_t *us);
/* "yyyy-mm-dd", optionally followed by blanks. 0 and *days, or -1. */
int sp_date_parse(const char *s, size_t len, int64_t *days);

/* Spark's timestamp-to-string cast: "2024-05-01 10:00:00" plus ".123" etc. when nonzero. */
size_t sp_ts_format(int64_t us, char *buf);	/* buf: SP_TS_BUFSZ bytes */
/* JSON/CSV writers' default: "2024-05-01T10:00:00.000Z". */
size_t sp_ts_format_iso(int64_t us, char *buf);
size_t sp_date_format(int64_t days, char *buf);
#define SP_TS_BUFSZ 48

/* Calendar helpers. */
int64_t sp_days_from_civil(int64_t y, unsigned m, unsigned d);
void sp_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* floor division, for negative timestamps */
static inline int64_t sp_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Now, in microseconds (wall clock). */
int64_t sp_now_us(void);
/* Monotonic clock in microseconds. */
int64_t sp_mono_us(void);

#endif
