/*
 * stream-read: the source of every pipeline. Reads JSON lines, CSV or text
 * from files, directories, globs or standard input (or replays a recorded
 * frame stream) and writes a frame stream to standard output, in batches.
 *
 * It owns the trigger and the batch ids. With --checkpoint, each batch is
 * planned first (which files, which bytes) and written to the offsets log,
 * then emitted; the sink records each batch it commits in the commits log
 * beside it. A restart replays the planned batches that no sink committed,
 * byte for byte, before planning new ones: that is the exactly-once half
 * this tool is responsible for.
 */
#include "sp.h"

#include <fcntl.h>
#include "jsonc.h"
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "filesrc.h"
#include "log.h"
#include "progress.h"
#include "query.h"

enum {
	OPT_SCHEMA = 1, OPT_OPTION, OPT_CHECKPOINT, OPT_TRIGGER, OPT_FOLLOW, OPT_NAME, OPT_PROGRESS_FD, OPT_ZSTD,
};

static const struct sp_opt opts[] = {
	{ "schema", 0, "DDL", "schema of the records, e.g. 'id LONG, name STRING' (default: inferred)", OPT_SCHEMA },
	{ "option", 'o', "KEY=VALUE", "a source option, by Spark's name (repeatable)", OPT_OPTION },
	{ "checkpoint", 0, "DIR", "keep offsets here: restarts replay what no sink committed", OPT_CHECKPOINT },
	{ "trigger", 0, "TRIGGER", "processingTime=DURATION, once or availableNow", OPT_TRIGGER },
	{ "follow", 'f', NULL, "tail the named files as they grow, complete lines only", OPT_FOLLOW },
	{ "name", 0, "NAME", "name of this source, for progress and joins", OPT_NAME },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	{ "zstd", 0, NULL, "compress row frames with zstd (for recordings)", OPT_ZSTD },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-read FORMAT [options] [PATH ...]";
static const char about[] =
	"Reads records and writes them as a frame stream on standard output.\n"
	"FORMAT is json (JSON lines), csv, text or frames (a recorded stream).\n"
	"PATH is a file, a directory, a glob or - (standard input, the default).";

/* Rows per batch handed to the frame writer. */
#define ROWS_PER_FLUSH 16384
/* Records sampled from standard input when inferring a schema. */
#define STDIN_SAMPLE 10000
/* The seen-files set is written in full every this many batches. */
#define COMPACT_EVERY 10
/* Offsets and commits kept below the last commit, as Spark's minBatchesToRetain. */
#define RETAIN 100
/* Idle polling, and heartbeats while idle. */
#define POLL_US 100000
#define HEARTBEAT_US 10000000

enum trigger { TRIG_DEFAULT, TRIG_INTERVAL, TRIG_ONCE, TRIG_AVAILABLE_NOW };
enum evolution { EVOLVE_NONE, EVOLVE_ADD, EVOLVE_FAIL };

/* Auto Loader's schemaEvolutionMode (also under its cloudFiles. name). */
static enum evolution evolution_opt(struct sp_kvs *kv)
{
	const char *m = sp_kvs_get(kv, "cloudFiles.schemaEvolutionMode", NULL);

	m = sp_kvs_get(kv, "schemaEvolutionMode", m ? m : "addNewColumns");
	if (!strcasecmp(m, "addNewColumns"))
		return EVOLVE_ADD;
	if (!strcasecmp(m, "failOnNewColumns"))
		return EVOLVE_FAIL;
	if (!strcasecmp(m, "none"))
		return EVOLVE_NONE;
	sp_usage_error("option -o schemaEvolutionMode=%s: expected addNewColumns, failOnNewColumns or none", m);
}

struct args {
	const char *format;
	const char *schema;
	const char *checkpoint;
	const char *name;
	struct sp_kvs kv;
	char **paths;
	size_t npaths;
	enum trigger trigger;
	int64_t interval;	/* processingTime, us */
	int progress_fd;
	int follow;
	int zstd;
	enum evolution evolve;	/* schemaEvolutionMode */
};

static void parse_trigger(struct args *a, const char *t)
{
	struct sp_err err = SP_ERR_INIT;

	if (!strcasecmp(t, "once")) {
		a->trigger = TRIG_ONCE;
	} else if (!strcasecmp(t, "availableNow")) {
		a->trigger = TRIG_AVAILABLE_NOW;
	} else if (!strncasecmp(t, "processingTime=", 15)) {
		a->trigger = TRIG_INTERVAL;
		if (sp_duration_parse(t + 15, &a->interval, "option '--trigger'", &err) < 0 || a->interval < 0)
			sp_usage_error("%s", err.set ? err.msg : "option '--trigger': negative interval");
	} else {
		sp_usage_error("option '--trigger': expected processingTime=DURATION, once or availableNow, not '%s'", t);
	}
}

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_POS:
			if (!a->format) {
				a->format = arg;
				break;
			}
			a->paths = sp_xrealloc(a->paths, (a->npaths + 1) * sizeof *a->paths);
			a->paths[a->npaths++] = (char *)arg;
			break;
		case OPT_SCHEMA:
			a->schema = arg;
			break;
		case OPT_OPTION:
			sp_kvs_add(&a->kv, "-o", arg);
			break;
		case OPT_CHECKPOINT:
			a->checkpoint = arg;
			break;
		case OPT_TRIGGER:
			parse_trigger(a, arg);
			break;
		case OPT_FOLLOW:
			a->follow = 1;
			break;
		case OPT_NAME:
			a->name = arg;
			break;
		case OPT_PROGRESS_FD:
			a->progress_fd = sp_opt_fd("progress-fd", arg);
			break;
		case OPT_ZSTD:
			a->zstd = 1;
			break;
		}
	}
	if (!a->format)
		sp_usage_error("no format given (json, csv, text or frames)");
	if (!a->npaths) {
		static char dash[] = "-";

		a->paths = sp_xmalloc(sizeof *a->paths);
		a->paths[a->npaths++] = dash;
	}
}

/* ---- the source's state ---- */

struct source {
	struct args *a;
	const struct sp_dec_class *cls;
	struct sp_dec *dec;
	struct sp_writer *wr;
	struct sp_batch rows;
	struct sp_filesrc *files;
	struct sp_input *stdin_in;	/* standard input, with its schema sample buffered */
	int watching;			/* a directory or glob: keep looking for new files */
	/* with a checkpoint */
	struct sp_log *offsets, *commits;
	char *seen_dir;
	struct sp_query q;
	struct sp_progress *progress;
	int64_t next;			/* next batch id */
	int64_t cleaned;		/* batches up to this one had cleanSource applied */
	enum evolution evolve;		/* schemaEvolutionMode, for an inferred schema */
	char *schema_path;		/* DIR/schema */
	uint64_t batch_rows;
	int failed;			/* an input could not be opened */
};

/*
 * Feeds the first records of in to the decoder's schema inference. A file
 * is read again for its rows, so what was sampled is let go; standard input
 * is not, so its sample stays buffered (keep set).
 */
static int infer_input(const struct sp_dec_class *cls, struct sp_dec *dec, struct sp_input *in, size_t *budget,
		       int keep, struct sp_err *err)
{
	size_t off = 0, len, used;
	const char *p;
	ssize_t n;
	int eof = 0, r;

	cls->start(dec, sp_input_name(in));
	while (*budget) {
		p = sp_input_data(in, &len);
		if ((n = cls->infer(dec, p + off, len - off, eof, *budget, &used, err)) < 0)
			return -1;
		if (keep) {
			off += used;
		} else {
			sp_input_consume(in, used);
		}
		*budget -= (size_t)n;
		if (eof || !*budget)
			break;
		if ((r = sp_input_more(in, err)) < 0)
			return -1;
		eof = r == 0;
	}
	return 0;
}

/*
 * The schema from the data: every file there now is read once for it;
 * standard input keeps its sample buffered for decoding.
 */
static int infer_schema(struct source *s, struct sp_type **out, struct sp_err *err)
{
	size_t budget = SIZE_MAX, stdin_budget = STDIN_SAMPLE;
	char **paths = NULL;
	size_t npaths = 0;
	int r = 0;

	if (!s->cls->infer) {
		*out = s->cls->inferred(s->dec);
		return 0;
	}
	if (sp_paths_expand(s->a->paths, s->a->npaths, &paths, &npaths, err) < 0) {
		if (!s->watching)
			return -1;
		*err = (struct sp_err)SP_ERR_INIT;	/* an empty directory to watch */
	}
	for (size_t i = 0; i < npaths && r == 0; i++) {
		struct sp_input *in = NULL;
		int is_stdin = !strcmp(paths[i], "-");

		if (sp_input_open(&in, paths[i], err) < 0) {
			/* Reported again, and counted, when the file is read. */
			*err = (struct sp_err)SP_ERR_INIT;
			continue;
		}
		r = infer_input(s->cls, s->dec, in, is_stdin ? &stdin_budget : &budget, is_stdin, err);
		if (is_stdin && r == 0)
			s->stdin_in = in;
		else
			sp_input_free(in);
	}
	sp_paths_free(paths, npaths);
	if (r == 0)
		*out = s->cls->inferred(s->dec);
	return r;
}

/* The schema: given, stored in the checkpoint by an earlier run, or inferred (and stored). */
static int setup_schema(struct source *s, struct sp_err *err)
{
	struct sp_type *schema = NULL;
	char *path = s->a->checkpoint ? sp_xasprintf("%s/schema", s->a->checkpoint) : NULL;
	void *data = NULL;
	size_t len;
	int r = -1, got = 1;

	if (s->a->schema) {
		if (sp_type_parse_ddl(s->a->schema, &schema, err) < 0)
			goto done;
	} else if (path && (got = sp_ckpt_read(path, &data, &len, err)) == 0) {
		if (sp_schema_decode(data, len, &schema, err) < 0) {
			sp_err_prefix(err, "schema stored in '%s'", path);
			goto done;
		}
	} else if (got < 0 || infer_schema(s, &schema, err) < 0) {
		goto done;
	}
	if (path && !s->a->schema && s->cls->infer && s->a->evolve != EVOLVE_NONE) {
		s->evolve = s->a->evolve;
		s->schema_path = sp_xstrdup(path);
	}
	if (path && !s->a->schema && got == 1) {
		void *enc = sp_schema_encode_new(schema, &len);

		r = sp_ckpt_write(path, enc, len, 0, err);
		free(enc);
		if (r < 0)
			goto done;
	}
	if (s->cls->set_schema(s->dec, schema, err) < 0)
		goto done;
	sp_batch_init(&s->rows, s->cls->schema(s->dec));
	r = 0;
done:
	sp_type_unref(schema);
	free(data);
	free(path);
	return r;
}

/* ---- emitting batches ---- */

static int flush_rows(struct source *s, struct sp_err *err)
{
	if (!s->rows.n)
		return 0;
	if (sp_writer_rows(s->wr, &s->rows, err) < 0)
		return -1;
	s->batch_rows += s->rows.n;
	sp_batch_reset(&s->rows);
	return 0;
}

/* Decodes one input, up to end bytes (-1: all of it), into row frames. */
static int read_input(struct source *s, struct sp_input *in, int64_t end, struct sp_err *err)
{
	int64_t left = end;
	const char *p;
	size_t len;
	ssize_t n;
	int eof = 0, r;

	s->cls->start(s->dec, sp_input_name(in));
	for (;;) {
		p = sp_input_data(in, &len);
		if (end >= 0 && (int64_t)len > left)
			len = (size_t)left;	/* the file grew since it was planned: read what was planned */
		n = s->cls->decode(s->dec, p, len, eof, &s->rows, ROWS_PER_FLUSH - s->rows.n, err);
		if (n < 0)
			return -1;
		sp_input_consume(in, (size_t)n);
		left -= n;
		if (s->rows.n >= ROWS_PER_FLUSH) {
			if (flush_rows(s, err) < 0)
				return -1;
			continue;
		}
		if (eof)
			return 0;
		if (sp_stop_signal() == SIGINT)
			return sp_err_set(err, "interrupted");
		if (end >= 0 && left <= (int64_t)len - n) {
			eof = 1;	/* everything planned is buffered */
			continue;
		}
		if ((r = sp_input_more(in, err)) < 0)
			return -1;
		eof = r == 0;
	}
}

/* Reads bytes [start, end) of path (end -1: to its end). */
static int read_path(struct source *s, const char *path, int64_t start, int64_t end, struct sp_err *err)
{
	struct sp_input *in = NULL;
	int r;

	if (!strcmp(path, "-") && s->stdin_in) {
		in = s->stdin_in;
		s->stdin_in = NULL;
	} else if (sp_input_open(&in, path, err) < 0) {
		/* One unreadable file does not stop the others; the exit status tells. */
		sp_err_report(err);
		*err = (struct sp_err)SP_ERR_INIT;
		s->failed = 1;
		return 0;
	}
	/* A compressed file is planned whole: its byte range is the file's, not the data's. */
	if (sp_input_compressed(in))
		end = -1;
	r = start > 0 ? sp_input_seek(in, start, err) : 0;
	if (r == 0)
		r = read_input(s, in, end >= 0 ? end - start : -1, err);
	sp_input_free(in);
	return r;
}

/*
 * Auto Loader's schema evolution, for an inferred schema: columns in the
 * batch's files that the schema lacks are added to the stored schema and
 * the run stops, so that the next run reads them (addNewColumns), or the
 * run just stops (failOnNewColumns). The batch is not emitted; its offsets
 * stay planned, so the next run replays it with the new schema.
 */
static int check_new_columns(struct source *s, int64_t id, const struct sp_file *f, size_t n, struct sp_err *err)
{
	struct sp_type *cur = s->cls->schema(s->dec), *seen = NULL, *grown = NULL;
	struct sp_dec *d = NULL;
	struct sp_buf names = SP_BUF_INIT;
	size_t budget = SIZE_MAX;
	int r = -1;

	if (s->cls->new(&d, &s->a->kv, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct sp_input *in = NULL;

		if (sp_input_open(&in, f[i].path, err) < 0) {
			*err = (struct sp_err)SP_ERR_INIT;	/* reported when the batch is read */
			continue;
		}
		r = infer_input(s->cls, d, in, &budget, 0, err);
		sp_input_free(in);
		if (r < 0)
			goto done;
	}
	seen = s->cls->inferred(d);
	grown = sp_type_new_struct();
	for (size_t i = 0; i < cur->nfields; i++)
		sp_type_add_field(grown, cur->fields[i].name, sp_type_ref(cur->fields[i].type), 0);
	for (size_t i = 0; i < seen->nfields; i++) {
		const char *name = seen->fields[i].name;

		if (sp_type_field_index(cur, name, strlen(name)) >= 0)
			continue;
		sp_buf_printf(&names, "%s'%s'", names.len ? ", " : "", name);
		sp_type_add_field(grown, name, sp_type_ref(seen->fields[i].type), 0);
	}
	r = 0;
	if (!names.len)
		goto done;
	if (s->evolve == EVOLVE_ADD) {
		size_t len;
		void *enc = sp_schema_encode_new(grown, &len);

		r = sp_ckpt_write(s->schema_path, enc, len, 0, err);
		free(enc);
		if (r == 0)
			r = sp_err_set(err, "batch %lld has new columns %s: the schema in '%s' now has them; run again "
				       "to read them (schemaEvolutionMode=addNewColumns)", (long long)id, names.p,
				       s->schema_path);
	} else {
		r = sp_err_set(err, "batch %lld has new columns %s, which the schema in '%s' lacks "
			       "(schemaEvolutionMode=failOnNewColumns)", (long long)id, names.p, s->schema_path);
	}
done:
	sp_buf_release(&names);
	sp_type_unref(seen);
	sp_type_unref(grown);
	s->cls->free(d);
	return r;
}

/* Emits batch id over the given files: begin, rows, end. */
static int emit_batch(struct source *s, int64_t id, const char *files_json, struct sp_err *err)
{
	struct sp_batch_info bi = { id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };
	struct sp_file *f = NULL;
	size_t n = 0;
	int64_t t0 = sp_mono_us();
	int r = -1;

	if (sp_files_parse(files_json, &f, &n, err) < 0)
		return -1;
	s->batch_rows = 0;
	if (s->evolve != EVOLVE_NONE && check_new_columns(s, id, f, n, err) < 0)
		goto done;
	if (sp_writer_begin(s->wr, &bi, err) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (read_path(s, f[i].path, f[i].start, strcmp(f[i].path, "-") ? f[i].end : -1, err) < 0)
			goto done;
	if (flush_rows(s, err) < 0)
		goto done;
	bi.rows = s->batch_rows;
	bi.meta = sp_xasprintf("{\"source\":%s}", files_json);
	r = sp_writer_end(s->wr, &bi, err);
	free(bi.meta);
	if (r == 0)
		r = sp_writer_flush(s->wr, err);
	if (r == 0 && s->progress) {
		struct sp_progress_batch pb = { id, s->batch_rows, sp_mono_us() - t0, SP_NO_WATERMARK, INT64_MIN,
						INT64_MIN, NULL, NULL, NULL, NULL };
		char *src = sp_xasprintf("[{\"description\":\"FileStreamSource[%s]\",\"startOffset\":%lld,"
					 "\"endOffset\":%lld,\"numInputRows\":%llu,\"files\":%s}]",
					 s->a->paths[0], (long long)id - 1, (long long)id,
					 (unsigned long long)s->batch_rows, files_json);

		pb.sources = src;
		r = sp_progress_write(s->progress, &pb, err);
		free(src);
	}
done:
	sp_files_free(f, n);
	return r;
}

/* ---- the checkpoint ---- */

static char *offsets_files(const char *entry, struct sp_err *err)
{
	struct json_object *o = json_tokener_parse(entry), *files;
	char *s = NULL;

	if (o && json_object_object_get_ex(o, "files", &files))
		s = sp_xstrdup(sp_jsonc_text(files));
	else
		sp_err_set(err, "bad offsets log entry: '%.80s'", entry);
	json_object_put(o);
	return s;
}

/* Restores the seen files: the latest compacted set, then the batches planned after it. */
static int restore_seen(struct source *s, struct sp_err *err)
{
	struct sp_log *seen = NULL;
	int64_t base;
	char *text = NULL, *files;
	int r = -1;

	if (sp_log_open(&seen, s->seen_dir, err) < 0)
		return -1;
	base = sp_log_latest(seen);
	if (base >= 0 && (sp_log_get(seen, base, &text, err) != 0 || sp_filesrc_seen_load(s->files, text, err) < 0))
		goto done;
	for (int64_t b = base + 1; b <= sp_log_latest(s->offsets); b++) {
		free(text);
		text = NULL;
		if (sp_log_get(s->offsets, b, &text, err) != 0) {
			if (!err->set)
				sp_err_set(err, "offsets log entry %lld is missing in '%s' (remove the checkpoint to start over)",
					   (long long)b, sp_log_dir(s->offsets));
			goto done;
		}
		if (!(files = offsets_files(text, err)))
			goto done;
		r = sp_filesrc_note(s->files, files, err);
		free(files);
		if (r < 0)
			goto done;
	}
	r = 0;
done:
	free(text);
	sp_log_free(seen);
	return r;
}

/* Applies cleanSource to the batches the sink has committed (it writes commits while we run: look again). */
static int clean_committed(struct source *s, struct sp_err *err)
{
	struct sp_log *fresh = NULL;
	char *text = NULL, *files;
	int64_t committed;
	int r = 0;

	if (sp_log_open(&fresh, sp_log_dir(s->commits), err) < 0)
		return -1;
	sp_log_free(s->commits);
	s->commits = fresh;
	committed = sp_log_latest(fresh);
	for (; s->cleaned < committed && r == 0; s->cleaned++) {
		if (sp_log_get(s->offsets, s->cleaned + 1, &text, err) != 0)
			continue;
		if ((files = offsets_files(text, err)))
			r = sp_filesrc_clean(s->files, files, err);
		else
			r = -1;
		free(files);
		free(text);
		text = NULL;
	}
	return r;
}

static int open_checkpoint(struct source *s, struct sp_err *err)
{
	const char *dir = s->a->checkpoint;
	char *abs, *p;
	int r;

	if (sp_ckdir_open(dir, "stream-read", NULL, &s->q.id, err) < 0)
		return -1;
	abs = realpath(dir, NULL);
	s->q.checkpoint = abs ? abs : sp_xstrdup(dir);
	s->q.run_id = sp_uuid_new();
	s->q.name = s->a->name ? sp_xstrdup(s->a->name) : NULL;
	p = sp_xasprintf("%s/offsets", dir);
	r = sp_log_open(&s->offsets, p, err);
	free(p);
	p = sp_xasprintf("%s/commits", dir);
	if (r == 0)
		r = sp_log_open(&s->commits, p, err);
	free(p);
	s->seen_dir = sp_xasprintf("%s/sources/0", dir);
	if (r == 0)
		r = restore_seen(s, err);
	s->next = sp_log_latest(s->offsets) + 1;
	/* Cleaning is idempotent: redo it for every batch still in the log. */
	s->cleaned = sp_log_first(s->offsets) - 1;
	if (r == 0)
		r = clean_committed(s, err);
	return r;
}

/* After each batch: compact the seen set, clean the source, purge old log entries. */
static int maintain(struct source *s, struct sp_err *err)
{
	int64_t committed, last = s->next - 1;
	int r = 0;

	if (last % COMPACT_EVERY == 0) {
		struct sp_log *seen = NULL;
		char *text = sp_filesrc_seen_json(s->files);

		r = sp_log_open(&seen, s->seen_dir, err);
		if (r == 0)
			r = sp_log_put(seen, last, text, err);
		if (r == 0)
			r = sp_log_purge(seen, last, err);
		sp_log_free(seen);
		free(text);
	}
	if (r < 0 || clean_committed(s, err) < 0)
		return -1;
	/* Keep what a restart needs: uncommitted batches, and those since the last compaction. */
	committed = sp_log_latest(s->commits);
	if (committed - RETAIN > 0) {
		int64_t below = committed - RETAIN;

		if (below > last - last % COMPACT_EVERY)
			below = last - last % COMPACT_EVERY;
		r = sp_log_purge(s->offsets, below, err);
		if (r == 0)
			r = sp_log_purge(s->commits, below, err);
	}
	return r;
}

/* Plans the next batch, writes it to the offsets log, and emits it. 0 when there was nothing new. */
static int next_batch(struct source *s, int all, int settle, struct sp_err *err)
{
	char *files = NULL, *entry;
	int r;

	if (sp_filesrc_plan(s->files, all, settle, &files, err) < 0)
		return -1;
	if (!files)
		return 0;
	if (s->offsets) {
		entry = sp_xasprintf("{\"batchId\":%lld,\"timestampMs\":%lld,\"files\":%s}", (long long)s->next,
				     (long long)(sp_now_us() / 1000), files);
		r = sp_log_put(s->offsets, s->next, entry, err);
		free(entry);
		if (r < 0) {
			free(files);
			return -1;
		}
	}
	r = emit_batch(s, s->next, files, err);
	free(files);
	if (r < 0)
		return -1;
	s->next++;
	return s->offsets && maintain(s, err) < 0 ? -1 : 1;
}

/* Re-emits the planned batches that no sink has committed. */
static int replay(struct source *s, struct sp_err *err)
{
	for (int64_t b = sp_log_latest(s->commits) + 1; b < s->next && sp_running(); b++) {
		char *text = NULL, *files;
		int r;

		if (sp_log_get(s->offsets, b, &text, err) != 0) {
			if (!err->set)
				sp_err_set(err, "offsets log entry %lld is missing in '%s' (remove the checkpoint to start over)",
					   (long long)b, sp_log_dir(s->offsets));
			return -1;
		}
		files = offsets_files(text, err);
		free(text);
		if (!files)
			return -1;
		if (sp_verbose > 1)
			sp_warn("replaying batch %lld", (long long)b);
		r = emit_batch(s, b, files, err);
		free(files);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Waits for something new: inotify on the watched directories, bounded by timeout. */
static void wait_for_files(int ifd, int64_t timeout)
{
	struct pollfd pfd = { ifd, POLLIN, 0 };
	char buf[4096];

	if (ifd < 0 || poll(&pfd, 1, (int)(timeout / 1000)) <= 0) {
		if (ifd < 0)
			usleep((useconds_t)timeout);
		return;
	}
	while (read(ifd, buf, sizeof buf) > 0)
		;
}

static int watch_dirs(const struct args *a)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), n = 0;

	if (ifd < 0)
		return -1;
	for (size_t i = 0; i < a->npaths; i++) {
		char *dir = sp_xstrdup(a->paths[i]), *slash;

		/* A glob is watched through the directory of its first wildcard. */
		if (strpbrk(dir, "*?[") && (slash = strrchr(dir, '/')))
			*slash = '\0';
		if (inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) >= 0)
			n++;
		free(dir);
	}
	if (!n) {
		close(ifd);
		return -1;
	}
	return ifd;
}

/* The trigger loop: batches until the input is exhausted (or forever, when watching). */
static int run(struct source *s, struct sp_err *err)
{
	const struct args *a = s->a;
	int once = a->trigger == TRIG_ONCE, ifd = -1, r;
	int64_t last_beat = sp_mono_us(), start;

	if (s->offsets && replay(s, err) < 0)
		return -1;
	if (once || !s->watching) {
		/* once: everything there, in one batch; explicit files: what is there, by the limits. */
		while (sp_running() && (r = next_batch(s, once, 0, err)) > 0 && !once)
			;
		return r < 0 ? -1 : 0;
	}
	if (a->trigger == TRIG_AVAILABLE_NOW) {
		while (sp_running() && (r = next_batch(s, 0, 0, err)) > 0)
			;
		return r < 0 ? -1 : 0;
	}
	ifd = watch_dirs(a);
	while (sp_running()) {
		start = sp_mono_us();
		if ((r = next_batch(s, 0, 1, err)) < 0)
			break;
		if (r == 0 && sp_mono_us() - last_beat >= HEARTBEAT_US) {
			if (sp_writer_heartbeat(s->wr, sp_now_us(), err) < 0 || sp_writer_flush(s->wr, err) < 0) {
				r = -1;
				break;
			}
			last_beat = sp_mono_us();
		}
		if (r > 0)
			last_beat = sp_mono_us();
		if (a->trigger == TRIG_INTERVAL && a->interval > sp_mono_us() - start)
			usleep((useconds_t)(a->interval - (sp_mono_us() - start)));
		else if (r == 0)
			wait_for_files(ifd, POLL_US);
	}
	if (ifd >= 0)
		close(ifd);
	return r < 0 ? -1 : 0;
}

/* A directory or a pattern is a stream of files to watch; a list of files is not. */
static int is_watching(const struct args *a)
{
	struct stat st;

	for (size_t i = 0; i < a->npaths; i++)
		if (strpbrk(a->paths[i], "*?[") || (stat(a->paths[i], &st) == 0 && S_ISDIR(st.st_mode)))
			return 1;
	return 0;
}

/* Replays recorded streams, renumbering batches so that ids keep increasing across files. */
static int replay_frames(struct sp_writer *wr, char **paths, size_t npaths, struct sp_err *err)
{
	int64_t base = 0, next = 0;

	for (size_t i = 0; i < npaths && sp_running(); i++) {
		struct sp_reader *rd = NULL;
		struct sp_frame fr;
		int r;

		if (sp_reader_open(&rd, paths[i], err) < 0)
			return -1;
		while ((r = sp_reader_next(rd, &fr, err)) > 0) {
			switch (fr.type) {
			case SP_FR_ROWS:
				r = sp_writer_rows(wr, fr.batch, err);
				break;
			case SP_FR_BEGIN:
				fr.info.id += base;
				r = sp_writer_begin(wr, &fr.info, err);
				break;
			case SP_FR_END:
				fr.info.id += base;
				next = fr.info.id + 1;
				r = sp_writer_end(wr, &fr.info, err);
				break;
			case SP_FR_INFO:
				r = i ? 0 : sp_writer_info(wr, fr.json, err);
				break;
			default:
				r = 0;
				break;
			}
			if (r < 0)
				break;
		}
		sp_reader_free(rd);
		if (r < 0)
			return -1;
		base = next;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL, NULL, SP_KVS_INIT, NULL, 0, TRIG_DEFAULT, 0, -1, 0, 0, EVOLVE_NONE };
	struct sp_filesrc_opts fo = { 0 };
	struct source s;
	struct sp_err err = SP_ERR_INIT;
	int status = SP_EXIT_FAIL;

	sp_setprog(argv[0]);
	memset(&s, 0, sizeof s);
	s.a = &a;
	parse_args(argc, argv, &a);
	if (strcmp(a.format, "frames")) {
		if (!(s.cls = sp_dec_find(a.format)))
			sp_usage_error("unknown format '%s' (json, csv, text or frames)", a.format);
		if (s.cls->new(&s.dec, &a.kv, &err) < 0)
			goto done;
		fo.paths = a.paths;
		fo.npaths = a.npaths;
		fo.follow = a.follow;
		a.evolve = evolution_opt(&a.kv);
		sp_filesrc_opts_read(&fo, &a.kv);
	}
	sp_kvs_check_used(&a.kv, a.format, s.cls ? s.cls->keys : "none");
	if (a.checkpoint) {
		for (size_t i = 0; i < a.npaths; i++)
			if (!strcmp(a.paths[i], "-") || !strcmp(a.format, "frames"))
				sp_usage_error("--checkpoint needs files or directories to replay from, not %s",
					       strcmp(a.format, "frames") ? "standard input" : "a recorded stream");
	}
	sp_catch_signals();
	if (sp_writer_open(&s.wr, "-", &err) < 0)
		goto done;
	if (a.zstd)
		sp_writer_set_zstd(s.wr, 1);
	if (!s.cls) {
		char **paths = NULL;
		size_t npaths = 0;

		if (sp_paths_expand(a.paths, a.npaths, &paths, &npaths, &err) == 0 &&
		    replay_frames(s.wr, paths, npaths, &err) == 0 && sp_running() && sp_writer_eos(s.wr, &err) == 0)
			status = SP_EXIT_OK;
		sp_paths_free(paths, npaths);
		goto done;
	}
	s.watching = a.follow || is_watching(&a);
	if (sp_filesrc_new(&s.files, &fo, &err) < 0)
		goto done;
	if (a.checkpoint && open_checkpoint(&s, &err) < 0)
		goto done;
	if (setup_schema(&s, &err) < 0)
		goto done;
	if (a.checkpoint || a.progress_fd >= 0)
		if (sp_progress_open(&s.progress, a.checkpoint, a.progress_fd, &s.q, &err) < 0)
			goto done;
	if (s.q.id) {
		char *info = sp_query_info_new(&s.q);
		int r = sp_writer_info(s.wr, info, &err);

		free(info);
		if (r < 0)
			goto done;
	}
	if (sp_writer_schema(s.wr, s.rows.schema, &err) < 0 || run(&s, &err) < 0)
		goto done;
	if (sp_stop_signal() == SIGINT) {
		/* SIGINT aborts (SIGTERM ends after the current batch): downstream discards the open batch. */
		sp_err_set(&err, "interrupted");
		goto done;
	}
	if (sp_writer_eos(s.wr, &err) < 0)
		goto done;
	if (s.cls->dropped(s.dec) && sp_verbose)
		sp_warn("warning: dropped %llu malformed records", (unsigned long long)s.cls->dropped(s.dec));
	status = s.failed ? SP_EXIT_FAIL : SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_input_free(s.stdin_in);
	sp_batch_release(&s.rows);
	if (s.dec)
		s.cls->free(s.dec);
	sp_filesrc_free(s.files);
	sp_log_free(s.offsets);
	sp_log_free(s.commits);
	sp_progress_free(s.progress);
	free(s.seen_dir);
	free(s.schema_path);
	sp_query_release(&s.q);
	sp_writer_free(s.wr);
	free(a.paths);
	sp_kvs_release(&a.kv);
	return sp_finish(status);
}
