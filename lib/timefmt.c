/*
 * timefmt.c: durations, timestamps and dates (see timefmt.h).
 *
 * The calendar is the proleptic Gregorian one, as in Spark 3. Day numbers
 * come from the usual era arithmetic: a 400-year era has 146097 days, and
 * counting years from March puts the leap day at the end of the year.
 */
#include "timefmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t sp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = sp_floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void sp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = sp_floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Reads 1..max digits; returns how many, or 0. */
static int digits(const char **p, const char *end, int max, int64_t *out)
{
	int n = 0;

	*out = 0;
	while (*p < end && n < max && isdigit((unsigned char)**p)) {
		*out = *out * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

/*
 * A zone offset after an optional prefix, as java.time.ZoneOffset.of reads
 * it: +h, +hh, +hhmm, +hh:mm, +hhmmss, +hh:mm:ss, at most 18 hours.
 */
static int zone_offset(const char *p, const char *end, int64_t *offset_us)
{
	int64_t hh, mm = 0, ss = 0;
	int sign;

	if (p == end || (*p != '+' && *p != '-'))
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	switch (end - p) {
	case 1:
	case 2:
		if (!digits(&p, end, 2, &hh))
			return -1;
		break;
	case 4:
	case 6:
		if (digits(&p, end, 2, &hh) != 2 || digits(&p, end, 2, &mm) != 2 ||
		    (p < end && digits(&p, end, 2, &ss) != 2))
			return -1;
		break;
	case 5:
	case 8:
		if (digits(&p, end, 2, &hh) != 2 || *p++ != ':' || digits(&p, end, 2, &mm) != 2 ||
		    (p < end && (*p++ != ':' || digits(&p, end, 2, &ss) != 2)))
			return -1;
		break;
	default:
		return -1;
	}
	if (p != end || hh > 18 || mm > 59 || ss > 59 || (hh == 18 && (mm || ss)))
		return -1;
	*offset_us = sign * ((hh * 3600 + mm * 60 + ss) * SP_US_PER_SEC);
	return 0;
}

/*
 * A zone id as Spark's getZoneId reads it: Z, an offset, or UTC, GMT or UT
 * alone or followed by an offset, plus the fixed-offset short ids EST, MST
 * and HST. Like java.time, names are case-sensitive. Region ids
 * (Europe/Paris) would need a time zone database and are refused.
 */
static int parse_zone(const char *p, const char *end, int64_t *offset_us)
{
	static const struct {
		const char *id;
		int hours;
	} fixed[] = { { "Z", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "UT", 0 }, { "EST", -5 }, { "MST", -7 }, { "HST", -10 } };
	char z[24], *q;
	size_t n, pre = 0;

	while (p < end && (unsigned char)*p <= ' ')
		p++;
	while (end > p && (unsigned char)end[-1] <= ' ')
		end--;
	n = (size_t)(end - p);
	if (n == 0 || n >= sizeof z)
		return -1;
	memcpy(z, p, n);
	z[n] = '\0';
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (!strcmp(z, fixed[i].id)) {
			*offset_us = fixed[i].hours * 3600 * SP_US_PER_SEC;
			return 0;
		}
	if (!strncmp(z, "UTC", 3) || !strncmp(z, "GMT", 3))
		pre = 3;
	else if (!strncmp(z, "UT", 2))
		pre = 2;
	/*
	 * Spark first widens the first "+h:" to "+0h:", then "+hh:m" at the
	 * end to "+hh:0m" (the forms Spark 2 accepted).
	 */
	for (q = z; *q; q++)
		if ((*q == '+' || *q == '-') && isdigit((unsigned char)q[1]) && q[2] == ':') {
			if (n + 1 >= sizeof z)
				return -1;
			memmove(q + 2, q + 1, strlen(q + 1) + 1);
			q[1] = '0';
			n++;
			break;
		}
	q = n >= 5 ? z + n - 5 : z;
	if (n >= 5 && (*q == '+' || *q == '-') && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
	    q[3] == ':' && isdigit((unsigned char)q[4])) {
		if (n + 1 >= sizeof z)
			return -1;
		q[5] = q[4];
		q[4] = '0';
		q[6] = '\0';
		n++;
	}
	return zone_offset(z + pre, z + n, offset_us);
}

/* Spark trims blanks and ISO control characters around a value. */
static void trim(const char **s, size_t *len)
{
	while (*len && ((unsigned char)**s <= ' ' || **s == 0x7f))
		(*s)++, (*len)--;
	while (*len && ((unsigned char)(*s)[*len - 1] <= ' ' || (*s)[*len - 1] == 0x7f))
		(*len)--;
}

/*
 * [+-]yyyy[-m[m][-d[d]]] with 4..maxy year digits. *pp stops after the day,
 * or at the end: a year or a year-month must be all there is.
 */
static int parse_ymd(const char **pp, const char *end, int maxy, int64_t *days)
{
	const char *p = *pp;
	int64_t y, m = 1, d = 1;
	int neg = 0, nd;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	nd = digits(&p, end, maxy, &y);
	if (nd < 4 || (p < end && isdigit((unsigned char)*p)))
		return -1;
	if (neg)
		y = -y;
	if (p < end && *p == '-') {
		p++;
		if (!digits(&p, end, 2, &m))
			return -1;
		if (p < end && *p == '-') {
			p++;
			if (!digits(&p, end, 2, &d))
				return -1;
		} else if (p < end) {
			return -1;
		}
	} else if (p < end) {
		return -1;
	}
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, (unsigned)m))
		return -1;
	*days = sp_days_from_civil(y, (unsigned)m, (unsigned)d);
	*pp = p;
	return 0;
}

int sp_date_parse(const char *s, size_t len, int64_t *days)
{
	const char *end;

	trim(&s, &len);
	end = s + len;
	if (parse_ymd(&s, end, 7, days) < 0)
		return -1;
	/* Spark's date cast also accepts anything after ' ' or 'T' and ignores it. */
	if (s < end && *s != ' ' && *s != 'T')
		return -1;
	return 0;
}

int sp_ts_parse(const char *s, size_t len, int64_t *us)
{
	const char *p, *end;
	int64_t days, hh = 0, mi = 0, ss = 0, frac = 0, off = 0, t;
	int nf = 0;

	trim(&s, &len);
	p = s;
	end = s + len;
	if (parse_ymd(&p, end, 6, &days) < 0)
		return -1;
	if (p < end) {
		if (*p != ' ' && *p != 'T')
			return -1;
		p++;
		if (!digits(&p, end, 2, &hh) || (p < end && *p != ':'))
			return -1;
		if (p < end) {
			p++;
			if (!digits(&p, end, 2, &mi) || (p < end && *p != ':'))
				return -1;
		}
		if (p < end) {
			p++;
			if (!digits(&p, end, 2, &ss))
				return -1;
			if (p < end && *p == '.') {
				/* any number of digits; beyond microseconds Spark truncates */
				for (p++; p < end && isdigit((unsigned char)*p); p++)
					if (nf < 6)
						frac = frac * 10 + (*p - '0'), nf++;
				for (; nf < 6; nf++)
					frac *= 10;
			}
			if (p < end && parse_zone(p, end, &off) < 0)
				return -1;
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return -1;
	}
	/*
	 * Seconds first (they cannot overflow), then microseconds, as Spark
	 * goes through an Instant: out of the range of a long of
	 * microseconds is not a timestamp.
	 */
	t = days * 86400 + hh * 3600 + mi * 60 + ss - off / SP_US_PER_SEC;
	if (t == sp_floordiv(INT64_MIN, SP_US_PER_SEC)) {
		/* the smallest second: its start is out of range, not all of it */
		t++;
		frac -= SP_US_PER_SEC;
	}
	if (__builtin_mul_overflow(t, SP_US_PER_SEC, &t) || __builtin_add_overflow(t, frac, &t))
		return -1;
	*us = t;
	return 0;
}

static size_t fmt_date(int64_t days, char *buf)
{
	int64_t y;
	unsigned m, d;

	sp_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999)
		return (size_t)sprintf(buf, "%04d-%02u-%02u", (int)y, m, d);
	return (size_t)sprintf(buf, "%+05lld-%02u-%02u", (long long)y, m, d);
}

size_t sp_date_format(int64_t days, char *buf)
{
	return fmt_date(days, buf);
}

/* Microseconds since midnight; us - days * day would overflow for the smallest timestamps. */
static int64_t day_us(int64_t us)
{
	int64_t rem = us % SP_US_PER_DAY;

	return rem < 0 ? rem + SP_US_PER_DAY : rem;
}

size_t sp_ts_format(int64_t us, char *buf)
{
	int64_t days = sp_floordiv(us, SP_US_PER_DAY), rem = day_us(us);
	int64_t secs = rem / SP_US_PER_SEC, frac = rem % SP_US_PER_SEC;
	size_t n = fmt_date(days, buf);
	int w = 6;

	n += (size_t)sprintf(buf + n, " %02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (frac) {
		while (frac % 10 == 0)
			frac /= 10, w--;
		n += (size_t)sprintf(buf + n, ".%0*d", w, (int)frac);
	}
	return n;
}

size_t sp_ts_format_iso(int64_t us, char *buf)
{
	int64_t days = sp_floordiv(us, SP_US_PER_DAY), rem = day_us(us);
	int64_t secs = rem / SP_US_PER_SEC, ms = rem % SP_US_PER_SEC / 1000;
	size_t n = fmt_date(days, buf);

	n += (size_t)sprintf(buf + n, "T%02d:%02d:%02d.%03dZ", (int)(secs / 3600), (int)(secs / 60 % 60),
			     (int)(secs % 60), (int)ms);
	return n;
}

static const struct unit {
	const char *name;
	int64_t us;
} units[] = {
	{ "weeks", 7 * SP_US_PER_DAY }, { "week", 7 * SP_US_PER_DAY }, { "w", 7 * SP_US_PER_DAY },
	{ "days", SP_US_PER_DAY }, { "day", SP_US_PER_DAY }, { "d", SP_US_PER_DAY },
	{ "hours", 3600 * SP_US_PER_SEC }, { "hour", 3600 * SP_US_PER_SEC }, { "hrs", 3600 * SP_US_PER_SEC },
	{ "hr", 3600 * SP_US_PER_SEC }, { "h", 3600 * SP_US_PER_SEC },
	{ "minutes", 60 * SP_US_PER_SEC }, { "minute", 60 * SP_US_PER_SEC }, { "mins", 60 * SP_US_PER_SEC },
	{ "min", 60 * SP_US_PER_SEC }, { "m", 60 * SP_US_PER_SEC },
	{ "seconds", SP_US_PER_SEC }, { "second", SP_US_PER_SEC }, { "secs", SP_US_PER_SEC },
	{ "sec", SP_US_PER_SEC }, { "s", SP_US_PER_SEC },
	{ "milliseconds", 1000 }, { "millisecond", 1000 }, { "millis", 1000 }, { "milli", 1000 },
	{ "msecs", 1000 }, { "msec", 1000 }, { "ms", 1000 },
	{ "microseconds", 1 }, { "microsecond", 1 }, { "micros", 1 }, { "micro", 1 }, { "us", 1 },
};

/*
 * Each "number unit" pair carries its own sign, as in Spark's intervals:
 * "1 hour -30 minutes" is half an hour. Numbers are decimal, with an
 * optional fraction ("1.5 hours"); the total is exact to the microsecond.
 */
int sp_duration_parse(const char *s, int64_t *out, const char *what, struct sp_err *err)
{
	const char *p = s, *w;
	int64_t total = 0;
	int any = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (!strncasecmp(p, "interval", 8) && (isspace((unsigned char)p[8]) || !p[8]))
		p += 8;
	for (;;) {
		int64_t ip = 0, v;
		double frac = 0, scale = 1;
		int neg = 0, nd = 0;
		size_t n, i;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p == '-' || *p == '+')
			neg = *p++ == '-';
		for (; isdigit((unsigned char)*p); p++, nd++)
			if (__builtin_mul_overflow(ip, 10, &ip) || __builtin_add_overflow(ip, *p - '0', &ip))
				goto toolong;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++, nd++)
				frac += (*p - '0') * (scale /= 10);
		if (!nd)
			goto bad;
		while (isspace((unsigned char)*p))
			p++;
		w = p;
		while (isalpha((unsigned char)*p))
			p++;
		n = (size_t)(p - w);
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].name) == n && !strncasecmp(w, units[i].name, n))
				break;
		if (i == sizeof units / sizeof units[0])
			goto bad;
		if (__builtin_mul_overflow(ip, units[i].us, &v) ||
		    __builtin_add_overflow(v, (int64_t)llround(frac * (double)units[i].us), &v) ||
		    __builtin_add_overflow(total, neg ? -v : v, &total))
			goto toolong;
		any = 1;
	}
	if (!any)
		goto bad;
	*out = total;
	return 0;
toolong:
	return sp_err_usage(err, "%s: duration '%s' is too long", what, s);
bad:
	return sp_err_usage(err, "%s: bad duration '%s' (try '10 seconds', '5 minutes', '1 hour')", what, s);
}

/* Negative durations repeat the sign on every part, so that the text parses back. */
void sp_duration_format(int64_t us, char *buf, size_t size)
{
	static const struct {
		const char *one, *many;
		uint64_t us;
	} f[] = {
		{ "day", "days", SP_US_PER_DAY }, { "hour", "hours", 3600 * SP_US_PER_SEC },
		{ "minute", "minutes", 60 * SP_US_PER_SEC }, { "second", "seconds", SP_US_PER_SEC },
		{ "millisecond", "milliseconds", 1000 }, { "microsecond", "microseconds", 1 },
	};
	uint64_t left = us < 0 ? -(uint64_t)us : (uint64_t)us;
	size_t n = 0;

	if (size)
		buf[0] = '\0';
	if (!us) {
		snprintf(buf, size, "0 seconds");
		return;
	}
	for (size_t i = 0; i < sizeof f / sizeof f[0] && n < size; i++) {
		uint64_t q = left / f[i].us;

		if (!q)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s%llu %s", n ? " " : "", us < 0 ? "-" : "",
				      (unsigned long long)q, q == 1 ? f[i].one : f[i].many);
		left -= q * f[i].us;
	}
}

int64_t sp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SP_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t sp_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * SP_US_PER_SEC + ts.tv_nsec / 1000;
}
