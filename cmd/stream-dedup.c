/*
 * stream-dedup: Spark's dropDuplicates and dropDuplicatesWithinWatermark
 * over a frame stream: each row passes unless a row with the same key
 * passed before (and, with a watermark, is still remembered).
 *
 * Each input batch gives exactly one output batch with the same id, in
 * append mode, with the watermark in its end frame. With --checkpoint, the
 * seen keys of batch N are committed before batch N's output is written,
 * and batch N arriving again (a replay after a crash) starts from the keys
 * of batch N-1, so it gives the same rows again.
 */
#include "sp.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dedup.h"
#include "opstate.h"

enum {
	OPT_KEYS = 1, OPT_TIME, OPT_WATERMARK, OPT_WITHIN, OPT_CHECKPOINT, OPT_PROGRESS_FD, OPT_QUIET, OPT_VERBOSE,
};

static const struct sp_opt opts[] = {
	{ "keys", 0, "COLS", "the key columns: 'a, b, ...' (default: every column)", OPT_KEYS },
	{ "time", 0, "COL", "the event-time column (TIMESTAMP)", OPT_TIME },
	{ "watermark", 0, "DELAY", "late: event time <= max event time - DELAY ('upstream': the input's)",
	  OPT_WATERMARK },
	{ "within-watermark", 0, NULL, "dropDuplicatesWithinWatermark: remember a key for DELAY past its first row",
	  OPT_WITHIN },
	{ "checkpoint", 0, "DIR", "keep the seen keys in DIR, batch by batch, for restarts", OPT_CHECKPOINT },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	{ "quiet", 'q', NULL, "print no warnings", OPT_QUIET },
	{ "verbose", 'v', NULL, "print more", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-dedup [options]";
static const char about[] =
	"Drops the rows of the frame stream on standard input whose key was seen\n"
	"before, as Spark's dropDuplicates and dropDuplicatesWithinWatermark do,\n"
	"and writes one output batch per input batch on standard output.";

struct args {
	struct sp_dedup_opts d;
	const char *checkpoint;
	int progress_fd;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	struct sp_err err = SP_ERR_INIT;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_POS:
			sp_usage_error("unexpected argument '%s' (stream-dedup reads standard input)", arg);
			break;
		case OPT_KEYS:
			a->d.keys = arg;
			break;
		case OPT_TIME:
			a->d.time = arg;
			break;
		case OPT_WATERMARK:
			if (!strcasecmp(arg, "upstream")) {
				a->d.wmark = SP_WM_UPSTREAM;
			} else {
				a->d.wmark = SP_WM_DELAY;
				if (sp_duration_parse(arg, &a->d.delay, "option '--watermark'", &err) < 0)
					sp_usage_error("%s", err.msg);
			}
			break;
		case OPT_WITHIN:
			a->d.within = 1;
			break;
		case OPT_CHECKPOINT:
			a->checkpoint = arg;
			break;
		case OPT_PROGRESS_FD:
			a->progress_fd = sp_opt_fd("progress-fd", arg);
			break;
		case OPT_QUIET:
			sp_verbose = 0;
			break;
		case OPT_VERBOSE:
			sp_verbose++;
			break;
		}
	}
}

/* ---- the loop ---- */

struct run {
	struct sp_dedup *d;
	struct sp_writer *out;
	struct sp_type *bound;
	struct sp_opck ck;
	int in_batch, warned;
	int no_wm;			/* no --watermark */
	struct sp_batch_info bi;	/* the input batch */
	int64_t next_id;
	uint64_t in_rows, out_rows;
	int64_t started;
};

static int progress(struct run *r, int64_t id, int64_t wm, struct sp_err *err)
{
	struct sp_dedup_stats s;
	struct sp_op_progress op = { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL };
	char *state, custom[64];
	int rc;

	if (!r->ck.progress)
		return 0;
	sp_dedup_stats(r->d, &s);
	snprintf(custom, sizeof custom, "{\"numDroppedDuplicateRows\":%llu}", (unsigned long long)s.dups);
	op.name = sp_dedup_name(r->d);
	op.rows_total = s.keys;
	op.rows_updated = s.added;
	op.rows_removed = s.removed;
	op.rows_late = s.late;
	op.memory = s.bytes;
	op.bytes_written = r->ck.last_bytes;
	op.custom = custom;
	state = sp_op_progress_json(&op);
	{
		struct sp_progress_batch pb = { id, r->in_rows, sp_mono_us() - r->started, wm, s.ev_min, s.ev_max,
						NULL, state, NULL, NULL };

		rc = sp_opck_progress(&r->ck, &pb, err);
	}
	free(state);
	return rc;
}

static int bind(struct run *r, struct sp_type *schema, struct sp_err *err)
{
	if (r->bound && (r->bound == schema || sp_type_equal(r->bound, schema)))
		return 0;
	if (sp_dedup_bind(r->d, schema, err) < 0)
		return -1;
	sp_type_unref(r->bound);
	r->bound = sp_type_ref(schema);
	if (!r->warned && sp_verbose > 0 && sp_dedup_grows(r->d)) {
		r->warned = 1;
		sp_warn("warning: %s: the seen keys are never forgotten, the state grows with every new key",
			r->no_wm ? "no watermark" : "the event-time column is not a key column");
	}
	return sp_writer_schema(r->out, schema, err);
}

static int batch_begin(struct run *r, const struct sp_batch_info *bi, struct sp_err *err)
{
	struct sp_batch_info ob = { bi->id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

	if (bi->mode != SP_MODE_APPEND)
		return sp_err_set(err, "input batch %lld is in %s mode: stream-dedup takes appended rows "
				  "(Spark deduplicates only before an aggregation or after append output)",
				  (long long)bi->id, sp_mode_name(bi->mode));
	if (sp_opck_begin(&r->ck, bi->id, err) < 0)
		return -1;
	r->in_batch = 1;
	r->bi = *bi;
	r->bi.meta = NULL;
	r->in_rows = r->out_rows = 0;
	r->started = sp_mono_us();
	sp_dedup_begin(r->d);
	if (sp_writer_begin(r->out, &ob, err) < 0)
		return -1;
	return r->bound ? sp_writer_schema(r->out, r->bound, err) : 0;
}

static int batch_rows(struct run *r, const struct sp_frame *fr, struct sp_err *err)
{
	const struct sp_batch *rows;

	if (!r->in_batch) {
		/* rows outside a batch: an implicit one, ending at the next end frame or the end of input */
		struct sp_batch_info bi = { r->next_id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

		if (batch_begin(r, &bi, err) < 0)
			return -1;
	}
	if (bind(r, fr->schema, err) < 0)
		return -1;
	r->in_rows += fr->batch->n;
	if (sp_dedup_rows(r->d, fr->batch, &rows, err) < 0)
		return -1;
	r->out_rows += rows->n;
	return rows->n ? sp_writer_rows(r->out, rows, err) : 0;
}

/*
 * Ends the batch: the state is committed before the end frame goes out, so
 * a sink never commits a batch whose keys could be lost.
 */
static int batch_end(struct run *r, const struct sp_batch_info *in, struct sp_err *err)
{
	struct sp_batch_info ob;
	int64_t id = in ? in->id : r->bi.id;

	if (!r->in_batch) {
		if (!in)
			return 0;
		/* an end without a begin: an empty batch */
		if (batch_begin(r, in, err) < 0)
			return -1;
	}
	sp_dedup_end(r->d, in ? in->watermark : SP_NO_WATERMARK);
	if (sp_opck_commit(&r->ck, id, err) < 0)
		return -1;
	ob = (struct sp_batch_info){ id, SP_MODE_APPEND, sp_dedup_watermark(r->d), r->out_rows,
				     in ? in->meta : NULL };
	if (sp_writer_end(r->out, &ob, err) < 0 || sp_writer_flush(r->out, err) < 0)
		return -1;
	if (progress(r, id, ob.watermark, err) < 0)
		return -1;
	r->in_batch = 0;
	r->next_id = id + 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { { NULL, NULL, SP_WM_NONE, 0, 0 }, NULL, -1 };
	struct run r;
	struct sp_reader *rd = NULL;
	struct sp_err err = SP_ERR_INIT;
	struct sp_frame fr;
	int status = SP_EXIT_FAIL, n = 0;

	sp_setprog(argv[0]);
	memset(&r, 0, sizeof r);
	parse_args(argc, argv, &a);
	r.no_wm = a.d.wmark == SP_WM_NONE;
	if (sp_dedup_new(&r.d, &a.d, &err) < 0 ||
	    sp_opck_init(&r.ck, "stream-dedup", a.checkpoint, a.progress_fd, &sp_dedup_ops, r.d, &err) < 0)
		goto done;
	if (a.checkpoint)
		sp_dedup_track(r.d, 1);
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0 || sp_writer_open(&r.out, "-", &err) < 0)
		goto done;
	/* a signal does not cut a batch short: the source ends the stream, and we drain it */
	while ((n = sp_reader_next(rd, &fr, &err)) > 0) {
		switch (fr.type) {
		case SP_FR_INFO:
			n = sp_opck_info(&r.ck, fr.json, &err) < 0 ? -1 : sp_writer_info(r.out, fr.json, &err);
			break;
		case SP_FR_HEARTBEAT:
			n = sp_writer_heartbeat(r.out, fr.time, &err);
			break;
		case SP_FR_SCHEMA:
			n = bind(&r, fr.schema, &err);
			break;
		case SP_FR_BEGIN:
			n = (r.in_batch ? batch_end(&r, NULL, &err) : 0) < 0 ? -1 : batch_begin(&r, &fr.info, &err);
			break;
		case SP_FR_ROWS:
			n = batch_rows(&r, &fr, &err);
			break;
		case SP_FR_END:
			n = batch_end(&r, &fr.info, &err);
			break;
		default:
			n = 0;
			break;
		}
		if (n < 0)
			break;
	}
	if (n < 0)
		goto done;
	/* the end of input: the keys need no flushing, the last batch ends if it is open */
	if ((!r.in_batch || batch_end(&r, NULL, &err) == 0) && sp_writer_eos(r.out, &err) == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_reader_free(rd);
	sp_writer_free(r.out);
	sp_type_unref(r.bound);
	sp_dedup_free(r.d);
	sp_opck_release(&r.ck);
	return sp_finish(status);
}
