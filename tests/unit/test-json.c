/*
 * test-json.c: the JSON lines codec (decoding, inference, encoding),
 * from_json and to_json, table-driven. Each failing case is printed; the
 * exit status is the number of failures. Where jq is installed, strings
 * are also checked against it in both directions.
 */
#include "sp.h"
#include "json-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define FAIL(...)                                       \
	do {                                            \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);           \
		fputc('\n', stderr);                    \
		failures++;                             \
	} while (0)

/* ---- a plain dump of batches, independent of the JSON writer ---- */

static void dump_val(struct sp_buf *o, const struct sp_col *c, size_t i)
{
	char tmp[64];
	const char *s;
	size_t len;

	if (sp_col_isnull(c, i)) {
		sp_buf_puts(o, "NULL");
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		sp_buf_puts(o, sp_col_bool(c, i) ? "true" : "false");
		break;
	case SP_T_LONG:
		sp_buf_printf(o, "%lld", (long long)sp_col_i64(c, i));
		break;
	case SP_T_DOUBLE:
		sp_buf_add(o, tmp, sp_double_format(sp_col_f64(c, i), tmp));
		break;
	case SP_T_STRING:
		s = sp_col_str(c, i, &len);
		sp_buf_addc(o, '"');
		for (size_t k = 0; k < len; k++) {
			unsigned char ch = (unsigned char)s[k];

			if (ch == '"' || ch == '\\')
				sp_buf_printf(o, "\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f)
				sp_buf_printf(o, "\\x%02x", ch);
			else
				sp_buf_addc(o, (char)ch);
		}
		sp_buf_addc(o, '"');
		break;
	case SP_T_BINARY:
		s = sp_col_str(c, i, &len);
		sp_buf_puts(o, "x'");
		for (size_t k = 0; k < len; k++)
			sp_buf_printf(o, "%02x", (unsigned char)s[k]);
		sp_buf_addc(o, '\'');
		break;
	case SP_T_TIMESTAMP:
		sp_ts_format(sp_col_i64(c, i), tmp);
		sp_buf_printf(o, "ts'%s'", tmp);
		break;
	case SP_T_DATE:
		sp_date_format(sp_col_i64(c, i), tmp);
		sp_buf_printf(o, "d'%s'", tmp);
		break;
	case SP_T_STRUCT:
		sp_buf_addc(o, '{');
		for (size_t k = 0; k < c->nchild; k++) {
			if (k)
				sp_buf_puts(o, ", ");
			dump_val(o, &c->child[k], i);
		}
		sp_buf_addc(o, '}');
		break;
	case SP_T_ARRAY:
		sp_buf_addc(o, '[');
		for (size_t k = c->off[i]; k < c->off[i + 1]; k++) {
			if (k > c->off[i])
				sp_buf_puts(o, ", ");
			dump_val(o, c->child, k);
		}
		sp_buf_addc(o, ']');
		break;
	default:
		sp_buf_puts(o, "?");
		break;
	}
}

static char *dump_batch(const struct sp_batch *b)
{
	struct sp_buf o = SP_BUF_INIT;

	for (size_t i = 0; i < b->n; i++) {
		if (i)
			sp_buf_addc(&o, '\n');
		sp_buf_addc(&o, '(');
		for (size_t k = 0; k < b->schema->nfields; k++) {
			if (k)
				sp_buf_puts(&o, ", ");
			dump_val(&o, &b->cols[k], i);
		}
		sp_buf_addc(&o, ')');
	}
	return sp_buf_take(&o);
}

/* Checks that every column has b->n rows (and children agree), so later frames are sound. */
static int col_consistent(const struct sp_col *c, size_t n)
{
	if (c->n != n)
		return 0;
	if (c->type->id == SP_T_STRUCT)
		for (size_t k = 0; k < c->nchild; k++)
			if (!col_consistent(&c->child[k], n))
				return 0;
	if (c->type->id == SP_T_ARRAY)
		return col_consistent(c->child, c->off[n]);
	return 1;
}

/* "k=v;k=v" into options */
static void parse_opts(struct sp_kvs *kv, const char *opts)
{
	char *copy = sp_xstrdup(opts ? opts : ""), *save = NULL, *tok;

	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		sp_kvs_add(kv, "-o", tok);
	free(copy);
}

/*
 * Decodes in, chunk bytes at a time (0: all at once), as stream-read
 * does: what was not consumed is offered again with more data.
 */
static ssize_t decode_chunked(struct sp_dec *d, const char *in, size_t len, size_t chunk, struct sp_batch *b,
			      struct sp_err *err)
{
	size_t avail = chunk ? 0 : len, off = 0;
	ssize_t n;
	int eof;

	for (;;) {
		if (chunk) {
			avail += chunk;
			if (avail > len)
				avail = len;
		}
		eof = avail == len;
		if ((n = sp_json_dec.decode(d, in + off, avail - off, eof, b, 1000000, err)) < 0)
			return -1;
		off += (size_t)n;
		if (eof && off == len)
			return (ssize_t)off;
		if (eof) {
			/* no progress at eof would loop forever */
			if (n == 0)
				return -2;
		}
	}
}

struct dcase {
	const char *opts;
	const char *ddl;
	const char *in;
	const char *want;	/* dump, rows separated by \n */
	const char *err;	/* FAILFAST message, or NULL */
	unsigned long long dropped;
};

static const struct dcase dcases[] = {
	/* every type */
	{ NULL, "b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, bin BINARY",
	  "{\"b\":true,\"l\":42,\"d\":1.5,\"s\":\"x\",\"t\":\"2024-05-01T10:00:00Z\",\"dt\":\"2024-05-01\",\"bin\":\"aGVsbG8=\"}\n"
	  "{\"b\":false,\"l\":-7,\"d\":-2,\"s\":\"\",\"t\":\"2024-05-01 10:00:00.250+02:00\",\"dt\":\"1969-12-31\",\"bin\":\"\"}\n",
	  "(true, 42, 1.5, \"x\", ts'2024-05-01 10:00:00', d'2024-05-01', x'68656c6c6f')\n"
	  "(false, -7, -2.0, \"\", ts'2024-05-01 08:00:00.25', d'1969-12-31', x'')", NULL, 0 },
	/* missing fields, unknown fields (validated but skipped), null */
	{ NULL, "a LONG, b STRING",
	  "{\"x\":{\"y\":[1,{\"z\":null}],\"w\":\"\\u00e9\"},\"b\":\"k\"}\n{}\n{\"a\":null,\"b\":null}",
	  "(NULL, \"k\")\n(NULL, NULL)\n(NULL, NULL)", NULL, 0 },
	/* the benchmark's records, keys in any order */
	{ NULL, "device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG",
	  "{\"device_id\":\"dev-0042\",\"temperature\":21.5,\"humidity\":48.25,\"ts\":\"2024-05-01T10:00:03.250Z\",\"seq\":1234567}\n"
	  "{\"seq\":1,\"ts\":\"2024-05-01T10:00:03Z\",\"humidity\":0,\"temperature\":-0.5,\"device_id\":\"d\"}\n"
	  "  {  \"device_id\" : \"dev-1\" , \"temperature\" : 1e2 }  \n",
	  "(\"dev-0042\", 21.5, 48.25, ts'2024-05-01 10:00:03.25', 1234567)\n"
	  "(\"d\", -0.5, 0.0, ts'2024-05-01 10:00:03', 1)\n"
	  "(\"dev-1\", 100.0, NULL, NULL, NULL)", NULL, 0 },
	/* nested structs and arrays */
	{ NULL, "pos STRUCT<x: DOUBLE, y: DOUBLE>, tags ARRAY<STRING>, kv ARRAY<STRUCT<k: STRING, v: LONG>>, m ARRAY<ARRAY<LONG>>",
	  "{\"pos\":{\"y\":2,\"x\":1.25},\"tags\":[\"a\",null,\"b\"],\"kv\":[{\"k\":\"x\",\"v\":1},null,{\"v\":2}],\"m\":[[1,2],[],null,[3]]}\n"
	  "{\"pos\":null,\"tags\":[],\"kv\":null}\n{\"pos\":{}}",
	  "({1.25, 2.0}, [\"a\", NULL, \"b\"], [{\"x\", 1}, NULL, {NULL, 2}], [[1, 2], [], NULL, [3]])\n"
	  "(NULL, [], NULL, NULL)\n({NULL, NULL}, NULL, NULL, NULL)", NULL, 0 },
	/* escapes, \u with surrogate pairs, raw UTF-8 */
	{ NULL, "s STRING",
	  "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}\n"
	  "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n"
	  "{\"s\":\"\\u0000x\"}\n",
	  "(\"a\\\"b\\\\c/d\\x08\\x0c\\x0a\\x0d\\x09A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\")\n"
	  "(\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\")\n(\"\\x00x\")", NULL, 0 },
	/* lone surrogates become '?', as Java's UTF-8 encoder writes them */
	{ NULL, "s STRING", "{\"s\":\"\\ud800x\\udc00\\ud83d\\u0041\"}", "(\"?x??A\")", NULL, 0 },
	/* invalid UTF-8, overlong forms and encoded surrogates are malformed */
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"\xff\"}", "", "'t.json' line 1: malformed JSON: invalid UTF-8 at column 7", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"ab\xc0\xaf\"}", "", "'t.json' line 1: malformed JSON: invalid UTF-8 at column 9", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"\xed\xa0\x80\"}", "", "'t.json' line 1: malformed JSON: invalid UTF-8 at column 7", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"\xe2\x82\"}", "", "'t.json' line 1: malformed JSON: invalid UTF-8 at column 7", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"x\":\"\xf4\x90\x80\x80\"}", "", "'t.json' line 1: malformed JSON: invalid UTF-8 at column 7", 0 },
	/* numbers at the edges */
	{ NULL, "l LONG, d DOUBLE",
	  "{\"l\":9223372036854775807,\"d\":9223372036854775808}\n"
	  "{\"l\":-9223372036854775808,\"d\":-0}\n"
	  "{\"l\":-0,\"d\":-0.0}\n"
	  "{\"d\":1e308}\n{\"d\":1e309}\n{\"d\":-1e309}\n{\"d\":4.9e-324}\n{\"d\":2.4e-324}\n"
	  "{\"d\":0.1}\n{\"d\":1.7976931348623157e308}\n{\"d\":123456789012345678901234567890}\n"
	  "{\"d\":0.000001234}\n{\"d\":12345678901234567890e-10}\n{\"d\":1E+2}\n{\"d\":2.2250738585072011e-308}\n",
	  "(9223372036854775807, 9.223372036854776E18)\n"
	  "(-9223372036854775808, 0.0)\n"
	  "(0, -0.0)\n"
	  "(NULL, 1.0E308)\n(NULL, Infinity)\n(NULL, -Infinity)\n(NULL, 4.9E-324)\n(NULL, 0.0)\n"
	  "(NULL, 0.1)\n(NULL, 1.7976931348623157E308)\n(NULL, 1.2345678901234568E29)\n"
	  "(NULL, 1.234E-6)\n(NULL, 1.2345678901234567E9)\n(NULL, 100.0)\n(NULL, 2.225073858507201E-308)", NULL, 0 },
	/* a number that does not fit LONG: the field is NULL, the record is kept with its text */
	{ NULL, "l LONG, n LONG, _corrupt_record STRING",
	  "{\"l\":9223372036854775808,\"n\":1}\n{\"l\":-9223372036854775809}\n{\"l\":1.5,\"n\":2}\n{\"l\":1e2}\n{\"l\":\"1\"}\n{\"l\":true}\n",
	  "(NULL, 1, \"{\\\"l\\\":9223372036854775808,\\\"n\\\":1}\")\n"
	  "(NULL, NULL, \"{\\\"l\\\":-9223372036854775809}\")\n"
	  "(NULL, 2, \"{\\\"l\\\":1.5,\\\"n\\\":2}\")\n"
	  "(NULL, NULL, \"{\\\"l\\\":1e2}\")\n"
	  "(NULL, NULL, \"{\\\"l\\\":\\\"1\\\"}\")\n"
	  "(NULL, NULL, \"{\\\"l\\\":true}\")", NULL, 0 },
	/* syntax errors in numbers */
	{ "mode=FAILFAST", "l LONG", "{\"l\":01}", "", "'t.json' line 1: malformed JSON: leading zeros are not allowed at column 6", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":-}", "", "'t.json' line 1: malformed JSON: invalid number at column 6", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":1.}", "", "'t.json' line 1: malformed JSON: expected a digit after '.' at column 8", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":.5}", "", "'t.json' line 1: malformed JSON: expected a value at column 6", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":1e}", "", "'t.json' line 1: malformed JSON: expected a digit in the exponent at column 8", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":+1}", "", "'t.json' line 1: malformed JSON: invalid number at column 6", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":12a}", "", "'t.json' line 1: malformed JSON: expected ',' or '}' at column 8", 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":0x10}", "", "'t.json' line 1: malformed JSON: expected ',' or '}' at column 7", 0 },
	{ "allowNumericLeadingZeros=true", "l LONG, d DOUBLE, s STRING", "{\"l\":007,\"d\":-00.5,\"s\":00}", "(7, -0.5, \"00\")", NULL, 0 },
	/* NaN and Infinity: tokens and strings */
	{ NULL, "d DOUBLE, s STRING",
	  "{\"d\":NaN,\"s\":NaN}\n{\"d\":-Infinity,\"s\":+INF}\n{\"d\":+Infinity}\n{\"d\":\"NaN\"}\n{\"d\":\"Infinity\"}\n"
	  "{\"d\":\"-Infinity\"}\n{\"d\":\"+INF\"}\n{\"d\":\"-INF\"}\n{\"d\":\"+Infinity\"}\n",
	  "(NaN, \"NaN\")\n(-Infinity, \"+INF\")\n(Infinity, NULL)\n(NaN, NULL)\n(Infinity, NULL)\n"
	  "(-Infinity, NULL)\n(Infinity, NULL)\n(-Infinity, NULL)\n(Infinity, NULL)", NULL, 0 },
	{ "mode=FAILFAST", "d DOUBLE", "{\"d\":\"nan\"}", "", "'t.json' line 1: malformed JSON: field 'd': cannot convert \"nan\" to DOUBLE at column 6", 0 },
	{ "mode=FAILFAST", "d DOUBLE", "{\"d\":\"\"}", "", "'t.json' line 1: malformed JSON: field 'd': cannot convert \"\" to DOUBLE at column 6", 0 },
	{ "mode=FAILFAST", "d DOUBLE", "{\"d\":\"1.5\"}", "", "'t.json' line 1: malformed JSON: field 'd': cannot convert \"1.5\" to DOUBLE at column 6", 0 },
	{ "mode=FAILFAST", "d DOUBLE", "{\"d\":NaNx}", "", "'t.json' line 1: malformed JSON: unrecognized token at column 6", 0 },
	{ "mode=FAILFAST", "d DOUBLE", "{\"d\":INF}", "", "'t.json' line 1: malformed JSON: unrecognized token at column 6", 0 },
	{ "mode=FAILFAST;allowNonNumericNumbers=false", "d DOUBLE", "{\"d\":NaN}", "",
	  "'t.json' line 1: malformed JSON: NaN and Infinity are not allowed at column 6", 0 },
	{ "allowNonNumericNumbers=false;mode=DROPMALFORMED", "d DOUBLE", "{\"d\":\"NaN\"}\n{\"d\":-Infinity}\n{\"d\":1}", "(1.0)", NULL, 2 },
	/* STRING from other values: their exact text */
	{ NULL, "s STRING",
	  "{\"s\":1.50}\n{\"s\": {\"a\": [1, 2] } }\n{\"s\":true}\n{\"s\":[]}\n{\"s\":-0}\n{\"s\":1E400}\n{\"s\":'q'}",
	  "(\"1.50\")\n(\"{\\\"a\\\": [1, 2] }\")\n(\"true\")\n(\"[]\")\n(\"-0\")\n(\"1E400\")\n(\"q\")", NULL, 0 },
	/* TIMESTAMP from strings and from integers (seconds) */
	{ NULL, "t TIMESTAMP",
	  "{\"t\":1714557600}\n{\"t\":-1}\n{\"t\":\"2024-05-01T10:00:00.123456789Z\"}\n{\"t\":\"2024-05-01\"}\n"
	  "{\"t\":\" 2024-05-01T10:00\"}\n{\"t\":\"2024-02-29T00:00:00Z\"}\n{\"t\":\"2024-05-01T10:00:00+01:30\"}\n"
	  "{\"t\":\"1969-12-31T23:59:59.999999Z\"}\n",
	  "(ts'2024-05-01 10:00:00')\n(ts'1969-12-31 23:59:59')\n(ts'2024-05-01 10:00:00.123456')\n(ts'2024-05-01 00:00:00')\n"
	  "(ts'2024-05-01 10:00:00')\n(ts'2024-02-29 00:00:00')\n(ts'2024-05-01 08:30:00')\n"
	  "(ts'1969-12-31 23:59:59.999999')", NULL, 0 },
	{ "mode=DROPMALFORMED", "t TIMESTAMP",
	  "{\"t\":1.5}\n{\"t\":\"\"}\n{\"t\":\"noon\"}\n{\"t\":\"2023-02-29T00:00:00Z\"}\n{\"t\":\"2024-05-01T24:00:00Z\"}\n{\"t\":true}\n{\"t\":0}",
	  "(ts'1970-01-01 00:00:00')", NULL, 6 },
	/* DATE from strings, also a number of days */
	{ NULL, "d DATE",
	  "{\"d\":\"2024-05-01T10:00:00Z\"}\n{\"d\":\"123\"}\n{\"d\":\"-1\"}\n{\"d\":\"2024-05-01 \"}\n{\"d\":\"2024-13-01\"}\n{\"d\":3}\n{\"d\":\"\"}",
	  "(d'2024-05-01')\n(d'1970-05-04')\n(d'1969-12-31')\n(d'2024-05-01')\n(NULL)\n(NULL)\n(NULL)", NULL, 0 },
	/* BINARY from base64 */
	{ NULL, "b BINARY",
	  "{\"b\":\"YQ==\"}\n{\"b\":\"YWI=\"}\n{\"b\":\"YWJj\"}\n{\"b\":\"YQ\"}\n{\"b\":\"abc\"}\n{\"b\":\"Y Q==\"}\n{\"b\":\" YWJj YWJj \"}\n{\"b\":1}",
	  "(x'61')\n(x'6162')\n(x'616263')\n(NULL)\n(NULL)\n(NULL)\n(x'616263616263')\n(NULL)", NULL, 0 },
	/* BOOLEAN takes only true and false */
	{ NULL, "b BOOLEAN", "{\"b\":\"true\"}\n{\"b\":1}\n{\"b\":false}", "(NULL)\n(NULL)\n(false)", NULL, 0 },
	{ "mode=FAILFAST", "b BOOLEAN", "{\"b\":tru}", "", "'t.json' line 1: malformed JSON: unrecognized token at column 6", 0 },
	{ "mode=FAILFAST", "b BOOLEAN", "{\"b\":truex}", "", "'t.json' line 1: malformed JSON: unrecognized token at column 6", 0 },
	{ "mode=FAILFAST", "b BOOLEAN", "{\"b\":nul}", "", "'t.json' line 1: malformed JSON: unrecognized token at column 6", 0 },
	/* records holding arrays of objects, and other top-level values */
	{ NULL, "l LONG, _corrupt_record STRING",
	  "[{\"l\":1},{\"l\":2}]\n[]\n[1]\n5\nnull\n\"x\"\n[{\"l\":3},7]\n[{\"l\":\"x\"},{\"l\":4}]\n",
	  "(1, NULL)\n(2, NULL)\n(NULL, \"[1]\")\n(NULL, \"5\")\n(NULL, \"null\")\n(NULL, \"\\\"x\\\"\")\n(NULL, \"[{\\\"l\\\":3},7]\")\n"
	  "(NULL, \"[{\\\"l\\\":\\\"x\\\"},{\\\"l\\\":4}]\")\n(4, \"[{\\\"l\\\":\\\"x\\\"},{\\\"l\\\":4}]\")", NULL, 0 },
	{ "mode=FAILFAST", "l LONG", "[{\"l\":1}, 2]", "", "'t.json' line 1: malformed JSON: expected a JSON object at column 11", 0 },
	{ "mode=FAILFAST", "l LONG", "\n\n  42", "", "'t.json' line 3: malformed JSON: expected a JSON object at column 3", 0 },
	/* what follows the first value is ignored, as Spark's reader does */
	{ NULL, "l LONG", "{\"l\":1} xyz\n{\"l\":2}{\"l\":3}", "(1)\n(2)", NULL, 0 },
	/* blank lines, CRLF, CR, a last line without newline */
	{ NULL, "l LONG", "\n{\"l\":1}\r\n\r\n  \t \n{\"l\":2}\r{\"l\":3}\n\n{\"l\":4}", "(1)\n(2)\n(3)\n(4)", NULL, 0 },
	{ "mode=FAILFAST", "l LONG", "{\"l\":1}\r\n\r\n{\"l\":2}\r{\"l\":}\n", "", "'t.json' line 4: malformed JSON: expected a value at column 6", 0 },
	/* lineSep */
	{ "lineSep=|;mode=FAILFAST", "l LONG", "{\"l\":1}|{\"l\":2}||{\"l\":\n3}|", "(1)\n(2)\n(3)", NULL, 0 },
	{ "lineSep=#!", "s STRING", "{\"s\":\"a#\"}#!{\"s\":\"!\"}#!#", "(\"a#\")\n(\"!\")\n(NULL)", NULL, 0 },
	/* repeated keys: the last wins; a bad one still marks the record */
	{ NULL, "l LONG, _corrupt_record STRING", "{\"l\":1,\"l\":2}\n{\"l\":\"x\",\"l\":3}\n{\"l\":3,\"l\":\"x\"}",
	  "(2, NULL)\n(3, \"{\\\"l\\\":\\\"x\\\",\\\"l\\\":3}\")\n(NULL, \"{\\\"l\\\":3,\\\"l\\\":\\\"x\\\"}\")", NULL, 0 },
	{ NULL, "a ARRAY<LONG>, s STRUCT<x: LONG>", "{\"a\":[1,2],\"s\":{\"x\":1},\"a\":[3],\"s\":{\"x\":2}}", "([3], {2})", NULL, 0 },
	/* names match exactly, with case */
	{ NULL, "l LONG, L STRING", "{\"L\":\"up\",\"l\":1}\n{\"LL\":1}", "(1, \"up\")\n(NULL, NULL)", NULL, 0 },
	/* partial results: a bad value is NULL where it stands, the rest is kept */
	{ NULL, "a LONG, b LONG, _corrupt_record STRING", "{\"a\":\"x\",\"b\":2}",
	  "(NULL, 2, \"{\\\"a\\\":\\\"x\\\",\\\"b\\\":2}\")", NULL, 0 },
	{ NULL, "arr ARRAY<LONG>, b LONG, _corrupt_record STRING", "{\"arr\":[1,\"x\",3],\"b\":2}",
	  "(NULL, 2, \"{\\\"arr\\\":[1,\\\"x\\\",3],\\\"b\\\":2}\")", NULL, 0 },
	{ NULL, "arr ARRAY<STRUCT<x: LONG, y: LONG>>, b LONG", "{\"arr\":[{\"x\":1,\"y\":\"z\"},{\"x\":2,\"y\":3}],\"b\":2}",
	  "([{1, NULL}, {2, 3}], 2)", NULL, 0 },
	{ NULL, "s STRUCT<t: STRUCT<u: LONG, v: LONG>, w: ARRAY<ARRAY<LONG>>>", "{\"s\":{\"t\":{\"u\":\"bad\",\"v\":1},\"w\":[[1],[true]]}}",
	  "({{NULL, 1}, NULL})", NULL, 0 },
	{ NULL, "s STRUCT<x: LONG>, a ARRAY<LONG>", "{\"s\":[1],\"a\":{\"x\":1}}\n{\"s\":5,\"a\":\"x\"}", "(NULL, NULL)\n(NULL, NULL)", NULL, 0 },
	/* a broken line is all NULL, whatever came before the break */
	{ NULL, "a LONG, b LONG, _corrupt_record STRING", "{\"a\":1,\"b\":2,}\n{\"a\":1,\"b\":[1,}",
	  "(NULL, NULL, \"{\\\"a\\\":1,\\\"b\\\":2,}\")\n(NULL, NULL, \"{\\\"a\\\":1,\\\"b\\\":[1,}\")", NULL, 0 },
	/* keys named like the corrupt column are not read from the record */
	{ NULL, "a LONG, _corrupt_record STRING", "{\"_corrupt_record\":\"zzz\",\"a\":1}", "(1, NULL)", NULL, 0 },
	{ "columnNameOfCorruptRecord=bad", "a LONG, bad STRING, _corrupt_record STRING", "{\"a\":\"q\",\"_corrupt_record\":\"c\"}",
	  "(NULL, \"{\\\"a\\\":\\\"q\\\",\\\"_corrupt_record\\\":\\\"c\\\"}\", \"c\")", NULL, 0 },
	/* rescued data: unknown keys and values that do not fit, as a JSON object; the row is not malformed */
	{ "rescuedDataColumn=_rescued_data", "a LONG, b LONG",
	  "{\"a\": 1, \"b\": \"x\", \"c\": true}\n{\"a\":2,\"b\":3}\n{\"b\":[1],\"e\\\"x\":null , \"a\":4}",
	  "(1, NULL, \"{\\\"b\\\":\\\"x\\\",\\\"c\\\":true}\")\n(2, 3, NULL)\n"
	  "(4, NULL, \"{\\\"b\\\":[1],\\\"e\\\\\\\"x\\\":null}\")", NULL, 0 },
	/* a mismatch inside a struct rescues the whole top-level value; the rest of the struct is read;
	 * a key named like the column is rescued too */
	{ "rescuedDataColumn=r", "s STRUCT<q: LONG, t: LONG>, r STRING, _corrupt_record STRING",
	  "{\"s\":{\"q\":1,\"t\":\"no\"},\"r\":\"ignored\"}\n{bad",
	  "({1, NULL}, \"{\\\"s\\\":{\\\"q\\\":1,\\\"t\\\":\\\"no\\\"},\\\"r\\\":\\\"ignored\\\"}\", NULL)\n"
	  "(NULL, NULL, \"{bad\")", NULL, 0 },
	/* the modes */
	{ "mode=DROPMALFORMED", "a LONG", "{\"a\":1}\n{\"a\":\"x\"}\n{bad\n[{\"a\":2},{\"a\":\"y\"}]\n{\"a\":3}", "(1)\n(3)", NULL, 3 },
	{ "mode=dropmalformed", "a LONG, _corrupt_record STRING", "{\"a\":\"x\"}\n{\"a\":3}", "(3, NULL)", NULL, 1 },
	{ "mode=FAILFAST", "a LONG", "{\"a\":1}\n\n{\"a\":2,}", "", "'t.json' line 3: malformed JSON: expected a field name at column 8", 0 },
	{ "mode=FAILFAST", "a LONG", "{\"a\":1}\n{\"a\":\"x\"}", "", "'t.json' line 2: malformed JSON: field 'a': cannot convert \"x\" to LONG at column 6", 0 },
	{ "mode=FAILFAST", "a ARRAY<LONG>", "{\"a\":[1,2.5]}", "", "'t.json' line 1: malformed JSON: field 'a': cannot convert 2.5 to LONG at column 9", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"", "",
	  "'t.json' line 1: malformed JSON: unexpected end of input at column 60", 0 },
	{ "mode=FAILFAST", "a LONG", "{\"a\":\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"}", "",
	  "'t.json' line 1: malformed JSON: field 'a': cannot convert \"abcdefghijklmnopqrstuvwxyzabcdefghijklm... to LONG at column 6", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"abc}", "", "'t.json' line 1: malformed JSON: unterminated string at column 6", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\" 1}", "", "'t.json' line 1: malformed JSON: expected ':' at column 6", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":1 \"t\":2}", "", "'t.json' line 1: malformed JSON: expected ',' or '}' at column 8", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":[1 2]}", "", "'t.json' line 1: malformed JSON: expected ',' or ']' at column 9", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"a\tb\"}", "", "'t.json' line 1: malformed JSON: control character in string at column 8", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"a\\qb\"}", "", "'t.json' line 1: malformed JSON: invalid escape at column 8", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":\"\\u12g4\"}", "", "'t.json' line 1: malformed JSON: invalid \\u escape at column 7", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":}", "", "'t.json' line 1: malformed JSON: expected a value at column 6", 0 },
	{ "mode=FAILFAST", "s STRING", "{\"s\":1", "", "'t.json' line 1: malformed JSON: unexpected end of input at column 7", 0 },
	{ "mode=FAILFAST", "s STRING", "{", "", "'t.json' line 1: malformed JSON: unexpected end of input at column 2", 0 },
	{ "mode=FAILFAST", "s STRING", "{'s':'\\'q\\''} \n{\"s\":'\"'}\n{s:1}", "",
	  "'t.json' line 3: malformed JSON: expected a field name at column 2", 0 },
	/* the allow* options, off and on */
	{ "mode=FAILFAST", "a LONG", "{/* c */\"a\":1}", "", "'t.json' line 1: malformed JSON: expected a field name at column 2", 0 },
	{ "allowComments=true", "a LONG", "{/* c */\"a\" /**/ : // x\n1}\n/* only a comment */\n// another\n{\"a\":2 /* x */}",
	  "(NULL)\n(NULL)\n(2)", NULL, 0 },
	{ "allowComments=true;mode=FAILFAST", "a LONG", "{\"a\":1 /* open", "", "'t.json' line 1: malformed JSON: unterminated comment at column 8", 0 },
	{ "allowComments=true;mode=FAILFAST", "a LONG", "{\"a\":1 / 2}", "", "'t.json' line 1: malformed JSON: unexpected character '/' at column 8", 0 },
	{ "allowUnquotedFieldNames=true", "a_1 LONG, `$b` LONG, `é` LONG", "{a_1:1, $b : 2, \xc3\xa9:3}", "(1, 2, 3)", NULL, 0 },
	{ "allowSingleQuotes=false;mode=FAILFAST", "a STRING", "{\"a\":'x'}", "", "'t.json' line 1: malformed JSON: expected a value at column 6", 0 },
	{ "allowSingleQuotes=false;mode=FAILFAST", "a STRING", "{'a':\"x\"}", "", "'t.json' line 1: malformed JSON: expected a field name at column 2", 0 },
	{ "allowSingleQuotes=false;mode=FAILFAST", "a STRING", "{\"a\":\"\\'\"}", "", "'t.json' line 1: malformed JSON: invalid escape at column 7", 0 },
	{ "allowBackslashEscapingAnyCharacter=true", "a STRING", "{\"a\":\"\\q\\'\\\xc3\xa9\"}", "(\"q'\xc3\xa9\")", NULL, 0 },
	{ "allowUnquotedControlChars=true", "a STRING", "{\"a\":\"x\ty\x01\"}", "(\"x\\x09y\\x01\")", NULL, 0 },
	{ "primitivesAsString=true;prefersDecimal=true;samplingRatio=0.5;dropFieldIfAllNull=true;inferTimestamp=true;encoding=utf-8;multiLine=false",
	  "a LONG", "{\"a\":1}", "(1)", NULL, 0 },
	{ "timestampFormat=yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX];dateFormat=yyyy-MM-dd;timeZone=UTC", "a LONG", "{\"a\":1}", "(1)", NULL, 0 },
	/* a line nested too deeply */
	{ "mode=FAILFAST", "a STRING", "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "]}", "", "'t.json' line 1: malformed JSON: nesting too deep at column 1005", 0 },
};

static void run_dcase(const struct dcase *tc, size_t chunk)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d = NULL;
	struct sp_type *t = NULL;
	struct sp_batch b = { NULL, 0, NULL };
	char *got = NULL;
	ssize_t n;

	parse_opts(&kv, tc->opts);
	if (sp_json_dec.new(&d, &kv, &err) < 0 || sp_type_parse_ddl(tc->ddl, &t, &err) < 0 ||
	    sp_json_dec.set_schema(d, t, &err) < 0) {
		FAIL("%s: setup: %s", tc->in, err.msg);
		goto done;
	}
	sp_batch_init(&b, sp_json_dec.schema(d));
	sp_json_dec.start(d, "'t.json'");
	n = decode_chunked(d, tc->in, strlen(tc->in), chunk, &b, &err);
	for (size_t k = 0; k < b.schema->nfields; k++)
		if (!col_consistent(&b.cols[k], b.n))
			FAIL("[%s] chunk %zu: column %zu inconsistent", tc->in, chunk, k);
	if (tc->err) {
		if (n != -1 || strcmp(err.msg, tc->err))
			FAIL("[%s] chunk %zu: error\n  got  '%s' (%zd)\n  want '%s'", tc->in, chunk, err.msg, n, tc->err);
		goto done;
	}
	if (n < 0) {
		FAIL("[%s] chunk %zu: unexpected error %zd '%s'", tc->in, chunk, n, err.msg);
		goto done;
	}
	got = dump_batch(&b);
	if (strcmp(got, tc->want))
		FAIL("[%s] chunk %zu:\n  got\n%s\n  want\n%s", tc->in, chunk, got, tc->want);
	if (sp_json_dec.dropped(d) != tc->dropped)
		FAIL("[%s]: dropped %llu, want %llu", tc->in, (unsigned long long)sp_json_dec.dropped(d), tc->dropped);
done:
	free(got);
	sp_batch_release(&b);
	sp_type_unref(t);
	if (d)
		sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

static void test_decode(void)
{
	for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
		run_dcase(&dcases[i], 0);
		run_dcase(&dcases[i], 1);
		run_dcase(&dcases[i], 7);
	}
}

/* max_rows stops decoding early; the rest comes back in the next call */
static void test_max_rows(void)
{
	static const char in[] = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n[{\"a\":4},{\"a\":5}]\n{\"a\":6}\n";
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	struct sp_batch b;
	size_t off = 0;
	ssize_t n;
	char *got;
	int calls = 0;

	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("a LONG", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	sp_json_dec.start(d, "standard input");
	while (off < sizeof in - 1) {
		n = sp_json_dec.decode(d, in + off, sizeof in - 1 - off, 1, &b, 2, &err);
		if (n <= 0) {
			FAIL("max_rows: decode gave %zd", n);
			break;
		}
		off += (size_t)n;
		calls++;
	}
	got = dump_batch(&b);
	if (calls != 3 || strcmp(got, "(1)\n(2)\n(3)\n(4)\n(5)\n(6)"))
		FAIL("max_rows: %d calls, rows %s", calls, got);
	if (sp_json_dec.decode(d, in, sizeof in - 1, 1, &b, 0, &err) != 0)
		FAIL("max_rows 0 should consume nothing");
	free(got);
	sp_batch_release(&b);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* line numbers start again at each input; messages name it */
static void test_names(void)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	struct sp_batch b;

	sp_kvs_add(&kv, "-o", "mode=FAILFAST");
	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("a LONG", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	sp_json_dec.start(d, "'one.json'");
	sp_json_dec.decode(d, "{}\n{}\n", 6, 1, &b, 100, &err);
	sp_json_dec.start(d, "standard input");
	if (sp_json_dec.decode(d, "{}\nx", 4, 1, &b, 100, &err) != -1 ||
	    strcmp(err.msg, "standard input line 2: malformed JSON: expected a JSON object at column 1"))
		FAIL("names: '%s'", err.msg);
	sp_batch_release(&b);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* a corrupt-record column of another type is refused */
static void test_corrupt_type(void)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT, err2 = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_type *t;

	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("a LONG, _corrupt_record LONG", &t, &err);
	if (sp_json_dec.set_schema(d, t, &err) != -1 || err.status != SP_EXIT_USAGE ||
	    strcmp(err.msg, "the corrupt record column '_corrupt_record' must be a STRING, not LONG"))
		FAIL("corrupt type: '%s'", err.msg);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
	sp_kvs_set(&kv, "rescuedDataColumn", "r");
	sp_json_dec.new(&d, &kv, &err2);
	sp_type_parse_ddl("a LONG, r LONG", &t, &err2);
	if (sp_json_dec.set_schema(d, t, &err2) != -1 || err2.status != SP_EXIT_USAGE ||
	    strcmp(err2.msg, "the rescued data column 'r' must be a STRING, not LONG"))
		FAIL("rescue type: '%s'", err2.msg);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
	if (sp_dec_find("JSON") != &sp_json_dec || sp_enc_find("json") != &sp_json_enc || sp_dec_find("xml"))
		FAIL("sp_dec_find/sp_enc_find");
}

/* ---- options that are refused exit 2 with one message ---- */

static void expect_usage(int enc, const char *opts, const char *want)
{
	int fds[2], status;
	char buf[512];
	ssize_t n = 0, r;
	pid_t pid;

	if (pipe(fds) < 0)
		return;
	fflush(stderr);
	if (!(pid = fork())) {
		struct sp_kvs kv = SP_KVS_INIT;
		struct sp_err err = SP_ERR_INIT;
		struct sp_dec *d;
		struct sp_enc *e;

		dup2(fds[1], 2);
		close(fds[0]);
		sp_setprog("test-json");
		parse_opts(&kv, opts);
		if (enc)
			sp_json_enc.new(&e, &kv, &err);
		else
			sp_json_dec.new(&d, &kv, &err);
		_exit(0);
	}
	close(fds[1]);
	while ((r = read(fds[0], buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || strcmp(buf, want))
		FAIL("options '%s': status %d, stderr '%s', want '%s'", opts, status, buf, want);
}

static void test_options(void)
{
	expect_usage(0, "mode=LAX", "test-json: option -o mode=LAX: expected PERMISSIVE, DROPMALFORMED or FAILFAST\n"
		     "try 'test-json -h'\n");
	expect_usage(0, "multiLine=true", "test-json: option -o multiLine=true: not supported yet for json (one record per line)\n"
		     "try 'test-json -h'\n");
	expect_usage(0, "encoding=UTF-16", "test-json: option -o encoding=UTF-16: only UTF-8 is supported\ntry 'test-json -h'\n");
	expect_usage(0, "timestampFormat=dd/MM/yyyy",
		     "test-json: option -o timestampFormat=dd/MM/yyyy: custom patterns are not supported yet "
		     "(the default is yyyy-MM-dd'T'HH:mm:ss.SSSXXX)\ntry 'test-json -h'\n");
	expect_usage(0, "dateFormat=MM/dd", "test-json: option -o dateFormat=MM/dd: custom patterns are not supported yet "
		     "(the default is yyyy-MM-dd)\ntry 'test-json -h'\n");
	expect_usage(0, "samplingRatio=0", "test-json: option -o samplingRatio=0: expected a number in (0, 1]\ntry 'test-json -h'\n");
	expect_usage(0, "allowComments=yes", "test-json: option -o allowComments=yes: expected true or false\ntry 'test-json -h'\n");
	expect_usage(0, "timeZone=Europe/Paris", "test-json: option -o timeZone=Europe/Paris: only UTC is supported\n"
		     "try 'test-json -h'\n");
	expect_usage(1, "timeZone=+01:00", "test-json: option -o timeZone=+01:00: only UTC is supported\ntry 'test-json -h'\n");
	expect_usage(0, "lineSep=", "test-json: option -o lineSep: it cannot be empty\ntry 'test-json -h'\n");
	expect_usage(1, "compression=gzip", "test-json: option -o compression=gzip: not supported for json (none only)\n"
		     "try 'test-json -h'\n");
	expect_usage(1, "pretty=true", "test-json: option -o pretty=true: not supported (JSON lines are one record per line)\n"
		     "try 'test-json -h'\n");
	expect_usage(1, "ignoreNullFields=maybe", "test-json: option -o ignoreNullFields=maybe: expected true or false\n"
		     "try 'test-json -h'\n");
}

/* ---- inference ---- */

struct icase {
	const char *opts;
	const char *in;
	const char *want;	/* DDL, or the error */
	ssize_t records;	/* returned count (-1: error) */
};

static const struct icase icases[] = {
	{ NULL, "{\"b\":1,\"a\":\"x\"}", "a STRING, b LONG", 1 },
	{ NULL, "{\"a\":1}\n{\"a\":1.5}\n{\"a\":2}", "a DOUBLE", 3 },
	{ NULL, "{\"a\":1}\n{\"a\":\"x\"}", "a STRING", 2 },
	{ NULL, "{\"a\":true}\n{\"a\":1}", "a STRING", 2 },
	{ NULL, "{\"a\":{\"b\":1}}\n{\"a\":[1]}", "a STRING", 2 },
	{ NULL, "{\"a\":[1]}\n{\"a\":{\"b\":1}}", "a STRING", 2 },
	{ NULL, "{\"a\":{\"b\":1}}\n{\"a\":5}", "a STRING", 2 },
	{ NULL, "{\"a\":{\"x\":1,\"z\":[1]}}\n{\"a\":{\"y\":\"s\",\"x\":2.5}}", "a STRUCT<x: DOUBLE, y: STRING, z: ARRAY<LONG>>", 2 },
	{ NULL, "{\"a\":[1,2.5],\"b\":[],\"c\":[null],\"d\":[[1],[\"x\"]],\"e\":[{\"p\":1},{\"q\":true}]}",
	  "a ARRAY<DOUBLE>, b ARRAY<STRING>, c ARRAY<STRING>, d ARRAY<ARRAY<STRING>>, e ARRAY<STRUCT<p: LONG, q: BOOLEAN>>", 1 },
	{ NULL, "{\"a\":[1,{\"x\":1}]}", "a ARRAY<STRING>", 1 },
	{ NULL, "{\"a\":null,\"b\":\"\",\"c\":{},\"d\":{\"e\":{}}}", "a STRING, b STRING", 1 },
	{ "dropFieldIfAllNull=true", "{\"a\":null,\"b\":\"\",\"c\":[],\"d\":[null],\"e\":1}\n{\"f\":[{}]}", "e LONG", 2 },
	{ NULL, "{\"a\":\"\"}\n{\"a\":5}", "a LONG", 2 },
	{ NULL, "{\"a\":9223372036854775807,\"b\":9223372036854775808,\"c\":-1e2,\"d\":NaN,\"e\":-0}",
	  "a LONG, b DOUBLE, c DOUBLE, d DOUBLE, e LONG", 1 },
	{ "primitivesAsString=true", "{\"a\":1,\"b\":true,\"c\":1.5,\"d\":\"x\",\"e\":[1],\"f\":{\"g\":false}}",
	  "a STRING, b STRING, c STRING, d STRING, e ARRAY<STRING>, f STRUCT<g: STRING>", 1 },
	{ NULL, "{\"t\":\"2024-05-01T10:00:00Z\"}", "t STRING", 1 },
	{ "inferTimestamp=true", "{\"t\":\"2024-05-01T10:00:00Z\",\"u\":\"2024-05-01\",\"v\":\"noon\",\"w\":\"2024-05-01 10:00\"}\n{\"w\":\"x\"}",
	  "t TIMESTAMP, u TIMESTAMP, v STRING, w STRING", 2 },
	/* names sort as Java strings: by UTF-16 units */
	{ NULL, "{\"b\":1,\"B\":1,\"a\":1,\"_x\":1,\"aa\":1,\"\xef\xbf\xbf\":1,\"\xf0\x9f\x98\x80\":1,\"\xc3\xa9\":1}",
	  "B LONG, _x LONG, a LONG, aa LONG, b LONG, `\xc3\xa9` LONG, `\xf0\x9f\x98\x80` LONG, `\xef\xbf\xbf` LONG", 1 },
	{ NULL, "{\"a\":1,\"a\":\"x\"}", "a STRING", 1 },
	/* malformed records and records that are not objects */
	{ NULL, "{\"b\":1}\n{bad\n", "_corrupt_record STRING, b LONG", 2 },
	{ "mode=DROPMALFORMED", "{\"b\":1}\n{bad\n5\n", "b LONG", 3 },
	{ "mode=FAILFAST", "{\"b\":1}\n\n{\"b\":[1,}\n", "'t.json' line 3: malformed JSON: expected a value at column 9", -1 },
	{ "mode=FAILFAST", "{\"b\":1}\n[1]\n", "'t.json' line 2: malformed JSON: expected a JSON object at column 1", -1 },
	{ "columnNameOfCorruptRecord=zz", "5\n\"x\"\n", "zz STRING", 2 },
	{ NULL, "{\"_corrupt_record\":1}\n7\n", "_corrupt_record LONG", 2 },
	{ NULL, "{\"_corrupt_record\":1}\n{x\n", "_corrupt_record STRING", 2 },
	{ NULL, "[{\"a\":1},{\"b\":2}]\n[]\nnull\n\"\"\n[null]\n\n   \n", "a LONG, b LONG", 5 },
	{ NULL, "[{\"a\":1},5]", "_corrupt_record STRING", 1 },
	{ NULL, "[[{\"a\":1}]]", "a LONG", 1 },
	{ NULL, "", "", 0 },
	{ NULL, "{}\n{\"a\":{}}", "", 2 },
	{ "allowComments=true", "// c\n{\"a\":1 /* x */}", "a LONG", 1 },
	{ NULL, "{\"a\":1}\r\n{\"b\":2}\r{\"c\":3}", "a LONG, b LONG, c LONG", 3 },
	{ NULL, "{\"\":1,\"a\\u0000b\":2,\"c\":3}", "c LONG", 1 },
};

static void test_infer(void)
{
	for (size_t i = 0; i < sizeof icases / sizeof icases[0]; i++) {
		const struct icase *tc = &icases[i];
		struct sp_kvs kv = SP_KVS_INIT;
		struct sp_err err = SP_ERR_INIT;
		struct sp_dec *d;
		struct sp_type *t;
		size_t used = 0;
		ssize_t n;
		char *ddl;

		parse_opts(&kv, tc->opts);
		sp_json_dec.new(&d, &kv, &err);
		sp_json_dec.start(d, "'t.json'");
		n = sp_json_dec.infer(d, tc->in, strlen(tc->in), 1, 1000, &used, &err);
		if (n != tc->records)
			FAIL("infer [%s]: %zd records, want %zd (%s)", tc->in, n, tc->records, err.msg);
		if (n < 0) {
			if (strcmp(err.msg, tc->want))
				FAIL("infer [%s]:\n  got  '%s'\n  want '%s'", tc->in, err.msg, tc->want);
		} else {
			if (used != strlen(tc->in))
				FAIL("infer [%s]: used %zu of %zu", tc->in, used, strlen(tc->in));
			t = sp_json_dec.inferred(d);
			ddl = t->nfields ? sp_type_ddl_new(t) : sp_xstrdup("");
			if (t->id != SP_T_STRUCT || strcmp(ddl, tc->want))
				FAIL("infer [%s]:\n  got  '%s'\n  want '%s'", tc->in, ddl, tc->want);
			free(ddl);
			sp_type_unref(t);
		}
		sp_json_dec.free(d);
		sp_kvs_release(&kv);
	}
}

/* inference in steps: max_records, incomplete last lines, more data later */
static void test_infer_steps(void)
{
	static const char in[] = "{\"a\":1}\n\n{\"b\":2}\n{\"c\":3}\n{\"d\":";
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	size_t used;
	ssize_t n;
	char *ddl;

	sp_json_dec.new(&d, &kv, &err);
	sp_json_dec.start(d, "standard input");
	n = sp_json_dec.infer(d, in, sizeof in - 1, 0, 2, &used, &err);
	if (n != 2 || used != 17)
		FAIL("infer steps: %zd records, %zu bytes", n, used);
	n = sp_json_dec.infer(d, in + used, sizeof in - 1 - used, 0, 10, &used, &err);
	if (n != 1 || used != 8)
		FAIL("infer steps 2: %zd records, %zu bytes", n, used);
	t = sp_json_dec.inferred(d);
	ddl = sp_type_ddl_new(t);
	if (strcmp(ddl, "a LONG, b LONG, c LONG"))
		FAIL("infer steps: %s", ddl);
	free(ddl);
	sp_type_unref(t);
	/* deeper than a schema can nest: the deep part is a STRING */
	{
		struct sp_buf deep = SP_BUF_INIT;

		for (int i = 0; i < 100; i++)
			sp_buf_puts(&deep, "{\"x\":");
		sp_buf_puts(&deep, "1");
		for (int i = 0; i < 100; i++)
			sp_buf_puts(&deep, "}");
		struct sp_type *back;

		n = sp_json_dec.infer(d, deep.p, deep.len, 1, 10, &used, &err);
		t = sp_json_dec.inferred(d);
		ddl = sp_type_ddl_new(t);
		if (n != 1 || !strstr(ddl, "x: STRING>") || sp_type_parse_ddl(ddl, &back, &err) < 0)
			FAIL("infer deep: %zd %s %s", n, ddl, err.msg);
		else
			sp_type_unref(back);
		sp_type_unref(t);
		free(ddl);
		sp_buf_release(&deep);
	}
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* ---- encoding ---- */

struct ecase {
	const char *opts;	/* for the encoder */
	const char *ddl;
	const char *in;		/* JSON lines read with ddl */
	const char *want;
};

static const struct ecase ecases[] = {
	{ NULL, "b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, bin BINARY",
	  "{\"b\":true,\"l\":-42,\"d\":21.5,\"s\":\"x\",\"t\":\"2024-05-01T10:00:03.25Z\",\"dt\":\"2024-05-01\",\"bin\":\"aGVsbG8=\"}",
	  "{\"b\":true,\"l\":-42,\"d\":21.5,\"s\":\"x\",\"t\":\"2024-05-01T10:00:03.250Z\",\"dt\":\"2024-05-01\",\"bin\":\"aGVsbG8=\"}\n" },
	{ NULL, "a LONG, b STRING, c DOUBLE", "{\"b\":\"y\"}\n{}\n{\"a\":1}\n{\"c\":2}",
	  "{\"b\":\"y\"}\n{}\n{\"a\":1}\n{\"c\":2.0}\n" },
	{ "ignoreNullFields=false", "a LONG, b STRING, s STRUCT<x: LONG, y: LONG>, r ARRAY<LONG>", "{\"b\":\"y\",\"s\":{\"y\":1},\"r\":[null,2]}",
	  "{\"a\":null,\"b\":\"y\",\"s\":{\"x\":null,\"y\":1},\"r\":[null,2]}\n" },
	{ NULL, "d DOUBLE",
	  "{\"d\":1e10}\n{\"d\":1e-4}\n{\"d\":0.001}\n{\"d\":1234567.0}\n{\"d\":1e7}\n{\"d\":9999999.999}\n{\"d\":-0.0}\n{\"d\":0}\n"
	  "{\"d\":NaN}\n{\"d\":Infinity}\n{\"d\":-Infinity}\n{\"d\":0.1}\n{\"d\":1.7976931348623157e308}\n{\"d\":4.9e-324}\n{\"d\":100}\n"
	  "{\"d\":0.30000000000000004}\n{\"d\":123456.789}\n{\"d\":-5.5e-3}\n",
	  "{\"d\":1.0E10}\n{\"d\":1.0E-4}\n{\"d\":0.001}\n{\"d\":1234567.0}\n{\"d\":1.0E7}\n{\"d\":9999999.999}\n{\"d\":-0.0}\n{\"d\":0.0}\n"
	  "{\"d\":\"NaN\"}\n{\"d\":\"Infinity\"}\n{\"d\":\"-Infinity\"}\n{\"d\":0.1}\n{\"d\":1.7976931348623157E308}\n{\"d\":4.9E-324}\n"
	  "{\"d\":100.0}\n{\"d\":0.30000000000000004}\n{\"d\":123456.789}\n{\"d\":-0.0055}\n" },
	{ NULL, "s STRING",
	  "{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/\xc3\xa9\x7f\\u2028\xf0\x9f\x98\x80\"}",
	  "{\"s\":\"\\u0001\\u001F\\b\\f\\n\\r\\t\\\"\\\\/\xc3\xa9\x7f\xe2\x80\xa8\xf0\x9f\x98\x80\"}\n" },
	{ NULL, "`we\"ird\\name` LONG, `é` LONG", "{\"we\\\"ird\\\\name\":1,\"\xc3\xa9\":2}", "{\"we\\\"ird\\\\name\":1,\"\xc3\xa9\":2}\n" },
	{ NULL, "t TIMESTAMP, d DATE",
	  "{\"t\":-1,\"d\":\"0001-01-01\"}\n{\"t\":\"1969-12-31T23:59:59.9999Z\",\"d\":\"9999-12-31\"}\n{\"t\":\"2024-02-29T23:59:59.999999Z\"}\n{\"t\":0}",
	  "{\"t\":\"1969-12-31T23:59:59.000Z\",\"d\":\"0001-01-01\"}\n{\"t\":\"1969-12-31T23:59:59.999Z\",\"d\":\"9999-12-31\"}\n"
	  "{\"t\":\"2024-02-29T23:59:59.999Z\"}\n{\"t\":\"1970-01-01T00:00:00.000Z\"}\n" },
	{ NULL, "b BINARY", "{\"b\":\"\"}\n{\"b\":\"YQ==\"}\n{\"b\":\"YWI=\"}\n{\"b\":\"YWJj\"}\n{\"b\":\"/+8=\"}",
	  "{\"b\":\"\"}\n{\"b\":\"YQ==\"}\n{\"b\":\"YWI=\"}\n{\"b\":\"YWJj\"}\n{\"b\":\"/+8=\"}\n" },
	{ NULL, "s STRUCT<a: LONG, b: ARRAY<STRUCT<c: STRING, d: BOOLEAN>>>, e ARRAY<ARRAY<DOUBLE>>",
	  "{\"s\":{\"a\":1,\"b\":[{\"c\":\"x\"},null,{\"d\":false}]},\"e\":[[1.5,null],[],null]}\n{\"s\":{}}",
	  "{\"s\":{\"a\":1,\"b\":[{\"c\":\"x\"},null,{\"d\":false}]},\"e\":[[1.5,null],[],null]}\n{\"s\":{}}\n" },
	{ "lineSep=\r\n", "a LONG", "{\"a\":1}\n{\"a\":2}", "{\"a\":1}\r\n{\"a\":2}\r\n" },
	{ NULL, "a LONG", "", "" },
};

static void test_encode(void)
{
	for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
		const struct ecase *tc = &ecases[i];
		struct sp_kvs kv = SP_KVS_INIT, ekv = SP_KVS_INIT;
		struct sp_err err = SP_ERR_INIT;
		struct sp_buf out = SP_BUF_INIT;
		struct sp_dec *d;
		struct sp_enc *e;
		struct sp_type *t;
		struct sp_batch b;

		sp_json_dec.new(&d, &kv, &err);
		if (sp_type_parse_ddl(tc->ddl, &t, &err) < 0) {
			FAIL("encode %s: %s", tc->ddl, err.msg);
			continue;
		}
		sp_json_dec.set_schema(d, t, &err);
		sp_batch_init(&b, t);
		sp_json_dec.start(d, "'e.json'");
		if (sp_json_dec.decode(d, tc->in, strlen(tc->in), 1, &b, 1000, &err) < 0)
			FAIL("encode input [%s]: %s", tc->in, err.msg);
		parse_opts(&ekv, tc->opts);
		sp_json_enc.new(&e, &ekv, &err);
		sp_json_enc.start(e);
		sp_buf_puts(&out, "");
		sp_json_enc.encode(e, &b, &out, &err);
		if (strcmp(out.p, tc->want) || strlen(out.p) != out.len)
			FAIL("encode [%s]:\n  got\n%s\n  want\n%s", tc->in, out.p, tc->want);
		/* and the same again, through a second batch of the same schema */
		sp_buf_reset(&out);
		sp_json_enc.encode(e, &b, &out, &err);
		if (strcmp(out.p, tc->want))
			FAIL("encode again [%s]: %s", tc->in, out.p);
		sp_json_enc.free(e);
		sp_buf_release(&out);
		sp_batch_release(&b);
		sp_type_unref(t);
		sp_json_dec.free(d);
		sp_kvs_release(&kv);
		sp_kvs_release(&ekv);
	}
}

/* strings that are not UTF-8 are written with U+FFFD, so the output is always JSON */
static void test_encode_bad_utf8(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },
		{ "\xe2\x82", "\"\xef\xbf\xbd\"" },
		{ "\xe2\x82x", "\"\xef\xbf\xbdx\"" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98", "\"\xef\xbf\xbd\"" },
		{ "\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	};
	struct sp_buf out = SP_BUF_INIT;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sp_val v = { SP_T_STRING, 0, { 0 } };

		sp_buf_reset(&out);
		v.u.s.p = cases[i].in;
		v.u.s.len = strlen(cases[i].in);
		sp_json_write_val(&out, &v);
		if (strcmp(out.p, cases[i].want))
			FAIL("bad utf-8 %zu: got %s", i, out.p);
	}
	sp_buf_release(&out);
}

/* decode -> encode -> decode gives the same rows, and encode -> decode -> encode the same text */
static void test_round_trip(void)
{
	static const char ddl[] = "b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, bin BINARY, "
				  "st STRUCT<x: DOUBLE, y: ARRAY<STRING>>, a ARRAY<STRUCT<k: STRING, v: LONG>>";
	static const char in[] =
		"{\"b\":true,\"l\":9223372036854775807,\"d\":0.1,\"s\":\"\\u0000\\t\\\"\xe2\x82\xac\",\"t\":\"2024-05-01T10:00:00.123Z\","
		"\"dt\":\"2024-05-01\",\"bin\":\"AAEC/w==\",\"st\":{\"x\":-1e-300,\"y\":[\"a\",null]},\"a\":[{\"k\":\"q\",\"v\":-1},null]}\n"
		"{\"d\":NaN,\"s\":\"\",\"st\":{},\"a\":[]}\n{}\n"
		"{\"l\":-9223372036854775808,\"d\":-Infinity,\"t\":-62135596800}\n";
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out1 = SP_BUF_INIT, out2 = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_enc *e;
	struct sp_type *t;
	struct sp_batch b1, b2;
	char *s1, *s2;

	sp_json_dec.new(&d, &kv, &err);
	sp_json_enc.new(&e, &kv, &err);
	sp_type_parse_ddl(ddl, &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b1, t);
	sp_batch_init(&b2, t);
	sp_json_dec.start(d, "'rt'");
	sp_json_dec.decode(d, in, sizeof in - 1, 1, &b1, 100, &err);
	sp_json_enc.encode(e, &b1, &out1, &err);
	sp_json_dec.decode(d, out1.p, out1.len, 1, &b2, 100, &err);
	sp_json_enc.encode(e, &b2, &out2, &err);
	s1 = dump_batch(&b1);
	s2 = dump_batch(&b2);
	if (b1.n != 4 || strcmp(s1, s2) || strcmp(out1.p, out2.p))
		FAIL("round trip:\n%s\n%s\n%s\n%s", s1, s2, out1.p, out2.p);
	free(s1);
	free(s2);
	sp_buf_release(&out1);
	sp_buf_release(&out2);
	sp_batch_release(&b1);
	sp_batch_release(&b2);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_json_enc.free(e);
	sp_kvs_release(&kv);
}

/* ---- from_json, to_json ---- */

static void test_from_json(void)
{
	static const struct {
		const char *type, *in, *want;
		int rc;
	} cases[] = {
		{ "STRUCT<a: LONG, b: STRING>", "{\"a\":1,\"b\":\"x\"}", "{1, \"x\"}", 0 },
		{ "STRUCT<a: LONG, b: STRING>", " {\"b\":2} trailing", "{NULL, \"2\"}", 0 },
		{ "STRUCT<a: LONG, b: STRING>", "{\"a\":\"x\",\"b\":\"y\"}", "{NULL, \"y\"}", 0 },
		{ "STRUCT<a: LONG, b: STRING>", "{\"a\":1,", "NULL", -1 },
		{ "STRUCT<a: LONG, b: STRING>", "[{\"a\":1}]", "NULL", -1 },
		{ "STRUCT<a: LONG, b: STRING>", "5", "NULL", -1 },
		{ "STRUCT<a: LONG, b: STRING>", "null", "NULL", -1 },
		{ "STRUCT<a: LONG, b: STRING>", "", "NULL", -1 },
		{ "STRUCT<a: LONG, b: STRING>", "{'a':1}", "{1, NULL}", 0 },
		{ "ARRAY<LONG>", "[1,2,null]", "[1, 2, NULL]", 0 },
		{ "ARRAY<LONG>", "[1,\"x\"]", "NULL", -1 },
		{ "ARRAY<STRUCT<i: LONG>>", "[{\"i\":1},{\"i\":2}]", "[{1}, {2}]", 0 },
		{ "ARRAY<STRUCT<i: LONG>>", "{\"i\":4}", "[{4}]", 0 },
		{ "ARRAY<STRUCT<i: LONG>>", "{\"i\":", "NULL", -1 },
		{ "ARRAY<STRUCT<i: LONG>>", "[{\"i\":\"x\"}]", "[{NULL}]", 0 },
		{ "LONG", "42", "42", 0 },
		{ "LONG", "4.2", "NULL", -1 },
		{ "STRING", "{\"a\" : 1}", "\"{\\\"a\\\" : 1}\"", 0 },
		{ "STRUCT<t: TIMESTAMP, d: DOUBLE>", "{\"t\":\"2024-05-01T10:00:00Z\",\"d\":\"NaN\"}", "{ts'2024-05-01 10:00:00', NaN}", 0 },
	};
	struct sp_err err = SP_ERR_INIT;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sp_type *t;
		struct sp_col c;
		struct sp_buf o = SP_BUF_INIT;
		int rc, k;

		if (sp_type_parse_one(cases[i].type, &t, &err) < 0) {
			FAIL("from_json type %s: %s", cases[i].type, err.msg);
			continue;
		}
		sp_col_init(&c, t);
		/* twice, so the second call uses the cached parser */
		for (k = 0; k < 2; k++) {
			rc = sp_json_parse_into(&c, cases[i].in, strlen(cases[i].in));
			if (rc != cases[i].rc)
				FAIL("from_json %s [%s]: rc %d", cases[i].type, cases[i].in, rc);
		}
		sp_buf_puts(&o, "");
		dump_val(&o, &c, 1);
		if (c.n != 2 || strcmp(o.p, cases[i].want) || !col_consistent(&c, 2))
			FAIL("from_json %s [%s]: got %s want %s", cases[i].type, cases[i].in, o.p, cases[i].want);
		sp_buf_release(&o);
		sp_col_release(&c);
		sp_type_unref(t);
	}
}

static void test_to_json(void)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	struct sp_batch b;
	struct sp_val v;
	static const char *want[] = {
		"{\"a\":1,\"c\":[1.5,null]}", "[1.5,null]", "1", "\"x\\n\"", "\"1970-01-01T00:00:01.000Z\"", "\"1970-01-02\"",
		"\"AA==\"", "true", "null",
	};

	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("s STRUCT<a: LONG, b: STRING, c: ARRAY<DOUBLE>>, c ARRAY<DOUBLE>, l LONG, x STRING, "
			  "t TIMESTAMP, dt DATE, bin BINARY, bo BOOLEAN, n LONG", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	sp_json_dec.start(d, "'v'");
	static const char in[] = "{\"s\":{\"a\":1,\"c\":[1.5,null]},\"c\":[1.5,null],\"l\":1,\"x\":\"x\\n\",\"t\":1,"
				 "\"dt\":\"1\",\"bin\":\"AA==\",\"bo\":true}";

	sp_json_dec.decode(d, in, sizeof in - 1, 1, &b, 10, &err);
	for (size_t k = 0; k < t->nfields; k++) {
		sp_buf_reset(&out);
		sp_col_get(&b.cols[k], 0, &v);
		sp_json_write_val(&out, &v);
		if (!out.p || strcmp(out.p, want[k]))
			FAIL("to_json %zu: got %s want %s", k, out.p, want[k]);
	}
	sp_buf_release(&out);
	sp_batch_release(&b);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* ---- against independent implementations ---- */

/* numbers read back as strtod reads them */
static void test_number_parse(void)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf in = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	struct sp_batch b;
	uint64_t x = 12345;
	double want[2000];
	int bad = 0;

	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("d DOUBLE", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	for (int i = 0; i < 2000; i++) {
		char num[64];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0:
			snprintf(num, sizeof num, "%llu.%llue%d", (unsigned long long)(x % 100000), (unsigned long long)(x >> 20) % 1000000,
				 (int)(x >> 50) % 40 - 20);
			break;
		case 1:
			snprintf(num, sizeof num, "-%llu", (unsigned long long)x);
			break;
		case 2:
			snprintf(num, sizeof num, "0.%019llu", (unsigned long long)x % 10000000000000000000u);
			break;
		default:
			snprintf(num, sizeof num, "%.17g", (double)x / 7.0);
			break;
		}
		want[i] = strtod(num, NULL);
		sp_buf_printf(&in, "{\"d\":%s}\n", num);
	}
	sp_json_dec.start(d, "'n'");
	sp_json_dec.decode(d, in.p, in.len, 1, &b, 10000, &err);
	for (size_t i = 0; i < b.n && bad < 5; i++)
		if (memcmp(&((double *)b.cols[0].data)[i], &want[i], sizeof(double)) || sp_col_isnull(&b.cols[0], i)) {
			FAIL("number %zu: got %.17g want %.17g", i, sp_col_f64(&b.cols[0], i), want[i]);
			bad++;
		}
	if (b.n != 2000)
		FAIL("numbers: %zu rows", b.n);
	sp_buf_release(&in);
	sp_batch_release(&b);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* timestamps read through the fast path agree with sp_ts_parse() */
static void test_timestamps(void)
{
	static const char *ts[] = {
		"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.1Z", "2024-05-01 10:00:00.123456", "2024-05-01T10:00:00.123456789Z",
		"2024-05-01T10:00:00.1234567891Z", "2000-02-29T23:59:59.999999Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
		"0001-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00ZZ",
		"2024-05-01T10:00:00+00:00", "2024-05-01T9:00:00Z", "2024-05-01T10:00:60Z", "9999-12-31T23:59:59.999999Z",
	};
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf in = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_type *t;
	struct sp_batch b;
	size_t n = sizeof ts / sizeof ts[0];

	sp_json_dec.new(&d, &kv, &err);
	sp_type_parse_ddl("t TIMESTAMP", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	for (size_t i = 0; i < n; i++)
		sp_buf_printf(&in, "{\"t\":\"%s\"}\n", ts[i]);
	sp_json_dec.start(d, "'t'");
	sp_json_dec.decode(d, in.p, in.len, 1, &b, 100, &err);
	for (size_t i = 0; i < n && i < b.n; i++) {
		int64_t us = 0;
		int ok = sp_ts_parse(ts[i], strlen(ts[i]), &us) == 0;

		if (ok != !sp_col_isnull(&b.cols[0], i) || (ok && us != sp_col_i64(&b.cols[0], i)))
			FAIL("timestamp %s: got %s %lld, want %s %lld", ts[i], sp_col_isnull(&b.cols[0], i) ? "NULL" : "",
			     (long long)sp_col_i64(&b.cols[0], i), ok ? "" : "NULL", (long long)us);
	}
	sp_buf_release(&in);
	sp_batch_release(&b);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

/* runs jq with input in a file; returns its output (new string) or NULL */
static char *run_jq(const char *args, const char *input, size_t len)
{
	char path[] = "/tmp/test-json-XXXXXX", cmd[256];
	struct sp_buf out = SP_BUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0)
		return NULL;
	if (write(fd, input, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof cmd, "jq %s < %s 2>/dev/null", args, path);
	if (!(f = popen(cmd, "r"))) {
		unlink(path);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof buf, f)))
		sp_buf_add(&out, buf, n);
	if (pclose(f) != 0) {
		sp_buf_release(&out);
		unlink(path);
		return NULL;
	}
	unlink(path);
	return sp_buf_take(&out);
}

/* Tricky strings: jq reads what we write, and we read what jq writes. */
static void test_jq(void)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf src = SP_BUF_INIT, ours = SP_BUF_INIT, raw = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_enc *e;
	struct sp_type *t;
	struct sp_batch b, b2;
	char *jq_raw, *jq_json, *s1, *s2;
	static const char *strs[] = {
		"plain", "quote \" backslash \\ slash /", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf", "\x7f", "",
		"tab\there", "\xe2\x80\xa8\xe2\x80\xa9", "'single'",
	};

	if (system("jq --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test-json: jq not found, skipping the jq comparisons\n");
		return;
	}
	sp_json_dec.new(&d, &kv, &err);
	sp_json_enc.new(&e, &kv, &err);
	sp_type_parse_ddl("s STRING", &t, &err);
	sp_json_dec.set_schema(d, t, &err);
	sp_batch_init(&b, t);
	sp_batch_init(&b2, t);
	/* every control character, then the fixed strings */
	for (int c = 1; c < 32; c++) {
		char s[4] = { 'a', (char)c, 'b', 0 };

		sp_col_push_bytes(&b.cols[0], s, 3);
		sp_batch_row_done(&b);
		sp_buf_add(&raw, s, 3);
		sp_buf_addc(&raw, '\n');
	}
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		sp_col_push_bytes(&b.cols[0], strs[i], strlen(strs[i]));
		sp_batch_row_done(&b);
		sp_buf_puts(&raw, strs[i]);
		sp_buf_addc(&raw, '\n');
	}
	/* ours -> jq: jq prints the raw strings back */
	sp_json_enc.encode(e, &b, &ours, &err);
	jq_raw = run_jq("-r .s", ours.p, ours.len);
	if (!jq_raw || strcmp(jq_raw, raw.p))
		FAIL("jq reading our JSON:\n%s\nwant\n%s", jq_raw ? jq_raw : "(jq failed)", raw.p);
	/* jq -> ours: jq's own escaping (\u001f and friends) reads back the same */
	jq_json = run_jq("-c .", ours.p, ours.len);
	if (jq_json) {
		sp_json_dec.start(d, "'jq'");
		sp_json_dec.decode(d, jq_json, strlen(jq_json), 1, &b2, 1000, &err);
		s1 = dump_batch(&b);
		s2 = dump_batch(&b2);
		if (strcmp(s1, s2))
			FAIL("reading jq's JSON:\n%s\nwant\n%s", s2, s1);
		free(s1);
		free(s2);
	} else {
		FAIL("jq -c failed");
	}
	/* jq's escapes of all kinds, as jq writes them with -a (ASCII only) */
	free(jq_json);
	jq_json = run_jq("-ac .", ours.p, ours.len);
	if (jq_json) {
		sp_batch_reset(&b2);
		sp_json_dec.decode(d, jq_json, strlen(jq_json), 1, &b2, 1000, &err);
		s1 = dump_batch(&b);
		s2 = dump_batch(&b2);
		if (strcmp(s1, s2))
			FAIL("reading jq -a's JSON:\n%s\nwant\n%s", s2, s1);
		free(s1);
		free(s2);
	}
	free(jq_raw);
	free(jq_json);
	sp_buf_release(&src);
	sp_buf_release(&ours);
	sp_buf_release(&raw);
	sp_batch_release(&b);
	sp_batch_release(&b2);
	sp_type_unref(t);
	sp_json_dec.free(d);
	sp_json_enc.free(e);
	sp_kvs_release(&kv);
}

int main(int argc, char **argv)
{
	(void)argc;
	sp_setprog(argv[0]);
	test_decode();
	test_max_rows();
	test_names();
	test_corrupt_type();
	test_options();
	test_infer();
	test_infer_steps();
	test_encode();
	test_encode_bad_utf8();
	test_round_trip();
	test_from_json();
	test_to_json();
	test_number_parse();
	test_timestamps();
	test_jq();
	if (failures)
		fprintf(stderr, "test-json: %d failures\n", failures);
	return failures;
}
