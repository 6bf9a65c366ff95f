/*
 * test-console.c: the console sink prints what Spark 3.5's console sink
 * prints (Dataset.showString under a "Batch: N" banner), byte for byte.
 */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

static int failures;

#define BANNER(n) "-------------------------------------------\nBatch: " #n "\n-------------------------------------------\n"

static struct sp_type *schema(const char *ddl)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *st;

	if (sp_type_parse_ddl(ddl, &st, &err) < 0) {
		fprintf(stderr, "bad test schema: %s\n", err.msg);
		exit(2);
	}
	return st;
}

/* Rows of one STRING or LONG or DOUBLE column per field, values as text (NULL: NULL). */
static void rows_of(struct sp_batch *b, const char *ddl, const char *const *vals, size_t nrows)
{
	struct sp_type *st = schema(ddl);

	sp_batch_init(b, st);
	sp_type_unref(st);
	for (size_t i = 0; i < nrows; i++) {
		for (size_t j = 0; j < st->nfields; j++) {
			const char *v = vals[i * st->nfields + j];
			struct sp_col *c = &b->cols[j];

			if (!v)
				sp_col_push_null(c);
			else if (c->type->id == SP_T_LONG)
				sp_col_push_i64(c, strtoll(v, NULL, 10));
			else if (c->type->id == SP_T_DOUBLE)
				sp_col_push_f64(c, strtod(v, NULL));
			else
				sp_col_push_bytes(c, v, strlen(v));
		}
		sp_batch_row_done(b);
	}
}

static struct sp_console *console(const char *const *kv)
{
	struct sp_kvs o = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_console *c;

	for (; kv && *kv; kv++)
		sp_kvs_add(&o, "-o", *kv);
	if (sp_console_new(&c, &o, &err) < 0) {
		fprintf(stderr, "sp_console_new: %s\n", err.msg);
		exit(2);
	}
	sp_kvs_check_used(&o, "console", "numRows, truncate, vertical");
	sp_kvs_release(&o);
	return c;
}

static void expect(const char *name, struct sp_buf *out, const char *want)
{
	if (strcmp(out->p ? out->p : "", want)) {
		failures++;
		fprintf(stderr, "FAIL %s:\n--- got:\n%s--- want:\n%s---\n", name, out->p ? out->p : "", want);
	}
	sp_buf_reset(out);
}

/* One batch of rows through a console with options kv. */
static void one(const char *name, const char *const *kv, const char *ddl, const char *const *vals, size_t nrows,
		const char *want)
{
	struct sp_console *c = console(kv);
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_batch b;

	rows_of(&b, ddl, vals, nrows);
	sp_console_begin(c, 0);
	sp_console_rows(c, &b, &err);
	sp_console_end(c, &out, &err);
	expect(name, &out, want);
	sp_batch_release(&b);
	sp_buf_release(&out);
	sp_console_free(c);
}

static void test_basic(void)
{
	static const char *const v[] = { "sensor-1", "21.5", "sensor-2", NULL };
	static const char *const n[] = { "1", "2", "3" };

	one("basic", NULL, "device STRING, temperature DOUBLE", v, 2,
	    BANNER(0)
	    "+--------+-----------+\n"
	    "|  device|temperature|\n"
	    "+--------+-----------+\n"
	    "|sensor-1|       21.5|\n"
	    "|sensor-2|       null|\n"
	    "+--------+-----------+\n"
	    "\n");
	one("numRows=2", (const char *const[]){ "numRows=2", NULL }, "n LONG", n, 3,
	    BANNER(0)
	    "+---+\n"
	    "|  n|\n"
	    "+---+\n"
	    "|  1|\n"
	    "|  2|\n"
	    "+---+\n"
	    "only showing top 2 rows\n"
	    "\n");
	one("numRows=1 says row", (const char *const[]){ "numRows=1", NULL }, "n LONG", n, 3,
	    BANNER(0)
	    "+---+\n"
	    "|  n|\n"
	    "+---+\n"
	    "|  1|\n"
	    "+---+\n"
	    "only showing top 1 row\n"
	    "\n");
	one("numRows=3 with 3 rows: no footer", (const char *const[]){ "numRows=3", NULL }, "n LONG", n, 3,
	    BANNER(0)
	    "+---+\n"
	    "|  n|\n"
	    "+---+\n"
	    "|  1|\n"
	    "|  2|\n"
	    "|  3|\n"
	    "+---+\n"
	    "\n");
	one("numRows=0", (const char *const[]){ "numRows=0", NULL }, "n LONG", n, 3,
	    BANNER(0)
	    "+---+\n"
	    "|  n|\n"
	    "+---+\n"
	    "+---+\n"
	    "only showing top 0 rows\n"
	    "\n");
}

static void test_truncate(void)
{
	static const char *const v[] = { "abcdefghijklmnopqrstuvwxyz", "short" };

	one("truncate=true (default)", NULL, "s STRING", v, 2,
	    BANNER(0)
	    "+--------------------+\n"
	    "|                   s|\n"
	    "+--------------------+\n"
	    "|abcdefghijklmnopq...|\n"
	    "|               short|\n"
	    "+--------------------+\n"
	    "\n");
	one("truncate=false aligns left", (const char *const[]){ "truncate=false", NULL }, "s STRING", v, 2,
	    BANNER(0)
	    "+--------------------------+\n"
	    "|s                         |\n"
	    "+--------------------------+\n"
	    "|abcdefghijklmnopqrstuvwxyz|\n"
	    "|short                     |\n"
	    "+--------------------------+\n"
	    "\n");
	one("truncate=5", (const char *const[]){ "truncate=5", NULL }, "s STRING", v, 2,
	    BANNER(0)
	    "+-----+\n"
	    "|    s|\n"
	    "+-----+\n"
	    "|ab...|\n"
	    "|short|\n"
	    "+-----+\n"
	    "\n");
	one("truncate=3 has no ellipsis", (const char *const[]){ "truncate=3", NULL }, "s STRING", v, 2,
	    BANNER(0)
	    "+---+\n"
	    "|  s|\n"
	    "+---+\n"
	    "|abc|\n"
	    "|sho|\n"
	    "+---+\n"
	    "\n");
	/* column names are never cut */
	one("long column name", (const char *const[]){ "truncate=3", NULL }, "a_long_column_name STRING", v, 1,
	    BANNER(0)
	    "+------------------+\n"
	    "|a_long_column_name|\n"
	    "+------------------+\n"
	    "|               abc|\n"
	    "+------------------+\n"
	    "\n");
}

static void test_unicode(void)
{
	static const char *const v[] = { "日本語", "é", "🎉", "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵ" };
	static const char *const m[] = { "a\nb\tc\r\\" };
	static const char *const e[] = { "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉" };

	/*
	 * Full-width characters take two columns (日本語 is 6 wide, the
	 * full-width letters U+FF21... too), é one, the emoji two (a surrogate
	 * pair: Java's length is 2). Truncation counts characters, not columns.
	 */
	one("unicode widths", NULL, "`名前` STRING", v, 4,
	    BANNER(0)
	    "+-------------------------------------+\n"
	    "|                                 名前|\n"
	    "+-------------------------------------+\n"
	    "|                               日本語|\n"
	    "|                                    é|\n"
	    "|                                   🎉|\n"
	    "|ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱ...|\n"
	    "+-------------------------------------+\n"
	    "\n");
	one("meta characters are escaped", NULL, "`a\tb` STRING", m, 1,
	    BANNER(0)
	    "+----------+\n"
	    "|      a\\tb|\n"
	    "+----------+\n"
	    "|a\\nb\\tc\\r\\|\n"
	    "+----------+\n"
	    "\n");
	/* 11 emoji are 22 UTF-16 units: cut to 17 units, which splits the ninth pair */
	one("truncating surrogate pairs", NULL, "e STRING", e, 1,
	    BANNER(0)
	    "+--------------------+\n"
	    "|                   e|\n"
	    "+--------------------+\n"
	    "|🎉🎉🎉🎉🎉🎉🎉🎉?...|\n"
	    "+--------------------+\n"
	    "\n");
}

/* Every type, nested ones as Spark's CAST(.. AS STRING) shows them. */
static void test_types(void)
{
	struct sp_type *st = schema("id LONG, s STRUCT<a: LONG, b: STRING>, arr ARRAY<LONG>, t TIMESTAMP, d DATE, "
				    "ok BOOLEAN, bin BINARY, x DOUBLE");
	struct sp_console *c = console(NULL);
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_batch b;
	int64_t ts, day;

	sp_batch_init(&b, st);
	sp_ts_parse("2024-05-01 10:00:00", 19, &ts);
	sp_date_parse("2024-05-01", 10, &day);
	/* row 0 */
	sp_col_push_i64(&b.cols[0], 1);
	sp_col_push_i64(&b.cols[1].child[0], 1);
	sp_col_push_bytes(&b.cols[1].child[1], "a", 1);
	sp_col_push_struct(&b.cols[1]);
	sp_col_push_i64(&b.cols[2].child[0], 1);
	sp_col_push_i64(&b.cols[2].child[0], 2);
	sp_col_push_array(&b.cols[2]);
	sp_col_push_i64(&b.cols[3], ts);
	sp_col_push_i64(&b.cols[4], day);
	sp_col_push_bool(&b.cols[5], 1);
	sp_col_push_bytes(&b.cols[6], "ab", 2);
	sp_col_push_f64(&b.cols[7], 1e7);
	sp_batch_row_done(&b);
	/* row 1: NULLs inside and out */
	sp_col_push_i64(&b.cols[0], 2);
	sp_col_push_null(&b.cols[1].child[0]);
	sp_col_push_bytes(&b.cols[1].child[1], "x", 1);
	sp_col_push_struct(&b.cols[1]);
	sp_col_push_i64(&b.cols[2].child[0], 3);
	sp_col_push_null(&b.cols[2].child[0]);
	sp_col_push_array(&b.cols[2]);
	sp_col_push_i64(&b.cols[3], ts + 500000);
	sp_col_push_null(&b.cols[4]);
	sp_col_push_bool(&b.cols[5], 0);
	sp_col_push_bytes(&b.cols[6], "\x01\xff", 2);
	sp_col_push_f64(&b.cols[7], 0.1);
	sp_batch_row_done(&b);
	/* row 2 */
	sp_col_push_null(&b.cols[0]);
	sp_col_push_null(&b.cols[1]);
	sp_col_push_array(&b.cols[2]);
	sp_col_push_null(&b.cols[3]);
	sp_col_push_i64(&b.cols[4], day);
	sp_col_push_null(&b.cols[5]);
	sp_col_push_null(&b.cols[6]);
	sp_col_push_null(&b.cols[7]);
	sp_batch_row_done(&b);
	sp_console_begin(c, 7);
	sp_console_rows(c, &b, &err);
	sp_console_end(c, &out, &err);
	expect("types", &out,
	       BANNER(7)
	       "+----+---------+---------+--------------------+----------+-----+-------+-----+\n"
	       "|  id|        s|      arr|                   t|         d|   ok|    bin|    x|\n"
	       "+----+---------+---------+--------------------+----------+-----+-------+-----+\n"
	       "|   1|   {1, a}|   [1, 2]| 2024-05-01 10:00:00|2024-05-01| true|[61 62]|1.0E7|\n"
	       "|   2|{null, x}|[3, null]|2024-05-01 10:00:...|      null|false|[01 FF]|  0.1|\n"
	       "|null|     null|       []|                null|2024-05-01| null|   null| null|\n"
	       "+----+---------+---------+--------------------+----------+-----+-------+-----+\n"
	       "\n");
	sp_batch_release(&b);
	sp_type_unref(st);
	sp_buf_release(&out);
	sp_console_free(c);
}

/* Batches in a row: ids, rows forgotten between batches, empty batches, several row frames. */
static void test_batches(void)
{
	static const char *const v1[] = { "a", "1", "b", "2" };
	static const char *const v2[] = { "c", "3" };
	static const char *const n[] = { "5" };
	struct sp_console *c = console((const char *const[]){ "numRows=3", NULL });
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_batch b1, b2, bn;

	/* no rows ever: a table without columns */
	sp_console_begin(c, 0);
	sp_console_end(c, &out, &err);
	expect("empty first batch", &out, BANNER(0) "++\n||\n++\n++\n\n");

	rows_of(&b1, "k STRING, v LONG", v1, 2);
	rows_of(&b2, "k STRING, v LONG", v2, 1);
	sp_console_begin(c, 1);
	sp_console_rows(c, &b1, &err);
	sp_console_rows(c, &b2, &err);
	sp_console_rows(c, &b1, &err);
	sp_console_end(c, &out, &err);
	expect("rows from several frames", &out,
	       BANNER(1)
	       "+---+---+\n"
	       "|  k|  v|\n"
	       "+---+---+\n"
	       "|  a|  1|\n"
	       "|  b|  2|\n"
	       "|  c|  3|\n"
	       "+---+---+\n"
	       "only showing top 3 rows\n"
	       "\n");

	/* an empty batch shows the last schema */
	sp_console_begin(c, 2);
	sp_console_end(c, &out, &err);
	expect("empty batch", &out,
	       BANNER(2)
	       "+---+---+\n"
	       "|  k|  v|\n"
	       "+---+---+\n"
	       "+---+---+\n"
	       "\n");

	/* the schema changes within a batch: two tables */
	rows_of(&bn, "n LONG", n, 1);
	sp_console_begin(c, 3);
	sp_console_rows(c, &b2, &err);
	sp_console_rows(c, &bn, &err);
	sp_console_end(c, &out, &err);
	expect("schema change", &out,
	       BANNER(3)
	       "+---+---+\n"
	       "|  k|  v|\n"
	       "+---+---+\n"
	       "|  c|  3|\n"
	       "+---+---+\n"
	       "\n"
	       "+---+\n"
	       "|  n|\n"
	       "+---+\n"
	       "|  5|\n"
	       "+---+\n"
	       "\n");

	/* and the next batch starts fresh with the new schema */
	sp_console_begin(c, 4);
	sp_console_rows(c, &bn, &err);
	sp_console_end(c, &out, &err);
	expect("after the schema change", &out,
	       BANNER(4)
	       "+---+\n"
	       "|  n|\n"
	       "+---+\n"
	       "|  5|\n"
	       "+---+\n"
	       "\n");
	sp_batch_release(&b1);
	sp_batch_release(&b2);
	sp_batch_release(&bn);
	sp_buf_release(&out);
	sp_console_free(c);
}

static void test_vertical(void)
{
	static const char *const v[] = { "sensor-1", "21.5", "sensor-2", NULL, "sensor-3", "3" };
	struct sp_console *c = console((const char *const[]){ "vertical=true", "numRows=2", NULL });
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_batch b;

	rows_of(&b, "device STRING, temperature DOUBLE", v, 3);
	sp_console_begin(c, 0);
	sp_console_rows(c, &b, &err);
	sp_console_end(c, &out, &err);
	expect("vertical", &out,
	       BANNER(0)
	       "-RECORD 0---------------\n"
	       " device      | sensor-1 \n"
	       " temperature | 21.5     \n"
	       "-RECORD 1---------------\n"
	       " device      | sensor-2 \n"
	       " temperature | null     \n"
	       "only showing top 2 rows\n"
	       "\n");
	sp_console_begin(c, 1);
	sp_console_end(c, &out, &err);
	expect("vertical, no rows", &out, BANNER(1) "(0 rows)\n\n");
	sp_batch_release(&b);
	sp_buf_release(&out);
	sp_console_free(c);
}

int main(void)
{
	test_basic();
	test_truncate();
	test_unicode();
	test_types();
	test_batches();
	test_vertical();
	printf("test-console: 24 cases, %d failures\n", failures);
	return failures;
}
