/*
 * source-file.c: the file source behind the engine (source.h): JSON lines,
 * CSV or text from files, directories, globs or standard input.
 *
 * A batch is a list of files with the byte range to read (filesrc.h plans
 * it). The source infers the schema as Spark does (keeping it in the
 * checkpoint), remembers the files it has taken (a compacted set in
 * DIR/sources/0 plus the batches planned since), applies cleanSource to
 * committed batches, and follows Auto Loader's schemaEvolutionMode.
 */
#include "source.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "codec.h"
#include "filesrc.h"
#include "input.h"

/* Rows per batch handed to the frame writer. */
#define ROWS_PER_FLUSH 16384
/* Records sampled from standard input when inferring a schema. */
#define STDIN_SAMPLE 10000
/* The seen-files set is written in full every this many batches. */
#define COMPACT_EVERY 10

enum evolution { EVOLVE_NONE, EVOLVE_ADD, EVOLVE_FAIL, EVOLVE_RESCUE };

struct filesource {
	struct sp_srcimpl base;
	const struct sp_dec_class *cls;
	struct sp_dec *dec;
	struct sp_batch rows;
	struct sp_filesrc *files;
	struct sp_kvs *kv;		/* borrowed: for a second decoder (schema evolution) */
	char **paths;			/* borrowed */
	size_t npaths;
	const char *given;		/* --schema, or NULL */
	struct sp_input *stdin_in;	/* standard input, with its schema sample buffered */
	int watching;			/* a directory or glob: keep looking for new files */
	int ifd;			/* inotify, when watching */
	struct sp_log *offsets;		/* borrowed from the engine */
	char *seen_dir;
	int64_t cleaned;		/* batches up to this one had cleanSource applied */
	int64_t compacted;		/* the last batch the seen set was compacted at */
	enum evolution want;		/* schemaEvolutionMode as asked */
	enum evolution evolve;		/* ... and as it applies (an inferred schema in a checkpoint) */
	char *schema_path;		/* DIR/schema */
	int failed;			/* an input could not be opened */
};

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
	if (!strcasecmp(m, "rescue"))
		return EVOLVE_RESCUE;
	sp_usage_error("option -o schemaEvolutionMode=%s: expected addNewColumns, rescue, failOnNewColumns or none", m);
}

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
static int infer_schema(struct filesource *s, struct sp_type **out, struct sp_err *err)
{
	size_t budget = SIZE_MAX, stdin_budget = STDIN_SAMPLE;
	char **paths = NULL;
	size_t npaths = 0;
	int r = 0;

	if (!s->cls->infer) {
		*out = s->cls->inferred(s->dec);
		return 0;
	}
	if (sp_paths_expand(s->paths, s->npaths, &paths, &npaths, err) < 0) {
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
static int setup_schema(struct filesource *s, const char *ckdir, struct sp_err *err)
{
	struct sp_type *schema = NULL;
	char *path = ckdir ? sp_xasprintf("%s/schema", ckdir) : NULL;
	void *data = NULL;
	size_t len;
	int r = -1, got = 1;

	if (s->given) {
		if (sp_type_parse_ddl(s->given, &schema, err) < 0)
			goto done;
	} else if (path && (got = sp_ckpt_read(path, &data, &len, err)) == 0) {
		if (sp_schema_decode(data, len, &schema, err) < 0) {
			sp_err_prefix(err, "schema stored in '%s'", path);
			goto done;
		}
	} else if (got < 0 || infer_schema(s, &schema, err) < 0) {
		goto done;
	}
	if (path && !s->given && s->cls->infer && (s->want == EVOLVE_ADD || s->want == EVOLVE_FAIL)) {
		s->evolve = s->want;
		s->schema_path = sp_xstrdup(path);
	}
	if (path && !s->given && got == 1) {
		void *enc = sp_schema_encode_new(schema, &len);

		r = sp_ckpt_write(path, enc, len, 0, err);
		free(enc);
		if (r < 0)
			goto done;
	}
	if (s->cls->set_schema(s->dec, schema, err) < 0)
		goto done;
	s->base.schema = s->cls->schema(s->dec);
	sp_batch_init(&s->rows, s->base.schema);
	r = 0;
done:
	sp_type_unref(schema);
	free(data);
	free(path);
	return r;
}

/* ---- reading a batch ---- */

static int flush_rows(struct filesource *s, struct sp_err *err)
{
	return sp_srcimpl_rows(&s->base, &s->rows, err);
}

/* Decodes one input, up to end bytes (-1: all of it), into row frames. */
static int read_input(struct filesource *s, struct sp_input *in, int64_t end, struct sp_err *err)
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
static int read_path(struct filesource *s, const char *path, int64_t start, int64_t end, struct sp_err *err)
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
static int check_new_columns(struct filesource *s, int64_t id, const struct sp_file *f, size_t n, struct sp_err *err)
{
	struct sp_type *cur = s->cls->schema(s->dec), *seen = NULL, *grown = NULL;
	struct sp_dec *d = NULL;
	struct sp_buf names = SP_BUF_INIT;
	size_t budget = SIZE_MAX;
	int r = -1;

	if (s->cls->new(&d, s->kv, err) < 0)
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

static int file_read(struct sp_srcimpl *impl, int64_t id, const char *entry, struct sp_err *err)
{
	struct filesource *s = (struct filesource *)impl;
	char *files = sp_source_member(entry, "files", err);
	struct sp_file *f = NULL;
	size_t n = 0;
	int r = -1;

	if (!files || sp_files_parse(files, &f, &n, err) < 0)
		goto done;
	if (s->evolve != EVOLVE_NONE && check_new_columns(s, id, f, n, err) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (read_path(s, f[i].path, f[i].start, strcmp(f[i].path, "-") ? f[i].end : -1, err) < 0)
			goto done;
	r = flush_rows(s, err);
done:
	sp_files_free(f, n);
	free(files);
	return r;
}

static char *file_progress(struct sp_srcimpl *impl, int64_t id, const char *entry, uint64_t rows)
{
	struct filesource *s = (struct filesource *)impl;
	struct sp_err err = SP_ERR_INIT;
	char *files = sp_source_member(entry, "files", &err), *src;

	src = sp_xasprintf("[{\"description\":\"FileStreamSource[%s]\",\"startOffset\":%lld,"
			   "\"endOffset\":%lld,\"numInputRows\":%llu,\"files\":%s}]",
			   s->paths[0], (long long)id - 1, (long long)id, (unsigned long long)rows,
			   files ? files : "[]");
	free(files);
	return src;
}

/* ---- the checkpoint ---- */

/* Restores the seen files: the latest compacted set, then the batches planned after it. */
static int restore_seen(struct filesource *s, struct sp_err *err)
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
		if (!(files = sp_source_member(text, "files", err)))
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

static int file_start(struct sp_srcimpl *impl, const char *ckdir, struct sp_log *offsets, struct sp_err *err)
{
	struct filesource *s = (struct filesource *)impl;

	s->offsets = offsets;
	if (offsets) {
		s->seen_dir = sp_xasprintf("%s/sources/0", ckdir);
		if (restore_seen(s, err) < 0)
			return -1;
		/* Cleaning is idempotent: redo it for every batch still in the log. */
		s->cleaned = sp_log_first(offsets) - 1;
	}
	return setup_schema(s, ckdir, err);
}

/* After each batch: compact the seen set; clean the committed batches' files. */
static int file_committed(struct sp_srcimpl *impl, int64_t last, int64_t committed, struct sp_err *err)
{
	struct filesource *s = (struct filesource *)impl;
	char *text = NULL, *files;
	int r = 0;

	if (!s->offsets)
		return 0;
	if (last >= 0 && last % COMPACT_EVERY == 0 && last > s->compacted) {
		s->compacted = last;
		struct sp_log *seen = NULL;

		text = sp_filesrc_seen_json(s->files);
		r = sp_log_open(&seen, s->seen_dir, err);
		if (r == 0)
			r = sp_log_put(seen, last, text, err);
		if (r == 0)
			r = sp_log_purge(seen, last, err);
		sp_log_free(seen);
		free(text);
		text = NULL;
		if (r < 0)
			return -1;
	}
	if (last >= 0)
		s->base.keep = last - last % COMPACT_EVERY;
	for (; s->cleaned < committed && r == 0; s->cleaned++) {
		if (sp_log_get(s->offsets, s->cleaned + 1, &text, err) != 0)
			continue;
		if ((files = sp_source_member(text, "files", err)))
			r = sp_filesrc_clean(s->files, files, err);
		else
			r = -1;
		free(files);
		free(text);
		text = NULL;
	}
	return r;
}

static int file_plan(struct sp_srcimpl *impl, enum sp_trigger trig, char **members, struct sp_err *err)
{
	struct filesource *s = (struct filesource *)impl;
	int all = trig == SP_TRIG_ONCE;
	int settle = s->watching && trig != SP_TRIG_ONCE && trig != SP_TRIG_AVAILABLE_NOW;
	char *files = NULL;

	if (sp_filesrc_plan(s->files, all, settle, &files, err) < 0)
		return -1;
	if (!files)
		return s->watching ? SP_PLAN_NONE : SP_PLAN_END;
	*members = sp_xasprintf("\"files\":%s", files);
	free(files);
	return SP_PLAN_BATCH;
}

/* Waits for something new: inotify on the watched directories, bounded by timeout. */
static void file_wait(struct sp_srcimpl *impl, int64_t timeout)
{
	struct filesource *s = (struct filesource *)impl;
	struct pollfd pfd = { s->ifd, POLLIN, 0 };
	char buf[4096];

	if (s->ifd < 0 || poll(&pfd, 1, (int)(timeout / 1000)) <= 0) {
		if (s->ifd < 0)
			usleep((useconds_t)timeout);
		return;
	}
	while (read(s->ifd, buf, sizeof buf) > 0)
		;
}

static int watch_dirs(char **paths, size_t npaths)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), n = 0;

	if (ifd < 0)
		return -1;
	for (size_t i = 0; i < npaths; i++) {
		char *dir = sp_xstrdup(paths[i]), *slash;

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

/* A directory or a pattern is a stream of files to watch; a list of files is not. */
static int is_watching(char **paths, size_t npaths)
{
	struct stat st;

	for (size_t i = 0; i < npaths; i++)
		if (strpbrk(paths[i], "*?[") || (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)))
			return 1;
	return 0;
}

static int file_finish(struct sp_srcimpl *impl, struct sp_err *err)
{
	struct filesource *s = (struct filesource *)impl;

	(void)err;
	if (s->cls->dropped(s->dec) && sp_verbose)
		sp_warn("warning: dropped %llu malformed records", (unsigned long long)s->cls->dropped(s->dec));
	return s->failed ? -1 : 0;
}

static void file_free(struct sp_srcimpl *impl)
{
	struct filesource *s = (struct filesource *)impl;

	if (!s)
		return;
	sp_input_free(s->stdin_in);
	sp_batch_release(&s->rows);
	if (s->dec)
		s->cls->free(s->dec);
	sp_filesrc_free(s->files);
	if (s->ifd >= 0)
		close(s->ifd);
	free(s->seen_dir);
	free(s->schema_path);
	free(s);
}

static const struct sp_source_ops file_ops = {
	file_start, file_plan, file_read, file_progress, file_committed, file_wait, file_finish, file_free,
};

int sp_filesource_new(struct sp_srcimpl **impl, const struct sp_filesource_args *a, struct sp_kvs *kv,
		      struct sp_err *err)
{
	struct filesource *s = sp_xcalloc(1, sizeof *s);
	struct sp_filesrc_opts fo = { 0 };

	s->base.ops = &file_ops;
	s->base.keep = INT64_MAX;
	s->ifd = -1;
	s->compacted = -1;
	s->kv = kv;
	s->paths = a->paths;
	s->npaths = a->npaths;
	s->given = a->schema;
	*impl = NULL;
	if (!(s->cls = sp_dec_find(a->format)))
		sp_usage_error("unknown format '%s' (json, csv, text, frames, kafka, socket, rate or rate-micro-batch)", a->format);
	s->want = evolution_opt(kv);
	/* rescue: the schema stays as it is, and what it lacks goes to the rescued-data column */
	if (s->want == EVOLVE_RESCUE && strstr(s->cls->keys, "rescuedDataColumn") &&
	    !sp_kvs_get(kv, "rescuedDataColumn", NULL))
		sp_kvs_set(kv, "rescuedDataColumn", "_rescued_data");
	if (s->cls->new(&s->dec, kv, err) < 0)
		goto fail;
	fo.paths = a->paths;
	fo.npaths = a->npaths;
	fo.follow = a->follow;
	sp_filesrc_opts_read(&fo, kv);
	sp_kvs_check_used(kv, a->format, s->cls->keys);
	s->watching = a->follow || is_watching(a->paths, a->npaths);
	s->base.bounded = !s->watching;
	if (sp_filesrc_new(&s->files, &fo, err) < 0)
		goto fail;
	if (s->watching)
		s->ifd = watch_dirs(a->paths, a->npaths);
	*impl = &s->base;
	return 0;
fail:
	file_free(&s->base);
	return -1;
}
