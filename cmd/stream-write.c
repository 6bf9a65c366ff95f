/*
 * stream-write: the sink of every pipeline. Reads a frame stream on
 * standard input and writes it as a console table, JSON lines, CSV, text
 * or frames, to standard output, a file, or (with --checkpoint) a
 * directory of committed part files; or as messages to Kafka.
 *
 * Without a checkpoint, a file appears whole or not at all: it is written
 * beside its final name and renamed into place when the stream ends
 * cleanly. With --checkpoint, each batch is committed on its own: the part
 * file, then the manifest entry, then the commit logs (ours, and the
 * source's, so that a restarted source replays only what came after). A
 * batch already committed is skipped when the source replays it.
 */
#include "sp.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "console.h"
#include "exec.h"
#include "filesink.h"
#include "kafkasink.h"
#include "log.h"
#include "progress.h"
#include "query.h"

enum { OPT_OPTION = 1, OPT_CHECKPOINT, OPT_PROGRESS_FD };

static const struct sp_opt opts[] = {
	{ "option", 'o', "KEY=VALUE", "a sink option, by Spark's name (repeatable)", OPT_OPTION },
	{ "checkpoint", 0, "DIR", "commit batch by batch, skipping batches already committed", OPT_CHECKPOINT },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-write FORMAT [options] [PATH]\n"
	"       stream-write kafka -o kafka.bootstrap.servers=HOST:PORT [-o topic=TOPIC] [options]\n"
	"       stream-write exec [options] -- COMMAND [ARG ...]";
static const char about[] =
	"Writes the frame stream on standard input as FORMAT: console (Spark's\n"
	"console sink), json (JSON lines), csv, text or frames. PATH is a file,\n"
	"or - for standard output (the default); with --checkpoint, a directory.\n"
	"kafka writes each row as a Kafka message, one transaction per batch.\n"
	"exec runs COMMAND once per batch with the batch on its standard input\n"
	"(Spark's foreachBatch).";

/* Text is written out in chunks of about this size. */
#define OUT_CHUNK (1 << 20)

struct args {
	const char *format;
	const char *path;
	char **cmd;		/* exec: the command */
	size_t ncmd;
	const char *checkpoint;
	int progress_fd;
	struct sp_kvs kv;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_DASHDASH:
			break;
		case SP_OPT_POS:
			if (p.dashdash && a->format && !strcmp(a->format, "exec")) {
				a->cmd = sp_xrealloc(a->cmd, (a->ncmd + 2) * sizeof *a->cmd);
				a->cmd[a->ncmd++] = (char *)arg;
				a->cmd[a->ncmd] = NULL;
			} else if (!a->format)
				a->format = arg;
			else if (!a->path)
				a->path = arg;
			else
				sp_usage_error("more than one output path ('%s' and '%s')", a->path, arg);
			break;
		case OPT_OPTION:
			sp_kvs_add(&a->kv, "-o", arg);
			break;
		case OPT_CHECKPOINT:
			a->checkpoint = arg;
			break;
		case OPT_PROGRESS_FD:
			a->progress_fd = sp_opt_fd("progress-fd", arg);
			break;
		}
	}
	if (!a->format)
		sp_usage_error("no format given (console, json, csv, text, frames, kafka or exec)");
	if (a->path && !strcmp(a->format, "kafka"))
		sp_usage_error("kafka takes no PATH ('%s'): the topic is -o topic=NAME or a topic column", a->path);
	if (!strcmp(a->format, "exec") && !a->ncmd)
		sp_usage_error("exec needs a command after '--'");
	if (a->ncmd && strcmp(a->format, "exec"))
		sp_usage_error("a command after '--' goes with exec, not %s", a->format);
	if (!a->path)
		a->path = "-";
}

/* One of three kinds of sink by format, writing to a stream or to part files. */
struct sink {
	struct args *a;
	const struct sp_enc_class *cls;	/* json, csv, text */
	struct sp_enc *enc;
	struct sp_console *con;		/* console */
	struct sp_writer *fw;		/* frames (to a single file or standard output) */
	struct sp_output *out;		/* the single output, without part files */
	struct sp_filesink *files;	/* part files, with --checkpoint and a PATH */
	struct sp_output *part;		/* the current batch's part file (owned by files) */
	struct sp_output *spool;	/* exec: the current batch, for the command */
	struct sp_kafkasink *kafka;	/* kafka */
	struct sp_exec_opts exec;
	int exec_status;		/* exec: the command's failing status */
	struct sp_buf text;
	int in_batch, skip, exec_frames;
	enum sp_mode mode;		/* the batch's output mode */
	uint64_t rows;
	int64_t started;
	/* with --checkpoint */
	struct sp_query q;
	struct sp_log *commits;
	struct sp_ack *ack;		/* commits acknowledged to the source */
	struct sp_progress *progress;
};

static int sink_open(struct sink *s, struct sp_err *err)
{
	struct args *a = s->a;
	const char *known = "numRows, truncate, vertical";

	if (!strcmp(a->format, "exec")) {
		const char *f = sp_kvs_get(&a->kv, "format", "json"), *b = sp_kvs_get(&a->kv, "retryBackoff", "1 second");

		s->exec.retries = (int)sp_kvs_long(&a->kv, "maxRetries", 3, 0, 100);
		if (sp_duration_parse(b, &s->exec.backoff_us, "option -o retryBackoff", err) < 0)
			return -1;
		if (!strcmp(f, "frames")) {
			s->exec_frames = 1;
		} else if (!(s->cls = sp_enc_find(f)) || s->cls == &sp_text_enc) {
			sp_usage_error("option -o format=%s: expected json, csv or frames", f);
		} else if (s->cls->new(&s->enc, &a->kv, err) < 0) {
			return -1;
		}
		sp_kvs_check_used(&a->kv, "exec", "format, maxRetries, retryBackoff, and the format's options");
		return 0;
	}
	if (!strcmp(a->format, "kafka")) {
		if (sp_kafkasink_new(&s->kafka, &a->kv, a->checkpoint != NULL, err) < 0)
			return -1;
		sp_kvs_check_used(&a->kv, "kafka", SP_KAFKASINK_KEYS);
		return 0;
	}
	if (!strcmp(a->format, "console")) {
		if (sp_console_new(&s->con, &a->kv, err) < 0)
			return -1;
	} else if (!strcmp(a->format, "frames")) {
		const char *c = sp_kvs_get(&a->kv, "compression", "none");

		known = "compression";
		if (strcmp(c, "none") && strcmp(c, "zstd"))
			sp_usage_error("option -o compression=%s: expected none or zstd", c);
		if (a->checkpoint && strcmp(a->path, "-"))
			sp_usage_error("the frames sink writes one stream: use it without --checkpoint");
		if (sp_output_open(&s->out, a->path, err) < 0)
			return -1;
		if (sp_writer_open_fd(&s->fw, dup(sp_output_fd(s->out)), sp_output_name(s->out), err) < 0)
			return -1;
		if (!strcmp(c, "zstd"))
			sp_writer_set_zstd(s->fw, 1);
	} else {
		if (!(s->cls = sp_enc_find(a->format)))
			sp_usage_error("unknown format '%s' (console, json, csv, text, frames, kafka or exec)", a->format);
		known = s->cls->keys;
		if (s->cls->new(&s->enc, &a->kv, err) < 0)
			return -1;
	}
	sp_kvs_check_used(&a->kv, a->format, known);
	if (s->cls && a->checkpoint && strcmp(a->path, "-"))
		return sp_filesink_open(&s->files, a->path, s->cls->name, err);
	if (!s->out && sp_output_open(&s->out, a->path, err) < 0)
		return -1;
	if (s->enc)
		s->cls->start(s->enc);
	return 0;
}

/* The stream's INFO frame: bind our checkpoint to its query. */
static int sink_info(struct sink *s, const char *json, struct sp_err *err)
{
	char *id = NULL, *p;
	int r;

	sp_query_release(&s->q);
	if (sp_query_parse(&s->q, json, err) < 0)
		return -1;
	if (!s->a->checkpoint || s->commits)
		return 0;
	if (sp_ckdir_open(s->a->checkpoint, "stream-write", &s->q, &id, err) < 0)
		return -1;
	p = sp_xasprintf("%s/commits", s->a->checkpoint);
	r = sp_log_open(&s->commits, p, err);
	if (r == 0 && s->q.checkpoint)
		r = sp_ack_open(&s->ack, s->q.checkpoint, p, err);
	free(p);
	if (r == 0 && sp_progress_open(&s->progress, s->a->checkpoint, s->a->progress_fd, &s->q, err) < 0)
		r = -1;
	if (r == 0 && s->kafka) {
		char *abs = realpath(s->a->checkpoint, NULL);

		r = sp_kafkasink_bind(s->kafka, s->q.id ? s->q.id : id, abs ? abs : s->a->checkpoint, err);
		free(abs);
	}
	free(id);
	return r;
}

/* A checkpoint without a source that announced itself: our own query id. */
static int sink_bind_alone(struct sink *s, struct sp_err *err)
{
	char *id = NULL;

	if (!s->a->checkpoint || s->commits)
		return 0;
	if (sp_ckdir_open(s->a->checkpoint, "stream-write", NULL, &id, err) < 0)
		return -1;
	s->q.id = id;
	return sink_info(s, "{}", err) < 0 ? -1 : 0;
}

static int64_t committed(const struct sink *s)
{
	int64_t c = s->commits ? sp_log_latest(s->commits) : -1;

	if (s->files && sp_filesink_latest(s->files) > c)
		c = sp_filesink_latest(s->files);
	if (s->kafka && sp_kafkasink_committed(s->kafka) > c)
		c = sp_kafkasink_committed(s->kafka);
	return c;
}

static int sink_drain(struct sink *s, struct sp_err *err)
{
	struct sp_output *o = s->spool ? s->spool : s->part ? s->part : s->out;

	if (!s->text.len)
		return 0;
	if (sp_output_write(o, s->text.p, s->text.len, err) < 0)
		return -1;
	sp_buf_reset(&s->text);
	return 0;
}

static int sink_begin(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	if (sink_bind_alone(s, err) < 0)
		return -1;
	s->in_batch = 1;
	s->rows = 0;
	s->started = sp_mono_us();
	s->skip = s->commits && bi->id <= committed(s);
	if (s->skip) {
		if (sp_verbose > 1)
			sp_warn("batch %lld was committed before: skipped", (long long)bi->id);
		return 0;
	}
	if (s->files) {
		if (bi->mode == SP_MODE_UPDATE)
			return sp_err_set(err, "the %s file sink does not support update output mode, as in Spark "
					  "(use append or complete)", s->cls->name);
		if (sp_filesink_part(s->files, bi->id, &s->part, err) < 0)
			return -1;
		s->cls->start(s->enc);
	}
	if (s->a->ncmd) {
		const char *tmp = getenv("TMPDIR");
		char *spool = sp_xasprintf("%s/stream-write-batch", tmp && *tmp ? tmp : "/tmp");
		int r = sp_output_open(&s->spool, spool, err);

		free(spool);
		if (r < 0)
			return -1;
		if (s->exec_frames) {
			if (sp_writer_open_fd(&s->fw, dup(sp_output_fd(s->spool)), "the batch", err) < 0)
				return -1;
		} else {
			s->cls->start(s->enc);
		}
	}
	if (s->con)
		sp_console_begin(s->con, bi->id);
	if (s->kafka)
		return sp_kafkasink_begin(s->kafka, bi->id, err);
	return s->fw ? sp_writer_begin(s->fw, bi, err) : 0;
}

/* exec: the batch is complete in the spool; run the command over it. */
static int run_batch(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	char *env[4];
	int r;

	if (s->fw) {
		r = sp_writer_eos(s->fw, err);
		sp_writer_free(s->fw);
		s->fw = NULL;
		if (r < 0)
			return -1;
	}
	env[0] = sp_xasprintf("STREAM_BATCH_ID=%lld", (long long)bi->id);
	env[1] = sp_xasprintf("STREAM_QUERY_ID=%s", s->q.id ? s->q.id : "");
	env[2] = sp_xasprintf("STREAM_OUTPUT_MODE=%s", sp_mode_name(s->mode));
	env[3] = NULL;
	r = sp_exec_run(s->a->cmd, sp_output_fd(s->spool), env, &s->exec, &s->exec_status, err);
	if (r < 0)
		sp_err_prefix(err, "batch %lld", (long long)bi->id);
	for (int i = 0; i < 3; i++)
		free(env[i]);
	sp_output_free(s->spool);
	s->spool = NULL;
	return r;
}

static int sink_rows(struct sink *s, const struct sp_batch *b, struct sp_err *err)
{
	static const struct sp_batch_info first = { 0, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

	if (!s->in_batch && sink_begin(s, &first, err) < 0)
		return -1;
	if (s->skip)
		return 0;
	s->rows += b->n;
	if (s->kafka)
		return sp_kafkasink_rows(s->kafka, b, err);
	if (s->fw)
		return sp_writer_rows(s->fw, b, err);
	if (s->con)
		return sp_console_rows(s->con, b, err);
	if (s->cls->encode(s->enc, b, &s->text, err) < 0)
		return -1;
	return s->text.len >= OUT_CHUNK ? sink_drain(s, err) : 0;
}

static int record_commit(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	char *entry;
	int64_t t0 = sp_mono_us(), add = t0 - s->started;
	int r = 0;

	if (!s->commits)
		return 0;
	entry = sp_xasprintf("{\"batchId\":%lld,\"watermark\":%lld}", (long long)bi->id, (long long)bi->watermark);
	if (sp_log_latest(s->commits) < bi->id)
		r = sp_log_put(s->commits, bi->id, entry, err);
	if (r == 0 && s->ack)
		r = sp_ack_commit(s->ack, bi->id, entry, err);
	free(entry);
	if (r == 0 && s->progress && !s->skip) {
		struct sp_progress_batch pb = { bi->id, s->rows, sp_mono_us() - s->started, bi->watermark,
						INT64_MIN, INT64_MIN, NULL, NULL, NULL, NULL };
		char *sink = s->kafka ? sp_xasprintf("{\"description\":\"%s\",\"numOutputRows\":%llu}",
						     sp_kafkasink_describe(s->kafka), (unsigned long long)s->rows) :
			sp_xasprintf("{\"description\":\"%sSink[%s]\",\"numOutputRows\":%llu}",
				     s->files ? "File" : s->a->format, s->a->path, (unsigned long long)s->rows);

		/* addBatch: from the batch's first frame to its data written; commitOffsets: the commit logs */
		char *durations = sp_xasprintf("{\"addBatch\":%lld,\"commitOffsets\":%lld}", (long long)(add / 1000),
					       (long long)((sp_mono_us() - t0) / 1000));

		pb.sink = sink;
		pb.durations = durations;
		r = sp_progress_write(s->progress, &pb, err);
		free(sink);
		free(durations);
	}
	return r;
}

/* A batch ends: its output is committed (part files) or written out now (streams). */
static int sink_end(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	int r = 0;

	s->in_batch = 0;
	if (s->skip)
		return record_commit(s, bi, err);
	if (s->fw)
		r = sp_writer_end(s->fw, bi, err) < 0 ? -1 : sp_writer_flush(s->fw, err);
	else if (s->con)
		r = sp_console_end(s->con, &s->text, err);
	if (r == 0)
		r = sink_drain(s, err);
	if (r == 0 && s->a->ncmd)
		r = run_batch(s, bi, err);
	if (r == 0 && s->kafka)
		r = sp_kafkasink_commit(s->kafka, bi->id, err);
	if (r == 0 && s->files) {
		r = sp_filesink_commit(s->files, bi->id, s->mode == SP_MODE_COMPLETE, err);
		s->part = NULL;
	}
	return r < 0 ? -1 : record_commit(s, bi, err);
}

static int sink_close(struct sink *s, struct sp_err *err)
{
	if (s->kafka)
		return sp_kafkasink_close(s->kafka, err);
	if (s->fw && sp_writer_eos(s->fw, err) < 0)
		return -1;
	if (sink_drain(s, err) < 0)
		return -1;
	return s->out ? sp_output_commit(s->out, err) : 0;
}

static void sink_free(struct sink *s)
{
	if (s->enc)
		s->cls->free(s->enc);
	sp_console_free(s->con);
	sp_writer_free(s->fw);
	sp_output_free(s->out);
	sp_filesink_free(s->files);
	sp_output_free(s->spool);
	sp_kafkasink_free(s->kafka);
	sp_buf_release(&s->text);
	sp_log_free(s->commits);
	sp_ack_free(s->ack);
	sp_progress_free(s->progress);
	sp_query_release(&s->q);
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL, 0, NULL, -1, SP_KVS_INIT };
	struct sink s;
	struct sp_reader *rd = NULL;
	struct sp_err err = SP_ERR_INIT;
	struct sp_frame fr;
	int status = SP_EXIT_FAIL, r = 0;

	sp_setprog(argv[0]);
	memset(&s, 0, sizeof s);
	s.a = &a;
	parse_args(argc, argv, &a);
	if (sink_open(&s, &err) < 0)
		goto done;
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0)
		goto done;
	/* A signal does not cut a batch short: the source ends the stream, and we drain it. */
	while ((r = sp_reader_next(rd, &fr, &err)) > 0) {
		switch (fr.type) {
		case SP_FR_INFO:
			r = sink_info(&s, fr.json, &err);
			break;
		case SP_FR_BEGIN:
			s.mode = fr.info.mode;
			r = sink_begin(&s, &fr.info, &err);
			break;
		case SP_FR_ROWS:
			r = sink_rows(&s, fr.batch, &err);
			break;
		case SP_FR_END:
			r = sink_end(&s, &fr.info, &err);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			break;
	}
	if (r < 0)
		goto done;
	if (sink_close(&s, &err) == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	if (s.exec_status)
		status = s.exec_status;
	sp_reader_free(rd);
	sink_free(&s);
	free(a.cmd);
	sp_kvs_release(&a.kv);
	return sp_finish(status);
}
