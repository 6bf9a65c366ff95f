/*
 * test-value: types and DDL schemas (Spark's names and aliases, quoting,
 * errors with their columns), type printing and comparison, field lookup,
 * columns of every type with NULLs at every level, copying rows between
 * columns, reusing columns after a reset, and the arena.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "value.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-value:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

/* ---- DDL ---- */

/* Parses and prints back: Spark's simpleString, and our DDL. */
static const struct ddl_case {
	const char *ddl, *simple, *canon;
} ddl_cases[] = {
	{ "a STRING", "struct<a:string>", "a STRING" },
	{ "a string, b String, c sTrInG", "struct<a:string,b:string,c:string>", "a STRING, b STRING, c STRING" },
	{ "a VARCHAR(20), b CHAR(3), c TEXT", "struct<a:string,b:string,c:string>", "a STRING, b STRING, c STRING" },
	{ "a LONG, b BIGINT, c INT, d INTEGER, e SHORT, f SMALLINT, g BYTE, h TINYINT",
	  "struct<a:bigint,b:bigint,c:bigint,d:bigint,e:bigint,f:bigint,g:bigint,h:bigint>",
	  "a LONG, b LONG, c LONG, d LONG, e LONG, f LONG, g LONG, h LONG" },
	{ "a DOUBLE, b FLOAT, c REAL, d DECIMAL(10,2), e DEC(5), f NUMERIC, g DECIMAL",
	  "struct<a:double,b:double,c:double,d:double,e:double,f:double,g:double>",
	  "a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE, e DOUBLE, f DOUBLE, g DOUBLE" },
	{ "a BOOLEAN, b BOOL", "struct<a:boolean,b:boolean>", "a BOOLEAN, b BOOLEAN" },
	{ "a BINARY", "struct<a:binary>", "a BINARY" },
	{ "a TIMESTAMP, b TIMESTAMP_LTZ, c TIMESTAMP_NTZ, d DATE",
	  "struct<a:timestamp,b:timestamp,c:timestamp,d:date>", "a TIMESTAMP, b TIMESTAMP, c TIMESTAMP, d DATE" },
	{ "a ARRAY<INT>", "struct<a:array<bigint>>", "a ARRAY<LONG>" },
	{ "a array < array < string > >", "struct<a:array<array<string>>>", "a ARRAY<ARRAY<STRING>>" },
	{ "s STRUCT<x: INT, y: ARRAY<STRUCT<z: DOUBLE, w: STRING>>>",
	  "struct<s:struct<x:bigint,y:array<struct<z:double,w:string>>>>",
	  "s STRUCT<x: LONG, y: ARRAY<STRUCT<z: DOUBLE, w: STRING>>>" },
	{ "s STRUCT<x INT, y STRING>", "struct<s:struct<x:bigint,y:string>>", "s STRUCT<x: LONG, y: STRING>" },
	{ "s STRUCT<>", "struct<s:struct<>>", "s STRUCT<>" },
	{ "struct<a:int,b:string>", "struct<a:bigint,b:string>", "a LONG, b STRING" },
	{ "STRUCT < a : INT >", "struct<a:bigint>", "a LONG" },
	{ "struct<>", "struct<>", "STRUCT<>" },
	{ "a: INT, b: STRING", "struct<a:bigint,b:string>", "a LONG, b STRING" },
	{ "  a INT ,b INT  ", "struct<a:bigint,b:bigint>", "a LONG, b LONG" },
	{ "`a b` INT, `c``d` STRING, `e` LONG", "struct<a b:bigint,c`d:string,e:bigint>",
	  "`a b` LONG, `c``d` STRING, e LONG" },
	{ "`1st` INT, _x INT, x1 INT, `a-b` INT, ` `` ` INT", "struct<1st:bigint,_x:bigint,x1:bigint,a-b:bigint, ` :bigint>",
	  "`1st` LONG, _x LONG, x1 LONG, `a-b` LONG, ` `` ` LONG" },
	{ "caf\xc3\xa9 STRING", "struct<caf\xc3\xa9:string>", "`caf\xc3\xa9` STRING" },
	{ "a INT NOT NULL, b STRING COMMENT 'the b', c LONG NOT NULL COMMENT \"c's\"",
	  "struct<a:bigint,b:string,c:bigint>", "a LONG, b STRING, c LONG" },
	{ "a INT COMMENT 'it\\'s', b INT", "struct<a:bigint,b:bigint>", "a LONG, b LONG" },
	{ "a INT, A INT", "struct<a:bigint,A:bigint>", "a LONG, A LONG" },
	{ "not INT, comment STRING, struct INT, array STRING", "struct<not:bigint,comment:string,struct:bigint,array:string>",
	  "not LONG, comment STRING, struct LONG, array STRING" },
};

static void test_ddl(void)
{
	for (size_t i = 0; i < sizeof ddl_cases / sizeof ddl_cases[0]; i++) {
		const struct ddl_case *tc = &ddl_cases[i];
		struct sp_err err = SP_ERR_INIT;
		struct sp_type *t = NULL, *back = NULL;
		char *simple, *canon;

		if (sp_type_parse_ddl(tc->ddl, &t, &err) < 0) {
			CHECK(0, "'%s': %s", tc->ddl, err.msg);
			continue;
		}
		simple = sp_type_simple_new(t);
		canon = sp_type_ddl_new(t);
		CHECK(!strcmp(simple, tc->simple), "'%s': simple '%s', want '%s'", tc->ddl, simple, tc->simple);
		CHECK(!strcmp(canon, tc->canon), "'%s': ddl '%s', want '%s'", tc->ddl, canon, tc->canon);
		CHECK(sp_type_parse_ddl(canon, &back, &err) == 0 && sp_type_equal(t, back), "'%s': '%s' reads back as another type",
		      tc->ddl, canon);
		CHECK(t->refs == 1, "'%s': %u references", tc->ddl, t->refs);
		sp_type_unref(back);
		sp_type_unref(t);
		free(simple);
		free(canon);
	}
}

static const struct ddl_err_case {
	const char *ddl, *msg;
} ddl_err_cases[] = {
	{ "", "bad schema: empty" },
	{ "   ", "bad schema: empty" },
	{ "a STRNG", "bad schema at column 3: unknown type 'STRNG': 'a STRNG'" },
	{ "a", "bad schema at column 2: expected a type: 'a'" },
	{ "a INT,", "bad schema at column 7: expected a column name: 'a INT,'" },
	{ "a INT, , b INT", "bad schema at column 8: expected a column name: 'a INT, , b INT'" },
	{ "a INT, a LONG", "bad schema: duplicate column 'a': 'a INT, a LONG'" },
	{ "s STRUCT<x INT, x INT>", "bad schema: duplicate column 'x': 's STRUCT<x INT, x INT>'" },
	{ "a ARRAY<INT", "bad schema at column 12: expected '>': 'a ARRAY<INT'" },
	{ "a ARRAY INT", "bad schema at column 9: expected '<': 'a ARRAY INT'" },
	{ "a ARRAY<>", "bad schema at column 9: expected a type: 'a ARRAY<>'" },
	{ "a STRUCT<x INT", "bad schema at column 15: expected '>': 'a STRUCT<x INT'" },
	{ "a STRUCT<x INT,>", "bad schema at column 16: expected a column name: 'a STRUCT<x INT,>'" },
	{ "`a INT", "bad schema at column 7: unterminated `name`: '`a INT'" },
	{ "`` INT", "bad schema at column 3: empty column name: '`` INT'" },
	{ "a INT NOT", "bad schema at column 10: expected NULL after NOT: 'a INT NOT'" },
	{ "a INT NOT NUL", "bad schema at column 11: expected NULL after NOT: 'a INT NOT NUL'" },
	{ "a INT COMMENT x", "bad schema at column 15: expected a quoted comment: 'a INT COMMENT x'" },
	{ "a INT COMMENT 'x", "bad schema at column 17: unterminated comment: 'a INT COMMENT 'x'" },
	{ "a DECIMAL(10,2", "bad schema at column 15: expected ')': 'a DECIMAL(10,2'" },
	{ "a INT b INT", "bad schema at column 7: unexpected text: 'a INT b INT'" },
	{ "a INT)", "bad schema at column 6: unexpected text: 'a INT)'" },
	{ "struct<a INT> x", "bad schema at column 15: unexpected text: 'struct<a INT> x'" },
	{ "a MAP<STRING, INT>", "bad schema at column 3: unknown type 'MAP': 'a MAP<STRING, INT>'" },
	{ ", a INT", "bad schema at column 1: expected a column name: ', a INT'" },
};

static void test_ddl_errors(void)
{
	for (size_t i = 0; i < sizeof ddl_err_cases / sizeof ddl_err_cases[0]; i++) {
		const struct ddl_err_case *tc = &ddl_err_cases[i];
		struct sp_err err = SP_ERR_INIT;
		struct sp_type *t = NULL;

		CHECK(sp_type_parse_ddl(tc->ddl, &t, &err) < 0, "'%s': accepted", tc->ddl);
		CHECK(!strcmp(err.msg, tc->msg), "'%s':\n  got  %s\n  want %s", tc->ddl, err.msg, tc->msg);
		CHECK(err.status == SP_EXIT_USAGE, "'%s': exit status %d", tc->ddl, err.status);
		CHECK(t == NULL, "'%s': type set on failure", tc->ddl);
		sp_type_unref(t);
	}
}

/* Nesting: 64 levels are fine, 65 are not; fields: 65536 are fine. */
static void test_ddl_limits(void)
{
	char text[1024];
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL;
	size_t n = 0;

	n += (size_t)sprintf(text + n, "a ");
	for (int i = 0; i < 63; i++)
		n += (size_t)sprintf(text + n, "ARRAY<");
	n += (size_t)sprintf(text + n, "LONG");
	for (int i = 0; i < 63; i++)
		n += (size_t)sprintf(text + n, ">");
	CHECK(sp_type_parse_ddl(text, &t, &err) == 0, "64 levels: %s", err.msg);
	sp_type_unref(t);
	t = NULL;
	n = 0;
	n += (size_t)sprintf(text + n, "a ");
	for (int i = 0; i < 64; i++)
		n += (size_t)sprintf(text + n, "ARRAY<");
	n += (size_t)sprintf(text + n, "LONG");
	for (int i = 0; i < 64; i++)
		n += (size_t)sprintf(text + n, ">");
	CHECK(sp_type_parse_ddl(text, &t, &err) < 0 && strstr(err.msg, "bad schema at column 387: types nested too deeply"),
	      "65 levels: %s", err.msg);

	{
		size_t cap = 65537 * 16, len = 0;
		char *big = sp_xmalloc(cap);

		for (int i = 0; i < 65536; i++)
			len += (size_t)sprintf(big + len, "%sc%d INT", i ? "," : "", i);
		err = (struct sp_err)SP_ERR_INIT;
		t = NULL;
		CHECK(sp_type_parse_ddl(big, &t, &err) == 0 && t->nfields == 65536, "65536 fields: %s", err.msg);
		sp_type_unref(t);
		sprintf(big + len, ",c65536 INT");
		t = NULL;
		CHECK(sp_type_parse_ddl(big, &t, &err) < 0 && strstr(err.msg, ": too many fields: "), "65537 fields: %s",
		      err.msg);
		free(big);
	}
}

static void test_parse_one(void)
{
	static const struct {
		const char *text, *simple;
	} ok[] = {
		{ "ARRAY<STRING>", "array<string>" },
		{ "int", "bigint" },
		{ " STRUCT<a: INT> ", "struct<a:bigint>" },
		{ "timestamp", "timestamp" },
	};
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char *s;

		t = NULL;
		if (sp_type_parse_one(ok[i].text, &t, &err) < 0) {
			CHECK(0, "'%s': %s", ok[i].text, err.msg);
			continue;
		}
		s = sp_type_simple_new(t);
		CHECK(!strcmp(s, ok[i].simple), "'%s': '%s'", ok[i].text, s);
		free(s);
		s = sp_type_ddl_new(t);
		if (t->id == SP_T_ARRAY)
			CHECK(!strcmp(s, "ARRAY<STRING>"), "ddl of ARRAY<STRING>: '%s'", s);
		free(s);
		sp_type_unref(t);
	}
	t = NULL;
	CHECK(sp_type_parse_one("ARRAY<INT> x", &t, &err) < 0 &&
	      !strcmp(err.msg, "bad schema at column 12: unexpected text: 'ARRAY<INT> x'"), "trailing: %s", err.msg);
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_type_parse_one("", &t, &err) < 0 && !strcmp(err.msg, "bad schema at column 1: expected a type: ''"),
	      "empty: %s", err.msg);
	CHECK(sp_type_prim(SP_T_LONG) == sp_type_prim(SP_T_LONG) && sp_type_prim(SP_T_LONG)->refs == 0, "prims are shared");
	CHECK(!strcmp(sp_type_name(SP_T_TIMESTAMP), "TIMESTAMP") && !strcmp(sp_type_name(SP_T_NULL), "VOID") &&
	      !strcmp(sp_type_name(99), "?"), "type names");
}

static struct sp_type *ddl(const char *text)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL;

	if (sp_type_parse_ddl(text, &t, &err) < 0) {
		fprintf(stderr, "test-value: %s\n", err.msg);
		exit(99);
	}
	return t;
}

static void test_equal_and_lookup(void)
{
	static const struct {
		const char *a, *b;
		int equal;
	} eq[] = {
		{ "a INT, b STRING", "a BIGINT, b VARCHAR(3)", 1 },
		{ "a INT, b STRING", "a INT, B STRING", 0 },
		{ "a INT, b STRING", "a INT", 0 },
		{ "a INT, b STRING", "a INT, b BINARY", 0 },
		{ "a ARRAY<INT>", "a ARRAY<LONG>", 1 },
		{ "a ARRAY<INT>", "a ARRAY<DOUBLE>", 0 },
		{ "a ARRAY<INT>", "a INT", 0 },
		{ "s STRUCT<x: INT>", "s STRUCT<x: INT, y: INT>", 0 },
		{ "s STRUCT<x: ARRAY<STRUCT<y: DATE>>>", "s STRUCT<x: ARRAY<STRUCT<y: DATE>>>", 1 },
		{ "s STRUCT<x: ARRAY<STRUCT<y: DATE>>>", "s STRUCT<x: ARRAY<STRUCT<y: TIMESTAMP>>>", 0 },
		{ "s STRUCT<>", "s STRUCT<>", 1 },
	};

	for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
		struct sp_type *a = ddl(eq[i].a), *b = ddl(eq[i].b);

		CHECK(sp_type_equal(a, b) == eq[i].equal && sp_type_equal(b, a) == eq[i].equal, "equal('%s', '%s') is not %d",
		      eq[i].a, eq[i].b, eq[i].equal);
		CHECK(sp_type_equal(a, a), "'%s' differs from itself", eq[i].a);
		b->fields[0].flags = SP_FIELD_KEY;
		CHECK(!sp_type_equal(a, b), "'%s': key flag ignored", eq[i].a);
		sp_type_unref(a);
		sp_type_unref(b);
	}
	{
		struct sp_type *t = ddl("a INT, A INT, bC INT, `b c` INT");
		static const struct {
			const char *name;
			size_t len;
			int want;
		} look[] = {
			{ "a", 1, 0 }, { "A", 1, 1 }, { "bC", 2, 2 }, { "bc", 2, 2 }, { "BC", 2, 2 }, { "b c", 3, 3 },
			{ "B C", 3, 3 }, { "x", 1, -1 }, { "ab", 1, 0 }, { "bCd", 2, 2 }, { "", 0, -1 }, { "b", 1, -1 },
		};

		for (size_t i = 0; i < sizeof look / sizeof look[0]; i++)
			CHECK(sp_type_field_index(t, look[i].name, look[i].len) == look[i].want, "lookup '%.*s': %d, want %d",
			      (int)look[i].len, look[i].name, sp_type_field_index(t, look[i].name, look[i].len), look[i].want);
		/* the type's reference counting */
		CHECK(sp_type_ref(t) == t && t->refs == 2, "ref");
		sp_type_unref(t);
		CHECK(t->refs == 1, "unref");
		sp_type_unref(t);
		sp_type_unref(NULL);
	}
	{
		struct sp_type *st = sp_type_new_struct(), *arr = sp_type_new_array(sp_type_prim(SP_T_STRING));
		char *s;

		sp_type_add_field(st, "k", sp_type_prim(SP_T_LONG), SP_FIELD_KEY);
		sp_type_add_field(st, "tags", arr, 0);
		s = sp_type_ddl_new(st);
		CHECK(!strcmp(s, "k LONG, tags ARRAY<STRING>"), "built type: '%s'", s);
		CHECK(st->fields[0].flags == SP_FIELD_KEY, "flags kept");
		free(s);
		sp_type_unref(st);
	}
}

/* ---- columns ---- */

static char *fmt_row(const struct sp_col *c, size_t i)
{
	struct sp_buf b = SP_BUF_INIT;
	struct sp_val v;

	sp_col_get(c, i, &v);
	sp_val_format(&b, &v);
	return sp_buf_take(&b);
}

static void check_rows(const struct sp_col *c, const char *const *want, size_t n, const char *what)
{
	CHECK(c->n == n, "%s: %zu rows, want %zu", what, c->n, n);
	for (size_t i = 0; i < n && i < c->n; i++) {
		char *s = fmt_row(c, i);

		CHECK(!strcmp(s, want[i]), "%s row %zu: '%s', want '%s'", what, i, s, want[i]);
		free(s);
	}
}

/* Pushes the same rows into c: used for a fresh column and one after a reset. */
static void push_nested(struct sp_col *c)
{
	/* s STRUCT<x: LONG, tags: ARRAY<STRING>, inner: STRUCT<d: DOUBLE>> */
	struct sp_col *x = &c->child[0], *tags = &c->child[1], *inner = &c->child[2];

	/* {1, [a, , null], {1.5}} */
	sp_col_push_i64(x, 1);
	sp_col_push_bytes(tags->child, "a", 1);
	sp_col_push_bytes(tags->child, "", 0);
	sp_col_push_null(tags->child);
	sp_col_push_array(tags);
	sp_col_push_f64(&inner->child[0], 1.5);
	sp_col_push_struct(inner);
	sp_col_push_struct(c);
	/* NULL */
	sp_col_push_null(c);
	/* {null, [], null} */
	sp_col_push_null(x);
	sp_col_push_array(tags);
	sp_col_push_null(inner);
	sp_col_push_struct(c);
	/* {4, null, {null}} */
	sp_col_push_i64(x, 4);
	sp_col_push_null(tags);
	sp_col_push_null(&inner->child[0]);
	sp_col_push_struct(inner);
	sp_col_push_struct(c);
}

static const char *const nested_rows[] = { "{1, [a, , null], {1.5}}", "NULL", "{null, [], null}", "{4, null, {null}}" };

static void test_columns(void)
{
	struct sp_type *t = ddl("b BOOLEAN, l LONG, d DOUBLE, s STRING, bin BINARY, ts TIMESTAMP, dt DATE, "
				"n STRUCT<x: LONG, tags: ARRAY<STRING>, inner: STRUCT<d: DOUBLE>>, a ARRAY<ARRAY<LONG>>");
	struct sp_batch b;
	struct sp_val v;

	sp_batch_init(&b, t);
	CHECK(t->refs == 2, "batch holds a reference: %u", t->refs);
	for (int round = 0; round < 3; round++) {
		struct sp_col *a = &b.cols[8];

		sp_col_push_bool(&b.cols[0], 1);
		sp_col_push_null(&b.cols[0]);
		sp_col_push_bool(&b.cols[0], 0);
		sp_col_push_bool(&b.cols[0], 7);
		sp_col_push_i64(&b.cols[1], INT64_MIN);
		sp_col_push_i64(&b.cols[1], INT64_MAX);
		sp_col_push_null(&b.cols[1]);
		sp_col_push_i64(&b.cols[1], 0);
		sp_col_push_f64(&b.cols[2], 0.1);
		sp_col_push_f64(&b.cols[2], -0.0);
		sp_col_push_f64(&b.cols[2], 1e7);
		sp_col_push_null(&b.cols[2]);
		sp_col_push_null(&b.cols[3]);
		sp_col_push_bytes(&b.cols[3], "", 0);
		sp_col_push_bytes(&b.cols[3], "h\xc3\xa9llo", 6);
		sp_col_push_bytes(&b.cols[3], "x", 1);
		sp_col_push_bytes(&b.cols[4], "\0\1", 2);
		sp_col_push_null(&b.cols[4]);
		sp_col_push_null(&b.cols[4]);
		sp_col_push_bytes(&b.cols[4], "ab", 2);
		sp_col_push_i64(&b.cols[5], 1714557600250000);
		sp_col_push_i64(&b.cols[5], -1);
		sp_col_push_null(&b.cols[5]);
		sp_col_push_i64(&b.cols[5], 0);
		sp_col_push_i64(&b.cols[6], 19844);
		sp_col_push_i64(&b.cols[6], -719162);
		sp_col_push_i64(&b.cols[6], 0);
		sp_col_push_null(&b.cols[6]);
		push_nested(&b.cols[7]);
		/* [[1, 2], null, []], NULL, [], [[null]] */
		sp_col_push_i64(a->child->child, 1);
		sp_col_push_i64(a->child->child, 2);
		sp_col_push_array(a->child);
		sp_col_push_null(a->child);
		sp_col_push_array(a->child);
		sp_col_push_array(a);
		sp_col_push_null(a);
		sp_col_push_array(a);
		sp_col_push_null(a->child->child);
		sp_col_push_array(a->child);
		sp_col_push_array(a);
		for (int r = 0; r < 4; r++)
			sp_batch_row_done(&b);
		{
			static const char *const bools[] = { "true", "NULL", "false", "true" };
			static const char *const longs[] = { "-9223372036854775808", "9223372036854775807", "NULL", "0" };
			static const char *const doubles[] = { "0.1", "-0.0", "1.0E7", "NULL" };
			static const char *const strs[] = { "NULL", "", "h\xc3\xa9llo", "x" };
			static const char *const bins[] = { "\0\1", "NULL", "NULL", "ab" };
			static const char *const tss[] = { "2024-05-01 10:00:00.25", "1969-12-31 23:59:59.999999", "NULL",
							   "1970-01-01 00:00:00" };
			static const char *const dates[] = { "2024-05-01", "0001-01-01", "1970-01-01", "NULL" };
			static const char *const arrs[] = { "[[1, 2], null, []]", "NULL", "[]", "[[null]]" };

			check_rows(&b.cols[0], bools, 4, "BOOLEAN");
			check_rows(&b.cols[1], longs, 4, "LONG");
			check_rows(&b.cols[2], doubles, 4, "DOUBLE");
			check_rows(&b.cols[3], strs, 4, "STRING");
			check_rows(&b.cols[4], bins, 4, "BINARY");
			check_rows(&b.cols[5], tss, 4, "TIMESTAMP");
			check_rows(&b.cols[6], dates, 4, "DATE");
			check_rows(&b.cols[7], nested_rows, 4, "STRUCT");
			check_rows(&b.cols[8], arrs, 4, "ARRAY");
		}
		/* the raw layout */
		CHECK(b.cols[0].valid && (b.cols[0].valid[0] & 0x0f) == 0x0d, "BOOLEAN validity 0x%02x",
		      b.cols[0].valid ? b.cols[0].valid[0] : 0);
		CHECK(((uint8_t *)b.cols[0].data)[1] == 0 && ((uint8_t *)b.cols[0].data)[3] == 1, "BOOLEAN slots");
		CHECK(b.cols[3].off[0] == 0 && b.cols[3].off[1] == 0 && b.cols[3].off[2] == 0 && b.cols[3].off[3] == 6 &&
		      b.cols[3].off[4] == 7, "STRING offsets");
		CHECK(b.cols[7].child[0].n == 4 && sp_col_isnull(&b.cols[7].child[0], 1), "struct NULL pushes NULL children");
		CHECK(b.cols[8].off[2] == b.cols[8].off[1], "NULL array row has an empty range");
		sp_col_get(&b.cols[7], 0, &v);
		CHECK(v.t == SP_T_STRUCT && !v.null && v.u.st.col == &b.cols[7] && v.u.st.row == 0, "struct value");
		sp_col_get(&b.cols[8], 0, &v);
		CHECK(v.t == SP_T_ARRAY && v.u.arr.start == 0 && v.u.arr.len == 3 && v.u.arr.elems == b.cols[8].child,
		      "array value");
		sp_col_get(&b.cols[3], 2, &v);
		CHECK(v.t == SP_T_STRING && v.u.s.len == 6 && !memcmp(v.u.s.p, "h\xc3\xa9llo", 6), "string value");
		sp_col_get(&b.cols[1], 2, &v);
		CHECK(v.null && v.t == SP_T_LONG, "NULL keeps its type");
		CHECK(sp_col_bytes(&b.cols[3]) >= 7 && sp_col_bytes(&b.cols[8]) > 0, "column bytes");
		/* Reset and fill again: the same rows, memory reused; the third round has no NULLs in l. */
		sp_batch_reset(&b);
		CHECK(b.n == 0 && b.cols[0].n == 0 && !b.cols[0].valid && b.cols[7].child[1].child->n == 0, "reset");
		if (round == 1) {
			/* after a reset, a column without NULLs has no bitmap */
			sp_col_push_i64(&b.cols[1], 5);
			CHECK(!b.cols[1].valid, "a reset column keeps a bitmap");
			sp_col_reset(&b.cols[1]);
		}
	}
	sp_batch_release(&b);
	CHECK(t->refs == 1, "batch releases its reference");
	sp_type_unref(t);
}

/* Many rows: bitmaps and buffers grow; NULLs at every 7th row. */
static void test_growth(void)
{
	struct sp_type *t = ddl("l LONG, s STRING, a ARRAY<BOOLEAN>");
	struct sp_batch b;
	int ok = 1;

	sp_batch_init(&b, t);
	for (size_t i = 0; i < 100000; i++) {
		char s[24];
		int n = snprintf(s, sizeof s, "%zu", i);

		if (i % 7 == 3) {
			sp_col_push_null(&b.cols[0]);
			sp_col_push_null(&b.cols[1]);
			sp_col_push_null(&b.cols[2]);
		} else {
			sp_col_push_i64(&b.cols[0], (int64_t)i);
			sp_col_push_bytes(&b.cols[1], s, (size_t)n);
			for (size_t k = 0; k < i % 3; k++)
				sp_col_push_bool(b.cols[2].child, (int)(k & 1));
			sp_col_push_array(&b.cols[2]);
		}
		sp_batch_row_done(&b);
	}
	for (size_t i = 0; i < 100000 && ok; i++) {
		size_t len;
		const char *p;
		char s[24];
		int n = snprintf(s, sizeof s, "%zu", i);

		if (i % 7 == 3) {
			ok = sp_col_isnull(&b.cols[0], i) && sp_col_isnull(&b.cols[1], i) && sp_col_isnull(&b.cols[2], i);
			continue;
		}
		p = sp_col_str(&b.cols[1], i, &len);
		ok = !sp_col_isnull(&b.cols[0], i) && sp_col_i64(&b.cols[0], i) == (int64_t)i && len == (size_t)n &&
		     !memcmp(p, s, len) && b.cols[2].off[i + 1] - b.cols[2].off[i] == i % 3;
		CHECK(ok, "row %zu", i);
	}
	sp_batch_release(&b);
	sp_type_unref(t);
}

/* Row copies between columns: sp_col_push_from and sp_col_push_val. */
static void test_push_from(void)
{
	struct sp_type *t = ddl("s STRUCT<x: LONG, tags: ARRAY<STRING>, inner: STRUCT<d: DOUBLE>>");
	struct sp_col src, dst, dst2;
	static const size_t order[] = { 3, 0, 2, 1, 0 };
	const char *want[5];

	sp_col_init(&src, t->fields[0].type);
	sp_col_init(&dst, t->fields[0].type);
	sp_col_init(&dst2, t->fields[0].type);
	push_nested(&src);
	for (size_t i = 0; i < 5; i++) {
		struct sp_val v;

		sp_col_push_from(&dst, &src, order[i]);
		sp_col_get(&src, order[i], &v);
		sp_col_push_val(&dst2, &v);
		want[i] = nested_rows[order[i]];
	}
	check_rows(&dst, want, 5, "push_from");
	check_rows(&dst2, want, 5, "push_val");
	/* Element by element through values: an array value pushes its elements. */
	{
		struct sp_col tags, ids;
		struct sp_val v, n = { SP_T_NULL, 1, { 0 } };
		const char *const want_tags[] = { "[a, , null]", "[]", "NULL", "NULL" };
		const char *const want_ids[] = { "4", "NULL" };

		sp_col_init(&tags, t->fields[0].type->fields[1].type);
		sp_col_get(&src.child[1], 0, &v);
		sp_col_push_val(&tags, &v);
		sp_col_get(&src.child[1], 2, &v);
		sp_col_push_val(&tags, &v);
		sp_col_get(&src.child[1], 3, &v);
		sp_col_push_val(&tags, &v);
		sp_col_push_val(&tags, &n);
		check_rows(&tags, want_tags, 4, "push_val arrays");
		sp_col_release(&tags);
		sp_col_init(&ids, sp_type_prim(SP_T_LONG));
		sp_col_get(&src.child[0], 3, &v);
		sp_col_push_val(&ids, &v);
		sp_col_get(&src.child[0], 2, &v);
		sp_col_push_val(&ids, &v);
		check_rows(&ids, want_ids, 2, "push_val longs");
		sp_col_release(&ids);
	}
	sp_col_release(&src);
	sp_col_release(&dst);
	sp_col_release(&dst2);
	sp_type_unref(t);
}

/* ---- the arena ---- */

static void test_arena(void)
{
	struct sp_arena a = SP_ARENA_INIT;
	char *p1, *p2, *big, *again;

	p1 = sp_arena_alloc(&a, 1);
	p2 = sp_arena_alloc(&a, 3);
	CHECK((uintptr_t)p1 % 8 == 0 && (uintptr_t)p2 % 8 == 0 && p2 == p1 + 8, "small allocations are 8-aligned and packed");
	memset(p2, 'x', 3);
	big = sp_arena_alloc(&a, 200000);
	CHECK((uintptr_t)big % 8 == 0, "big allocation aligned");
	memset(big, 0, 200000);
	for (int i = 0; i < 10000; i++) {
		char *q = sp_arena_alloc(&a, 24);

		memset(q, i, 24);
	}
	CHECK(p2[0] == 'x' && p2[2] == 'x', "earlier allocation kept");
	sp_arena_reset(&a);
	again = sp_arena_alloc(&a, 16);
	CHECK(again != NULL && (uintptr_t)again % 8 == 0, "alloc after reset");
	memset(again, 1, 16);
	for (int round = 0; round < 100; round++) {
		sp_arena_reset(&a);
		for (int i = 0; i < 1000; i++)
			memset(sp_arena_alloc(&a, 100), round, 100);
	}
	sp_arena_release(&a);
	sp_arena_release(&a);
	CHECK(a.blocks == NULL && a.spare == NULL && a.cur == NULL, "released arena is empty");
	sp_arena_alloc(&a, 8);
	sp_arena_release(&a);
}

int main(void)
{
	sp_setprog("test-value");
	test_ddl();
	test_ddl_errors();
	test_ddl_limits();
	test_parse_one();
	test_equal_and_lookup();
	test_columns();
	test_growth();
	test_push_from();
	test_arena();
	if (failures)
		fprintf(stderr, "test-value: %d failures\n", failures);
	return failures;
}
