/*
 * stream-window: groupBy(window(..), keys).agg(..) over a frame stream,
 * with Spark Structured Streaming's event-time semantics: tumbling,
 * sliding and session windows or none, a watermark, late rows dropped or
 * set aside, and the append, update and complete output modes.
 *
 * Each input batch gives exactly one output batch with the same id: the
 * rows the output mode asks for, computed when the input batch ends. With
 * --checkpoint, the state of batch N is committed before batch N's output
 * is written, and batch N arriving again (a replay after a crash) starts
 * from the state of batch N-1, so it gives the same rows again.
 */
#include "sp.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opstate.h"
#include "window.h"

enum {
	OPT_TIME = 1, OPT_WINDOW, OPT_SLIDE, OPT_OFFSET, OPT_GAP, OPT_GAP_EXPR, OPT_WATERMARK, OPT_GROUP_BY,
	OPT_AGG, OPT_MODE, OPT_LATE, OPT_KEEP, OPT_CHECKPOINT, OPT_PROGRESS_FD, OPT_QUIET, OPT_VERBOSE,
};

static const struct sp_opt opts[] = {
	{ "time", 0, "EXPR", "the event time: a TIMESTAMP column or expression", OPT_TIME },
	{ "window", 0, "DURATION", "windows of this length (tumbling, or sliding with --slide)", OPT_WINDOW },
	{ "slide", 0, "DURATION", "start a window every DURATION (default: the window length)", OPT_SLIDE },
	{ "window-offset", 0, "DURATION", "shift window starts from the epoch by DURATION (Spark's startTime)",
	  OPT_OFFSET },
	{ "session-gap", 0, "DURATION", "session windows closed after DURATION without rows", OPT_GAP },
	{ "session-gap-expr", 0, "EXPR", "session windows, with a gap computed per row", OPT_GAP_EXPR },
	{ "watermark", 0, "DELAY", "late: windows ending by max event time - DELAY ('upstream': the input's)",
	  OPT_WATERMARK },
	{ "group-by", 0, "EXPRS", "group keys: 'expr [AS name], ...'", OPT_GROUP_BY },
	{ "agg", 0, "AGGS", "aggregates: 'count(*) AS n, avg(x), ...'", OPT_AGG },
	{ "output-mode", 0, "MODE", "append (the default), update or complete", OPT_MODE },
	{ "late-output", 0, "PATH", "write late rows as a frame stream to PATH or fd:N (default: drop them)",
	  OPT_LATE },
	{ "keep-state-at-end", 0, NULL, "at the end of input keep open windows instead of emitting them", OPT_KEEP },
	{ "checkpoint", 0, "DIR", "keep the state in DIR, batch by batch, for restarts", OPT_CHECKPOINT },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	{ "quiet", 'q', NULL, "print no warnings", OPT_QUIET },
	{ "verbose", 'v', NULL, "print more", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-window [options] --agg AGGS";
static const char about[] =
	"Aggregates the frame stream on standard input by event-time windows and\n"
	"keys, as Spark's groupBy(window(..), ..).agg(..) does, and writes one\n"
	"output batch per input batch on standard output.";

struct args {
	struct sp_window_opts w;
	const char *late;
	const char *checkpoint;
	int progress_fd;
};

static int64_t duration(const char *opt, const char *arg)
{
	struct sp_err err = SP_ERR_INIT;
	char what[64];
	int64_t us;

	snprintf(what, sizeof what, "option '--%s'", opt);
	if (sp_duration_parse(arg, &us, what, &err) < 0)
		sp_usage_error("%s", err.msg);
	return us;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	char *end;
	int id, m;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_POS:
			sp_usage_error("unexpected argument '%s' (stream-window reads standard input)", arg);
			break;
		case OPT_TIME:
			a->w.time = arg;
			break;
		case OPT_WINDOW:
			a->w.size = duration("window", arg);
			if (a->w.size <= 0)
				sp_usage_error("option '--window': the window duration (%s) must be greater than 0", arg);
			break;
		case OPT_SLIDE:
			a->w.slide = duration("slide", arg);
			a->w.has_slide = 1;
			if (a->w.slide <= 0)
				sp_usage_error("option '--slide': the slide duration (%s) must be greater than 0", arg);
			break;
		case OPT_OFFSET:
			a->w.offset = duration("window-offset", arg);
			a->w.has_offset = 1;
			break;
		case OPT_GAP:
			a->w.gap = duration("session-gap", arg);
			if (a->w.gap <= 0)
				sp_usage_error("option '--session-gap': the gap (%s) must be greater than 0", arg);
			break;
		case OPT_GAP_EXPR:
			a->w.gap_expr = arg;
			break;
		case OPT_WATERMARK:
			if (!strcasecmp(arg, "upstream")) {
				a->w.wmark = SP_WM_UPSTREAM;
			} else {
				a->w.wmark = SP_WM_DELAY;
				a->w.delay = duration("watermark", arg);
			}
			break;
		case OPT_GROUP_BY:
			a->w.group_by = arg;
			break;
		case OPT_AGG:
			a->w.agg = arg;
			break;
		case OPT_MODE:
			if ((m = sp_mode_parse(arg)) < 0)
				sp_usage_error("option '--output-mode': expected append, update or complete, not '%s'", arg);
			a->w.mode = (enum sp_mode)m;
			break;
		case OPT_LATE:
			a->late = arg;
			if (!strncmp(arg, "fd:", 3)) {
				long fd = strtol(arg + 3, &end, 10);

				if (*end || end == arg + 3 || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0)
					sp_usage_error("option '--late-output': '%s' is not an open descriptor", arg);
			}
			break;
		case OPT_KEEP:
			a->w.keep_state = 1;
			break;
		case OPT_CHECKPOINT:
			a->checkpoint = arg;
			break;
		case OPT_PROGRESS_FD:
			a->progress_fd = (int)strtol(arg, &end, 10);
			if (*end || end == arg || a->progress_fd < 0 || fcntl(a->progress_fd, F_GETFD) < 0)
				sp_usage_error("option '--progress-fd': '%s' is not an open descriptor", arg);
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

/* ---- the late rows' side output ---- */

static int late_open(struct sp_writer **lw, const char *spec, struct sp_err *err)
{
	char *end;

	if (!strncmp(spec, "fd:", 3)) {
		long fd = strtol(spec + 3, &end, 10);	/* checked when parsing the options */
		char name[32];

		snprintf(name, sizeof name, "descriptor %ld", fd);
		return sp_writer_open_fd(lw, (int)fd, name, err);
	}
	return sp_writer_open(lw, spec, err);
}

/* ---- the loop ---- */

struct run {
	struct args *a;
	struct sp_window *w;
	struct sp_writer *out, *late;
	struct sp_batch late_rows;
	struct sp_type *bound;		/* the input schema the expressions are compiled for */
	struct sp_opck ck;
	int in_batch;
	struct sp_batch_info bi;	/* the input batch */
	int64_t next_id;
	uint64_t in_rows;
	uint64_t late_n;		/* late rows of the batch */
	int64_t started;
	int64_t updates_us, removals_us, commit_us;	/* the batch's phases */
	uint64_t groups_before_end;
	uint64_t late_before;		/* rows dropped as late before the batch (the state counts them all) */
};

/* The batch's progress line (Spark's StreamingQueryProgress, stateOperators as StateOperatorProgress). */
static int progress(struct run *r, struct sp_err *err)
{
	struct sp_wstats s;
	struct sp_op_progress op = { "stateStoreSave", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL };
	char *state;
	int rc;

	if (!r->ck.progress)
		return 0;
	sp_wstate_stats(sp_window_state(r->w), &s);
	op.rows_total = s.groups;
	op.rows_updated = s.updated;
	op.rows_removed = r->groups_before_end > s.groups ? r->groups_before_end - s.groups : 0;
	op.rows_late = s.late - r->late_before;
	op.memory = s.bytes;
	op.bytes_written = r->ck.last_bytes;
	op.updates_us = r->updates_us;
	op.removals_us = r->removals_us;
	op.commit_us = r->commit_us;
	state = sp_op_progress_json(&op);
	{
		struct sp_progress_batch pb = { r->bi.id, r->in_rows, sp_mono_us() - r->started, r->bi.watermark,
						INT64_MIN, INT64_MIN, NULL, state, NULL, NULL };

		rc = sp_opck_progress(&r->ck, &pb, err);
	}
	free(state);
	return rc;
}

static int flush_late(struct run *r, struct sp_err *err)
{
	if (!r->late || !r->late_rows.n)
		return 0;
	if (sp_writer_rows(r->late, &r->late_rows, err) < 0)
		return -1;
	r->late_n += r->late_rows.n;
	sp_batch_reset(&r->late_rows);
	return 0;
}

static int bind(struct run *r, struct sp_type *schema, struct sp_err *err)
{
	if (r->bound && (r->bound == schema || sp_type_equal(r->bound, schema)))
		return 0;
	if (flush_late(r, err) < 0 || sp_window_bind(r->w, schema, err) < 0)
		return -1;
	sp_type_unref(r->bound);
	r->bound = sp_type_ref(schema);
	if (r->late) {
		sp_batch_release(&r->late_rows);
		sp_batch_init(&r->late_rows, schema);
	}
	return 0;
}

static int batch_begin(struct run *r, const struct sp_batch_info *bi, struct sp_err *err)
{
	struct sp_wstats s;

	if (bi->mode != SP_MODE_APPEND)
		return sp_err_set(err, "input batch %lld is in %s mode: stream-window aggregates appended rows "
				  "(Spark chains aggregations only after append output)", (long long)bi->id,
				  sp_mode_name(bi->mode));
	if (sp_opck_begin(&r->ck, bi->id, err) < 0)
		return -1;
	r->in_batch = 1;
	r->bi = *bi;
	r->bi.meta = NULL;
	r->in_rows = 0;
	r->late_n = 0;
	r->started = sp_mono_us();
	r->updates_us = r->removals_us = r->commit_us = 0;
	sp_wstate_stats(sp_window_state(r->w), &s);
	r->late_before = s.late;
	sp_window_begin(r->w, bi->id);
	if (r->late) {
		struct sp_batch_info lb = { bi->id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

		if (sp_writer_begin(r->late, &lb, err) < 0)
			return -1;
		return r->bound ? sp_writer_schema(r->late, r->bound, err) : 0;
	}
	return 0;
}

static int batch_rows(struct run *r, const struct sp_frame *fr, struct sp_err *err)
{
	int64_t t;

	if (!r->in_batch) {
		/* rows outside a batch: an implicit one, ending at the next end frame or the end of input */
		struct sp_batch_info bi = { r->next_id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

		if (batch_begin(r, &bi, err) < 0)
			return -1;
	}
	if (bind(r, fr->schema, err) < 0)
		return -1;
	r->in_rows += fr->batch->n;
	t = sp_mono_us();
	if (sp_window_rows(r->w, fr->batch, r->late ? &r->late_rows : NULL, err) < 0)
		return -1;
	r->updates_us += sp_mono_us() - t;
	return r->late_rows.n >= 16384 ? flush_late(r, err) : 0;
}

/* Writes one output batch: begin, its rows (the first slice, then the others), end. */
static int emit(struct run *r, int64_t id, const struct sp_batch *rows, int64_t wm, const char *meta,
		struct sp_err *err)
{
	struct sp_batch_info bi = { id, r->a->w.mode, wm, 0, (char *)meta };
	struct sp_type *schema = sp_wstate_schema(sp_window_state(r->w));

	if (sp_writer_begin(r->out, &bi, err) < 0)
		return -1;
	/* the schema even for an empty batch, so that sinks can show the columns */
	if (schema && sp_writer_schema(r->out, schema, err) < 0)
		return -1;
	while (rows) {
		bi.rows += rows->n;
		if (rows->n && sp_writer_rows(r->out, rows, err) < 0)
			return -1;
		if (!sp_window_next(r->w, &rows))
			rows = NULL;
	}
	if (sp_writer_end(r->out, &bi, err) < 0)
		return -1;
	return sp_writer_flush(r->out, err);
}

static int batch_end(struct run *r, const struct sp_batch_info *in, struct sp_err *err)
{
	const struct sp_batch *rows;
	int64_t id = in ? in->id : r->bi.id, wm, t;
	struct sp_wstats s;

	if (!r->in_batch) {
		if (!in)
			return 0;
		/* an end without a begin: an empty batch */
		if (batch_begin(r, in, err) < 0)
			return -1;
	}
	sp_wstate_stats(sp_window_state(r->w), &s);
	r->groups_before_end = s.groups;
	t = sp_mono_us();
	if (sp_window_end(r->w, in ? in->watermark : SP_NO_WATERMARK, &rows, err) < 0)
		return -1;
	r->removals_us = sp_mono_us() - t;
	t += r->removals_us;
	if (sp_opck_commit(&r->ck, id, err) < 0)
		return -1;
	r->commit_us = sp_mono_us() - t;
	wm = sp_wstate_watermark(sp_window_state(r->w));
	if (emit(r, id, rows, wm, in ? in->meta : NULL, err) < 0)
		return -1;
	if (r->late) {
		struct sp_batch_info lb = { id, SP_MODE_APPEND, wm, 0, NULL };

		if (flush_late(r, err) < 0)
			return -1;
		lb.rows = r->late_n;
		if (sp_writer_end(r->late, &lb, err) < 0 || sp_writer_flush(r->late, err) < 0)
			return -1;
	}
	r->bi.watermark = wm;
	if (progress(r, err) < 0)
		return -1;
	r->in_batch = 0;
	r->next_id = id + 1;
	return 0;
}

/* The input ended for good: append mode emits what is left, as one more batch. */
static int finish(struct run *r, struct sp_err *err)
{
	const struct sp_batch *rows;

	if (r->in_batch && batch_end(r, NULL, err) < 0)
		return -1;
	if (sp_window_finish(r->w, &rows, err) < 0)
		return -1;
	if (rows && emit(r, r->next_id, rows, INT64_MAX, NULL, err) < 0)
		return -1;
	if (r->late && sp_writer_eos(r->late, err) < 0)
		return -1;
	return sp_writer_eos(r->out, err);
}

int main(int argc, char **argv)
{
	struct args a = { { 0 }, NULL, NULL, -1 };
	struct run r;
	struct sp_reader *rd = NULL;
	struct sp_err err = SP_ERR_INIT;
	struct sp_frame fr;
	int status = SP_EXIT_FAIL, n = 0;

	sp_setprog(argv[0]);
	memset(&r, 0, sizeof r);
	a.w.mode = SP_MODE_APPEND;
	parse_args(argc, argv, &a);
	r.a = &a;
	if (sp_window_new(&r.w, &a.w, &err) < 0 ||
	    sp_opck_init(&r.ck, "stream-window", a.checkpoint, a.progress_fd, &sp_wstate_ops, sp_window_state(r.w),
			 &err) < 0)
		goto done;
	if (a.checkpoint)
		sp_wstate_track(sp_window_state(r.w), 1);
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0 || sp_writer_open(&r.out, "-", &err) < 0)
		goto done;
	if (a.late && late_open(&r.late, a.late, &err) < 0)
		goto done;
	/* a signal does not cut a batch short: the source ends the stream, and we drain it */
	while ((n = sp_reader_next(rd, &fr, &err)) > 0) {
		switch (fr.type) {
		case SP_FR_INFO:
			n = sp_opck_info(&r.ck, fr.json, &err) < 0 ? -1 :
			    sp_writer_info(r.out, fr.json, &err);
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
	if (finish(&r, &err) == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_reader_free(rd);
	sp_writer_free(r.out);
	sp_writer_free(r.late);
	sp_batch_release(&r.late_rows);
	sp_type_unref(r.bound);
	sp_window_free(r.w);
	sp_opck_release(&r.ck);
	return sp_finish(status);
}
