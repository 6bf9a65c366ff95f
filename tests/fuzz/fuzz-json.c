/*
 * fuzz-json.c: libFuzzer target for the JSON lines codec. The input is
 * read as JSON lines with a fixed nested schema in each mode (its first
 * byte picks the allow* options and where the input is split in two
 * chunks), written back out, and run through schema inference and
 * from_json. Besides not crashing or leaking, it checks that:
 *   - every column of a decoded batch has as many rows as the batch;
 *   - what the writer produced is well-formed JSON, one object per row;
 *   - an inferred schema survives a DDL round trip and decodes the input.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

static const char ddl[] =
	"b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, bin BINARY, "
	"st STRUCT<x: DOUBLE, y: ARRAY<STRING>, z: STRUCT<q: LONG>>, "
	"a ARRAY<STRUCT<k: STRING, v: LONG>>, aa ARRAY<ARRAY<LONG>>, _corrupt_record STRING";

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-json: invariant broken: %s\n", what);
		abort();
	}
}

static int consistent(const struct sp_col *c, size_t n)
{
	if (c->n != n)
		return 0;
	if (c->type->id == SP_T_STRUCT)
		for (size_t k = 0; k < c->nchild; k++)
			if (!consistent(&c->child[k], n))
				return 0;
	if (c->type->id == SP_T_ARRAY)
		return consistent(c->child, c->off[n]);
	return 1;
}

static void set_opts(struct sp_kvs *kv, unsigned bits, const char *mode)
{
	sp_kvs_set(kv, "mode", mode);
	sp_kvs_set(kv, "allowComments", bits & 1 ? "true" : "false");
	sp_kvs_set(kv, "allowUnquotedFieldNames", bits & 2 ? "true" : "false");
	sp_kvs_set(kv, "allowSingleQuotes", bits & 4 ? "false" : "true");
	sp_kvs_set(kv, "allowNumericLeadingZeros", bits & 8 ? "true" : "false");
	sp_kvs_set(kv, "allowNonNumericNumbers", bits & 16 ? "false" : "true");
	sp_kvs_set(kv, "allowBackslashEscapingAnyCharacter", bits & 32 ? "true" : "false");
	sp_kvs_set(kv, "allowUnquotedControlChars", bits & 64 ? "true" : "false");
	sp_kvs_set(kv, "primitivesAsString", bits & 128 ? "true" : "false");
}

/* Decodes all of text with schema into b; returns 0, or -1 on a FAILFAST error. */
static int decode_all(struct sp_dec *d, const char *text, size_t len, size_t split, struct sp_batch *b)
{
	struct sp_err err = SP_ERR_INIT;
	size_t off = 0, avail = split < len ? split : len;
	ssize_t n;

	sp_json_dec.start(d, "'fuzz'");
	for (;;) {
		int eof = avail == len;

		n = sp_json_dec.decode(d, text + off, avail - off, eof, b, 100000, &err);
		if (n < 0) {
			check(err.set && err.msg[0], "an error has a message");
			return -1;
		}
		off += (size_t)n;
		if (eof) {
			check(off == len, "everything is consumed at the end");
			return 0;
		}
		avail = len;
	}
}

/* The writer's output is JSON: read it back with no columns at all, in FAILFAST mode. */
static void check_output(const struct sp_buf *out, size_t rows)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *none = sp_type_new_struct();
	struct sp_dec *d;
	struct sp_batch b;

	sp_kvs_set(&kv, "mode", "FAILFAST");
	sp_json_dec.new(&d, &kv, &err);
	sp_json_dec.set_schema(d, none, &err);
	sp_batch_init(&b, none);
	check(decode_all(d, out->p ? out->p : "", out->len, out->len, &b) == 0, "the writer writes JSON");
	check(b.n == rows, "one line per row");
	sp_batch_release(&b);
	sp_json_dec.free(d);
	sp_type_unref(none);
	sp_kvs_release(&kv);
}

static void run_mode(const char *text, size_t len, unsigned bits, size_t split, const char *mode,
		     struct sp_type *schema)
{
	struct sp_kvs kv = SP_KVS_INIT, ekv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_buf out = SP_BUF_INIT;
	struct sp_dec *d;
	struct sp_enc *e;
	struct sp_batch b;

	set_opts(&kv, bits, mode);
	sp_json_dec.new(&d, &kv, &err);
	sp_json_dec.set_schema(d, schema, &err);
	sp_batch_init(&b, sp_json_dec.schema(d));
	decode_all(d, text, len, split, &b);
	for (size_t k = 0; k < b.schema->nfields; k++)
		check(consistent(&b.cols[k], b.n), "columns hold one value per row");
	if (bits & 1)
		sp_kvs_set(&ekv, "ignoreNullFields", "false");
	sp_json_enc.new(&e, &ekv, &err);
	sp_json_enc.encode(e, &b, &out, &err);
	check_output(&out, b.n);
	sp_json_enc.free(e);
	sp_buf_release(&out);
	sp_batch_release(&b);
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
	sp_kvs_release(&ekv);
}

static void run_infer(const char *text, size_t len, unsigned bits, const char *mode)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_type *t, *back = NULL;
	size_t used = 0;
	char *s;

	set_opts(&kv, bits, mode);
	sp_kvs_set(&kv, "inferTimestamp", bits & 2 ? "true" : "false");
	sp_kvs_set(&kv, "dropFieldIfAllNull", bits & 4 ? "true" : "false");
	sp_json_dec.new(&d, &kv, &err);
	sp_json_dec.start(d, "'fuzz'");
	if (sp_json_dec.infer(d, text, len, 1, 1000000, &used, &err) >= 0) {
		t = sp_json_dec.inferred(d);
		if (t->nfields) {
			s = sp_type_ddl_new(t);
			check(sp_type_parse_ddl(s, &back, &err) == 0, "an inferred schema is valid DDL");
			check(sp_type_equal(t, back), "an inferred schema reads back the same");
			sp_type_unref(back);
			free(s);
		}
		/* the inferred schema reads the data it came from */
		if (!strcmp(mode, "PERMISSIVE"))
			run_mode(text, len, bits, len / 2, mode, t);
		sp_type_unref(t);
	}
	sp_json_dec.free(d);
	sp_kvs_release(&kv);
}

static void run_from_json(const char *text, size_t len, struct sp_type *schema)
{
	struct sp_col c;
	struct sp_type *arr = sp_type_new_array(sp_type_ref(schema->fields[8].type->elem));

	sp_col_init(&c, schema);
	sp_json_parse_into(&c, text, len);
	check(consistent(&c, 1), "from_json appends one row");
	sp_col_release(&c);
	sp_col_init(&c, arr);
	sp_json_parse_into(&c, text, len);
	check(consistent(&c, 1), "from_json appends one row");
	sp_col_release(&c);
	sp_type_unref(arr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sp_type *schema;
	struct sp_err err = SP_ERR_INIT;
	const char *text;
	unsigned bits;
	size_t len, split;

	if (!schema && sp_type_parse_ddl(ddl, &schema, &err) < 0)
		abort();
	if (size < 2)
		return 0;
	bits = data[0];
	split = data[1];
	text = (const char *)data + 2;
	len = size - 2;
	run_mode(text, len, bits, split, "PERMISSIVE", schema);
	run_mode(text, len, bits, split, "DROPMALFORMED", schema);
	run_mode(text, len, bits, split, "FAILFAST", schema);
	run_infer(text, len, bits, "PERMISSIVE");
	run_infer(text, len, bits, "DROPMALFORMED");
	run_infer(text, len, bits, "FAILFAST");
	run_from_json(text, len, schema);
	return 0;
}
