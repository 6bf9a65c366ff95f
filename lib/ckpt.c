/*
 * ckpt.c: crash-safe checkpoint files (see ckpt.h).
 *
 * The write sequence is the classic one: mkstemp in the same directory,
 * write, fsync, checked close, rename over the old file, fsync the
 * directory. Until the rename the old file is untouched; after it the new
 * one is complete. The checksum catches what the file system does not:
 * torn writes on a system without this sequence, bit rot, a file copied
 * in by hand.
 */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "output.h"

#define HDR 24
static const char magic[4] = { 'S', 'P', 'C', 'K' };

uint32_t sp_crc32c(uint32_t crc, const void *p, size_t n)
{
	static uint32_t table[256];
	const unsigned char *s = p;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *s++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int sp_mkdirs(const char *path, struct sp_err *err)
{
	char *p = sp_xstrdup(path);

	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				sp_err_sys(err, "cannot create directory '%s'", p);
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return 0;
}

int sp_ckpt_write(const char *path, const void *data, size_t len, unsigned flags, struct sp_err *err)
{
	unsigned char *buf;
	size_t stored = len, cap;
	uint32_t crc;
	int r;

	if (flags & SP_CKPT_ZSTD) {
		cap = ZSTD_compressBound(len);
		buf = sp_xmalloc(HDR + cap);
		stored = ZSTD_compress(buf + HDR, cap, data, len, 1);
		if (ZSTD_isError(stored)) {
			free(buf);
			return sp_err_set(err, "cannot compress '%s': %s", path, ZSTD_getErrorName(stored));
		}
	} else {
		buf = sp_xmalloc(HDR + len);
		if (len)
			memcpy(buf + HDR, data, len);
	}
	memset(buf, 0, HDR);
	memcpy(buf, magic, 4);
	buf[4] = 1;
	buf[5] = (unsigned char)(flags & SP_CKPT_ZSTD);
	crc = sp_crc32c(0, buf + HDR, stored);
	memcpy(buf + 8, &crc, 4);
	memcpy(buf + 16, &(uint64_t){ len }, 8);
	{
		struct sp_output *o = NULL;

		r = sp_output_open(&o, path, err);
		if (r == 0)
			r = sp_output_write(o, buf, HDR + stored, err);
		if (r == 0)
			r = sp_output_commit(o, err);
		sp_output_free(o);
	}
	free(buf);
	return r;
}

int sp_ckpt_read(const char *path, void **data, size_t *len, struct sp_err *err)
{
	unsigned char hdr[HDR], *stored = NULL;
	char *out = NULL;
	struct stat st;
	uint64_t raw;
	uint32_t crc;
	size_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		return sp_err_sys(err, "cannot open checkpoint file '%s'", path);
	}
	if (fstat(fd, &st) < 0 || st.st_size < HDR || read(fd, hdr, HDR) != HDR ||
	    memcmp(hdr, magic, 4) || hdr[4] != 1 || hdr[5] > 1) {
		close(fd);
		return sp_err_set(err, "'%s' is not a checkpoint file of this version (corrupt, or written by something else)",
				  path);
	}
	memcpy(&crc, hdr + 8, 4);
	memcpy(&raw, hdr + 16, 8);
	n = (size_t)st.st_size - HDR;
	if (raw > SP_CKPT_MAX || (!hdr[5] && raw != n)) {
		close(fd);
		return sp_err_set(err, "checkpoint file '%s' is corrupt: bad length", path);
	}
	stored = sp_xmalloc(n + 1);
	if (read(fd, stored, n) != (ssize_t)n) {
		close(fd);
		free(stored);
		return sp_err_sys(err, "cannot read checkpoint file '%s'", path);
	}
	close(fd);
	if (sp_crc32c(0, stored, n) != crc) {
		free(stored);
		return sp_err_set(err, "checkpoint file '%s' is corrupt: checksum mismatch", path);
	}
	if (hdr[5]) {
		size_t got;

		out = sp_xmalloc((size_t)raw + 1);
		got = ZSTD_decompress(out, (size_t)raw, stored, n);
		free(stored);
		if (ZSTD_isError(got) || got != raw) {
			free(out);
			return sp_err_set(err, "checkpoint file '%s' is corrupt: bad compressed data", path);
		}
	} else {
		out = (char *)stored;
	}
	out[raw] = '\0';
	*data = out;
	*len = (size_t)raw;
	return 0;
}
