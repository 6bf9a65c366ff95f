/*
 * json-write.c: values as JSON text, as Spark's JacksonGenerator writes
 * them (stream-write json, to_json):
 *
 *   BOOLEAN    true, false
 *   LONG       -42
 *   DOUBLE     Java's Double.toString: 21.5, 1.0E10, 1.0E-4; NaN and the
 *              infinities as the strings "NaN", "Infinity", "-Infinity"
 *   STRING     quoted; '"' and '\' escaped, \b \f \n \r \t, other control
 *              characters as \u001F; '/' and non-ASCII characters as they
 *              are; bytes that are not UTF-8 become U+FFFD
 *   TIMESTAMP  "2024-05-01T10:00:00.000Z" (yyyy-MM-dd'T'HH:mm:ss.SSSXXX, UTC)
 *   DATE       "2024-05-01"
 *   BINARY     base64, padded
 *   STRUCT     an object, fields in schema order, NULL fields left out
 *              (or written as null when ignoreNullFields=false)
 *   ARRAY      an array; NULL elements are null
 */
#include "json-int.h"

#include <math.h>
#include <string.h>

#include "codec.h"
#include "format.h"
#include "timefmt.h"

/* How many bytes of the malformed UTF-8 at p one U+FFFD stands for (Unicode's maximal subpart). */
static size_t bad_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, n = 1;

	if (c >= 0xc2 && c < 0xe0)
		need = 1;
	else if (c >= 0xe0 && c < 0xf0)
		need = 2;
	else if (c >= 0xf0 && c < 0xf5)
		need = 3;
	else
		return 1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	while (n <= need && p + n < end && p[n] >= lo && p[n] <= hi) {
		n++;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

void sp_jw_string(struct sp_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run;
	char *w = sp_buf_room(out, len * 6 + 2), *d = w;
	unsigned c;
	int n;

	*d++ = '"';
	while (p < end) {
		for (run = p; p < end && (c = *p) >= 0x20 && c < 0x80 && c != '"' && c != '\\'; p++)
			;
		memcpy(d, run, (size_t)(p - run));
		d += p - run;
		if (p >= end)
			break;
		c = *p;
		if (c >= 0x80) {
			if ((n = sp_utf8_len(p, end))) {
				memcpy(d, p, (size_t)n);
				d += n;
				p += n;
			} else {
				memcpy(d, "\xef\xbf\xbd", 3);
				d += 3;
				p += bad_utf8_len(p, end);
			}
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*d++ = (char)c;
			break;
		case '\b':
			*d++ = 'b';
			break;
		case '\f':
			*d++ = 'f';
			break;
		case '\n':
			*d++ = 'n';
			break;
		case '\r':
			*d++ = 'r';
			break;
		case '\t':
			*d++ = 't';
			break;
		default:
			memcpy(d, "u00", 3);
			d[3] = hex[c >> 4];
			d[4] = hex[c & 15];
			d += 5;
			break;
		}
		p++;
	}
	*d++ = '"';
	out->len += (size_t)(d - w);
	out->p[out->len] = '\0';
}

static size_t fmt_u64(uint64_t v, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static size_t fmt_i64(int64_t v, char *buf)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(0 - (uint64_t)v, buf + 1);
	}
	return fmt_u64((uint64_t)v, buf);
}

static size_t ts_iso(int64_t us, char *buf, struct sp_jdates *dc)
{
	int64_t days, rem, secs, ms;
	size_t n;

	if (!dc || us < INT64_MIN + SP_US_PER_DAY)
		return sp_ts_format_iso(us, buf);
	days = sp_floordiv(us, SP_US_PER_DAY);
	rem = us - days * SP_US_PER_DAY;
	if (days != dc->ts_day) {
		char tmp[SP_TS_BUFSZ];

		/* the date part of midnight's text, without "T00:00:00.000Z" */
		n = sp_ts_format_iso(days * SP_US_PER_DAY, tmp);
		dc->tslen = n - 14;
		memcpy(dc->ts, tmp, dc->tslen);
		dc->ts_day = days;
	}
	memcpy(buf, dc->ts, dc->tslen);
	n = dc->tslen;
	secs = rem / SP_US_PER_SEC;
	ms = rem % SP_US_PER_SEC / 1000;
	buf[n++] = 'T';
	buf[n++] = (char)('0' + secs / 36000);
	buf[n++] = (char)('0' + secs / 3600 % 10);
	buf[n++] = ':';
	buf[n++] = (char)('0' + secs / 600 % 6);
	buf[n++] = (char)('0' + secs / 60 % 10);
	buf[n++] = ':';
	buf[n++] = (char)('0' + secs % 60 / 10);
	buf[n++] = (char)('0' + secs % 10);
	buf[n++] = '.';
	buf[n++] = (char)('0' + ms / 100);
	buf[n++] = (char)('0' + ms / 10 % 10);
	buf[n++] = (char)('0' + ms % 10);
	buf[n++] = 'Z';
	buf[n] = '\0';
	return n;
}

static size_t date_text(int64_t days, char *buf, struct sp_jdates *dc)
{
	if (!dc)
		return sp_date_format(days, buf);
	if (days != dc->date_day) {
		dc->datelen = sp_date_format(days, dc->date);
		dc->date_day = days;
	}
	memcpy(buf, dc->date, dc->datelen + 1);
	return dc->datelen;
}

static void put_b64(struct sp_buf *out, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *w = sp_buf_room(out, (len + 2) / 3 * 4 + 2), *d = w;
	size_t i;

	*d++ = '"';
	for (i = 0; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		*d++ = tab[v >> 18];
		*d++ = tab[v >> 12 & 63];
		*d++ = tab[v >> 6 & 63];
		*d++ = tab[v & 63];
	}
	if (len - i == 1) {
		*d++ = tab[p[i] >> 2];
		*d++ = tab[(p[i] & 3) << 4];
		*d++ = '=';
		*d++ = '=';
	} else if (len - i == 2) {
		*d++ = tab[p[i] >> 2];
		*d++ = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*d++ = tab[(p[i + 1] & 15) << 2];
		*d++ = '=';
	}
	*d++ = '"';
	out->len += (size_t)(d - w);
	out->p[out->len] = '\0';
}

static void put_f64(struct sp_buf *out, double v)
{
	char *w;

	if (isnan(v)) {
		sp_buf_add(out, "\"NaN\"", 5);
	} else if (isinf(v)) {
		if (v > 0)
			sp_buf_add(out, "\"Infinity\"", 10);
		else
			sp_buf_add(out, "\"-Infinity\"", 11);
	} else {
		w = sp_buf_room(out, 40);
		out->len += sp_double_format(v, w);
		out->p[out->len] = '\0';
	}
}

static void put_i64(struct sp_buf *out, int64_t v)
{
	char *w = sp_buf_room(out, 24);

	out->len += fmt_i64(v, w);
	out->p[out->len] = '\0';
}

static void put_quoted_time(struct sp_buf *out, int64_t v, int is_ts, struct sp_jdates *dc)
{
	char *w = sp_buf_room(out, SP_TS_BUFSZ + 2);
	size_t n;

	w[0] = '"';
	n = is_ts ? ts_iso(v, w + 1, dc) : date_text(v, w + 1, dc);
	w[n + 1] = '"';
	out->len += n + 2;
	out->p[out->len] = '\0';
}

static void put_struct(struct sp_buf *out, const struct sp_col *c, size_t i, int ignore_null, struct sp_jdates *dc)
{
	int first = 1;

	sp_buf_addc(out, '{');
	for (size_t k = 0; k < c->nchild; k++) {
		const struct sp_col *f = &c->child[k];

		if (ignore_null && sp_col_isnull(f, i))
			continue;
		if (!first)
			sp_buf_addc(out, ',');
		first = 0;
		sp_jw_string(out, c->type->fields[k].name, strlen(c->type->fields[k].name));
		sp_buf_addc(out, ':');
		sp_jw_value(out, f, i, ignore_null, dc);
	}
	sp_buf_addc(out, '}');
}

static void put_array(struct sp_buf *out, const struct sp_col *elems, size_t start, size_t len, int ignore_null,
		      struct sp_jdates *dc)
{
	sp_buf_addc(out, '[');
	for (size_t k = 0; k < len; k++) {
		if (k)
			sp_buf_addc(out, ',');
		sp_jw_value(out, elems, start + k, ignore_null, dc);
	}
	sp_buf_addc(out, ']');
}

void sp_jw_value(struct sp_buf *out, const struct sp_col *c, size_t i, int ignore_null, struct sp_jdates *dc)
{
	const char *s;
	size_t len;

	if (sp_col_isnull(c, i)) {
		sp_buf_add(out, "null", 4);
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		if (sp_col_bool(c, i))
			sp_buf_add(out, "true", 4);
		else
			sp_buf_add(out, "false", 5);
		break;
	case SP_T_LONG:
		put_i64(out, sp_col_i64(c, i));
		break;
	case SP_T_DOUBLE:
		put_f64(out, sp_col_f64(c, i));
		break;
	case SP_T_STRING:
		s = sp_col_str(c, i, &len);
		sp_jw_string(out, s, len);
		break;
	case SP_T_BINARY:
		s = sp_col_str(c, i, &len);
		put_b64(out, (const unsigned char *)s, len);
		break;
	case SP_T_TIMESTAMP:
	case SP_T_DATE:
		put_quoted_time(out, sp_col_i64(c, i), c->type->id == SP_T_TIMESTAMP, dc);
		break;
	case SP_T_STRUCT:
		put_struct(out, c, i, ignore_null, dc);
		break;
	case SP_T_ARRAY:
		put_array(out, c->child, c->off[i], c->off[i + 1] - c->off[i], ignore_null, dc);
		break;
	default:
		sp_buf_add(out, "null", 4);
		break;
	}
}

void sp_json_write_val(struct sp_buf *out, const struct sp_val *v)
{
	if (v->null || v->t == SP_T_NULL) {
		sp_buf_add(out, "null", 4);
		return;
	}
	switch (v->t) {
	case SP_T_BOOLEAN:
		if (v->u.b)
			sp_buf_add(out, "true", 4);
		else
			sp_buf_add(out, "false", 5);
		break;
	case SP_T_LONG:
		put_i64(out, v->u.i);
		break;
	case SP_T_DOUBLE:
		put_f64(out, v->u.d);
		break;
	case SP_T_STRING:
		sp_jw_string(out, v->u.s.p, v->u.s.len);
		break;
	case SP_T_BINARY:
		put_b64(out, (const unsigned char *)v->u.s.p, v->u.s.len);
		break;
	case SP_T_TIMESTAMP:
	case SP_T_DATE:
		put_quoted_time(out, v->u.i, v->t == SP_T_TIMESTAMP, NULL);
		break;
	case SP_T_STRUCT:
		put_struct(out, v->u.st.col, v->u.st.row, 1, NULL);
		break;
	case SP_T_ARRAY:
		put_array(out, v->u.arr.elems, v->u.arr.start, v->u.arr.len, 1, NULL);
		break;
	default:
		sp_buf_add(out, "null", 4);
		break;
	}
}
