/*
 * expr-cast.c: CAST between the value types, as Spark's non-ANSI mode
 * does it: what does not convert is NULL, never an error.
 */
#include "expr-int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "format.h"
#include "timefmt.h"

/* ---- casts ---- */

/* Spark trims whitespace and control characters around numbers and booleans. */
static void trim_blank(const char **s, size_t *n)
{
	while (*n && (unsigned char)**s <= ' ')
		(*s)++, (*n)--;
	while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
}

/* Spark's UTF8String.toLong: [+-]digits[.digits], the fraction dropped; NULL on overflow. */
static int parse_long(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	int neg = 0, digits = 0;
	size_t i = 0;

	trim_blank(&s, &n);
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n && isdigit((unsigned char)s[i]); i++, digits++) {
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			;
	}
	if (i != n || !digits)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	trim_blank(&s, &n);
	if (!n || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* Java's parseDouble takes a d or f suffix */
	if (n > 1 && strchr("dDfF", buf[n - 1]) && isdigit((unsigned char)buf[n - 2]))
		buf[--n] = '\0';
	if (!strcasecmp(buf, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (!strcasecmp(buf, "Infinity") || !strcasecmp(buf, "+Infinity") || !strcasecmp(buf, "inf") ||
	    !strcasecmp(buf, "+inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcasecmp(buf, "-Infinity") || !strcasecmp(buf, "-inf")) {
		*out = -INFINITY;
		return 0;
	}
	/* strtod also reads hex, "infinity" and "nan(...)": Java does not */
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)buf[i]) && !strchr("+-.eE", buf[i]))
			return -1;
	*out = strtod(buf, &end);
	return *end || end == buf ? -1 : 0;
}

void sp_val_cast(struct sp_val *v, const struct sp_type *t, struct sp_arena *a)
{
	enum sp_type_id to = t->id, from = v->t;
	struct sp_val r;
	struct sp_buf b = SP_BUF_INIT;
	size_t n;
	const char *s;

	if (v->null || from == SP_T_NULL || from == to) {
		v->t = to;
		return;
	}
	memset(&r, 0, sizeof r);
	r.t = to;
	switch (to) {
	case SP_T_STRING: {
		char *p;

		switch (from) {
		case SP_T_BINARY:
			r.u.s = v->u.s;
			break;
		case SP_T_BOOLEAN:
			sp_val_set_str(&r, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
			break;
		case SP_T_LONG:
			p = sp_arena_alloc(a, 24);
			sp_val_set_str(&r, p, (size_t)snprintf(p, 24, "%lld", (long long)v->u.i));
			break;
		case SP_T_DOUBLE:
			p = sp_arena_alloc(a, 40);
			sp_val_set_str(&r, p, sp_double_format(v->u.d, p));
			break;
		case SP_T_TIMESTAMP:
			p = sp_arena_alloc(a, SP_TS_BUFSZ);
			sp_val_set_str(&r, p, sp_ts_format(v->u.i, p));
			break;
		case SP_T_DATE:
			p = sp_arena_alloc(a, SP_TS_BUFSZ);
			sp_val_set_str(&r, p, sp_date_format(v->u.i, p));
			break;
		default:	/* structs and arrays: "{1, a}", "[1, 2]" */
			sp_val_format(&b, v);
			sp_val_set_str(&r, sp_expr_arena_str(a, b.p, b.len), b.len);
			sp_buf_release(&b);
			break;
		}
		break;
	}
	case SP_T_BINARY:
		if (from != SP_T_STRING)
			goto null;
		r.u.s = v->u.s;
		break;
	case SP_T_LONG:
		if (from == SP_T_DOUBLE)
			r.u.i = isnan(v->u.d) ? 0 : v->u.d >= 9.2233720368547758e18 ? INT64_MAX
			     : v->u.d <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v->u.d;
		else if (from == SP_T_BOOLEAN)
			r.u.i = v->u.b;
		else if (from == SP_T_TIMESTAMP)
			r.u.i = sp_floordiv(v->u.i, SP_US_PER_SEC);
		else if (from == SP_T_STRING) {
			if (parse_long(v->u.s.p, v->u.s.len, &r.u.i) < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_DOUBLE:
		if (from == SP_T_LONG)
			r.u.d = (double)v->u.i;
		else if (from == SP_T_BOOLEAN)
			r.u.d = v->u.b;
		else if (from == SP_T_TIMESTAMP)
			r.u.d = (double)v->u.i / 1e6;
		else if (from == SP_T_STRING) {
			if (parse_double(v->u.s.p, v->u.s.len, &r.u.d) < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_BOOLEAN:
		if (from == SP_T_LONG)
			r.u.b = v->u.i != 0;
		else if (from == SP_T_DOUBLE)
			r.u.b = v->u.d != 0;
		else if (from == SP_T_STRING) {
			static const char *const yes[] = { "t", "true", "y", "yes", "1" }, *const no[] = { "f", "false", "n", "no", "0" };
			char buf[8];

			s = v->u.s.p;
			n = v->u.s.len;
			trim_blank(&s, &n);
			if (n >= sizeof buf)
				goto null;
			memcpy(buf, s, n);
			buf[n] = '\0';
			r.u.b = -1;
			for (int i = 0; i < 5; i++) {
				if (!strcasecmp(buf, yes[i]))
					r.u.b = 1;
				if (!strcasecmp(buf, no[i]))
					r.u.b = 0;
			}
			if (r.u.b < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_TIMESTAMP:
		if (from == SP_T_STRING) {
			if (sp_ts_parse(v->u.s.p, v->u.s.len, &r.u.i) < 0)
				goto null;
		} else if (from == SP_T_LONG) {
			/* seconds; Java's TimeUnit saturates */
			r.u.i = v->u.i > INT64_MAX / SP_US_PER_SEC ? INT64_MAX
			      : v->u.i < INT64_MIN / SP_US_PER_SEC ? INT64_MIN : v->u.i * SP_US_PER_SEC;
		} else if (from == SP_T_DOUBLE) {
			double us = v->u.d * 1e6;

			if (!isfinite(us))
				goto null;
			r.u.i = us >= 9.2233720368547758e18 ? INT64_MAX : us <= -9.2233720368547758e18 ? INT64_MIN
			      : (int64_t)us;
		} else if (from == SP_T_BOOLEAN) {
			r.u.i = v->u.b;
		} else if (from == SP_T_DATE)
			r.u.i = v->u.i * SP_US_PER_DAY;
		else
			goto null;
		break;
	case SP_T_DATE:
		if (from == SP_T_STRING) {
			/* Spark reads the date in "2024-05-01 10:00" and "2024-05-01T10:00:00Z" too */
			s = v->u.s.p;
			n = v->u.s.len;
			trim_blank(&s, &n);
			for (size_t i = 0; i < n; i++)
				if (s[i] == ' ' || s[i] == 'T') {
					n = i;
					break;
				}
			if (sp_date_parse(s, n, &r.u.i) < 0)
				goto null;
		} else if (from == SP_T_TIMESTAMP)
			r.u.i = sp_floordiv(v->u.i, SP_US_PER_DAY);
		else
			goto null;
		break;
	default:
		goto null;
	}
	*v = r;
	return;
null:
	sp_val_set_null(v, to);
}
