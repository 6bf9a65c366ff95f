/*
 * source.h: the checkpointed source engine of stream-read, and the small
 * interface every kind of source (files, kafka, socket, rate) implements.
 *
 * The engine owns the trigger and the batch ids. For each batch it asks
 * the source to plan the next batch's offsets (a JSON text), writes them
 * to the offsets log (with --checkpoint), then asks the source to read
 * exactly that batch into row frames. On restart it replays, from their
 * logged offsets, the batches no sink committed, before planning new ones.
 * An offsets log entry is one JSON object:
 *
 *   {"batchId":3,"timestampMs":1700000000000,<the source's members>}
 *
 * where the source's members are, for files, "files":[...], for kafka
 * "start":{"t":{"0":10}},"end":{"t":{"0":20}} (Spark's offsets), for rate
 * "startSecond", "endSecond" and "creationTimeMs" (or "startValue",
 * "endValue" and "batchTimestampMs" with rowsPerBatch), for socket
 * "startLine" and "endLine" (never replayed: the socket refuses a
 * checkpoint).
 *
 * Calling sequence: a source implementation is created by its own
 * constructor (sp_filesource_new(), sp_kafkasource_new(),
 * sp_ratesource_new(), sp_socksource_new()), then handed to
 * sp_source_run(), which takes it and frees it. A constructor that fails
 * leaves nothing to free. Errors: every call returns 0 (or an SP_PLAN_*
 * value) or -1 and fills the sp_err passed.
 */
#ifndef SP_SOURCE_H
#define SP_SOURCE_H

#include <stdint.h>

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "opt.h"
#include "value.h"

enum sp_trigger { SP_TRIG_DEFAULT, SP_TRIG_INTERVAL, SP_TRIG_ONCE, SP_TRIG_AVAILABLE_NOW };

/* What plan() says. */
enum {
	SP_PLAN_NONE = 0,	/* nothing new now: wait for data */
	SP_PLAN_BATCH = 1,	/* *members holds the next batch */
	SP_PLAN_END = 2,	/* nothing new, ever: the stream ends */
};

struct sp_srcimpl;

struct sp_source_ops {
	/*
	 * Called once before anything else, with the checkpoint directory and
	 * its offsets log (both NULL without --checkpoint; the log is borrowed
	 * for the run). Restores what the source remembers, and sets
	 * impl->schema (a reference the implementation holds).
	 */
	int (*start)(struct sp_srcimpl *impl, const char *ckdir, struct sp_log *offsets, struct sp_err *err);
	/*
	 * Plans the next batch. trig is the trigger (ONCE: everything there in
	 * one batch). On SP_PLAN_BATCH, *members is a new string: the JSON
	 * members of the offsets entry (without braces).
	 */
	int (*plan)(struct sp_srcimpl *impl, enum sp_trigger trig, char **members, struct sp_err *err);
	/*
	 * Reads batch id, whose offsets entry (the whole JSON object) is entry,
	 * handing rows to sp_srcimpl_rows(). A replay reads the same rows.
	 */
	int (*read)(struct sp_srcimpl *impl, int64_t id, const char *entry, struct sp_err *err);
	/* The batch's "sources" JSON array for progress (new string); may be NULL. */
	char *(*progress)(struct sp_srcimpl *impl, int64_t id, const char *entry, uint64_t rows);
	/*
	 * Optional. Whenever the sink's commits were looked at: at start (last
	 * -1), after each new batch (last: its id), about every second while
	 * idle, and after the end of stream with await_commit. committed is
	 * the highest batch a sink committed (-1: none, or no checkpoint).
	 * For cleanSource, compaction, committing to a consumer group. May
	 * set impl->keep (the lowest offsets entry it still needs).
	 */
	int (*committed)(struct sp_srcimpl *impl, int64_t last, int64_t committed, struct sp_err *err);
	/* Optional: waits at most timeout_us for new data. Default: sleeps. */
	void (*wait)(struct sp_srcimpl *impl, int64_t timeout_us);
	/* Optional: said once the stream ended well (e.g. dropped records). 0 or -1 (exit status 1). */
	int (*finish)(struct sp_srcimpl *impl, struct sp_err *err);
	void (*free)(struct sp_srcimpl *impl);
};

/* The part every implementation starts with. */
struct sp_srcimpl {
	const struct sp_source_ops *ops;
	struct sp_type *schema;		/* set by start(); held by the implementation */
	int bounded;			/* finite input (named files): no waiting between batches */
	int64_t keep;			/* offsets log entries from this id are kept (INT64_MAX: any may go) */
	int await_commit;		/* after the end of stream, wait for the sink's last commit (committed()) */
	/* set by the engine */
	struct sp_writer *wr;
	uint64_t batch_rows;
};

/* Writes b (borrowed) as a row frame of the current batch and empties it. */
int sp_srcimpl_rows(struct sp_srcimpl *impl, struct sp_batch *b, struct sp_err *err);

struct sp_source_args {
	const char *checkpoint;		/* NULL: none */
	const char *name;		/* --name, or NULL */
	enum sp_trigger trigger;
	int64_t interval;		/* processingTime, us */
	int progress_fd;		/* -1: none */
	int zstd;
};

/*
 * Runs the stream: the INFO and schema frames, the batches by the trigger,
 * the end of stream, on wr (borrowed). Takes impl (freed on return).
 * Returns 0 when the stream ended well, -1 with err set, or -1 with err
 * unset when the source already reported a failure that still lets the
 * stream end (a file that could not be opened): exit status 1 either way.
 */
int sp_source_run(struct sp_srcimpl *impl, const struct sp_source_args *a, struct sp_writer *wr,
		  struct sp_err *err);

/* Members of an offsets entry: the value of key as new JSON text, or NULL with err set. */
char *sp_source_member(const char *entry, const char *key, struct sp_err *err);

/* ---- the kinds of source; each constructor sets *impl only on success ---- */

struct sp_filesource_args {
	const char *format;		/* json, csv or text */
	const char *schema;		/* --schema DDL, or NULL: inferred */
	char **paths;			/* borrowed for the source's life; "-" is standard input */
	size_t npaths;
	int follow;
};

/* The file source (kv, borrowed for the source's life, holds the -o options; bad ones exit 2). */
int sp_filesource_new(struct sp_srcimpl **impl, const struct sp_filesource_args *a, struct sp_kvs *kv,
		      struct sp_err *err);

/* The rate source (format "rate" or "rate-micro-batch"), from its -o options. */
int sp_ratesource_new(struct sp_srcimpl **impl, const char *format, struct sp_kvs *kv, struct sp_err *err);
/* The Kafka source, from its -o options (kafka.* go to librdkafka); kv borrowed for the source's life. */
int sp_kafkasource_new(struct sp_srcimpl **impl, struct sp_kvs *kv, struct sp_err *err);
/* The socket source, from -o host, port, includeTimestamp (kv borrowed for the source's life). */
int sp_socksource_new(struct sp_srcimpl **impl, struct sp_kvs *kv, struct sp_err *err);

#endif
