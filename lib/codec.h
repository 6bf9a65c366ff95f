/*
 * codec.h: text formats in and out of batches (JSON lines, CSV, text).
 *
 * A decoder turns records of text into rows; an encoder turns rows into
 * text. Each format is a class with the same entry points, so stream-read
 * and stream-write treat them alike. Options are Spark's DataFrameReader/
 * Writer options, taken from -o key=value (struct sp_kvs): each class reads
 * the keys it knows with sp_kvs_get() and friends, so the command can
 * report the ones nobody asked for.
 *
 * Decoding, step by step:
 *   cls->new(&d, opts, &err)
 *   if no schema was given: cls->infer(d, ...) over sample data, then
 *       schema = cls->inferred(d)
 *   cls->set_schema(d, schema, &err)  -- the output schema is then
 *       cls->schema(d) (the given one, plus _corrupt_record in PERMISSIVE
 *       mode when the user's schema names it, as Spark does)
 *   for each input: cls->start(d, name); cls->decode(...) over its bytes
 *   cls->free(d)
 *
 * Malformed records follow Spark's "mode" option: PERMISSIVE (the default:
 * the row is kept with NULLs where values could not be read, and the raw
 * text goes into the corrupt-record column if the schema has one),
 * DROPMALFORMED (the row is dropped, and counted), FAILFAST (decode fails
 * with an error naming the input and line: "'a.json' line 3: malformed
 * JSON: expected ',' or '}' at column 17").
 */
#ifndef SP_CODEC_H
#define SP_CODEC_H

#include <sys/types.h>

#include "buf.h"
#include "opt.h"
#include "value.h"

enum sp_parse_mode { SP_PERMISSIVE, SP_DROPMALFORMED, SP_FAILFAST };

/* Reads Spark's "mode" option (case-insensitive); exits 2 on a bad value. */
enum sp_parse_mode sp_parse_mode_opt(struct sp_kvs *o);

struct sp_dec;

struct sp_dec_class {
	const char *name;	/* "json" */
	const char *keys;	/* the -o keys it reads, for messages: "mode, columnNameOfCorruptRecord, ..." */
	/* A new decoder configured from o (bad option values exit 2). */
	int (*new)(struct sp_dec **d, struct sp_kvs *o, struct sp_err *err);
	/*
	 * Schema inference over sample text: consumes up to max_records complete
	 * records from buf (with eof, a last record without a newline counts);
	 * sets *used to the bytes consumed and returns the records consumed, or
	 * -1. NULL for formats whose schema is fixed (text).
	 */
	ssize_t (*infer)(struct sp_dec *d, const char *buf, size_t len, int eof, size_t max_records,
			 size_t *used, struct sp_err *err);
	/* The schema inferred so far (a new reference; an empty struct if nothing was seen). */
	struct sp_type *(*inferred)(struct sp_dec *d);
	/* Fixes the schema rows are decoded to (the decoder takes its own reference). */
	int (*set_schema)(struct sp_dec *d, struct sp_type *schema, struct sp_err *err);
	/* The schema of decoded rows (borrowed). */
	struct sp_type *(*schema)(struct sp_dec *d);
	/* A new input begins: name ("'a.json'", "standard input") for messages; lines count from 1. */
	void (*start)(struct sp_dec *d, const char *name);
	/*
	 * Decodes complete records from buf into new rows of b (whose schema is
	 * cls->schema(d)), stopping after max_rows rows have been added. Returns
	 * the bytes consumed (the caller passes the rest again with more data),
	 * or -1. A record is complete when its newline is in buf, or at eof.
	 */
	ssize_t (*decode)(struct sp_dec *d, const char *buf, size_t len, int eof, struct sp_batch *b,
			  size_t max_rows, struct sp_err *err);
	/* Records dropped as malformed so far (DROPMALFORMED). */
	uint64_t (*dropped)(struct sp_dec *d);
	void (*free)(struct sp_dec *d);
};

extern const struct sp_dec_class sp_json_dec;
extern const struct sp_dec_class sp_csv_dec;
extern const struct sp_dec_class sp_text_dec;
/* The class for a format name, or NULL. */
const struct sp_dec_class *sp_dec_find(const char *name);

struct sp_enc;

struct sp_enc_class {
	const char *name;
	const char *keys;
	int (*new)(struct sp_enc **e, struct sp_kvs *o, struct sp_err *err);
	/* A new output file begins (CSV writes its header line again when header=true). */
	void (*start)(struct sp_enc *e);
	/* Appends the text of every row of b to out. */
	int (*encode)(struct sp_enc *e, const struct sp_batch *b, struct sp_buf *out, struct sp_err *err);
	void (*free)(struct sp_enc *e);
};

extern const struct sp_enc_class sp_json_enc;
extern const struct sp_enc_class sp_csv_enc;
extern const struct sp_enc_class sp_text_enc;
const struct sp_enc_class *sp_enc_find(const char *name);

/* ---- JSON for single values (from_json, to_json) ---- */

/*
 * Parses one JSON text as a value of c's type and appends it to c. On
 * malformed input or a type mismatch at the top level, appends NULL and
 * returns -1 (Spark's from_json in PERMISSIVE mode); fields that do not fit
 * their type become NULL. Returns 0 otherwise.
 */
int sp_json_parse_into(struct sp_col *c, const char *s, size_t len);
/* Appends v as JSON text (to_json; struct fields that are NULL are left out, as Spark does). */
void sp_json_write_val(struct sp_buf *out, const struct sp_val *v);

#endif
