/*
 * state.c: the versioned state store (see state.h).
 *
 * A delta or snapshot file holds records, each
 *   u8 op (1 = put, 2 = delete), u32 key length, u32 value length, key, value
 * little-endian, one after the other. Restoring builds a temporary hash map
 * of key -> value over the loaded files (entries point into the file
 * buffers), then hands every live entry to the tool.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ckpt.h"

enum { OP_PUT = 1, OP_DEL = 2 };

struct sp_state {
	char *dir;
	int64_t latest;		/* highest version on disk */
	int64_t base;		/* version the pending changes apply to */
	struct sp_buf log;	/* pending changes */
	uint64_t written;
};

static char *file_name(const struct sp_state *st, int64_t v, const char *kind)
{
	return sp_xasprintf("%s/%lld.%s", st->dir, (long long)v, kind);
}

/* Calls fn for every "N.kind" file in the directory. */
static int scan(const struct sp_state *st, void (*fn)(void *, int64_t, int), void *ctx, struct sp_err *err)
{
	DIR *d = opendir(st->dir);
	struct dirent *de;

	if (!d)
		return sp_err_sys(err, "cannot open state directory '%s'", st->dir);
	while ((de = readdir(d))) {
		char *end;
		long long v = strtoll(de->d_name, &end, 10);

		if (end == de->d_name || v < 0)
			continue;
		if (!strcmp(end, ".delta"))
			fn(ctx, v, 0);
		else if (!strcmp(end, ".snapshot"))
			fn(ctx, v, 1);
	}
	closedir(d);
	return 0;
}

static void find_latest(void *ctx, int64_t v, int snap)
{
	int64_t *latest = ctx;

	if (!snap && v > *latest)
		*latest = v;
}

int sp_state_open(struct sp_state **out, const char *dir, struct sp_err *err)
{
	struct sp_state *st;

	if (sp_mkdirs(dir, err) < 0)
		return -1;
	st = sp_xcalloc(1, sizeof *st);
	st->dir = sp_xstrdup(dir);
	st->latest = -1;
	if (scan(st, find_latest, &st->latest, err) < 0) {
		sp_state_free(st);
		return -1;
	}
	st->base = st->latest;
	*out = st;
	return 0;
}

int64_t sp_state_latest(const struct sp_state *st)
{
	return st->latest;
}

static void put_record(struct sp_buf *b, int op, const void *k, size_t kl, const void *v, size_t vl)
{
	uint32_t n[2] = { (uint32_t)kl, (uint32_t)vl };

	sp_buf_addc(b, (char)op);
	sp_buf_add(b, n, sizeof n);
	sp_buf_add(b, k, kl);
	sp_buf_add(b, v, vl);
}

void sp_state_put(struct sp_state *st, const void *key, size_t klen, const void *val, size_t vlen)
{
	put_record(&st->log, OP_PUT, key, klen, val, vlen);
}

void sp_state_del(struct sp_state *st, const void *key, size_t klen)
{
	put_record(&st->log, OP_DEL, key, klen, NULL, 0);
}

/* ---- restoring ---- */

struct entry {
	uint64_t hash;
	const char *key, *val;	/* key NULL: empty slot */
	uint32_t klen, vlen;
	int live;
};

struct map {
	struct entry *e;
	size_t cap, used;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *s++) * 0x100000001b3ull;
	return h | 1;
}

static void map_set(struct map *m, const char *k, uint32_t kl, const char *v, uint32_t vl, int live)
{
	uint64_t h = hash_bytes(k, kl);
	size_t i;

	if ((m->used + 1) * 2 > m->cap) {
		struct map big = { sp_xcalloc(m->cap ? m->cap * 2 : 1024, sizeof *big.e), m->cap ? m->cap * 2 : 1024, 0 };

		for (size_t j = 0; j < m->cap; j++)
			if (m->e[j].key)
				map_set(&big, m->e[j].key, m->e[j].klen, m->e[j].val, m->e[j].vlen, m->e[j].live);
		free(m->e);
		*m = big;
	}
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct entry *e = &m->e[i];

		if (!e->key) {
			*e = (struct entry){ h, k, v, kl, vl, live };
			m->used++;
			return;
		}
		if (e->hash == h && e->klen == kl && !memcmp(e->key, k, kl)) {
			e->val = v;
			e->vlen = vl;
			e->live = live;
			return;
		}
	}
}

static int apply(struct map *m, const char *p, size_t n, const char *path, struct sp_err *err)
{
	const char *end = p + n;

	while (p < end) {
		uint32_t len[2];

		if ((size_t)(end - p) < 9 || (*p != OP_PUT && *p != OP_DEL))
			return sp_err_set(err, "state file '%s' is corrupt: bad record", path);
		memcpy(len, p + 1, 8);
		if ((size_t)(end - p - 9) < (size_t)len[0] + len[1])
			return sp_err_set(err, "state file '%s' is corrupt: record overruns the file", path);
		map_set(m, p + 9, len[0], p + 9 + len[0], len[1], *p == OP_PUT);
		p += 9 + (size_t)len[0] + len[1];
	}
	return 0;
}

struct snapscan {
	int64_t v, best;
};

static void find_snapshot(void *ctx, int64_t v, int snap)
{
	struct snapscan *s = ctx;

	if (snap && v <= s->v && v > s->best)
		s->best = v;
}

int sp_state_restore(struct sp_state *st, int64_t v, sp_state_each_fn each, void *ctx, struct sp_err *err)
{
	struct snapscan ss = { v, -1 };
	struct map m = { NULL, 0, 0 };
	void **bufs = NULL;
	size_t nbufs = 0;
	int r = -1;

	sp_buf_reset(&st->log);
	if (v > st->latest)
		return sp_err_set(err, "state version %lld is not in '%s' (latest is %lld)", (long long)v, st->dir,
				  (long long)st->latest);
	if (v >= 0 && scan(st, find_snapshot, &ss, err) < 0)
		return -1;
	for (int64_t k = ss.best >= 0 ? ss.best : 0; k <= v; k++) {
		int snap = k == ss.best;
		char *path = file_name(st, k, snap ? "snapshot" : "delta");
		void *data;
		size_t len;
		int got = sp_ckpt_read(path, &data, &len, err);

		if (got == 1)
			sp_err_set(err, "state file '%s' is missing: the state of version %lld cannot be rebuilt "
				   "(remove the checkpoint directory to start over)", path, (long long)v);
		if (got != 0) {
			free(path);
			goto done;
		}
		bufs = sp_xrealloc(bufs, (nbufs + 1) * sizeof *bufs);
		bufs[nbufs++] = data;
		if (apply(&m, data, len, path, err) < 0) {
			free(path);
			goto done;
		}
		free(path);
		if (snap && ss.best == v)
			break;
	}
	for (size_t i = 0; i < m.cap; i++)
		if (m.e[i].key && m.e[i].live && each(ctx, m.e[i].key, m.e[i].klen, m.e[i].val, m.e[i].vlen)) {
			sp_err_set(err, "restoring state version %lld from '%s' failed", (long long)v, st->dir);
			goto done;
		}
	st->base = v;
	r = 0;
done:
	for (size_t i = 0; i < nbufs; i++)
		free(bufs[i]);
	free(bufs);
	free(m.e);
	return r;
}

/* ---- committing ---- */

static void emit_into(void *ectx, const void *key, size_t klen, const void *val, size_t vlen)
{
	put_record(ectx, OP_PUT, key, klen, val, vlen);
}

struct remove_ctx {
	const struct sp_state *st;
	int64_t from;		/* remove versions >= from */
	int64_t below;		/* or: snapshots < below, deltas <= below */
	int failed;
};

static void remove_after(void *ctx, int64_t v, int snap)
{
	struct remove_ctx *rc = ctx;
	char *path;

	if (v < rc->from)
		return;
	path = file_name(rc->st, v, snap ? "snapshot" : "delta");
	if (unlink(path) < 0 && errno != ENOENT)
		rc->failed = 1;
	free(path);
}

int sp_state_commit(struct sp_state *st, int64_t v, sp_state_dump_fn dump, void *ctx, struct sp_err *err)
{
	struct remove_ctx rc = { st, v, 0, 0 };
	char *path;
	int r;

	if (v != st->base + 1)
		return sp_err_set(err, "state of '%s': committing version %lld after version %lld", st->dir,
				  (long long)v, (long long)st->base);
	if (v <= st->latest && (scan(st, remove_after, &rc, err) < 0 || rc.failed))
		return rc.failed ? sp_err_sys(err, "cannot remove old state in '%s'", st->dir) : -1;
	path = file_name(st, v, "delta");
	r = sp_ckpt_write(path, st->log.p ? st->log.p : "", st->log.len, SP_CKPT_ZSTD, err);
	free(path);
	if (r < 0)
		return -1;
	st->written = st->log.len;
	sp_buf_reset(&st->log);
	if (dump && v > 0 && v % SP_STATE_SNAPSHOT_EVERY == 0) {
		struct sp_buf snap = SP_BUF_INIT;

		if (dump(ctx, emit_into, &snap)) {
			sp_buf_release(&snap);
			return sp_err_set(err, "state of '%s': writing the snapshot of version %lld failed", st->dir,
					  (long long)v);
		}
		path = file_name(st, v, "snapshot");
		r = sp_ckpt_write(path, snap.p ? snap.p : "", snap.len, SP_CKPT_ZSTD, err);
		st->written += snap.len;
		free(path);
		sp_buf_release(&snap);
		if (r < 0)
			return -1;
	}
	st->base = st->latest = v;
	return 0;
}

static void remove_before(void *ctx, int64_t v, int snap)
{
	struct remove_ctx *rc = ctx;
	char *path;

	if (snap ? v >= rc->below : v > rc->below)
		return;
	path = file_name(rc->st, v, snap ? "snapshot" : "delta");
	if (unlink(path) < 0 && errno != ENOENT)
		rc->failed = 1;
	free(path);
}

int sp_state_purge(struct sp_state *st, int64_t keep, struct sp_err *err)
{
	struct snapscan ss = { keep, -1 };
	struct remove_ctx rc = { st, 0, 0, 0 };

	if (scan(st, find_snapshot, &ss, err) < 0)
		return -1;
	if (ss.best < 0)
		return 0;
	rc.below = ss.best;
	if (scan(st, remove_before, &rc, err) < 0)
		return -1;
	return rc.failed ? sp_err_sys(err, "cannot remove old state in '%s'", st->dir) : 0;
}

uint64_t sp_state_bytes_written(const struct sp_state *st)
{
	return st->written;
}

void sp_state_free(struct sp_state *st)
{
	if (!st)
		return;
	sp_buf_release(&st->log);
	free(st->dir);
	free(st);
}
