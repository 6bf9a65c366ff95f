/*
 * filesink.c: part files and the _spark_metadata manifest (see filesink.h).
 */
#include "filesink.h"

#include <dirent.h>
#include <errno.h>
#include "jsonc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ckpt.h"
#include "query.h"
#include "timefmt.h"

#define COMPACT_INTERVAL 10

struct sp_filesink {
	char *dir, *meta, *ext;
	int64_t latest;
	struct sp_output *part;
	char *part_path;
	char **live;		/* committed files, in order */
	size_t nlive;
};

/* ---- reading the manifest ---- */

struct entries {
	char **v;
	size_t n, cap;
};

static void entries_del(struct entries *e, const char *path)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->v[i], path)) {
			free(e->v[i]);
			memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof *e->v);
			e->n--;
			return;
		}
}

static int apply_file(struct entries *e, const char *file, struct sp_err *err)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int first = 1, r = 0;

	if (!f)
		return sp_err_sys(err, "cannot open manifest '%s'", file);
	while ((len = getline(&line, &cap, f)) > 0) {
		struct json_object *o, *p, *a;
		const char *path;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (first) {
			first = 0;
			if (strcmp(line, "v1")) {
				r = sp_err_set(err, "manifest '%s' has unknown version '%.20s'", file, line);
				break;
			}
			continue;
		}
		if (!len)
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_object_get_ex(o, "path", &p) || !json_object_object_get_ex(o, "action", &a)) {
			json_object_put(o);
			r = sp_err_set(err, "manifest '%s' has a bad entry: '%.80s'", file, line);
			break;
		}
		path = json_object_get_string(p);
		if (!strncmp(path, "file://", 7))
			path += 7;
		if (!strcmp(json_object_get_string(a), "delete")) {
			entries_del(e, path);
		} else {
			sp_grow(&e->v, &e->cap, e->n + 1, sizeof *e->v);
			e->v[e->n++] = sp_xstrdup(path);
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return r;
}

/* The batch ids present: the newest compact file and the plain entries after it. */
static int scan_meta(const char *meta, int64_t *latest, int64_t *compact, struct sp_err *err)
{
	DIR *d = opendir(meta);
	struct dirent *de;

	*latest = *compact = -1;
	if (!d)
		return sp_err_sys(err, "cannot open manifest directory '%s'", meta);
	while ((de = readdir(d))) {
		char *end;
		long long id = strtoll(de->d_name, &end, 10);

		if (end == de->d_name || de->d_name[0] == '-' || (*end && strcmp(end, ".compact")))
			continue;
		if (id > *latest)
			*latest = id;
		if (*end && id > *compact)
			*compact = id;
	}
	closedir(d);
	return 0;
}

static int load_entries(const char *meta, struct entries *e, int64_t *latest_out, struct sp_err *err)
{
	int64_t latest, compact;
	int r = 0;

	if (scan_meta(meta, &latest, &compact, err) < 0)
		return -1;
	for (int64_t id = compact >= 0 ? compact : 0; id <= latest && r == 0; id++) {
		char *file = sp_xasprintf("%s/%lld%s", meta, (long long)id, id == compact ? ".compact" : "");
		struct stat st;

		if (stat(file, &st) == 0)
			r = apply_file(e, file, err);
		else
			r = sp_err_set(err, "manifest entry '%s' is missing", file);
		free(file);
	}
	*latest_out = latest;
	return r;
}

int sp_manifest_files(const char *dir, char ***paths, size_t *n, struct sp_err *err)
{
	char *meta = sp_xasprintf("%s/_spark_metadata", dir);
	struct entries e = { NULL, 0, 0 };
	struct stat st;
	int64_t latest;

	if (stat(meta, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(meta);
		return 1;
	}
	if (load_entries(meta, &e, &latest, err) < 0) {
		for (size_t i = 0; i < e.n; i++)
			free(e.v[i]);
		free(e.v);
		free(meta);
		return -1;
	}
	free(meta);
	*paths = e.v;
	*n = e.n;
	return 0;
}

/* ---- writing ---- */

int sp_filesink_open(struct sp_filesink **out, const char *dir, const char *ext, struct sp_err *err)
{
	struct sp_filesink *fs;
	struct entries e = { NULL, 0, 0 };
	char *meta = sp_xasprintf("%s/_spark_metadata", dir);

	if (sp_mkdirs(meta, err) < 0) {
		free(meta);
		return -1;
	}
	fs = sp_xcalloc(1, sizeof *fs);
	fs->dir = realpath(dir, NULL);
	if (!fs->dir)
		fs->dir = sp_xstrdup(dir);
	fs->meta = meta;
	fs->ext = sp_xstrdup(ext);
	if (load_entries(meta, &e, &fs->latest, err) < 0) {
		fs->live = e.v;
		fs->nlive = e.n;
		sp_filesink_free(fs);
		return -1;
	}
	fs->live = e.v;
	fs->nlive = e.n;
	*out = fs;
	return 0;
}

int64_t sp_filesink_latest(const struct sp_filesink *fs)
{
	return fs->latest;
}

int sp_filesink_part(struct sp_filesink *fs, int64_t id, struct sp_output **o, struct sp_err *err)
{
	char *uuid = sp_uuid_new();

	free(fs->part_path);
	fs->part_path = sp_xasprintf("%s/part-%05lld-%s.c000.%s", fs->dir, (long long)id, uuid, fs->ext);
	free(uuid);
	sp_output_free(fs->part);
	fs->part = NULL;
	if (sp_output_open(&fs->part, fs->part_path, err) < 0)
		return -1;
	*o = fs->part;
	return 0;
}

static void entry_line(struct sp_buf *b, const char *path, const char *action)
{
	struct json_object *o = json_object_new_object();
	char *url = sp_xasprintf("file://%s", path);
	struct stat st;

	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof st);
	json_object_object_add(o, "path", json_object_new_string(url));
	json_object_object_add(o, "size", json_object_new_int64(st.st_size));
	json_object_object_add(o, "isDir", json_object_new_boolean(0));
	json_object_object_add(o, "modificationTime",
			       json_object_new_int64((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000));
	json_object_object_add(o, "blockReplication", json_object_new_int(1));
	json_object_object_add(o, "blockSize", json_object_new_int64(33554432));
	json_object_object_add(o, "action", json_object_new_string(action));
	sp_buf_puts(b, sp_jsonc_text(o));
	sp_buf_addc(b, '\n');
	json_object_put(o);
	free(url);
}

static int write_text(const char *path, const struct sp_buf *b, struct sp_err *err)
{
	struct sp_output *o = NULL;
	int r = sp_output_open(&o, path, err);

	if (r == 0)
		r = sp_output_write(o, b->p, b->len, err);
	if (r == 0)
		r = sp_output_commit(o, err);
	sp_output_free(o);
	return r;
}

int sp_filesink_commit(struct sp_filesink *fs, int64_t id, int complete, struct sp_err *err)
{
	struct sp_buf b = SP_BUF_INIT;
	char *file;
	int compact = (id + 1) % COMPACT_INTERVAL == 0, r;

	if (fs->part) {
		if (sp_output_commit(fs->part, err) < 0)
			return -1;
		sp_output_free(fs->part);
		fs->part = NULL;
	}
	sp_buf_puts(&b, "v1\n");
	if (complete) {
		for (size_t i = 0; i < fs->nlive; i++) {
			if (!compact)
				entry_line(&b, fs->live[i], "delete");
			free(fs->live[i]);
		}
		fs->nlive = 0;
	}
	if (compact)
		for (size_t i = 0; i < fs->nlive; i++)
			entry_line(&b, fs->live[i], "add");
	if (fs->part_path) {
		entry_line(&b, fs->part_path, "add");
		fs->live = sp_xrealloc(fs->live, (fs->nlive + 1) * sizeof *fs->live);
		fs->live[fs->nlive++] = fs->part_path;
		fs->part_path = NULL;
	}
	file = sp_xasprintf("%s/%lld%s", fs->meta, (long long)id, compact ? ".compact" : "");
	r = write_text(file, &b, err);
	free(file);
	sp_buf_release(&b);
	if (r < 0)
		return -1;
	fs->latest = id;
	/* Entries older than the previous compaction are no longer read by anyone. */
	if (compact && id >= 2 * COMPACT_INTERVAL) {
		for (int64_t k = id - 2 * COMPACT_INTERVAL + 1; k < id - COMPACT_INTERVAL; k++) {
			file = sp_xasprintf("%s/%lld", fs->meta, (long long)k);
			unlink(file);
			free(file);
		}
		file = sp_xasprintf("%s/%lld.compact", fs->meta, (long long)(id - 2 * COMPACT_INTERVAL));
		unlink(file);
		free(file);
	}
	return 0;
}

void sp_filesink_free(struct sp_filesink *fs)
{
	if (!fs)
		return;
	sp_output_free(fs->part);
	for (size_t i = 0; i < fs->nlive; i++)
		free(fs->live[i]);
	free(fs->live);
	free(fs->part_path);
	free(fs->dir);
	free(fs->meta);
	free(fs->ext);
	free(fs);
}
