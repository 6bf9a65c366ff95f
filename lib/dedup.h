/*
 * dedup.h: streaming deduplication (stream-dedup), with the semantics of
 * Spark's dropDuplicates and dropDuplicatesWithinWatermark
 * (StreamingDeduplicateExec, StreamingDeduplicateWithinWatermarkExec).
 *
 * The first row of each key passes; later rows with a key in the state are
 * dropped. The key is the given columns, or all of them; NULL equals NULL.
 * With an event-time column and a watermark:
 *
 *   rows whose event time <= watermark    late: dropped, counted (the
 *                                         watermark of the batches before)
 *   plain, time column in the key         entries whose time <= watermark
 *                                         are evicted at the batch's end
 *                                         (by the watermark it moved to)
 *   plain, time column not in the key     nothing can be evicted: the
 *                                         state grows (sp_dedup_grows)
 *   within watermark                      entry = key, expiry = first
 *                                         row's time + delay; evicted
 *                                         when expiry <= watermark
 *
 * A batch: sp_dedup_begin(), sp_dedup_rows() for each row batch,
 * sp_dedup_end(). Errors: 0 or -1 and err; usage problems ask for status 2.
 */
#ifndef SP_DEDUP_H
#define SP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "opstate.h"
#include "value.h"
#include "watermark.h"

struct sp_dedup_opts {
	const char *keys;	/* --keys: "a, b, ..." (NULL: every column) */
	const char *time;	/* --time: the event-time column, or NULL */
	enum sp_wmark wmark;	/* --watermark */
	int64_t delay;		/* SP_WM_DELAY: microseconds */
	int within;		/* --within-watermark */
};

struct sp_dedup_stats {
	uint64_t keys;		/* entries in the state */
	uint64_t added;		/* entries added by the last batch (numRowsUpdated) */
	uint64_t removed;	/* entries evicted by the last batch */
	uint64_t late;		/* rows of the last batch dropped as late */
	uint64_t dups;		/* rows of the last batch dropped as duplicates */
	uint64_t bytes;		/* memory the state uses (its arrays grow by doubling, untouched beyond) */
	int64_t ev_min, ev_max;	/* the last batch's event times (INT64_MIN: none) */
};

struct sp_dedup;

/* Checks the combination of options (usage errors) and makes an empty state; o's strings are copied. */
int sp_dedup_new(struct sp_dedup **d, const struct sp_dedup_opts *o, struct sp_err *err);
void sp_dedup_free(struct sp_dedup *d);
/* Spark's operator name: "dedupe" or "dedupeWithinWatermark". */
const char *sp_dedup_name(const struct sp_dedup *d);
/* A (new) input schema (d takes a reference): finds the key and time columns; their types must not change. */
int sp_dedup_bind(struct sp_dedup *d, struct sp_type *schema, struct sp_err *err);
/* After a bind: 1 when nothing can ever be evicted (no watermark, or the time is not in the key). */
int sp_dedup_grows(const struct sp_dedup *d);
void sp_dedup_begin(struct sp_dedup *d);
/*
 * The rows of in (of the bound schema) that pass: *out is in itself when
 * every row passes, or a batch of d's, borrowed until the next call.
 */
int sp_dedup_rows(struct sp_dedup *d, const struct sp_batch *in, const struct sp_batch **out, struct sp_err *err);
/* Ends the batch: moves the watermark on (upstream: the input's, or SP_NO_WATERMARK) and evicts. */
void sp_dedup_end(struct sp_dedup *d, int64_t upstream);
/* The watermark to write downstream after the last batch. */
int64_t sp_dedup_watermark(const struct sp_dedup *d);
void sp_dedup_stats(const struct sp_dedup *d, struct sp_dedup_stats *st);

/*
 * The state for a checkpoint (opstate.h), the operator being the struct
 * sp_dedup. Entries: "K" + the key's bytes -> its time (8 bytes), and
 * "M" -> the watermark and a description of the options.
 */
void sp_dedup_track(struct sp_dedup *d, int on);
extern const struct sp_opstate_ops sp_dedup_ops;

#endif
