/*
 * test-csv.c: the CSV and text codecs, case by case.
 *
 * Expected values follow Spark 3.5: tokens as the Univocity 2.9.1 parser
 * and writer produce them with Spark's settings (the quirky cases were
 * checked against that library), values as UnivocityParser converts them,
 * schemas as CSVInferSchema infers them. Every decoding case also runs
 * with its input fed in small pieces, which must not change the result.
 * Where DuckDB is installed (node tests/duckdb.js), RFC 4180 files are
 * also read by it and compared.
 */
#include "codec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format.h"
#include "timefmt.h"

static int failures;

#define FAIL(...)                                     \
	do {                                          \
		failures++;                           \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);         \
		fputc('\n', stderr);                  \
	} while (0)

/* ---- rendering batches as text ---- */

static void json_str(struct sp_buf *out, const char *s, size_t n)
{
	sp_buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': sp_buf_puts(out, "\\\""); break;
		case '\\': sp_buf_puts(out, "\\\\"); break;
		case '\n': sp_buf_puts(out, "\\n"); break;
		case '\r': sp_buf_puts(out, "\\r"); break;
		case '\t': sp_buf_puts(out, "\\t"); break;
		case '\b': sp_buf_puts(out, "\\b"); break;
		case '\f': sp_buf_puts(out, "\\f"); break;
		default:
			if (c < 0x20)
				sp_buf_printf(out, "\\u%04x", c);
			else
				sp_buf_addc(out, (char)c);
		}
	}
	sp_buf_addc(out, '"');
}

/* One line per row: ["a",1,null,2024-05-01 10:00:00]. */
static void render(struct sp_buf *out, const struct sp_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		sp_buf_addc(out, '[');
		for (size_t j = 0; j < b->schema->nfields; j++) {
			struct sp_val v;

			if (j)
				sp_buf_addc(out, ',');
			sp_col_get(&b->cols[j], i, &v);
			if (v.null)
				sp_buf_puts(out, "null");
			else if (v.t == SP_T_STRING || v.t == SP_T_BINARY)
				json_str(out, v.u.s.p, v.u.s.len);
			else
				sp_val_format(out, &v);
		}
		sp_buf_puts(out, "]\n");
	}
}

/* The same rows as DuckDB's JSON lines: {"a":"x","b":null}. */
static void render_json(struct sp_buf *out, const struct sp_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		sp_buf_addc(out, '{');
		for (size_t j = 0; j < b->schema->nfields; j++) {
			struct sp_val v;

			if (j)
				sp_buf_addc(out, ',');
			json_str(out, b->schema->fields[j].name, strlen(b->schema->fields[j].name));
			sp_buf_addc(out, ':');
			sp_col_get(&b->cols[j], i, &v);
			if (v.null)
				sp_buf_puts(out, "null");
			else
				json_str(out, v.u.s.p, v.u.s.len);
		}
		sp_buf_puts(out, "}\n");
	}
}

static char *str_or_empty(struct sp_buf *b)
{
	return sp_buf_take(b);
}

/* ---- decoding ---- */

struct input {
	const char *name, *data;
	size_t len;		/* 0: strlen(data) */
};

struct dres {
	char *schema;		/* DDL */
	char *rows;
	char *err;		/* NULL if none */
	uint64_t dropped;
};

static void dres_free(struct dres *r)
{
	free(r->schema);
	free(r->rows);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static struct sp_kvs opts_of(const char *const *kv)
{
	struct sp_kvs o = SP_KVS_INIT;

	for (; kv && *kv; kv++)
		sp_kvs_add(&o, "-o", *kv);
	return o;
}

/*
 * Runs a decoder the way stream-read does: schema inference over every
 * input when ddl is NULL, then each input fed `chunk` bytes at a time
 * (0: all at once), at most max_rows rows per call.
 */
static void run_decode(const struct sp_dec_class *cls, const char *const *kv, const char *ddl,
		       const struct input *in, size_t chunk, size_t max_rows, struct dres *r)
{
	struct sp_kvs o = opts_of(kv);
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d = NULL;
	struct sp_type *schema = NULL;
	struct sp_batch b = { NULL, 0, NULL };
	struct sp_buf out = SP_BUF_INIT;

	memset(r, 0, sizeof *r);
	if (cls->new(&d, &o, &err) < 0)
		goto done;
	if (ddl) {
		if (sp_type_parse_ddl(ddl, &schema, &err) < 0)
			goto done;
	} else if (cls->infer) {
		for (const struct input *p = in; p->name; p++) {
			size_t len = p->len ? p->len : strlen(p->data), used;

			cls->start(d, p->name);
			if (cls->infer(d, p->data, len, 1, SIZE_MAX, &used, &err) < 0)
				goto done;
			if (used != len) {
				sp_err_set(&err, "infer consumed %zu of %zu bytes", used, len);
				goto done;
			}
		}
		schema = cls->inferred(d);
	} else {
		schema = cls->inferred(d);
	}
	if (cls->set_schema(d, schema, &err) < 0)
		goto done;
	sp_batch_init(&b, cls->schema(d));
	for (const struct input *p = in; p->name; p++) {
		size_t len = p->len ? p->len : strlen(p->data), off = 0;
		size_t avail = chunk && chunk < len ? chunk : len;

		cls->start(d, p->name);
		for (;;) {
			int eof = avail == len;
			size_t before = b.n;
			ssize_t n = cls->decode(d, p->data + off, avail - off, eof, &b, max_rows, &err);

			if (n < 0)
				goto done;
			off += (size_t)n;
			/* at the end, stop once a call makes no progress (wholetext may emit a row for 0 bytes) */
			if (eof && !n && b.n == before)
				break;
			if (!eof)
				avail = avail + chunk < len ? avail + chunk : len;
		}
		if (off != len) {
			sp_err_set(&err, "decode left %zu of %zu bytes", len - off, len);
			goto done;
		}
	}
	render(&out, &b);
	r->rows = str_or_empty(&out);
	r->dropped = cls->dropped(d);
done:
	if (schema) {
		char *s = sp_type_ddl_new(schema);

		r->schema = s;
	}
	if (err.set)
		r->err = sp_xstrdup(err.msg);
	if (b.schema)
		sp_batch_release(&b);
	sp_type_unref(schema);
	if (d)
		cls->free(d);
	sp_buf_release(&out);
	sp_kvs_release(&o);
}

struct dcase {
	const char *name;
	const char *opts[12];
	const char *ddl;	/* NULL: inferred */
	struct input in[4];
	const char *schema;	/* expected DDL, or NULL to skip */
	const char *rows;	/* expected rows, or NULL when an error is expected */
	const char *err;	/* expected error */
	uint64_t dropped;
};

static void check_dcase(const struct sp_dec_class *cls, const struct dcase *c)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 5, 7, 16 };
	struct dres first;

	run_decode(cls, c->opts, c->ddl, c->in, 0, SIZE_MAX, &first);
	if (c->schema && (!first.schema || strcmp(first.schema, c->schema)))
		FAIL("%s: schema\n  got:  %s\n  want: %s", c->name, first.schema ? first.schema : "(none)", c->schema);
	if (c->rows && (!first.rows || strcmp(first.rows, c->rows)))
		FAIL("%s: rows\n  got:\n%s  want:\n%s  (error: %s)", c->name, first.rows ? first.rows : "(none)\n", c->rows,
		     first.err ? first.err : "none");
	if (c->err && (!first.err || strcmp(first.err, c->err)))
		FAIL("%s: error\n  got:  %s\n  want: %s", c->name, first.err ? first.err : "(none)", c->err);
	if (!c->err && first.err)
		FAIL("%s: unexpected error: %s", c->name, first.err);
	if (first.dropped != c->dropped)
		FAIL("%s: dropped %llu, want %llu", c->name, (unsigned long long)first.dropped,
		     (unsigned long long)c->dropped);
	/* the same in pieces, and one row per call */
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		for (size_t max = 1; max <= 2; max++) {
			struct dres r;

			run_decode(cls, c->opts, c->ddl, c->in, chunks[k], max == 1 ? 1 : SIZE_MAX, &r);
			if ((r.rows == NULL) != (first.rows == NULL) || (r.rows && strcmp(r.rows, first.rows)) ||
			    (r.err == NULL) != (first.err == NULL) || (r.err && strcmp(r.err, first.err)))
				FAIL("%s: differs when fed %zu bytes at a time (max_rows %s)\n  got:\n%s%s\n  want:\n%s%s",
				     c->name, chunks[k], max == 1 ? "1" : "any", r.rows ? r.rows : "", r.err ? r.err : "",
				     first.rows ? first.rows : "", first.err ? first.err : "");
			dres_free(&r);
		}
	}
	dres_free(&first);
}

#define IN1(data) { { "'t.csv'", data, 0 }, { NULL, NULL, 0 } }

static const struct dcase csv_cases[] = {
	/* ---- tokens ---- */
	{ "plain", { NULL }, "a STRING, b STRING, c STRING", IN1("a,b,c\nd,e,f\n"), NULL,
	  "[\"a\",\"b\",\"c\"]\n[\"d\",\"e\",\"f\"]\n", NULL, 0 },
	{ "empty fields are NULL, quoted empty too", { NULL }, "a STRING, b STRING, c STRING",
	  IN1("a,,\"\"\n,,\n"), NULL, "[\"a\",null,null]\n[null,null,null]\n", NULL, 0 },
	{ "nullValue makes quoted empty an empty string", { "nullValue=NULL", NULL }, "a STRING, b STRING, c STRING",
	  IN1("a,\"\",NULL\n,\"NULL\",x\n"), NULL, "[\"a\",\"\",null]\n[null,null,\"x\"]\n", NULL, 0 },
	{ "emptyValue", { "emptyValue=EMPTY", NULL }, "a STRING, b STRING", IN1("\"\",\n"), NULL,
	  "[\"EMPTY\",null]\n", NULL, 0 },
	{ "quotes, delimiters and escapes", { NULL }, "a STRING, b STRING, c STRING",
	  IN1("\"a,b\",\"x\\\"y\",'z'\n\"a\\\\b\",\"a\\b\",\"\\\\\"\n"), NULL,
	  "[\"a,b\",\"x\\\"y\",\"'z'\"]\n[\"a\\\\b\",\"a\\\\b\",\"\\\\\"]\n", NULL, 0 },
	{ "doubled quotes are not escapes by default (Spark keeps the raw text)", { NULL }, "a STRING, b STRING",
	  IN1("\"c\"\"d\",e\n\"a\"b,c\n"), NULL, "[\"\\\"c\\\"\\\"d\\\"\",\"e\"]\n[\"\\\"a\\\"b\",\"c\"]\n", NULL, 0 },
	{ "escape=\" reads RFC 4180", { "escape=\"", NULL }, "a STRING, b STRING", IN1("\"c\"\"d\",\"\"\"\"\n"),
	  NULL, "[\"c\\\"d\",\"\\\"\"]\n", NULL, 0 },
	{ "escapes only count inside quotes", { NULL }, "a STRING, b STRING", IN1("a\\,b\n"), NULL,
	  "[\"a\\\\\",\"b\"]\n", NULL, 0 },
	{ "whitespace kept by default", { NULL }, "a STRING, b STRING", IN1(" a , \"b\" \n"), NULL,
	  "[\" a \",\" \\\"b\\\" \"]\n", NULL, 0 },
	{ "ignoreLeading/TrailingWhiteSpace", { "ignoreLeadingWhiteSpace=true", "ignoreTrailingWhiteSpace=true", NULL },
	  "a STRING, b STRING, c STRING", IN1(" a , \"b\" ,  \n"), NULL, "[\"a\",\"b\",null]\n", NULL, 0 },
	{ "space after the closing quote is dropped", { NULL }, "a STRING, b STRING", IN1("\"ab\" ,c\n\"ab\" x,c\n"),
	  NULL, "[\"ab\",\"c\"]\n[\"\\\"ab\\\" x\",\"c\"]\n", NULL, 0 },
	{ "quote disabled", { "quote=", NULL }, "a STRING, b STRING, c STRING", IN1("\"a,b\",c\n"), NULL,
	  "[\"\\\"a\",\"b\\\"\",\"c\"]\n", NULL, 0 },
	{ "other quote and escape", { "quote='", "escape=#", NULL }, "a STRING, b STRING",
	  IN1("'a,#'b',\"c\"\n"), NULL, "[\"a,'b\",\"\\\"c\\\"\"]\n", NULL, 0 },
	{ "charToEscapeQuoteEscaping", { "charToEscapeQuoteEscaping=#", NULL }, "a STRING",
	  IN1("\"x#\\\"y\"\n\"#\\x\"\n\"#\\x\",z\n"), NULL,
	  "[\"\\\"x\\\\\\\"y\\\"\"]\n[\"\\\\x\"]\n[\"#\\\\x\"]\n", NULL, 0 },
	{ "sep", { "sep=;", NULL }, "a STRING, b STRING", IN1("a;b,c\n"), NULL, "[\"a\",\"b,c\"]\n", NULL, 0 },
	{ "delimiter is an alias, \\t a tab", { "delimiter=\\t", NULL }, "a STRING, b STRING", IN1("a\tb c\n"), NULL,
	  "[\"a\",\"b c\"]\n", NULL, 0 },
	{ "multi-character delimiter", { "sep=||", NULL }, "a STRING, b STRING, c STRING", IN1("a||b|c||\"d||e\"\n"),
	  NULL, "[\"a\",\"b|c\",\"d||e\"]\n", NULL, 0 },
	{ "unicode delimiter and values", { "sep=¦", NULL }, "a STRING, b STRING", IN1("日本¦é\"x\"\n"), NULL,
	  "[\"日本\",\"é\\\"x\\\"\"]\n", NULL, 0 },
	{ "trailing delimiter adds a NULL field", { NULL }, "a STRING, b STRING", IN1("a,\n\"a\",\n"), NULL,
	  "[\"a\",null]\n[\"a\",null]\n", NULL, 0 },
	{ "unterminated quote on one line is read as it is", { NULL }, "a STRING, b STRING", IN1("a,\"bc\nd,e\n"),
	  NULL, "[\"a\",\"bc\"]\n[\"d\",\"e\"]\n", NULL, 0 },
	{ "blank and whitespace lines are skipped", { NULL }, "a STRING", IN1("\n  \n\t\na\n\n b\n"), NULL,
	  "[\"a\"]\n[\" b\"]\n", NULL, 0 },
	{ "comment", { "comment=#", NULL }, "a STRING, b STRING", IN1("#x,y\na,#b\n #c,d\n"), NULL,
	  "[\"a\",\"#b\"]\n[\" #c\",\"d\"]\n", NULL, 0 },
	{ "no comment char: lines starting with NUL are skipped (as Spark)", { NULL }, "a STRING",
	  { { "'t.csv'", "a\n\0b\nc\n", 7 }, { NULL, NULL, 0 } }, NULL, "[\"a\"]\n[\"c\"]\n", NULL, 0 },
	{ "CRLF, CR and LF line ends", { NULL }, "a STRING, b STRING", IN1("a,1\r\nb,2\rc,3\nd,4\r\n"), NULL,
	  "[\"a\",\"1\"]\n[\"b\",\"2\"]\n[\"c\",\"3\"]\n[\"d\",\"4\"]\n", NULL, 0 },
	{ "last line without a newline", { NULL }, "a STRING", IN1("a\nb"), NULL, "[\"a\"]\n[\"b\"]\n", NULL, 0 },
	{ "byte order mark", { NULL }, "a STRING, b STRING", IN1("\xef\xbb\xbf" "a,b\n"), NULL, "[\"a\",\"b\"]\n", NULL,
	  0 },
	{ "lineSep", { "lineSep=;", NULL }, "a STRING, b STRING", IN1("a,b;c,d\ne;"), NULL,
	  "[\"a\",\"b\"]\n[\"c\",\"d\\ne\"]\n", NULL, 0 },
	/* ---- values ---- */
	{ "LONG", { NULL }, "a LONG", IN1("1\n+5\n-0\n9223372036854775807\n-9223372036854775808\n"), NULL,
	  "[1]\n[5]\n[0]\n[9223372036854775807]\n[-9223372036854775808]\n", NULL, 0 },
	{ "LONG that does not convert", { "mode=DROPMALFORMED", NULL }, "a LONG",
	  IN1("9223372036854775808\n1.5\n 5\nx\n5\n"), NULL, "[5]\n", NULL, 4 },
	{ "DOUBLE", { NULL }, "a DOUBLE",
	  IN1("1.5\n1e3\n 2.5 \nNaN\nInf\n-Inf\nInfinity\n-Infinity\n1.5f\n0x1p3\n.5\n1.\n123456789012345678901234\n"
	      "0.1\n4.9e-324\n"),
	  NULL,
	  "[1.5]\n[1000.0]\n[2.5]\n[NaN]\n[Infinity]\n[-Infinity]\n[Infinity]\n[-Infinity]\n[1.5]\n[8.0]\n[0.5]\n[1.0]\n"
	  "[1.2345678901234569E23]\n[0.1]\n[4.9E-324]\n",
	  NULL, 0 },
	{ "DOUBLE that does not convert", { "mode=DROPMALFORMED", NULL }, "a DOUBLE",
	  IN1("abc\n1e\ninf\n+Inf\n1.5x\n0x1.8\n2\n"), NULL, "[2.0]\n", NULL, 6 },
	{ "nanValue, positiveInf, negativeInf", { "nanValue=nan", "positiveInf=+oo", "negativeInf=-oo", NULL },
	  "a DOUBLE", IN1("nan\n+oo\n-oo\nNaN\n"), NULL, "[NaN]\n[Infinity]\n[-Infinity]\n[NaN]\n", NULL, 0 },
	{ "BOOLEAN", { NULL }, "a BOOLEAN, b BOOLEAN", IN1("TRUE,false\ntrue,False\n"), NULL,
	  "[true,false]\n[true,false]\n", NULL, 0 },
	{ "BOOLEAN that does not convert", { NULL }, "a BOOLEAN, _corrupt_record STRING", IN1("yes\n1\n"), NULL,
	  "[null,\"yes\"]\n[null,\"1\"]\n", NULL, 0 },
	{ "TIMESTAMP", { NULL }, "t TIMESTAMP",
	  IN1("2024-05-01 10:00:00\n2024-05-01T10:00:00.123Z\n2024-05-01T12:00:00+02:00\n2024-05-01\n"), NULL,
	  "[2024-05-01 10:00:00]\n[2024-05-01 10:00:00.123]\n[2024-05-01 10:00:00]\n[2024-05-01 00:00:00]\n", NULL, 0 },
	{ "DATE", { NULL }, "d DATE, _corrupt_record STRING", IN1("2024-05-01\n2024-5-1\n2024-02-30\n"), NULL,
	  "[2024-05-01,null]\n[2024-05-01,null]\n[null,\"2024-02-30\"]\n", NULL, 0 },
	{ "BINARY", { NULL }, "b BINARY", IN1("ab\n"), NULL, "[\"ab\"]\n", NULL, 0 },
	{ "nullValue applies to every type", { "nullValue=-", NULL }, "a LONG, b STRING, c DOUBLE", IN1("-,-,-\n"),
	  NULL, "[null,null,null]\n", NULL, 0 },
	/* ---- malformed records ---- */
	{ "PERMISSIVE: too few and too many fields", { NULL }, "a LONG, b LONG", IN1("1\n1,2,3\n1,2\n"), NULL,
	  "[1,null]\n[1,2]\n[1,2]\n", NULL, 0 },
	{ "PERMISSIVE with the corrupt record column", { NULL }, "a LONG, b LONG, _corrupt_record STRING",
	  IN1("1\n1,2,3\nx,2\n1,2\n"), NULL,
	  "[1,null,\"1\"]\n[1,2,\"1,2,3\"]\n[null,2,\"x,2\"]\n[1,2,null]\n", NULL, 0 },
	{ "corrupt record column in the middle, renamed", { "columnNameOfCorruptRecord=bad", NULL },
	  "a LONG, bad STRING, b LONG", IN1("1,x\n3,4\n"), NULL, "[1,\"1,x\",null]\n[3,null,4]\n", NULL, 0 },
	{ "rescued data: values that do not convert and extra fields; a short record stays malformed",
	  { "rescuedDataColumn=_rescued_data", NULL }, "a LONG, b LONG, _corrupt_record STRING",
	  IN1("1,2\nx,3,extra,\n4\n"), NULL,
	  "[1,2,null,null]\n[null,3,null,\"{\\\"a\\\":\\\"x\\\",\\\"_c2\\\":\\\"extra\\\",\\\"_c3\\\":null}\"]\n"
	  "[4,null,\"4\",null]\n", NULL, 0 },
	{ "rescued data and DROPMALFORMED: a rescued record is kept", { "rescuedDataColumn=r", "mode=DROPMALFORMED", NULL },
	  "a LONG", IN1("y\n5,6\n"), NULL, "[null,\"{\\\"a\\\":\\\"y\\\"}\"]\n[5,\"{\\\"_c1\\\":\\\"6\\\"}\"]\n", NULL, 0 },
	{ "DROPMALFORMED", { "mode=dropmalformed", NULL }, "a LONG, b LONG", IN1("1\n1,2,3\nx,2\n1,2\n"), NULL,
	  "[1,2]\n", NULL, 3 },
	{ "FAILFAST: field count", { "mode=FAILFAST", NULL }, "a LONG, b LONG", IN1("1,2\n\n1\n"), NULL, NULL,
	  "'t.csv' line 3: malformed CSV record: expected 2 fields, found 1", 0 },
	{ "FAILFAST: value", { "mode=FAILFAST", NULL }, "a LONG, b LONG", IN1("1,2\n3,abc\n"), NULL, NULL,
	  "'t.csv' line 2: malformed CSV record: column 'b': cannot parse 'abc' as LONG", 0 },
	{ "FAILFAST: long values are cut in messages", { "mode=FAILFAST", NULL }, "a LONG",
	  IN1("0123456789012345678901234567890123456789x\n"), NULL, NULL,
	  "'t.csv' line 1: malformed CSV record: column 'a': cannot parse "
	  "'0123456789012345678901234567890123456789...' as LONG", 0 },
	/* ---- header and inference ---- */
	{ "no header: _c0, _c1, all strings", { NULL }, NULL, IN1("1,2\n3,4,5\n"), "_c0 STRING, _c1 STRING",
	  "[\"1\",\"2\"]\n[\"3\",\"4\"]\n", NULL, 0 },
	{ "header names the columns", { "header=true", NULL }, NULL, IN1("\n id,name\n1,a\n"), "` id` STRING, name STRING",
	  "[\"1\",\"a\"]\n", NULL, 0 },
	{ "header: empty names and duplicates", { "header=true", NULL }, NULL, IN1("a,,A,b,\"\",b\n1,2,3,4,5,6\n"),
	  "a0 STRING, _c1 STRING, A2 STRING, b3 STRING, _c4 STRING, b5 STRING",
	  "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"]\n", NULL, 0 },
	{ "inferSchema", { "header=true", "inferSchema=true", NULL }, NULL,
	  IN1("i,l,d,b,t,dt,s,n,e\n"
	      "1,3000000000,1.5,true,2024-05-01 10:00:00,2024-05-01,x,,1\n"
	      "-2,4,2,FALSE,2024-05-01T10:00:00Z,2024-05-02,1,,NaN\n"),
	  "i LONG, l LONG, d DOUBLE, b BOOLEAN, t TIMESTAMP, dt DATE, s STRING, n STRING, e DOUBLE",
	  "[1,3000000000,1.5,true,2024-05-01 10:00:00,2024-05-01,\"x\",null,1.0]\n"
	  "[-2,4,2.0,false,2024-05-01 10:00:00,2024-05-02,\"1\",null,NaN]\n",
	  NULL, 0 },
	{ "inference: types merge as Spark's", { "inferSchema=true", NULL }, NULL,
	  IN1("1,1,2024-05-01,2024-05-01 10:00,1,1e3,true\n"
	      "x,1.5,2024-05-01 10:00,2024-05-01,true,5,\n"),
	  "_c0 STRING, _c1 DOUBLE, _c2 STRING, _c3 TIMESTAMP, _c4 STRING, _c5 DOUBLE, _c6 BOOLEAN", NULL, NULL, 0 },
	{ "inference: preferDate=false", { "inferSchema=true", "preferDate=false", NULL }, NULL, IN1("2024-05-01\n"),
	  "_c0 TIMESTAMP", "[2024-05-01 00:00:00]\n", NULL, 0 },
	{ "inference: nullValue does not vote", { "inferSchema=true", "nullValue=NA", NULL }, NULL, IN1("NA\n7\n"),
	  "_c0 LONG", "[null]\n[7]\n", NULL, 0 },
	{ "inference: rows longer than the first are cut, shorter ones are malformed",
	  { "inferSchema=true", NULL }, NULL, IN1("1,2\n3,4,x\n5\n"), "_c0 LONG, _c1 LONG", "[1,2]\n[3,4]\n[5,null]\n",
	  NULL, 0 },
	{ "header in every file", { "header=true", "inferSchema=true", NULL }, NULL,
	  { { "'a.csv'", "k,v\na,1\n", 0 }, { "'b.csv'", "x,y\nb,2\n", 0 }, { NULL, NULL, 0 } }, "k STRING, v LONG",
	  "[\"a\",1]\n[\"b\",2]\n", NULL, 0 },
	{ "header with a user schema is skipped", { "header=true", NULL }, "n LONG",
	  { { "'a.csv'", "n\n1\n", 0 }, { "'b.csv'", "\xef\xbb\xbfn\n2\n", 0 }, { NULL, NULL, 0 } }, NULL,
	  "[1]\n[2]\n", NULL, 0 },
	{ "enforceSchema=false checks the header", { "header=true", "enforceSchema=false", NULL }, "id LONG, name STRING",
	  { { "'a.csv'", "ID,Name\n1,a\n", 0 }, { "'b.csv'", "id,nom\n2,b\n", 0 }, { NULL, NULL, 0 } }, NULL, NULL,
	  "'b.csv' line 1: CSV header does not conform to the schema: expected 'name' but found 'nom' (column 2)", 0 },
	{ "enforceSchema=false: header length", { "header=true", "enforceSchema=false", NULL }, "id LONG",
	  IN1("id,x\n1,2\n"), NULL, NULL, "'t.csv' line 1: CSV header has 2 columns but the schema has 1", 0 },
	{ "empty input", { "header=true", NULL }, NULL, IN1(""), "STRUCT<>", "", NULL, 0 },
	/* ---- multiLine ---- */
	{ "multiLine: line breaks in quotes", { "multiLine=true", NULL }, "a STRING, b LONG",
	  IN1("\"line 1\nline 2\",1\n\"x\r\ny\",2\nz,3\n"), NULL,
	  "[\"line 1\\nline 2\",1]\n[\"x\\r\\ny\",2]\n[\"z\",3]\n", NULL, 0 },
	{ "multiLine: CRLF file, line breaks in quotes become \\n", { "multiLine=true", NULL }, "a STRING, b STRING",
	  IN1("a,\"b\r\nc\"\r\n\r\nd,e\r\n"), NULL, "[\"a\",\"b\\nc\"]\n[\"d\",\"e\"]\n", NULL, 0 },
	{ "multiLine: header and inference", { "multiLine=true", "header=true", "inferSchema=true", NULL }, NULL,
	  IN1("\"n\nx\",v\n\"a\nb\",1\nc,2"), "`n\nx` STRING, v LONG", "[\"a\\nb\",1]\n[\"c\",2]\n", NULL, 0 },
	{ "multiLine: corrupt record keeps the raw text", { "multiLine=true", NULL },
	  "a STRING, b LONG, _corrupt_record STRING", IN1("\"p\nq\",x\r\nok,1\n"), NULL,
	  "[\"p\\nq\",null,\"\\\"p\\nq\\\",x\"]\n[\"ok\",1,null]\n", NULL, 0 },
	{ "multiLine: FAILFAST names the first line of the record", { "multiLine=true", "mode=FAILFAST", NULL },
	  "a STRING, b LONG", IN1("\"1\n2\n3\",4\n\n\"x\ny\"\n"), NULL, NULL,
	  "'t.csv' line 5: malformed CSV record: expected 2 fields, found 1", 0 },
	{ "multiLine: unterminated quoted field", { "multiLine=true", "mode=FAILFAST", NULL }, "a STRING, b STRING",
	  IN1("a,b\nc,\"d\ne,f\n"), NULL, NULL, "'t.csv' line 2: malformed CSV record: unterminated quoted field", 0 },
	{ "multiLine: comments and blank lines", { "multiLine=true", "comment=#", NULL }, "a STRING",
	  IN1("#x\n\n\"#y\"\n#z"), NULL, "[\"#y\"]\n", NULL, 0 },
	{ "multiLine: CR line ends", { "multiLine=true", NULL }, "a STRING, b STRING", IN1("a,\"b\rc\"\rd,e\r"), NULL,
	  "[\"a\",\"b\\nc\"]\n[\"d\",\"e\"]\n", NULL, 0 },
};

/* ---- encoding ---- */

/* A batch from a DDL schema and values as text (NULL pointers are NULLs), row by row. */
static void mk_batch(struct sp_batch *b, const char *ddl, const char *const *vals, size_t nrows)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *st;

	if (sp_type_parse_ddl(ddl, &st, &err) < 0) {
		fprintf(stderr, "bad test schema: %s\n", err.msg);
		exit(2);
	}
	sp_batch_init(b, st);
	sp_type_unref(st);
	for (size_t i = 0; i < nrows; i++) {
		for (size_t j = 0; j < st->nfields; j++) {
			const char *v = vals[i * st->nfields + j];
			struct sp_col *c = &b->cols[j];
			int64_t x;

			if (!v) {
				sp_col_push_null(c);
				continue;
			}
			switch (c->type->id) {
			case SP_T_LONG:
				sp_col_push_i64(c, strtoll(v, NULL, 10));
				break;
			case SP_T_DOUBLE:
				sp_col_push_f64(c, strtod(v, NULL));
				break;
			case SP_T_BOOLEAN:
				sp_col_push_bool(c, !strcmp(v, "true"));
				break;
			case SP_T_TIMESTAMP:
				sp_ts_parse(v, strlen(v), &x);
				sp_col_push_i64(c, x);
				break;
			case SP_T_DATE:
				sp_date_parse(v, strlen(v), &x);
				sp_col_push_i64(c, x);
				break;
			default:
				sp_col_push_bytes(c, v, strlen(v));
				break;
			}
		}
		sp_batch_row_done(b);
	}
}

struct ecase {
	const char *name;
	const char *opts[8];
	const char *ddl;
	const char *vals[24];
	size_t nrows;
	const char *want;
};

static const struct ecase enc_cases[] = {
	{ "types", { NULL }, "s STRING, l LONG, d DOUBLE, b BOOLEAN, t TIMESTAMP, dt DATE",
	  { "a", "-5", "1e7", "true", "2024-05-01 10:00:00.5", "2024-05-01", "b", "0", "0.1", "false",
	    "1969-12-31 23:59:59", "1900-01-01" },
	  2, "a,-5,1.0E7,true,2024-05-01T10:00:00.500Z,2024-05-01\nb,0,0.1,false,1969-12-31T23:59:59.000Z,1900-01-01\n" },
	{ "NULL is nothing, an empty string \"\"", { NULL }, "a STRING, b STRING, c LONG", { NULL, "", NULL }, 1,
	  ",\"\",\n" },
	{ "a row of one NULL is not written (Univocity skips empty lines)", { NULL }, "a STRING",
	  { "x", NULL, "", "y" }, 4, "x\n\"\"\ny\n" },
	{ "quoting", { NULL }, "a STRING",
	  { "a,b", "x\"y", "line\nbreak", "cr\rx", "\"q", "a\\b", "\\\"", "'s'", "#c" }, 9,
	  "\"a,b\"\n\"x\\\"y\"\n\"line\nbreak\"\n\"cr\rx\"\n\"\\\"q\"\na\\b\n\"\\\\\\\"\"\n's'\n\"#c\"\n" },
	{ "whitespace is trimmed by default", { NULL }, "a STRING, b STRING", { "  a b  ", " \t " }, 1, "a b,\"\"\n" },
	{ "ignoreLeading/TrailingWhiteSpace=false", { "ignoreLeadingWhiteSpace=false", "ignoreTrailingWhiteSpace=false",
	  NULL }, "a STRING", { "  a b  " }, 1, "  a b  \n" },
	{ "quoteAll", { "quoteAll=true", NULL }, "a STRING, b LONG, c STRING, d STRING", { "x", "1", NULL, "" }, 1,
	  "\"x\",\"1\",\"\",\"\"\n" },
	{ "escapeQuotes=false", { "escapeQuotes=false", NULL }, "a STRING, b STRING", { "x\"y", "a,\"b" }, 1,
	  "x\"y,\"a,\\\"b\"\n" },
	{ "nullValue, emptyValue", { "nullValue=NULL", "emptyValue=EMPTY", NULL }, "a STRING, b STRING", { NULL, "" },
	  1, "NULL,EMPTY\n" },
	{ "sep, quote, escape", { "sep=;", "quote='", "escape='", NULL }, "a STRING, b STRING", { "a;b", "it's" }, 1,
	  "'a;b';'it''s'\n" },
	{ "escape=\" writes RFC 4180", { "escape=\"", NULL }, "a STRING", { "say \"hi\"" }, 1, "\"say \"\"hi\"\"\"\n" },
	{ "header", { "header=true", NULL }, "`a,b` STRING, c LONG", { "x", "1", "y", "2" }, 2,
	  "\"a,b\",c\nx,1\ny,2\n" },
	{ "lineSep", { "lineSep=\r\n", NULL }, "a STRING", { "x", "y" }, 2, "x\r\ny\r\n" },
	{ "doubles as Java prints them", { NULL }, "d DOUBLE",
	  { "100", "1e-5", "123456789.125", "0.001", "-0", "inf" }, 6,
	  "100.0\n1.0E-5\n1.23456789125E8\n0.001\n-0.0\nInfinity\n" },
	{ "unicode", { NULL }, "a STRING", { "日本語,x", "é" }, 2, "\"日本語,x\"\né\n" },
};

static void check_ecase(const struct ecase *c)
{
	struct sp_kvs o = opts_of(c->opts);
	struct sp_err err = SP_ERR_INIT;
	struct sp_enc *e = NULL;
	struct sp_batch b;
	struct sp_buf out = SP_BUF_INIT;

	mk_batch(&b, c->ddl, c->vals, c->nrows);
	if (sp_csv_enc.new(&e, &o, &err) < 0) {
		FAIL("%s: new: %s", c->name, err.msg);
		goto done;
	}
	sp_csv_enc.start(e);
	if (sp_csv_enc.encode(e, &b, &out, &err) < 0)
		FAIL("%s: encode: %s", c->name, err.msg);
	else if (strcmp(out.p ? out.p : "", c->want))
		FAIL("%s:\n  got:  [%s]\n  want: [%s]", c->name, out.p ? out.p : "", c->want);
done:
	if (e)
		sp_csv_enc.free(e);
	sp_batch_release(&b);
	sp_buf_release(&out);
	sp_kvs_release(&o);
}

/* The header comes again after start(), and once per file even without rows. */
static void test_enc_header(void)
{
	static const char *const kv[] = { "header=true", NULL };
	static const char *const vals[] = { "1" };
	struct sp_kvs o = opts_of(kv);
	struct sp_err err = SP_ERR_INIT;
	struct sp_enc *e;
	struct sp_batch b, empty;
	struct sp_buf out = SP_BUF_INIT;

	mk_batch(&b, "n LONG", vals, 1);
	mk_batch(&empty, "n LONG", vals, 0);
	sp_csv_enc.new(&e, &o, &err);
	sp_csv_enc.start(e);
	sp_csv_enc.encode(e, &empty, &out, &err);
	sp_csv_enc.encode(e, &b, &out, &err);
	sp_csv_enc.encode(e, &b, &out, &err);
	sp_csv_enc.start(e);
	sp_csv_enc.encode(e, &b, &out, &err);
	if (strcmp(out.p, "n\n1\n1\nn\n1\n"))
		FAIL("header per file: got [%s]", out.p);
	sp_csv_enc.free(e);
	sp_batch_release(&b);
	sp_batch_release(&empty);
	sp_buf_release(&out);
	sp_kvs_release(&o);
}

/* Nested types are refused, naming the column and type. */
static void test_nested(void)
{
	struct sp_kvs o = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_enc *e;
	struct sp_dec *d;
	struct sp_type *st;
	struct sp_batch b;
	struct sp_buf out = SP_BUF_INIT;

	sp_type_parse_ddl("id LONG, tags ARRAY<STRING>", &st, &err);
	sp_batch_init(&b, st);
	sp_csv_enc.new(&e, &o, &err);
	sp_csv_enc.start(e);
	if (sp_csv_enc.encode(e, &b, &out, &err) == 0 ||
	    strcmp(err.msg, "CSV data source does not support array<string> data type (column 'tags')") ||
	    err.status == SP_EXIT_USAGE)
		FAIL("nested encode: [%s]", err.msg);
	sp_csv_enc.free(e);
	sp_batch_release(&b);
	sp_type_unref(st);

	err = (struct sp_err)SP_ERR_INIT;
	sp_type_parse_ddl("s STRUCT<x: LONG, y: STRING>", &st, &err);
	sp_csv_dec.new(&d, &o, &err);
	if (sp_csv_dec.set_schema(d, st, &err) == 0 ||
	    strcmp(err.msg, "CSV data source does not support struct<x:bigint,y:string> data type (column 's')"))
		FAIL("nested decode: [%s]", err.msg);
	sp_csv_dec.free(d);
	sp_type_unref(st);

	err = (struct sp_err)SP_ERR_INIT;
	sp_type_parse_ddl("a LONG, _corrupt_record LONG", &st, &err);
	sp_csv_dec.new(&d, &o, &err);
	if (sp_csv_dec.set_schema(d, st, &err) == 0 ||
	    strcmp(err.msg, "the corrupt record column '_corrupt_record' must be of type STRING"))
		FAIL("corrupt column type: [%s]", err.msg);
	sp_csv_dec.free(d);
	sp_type_unref(st);
	sp_buf_release(&out);
	sp_kvs_release(&o);
}

/* Writing then reading gives the same rows (with options that keep empty strings and spaces). */
static void test_round_trip(void)
{
	static const char *const wopts[] = { "nullValue=\\N", "ignoreLeadingWhiteSpace=false",
					     "ignoreTrailingWhiteSpace=false", "header=true", NULL };
	static const char *const ropts[][6] = {
		{ "nullValue=\\N", "header=true", NULL },
		{ "nullValue=\\N", "header=true", "multiLine=true", NULL },
	};
	static const char *const vals[] = {
		"plain", "1", "2.5", "true", "2024-05-01 10:00:00.123", "2024-05-01",
		"", "-9223372036854775808", "-0.0", "false", "1970-01-01 00:00:00", "1970-01-01",
		" spaces ", NULL, NULL, NULL, NULL, NULL,
		"a,b \"q\" \\ \\\"", "0", "1e300", "true", "1900-01-01 00:00:00.001", "0001-01-01",
		"日本語 é 🎉", "7", "NaN", "false", "2024-02-29 23:59:59", "2024-02-29",
		"#hash", "8", "Infinity", "true", "2024-05-01 10:00:00", "2024-05-01",
		"multi\nline\r\nvalue", "9", "-1.5E-300", "true", "2024-05-01 10:00:00", "2024-05-01",
	};
	const char *ddl = "s STRING, l LONG, d DOUBLE, b BOOLEAN, t TIMESTAMP, dt DATE";
	struct sp_kvs o = opts_of(wopts);
	struct sp_err err = SP_ERR_INIT;
	struct sp_enc *e;
	struct sp_batch b;
	struct sp_buf text = SP_BUF_INIT, want = SP_BUF_INIT;
	size_t nrows = sizeof vals / sizeof vals[0] / 6;

	mk_batch(&b, ddl, vals, nrows);
	render(&want, &b);
	sp_csv_enc.new(&e, &o, &err);
	sp_csv_enc.start(e);
	sp_csv_enc.encode(e, &b, &text, &err);
	for (size_t k = 0; k < 2; k++) {
		struct input in[] = { { "'rt.csv'", text.p, text.len }, { NULL, NULL, 0 } };
		struct dres r;
		/* the last row has line breaks: only multiLine reads it back */
		size_t rows = k ? nrows : nrows - 1;
		char *w = sp_xstrdup(want.p), *cut = w;

		for (size_t i = 0; i < rows; i++)
			cut = strchr(cut, '\n') + 1;
		*cut = '\0';
		run_decode(&sp_csv_dec, ropts[k], ddl, in, 0, SIZE_MAX, &r);
		if (!r.rows || (k ? strcmp(r.rows, w) : strncmp(r.rows, w, strlen(w))))
			FAIL("round trip (%s):\n  text:\n%s\n  got:\n%s  want:\n%s  (error %s)", k ? "multiLine" : "lines",
			     text.p, r.rows ? r.rows : "", w, r.err ? r.err : "none");
		free(w);
		dres_free(&r);
	}
	/* inference finds the types again */
	{
		static const char *const iopts[] = { "nullValue=\\N", "header=true", "inferSchema=true", "multiLine=true",
						     NULL };
		struct input in[] = { { "'rt.csv'", text.p, text.len }, { NULL, NULL, 0 } };
		struct dres r;

		run_decode(&sp_csv_dec, iopts, NULL, in, 0, SIZE_MAX, &r);
		if (!r.schema || strcmp(r.schema, ddl))
			FAIL("round trip inference: %s", r.schema ? r.schema : r.err);
		dres_free(&r);
	}
	sp_csv_enc.free(e);
	sp_batch_release(&b);
	sp_buf_release(&text);
	sp_buf_release(&want);
	sp_kvs_release(&o);
}

/* ---- the text codec ---- */

static const struct dcase text_cases[] = {
	{ "lines", { NULL }, NULL, IN1("a\r\nb\rc\n\nd"), "value STRING",
	  "[\"a\"]\n[\"b\"]\n[\"c\"]\n[\"\"]\n[\"d\"]\n", NULL, 0 },
	{ "trailing newline adds no row, BOM skipped", { NULL }, NULL, IN1("\xef\xbb\xbf" "x y,z\n\n"), "value STRING",
	  "[\"x y,z\"]\n[\"\"]\n", NULL, 0 },
	{ "lineSep", { "lineSep=||", NULL }, NULL, IN1("a\nb||c||"), "value STRING", "[\"a\\nb\"]\n[\"c\"]\n", NULL,
	  0 },
	{ "wholetext", { "wholetext=true", NULL }, NULL,
	  { { "'a.txt'", "a\r\nb\n", 0 }, { "'b.txt'", "\xef\xbb\xbf" "c", 0 }, { NULL, NULL, 0 } }, "value STRING",
	  "[\"a\\r\\nb\\n\"]\n[\"\xef\xbb\xbf" "c\"]\n", NULL, 0 },
	{ "a user schema of one string column", { NULL }, "line STRING", IN1("a\n"), "line STRING", "[\"a\"]\n", NULL,
	  0 },
	{ "a user schema of several columns", { NULL }, "a STRING, b STRING", IN1("a\n"), NULL, NULL,
	  "Text data source supports only a single column, and you have 2 columns", 0 },
	{ "a user schema of another type", { NULL }, "n LONG", IN1("a\n"), NULL, NULL,
	  "Text data source does not support bigint data type (column 'n')", 0 },
};

static void test_text_enc(void)
{
	static const char *const vals[] = { "a", NULL, "", "b\nc" };
	static const char *const vals3[] = { "a", "b", "c" };
	struct sp_kvs o = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_enc *e;
	struct sp_batch b;
	struct sp_buf out = SP_BUF_INIT;

	mk_batch(&b, "value STRING", vals, 4);
	sp_text_enc.new(&e, &o, &err);
	sp_text_enc.start(e);
	if (sp_text_enc.encode(e, &b, &out, &err) < 0 || strcmp(out.p, "a\n\n\nb\nc\n"))
		FAIL("text encode: [%s] %s", out.p ? out.p : "", err.msg);
	sp_batch_release(&b);
	mk_batch(&b, "a STRING, b STRING, c STRING", vals3, 1);
	if (sp_text_enc.encode(e, &b, &out, &err) == 0 ||
	    strcmp(err.msg, "Text data source supports only a single column, and you have 3 columns"))
		FAIL("text encode of 3 columns: [%s]", err.msg);
	sp_text_enc.free(e);
	sp_batch_release(&b);
	sp_buf_release(&out);
}

/* ---- options that are refused (exit 2 with one message) ---- */

static void expect_usage(const struct sp_dec_class *dcls, const struct sp_enc_class *ecls, const char *kv,
			 const char *want)
{
	int fds[2], status;
	char buf[512];
	ssize_t n = 0;
	pid_t pid;

	fflush(stderr);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		FAIL("fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		const char *const kvs[] = { kv, NULL };
		struct sp_kvs o = opts_of(kvs);
		struct sp_err err = SP_ERR_INIT;
		struct sp_dec *d;
		struct sp_enc *e;

		dup2(fds[1], 2);
		close(fds[0]);
		if (dcls)
			dcls->new(&d, &o, &err);
		else
			ecls->new(&e, &o, &err);
		_exit(0);
	}
	close(fds[1]);
	for (size_t len = 0;; len += (size_t)n) {
		n = read(fds[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0) {
			buf[len] = '\0';
			break;
		}
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || !strstr(buf, want))
		FAIL("option %s: status %d, message [%s], want [%s]", kv, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		     buf, want);
}

static void test_bad_options(void)
{
	sp_setprog("test-csv");
	expect_usage(&sp_csv_dec, NULL, "sep=", "test-csv: option -o sep=: the delimiter cannot be empty");
	expect_usage(&sp_csv_dec, NULL, "sep=\\", "test-csv: option -o sep=\\: a single backslash is not a delimiter");
	expect_usage(&sp_csv_dec, NULL, "quote=ab", "test-csv: option -o quote=ab: expected a single character");
	expect_usage(&sp_csv_dec, NULL, "encoding=latin1", "test-csv: option -o encoding=latin1: only UTF-8");
	expect_usage(&sp_csv_dec, NULL, "header=yes", "test-csv: option -o header=yes: expected true or false");
	expect_usage(&sp_csv_dec, NULL, "samplingRatio=2", "test-csv: option -o samplingRatio=2: expected a number");
	expect_usage(&sp_csv_dec, NULL, "timestampFormat=dd/MM/yyyy",
		     "test-csv: option -o timestampFormat=dd/MM/yyyy: only Spark's default format is supported");
	expect_usage(NULL, &sp_csv_enc, "quoteAll=maybe", "test-csv: option -o quoteAll=maybe: expected true or false");
	expect_usage(NULL, &sp_csv_enc, "lineSep=", "test-csv: option -o lineSep=: the line separator cannot be empty");
	expect_usage(NULL, &sp_text_enc, "lineSep=", "test-csv: option -o lineSep=: the line separator cannot be empty");
}

/* ---- DuckDB as an independent reader of RFC 4180 files ---- */

static int duckdb(const char *sql, struct sp_buf *out)
{
	char cmd[4096], buf[4096];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof cmd, "node \"%s/tests/duckdb.js\" \"%s\" 2>/dev/null",
		 getenv("SP_TOP") ? getenv("SP_TOP") : ".", sql);
	if (!(p = popen(cmd, "r")))
		return -1;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		sp_buf_add(out, buf, n);
	return pclose(p) == 0 ? 0 : -1;
}

static void test_duckdb(void)
{
	static const char *const files[] = {
		"a,b\n\"x \"\"y\"\" z\",\"1,2\"\n\"multi\nline\",\"\"\n,z\n",
		"id,text\n1,\"She said \"\"hi\"\", then left\"\n2,\"tab\there\"\n3,\"日本語, é\"\n4,\"\"\"\"\"\"\n",
		"k,v\n\"a\r\nb\",\"c\"\"\"\nplain,\" lead and trail \"\n",
	};
	static const char *const kv[] = { "header=true", "escape=\"", "multiLine=true", "nullValue=\\N", NULL };
	char path[] = "/tmp/test-csv-XXXXXX";
	struct sp_buf probe = SP_BUF_INIT;
	int fd;

	if (duckdb("SELECT 1 AS x", &probe) < 0) {
		fprintf(stderr, "test-csv: DuckDB not available, skipping the comparison\n");
		sp_buf_release(&probe);
		return;
	}
	sp_buf_release(&probe);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct input in[] = { { "'f.csv'", files[i], 0 }, { NULL, NULL, 0 } };
		struct sp_buf want = SP_BUF_INIT, got = SP_BUF_INIT;
		char sql[512];
		struct sp_kvs o = opts_of(kv);
		struct sp_err err = SP_ERR_INIT;
		struct sp_dec *d;
		struct sp_type *st;
		struct sp_batch b;
		size_t used;

		if ((fd = mkstemp(path)) < 0 || write(fd, files[i], strlen(files[i])) < 0 || close(fd) < 0) {
			FAIL("temp file: %s", strerror(errno));
			return;
		}
		snprintf(sql, sizeof sql,
			 "SELECT * FROM read_csv('%s', header=true, all_varchar=true, allow_quoted_nulls=false, "
			 "quote='\\\"', escape='\\\"', delim=',')", path);
		if (duckdb(sql, &want) < 0)
			FAIL("duckdb failed on file %zu", i);
		sp_csv_dec.new(&d, &o, &err);
		sp_csv_dec.start(d, in[0].name);
		sp_csv_dec.infer(d, files[i], strlen(files[i]), 1, SIZE_MAX, &used, &err);
		st = sp_csv_dec.inferred(d);
		sp_csv_dec.set_schema(d, st, &err);
		sp_batch_init(&b, st);
		sp_csv_dec.start(d, in[0].name);
		sp_csv_dec.decode(d, files[i], strlen(files[i]), 1, &b, SIZE_MAX, &err);
		render_json(&got, &b);
		if (err.set || strcmp(got.p ? got.p : "", want.p ? want.p : ""))
			FAIL("DuckDB file %zu:\n  ours:\n%s  DuckDB:\n%s  %s", i, got.p ? got.p : "", want.p ? want.p : "",
			     err.msg);
		unlink(path);
		strcpy(path, "/tmp/test-csv-XXXXXX");
		sp_batch_release(&b);
		sp_type_unref(st);
		sp_csv_dec.free(d);
		sp_buf_release(&want);
		sp_buf_release(&got);
		sp_kvs_release(&o);
	}
}

int main(void)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof csv_cases / sizeof csv_cases[0]; i++, n++)
		check_dcase(&sp_csv_dec, &csv_cases[i]);
	for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++, n++)
		check_dcase(&sp_text_dec, &text_cases[i]);
	for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++, n++)
		check_ecase(&enc_cases[i]);
	test_enc_header();
	test_nested();
	test_round_trip();
	test_text_enc();
	test_bad_options();
	test_duckdb();
	n += 6;
	printf("test-csv: %zu cases, %d failures\n", n, failures);
	return failures;
}
