/*
 * expr-int.h: the expression language's insides, shared by its files:
 *
 *   expr-lex.c    text to tokens, and error messages with a caret
 *   expr-parse.c  tokens to an AST; AST inspection; Spark's column names
 *   expr-eval.c   AST to a typed tree (implicit casts), and evaluation
 *   expr-func.c   the built-in functions
 *   expr-cast.c   CAST
 *   expr-time.c   Java DateTimeFormatter patterns
 */
#ifndef SP_EXPR_INT_H
#define SP_EXPR_INT_H

#include <regex.h>
#include <stdarg.h>

#include "buf.h"
#include "expr.h"

/* ---- lexer ---- */

enum sp_tok { T_EOF, T_NUM, T_STR, T_IDENT, T_QIDENT, T_OP };

struct sp_lexer {
	const char *text, *p;
	enum sp_tok k;
	size_t start, end;	/* span of the current token */
	char op[4];		/* T_OP: "(", "<=>", ... */
	struct sp_buf s;	/* T_NUM, T_STR, T_IDENT, T_QIDENT: the decoded text */
	int is_float;		/* T_NUM: has a '.', an exponent or a D suffix */
	struct sp_err *err;
	int depth;		/* the parser's recursion */
};

/* Deepest nesting of an expression: recursion in the parser, the compiler and evaluation stays bounded. */
#define SP_EXPR_MAX_DEPTH 1000

void sp_lex_init(struct sp_lexer *lx, const char *text, struct sp_err *err);
void sp_lex_release(struct sp_lexer *lx);
/* Moves to the next token; -1 on a lexical error (err is set). */
int sp_lex_next(struct sp_lexer *lx);
/* The first character after the current token, blanks skipped. */
char sp_lex_peek(const struct sp_lexer *lx);
/* Whether the token after the current one is the keyword kw. */
int sp_lex_peek_kw(const struct sp_lexer *lx, const char *kw);
int sp_lex_op(const struct sp_lexer *lx, const char *op);
int sp_lex_kw(const struct sp_lexer *lx, const char *kw);
/* Consumes op, or fails "expected 'op'". */
int sp_lex_expect(struct sp_lexer *lx, const char *op);
/* "syntax error at column N: what", with a caret at pos. Returns -1. */
int sp_lex_fail(struct sp_lexer *lx, size_t pos, const char *what);

/* A usage error whose message shows text with a caret under pos. Returns -1. */
int sp_expr_fail(struct sp_err *err, const char *text, size_t pos, const char *fmt, ...) SP_PRINTF(4, 5);

/* ---- AST ---- */

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
	int try_cast;		/* A_CAST: TRY_CAST */
	int bare;		/* A_CALL: written without parentheses (current_timestamp) */
	struct sp_val lit;	/* A_LIT, A_INTERVAL (us in lit.u.i) */
	char *str;		/* a string literal's bytes */
	char *name;		/* column, field or function (lower case) */
	struct sp_type *cast;	/* CAST's target */
	struct sp_ast **kids;
	size_t nkids;
	const char *text;	/* the whole expression */
	size_t start, end;	/* this node's span of it */
	int owns_text;
	int depth;		/* 1 for a leaf */
};

/* ---- typed tree ---- */

enum ekind {
	E_LIT, E_COL, E_FIELD, E_INDEX, E_NEG, E_NOT, E_ARITH, E_CMP, E_AND, E_OR, E_IS, E_IN, E_BETWEEN,
	E_LIKE, E_RLIKE, E_CASE, E_CAST, E_FN, E_TSADD,
};

enum fn {
	F_LOWER = 1, F_UPPER, F_LENGTH, F_SUBSTR, F_CONCAT, F_CONCAT_WS, F_SPLIT, F_TRIM, F_LTRIM, F_RTRIM,
	F_REPLACE, F_COALESCE, F_NULLIF, F_IF, F_ABS, F_ROUND, F_BROUND, F_FLOOR, F_CEIL, F_SQRT, F_POW, F_EXP,
	F_LN, F_LOG10, F_LOG, F_GREATEST, F_LEAST, F_NOW, F_TODAY, F_TO_TS, F_TO_DATE, F_TS_SECONDS,
	F_TS_MILLIS, F_UNIX_TS, F_FROM_UNIXTIME, F_DATE_TRUNC, F_DATE_FORMAT, F_YEAR, F_MONTH, F_DAY, F_HOUR,
	F_MINUTE, F_SECOND, F_DOW, F_FROM_JSON, F_TO_JSON, F_STRUCT, F_NAMED_STRUCT, F_ARRAY, F_SIZE,
	F_CONTAINS, F_ELEMENT_AT, F_EXPLODE, F_EXPLODE_OUTER, F_INSTR, F_LOCATE, F_LPAD, F_RPAD,
	F_REGEXP_REPLACE, F_REGEXP_EXTRACT, F_UUID, F_SIGNUM, F_INITCAP, F_REVERSE,
	F_REPEAT, F_LEFT, F_RIGHT, F_STARTSWITH, F_ENDSWITH, F_CONTAINS_STR, F_NVL2, F_DATE_ADD, F_DATE_SUB,
	F_DATEDIFF, F_UNIX_MILLIS, F_UNIX_SECONDS, F_QUARTER, F_DAYOFYEAR, F_WEEKOFYEAR, F_ARRAY_JOIN,
	F_ISNULL, F_ISNOTNULL, F_ISNAN, F_NANVL, F_TYPEOF,
};

struct sp_expr {
	enum ekind kind;
	int op;			/* operator or enum fn */
	int neg;		/* NOT IN, NOT LIKE, IS NOT, ...; split(): the pattern is empty */
	struct sp_type *type;	/* one reference */
	struct sp_expr **k;	/* operands */
	size_t nk;
	int col;		/* E_COL: column; E_FIELD: field; E_LIKE: the escape character */
	struct sp_val lit;	/* E_LIT; E_TSADD: the interval (us) */
	char *litbuf;		/* E_LIT: a string's bytes */
	regex_t re;		/* RLIKE, split, regexp_*: the compiled pattern */
	int has_re;
	struct sp_buf sb;	/* strings being built (expr-func.c) */
	struct sp_buf subj;	/* a regular expression's subject, NUL-terminated */
	struct sp_col tmp;	/* built structs and arrays (expr-func.c) */
	int has_tmp;
	size_t tmp_row;
	const struct sp_batch *tmp_batch;
};

/* Compilation context. */
struct sp_expr_cx {
	const struct sp_expr_env *env;
	struct sp_err *err;
	int64_t now;		/* current_timestamp(): fixed when the expression is compiled */
};

static inline struct sp_type *prim(enum sp_type_id id)
{
	return sp_type_prim(id);
}

static inline int is_num(enum sp_type_id t)
{
	return t == SP_T_LONG || t == SP_T_DOUBLE;
}

static inline void sp_val_set_str(struct sp_val *v, const char *p, size_t n)
{
	v->t = SP_T_STRING;
	v->null = 0;
	v->u.s.p = p;
	v->u.s.len = n;
}

static inline void sp_val_set_null(struct sp_val *v, enum sp_type_id t)
{
	v->t = t;
	v->null = 1;
}

/* A node of kind k and type t (takes the reference). */
struct sp_expr *sp_expr_node(enum ekind k, struct sp_type *t);
/* Appends an operand (taken). */
void sp_expr_kid(struct sp_expr *e, struct sp_expr *kid);
/* A type for messages: "LONG", "ARRAY<STRING>", "STRUCT<a: LONG>" (new string). */
char *sp_expr_type_text(const struct sp_type *t);
char *sp_expr_arena_str(struct sp_arena *a, const char *s, size_t n);
struct sp_expr *sp_expr_compile_node(struct sp_expr_cx *c, const struct sp_ast *a, int top);
/* Fails compiling with a caret under a's start; returns NULL. */
struct sp_expr *sp_expr_cfail(struct sp_expr_cx *c, const struct sp_ast *a, const char *fmt, ...) SP_PRINTF(3, 4);
/* e cast to t (e is taken; a cast node is added only when the types differ). */
struct sp_expr *sp_expr_cast_to(struct sp_expr *e, struct sp_type *t);
/* The type two operand types meet at (Spark's implicit casts), or NULL; borrowed. */
struct sp_type *sp_expr_common(const struct sp_type *a, const struct sp_type *b, int comparing);
/* A non-NULL string literal: 1 and its text. */
int sp_expr_lit_string(const struct sp_expr *e, const char **s);
/* e as a BOOLEAN operand of what ("AND", "WHERE"); NULL with an error (e freed) when it is not one. */
struct sp_expr *sp_expr_want_bool(struct sp_expr_cx *c, const struct sp_ast *a, struct sp_expr *e, const char *what);
/* Compiles a Java regular expression as POSIX ERE (\\d, \\s, \\w translated); -1 if it is not valid. */
int sp_expr_regcomp(regex_t *re, const char *pat);
/*
 * regexec over s[from..n), offsets from s; m may be NULL when nm is 0.
 * s must have a NUL at s[n] (sanitizers read up to it): see sp_expr_cstr().
 */
int sp_expr_regexec(const regex_t *re, const char *s, size_t from, size_t n, size_t nm, regmatch_t *m, int flags);
/* s[0..n) with a NUL after it, in b (kept between rows). */
const char *sp_expr_cstr(struct sp_buf *b, const char *s, size_t n);
struct sp_expr *sp_expr_compile_call(struct sp_expr_cx *c, const struct sp_ast *a, int top);
/* Orders two non-NULL values of one type (Spark's ordering: NaN is largest). */
int sp_expr_cmp(const struct sp_val *x, const struct sp_val *y);
void sp_expr_ev(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a);
void sp_expr_ev_fn(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a);
/* Spark's name and the arguments Spark adds for a function, for column names ("round(x, 0)"). */
const char *sp_expr_fn_display(const char *name, size_t nargs, const char **extra);

/* ---- time patterns (expr-time.c) ---- */

struct sp_expr_tm {
	int64_t year;
	unsigned mon, day;
	int hour, min, sec, usec, wday;	/* wday: 0 Sunday */
	int yday;			/* 1-based */
};

void sp_expr_ts_split(int64_t us, struct sp_expr_tm *t);
/* Appends us formatted by a Java DateTimeFormatter pattern. */
void sp_expr_ts_format(struct sp_buf *b, int64_t us, const char *pat);
/* Parses s by such a pattern; -1 when it does not match. */
int sp_expr_ts_parse(const char *s, size_t len, const char *pat, int64_t *us);
/* Whether a pattern uses only the letters we know; the first unknown letter otherwise. */
int sp_expr_ts_pattern_ok(const char *pat, char *bad);

#endif
