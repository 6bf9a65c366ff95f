/*
 * ack.c: sinks acknowledge commits to their source (see ack.h).
 */
#include "ack.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "log.h"

struct sp_ack {
	char *sinks;		/* <source>/sinks */
	struct sp_log *commits;	/* <source>/commits */
	char *own;		/* our commits directory, absolute */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int sp_ack_open(struct sp_ack **out, const char *source, const char *own, struct sp_err *err)
{
	struct sp_ack *a = sp_xcalloc(1, sizeof *a);
	char *reg = NULL, *p, abs[PATH_MAX];
	void *data = NULL;
	size_t len;
	int r;

	if (sp_mkdirs(own, err) < 0 || !realpath(own, abs)) {
		if (!err->set)
			sp_err_sys(err, "cannot resolve '%s'", own);
		free(a);
		return -1;
	}
	a->own = sp_xstrdup(abs);
	a->sinks = sp_xasprintf("%s/sinks", source);
	p = sp_xasprintf("%s/commits", source);
	r = sp_log_open(&a->commits, p, err);
	free(p);
	if (r == 0)
		r = sp_mkdirs(a->sinks, err);
	if (r == 0) {
		reg = sp_xasprintf("%s/%016llx", a->sinks, (unsigned long long)fnv1a(a->own));
		/* written once: an existing registration of the same log is left as it is */
		if (access(reg, F_OK) < 0)
			r = sp_ckpt_write(reg, a->own, strlen(a->own), 0, err);
		else if ((r = sp_ckpt_read(reg, &data, &len, err)) == 0 && (len != strlen(a->own) ||
								     memcmp(data, a->own, len)))
			r = sp_err_set(err, "'%s' registers '%.*s', not '%s' (remove it)", reg, (int)len,
				       (const char *)data, a->own);
	}
	free(data);
	free(reg);
	if (r < 0) {
		sp_ack_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* The lowest latest commit of the registered sinks (ours is at least id); forgets vanished ones. */
static int lowest(struct sp_ack *a, int64_t id, int64_t *low, struct sp_err *err)
{
	struct dirent *de;
	DIR *d = opendir(a->sinks);
	int r = 0;

	*low = id;
	if (!d)
		return sp_err_sys(err, "cannot open directory '%s'", a->sinks);
	while (r == 0 && (de = readdir(d))) {
		char *reg, *dir;
		void *data = NULL;
		size_t len;
		struct sp_log *l;
		struct stat st;

		if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
			continue;
		reg = sp_xasprintf("%s/%s", a->sinks, de->d_name);
		if ((r = sp_ckpt_read(reg, &data, &len, err)) == 0) {
			dir = sp_xstrndup(data, len);
			if (strcmp(dir, a->own) && stat(dir, &st) < 0 && errno == ENOENT) {
				if (sp_verbose > 1)
					sp_warn("sink '%s' is gone: forgotten", dir);
				unlink(reg);
			} else if (strcmp(dir, a->own) && (r = sp_log_open(&l, dir, err)) == 0) {
				if (sp_log_latest(l) < *low)
					*low = sp_log_latest(l);
				sp_log_free(l);
			}
			free(dir);
		}
		free(data);
		free(reg);
	}
	closedir(d);
	return r;
}

int sp_ack_commit(struct sp_ack *a, int64_t id, const char *entry, struct sp_err *err)
{
	int64_t low;
	char *text;
	int r;

	if (id <= sp_log_latest(a->commits))
		return 0;
	if (lowest(a, id, &low, err) < 0)
		return -1;
	if (low <= sp_log_latest(a->commits))
		return 0;
	if (low == id)
		return sp_log_put(a->commits, id, entry, err);
	/* another sink holds the source back, at an earlier batch */
	text = sp_xasprintf("{\"batchId\":%lld}", (long long)low);
	r = sp_log_put(a->commits, low, text, err);
	free(text);
	return r;
}

void sp_ack_free(struct sp_ack *a)
{
	if (!a)
		return;
	sp_log_free(a->commits);
	free(a->sinks);
	free(a->own);
	free(a);
}
