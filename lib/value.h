/*
 * value.h: types, schemas, columns, batches and single values.
 *
 * Ownership rule for this whole header: every pointer a function returns or
 * fills is borrowed, valid until the object it came from changes, unless the
 * function's name says new, copy or take. Types are immutable and
 * reference-counted; a batch holds one reference to its schema.
 *
 * Data travels in batches of columns (like Arrow): a column of n rows has a
 * validity bitmap (bit i, least significant first, is 1 when row i is not
 * NULL; no bitmap means no NULLs) and then, by type:
 *
 *   BOOLEAN             data: n bytes, 0 or 1
 *   LONG TIMESTAMP DATE data: n int64 (TIMESTAMP: microseconds since
 *                       1970-01-01 UTC; DATE: days since 1970-01-01)
 *   DOUBLE              data: n doubles
 *   STRING BINARY       off: n+1 uint32 offsets into data (off[0] = 0)
 *   STRUCT              child[k]: one column of n rows per field
 *   ARRAY               off: n+1 offsets into child[0], the elements
 *
 * A NULL row still has a slot: 0 in fixed columns, an empty range in
 * variable ones, a NULL row in each struct child.
 */
#ifndef SP_VALUE_H
#define SP_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

enum sp_type_id {
	SP_T_NULL = 0,		/* only as the type of an untyped NULL expression */
	SP_T_BOOLEAN = 1,
	SP_T_LONG = 2,
	SP_T_DOUBLE = 3,
	SP_T_STRING = 4,
	SP_T_BINARY = 5,
	SP_T_TIMESTAMP = 6,
	SP_T_DATE = 7,
	SP_T_STRUCT = 8,
	SP_T_ARRAY = 9,
};
#define SP_T_MAX SP_T_ARRAY

/* Field flags, carried in schema frames. */
enum sp_field_flags {
	SP_FIELD_KEY = 1 << 0,	/* part of the row key (update-mode upserts) */
};

struct sp_type;

struct sp_field {
	char *name;
	struct sp_type *type;
	unsigned flags;		/* enum sp_field_flags */
};

struct sp_type {
	enum sp_type_id id;
	unsigned refs;		/* 0 for the static primitive types */
	size_t nfields;		/* STRUCT */
	struct sp_field *fields;	/* STRUCT */
	struct sp_type *elem;	/* ARRAY */
};

/* Maximum nesting of STRUCT/ARRAY, in DDL, frames and JSON. */
#define SP_TYPE_MAX_DEPTH 64
/* Maximum number of fields of one struct. */
#define SP_TYPE_MAX_FIELDS 65536

/* The shared primitive type for id (not STRUCT/ARRAY). Never freed. */
struct sp_type *sp_type_prim(enum sp_type_id id);
/* A new empty STRUCT; add fields with sp_type_add_field(). */
struct sp_type *sp_type_new_struct(void);
/* A new ARRAY type; takes the reference to elem. */
struct sp_type *sp_type_new_array(struct sp_type *elem);
/* Appends a field to a STRUCT type still being built; copies name, takes type. */
void sp_type_add_field(struct sp_type *st, const char *name, struct sp_type *type, unsigned flags);
struct sp_type *sp_type_ref(struct sp_type *t);
void sp_type_unref(struct sp_type *t);
int sp_type_equal(const struct sp_type *a, const struct sp_type *b);
/* Field index by name: exact match first, then ASCII case-insensitive (as Spark). -1 if none. */
int sp_type_field_index(const struct sp_type *st, const char *name, size_t len);
/* "LONG", "STRING", ... (upper case, for DDL and messages). */
const char *sp_type_name(enum sp_type_id id);
/* Spark's simpleString of a type, lower case: "bigint", "struct<a:bigint>". New string. */
char *sp_type_simple_new(const struct sp_type *t);
/* DDL text: "a STRING, b STRUCT<x: LONG>" for a struct, "ARRAY<LONG>" otherwise. New string. */
char *sp_type_ddl_new(const struct sp_type *t);
/*
 * Parses a DDL schema: "name TYPE [NOT NULL] [COMMENT 'x'], ...". Types are
 * Spark's names and aliases (STRING, LONG/BIGINT/INT/INTEGER/SHORT/SMALLINT/
 * BYTE/TINYINT, DOUBLE/FLOAT/REAL/DECIMAL(p,s), BOOLEAN, BINARY, TIMESTAMP,
 * DATE, STRUCT<a: T, ...>, ARRAY<T>), case-insensitive; names may be
 * `back-quoted`. On success *out is a new STRUCT type.
 */
int sp_type_parse_ddl(const char *ddl, struct sp_type **out, struct sp_err *err);
/* Parses one type ("ARRAY<STRING>"); *out is new. */
int sp_type_parse_one(const char *text, struct sp_type **out, struct sp_err *err);

/* ---- columns ---- */

struct sp_col {
	const struct sp_type *type;	/* borrowed from the batch's schema */
	size_t n;		/* rows */
	uint8_t *valid;		/* validity bitmap, NULL when no row is NULL */
	void *data;		/* fixed-size values, or the bytes of STRING/BINARY */
	uint32_t *off;		/* n+1 offsets: STRING, BINARY, ARRAY */
	size_t nchild;
	struct sp_col *child;	/* STRUCT: one per field; ARRAY: the elements */
	/* capacities; all 0 for a column that borrows its memory */
	size_t cap, datacap, validcap;
	int owned;
};

/* A column that owns its memory, empty, of type t (t is borrowed and must outlive it). */
void sp_col_init(struct sp_col *c, const struct sp_type *t);
void sp_col_release(struct sp_col *c);
/* Empties an owned column, keeping its memory. */
void sp_col_reset(struct sp_col *c);

static inline int sp_col_isnull(const struct sp_col *c, size_t i)
{
	return c->valid && !(c->valid[i >> 3] >> (i & 7) & 1);
}
static inline int64_t sp_col_i64(const struct sp_col *c, size_t i)
{
	return ((const int64_t *)c->data)[i];
}
static inline double sp_col_f64(const struct sp_col *c, size_t i)
{
	return ((const double *)c->data)[i];
}
static inline int sp_col_bool(const struct sp_col *c, size_t i)
{
	return ((const uint8_t *)c->data)[i];
}
static inline const char *sp_col_str(const struct sp_col *c, size_t i, size_t *len)
{
	*len = c->off[i + 1] - c->off[i];
	return (const char *)c->data + c->off[i];
}

/* Appending to an owned column. STRUCT: push into every child, then sp_col_push_struct(). */
void sp_col_push_null(struct sp_col *c);	/* for STRUCT also pushes NULL into each child */
void sp_col_push_i64(struct sp_col *c, int64_t v);	/* LONG, TIMESTAMP, DATE */
void sp_col_push_f64(struct sp_col *c, double v);
void sp_col_push_bool(struct sp_col *c, int v);
void sp_col_push_bytes(struct sp_col *c, const void *p, size_t len);	/* STRING, BINARY */
void sp_col_push_struct(struct sp_col *c);	/* a non-NULL struct row; children already pushed */
void sp_col_push_array(struct sp_col *c);	/* a non-NULL array row ending at child[0].n */
/* Appends row i of src (same type) to dst, deeply. */
void sp_col_push_from(struct sp_col *dst, const struct sp_col *src, size_t i);

/* ---- single values, as expressions see them ---- */

struct sp_val {
	enum sp_type_id t;	/* SP_T_NULL: a NULL of unknown type */
	int null;		/* 1: SQL NULL (t still says the type, when known) */
	union {
		int64_t i;	/* LONG, TIMESTAMP (us), DATE (days) */
		double d;
		int b;
		struct {
			const char *p;
			size_t len;
		} s;		/* STRING, BINARY: borrowed bytes */
		struct {
			const struct sp_col *col;	/* a STRUCT column */
			size_t row;
		} st;		/* STRUCT */
		struct {
			const struct sp_col *elems;	/* element column */
			size_t start, len;
		} arr;		/* ARRAY */
	} u;
};

/* Row i of c as a value (borrowing c). */
void sp_col_get(const struct sp_col *c, size_t i, struct sp_val *v);
/* Appends v to c. v's type must match c's (callers cast first); a NULL value pushes NULL. */
void sp_col_push_val(struct sp_col *c, const struct sp_val *v);

/* ---- batches ---- */

struct sp_batch {
	struct sp_type *schema;	/* one reference held */
	size_t n;		/* rows */
	struct sp_col *cols;	/* schema->nfields columns */
};

/* An empty batch of owned columns for schema (takes a new reference). */
void sp_batch_init(struct sp_batch *b, struct sp_type *schema);
void sp_batch_release(struct sp_batch *b);
/* Empties an owned batch, keeping its memory. */
void sp_batch_reset(struct sp_batch *b);
/* After pushing one value into every column: counts the row. */
static inline void sp_batch_row_done(struct sp_batch *b)
{
	b->n++;
}
/* Approximate bytes held by a column (for flushing decisions and metrics). */
size_t sp_col_bytes(const struct sp_col *c);

/* ---- scratch memory ---- */

/* A bump allocator reset once per row or batch. Blocks are kept for reuse. */
struct sp_arena {
	char *cur, *end;
	struct sp_arena_block *blocks, *spare;
};
#define SP_ARENA_INIT { 0, 0, 0, 0 }
void *sp_arena_alloc(struct sp_arena *a, size_t n);	/* 8-byte aligned */
void sp_arena_reset(struct sp_arena *a);
void sp_arena_release(struct sp_arena *a);

#endif
