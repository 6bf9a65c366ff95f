/*
 * test-agg: the aggregate functions one by one (NULL rules, result types,
 * Spark's arithmetic and merge order), XXH64 against reference vectors,
 * approx_count_distinct's error, and saving and loading states.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "format.h"
#include "hll.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
	printf(__VA_ARGS__); printf("\n"); } } while (0)

#define N_ NAN	/* a NULL in the value lists below */

/* A column of type t from text values ("NULL" for NULL). */
static void col_from(struct sp_col *c, enum sp_type_id t, const char *const *v, size_t n)
{
	sp_col_init(c, sp_type_prim(t));
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i], "NULL")) {
			sp_col_push_null(c);
			continue;
		}
		switch (t) {
		case SP_T_LONG:
		case SP_T_TIMESTAMP:
		case SP_T_DATE:
			sp_col_push_i64(c, strtoll(v[i], NULL, 10));
			break;
		case SP_T_DOUBLE:
			sp_col_push_f64(c, strtod(v[i], NULL));
			break;
		case SP_T_BOOLEAN:
			sp_col_push_bool(c, !strcmp(v[i], "true"));
			break;
		default:
			sp_col_push_bytes(c, v[i], strlen(v[i]));
			break;
		}
	}
}

/* The result of fn over the values, split into batches of split rows (0: one partial), as text. */
static char *run(enum sp_agg_fn fn, enum sp_type_id t, int ignore, const char *const *v, size_t n, size_t split,
		 enum sp_type_id *out_type)
{
	struct sp_agg a;
	struct sp_err err = SP_ERR_INIT;
	struct sp_col c, out;
	struct sp_buf b = SP_BUF_INIT;
	struct sp_val val;
	char *st, *part;

	if (sp_agg_setup(&a, fn, t, ignore, SP_AGG_DEFAULT_RSD, "f(x)", &err) < 0)
		return sp_xasprintf("error: %s", err.msg);
	*out_type = a.out;
	col_from(&c, t == SP_T_NULL ? SP_T_LONG : t, v, n);
	st = sp_xcalloc(1, a.size);
	part = sp_xcalloc(1, a.size);
	sp_agg_init(&a, st);
	for (size_t i = 0; i < n; ) {
		size_t end = split ? i + split : n;

		sp_agg_reset(&a, part);
		for (; i < n && i < end; i++)
			sp_agg_update(&a, part, &c, i);
		sp_agg_renew(&a, st);
		sp_agg_merge(&a, st, part);
	}
	sp_col_init(&out, sp_type_prim(a.out));
	sp_agg_result(&a, st, &out);
	sp_col_get(&out, 0, &val);
	sp_val_format(&b, &val);
	sp_agg_free(&a, st);
	sp_agg_free(&a, part);
	free(st);
	free(part);
	sp_col_release(&c);
	sp_col_release(&out);
	return sp_buf_take(&b);
}

static void test_functions(void)
{
	static const struct {
		enum sp_agg_fn fn;
		enum sp_type_id in;
		int ignore;
		const char *v[8];
		size_t n;
		const char *want;
		enum sp_type_id out;
	} cases[] = {
		{ SP_AGG_COUNT, SP_T_NULL, 0, { "1", "2", "3" }, 3, "3", SP_T_LONG },
		{ SP_AGG_COUNT, SP_T_LONG, 0, { "1", "NULL", "3" }, 3, "2", SP_T_LONG },
		{ SP_AGG_COUNT, SP_T_STRING, 0, { "NULL", "NULL" }, 2, "0", SP_T_LONG },
		{ SP_AGG_COUNT, SP_T_LONG, 0, { 0 }, 0, "0", SP_T_LONG },
		{ SP_AGG_SUM, SP_T_LONG, 0, { "1", "NULL", "2" }, 3, "3", SP_T_LONG },
		{ SP_AGG_SUM, SP_T_LONG, 0, { "NULL", "NULL" }, 2, "NULL", SP_T_LONG },
		{ SP_AGG_SUM, SP_T_LONG, 0, { 0 }, 0, "NULL", SP_T_LONG },
		{ SP_AGG_SUM, SP_T_LONG, 0, { "9223372036854775807", "1" }, 2, "-9223372036854775808", SP_T_LONG },
		{ SP_AGG_SUM, SP_T_DOUBLE, 0, { "0.1", "0.2", "0.3" }, 3, "0.6000000000000001", SP_T_DOUBLE },
		{ SP_AGG_SUM, SP_T_DOUBLE, 0, { "NULL", "-0.0" }, 2, "0.0", SP_T_DOUBLE },
		{ SP_AGG_AVG, SP_T_LONG, 0, { "1", "2", "NULL" }, 3, "1.5", SP_T_DOUBLE },
		{ SP_AGG_AVG, SP_T_DOUBLE, 0, { "NULL" }, 1, "NULL", SP_T_DOUBLE },
		{ SP_AGG_AVG, SP_T_DOUBLE, 0, { "1", "2", "4" }, 3, "2.3333333333333335", SP_T_DOUBLE },
		{ SP_AGG_MIN, SP_T_LONG, 0, { "3", "NULL", "-2", "7" }, 4, "-2", SP_T_LONG },
		{ SP_AGG_MAX, SP_T_LONG, 0, { "3", "NULL", "-2", "7" }, 4, "7", SP_T_LONG },
		{ SP_AGG_MAX, SP_T_LONG, 0, { "NULL" }, 1, "NULL", SP_T_LONG },
		{ SP_AGG_MAX, SP_T_DOUBLE, 0, { "1", "NaN", "2" }, 3, "NaN", SP_T_DOUBLE },
		{ SP_AGG_MIN, SP_T_DOUBLE, 0, { "1", "NaN", "2" }, 3, "1.0", SP_T_DOUBLE },
		{ SP_AGG_MIN, SP_T_DOUBLE, 0, { "0.0", "-0.0" }, 2, "0.0", SP_T_DOUBLE },
		{ SP_AGG_MIN, SP_T_STRING, 0, { "b", "a", "B", "NULL" }, 4, "B", SP_T_STRING },
		{ SP_AGG_MAX, SP_T_STRING, 0, { "b", "ab", "a", "é" }, 4, "é", SP_T_STRING },
		{ SP_AGG_MAX, SP_T_STRING, 0, { "ab", "abc", "a" }, 3, "abc", SP_T_STRING },
		{ SP_AGG_MAX, SP_T_BOOLEAN, 0, { "false", "true", "NULL" }, 3, "true", SP_T_BOOLEAN },
		{ SP_AGG_MIN, SP_T_TIMESTAMP, 0, { "1000000", "NULL", "-5" }, 3, "1969-12-31 23:59:59.999995", SP_T_TIMESTAMP },
		{ SP_AGG_FIRST, SP_T_LONG, 0, { "NULL", "1", "2" }, 3, "NULL", SP_T_LONG },
		{ SP_AGG_FIRST, SP_T_LONG, 1, { "NULL", "1", "2" }, 3, "1", SP_T_LONG },
		{ SP_AGG_LAST, SP_T_LONG, 0, { "1", "2", "NULL" }, 3, "NULL", SP_T_LONG },
		{ SP_AGG_LAST, SP_T_LONG, 1, { "1", "2", "NULL" }, 3, "2", SP_T_LONG },
		{ SP_AGG_FIRST, SP_T_STRING, 0, { "x", "y" }, 2, "x", SP_T_STRING },
		{ SP_AGG_LAST, SP_T_STRING, 0, { "x", "y" }, 2, "y", SP_T_STRING },
		{ SP_AGG_LAST, SP_T_STRING, 1, { "NULL", "NULL" }, 2, "NULL", SP_T_STRING },
		{ SP_AGG_VAR_SAMP, SP_T_LONG, 0, { "1", "2", "3", "4" }, 4, "1.6666666666666667", SP_T_DOUBLE },
		{ SP_AGG_VAR_POP, SP_T_LONG, 0, { "1", "2", "3", "4" }, 4, "1.25", SP_T_DOUBLE },
		{ SP_AGG_STDDEV_SAMP, SP_T_DOUBLE, 0, { "1", "2", "NULL", "3", "4" }, 5, "1.2909944487358056", SP_T_DOUBLE },
		{ SP_AGG_STDDEV_POP, SP_T_DOUBLE, 0, { "1", "2", "3", "4" }, 4, "1.118033988749895", SP_T_DOUBLE },
		{ SP_AGG_VAR_SAMP, SP_T_DOUBLE, 0, { "5" }, 1, "NULL", SP_T_DOUBLE },
		{ SP_AGG_STDDEV_SAMP, SP_T_DOUBLE, 0, { "5", "NULL" }, 2, "NULL", SP_T_DOUBLE },
		{ SP_AGG_VAR_POP, SP_T_DOUBLE, 0, { "5" }, 1, "0.0", SP_T_DOUBLE },
		{ SP_AGG_STDDEV_POP, SP_T_DOUBLE, 0, { "NULL" }, 1, "NULL", SP_T_DOUBLE },
		{ SP_AGG_APPROX_DISTINCT, SP_T_LONG, 0, { "1", "1", "2", "2", "3", "NULL" }, 6, "3", SP_T_LONG },
		{ SP_AGG_APPROX_DISTINCT, SP_T_STRING, 0, { "NULL" }, 1, "0", SP_T_LONG },
		{ SP_AGG_APPROX_DISTINCT, SP_T_DOUBLE, 0, { "0.0", "-0.0", "NaN", "NaN" }, 4, "2", SP_T_LONG },
		/* Spark refuses these types */
		{ SP_AGG_SUM, SP_T_STRING, 0, { "1" }, 1, "error: f(x): sum needs a numeric argument, not STRING", 0 },
		{ SP_AGG_AVG, SP_T_BOOLEAN, 0, { "true" }, 1, "error: f(x): avg needs a numeric argument, not BOOLEAN", 0 },
		{ SP_AGG_STDDEV_SAMP, SP_T_TIMESTAMP, 0, { "1" }, 1,
		  "error: f(x): stddev_samp needs a numeric argument, not TIMESTAMP", 0 },
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		/* one partial, and the same rows in partials of 1 and 2 merged as Spark's final aggregation merges */
		for (size_t split = 0; split <= 2; split++) {
			enum sp_type_id out = 0;
			char *got = run(cases[k].fn, cases[k].in, cases[k].ignore, cases[k].v, cases[k].n, split, &out);

			CHECK(!strcmp(got, cases[k].want) && (out == cases[k].out || !strncmp(got, "error", 5)),
			      "case %zu (%s, split %zu): got '%s' of type %s, want '%s' of type %s", k,
			      sp_agg_name(cases[k].fn), split, got, sp_type_name(out), cases[k].want,
			      sp_type_name(cases[k].out));
			free(got);
		}
	}
}

/* Floating-point results follow Spark's order: partial sums per batch, then saved + partial. */
static void test_order(void)
{
	const char *v[] = { "0.1", "0.2", "0.3", "0.4" };
	enum sp_type_id t;
	char *got = run(SP_AGG_SUM, SP_T_DOUBLE, 0, v, 4, 2, &t), want[64];
	double x = (0.0 + 0.1) + 0.2, y = (0.0 + 0.3) + 0.4;

	sp_double_format((0.0 + x) + y, want);
	CHECK(!strcmp(got, want), "sum of two partials: got %s, want %s", got, want);
	free(got);
	/* the variance's merge rescales the mean: (avg / n) * n, as Spark's CentralMomentAgg */
	{
		const char *w[] = { "0.1", "0.7", "1.3" };

		got = run(SP_AGG_VAR_POP, SP_T_DOUBLE, 0, w, 3, 0, &t);
		{
			double n = 0, avg = 0, m2 = 0, xs[] = { 0.1, 0.7, 1.3 };

			for (int i = 0; i < 3; i++) {
				double nn = n + 1, d = xs[i] - avg, dn = d / nn;

				n = nn;
				avg += dn;
				m2 += d * (d - dn);
			}
			/* merged into a zero buffer: n stays, m2 gains 0 */
			double nm = 0 + n, d = avg - 0, dn = d / nm;

			avg = 0 + dn * n;
			m2 = 0 + m2 + d * dn * 0 * n;
			sp_double_format(m2 / nm, want);
		}
		CHECK(!strcmp(got, want), "var_pop: got %s, want %s", got, want);
		free(got);
	}
}

static void test_names(void)
{
	static const struct {
		const char *name;
		enum sp_agg_fn fn;
	} cases[] = {
		{ "COUNT", SP_AGG_COUNT }, { "mean", SP_AGG_AVG }, { "Std", SP_AGG_STDDEV_SAMP },
		{ "stddev", SP_AGG_STDDEV_SAMP }, { "variance", SP_AGG_VAR_SAMP }, { "first_value", SP_AGG_FIRST },
		{ "last_value", SP_AGG_LAST }, { "approx_count_distinct", SP_AGG_APPROX_DISTINCT },
	};
	enum sp_agg_fn fn;

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		CHECK(sp_agg_find(cases[k].name, &fn) && fn == cases[k].fn, "name %s", cases[k].name);
	CHECK(!sp_agg_find("upper", &fn), "upper is not an aggregate");
	CHECK(!sp_agg_find("count_if", &fn), "count_if is not supported");
}

/* ---- XXH64, as Spark's XXH64 class ---- */

static void test_xxh64(void)
{
	static const struct {
		const char *s;
		uint64_t seed, want;
	} cases[] = {
		/* reference values of the xxHash library */
		{ "", 0, UINT64_C(0xef46db3751d8e999) },
		{ "a", 0, UINT64_C(0xd24ec4f1a98c6e5b) },
		{ "abc", 0, UINT64_C(0x44bc2cf5ad770999) },
		{ "Nobody inspects the spammish repetition", 0, UINT64_C(0xfbcea83c8a378bf1) },
		{ "", 42, UINT64_C(0x98b1582b0977e704) },
		{ "abc", 42, UINT64_C(0x13c1d910702770e6) },
		{ "Nobody inspects the spammish repetition", 42, UINT64_C(0x44582824ca1018b5) },
		{ "building-03/sensor-00123", 42, UINT64_C(0x11dc612a1058b543) },
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		CHECK(sp_xxh64(cases[k].s, strlen(cases[k].s), cases[k].seed) == cases[k].want, "xxh64 '%s' seed %llu",
		      cases[k].s, (unsigned long long)cases[k].seed);
	CHECK(sp_xxh64_long(1, 42) == UINT64_C(0x9ed50fd59358d232), "hashLong(1)");
	CHECK(sp_xxh64_int(1, 42) == UINT64_C(0xa309b38455455929), "hashInt(1)");
	for (int64_t v = -3; v < 300; v += 7) {
		unsigned char b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)((uint64_t)v >> (8 * i));
		CHECK(sp_xxh64_long(v, 42) == sp_xxh64(b, 8, 42), "hashLong(%lld) is XXH64 of its bytes", (long long)v);
		CHECK(sp_xxh64_int((int32_t)v, 42) == sp_xxh64(b, 4, 42), "hashInt(%lld) is XXH64 of its bytes",
		      (long long)v);
	}
}

/* ---- approx_count_distinct ---- */

static int64_t approx(int64_t n, int64_t from, double rsd, uint8_t **keep)
{
	struct sp_agg a;
	struct sp_err err = SP_ERR_INIT;
	struct sp_col c, out;
	uint8_t *st;
	int64_t r;

	if (sp_agg_setup(&a, SP_AGG_APPROX_DISTINCT, SP_T_LONG, 0, rsd, "approx", &err) < 0) {
		CHECK(0, "%s", err.msg);
		return -1;
	}
	sp_col_init(&c, sp_type_prim(SP_T_LONG));
	for (int64_t i = 0; i < n; i++)
		sp_col_push_i64(&c, from + i);
	st = sp_xcalloc(1, a.size);
	for (size_t i = 0; i < c.n; i++)
		sp_agg_update(&a, st, &c, i);
	if (keep && *keep)
		sp_agg_merge(&a, st, *keep);
	sp_col_init(&out, sp_type_prim(SP_T_LONG));
	sp_agg_result(&a, st, &out);
	r = sp_col_i64(&out, 0);
	sp_col_release(&c);
	sp_col_release(&out);
	if (keep && !*keep)
		*keep = st;
	else
		free(st);
	return r;
}

static void test_hll(void)
{
	static const int64_t sizes[] = { 0, 1, 10, 100, 300, 500, 1000, 2000, 5000, 20000, 100000, 1000000 };
	struct sp_err err = SP_ERR_INIT;

	CHECK(sp_hll_precision(0.05, &err) == 9, "rsd 0.05 gives p 9");
	CHECK(sp_hll_precision(0.01, &err) == 14, "rsd 0.01 gives p 14");
	CHECK(sp_hll_precision(0.39, &err) == 4, "rsd 0.39 gives p 4");
	CHECK(sp_hll_precision(0.5, &err) < 0 && err.status == SP_EXIT_USAGE, "rsd 0.5 is refused");
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		int64_t n = sizes[k], got = approx(n, 1000, 0.05, NULL);
		double tol = n < 20 ? 1 : 0.05 * 3 * (double)n;	/* three standard deviations */

		CHECK(fabs((double)(got - n)) <= tol, "approx_count_distinct of %lld values: %lld", (long long)n,
		      (long long)got);
		got = approx(n, -77777, 0.01, NULL);
		tol = n < 20 ? 1 : 0.01 * 3 * (double)n;
		CHECK(fabs((double)(got - n)) <= tol, "approx_count_distinct(x, 0.01) of %lld values: %lld",
		      (long long)n, (long long)got);
	}
	/* merging two sketches counts the union */
	{
		uint8_t *half = NULL;
		int64_t a = approx(5000, 0, 0.05, &half), both = approx(5000, 2500, 0.05, &half);

		CHECK(a > 4000 && a < 6000, "first half %lld", (long long)a);
		CHECK(both > 6000 && both < 9000, "union of 0..5000 and 2500..7500: %lld", (long long)both);
		free(half);
	}
}

/* ---- saving and loading ---- */

static void test_save_load(void)
{
	static const struct {
		enum sp_agg_fn fn;
		enum sp_type_id in;
	} cases[] = {
		{ SP_AGG_COUNT, SP_T_LONG }, { SP_AGG_SUM, SP_T_LONG }, { SP_AGG_SUM, SP_T_DOUBLE },
		{ SP_AGG_AVG, SP_T_DOUBLE }, { SP_AGG_MIN, SP_T_STRING }, { SP_AGG_MAX, SP_T_DOUBLE },
		{ SP_AGG_FIRST, SP_T_STRING }, { SP_AGG_LAST, SP_T_LONG }, { SP_AGG_VAR_SAMP, SP_T_DOUBLE },
		{ SP_AGG_APPROX_DISTINCT, SP_T_STRING },
	};
	const char *vals[] = { "3", "NULL", "1.5", "10", "a longer string value" };

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct sp_agg a;
		struct sp_err err = SP_ERR_INIT;
		struct sp_col c, o1, o2;
		struct sp_buf b = SP_BUF_INIT, t1 = SP_BUF_INIT, t2 = SP_BUF_INIT;
		struct sp_val v;
		char *st, *st2;
		const unsigned char *p;
		size_t n = cases[k].in == SP_T_STRING ? 5 : 4;

		if (sp_agg_setup(&a, cases[k].fn, cases[k].in, 0, 0.05, "f", &err) < 0) {
			CHECK(0, "%s", err.msg);
			continue;
		}
		col_from(&c, cases[k].in, vals, n);
		st = sp_xcalloc(1, a.size);
		st2 = sp_xcalloc(1, a.size);
		for (size_t i = 0; i < n; i++)
			sp_agg_update(&a, st, &c, i);
		sp_agg_save(&a, st, &b);
		p = (const unsigned char *)b.p;
		CHECK(sp_agg_load(&a, st2, &p, p + b.len) == 0 && p == (const unsigned char *)b.p + b.len,
		      "load %s", sp_agg_name(a.fn));
		sp_agg_free(&a, st2);
		p = (const unsigned char *)b.p;
		CHECK(b.len == 0 || sp_agg_load(&a, st2, &p, p + b.len - 1) < 0, "short load %s fails",
		      sp_agg_name(a.fn));
		sp_agg_free(&a, st2);
		p = (const unsigned char *)b.p;
		sp_agg_load(&a, st2, &p, p + b.len);
		sp_col_init(&o1, sp_type_prim(a.out));
		sp_col_init(&o2, sp_type_prim(a.out));
		sp_agg_result(&a, st, &o1);
		sp_agg_result(&a, st2, &o2);
		sp_col_get(&o1, 0, &v);
		sp_val_format(&t1, &v);
		sp_col_get(&o2, 0, &v);
		sp_val_format(&t2, &v);
		CHECK(!strcmp(t1.p, t2.p), "%s after load: %s, before %s", sp_agg_name(a.fn), t2.p, t1.p);
		sp_agg_free(&a, st);
		sp_agg_free(&a, st2);
		free(st);
		free(st2);
		sp_col_release(&c);
		sp_col_release(&o1);
		sp_col_release(&o2);
		sp_buf_release(&b);
		sp_buf_release(&t1);
		sp_buf_release(&t2);
	}
}

int main(void)
{
	test_functions();
	test_order();
	test_names();
	test_xxh64();
	test_hll();
	test_save_load();
	if (failures)
		printf("%d failure(s)\n", failures);
	return failures;
}
