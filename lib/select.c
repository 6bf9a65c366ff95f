/*
 * select.c: stream-select's steps (see select.h).
 *
 * A step's output batch holds, per column, either a column it computed
 * (owned) or a copy of the input's column header (shared: the data stays
 * the input's, and the header is only forgotten, never freed).
 */
#include "select.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expr.h"

struct step {
	enum sp_step_kind kind;
	char *text;
	/* bound */
	struct sp_type *in_schema;	/* one reference */
	struct sp_type *schema;		/* output (owned) */
	struct sp_expr **ex;		/* per output column; NULL: shared input column src[i] */
	int *src;
	size_t n;
	int gen;			/* index of the generator column, or -1 */
	int gen_outer;
	struct sp_expr *pred;		/* WHERE */
	struct sp_batch out;
	struct sp_col *owned;		/* computed columns, by output index */
	size_t *rows;			/* WHERE: selected input rows */
	size_t rows_cap;
	struct sp_val *vals;		/* generator: the other columns' values of a row */
	size_t vals_cap;
};

struct sp_select {
	struct step *steps;
	size_t nsteps;
	struct sp_type *out_schema;
	struct sp_arena arena;
};

struct sp_select *sp_select_new(void)
{
	return sp_xcalloc(1, sizeof(struct sp_select));
}

static int split_with(const char *text, char **name, const char **expr, struct sp_err *err);

int sp_select_add(struct sp_select *s, enum sp_step_kind kind, const char *text, struct sp_err *err)
{
	struct sp_ast *a = NULL, **items = NULL;
	char **aliases = NULL, *name = NULL;
	const char *expr;
	size_t n = 0;
	int r = 0;

	/* syntax errors show at once, before any input is read */
	switch (kind) {
	case SP_STEP_WHERE:
		r = sp_ast_parse(&a, text, err);
		break;
	case SP_STEP_WITH:
		if ((r = split_with(text, &name, &expr, err)) == 0)
			r = sp_ast_parse(&a, expr, err);
		break;
	case SP_STEP_SELECT:
		r = sp_ast_parse_list(&items, &aliases, &n, text, err);
		break;
	case SP_STEP_DROP:
		break;
	}
	sp_ast_free(a);
	free(name);
	for (size_t i = 0; i < n; i++) {
		sp_ast_free(items[i]);
		free(aliases[i]);
	}
	free(items);
	free(aliases);
	if (r < 0)
		return -1;
	s->steps = sp_xrealloc(s->steps, (s->nsteps + 1) * sizeof *s->steps);
	memset(&s->steps[s->nsteps], 0, sizeof s->steps[0]);
	s->steps[s->nsteps].kind = kind;
	s->steps[s->nsteps].text = sp_xstrdup(text);
	s->nsteps++;
	return 0;
}

static void step_unbind(struct step *st)
{
	for (size_t i = 0; i < st->n; i++) {
		sp_expr_free(st->ex[i]);
		if (st->owned && st->owned[i].type)
			sp_col_release(&st->owned[i]);
	}
	sp_expr_free(st->pred);
	free(st->ex);
	free(st->src);
	free(st->owned);
	free(st->out.cols);
	sp_type_unref(st->out.schema);
	sp_type_unref(st->schema);
	sp_type_unref(st->in_schema);
	st->in_schema = NULL;
	st->ex = NULL;
	st->src = NULL;
	st->owned = NULL;
	st->pred = NULL;
	st->n = 0;
	memset(&st->out, 0, sizeof st->out);
	st->schema = NULL;
}

void sp_select_free(struct sp_select *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nsteps; i++) {
		step_unbind(&s->steps[i]);
		free(s->steps[i].rows);
		free(s->steps[i].vals);
		free(s->steps[i].text);
	}
	free(s->steps);
	sp_arena_release(&s->arena);
	free(s);
}

struct sp_type *sp_select_schema(const struct sp_select *s)
{
	return s->out_schema;
}

/* Output column i: shared input column src, or computed by e (taken). */
static void add_col(struct step *st, const char *name, struct sp_expr *e, int src, unsigned flags)
{
	const struct sp_type *t = e ? sp_expr_type(e) : st->in_schema->fields[src].type;

	/* an untyped NULL (SELECT NULL AS x) makes a STRING column of NULLs */
	if (t->id == SP_T_NULL)
		t = sp_type_prim(SP_T_STRING);

	st->ex = sp_xrealloc(st->ex, (st->n + 1) * sizeof *st->ex);
	st->src = sp_xrealloc(st->src, (st->n + 1) * sizeof *st->src);
	st->ex[st->n] = e;
	st->src[st->n] = src;
	sp_type_add_field(st->schema, name, sp_type_ref((struct sp_type *)t), flags);
	st->n++;
}

static void add_input_col(struct step *st, int i)
{
	add_col(st, st->in_schema->fields[i].name, NULL, i, st->in_schema->fields[i].flags);
}

/* "name = expr" of --with: the name, and where the expression starts. */
static int split_with(const char *text, char **name, const char **expr, struct sp_err *err)
{
	const char *p = text, *start;

	while (isspace((unsigned char)*p))
		p++;
	start = p;
	if (*p == '`') {
		for (p++; *p && !(*p == '`' && p[1] != '`'); p += *p == '`' ? 2 : 1)
			;
		if (!*p)
			return sp_err_usage(err, "--with: unterminated `name` in '%s'", text);
		*name = sp_xstrndup(start + 1, (size_t)(p - start - 1));
		p++;
	} else {
		while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)
			p++;
		*name = sp_xstrndup(start, (size_t)(p - start));
	}
	while (isspace((unsigned char)*p))
		p++;
	if (!**name || *p != '=' || p[1] == '=') {
		free(*name);
		*name = NULL;
		return sp_err_usage(err, "--with wants 'name = expression', not '%s'", text);
	}
	*expr = p + 1;
	return 0;
}

/* Adds the columns "*" or "t.*" stands for; t is a struct column or a table qualifier. */
static int add_star(struct step *st, const struct sp_ast *a, const struct sp_expr_env *env, struct sp_err *err)
{
	char *t = sp_ast_text(a), *base;
	struct sp_expr *e = NULL;
	const struct sp_type *ty;
	int r = 0;

	if (!strcmp(t, "*")) {
		for (size_t k = 0; k < env->schema->nfields; k++)
			add_input_col(st, (int)k);
		free(t);
		return 0;
	}
	base = sp_xstrndup(t, strlen(t) - 2);
	for (size_t q = 0; q < env->nqualifiers; q++)
		if (!strcasecmp(base, env->qualifiers[q]) &&
		    sp_type_field_index(env->schema, base, strlen(base)) < 0) {
			for (size_t k = 0; k < env->schema->nfields; k++)
				add_input_col(st, (int)k);
			goto done;
		}
	if ((r = sp_expr_compile_text(&e, base, env, err)) < 0)
		goto done;
	ty = sp_expr_type(e);
	if (ty->id != SP_T_STRUCT) {
		char *tn = sp_type_ddl_new(ty);

		r = sp_err_usage(err, "'%s' needs a struct, and '%s' is %s", t, base, tn);
		free(tn);
		goto done;
	}
	for (size_t k = 0; k < ty->nfields && r == 0; k++) {
		char *fx = sp_xasprintf("(%s).`%s`", base, ty->fields[k].name);
		struct sp_expr *fe;

		r = sp_expr_compile_text(&fe, fx, env, err);
		if (r == 0)
			add_col(st, ty->fields[k].name, fe, -1, 0);
		free(fx);
	}
done:
	sp_expr_free(e);
	free(base);
	free(t);
	return r;
}

static int bind_select(struct step *st, const struct sp_expr_env *env, struct sp_err *err)
{
	struct sp_ast **items = NULL;
	char **aliases = NULL;
	size_t n = 0;
	int r = -1;

	if (sp_ast_parse_list(&items, &aliases, &n, st->text, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct sp_expr *e = NULL;
		char *name;
		int outer, c;

		if (sp_ast_is_star(items[i])) {
			if (add_star(st, items[i], env, err) < 0)
				goto done;
			continue;
		}
		if (sp_expr_compile(&e, items[i], env, err) < 0)
			goto done;
		name = aliases[i] ? sp_xstrdup(aliases[i]) : sp_expr_column_name(items[i], env->schema);
		if (sp_expr_generator(e, &outer)) {
			if (st->gen >= 0) {
				free(name);
				sp_expr_free(e);
				sp_err_usage(err, "only one generator (explode) is allowed per --select, as in Spark");
				goto done;
			}
			st->gen = (int)st->n;
			st->gen_outer = outer;
		}
		if ((c = sp_expr_column(e)) >= 0) {
			/* a bare column is shared, not evaluated */
			sp_expr_free(e);
			add_col(st, name, NULL, c, env->schema->fields[c].flags);
		} else {
			add_col(st, name, e, -1, 0);
		}
		free(name);
	}
	r = 0;
done:
	for (size_t i = 0; i < n; i++) {
		sp_ast_free(items[i]);
		free(aliases[i]);
	}
	free(items);
	free(aliases);
	return r;
}

static int bind_step(struct step *st, struct sp_type *in, struct sp_err *err)
{
	struct sp_expr_env env = { in, NULL, 0, st->kind == SP_STEP_SELECT };
	int r = 0;

	step_unbind(st);
	st->in_schema = sp_type_ref(in);
	st->schema = sp_type_new_struct();
	st->gen = -1;
	switch (st->kind) {
	case SP_STEP_WHERE:
		if (sp_expr_compile_text(&st->pred, st->text, &env, err) < 0)
			return -1;
		if (sp_expr_type(st->pred)->id != SP_T_BOOLEAN) {
			char *t = sp_type_ddl_new(sp_expr_type(st->pred));

			sp_err_usage(err, "--where needs a BOOLEAN condition, and '%s' is %s", st->text, t);
			free(t);
			return -1;
		}
		for (size_t k = 0; k < in->nfields; k++)
			add_input_col(st, (int)k);
		break;
	case SP_STEP_SELECT:
		r = bind_select(st, &env, err);
		break;
	case SP_STEP_WITH: {
		char *name = NULL;
		const char *expr = NULL;
		struct sp_expr *e;
		int at;

		if (split_with(st->text, &name, &expr, err) < 0)
			return -1;
		if (sp_expr_compile_text(&e, expr, &env, err) < 0) {
			free(name);
			return -1;
		}
		at = sp_type_field_index(in, name, strlen(name));
		for (size_t k = 0; k < in->nfields; k++) {
			if ((int)k == at)
				add_col(st, name, e, -1, 0);
			else
				add_input_col(st, (int)k);
		}
		if (at < 0)
			add_col(st, name, e, -1, 0);
		free(name);
		break;
	}
	case SP_STEP_DROP: {
		char *list = sp_xstrdup(st->text), *tok, *save = NULL;
		char *drop = sp_xcalloc(in->nfields + 1, 1);

		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int i;

			while (isspace((unsigned char)*tok))
				tok++;
			for (size_t l = strlen(tok); l && isspace((unsigned char)tok[l - 1]); l--)
				tok[l - 1] = '\0';
			if (*tok == '`' && strlen(tok) > 1 && tok[strlen(tok) - 1] == '`') {
				tok[strlen(tok) - 1] = '\0';
				tok++;
			}
			/* Spark's drop ignores names that are not there */
			if ((i = sp_type_field_index(in, tok, strlen(tok))) >= 0)
				drop[i] = 1;
		}
		for (size_t k = 0; k < in->nfields; k++)
			if (!drop[k])
				add_input_col(st, (int)k);
		free(drop);
		free(list);
		break;
	}
	}
	if (r < 0)
		return -1;
	st->out.schema = sp_type_ref(st->schema);
	st->out.cols = sp_xcalloc(st->n ? st->n : 1, sizeof *st->out.cols);
	st->owned = sp_xcalloc(st->n ? st->n : 1, sizeof *st->owned);
	for (size_t i = 0; i < st->n; i++)
		if (st->ex[i] || st->kind == SP_STEP_WHERE || st->gen >= 0)
			sp_col_init(&st->owned[i], st->schema->fields[i].type);
	return 0;
}

int sp_select_bind(struct sp_select *s, struct sp_type *schema, struct sp_err *err)
{
	struct sp_type *cur = schema;

	s->out_schema = NULL;
	for (size_t i = 0; i < s->nsteps; i++) {
		if (bind_step(&s->steps[i], cur, err) < 0)
			return -1;
		cur = s->steps[i].schema;
	}
	s->out_schema = cur;
	return 0;
}

/*
 * Appends rows[0..k) of src to dst (an owned column of the same type):
 * fixed-size and string columns in tight loops, others row by row.
 */
static void gather(struct sp_col *dst, const struct sp_col *src, const size_t *rows, size_t k)
{
	switch (src->type->id) {
	case SP_T_LONG: case SP_T_TIMESTAMP: case SP_T_DATE: case SP_T_DOUBLE: case SP_T_BOOLEAN:
		if (src->valid)
			break;
		/* no NULLs to carry: the values' bits move as they are */
		for (size_t i = 0; i < k; i++) {
			if (src->type->id == SP_T_BOOLEAN)
				sp_col_push_bool(dst, sp_col_bool(src, rows[i]));
			else
				sp_col_push_i64(dst, sp_col_i64(src, rows[i]));
		}
		return;
	case SP_T_STRING: case SP_T_BINARY:
		if (src->valid)
			break;
		for (size_t i = 0; i < k; i++) {
			size_t len;
			const char *p = sp_col_str(src, rows[i], &len);

			sp_col_push_bytes(dst, p, len);
		}
		return;
	default:
		break;
	}
	for (size_t i = 0; i < k; i++)
		sp_col_push_from(dst, src, rows[i]);
}

static size_t *rows_room(struct step *st, size_t n)
{
	sp_grow(&st->rows, &st->rows_cap, n ? n : 1, sizeof *st->rows);
	return st->rows;
}

static int apply_step(struct step *st, const struct sp_batch *in, const struct sp_batch **out, struct sp_arena *a)
{
	struct sp_batch *o = &st->out;
	size_t n = in->n, kept = 0;
	struct sp_val v;

	if (st->kind == SP_STEP_WHERE) {
		size_t *rows = rows_room(st, n);

		for (size_t r = 0; r < n; r++)
			rows[r] = r;
		kept = sp_expr_select(st->pred, in, rows, n, a);
		if (kept == n) {
			*out = in;
			return 0;
		}
		for (size_t i = 0; i < st->n; i++) {
			struct sp_col *c = &st->owned[i];

			sp_col_reset(c);
			gather(c, &in->cols[i], rows, kept);
			o->cols[i] = *c;
		}
		o->n = kept;
		*out = o;
		return 0;
	}
	if (st->gen >= 0) {
		/* explode: one output row per element; the other columns, computed once per input row, repeat */
		struct sp_expr *g = st->ex[st->gen];
		struct sp_col *gc = &st->owned[st->gen];

		sp_grow(&st->vals, &st->vals_cap, st->n, sizeof *st->vals);
		for (size_t i = 0; i < st->n; i++)
			sp_col_reset(&st->owned[i]);
		for (size_t r = 0; r < n; r++) {
			size_t times;

			sp_expr_eval(g, in, r, &v, a);
			times = v.null ? 0 : v.u.arr.len;
			if (!times && !st->gen_outer)
				continue;
			for (size_t i = 0; i < st->n; i++)
				if ((int)i != st->gen && st->ex[i])
					sp_expr_eval(st->ex[i], in, r, &st->vals[i], a);
			for (size_t k = 0; k < (times ? times : 1); k++) {
				if (times)
					sp_col_push_from(gc, v.u.arr.elems, v.u.arr.start + k);
				else
					sp_col_push_null(gc);
				for (size_t i = 0; i < st->n; i++) {
					if ((int)i == st->gen)
						continue;
					if (st->ex[i])
						sp_col_push_val(&st->owned[i], &st->vals[i]);
					else
						sp_col_push_from(&st->owned[i], &in->cols[st->src[i]], r);
				}
				kept++;
			}
		}
		for (size_t i = 0; i < st->n; i++)
			o->cols[i] = st->owned[i];
		o->n = kept;
		*out = o;
		return 0;
	}
	for (size_t i = 0; i < st->n; i++) {
		if (!st->ex[i]) {
			o->cols[i] = in->cols[st->src[i]];
			continue;
		}
		sp_col_reset(&st->owned[i]);
		for (size_t r = 0; r < n; r++) {
			sp_expr_eval(st->ex[i], in, r, &v, a);
			sp_col_push_val(&st->owned[i], &v);
		}
		o->cols[i] = st->owned[i];
	}
	o->n = n;
	*out = o;
	return 0;
}

int sp_select_apply(struct sp_select *s, const struct sp_batch *in, const struct sp_batch **out, struct sp_err *err)
{
	const struct sp_batch *cur = in;

	(void)err;
	sp_arena_reset(&s->arena);
	for (size_t i = 0; i < s->nsteps; i++)
		if (apply_step(&s->steps[i], cur, &cur, &s->arena) < 0)
			return -1;
	*out = cur;
	return 0;
}
