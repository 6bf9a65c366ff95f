/*
 * expr.c: lexer, parser and AST of the expression language (see expr.h).
 *
 * A hand-written lexer hands tokens to a precedence-climbing parser with
 * Spark SQL's levels, loosest first:
 *
 *   OR | AND | NOT | = <> < <= > >= <=> IS IN BETWEEN LIKE RLIKE
 *      | + - || | * / % DIV | unary - + | x[i] x.f | primary
 *
 * Every node remembers its span of the text, for error carets and for
 * Spark's default column names. Compilation and evaluation are in
 * expr-eval.c.
 */
#include "expr-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "timefmt.h"

/* ---- errors with a caret ---- */

int sp_expr_fail(struct sp_err *err, const char *text, size_t pos, const char *fmt, ...)
{
	char msg[512];
	struct sp_buf b = SP_BUF_INIT;
	va_list ap;
	size_t len = strlen(text);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (pos > len)
		pos = len;
	sp_buf_printf(&b, "%s\n    %s\n    %*s^", msg, text, (int)pos, "");
	sp_err_usage(err, "%s", b.p);
	sp_buf_release(&b);
	return -1;
}

/* ---- lexer ---- */

enum tok { T_EOF, T_NUM, T_STR, T_IDENT, T_QIDENT, T_OP };

struct lexer {
	const char *text, *p;
	enum tok k;
	size_t start, end;	/* span of the current token */
	char op[4];
	struct sp_buf s;	/* decoded string or identifier */
	int is_float;
	struct sp_err *err;
	int failed;
};

static int lex_fail(struct lexer *lx, size_t pos, const char *what)
{
	lx->failed = 1;
	return sp_expr_fail(lx->err, lx->text, pos, "syntax error at column %zu: %s", pos + 1, what);
}

static int next(struct lexer *lx)
{
	const char *p = lx->p;
	char q;

	while (isspace((unsigned char)*p))
		p++;
	lx->start = (size_t)(p - lx->text);
	sp_buf_reset(&lx->s);
	lx->is_float = 0;
	if (!*p) {
		lx->k = T_EOF;
		lx->p = p;
		lx->end = lx->start;
		return 0;
	}
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		const char *s = p;

		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.') {
			lx->is_float = 1;
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) ||
						 ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
			lx->is_float = 1;
			p += 2;
			while (isdigit((unsigned char)*p))
				p++;
		}
		/* Spark's suffixes: 10L, 1.5D */
		if (*p == 'L' || *p == 'l')
			p++;
		else if (*p == 'D' || *p == 'd') {
			lx->is_float = 1;
			p++;
		}
		sp_buf_add(&lx->s, s, (size_t)(p - s));
		lx->k = T_NUM;
	} else if (*p == '\'' || *p == '"') {
		q = *p++;
		for (;;) {
			if (!*p) {
				lx->p = p;
				return lex_fail(lx, lx->start, "unterminated string");
			}
			if (*p == q) {
				if (p[1] == q) {	/* '' inside '...' */
					sp_buf_addc(&lx->s, q);
					p += 2;
					continue;
				}
				p++;
				break;
			}
			if (*p == '\\' && p[1]) {
				p++;
				switch (*p) {
				case 'n': sp_buf_addc(&lx->s, '\n'); break;
				case 't': sp_buf_addc(&lx->s, '\t'); break;
				case 'r': sp_buf_addc(&lx->s, '\r'); break;
				case '0': sp_buf_addc(&lx->s, '\0'); break;
				default: sp_buf_addc(&lx->s, *p); break;
				}
				p++;
				continue;
			}
			sp_buf_addc(&lx->s, *p++);
		}
		lx->k = T_STR;
	} else if (*p == '`') {
		p++;
		for (;;) {
			if (!*p) {
				lx->p = p;
				return lex_fail(lx, lx->start, "unterminated `name`");
			}
			if (*p == '`') {
				if (p[1] == '`') {
					sp_buf_addc(&lx->s, '`');
					p += 2;
					continue;
				}
				p++;
				break;
			}
			sp_buf_addc(&lx->s, *p++);
		}
		lx->k = T_QIDENT;
	} else if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
		const char *s = p;

		while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)
			p++;
		sp_buf_add(&lx->s, s, (size_t)(p - s));
		lx->k = T_IDENT;
	} else {
		static const char *const two[] = { "<=>", "<=", ">=", "<>", "!=", "==", "||", NULL };
		size_t n = 1;

		for (int i = 0; two[i]; i++)
			if (!strncmp(p, two[i], strlen(two[i]))) {
				n = strlen(two[i]);
				break;
			}
		if (n == 1 && !strchr("()+-*/%=<>,.[]:", *p)) {
			lx->p = p;
			return lex_fail(lx, lx->start, "unexpected character");
		}
		memcpy(lx->op, p, n);
		lx->op[n] = '\0';
		p += n;
		lx->k = T_OP;
	}
	lx->p = p;
	lx->end = (size_t)(p - lx->text);
	return 0;
}

/* The first character after the current token. */
static char peek(const struct lexer *lx)
{
	const char *q = lx->p;

	while (isspace((unsigned char)*q))
		q++;
	return *q;
}

static int is_op(const struct lexer *lx, const char *op)
{
	return lx->k == T_OP && !strcmp(lx->op, op);
}

static int is_kw(const struct lexer *lx, const char *kw)
{
	return lx->k == T_IDENT && !strcasecmp(lx->s.p, kw);
}

static const char *tok_desc(const struct lexer *lx)
{
	return lx->k == T_EOF ? "end of expression" : NULL;
}

static int expect_op(struct lexer *lx, const char *op)
{
	char what[64];

	if (!is_op(lx, op)) {
		snprintf(what, sizeof what, "expected '%s'%s%s", op, tok_desc(lx) ? " before " : "",
			 tok_desc(lx) ? tok_desc(lx) : "");
		return lex_fail(lx, lx->start, what);
	}
	return next(lx);
}

/* ---- AST ---- */

static struct sp_ast *node(enum ast_kind k, struct lexer *lx, size_t start)
{
	struct sp_ast *a = sp_xcalloc(1, sizeof *a);

	a->k = k;
	a->text = lx->text;
	a->start = start;
	a->end = lx->end;
	return a;
}

static void add_kid(struct sp_ast *a, struct sp_ast *kid)
{
	a->kids = sp_xrealloc(a->kids, (a->nkids + 1) * sizeof *a->kids);
	a->kids[a->nkids++] = kid;
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

static struct sp_ast *binary(struct lexer *lx, int op, struct sp_ast *l, struct sp_ast *r)
{
	struct sp_ast *a = node(A_BINARY, lx, l->start);

	a->op = op;
	add_kid(a, l);
	add_kid(a, r);
	return a;
}

static struct sp_ast *parse_expr(struct lexer *lx);

/* The type after CAST(x AS ...: the text up to the ')' that closes the CAST. */
static struct sp_type *parse_cast_type(struct lexer *lx)
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
		lex_fail(lx, lx->start, "expected a type after AS");
		free(s);
		return NULL;
	}
	free(s);
	lx->p = p;
	next(lx);
	return t;
}

/* INTERVAL 1 HOUR, INTERVAL '10' MINUTE, INTERVAL '1 hour 30 minutes', INTERVAL 1 HOUR 30 MINUTES */
static struct sp_ast *parse_interval(struct lexer *lx, size_t start)
{
	struct sp_buf t = SP_BUF_INIT;
	struct sp_err e = SP_ERR_INIT;
	struct sp_ast *a;
	int64_t us;

	while (lx->k == T_NUM || lx->k == T_STR || (lx->k == T_OP && is_op(lx, "-"))) {
		if (is_op(lx, "-"))
			sp_buf_puts(&t, "-");
		else
			sp_buf_printf(&t, "%s%s", t.len && t.p[t.len - 1] != '-' ? " " : "", lx->s.p);
		if (next(lx) < 0)
			goto fail;
		if (lx->k == T_IDENT) {
			sp_buf_printf(&t, " %s", lx->s.p);
			if (next(lx) < 0)
				goto fail;
		}
	}
	if (!t.len || sp_duration_parse(t.p, &us, "INTERVAL", &e) < 0) {
		lex_fail(lx, start, "bad INTERVAL (try INTERVAL 10 MINUTES or INTERVAL '1 hour 30 minutes')");
		goto fail;
	}
	sp_buf_release(&t);
	a = node(A_INTERVAL, lx, start);
	a->lit.t = SP_T_LONG;
	a->lit.u.i = us;
	a->end = lx->start;
	return a;
fail:
	sp_buf_release(&t);
	return NULL;
}

static struct sp_ast *parse_primary(struct lexer *lx)
{
	size_t start = lx->start;
	struct sp_ast *a = NULL;

	if (lx->k == T_NUM) {
		a = node(A_LIT, lx, start);
		if (lx->is_float) {
			a->lit.t = SP_T_DOUBLE;
			a->lit.u.d = strtod(lx->s.p, NULL);
		} else {
			char *end;

			a->lit.t = SP_T_LONG;
			a->lit.u.i = strtoll(lx->s.p, &end, 10);
			if (*end && *end != 'L' && *end != 'l') {
				sp_ast_free(a);
				lex_fail(lx, start, "bad number");
				return NULL;
			}
		}
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k == T_STR) {
		a = node(A_LIT, lx, start);
		a->lit.t = SP_T_STRING;
		a->str = sp_xstrndup(lx->s.p ? lx->s.p : "", lx->s.len);
		a->lit.u.s.p = a->str;
		a->lit.u.s.len = lx->s.len;
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (is_op(lx, "(")) {
		if (next(lx) < 0 || !(a = parse_expr(lx)))
			return NULL;
		if (expect_op(lx, ")") < 0) {
			sp_ast_free(a);
			return NULL;
		}
		a->paren = 1;
		a->start = start;
		a->end = lx->start > a->end ? lx->start : a->end;
		return a;
	}
	if (is_op(lx, "*")) {
		a = node(A_STAR, lx, start);
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k == T_QIDENT) {
		a = node(A_COL, lx, start);
		a->name = sp_xstrdup(lx->s.p ? lx->s.p : "");
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (lx->k != T_IDENT) {
		lex_fail(lx, start, lx->k == T_EOF ? "expected an expression before end of expression"
						    : "expected an expression");
		return NULL;
	}
	if (is_kw(lx, "NULL") || is_kw(lx, "TRUE") || is_kw(lx, "FALSE")) {
		a = node(A_LIT, lx, start);
		if (is_kw(lx, "NULL")) {
			a->lit.t = SP_T_NULL;
			a->lit.null = 1;
		} else {
			a->lit.t = SP_T_BOOLEAN;
			a->lit.u.b = is_kw(lx, "TRUE");
		}
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (is_kw(lx, "INTERVAL")) {
		if (next(lx) < 0)
			return NULL;
		return parse_interval(lx, start);
	}
	if ((is_kw(lx, "TIMESTAMP") || is_kw(lx, "DATE")) && (peek(lx) == '\'' || peek(lx) == '"')) {
		int ts = is_kw(lx, "TIMESTAMP");

		if (next(lx) < 0)
			return NULL;
		a = node(A_LIT, lx, start);
		if (ts ? sp_ts_parse(lx->s.p, lx->s.len, &a->lit.u.i) < 0 : sp_date_parse(lx->s.p, lx->s.len, &a->lit.u.i) < 0) {
			sp_ast_free(a);
			lex_fail(lx, lx->start, ts ? "bad TIMESTAMP literal" : "bad DATE literal");
			return NULL;
		}
		a->lit.t = ts ? SP_T_TIMESTAMP : SP_T_DATE;
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if (is_kw(lx, "CASE")) {
		a = node(A_CASE, lx, start);
		if (next(lx) < 0)
			goto fail;
		if (!is_kw(lx, "WHEN")) {
			struct sp_ast *x = parse_expr(lx);

			if (!x)
				goto fail;
			add_kid(a, x);
			a->op = 1;	/* CASE x WHEN v ... */
		}
		while (is_kw(lx, "WHEN")) {
			struct sp_ast *w, *t;

			if (next(lx) < 0 || !(w = parse_expr(lx)))
				goto fail;
			add_kid(a, w);
			if (!is_kw(lx, "THEN")) {
				lex_fail(lx, lx->start, "expected THEN");
				goto fail;
			}
			if (next(lx) < 0 || !(t = parse_expr(lx)))
				goto fail;
			add_kid(a, t);
		}
		if (a->nkids < 2 + (size_t)a->op) {
			lex_fail(lx, lx->start, "expected WHEN");
			goto fail;
		}
		if (is_kw(lx, "ELSE")) {
			struct sp_ast *e;

			if (next(lx) < 0 || !(e = parse_expr(lx)))
				goto fail;
			add_kid(a, e);
			a->has_else = 1;
		}
		if (!is_kw(lx, "END")) {
			lex_fail(lx, lx->start, "expected END");
			goto fail;
		}
		a->end = lx->end;
		return next(lx) < 0 ? (sp_ast_free(a), NULL) : a;
	}
	if ((is_kw(lx, "CAST") || is_kw(lx, "TRY_CAST")) && peek(lx) == '(') {
		struct sp_ast *x;

		a = node(A_CAST, lx, start);
		if (next(lx) < 0 || expect_op(lx, "(") < 0 || !(x = parse_expr(lx)))
			goto fail;
		add_kid(a, x);
		if (!is_kw(lx, "AS")) {
			lex_fail(lx, lx->start, "expected AS");
			goto fail;
		}
		if (next(lx) < 0 || !(a->cast = parse_cast_type(lx)))
			goto fail;
		a->end = lx->end;
		if (expect_op(lx, ")") < 0)
			goto fail;
		return a;
	}
	/* a name, a function call, or a qualified name (handled by the postfix loop) */
	{
		char *name = sp_xstrdup(lx->s.p);

		if (next(lx) < 0) {
			free(name);
			return NULL;
		}
		if (is_op(lx, "(")) {
			a = node(A_CALL, lx, start);
			a->name = name;
			for (char *c = a->name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (next(lx) < 0)
				goto fail;
			if (is_kw(lx, "DISTINCT")) {
				a->distinct = 1;
				if (next(lx) < 0)
					goto fail;
			}
			if (is_op(lx, "*") && !a->distinct) {
				a->star = 1;
				if (next(lx) < 0)
					goto fail;
			} else if (!is_op(lx, ")")) {
				for (;;) {
					struct sp_ast *x = parse_expr(lx);

					if (!x)
						goto fail;
					add_kid(a, x);
					if (!is_op(lx, ","))
						break;
					if (next(lx) < 0)
						goto fail;
				}
			}
			a->end = lx->end;
			if (expect_op(lx, ")") < 0)
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

static struct sp_ast *parse_postfix(struct lexer *lx)
{
	struct sp_ast *a = parse_primary(lx);

	while (a) {
		if (is_op(lx, ".")) {
			struct sp_ast *f;

			if (next(lx) < 0)
				goto fail;
			if (is_op(lx, "*")) {
				f = node(A_STAR, lx, a->start);
				add_kid(f, a);
				f->end = lx->end;
				if (next(lx) < 0) {
					sp_ast_free(f);
					return NULL;
				}
				return f;
			}
			if (lx->k != T_IDENT && lx->k != T_QIDENT) {
				lex_fail(lx, lx->start, "expected a field name after '.'");
				goto fail;
			}
			f = node(A_FIELD, lx, a->start);
			f->name = sp_xstrdup(lx->s.p ? lx->s.p : "");
			add_kid(f, a);
			f->end = lx->end;
			a = f;
			if (next(lx) < 0)
				goto fail;
		} else if (is_op(lx, "[")) {
			struct sp_ast *i, *x;

			if (next(lx) < 0 || !(x = parse_expr(lx)))
				goto fail;
			i = node(A_INDEX, lx, a->start);
			add_kid(i, a);
			add_kid(i, x);
			a = i;
			a->end = lx->end;
			if (expect_op(lx, "]") < 0)
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

static struct sp_ast *parse_unary(struct lexer *lx)
{
	size_t start = lx->start;

	if (is_op(lx, "-") || is_op(lx, "+")) {
		int neg = is_op(lx, "-");
		struct sp_ast *x, *a;

		if (next(lx) < 0 || !(x = parse_unary(lx)))
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

static struct sp_ast *parse_mul(struct lexer *lx)
{
	struct sp_ast *a = parse_unary(lx), *b;

	while (a && (is_op(lx, "*") || is_op(lx, "/") || is_op(lx, "%") || is_kw(lx, "DIV"))) {
		int op = is_kw(lx, "DIV") ? OP_DIV : lx->op[0];

		if (next(lx) < 0 || !(b = parse_unary(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, op, a, b);
	}
	return a;
}

static struct sp_ast *parse_add(struct lexer *lx)
{
	struct sp_ast *a = parse_mul(lx), *b;

	while (a && (is_op(lx, "+") || is_op(lx, "-") || is_op(lx, "||"))) {
		int op = is_op(lx, "||") ? OP_CONCAT : lx->op[0];

		if (next(lx) < 0 || !(b = parse_mul(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, op, a, b);
	}
	return a;
}

static int cmp_op(const struct lexer *lx)
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

static struct sp_ast *parse_cmp(struct lexer *lx)
{
	struct sp_ast *a = parse_add(lx), *b, *n;
	int op, neg;

	while (a) {
		if ((op = cmp_op(lx))) {
			if (next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			a = binary(lx, op, a, b);
			continue;
		}
		if (is_kw(lx, "IS")) {
			if (next(lx) < 0)
				goto fail;
			neg = is_kw(lx, "NOT");
			if (neg && next(lx) < 0)
				goto fail;
			if (!is_kw(lx, "NULL") && !is_kw(lx, "TRUE") && !is_kw(lx, "FALSE")) {
				lex_fail(lx, lx->start, "expected NULL, TRUE or FALSE after IS");
				goto fail;
			}
			n = node(A_IS, lx, a->start);
			n->op = is_kw(lx, "NULL") ? 0 : is_kw(lx, "TRUE") ? 1 : 2;
			n->neg = neg;
			add_kid(n, a);
			n->end = lx->end;
			a = n;
			if (next(lx) < 0)
				goto fail;
			continue;
		}
		neg = 0;
		if (is_kw(lx, "NOT")) {
			const char *q = lx->p;

			while (isspace((unsigned char)*q))
				q++;
			if (strncasecmp(q, "IN", 2) && strncasecmp(q, "BETWEEN", 7) && strncasecmp(q, "LIKE", 4) &&
			    strncasecmp(q, "RLIKE", 5) && strncasecmp(q, "REGEXP", 6))
				break;
			neg = 1;
			if (next(lx) < 0)
				goto fail;
		}
		if (is_kw(lx, "IN")) {
			n = node(A_IN, lx, a->start);
			n->neg = neg;
			add_kid(n, a);
			a = n;
			if (next(lx) < 0 || expect_op(lx, "(") < 0)
				goto fail;
			for (;;) {
				if (!(b = parse_expr(lx)))
					goto fail;
				add_kid(a, b);
				if (!is_op(lx, ","))
					break;
				if (next(lx) < 0)
					goto fail;
			}
			a->end = lx->end;
			if (expect_op(lx, ")") < 0)
				goto fail;
		} else if (is_kw(lx, "BETWEEN")) {
			n = node(A_BETWEEN, lx, a->start);
			n->neg = neg;
			add_kid(n, a);
			a = n;
			if (next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
			if (!is_kw(lx, "AND")) {
				lex_fail(lx, lx->start, "expected AND in BETWEEN");
				goto fail;
			}
			if (next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
		} else if (is_kw(lx, "LIKE") || is_kw(lx, "RLIKE") || is_kw(lx, "REGEXP")) {
			n = node(A_LIKE, lx, a->start);
			n->op = is_kw(lx, "LIKE") ? 0 : 1;
			n->neg = neg;
			add_kid(n, a);
			a = n;
			if (next(lx) < 0 || !(b = parse_add(lx)))
				goto fail;
			add_kid(a, b);
		} else {
			if (neg) {
				lex_fail(lx, lx->start, "expected IN, BETWEEN or LIKE after NOT");
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

static struct sp_ast *parse_not(struct lexer *lx)
{
	size_t start = lx->start;

	if (is_kw(lx, "NOT") || is_op(lx, "!")) {
		struct sp_ast *x, *a;

		if (next(lx) < 0 || !(x = parse_not(lx)))
			return NULL;
		a = node(A_UNARY, lx, start);
		a->op = OP_NOT;
		add_kid(a, x);
		return a;
	}
	return parse_cmp(lx);
}

static struct sp_ast *parse_and(struct lexer *lx)
{
	struct sp_ast *a = parse_not(lx), *b;

	while (a && is_kw(lx, "AND")) {
		if (next(lx) < 0 || !(b = parse_not(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, OP_AND, a, b);
	}
	return a;
}

static struct sp_ast *parse_expr(struct lexer *lx)
{
	struct sp_ast *a = parse_and(lx), *b;

	while (a && is_kw(lx, "OR")) {
		if (next(lx) < 0 || !(b = parse_and(lx))) {
			sp_ast_free(a);
			return NULL;
		}
		a = binary(lx, OP_OR, a, b);
	}
	return a;
}

static void set_text(struct sp_ast *a, const char *text)
{
	a->text = text;
	for (size_t i = 0; i < a->nkids; i++)
		set_text(a->kids[i], text);
}

static void lexer_init(struct lexer *lx, const char *text, struct sp_err *err)
{
	memset(lx, 0, sizeof *lx);
	lx->text = lx->p = text;
	lx->err = err;
}

int sp_ast_parse(struct sp_ast **out, const char *text, struct sp_err *err)
{
	char *copy = sp_xstrdup(text);
	struct lexer lx;
	struct sp_ast *a = NULL;

	lexer_init(&lx, copy, err);
	if (next(&lx) == 0 && (a = parse_expr(&lx)) && lx.k != T_EOF) {
		lex_fail(&lx, lx.start, "unexpected text after the expression");
		sp_ast_free(a);
		a = NULL;
	}
	sp_buf_release(&lx.s);
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
	struct lexer lx;

	lexer_init(&lx, copy, err);
	if (next(&lx) < 0)
		goto fail;
	for (;;) {
		if (!(a = parse_expr(&lx)))
			goto fail;
		v = sp_xrealloc(v, (k + 1) * sizeof *v);
		al = sp_xrealloc(al, (k + 1) * sizeof *al);
		v[k] = a;
		al[k] = NULL;
		k++;
		if (is_kw(&lx, "AS")) {
			if (next(&lx) < 0)
				goto fail;
			if (lx.k != T_IDENT && lx.k != T_QIDENT) {
				lex_fail(&lx, lx.start, "expected a name after AS");
				goto fail;
			}
		}
		if (lx.k == T_IDENT || lx.k == T_QIDENT) {
			al[k - 1] = sp_xstrdup(lx.s.p ? lx.s.p : "");
			if (next(&lx) < 0)
				goto fail;
		}
		if (lx.k == T_EOF)
			break;
		if (expect_op(&lx, ",") < 0)
			goto fail;
	}
	sp_buf_release(&lx.s);
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
	sp_buf_release(&lx.s);
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

/* Spark's names for unaliased expressions. */
static void name_of(struct sp_buf *b, const struct sp_ast *a)
{
	static const char *const opnames[] = {
		[OP_EQ] = "=", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
		[OP_EQNS] = "<=>", [OP_AND] = "AND", [OP_OR] = "OR", [OP_CONCAT] = "||", [OP_DIV] = "div",
	};
	char tmp[64];

	switch (a->k) {
	case A_LIT:
		if (a->lit.t == SP_T_STRING)
			sp_buf_add(b, a->lit.u.s.p, a->lit.u.s.len);
		else if (a->lit.t == SP_T_NULL)
			sp_buf_puts(b, "NULL");
		else if (a->lit.t == SP_T_TIMESTAMP || a->lit.t == SP_T_DATE)
			sp_buf_add(b, a->text + a->start, a->end - a->start);
		else
			sp_buf_add(b, a->text + a->start, a->end - a->start);
		break;
	case A_COL:
		sp_buf_puts(b, a->name);
		break;
	case A_FIELD:
		name_of(b, a->kids[0]);
		sp_buf_printf(b, ".%s", a->name);
		break;
	case A_STAR:
		sp_buf_puts(b, "*");
		break;
	case A_INTERVAL:
		sp_duration_format(a->lit.u.i, tmp, sizeof tmp);
		sp_buf_printf(b, "INTERVAL '%s'", tmp);
		break;
	case A_UNARY:
		if (a->op == OP_NOT) {
			sp_buf_puts(b, "(NOT ");
			name_of(b, a->kids[0]);
			sp_buf_puts(b, ")");
		} else {
			sp_buf_puts(b, "(- ");
			name_of(b, a->kids[0]);
			sp_buf_puts(b, ")");
		}
		break;
	case A_BINARY:
		sp_buf_puts(b, "(");
		name_of(b, a->kids[0]);
		if (a->op < 128 && a->op > 32)
			sp_buf_printf(b, " %c ", a->op);
		else
			sp_buf_printf(b, " %s ", opnames[a->op]);
		name_of(b, a->kids[1]);
		sp_buf_puts(b, ")");
		break;
	case A_IS:
		sp_buf_puts(b, "(");
		name_of(b, a->kids[0]);
		sp_buf_printf(b, " IS %s%s)", a->neg ? "NOT " : "", a->op == 0 ? "NULL" : a->op == 1 ? "TRUE" : "FALSE");
		break;
	case A_CAST: {
		char *t = sp_type_ddl_new(a->cast);

		sp_buf_puts(b, "CAST(");
		name_of(b, a->kids[0]);
		sp_buf_printf(b, " AS %s)", t);
		free(t);
		break;
	}
	case A_CALL:
		sp_buf_printf(b, "%s(%s", a->name, a->distinct ? "DISTINCT " : "");
		if (a->star)
			sp_buf_puts(b, !strcmp(a->name, "count") ? "1" : "*");
		for (size_t i = 0; i < a->nkids; i++) {
			if (i)
				sp_buf_puts(b, ", ");
			name_of(b, a->kids[i]);
		}
		sp_buf_puts(b, ")");
		break;
	default:
		/* CASE, IN, BETWEEN, LIKE, x[i]: their text, as written */
		sp_buf_add(b, a->text + a->start, a->end - a->start);
		break;
	}
}

char *sp_expr_default_name(const struct sp_ast *a)
{
	struct sp_buf b = SP_BUF_INIT;

	name_of(&b, a);
	return sp_buf_take(&b);
}
