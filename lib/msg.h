/*
 * msg.h: program name, messages, errors, exit statuses, signals.
 *
 * Every message is one line on stderr, "prog: message". Library code never
 * prints: it fills a struct sp_err and returns -1, and the command decides
 * what a failure means. Running out of memory is the one exception:
 * sp_xmalloc() and friends print "prog: out of memory" and abort.
 */
#ifndef SP_MSG_H
#define SP_MSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum sp_exit {
	SP_EXIT_OK = 0,		/* all input processed, all output written */
	SP_EXIT_FAIL = 1,	/* runtime failure */
	SP_EXIT_USAGE = 2,	/* bad invocation */
};

/* An error message, filled by the library and reported by the command. */
struct sp_err {
	int set;		/* 0 until something failed */
	int status;		/* exit status it asks for (SP_EXIT_FAIL by default) */
	char msg[1024];
};
#define SP_ERR_INIT { 0, 0, "" }

#if defined(__GNUC__)
#define SP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SP_NORETURN __attribute__((noreturn))
#else
#define SP_PRINTF(a, b)
#define SP_NORETURN
#endif

/* Name messages after argv[0]'s last component. */
void sp_setprog(const char *argv0);
const char *sp_prog(void);

/* Fill err (first error wins) and return -1. sp_err_sys appends ": strerror(errno)". */
int sp_err_set(struct sp_err *err, const char *fmt, ...) SP_PRINTF(2, 3);
int sp_err_sys(struct sp_err *err, const char *fmt, ...) SP_PRINTF(2, 3);
/* Same, asking for exit status 2 (a usage problem found late, e.g. a bad expression). */
int sp_err_usage(struct sp_err *err, const char *fmt, ...) SP_PRINTF(2, 3);
/* Prefix an already set message with "what: " (adds context on the way up). */
void sp_err_prefix(struct sp_err *err, const char *fmt, ...) SP_PRINTF(2, 3);
/* Print "prog: msg" if err is set; returns the status it asks for, or 0. */
int sp_err_report(const struct sp_err *err);

/* "prog: message" on stderr. */
void sp_warn(const char *fmt, ...) SP_PRINTF(1, 2);
/* "prog: message" and exit 1. */
SP_NORETURN void sp_die(const char *fmt, ...) SP_PRINTF(1, 2);
/* "prog: message", "try 'prog -h'", exit 2. */
SP_NORETURN void sp_usage_error(const char *fmt, ...) SP_PRINTF(1, 2);

/* Verbosity: -q lowers it, -v raises it; 1 is normal. */
extern int sp_verbose;

/* Memory: abort with "out of memory" on failure. */
void *sp_xmalloc(size_t n);
void *sp_xcalloc(size_t n, size_t size);
void *sp_xrealloc(void *p, size_t n);
char *sp_xstrdup(const char *s);
char *sp_xstrndup(const char *s, size_t n);
char *sp_xasprintf(const char *fmt, ...) SP_PRINTF(1, 2);
/* Sizes from input: abort on overflow is wrong, so these return -1 instead. */
int sp_size_add(size_t a, size_t b, size_t *out);
int sp_size_mul(size_t a, size_t b, size_t *out);
/* Grow *p (holding *cap elements of size sz) to at least need elements. */
void sp_grow(void *pp, size_t *cap, size_t need, size_t sz);

/* SIGINT/SIGTERM clear the running flag; SIGPIPE keeps its default action. */
void sp_catch_signals(void);
int sp_running(void);
/* The signal that stopped us, or 0. */
int sp_stop_signal(void);

/* Flush and close stdout; a failure turns status into 1. Returns status. */
int sp_finish(int status);

#endif
