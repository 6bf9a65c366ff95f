/*
 * test-expr: the expression language, table by table: values of
 * expressions over one row (each operator and function, NULL cases, the
 * casts), Spark's column names, and the error messages with their carets.
 * Expected values are written "TYPE value", the value as CAST(v AS
 * STRING) prints it, or "TYPE NULL".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "select.h"
#include "format.h"
#include "timefmt.h"
#include "value.h"

static int failures;

#define FAIL(...) \
	do { \
		fprintf(stderr, "test-expr:%d: ", __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		failures++; \
	} while (0)

static const char schema_ddl[] =
	"s STRING, n LONG, d DOUBLE, b BOOLEAN, ts TIMESTAMP, dt DATE, arr ARRAY<LONG>, "
	"st STRUCT<x: LONG, y: STRING>, nul LONG, ns STRING, tags ARRAY<STRING>, j STRING, neg LONG, "
	"num STRING, tss STRING, `Mixed Case` LONG, nb BOOLEAN, zero LONG, utf STRING";

static struct sp_batch batch;

static void build_row(void)
{
	struct sp_type *t;
	struct sp_err err = SP_ERR_INIT;
	struct sp_col *c;
	int64_t us;

	if (sp_type_parse_ddl(schema_ddl, &t, &err) < 0) {
		fprintf(stderr, "test-expr: %s\n", err.msg);
		exit(1);
	}
	sp_batch_init(&batch, t);
	sp_type_unref(t);
	c = batch.cols;
	sp_col_push_bytes(&c[0], "Hello World", 11);
	sp_col_push_i64(&c[1], 7);
	sp_col_push_f64(&c[2], 2.5);
	sp_col_push_bool(&c[3], 1);
	sp_ts_parse("2024-05-01 10:30:45.123456", 26, &us);
	sp_col_push_i64(&c[4], us);
	sp_col_push_i64(&c[5], sp_days_from_civil(2024, 5, 1));
	for (int i = 1; i <= 3; i++)
		sp_col_push_i64(&c[6].child[0], i);
	sp_col_push_array(&c[6]);
	sp_col_push_i64(&c[7].child[0], 5);
	sp_col_push_bytes(&c[7].child[1], "why", 3);
	sp_col_push_struct(&c[7]);
	sp_col_push_null(&c[8]);
	sp_col_push_null(&c[9]);
	sp_col_push_bytes(&c[10].child[0], "a", 1);
	sp_col_push_bytes(&c[10].child[0], "b", 1);
	sp_col_push_null(&c[10].child[0]);
	sp_col_push_array(&c[10]);
	sp_col_push_bytes(&c[11], "{\"a\": 1, \"b\": \"x\"}", 18);
	sp_col_push_i64(&c[12], -7);
	sp_col_push_bytes(&c[13], " 42 ", 4);
	sp_col_push_bytes(&c[14], "2024-05-01 10:00:00", 19);
	sp_col_push_i64(&c[15], 99);
	sp_col_push_null(&c[16]);
	sp_col_push_i64(&c[17], 0);
	sp_col_push_bytes(&c[18], "h\xc3\xa9llo", 6);
	sp_batch_row_done(&batch);
}

/* "TYPE value" of an expression over the row, or the error message. */
static char *run(const char *text)
{
	struct sp_expr_env env = { batch.schema, NULL, 0, 0 };
	struct sp_err err = SP_ERR_INIT;
	struct sp_arena arena = SP_ARENA_INIT;
	struct sp_expr *e;
	struct sp_val v;
	struct sp_buf b = SP_BUF_INIT;
	char *tn;

	if (sp_expr_compile_text(&e, text, &env, &err) < 0)
		return sp_xasprintf("error: %s", err.msg);
	sp_expr_eval(e, &batch, 0, &v, &arena);
	tn = sp_type_ddl_new(sp_expr_type(e));
	if (sp_expr_type(e)->id == SP_T_STRUCT)
		sp_buf_printf(&b, "STRUCT<%s> ", tn);
	else
		sp_buf_printf(&b, "%s ", tn);
	free(tn);
	if (v.null)
		sp_buf_puts(&b, "NULL");
	else
		sp_val_format(&b, &v);
	sp_expr_free(e);
	sp_arena_release(&arena);
	return sp_buf_take(&b);
}

static const struct {
	const char *expr, *want;
} values[] = {
	/* literals */
	{ "1", "LONG 1" },
	{ "-5", "LONG -5" },
	{ "10L", "LONG 10" },
	{ "1.5", "DOUBLE 1.5" },
	{ ".5", "DOUBLE 0.5" },
	{ "1e3", "DOUBLE 1000.0" },
	{ "2.5E-1", "DOUBLE 0.25" },
	{ "1.5D", "DOUBLE 1.5" },
	{ "99999999999999999999", "DOUBLE 1.0E20" },
	{ "'it''s'", "STRING it's" },
	{ "\"dq\"", "STRING dq" },
	{ "'a\\tb'", "STRING a\tb" },
	{ "'a\\'b'", "STRING a'b" },
	{ "TRUE", "BOOLEAN true" },
	{ "false", "BOOLEAN false" },
	{ "NULL", "VOID NULL" },
	{ "TIMESTAMP '2024-01-01 10:00:00'", "TIMESTAMP 2024-01-01 10:00:00" },
	{ "DATE '2024-01-01'", "DATE 2024-01-01" },
	/* columns */
	{ "s", "STRING Hello World" },
	{ "S", "STRING Hello World" },
	{ "`s`", "STRING Hello World" },
	{ "`Mixed Case`", "LONG 99" },
	{ "st.x", "LONG 5" },
	{ "st.Y", "STRING why" },
	{ "arr[0]", "LONG 1" },
	{ "arr[2]", "LONG 3" },
	{ "arr[3]", "LONG NULL" },
	{ "arr[-1]", "LONG NULL" },
	{ "tags[2]", "STRING NULL" },
	/* arithmetic */
	{ "n + 1", "LONG 8" },
	{ "n - 10", "LONG -3" },
	{ "n * d", "DOUBLE 17.5" },
	{ "n / 2", "DOUBLE 3.5" },
	{ "n / 0", "DOUBLE NULL" },
	{ "d / 0", "DOUBLE NULL" },
	{ "n % 4", "LONG 3" },
	{ "neg % 4", "LONG -3" },
	{ "n % 0", "LONG NULL" },
	{ "n div 2", "LONG 3" },
	{ "neg div 2", "LONG -3" },
	{ "n div 0", "LONG NULL" },
	{ "7.5 % 2", "DOUBLE 1.5" },
	{ "9223372036854775807 + 1", "LONG -9223372036854775808" },
	{ "-n", "LONG -7" },
	{ "-(d)", "DOUBLE -2.5" },
	{ "+n", "LONG 7" },
	{ "1 + 2 * 3", "LONG 7" },
	{ "(1 + 2) * 3", "LONG 9" },
	{ "10 - 2 - 3", "LONG 5" },
	{ "num + 1", "DOUBLE 43.0" },
	{ "'3' * '4'", "DOUBLE 12.0" },
	{ "nul + 1", "LONG NULL" },
	{ "s || '!'", "STRING Hello World!" },
	{ "'a' || 1 || true", "STRING a1true" },
	{ "s || ns", "STRING NULL" },
	{ "1 + 2 || 'x'", "STRING 3x" },
	/* comparisons */
	{ "n = 7", "BOOLEAN true" },
	{ "n == 7", "BOOLEAN true" },
	{ "n <> 7", "BOOLEAN false" },
	{ "n != 8", "BOOLEAN true" },
	{ "n < 7.5", "BOOLEAN true" },
	{ "n >= 7", "BOOLEAN true" },
	{ "d > 2", "BOOLEAN true" },
	{ "s < 'Help'", "BOOLEAN true" },
	{ "num = 42", "BOOLEAN true" },
	{ "'1.9' = 1", "BOOLEAN true" },
	{ "'abc' = 1", "BOOLEAN NULL" },
	{ "n = nul", "BOOLEAN NULL" },
	{ "nul <=> nul", "BOOLEAN true" },
	{ "n <=> nul", "BOOLEAN false" },
	{ "n <=> 7", "BOOLEAN true" },
	{ "ts > '2024-05-01'", "BOOLEAN true" },
	{ "ts < TIMESTAMP '2024-05-01 11:00:00'", "BOOLEAN true" },
	{ "dt = '2024-05-01'", "BOOLEAN true" },
	{ "ts > dt", "BOOLEAN true" },
	{ "b = 'true'", "BOOLEAN true" },
	{ "CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", "BOOLEAN true" },
	{ "CAST('NaN' AS DOUBLE) > 1e308", "BOOLEAN true" },
	/* logic, three-valued */
	{ "TRUE AND NULL", "BOOLEAN NULL" },
	{ "FALSE AND NULL", "BOOLEAN false" },
	{ "NULL AND FALSE", "BOOLEAN false" },
	{ "TRUE OR NULL", "BOOLEAN true" },
	{ "NULL OR TRUE", "BOOLEAN true" },
	{ "FALSE OR NULL", "BOOLEAN NULL" },
	{ "NOT NULL", "BOOLEAN NULL" },
	{ "NOT b", "BOOLEAN false" },
	{ "!b", "BOOLEAN false" },
	{ "NOT n > 10", "BOOLEAN true" },
	{ "b AND nb", "BOOLEAN NULL" },
	{ "TRUE OR FALSE AND FALSE", "BOOLEAN true" },
	{ "n IS NULL", "BOOLEAN false" },
	{ "nul IS NULL", "BOOLEAN true" },
	{ "nul IS NOT NULL", "BOOLEAN false" },
	{ "b IS TRUE", "BOOLEAN true" },
	{ "nb IS TRUE", "BOOLEAN false" },
	{ "nb IS NOT TRUE", "BOOLEAN true" },
	{ "nb IS FALSE", "BOOLEAN false" },
	{ "b IS NOT FALSE", "BOOLEAN true" },
	{ "n IN (1, 7, 9)", "BOOLEAN true" },
	{ "n IN (1, 2)", "BOOLEAN false" },
	{ "n IN (1, NULL)", "BOOLEAN NULL" },
	{ "n IN (7, NULL)", "BOOLEAN true" },
	{ "n NOT IN (1, 2)", "BOOLEAN true" },
	{ "n NOT IN (1, NULL)", "BOOLEAN NULL" },
	{ "nul IN (1, 2)", "BOOLEAN NULL" },
	{ "s IN ('a', 'Hello World')", "BOOLEAN true" },
	{ "n BETWEEN 1 AND 7", "BOOLEAN true" },
	{ "n BETWEEN 8 AND 9", "BOOLEAN false" },
	{ "n NOT BETWEEN 8 AND 9", "BOOLEAN true" },
	{ "n BETWEEN nul AND 5", "BOOLEAN false" },
	{ "n BETWEEN nul AND 9", "BOOLEAN NULL" },
	{ "d BETWEEN 2 AND 3 AND b", "BOOLEAN true" },
	{ "s LIKE 'Hello%'", "BOOLEAN true" },
	{ "s LIKE 'H_llo W%d'", "BOOLEAN true" },
	{ "s LIKE 'hello%'", "BOOLEAN false" },
	{ "s NOT LIKE '%x%'", "BOOLEAN true" },
	{ "'100%' LIKE '100\\%'", "BOOLEAN true" },
	{ "'100x' LIKE '100\\%'", "BOOLEAN false" },
	{ "'a_b' LIKE 'a!_b' ESCAPE '!'", "BOOLEAN true" },
	{ "'axb' LIKE 'a!_b' ESCAPE '!'", "BOOLEAN false" },
	{ "utf LIKE 'h_llo'", "BOOLEAN true" },
	{ "'' LIKE '%'", "BOOLEAN true" },
	{ "'abc' LIKE '%b%c%'", "BOOLEAN true" },
	{ "ns LIKE '%'", "BOOLEAN NULL" },
	{ "s RLIKE 'W.r'", "BOOLEAN true" },
	{ "s RLIKE '^World'", "BOOLEAN false" },
	{ "s REGEXP '\\\\w+ \\\\w+'", "BOOLEAN true" },
	{ "'a1' RLIKE '\\\\d$'", "BOOLEAN true" },
	{ "s NOT RLIKE 'x'", "BOOLEAN true" },
	/* CASE */
	{ "CASE WHEN n > 5 THEN 'big' ELSE 'small' END", "STRING big" },
	{ "CASE WHEN n > 50 THEN 'big' END", "STRING NULL" },
	{ "CASE WHEN nb THEN 1 WHEN b THEN 2 END", "LONG 2" },
	{ "CASE n WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'other' END", "STRING seven" },
	{ "CASE nul WHEN NULL THEN 'null' ELSE 'other' END", "STRING other" },
	{ "CASE WHEN b THEN 1 ELSE 2.5 END", "DOUBLE 1.0" },
	{ "CASE WHEN b THEN n ELSE 'x' END", "STRING 7" },
	/* CAST, the table of conversions */
	{ "CAST(n AS STRING)", "STRING 7" },
	{ "CAST(d AS STRING)", "STRING 2.5" },
	{ "CAST(1e7 AS STRING)", "STRING 1.0E7" },
	{ "CAST(0.0001 AS STRING)", "STRING 1.0E-4" },
	{ "CAST(b AS STRING)", "STRING true" },
	{ "CAST(ts AS STRING)", "STRING 2024-05-01 10:30:45.123456" },
	{ "CAST(dt AS STRING)", "STRING 2024-05-01" },
	{ "CAST(arr AS STRING)", "STRING [1, 2, 3]" },
	{ "CAST(st AS STRING)", "STRING {5, why}" },
	{ "CAST(tags AS STRING)", "STRING [a, b, null]" },
	{ "CAST(num AS LONG)", "LONG 42" },
	{ "CAST('1.9' AS BIGINT)", "LONG 1" },
	{ "CAST('-1.9' AS INT)", "LONG -1" },
	{ "CAST('1e3' AS LONG)", "LONG NULL" },
	{ "CAST('abc' AS LONG)", "LONG NULL" },
	{ "CAST('' AS LONG)", "LONG NULL" },
	{ "CAST('9223372036854775808' AS LONG)", "LONG NULL" },
	{ "CAST('-9223372036854775808' AS LONG)", "LONG -9223372036854775808" },
	{ "CAST(d AS LONG)", "LONG 2" },
	{ "CAST(-2.9 AS LONG)", "LONG -2" },
	{ "CAST(1e30 AS LONG)", "LONG 9223372036854775807" },
	{ "CAST(CAST('NaN' AS DOUBLE) AS LONG)", "LONG 0" },
	{ "CAST(' 1.5 ' AS DOUBLE)", "DOUBLE 1.5" },
	{ "CAST('1e3' AS DOUBLE)", "DOUBLE 1000.0" },
	{ "CAST('x1' AS DOUBLE)", "DOUBLE NULL" },
	{ "CAST('Infinity' AS DOUBLE)", "DOUBLE Infinity" },
	{ "CAST('-inf' AS DOUBLE)", "DOUBLE -Infinity" },
	{ "CAST('0x10' AS DOUBLE)", "DOUBLE NULL" },
	{ "CAST(n AS DOUBLE)", "DOUBLE 7.0" },
	{ "CAST(b AS LONG)", "LONG 1" },
	{ "CAST(b AS DOUBLE)", "DOUBLE 1.0" },
	{ "CAST('yes' AS BOOLEAN)", "BOOLEAN true" },
	{ "CAST('T' AS BOOLEAN)", "BOOLEAN true" },
	{ "CAST(' false ' AS BOOLEAN)", "BOOLEAN false" },
	{ "CAST('0' AS BOOLEAN)", "BOOLEAN false" },
	{ "CAST('N' AS BOOLEAN)", "BOOLEAN false" },
	{ "CAST('maybe' AS BOOLEAN)", "BOOLEAN NULL" },
	{ "CAST(0 AS BOOLEAN)", "BOOLEAN false" },
	{ "CAST(2.5 AS BOOLEAN)", "BOOLEAN true" },
	{ "CAST(tss AS TIMESTAMP)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "CAST('2024-05-01T10:00:00Z' AS TIMESTAMP)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "CAST('2024-05-01T12:00:00+02:00' AS TIMESTAMP)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "CAST('not a time' AS TIMESTAMP)", "TIMESTAMP NULL" },
	{ "CAST(1714557600 AS TIMESTAMP)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "CAST(1.5 AS TIMESTAMP)", "TIMESTAMP 1970-01-01 00:00:01.5" },
	{ "CAST(ts AS LONG)", "LONG 1714559445" },
	{ "CAST(TIMESTAMP '1969-12-31 23:59:59.5' AS LONG)", "LONG -1" },
	{ "CAST(ts AS DOUBLE)", "DOUBLE 1.714559445123456E9" },
	{ "CAST(ts AS DATE)", "DATE 2024-05-01" },
	{ "CAST(dt AS TIMESTAMP)", "TIMESTAMP 2024-05-01 00:00:00" },
	{ "CAST('2024-05-01 23:00' AS DATE)", "DATE 2024-05-01" },
	{ "CAST('2024-5-1' AS DATE)", "DATE 2024-05-01" },
	{ "CAST('hi' AS BINARY)", "BINARY hi" },
	{ "CAST(nul AS STRING)", "STRING NULL" },
	{ "TRY_CAST('x' AS LONG)", "LONG NULL" },
	{ "TRY_CAST(num AS LONG) + 1", "LONG 43" },
	/* timestamps and intervals */
	{ "ts + INTERVAL 1 HOUR", "TIMESTAMP 2024-05-01 11:30:45.123456" },
	{ "ts - INTERVAL '10' MINUTE", "TIMESTAMP 2024-05-01 10:20:45.123456" },
	{ "ts + INTERVAL '1 hour 30 minutes'", "TIMESTAMP 2024-05-01 12:00:45.123456" },
	{ "ts + INTERVAL 1 HOUR 30 MINUTES", "TIMESTAMP 2024-05-01 12:00:45.123456" },
	{ "INTERVAL 2 DAYS + ts", "TIMESTAMP 2024-05-03 10:30:45.123456" },
	{ "tss + INTERVAL 1 SECOND", "TIMESTAMP 2024-05-01 10:00:01" },
	{ "dt + 1", "DATE 2024-05-02" },
	{ "dt - 1", "DATE 2024-04-30" },
	/* string functions */
	{ "lower(s)", "STRING hello world" },
	{ "upper(s)", "STRING HELLO WORLD" },
	{ "UPPER(s)", "STRING HELLO WORLD" },
	{ "ucase('a')", "STRING A" },
	{ "initcap('hello wORLD')", "STRING Hello World" },
	{ "length(s)", "LONG 11" },
	{ "length(utf)", "LONG 5" },
	{ "length(ns)", "LONG NULL" },
	{ "char_length('')", "LONG 0" },
	{ "substring(s, 1, 5)", "STRING Hello" },
	{ "substring(s, 7)", "STRING World" },
	{ "substr(s, -5)", "STRING World" },
	{ "substr(s, -5, 2)", "STRING Wo" },
	{ "substring(s, 0, 3)", "STRING Hel" },
	{ "substring(s, -20, 12)", "STRING Hel" },
	{ "substring(s, -20, 5)", "STRING " },
	{ "substring(s, -15, 6)", "STRING He" },
	{ "substring(s, 20)", "STRING " },
	{ "substring(s, 2, -1)", "STRING " },
	{ "substring(utf, 2, 1)", "STRING \xc3\xa9" },
	{ "left(s, 4)", "STRING Hell" },
	{ "right(s, 3)", "STRING rld" },
	{ "concat(s, '!', n)", "STRING Hello World!7" },
	{ "concat(s, ns)", "STRING NULL" },
	{ "concat_ws('-', 'a', ns, 'b')", "STRING a-b" },
	{ "concat_ws(',', tags)", "STRING a,b" },
	{ "concat_ws(',', 'x', tags, 'y')", "STRING x,a,b,y" },
	{ "concat_ws(ns, 'a')", "STRING NULL" },
	{ "split('a,b,,c,,', ',')", "ARRAY<STRING> [a, b, , c, , ]" },
	{ "split('a1b22c', '[0-9]+')", "ARRAY<STRING> [a, b, c]" },
	{ "split('a,b,c', ',', 2)", "ARRAY<STRING> [a, b,c]" },
	{ "split(',a', ',')", "ARRAY<STRING> [, a]" },
	{ "split('', ',')", "ARRAY<STRING> []" },
	{ "size(split('', ','))", "LONG 1" },
	{ "split('abc', '')", "ARRAY<STRING> [a, b, c]" },
	{ "split('abc', '', 2)", "ARRAY<STRING> [a, bc]" },
	{ "split('', '')", "ARRAY<STRING> []" },
	{ "size(split('', ''))", "LONG 1" },
	{ "split(s, ' ')[1]", "STRING World" },
	{ "split('a b', '\\\\s')", "ARRAY<STRING> [a, b]" },
	{ "trim('  a b  ')", "STRING a b" },
	{ "ltrim('  a ')", "STRING a " },
	{ "rtrim('  a ')", "STRING   a" },
	{ "trim('\ta ')", "STRING \ta" },
	{ "replace(s, 'o', '0')", "STRING Hell0 W0rld" },
	{ "replace(s, 'l')", "STRING Heo Word" },
	{ "replace(s, '', 'x')", "STRING Hello World" },
	{ "regexp_replace(s, '[aeiou]', '*')", "STRING H*ll* W*rld" },
	{ "regexp_replace('2024-05-01', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "STRING 01/05/2024" },
	{ "regexp_replace('abc', 'x*', '-')", "STRING -a-b-c-" },
	{ "regexp_replace('aaa', 'a', '\\\\$')", "STRING $$$" },
	{ "regexp_extract('foo123bar', '([a-z]+)([0-9]+)', 2)", "STRING 123" },
	{ "regexp_extract('foo123bar', '([a-z]+)([0-9]+)')", "STRING foo" },
	{ "regexp_extract('foo123bar', '[0-9]+', 0)", "STRING 123" },
	{ "regexp_extract('xyz', '([0-9]+)', 1)", "STRING " },
	{ "instr(s, 'World')", "LONG 7" },
	{ "instr(s, 'z')", "LONG 0" },
	{ "instr(utf, 'l')", "LONG 3" },
	{ "instr(s, '')", "LONG 1" },
	{ "locate('o', s)", "LONG 5" },
	{ "locate('o', s, 6)", "LONG 8" },
	{ "locate('o', s, 0)", "LONG 0" },
	{ "lpad('7', 3, '0')", "STRING 007" },
	{ "lpad('abc', 5)", "STRING   abc" },
	{ "lpad('abcdef', 3, 'x')", "STRING abc" },
	{ "rpad('ab', 5, 'xy')", "STRING abxyx" },
	{ "rpad('ab', 0, 'x')", "STRING " },
	{ "lpad('ab', 4, '\xc3\xa9')", "STRING \xc3\xa9\xc3\xa9" "ab" },
	{ "lpad('ab', 5, '')", "STRING ab" },
	{ "reverse(utf)", "STRING oll\xc3\xa9h" },
	{ "repeat('ab', 3)", "STRING ababab" },
	{ "repeat('ab', -1)", "STRING " },
	{ "startswith(s, 'Hell')", "BOOLEAN true" },
	{ "endswith(s, 'x')", "BOOLEAN false" },
	{ "contains(s, 'o W')", "BOOLEAN true" },
	/* NULL handling */
	{ "coalesce(nul, n, 1)", "LONG 7" },
	{ "coalesce(nul, NULL)", "LONG NULL" },
	{ "coalesce(nul, 2.5)", "DOUBLE 2.5" },
	{ "coalesce(ns, 'dflt')", "STRING dflt" },
	{ "nvl(nul, 0)", "LONG 0" },
	{ "ifnull(ns, 'x')", "STRING x" },
	{ "nvl2(nul, 'a', 'b')", "STRING b" },
	{ "nullif(n, 7)", "LONG NULL" },
	{ "nullif(n, 8)", "LONG 7" },
	{ "nullif(nul, 8)", "LONG NULL" },
	{ "if(n > 5, 'big', 'small')", "STRING big" },
	{ "if(nb, 'yes', 'no')", "STRING no" },
	{ "if(b, 1, 2.0)", "DOUBLE 1.0" },
	{ "isnull(nul)", "BOOLEAN true" },
	{ "isnotnull(nul)", "BOOLEAN false" },
	{ "isnan(CAST('NaN' AS DOUBLE))", "BOOLEAN true" },
	{ "nanvl(CAST('NaN' AS DOUBLE), 1)", "DOUBLE 1.0" },
	/* math */
	{ "abs(neg)", "LONG 7" },
	{ "abs(-2.5)", "DOUBLE 2.5" },
	{ "abs(-9223372036854775807 - 1)", "LONG -9223372036854775808" },
	{ "round(2.5)", "DOUBLE 3.0" },
	{ "round(-2.5)", "DOUBLE -3.0" },
	{ "round(2.675, 2)", "DOUBLE 2.68" },
	{ "round(1.005, 2)", "DOUBLE 1.01" },
	{ "round(d * 3.3, 1)", "DOUBLE 8.3" },
	{ "round(1234.5678, -2)", "DOUBLE 1200.0" },
	{ "round(0.0001234, 5)", "DOUBLE 1.2E-4" },
	{ "round(9.99, 1)", "DOUBLE 10.0" },
	{ "round(-0.4)", "DOUBLE 0.0" },
	{ "round(0.5)", "DOUBLE 1.0" },
	{ "round(1e300, 2)", "DOUBLE 1.0E300" },
	{ "round(123.456, 10)", "DOUBLE 123.456" },
	{ "round(n)", "LONG 7" },
	{ "round(15, -1)", "LONG 20" },
	{ "round(-15, -1)", "LONG -20" },
	{ "round(14, -1)", "LONG 10" },
	{ "bround(2.5)", "DOUBLE 2.0" },
	{ "bround(3.5)", "DOUBLE 4.0" },
	{ "bround(2.25, 1)", "DOUBLE 2.2" },
	{ "bround(25, -1)", "LONG 20" },
	{ "round(nul)", "LONG NULL" },
	{ "floor(d)", "LONG 2" },
	{ "floor(-2.5)", "LONG -3" },
	{ "ceil(d)", "LONG 3" },
	{ "ceiling(-2.5)", "LONG -2" },
	{ "ceil(n)", "LONG 7" },
	{ "floor('3.7')", "LONG 3" },
	{ "sqrt(16)", "DOUBLE 4.0" },
	{ "sqrt(-1)", "DOUBLE NaN" },
	{ "pow(2, 10)", "DOUBLE 1024.0" },
	{ "power(2, 0.5)", "DOUBLE 1.4142135623730951" },
	{ "exp(0)", "DOUBLE 1.0" },
	{ "ln(1)", "DOUBLE 0.0" },
	{ "ln(0)", "DOUBLE NULL" },
	{ "log10(1000)", "DOUBLE 3.0" },
	{ "log(2, 8)", "DOUBLE 3.0" },
	{ "log(-1)", "DOUBLE NULL" },
	{ "signum(neg)", "DOUBLE -1.0" },
	{ "greatest(1, n, 3)", "LONG 7" },
	{ "greatest(1, nul, 3)", "LONG 3" },
	{ "least(2.5, n, nul)", "DOUBLE 2.5" },
	{ "least(nul, nul)", "LONG NULL" },
	{ "greatest('b', 'a')", "STRING b" },
	/* date and time */
	{ "year(ts)", "LONG 2024" },
	{ "month(ts)", "LONG 5" },
	{ "day(ts)", "LONG 1" },
	{ "dayofmonth(dt)", "LONG 1" },
	{ "hour(ts)", "LONG 10" },
	{ "minute(ts)", "LONG 30" },
	{ "second(ts)", "LONG 45" },
	{ "dayofweek(ts)", "LONG 4" },
	{ "dayofweek('2024-05-05')", "LONG 1" },
	{ "dayofyear(dt)", "LONG 122" },
	{ "quarter(dt)", "LONG 2" },
	{ "weekofyear('2024-01-01')", "LONG 1" },
	{ "weekofyear('2021-01-03')", "LONG 53" },
	{ "year('2023-02-03')", "LONG 2023" },
	{ "hour(tss)", "LONG 10" },
	{ "date_format(ts, 'yyyy-MM-dd HH:mm')", "STRING 2024-05-01 10:30" },
	{ "date_format(ts, 'dd/MM/yy hh:mm:ss a')", "STRING 01/05/24 10:30:45 AM" },
	{ "date_format(ts, 'EEE, d MMM yyyy')", "STRING Wed, 1 May 2024" },
	{ "date_format(ts, 'EEEE MMMM')", "STRING Wednesday May" },
	{ "date_format(ts, 'HH:mm:ss.SSS')", "STRING 10:30:45.123" },
	{ "date_format(ts, 'SSSSSS')", "STRING 123456" },
	{ "date_format(ts, \"yyyy'T'HH 'o''clock'\")", "STRING 2024T10 o'clock" },
	{ "date_format(ts, 'D')", "STRING 122" },
	{ "date_format(TIMESTAMP '2024-05-01 13:05:00', 'h:m a')", "STRING 1:5 PM" },
	{ "date_format(dt, 'yyyy/MM/dd')", "STRING 2024/05/01" },
	{ "to_timestamp('2024-05-01 10:00:00')", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "to_timestamp('01/05/2024 10:00', 'dd/MM/yyyy HH:mm')", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "to_timestamp('2024-05-01', 'yyyy-MM-dd')", "TIMESTAMP 2024-05-01 00:00:00" },
	{ "to_timestamp('2024-5-1', 'yyyy-MM-dd')", "TIMESTAMP NULL" },
	{ "to_timestamp('2024-5-1', 'yyyy-M-d')", "TIMESTAMP 2024-05-01 00:00:00" },
	{ "to_timestamp('2024-02-30', 'yyyy-MM-dd')", "TIMESTAMP NULL" },
	{ "to_timestamp('May 1 2024 3PM', 'MMM d yyyy ha')", "TIMESTAMP 2024-05-01 15:00:00" },
	{ "to_timestamp('10:00:00.5', 'HH:mm:ss.SSS')", "TIMESTAMP 1970-01-01 10:00:00.5" },
	{ "to_timestamp('garbage')", "TIMESTAMP NULL" },
	{ "to_timestamp(1714557600)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "to_date('2024-05-01 23:59:59')", "DATE 2024-05-01" },
	{ "to_date('01.05.2024', 'dd.MM.yyyy')", "DATE 2024-05-01" },
	{ "to_date(ts)", "DATE 2024-05-01" },
	{ "timestamp_seconds(1714557600)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "timestamp_seconds(1.25)", "TIMESTAMP 1970-01-01 00:00:01.25" },
	{ "timestamp_millis(1714557600500)", "TIMESTAMP 2024-05-01 10:00:00.5" },
	{ "unix_timestamp(ts)", "LONG 1714559445" },
	{ "unix_timestamp('2024-05-01 10:00:00')", "LONG 1714557600" },
	{ "unix_timestamp('2024-05-01', 'yyyy-MM-dd')", "LONG 1714521600" },
	{ "unix_timestamp('2024-05-01')", "LONG NULL" },
	{ "unix_seconds(ts)", "LONG 1714559445" },
	{ "unix_millis(ts)", "LONG 1714559445123" },
	{ "from_unixtime(0)", "STRING 1970-01-01 00:00:00" },
	{ "from_unixtime(1714557600, 'yyyy-MM-dd')", "STRING 2024-05-01" },
	{ "date_trunc('hour', ts)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "date_trunc('HOUR', ts)", "TIMESTAMP 2024-05-01 10:00:00" },
	{ "date_trunc('minute', ts)", "TIMESTAMP 2024-05-01 10:30:00" },
	{ "date_trunc('second', ts)", "TIMESTAMP 2024-05-01 10:30:45" },
	{ "date_trunc('day', ts)", "TIMESTAMP 2024-05-01 00:00:00" },
	{ "date_trunc('week', ts)", "TIMESTAMP 2024-04-29 00:00:00" },
	{ "date_trunc('month', ts)", "TIMESTAMP 2024-05-01 00:00:00" },
	{ "date_trunc('quarter', ts)", "TIMESTAMP 2024-04-01 00:00:00" },
	{ "date_trunc('year', ts)", "TIMESTAMP 2024-01-01 00:00:00" },
	{ "date_trunc('fortnight', ts)", "TIMESTAMP NULL" },
	{ "date_add(dt, 30)", "DATE 2024-05-31" },
	{ "date_sub('2024-03-01', 1)", "DATE 2024-02-29" },
	{ "datediff('2024-05-01', '2024-04-01')", "LONG 30" },
	/* JSON, structs and arrays */
	{ "from_json(j, 'a LONG, b STRING')", "STRUCT<a LONG, b STRING> {1, x}" },
	{ "from_json(j, 'a LONG, b STRING').b", "STRING x" },
	{ "from_json('{\"a\": [1, 2]}', 'a ARRAY<LONG>').a[1]", "LONG 2" },
	{ "from_json('not json', 'a LONG')", "STRUCT<a LONG> NULL" },
	{ "from_json('[1, 2]', 'ARRAY<LONG>')", "ARRAY<LONG> [1, 2]" },
	{ "to_json(st)", "STRING {\"x\":5,\"y\":\"why\"}" },
	{ "to_json(struct(n, s))", "STRING {\"n\":7,\"s\":\"Hello World\"}" },
	{ "to_json(named_struct('k', n, 'v', nul))", "STRING {\"k\":7}" },
	{ "to_json(arr)", "STRING [1,2,3]" },
	{ "to_json(from_json(j, 'a LONG, b STRING'))", "STRING {\"a\":1,\"b\":\"x\"}" },
	{ "struct(n, s AS t)", "error: " },
	{ "struct(n, d + 1)", "STRUCT<n LONG, col2 DOUBLE> {7, 3.5}" },
	{ "struct(st.x, 1)", "STRUCT<x LONG, col2 LONG> {5, 1}" },
	{ "named_struct('a', 1, 'b', s)", "STRUCT<a LONG, b STRING> {1, Hello World}" },
	{ "named_struct('a', 1).a", "LONG 1" },
	{ "array(1, 2, 3)", "ARRAY<LONG> [1, 2, 3]" },
	{ "array(1, 2.5)", "ARRAY<DOUBLE> [1.0, 2.5]" },
	{ "array(1, NULL)", "ARRAY<LONG> [1, null]" },
	{ "array(s, n)", "ARRAY<STRING> [Hello World, 7]" },
	{ "array(1, 2)[1]", "LONG 2" },
	{ "size(arr)", "LONG 3" },
	{ "cardinality(tags)", "LONG 3" },
	{ "size(from_json('x', 'ARRAY<LONG>'))", "LONG -1" },
	{ "array_contains(arr, 2)", "BOOLEAN true" },
	{ "array_contains(arr, 5)", "BOOLEAN false" },
	{ "array_contains(tags, 'z')", "BOOLEAN NULL" },
	{ "array_contains(tags, 'a')", "BOOLEAN true" },
	{ "element_at(arr, 1)", "LONG 1" },
	{ "element_at(arr, -1)", "LONG 3" },
	{ "element_at(arr, 4)", "LONG NULL" },
	{ "array_join(tags, '/')", "STRING a/b" },
	{ "array_join(tags, '/', '?')", "STRING a/b/?" },
	{ "typeof(arr)", "STRING array<bigint>" },
	{ "length(uuid())", "LONG 36" },
	{ "current_timestamp() > TIMESTAMP '2024-01-01 00:00:00'", "BOOLEAN true" },
	{ "current_timestamp = now()", "BOOLEAN true" },
	{ "current_date() <= CAST(now() AS DATE)", "BOOLEAN true" },
	{ "unix_timestamp() > 1700000000", "BOOLEAN true" },
};

/* Errors: the message and its caret line. */
static const struct {
	const char *expr, *want;
} errors[] = {
	{ "amount > (1 + tax", "syntax error at column 18: expected ')' before end of expression\n"
	  "    amount > (1 + tax\n"
	  "                     ^" },
	{ "amout > 1", "unknown column 'amout' (columns: s, n, d, b, ts, dt, arr, st, nul, ns, tags, j, neg, num, tss, "
	  "Mixed Case, nb, zero, utf)\n    amout > 1\n    ^" },
	{ "lowr(s)", "unknown function 'lowr'\n    lowr(s)\n    ^" },
	{ "n = arr", "cannot compare LONG with ARRAY<LONG>\n    n = arr\n    ^" },
	{ "s = arr", "cannot compare STRING with ARRAY<LONG>\n    s = arr\n    ^" },
	{ "1 + sum(n)", "aggregate function 'sum' is not allowed here (use stream-window)\n    1 + sum(n)\n        ^" },
	{ "count(*)", "aggregate function 'count' is not allowed here (use stream-window)\n    count(*)\n    ^" },
	{ "n +", "syntax error at column 4: expected an expression before end of expression\n    n +\n       ^" },
	{ "n + * 2", "syntax error at column 5: expected an expression\n    n + * 2\n        ^" },
	{ "'abc", "syntax error at column 1: unterminated string\n    'abc\n    ^" },
	{ "n # 2", "syntax error at column 3: unexpected character '#'\n    n # 2\n      ^" },
	{ "n 2", "syntax error at column 3: unexpected text after the expression\n    n 2\n      ^" },
	{ "CASE WHEN n THEN 1 END", "WHEN needs a BOOLEAN, not LONG\n    CASE WHEN n THEN 1 END\n              ^" },
	{ "CASE n END", "syntax error at column 8: expected WHEN\n    CASE n END\n           ^" },
	{ "n AND b", "AND needs a BOOLEAN, not LONG\n    n AND b\n    ^" },
	{ "NOT s", "NOT needs a BOOLEAN, not STRING\n    NOT s\n        ^" },
	{ "st.z", "no field 'z' in this struct\n    st.z\n    ^" },
	{ "n.z", "cannot take field 'z' of LONG (not a struct)\n    n.z\n    ^" },
	{ "s[0]", "only an array can be indexed with [...], not STRING\n    s[0]\n    ^" },
	{ "ts - ts", "subtracting timestamps gives an interval, which is not supported here: use "
	  "unix_timestamp(a) - unix_timestamp(b) for seconds, or datediff(a, b) for days\n    ts - ts\n    ^" },
	{ "ts + 1", "cannot apply '+' to TIMESTAMP and LONG\n    ts + 1\n    ^" },
	{ "INTERVAL 1 HOUR", "an INTERVAL can only be added to or subtracted from a timestamp\n    INTERVAL 1 HOUR\n    ^" },
	{ "INTERVAL 3 FORTNIGHTS + ts", "syntax error at column 1: bad INTERVAL (try INTERVAL 10 MINUTES or "
	  "INTERVAL '1 hour 30 minutes')\n    INTERVAL 3 FORTNIGHTS + ts\n    ^" },
	{ "upper(s, s)", "'upper' takes 1 argument, not 2\n    upper(s, s)\n    ^" },
	{ "substring(s)", "'substring' takes 2 to 3 arguments, not 1\n    substring(s)\n    ^" },
	{ "upper(arr)", "argument 1 of 'upper' must be STRING, not ARRAY<LONG>\n    upper(arr)\n          ^" },
	{ "size(s)", "'size' takes an array, not STRING\n    size(s)\n         ^" },
	{ "explode(arr)", "generator 'explode' is only allowed as a whole --select item\n    explode(arr)\n    ^" },
	{ "date_format(ts, 'yyyy-QQ')", "unknown letter 'Q' in datetime pattern 'yyyy-QQ'\n"
	  "    date_format(ts, 'yyyy-QQ')\n                    ^" },
	{ "split(s, n)", "the pattern of 'split' must be a string literal\n    split(s, n)\n             ^" },
	{ "s RLIKE '('", "bad regular expression '('\n    s RLIKE '('\n            ^" },
	{ "CAST(n AS WHATEVER)", "syntax error at column 11: expected a type after AS, not 'WHATEVER'\n"
	  "    CAST(n AS WHATEVER)\n              ^" },
	{ "CAST(arr AS LONG)", "cannot cast ARRAY<LONG> to LONG\n    CAST(arr AS LONG)\n    ^" },
	{ "from_json(j, 'a WHAT')", "from_json: bad schema at column 3: unknown type 'WHAT': 'a WHAT'\n"
	  "    from_json(j, 'a WHAT')\n                 ^" },
	{ "to_json(n)", "to_json takes a struct or an array (as in to_json(struct(*))), not LONG\n"
	  "    to_json(n)\n            ^" },
	{ "n IN (1, arr)", "the operands of IN have no common type (LONG, LONG, ARRAY<LONG>)\n    n IN (1, arr)\n    ^" },
	{ "*", "'*' is only allowed as a whole --select item or in struct(*)\n    *\n    ^" },
	{ "n NOT 1", "syntax error at column 3: unexpected text after the expression\n    n NOT 1\n      ^" },
	{ "s LIKE 'a' ESCAPE 'ab'", "syntax error at column 19: expected one character in quotes after ESCAPE\n"
	  "    s LIKE 'a' ESCAPE 'ab'\n                      ^" },
	{ "upper(DISTINCT s)", "'upper(DISTINCT ...)' is only for aggregate functions\n    upper(DISTINCT s)\n    ^" },
	{ "12abc", "syntax error at column 1: bad number\n    12abc\n    ^" },
};

/* Spark's names for unaliased columns (as Spark 3.5 prints them). */
static const struct {
	const char *expr, *want;
} names[] = {
	{ "amount * 0.92", "(amount * 0.92)" },
	{ "upper(name)", "upper(name)" },
	{ "CAST(ts AS TIMESTAMP)", "CAST(ts AS TIMESTAMP)" },
	{ "CAST(x AS long)", "CAST(x AS BIGINT)" },
	{ "CAST(x AS INT)", "CAST(x AS BIGINT)" },
	{ "cast(x as array<string>)", "CAST(x AS ARRAY<STRING>)" },
	{ "TRY_CAST(x AS DOUBLE)", "TRY_CAST(x AS DOUBLE)" },
	{ "a + b", "(a + b)" },
	{ "a + b * c", "(a + (b * c))" },
	{ "(a + b) * c", "((a + b) * c)" },
	{ "a div b", "(a div b)" },
	{ "a % 2", "(a % 2)" },
	{ "-a", "(- a)" },
	{ "-5", "-5" },
	{ "NOT a", "(NOT a)" },
	{ "a = 1", "(a = 1)" },
	{ "a == 1", "(a = 1)" },
	{ "a <> 1", "(NOT (a = 1))" },
	{ "a != 1", "(NOT (a = 1))" },
	{ "a <=> b", "(a <=> b)" },
	{ "a > 1 AND b < 2", "((a > 1) AND (b < 2))" },
	{ "a OR b", "(a OR b)" },
	{ "a || b", "concat(a, b)" },
	{ "a IS NULL", "(a IS NULL)" },
	{ "a IS NOT NULL", "(a IS NOT NULL)" },
	{ "a IS TRUE", "(a <=> true)" },
	{ "a IS NOT FALSE", "(NOT (a <=> false))" },
	{ "a IN (1, 2)", "(a IN (1, 2))" },
	{ "a NOT IN ('x', 'y')", "(NOT (a IN (x, y)))" },
	{ "a BETWEEN 1 AND 5", "((a >= 1) AND (a <= 5))" },
	{ "a NOT BETWEEN 1 AND 5", "(NOT ((a >= 1) AND (a <= 5)))" },
	{ "a LIKE 'x%'", "a LIKE x%" },
	{ "a NOT LIKE 'x%'", "(NOT a LIKE x%)" },
	{ "a RLIKE '^x'", "RLIKE(a, ^x)" },
	{ "CASE WHEN a > 1 THEN 'big' ELSE 'small' END", "CASE WHEN (a > 1) THEN big ELSE small END" },
	{ "CASE a WHEN 1 THEN 'one' END", "CASE WHEN (a = 1) THEN one END" },
	{ "'hello'", "hello" },
	{ "1.50", "1.50" },
	{ ".5", "0.5" },
	{ "1e3", "1000.0" },
	{ "10L", "10" },
	{ "true", "true" },
	{ "NULL", "NULL" },
	{ "TIMESTAMP '2024-01-01 10:00'", "TIMESTAMP '2024-01-01 10:00:00'" },
	{ "DATE '2024-01-01'", "DATE '2024-01-01'" },
	{ "data.temp", "temp" },
	{ "upper(data.name)", "upper(data.name)" },
	{ "arr[0]", "arr[0]" },
	{ "round(x)", "round(x, 0)" },
	{ "round(x, 2)", "round(x, 2)" },
	{ "substring(s, 2)", "substring(s, 2, 2147483647)" },
	{ "substr(s, 1, 3)", "substr(s, 1, 3)" },
	{ "split(s, ' ')", "split(s,  , -1)" },
	{ "lpad(s, 5)", "lpad(s, 5,  )" },
	{ "regexp_extract(s, 'x')", "regexp_extract(s, x, 1)" },
	{ "ceil(x)", "CEIL(x)" },
	{ "ceiling(x)", "ceiling(x)" },
	{ "floor(x)", "FLOOR(x)" },
	{ "sqrt(x)", "SQRT(x)" },
	{ "exp(x)", "EXP(x)" },
	{ "ln(x)", "ln(x)" },
	{ "log10(x)", "LOG10(x)" },
	{ "log(x)", "LOG(E(), x)" },
	{ "log(2, x)", "LOG(2, x)" },
	{ "pow(x, 2)", "pow(x, 2)" },
	{ "power(x, 2)", "POWER(x, 2)" },
	{ "if(a, 1, 2)", "(IF(a, 1, 2))" },
	{ "coalesce(a, 0)", "coalesce(a, 0)" },
	{ "Upper(x)", "upper(x)" },
	{ "count(*)", "count(1)" },
	{ "count(DISTINCT x)", "count(DISTINCT x)" },
	{ "avg(temperature)", "avg(temperature)" },
	{ "from_json(value, 'a INT')", "from_json(value)" },
	{ "to_json(struct(a, b))", "to_json(struct(a, b))" },
	{ "from_unixtime(t)", "from_unixtime(t, yyyy-MM-dd HH:mm:ss)" },
	{ "unix_timestamp(t)", "unix_timestamp(t, yyyy-MM-dd HH:mm:ss)" },
	{ "unix_timestamp()", "unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)" },
	{ "current_timestamp()", "current_timestamp()" },
	{ "current_timestamp", "current_timestamp()" },
	{ "date_trunc('hour', ts)", "date_trunc(hour, ts)" },
	{ "explode(split(value, ' '))", "col" },
	{ "`my col` + 1", "(my col + 1)" },
};

static void check_values(void)
{
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char *got = run(values[i].expr);

		if (!strncmp(values[i].want, "error: ", 7) ? strncmp(got, "error: ", 7) != 0 : strcmp(got, values[i].want))
			FAIL("%s: got '%s', want '%s'", values[i].expr, got, values[i].want);
		free(got);
	}
}

static void check_errors(void)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		char *got = run(errors[i].expr);

		if (strncmp(got, "error: ", 7) || strcmp(got + 7, errors[i].want))
			FAIL("%s:\ngot  '%s'\nwant 'error: %s'", errors[i].expr, got, errors[i].want);
		free(got);
	}
}

static void check_names(void)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct sp_err err = SP_ERR_INIT;
		struct sp_ast *a;
		char *got;

		if (sp_ast_parse(&a, names[i].expr, &err) < 0) {
			FAIL("%s: %s", names[i].expr, err.msg);
			continue;
		}
		got = sp_expr_default_name(a);
		if (strcmp(got, names[i].want))
			FAIL("name of %s: got '%s', want '%s'", names[i].expr, got, names[i].want);
		free(got);
		sp_ast_free(a);
	}
}

/* Lists, aliases and the AST inspection stream-window uses. */
static void check_lists(void)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_ast **items;
	char **aliases;
	size_t n;

	if (sp_ast_parse_list(&items, &aliases, &n, "device_id, avg(temp) AS t, count(*) c, "
			      "count(DISTINCT x), upper(`a b`) `u v`, max(x) + 1", &err) < 0) {
		FAIL("parse_list: %s", err.msg);
		return;
	}
	if (n != 6)
		FAIL("parse_list: %zu items", n);
	else {
		if (!sp_ast_column(items[0]) || strcmp(sp_ast_column(items[0]), "device_id") || aliases[0])
			FAIL("item 0");
		if (!sp_ast_call_name(items[1]) || strcmp(sp_ast_call_name(items[1]), "avg") ||
		    sp_ast_call_nargs(items[1]) != 1 || strcmp(sp_ast_column(sp_ast_call_arg(items[1], 0)), "temp") ||
		    !aliases[1] || strcmp(aliases[1], "t"))
			FAIL("item 1");
		if (!sp_ast_call_star(items[2]) || !aliases[2] || strcmp(aliases[2], "c"))
			FAIL("item 2");
		if (!sp_ast_call_distinct(items[3]) || aliases[3])
			FAIL("item 3");
		if (!aliases[4] || strcmp(aliases[4], "u v") || sp_ast_has_agg(items[4]))
			FAIL("item 4");
		if (!sp_ast_has_agg(items[5]) || sp_ast_call_name(items[5]))
			FAIL("item 5");
		{
			char *t = sp_ast_text(items[5]);

			if (strcmp(t, "max(x) + 1"))
				FAIL("text of item 5: '%s'", t);
			free(t);
		}
	}
	for (size_t i = 0; i < n; i++) {
		sp_ast_free(items[i]);
		free(aliases[i]);
	}
	free(items);
	free(aliases);
	if (sp_ast_parse_list(&items, &aliases, &n, "a, ", &err) == 0)
		FAIL("'a, ' parsed");
	else if (strcmp(err.msg, "syntax error at column 4: expected an expression before end of expression\n"
			 "    a, \n       ^"))
		FAIL("'a, ': %s", err.msg);
}

/* sp_expr_select's loops agree with sp_expr_true row by row, NULLs and NaN included. */
static void check_select_rows(void)
{
	static const char *const preds[] = {
		"d > 1.5", "1.5 < d", "d = 'NaN'", "d >= 2", "d <> 0", "k = 3", "k != 3", "3 >= k", "k < 2.5",
		"t > '1970-01-01 00:00:02'", "s = 'b'", "s > 'a'", "s <= 'ab'", "s <> 'b'", "k > 1 AND d < 3",
		"k > 1 AND s = 'a' AND d IS NOT NULL", "k % 2 = 0", "k <=> 3", "d > 1 OR s = 'a'",
	};
	struct sp_type *t;
	struct sp_err err = SP_ERR_INIT;
	struct sp_batch b;
	struct sp_arena arena = SP_ARENA_INIT;
	size_t rows[64];

	sp_type_parse_ddl("k LONG, d DOUBLE, s STRING, t TIMESTAMP", &t, &err);
	sp_batch_init(&b, t);
	for (int i = 0; i < 40; i++) {
		static const char *const strs[] = { "a", "b", "ab", "", "ba" };

		if (i % 7 == 3)
			sp_col_push_null(&b.cols[0]);
		else
			sp_col_push_i64(&b.cols[0], i % 5);
		if (i % 11 == 5)
			sp_col_push_null(&b.cols[1]);
		else
			sp_col_push_f64(&b.cols[1], i % 13 == 0 ? NAN : i * 0.25);
		if (i % 9 == 4)
			sp_col_push_null(&b.cols[2]);
		else
			sp_col_push_bytes(&b.cols[2], strs[i % 5], strlen(strs[i % 5]));
		sp_col_push_i64(&b.cols[3], (int64_t)i * 500000);
		sp_batch_row_done(&b);
	}
	for (size_t p = 0; p < sizeof preds / sizeof preds[0]; p++) {
		struct sp_expr_env env = { t, NULL, 0, 0 };
		struct sp_expr *e;
		size_t n, want = 0;

		if (sp_expr_compile_text(&e, preds[p], &env, &err) < 0) {
			FAIL("%s: %s", preds[p], err.msg);
			continue;
		}
		/* every other row as candidates */
		for (size_t r = 0; r < 20; r++)
			rows[r] = 2 * r + 1;
		n = sp_expr_select(e, &b, rows, 20, &arena);
		for (size_t r = 1; r < b.n; r += 2) {
			if (!sp_expr_true(e, &b, r, &arena))
				continue;
			if (want >= n || rows[want] != r)
				FAIL("%s: row %zu missing from the selection", preds[p], r);
			want++;
		}
		if (want != n)
			FAIL("%s: %zu rows selected, want %zu", preds[p], n, want);
		sp_expr_free(e);
	}
	sp_arena_release(&arena);
	sp_batch_release(&b);
	sp_type_unref(t);
}

/* Nesting is bounded, so that parsing, compiling and evaluating cannot overflow the stack. */
static void check_depth(void)
{
	struct sp_buf b = SP_BUF_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_ast *a;

	for (int i = 0; i < 5000; i++)
		sp_buf_puts(&b, "(");
	if (sp_ast_parse(&a, b.p, &err) == 0 || strncmp(err.msg, "syntax error at column 1001: expression nested too deeply", 57))
		FAIL("5000 parentheses: %.80s", err.msg);
	sp_buf_reset(&b);
	sp_buf_puts(&b, "1");
	for (int i = 0; i < 5000; i++)
		sp_buf_puts(&b, " + 1");
	err = (struct sp_err)SP_ERR_INIT;
	if (sp_ast_parse(&a, b.p, &err) == 0 || strncmp(err.msg, "syntax error at column 1: expression nested too deeply", 54))
		FAIL("5000 additions: %.80s", err.msg);
	sp_buf_reset(&b);
	sp_buf_puts(&b, "1");
	for (int i = 0; i < 900; i++)
		sp_buf_puts(&b, " + 1");
	if (sp_ast_parse(&a, b.p, &err) < 0)
		FAIL("900 additions: %.80s", err.msg);
	else
		sp_ast_free(a);
	sp_buf_release(&b);
}

/* tbl.col qualifiers, for stream-join. */
static void check_qualifiers(void)
{
	static const char *const quals[] = { "clicks", "impressions" };
	struct sp_expr_env env = { batch.schema, quals, 2, 0 };
	struct sp_err err = SP_ERR_INIT;
	struct sp_arena arena = SP_ARENA_INIT;
	struct sp_expr *e;
	struct sp_val v;

	if (sp_expr_compile_text(&e, "impressions.n + clicks.st.x", &env, &err) < 0) {
		FAIL("qualifiers: %s", err.msg);
		return;
	}
	sp_expr_eval(e, &batch, 0, &v, &arena);
	if (v.null || v.u.i != 12)
		FAIL("qualifiers: %lld", (long long)v.u.i);
	sp_expr_free(e);
	if (sp_expr_compile_text(&e, "other.n", &env, &err) == 0) {
		FAIL("other.n compiled");
		sp_expr_free(e);
	}
	sp_arena_release(&arena);
}

/* Values built per row stay valid while rows go forward, and the arena holds the strings. */
static void check_many_rows(void)
{
	struct sp_type *t;
	struct sp_err err = SP_ERR_INIT;
	struct sp_batch b;
	struct sp_expr_env env;
	struct sp_arena arena = SP_ARENA_INIT;
	struct sp_expr *e, *w;
	size_t kept = 0;

	sp_type_parse_ddl("line STRING, k LONG", &t, &err);
	sp_batch_init(&b, t);
	env = (struct sp_expr_env){ t, NULL, 0, 1 };
	for (int i = 0; i < 1000; i++) {
		char line[64];
		int len = snprintf(line, sizeof line, "w%d x%d y", i, i % 7);

		sp_col_push_bytes(&b.cols[0], line, (size_t)len);
		if (i % 10 == 0)
			sp_col_push_null(&b.cols[1]);
		else
			sp_col_push_i64(&b.cols[1], i);
		sp_batch_row_done(&b);
	}
	if (sp_expr_compile_text(&e, "upper(split(line, ' ')[1]) || '/' || k", &env, &err) < 0 ||
	    sp_expr_compile_text(&w, "k % 3 = 0 AND line LIKE '%x1%'", &env, &err) < 0) {
		FAIL("many rows: %s", err.msg);
		return;
	}
	for (int round = 0; round < 2; round++) {
		sp_arena_reset(&arena);
		for (size_t r = 0; r < b.n; r++) {
			struct sp_val v;
			char want[64];

			sp_expr_eval(e, &b, r, &v, &arena);
			if (r % 10 == 0) {
				if (!v.null)
					FAIL("row %zu: not NULL", r);
				continue;
			}
			snprintf(want, sizeof want, "X%zu/%zu", r % 7, r);
			if (v.null || v.u.s.len != strlen(want) || memcmp(v.u.s.p, want, v.u.s.len))
				FAIL("row %zu: '%.*s', want '%s'", r, (int)v.u.s.len, v.u.s.p, want);
			kept += sp_expr_true(w, &b, r, &arena);
		}
	}
	/* k % 3 = 0 and i % 7 == 1, k not NULL */
	{
		size_t want = 0;

		for (int i = 0; i < 1000; i++)
			want += i % 10 && i % 3 == 0 && i % 7 == 1;
		if (kept != 2 * want)
			FAIL("where kept %zu, want %zu", kept, 2 * want);
	}
	sp_expr_free(e);
	sp_expr_free(w);
	sp_arena_release(&arena);
	sp_batch_release(&b);
	sp_type_unref(t);
}

/* A batch of n rows: id LONG (0..n-1), name STRING ("n<id>"), words ARRAY<STRING>. */
static void small_batch(struct sp_batch *b, const char *ddl, size_t n)
{
	struct sp_type *t;
	struct sp_err err = SP_ERR_INIT;

	if (sp_type_parse_ddl(ddl, &t, &err) < 0) {
		fprintf(stderr, "test-expr: %s\n", err.msg);
		exit(1);
	}
	sp_batch_init(b, t);
	sp_type_unref(t);
	for (size_t i = 0; i < n; i++) {
		char s[32];
		int len = snprintf(s, sizeof s, "n%zu", i);

		sp_col_push_i64(&b->cols[0], (int64_t)i);
		sp_col_push_bytes(&b->cols[1], s, (size_t)len);
		if (b->schema->nfields > 2) {
			for (size_t k = 0; k < i % 3; k++)
				sp_col_push_bytes(&b->cols[2].child[0], s, (size_t)len);
			sp_col_push_array(&b->cols[2]);
		}
		sp_batch_row_done(b);
	}
}

static char *batch_text(const struct sp_batch *b)
{
	struct sp_buf out = SP_BUF_INIT;

	for (size_t r = 0; r < b->n; r++) {
		for (size_t c = 0; c < b->schema->nfields; c++) {
			struct sp_val v;

			sp_col_get(&b->cols[c], r, &v);
			sp_buf_printf(&out, "%s%s=", c ? " " : "", b->schema->fields[c].name);
			if (v.null)
				sp_buf_puts(&out, "NULL");
			else
				sp_val_format(&out, &v);
		}
		sp_buf_addc(&out, ';');
	}
	return sp_buf_take(&out);
}

/* The select steps: order, sharing, generators, and a schema change. */
static void check_select(void)
{
	struct sp_select *s = sp_select_new();
	struct sp_err err = SP_ERR_INIT;
	struct sp_batch b1, b2;
	const struct sp_batch *out;
	char *txt;

	small_batch(&b1, "id LONG, name STRING, words ARRAY<STRING>", 4);
	if (sp_select_add(s, SP_STEP_WHERE, "id >= 0", &err) < 0 ||
	    sp_select_add(s, SP_STEP_WITH, "k = id * 10", &err) < 0 ||
	    sp_select_add(s, SP_STEP_SELECT, "name, explode_outer(words) AS w, k", &err) < 0 ||
	    sp_select_add(s, SP_STEP_DROP, "nothing", &err) < 0 || sp_select_bind(s, b1.schema, &err) < 0 ||
	    sp_select_apply(s, &b1, &out, &err) < 0) {
		FAIL("select: %s", err.msg);
		return;
	}
	txt = batch_text(out);
	if (strcmp(txt, "name=n0 w=NULL k=0;name=n1 w=n1 k=10;name=n2 w=n2 k=20;name=n2 w=n2 k=20;"
		   "name=n3 w=NULL k=30;"))
		FAIL("select: %s", txt);
	free(txt);
	sp_select_free(s);

	/* a filter that keeps everything passes the batch on; one that keeps some copies */
	s = sp_select_new();
	sp_select_add(s, SP_STEP_WHERE, "id < 100", &err);
	sp_select_bind(s, b1.schema, &err);
	sp_select_apply(s, &b1, &out, &err);
	if (out != &b1)
		FAIL("where: a batch kept whole was copied");
	sp_select_free(s);
	s = sp_select_new();
	sp_select_add(s, SP_STEP_WHERE, "id % 2 = 1", &err);
	sp_select_add(s, SP_STEP_SELECT, "*", &err);
	sp_select_bind(s, b1.schema, &err);
	sp_select_apply(s, &b1, &out, &err);
	txt = batch_text(out);
	if (strcmp(txt, "id=1 name=n1 words=[n1];id=3 name=n3 words=[];"))
		FAIL("where: %s", txt);
	free(txt);

	/* a new schema: the same steps compile again */
	small_batch(&b2, "name STRING, id LONG", 0);
	sp_batch_release(&b2);
	small_batch(&b2, "id LONG, name STRING, extra DOUBLE", 0);
	for (int i = 0; i < 3; i++) {
		sp_col_push_i64(&b2.cols[0], i);
		sp_col_push_bytes(&b2.cols[1], "x", 1);
		sp_col_push_f64(&b2.cols[2], i / 2.0);
		sp_batch_row_done(&b2);
	}
	if (sp_select_bind(s, b2.schema, &err) < 0 || sp_select_apply(s, &b2, &out, &err) < 0) {
		FAIL("rebind: %s", err.msg);
	} else {
		txt = batch_text(out);
		if (strcmp(txt, "id=1 name=x extra=0.5;"))
			FAIL("rebind: %s", txt);
		free(txt);
	}
	sp_select_free(s);

	/* errors: syntax at add time, names at bind time */
	s = sp_select_new();
	err = (struct sp_err)SP_ERR_INIT;
	if (sp_select_add(s, SP_STEP_SELECT, "a,, b", &err) == 0 || err.status != SP_EXIT_USAGE)
		FAIL("'a,, b' added");
	err = (struct sp_err)SP_ERR_INIT;
	if (sp_select_add(s, SP_STEP_WITH, "= 1", &err) == 0 ||
	    strcmp(err.msg, "--with wants 'name = expression', not '= 1'"))
		FAIL("'= 1': %s", err.msg);
	err = (struct sp_err)SP_ERR_INIT;
	sp_select_add(s, SP_STEP_SELECT, "explode(words), explode(words)", &err);
	if (sp_select_bind(s, b1.schema, &err) == 0 ||
	    strcmp(err.msg, "only one generator (explode) is allowed per --select, as in Spark"))
		FAIL("two generators: %s", err.msg);
	sp_select_free(s);
	sp_batch_release(&b1);
	sp_batch_release(&b2);
}

int main(void)
{
	build_row();
	check_values();
	check_errors();
	check_names();
	check_lists();
	check_qualifiers();
	check_depth();
	check_select_rows();
	check_many_rows();
	check_select();
	sp_batch_release(&batch);
	if (failures)
		fprintf(stderr, "test-expr: %d failures\n", failures);
	return failures;
}
