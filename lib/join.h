/*
 * join.h: the joins of stream-join, with Spark Structured Streaming's
 * semantics (StreamingSymmetricHashJoinExec for two streams, a broadcast
 * hash join for a stream and a static table).
 *
 * Both sides are kept as rows in memory, indexed by the join keys (the
 * equalities of the condition between a left and a right expression); the
 * rest of the condition is evaluated on each pair the keys bring together.
 * With a static right side only the right rows are kept; with two streams
 * both are, and each new row is matched against the other side's rows,
 * then stored:
 *
 *   join batch N: rows of one side -> probe the other side's state, emit
 *                 pairs -> store them -> evict rows under the state
 *                 watermark (outer joins: unmatched evicted rows come out
 *                 with NULLs) -> advance the watermark
 *
 * Calling sequence: sp_join_new(), sp_join_bind() once both schemas are
 * known, then per join batch sp_join_begin(), sp_join_rows() for each
 * batch of input rows, sp_join_end(); output rows accumulate in the batch
 * sp_join_output() returns, which the caller writes and resets.
 */
#ifndef SP_JOIN_H
#define SP_JOIN_H

#include <stdint.h>

#include "msg.h"
#include "opstate.h"
#include "value.h"

enum sp_join_type {
	SP_JOIN_INNER,
	SP_JOIN_LEFT_OUTER,
	SP_JOIN_RIGHT_OUTER,
	SP_JOIN_FULL_OUTER,
	SP_JOIN_LEFT_SEMI,
};

/* inner, left, leftOuter, left_outer, right..., full..., leftSemi, left_semi, semi (any case); -1 if none. */
int sp_join_type_parse(const char *s);
/* Spark's name: Inner, LeftOuter, RightOuter, FullOuter, LeftSemi. */
const char *sp_join_type_name(enum sp_join_type t);

struct sp_join_opts {
	const char *on;			/* a column list (USING) or a boolean expression */
	enum sp_join_type type;
	const char *names[2];		/* the sides' names, used as qualifiers */
	int streaming;			/* 1: two streams (state, watermarks); 0: the right side is static */
	const char *wm_col[2];		/* per side: the event-time column with a watermark, or NULL */
	int64_t wm_delay[2];		/* its delay (us) */
};

struct sp_join_stats {
	uint64_t rows_total;		/* rows in state, both sides */
	uint64_t rows_updated;		/* rows added to state in the batch */
	uint64_t rows_removed;		/* rows evicted in the batch */
	uint64_t late;			/* input rows dropped by the watermark in the batch */
	uint64_t bytes;			/* memory held by the state */
};

struct sp_join;

/* Parses the condition (syntax errors have status 2); o's strings are borrowed for the join's life. */
int sp_join_new(struct sp_join **j, const struct sp_join_opts *o, struct sp_err *err);
void sp_join_free(struct sp_join *j);
/*
 * Compiles the condition for the two input schemas (references), finds the
 * keys and the state watermarks, and applies Spark's refusals (status 2,
 * Spark's messages). Once only: a schema that changes later is refused by
 * the caller.
 */
int sp_join_bind(struct sp_join *j, struct sp_type *left, struct sp_type *right, struct sp_err *err);
/* The output schema (borrowed; after bind). */
struct sp_type *sp_join_schema(const struct sp_join *j);
/* The left input's schema (borrowed; after bind). */
struct sp_type *sp_join_left(const struct sp_join *j);

/* Static right side: forgets its rows, then adds b's (copied). */
void sp_join_static_clear(struct sp_join *j);
void sp_join_static_add(struct sp_join *j, const struct sp_batch *b);
/* Rows of the static side. */
size_t sp_join_static_rows(const struct sp_join *j);

/* A join batch begins. */
void sp_join_begin(struct sp_join *j);
/* Rows of side (0 left, 1 right) arrive; joined rows are appended to the output. */
int sp_join_rows(struct sp_join *j, int side, const struct sp_batch *b, struct sp_err *err);
/* Side's input batch ended, with upstream's watermark in its end frame (or SP_NO_WATERMARK). */
void sp_join_side_end(struct sp_join *j, int side, int64_t upstream);
/*
 * The join batch ends: evicts what the state watermarks allow (outer rows
 * to the output), then moves the watermark on; *moved says whether it
 * moved (Spark then runs a batch without data, to evict with it).
 */
void sp_join_end(struct sp_join *j, int *moved);
/* The global watermark (min of the sides'), SP_NO_WATERMARK without any. */
int64_t sp_join_watermark(const struct sp_join *j);
/* Whether the state holds rows a later watermark could evict. */
int sp_join_evictable(const struct sp_join *j);
/* The output rows so far (borrowed), and emptying them. */
struct sp_batch *sp_join_output(struct sp_join *j);
void sp_join_output_reset(struct sp_join *j);
/* Records changes for sp_join_state_ops (with a checkpoint). */
void sp_join_track(struct sp_join *j, int on);
void sp_join_stats(const struct sp_join *j, struct sp_join_stats *s);
/* The state, for sp_opck (op is the join). */
extern const struct sp_opstate_ops sp_join_state_ops;

#endif
