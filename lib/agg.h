/*
 * agg.h: aggregate functions (count, sum, avg, min, max, first, last, the
 * standard deviations and variances, approx_count_distinct) with Spark's
 * result types, NULL rules and arithmetic.
 *
 * Each function keeps a fixed-size state (a "buffer" in Spark's words) that
 * the caller places in its own memory: a->size bytes, 8-byte aligned. The
 * caller initialises it (sp_agg_init), updates it with input rows, merges
 * two states, reads the result and releases it. To give Spark's exact
 * floating-point results, follow Spark's evaluation order: a batch's rows
 * go into a fresh partial state, in input order; the state saved from
 * earlier batches is then combined as Spark's final aggregation does it:
 *
 *   F = init;  merge(F, saved);  merge(F, partial)
 *
 * which is sp_agg_renew(saved) then sp_agg_merge(saved, partial).
 *
 * NULLs: count(x) counts non-NULL values, count(*) every row; sum, avg,
 * min, max, the variances and approx_count_distinct skip NULLs; sum, avg,
 * min, max, stddev* and var* of no values are NULL (stddev_samp and
 * var_samp of one value too); count and approx_count_distinct are never
 * NULL; first and last keep a NULL they meet unless ignore_nulls is set.
 *
 * States holding STRING or BINARY values own heap memory: release them
 * with sp_agg_free(). Nothing else allocates.
 */
#ifndef SP_AGG_H
#define SP_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "value.h"

enum sp_agg_fn {
	SP_AGG_COUNT,		/* count(x); count(*) is count with in = SP_T_NULL */
	SP_AGG_SUM,
	SP_AGG_AVG,
	SP_AGG_MIN,
	SP_AGG_MAX,
	SP_AGG_FIRST,
	SP_AGG_LAST,
	SP_AGG_STDDEV_SAMP,
	SP_AGG_STDDEV_POP,
	SP_AGG_VAR_SAMP,
	SP_AGG_VAR_POP,
	SP_AGG_APPROX_DISTINCT,
};

struct sp_agg {
	enum sp_agg_fn fn;
	enum sp_type_id in;	/* the argument's type; SP_T_NULL for count(*) */
	enum sp_type_id out;	/* the result's type */
	int ignore_nulls;	/* first, last */
	int p;			/* approx_count_distinct: precision (registers = 1 << p) */
	uint32_t size;		/* bytes of state, a multiple of 8 */
};

/* Default relative standard deviation of approx_count_distinct, as Spark's. */
#define SP_AGG_DEFAULT_RSD 0.05

/*
 * Looks up an aggregate function by name, ASCII case-insensitively, with
 * Spark's aliases (mean, std, stddev, variance, first_value, last_value).
 * Returns 1 and sets *fn if name is one, 0 otherwise.
 */
int sp_agg_find(const char *name, enum sp_agg_fn *fn);
/* The canonical name of fn ("stddev_samp"), for messages. */
const char *sp_agg_name(enum sp_agg_fn fn);
/* Whether fn needs a numeric argument (sum, avg, stddev*, var*). */
int sp_agg_numeric(enum sp_agg_fn fn);

/*
 * Sets a up for fn over an argument of type in (SP_T_NULL for count(*)).
 * rsd is approx_count_distinct's relative standard deviation. Fails, as a
 * usage error naming call (the function call's text), when Spark would
 * refuse the type: numeric functions take LONG or DOUBLE (callers cast
 * STRING to DOUBLE first, as Spark does), min/max/first/last and
 * approx_count_distinct take non-nested types.
 */
int sp_agg_setup(struct sp_agg *a, enum sp_agg_fn fn, enum sp_type_id in, int ignore_nulls, double rsd,
		 const char *call, struct sp_err *err);

void sp_agg_init(const struct sp_agg *a, void *st);
/* Initialises st again, keeping the heap memory of an earlier use for reuse. */
void sp_agg_reset(const struct sp_agg *a, void *st);
/* Adds row i of column c (of type a->in; ignored for count(*)). */
void sp_agg_update(const struct sp_agg *a, void *st, const struct sp_col *c, size_t i);
/*
 * Adds rows 0..n-1 of c: row i goes to the state at st[i] + off, or
 * nowhere when st[i] is NULL. c may be NULL for count(*).
 */
void sp_agg_update_many(const struct sp_agg *a, char *const *st, size_t off, const struct sp_col *c, size_t n);
/* dst = Spark's merge(dst, src); src is unchanged. */
void sp_agg_merge(const struct sp_agg *a, void *dst, const void *src);
/* st = merge(init, st): what Spark's final aggregation makes of a saved state. */
void sp_agg_renew(const struct sp_agg *a, void *st);
/* Appends the result to out (a column of type a->out). */
void sp_agg_result(const struct sp_agg *a, const void *st, struct sp_col *out);
/* Releases heap memory held by st; st must be initialised again before reuse. */
void sp_agg_free(const struct sp_agg *a, void *st);
/* Heap bytes held by st (for memory figures). */
size_t sp_agg_heap(const struct sp_agg *a, const void *st);
/*
 * Whether states of a can hold heap memory at all (min, max, first, last
 * of STRING or BINARY); when not, sp_agg_free and sp_agg_heap do nothing.
 */
int sp_agg_has_heap(const struct sp_agg *a);

/* Serialises st (little-endian) onto out. */
void sp_agg_save(const struct sp_agg *a, const void *st, struct sp_buf *out);
/*
 * Reads a state saved by sp_agg_save from *p (advanced); -1 if the bytes
 * are short or invalid. st is initialised by the call, so it must not hold
 * heap memory (new, or released with sp_agg_free); after a failure it may,
 * and must be released.
 */
int sp_agg_load(const struct sp_agg *a, void *st, const unsigned char **p, const unsigned char *end);

#endif
