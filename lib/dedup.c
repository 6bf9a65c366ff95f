/*
 * dedup.c: streaming deduplication (see dedup.h), the engine of
 * stream-dedup.
 *
 * Each row's key columns are encoded as compact bytes (a NULL flag, then
 * the value: 8 bytes for numbers and times, a 4-byte length and the bytes
 * for strings, nested values field by field), hashed, and looked up in an
 * open-addressing table. A new key is appended to the entries with its
 * time, and the row passes; a known key drops the row.
 *
 * A worked example, --time t --watermark '10 minutes' --keys id,t (so the
 * time is part of the key and entries can be evicted):
 *
 *   batch  rows (id, t)           judged by  passes            watermark  evicted
 *                                                              after      at the end
 *   0      (a,12:00) (a,12:00)    0          (a,12:00)         12:10      (a,12:00)
 *          (b,12:20)                         (b,12:20)
 *   1      (a,12:00) (c,12:05)    12:10      (d,12:11)         12:15      (d,12:11)
 *          (d,12:11) (e,12:25)               (e,12:25): the
 *          (b,12:20)                         others are late
 *                                            or a duplicate
 *
 * Rows at or before the watermark of the batches before are late, whether
 * or not the time is part of the key (Spark builds that filter from the
 * input's columns, not the key's). Entries are evicted at the end of a
 * batch by the watermark it moved to, as Spark's batch without data that
 * follows a watermark change does. Evicting rebuilds the entries, their
 * bytes and the table in one pass, as Spark's eviction scans its store.
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "buf.h"
#include "key.h"
#include "timefmt.h"

/* Keys in the state at most (the table's slots stay below 2^32). */
#define MAX_KEYS (UINT32_C(1) << 31)

/* An entry: its key bytes in d->keys, and the time it is evicted by (INT64_MAX: never). */
struct ent {
	int64_t t;
	uint64_t off;
	uint32_t len;
};

struct sp_dedup {
	struct sp_dedup_opts o;
	char **names;			/* --keys, unquoted (NULL: every column) */
	size_t nnames;
	char *time;			/* --time */
	char *fp;			/* the options, for the checkpoint */

	/* the bound schema */
	struct sp_type *bound;
	int *kcol;			/* key columns */
	size_t nk;
	int tcol;			/* the time column, or -1 */
	int tkey;			/* plain mode: the time column is a key column */
	char *layout;			/* the key columns' DDL: fixed by the first bind or the checkpoint */

	struct sp_wm w;
	int64_t wm;			/* the watermark rows of this batch are judged by */

	/* the table */
	struct ent *ent;
	size_t nent, capent;
	uint64_t *slots;		/* hash top 32 bits << 32 | 1 + entry index, 0 when empty */
	size_t nslots;
	unsigned bits;			/* nslots = 2^bits */
	struct sp_buf keys;
	int64_t tmin;			/* no entry's time is below this */

	/* scratch */
	struct sp_buf kb;
	size_t *rows;
	size_t caprows;
	struct sp_batch out;
	struct sp_type *out_schema;

	/* the last batch */
	uint64_t added, removed, late, dups;
	int64_t ev_min, ev_max;

	/* the checkpoint */
	int track;
	size_t mark;			/* entries from mark on are not in the store yet */
	struct sp_buf dels;		/* u32 length + key bytes, each */
	struct sp_buf meta;		/* a restored "M" entry */
	int have_meta;
};

/* ---- the table ---- */

/*
 * The state's big arrays ask for transparent huge pages: touching fresh
 * memory a 4 KiB page at a time was most of the time spent on a large
 * state (a page fault per 40 keys).
 */
static void huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;

	if (bytes >= ((size_t)4 << 20) && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

/*
 * sp_grow() for the big arrays, of which used bytes are kept: the new
 * block is marked for huge pages before the copy touches it.
 */
static void grow_big(void *pp, size_t *cap, size_t need, size_t sz, size_t used)
{
	void **p = pp, *q;
	size_t n = *cap ? *cap : 1024, bytes;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if (sp_size_mul(n, sz, &bytes) < 0)
		sp_die("out of memory");
	q = sp_xmalloc(bytes);
	huge(q, bytes);
	if (used)
		memcpy(q, *p, used);
	free(*p);
	*p = q;
	*cap = n;
}

static inline const unsigned char *ekey(const struct sp_dedup *d, const struct ent *e)
{
	return (const unsigned char *)d->keys.p + e->off;
}

/*
 * A slot holds the top 32 bits of the key's hash (its tag) and 1 + the
 * entry's index. The home slot is the tag's top bits, so the table grows
 * without reading a key again, and a probe rarely looks at an entry whose
 * key is not the one sought.
 */
static inline size_t home(const struct sp_dedup *d, uint32_t tag)
{
	return (size_t)(tag >> (32 - d->bits));
}

/* An empty table of 2^bits slots with every entry in it; the slots only are read. */
static void slots_build(struct sp_dedup *d, unsigned bits)
{
	uint64_t *old = d->slots;
	size_t nold = d->nslots, mask = ((size_t)1 << bits) - 1;

	d->bits = bits;
	d->nslots = (size_t)1 << bits;
	d->slots = sp_xcalloc(d->nslots, sizeof *d->slots);
	huge(d->slots, d->nslots * sizeof *d->slots);
	for (size_t i = 0; i < nold; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = home(d, (uint32_t)(old[i] >> 32)); d->slots[j]; j = (j + 1) & mask)
			;
		d->slots[j] = old[i];
	}
	free(old);
}

/* The slot of key k (hash h): 1 when it is there, 0 with *slot where it goes. */
static inline int lookup(const struct sp_dedup *d, const unsigned char *k, size_t n, uint64_t h, size_t *slot)
{
	uint32_t tag = (uint32_t)(h >> 32);
	size_t mask = d->nslots - 1, j = home(d, tag);
	uint64_t v;

	while ((v = d->slots[j])) {
		if ((uint32_t)(v >> 32) == tag) {
			const struct ent *e = &d->ent[(uint32_t)v - 1];

			if (e->len == n && (!n || !memcmp(ekey(d, e), k, n)))
				return 1;
		}
		j = (j + 1) & mask;
	}
	*slot = j;
	return 0;
}

/* Adds key k (not there, to go in slot) with time t; the table may grow. */
static void insert(struct sp_dedup *d, const unsigned char *k, size_t n, uint64_t h, size_t slot, int64_t t)
{
	struct ent *e;

	if (d->nent >= MAX_KEYS)
		sp_die("more than %u keys in the deduplication state", MAX_KEYS);
	if (d->nent == d->capent)
		grow_big(&d->ent, &d->capent, d->nent + 1, sizeof *d->ent, d->nent * sizeof *d->ent);
	if (d->keys.len + n + 1 > d->keys.cap)
		grow_big(&d->keys.p, &d->keys.cap, d->keys.len + n + 1, 1, d->keys.len);
	e = &d->ent[d->nent];
	e->t = t;
	e->off = d->keys.len;
	e->len = (uint32_t)n;
	sp_buf_add(&d->keys, k, n);
	d->slots[slot] = (h >> 32) << 32 | (uint64_t)(d->nent + 1);
	d->nent++;
	if (t < d->tmin)
		d->tmin = t;
	if (d->nent * 10 >= d->nslots * 7)
		slots_build(d, d->bits + 1);
}

static void table_clear(struct sp_dedup *d)
{
	d->nent = 0;
	sp_buf_reset(&d->keys);
	memset(d->slots, 0, d->nslots * sizeof *d->slots);
	d->tmin = INT64_MAX;
	d->mark = 0;
	sp_buf_reset(&d->dels);
}

/* ---- options ---- */

static char *unquote(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '`' && s[n - 1] == '`')
		s++, n -= 2;
	return sp_xstrndup(s, n);
}

int sp_dedup_new(struct sp_dedup **dp, const struct sp_dedup_opts *o, struct sp_err *err)
{
	struct sp_dedup *d;
	struct sp_buf fp = SP_BUF_INIT;

	*dp = NULL;
	if (o->within && (!o->time || o->wmark == SP_WM_NONE))
		return sp_err_usage(err, "Watermark must be defined on the streaming DataFrame when using "
				    "dropDuplicatesWithinWatermark: give '--time' and '--watermark'");
	if (o->within && o->wmark != SP_WM_DELAY)
		return sp_err_usage(err, "option '--within-watermark' needs a delay in '--watermark', not 'upstream' "
				    "(the delay sets how long a key is remembered)");
	if (o->wmark != SP_WM_NONE && !o->time)
		return sp_err_usage(err, "option '--watermark' needs '--time' (the event-time column)");
	if (o->time && o->wmark == SP_WM_NONE)
		return sp_err_usage(err, "option '--time' needs '--watermark' (as Spark's withWatermark names both)");
	if (o->wmark == SP_WM_DELAY && o->delay < 0) {
		char a[64];

		sp_duration_format(o->delay, a, sizeof a);
		return sp_err_usage(err, "delay threshold (%s) should not be negative", a);
	}
	d = sp_xcalloc(1, sizeof *d);
	d->o = *o;
	if (o->keys) {
		const char *p = o->keys;
		size_t cap = 0;

		for (;;) {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			char *name = unquote(p, n);

			if (!*name) {
				free(name);
				sp_dedup_free(d);
				return sp_err_usage(err, "option '--keys': empty column name in '%s'", o->keys);
			}
			sp_grow(&d->names, &cap, d->nnames + 1, sizeof *d->names);
			d->names[d->nnames++] = name;
			if (!c)
				break;
			p = c + 1;
		}
	}
	if (o->time) {
		d->time = unquote(o->time, strlen(o->time));
		if (!*d->time) {
			sp_dedup_free(d);
			return sp_err_usage(err, "option '--time': empty column name");
		}
	}
	d->o.keys = d->o.time = NULL;
	sp_buf_printf(&fp, "dedup 1 within %d wmark %d delay %lld time %s keys", o->within, (int)o->wmark,
		      (long long)o->delay, d->time ? d->time : "-");
	if (!d->names)
		sp_buf_puts(&fp, " *");
	for (size_t i = 0; i < d->nnames; i++)
		sp_buf_printf(&fp, " %s", d->names[i]);
	d->fp = sp_buf_take(&fp);
	d->tcol = -1;
	d->tkey = 0;
	sp_wm_init(&d->w, o->wmark, o->delay);
	d->wm = sp_wm_current(&d->w);
	slots_build(d, 10);
	d->tmin = INT64_MAX;
	d->ev_min = d->ev_max = INT64_MIN;
	*dp = d;
	return 0;
}

void sp_dedup_free(struct sp_dedup *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nnames; i++)
		free(d->names[i]);
	free(d->names);
	free(d->time);
	free(d->fp);
	sp_type_unref(d->bound);
	free(d->kcol);
	free(d->layout);
	free(d->ent);
	free(d->slots);
	sp_buf_release(&d->keys);
	sp_buf_release(&d->kb);
	free(d->rows);
	if (d->out_schema)
		sp_batch_release(&d->out);
	sp_type_unref(d->out_schema);
	sp_buf_release(&d->dels);
	sp_buf_release(&d->meta);
	free(d);
}

const char *sp_dedup_name(const struct sp_dedup *d)
{
	return d->o.within ? "dedupeWithinWatermark" : "dedupe";
}

/* "a, b, c": the schema's column names, for messages. New string. */
static char *column_list(const struct sp_type *schema)
{
	struct sp_buf b = SP_BUF_INIT;

	for (size_t i = 0; i < schema->nfields; i++)
		sp_buf_printf(&b, "%s'%s'", i ? ", " : "", schema->fields[i].name);
	if (!schema->nfields)
		sp_buf_puts(&b, "none");
	return sp_buf_take(&b);
}

static int find(const struct sp_type *schema, const char *name, const char *opt, struct sp_err *err)
{
	int i = sp_type_field_index(schema, name, strlen(name));
	char *cols;

	if (i >= 0)
		return i;
	cols = column_list(schema);
	sp_err_usage(err, "option '%s': no column '%s' in the input (its columns: %s)", opt, name, cols);
	free(cols);
	return -1;
}

int sp_dedup_bind(struct sp_dedup *d, struct sp_type *schema, struct sp_err *err)
{
	size_t nk = d->names ? d->nnames : schema->nfields;
	int *kcol = sp_xcalloc(nk + 1, sizeof *kcol), tcol = -1, tkey = 0;
	struct sp_buf lay = SP_BUF_INIT;

	for (size_t i = 0; i < nk; i++)
		if ((kcol[i] = d->names ? find(schema, d->names[i], "--keys", err) : (int)i) < 0)
			goto fail;
	if (d->time) {
		if ((tcol = find(schema, d->time, "--time", err)) < 0)
			goto fail;
		if (schema->fields[tcol].type->id != SP_T_TIMESTAMP) {
			sp_err_usage(err, "option '--time': column '%s' is %s, not TIMESTAMP (cast it with stream-select)",
				     schema->fields[tcol].name, sp_type_name(schema->fields[tcol].type->id));
			goto fail;
		}
		for (size_t i = 0; i < nk; i++)
			if (kcol[i] == tcol)
				tkey = 1;
	}
	for (size_t i = 0; i < nk; i++) {
		char *t = sp_type_ddl_new(schema->fields[kcol[i]].type);

		sp_buf_printf(&lay, "%s%s %s", i ? ", " : "", schema->fields[kcol[i]].name, t);
		free(t);
	}
	if (!lay.p)
		sp_buf_puts(&lay, "");
	if (d->layout && strcmp(d->layout, lay.p)) {
		sp_err_set(err, "the key columns changed from (%s) to (%s): the seen keys cannot be compared "
			   "(start over with a new checkpoint)", d->layout, lay.p);
		goto fail;
	}
	free(d->layout);
	d->layout = sp_buf_take(&lay);
	free(d->kcol);
	d->kcol = kcol;
	d->nk = nk;
	d->tcol = tcol;
	d->tkey = tkey;
	sp_type_unref(d->bound);
	d->bound = sp_type_ref(schema);
	if (d->out_schema != schema) {
		if (d->out_schema)
			sp_batch_release(&d->out);
		sp_type_unref(d->out_schema);
		d->out_schema = sp_type_ref(schema);
		sp_batch_init(&d->out, schema);
	}
	return 0;
fail:
	sp_buf_release(&lay);
	free(kcol);
	return -1;
}

int sp_dedup_grows(const struct sp_dedup *d)
{
	return d->o.wmark == SP_WM_NONE || (!d->o.within && !d->tkey);
}

void sp_dedup_begin(struct sp_dedup *d)
{
	sp_wm_begin(&d->w);
	d->wm = sp_wm_current(&d->w);
	d->added = d->removed = d->late = d->dups = 0;
	d->ev_min = d->ev_max = INT64_MIN;
}

/* Appends rows[0..k) of src to dst: plain columns in tight loops, others row by row. */
static void gather(struct sp_col *dst, const struct sp_col *src, const size_t *rows, size_t k)
{
	switch (src->valid ? SP_T_NULL : src->type->id) {
	case SP_T_LONG: case SP_T_TIMESTAMP: case SP_T_DATE:
		for (size_t i = 0; i < k; i++)
			sp_col_push_i64(dst, sp_col_i64(src, rows[i]));
		return;
	case SP_T_DOUBLE:
		for (size_t i = 0; i < k; i++)
			sp_col_push_f64(dst, sp_col_f64(src, rows[i]));
		return;
	case SP_T_STRING: case SP_T_BINARY:
		for (size_t i = 0; i < k; i++) {
			size_t len;
			const char *p = sp_col_str(src, rows[i], &len);

			sp_col_push_bytes(dst, p, len);
		}
		return;
	default:
		for (size_t i = 0; i < k; i++)
			sp_col_push_from(dst, src, rows[i]);
		return;
	}
}

/*
 * Rows go in chunks of CHUNK: their keys are encoded and hashed first and
 * their slots prefetched, so that the table's cache misses overlap.
 */
#define CHUNK 32

int sp_dedup_rows(struct sp_dedup *d, const struct sp_batch *in, const struct sp_batch **out, struct sp_err *err)
{
	const struct sp_col *tc = d->tcol >= 0 ? &in->cols[d->tcol] : NULL;
	int64_t wm = d->wm, delay = d->o.delay;
	int has_wm = d->o.wmark != SP_WM_NONE, own = d->o.wmark == SP_WM_DELAY;
	size_t kept = 0, n = in->n;
	size_t koff[CHUNK + 1];
	uint64_t h[CHUNK];
	int64_t tt[CHUNK];
	uint8_t skip[CHUNK];

	(void)err;
	sp_grow(&d->rows, &d->caprows, n ? n : 1, sizeof *d->rows);
	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		sp_buf_reset(&d->kb);
		for (size_t i = 0; i < m; i++) {
			size_t r = base + i;
			int64_t t = INT64_MAX;

			skip[i] = 0;
			koff[i] = d->kb.len;
			if (tc && !sp_col_isnull(tc, r)) {
				t = sp_col_i64(tc, r);
				if (own)
					sp_wm_see(&d->w, t);
				if (d->ev_min == INT64_MIN || t < d->ev_min)
					d->ev_min = t;
				if (t > d->ev_max)
					d->ev_max = t;
				if (has_wm && t <= wm) {
					d->late++;
					skip[i] = 1;
					continue;
				}
			}
			tt[i] = t;
			for (size_t k = 0; k < d->nk; k++)
				sp_key_encode(&d->kb, &in->cols[d->kcol[k]], r);
		}
		koff[m] = d->kb.len;
		for (size_t i = 0; i < m; i++) {
			if (skip[i])
				continue;
			h[i] = sp_hash_bytes((const unsigned char *)d->kb.p + koff[i], koff[i + 1] - koff[i]);
			__builtin_prefetch(&d->slots[home(d, (uint32_t)(h[i] >> 32))]);
		}
		for (size_t i = 0; i < m; i++) {
			const unsigned char *k = (const unsigned char *)d->kb.p + koff[i];
			size_t len = koff[i + 1] - koff[i], slot;
			int64_t t = tt[i];

			if (skip[i])
				continue;
			if (lookup(d, k, len, h[i], &slot)) {
				d->dups++;
				continue;
			}
			/* the time the entry goes by: within, the first row's time (NULL: 0, as Spark reads it) + delay */
			if (d->o.within) {
				t = t == INT64_MAX ? 0 : t;
				t = t > INT64_MAX - delay ? INT64_MAX : t + delay;
			} else if (!d->tkey || !has_wm) {
				t = INT64_MAX;
			}
			insert(d, k, len, h[i], slot, t);
			d->added++;
			d->rows[kept++] = base + i;
		}
	}
	if (kept == n) {
		*out = in;
		return 0;
	}
	d->out.n = 0;
	for (size_t c = 0; c < in->schema->nfields; c++) {
		sp_col_reset(&d->out.cols[c]);
		gather(&d->out.cols[c], &in->cols[c], d->rows, kept);
	}
	d->out.n = kept;
	*out = &d->out;
	return 0;
}

/* Forgets the entries whose time is <= wm, keeping the others in order. */
static void evict(struct sp_dedup *d, int64_t wm)
{
	struct sp_buf nk = SP_BUF_INIT;
	size_t j = 0, mark = 0;
	int64_t tmin = INT64_MAX;

	grow_big(&nk.p, &nk.cap, d->keys.len + 1, 1, 0);
	for (size_t i = 0; i < d->nent; i++) {
		struct ent e = d->ent[i];

		if (e.t <= wm) {
			if (d->track && i < d->mark) {
				sp_buf_put32(&d->dels, e.len);
				sp_buf_add(&d->dels, ekey(d, &e), e.len);
			}
			d->removed++;
			continue;
		}
		if (i < d->mark)
			mark++;
		memcpy(nk.p + nk.len, ekey(d, &e), e.len);
		e.off = nk.len;
		nk.len += e.len;
		if (e.t < tmin)
			tmin = e.t;
		d->ent[j++] = e;
	}
	sp_buf_release(&d->keys);
	d->keys = nk;
	d->nent = j;
	d->mark = mark;
	d->tmin = tmin;
	free(d->slots);
	d->slots = NULL;
	d->nslots = 0;
	{
		unsigned bits = 10;

		while (j * 10 >= ((size_t)7 << bits))
			bits++;
		slots_build(d, bits);
	}
	for (size_t i = 0; i < j; i++) {
		const struct ent *e = &d->ent[i];
		uint64_t h = sp_hash_bytes(ekey(d, e), e->len);
		size_t k;

		for (k = home(d, (uint32_t)(h >> 32)); d->slots[k]; k = (k + 1) & (d->nslots - 1))
			;
		d->slots[k] = (h >> 32) << 32 | (uint64_t)(i + 1);
	}
}

void sp_dedup_end(struct sp_dedup *d, int64_t upstream)
{
	int64_t wm;

	/*
	 * Eviction uses the new watermark: Spark would run a batch without
	 * data at once with it (noDataMicroBatches), evicting before the next
	 * rows come, and so the next batch sees the same state here.
	 */
	sp_wm_advance(&d->w, upstream);
	wm = sp_wm_current(&d->w);
	if (d->o.wmark != SP_WM_NONE && (d->o.within || d->tkey) && d->tmin <= wm)
		evict(d, wm);
}

int64_t sp_dedup_watermark(const struct sp_dedup *d)
{
	return sp_wm_out(&d->w);
}

void sp_dedup_stats(const struct sp_dedup *d, struct sp_dedup_stats *st)
{
	st->keys = d->nent;
	st->added = d->added;
	st->removed = d->removed;
	st->late = d->late;
	st->dups = d->dups;
	/* what is in use: capacity beyond it is never touched, and takes no memory */
	st->bytes = d->keys.len + d->nent * sizeof *d->ent + d->nslots * sizeof *d->slots;
	st->ev_min = d->ev_min;
	st->ev_max = d->ev_max;
}

/* ---- the checkpoint ---- */

void sp_dedup_track(struct sp_dedup *d, int on)
{
	d->track = on;
	d->mark = d->nent;
}

/* The "M" entry: a version byte, the watermark, the options, a NUL, the key layout. */
static void meta_value(const struct sp_dedup *d, struct sp_buf *b)
{
	sp_buf_reset(b);
	sp_buf_addc(b, 1);
	sp_wm_save(&d->w, b);
	sp_buf_add(b, d->fp, strlen(d->fp) + 1);
	sp_buf_puts(b, d->layout ? d->layout : "");
}

static void ops_changes(void *op, sp_state_emit_fn put, sp_state_forget_fn del, void *ectx)
{
	struct sp_dedup *d = op;
	struct sp_buf k = SP_BUF_INIT, v = SP_BUF_INIT;
	const unsigned char *p = (const unsigned char *)d->dels.p, *end = p + d->dels.len;

	while (p < end) {
		uint32_t n = sp_get32(p);

		sp_buf_reset(&k);
		sp_buf_addc(&k, 'K');
		sp_buf_add(&k, p + 4, n);
		del(ectx, k.p, k.len);
		p += 4 + n;
	}
	sp_buf_reset(&d->dels);
	for (size_t i = d->mark; i < d->nent; i++) {
		sp_buf_reset(&k);
		sp_buf_addc(&k, 'K');
		sp_buf_add(&k, ekey(d, &d->ent[i]), d->ent[i].len);
		sp_buf_reset(&v);
		sp_buf_put64(&v, (uint64_t)d->ent[i].t);
		put(ectx, k.p, k.len, v.p, v.len);
	}
	d->mark = d->nent;
	meta_value(d, &v);
	put(ectx, "M", 1, v.p, v.len);
	sp_buf_release(&k);
	sp_buf_release(&v);
}

static void ops_dump(void *op, sp_state_emit_fn put, void *ectx)
{
	struct sp_dedup *d = op;
	struct sp_buf k = SP_BUF_INIT, v = SP_BUF_INIT;

	for (size_t i = 0; i < d->nent; i++) {
		sp_buf_reset(&k);
		sp_buf_addc(&k, 'K');
		sp_buf_add(&k, ekey(d, &d->ent[i]), d->ent[i].len);
		sp_buf_reset(&v);
		sp_buf_put64(&v, (uint64_t)d->ent[i].t);
		put(ectx, k.p, k.len, v.p, v.len);
	}
	meta_value(d, &v);
	put(ectx, "M", 1, v.p, v.len);
	sp_buf_release(&k);
	sp_buf_release(&v);
}

static void ops_clear(void *op)
{
	struct sp_dedup *d = op;

	table_clear(d);
	sp_wm_init(&d->w, d->o.wmark, d->o.delay);
	d->wm = sp_wm_current(&d->w);
	sp_buf_reset(&d->meta);
	d->have_meta = 0;
}

/* Entries come in any order: keys go into the table at once, the meta entry waits for restored(). */
static void ops_restore(void *op, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct sp_dedup *d = op;
	const unsigned char *k = key;
	size_t slot;
	uint64_t h;

	if (klen == 1 && k[0] == 'M') {
		sp_buf_reset(&d->meta);
		sp_buf_add(&d->meta, val, vlen);
		d->have_meta = 1;
		return;
	}
	if (klen < 1 || k[0] != 'K' || vlen != 8) {
		/* remembered as a bad meta entry, reported by restored() */
		sp_buf_reset(&d->meta);
		d->have_meta = -1;
		return;
	}
	h = sp_hash_bytes(k + 1, klen - 1);
	if (!lookup(d, k + 1, klen - 1, h, &slot))
		insert(d, k + 1, klen - 1, h, slot, (int64_t)sp_get64(val));
}

static int ops_restored(void *op, struct sp_err *err)
{
	struct sp_dedup *d = op;
	const char *p = d->meta.p, *fp, *layout;
	size_t n = d->meta.len;

	if (d->have_meta < 0)
		return sp_err_set(err, "the saved state is corrupt: a bad entry");
	if (!d->have_meta) {
		if (d->nent)
			return sp_err_set(err, "the saved state has no description entry");
		return 0;
	}
	if (n < 1 + SP_WM_SAVED + 1 || p[0] != 1 || !memchr(p + 1 + SP_WM_SAVED, '\0', n - 1 - SP_WM_SAVED))
		return sp_err_set(err, "the saved state is corrupt or of an unknown version");
	fp = p + 1 + SP_WM_SAVED;
	layout = fp + strlen(fp) + 1;
	if (strcmp(fp, d->fp))
		return sp_err_set(err, "the saved state was made by another deduplication (different keys, time "
				  "column, watermark or mode): start over with a new checkpoint");
	if (*layout && d->layout && strcmp(layout, d->layout))
		return sp_err_set(err, "the saved state has other key columns (%s) than the input (%s): start over "
				  "with a new checkpoint", layout, d->layout);
	if (*layout && !d->layout)
		d->layout = sp_xstrdup(layout);
	sp_wm_load(&d->w, p + 1);
	d->wm = sp_wm_current(&d->w);
	d->mark = d->nent;
	sp_buf_reset(&d->meta);
	d->have_meta = 0;
	return 0;
}

const struct sp_opstate_ops sp_dedup_ops = { ops_clear, ops_restore, ops_restored, ops_changes, ops_dump };
