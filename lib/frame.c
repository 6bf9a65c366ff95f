/*
 * frame.c: encoding and decoding of frame streams (see frame.h and
 * stream-frame(5)).
 *
 * Decoding never trusts a length. Every size read from the stream is
 * checked against what is left of the frame before it is used, and every
 * frame must be consumed exactly: padding aside, a byte left over is an
 * error. Row frames are decoded in place: the columns of the batch handed
 * out point into the reader's buffer, which is 8-byte aligned, as every
 * payload is padded to 8 bytes.
 */
#include "frame.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define PAD8(n) (((n) + 7) & ~(size_t)7)
#define PIPE_SIZE (1 << 20)
/*
 * Rows in one row frame, and elements of one array column in it. Every
 * value but a struct without fields takes at least a byte, so this only
 * stops frames that claim billions of empty rows.
 */
#define MAX_COUNT SP_FRAME_MAX

static const char *mode_names[] = { "append", "update", "complete" };

const char *sp_mode_name(enum sp_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

int sp_mode_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(s, mode_names[i]))
			return i;
	return -1;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- decoding ---- */

/* A bounded view of one payload, naming the frame in errors. */
struct cursor {
	const uint8_t *p, *end, *base;
	const char *name;
	uint64_t foff, seq;
	struct sp_err *err;
	int unzipped;		/* p points into a decompressed payload */
};

static int cur_fail(struct cursor *c, const char *what)
{
	return sp_err_set(c->err, "%s: frame %llu at offset %llu: %s (at %spayload byte %zu)", c->name,
			  (unsigned long long)c->seq, (unsigned long long)c->foff, what,
			  c->unzipped ? "uncompressed " : "", (size_t)(c->p - c->base));
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static const uint8_t *take(struct cursor *c, size_t n, const char *what)
{
	const uint8_t *p = c->p;

	if ((size_t)(c->end - c->p) < n) {
		cur_fail(c, what);
		return NULL;
	}
	c->p += n;
	return p;
}

static int cur_done(struct cursor *c)
{
	if (c->end - c->p >= 8 || (c->p - c->base) % 8 + (c->end - c->p) > 8)
		return cur_fail(c, "trailing bytes after the frame's content");
	return 0;
}

static struct sp_type *schema_type(struct cursor *c, int depth)
{
	const uint8_t *p;
	struct sp_type *t;
	uint32_t nf, nl;

	if (depth > SP_TYPE_MAX_DEPTH) {
		cur_fail(c, "schema nested too deeply");
		return NULL;
	}
	if (!(p = take(c, 1, "schema truncated")))
		return NULL;
	switch (*p) {
	case SP_T_BOOLEAN:
	case SP_T_LONG:
	case SP_T_DOUBLE:
	case SP_T_STRING:
	case SP_T_BINARY:
	case SP_T_TIMESTAMP:
	case SP_T_DATE:
		return sp_type_prim(*p);
	case SP_T_ARRAY:
		if (!(t = schema_type(c, depth + 1)))
			return NULL;
		return sp_type_new_array(t);
	case SP_T_STRUCT:
		break;
	default:
		c->p--;
		cur_fail(c, "unknown type code in schema");
		return NULL;
	}
	if (!(p = take(c, 4, "schema truncated")))
		return NULL;
	nf = get32(p);
	if (nf > SP_TYPE_MAX_FIELDS) {
		cur_fail(c, "too many fields in schema");
		return NULL;
	}
	t = sp_type_new_struct();
	for (uint32_t i = 0; i < nf; i++) {
		const uint8_t *flags, *name;
		struct sp_type *ft;
		char *s;

		if (!(flags = take(c, 1, "schema truncated")) || !(p = take(c, 4, "schema truncated")))
			goto fail;
		nl = get32(p);
		if (nl == 0 || nl > 65535) {
			cur_fail(c, "bad field name length in schema");
			goto fail;
		}
		if (!(name = take(c, nl, "schema truncated")))
			goto fail;
		if (memchr(name, 0, nl)) {
			cur_fail(c, "NUL byte in a field name");
			goto fail;
		}
		if (!(ft = schema_type(c, depth + 1)))
			goto fail;
		s = sp_xstrndup((const char *)name, nl);
		sp_type_add_field(t, s, ft, *flags & SP_FIELD_KEY);
		free(s);
	}
	return t;
fail:
	sp_type_unref(t);
	return NULL;
}

static int schema_decode(struct cursor *c, struct sp_type **out)
{
	struct sp_type *t = schema_type(c, 0);

	if (!t)
		return -1;
	if (t->id != SP_T_STRUCT) {
		sp_type_unref(t);
		return cur_fail(c, "schema is not a struct");
	}
	if (cur_done(c) < 0) {
		sp_type_unref(t);
		return -1;
	}
	*out = t;
	return 0;
}

int sp_schema_decode(const void *buf, size_t len, struct sp_type **out, struct sp_err *err)
{
	struct cursor c = { buf, (const uint8_t *)buf + len, buf, "schema", 0, 0, err, 0 };

	return schema_decode(&c, out);
}

/* Column skeletons: struct sp_col trees that borrow decoded memory. */
static void skel_init(struct sp_col *c, const struct sp_type *t)
{
	memset(c, 0, sizeof *c);
	c->type = t;
	if (t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
		c->nchild = t->id == SP_T_STRUCT ? t->nfields : 1;
		c->child = sp_xcalloc(c->nchild, sizeof *c->child);
		for (size_t i = 0; i < c->nchild; i++)
			skel_init(&c->child[i], t->id == SP_T_STRUCT ? t->fields[i].type : t->elem);
	}
}

static void skel_free(struct sp_col *c)
{
	for (size_t i = 0; i < c->nchild; i++)
		skel_free(&c->child[i]);
	free(c->child);
}

static int offsets(struct cursor *c, struct sp_col *col, size_t n, uint32_t *last)
{
	const uint8_t *p;
	const uint32_t *off;

	if (!(p = take(c, PAD8((n + 1) * 4), "offsets truncated")))
		return -1;
	off = (const uint32_t *)p;
	if (off[0] != 0) {
		c->p = p;
		return cur_fail(c, "first offset is not 0");
	}
	for (size_t i = 0; i < n; i++)
		if (off[i + 1] < off[i]) {
			c->p = p + (i + 1) * 4;
			return cur_fail(c, "offsets go backwards");
		}
	col->off = (uint32_t *)off;
	*last = off[n];
	return 0;
}

static int col_decode(struct cursor *c, struct sp_col *col, size_t n)
{
	const uint8_t *p;
	uint32_t last;
	size_t bytes;

	col->n = n;
	if (!(p = take(c, 8, "column header truncated")))
		return -1;
	if (p[0] > 1 || !all_zero(p + 1, 7)) {
		c->p -= 8;
		return cur_fail(c, "bad column header");
	}
	col->valid = NULL;
	if (p[0] && !(col->valid = (uint8_t *)take(c, PAD8((n + 7) / 8), "validity bitmap truncated")))
		return -1;
	switch (col->type->id) {
	case SP_T_BOOLEAN:
		if (!(p = take(c, PAD8(n), "values truncated")))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (p[i] > 1) {
				c->p = p + i;
				return cur_fail(c, "boolean value is not 0 or 1");
			}
		col->data = (void *)p;
		return 0;
	case SP_T_STRING:
	case SP_T_BINARY:
		if (offsets(c, col, n, &last) < 0 || !(p = take(c, PAD8((size_t)last), "string data truncated")))
			return -1;
		col->data = (void *)p;
		return 0;
	case SP_T_STRUCT:
		for (size_t i = 0; i < col->nchild; i++)
			if (col_decode(c, &col->child[i], n) < 0)
				return -1;
		return 0;
	case SP_T_ARRAY:
		if (offsets(c, col, n, &last) < 0)
			return -1;
		if (last > MAX_COUNT)
			return cur_fail(c, "too many array elements in one frame");
		return col_decode(c, col->child, last);
	default:
		if (sp_size_mul(n, 8, &bytes) < 0)
			bytes = SIZE_MAX;
		if (!(p = take(c, bytes, "values truncated")))
			return -1;
		col->data = (void *)p;
		return 0;
	}
}

/* ---- the reader ---- */

struct sp_reader {
	int fd;
	char *name;
	uint8_t *buf;		/* 8-aligned, holds buffered stream bytes */
	int borrowed;		/* buf is the caller's (a memory reader) */
	size_t cap, start, len;	/* buffered bytes: buf[start .. start+len) */
	uint64_t pos;		/* stream offset of buf[start] */
	uint64_t seq;
	int eos;
	struct sp_type *schema;
	struct sp_batch batch;	/* skeleton over the current payload */
	char *text;		/* last INFO or END text */
	uint8_t *zbuf;		/* decompressed payloads */
	size_t zcap;
	ZSTD_DCtx *zd;
};

static int fill(struct sp_reader *rd, size_t want, struct sp_err *err);

static const uint8_t *bufp(const struct sp_reader *rd)
{
	return rd->buf + rd->start;
}

static void consume(struct sp_reader *rd, size_t n)
{
	rd->start += n;
	rd->len -= n;
	rd->pos += n;
}

static int reader_init(struct sp_reader *rd, struct sp_err *err)
{
	const uint8_t *hdr;
	unsigned version;
	int r = fill(rd, SP_FRAME_HEADER_LEN, err);

	if (r < 0)
		return -1;
	hdr = bufp(rd);
	if (r == 0 && rd->len == 0)
		return sp_err_set(err, "%s is empty, not a frame stream (did the upstream tool fail?)", rd->name);
	if (rd->len < 8 || memcmp(hdr, SP_FRAME_MAGIC, 8))
		return sp_err_set(err, "%s is not a frame stream (did you forget stream-read?)", rd->name);
	if (r == 0)
		return sp_err_set(err, "%s: truncated stream header", rd->name);
	version = (unsigned)hdr[8] | (unsigned)hdr[9] << 8;
	if (version != SP_FRAME_VERSION)
		return sp_err_set(err, "%s: frame stream version %u is not supported (this is version %d)",
				  rd->name, version, SP_FRAME_VERSION);
	if (!all_zero(hdr + 10, 6))
		return sp_err_set(err, "%s: bad stream header (reserved bytes are not zero)", rd->name);
	consume(rd, SP_FRAME_HEADER_LEN);
	return 0;
}

static struct sp_reader *reader_new(int fd, const char *name)
{
	struct sp_reader *rd = sp_xcalloc(1, sizeof *rd);

	rd->fd = fd;
	rd->name = sp_xstrdup(name);
	return rd;
}

static int reader_start(struct sp_reader *rd, struct sp_reader **out, struct sp_err *err)
{
	if (reader_init(rd, err) < 0) {
		sp_reader_free(rd);
		return -1;
	}
	*out = rd;
	return 0;
}

int sp_reader_open_fd(struct sp_reader **out, int fd, const char *name, struct sp_err *err)
{
#ifdef F_SETPIPE_SZ
	fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
#endif
	return reader_start(reader_new(fd, name), out, err);
}

int sp_reader_open(struct sp_reader **out, const char *path, struct sp_err *err)
{
	char *name;
	int fd, r;

	if (!strcmp(path, "-"))
		return sp_reader_open_fd(out, 0, "standard input", err);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sp_err_sys(err, "cannot open '%s'", path);
	name = sp_xasprintf("'%s'", path);
	r = sp_reader_open_fd(out, fd, name, err);
	free(name);
	return r;
}

int sp_reader_open_mem(struct sp_reader **out, const void *buf, size_t len, const char *name,
		       struct sp_err *err)
{
	static uint64_t empty;
	struct sp_reader *rd = reader_new(-1, name);

	/* Payloads must be 8-byte aligned in memory: a copy if buf is not. */
	if (!len)
		buf = &empty;
	if ((uintptr_t)buf % 8 == 0) {
		rd->buf = (uint8_t *)buf;
		rd->borrowed = 1;
	} else {
		rd->buf = sp_xmalloc(len);
		if (len)
			memcpy(rd->buf, buf, len);
	}
	rd->cap = rd->len = len;
	return reader_start(rd, out, err);
}

const char *sp_reader_name(const struct sp_reader *rd)
{
	return rd->name;
}

int sp_reader_fd(const struct sp_reader *rd)
{
	return rd->fd;
}

size_t sp_reader_buffered(const struct sp_reader *rd)
{
	return rd->len;
}

static void reader_drop_schema(struct sp_reader *rd)
{
	if (!rd->schema)
		return;
	for (size_t i = 0; i < rd->schema->nfields; i++)
		skel_free(&rd->batch.cols[i]);
	free(rd->batch.cols);
	memset(&rd->batch, 0, sizeof rd->batch);
	sp_type_unref(rd->schema);
	rd->schema = NULL;
}

void sp_reader_free(struct sp_reader *rd)
{
	if (!rd)
		return;
	reader_drop_schema(rd);
	if (rd->fd >= 0)
		close(rd->fd);
	if (!rd->borrowed)
		free(rd->buf);
	free(rd->zbuf);
	free(rd->text);
	ZSTD_freeDCtx(rd->zd);
	free(rd->name);
	free(rd);
}

/* Makes want bytes available at buf[start]: 1, or 0 if the stream ends first, or -1. */
static int fill(struct sp_reader *rd, size_t want, struct sp_err *err)
{
	ssize_t r;

	if (rd->len >= want)
		return 1;
	if (rd->fd < 0)
		return 0;
	if (rd->start + want > rd->cap) {
		if (rd->len)
			memmove(rd->buf, rd->buf + rd->start, rd->len);
		rd->start = 0;
		if (want > rd->cap) {
			size_t cap = rd->cap ? rd->cap : PIPE_SIZE;

			while (cap < want)
				cap *= 2;
			rd->buf = sp_xrealloc(rd->buf, cap);	/* malloc alignment is at least 8 */
			rd->cap = cap;
		}
	}
	while (rd->len < want) {
		r = read(rd->fd, rd->buf + rd->start + rd->len, rd->cap - rd->start - rd->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return sp_err_sys(err, "cannot read %s", rd->name);
		if (r == 0)
			return 0;
		rd->len += (size_t)r;
	}
	return 1;
}


static int decode_rows(struct sp_reader *rd, struct cursor *c, struct sp_frame *fr)
{
	const uint8_t *p;
	uint32_t nrows, ncols;

	if (!rd->schema)
		return cur_fail(c, "row frame before any schema frame");
	if (fr->flags & SP_FRF_ZSTD) {
		uint64_t raw, clen;
		unsigned long long csize;
		size_t got;

		if (!(p = take(c, 16, "compressed frame header truncated")))
			return -1;
		raw = get64(p);
		clen = get64(p + 8);
		if (raw > SP_FRAME_MAX || raw % 8 || raw < 8) {
			c->p = p;
			return cur_fail(c, "bad uncompressed length");
		}
		if (!(p = take(c, clen, "compressed data truncated")) || cur_done(c) < 0)
			return -1;
		/* A size the zstd frame declares must be the raw length: checked before allocating. */
		csize = ZSTD_getFrameContentSize(p, clen);
		if (csize == ZSTD_CONTENTSIZE_ERROR || (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize != raw)) {
			c->p = p;
			return cur_fail(c, csize == ZSTD_CONTENTSIZE_ERROR ? "not a zstd frame" :
					"zstd frame's content size is not the raw length");
		}
		if (raw > rd->zcap) {
			free(rd->zbuf);
			rd->zbuf = sp_xmalloc(raw);
			rd->zcap = raw;
		}
		if (!rd->zd)
			rd->zd = ZSTD_createDCtx();
		got = ZSTD_decompressDCtx(rd->zd, rd->zbuf, raw, p, clen);
		if (ZSTD_isError(got) || got != raw)
			return cur_fail(c, ZSTD_isError(got) ? ZSTD_getErrorName(got) : "decompressed size differs");
		c->base = c->p = rd->zbuf;
		c->end = rd->zbuf + raw;
		c->unzipped = 1;
	}
	if (!(p = take(c, 8, "row frame header truncated")))
		return -1;
	nrows = get32(p);
	ncols = get32(p + 4);
	c->p = p;
	if (nrows > MAX_COUNT)
		return cur_fail(c, "too many rows in one frame");
	if (ncols != rd->schema->nfields)
		return cur_fail(c, "column count differs from the schema's");
	c->p = p + 8;
	for (size_t i = 0; i < ncols; i++)
		if (col_decode(c, &rd->batch.cols[i], nrows) < 0)
			return -1;
	if (cur_done(c) < 0)
		return -1;
	rd->batch.n = nrows;
	fr->batch = &rd->batch;
	return 0;
}

/* Copies a JSON text out of a payload (u32 length, u32 zero, bytes) into rd->text. */
static int decode_text(struct sp_reader *rd, struct cursor *c, const char **out)
{
	const uint8_t *p;
	uint32_t n;

	if (!(p = take(c, 8, "text length truncated")))
		return -1;
	n = get32(p);
	if (!all_zero(p + 4, 4)) {
		c->p = p + 4;
		return cur_fail(c, "reserved bytes are not zero");
	}
	if (!(p = take(c, n, "text truncated")) || cur_done(c) < 0)
		return -1;
	if (memchr(p, 0, n)) {
		c->p = (const uint8_t *)memchr(p, 0, n);
		return cur_fail(c, "NUL byte in text");
	}
	free(rd->text);
	rd->text = sp_xstrndup((const char *)p, n);
	*out = rd->text;
	return 0;
}

/* Reads the next frame's header and payload into *c: 1, or -1. */
static int next_frame(struct sp_reader *rd, struct sp_frame *fr, struct cursor *c, struct sp_err *err)
{
	const uint8_t *h;
	uint32_t plen;
	int r;

	memset(fr, 0, sizeof *fr);
	if ((r = fill(rd, 8, err)) < 0)
		return -1;
	if (r == 0) {
		if (rd->len == 0)
			return sp_err_set(err, "%s ended at offset %llu without an end-of-stream frame "
					  "(did the upstream tool fail?)", rd->name, (unsigned long long)rd->pos);
		return sp_err_set(err, "%s: truncated frame header at offset %llu", rd->name,
				  (unsigned long long)rd->pos);
	}
	h = bufp(rd);
	plen = get32(h + 4);
	fr->type = h[0];
	fr->flags = h[1];
	fr->offset = rd->pos;
	fr->seq = ++rd->seq;
	if (plen > SP_FRAME_MAX)
		return sp_err_set(err, "%s: frame %llu at offset %llu: length %u exceeds limit %u", rd->name,
				  (unsigned long long)fr->seq, (unsigned long long)fr->offset, plen, SP_FRAME_MAX);
	if (plen % 8 || h[2] || h[3])
		return sp_err_set(err, "%s: frame %llu at offset %llu: bad frame header (garbage in the stream?)",
				  rd->name, (unsigned long long)fr->seq, (unsigned long long)fr->offset);
	if ((r = fill(rd, 8 + (size_t)plen, err)) < 0)
		return -1;
	if (r == 0)
		return sp_err_set(err, "%s: frame %llu at offset %llu: truncated (stream ended after %zu of %u bytes)",
				  rd->name, (unsigned long long)fr->seq, (unsigned long long)fr->offset,
				  rd->len, 8 + plen);
	h = bufp(rd);
	*c = (struct cursor){ h + 8, h + 8 + plen, h + 8, rd->name, fr->offset, fr->seq, err, 0 };
	consume(rd, 8 + (size_t)plen);	/* the bytes stay put until the next call */
	return 1;
}

int sp_reader_next(struct sp_reader *rd, struct sp_frame *fr, struct sp_err *err)
{
	struct cursor c;
	const uint8_t *p;
	struct sp_type *t;

	if (rd->eos)
		return 0;
	do {
		if (next_frame(rd, fr, &c, err) < 0)
			return -1;
		/* Lower-case types are optional extensions: a reader skips them, whatever their flags. */
	} while (fr->type >= 'a' && fr->type <= 'z');
	if (fr->flags & ~(unsigned)(fr->type == SP_FR_ROWS ? SP_FRF_ZSTD : 0))
		return cur_fail(&c, "unknown frame flags");
	switch (fr->type) {
	case SP_FR_SCHEMA:
		if (schema_decode(&c, &t) < 0)
			return -1;
		reader_drop_schema(rd);
		rd->schema = t;
		rd->batch.schema = t;
		rd->batch.cols = sp_xcalloc(t->nfields, sizeof *rd->batch.cols);
		for (size_t i = 0; i < t->nfields; i++)
			skel_init(&rd->batch.cols[i], t->fields[i].type);
		fr->schema = t;
		return 1;
	case SP_FR_ROWS:
		if (decode_rows(rd, &c, fr) < 0)
			return -1;
		fr->schema = rd->schema;
		return 1;
	case SP_FR_BEGIN:
		if (!(p = take(&c, 16, "batch-begin frame truncated")))
			return -1;
		fr->info.id = (int64_t)get64(p);
		fr->info.mode = p[8];
		fr->info.watermark = SP_NO_WATERMARK;
		c.p = p;
		if (fr->info.id < 0)
			return cur_fail(&c, "negative batch id");
		c.p = p + 8;
		if (p[8] > SP_MODE_COMPLETE)
			return cur_fail(&c, "unknown output mode");
		if (!all_zero(p + 9, 7))
			return cur_fail(&c, "reserved bytes are not zero");
		c.p = p + 16;
		return cur_done(&c) < 0 ? -1 : 1;
	case SP_FR_END:
		if (!(p = take(&c, 24, "batch-end frame truncated")))
			return -1;
		fr->info.id = (int64_t)get64(p);
		fr->info.watermark = (int64_t)get64(p + 8);
		fr->info.rows = get64(p + 16);
		if (fr->info.id < 0) {
			c.p = p;
			return cur_fail(&c, "negative batch id");
		}
		if (decode_text(rd, &c, (const char **)&fr->info.meta) < 0)
			return -1;
		if (!*fr->info.meta)
			fr->info.meta = NULL;
		return 1;
	case SP_FR_HEARTBEAT:
		if (!(p = take(&c, 8, "heartbeat frame truncated")))
			return -1;
		fr->time = (int64_t)get64(p);
		return cur_done(&c) < 0 ? -1 : 1;
	case SP_FR_INFO:
		return decode_text(rd, &c, &fr->json) < 0 ? -1 : 1;
	case SP_FR_EOS:
		if (cur_done(&c) < 0)
			return -1;
		rd->eos = 1;
		return 0;
	default:
		return sp_err_set(err, "%s: frame %llu at offset %llu: unknown frame type 0x%02x (garbage in the stream?)",
				  rd->name, (unsigned long long)fr->seq, (unsigned long long)fr->offset, fr->type);
	}
}

/* ---- the writer ---- */

struct sp_writer {
	int fd;
	char *name;
	uint8_t *buf;
	size_t len, cap;
	struct sp_type *schema;	/* last schema written */
	int zlevel;
	ZSTD_CCtx *zc;
	uint8_t *scratch;
	size_t scap;
};

static int wr_flush(struct sp_writer *wr, struct sp_err *err)
{
	size_t done = 0;
	ssize_t r;

	while (done < wr->len) {
		r = write(wr->fd, wr->buf + done, wr->len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == EPIPE) {
				/* The reader went away: end quietly, as with SIGPIPE's default. */
				signal(SIGPIPE, SIG_DFL);
				raise(SIGPIPE);
			}
			return sp_err_sys(err, "cannot write %s", wr->name);
		}
		done += (size_t)r;
	}
	wr->len = 0;
	return 0;
}

int sp_writer_flush(struct sp_writer *wr, struct sp_err *err)
{
	if (wr->len && wr_flush(wr, err) < 0)
		return -1;
	if (wr->fd != 1 && fsync(wr->fd) < 0 && errno != EINVAL && errno != EROFS)
		return sp_err_sys(err, "cannot sync %s", wr->name);
	return 0;
}

/* Room for a frame of plen payload bytes; returns where the payload goes. */
static uint8_t *frame_start(struct sp_writer *wr, int type, unsigned flags, size_t plen)
{
	size_t need = wr->len + 8 + PAD8(plen);
	uint8_t *h;

	sp_grow(&wr->buf, &wr->cap, need, 1);
	h = wr->buf + wr->len;
	h[0] = (uint8_t)type;
	h[1] = (uint8_t)flags;
	put16(h + 2, 0);
	put32(h + 4, (uint32_t)PAD8(plen));
	memset(h + 8 + plen, 0, PAD8(plen) - plen);
	return h + 8;
}

static int frame_done(struct sp_writer *wr, size_t plen, struct sp_err *err)
{
	wr->len += 8 + PAD8(plen);
	return wr->len >= PIPE_SIZE ? wr_flush(wr, err) : 0;
}

int sp_writer_open_fd(struct sp_writer **out, int fd, const char *name, struct sp_err *err)
{
	struct sp_writer *wr = sp_xcalloc(1, sizeof *wr);

	(void)err;
	wr->fd = fd;
	wr->name = sp_xstrdup(name);
#ifdef F_SETPIPE_SZ
	fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
#endif
	sp_grow(&wr->buf, &wr->cap, 65536, 1);	/* grows to PIPE_SIZE and a frame as frames come */
	memcpy(wr->buf, SP_FRAME_MAGIC, 8);
	put16(wr->buf + 8, SP_FRAME_VERSION);
	put16(wr->buf + 10, 0);
	put32(wr->buf + 12, 0);
	wr->len = SP_FRAME_HEADER_LEN;
	*out = wr;
	return 0;
}

int sp_writer_open(struct sp_writer **out, const char *path, struct sp_err *err)
{
	char *name;
	int fd, r;

	if (!strcmp(path, "-"))
		return sp_writer_open_fd(out, 1, "standard output", err);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		return sp_err_sys(err, "cannot create '%s'", path);
	name = sp_xasprintf("'%s'", path);
	r = sp_writer_open_fd(out, fd, name, err);
	free(name);
	return r;
}

void sp_writer_set_zstd(struct sp_writer *wr, int level)
{
	wr->zlevel = level;
}

void sp_writer_free(struct sp_writer *wr)
{
	if (!wr)
		return;
	if (wr->fd > 1)
		close(wr->fd);
	sp_type_unref(wr->schema);
	ZSTD_freeCCtx(wr->zc);
	free(wr->scratch);
	free(wr->buf);
	free(wr->name);
	free(wr);
}

static size_t schema_size(const struct sp_type *t)
{
	size_t n = 1;

	if (t->id == SP_T_ARRAY)
		return n + schema_size(t->elem);
	if (t->id == SP_T_STRUCT) {
		n += 4;
		for (size_t i = 0; i < t->nfields; i++)
			n += 5 + strlen(t->fields[i].name) + schema_size(t->fields[i].type);
	}
	return n;
}

static uint8_t *schema_put(uint8_t *p, const struct sp_type *t)
{
	*p++ = (uint8_t)t->id;
	if (t->id == SP_T_ARRAY)
		return schema_put(p, t->elem);
	if (t->id == SP_T_STRUCT) {
		put32(p, (uint32_t)t->nfields);
		p += 4;
		for (size_t i = 0; i < t->nfields; i++) {
			size_t nl = strlen(t->fields[i].name);

			*p++ = (uint8_t)t->fields[i].flags;
			put32(p, (uint32_t)nl);
			memcpy(p + 4, t->fields[i].name, nl);
			p = schema_put(p + 4 + nl, t->fields[i].type);
		}
	}
	return p;
}

void *sp_schema_encode_new(const struct sp_type *schema, size_t *len)
{
	size_t n = schema_size(schema);
	uint8_t *p = sp_xcalloc(1, PAD8(n));

	schema_put(p, schema);
	*len = PAD8(n);
	return p;
}

/* What a reader would refuse: the writer refuses it first, naming the field. */
static int schema_check(const struct sp_type *t, const char *field, int depth, struct sp_err *err)
{
	if (depth > SP_TYPE_MAX_DEPTH)
		return sp_err_set(err, "cannot write schema: field '%s' is nested more than %d levels deep",
				  field, SP_TYPE_MAX_DEPTH);
	switch (t->id) {
	case SP_T_ARRAY:
		return schema_check(t->elem, field, depth + 1, err);
	case SP_T_STRUCT:
		if (t->nfields > SP_TYPE_MAX_FIELDS)
			return sp_err_set(err, "cannot write schema: more than %d fields in a struct",
					  SP_TYPE_MAX_FIELDS);
		for (size_t i = 0; i < t->nfields; i++) {
			size_t nl = strlen(t->fields[i].name);

			if (nl == 0 || nl > 65535)
				return sp_err_set(err, "cannot write schema: field name '%.64s' is %s", t->fields[i].name,
						  nl ? "longer than 65535 bytes" : "empty");
			if (schema_check(t->fields[i].type, t->fields[i].name, depth + 1, err) < 0)
				return -1;
		}
		return 0;
	case SP_T_NULL:
		return sp_err_set(err, "cannot write schema: field '%s' has no type (an untyped NULL)", field);
	default:
		return t->id <= SP_T_MAX ? 0 : sp_err_set(err, "cannot write schema: field '%s' has a bad type", field);
	}
}

int sp_writer_schema(struct sp_writer *wr, struct sp_type *schema, struct sp_err *err)
{
	size_t n;

	if (wr->schema && sp_type_equal(wr->schema, schema))
		return 0;
	if (schema->id != SP_T_STRUCT)
		return sp_err_set(err, "cannot write schema: not a struct");
	if (schema_check(schema, "", 0, err) < 0)
		return -1;
	n = schema_size(schema);
	if (n > SP_FRAME_MAX)
		return sp_err_set(err, "schema too large for a frame (%zu bytes)", n);
	schema_put(frame_start(wr, SP_FR_SCHEMA, 0, n), schema);
	sp_type_unref(wr->schema);
	wr->schema = sp_type_ref(schema);
	return frame_done(wr, n, err);
}

/* Sizes that cannot be written: an array with more than MAX_COUNT elements in a frame. */
#define TOO_BIG (SIZE_MAX / 4)

static size_t size_sat(size_t a, size_t b)
{
	return a >= TOO_BIG || b >= TOO_BIG || a + b >= TOO_BIG ? TOO_BIG : a + b;
}

/* Encoded size of rows [start, start+n) of c, or TOO_BIG. */
static size_t col_size(const struct sp_col *c, size_t start, size_t n)
{
	size_t s = 8 + (c->valid ? PAD8((n + 7) / 8) : 0), elems;

	switch (c->type->id) {
	case SP_T_BOOLEAN:
		return s + PAD8(n);
	case SP_T_STRING:
	case SP_T_BINARY:
		return s + PAD8((n + 1) * 4) + PAD8((size_t)(c->off[start + n] - c->off[start]));
	case SP_T_STRUCT:
		for (size_t i = 0; i < c->nchild; i++)
			s = size_sat(s, col_size(&c->child[i], start, n));
		return s;
	case SP_T_ARRAY:
		elems = c->off[start + n] - c->off[start];
		if (elems > MAX_COUNT)
			return TOO_BIG;
		return size_sat(s + PAD8((n + 1) * 4), col_size(c->child, c->off[start], elems));
	default:
		return s + n * 8;
	}
}

static uint8_t *pad(uint8_t *p, size_t used)
{
	memset(p + used, 0, PAD8(used) - used);
	return p + PAD8(used);
}

static uint8_t *put_offsets(uint8_t *p, const uint32_t *off, size_t start, size_t n)
{
	uint32_t *o = (uint32_t *)p, base = off[start];

	for (size_t i = 0; i <= n; i++)
		o[i] = off[start + i] - base;
	return pad(p, (n + 1) * 4);
}

/* Bits [start, start+n) of the bitmap v into p[0 .. (n+7)/8), bits past n cleared. */
static void put_bits(uint8_t *p, const uint8_t *v, size_t start, size_t n)
{
	size_t bytes = (n + 7) / 8, src = start / 8, srcend = (start + n + 7) / 8;
	unsigned sh = start % 8;

	if (!sh) {
		memcpy(p, v + src, bytes);
	} else {
		for (size_t j = 0; j < bytes; j++, src++)
			p[j] = (uint8_t)(v[src] >> sh | (src + 1 < srcend ? v[src + 1] << (8 - sh) : 0));
	}
	if (n % 8)
		p[bytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
}

static uint8_t *col_put(uint8_t *p, const struct sp_col *c, size_t start, size_t n)
{
	size_t bytes;

	memset(p, 0, 8);
	p[0] = c->valid != NULL;
	p += 8;
	if (c->valid) {
		put_bits(p, c->valid, start, n);
		p = pad(p, (n + 7) / 8);
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		if (n)
			memcpy(p, (const uint8_t *)c->data + start, n);
		return pad(p, n);
	case SP_T_STRING:
	case SP_T_BINARY:
		p = put_offsets(p, c->off, start, n);
		bytes = c->off[start + n] - c->off[start];
		if (bytes)
			memcpy(p, (const char *)c->data + c->off[start], bytes);
		return pad(p, bytes);
	case SP_T_STRUCT:
		for (size_t i = 0; i < c->nchild; i++)
			p = col_put(p, &c->child[i], start, n);
		return p;
	case SP_T_ARRAY:
		p = put_offsets(p, c->off, start, n);
		return col_put(p, c->child, c->off[start], c->off[start + n] - c->off[start]);
	default:
		if (n)
			memcpy(p, (const int64_t *)c->data + start, n * 8);
		return p + n * 8;
	}
}

static size_t rows_size(const struct sp_batch *b, size_t start, size_t n)
{
	size_t s = 8;

	for (size_t i = 0; i < b->schema->nfields; i++)
		s = size_sat(s, col_size(&b->cols[i], start, n));
	return s;
}

static void rows_put(uint8_t *p, const struct sp_batch *b, size_t start, size_t n)
{
	put32(p, (uint32_t)n);
	put32(p + 4, (uint32_t)b->schema->nfields);
	p += 8;
	for (size_t i = 0; i < b->schema->nfields; i++)
		p = col_put(p, &b->cols[i], start, n);
}

static int write_rows(struct sp_writer *wr, const struct sp_batch *b, size_t start, size_t n, size_t size,
		      struct sp_err *err)
{
	size_t bound, clen;
	uint8_t *p;

	if (!wr->zlevel) {
		rows_put(frame_start(wr, SP_FR_ROWS, 0, size), b, start, n);
		return frame_done(wr, size, err);
	}
	sp_grow(&wr->scratch, &wr->scap, size, 1);
	rows_put(wr->scratch, b, start, n);
	if (!wr->zc)
		wr->zc = ZSTD_createCCtx();
	bound = ZSTD_compressBound(size);
	p = frame_start(wr, SP_FR_ROWS, SP_FRF_ZSTD, 16 + bound);
	clen = ZSTD_compressCCtx(wr->zc, p + 16, bound, wr->scratch, size, wr->zlevel);
	if (ZSTD_isError(clen))
		return sp_err_set(err, "zstd: %s", ZSTD_getErrorName(clen));
	if (16 + clen >= size) {
		/* Incompressible: the plain frame is smaller, and always within the limit. */
		memcpy(frame_start(wr, SP_FR_ROWS, 0, size), wr->scratch, size);
		return frame_done(wr, size, err);
	}
	put64(p, size);
	put64(p + 8, clen);
	/* frame_start sized the frame for the bound: fix the header to the real length. */
	put32(p - 4, (uint32_t)PAD8(16 + clen));
	memset(p + 16 + clen, 0, PAD8(16 + clen) - (16 + clen));
	return frame_done(wr, 16 + clen, err);
}

/*
 * Cuts b into frames of about SP_FRAME_TARGET bytes. Chunks are multiples
 * of 8 rows, so that validity bitmaps are copied, not shifted.
 */
int sp_writer_rows(struct sp_writer *wr, const struct sp_batch *b, struct sp_err *err)
{
	size_t start = 0, chunk, size, total;

	if (sp_writer_schema(wr, b->schema, err) < 0)
		return -1;
	if (!b->n)
		return 0;
	total = rows_size(b, 0, b->n);
	chunk = b->n;
	if (total > SP_FRAME_TARGET || chunk > MAX_COUNT) {
		chunk = total >= TOO_BIG ? b->n / 2 + 1 : b->n / (total / SP_FRAME_TARGET + 1) + 1;
		chunk = (chunk + 7) & ~(size_t)7;
		if (chunk > MAX_COUNT)
			chunk = MAX_COUNT;
	}
	while (start < b->n) {
		if (chunk > b->n - start)
			chunk = b->n - start;
		size = chunk == b->n ? total : rows_size(b, start, chunk);
		if (size > SP_FRAME_MAX) {
			if (chunk == 1 && size >= TOO_BIG)
				return sp_err_set(err, "row %zu has more than %u array elements, more than a frame holds",
						  start, MAX_COUNT);
			if (chunk == 1)
				return sp_err_set(err, "row %zu is too large for a frame (%zu bytes, the limit is %u)",
						  start, size, SP_FRAME_MAX);
			chunk = chunk >= 16 ? (chunk / 2) & ~(size_t)7 : chunk / 2;
			continue;
		}
		if (write_rows(wr, b, start, chunk, size, err) < 0)
			return -1;
		start += chunk;
	}
	return 0;
}

int sp_writer_begin(struct sp_writer *wr, const struct sp_batch_info *bi, struct sp_err *err)
{
	uint8_t *p;

	if (bi->id < 0 || (unsigned)bi->mode > SP_MODE_COMPLETE)
		return sp_err_set(err, "cannot write batch %lld: bad batch id or output mode", (long long)bi->id);
	p = frame_start(wr, SP_FR_BEGIN, 0, 16);
	put64(p, (uint64_t)bi->id);
	memset(p + 8, 0, 8);
	p[8] = (uint8_t)bi->mode;
	return frame_done(wr, 16, err);
}

static uint8_t *put_text(uint8_t *p, const char *s, size_t n)
{
	put32(p, (uint32_t)n);
	put32(p + 4, 0);
	memcpy(p + 8, s, n);
	return p + 8 + n;
}

int sp_writer_end(struct sp_writer *wr, const struct sp_batch_info *bi, struct sp_err *err)
{
	size_t n = bi->meta ? strlen(bi->meta) : 0;
	uint8_t *p;

	if (bi->id < 0)
		return sp_err_set(err, "cannot write batch %lld: bad batch id", (long long)bi->id);
	if (n > SP_FRAME_MAX / 2)
		return sp_err_set(err, "batch metadata too large (%zu bytes)", n);
	p = frame_start(wr, SP_FR_END, 0, 32 + n);
	put64(p, (uint64_t)bi->id);
	put64(p + 8, (uint64_t)bi->watermark);
	put64(p + 16, bi->rows);
	put_text(p + 24, bi->meta ? bi->meta : "", n);
	return frame_done(wr, 32 + n, err);
}

int sp_writer_heartbeat(struct sp_writer *wr, int64_t time, struct sp_err *err)
{
	put64(frame_start(wr, SP_FR_HEARTBEAT, 0, 8), (uint64_t)time);
	return frame_done(wr, 8, err);
}

int sp_writer_info(struct sp_writer *wr, const char *json, struct sp_err *err)
{
	size_t n = strlen(json);

	if (n > SP_FRAME_MAX / 2)
		return sp_err_set(err, "stream info too large (%zu bytes)", n);
	put_text(frame_start(wr, SP_FR_INFO, 0, 8 + n), json, n);
	return frame_done(wr, 8 + n, err);
}

int sp_writer_eos(struct sp_writer *wr, struct sp_err *err)
{
	frame_start(wr, SP_FR_EOS, 0, 0);
	if (frame_done(wr, 0, err) < 0)
		return -1;
	return sp_writer_flush(wr, err);
}
