/*
 * opstate.h: the checkpoint of a stateful operator (stream-window,
 * stream-dedup, stream-join).
 *
 * The operator keeps its state in memory and says, through sp_opstate_ops,
 * how to forget it, rebuild it from stored entries, and list what changed.
 * This module does the rest, the same way for every operator:
 *
 *   INFO frame       sp_opck_info: bind the directory to the stream's query
 *   batch N begins   sp_opck_begin: if the state in memory is not that of
 *                    batch N-1 (a restart, or a replay after a crash),
 *                    restore version N-1 from the store
 *   batch N ends     sp_opck_commit: store the changes as version N, before
 *                    the operator writes batch N's output
 *                    sp_opck_progress: one progress line
 *
 * Without a directory, begin and commit do nothing and progress goes to the
 * descriptor alone (if any).
 */
#ifndef SP_OPSTATE_H
#define SP_OPSTATE_H

#include <stdint.h>

#include "msg.h"
#include "progress.h"
#include "query.h"
#include "state.h"

/* What an operator's in-memory state does for its checkpoint; op is the operator's. */
struct sp_opstate_ops {
	void (*clear)(void *op);	/* forget every entry */
	void (*restore)(void *op, const void *key, size_t klen, const void *val, size_t vlen);
	int (*restored)(void *op, struct sp_err *err);	/* every entry was given */
	/* reports the puts and deletes since the last call, in order */
	void (*changes)(void *op, sp_state_emit_fn put, sp_state_forget_fn del, void *ectx);
	/* reports every live entry */
	void (*dump)(void *op, sp_state_emit_fn put, void *ectx);
};

struct sp_opck {
	const char *tool;
	const char *dir;		/* NULL: no checkpoint */
	const struct sp_opstate_ops *ops;
	void *op;
	struct sp_state *st;
	struct sp_query q;		/* the stream's query, from its INFO frame */
	struct sp_progress *progress;
	int progress_fd;
	int64_t version;		/* the batch whose state is in memory; -2: none yet */
	uint64_t last_bytes;		/* bytes of the last commit */
};

/* Sets c up; with no dir but a progress_fd, opens the progress output at once. */
int sp_opck_init(struct sp_opck *c, const char *tool, const char *dir, int progress_fd,
		 const struct sp_opstate_ops *ops, void *op, struct sp_err *err);
/* The stream's INFO frame text: binds the directory to its query (first use) or checks it. */
int sp_opck_info(struct sp_opck *c, const char *info, struct sp_err *err);
/* Batch id begins: makes the state in memory that of batch id - 1. */
int sp_opck_begin(struct sp_opck *c, int64_t id, struct sp_err *err);
/* Batch id ended: commits its changes as version id. */
int sp_opck_commit(struct sp_opck *c, int64_t id, struct sp_err *err);
/* Writes a progress line (nothing without a progress output). */
int sp_opck_progress(struct sp_opck *c, const struct sp_progress_batch *pb, struct sp_err *err);
void sp_opck_release(struct sp_opck *c);

#endif
