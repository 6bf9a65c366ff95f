/*
 * input.c: chunked reading of text inputs (see input.h).
 */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "filesink.h"

#define CHUNK (1 << 20)

struct sp_input {
	int fd;
	char *name;
	char *buf;
	size_t cap, start, len;
	int seekable;
	ZSTD_DCtx *zd;		/* .zst input */
	z_stream *gz;		/* .gz input */
	char *zin;		/* compressed bytes read ahead */
	size_t zcap, zpos, zlen;
	int zeof;
	size_t zlast;		/* zstd's last answer: 0 once a frame is complete */
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

int sp_input_open(struct sp_input **out, const char *path, struct sp_err *err)
{
	struct sp_input *in;
	struct stat st;
	int fd = 0;

	if (strcmp(path, "-") && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sp_err_sys(err, "cannot open '%s'", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return sp_err_sys(err, "cannot read '%s'", path);
	}
	in = sp_xcalloc(1, sizeof *in);
	in->fd = fd;
	in->name = fd ? sp_xasprintf("'%s'", path) : sp_xstrdup("standard input");
	in->seekable = fd && S_ISREG(st.st_mode);
	if (ends_with(path, ".zst")) {
		in->zd = ZSTD_createDCtx();
		in->zcap = ZSTD_DStreamInSize();
		in->zin = sp_xmalloc(in->zcap);
	} else if (ends_with(path, ".gz")) {
		in->gz = sp_xcalloc(1, sizeof *in->gz);
		if (inflateInit2(in->gz, 16 + MAX_WBITS) != Z_OK)
			sp_die("out of memory");
		in->zcap = 1 << 16;
		in->zin = sp_xmalloc(in->zcap);
	}
	*out = in;
	return 0;
}

const char *sp_input_name(const struct sp_input *in)
{
	return in->name;
}

const char *sp_input_data(const struct sp_input *in, size_t *len)
{
	*len = in->len;
	return in->buf ? in->buf + in->start : "";
}

void sp_input_consume(struct sp_input *in, size_t n)
{
	in->start += n;
	in->len -= n;
	if (!in->len)
		in->start = 0;
}

static ssize_t read_raw(struct sp_input *in, void *p, size_t n, struct sp_err *err)
{
	ssize_t r;

	do
		r = read(in->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		sp_err_sys(err, "cannot read %s", in->name);
	return r;
}

/* Decompresses into p; 0 at the end of the compressed stream. */
static ssize_t read_zstd(struct sp_input *in, char *p, size_t n, struct sp_err *err)
{
	ZSTD_outBuffer ob = { p, n, 0 };

	while (ob.pos == 0) {
		ZSTD_inBuffer ib;
		size_t r;

		if (in->zpos == in->zlen && !in->zeof) {
			ssize_t got = read_raw(in, in->zin, in->zcap, err);

			if (got < 0)
				return -1;
			in->zeof = got == 0;
			in->zpos = 0;
			in->zlen = (size_t)got;
		}
		/* Called with no input too: the decoder may hold output still to flush. */
		ib = (ZSTD_inBuffer){ in->zin, in->zlen, in->zpos };
		r = ZSTD_decompressStream(in->zd, &ob, &ib);
		in->zpos = ib.pos;
		if (ZSTD_isError(r))
			return sp_err_set(err, "%s: zstd: %s", in->name, ZSTD_getErrorName(r));
		if (ob.pos || ib.pos)
			in->zlast = r;
		if (ob.pos == 0 && in->zeof && in->zpos == in->zlen) {
			if (in->zlast != 0)
				return sp_err_set(err, "%s: zstd: unexpected end of file", in->name);
			return 0;
		}
	}
	return (ssize_t)ob.pos;
}

/* Inflates gzip into p, member after member (as gzip -d does); 0 at the end. */
static ssize_t read_gzip(struct sp_input *in, char *p, size_t n, struct sp_err *err)
{
	z_stream *z = in->gz;
	int r;

	z->next_out = (unsigned char *)p;
	z->avail_out = (unsigned)(n > UINT32_MAX ? UINT32_MAX : n);
	while (z->avail_out == n) {
		if (in->zpos == in->zlen) {
			ssize_t got;

			if (in->zeof)
				return 0;
			if ((got = read_raw(in, in->zin, in->zcap, err)) < 0)
				return -1;
			if (got == 0) {
				in->zeof = 1;
				/* total_in counts the bytes of the current member: some means it was cut short. */
				if (z->total_in)
					return sp_err_set(err, "%s: gzip: unexpected end of file", in->name);
				continue;
			}
			in->zpos = 0;
			in->zlen = (size_t)got;
		}
		z->next_in = (unsigned char *)in->zin + in->zpos;
		z->avail_in = (unsigned)(in->zlen - in->zpos);
		r = inflate(z, Z_NO_FLUSH);
		in->zpos = in->zlen - z->avail_in;
		if (r == Z_STREAM_END)
			inflateReset(z);
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return sp_err_set(err, "%s: gzip: %s", in->name, z->msg ? z->msg : "corrupt data");
	}
	return (ssize_t)(n - z->avail_out);
}

int sp_input_more(struct sp_input *in, struct sp_err *err)
{
	ssize_t r;

	if (in->start && in->start + in->len + CHUNK / 4 > in->cap) {
		memmove(in->buf, in->buf + in->start, in->len);
		in->start = 0;
	}
	if (in->start + in->len + CHUNK / 4 > in->cap)
		sp_grow(&in->buf, &in->cap, in->cap + CHUNK, 1);
	r = in->zd ? read_zstd(in, in->buf + in->start + in->len, in->cap - in->start - in->len, err)
	    : in->gz ? read_gzip(in, in->buf + in->start + in->len, in->cap - in->start - in->len, err)
		     : read_raw(in, in->buf + in->start + in->len, in->cap - in->start - in->len, err);
	if (r < 0)
		return -1;
	in->len += (size_t)r;
	return r > 0;
}

int sp_input_compressed(const struct sp_input *in)
{
	return in->zd || in->gz;
}

int sp_input_seekable(const struct sp_input *in)
{
	return in->seekable;
}

int sp_input_seek(struct sp_input *in, int64_t off, struct sp_err *err)
{
	if (in->zd || in->gz)
		return sp_err_set(err, "cannot read %s from an offset: it is compressed", in->name);
	if (lseek(in->fd, off, SEEK_SET) < 0)
		return sp_err_sys(err, "cannot seek in %s", in->name);
	in->start = in->len = 0;
	return 0;
}

int sp_input_rewind(struct sp_input *in, struct sp_err *err)
{
	if (lseek(in->fd, 0, SEEK_SET) < 0)
		return sp_err_sys(err, "cannot rewind %s", in->name);
	in->start = in->len = 0;
	in->zpos = in->zlen = 0;
	in->zeof = 0;
	in->zlast = 0;
	if (in->zd)
		ZSTD_DCtx_reset(in->zd, ZSTD_reset_session_only);
	if (in->gz)
		inflateReset(in->gz);
	return 0;
}

void sp_input_free(struct sp_input *in)
{
	if (!in)
		return;
	if (in->fd > 0)
		close(in->fd);
	ZSTD_freeDCtx(in->zd);
	if (in->gz) {
		inflateEnd(in->gz);
		free(in->gz);
	}
	free(in->zin);
	free(in->buf);
	free(in->name);
	free(in);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(char ***v, size_t *n, size_t *cap, const char *p)
{
	sp_grow(v, cap, *n + 2, sizeof **v);
	(*v)[(*n)++] = sp_xstrdup(p);
	(*v)[*n] = NULL;
}

static int add_dir(char ***v, size_t *n, size_t *cap, const char *dir, struct sp_err *err)
{
	struct dirent *de;
	size_t first = *n, nm;
	char **m;
	DIR *d;
	int r;

	/* A file sink's directory: exactly the files its manifest committed. */
	if ((r = sp_manifest_files(dir, &m, &nm, err)) <= 0) {
		if (r == 0) {
			for (size_t i = 0; i < nm; i++) {
				add_path(v, n, cap, m[i]);
				free(m[i]);
			}
			free(m);
		}
		return r;
	}
	d = opendir(dir);
	if (!d)
		return sp_err_sys(err, "cannot open directory '%s'", dir);
	while ((de = readdir(d))) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.' || de->d_name[0] == '_')
			continue;
		p = sp_xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			add_path(v, n, cap, p);
		free(p);
	}
	closedir(d);
	qsort(*v + first, *n - first, sizeof **v, cmp_str);
	return 0;
}

int sp_paths_expand(char *const *args, size_t nargs, char ***out, size_t *nout, struct sp_err *err)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct stat st;

	add_path(&v, &n, &cap, "");
	n = 0;
	free(v[0]);
	v[0] = NULL;
	for (size_t i = 0; i < nargs; i++) {
		const char *a = args[i];

		if (strcmp(a, "-") && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (add_dir(&v, &n, &cap, a, err) < 0)
				goto fail;
		} else if (strpbrk(a, "*?[") && stat(a, &st) < 0) {
			glob_t g;
			int r = glob(a, 0, NULL, &g);

			if (r == GLOB_NOMATCH) {
				sp_err_set(err, "no input matches '%s'", a);
				goto fail;
			}
			if (r != 0) {
				sp_err_set(err, "cannot expand '%s'", a);
				goto fail;
			}
			for (size_t k = 0; k < g.gl_pathc; k++)
				if (stat(g.gl_pathv[k], &st) == 0 && S_ISREG(st.st_mode))
					add_path(&v, &n, &cap, g.gl_pathv[k]);
			globfree(&g);
		} else {
			add_path(&v, &n, &cap, a);
		}
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	sp_paths_free(v, n);
	return -1;
}

void sp_paths_free(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
