/*
 * value.c: types, DDL schema strings, columns and batches.
 *
 * The DDL grammar is Spark's (StructType.fromDDL), reduced to the types
 * this toolkit carries; integer and decimal types fold into LONG and DOUBLE.
 */
#include "value.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static struct sp_type prims[SP_T_MAX + 1] = {
	[SP_T_NULL] = { SP_T_NULL, 0, 0, NULL, NULL },
	[SP_T_BOOLEAN] = { SP_T_BOOLEAN, 0, 0, NULL, NULL },
	[SP_T_LONG] = { SP_T_LONG, 0, 0, NULL, NULL },
	[SP_T_DOUBLE] = { SP_T_DOUBLE, 0, 0, NULL, NULL },
	[SP_T_STRING] = { SP_T_STRING, 0, 0, NULL, NULL },
	[SP_T_BINARY] = { SP_T_BINARY, 0, 0, NULL, NULL },
	[SP_T_TIMESTAMP] = { SP_T_TIMESTAMP, 0, 0, NULL, NULL },
	[SP_T_DATE] = { SP_T_DATE, 0, 0, NULL, NULL },
};

struct sp_type *sp_type_prim(enum sp_type_id id)
{
	return &prims[id];
}

struct sp_type *sp_type_new_struct(void)
{
	struct sp_type *t = sp_xcalloc(1, sizeof *t);

	t->id = SP_T_STRUCT;
	t->refs = 1;
	return t;
}

struct sp_type *sp_type_new_array(struct sp_type *elem)
{
	struct sp_type *t = sp_xcalloc(1, sizeof *t);

	t->id = SP_T_ARRAY;
	t->refs = 1;
	t->elem = elem;
	return t;
}

void sp_type_add_field(struct sp_type *st, const char *name, struct sp_type *type, unsigned flags)
{
	size_t n = st->nfields;

	/* Capacity doubles at powers of two: wide schemas are built in linear time. */
	if (n < 4 || !(n & (n - 1)))
		st->fields = sp_xrealloc(st->fields, (n < 4 ? 4 : 2 * n) * sizeof *st->fields);
	st->fields[st->nfields].name = sp_xstrdup(name);
	st->fields[st->nfields].type = type;
	st->fields[st->nfields].flags = flags;
	st->nfields++;
}

struct sp_type *sp_type_ref(struct sp_type *t)
{
	if (t && t->refs)
		t->refs++;
	return t;
}

void sp_type_unref(struct sp_type *t)
{
	if (!t || !t->refs || --t->refs)
		return;
	for (size_t i = 0; i < t->nfields; i++) {
		free(t->fields[i].name);
		sp_type_unref(t->fields[i].type);
	}
	free(t->fields);
	sp_type_unref(t->elem);
	free(t);
}

int sp_type_equal(const struct sp_type *a, const struct sp_type *b)
{
	if (a == b)
		return 1;
	if (a->id != b->id || a->nfields != b->nfields)
		return 0;
	if (a->id == SP_T_ARRAY)
		return sp_type_equal(a->elem, b->elem);
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) ||
		    a->fields[i].flags != b->fields[i].flags ||
		    !sp_type_equal(a->fields[i].type, b->fields[i].type))
			return 0;
	return 1;
}

int sp_type_field_index(const struct sp_type *st, const char *name, size_t len)
{
	int found = -1;

	for (size_t i = 0; i < st->nfields; i++) {
		const char *f = st->fields[i].name;

		if (strlen(f) != len)
			continue;
		if (!memcmp(f, name, len))
			return (int)i;
		if (found < 0 && !strncasecmp(f, name, len))
			found = (int)i;
	}
	return found;
}

static const char *names[SP_T_MAX + 1] = {
	"VOID", "BOOLEAN", "LONG", "DOUBLE", "STRING", "BINARY", "TIMESTAMP", "DATE", "STRUCT", "ARRAY",
};

static const char *simple_names[SP_T_MAX + 1] = {
	"void", "boolean", "bigint", "double", "string", "binary", "timestamp", "date", "struct", "array",
};

const char *sp_type_name(enum sp_type_id id)
{
	return id <= SP_T_MAX ? names[id] : "?";
}

/* A growable string, for the printers below. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	sp_grow(&sb->p, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static int plain_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void sb_name(struct sbuf *sb, const char *name)
{
	if (plain_name(name)) {
		sb_puts(sb, name);
		return;
	}
	sb_add(sb, "`", 1);
	for (; *name; name++)
		sb_add(sb, *name == '`' ? "``" : name, *name == '`' ? 2 : 1);
	sb_add(sb, "`", 1);
}

static void simple(struct sbuf *sb, const struct sp_type *t)
{
	if (t->id == SP_T_ARRAY) {
		sb_puts(sb, "array<");
		simple(sb, t->elem);
		sb_puts(sb, ">");
	} else if (t->id == SP_T_STRUCT) {
		sb_puts(sb, "struct<");
		for (size_t i = 0; i < t->nfields; i++) {
			if (i)
				sb_puts(sb, ",");
			sb_puts(sb, t->fields[i].name);
			sb_puts(sb, ":");
			simple(sb, t->fields[i].type);
		}
		sb_puts(sb, ">");
	} else {
		sb_puts(sb, simple_names[t->id]);
	}
}

char *sp_type_simple_new(const struct sp_type *t)
{
	struct sbuf sb = { 0, 0, 0 };

	simple(&sb, t);
	return sb.p;
}

static void ddl(struct sbuf *sb, const struct sp_type *t, int top)
{
	if (t->id == SP_T_ARRAY) {
		sb_puts(sb, "ARRAY<");
		ddl(sb, t->elem, 0);
		sb_puts(sb, ">");
	} else if (t->id == SP_T_STRUCT) {
		if (!top)
			sb_puts(sb, "STRUCT<");
		for (size_t i = 0; i < t->nfields; i++) {
			if (i)
				sb_puts(sb, ", ");
			sb_name(sb, t->fields[i].name);
			sb_puts(sb, top ? " " : ": ");
			ddl(sb, t->fields[i].type, 0);
		}
		if (!top)
			sb_puts(sb, ">");
	} else {
		sb_puts(sb, names[t->id]);
	}
}

char *sp_type_ddl_new(const struct sp_type *t)
{
	struct sbuf sb = { 0, 0, 0 };

	sb_puts(&sb, "");
	/* An empty schema has no column list to print: "STRUCT<>" reads back. */
	ddl(&sb, t, t->id == SP_T_STRUCT && t->nfields);
	return sb.p;
}

/* ---- DDL parser ---- */

struct ddl_parser {
	const char *text, *p;
	struct sp_err *err;
	int depth;
};

static void skip_ws(struct ddl_parser *dp)
{
	while (isspace((unsigned char)*dp->p))
		dp->p++;
}

static int ddl_fail(struct ddl_parser *dp, const char *what)
{
	return sp_err_usage(dp->err, "bad schema at column %zu: %s: '%s'",
			    (size_t)(dp->p - dp->text) + 1, what, dp->text);
}

/* An identifier or `quoted name`; returns a new string or NULL. */
static char *ddl_name(struct ddl_parser *dp)
{
	const char *s;
	struct sbuf sb = { 0, 0, 0 };

	skip_ws(dp);
	if (*dp->p == '`') {
		sb_puts(&sb, "");
		for (dp->p++;; dp->p++) {
			if (!*dp->p) {
				free(sb.p);
				ddl_fail(dp, "unterminated `name`");
				return NULL;
			}
			if (*dp->p == '`') {
				if (dp->p[1] != '`')
					break;
				dp->p++;
			}
			sb_add(&sb, dp->p, 1);
		}
		dp->p++;
		if (!sb.len) {
			free(sb.p);
			ddl_fail(dp, "empty column name");
			return NULL;
		}
		return sb.p;
	}
	s = dp->p;
	while (isalnum((unsigned char)*dp->p) || *dp->p == '_' || (unsigned char)*dp->p >= 0x80)
		dp->p++;
	if (s == dp->p) {
		ddl_fail(dp, "expected a column name");
		return NULL;
	}
	return sp_xstrndup(s, (size_t)(dp->p - s));
}

static int word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(s, w, n);
}

static struct sp_type *ddl_type(struct ddl_parser *dp);

/*
 * The field names of a struct being parsed, hashed, so that checking for
 * a duplicate stays cheap in a schema of thousands of columns.
 */
struct name_set {
	uint32_t *slot;		/* field index + 1, or 0 */
	size_t cap;		/* a power of two */
};

static size_t name_hash(const char *s, size_t mask)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (size_t)h & mask;
}

/* Adds field i of st; 0, or -1 if a field of the same name is there already. */
static int name_set_add(struct name_set *ns, const struct sp_type *st, size_t i)
{
	size_t k;

	if ((i + 1) * 2 > ns->cap) {
		free(ns->slot);
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->slot = sp_xcalloc(ns->cap, sizeof *ns->slot);
		for (size_t j = 0; j < i; j++) {
			for (k = name_hash(st->fields[j].name, ns->cap - 1); ns->slot[k]; k = (k + 1) & (ns->cap - 1))
				;
			ns->slot[k] = (uint32_t)j + 1;
		}
	}
	for (k = name_hash(st->fields[i].name, ns->cap - 1); ns->slot[k]; k = (k + 1) & (ns->cap - 1))
		if (!strcmp(st->fields[ns->slot[k] - 1].name, st->fields[i].name))
			return -1;
	ns->slot[k] = (uint32_t)i + 1;
	return 0;
}

static struct sp_type *ddl_struct_body(struct ddl_parser *dp, char close)
{
	struct sp_type *st = sp_type_new_struct();
	struct name_set seen = { NULL, 0 };

	skip_ws(dp);
	if (close && *dp->p == close)
		return st;
	for (;;) {
		char *name = ddl_name(dp);
		struct sp_type *ft;
		const char *w;

		if (!name)
			goto fail;
		skip_ws(dp);
		if (*dp->p == ':')
			dp->p++;
		if (!(ft = ddl_type(dp))) {
			free(name);
			goto fail;
		}
		if (st->nfields >= SP_TYPE_MAX_FIELDS) {
			free(name);
			sp_type_unref(ft);
			ddl_fail(dp, "too many fields");
			goto fail;
		}
		sp_type_add_field(st, name, ft, 0);
		if (name_set_add(&seen, st, st->nfields - 1) < 0) {
			sp_err_usage(dp->err, "bad schema: duplicate column '%s': '%s'", name, dp->text);
			free(name);
			goto fail;
		}
		free(name);
		/* NOT NULL and COMMENT 'text' are accepted and ignored, as nullability is. */
		for (;;) {
			skip_ws(dp);
			w = dp->p;
			while (isalpha((unsigned char)*dp->p))
				dp->p++;
			if (word_is(w, (size_t)(dp->p - w), "NOT")) {
				skip_ws(dp);
				w = dp->p;
				while (isalpha((unsigned char)*dp->p))
					dp->p++;
				if (!word_is(w, (size_t)(dp->p - w), "NULL")) {
					dp->p = w;
					ddl_fail(dp, "expected NULL after NOT");
					goto fail;
				}
			} else if (word_is(w, (size_t)(dp->p - w), "COMMENT")) {
				skip_ws(dp);
				if (*dp->p != '\'' && *dp->p != '"') {
					ddl_fail(dp, "expected a quoted comment");
					goto fail;
				}
				char q = *dp->p++;
				while (*dp->p && *dp->p != q)
					dp->p += dp->p[0] == '\\' && dp->p[1] ? 2 : 1;
				if (!*dp->p) {
					ddl_fail(dp, "unterminated comment");
					goto fail;
				}
				dp->p++;
			} else {
				dp->p = w;
				break;
			}
		}
		skip_ws(dp);
		if (*dp->p != ',')
			break;
		dp->p++;
	}
	free(seen.slot);
	return st;
fail:
	free(seen.slot);
	sp_type_unref(st);
	return NULL;
}

static struct sp_type *ddl_type(struct ddl_parser *dp)
{
	const char *w;
	size_t n;
	struct sp_type *t = NULL;
	static const struct {
		const char *name;
		enum sp_type_id id;
	} alias[] = {
		{ "STRING", SP_T_STRING }, { "VARCHAR", SP_T_STRING }, { "CHAR", SP_T_STRING },
		{ "TEXT", SP_T_STRING },
		{ "LONG", SP_T_LONG }, { "BIGINT", SP_T_LONG }, { "INT", SP_T_LONG },
		{ "INTEGER", SP_T_LONG }, { "SHORT", SP_T_LONG }, { "SMALLINT", SP_T_LONG },
		{ "BYTE", SP_T_LONG }, { "TINYINT", SP_T_LONG },
		{ "DOUBLE", SP_T_DOUBLE }, { "FLOAT", SP_T_DOUBLE }, { "REAL", SP_T_DOUBLE },
		{ "DECIMAL", SP_T_DOUBLE }, { "DEC", SP_T_DOUBLE }, { "NUMERIC", SP_T_DOUBLE },
		{ "BOOLEAN", SP_T_BOOLEAN }, { "BOOL", SP_T_BOOLEAN },
		{ "BINARY", SP_T_BINARY }, { "TIMESTAMP", SP_T_TIMESTAMP },
		{ "TIMESTAMP_LTZ", SP_T_TIMESTAMP }, { "TIMESTAMP_NTZ", SP_T_TIMESTAMP },
		{ "DATE", SP_T_DATE },
	};

	if (++dp->depth > SP_TYPE_MAX_DEPTH) {
		ddl_fail(dp, "types nested too deeply");
		return NULL;
	}
	skip_ws(dp);
	w = dp->p;
	while (isalnum((unsigned char)*dp->p) || *dp->p == '_')
		dp->p++;
	n = (size_t)(dp->p - w);
	if (!n) {
		ddl_fail(dp, "expected a type");
		return NULL;
	}
	if (word_is(w, n, "STRUCT") || word_is(w, n, "ARRAY")) {
		int is_struct = word_is(w, n, "STRUCT");

		skip_ws(dp);
		if (*dp->p != '<') {
			ddl_fail(dp, "expected '<'");
			return NULL;
		}
		dp->p++;
		if (is_struct) {
			t = ddl_struct_body(dp, '>');
		} else {
			struct sp_type *e = ddl_type(dp);

			t = e ? sp_type_new_array(e) : NULL;
		}
		if (!t)
			return NULL;
		skip_ws(dp);
		if (*dp->p != '>') {
			sp_type_unref(t);
			ddl_fail(dp, "expected '>'");
			return NULL;
		}
		dp->p++;
		dp->depth--;
		return t;
	}
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (word_is(w, n, alias[i].name))
			t = sp_type_prim(alias[i].id);
	if (!t) {
		dp->p = w;
		sp_err_usage(dp->err, "bad schema at column %zu: unknown type '%.*s': '%s'",
			     (size_t)(w - dp->text) + 1, (int)n, w, dp->text);
		return NULL;
	}
	/* DECIMAL(10,2), VARCHAR(20): the arguments do not change our type. */
	skip_ws(dp);
	if (*dp->p == '(') {
		while (*dp->p && *dp->p != ')')
			dp->p++;
		if (*dp->p != ')') {
			ddl_fail(dp, "expected ')'");
			return NULL;
		}
		dp->p++;
	}
	dp->depth--;
	return t;
}

int sp_type_parse_ddl(const char *text, struct sp_type **out, struct sp_err *err)
{
	struct ddl_parser dp = { text, text, err, 0 };
	struct sp_type *t;
	const char *w;

	skip_ws(&dp);
	/* Spark also accepts "struct<a: int, ...>" for a whole schema. */
	w = dp.p;
	while (isalpha((unsigned char)*dp.p))
		dp.p++;
	if (word_is(w, (size_t)(dp.p - w), "STRUCT") && (skip_ws(&dp), *dp.p == '<')) {
		dp.p = w;
		t = ddl_type(&dp);
	} else {
		dp.p = w;
		if (!*dp.p)
			return sp_err_usage(err, "bad schema: empty");
		t = ddl_struct_body(&dp, 0);
	}
	if (!t)
		return -1;
	skip_ws(&dp);
	if (*dp.p) {
		sp_type_unref(t);
		return ddl_fail(&dp, "unexpected text");
	}
	*out = t;
	return 0;
}

int sp_type_parse_one(const char *text, struct sp_type **out, struct sp_err *err)
{
	struct ddl_parser dp = { text, text, err, 0 };
	struct sp_type *t = ddl_type(&dp);

	if (!t)
		return -1;
	skip_ws(&dp);
	if (*dp.p) {
		sp_type_unref(t);
		return ddl_fail(&dp, "unexpected text");
	}
	*out = t;
	return 0;
}

/* ---- columns ---- */

static size_t fixed_size(enum sp_type_id id)
{
	switch (id) {
	case SP_T_BOOLEAN:
		return 1;
	case SP_T_LONG:
	case SP_T_TIMESTAMP:
	case SP_T_DATE:
	case SP_T_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

void sp_col_init(struct sp_col *c, const struct sp_type *t)
{
	memset(c, 0, sizeof *c);
	c->type = t;
	c->owned = 1;
	if (t->id == SP_T_STRING || t->id == SP_T_BINARY || t->id == SP_T_ARRAY) {
		c->off = sp_xmalloc(16 * sizeof *c->off);
		c->off[0] = 0;
		c->cap = 15;
	}
	/* Never NULL, so that sp_col_str() of an empty value points somewhere. */
	if (t->id == SP_T_STRING || t->id == SP_T_BINARY) {
		c->datacap = 16;
		c->data = sp_xmalloc(c->datacap);
	}
	if (t->id == SP_T_STRUCT) {
		c->nchild = t->nfields;
		c->child = sp_xcalloc(t->nfields, sizeof *c->child);
		for (size_t i = 0; i < t->nfields; i++)
			sp_col_init(&c->child[i], t->fields[i].type);
	} else if (t->id == SP_T_ARRAY) {
		c->nchild = 1;
		c->child = sp_xcalloc(1, sizeof *c->child);
		sp_col_init(c->child, t->elem);
	}
}

void sp_col_release(struct sp_col *c)
{
	for (size_t i = 0; i < c->nchild; i++)
		sp_col_release(&c->child[i]);
	if (c->owned) {
		free(c->valid);
		free(c->data);
		free(c->off);
		free(c->child);
	}
	memset(c, 0, sizeof *c);
}

void sp_col_reset(struct sp_col *c)
{
	c->n = 0;
	for (size_t i = 0; i < c->nchild; i++)
		sp_col_reset(&c->child[i]);
	/* A reset column has no NULLs until one is pushed. */
	if (c->owned)
		free(c->valid);
	c->valid = NULL;
	c->validcap = 0;
}

/* Room for one more row. */
static inline void col_reserve(struct sp_col *c)
{
	size_t fs;

	if (c->n < c->cap)
		return;
	fs = fixed_size(c->type->id);
	if (c->off) {
		size_t cap1 = c->cap + 1;

		sp_grow(&c->off, &cap1, c->n + 2, sizeof *c->off);
		c->cap = cap1 - 1;
	} else if (fs) {
		size_t bytes = c->cap * fs;

		sp_grow(&c->data, &bytes, (c->n + 1) * fs, 1);
		c->cap = bytes / fs;
	} else {
		c->cap = c->cap ? c->cap * 2 : 16;
		while (c->cap <= c->n)
			c->cap *= 2;
	}
}

static void set_valid(struct sp_col *c, size_t i, int valid)
{
	if (!c->valid) {
		if (valid)
			return;
		c->validcap = (c->n / 8 + 1) * 2 + 8;
		c->valid = sp_xmalloc(c->validcap);
		memset(c->valid, 0xff, c->validcap);
	}
	if (i / 8 >= c->validcap) {
		size_t old = c->validcap;

		sp_grow(&c->valid, &c->validcap, i / 8 + 1, 1);
		memset(c->valid + old, 0xff, c->validcap - old);
	}
	if (valid)
		c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		c->valid[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

void sp_col_push_null(struct sp_col *c)
{
	col_reserve(c);
	set_valid(c, c->n, 0);
	switch (c->type->id) {
	case SP_T_STRING:
	case SP_T_BINARY:
		c->off[c->n + 1] = c->off[c->n];
		break;
	case SP_T_ARRAY:
		c->off[c->n + 1] = (uint32_t)c->child->n;
		break;
	case SP_T_STRUCT:
		for (size_t i = 0; i < c->nchild; i++)
			sp_col_push_null(&c->child[i]);
		break;
	case SP_T_BOOLEAN:
		((uint8_t *)c->data)[c->n] = 0;
		break;
	case SP_T_NULL:
		break;
	default:
		((int64_t *)c->data)[c->n] = 0;
		break;
	}
	c->n++;
}

void sp_col_push_i64(struct sp_col *c, int64_t v)
{
	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	((int64_t *)c->data)[c->n++] = v;
}

void sp_col_push_f64(struct sp_col *c, double v)
{
	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	((double *)c->data)[c->n++] = v;
}

void sp_col_push_bool(struct sp_col *c, int v)
{
	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	((uint8_t *)c->data)[c->n++] = v != 0;
}

void sp_col_push_bytes(struct sp_col *c, const void *p, size_t len)
{
	size_t end;

	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	end = c->off[c->n] + len;
	if (end > UINT32_MAX)
		sp_die("column value too large: %zu bytes in one batch", end);
	if (end > c->datacap)
		sp_grow(&c->data, &c->datacap, end, 1);
	if (len)
		memcpy((char *)c->data + c->off[c->n], p, len);
	c->off[++c->n] = (uint32_t)end;
}

void sp_col_push_struct(struct sp_col *c)
{
	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	c->n++;
}

void sp_col_push_array(struct sp_col *c)
{
	col_reserve(c);
	if (c->valid)
		set_valid(c, c->n, 1);
	if (c->child->n > UINT32_MAX)
		sp_die("array column too large: %zu elements in one batch", c->child->n);
	c->off[++c->n] = (uint32_t)c->child->n;
}

void sp_col_push_from(struct sp_col *dst, const struct sp_col *src, size_t i)
{
	size_t len;
	const char *s;

	if (sp_col_isnull(src, i)) {
		sp_col_push_null(dst);
		return;
	}
	switch (src->type->id) {
	case SP_T_BOOLEAN:
		sp_col_push_bool(dst, sp_col_bool(src, i));
		break;
	case SP_T_DOUBLE:
		sp_col_push_f64(dst, sp_col_f64(src, i));
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		s = sp_col_str(src, i, &len);
		sp_col_push_bytes(dst, s, len);
		break;
	case SP_T_STRUCT:
		for (size_t k = 0; k < src->nchild; k++)
			sp_col_push_from(&dst->child[k], &src->child[k], i);
		sp_col_push_struct(dst);
		break;
	case SP_T_ARRAY:
		for (size_t k = src->off[i]; k < src->off[i + 1]; k++)
			sp_col_push_from(dst->child, src->child, k);
		sp_col_push_array(dst);
		break;
	default:
		sp_col_push_i64(dst, sp_col_i64(src, i));
		break;
	}
}

void sp_col_get(const struct sp_col *c, size_t i, struct sp_val *v)
{
	v->t = c->type->id;
	v->null = sp_col_isnull(c, i);
	if (v->null)
		return;
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		v->u.b = sp_col_bool(c, i);
		break;
	case SP_T_DOUBLE:
		v->u.d = sp_col_f64(c, i);
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		v->u.s.p = sp_col_str(c, i, &v->u.s.len);
		break;
	case SP_T_STRUCT:
		v->u.st.col = c;
		v->u.st.row = i;
		break;
	case SP_T_ARRAY:
		v->u.arr.elems = c->child;
		v->u.arr.start = c->off[i];
		v->u.arr.len = c->off[i + 1] - c->off[i];
		break;
	case SP_T_NULL:
		v->null = 1;
		break;
	default:
		v->u.i = sp_col_i64(c, i);
		break;
	}
}

void sp_col_push_val(struct sp_col *c, const struct sp_val *v)
{
	if (v->null || v->t == SP_T_NULL) {
		sp_col_push_null(c);
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		sp_col_push_bool(c, v->u.b);
		break;
	case SP_T_DOUBLE:
		sp_col_push_f64(c, v->u.d);
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		sp_col_push_bytes(c, v->u.s.p, v->u.s.len);
		break;
	case SP_T_STRUCT:
		sp_col_push_from(c, v->u.st.col, v->u.st.row);
		break;
	case SP_T_ARRAY:
		for (size_t k = 0; k < v->u.arr.len; k++)
			sp_col_push_from(c->child, v->u.arr.elems, v->u.arr.start + k);
		sp_col_push_array(c);
		break;
	default:
		sp_col_push_i64(c, v->u.i);
		break;
	}
}

size_t sp_col_bytes(const struct sp_col *c)
{
	size_t n = c->n / 8 + 1 + c->n * fixed_size(c->type->id);

	if (c->off)
		n += (c->n + 1) * 4 + c->off[c->n];
	for (size_t i = 0; i < c->nchild; i++)
		n += sp_col_bytes(&c->child[i]);
	return n;
}

/* ---- batches ---- */

void sp_batch_init(struct sp_batch *b, struct sp_type *schema)
{
	b->schema = sp_type_ref(schema);
	b->n = 0;
	b->cols = sp_xcalloc(schema->nfields, sizeof *b->cols);
	for (size_t i = 0; i < schema->nfields; i++)
		sp_col_init(&b->cols[i], schema->fields[i].type);
}

void sp_batch_release(struct sp_batch *b)
{
	if (!b->schema)
		return;
	for (size_t i = 0; i < b->schema->nfields; i++)
		sp_col_release(&b->cols[i]);
	free(b->cols);
	sp_type_unref(b->schema);
	memset(b, 0, sizeof *b);
}

void sp_batch_reset(struct sp_batch *b)
{
	for (size_t i = 0; i < b->schema->nfields; i++)
		sp_col_reset(&b->cols[i]);
	b->n = 0;
}

/* ---- arena ---- */

struct sp_arena_block {
	struct sp_arena_block *next;
	size_t size;
	max_align_t data[];
};

void *sp_arena_alloc(struct sp_arena *a, size_t n)
{
	struct sp_arena_block *b;
	size_t want;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->cur) < n || !a->cur) {
		want = n > 65536 ? n : 65536;
		if (a->spare && a->spare->size >= want) {
			b = a->spare;
			a->spare = b->next;
		} else {
			b = sp_xmalloc(sizeof *b + want);
			b->size = want;
		}
		b->next = a->blocks;
		a->blocks = b;
		a->cur = (char *)b->data;
		a->end = a->cur + b->size;
	}
	p = a->cur;
	a->cur += n;
	return p;
}

void sp_arena_reset(struct sp_arena *a)
{
	while (a->blocks) {
		struct sp_arena_block *b = a->blocks;

		a->blocks = b->next;
		b->next = a->spare;
		a->spare = b;
	}
	a->cur = a->end = NULL;
}

void sp_arena_release(struct sp_arena *a)
{
	sp_arena_reset(a);
	while (a->spare) {
		struct sp_arena_block *b = a->spare;

		a->spare = b->next;
		free(b);
	}
}
