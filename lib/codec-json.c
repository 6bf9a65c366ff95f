/*
 * codec-json.c: the JSON lines format for stream-read and stream-write
 * (Spark's json source and sink), and from_json/to_json for single values.
 *
 * Reading is line by line: a record ends at "\n", "\r\n" or "\r" (or at
 * lineSep), blank lines are skipped, and each line is scanned once,
 * straight into the batch's columns (json-parse.c). A line holds one
 * object, or an array of objects giving one row each (as Spark reads
 * them); anything after the first complete value is ignored, as Spark's
 * reader does. What a malformed line becomes depends on the mode:
 *
 *   line                     PERMISSIVE               DROPMALFORMED  FAILFAST
 *   {"a": 1, "b": }          a, b NULL; raw line in   dropped        error
 *                            _corrupt_record
 *   {"a": "x", "b": 2}       a NULL, b 2 (partial     dropped        error
 *   (a LONG)                 result); raw line too
 *   5, "x", [1], null        all NULL; raw line       dropped        error
 *   [], blank                no row                   no row         no row
 *
 * The corrupt-record column is filled only when the schema has it (a
 * STRING); keys of that name in the records are ignored.
 *
 * With rescuedDataColumn (Databricks' option, and Auto Loader's
 * schemaEvolutionMode "rescue"), what does not fit the schema is kept
 * instead of lost: top-level keys the schema does not name, and values
 * that do not fit their column's type (the column is then NULL), go into
 * that STRING column as a JSON object of their original text, and the row
 * is not malformed for that. The column is NULL when nothing was rescued.
 *
 *   {"a": 1, "b": "x", "c": true}   (schema a LONG, b LONG)
 *   a 1, b NULL, _rescued_data {"b":"x","c":true}
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json-int.h"

struct sp_dec {
	struct sp_json_opts o;
	enum sp_parse_mode mode;
	char *corrupt;		/* columnNameOfCorruptRecord */
	char *rescue;		/* rescuedDataColumn, or NULL */
	char *sep;		/* lineSep, or NULL for \n, \r\n and \r */
	size_t seplen;
	struct sp_type *schema;
	struct sp_jnode *root;
	int corrupt_idx;	/* its column, or -1 */
	int rescue_idx;		/* the rescued-data column, or -1 */
	char *name;		/* of the input, for messages */
	unsigned long long line;
	int pending_cr;		/* the last record ended with '\r': a '\n' may follow */
	uint64_t dropped;
	struct sp_itype *inf;
	struct sp_buf scratch, scratch2, rescued;
};

static const char dec_keys[] =
	"mode, columnNameOfCorruptRecord, rescuedDataColumn, primitivesAsString, prefersDecimal, allowComments, "
	"allowUnquotedFieldNames, allowSingleQuotes, allowNumericLeadingZeros, allowNonNumericNumbers, "
	"allowBackslashEscapingAnyCharacter, allowUnquotedControlChars, dropFieldIfAllNull, samplingRatio, "
	"inferTimestamp, timestampFormat, timestampNTZFormat, dateFormat, timeZone, multiLine, encoding, lineSep";

/* Spark's default patterns: the only ones understood so far. */
static void check_pattern(struct sp_kvs *o, const char *key, const char *const *ok)
{
	const char *v = sp_kvs_get(o, key, NULL);

	if (!v)
		return;
	for (; *ok; ok++)
		if (!strcmp(v, *ok))
			return;
	sp_usage_error("option -o %s=%s: custom patterns are not supported yet (the default is %s)", key, v, ok[-1]);
}

static void check_encoding(struct sp_kvs *o)
{
	const char *keys[] = { "encoding", "charset" };

	for (int i = 0; i < 2; i++) {
		const char *v = sp_kvs_get(o, keys[i], NULL);

		if (v && strcasecmp(v, "UTF-8") && strcasecmp(v, "UTF8"))
			sp_usage_error("option -o %s=%s: only UTF-8 is supported", keys[i], v);
	}
}

/* The session time zone is UTC; Spark's timeZone option may only say so. */
static void check_zone(struct sp_kvs *o)
{
	static const char *const utc[] = { "UTC", "GMT", "Z", "Etc/UTC", "+00:00", "UTC+00:00", NULL };
	const char *v = sp_kvs_get(o, "timeZone", NULL);

	if (!v)
		return;
	for (const char *const *z = utc; *z; z++)
		if (!strcasecmp(v, *z))
			return;
	sp_usage_error("option -o timeZone=%s: only UTC is supported", v);
}

static char *line_sep(struct sp_kvs *o, size_t *len)
{
	const char *v = sp_kvs_get(o, "lineSep", NULL);

	if (!v)
		return NULL;
	if (!*v)
		sp_usage_error("option -o lineSep: it cannot be empty");
	*len = strlen(v);
	return sp_xstrdup(v);
}

static const char *const ts_patterns[] = { "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", NULL };
static const char *const ntz_patterns[] = { "yyyy-MM-dd'T'HH:mm:ss[.SSS]", NULL };
static const char *const date_patterns[] = { "yyyy-MM-dd", NULL };

static int json_dec_new(struct sp_dec **dp, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_dec *d = sp_xcalloc(1, sizeof *d);
	const char *v;
	char *end;
	double ratio;

	(void)err;
	d->mode = sp_parse_mode_opt(o);
	d->corrupt = sp_xstrdup(sp_kvs_get(o, "columnNameOfCorruptRecord", "_corrupt_record"));
	if ((v = sp_kvs_get(o, "rescuedDataColumn", NULL))) {
		if (!*v)
			sp_usage_error("option -o rescuedDataColumn: the column name cannot be empty");
		if (!strcmp(v, d->corrupt))
			sp_usage_error("option -o rescuedDataColumn=%s: the corrupt record column has that name", v);
		d->rescue = sp_xstrdup(v);
	}
	d->o.prims_as_string = sp_kvs_bool(o, "primitivesAsString", 0);
	/* decimals are DOUBLE here, so preferring them changes nothing */
	sp_kvs_bool(o, "prefersDecimal", 0);
	d->o.comments = sp_kvs_bool(o, "allowComments", 0);
	d->o.unquoted_names = sp_kvs_bool(o, "allowUnquotedFieldNames", 0);
	d->o.single_quotes = sp_kvs_bool(o, "allowSingleQuotes", 1);
	d->o.leading_zeros = sp_kvs_bool(o, "allowNumericLeadingZeros", 0);
	d->o.nonnumeric = sp_kvs_bool(o, "allowNonNumericNumbers", 1);
	d->o.any_escape = sp_kvs_bool(o, "allowBackslashEscapingAnyCharacter", 0);
	d->o.ctrl_chars = sp_kvs_bool(o, "allowUnquotedControlChars", 0);
	d->o.drop_all_null = sp_kvs_bool(o, "dropFieldIfAllNull", 0);
	d->o.infer_ts = sp_kvs_bool(o, "inferTimestamp", 0);
	if ((v = sp_kvs_get(o, "samplingRatio", NULL))) {
		/* accepted: inference sees the records it is given */
		ratio = strtod(v, &end);
		if (end == v || *end || !(ratio > 0 && ratio <= 1))
			sp_usage_error("option -o samplingRatio=%s: expected a number in (0, 1]", v);
	}
	check_pattern(o, "timestampFormat", ts_patterns);
	check_pattern(o, "timestampNTZFormat", ntz_patterns);
	check_pattern(o, "dateFormat", date_patterns);
	check_zone(o);
	if (sp_kvs_bool(o, "multiLine", 0))
		sp_usage_error("option -o multiLine=true: not supported yet for json (one record per line)");
	check_encoding(o);
	d->sep = line_sep(o, &d->seplen);
	d->corrupt_idx = d->rescue_idx = -1;
	d->name = sp_xstrdup("input");
	d->inf = sp_infer_new();
	*dp = d;
	return 0;
}

static void json_dec_free(struct sp_dec *d)
{
	if (!d)
		return;
	free(d->corrupt);
	free(d->rescue);
	free(d->sep);
	free(d->name);
	sp_jnode_free(d->root);
	sp_type_unref(d->schema);
	sp_infer_free(d->inf);
	sp_buf_release(&d->scratch);
	sp_buf_release(&d->scratch2);
	sp_buf_release(&d->rescued);
	free(d);
}

static void json_dec_start(struct sp_dec *d, const char *name)
{
	free(d->name);
	d->name = sp_xstrdup(name);
	d->line = 0;
	d->pending_cr = 0;
}

/* The first '\n' or '\r' in [p, end), or NULL: one pass instead of two memchr() calls. */
static const char *find_eol(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');

	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, cr)));

		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	for (; p < end; p++)
		if (*p == '\n' || *p == '\r')
			return p;
	return NULL;
}

/*
 * The next complete record of buf from *pos: 1 with its text in [*s, *e)
 * and *pos past its end, or 0 when there is none (yet).
 */
static int next_record(struct sp_dec *d, const char *buf, size_t len, int eof, size_t *pos, const char **s,
		       const char **e)
{
	const char *p = buf + *pos, *end = buf + len, *nl;

	if (d->pending_cr && p < end) {
		d->pending_cr = 0;
		if (*p == '\n')
			p++;
		*pos = (size_t)(p - buf);
	}
	if (p >= end)
		return 0;
	*s = p;
	if (d->sep) {
		if ((nl = memmem(p, (size_t)(end - p), d->sep, d->seplen))) {
			*e = nl;
			*pos = (size_t)(nl - buf) + d->seplen;
			return 1;
		}
	} else {
		if ((nl = find_eol(p, end)) && *nl == '\r') {
			*e = nl;
			if (nl + 1 < end) {
				*pos = (size_t)(nl - buf) + (nl[1] == '\n' ? 2 : 1);
			} else {
				*pos = len;
				d->pending_cr = !eof;
			}
			return 1;
		}
		if (nl) {
			*e = nl;
			*pos = (size_t)(nl - buf) + 1;
			return 1;
		}
	}
	if (!eof)
		return 0;
	*e = end;
	*pos = len;
	return 1;
}

static int malformed(struct sp_dec *d, const struct sp_jp *jp, const char *s, struct sp_err *err)
{
	if (!jp->err)
		return sp_err_set(err, "%s line %llu: malformed JSON", d->name, d->line);
	return sp_err_set(err, "%s line %llu: malformed JSON: %s at column %zu", d->name, d->line, jp->err,
			  (size_t)(jp->err_at - s) + 1);
}

/* One object, a row of b (its rescued data too). */
static int read_row(struct sp_dec *d, struct sp_jp *jp, struct sp_batch *b)
{
	if (d->rescue_idx >= 0)
		sp_buf_reset(&d->rescued);
	if (sp_jp_object(jp, d->root, b->cols, b->n) < 0)
		return -1;
	if (d->rescue_idx >= 0) {
		struct sp_col *c = &b->cols[d->rescue_idx];

		sp_col_cut(c, b->n);
		if (d->rescued.len) {
			d->rescued.p[0] = '{';
			sp_buf_addc(&d->rescued, '}');
			sp_col_push_bytes(c, d->rescued.p, d->rescued.len);
		} else {
			sp_col_push_null(c);
		}
	}
	b->n++;
	return 0;
}

/* A line holding an array: each element is an object and a row. */
static int top_array(struct sp_dec *d, struct sp_jp *jp, struct sp_batch *b)
{
	int ch;

	jp->p++;
	if (sp_jp_peek(jp) == ']')
		return 0;
	for (;;) {
		ch = sp_jp_peek(jp);
		if (ch != '{')
			return ch == -2 ? -1 : sp_jp_fail(jp, jp->p, ch == -1 ? "unexpected end of input" :
									   "expected a JSON object");
		if (read_row(d, jp, b) < 0)
			return -1;
		ch = sp_jp_peek(jp);
		if (ch == ',') {
			jp->p++;
			continue;
		}
		if (ch == ']')
			return 0;
		return ch == -2 ? -1 : sp_jp_fail(jp, jp->p, ch == -1 ? "unexpected end of input" :
								   "expected ',' or ']'");
	}
}

static int decode_record(struct sp_dec *d, const char *s, const char *e, struct sp_batch *b, struct sp_err *err)
{
	size_t first = b->n, ncols = b->schema->nfields;
	struct sp_jp jp;
	int ch, rc;

	sp_jp_init(&jp, &d->o, &d->scratch, &d->scratch2, s, (size_t)(e - s));
	jp.failfast = d->mode == SP_FAILFAST;
	jp.rescue = d->rescue_idx >= 0 ? &d->rescued : NULL;
	ch = sp_jp_peek(&jp);
	if (ch == '{') {
		rc = read_row(d, &jp, b);
	} else if (ch == '[') {
		rc = top_array(d, &jp, b);
	} else if (ch == -1) {
		return 0;
	} else {
		rc = ch == -2 ? -1 : sp_jp_fail(&jp, jp.p, "expected a JSON object");
	}
	if (rc == 0 && !jp.bad)
		return 0;
	if (rc < 0 || d->mode != SP_PERMISSIVE) {
		for (size_t i = 0; i < ncols; i++)
			sp_col_cut(&b->cols[i], first);
		b->n = first;
	}
	if (d->mode == SP_FAILFAST)
		return malformed(d, &jp, s, err);
	if (d->mode == SP_DROPMALFORMED) {
		d->dropped++;
		return 0;
	}
	if (rc < 0) {
		/* no partial result for broken syntax: a row of NULLs */
		for (size_t i = 0; i < ncols; i++)
			sp_col_push_null(&b->cols[i]);
		b->n++;
	}
	if (d->corrupt_idx >= 0) {
		struct sp_col *c = &b->cols[d->corrupt_idx];

		sp_col_cut(c, first);
		for (size_t r = first; r < b->n; r++)
			sp_col_push_bytes(c, s, (size_t)(e - s));
	}
	return 0;
}

static ssize_t json_decode(struct sp_dec *d, const char *buf, size_t len, int eof, struct sp_batch *b,
			   size_t max_rows, struct sp_err *err)
{
	size_t pos = 0, first = b->n;
	const char *s, *e;

	if (!d->root)
		return sp_err_set(err, "json: no schema set before decoding");
	while (b->n - first < max_rows && next_record(d, buf, len, eof, &pos, &s, &e)) {
		d->line++;
		if (decode_record(d, s, e, b, err) < 0)
			return -1;
	}
	return (ssize_t)pos;
}

static ssize_t json_infer(struct sp_dec *d, const char *buf, size_t len, int eof, size_t max_records, size_t *used,
			  struct sp_err *err)
{
	size_t pos = 0, n = 0;
	const char *s, *e;
	struct sp_jp jp;
	int rc;

	while (n < max_records && next_record(d, buf, len, eof, &pos, &s, &e)) {
		d->line++;
		sp_jp_init(&jp, &d->o, &d->scratch, &d->scratch2, s, (size_t)(e - s));
		if ((rc = sp_infer_record(&jp, d->inf)) == 1)
			continue;
		n++;
		if (rc == 0)
			continue;
		if (d->mode == SP_FAILFAST) {
			*used = pos;
			return malformed(d, &jp, s, err);
		}
		if (d->mode == SP_PERMISSIVE)
			sp_infer_add_corrupt(d->inf, d->corrupt, rc == 2);
	}
	*used = pos;
	return (ssize_t)n;
}

static struct sp_type *json_inferred(struct sp_dec *d)
{
	return sp_infer_schema(d->inf, &d->o);
}

/* The STRING column named name (what for messages), or -1. */
static int string_column(const struct sp_type *schema, const char *name, const char *what, struct sp_err *err)
{
	for (size_t i = 0; i < schema->nfields; i++)
		if (!strcmp(schema->fields[i].name, name)) {
			if (schema->fields[i].type->id != SP_T_STRING)
				return sp_err_usage(err, "the %s column '%s' must be a STRING, not %s", what, name,
						    sp_type_name(schema->fields[i].type->id)) - 1;
			return (int)i;
		}
	return -1;
}

static int json_set_schema(struct sp_dec *d, struct sp_type *schema, struct sp_err *err)
{
	struct sp_type *t;
	int ci, ri = -1;

	if ((ci = string_column(schema, d->corrupt, "corrupt record", err)) < -1)
		return -1;
	if (d->rescue && (ri = string_column(schema, d->rescue, "rescued data", err)) < -1)
		return -1;
	if (d->rescue && ri < 0) {
		/* the rescued-data column comes last, as Auto Loader adds it */
		t = sp_type_new_struct();
		for (size_t i = 0; i < schema->nfields; i++)
			sp_type_add_field(t, schema->fields[i].name, sp_type_ref(schema->fields[i].type),
					  schema->fields[i].flags);
		sp_type_add_field(t, d->rescue, sp_type_prim(SP_T_STRING), 0);
		ri = (int)t->nfields - 1;
	} else {
		t = sp_type_ref(schema);
	}
	sp_jnode_free(d->root);
	sp_type_unref(d->schema);
	d->schema = t;
	d->corrupt_idx = ci;
	d->rescue_idx = ri;
	d->root = sp_jnode_new(t, ci, ri);
	return 0;
}

static struct sp_type *json_schema(struct sp_dec *d)
{
	return d->schema;
}

static uint64_t json_dropped(struct sp_dec *d)
{
	return d->dropped;
}

const struct sp_dec_class sp_json_dec = {
	"json", dec_keys, json_dec_new, json_infer, json_inferred, json_set_schema, json_schema,
	json_dec_start, json_decode, json_dropped, json_dec_free,
};

/* ---- the writer ---- */

struct sp_enc {
	int ignore_null;
	char *sep;
	size_t seplen;
	struct sp_type *schema;	/* the schema keys were made for (one reference) */
	struct sp_buf keys;	/* ,"name": per top-level field */
	size_t *keyoff;		/* nfields + 1 offsets into keys */
	struct sp_jdates dc;
};

static const char enc_keys[] =
	"ignoreNullFields, lineSep, timestampFormat, timestampNTZFormat, dateFormat, timeZone, encoding, compression, pretty";

static int json_enc_new(struct sp_enc **ep, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_enc *e = sp_xcalloc(1, sizeof *e);
	const char *v;

	(void)err;
	e->ignore_null = sp_kvs_bool(o, "ignoreNullFields", 1);
	check_pattern(o, "timestampFormat", ts_patterns);
	check_pattern(o, "timestampNTZFormat", ntz_patterns);
	check_pattern(o, "dateFormat", date_patterns);
	check_zone(o);
	check_encoding(o);
	if ((v = sp_kvs_get(o, "compression", NULL)) && strcasecmp(v, "none") && strcasecmp(v, "uncompressed"))
		sp_usage_error("option -o compression=%s: not supported for json (none only)", v);
	if (sp_kvs_bool(o, "pretty", 0))
		sp_usage_error("option -o pretty=true: not supported (JSON lines are one record per line)");
	if (!(e->sep = line_sep(o, &e->seplen))) {
		e->sep = sp_xstrdup("\n");
		e->seplen = 1;
	}
	e->dc = (struct sp_jdates)SP_JDATES_INIT;
	*ep = e;
	return 0;
}

static void json_enc_free(struct sp_enc *e)
{
	if (!e)
		return;
	free(e->sep);
	sp_type_unref(e->schema);
	sp_buf_release(&e->keys);
	free(e->keyoff);
	free(e);
}

static void json_enc_start(struct sp_enc *e)
{
	(void)e;
}

static void make_keys(struct sp_enc *e, struct sp_type *schema)
{
	sp_type_unref(e->schema);
	e->schema = sp_type_ref(schema);
	sp_buf_reset(&e->keys);
	free(e->keyoff);
	e->keyoff = sp_xmalloc((schema->nfields + 1) * sizeof *e->keyoff);
	for (size_t k = 0; k < schema->nfields; k++) {
		e->keyoff[k] = e->keys.len;
		sp_buf_addc(&e->keys, ',');
		sp_jw_string(&e->keys, schema->fields[k].name, strlen(schema->fields[k].name));
		sp_buf_addc(&e->keys, ':');
	}
	e->keyoff[schema->nfields] = e->keys.len;
}

static int json_encode(struct sp_enc *e, const struct sp_batch *b, struct sp_buf *out, struct sp_err *err)
{
	size_t nf = b->schema->nfields;

	(void)err;
	if (b->schema != e->schema)
		make_keys(e, b->schema);
	for (size_t i = 0; i < b->n; i++) {
		int first = 1;

		sp_buf_addc(out, '{');
		for (size_t k = 0; k < nf; k++) {
			const struct sp_col *c = &b->cols[k];
			size_t ko = e->keyoff[k] + first;

			if (e->ignore_null && sp_col_isnull(c, i))
				continue;
			sp_buf_add(out, e->keys.p + ko, e->keyoff[k + 1] - ko);
			sp_jw_value(out, c, i, e->ignore_null, &e->dc);
			first = 0;
		}
		sp_buf_addc(out, '}');
		sp_buf_add(out, e->sep, e->seplen);
	}
	return 0;
}

const struct sp_enc_class sp_json_enc = {
	"json", enc_keys, json_enc_new, json_enc_start, json_encode, json_enc_free,
};

/* ---- from_json ---- */

/*
 * Compiled schemas for from_json, by type. Each entry holds a reference
 * to its type, so a pointer cannot come back as another type; the cache
 * is emptied at exit.
 */
#define PARSE_CACHE 8

static struct {
	struct sp_type *type;
	struct sp_jnode *node;
} parse_cache[PARSE_CACHE];
static unsigned parse_cache_next;
static struct sp_buf parse_scratch, parse_scratch2;

static void parse_cache_free(void)
{
	for (unsigned i = 0; i < PARSE_CACHE; i++) {
		sp_jnode_free(parse_cache[i].node);
		sp_type_unref(parse_cache[i].type);
		parse_cache[i].node = NULL;
		parse_cache[i].type = NULL;
	}
	sp_buf_release(&parse_scratch);
	sp_buf_release(&parse_scratch2);
}

static struct sp_jnode *parse_node(const struct sp_type *t)
{
	static int registered;
	unsigned i;

	for (i = 0; i < PARSE_CACHE; i++)
		if (parse_cache[i].type == t)
			return parse_cache[i].node;
	if (!registered) {
		atexit(parse_cache_free);
		registered = 1;
	}
	i = parse_cache_next++ % PARSE_CACHE;
	sp_jnode_free(parse_cache[i].node);
	sp_type_unref(parse_cache[i].type);
	/* types are immutable: the reference only keeps it alive */
	parse_cache[i].type = sp_type_ref((struct sp_type *)t);
	parse_cache[i].node = sp_jnode_new(t, -1, -1);
	return parse_cache[i].node;
}

int sp_json_parse_into(struct sp_col *c, const char *s, size_t len)
{
	static const struct sp_json_opts o = SP_JSON_OPTS_DEFAULT;
	struct sp_jnode *n = parse_node(c->type);
	size_t first = c->n;
	struct sp_jp jp;
	int ch, rc = -1;

	sp_jp_init(&jp, &o, &parse_scratch, &parse_scratch2, s, len);
	ch = sp_jp_peek(&jp);
	if (ch < 0 || ch == 'n') {
		/* nothing, or null: no row (Spark's from_json gives NULL) */
	} else if (c->type->id == SP_T_ARRAY && ch == '{' && c->type->elem->id == SP_T_STRUCT) {
		/* an object where an array of structs is expected: an array of one (SPARK-19595) */
		struct sp_col *elem = c->child;

		if ((rc = sp_jp_object(&jp, n->elem, elem->child, elem->n)) == 0) {
			sp_col_push_struct(elem);
			sp_col_push_array(c);
		}
	} else {
		rc = sp_jp_value(&jp, n, c);
	}
	if (rc == 0)
		return 0;
	sp_col_cut(c, first);
	sp_col_push_null(c);
	return -1;
}
