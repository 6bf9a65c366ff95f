/*
 * json-int.h: the JSON scanner behind the JSON lines codec (codec-json.c)
 * and from_json/to_json, shared by json-parse.c (reading into columns),
 * json-infer.c (schema inference) and json-write.c (writing).
 *
 * The scanner never builds a tree. A schema is compiled once into nodes
 * (struct sp_jnode) that know, per struct, how to find a field from its
 * key; values are then read straight into the column builders of a batch.
 * Every value is validated, including the ones the schema does not ask
 * for, so a record is either well-formed JSON (RFC 8259 plus the allow*
 * relaxations of Spark's reader) or malformed as a whole.
 *
 * Results of the readers: 0 the value was read; 1 (SP_JP_CONV) the value
 * was well-formed but does not fit its type (the caller turns it into
 * NULL, as Spark's partial results do); -1 the text is malformed (the
 * reason and position are in the struct sp_jp).
 */
#ifndef SP_JSON_INT_H
#define SP_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "value.h"

/* Spark's JSON reader options that change what the scanner accepts. */
struct sp_json_opts {
	int comments;		/* allowComments: C and C++ comments */
	int unquoted_names;	/* allowUnquotedFieldNames */
	int single_quotes;	/* allowSingleQuotes (Spark's default: on) */
	int leading_zeros;	/* allowNumericLeadingZeros */
	int nonnumeric;		/* allowNonNumericNumbers: NaN, Infinity (default on) */
	int any_escape;		/* allowBackslashEscapingAnyCharacter */
	int ctrl_chars;		/* allowUnquotedControlChars */
	/* inference only */
	int prims_as_string;	/* primitivesAsString */
	int drop_all_null;	/* dropFieldIfAllNull */
	int infer_ts;		/* inferTimestamp */
};
#define SP_JSON_OPTS_DEFAULT { 0, 0, 1, 0, 1, 0, 0, 0, 0, 0 }

/* Deepest nesting of arrays and objects accepted (Jackson's limit). */
#define SP_JSON_MAX_DEPTH 1000
/* Longest number accepted, in characters (Jackson's limit). */
#define SP_JSON_MAX_NUMBER 1000

#define SP_JP_CONV 1

/* One text being scanned. */
struct sp_jp {
	const char *p, *end;	/* cursor and end of the text */
	const char *start;	/* start of the text, for columns in messages */
	const struct sp_json_opts *o;
	struct sp_buf *scratch;	/* unescaped strings */
	struct sp_buf *scratch2;	/* decoded base64 */
	int depth;
	int bad;		/* a value did not fit its type (partial result) */
	int failfast;		/* a value that does not fit is an error at once */
	struct sp_buf *rescue;	/* rescued data: unknown top-level keys and values that do not fit, as
				 * ,"key":value text (NULL: off) */
	int rescued;		/* a value below the top level did not fit (rescue on) */
	const char *field;	/* the struct field being read, for messages */
	const char *err;	/* why the text is malformed */
	const char *err_at;	/* and where */
	char errbuf[192];
};

/* Starts scanning [s, s + len). */
void sp_jp_init(struct sp_jp *jp, const struct sp_json_opts *o, struct sp_buf *scratch, struct sp_buf *scratch2,
		const char *s, size_t len);

/* The next byte after blanks and comments, without taking it; -1 at the end, -2 on a bad comment. */
int sp_jp_peek(struct sp_jp *jp);
/* Skips one value of any kind, validating it. 0 or -1. */
int sp_jp_skip(struct sp_jp *jp);
/*
 * Reads a string whose opening quote is at jp->p; *s and *len are its
 * unescaped text (in the input when it had no escapes, else in
 * jp->scratch, valid until the next string). 0 or -1.
 */
int sp_jp_string(struct sp_jp *jp, const char **s, size_t *len);
/* Reads an object key (quoted, or bare with allowUnquotedFieldNames) and the ':' after it. */
int sp_jp_key(struct sp_jp *jp, const char **s, size_t *len);

/* A number token. */
struct sp_jnum {
	const char *s, *e;	/* its text */
	uint64_t mant;		/* up to 19 significant digits */
	int exp10;		/* value = mant * 10^exp10 (unless trunc) */
	int neg;
	int is_float;		/* has a fraction or an exponent (Jackson's VALUE_NUMBER_FLOAT) */
	int trunc;		/* more significant digits than mant holds */
	int special;		/* 1 NaN, 2 +Infinity, 3 -Infinity */
};
/* Reads a number (or NaN/Infinity when allowed) at jp->p. 0 or -1. */
int sp_jp_number(struct sp_jp *jp, struct sp_jnum *nm);
/* The number as a LONG: 0, or -1 when it is a float or out of range. */
int sp_jnum_i64(const struct sp_jnum *nm, int64_t *v);
/* The number as a DOUBLE, as Jackson's getDoubleValue. */
double sp_jnum_f64(const struct sp_jnum *nm);

/* Records that the text is malformed at `at`; returns -1. */
int sp_jp_fail(struct sp_jp *jp, const char *at, const char *why);

/* ---- schemas compiled for reading ---- */

struct sp_jfield {
	const char *name;	/* borrowed from the sp_type */
	size_t len;
	struct sp_jnode *node;
};

struct sp_jnode {
	const struct sp_type *type;	/* borrowed */
	enum sp_type_id id;
	size_t nfields;
	struct sp_jfield *fields;	/* STRUCT */
	uint32_t *slots;	/* STRUCT: hash of names, field index + 1, 0 when empty */
	uint32_t mask;
	uint32_t *next;		/* STRUCT: the field that followed field i last time ([nfields]: the first) */
	struct sp_jnode *elem;	/* ARRAY */
	int64_t ymd, days;	/* TIMESTAMP: the last date read (yyyymmdd) and its day number */
};

/*
 * Compiles t (borrowed: it must outlive the node); skip and skip2 name
 * top-level fields keys never match (the corrupt-record and rescued-data
 * columns), or are -1.
 */
struct sp_jnode *sp_jnode_new(const struct sp_type *t, int skip, int skip2);
void sp_jnode_free(struct sp_jnode *n);

/* Reads one value of node's type into c. 0, SP_JP_CONV (nothing pushed) or -1. */
int sp_jp_value(struct sp_jp *jp, struct sp_jnode *n, struct sp_col *c);
/*
 * Reads the object at jp->p into the struct fields cols (n->nfields
 * columns holding r rows): each field gets one value, NULL when missing or
 * when it does not fit (then jp->bad is set). Does not push the struct row
 * itself. 0 or -1 (with jp->failfast, a value that does not fit is -1).
 */
int sp_jp_object(struct sp_jp *jp, struct sp_jnode *n, struct sp_col *cols, size_t r);
/* Cuts c back to n rows, and its children to match (also values pushed for a row not yet counted). */
void sp_col_cut(struct sp_col *c, size_t n);

/* ---- inference ---- */

struct sp_itype;

/* A new accumulator: the empty struct. */
struct sp_itype *sp_infer_new(void);
void sp_infer_free(struct sp_itype *t);
/*
 * Infers the types of one record (a whole line) into the accumulator root.
 * Returns 0 when merged, 1 when the line was blank, 2 when the record is
 * not an object (Spark then adds the corrupt-record column), -1 when it is
 * malformed (reason in jp).
 */
int sp_infer_record(struct sp_jp *jp, struct sp_itype *root);
/* Adds a STRING field name to root (for malformed records); only_if_missing keeps an existing one as it is. */
void sp_infer_add_corrupt(struct sp_itype *root, const char *name, int only_if_missing);
/* Spark's canonical schema of what was seen: a new STRUCT type (maybe empty). */
struct sp_type *sp_infer_schema(const struct sp_itype *root, const struct sp_json_opts *o);

/* ---- writing ---- */

/* Date strings cached per day, to write many timestamps of the same day fast. */
struct sp_jdates {
	int64_t ts_day, date_day;
	char ts[24], date[24];
	size_t tslen, datelen;
};
#define SP_JDATES_INIT { INT64_MIN, INT64_MIN, "", "", 0, 0 }

/* Appends s as a JSON string (quotes included), escaped as Jackson does. */
void sp_jw_string(struct sp_buf *out, const char *s, size_t len);
/* Appends row i of c as JSON; NULL struct fields are left out when ignore_null. */
void sp_jw_value(struct sp_buf *out, const struct sp_col *c, size_t i, int ignore_null, struct sp_jdates *dc);

/* Length of the valid UTF-8 sequence (2 to 4 bytes) starting at p, or 0 (RFC 3629: no overlongs, no surrogates). */
static inline int sp_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return end - p >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (end - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (end - p < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

#endif
