/*
 * window-bind.c: stream-window's expressions (see window.h): --time,
 * --session-gap-expr, --group-by and --agg are parsed once, compiled
 * against each input schema, and evaluated batch by batch into the columns
 * the aggregation (struct sp_wstate) consumes. A key or argument that is a
 * plain column is read as it is, with no evaluation per row.
 *
 * The output columns are Spark's: the window (or session_window) struct,
 * then the keys, then the aggregates, named by their aliases or as Spark
 * names them: "avg(temperature)", "count(1)" for count(*), "(a + b)".
 */
#include "window.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "hll.h"
#include "timefmt.h"

/* An expression of the options, and its compiled form for the bound schema. */
struct wexpr {
	struct sp_ast *ast;		/* owned, unless borrowed (an --agg argument) */
	int borrowed;
	char *text;			/* its text, for casts and messages */
	struct sp_expr *e;		/* compiled; NULL when col >= 0 */
	int col;			/* a top-level column read as it is, or -1 */
	enum sp_type_id type;
	struct sp_col out;		/* evaluated values */
	int has_out;
};

struct sp_window {
	struct sp_window_opts o;
	struct sp_wspec spec;
	struct sp_wstate *ws;
	struct sp_ast **key_asts, **agg_asts;
	char **key_aliases, **agg_aliases;
	size_t nkeys, naggs;
	struct wexpr time, gap, *keys, *args;
	int has_time, has_gap;
	struct sp_type *schema;		/* bound */
	struct sp_type *prim[SP_T_MAX + 1];
	struct sp_arena arena;
	uint8_t *late;
	size_t caplate;
	struct sp_col gapcol;		/* --session-gap-expr as microseconds */
	const struct sp_col **kcols, **acols;
};

/* ---- the parsed expressions ---- */

static int is_agg_call(const struct sp_ast *a, enum sp_agg_fn *fn)
{
	const char *name = sp_ast_call_name(a);

	return name && sp_agg_find(name, fn);
}

/* The name Spark gives an aggregate: the function as called, lowercase, "(", the argument's name, ")". */
static char *agg_name(const struct sp_ast *a, const char *called, int star)
{
	char *arg, *name;

	if (star)
		return sp_xasprintf("%s(1)", called);
	arg = sp_expr_default_name(sp_ast_call_arg(a, 0));
	name = sp_xasprintf("%s(%s)", called, arg);
	free(arg);
	return name;
}

static char *lower(const char *s)
{
	char *l = sp_xstrdup(s);

	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/* A constant argument (first(x, true), approx_count_distinct(x, 0.01)) as a value. */
static int const_arg(const struct sp_ast *a, const char *what, struct sp_val *v, struct sp_arena *ar,
		     struct sp_err *err)
{
	struct sp_type *empty = sp_type_new_struct();
	struct sp_expr_env env = { 0 };
	struct sp_expr *e = NULL;
	struct sp_batch b;
	int r = -1;

	env.schema = empty;
	sp_batch_init(&b, empty);
	b.n = 1;
	if (!sp_ast_is_constant(a)) {
		sp_err_usage(err, "%s must be a constant", what);
		goto done;
	}
	if (sp_expr_compile(&e, a, &env, err) < 0)
		goto done;
	sp_expr_eval(e, &b, 0, v, ar);
	r = 0;
done:
	sp_expr_free(e);
	sp_batch_release(&b);
	sp_type_unref(empty);
	return r;
}

static int parse_agg(struct sp_window *w, size_t i, struct sp_wagg_spec *s, struct sp_err *err)
{
	const struct sp_ast *a = w->agg_asts[i];
	char *text = sp_ast_text(a);
	const char *name = sp_ast_call_name(a);
	size_t nargs;
	int r = -1;

	memset(s, 0, sizeof *s);
	if (!is_agg_call(a, &s->fn)) {
		if (sp_ast_has_agg(a))
			sp_err_usage(err, "option '--agg': '%s': expressions over aggregates are not supported "
				     "(compute them downstream with stream-select)", text);
		else
			sp_err_usage(err, "option '--agg': '%s' is not an aggregate function call (count, sum, avg, "
				     "min, max, first, last, stddev, variance, approx_count_distinct, ...)", text);
		goto done;
	}
	if (sp_ast_call_distinct(a)) {
		sp_err_usage(err, "Distinct aggregations are not supported on streaming DataFrames/Datasets. "
			     "Consider using approx_count_distinct() instead.");
		goto done;
	}
	nargs = sp_ast_call_nargs(a);
	s->star = sp_ast_call_star(a);
	s->rsd = SP_AGG_DEFAULT_RSD;
	if (!s->star && (nargs < 1 || nargs > 2 || (nargs == 2 && s->fn != SP_AGG_FIRST && s->fn != SP_AGG_LAST &&
						     s->fn != SP_AGG_APPROX_DISTINCT))) {
		sp_err_usage(err, "option '--agg': '%s': %s takes %s", text, name,
			     s->fn == SP_AGG_FIRST || s->fn == SP_AGG_LAST ? "an expression and an optional "
			     "boolean (ignore NULLs)" : s->fn == SP_AGG_APPROX_DISTINCT ? "an expression and an "
			     "optional relative standard deviation" : "one argument");
		goto done;
	}
	if (s->star && s->fn != SP_AGG_COUNT) {
		sp_err_usage(err, "option '--agg': '%s': only count takes *", text);
		goto done;
	}
	if (nargs == 2) {
		struct sp_val v;
		char what[128];

		snprintf(what, sizeof what, "option '--agg': '%s': the second argument of %s", text, name);
		if (const_arg(sp_ast_call_arg(a, 1), what, &v, &w->arena, err) < 0)
			goto done;
		if (s->fn == SP_AGG_APPROX_DISTINCT) {
			if (v.null || (v.t != SP_T_DOUBLE && v.t != SP_T_LONG)) {
				sp_err_usage(err, "%s must be a number", what);
				goto done;
			}
			s->rsd = v.t == SP_T_DOUBLE ? v.u.d : (double)v.u.i;
			if (sp_hll_precision(s->rsd, err) < 0) {
				sp_err_prefix(err, "option '--agg': '%s'", text);
				goto done;
			}
		} else {
			if (v.null || v.t != SP_T_BOOLEAN) {
				sp_err_usage(err, "%s must be a boolean literal", what);
				goto done;
			}
			s->ignore_nulls = v.u.b;
		}
	}
	s->call = sp_xasprintf("option '--agg': '%s'", text);
	if (w->agg_aliases[i]) {
		s->name = sp_xstrdup(w->agg_aliases[i]);
	} else {
		char *called = lower(name);

		s->name = agg_name(a, called, s->star);
		free(called);
	}
	r = 0;
done:
	free(text);
	return r;
}

static void wexpr_release(struct wexpr *x)
{
	if (!x->borrowed)
		sp_ast_free(x->ast);
	free(x->text);
	sp_expr_free(x->e);
	if (x->has_out)
		sp_col_release(&x->out);
	memset(x, 0, sizeof *x);
}

/* Checks the combination of options, as Spark checks a query before it starts. */
static int check_opts(const struct sp_window_opts *o, struct sp_err *err)
{
	if ((o->size || o->gap || o->gap_expr) && !o->time)
		return sp_err_usage(err, "option '--%s' needs --time (the event-time column)",
				    o->size ? "window" : o->gap ? "session-gap" : "session-gap-expr");
	if (o->has_slide && !o->size)
		return sp_err_usage(err, "option '--slide' needs --window");
	if (o->has_offset && !o->size)
		return sp_err_usage(err, "option '--window-offset' needs --window");
	if (o->gap && o->gap_expr)
		return sp_err_usage(err, "options '--session-gap' and '--session-gap-expr' exclude each other");
	if (o->size && (o->gap || o->gap_expr))
		return sp_err_usage(err, "Multiple time/session window expressions would result in a cartesian "
				    "product of rows, therefore they are currently not supported");
	if (o->wmark == SP_WM_DELAY && !o->time)
		return sp_err_usage(err, "option '--watermark' needs --time (the event-time column it follows)");
	if (!o->agg && !o->group_by && !o->size && !o->gap && !o->gap_expr)
		return sp_err_usage(err, "nothing to aggregate: give --agg, with --group-by or a window");
	return 0;
}

/* Whether the expression is the plain column named by text (the --time column as a key). */
static int same_column(const struct sp_ast *a, const char *time)
{
	const char *c = sp_ast_column(a);
	struct sp_ast *t = NULL;
	struct sp_err err = SP_ERR_INIT;
	int same = 0;

	if (!c || sp_ast_parse(&t, time, &err) < 0)
		return 0;
	same = sp_ast_column(t) && !strcasecmp(sp_ast_column(t), c);
	sp_ast_free(t);
	return same;
}

int sp_window_new(struct sp_window **out, const struct sp_window_opts *o, struct sp_err *err)
{
	struct sp_window *w;
	struct sp_wspec *s;

	if (check_opts(o, err) < 0)
		return -1;
	w = sp_xcalloc(1, sizeof *w);
	w->o = *o;
	w->time.col = w->gap.col = -1;
	s = &w->spec;
	if (o->group_by && sp_ast_parse_list(&w->key_asts, &w->key_aliases, &w->nkeys, o->group_by, err) < 0) {
		sp_err_prefix(err, "option '--group-by'");
		goto fail;
	}
	if (o->agg && sp_ast_parse_list(&w->agg_asts, &w->agg_aliases, &w->naggs, o->agg, err) < 0) {
		sp_err_prefix(err, "option '--agg'");
		goto fail;
	}
	if (o->time && sp_ast_parse(&w->time.ast, o->time, err) < 0) {
		sp_err_prefix(err, "option '--time'");
		goto fail;
	}
	w->has_time = o->time != NULL;
	w->time.text = o->time ? sp_xstrdup(o->time) : NULL;
	if (o->gap_expr) {
		if (sp_ast_parse(&w->gap.ast, o->gap_expr, err) < 0) {
			sp_err_prefix(err, "option '--session-gap-expr'");
			goto fail;
		}
		w->gap.text = sp_xstrdup(o->gap_expr);
		w->has_gap = 1;
	}
	s->kind = o->size ? SP_WK_TIME : (o->gap || o->gap_expr) ? SP_WK_SESSION : SP_WK_NONE;
	s->size = o->size;
	s->slide = o->has_slide ? o->slide : o->size;
	s->offset = o->offset;
	s->gap = o->gap;
	s->wmark = o->wmark;
	s->delay = o->delay;
	s->mode = o->mode;
	s->keep_state = o->keep_state;
	s->nkeys = w->nkeys;
	s->key_names = sp_xcalloc(w->nkeys + 1, sizeof(char *));
	w->keys = sp_xcalloc(w->nkeys + 1, sizeof *w->keys);
	for (size_t k = 0; k < w->nkeys; k++) {
		w->keys[k].ast = w->key_asts[k];
		w->keys[k].borrowed = 1;
		w->keys[k].col = -1;
		w->keys[k].text = sp_ast_text(w->key_asts[k]);
		s->key_names[k] = w->key_aliases[k] ? sp_xstrdup(w->key_aliases[k]) : sp_expr_default_name(w->key_asts[k]);
		if (sp_ast_has_agg(w->key_asts[k])) {
			sp_err_usage(err, "option '--group-by': '%s': aggregate functions are not allowed in GROUP BY",
				     w->keys[k].text);
			goto fail;
		}
		/* grouping by the event time itself keeps a watermark on a key, as Spark's groupBy(eventTime) */
		if (s->kind == SP_WK_NONE && o->time && s->kind != SP_WK_TIMEKEY && same_column(w->key_asts[k], o->time)) {
			s->kind = SP_WK_TIMEKEY;
			s->timekey = (int)k;
		}
	}
	s->naggs = w->naggs;
	s->aggs = sp_xcalloc(w->naggs + 1, sizeof *s->aggs);
	w->args = sp_xcalloc(w->naggs + 1, sizeof *w->args);
	for (size_t j = 0; j < w->naggs; j++) {
		if (parse_agg(w, j, &s->aggs[j], err) < 0)
			goto fail;
		w->args[j].col = -1;
		if (!s->aggs[j].star) {
			w->args[j].ast = (struct sp_ast *)sp_ast_call_arg(w->agg_asts[j], 0);
			w->args[j].borrowed = 1;
			w->args[j].text = sp_ast_text(w->args[j].ast);
		}
	}
	if (sp_wstate_new(&w->ws, s, err) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	sp_window_free(w);
	return -1;
}

void sp_window_free(struct sp_window *w)
{
	if (!w)
		return;
	sp_wstate_free(w->ws);
	wexpr_release(&w->time);
	wexpr_release(&w->gap);
	for (size_t k = 0; k < w->nkeys; k++) {
		if (w->keys)
			wexpr_release(&w->keys[k]);
		sp_ast_free(w->key_asts[k]);
		free(w->key_aliases[k]);
		free(w->spec.key_names ? w->spec.key_names[k] : NULL);
	}
	for (size_t j = 0; j < w->naggs; j++) {
		if (w->args)
			wexpr_release(&w->args[j]);
		sp_ast_free(w->agg_asts[j]);
		free(w->agg_aliases[j]);
		if (w->spec.aggs) {
			free(w->spec.aggs[j].name);
			free(w->spec.aggs[j].call);
		}
	}
	free(w->key_asts);
	free(w->key_aliases);
	free(w->agg_asts);
	free(w->agg_aliases);
	free(w->keys);
	free(w->args);
	free(w->spec.key_names);
	free(w->spec.aggs);
	sp_type_unref(w->schema);
	sp_arena_release(&w->arena);
	free(w->late);
	if (w->gapcol.type)
		sp_col_release(&w->gapcol);
	free(w->kcols);
	free(w->acols);
	free(w);
}

struct sp_wstate *sp_window_state(struct sp_window *w)
{
	return w->ws;
}

/* ---- binding to a schema ---- */

#define TYPES(a, b, c) (1u << (a) | 1u << (b) | 1u << (c))

/* Compiles x, or CAST(x AS cast) when its type is one of the set from, noting a plain column. */
static int compile(struct wexpr *x, const struct sp_expr_env *env, const char *what, const char *cast,
		   unsigned from, struct sp_err *err)
{
	struct sp_expr *e = NULL;
	const struct sp_type *t;
	int col;

	sp_expr_free(x->e);
	x->e = NULL;
	if (x->has_out) {
		sp_col_release(&x->out);
		x->has_out = 0;
	}
	if (sp_expr_compile(&e, x->ast, env, err) < 0) {
		sp_err_prefix(err, "%s", what);
		return -1;
	}
	t = sp_expr_type(e);
	if (cast && (from >> t->id & 1)) {
		char *text = sp_xasprintf("CAST((%s) AS %s)", x->text, cast);

		sp_expr_free(e);
		e = NULL;
		if (sp_expr_compile_text(&e, text, env, err) < 0) {
			sp_err_prefix(err, "%s", what);
			free(text);
			return -1;
		}
		free(text);
		t = sp_expr_type(e);
	}
	x->type = t->id;
	col = sp_expr_column(e);
	if (col >= 0 && sp_type_equal(env->schema->fields[col].type, t)) {
		x->col = col;
		sp_expr_free(e);
		return 0;
	}
	x->col = -1;
	x->e = e;
	sp_col_init(&x->out, sp_expr_type(e));
	x->has_out = 1;
	return 0;
}

int sp_window_bind(struct sp_window *w, struct sp_type *schema, struct sp_err *err)
{
	struct sp_expr_env env = { 0 };
	const struct sp_type **kt = sp_xcalloc(w->nkeys + 1, sizeof *kt);
	enum sp_type_id *at = sp_xcalloc(w->naggs + 1, sizeof *at);
	int r = -1;

	env.schema = schema;
	if (w->has_time) {
		if (compile(&w->time, &env, "option '--time'", "TIMESTAMP", TYPES(SP_T_STRING, SP_T_DATE, SP_T_NULL),
			    err) < 0)
			goto done;
		if (w->time.type != SP_T_TIMESTAMP) {
			sp_err_usage(err, "option '--time': '%s' is %s, not a TIMESTAMP (convert it with "
				     "CAST(.. AS TIMESTAMP) or timestamp_seconds(..))", w->time.text,
				     sp_type_name(w->time.type));
			goto done;
		}
	}
	if (w->has_gap) {
		if (compile(&w->gap, &env, "option '--session-gap-expr'", "STRING", 1u << SP_T_NULL, err) < 0)
			goto done;
		if (w->gap.type != SP_T_STRING && w->gap.type != SP_T_LONG) {
			sp_err_usage(err, "option '--session-gap-expr': '%s' is %s: the gap must be a duration "
				     "('10 seconds') or microseconds (LONG)", w->gap.text, sp_type_name(w->gap.type));
			goto done;
		}
	}
	for (size_t k = 0; k < w->nkeys; k++) {
		char what[64];

		snprintf(what, sizeof what, "option '--group-by'");
		/* an untyped NULL key is a NULL STRING: a column needs a type */
		if (compile(&w->keys[k], &env, what, "STRING", 1u << SP_T_NULL, err) < 0)
			goto done;
		kt[k] = w->keys[k].col >= 0 ? schema->fields[w->keys[k].col].type : sp_expr_type(w->keys[k].e);
	}
	for (size_t j = 0; j < w->naggs; j++) {
		at[j] = SP_T_NULL;
		if (w->spec.aggs[j].star)
			continue;
		/* Spark casts strings to DOUBLE for sum, avg and the like; an untyped NULL gets a type */
		if (compile(&w->args[j], &env, "option '--agg'", sp_agg_numeric(w->spec.aggs[j].fn) ? "DOUBLE" : "STRING",
			    sp_agg_numeric(w->spec.aggs[j].fn) ? TYPES(SP_T_STRING, SP_T_NULL, SP_T_NULL) : 1u << SP_T_NULL,
			    err) < 0)
			goto done;
		at[j] = w->args[j].type;
	}
	if (sp_wstate_types(w->ws, kt, at, err) < 0)
		goto done;
	sp_type_unref(w->schema);
	w->schema = sp_type_ref(schema);
	free(w->kcols);
	free(w->acols);
	w->kcols = sp_xcalloc(w->nkeys + 1, sizeof *w->kcols);
	w->acols = sp_xcalloc(w->naggs + 1, sizeof *w->acols);
	r = 0;
done:
	free(kt);
	free(at);
	return r;
}

/* ---- batches ---- */

void sp_window_begin(struct sp_window *w, int64_t id)
{
	sp_wstate_begin(w->ws, id);
}

/* The values of x for every row of b: the column itself, or evaluated. */
static const struct sp_col *values(struct sp_window *w, struct wexpr *x, const struct sp_batch *b)
{
	struct sp_val v;

	if (x->col >= 0)
		return &b->cols[x->col];
	sp_col_reset(&x->out);
	for (size_t i = 0; i < b->n; i++) {
		sp_expr_eval(x->e, b, i, &v, &w->arena);
		if (v.null || v.t == SP_T_NULL)
			sp_col_push_null(&x->out);
		else
			sp_col_push_val(&x->out, &v);
		if ((i & 4095) == 4095)
			sp_arena_reset(&w->arena);
	}
	sp_arena_reset(&w->arena);
	return &x->out;
}

/* --session-gap-expr as microseconds: durations parsed as Spark casts strings to intervals. */
static const struct sp_col *gaps(struct sp_window *w, const struct sp_col *c)
{
	struct sp_err err = SP_ERR_INIT;

	if (c->type->id == SP_T_LONG)
		return c;
	if (!w->gapcol.type)
		sp_col_init(&w->gapcol, sp_type_prim(SP_T_LONG));
	sp_col_reset(&w->gapcol);
	for (size_t i = 0; i < c->n; i++) {
		size_t len;
		const char *s;
		char buf[128];
		int64_t us;

		if (sp_col_isnull(c, i)) {
			sp_col_push_null(&w->gapcol);
			continue;
		}
		s = sp_col_str(c, i, &len);
		if (len >= sizeof buf) {
			sp_col_push_null(&w->gapcol);
			continue;
		}
		memcpy(buf, s, len);
		buf[len] = '\0';
		err.set = 0;
		if (sp_duration_parse(buf, &us, "gap", &err) < 0)
			sp_col_push_null(&w->gapcol);
		else
			sp_col_push_i64(&w->gapcol, us);
	}
	return &w->gapcol;
}

int sp_window_rows(struct sp_window *w, const struct sp_batch *b, struct sp_batch *late, struct sp_err *err)
{
	struct sp_winput in = { b->n, NULL, NULL, w->kcols, w->acols };

	if (!w->schema)
		return sp_err_set(err, "rows before a schema");
	if (w->has_time)
		in.time = values(w, &w->time, b);
	if (w->has_gap)
		in.gap = gaps(w, values(w, &w->gap, b));
	for (size_t k = 0; k < w->nkeys; k++)
		w->kcols[k] = values(w, &w->keys[k], b);
	for (size_t j = 0; j < w->naggs; j++)
		w->acols[j] = w->spec.aggs[j].star ? NULL : values(w, &w->args[j], b);
	if (late) {
		sp_grow(&w->late, &w->caplate, b->n + 1, 1);
		if (sp_wstate_rows(w->ws, &in, w->late, err) < 0)
			return -1;
		for (size_t i = 0; i < b->n; i++)
			if (w->late[i]) {
				for (size_t c = 0; c < b->schema->nfields; c++)
					sp_col_push_from(&late->cols[c], &b->cols[c], i);
				sp_batch_row_done(late);
			}
		return 0;
	}
	return sp_wstate_rows(w->ws, &in, NULL, err);
}

int sp_window_end(struct sp_window *w, int64_t upstream, const struct sp_batch **out, struct sp_err *err)
{
	return sp_wstate_end(w->ws, upstream, out, err);
}

int sp_window_next(struct sp_window *w, const struct sp_batch **out)
{
	return sp_wstate_next(w->ws, out);
}

int sp_window_finish(struct sp_window *w, const struct sp_batch **out, struct sp_err *err)
{
	return sp_wstate_finish(w->ws, out, err);
}

void sp_window_save(const struct sp_window *w, struct sp_buf *out)
{
	sp_wstate_save(w->ws, out);
}

int sp_window_load(struct sp_window *w, const void *p, size_t n, struct sp_err *err)
{
	return sp_wstate_load(w->ws, p, n, err);
}
