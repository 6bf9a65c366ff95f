/*
 * expr-eval.c: compiling an AST against a schema, and evaluating it.
 *
 * Compiling resolves columns, checks types and inserts Spark's implicit
 * casts, so evaluation is a walk over typed nodes that never fails: what
 * cannot be computed (a bad cast, division by zero) is NULL, as in Spark's
 * non-ANSI mode. Casts and functions that build strings take their memory
 * from the caller's arena; functions that build structs or arrays append
 * to a column the node owns, emptied when a new batch starts (rows go
 * forwards within a batch).
 */
#include "expr-int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "format.h"
#include "timefmt.h"

enum ekind {
	E_LIT, E_COL, E_FIELD, E_INDEX, E_NEG, E_NOT, E_ARITH, E_CMP, E_AND, E_OR, E_IS, E_IN, E_BETWEEN,
	E_LIKE, E_RLIKE, E_CASE, E_CAST, E_FN, E_TSADD,
};

enum fn {
	F_LOWER = 1, F_UPPER, F_LENGTH, F_SUBSTR, F_CONCAT, F_CONCAT_WS, F_SPLIT, F_TRIM, F_LTRIM, F_RTRIM,
	F_REPLACE, F_COALESCE, F_NULLIF, F_IF, F_ABS, F_ROUND, F_FLOOR, F_CEIL, F_SQRT, F_POW, F_EXP, F_LN,
	F_LOG10, F_LOG, F_GREATEST, F_LEAST, F_NOW, F_TODAY, F_TO_TS, F_TO_DATE, F_TS_SECONDS, F_TS_MILLIS,
	F_UNIX_TS, F_FROM_UNIXTIME, F_DATE_TRUNC, F_DATE_FORMAT, F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE,
	F_SECOND, F_DOW, F_FROM_JSON, F_TO_JSON, F_STRUCT, F_NAMED_STRUCT, F_ARRAY, F_SIZE, F_CONTAINS,
	F_ELEMENT_AT, F_EXPLODE, F_EXPLODE_OUTER, F_INSTR, F_LPAD, F_RPAD, F_REGEXP_REPLACE, F_REGEXP_EXTRACT,
};

static const struct fdef {
	const char *name;
	int fn, min, max;	/* max -1: any number */
} fdefs[] = {
	{ "lower", F_LOWER, 1, 1 }, { "lcase", F_LOWER, 1, 1 }, { "upper", F_UPPER, 1, 1 }, { "ucase", F_UPPER, 1, 1 },
	{ "length", F_LENGTH, 1, 1 }, { "char_length", F_LENGTH, 1, 1 }, { "substring", F_SUBSTR, 2, 3 },
	{ "substr", F_SUBSTR, 2, 3 }, { "concat", F_CONCAT, 1, -1 }, { "concat_ws", F_CONCAT_WS, 1, -1 },
	{ "split", F_SPLIT, 2, 3 }, { "trim", F_TRIM, 1, 1 }, { "ltrim", F_LTRIM, 1, 1 }, { "rtrim", F_RTRIM, 1, 1 },
	{ "replace", F_REPLACE, 2, 3 }, { "coalesce", F_COALESCE, 1, -1 }, { "nvl", F_COALESCE, 2, 2 },
	{ "ifnull", F_COALESCE, 2, 2 }, { "nullif", F_NULLIF, 2, 2 }, { "if", F_IF, 3, 3 }, { "abs", F_ABS, 1, 1 },
	{ "round", F_ROUND, 1, 2 }, { "floor", F_FLOOR, 1, 1 }, { "ceil", F_CEIL, 1, 1 }, { "ceiling", F_CEIL, 1, 1 },
	{ "sqrt", F_SQRT, 1, 1 }, { "pow", F_POW, 2, 2 }, { "power", F_POW, 2, 2 }, { "exp", F_EXP, 1, 1 },
	{ "ln", F_LN, 1, 1 }, { "log10", F_LOG10, 1, 1 }, { "log", F_LOG, 1, 2 }, { "greatest", F_GREATEST, 2, -1 },
	{ "least", F_LEAST, 2, -1 }, { "current_timestamp", F_NOW, 0, 0 }, { "now", F_NOW, 0, 0 },
	{ "current_date", F_TODAY, 0, 0 }, { "to_timestamp", F_TO_TS, 1, 2 }, { "to_date", F_TO_DATE, 1, 2 },
	{ "timestamp_seconds", F_TS_SECONDS, 1, 1 }, { "timestamp_millis", F_TS_MILLIS, 1, 1 },
	{ "unix_timestamp", F_UNIX_TS, 0, 2 }, { "from_unixtime", F_FROM_UNIXTIME, 1, 2 },
	{ "date_trunc", F_DATE_TRUNC, 2, 2 }, { "date_format", F_DATE_FORMAT, 2, 2 }, { "year", F_YEAR, 1, 1 },
	{ "month", F_MONTH, 1, 1 }, { "day", F_DAY, 1, 1 }, { "dayofmonth", F_DAY, 1, 1 }, { "hour", F_HOUR, 1, 1 },
	{ "minute", F_MINUTE, 1, 1 }, { "second", F_SECOND, 1, 1 }, { "dayofweek", F_DOW, 1, 1 },
	{ "from_json", F_FROM_JSON, 2, 3 }, { "to_json", F_TO_JSON, 1, 2 }, { "struct", F_STRUCT, 1, -1 },
	{ "named_struct", F_NAMED_STRUCT, 2, -1 }, { "array", F_ARRAY, 0, -1 }, { "size", F_SIZE, 1, 1 },
	{ "cardinality", F_SIZE, 1, 1 }, { "array_contains", F_CONTAINS, 2, 2 }, { "element_at", F_ELEMENT_AT, 2, 2 },
	{ "explode", F_EXPLODE, 1, 1 }, { "explode_outer", F_EXPLODE_OUTER, 1, 1 }, { "instr", F_INSTR, 2, 2 },
	{ "lpad", F_LPAD, 2, 3 }, { "rpad", F_RPAD, 2, 3 }, { "regexp_replace", F_REGEXP_REPLACE, 3, 3 },
	{ "regexp_extract", F_REGEXP_EXTRACT, 2, 3 },
};

struct sp_expr {
	enum ekind kind;
	int op;
	int neg;
	struct sp_type *type;
	struct sp_expr **k;
	size_t nk;
	int col;		/* E_COL: column; E_FIELD: field */
	struct sp_val lit;
	char *litbuf;
	regex_t re;
	int has_re;
	struct sp_col tmp;	/* built structs and arrays */
	int has_tmp;
	size_t tmp_row;
};

/* ---- small helpers ---- */

static struct sp_type *prim(enum sp_type_id id)
{
	return sp_type_prim(id);
}

static int is_num(enum sp_type_id t)
{
	return t == SP_T_LONG || t == SP_T_DOUBLE;
}

static struct sp_expr *enew(enum ekind k, struct sp_type *t)
{
	struct sp_expr *e = sp_xcalloc(1, sizeof *e);

	e->kind = k;
	e->type = t;
	e->col = -1;
	return e;
}

static void ekid(struct sp_expr *e, struct sp_expr *kid)
{
	e->k = sp_xrealloc(e->k, (e->nk + 1) * sizeof *e->k);
	e->k[e->nk++] = kid;
}

void sp_expr_free(struct sp_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nk; i++)
		sp_expr_free(e->k[i]);
	free(e->k);
	free(e->litbuf);
	if (e->has_re)
		regfree(&e->re);
	if (e->has_tmp)
		sp_col_release(&e->tmp);
	sp_type_unref(e->type);
	free(e);
}

const struct sp_type *sp_expr_type(const struct sp_expr *e)
{
	return e->type;
}

int sp_expr_column(const struct sp_expr *e)
{
	return e->kind == E_COL ? e->col : -1;
}

int sp_expr_generator(const struct sp_expr *e, int *outer)
{
	if (e->kind != E_FN || (e->op != F_EXPLODE && e->op != F_EXPLODE_OUTER))
		return 0;
	if (outer)
		*outer = e->op == F_EXPLODE_OUTER;
	return 1;
}

static char *type_name(const struct sp_type *t)
{
	return sp_type_ddl_new(t);
}

static char *arena_str(struct sp_arena *a, const char *s, size_t n)
{
	char *p = sp_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void set_str(struct sp_val *v, const char *p, size_t n)
{
	v->t = SP_T_STRING;
	v->null = 0;
	v->u.s.p = p;
	v->u.s.len = n;
}

static void set_null(struct sp_val *v, enum sp_type_id t)
{
	v->t = t;
	v->null = 1;
}

/* ---- casts ---- */

static int parse_long(const char *s, size_t n, int64_t *out)
{
	char buf[64], *end;
	double d;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtoll(buf, &end, 10);
	if (!*end && !errno)
		return 0;
	/* Spark casts '1.9' to 1: through a decimal, truncating */
	d = strtod(buf, &end);
	if (*end || !isfinite(d) || d >= 9.3e18 || d <= -9.3e18)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int parse_double(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcasecmp(buf, "NaN")) {
		*out = NAN;
		return 0;
	}
	if (!strcasecmp(buf, "Infinity") || !strcasecmp(buf, "+Infinity") || !strcasecmp(buf, "inf")) {
		*out = INFINITY;
		return 0;
	}
	if (!strcasecmp(buf, "-Infinity") || !strcasecmp(buf, "-inf")) {
		*out = -INFINITY;
		return 0;
	}
	*out = strtod(buf, &end);
	return *end || end == buf || isalpha((unsigned char)buf[0]) ? -1 : 0;
}

void sp_val_cast(struct sp_val *v, const struct sp_type *t, struct sp_arena *a)
{
	enum sp_type_id to = t->id, from = v->t;
	struct sp_val r;
	struct sp_buf b = SP_BUF_INIT;
	size_t n;
	const char *s;

	if (v->null || from == SP_T_NULL || from == to) {
		v->t = to;
		return;
	}
	memset(&r, 0, sizeof r);
	r.t = to;
	switch (to) {
	case SP_T_STRING:
		if (from == SP_T_BINARY) {
			r.u.s = v->u.s;
			break;
		}
		sp_val_format(&b, v);
		set_str(&r, arena_str(a, b.p, b.len), b.len);
		sp_buf_release(&b);
		break;
	case SP_T_BINARY:
		if (from != SP_T_STRING)
			goto null;
		r.u.s = v->u.s;
		break;
	case SP_T_LONG:
		if (from == SP_T_DOUBLE)
			r.u.i = isnan(v->u.d) ? 0 : v->u.d >= 9.2233720368547758e18 ? INT64_MAX
			     : v->u.d <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v->u.d;
		else if (from == SP_T_BOOLEAN)
			r.u.i = v->u.b;
		else if (from == SP_T_TIMESTAMP)
			r.u.i = sp_floordiv(v->u.i, SP_US_PER_SEC);
		else if (from == SP_T_STRING) {
			if (parse_long(v->u.s.p, v->u.s.len, &r.u.i) < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_DOUBLE:
		if (from == SP_T_LONG)
			r.u.d = (double)v->u.i;
		else if (from == SP_T_BOOLEAN)
			r.u.d = v->u.b;
		else if (from == SP_T_TIMESTAMP)
			r.u.d = (double)v->u.i / 1e6;
		else if (from == SP_T_STRING) {
			if (parse_double(v->u.s.p, v->u.s.len, &r.u.d) < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_BOOLEAN:
		if (from == SP_T_LONG)
			r.u.b = v->u.i != 0;
		else if (from == SP_T_DOUBLE)
			r.u.b = v->u.d != 0;
		else if (from == SP_T_STRING) {
			static const char *const yes[] = { "t", "true", "y", "yes", "1" }, *const no[] = { "f", "false", "n", "no", "0" };
			char buf[8];

			s = v->u.s.p;
			n = v->u.s.len;
			while (n && isspace((unsigned char)*s))
				s++, n--;
			while (n && isspace((unsigned char)s[n - 1]))
				n--;
			if (n >= sizeof buf)
				goto null;
			memcpy(buf, s, n);
			buf[n] = '\0';
			r.u.b = -1;
			for (int i = 0; i < 5; i++) {
				if (!strcasecmp(buf, yes[i]))
					r.u.b = 1;
				if (!strcasecmp(buf, no[i]))
					r.u.b = 0;
			}
			if (r.u.b < 0)
				goto null;
		} else
			goto null;
		break;
	case SP_T_TIMESTAMP:
		if (from == SP_T_STRING) {
			if (sp_ts_parse(v->u.s.p, v->u.s.len, &r.u.i) < 0)
				goto null;
		} else if (from == SP_T_LONG)
			r.u.i = v->u.i * SP_US_PER_SEC;
		else if (from == SP_T_DOUBLE) {
			if (!isfinite(v->u.d))
				goto null;
			r.u.i = (int64_t)llround(v->u.d * 1e6);
		} else if (from == SP_T_DATE)
			r.u.i = v->u.i * SP_US_PER_DAY;
		else
			goto null;
		break;
	case SP_T_DATE:
		if (from == SP_T_STRING) {
			if (sp_date_parse(v->u.s.p, v->u.s.len, &r.u.i) < 0)
				goto null;
		} else if (from == SP_T_TIMESTAMP)
			r.u.i = sp_floordiv(v->u.i, SP_US_PER_DAY);
		else
			goto null;
		break;
	default:
		goto null;
	}
	*v = r;
	return;
null:
	set_null(v, to);
}

/* ---- compiling ---- */

struct cx {
	const struct sp_expr_env *env;
	const char *text;
	struct sp_err *err;
	int64_t now;
};

static struct sp_expr *compile(struct cx *c, const struct sp_ast *a, int top);

static struct sp_expr *fail(struct cx *c, const struct sp_ast *a, const char *fmt, const char *x, const char *y)
{
	char msg[400];

	snprintf(msg, sizeof msg, fmt, x ? x : "", y ? y : "");
	sp_expr_fail(c->err, a->text, a->start, "%s", msg);
	return NULL;
}

/* Wraps e in a cast to t when its type differs. */
static struct sp_expr *cast_to(struct sp_expr *e, struct sp_type *t)
{
	struct sp_expr *c;

	if (sp_type_equal(e->type, t))
		return e;
	if (e->kind == E_LIT && e->lit.null) {
		sp_type_unref(e->type);
		e->type = sp_type_ref(t);
		e->lit.t = t->id;
		return e;
	}
	c = enew(E_CAST, sp_type_ref(t));
	ekid(c, e);
	return c;
}

/* The type two operands meet at (Spark's implicit casts), or NULL. */
static struct sp_type *common(const struct sp_type *a, const struct sp_type *b, int comparing)
{
	enum sp_type_id x = a->id, y = b->id;

	if (sp_type_equal(a, b))
		return (struct sp_type *)a;
	if (x == SP_T_NULL)
		return (struct sp_type *)b;
	if (y == SP_T_NULL)
		return (struct sp_type *)a;
	if (is_num(x) && is_num(y))
		return prim(SP_T_DOUBLE);
	if ((x == SP_T_TIMESTAMP && (y == SP_T_STRING || y == SP_T_DATE)) ||
	    (y == SP_T_TIMESTAMP && (x == SP_T_STRING || x == SP_T_DATE)))
		return prim(SP_T_TIMESTAMP);
	if ((x == SP_T_DATE && y == SP_T_STRING) || (y == SP_T_DATE && x == SP_T_STRING))
		return prim(SP_T_DATE);
	if (comparing && ((x == SP_T_STRING && is_num(y)) || (y == SP_T_STRING && is_num(x))))
		return prim(SP_T_DOUBLE);
	if ((x == SP_T_STRING && y == SP_T_BOOLEAN) || (y == SP_T_STRING && x == SP_T_BOOLEAN))
		return prim(SP_T_BOOLEAN);
	if (!comparing && (x == SP_T_STRING || y == SP_T_STRING) && x != SP_T_STRUCT && y != SP_T_STRUCT &&
	    x != SP_T_ARRAY && y != SP_T_ARRAY)
		return prim(SP_T_STRING);
	return NULL;
}

static struct sp_expr *columns_error(struct cx *c, const struct sp_ast *a, const char *name)
{
	struct sp_buf cols = SP_BUF_INIT;
	const struct sp_type *s = c->env->schema;

	for (size_t i = 0; i < s->nfields; i++)
		sp_buf_printf(&cols, "%s%s", i ? ", " : "", s->fields[i].name);
	fail(c, a, "unknown column '%s' (columns: %s)", name, cols.p ? cols.p : "none");
	sp_buf_release(&cols);
	return NULL;
}

static struct sp_expr *col_ref(struct cx *c, const struct sp_ast *a, const char *name)
{
	const struct sp_type *s = c->env->schema;
	int i = sp_type_field_index(s, name, strlen(name));
	struct sp_expr *e;

	if (i < 0)
		return columns_error(c, a, name);
	e = enew(E_COL, sp_type_ref(s->fields[i].type));
	e->col = i;
	return e;
}

static int is_qualifier(const struct cx *c, const char *name)
{
	for (size_t i = 0; i < c->env->nqualifiers; i++)
		if (!strcasecmp(c->env->qualifiers[i], name))
			return 1;
	return 0;
}

static struct sp_expr *compile_field(struct cx *c, const struct sp_ast *a)
{
	const struct sp_ast *base = a->kids[0];
	struct sp_expr *b, *e;
	int i;

	/* "clicks.ad_id": a table qualifier, when clicks is not a column */
	if (base->k == A_COL && is_qualifier(c, base->name) &&
	    sp_type_field_index(c->env->schema, base->name, strlen(base->name)) < 0)
		return col_ref(c, a, a->name);
	if (!(b = compile(c, base, 0)))
		return NULL;
	if (b->type->id != SP_T_STRUCT) {
		char *t = type_name(b->type);

		sp_expr_free(b);
		fail(c, a, "cannot take field '%s' of %s (not a struct)", a->name, t);
		free(t);
		return NULL;
	}
	i = sp_type_field_index(b->type, a->name, strlen(a->name));
	if (i < 0) {
		sp_expr_free(b);
		return fail(c, a, "no field '%s' in this struct%s", a->name, "");
	}
	e = enew(E_FIELD, sp_type_ref(b->type->fields[i].type));
	e->col = i;
	ekid(e, b);
	return e;
}

static const struct fdef *find_fn(const char *name)
{
	for (size_t i = 0; i < sizeof fdefs / sizeof fdefs[0]; i++)
		if (!strcmp(fdefs[i].name, name))
			return &fdefs[i];
	return NULL;
}

static int lit_string(const struct sp_expr *e, const char **s)
{
	if (e->kind != E_LIT || e->lit.null || e->lit.t != SP_T_STRING)
		return 0;
	*s = e->lit.u.s.p;
	return 1;
}

static struct sp_expr *compile_call(struct cx *c, const struct sp_ast *a, int top)
{
	const struct fdef *f = find_fn(a->name);
	struct sp_expr *e, *k0;
	struct sp_type *t = NULL;
	const char *s;
	size_t n = a->nkids;

	if (sp_is_aggregate(a->name))
		return fail(c, a, "aggregate function '%s' is not allowed here (use stream-window)", a->name, NULL);
	if (!f)
		return fail(c, a, "unknown function '%s'", a->name, NULL);
	if ((int)n < f->min || (f->max >= 0 && (int)n > f->max) || a->star)
		return fail(c, a, "wrong number of arguments for '%s'", a->name, NULL);
	if ((f->fn == F_EXPLODE || f->fn == F_EXPLODE_OUTER) && !(top && c->env->allow_generator))
		return fail(c, a, "generator '%s' is only allowed as a whole --select item", a->name, NULL);
	e = enew(E_FN, NULL);
	e->op = f->fn;
	for (size_t i = 0; i < n; i++) {
		struct sp_expr *k = compile(c, a->kids[i], 0);

		if (!k) {
			sp_expr_free(e);
			return NULL;
		}
		ekid(e, k);
	}
	k0 = n ? e->k[0] : NULL;
#define WANT(i, ty) (e->k[i] = cast_to(e->k[i], prim(ty)))
	switch (f->fn) {
	case F_LOWER: case F_UPPER: case F_TRIM: case F_LTRIM: case F_RTRIM:
		WANT(0, SP_T_STRING);
		t = prim(SP_T_STRING);
		break;
	case F_LENGTH:
		if (k0->type->id != SP_T_BINARY)
			WANT(0, SP_T_STRING);
		t = prim(SP_T_LONG);
		break;
	case F_SUBSTR:
		WANT(0, SP_T_STRING);
		for (size_t i = 1; i < n; i++)
			WANT(i, SP_T_LONG);
		t = prim(SP_T_STRING);
		break;
	case F_CONCAT: case F_CONCAT_WS:
		for (size_t i = 0; i < n; i++)
			if (e->k[i]->type->id != SP_T_ARRAY)
				WANT(i, SP_T_STRING);
		t = prim(SP_T_STRING);
		break;
	case F_SPLIT: case F_REGEXP_REPLACE: case F_REGEXP_EXTRACT:
		WANT(0, SP_T_STRING);
		WANT(1, SP_T_STRING);
		if (!lit_string(e->k[1], &s)) {
			sp_expr_free(e);
			return fail(c, a->kids[1], "the pattern of '%s' must be a string literal", a->name, NULL);
		}
		if (regcomp(&e->re, s, REG_EXTENDED) != 0) {
			sp_expr_free(e);
			return fail(c, a->kids[1], "bad regular expression '%s'", s, NULL);
		}
		e->has_re = 1;
		if (f->fn == F_SPLIT) {
			if (n == 3)
				WANT(2, SP_T_LONG);
			t = sp_type_new_array(prim(SP_T_STRING));
		} else {
			if (f->fn == F_REGEXP_REPLACE)
				WANT(2, SP_T_STRING);
			else if (n == 3)
				WANT(2, SP_T_LONG);
			t = prim(SP_T_STRING);
		}
		break;
	case F_REPLACE: case F_INSTR: case F_LPAD: case F_RPAD:
		for (size_t i = 0; i < n; i++)
			WANT(i, i == 1 && (f->fn == F_LPAD || f->fn == F_RPAD) ? SP_T_LONG : SP_T_STRING);
		t = prim(f->fn == F_INSTR ? SP_T_LONG : SP_T_STRING);
		break;
	case F_COALESCE: case F_GREATEST: case F_LEAST: case F_NULLIF: case F_IF: {
		size_t from = f->fn == F_IF ? 1 : 0;

		if (f->fn == F_IF)
			WANT(0, SP_T_BOOLEAN);
		t = e->k[from]->type;
		for (size_t i = from + 1; i < n && t; i++)
			t = common(t, e->k[i]->type, 0);
		if (!t) {
			sp_expr_free(e);
			return fail(c, a, "the arguments of '%s' have no common type", a->name, NULL);
		}
		if (t->id == SP_T_NULL)
			t = prim(SP_T_STRING);
		for (size_t i = from; i < n; i++)
			e->k[i] = cast_to(e->k[i], t);
		if (f->fn == F_NULLIF)
			t = e->k[0]->type;
		sp_type_ref(t);
		break;
	}
	case F_ABS:
		if (!is_num(k0->type->id))
			WANT(0, SP_T_DOUBLE);
		t = sp_type_ref(e->k[0]->type);
		break;
	case F_ROUND:
		if (!is_num(k0->type->id))
			WANT(0, SP_T_DOUBLE);
		if (n == 2)
			WANT(1, SP_T_LONG);
		t = sp_type_ref(e->k[0]->type);
		break;
	case F_FLOOR: case F_CEIL:
		if (!is_num(k0->type->id))
			WANT(0, SP_T_DOUBLE);
		t = prim(SP_T_LONG);
		break;
	case F_SQRT: case F_POW: case F_EXP: case F_LN: case F_LOG10: case F_LOG:
		for (size_t i = 0; i < n; i++)
			WANT(i, SP_T_DOUBLE);
		t = prim(SP_T_DOUBLE);
		break;
	case F_NOW: case F_TODAY:
		e->kind = E_LIT;
		e->lit.t = f->fn == F_NOW ? SP_T_TIMESTAMP : SP_T_DATE;
		e->lit.u.i = f->fn == F_NOW ? c->now : sp_floordiv(c->now, SP_US_PER_DAY);
		t = prim(e->lit.t);
		break;
	case F_TO_TS: case F_TO_DATE: case F_UNIX_TS: case F_FROM_UNIXTIME: case F_DATE_FORMAT:
		if (n == 2 || f->fn == F_DATE_FORMAT) {
			if (f->fn == F_DATE_FORMAT)
				WANT(1, SP_T_STRING);
			else
				WANT(n - 1, SP_T_STRING);
			if (!lit_string(e->k[n - 1], &s)) {
				sp_expr_free(e);
				return fail(c, a, "the format of '%s' must be a string literal", a->name, NULL);
			}
		}
		if (f->fn == F_FROM_UNIXTIME)
			WANT(0, SP_T_LONG);
		else if (f->fn == F_DATE_FORMAT)
			WANT(0, SP_T_TIMESTAMP);
		else if (n && e->k[0]->type->id != SP_T_TIMESTAMP && e->k[0]->type->id != SP_T_DATE)
			WANT(0, SP_T_STRING);
		t = prim(f->fn == F_TO_TS ? SP_T_TIMESTAMP : f->fn == F_TO_DATE ? SP_T_DATE
			 : f->fn == F_UNIX_TS ? SP_T_LONG : SP_T_STRING);
		break;
	case F_TS_SECONDS: case F_TS_MILLIS:
		if (!is_num(k0->type->id))
			WANT(0, SP_T_DOUBLE);
		t = prim(SP_T_TIMESTAMP);
		break;
	case F_DATE_TRUNC:
		WANT(0, SP_T_STRING);
		WANT(1, SP_T_TIMESTAMP);
		t = prim(SP_T_TIMESTAMP);
		break;
	case F_YEAR: case F_MONTH: case F_DAY: case F_DOW:
		if (k0->type->id != SP_T_DATE)
			WANT(0, SP_T_TIMESTAMP);
		t = prim(SP_T_LONG);
		break;
	case F_HOUR: case F_MINUTE: case F_SECOND:
		WANT(0, SP_T_TIMESTAMP);
		t = prim(SP_T_LONG);
		break;
	case F_FROM_JSON: {
		struct sp_err e2 = SP_ERR_INIT;

		WANT(0, SP_T_STRING);
		if (!lit_string(e->k[1], &s) || (sp_type_parse_ddl(s, &t, &e2) < 0 && sp_type_parse_one(s, &t, &e2) < 0)) {
			sp_expr_free(e);
			return fail(c, a->kids[1], "the schema of from_json must be a DDL string literal%s%s", "", NULL);
		}
		break;
	}
	case F_TO_JSON:
		if (k0->type->id != SP_T_STRUCT && k0->type->id != SP_T_ARRAY) {
			sp_expr_free(e);
			return fail(c, a, "to_json takes a struct or an array, as in to_json(struct(*))%s", "", NULL);
		}
		t = prim(SP_T_STRING);
		break;
	case F_STRUCT:
		t = sp_type_new_struct();
		for (size_t i = 0; i < n; i++) {
			char *nm = a->kids[i]->k == A_COL ? sp_xstrdup(a->kids[i]->name)
				 : a->kids[i]->k == A_FIELD ? sp_xstrdup(a->kids[i]->name) : sp_xasprintf("col%zu", i + 1);

			sp_type_add_field(t, nm, sp_type_ref(e->k[i]->type), 0);
			free(nm);
		}
		break;
	case F_NAMED_STRUCT:
		if (n % 2) {
			sp_expr_free(e);
			return fail(c, a, "named_struct takes name, value pairs%s", "", NULL);
		}
		t = sp_type_new_struct();
		for (size_t i = 0; i < n; i += 2) {
			if (!lit_string(e->k[i], &s)) {
				sp_type_unref(t);
				sp_expr_free(e);
				return fail(c, a->kids[i], "named_struct's names must be string literals%s", "", NULL);
			}
			sp_type_add_field(t, s, sp_type_ref(e->k[i + 1]->type), 0);
		}
		break;
	case F_ARRAY: {
		struct sp_type *et = n ? e->k[0]->type : prim(SP_T_STRING);

		for (size_t i = 1; i < n && et; i++)
			et = common(et, e->k[i]->type, 0);
		if (!et) {
			sp_expr_free(e);
			return fail(c, a, "the elements of array() have no common type%s", "", NULL);
		}
		if (et->id == SP_T_NULL)
			et = prim(SP_T_STRING);
		for (size_t i = 0; i < n; i++)
			e->k[i] = cast_to(e->k[i], et);
		t = sp_type_new_array(sp_type_ref(et));
		break;
	}
	case F_SIZE: case F_CONTAINS: case F_ELEMENT_AT: case F_EXPLODE: case F_EXPLODE_OUTER:
		if (k0->type->id != SP_T_ARRAY) {
			char *tn = type_name(k0->type);

			fail(c, a, "'%s' takes an array, not %s", a->name, tn);
			free(tn);
			sp_expr_free(e);
			return NULL;
		}
		if (f->fn == F_CONTAINS)
			e->k[1] = cast_to(e->k[1], k0->type->elem);
		if (f->fn == F_ELEMENT_AT)
			WANT(1, SP_T_LONG);
		t = f->fn == F_SIZE ? prim(SP_T_LONG) : f->fn == F_CONTAINS ? prim(SP_T_BOOLEAN)
		    : sp_type_ref(k0->type->elem);
		break;
	}
#undef WANT
	e->type = t;
	if (t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
		sp_col_init(&e->tmp, t);
		e->has_tmp = 1;
	}
	return e;
}

static struct sp_expr *compile_binary(struct cx *c, const struct sp_ast *a)
{
	struct sp_expr *l = compile(c, a->kids[0], 0), *r = l ? compile(c, a->kids[1], 0) : NULL, *e;
	struct sp_type *t;
	char *tl, *tr;
	int op = a->op;

	if (!r) {
		sp_expr_free(l);
		return NULL;
	}
	/* timestamp +/- INTERVAL */
	if ((op == '+' || op == '-') && a->kids[1]->k == A_INTERVAL &&
	    (l->type->id == SP_T_TIMESTAMP || l->type->id == SP_T_STRING || l->type->id == SP_T_DATE)) {
		e = enew(E_TSADD, prim(SP_T_TIMESTAMP));
		ekid(e, cast_to(l, prim(SP_T_TIMESTAMP)));
		e->lit.u.i = op == '+' ? r->lit.u.i : -r->lit.u.i;
		sp_expr_free(r);
		return e;
	}
	if (op == '+' && a->kids[0]->k == A_INTERVAL && r->type->id == SP_T_TIMESTAMP) {
		e = enew(E_TSADD, prim(SP_T_TIMESTAMP));
		ekid(e, r);
		e->lit.u.i = l->lit.u.i;
		sp_expr_free(l);
		return e;
	}
	if (a->kids[0]->k == A_INTERVAL || a->kids[1]->k == A_INTERVAL) {
		sp_expr_free(l);
		sp_expr_free(r);
		return fail(c, a, "an INTERVAL can only be added to or subtracted from a timestamp%s%s", "", "");
	}
	switch (op) {
	case OP_AND: case OP_OR:
		e = enew(op == OP_AND ? E_AND : E_OR, prim(SP_T_BOOLEAN));
		ekid(e, cast_to(l, prim(SP_T_BOOLEAN)));
		ekid(e, cast_to(r, prim(SP_T_BOOLEAN)));
		if (e->k[0]->type->id != SP_T_BOOLEAN || e->k[1]->type->id != SP_T_BOOLEAN)
			goto type_error;
		return e;
	case OP_CONCAT:
		e = enew(E_FN, prim(SP_T_STRING));
		e->op = F_CONCAT;
		ekid(e, cast_to(l, prim(SP_T_STRING)));
		ekid(e, cast_to(r, prim(SP_T_STRING)));
		return e;
	case '+': case '-': case '*': case '/': case '%': case OP_DIV:
		if (!is_num(l->type->id) && l->type->id != SP_T_STRING && l->type->id != SP_T_NULL)
			goto bad_types;
		if (!is_num(r->type->id) && r->type->id != SP_T_STRING && r->type->id != SP_T_NULL)
			goto bad_types;
		if (op == '/')
			t = prim(SP_T_DOUBLE);
		else if (op == OP_DIV)
			t = prim(SP_T_LONG);
		else if (l->type->id == SP_T_LONG && r->type->id == SP_T_LONG)
			t = prim(SP_T_LONG);
		else if ((l->type->id == SP_T_LONG || l->type->id == SP_T_NULL) &&
			 (r->type->id == SP_T_LONG || r->type->id == SP_T_NULL))
			t = prim(SP_T_LONG);
		else
			t = prim(SP_T_DOUBLE);
		e = enew(E_ARITH, t);
		e->op = op;
		ekid(e, cast_to(l, op == OP_DIV ? prim(SP_T_LONG) : t));
		ekid(e, cast_to(r, op == OP_DIV ? prim(SP_T_LONG) : t));
		return e;
	default:	/* comparisons */
		t = common(l->type, r->type, 1);
		if (!t || t->id == SP_T_STRUCT || t->id == SP_T_ARRAY)
			goto bad_types;
		e = enew(E_CMP, prim(SP_T_BOOLEAN));
		e->op = op;
		ekid(e, cast_to(l, t));
		ekid(e, cast_to(r, t));
		return e;
	}
bad_types:
	e = NULL;
type_error:
	tl = type_name(l->type);
	tr = type_name(r->type);
	fail(c, a, op >= OP_EQ && op <= OP_EQNS ? "cannot compare %s with %s" : "cannot apply this operator to %s and %s",
	     tl, tr);
	free(tl);
	free(tr);
	if (e)
		sp_expr_free(e);
	else {
		sp_expr_free(l);
		sp_expr_free(r);
	}
	return NULL;
}

static struct sp_expr *compile(struct cx *c, const struct sp_ast *a, int top)
{
	struct sp_expr *e = NULL, *x;
	struct sp_type *t;

	switch (a->k) {
	case A_LIT:
		e = enew(E_LIT, prim(a->lit.t));
		e->lit = a->lit;
		if (a->lit.t == SP_T_STRING) {
			e->litbuf = sp_xstrndup(a->str, a->lit.u.s.len);
			e->lit.u.s.p = e->litbuf;
		}
		return e;
	case A_INTERVAL:
		e = enew(E_LIT, prim(SP_T_LONG));
		e->lit = a->lit;
		return e;
	case A_COL:
		return col_ref(c, a, a->name);
	case A_FIELD:
		return compile_field(c, a);
	case A_STAR:
		return fail(c, a, "'*' is only allowed as a whole --select item or in struct(*)%s%s", "", "");
	case A_INDEX:
		if (!(x = compile(c, a->kids[0], 0)))
			return NULL;
		if (x->type->id != SP_T_ARRAY) {
			sp_expr_free(x);
			return fail(c, a, "only an array can be indexed with [...]%s%s", "", "");
		}
		e = enew(E_INDEX, sp_type_ref(x->type->elem));
		ekid(e, x);
		if (!(x = compile(c, a->kids[1], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		ekid(e, cast_to(x, prim(SP_T_LONG)));
		return e;
	case A_UNARY:
		if (!(x = compile(c, a->kids[0], 0)))
			return NULL;
		if (a->op == OP_NOT) {
			x = cast_to(x, prim(SP_T_BOOLEAN));
			e = enew(E_NOT, prim(SP_T_BOOLEAN));
		} else {
			if (!is_num(x->type->id))
				x = cast_to(x, prim(SP_T_DOUBLE));
			e = enew(E_NEG, sp_type_ref(x->type));
		}
		ekid(e, x);
		return e;
	case A_BINARY:
		return compile_binary(c, a);
	case A_CALL:
		if (a->name && !strcmp(a->name, "struct") && a->nkids == 1 && a->kids[0]->k == A_STAR) {
			/* struct(*): every input column */
			const struct sp_type *s = c->env->schema;

			e = enew(E_FN, sp_type_new_struct());
			e->op = F_STRUCT;
			for (size_t i = 0; i < s->nfields; i++) {
				x = enew(E_COL, sp_type_ref(s->fields[i].type));
				x->col = (int)i;
				ekid(e, x);
				sp_type_add_field(e->type, s->fields[i].name, sp_type_ref(s->fields[i].type), 0);
			}
			sp_col_init(&e->tmp, e->type);
			e->has_tmp = 1;
			return e;
		}
		return compile_call(c, a, top);
	case A_IS:
		if (!(x = compile(c, a->kids[0], 0)))
			return NULL;
		if (a->op)
			x = cast_to(x, prim(SP_T_BOOLEAN));
		e = enew(E_IS, prim(SP_T_BOOLEAN));
		e->op = a->op;
		e->neg = a->neg;
		ekid(e, x);
		return e;
	case A_CAST:
		if (!(x = compile(c, a->kids[0], 0)))
			return NULL;
		if ((a->cast->id == SP_T_STRUCT || a->cast->id == SP_T_ARRAY) && !sp_type_equal(a->cast, x->type)) {
			sp_expr_free(x);
			return fail(c, a, "cannot cast to a different STRUCT or ARRAY type%s%s", "", "");
		}
		e = enew(E_CAST, sp_type_ref(a->cast));
		ekid(e, x);
		return e;
	case A_IN: case A_BETWEEN: case A_CASE: {
		/* all operands meet at one type; CASE's conditions are BOOLEAN */
		size_t n = a->nkids;
		int is_case = a->k == A_CASE;

		e = enew(a->k == A_IN ? E_IN : a->k == A_BETWEEN ? E_BETWEEN : E_CASE, NULL);
		e->neg = a->neg;
		e->op = a->op | (a->has_else << 1);
		for (size_t i = 0; i < n; i++) {
			if (!(x = compile(c, a->kids[i], 0))) {
				sp_expr_free(e);
				return NULL;
			}
			ekid(e, x);
		}
		if (!is_case) {
			t = e->k[0]->type;
			for (size_t i = 1; i < n && t; i++)
				t = common(t, e->k[i]->type, 1);
			if (!t || t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
				sp_expr_free(e);
				return fail(c, a, "the operands of IN or BETWEEN have no common type%s%s", "", "");
			}
			for (size_t i = 0; i < n; i++)
				e->k[i] = cast_to(e->k[i], t);
			e->type = prim(SP_T_BOOLEAN);
			return e;
		}
		{
			size_t first = (size_t)a->op, stop = a->has_else ? n - 1 : n;
			struct sp_type *rt = NULL, *kt = first ? e->k[0]->type : NULL;

			for (size_t i = first; i < stop; i += 2) {
				if (first) {
					kt = common(kt, e->k[i]->type, 1);
				}
				rt = rt ? common(rt, e->k[i + 1]->type, 0) : e->k[i + 1]->type;
				if (!rt || (first && !kt))
					break;
			}
			if (rt && a->has_else)
				rt = common(rt, e->k[n - 1]->type, 0);
			if (!rt || (first && !kt)) {
				sp_expr_free(e);
				return fail(c, a, "the branches of CASE have no common type%s%s", "", "");
			}
			if (rt->id == SP_T_NULL)
				rt = prim(SP_T_STRING);
			if (first)
				e->k[0] = cast_to(e->k[0], kt);
			for (size_t i = first; i < stop; i += 2) {
				e->k[i] = cast_to(e->k[i], first ? kt : prim(SP_T_BOOLEAN));
				e->k[i + 1] = cast_to(e->k[i + 1], rt);
			}
			if (a->has_else)
				e->k[n - 1] = cast_to(e->k[n - 1], rt);
			e->type = sp_type_ref(rt);
			return e;
		}
	}
	case A_LIKE:
		if (!(x = compile(c, a->kids[0], 0)))
			return NULL;
		e = enew(a->op ? E_RLIKE : E_LIKE, prim(SP_T_BOOLEAN));
		e->neg = a->neg;
		ekid(e, cast_to(x, prim(SP_T_STRING)));
		if (!(x = compile(c, a->kids[1], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		ekid(e, cast_to(x, prim(SP_T_STRING)));
		if (a->op) {
			const char *pat;

			if (!lit_string(e->k[1], &pat)) {
				sp_expr_free(e);
				return fail(c, a->kids[1], "the pattern of RLIKE must be a string literal%s%s", "", "");
			}
			if (regcomp(&e->re, pat, REG_EXTENDED | REG_NOSUB) != 0) {
				sp_expr_free(e);
				return fail(c, a->kids[1], "bad regular expression '%s'%s", pat, "");
			}
			e->has_re = 1;
		}
		return e;
	}
	return fail(c, a, "unsupported expression%s%s", "", "");
}

int sp_expr_compile(struct sp_expr **out, const struct sp_ast *a, const struct sp_expr_env *env, struct sp_err *err)
{
	struct cx c = { env, a->text, err, sp_now_us() };
	struct sp_expr *e = compile(&c, a, 1);

	if (!e)
		return -1;
	*out = e;
	return 0;
}

int sp_expr_compile_text(struct sp_expr **out, const char *text, const struct sp_expr_env *env, struct sp_err *err)
{
	struct sp_ast *a;
	int r;

	if (sp_ast_parse(&a, text, err) < 0)
		return -1;
	r = sp_expr_compile(out, a, env, err);
	sp_ast_free(a);
	return r;
}

/* ---- evaluating ---- */

static void ev(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a);

static int cmp_vals(const struct sp_val *x, const struct sp_val *y)
{
	size_t n;
	int r;

	switch (x->t) {
	case SP_T_DOUBLE:
		/* Spark orders NaN above everything and equal to itself */
		if (isnan(x->u.d) || isnan(y->u.d))
			return isnan(x->u.d) - isnan(y->u.d);
		return (x->u.d > y->u.d) - (x->u.d < y->u.d);
	case SP_T_STRING:
	case SP_T_BINARY:
		n = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
		r = n ? memcmp(x->u.s.p, y->u.s.p, n) : 0;
		return r ? r : (x->u.s.len > y->u.s.len) - (x->u.s.len < y->u.s.len);
	case SP_T_BOOLEAN:
		return x->u.b - y->u.b;
	default:
		return (x->u.i > y->u.i) - (x->u.i < y->u.i);
	}
}

/* Number of UTF-8 characters. */
static size_t utf8_len(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Byte offset of character k (clamped to n). */
static size_t utf8_off(const char *s, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

/* SQL LIKE with % and _ and the escape \ (on characters). */
static int like(const char *s, size_t sn, const char *p, size_t pn)
{
	size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '\\' && pi + 1 < pn && p[pi + 1] == s[si]) {
			pi += 2;
			si++;
		} else if (pi < pn && p[pi] == '_') {
			pi++;
			si++;
			while (si < sn && ((unsigned char)s[si] & 0xc0) == 0x80)
				si++;
		} else if (pi < pn && p[pi] == '%') {
			star_p = pi++;
			star_s = si;
		} else if (pi < pn && p[pi] != '\\' && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star_p != (size_t)-1) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

/* Fields of a timestamp, UTC. */
struct tm_us {
	int64_t year;
	unsigned mon, day;
	int hour, min, sec, usec, wday;	/* wday: 0 Sunday */
};

static void split_ts(int64_t us, struct tm_us *t)
{
	int64_t days = sp_floordiv(us, SP_US_PER_DAY), rem = us - days * SP_US_PER_DAY;

	sp_civil_from_days(days, &t->year, &t->mon, &t->day);
	t->hour = (int)(rem / (3600 * SP_US_PER_SEC));
	t->min = (int)(rem / (60 * SP_US_PER_SEC) % 60);
	t->sec = (int)(rem / SP_US_PER_SEC % 60);
	t->usec = (int)(rem % SP_US_PER_SEC);
	t->wday = (int)(((days % 7) + 11) % 7);	/* 1970-01-01 was a Thursday */
}

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
					   "August", "September", "October", "November", "December" };
static const char *const day_names[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
					 "Saturday" };

/* Java DateTimeFormatter patterns (the common letters) to text. */
static void format_ts(struct sp_buf *b, int64_t us, const char *pat)
{
	struct tm_us t;

	split_ts(us, &t);
	while (*pat) {
		char ch = *pat;
		int n = 1;

		if (ch == '\'') {
			pat++;
			if (*pat == '\'') {
				sp_buf_addc(b, '\'');
				pat++;
				continue;
			}
			while (*pat && *pat != '\'')
				sp_buf_addc(b, *pat++);
			if (*pat)
				pat++;
			continue;
		}
		if (!isalpha((unsigned char)ch)) {
			sp_buf_addc(b, ch);
			pat++;
			continue;
		}
		while (pat[n] == ch)
			n++;
		pat += n;
		switch (ch) {
		case 'y': case 'u':
			if (n == 2)
				sp_buf_printf(b, "%02d", (int)(t.year % 100));
			else
				sp_buf_printf(b, "%0*lld", n, (long long)t.year);
			break;
		case 'M': case 'L':
			if (n >= 4)
				sp_buf_puts(b, month_names[t.mon - 1]);
			else if (n == 3)
				sp_buf_printf(b, "%.3s", month_names[t.mon - 1]);
			else
				sp_buf_printf(b, "%0*u", n, t.mon);
			break;
		case 'd': sp_buf_printf(b, "%0*u", n, t.day); break;
		case 'H': sp_buf_printf(b, "%0*d", n, t.hour); break;
		case 'h': sp_buf_printf(b, "%0*d", n, t.hour % 12 ? t.hour % 12 : 12); break;
		case 'm': sp_buf_printf(b, "%0*d", n, t.min); break;
		case 's': sp_buf_printf(b, "%0*d", n, t.sec); break;
		case 'S': {
			char frac[8];

			snprintf(frac, sizeof frac, "%06d", t.usec);
			for (int i = 0; i < n; i++)
				sp_buf_addc(b, i < 6 ? frac[i] : '0');
			break;
		}
		case 'a': sp_buf_puts(b, t.hour < 12 ? "AM" : "PM"); break;
		case 'E':
			if (n >= 4)
				sp_buf_puts(b, day_names[t.wday]);
			else
				sp_buf_printf(b, "%.3s", day_names[t.wday]);
			break;
		case 'X': case 'x': case 'Z':
			sp_buf_puts(b, ch == 'X' ? "Z" : "+0000");
			break;
		default:
			for (int i = 0; i < n; i++)
				sp_buf_addc(b, ch);
			break;
		}
	}
}

/* Text to timestamp by a Java pattern; -1 when it does not match. */
static int parse_ts_pattern(const char *s, size_t len, const char *pat, int64_t *us)
{
	int64_t year = 1970, v;
	unsigned mon = 1, day = 1;
	int hour = 0, min = 0, sec = 0, pm = -1;
	int64_t frac = 0;
	const char *end = s + len;

	while (*pat) {
		char ch = *pat;
		int n = 1, digits;

		if (ch == '\'') {
			pat++;
			while (*pat && *pat != '\'') {
				if (s >= end || *s != *pat)
					return -1;
				s++, pat++;
			}
			if (*pat)
				pat++;
			continue;
		}
		if (!isalpha((unsigned char)ch)) {
			if (s >= end || *s != ch)
				return -1;
			s++, pat++;
			continue;
		}
		while (pat[n] == ch)
			n++;
		pat += n;
		if (ch == 'a') {
			if (end - s < 2)
				return -1;
			pm = !strncasecmp(s, "PM", 2);
			s += 2;
			continue;
		}
		if (ch == 'M' && n >= 3) {
			int found = 0;

			for (unsigned m = 0; m < 12 && !found; m++) {
				size_t ml = n == 3 ? 3 : strlen(month_names[m]);

				if ((size_t)(end - s) >= ml && !strncasecmp(s, month_names[m], ml)) {
					mon = m + 1;
					s += ml;
					found = 1;
				}
			}
			if (!found)
				return -1;
			continue;
		}
		v = 0;
		digits = 0;
		while (s < end && isdigit((unsigned char)*s) && (digits < n || (n <= 2 && digits < 2) || ch == 'y')) {
			v = v * 10 + (*s++ - '0');
			digits++;
			if (ch == 'S' && digits == n)
				break;
		}
		if (!digits)
			return -1;
		switch (ch) {
		case 'y': case 'u': year = n == 2 ? 2000 + v : v; break;
		case 'M': mon = (unsigned)v; break;
		case 'd': day = (unsigned)v; break;
		case 'H': case 'h': hour = (int)v; break;
		case 'm': min = (int)v; break;
		case 's': sec = (int)v; break;
		case 'S':
			frac = v;
			while (digits < 6)
				frac *= 10, digits++;
			while (digits > 6)
				frac /= 10, digits--;
			break;
		default: return -1;
		}
	}
	if (s != end || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59)
		return -1;
	if (pm == 1 && hour < 12)
		hour += 12;
	if (pm == 0 && hour == 12)
		hour = 0;
	*us = sp_days_from_civil(year, mon, day) * SP_US_PER_DAY + ((int64_t)hour * 3600 + min * 60 + sec) * SP_US_PER_SEC + frac;
	return 0;
}

/* Copies a string into the arena with a byte transformation. */
static void map_str(struct sp_val *v, struct sp_arena *a, int (*fn)(int))
{
	char *p = sp_arena_alloc(a, v->u.s.len + 1);

	for (size_t i = 0; i < v->u.s.len; i++)
		p[i] = (char)fn((unsigned char)v->u.s.p[i]);
	v->u.s.p = p;
}

/* The node's column for built values: emptied when a new batch starts. */
static struct sp_col *tmp_col(struct sp_expr *e, size_t row)
{
	if (row < e->tmp_row || e->tmp.n > (1u << 26))
		sp_col_reset(&e->tmp);
	e->tmp_row = row;
	return &e->tmp;
}

static double round_half_up(double x, int64_t d)
{
	double p = pow(10.0, (double)d), y = x * p;
	double r = y >= 0 ? floor(y + 0.5) : -floor(-y + 0.5);

	return d > 0 ? r / p : r / p;
}

static void ev_fn(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a)
{
	struct sp_val v[4], x;
	struct sp_buf buf = SP_BUF_INIT;
	struct sp_col *col = NULL;
	size_t n = e->nk;

	out->t = e->type->id;
	out->null = 0;
	switch (e->op) {
	case F_COALESCE:
		for (size_t i = 0; i < n; i++) {
			ev(e->k[i], b, row, out, a);
			if (!out->null)
				return;
		}
		return;
	case F_IF:
		ev(e->k[0], b, row, &x, a);
		ev(e->k[!x.null && x.u.b ? 1 : 2], b, row, out, a);
		return;
	case F_GREATEST: case F_LEAST: {
		int any = 0;

		for (size_t i = 0; i < n; i++) {
			ev(e->k[i], b, row, &x, a);
			if (x.null)
				continue;
			if (!any || (e->op == F_GREATEST ? cmp_vals(&x, out) > 0 : cmp_vals(&x, out) < 0))
				*out = x;
			any = 1;
		}
		if (!any)
			set_null(out, e->type->id);
		return;
	}
	case F_CONCAT: case F_CONCAT_WS: {
		size_t first = e->op == F_CONCAT_WS;
		struct sp_val sep = { 0 };

		if (first) {
			ev(e->k[0], b, row, &sep, a);
			if (sep.null)
				goto null;
		}
		for (size_t i = first, cnt = 0; i < n; i++) {
			ev(e->k[i], b, row, &x, a);
			if (x.null) {
				if (e->op == F_CONCAT)
					goto null;
				continue;
			}
			if (x.t == SP_T_ARRAY) {
				for (size_t j = 0; j < x.u.arr.len; j++) {
					struct sp_val el;

					sp_col_get(x.u.arr.elems, x.u.arr.start + j, &el);
					if (el.null)
						continue;
					if (cnt++ && first)
						sp_buf_add(&buf, sep.u.s.p, sep.u.s.len);
					sp_buf_add(&buf, el.u.s.p, el.u.s.len);
				}
				continue;
			}
			if (cnt++ && first)
				sp_buf_add(&buf, sep.u.s.p, sep.u.s.len);
			sp_buf_add(&buf, x.u.s.p, x.u.s.len);
		}
		set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
		sp_buf_release(&buf);
		return;
	}
	case F_STRUCT: case F_NAMED_STRUCT:
		col = tmp_col(e, row);
		for (size_t i = e->op == F_NAMED_STRUCT, f = 0; i < n; i += 1 + (e->op == F_NAMED_STRUCT), f++) {
			ev(e->k[i], b, row, &x, a);
			sp_col_push_val(&col->child[f], &x);
		}
		sp_col_push_struct(col);
		sp_col_get(col, col->n - 1, out);
		return;
	case F_ARRAY:
		col = tmp_col(e, row);
		for (size_t i = 0; i < n; i++) {
			ev(e->k[i], b, row, &x, a);
			sp_col_push_val(col->child, &x);
		}
		sp_col_push_array(col);
		sp_col_get(col, col->n - 1, out);
		return;
	}
	/* the rest are NULL when any argument is */
	for (size_t i = 0; i < n && i < 4; i++) {
		ev(e->k[i], b, row, &v[i], a);
		if (v[i].null && e->op != F_NULLIF && e->op != F_EXPLODE_OUTER && e->op != F_TO_JSON)
			goto null;
	}
	switch (e->op) {
	case F_LOWER: case F_UPPER:
		*out = v[0];
		map_str(out, a, e->op == F_LOWER ? tolower : toupper);
		return;
	case F_LENGTH:
		out->u.i = (int64_t)(v[0].t == SP_T_BINARY ? v[0].u.s.len : utf8_len(v[0].u.s.p, v[0].u.s.len));
		return;
	case F_SUBSTR: {
		int64_t len = (int64_t)utf8_len(v[0].u.s.p, v[0].u.s.len), pos = v[1].u.i, cnt = n > 2 ? v[2].u.i : INT64_MAX;
		int64_t start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0, stop;

		if (cnt < 0)
			cnt = 0;
		stop = cnt > INT64_MAX - start ? INT64_MAX : start + cnt;
		if (start < 0)
			start = 0;
		if (stop > len)
			stop = len;
		if (start >= stop) {
			set_str(out, "", 0);
			return;
		}
		{
			size_t s0 = utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)start);
			size_t s1 = utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)stop);

			set_str(out, v[0].u.s.p + s0, s1 - s0);
		}
		return;
	}
	case F_TRIM: case F_LTRIM: case F_RTRIM: {
		const char *p = v[0].u.s.p;
		size_t l = v[0].u.s.len;

		if (e->op != F_RTRIM)
			while (l && *p == ' ')
				p++, l--;
		if (e->op != F_LTRIM)
			while (l && p[l - 1] == ' ')
				l--;
		set_str(out, p, l);
		return;
	}
	case F_REPLACE: {
		const char *p = v[0].u.s.p, *end = p + v[0].u.s.len;
		size_t sl = v[1].u.s.len;

		if (!sl) {
			*out = v[0];
			return;
		}
		while (p < end) {
			const char *hit = memmem(p, (size_t)(end - p), v[1].u.s.p, sl);

			if (!hit) {
				sp_buf_add(&buf, p, (size_t)(end - p));
				break;
			}
			sp_buf_add(&buf, p, (size_t)(hit - p));
			if (n > 2)
				sp_buf_add(&buf, v[2].u.s.p, v[2].u.s.len);
			p = hit + sl;
		}
		set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
		sp_buf_release(&buf);
		return;
	}
	case F_INSTR: {
		const char *hit = v[1].u.s.len ? memmem(v[0].u.s.p, v[0].u.s.len, v[1].u.s.p, v[1].u.s.len) : v[0].u.s.p;

		out->u.i = hit ? (int64_t)utf8_len(v[0].u.s.p, (size_t)(hit - v[0].u.s.p)) + 1 : 0;
		return;
	}
	case F_LPAD: case F_RPAD: {
		int64_t want = v[1].u.i, have = (int64_t)utf8_len(v[0].u.s.p, v[0].u.s.len);
		const char *pad = n > 2 ? v[2].u.s.p : " ";
		size_t pl = n > 2 ? v[2].u.s.len : 1;

		if (want <= have) {
			set_str(out, v[0].u.s.p, utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)(want > 0 ? want : 0)));
			return;
		}
		if (e->op == F_RPAD)
			sp_buf_add(&buf, v[0].u.s.p, v[0].u.s.len);
		for (int64_t k = 0; pl && k < want - have; k++)
			sp_buf_addc(&buf, pad[k % (int64_t)pl]);
		if (e->op == F_LPAD)
			sp_buf_add(&buf, v[0].u.s.p, v[0].u.s.len);
		set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
		sp_buf_release(&buf);
		return;
	}
	case F_SPLIT: case F_REGEXP_REPLACE: case F_REGEXP_EXTRACT: {
		char *s = arena_str(a, v[0].u.s.p, v[0].u.s.len), *p = s;
		regmatch_t m[10];
		int64_t limit = e->op == F_SPLIT && n > 2 ? v[2].u.i : -1, pieces = 0;

		if (e->op == F_SPLIT)
			col = tmp_col(e, row);
		if (e->op == F_REGEXP_EXTRACT) {
			int64_t g = n > 2 ? v[2].u.i : 1;

			if (g < 0 || g > 9 || regexec(&e->re, s, 10, m, 0) != 0 || m[g].rm_so < 0) {
				set_str(out, "", 0);
				return;
			}
			set_str(out, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
			return;
		}
		for (;;) {
			int last = limit > 0 && pieces == limit - 1;

			if (last || !*p || regexec(&e->re, p, 1, m, p == s ? 0 : REG_NOTBOL) != 0 ||
			    (m[0].rm_eo == 0 && *p == '\0')) {
				if (e->op == F_SPLIT)
					sp_col_push_bytes(col->child, p, strlen(p));
				else
					sp_buf_puts(&buf, p);
				break;
			}
			if (m[0].rm_eo == m[0].rm_so) {
				/* an empty match: split between characters, as Java does */
				size_t one = 1;

				while (p[one] && ((unsigned char)p[one] & 0xc0) == 0x80)
					one++;
				if (e->op == F_SPLIT)
					sp_col_push_bytes(col->child, p, one);
				else {
					sp_buf_add(&buf, v[2].u.s.p, v[2].u.s.len);
					sp_buf_add(&buf, p, one);
				}
				p += one;
				pieces++;
				continue;
			}
			if (e->op == F_SPLIT)
				sp_col_push_bytes(col->child, p, (size_t)m[0].rm_so);
			else {
				sp_buf_add(&buf, p, (size_t)m[0].rm_so);
				sp_buf_add(&buf, v[2].u.s.p, v[2].u.s.len);
			}
			p += m[0].rm_eo;
			pieces++;
		}
		if (e->op == F_SPLIT) {
			sp_col_push_array(col);
			sp_col_get(col, col->n - 1, out);
		} else {
			set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
			sp_buf_release(&buf);
		}
		return;
	}
	case F_NULLIF:
		*out = v[0];
		if (!v[0].null && !v[1].null && !cmp_vals(&v[0], &v[1]))
			set_null(out, e->type->id);
		return;
	case F_ABS:
		*out = v[0];
		if (out->t == SP_T_LONG)
			out->u.i = out->u.i < 0 ? (int64_t)(0 - (uint64_t)out->u.i) : out->u.i;
		else
			out->u.d = fabs(out->u.d);
		return;
	case F_ROUND: {
		int64_t d = n > 1 ? v[1].u.i : 0;

		*out = v[0];
		if (out->t == SP_T_DOUBLE) {
			if (isfinite(out->u.d))
				out->u.d = round_half_up(out->u.d, d);
		} else if (d < 0) {
			int64_t p = 1;

			for (int64_t i = 0; i < -d && i < 18; i++)
				p *= 10;
			out->u.i = (out->u.i >= 0 ? (out->u.i + p / 2) / p : -((-out->u.i + p / 2) / p)) * p;
		}
		return;
	}
	case F_FLOOR: case F_CEIL:
		if (v[0].t == SP_T_LONG)
			out->u.i = v[0].u.i;
		else {
			double r = e->op == F_FLOOR ? floor(v[0].u.d) : ceil(v[0].u.d);

			x = (struct sp_val){ .t = SP_T_DOUBLE, .u.d = r };
			sp_val_cast(&x, prim(SP_T_LONG), a);
			out->u.i = x.u.i;
		}
		return;
	case F_SQRT: out->u.d = sqrt(v[0].u.d); return;
	case F_POW: out->u.d = pow(v[0].u.d, v[1].u.d); return;
	case F_EXP: out->u.d = exp(v[0].u.d); return;
	case F_LN: case F_LOG10: case F_LOG: {
		double base = e->op == F_LOG && n == 2 ? v[0].u.d : 0, y = e->op == F_LOG && n == 2 ? v[1].u.d : v[0].u.d;

		if (y <= 0 || (e->op == F_LOG && n == 2 && base <= 0))
			goto null;
		out->u.d = e->op == F_LOG10 ? log10(y) : e->op == F_LOG && n == 2 ? log(y) / log(base) : log(y);
		return;
	}
	case F_TO_TS: case F_TO_DATE: case F_UNIX_TS: {
		int64_t us;

		if (n == 0) {
			out->u.i = sp_floordiv(sp_now_us(), SP_US_PER_SEC);
			return;
		}
		if (v[0].t == SP_T_TIMESTAMP || v[0].t == SP_T_DATE) {
			us = v[0].t == SP_T_DATE ? v[0].u.i * SP_US_PER_DAY : v[0].u.i;
		} else if (n == 2) {
			if (parse_ts_pattern(v[0].u.s.p, v[0].u.s.len, v[1].u.s.p, &us) < 0)
				goto null;
		} else if (sp_ts_parse(v[0].u.s.p, v[0].u.s.len, &us) < 0) {
			goto null;
		}
		out->u.i = e->op == F_TO_TS ? us : e->op == F_TO_DATE ? sp_floordiv(us, SP_US_PER_DAY)
							       : sp_floordiv(us, SP_US_PER_SEC);
		return;
	}
	case F_FROM_UNIXTIME: case F_DATE_FORMAT:
		format_ts(&buf, e->op == F_FROM_UNIXTIME ? v[0].u.i * SP_US_PER_SEC : v[0].u.i,
			  n > 1 ? v[1].u.s.p : "yyyy-MM-dd HH:mm:ss");
		set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
		sp_buf_release(&buf);
		return;
	case F_TS_SECONDS: case F_TS_MILLIS: {
		double f = e->op == F_TS_SECONDS ? 1e6 : 1e3;

		x = v[0];
		if (x.t == SP_T_LONG)
			out->u.i = x.u.i * (int64_t)f;
		else if (!isfinite(x.u.d))
			goto null;
		else
			out->u.i = (int64_t)llround(x.u.d * f);
		return;
	}
	case F_DATE_TRUNC: {
		static const struct {
			const char *u;
			int64_t us;
		} units[] = { { "day", SP_US_PER_DAY }, { "dd", SP_US_PER_DAY }, { "hour", 3600 * SP_US_PER_SEC },
			      { "minute", 60 * SP_US_PER_SEC }, { "second", SP_US_PER_SEC }, { "millisecond", 1000 },
			      { "microsecond", 1 } };
		struct tm_us t;
		char u[16];
		size_t l = v[0].u.s.len < sizeof u - 1 ? v[0].u.s.len : sizeof u - 1;

		memcpy(u, v[0].u.s.p, l);
		u[l] = '\0';
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (!strcasecmp(u, units[i].u)) {
				out->u.i = sp_floordiv(v[1].u.i, units[i].us) * units[i].us;
				return;
			}
		split_ts(v[1].u.i, &t);
		if (!strcasecmp(u, "week"))
			out->u.i = (sp_floordiv(v[1].u.i, SP_US_PER_DAY) - (t.wday + 6) % 7) * SP_US_PER_DAY;
		else if (!strcasecmp(u, "month") || !strcasecmp(u, "mm") || !strcasecmp(u, "mon"))
			out->u.i = sp_days_from_civil(t.year, t.mon, 1) * SP_US_PER_DAY;
		else if (!strcasecmp(u, "quarter"))
			out->u.i = sp_days_from_civil(t.year, (t.mon - 1) / 3 * 3 + 1, 1) * SP_US_PER_DAY;
		else if (!strcasecmp(u, "year") || !strcasecmp(u, "yyyy") || !strcasecmp(u, "yy"))
			out->u.i = sp_days_from_civil(t.year, 1, 1) * SP_US_PER_DAY;
		else
			goto null;
		return;
	}
	case F_YEAR: case F_MONTH: case F_DAY: case F_DOW: case F_HOUR: case F_MINUTE: case F_SECOND: {
		struct tm_us t;

		split_ts(v[0].t == SP_T_DATE ? v[0].u.i * SP_US_PER_DAY : v[0].u.i, &t);
		out->u.i = e->op == F_YEAR ? t.year : e->op == F_MONTH ? (int64_t)t.mon : e->op == F_DAY ? (int64_t)t.day
			 : e->op == F_DOW ? t.wday + 1 : e->op == F_HOUR ? t.hour : e->op == F_MINUTE ? t.min : t.sec;
		return;
	}
	case F_FROM_JSON:
		col = tmp_col(e, row);
		if (e->type->id == SP_T_STRUCT || e->type->id == SP_T_ARRAY) {
			sp_json_parse_into(col, v[0].u.s.p, v[0].u.s.len);
			sp_col_get(col, col->n - 1, out);
		} else {
			goto null;
		}
		return;
	case F_TO_JSON:
		if (v[0].null)
			goto null;
		sp_json_write_val(&buf, &v[0]);
		set_str(out, arena_str(a, buf.p ? buf.p : "", buf.len), buf.len);
		sp_buf_release(&buf);
		return;
	case F_SIZE:
		out->u.i = (int64_t)v[0].u.arr.len;
		return;
	case F_CONTAINS: {
		int saw_null = 0;

		for (size_t i = 0; i < v[0].u.arr.len; i++) {
			sp_col_get(v[0].u.arr.elems, v[0].u.arr.start + i, &x);
			if (x.null)
				saw_null = 1;
			else if (!cmp_vals(&x, &v[1])) {
				out->u.b = 1;
				return;
			}
		}
		if (saw_null)
			goto null;
		out->u.b = 0;
		return;
	}
	case F_ELEMENT_AT: {
		int64_t i = v[1].u.i, len = (int64_t)v[0].u.arr.len;

		if (i == 0 || i > len || i < -len)
			goto null;
		sp_col_get(v[0].u.arr.elems, v[0].u.arr.start + (size_t)(i > 0 ? i - 1 : len + i), out);
		return;
	}
	case F_EXPLODE: case F_EXPLODE_OUTER:
		/* the select step iterates the array itself; as a value, it is the array */
		*out = v[0];
		return;
	}
null:
	sp_buf_release(&buf);
	set_null(out, e->type->id);
}

static void ev(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a)
{
	struct sp_val x, y;
	int c;

	switch (e->kind) {
	case E_LIT:
		*out = e->lit;
		out->t = e->type->id;
		return;
	case E_COL:
		sp_col_get(&b->cols[e->col], row, out);
		return;
	case E_FIELD:
		ev(e->k[0], b, row, &x, a);
		if (x.null) {
			set_null(out, e->type->id);
			return;
		}
		sp_col_get(&x.u.st.col->child[e->col], x.u.st.row, out);
		return;
	case E_INDEX:
		ev(e->k[0], b, row, &x, a);
		ev(e->k[1], b, row, &y, a);
		if (x.null || y.null || y.u.i < 0 || (uint64_t)y.u.i >= x.u.arr.len) {
			set_null(out, e->type->id);
			return;
		}
		sp_col_get(x.u.arr.elems, x.u.arr.start + (size_t)y.u.i, out);
		return;
	case E_NEG:
		ev(e->k[0], b, row, out, a);
		if (!out->null) {
			if (out->t == SP_T_LONG)
				out->u.i = (int64_t)(0 - (uint64_t)out->u.i);
			else
				out->u.d = -out->u.d;
		}
		return;
	case E_NOT:
		ev(e->k[0], b, row, out, a);
		out->u.b = !out->u.b;
		return;
	case E_AND: case E_OR:
		/* three-valued: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE */
		ev(e->k[0], b, row, &x, a);
		if (!x.null && x.u.b == (e->kind == E_OR)) {
			*out = x;
			return;
		}
		ev(e->k[1], b, row, &y, a);
		if (!y.null && y.u.b == (e->kind == E_OR)) {
			*out = y;
			return;
		}
		out->t = SP_T_BOOLEAN;
		out->null = x.null || y.null;
		out->u.b = e->kind == E_AND;
		return;
	case E_ARITH:
		ev(e->k[0], b, row, &x, a);
		ev(e->k[1], b, row, &y, a);
		out->t = e->type->id;
		out->null = x.null || y.null;
		if (out->null)
			return;
		if (e->type->id == SP_T_LONG) {
			uint64_t p = (uint64_t)x.u.i, q = (uint64_t)y.u.i;

			switch (e->op) {
			case '+': out->u.i = (int64_t)(p + q); break;
			case '-': out->u.i = (int64_t)(p - q); break;
			case '*': out->u.i = (int64_t)(p * q); break;
			case '%':
			case OP_DIV:
				if (!y.u.i) {
					out->null = 1;
				} else if (y.u.i == -1) {
					out->u.i = e->op == '%' ? 0 : (int64_t)(0 - p);
				} else {
					out->u.i = e->op == '%' ? x.u.i % y.u.i : x.u.i / y.u.i;
				}
				break;
			}
		} else {
			switch (e->op) {
			case '+': out->u.d = x.u.d + y.u.d; break;
			case '-': out->u.d = x.u.d - y.u.d; break;
			case '*': out->u.d = x.u.d * y.u.d; break;
			case '/':
				if (y.u.d == 0)
					out->null = 1;
				else
					out->u.d = x.u.d / y.u.d;
				break;
			case '%':
				if (y.u.d == 0)
					out->null = 1;
				else
					out->u.d = fmod(x.u.d, y.u.d);
				break;
			}
		}
		return;
	case E_CMP:
		ev(e->k[0], b, row, &x, a);
		ev(e->k[1], b, row, &y, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		if (e->op == OP_EQNS) {
			out->u.b = x.null || y.null ? x.null == y.null : !cmp_vals(&x, &y);
			return;
		}
		if (x.null || y.null) {
			out->null = 1;
			return;
		}
		c = cmp_vals(&x, &y);
		switch (e->op) {
		case OP_EQ: out->u.b = c == 0; break;
		case OP_NE: out->u.b = c != 0; break;
		case OP_LT: out->u.b = c < 0; break;
		case OP_LE: out->u.b = c <= 0; break;
		case OP_GT: out->u.b = c > 0; break;
		default: out->u.b = c >= 0; break;
		}
		return;
	case E_IS:
		ev(e->k[0], b, row, &x, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		out->u.b = e->op == 0 ? x.null : !x.null && x.u.b == (e->op == 1);
		if (e->neg)
			out->u.b = !out->u.b;
		return;
	case E_IN: {
		int saw_null;

		ev(e->k[0], b, row, &x, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		saw_null = x.null;
		for (size_t i = 1; i < e->nk && !x.null; i++) {
			ev(e->k[i], b, row, &y, a);
			if (y.null)
				saw_null = 1;
			else if (!cmp_vals(&x, &y)) {
				out->u.b = !e->neg;
				return;
			}
		}
		out->null = saw_null;
		out->u.b = e->neg;
		return;
	}
	case E_BETWEEN: {
		struct sp_val lo, hi;
		int ge, le, nge, nle;

		ev(e->k[0], b, row, &x, a);
		ev(e->k[1], b, row, &lo, a);
		ev(e->k[2], b, row, &hi, a);
		out->t = SP_T_BOOLEAN;
		nge = x.null || lo.null;
		nle = x.null || hi.null;
		ge = !nge && cmp_vals(&x, &lo) >= 0;
		le = !nle && cmp_vals(&x, &hi) <= 0;
		/* x >= lo AND x <= hi, three-valued */
		if ((!nge && !ge) || (!nle && !le)) {
			out->null = 0;
			out->u.b = 0;
		} else {
			out->null = nge || nle;
			out->u.b = 1;
		}
		if (!out->null && e->neg)
			out->u.b = !out->u.b;
		return;
	}
	case E_LIKE: case E_RLIKE:
		ev(e->k[0], b, row, &x, a);
		ev(e->k[1], b, row, &y, a);
		out->t = SP_T_BOOLEAN;
		out->null = x.null || y.null;
		if (out->null)
			return;
		if (e->kind == E_LIKE)
			out->u.b = like(x.u.s.p, x.u.s.len, y.u.s.p, y.u.s.len);
		else
			out->u.b = regexec(&e->re, arena_str(a, x.u.s.p, x.u.s.len), 0, NULL, 0) == 0;
		if (e->neg)
			out->u.b = !out->u.b;
		return;
	case E_CASE: {
		size_t first = (size_t)(e->op & 1), stop = e->op & 2 ? e->nk - 1 : e->nk;

		if (first)
			ev(e->k[0], b, row, &x, a);
		for (size_t i = first; i < stop; i += 2) {
			ev(e->k[i], b, row, &y, a);
			if (first ? !x.null && !y.null && !cmp_vals(&x, &y) : !y.null && y.u.b) {
				ev(e->k[i + 1], b, row, out, a);
				return;
			}
		}
		if (e->op & 2)
			ev(e->k[e->nk - 1], b, row, out, a);
		else
			set_null(out, e->type->id);
		return;
	}
	case E_CAST:
		ev(e->k[0], b, row, out, a);
		sp_val_cast(out, e->type, a);
		return;
	case E_TSADD:
		ev(e->k[0], b, row, out, a);
		if (!out->null)
			out->u.i += e->lit.u.i;
		return;
	case E_FN:
		ev_fn(e, b, row, out, a);
		return;
	}
}

void sp_expr_eval(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *scratch)
{
	ev(e, b, row, out, scratch);
}

int sp_expr_true(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_arena *scratch)
{
	struct sp_val v;

	ev(e, b, row, &v, scratch);
	return !v.null && v.t == SP_T_BOOLEAN && v.u.b;
}
