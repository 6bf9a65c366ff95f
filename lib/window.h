/*
 * window.h: event-time aggregation (stream-window), with Spark's semantics.
 *
 * Two layers. struct sp_window is what stream-window drives: it parses the
 * --group-by and --agg texts, compiles them against each input schema and
 * evaluates them per batch. Underneath, struct sp_wstate is the stateful
 * aggregation itself, fed with already evaluated columns: window
 * assignment, the group table, the watermark, late rows, output modes,
 * and saving and restoring the state.
 *
 * A batch, in both layers: begin, any number of row batches, end. The end
 * advances the watermark and yields the batch's output rows:
 *
 *   mode       rows emitted at the end of a batch
 *   append     windows whose end is <= the new watermark, once, final
 *   update     groups changed by this batch; then windows whose end is
 *              <= the new watermark are forgotten
 *   complete   every group, every batch; nothing is dropped or forgotten
 *
 * Rows are late when every window they fall in ends at or before the
 * watermark in force during the batch (the one computed at the end of the
 * previous batch); session rows when t + gap <= watermark. Late rows are
 * counted and handed back to the caller, never aggregated.
 *
 * Errors: functions returning int give 0 or -1 and fill err; usage
 * problems (bad expressions, combinations Spark refuses) ask for status 2.
 */
#ifndef SP_WINDOW_H
#define SP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"
#include "frame.h"
#include "opstate.h"
#include "watermark.h"
#include "value.h"

/* ---- window assignment ---- */

/*
 * The windows containing time t (microseconds) for windows of size,
 * sliding by slide, starting at offset past the epoch (Spark's startTime):
 * writes their starts into starts[] (room for ceil(size / slide) entries)
 * in Spark's order, the latest first, and returns how many. Negative times
 * and offsets are fine.
 */
size_t sp_window_assign(int64_t t, int64_t size, int64_t slide, int64_t offset, int64_t *starts);

/* ---- the stateful aggregation ---- */

enum sp_wkind {
	SP_WK_NONE,		/* groupBy(keys): no window */
	SP_WK_TIME,		/* window(time, size, slide, offset) */
	SP_WK_SESSION,		/* session_window(time, gap) */
	SP_WK_TIMEKEY,		/* groupBy(time, keys): the event time itself is a key */
};

struct sp_wagg_spec {
	enum sp_agg_fn fn;
	int star;		/* count(*) */
	int ignore_nulls;	/* first(x, true), last(x, true) */
	double rsd;		/* approx_count_distinct */
	char *name;		/* output column name */
	char *call;		/* how to name it in messages (NULL: the name) */
};

struct sp_wspec {
	enum sp_wkind kind;
	int64_t size, slide, offset;	/* SP_WK_TIME, microseconds */
	int64_t gap;			/* SP_WK_SESSION: constant gap; 0 when given per row */
	enum sp_wmark wmark;
	int64_t delay;			/* SP_WM_DELAY, microseconds */
	enum sp_mode mode;
	int keep_state;			/* at the end of input, keep windows instead of emitting them */
	size_t nkeys;
	char **key_names;		/* for SP_WK_TIMEKEY one of them is the event time */
	int timekey;			/* SP_WK_TIMEKEY: which key */
	size_t naggs;
	struct sp_wagg_spec *aggs;
};

/* One batch of evaluated inputs; all columns have n rows. */
struct sp_winput {
	size_t n;
	const struct sp_col *time;	/* TIMESTAMP; NULL when the spec has no time */
	const struct sp_col *gap;	/* per-row session gap in microseconds (LONG), or NULL */
	const struct sp_col *const *keys;	/* nkeys columns */
	const struct sp_col *const *args;	/* naggs columns; NULL for count(*) */
};

struct sp_wstats {
	uint64_t rows;		/* input rows */
	uint64_t late;		/* rows dropped as late */
	uint64_t dropped;	/* rows without a window: NULL time, session gap NULL or <= 0 */
	uint64_t groups;	/* groups in state */
	uint64_t updated;	/* groups changed by the last batch */
	uint64_t emitted;	/* rows emitted by the last batch */
	uint64_t bytes;		/* memory held by the state */
};

struct sp_wstate;

/* A new, empty state for spec (copied). Fails on combinations Spark refuses. */
int sp_wstate_new(struct sp_wstate **ws, const struct sp_wspec *spec, struct sp_err *err);
void sp_wstate_free(struct sp_wstate *ws);
/*
 * The types of the keys and aggregate arguments (SP_T_NULL for count(*)):
 * fixes the layout on first call, then checks that later schemas keep it.
 * key_types are borrowed for the call only.
 */
int sp_wstate_types(struct sp_wstate *ws, const struct sp_type *const *key_types, const enum sp_type_id *arg_types,
		    struct sp_err *err);
/* The output schema (borrowed; NULL before the types are known). */
struct sp_type *sp_wstate_schema(const struct sp_wstate *ws);

void sp_wstate_begin(struct sp_wstate *ws, int64_t id);
/*
 * Aggregates a batch of inputs. When late is not NULL it receives, for each
 * input row, 1 if the row was dropped as late (room for in->n bytes).
 */
int sp_wstate_rows(struct sp_wstate *ws, const struct sp_winput *in, uint8_t *late, struct sp_err *err);
/*
 * Ends the batch: upstream is the watermark in the input's batch-end frame
 * (SP_NO_WATERMARK if none). The output rows come in slices of at most
 * 16384 rows: *out receives the first (perhaps empty; NULL while no schema
 * is known), sp_wstate_next() the others. Each is borrowed until the next
 * call. The state is already that after the batch (for sp_wstate_changes).
 */
int sp_wstate_end(struct sp_wstate *ws, int64_t upstream, const struct sp_batch **out, struct sp_err *err);
/* The next slice of output: 1 and *out, or 0 when there is no more. */
int sp_wstate_next(struct sp_wstate *ws, const struct sp_batch **out);
/*
 * The input ended for good: in append mode (unless keep_state) every
 * remaining window is emitted, the watermark having moved to +infinity,
 * and the state is empty afterwards. *out is the first slice, NULL when
 * there is nothing to emit; sp_wstate_next() gives the others.
 */
int sp_wstate_finish(struct sp_wstate *ws, const struct sp_batch **out, struct sp_err *err);
/* The watermark after the last batch (SP_NO_WATERMARK if none yet). */
int64_t sp_wstate_watermark(const struct sp_wstate *ws);
void sp_wstate_stats(const struct sp_wstate *ws, struct sp_wstats *st);

/*
 * State as (key, value) entries, for a versioned store. With tracking on,
 * sp_wstate_changes() reports what the batches since its last call put
 * and deleted, in order; sp_wstate_dump() reports every live entry.
 */
void sp_wstate_track(struct sp_wstate *ws, int on);
void sp_wstate_changes(struct sp_wstate *ws, sp_state_emit_fn put, sp_state_forget_fn del, void *ctx);
void sp_wstate_dump(const struct sp_wstate *ws, sp_state_emit_fn put, void *ctx);
/* Restoring: clear, then one call per entry, then restored (which checks and applies them). */
void sp_wstate_clear(struct sp_wstate *ws);
void sp_wstate_restore(struct sp_wstate *ws, const void *key, size_t klen, const void *val, size_t vlen);
int sp_wstate_restored(struct sp_wstate *ws, struct sp_err *err);
/* The above for a checkpoint (opstate.h), the operator being a struct sp_wstate. */
extern const struct sp_opstate_ops sp_wstate_ops;
/* The whole state to or from one buffer. */
void sp_wstate_save(const struct sp_wstate *ws, struct sp_buf *out);
int sp_wstate_load(struct sp_wstate *ws, const void *p, size_t n, struct sp_err *err);

/* ---- stream-window ---- */

struct sp_window_opts {
	const char *time;		/* --time: the event-time column or expression */
	int64_t size, slide, offset;	/* --window, --slide, --window-offset (microseconds; size 0: none) */
	int has_slide, has_offset;
	int64_t gap;			/* --session-gap (microseconds; 0: none) */
	const char *gap_expr;		/* --session-gap-expr */
	enum sp_wmark wmark;		/* --watermark */
	int64_t delay;
	const char *group_by;		/* --group-by, or NULL */
	const char *agg;		/* --agg, or NULL */
	enum sp_mode mode;		/* --output-mode */
	int keep_state;			/* --keep-state-at-end */
};

struct sp_window;

/* Parses the expressions and checks the combination (usage errors). */
int sp_window_new(struct sp_window **w, const struct sp_window_opts *o, struct sp_err *err);
void sp_window_free(struct sp_window *w);
/* A (new) input schema: compiles the expressions against it. */
int sp_window_bind(struct sp_window *w, struct sp_type *schema, struct sp_err *err);
/* The aggregation underneath (for its state and statistics). */
struct sp_wstate *sp_window_state(struct sp_window *w);
void sp_window_begin(struct sp_window *w, int64_t id);
/* Aggregates b (of the bound schema); late rows are appended to *late when late is not NULL. */
int sp_window_rows(struct sp_window *w, const struct sp_batch *b, struct sp_batch *late, struct sp_err *err);
/* As sp_wstate_end(), sp_wstate_next() and sp_wstate_finish(). */
int sp_window_end(struct sp_window *w, int64_t upstream, const struct sp_batch **out, struct sp_err *err);
int sp_window_next(struct sp_window *w, const struct sp_batch **out);
int sp_window_finish(struct sp_window *w, const struct sp_batch **out, struct sp_err *err);

/* The whole state to or from a buffer (see sp_wstate_save). */
void sp_window_save(const struct sp_window *w, struct sp_buf *out);
int sp_window_load(struct sp_window *w, const void *p, size_t n, struct sp_err *err);

#endif
