/*
 * expr-eval.c: compiling an AST against a schema, and evaluating it.
 *
 * Compiling resolves columns, checks types and inserts Spark's implicit
 * casts, so evaluation is a walk over typed nodes that never fails: what
 * cannot be computed (a bad cast, division by zero) is NULL, as in Spark's
 * non-ANSI mode. Functions are in expr-func.c, casts in expr-cast.c.
 */
#include "expr-int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "buf.h"
#include "timefmt.h"

/* ---- small helpers ---- */

struct sp_expr *sp_expr_node(enum ekind k, struct sp_type *t)
{
	struct sp_expr *e = sp_xcalloc(1, sizeof *e);

	e->kind = k;
	e->type = t;
	e->col = -1;
	return e;
}

void sp_expr_kid(struct sp_expr *e, struct sp_expr *kid)
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
	sp_buf_release(&e->sb);
	sp_buf_release(&e->subj);
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

static void type_text(struct sp_buf *b, const struct sp_type *t)
{
	switch (t->id) {
	case SP_T_ARRAY:
		sp_buf_puts(b, "ARRAY<");
		type_text(b, t->elem);
		sp_buf_puts(b, ">");
		break;
	case SP_T_STRUCT:
		sp_buf_puts(b, "STRUCT<");
		for (size_t i = 0; i < t->nfields; i++) {
			sp_buf_printf(b, "%s%s: ", i ? ", " : "", t->fields[i].name);
			type_text(b, t->fields[i].type);
		}
		sp_buf_puts(b, ">");
		break;
	default:
		sp_buf_puts(b, sp_type_name(t->id));
		break;
	}
}

char *sp_expr_type_text(const struct sp_type *t)
{
	struct sp_buf b = SP_BUF_INIT;

	type_text(&b, t);
	return sp_buf_take(&b);
}

char *sp_expr_arena_str(struct sp_arena *a, const char *s, size_t n)
{
	char *p = sp_arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- compiling ---- */

struct sp_expr *sp_expr_cfail(struct sp_expr_cx *c, const struct sp_ast *a, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sp_expr_fail(c->err, a->text, a->start, "%s", msg);
	return NULL;
}

struct sp_expr *sp_expr_cast_to(struct sp_expr *e, struct sp_type *t)
{
	struct sp_expr *c;

	if (sp_type_equal(e->type, t))
		return e;
	if (e->kind == E_LIT && (e->lit.null || (t->id != SP_T_STRUCT && t->id != SP_T_ARRAY))) {
		/* a literal is cast now, once: 100 in "temperature > 100" becomes 100.0 */
		struct sp_arena a = SP_ARENA_INIT;
		struct sp_val v = e->lit;

		v.t = e->type->id;
		sp_val_cast(&v, t, &a);
		if (!v.null && (v.t == SP_T_STRING || v.t == SP_T_BINARY)) {
			char *p = sp_xstrndup(v.u.s.p, v.u.s.len);

			free(e->litbuf);
			e->litbuf = p;
			v.u.s.p = p;
		}
		sp_arena_release(&a);
		e->lit = v;
		e->lit.t = t->id;
		sp_type_unref(e->type);
		e->type = sp_type_ref(t);
		return e;
	}
	c = sp_expr_node(E_CAST, sp_type_ref(t));
	sp_expr_kid(c, e);
	return c;
}

static int is_atomic(enum sp_type_id t)
{
	return t != SP_T_STRUCT && t != SP_T_ARRAY && t != SP_T_NULL;
}

/*
 * Spark's TypeCoercion: for a comparison (findCommonTypeForBinaryComparison)
 * a string meets a number, boolean or binary at that type, a date or a
 * timestamp at that type; otherwise (findWiderCommonType, for CASE, IN,
 * coalesce, ...) numbers widen to DOUBLE and anything atomic but BOOLEAN
 * and BINARY widens to STRING.
 */
struct sp_type *sp_expr_common(const struct sp_type *a, const struct sp_type *b, int comparing)
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
	if ((x == SP_T_TIMESTAMP && y == SP_T_DATE) || (x == SP_T_DATE && y == SP_T_TIMESTAMP))
		return prim(SP_T_TIMESTAMP);
	if (comparing) {
		if (x == SP_T_STRING && is_atomic(y))
			return (struct sp_type *)b;
		if (y == SP_T_STRING && is_atomic(x))
			return (struct sp_type *)a;
		return NULL;
	}
	if ((x == SP_T_STRING && is_atomic(y) && y != SP_T_BOOLEAN && y != SP_T_BINARY) ||
	    (y == SP_T_STRING && is_atomic(x) && x != SP_T_BOOLEAN && x != SP_T_BINARY))
		return prim(SP_T_STRING);
	return NULL;
}

static struct sp_expr *columns_error(struct sp_expr_cx *c, const struct sp_ast *a, const char *name)
{
	struct sp_buf cols = SP_BUF_INIT;
	const struct sp_type *s = c->env->schema;

	for (size_t i = 0; i < s->nfields; i++)
		sp_buf_printf(&cols, "%s%s", i ? ", " : "", s->fields[i].name);
	sp_expr_cfail(c, a, "unknown column '%s' (columns: %s)", name, cols.p ? cols.p : "none");
	sp_buf_release(&cols);
	return NULL;
}

static struct sp_expr *col_ref(struct sp_expr_cx *c, const struct sp_ast *a, const char *name)
{
	const struct sp_type *s = c->env->schema;
	int i = sp_type_field_index(s, name, strlen(name));
	struct sp_expr *e;

	if (i < 0)
		return columns_error(c, a, name);
	e = sp_expr_node(E_COL, sp_type_ref(s->fields[i].type));
	e->col = i;
	return e;
}

static int is_qualifier(const struct sp_expr_cx *c, const char *name)
{
	for (size_t i = 0; i < c->env->nqualifiers; i++)
		if (!strcasecmp(c->env->qualifiers[i], name))
			return 1;
	return 0;
}

static struct sp_expr *compile_field(struct sp_expr_cx *c, const struct sp_ast *a)
{
	const struct sp_ast *base = a->kids[0];
	struct sp_expr *b, *e;
	int i;

	/* "clicks.ad_id": a table qualifier, when clicks is not a column */
	if (base->k == A_COL && is_qualifier(c, base->name) &&
	    sp_type_field_index(c->env->schema, base->name, strlen(base->name)) < 0)
		return col_ref(c, a, a->name);
	if (!(b = sp_expr_compile_node(c, base, 0)))
		return NULL;
	if (b->type->id != SP_T_STRUCT) {
		char *t = sp_expr_type_text(b->type);

		sp_expr_free(b);
		sp_expr_cfail(c, a, "cannot take field '%s' of %s (not a struct)", a->name, t);
		free(t);
		return NULL;
	}
	i = sp_type_field_index(b->type, a->name, strlen(a->name));
	if (i < 0) {
		sp_expr_free(b);
		return sp_expr_cfail(c, a, "no field '%s' in this struct", a->name);
	}
	e = sp_expr_node(E_FIELD, sp_type_ref(b->type->fields[i].type));
	e->col = i;
	sp_expr_kid(e, b);
	return e;
}
static const char *op_text(int op)
{
	static const char *const names[] = {
		[OP_EQ] = "=", [OP_NE] = "<>", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
		[OP_EQNS] = "<=>", [OP_AND] = "AND", [OP_OR] = "OR", [OP_NOT] = "NOT", [OP_CONCAT] = "||",
		[OP_DIV] = "div", ['+'] = "+", ['-'] = "-", ['*'] = "*", ['/'] = "/", ['%'] = "%",
	};

	return op >= 0 && (size_t)op < sizeof names / sizeof names[0] && names[op] ? names[op] : "?";
}

/* A BOOLEAN operand (NULL literals become BOOLEAN NULLs); NULL with an error otherwise. */
struct sp_expr *sp_expr_want_bool(struct sp_expr_cx *c, const struct sp_ast *a, struct sp_expr *e, const char *what)
{
	char *t;

	if (e->type->id == SP_T_BOOLEAN || e->type->id == SP_T_NULL)
		return sp_expr_cast_to(e, prim(SP_T_BOOLEAN));
	t = sp_expr_type_text(e->type);
	sp_expr_cfail(c, a, "%s needs a BOOLEAN, not %s", what, t);
	free(t);
	sp_expr_free(e);
	return NULL;
}

/* An operand; an INTERVAL becomes its length in microseconds, for E_TSADD. */
static struct sp_expr *operand(struct sp_expr_cx *c, const struct sp_ast *a)
{
	struct sp_expr *e;

	if (a->k != A_INTERVAL)
		return sp_expr_compile_node(c, a, 0);
	e = sp_expr_node(E_LIT, prim(SP_T_LONG));
	e->lit = a->lit;
	return e;
}

static struct sp_expr *compile_binary(struct sp_expr_cx *c, const struct sp_ast *a)
{
	struct sp_expr *l = operand(c, a->kids[0]), *r = l ? operand(c, a->kids[1]) : NULL, *e;
	struct sp_type *t;
	enum sp_type_id lt, rt;
	char *tl, *tr;
	int op = a->op;

	if (!r) {
		sp_expr_free(l);
		return NULL;
	}
	lt = l->type->id;
	rt = r->type->id;
	/* timestamp +/- INTERVAL (a string or date operand is cast to TIMESTAMP) */
	if ((op == '+' || op == '-') && a->kids[1]->k == A_INTERVAL &&
	    (lt == SP_T_TIMESTAMP || lt == SP_T_STRING || lt == SP_T_DATE || lt == SP_T_NULL)) {
		e = sp_expr_node(E_TSADD, prim(SP_T_TIMESTAMP));
		sp_expr_kid(e, sp_expr_cast_to(l, prim(SP_T_TIMESTAMP)));
		e->lit.u.i = op == '+' ? r->lit.u.i : (int64_t)(0 - (uint64_t)r->lit.u.i);
		sp_expr_free(r);
		return e;
	}
	if (op == '+' && a->kids[0]->k == A_INTERVAL &&
	    (rt == SP_T_TIMESTAMP || rt == SP_T_STRING || rt == SP_T_DATE || rt == SP_T_NULL)) {
		e = sp_expr_node(E_TSADD, prim(SP_T_TIMESTAMP));
		sp_expr_kid(e, sp_expr_cast_to(r, prim(SP_T_TIMESTAMP)));
		e->lit.u.i = l->lit.u.i;
		sp_expr_free(l);
		return e;
	}
	if (a->kids[0]->k == A_INTERVAL || a->kids[1]->k == A_INTERVAL) {
		sp_expr_free(l);
		sp_expr_free(r);
		return sp_expr_cfail(c, a, "an INTERVAL can only be added to or subtracted from a timestamp");
	}
	if (op == '-' && (lt == SP_T_TIMESTAMP || lt == SP_T_DATE) && (rt == SP_T_TIMESTAMP || rt == SP_T_DATE)) {
		sp_expr_free(l);
		sp_expr_free(r);
		return sp_expr_cfail(c, a, "subtracting timestamps gives an interval, which is not supported here: "
				     "use unix_timestamp(a) - unix_timestamp(b) for seconds, or datediff(a, b) for days");
	}
	/* date +/- days, as date_add/date_sub */
	if ((op == '+' || op == '-') && lt == SP_T_DATE && rt == SP_T_LONG) {
		e = sp_expr_node(E_FN, prim(SP_T_DATE));
		e->op = op == '+' ? F_DATE_ADD : F_DATE_SUB;
		sp_expr_kid(e, l);
		sp_expr_kid(e, r);
		return e;
	}
	switch (op) {
	case OP_AND: case OP_OR:
		if (!(l = sp_expr_want_bool(c, a->kids[0], l, op == OP_AND ? "AND" : "OR"))) {
			sp_expr_free(r);
			return NULL;
		}
		if (!(r = sp_expr_want_bool(c, a->kids[1], r, op == OP_AND ? "AND" : "OR"))) {
			sp_expr_free(l);
			return NULL;
		}
		e = sp_expr_node(op == OP_AND ? E_AND : E_OR, prim(SP_T_BOOLEAN));
		sp_expr_kid(e, l);
		sp_expr_kid(e, r);
		return e;
	case OP_CONCAT:
		if (lt == SP_T_STRUCT || rt == SP_T_STRUCT || lt == SP_T_ARRAY || rt == SP_T_ARRAY)
			goto bad_types;
		e = sp_expr_node(E_FN, prim(SP_T_STRING));
		e->op = F_CONCAT;
		sp_expr_kid(e, sp_expr_cast_to(l, prim(SP_T_STRING)));
		sp_expr_kid(e, sp_expr_cast_to(r, prim(SP_T_STRING)));
		return e;
	case '+': case '-': case '*': case '/': case '%': case OP_DIV:
		/* non-ANSI: a string operand is cast to DOUBLE */
		if (!is_num(lt) && lt != SP_T_STRING && lt != SP_T_NULL)
			goto bad_types;
		if (!is_num(rt) && rt != SP_T_STRING && rt != SP_T_NULL)
			goto bad_types;
		if (op == '/')
			t = prim(SP_T_DOUBLE);
		else if (op == OP_DIV)
			t = prim(SP_T_LONG);
		else if ((lt == SP_T_LONG || lt == SP_T_NULL) && (rt == SP_T_LONG || rt == SP_T_NULL))
			t = prim(SP_T_LONG);
		else
			t = prim(SP_T_DOUBLE);
		e = sp_expr_node(E_ARITH, t);
		e->op = op;
		sp_expr_kid(e, sp_expr_cast_to(l, t));
		sp_expr_kid(e, sp_expr_cast_to(r, t));
		return e;
	default:	/* comparisons */
		t = sp_expr_common(l->type, r->type, 1);
		if (!t || t->id == SP_T_STRUCT || t->id == SP_T_ARRAY)
			goto bad_types;
		if (t->id == SP_T_NULL)
			t = prim(SP_T_BOOLEAN);
		e = sp_expr_node(E_CMP, prim(SP_T_BOOLEAN));
		e->op = op;
		sp_expr_kid(e, sp_expr_cast_to(l, t));
		sp_expr_kid(e, sp_expr_cast_to(r, t));
		return e;
	}
bad_types:
	tl = sp_expr_type_text(l->type);
	tr = sp_expr_type_text(r->type);
	if (op >= OP_EQ && op <= OP_EQNS)
		sp_expr_cfail(c, a, "cannot compare %s with %s", tl, tr);
	else
		sp_expr_cfail(c, a, "cannot apply '%s' to %s and %s", op_text(op), tl, tr);
	free(tl);
	free(tr);
	sp_expr_free(l);
	sp_expr_free(r);
	return NULL;
}

static struct sp_expr *compile_in_between(struct sp_expr_cx *c, const struct sp_ast *a)
{
	struct sp_expr *e = sp_expr_node(a->k == A_IN ? E_IN : E_BETWEEN, prim(SP_T_BOOLEAN)), *x;
	struct sp_type *t;

	e->neg = a->neg;
	for (size_t i = 0; i < a->nkids; i++) {
		if (!(x = sp_expr_compile_node(c, a->kids[i], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		sp_expr_kid(e, x);
	}
	/* IN: Spark's InConversion widens every operand to one type; BETWEEN compares */
	t = e->k[0]->type;
	for (size_t i = 1; i < e->nk && t; i++)
		t = sp_expr_common(t, e->k[i]->type, a->k == A_BETWEEN);
	if (!t || t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
		struct sp_buf b = SP_BUF_INIT;

		for (size_t i = 0; i < e->nk; i++) {
			char *tn = sp_expr_type_text(e->k[i]->type);

			sp_buf_printf(&b, "%s%s", i ? ", " : "", tn);
			free(tn);
		}
		sp_expr_cfail(c, a, "the operands of %s have no common type (%s)", a->k == A_IN ? "IN" : "BETWEEN", b.p);
		sp_buf_release(&b);
		sp_expr_free(e);
		return NULL;
	}
	for (size_t i = 0; i < e->nk; i++)
		e->k[i] = sp_expr_cast_to(e->k[i], t);
	return e;
}

static struct sp_expr *compile_case(struct sp_expr_cx *c, const struct sp_ast *a)
{
	size_t n = a->nkids, first = (size_t)a->op, stop = a->has_else ? n - 1 : n;
	struct sp_expr *e = sp_expr_node(E_CASE, NULL), *x;
	struct sp_type *rt = NULL, *kt = NULL;

	e->op = a->op | (a->has_else << 1);
	for (size_t i = 0; i < n; i++) {
		if (!(x = sp_expr_compile_node(c, a->kids[i], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		if (!first && i < stop && i % 2 == 0 && !(x = sp_expr_want_bool(c, a->kids[i], x, "WHEN"))) {
			sp_expr_free(e);
			return NULL;
		}
		sp_expr_kid(e, x);
	}
	kt = first ? e->k[0]->type : NULL;
	for (size_t i = first; i < stop; i += 2) {
		if (first && kt && !(kt = sp_expr_common(kt, e->k[i]->type, 1)))
			break;
		rt = rt ? sp_expr_common(rt, e->k[i + 1]->type, 0) : e->k[i + 1]->type;
		if (!rt)
			break;
	}
	if (rt && a->has_else)
		rt = sp_expr_common(rt, e->k[n - 1]->type, 0);
	if (!rt || (first && (!kt || kt->id == SP_T_STRUCT || kt->id == SP_T_ARRAY))) {
		sp_expr_free(e);
		return sp_expr_cfail(c, a, rt ? "CASE compares values of types that do not meet"
				     : "the branches of CASE have no common type");
	}
	if (rt->id == SP_T_NULL)
		rt = prim(SP_T_STRING);
	if (first)
		e->k[0] = sp_expr_cast_to(e->k[0], kt);
	for (size_t i = first; i < stop; i += 2) {
		if (first)
			e->k[i] = sp_expr_cast_to(e->k[i], kt);
		e->k[i + 1] = sp_expr_cast_to(e->k[i + 1], rt);
	}
	if (a->has_else)
		e->k[n - 1] = sp_expr_cast_to(e->k[n - 1], rt);
	e->type = sp_type_ref(rt);
	return e;
}

/* Whether CAST from f to t is allowed (Spark's Cast.canCast, for our types). */
static int can_cast(const struct sp_type *f, const struct sp_type *t)
{
	if (sp_type_equal(f, t) || f->id == SP_T_NULL || t->id == SP_T_STRING)
		return 1;
	if (t->id == SP_T_ARRAY)
		return f->id == SP_T_ARRAY && can_cast(f->elem, t->elem);
	if (t->id == SP_T_STRUCT) {
		if (f->id != SP_T_STRUCT || f->nfields != t->nfields)
			return 0;
		for (size_t i = 0; i < t->nfields; i++)
			if (!can_cast(f->fields[i].type, t->fields[i].type))
				return 0;
		return 1;
	}
	switch (f->id) {
	case SP_T_STRING:
		return 1;
	case SP_T_BINARY:
		return 0;
	case SP_T_STRUCT: case SP_T_ARRAY:
		return 0;
	case SP_T_DATE:
		return t->id == SP_T_TIMESTAMP || t->id == SP_T_LONG || t->id == SP_T_DOUBLE || t->id == SP_T_BOOLEAN;
	case SP_T_TIMESTAMP:
		return t->id != SP_T_BINARY;
	default:	/* BOOLEAN, LONG, DOUBLE */
		return t->id != SP_T_DATE || f->id != SP_T_BOOLEAN;
	}
}

static struct sp_expr *current_time(struct sp_expr_cx *c, int date)
{
	struct sp_expr *e = sp_expr_node(E_LIT, prim(date ? SP_T_DATE : SP_T_TIMESTAMP));

	e->lit.t = e->type->id;
	e->lit.u.i = date ? sp_floordiv(c->now, SP_US_PER_DAY) : c->now;
	return e;
}

struct sp_expr *sp_expr_compile_node(struct sp_expr_cx *c, const struct sp_ast *a, int top)
{
	struct sp_expr *e = NULL, *x;

	switch (a->k) {
	case A_LIT:
		e = sp_expr_node(E_LIT, prim(a->lit.t));
		e->lit = a->lit;
		if (a->lit.t == SP_T_STRING) {
			e->litbuf = sp_xstrndup(a->str, a->lit.u.s.len);
			e->lit.u.s.p = e->litbuf;
		}
		return e;
	case A_INTERVAL:
		return sp_expr_cfail(c, a, "an INTERVAL can only be added to or subtracted from a timestamp");
	case A_COL:
		/* CURRENT_TIMESTAMP and CURRENT_DATE need no parentheses, unless a column has the name */
		if (sp_type_field_index(c->env->schema, a->name, strlen(a->name)) < 0 &&
		    (!strcasecmp(a->name, "current_timestamp") || !strcasecmp(a->name, "current_date")))
			return current_time(c, !strcasecmp(a->name, "current_date"));
		return col_ref(c, a, a->name);
	case A_FIELD:
		return compile_field(c, a);
	case A_STAR:
		return sp_expr_cfail(c, a, "'*' is only allowed as a whole --select item or in struct(*)");
	case A_INDEX:
		if (!(x = sp_expr_compile_node(c, a->kids[0], 0)))
			return NULL;
		if (x->type->id != SP_T_ARRAY) {
			char *tn = sp_expr_type_text(x->type);

			sp_expr_cfail(c, a, "only an array can be indexed with [...], not %s", tn);
			free(tn);
			sp_expr_free(x);
			return NULL;
		}
		e = sp_expr_node(E_INDEX, sp_type_ref(x->type->elem));
		sp_expr_kid(e, x);
		if (!(x = sp_expr_compile_node(c, a->kids[1], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		if (!is_num(x->type->id) && x->type->id != SP_T_NULL) {
			sp_expr_free(x);
			sp_expr_free(e);
			return sp_expr_cfail(c, a->kids[1], "an array index must be a number");
		}
		sp_expr_kid(e, sp_expr_cast_to(x, prim(SP_T_LONG)));
		return e;
	case A_UNARY:
		if (!(x = sp_expr_compile_node(c, a->kids[0], 0)))
			return NULL;
		if (a->op == OP_NOT) {
			if (!(x = sp_expr_want_bool(c, a->kids[0], x, "NOT")))
				return NULL;
			e = sp_expr_node(E_NOT, prim(SP_T_BOOLEAN));
		} else {
			if (x->type->id == SP_T_STRING || x->type->id == SP_T_NULL) {
				x = sp_expr_cast_to(x, prim(SP_T_DOUBLE));
			} else if (!is_num(x->type->id)) {
				char *tn = sp_expr_type_text(x->type);

				sp_expr_cfail(c, a, "cannot negate %s", tn);
				free(tn);
				sp_expr_free(x);
				return NULL;
			}
			e = sp_expr_node(E_NEG, sp_type_ref(x->type));
		}
		sp_expr_kid(e, x);
		return e;
	case A_BINARY:
		return compile_binary(c, a);
	case A_CALL:
		if (!strcmp(a->name, "struct") && (a->star || (a->nkids == 1 && a->kids[0]->k == A_STAR &&
							       !a->kids[0]->nkids))) {
			/* struct(*): every input column */
			const struct sp_type *s = c->env->schema;

			e = sp_expr_node(E_FN, sp_type_new_struct());
			e->op = F_STRUCT;
			for (size_t i = 0; i < s->nfields; i++) {
				x = sp_expr_node(E_COL, sp_type_ref(s->fields[i].type));
				x->col = (int)i;
				sp_expr_kid(e, x);
				sp_type_add_field(e->type, s->fields[i].name, sp_type_ref(s->fields[i].type), 0);
			}
			sp_col_init(&e->tmp, e->type);
			e->has_tmp = 1;
			return e;
		}
		if (a->bare)
			return current_time(c, !strcmp(a->name, "current_date"));
		return sp_expr_compile_call(c, a, top);
	case A_IS:
		if (!(x = sp_expr_compile_node(c, a->kids[0], 0)))
			return NULL;
		if (a->op && !(x = sp_expr_want_bool(c, a->kids[0], x, a->op == 1 ? "IS TRUE" : "IS FALSE")))
			return NULL;
		e = sp_expr_node(E_IS, prim(SP_T_BOOLEAN));
		e->op = a->op;
		e->neg = a->neg;
		sp_expr_kid(e, x);
		return e;
	case A_CAST:
		if (!(x = sp_expr_compile_node(c, a->kids[0], 0)))
			return NULL;
		if (!can_cast(x->type, a->cast)) {
			char *f = sp_expr_type_text(x->type), *t = sp_expr_type_text(a->cast);

			sp_expr_cfail(c, a, "cannot cast %s to %s", f, t);
			free(f);
			free(t);
			sp_expr_free(x);
			return NULL;
		}
		e = sp_expr_node(E_CAST, sp_type_ref(a->cast));
		sp_expr_kid(e, x);
		return e;
	case A_IN: case A_BETWEEN:
		return compile_in_between(c, a);
	case A_CASE:
		return compile_case(c, a);
	case A_LIKE:
		if (!(x = sp_expr_compile_node(c, a->kids[0], 0)))
			return NULL;
		e = sp_expr_node(a->op ? E_RLIKE : E_LIKE, prim(SP_T_BOOLEAN));
		e->neg = a->neg;
		e->col = a->lit.u.i;	/* LIKE's escape character */
		sp_expr_kid(e, sp_expr_cast_to(x, prim(SP_T_STRING)));
		if (!(x = sp_expr_compile_node(c, a->kids[1], 0))) {
			sp_expr_free(e);
			return NULL;
		}
		sp_expr_kid(e, sp_expr_cast_to(x, prim(SP_T_STRING)));
		if (a->op) {
			const char *pat;

			if (!sp_expr_lit_string(e->k[1], &pat)) {
				sp_expr_free(e);
				return sp_expr_cfail(c, a->kids[1], "the pattern of RLIKE must be a string literal");
			}
			if (sp_expr_regcomp(&e->re, pat) < 0) {
				sp_expr_cfail(c, a->kids[1], "bad regular expression '%s'", pat);
				sp_expr_free(e);
				return NULL;
			}
			e->has_re = 1;
		}
		return e;
	}
	return sp_expr_cfail(c, a, "unsupported expression");
}

int sp_expr_compile(struct sp_expr **out, const struct sp_ast *a, const struct sp_expr_env *env, struct sp_err *err)
{
	static const struct sp_type none = { SP_T_STRUCT, 0, 0, NULL, NULL };
	struct sp_expr_env e0;
	struct sp_expr_cx c = { env, err, sp_now_us() };
	struct sp_expr *e;

	/* no schema: an expression of literals only */
	if (!env->schema) {
		e0 = *env;
		e0.schema = (struct sp_type *)&none;
		c.env = &e0;
	}
	if (!(e = sp_expr_compile_node(&c, a, 1)))
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

void sp_expr_ev(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a);

int sp_expr_cmp(const struct sp_val *x, const struct sp_val *y)
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

/* Byte length of the UTF-8 character at s[0] (1 for a stray byte), within n. */
static size_t char_len(const char *s, size_t n)
{
	size_t k = 1;

	while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
		k++;
	return k;
}

/*
 * SQL LIKE: % matches any run of characters, _ one character, and the
 * escape character makes the next one literal. Backtracking only to the
 * last %, which is enough: a later % can match whatever an earlier one
 * would have.
 */
static int like(const char *s, size_t sn, const char *p, size_t pn, char esc)
{
	size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '%') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < pn && p[pi] == '_') {
			pi++;
			si += char_len(s + si, sn - si);
			continue;
		}
		if (pi < pn) {
			size_t at = pi + (p[pi] == esc && pi + 1 < pn);

			if (p[at] == s[si]) {
				pi = at + 1;
				si++;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return 0;
		pi = star_p;
		star_s += char_len(s + star_s, sn - star_s);
		si = star_s;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

const char *sp_expr_cstr(struct sp_buf *b, const char *s, size_t n)
{
	sp_buf_reset(b);
	sp_buf_add(b, s, n);
	return b->p;
}

int sp_expr_regexec(const regex_t *re, const char *s, size_t from, size_t n, size_t nm, regmatch_t *m, int flags)
{
	regmatch_t one[1];

	if (!nm) {
		m = one;
		nm = 1;
	}
	m[0].rm_so = (regoff_t)from;
	m[0].rm_eo = (regoff_t)n;
	return regexec(re, s ? s : "", nm, m, flags | REG_STARTEND | (from ? REG_NOTBOL : 0));
}


void sp_expr_ev(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a)
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
		sp_expr_ev(e->k[0], b, row, &x, a);
		if (x.null) {
			sp_val_set_null(out, e->type->id);
			return;
		}
		sp_col_get(&x.u.st.col->child[e->col], x.u.st.row, out);
		return;
	case E_INDEX:
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[1], b, row, &y, a);
		if (x.null || y.null || y.u.i < 0 || (uint64_t)y.u.i >= x.u.arr.len) {
			sp_val_set_null(out, e->type->id);
			return;
		}
		sp_col_get(x.u.arr.elems, x.u.arr.start + (size_t)y.u.i, out);
		return;
	case E_NEG:
		sp_expr_ev(e->k[0], b, row, out, a);
		if (!out->null) {
			if (out->t == SP_T_LONG)
				out->u.i = (int64_t)(0 - (uint64_t)out->u.i);
			else
				out->u.d = -out->u.d;
		}
		return;
	case E_NOT:
		sp_expr_ev(e->k[0], b, row, out, a);
		out->u.b = !out->u.b;
		return;
	case E_AND: case E_OR:
		/* three-valued: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE */
		sp_expr_ev(e->k[0], b, row, &x, a);
		if (!x.null && x.u.b == (e->kind == E_OR)) {
			*out = x;
			return;
		}
		sp_expr_ev(e->k[1], b, row, &y, a);
		if (!y.null && y.u.b == (e->kind == E_OR)) {
			*out = y;
			return;
		}
		out->t = SP_T_BOOLEAN;
		out->null = x.null || y.null;
		out->u.b = e->kind == E_AND;
		return;
	case E_ARITH:
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[1], b, row, &y, a);
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
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[1], b, row, &y, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		if (e->op == OP_EQNS) {
			out->u.b = x.null || y.null ? x.null == y.null : !sp_expr_cmp(&x, &y);
			return;
		}
		if (x.null || y.null) {
			out->null = 1;
			return;
		}
		c = sp_expr_cmp(&x, &y);
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
		sp_expr_ev(e->k[0], b, row, &x, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		out->u.b = e->op == 0 ? x.null : !x.null && x.u.b == (e->op == 1);
		if (e->neg)
			out->u.b = !out->u.b;
		return;
	case E_IN: {
		int saw_null;

		sp_expr_ev(e->k[0], b, row, &x, a);
		out->t = SP_T_BOOLEAN;
		out->null = 0;
		saw_null = x.null;
		for (size_t i = 1; i < e->nk && !x.null; i++) {
			sp_expr_ev(e->k[i], b, row, &y, a);
			if (y.null)
				saw_null = 1;
			else if (!sp_expr_cmp(&x, &y)) {
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

		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[1], b, row, &lo, a);
		sp_expr_ev(e->k[2], b, row, &hi, a);
		out->t = SP_T_BOOLEAN;
		nge = x.null || lo.null;
		nle = x.null || hi.null;
		ge = !nge && sp_expr_cmp(&x, &lo) >= 0;
		le = !nle && sp_expr_cmp(&x, &hi) <= 0;
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
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[1], b, row, &y, a);
		out->t = SP_T_BOOLEAN;
		out->null = x.null || y.null;
		if (out->null)
			return;
		if (e->kind == E_LIKE)
			out->u.b = like(x.u.s.p, x.u.s.len, y.u.s.p, y.u.s.len, (char)e->col);
		else
			out->u.b = sp_expr_regexec(&e->re, sp_expr_cstr(&e->subj, x.u.s.p, x.u.s.len), 0, x.u.s.len, 0, NULL, 0) == 0;
		if (e->neg)
			out->u.b = !out->u.b;
		return;
	case E_CASE: {
		size_t first = (size_t)(e->op & 1), stop = e->op & 2 ? e->nk - 1 : e->nk;

		if (first)
			sp_expr_ev(e->k[0], b, row, &x, a);
		for (size_t i = first; i < stop; i += 2) {
			sp_expr_ev(e->k[i], b, row, &y, a);
			if (first ? !x.null && !y.null && !sp_expr_cmp(&x, &y) : !y.null && y.u.b) {
				sp_expr_ev(e->k[i + 1], b, row, out, a);
				return;
			}
		}
		if (e->op & 2)
			sp_expr_ev(e->k[e->nk - 1], b, row, out, a);
		else
			sp_val_set_null(out, e->type->id);
		return;
	}
	case E_CAST:
		sp_expr_ev(e->k[0], b, row, out, a);
		sp_val_cast(out, e->type, a);
		return;
	case E_TSADD:
		sp_expr_ev(e->k[0], b, row, out, a);
		if (!out->null)
			out->u.i += e->lit.u.i;
		return;
	case E_FN:
		sp_expr_ev_fn(e, b, row, out, a);
		return;
	}
}

static inline int holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static inline int cmp_f64(double x, double y)
{
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

static int flip(int op)
{
	switch (op) {
	case OP_LT: return OP_GT;
	case OP_LE: return OP_GE;
	case OP_GT: return OP_LT;
	case OP_GE: return OP_LE;
	default: return op;
	}
}

/* column OP literal, over the candidate rows, without building values: -1 if not that shape */
static ssize_t select_cmp(struct sp_expr *e, const struct sp_batch *b, size_t *rows, size_t n)
{
	struct sp_expr *l = e->k[0], *r = e->k[1];
	const struct sp_col *c;
	int op = e->op;
	size_t k = 0;

	if (l->kind == E_LIT && r->kind == E_COL) {
		struct sp_expr *t = l;

		l = r;
		r = t;
		op = flip(op);
	}
	if (op == OP_EQNS || l->kind != E_COL || r->kind != E_LIT || r->lit.null)
		return -1;
	c = &b->cols[l->col];
	switch (c->type->id) {
	case SP_T_LONG: case SP_T_TIMESTAMP: case SP_T_DATE: {
		const int64_t *d = c->data, y = r->lit.u.i;

		for (size_t i = 0; i < n; i++)
			if (!sp_col_isnull(c, rows[i]) && holds(op, (d[rows[i]] > y) - (d[rows[i]] < y)))
				rows[k++] = rows[i];
		return (ssize_t)k;
	}
	case SP_T_DOUBLE: {
		const double *d = c->data, y = r->lit.u.d;

		for (size_t i = 0; i < n; i++)
			if (!sp_col_isnull(c, rows[i]) && holds(op, cmp_f64(d[rows[i]], y)))
				rows[k++] = rows[i];
		return (ssize_t)k;
	}
	case SP_T_STRING: {
		const char *y = r->lit.u.s.p;
		size_t yl = r->lit.u.s.len;

		for (size_t i = 0; i < n; i++) {
			size_t len, m;
			const char *s;
			int cmp;

			if (sp_col_isnull(c, rows[i]))
				continue;
			s = sp_col_str(c, rows[i], &len);
			if ((op == OP_EQ || op == OP_NE) && len != yl) {
				cmp = 1;
			} else {
				m = len < yl ? len : yl;
				cmp = m ? memcmp(s, y, m) : 0;
				if (!cmp)
					cmp = (len > yl) - (len < yl);
			}
			if (holds(op, cmp))
				rows[k++] = rows[i];
		}
		return (ssize_t)k;
	}
	default:
		return -1;
	}
}

size_t sp_expr_select(struct sp_expr *e, const struct sp_batch *b, size_t *rows, size_t n, struct sp_arena *scratch)
{
	size_t k = 0;
	ssize_t fast;

	if (e->kind == E_AND) {
		/* the second condition only sees the rows the first kept */
		n = sp_expr_select(e->k[0], b, rows, n, scratch);
		return sp_expr_select(e->k[1], b, rows, n, scratch);
	}
	if (e->kind == E_CMP && (fast = select_cmp(e, b, rows, n)) >= 0)
		return (size_t)fast;
	for (size_t i = 0; i < n; i++)
		if (sp_expr_true(e, b, rows[i], scratch))
			rows[k++] = rows[i];
	return k;
}

void sp_expr_eval(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *scratch)
{
	sp_expr_ev(e, b, row, out, scratch);
}

int sp_expr_true(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_arena *scratch)
{
	struct sp_val v;

	sp_expr_ev(e, b, row, &v, scratch);
	return !v.null && v.t == SP_T_BOOLEAN && v.u.b;
}

