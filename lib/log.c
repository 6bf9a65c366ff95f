/*
 * log.c: metadata logs (see log.h). The ids present are read from the
 * directory once, at open, and tracked after that.
 */
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"

struct sp_log {
	char *dir;
	int64_t first, latest;
};

int sp_log_open(struct sp_log **out, const char *dir, struct sp_err *err)
{
	struct sp_log *l;
	struct dirent *de;
	DIR *d;

	if (sp_mkdirs(dir, err) < 0)
		return -1;
	if (!(d = opendir(dir)))
		return sp_err_sys(err, "cannot open directory '%s'", dir);
	l = sp_xcalloc(1, sizeof *l);
	l->dir = sp_xstrdup(dir);
	l->first = l->latest = -1;
	while ((de = readdir(d))) {
		char *end;
		long long id = strtoll(de->d_name, &end, 10);

		if (end == de->d_name || *end || id < 0 || de->d_name[0] == '+' || de->d_name[0] == '-')
			continue;
		if (id > l->latest)
			l->latest = id;
		if (l->first < 0 || id < l->first)
			l->first = id;
	}
	closedir(d);
	*out = l;
	return 0;
}

int64_t sp_log_latest(const struct sp_log *l)
{
	return l->latest;
}

int64_t sp_log_first(const struct sp_log *l)
{
	return l->first;
}

const char *sp_log_dir(const struct sp_log *l)
{
	return l->dir;
}

static char *entry(const struct sp_log *l, int64_t id)
{
	return sp_xasprintf("%s/%lld", l->dir, (long long)id);
}

int sp_log_get(struct sp_log *l, int64_t id, char **text, struct sp_err *err)
{
	char *path = entry(l, id);
	size_t len;
	int r = sp_ckpt_read(path, (void **)text, &len, err);

	free(path);
	return r;
}

int sp_log_put(struct sp_log *l, int64_t id, const char *text, struct sp_err *err)
{
	char *path = entry(l, id);
	int r = sp_ckpt_write(path, text, strlen(text), 0, err);

	free(path);
	if (r == 0) {
		if (id > l->latest)
			l->latest = id;
		if (l->first < 0 || id < l->first)
			l->first = id;
	}
	return r;
}

static int remove_entry(struct sp_log *l, int64_t id, struct sp_err *err)
{
	char *path = entry(l, id);
	int r = 0;

	if (unlink(path) < 0 && errno != ENOENT)
		r = sp_err_sys(err, "cannot remove '%s'", path);
	free(path);
	return r;
}

int sp_log_purge(struct sp_log *l, int64_t below, struct sp_err *err)
{
	if (l->first < 0)
		return 0;
	for (; l->first < below && l->first <= l->latest; l->first++)
		if (remove_entry(l, l->first, err) < 0)
			return -1;
	if (l->first > l->latest)
		l->first = l->latest = -1;
	return 0;
}

int sp_log_truncate(struct sp_log *l, int64_t id, struct sp_err *err)
{
	for (; l->latest > id; l->latest--)
		if (remove_entry(l, l->latest, err) < 0)
			return -1;
	if (l->latest < l->first)
		l->first = l->latest = -1;
	return 0;
}

void sp_log_free(struct sp_log *l)
{
	if (!l)
		return;
	free(l->dir);
	free(l);
}
