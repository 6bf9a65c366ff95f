/*
 * console.c: Spark's console sink (see console.h).
 *
 * The table is Dataset.showString: every cell is the value cast to a
 * string ("null" for NULL, "[0A FF]" for top-level binary), with control
 * characters escaped (\n -> "\n" as two characters) and, when truncating,
 * cut to `truncate` UTF-16 units ("..." replacing the last three). Column
 * widths are at least 3 and count display width: East Asian wide
 * characters take two columns, as Spark's Utils.stringHalfWidth says.
 * Cells are right-aligned when truncating, left-aligned otherwise:
 *
 *   truncate=true        truncate=false
 *   +---+-----+          +---+-----+
 *   |  n| name|          |n  |name |
 *   +---+-----+          +---+-----+
 *   |  1|Ådam |          |1  |Ådam |
 */
#include "console.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"

#define BANNER "-------------------------------------------\n"

struct sp_console {
	long num_rows;
	long truncate;		/* 0: no truncation */
	int vertical;
	int64_t batch;
	struct sp_batch kept;	/* copies of the first num_rows rows (schema NULL: none yet) */
	uint64_t seen;		/* rows of the current table, kept or not */
	struct sp_type *last;	/* the schema of the last rows seen, for empty batches */
	struct sp_buf pending;	/* tables finished earlier in this batch */
	/* cells of the table being drawn */
	struct sp_buf text;
	size_t *off;		/* (rows + 1) * cols + 1 offsets into text */
	size_t *width;		/* display width of each cell */
	size_t ncells, cellcap, widthcap;
};

int sp_console_new(struct sp_console **out, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_console *c = sp_xcalloc(1, sizeof *c);
	const char *v;

	(void)err;
	c->num_rows = (long)sp_kvs_long(o, "numRows", 20, INT_MIN, INT_MAX);
	if (c->num_rows < 0)
		c->num_rows = 0;
	v = sp_kvs_get(o, "truncate", NULL);
	if (!v || !strcasecmp(v, "true")) {
		c->truncate = 20;
	} else if (!strcasecmp(v, "false")) {
		c->truncate = 0;
	} else {
		char *end;
		long n = strtol(v, &end, 10);

		if (end == v || *end)
			sp_usage_error("option -o truncate=%s: expected true, false or a number of characters", v);
		c->truncate = n > 0 ? n : 0;
	}
	c->vertical = sp_kvs_bool(o, "vertical", 0);
	*out = c;
	return 0;
}

void sp_console_begin(struct sp_console *c, int64_t batch_id)
{
	c->batch = batch_id;
	c->seen = 0;
	if (c->kept.schema)
		sp_batch_reset(&c->kept);
	sp_buf_reset(&c->pending);
}

/* ---- cells ---- */

/* Full-width characters, the ranges of Spark's Utils.fullWidthRegex. */
static int full_width(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE10 && cp <= 0xFE19) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
	       (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6);
}

/* Decodes one UTF-8 character at s (n > 0 bytes); returns its length. Bad bytes count alone. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		v = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		v = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (len > n) {
		*cp = 0xFFFD;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = v << 6 | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

/* Java's String.length (UTF-16 units) of UTF-8 text. */
static size_t utf16_len(const char *s, size_t n)
{
	size_t units = 0, i = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_next((const unsigned char *)s + i, n - i, &cp);
		units += cp >= 0x10000 ? 2 : 1;
	}
	return units;
}

/* Spark's Utils.stringHalfWidth: UTF-16 length plus one per full-width character. */
static size_t half_width(const char *s, size_t n)
{
	size_t w = 0, i = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_next((const unsigned char *)s + i, n - i, &cp);
		w += (cp >= 0x10000 ? 2 : 1) + full_width(cp);
	}
	return w;
}

/* Appends s with SchemaUtils.escapeMetaCharacters applied. */
static void put_escaped(struct sp_buf *out, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		case '\f': rep = "\\f"; break;
		case '\b': rep = "\\b"; break;
		case '\v': rep = "\\v"; break;
		case '\a': rep = "\\a"; break;
		}
		if (rep) {
			sp_buf_add(out, s + start, i - start);
			sp_buf_add(out, rep, 2);
			start = i + 1;
		}
	}
	sp_buf_add(out, s + start, n - start);
}

/* Cuts the text from mark on to its first `units` UTF-16 units (Java's substring). */
static void cut_units(struct sp_buf *b, size_t mark, size_t units)
{
	size_t i = mark, u = 0;
	uint32_t cp;

	while (i < b->len && u < units) {
		size_t k = utf8_next((const unsigned char *)b->p + i, b->len - i, &cp);
		size_t w = cp >= 0x10000 ? 2 : 1;

		if (u + w > units) {
			/* half a surrogate pair: Java prints it as '?' */
			b->p[i] = '?';
			i++;
			u++;
			break;
		}
		i += k;
		u += w;
	}
	b->len = i;
	b->p[i] = '\0';
}

static void add_cell(struct sp_console *c, size_t mark)
{
	if (c->ncells + 2 > c->cellcap)
		sp_grow(&c->off, &c->cellcap, c->ncells + 2, sizeof *c->off);
	if (c->ncells + 1 > c->widthcap)
		sp_grow(&c->width, &c->widthcap, c->ncells + 1, sizeof *c->width);
	c->off[c->ncells] = mark;
	c->width[c->ncells] = half_width(c->text.p + mark, c->text.len - mark);
	c->ncells++;
	c->off[c->ncells] = c->text.len;
}

/* One data cell: the value as Spark's show() prints it. */
static void data_cell(struct sp_console *c, const struct sp_col *col, size_t row, struct sp_buf *tmp)
{
	size_t mark = c->text.len;
	struct sp_val v;

	sp_col_get(col, row, &v);
	if (v.null || v.t == SP_T_NULL) {
		sp_buf_puts(&c->text, "null");
	} else if (v.t == SP_T_BINARY) {
		sp_buf_addc(&c->text, '[');
		for (size_t i = 0; i < v.u.s.len; i++)
			sp_buf_printf(&c->text, i ? " %02X" : "%02X", (unsigned char)v.u.s.p[i]);
		sp_buf_addc(&c->text, ']');
	} else {
		sp_buf_reset(tmp);
		sp_val_format(tmp, &v);
		put_escaped(&c->text, tmp->p ? tmp->p : "", tmp->len);
	}
	if (c->truncate > 0 && utf16_len(c->text.p + mark, c->text.len - mark) > (size_t)c->truncate) {
		if (c->truncate < 4) {
			cut_units(&c->text, mark, (size_t)c->truncate);
		} else {
			cut_units(&c->text, mark, (size_t)c->truncate - 3);
			sp_buf_puts(&c->text, "...");
		}
	}
	add_cell(c, mark);
}

/* Spaces (or another character) so that a cell of width w fills width. */
static void pad(struct sp_buf *out, size_t w, size_t width, char ch)
{
	for (; w < width; w++)
		sp_buf_addc(out, ch);
}

static void put_cell(const struct sp_console *c, struct sp_buf *out, size_t k, size_t width, int right)
{
	if (right)
		pad(out, c->width[k], width, ' ');
	sp_buf_add(out, c->text.p + c->off[k], c->off[k + 1] - c->off[k]);
	if (!right)
		pad(out, c->width[k], width, ' ');
}

static void sep_line(struct sp_buf *out, const size_t *colw, size_t ncols)
{
	sp_buf_addc(out, '+');
	for (size_t j = 0; j < ncols; j++) {
		if (j)
			sp_buf_addc(out, '+');
		pad(out, 0, colw[j], '-');
	}
	sp_buf_puts(out, "+\n");
}

static void row_line(const struct sp_console *c, struct sp_buf *out, size_t first, const size_t *colw, size_t ncols)
{
	sp_buf_addc(out, '|');
	for (size_t j = 0; j < ncols; j++) {
		if (j)
			sp_buf_addc(out, '|');
		put_cell(c, out, first + j, colw[j], c->truncate > 0);
	}
	sp_buf_puts(out, "|\n");
}

/* Draws the kept rows (of schema st) as showString does. */
static void draw(struct sp_console *c, struct sp_buf *out, const struct sp_type *st, const struct sp_batch *rows,
		 uint64_t seen)
{
	size_t ncols = st ? st->nfields : 0, nrows = rows ? rows->n : 0;
	struct sp_buf tmp = SP_BUF_INIT;
	size_t *colw;

	sp_buf_reset(&c->text);
	c->ncells = 0;
	for (size_t j = 0; j < ncols; j++) {
		size_t mark = c->text.len;

		put_escaped(&c->text, st->fields[j].name, strlen(st->fields[j].name));
		add_cell(c, mark);
	}
	for (size_t i = 0; i < nrows; i++)
		for (size_t j = 0; j < ncols; j++)
			data_cell(c, &rows->cols[j], i, &tmp);
	sp_buf_release(&tmp);
	colw = sp_xcalloc(ncols + 1, sizeof *colw);
	if (!c->vertical) {
		for (size_t j = 0; j < ncols; j++) {
			colw[j] = 3;
			for (size_t i = 0; i <= nrows; i++)
				if (c->width[i * ncols + j] > colw[j])
					colw[j] = c->width[i * ncols + j];
		}
		/* scala's addString(sb, start, sep, end): "+---+---+", and "++" for no columns */
		sep_line(out, colw, ncols);
		row_line(c, out, 0, colw, ncols);
		sep_line(out, colw, ncols);
		for (size_t i = 1; i <= nrows; i++)
			row_line(c, out, i * ncols, colw, ncols);
		sep_line(out, colw, ncols);
	} else {
		size_t namew = 3, dataw = 3;

		for (size_t j = 0; j < ncols; j++)
			if (c->width[j] > namew)
				namew = c->width[j];
		for (size_t k = ncols; k < (nrows + 1) * ncols; k++)
			if (c->width[k] > dataw)
				dataw = c->width[k];
		for (size_t i = 1; i <= nrows; i++) {
			size_t mark = out->len;

			sp_buf_printf(out, "-RECORD %zu", i - 1);
			pad(out, out->len - mark, namew + dataw + 5, '-');
			sp_buf_addc(out, '\n');
			for (size_t j = 0; j < ncols; j++) {
				sp_buf_addc(out, ' ');
				put_cell(c, out, j, namew, 0);
				sp_buf_puts(out, " | ");
				put_cell(c, out, i * ncols + j, dataw, 0);
				sp_buf_puts(out, " \n");
			}
		}
	}
	free(colw);
	if (c->vertical && !nrows)
		sp_buf_puts(out, "(0 rows)\n");
	else if (seen > (uint64_t)c->num_rows)
		sp_buf_printf(out, "only showing top %ld %s\n", c->num_rows, c->num_rows == 1 ? "row" : "rows");
	/* show() prints with println */
	sp_buf_addc(out, '\n');
}

int sp_console_rows(struct sp_console *c, const struct sp_batch *b, struct sp_err *err)
{
	(void)err;
	if (c->kept.schema && !sp_type_equal(c->kept.schema, b->schema)) {
		if (c->seen) {
			draw(c, &c->pending, c->kept.schema, &c->kept, c->seen);
			c->seen = 0;
		}
		sp_batch_release(&c->kept);
	}
	if (!c->kept.schema)
		sp_batch_init(&c->kept, b->schema);
	sp_type_unref(c->last);
	c->last = sp_type_ref(b->schema);
	for (size_t i = 0; i < b->n && c->kept.n < (size_t)c->num_rows; i++) {
		for (size_t j = 0; j < b->schema->nfields; j++)
			sp_col_push_from(&c->kept.cols[j], &b->cols[j], i);
		sp_batch_row_done(&c->kept);
	}
	c->seen += b->n;
	return 0;
}

int sp_console_end(struct sp_console *c, struct sp_buf *out, struct sp_err *err)
{
	(void)err;
	sp_buf_printf(out, BANNER "Batch: %lld\n" BANNER, (long long)c->batch);
	if (c->pending.len)
		sp_buf_add(out, c->pending.p, c->pending.len);
	if (c->kept.schema)
		draw(c, out, c->kept.schema, &c->kept, c->seen);
	else if (!c->pending.len)
		draw(c, out, c->last, NULL, 0);
	sp_buf_reset(&c->pending);
	return 0;
}

void sp_console_free(struct sp_console *c)
{
	if (!c)
		return;
	if (c->kept.schema)
		sp_batch_release(&c->kept);
	sp_type_unref(c->last);
	sp_buf_release(&c->pending);
	sp_buf_release(&c->text);
	free(c->off);
	free(c->width);
	free(c);
}
