/*
 * test-timefmt: timestamps, dates and durations, parsed and printed as
 * Spark does (CAST(string AS TIMESTAMP) with the session time zone UTC,
 * CAST(timestamp AS STRING), interval strings).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-timefmt:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

/*
 * Spark's accepted forms (SparkDateTimeUtils.parseTimestampString): a year
 * of 4 to 6 digits with an optional sign, then optional -m[m], -d[d], then
 * ' ' or 'T' and h[h], :m[m], :s[s], .fraction (any number of digits,
 * truncated to microseconds), and a zone after the seconds.
 */
static const struct {
	const char *s;
	int64_t us;
} ts_ok[] = {
	{ "2024-05-01", 1714521600000000LL },
	{ "2024-05-01 10:00", 1714557600000000LL },
	{ "2024-05-01T10:00:00", 1714557600000000LL },
	{ "2024-05-01 10:00:00.123456", 1714557600123456LL },
	{ "2024-05-01T10:00:00.123456789", 1714557600123456LL },
	{ "2024-05-01 10:00:00.1", 1714557600100000LL },
	{ "2024-05-01 10:00:00.12", 1714557600120000LL },
	{ "2024-05-01 10:00:00.1234567891234", 1714557600123456LL },
	{ "2024-05-01 10:00:00.", 1714557600000000LL },
	{ "2024-05-01 10:00:00Z", 1714557600000000LL },
	{ "2024-05-01T10:00:00+02:00", 1714550400000000LL },
	{ "2024-05-01T10:00:00-0530", 1714577400000000LL },
	{ "2024-05-01T10:00:00 UTC", 1714557600000000LL },
	{ "2024-05-01T10:00:00UTC", 1714557600000000LL },
	{ "2024-05-01T10:00:00 GMT", 1714557600000000LL },
	{ "2024-05-01T10:00:00 UT", 1714557600000000LL },
	{ "2024-05-01T10:00:00 GMT+1", 1714554000000000LL },
	{ "2024-05-01T10:00:00GMT-01:30", 1714563000000000LL },
	{ "2024-05-01T10:00:00 UT+3", 1714546800000000LL },
	{ "2024-05-01T10:00:00 UTC+05:30", 1714537800000000LL },
	{ "2024-05-01T10:00:00+5:30", 1714537800000000LL },
	{ "2024-05-01T10:00:00+05:3", 1714539420000000LL },
	{ "2024-05-01T10:00:00+1", 1714554000000000LL },
	{ "2024-05-01T10:00:00+01", 1714554000000000LL },
	{ "2024-05-01T10:00:00+010203", 1714553877000000LL },
	{ "2024-05-01T10:00:00-01:02:03", 1714561323000000LL },
	{ "2024-05-01T10:00:00+18:00", 1714492800000000LL },
	{ "2024-05-01T10:00:00-18", 1714622400000000LL },
	{ "2024-05-01T10:00:00 EST", 1714575600000000LL },
	{ "2024-05-01T10:00:00 MST", 1714582800000000LL },
	{ "2024-05-01T10:00:00 HST", 1714593600000000LL },
	{ "2024-05-01T10:00:00.5Z", 1714557600500000LL },
	{ "2024-05-01T10:00:00.000001+00:00", 1714557600000001LL },
	{ "2024-05-01 10", 1714557600000000LL },
	{ "2024-5-1 1:2:3", 1714525323000000LL },
	{ "2024", 1704067200000000LL },
	{ "2024-05", 1714521600000000LL },
	{ "  2024-05-01 10:00:00  ", 1714557600000000LL },
	{ "\t2024-05-01\n", 1714521600000000LL },
	{ "+2024-05-01", 1714521600000000LL },
	{ "-0001-01-01", -62198755200000000LL },
	{ "0000-01-01", -62167219200000000LL },
	{ "0001-01-01 00:00:00", -62135596800000000LL },
	{ "9999-12-31 23:59:59.999999", 253402300799999999LL },
	{ "10000-01-01", 253402300800000000LL },
	{ "123456-01-01", 3833727840000000000LL },
	{ "-123456-01-01", -3958062278400000000LL },
	{ "294247-01-10 04:00:54.775807", 9223372036854775807LL },
	{ "-290308-12-21 19:59:05.224192", INT64_MIN },
	{ "-290308-12-21T21:59:05.224192+02:00", INT64_MIN },
	{ "1969-12-31 23:59:59.999999", -1LL },
	{ "1900-01-01", -2208988800000000LL },
	{ "1600-02-29", -11670998400000000LL },
	{ "2000-02-29 12:00", 951825600000000LL },
	{ "2024-02-29", 1709164800000000LL },
	{ "2024-12-31 23:59:59", 1735689599000000LL },
	{ "2024-05-01 10:00:00+1:2", 1714553880000000LL },
};

/*
 * Not timestamps, for Spark too, except where noted: Spark also reads a
 * time without a date (as today), region ids (Europe/Paris) and the short
 * ids that name regions (PST), which need a time zone database.
 */
static const char *const ts_bad[] = {
	"2023-02-29",
	"2024-02-30",
	"2024-04-31",
	"2024-13-01",
	"2024-00-10",
	"2024-01-00",
	"1900-02-29",
	"2024-05-01 24:00:00",
	"2024-05-01 23:60:00",
	"2024-05-01 23:59:60",
	"2024-05-01T",
	"2024-05-01 10:",
	"2024-05-01 10:00:",
	"2024-05-01 10:00Z",
	"2024-05-01 10Z",
	"2024-05-01x",
	"2024-05-01 x",
	"24-05-01",
	"1234567-01-01",
	"294247-01-10 04:00:54.775808",
	"294248-01-01",
	"-290308-12-21 19:59:05.224191",
	"294247-01-10T04:00:54.775807-00:00:01",
	"2024-05-01 10:00:00 Europe/Paris",
	"2024-05-01 10:00:00 utc",
	"2024-05-01 10:00:00 z",
	"2024-05-01 10:00:00+18:01",
	"2024-05-01 10:00:00+19",
	"2024-05-01 10:00:00+0530:",
	"2024-05-01 10:00:00 UTC+",
	"2024-05-01 10:00:00 UTCZ",
	"2024-05-01 10:00:00 PST",
	"2024-05-01 10:00:00:00",
	"2024-05-01 100:00:00",
	"2024-05-001",
	"",
	"   ",
	"abc",
	"10:00:00",
	"T10:00:00",
	"2024 05",
	"2024-05 10:00",
	"2024--01",
	"2024-05-",
	"-",
	"+",
	"2024-05-01  10:00:00",
};

static void test_ts_parse(void)
{
	for (size_t i = 0; i < sizeof ts_ok / sizeof ts_ok[0]; i++) {
		int64_t us = 0;
		int r = sp_ts_parse(ts_ok[i].s, strlen(ts_ok[i].s), &us);

		CHECK(r == 0 && us == ts_ok[i].us, "'%s': %d %lld, want %lld", ts_ok[i].s, r, (long long)us,
		      (long long)ts_ok[i].us);
	}
	for (size_t i = 0; i < sizeof ts_bad / sizeof ts_bad[0]; i++) {
		int64_t us = 12345;

		CHECK(sp_ts_parse(ts_bad[i], strlen(ts_bad[i]), &us) < 0 && us == 12345, "'%s' is a timestamp: %lld",
		      ts_bad[i], (long long)us);
	}
	/* The length bounds the text: no NUL needed, nothing read past it. */
	{
		const char s[] = "2024-05-01 10:00:00+02:00garbage";
		int64_t us;

		CHECK(sp_ts_parse(s, 25, &us) == 0 && us == 1714550400000000LL, "bounded text");
		CHECK(sp_ts_parse(s, 10, &us) == 0 && us == 1714521600000000LL, "bounded date");
		CHECK(sp_ts_parse(s, 12, &us) == 0 && us == 1714521600000000LL + 3600000000LL, "bounded hour");
	}
}

static const struct {
	const char *s;
	int64_t days;
} date_ok[] = {
	{ "2024-05-01", 19844 },
	{ "2024-05-01 10:00", 19844 },
	{ "2024-05-01T anything", 19844 },
	{ "2024", 19723 },
	{ "2024-05", 19844 },
	{ "2024-5-1", 19844 },
	{ "+12345-01-01", 3789391 },
	{ "1234567-01-01", 450196810 },
	{ "-0001-12-31", -719529 },
	{ " 1970-01-01 ", 0 },
	{ "0001-01-01", -719162 },
};

static const char *const date_bad[] = {
	"2024-05-01x", "2024 05", "2024-05 x", "2024-05-", "12345678-01-01", "24-01-01", "2024-02-30", "2023-02-29",
	"2024-13-01", "", " ", "x", "2024-05-001", "2024/05/01",
};

static void test_date_parse(void)
{
	for (size_t i = 0; i < sizeof date_ok / sizeof date_ok[0]; i++) {
		int64_t d = 0;
		int r = sp_date_parse(date_ok[i].s, strlen(date_ok[i].s), &d);

		CHECK(r == 0 && d == date_ok[i].days, "date '%s': %d %lld, want %lld", date_ok[i].s, r, (long long)d,
		      (long long)date_ok[i].days);
	}
	for (size_t i = 0; i < sizeof date_bad / sizeof date_bad[0]; i++) {
		int64_t d;

		CHECK(sp_date_parse(date_bad[i], strlen(date_bad[i]), &d) < 0, "'%s' is a date", date_bad[i]);
	}
}

/* Spark's timestamp-to-string cast trims trailing zeros of the fraction. */
static const struct {
	int64_t us;
	const char *s, *iso;
} ts_fmt[] = {
	{ 0, "1970-01-01 00:00:00", "1970-01-01T00:00:00.000Z" },
	{ 1714557600250000LL, "2024-05-01 10:00:00.25", "2024-05-01T10:00:00.250Z" },
	{ 1714557600000001LL, "2024-05-01 10:00:00.000001", "2024-05-01T10:00:00.000Z" },
	{ 1714557600123456LL, "2024-05-01 10:00:00.123456", "2024-05-01T10:00:00.123Z" },
	{ 1714557600100000LL, "2024-05-01 10:00:00.1", "2024-05-01T10:00:00.100Z" },
	{ 1714557600999999LL, "2024-05-01 10:00:00.999999", "2024-05-01T10:00:00.999Z" },
	{ 1714557659000000LL, "2024-05-01 10:00:59", "2024-05-01T10:00:59.000Z" },
	{ -1, "1969-12-31 23:59:59.999999", "1969-12-31T23:59:59.999Z" },
	{ -1000000, "1969-12-31 23:59:59", "1969-12-31T23:59:59.000Z" },
	{ -2208988800000000LL, "1900-01-01 00:00:00", "1900-01-01T00:00:00.000Z" },
	{ -62135596800000000LL, "0001-01-01 00:00:00", "0001-01-01T00:00:00.000Z" },
	{ -62167219200000000LL, "0000-01-01 00:00:00", "0000-01-01T00:00:00.000Z" },
	{ -62198755200000000LL, "-0001-01-01 00:00:00", "-0001-01-01T00:00:00.000Z" },
	{ 253402300799999999LL, "9999-12-31 23:59:59.999999", "9999-12-31T23:59:59.999Z" },
	{ 253402300800000000LL, "+10000-01-01 00:00:00", "+10000-01-01T00:00:00.000Z" },
	{ INT64_MAX, "+294247-01-10 04:00:54.775807", "+294247-01-10T04:00:54.775Z" },
	{ INT64_MIN, "-290308-12-21 19:59:05.224192", "-290308-12-21T19:59:05.224Z" },
};

static void test_ts_format(void)
{
	for (size_t i = 0; i < sizeof ts_fmt / sizeof ts_fmt[0]; i++) {
		char buf[SP_TS_BUFSZ];
		size_t n = sp_ts_format(ts_fmt[i].us, buf);
		int64_t back;

		CHECK(n == strlen(ts_fmt[i].s) && !strcmp(buf, ts_fmt[i].s), "format %lld: '%s', want '%s'",
		      (long long)ts_fmt[i].us, buf, ts_fmt[i].s);
		n = sp_ts_format_iso(ts_fmt[i].us, buf);
		CHECK(n == strlen(ts_fmt[i].iso) && !strcmp(buf, ts_fmt[i].iso), "iso %lld: '%s', want '%s'",
		      (long long)ts_fmt[i].us, buf, ts_fmt[i].iso);
		/* what the cast prints, the cast reads back */
		sp_ts_format(ts_fmt[i].us, buf);
		CHECK(sp_ts_parse(buf, strlen(buf), &back) == 0 && back == ts_fmt[i].us, "'%s' does not read back", buf);
	}
	/* every second of a few days around the epoch and a leap day, and scattered microseconds */
	for (int64_t us = -3 * SP_US_PER_DAY; us < 3 * SP_US_PER_DAY; us += 997 * SP_US_PER_SEC + 123457) {
		char buf[SP_TS_BUFSZ];
		int64_t back = 0;

		sp_ts_format(us, buf);
		if (sp_ts_parse(buf, strlen(buf), &back) < 0 || back != us) {
			CHECK(0, "%lld: '%s' reads back as %lld", (long long)us, buf, (long long)back);
			break;
		}
		sp_ts_format(us + 951782400000000LL, buf);
		if (sp_ts_parse(buf, strlen(buf), &back) < 0 || back != us + 951782400000000LL) {
			CHECK(0, "%lld: '%s' reads back as %lld", (long long)us, buf, (long long)back);
			break;
		}
	}
}

static const struct {
	int64_t days;
	const char *s;
} date_fmt[] = {
	{ 0, "1970-01-01" }, { 19844, "2024-05-01" }, { -1, "1969-12-31" }, { -719162, "0001-01-01" },
	{ -719163, "0000-12-31" }, { -719529, "-0001-12-31" }, { 2932896, "9999-12-31" }, { 2932897, "+10000-01-01" },
	{ 11016, "2000-02-29" }, { -25509, "1900-02-28" }, { -25508, "1900-03-01" },
};

static void test_dates(void)
{
	for (size_t i = 0; i < sizeof date_fmt / sizeof date_fmt[0]; i++) {
		char buf[SP_TS_BUFSZ];
		size_t n = sp_date_format(date_fmt[i].days, buf);

		CHECK(n == strlen(date_fmt[i].s) && !strcmp(buf, date_fmt[i].s), "date %lld: '%s', want '%s'",
		      (long long)date_fmt[i].days, buf, date_fmt[i].s);
	}
	/* The calendar: day numbers and civil dates agree over 5 million days around the epoch. */
	for (int64_t d = -2500000, prev_y = -100000; d < 2500000; d++) {
		int64_t y;
		unsigned m, dd;

		sp_civil_from_days(d, &y, &m, &dd);
		if (sp_days_from_civil(y, m, dd) != d || m < 1 || m > 12 || dd < 1 || dd > 31 || y < prev_y) {
			CHECK(0, "day %lld: %lld-%u-%u", (long long)d, (long long)y, m, dd);
			break;
		}
		prev_y = y;
	}
	CHECK(sp_days_from_civil(2000, 3, 1) == 11017 && sp_days_from_civil(1970, 1, 1) == 0 &&
	      sp_days_from_civil(1969, 12, 31) == -1 && sp_days_from_civil(1600, 3, 1) == -135080, "known day numbers");
	CHECK(sp_floordiv(7, 2) == 3 && sp_floordiv(-7, 2) == -4 && sp_floordiv(-8, 2) == -4 && sp_floordiv(7, -2) == -4 &&
	      sp_floordiv(0, 5) == 0 && sp_floordiv(-1, SP_US_PER_DAY) == -1, "floordiv");
	CHECK(sp_now_us() > 1700000000000000LL && sp_mono_us() > 0, "clocks");
}

/* ---- durations ---- */

#define S SP_US_PER_SEC
#define MIN (60 * S)
#define HOUR (3600 * S)
#define DAY SP_US_PER_DAY

static const struct {
	const char *s;
	int64_t us;
} dur_ok[] = {
	{ "10 minutes", 10 * MIN },
	{ "1 hour 30 minutes", HOUR + 30 * MIN },
	{ "200 milliseconds", 200000 },
	{ "interval 5 seconds", 5 * S },
	{ "INTERVAL 5 SECONDS", 5 * S },
	{ "Interval  1 day", DAY },
	{ "1.5 hours", HOUR + 30 * MIN },
	{ "0.5 seconds", S / 2 },
	{ ".5 seconds", S / 2 },
	{ "0.000001 seconds", 1 },
	{ "1.25 ms", 1250 },
	{ "10s", 10 * S },
	{ "10 s", 10 * S },
	{ "2 weeks", 14 * DAY },
	{ "1 week", 7 * DAY },
	{ "1w", 7 * DAY },
	{ "3 days", 3 * DAY },
	{ "1 day", DAY },
	{ "1d", DAY },
	{ "2 hours", 2 * HOUR },
	{ "1 hour", HOUR },
	{ "1 hr", HOUR },
	{ "3 hrs", 3 * HOUR },
	{ "2h", 2 * HOUR },
	{ "5 minutes", 5 * MIN },
	{ "1 minute", MIN },
	{ "5 mins", 5 * MIN },
	{ "5 min", 5 * MIN },
	{ "5m", 5 * MIN },
	{ "30 seconds", 30 * S },
	{ "1 second", S },
	{ "30 secs", 30 * S },
	{ "30 sec", 30 * S },
	{ "250 milliseconds", 250000 },
	{ "1 millisecond", 1000 },
	{ "2 millis", 2000 },
	{ "1 milli", 1000 },
	{ "250 msecs", 250000 },
	{ "250 msec", 250000 },
	{ "250 ms", 250000 },
	{ "3 microseconds", 3 },
	{ "1 microsecond", 1 },
	{ "7 micros", 7 },
	{ "1 micro", 1 },
	{ "7 us", 7 },
	{ "10 MINUTES", 10 * MIN },
	{ "  10   minutes  ", 10 * MIN },
	{ "1 day 2 hours 3 minutes 4 seconds 5 milliseconds 6 microseconds",
	  DAY + 2 * HOUR + 3 * MIN + 4 * S + 5006 },
	{ "1 hour 1 hour", 2 * HOUR },
	{ "0 seconds", 0 },
	{ "-5 minutes", -5 * MIN },
	{ "+5 seconds", 5 * S },
	/* each part has its own sign, as in Spark's intervals */
	{ "1 hour -30 minutes", 30 * MIN },
	{ "-1 hour -30 minutes", -(HOUR + 30 * MIN) },
	{ "interval -2 days 1 hour", -2 * DAY + HOUR },
	{ "106751991 days", 106751991 * DAY },
	{ "-106751991 days -4 hours -54 seconds -775 milliseconds -808 microseconds", INT64_MIN },
};

static const char *const dur_bad[] = {
	"", "   ", "10", "minutes", "10 parsecs", "ten minutes", "10 minutes and", "1e3 seconds", "0x10 seconds",
	"--5 s", "interval", "5 minutes,", "1.5.5 s", "- 5 s", "5 minutes 10", ". s", "10 months", "1 year",
	"inf seconds", "nan s",
};

static void test_durations(void)
{
	struct sp_err err;
	int64_t us;

	for (size_t i = 0; i < sizeof dur_ok / sizeof dur_ok[0]; i++) {
		err = (struct sp_err)SP_ERR_INIT;
		us = -7;
		CHECK(sp_duration_parse(dur_ok[i].s, &us, "option '--x'", &err) == 0 && us == dur_ok[i].us,
		      "'%s': %lld, want %lld (%s)", dur_ok[i].s, (long long)us, (long long)dur_ok[i].us, err.msg);
	}
	for (size_t i = 0; i < sizeof dur_bad / sizeof dur_bad[0]; i++) {
		char want[256];

		err = (struct sp_err)SP_ERR_INIT;
		snprintf(want, sizeof want, "option '--x': bad duration '%s' (try '10 seconds', '5 minutes', '1 hour')",
			 dur_bad[i]);
		CHECK(sp_duration_parse(dur_bad[i], &us, "option '--x'", &err) < 0 && !strcmp(err.msg, want) &&
		      err.status == SP_EXIT_USAGE, "'%s': %s", dur_bad[i], err.set ? err.msg : "accepted");
	}
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_duration_parse("106751992 days", &us, "--watermark", &err) < 0 &&
	      !strcmp(err.msg, "--watermark: duration '106751992 days' is too long") && err.status == SP_EXIT_USAGE,
	      "too long: %s", err.msg);
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_duration_parse("99999999999999999999 seconds", &us, "--watermark", &err) < 0 &&
	      strstr(err.msg, "is too long"), "too many digits: %s", err.msg);
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_duration_parse("100000000 days 100000000 days", &us, "--watermark", &err) < 0 &&
	      strstr(err.msg, "is too long"), "sum too long: %s", err.msg);
}

static const struct {
	int64_t us;
	const char *s;
} dur_fmt[] = {
	{ 0, "0 seconds" },
	{ 10 * MIN, "10 minutes" },
	{ HOUR + 30 * MIN, "1 hour 30 minutes" },
	{ 250000, "250 milliseconds" },
	{ 1, "1 microsecond" },
	{ 2, "2 microseconds" },
	{ DAY + 1, "1 day 1 microsecond" },
	{ 7 * DAY, "7 days" },
	{ DAY + HOUR + MIN + S + 1001, "1 day 1 hour 1 minute 1 second 1 millisecond 1 microsecond" },
	{ -(HOUR + 30 * MIN), "-1 hour -30 minutes" },
	{ -1, "-1 microsecond" },
	{ INT64_MAX, "106751991 days 4 hours 54 seconds 775 milliseconds 807 microseconds" },
	{ INT64_MIN, "-106751991 days -4 hours -54 seconds -775 milliseconds -808 microseconds" },
};

static void test_duration_format(void)
{
	for (size_t i = 0; i < sizeof dur_fmt / sizeof dur_fmt[0]; i++) {
		char buf[128];
		struct sp_err err = SP_ERR_INIT;
		int64_t back = 0;

		sp_duration_format(dur_fmt[i].us, buf, sizeof buf);
		CHECK(!strcmp(buf, dur_fmt[i].s), "format %lld: '%s', want '%s'", (long long)dur_fmt[i].us, buf,
		      dur_fmt[i].s);
		CHECK(sp_duration_parse(buf, &back, "x", &err) == 0 && back == dur_fmt[i].us, "'%s' reads back as %lld",
		      buf, (long long)back);
	}
	{
		char small[8];

		sp_duration_format(HOUR + 30 * MIN, small, sizeof small);
		CHECK(!strcmp(small, "1 hour "), "truncated: '%s'", small);
	}
}

int main(void)
{
	sp_setprog("test-timefmt");
	test_ts_parse();
	test_date_parse();
	test_ts_format();
	test_dates();
	test_durations();
	test_duration_format();
	if (failures)
		fprintf(stderr, "test-timefmt: %d failures\n", failures);
	return failures;
}
