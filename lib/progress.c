/*
 * progress.c: progress JSON lines (see progress.h).
 *
 * The file is appended to; once it holds twice the lines to keep, it is
 * rewritten (atomically) with the newest ones, so it stays bounded without
 * a rewrite per batch.
 */
#include "progress.h"

#include <fcntl.h>
#include "jsonc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ckpt.h"
#include "output.h"
#include "timefmt.h"

struct sp_progress {
	char *path;
	int fd;
	struct sp_query q;
	int64_t last_start;	/* monotonic start of the previous batch */
	size_t lines;
};

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int sp_progress_open(struct sp_progress **out, const char *dir, int fd, const struct sp_query *q, struct sp_err *err)
{
	struct sp_progress *p = sp_xcalloc(1, sizeof *p);

	(void)err;
	p->fd = fd;
	if (dir) {
		p->path = sp_xasprintf("%s/progress", dir);
		p->lines = count_lines(p->path);
	}
	p->q.id = q->id ? sp_xstrdup(q->id) : NULL;
	p->q.run_id = q->run_id ? sp_xstrdup(q->run_id) : NULL;
	p->q.name = q->name ? sp_xstrdup(q->name) : NULL;
	*out = p;
	return 0;
}

void sp_progress_free(struct sp_progress *p)
{
	if (!p)
		return;
	sp_query_release(&p->q);
	free(p->path);
	free(p);
}

static void add_raw(struct json_object *o, const char *key, const char *json)
{
	struct json_object *v;

	if (json && (v = json_tokener_parse(json)))
		json_object_object_add(o, key, v);
}

static void add_ts(struct json_object *o, const char *key, int64_t us)
{
	char buf[SP_TS_BUFSZ];

	if (us == INT64_MIN)
		return;
	sp_ts_format_iso(us, buf);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static double rate(uint64_t rows, int64_t us)
{
	return us > 0 ? (double)rows * 1e6 / (double)us : 0.0;
}

/* Keeps the newest SP_PROGRESS_KEEP lines. */
static int trim(struct sp_progress *p, struct sp_err *err)
{
	FILE *f = fopen(p->path, "r");
	struct sp_buf all = SP_BUF_INIT;
	char chunk[65536];
	size_t n, skip, seen = 0, from = 0;
	struct sp_output *o = NULL;
	int r;

	if (!f)
		return 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sp_buf_add(&all, chunk, n);
	fclose(f);
	skip = p->lines > SP_PROGRESS_KEEP ? p->lines - SP_PROGRESS_KEEP : 0;
	for (size_t i = 0; i < all.len && seen < skip; i++)
		if (all.p[i] == '\n' && ++seen == skip)
			from = i + 1;
	r = sp_output_open(&o, p->path, err);
	if (r == 0)
		r = sp_output_write(o, all.p + from, all.len - from, err);
	if (r == 0)
		r = sp_output_commit(o, err);
	sp_output_free(o);
	sp_buf_release(&all);
	if (r == 0)
		p->lines -= skip;
	return r;
}

int sp_progress_write(struct sp_progress *p, const struct sp_progress_batch *b, struct sp_err *err)
{
	struct json_object *o = json_object_new_object(), *d, *ev;
	int64_t now = sp_mono_us(), since = p->last_start ? now - b->duration_us - p->last_start : b->duration_us;
	const char *line;
	int r = 0;

	p->last_start = now - b->duration_us;
	json_object_object_add(o, "id", p->q.id ? json_object_new_string(p->q.id) : NULL);
	json_object_object_add(o, "runId", p->q.run_id ? json_object_new_string(p->q.run_id) : NULL);
	json_object_object_add(o, "name", p->q.name ? json_object_new_string(p->q.name) : NULL);
	add_ts(o, "timestamp", sp_now_us());
	json_object_object_add(o, "batchId", json_object_new_int64(b->id));
	json_object_object_add(o, "numInputRows", json_object_new_int64((int64_t)b->input_rows));
	json_object_object_add(o, "inputRowsPerSecond", json_object_new_double(rate(b->input_rows, since)));
	json_object_object_add(o, "processedRowsPerSecond", json_object_new_double(rate(b->input_rows, b->duration_us)));
	d = b->durations ? json_tokener_parse(b->durations) : NULL;
	if (!d)
		d = json_object_new_object();
	json_object_object_add(d, "triggerExecution", json_object_new_int64(b->duration_us / 1000));
	json_object_object_add(o, "durationMs", d);
	ev = json_object_new_object();
	add_ts(ev, "max", b->ev_max);
	add_ts(ev, "min", b->ev_min);
	add_ts(ev, "watermark", b->watermark);
	json_object_object_add(o, "eventTime", ev);
	add_raw(o, "stateOperators", b->state ? b->state : "[]");
	add_raw(o, "sources", b->sources ? b->sources : "[]");
	add_raw(o, "sink", b->sink);
	line = sp_jsonc_text(o);
	if (p->fd >= 0) {
		struct sp_buf l = SP_BUF_INIT;

		sp_buf_puts(&l, line);
		sp_buf_addc(&l, '\n');
		r = sp_write_all(p->fd, l.p, l.len, "the progress descriptor", err);
		sp_buf_release(&l);
	}
	if (r == 0 && p->path) {
		int fd = open(p->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || dprintf(fd, "%s\n", line) < 0)
			r = sp_err_sys(err, "cannot write '%s'", p->path);
		if (fd >= 0)
			close(fd);
		if (r == 0 && ++p->lines >= 2 * SP_PROGRESS_KEEP)
			r = trim(p, err);
	}
	json_object_put(o);
	return r;
}

char *sp_op_progress_json(const struct sp_op_progress *op)
{
	return sp_xasprintf("[{\"operatorName\":\"%s\",\"numRowsTotal\":%llu,\"numRowsUpdated\":%llu,"
			    "\"allUpdatesTimeMs\":%lld,\"numRowsRemoved\":%llu,\"allRemovalsTimeMs\":%lld,"
			    "\"commitTimeMs\":%lld,\"memoryUsedBytes\":%llu,\"numRowsDroppedByWatermark\":%llu,"
			    "\"numShufflePartitions\":1,\"numStateStoreInstances\":1,\"stateBytesWritten\":%llu,"
			    "\"customMetrics\":%s}]",
			    op->name, (unsigned long long)op->rows_total, (unsigned long long)op->rows_updated,
			    (long long)(op->updates_us / 1000), (unsigned long long)op->rows_removed,
			    (long long)(op->removals_us / 1000), (long long)(op->commit_us / 1000),
			    (unsigned long long)op->memory, (unsigned long long)op->rows_late,
			    (unsigned long long)op->bytes_written, op->custom ? op->custom : "{}");
}
