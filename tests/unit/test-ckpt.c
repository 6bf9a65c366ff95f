/*
 * test-ckpt: checkpoint files are whole or absent, and corruption is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-ckpt:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

static void flip_byte(const char *path, long off)
{
	FILE *f = fopen(path, "r+b");
	int c;

	fseek(f, off, SEEK_SET);
	c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/test-ckpt-XXXXXX", path[64], deep[64], want[256], msg[512];
	struct sp_err err = SP_ERR_INIT;
	void *data;
	size_t len;

	setenv("SP_TEST_NOFSYNC", "1", 1);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/f", dir);
	CHECK(sp_ckpt_read(path, &data, &len, &err) == 1 && !err.set, "missing file is not an error");

	for (unsigned flags = 0; flags <= SP_CKPT_ZSTD; flags++) {
		const char *text = "{\"batchId\":7,\"files\":[\"a.json\",\"b.json\"]}";

		CHECK(sp_ckpt_write(path, text, strlen(text), flags, &err) == 0, "write: %s", err.msg);
		CHECK(sp_ckpt_read(path, &data, &len, &err) == 0, "read: %s", err.msg);
		CHECK(len == strlen(text) && !memcmp(data, text, len) && ((char *)data)[len] == '\0',
		      "round trip (flags %u)", flags);
		free(data);
		/* Every flipped byte is caught: header fields or checksum. */
		for (long off = 0; off < 24 + 8; off++) {
			struct sp_err e = SP_ERR_INIT;

			if (off >= 6 && off < 8)
				continue;	/* reserved bytes are not checked */
			if (off >= 12 && off < 16)
				continue;
			sp_ckpt_write(path, text, strlen(text), flags, &err);
			flip_byte(path, off);
			CHECK(sp_ckpt_read(path, &data, &len, &e) == -1 && strstr(e.msg, path),
			      "flipped byte %ld (flags %u) not caught: '%s'", off, flags, e.msg);
		}
	}

	/* A large compressible payload. */
	{
		size_t n = 10 << 20;
		char *big = malloc(n);

		for (size_t i = 0; i < n; i++)
			big[i] = (char)('a' + i % 7);
		CHECK(sp_ckpt_write(path, big, n, SP_CKPT_ZSTD, &err) == 0, "big write");
		CHECK(sp_ckpt_read(path, &data, &len, &err) == 0 && len == n && !memcmp(data, big, n), "big read");
		free(data);
		free(big);
	}

	/* Truncation. */
	sp_ckpt_write(path, "hello", 5, 0, &err);
	CHECK(truncate(path, 26) == 0, "truncate");
	err = (struct sp_err)SP_ERR_INIT;
	snprintf(want, sizeof want, "checkpoint file '%s' is corrupt: bad length", path);
	CHECK(sp_ckpt_read(path, &data, &len, &err) == -1 && !strcmp(err.msg, want), "truncated: '%s'", err.msg);

	/* A foreign file. */
	{
		FILE *f = fopen(path, "w");

		fputs("{\"not\": \"ours\"}\n", f);
		fclose(f);
	}
	err = (struct sp_err)SP_ERR_INIT;
	snprintf(msg, sizeof msg, "'%s' is not a checkpoint file of this version (corrupt, or written by something else)",
		 path);
	CHECK(sp_ckpt_read(path, &data, &len, &err) == -1 && !strcmp(err.msg, msg), "foreign: '%s'", err.msg);

	/* mkdirs */
	snprintf(deep, sizeof deep, "%s/a/b/c", dir);
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_mkdirs(deep, &err) == 0 && access(deep, F_OK) == 0, "mkdirs: %s", err.msg);
	CHECK(sp_mkdirs(deep, &err) == 0, "mkdirs again");

	/* CRC-32C check value. */
	CHECK(sp_crc32c(0, "123456789", 9) == 0xe3069283u, "crc32c check value");

	if (system((snprintf(msg, sizeof msg, "rm -rf '%s'", dir), msg)) != 0)
		failures++;
	return failures;
}
