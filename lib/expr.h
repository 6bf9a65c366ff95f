/*
 * expr.h: the SQL expression language (see stream-expr(7)).
 *
 * Text is parsed once into an AST (sp_ast_parse), which other tools may
 * inspect (stream-window looks for aggregate calls in it), then compiled
 * against a schema into a typed tree (sp_expr_compile), with Spark's
 * implicit casts inserted, and evaluated per row without allocating:
 * strings a function builds come from the arena the caller passes, reset
 * once per batch. NULL follows SQL's three-valued logic.
 *
 * Errors are usage errors (exit status 2) whose message shows the
 * expression with a caret under the place:
 *
 *   syntax error at column 18: expected ')' before end of expression
 *       amount > (1 + tax
 *                        ^
 *
 * Ownership: an AST owns its nodes and a copy of the text; a compiled
 * expression keeps no pointer into the AST or the schema. Values from
 * sp_expr_eval are borrowed from the batch, the expression or the arena:
 * strings live until the arena is reset; structs and arrays an expression
 * builds (struct(), split(), from_json(), ...) live until the expression
 * is evaluated on another batch or on a row not after the last one, so
 * rows must be evaluated in increasing order to keep earlier values.
 */
#ifndef SP_EXPR_H
#define SP_EXPR_H

#include "value.h"

struct sp_ast;
struct sp_expr;

/* Parses one expression. */
int sp_ast_parse(struct sp_ast **a, const char *text, struct sp_err *err);
/*
 * Parses "e1 [AS] a1, e2, ..." into *n new ASTs and aliases (NULL where
 * none; new strings). Free each with sp_ast_free/free, then the arrays.
 */
int sp_ast_parse_list(struct sp_ast ***items, char ***aliases, size_t *n, const char *text, struct sp_err *err);
void sp_ast_free(struct sp_ast *a);

/* Inspection. A call's name is lower case; the others return NULL/0 when a is not such a node. */
const char *sp_ast_call_name(const struct sp_ast *a);
size_t sp_ast_call_nargs(const struct sp_ast *a);
const struct sp_ast *sp_ast_call_arg(const struct sp_ast *a, size_t i);
int sp_ast_call_star(const struct sp_ast *a);		/* count(*) */
int sp_ast_call_distinct(const struct sp_ast *a);	/* count(DISTINCT x) */
int sp_ast_has_agg(const struct sp_ast *a);		/* an aggregate call anywhere inside */
int sp_ast_is_constant(const struct sp_ast *a);		/* no column anywhere inside */
const char *sp_ast_column(const struct sp_ast *a);	/* a bare column: its name */
int sp_ast_is_star(const struct sp_ast *a);		/* "*" or "t.*" */
/* The AST's own text (new string), and Spark's name for an unaliased column: "(a + 1)", "upper(name)". */
char *sp_ast_text(const struct sp_ast *a);
char *sp_expr_default_name(const struct sp_ast *a);
/* The same, knowing the input's columns: their own spelling, struct(*) listed. New string. */
char *sp_expr_column_name(const struct sp_ast *a, const struct sp_type *schema);
/* Whether name is an aggregate function (count, sum, avg, ...). */
int sp_is_aggregate(const char *name);

struct sp_expr_env {
	const struct sp_type *schema;	/* the input's columns (NULL: none) */
	const char *const *qualifiers;	/* table names accepted before a column ("clicks.ad_id") */
	size_t nqualifiers;
	int allow_generator;		/* explode() may appear at the top */
};

int sp_expr_compile(struct sp_expr **e, const struct sp_ast *a, const struct sp_expr_env *env, struct sp_err *err);
int sp_expr_compile_text(struct sp_expr **e, const char *text, const struct sp_expr_env *env, struct sp_err *err);
/* The result type (borrowed from e). */
const struct sp_type *sp_expr_type(const struct sp_expr *e);
/* A bare column: its index in the schema; -1 otherwise. */
int sp_expr_column(const struct sp_expr *e);
/* A generator (explode, explode_outer): 1 and whether it is outer. */
int sp_expr_generator(const struct sp_expr *e, int *outer);
/* Evaluates row `row` of b. */
void sp_expr_eval(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *scratch);
/* WHERE: 1 only when the value is TRUE (NULL and FALSE drop the row). */
int sp_expr_true(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_arena *scratch);
/*
 * WHERE over many rows: rows[0..n) are row numbers of b, in increasing
 * order; those for which e is TRUE are kept, in place and in order, and
 * their count returned. Faster than sp_expr_true() row by row: simple
 * comparisons of a column with a literal run as tight loops.
 */
size_t sp_expr_select(struct sp_expr *e, const struct sp_batch *b, size_t *rows, size_t n, struct sp_arena *scratch);
void sp_expr_free(struct sp_expr *e);

/* Casts v to type t (Spark's non-ANSI CAST: what does not convert is NULL); strings go in the arena. */
void sp_val_cast(struct sp_val *v, const struct sp_type *t, struct sp_arena *scratch);

#endif
