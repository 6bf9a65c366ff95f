/*
 * expr-int.h: the expression language's insides, shared by expr.c (the
 * parser) and expr-eval.c (compiling and evaluating).
 */
#ifndef SP_EXPR_INT_H
#define SP_EXPR_INT_H

#include <regex.h>
#include <stdarg.h>

#include "expr.h"

enum ast_kind {
	A_LIT, A_COL, A_STAR, A_FIELD, A_INDEX, A_UNARY, A_BINARY, A_CALL, A_CASE, A_CAST, A_IN, A_BETWEEN,
	A_LIKE, A_IS, A_INTERVAL,
};

/* Operators that are not a single character ('+', '-', '*', '/', '%'). */
enum { OP_EQ = 1, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQNS, OP_AND, OP_OR, OP_NOT, OP_CONCAT, OP_DIV };

struct sp_ast {
	enum ast_kind k;
	int op;			/* operator; IS: 0 NULL, 1 TRUE, 2 FALSE; LIKE: 0 LIKE, 1 RLIKE; CASE: 1 = CASE x */
	int neg;		/* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT */
	int paren, distinct, star, has_else;
	struct sp_val lit;	/* A_LIT, A_INTERVAL (us in lit.u.i) */
	char *str;		/* a string literal's bytes */
	char *name;		/* column, field or function (lower case) */
	struct sp_type *cast;	/* CAST's target */
	struct sp_ast **kids;
	size_t nkids;
	const char *text;	/* the whole expression */
	size_t start, end;	/* this node's span of it */
	int owns_text;
};

/* A usage error whose message shows text with a caret under pos. Returns -1. */
int sp_expr_fail(struct sp_err *err, const char *text, size_t pos, const char *fmt, ...) SP_PRINTF(4, 5);

#endif
