/*
 * format.c: values as Spark prints them (see format.h).
 */
#include "format.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

void sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sp_buf_room(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sp_buf_release(struct sp_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *sp_buf_take(struct sp_buf *b)
{
	char *p = b->p ? b->p : sp_xstrdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/*
 * Java's Double.toString (JDK 19 and later) prints the shortest decimal
 * that reads back as the same double; among several of that length, the
 * closest to it; and when one digit would do, the closest of one or two
 * digits (so 4.9E-324, not 5.0E-324).
 *
 * The shortest decimal of length L, if there is one, is the double
 * correctly rounded to L digits (what printf's %.*e gives) or, where the
 * interval of decimals that read back is lopsided (at powers of two), its
 * neighbour on the other side. For normal doubles, DBL_DIG (15) digits
 * always read back to the same 15-digit decimal, so one %.14e that reads
 * back is already the shortest with zeros appended.
 */

/* Digits of x rounded to L significant digits, if they read back as x. */
static int try_digits(double x, int L, char *dig, int *exp)
{
	char tmp[40], num[48];
	double y;
	int i, nd = 0;
	char *e;

	snprintf(tmp, sizeof tmp, "%.*e", L - 1, x);
	e = strchr(tmp, 'e');
	*exp = atoi(e + 1);
	for (char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			dig[nd++] = *p;
	y = strtod(tmp, NULL);
	if (y == x)
		return 1;
	/* The neighbour on the far side of x, one unit in the last digit away. */
	if (y < x) {
		for (i = L - 1; i >= 0 && dig[i] == '9'; i--)
			dig[i] = '0';
		if (i < 0) {
			dig[0] = '1';
			++*exp;
		} else {
			dig[i]++;
		}
	} else {
		for (i = L - 1; i >= 0 && dig[i] == '0'; i--)
			dig[i] = '9';
		if (i < 0)
			return 0;
		dig[i]--;
		if (dig[0] == '0') {
			memmove(dig, dig + 1, (size_t)L - 1);
			dig[L - 1] = '9';
			--*exp;
		}
	}
	snprintf(num, sizeof num, "%c.%.*se%d", dig[0], L - 1, dig + 1, *exp);
	return strtod(num, NULL) == x;
}

size_t sp_double_format(double d, char *buf)
{
	char digits[24];
	int exp = 0, nd, L;
	size_t n = 0;
	double x = fabs(d);

	if (isnan(d))
		return (size_t)sprintf(buf, "NaN");
	if (isinf(d))
		return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
	if (x >= DBL_MIN && try_digits(x, DBL_DIG, digits, &exp)) {
		L = DBL_DIG;
	} else {
		for (L = x >= DBL_MIN ? DBL_DIG + 1 : 1; L < 17; L++)
			if (try_digits(x, L, digits, &exp))
				break;
		if (L == 17)
			try_digits(x, 17, digits, &exp);
		else if (L == 1)
			try_digits(x, L = 2, digits, &exp);
	}
	nd = L;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (d < 0)
		buf[n++] = '-';
	if (exp >= -3 && exp < 7) {
		if (exp < 0) {
			buf[n++] = '0';
			buf[n++] = '.';
			for (int i = -1; i > exp; i--)
				buf[n++] = '0';
			for (int i = 0; i < nd; i++)
				buf[n++] = digits[i];
		} else {
			for (int i = 0; i <= exp; i++)
				buf[n++] = i < nd ? digits[i] : '0';
			buf[n++] = '.';
			if (nd > exp + 1)
				for (int i = exp + 1; i < nd; i++)
					buf[n++] = digits[i];
			else
				buf[n++] = '0';
		}
		buf[n] = '\0';
		return n;
	}
	buf[n++] = digits[0];
	buf[n++] = '.';
	if (nd > 1)
		for (int i = 1; i < nd; i++)
			buf[n++] = digits[i];
	else
		buf[n++] = '0';
	n += (size_t)sprintf(buf + n, "E%d", exp);
	return n;
}

static void format_in(struct sp_buf *out, const struct sp_val *v, int nested)
{
	char tmp[SP_TS_BUFSZ];
	struct sp_val e;

	if (v->null || v->t == SP_T_NULL) {
		sp_buf_puts(out, nested ? "null" : "NULL");
		return;
	}
	switch (v->t) {
	case SP_T_BOOLEAN:
		sp_buf_puts(out, v->u.b ? "true" : "false");
		break;
	case SP_T_LONG:
		sp_buf_printf(out, "%lld", (long long)v->u.i);
		break;
	case SP_T_DOUBLE:
		sp_buf_add(out, tmp, sp_double_format(v->u.d, tmp));
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		sp_buf_add(out, v->u.s.p, v->u.s.len);
		break;
	case SP_T_TIMESTAMP:
		sp_buf_add(out, tmp, sp_ts_format(v->u.i, tmp));
		break;
	case SP_T_DATE:
		sp_buf_add(out, tmp, sp_date_format(v->u.i, tmp));
		break;
	case SP_T_STRUCT:
		sp_buf_addc(out, '{');
		for (size_t i = 0; i < v->u.st.col->nchild; i++) {
			if (i)
				sp_buf_puts(out, ", ");
			sp_col_get(&v->u.st.col->child[i], v->u.st.row, &e);
			format_in(out, &e, 1);
		}
		sp_buf_addc(out, '}');
		break;
	case SP_T_ARRAY:
		sp_buf_addc(out, '[');
		for (size_t i = 0; i < v->u.arr.len; i++) {
			if (i)
				sp_buf_puts(out, ", ");
			sp_col_get(v->u.arr.elems, v->u.arr.start + i, &e);
			format_in(out, &e, 1);
		}
		sp_buf_addc(out, ']');
		break;
	default:
		break;
	}
}

void sp_val_format(struct sp_buf *out, const struct sp_val *v)
{
	format_in(out, v, 0);
}
