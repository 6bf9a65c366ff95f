/*
 * ckpt.h: crash-safe checkpoint files.
 *
 * A checkpoint file is replaced as a whole: readers always see either the
 * old file or the new one, never a mix, whatever moment the writer is
 * killed at. Each file starts with a small header (magic, version, flags,
 * checksum, length) so that a torn, corrupt or foreign file is reported
 * with its path instead of being trusted. Payloads may be zstd-compressed.
 *
 *   offset  size  field
 *   0       4     magic "SPCK"
 *   4       1     format version (1)
 *   5       1     flags: bit 0 = payload is zstd-compressed
 *   6       2     zero
 *   8       4     CRC-32C of the stored payload bytes
 *   12      4     zero
 *   16      8     payload length once decompressed
 *   24      ...   payload
 *
 * Errors: every call returns 0 or -1 and fills the sp_err you pass.
 */
#ifndef SP_CKPT_H
#define SP_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

enum sp_ckpt_flags {
	SP_CKPT_ZSTD = 1 << 0,	/* compress the payload */
};

/* Largest payload accepted when reading (a limit against corrupt lengths). */
#define SP_CKPT_MAX ((size_t)1 << 34)

/* Writes path atomically: temporary file, fsync, rename, fsync of the directory. */
int sp_ckpt_write(const char *path, const void *data, size_t len, unsigned flags, struct sp_err *err);
/*
 * Reads and checks path. On success *data is a new buffer of *len bytes
 * (NUL-terminated after them, for text). Returns 1 if the file does not
 * exist (nothing allocated), 0 on success, -1 on error.
 */
int sp_ckpt_read(const char *path, void **data, size_t *len, struct sp_err *err);
/* Creates a directory and its parents (mkdir -p). */
int sp_mkdirs(const char *path, struct sp_err *err);
/* CRC-32C (Castagnoli), continuing from crc (start with 0). */
uint32_t sp_crc32c(uint32_t crc, const void *p, size_t n);

#endif
