/*
 * progress.h: per-batch progress, as Spark's StreamingQueryProgress.
 *
 * After each batch, a tool with a checkpoint appends one JSON line to
 * <checkpoint>/progress (the last SP_PROGRESS_KEEP lines are kept), and to
 * a descriptor when asked (--progress-fd). The line has Spark's field
 * names: id, runId, name, timestamp, batchId, numInputRows,
 * inputRowsPerSecond, processedRowsPerSecond, durationMs, eventTime,
 * stateOperators, sources, sink.
 */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

#include "msg.h"
#include "query.h"

#define SP_PROGRESS_KEEP 100

/* A batch's figures. The JSON texts are inserted as they are (NULL: left out). */
struct sp_progress_batch {
	int64_t id;
	uint64_t input_rows;
	int64_t duration_us;	/* from the batch's first frame to its last */
	int64_t watermark;	/* SP_NO_WATERMARK (INT64_MIN) when none */
	int64_t ev_min, ev_max;	/* event times seen; INT64_MIN when none */
	const char *durations;	/* JSON object of phase -> ms, besides triggerExecution */
	const char *state;	/* JSON array: stateOperators */
	const char *sources;	/* JSON array: sources */
	const char *sink;	/* JSON object: sink */
};

/* The figures of a stateful operator, as Spark's StateOperatorProgress. */
struct sp_op_progress {
	const char *name;		/* operatorName: "stateStoreSave", "dedupe", "symmetricHashJoin" */
	uint64_t rows_total;		/* numRowsTotal: rows (keys) in state */
	uint64_t rows_updated;		/* numRowsUpdated */
	uint64_t rows_removed;		/* numRowsRemoved: evicted */
	uint64_t rows_late;		/* numRowsDroppedByWatermark */
	uint64_t memory;		/* memoryUsedBytes */
	uint64_t bytes_written;		/* stateBytesWritten: the last commit's files */
	int64_t updates_us, removals_us, commit_us;	/* allUpdatesTimeMs, allRemovalsTimeMs, commitTimeMs */
	const char *custom;		/* customMetrics: JSON object text, or NULL */
};

/* The stateOperators array of one operator (new string). */
char *sp_op_progress_json(const struct sp_op_progress *op);

struct sp_progress;

/* dir may be NULL (no file), fd may be -1 (none); q is copied. */
int sp_progress_open(struct sp_progress **p, const char *dir, int fd, const struct sp_query *q, struct sp_err *err);
int sp_progress_write(struct sp_progress *p, const struct sp_progress_batch *b, struct sp_err *err);
void sp_progress_free(struct sp_progress *p);

#endif
