/*
 * test-frame: the frame codec of stream-frame(5). Batches of every type go
 * through a writer and back through a reader unchanged, whole or cut into
 * frames, compressed or not; control frames keep their fields; and a
 * damaged stream (truncated anywhere, bytes flipped, hand-made bad frames)
 * is refused with a message that names the frame's offset. The worked
 * example of the man page is checked byte for byte against the encoder.
 *
 * "test-frame --bench [rows]" measures a pass-through (decode, then
 * encode) of a five-column batch instead, and prints rows per second.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "frame.h"
#include "timefmt.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-frame:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

static char tmpdir[] = "/tmp/test-frame-XXXXXX";
static const char *corpus_dir;	/* --corpus DIR: also save the seed streams there */

/* ---- random values ---- */

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double rnd_double(void)
{
	static const double special[] = { 0.0, -0.0, 1.0, -1.5, 1e300, 5e-324, INFINITY, -INFINITY };
	uint64_t u;
	double d;

	switch (rnd() % 4) {
	case 0:
		return special[rnd() % 8];
	case 1:
		u = rnd();
		memcpy(&d, &u, 8);
		return isnan(d) ? 0.25 : d;
	default:
		return (double)(int64_t)(rnd() % 200001 - 100000) / 100;
	}
}

/* Appends one random value (NULL with probability nullpct %) to an owned column. */
static void gen_value(struct sp_col *c, int nullpct)
{
	char s[40];
	size_t len;

	if ((int)(rnd() % 100) < nullpct) {
		sp_col_push_null(c);
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		sp_col_push_bool(c, (int)(rnd() & 1));
		break;
	case SP_T_DOUBLE:
		sp_col_push_f64(c, rnd_double());
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		len = rnd() % 4 == 0 ? 0 : rnd() % sizeof s;
		for (size_t i = 0; i < len; i++)
			s[i] = c->type->id == SP_T_STRING ? (char)('a' + rnd() % 26) : (char)rnd();
		sp_col_push_bytes(c, s, len);
		break;
	case SP_T_STRUCT:
		for (size_t i = 0; i < c->nchild; i++)
			gen_value(&c->child[i], nullpct);
		sp_col_push_struct(c);
		break;
	case SP_T_ARRAY:
		len = rnd() % 5;
		for (size_t i = 0; i < len; i++)
			gen_value(c->child, nullpct);
		sp_col_push_array(c);
		break;
	default:
		sp_col_push_i64(c, (int64_t)rnd() >> (rnd() % 64));
		break;
	}
}

static struct sp_type *ddl(const char *text)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL;

	if (sp_type_parse_ddl(text, &t, &err) < 0) {
		fprintf(stderr, "test-frame: %s\n", err.msg);
		exit(99);
	}
	return t;
}

/* A new batch of n random rows of schema (DDL text). */
static struct sp_batch *gen_batch(const char *schema, size_t n, int nullpct)
{
	struct sp_batch *b = sp_xcalloc(1, sizeof *b);
	struct sp_type *t = ddl(schema);

	sp_batch_init(b, t);
	sp_type_unref(t);
	for (size_t r = 0; r < n; r++) {
		for (size_t i = 0; i < t->nfields; i++)
			gen_value(&b->cols[i], nullpct);
		sp_batch_row_done(b);
	}
	return b;
}

static void batch_free(struct sp_batch *b)
{
	if (b) {
		sp_batch_release(b);
		free(b);
	}
}

/* ---- comparing and touching values ---- */

static int col_eq(const struct sp_col *a, size_t i, const struct sp_col *b, size_t j)
{
	size_t la, lb;
	const char *pa, *pb;
	double da, db;

	if (sp_col_isnull(a, i) != sp_col_isnull(b, j))
		return 0;
	if (sp_col_isnull(a, i))
		return 1;
	switch (a->type->id) {
	case SP_T_BOOLEAN:
		return sp_col_bool(a, i) == sp_col_bool(b, j);
	case SP_T_DOUBLE:
		da = sp_col_f64(a, i);
		db = sp_col_f64(b, j);
		return !memcmp(&da, &db, 8);
	case SP_T_STRING:
	case SP_T_BINARY:
		pa = sp_col_str(a, i, &la);
		pb = sp_col_str(b, j, &lb);
		return la == lb && (!la || !memcmp(pa, pb, la));
	case SP_T_STRUCT:
		for (size_t k = 0; k < a->nchild; k++)
			if (!col_eq(&a->child[k], i, &b->child[k], j))
				return 0;
		return 1;
	case SP_T_ARRAY:
		if (a->off[i + 1] - a->off[i] != b->off[j + 1] - b->off[j])
			return 0;
		for (size_t k = 0; k < a->off[i + 1] - a->off[i]; k++)
			if (!col_eq(a->child, a->off[i] + k, b->child, b->off[j] + k))
				return 0;
		return 1;
	default:
		return sp_col_i64(a, i) == sp_col_i64(b, j);
	}
}

/* Reads every value of row i, so that ASan sees any bad offset. */
static uint64_t touch(const struct sp_col *c, size_t i)
{
	struct sp_val v;
	uint64_t h = 0;

	sp_col_get(c, i, &v);
	if (v.null)
		return 1;
	switch (v.t) {
	case SP_T_STRING:
	case SP_T_BINARY:
		for (size_t k = 0; k < v.u.s.len; k++)
			h = h * 31 + (uint8_t)v.u.s.p[k];
		return h;
	case SP_T_STRUCT:
		for (size_t k = 0; k < c->nchild; k++)
			h += touch(&c->child[k], i);
		return h;
	case SP_T_ARRAY:
		for (size_t k = 0; k < v.u.arr.len; k++)
			h += touch(v.u.arr.elems, v.u.arr.start + k);
		return h;
	case SP_T_DOUBLE:
		return (uint64_t)v.u.d;
	default:
		return (uint64_t)v.u.i;
	}
}

/* ---- streams in memory ---- */

struct bytes {
	uint8_t *p;
	size_t len;
};

static void slurp(const char *path, struct bytes *out)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "test-frame: cannot read %s\n", path);
		exit(99);
	}
	rewind(f);
	out->len = (size_t)n;
	out->p = sp_xmalloc(out->len + 1);
	if (fread(out->p, 1, out->len, f) != out->len)
		exit(99);
	fclose(f);
}

static void save_seed(const char *name, const struct bytes *s)
{
	char path[PATH_MAX];
	FILE *f;

	if (!corpus_dir)
		return;
	snprintf(path, sizeof path, "%s/%s", corpus_dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(s->p, 1, s->len, f) != s->len || fclose(f)) {
		fprintf(stderr, "test-frame: cannot write %s\n", path);
		failures++;
	}
}

static char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

/* Writes batches through a writer into a file, then returns the file's bytes. */
static void encode(struct sp_batch **bs, size_t nb, int zlevel, struct bytes *out)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_writer *wr = NULL;
	const char *path = tmp_path("enc.frames");

	CHECK(sp_writer_open(&wr, path, &err) == 0, "writer open: %s", err.msg);
	sp_writer_set_zstd(wr, zlevel);
	for (size_t i = 0; i < nb; i++)
		CHECK(sp_writer_rows(wr, bs[i], &err) == 0, "writer rows: %s", err.msg);
	CHECK(sp_writer_eos(wr, &err) == 0, "writer eos: %s", err.msg);
	sp_writer_free(wr);
	slurp(path, out);
}

/* What a reader returned: owned copies of its row frames. */
struct decoded {
	struct sp_batch **b;
	size_t n;
	size_t schemas, compressed;
	size_t max_frame_rows, unaligned;	/* frames not a multiple of 8 rows but the last */
	uint64_t hash;
	int status;		/* the last sp_reader_next() result */
	struct sp_err err;
};

static void decoded_release(struct decoded *d)
{
	for (size_t i = 0; i < d->n; i++)
		batch_free(d->b[i]);
	free(d->b);
	memset(d, 0, sizeof *d);
}

static struct sp_batch *copy_batch(const struct sp_batch *src)
{
	struct sp_batch *b = sp_xcalloc(1, sizeof *b);

	sp_batch_init(b, src->schema);
	for (size_t r = 0; r < src->n; r++) {
		for (size_t i = 0; i < src->schema->nfields; i++)
			sp_col_push_from(&b->cols[i], &src->cols[i], r);
		sp_batch_row_done(b);
	}
	return b;
}

/* Reads a whole stream from rd (which it frees), keeping copies of the rows. */
static void decode_reader(struct sp_reader *rd, struct decoded *d, int keep)
{
	struct sp_frame fr;
	size_t last_rows = 0;

	while ((d->status = sp_reader_next(rd, &fr, &d->err)) > 0) {
		if (fr.type == SP_FR_SCHEMA)
			d->schemas++;
		if (fr.type != SP_FR_ROWS)
			continue;
		if (last_rows % 8)
			d->unaligned++;
		last_rows = fr.batch->n;
		if (fr.flags & SP_FRF_ZSTD)
			d->compressed++;
		if (fr.batch->n > d->max_frame_rows)
			d->max_frame_rows = fr.batch->n;
		for (size_t r = 0; r < fr.batch->n; r++)
			for (size_t i = 0; i < fr.schema->nfields; i++)
				d->hash += touch(&fr.batch->cols[i], r);
		if (keep) {
			d->b = sp_xrealloc(d->b, (d->n + 1) * sizeof *d->b);
			d->b[d->n++] = copy_batch(fr.batch);
		}
	}
	sp_reader_free(rd);
}

static void decode_mem(const struct bytes *s, size_t len, struct decoded *d, int keep)
{
	struct sp_reader *rd = NULL;

	memset(d, 0, sizeof *d);
	if ((d->status = sp_reader_open_mem(&rd, s->p, len, "'t.frames'", &d->err)) < 0)
		return;
	decode_reader(rd, d, keep);
}

/* Same rows, same schemas, in the same order, however they were cut into batches. */
static int same_rows(struct sp_batch **a, size_t na, struct sp_batch **b, size_t nb, char *why, size_t whylen)
{
	size_t ia = 0, ra = 0, ib = 0, rb = 0, row = 0;

	for (;; row++) {
		while (ia < na && ra == a[ia]->n)
			ia++, ra = 0;
		while (ib < nb && rb == b[ib]->n)
			ib++, rb = 0;
		if (ia == na || ib == nb)
			break;
		if (!sp_type_equal(a[ia]->schema, b[ib]->schema)) {
			snprintf(why, whylen, "row %zu: schemas differ", row);
			return 0;
		}
		for (size_t i = 0; i < a[ia]->schema->nfields; i++)
			if (!col_eq(&a[ia]->cols[i], ra, &b[ib]->cols[i], rb)) {
				snprintf(why, whylen, "row %zu: column '%s' differs", row, a[ia]->schema->fields[i].name);
				return 0;
			}
		ra++, rb++;
	}
	if (ia != na || ib != nb) {
		snprintf(why, whylen, "row counts differ after row %zu", row);
		return 0;
	}
	return 1;
}

/* ---- round trips ---- */

#define ALL_TYPES \
	"b BOOLEAN, l LONG, d DOUBLE, s STRING, bin BINARY, ts TIMESTAMP, dt DATE, " \
	"st STRUCT<x: LONG, arr: ARRAY<STRUCT<y: STRING, z: ARRAY<DOUBLE>, e: STRUCT<>>>>, " \
	"a ARRAY<STRING>, aa ARRAY<ARRAY<BOOLEAN>>"

static const struct rt_case {
	const char *name;
	const char *schema;
	size_t rows;
	int nullpct;
} rt_cases[] = {
	{ "every type", ALL_TYPES, 100, 20 },
	{ "no NULLs", ALL_TYPES, 37, 0 },
	{ "all NULL", ALL_TYPES, 19, 100 },
	{ "one row", ALL_TYPES, 1, 30 },
	{ "zero rows", ALL_TYPES, 0, 0 },
	{ "many NULLs, odd count", ALL_TYPES, 1001, 60 },
	{ "no columns", "STRUCT<>", 5, 0 },
	{ "nested struct", "n STRUCT<a: STRUCT<b: STRUCT<c: ARRAY<STRUCT<d: LONG, e: STRING>>>>>", 300, 25 },
	{ "key flags survive", "k STRING, v DOUBLE", 10, 10 },
	{ "big: cut into frames", "device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG",
	  120000, 5 },
	{ "big nested", ALL_TYPES, 20000, 10 },
};

static void test_roundtrips(void)
{
	for (size_t k = 0; k < sizeof rt_cases / sizeof rt_cases[0]; k++) {
		const struct rt_case *tc = &rt_cases[k];
		struct sp_batch *b = gen_batch(tc->schema, tc->rows, tc->nullpct);

		if (!strcmp(tc->name, "key flags survive"))
			b->schema->fields[0].flags = SP_FIELD_KEY;
		for (int z = 0; z <= 3; z += 3) {
			struct bytes s;
			struct decoded d;
			char why[200] = "";

			encode(&b, 1, z, &s);
			decode_mem(&s, s.len, &d, 1);
			CHECK(d.status == 0, "%s (zstd %d): %s", tc->name, z, d.err.msg);
			CHECK(d.schemas == 1, "%s (zstd %d): %zu schema frames", tc->name, z, d.schemas);
			CHECK(same_rows(&b, 1, d.b, d.n, why, sizeof why), "%s (zstd %d): %s", tc->name, z, why);
			CHECK(d.n == 0 || sp_type_equal(d.b[0]->schema, b->schema), "%s: schema differs", tc->name);
			CHECK(!tc->rows == !d.n, "%s: %zu row frames for %zu rows", tc->name, d.n, tc->rows);
			CHECK(d.unaligned == 0, "%s: a frame but the last is not a multiple of 8 rows", tc->name);
			if (s.len > 4 * SP_FRAME_TARGET && !z)
				CHECK(d.n >= s.len / SP_FRAME_TARGET && d.n <= s.len / SP_FRAME_TARGET + 2,
				      "%s: %zu bytes cut into %zu frames", tc->name, s.len, d.n);
			if (z && tc->rows > 100)
				CHECK(d.compressed == d.n, "%s: %zu of %zu frames compressed", tc->name, d.compressed, d.n);
			if (!z && !strcmp(tc->name, "one row"))
				save_seed("every-type.frames", &s);
			if (z && !strcmp(tc->name, "nested struct"))
				save_seed("nested-zstd.frames", &s);
			decoded_release(&d);
			free(s.p);
		}
		batch_free(b);
	}
}

/* The decoded batch, handed straight to a writer, encodes to the same bytes. */
static void test_passthrough(void)
{
	struct sp_batch *b = gen_batch(ALL_TYPES, 3000, 20);
	struct sp_err err = SP_ERR_INIT;
	struct sp_reader *rd = NULL;
	struct sp_writer *wr = NULL;
	struct sp_frame fr;
	struct bytes s, s2;
	int r;

	encode(&b, 1, 0, &s);
	CHECK(sp_reader_open_mem(&rd, s.p, s.len, "mem", &err) == 0, "open: %s", err.msg);
	CHECK(sp_writer_open(&wr, tmp_path("copy.frames"), &err) == 0, "open: %s", err.msg);
	while ((r = sp_reader_next(rd, &fr, &err)) > 0)
		if (fr.type == SP_FR_ROWS)
			CHECK(sp_writer_rows(wr, fr.batch, &err) == 0, "rows: %s", err.msg);
	CHECK(r == 0, "read: %s", err.msg);
	CHECK(sp_writer_eos(wr, &err) == 0, "eos: %s", err.msg);
	sp_writer_free(wr);
	sp_reader_free(rd);
	slurp(tmp_path("copy.frames"), &s2);
	CHECK(s.len == s2.len && !memcmp(s.p, s2.p, s.len), "re-encoded stream differs (%zu vs %zu bytes)", s.len,
	      s2.len);
	/* A memory reader over bytes that are not 8-byte aligned works on a copy. */
	{
		uint8_t *odd = sp_xmalloc(s.len + 1);
		struct bytes u = { odd + 1, s.len };
		struct decoded d;
		char why[200] = "";

		memcpy(odd + 1, s.p, s.len);
		decode_mem(&u, u.len, &d, 1);
		CHECK(d.status == 0 && same_rows(&b, 1, d.b, d.n, why, sizeof why), "unaligned: %s %s", d.err.msg, why);
		decoded_release(&d);
		free(odd);
	}
	free(s.p);
	free(s2.p);
	batch_free(b);
}

/*
 * Rows of about 9 MiB: the writer halves its chunk until a frame fits,
 * so frames start at rows 3, 5, ...: validity bits are shifted.
 */
static void test_big_rows(void)
{
	struct sp_type *t = ddl("n LONG, s STRING, a ARRAY<LONG>");
	struct sp_batch b, *bp = &b;
	struct bytes s;
	struct decoded d;
	size_t big = 19u << 19;
	char *blob = sp_xmalloc(big), why[200] = "";

	memset(blob, 'x', big);
	sp_batch_init(&b, t);
	for (size_t r = 0; r < 9; r++) {
		sp_col_push_i64(&b.cols[0], (int64_t)r);
		if (r % 5 == 3)
			sp_col_push_null(&b.cols[1]);
		else
			sp_col_push_bytes(&b.cols[1], blob, big - r);
		if (r % 4 == 2) {
			sp_col_push_null(&b.cols[2]);
		} else {
			for (size_t k = 0; k < r; k++)
				if (k % 3)
					sp_col_push_i64(b.cols[2].child, (int64_t)k);
				else
					sp_col_push_null(b.cols[2].child);
			sp_col_push_array(&b.cols[2]);
		}
		sp_batch_row_done(&b);
	}
	for (int z = 0; z <= 1; z++) {
		encode(&bp, 1, z, &s);
		decode_mem(&s, s.len, &d, 1);
		CHECK(d.status == 0, "big rows: %s", d.err.msg);
		CHECK(same_rows(&bp, 1, d.b, d.n, why, sizeof why), "big rows: %s", why);
		CHECK(d.n >= 2 && d.max_frame_rows < 8, "big rows: %zu frames of at most %zu rows", d.n,
		      d.max_frame_rows);
		decoded_release(&d);
		free(s.p);
	}
	sp_batch_release(&b);
	sp_type_unref(t);
	free(blob);

	/* One row larger than a frame may be is refused, naming the row. */
	{
		struct sp_err err = SP_ERR_INIT;
		struct sp_writer *wr = NULL;
		size_t huge = SP_FRAME_MAX;
		char *h = sp_xcalloc(1, huge);

		t = ddl("s STRING");
		sp_batch_init(&b, t);
		sp_col_push_bytes(&b.cols[0], "a", 1);
		sp_batch_row_done(&b);
		sp_col_push_bytes(&b.cols[0], h, huge);
		sp_batch_row_done(&b);
		CHECK(sp_writer_open(&wr, "/dev/null", &err) == 0, "open: %s", err.msg);
		CHECK(sp_writer_rows(wr, &b, &err) < 0 &&
		      !strcmp(err.msg, "row 1 is too large for a frame (67108888 bytes, the limit is 67108864)"),
		      "huge row: %s", err.msg);
		sp_writer_free(wr);
		sp_batch_release(&b);
		sp_type_unref(t);
		free(h);
	}
}

/* Schemas change mid-stream; a schema equal to the last one is not repeated. */
static void test_schema_changes(void)
{
	struct sp_batch *bs[5];
	struct bytes s;
	struct decoded d;
	char why[200] = "";

	bs[0] = gen_batch("a LONG, b STRING", 10, 10);
	bs[1] = gen_batch("a LONG, b STRING", 7, 10);
	bs[2] = gen_batch("a LONG, b STRING, c DOUBLE", 5, 10);
	bs[3] = gen_batch("a LONG, B STRING", 3, 10);
	bs[4] = gen_batch("a ARRAY<LONG>", 0, 10);
	for (int z = 0; z <= 1; z++) {
		encode(bs, 5, z, &s);
		decode_mem(&s, s.len, &d, 1);
		CHECK(d.status == 0, "schema changes: %s", d.err.msg);
		CHECK(d.schemas == 4, "schema changes: %zu schema frames, want 4", d.schemas);
		CHECK(same_rows(bs, 5, d.b, d.n, why, sizeof why), "schema changes: %s", why);
		if (z)
			save_seed("schema-change-zstd.frames", &s);
		decoded_release(&d);
		free(s.p);
	}
	for (int i = 0; i < 5; i++)
		batch_free(bs[i]);
}

/* Control frames keep every field; extension frames are skipped. */
static void test_control(void)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_writer *wr = NULL;
	struct sp_reader *rd = NULL;
	struct sp_batch *b = gen_batch("id LONG, name STRING", 4, 25);
	struct sp_batch_info b0 = { 0, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };
	struct sp_batch_info e0 = { 0, SP_MODE_APPEND, SP_NO_WATERMARK, 4, "{\"source\":[\"a.json\"]}" };
	struct sp_batch_info b1 = { 1, SP_MODE_COMPLETE, 0, 0, NULL };
	struct sp_batch_info e1 = { 1, SP_MODE_COMPLETE, -1234567, 0, NULL };
	struct sp_batch_info b2 = { INT64_MAX, SP_MODE_UPDATE, 0, 0, NULL };
	struct sp_batch_info e2 = { INT64_MAX, SP_MODE_UPDATE, INT64_MAX, UINT64_MAX, "" };
	struct sp_frame fr;
	const char *path = tmp_path("ctl.frames");
	struct bytes s;
	static const struct {
		int type;
		int64_t id;
		int mode;
		int64_t wm;
		uint64_t rows;
		const char *text;
		int64_t time;
	} want[] = {
		{ SP_FR_INFO, 0, 0, 0, 0, "{\"queryId\":\"q1\"}", 0 },
		{ SP_FR_BEGIN, 0, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL, 0 },
		{ SP_FR_SCHEMA, 0, 0, 0, 0, NULL, 0 },
		{ SP_FR_ROWS, 0, 0, 0, 0, NULL, 0 },
		{ SP_FR_END, 0, 0, SP_NO_WATERMARK, 4, "{\"source\":[\"a.json\"]}", 0 },
		{ SP_FR_HEARTBEAT, 0, 0, 0, 0, NULL, -5 },
		{ SP_FR_BEGIN, 1, SP_MODE_COMPLETE, SP_NO_WATERMARK, 0, NULL, 0 },
		{ SP_FR_END, 1, 0, -1234567, 0, NULL, 0 },
		{ SP_FR_HEARTBEAT, 0, 0, 0, 0, NULL, INT64_MAX },
		{ SP_FR_BEGIN, INT64_MAX, SP_MODE_UPDATE, SP_NO_WATERMARK, 0, NULL, 0 },
		{ SP_FR_END, INT64_MAX, 0, INT64_MAX, UINT64_MAX, NULL, 0 },
		{ SP_FR_INFO, 0, 0, 0, 0, "", 0 },
	};
	size_t i = 0, offs[20], noffs = 0, pos = SP_FRAME_HEADER_LEN;
	int r;

	CHECK(sp_writer_open(&wr, path, &err) == 0, "open: %s", err.msg);
	CHECK(sp_writer_info(wr, "{\"queryId\":\"q1\"}", &err) == 0, "info: %s", err.msg);
	CHECK(sp_writer_begin(wr, &b0, &err) == 0, "begin: %s", err.msg);
	CHECK(sp_writer_rows(wr, b, &err) == 0, "rows: %s", err.msg);
	CHECK(sp_writer_end(wr, &e0, &err) == 0, "end: %s", err.msg);
	CHECK(sp_writer_heartbeat(wr, -5, &err) == 0, "heartbeat: %s", err.msg);
	CHECK(sp_writer_begin(wr, &b1, &err) == 0, "begin: %s", err.msg);
	CHECK(sp_writer_schema(wr, b->schema, &err) == 0, "same schema: %s", err.msg);
	CHECK(sp_writer_end(wr, &e1, &err) == 0, "end: %s", err.msg);
	CHECK(sp_writer_heartbeat(wr, INT64_MAX, &err) == 0, "heartbeat: %s", err.msg);
	CHECK(sp_writer_begin(wr, &b2, &err) == 0, "begin: %s", err.msg);
	CHECK(sp_writer_end(wr, &e2, &err) == 0, "end: %s", err.msg);
	CHECK(sp_writer_info(wr, "", &err) == 0, "info: %s", err.msg);
	CHECK(sp_writer_eos(wr, &err) == 0, "eos: %s", err.msg);
	b0.id = -1;
	CHECK(sp_writer_begin(wr, &b0, &err) < 0 && !strcmp(err.msg, "cannot write batch -1: bad batch id or output mode"),
	      "negative id: %s", err.msg);
	sp_writer_free(wr);
	slurp(path, &s);
	save_seed("control.frames", &s);
	/* Where each frame starts: frames tile the stream. */
	while (pos + 8 <= s.len && noffs < 20) {
		uint32_t plen;

		offs[noffs++] = pos;
		memcpy(&plen, s.p + pos + 4, 4);
		pos += 8 + plen;
	}
	CHECK(pos == s.len && noffs == sizeof want / sizeof want[0] + 1, "control: frames do not tile the stream");

	CHECK(sp_reader_open(&rd, path, &err) == 0, "open: %s", err.msg);
	while ((r = sp_reader_next(rd, &fr, &err)) > 0) {
		if (i >= sizeof want / sizeof want[0]) {
			CHECK(0, "control: extra frame '%c'", fr.type);
			break;
		}
		CHECK((int)fr.type == want[i].type, "control %zu: type '%c', want '%c'", i, fr.type, want[i].type);
		CHECK(fr.seq == i + 1, "control %zu: seq %llu", i, (unsigned long long)fr.seq);
		CHECK(fr.offset == offs[i], "control %zu: offset %llu, want %zu", i, (unsigned long long)fr.offset,
		      offs[i]);
		switch (fr.type) {
		case SP_FR_BEGIN:
			CHECK(fr.info.id == want[i].id && (int)fr.info.mode == want[i].mode,
			      "control %zu: begin %lld %d", i, (long long)fr.info.id, fr.info.mode);
			break;
		case SP_FR_END:
			CHECK(fr.info.id == want[i].id && fr.info.watermark == want[i].wm && fr.info.rows == want[i].rows,
			      "control %zu: end %lld %lld %llu", i, (long long)fr.info.id, (long long)fr.info.watermark,
			      (unsigned long long)fr.info.rows);
			CHECK(want[i].text ? fr.info.meta && !strcmp(fr.info.meta, want[i].text) : !fr.info.meta,
			      "control %zu: meta '%s'", i, fr.info.meta ? fr.info.meta : "(null)");
			break;
		case SP_FR_INFO:
			CHECK(fr.json && !strcmp(fr.json, want[i].text), "control %zu: info '%s'", i, fr.json);
			break;
		case SP_FR_HEARTBEAT:
			CHECK(fr.time == want[i].time, "control %zu: time %lld", i, (long long)fr.time);
			break;
		case SP_FR_ROWS:
			CHECK(fr.batch && fr.batch->n == 4 && fr.schema == fr.batch->schema, "control %zu: rows", i);
			break;
		case SP_FR_SCHEMA:
			CHECK(fr.schema && sp_type_equal(fr.schema, b->schema), "control %zu: schema", i);
			break;
		case SP_FR_EOS:
			break;
		}
		i++;
	}
	CHECK(r == 0 && i == sizeof want / sizeof want[0], "control: stopped after %zu frames: %s", i, err.msg);
	CHECK(sp_reader_next(rd, &fr, &err) == 0, "control: a second call after the end is not 0");
	sp_reader_free(rd);
	free(s.p);
	batch_free(b);
}

/* A reader over a pipe fed a few bytes at a time. */
static void test_pipe(void)
{
	struct sp_batch *b = gen_batch(ALL_TYPES, 500, 20);
	struct sp_err err = SP_ERR_INIT;
	struct sp_reader *rd = NULL;
	struct bytes s;
	struct decoded d;
	char why[200] = "";
	int fds[2];
	pid_t pid;

	encode(&b, 1, 1, &s);
	if (pipe(fds) < 0)
		exit(99);
	if ((pid = fork()) == 0) {
		size_t done = 0;

		close(fds[0]);
		while (done < s.len) {
			size_t n = 1 + rnd() % 97;
			ssize_t w;

			if (n > s.len - done)
				n = s.len - done;
			if ((w = write(fds[1], s.p + done, n)) <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	memset(&d, 0, sizeof d);
	CHECK(sp_reader_open_fd(&rd, fds[0], "standard input", &err) == 0, "pipe: %s", err.msg);
	if (rd) {
		decode_reader(rd, &d, 1);
		CHECK(d.status == 0, "pipe: %s", d.err.msg);
		CHECK(same_rows(&b, 1, d.b, d.n, why, sizeof why), "pipe: %s", why);
	}
	waitpid(pid, NULL, 0);
	decoded_release(&d);
	free(s.p);
	batch_free(b);
	CHECK(sp_reader_open(&rd, tmp_path("missing"), &err) < 0 && strstr(err.msg, "cannot open '") &&
	      strstr(err.msg, "/missing': No such file or directory"), "missing file: %s", err.msg);
}

/* ---- damaged streams ---- */

/* A stream with a bit of everything, as the damage tests' victim. */
static void victim(int zlevel, struct bytes *out)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_writer *wr = NULL;
	struct sp_batch *b1 = gen_batch(ALL_TYPES, 20, 25), *b2 = gen_batch("k STRING, v ARRAY<DOUBLE>", 9, 25);
	struct sp_batch_info bi = { 3, SP_MODE_UPDATE, 1700000000000000, 29, "{\"n\":1}" };
	const char *path = tmp_path("victim.frames");

	sp_writer_open(&wr, path, &err);
	sp_writer_set_zstd(wr, zlevel);
	sp_writer_info(wr, "{\"queryId\":\"q\"}", &err);
	sp_writer_begin(wr, &bi, &err);
	sp_writer_rows(wr, b1, &err);
	sp_writer_heartbeat(wr, 42, &err);
	sp_writer_rows(wr, b2, &err);
	sp_writer_end(wr, &bi, &err);
	CHECK(sp_writer_eos(wr, &err) == 0, "victim: %s", err.msg);
	sp_writer_free(wr);
	slurp(path, out);
	batch_free(b1);
	batch_free(b2);
}

static int header_message(const char *msg)
{
	return strstr(msg, "is not a frame stream") || strstr(msg, "is empty, not a frame stream") ||
	       strstr(msg, "truncated stream header") || strstr(msg, "stream version") ||
	       strstr(msg, "bad stream header");
}

static void test_truncation(void)
{
	for (int z = 0; z <= 1; z++) {
		struct bytes s;
		struct decoded full;

		victim(z, &s);
		save_seed(z ? "victim-zstd.frames" : "victim.frames", &s);
		decode_mem(&s, s.len, &full, 0);
		CHECK(full.status == 0, "victim does not read: %s", full.err.msg);
		for (size_t len = 0; len < s.len; len++) {
			struct decoded d;

			decode_mem(&s, len, &d, 0);
			CHECK(d.status < 0, "truncated at %zu: not an error", len);
			CHECK(len < SP_FRAME_HEADER_LEN ? header_message(d.err.msg) != 0 : strstr(d.err.msg, "offset") != NULL,
			      "truncated at %zu: message without an offset: %s", len, d.err.msg);
			CHECK(len < SP_FRAME_HEADER_LEN || !strncmp(d.err.msg, "'t.frames'", 10),
			      "truncated at %zu: message without the name: %s", len, d.err.msg);
			decoded_release(&d);
		}
		/* The same through a file descriptor, at a few places. */
		for (size_t len = 0; len < s.len; len += 1 + s.len / 7) {
			struct sp_reader *rd = NULL;
			struct decoded d;
			int fd = open(tmp_path("cut.frames"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd < 0 || write(fd, s.p, len) != (ssize_t)len || close(fd) < 0)
				exit(99);
			memset(&d, 0, sizeof d);
			if (sp_reader_open(&rd, tmp_path("cut.frames"), &d.err) == 0)
				decode_reader(rd, &d, 0);
			else
				d.status = -1;
			CHECK(d.status < 0 && (len < SP_FRAME_HEADER_LEN || strstr(d.err.msg, "offset")),
			      "file cut at %zu: %s", len, d.err.msg);
		}
		free(s.p);
	}
}

/* Flipped bytes: the reader fails cleanly or reads something; it never crashes. */
static void test_flips(void)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff, 0x10 };

	for (int z = 0; z <= 1; z++) {
		struct bytes s;
		size_t errors = 0, runs = 0;

		victim(z, &s);
		for (size_t off = 0; off < s.len; off++)
			for (size_t m = 0; m < sizeof masks; m++) {
				struct decoded d;

				s.p[off] ^= masks[m];
				decode_mem(&s, s.len, &d, 0);
				s.p[off] ^= masks[m];
				runs++;
				if (d.status < 0) {
					errors++;
					CHECK(off < SP_FRAME_HEADER_LEN ? header_message(d.err.msg) != 0 :
					      strstr(d.err.msg, "offset") != NULL,
					      "flip 0x%02x at %zu: message without an offset: %s", masks[m], off, d.err.msg);
				}
				decoded_release(&d);
			}
		CHECK(errors > runs / 4, "flips: only %zu of %zu damaged streams refused", errors, runs);
		free(s.p);
	}
}

/* Hand-made frames, for exact messages. */
struct mk {
	uint8_t p[4096];
	size_t len;
};

static void mk_bytes(struct mk *m, const void *p, size_t n)
{
	memcpy(m->p + m->len, p, n);
	m->len += n;
}

static void mk_u8(struct mk *m, uint8_t v)
{
	mk_bytes(m, &v, 1);
}

static void mk_u32(struct mk *m, uint32_t v)
{
	mk_bytes(m, &v, 4);
}

static void mk_u64(struct mk *m, uint64_t v)
{
	mk_bytes(m, &v, 8);
}

static void mk_pad(struct mk *m)
{
	while (m->len % 8)
		m->p[m->len++] = 0;
}

static void mk_header(struct mk *m)
{
	m->len = 0;
	mk_bytes(m, SP_FRAME_MAGIC, 8);
	mk_bytes(m, "\1\0\0\0\0\0\0\0", 8);
}

/* Appends a frame: type, flags, then the payload (padded). */
static void mk_frame(struct mk *m, int type, int flags, const struct mk *payload)
{
	struct mk pl = *payload;

	mk_pad(&pl);
	mk_u8(m, (uint8_t)type);
	mk_u8(m, (uint8_t)flags);
	mk_u8(m, 0);
	mk_u8(m, 0);
	mk_u32(m, (uint32_t)pl.len);
	mk_bytes(m, pl.p, pl.len);
}

static void mk_eos(struct mk *m)
{
	struct mk e = { { 0 }, 0 };

	mk_frame(m, 'Z', 0, &e);
}

/* A schema frame of one field named "c" of type code tc (followed by more codes). */
static void mk_schema1(struct mk *m, const uint8_t *codes, size_t ncodes)
{
	struct mk s = { { 0 }, 0 };

	mk_u8(&s, SP_T_STRUCT);
	mk_u32(&s, 1);
	mk_u8(&s, 0);
	mk_u32(&s, 1);
	mk_u8(&s, 'c');
	mk_bytes(&s, codes, ncodes);
	mk_frame(m, 'S', 0, &s);
}

static void expect_error(const struct mk *m, const char *name, const char *want)
{
	struct bytes s = { (uint8_t *)m->p, m->len };
	struct decoded d;

	decode_mem(&s, s.len, &d, 0);
	CHECK(d.status < 0 && !strcmp(d.err.msg, want), "%s:\n  got  %s\n  want %s", name,
	      d.status < 0 ? d.err.msg : "(no error)", want);
	decoded_release(&d);
}

static void expect_ok(const struct mk *m, const char *name, size_t nrowframes)
{
	struct bytes s = { (uint8_t *)m->p, m->len };
	struct decoded d;

	decode_mem(&s, s.len, &d, 1);
	CHECK(d.status == 0 && d.n == nrowframes, "%s: %s (%zu row frames)", name, d.err.msg, d.n);
	decoded_release(&d);
}

static void test_bad_frames(void)
{
	struct mk m, pl;
	uint8_t code;

	m.len = 0;
	expect_error(&m, "empty", "'t.frames' is empty, not a frame stream (did the upstream tool fail?)");
	memcpy(m.p, "{\"a\":1}\n", 8);
	m.len = 8;
	expect_error(&m, "json", "'t.frames' is not a frame stream (did you forget stream-read?)");
	m.len = 3;
	expect_error(&m, "short", "'t.frames' is not a frame stream (did you forget stream-read?)");
	mk_header(&m);
	m.len = 12;
	expect_error(&m, "short header", "'t.frames': truncated stream header");
	mk_header(&m);
	m.p[8] = 2;
	expect_error(&m, "version", "'t.frames': frame stream version 2 is not supported (this is version 1)");
	mk_header(&m);
	m.p[12] = 1;
	expect_error(&m, "header flags", "'t.frames': bad stream header (reserved bytes are not zero)");
	mk_header(&m);
	expect_error(&m, "no eos",
		     "'t.frames' ended at offset 16 without an end-of-stream frame (did the upstream tool fail?)");
	mk_header(&m);
	mk_eos(&m);
	expect_ok(&m, "just eos", 0);
	mk_u8(&m, 'Q');
	expect_ok(&m, "bytes after eos are not read", 0);

	mk_header(&m);
	mk_bytes(&m, "H\0\0\0", 4);
	expect_error(&m, "frame header cut", "'t.frames': truncated frame header at offset 16");
	mk_header(&m);
	mk_bytes(&m, "R\0\0\0\x08\0\0\x04", 8);
	expect_error(&m, "oversize", "'t.frames': frame 1 at offset 16: length 67108872 exceeds limit 67108864");
	mk_header(&m);
	mk_bytes(&m, "H\0\0\0\x0c\0\0\0", 8);
	expect_error(&m, "unpadded", "'t.frames': frame 1 at offset 16: bad frame header (garbage in the stream?)");
	mk_header(&m);
	mk_bytes(&m, "H\0\1\0\x08\0\0\0", 8);
	mk_u64(&m, 0);
	expect_error(&m, "reserved", "'t.frames': frame 1 at offset 16: bad frame header (garbage in the stream?)");
	mk_header(&m);
	mk_bytes(&m, "H\0\0\0\x10\0\0\0", 8);
	mk_u64(&m, 0);
	expect_error(&m, "payload cut",
		     "'t.frames': frame 1 at offset 16: truncated (stream ended after 16 of 24 bytes)");

	pl.len = 0;
	mk_u64(&pl, 7);
	mk_header(&m);
	mk_frame(&m, 'Q', 0, &pl);
	expect_error(&m, "unknown type",
		     "'t.frames': frame 1 at offset 16: unknown frame type 0x51 (garbage in the stream?)");
	mk_header(&m);
	mk_frame(&m, 'H', 1, &pl);
	expect_error(&m, "flags", "'t.frames': frame 1 at offset 16: unknown frame flags (at payload byte 0)");
	mk_u64(&pl, 8);
	mk_header(&m);
	mk_frame(&m, 'H', 0, &pl);
	expect_error(&m, "trailing bytes",
		     "'t.frames': frame 1 at offset 16: trailing bytes after the frame's content (at payload byte 8)");
	/* Extensions: skipped whatever their flags and content. */
	mk_header(&m);
	mk_frame(&m, 'x', 0xff, &pl);
	mk_frame(&m, 'z', 0, &(struct mk){ { 0 }, 0 });
	mk_eos(&m);
	expect_ok(&m, "extension frames", 0);
	mk_header(&m);
	mk_frame(&m, 'x', 0, &pl);
	mk_frame(&m, 'Q', 0, &pl);
	expect_error(&m, "frame numbers count extensions",
		     "'t.frames': frame 2 at offset 40: unknown frame type 0x51 (garbage in the stream?)");

	/* Control frames. */
	pl.len = 0;
	mk_u64(&pl, (uint64_t)-1);
	mk_u64(&pl, 0);
	mk_header(&m);
	mk_frame(&m, 'B', 0, &pl);
	expect_error(&m, "negative id", "'t.frames': frame 1 at offset 16: negative batch id (at payload byte 0)");
	pl.len = 0;
	mk_u64(&pl, 1);
	mk_u64(&pl, 3);
	mk_header(&m);
	mk_frame(&m, 'B', 0, &pl);
	expect_error(&m, "bad mode", "'t.frames': frame 1 at offset 16: unknown output mode (at payload byte 8)");
	pl.len = 0;
	mk_u64(&pl, 1);
	mk_u64(&pl, 0x100);
	mk_header(&m);
	mk_frame(&m, 'B', 0, &pl);
	expect_error(&m, "begin reserved",
		     "'t.frames': frame 1 at offset 16: reserved bytes are not zero (at payload byte 8)");
	pl.len = 0;
	mk_u64(&pl, 1);
	mk_header(&m);
	mk_frame(&m, 'B', 0, &pl);
	expect_error(&m, "begin cut",
		     "'t.frames': frame 1 at offset 16: batch-begin frame truncated (at payload byte 0)");
	pl.len = 0;
	mk_u64(&pl, 1);
	mk_u64(&pl, 0);
	mk_u64(&pl, 0);
	mk_u32(&pl, 2);
	mk_u32(&pl, 0);
	mk_bytes(&pl, "{\0", 2);
	mk_header(&m);
	mk_frame(&m, 'E', 0, &pl);
	expect_error(&m, "NUL in meta", "'t.frames': frame 1 at offset 16: NUL byte in text (at payload byte 33)");
	pl.len = 0;
	mk_u64(&pl, 1);
	mk_u64(&pl, 0);
	mk_u64(&pl, 0);
	mk_u32(&pl, 20);
	mk_u32(&pl, 0);
	mk_bytes(&pl, "{}", 2);
	mk_header(&m);
	mk_frame(&m, 'E', 0, &pl);
	expect_error(&m, "meta cut", "'t.frames': frame 1 at offset 16: text truncated (at payload byte 32)");
	pl.len = 0;
	mk_u32(&pl, 2);
	mk_u32(&pl, 1);
	mk_bytes(&pl, "{}", 2);
	mk_header(&m);
	mk_frame(&m, 'I', 0, &pl);
	expect_error(&m, "info reserved", "'t.frames': frame 1 at offset 16: reserved bytes are not zero (at payload byte 4)");
	pl.len = 0;
	mk_u64(&pl, 0);
	mk_header(&m);
	mk_frame(&m, 'Z', 0, &pl);
	expect_error(&m, "eos with payload",
		     "'t.frames': frame 1 at offset 16: trailing bytes after the frame's content (at payload byte 0)");

	/* Schemas. */
	mk_header(&m);
	code = 10;
	mk_schema1(&m, &code, 1);
	expect_error(&m, "type code", "'t.frames': frame 1 at offset 16: unknown type code in schema (at payload byte 11)");
	code = 0;
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	expect_error(&m, "void type", "'t.frames': frame 1 at offset 16: unknown type code in schema (at payload byte 11)");
	pl.len = 0;
	mk_u8(&pl, SP_T_LONG);
	mk_header(&m);
	mk_frame(&m, 'S', 0, &pl);
	expect_error(&m, "not a struct", "'t.frames': frame 1 at offset 16: schema is not a struct (at payload byte 1)");
	pl.len = 0;
	mk_u8(&pl, SP_T_STRUCT);
	mk_u32(&pl, 1);
	mk_u8(&pl, 0);
	mk_u32(&pl, 0);
	mk_u8(&pl, SP_T_LONG);
	mk_header(&m);
	mk_frame(&m, 'S', 0, &pl);
	expect_error(&m, "empty name", "'t.frames': frame 1 at offset 16: bad field name length in schema (at payload byte 10)");
	pl.len = 0;
	mk_u8(&pl, SP_T_STRUCT);
	mk_u32(&pl, 70000);
	mk_header(&m);
	mk_frame(&m, 'S', 0, &pl);
	expect_error(&m, "field count", "'t.frames': frame 1 at offset 16: too many fields in schema (at payload byte 5)");
	{
		uint8_t deep[80];

		memset(deep, SP_T_ARRAY, sizeof deep);
		deep[63] = SP_T_LONG;
		mk_header(&m);
		mk_schema1(&m, deep, 64);
		mk_eos(&m);
		expect_ok(&m, "nested 64 deep", 0);
		deep[63] = SP_T_ARRAY;
		deep[64] = SP_T_LONG;
		mk_header(&m);
		mk_schema1(&m, deep, 65);
		expect_error(&m, "nested 65 deep",
			     "'t.frames': frame 1 at offset 16: schema nested too deeply (at payload byte 75)");
	}

	/* Row frames over "c BOOLEAN" / "c STRING". */
	pl.len = 0;
	mk_u32(&pl, 0);
	mk_u32(&pl, 1);
	mk_header(&m);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "rows first", "'t.frames': frame 1 at offset 16: row frame before any schema frame (at payload byte 0)");
	code = SP_T_BOOLEAN;
	pl.len = 0;
	mk_u32(&pl, 2);
	mk_u32(&pl, 1);
	mk_u64(&pl, 0);
	mk_bytes(&pl, "\1\2", 2);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "boolean 2", "'t.frames': frame 2 at offset 40: boolean value is not 0 or 1 (at payload byte 17)");
	pl.p[17] = 0;
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	mk_eos(&m);
	expect_ok(&m, "booleans 1 0", 1);
	pl.p[8] = 2;
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "validity flag 2", "'t.frames': frame 2 at offset 40: bad column header (at payload byte 8)");
	pl.p[8] = 0;
	pl.p[11] = 1;
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "column reserved", "'t.frames': frame 2 at offset 40: bad column header (at payload byte 8)");
	pl.p[11] = 0;
	pl.p[4] = 2;
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "column count",
		     "'t.frames': frame 2 at offset 40: column count differs from the schema's (at payload byte 0)");
	pl.len = 0;
	mk_u32(&pl, 9);
	mk_u32(&pl, 1);
	mk_u64(&pl, 0);
	mk_bytes(&pl, "\1\1\1\1\1\1\1\1", 8);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "values cut", "'t.frames': frame 2 at offset 40: values truncated (at payload byte 16)");
	pl.len = 0;
	mk_u32(&pl, 0x4000001);
	mk_u32(&pl, 0);
	mk_header(&m);
	mk_bytes(&m, "S\0\0\0\x08\0\0\0\x08\0\0\0\0\0\0\0", 16);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "too many rows", "'t.frames': frame 2 at offset 32: too many rows in one frame (at payload byte 0)");

	code = SP_T_STRING;
	pl.len = 0;
	mk_u32(&pl, 2);
	mk_u32(&pl, 1);
	mk_u64(&pl, 0);
	mk_u32(&pl, 0);
	mk_u32(&pl, 5);
	mk_u32(&pl, 3);
	mk_u32(&pl, 0);
	mk_bytes(&pl, "abcde", 5);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "offsets backwards", "'t.frames': frame 2 at offset 40: offsets go backwards (at payload byte 24)");
	memcpy(pl.p + 16, "\1\0\0\0", 4);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "first offset", "'t.frames': frame 2 at offset 40: first offset is not 0 (at payload byte 16)");
	memcpy(pl.p + 16, "\0\0\0\0\5\0\0\0\x09\0\0\0", 12);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "string data cut", "'t.frames': frame 2 at offset 40: string data truncated (at payload byte 32)");
	memcpy(pl.p + 16, "\0\0\0\0\5\0\0\0\x05\0\0\0", 12);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	mk_eos(&m);
	expect_ok(&m, "strings abcde, empty", 1);
	mk_u64(&pl, 0);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', 0, &pl);
	expect_error(&m, "rows trailing",
		     "'t.frames': frame 2 at offset 40: trailing bytes after the frame's content (at payload byte 40)");

	/* Compressed row frames. */
	pl.len = 0;
	mk_u64(&pl, 16);
	mk_u64(&pl, 5);
	mk_bytes(&pl, "\x28\xb5\x2f\xfd\0", 5);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', SP_FRF_ZSTD, &pl);
	expect_error(&m, "bad zstd", "'t.frames': frame 2 at offset 40: not a zstd frame (at payload byte 16)");
	{
		/* A real zstd frame of 16 bytes, declared as 24. */
		uint8_t raw[16] = { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, z[64];
		size_t zl = ZSTD_compress(z, sizeof z, raw, sizeof raw, 1);

		pl.len = 0;
		mk_u64(&pl, 24);
		mk_u64(&pl, zl);
		mk_bytes(&pl, z, zl);
		mk_header(&m);
		mk_schema1(&m, &code, 1);
		mk_frame(&m, 'R', SP_FRF_ZSTD, &pl);
		expect_error(&m, "zstd size",
			     "'t.frames': frame 2 at offset 40: zstd frame's content size is not the raw length (at payload byte 16)");
		memcpy(pl.p, "\x10", 1);
		mk_header(&m);
		mk_schema1(&m, &code, 1);
		mk_frame(&m, 'R', SP_FRF_ZSTD, &pl);
		expect_error(&m, "zstd rows",
			     "'t.frames': frame 2 at offset 40: offsets truncated (at uncompressed payload byte 16)");
	}
	pl.len = 0;
	mk_u64(&pl, 12);
	mk_u64(&pl, 0);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', SP_FRF_ZSTD, &pl);
	expect_error(&m, "raw length", "'t.frames': frame 2 at offset 40: bad uncompressed length (at payload byte 0)");
	pl.len = 0;
	mk_u64(&pl, 16);
	mk_u64(&pl, 100);
	mk_header(&m);
	mk_schema1(&m, &code, 1);
	mk_frame(&m, 'R', SP_FRF_ZSTD, &pl);
	expect_error(&m, "zstd cut", "'t.frames': frame 2 at offset 40: compressed data truncated (at payload byte 16)");
}

/* ---- the man page's worked example ---- */

static const uint8_t example[] = {
	0x89, 0x53, 0x46, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* schema */
	0x53, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
	0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x69, 0x64, 0x02, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x6e, 0x61, 0x6d, 0x65, 0x04, 0x00,
	/* rows */
	0x52, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x68, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* end of stream */
	0x5a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/*
 * Reads the hex dump of the EXAMPLES section of man/stream-frame.5: lines
 * "  offset: xx xx ...  comment" in the display after the marker line.
 */
static int read_man_example(const char *path, uint8_t *out, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int in = 0;

	*len = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		unsigned long off;

		if (strstr(line, "worked example, byte by byte"))
			in = 1;
		else if (in && !strncmp(line, ".Ed", 3))
			break;
		if (!in)
			continue;
		while (*p == ' ')
			p++;
		off = strtoul(p, &end, 10);
		if (end == p || *end != ':')
			continue;
		if (off != *len) {
			fprintf(stderr, "test-frame: %s: line at offset %lu, expected %zu: %s", path, off, *len, line);
			fclose(f);
			return -1;
		}
		for (p = end + 1;;) {
			while (*p == ' ')
				p++;
			if (!(isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) && (p[2] == ' ' || p[2] == '\n')))
				break;
			if (*len < cap)
				out[*len] = (uint8_t)strtoul((char[]){ p[0], p[1], 0 }, NULL, 16);
			++*len;
			p += 2;
		}
	}
	fclose(f);
	return in ? 0 : -1;
}

static void test_example(const char *argv0)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_writer *wr = NULL;
	struct sp_type *t = ddl("id LONG, name STRING");
	struct sp_batch b;
	struct bytes s;
	char man[PATH_MAX], *slash;
	uint8_t doc[512];
	size_t doclen;
	const char *top = getenv("SP_TOP");

	sp_batch_init(&b, t);
	sp_col_push_i64(&b.cols[0], 1);
	sp_col_push_bytes(&b.cols[1], "hi", 2);
	sp_batch_row_done(&b);
	sp_col_push_i64(&b.cols[0], 2);
	sp_col_push_null(&b.cols[1]);
	sp_batch_row_done(&b);
	CHECK(sp_writer_open(&wr, tmp_path("example.frames"), &err) == 0, "open: %s", err.msg);
	CHECK(sp_writer_rows(wr, &b, &err) == 0 && sp_writer_eos(wr, &err) == 0, "write: %s", err.msg);
	sp_writer_free(wr);
	slurp(tmp_path("example.frames"), &s);
	CHECK(s.len == sizeof example && !memcmp(s.p, example, s.len), "example: encoder output differs (%zu bytes)",
	      s.len);
	save_seed("example.frames", &s);

	/* The man page shows the same bytes: found from SP_TOP, or from this binary's place in the tree. */
	if (top) {
		snprintf(man, sizeof man, "%s/man/stream-frame.5", top);
	} else {
		/* BUILD/unit/test-frame: the tree is two levels up from the binary's directory */
		snprintf(man, sizeof man, "%s", argv0);
		if ((slash = strrchr(man, '/')))
			*slash = '\0';
		else
			snprintf(man, sizeof man, ".");
		strncat(man, "/../../man/stream-frame.5", sizeof man - strlen(man) - 1);
	}
	CHECK(read_man_example(man, doc, sizeof doc, &doclen) == 0, "example: cannot read the example in %s", man);
	CHECK(doclen == s.len && !memcmp(doc, s.p, s.len), "example: %s shows %zu bytes that differ from the encoder's %zu",
	      man, doclen, s.len);
	free(s.p);
	sp_batch_release(&b);
	sp_type_unref(t);
}

/* The schema codec on its own. */
static void test_schema_codec(void)
{
	struct sp_type *t = ddl(ALL_TYPES), *back = NULL;
	struct sp_err err = SP_ERR_INIT;
	size_t len;
	uint8_t *p;

	t->fields[1].flags = SP_FIELD_KEY;
	p = sp_schema_encode_new(t, &len);
	CHECK(len % 8 == 0, "schema encoding not padded: %zu", len);
	CHECK(sp_schema_decode(p, len, &back, &err) == 0 && sp_type_equal(t, back), "schema codec: %s", err.msg);
	sp_type_unref(back);
	back = NULL;
	CHECK(sp_schema_decode(p, len - 8, &back, &err) < 0 && !strncmp(err.msg, "schema: frame 0 at offset 0: ", 29),
	      "cut schema: %s", err.msg);
	free(p);
	sp_type_unref(t);

	/* The writer refuses what a reader would refuse. */
	{
		struct sp_writer *wr = NULL;
		struct sp_type *st = sp_type_new_struct(), *deep = sp_type_prim(SP_T_LONG);
		char *longname = sp_xcalloc(1, 70000);

		sp_writer_open(&wr, "/dev/null", &err);
		sp_type_add_field(st, "", sp_type_prim(SP_T_LONG), 0);
		err = (struct sp_err)SP_ERR_INIT;
		CHECK(sp_writer_schema(wr, st, &err) < 0 && !strcmp(err.msg, "cannot write schema: field name '' is empty"),
		      "empty name: %s", err.msg);
		sp_type_unref(st);
		st = sp_type_new_struct();
		memset(longname, 'n', 69999);
		sp_type_add_field(st, longname, sp_type_prim(SP_T_LONG), 0);
		err = (struct sp_err)SP_ERR_INIT;
		CHECK(sp_writer_schema(wr, st, &err) < 0 && strstr(err.msg, "is longer than 65535 bytes"),
		      "long name: %s", err.msg);
		sp_type_unref(st);
		st = sp_type_new_struct();
		sp_type_add_field(st, "v", sp_type_prim(SP_T_NULL), 0);
		err = (struct sp_err)SP_ERR_INIT;
		CHECK(sp_writer_schema(wr, st, &err) < 0 &&
		      !strcmp(err.msg, "cannot write schema: field 'v' has no type (an untyped NULL)"), "void: %s", err.msg);
		sp_type_unref(st);
		for (int i = 0; i < SP_TYPE_MAX_DEPTH; i++)
			deep = sp_type_new_array(deep);
		st = sp_type_new_struct();
		sp_type_add_field(st, "deep", deep, 0);
		err = (struct sp_err)SP_ERR_INIT;
		CHECK(sp_writer_schema(wr, st, &err) < 0 &&
		      !strcmp(err.msg, "cannot write schema: field 'deep' is nested more than 64 levels deep"),
		      "deep: %s", err.msg);
		sp_type_unref(st);
		free(longname);
		sp_writer_free(wr);
	}
}

/* sp_mode_name / sp_mode_parse */
static void test_modes(void)
{
	CHECK(!strcmp(sp_mode_name(SP_MODE_APPEND), "append") && !strcmp(sp_mode_name(SP_MODE_UPDATE), "update") &&
	      !strcmp(sp_mode_name(SP_MODE_COMPLETE), "complete") && !strcmp(sp_mode_name(7), "?"), "mode names");
	CHECK(sp_mode_parse("Append") == 0 && sp_mode_parse("UPDATE") == 1 && sp_mode_parse("complete") == 2 &&
	      sp_mode_parse("upsert") == -1 && sp_mode_parse("") == -1, "mode parse");
}

/* ---- benchmark ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(size_t rows)
{
	struct sp_type *t = ddl("device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG");
	struct sp_err err = SP_ERR_INIT;
	struct sp_batch b, *bp = &b;
	struct bytes s;
	char id[32];
	double t0, t1;
	int reps = 5;

	sp_batch_init(&b, t);
	for (size_t r = 0; r < rows; r++) {
		int n = snprintf(id, sizeof id, "device-%04zu", r % 1000);

		sp_col_push_bytes(&b.cols[0], id, (size_t)n);
		sp_col_push_f64(&b.cols[1], 20 + (double)(r % 150) / 10);
		if (r % 17 == 3)
			sp_col_push_null(&b.cols[2]);
		else
			sp_col_push_f64(&b.cols[2], 40 + (double)(r % 300) / 10);
		sp_col_push_i64(&b.cols[3], 1714550400000000 + (int64_t)r * 1000);
		sp_col_push_i64(&b.cols[4], (int64_t)r);
		sp_batch_row_done(&b);
	}
	for (int z = 0; z <= 1; z++) {
		struct sp_writer *wr = NULL;
		double best[2] = { 1e9, 1e9 };

		encode(&bp, 1, z, &s);
		for (int rep = 0; rep < reps; rep++) {
			sp_writer_open(&wr, "/dev/null", &err);
			sp_writer_set_zstd(wr, z);
			t0 = now_s();
			sp_writer_rows(wr, &b, &err);
			sp_writer_eos(wr, &err);
			t1 = now_s();
			sp_writer_free(wr);
			if (t1 - t0 < best[0])
				best[0] = t1 - t0;
		}
		printf("encode%s: %.1fM rows/s (%.1f bytes/row)\n", z ? " zstd 1" : "", rows / best[0] / 1e6,
		       (double)s.len / rows);
		best[0] = 1e9;
		for (int rep = 0; rep < 2 * reps; rep++) {
			struct sp_reader *rd = NULL;
			struct sp_frame fr;
			size_t got = 0;
			int r;

			sp_writer_open(&wr, "/dev/null", &err);
			sp_writer_set_zstd(wr, z);
			t0 = now_s();
			/* even runs from memory, odd ones from a file through read() */
			if (rep % 2 == 0)
				sp_reader_open_mem(&rd, s.p, s.len, "bench", &err);
			else
				sp_reader_open(&rd, tmp_path("enc.frames"), &err);
			while ((r = sp_reader_next(rd, &fr, &err)) > 0)
				if (fr.type == SP_FR_ROWS) {
					got += fr.batch->n;
					sp_writer_rows(wr, fr.batch, &err);
				}
			sp_writer_eos(wr, &err);
			t1 = now_s();
			sp_reader_free(rd);
			sp_writer_free(wr);
			if (r < 0 || got != rows)
				fprintf(stderr, "bench: %s\n", err.msg);
			if (t1 - t0 < best[rep % 2])
				best[rep % 2] = t1 - t0;
		}
		printf("pass-through (decode + encode)%s: %.1fM rows/s from memory, %.1fM rows/s from a file\n",
		       z ? " zstd 1" : "", rows / best[0] / 1e6, rows / best[1] / 1e6);
		free(s.p);
	}
	sp_batch_release(&b);
	sp_type_unref(t);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	sp_setprog("test-frame");
	if (!mkdtemp(tmpdir))
		return 99;
	if (argc >= 2 && !strcmp(argv[1], "--bench")) {
		r = bench(argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000);
	} else {
		if (argc == 3 && !strcmp(argv[1], "--corpus"))
			corpus_dir = argv[2];
		test_modes();
		test_example(argv[0]);
		test_schema_codec();
		test_roundtrips();
		test_passthrough();
		test_schema_changes();
		test_control();
		test_pipe();
		test_big_rows();
		test_bad_frames();
		test_truncation();
		test_flips();
		r = failures;
		if (failures)
			fprintf(stderr, "test-frame: %d failures\n", failures);
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			r++;
	}
	return r;
}
