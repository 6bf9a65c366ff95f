/*
 * window.c: the stateful aggregation under stream-window (see window.h):
 * window assignment, the group table, the watermark, late rows, output
 * modes and the state's entries.
 *
 * Windows, as Spark's TimeWindowing assigns them (all in microseconds):
 *
 *   remainder = (t - offset) % slide          (sign of t - offset)
 *   last      = t - (remainder < 0 ? remainder + slide : remainder)
 *   start_k   = last - k * slide,  k = 0 .. ceil(size / slide) - 1
 *   end_k     = start_k + size;    kept when start_k <= t < end_k
 *
 *   size 10m, slide 5m, t = 12:07   ->  [12:05, 12:15)  [12:00, 12:10)
 *   size 10m, slide 4m, t = 12:07   ->  [12:04, 12:14)  [12:00, 12:10)
 *                                       ([11:56, 12:06) does not hold t)
 *
 * A group is (window start, window end, key bytes); its record holds the
 * aggregate states. A batch's rows go first into partial states, one per
 * group touched, and at the end of the batch each partial is merged into
 * its group's state the way Spark's final aggregation merges the saved
 * state and the batch's partial aggregate, so floating-point results come
 * out as Spark's. The watermark then advances, and the output mode picks
 * the rows to emit. The worked timeline below is the programming guide's
 * word count (10-minute windows sliding by 5, watermark 10 minutes):
 *
 *   batch  rows                         watermark   late     append emits
 *                                       during/after
 *   0      12:07 dog, 12:08 owl         0 / 11:58   -        -
 *   1      12:14 dog, 12:09 cat         11:58/12:04 -        -
 *   2      12:15 cat, 12:08 dog,        12:04/12:11 -        [12:00,12:10) cat 1,
 *          12:13 owl, 12:21 owl                              dog 2, owl 1
 *   3      12:04 donkey, 12:17 owl      12:11/12:11 donkey   -
 *
 * Sessions are different: a batch's rows are grouped by (key, start, end)
 * first, then, key by key, sorted by start together with the key's
 * sessions in state and merged where one starts at or before the end of
 * the previous one (touching sessions merge), as Spark's
 * MergingSessionsIterator does.
 */
#include "window.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "key.h"
#include "timefmt.h"

/* ---- window assignment ---- */

static inline int64_t wadd(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t wsub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

static inline int64_t last_start(int64_t t, int64_t slide, int64_t offset)
{
	int64_t rem = wsub(t, offset) % slide;

	return wsub(t, rem < 0 ? rem + slide : rem);
}

size_t sp_window_assign(int64_t t, int64_t size, int64_t slide, int64_t offset, int64_t *starts)
{
	int64_t last = last_start(t, slide, offset);
	size_t nw = (size_t)((size + slide - 1) / slide), n = 0;

	for (size_t k = 0; k < nw; k++) {
		int64_t s = wsub(last, (int64_t)k * slide);

		if (size % slide == 0 || (s <= t && t < wadd(s, size)))
			starts[n++] = s;
	}
	return n;
}

/* ---- keys: the group-by values as bytes ---- */

/* The most bytes the keys of n rows take, or 0 when a key is nested (and goes the slow way). */
static size_t flat_bound(const struct sp_col *const *keys, size_t nkeys, size_t n)
{
	size_t b = 0;

	for (size_t k = 0; k < nkeys; k++) {
		switch (keys[k]->type->id) {
		case SP_T_STRUCT:
		case SP_T_ARRAY:
			return 0;
		case SP_T_STRING:
		case SP_T_BINARY:
			b += 5 * n + (keys[k]->off[n] - keys[k]->off[0]);
			break;
		default:
			b += 9 * n;
			break;
		}
	}
	return b + 1;
}

/* Appends the value at *pp (of type t) to c, advancing *pp. */
static void key_decode(const struct sp_type *t, const unsigned char **pp, struct sp_col *c)
{
	const unsigned char *p = *pp;
	uint64_t u;
	double d;

	if (!*p++) {
		*pp = p;
		sp_col_push_null(c);
		return;
	}
	switch (t->id) {
	case SP_T_BOOLEAN:
		sp_col_push_bool(c, *p++);
		break;
	case SP_T_DOUBLE:
		u = sp_get64(p);
		memcpy(&d, &u, 8);
		sp_col_push_f64(c, d);
		p += 8;
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		sp_col_push_bytes(c, p + 4, sp_get32(p));
		p += 4 + sp_get32(p);
		break;
	case SP_T_STRUCT:
		for (size_t f = 0; f < t->nfields; f++)
			key_decode(t->fields[f].type, &p, &c->child[f]);
		sp_col_push_struct(c);
		break;
	case SP_T_ARRAY: {
		uint32_t n = sp_get32(p);

		p += 4;
		for (uint32_t e = 0; e < n; e++)
			key_decode(t->elem, &p, &c->child[0]);
		sp_col_push_array(c);
		break;
	}
	default:
		sp_col_push_i64(c, (int64_t)sp_get64(p));
		p += 8;
		break;
	}
	*pp = p;
}

static int cmp_f64(double x, double y)
{
	if (x == y)
		return 0;
	if (x != x)
		return y != y ? 0 : 1;
	if (y != y)
		return -1;
	return x < y ? -1 : 1;
}

/* Compares one value of type t at *a and *b in Spark's ascending order (NULLs first), advancing both. */
static int key_cmp(const struct sp_type *t, const unsigned char **a, const unsigned char **b)
{
	const unsigned char *p = *a, *q = *b;
	int c = 0;

	if (!*p && !*q) {
		*a = p + 1;
		*b = q + 1;
		return 0;
	}
	if (!*p || !*q)
		return !*p ? -1 : 1;	/* NULLs first; callers stop at the first difference */
	p++;
	q++;
	switch (t->id) {
	case SP_T_BOOLEAN:
		c = (int)*p - (int)*q;
		p++;
		q++;
		break;
	case SP_T_DOUBLE: {
		uint64_t u = sp_get64(p), v = sp_get64(q);
		double x, y;

		memcpy(&x, &u, 8);
		memcpy(&y, &v, 8);
		c = cmp_f64(x, y);
		p += 8;
		q += 8;
		break;
	}
	case SP_T_STRING:
	case SP_T_BINARY: {
		uint32_t m = sp_get32(p), n = sp_get32(q), k = m < n ? m : n;

		c = k ? memcmp(p + 4, q + 4, k) : 0;
		if (!c)
			c = m < n ? -1 : m > n;
		p += 4 + m;
		q += 4 + n;
		break;
	}
	case SP_T_STRUCT:
		for (size_t f = 0; f < t->nfields && !c; f++)
			c = key_cmp(t->fields[f].type, &p, &q);
		break;
	case SP_T_ARRAY: {
		uint32_t m = sp_get32(p), n = sp_get32(q);

		p += 4;
		q += 4;
		for (uint32_t e = 0; e < m && e < n && !c; e++)
			c = key_cmp(t->elem, &p, &q);
		if (!c)
			c = m < n ? -1 : m > n;
		break;
	}
	default: {
		int64_t x = (int64_t)sp_get64(p), y = (int64_t)sp_get64(q);

		c = x < y ? -1 : x > y;
		p += 8;
		q += 8;
		break;
	}
	}
	*a = p;
	*b = q;
	return c;
}

/* ---- the state ---- */

/*
 * Memory: each distinct key tuple is kept once, in a dictionary, with the
 * number of groups using it. A group is a record (a 24-byte header, 32 for
 * sessions, and the aggregate states) in chunks of records that never
 * move. Each window has its own hash table from key id to record, so the
 * rows of a batch, which come roughly in time order, keep finding the
 * groups of the same few windows in the cache, and a window whose end
 * passes the watermark goes as a whole. Groups without windows share one
 * table. Before a row looks in its window's table, it tries the group its
 * key's previous row went to: in order, that is the one.
 */
struct key {
	uint64_t hash;
	uint32_t off, len;	/* bytes in ws->keys */
	uint32_t refs;		/* groups of this key */
	uint32_t live;
};

struct grp {
	int64_t ws;		/* window or session start; the event time (SP_WK_TIMEKEY); 0 */
	uint32_t key;		/* key id */
	uint32_t link;		/* windows: 1 + this batch's partial, 0 if none; sessions: 1 + next session */
	uint32_t flags;
	uint32_t pad;		/* while the output is ordered: its window */
};

enum {
	G_LIVE = 1 << 0,
	G_STORED = 1 << 1,	/* has an entry in the store */
	G_DIRTY = 1 << 2,	/* in the dirty list, to be put */
	G_CHANGED = 1 << 3,	/* changed by the current batch */
	G_NEW = 1 << 4,		/* made by the current batch: its states are the batch's partial */
	G_DOOMED = 1 << 5,	/* gone from the state, kept until the output is written */
};

/*
 * A record: the header, a session's end (the other kinds know theirs:
 * start + size, the event time, 0), the aggregate states.
 */
#define HDR ((sizeof(struct grp) + 7) & ~(size_t)7)
#define RBITS 15		/* records per chunk: 32768 */
#define WCACHE 8
#define SLICE 16384		/* output rows per slice */
#define NO_TIME INT64_MIN	/* SP_WK_TIMEKEY: a NULL event time */
#define NONE UINT32_MAX

/* Memory for chunks of records, mapped on its own (mapped) or from malloc. */
struct slab {
	char *p;
	size_t n;
	int mapped;
};

/* A hash table from key id to record: slots hold key id << 32 | 1 + record index, 0 when empty. */
struct wtab {
	int64_t start;		/* the window's start (0 without windows) */
	uint64_t *slots;
	size_t nslots, used;
};

/* A batch's session fragment: its rows of one (key, start, end), partially aggregated. */
struct frag {
	int64_t s, e;
	uint32_t key;
	uint32_t part;		/* partial state index */
	uint32_t first;		/* arrival of its first row */
	uint32_t pad;
};

struct sp_wstate {
	struct sp_wspec spec;
	int typed;			/* layout fixed */
	struct sp_type *keys_st;	/* STRUCT of the key types */
	struct sp_type *schema;		/* output */
	size_t nagg;
	struct sp_agg *agg;
	uint32_t *aoff;			/* offset of each state in a state block */
	size_t astride;			/* bytes of a state block */
	size_t hdr;			/* bytes of a record before its states */
	int heap;			/* some state can hold heap memory */
	size_t stride;			/* bytes of a record */
	char *fp;			/* the layout, as text (see fingerprint()) */

	/* the key dictionary */
	struct key *kd;
	size_t nkd, capkd;
	uint32_t *kfree;
	size_t nkfree, capkfree;
	uint64_t *kslots;		/* hash top 32 bits << 32 | 1 + key id */
	size_t nkslots, kused;
	struct sp_buf keys;		/* their bytes */
	size_t garbage;
	uint32_t *newkeys;		/* keys added by this batch: dropped at its end if no group uses them */
	size_t nnewkeys, capnewkeys;

	/* records */
	char **chunks;
	size_t nchunks, capchunks;
	struct slab *slabs;		/* the memory of the chunks after the first */
	size_t nslabs, capslabs;
	char *spare;			/* the next chunk of the last slab */
	size_t nspare;			/* chunks left there */
	size_t nrecs;			/* records handed out so far */
	size_t zeroed;			/* records from this one on are still zero from calloc */
	uint32_t *freel;
	size_t nfree, capfree;
	uint64_t live;

	/* the hash tables, one per window (one for all groups without windows) */
	struct wtab *wt;
	size_t nwt, capwt;
	uint32_t *wdir;			/* window start -> 1 + table index, open addressing */
	size_t tabhint;			/* slots a new table starts with (0: the least) */
	size_t nwdir;
	int64_t wc_start[WCACHE];	/* the last tables looked up */
	uint32_t wc_index[WCACHE];	/* 1 + table index, 0 unused */

	/* the batch */
	int64_t id;
	int64_t wm_late;		/* watermark rows are judged late by */
	char *part;			/* partial states */
	size_t npart, cappart;
	uint32_t *touched;		/* records made or given a partial by this batch */
	size_t ntouched, captouched;
	uint32_t *changed;		/* records changed by this batch */
	size_t nchanged, capchanged;
	struct frag *frags;		/* sessions */
	size_t nfrags, capfrags;
	uint32_t *fslots;		/* sessions: the batch's hash table over frags */
	size_t nfslots;
	uint32_t arrival;

	/* per-row scratch, for a chunk of rows */
	uint32_t *koffs;
	uint64_t *khash;
	uint32_t *kid;			/* key id of each row, NONE until looked up */
	uint32_t *krec;			/* by key id: the record its last row went to (a guess to check) */
	size_t capkrec;
	uint32_t *slot;			/* the group (record or partial index) of each row for one window */
	char **stp;			/* the state block each row goes to, NULL for none */
	uint8_t *alive;
	int64_t *lasts;
	size_t caprows;
	struct sp_buf kbuf;

	/* watermark */
	struct sp_wm w;
	int64_t out_wm;			/* for the batch-end frame */

	/* output: records in ws->emit, written SLICE rows at a time */
	struct sp_batch out;
	uint32_t *emit;
	size_t nemit, capemit, pos;
	uint32_t *doomed;		/* records gone from the state, freed after the output */
	size_t ndoomed, capdoomed;
	int clear_after;		/* the end of input emptied the state: clear it after the output */
	uint32_t *rank;			/* by key id: the key's place in the output order */
	size_t caprank;
	uint32_t *rkeys;
	size_t caprkeys;
	uint32_t *dir;			/* 4 * caprank entries, NONE between uses */
	uint32_t *emit2;		/* the output being ordered */
	size_t capemit2;
	struct win *wins;		/* the distinct windows of the output */
	size_t nwins, capwins;
	uint32_t *winslots;		/* a hash table over wins, 1 + index */
	size_t nwinslots;
	uint32_t *wpos;			/* by window: where its next row goes */
	size_t capwpos;
	uint64_t *sortbuf;
	size_t capsortbuf;
	struct win *closed;		/* the windows closing, by start */
	size_t capclosed;
	uint32_t *rks;			/* the ranks of one window's records */
	size_t caprks;
	uint32_t *kseen;		/* by key id: the mark of the last ordering that saw it */
	uint32_t seen;

	/* tracking for the store */
	int track;
	uint32_t *dirty;
	size_t ndirty, capdirty;
	struct sp_buf dels;		/* u32 length + entry key, each */

	/* restoring */
	struct sp_buf pending;		/* u32 klen, key, u32 vlen, value, each */

	struct sp_wstats st;
	struct sp_arena arena;
	unsigned char *tmpkey;
	size_t captmpkey;
};

static inline struct grp *rec(const struct sp_wstate *ws, uint32_t i)
{
	return (struct grp *)(ws->chunks[i >> RBITS] + (size_t)(i & ((1u << RBITS) - 1)) * ws->stride);
}

/*
 * Asks for record list[i + AHEAD] while record list[i] is worked on: lists
 * of records (the output, the groups to free) visit them in no order the
 * hardware could guess, and each would otherwise wait on memory. A macro:
 * GCC takes a function doing only this for one without effects, and drops
 * its calls.
 */
#define AHEAD 8
#if defined(__GNUC__)
#define PREFETCH_REC(ws, list, i, n) \
	do { \
		if ((i) + AHEAD < (n)) { \
			uint32_t r_ = (list)[(i) + AHEAD]; \
			__builtin_prefetch((ws)->chunks[r_ >> RBITS] + (size_t)(r_ & ((1u << RBITS) - 1)) * (ws)->stride); \
		} \
	} while (0)
#else
#define PREFETCH_REC(ws, list, i, n) ((void)0)
#endif

static inline char *states(const struct sp_wstate *ws, struct grp *g)
{
	return (char *)g + ws->hdr;
}

/* The end of a record's window or session. */
static inline int64_t gend(const struct sp_wstate *ws, const struct grp *g)
{
	int64_t e;

	switch (ws->spec.kind) {
	case SP_WK_TIME:
		return (int64_t)((uint64_t)g->ws + (uint64_t)ws->spec.size);
	case SP_WK_TIMEKEY:
		return g->ws;
	case SP_WK_SESSION:
		memcpy(&e, (const char *)g + HDR, 8);
		return e;
	default:
		return 0;
	}
}

static inline void set_end(const struct sp_wstate *ws, struct grp *g, int64_t e)
{
	if (ws->spec.kind == SP_WK_SESSION)
		memcpy((char *)g + HDR, &e, 8);
}

static inline const unsigned char *kbytes(const struct sp_wstate *ws, uint32_t key)
{
	return (const unsigned char *)ws->keys.p + ws->kd[key].off;
}

static void slab_free(struct slab *sl);

/* ---- the spec ---- */

static int check_spec(const struct sp_wspec *s, struct sp_err *err)
{
	char a[64], b[64];

	if (s->kind == SP_WK_TIME) {
		if (s->size <= 0) {
			sp_duration_format(s->size, a, sizeof a);
			return sp_err_usage(err, "the window duration (%s) must be greater than 0", a);
		}
		if (s->slide <= 0) {
			sp_duration_format(s->slide, a, sizeof a);
			return sp_err_usage(err, "the slide duration (%s) must be greater than 0", a);
		}
		if (s->slide > s->size) {
			sp_duration_format(s->slide, a, sizeof a);
			sp_duration_format(s->size, b, sizeof b);
			return sp_err_usage(err, "the slide duration (%s) must be less than or equal to the window "
					    "duration (%s)", a, b);
		}
		if (s->offset >= s->slide || s->offset <= -s->slide) {
			sp_duration_format(s->offset, a, sizeof a);
			sp_duration_format(s->slide, b, sizeof b);
			return sp_err_usage(err, "the absolute value of the window offset (%s) must be less than the "
					    "slide duration (%s)", a, b);
		}
	}
	if (s->wmark == SP_WM_DELAY && s->delay < 0) {
		sp_duration_format(s->delay, a, sizeof a);
		return sp_err_usage(err, "delay threshold (%s) should not be negative", a);
	}
	if (s->kind == SP_WK_SESSION && !s->nkeys)
		return sp_err_usage(err, "Global aggregation with session window in streaming query is not supported");
	if (s->kind == SP_WK_SESSION && s->mode == SP_MODE_UPDATE)
		return sp_err_usage(err, "Update output mode not supported for session window on streaming "
				    "DataFrames/DataSets");
	if (s->mode == SP_MODE_APPEND && (s->kind == SP_WK_NONE || s->wmark == SP_WM_NONE))
		return sp_err_usage(err, "Append output mode not supported when there are streaming aggregations on "
				    "streaming DataFrames/DataSets without watermark");
	return 0;
}

int sp_wstate_new(struct sp_wstate **out, const struct sp_wspec *spec, struct sp_err *err)
{
	struct sp_wstate *ws;

	if (check_spec(spec, err) < 0)
		return -1;
	ws = sp_xcalloc(1, sizeof *ws);
	ws->spec = *spec;
	ws->spec.key_names = sp_xcalloc(spec->nkeys + 1, sizeof(char *));
	for (size_t i = 0; i < spec->nkeys; i++)
		ws->spec.key_names[i] = sp_xstrdup(spec->key_names[i]);
	ws->spec.aggs = sp_xcalloc(spec->naggs + 1, sizeof *ws->spec.aggs);
	for (size_t i = 0; i < spec->naggs; i++) {
		ws->spec.aggs[i] = spec->aggs[i];
		ws->spec.aggs[i].name = sp_xstrdup(spec->aggs[i].name);
		ws->spec.aggs[i].call = sp_xstrdup(spec->aggs[i].call ? spec->aggs[i].call : spec->aggs[i].name);
	}
	sp_wm_init(&ws->w, spec->wmark, spec->delay);
	ws->out_wm = ws->w.wm;
	ws->id = -1;
	*out = ws;
	return 0;
}

static void free_states(struct sp_wstate *ws)
{
	for (size_t i = 0; i < ws->nrecs; i++) {
		struct grp *g = rec(ws, (uint32_t)i);

		if (g->flags & G_LIVE)
			for (size_t j = 0; j < ws->nagg; j++)
				sp_agg_free(&ws->agg[j], states(ws, g) + ws->aoff[j]);
	}
	for (size_t i = 0; i < ws->cappart; i++)
		for (size_t j = 0; j < ws->nagg; j++)
			sp_agg_free(&ws->agg[j], ws->part + i * ws->astride + ws->aoff[j]);
}

void sp_wstate_free(struct sp_wstate *ws)
{
	if (!ws)
		return;
	if (ws->typed && ws->heap)
		free_states(ws);
	for (size_t i = 0; i < ws->spec.nkeys; i++)
		free(ws->spec.key_names[i]);
	free(ws->spec.key_names);
	for (size_t i = 0; i < ws->spec.naggs; i++) {
		free(ws->spec.aggs[i].name);
		free(ws->spec.aggs[i].call);
	}
	free(ws->spec.aggs);
	sp_type_unref(ws->keys_st);
	sp_type_unref(ws->schema);
	free(ws->agg);
	free(ws->aoff);
	free(ws->fp);
	free(ws->kd);
	free(ws->kfree);
	free(ws->kslots);
	sp_buf_release(&ws->keys);
	free(ws->newkeys);
	if (ws->nchunks)
		free(ws->chunks[0]);
	for (size_t i = 0; i < ws->nslabs; i++)
		slab_free(&ws->slabs[i]);
	free(ws->slabs);
	free(ws->chunks);
	free(ws->freel);
	for (size_t i = 0; i < ws->nwt; i++)
		free(ws->wt[i].slots);
	free(ws->wt);
	free(ws->wdir);
	free(ws->part);
	free(ws->touched);
	free(ws->changed);
	free(ws->frags);
	free(ws->fslots);
	free(ws->koffs);
	free(ws->khash);
	free(ws->kid);
	free(ws->krec);
	free(ws->slot);
	free(ws->stp);
	free(ws->alive);
	free(ws->lasts);
	sp_buf_release(&ws->kbuf);
	sp_batch_release(&ws->out);
	free(ws->emit);
	free(ws->doomed);
	free(ws->rank);
	free(ws->rkeys);
	free(ws->dir);
	free(ws->emit2);
	free(ws->wins);
	free(ws->winslots);
	free(ws->wpos);
	free(ws->sortbuf);
	free(ws->closed);
	free(ws->rks);
	free(ws->kseen);
	free(ws->dirty);
	sp_buf_release(&ws->dels);
	sp_buf_release(&ws->pending);
	sp_arena_release(&ws->arena);
	free(ws->tmpkey);
	free(ws);
}

/* ---- the layout ---- */

/* The layout as text: what a checkpoint's state must match. */
static char *fingerprint(const struct sp_wstate *ws)
{
	struct sp_buf b = SP_BUF_INIT;
	char *ddl = sp_type_ddl_new(ws->keys_st);

	sp_buf_printf(&b, "kind %d size %lld slide %lld offset %lld gap %lld\nkeys %s\n", (int)ws->spec.kind,
		      (long long)ws->spec.size, (long long)ws->spec.slide, (long long)ws->spec.offset,
		      (long long)ws->spec.gap, ddl);
	free(ddl);
	for (size_t j = 0; j < ws->nagg; j++)
		sp_buf_printf(&b, "agg %d %d %d %d\n", (int)ws->agg[j].fn, (int)ws->agg[j].in,
			      ws->agg[j].ignore_nulls, ws->agg[j].p);
	return sp_buf_take(&b);
}

/* A readable description of the keys and aggregates, for messages. */
static char *describe(const struct sp_type *keys, const struct sp_agg *agg, size_t nagg)
{
	struct sp_buf b = SP_BUF_INIT;

	sp_buf_puts(&b, "keys (");
	for (size_t i = 0; i < keys->nfields; i++) {
		char *t = sp_type_ddl_new(keys->fields[i].type);

		sp_buf_printf(&b, "%s%s", i ? ", " : "", t);
		free(t);
	}
	sp_buf_puts(&b, ") aggregates (");
	for (size_t j = 0; j < nagg; j++)
		sp_buf_printf(&b, "%s%s of %s", j ? ", " : "", sp_agg_name(agg[j].fn),
			      agg[j].in == SP_T_NULL ? "*" : sp_type_name(agg[j].in));
	sp_buf_puts(&b, ")");
	return sp_buf_take(&b);
}

static void build_schema(struct sp_wstate *ws)
{
	struct sp_type *s = sp_type_new_struct();

	if (ws->spec.kind == SP_WK_TIME || ws->spec.kind == SP_WK_SESSION) {
		struct sp_type *w = sp_type_new_struct();

		sp_type_add_field(w, "start", sp_type_prim(SP_T_TIMESTAMP), 0);
		sp_type_add_field(w, "end", sp_type_prim(SP_T_TIMESTAMP), 0);
		sp_type_add_field(s, ws->spec.kind == SP_WK_TIME ? "window" : "session_window", w, SP_FIELD_KEY);
	}
	for (size_t i = 0; i < ws->spec.nkeys; i++)
		sp_type_add_field(s, ws->spec.key_names[i], sp_type_ref(ws->keys_st->fields[i].type), SP_FIELD_KEY);
	for (size_t j = 0; j < ws->nagg; j++)
		sp_type_add_field(s, ws->spec.aggs[j].name, sp_type_prim(ws->agg[j].out), 0);
	ws->schema = s;
	sp_batch_init(&ws->out, s);
}

/* Fixes the layout from key types (a STRUCT) and argument types, or checks it; takes keys. */
static int set_layout(struct sp_wstate *ws, struct sp_type *keys, const enum sp_type_id *args, struct sp_err *err)
{
	struct sp_agg *agg = sp_xcalloc(ws->spec.naggs + 1, sizeof *agg);
	char *fp;

	for (size_t j = 0; j < ws->spec.naggs; j++) {
		const struct sp_wagg_spec *a = &ws->spec.aggs[j];

		if (sp_agg_setup(&agg[j], a->fn, a->star ? SP_T_NULL : args[j], a->ignore_nulls, a->rsd, a->call,
				 err) < 0) {
			free(agg);
			sp_type_unref(keys);
			return -1;
		}
	}
	if (ws->typed) {
		struct sp_wstate tmp;
		int same;

		memset(&tmp, 0, sizeof tmp);
		tmp.spec = ws->spec;
		tmp.keys_st = keys;
		tmp.agg = agg;
		tmp.nagg = ws->spec.naggs;
		fp = fingerprint(&tmp);
		same = !strcmp(fp, ws->fp);
		if (!same) {
			char *was = describe(ws->keys_st, ws->agg, ws->nagg), *now = describe(keys, agg, ws->spec.naggs);

			sp_err_set(err, "the aggregation state holds %s but the input now gives %s: the state cannot "
				   "be kept (start over with a new checkpoint, or cast the columns back)", was, now);
			free(was);
			free(now);
		}
		free(fp);
		free(agg);
		sp_type_unref(keys);
		return same ? 0 : -1;
	}
	ws->keys_st = keys;
	ws->agg = agg;
	ws->nagg = ws->spec.naggs;
	ws->aoff = sp_xcalloc(ws->nagg + 1, sizeof *ws->aoff);
	for (size_t j = 0; j < ws->nagg; j++) {
		ws->aoff[j] = (uint32_t)ws->astride;
		ws->astride += agg[j].size;
		ws->heap |= sp_agg_has_heap(&agg[j]);
	}
	ws->hdr = HDR + (ws->spec.kind == SP_WK_SESSION ? 8 : 0);
	ws->stride = ws->hdr + ws->astride;
	ws->fp = fingerprint(ws);
	ws->typed = 1;
	build_schema(ws);
	return 0;
}

int sp_wstate_types(struct sp_wstate *ws, const struct sp_type *const *key_types, const enum sp_type_id *arg_types,
		    struct sp_err *err)
{
	struct sp_type *keys = sp_type_new_struct();
	char name[32];

	for (size_t i = 0; i < ws->spec.nkeys; i++) {
		snprintf(name, sizeof name, "k%zu", i);
		sp_type_add_field(keys, name, sp_type_ref((struct sp_type *)key_types[i]), 0);
	}
	return set_layout(ws, keys, arg_types, err);
}

struct sp_type *sp_wstate_schema(const struct sp_wstate *ws)
{
	return ws->schema;
}

/* ---- the key dictionary ---- */

static void kslots_grow(struct sp_wstate *ws)
{
	size_t cap = ws->nkslots ? ws->nkslots * 2 : 256;
	uint64_t *s = sp_xcalloc(cap, sizeof *s);

	for (size_t i = 0; i < ws->nkslots; i++) {
		uint64_t v = ws->kslots[i];

		if (v) {
			size_t j = ws->kd[(uint32_t)v - 1].hash & (cap - 1);

			while (s[j])
				j = (j + 1) & (cap - 1);
			s[j] = v;
		}
	}
	free(ws->kslots);
	ws->kslots = s;
	ws->nkslots = cap;
}

static void compact_keys(struct sp_wstate *ws)
{
	struct sp_buf nk = SP_BUF_INIT;

	for (size_t i = 0; i < ws->nkd; i++) {
		struct key *k = &ws->kd[i];

		if (!k->live)
			continue;
		sp_buf_room(&nk, k->len);
		if (k->len)
			memcpy(nk.p + nk.len, ws->keys.p + k->off, k->len);
		k->off = (uint32_t)nk.len;
		nk.len += k->len;
	}
	sp_buf_release(&ws->keys);
	ws->keys = nk;
	ws->garbage = 0;
}

/* The id of the key with these bytes, added (without groups) if new. */
static uint32_t key_id(struct sp_wstate *ws, const unsigned char *b, size_t n, uint64_t h)
{
	uint64_t tag = h >> 32 << 32, v;
	size_t j;
	uint32_t id;
	struct key *k;

	if (ws->nkslots) {
		for (j = h & (ws->nkslots - 1); (v = ws->kslots[j]); j = (j + 1) & (ws->nkslots - 1)) {
			if ((v & ~(uint64_t)UINT32_MAX) != tag)
				continue;
			k = &ws->kd[(uint32_t)v - 1];
			if (k->hash == h && k->len == n && sp_keq(ws->keys.p + k->off, b, n))
				return (uint32_t)v - 1;
		}
	}
	if ((ws->kused + 1) * 4 > ws->nkslots)
		kslots_grow(ws);
	if (ws->nkfree) {
		id = ws->kfree[--ws->nkfree];
	} else {
		sp_grow(&ws->kd, &ws->capkd, ws->nkd + 1, sizeof *ws->kd);
		id = (uint32_t)ws->nkd++;
	}
	if (ws->garbage > 65536 && ws->garbage > ws->keys.len / 2)
		compact_keys(ws);
	k = &ws->kd[id];
	k->hash = h;
	k->off = (uint32_t)ws->keys.len;
	k->len = (uint32_t)n;
	k->refs = 0;
	k->live = 1;
	sp_buf_add(&ws->keys, b, n);
	for (j = h & (ws->nkslots - 1); ws->kslots[j]; j = (j + 1) & (ws->nkslots - 1))
		;
	ws->kslots[j] = tag | ((uint64_t)id + 1);
	ws->kused++;
	sp_grow(&ws->newkeys, &ws->capnewkeys, ws->nnewkeys + 1, sizeof *ws->newkeys);
	ws->newkeys[ws->nnewkeys++] = id;
	return id;
}

static void key_drop(struct sp_wstate *ws, uint32_t id)
{
	struct key *k = &ws->kd[id];
	size_t mask = ws->nkslots - 1, i = k->hash & mask, j;

	while ((uint32_t)ws->kslots[i] != id + 1)
		i = (i + 1) & mask;
	for (j = i;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!ws->kslots[j])
			break;
		home = ws->kd[(uint32_t)ws->kslots[j] - 1].hash & mask;
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			ws->kslots[i] = ws->kslots[j];
			i = j;
		}
	}
	ws->kslots[i] = 0;
	ws->kused--;
	ws->garbage += k->len;
	k->live = 0;
	sp_grow(&ws->kfree, &ws->capkfree, ws->nkfree + 1, sizeof *ws->kfree);
	ws->kfree[ws->nkfree++] = id;
}

static void key_unref(struct sp_wstate *ws, uint32_t id)
{
	if (!--ws->kd[id].refs)
		key_drop(ws, id);
}

/* Keys that rows brought in but no group kept (late rows) go at the end of the batch. */
static void drop_new_keys(struct sp_wstate *ws)
{
	for (size_t i = 0; i < ws->nnewkeys; i++) {
		struct key *k = &ws->kd[ws->newkeys[i]];

		if (k->live && !k->refs)
			key_drop(ws, ws->newkeys[i]);
	}
	ws->nnewkeys = 0;
}

/* ---- records ---- */

/*
 * Zeroed memory for chunks of records. The first chunk comes from calloc,
 * its pages touched as records are used, so a small state stays small;
 * later ones come in slabs of several chunks, aligned to and a multiple of
 * 2 MiB and marked for huge pages: a big state then costs a page fault per
 * 2 MiB instead of per 4 KiB, which matters where faults are dear.
 */
#define HUGE_PAGE ((size_t)2 << 20)
#define SLAB_MAX 32		/* chunks per slab, at most */

static void slab_new(struct slab *sl, size_t n)
{
	sl->n = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	sl->mapped = 0;
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
	{
		char *p = mmap(NULL, sl->n + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED) {
			char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));

			if (a > p)
				munmap(p, (size_t)(a - p));
			if (a + sl->n < p + sl->n + HUGE_PAGE)
				munmap(a + sl->n, (size_t)(p + sl->n + HUGE_PAGE - (a + sl->n)));
			madvise(a, sl->n, MADV_HUGEPAGE);
			sl->p = a;
			sl->mapped = 1;
			return;
		}
	}
#endif
	sl->p = sp_xcalloc(1, sl->n);
}

static void slab_free(struct slab *sl)
{
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
	if (sl->mapped) {
		munmap(sl->p, sl->n);
		return;
	}
#endif
	free(sl->p);
}

/* A new chunk of zeroed records, at ws->chunks[ws->nchunks]. */
static void chunk_add(struct sp_wstate *ws)
{
	size_t bytes = ws->stride << RBITS;

	sp_grow(&ws->chunks, &ws->capchunks, ws->nchunks + 1, sizeof *ws->chunks);
	if (!ws->nchunks) {
		ws->chunks[ws->nchunks++] = sp_xcalloc(1, bytes);
		return;
	}
	if (!ws->nspare) {
		/* slabs grow with the state: 1, 2, 4 .. chunks */
		size_t k = ws->nchunks < SLAB_MAX ? ws->nchunks : SLAB_MAX;
		struct slab *sl;

		sp_grow(&ws->slabs, &ws->capslabs, ws->nslabs + 1, sizeof *ws->slabs);
		sl = &ws->slabs[ws->nslabs++];
		slab_new(sl, k * bytes);
		ws->spare = sl->p;
		ws->nspare = sl->n / bytes;
	}
	ws->chunks[ws->nchunks++] = ws->spare;
	ws->spare += bytes;
	ws->nspare--;
}

static uint32_t rec_alloc(struct sp_wstate *ws)
{
	uint32_t i;

	if (ws->nfree) {
		i = ws->freel[--ws->nfree];
		memset(rec(ws, i), 0, ws->stride);
	} else {
		if (ws->nrecs >= UINT32_MAX - 1)
			sp_die("too many groups");
		if (ws->nrecs == ws->nchunks << RBITS)
			chunk_add(ws);
		i = (uint32_t)ws->nrecs++;
		if (i < ws->zeroed)
			memset(rec(ws, i), 0, ws->stride);	/* used before a clear */
		else
			ws->zeroed = (size_t)i + 1;
	}
	ws->live++;
	return i;
}

static inline void rec_free(struct sp_wstate *ws, uint32_t i)
{
	struct grp *g = rec(ws, i);

	if (ws->heap)
		for (size_t j = 0; j < ws->nagg; j++)
			sp_agg_free(&ws->agg[j], states(ws, g) + ws->aoff[j]);
	g->flags = 0;
	if (ws->nfree == ws->capfree)
		sp_grow(&ws->freel, &ws->capfree, ws->nfree + 1, sizeof *ws->freel);
	ws->freel[ws->nfree++] = i;
	ws->live--;
}

/* ---- the hash tables ---- */

static inline uint64_t start_hash(int64_t start)
{
	return sp_mix64((uint64_t)start * UINT64_C(0x9e3779b97f4a7c15));
}

static inline size_t key_home(uint32_t key, size_t mask)
{
	return (size_t)(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & mask;
}

#define SLOT(key, r) ((uint64_t)(key) << 32 | ((uint64_t)(r) + 1))
#define SLOT_REC(v) ((uint32_t)(v) - 1)
#define SLOT_KEY(v) ((uint32_t)((v) >> 32))

static void wdir_rebuild(struct sp_wstate *ws)
{
	size_t cap = 16;

	while (cap < ws->nwt * 2)
		cap *= 2;
	if (cap != ws->nwdir) {
		free(ws->wdir);
		ws->wdir = sp_xmalloc(cap * sizeof *ws->wdir);
		ws->nwdir = cap;
	}
	memset(ws->wdir, 0, cap * sizeof *ws->wdir);
	for (size_t i = 0; i < ws->nwt; i++) {
		size_t j = start_hash(ws->wt[i].start) & (cap - 1);

		while (ws->wdir[j])
			j = (j + 1) & (cap - 1);
		ws->wdir[j] = (uint32_t)i + 1;
	}
	memset(ws->wc_index, 0, sizeof ws->wc_index);
}

/* The table of window start (the one table for kinds without windows); NONE if absent and !create. */
static uint32_t wt_find(struct sp_wstate *ws, int64_t start, int create)
{
	size_t c, j;

	if (ws->spec.kind != SP_WK_TIME)
		start = 0;
	c = (size_t)(start_hash(start) & (WCACHE - 1));
	if (ws->wc_index[c] && ws->wc_start[c] == start)
		return ws->wc_index[c] - 1;
	if (ws->nwdir)
		for (j = start_hash(start) & (ws->nwdir - 1); ws->wdir[j]; j = (j + 1) & (ws->nwdir - 1))
			if (ws->wt[ws->wdir[j] - 1].start == start) {
				ws->wc_start[c] = start;
				ws->wc_index[c] = ws->wdir[j];
				return ws->wdir[j] - 1;
			}
	if (!create)
		return NONE;
	sp_grow(&ws->wt, &ws->capwt, ws->nwt + 1, sizeof *ws->wt);
	memset(&ws->wt[ws->nwt], 0, sizeof *ws->wt);
	ws->wt[ws->nwt].start = start;
	ws->nwt++;
	wdir_rebuild(ws);
	return (uint32_t)ws->nwt - 1;
}

/* Drops table t (its records already forgotten, or none). */
static void wt_drop(struct sp_wstate *ws, uint32_t t)
{
	size_t need = 64;

	/* the next window's table starts at this one's size, not at the largest ever seen */
	while (need < ws->wt[t].used * 2)
		need *= 2;
	if (ws->wt[t].used)
		ws->tabhint = need;
	free(ws->wt[t].slots);
	ws->wt[t] = ws->wt[--ws->nwt];
	wdir_rebuild(ws);
}

/* Doubles t; a new table starts at the size of the last one grown, as windows tend to hold as many keys. */
static void tab_grow(struct sp_wstate *ws, struct wtab *t)
{
	size_t cap = t->nslots ? t->nslots * 2 : ws->tabhint ? ws->tabhint : 64;
	uint64_t *s = sp_xcalloc(cap, sizeof *s);

	for (size_t i = 0; i < t->nslots; i++) {
		uint64_t v = t->slots[i];

		if (v) {
			size_t j = key_home(SLOT_KEY(v), cap - 1);

			while (s[j])
				j = (j + 1) & (cap - 1);
			s[j] = v;
		}
	}
	free(t->slots);
	t->slots = s;
	t->nslots = cap;
	if (t->used)
		ws->tabhint = cap;
}

/* Record r goes into the table of its window, found by its key. */
static void tab_insert(struct sp_wstate *ws, uint32_t r)
{
	uint32_t ti = wt_find(ws, rec(ws, r)->ws, 1);
	struct wtab *t = &ws->wt[ti];
	uint32_t key = rec(ws, r)->key;
	size_t j;

	if ((t->used + 1) * 2 > t->nslots)
		tab_grow(ws, t);
	for (j = key_home(key, t->nslots - 1); t->slots[j]; j = (j + 1) & (t->nslots - 1))
		;
	t->slots[j] = SLOT(key, r);
	t->used++;
}

static size_t tab_slot(const struct wtab *t, uint32_t key)
{
	size_t mask = t->nslots - 1, j;

	for (j = key_home(key, mask); SLOT_KEY(t->slots[j]) != key || !t->slots[j]; j = (j + 1) & mask)
		;
	return j;
}

static void tab_remove(struct sp_wstate *ws, uint32_t r)
{
	uint32_t ti = wt_find(ws, rec(ws, r)->ws, 0);
	struct wtab *t = &ws->wt[ti];
	size_t mask = t->nslots - 1, i = tab_slot(t, rec(ws, r)->key), j;

	for (j = i;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->slots[j])
			break;
		home = key_home(SLOT_KEY(t->slots[j]), mask);
		/* move the entry at j back to i unless its home lies cyclically in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = 0;
	if (!--t->used && ws->spec.kind == SP_WK_TIME)
		wt_drop(ws, ti);
}

/* The record of key in the table of window start (sessions: the key's first session), or NONE. */
static inline uint32_t tab_find(struct sp_wstate *ws, int64_t start, uint32_t key)
{
	uint32_t ti = wt_find(ws, start, 0);
	const struct wtab *t;
	size_t mask, j;
	uint64_t v;

	if (ti == NONE)
		return NONE;
	t = &ws->wt[ti];
	mask = t->nslots - 1;
	for (j = key_home(key, mask); (v = t->slots[j]); j = (j + 1) & mask)
		if (SLOT_KEY(v) == key)
			return SLOT_REC(v);
	return NONE;
}

/* Sessions: the key's first session becomes r. */
static void tab_set(struct sp_wstate *ws, uint32_t key, uint32_t r)
{
	struct wtab *t = &ws->wt[wt_find(ws, 0, 0)];

	t->slots[tab_slot(t, key)] = SLOT(key, r);
}

/* ---- groups ---- */

/* The store's key of a record: 'G', its start, its key bytes. */
static size_t entry_key(struct sp_wstate *ws, const struct grp *g)
{
	size_t n = 9 + ws->kd[g->key].len;

	sp_grow(&ws->tmpkey, &ws->captmpkey, n, 1);
	ws->tmpkey[0] = 'G';
	for (int i = 0; i < 8; i++)
		ws->tmpkey[1 + i] = (unsigned char)((uint64_t)g->ws >> (8 * i));
	if (n > 9)
		memcpy(ws->tmpkey + 9, kbytes(ws, g->key), n - 9);
	return n;
}

static void mark_dirty(struct sp_wstate *ws, uint32_t r)
{
	struct grp *g = rec(ws, r);

	if (!ws->track || (g->flags & G_DIRTY))
		return;
	g->flags |= G_DIRTY;
	sp_grow(&ws->dirty, &ws->capdirty, ws->ndirty + 1, sizeof *ws->dirty);
	ws->dirty[ws->ndirty++] = r;
}

/* Forgets a record (already out of its table), recording its deletion from the store. */
static void forget(struct sp_wstate *ws, uint32_t r)
{
	struct grp *g = rec(ws, r);
	uint32_t key = g->key;

	if (ws->track && (g->flags & G_STORED)) {
		size_t n = entry_key(ws, g);

		sp_buf_put32(&ws->dels, (uint32_t)n);
		sp_buf_add(&ws->dels, ws->tmpkey, n);
	}
	rec_free(ws, r);
	key_unref(ws, key);
}

/* A new group of key, states initialised (zeroes are every function's initial state). */
static uint32_t rec_new(struct sp_wstate *ws, int64_t start, int64_t end, uint32_t key)
{
	uint32_t r = rec_alloc(ws);
	struct grp *g = rec(ws, r);

	g->ws = start;
	set_end(ws, g, end);
	g->key = key;
	g->flags = G_LIVE;
	ws->kd[key].refs++;
	return r;
}

/* Notes that record r changed in this batch. */
static void changed_add(struct sp_wstate *ws, uint32_t r)
{
	struct grp *g = rec(ws, r);

	if (g->flags & G_CHANGED)
		return;
	g->flags |= G_CHANGED;
	sp_grow(&ws->changed, &ws->capchanged, ws->nchanged + 1, sizeof *ws->changed);
	ws->changed[ws->nchanged++] = r;
}

/* ---- batches ---- */

static void settle(struct sp_wstate *ws);

static void rows_room(struct sp_wstate *ws, size_t n)
{
	if (n <= ws->caprows)
		return;
	ws->caprows = n;
	ws->koffs = sp_xrealloc(ws->koffs, (n + 1) * sizeof *ws->koffs);
	ws->khash = sp_xrealloc(ws->khash, n * sizeof *ws->khash);
	ws->kid = sp_xrealloc(ws->kid, n * sizeof *ws->kid);
	ws->slot = sp_xrealloc(ws->slot, n * sizeof *ws->slot);
	ws->stp = sp_xrealloc(ws->stp, n * sizeof *ws->stp);
	ws->alive = sp_xrealloc(ws->alive, n);
	ws->lasts = sp_xrealloc(ws->lasts, n * sizeof *ws->lasts);
}

static uint32_t part_new(struct sp_wstate *ws)
{
	if (ws->npart == ws->cappart) {
		size_t cap = ws->cappart ? ws->cappart * 2 : 256;

		ws->part = sp_xrealloc(ws->part, cap * ws->astride);
		memset(ws->part + ws->cappart * ws->astride, 0, (cap - ws->cappart) * ws->astride);
		ws->cappart = cap;
	}
	for (size_t j = 0; j < ws->nagg; j++)
		sp_agg_reset(&ws->agg[j], ws->part + ws->npart * ws->astride + ws->aoff[j]);
	return (uint32_t)ws->npart++;
}

void sp_wstate_begin(struct sp_wstate *ws, int64_t id)
{
	settle(ws);
	ws->id = id;
	ws->wm_late = ws->spec.mode == SP_MODE_COMPLETE ? SP_NO_WATERMARK : ws->w.wm;
	ws->npart = 0;
	ws->ntouched = 0;
	ws->nfrags = 0;
	sp_wm_begin(&ws->w);
	ws->st.updated = ws->st.emitted = 0;
}

static inline int is_late(const struct sp_wstate *ws, int64_t end)
{
	return ws->wm_late != SP_NO_WATERMARK && end <= ws->wm_late;
}

/* The key id of row i. */
static inline uint32_t row_key(struct sp_wstate *ws, size_t i)
{
	if (ws->kid[i] == NONE)
		ws->kid[i] = key_id(ws, (const unsigned char *)ws->kbuf.p + ws->koffs[i], ws->koffs[i + 1] - ws->koffs[i],
				    ws->khash[i]);
	return ws->kid[i];
}

/*
 * The group of row i in window [start, end), made on first sight, and
 * noted as touched by this batch: a group made now aggregates into its own
 * states, an older one into a partial merged at the end of the batch.
 */
static inline uint32_t find_or_add(struct sp_wstate *ws, size_t i, int64_t start, int64_t end)
{
	uint32_t key = row_key(ws, i), r;
	struct grp *g;

	/* a key's rows mostly fall in the window of its previous row: try its last group first */
	if (key < ws->capkrec && (r = ws->krec[key]) < ws->nrecs) {
		g = rec(ws, r);
		if ((g->flags & (G_LIVE | G_DOOMED)) == G_LIVE && g->key == key && g->ws == start)
			goto found;
	}
	if (key >= ws->capkrec) {
		size_t was = ws->capkrec;

		sp_grow(&ws->krec, &ws->capkrec, (size_t)key + 1, sizeof *ws->krec);
		memset(ws->krec + was, 0xff, (ws->capkrec - was) * sizeof *ws->krec);
	}
	r = tab_find(ws, start, key);
	if (r == NONE) {
		r = rec_new(ws, start, end, key);
		tab_insert(ws, r);
		rec(ws, r)->flags |= G_NEW;
		sp_grow(&ws->touched, &ws->captouched, ws->ntouched + 1, sizeof *ws->touched);
		ws->touched[ws->ntouched++] = r;
		ws->krec[key] = r;
		return r;
	}
	ws->krec[key] = r;
	g = rec(ws, r);
found:
	if (!(g->flags & G_NEW) && !g->link) {
		uint32_t p = part_new(ws);

		g = rec(ws, r);
		g->link = p + 1;
		sp_grow(&ws->touched, &ws->captouched, ws->ntouched + 1, sizeof *ws->touched);
		ws->touched[ws->ntouched++] = r;
	}
	return r;
}

/* Aggregates the rows whose group is in ws->slot (a record, or NONE). */
static void update_groups(struct sp_wstate *ws, const struct sp_winput *in)
{
	for (size_t i = 0; i < in->n; i++) {
		struct grp *g;

		if (ws->slot[i] == NONE) {
			ws->stp[i] = NULL;
			continue;
		}
		g = rec(ws, ws->slot[i]);
		ws->stp[i] = g->flags & G_NEW ? states(ws, g) : ws->part + (size_t)(g->link - 1) * ws->astride;
	}
	for (size_t j = 0; j < ws->nagg; j++)
		sp_agg_update_many(&ws->agg[j], ws->stp, ws->aoff[j], ws->spec.aggs[j].star ? NULL : in->args[j], in->n);
}

static void rows_windows(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late)
{
	const struct sp_col *tc = in->time;
	const int64_t *t = tc->data;
	int64_t size = ws->spec.size, slide = ws->spec.slide, *last = ws->lasts, cached = 0;
	size_t nw = (size_t)((size + slide - 1) / slide);
	int exact = size % slide == 0, have = 0;

	/* each row's latest window start; times mostly increase, so the last one found usually fits */
	for (size_t i = 0; i < in->n; i++) {
		if (have && (uint64_t)t[i] - (uint64_t)cached < (uint64_t)slide) {
			last[i] = cached;
		} else {
			last[i] = cached = last_start(t[i], slide, ws->spec.offset);
			have = 1;
		}
	}
	memset(ws->alive, 0, in->n);
	for (size_t k = 0; k < nw; k++) {
		for (size_t i = 0; i < in->n; i++) {
			int64_t s, e;

			ws->slot[i] = NONE;
			if (sp_col_isnull(tc, i))
				continue;
			s = wsub(last[i], (int64_t)k * slide);
			e = wadd(s, size);
			if (!exact && !(s <= t[i] && t[i] < e))
				continue;
			if (is_late(ws, e)) {
				if (!ws->alive[i])
					ws->alive[i] = 2;
				continue;
			}
			ws->alive[i] = 1;
			ws->slot[i] = find_or_add(ws, i, s, e);
		}
		update_groups(ws, in);
	}
	for (size_t i = 0; i < in->n; i++) {
		if (ws->alive[i] == 2) {
			ws->st.late++;
			if (late)
				late[i] = 1;
		} else if (!ws->alive[i]) {
			ws->st.dropped++;
		}
	}
}

static void rows_timekey(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late)
{
	const struct sp_col *tc = in->time;

	for (size_t i = 0; i < in->n; i++) {
		int64_t t = sp_col_isnull(tc, i) ? NO_TIME : sp_col_i64(tc, i);

		ws->slot[i] = NONE;
		if (t != NO_TIME && is_late(ws, t)) {
			ws->st.late++;
			if (late)
				late[i] = 1;
			continue;
		}
		ws->slot[i] = find_or_add(ws, i, t, t);
	}
	update_groups(ws, in);
}

static void rows_plain(struct sp_wstate *ws, const struct sp_winput *in)
{
	for (size_t i = 0; i < in->n; i++)
		ws->slot[i] = find_or_add(ws, i, 0, 0);
	update_groups(ws, in);
}

static inline uint64_t frag_hash(uint32_t key, int64_t s, int64_t e)
{
	return sp_mix64(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) ^ start_hash(s) ^ ((uint64_t)e << 1));
}

/* Sessions: rows go into the batch's fragments, one per (key, start, end), merged at the end. */
static void rows_sessions(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late)
{
	const struct sp_col *tc = in->time;

	for (size_t i = 0; i < in->n; i++) {
		int64_t t, gap, e;
		uint32_t key;
		size_t j, mask;
		struct frag *f = NULL;

		ws->slot[i] = NONE;
		ws->stp[i] = NULL;
		gap = in->gap ? (sp_col_isnull(in->gap, i) ? 0 : sp_col_i64(in->gap, i)) : ws->spec.gap;
		if (sp_col_isnull(tc, i) || gap <= 0) {
			ws->st.dropped++;
			continue;
		}
		t = sp_col_i64(tc, i);
		e = wadd(t, gap);
		if (is_late(ws, e)) {
			ws->st.late++;
			if (late)
				late[i] = 1;
			continue;
		}
		key = row_key(ws, i);
		if ((ws->nfrags + 1) * 2 > ws->nfslots) {
			size_t cap = ws->nfslots ? ws->nfslots * 2 : 1024;

			free(ws->fslots);
			ws->fslots = sp_xcalloc(cap, sizeof *ws->fslots);
			ws->nfslots = cap;
			for (size_t q = 0; q < ws->nfrags; q++) {
				struct frag *g = &ws->frags[q];
				size_t s = frag_hash(g->key, g->s, g->e) & (cap - 1);

				while (ws->fslots[s])
					s = (s + 1) & (cap - 1);
				ws->fslots[s] = (uint32_t)q + 1;
			}
		}
		mask = ws->nfslots - 1;
		for (j = frag_hash(key, t, e) & mask; ws->fslots[j]; j = (j + 1) & mask) {
			struct frag *g = &ws->frags[ws->fslots[j] - 1];

			if (g->key == key && g->s == t && g->e == e) {
				f = g;
				break;
			}
		}
		if (!f) {
			sp_grow(&ws->frags, &ws->capfrags, ws->nfrags + 1, sizeof *ws->frags);
			f = &ws->frags[ws->nfrags];
			f->s = t;
			f->e = e;
			f->key = key;
			ws->kd[key].refs++;	/* the fragment holds its key until the end of the batch */
			f->part = part_new(ws);
			f->first = ws->arrival + (uint32_t)i;
			ws->fslots[j] = (uint32_t)ws->nfrags + 1;
			ws->nfrags++;
		}
		ws->slot[i] = f->part;
	}
	/* the partial area may have moved while fragments were added: point at it now */
	for (size_t i = 0; i < in->n; i++)
		if (ws->slot[i] != NONE)
			ws->stp[i] = ws->part + (size_t)ws->slot[i] * ws->astride;
	for (size_t j = 0; j < ws->nagg; j++)
		sp_agg_update_many(&ws->agg[j], ws->stp, ws->aoff[j], ws->spec.aggs[j].star ? NULL : in->args[j], in->n);
}

static int rows_chunk(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late, struct sp_err *err)
{
	size_t n = in->n, bound;

	if (!n)
		return 0;
	rows_room(ws, n);
	ws->st.rows += n;
	if (late)
		memset(late, 0, n);
	/* the event-time statistics behind the watermark see every row, late ones too (milliseconds, as Spark) */
	if (in->time && ws->spec.wmark == SP_WM_DELAY)
		sp_wm_see_col(&ws->w, in->time, n);
	sp_buf_reset(&ws->kbuf);
	bound = flat_bound(in->keys, ws->spec.nkeys, n);
	if (bound > UINT32_MAX / 2)
		return sp_err_set(err, "group keys of one batch exceed 2 GiB");
	if (bound) {
		unsigned char *base = (unsigned char *)sp_buf_room(&ws->kbuf, bound), *d = base;

		for (size_t i = 0; i < n; i++) {
			ws->koffs[i] = (uint32_t)(d - base);
			for (size_t k = 0; k < ws->spec.nkeys; k++)
				d = sp_key_encode_flat(d, in->keys[k], i);
		}
		ws->koffs[n] = (uint32_t)(d - base);
		/* hashed apart: a load right after the narrower stores that wrote its bytes would stall */
		for (size_t i = 0; i < n; i++)
			ws->khash[i] = sp_hash_bytes(base + ws->koffs[i], ws->koffs[i + 1] - ws->koffs[i]);
		ws->kbuf.len = (size_t)(d - base);
	} else {
		for (size_t i = 0; i < n; i++) {
			ws->koffs[i] = (uint32_t)ws->kbuf.len;
			for (size_t k = 0; k < ws->spec.nkeys; k++)
				sp_key_encode(&ws->kbuf, in->keys[k], i);
			ws->khash[i] = sp_hash_bytes((const unsigned char *)ws->kbuf.p + ws->koffs[i],
						  ws->kbuf.len - ws->koffs[i]);
			if (ws->kbuf.len > UINT32_MAX / 2)
				return sp_err_set(err, "group keys of one batch exceed 2 GiB");
		}
	}
	ws->koffs[n] = (uint32_t)ws->kbuf.len;
	memset(ws->kid, 0xff, n * sizeof *ws->kid);
	switch (ws->spec.kind) {
	case SP_WK_TIME:
		rows_windows(ws, in, late);
		break;
	case SP_WK_TIMEKEY:
		rows_timekey(ws, in, late);
		break;
	case SP_WK_SESSION:
		rows_sessions(ws, in, late);
		break;
	case SP_WK_NONE:
		rows_plain(ws, in);
		break;
	}
	ws->arrival += (uint32_t)n;
	return 0;
}

/* A view of rows lo..lo+n-1 of c (lo a multiple of 8, so validity bitmaps slice on byte boundaries). */
static void col_slice(struct sp_col *v, const struct sp_col *c, size_t lo, size_t n, struct sp_arena *ar)
{
	memset(v, 0, sizeof *v);
	v->type = c->type;
	v->n = n;
	v->valid = c->valid ? c->valid + lo / 8 : NULL;
	switch (c->type->id) {
	case SP_T_STRING:
	case SP_T_BINARY:
		v->data = c->data;
		v->off = c->off + lo;
		break;
	case SP_T_ARRAY:
		v->off = c->off + lo;
		v->nchild = 1;
		v->child = (struct sp_col *)c->child;
		break;
	case SP_T_STRUCT:
		v->nchild = c->nchild;
		v->child = sp_arena_alloc(ar, c->nchild * sizeof *v->child + 1);
		for (size_t f = 0; f < c->nchild; f++)
			col_slice(&v->child[f], &c->child[f], lo, n, ar);
		break;
	case SP_T_BOOLEAN:
		v->data = c->data ? (uint8_t *)c->data + lo : NULL;
		break;
	default:
		v->data = c->data ? (char *)c->data + lo * 8 : NULL;
		break;
	}
}

/* Rows go through in chunks, so the per-row scratch stays in the cache. */
#define CHUNK 4096

int sp_wstate_rows(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late, struct sp_err *err)
{
	size_t nk = ws->spec.nkeys, na = ws->nagg;
	struct sp_col *cols;
	const struct sp_col **keys, **args;
	int r = 0;

	if (!ws->typed)
		return sp_err_set(err, "rows before the aggregation's types are known");
	if (in->n <= CHUNK)
		return rows_chunk(ws, in, late, err);
	cols = sp_xcalloc(nk + na + 2, sizeof *cols);
	keys = sp_xcalloc(nk + 1, sizeof *keys);
	args = sp_xcalloc(na + 1, sizeof *args);
	for (size_t lo = 0; lo < in->n && r == 0; lo += CHUNK) {
		size_t n = in->n - lo < CHUNK ? in->n - lo : CHUNK;
		struct sp_winput v = { n, NULL, NULL, keys, args };

		sp_arena_reset(&ws->arena);
		for (size_t k = 0; k < nk; k++) {
			col_slice(&cols[k], in->keys[k], lo, n, &ws->arena);
			keys[k] = &cols[k];
		}
		for (size_t j = 0; j < na; j++) {
			args[j] = NULL;
			if (in->args[j]) {
				col_slice(&cols[nk + j], in->args[j], lo, n, &ws->arena);
				args[j] = &cols[nk + j];
			}
		}
		if (in->time) {
			col_slice(&cols[nk + na], in->time, lo, n, &ws->arena);
			v.time = &cols[nk + na];
		}
		if (in->gap) {
			col_slice(&cols[nk + na + 1], in->gap, lo, n, &ws->arena);
			v.gap = &cols[nk + na + 1];
		}
		r = rows_chunk(ws, &v, late ? late + lo : NULL, err);
	}
	free(cols);
	free(keys);
	free(args);
	return r;
}

/* ---- the end of a batch ---- */

/*
 * Folds the batch into the groups, as Spark's final aggregation does:
 * F = init; merge(F, saved); merge(F, partial). A group made by this batch
 * has no saved state: F = merge(init, partial).
 */
static void merge_partials(struct sp_wstate *ws)
{
	/* nothing changed yet (the usual case): the touched records, each there once, become the changed ones */
	int swap = ws->nchanged == 0;

	for (size_t t = 0; t < ws->ntouched; t++) {
		uint32_t r = ws->touched[t];
		struct grp *g = rec(ws, r);

		if (g->flags & G_NEW) {
			for (size_t j = 0; j < ws->nagg; j++)
				sp_agg_renew(&ws->agg[j], states(ws, g) + ws->aoff[j]);
		} else {
			char *p = ws->part + (size_t)(g->link - 1) * ws->astride;

			for (size_t j = 0; j < ws->nagg; j++) {
				sp_agg_renew(&ws->agg[j], states(ws, g) + ws->aoff[j]);
				sp_agg_merge(&ws->agg[j], states(ws, g) + ws->aoff[j], p + ws->aoff[j]);
			}
		}
		g->flags &= ~(uint32_t)G_NEW;
		g->link = 0;
		if (swap)
			g->flags |= G_CHANGED;
		else
			changed_add(ws, r);
		mark_dirty(ws, r);
	}
	if (swap) {
		uint32_t *t = ws->changed;
		size_t cap = ws->capchanged;

		ws->changed = ws->touched;
		ws->capchanged = ws->captouched;
		ws->nchanged = ws->ntouched;
		ws->touched = t;
		ws->captouched = cap;
		ws->ntouched = 0;
	}
}

static int cmp_frag(const void *a, const void *b)
{
	const struct frag *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static inline uint32_t next_session(const struct sp_wstate *ws, uint32_t r)
{
	return rec(ws, r)->link ? rec(ws, r)->link - 1 : NONE;
}

/*
 * Sessions: merges the batch's fragments of one key (frags[a..b), sorted
 * by start) with the key's sessions in state, in order of start, and
 * replaces them: F = init, then merge(F, each) while each starts at or
 * before F's end.
 */
static void merge_key_sessions(struct sp_wstate *ws, size_t a, size_t b)
{
	uint32_t key = ws->frags[a].key, head = tab_find(ws, 0, key), r, cur = NONE, newhead = NONE;
	uint32_t *old = NULL;
	size_t nold = 0, io = 0, jf = a;

	for (r = head; r != NONE; r = next_session(ws, r))
		nold++;
	if (nold) {
		old = sp_xmalloc(nold * sizeof *old);
		for (r = head, nold = 0; r != NONE; r = next_session(ws, r))
			old[nold++] = r;
	}
	while (io < nold || jf < b) {
		/* the next element by start; a saved session before a fragment of the same start */
		int from_old = jf >= b || (io < nold && rec(ws, old[io])->ws <= ws->frags[jf].s);
		int64_t s = from_old ? rec(ws, old[io])->ws : ws->frags[jf].s;
		int64_t e = from_old ? gend(ws, rec(ws, old[io])) : ws->frags[jf].e;
		const char *src = from_old ? states(ws, rec(ws, old[io])) : ws->part + (size_t)ws->frags[jf].part * ws->astride;
		struct grp *g;

		if (cur != NONE && s <= gend(ws, rec(ws, cur))) {
			g = rec(ws, cur);
			if (e > gend(ws, g))
				set_end(ws, g, e);
		} else {
			uint32_t prev = cur;

			cur = rec_new(ws, s, e, key);
			g = rec(ws, cur);
			if (prev != NONE)
				rec(ws, prev)->link = cur + 1;
			else
				newhead = cur;
			changed_add(ws, cur);
			mark_dirty(ws, cur);
		}
		for (size_t j = 0; j < ws->nagg; j++)
			sp_agg_merge(&ws->agg[j], states(ws, g) + ws->aoff[j], src + ws->aoff[j]);
		if (from_old)
			io++;
		else
			jf++;
	}
	if (head != NONE)
		tab_set(ws, key, newhead);
	else
		tab_insert(ws, newhead);
	for (size_t i = 0; i < nold; i++)
		forget(ws, old[i]);
	free(old);
}

static void merge_sessions(struct sp_wstate *ws)
{
	size_t a = 0;

	if (ws->nfrags > 1)
		qsort(ws->frags, ws->nfrags, sizeof *ws->frags, cmp_frag);
	while (a < ws->nfrags) {
		size_t b = a + 1;

		while (b < ws->nfrags && ws->frags[b].key == ws->frags[a].key)
			b++;
		merge_key_sessions(ws, a, b);
		a = b;
	}
	for (size_t f = 0; f < ws->nfrags; f++)
		key_unref(ws, ws->frags[f].key);
	ws->nfrags = 0;
}

static void advance_watermark(struct sp_wstate *ws, int64_t upstream)
{
	sp_wm_advance(&ws->w, upstream);
	ws->out_wm = sp_wm_out(&ws->w);
}

static const struct sp_wstate *sort_ctx;

static int cmp_keys(const void *a, const void *b)
{
	const struct sp_wstate *ws = sort_ctx;
	const unsigned char *p = kbytes(ws, *(const uint32_t *)a), *q = kbytes(ws, *(const uint32_t *)b);
	int c;

	for (size_t k = 0; k < ws->keys_st->nfields; k++)
		if ((c = key_cmp(ws->keys_st->fields[k].type, &p, &q)))
			return c;
	return 0;
}

/* A distinct window among the emitted rows: its bounds and its place in the output. */
struct win {
	int64_t ws, we;
	uint32_t id;		/* before sorting: its index; after: its place */
	uint32_t count;
};

static int cmp_win(const void *a, const void *b)
{
	const struct win *x = a, *y = b;

	if (x->ws != y->ws)
		return x->ws < y->ws ? -1 : 1;
	return x->we < y->we ? -1 : x->we > y->we;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline void emit_add(struct sp_wstate *ws, uint32_t r)
{
	if (ws->nemit == ws->capemit)
		sp_grow(&ws->emit, &ws->capemit, ws->nemit + 1, sizeof *ws->emit);
	ws->emit[ws->nemit++] = r;
}

static inline size_t win_home(int64_t s, int64_t e, size_t mask)
{
	return (size_t)(start_hash(s) ^ (uint64_t)e) & mask;
}

/* The id of window [s, e) among the distinct windows of the output, added if new. */
static uint32_t win_id(struct sp_wstate *ws, int64_t s, int64_t e)
{
	size_t mask = ws->nwinslots - 1, j;
	struct win *w;

	for (j = win_home(s, e, mask); ws->winslots[j]; j = (j + 1) & mask) {
		w = &ws->wins[ws->winslots[j] - 1];
		if (w->ws == s && w->we == e)
			return ws->winslots[j] - 1;
	}
	if ((ws->nwins + 1) * 2 > ws->nwinslots) {
		size_t cap = ws->nwinslots * 2;

		free(ws->winslots);
		ws->winslots = sp_xcalloc(cap, sizeof *ws->winslots);
		ws->nwinslots = cap;
		mask = cap - 1;
		for (size_t i = 0; i < ws->nwins; i++) {
			for (j = win_home(ws->wins[i].ws, ws->wins[i].we, mask); ws->winslots[j]; j = (j + 1) & mask)
				;
			ws->winslots[j] = (uint32_t)i + 1;
		}
		for (j = win_home(s, e, mask); ws->winslots[j]; j = (j + 1) & mask)
			;
	}
	sp_grow(&ws->wins, &ws->capwins, ws->nwins + 1, sizeof *ws->wins);
	ws->wins[ws->nwins] = (struct win){ s, e, (uint32_t)ws->nwins, 0 };
	ws->winslots[j] = (uint32_t)++ws->nwins;
	return (uint32_t)ws->nwins - 1;
}

/*
 * Orders the records in out[0..n) by their keys' ranks. Within a window a
 * key has one group, so the ranks differ: when they fall in a narrow
 * range they are placed directly, else (or should two be equal) sorted.
 */
static void order_keys(struct sp_wstate *ws, uint32_t *out, size_t n)
{
	uint32_t lo = UINT32_MAX, hi = 0, *rk;
	size_t i;

	if (n < 2)
		return;
	sp_grow(&ws->rks, &ws->caprks, n, sizeof *ws->rks);
	rk = ws->rks;
	for (i = 0; i < n; i++) {
		uint32_t k = rk[i] = ws->rank[rec(ws, out[i])->key];

		PREFETCH_REC(ws, out, i, n);
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	if ((size_t)(hi - lo) < 4 * n) {
		uint32_t *dir = ws->dir;

		for (i = 0; i < n; i++) {
			if (dir[rk[i] - lo] != NONE)
				break;
			dir[rk[i] - lo] = out[i];
		}
		if (i == n) {
			size_t o = 0;

			for (uint32_t k = 0; k <= hi - lo; k++)
				if (dir[k] != NONE) {
					out[o++] = dir[k];
					dir[k] = NONE;
				}
			return;
		}
		/* two alike after all: clean up and sort */
		for (size_t q = 0; q < i; q++)
			dir[rk[q] - lo] = NONE;
	}
	sp_grow(&ws->sortbuf, &ws->capsortbuf, n, sizeof *ws->sortbuf);
	for (i = 0; i < n; i++)
		ws->sortbuf[i] = (uint64_t)rk[i] << 32 | out[i];
	qsort(ws->sortbuf, n, sizeof *ws->sortbuf, cmp_u64);
	for (i = 0; i < n; i++)
		out[i] = (uint32_t)ws->sortbuf[i];
}

/*
 * Orders the records in ws->emit by window, then keys: the distinct keys
 * among them are sorted once (by value) and ranked, the distinct windows
 * too; the records go into their window's place (a counting sort), and
 * within each window are ordered by their keys' ranks.
 */
static void order_output(struct sp_wstate *ws)
{
	size_t nk = 0, sum = 0;
	uint32_t last = NONE;
	int64_t lws = 0, lwe = 0;
	int grouped;

	ws->pos = 0;
	if (ws->nemit < 2)
		return;
	sort_ctx = ws;
	if (ws->caprank < ws->nkd) {
		free(ws->rank);
		free(ws->dir);
		free(ws->kseen);
		ws->caprank = ws->capkd;
		ws->rank = sp_xmalloc(ws->caprank * sizeof *ws->rank);
		ws->dir = sp_xmalloc(4 * ws->caprank * sizeof *ws->dir);
		memset(ws->dir, 0xff, 4 * ws->caprank * sizeof *ws->dir);
		ws->kseen = sp_xcalloc(ws->caprank, sizeof *ws->kseen);
		ws->seen = 0;
	}
	/* a new mark for the keys seen this time; once it wraps around, the old marks go */
	if (++ws->seen == 0) {
		memset(ws->kseen, 0, ws->caprank * sizeof *ws->kseen);
		ws->seen = 1;
	}
	ws->nwins = 0;
	if (!ws->nwinslots) {
		ws->nwinslots = 64;
		ws->winslots = sp_xcalloc(ws->nwinslots, sizeof *ws->winslots);
	} else {
		memset(ws->winslots, 0, ws->nwinslots * sizeof *ws->winslots);
	}
	/* one pass: the distinct keys, and each record's window (in its pad); a window's rows mostly come together */
	grouped = 1;
	for (size_t e = 0; e < ws->nemit; e++) {
		struct grp *g = rec(ws, ws->emit[e]);
		int64_t we = gend(ws, g);

		PREFETCH_REC(ws, ws->emit, e, ws->nemit);
		if (ws->kseen[g->key] != ws->seen) {
			ws->kseen[g->key] = ws->seen;
			sp_grow(&ws->rkeys, &ws->caprkeys, nk + 1, sizeof *ws->rkeys);
			ws->rkeys[nk++] = g->key;
		}
		if (last == NONE || g->ws != lws || we != lwe) {
			last = win_id(ws, g->ws, we);
			lws = g->ws;
			lwe = we;
			if (ws->wins[last].count)
				grouped = 0;	/* a window's rows in two runs */
		}
		g->pad = last;
		ws->wins[last].count++;
	}
	if (nk > 1 && ws->keys_st->nfields)
		qsort(ws->rkeys, nk, sizeof *ws->rkeys, cmp_keys);
	for (size_t i = 0; i < nk; i++)
		ws->rank[ws->rkeys[i]] = (uint32_t)i;
	/* each window's place, then where its rows start in the output */
	qsort(ws->wins, ws->nwins, sizeof *ws->wins, cmp_win);
	for (size_t i = 0; i < ws->nwins && grouped; i++)
		grouped = ws->wins[i].id == i;
	if (grouped) {
		/* each window's rows together, the windows in order: only the keys remain to order */
		for (size_t i = 0, a = 0; i < ws->nwins; i++) {
			order_keys(ws, ws->emit + a, ws->wins[i].count);
			a += ws->wins[i].count;
		}
		return;
	}
	sp_grow(&ws->wpos, &ws->capwpos, ws->nwins + 1, sizeof *ws->wpos);
	for (size_t i = 0; i < ws->nwins; i++) {
		ws->wpos[ws->wins[i].id] = (uint32_t)sum;
		sum += ws->wins[i].count;
	}
	sp_grow(&ws->emit2, &ws->capemit2, ws->nemit, sizeof *ws->emit2);
	for (size_t e = 0; e < ws->nemit; e++) {
		PREFETCH_REC(ws, ws->emit, e, ws->nemit);
		ws->emit2[ws->wpos[rec(ws, ws->emit[e])->pad]++] = ws->emit[e];
	}
	for (size_t i = 0, a = 0; i < ws->nwins; i++) {
		order_keys(ws, ws->emit2 + a, ws->wins[i].count);
		a += ws->wins[i].count;
	}
	{
		uint32_t *t = ws->emit;
		size_t c = ws->capemit;

		ws->emit = ws->emit2;
		ws->capemit = ws->capemit2;
		ws->emit2 = t;
		ws->capemit2 = c;
	}
}

/* The next slice of the ordered output, or NULL once it is all out. */
static const struct sp_batch *next_slice(struct sp_wstate *ws)
{
	size_t c0 = ws->spec.kind == SP_WK_TIME || ws->spec.kind == SP_WK_SESSION ? 1 : 0;
	size_t end = ws->nemit - ws->pos > SLICE ? ws->pos + SLICE : ws->nemit;

	if (ws->pos >= ws->nemit)
		return NULL;
	sp_batch_reset(&ws->out);
	for (; ws->pos < end; ws->pos++) {
		struct grp *g = rec(ws, ws->emit[ws->pos]);
		const unsigned char *p = kbytes(ws, g->key);

		PREFETCH_REC(ws, ws->emit, ws->pos, ws->nemit);
		if (c0) {
			struct sp_col *w = &ws->out.cols[0];

			sp_col_push_i64(&w->child[0], g->ws);
			sp_col_push_i64(&w->child[1], gend(ws, g));
			sp_col_push_struct(w);
		}
		for (size_t k = 0; k < ws->spec.nkeys; k++)
			key_decode(ws->keys_st->fields[k].type, &p, &ws->out.cols[c0 + k]);
		for (size_t j = 0; j < ws->nagg; j++)
			sp_agg_result(&ws->agg[j], states(ws, g) + ws->aoff[j], &ws->out.cols[c0 + ws->spec.nkeys + j]);
		sp_batch_row_done(&ws->out);
	}
	return &ws->out;
}

/* Removes a record from its table (a session from its key's list). */
static void unlink_rec(struct sp_wstate *ws, uint32_t r)
{
	struct grp *g = rec(ws, r);
	uint32_t head;

	if (ws->spec.kind != SP_WK_SESSION) {
		tab_remove(ws, r);
		return;
	}
	head = tab_find(ws, 0, g->key);
	if (head == r) {
		if (g->link)
			tab_set(ws, g->key, g->link - 1);
		else
			tab_remove(ws, r);
		return;
	}
	for (uint32_t p = head; p != NONE; p = next_session(ws, p))
		if (rec(ws, p)->link == r + 1) {
			rec(ws, p)->link = g->link;
			return;
		}
}

static int evictable(const struct sp_wstate *ws, const struct grp *g, int64_t wm)
{
	if (ws->spec.kind == SP_WK_NONE || wm == SP_NO_WATERMARK)
		return 0;
	if (ws->spec.kind == SP_WK_TIMEKEY && g->ws == NO_TIME)
		return wm == INT64_MAX;
	return gend(ws, g) <= wm;
}

/*
 * A group leaves the state: out of its table and, when tracked, out of
 * the store now; its memory goes once the output no longer needs it.
 */
static void doom(struct sp_wstate *ws, uint32_t r, int unlink)
{
	struct grp *g = rec(ws, r);

	if (unlink)
		unlink_rec(ws, r);
	if (ws->track && (g->flags & G_STORED)) {
		size_t n = entry_key(ws, g);

		sp_buf_put32(&ws->dels, (uint32_t)n);
		sp_buf_add(&ws->dels, ws->tmpkey, n);
	}
	g->flags = (g->flags & ~(uint32_t)(G_STORED | G_DIRTY)) | G_DOOMED;
	if (ws->ndoomed == ws->capdoomed)
		sp_grow(&ws->doomed, &ws->capdoomed, ws->ndoomed + 1, sizeof *ws->doomed);
	ws->doomed[ws->ndoomed++] = r;
}

/* Emits (append) or dooms the groups whose end is at or before the watermark. */
static void closed_windows(struct sp_wstate *ws, int emit)
{
	if (ws->spec.kind == SP_WK_TIME) {
		/* whole windows at once: every group of a table ends at start + size */
		if (emit) {
			/* in order of start, so that the output comes grouped by window, in order, already */
			size_t n = 0;

			for (size_t t = 0; t < ws->nwt; t++)
				if (ws->w.wm != SP_NO_WATERMARK && wadd(ws->wt[t].start, ws->spec.size) <= ws->w.wm) {
					sp_grow(&ws->closed, &ws->capclosed, n + 1, sizeof *ws->closed);
					ws->closed[n++] = (struct win){ ws->wt[t].start, 0, (uint32_t)t, 0 };
				}
			if (n > 1)
				qsort(ws->closed, n, sizeof *ws->closed, cmp_win);
			for (size_t c = 0; c < n; c++) {
				struct wtab *w = &ws->wt[ws->closed[c].id];

				for (size_t j = 0; j < w->nslots; j++)
					if (w->slots[j])
						emit_add(ws, SLOT_REC(w->slots[j]));
			}
			return;
		}
		for (size_t t = ws->nwt; t-- > 0; ) {
			struct wtab *w = &ws->wt[t];

			if (ws->w.wm == SP_NO_WATERMARK || wadd(w->start, ws->spec.size) > ws->w.wm)
				continue;
			for (size_t j = 0; j < w->nslots; j++) {
#if defined(__GNUC__)
				if (j + AHEAD < w->nslots && w->slots[j + AHEAD])
					__builtin_prefetch(rec(ws, SLOT_REC(w->slots[j + AHEAD])));
#endif
				if (w->slots[j])
					doom(ws, SLOT_REC(w->slots[j]), 0);
			}
			wt_drop(ws, (uint32_t)t);
		}
		return;
	}
	for (size_t i = 0; i < ws->nrecs; i++) {
		struct grp *g = rec(ws, (uint32_t)i);

		if ((g->flags & G_LIVE) && !(g->flags & G_DOOMED) && evictable(ws, g, ws->w.wm)) {
			if (emit)
				emit_add(ws, (uint32_t)i);
			else
				doom(ws, (uint32_t)i, 1);
		}
	}
}

/* Frees what the last batch's output held on to: doomed groups, keys no group uses. */
static void settle(struct sp_wstate *ws)
{
	for (size_t d = 0; d < ws->ndoomed; d++) {
		uint32_t key = rec(ws, ws->doomed[d])->key;

		PREFETCH_REC(ws, ws->doomed, d, ws->ndoomed);
		rec_free(ws, ws->doomed[d]);
		key_unref(ws, key);
	}
	ws->ndoomed = 0;
	drop_new_keys(ws);
	ws->nemit = ws->pos = 0;
	if (ws->clear_after) {
		ws->clear_after = 0;
		ws->track = 0;
		sp_wstate_clear(ws);
		ws->out_wm = ws->w.wm = INT64_MAX;
	}
}

int sp_wstate_end(struct sp_wstate *ws, int64_t upstream, const struct sp_batch **out, struct sp_err *err)
{
	enum sp_mode mode = ws->spec.mode;

	(void)err;
	settle(ws);
	if (!ws->typed) {
		/* nothing seen yet: no output schema, no rows */
		advance_watermark(ws, upstream);
		*out = NULL;
		return 0;
	}
	if (ws->spec.kind == SP_WK_SESSION)
		merge_sessions(ws);
	else
		merge_partials(ws);
	/* a global aggregation has its one row from the first batch on, and shows it every batch, as Spark's */
	if (ws->spec.kind == SP_WK_NONE && !ws->spec.nkeys) {
		uint32_t key = key_id(ws, NULL, 0, sp_hash_bytes(NULL, 0)), r = tab_find(ws, 0, key);

		if (r == NONE) {
			r = rec_new(ws, 0, 0, key);
			tab_insert(ws, r);
			mark_dirty(ws, r);
		}
		changed_add(ws, r);
	}
	advance_watermark(ws, upstream);
	ws->nemit = 0;
	if (mode == SP_MODE_COMPLETE) {
		for (size_t i = 0; i < ws->nrecs; i++)
			if (rec(ws, (uint32_t)i)->flags & G_LIVE)
				emit_add(ws, (uint32_t)i);
	} else if (mode == SP_MODE_UPDATE) {
		for (size_t c = 0; c < ws->nchanged; c++)
			emit_add(ws, ws->changed[c]);
	} else {
		closed_windows(ws, 1);
	}
	order_output(ws);
	ws->st.emitted = ws->nemit;
	ws->st.updated = ws->nchanged;
	for (size_t c = 0; c < ws->nchanged; c++)
		rec(ws, ws->changed[c])->flags &= ~(uint32_t)G_CHANGED;
	ws->nchanged = 0;
	if (mode != SP_MODE_COMPLETE)
		closed_windows(ws, 0);
	*out = next_slice(ws);
	if (!*out) {
		sp_batch_reset(&ws->out);
		*out = &ws->out;
	}
	return 0;
}

int sp_wstate_next(struct sp_wstate *ws, const struct sp_batch **out)
{
	if ((*out = next_slice(ws)))
		return 1;
	settle(ws);
	return 0;
}

int sp_wstate_finish(struct sp_wstate *ws, const struct sp_batch **out, struct sp_err *err)
{
	(void)err;
	settle(ws);
	*out = NULL;
	if (!ws->typed || ws->spec.mode != SP_MODE_APPEND || ws->spec.keep_state || !ws->live)
		return 0;
	ws->nemit = 0;
	for (size_t i = 0; i < ws->nrecs; i++)
		if (rec(ws, (uint32_t)i)->flags & G_LIVE)
			emit_add(ws, (uint32_t)i);
	order_output(ws);
	ws->st.emitted = ws->nemit;
	ws->clear_after = 1;
	*out = next_slice(ws);
	return 0;
}

int64_t sp_wstate_watermark(const struct sp_wstate *ws)
{
	return ws->out_wm;
}

void sp_wstate_stats(const struct sp_wstate *ws, struct sp_wstats *st)
{
	size_t heap = 0;

	*st = ws->st;
	st->groups = ws->live - ws->ndoomed;
	if (ws->typed && ws->heap)
		for (size_t i = 0; i < ws->nrecs; i++) {
			struct grp *g = rec(ws, (uint32_t)i);

			if (g->flags & G_LIVE)
				for (size_t j = 0; j < ws->nagg; j++)
					heap += sp_agg_heap(&ws->agg[j], states(ws, g) + ws->aoff[j]);
		}
	/* records as far as they were ever used: the rest of a chunk is untouched zero pages */
	st->bytes = ws->zeroed * ws->stride + ws->capfree * sizeof *ws->freel + heap +
		    ws->keys.cap + ws->capkd * sizeof *ws->kd + ws->nkslots * sizeof *ws->kslots +
		    ws->capkfree * sizeof *ws->kfree + ws->capkrec * sizeof *ws->krec + ws->capwt * sizeof *ws->wt +
		    ws->nwdir * sizeof *ws->wdir;
	for (size_t t = 0; t < ws->nwt; t++)
		st->bytes += ws->wt[t].nslots * sizeof *ws->wt[t].slots;
}

/* ---- entries for the store ---- */

void sp_wstate_track(struct sp_wstate *ws, int on)
{
	ws->track = on;
}

/* The value of a record's entry: its end, then each state. */
static void entry_value(const struct sp_wstate *ws, struct grp *g, struct sp_buf *b)
{
	sp_buf_reset(b);
	sp_buf_put64(b, (uint64_t)gend(ws, g));
	for (size_t j = 0; j < ws->nagg; j++)
		sp_agg_save(&ws->agg[j], states(ws, g) + ws->aoff[j], b);
}

/* The meta entry: watermark bookkeeping and the layout. */
static void meta_value(const struct sp_wstate *ws, struct sp_buf *b)
{
	sp_buf_reset(b);
	sp_buf_addc(b, 1);
	sp_wm_save(&ws->w, b);
	sp_buf_put64(b, ws->st.rows);
	sp_buf_put64(b, ws->st.late);
	sp_buf_put64(b, ws->st.dropped);
	sp_buf_put32(b, ws->arrival);
	sp_buf_puts(b, ws->fp ? ws->fp : "");
}

void sp_wstate_changes(struct sp_wstate *ws, sp_state_emit_fn put, sp_state_forget_fn del, void *ctx)
{
	struct sp_buf v = SP_BUF_INIT;
	const unsigned char *p = (const unsigned char *)ws->dels.p, *end = p + ws->dels.len;

	while (p < end) {
		uint32_t n = sp_get32(p);

		del(ctx, p + 4, n);
		p += 4 + n;
	}
	sp_buf_reset(&ws->dels);
	for (size_t d = 0; d < ws->ndirty; d++) {
		struct grp *g = rec(ws, ws->dirty[d]);
		size_t n;

		if ((g->flags & (G_LIVE | G_DIRTY)) != (G_LIVE | G_DIRTY))
			continue;
		g->flags = (g->flags & ~(uint32_t)G_DIRTY) | G_STORED;
		n = entry_key(ws, g);
		entry_value(ws, g, &v);
		put(ctx, ws->tmpkey, n, v.p, v.len);
	}
	ws->ndirty = 0;
	meta_value(ws, &v);
	put(ctx, "M", 1, v.p, v.len);
	sp_buf_release(&v);
}

void sp_wstate_dump(const struct sp_wstate *ws, sp_state_emit_fn put, void *ctx)
{
	struct sp_wstate *w = (struct sp_wstate *)ws;	/* only its scratch key buffer changes */
	struct sp_buf v = SP_BUF_INIT;

	for (size_t i = 0; i < ws->nrecs; i++) {
		struct grp *g = rec(ws, (uint32_t)i);
		size_t n;

		if ((g->flags & (G_LIVE | G_DOOMED)) != G_LIVE)
			continue;
		n = entry_key(w, g);
		entry_value(ws, g, &v);
		put(ctx, w->tmpkey, n, v.p, v.len);
	}
	meta_value(ws, &v);
	put(ctx, "M", 1, v.p, v.len);
	sp_buf_release(&v);
}

void sp_wstate_clear(struct sp_wstate *ws)
{
	if (ws->typed && ws->heap)
		for (size_t i = 0; i < ws->nrecs; i++)
			if (rec(ws, (uint32_t)i)->flags & G_LIVE)
				for (size_t j = 0; j < ws->nagg; j++)
					sp_agg_free(&ws->agg[j], states(ws, rec(ws, (uint32_t)i)) + ws->aoff[j]);
	ws->nrecs = ws->nfree = 0;
	ws->live = 0;
	ws->nkd = ws->nkfree = ws->kused = ws->nnewkeys = 0;
	if (ws->kslots)
		memset(ws->kslots, 0, ws->nkslots * sizeof *ws->kslots);
	sp_buf_reset(&ws->keys);
	ws->garbage = 0;
	for (size_t t = 0; t < ws->nwt; t++)
		free(ws->wt[t].slots);
	ws->nwt = 0;
	wdir_rebuild(ws);
	ws->nchanged = ws->ntouched = ws->nfrags = ws->npart = 0;
	ws->ndoomed = ws->nemit = ws->pos = 0;
	ws->clear_after = 0;
	ws->ndirty = 0;
	sp_buf_reset(&ws->dels);
	sp_buf_reset(&ws->pending);
	sp_wm_init(&ws->w, ws->spec.wmark, ws->spec.delay);
	ws->out_wm = ws->w.wm;
	ws->arrival = 0;
	ws->st.rows = ws->st.late = ws->st.dropped = 0;
}

void sp_wstate_restore(struct sp_wstate *ws, const void *key, size_t klen, const void *val, size_t vlen)
{
	sp_buf_put32(&ws->pending, (uint32_t)klen);
	sp_buf_add(&ws->pending, key, klen);
	sp_buf_put32(&ws->pending, (uint32_t)vlen);
	sp_buf_add(&ws->pending, val, vlen);
}

/* Rebuilds the layout a meta entry describes, or checks it against ours. */
static int restore_layout(struct sp_wstate *ws, const char *fp, size_t n, struct sp_err *err)
{
	char *text = sp_xstrndup(fp, n), *keys = strstr(text, "\nkeys "), *nl;
	struct sp_type *kt = NULL;
	enum sp_type_id *args = sp_xcalloc(ws->spec.naggs + 1, sizeof *args);
	size_t j = 0;
	int r = -1;

	if (ws->typed) {
		if (strlen(ws->fp) != n || memcmp(fp, ws->fp, n))
			sp_err_set(err, "the saved state was made by another aggregation (different windows, keys or "
				   "aggregates): start over with a new checkpoint");
		else
			r = 0;
		goto done;
	}
	if (!keys || !(nl = strchr(keys + 6, '\n')))
		goto bad;
	*nl = '\0';
	if (!keys[6])
		kt = sp_type_new_struct();
	else if (sp_type_parse_ddl(keys + 6, &kt, err) < 0)
		goto bad;
	for (char *p = nl + 1; *p; ) {
		int fn, in, ign, pp;
		char *e = strchr(p, '\n');

		if (!e || sscanf(p, "agg %d %d %d %d", &fn, &in, &ign, &pp) != 4 || j >= ws->spec.naggs ||
		    fn != (int)ws->spec.aggs[j].fn)
			goto bad;
		args[j++] = (enum sp_type_id)in;
		p = e + 1;
	}
	if (j != ws->spec.naggs || kt->nfields != ws->spec.nkeys)
		goto bad;
	if (set_layout(ws, kt, args, err) < 0) {
		kt = NULL;
		goto done;
	}
	kt = NULL;
	if (strlen(ws->fp) != n || memcmp(fp, ws->fp, n)) {
		sp_err_set(err, "the saved state was made by another aggregation (different windows, keys or "
			   "aggregates): start over with a new checkpoint");
		goto done;
	}
	r = 0;
	goto done;
bad:
	if (!err->set)
		sp_err_set(err, "the saved state was made by another aggregation (different windows, keys or "
			   "aggregates): start over with a new checkpoint");
done:
	sp_type_unref(kt);
	free(args);
	free(text);
	return r;
}

static int restore_meta(struct sp_wstate *ws, const unsigned char *p, size_t n, struct sp_err *err)
{
	if (n < 54 || p[0] != 1)
		return sp_err_set(err, "the saved state is corrupt or of an unknown version");
	if (restore_layout(ws, (const char *)p + 54, n - 54, err) < 0)
		return -1;
	sp_wm_load(&ws->w, p + 1);
	ws->st.rows = sp_get64(p + 26);
	ws->st.late = sp_get64(p + 34);
	ws->st.dropped = sp_get64(p + 42);
	ws->arrival = sp_get32(p + 50);
	return 0;
}

static int restore_group(struct sp_wstate *ws, const unsigned char *k, size_t kl, const unsigned char *v, size_t vl,
			 struct sp_err *err)
{
	const unsigned char *p = v + 8, *end = v + vl;
	int64_t start;
	uint32_t r, key, head;

	if (kl < 9 || vl < 8)
		return sp_err_set(err, "the saved state is corrupt: short entry");
	start = (int64_t)sp_get64(k + 1);
	key = key_id(ws, k + 9, kl - 9, sp_hash_bytes(k + 9, kl - 9));
	r = rec_new(ws, start, (int64_t)sp_get64(v), key);
	rec(ws, r)->flags |= G_STORED;
	for (size_t j = 0; j < ws->nagg; j++)
		if (sp_agg_load(&ws->agg[j], states(ws, rec(ws, r)) + ws->aoff[j], &p, end) < 0) {
			forget(ws, r);
			return sp_err_set(err, "the saved state is corrupt: bad aggregate state");
		}
	if (p != end) {
		forget(ws, r);
		return sp_err_set(err, "the saved state is corrupt: trailing bytes");
	}
	if (ws->spec.kind != SP_WK_SESSION || (head = tab_find(ws, 0, key)) == NONE) {
		tab_insert(ws, r);
		return 0;
	}
	/* sessions: into the key's list, ordered by start */
	if (rec(ws, head)->ws > start) {
		rec(ws, r)->link = head + 1;
		tab_set(ws, key, r);
	} else {
		uint32_t q = head;

		while (rec(ws, q)->link && rec(ws, rec(ws, q)->link - 1)->ws < start)
			q = rec(ws, q)->link - 1;
		rec(ws, r)->link = rec(ws, q)->link;
		rec(ws, q)->link = r + 1;
	}
	return 0;
}

int sp_wstate_restored(struct sp_wstate *ws, struct sp_err *err)
{
	const unsigned char *p = (const unsigned char *)ws->pending.p, *end = p + ws->pending.len, *q;
	int have_meta = 0, r = 0;

	/* the meta entry first: it fixes the layout the others are read with */
	for (q = p; q < end; ) {
		uint32_t kl = sp_get32(q), vl = sp_get32(q + 4 + kl);

		if (kl == 1 && q[4] == 'M') {
			if (restore_meta(ws, q + 8 + kl, vl, err) < 0)
				goto fail;
			have_meta = 1;
		}
		q += 8 + kl + vl;
	}
	if (!have_meta) {
		/* no entries at all is the empty state (version -1) */
		if (p != end) {
			sp_err_set(err, "the saved state has no description entry");
			goto fail;
		}
		sp_buf_reset(&ws->pending);
		return 0;
	}
	for (q = p; q < end && r == 0; ) {
		uint32_t kl = sp_get32(q), vl = sp_get32(q + 4 + kl);

		if (kl >= 1 && q[4] == 'G')
			r = restore_group(ws, q + 4, kl, q + 8 + kl, vl, err);
		q += 8 + kl + vl;
	}
	if (r < 0)
		goto fail;
	ws->nnewkeys = 0;
	ws->out_wm = sp_wm_out(&ws->w);
	sp_buf_reset(&ws->pending);
	return 0;
fail:
	sp_buf_reset(&ws->pending);
	return -1;
}

static void save_entry(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct sp_buf *b = ctx;

	sp_buf_put32(b, (uint32_t)klen);
	sp_buf_add(b, key, klen);
	sp_buf_put32(b, (uint32_t)vlen);
	sp_buf_add(b, val, vlen);
}

void sp_wstate_save(const struct sp_wstate *ws, struct sp_buf *out)
{
	sp_buf_puts(out, "SPW1");
	sp_wstate_dump(ws, save_entry, out);
}

int sp_wstate_load(struct sp_wstate *ws, const void *data, size_t n, struct sp_err *err)
{
	const unsigned char *p = data, *end = p + n;

	if (n < 4 || memcmp(p, "SPW1", 4))
		return sp_err_set(err, "not a saved aggregation state");
	sp_wstate_clear(ws);
	for (p += 4; p < end; ) {
		uint32_t kl, vl;

		if (end - p < 4 || (size_t)(end - p - 4) < (kl = sp_get32(p)) + (size_t)4 ||
		    (size_t)(end - p - 8 - kl) < (vl = sp_get32(p + 4 + kl)))
			return sp_err_set(err, "the saved state is truncated");
		sp_wstate_restore(ws, p + 4, kl, p + 8 + kl, vl);
		p += 8 + (size_t)kl + vl;
	}
	return sp_wstate_restored(ws, err);
}

/* ---- the state as an operator of a checkpoint (opstate.h) ---- */

static void ops_clear(void *op)
{
	sp_wstate_clear(op);
}

static void ops_restore(void *op, const void *k, size_t kl, const void *v, size_t vl)
{
	sp_wstate_restore(op, k, kl, v, vl);
}

static int ops_restored(void *op, struct sp_err *err)
{
	return sp_wstate_restored(op, err);
}

static void ops_changes(void *op, sp_state_emit_fn put, sp_state_forget_fn del, void *ectx)
{
	sp_wstate_changes(op, put, del, ectx);
}

static void ops_dump(void *op, sp_state_emit_fn put, void *ectx)
{
	sp_wstate_dump(op, put, ectx);
}

const struct sp_opstate_ops sp_wstate_ops = { ops_clear, ops_restore, ops_restored, ops_changes, ops_dump };
