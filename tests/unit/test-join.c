/*
 * test-join: join type names, and the state watermarks derived from time
 * range conditions (Spark's StreamingJoinHelper): which stored rows a
 * batch without data evicts, strict and non-strict bounds, BETWEEN, and
 * matches found in both directions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "frame.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-join:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

#define H (3600 * INT64_C(1000000))

static void rows(struct sp_batch *b, const int64_t *t, size_t n)
{
	sp_batch_reset(b);
	for (size_t i = 0; i < n; i++) {
		sp_col_push_i64(&b->cols[0], 1);
		sp_col_push_i64(&b->cols[1], t[i]);
		sp_batch_row_done(b);
	}
}

static const struct {
	const char *on;
	const char *type;
	uint64_t removed;	/* by the batch without data, watermark 09:00 */
	uint64_t matches;
} cases[] = {
	/* left.t > right.t - 1h: left rows with t <= 09:00 - 1h go; 09:00 does not match 10:00 */
	{ "left.k = right.k AND left.t > right.t - INTERVAL 1 HOUR", "inner", 1, 0 },
	/* non-strict: the bound is 1 ms lower, 08:00 stays; 09:00 matches */
	{ "left.k = right.k AND left.t >= right.t - INTERVAL 1 HOUR", "inner", 0, 1 },
	{ "left.k = right.k AND right.t - INTERVAL 1 HOUR < left.t", "inner", 1, 0 },
	{ "left.k = right.k AND left.t BETWEEN right.t - INTERVAL 1 HOUR AND right.t", "inner", 0, 1 },
	/* no lower bound on either side: nothing goes */
	{ "left.k = right.k AND left.t < right.t", "inner", 0, 2 },
	{ "left.k = right.k", "inner", 0, 2 },
	/* the unmatched 08:00 row leaves as an outer row */
	{ "left.k = right.k AND left.t > right.t - INTERVAL 1 HOUR", "leftOuter", 1, 1 },
	{ "left.k = right.k AND left.t >= right.t - INTERVAL 1 HOUR", "leftSemi", 0, 1 },
};

static void test_eviction(void)
{
	struct sp_type *schema;
	struct sp_err err = SP_ERR_INIT;
	struct sp_batch b;

	if (sp_type_parse_ddl("k LONG, t TIMESTAMP", &schema, &err) < 0) {
		CHECK(0, "ddl: %s", err.msg);
		return;
	}
	sp_batch_init(&b, schema);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct sp_join_opts o = { cases[c].on, (enum sp_join_type)sp_join_type_parse(cases[c].type),
					  { "left", "right" }, 1, { "t", "t" }, { 0, 0 } };
		struct sp_join *j = NULL;
		struct sp_join_stats st;
		int64_t l[] = { 8 * H, 9 * H }, r[] = { 10 * H };
		uint64_t out;
		int moved = 0;

		memset(&err, 0, sizeof err);
		if (sp_join_new(&j, &o, &err) < 0 || sp_join_bind(j, schema, schema, &err) < 0) {
			CHECK(0, "case %zu '%s': %s", c, cases[c].on, err.msg);
			sp_join_free(j);
			continue;
		}
		sp_join_begin(j);
		rows(&b, l, 2);
		sp_join_rows(j, 0, &b, &err);
		rows(&b, r, 1);
		sp_join_rows(j, 1, &b, &err);
		sp_join_end(j, &moved);
		CHECK(moved && sp_join_watermark(j) == 9 * H, "case %zu: watermark %lld, moved %d", c,
		      (long long)sp_join_watermark(j), moved);
		sp_join_begin(j);
		sp_join_end(j, &moved);
		sp_join_stats(j, &st);
		out = sp_join_output(j)->n;
		CHECK(st.rows_removed == cases[c].removed, "case %zu '%s' %s: removed %llu, want %llu", c,
		      cases[c].on, cases[c].type, (unsigned long long)st.rows_removed,
		      (unsigned long long)cases[c].removed);
		CHECK(out == cases[c].matches, "case %zu '%s' %s: %llu rows out, want %llu", c, cases[c].on,
		      cases[c].type, (unsigned long long)out, (unsigned long long)cases[c].matches);
		sp_join_free(j);
	}
	sp_batch_release(&b);
	sp_type_unref(schema);
}

static void test_types(void)
{
	static const struct {
		const char *s;
		int t;
	} names[] = {
		{ "inner", SP_JOIN_INNER }, { "leftOuter", SP_JOIN_LEFT_OUTER }, { "LEFT", SP_JOIN_LEFT_OUTER },
		{ "left_outer", SP_JOIN_LEFT_OUTER }, { "rightOuter", SP_JOIN_RIGHT_OUTER },
		{ "fullOuter", SP_JOIN_FULL_OUTER }, { "full", SP_JOIN_FULL_OUTER }, { "leftSemi", SP_JOIN_LEFT_SEMI },
		{ "left_semi", SP_JOIN_LEFT_SEMI }, { "cross", -1 }, { "leftAnti", -1 },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(sp_join_type_parse(names[i].s) == names[i].t, "type '%s': %d", names[i].s,
		      sp_join_type_parse(names[i].s));
	CHECK(!strcmp(sp_join_type_name(SP_JOIN_LEFT_OUTER), "LeftOuter"), "LeftOuter");
}

int main(void)
{
	test_types();
	test_eviction();
	return failures != 0;
}
