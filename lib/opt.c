/*
 * opt.c: table-driven option parsing and -h text (see opt.h).
 */
#include "opt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

#ifndef SP_VERSION
#define SP_VERSION "0.1.0"
#endif

void sp_opt_init(struct sp_optparse *p, const struct sp_opt *opts, const char *usage, const char *about,
		 int argc, char **argv)
{
	memset(p, 0, sizeof *p);
	p->opts = opts;
	p->usage = usage;
	p->about = about;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
}

void sp_opt_help(const struct sp_optparse *p, void *fp)
{
	FILE *f = fp;
	const struct sp_opt *o;
	char left[64];

	fprintf(f, "usage: %s\n", p->usage);
	if (p->about)
		fprintf(f, "\n%s\n", p->about);
	fprintf(f, "\noptions:\n");
	for (o = p->opts; o->name || o->letter; o++) {
		if (o->letter && o->name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->letter, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else if (o->name)
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "-%c%s%s", o->letter, o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > 26)
			fprintf(f, "  %s\n  %26s  %s\n", left, "", o->help);
		else
			fprintf(f, "  %-26s  %s\n", left, o->help);
	}
	fprintf(f, "  %-26s  %s\n", "-h, --help", "show this help and exit");
	fprintf(f, "  %-26s  %s\n", "    --version", "show the version and exit");
}

static const struct sp_opt *find_long(const struct sp_optparse *p, const char *name, size_t len)
{
	for (const struct sp_opt *o = p->opts; o->name || o->letter; o++)
		if (o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct sp_opt *find_short(const struct sp_optparse *p, char c)
{
	for (const struct sp_opt *o = p->opts; o->name || o->letter; o++)
		if (o->letter == c)
			return o;
	return NULL;
}

static int opt_next(struct sp_optparse *p, const char **arg);

int sp_opt_next(struct sp_optparse *p, const char **arg)
{
	int id;

	while ((id = opt_next(p, arg)) == SP_OPT_QUIET || id == SP_OPT_VERBOSE)
		sp_verbose = id == SP_OPT_QUIET ? 0 : sp_verbose + 1;
	return id;
}

int sp_opt_fd(const char *name, const char *arg)
{
	char *end;
	long fd = strtol(arg, &end, 10);

	if (*end || end == arg || fd < 0 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
		sp_usage_error("option '--%s': '%s' is not an open descriptor", name, arg);
	return (int)fd;
}

static int opt_next(struct sp_optparse *p, const char **arg)
{
	const struct sp_opt *o;
	const char *a, *eq;

	*arg = NULL;
	if (p->rest && *p->rest) {
		char c = *p->rest++;

		if (c == 'h') {
			sp_opt_help(p, stdout);
			exit(sp_finish(0));
		}
		if (!(o = find_short(p, c)))
			sp_usage_error("unknown option '-%c'", c);
		if (!o->arg)
			return o->id;
		if (*p->rest) {
			*arg = p->rest;
		} else if (p->i < p->argc) {
			*arg = p->argv[p->i++];
		} else {
			sp_usage_error("option '-%c' needs an argument (%s)", c, o->arg);
		}
		p->rest = NULL;
		return o->id;
	}
	p->rest = NULL;
	if (p->i >= p->argc)
		return -1;
	a = p->argv[p->i++];
	if (p->dashdash || a[0] != '-' || !a[1]) {
		*arg = a;
		return SP_OPT_POS;
	}
	if (!strcmp(a, "--")) {
		p->dashdash = 1;
		return SP_OPT_DASHDASH;
	}
	if (a[1] != '-') {
		p->rest = a + 1;
		return opt_next(p, arg);
	}
	a += 2;
	if (!strcmp(a, "help")) {
		sp_opt_help(p, stdout);
		exit(sp_finish(0));
	}
	if (!strcmp(a, "version")) {
		printf("%s %s\n", sp_prog(), SP_VERSION);
		exit(sp_finish(0));
	}
	eq = strchr(a, '=');
	if (!(o = find_long(p, a, eq ? (size_t)(eq - a) : strlen(a))))
		sp_usage_error("unknown option '--%.*s'", eq ? (int)(eq - a) : (int)strlen(a), a);
	if (!o->arg) {
		if (eq)
			sp_usage_error("option '--%s' takes no argument", o->name);
		return o->id;
	}
	if (eq)
		*arg = eq + 1;
	else if (p->i < p->argc)
		*arg = p->argv[p->i++];
	else
		sp_usage_error("option '--%s' needs an argument (%s)", o->name, o->arg);
	return o->id;
}

void sp_kvs_set(struct sp_kvs *kv, const char *key, const char *val)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcasecmp(kv->v[i].key, key)) {
			free(kv->v[i].val);
			kv->v[i].val = sp_xstrdup(val);
			return;
		}
	sp_grow(&kv->v, &kv->cap, kv->n + 1, sizeof *kv->v);
	kv->v[kv->n].key = sp_xstrdup(key);
	kv->v[kv->n].val = sp_xstrdup(val);
	kv->v[kv->n].used = 0;
	kv->n++;
}

void sp_kvs_add(struct sp_kvs *kv, const char *opt, const char *keyval)
{
	const char *eq = strchr(keyval, '=');
	char *key;

	if (!eq || eq == keyval)
		sp_usage_error("option '%s' wants key=value, not '%s'", opt, keyval);
	key = sp_xstrndup(keyval, (size_t)(eq - keyval));
	sp_kvs_set(kv, key, eq + 1);
	free(key);
}

void sp_kvs_release(struct sp_kvs *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->v[i].key);
		free(kv->v[i].val);
	}
	free(kv->v);
	memset(kv, 0, sizeof *kv);
}

const char *sp_kvs_get(struct sp_kvs *kv, const char *key, const char *def)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcasecmp(kv->v[i].key, key)) {
			kv->v[i].used = 1;
			return kv->v[i].val;
		}
	return def;
}

int sp_kvs_bool(struct sp_kvs *kv, const char *key, int def)
{
	const char *v = sp_kvs_get(kv, key, NULL);

	if (!v)
		return def;
	if (!strcasecmp(v, "true"))
		return 1;
	if (!strcasecmp(v, "false"))
		return 0;
	sp_usage_error("option -o %s=%s: expected true or false", key, v);
}

long long sp_kvs_long(struct sp_kvs *kv, const char *key, long long def, long long min, long long max)
{
	const char *v = sp_kvs_get(kv, key, NULL);
	char *end;
	long long n;

	if (!v)
		return def;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		sp_usage_error("option -o %s=%s: expected a whole number from %lld to %lld", key, v, min, max);
	return n;
}

int sp_kvs_char(struct sp_kvs *kv, const char *key, int def, int allow_empty)
{
	const char *v = sp_kvs_get(kv, key, NULL);

	if (!v)
		return def;
	if (!*v && allow_empty)
		return 0;
	if (!strcmp(v, "\\t"))
		return '\t';
	if (!strcmp(v, "\\u0000") && allow_empty)
		return 0;
	if (strlen(v) != 1)
		sp_usage_error("option -o %s=%s: expected a single character", key, v);
	return (unsigned char)v[0];
}

void sp_kvs_check_used(const struct sp_kvs *kv, const char *what, const char *known)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!kv->v[i].used)
			sp_usage_error("unknown option -o '%s' for %s (known: %s)", kv->v[i].key, what, known);
}
