/*
 * filesrc.c: the file source (see filesrc.h).
 *
 * The seen set is a hash map from path to modification time. Planning
 * lists the inputs, drops what was seen, what is too old, and (in a
 * continuous run) what changed since the previous listing, then takes the
 * oldest files first, as Spark does, up to the per-trigger limits.
 */
#include "filesrc.h"

#include <errno.h>
#include <fcntl.h>
#include "jsonc.h"
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "input.h"
#include "timefmt.h"

/* ---- a string-keyed map of (a, b) pairs ---- */

struct slot {
	char *key;		/* NULL: empty; TOMB: removed */
	int64_t a, b;
};

static char tomb[1];
#define TOMB tomb

struct smap {
	struct slot *s;
	size_t cap, used, live;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

static struct slot *smap_find(const struct smap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct slot *sl = &m->s[i];

		if (!sl->key)
			return NULL;
		if (sl->key != TOMB && !strcmp(sl->key, key))
			return sl;
	}
}

static void smap_put(struct smap *m, const char *key, int64_t a, int64_t b)
{
	struct slot *sl = smap_find(m, key);

	if (sl) {
		sl->a = a;
		sl->b = b;
		return;
	}
	if ((m->used + 1) * 2 > m->cap) {
		struct smap big = { sp_xcalloc(m->cap ? m->cap * 2 : 64, sizeof *big.s), m->cap ? m->cap * 2 : 64, 0, 0 };

		for (size_t i = 0; i < m->cap; i++)
			if (m->s[i].key && m->s[i].key != TOMB) {
				smap_put(&big, m->s[i].key, m->s[i].a, m->s[i].b);
				free(m->s[i].key);
			}
		free(m->s);
		*m = big;
	}
	for (size_t i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->s[i].key) {
			m->s[i] = (struct slot){ sp_xstrdup(key), a, b };
			m->used++;
			m->live++;
			return;
		}
}

static void smap_del(struct smap *m, struct slot *sl)
{
	free(sl->key);
	sl->key = TOMB;
	m->live--;
}

static void smap_release(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key && m->s[i].key != TOMB)
			free(m->s[i].key);
	free(m->s);
	memset(m, 0, sizeof *m);
}

/* ---- the source ---- */

struct sp_filesrc {
	struct sp_filesrc_opts o;
	struct smap seen;	/* path -> (mtime, -) */
	struct smap pending;	/* path -> (size, mtime) at the previous listing */
	struct smap tails;	/* followed files: path -> (inode, offset read up to) */
	int64_t max_mtime;	/* newest modification time seen */
};

void sp_filesrc_opts_read(struct sp_filesrc_opts *o, struct sp_kvs *kv)
{
	const char *age = sp_kvs_get(kv, "maxFileAge", "7 days");
	const char *clean = sp_kvs_get(kv, "cleanSource", "off");
	struct sp_err err = SP_ERR_INIT;

	o->max_files = sp_kvs_long(kv, "maxFilesPerTrigger", 0, 1, INT64_MAX);
	o->max_bytes = sp_kvs_long(kv, "maxBytesPerTrigger", 0, 1, INT64_MAX);
	if (sp_duration_parse(age, &o->max_file_age, "option -o maxFileAge", &err) < 0 || o->max_file_age < 0)
		sp_usage_error("%s", err.set ? err.msg : "option -o maxFileAge: negative");
	if (!strcasecmp(clean, "off"))
		o->clean = SP_CLEAN_OFF;
	else if (!strcasecmp(clean, "archive"))
		o->clean = SP_CLEAN_ARCHIVE;
	else if (!strcasecmp(clean, "delete"))
		o->clean = SP_CLEAN_DELETE;
	else
		sp_usage_error("option -o cleanSource=%s: expected off, archive or delete", clean);
	o->archive_dir = sp_kvs_get(kv, "sourceArchiveDir", NULL);
	if (o->clean == SP_CLEAN_ARCHIVE && !o->archive_dir)
		sp_usage_error("option -o cleanSource=archive needs -o sourceArchiveDir=DIR");
}

int sp_filesrc_new(struct sp_filesrc **out, const struct sp_filesrc_opts *o, struct sp_err *err)
{
	struct sp_filesrc *fs = sp_xcalloc(1, sizeof *fs);

	(void)err;
	fs->o = *o;
	fs->max_mtime = INT64_MIN;
	*out = fs;
	return 0;
}

void sp_filesrc_free(struct sp_filesrc *fs)
{
	if (!fs)
		return;
	smap_release(&fs->seen);
	smap_release(&fs->pending);
	smap_release(&fs->tails);
	free(fs);
}

size_t sp_filesrc_seen_count(const struct sp_filesrc *fs)
{
	return fs->seen.live;
}

/* Files named on the command line (pinned) are never forgotten: they are not subject to maxFileAge. */
static void see(struct sp_filesrc *fs, const char *path, int64_t mtime, int pinned)
{
	smap_put(&fs->seen, path, mtime, pinned);
	if (mtime > fs->max_mtime)
		fs->max_mtime = mtime;
}

/* Forgets files older than maxFileAge: they would be ignored by the listing anyway. */
static void forget_old(struct sp_filesrc *fs)
{
	int64_t cut;

	if (!fs->o.max_file_age || fs->max_mtime == INT64_MIN)
		return;
	cut = fs->max_mtime - fs->o.max_file_age;
	for (size_t i = 0; i < fs->seen.cap; i++) {
		struct slot *sl = &fs->seen.s[i];

		if (sl->key && sl->key != TOMB && !sl->b && sl->a < cut)
			smap_del(&fs->seen, sl);
	}
}

/* A directory or a pattern names a changing set of files; anything else is one file. */
static int is_explicit(const char *arg)
{
	struct stat st;

	return !strpbrk(arg, "*?[") && !(stat(arg, &st) == 0 && S_ISDIR(st.st_mode));
}

int sp_files_parse(const char *text, struct sp_file **files, size_t *n, struct sp_err *err)
{
	struct json_object *arr = json_tokener_parse(text), *o, *v;
	struct sp_file *f = NULL;
	size_t len;

	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return sp_err_set(err, "bad file list in the offsets log: '%.80s'", text);
	}
	len = json_object_array_length(arr);
	f = sp_xcalloc(len ? len : 1, sizeof *f);
	for (size_t i = 0; i < len; i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "path", &v) || !json_object_is_type(v, json_type_string)) {
			sp_files_free(f, i);
			json_object_put(arr);
			return sp_err_set(err, "bad file list in the offsets log: entry %zu has no path", i);
		}
		f[i].path = sp_xstrdup(json_object_get_string(v));
		f[i].size = json_object_object_get_ex(o, "size", &v) ? json_object_get_int64(v) : 0;
		f[i].mtime = json_object_object_get_ex(o, "mtime", &v) ? json_object_get_int64(v) : 0;
		f[i].start = json_object_object_get_ex(o, "start", &v) ? json_object_get_int64(v) : 0;
		f[i].end = json_object_object_get_ex(o, "end", &v) ? json_object_get_int64(v) : f[i].size;
		f[i].pinned = json_object_object_get_ex(o, "pinned", &v) && json_object_get_boolean(v);
		f[i].inode = json_object_object_get_ex(o, "inode", &v) ? json_object_get_int64(v) : 0;
	}
	json_object_put(arr);
	*files = f;
	*n = len;
	return 0;
}

void sp_files_free(struct sp_file *files, size_t n)
{
	if (!files)
		return;
	for (size_t i = 0; i < n; i++)
		free(files[i].path);
	free(files);
}

int sp_filesrc_note(struct sp_filesrc *fs, const char *batch_json, struct sp_err *err)
{
	struct sp_file *f;
	size_t n;

	if (sp_files_parse(batch_json, &f, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (f[i].inode)
			smap_put(&fs->tails, f[i].path, f[i].inode, f[i].end);
		else
			see(fs, f[i].path, f[i].mtime, f[i].pinned);
	sp_files_free(f, n);
	return 0;
}

static int ignored_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (base[0] == '.' || base[0] == '_')
		return 1;
	return (n > 4 && !strcmp(base + n - 4, ".tmp")) || (n > 5 && !strcmp(base + n - 5, ".part")) ||
	       (n > 11 && !strcmp(base + n - 11, ".crdownload"));
}

static int by_age(const void *a, const void *b)
{
	const struct sp_file *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int64_t mtime_us(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
}

static void add_candidate(struct sp_file **cand, size_t *n, size_t *cap, const char *path, int64_t size,
			  int64_t mtime, int pinned)
{
	sp_grow(cand, cap, *n + 1, sizeof **cand);
	(*cand)[(*n)++] = (struct sp_file){ sp_xstrdup(path), size, mtime, 0, size, pinned, 0 };
}


/* The offset just after the last newline in [from, size) of path, or from if there is none. */
static int64_t last_line_end(const char *path, int64_t from, int64_t size, struct sp_err *err)
{
	char buf[65536];
	int64_t pos = size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return sp_err_sys(err, "cannot open '%s'", path);
	while (pos > from) {
		int64_t n = pos - from < (int64_t)sizeof buf ? pos - from : (int64_t)sizeof buf;
		ssize_t got = pread(fd, buf, (size_t)n, pos - n);

		if (got != n) {
			close(fd);
			return sp_err_sys(err, "cannot read '%s'", path);
		}
		for (int64_t i = n - 1; i >= 0; i--)
			if (buf[i] == '\n') {
				close(fd);
				return pos - n + i + 1;
			}
		pos -= n;
	}
	close(fd);
	return from;
}

/* Followed file: the complete lines added since the last batch. */
static int plan_tail(struct sp_filesrc *fs, const char *path, struct sp_file **cand, size_t *n, size_t *cap,
		     struct sp_err *err)
{
	struct slot *t = smap_find(&fs->tails, path);
	int64_t from = 0, end;
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;	/* not there yet, or rotated away for a moment */
	if (t && t->a == (int64_t)st.st_ino && t->b <= st.st_size)
		from = t->b;
	if (st.st_size <= from || (end = last_line_end(path, from, st.st_size, err)) <= from)
		return err->set ? -1 : 0;
	add_candidate(cand, n, cap, path, st.st_size, mtime_us(&st), 1);
	(*cand)[*n - 1].start = from;
	(*cand)[*n - 1].end = end;
	(*cand)[*n - 1].inode = (int64_t)st.st_ino;
	return 0;
}

int sp_filesrc_plan(struct sp_filesrc *fs, int all, int settle, char **batch_json, struct sp_err *err)
{
	struct smap now = { NULL, 0, 0, 0 };
	struct sp_file *cand = NULL;
	size_t ncand = 0, cap = 0, take = 0;
	int64_t bytes = 0, cut;
	struct json_object *arr;

	*batch_json = NULL;
	cut = fs->o.max_file_age && fs->max_mtime != INT64_MIN ? fs->max_mtime - fs->o.max_file_age : INT64_MIN;
	for (size_t k = 0; k < fs->o.npaths; k++) {
		char **paths = NULL;
		size_t npaths = 0;

		if (fs->o.follow && is_explicit(fs->o.paths[k])) {
			if (plan_tail(fs, fs->o.paths[k], &cand, &ncand, &cap, err) < 0)
				goto fail;
			continue;
		}
		if (is_explicit(fs->o.paths[k])) {
			struct stat st;

			/* Named files are read even when they look old or temporary; a missing one is reported by the reader. */
			if (smap_find(&fs->seen, fs->o.paths[k]))
				continue;
			if (!strcmp(fs->o.paths[k], "-") || stat(fs->o.paths[k], &st) < 0)
				add_candidate(&cand, &ncand, &cap, fs->o.paths[k], 0, 0, 1);
			else
				add_candidate(&cand, &ncand, &cap, fs->o.paths[k], st.st_size, mtime_us(&st), 1);
			continue;
		}
		if (sp_paths_expand(&fs->o.paths[k], 1, &paths, &npaths, err) < 0) {
			/* A directory or glob that matches nothing yet is simply empty. */
			if (strncmp(err->msg, "no input matches", 16))
				goto fail;
			*err = (struct sp_err)SP_ERR_INIT;
			continue;
		}
		size_t first = ncand;

		for (size_t i = 0; i < npaths; i++) {
			struct stat st;
			struct slot *prev;

			if (ignored_name(paths[i]) || stat(paths[i], &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (smap_find(&fs->seen, paths[i]) || mtime_us(&st) < cut)
				continue;
			if (settle) {
				smap_put(&now, paths[i], st.st_size, mtime_us(&st));
				prev = smap_find(&fs->pending, paths[i]);
				if (!prev || prev->a != st.st_size || prev->b != mtime_us(&st))
					continue;
			}
			add_candidate(&cand, &ncand, &cap, paths[i], st.st_size, mtime_us(&st), 0);
		}
		sp_paths_free(paths, npaths);
		/* The files of a directory or pattern: oldest first, as Spark. */
		if (ncand - first > 1)
			qsort(cand + first, ncand - first, sizeof *cand, by_age);
	}
	if (settle) {
		smap_release(&fs->pending);
		fs->pending = now;
		now = (struct smap){ NULL, 0, 0, 0 };
	}
	while (take < ncand) {
		if (!all && fs->o.max_files && (long long)take >= fs->o.max_files)
			break;
		if (!all && fs->o.max_bytes && take && bytes + cand[take].size > fs->o.max_bytes)
			break;
		bytes += cand[take].size;
		take++;
	}
	if (take) {
		arr = json_object_new_array();
		for (size_t i = 0; i < take; i++) {
			struct json_object *o = json_object_new_object();
			struct slot *pend;

			json_object_object_add(o, "path", json_object_new_string(cand[i].path));
			json_object_object_add(o, "size", json_object_new_int64(cand[i].size));
			json_object_object_add(o, "mtime", json_object_new_int64(cand[i].mtime));
			json_object_object_add(o, "start", json_object_new_int64(cand[i].start));
			json_object_object_add(o, "end", json_object_new_int64(cand[i].end));
			json_object_array_add(arr, o);
			pend = smap_find(&fs->pending, cand[i].path);
			if (cand[i].pinned)
				json_object_object_add(o, "pinned", json_object_new_boolean(1));
			if (cand[i].inode) {
				json_object_object_add(o, "inode", json_object_new_int64(cand[i].inode));
				smap_put(&fs->tails, cand[i].path, cand[i].inode, cand[i].end);
			} else {
				see(fs, cand[i].path, cand[i].mtime, cand[i].pinned);
			}
			if (pend)
				smap_del(&fs->pending, pend);
		}
		*batch_json = sp_xstrdup(sp_jsonc_text(arr));
		json_object_put(arr);
		forget_old(fs);
	}
	sp_files_free(cand, ncand);
	return 0;
fail:
	smap_release(&now);
	sp_files_free(cand, ncand);
	return -1;
}

static int archive(const char *path, const char *dir, struct sp_err *err)
{
	char *abs = realpath(path, NULL), *dest, *copy;
	int r = 0;

	if (!abs)
		return errno == ENOENT ? 0 : sp_err_sys(err, "cannot archive '%s'", path);
	dest = sp_xasprintf("%s%s", dir, abs);
	copy = sp_xstrdup(dest);
	if (sp_mkdirs(dirname(copy), err) < 0 || rename(abs, dest) < 0)
		r = err->set ? -1 : sp_err_sys(err, "cannot move '%s' to '%s'", path, dest);
	free(copy);
	free(dest);
	free(abs);
	return r;
}

int sp_filesrc_clean(struct sp_filesrc *fs, const char *batch_json, struct sp_err *err)
{
	struct sp_file *f;
	size_t n;
	int r = 0;

	if (fs->o.clean == SP_CLEAN_OFF)
		return 0;
	if (sp_files_parse(batch_json, &f, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (fs->o.clean == SP_CLEAN_DELETE) {
			if (unlink(f[i].path) < 0 && errno != ENOENT)
				r = sp_err_sys(err, "cannot delete '%s'", f[i].path);
		} else {
			r = archive(f[i].path, fs->o.archive_dir, err);
		}
	}
	sp_files_free(f, n);
	return r;
}

char *sp_filesrc_seen_json(const struct sp_filesrc *fs)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char *s;

	for (size_t i = 0; i < fs->seen.cap; i++) {
		const struct slot *sl = &fs->seen.s[i];

		if (sl->key && sl->key != TOMB) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "path", json_object_new_string(sl->key));
			json_object_object_add(e, "mtime", json_object_new_int64(sl->a));
			json_object_array_add(arr, e);
		}
	}
	for (size_t i = 0; i < fs->tails.cap; i++) {
		const struct slot *sl = &fs->tails.s[i];

		if (sl->key && sl->key != TOMB) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "path", json_object_new_string(sl->key));
			json_object_object_add(e, "inode", json_object_new_int64(sl->a));
			json_object_object_add(e, "end", json_object_new_int64(sl->b));
			json_object_array_add(arr, e);
		}
	}
	json_object_object_add(o, "files", arr);
	s = sp_xstrdup(sp_jsonc_text(o));
	json_object_put(o);
	return s;
}

int sp_filesrc_seen_load(struct sp_filesrc *fs, const char *json, struct sp_err *err)
{
	struct json_object *o = json_tokener_parse(json), *arr;
	int r;

	if (!o || !json_object_object_get_ex(o, "files", &arr)) {
		json_object_put(o);
		return sp_err_set(err, "bad seen-files checkpoint");
	}
	r = sp_filesrc_note(fs, sp_jsonc_text(arr), err);
	json_object_put(o);
	return r;
}
