/*
 * expr-func.c: the built-in functions: argument types and result type at
 * compile time, evaluation per row, and Spark's column names for them.
 *
 * Arguments are cast the way Spark's ImplicitCastInputTypes does: a
 * number or string goes where the other is wanted, a string where a
 * timestamp or date is, a date where a timestamp is. A function is NULL
 * when one of its arguments is, except coalesce and friends, concat_ws,
 * greatest/least, array(), struct() and the generators.
 *
 * Strings built here come from the caller's arena. Structs and arrays
 * (struct, named_struct, array, split, from_json) are appended to a
 * column the node owns, emptied when evaluation moves to another batch or
 * back to an earlier row, so a value stays valid while its batch is
 * processed row by row.
 */
#include "expr-int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "format.h"
#include "timefmt.h"

#define MANY (-1)

/*
 * disp: Spark's name in column names when it is not the name as called
 * (NULL); extra: the argument Spark fills in when the last one is left
 * out, as they show in column names ("round(x)" is "round(x, 0)").
 */
static const struct fdef {
	const char *name;
	int fn, min, max;
	const char *disp, *extra;
} fdefs[] = {
	{ "lower", F_LOWER, 1, 1, NULL, NULL },
	{ "lcase", F_LOWER, 1, 1, NULL, NULL },
	{ "upper", F_UPPER, 1, 1, NULL, NULL },
	{ "ucase", F_UPPER, 1, 1, NULL, NULL },
	{ "initcap", F_INITCAP, 1, 1, NULL, NULL },
	{ "length", F_LENGTH, 1, 1, NULL, NULL },
	{ "char_length", F_LENGTH, 1, 1, NULL, NULL },
	{ "character_length", F_LENGTH, 1, 1, NULL, NULL },
	{ "substring", F_SUBSTR, 2, 3, NULL, "2147483647" },
	{ "substr", F_SUBSTR, 2, 3, NULL, "2147483647" },
	{ "left", F_LEFT, 2, 2, NULL, NULL },
	{ "right", F_RIGHT, 2, 2, NULL, NULL },
	{ "concat", F_CONCAT, 0, MANY, NULL, NULL },
	{ "concat_ws", F_CONCAT_WS, 1, MANY, NULL, NULL },
	{ "split", F_SPLIT, 2, 3, NULL, "-1" },
	{ "trim", F_TRIM, 1, 1, NULL, NULL },
	{ "ltrim", F_LTRIM, 1, 1, NULL, NULL },
	{ "rtrim", F_RTRIM, 1, 1, NULL, NULL },
	{ "replace", F_REPLACE, 2, 3, NULL, "" },
	{ "regexp_replace", F_REGEXP_REPLACE, 3, 3, NULL, NULL },
	{ "regexp_extract", F_REGEXP_EXTRACT, 2, 3, NULL, "1" },
	{ "instr", F_INSTR, 2, 2, NULL, NULL },
	{ "locate", F_LOCATE, 2, 3, NULL, "1" },
	{ "position", F_LOCATE, 2, 3, NULL, "1" },
	{ "lpad", F_LPAD, 2, 3, NULL, " " },
	{ "rpad", F_RPAD, 2, 3, NULL, " " },
	{ "reverse", F_REVERSE, 1, 1, NULL, NULL },
	{ "repeat", F_REPEAT, 2, 2, NULL, NULL },
	{ "startswith", F_STARTSWITH, 2, 2, NULL, NULL },
	{ "endswith", F_ENDSWITH, 2, 2, NULL, NULL },
	{ "contains", F_CONTAINS_STR, 2, 2, NULL, NULL },
	{ "coalesce", F_COALESCE, 1, MANY, NULL, NULL },
	{ "nvl", F_COALESCE, 2, 2, NULL, NULL },
	{ "ifnull", F_COALESCE, 2, 2, NULL, NULL },
	{ "nvl2", F_NVL2, 3, 3, NULL, NULL },
	{ "nullif", F_NULLIF, 2, 2, NULL, NULL },
	{ "if", F_IF, 3, 3, NULL, NULL },
	{ "isnull", F_ISNULL, 1, 1, NULL, NULL },
	{ "isnotnull", F_ISNOTNULL, 1, 1, NULL, NULL },
	{ "isnan", F_ISNAN, 1, 1, NULL, NULL },
	{ "nanvl", F_NANVL, 2, 2, NULL, NULL },
	{ "abs", F_ABS, 1, 1, NULL, NULL },
	{ "signum", F_SIGNUM, 1, 1, "SIGNUM", NULL },
	{ "sign", F_SIGNUM, 1, 1, NULL, NULL },
	{ "round", F_ROUND, 1, 2, NULL, "0" },
	{ "bround", F_BROUND, 1, 2, NULL, "0" },
	{ "floor", F_FLOOR, 1, 1, "FLOOR", NULL },
	{ "ceil", F_CEIL, 1, 1, "CEIL", NULL },
	{ "ceiling", F_CEIL, 1, 1, NULL, NULL },
	{ "sqrt", F_SQRT, 1, 1, "SQRT", NULL },
	{ "pow", F_POW, 2, 2, NULL, NULL },
	{ "power", F_POW, 2, 2, "POWER", NULL },
	{ "exp", F_EXP, 1, 1, "EXP", NULL },
	{ "ln", F_LN, 1, 1, NULL, NULL },
	{ "log10", F_LOG10, 1, 1, "LOG10", NULL },
	{ "log", F_LOG, 1, 2, "LOG", NULL },
	{ "greatest", F_GREATEST, 2, MANY, NULL, NULL },
	{ "least", F_LEAST, 2, MANY, NULL, NULL },
	{ "current_timestamp", F_NOW, 0, 0, NULL, NULL },
	{ "now", F_NOW, 0, 0, NULL, NULL },
	{ "current_date", F_TODAY, 0, 0, NULL, NULL },
	{ "to_timestamp", F_TO_TS, 1, 2, NULL, NULL },
	{ "to_date", F_TO_DATE, 1, 2, NULL, NULL },
	{ "timestamp_seconds", F_TS_SECONDS, 1, 1, NULL, NULL },
	{ "timestamp_millis", F_TS_MILLIS, 1, 1, NULL, NULL },
	{ "unix_timestamp", F_UNIX_TS, 0, 2, NULL, "yyyy-MM-dd HH:mm:ss" },
	{ "to_unix_timestamp", F_UNIX_TS, 1, 2, NULL, "yyyy-MM-dd HH:mm:ss" },
	{ "unix_seconds", F_UNIX_SECONDS, 1, 1, NULL, NULL },
	{ "unix_millis", F_UNIX_MILLIS, 1, 1, NULL, NULL },
	{ "from_unixtime", F_FROM_UNIXTIME, 1, 2, NULL, "yyyy-MM-dd HH:mm:ss" },
	{ "date_trunc", F_DATE_TRUNC, 2, 2, NULL, NULL },
	{ "date_format", F_DATE_FORMAT, 2, 2, NULL, NULL },
	{ "date_add", F_DATE_ADD, 2, 2, NULL, NULL },
	{ "date_sub", F_DATE_SUB, 2, 2, NULL, NULL },
	{ "datediff", F_DATEDIFF, 2, 2, NULL, NULL },
	{ "year", F_YEAR, 1, 1, NULL, NULL },
	{ "quarter", F_QUARTER, 1, 1, NULL, NULL },
	{ "month", F_MONTH, 1, 1, NULL, NULL },
	{ "day", F_DAY, 1, 1, NULL, NULL },
	{ "dayofmonth", F_DAY, 1, 1, NULL, NULL },
	{ "dayofyear", F_DAYOFYEAR, 1, 1, NULL, NULL },
	{ "dayofweek", F_DOW, 1, 1, NULL, NULL },
	{ "weekofyear", F_WEEKOFYEAR, 1, 1, NULL, NULL },
	{ "hour", F_HOUR, 1, 1, NULL, NULL },
	{ "minute", F_MINUTE, 1, 1, NULL, NULL },
	{ "second", F_SECOND, 1, 1, NULL, NULL },
	{ "from_json", F_FROM_JSON, 2, 3, NULL, NULL },
	{ "to_json", F_TO_JSON, 1, 2, NULL, NULL },
	{ "struct", F_STRUCT, 1, MANY, NULL, NULL },
	{ "named_struct", F_NAMED_STRUCT, 2, MANY, NULL, NULL },
	{ "array", F_ARRAY, 0, MANY, NULL, NULL },
	{ "size", F_SIZE, 1, 1, NULL, NULL },
	{ "cardinality", F_SIZE, 1, 1, NULL, NULL },
	{ "array_contains", F_CONTAINS, 2, 2, NULL, NULL },
	{ "element_at", F_ELEMENT_AT, 2, 2, NULL, NULL },
	{ "array_join", F_ARRAY_JOIN, 2, 3, NULL, NULL },
	{ "explode", F_EXPLODE, 1, 1, NULL, NULL },
	{ "explode_outer", F_EXPLODE_OUTER, 1, 1, NULL, NULL },
	{ "uuid", F_UUID, 0, 0, NULL, NULL },
	{ "typeof", F_TYPEOF, 1, 1, NULL, NULL },
};

static const struct fdef *find_fn(const char *name)
{
	for (size_t i = 0; i < sizeof fdefs / sizeof fdefs[0]; i++)
		if (!strcmp(fdefs[i].name, name))
			return &fdefs[i];
	return NULL;
}

const char *sp_expr_fn_display(const char *name, size_t nargs, const char **extra)
{
	const struct fdef *f = find_fn(name);

	*extra = NULL;
	if (!f)
		return name;
	if (f->extra && (int)nargs == f->max - 1)
		*extra = f->extra;
	return f->disp ? f->disp : name;
}

int sp_expr_lit_string(const struct sp_expr *e, const char **s)
{
	if (e->kind != E_LIT || e->lit.null || e->lit.t != SP_T_STRING)
		return 0;
	*s = e->lit.u.s.p;
	return 1;
}

/* ---- regular expressions ---- */

/*
 * Java's regular expressions as POSIX ERE: the common escapes \d \D \s
 * \S \w \W become classes (inside [...] too); Java's lazy (+?) and
 * possessive (++) quantifiers become plain greedy ones. \Q...\E and
 * lookaround are not supported. Bounded repetitions are limited, since
 * glibc builds a copy of the expression for each one.
 */
int sp_expr_regcomp(regex_t *re, const char *pat)
{
	struct sp_buf b = SP_BUF_INIT;
	int in_class = 0, r, quantified = 0;
	double copies = 1;

	for (const char *p = pat; *p; p++) {
		if (*p == '\\' && p[1]) {
			const char *cls = NULL;
			int neg = 0;

			quantified = 0;
			switch (p[1]) {
			case 'd': cls = "0-9"; break;
			case 'D': cls = "0-9"; neg = 1; break;
			case 's': cls = "[:space:]"; break;
			case 'S': cls = "[:space:]"; neg = 1; break;
			case 'w': cls = "[:alnum:]_"; break;
			case 'W': cls = "[:alnum:]_"; neg = 1; break;
			case 't': sp_buf_addc(&b, '\t'); p++; continue;
			case 'n': sp_buf_addc(&b, '\n'); p++; continue;
			case 'r': sp_buf_addc(&b, '\r'); p++; continue;
			}
			if (cls && in_class && !neg) {
				sp_buf_puts(&b, cls);
				p++;
				continue;
			}
			if (cls && !in_class) {
				sp_buf_printf(&b, "[%s%s]", neg ? "^" : "", cls);
				p++;
				continue;
			}
			if (in_class) {
				/* a literal inside brackets needs no backslash in ERE */
				sp_buf_addc(&b, p[1]);
				p++;
				continue;
			}
			sp_buf_add(&b, p, 2);
			p++;
			continue;
		}
		if (in_class) {
			if (*p == ']')
				in_class = 0;
			sp_buf_addc(&b, *p);
			continue;
		}
		if (*p == '[') {
			in_class = 1;
			quantified = 0;
			sp_buf_addc(&b, *p);
			if (p[1] == '^')
				sp_buf_addc(&b, *++p);
			if (p[1] == ']')
				sp_buf_addc(&b, *++p);
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?') {
			/* a quantifier after a quantifier is Java's lazy or possessive mark */
			if (quantified)
				continue;
			quantified = 1;
		} else if (*p == '{' && isdigit((unsigned char)p[1])) {
			const char *q = strchr(p, '}');
			long lo = strtol(p + 1, NULL, 10), hi = lo;
			const char *comma = memchr(p, ',', q ? (size_t)(q - p) : 0);

			if (!q || quantified)
				goto fail;
			if (comma)
				hi = isdigit((unsigned char)comma[1]) ? strtol(comma + 1, NULL, 10) : lo + 1;
			copies *= (double)(hi > lo ? hi : lo) + 1;
			if (lo > 1000 || hi > 1000 || copies > 10000)
				goto fail;
			sp_buf_add(&b, p, (size_t)(q - p) + 1);
			p = q;
			quantified = 1;
			continue;
		} else {
			quantified = 0;
		}
		sp_buf_addc(&b, *p);
	}
	r = regcomp(re, b.p ? b.p : "", REG_EXTENDED);
	sp_buf_release(&b);
	return r == 0 ? 0 : -1;
fail:
	sp_buf_release(&b);
	return -1;
}

/* ---- compiling ---- */

/* Whether Spark casts from to `to` implicitly for a function argument. */
static int implicit_ok(enum sp_type_id from, enum sp_type_id to)
{
	if (from == to || from == SP_T_NULL)
		return 1;
	switch (to) {
	case SP_T_STRING:
		return from != SP_T_STRUCT && from != SP_T_ARRAY;
	case SP_T_LONG: case SP_T_DOUBLE:
		return is_num(from) || from == SP_T_STRING;
	case SP_T_TIMESTAMP:
		return from == SP_T_STRING || from == SP_T_DATE;
	case SP_T_DATE:
		return from == SP_T_STRING || from == SP_T_TIMESTAMP;
	case SP_T_BINARY:
		return from == SP_T_STRING;
	case SP_T_BOOLEAN:
		return 0;
	default:
		return 0;
	}
}

struct call {
	struct sp_expr_cx *c;
	const struct sp_ast *a;
	struct sp_expr *e;
};

/* Casts argument i to ty, or fails naming the function and the types. */
static int want(struct call *k, size_t i, enum sp_type_id ty)
{
	struct sp_expr *x = k->e->k[i];
	char *tn;

	if (implicit_ok(x->type->id, ty)) {
		k->e->k[i] = sp_expr_cast_to(x, prim(ty));
		return 0;
	}
	tn = sp_expr_type_text(x->type);
	sp_expr_cfail(k->c, k->a->kids[i], "argument %zu of '%s' must be %s, not %s", i + 1, k->a->name,
		      sp_type_name(ty), tn);
	free(tn);
	return -1;
}

/* A number: LONG and DOUBLE stay, anything else becomes DOUBLE. */
static int want_num(struct call *k, size_t i)
{
	return is_num(k->e->k[i]->type->id) ? 0 : want(k, i, SP_T_DOUBLE);
}

/* A timestamp-like argument: DATE and TIMESTAMP stay, strings become TIMESTAMP. */
static int want_time(struct call *k, size_t i, enum sp_type_id ty)
{
	enum sp_type_id t = k->e->k[i]->type->id;

	return t == SP_T_TIMESTAMP || t == SP_T_DATE ? 0 : want(k, i, ty);
}

static int want_array(struct call *k, size_t i)
{
	char *tn;

	if (k->e->k[i]->type->id == SP_T_ARRAY)
		return 0;
	tn = sp_expr_type_text(k->e->k[i]->type);
	sp_expr_cfail(k->c, k->a->kids[i], "'%s' takes an array, not %s", k->a->name, tn);
	free(tn);
	return -1;
}

/* A string literal argument (patterns, formats, schemas): its text. */
static int want_literal(struct call *k, size_t i, const char *what, const char **s)
{
	if (want(k, i, SP_T_STRING) == 0 && sp_expr_lit_string(k->e->k[i], s))
		return 0;
	if (!k->c->err->set)
		sp_expr_cfail(k->c, k->a->kids[i], "the %s of '%s' must be a string literal", what, k->a->name);
	return -1;
}

static int want_pattern(struct call *k, size_t i)
{
	const char *s;
	char bad;

	if (want_literal(k, i, "format", &s) < 0)
		return -1;
	if (!sp_expr_ts_pattern_ok(s, &bad)) {
		sp_expr_cfail(k->c, k->a->kids[i], "unknown letter '%c' in datetime pattern '%s'", bad, s);
		return -1;
	}
	return 0;
}

/* The wider common type of arguments from..n-1, each cast to it; NULL on failure. */
static struct sp_type *unify(struct call *k, size_t from, size_t n)
{
	struct sp_type *t = n > from ? k->e->k[from]->type : prim(SP_T_NULL);

	for (size_t i = from + 1; i < n && t; i++)
		t = sp_expr_common(t, k->e->k[i]->type, 0);
	if (!t) {
		struct sp_buf b = SP_BUF_INIT;

		for (size_t i = from; i < n; i++) {
			char *tn = sp_expr_type_text(k->e->k[i]->type);

			sp_buf_printf(&b, "%s%s", i > from ? ", " : "", tn);
			free(tn);
		}
		sp_expr_cfail(k->c, k->a, "the arguments of '%s' have no common type (%s)", k->a->name, b.p);
		sp_buf_release(&b);
		return NULL;
	}
	if (t->id == SP_T_NULL)
		t = prim(SP_T_STRING);
	for (size_t i = from; i < n; i++)
		k->e->k[i] = sp_expr_cast_to(k->e->k[i], t);
	return t;
}

/* Argument types and the result type; -1 with err set. */
static int type_call(struct call *k, int fn, struct sp_type **rt)
{
	struct sp_expr *e = k->e;
	size_t n = e->nk;
	struct sp_type *t;
	const char *s;

	switch (fn) {
	case F_LOWER: case F_UPPER: case F_INITCAP: case F_TRIM: case F_LTRIM: case F_RTRIM: case F_REVERSE:
		if (want(k, 0, SP_T_STRING) < 0)
			return -1;
		*rt = prim(SP_T_STRING);
		return 0;
	case F_LENGTH:
		if (e->k[0]->type->id != SP_T_BINARY && want(k, 0, SP_T_STRING) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_SUBSTR: case F_LEFT: case F_RIGHT: case F_REPEAT: case F_LPAD: case F_RPAD:
		for (size_t i = 0; i < n; i++)
			if (want(k, i, i == 1 || (i == 2 && fn == F_SUBSTR) ? SP_T_LONG : SP_T_STRING) < 0)
				return -1;
		*rt = prim(SP_T_STRING);
		return 0;
	case F_CONCAT: case F_CONCAT_WS:
		for (size_t i = 0; i < n; i++) {
			enum sp_type_id ti = e->k[i]->type->id;

			/* concat_ws flattens arrays of strings */
			if (fn == F_CONCAT_WS && i && ti == SP_T_ARRAY && e->k[i]->type->elem->id == SP_T_STRING)
				continue;
			if (want(k, i, SP_T_STRING) < 0)
				return -1;
		}
		*rt = prim(SP_T_STRING);
		return 0;
	case F_SPLIT: case F_REGEXP_REPLACE: case F_REGEXP_EXTRACT:
		if (want(k, 0, SP_T_STRING) < 0 || want_literal(k, 1, "pattern", &s) < 0)
			return -1;
		if (sp_expr_regcomp(&e->re, s) < 0) {
			sp_expr_cfail(k->c, k->a->kids[1], "bad regular expression '%s'", s);
			return -1;
		}
		e->has_re = 1;
		e->neg = !*s;	/* split(s, ''): characters */
		if (n == 3 && want(k, 2, fn == F_REGEXP_REPLACE ? SP_T_STRING : SP_T_LONG) < 0)
			return -1;
		*rt = fn == F_SPLIT ? sp_type_new_array(prim(SP_T_STRING)) : prim(SP_T_STRING);
		return 0;
	case F_REPLACE: case F_INSTR: case F_STARTSWITH: case F_ENDSWITH: case F_CONTAINS_STR:
		for (size_t i = 0; i < n; i++)
			if (want(k, i, SP_T_STRING) < 0)
				return -1;
		*rt = prim(fn == F_REPLACE ? SP_T_STRING : fn == F_INSTR ? SP_T_LONG : SP_T_BOOLEAN);
		return 0;
	case F_LOCATE:
		if (want(k, 0, SP_T_STRING) < 0 || want(k, 1, SP_T_STRING) < 0 || (n == 3 && want(k, 2, SP_T_LONG) < 0))
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_COALESCE: case F_GREATEST: case F_LEAST:
		if (!(t = unify(k, 0, n)))
			return -1;
		*rt = sp_type_ref(t);
		return 0;
	case F_NVL2: case F_IF:
		if (fn == F_IF && !(e->k[0] = sp_expr_want_bool(k->c, k->a->kids[0], e->k[0], "if()"))) {
			e->k[0] = sp_expr_node(E_LIT, prim(SP_T_NULL));	/* keeps e freeable */
			return -1;
		}
		if (!(t = unify(k, 1, n)))
			return -1;
		*rt = sp_type_ref(t);
		return 0;
	case F_NULLIF:
		t = sp_expr_common(e->k[0]->type, e->k[1]->type, 1);
		if (!t || t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
			char *t0 = sp_expr_type_text(e->k[0]->type), *t1 = sp_expr_type_text(e->k[1]->type);

			sp_expr_cfail(k->c, k->a, "cannot compare %s with %s", t0, t1);
			free(t0);
			free(t1);
			return -1;
		}
		if (t->id == SP_T_NULL)
			t = prim(SP_T_STRING);
		e->k[0] = sp_expr_cast_to(e->k[0], t);
		e->k[1] = sp_expr_cast_to(e->k[1], t);
		*rt = sp_type_ref(t);
		return 0;
	case F_ISNULL: case F_ISNOTNULL:
		*rt = prim(SP_T_BOOLEAN);
		return 0;
	case F_ISNAN:
		if (want(k, 0, SP_T_DOUBLE) < 0)
			return -1;
		*rt = prim(SP_T_BOOLEAN);
		return 0;
	case F_NANVL:
		if (want(k, 0, SP_T_DOUBLE) < 0 || want(k, 1, SP_T_DOUBLE) < 0)
			return -1;
		*rt = prim(SP_T_DOUBLE);
		return 0;
	case F_ABS:
		if (want_num(k, 0) < 0)
			return -1;
		*rt = sp_type_ref(e->k[0]->type);
		return 0;
	case F_ROUND: case F_BROUND:
		if (want_num(k, 0) < 0 || (n == 2 && want(k, 1, SP_T_LONG) < 0))
			return -1;
		*rt = sp_type_ref(e->k[0]->type);
		return 0;
	case F_FLOOR: case F_CEIL:
		if (want_num(k, 0) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_SIGNUM: case F_SQRT: case F_POW: case F_EXP: case F_LN: case F_LOG10: case F_LOG:
		for (size_t i = 0; i < n; i++)
			if (want(k, i, SP_T_DOUBLE) < 0)
				return -1;
		*rt = prim(SP_T_DOUBLE);
		return 0;
	case F_TO_TS: case F_TO_DATE:
		if (n == 2 && want_pattern(k, 1) < 0)
			return -1;
		if (is_num(e->k[0]->type->id) && n == 1 && fn == F_TO_TS) {
			/* to_timestamp(seconds) is CAST(seconds AS TIMESTAMP) */
		} else if (want_time(k, 0, SP_T_STRING) < 0) {
			return -1;
		}
		*rt = prim(fn == F_TO_TS ? SP_T_TIMESTAMP : SP_T_DATE);
		return 0;
	case F_UNIX_TS:
		if (n == 2 && want_pattern(k, 1) < 0)
			return -1;
		if (n && want_time(k, 0, SP_T_STRING) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_FROM_UNIXTIME:
		if (want(k, 0, SP_T_LONG) < 0 || (n == 2 && want_pattern(k, 1) < 0))
			return -1;
		*rt = prim(SP_T_STRING);
		return 0;
	case F_DATE_FORMAT:
		if (want_time(k, 0, SP_T_TIMESTAMP) < 0 || want_pattern(k, 1) < 0)
			return -1;
		*rt = prim(SP_T_STRING);
		return 0;
	case F_TS_SECONDS: case F_TS_MILLIS:
		if (fn == F_TS_MILLIS ? want(k, 0, SP_T_LONG) < 0 : want_num(k, 0) < 0)
			return -1;
		*rt = prim(SP_T_TIMESTAMP);
		return 0;
	case F_UNIX_SECONDS: case F_UNIX_MILLIS:
		if (want(k, 0, SP_T_TIMESTAMP) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_DATE_TRUNC:
		if (want(k, 0, SP_T_STRING) < 0 || want(k, 1, SP_T_TIMESTAMP) < 0)
			return -1;
		*rt = prim(SP_T_TIMESTAMP);
		return 0;
	case F_DATE_ADD: case F_DATE_SUB:
		if (want(k, 0, SP_T_DATE) < 0 || want(k, 1, SP_T_LONG) < 0)
			return -1;
		*rt = prim(SP_T_DATE);
		return 0;
	case F_DATEDIFF:
		if (want(k, 0, SP_T_DATE) < 0 || want(k, 1, SP_T_DATE) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_YEAR: case F_QUARTER: case F_MONTH: case F_DAY: case F_DAYOFYEAR: case F_DOW: case F_WEEKOFYEAR:
		if (want_time(k, 0, SP_T_DATE) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_HOUR: case F_MINUTE: case F_SECOND:
		if (want(k, 0, SP_T_TIMESTAMP) < 0)
			return -1;
		*rt = prim(SP_T_LONG);
		return 0;
	case F_FROM_JSON: {
		struct sp_err e2 = SP_ERR_INIT;

		if (want(k, 0, SP_T_STRING) < 0 || want_literal(k, 1, "schema", &s) < 0)
			return -1;
		if (sp_type_parse_ddl(s, rt, &e2) < 0) {
			struct sp_err e3 = SP_ERR_INIT;

			if (sp_type_parse_one(s, rt, &e3) < 0) {
				sp_expr_cfail(k->c, k->a->kids[1], "from_json: %s", e2.msg);
				return -1;
			}
		}
		if ((*rt)->id != SP_T_STRUCT && (*rt)->id != SP_T_ARRAY) {
			sp_type_unref(*rt);
			sp_expr_cfail(k->c, k->a->kids[1], "from_json's schema must be a struct or an array");
			return -1;
		}
		return 0;
	}
	case F_TO_JSON:
		if (e->k[0]->type->id != SP_T_STRUCT && e->k[0]->type->id != SP_T_ARRAY) {
			char *tn = sp_expr_type_text(e->k[0]->type);

			sp_expr_cfail(k->c, k->a->kids[0], "to_json takes a struct or an array (as in to_json(struct(*))), not %s", tn);
			free(tn);
			return -1;
		}
		*rt = prim(SP_T_STRING);
		return 0;
	case F_STRUCT:
		t = sp_type_new_struct();
		for (size_t i = 0; i < n; i++) {
			const struct sp_ast *x = k->a->kids[i];
			char *nm = x->k == A_COL || x->k == A_FIELD ? sp_xstrdup(x->name) : sp_xasprintf("col%zu", i + 1);

			if (x->k == A_COL && e->k[i]->kind == E_COL)
				snprintf(nm, strlen(nm) + 1, "%s", k->c->env->schema->fields[e->k[i]->col].name);
			sp_type_add_field(t, nm, sp_type_ref(e->k[i]->type), 0);
			free(nm);
		}
		*rt = t;
		return 0;
	case F_NAMED_STRUCT:
		if (n % 2) {
			sp_expr_cfail(k->c, k->a, "named_struct takes name, value pairs");
			return -1;
		}
		t = sp_type_new_struct();
		for (size_t i = 0; i < n; i += 2) {
			if (!sp_expr_lit_string(e->k[i], &s)) {
				sp_type_unref(t);
				sp_expr_cfail(k->c, k->a->kids[i], "the names of named_struct must be string literals");
				return -1;
			}
			sp_type_add_field(t, s, sp_type_ref(e->k[i + 1]->type), 0);
		}
		*rt = t;
		return 0;
	case F_ARRAY:
		if (!(t = unify(k, 0, n)))
			return -1;
		*rt = sp_type_new_array(sp_type_ref(t));
		return 0;
	case F_SIZE: case F_EXPLODE: case F_EXPLODE_OUTER:
		if (want_array(k, 0) < 0)
			return -1;
		*rt = fn == F_SIZE ? prim(SP_T_LONG) : sp_type_ref(e->k[0]->type->elem);
		return 0;
	case F_CONTAINS: case F_ELEMENT_AT:
		if (want_array(k, 0) < 0)
			return -1;
		if (fn == F_ELEMENT_AT) {
			if (want(k, 1, SP_T_LONG) < 0)
				return -1;
			*rt = sp_type_ref(e->k[0]->type->elem);
			return 0;
		}
		t = sp_expr_common(e->k[0]->type->elem, e->k[1]->type, 1);
		if (!t || !sp_type_equal(t, e->k[0]->type->elem)) {
			char *t0 = sp_expr_type_text(e->k[0]->type), *t1 = sp_expr_type_text(e->k[1]->type);

			sp_expr_cfail(k->c, k->a, "cannot look for %s in %s", t1, t0);
			free(t0);
			free(t1);
			return -1;
		}
		e->k[1] = sp_expr_cast_to(e->k[1], t);
		*rt = prim(SP_T_BOOLEAN);
		return 0;
	case F_ARRAY_JOIN:
		if (want_array(k, 0) < 0)
			return -1;
		if (e->k[0]->type->elem->id != SP_T_STRING) {
			char *tn = sp_expr_type_text(e->k[0]->type);

			sp_expr_cfail(k->c, k->a->kids[0], "array_join takes an ARRAY<STRING>, not %s", tn);
			free(tn);
			return -1;
		}
		for (size_t i = 1; i < n; i++)
			if (want(k, i, SP_T_STRING) < 0)
				return -1;
		*rt = prim(SP_T_STRING);
		return 0;
	case F_UUID: case F_TYPEOF:
		*rt = prim(SP_T_STRING);
		return 0;
	}
	sp_expr_cfail(k->c, k->a, "unsupported function '%s'", k->a->name);
	return -1;
}

struct sp_expr *sp_expr_compile_call(struct sp_expr_cx *c, const struct sp_ast *a, int top)
{
	const struct fdef *f = find_fn(a->name);
	struct call k = { c, a, NULL };
	struct sp_type *t = NULL;
	size_t n = a->nkids;

	if (sp_is_aggregate(a->name))
		return sp_expr_cfail(c, a, "aggregate function '%s' is not allowed here (use stream-window)", a->name);
	if (!f)
		return sp_expr_cfail(c, a, "unknown function '%s'", a->name);
	if (a->star || a->distinct)
		return sp_expr_cfail(c, a, "'%s(%s...)' is only for aggregate functions", a->name, a->star ? "*" : "DISTINCT ");
	if ((int)n < f->min || (f->max != MANY && (int)n > f->max)) {
		if (f->min == f->max)
			return sp_expr_cfail(c, a, "'%s' takes %d argument%s, not %zu", a->name, f->min,
					     f->min == 1 ? "" : "s", n);
		if (f->max == MANY)
			return sp_expr_cfail(c, a, "'%s' takes at least %d argument%s, not %zu", a->name, f->min,
					     f->min == 1 ? "" : "s", n);
		return sp_expr_cfail(c, a, "'%s' takes %d to %d arguments, not %zu", a->name, f->min, f->max, n);
	}
	if ((f->fn == F_EXPLODE || f->fn == F_EXPLODE_OUTER) && !(top && c->env->allow_generator))
		return sp_expr_cfail(c, a, "generator '%s' is only allowed as a whole --select item", a->name);
	if (f->fn == F_NOW || f->fn == F_TODAY || (f->fn == F_UNIX_TS && n == 0)) {
		/* fixed when the expression is compiled, as Spark fixes it per query */
		struct sp_expr *e = sp_expr_node(E_LIT, prim(f->fn == F_NOW ? SP_T_TIMESTAMP
						 : f->fn == F_TODAY ? SP_T_DATE : SP_T_LONG));

		e->lit.t = e->type->id;
		e->lit.u.i = f->fn == F_NOW ? c->now : f->fn == F_TODAY ? sp_floordiv(c->now, SP_US_PER_DAY)
			   : sp_floordiv(c->now, SP_US_PER_SEC);
		return e;
	}
	k.e = sp_expr_node(E_FN, NULL);
	k.e->op = f->fn;
	for (size_t i = 0; i < n; i++) {
		struct sp_expr *x = sp_expr_compile_node(c, a->kids[i], 0);

		if (!x) {
			sp_expr_free(k.e);
			return NULL;
		}
		sp_expr_kid(k.e, x);
	}
	if (type_call(&k, f->fn, &t) < 0) {
		sp_expr_free(k.e);
		return NULL;
	}
	k.e->type = t;
	if (f->fn == F_TYPEOF) {
		/* a constant: Spark's simpleString of the argument's type */
		char *s = sp_type_simple_new(k.e->k[0]->type);
		struct sp_expr *e = sp_expr_node(E_LIT, prim(SP_T_STRING));

		e->litbuf = s;
		sp_val_set_str(&e->lit, s, strlen(s));
		sp_expr_free(k.e);
		return e;
	}
	if (t->id == SP_T_STRUCT || t->id == SP_T_ARRAY) {
		sp_col_init(&k.e->tmp, t);
		k.e->has_tmp = 1;
	}
	return k.e;
}

/* ---- evaluating ---- */

/* Number of UTF-8 characters. */
static size_t utf8_len(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Byte offset of character k (clamped to n). */
static size_t utf8_off(const char *s, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

/* The node's column for built values, emptied for a new batch or an earlier row. */
static struct sp_col *tmp_col(struct sp_expr *e, const struct sp_batch *b, size_t row)
{
	if (b != e->tmp_batch || row <= e->tmp_row || e->tmp.n >= (1u << 20)) {
		sp_col_reset(&e->tmp);
		e->tmp_batch = b;
	}
	e->tmp_row = row;
	return &e->tmp;
}

/* The string built in the node's buffer, copied into the arena. */
static void buf_result(struct sp_val *out, struct sp_buf *buf, struct sp_arena *a)
{
	sp_val_set_str(out, sp_expr_arena_str(a, buf->p, buf->len), buf->len);
}

/*
 * Spark rounds a DOUBLE through its decimal text (Scala's BigDecimal(d)
 * reads Double.toString(d)), so round(2.675, 2) is 2.68, not the 2.67 the
 * binary value would give. We do the same on the shortest digits.
 */
static double round_decimal(double x, int64_t scale, int half_even)
{
	char txt[40], digits[48], out[80];
	int nd = 0, exp10 = 0, neg = x < 0, keep, dot_seen = 0;
	const char *p;

	if (!isfinite(x) || scale > 300 || scale < -300)
		return x;
	sp_double_format(fabs(x), txt);
	/* digits and the position of the decimal point: value = 0.d1d2... * 10^exp10 */
	for (p = txt; *p && *p != 'E'; p++) {
		if (*p == '.') {
			dot_seen = 1;
			continue;
		}
		if (nd == 0 && *p == '0') {
			if (dot_seen)
				exp10--;
			continue;
		}
		digits[nd++] = *p;
		if (!dot_seen)
			exp10++;
		if (nd >= 40)
			break;
	}
	if (*p == 'E')
		exp10 += atoi(p + 1);
	if (!nd)
		return x;
	keep = exp10 + (int)scale;	/* digits to keep */
	if (keep < 0)
		return 0.0;	/* a BigDecimal has no negative zero */
	if (keep < nd) {
		int up = digits[keep] > '5' || (digits[keep] == '5' && (!half_even || keep + 1 < nd ||
								       (keep > 0 && (digits[keep - 1] - '0') % 2)));

		/* HALF_EVEN: exactly half with an even last digit rounds down */
		if (half_even && digits[keep] == '5') {
			int more = 0;

			for (int i = keep + 1; i < nd; i++)
				more |= digits[i] != '0';
			up = more || (keep > 0 && (digits[keep - 1] - '0') % 2);
		}
		nd = keep;
		if (up) {
			int i = nd - 1;

			while (i >= 0 && digits[i] == '9')
				digits[i--] = '0';
			if (i < 0) {
				memmove(digits + 1, digits, (size_t)nd);
				digits[0] = '1';
				nd++;
				exp10++;
			} else {
				digits[i]++;
			}
		}
		if (!nd)
			return 0.0;	/* a BigDecimal has no negative zero */
	}
	snprintf(out, sizeof out, "%s0.%.*se%d", neg ? "-" : "", nd, digits, exp10);
	return strtod(out, NULL);
}

static int64_t round_long(int64_t v, int64_t scale, int half_even)
{
	uint64_t p = 1, m, r;
	int neg = v < 0;

	if (scale >= 0)
		return v;
	if (scale < -18)
		return 0;
	for (int64_t i = 0; i < -scale; i++)
		p *= 10;
	m = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	r = m % p;
	m -= r;
	if (r * 2 > p || (r * 2 == p && (!half_even || (m / p) % 2)))
		m += p;
	return neg ? (int64_t)((uint64_t)0 - m) : (int64_t)m;
}

/* date_trunc(unit, ts); -1 for an unknown unit. */
static int trunc_ts(const char *u, size_t n, int64_t us, int64_t *out)
{
	static const struct {
		const char *u;
		int64_t us;
	} fixed[] = {
		{ "day", SP_US_PER_DAY }, { "dd", SP_US_PER_DAY }, { "hour", 3600 * SP_US_PER_SEC },
		{ "minute", 60 * SP_US_PER_SEC }, { "second", SP_US_PER_SEC }, { "millisecond", 1000 },
		{ "microsecond", 1 },
	};
	struct sp_expr_tm t;
	char unit[16];

	if (n >= sizeof unit)
		return -1;
	memcpy(unit, u, n);
	unit[n] = '\0';
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (!strcasecmp(unit, fixed[i].u)) {
			*out = sp_floordiv(us, fixed[i].us) * fixed[i].us;
			return 0;
		}
	sp_expr_ts_split(us, &t);
	if (!strcasecmp(unit, "week"))	/* weeks start on Monday */
		*out = (sp_floordiv(us, SP_US_PER_DAY) - (t.wday + 6) % 7) * SP_US_PER_DAY;
	else if (!strcasecmp(unit, "month") || !strcasecmp(unit, "mm") || !strcasecmp(unit, "mon"))
		*out = sp_days_from_civil(t.year, t.mon, 1) * SP_US_PER_DAY;
	else if (!strcasecmp(unit, "quarter"))
		*out = sp_days_from_civil(t.year, (t.mon - 1) / 3 * 3 + 1, 1) * SP_US_PER_DAY;
	else if (!strcasecmp(unit, "year") || !strcasecmp(unit, "yyyy") || !strcasecmp(unit, "yy"))
		*out = sp_days_from_civil(t.year, 1, 1) * SP_US_PER_DAY;
	else
		return -1;
	return 0;
}

/* ISO-8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
static int64_t iso_week(int64_t days)
{
	int64_t y, thursday = days - ((days + 3) % 7 + 7) % 7 + 3;	/* the Thursday of days' week */
	unsigned m, d;

	sp_civil_from_days(thursday, &y, &m, &d);
	return (thursday - sp_days_from_civil(y, 1, 1)) / 7 + 1;
}

/*
 * split, regexp_replace: Java's Pattern.split (limit > 0: at most limit
 * pieces; otherwise all, trailing empty ones kept, as Spark asks) and
 * Matcher.replaceAll (with $n group references in the replacement).
 * After an empty match the search goes on one byte further, as Java's.
 */
static void regex_walk(struct sp_expr *e, const char *s, size_t n, int64_t limit, const struct sp_val *rep,
		       struct sp_col *pieces, struct sp_buf *out)
{
	size_t from = 0, last = 0;
	int64_t count = 0;
	regmatch_t m[10];

	s = sp_expr_cstr(&e->subj, s, n);
	while (from <= n && sp_expr_regexec(&e->re, s, from, n, 10, m, 0) == 0) {
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;

		from = eo == so ? eo + 1 : eo;
		if (pieces) {
			if (limit > 0 && count >= limit - 1)
				break;
			/* no empty first piece from an empty match at the start */
			if (last == 0 && so == 0 && eo == 0)
				continue;
			sp_col_push_bytes(pieces->child, s + last, so - last);
			count++;
		} else {
			sp_buf_add(out, s + last, so - last);
			for (size_t i = 0; i < rep->u.s.len; i++) {
				char ch = rep->u.s.p[i];

				if (ch == '\\' && i + 1 < rep->u.s.len) {
					sp_buf_addc(out, rep->u.s.p[++i]);
				} else if (ch == '$' && i + 1 < rep->u.s.len && isdigit((unsigned char)rep->u.s.p[i + 1])) {
					int g = rep->u.s.p[++i] - '0';

					if (m[g].rm_so >= 0)
						sp_buf_add(out, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
				} else {
					sp_buf_addc(out, ch);
				}
			}
		}
		last = eo;
	}
	if (pieces) {
		sp_col_push_bytes(pieces->child, s + last, n - last);
		sp_col_push_array(pieces);
	} else {
		sp_buf_add(out, s + last, n - last);
	}
}

static void pad(struct sp_buf *buf, const struct sp_val *str, int64_t want, const struct sp_val *p, int left)
{
	size_t have = utf8_len(str->u.s.p, str->u.s.len), pchars = utf8_len(p->u.s.p, p->u.s.len);

	if (!left)
		sp_buf_add(buf, str->u.s.p, str->u.s.len);
	for (int64_t k = 0; pchars && k < want - (int64_t)have; k++) {
		size_t i = (size_t)k % pchars, o = utf8_off(p->u.s.p, p->u.s.len, i);

		sp_buf_add(buf, p->u.s.p + o, utf8_off(p->u.s.p, p->u.s.len, i + 1) - o);
	}
	if (left)
		sp_buf_add(buf, str->u.s.p, str->u.s.len);
}

static void uuid(struct sp_buf *buf)
{
	static uint64_t state;
	uint8_t r[16];

	if (!state)
		state = (uint64_t)sp_now_us() ^ ((uint64_t)(uintptr_t)&state << 16) ^ 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 16; i++) {
		/* xorshift64*: enough for identifiers, not for secrets */
		state ^= state >> 12;
		state ^= state << 25;
		state ^= state >> 27;
		r[i] = (uint8_t)((state * 0x2545f4914f6cdd1dULL) >> 56);
	}
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++)
		sp_buf_printf(buf, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", r[i]);
}

void sp_expr_ev_fn(struct sp_expr *e, const struct sp_batch *b, size_t row, struct sp_val *out, struct sp_arena *a)
{
	struct sp_val v[3], x;
	struct sp_buf *buf = &e->sb;	/* kept between rows: no malloc per row */
	struct sp_col *col;
	size_t n = e->nk;

	sp_buf_reset(buf);

	out->t = e->type->id;
	out->null = 0;
	/* the functions that look at NULL arguments themselves */
	switch (e->op) {
	case F_COALESCE:
		for (size_t i = 0; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, out, a);
			if (!out->null)
				return;
		}
		return;
	case F_IF:
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[!x.null && x.u.b ? 1 : 2], b, row, out, a);
		return;
	case F_NVL2:
		sp_expr_ev(e->k[0], b, row, &x, a);
		sp_expr_ev(e->k[x.null ? 2 : 1], b, row, out, a);
		return;
	case F_ISNULL: case F_ISNOTNULL:
		sp_expr_ev(e->k[0], b, row, &x, a);
		out->u.b = x.null == (e->op == F_ISNULL);
		return;
	case F_GREATEST: case F_LEAST: {
		int any = 0;

		for (size_t i = 0; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, &x, a);
			if (x.null)
				continue;
			if (!any || (e->op == F_GREATEST ? sp_expr_cmp(&x, out) > 0 : sp_expr_cmp(&x, out) < 0))
				*out = x;
			any = 1;
		}
		if (!any)
			sp_val_set_null(out, e->type->id);
		return;
	}
	case F_CONCAT_WS: {
		struct sp_val sep;
		size_t cnt = 0;

		sp_expr_ev(e->k[0], b, row, &sep, a);
		if (sep.null)
			goto null;
		for (size_t i = 1; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, &x, a);
			if (x.null)
				continue;
			if (x.t == SP_T_ARRAY) {
				for (size_t j = 0; j < x.u.arr.len; j++) {
					struct sp_val el;

					sp_col_get(x.u.arr.elems, x.u.arr.start + j, &el);
					if (el.null)
						continue;
					if (cnt++)
						sp_buf_add(buf, sep.u.s.p, sep.u.s.len);
					sp_buf_add(buf, el.u.s.p, el.u.s.len);
				}
				continue;
			}
			if (cnt++)
				sp_buf_add(buf, sep.u.s.p, sep.u.s.len);
			sp_buf_add(buf, x.u.s.p, x.u.s.len);
		}
		buf_result(out, buf, a);
		return;
	}
	case F_CONCAT:
		for (size_t i = 0; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, &x, a);
			if (x.null)
				goto null;
			sp_buf_add(buf, x.u.s.p, x.u.s.len);
		}
		buf_result(out, buf, a);
		return;
	case F_STRUCT: case F_NAMED_STRUCT: {
		size_t step = e->op == F_NAMED_STRUCT ? 2 : 1;

		col = tmp_col(e, b, row);
		for (size_t i = step - 1, f = 0; i < n; i += step, f++) {
			sp_expr_ev(e->k[i], b, row, &x, a);
			sp_col_push_val(&col->child[f], &x);
		}
		sp_col_push_struct(col);
		sp_col_get(col, col->n - 1, out);
		return;
	}
	case F_ARRAY:
		col = tmp_col(e, b, row);
		for (size_t i = 0; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, &x, a);
			sp_col_push_val(col->child, &x);
		}
		sp_col_push_array(col);
		sp_col_get(col, col->n - 1, out);
		return;
	case F_SIZE:
		sp_expr_ev(e->k[0], b, row, &x, a);
		/* Spark's legacy sizeOfNull, on by default outside ANSI mode */
		out->u.i = x.null ? -1 : (int64_t)x.u.arr.len;
		return;
	case F_ARRAY_JOIN: {
		size_t cnt = 0;

		for (size_t i = 0; i < n; i++) {
			sp_expr_ev(e->k[i], b, row, &v[i], a);
			if (v[i].null)
				goto null;
		}
		for (size_t j = 0; j < v[0].u.arr.len; j++) {
			sp_col_get(v[0].u.arr.elems, v[0].u.arr.start + j, &x);
			if (x.null && n < 3)
				continue;
			if (cnt++)
				sp_buf_add(buf, v[1].u.s.p, v[1].u.s.len);
			if (x.null)
				sp_buf_add(buf, v[2].u.s.p, v[2].u.s.len);
			else
				sp_buf_add(buf, x.u.s.p, x.u.s.len);
		}
		buf_result(out, buf, a);
		return;
	}
	case F_EXPLODE: case F_EXPLODE_OUTER:
		/* the select step walks the array itself; as a value, it is the array */
		sp_expr_ev(e->k[0], b, row, out, a);
		return;
	case F_UUID:
		uuid(buf);
		buf_result(out, buf, a);
		return;
	}
	/* the rest are NULL when any argument is */
	for (size_t i = 0; i < n && i < 3; i++) {
		sp_expr_ev(e->k[i], b, row, &v[i], a);
		if (v[i].null)
			goto null;
	}
	switch (e->op) {
	case F_LOWER: case F_UPPER: {
		char *p = sp_arena_alloc(a, v[0].u.s.len + 1);

		for (size_t i = 0; i < v[0].u.s.len; i++)
			p[i] = (char)(e->op == F_LOWER ? tolower((unsigned char)v[0].u.s.p[i])
				      : toupper((unsigned char)v[0].u.s.p[i]));
		sp_val_set_str(out, p, v[0].u.s.len);
		return;
	}
	case F_INITCAP: {
		char *p = sp_arena_alloc(a, v[0].u.s.len + 1);

		for (size_t i = 0; i < v[0].u.s.len; i++) {
			unsigned char ch = (unsigned char)v[0].u.s.p[i];

			p[i] = (char)(i == 0 || v[0].u.s.p[i - 1] == ' ' ? toupper(ch) : tolower(ch));
		}
		sp_val_set_str(out, p, v[0].u.s.len);
		return;
	}
	case F_REVERSE: {
		char *p = sp_arena_alloc(a, v[0].u.s.len + 1);
		size_t i = 0, n0 = v[0].u.s.len;

		while (i < n0) {
			size_t cl = utf8_off(v[0].u.s.p + i, n0 - i, 1);

			memcpy(p + n0 - i - cl, v[0].u.s.p + i, cl);
			i += cl;
		}
		sp_val_set_str(out, p, n0);
		return;
	}
	case F_LENGTH:
		out->u.i = (int64_t)(v[0].t == SP_T_BINARY ? v[0].u.s.len : utf8_len(v[0].u.s.p, v[0].u.s.len));
		return;
	case F_SUBSTR: case F_LEFT: case F_RIGHT: {
		/* Spark's UTF8String.substringSQL: 1-based; 0 is 1; negative counts from the end */
		int64_t len = (int64_t)utf8_len(v[0].u.s.p, v[0].u.s.len), pos, cnt, start, stop;

		if (e->op == F_LEFT) {
			pos = 1;
			cnt = v[1].u.i;
		} else if (e->op == F_RIGHT) {
			if (v[1].u.i <= 0) {
				sp_val_set_str(out, "", 0);
				return;
			}
			pos = -v[1].u.i;
			cnt = INT64_MAX;
		} else {
			pos = v[1].u.i;
			cnt = n > 2 ? v[2].u.i : INT64_MAX;
		}
		start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
		stop = cnt == INT64_MAX ? len : cnt > INT64_MAX - (start > 0 ? start : 0) ? INT64_MAX : start + cnt;
		if (start < 0)
			start = 0;
		if (stop > len)
			stop = len;
		if (start >= stop) {
			sp_val_set_str(out, "", 0);
			return;
		}
		{
			size_t s0 = utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)start);
			size_t s1 = utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)stop);

			sp_val_set_str(out, v[0].u.s.p + s0, s1 - s0);
		}
		return;
	}
	case F_TRIM: case F_LTRIM: case F_RTRIM: {
		const char *p = v[0].u.s.p;
		size_t l = v[0].u.s.len;

		if (e->op != F_RTRIM)
			while (l && *p == ' ')
				p++, l--;
		if (e->op != F_LTRIM)
			while (l && p[l - 1] == ' ')
				l--;
		sp_val_set_str(out, p, l);
		return;
	}
	case F_REPLACE: {
		const char *p = v[0].u.s.p, *end = p + v[0].u.s.len;
		size_t sl = v[1].u.s.len;

		if (!sl) {
			*out = v[0];
			return;
		}
		while (p < end) {
			const char *hit = memmem(p, (size_t)(end - p), v[1].u.s.p, sl);

			if (!hit) {
				sp_buf_add(buf, p, (size_t)(end - p));
				break;
			}
			sp_buf_add(buf, p, (size_t)(hit - p));
			if (n > 2)
				sp_buf_add(buf, v[2].u.s.p, v[2].u.s.len);
			p = hit + sl;
		}
		buf_result(out, buf, a);
		return;
	}
	case F_INSTR: case F_LOCATE: {
		/* instr(str, sub); locate(sub, str[, pos]) */
		const struct sp_val *str = e->op == F_INSTR ? &v[0] : &v[1], *sub = e->op == F_INSTR ? &v[1] : &v[0];
		int64_t from = e->op == F_LOCATE && n > 2 ? v[2].u.i : 1;
		size_t off;
		const char *hit;

		if (from < 1) {
			out->u.i = 0;
			return;
		}
		off = utf8_off(str->u.s.p, str->u.s.len, (size_t)(from - 1));
		if ((size_t)(from - 1) > utf8_len(str->u.s.p, str->u.s.len)) {
			out->u.i = 0;
			return;
		}
		hit = sub->u.s.len ? memmem(str->u.s.p + off, str->u.s.len - off, sub->u.s.p, sub->u.s.len)
		    : str->u.s.p + off;
		out->u.i = hit ? (int64_t)utf8_len(str->u.s.p, (size_t)(hit - str->u.s.p)) + 1 : 0;
		return;
	}
	case F_STARTSWITH: case F_ENDSWITH: case F_CONTAINS_STR: {
		size_t l = v[0].u.s.len, k = v[1].u.s.len;

		out->u.b = k <= l && (e->op == F_STARTSWITH ? !memcmp(v[0].u.s.p, v[1].u.s.p, k)
				      : e->op == F_ENDSWITH ? !memcmp(v[0].u.s.p + l - k, v[1].u.s.p, k)
				      : !k || memmem(v[0].u.s.p, l, v[1].u.s.p, k) != NULL);
		return;
	}
	case F_LPAD: case F_RPAD: {
		int64_t want = v[1].u.i;
		struct sp_val space;

		if (want <= 0) {
			sp_val_set_str(out, "", 0);
			return;
		}
		if ((size_t)want <= utf8_len(v[0].u.s.p, v[0].u.s.len)) {
			sp_val_set_str(out, v[0].u.s.p, utf8_off(v[0].u.s.p, v[0].u.s.len, (size_t)want));
			return;
		}
		sp_val_set_str(&space, " ", 1);
		pad(buf, &v[0], want, n > 2 ? &v[2] : &space, e->op == F_LPAD);
		buf_result(out, buf, a);
		return;
	}
	case F_REPEAT:
		for (int64_t i = 0; i < v[1].u.i && buf->len < (64u << 20); i++)
			sp_buf_add(buf, v[0].u.s.p, v[0].u.s.len);
		buf_result(out, buf, a);
		return;
	case F_SPLIT: {
		int64_t limit = n > 2 ? v[2].u.i : -1;

		col = tmp_col(e, b, row);
		if (e->neg && v[0].u.s.len) {
			/* Spark splits on an empty pattern into characters, with no empty last piece */
			const char *s = v[0].u.s.p;
			size_t len = v[0].u.s.len, chars = utf8_len(s, len), at = 0;
			size_t pieces = limit <= 0 || (uint64_t)limit > chars ? chars : (size_t)limit;

			for (size_t i = 0; i + 1 < pieces; i++) {
				size_t cl = utf8_off(s + at, len - at, 1);

				sp_col_push_bytes(col->child, s + at, cl);
				at += cl;
			}
			sp_col_push_bytes(col->child, s + at, len - at);
			sp_col_push_array(col);
		} else {
			regex_walk(e, v[0].u.s.p, v[0].u.s.len, limit, NULL, col, NULL);
		}
		sp_col_get(col, col->n - 1, out);
		return;
	}
	case F_REGEXP_REPLACE:
		regex_walk(e, v[0].u.s.p, v[0].u.s.len, -1, &v[2], NULL, buf);
		buf_result(out, buf, a);
		return;
	case F_REGEXP_EXTRACT: {
		int64_t g = n > 2 ? v[2].u.i : 1;
		regmatch_t m[10];

		if (g < 0 || g > 9 || sp_expr_regexec(&e->re, sp_expr_cstr(&e->subj, v[0].u.s.p, v[0].u.s.len), 0,
						      v[0].u.s.len, 10, m, 0) != 0 || m[g].rm_so < 0) {
			sp_val_set_str(out, "", 0);
			return;
		}
		sp_val_set_str(out, v[0].u.s.p + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		return;
	}
	case F_NULLIF:
		*out = v[0];
		if (!sp_expr_cmp(&v[0], &v[1]))
			sp_val_set_null(out, e->type->id);
		return;
	case F_ISNAN:
		out->u.b = isnan(v[0].u.d);
		return;
	case F_NANVL:
		out->u.d = isnan(v[0].u.d) ? v[1].u.d : v[0].u.d;
		return;
	case F_ABS:
		*out = v[0];
		if (out->t == SP_T_LONG)
			out->u.i = out->u.i < 0 ? (int64_t)(0 - (uint64_t)out->u.i) : out->u.i;
		else
			out->u.d = fabs(out->u.d);
		return;
	case F_SIGNUM:
		out->u.d = isnan(v[0].u.d) ? v[0].u.d : (v[0].u.d > 0) - (v[0].u.d < 0);
		return;
	case F_ROUND: case F_BROUND: {
		int64_t d = n > 1 ? v[1].u.i : 0;

		*out = v[0];
		if (out->t == SP_T_DOUBLE)
			out->u.d = round_decimal(out->u.d, d, e->op == F_BROUND);
		else
			out->u.i = round_long(out->u.i, d, e->op == F_BROUND);
		return;
	}
	case F_FLOOR: case F_CEIL:
		if (v[0].t == SP_T_LONG) {
			out->u.i = v[0].u.i;
		} else {
			x = (struct sp_val){ .t = SP_T_DOUBLE, .u.d = e->op == F_FLOOR ? floor(v[0].u.d) : ceil(v[0].u.d) };
			sp_val_cast(&x, prim(SP_T_LONG), a);
			out->u.i = x.u.i;
		}
		return;
	case F_SQRT: out->u.d = sqrt(v[0].u.d); return;
	case F_POW: out->u.d = pow(v[0].u.d, v[1].u.d); return;
	case F_EXP: out->u.d = exp(v[0].u.d); return;
	case F_LN: case F_LOG10: case F_LOG: {
		int two = e->op == F_LOG && n == 2;
		double base = two ? v[0].u.d : M_E, y = two ? v[1].u.d : v[0].u.d;

		if (y <= 0 || base <= 0)
			goto null;
		out->u.d = e->op == F_LOG10 ? log10(y) : two ? log(y) / log(base) : log(y);
		return;
	}
	case F_TO_TS: case F_TO_DATE: case F_UNIX_TS: {
		int64_t us;

		if (v[0].t == SP_T_TIMESTAMP || v[0].t == SP_T_DATE) {
			us = v[0].t == SP_T_DATE ? v[0].u.i * SP_US_PER_DAY : v[0].u.i;
		} else if (v[0].t != SP_T_STRING) {
			x = v[0];
			sp_val_cast(&x, prim(SP_T_TIMESTAMP), a);
			if (x.null)
				goto null;
			us = x.u.i;
		} else if (n == 2 || e->op == F_UNIX_TS) {
			if (sp_expr_ts_parse(v[0].u.s.p, v[0].u.s.len, n == 2 ? v[1].u.s.p : "yyyy-MM-dd HH:mm:ss", &us) < 0)
				goto null;
		} else if (e->op == F_TO_DATE) {
			if (sp_date_parse(v[0].u.s.p, v[0].u.s.len, &us) == 0)
				us *= SP_US_PER_DAY;
			else if (sp_ts_parse(v[0].u.s.p, v[0].u.s.len, &us) < 0)
				goto null;
		} else if (sp_ts_parse(v[0].u.s.p, v[0].u.s.len, &us) < 0) {
			goto null;
		}
		out->u.i = e->op == F_TO_TS ? us : e->op == F_TO_DATE ? sp_floordiv(us, SP_US_PER_DAY)
		      : sp_floordiv(us, SP_US_PER_SEC);
		return;
	}
	case F_FROM_UNIXTIME: case F_DATE_FORMAT: {
		int64_t us = v[0].u.i;

		if (e->op == F_FROM_UNIXTIME)
			us = v[0].u.i > INT64_MAX / SP_US_PER_SEC || v[0].u.i < INT64_MIN / SP_US_PER_SEC ? 0 : v[0].u.i * SP_US_PER_SEC;
		else if (v[0].t == SP_T_DATE)
			us = v[0].u.i * SP_US_PER_DAY;
		sp_expr_ts_format(buf, us, n > 1 ? v[1].u.s.p : "yyyy-MM-dd HH:mm:ss");
		buf_result(out, buf, a);
		return;
	}
	case F_TS_SECONDS: case F_TS_MILLIS:
		if (v[0].t == SP_T_LONG)
			out->u.i = (int64_t)((uint64_t)v[0].u.i * (e->op == F_TS_SECONDS ? 1000000u : 1000u));
		else if (!isfinite(v[0].u.d) || fabs(v[0].u.d) > 9.2e12)
			goto null;
		else
			out->u.i = (int64_t)(v[0].u.d * 1e6);	/* Spark truncates */
		return;
	case F_UNIX_SECONDS:
		out->u.i = sp_floordiv(v[0].u.i, SP_US_PER_SEC);
		return;
	case F_UNIX_MILLIS:
		out->u.i = sp_floordiv(v[0].u.i, 1000);
		return;
	case F_DATE_TRUNC:
		if (trunc_ts(v[0].u.s.p, v[0].u.s.len, v[1].u.i, &out->u.i) < 0)
			goto null;
		return;
	case F_DATE_ADD: case F_DATE_SUB:
		out->u.i = e->op == F_DATE_ADD ? v[0].u.i + v[1].u.i : v[0].u.i - v[1].u.i;
		return;
	case F_DATEDIFF:
		out->u.i = v[0].u.i - v[1].u.i;
		return;
	case F_YEAR: case F_QUARTER: case F_MONTH: case F_DAY: case F_DAYOFYEAR: case F_DOW: case F_WEEKOFYEAR:
	case F_HOUR: case F_MINUTE: case F_SECOND: {
		struct sp_expr_tm t;
		int64_t us = v[0].t == SP_T_DATE ? v[0].u.i * SP_US_PER_DAY : v[0].u.i;

		sp_expr_ts_split(us, &t);
		switch (e->op) {
		case F_YEAR: out->u.i = t.year; break;
		case F_QUARTER: out->u.i = (t.mon - 1) / 3 + 1; break;
		case F_MONTH: out->u.i = t.mon; break;
		case F_DAY: out->u.i = t.day; break;
		case F_DAYOFYEAR: out->u.i = t.yday; break;
		case F_DOW: out->u.i = t.wday + 1; break;
		case F_WEEKOFYEAR: out->u.i = iso_week(sp_floordiv(us, SP_US_PER_DAY)); break;
		case F_HOUR: out->u.i = t.hour; break;
		case F_MINUTE: out->u.i = t.min; break;
		default: out->u.i = t.sec; break;
		}
		return;
	}
	case F_FROM_JSON:
		col = tmp_col(e, b, row);
		sp_json_parse_into(col, v[0].u.s.p, v[0].u.s.len);
		sp_col_get(col, col->n - 1, out);
		return;
	case F_TO_JSON:
		sp_json_write_val(buf, &v[0]);
		buf_result(out, buf, a);
		return;
	case F_CONTAINS: {
		int saw_null = 0;

		for (size_t i = 0; i < v[0].u.arr.len; i++) {
			sp_col_get(v[0].u.arr.elems, v[0].u.arr.start + i, &x);
			if (x.null) {
				saw_null = 1;
			} else if (!sp_expr_cmp(&x, &v[1])) {
				out->u.b = 1;
				return;
			}
		}
		if (saw_null)
			goto null;
		out->u.b = 0;
		return;
	}
	case F_ELEMENT_AT: {
		int64_t i = v[1].u.i, len = (int64_t)v[0].u.arr.len;

		if (i == 0 || i > len || i < -len)
			goto null;
		sp_col_get(v[0].u.arr.elems, v[0].u.arr.start + (size_t)(i > 0 ? i - 1 : len + i), out);
		return;
	}
	}
null:
	sp_val_set_null(out, e->type->id);
}
