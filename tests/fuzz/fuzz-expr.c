/*
 * fuzz-expr: any text as an expression over a fixed schema. What compiles
 * must evaluate on a row to a value of its declared type; what does not
 * must fail with a usage error that shows the expression and a caret. The
 * same text as a select list must parse or fail the same way, and every
 * item must have a name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "timefmt.h"

static struct sp_batch batch;

static void build(void)
{
	struct sp_type *t;
	struct sp_err err = SP_ERR_INIT;
	struct sp_col *c;

	if (sp_type_parse_ddl("s STRING, n LONG, d DOUBLE, b BOOLEAN, ts TIMESTAMP, dt DATE, arr ARRAY<LONG>, "
			      "st STRUCT<x: LONG, y: STRING>, nul LONG, tags ARRAY<STRING>", &t, &err) < 0)
		abort();
	sp_batch_init(&batch, t);
	sp_type_unref(t);
	c = batch.cols;
	sp_col_push_bytes(&c[0], "a,b c1", 6);
	sp_col_push_i64(&c[1], 7);
	sp_col_push_f64(&c[2], -2.5);
	sp_col_push_bool(&c[3], 1);
	sp_col_push_i64(&c[4], INT64_C(1714557600000000));
	sp_col_push_i64(&c[5], 19844);
	sp_col_push_i64(&c[6].child[0], 1);
	sp_col_push_null(&c[6].child[0]);
	sp_col_push_array(&c[6]);
	sp_col_push_i64(&c[7].child[0], 5);
	sp_col_push_bytes(&c[7].child[1], "{\"a\":1}", 7);
	sp_col_push_struct(&c[7]);
	sp_col_push_null(&c[8]);
	sp_col_push_null(&c[9]);
	sp_batch_row_done(&batch);
}

static void check_error(const struct sp_err *err, const char *text)
{
	if (!err->set || err->status != SP_EXIT_USAGE) {
		fprintf(stderr, "fuzz-expr: '%s' failed without a usage error\n", text);
		abort();
	}
	/* the message, the expression, and a caret */
	if (!strstr(err->msg, "\n    ") || err->msg[strlen(err->msg) - 1] != '^') {
		/* sp_err truncates long messages; only short ones must be whole */
		if (strlen(err->msg) < sizeof err->msg - 1) {
			fprintf(stderr, "fuzz-expr: '%s': no caret in '%s'\n", text, err->msg);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sp_expr_env env;
	struct sp_err err = SP_ERR_INIT;
	struct sp_arena arena = SP_ARENA_INIT;
	struct sp_expr *e;
	struct sp_ast *a, **items;
	char **aliases, *text;
	size_t n;

	if (!ready) {
		build();
		ready = 1;
	}
	if (memchr(data, '\0', size))
		return 0;
	text = sp_xstrndup((const char *)data, size);
	env = (struct sp_expr_env){ batch.schema, NULL, 0, 1 };
	if (sp_ast_parse(&a, text, &err) == 0) {
		char *name = sp_expr_default_name(a), *full = sp_expr_column_name(a, batch.schema);

		free(name);
		free(full);
		sp_ast_has_agg(a);
		if (sp_expr_compile(&e, a, &env, &err) == 0) {
			struct sp_val v;

			for (int round = 0; round < 2; round++) {
				sp_expr_eval(e, &batch, 0, &v, &arena);
				/* a generator evaluates to the array it walks */
				if (!v.null && v.t != sp_expr_type(e)->id && !sp_expr_generator(e, NULL)) {
					fprintf(stderr, "fuzz-expr: '%s' is %d, evaluated to %d\n", text,
						sp_expr_type(e)->id, v.t);
					abort();
				}
				sp_expr_true(e, &batch, 0, &arena);
				sp_arena_reset(&arena);
			}
			sp_expr_free(e);
		} else {
			check_error(&err, text);
		}
		sp_ast_free(a);
	} else {
		check_error(&err, text);
	}
	err = (struct sp_err)SP_ERR_INIT;
	if (sp_ast_parse_list(&items, &aliases, &n, text, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			char *name = sp_expr_default_name(items[i]);

			free(name);
			sp_ast_free(items[i]);
			free(aliases[i]);
		}
		free(items);
		free(aliases);
	} else {
		check_error(&err, text);
	}
	sp_arena_release(&arena);
	free(text);
	return 0;
}
