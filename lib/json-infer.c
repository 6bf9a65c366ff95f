/*
 * json-infer.c: schema inference over JSON records, by Spark's rules
 * (JsonInferSchema), for stream-read without --schema.
 *
 * Each record's types are merged into one accumulated type as they are
 * read, without building the record's own tree (merging is a join in a
 * small lattice, so the order does not matter):
 *
 *   value               type            merge        result
 *   null, ""            NULL            NULL + T     T
 *   integer (long)      LONG            LONG+DOUBLE  DOUBLE
 *   other number        DOUBLE          struct+struct fields merged by name
 *   string              STRING (or      array+array  elements merged
 *                       TIMESTAMP with  T + T        T
 *                       inferTimestamp) anything else STRING
 *   true, false         BOOLEAN
 *   object              STRUCT, fields sorted by name (Java's String order)
 *   array               ARRAY of the merged element type
 *
 * primitivesAsString makes numbers and booleans STRING. At the end NULL
 * becomes STRING (or the field is dropped with dropFieldIfAllNull), and
 * structs left without fields are dropped, as are fields named "".
 *
 * A record is first validated as a whole, so that a malformed one adds
 * nothing but (in PERMISSIVE mode) the corrupt-record column. A record
 * that is not an object (5, "x", [1]) is not malformed but cannot be a
 * row: Spark then adds the corrupt-record column too; null, "" and []
 * are ignored; an array of objects counts as its objects.
 */
#include "json-int.h"

#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

struct sp_ifield {
	char *name;
	size_t len;
	struct sp_itype *t;	/* NULL: only nulls seen */
};

struct sp_itype {
	enum sp_type_id id;
	int heap;		/* 0 for the shared primitive types below */
	size_t n, cap;
	struct sp_ifield *f;	/* STRUCT, sorted */
	struct sp_itype *elem;	/* ARRAY; NULL: only nulls or no elements seen */
	size_t *order;		/* STRUCT: the field the k-th key of the last object named */
	size_t norder, ordercap;
};

static struct sp_itype iprims[SP_T_MAX + 1] = {
	[SP_T_BOOLEAN] = { SP_T_BOOLEAN, 0, 0, 0, NULL, NULL, NULL, 0, 0 },
	[SP_T_LONG] = { SP_T_LONG, 0, 0, 0, NULL, NULL, NULL, 0, 0 },
	[SP_T_DOUBLE] = { SP_T_DOUBLE, 0, 0, 0, NULL, NULL, NULL, 0, 0 },
	[SP_T_STRING] = { SP_T_STRING, 0, 0, 0, NULL, NULL, NULL, 0, 0 },
	[SP_T_TIMESTAMP] = { SP_T_TIMESTAMP, 0, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static struct sp_itype *new_itype(enum sp_type_id id)
{
	struct sp_itype *t = sp_xcalloc(1, sizeof *t);

	t->id = id;
	t->heap = 1;
	return t;
}

struct sp_itype *sp_infer_new(void)
{
	return new_itype(SP_T_STRUCT);
}

void sp_infer_free(struct sp_itype *t)
{
	if (!t || !t->heap)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->f[i].name);
		sp_infer_free(t->f[i].t);
	}
	free(t->f);
	free(t->order);
	sp_infer_free(t->elem);
	free(t);
}

/* Spark's compatibleType for two primitive types. */
static enum sp_type_id join_id(enum sp_type_id a, enum sp_type_id b)
{
	if (a == b)
		return a;
	if ((a == SP_T_LONG && b == SP_T_DOUBLE) || (a == SP_T_DOUBLE && b == SP_T_LONG))
		return SP_T_DOUBLE;
	return SP_T_STRING;
}

static void merge_prim(struct sp_itype **slot, enum sp_type_id id)
{
	struct sp_itype *t = *slot;

	if (!t) {
		*slot = &iprims[id];
	} else if (t->heap) {
		sp_infer_free(t);
		*slot = &iprims[SP_T_STRING];
	} else {
		*slot = &iprims[join_id(t->id, id)];
	}
}

/* The first UTF-16 unit of the character at p (Java compares strings by these). */
static unsigned utf16_unit(const unsigned char *p, size_t n)
{
	unsigned c = p[0], cp;

	if (c < 0xc0 || n < 2)
		return c;
	if (c < 0xe0)
		return (c & 0x1f) << 6 | (p[1] & 0x3f);
	if (c < 0xf0)
		return n < 3 ? c : (c & 0x0f) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3f);
	if (n < 4)
		return c;
	cp = (c & 7) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 | (p[3] & 0x3f);
	return 0xd800 + ((cp - 0x10000) >> 10);
}

/*
 * Java's String.compareTo on UTF-8 names: byte order, except that
 * characters beyond U+FFFF (surrogate pairs in Java) sort before
 * U+E000..U+FFFF.
 */
static int java_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	size_t i = 0, n = al < bl ? al : bl, s;
	unsigned ux, uy;

	while (i < n && x[i] == y[i])
		i++;
	if (i == n)
		return al < bl ? -1 : al > bl;
	for (s = i; s > 0 && (x[s] & 0xc0) == 0x80; s--)
		;
	ux = utf16_unit(x + s, al - s);
	uy = utf16_unit(y + s, bl - s);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	return x[i] < y[i] ? -1 : 1;
}

/* The field of st named by key, added (as NULL) if new; NULL when st is full. */
static struct sp_ifield *find_or_add(struct sp_itype *st, const char *key, size_t len, int *added)
{
	size_t lo = 0, hi = st->n, mid;
	struct sp_ifield *f;
	int c;

	*added = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = java_cmp(st->f[mid].name, st->f[mid].len, key, len);
		if (!c)
			return &st->f[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (st->n >= SP_TYPE_MAX_FIELDS)
		return NULL;
	sp_grow(&st->f, &st->cap, st->n + 1, sizeof *st->f);
	memmove(&st->f[lo + 1], &st->f[lo], (st->n - lo) * sizeof *st->f);
	st->n++;
	f = &st->f[lo];
	f->name = sp_xmalloc(len + 1);
	memcpy(f->name, key, len);
	f->name[len] = '\0';
	f->len = len;
	f->t = NULL;
	*added = 1;
	/* indexes moved: the remembered key order no longer holds */
	st->norder = 0;
	return f;
}

static struct sp_itype *merge(struct sp_itype *a, struct sp_itype *b);

/* Merges b's fields into a; b is consumed. */
static void merge_struct(struct sp_itype *a, struct sp_itype *b)
{
	int added;

	for (size_t i = 0; i < b->n; i++) {
		struct sp_ifield *f = find_or_add(a, b->f[i].name, b->f[i].len, &added);

		if (f)
			f->t = merge(f->t, b->f[i].t);
		else
			sp_infer_free(b->f[i].t);
		b->f[i].t = NULL;
	}
	sp_infer_free(b);
}

/* Spark's compatibleType; both are consumed. */
static struct sp_itype *merge(struct sp_itype *a, struct sp_itype *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->id == SP_T_STRUCT && b->id == SP_T_STRUCT) {
		merge_struct(a, b);
		return a;
	}
	if (a->id == SP_T_ARRAY && b->id == SP_T_ARRAY) {
		a->elem = merge(a->elem, b->elem);
		b->elem = NULL;
		sp_infer_free(b);
		return a;
	}
	if (!a->heap && !b->heap)
		return &iprims[join_id(a->id, b->id)];
	sp_infer_free(a);
	sp_infer_free(b);
	return &iprims[SP_T_STRING];
}

static int infer_value(struct sp_jp *jp, struct sp_itype **slot, int depth);

static int infer_object(struct sp_jp *jp, struct sp_itype *st, int depth)
{
	struct sp_ifield *f;
	const char *key;
	size_t klen, k = 0;
	int ch, added;

	jp->depth++;
	jp->p++;
	if (sp_jp_peek(jp) == '}') {
		jp->p++;
		jp->depth--;
		return 0;
	}
	for (;;) {
		if (sp_jp_key(jp, &key, &klen) < 0)
			return -1;
		/* records mostly repeat their keys in the same order */
		if (k < st->norder && (f = &st->f[st->order[k]])->len == klen && !memcmp(f->name, key, klen)) {
			k++;
		} else {
			f = find_or_add(st, key, klen, &added);
			if (f && k <= st->norder) {
				sp_grow(&st->order, &st->ordercap, k + 1, sizeof *st->order);
				st->order[k++] = (size_t)(f - st->f);
				st->norder = k;
			}
		}
		if (f ? infer_value(jp, &f->t, depth + 1) < 0 : sp_jp_skip(jp) < 0)
			return -1;
		ch = sp_jp_peek(jp);
		jp->p++;
		if (ch == '}')
			break;
		if (ch != ',')
			return sp_jp_fail(jp, jp->p - 1, "expected ',' or '}'");
	}
	jp->depth--;
	return 0;
}

static int infer_value(struct sp_jp *jp, struct sp_itype **slot, int depth)
{
	struct sp_itype *t = *slot;
	struct sp_jnum nm;
	const char *s;
	size_t len;
	int64_t v;
	int ch = sp_jp_peek(jp);

	/* deeper than a schema may nest: kept as text */
	if ((ch == '{' || ch == '[') && depth >= SP_TYPE_MAX_DEPTH - 1) {
		if (sp_jp_skip(jp) < 0)
			return -1;
		merge_prim(slot, SP_T_STRING);
		return 0;
	}
	switch (ch) {
	case '{':
		if (t && t->id != SP_T_STRUCT) {
			if (sp_jp_skip(jp) < 0)
				return -1;
			merge_prim(slot, SP_T_STRING);
			return 0;
		}
		if (!t)
			*slot = t = new_itype(SP_T_STRUCT);
		return infer_object(jp, t, depth);
	case '[':
		if (t && t->id != SP_T_ARRAY) {
			if (sp_jp_skip(jp) < 0)
				return -1;
			merge_prim(slot, SP_T_STRING);
			return 0;
		}
		if (!t)
			*slot = t = new_itype(SP_T_ARRAY);
		jp->depth++;
		jp->p++;
		if (sp_jp_peek(jp) == ']') {
			jp->p++;
			jp->depth--;
			return 0;
		}
		for (;;) {
			if (infer_value(jp, &t->elem, depth + 1) < 0)
				return -1;
			ch = sp_jp_peek(jp);
			jp->p++;
			if (ch == ']')
				break;
			if (ch != ',')
				return sp_jp_fail(jp, jp->p - 1, "expected ',' or ']'");
		}
		jp->depth--;
		return 0;
	case '"':
	case '\'':
		if (sp_jp_string(jp, &s, &len) < 0)
			return -1;
		/* an empty string is taken for a null, as Spark does */
		if (len)
			merge_prim(slot, jp->o->infer_ts && sp_ts_parse(s, len, &v) == 0 ? SP_T_TIMESTAMP : SP_T_STRING);
		return 0;
	case 't':
	case 'f':
	case 'n':
		if (sp_jp_skip(jp) < 0)
			return -1;
		if (ch != 'n')
			merge_prim(slot, jp->o->prims_as_string ? SP_T_STRING : SP_T_BOOLEAN);
		return 0;
	default:
		if (sp_jp_number(jp, &nm) < 0)
			return -1;
		/* integers beyond a long are decimals in Spark, DOUBLE here */
		merge_prim(slot, jp->o->prims_as_string ? SP_T_STRING :
				 !nm.is_float && sp_jnum_i64(&nm, &v) == 0 ? SP_T_LONG : SP_T_DOUBLE);
		return 0;
	}
}

/* Spark's compatibleRootType: arrays count as their elements, null as nothing. */
static int root_merge(struct sp_itype *root, struct sp_itype *t)
{
	struct sp_itype *e;

	if (!t)
		return 0;
	if (t->id == SP_T_ARRAY) {
		e = t->elem;
		t->elem = NULL;
		sp_infer_free(t);
		return root_merge(root, e);
	}
	if (t->id == SP_T_STRUCT) {
		merge_struct(root, t);
		return 0;
	}
	return 2;
}

int sp_infer_record(struct sp_jp *jp, struct sp_itype *root)
{
	struct sp_itype *t = NULL;
	const char *start;
	int ch = sp_jp_peek(jp), rc;

	if (ch == -1)
		return 1;
	start = jp->p;
	if (ch < 0 || sp_jp_skip(jp) < 0)
		return -1;
	jp->p = start;
	jp->depth = 0;
	if (ch == '{')
		return infer_object(jp, root, 0);
	if (infer_value(jp, &t, 0) < 0) {
		sp_infer_free(t);
		return -1;
	}
	if ((rc = root_merge(root, t)) == 2)
		sp_jp_fail(jp, start, "expected a JSON object");
	return rc;
}

void sp_infer_add_corrupt(struct sp_itype *root, const char *name, int only_if_missing)
{
	int added;
	struct sp_ifield *f = find_or_add(root, name, strlen(name), &added);

	if (f && (added || !only_if_missing))
		merge_prim(&f->t, SP_T_STRING);
}

static struct sp_type *canon(const struct sp_itype *t, const struct sp_json_opts *o)
{
	struct sp_type *st, *ft;

	if (!t)
		return o->drop_all_null ? NULL : sp_type_prim(SP_T_STRING);
	switch (t->id) {
	case SP_T_STRUCT:
		st = sp_type_new_struct();
		for (size_t i = 0; i < t->n; i++) {
			/* Spark drops fields named ""; a name with a NUL byte cannot be a column name */
			if (!t->f[i].len || memchr(t->f[i].name, '\0', t->f[i].len))
				continue;
			if ((ft = canon(t->f[i].t, o)))
				sp_type_add_field(st, t->f[i].name, ft, 0);
		}
		if (!st->nfields) {
			sp_type_unref(st);
			return NULL;
		}
		return st;
	case SP_T_ARRAY:
		ft = canon(t->elem, o);
		return ft ? sp_type_new_array(ft) : NULL;
	default:
		return sp_type_prim(t->id);
	}
}

struct sp_type *sp_infer_schema(const struct sp_itype *root, const struct sp_json_opts *o)
{
	struct sp_type *t = canon(root, o);

	return t ? t : sp_type_new_struct();
}
