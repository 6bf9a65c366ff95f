/*
 * exec.c: a command per batch, with retries (see exec.h). The command's
 * standard error is ours, so its messages reach the user as they are.
 */
#include "exec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "timefmt.h"

static int attempt(char *const *argv, int fd, char *const *env, int *status)
{
	pid_t pid;
	int ws;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fd, 0) < 0)
			_exit(126);
		for (char *const *e = env; e && *e; e++)
			putenv(*e);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run '%s': %s\n", sp_prog(), argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

int sp_exec_run(char *const *argv, int fd, char *const *env, const struct sp_exec_opts *o, int *status,
		struct sp_err *err)
{
	int64_t wait = o->backoff_us;
	int st = 0;

	for (int i = 0; i <= o->retries; i++) {
		if (i) {
			char d[64];

			sp_duration_format(wait, d, sizeof d);
			if (sp_verbose)
				sp_warn("warning: '%s' exited with status %d; retrying in %s (attempt %d of %d)", argv[0], st,
					d, i + 1, o->retries + 1);
			usleep((useconds_t)wait);
			wait *= 2;
		}
		if (attempt(argv, fd, env, &st) < 0) {
			*status = SP_EXIT_FAIL;
			return sp_err_sys(err, "cannot run '%s'", argv[0]);
		}
		if (st == 0)
			return 0;
		if (st == 127)
			break;	/* not found: retrying will not help */
	}
	*status = st ? st : SP_EXIT_FAIL;
	return sp_err_set(err, "'%s' failed with exit status %d", argv[0], st);
}
