/*
 * output.h: an output file that appears whole or not at all.
 *
 * Writing to a path goes to a temporary file beside it ("dir/.name.XXXXXX");
 * sp_output_commit() syncs it and renames it over the path, then syncs the
 * directory. Freeing an output that was not committed removes the
 * temporary file, so a failed or interrupted run leaves the old file (or
 * none) in place. "-" is standard output, written as it comes.
 * SP_TEST_NOFSYNC=1 in the environment skips the syncs (tests only).
 */
#ifndef SP_OUTPUT_H
#define SP_OUTPUT_H

#include <stddef.h>

#include "msg.h"

struct sp_output;

int sp_output_open(struct sp_output **o, const char *path, struct sp_err *err);
/* Writes all of p; a reader that went away on a pipe ends the process quietly (SIGPIPE). */
int sp_output_write(struct sp_output *o, const void *p, size_t n, struct sp_err *err);
/* The descriptor being written (borrowed). */
int sp_output_fd(const struct sp_output *o);
/* "'path'" or "standard output" (borrowed). */
const char *sp_output_name(const struct sp_output *o);
int sp_output_commit(struct sp_output *o, struct sp_err *err);
/* Frees; removes the temporary file unless committed. NULL is fine. */
void sp_output_free(struct sp_output *o);

/* Writes all of p to fd (EINTR and short writes handled, EPIPE as above). */
int sp_write_all(int fd, const void *p, size_t n, const char *name, struct sp_err *err);
/* fsync unless SP_TEST_NOFSYNC is set. */
int sp_fsync(int fd);
/* fsyncs the directory holding path. */
int sp_fsync_dir(const char *path, struct sp_err *err);

#endif
