/*
 * json-parse.c: the validating JSON scanner, and the schema-directed
 * reader that writes values straight into column builders (json-int.h).
 *
 * What fits a type follows Spark's JacksonParser (non-ANSI):
 *
 *   type       fits                                    e.g. does not fit
 *   BOOLEAN    true, false                             "true", 1
 *   LONG       an integer in range                     1.5, 1e2, 9223372036854775808
 *   DOUBLE     any number, NaN and Infinity tokens,    "1.5", ""
 *              the strings "NaN", "Infinity", "+INF",
 *              "+Infinity", "-Infinity", "-INF"
 *   STRING     a string; any other value as its exact text ({"a": 1} gives
 *              the 8 characters {"a": 1})
 *   TIMESTAMP  a string sp_ts_parse() reads; an         "", 1.5, "noon"
 *              integer (seconds since the epoch)
 *   DATE       a string sp_date_parse() reads, or a    "", 3
 *              whole number of days as a string
 *   BINARY     a base64 string (padding required)      "abc"
 *   STRUCT     an object: missing fields are NULL,     [1]
 *              unknown ones skipped, names matched
 *              exactly, the last of repeated keys wins
 *   ARRAY      an array                                {"a": 1}
 *   null is NULL for every type.
 *
 * A value that does not fit leaves NULL in the nearest enclosing struct
 * field and marks the record bad (Spark's partial results): in
 * {"a": [1, "x"], "b": 2} with a ARRAY<LONG>, b LONG the row is
 * (NULL, 2), the whole array being lost, while a struct inside an array
 * keeps its other fields.
 */
#include "json-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

void sp_jp_init(struct sp_jp *jp, const struct sp_json_opts *o, struct sp_buf *scratch, struct sp_buf *scratch2,
		const char *s, size_t len)
{
	jp->p = jp->start = s;
	jp->end = s + len;
	jp->o = o;
	jp->scratch = scratch;
	jp->scratch2 = scratch2;
	jp->depth = 0;
	jp->bad = 0;
	jp->failfast = 0;
	jp->rescue = NULL;
	jp->rescued = 0;
	jp->field = NULL;
	jp->err = NULL;
	jp->err_at = NULL;
}

int sp_jp_fail(struct sp_jp *jp, const char *at, const char *why)
{
	if (!jp->err) {
		jp->err = why;
		jp->err_at = at;
	}
	return -1;
}

/* A failure where c (from peek) was found instead of what was expected. */
static int expect_fail(struct sp_jp *jp, int c, const char *why)
{
	if (c == -2)
		return -1;
	return sp_jp_fail(jp, jp->p, c == -1 ? "unexpected end of input" : why);
}

static inline int is_digit(int c)
{
	return (unsigned)(c - '0') <= 9;
}

/* Characters that may not follow a literal (Java identifier parts, roughly). */
static inline int ident_char(int c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 26 || c == '_' || c == '$' || c >= 0x80;
}

/* ---- blanks and comments ---- */

static int skip_comment(struct sp_jp *jp)
{
	const char *p = jp->p, *q;

	if (jp->end - p >= 2 && p[1] == '*') {
		for (q = p + 2; jp->end - q >= 2; q++)
			if (q[0] == '*' && q[1] == '/') {
				jp->p = q + 2;
				return 0;
			}
		return sp_jp_fail(jp, p, "unterminated comment");
	}
	if (jp->end - p >= 2 && p[1] == '/') {
		q = memchr(p, '\n', (size_t)(jp->end - p));
		jp->p = q ? q + 1 : jp->end;
		return 0;
	}
	return sp_jp_fail(jp, p, "unexpected character '/'");
}

int sp_jp_peek(struct sp_jp *jp)
{
	const char *p = jp->p;

	for (;;) {
		while (p < jp->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		jp->p = p;
		if (p >= jp->end)
			return -1;
		if (*p != '/' || !jp->o->comments)
			return (unsigned char)*p;
		if (skip_comment(jp) < 0)
			return -2;
		p = jp->p;
	}
}

static inline int peek(struct sp_jp *jp)
{
	if (jp->p < jp->end && (unsigned char)*jp->p > ' ' && *jp->p != '/')
		return (unsigned char)*jp->p;
	return sp_jp_peek(jp);
}

/* ---- strings ---- */

#define B1 UINT64_C(0x0101010101010101)
#define B80 UINT64_C(0x8080808080808080)

/* Whether any byte of v is 0. */
static inline uint64_t zero_byte(uint64_t x)
{
	return (x - B1) & ~x & B80;
}

/*
 * Which of 8 bytes end a plain run: the quote, '\\', control characters and
 * non-ASCII bytes (their high bits). No byte below the first such byte is
 * ever flagged, so on a little-endian machine the lowest set bit finds it.
 */
static inline uint64_t word_special(uint64_t v, uint64_t qq)
{
	return (v & B80) | zero_byte(v ^ qq) | zero_byte(v ^ (B1 * '\\')) | ((v - B1 * 0x20) & ~v & B80);
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_BYTE(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif

static inline int plain(unsigned c, unsigned q)
{
	return c - 0x20u < 0x60u && c != q && c != '\\';
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;

		if (is_digit((int)c))
			d = c - '0';
		else if ((c | 0x20) - 'a' < 6)
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct sp_buf *b, unsigned cp)
{
	char *d = sp_buf_room(b, 4);
	size_t n;

	if (cp < 0x80) {
		d[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		d[0] = (char)(0xf0 | cp >> 18);
		d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	b->len += n;
	b->p[b->len] = '\0';
}

/* The rest of a string that has escapes, from p, unescaped into the scratch buffer. */
static int string_slow(struct sp_jp *jp, const unsigned char *start, const unsigned char *p, unsigned q,
		       const char **s, size_t *len)
{
	const unsigned char *end = (const unsigned char *)jp->end, *run;
	struct sp_buf *sc = jp->scratch;
	unsigned c, cp, lo;
	int n;

	sp_buf_reset(sc);
	sp_buf_add(sc, start, (size_t)(p - start));
	for (;;) {
		for (run = p; p < end && plain(*p, q); p++)
			;
		if (p > run)
			sp_buf_add(sc, run, (size_t)(p - run));
		if (p >= end)
			return sp_jp_fail(jp, (const char *)start - 1, "unterminated string");
		c = *p;
		if (c == q) {
			*s = sc->p;
			*len = sc->len;
			jp->p = (const char *)p + 1;
			return 0;
		}
		if (c >= 0x80) {
			if (!(n = sp_utf8_len(p, end)))
				return sp_jp_fail(jp, (const char *)p, "invalid UTF-8");
			sp_buf_add(sc, p, (size_t)n);
			p += n;
			continue;
		}
		if (c < 0x20) {
			if (!jp->o->ctrl_chars)
				return sp_jp_fail(jp, (const char *)p, "control character in string");
			sp_buf_addc(sc, (char)c);
			p++;
			continue;
		}
		/* a backslash */
		if (end - p < 2)
			return sp_jp_fail(jp, (const char *)start - 1, "unterminated string");
		c = p[1];
		p += 2;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			sp_buf_addc(sc, (char)c);
			break;
		case 'b':
			sp_buf_addc(sc, '\b');
			break;
		case 'f':
			sp_buf_addc(sc, '\f');
			break;
		case 'n':
			sp_buf_addc(sc, '\n');
			break;
		case 'r':
			sp_buf_addc(sc, '\r');
			break;
		case 't':
			sp_buf_addc(sc, '\t');
			break;
		case 'u':
			if (hex4(p, end, &cp) < 0)
				return sp_jp_fail(jp, (const char *)p - 2, "invalid \\u escape");
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, end, &lo) == 0 &&
				    lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				} else {
					/* a lone surrogate: Java's UTF-8 encoder writes '?' for it */
					cp = '?';
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = '?';
			}
			put_utf8(sc, cp);
			break;
		default:
			if (!(c == '\'' && jp->o->single_quotes) && !jp->o->any_escape)
				return sp_jp_fail(jp, (const char *)p - 2, "invalid escape");
			if (c >= 0x80) {
				if (!(n = sp_utf8_len(p - 1, end)))
					return sp_jp_fail(jp, (const char *)p - 1, "invalid UTF-8");
				sp_buf_add(sc, p - 1, (size_t)n);
				p += n - 1;
			} else {
				sp_buf_addc(sc, (char)c);
			}
			break;
		}
	}
}

int sp_jp_string(struct sp_jp *jp, const char **s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)jp->p + 1, *end = (const unsigned char *)jp->end;
	const unsigned char *start = p;
	unsigned q = (unsigned char)jp->p[0], c;
	uint64_t qq = B1 * q, v;
	int n;

	for (;;) {
		while (end - p >= 8) {
			memcpy(&v, p, 8);
			if ((v = word_special(v, qq))) {
#ifdef FIRST_BYTE
				p += FIRST_BYTE(v);
				goto special;
#else
				break;
#endif
			}
			p += 8;
		}
		while (p < end && plain(*p, q))
			p++;
		if (p >= end)
			return sp_jp_fail(jp, jp->p, "unterminated string");
#ifdef FIRST_BYTE
special:
#endif
		c = *p;
		if (c == q) {
			*s = (const char *)start;
			*len = (size_t)(p - start);
			jp->p = (const char *)p + 1;
			return 0;
		}
		if (c >= 0x80) {
			if (!(n = sp_utf8_len(p, end)))
				return sp_jp_fail(jp, (const char *)p, "invalid UTF-8");
			p += n;
			continue;
		}
		if (c == '\\')
			return string_slow(jp, start, p, q, s, len);
		if (!jp->o->ctrl_chars)
			return sp_jp_fail(jp, (const char *)p, "control character in string");
		p++;
	}
}

int sp_jp_key(struct sp_jp *jp, const char **s, size_t *len)
{
	int c = peek(jp), n;

	if (c == '"' || (c == '\'' && jp->o->single_quotes)) {
		if (sp_jp_string(jp, s, len) < 0)
			return -1;
	} else if (c >= 0 && jp->o->unquoted_names && ident_char(c)) {
		/* Jackson takes letters, digits, '_', '$' and non-ASCII characters */
		const unsigned char *p = (const unsigned char *)jp->p, *end = (const unsigned char *)jp->end;

		*s = jp->p;
		while (p < end && ident_char(*p)) {
			if (*p < 0x80) {
				p++;
			} else {
				if (!(n = sp_utf8_len(p, end)))
					return sp_jp_fail(jp, (const char *)p, "invalid UTF-8");
				p += n;
			}
		}
		*len = (size_t)((const char *)p - *s);
		jp->p = (const char *)p;
	} else {
		return expect_fail(jp, c, "expected a field name");
	}
	c = peek(jp);
	if (c != ':')
		return expect_fail(jp, c, "expected ':'");
	jp->p++;
	return 0;
}

/*
 * The common string, in the fast path: no escapes, ASCII, closed within
 * the text. Anything else starts over in sp_jp_string().
 */
static inline int scan_string(struct sp_jp *jp, const char **s, size_t *len)
{
#ifdef FIRST_BYTE
	const unsigned char *start = (const unsigned char *)jp->p + 1, *p = start, *end = (const unsigned char *)jp->end;
	unsigned q = (unsigned char)jp->p[0];
	uint64_t qq = B1 * q, v;

	while (end - p >= 8) {
		memcpy(&v, p, 8);
		if ((v = word_special(v, qq))) {
			p += FIRST_BYTE(v);
			if (*p != q)
				break;
			*s = (const char *)start;
			*len = (size_t)(p - start);
			jp->p = (const char *)p + 1;
			return 0;
		}
		p += 8;
	}
#endif
	return sp_jp_string(jp, s, len);
}

/* A key in double quotes right before its ':', in the fast path; anything else goes to sp_jp_key(). */
static inline int read_key(struct sp_jp *jp, const char **s, size_t *len)
{
	int c;

	if (jp->p < jp->end && *jp->p == '"') {
		if (scan_string(jp, s, len) < 0)
			return -1;
		if (jp->p < jp->end && *jp->p == ':') {
			jp->p++;
			return 0;
		}
		if ((c = peek(jp)) != ':')
			return expect_fail(jp, c, "expected ':'");
		jp->p++;
		return 0;
	}
	return sp_jp_key(jp, s, len);
}

/* ---- numbers and literals ---- */

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int literal(struct sp_jp *jp, const char *word, size_t n)
{
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) ||
	    (jp->p + n < jp->end && ident_char((unsigned char)jp->p[n])))
		return sp_jp_fail(jp, jp->p, "unrecognized token");
	jp->p += n;
	return 0;
}

/* NaN, Infinity, -Infinity, +Infinity, -INF, +INF (Jackson's non-numeric numbers); p is after the sign. */
static int nonnumeric(struct sp_jp *jp, const char *p, struct sp_jnum *nm)
{
	size_t rest = (size_t)(jp->end - p), n;
	int sign = p > nm->s;

	if (!jp->o->nonnumeric)
		return sp_jp_fail(jp, nm->s, "NaN and Infinity are not allowed");
	if (!sign && rest >= 3 && !memcmp(p, "NaN", 3)) {
		n = 3;
		nm->special = 1;
	} else if (rest >= 8 && !memcmp(p, "Infinity", 8)) {
		n = 8;
		nm->special = nm->neg ? 3 : 2;
	} else if (sign && rest >= 3 && !memcmp(p, "INF", 3)) {
		n = 3;
		nm->special = nm->neg ? 3 : 2;
	} else {
		return sp_jp_fail(jp, nm->s, "unrecognized token");
	}
	p += n;
	if (p < jp->end && ident_char((unsigned char)*p))
		return sp_jp_fail(jp, nm->s, "unrecognized token");
	nm->is_float = 1;
	nm->e = jp->p = p;
	return 0;
}

int sp_jp_number(struct sp_jp *jp, struct sp_jnum *nm)
{
	const char *p = jp->p, *end = jp->end;
	uint64_t m = 0;
	int nd = 0, e10 = 0, trunc = 0, ev, eneg;
	unsigned d;

	nm->s = p;
	nm->neg = 0;
	nm->is_float = 0;
	nm->special = 0;
	if (*p == '-' || *p == '+')
		nm->neg = *p++ == '-';
	if (p < end && (*p == 'I' || (*p == 'N' && p == nm->s)))
		return nonnumeric(jp, p, nm);
	if (p >= end || !is_digit(*p) || *nm->s == '+')
		return sp_jp_fail(jp, nm->s, "invalid number");
	if (*p == '0' && p + 1 < end && is_digit(p[1]) && !jp->o->leading_zeros)
		return sp_jp_fail(jp, nm->s, "leading zeros are not allowed");
	/* the integer part: leading zeros, then up to 19 significant digits */
	while (p < end && *p == '0')
		p++;
	for (; p < end && (d = (unsigned)(*p - '0')) <= 9; p++) {
		if (nd < 19) {
			m = m * 10 + d;
			nd++;
		} else {
			trunc |= d != 0;
			e10++;
		}
	}
	if (p < end && *p == '.') {
		nm->is_float = 1;
		if (++p >= end || !is_digit(*p))
			return sp_jp_fail(jp, p, "expected a digit after '.'");
		if (!m)
			for (; p < end && *p == '0'; p++)
				e10--;
		for (; p < end && (d = (unsigned)(*p - '0')) <= 9; p++) {
			if (nd < 19) {
				m = m * 10 + d;
				nd++;
				e10--;
			} else {
				trunc |= d != 0;
			}
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		nm->is_float = 1;
		p++;
		eneg = 0;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !is_digit(*p))
			return sp_jp_fail(jp, p, "expected a digit in the exponent");
		for (ev = 0; p < end && (d = (unsigned)(*p - '0')) <= 9; p++)
			if (ev < 100000)
				ev = ev * 10 + (int)d;
		e10 += eneg ? -ev : ev;
	}
	if (p - nm->s > SP_JSON_MAX_NUMBER)
		return sp_jp_fail(jp, nm->s, "number too long");
	nm->mant = m;
	nm->exp10 = e10;
	nm->trunc = trunc;
	nm->e = jp->p = p;
	return 0;
}

/*
 * The common number, in the fast path: -?(0|[1-9][0-9]*)(.[0-9]+)? with
 * at most 18 digits. Fills nm as sp_jp_number() would; -1 (jp untouched)
 * leaves anything else to it.
 */
static inline int number_fast(struct sp_jp *jp, struct sp_jnum *nm)
{
	const char *p = jp->p, *end = jp->end;
	uint64_t m = 0;
	int nd = 0, e10 = 0, neg = 0, is_float = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || !is_digit(*p))
		return -1;
	if (*p == '0') {
		if (++p < end && is_digit(*p))
			return -1;
	} else {
		for (; p < end && is_digit(*p); p++, nd++)
			m = m * 10 + (unsigned)(*p - '0');
	}
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return -1;
		for (; p < end && is_digit(*p); p++, nd++, e10--)
			m = m * 10 + (unsigned)(*p - '0');
		is_float = 1;
	}
	if (nd > 18 || (p < end && (*p == 'e' || *p == 'E')))
		return -1;
	nm->s = jp->p;
	nm->e = jp->p = p;
	nm->mant = m;
	nm->exp10 = e10;
	nm->neg = neg;
	nm->is_float = is_float;
	nm->trunc = 0;
	nm->special = 0;
	return 0;
}

static inline int read_number(struct sp_jp *jp, struct sp_jnum *nm)
{
	return number_fast(jp, nm) == 0 ? 0 : sp_jp_number(jp, nm);
}

int sp_jnum_i64(const struct sp_jnum *nm, int64_t *v)
{
	if (nm->is_float || nm->trunc || nm->exp10)
		return -1;
	if (nm->neg) {
		if (nm->mant > (uint64_t)INT64_MAX + 1)
			return -1;
		*v = (int64_t)(0 - nm->mant);
	} else {
		if (nm->mant > (uint64_t)INT64_MAX)
			return -1;
		*v = (int64_t)nm->mant;
	}
	return 0;
}

double sp_jnum_f64(const struct sp_jnum *nm)
{
	char tmp[SP_JSON_MAX_NUMBER + 2];
	size_t n = (size_t)(nm->e - nm->s);
	int64_t v;
	double d;

	if (nm->special)
		return nm->special == 1 ? NAN : nm->special == 2 ? INFINITY : -INFINITY;
	/* Jackson reads an integer as a long first, so "-0" is 0.0 */
	if (!nm->is_float && sp_jnum_i64(nm, &v) == 0)
		return (double)v;
	if (!nm->trunc && nm->mant < (UINT64_C(1) << 53) && nm->exp10 >= -22 && nm->exp10 <= 22) {
		/* one correctly rounded operation on exact operands */
		d = (double)nm->mant;
		d = nm->exp10 < 0 ? d / pow10_exact[-nm->exp10] : d * pow10_exact[nm->exp10];
		return nm->neg ? -d : d;
	}
	memcpy(tmp, nm->s, n);
	tmp[n] = '\0';
	return strtod(tmp, NULL);
}

/* ---- skipping (and validating) any value ---- */

int sp_jp_skip(struct sp_jp *jp)
{
	const char *s;
	size_t len;
	struct sp_jnum nm;
	int c = peek(jp);

	switch (c) {
	case '{':
		if (++jp->depth > SP_JSON_MAX_DEPTH)
			return sp_jp_fail(jp, jp->p, "nesting too deep");
		jp->p++;
		if ((c = peek(jp)) == '}') {
			jp->p++;
			jp->depth--;
			return 0;
		}
		for (;;) {
			if (sp_jp_key(jp, &s, &len) < 0 || sp_jp_skip(jp) < 0)
				return -1;
			c = peek(jp);
			if (c == ',') {
				jp->p++;
				continue;
			}
			if (c == '}')
				break;
			return expect_fail(jp, c, "expected ',' or '}'");
		}
		jp->p++;
		jp->depth--;
		return 0;
	case '[':
		if (++jp->depth > SP_JSON_MAX_DEPTH)
			return sp_jp_fail(jp, jp->p, "nesting too deep");
		jp->p++;
		if ((c = peek(jp)) == ']') {
			jp->p++;
			jp->depth--;
			return 0;
		}
		for (;;) {
			if (sp_jp_skip(jp) < 0)
				return -1;
			c = peek(jp);
			if (c == ',') {
				jp->p++;
				continue;
			}
			if (c == ']')
				break;
			return expect_fail(jp, c, "expected ',' or ']'");
		}
		jp->p++;
		jp->depth--;
		return 0;
	case '\'':
		if (!jp->o->single_quotes)
			return sp_jp_fail(jp, jp->p, "expected a value");
		/* fall through */
	case '"':
		return sp_jp_string(jp, &s, &len);
	case 't':
		return literal(jp, "true", 4);
	case 'f':
		return literal(jp, "false", 5);
	case 'n':
		return literal(jp, "null", 4);
	case '-': case '+': case 'N': case 'I':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return sp_jp_number(jp, &nm);
	default:
		return expect_fail(jp, c, "expected a value");
	}
}

/* ---- compiled schemas ---- */

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct sp_jnode *sp_jnode_new(const struct sp_type *t, int skip, int skip2)
{
	struct sp_jnode *n = sp_xcalloc(1, sizeof *n);
	size_t k = t->nfields, size = 8, prev;

	n->type = t;
	n->id = t->id;
	n->ymd = -1;
	if (t->id == SP_T_ARRAY)
		n->elem = sp_jnode_new(t->elem, -1, -1);
	if (t->id != SP_T_STRUCT)
		return n;
	n->nfields = k;
	n->fields = sp_xcalloc(k ? k : 1, sizeof *n->fields);
	while (size < 2 * k)
		size *= 2;
	n->slots = sp_xcalloc(size, sizeof *n->slots);
	n->mask = (uint32_t)(size - 1);
	n->next = sp_xmalloc((k + 1) * sizeof *n->next);
	for (size_t i = 0; i <= k; i++)
		n->next[i] = (uint32_t)k;
	prev = k;
	for (size_t i = 0; i < k; i++) {
		struct sp_jfield *f = &n->fields[i];
		uint32_t h, v;

		f->name = t->fields[i].name;
		f->len = strlen(f->name);
		f->node = sp_jnode_new(t->fields[i].type, -1, -1);
		if ((int)i == skip || (int)i == skip2)
			continue;
		/* the first field wins where names repeat */
		for (h = name_hash(f->name, f->len) & n->mask; (v = n->slots[h]); h = (h + 1) & n->mask)
			if (n->fields[v - 1].len == f->len && !memcmp(n->fields[v - 1].name, f->name, f->len))
				break;
		if (!v)
			n->slots[h] = (uint32_t)i + 1;
		/* until records say otherwise, keys are expected in schema order */
		n->next[prev] = (uint32_t)i;
		prev = i;
	}
	return n;
}

void sp_jnode_free(struct sp_jnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nfields; i++)
		sp_jnode_free(n->fields[i].node);
	free(n->fields);
	free(n->slots);
	free(n->next);
	sp_jnode_free(n->elem);
	free(n);
}

/* Keys are short: two overlapping loads compare them faster than memcmp(). */
static inline int same_key(const char *a, const char *b, size_t len)
{
	uint64_t x, y, x2, y2;
	uint32_t u, w, u2, w2;

	if (len >= 8) {
		if (len > 16)
			return !memcmp(a, b, len);
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&x2, a + len - 8, 8);
		memcpy(&y2, b + len - 8, 8);
		return !((x ^ y) | (x2 ^ y2));
	}
	if (len >= 4) {
		memcpy(&u, a, 4);
		memcpy(&w, b, 4);
		memcpy(&u2, a + len - 4, 4);
		memcpy(&w2, b + len - 4, 4);
		return !((u ^ w) | (u2 ^ w2));
	}
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The field named by a key, or -1; prev is the field before it in this object (nfields: none). */
static inline int find_field(struct sp_jnode *n, uint32_t prev, const char *s, size_t len)
{
	uint32_t g = n->next[prev], h, v;

	if (g < n->nfields && n->fields[g].len == len && same_key(n->fields[g].name, s, len))
		return (int)g;
	for (h = name_hash(s, len) & n->mask; (v = n->slots[h]); h = (h + 1) & n->mask)
		if (n->fields[v - 1].len == len && same_key(n->fields[v - 1].name, s, len)) {
			n->next[prev] = v - 1;
			return (int)(v - 1);
		}
	return -1;
}

/* ---- column builders ---- */

void sp_col_cut(struct sp_col *c, size_t n)
{
	/* children may hold values of a row whose parent was never pushed */
	if (c->n < n)
		return;
	c->n = n;
	if (c->type->id == SP_T_STRUCT)
		for (size_t i = 0; i < c->nchild; i++)
			sp_col_cut(&c->child[i], n);
	else if (c->type->id == SP_T_ARRAY)
		sp_col_cut(c->child, c->off[n]);
}

/*
 * Room for one more non-NULL value without calling into value.c: the
 * column's capacities (value.h) say whether the common case can be
 * written in place; otherwise the sp_col_push_*() functions grow it.
 */
static inline int slot_ok(struct sp_col *c)
{
	if (c->n >= c->cap)
		return 0;
	if (c->valid) {
		if ((c->n >> 3) >= c->validcap)
			return 0;
		c->valid[c->n >> 3] |= (uint8_t)(1u << (c->n & 7));
	}
	return 1;
}

static inline void put_i64(struct sp_col *c, int64_t v)
{
	if (slot_ok(c))
		((int64_t *)c->data)[c->n++] = v;
	else
		sp_col_push_i64(c, v);
}

static inline void put_f64(struct sp_col *c, double v)
{
	if (slot_ok(c))
		((double *)c->data)[c->n++] = v;
	else
		sp_col_push_f64(c, v);
}

static inline void put_bool(struct sp_col *c, int v)
{
	if (slot_ok(c))
		((uint8_t *)c->data)[c->n++] = (uint8_t)v;
	else
		sp_col_push_bool(c, v);
}

static inline void put_bytes(struct sp_col *c, const char *s, size_t len)
{
	size_t o, e;

	if (c->n < c->cap) {
		o = c->off[c->n];
		e = o + len;
		if (e <= c->datacap && e <= UINT32_MAX && slot_ok(c)) {
			if (len)
				memcpy((char *)c->data + o, s, len);
			c->off[++c->n] = (uint32_t)e;
			return;
		}
	}
	sp_col_push_bytes(c, s, len);
}

/* ---- conversions ---- */

/* The value from start to jp->p does not fit type; in FAILFAST mode that ends the record. */
static int conv_fail(struct sp_jp *jp, const char *start, enum sp_type_id type)
{
	int n = (int)(jp->p - start);

	if (jp->failfast && !jp->err) {
		if (jp->field)
			snprintf(jp->errbuf, sizeof jp->errbuf, "field '%.40s': cannot convert %.*s%s to %s", jp->field,
				 n > 40 ? 40 : n, start, n > 40 ? "..." : "", sp_type_name(type));
		else
			snprintf(jp->errbuf, sizeof jp->errbuf, "cannot convert %.*s%s to %s", n > 40 ? 40 : n, start,
				 n > 40 ? "..." : "", sp_type_name(type));
		jp->err = jp->errbuf;
		jp->err_at = start;
	}
	return SP_JP_CONV;
}

static int days_in_month(int64_t y, int64_t m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 ? 28 + ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) : dm[m - 1];
}

static inline int dig2(const char *s)
{
	return is_digit(s[0]) && is_digit(s[1]) ? (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/*
 * "yyyy-mm-ddThh:mm:ss[.fraction][Z]", the form nearly every timestamp
 * comes in, read without the general parser; -1 sends anything else (and
 * anything invalid) to sp_ts_parse().
 */
static int ts_fast(const char *s, size_t len, int64_t *us, struct sp_jnode *n)
{
	const char *p, *e = s + len;
	int y1, y2, mo, d, hh, mi, ss, nf = 0;
	int64_t frac = 0, y;

	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	y1 = dig2(s);
	y2 = dig2(s + 2);
	mo = dig2(s + 5);
	d = dig2(s + 8);
	hh = dig2(s + 11);
	mi = dig2(s + 14);
	ss = dig2(s + 17);
	if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return -1;
	y = y1 * 100 + y2;
	if (y * 10000 + mo * 100 + d != n->ymd) {
		if (d > days_in_month(y, mo))
			return -1;
		n->ymd = y * 10000 + mo * 100 + d;
		n->days = sp_days_from_civil(y, (unsigned)mo, (unsigned)d);
	}
	p = s + 19;
	if (p < e && *p == '.') {
		for (p++; p < e && is_digit(*p); p++, nf++)
			if (nf < 6)
				frac = frac * 10 + (*p - '0');
		if (nf == 0 || nf > 9)
			return -1;
		for (; nf < 6; nf++)
			frac *= 10;
	}
	if (p < e && *p == 'Z')
		p++;
	if (p != e)
		return -1;
	*us = n->days * SP_US_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss) * SP_US_PER_SEC + frac;
	return 0;
}

static int b64val(unsigned c)
{
	if (c - 'A' < 26)
		return (int)(c - 'A');
	if (c - 'a' < 26)
		return (int)(c - 'a' + 26);
	if (c - '0' < 10)
		return (int)(c - '0' + 52);
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Base64 as Jackson reads it: blanks between quads, '=' padding required. */
static int b64_decode(const char *s, size_t len, struct sp_buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	int v[4];

	sp_buf_reset(out);
	for (;;) {
		while (p < e && *p <= ' ')
			p++;
		if (p == e)
			return 0;
		if (e - p < 4 || (v[0] = b64val(p[0])) < 0 || (v[1] = b64val(p[1])) < 0)
			return -1;
		if (p[2] == '=') {
			if (p[3] != '=')
				return -1;
			sp_buf_addc(out, (char)(v[0] << 2 | v[1] >> 4));
		} else if ((v[2] = b64val(p[2])) < 0) {
			return -1;
		} else if (p[3] == '=') {
			sp_buf_addc(out, (char)(v[0] << 2 | v[1] >> 4));
			sp_buf_addc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
		} else if ((v[3] = b64val(p[3])) < 0) {
			return -1;
		} else {
			sp_buf_addc(out, (char)(v[0] << 2 | v[1] >> 4));
			sp_buf_addc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
			sp_buf_addc(out, (char)((v[2] & 3) << 6 | v[3]));
		}
		p += 4;
	}
}

/* Java's Integer.parseInt. */
static int java_int(const char *s, size_t len, int64_t *v)
{
	size_t i = 0;
	int64_t x = 0;
	int neg = 0;

	if (len && (s[0] == '-' || s[0] == '+'))
		neg = s[i++] == '-';
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
		if (x > (int64_t)INT32_MAX + neg)
			return -1;
	}
	*v = neg ? -x : x;
	return 0;
}

static int nonnumeric_string(const char *s, size_t len, double *d)
{
	if (len == 3 && !memcmp(s, "NaN", 3))
		*d = NAN;
	else if ((len == 8 && !memcmp(s, "Infinity", 8)) || (len == 9 && !memcmp(s, "+Infinity", 9)) ||
		 (len == 4 && !memcmp(s, "+INF", 4)))
		*d = INFINITY;
	else if ((len == 9 && !memcmp(s, "-Infinity", 9)) || (len == 4 && !memcmp(s, "-INF", 4)))
		*d = -INFINITY;
	else
		return -1;
	return 0;
}

static int read_array(struct sp_jp *jp, struct sp_jnode *n, struct sp_col *c)
{
	struct sp_col *elem = c->child;
	size_t first = elem->n;
	int ch, rc, bad = 0;

	if (++jp->depth > SP_JSON_MAX_DEPTH)
		return sp_jp_fail(jp, jp->p, "nesting too deep");
	jp->p++;
	if ((ch = peek(jp)) != ']') {
		for (;;) {
			if (!bad) {
				if ((rc = sp_jp_value(jp, n->elem, elem)) < 0)
					return -1;
				if (rc) {
					if (jp->failfast)
						return -1;
					bad = 1;
				}
			} else if (sp_jp_skip(jp) < 0) {
				return -1;
			}
			ch = peek(jp);
			if (ch == ',') {
				jp->p++;
				continue;
			}
			if (ch == ']')
				break;
			return expect_fail(jp, ch, "expected ',' or ']'");
		}
	}
	jp->p++;
	jp->depth--;
	if (bad) {
		/* one element that does not fit loses the whole array, as in Spark */
		sp_col_cut(elem, first);
		return SP_JP_CONV;
	}
	sp_col_push_array(c);
	return 0;
}

int sp_jp_value(struct sp_jp *jp, struct sp_jnode *n, struct sp_col *c)
{
	const char *start, *s;
	size_t len;
	struct sp_jnum nm;
	int64_t v;
	double d;
	int ch = peek(jp);

	if (ch < 0)
		return expect_fail(jp, ch, "expected a value");
	start = jp->p;
	if (ch == 'n') {
		if (literal(jp, "null", 4) < 0)
			return -1;
		sp_col_push_null(c);
		return 0;
	}
	switch (n->id) {
	case SP_T_STRING:
		if (ch == '"' || (ch == '\'' && jp->o->single_quotes)) {
			if (scan_string(jp, &s, &len) < 0)
				return -1;
			put_bytes(c, s, len);
			return 0;
		}
		/* any other value: its text, exactly as written */
		if (sp_jp_skip(jp) < 0)
			return -1;
		put_bytes(c, start, (size_t)(jp->p - start));
		return 0;
	case SP_T_LONG:
		if (ch != '-' && !is_digit(ch) && ch != '+' && ch != 'N' && ch != 'I')
			break;
		if (read_number(jp, &nm) < 0)
			return -1;
		if (sp_jnum_i64(&nm, &v) < 0)
			return conv_fail(jp, start, n->id);
		put_i64(c, v);
		return 0;
	case SP_T_DOUBLE:
		if (ch == '-' || is_digit(ch) || ch == '+' || ch == 'N' || ch == 'I') {
			if (read_number(jp, &nm) < 0)
				return -1;
			put_f64(c, sp_jnum_f64(&nm));
			return 0;
		}
		if (ch != '"' && (ch != '\'' || !jp->o->single_quotes))
			break;
		if (sp_jp_string(jp, &s, &len) < 0)
			return -1;
		if (!jp->o->nonnumeric || nonnumeric_string(s, len, &d) < 0)
			return conv_fail(jp, start, n->id);
		put_f64(c, d);
		return 0;
	case SP_T_BOOLEAN:
		if (ch != 't' && ch != 'f')
			break;
		if (literal(jp, ch == 't' ? "true" : "false", ch == 't' ? 4 : 5) < 0)
			return -1;
		put_bool(c, ch == 't');
		return 0;
	case SP_T_TIMESTAMP:
		if (ch == '-' || is_digit(ch) || ch == '+' || ch == 'N' || ch == 'I') {
			if (read_number(jp, &nm) < 0)
				return -1;
			if (sp_jnum_i64(&nm, &v) < 0)
				return conv_fail(jp, start, n->id);
			/* seconds, multiplied as Java does: wrapping on overflow */
			put_i64(c, (int64_t)((uint64_t)v * (uint64_t)SP_US_PER_SEC));
			return 0;
		}
		if (ch != '"' && (ch != '\'' || !jp->o->single_quotes))
			break;
		if (scan_string(jp, &s, &len) < 0)
			return -1;
		if (!len || (ts_fast(s, len, &v, n) < 0 && sp_ts_parse(s, len, &v) < 0))
			return conv_fail(jp, start, n->id);
		put_i64(c, v);
		return 0;
	case SP_T_DATE:
		if (ch != '"' && (ch != '\'' || !jp->o->single_quotes))
			break;
		if (sp_jp_string(jp, &s, &len) < 0)
			return -1;
		/* Spark 1.5 wrote dates as a number of days, and Spark still reads them */
		if (!len || (sp_date_parse(s, len, &v) < 0 && java_int(s, len, &v) < 0))
			return conv_fail(jp, start, n->id);
		put_i64(c, v);
		return 0;
	case SP_T_BINARY:
		if (ch != '"' && (ch != '\'' || !jp->o->single_quotes))
			break;
		if (sp_jp_string(jp, &s, &len) < 0)
			return -1;
		if (b64_decode(s, len, jp->scratch2) < 0)
			return conv_fail(jp, start, n->id);
		put_bytes(c, jp->scratch2->p ? jp->scratch2->p : "", jp->scratch2->len);
		return 0;
	case SP_T_STRUCT:
		if (ch != '{')
			break;
		if (sp_jp_object(jp, n, c->child, c->n) < 0)
			return -1;
		sp_col_push_struct(c);
		return 0;
	case SP_T_ARRAY:
		if (ch != '[')
			break;
		return read_array(jp, n, c);
	default:
		if (sp_jp_skip(jp) < 0)
			return -1;
		sp_col_push_null(c);
		return 0;
	}
	if (sp_jp_skip(jp) < 0)
		return -1;
	return conv_fail(jp, start, n->id);
}

int sp_jp_object(struct sp_jp *jp, struct sp_jnode *n, struct sp_col *cols, size_t r)
{
	uint32_t prev = (uint32_t)n->nfields;
	const char *key, *vs;
	size_t klen, mark = 0;
	int ch, idx, rc, top;

	if (++jp->depth > SP_JSON_MAX_DEPTH)
		return sp_jp_fail(jp, jp->p, "nesting too deep");
	jp->p++;
	if ((ch = peek(jp)) != '}') {
		for (;;) {
			if (read_key(jp, &key, &klen) < 0)
				return -1;
			top = jp->rescue && jp->depth == 1;
			if (top) {
				/* the key now: its text may live in the scratch buffer the value reuses */
				mark = jp->rescue->len;
				sp_buf_addc(jp->rescue, ',');
				sp_jw_string(jp->rescue, key, klen);
				sp_buf_addc(jp->rescue, ':');
				jp->rescued = 0;
			}
			if ((idx = find_field(n, prev, key, klen)) < 0) {
				if (sp_jp_peek(jp) == -2)
					return -1;
				vs = jp->p;
				if (sp_jp_skip(jp) < 0)
					return -1;
				if (top)
					sp_buf_add(jp->rescue, vs, (size_t)(jp->p - vs));
			} else {
				struct sp_col *c = &cols[idx];

				/* a repeated key: the last value wins */
				if (c->n > r)
					sp_col_cut(c, r);
				jp->field = n->fields[idx].name;
				if (sp_jp_peek(jp) == -2)
					return -1;
				vs = jp->p;
				if ((rc = sp_jp_value(jp, n->fields[idx].node, c))) {
					if (rc < 0 || jp->failfast)
						return -1;
					sp_col_cut(c, r);
					sp_col_push_null(c);
					if (jp->rescue)
						jp->rescued = 1;
					else
						jp->bad = 1;
				}
				if (top && jp->rescued)
					sp_buf_add(jp->rescue, vs, (size_t)(jp->p - vs));
				else if (top)
					jp->rescue->p[jp->rescue->len = mark] = '\0';
				prev = (uint32_t)idx;
			}
			ch = peek(jp);
			if (ch == ',') {
				jp->p++;
				continue;
			}
			if (ch == '}')
				break;
			return expect_fail(jp, ch, "expected ',' or '}'");
		}
	}
	jp->p++;
	jp->depth--;
	for (size_t i = 0; i < n->nfields; i++)
		if (cols[i].n == r)
			sp_col_push_null(&cols[i]);
	return 0;
}
