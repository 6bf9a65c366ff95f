/*
 * watermark.h: the event-time watermark of a stateful operator, by
 * Spark's rules (EventTimeWatermarkExec, WatermarkTracker).
 *
 * The watermark is the maximum event time seen in the batches so far,
 * minus the delay. It is computed at the end of each batch (so rows of a
 * batch are judged by the watermark of the batches before it), in whole
 * milliseconds as Spark's are, starts at 0 (the epoch), and never moves
 * back. A watermark that arrives from upstream in batch-end frames
 * (SP_WM_UPSTREAM, or together with a delay) takes part too: the lowest
 * wins, as with Spark's default multipleWatermarkPolicy "min".
 *
 *   struct sp_wm w;
 *   sp_wm_init(&w, SP_WM_DELAY, 10 * 60 * SP_US_PER_S);
 *   per batch: sp_wm_begin(&w); sp_wm_see(&w, t) for each row's time ...;
 *              late = t <= sp_wm_current(&w) ...; sp_wm_advance(&w, upstream);
 */
#ifndef SP_WATERMARK_H
#define SP_WATERMARK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "msg.h"

enum sp_wmark {
	SP_WM_NONE,		/* no watermark: nothing is late, nothing is forgotten */
	SP_WM_DELAY,		/* max event time - delay (and upstream's, if lower) */
	SP_WM_UPSTREAM,		/* the watermark in the input's batch-end frames */
};

struct sp_wm {
	enum sp_wmark kind;
	int64_t delay;		/* SP_WM_DELAY: microseconds */
	int64_t wm;		/* the watermark (us), SP_NO_WATERMARK for SP_WM_NONE */
	int64_t own, up;	/* from the delay, from upstream */
	int own_seen, up_seen;
	int64_t batch_max_ms;	/* the batch's max event time, ms */
	int batch_has_time;
};

/* Bytes sp_wm_save() writes. */
#define SP_WM_SAVED 25

void sp_wm_init(struct sp_wm *w, enum sp_wmark kind, int64_t delay);
/* A batch begins. */
void sp_wm_begin(struct sp_wm *w);
/* A row's event time (us) enters the statistics; every row counts, late ones too. */
static inline void sp_wm_see(struct sp_wm *w, int64_t t)
{
	int64_t ms = t / 1000;

	if (!w->batch_has_time || ms > w->batch_max_ms)
		w->batch_max_ms = ms;
	w->batch_has_time = 1;
}
/* The same for the non-NULL rows of a TIMESTAMP column. */
void sp_wm_see_col(struct sp_wm *w, const struct sp_col *c, size_t n);
/* The batch ended, with upstream's watermark (or SP_NO_WATERMARK): moves the watermark on. */
void sp_wm_advance(struct sp_wm *w, int64_t upstream);
/* The watermark rows are judged by (SP_NO_WATERMARK: none). */
static inline int64_t sp_wm_current(const struct sp_wm *w)
{
	return w->wm;
}
/* The watermark to pass downstream: ours, or without one upstream's. */
int64_t sp_wm_out(const struct sp_wm *w);
/* The bookkeeping to and from SP_WM_SAVED bytes of stored state. */
void sp_wm_save(const struct sp_wm *w, struct sp_buf *b);
void sp_wm_load(struct sp_wm *w, const void *p);

#endif
