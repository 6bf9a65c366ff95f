/*
 * expr-parse.c: the expression language's grammar, its AST, and Spark's
 * names for unaliased columns.
 *
 * A recursive-descent parser with Spark SQL's precedence, loosest first:
 *
 *   OR
 *   AND
 *   NOT
 *   = == <> != < <= > >= <=>  IS [NOT] NULL|TRUE|FALSE  [NOT] IN (...)
 *       [NOT] BETWEEN a AND b  [NOT] LIKE  [NOT] RLIKE|REGEXP
 *   + - ||
 *   * / % DIV
 *   unary - +
 *   x[i]  x.field  x.*
 *   literals, names, f(...), CASE, CAST, (...)
 *
 * Every node remembers its span of the text, for error carets; the text
 * itself belongs to the root (each item of a list has its own copy).
 */
#include "expr-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "timefmt.h"

/* ---- AST ---- */

static struct sp_ast *node(enum ast_kind k, struct sp_lexer *lx, size_t start)
{
	struct sp_ast *a = sp_xcalloc(1, sizeof *a);

	a->k = k;
	a->text = lx->text;
	a->start = start;
	a->end = lx->end;
	a->depth = 1;
	return a;
}

static void add_kid(struct sp_ast *a, struct sp_ast *kid)
{
	a->kids = sp_xrealloc(a->kids, (a->nkids + 1) * sizeof *a->kids);
	a->kids[a->nkids++] = kid;
	if (kid->depth + 1 > a->depth)
		a->depth = kid->depth + 1;
	if (kid->end > a->end)
		a->end = kid->end;
}

void sp_ast_free(struct sp_ast *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nkids; i++)
		sp_ast_free(a->kids[i]);
	free(a->kids);
	free(a->name);
	free(a->str);
	sp_type_unref(a->cast);
	if (a->owns_text)
		free((char *)a->text);
	free(a);
}

static struct sp_ast *binary(struct sp_lexer *lx, int op, struct sp_ast *l, struct sp_ast *r)
{
	struct sp_ast *a = node(A_BINARY, lx, l->start);

	a->op = op;
	add_kid(a, l);
	add_kid(a, r);
	return a;
}

/* Guards the recursion of parenthesized and prefixed expressions. */
static int enter(struct sp_lexer *lx)
{
	if (++lx->depth <= SP_EXPR_MAX_DEPTH)
		return 0;
	sp_lex_fail(lx, lx->start, "expression nested too deeply");
	return -1;
}

static struct sp_ast *parse_expr(struct sp_lexer *lx);

/* The type after CAST(x AS ...: the text up to the ')' that closes the CAST. */
static struct sp_type *parse_cast_type(struct sp_lexer *lx)
{
	const char *p = lx->text + lx->start;
	int depth = 0;
	struct sp_type *t = NULL;
	struct sp_err e = SP_ERR_INIT;
	char *s;

	while (*p && (depth || *p != ')')) {
		if (*p == '(' || *p == '<')
			depth++;
		else if (*p == ')' || *p == '>')
			depth--;
		p++;
	}
	s = sp_xstrndup(lx->text + lx->start, (size_t)(p - (lx->text + lx->start)));
	if (sp_type_parse_one(s, &t, &e) < 0) {
		char what[200];

		snprintf(what, sizeof what, "expected a type after AS, not '%s'", s);
		sp_lex_fail(lx, lx->start, what);
		free(s);
		return NULL;
	}
	free(s);
	lx->p = p;
	if (sp_lex_next(lx) < 0) {
		sp_type_unref(t);
		return NULL;
	}
	return t;
}

/* INTERVAL 1 HOUR, INTERVAL '10' MINUTE, INTERVAL '1 hour 30 minutes', INTERVAL 1 HOUR 30 MINUTES */
static struct sp_ast *parse_interval(struct sp_lexer *lx, size_t start)
{
	struct sp_buf t = SP_BUF_INIT;
	struct sp_err e = SP_ERR_INIT;
	struct sp_ast *a;
	size_t end = lx->start;
	int64_t us;

	for (;;) {
		int neg = 0;

		if (sp_lex_op(lx, "-") && (isdigit((unsigned char)sp_lex_peek(lx)) || sp_lex_peek(lx) == '\'')) {
			neg = 1;
			if (sp_lex_next(lx) < 0)
				goto fail;
		}
		if (lx->k != T_NUM && lx->k != T_STR)
			break;
		sp_buf_printf(&t, "%s%s%s", t.len ? " " : "", neg ? "-" : "", lx->s.p);
		end = lx->end;
		if (sp_lex_next(lx) < 0)
			goto fail;
		if (lx->k == T_IDENT && !sp_lex_kw(lx, "AND") && !sp_lex_kw(lx, "OR") && !sp_lex_kw(lx, "AS")) {
			sp_buf_printf(&t, " %s", lx->s.p);
			end = lx->end;
			if (sp_lex_next(lx) < 0)
				goto fail;
		}
	}
	if (!t.len || sp_duration_parse(t.p, &us, "INTERVAL", &e) < 0) {
		sp_lex_fail(lx, start, "bad INTERVAL (try INTERVAL 10 MINUTES or INTERVAL '1 hour 30 minutes')");
		goto fail;
	}
	sp_buf_release(&t);
	a = node(A_INTERVAL, lx, start);
	a->lit.t = SP_T_LONG;
	a->lit.u.i = us;
	a->end = end;
	return a;
fail:
	sp_buf_release(&t);
	return NULL;
}

static struct sp_ast *parse_primary(struct sp_lexer *lx)
{
	size_t start = lx->start;
	struct sp_ast *a = NULL;

	if (lx->k == T_NUM) {
		a = node(A_LIT, lx, start);
		if (lx->is_float) {
			a->lit.t = SP_T_DOUBLE;
			a->lit.u.d = strtod(lx->s.p, NULL);
		} else {
			errno = 0;
			a->lit.t = SP_T_LONG;
			a->lit.u.i = strtoll(lx->s.p, NULL, 10);
			if (errno == ERANGE) {
				/* too big for BIGINT: Spark makes it a DECIMAL; DOUBLE is our nearest */
				a->lit.t = SP_T_DOUBLE;
				a->lit.u.d = strtod(lx->s.p, NULL);
			}
		}
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k == T_STR) {
		a = node(A_LIT, lx, start);
		a->lit.t = SP_T_STRING;
		a->str = sp_xstrndup(lx->s.p ? lx->s.p : "", lx->s.len);
		a->lit.u.s.p = a->str;
		a->lit.u.s.len = lx->s.len;
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (sp_lex_op(lx, "(")) {
		if (sp_lex_next(lx) < 0 || !(a = parse_expr(lx)))
			return NULL;
		if (sp_lex_expect(lx, ")") < 0) {
			sp_ast_free(a);
			return NULL;
		}
		a->paren = 1;
		a->start = start;
		a->end = lx->start > a->end ? lx->start : a->end;
		return a;
	}
	if (sp_lex_op(lx, "*") && (!sp_lex_peek(lx) || sp_lex_peek(lx) == ',' || sp_lex_peek(lx) == ')')) {
		a = node(A_STAR, lx, start);
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k == T_QIDENT) {
		a = node(A_COL, lx, start);
		a->name = sp_xstrdup(lx->s.p ? lx->s.p : "");
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k != T_IDENT) {
		sp_lex_fail(lx, start, lx->k == T_EOF ? "expected an expression before end of expression"
						    : "expected an expression");
		return NULL;
	}
	if (sp_lex_kw(lx, "NULL") || sp_lex_kw(lx, "TRUE") || sp_lex_kw(lx, "FALSE")) {
		a = node(A_LIT, lx, start);
		if (sp_lex_kw(lx, "NULL")) {
			a->lit.t = SP_T_NULL;
			a->lit.null = 1;
		} else {
			a->lit.t = SP_T_BOOLEAN;
			a->lit.u.b = sp_lex_kw(lx, "TRUE");
		}
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (sp_lex_kw(lx, "INTERVAL")) {
		if (sp_lex_next(lx) < 0)
			return NULL;
		return parse_interval(lx, start);
	}
	if ((sp_lex_kw(lx, "TIMESTAMP") || sp_lex_kw(lx, "DATE")) && (sp_lex_peek(lx) == '\'' || sp_lex_peek(lx) == '"')) {
		int ts = sp_lex_kw(lx, "TIMESTAMP");

		if (sp_lex_next(lx) < 0)
			return NULL;
		a = node(A_LIT, lx, start);
		if (ts ? sp_ts_parse(lx->s.p, lx->s.len, &a->lit.u.i) < 0 : sp_date_parse(lx->s.p, lx->s.len, &a->lit.u.i) < 0) {
			sp_ast_free(a);
			sp_lex_fail(lx, lx->start, ts ? "bad TIMESTAMP literal" : "bad DATE literal");
			return NULL;
		}
		a->lit.t = ts ? SP_T_TIMESTAMP : SP_T_DATE;
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (sp_lex_kw(lx, "CASE")) {
		a = node(A_CASE, lx, start);
		if (sp_lex_next(lx) < 0)
			goto fail;
		if (!sp_lex_kw(lx, "WHEN")) {
			struct sp_ast *x = parse_expr(lx);

			if (!x)
				goto fail;
			add_kid(a, x);
			a->op = 1;	/* CASE x WHEN v ... */
		}
		while (sp_lex_kw(lx, "WHEN")) {
			struct sp_ast *w, *t;

			if (sp_lex_next(lx) < 0 || !(w = parse_expr(lx)))
				goto fail;
			add_kid(a, w);
			if (!sp_lex_kw(lx, "THEN")) {
				sp_lex_fail(lx, lx->start, "expected THEN");
				goto fail;
			}
			if (sp_lex_next(lx) < 0 || !(t = parse_expr(lx)))
				goto fail;
			add_kid(a, t);
		}
		if (a->nkids < 2 + (size_t)a->op) {
			sp_lex_fail(lx, lx->start, "expected WHEN");
			goto fail;
		}
		if (sp_lex_kw(lx, "ELSE")) {
			struct sp_ast *e;

			if (sp_lex_next(lx) < 0 || !(e = parse_expr(lx)))
				goto fail;
			add_kid(a, e);
			a->has_else = 1;
		}
		if (!sp_lex_kw(lx, "END")) {
			sp_lex_fail(lx, lx->start, "expected END");
			goto fail;
		}
		a->end = lx->end;
		return sp_lex_next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if ((sp_lex_kw(lx, "CAST") || sp_lex_kw(lx, "TRY_CAST")) && sp_lex_peek(lx) == '(') {
		struct sp_ast *x;

		a = node(A_CAST, lx, start);
		a->try_cast = sp_lex_kw(lx, "TRY_CAST");
		if (sp_lex_next(lx) < 0 || sp_lex_expect(lx, "(") < 0 || !(x = parse_expr(lx)))
			goto fail;
		add_kid(a, x);
		if (!sp_lex_kw(lx, "AS")) {
			sp_lex_fail(lx, lx->start, "expected AS");
			goto fail;
		}
		if (sp_lex_next(lx) < 0 || !(a->cast = parse_cast_type(lx)))
			goto fail;
		a->end = lx->end;
		if (sp_lex_expect(lx, ")") < 0)
			goto fail;
		return a;
	}
	/* a name, a function call, or a qualified name (handled by the postfix loop) */
	{
		char *name = sp_xstrdup(lx->s.p);

		if (sp_lex_next(lx) < 0) {
			free(name);
			return NULL;
		}
		if (sp_lex_op(lx, "(")) {
			a = node(A_CALL, lx, start);
			a->name = name;
			for (char *c = a->name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (sp_lex_next(lx) < 0)
				goto fail;
			if (sp_lex_kw(lx, "DISTINCT")) {
				a->distinct = 1;
				if (sp_lex_next(lx) < 0)
					goto fail;
			}
			if (sp_lex_op(lx, "*") && !a->distinct) {
				a->star = 1;
				if (sp_lex_next(lx) < 0)
					goto fail;
			} else if (!sp_lex_op(lx, ")")) {
				for (;;) {
					struct sp_ast *x = parse_expr(lx);

					if (!x)
						goto fail;
					add_kid(a, x);
					if (!sp_lex_op(lx, ","))
						break;
					if (sp_lex_next(lx) < 0)
						goto fail;
				}
			}
			a->end = lx->end;
			if (sp_lex_expect(lx, ")") < 0)
				goto fail;
			return a;
		}
		a = node(A_COL, lx, start);
		a->end = start + strlen(name);
		a->name = name;
		return a;
	}
fail:
	sp_ast_free(a);
	return NULL;
}

static struct sp_ast *parse_postfix(struct sp_lexer *lx)
{
	struct sp_ast *a = parse_primary(lx);

	while (a) {
		if (sp_lex_op(lx, ".")) {
			struct sp_ast *f;

			if (sp_lex_next(lx) < 0)
				goto fail;
			if (sp_lex_op(lx, "*")) {
				f = node(A_STAR, lx, a->start);
				add_kid(f, a);
				f->end = lx->end;
				if (sp_lex_next(lx) < 0) {
					sp_ast_free(f);
					return NULL;
				}
				return f;
			}
			if (lx->k != T_IDENT && lx->k != T_QIDENT) {
				sp_lex_fail(lx, lx->start, "expected a field name after '.'");
				goto fail;
			}
			f = node(A_FIELD, lx, a->start);
			f->name = sp_xstrdup(lx->s.p ? lx->s.p : "");
			add_kid(f, a);
			f->end = lx->end;
			a = f;
			if (sp_lex_next(lx) < 0)
				goto fail;
		} else if (sp_lex_op(lx, "[")) {
			struct sp_ast *i, *x;

			if (sp_lex_next(lx) < 0 || !(x = parse_expr(lx)))
				goto fail;
			i = node(A_INDEX, lx, a->start);
			add_kid(i, a);
			add_kid(i, x);
			a = i;
			a->end = lx->end;
			if (sp_lex_expect(lx, "]") < 0)
				goto fail;
		} else {
			break;
		}
	}
	return a;
fail:
	sp_ast_free(a);
	return NULL;
}

static struct sp_ast *parse_unary(struct sp_lexer *lx)
{
	size_t start = lx->start;

	if (sp_lex_op(lx, "-") || sp_lex_op(lx, "+")) {
		int neg = sp_lex_op(lx, "-");
		struct sp_ast *x, *a;

		if (sp_lex_next(lx) < 0 || enter(lx) < 0)
			return NULL;
		x = parse_unary(lx);
		lx->depth--;
		if (!x)
			return NULL;
		if (!neg)
			return x;
		/* -5 is a literal, as in Spark */
		if (x->k == A_LIT && (x->lit.t == SP_T_LONG || x->lit.t == SP_T_DOUBLE) && !x->paren) {
			if (x->lit.t == SP_T_LONG)
				x->lit.u.i = (int64_t)(0 - (uint64_t)x->lit.u.i);
			else
				x->lit.u.d = -x->lit.u.d;
			x->start = start;
			return x;
		}
		a = node(A_UNARY, lx, start);
		a->op = '-';
		add_kid(a, x);
		return a;
	}
	return parse_postfix(lx);
}

static struct sp_ast *parse_mul(struct sp_lexer *lx)
{
	struct sp_ast *a = parse_unary(lx), *b;

	while (a && (sp_lex_op(lx, "*") || sp_lex_op(lx, "/") || sp_lex_op(lx, "%") || sp_lex_kw(lx, "DIV"))) {
		int op = sp_lex_kw(lx, "DIV") ? OP_DIV : lx->op[0];

		if (sp_lex_next(lx) < 0 || !(b = parse_unary(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, op, a, b);
	}
	return a;
}

static struct sp_ast *parse_add(struct sp_lexer *lx)
{
	struct sp_ast *a = parse_mul(lx), *b;

	while (a && (sp_lex_op(lx, "+") || sp_lex_op(lx, "-") || sp_lex_op(lx, "||"))) {
		int op = sp_lex_op(lx, "||") ? OP_CONCAT : lx->op[0];

		if (sp_lex_next(lx) < 0 || !(b = parse_mul(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, op, a, b);
	}
	return a;
}

static int cmp_op(const struct sp_lexer *lx)
{
	static const struct {
		const char *s;
		int op;
	} ops[] = { { "=", OP_EQ }, { "==", OP_EQ }, { "<>", OP_NE }, { "!=", OP_NE }, { "<", OP_LT },
		    { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE }, { "<=>", OP_EQNS } };

	if (lx->k != T_OP)
		return 0;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(lx->op, ops[i].s))
			return ops[i].op;
	return 0;
}

static struct sp_ast *parse_cmp(struct sp_lexer *lx)
{
	struct sp_ast *a = parse_add(lx), *b, *n;
	int op, neg;

	while (a) {
		if ((op = cmp_op(lx))) {
			if (sp_lex_next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			a = binary(lx, op, a, b);
			continue;
		}
		if (sp_lex_kw(lx, "IS")) {
			if (sp_lex_next(lx) < 0)
				goto fail;
			neg = sp_lex_kw(lx, "NOT");
			if (neg && sp_lex_next(lx) < 0)
				goto fail;
			if (!sp_lex_kw(lx, "NULL") && !sp_lex_kw(lx, "TRUE") && !sp_lex_kw(lx, "FALSE")) {
				sp_lex_fail(lx, lx->start, "expected NULL, TRUE or FALSE after IS");
				goto fail;
			}
			n = node(A_IS, lx, a->start);
			n->op = sp_lex_kw(lx, "NULL") ? 0 : sp_lex_kw(lx, "TRUE") ? 1 : 2;
			n->neg = neg;
			add_kid(n, a);
			n->end = lx->end;
			a = n;
			if (sp_lex_next(lx) < 0)
				goto fail;
			continue;
		}
		neg = 0;
		if (sp_lex_kw(lx, "NOT")) {
			if (!sp_lex_peek_kw(lx, "IN") && !sp_lex_peek_kw(lx, "BETWEEN") && !sp_lex_peek_kw(lx, "LIKE") &&
			    !sp_lex_peek_kw(lx, "RLIKE") && !sp_lex_peek_kw(lx, "REGEXP"))
				break;
			neg = 1;
			if (sp_lex_next(lx) < 0)
				goto fail;
		}
		if (sp_lex_kw(lx, "IN")) {
			n = node(A_IN, lx, a->start);
			n->neg = neg;
			add_kid(n, a);
			a = n;
			if (sp_lex_next(lx) < 0 || sp_lex_expect(lx, "(") < 0)
				goto fail;
			for (;;) {
				if (!(b = parse_expr(lx)))
					goto fail;
				add_kid(a, b);
				if (!sp_lex_op(lx, ","))
					break;
				if (sp_lex_next(lx) < 0)
					goto fail;
			}
			a->end = lx->end;
			if (sp_lex_expect(lx, ")") < 0)
				goto fail;
		} else if (sp_lex_kw(lx, "BETWEEN")) {
			n = node(A_BETWEEN, lx, a->start);
			n->neg = neg;
			add_kid(n, a);
			a = n;
			if (sp_lex_next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
			if (!sp_lex_kw(lx, "AND")) {
				sp_lex_fail(lx, lx->start, "expected AND in BETWEEN");
				goto fail;
			}
			if (sp_lex_next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
		} else if (sp_lex_kw(lx, "LIKE") || sp_lex_kw(lx, "RLIKE") || sp_lex_kw(lx, "REGEXP")) {
			n = node(A_LIKE, lx, a->start);
			n->op = sp_lex_kw(lx, "LIKE") ? 0 : 1;
			n->neg = neg;
			n->lit.u.i = '\\';
			add_kid(n, a);
			a = n;
			if (sp_lex_next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
			if (!a->op && sp_lex_kw(lx, "ESCAPE")) {
				if (sp_lex_next(lx) < 0)
					goto fail;
				if (lx->k != T_STR || lx->s.len != 1) {
					sp_lex_fail(lx, lx->start, "expected one character in quotes after ESCAPE");
					goto fail;
				}
				a->lit.u.i = (unsigned char)lx->s.p[0];
				a->end = lx->end;
				if (sp_lex_next(lx) < 0)
					goto fail;
			}
		} else {
			if (neg) {
				sp_lex_fail(lx, lx->start, "expected IN, BETWEEN or LIKE after NOT");
				goto fail;
			}
			break;
		}
	}
	return a;
fail:
	sp_ast_free(a);
	return NULL;
}

static struct sp_ast *parse_not(struct sp_lexer *lx)
{
	size_t start = lx->start;

	if (sp_lex_kw(lx, "NOT") || sp_lex_op(lx, "!")) {
		struct sp_ast *x, *a;

		if (sp_lex_next(lx) < 0 || enter(lx) < 0)
			return NULL;
		x = parse_not(lx);
		lx->depth--;
		if (!x)
			return NULL;
		a = node(A_UNARY, lx, start);
		a->op = OP_NOT;
		add_kid(a, x);
		return a;
	}
	return parse_cmp(lx);
}

static struct sp_ast *parse_and(struct sp_lexer *lx)
{
	struct sp_ast *a = parse_not(lx), *b;

	while (a && sp_lex_kw(lx, "AND")) {
		if (sp_lex_next(lx) < 0 || !(b = parse_not(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, OP_AND, a, b);
	}
	return a;
}

static struct sp_ast *parse_expr(struct sp_lexer *lx)
{
	struct sp_ast *a, *b;

	if (enter(lx) < 0)
		return NULL;
	a = parse_and(lx);
	while (a && sp_lex_kw(lx, "OR")) {
		if (sp_lex_next(lx) < 0 || !(b = parse_and(lx))) {
			sp_ast_free(a);
			a = NULL;
			break;
		}
		a = binary(lx, OP_OR, a, b);
	}
	lx->depth--;
	return a;
}

/* A whole expression: also no deeper than the limit when built by loops (1 + 1 + ...). */
static struct sp_ast *parse_whole(struct sp_lexer *lx)
{
	size_t start = lx->start;
	struct sp_ast *a = parse_expr(lx);

	if (a && a->depth > SP_EXPR_MAX_DEPTH) {
		sp_lex_fail(lx, start, "expression nested too deeply");
		sp_ast_free(a);
		return NULL;
	}
	return a;
}

static void set_text(struct sp_ast *a, const char *text)
{
	a->text = text;
	for (size_t i = 0; i < a->nkids; i++)
		set_text(a->kids[i], text);
}

int sp_ast_parse(struct sp_ast **out, const char *text, struct sp_err *err)
{
	char *copy = sp_xstrdup(text);
	struct sp_lexer lx;
	struct sp_ast *a = NULL;

	sp_lex_init(&lx, copy, err);
	if (sp_lex_next(&lx) == 0 && (a = parse_whole(&lx)) && lx.k != T_EOF) {
		sp_lex_fail(&lx, lx.start, "unexpected text after the expression");
		sp_ast_free(a);
		a = NULL;
	}
	sp_lex_release(&lx);
	if (!a) {
		free(copy);
		return -1;
	}
	a->owns_text = 1;
	*out = a;
	return 0;
}

int sp_ast_parse_list(struct sp_ast ***items, char ***aliases, size_t *n, const char *text, struct sp_err *err)
{
	char *copy = sp_xstrdup(text);
	struct sp_ast **v = NULL, *a;
	char **al = NULL;
	size_t k = 0;
	struct sp_lexer lx;

	sp_lex_init(&lx, copy, err);
	if (sp_lex_next(&lx) < 0)
		goto fail;
	for (;;) {
		if (!(a = parse_whole(&lx)))
			goto fail;
		v = sp_xrealloc(v, (k + 1) * sizeof *v);
		al = sp_xrealloc(al, (k + 1) * sizeof *al);
		v[k] = a;
		al[k] = NULL;
		k++;
		if (sp_lex_kw(&lx, "AS")) {
			if (sp_lex_next(&lx) < 0)
				goto fail;
			if (lx.k != T_IDENT && lx.k != T_QIDENT) {
				sp_lex_fail(&lx, lx.start, "expected a name after AS");
				goto fail;
			}
		}
		if (lx.k == T_IDENT || lx.k == T_QIDENT) {
			al[k - 1] = sp_xstrdup(lx.s.p ? lx.s.p : "");
			if (sp_lex_next(&lx) < 0)
				goto fail;
		}
		if (lx.k == T_EOF)
			break;
		if (sp_lex_expect(&lx, ",") < 0)
			goto fail;
	}
	sp_lex_release(&lx);
	/* Each item gets its own copy of the text, so that it can be freed alone. */
	for (size_t i = 0; i < k; i++) {
		set_text(v[i], i ? sp_xstrdup(copy) : copy);
		v[i]->owns_text = 1;
	}
	*items = v;
	*aliases = al;
	*n = k;
	return 0;
fail:
	sp_lex_release(&lx);
	for (size_t i = 0; i < k; i++) {
		sp_ast_free(v[i]);
		free(al[i]);
	}
	free(v);
	free(al);
	free(copy);
	return -1;
}

/* ---- inspection ---- */

const char *sp_ast_call_name(const struct sp_ast *a)
{
	return a && a->k == A_CALL ? a->name : NULL;
}

size_t sp_ast_call_nargs(const struct sp_ast *a)
{
	return a && a->k == A_CALL ? a->nkids : 0;
}

const struct sp_ast *sp_ast_call_arg(const struct sp_ast *a, size_t i)
{
	return a && a->k == A_CALL && i < a->nkids ? a->kids[i] : NULL;
}

int sp_ast_call_star(const struct sp_ast *a)
{
	return a && a->k == A_CALL && a->star;
}

int sp_ast_call_distinct(const struct sp_ast *a)
{
	return a && a->k == A_CALL && a->distinct;
}

int sp_is_aggregate(const char *name)
{
	static const char *const aggs[] = {
		"count", "sum", "avg", "mean", "min", "max", "first", "last", "first_value", "last_value",
		"stddev", "stddev_samp", "stddev_pop", "std", "variance", "var_samp", "var_pop",
		"approx_count_distinct", "collect_list", "collect_set", "any", "bool_and", "bool_or", "every",
		"some", "count_if", "max_by", "min_by", NULL,
	};

	for (int i = 0; aggs[i]; i++)
		if (!strcmp(name, aggs[i]))
			return 1;
	return 0;
}

int sp_ast_has_agg(const struct sp_ast *a)
{
	if (a->k == A_CALL && sp_is_aggregate(a->name))
		return 1;
	for (size_t i = 0; i < a->nkids; i++)
		if (sp_ast_has_agg(a->kids[i]))
			return 1;
	return 0;
}

int sp_ast_is_constant(const struct sp_ast *a)
{
	if (a->k == A_COL || a->k == A_STAR || a->k == A_FIELD)
		return 0;
	for (size_t i = 0; i < a->nkids; i++)
		if (!sp_ast_is_constant(a->kids[i]))
			return 0;
	return 1;
}

const char *sp_ast_column(const struct sp_ast *a)
{
	return a && a->k == A_COL ? a->name : NULL;
}

int sp_ast_is_star(const struct sp_ast *a)
{
	return a && a->k == A_STAR;
}

char *sp_ast_text(const struct sp_ast *a)
{
	return sp_xstrndup(a->text + a->start, a->end - a->start);
}

/* Spark's SQL name of a type, for CAST(x AS BIGINT) in column names. */
static void type_sql(struct sp_buf *b, const struct sp_type *t)
{
	static const char *const names[] = {
		[SP_T_NULL] = "VOID", [SP_T_BOOLEAN] = "BOOLEAN", [SP_T_LONG] = "BIGINT", [SP_T_DOUBLE] = "DOUBLE",
		[SP_T_STRING] = "STRING", [SP_T_BINARY] = "BINARY", [SP_T_TIMESTAMP] = "TIMESTAMP", [SP_T_DATE] = "DATE",
	};

	if (t->id == SP_T_ARRAY) {
		sp_buf_puts(b, "ARRAY<");
		type_sql(b, t->elem);
		sp_buf_puts(b, ">");
	} else if (t->id == SP_T_STRUCT) {
		sp_buf_puts(b, "STRUCT<");
		for (size_t i = 0; i < t->nfields; i++) {
			sp_buf_printf(b, "%s%s: ", i ? ", " : "", t->fields[i].name);
			type_sql(b, t->fields[i].type);
		}
		sp_buf_puts(b, ">");
	} else {
		sp_buf_puts(b, names[t->id]);
	}
}

/* A numeric literal as Spark prints it: integers as they are, decimals as BigDecimal, doubles as Java. */
static void number_name(struct sp_buf *b, const struct sp_ast *a)
{
	const char *s = a->text + a->start, *e = a->text + a->end;
	char tmp[40];
	int neg = *s == '-';

	if (a->lit.t == SP_T_LONG) {
		sp_buf_printf(b, "%lld", (long long)a->lit.u.i);
		return;
	}
	for (const char *p = s; p < e; p++)
		if (*p == 'e' || *p == 'E' || *p == 'd' || *p == 'D' || !isascii((unsigned char)*p)) {
			sp_double_format(a->lit.u.d, tmp);
			sp_buf_puts(b, tmp);
			return;
		}
	/* a decimal literal: "1.50" stays, ".5" is "0.5", "1." is "1" */
	if (neg) {
		sp_buf_addc(b, '-');
		s++;
		while (s < e && isspace((unsigned char)*s))
			s++;
	}
	while (s + 1 < e && *s == '0' && s[1] != '.')
		s++;
	if (*s == '.')
		sp_buf_addc(b, '0');
	if (e[-1] == '.')
		e--;
	sp_buf_add(b, s, (size_t)(e - s));
}

static void name_of(struct sp_buf *b, const struct sp_ast *a, const struct sp_type *schema);

static void names_of(struct sp_buf *b, struct sp_ast *const *kids, size_t n, const struct sp_type *schema)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			sp_buf_puts(b, ", ");
		name_of(b, kids[i], schema);
	}
}

static int is_column(const struct sp_type *schema, const char *name)
{
	return schema && sp_type_field_index(schema, name, strlen(name)) >= 0;
}

/*
 * Spark's names for unaliased expressions (toPrettySQL): operators in
 * parentheses, string literals bare, implicit casts invisible, and the
 * forms the parser rewrites (a <> b is NOT (a = b), BETWEEN is two
 * comparisons) named as rewritten.
 */
static void name_of(struct sp_buf *b, const struct sp_ast *a, const struct sp_type *schema)
{
	static const char *const opnames[] = {
		[OP_EQ] = "=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=", [OP_EQNS] = "<=>",
		[OP_AND] = "AND", [OP_OR] = "OR", [OP_DIV] = "div",
	};
	char tmp[SP_TS_BUFSZ];
	const char *disp, *extra;

	switch (a->k) {
	case A_LIT:
		switch (a->lit.t) {
		case SP_T_STRING:
			sp_buf_add(b, a->lit.u.s.p, a->lit.u.s.len);
			break;
		case SP_T_NULL:
			sp_buf_puts(b, "NULL");
			break;
		case SP_T_BOOLEAN:
			sp_buf_puts(b, a->lit.u.b ? "true" : "false");
			break;
		case SP_T_TIMESTAMP:
			sp_ts_format(a->lit.u.i, tmp);
			sp_buf_printf(b, "TIMESTAMP '%s'", tmp);
			break;
		case SP_T_DATE:
			sp_date_format(a->lit.u.i, tmp);
			sp_buf_printf(b, "DATE '%s'", tmp);
			break;
		default:
			number_name(b, a);
			break;
		}
		break;
	case A_COL:
		if (schema && is_column(schema, a->name)) {
			sp_buf_puts(b, schema->fields[sp_type_field_index(schema, a->name, strlen(a->name))].name);
		} else if (!is_column(schema, a->name) &&
			   (!strcasecmp(a->name, "current_timestamp") || !strcasecmp(a->name, "current_date"))) {
			for (const char *p = a->name; *p; p++)
				sp_buf_addc(b, (char)tolower((unsigned char)*p));
			sp_buf_puts(b, "()");
		} else {
			sp_buf_puts(b, a->name);
		}
		break;
	case A_FIELD:
		/* a table qualifier is not part of the name */
		if (a->kids[0]->k == A_COL && schema && !is_column(schema, a->kids[0]->name)) {
			sp_buf_puts(b, a->name);
			break;
		}
		name_of(b, a->kids[0], schema);
		sp_buf_printf(b, ".%s", a->name);
		break;
	case A_INDEX:
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, "[");
		name_of(b, a->kids[1], schema);
		sp_buf_puts(b, "]");
		break;
	case A_STAR:
		if (a->nkids) {
			name_of(b, a->kids[0], schema);
			sp_buf_puts(b, ".");
		}
		sp_buf_puts(b, "*");
		break;
	case A_INTERVAL:
		sp_duration_format(a->lit.u.i, tmp, sizeof tmp);
		sp_buf_printf(b, "INTERVAL '%s'", tmp);
		break;
	case A_UNARY:
		sp_buf_puts(b, a->op == OP_NOT ? "(NOT " : "(- ");
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, ")");
		break;
	case A_BINARY:
		if (a->op == OP_CONCAT) {
			sp_buf_puts(b, "concat(");
			names_of(b, a->kids, 2, schema);
			sp_buf_puts(b, ")");
			break;
		}
		sp_buf_puts(b, a->op == OP_NE ? "(NOT (" : "(");
		name_of(b, a->kids[0], schema);
		if (a->op < 128 && strchr("+-*/%", a->op))
			sp_buf_printf(b, " %c ", a->op);
		else
			sp_buf_printf(b, " %s ", a->op == OP_NE ? "=" : opnames[a->op]);
		name_of(b, a->kids[1], schema);
		sp_buf_puts(b, a->op == OP_NE ? "))" : ")");
		break;
	case A_IS:
		sp_buf_puts(b, a->neg && a->op ? "(NOT (" : "(");
		name_of(b, a->kids[0], schema);
		if (a->op)
			sp_buf_printf(b, " <=> %s)%s", a->op == 1 ? "true" : "false", a->neg ? ")" : "");
		else
			sp_buf_printf(b, " IS %sNULL)", a->neg ? "NOT " : "");
		break;
	case A_IN:
		sp_buf_puts(b, a->neg ? "(NOT (" : "(");
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, " IN (");
		names_of(b, a->kids + 1, a->nkids - 1, schema);
		sp_buf_puts(b, a->neg ? ")))" : "))");
		break;
	case A_BETWEEN:
		sp_buf_puts(b, a->neg ? "(NOT ((" : "((");
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, " >= ");
		name_of(b, a->kids[1], schema);
		sp_buf_puts(b, ") AND (");
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, " <= ");
		name_of(b, a->kids[2], schema);
		sp_buf_puts(b, a->neg ? ")))" : "))");
		break;
	case A_LIKE:
		if (a->neg)
			sp_buf_puts(b, "(NOT ");
		if (a->op) {
			sp_buf_puts(b, "RLIKE(");
			names_of(b, a->kids, 2, schema);
			sp_buf_puts(b, ")");
		} else {
			name_of(b, a->kids[0], schema);
			sp_buf_puts(b, " LIKE ");
			name_of(b, a->kids[1], schema);
			if (a->lit.u.i != '\\')
				sp_buf_printf(b, " ESCAPE '%c'", (char)a->lit.u.i);
		}
		if (a->neg)
			sp_buf_puts(b, ")");
		break;
	case A_CASE: {
		size_t first = (size_t)a->op, stop = a->has_else ? a->nkids - 1 : a->nkids;

		sp_buf_puts(b, "CASE");
		for (size_t i = first; i < stop; i += 2) {
			sp_buf_puts(b, " WHEN ");
			if (first) {
				/* CASE x WHEN v is CASE WHEN x = v */
				sp_buf_puts(b, "(");
				name_of(b, a->kids[0], schema);
				sp_buf_puts(b, " = ");
				name_of(b, a->kids[i], schema);
				sp_buf_puts(b, ")");
			} else {
				name_of(b, a->kids[i], schema);
			}
			sp_buf_puts(b, " THEN ");
			name_of(b, a->kids[i + 1], schema);
		}
		if (a->has_else) {
			sp_buf_puts(b, " ELSE ");
			name_of(b, a->kids[a->nkids - 1], schema);
		}
		sp_buf_puts(b, " END");
		break;
	}
	case A_CAST:
		sp_buf_puts(b, a->try_cast ? "TRY_CAST(" : "CAST(");
		name_of(b, a->kids[0], schema);
		sp_buf_puts(b, " AS ");
		type_sql(b, a->cast);
		sp_buf_puts(b, ")");
		break;
	case A_CALL:
		if (a->star) {
			/* count(*) is count(1); struct(*) lists the columns */
			if (!strcmp(a->name, "struct") && schema) {
				sp_buf_puts(b, "struct(");
				for (size_t i = 0; i < schema->nfields; i++)
					sp_buf_printf(b, "%s%s", i ? ", " : "", schema->fields[i].name);
				sp_buf_puts(b, ")");
			} else {
				sp_buf_printf(b, "%s(%s)", a->name, !strcmp(a->name, "count") ? "1" : "*");
			}
			break;
		}
		if (!strcmp(a->name, "if") && a->nkids == 3) {
			sp_buf_puts(b, "(IF(");
			names_of(b, a->kids, 3, schema);
			sp_buf_puts(b, "))");
			break;
		}
		if (!strcmp(a->name, "log") && a->nkids == 1) {
			sp_buf_puts(b, "LOG(E(), ");
			name_of(b, a->kids[0], schema);
			sp_buf_puts(b, ")");
			break;
		}
		if (!strcmp(a->name, "from_json") && a->nkids >= 1) {
			sp_buf_puts(b, "from_json(");
			name_of(b, a->kids[0], schema);
			sp_buf_puts(b, ")");
			break;
		}
		if (!strcmp(a->name, "unix_timestamp") && !a->nkids) {
			sp_buf_puts(b, "unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)");
			break;
		}
		disp = sp_expr_fn_display(a->name, a->nkids, &extra);
		sp_buf_printf(b, "%s(%s", disp, a->distinct ? "DISTINCT " : "");
		names_of(b, a->kids, a->nkids, schema);
		if (extra)
			sp_buf_printf(b, ", %s", extra);
		sp_buf_puts(b, ")");
		break;
	}
}

char *sp_expr_default_name(const struct sp_ast *a)
{
	return sp_expr_column_name(a, NULL);
}

char *sp_expr_column_name(const struct sp_ast *a, const struct sp_type *schema)
{
	struct sp_buf b = SP_BUF_INIT;

	/* a struct field selected alone is named after the field, as Spark names it */
	if (a->k == A_FIELD)
		return sp_xstrdup(a->name);
	if (a->k == A_CALL && (!strcmp(a->name, "explode") || !strcmp(a->name, "explode_outer")))
		return sp_xstrdup("col");
	name_of(&b, a, schema);
	return sp_buf_take(&b);
}
