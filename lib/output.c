/*
 * output.c: whole-or-nothing output files (see output.h).
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sp_output {
	int fd;
	char *path, *tmp, *name;
	int committed;
};

int sp_fsync(int fd)
{
	static int skip = -1;

	if (skip < 0)
		skip = getenv("SP_TEST_NOFSYNC") && *getenv("SP_TEST_NOFSYNC") == '1';
	if (skip)
		return 0;
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
		return -1;
	return 0;
}

int sp_fsync_dir(const char *path, struct sp_err *err)
{
	char *copy = sp_xstrdup(path);
	const char *dir = dirname(copy);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0 || sp_fsync(fd) < 0)
		r = sp_err_sys(err, "cannot sync directory '%s'", dir);
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int sp_write_all(int fd, const void *p, size_t n, const char *name, struct sp_err *err)
{
	const char *c = p;
	ssize_t r;

	while (n) {
		r = write(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == EPIPE) {
				signal(SIGPIPE, SIG_DFL);
				raise(SIGPIPE);
			}
			return sp_err_sys(err, "cannot write %s", name);
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int sp_output_open(struct sp_output **out, const char *path, struct sp_err *err)
{
	struct sp_output *o = sp_xcalloc(1, sizeof *o);
	char *copy, *base;

	if (!strcmp(path, "-")) {
		o->fd = 1;
		o->name = sp_xstrdup("standard output");
		*out = o;
		return 0;
	}
	o->path = sp_xstrdup(path);
	o->name = sp_xasprintf("'%s'", path);
	copy = sp_xstrdup(path);
	base = basename(copy);
	o->tmp = sp_xasprintf("%.*s.%s.XXXXXX", (int)(strlen(path) - strlen(base)), path, base);
	free(copy);
	if ((o->fd = mkstemp(o->tmp)) < 0) {
		sp_err_sys(err, "cannot create '%s'", path);
		free(o->tmp);
		o->tmp = NULL;
		sp_output_free(o);
		return -1;
	}
	fchmod(o->fd, 0644);
	*out = o;
	return 0;
}

int sp_output_write(struct sp_output *o, const void *p, size_t n, struct sp_err *err)
{
	return sp_write_all(o->fd, p, n, o->name, err);
}

int sp_output_fd(const struct sp_output *o)
{
	return o->fd;
}

const char *sp_output_name(const struct sp_output *o)
{
	return o->name;
}

int sp_output_commit(struct sp_output *o, struct sp_err *err)
{
	if (!o->tmp)
		return 0;
	if (sp_fsync(o->fd) < 0)
		return sp_err_sys(err, "cannot sync %s", o->name);
	if (close(o->fd) < 0) {
		o->fd = -1;
		return sp_err_sys(err, "cannot write %s", o->name);
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0)
		return sp_err_sys(err, "cannot rename '%s' to %s", o->tmp, o->name);
	o->committed = 1;
	return sp_fsync_dir(o->path, err);
}

void sp_output_free(struct sp_output *o)
{
	if (!o)
		return;
	if (o->fd > 1)
		close(o->fd);
	if (o->tmp && !o->committed)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o->name);
	free(o);
}
