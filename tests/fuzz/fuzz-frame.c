/*
 * fuzz-frame: any bytes through a frame reader. Every value of every
 * decoded batch is read (so that ASan sees a bad offset), copied row by
 * row into owned columns, and the frames are written again by a writer;
 * the writer's stream must then read back to the same rows and control
 * frames. A reader may refuse the input, but never crash or hand out a
 * batch that does not hold together.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"

/* Reads every value of row i. */
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
	case SP_T_BOOLEAN:
		if (v.u.b > 1)
			abort();
		return (uint64_t)v.u.b;
	case SP_T_DOUBLE:
		return (uint64_t)(v.u.d == v.u.d);
	default:
		return (uint64_t)v.u.i;
	}
}

static int col_eq(const struct sp_col *a, size_t i, const struct sp_col *b, size_t j)
{
	size_t la, lb;
	const char *pa, *pb;

	if (sp_col_isnull(a, i) != sp_col_isnull(b, j))
		return 0;
	if (sp_col_isnull(a, i))
		return 1;
	switch (a->type->id) {
	case SP_T_BOOLEAN:
		return sp_col_bool(a, i) == sp_col_bool(b, j);
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
		/* DOUBLE too: the bits travel unchanged */
		return sp_col_i64(a, i) == sp_col_i64(b, j);
	}
}

/* What the first pass saw, to compare with the second. */
struct seen {
	int type;
	struct sp_batch *b;	/* ROWS: an owned copy */
	struct sp_batch_info info;
	int64_t time;
	char *text;
};

static void seen_free(struct seen *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].b) {
			sp_batch_release(s[i].b);
			free(s[i].b);
		}
		free(s[i].text);
	}
	free(s);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_reader *rd = NULL;
	struct sp_writer *wr = NULL;
	struct sp_frame fr;
	struct seen *seen = NULL;
	size_t nseen = 0, rows_in = 0;
	uint64_t h = 0;
	int r, fd;

	if (sp_reader_open_mem(&rd, data, size, "fuzz", &err) < 0)
		return 0;
	fd = memfd_create("fuzz-frame", 0);
	if (fd < 0 || sp_writer_open_fd(&wr, fd, "memfd", &err) < 0)
		abort();
	while ((r = sp_reader_next(rd, &fr, &err)) > 0) {
		struct seen s = { (int)fr.type, NULL, fr.info, fr.time, NULL };

		s.info.meta = NULL;
		switch (fr.type) {
		case SP_FR_ROWS:
			if (!fr.batch || fr.batch->schema != fr.schema || fr.batch->cols == NULL)
				abort();
			for (size_t i = 0; i < fr.schema->nfields; i++) {
				if (fr.batch->cols[i].n != fr.batch->n)
					abort();
				for (size_t row = 0; row < fr.batch->n; row++)
					h += touch(&fr.batch->cols[i], row);
			}
			s.b = copy_batch(fr.batch);
			rows_in += fr.batch->n;
			if (sp_writer_rows(wr, fr.batch, &err) < 0)
				abort();
			break;
		case SP_FR_SCHEMA:
			/* Empty schemas are written only with rows; the next reader sees the rows' schema. */
			s.type = 0;
			break;
		case SP_FR_BEGIN:
			if (sp_writer_begin(wr, &fr.info, &err) < 0)
				abort();
			break;
		case SP_FR_END:
			if (fr.info.meta)
				s.text = sp_xstrdup(fr.info.meta);
			if (sp_writer_end(wr, &fr.info, &err) < 0)
				abort();
			break;
		case SP_FR_HEARTBEAT:
			if (sp_writer_heartbeat(wr, fr.time, &err) < 0)
				abort();
			break;
		case SP_FR_INFO:
			s.text = sp_xstrdup(fr.json);
			if (sp_writer_info(wr, fr.json, &err) < 0)
				abort();
			break;
		default:
			abort();
		}
		if (s.type && !(s.type == SP_FR_ROWS && s.b->n == 0)) {
			seen = sp_xrealloc(seen, (nseen + 1) * sizeof *seen);
			seen[nseen++] = s;
		} else if (s.b) {
			sp_batch_release(s.b);
			free(s.b);
		}
	}
	sp_reader_free(rd);
	if (r == 0) {
		/* The input read to its end: the writer's copy reads back the same. */
		struct sp_reader *rd2 = NULL;
		size_t k = 0, row = 0, len;
		uint8_t *copy;

		if (sp_writer_eos(wr, &err) < 0)
			abort();
		len = (size_t)lseek(fd, 0, SEEK_CUR);
		copy = sp_xmalloc(len + 1);
		if (pread(fd, copy, len, 0) != (ssize_t)len)
			abort();
		if (sp_reader_open_mem(&rd2, copy, len, "copy", &err) < 0) {
			fprintf(stderr, "fuzz-frame: %s\n", err.msg);
			abort();
		}
		while ((r = sp_reader_next(rd2, &fr, &err)) > 0) {
			struct seen *s;

			if (fr.type == SP_FR_SCHEMA)
				continue;
			/* the writer may cut one row frame into several */
			while (k < nseen && seen[k].type == SP_FR_ROWS && row == seen[k].b->n)
				k++, row = 0;
			if (k >= nseen)
				abort();
			s = &seen[k];
			if ((int)fr.type != s->type)
				abort();
			switch (fr.type) {
			case SP_FR_ROWS:
				if (!sp_type_equal(fr.schema, s->b->schema) || row + fr.batch->n > s->b->n)
					abort();
				for (size_t i = 0; i < fr.batch->n; i++, row++)
					for (size_t c = 0; c < fr.schema->nfields; c++)
						if (!col_eq(&fr.batch->cols[c], i, &s->b->cols[c], row))
							abort();
				break;
			case SP_FR_BEGIN:
				if (fr.info.id != s->info.id || fr.info.mode != s->info.mode)
					abort();
				k++;
				break;
			case SP_FR_END:
				if (fr.info.id != s->info.id || fr.info.watermark != s->info.watermark ||
				    fr.info.rows != s->info.rows || !fr.info.meta != !s->text ||
				    (s->text && strcmp(fr.info.meta, s->text)))
					abort();
				k++;
				break;
			case SP_FR_HEARTBEAT:
				if (fr.time != s->time)
					abort();
				k++;
				break;
			case SP_FR_INFO:
				if (strcmp(fr.json, s->text))
					abort();
				k++;
				break;
			default:
				abort();
			}
		}
		while (k < nseen && seen[k].type == SP_FR_ROWS && row == seen[k].b->n)
			k++, row = 0;
		if (r != 0 || k != nseen) {
			fprintf(stderr, "fuzz-frame: copy: %s (%zu of %zu frames)\n", err.msg, k, nseen);
			abort();
		}
		sp_reader_free(rd2);
		free(copy);
	}
	sp_writer_free(wr);
	seen_free(seen, nseen);
	(void)h;
	(void)rows_in;
	return 0;
}
