/*
 * expr-time.c: timestamps as text by Java DateTimeFormatter patterns
 * (date_format, from_unixtime, to_timestamp and unix_timestamp with a
 * format), in UTC, the session time zone.
 *
 * A pattern is letters, repeated for width, and literal text: anything
 * that is not a letter, or 'quoted' ('' is a quote). The letters:
 *
 *   y u   year: yy is two digits (parsed as 20yy), others the full year
 *   M L   month: M 1, MM 01, MMM Jan, MMMM January
 *   d     day of month        D  day of year
 *   H     hour 0-23           h  hour 1-12, with a (AM/PM)
 *   k     hour 1-24           K  hour 0-11
 *   m s   minute, second
 *   S     fraction of second: SSS milliseconds, SSSSSS microseconds
 *   E     day of week: E EE EEE Mon, EEEE Monday
 *   a     AM or PM
 *   X x Z z V O   zone: always UTC (Z, +00, +0000, UTC, ...)
 *
 * When formatting, a width of two or more pads with zeros. When parsing,
 * a single letter accepts one or two digits, a doubled one exactly two,
 * yyyy four or more, and S up to its width of digits.
 */
#include "expr-int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "timefmt.h"

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
					   "August", "September", "October", "November", "December" };
static const char *const day_names[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
					 "Saturday" };

void sp_expr_ts_split(int64_t us, struct sp_expr_tm *t)
{
	int64_t days = sp_floordiv(us, SP_US_PER_DAY), rem = us - days * SP_US_PER_DAY;

	sp_civil_from_days(days, &t->year, &t->mon, &t->day);
	t->hour = (int)(rem / (3600 * SP_US_PER_SEC));
	t->min = (int)(rem / (60 * SP_US_PER_SEC) % 60);
	t->sec = (int)(rem / SP_US_PER_SEC % 60);
	t->usec = (int)(rem % SP_US_PER_SEC);
	/* 1970-01-01 was a Thursday */
	t->wday = (int)(((days % 7) + 11) % 7);
	t->yday = (int)(days - sp_days_from_civil(t->year, 1, 1)) + 1;
}

int sp_expr_ts_pattern_ok(const char *pat, char *bad)
{
	for (const char *p = pat; *p; p++) {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				;
			if (!*p)
				break;
			continue;
		}
		if (isalpha((unsigned char)*p) && !strchr("yuMLdDHhkKmsSEaXxZzVO", *p)) {
			*bad = *p;
			return 0;
		}
	}
	return 1;
}

static void put_num(struct sp_buf *b, int64_t v, int width)
{
	sp_buf_printf(b, "%0*lld", width, (long long)v);
}

void sp_expr_ts_format(struct sp_buf *b, int64_t us, const char *pat)
{
	struct sp_expr_tm t;

	sp_expr_ts_split(us, &t);
	while (*pat) {
		char ch = *pat;
		int n = 1;

		if (ch == '\'') {
			pat++;
			if (*pat == '\'') {
				sp_buf_addc(b, '\'');
				pat++;
				continue;
			}
			while (*pat) {
				if (*pat == '\'' && pat[1] == '\'') {
					sp_buf_addc(b, '\'');
					pat += 2;
				} else if (*pat == '\'') {
					pat++;
					break;
				} else {
					sp_buf_addc(b, *pat++);
				}
			}
			continue;
		}
		if (!isalpha((unsigned char)ch)) {
			sp_buf_addc(b, ch);
			pat++;
			continue;
		}
		while (pat[n] == ch)
			n++;
		pat += n;
		switch (ch) {
		case 'y': case 'u':
			if (n == 2)
				put_num(b, (t.year % 100 + 100) % 100, 2);
			else
				put_num(b, t.year, n);
			break;
		case 'M': case 'L':
			if (n >= 4)
				sp_buf_puts(b, month_names[t.mon - 1]);
			else if (n == 3)
				sp_buf_add(b, month_names[t.mon - 1], 3);
			else
				put_num(b, t.mon, n);
			break;
		case 'd': put_num(b, t.day, n); break;
		case 'D': put_num(b, t.yday, n); break;
		case 'H': put_num(b, t.hour, n); break;
		case 'h': put_num(b, t.hour % 12 ? t.hour % 12 : 12, n); break;
		case 'k': put_num(b, t.hour ? t.hour : 24, n); break;
		case 'K': put_num(b, t.hour % 12, n); break;
		case 'm': put_num(b, t.min, n); break;
		case 's': put_num(b, t.sec, n); break;
		case 'S': {
			char frac[8];

			snprintf(frac, sizeof frac, "%06d", t.usec);
			for (int i = 0; i < n; i++)
				sp_buf_addc(b, i < 6 ? frac[i] : '0');
			break;
		}
		case 'a': sp_buf_puts(b, t.hour < 12 ? "AM" : "PM"); break;
		case 'E':
			if (n >= 4)
				sp_buf_puts(b, day_names[t.wday]);
			else
				sp_buf_add(b, day_names[t.wday], 3);
			break;
		case 'X': sp_buf_puts(b, "Z"); break;
		case 'x': sp_buf_puts(b, n == 1 ? "+00" : n == 2 || n == 4 ? "+0000" : "+00:00"); break;
		case 'Z': sp_buf_puts(b, n <= 3 ? "+0000" : n == 4 ? "GMT" : "Z"); break;
		case 'O': sp_buf_puts(b, "GMT"); break;
		default:	/* z, V */
			sp_buf_puts(b, "UTC");
			break;
		}
	}
}

/* Reads between min and max digits. */
static int get_num(const char **s, const char *end, int min, int max, int64_t *v)
{
	int k = 0;

	*v = 0;
	while (*s < end && k < max && isdigit((unsigned char)**s)) {
		if (*v > INT64_MAX / 100)
			return -1;
		*v = *v * 10 + (**s - '0');
		(*s)++;
		k++;
	}
	return k >= min ? k : -1;
}

/* One of names, whole (full) or its first three letters; its index or -1. */
static int get_name(const char **s, const char *end, const char *const *names, int count, int full)
{
	for (int i = 0; i < count; i++) {
		size_t l = full ? strlen(names[i]) : 3;

		if ((size_t)(end - *s) >= l && !strncasecmp(*s, names[i], l)) {
			*s += l;
			return i;
		}
	}
	return -1;
}

int sp_expr_ts_parse(const char *s, size_t len, const char *pat, int64_t *us)
{
	const char *end = s + len;
	int64_t year = 1970, mon = 1, day = 1, hour = 0, min = 0, sec = 0, frac = 0, yday = 0, v;
	int pm = -1, h12 = 0, k;

	while (*pat) {
		char ch = *pat;
		int n = 1;

		if (ch == '\'') {
			pat++;
			if (*pat == '\'') {
				if (s >= end || *s != '\'')
					return -1;
				s++, pat++;
				continue;
			}
			while (*pat && !(*pat == '\'' && pat[1] != '\'')) {
				if (*pat == '\'')
					pat++;
				if (s >= end || *s != *pat)
					return -1;
				s++, pat++;
			}
			if (*pat)
				pat++;
			continue;
		}
		if (!isalpha((unsigned char)ch)) {
			if (s >= end || *s != ch)
				return -1;
			s++, pat++;
			continue;
		}
		while (pat[n] == ch)
			n++;
		pat += n;
		switch (ch) {
		case 'y': case 'u':
			if (n == 2) {
				if (get_num(&s, end, 2, 2, &v) < 0)
					return -1;
				year = 2000 + v;
			} else if (get_num(&s, end, n, 9, &year) < 0) {
				return -1;
			}
			break;
		case 'M': case 'L':
			if (n >= 3) {
				if ((k = get_name(&s, end, month_names, 12, n >= 4)) < 0)
					return -1;
				mon = k + 1;
			} else if (get_num(&s, end, n, 2, &mon) < 0) {
				return -1;
			}
			break;
		case 'E':
			if (get_name(&s, end, day_names, 7, n >= 4) < 0)
				return -1;
			break;
		case 'a':
			if (end - s < 2 || (strncasecmp(s, "AM", 2) && strncasecmp(s, "PM", 2)))
				return -1;
			pm = !strncasecmp(s, "PM", 2);
			s += 2;
			break;
		case 'S':
			if ((k = get_num(&s, end, 1, n, &frac)) < 0)
				return -1;
			for (; k < 6; k++)
				frac *= 10;
			for (; k > 6; k--)
				frac /= 10;
			break;
		case 'X': case 'x': case 'Z': case 'z': case 'V': case 'O':
			/* UTC only: Z, +00, +0000, +00:00, UTC, GMT */
			if (s < end && *s == 'Z')
				s++;
			else if (end - s >= 3 && (!strncmp(s, "UTC", 3) || !strncmp(s, "GMT", 3)))
				s += 3;
			else if (s < end && (*s == '+' || *s == '-')) {
				s++;
				while (s < end && (isdigit((unsigned char)*s) || *s == ':')) {
					if (*s != '0' && *s != ':')
						return -1;
					s++;
				}
			} else
				return -1;
			break;
		default:
			if (get_num(&s, end, n == 1 ? 1 : n, n == 1 ? 2 : n, &v) < 0)
				return -1;
			switch (ch) {
			case 'd': day = v; break;
			case 'D': yday = v; break;
			case 'H': hour = v; break;
			case 'k': hour = v == 24 ? 0 : v; break;
			case 'h': hour = v; h12 = 1; break;
			case 'K': hour = v; h12 = 1; break;
			case 'm': min = v; break;
			case 's': sec = v; break;
			default: return -1;
			}
			break;
		}
	}
	if (s != end || mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59)
		return -1;
	if (h12 && hour > 12)
		return -1;
	if (pm == 1 && hour < 12)
		hour += 12;
	else if (pm == 0 && hour == 12 && h12)
		hour = 0;
	if (yday) {
		if (yday > 366)
			return -1;
		*us = (sp_days_from_civil(year, 1, 1) + yday - 1) * SP_US_PER_DAY;
	} else {
		int64_t days = sp_days_from_civil(year, (unsigned)mon, (unsigned)day);
		int64_t y2;
		unsigned m2, d2;

		/* reject Feb 30 and the like */
		sp_civil_from_days(days, &y2, &m2, &d2);
		if (y2 != year || m2 != mon || d2 != day)
			return -1;
		*us = days * SP_US_PER_DAY;
	}
	*us += (hour * 3600 + min * 60 + sec) * SP_US_PER_SEC + frac;
	return 0;
}
