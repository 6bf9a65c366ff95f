/*
 * fuzz-csv: bytes into the CSV decoder, with the options chosen by the
 * first two bytes (multiLine, header, inferSchema, mode, delimiter,
 * quoting, whitespace), fed in pieces of every size; the rows are then
 * written back as CSV and read again. Must never crash, leak or read
 * out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void add(struct sp_kvs *o, const char *k, const char *v)
{
	sp_kvs_set(o, k, v);
}

/* Decodes all of in (len bytes) in pieces of chunk bytes, at most max_rows per call. */
static int decode(const struct sp_dec_class *cls, struct sp_dec *d, const char *in, size_t len, size_t chunk,
		  size_t max_rows, struct sp_batch *b)
{
	struct sp_err err = SP_ERR_INIT;
	size_t off = 0, avail = chunk < len ? chunk : len;

	cls->start(d, "'fuzz.csv'");
	for (;;) {
		int eof = avail == len;
		size_t before = b->n;
		ssize_t n = cls->decode(d, in + off, avail - off, eof, b, max_rows, &err);

		if (n < 0)
			return -1;
		if ((size_t)n > avail - off)
			abort();
		off += (size_t)n;
		if (eof && !n && b->n == before)
			break;
		if (!eof)
			avail = avail + chunk < len ? avail + chunk : len;
	}
	if (off != len)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const seps[] = { ",", ";", "\\t", "||", "¦", ",", ",", "," };
	static const char *const modes[] = { "PERMISSIVE", "DROPMALFORMED", "FAILFAST", "PERMISSIVE" };
	const struct sp_dec_class *cls = &sp_csv_dec;
	struct sp_kvs o = SP_KVS_INIT, wo = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d = NULL;
	struct sp_enc *e = NULL;
	struct sp_type *schema = NULL;
	struct sp_batch b = { NULL, 0, NULL };
	struct sp_buf text = SP_BUF_INIT;
	const char *in;
	size_t len, used;
	uint8_t f, g;

	if (size < 2)
		return 0;
	f = data[0];
	g = data[1];
	in = (const char *)data + 2;
	len = size - 2;
	if (f & 1)
		add(&o, "multiLine", "true");
	if (f & 2)
		add(&o, "header", "true");
	if (f & 4)
		add(&o, "inferSchema", "true");
	add(&o, "mode", modes[(f >> 3) & 3]);
	add(&o, "sep", seps[(f >> 5) & 7]);
	if (g & 1)
		add(&o, "escape", "\"");
	if (g & 2)
		add(&o, "ignoreLeadingWhiteSpace", "true");
	if (g & 4)
		add(&o, "ignoreTrailingWhiteSpace", "true");
	if (g & 8)
		add(&o, "comment", "#");
	if (g & 16)
		add(&o, "nullValue", "NULL");
	if (cls->new(&d, &o, &err) < 0)
		goto done;
	if (g & 32) {
		if (sp_type_parse_ddl("a STRING, b LONG, c DOUBLE, d BOOLEAN, e TIMESTAMP, f DATE, _corrupt_record STRING",
				      &schema, &err) < 0)
			goto done;
	} else {
		cls->start(d, "'fuzz.csv'");
		if (cls->infer(d, in, len, 1, SIZE_MAX, &used, &err) < 0)
			goto done;
		if (used != len)
			abort();
		schema = cls->inferred(d);
	}
	if (cls->set_schema(d, schema, &err) < 0)
		goto done;
	sp_batch_init(&b, cls->schema(d));
	if (decode(cls, d, in, len, (size_t)(g >> 6) * 3 + 1 + (len & 7), (size_t)((f ^ g) & 3) + 1, &b) < 0)
		goto done;
	/* write the rows and read them back */
	add(&wo, "header", (f & 2) ? "true" : "false");
	add(&wo, "sep", seps[(f >> 5) & 7]);
	if (sp_csv_enc.new(&e, &wo, &err) < 0)
		goto done;
	sp_csv_enc.start(e);
	if (sp_csv_enc.encode(e, &b, &text, &err) < 0)
		goto done;
	sp_batch_reset(&b);
	sp_kvs_set(&o, "mode", "PERMISSIVE");
	cls->free(d);
	d = NULL;
	if (cls->new(&d, &o, &err) < 0 || cls->set_schema(d, schema, &err) < 0)
		goto done;
	decode(cls, d, text.p ? text.p : "", text.len, text.len + 1, SIZE_MAX, &b);
done:
	if (b.schema)
		sp_batch_release(&b);
	sp_type_unref(schema);
	if (d)
		cls->free(d);
	if (e)
		sp_csv_enc.free(e);
	sp_buf_release(&text);
	sp_kvs_release(&o);
	sp_kvs_release(&wo);
	return 0;
}
