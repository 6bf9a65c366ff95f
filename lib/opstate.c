/*
 * opstate.c: the checkpoint of a stateful operator (see opstate.h).
 */
#include "opstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Versions of the state kept on disk, as Spark's minBatchesToRetain. */
#define RETAIN 100

int sp_opck_init(struct sp_opck *c, const char *tool, const char *dir, int progress_fd,
		 const struct sp_opstate_ops *ops, void *op, struct sp_err *err)
{
	memset(c, 0, sizeof *c);
	c->tool = tool;
	c->dir = dir;
	c->ops = ops;
	c->op = op;
	c->progress_fd = progress_fd;
	c->version = -2;
	if (!dir && progress_fd >= 0)
		return sp_progress_open(&c->progress, NULL, progress_fd, &c->q, err);
	return 0;
}

/* Opens the directory, bound to the stream's query (info) or, without one, to an id of its own. */
static int ck_open(struct sp_opck *c, const char *info, struct sp_err *err)
{
	char *id = NULL, *dir;
	int r;

	if (c->st)
		return 0;
	if (info && sp_query_parse(&c->q, info, err) < 0)
		return -1;
	if (sp_ckdir_open(c->dir, c->tool, info ? &c->q : NULL, &id, err) < 0)
		return -1;
	if (!info)
		c->q.id = id;
	else
		free(id);
	dir = sp_xasprintf("%s/state", c->dir);
	r = sp_state_open(&c->st, dir, err);
	free(dir);
	if (r == 0)
		r = sp_progress_open(&c->progress, c->dir, c->progress_fd, &c->q, err);
	return r;
}

int sp_opck_info(struct sp_opck *c, const char *info, struct sp_err *err)
{
	return c->dir ? ck_open(c, info, err) : 0;
}

static int restore_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
	struct sp_opck *c = ctx;

	c->ops->restore(c->op, k, kl, v, vl);
	return 0;
}

int sp_opck_begin(struct sp_opck *c, int64_t id, struct sp_err *err)
{
	int64_t latest;

	if (!c->dir || c->version == id - 1)
		return 0;
	if (ck_open(c, NULL, err) < 0)
		return -1;
	latest = sp_state_latest(c->st);
	if (id - 1 > latest)
		return sp_err_set(err, "checkpoint '%s' has no state for batch %lld (it has %s%lld), but the input "
				  "goes on with batch %lld: it belongs to another run (remove it to start over)",
				  c->dir, (long long)id - 1, latest < 0 ? "none, latest " : "up to ", (long long)latest,
				  (long long)id);
	if (sp_verbose > 1)
		sp_warn("restoring the state of batch %lld from '%s'", (long long)id - 1, c->dir);
	c->ops->clear(c->op);
	if (sp_state_restore(c->st, id - 1, restore_entry, c, err) < 0 || c->ops->restored(c->op, err) < 0) {
		sp_err_prefix(err, "checkpoint '%s'", c->dir);
		return -1;
	}
	c->version = id - 1;
	return 0;
}

static void put_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
	sp_state_put(ctx, k, kl, v, vl);
}

static void del_entry(void *ctx, const void *k, size_t kl)
{
	sp_state_del(ctx, k, kl);
}

static int dump_all(void *ctx, sp_state_emit_fn emit, void *ectx)
{
	struct sp_opck *c = ctx;

	c->ops->dump(c->op, emit, ectx);
	return 0;
}

int sp_opck_commit(struct sp_opck *c, int64_t id, struct sp_err *err)
{
	if (!c->dir)
		return 0;
	if (ck_open(c, NULL, err) < 0)
		return -1;
	c->ops->changes(c->op, put_entry, del_entry, c->st);
	if (sp_state_commit(c->st, id, dump_all, c, err) < 0)
		return -1;
	c->version = id;
	c->last_bytes = sp_state_bytes_written(c->st);
	return id > RETAIN ? sp_state_purge(c->st, id - RETAIN, err) : 0;
}

int sp_opck_progress(struct sp_opck *c, const struct sp_progress_batch *pb, struct sp_err *err)
{
	return c->progress ? sp_progress_write(c->progress, pb, err) : 0;
}

void sp_opck_release(struct sp_opck *c)
{
	sp_state_free(c->st);
	sp_progress_free(c->progress);
	sp_query_release(&c->q);
	c->st = NULL;
	c->progress = NULL;
}
