/*
 * join.c: the hash joins of stream-join (see join.h).
 *
 * The condition is split at its top-level ANDs. An equality between an
 * expression of the left side only and one of the right side only is a
 * key; when every conjunct is a key, the keys decide alone, otherwise the
 * whole condition is evaluated on each pair of rows with equal keys, over
 * a batch whose columns are the two sides as structs named after them
 * (so that "left.id" is a field) and the columns only one side has.
 *
 * State eviction follows StreamingJoinHelper: a conjunct such as
 *
 *   clickTime <= impressionTime + INTERVAL 1 HOUR
 *
 * read as "impressionTime - clickTime + 1h >= 0" bounds impressionTime
 * from below by clickTime - 1h; future clicks are later than the
 * watermark, so impressions with impressionTime <= watermark - 1h can no
 * longer match. Spark computes that bound in milliseconds and takes 1 ms
 * off it for a non-strict inequality; rows with time <= bound go:
 *
 *   conjunct (S state side, O other side)    state watermark of S
 *   S > O + c                                wm + c
 *   S >= O + c                               wm + c - 1 ms
 *   O < S - c, S BETWEEN O + c AND ...       likewise, after moving terms
 *
 * With a key whose value is a watermarked time (left.t = right.t), both
 * sides drop rows whose key is <= the watermark instead.
 */
#include "join.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "expr-int.h"
#include "frame.h"
#include "watermark.h"

#define NONE UINT32_MAX
/* Input rows probed at a time (bounds the pairs held at once). */
#define CHUNK 4096
/* Value watermark conjuncts kept per side. */
#define MAX_BOUNDS 16

int sp_join_type_parse(const char *s)
{
	static const struct {
		const char *name;
		enum sp_join_type t;
	} names[] = {
		{ "inner", SP_JOIN_INNER }, { "left", SP_JOIN_LEFT_OUTER }, { "leftouter", SP_JOIN_LEFT_OUTER },
		{ "left_outer", SP_JOIN_LEFT_OUTER }, { "right", SP_JOIN_RIGHT_OUTER },
		{ "rightouter", SP_JOIN_RIGHT_OUTER }, { "right_outer", SP_JOIN_RIGHT_OUTER },
		{ "full", SP_JOIN_FULL_OUTER }, { "fullouter", SP_JOIN_FULL_OUTER }, { "full_outer", SP_JOIN_FULL_OUTER },
		{ "outer", SP_JOIN_FULL_OUTER }, { "leftsemi", SP_JOIN_LEFT_SEMI }, { "left_semi", SP_JOIN_LEFT_SEMI },
		{ "semi", SP_JOIN_LEFT_SEMI },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcasecmp(s, names[i].name))
			return (int)names[i].t;
	return -1;
}

const char *sp_join_type_name(enum sp_join_type t)
{
	static const char *const names[] = { "Inner", "LeftOuter", "RightOuter", "FullOuter", "LeftSemi" };

	return names[t];
}

/* One stored row. */
struct srow {
	uint64_t seq;		/* identity in the state store, increasing */
	uint64_t hash;
	uint32_t koff, klen;	/* key bytes in side.keys */
	uint32_t next;		/* next row with the same key */
	int64_t evt;		/* the time eviction looks at (INT64_MAX: none) */
	uint8_t matched, dead, haskey, dirty;
};

struct slot {
	uint64_t hash;
	uint32_t head, tail;	/* NONE: empty slot */
};

struct bound {
	int64_t c;		/* us */
	int nonstrict;
};

struct side {
	struct sp_type *schema;
	const char *name;
	struct sp_batch store;
	struct srow *rows;
	size_t nrows, rowcap;
	size_t live, ndead;
	uint64_t next_seq;
	struct sp_buf keys;
	struct slot *tab;
	size_t tabcap, tabn;
	struct sp_expr **kexpr;
	struct sp_col *kcol;	/* key values of the rows being probed or stored, common type */
	struct sp_buf kb;	/* their encoded keys */
	uint32_t *koff;		/* per row: offset in kb; NONE: a NULL in the key */
	size_t koffcap;
	int wm_col;		/* the watermarked event-time column, -1 */
	struct sp_wm wm;
	int key_wm;		/* evict by the key at j->key_ord */
	struct bound bounds[MAX_BOUNDS];
	size_t nbounds;
	int outer;		/* unmatched rows come out with NULLs when evicted */
	/* changes since the last report, with a checkpoint */
	uint64_t *dirty, *gone;
	size_t ndirty, dirtycap, ngone, gonecap;
};

/* Where an output column comes from. */
struct outcol {
	int side;		/* 0, 1, or 2: a USING key (left's, else right's) */
	int col, rcol;
};

struct sp_join {
	struct sp_join_opts o;
	struct sp_ast *cond;		/* NULL with USING */
	char **using;
	size_t nusing;
	struct side s[2];
	size_t nkeys;
	struct sp_type **ktypes;	/* common type per key (references) */
	int key_ord;			/* key with a watermarked time, -1 */
	struct sp_type *both;		/* the schema the residual condition sees */
	struct sp_expr *resid;		/* NULL: the keys decide */
	int both_flat[2][1024];		/* per side column: its flat column in both, -1 */
	struct sp_batch pairs;
	size_t *sel;
	size_t selcap;
	uint32_t *pl, *pr;		/* candidate pairs: input row, stored row */
	size_t npairs, paircap;
	struct sp_type *out_schema;
	struct outcol *outcols;
	size_t nout;
	struct sp_batch out;
	struct sp_arena arena;
	int64_t wm;			/* global watermark */
	int track;
	int bound;
	int restore_bad;
	struct sp_join_stats st;
};

/* ---- values to bytes (keys and stored rows) ---- */

static void enc(struct sp_buf *b, const struct sp_col *c, size_t i)
{
	size_t len;
	const char *s;
	double d;
	uint64_t u;

	if (sp_col_isnull(c, i)) {
		sp_buf_addc(b, 0);
		return;
	}
	sp_buf_addc(b, 1);
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		sp_buf_addc(b, (char)sp_col_bool(c, i));
		break;
	case SP_T_DOUBLE:
		d = sp_col_f64(c, i);
		if (d == 0)
			d = 0.0;
		if (d != d)
			u = UINT64_C(0x7ff8000000000000);
		else
			memcpy(&u, &d, 8);
		sp_buf_put64(b, u);
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		s = sp_col_str(c, i, &len);
		sp_buf_put32(b, (uint32_t)len);
		sp_buf_add(b, s, len);
		break;
	case SP_T_STRUCT:
		for (size_t f = 0; f < c->nchild; f++)
			enc(b, &c->child[f], i);
		break;
	case SP_T_ARRAY:
		sp_buf_put32(b, c->off[i + 1] - c->off[i]);
		for (uint32_t e = c->off[i]; e < c->off[i + 1]; e++)
			enc(b, &c->child[0], e);
		break;
	default:
		sp_buf_put64(b, (uint64_t)sp_col_i64(c, i));
		break;
	}
}

/* Appends the value at *pp to c; -1 when the bytes run out before end. */
static int dec(const struct sp_type *t, const unsigned char **pp, const unsigned char *end, struct sp_col *c)
{
	const unsigned char *p = *pp;
	uint64_t u;
	uint32_t n;
	double d;

	if (p >= end)
		return -1;
	if (!*p++) {
		*pp = p;
		sp_col_push_null(c);
		return 0;
	}
	switch (t->id) {
	case SP_T_BOOLEAN:
		if (p + 1 > end)
			return -1;
		sp_col_push_bool(c, *p++);
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		if (p + 4 > end || (size_t)(end - p - 4) < sp_get32(p))
			return -1;
		sp_col_push_bytes(c, p + 4, sp_get32(p));
		p += 4 + sp_get32(p);
		break;
	case SP_T_STRUCT:
		for (size_t f = 0; f < t->nfields; f++)
			if (dec(t->fields[f].type, &p, end, &c->child[f]) < 0)
				return -1;
		sp_col_push_struct(c);
		break;
	case SP_T_ARRAY:
		if (p + 4 > end)
			return -1;
		n = sp_get32(p);
		p += 4;
		for (uint32_t e = 0; e < n; e++)
			if (dec(t->elem, &p, end, &c->child[0]) < 0)
				return -1;
		sp_col_push_array(c);
		break;
	case SP_T_DOUBLE:
		if (p + 8 > end)
			return -1;
		u = sp_get64(p);
		memcpy(&d, &u, 8);
		sp_col_push_f64(c, d);
		p += 8;
		break;
	default:
		if (p + 8 > end)
			return -1;
		sp_col_push_i64(c, (int64_t)sp_get64(p));
		p += 8;
		break;
	}
	*pp = p;
	return 0;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * UINT64_C(0x100000001b3);
	return h ^ (h >> 29);
}

/* ---- the condition ---- */

static int side_named(const struct sp_join *j, const char *name)
{
	static const char *const dflt[2] = { "left", "right" };

	for (int s = 0; s < 2; s++)
		if (!strcasecmp(j->o.names[s], name))
			return s;
	for (int s = 0; s < 2; s++)
		if (!strcasecmp(dflt[s], name))
			return s;
	return -1;
}

/* A column reference: its side and column, or -1 (not a column), -2 (an error in err). */
static int col_side(const struct sp_join *j, const struct sp_ast *a, int *col, struct sp_err *err)
{
	int s, l, r;

	if (a->k == A_FIELD && a->kids[0]->k == A_COL && (s = side_named(j, a->kids[0]->name)) >= 0 &&
	    sp_type_field_index(j->s[s].schema, a->kids[0]->name, strlen(a->kids[0]->name)) < 0) {
		*col = sp_type_field_index(j->s[s].schema, a->name, strlen(a->name));
		if (*col < 0) {
			sp_expr_fail(err, a->text, a->start, "no column '%s' on the %s side", a->name, j->o.names[s]);
			return -2;
		}
		return s;
	}
	if (a->k != A_COL)
		return -1;
	l = sp_type_field_index(j->s[0].schema, a->name, strlen(a->name));
	r = sp_type_field_index(j->s[1].schema, a->name, strlen(a->name));
	if (l >= 0 && r >= 0) {
		sp_expr_fail(err, a->text, a->start, "column '%s' is ambiguous: both sides have it (write %s.%s or %s.%s)",
			     a->name, j->o.names[0], a->name, j->o.names[1], a->name);
		return -2;
	}
	*col = l >= 0 ? l : r;
	return l >= 0 ? 0 : r >= 0 ? 1 : -1;
}

/* The sides an expression reads (bit 0 left, bit 1 right); -1 on an error. */
static int refs(const struct sp_join *j, const struct sp_ast *a, struct sp_err *err)
{
	int col, s = col_side(j, a, &col, err), m = 0, k;

	if (s == -2)
		return -1;
	if (s >= 0)
		return 1 << s;
	for (size_t i = 0; i < a->nkids; i++) {
		if ((k = refs(j, a->kids[i], err)) < 0)
			return -1;
		m |= k;
	}
	return m;
}

/* Conjuncts of a (top-level ANDs), into list. */
static void conjuncts(const struct sp_ast *a, const struct sp_ast **list, size_t *n, size_t max)
{
	if (a->k == A_BINARY && a->op == OP_AND) {
		conjuncts(a->kids[0], list, n, max);
		conjuncts(a->kids[1], list, n, max);
	} else if (*n < max) {
		list[(*n)++] = a;
	}
}

/* A time expression as a sum of columns and a constant. */
struct lin {
	int side[8], col[8], coef[8];
	size_t n;
	int64_t c;
};

static int linearize(const struct sp_join *j, const struct sp_ast *a, int sign, struct lin *l)
{
	struct sp_err e = SP_ERR_INIT;
	int col, s = col_side(j, a, &col, &e);

	if (s >= 0) {
		for (size_t i = 0; i < l->n; i++)
			if (l->side[i] == s && l->col[i] == col) {
				l->coef[i] += sign;
				return 0;
			}
		if (l->n == 8)
			return -1;
		l->side[l->n] = s;
		l->col[l->n] = col;
		l->coef[l->n++] = sign;
		return 0;
	}
	if (s == -2)
		return -1;
	if (a->k == A_INTERVAL) {
		l->c += sign * a->lit.u.i;
		return 0;
	}
	if (a->k == A_BINARY && (a->op == '+' || a->op == '-'))
		return linearize(j, a->kids[0], sign, l) < 0 ? -1 :
		       linearize(j, a->kids[1], a->op == '-' ? -sign : sign, l);
	return -1;
}

/* diff (> 0, or >= 0 when nonstrict) as a bound on side st's watermarked time: 1 and *b. */
static int bound_of(const struct sp_join *j, const struct lin *d, int st, int nonstrict, struct bound *b)
{
	int ot = 1 - st, cs = 0, co = 0;

	if (j->s[st].wm_col < 0 || j->s[ot].wm_col < 0)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		if (!d->coef[i])
			continue;
		if (d->side[i] == st && d->col[i] == j->s[st].wm_col)
			cs = d->coef[i];
		else if (d->side[i] == ot && d->col[i] == j->s[ot].wm_col)
			co = d->coef[i];
		else
			return 0;
	}
	/* S - O + c > 0: S > O - c, and O > wm, so rows with S <= wm - c cannot match any more */
	if (cs != 1 || co != -1)
		return 0;
	b->c = -d->c;
	b->nonstrict = nonstrict;
	return 1;
}

/* Adds the bounds a comparison gives both sides. */
static void range_conjunct(struct sp_join *j, const struct sp_ast *a)
{
	const struct sp_ast *lo, *hi;
	struct lin d;
	int nonstrict;

	if (a->k == A_BETWEEN && !a->neg && a->nkids == 3) {
		struct sp_ast ge = *a, le = *a;
		struct sp_ast *k1[2] = { a->kids[0], a->kids[1] }, *k2[2] = { a->kids[0], a->kids[2] };

		ge.k = le.k = A_BINARY;
		ge.op = OP_GE;
		le.op = OP_LE;
		ge.kids = k1;
		le.kids = k2;
		ge.nkids = le.nkids = 2;
		range_conjunct(j, &ge);
		range_conjunct(j, &le);
		return;
	}
	if (a->k != A_BINARY || a->nkids != 2)
		return;
	switch (a->op) {
	case OP_LT:
	case OP_LE:
		lo = a->kids[0];
		hi = a->kids[1];
		break;
	case OP_GT:
	case OP_GE:
		lo = a->kids[1];
		hi = a->kids[0];
		break;
	default:
		return;
	}
	nonstrict = a->op == OP_LE || a->op == OP_GE;
	memset(&d, 0, sizeof d);
	if (linearize(j, hi, 1, &d) < 0 || linearize(j, lo, -1, &d) < 0)
		return;
	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		if (sd->nbounds < MAX_BOUNDS && bound_of(j, &d, s, nonstrict, &sd->bounds[sd->nbounds]))
			sd->nbounds++;
	}
}

/* The state watermark of side s (us), or SP_NO_WATERMARK when its rows stay. */
static int64_t state_wm(const struct sp_join *j, int s)
{
	const struct side *sd = &j->s[s];
	int64_t best = SP_NO_WATERMARK, wm_ms, v;

	if (j->wm == SP_NO_WATERMARK || !j->o.streaming)
		return SP_NO_WATERMARK;
	if (sd->key_wm)
		return j->wm;
	wm_ms = j->wm / 1000;
	for (size_t i = 0; i < sd->nbounds; i++) {
		v = wm_ms + sd->bounds[i].c / 1000 - sd->bounds[i].nonstrict;
		if (best == SP_NO_WATERMARK || v * 1000 < best)
			best = v * 1000;
	}
	return best;
}

static int can_evict(const struct sp_join *j, int s)
{
	return j->s[s].key_wm || j->s[s].nbounds;
}

/* ---- setting up ---- */

int sp_join_new(struct sp_join **jp, const struct sp_join_opts *o, struct sp_err *err)
{
	struct sp_join *j = sp_xcalloc(1, sizeof *j);
	struct sp_ast **items = NULL;
	char **aliases = NULL;
	size_t n = 0, bare = 0;
	int r = 0;

	j->o = *o;
	j->key_ord = -1;
	j->wm = SP_NO_WATERMARK;
	for (int s = 0; s < 2; s++) {
		j->s[s].name = o->names[s];
		j->s[s].wm_col = -1;
		sp_wm_init(&j->s[s].wm, o->wm_col[s] ? SP_WM_DELAY : SP_WM_NONE, o->wm_delay[s]);
	}
	if (o->streaming && (o->wm_col[0] || o->wm_col[1]))
		j->wm = 0;
	/* a list of bare column names is USING; anything else a condition */
	if (sp_ast_parse_list(&items, &aliases, &n, o->on, err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!aliases[i] && items[i]->k == A_COL)
				bare++;
		if (bare == n) {
			j->using = sp_xcalloc(n, sizeof *j->using);
			for (size_t i = 0; i < n; i++)
				j->using[i] = sp_xstrdup(items[i]->name);
			j->nusing = n;
		}
		for (size_t i = 0; i < n; i++) {
			sp_ast_free(items[i]);
			free(aliases[i]);
		}
		free(items);
		free(aliases);
	} else {
		memset(err, 0, sizeof *err);
	}
	if (!j->nusing)
		r = sp_ast_parse(&j->cond, o->on, err);
	if (r < 0) {
		sp_err_prefix(err, "option '--on'");
		sp_join_free(j);
		return -1;
	}
	*jp = j;
	return 0;
}

static void side_release(struct side *sd)
{
	sp_batch_release(&sd->store);
	free(sd->rows);
	sp_buf_release(&sd->keys);
	free(sd->tab);
	for (size_t k = 0; sd->kexpr && sd->kexpr[k]; k++) {
		sp_expr_free(sd->kexpr[k]);
		sp_col_release(&sd->kcol[k]);
	}
	free(sd->kexpr);
	free(sd->kcol);
	sp_buf_release(&sd->kb);
	free(sd->koff);
	free(sd->dirty);
	free(sd->gone);
	sp_type_unref(sd->schema);
}

void sp_join_free(struct sp_join *j)
{
	if (!j)
		return;
	for (int s = 0; s < 2; s++)
		side_release(&j->s[s]);
	sp_ast_free(j->cond);
	for (size_t i = 0; i < j->nusing; i++)
		free(j->using[i]);
	free(j->using);
	for (size_t k = 0; k < j->nkeys; k++)
		sp_type_unref(j->ktypes[k]);
	free(j->ktypes);
	sp_expr_free(j->resid);
	sp_type_unref(j->both);
	if (j->both)
		sp_batch_release(&j->pairs);
	free(j->sel);
	free(j->pl);
	free(j->pr);
	if (j->out_schema)
		sp_batch_release(&j->out);
	sp_type_unref(j->out_schema);
	free(j->outcols);
	sp_arena_release(&j->arena);
	free(j);
}

/* A key pair: compiles each side's expression and their common type. */
static int add_key(struct sp_join *j, const struct sp_ast *ka[2], struct sp_err *err)
{
	struct sp_expr *e[2] = { NULL, NULL };
	struct sp_type *t;
	size_t k = j->nkeys;

	for (int s = 0; s < 2; s++) {
		const char *q[2] = { j->o.names[s], s ? "right" : "left" };
		struct sp_expr_env env = { j->s[s].schema, q, 2, 0 };

		if (sp_expr_compile(&e[s], ka[s], &env, err) < 0) {
			sp_expr_free(e[0]);
			return -1;
		}
	}
	t = sp_expr_common(sp_expr_type(e[0]), sp_expr_type(e[1]), 1);
	if (!t) {
		char *a = sp_expr_type_text(sp_expr_type(e[0])), *b = sp_expr_type_text(sp_expr_type(e[1]));

		sp_err_usage(err, "option '--on': cannot compare %s with %s in a join key", a, b);
		free(a);
		free(b);
		sp_expr_free(e[0]);
		sp_expr_free(e[1]);
		return -1;
	}
	j->ktypes = sp_xrealloc(j->ktypes, (k + 1) * sizeof *j->ktypes);
	j->ktypes[k] = sp_type_ref(t);
	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		sd->kexpr = sp_xrealloc(sd->kexpr, (k + 2) * sizeof *sd->kexpr);
		sd->kexpr[k] = e[s];
		sd->kexpr[k + 1] = NULL;
		sd->kcol = sp_xrealloc(sd->kcol, (k + 1) * sizeof *sd->kcol);
		sp_col_init(&sd->kcol[k], j->ktypes[k]);
		/* a watermarked time as a key: both sides forget keys under the watermark */
		if (j->key_ord < 0 && sd->wm_col >= 0 && sp_expr_column(e[s]) == sd->wm_col && t->id == SP_T_TIMESTAMP)
			j->key_ord = (int)k;
	}
	j->nkeys++;
	return 0;
}

/* The schema of the residual condition: each side as a struct, then the columns only one side has. */
static void make_both(struct sp_join *j)
{
	struct sp_type *b = sp_type_new_struct();

	for (int s = 0; s < 2; s++)
		sp_type_add_field(b, j->o.names[s], sp_type_ref(j->s[s].schema), 0);
	for (int s = 0; s < 2; s++) {
		const struct sp_type *t = j->s[s].schema, *o = j->s[1 - s].schema;

		for (size_t f = 0; f < t->nfields && f < 1024; f++) {
			const char *n = t->fields[f].name;

			j->both_flat[s][f] = -1;
			if (sp_type_field_index(o, n, strlen(n)) >= 0 || side_named(j, n) >= 0)
				continue;
			j->both_flat[s][f] = (int)b->nfields;
			sp_type_add_field(b, n, sp_type_ref(t->fields[f].type), 0);
		}
	}
	j->both = b;
	sp_batch_init(&j->pairs, b);
}

static void out_add(struct sp_join *j, struct sp_type *t, int side, int col, int rcol)
{
	const struct sp_field *f = &j->s[side == 1 ? 1 : 0].schema->fields[col];

	j->outcols = sp_xrealloc(j->outcols, (j->nout + 1) * sizeof *j->outcols);
	j->outcols[j->nout].side = side;
	j->outcols[j->nout].col = col;
	j->outcols[j->nout].rcol = rcol;
	j->nout++;
	sp_type_add_field(t, f->name, sp_type_ref(f->type), 0);
}

static int is_using(const struct sp_join *j, int s, size_t col)
{
	for (size_t i = 0; i < j->nusing; i++)
		if (sp_type_field_index(j->s[s].schema, j->using[i], strlen(j->using[i])) == (int)col)
			return 1;
	return 0;
}

static void make_output(struct sp_join *j)
{
	struct sp_type *t = sp_type_new_struct();
	int semi = j->o.type == SP_JOIN_LEFT_SEMI;

	for (size_t i = 0; i < j->nusing && !semi; i++) {
		int l = sp_type_field_index(j->s[0].schema, j->using[i], strlen(j->using[i]));
		int r = sp_type_field_index(j->s[1].schema, j->using[i], strlen(j->using[i]));

		out_add(j, t, j->o.type == SP_JOIN_RIGHT_OUTER ? 1 : j->o.type == SP_JOIN_FULL_OUTER ? 2 : 0,
			j->o.type == SP_JOIN_RIGHT_OUTER ? r : l, r);
	}
	for (int s = 0; s < (semi ? 1 : 2); s++)
		for (size_t f = 0; f < j->s[s].schema->nfields; f++)
			if (semi || !is_using(j, s, f))
				out_add(j, t, s, (int)f, -1);
	j->out_schema = t;
	sp_batch_init(&j->out, t);
}

static int refuse(struct sp_join *j, struct sp_err *err)
{
	enum sp_join_type t = j->o.type;
	int need[2] = { t == SP_JOIN_LEFT_OUTER || t == SP_JOIN_FULL_OUTER || t == SP_JOIN_LEFT_SEMI,
			t == SP_JOIN_RIGHT_OUTER || t == SP_JOIN_FULL_OUTER };

	if (!j->o.streaming)
		return 0;
	if (!j->nkeys)
		return sp_err_usage(err, "Stream-stream join without equality predicate is not supported");
	for (int s = 0; s < 2; s++)
		if (need[s] && j->key_ord < 0 && !j->s[s].nbounds)
			return sp_err_usage(err, "Stream-stream %s join between two streaming DataFrame/Datasets is not "
					    "supported without a watermark in the join keys, or a watermark on the nullable "
					    "side and an appropriate range condition", sp_join_type_name(t));
	return 0;
}

int sp_join_bind(struct sp_join *j, struct sp_type *left, struct sp_type *right, struct sp_err *err)
{
	const struct sp_ast *cj[256];
	size_t n = 0;
	int keyonly = 1;

	j->s[0].schema = sp_type_ref(left);
	j->s[1].schema = sp_type_ref(right);
	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		sp_batch_init(&sd->store, sd->schema);
		if (j->o.wm_col[s]) {
			sd->wm_col = sp_type_field_index(sd->schema, j->o.wm_col[s], strlen(j->o.wm_col[s]));
			if (sd->wm_col < 0)
				return sp_err_usage(err, "option '--watermark': no column '%s' on the %s side",
						    j->o.wm_col[s], j->o.names[s]);
			if (sd->schema->fields[sd->wm_col].type->id != SP_T_TIMESTAMP)
				return sp_err_usage(err, "option '--watermark': column '%s' of the %s side is %s, not TIMESTAMP",
						    j->o.wm_col[s], j->o.names[s],
						    sp_type_name(sd->schema->fields[sd->wm_col].type->id));
		}
	}
	if (j->nusing) {
		for (size_t i = 0; i < j->nusing; i++) {
			struct sp_ast *ka[2] = { NULL, NULL };
			int r = 0;

			for (int s = 0; s < 2 && r == 0; s++) {
				if (sp_type_field_index(j->s[s].schema, j->using[i], strlen(j->using[i])) < 0)
					r = sp_err_usage(err, "option '--on': USING column '%s' is not a column of the %s side",
							 j->using[i], j->o.names[s]);
				else
					r = sp_ast_parse(&ka[s], j->using[i], err);
			}
			if (r == 0)
				r = add_key(j, (const struct sp_ast **)ka, err);
			sp_ast_free(ka[0]);
			sp_ast_free(ka[1]);
			if (r < 0)
				return -1;
		}
	} else {
		conjuncts(j->cond, cj, &n, sizeof cj / sizeof cj[0]);
		for (size_t i = 0; i < n; i++) {
			const struct sp_ast *a = cj[i];
			int ml, mr;

			if (a->k == A_BINARY && a->op == OP_EQ) {
				if ((ml = refs(j, a->kids[0], err)) < 0 || (mr = refs(j, a->kids[1], err)) < 0)
					return -1;
				if ((ml == 1 && mr == 2) || (ml == 2 && mr == 1)) {
					const struct sp_ast *ka[2] = { ml == 1 ? a->kids[0] : a->kids[1],
								       ml == 1 ? a->kids[1] : a->kids[0] };

					if (add_key(j, ka, err) < 0)
						return -1;
					continue;
				}
			} else if (refs(j, a, err) < 0) {
				return -1;
			}
			keyonly = 0;
			range_conjunct(j, a);
		}
		make_both(j);
		if (!keyonly) {
			struct sp_expr_env env = { j->both, NULL, 0, 0 };

			if (sp_expr_compile(&j->resid, j->cond, &env, err) < 0) {
				sp_err_prefix(err, "option '--on'");
				return -1;
			}
			if (sp_expr_type(j->resid)->id != SP_T_BOOLEAN && sp_expr_type(j->resid)->id != SP_T_NULL)
				return sp_err_usage(err, "option '--on': the join condition is %s, not BOOLEAN",
						    sp_type_name(sp_expr_type(j->resid)->id));
		}
	}
	if (j->key_ord >= 0)
		j->s[0].key_wm = j->s[1].key_wm = 1;
	j->s[0].outer = j->o.type == SP_JOIN_LEFT_OUTER || j->o.type == SP_JOIN_FULL_OUTER;
	j->s[1].outer = j->o.type == SP_JOIN_RIGHT_OUTER || j->o.type == SP_JOIN_FULL_OUTER;
	if (refuse(j, err) < 0)
		return -1;
	make_output(j);
	j->bound = 1;
	return 0;
}

struct sp_type *sp_join_schema(const struct sp_join *j)
{
	return j->out_schema;
}

struct sp_type *sp_join_left(const struct sp_join *j)
{
	return j->s[0].schema;
}

/* ---- the state of one side ---- */

static int key_eq(const struct side *sd, const struct srow *r, const void *k, size_t n)
{
	return r->klen == n && !memcmp(sd->keys.p + r->koff, k, n);
}

static void tab_grow(struct side *sd);

static void tab_insert(struct side *sd, uint32_t ri)
{
	struct srow *r = &sd->rows[ri];
	size_t mask, i;

	if ((sd->tabn + 1) * 2 > sd->tabcap) {
		/* the index is rebuilt from every row, this one included */
		tab_grow(sd);
		return;
	}
	mask = sd->tabcap - 1;
	for (i = r->hash & mask;; i = (i + 1) & mask) {
		struct slot *sl = &sd->tab[i];

		if (sl->head == NONE) {
			sl->hash = r->hash;
			sl->head = sl->tail = ri;
			sd->tabn++;
			return;
		}
		if (sl->hash == r->hash && key_eq(sd, &sd->rows[sl->head], sd->keys.p + r->koff, r->klen)) {
			sd->rows[sl->tail].next = ri;
			sl->tail = ri;
			return;
		}
	}
}

static void tab_clear(struct side *sd, size_t cap)
{
	free(sd->tab);
	sd->tabcap = cap;
	sd->tabn = 0;
	sd->tab = sp_xmalloc(cap * sizeof *sd->tab);
	for (size_t i = 0; i < cap; i++)
		sd->tab[i].head = NONE;
}

/* Rebuilds the index from the rows, in row order (so chains stay in sequence order). */
static void reindex(struct side *sd, size_t cap)
{
	while (cap < 16 || cap < sd->nrows * 2)
		cap = cap < 16 ? 16 : cap * 2;
	tab_clear(sd, cap);
	for (size_t i = 0; i < sd->nrows; i++) {
		sd->rows[i].next = NONE;
		if (sd->rows[i].haskey && !sd->rows[i].dead)
			tab_insert(sd, (uint32_t)i);
	}
}

static void tab_grow(struct side *sd)
{
	reindex(sd, sd->tabcap ? sd->tabcap * 2 : 16);
}

static uint32_t tab_find(const struct side *sd, uint64_t h, const void *k, size_t n)
{
	size_t mask = sd->tabcap - 1;

	if (!sd->tabcap)
		return NONE;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct slot *sl = &sd->tab[i];

		if (sl->head == NONE)
			return NONE;
		if (sl->hash == h && key_eq(sd, &sd->rows[sl->head], k, n))
			return sl->head;
	}
}

static void mark_dirty(struct sp_join *j, struct side *sd, struct srow *r)
{
	if (!j->track || r->dirty)
		return;
	r->dirty = 1;
	sp_grow(&sd->dirty, &sd->dirtycap, sd->ndirty + 1, sizeof *sd->dirty);
	sd->dirty[sd->ndirty++] = r->seq;
}

/* Evaluates the keys of rows [r0, r1) of b into sd->kcol/kb/koff. */
static void eval_keys(struct sp_join *j, struct side *sd, const struct sp_batch *b, size_t r0, size_t r1)
{
	struct sp_val v;

	sp_buf_reset(&sd->kb);
	sp_grow(&sd->koff, &sd->koffcap, r1 - r0 + 1, sizeof *sd->koff);
	for (size_t k = 0; k < j->nkeys; k++) {
		sp_col_reset(&sd->kcol[k]);
		for (size_t r = r0; r < r1; r++) {
			sp_expr_eval(sd->kexpr[k], b, r, &v, &j->arena);
			if (!v.null && v.t != j->ktypes[k]->id)
				sp_val_cast(&v, j->ktypes[k], &j->arena);
			sp_col_push_val(&sd->kcol[k], &v);
		}
	}
	for (size_t r = r0; r < r1; r++) {
		size_t i = r - r0, start = sd->kb.len;
		int null = 0;

		for (size_t k = 0; k < j->nkeys; k++) {
			null |= sp_col_isnull(&sd->kcol[k], i);
			enc(&sd->kb, &sd->kcol[k], i);
		}
		sd->koff[i] = null ? NONE : (uint32_t)start;
	}
	sd->koff[r1 - r0] = (uint32_t)sd->kb.len;
	sp_arena_reset(&j->arena);
}

/* Key bytes of probed row i (after eval_keys): length, or -1 when the key has a NULL. */
static ssize_t key_of(const struct side *sd, size_t i, size_t n, const char **p)
{
	size_t end;

	if (sd->koff[i] == NONE)
		return -1;
	end = sd->kb.len;
	for (size_t x = i + 1; x <= n; x++)
		if (sd->koff[x] != NONE) {
			end = sd->koff[x];
			break;
		}
	*p = sd->kb.p + sd->koff[i];
	return (ssize_t)(end - sd->koff[i]);
}

/* Stores row r of b (probed as row i of the chunk) with its key. */
static struct srow *store(struct sp_join *j, struct side *sd, const struct sp_batch *b, size_t r, size_t i,
			  size_t n, int64_t evt, int matched)
{
	struct srow *row;
	const char *k = NULL;
	ssize_t kl = key_of(sd, i, n, &k);

	for (size_t c = 0; c < sd->store.schema->nfields; c++)
		sp_col_push_from(&sd->store.cols[c], &b->cols[c], r);
	sp_batch_row_done(&sd->store);
	sp_grow(&sd->rows, &sd->rowcap, sd->nrows + 1, sizeof *sd->rows);
	row = &sd->rows[sd->nrows];
	memset(row, 0, sizeof *row);
	row->seq = sd->next_seq++;
	row->next = NONE;
	row->evt = evt;
	row->matched = (uint8_t)matched;
	row->koff = (uint32_t)sd->keys.len;
	if (kl >= 0) {
		row->haskey = 1;
		row->klen = (uint32_t)kl;
		row->hash = hash_bytes(k, (size_t)kl);
		sp_buf_add(&sd->keys, k, (size_t)kl);
	}
	sd->nrows++;
	sd->live++;
	if (row->haskey)
		tab_insert(sd, (uint32_t)(sd->nrows - 1));
	j->st.rows_updated++;
	mark_dirty(j, sd, &sd->rows[sd->nrows - 1]);
	return &sd->rows[sd->nrows - 1];
}

/* Keeps the live rows only (their order kept), and rebuilds the index. */
static void compact(struct side *sd)
{
	struct sp_batch nb;
	struct sp_buf nk = { 0 };
	size_t n = 0;

	sp_batch_init(&nb, sd->schema);
	for (size_t i = 0; i < sd->nrows; i++) {
		struct srow r = sd->rows[i];

		if (r.dead)
			continue;
		for (size_t c = 0; c < nb.schema->nfields; c++)
			sp_col_push_from(&nb.cols[c], &sd->store.cols[c], i);
		sp_batch_row_done(&nb);
		sp_buf_add(&nk, sd->keys.p + r.koff, r.klen);
		r.koff = (uint32_t)(nk.len - r.klen);
		sd->rows[n++] = r;
	}
	sp_batch_release(&sd->store);
	sd->store = nb;
	sp_buf_release(&sd->keys);
	sd->keys = nk;
	sd->nrows = n;
	sd->ndead = 0;
	reindex(sd, 16);
}

/* ---- output ---- */

static void emit(struct sp_join *j, const struct sp_batch *lb, size_t li, const struct sp_batch *rb, size_t ri)
{
	for (size_t c = 0; c < j->nout; c++) {
		const struct outcol *oc = &j->outcols[c];
		struct sp_col *d = &j->out.cols[c];

		if (oc->side == 0 || (oc->side == 2 && lb))
			lb ? sp_col_push_from(d, &lb->cols[oc->col], li) : sp_col_push_null(d);
		else if (oc->side == 1)
			rb ? sp_col_push_from(d, &rb->cols[oc->col], ri) : sp_col_push_null(d);
		else
			rb ? sp_col_push_from(d, &rb->cols[oc->rcol], ri) : sp_col_push_null(d);
	}
	sp_batch_row_done(&j->out);
}

static void emit_side(struct sp_join *j, int s, const struct sp_batch *b, size_t r)
{
	if (s == 0)
		emit(j, b, r, NULL, 0);
	else
		emit(j, NULL, 0, b, r);
}

/* ---- probing ---- */

static void pair_push(struct sp_join *j, uint32_t in, uint32_t stored)
{
	if (j->npairs == j->paircap) {
		j->paircap = j->paircap ? j->paircap * 2 : 1024;
		j->pl = sp_xrealloc(j->pl, j->paircap * sizeof *j->pl);
		j->pr = sp_xrealloc(j->pr, j->paircap * sizeof *j->pr);
	}
	j->pl[j->npairs] = in;
	j->pr[j->npairs++] = stored;
}

/* Pushes the row of side s into the residual's batch. */
static void pairs_side(struct sp_join *j, int s, const struct sp_batch *b, size_t r)
{
	struct sp_col *sc = &j->pairs.cols[s];

	for (size_t c = 0; c < b->schema->nfields; c++) {
		sp_col_push_from(&sc->child[c], &b->cols[c], r);
		if (c < 1024 && j->both_flat[s][c] >= 0)
			sp_col_push_from(&j->pairs.cols[j->both_flat[s][c]], &b->cols[c], r);
	}
	sp_col_push_struct(sc);
}

/* Keeps the pairs for which the residual condition is TRUE. */
static void filter_pairs(struct sp_join *j, int s, const struct sp_batch *in)
{
	const struct sp_batch *ob = &j->s[1 - s].store;
	size_t n;

	if (!j->resid || !j->npairs)
		return;
	sp_batch_reset(&j->pairs);
	for (size_t p = 0; p < j->npairs; p++) {
		if (s == 0) {
			pairs_side(j, 0, in, j->pl[p]);
			pairs_side(j, 1, ob, j->pr[p]);
		} else {
			pairs_side(j, 0, ob, j->pr[p]);
			pairs_side(j, 1, in, j->pl[p]);
		}
		sp_batch_row_done(&j->pairs);
	}
	sp_grow(&j->sel, &j->selcap, j->npairs, sizeof *j->sel);
	for (size_t p = 0; p < j->npairs; p++)
		j->sel[p] = p;
	n = sp_expr_select(j->resid, &j->pairs, j->sel, j->npairs, &j->arena);
	sp_arena_reset(&j->arena);
	for (size_t p = 0; p < n; p++) {
		j->pl[p] = j->pl[j->sel[p]];
		j->pr[p] = j->pr[j->sel[p]];
	}
	j->npairs = n;
}

static int64_t evt_of(const struct sp_join *j, const struct side *sd, const struct sp_batch *b, size_t r, size_t i)
{
	if (sd->key_wm) {
		const struct sp_col *c = &sd->kcol[j->key_ord];

		return sp_col_isnull(c, i) ? INT64_MAX : sp_col_i64(c, i);
	}
	if (sd->nbounds && sd->wm_col >= 0 && !sp_col_isnull(&b->cols[sd->wm_col], r))
		return sp_col_i64(&b->cols[sd->wm_col], r);
	return INT64_MAX;
}

static void probe(struct sp_join *j, int s, const struct sp_batch *b, size_t r0, size_t r1, const uint8_t *late)
{
	struct side *sd = &j->s[s], *od = &j->s[1 - s];
	int semi = j->o.type == SP_JOIN_LEFT_SEMI, streaming = j->o.streaming;
	int64_t swm = state_wm(j, s);
	size_t n = r1 - r0, p = 0;

	eval_keys(j, sd, b, r0, r1);
	j->npairs = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k;
		ssize_t kl;

		if (late[i] || (kl = key_of(sd, i, n, &k)) < 0)
			continue;
		for (uint32_t x = tab_find(od, hash_bytes(k, (size_t)kl), k, (size_t)kl); x != NONE;
		     x = od->rows[x].next)
			if (!od->rows[x].dead)
				pair_push(j, (uint32_t)(r0 + i), x);
	}
	filter_pairs(j, s, b);
	for (size_t i = 0; i < n; i++) {
		size_t r = r0 + i;
		int matched = 0;

		if (late[i])
			continue;
		for (; p < j->npairs && j->pl[p] == r; p++) {
			struct srow *x = &od->rows[j->pr[p]];

			matched = 1;
			if (semi && s == 1) {
				if (!x->matched)
					emit_side(j, 0, &od->store, j->pr[p]);
			} else if (!semi) {
				if (s == 0)
					emit(j, b, r, &od->store, j->pr[p]);
				else
					emit(j, &od->store, j->pr[p], b, r);
			}
			if (!x->matched) {
				x->matched = 1;
				mark_dirty(j, od, x);
			}
		}
		if (semi && s == 0 && matched)
			emit_side(j, 0, b, r);
		if (streaming) {
			int64_t evt = evt_of(j, sd, b, r, i);

			if (swm != SP_NO_WATERMARK && can_evict(j, s) && evt <= swm) {
				/* already under the state watermark: never stored */
				if (sd->outer && !matched)
					emit_side(j, s, b, r);
			} else if (!(semi && s == 0 && matched)) {
				store(j, sd, b, r, i, n, evt, matched);
			}
		} else if (sd->outer && !matched) {
			emit_side(j, s, b, r);
		}
	}
}

int sp_join_rows(struct sp_join *j, int s, const struct sp_batch *b, struct sp_err *err)
{
	struct side *sd = &j->s[s];
	uint8_t late[CHUNK];

	(void)err;
	if (sd->wm_col >= 0)
		sp_wm_see_col(&sd->wm, &b->cols[sd->wm_col], b->n);
	for (size_t r0 = 0; r0 < b->n; r0 += CHUNK) {
		size_t r1 = r0 + CHUNK < b->n ? r0 + CHUNK : b->n;

		for (size_t r = r0; r < r1; r++) {
			const struct sp_col *c = sd->wm_col >= 0 ? &b->cols[sd->wm_col] : NULL;

			late[r - r0] = j->o.streaming && c && j->wm != SP_NO_WATERMARK && !sp_col_isnull(c, r) &&
				       sp_col_i64(c, r) <= j->wm;
			j->st.late += late[r - r0];
		}
		probe(j, s, b, r0, r1, late);
	}
	return 0;
}

/* ---- the static side ---- */

void sp_join_static_clear(struct sp_join *j)
{
	struct side *sd = &j->s[1];

	sp_batch_reset(&sd->store);
	sd->nrows = sd->live = sd->ndead = 0;
	sp_buf_reset(&sd->keys);
	reindex(sd, 16);
}

void sp_join_static_add(struct sp_join *j, const struct sp_batch *b)
{
	struct side *sd = &j->s[1];

	for (size_t r0 = 0; r0 < b->n; r0 += CHUNK) {
		size_t r1 = r0 + CHUNK < b->n ? r0 + CHUNK : b->n;

		eval_keys(j, sd, b, r0, r1);
		for (size_t r = r0; r < r1; r++)
			store(j, sd, b, r, r - r0, r1 - r0, INT64_MAX, 0);
	}
	j->st.rows_updated = 0;
}

size_t sp_join_static_rows(const struct sp_join *j)
{
	return j->s[1].live;
}

/* ---- batches ---- */

void sp_join_begin(struct sp_join *j)
{
	j->st.rows_updated = j->st.rows_removed = j->st.late = 0;
	for (int s = 0; s < 2; s++)
		sp_wm_begin(&j->s[s].wm);
}

void sp_join_side_end(struct sp_join *j, int s, int64_t upstream)
{
	/* taken with the batch's own rows when the join batch ends */
	if (upstream != SP_NO_WATERMARK)
		sp_wm_advance(&j->s[s].wm, upstream);
}

static void evict(struct sp_join *j, int s)
{
	struct side *sd = &j->s[s];
	int64_t swm = state_wm(j, s);

	if (swm == SP_NO_WATERMARK || !can_evict(j, s))
		return;
	for (size_t i = 0; i < sd->nrows; i++) {
		struct srow *r = &sd->rows[i];

		if (r->dead || r->evt > swm)
			continue;
		if (sd->outer && !r->matched)
			emit_side(j, s, &sd->store, i);
		r->dead = 1;
		sd->live--;
		sd->ndead++;
		j->st.rows_removed++;
		if (j->track) {
			sp_grow(&sd->gone, &sd->gonecap, sd->ngone + 1, sizeof *sd->gone);
			sd->gone[sd->ngone++] = r->seq;
		}
	}
	if (sd->ndead > 1024 && sd->ndead > sd->live)
		compact(sd);
}

void sp_join_end(struct sp_join *j, int *moved)
{
	int64_t before = j->wm, wm = SP_NO_WATERMARK;

	for (int s = 0; s < 2; s++)
		evict(j, s);
	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		if (sd->wm.kind == SP_WM_NONE)
			continue;
		sp_wm_advance(&sd->wm, SP_NO_WATERMARK);
		if (wm == SP_NO_WATERMARK || sp_wm_current(&sd->wm) < wm)
			wm = sp_wm_current(&sd->wm);
	}
	if (j->o.streaming && wm != SP_NO_WATERMARK && (j->wm == SP_NO_WATERMARK || wm > j->wm))
		j->wm = wm;
	*moved = j->wm != before;
}

int64_t sp_join_watermark(const struct sp_join *j)
{
	return j->wm;
}

int sp_join_evictable(const struct sp_join *j)
{
	return (j->s[0].live && can_evict(j, 0)) || (j->s[1].live && can_evict(j, 1));
}

struct sp_batch *sp_join_output(struct sp_join *j)
{
	return &j->out;
}

void sp_join_output_reset(struct sp_join *j)
{
	sp_batch_reset(&j->out);
}

void sp_join_track(struct sp_join *j, int on)
{
	j->track = on;
}

void sp_join_stats(const struct sp_join *j, struct sp_join_stats *st)
{
	*st = j->st;
	st->rows_total = j->s[0].live + j->s[1].live;
	st->bytes = 0;
	for (int s = 0; s < 2; s++) {
		const struct side *sd = &j->s[s];

		if (!sd->schema)
			continue;
		for (size_t c = 0; c < sd->schema->nfields; c++)
			st->bytes += sp_col_bytes(&sd->store.cols[c]);
		st->bytes += sd->rowcap * sizeof *sd->rows + sd->keys.cap + sd->tabcap * sizeof *sd->tab;
	}
}

/* ---- the checkpoint: one entry per stored row, one for the watermarks ---- */

static void row_value(const struct side *sd, size_t i, struct sp_buf *b)
{
	sp_buf_addc(b, (char)sd->rows[i].matched);
	sp_buf_put64(b, (uint64_t)sd->rows[i].evt);
	for (size_t c = 0; c < sd->schema->nfields; c++)
		enc(b, &sd->store.cols[c], i);
}

static void row_key(int s, uint64_t seq, unsigned char k[9])
{
	k[0] = (unsigned char)('L' + (s ? 'R' - 'L' : 0));
	for (int i = 0; i < 8; i++)
		k[1 + i] = (unsigned char)(seq >> (8 * (7 - i)));
}

static void meta_value(const struct sp_join *j, struct sp_buf *b)
{
	sp_buf_put64(b, (uint64_t)j->wm);
	for (int s = 0; s < 2; s++) {
		sp_wm_save(&j->s[s].wm, b);
		sp_buf_put64(b, j->s[s].next_seq);
	}
}

static size_t find_seq(const struct side *sd, uint64_t seq)
{
	size_t lo = 0, hi = sd->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sd->rows[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sd->nrows && sd->rows[lo].seq == seq ? lo : SIZE_MAX;
}

static void st_changes(void *op, sp_state_emit_fn put, sp_state_forget_fn del, void *ectx)
{
	struct sp_join *j = op;
	struct sp_buf b = { 0 };
	unsigned char k[9];

	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		for (size_t d = 0; d < sd->ndirty; d++) {
			size_t i = find_seq(sd, sd->dirty[d]);

			if (i == SIZE_MAX)
				continue;
			sd->rows[i].dirty = 0;
			if (sd->rows[i].dead)
				continue;
			sp_buf_reset(&b);
			row_value(sd, i, &b);
			row_key(s, sd->dirty[d], k);
			put(ectx, k, 9, b.p, b.len);
		}
		for (size_t d = 0; d < sd->ngone; d++) {
			row_key(s, sd->gone[d], k);
			del(ectx, k, 9);
		}
		sd->ndirty = sd->ngone = 0;
	}
	sp_buf_reset(&b);
	meta_value(j, &b);
	put(ectx, "M", 1, b.p, b.len);
	sp_buf_release(&b);
}

static void st_dump(void *op, sp_state_emit_fn put, void *ectx)
{
	struct sp_join *j = op;
	struct sp_buf b = { 0 };
	unsigned char k[9];

	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		for (size_t i = 0; i < sd->nrows; i++) {
			if (sd->rows[i].dead)
				continue;
			sp_buf_reset(&b);
			row_value(sd, i, &b);
			row_key(s, sd->rows[i].seq, k);
			put(ectx, k, 9, b.p, b.len);
		}
	}
	sp_buf_reset(&b);
	meta_value(j, &b);
	put(ectx, "M", 1, b.p, b.len);
	sp_buf_release(&b);
}

static void st_clear(void *op)
{
	struct sp_join *j = op;

	for (int s = 0; s < 2; s++) {
		struct side *sd = &j->s[s];

		sp_batch_reset(&sd->store);
		sd->nrows = sd->live = sd->ndead = sd->ndirty = sd->ngone = 0;
		sd->next_seq = 0;
		sp_buf_reset(&sd->keys);
		sp_wm_init(&sd->wm, sd->wm.kind, sd->wm.delay);
		reindex(sd, 16);
	}
	j->wm = j->o.streaming && (j->o.wm_col[0] || j->o.wm_col[1]) ? 0 : SP_NO_WATERMARK;
	j->restore_bad = 0;
}

static void st_restore(void *op, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct sp_join *j = op;
	const unsigned char *k = key, *p = val, *end = p + vlen;
	struct side *sd;
	struct srow *row;
	uint64_t seq = 0;

	if (klen == 1 && k[0] == 'M') {
		if (vlen != 8 + 2 * (SP_WM_SAVED + 8)) {
			j->restore_bad = 1;
			return;
		}
		j->wm = (int64_t)sp_get64(p);
		p += 8;
		for (int s = 0; s < 2; s++) {
			sp_wm_load(&j->s[s].wm, p);
			j->s[s].next_seq = sp_get64(p + SP_WM_SAVED);
			p += SP_WM_SAVED + 8;
		}
		return;
	}
	if (klen != 9 || (k[0] != 'L' && k[0] != 'R') || vlen < 9) {
		j->restore_bad = 1;
		return;
	}
	sd = &j->s[k[0] == 'R'];
	for (int i = 0; i < 8; i++)
		seq = seq << 8 | k[1 + i];
	p += 9;
	for (size_t c = 0; c < sd->schema->nfields; c++)
		if (dec(sd->schema->fields[c].type, &p, end, &sd->store.cols[c]) < 0) {
			j->restore_bad = 1;
			return;
		}
	sp_batch_row_done(&sd->store);
	sp_grow(&sd->rows, &sd->rowcap, sd->nrows + 1, sizeof *sd->rows);
	row = &sd->rows[sd->nrows++];
	memset(row, 0, sizeof *row);
	row->seq = seq;
	row->matched = *(const unsigned char *)val;
	row->evt = (int64_t)sp_get64((const unsigned char *)val + 1);
	row->next = NONE;
	sd->live++;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The restored rows, in sequence order, with their keys computed again. */
static void st_rebuild(struct sp_join *j, struct side *sd)
{
	struct sp_batch nb;
	size_t n = sd->nrows;
	struct srow *rows = sd->rows;

	for (size_t i = 0; i < n; i++)
		rows[i].koff = (uint32_t)i;	/* the row's place in the restored store */
	if (n)
		qsort(rows, n, sizeof *rows, cmp_seq);
	sp_batch_init(&nb, sd->schema);
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < nb.schema->nfields; c++)
			sp_col_push_from(&nb.cols[c], &sd->store.cols[c], rows[i].koff);
		sp_batch_row_done(&nb);
	}
	sp_batch_release(&sd->store);
	sd->store = nb;
	sp_buf_reset(&sd->keys);
	for (size_t r0 = 0; r0 < n; r0 += CHUNK) {
		size_t r1 = r0 + CHUNK < n ? r0 + CHUNK : n;

		eval_keys(j, sd, &sd->store, r0, r1);
		for (size_t r = r0; r < r1; r++) {
			const char *k = NULL;
			ssize_t kl = key_of(sd, r - r0, r1 - r0, &k);

			rows[r].koff = (uint32_t)sd->keys.len;
			rows[r].haskey = kl >= 0;
			rows[r].klen = kl >= 0 ? (uint32_t)kl : 0;
			rows[r].hash = kl >= 0 ? hash_bytes(k, (size_t)kl) : 0;
			if (kl > 0)
				sp_buf_add(&sd->keys, k, (size_t)kl);
		}
	}
	reindex(sd, 16);
}

static int st_restored(void *op, struct sp_err *err)
{
	struct sp_join *j = op;

	if (j->restore_bad)
		return sp_err_set(err, "stream-join state: an entry is damaged (remove the checkpoint to start over)");
	for (int s = 0; s < 2; s++)
		st_rebuild(j, &j->s[s]);
	return 0;
}

const struct sp_opstate_ops sp_join_state_ops = { st_clear, st_restore, st_restored, st_changes, st_dump };
