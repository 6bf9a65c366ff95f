/*
 * msg.c: messages, errors and the small process-wide helpers every
 * command uses (memory, signals, closing stdout).
 */
#include "msg.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "stream";
int sp_verbose = 1;
static volatile sig_atomic_t stop_signal;

void sp_setprog(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0)
		prog = slash ? slash + 1 : argv0;
}

const char *sp_prog(void)
{
	return prog;
}

static void err_vset(struct sp_err *err, int status, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n;

	if (err->set)
		return;
	assert(!strchr(fmt, '\n'));
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (with_errno) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(saved));
	}
	err->set = 1;
	err->status = status;
	errno = saved;
}

int sp_err_set(struct sp_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, SP_EXIT_FAIL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int sp_err_sys(struct sp_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, SP_EXIT_FAIL, 1, fmt, ap);
	va_end(ap);
	return -1;
}

int sp_err_usage(struct sp_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, SP_EXIT_USAGE, 0, fmt, ap);
	va_end(ap);
	return -1;
}

void sp_err_prefix(struct sp_err *err, const char *fmt, ...)
{
	char old[sizeof err->msg];
	va_list ap;
	size_t n;

	if (!err->set)
		return;
	memcpy(old, err->msg, sizeof old);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n + 2 < sizeof err->msg) {
		size_t room = sizeof err->msg - n - 3, len = strlen(old);

		memcpy(err->msg + n, ": ", 2);
		if (len > room)
			len = room;
		memcpy(err->msg + n + 2, old, len);
		err->msg[n + 2 + len] = '\0';
	}
}

int sp_err_report(const struct sp_err *err)
{
	if (!err->set)
		return 0;
	fprintf(stderr, "%s: %s\n", prog, err->msg);
	return err->status ? err->status : SP_EXIT_FAIL;
}

static void vwarn(const char *fmt, va_list ap)
{
	char buf[2048];

	assert(!strchr(fmt, '\n'));
	vsnprintf(buf, sizeof buf, fmt, ap);
	fprintf(stderr, "%s: %s\n", prog, buf);
}

void sp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void sp_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(SP_EXIT_FAIL);
}

void sp_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "try '%s -h'\n", prog);
	exit(SP_EXIT_USAGE);
}

static SP_NORETURN void oom(void)
{
	static const char tail[] = ": out of memory\n";

	if (write(2, prog, strlen(prog)) < 0 || write(2, tail, sizeof tail - 1) < 0)
		abort();
	abort();
}

void *sp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *sp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *sp_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *sp_xstrdup(const char *s)
{
	return sp_xstrndup(s, strlen(s));
}

char *sp_xstrndup(const char *s, size_t n)
{
	char *p = sp_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sp_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = sp_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int sp_size_add(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return -1;
	*out = a + b;
	return 0;
}

int sp_size_mul(size_t a, size_t b, size_t *out)
{
	if (b && a > SIZE_MAX / b)
		return -1;
	*out = a * b;
	return 0;
}

void sp_grow(void *pp, size_t *cap, size_t need, size_t sz)
{
	void **p = pp;
	size_t n = *cap ? *cap : 16, bytes;

	if (need <= *cap)
		return;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			oom();
		n *= 2;
	}
	if (sp_size_mul(n, sz, &bytes) < 0)
		oom();
	*p = sp_xrealloc(*p, bytes);
	*cap = n;
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

void sp_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int sp_running(void)
{
	return stop_signal == 0;
}

int sp_stop_signal(void)
{
	return stop_signal;
}

int sp_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE)
			return status;
		fprintf(stderr, "%s: write error on standard output: %s\n", prog, strerror(errno));
		return status ? status : SP_EXIT_FAIL;
	}
	return status;
}
