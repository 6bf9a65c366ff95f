/*
 * codec-text.c: Spark's text source and sink, one line per row.
 *
 * Reading gives a single column "value STRING": a row per line, with the
 * line break removed (\n, \r\n or a lone \r, as Hadoop's line reader
 * splits them; or exactly lineSep when it is set), empty lines included;
 * with wholetext, each input is one row, bytes untouched. Writing takes a
 * single STRING column and writes each value and lineSep ("\n"); a NULL
 * becomes an empty line, as Spark's TextOutputWriter does.
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sp_dec {
	int wholetext;
	char *lsep;		/* NULL: \n, \r\n or \r */
	size_t lseplen;
	struct sp_type *schema;
	int at_start;		/* before the first byte of an input (byte order mark) */
	int done;		/* wholetext: this input's row was emitted */
};

static int text_dec_new(struct sp_dec **out, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_dec *d = sp_xcalloc(1, sizeof *d);
	const char *v;

	(void)err;
	d->wholetext = sp_kvs_bool(o, "wholetext", 0);
	v = sp_kvs_get(o, "lineSep", NULL);
	if (v) {
		if (!*v)
			sp_usage_error("option -o lineSep=: the line separator cannot be empty");
		d->lsep = sp_xstrdup(v);
		d->lseplen = strlen(v);
	}
	d->at_start = 1;
	*out = d;
	return 0;
}

static struct sp_type *text_schema_new(void)
{
	struct sp_type *st = sp_type_new_struct();

	sp_type_add_field(st, "value", sp_type_prim(SP_T_STRING), 0);
	return st;
}

static struct sp_type *text_dec_inferred(struct sp_dec *d)
{
	(void)d;
	return text_schema_new();
}

/* Spark's text source holds exactly one string column. */
static int check_schema(const struct sp_type *st, struct sp_err *err, int usage)
{
	int (*fail)(struct sp_err *, const char *, ...) = usage ? sp_err_usage : sp_err_set;

	if (st->nfields != 1)
		return fail(err, "Text data source supports only a single column, and you have %zu columns",
			    st->nfields);
	if (st->fields[0].type->id != SP_T_STRING) {
		char *simple = sp_type_simple_new(st->fields[0].type);

		fail(err, "Text data source does not support %s data type (column '%s')", simple, st->fields[0].name);
		free(simple);
		return -1;
	}
	return 0;
}

static int text_dec_set_schema(struct sp_dec *d, struct sp_type *schema, struct sp_err *err)
{
	if (check_schema(schema, err, 1) < 0)
		return -1;
	sp_type_unref(d->schema);
	d->schema = sp_type_ref(schema);
	return 0;
}

static struct sp_type *text_dec_schema(struct sp_dec *d)
{
	return d->schema;
}

static void text_dec_start(struct sp_dec *d, const char *name)
{
	(void)name;
	d->at_start = 1;
	d->done = 0;
}

static ssize_t text_decode(struct sp_dec *d, const char *buf, size_t len, int eof, struct sp_batch *b,
			   size_t max_rows, struct sp_err *err)
{
	size_t pos = 0, added = 0;

	(void)err;
	if (!d->schema)
		return sp_err_set(err, "text: decoding without a schema");
	if (d->wholetext) {
		if (!eof || d->done || !max_rows)
			return 0;
		sp_col_push_bytes(&b->cols[0], buf, len);
		sp_batch_row_done(b);
		d->done = 1;
		return (ssize_t)len;
	}
	if (d->at_start) {
		if (len < 3 && !eof && !memcmp(buf, "\xef\xbb\xbf", len))
			return 0;
		if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
			pos = 3;
		d->at_start = 0;
	}
	while (added < max_rows && pos < len) {
		const char *s = buf + pos, *e = buf + len, *nl, *end;
		size_t next;

		if (d->lsep) {
			nl = d->lseplen == 1 ? memchr(s, d->lsep[0], (size_t)(e - s))
					     : memmem(s, (size_t)(e - s), d->lsep, d->lseplen);
			end = nl ? nl : e;
			next = nl ? (size_t)(nl - buf) + d->lseplen : len;
		} else {
			const char *cr;

			nl = memchr(s, '\n', (size_t)(e - s));
			cr = memchr(s, '\r', (size_t)((nl ? nl : e) - s));
			if (cr) {
				/* \r\n is one break; a \r at the end of the buffer may be its first half */
				if (cr + 1 == e && !eof)
					break;
				end = cr;
				next = (size_t)(cr - buf) + 1 + (cr + 1 < e && cr[1] == '\n');
				nl = cr;
			} else {
				end = nl ? nl : e;
				next = nl ? (size_t)(nl - buf) + 1 : len;
			}
		}
		if (!nl && !eof)
			break;
		sp_col_push_bytes(&b->cols[0], s, (size_t)(end - s));
		sp_batch_row_done(b);
		added++;
		pos = next;
	}
	return (ssize_t)pos;
}

static uint64_t text_dec_dropped(struct sp_dec *d)
{
	(void)d;
	return 0;
}

static void text_dec_free(struct sp_dec *d)
{
	if (!d)
		return;
	sp_type_unref(d->schema);
	free(d->lsep);
	free(d);
}

const struct sp_dec_class sp_text_dec = {
	"text",
	"wholetext, lineSep",
	text_dec_new,
	NULL,
	text_dec_inferred,
	text_dec_set_schema,
	text_dec_schema,
	text_dec_start,
	text_decode,
	text_dec_dropped,
	text_dec_free,
};

struct sp_enc {
	char *lsep;
	size_t lseplen;
	struct sp_type *checked;	/* the last schema found writable */
};

static int text_enc_new(struct sp_enc **out, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_enc *e = sp_xcalloc(1, sizeof *e);
	const char *v = sp_kvs_get(o, "lineSep", "\n");

	(void)err;
	if (!*v)
		sp_usage_error("option -o lineSep=: the line separator cannot be empty");
	e->lsep = sp_xstrdup(v);
	e->lseplen = strlen(v);
	v = sp_kvs_get(o, "compression", NULL);
	if (v && strcasecmp(v, "none") && strcasecmp(v, "uncompressed"))
		sp_usage_error("option -o compression=%s: only none is supported", v);
	*out = e;
	return 0;
}

static void text_enc_start(struct sp_enc *e)
{
	(void)e;
}

static int text_encode(struct sp_enc *e, const struct sp_batch *b, struct sp_buf *out, struct sp_err *err)
{
	const struct sp_col *c;

	if (b->schema != e->checked) {
		if (check_schema(b->schema, err, 0) < 0)
			return -1;
		sp_type_unref(e->checked);
		e->checked = sp_type_ref(b->schema);
	}
	c = &b->cols[0];
	for (size_t i = 0; i < b->n; i++) {
		if (!sp_col_isnull(c, i)) {
			size_t n;
			const char *s = sp_col_str(c, i, &n);

			sp_buf_add(out, s, n);
		}
		sp_buf_add(out, e->lsep, e->lseplen);
	}
	return 0;
}

static void text_enc_free(struct sp_enc *e)
{
	if (!e)
		return;
	sp_type_unref(e->checked);
	free(e->lsep);
	free(e);
}

const struct sp_enc_class sp_text_enc = {
	"text",
	"lineSep, compression",
	text_enc_new,
	text_enc_start,
	text_encode,
	text_enc_free,
};
