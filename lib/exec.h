/*
 * exec.h: running a command per batch (the foreachBatch sink).
 */
#ifndef SP_EXEC_H
#define SP_EXEC_H

#include <stdint.h>

#include "msg.h"

struct sp_exec_opts {
	int retries;		/* attempts after the first */
	int64_t backoff_us;	/* wait before the first retry; doubles each time */
};

/*
 * Runs argv with standard input read from the start of fd and the given
 * extra environment ("NAME=value", NULL-terminated), retrying on failure.
 * Returns 0 when an attempt exited 0; otherwise -1 with err set and
 * *status the exit status to end with (the command's, or 1).
 */
int sp_exec_run(char *const *argv, int fd, char *const *env, const struct sp_exec_opts *o, int *status,
		struct sp_err *err);

#endif
