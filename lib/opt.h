/*
 * opt.h: command-line options from a table, and Spark-style -o key=value.
 *
 * A command describes its options once, in an array of struct sp_opt ending
 * with a zeroed entry; the same table drives parsing and the -h text, so the
 * two cannot drift apart. Misuse exits 2 with one specific message and
 * "try 'prog -h'". Parsing is GNU-style: "--name value", "--name=value",
 * "-x value", "-xvalue", flags anywhere, "--" ends the options.
 */
#ifndef SP_OPT_H
#define SP_OPT_H

#include <stddef.h>

struct sp_opt {
	const char *name;	/* long name, without "--" */
	char letter;		/* short name, or 0 */
	const char *arg;	/* argument name in help, NULL for a flag */
	const char *help;	/* one line */
	int id;			/* what sp_opt_next() returns for it */
};

/* Returned for a positional argument (in *arg). */
#define SP_OPT_POS (-2)
/* Returned once for "--"; the remaining arguments are then all positional. */
#define SP_OPT_DASHDASH (-3)
/* Ids of -q/--quiet and -v/--verbose: sp_opt_next() handles them (sp_verbose) and goes on. */
#define SP_OPT_QUIET (-4)
#define SP_OPT_VERBOSE (-5)
#define SP_OPT_VERBOSITY \
	{ "quiet", 'q', NULL, "print no warnings", SP_OPT_QUIET }, \
	{ "verbose", 'v', NULL, "print more (repeatable)", SP_OPT_VERBOSE }

struct sp_optparse {
	const struct sp_opt *opts;
	const char *usage;	/* synopsis lines, e.g. "stream-select [options]" */
	const char *about;	/* one paragraph for -h */
	int argc, i;
	char **argv;
	const char *rest;	/* inside "-abc" */
	int dashdash;
};

void sp_opt_init(struct sp_optparse *p, const struct sp_opt *opts, const char *usage, const char *about,
		 int argc, char **argv);
/*
 * The next option's id with its argument in *arg (NULL for a flag), or
 * SP_OPT_POS with the positional argument in *arg, or -1 at the end.
 * Handles -h/--help (prints help, exits 0) and --version itself.
 */
int sp_opt_next(struct sp_optparse *p, const char **arg);
/* An option's descriptor argument (--progress-fd 3): an open descriptor, or exit 2. */
int sp_opt_fd(const char *name, const char *arg);
/* Prints the help text to f. */
void sp_opt_help(const struct sp_optparse *p, void *f);

/* ---- -o key=value (Spark's DataStreamReader/Writer options) ---- */

struct sp_kv {
	char *key, *val;
	int used;		/* set by sp_kv_get(): unused keys are reported */
};

struct sp_kvs {
	struct sp_kv *v;
	size_t n, cap;
};
#define SP_KVS_INIT { NULL, 0, 0 }

/* Adds "key=value" (exits 2 naming the option if there is no '='); a repeated key replaces. */
void sp_kvs_add(struct sp_kvs *kv, const char *opt, const char *keyval);
void sp_kvs_set(struct sp_kvs *kv, const char *key, const char *val);
void sp_kvs_release(struct sp_kvs *kv);
/* Value for key (ASCII case-insensitive, as Spark's options), or def. Marks it used. */
const char *sp_kvs_get(struct sp_kvs *kv, const char *key, const char *def);
/* Boolean option: true/false (any case); exits 2 naming the key otherwise. */
int sp_kvs_bool(struct sp_kvs *kv, const char *key, int def);
/* Integer option in [min, max]; exits 2 naming the key otherwise. */
long long sp_kvs_long(struct sp_kvs *kv, const char *key, long long def, long long min, long long max);
/* Single character option (sep, quote, escape); "" gives '\0' when allow_empty. */
int sp_kvs_char(struct sp_kvs *kv, const char *key, int def, int allow_empty);
/* Exits 2 if any key was never asked for: "unknown option -o 'x' for json (known: ...)". */
void sp_kvs_check_used(const struct sp_kvs *kv, const char *what, const char *known);

#endif
