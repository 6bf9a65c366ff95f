/*
 * format.c: values as Spark prints them (see format.h).
 */
#include "format.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

size_t sp_double_format(double d, char *buf)
{
	char tmp[40], digits[24];
	int prec, exp, nd = 0;
	size_t n = 0;
	char *e;

	if (isnan(d))
		return (size_t)sprintf(buf, "NaN");
	if (isinf(d))
		return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
	/* The shortest %e form that reads back as the same double. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*e", prec, d);
	/* tmp is "-d.ddddde+XX": split into digits and exponent. */
	e = strchr(tmp, 'e');
	exp = atoi(e + 1);
	for (char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
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
