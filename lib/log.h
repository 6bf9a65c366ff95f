/*
 * log.h: a metadata log, one file per batch id, as Spark keeps its offsets
 * and commits logs: dir/0, dir/1, ... Each entry is a checkpoint file
 * (ckpt.h) holding a text (JSON here), written atomically, checked on read.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdint.h>

#include "msg.h"

struct sp_log;

/* Opens (creating) the log in dir. */
int sp_log_open(struct sp_log **l, const char *dir, struct sp_err *err);
/* Highest id in the log, or -1 if it is empty. */
int64_t sp_log_latest(const struct sp_log *l);
/* Lowest id still in the log, or -1. */
int64_t sp_log_first(const struct sp_log *l);
/* Entry id as a new string in *text. 1 if there is no such entry. */
int sp_log_get(struct sp_log *l, int64_t id, char **text, struct sp_err *err);
/* Writes entry id (replacing one that exists). */
int sp_log_put(struct sp_log *l, int64_t id, const char *text, struct sp_err *err);
/* Removes the entries below id. */
int sp_log_purge(struct sp_log *l, int64_t below, struct sp_err *err);
/* Removes the entries above id (a run that replays batches after id). */
int sp_log_truncate(struct sp_log *l, int64_t id, struct sp_err *err);
/* The directory (borrowed). */
const char *sp_log_dir(const struct sp_log *l);
void sp_log_free(struct sp_log *l);

#endif
