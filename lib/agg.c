/*
 * agg.c: the aggregate functions (see agg.h), each written as Spark's
 * DeclarativeAggregate spells it: initial values, update expressions for
 * one input row, merge expressions for two buffers, evaluation.
 *
 *   function     state                  update (x not NULL)      merge(l, r)
 *   count        n                      n + 1                    l.n + r.n
 *   sum          s, set                 (set ? s : 0) + x        r.set ? (l.set ? l.s : 0) + r.s : l
 *   avg          s (double), n          s + x, n + 1             l.s + r.s, l.n + r.n
 *   min/max      v, set                 x if x < v (x > v)       least/greatest, ties keep l
 *   first        v, set, null           v = x unless set         l.set ? l : r
 *   last         v, set, null           v = x                    r.set ? r : l
 *   var/stddev   n, avg, m2 (doubles)   Welford's step           Chan's parallel formula
 *   approx_...   2^p registers          hash, keep max rank      register-wise max
 *
 * avg adds 0.0 for a NULL (it still counts only non-NULL values), as
 * Spark's Average does; sum of LONG wraps around on overflow as Java's
 * longs do (Spark's non-ANSI mode).
 */
#include "agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hll.h"

/* ---- states ---- */

struct st_count {
	int64_t n;
};

struct st_sum {
	union {
		int64_t i;
		double d;
	} s;
	int64_t set;
};

struct st_avg {
	double s;
	int64_t n;
};

struct st_fixed {	/* min, max, first, last of a fixed-size type */
	union {
		int64_t i;
		double d;
	} v;
	uint8_t set, null;
};

struct st_bytes {	/* min, max, first, last of STRING or BINARY */
	char *p;
	uint32_t len, cap;
	uint8_t set, null;
};

struct st_moment {
	double n, avg, m2;
};

static int fixed_type(enum sp_type_id t)
{
	return t == SP_T_BOOLEAN || t == SP_T_LONG || t == SP_T_DOUBLE || t == SP_T_TIMESTAMP || t == SP_T_DATE;
}

static int bytes_type(enum sp_type_id t)
{
	return t == SP_T_STRING || t == SP_T_BINARY;
}

/* ---- names ---- */

static const struct {
	const char *name;
	enum sp_agg_fn fn;
} names[] = {
	{ "count", SP_AGG_COUNT }, { "sum", SP_AGG_SUM }, { "avg", SP_AGG_AVG }, { "mean", SP_AGG_AVG },
	{ "min", SP_AGG_MIN }, { "max", SP_AGG_MAX }, { "first", SP_AGG_FIRST },
	{ "first_value", SP_AGG_FIRST }, { "last", SP_AGG_LAST }, { "last_value", SP_AGG_LAST },
	{ "stddev_samp", SP_AGG_STDDEV_SAMP }, { "stddev", SP_AGG_STDDEV_SAMP }, { "std", SP_AGG_STDDEV_SAMP },
	{ "stddev_pop", SP_AGG_STDDEV_POP }, { "var_samp", SP_AGG_VAR_SAMP }, { "variance", SP_AGG_VAR_SAMP },
	{ "var_pop", SP_AGG_VAR_POP }, { "approx_count_distinct", SP_AGG_APPROX_DISTINCT },
};

int sp_agg_find(const char *name, enum sp_agg_fn *fn)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(name, names[i].name)) {
			*fn = names[i].fn;
			return 1;
		}
	return 0;
}

const char *sp_agg_name(enum sp_agg_fn fn)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].fn == fn)
			return names[i].name;
	return "?";
}

int sp_agg_numeric(enum sp_agg_fn fn)
{
	switch (fn) {
	case SP_AGG_SUM:
	case SP_AGG_AVG:
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP:
		return 1;
	default:
		return 0;
	}
}

int sp_agg_setup(struct sp_agg *a, enum sp_agg_fn fn, enum sp_type_id in, int ignore_nulls, double rsd,
		 const char *call, struct sp_err *err)
{
	memset(a, 0, sizeof *a);
	a->fn = fn;
	a->in = in;
	a->ignore_nulls = ignore_nulls;
	if (sp_agg_numeric(fn) && in != SP_T_LONG && in != SP_T_DOUBLE)
		return sp_err_usage(err, "%s: %s needs a numeric argument, not %s", call, sp_agg_name(fn),
				    sp_type_name(in));
	if ((fn == SP_AGG_MIN || fn == SP_AGG_MAX || fn == SP_AGG_FIRST || fn == SP_AGG_LAST ||
	     fn == SP_AGG_APPROX_DISTINCT) && !fixed_type(in) && !bytes_type(in))
		return sp_err_usage(err, "%s: %s of a %s value is not supported", call, sp_agg_name(fn),
				    sp_type_name(in));
	switch (fn) {
	case SP_AGG_COUNT:
		a->out = SP_T_LONG;
		a->size = sizeof(struct st_count);
		break;
	case SP_AGG_SUM:
		a->out = in;
		a->size = sizeof(struct st_sum);
		break;
	case SP_AGG_AVG:
		a->out = SP_T_DOUBLE;
		a->size = sizeof(struct st_avg);
		break;
	case SP_AGG_MIN:
	case SP_AGG_MAX:
	case SP_AGG_FIRST:
	case SP_AGG_LAST:
		a->out = in;
		a->size = bytes_type(in) ? sizeof(struct st_bytes) : sizeof(struct st_fixed);
		break;
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP:
		a->out = SP_T_DOUBLE;
		a->size = sizeof(struct st_moment);
		break;
	case SP_AGG_APPROX_DISTINCT:
		a->out = SP_T_LONG;
		if ((a->p = sp_hll_precision(rsd, err)) < 0)
			return -1;
		a->size = (uint32_t)1 << a->p;
		break;
	}
	a->size = (a->size + 7) & ~7u;
	return 0;
}

void sp_agg_init(const struct sp_agg *a, void *st)
{
	memset(st, 0, a->size);
}

void sp_agg_reset(const struct sp_agg *a, void *st)
{
	if ((a->fn == SP_AGG_MIN || a->fn == SP_AGG_MAX || a->fn == SP_AGG_FIRST || a->fn == SP_AGG_LAST) &&
	    bytes_type(a->in)) {
		struct st_bytes *s = st;

		s->len = 0;
		s->set = s->null = 0;
		return;
	}
	memset(st, 0, a->size);
}

/* ---- comparisons, as Spark's SQL ordering ---- */

/* Doubles: -0.0 equals 0.0, NaN equals NaN and is above everything. */
static int cmp_double(double x, double y)
{
	if (x == y)
		return 0;
	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	return x < y ? -1 : 1;
}

static int cmp_fixed(enum sp_type_id t, const struct st_fixed *s, int64_t i, double d)
{
	if (t == SP_T_DOUBLE)
		return cmp_double(d, s->v.d);
	return i < s->v.i ? -1 : i > s->v.i;
}

static int cmp_bytes(const char *p, size_t len, const struct st_bytes *s)
{
	size_t n = len < s->len ? len : s->len;
	int c = n ? memcmp(p, s->p, n) : 0;

	if (c)
		return c;
	return len < s->len ? -1 : len > s->len;
}

static void bytes_set(struct st_bytes *s, const char *p, size_t len)
{
	if (len > s->cap) {
		size_t cap = s->cap ? s->cap : 16;

		while (cap < len)
			cap *= 2;
		s->p = sp_xrealloc(s->p, cap);
		s->cap = (uint32_t)cap;
	}
	if (len)
		memcpy(s->p, p, len);
	s->len = (uint32_t)len;
}

/* ---- reading an input value ---- */

static int64_t in_i64(const struct sp_col *c, size_t i)
{
	if (c->type->id == SP_T_BOOLEAN)
		return sp_col_bool(c, i);
	return sp_col_i64(c, i);
}

static double in_f64(const struct sp_col *c, size_t i)
{
	return c->type->id == SP_T_DOUBLE ? sp_col_f64(c, i) : (double)sp_col_i64(c, i);
}

/* Spark's XxHash64Function.hash(value, type, 42) for approx_count_distinct. */
static uint64_t hll_hash(const struct sp_col *c, size_t i)
{
	size_t len;
	const char *p;
	double d;
	int64_t bits;

	switch (c->type->id) {
	case SP_T_BOOLEAN:
		return sp_xxh64_int(sp_col_bool(c, i) ? 1 : 0, 42);
	case SP_T_DATE:
		return sp_xxh64_int((int32_t)sp_col_i64(c, i), 42);
	case SP_T_DOUBLE:
		d = sp_col_f64(c, i);
		if (d == 0)
			d = 0.0;	/* -0.0 hashes as 0.0 */
		if (isnan(d))
			bits = INT64_C(0x7ff8000000000000);
		else
			memcpy(&bits, &d, sizeof bits);
		return sp_xxh64_long(bits, 42);
	case SP_T_STRING:
	case SP_T_BINARY:
		p = sp_col_str(c, i, &len);
		return sp_xxh64(p, len, 42);
	default:
		return sp_xxh64_long(sp_col_i64(c, i), 42);
	}
}

/* ---- update ---- */

static void moment_add(struct st_moment *m, double x)
{
	double n = m->n + 1.0, delta = x - m->avg, deltan = delta / n;

	m->n = n;
	m->avg = m->avg + deltan;
	m->m2 = m->m2 + delta * (delta - deltan);
}

void sp_agg_update(const struct sp_agg *a, void *st, const struct sp_col *c, size_t i)
{
	int null = c && a->in != SP_T_NULL && sp_col_isnull(c, i);

	switch (a->fn) {
	case SP_AGG_COUNT:
		if (!null)
			((struct st_count *)st)->n++;
		break;
	case SP_AGG_SUM: {
		struct st_sum *s = st;

		if (null)
			break;
		if (a->in == SP_T_DOUBLE)
			s->s.d = (s->set ? s->s.d : 0.0) + sp_col_f64(c, i);
		else
			s->s.i = (int64_t)((uint64_t)(s->set ? s->s.i : 0) + (uint64_t)sp_col_i64(c, i));
		s->set = 1;
		break;
	}
	case SP_AGG_AVG: {
		struct st_avg *s = st;

		s->s = s->s + (null ? 0.0 : in_f64(c, i));
		if (!null)
			s->n++;
		break;
	}
	case SP_AGG_MIN:
	case SP_AGG_MAX: {
		int sign = a->fn == SP_AGG_MIN ? -1 : 1;

		if (null)
			break;
		if (bytes_type(a->in)) {
			struct st_bytes *s = st;
			size_t len;
			const char *p = sp_col_str(c, i, &len);

			if (!s->set || cmp_bytes(p, len, s) * sign > 0) {
				bytes_set(s, p, len);
				s->set = 1;
			}
		} else {
			struct st_fixed *s = st;
			int64_t v = a->in == SP_T_DOUBLE ? 0 : in_i64(c, i);
			double d = a->in == SP_T_DOUBLE ? sp_col_f64(c, i) : 0;

			if (!s->set || cmp_fixed(a->in, s, v, d) * sign > 0) {
				if (a->in == SP_T_DOUBLE)
					s->v.d = d;
				else
					s->v.i = v;
				s->set = 1;
			}
		}
		break;
	}
	case SP_AGG_FIRST:
	case SP_AGG_LAST: {
		uint8_t *set = bytes_type(a->in) ? &((struct st_bytes *)st)->set : &((struct st_fixed *)st)->set;
		uint8_t *isnull = bytes_type(a->in) ? &((struct st_bytes *)st)->null : &((struct st_fixed *)st)->null;

		if (null && a->ignore_nulls)
			break;
		if (a->fn == SP_AGG_FIRST && *set)
			break;
		*set = 1;
		*isnull = (uint8_t)null;
		if (null)
			break;
		if (bytes_type(a->in)) {
			size_t len;
			const char *p = sp_col_str(c, i, &len);

			bytes_set(st, p, len);
		} else if (a->in == SP_T_DOUBLE) {
			((struct st_fixed *)st)->v.d = sp_col_f64(c, i);
		} else {
			((struct st_fixed *)st)->v.i = in_i64(c, i);
		}
		break;
	}
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP:
		if (!null)
			moment_add(st, in_f64(c, i));
		break;
	case SP_AGG_APPROX_DISTINCT:
		if (!null)
			sp_hll_add(st, a->p, hll_hash(c, i));
		break;
	}
}

void sp_agg_update_many(const struct sp_agg *a, char *const *st, size_t off, const struct sp_col *c, size_t n)
{
	const uint8_t *valid = c && a->in != SP_T_NULL ? c->valid : NULL;

#define ROWS for (size_t i = 0; i < n; i++) if (st[i] && (!valid || (valid[i >> 3] >> (i & 7) & 1)))
#define ST(type) ((type *)(st[i] + off))
	/* the common cases get their own loops; the rest go row by row */
	switch (a->fn) {
	case SP_AGG_COUNT:
		ROWS ST(struct st_count)->n++;
		return;
	case SP_AGG_SUM:
		if (a->in == SP_T_DOUBLE) {
			const double *x = c->data;

			ROWS {
				struct st_sum *s = ST(struct st_sum);

				s->s.d = (s->set ? s->s.d : 0.0) + x[i];
				s->set = 1;
			}
		} else {
			const int64_t *x = c->data;

			ROWS {
				struct st_sum *s = ST(struct st_sum);

				s->s.i = (int64_t)((uint64_t)(s->set ? s->s.i : 0) + (uint64_t)x[i]);
				s->set = 1;
			}
		}
		return;
	case SP_AGG_AVG:
		if (a->in == SP_T_DOUBLE && !valid) {
			const double *x = c->data;

			ROWS {
				struct st_avg *s = ST(struct st_avg);

				s->s = s->s + x[i];
				s->n++;
			}
			return;
		}
		break;
	case SP_AGG_MIN:
	case SP_AGG_MAX:
		if (a->in == SP_T_DOUBLE) {
			const double *x = c->data;
			int sign = a->fn == SP_AGG_MIN ? -1 : 1;

			ROWS {
				struct st_fixed *s = ST(struct st_fixed);

				if (!s->set || cmp_double(x[i], s->v.d) * sign > 0) {
					s->v.d = x[i];
					s->set = 1;
				}
			}
			return;
		}
		if (a->in == SP_T_LONG || a->in == SP_T_TIMESTAMP || a->in == SP_T_DATE) {
			const int64_t *x = c->data;

			ROWS {
				struct st_fixed *s = ST(struct st_fixed);

				if (!s->set || (a->fn == SP_AGG_MIN ? x[i] < s->v.i : x[i] > s->v.i)) {
					s->v.i = x[i];
					s->set = 1;
				}
			}
			return;
		}
		break;
	default:
		break;
	}
#undef ROWS
#undef ST
	for (size_t i = 0; i < n; i++)
		if (st[i])
			sp_agg_update(a, st[i] + off, c, i);
}

/* ---- merge ---- */

static void moment_merge(struct st_moment *l, const struct st_moment *r)
{
	double n1 = l->n, n2 = r->n, n = n1 + n2;
	double delta = r->avg - l->avg;
	double deltan = n == 0.0 ? 0.0 : delta / n;

	l->n = n;
	l->avg = l->avg + deltan * n2;
	l->m2 = l->m2 + r->m2 + delta * deltan * n1 * n2;
}

static void copy_value(const struct sp_agg *a, void *dst, const void *src)
{
	if (bytes_type(a->in)) {
		struct st_bytes *d = dst;
		const struct st_bytes *s = src;

		bytes_set(d, s->p, s->len);
		d->set = s->set;
		d->null = s->null;
	} else {
		memcpy(dst, src, sizeof(struct st_fixed));
	}
}

void sp_agg_merge(const struct sp_agg *a, void *dst, const void *src)
{
	switch (a->fn) {
	case SP_AGG_COUNT:
		((struct st_count *)dst)->n += ((const struct st_count *)src)->n;
		break;
	case SP_AGG_SUM: {
		struct st_sum *l = dst;
		const struct st_sum *r = src;

		if (!r->set)
			break;
		if (a->in == SP_T_DOUBLE)
			l->s.d = (l->set ? l->s.d : 0.0) + r->s.d;
		else
			l->s.i = (int64_t)((uint64_t)(l->set ? l->s.i : 0) + (uint64_t)r->s.i);
		l->set = 1;
		break;
	}
	case SP_AGG_AVG: {
		struct st_avg *l = dst;
		const struct st_avg *r = src;

		l->s = l->s + r->s;
		l->n += r->n;
		break;
	}
	case SP_AGG_MIN:
	case SP_AGG_MAX: {
		int sign = a->fn == SP_AGG_MIN ? -1 : 1;
		int take;

		if (bytes_type(a->in)) {
			const struct st_bytes *r = src;

			take = r->set && (!((struct st_bytes *)dst)->set || cmp_bytes(r->p, r->len, dst) * sign > 0);
		} else {
			const struct st_fixed *r = src;

			take = r->set && (!((struct st_fixed *)dst)->set ||
					  cmp_fixed(a->in, dst, r->v.i, r->v.d) * sign > 0);
		}
		if (take)
			copy_value(a, dst, src);
		break;
	}
	case SP_AGG_FIRST:
	case SP_AGG_LAST: {
		int lset = bytes_type(a->in) ? ((struct st_bytes *)dst)->set : ((struct st_fixed *)dst)->set;
		int rset = bytes_type(a->in) ? ((const struct st_bytes *)src)->set : ((const struct st_fixed *)src)->set;

		if (a->fn == SP_AGG_FIRST ? !lset && rset : rset)
			copy_value(a, dst, src);
		break;
	}
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP:
		moment_merge(dst, src);
		break;
	case SP_AGG_APPROX_DISTINCT:
		sp_hll_merge(dst, src, a->p);
		break;
	}
}

void sp_agg_renew(const struct sp_agg *a, void *st)
{
	switch (a->fn) {
	case SP_AGG_SUM:
	case SP_AGG_AVG:
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP: {
		/* merging into zeros is not the identity in floating point: 0.0 + -0.0, (avg / n) * n */
		uint64_t tmp[4];

		memset(tmp, 0, sizeof tmp);
		sp_agg_merge(a, tmp, st);
		memcpy(st, tmp, a->size);
		break;
	}
	default:
		break;
	}
}

/* ---- results ---- */

void sp_agg_result(const struct sp_agg *a, const void *st, struct sp_col *out)
{
	switch (a->fn) {
	case SP_AGG_COUNT:
		sp_col_push_i64(out, ((const struct st_count *)st)->n);
		return;
	case SP_AGG_SUM: {
		const struct st_sum *s = st;

		if (!s->set)
			sp_col_push_null(out);
		else if (a->in == SP_T_DOUBLE)
			sp_col_push_f64(out, s->s.d);
		else
			sp_col_push_i64(out, s->s.i);
		return;
	}
	case SP_AGG_AVG: {
		const struct st_avg *s = st;

		if (!s->n)
			sp_col_push_null(out);
		else
			sp_col_push_f64(out, s->s / (double)s->n);
		return;
	}
	case SP_AGG_MIN:
	case SP_AGG_MAX:
	case SP_AGG_FIRST:
	case SP_AGG_LAST:
		if (bytes_type(a->in)) {
			const struct st_bytes *s = st;

			if (!s->set || s->null)
				sp_col_push_null(out);
			else
				sp_col_push_bytes(out, s->p, s->len);
		} else {
			const struct st_fixed *s = st;

			if (!s->set || s->null)
				sp_col_push_null(out);
			else if (a->in == SP_T_DOUBLE)
				sp_col_push_f64(out, s->v.d);
			else if (a->in == SP_T_BOOLEAN)
				sp_col_push_bool(out, (int)s->v.i);
			else
				sp_col_push_i64(out, s->v.i);
		}
		return;
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP: {
		const struct st_moment *m = st;
		int samp = a->fn == SP_AGG_STDDEV_SAMP || a->fn == SP_AGG_VAR_SAMP;
		double v;

		/* Spark 3: NULL for no values, and for one value where it would divide by zero */
		if (m->n == 0.0 || (samp && m->n == 1.0)) {
			sp_col_push_null(out);
			return;
		}
		v = samp ? m->m2 / (m->n - 1.0) : m->m2 / m->n;
		if (a->fn == SP_AGG_STDDEV_SAMP || a->fn == SP_AGG_STDDEV_POP)
			v = sqrt(v);
		sp_col_push_f64(out, v);
		return;
	}
	case SP_AGG_APPROX_DISTINCT:
		sp_col_push_i64(out, sp_hll_estimate(st, a->p));
		return;
	}
}

int sp_agg_has_heap(const struct sp_agg *a)
{
	return (a->fn == SP_AGG_MIN || a->fn == SP_AGG_MAX || a->fn == SP_AGG_FIRST || a->fn == SP_AGG_LAST) &&
	       bytes_type(a->in);
}

void sp_agg_free(const struct sp_agg *a, void *st)
{
	if (sp_agg_has_heap(a)) {
		struct st_bytes *s = st;

		free(s->p);
		s->p = NULL;
		s->cap = s->len = 0;
	}
}

size_t sp_agg_heap(const struct sp_agg *a, const void *st)
{
	if (sp_agg_has_heap(a))
		return ((const struct st_bytes *)st)->cap;
	return 0;
}

/* ---- serialising ---- */

static void put_u64(struct sp_buf *b, uint64_t v)
{
	unsigned char c[8];

	for (int i = 0; i < 8; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	sp_buf_add(b, c, 8);
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t dbits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof u);
	return u;
}

static double bitsd(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

void sp_agg_save(const struct sp_agg *a, const void *st, struct sp_buf *out)
{
	switch (a->fn) {
	case SP_AGG_COUNT:
		put_u64(out, (uint64_t)((const struct st_count *)st)->n);
		break;
	case SP_AGG_SUM: {
		const struct st_sum *s = st;

		put_u64(out, (uint64_t)s->s.i);
		sp_buf_addc(out, (char)s->set);
		break;
	}
	case SP_AGG_AVG: {
		const struct st_avg *s = st;

		put_u64(out, dbits(s->s));
		put_u64(out, (uint64_t)s->n);
		break;
	}
	case SP_AGG_MIN:
	case SP_AGG_MAX:
	case SP_AGG_FIRST:
	case SP_AGG_LAST:
		if (bytes_type(a->in)) {
			const struct st_bytes *s = st;

			sp_buf_addc(out, (char)(s->set | s->null << 1));
			put_u64(out, s->len);
			sp_buf_add(out, s->p, s->len);
		} else {
			const struct st_fixed *s = st;

			sp_buf_addc(out, (char)(s->set | s->null << 1));
			put_u64(out, (uint64_t)s->v.i);
		}
		break;
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP: {
		const struct st_moment *m = st;

		put_u64(out, dbits(m->n));
		put_u64(out, dbits(m->avg));
		put_u64(out, dbits(m->m2));
		break;
	}
	case SP_AGG_APPROX_DISTINCT:
		sp_buf_add(out, st, (size_t)1 << a->p);
		break;
	}
}

int sp_agg_load(const struct sp_agg *a, void *st, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	size_t need;

#define NEED(k) do { need = (k); if ((size_t)(end - p) < need) return -1; } while (0)
	sp_agg_init(a, st);
	switch (a->fn) {
	case SP_AGG_COUNT:
		NEED(8);
		((struct st_count *)st)->n = (int64_t)get_u64(p);
		p += 8;
		break;
	case SP_AGG_SUM: {
		struct st_sum *s = st;

		NEED(9);
		s->s.i = (int64_t)get_u64(p);
		s->set = p[8] != 0;
		p += 9;
		break;
	}
	case SP_AGG_AVG: {
		struct st_avg *s = st;

		NEED(16);
		s->s = bitsd(get_u64(p));
		s->n = (int64_t)get_u64(p + 8);
		p += 16;
		break;
	}
	case SP_AGG_MIN:
	case SP_AGG_MAX:
	case SP_AGG_FIRST:
	case SP_AGG_LAST:
		NEED(9);
		if (bytes_type(a->in)) {
			struct st_bytes *s = st;
			uint64_t len = get_u64(p + 1);

			s->set = p[0] & 1;
			s->null = p[0] >> 1 & 1;
			p += 9;
			if (len > UINT32_MAX || (uint64_t)(end - p) < len)
				return -1;
			bytes_set(s, (const char *)p, (size_t)len);
			p += len;
		} else {
			struct st_fixed *s = st;

			s->set = p[0] & 1;
			s->null = p[0] >> 1 & 1;
			s->v.i = (int64_t)get_u64(p + 1);
			p += 9;
		}
		break;
	case SP_AGG_STDDEV_SAMP:
	case SP_AGG_STDDEV_POP:
	case SP_AGG_VAR_SAMP:
	case SP_AGG_VAR_POP: {
		struct st_moment *m = st;

		NEED(24);
		m->n = bitsd(get_u64(p));
		m->avg = bitsd(get_u64(p + 8));
		m->m2 = bitsd(get_u64(p + 16));
		p += 24;
		break;
	}
	case SP_AGG_APPROX_DISTINCT:
		NEED((size_t)1 << a->p);
		memcpy(st, p, need);
		for (size_t j = 0; j < need; j++)
			if (p[j] > 65 - a->p)
				return -1;
		p += need;
		break;
	}
#undef NEED
	*pp = p;
	return 0;
}
