/*
 * stream-join: joins a frame stream with a static table (Spark's
 * stream-static join), or two frame streams with each other (Spark's
 * stream-stream join: symmetric hash join, watermarks, outer joins).
 *
 * Stream-static: the stream comes on standard input and goes out with
 * the same batches, each input row joined with the table, which is read
 * again between batches when its file changes. Stream-stream: the inputs
 * are two frame streams (files or FIFOs); each input batch gives one join
 * batch, numbered by the join, which is a source for what follows it.
 * With --checkpoint, join batch N is planned in DIR/offsets/N (which
 * input batch it takes) before it is emitted, its state is committed as
 * version N before its end frame, and once a sink committed it
 * (DIR/commits/N) the input batches it covered are acknowledged to both
 * sources (<source checkpoint>/commits/<batch>), so that a restart
 * replays exactly what was not committed, the same way.
 */
#include "sp.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ack.h"
#include "join.h"
#include "jsonc.h"
#include "log.h"
#include "opstate.h"
#include "query.h"

enum {
	OPT_STATIC = 1, OPT_FORMAT, OPT_OPTION, OPT_SCHEMA, OPT_ON, OPT_TYPE, OPT_LEFT, OPT_RIGHT, OPT_LEFT_NAME,
	OPT_RIGHT_NAME, OPT_WATERMARK, OPT_CHECKPOINT, OPT_PROGRESS_FD,
};

static const struct sp_opt opts[] = {
	{ "static", 0, "PATH", "join standard input with the table in PATH (stream-static)", OPT_STATIC },
	{ "format", 0, "FORMAT", "the table's format: json, csv or frames (default: by its name)", OPT_FORMAT },
	{ "option", 'o', "KEY=VALUE", "a reader option for the table, by Spark's name (repeatable)", OPT_OPTION },
	{ "schema", 0, "DDL", "the table's schema (default: inferred)", OPT_SCHEMA },
	{ "on", 0, "COND", "the join condition, or a list of columns both sides have (USING)", OPT_ON },
	{ "type", 0, "TYPE", "inner (the default), leftOuter, rightOuter, fullOuter or leftSemi", OPT_TYPE },
	{ "left", 0, "PATH", "the left stream (stream-stream)", OPT_LEFT },
	{ "right", 0, "PATH", "the right stream (stream-stream)", OPT_RIGHT },
	{ "left-name", 0, "NAME", "name of the left side in COND (default: its source's --name, or left)",
	  OPT_LEFT_NAME },
	{ "right-name", 0, "NAME", "name of the right side in COND (default: its source's --name, or right)",
	  OPT_RIGHT_NAME },
	{ "watermark", 0, "SIDE.COL=DELAY", "event time and watermark delay of a side (repeatable)", OPT_WATERMARK },
	{ "checkpoint", 0, "DIR", "keep the join's plan and state in DIR, for restarts", OPT_CHECKPOINT },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] =
	"stream-join --static PATH [options] --on COND\n"
	"stream-join --left PATH --right PATH [options] --on COND";
static const char about[] =
	"Joins the frame stream on standard input with a static table, or two\n"
	"frame streams with each other, as Spark's stream-static and stream-stream\n"
	"joins do, and writes the joined rows as a frame stream on standard output.";

struct args {
	const char *stat, *format, *schema, *on, *left, *right, *checkpoint;
	const char *name[2];
	struct sp_kvs kv;
	struct sp_join_opts jo;
	const char *wm[8];
	size_t nwm;
	int progress_fd;
};

static void parse_watermark(struct args *a, const char *arg)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
	struct sp_err err = SP_ERR_INIT;
	int64_t us;
	char *side;
	int s;

	dot = memchr(arg, '.', (size_t)(eq - arg));
	side = sp_xstrndup(arg, (size_t)(dot - arg));
	if (!strcasecmp(side, "left") || !strcasecmp(side, a->jo.names[0]))
		s = 0;
	else if (!strcasecmp(side, "right") || !strcasecmp(side, a->jo.names[1]))
		s = 1;
	else
		sp_usage_error("option '--watermark': '%s' is not a side (left, right or their names)", side);
	free(side);
	if (sp_duration_parse(eq + 1, &us, "option '--watermark'", &err) < 0)
		sp_usage_error("%s", err.msg);
	if (us < 0)
		sp_usage_error("option '--watermark': the delay (%s) must not be negative", eq + 1);
	a->jo.wm_col[s] = sp_xstrndup(dot + 1, (size_t)(eq - dot - 1));
	a->jo.wm_delay[s] = us;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	int id, t;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_POS:
			sp_usage_error("unexpected argument '%s'", arg);
			break;
		case OPT_STATIC:
			a->stat = arg;
			break;
		case OPT_FORMAT:
			if (strcmp(arg, "json") && strcmp(arg, "csv") && strcmp(arg, "frames"))
				sp_usage_error("option '--format': expected json, csv or frames, not '%s'", arg);
			a->format = arg;
			break;
		case OPT_OPTION:
			sp_kvs_add(&a->kv, "-o", arg);
			break;
		case OPT_SCHEMA:
			a->schema = arg;
			break;
		case OPT_ON:
			a->on = arg;
			break;
		case OPT_TYPE:
			if ((t = sp_join_type_parse(arg)) < 0)
				sp_usage_error("option '--type': expected inner, leftOuter, rightOuter, fullOuter or "
					       "leftSemi, not '%s'", arg);
			a->jo.type = (enum sp_join_type)t;
			break;
		case OPT_LEFT:
			a->left = arg;
			break;
		case OPT_RIGHT:
			a->right = arg;
			break;
		case OPT_LEFT_NAME:
			a->name[0] = arg;
			break;
		case OPT_RIGHT_NAME:
			a->name[1] = arg;
			break;
		case OPT_WATERMARK:
			if (a->nwm == 2)
				sp_usage_error("option '--watermark': at most one per side");
			a->wm[a->nwm++] = arg;
			break;
		case OPT_CHECKPOINT:
			a->checkpoint = arg;
			break;
		case OPT_PROGRESS_FD:
			a->progress_fd = sp_opt_fd("progress-fd", arg);
			break;
		}
	}
	if (!a->on)
		sp_usage_error("no join condition given (--on)");
	if (a->stat && (a->left || a->right))
		sp_usage_error("--static joins standard input with a table; --left and --right join two streams: "
			       "not both");
	for (size_t i = 0; i < a->nwm; i++) {
		const char *dot = strchr(a->wm[i], '='), *eq = strchr(a->wm[i], '=');

		dot = memchr(a->wm[i], '.', eq ? (size_t)(eq - a->wm[i]) : strlen(a->wm[i]));
		if (!dot || !eq || dot == a->wm[i] || eq == dot + 1)
			sp_usage_error("option '--watermark': expected SIDE.COLUMN=DELAY, not '%s'", a->wm[i]);
	}
	if (!a->stat && (!a->left || !a->right))
		sp_usage_error("give --static PATH (stream-static), or --left PATH and --right PATH (stream-stream)");
	if (a->stat) {
		if (a->nwm)
			sp_usage_error("option '--watermark': a stream-static join keeps no state and needs none");
		if (a->checkpoint)
			sp_usage_error("option '--checkpoint': a stream-static join keeps no state (give the "
				       "checkpoint to the source and the sink)");
	} else if (a->format || a->schema || a->kv.n) {
		sp_usage_error("--format, --schema and -o describe the --static table");
	}
	a->jo.on = a->on;
	a->jo.streaming = !a->stat;
}

/* ---- output ---- */

static int flush_rows(struct sp_join *j, struct sp_writer *out, uint64_t *rows, struct sp_err *err)
{
	struct sp_batch *b = sp_join_output(j);

	if (!b->n)
		return 0;
	*rows += b->n;
	if (sp_writer_rows(out, b, err) < 0)
		return -1;
	sp_join_output_reset(j);
	return 0;
}

static int maybe_flush(struct sp_join *j, struct sp_writer *out, uint64_t *rows, struct sp_err *err)
{
	return sp_join_output(j)->n >= 16384 ? flush_rows(j, out, rows, err) : 0;
}

/* ---- stream-static ---- */

struct table {
	const char *path, *format, *ddl;
	struct sp_kvs *kv;
	struct stat st;
	struct sp_batch rows;
	int loaded;
};

static int load_frames(struct table *t, struct sp_batch *b, struct sp_err *err)
{
	struct sp_reader *rd = NULL;
	struct sp_frame fr;
	int n, have = 0;

	if (sp_reader_open(&rd, t->path, err) < 0)
		return -1;
	while ((n = sp_reader_next(rd, &fr, err)) > 0) {
		if (fr.type != SP_FR_ROWS && fr.type != SP_FR_SCHEMA)
			continue;
		if (!have) {
			sp_batch_init(b, fr.schema);
			have = 1;
		} else if (!sp_type_equal(b->schema, fr.schema)) {
			n = sp_err_set(err, "'%s': the schema changes inside the table", t->path);
			break;
		}
		if (fr.type == SP_FR_ROWS) {
			for (size_t r = 0; r < fr.batch->n; r++) {
				for (size_t c = 0; c < b->schema->nfields; c++)
					sp_col_push_from(&b->cols[c], &fr.batch->cols[c], r);
				sp_batch_row_done(b);
			}
		}
	}
	sp_reader_free(rd);
	if (n < 0) {
		if (have)
			sp_batch_release(b);
		return -1;
	}
	if (!have)
		return sp_err_set(err, "'%s': no schema in the recorded stream", t->path);
	return 0;
}

/* Reads the table into *b (a new batch) by its format. */
static int load_text(struct table *t, struct sp_batch *b, struct sp_err *err)
{
	const struct sp_dec_class *cls = sp_dec_find(t->format);
	struct sp_input *in = NULL;
	struct sp_dec *d = NULL;
	struct sp_type *schema = NULL;
	const char *data;
	size_t len, used, off = 0;
	int r = -1, m;

	if (cls->new(&d, t->kv, err) < 0)
		return -1;
	sp_kvs_check_used(t->kv, t->format, cls->keys);
	if (sp_input_open(&in, t->path, err) < 0)
		goto done;
	while ((m = sp_input_more(in, err)) > 0)
		;
	if (m < 0)
		goto done;
	data = sp_input_data(in, &len);
	cls->start(d, sp_input_name(in));
	if (t->ddl) {
		if (sp_type_parse_ddl(t->ddl, &schema, err) < 0) {
			err->status = SP_EXIT_USAGE;
			sp_err_prefix(err, "option '--schema'");
			goto done;
		}
	} else {
		if (cls->infer(d, data, len, 1, SIZE_MAX, &used, err) < 0)
			goto done;
		schema = cls->inferred(d);
	}
	if (cls->set_schema(d, schema, err) < 0)
		goto done;
	sp_batch_init(b, cls->schema(d));
	cls->start(d, sp_input_name(in));
	while (off < len) {
		ssize_t k = cls->decode(d, data + off, len - off, 1, b, SIZE_MAX, err);

		if (k < 0) {
			sp_batch_release(b);
			goto done;
		}
		if (k == 0)
			break;
		off += (size_t)k;
	}
	r = 0;
done:
	sp_type_unref(schema);
	sp_input_free(in);
	cls->free(d);
	return r;
}

/* 1: the table was (re)loaded into t->rows; 0: unchanged; -1: error (the old table stays). */
static int table_load(struct table *t, struct sp_err *err)
{
	struct stat st;
	struct sp_batch b;

	if (stat(t->path, &st) < 0)
		return sp_err_sys(err, "cannot read the static table '%s'", t->path);
	if (t->loaded && st.st_ino == t->st.st_ino && st.st_size == t->st.st_size &&
	    st.st_mtim.tv_sec == t->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == t->st.st_mtim.tv_nsec)
		return 0;
	if ((!strcmp(t->format, "frames") ? load_frames(t, &b, err) : load_text(t, &b, err)) < 0)
		return -1;
	if (t->loaded && !sp_type_equal(b.schema, t->rows.schema)) {
		sp_batch_release(&b);
		return sp_err_set(err, "the static table '%s' changed its schema", t->path);
	}
	if (t->loaded)
		sp_batch_release(&t->rows);
	t->rows = b;
	t->st = st;
	t->loaded = 1;
	return 1;
}

static int static_reload(struct table *t, struct sp_join *j)
{
	struct sp_err err = SP_ERR_INIT;
	int r = table_load(t, &err);

	if (r < 0) {
		/* keep joining with the table we have */
		sp_warn("warning: %s; keeping the table read before", err.msg);
		return 0;
	}
	if (r > 0) {
		sp_join_static_clear(j);
		sp_join_static_add(j, &t->rows);
		if (sp_verbose > 1)
			sp_warn("static table '%s' read: %zu rows", t->path, sp_join_static_rows(j));
	}
	return 0;
}

/* The table's format from its name: .csv, .frames, else JSON lines. */
static const char *guess_format(const char *path)
{
	size_t n = strlen(path);

	if (n > 4 && !strcasecmp(path + n - 4, ".csv"))
		return "csv";
	if (n > 7 && !strcasecmp(path + n - 7, ".frames"))
		return "frames";
	return "json";
}

static int run_static(struct args *a, struct sp_join *j, struct sp_err *err)
{
	struct table t = { a->stat, a->format ? a->format : guess_format(a->stat), a->schema, &a->kv, { 0 }, { 0 }, 0 };
	struct sp_reader *rd = NULL;
	struct sp_writer *out = NULL;
	struct sp_frame fr;
	int n, r = -1, bound = 0;
	uint64_t rows = 0;

	if (table_load(&t, err) < 0)
		return -1;
	if (sp_reader_open(&rd, "-", err) < 0 || sp_writer_open(&out, "-", err) < 0)
		goto done;
	while ((n = sp_reader_next(rd, &fr, err)) > 0) {
		switch (fr.type) {
		case SP_FR_INFO:
			/* no state: the join is transparent to the source's commits */
			n = sp_writer_info(out, fr.json, err);
			break;
		case SP_FR_HEARTBEAT:
			n = sp_writer_heartbeat(out, fr.time, err);
			break;
		case SP_FR_SCHEMA:
		case SP_FR_ROWS:
			if (!bound) {
				if ((n = sp_join_bind(j, fr.schema, t.rows.schema, err)) < 0)
					break;
				sp_join_static_add(j, &t.rows);
				bound = 1;
				n = sp_writer_schema(out, sp_join_schema(j), err);
			} else if (!sp_type_equal(fr.schema, sp_join_left(j))) {
				n = sp_err_set(err, "the schema of standard input changed: a join needs one schema per side");
				break;
			}
			if (n >= 0 && fr.type == SP_FR_ROWS) {
				n = sp_join_rows(j, 0, fr.batch, err) < 0 ? -1 : maybe_flush(j, out, &rows, err);
			}
			break;
		case SP_FR_BEGIN:
			if (bound)
				static_reload(&t, j);
			rows = 0;
			n = sp_writer_begin(out, &fr.info, err);
			if (n >= 0 && bound)
				n = sp_writer_schema(out, sp_join_schema(j), err);
			break;
		case SP_FR_END:
			if (flush_rows(j, out, &rows, err) < 0) {
				n = -1;
				break;
			}
			fr.info.rows = rows;
			n = sp_writer_end(out, &fr.info, err) < 0 ? -1 : sp_writer_flush(out, err);
			break;
		default:
			n = 0;
			break;
		}
		if (n < 0)
			break;
	}
	if (n == 0 && flush_rows(j, out, &rows, err) == 0 && sp_writer_eos(out, err) == 0)
		r = 0;
done:
	sp_reader_free(rd);
	sp_writer_free(out);
	if (t.loaded)
		sp_batch_release(&t.rows);
	return r;
}

/* ---- stream-stream ---- */

struct input {
	const char *path;
	struct sp_reader *rd;
	struct sp_query q;
	struct sp_type *schema;
	struct sp_log *acks;		/* the input batches acknowledged to the source, ck/acks/SIDE */
	struct sp_ack *ack;		/* ... and the source that gets them */
	int64_t done;			/* highest input batch a planned join batch took */
	int eos;
};

struct run {
	struct args *a;
	struct sp_join *j;
	struct input in[2];
	struct sp_writer *out;
	struct sp_opck ck;
	struct sp_log *offsets, *commits;
	struct sp_query q;
	int64_t next;			/* next join batch */
	int64_t acked;			/* highest join batch acknowledged to the sources */
};

/* Reads the next frame of side s, remembering its INFO; 0 at its end. */
static int next_frame(struct run *r, int s, struct sp_frame *fr, struct sp_err *err)
{
	struct input *in = &r->in[s];
	int n;

	if (in->eos)
		return 0;
	n = sp_reader_next(in->rd, fr, err);
	if (n == 0)
		in->eos = 1;
	if (n > 0 && fr->type == SP_FR_INFO) {
		sp_query_release(&in->q);
		if (sp_query_parse(&in->q, fr->json, err) < 0)
			return -1;
	}
	if (n > 0 && (fr->type == SP_FR_SCHEMA || fr->type == SP_FR_ROWS) && in->schema &&
	    fr->schema != in->schema && !sp_type_equal(fr->schema, in->schema))
		return sp_err_set(err, "the schema of the %s input %s changed: a join needs one schema per side",
				  r->a->jo.names[s], sp_reader_name(in->rd));
	return n;
}

/* Reads side s up to its schema frame. */
static int open_input(struct run *r, int s, struct sp_err *err)
{
	struct input *in = &r->in[s];
	struct sp_frame fr;
	int n;

	if (sp_reader_open(&in->rd, in->path, err) < 0)
		return -1;
	while ((n = next_frame(r, s, &fr, err)) > 0)
		if (fr.type == SP_FR_SCHEMA || fr.type == SP_FR_ROWS) {
			in->schema = sp_type_ref(fr.schema);
			return 0;
		} else if (fr.type == SP_FR_BEGIN) {
			break;
		}
	if (n < 0)
		return -1;
	return sp_err_set(err, "the %s input %s has no schema frame before its rows", s ? "right" : "left",
			  sp_reader_name(in->rd));
}

static int64_t member(const char *entry, const char *key, int64_t def)
{
	struct json_object *o = json_tokener_parse(entry), *m;
	int64_t v = def;

	if (o && json_object_object_get_ex(o, key, &m))
		v = json_object_get_int64(m);
	json_object_put(o);
	return v;
}

/* Acknowledges to the sources the input batches of the join batches a sink committed. */
static int acknowledge(struct run *r, struct sp_err *err)
{
	struct sp_log *fresh = NULL;
	int64_t c;
	char *entry = NULL;
	int rc = 0;

	if (!r->commits)
		return 0;
	if (sp_log_open(&fresh, sp_log_dir(r->commits), err) < 0)
		return -1;
	sp_log_free(r->commits);
	r->commits = fresh;
	c = sp_log_latest(fresh);
	if (c <= r->acked)
		return 0;
	if (sp_log_get(r->offsets, c, &entry, err) != 0)
		return err->set ? -1 : 0;
	for (int s = 0; s < 2 && rc == 0; s++) {
		int64_t d = member(entry, s ? "rightDone" : "leftDone", -1);
		struct input *in = &r->in[s];

		if (d >= 0 && in->ack && sp_log_latest(in->acks) < d) {
			char *e = sp_xasprintf("{\"batchId\":%lld,\"watermark\":%lld}", (long long)d,
					       (long long)sp_join_watermark(r->j));

			rc = sp_log_put(in->acks, d, e, err);
			if (rc == 0)
				rc = sp_ack_commit(in->ack, d, e, err);
			free(e);
		}
	}
	free(entry);
	if (rc == 0)
		r->acked = c;
	return rc;
}

static int progress(struct run *r, int64_t id, uint64_t in_rows, int64_t started, struct sp_err *err)
{
	struct sp_join_stats s;
	char *state;
	int rc;

	if (!r->ck.progress)
		return 0;
	sp_join_stats(r->j, &s);
	state = sp_xasprintf("[{\"operatorName\":\"symmetricHashJoin\",\"numRowsTotal\":%llu,\"numRowsUpdated\":%llu,"
			     "\"memoryUsedBytes\":%llu,\"numRowsRemoved\":%llu,\"numRowsDroppedByWatermark\":%llu,"
			     "\"stateBytesWritten\":%llu}]",
			     (unsigned long long)s.rows_total, (unsigned long long)s.rows_updated,
			     (unsigned long long)s.bytes, (unsigned long long)s.rows_removed,
			     (unsigned long long)s.late, (unsigned long long)r->ck.last_bytes);
	{
		struct sp_progress_batch pb = { id, in_rows, sp_mono_us() - started, sp_join_watermark(r->j),
						INT64_MIN, INT64_MIN, NULL, state, NULL, NULL };

		rc = sp_opck_progress(&r->ck, &pb, err);
	}
	free(state);
	return rc;
}

/*
 * Runs join batch id over input batch `batch` of side s (s -1: a batch
 * without data). *begin is that input batch's begin frame when it was
 * already read. *moved: whether the watermark moved.
 */
static int run_batch(struct run *r, int64_t id, int s, int64_t batch, int have_begin, int *moved,
		     struct sp_err *err)
{
	struct sp_batch_info bi = { id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };
	struct sp_frame fr;
	uint64_t rows = 0, in_rows = 0;
	int64_t started = sp_mono_us();
	int n;

	if (sp_opck_begin(&r->ck, id, err) < 0)
		return -1;
	sp_join_begin(r->j);
	if (sp_writer_begin(r->out, &bi, err) < 0 || sp_writer_schema(r->out, sp_join_schema(r->j), err) < 0)
		return -1;
	if (s >= 0) {
		/* find the input batch (replayed input may start with batches already taken) */
		while (!have_begin) {
			if ((n = next_frame(r, s, &fr, err)) < 0)
				return -1;
			if (n == 0)
				return sp_err_set(err, "the %s input ended before its batch %lld, which join batch %lld "
						  "takes (restart its source with its checkpoint)", r->a->jo.names[s],
						  (long long)batch, (long long)id);
			if (fr.type != SP_FR_BEGIN)
				continue;
			if (fr.info.id == batch)
				break;
			if (fr.info.id > batch)
				return sp_err_set(err, "the %s input skipped batch %lld, which join batch %lld takes "
						  "(got batch %lld)", r->a->jo.names[s], (long long)batch, (long long)id,
						  (long long)fr.info.id);
			/* an older batch: read past it */
			while ((n = next_frame(r, s, &fr, err)) > 0 && fr.type != SP_FR_END)
				;
			if (n < 0)
				return -1;
		}
		while ((n = next_frame(r, s, &fr, err)) > 0 && fr.type != SP_FR_END) {
			if (fr.type != SP_FR_ROWS)
				continue;
			in_rows += fr.batch->n;
			if (sp_join_rows(r->j, s, fr.batch, err) < 0 || maybe_flush(r->j, r->out, &rows, err) < 0)
				return -1;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			return sp_err_set(err, "the %s input ended in the middle of batch %lld", r->a->jo.names[s],
					  (long long)batch);
		sp_join_side_end(r->j, s, fr.info.watermark);
	}
	sp_join_end(r->j, moved);
	if (flush_rows(r->j, r->out, &rows, err) < 0 || sp_opck_commit(&r->ck, id, err) < 0)
		return -1;
	bi.watermark = sp_join_watermark(r->j);
	bi.rows = rows;
	if (sp_writer_end(r->out, &bi, err) < 0 || sp_writer_flush(r->out, err) < 0)
		return -1;
	if (progress(r, id, in_rows, started, err) < 0 || acknowledge(r, err) < 0)
		return -1;
	r->next = id + 1;
	return 0;
}

/* Plans join batch id (side s's input batch, or none) in the offsets log. */
static int plan(struct run *r, int64_t id, int s, int64_t batch, struct sp_err *err)
{
	char *e;
	int rc;

	if (s >= 0)
		r->in[s].done = batch;
	if (!r->offsets)
		return 0;
	if (s >= 0)
		e = sp_xasprintf("{\"batchId\":%lld,\"%s\":%lld,\"leftDone\":%lld,\"rightDone\":%lld}", (long long)id,
				 s ? "right" : "left", (long long)batch, (long long)r->in[0].done,
				 (long long)r->in[1].done);
	else
		e = sp_xasprintf("{\"batchId\":%lld,\"leftDone\":%lld,\"rightDone\":%lld}", (long long)id,
				 (long long)r->in[0].done, (long long)r->in[1].done);
	rc = sp_log_put(r->offsets, id, e, err);
	free(e);
	return rc;
}

/* After a batch that moved the watermark, Spark runs one without data, to evict with it. */
static int after(struct run *r, int moved, struct sp_err *err)
{
	while (moved && sp_join_evictable(r->j)) {
		if (plan(r, r->next, -1, -1, err) < 0 || run_batch(r, r->next, -1, -1, 0, &moved, err) < 0)
			return -1;
	}
	return 0;
}

/* Join batches planned before a restart and not committed: the same again. */
static int replay(struct run *r, struct sp_err *err)
{
	int64_t last = sp_log_latest(r->offsets), first = sp_log_latest(r->commits) + 1;
	int moved = 0;

	if (last < 0)
		return 0;
	for (int64_t id = first > 0 ? first : 0; id <= last; id++) {
		char *e = NULL;
		int64_t lb, rb;
		int rc;

		if (sp_log_get(r->offsets, id, &e, err) != 0) {
			if (!err->set)
				sp_err_set(err, "offsets log entry %lld is missing in '%s' (remove the checkpoint to start over)",
					   (long long)id, sp_log_dir(r->offsets));
			return -1;
		}
		lb = member(e, "left", -1);
		rb = member(e, "right", -1);
		free(e);
		rc = run_batch(r, id, lb >= 0 ? 0 : rb >= 0 ? 1 : -1, lb >= 0 ? lb : rb, 0, &moved, err);
		if (rc < 0)
			return -1;
	}
	return after(r, moved, err);
}

/* Which side to read next: one with data, the other one first when both have. */
static int pick(struct run *r, int prefer)
{
	struct pollfd p[2];
	int ready[2] = { 0, 0 };

	if (r->in[0].eos || r->in[1].eos)
		return r->in[0].eos ? 1 : 0;
	for (int s = 0; s < 2; s++) {
		ready[s] = sp_reader_buffered(r->in[s].rd) > 0;
		p[s].fd = sp_reader_fd(r->in[s].rd);
		p[s].events = POLLIN;
		p[s].revents = 0;
	}
	if (!ready[0] && !ready[1]) {
		if (poll(p, 2, -1) < 0)
			return prefer;
		for (int s = 0; s < 2; s++)
			ready[s] = p[s].revents != 0;
	}
	if (ready[prefer])
		return prefer;
	return ready[1 - prefer] ? 1 - prefer : prefer;
}

static int loop(struct run *r, struct sp_err *err)
{
	struct sp_frame fr;
	int prefer = 0, n, s, moved;

	while (!(r->in[0].eos && r->in[1].eos) && sp_running()) {
		s = pick(r, prefer);
		if ((n = next_frame(r, s, &fr, err)) < 0)
			return -1;
		if (n == 0 || fr.type != SP_FR_BEGIN)
			continue;
		if (fr.info.id <= r->in[s].done) {
			/* taken by a join batch a sink committed: its source replays it */
			while ((n = next_frame(r, s, &fr, err)) > 0 && fr.type != SP_FR_END)
				;
			if (n < 0)
				return -1;
			continue;
		}
		if (plan(r, r->next, s, fr.info.id, err) < 0 ||
		    run_batch(r, r->next, s, fr.info.id, 1, &moved, err) < 0 || after(r, moved, err) < 0)
			return -1;
		prefer = 1 - s;
	}
	return 0;
}

static int open_checkpoint(struct run *r, struct sp_err *err)
{
	const char *dir = r->a->checkpoint;
	char *p, *info, *abs;
	int rc;

	if (!dir)
		return 0;
	if (sp_ckdir_open(dir, "stream-join", NULL, &r->q.id, err) < 0)
		return -1;
	abs = realpath(dir, NULL);
	r->q.checkpoint = abs ? abs : sp_xstrdup(dir);
	r->q.run_id = sp_uuid_new();
	info = sp_query_info_new(&r->q);
	rc = sp_opck_info(&r->ck, info, err);
	if (rc == 0)
		rc = sp_writer_info(r->out, info, err);
	free(info);
	p = sp_xasprintf("%s/offsets", dir);
	if (rc == 0)
		rc = sp_log_open(&r->offsets, p, err);
	free(p);
	p = sp_xasprintf("%s/commits", dir);
	if (rc == 0)
		rc = sp_log_open(&r->commits, p, err);
	free(p);
	/* the join is a sink of each source: it registers its acknowledgements with them (ack.h) */
	for (int s = 0; s < 2 && rc == 0; s++) {
		if (!r->in[s].q.checkpoint)
			continue;
		p = sp_xasprintf("%s/acks/%s", dir, s ? "right" : "left");
		rc = sp_log_open(&r->in[s].acks, p, err);
		if (rc == 0)
			rc = sp_ack_open(&r->in[s].ack, r->in[s].q.checkpoint, p, err);
		free(p);
	}
	if (rc < 0)
		return -1;
	r->next = sp_log_latest(r->offsets) + 1;
	r->acked = -1;
	/* what the latest plan took from each side */
	if (r->next > 0) {
		char *e = NULL;

		if (sp_log_get(r->offsets, r->next - 1, &e, err) == 0) {
			r->in[0].done = member(e, "leftDone", -1);
			r->in[1].done = member(e, "rightDone", -1);
		}
		free(e);
		if (err->set)
			return -1;
	}
	return acknowledge(r, err);
}

static int run_stream(struct args *a, struct sp_join **jp, struct sp_err *err)
{
	struct run r;
	int rc = -1;

	memset(&r, 0, sizeof r);
	r.a = a;
	r.in[0].path = a->left;
	r.in[1].path = a->right;
	r.in[0].done = r.in[1].done = -1;
	r.acked = -1;
	if (open_input(&r, 0, err) < 0 || open_input(&r, 1, err) < 0)
		goto done;
	for (int s = 0; s < 2; s++)
		a->jo.names[s] = a->name[s] ? a->name[s] : r.in[s].q.name ? r.in[s].q.name : s ? "right" : "left";
	for (size_t i = 0; i < a->nwm; i++)
		parse_watermark(a, a->wm[i]);
	if (sp_join_new(jp, &a->jo, err) < 0 || sp_join_bind(*jp, r.in[0].schema, r.in[1].schema, err) < 0)
		goto done;
	r.j = *jp;
	if (sp_opck_init(&r.ck, "stream-join", a->checkpoint, a->progress_fd, &sp_join_state_ops, r.j, err) < 0)
		goto done;
	if (a->checkpoint)
		sp_join_track(r.j, 1);
	if (sp_writer_open(&r.out, "-", err) < 0 || open_checkpoint(&r, err) < 0)
		goto done;
	if (r.offsets && replay(&r, err) < 0)
		goto done;
	if (loop(&r, err) < 0)
		goto done;
	if (sp_stop_signal() == SIGINT) {
		/* SIGINT aborts (SIGTERM ends after the current batch): downstream discards what is open */
		sp_err_set(err, "interrupted");
		goto done;
	}
	if (sp_writer_eos(r.out, err) < 0)
		goto done;
	rc = 0;
done:
	for (int s = 0; s < 2; s++) {
		sp_reader_free(r.in[s].rd);
		sp_query_release(&r.in[s].q);
		sp_type_unref(r.in[s].schema);
		sp_log_free(r.in[s].acks);
		sp_ack_free(r.in[s].ack);
	}
	sp_writer_free(r.out);
	sp_opck_release(&r.ck);
	sp_log_free(r.offsets);
	sp_log_free(r.commits);
	sp_query_release(&r.q);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;
	struct sp_join *j = NULL;
	struct sp_err err = SP_ERR_INIT;
	int status = SP_EXIT_FAIL;

	sp_setprog(argv[0]);
	memset(&a, 0, sizeof a);
	a.progress_fd = -1;
	parse_args(argc, argv, &a);
	sp_catch_signals();
	if (a.stat) {
		a.jo.names[0] = a.name[0] ? a.name[0] : "stream";
		a.jo.names[1] = a.name[1] ? a.name[1] : "static";
		if (a.jo.type == SP_JOIN_RIGHT_OUTER)
			sp_err_usage(&err, "RightOuter join with a streaming DataFrame/Dataset on the left and a static "
				     "DataFrame/Dataset on the right is not supported");
		else if (a.jo.type == SP_JOIN_FULL_OUTER)
			sp_err_usage(&err, "FullOuter joins with streaming DataFrames/Datasets on the left and a static "
				     "DataFrame/Dataset on the right is not supported");
		else if (sp_join_new(&j, &a.jo, &err) == 0 && run_static(&a, j, &err) == 0)
			status = SP_EXIT_OK;
	} else if (run_stream(&a, &j, &err) == 0) {
		status = SP_EXIT_OK;
	}
	if (err.set)
		status = sp_err_report(&err);
	sp_join_free(j);
	sp_kvs_release(&a.kv);
	for (int s = 0; s < 2; s++)
		free((char *)a.jo.wm_col[s]);
	return sp_finish(status);
}
