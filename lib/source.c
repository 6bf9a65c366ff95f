/*
 * source.c: the engine of stream-read, shared by every kind of source.
 *
 * With --checkpoint, each batch is planned first (the source says which
 * files and bytes, which Kafka offsets, which rate values), written to
 * DIR/offsets/N, then emitted; the sink records each batch it commits in
 * DIR/commits/N. A restart replays, from their logged offsets, the planned
 * batches that no sink committed, then plans new ones:
 *
 *   offsets/ 0 1 2 3      commits/ 0 1      restart: replay 2, 3; plan 4
 *
 * That is the exactly-once half a source is responsible for. Without a
 * checkpoint the same loop runs with nothing written.
 */
#include "source.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonc.h"
#include "progress.h"
#include "query.h"
#include "timefmt.h"

/* Offsets and commits kept below the last commit, as Spark's minBatchesToRetain. */
#define RETAIN 100
/* Idle polling, and heartbeats while idle. */
#define POLL_US 100000
#define HEARTBEAT_US 10000000
/* While idle, the sink's commits are looked at this often (for the source's commit hook). */
#define COMMITS_US 1000000
/* After the end of stream, how long the last commit is waited for. */
#define LAST_COMMIT_US 30000000

struct engine {
	struct sp_srcimpl *impl;
	const struct sp_source_args *a;
	struct sp_writer *wr;
	struct sp_log *offsets, *commits;
	struct sp_query q;
	struct sp_progress *progress;
	int64_t next;			/* next batch id */
};

int sp_srcimpl_rows(struct sp_srcimpl *impl, struct sp_batch *b, struct sp_err *err)
{
	if (!b->n)
		return 0;
	if (sp_writer_rows(impl->wr, b, err) < 0)
		return -1;
	impl->batch_rows += b->n;
	sp_batch_reset(b);
	return 0;
}

char *sp_source_member(const char *entry, const char *key, struct sp_err *err)
{
	struct json_object *o = json_tokener_parse(entry), *m;
	char *s = NULL;

	if (o && json_object_object_get_ex(o, key, &m))
		s = sp_xstrdup(sp_jsonc_text(m));
	else
		sp_err_set(err, "bad offsets log entry: '%.80s'", entry);
	json_object_put(o);
	return s;
}

/*
 * Emits batch id from its offsets entry: begin, rows, end, progress. plan_us
 * and wal_us: the time planning it and writing its offsets took (0 for a
 * replayed batch), for the progress's durationMs.
 */
static int emit_batch(struct engine *e, int64_t id, const char *entry, int64_t plan_us, int64_t wal_us,
		      struct sp_err *err)
{
	struct sp_batch_info bi = { id, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };
	int64_t t0 = sp_mono_us();
	int r;

	e->impl->batch_rows = 0;
	if (sp_writer_begin(e->wr, &bi, err) < 0 || e->impl->ops->read(e->impl, id, entry, err) < 0)
		return -1;
	bi.rows = e->impl->batch_rows;
	bi.meta = sp_xasprintf("{\"source\":%s}", entry);
	r = sp_writer_end(e->wr, &bi, err);
	free(bi.meta);
	if (r == 0)
		r = sp_writer_flush(e->wr, err);
	if (r == 0 && e->progress) {
		int64_t get = sp_mono_us() - t0;
		struct sp_progress_batch pb = { id, bi.rows, plan_us + wal_us + get, SP_NO_WATERMARK, INT64_MIN,
						INT64_MIN, NULL, NULL, NULL, NULL };
		char *src = e->impl->ops->progress ? e->impl->ops->progress(e->impl, id, entry, bi.rows) : NULL;
		char *durations = sp_xasprintf("{\"latestOffset\":%lld,\"walCommit\":%lld,\"getBatch\":%lld}",
					       (long long)(plan_us / 1000), (long long)(wal_us / 1000),
					       (long long)(get / 1000));

		pb.sources = src;
		pb.durations = durations;
		r = sp_progress_write(e->progress, &pb, err);
		free(src);
		free(durations);
	}
	return r;
}

/* Looks at the sink's commits again (it writes them while we run) and tells the source. */
static int committed(struct engine *e, int64_t last, struct sp_err *err)
{
	struct sp_log *fresh = NULL;

	if (!e->offsets)
		return e->impl->ops->committed ? e->impl->ops->committed(e->impl, last, -1, err) : 0;
	if (sp_log_open(&fresh, sp_log_dir(e->commits), err) < 0)
		return -1;
	sp_log_free(e->commits);
	e->commits = fresh;
	if (!e->impl->ops->committed)
		return 0;
	return e->impl->ops->committed(e->impl, last, sp_log_latest(fresh), err);
}

static int open_checkpoint(struct engine *e, struct sp_err *err)
{
	const char *dir = e->a->checkpoint;
	char *abs, *p;
	int r;

	if (sp_ckdir_open(dir, "stream-read", NULL, &e->q.id, err) < 0)
		return -1;
	abs = realpath(dir, NULL);
	e->q.checkpoint = abs ? abs : sp_xstrdup(dir);
	e->q.run_id = sp_uuid_new();
	e->q.name = e->a->name ? sp_xstrdup(e->a->name) : NULL;
	p = sp_xasprintf("%s/offsets", dir);
	r = sp_log_open(&e->offsets, p, err);
	free(p);
	p = sp_xasprintf("%s/commits", dir);
	if (r == 0)
		r = sp_log_open(&e->commits, p, err);
	free(p);
	if (r == 0)
		e->next = sp_log_latest(e->offsets) + 1;
	return r;
}

/* After each batch: tell the source what was committed, purge old log entries. */
static int maintain(struct engine *e, struct sp_err *err)
{
	int64_t done, last = e->next - 1;
	int r;

	if (committed(e, last, err) < 0)
		return -1;
	if (!e->offsets)
		return 0;
	/* Keep what a restart needs: uncommitted batches, and what the source asks to keep. */
	done = sp_log_latest(e->commits);
	r = 0;
	if (done - RETAIN > 0) {
		int64_t below = done - RETAIN;

		if (below > e->impl->keep)
			below = e->impl->keep;
		r = sp_log_purge(e->offsets, below, err);
		if (r == 0)
			r = sp_log_purge(e->commits, below, err);
	}
	return r;
}

/* Plans the next batch, writes it to the offsets log, and emits it. SP_PLAN_*, or -1. */
static int next_batch(struct engine *e, struct sp_err *err)
{
	char *members = NULL, *entry;
	int64_t t0 = sp_mono_us(), t1, t2;
	int r;

	if ((r = e->impl->ops->plan(e->impl, e->a->trigger, &members, err)) != SP_PLAN_BATCH)
		return r;
	entry = sp_xasprintf("{\"batchId\":%lld,\"timestampMs\":%lld,%s}", (long long)e->next,
			     (long long)(sp_now_us() / 1000), members);
	free(members);
	t1 = sp_mono_us();
	r = e->offsets ? sp_log_put(e->offsets, e->next, entry, err) : 0;
	t2 = sp_mono_us();
	if (r == 0)
		r = emit_batch(e, e->next, entry, t1 - t0, t2 - t1, err);
	free(entry);
	if (r < 0)
		return -1;
	e->next++;
	return maintain(e, err) < 0 ? -1 : SP_PLAN_BATCH;
}

/* Re-emits the planned batches that no sink has committed. */
static int replay(struct engine *e, struct sp_err *err)
{
	for (int64_t b = sp_log_latest(e->commits) + 1; b < e->next && sp_running(); b++) {
		char *text = NULL;
		int r;

		if (sp_log_get(e->offsets, b, &text, err) != 0) {
			if (!err->set)
				sp_err_set(err, "offsets log entry %lld is missing in '%s' (remove the checkpoint to start over)",
					   (long long)b, sp_log_dir(e->offsets));
			return -1;
		}
		if (sp_verbose > 1)
			sp_warn("replaying batch %lld", (long long)b);
		r = emit_batch(e, b, text, 0, 0, err);
		free(text);
		if (r < 0)
			return -1;
	}
	return 0;
}

static void wait_data(struct engine *e, int64_t timeout)
{
	if (e->impl->ops->wait)
		e->impl->ops->wait(e->impl, timeout);
	else
		usleep((useconds_t)timeout);
}

/*
 * The trigger loop. once: one batch of everything there; availableNow:
 * batches until nothing is left; otherwise batches as data comes (at most
 * one per interval with processingTime), heartbeats while idle, until the
 * source ends or SIGTERM.
 */
static int loop(struct engine *e, struct sp_err *err)
{
	const struct sp_source_args *a = e->a;
	int64_t last_beat = sp_mono_us(), last_look = sp_mono_us(), start;
	int r = 0;

	if (e->offsets && replay(e, err) < 0)
		return -1;
	while (sp_running()) {
		start = sp_mono_us();
		if ((r = next_batch(e, err)) < 0 || r == SP_PLAN_END || a->trigger == SP_TRIG_ONCE)
			break;
		if (r == SP_PLAN_NONE && a->trigger == SP_TRIG_AVAILABLE_NOW)
			break;
		if (e->impl->bounded && r == SP_PLAN_BATCH)
			continue;
		if (r == SP_PLAN_NONE && sp_mono_us() - last_beat >= HEARTBEAT_US) {
			if (sp_writer_heartbeat(e->wr, sp_now_us(), err) < 0 || sp_writer_flush(e->wr, err) < 0) {
				r = -1;
				break;
			}
			last_beat = sp_mono_us();
		}
		if (r == SP_PLAN_BATCH)
			last_beat = sp_mono_us();
		if (r == SP_PLAN_NONE && e->impl->ops->committed && sp_mono_us() - last_look >= COMMITS_US) {
			if (committed(e, e->next - 1, err) < 0) {
				r = -1;
				break;
			}
			last_look = sp_mono_us();
		}
		if (a->trigger == SP_TRIG_INTERVAL && a->interval > sp_mono_us() - start)
			usleep((useconds_t)(a->interval - (sp_mono_us() - start)));
		else if (r == SP_PLAN_NONE)
			wait_data(e, POLL_US);
	}
	return r < 0 ? -1 : 0;
}

/*
 * After the end of stream, the sink commits the last batch: waits for that
 * commit, or for the sink to go away (our standard output's reader closes),
 * so that the source's commit hook sees it.
 */
static int await_last_commit(struct engine *e, struct sp_err *err)
{
	struct pollfd pfd = { STDOUT_FILENO, 0, 0 };
	int64_t until = sp_mono_us() + LAST_COMMIT_US;

	for (;;) {
		if (committed(e, e->next - 1, err) < 0)
			return -1;
		if (sp_log_latest(e->commits) >= e->next - 1 || sp_mono_us() > until)
			return 0;
		if (poll(&pfd, 1, 50) > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
			return committed(e, e->next - 1, err);
	}
}

int sp_source_run(struct sp_srcimpl *impl, const struct sp_source_args *a, struct sp_writer *wr,
		  struct sp_err *err)
{
	struct engine e;
	int r = -1;

	memset(&e, 0, sizeof e);
	e.impl = impl;
	e.a = a;
	e.wr = wr;
	impl->wr = wr;
	if (a->checkpoint && open_checkpoint(&e, err) < 0)
		goto done;
	if (impl->ops->start(impl, a->checkpoint, e.offsets, err) < 0)
		goto done;
	/* Cleaning up after committed batches is idempotent: redo it at start. */
	if (e.offsets && committed(&e, -1, err) < 0)
		goto done;
	if (a->checkpoint || a->progress_fd >= 0)
		if (sp_progress_open(&e.progress, a->checkpoint, a->progress_fd, &e.q, err) < 0)
			goto done;
	if (e.q.id) {
		char *info = sp_query_info_new(&e.q);

		r = sp_writer_info(wr, info, err);
		free(info);
		if (r < 0)
			goto done;
		r = -1;
	}
	if (sp_writer_schema(wr, impl->schema, err) < 0 || loop(&e, err) < 0)
		goto done;
	if (sp_stop_signal() == SIGINT) {
		/* SIGINT aborts (SIGTERM ends after the current batch): downstream discards the open batch. */
		sp_err_set(err, "interrupted");
		goto done;
	}
	if (sp_writer_eos(wr, err) < 0)
		goto done;
	if (impl->await_commit && e.offsets && e.next > 0 && await_last_commit(&e, err) < 0)
		goto done;
	r = impl->ops->finish ? impl->ops->finish(impl, err) : 0;
done:
	impl->ops->free(impl);
	sp_log_free(e.offsets);
	sp_log_free(e.commits);
	sp_progress_free(e.progress);
	sp_query_release(&e.q);
	return r;
}
