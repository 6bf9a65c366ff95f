/*
 * codec-csv.c: CSV records in and out of batches, with Spark's options.
 *
 * Spark reads CSV with the Univocity parser and writes it with Univocity's
 * writer; this file reproduces what those do with Spark's settings, down
 * to the odd cases (a quote in the middle of a quoted field keeps the raw
 * text up to the next delimiter, an escape before an ordinary character
 * stays in the value). Without multiLine, records are lines, split the way
 * Hadoop does (\n, \r\n or \r), and blank lines are skipped; with multiLine
 * a quoted field may hold line breaks and records are found by the parser
 * itself, with the line separator detected from the first line ending.
 *
 * Tokens become typed values as Spark's UnivocityParser makes them:
 *
 *   text on the line       token          value
 *   a,,c                   "a" NULL "c"   the empty unquoted field is NULL
 *   a,"",c                 "a" EMPTY "c"  emptyValue ("" by default), and
 *                                         NULL again when it equals nullValue
 *   "x\"y",'z'             x"y  'z'       escapes only inside quotes
 *
 * A record with more or fewer tokens than the schema, or a token that does
 * not convert, is malformed: PERMISSIVE keeps the partial row (and the raw
 * record in the corrupt-record column), DROPMALFORMED drops it, FAILFAST
 * fails naming the input and line.
 *
 * The common path never allocates per record: a line without quotes (or
 * with simply quoted fields) is split in place; anything else goes through
 * the full state machine, which builds values in a scratch buffer and
 * unwinds with longjmp at the end of its input, as Univocity's parser does
 * with an exception.
 */
#include "codec.h"

#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format.h"
#include "json-int.h"
#include "timefmt.h"

#define CSV_MAX_SEP 16
/* Univocity's default maxColumns, which Spark keeps. */
#define CSV_MAX_COLUMNS 20480

/* ---- format options shared by reader and writer ---- */

struct csv_fmt {
	char sep[CSV_MAX_SEP];
	size_t seplen;
	int multi;		/* more than one character (Univocity's multi-delimiter mode) */
	int quote;		/* 0: quoting disabled */
	int esc;		/* the quote escape */
	int ee;			/* charToEscapeQuoteEscaping, 0 for none */
	int comment;		/* -1: not set */
	char lsep[3];		/* lineSep, empty for the default */
	size_t lseplen;
	int lead, trail;	/* ignoreLeadingWhiteSpace, ignoreTrailingWhiteSpace */
};

/* Spark's CSVExprUtils.toDelimiterStr: "\t" and friends, several characters allowed. */
static void read_sep(struct csv_fmt *f, struct sp_kvs *o)
{
	const char *s = sp_kvs_get(o, "sep", NULL), *key = "sep";
	const char *d = sp_kvs_get(o, "delimiter", NULL);

	if (!s && d) {
		s = d;
		key = "delimiter";
	}
	if (!s)
		s = ",";
	if (!*s)
		sp_usage_error("option -o %s=: the delimiter cannot be empty", key);
	f->seplen = 0;
	for (const char *p = s; *p;) {
		char c = *p;

		if (*p == '\\') {
			if (!p[1])
				sp_usage_error("option -o %s=%s: a single backslash is not a delimiter (use \\\\)", key, s);
			switch (p[1]) {
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': c = '"'; break;
			case '\'': c = '\''; break;
			case '\\': c = '\\'; break;
			default:
				sp_usage_error("option -o %s=%s: unsupported special character '\\%c'", key, s, p[1]);
			}
			p += 2;
		} else {
			p++;
		}
		if (f->seplen == CSV_MAX_SEP)
			sp_usage_error("option -o %s=%s: delimiter too long", key, s);
		f->sep[f->seplen++] = c;
	}
	/* one UTF-8 character, however many bytes, is a single delimiter */
	for (size_t i = 0, chars = 0; i < f->seplen; i++)
		if (((unsigned char)f->sep[i] & 0xC0) != 0x80 && ++chars > 1)
			f->multi = 1;
}

/* Options common to reading and writing; lead/trail defaults differ. */
static void read_fmt(struct csv_fmt *f, struct sp_kvs *o, int ws_default)
{
	const char *v;

	memset(f, 0, sizeof *f);
	read_sep(f, o);
	f->quote = sp_kvs_char(o, "quote", '"', 1);
	f->esc = sp_kvs_char(o, "escape", '\\', 1);
	v = sp_kvs_get(o, "charToEscapeQuoteEscaping", NULL);
	if (v && *v)
		f->ee = sp_kvs_char(o, "charToEscapeQuoteEscaping", 0, 1);
	else
		f->ee = f->esc == f->quote ? 0 : f->esc;
	v = sp_kvs_get(o, "comment", NULL);
	f->comment = v && strlen(v) == 1 ? (unsigned char)v[0] : -1;
	if (v && *v && strlen(v) != 1 && strcmp(v, "\\u0000"))
		sp_usage_error("option -o comment=%s: expected a single character", v);
	v = sp_kvs_get(o, "lineSep", NULL);
	if (v) {
		if (!*v)
			sp_usage_error("option -o lineSep=: the line separator cannot be empty");
		if (strlen(v) > 2)
			sp_usage_error("option -o lineSep=%s: expected one or two characters", v);
		f->lseplen = strlen(v);
		memcpy(f->lsep, v, f->lseplen);
	}
	f->lead = sp_kvs_bool(o, "ignoreLeadingWhiteSpace", ws_default);
	f->trail = sp_kvs_bool(o, "ignoreTrailingWhiteSpace", ws_default);
	v = sp_kvs_get(o, "encoding", NULL);
	if (!v)
		v = sp_kvs_get(o, "charset", NULL);
	if (v && strcasecmp(v, "UTF-8") && strcasecmp(v, "UTF8"))
		sp_usage_error("option -o encoding=%s: only UTF-8 is supported", v);
}

/* Whitespace as Java's String.trim() and Univocity see it. */
static inline int is_ws(int c)
{
	return c >= 0 && c <= ' ';
}

/* ---- tokens ---- */

enum { K_VAL, K_NULL, K_EMPTY };

/* One field of a record: K_NULL is an empty unquoted field, K_EMPTY an empty quoted one. */
struct tokv {
	const char *p;
	size_t off;		/* in the scratch buffer, until fixed up */
	uint32_t len;
	uint8_t kind;
	uint8_t scratch;
};

/* A typed value between the tokens and the columns, so a dropped row leaves no trace. */
struct slot {
	int null;
	int64_t i;
	double d;
	const char *p;
	size_t len;
};

enum { NL_LF = 1, NL_CRLF, NL_CR, NL_CUSTOM };

struct sp_dec {
	struct csv_fmt f;
	int header, infer_types, prefer_date, multiline, enforce;
	enum sp_parse_mode mode;
	char *corrupt_name;
	char *rescue_name;	/* rescuedDataColumn, or NULL */
	char *nullv, *emptyv, *nanv, *posinf, *neginf;
	size_t nulllen, emptylen, nanlen, posinflen, neginflen;
	size_t max_columns;
	/* the schema rows are decoded to */
	struct sp_type *schema;
	size_t ndata;		/* fields read from the text */
	int *dcol;		/* output column of each of them */
	int corrupt;		/* output column of the corrupt record, or -1 */
	int rescue;		/* output column of the rescued data, or -1 */
	struct sp_buf rescued;
	/* inference */
	char **names;
	enum sp_type_id *itypes;
	size_t ninf;
	int have_first;
	/* the input being read */
	char *name;
	uint64_t line;		/* line number of the next byte */
	int at_start;		/* before the first byte (byte order mark) */
	int header_pending;	/* the next record is this input's header */
	int nl;			/* multiLine: the line separator */
	uint64_t dropped;
	/* scratch, reused for every record */
	struct tokv *tok;
	size_t ntok, tokcap;
	struct sp_buf app, wsb, tmp;
	struct slot *slots;
	char reason[256];
};

static inline struct tokv *tok_push(struct sp_dec *d)
{
	if (d->ntok == d->tokcap)
		sp_grow(&d->tok, &d->tokcap, d->ntok + 1, sizeof *d->tok);
	return &d->tok[d->ntok++];
}

static inline void tok_add(struct sp_dec *d, const char *p, size_t len, int kind)
{
	struct tokv *t = tok_push(d);

	t->p = p;
	t->len = (uint32_t)len;
	t->kind = (uint8_t)kind;
	t->scratch = 0;
}

/* Is there a (possibly multi-byte) delimiter at p? */
static inline int at_sep(const struct csv_fmt *f, const char *p, const char *e)
{
	return (size_t)(e - p) >= f->seplen && *p == f->sep[0] &&
	       (f->seplen == 1 || !memcmp(p, f->sep, f->seplen));
}

static const char *find_sep(const struct csv_fmt *f, const char *p, const char *e)
{
	while (p < e) {
		const char *q = memchr(p, f->sep[0], (size_t)(e - p));

		if (!q || f->seplen == 1)
			return q;
		if (at_sep(f, q, e))
			return q;
		p = q + 1;
	}
	return NULL;
}

/*
 * The fast path: splits one line (no line breaks inside) into tokens in
 * place. Returns 1 when the line needs the full state machine (a quoted
 * field with escapes, doubled quotes or text after its closing quote).
 */
static int tok_fast(struct sp_dec *d, const char *s, const char *e)
{
	const struct csv_fmt *f = &d->f;
	const char *p = s, *q;

	d->ntok = 0;
	for (;;) {
		if (f->lead)
			while (p < e && is_ws((unsigned char)*p) && !at_sep(f, p, e) && *p != f->quote)
				p++;
		if (p == e) {
			tok_add(d, p, 0, K_NULL);
			break;
		}
		if (f->quote && *p == f->quote) {
			for (q = p + 1; q < e; q++)
				if (*q == f->quote || *q == f->esc || *q == f->ee || !*q)
					break;
			if (q == e || *q != f->quote)
				return 1;
			if (q + 1 == e) {
				tok_add(d, p + 1, (size_t)(q - p - 1), q == p + 1 ? K_EMPTY : K_VAL);
				break;
			}
			if (!at_sep(f, q + 1, e))
				return 1;
			tok_add(d, p + 1, (size_t)(q - p - 1), q == p + 1 ? K_EMPTY : K_VAL);
			p = q + 1 + f->seplen;
		} else {
			const char *t;

			if (!(q = find_sep(f, p, e)))
				q = e;
			t = q;
			/* Univocity doubles a quote ending the input after a multi-character delimiter */
			if (q == e && f->multi && f->quote && q > p && q[-1] == (char)f->quote)
				return 1;
			if (f->trail)
				while (t > p && is_ws((unsigned char)t[-1]))
					t--;
			tok_add(d, p, (size_t)(t - p), t == p ? K_NULL : K_VAL);
			if (q == e)
				break;
			p = q + f->seplen;
		}
		if (p == e) {
			tok_add(d, p, 0, K_NULL);
			break;
		}
		if (d->ntok >= d->max_columns)
			return 1;
	}
	return 0;
}

/* ---- the full state machine ---- */

/*
 * Univocity's CSV parser, character by character. ch is the current
 * character, prev the previous significant one (0 after an escape was
 * used up). nc() returns NLV for a line break (multiLine only) and SEPV
 * for a delimiter of several bytes. At the end of the input it jumps back
 * to the record level, which finishes the record the way Univocity's
 * end-of-input handling does.
 */
#define SEPV 0x100
#define NLV 0x101

struct gtok {
	struct sp_dec *d;
	const char *p, *end, *start;
	int final;		/* the end of the buffer is the end of the input */
	int ml;			/* line breaks are record ends (multiLine) */
	int ch, prev, unescaped, trim;
	size_t vstart;		/* the current value in d->app */
	size_t lines;		/* line breaks consumed */
	int column;		/* values in this record so far */
	int sepv;		/* the delimiter as nc() returns it */
	int inq;		/* inside a quoted value */
	int need_more, toomany, unterminated, comment;
	jmp_buf jb;
};

static int nc(struct gtok *t)
{
	int c;

	if (t->p >= t->end) {
		if (!t->final)
			t->need_more = 1;
		longjmp(t->jb, 1);
	}
	c = (unsigned char)*t->p++;
	if (t->sepv == SEPV && c == (unsigned char)t->d->f.sep[0]) {
		size_t rest = t->d->f.seplen - 1, have = (size_t)(t->end - t->p);

		if (have < rest && !t->final && !memcmp(t->p, t->d->f.sep + 1, have)) {
			t->need_more = 1;
			longjmp(t->jb, 1);
		}
		if (have >= rest && !memcmp(t->p, t->d->f.sep + 1, rest)) {
			t->p += rest;
			return SEPV;
		}
	}
	if (!t->ml)
		return c;
	/*
	 * A \n always ends a record; \r\n does in files that start with
	 * \r\n line ends, a lone \r in files that start with \r.
	 */
	if (c == '\n') {
		c = NLV;
	} else if (c == '\r' && t->d->nl == NL_CR) {
		c = NLV;
	} else if (c == '\r' && t->d->nl == NL_CRLF) {
		if (t->p == t->end && !t->final) {
			t->need_more = 1;
			longjmp(t->jb, 1);
		}
		if (t->p < t->end && *t->p == '\n') {
			t->p++;
			c = NLV;
		}
	} else if (t->d->nl == NL_CUSTOM && c == (unsigned char)t->d->f.lsep[0]) {
		if (t->d->f.lseplen == 1) {
			c = NLV;
		} else if (t->p == t->end && !t->final) {
			t->need_more = 1;
			longjmp(t->jb, 1);
		} else if (t->p < t->end && *t->p == t->d->f.lsep[1]) {
			t->p++;
			c = NLV;
		}
	}
	if (c == NLV)
		t->lines++;
	return c;
}

static inline void app_add(struct gtok *t, int c)
{
	if (c == SEPV)
		sp_buf_add(&t->d->app, t->d->f.sep, t->d->f.seplen);
	else if (c == NLV)
		sp_buf_addc(&t->d->app, '\n');
	else
		sp_buf_addc(&t->d->app, (char)c);
}

static inline size_t app_len(struct gtok *t)
{
	return t->d->app.len - t->vstart;
}

static void g_emit(struct gtok *t, int kind)
{
	struct sp_dec *d = t->d;
	struct tokv *k;
	size_t len = app_len(t);

	if (kind == K_VAL && t->trim)
		while (len && is_ws((unsigned char)d->app.p[t->vstart + len - 1]))
			len--;
	if (kind == K_VAL && !len)
		kind = K_EMPTY;
	if ((size_t)t->column >= d->max_columns) {
		t->toomany = 1;
	} else {
		k = tok_push(d);
		k->p = NULL;
		k->off = t->vstart;
		k->len = kind == K_VAL ? (uint32_t)len : 0;
		k->kind = (uint8_t)kind;
		k->scratch = 1;
	}
	t->column++;
	t->vstart = d->app.len;
	t->trim = 0;
}

/* An unquoted value: empty (after trimming) is Univocity's nullValue. */
static void g_emit_unquoted(struct gtok *t)
{
	size_t len = app_len(t);

	if (t->trim)
		while (len && is_ws((unsigned char)t->d->app.p[t->vstart + len - 1]))
			len--;
	g_emit(t, len ? K_VAL : K_NULL);
}

static inline int g_is_sep(struct gtok *t, int c)
{
	return c == t->sepv;
}

/* Appends from ch on until one of a, b, c; returns that character. */
static int g_until3(struct gtok *t, int a, int b, int c)
{
	int x = t->ch;

	while (x != a && x != b && x != c) {
		app_add(t, x);
		x = nc(t);
	}
	return x;
}

/*
 * Appends from ch on until a delimiter or a line break. With a delimiter
 * of several characters Univocity keeps ch current as it goes, which
 * shows at the end of the input (see g_eof).
 */
static int g_until_sep(struct gtok *t)
{
	int x = t->ch;

	while (!g_is_sep(t, x) && x != NLV) {
		app_add(t, x);
		x = nc(t);
		if (t->d->f.multi)
			t->ch = x;
	}
	return x;
}

static void g_unquoted_escapes(struct gtok *t);

static void g_quote_escape(struct gtok *t)
{
	const struct csv_fmt *f = &t->d->f;

	if (t->ch == f->esc && t->prev == f->ee && f->ee) {
		app_add(t, f->esc);
		t->ch = 0;
	} else if (t->prev == f->esc) {
		if (t->ch == f->quote) {
			app_add(t, f->quote);
			t->ch = 0;
		} else {
			app_add(t, t->prev);
		}
	} else if (t->ch == f->quote && t->prev == f->quote) {
		app_add(t, f->quote);
	} else if (t->prev == f->quote) {
		/* a quote inside a value: keep it and go on to the delimiter */
		app_add(t, f->quote);
		t->prev = t->ch;
		g_unquoted_escapes(t);
	}
}

static void g_unquoted_escapes(struct gtok *t)
{
	const struct csv_fmt *f = &t->d->f;

	while (!g_is_sep(t, t->ch) && t->ch != NLV) {
		if (t->ch != f->quote && t->ch != f->esc) {
			if (t->prev == f->quote) {
				app_add(t, f->quote);
				t->prev = t->ch;
				g_unquoted_escapes(t);
				return;
			}
			app_add(t, t->ch);
		} else {
			g_quote_escape(t);
		}
		t->prev = t->ch;
		t->ch = nc(t);
	}
}

static void g_quoted(struct gtok *t)
{
	const struct csv_fmt *f = &t->d->f;
	struct sp_buf *ws = &t->d->wsb;

	if (t->prev) {
		/* after an unescaped quote: the raw text up to the delimiter, opening quote included */
		struct sp_buf *a = &t->d->app;

		sp_buf_room(a, 1);
		memmove(a->p + t->vstart + 1, a->p + t->vstart, a->len - t->vstart);
		a->p[t->vstart] = (char)f->quote;
		a->len++;
		t->inq = 0;
		t->ch = nc(t);
		t->trim = f->trail;
		t->ch = g_until_sep(t);
		return;
	}
	t->inq = 1;
	t->ch = nc(t);
	for (;;) {
		if (t->prev == f->quote && (is_ws(t->ch) || g_is_sep(t, t->ch) || t->ch == NLV))
			break;
		if (t->ch != f->quote && t->ch != f->esc) {
			if (t->prev == f->quote) {
				t->inq = 0;
				t->unescaped = 1;
				app_add(t, f->quote);
				app_add(t, t->ch);
				t->prev = t->ch;
				g_quoted(t);
				return;
			}
			if (t->prev == f->esc && f->esc)
				app_add(t, f->esc);
			t->ch = g_until3(t, f->quote, f->esc, f->ee);
			t->prev = t->ch;
			t->ch = nc(t);
		} else {
			g_quote_escape(t);
			t->prev = t->ch;
			t->ch = nc(t);
			if (t->unescaped && (g_is_sep(t, t->ch) || t->ch == NLV)) {
				t->inq = 0;
				return;
			}
		}
	}
	t->inq = 0;
	/* whitespace after the closing quote is dropped, unless text follows it */
	if (!g_is_sep(t, t->ch) && t->ch != NLV && is_ws(t->ch)) {
		sp_buf_reset(ws);
		do {
			sp_buf_addc(ws, (char)t->ch);
			t->ch = nc(t);
			if (t->ch == NLV)
				return;
		} while (is_ws(t->ch));
		if (!g_is_sep(t, t->ch)) {
			app_add(t, f->quote);
			sp_buf_add(&t->d->app, ws->p, ws->len);
			app_add(t, t->ch);
			t->prev = t->ch;
			g_quoted(t);
		}
	}
}

static void g_skip_ws(struct gtok *t)
{
	while (is_ws(t->ch) && !g_is_sep(t, t->ch) && t->ch != NLV && t->ch != t->d->f.quote)
		t->ch = nc(t);
}

/* Is the line separator at q (multiLine)? */
static int line_sep_at(const struct gtok *t, const char *q)
{
	switch (t->d->nl) {
	case NL_LF:
		return *q == '\n';
	case NL_CR:
		return *q == '\r';
	case NL_CRLF:
		return *q == '\r' && q + 1 < t->end && q[1] == '\n';
	default:
		return *q == t->d->f.lsep[0] &&
		       (t->d->f.lseplen == 1 || (q + 1 < t->end && q[1] == t->d->f.lsep[1]));
	}
}

/*
 * A quoted value that closes right before a delimiter or line break, with
 * no escaped quote inside, is taken as it is (Univocity's getQuotedString,
 * which skips the state machine and so keeps escapes of other characters,
 * charToEscapeQuoteEscaping included). Returns 0 if the value is not that
 * simple; otherwise emits it and reads on like Univocity does.
 */
static int g_simple_quoted(struct gtok *t)
{
	const struct csv_fmt *f = &t->d->f;
	const char *q = t->p, *e = t->end;
	struct tokv *k;

	if (f->multi)
		return 0;
	for (;; q++) {
		int c;

		if (q >= e)
			return 0;
		c = (unsigned char)*q;
		if (c == f->quote) {
			int n;

			if (q > t->start && (unsigned char)q[-1] == f->esc)
				return 0;
			if (q + 1 >= e)
				return 0;
			n = (unsigned char)q[1];
			if (n == '\n' || at_sep(f, q + 1, e))
				break;
			return 0;
		}
		if (c == f->esc) {
			if (q + 1 < e && ((unsigned char)q[1] == f->quote || (unsigned char)q[1] == f->ee))
				return 0;
		} else if (t->ml && line_sep_at(t, q)) {
			return 0;
		}
	}
	if ((size_t)t->column >= t->d->max_columns) {
		t->toomany = 1;
	} else {
		k = tok_push(t->d);
		k->p = t->p;
		k->len = (uint32_t)(q - t->p);
		k->kind = q == t->p ? K_EMPTY : K_VAL;
		k->scratch = 0;
	}
	t->column++;
	t->p = q + 1;
	t->ch = nc(t);
	if (g_is_sep(t, t->ch)) {
		t->ch = nc(t);
		if (t->ch == NLV)
			g_emit(t, K_NULL);
	}
	return 1;
}

/* One record; t->ch holds its first character. */
static void g_record(struct gtok *t)
{
	const struct csv_fmt *f = &t->d->f;

	if (f->lead && is_ws(t->ch))
		g_skip_ws(t);
	while (t->ch != NLV) {
		if (f->lead && is_ws(t->ch))
			g_skip_ws(t);
		if (g_is_sep(t, t->ch) || t->ch == NLV) {
			g_emit(t, K_NULL);
		} else {
			t->unescaped = 0;
			t->prev = 0;
			if (f->quote && t->ch == f->quote) {
				if (g_simple_quoted(t))
					continue;
				t->trim = 0;
				g_quoted(t);
				g_emit(t, K_VAL);
			} else {
				t->trim = f->trail;
				t->ch = g_until_sep(t);
				g_emit_unquoted(t);
			}
		}
		if (t->ch != NLV) {
			t->ch = nc(t);
			if (t->ch == NLV)
				g_emit(t, K_NULL);
		}
	}
}

/* The end of the input inside a record: what Univocity keeps of it. */
static void g_eof(struct gtok *t, size_t consumed)
{
	const struct csv_fmt *f = &t->d->f;
	int consume;

	t->unterminated = t->inq && !(t->ch == f->quote && t->prev == f->quote);
	if (f->quote && t->ch == f->quote) {
		if (t->prev == f->quote) {
			consume = 1;
			goto done;
		}
		if (!t->unescaped)
			app_add(t, f->quote);
	}
	consume = t->prev && !g_is_sep(t, t->ch) && t->ch != NLV;
done:
	t->ch = t->prev = 0;
	if (t->column || consume) {
		if (app_len(t) || consume)
			g_emit(t, K_VAL);
		else if (consumed)
			g_emit(t, K_NULL);
	} else if (app_len(t) || consumed) {
		g_emit(t, app_len(t) ? K_VAL : K_NULL);
	}
}

/*
 * Tokenizes one record with the state machine, from s (not past end).
 * Single-line mode: [s, end) is the whole line. Multi-line: the record
 * ends at its line break; *used gets the bytes it took. Returns 1 for a
 * record, 0 for a skipped line (multi-line: blank or comment), -1 when
 * more input is needed, -2 at the end of the input.
 */
static int tok_general(struct sp_dec *d, const char *s, const char *end, int final, int ml, size_t *used,
		       size_t *lines)
{
	struct gtok t;

	memset(&t, 0, sizeof t);
	t.d = d;
	t.p = t.start = s;
	t.end = end;
	t.final = final;
	t.ml = ml;
	t.sepv = d->f.seplen > 1 ? SEPV : (unsigned char)d->f.sep[0];
	d->ntok = 0;
	sp_buf_reset(&d->app);
	if (setjmp(t.jb)) {
		if (t.need_more)
			return -1;
		if (t.comment) {
			*used = (size_t)(t.p - s);
			*lines = t.lines;
			return 0;
		}
		if (t.p == t.start && !t.column)
			return -2;
		g_eof(&t, (size_t)(t.p - t.start));
		goto out;
	}
	t.ch = nc(&t);
	if (ml) {
		if (d->f.comment >= 0 && t.ch == d->f.comment) {
			t.comment = 1;
			while (t.ch != NLV)
				t.ch = nc(&t);
			*used = (size_t)(t.p - s);
			*lines = t.lines;
			return 0;
		}
		if (t.ch == NLV) {
			*used = (size_t)(t.p - s);
			*lines = t.lines;
			return 0;
		}
	}
	g_record(&t);
out:
	*used = (size_t)(t.p - s);
	*lines = t.lines;
	for (size_t i = 0; i < d->ntok; i++)
		if (d->tok[i].scratch)
			d->tok[i].p = d->app.p ? d->app.p + d->tok[i].off : "";
	if (!d->ntok && !t.toomany)
		return 0;
	if (t.toomany) {
		snprintf(d->reason, sizeof d->reason, "more than %zu fields", d->max_columns);
		return 2;
	}
	if (ml && t.unterminated) {
		snprintf(d->reason, sizeof d->reason, "unterminated quoted field");
		return 2;
	}
	return 1;
}

/* ---- values ---- */

/* Java's Long.parseLong. */
static int parse_long(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned dgt = (unsigned char)s[i] - '0';

		if (dgt > 9)
			return -1;
		if (v > (lim - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Java's Double.parseDouble: surrounding whitespace, a sign, NaN,
 * Infinity, decimal or hexadecimal digits, an optional f/F/d/D suffix.
 * Short decimals are converted exactly without strtod.
 */
static int parse_double(const char *s, size_t n, double *out, struct sp_buf *tmp)
{
	const char *p, *e;
	uint64_t mant = 0;
	int ndig = 0, exp10 = 0, neg = 0, digits = 0, hex = 0;

	while (n && is_ws((unsigned char)*s))
		s++, n--;
	while (n && is_ws((unsigned char)s[n - 1]))
		n--;
	p = s;
	e = s + n;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (e - p == 3 && !memcmp(p, "NaN", 3)) {
		*out = NAN;
		return 0;
	}
	if (e - p == 8 && !memcmp(p, "Infinity", 8)) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = 1;
		p += 2;
		for (; p < e && isxdigit((unsigned char)*p); p++)
			digits++;
		if (p < e && *p == '.')
			for (p++; p < e && isxdigit((unsigned char)*p); p++)
				digits++;
		if (!digits || p == e || (*p != 'p' && *p != 'P'))
			return -1;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || !isdigit((unsigned char)*p))
			return -1;
		while (p < e && isdigit((unsigned char)*p))
			p++;
	} else {
		for (; p < e && isdigit((unsigned char)*p); p++) {
			digits++;
			if (ndig < 19) {
				if (mant || *p != '0') {
					mant = mant * 10 + (unsigned)(*p - '0');
					ndig++;
				}
			} else {
				exp10++;
			}
		}
		if (p < e && *p == '.') {
			for (p++; p < e && isdigit((unsigned char)*p); p++) {
				digits++;
				if (ndig < 19) {
					if (mant || *p != '0') {
						mant = mant * 10 + (unsigned)(*p - '0');
						ndig++;
					}
					exp10--;
				}
			}
		}
		if (!digits)
			return -1;
		if (p < e && (*p == 'e' || *p == 'E')) {
			int eneg = 0, ev = 0;

			p++;
			if (p < e && (*p == '+' || *p == '-'))
				eneg = *p++ == '-';
			if (p == e || !isdigit((unsigned char)*p))
				return -1;
			for (; p < e && isdigit((unsigned char)*p); p++)
				if (ev < 100000)
					ev = ev * 10 + (*p - '0');
			exp10 += eneg ? -ev : ev;
		}
	}
	if (p < e && (*p == 'f' || *p == 'F' || *p == 'd' || *p == 'D'))
		p++;
	if (p != e)
		return -1;
	if (!hex && ndig <= 15 && exp10 >= -22 && exp10 <= 22) {
		double v = (double)mant;

		v = exp10 < 0 ? v / pow10_tab[-exp10] : v * pow10_tab[exp10];
		*out = neg ? -v : v;
		return 0;
	}
	/* strtod wants a terminated string without Java's suffix (in hex, d and f are digits before the p) */
	sp_buf_reset(tmp);
	sp_buf_add(tmp, s, (size_t)(e - s));
	if (strchr("fFdD", tmp->p[tmp->len - 1]))
		tmp->p[--tmp->len] = '\0';
	*out = strtod(tmp->p, NULL);
	return 0;
}

static int parse_bool(const char *s, size_t n, int *out)
{
	if (n == 4 && !strncasecmp(s, "true", 4)) {
		*out = 1;
		return 0;
	}
	if (n == 5 && !strncasecmp(s, "false", 5)) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* yyyy-MM-dd exactly, as the strict date parser used for inference. */
static int strict_date(const char *s, size_t n)
{
	int64_t days;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	return sp_date_parse(s, n, &days) == 0;
}

static int eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

/* ---- the decoder ---- */

static void dec_free(struct sp_dec *d);

static char *opt_dup(struct sp_kvs *o, const char *key, const char *def, size_t *len)
{
	char *s = sp_xstrdup(sp_kvs_get(o, key, def));

	*len = strlen(s);
	return s;
}

static int dec_new(struct sp_dec **out, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_dec *d = sp_xcalloc(1, sizeof *d);
	const char *v;

	(void)err;
	read_fmt(&d->f, o, 0);
	d->header = sp_kvs_bool(o, "header", 0);
	d->infer_types = sp_kvs_bool(o, "inferSchema", 0);
	d->prefer_date = sp_kvs_bool(o, "preferDate", 1);
	d->multiline = sp_kvs_bool(o, "multiLine", 0);
	d->enforce = sp_kvs_bool(o, "enforceSchema", 1);
	d->mode = sp_parse_mode_opt(o);
	d->corrupt_name = sp_xstrdup(sp_kvs_get(o, "columnNameOfCorruptRecord", "_corrupt_record"));
	if ((v = sp_kvs_get(o, "rescuedDataColumn", NULL))) {
		if (!*v)
			sp_usage_error("option -o rescuedDataColumn: the column name cannot be empty");
		if (!strcmp(v, d->corrupt_name))
			sp_usage_error("option -o rescuedDataColumn=%s: the corrupt record column has that name", v);
		d->rescue_name = sp_xstrdup(v);
	}
	d->nullv = opt_dup(o, "nullValue", "", &d->nulllen);
	d->emptyv = opt_dup(o, "emptyValue", "", &d->emptylen);
	d->nanv = opt_dup(o, "nanValue", "NaN", &d->nanlen);
	d->posinf = opt_dup(o, "positiveInf", "Inf", &d->posinflen);
	d->neginf = opt_dup(o, "negativeInf", "-Inf", &d->neginflen);
	d->max_columns = (size_t)sp_kvs_long(o, "maxColumns", CSV_MAX_COLUMNS, 1, 1 << 24);
	sp_kvs_long(o, "maxCharsPerColumn", -1, -1, INT32_MAX);
	v = sp_kvs_get(o, "samplingRatio", NULL);
	if (v) {
		char *end;
		double r = strtod(v, &end);

		if (end == v || *end || !(r > 0 && r <= 1))
			sp_usage_error("option -o samplingRatio=%s: expected a number in (0, 1]", v);
	}
	v = sp_kvs_get(o, "unescapedQuoteHandling", NULL);
	if (v && strcasecmp(v, "STOP_AT_DELIMITER"))
		sp_usage_error("option -o unescapedQuoteHandling=%s: only STOP_AT_DELIMITER is supported", v);
	v = sp_kvs_get(o, "timestampFormat", NULL);
	if (v && strcmp(v, "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]") && strcmp(v, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"))
		sp_usage_error("option -o timestampFormat=%s: only Spark's default format is supported", v);
	v = sp_kvs_get(o, "dateFormat", NULL);
	if (v && strcmp(v, "yyyy-MM-dd"))
		sp_usage_error("option -o dateFormat=%s: only Spark's default format (yyyy-MM-dd) is supported", v);
	d->corrupt = d->rescue = -1;
	d->name = sp_xstrdup("standard input");
	d->line = 1;
	d->at_start = 1;
	d->header_pending = d->header;
	*out = d;
	return 0;
}

static void dec_start(struct sp_dec *d, const char *name)
{
	free(d->name);
	d->name = sp_xstrdup(name);
	d->line = 1;
	d->at_start = 1;
	d->header_pending = d->header;
	d->nl = d->f.lseplen ? NL_CUSTOM : 0;
}

/*
 * The next line of a single-line input: [*ls, *le) without its line
 * break, *next after it. 0 when no complete line is buffered.
 */
static int next_line(struct sp_dec *d, const char *buf, size_t len, size_t pos, int eof, const char **ls,
		     const char **le, size_t *next)
{
	const char *s = buf + pos, *e = buf + len, *nl, *cr;

	if (d->f.lseplen) {
		nl = d->f.lseplen == 1 ? memchr(s, d->f.lsep[0], (size_t)(e - s))
				       : memmem(s, (size_t)(e - s), d->f.lsep, d->f.lseplen);
		if (!nl) {
			if (!eof || s == e)
				return 0;
			*ls = s;
			*le = e;
			*next = len;
			return 1;
		}
		*ls = s;
		*le = nl;
		*next = (size_t)(nl - buf) + d->f.lseplen;
		return 1;
	}
	nl = memchr(s, '\n', (size_t)(e - s));
	if (!nl) {
		if (!eof || s == e)
			return 0;
		nl = e;
	}
	*ls = s;
	/* Hadoop's reader also ends a line at a lone \r */
	cr = memchr(s, '\r', (size_t)(nl - s));
	if (cr && cr + 1 != nl) {
		*le = cr;
		*next = (size_t)(cr - buf) + 1;
		return 1;
	}
	*le = cr ? cr : nl;
	*next = nl == e ? len : (size_t)(nl - buf) + 1;
	return 1;
}

static int blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!is_ws((unsigned char)*s))
			return 0;
	return 1;
}

/* Skips a byte order mark at the start of an input; 0 if more bytes are needed to tell. */
static int skip_bom(struct sp_dec *d, const char *buf, size_t len, int eof, size_t *pos)
{
	static const char bom[3] = { '\xef', '\xbb', '\xbf' };

	if (!d->at_start)
		return 1;
	if (len - *pos < 3 && !eof && !memcmp(buf + *pos, bom, len - *pos))
		return 0;
	if (len - *pos >= 3 && !memcmp(buf + *pos, bom, 3))
		*pos += 3;
	d->at_start = 0;
	return 1;
}

/* multiLine: the line separator, from the first line ending; 0 if more bytes are needed. */
static int detect_nl(struct sp_dec *d, const char *buf, size_t len, int eof, size_t pos)
{
	const char *s = buf + pos, *e = buf + len;

	if (d->nl)
		return 1;
	for (; s < e; s++) {
		if (*s == '\n') {
			d->nl = NL_LF;
			return 1;
		}
		if (*s == '\r') {
			if (s + 1 == e && !eof)
				return 0;
			d->nl = s + 1 < e && s[1] == '\n' ? NL_CRLF : NL_CR;
			return 1;
		}
	}
	if (!eof)
		return 0;
	d->nl = NL_LF;
	return 1;
}

/*
 * The next record at buf[*pos]: tokens in d->tok, its raw text in
 * [*rs, *re) and its first line in *rline. Skips byte order marks, blank
 * lines and comments. Returns 1 for a record, 2 for a record that could
 * not be tokenized (too many fields; d->reason says why), 0 when more
 * input is needed or the input is done.
 */
static int next_record(struct sp_dec *d, const char *buf, size_t len, int eof, size_t *pos, const char **rs,
		       const char **re, uint64_t *rline)
{
	const char *ls, *le;
	size_t next, used, lines;
	int r;

	if (!skip_bom(d, buf, len, eof, pos))
		return 0;
	if (!d->multiline) {
		for (;;) {
			if (!next_line(d, buf, len, *pos, eof, &ls, &le, &next))
				return 0;
			*pos = next;
			*rline = d->line++;
			if (ls == le || (is_ws((unsigned char)*ls) && blank(ls, le)))
				continue;
			if (d->f.comment >= 0 ? *ls == (char)d->f.comment : *ls == '\0')
				continue;
			if (d->header_pending && d->f.comment >= 0) {
				const char *t = ls;

				while (t < le && is_ws((unsigned char)*t))
					t++;
				if (*t == (char)d->f.comment)
					continue;
			}
			*rs = ls;
			*re = le;
			if (tok_fast(d, ls, le) == 0)
				return 1;
			r = tok_general(d, ls, le, 1, 0, &used, &lines);
			if (r == 0) {
				tok_add(d, ls, 0, K_NULL);
				r = 1;
			}
			return r;
		}
	}
	for (;;) {
		const char *s = buf + *pos, *e = buf + len, *nl;

		if (s == e)
			return 0;
		if (!detect_nl(d, buf, len, eof, *pos))
			return 0;
		*rline = d->line;
		/* a line without quotes is a record by itself */
		nl = (d->nl == NL_LF || d->nl == NL_CRLF) ? memchr(s, '\n', (size_t)(e - s)) : NULL;
		if (nl && (!d->f.quote || !memchr(s, d->f.quote, (size_t)(nl - s)))) {
			const char *raw_end = nl > s && nl[-1] == '\r' ? nl - 1 : nl;

			le = d->nl == NL_CRLF ? raw_end : nl;
			*pos = (size_t)(nl - buf) + 1;
			d->line++;
			if (s == le || (d->f.comment >= 0 && *s == (char)d->f.comment))
				continue;
			if (d->f.lead && blank(s, le))
				continue;
			*rs = s;
			*re = raw_end;
			if (tok_fast(d, s, le) == 0)
				return 1;
			*pos = (size_t)(s - buf);
			d->line--;
		}
		r = tok_general(d, s, e, eof, 1, &used, &lines);
		if (r == -1 || r == -2)
			return 0;
		*pos += used;
		d->line += lines;
		if (r == 0)
			continue;
		*rs = s;
		*re = s + used;
		/* the raw record without its line break (Scala's stripLineEnd) */
		if (*re > *rs && ((*re)[-1] == '\n' || (*re)[-1] == '\f')) {
			(*re)--;
			if (**re == '\n' && *re > *rs && (*re)[-1] == '\r')
				(*re)--;
		}
		return r;
	}
}

/* Short, printable excerpt of a value for messages. */
static void excerpt(char *buf, size_t size, const char *s, size_t n)
{
	size_t max = 40, k = 0;

	for (size_t i = 0; i < n && i < max && k + 5 < size; i++)
		buf[k++] = (unsigned char)s[i] < ' ' ? '?' : s[i];
	if (n > max && k + 4 < size) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
}

/* Spark's value for token k of a column of type t (UnivocityParser.makeConverter). */
static int convert(struct sp_dec *d, const struct sp_type *t, const struct tokv *k, struct slot *sl)
{
	const char *s;
	size_t n;
	int b;

	sl->null = 0;
	if (k->kind == K_NULL) {
		sl->null = 1;
		return 0;
	}
	if (k->kind == K_EMPTY) {
		s = d->emptyv;
		n = d->emptylen;
	} else {
		s = k->p;
		n = k->len;
	}
	if (eq(s, n, d->nullv, d->nulllen)) {
		sl->null = 1;
		return 0;
	}
	sl->p = s;
	sl->len = n;
	switch (t->id) {
	case SP_T_LONG:
		return parse_long(s, n, &sl->i);
	case SP_T_DOUBLE:
		if (eq(s, n, d->nanv, d->nanlen))
			sl->d = NAN;
		else if (eq(s, n, d->posinf, d->posinflen))
			sl->d = INFINITY;
		else if (eq(s, n, d->neginf, d->neginflen))
			sl->d = -INFINITY;
		else
			return parse_double(s, n, &sl->d, &d->tmp);
		return 0;
	case SP_T_BOOLEAN:
		if (parse_bool(s, n, &b) < 0)
			return -1;
		sl->i = b;
		return 0;
	case SP_T_TIMESTAMP:
		return sp_ts_parse(s, n, &sl->i);
	case SP_T_DATE:
		return sp_date_parse(s, n, &sl->i);
	default:
		return 0;
	}
}

static void push_slot(struct sp_col *c, const struct slot *sl)
{
	if (sl->null) {
		sp_col_push_null(c);
		return;
	}
	switch (c->type->id) {
	case SP_T_LONG:
	case SP_T_TIMESTAMP:
	case SP_T_DATE:
		sp_col_push_i64(c, sl->i);
		break;
	case SP_T_DOUBLE:
		sp_col_push_f64(c, sl->d);
		break;
	case SP_T_BOOLEAN:
		sp_col_push_bool(c, (int)sl->i);
		break;
	default:
		sp_col_push_bytes(c, sl->p, sl->len);
		break;
	}
}

/* The token's text as Univocity hands it to Spark. */
static void tok_text(const struct sp_dec *d, const struct tokv *k, const char **s, size_t *n)
{
	if (k->kind == K_NULL) {
		*s = d->nullv;
		*n = d->nulllen;
	} else if (k->kind == K_EMPTY) {
		*s = d->emptyv;
		*n = d->emptylen;
	} else {
		*s = k->p;
		*n = k->len;
	}
}

/* Appends ,"key":"text" (text NULL: null) to the rescued data of a record. */
static void rescue_add(struct sp_buf *b, const char *key, size_t klen, const char *text, size_t len)
{
	sp_buf_addc(b, ',');
	sp_jw_string(b, key, klen);
	sp_buf_addc(b, ':');
	if (text)
		sp_jw_string(b, text, len);
	else
		sp_buf_puts(b, "null");
}

/*
 * Turns the tokens of one record into a row of b, following the parse
 * mode. status 2: the tokenizer already found the record malformed.
 * Returns 1 if a row was added, 0 if dropped, -1 on FAILFAST.
 */
static int add_row(struct sp_dec *d, struct sp_batch *b, int status, const char *rs, const char *re, uint64_t line,
		   struct sp_err *err)
{
	const struct sp_type *st = d->schema;
	int bad = status == 2;

	if (d->rescue >= 0)
		sp_buf_reset(&d->rescued);
	if (!bad && d->ntok != d->ndata && (d->rescue < 0 || d->ntok < d->ndata)) {
		bad = 1;
		snprintf(d->reason, sizeof d->reason, "expected %zu field%s, found %zu", d->ndata,
			 d->ndata == 1 ? "" : "s", d->ntok);
	}
	for (size_t j = 0; j < d->ndata; j++) {
		const struct sp_field *fd = &st->fields[d->dcol[j]];
		struct slot *sl = &d->slots[j];

		if (j >= d->ntok) {
			sl->null = 1;
			continue;
		}
		if (convert(d, fd->type, &d->tok[j], sl) < 0) {
			if (d->rescue >= 0 && status != 2) {
				rescue_add(&d->rescued, fd->name, strlen(fd->name), sl->p, sl->len);
				sl->null = 1;
				continue;
			}
			if (!bad) {
				char ex[64];

				excerpt(ex, sizeof ex, sl->p, sl->len);
				snprintf(d->reason, sizeof d->reason, "column '%s': cannot parse '%s' as %s", fd->name, ex,
					 sp_type_name(fd->type->id));
			}
			bad = 1;
			sl->null = 1;
		}
	}
	if (!bad && d->rescue >= 0) {
		/* fields beyond the schema are rescued, named as Spark names columns without a header */
		for (size_t j = d->ndata; j < d->ntok; j++) {
			const char *ts;
			size_t tn;
			char key[32];

			snprintf(key, sizeof key, "_c%zu", j);
			tok_text(d, &d->tok[j], &ts, &tn);
			rescue_add(&d->rescued, key, strlen(key), d->tok[j].kind == K_NULL ? NULL : ts, tn);
		}
	}
	if (bad && d->mode == SP_DROPMALFORMED) {
		d->dropped++;
		return 0;
	}
	if (bad && d->mode == SP_FAILFAST)
		return sp_err_set(err, "%s line %llu: malformed CSV record: %s", d->name, (unsigned long long)line,
				  d->reason);
	for (size_t j = 0; j < d->ndata; j++)
		push_slot(&b->cols[d->dcol[j]], &d->slots[j]);
	if (d->corrupt >= 0) {
		if (bad)
			sp_col_push_bytes(&b->cols[d->corrupt], rs, (size_t)(re - rs));
		else
			sp_col_push_null(&b->cols[d->corrupt]);
	}
	if (d->rescue >= 0) {
		if (d->rescued.len && !bad) {
			d->rescued.p[0] = '{';
			sp_buf_addc(&d->rescued, '}');
			sp_col_push_bytes(&b->cols[d->rescue], d->rescued.p, d->rescued.len);
		} else {
			sp_col_push_null(&b->cols[d->rescue]);
		}
	}
	sp_batch_row_done(b);
	return 1;
}


/* enforceSchema=false: the header must name the schema's columns (case-insensitive). */
static int check_header(struct sp_dec *d, uint64_t line, struct sp_err *err)
{
	const struct sp_type *st = d->schema;

	if (d->enforce || !st)
		return 0;
	if (d->ntok != d->ndata)
		return sp_err_set(err, "%s line %llu: CSV header has %zu column%s but the schema has %zu", d->name,
				  (unsigned long long)line, d->ntok, d->ntok == 1 ? "" : "s", d->ndata);
	for (size_t j = 0; j < d->ndata; j++) {
		const char *name = st->fields[d->dcol[j]].name, *s;
		size_t n;

		tok_text(d, &d->tok[j], &s, &n);
		if (strlen(name) != n || strncasecmp(name, s, n))
			return sp_err_set(err, "%s line %llu: CSV header does not conform to the schema: "
					  "expected '%s' but found '%.*s' (column %zu)", d->name,
					  (unsigned long long)line, name, (int)n, s, j + 1);
	}
	return 0;
}

static ssize_t dec_decode(struct sp_dec *d, const char *buf, size_t len, int eof, struct sp_batch *b,
			  size_t max_rows, struct sp_err *err)
{
	size_t pos = 0, added = 0;
	const char *rs, *re;
	uint64_t line;
	int r;

	if (!d->schema)
		return sp_err_set(err, "csv: decoding without a schema");
	while (added < max_rows) {
		if (!(r = next_record(d, buf, len, eof, &pos, &rs, &re, &line)))
			break;
		if (d->header_pending) {
			d->header_pending = 0;
			if (check_header(d, line, err) < 0)
				return -1;
			continue;
		}
		if ((r = add_row(d, b, r, rs, re, line, err)) < 0)
			return -1;
		added += (size_t)r;
	}
	return (ssize_t)pos;
}

/* ---- schema inference (CSVInferSchema) ---- */

/* One step of Spark's inferField: the type a value suggests, given the type so far. */
static enum sp_type_id infer_value(struct sp_dec *d, enum sp_type_id so_far, const char *s, size_t n)
{
	int64_t i;
	double x;
	int b;

	switch (so_far) {
	case SP_T_NULL:
	case SP_T_LONG:
		if (parse_long(s, n, &i) == 0)
			return SP_T_LONG;
		/* fall through */
	case SP_T_DOUBLE:
		if (parse_double(s, n, &x, &d->tmp) == 0 || eq(s, n, d->nanv, d->nanlen) ||
		    eq(s, n, d->posinf, d->posinflen) || eq(s, n, d->neginf, d->neginflen))
			return SP_T_DOUBLE;
		if (d->prefer_date && strict_date(s, n))
			return SP_T_DATE;
		if (sp_ts_parse(s, n, &i) == 0)
			return SP_T_TIMESTAMP;
		break;
	case SP_T_DATE:
		if (strict_date(s, n))
			return SP_T_DATE;
		/* fall through */
	case SP_T_TIMESTAMP:
		if (sp_ts_parse(s, n, &i) == 0)
			return SP_T_TIMESTAMP;
		break;
	case SP_T_BOOLEAN:
		break;
	default:
		return SP_T_STRING;
	}
	return parse_bool(s, n, &b) == 0 ? SP_T_BOOLEAN : SP_T_STRING;
}

/* Spark's compatibleType for CSV: numbers widen, anything else that differs is a string. */
static enum sp_type_id merge_types(enum sp_type_id a, enum sp_type_id b)
{
	if (a == b || b == SP_T_NULL)
		return a;
	if (a == SP_T_NULL)
		return b;
	if ((a == SP_T_LONG && b == SP_T_DOUBLE) || (a == SP_T_DOUBLE && b == SP_T_LONG))
		return SP_T_DOUBLE;
	return SP_T_STRING;
}

static void infer_first(struct sp_dec *d, int is_header)
{
	d->ninf = d->ntok;
	d->names = sp_xcalloc(d->ninf ? d->ninf : 1, sizeof *d->names);
	d->itypes = sp_xcalloc(d->ninf ? d->ninf : 1, sizeof *d->itypes);
	for (size_t i = 0; i < d->ninf; i++) {
		const char *s;
		size_t n;
		int dup = 0;

		d->itypes[i] = SP_T_NULL;
		tok_text(d, &d->tok[i], &s, &n);
		if (!is_header || !n || eq(s, n, d->nullv, d->nulllen)) {
			d->names[i] = sp_xasprintf("_c%zu", i);
			continue;
		}
		/* Spark's makeSafeHeader: case-insensitive duplicates get their index appended */
		for (size_t j = 0; j < d->ninf && !dup; j++) {
			const char *s2;
			size_t n2;

			if (j == i)
				continue;
			tok_text(d, &d->tok[j], &s2, &n2);
			dup = n2 == n && !strncasecmp(s, s2, n);
		}
		d->names[i] = dup ? sp_xasprintf("%.*s%zu", (int)n, s, i) : sp_xstrndup(s, n);
	}
	d->have_first = 1;
}

static ssize_t dec_infer(struct sp_dec *d, const char *buf, size_t len, int eof, size_t max_records, size_t *used,
			 struct sp_err *err)
{
	size_t pos = 0, n = 0;
	const char *rs, *re;
	uint64_t line;

	(void)err;
	while (n < max_records) {
		if (!next_record(d, buf, len, eof, &pos, &rs, &re, &line))
			break;
		n++;
		if (d->header_pending) {
			d->header_pending = 0;
			if (!d->have_first)
				infer_first(d, 1);
			continue;
		}
		if (!d->have_first)
			infer_first(d, 0);
		if (!d->infer_types)
			continue;
		for (size_t i = 0; i < d->ntok && i < d->ninf; i++) {
			const char *s;
			size_t k;

			tok_text(d, &d->tok[i], &s, &k);
			if (d->tok[i].kind == K_NULL || !k || eq(s, k, d->nullv, d->nulllen))
				continue;
			d->itypes[i] = merge_types(d->itypes[i], infer_value(d, d->itypes[i], s, k));
		}
	}
	*used = pos;
	return (ssize_t)n;
}

static struct sp_type *dec_inferred(struct sp_dec *d)
{
	struct sp_type *st = sp_type_new_struct();

	for (size_t i = 0; i < d->ninf; i++) {
		enum sp_type_id id = d->infer_types && d->itypes[i] != SP_T_NULL ? d->itypes[i] : SP_T_STRING;

		sp_type_add_field(st, d->names[i], sp_type_prim(id), 0);
	}
	return st;
}

static int unsupported(const struct sp_type *st, struct sp_err *err, int usage)
{
	for (size_t i = 0; i < st->nfields; i++) {
		const struct sp_type *t = st->fields[i].type;

		if (t->id == SP_T_STRUCT || t->id == SP_T_ARRAY || t->id == SP_T_NULL) {
			char *simple = sp_type_simple_new(t);

			if (usage)
				sp_err_usage(err, "CSV data source does not support %s data type (column '%s')", simple,
					     st->fields[i].name);
			else
				sp_err_set(err, "CSV data source does not support %s data type (column '%s')", simple,
					   st->fields[i].name);
			free(simple);
			return -1;
		}
	}
	return 0;
}

static int dec_set_schema(struct sp_dec *d, struct sp_type *schema, struct sp_err *err)
{
	struct sp_type *t = NULL;
	size_t j = 0;

	if (unsupported(schema, err, 1) < 0)
		return -1;
	d->corrupt = d->rescue = -1;
	for (size_t i = 0; i < schema->nfields; i++) {
		const char *n = schema->fields[i].name, *what = NULL;

		if (!strcmp(n, d->corrupt_name)) {
			what = "corrupt record";
			d->corrupt = (int)i;
		} else if (d->rescue_name && !strcmp(n, d->rescue_name)) {
			what = "rescued data";
			d->rescue = (int)i;
		}
		if (what && schema->fields[i].type->id != SP_T_STRING)
			return sp_err_usage(err, "the %s column '%s' must be of type STRING", what, n);
	}
	if (d->rescue_name && d->rescue < 0) {
		/* the rescued-data column comes last, as Auto Loader adds it */
		t = sp_type_new_struct();
		for (size_t i = 0; i < schema->nfields; i++)
			sp_type_add_field(t, schema->fields[i].name, sp_type_ref(schema->fields[i].type),
					  schema->fields[i].flags);
		sp_type_add_field(t, d->rescue_name, sp_type_prim(SP_T_STRING), 0);
		d->rescue = (int)t->nfields - 1;
	}
	sp_type_unref(d->schema);
	d->schema = t ? t : sp_type_ref(schema);
	schema = d->schema;
	d->ndata = schema->nfields - (d->corrupt >= 0) - (d->rescue >= 0);
	free(d->dcol);
	free(d->slots);
	d->dcol = sp_xcalloc(schema->nfields + 1, sizeof *d->dcol);
	d->slots = sp_xcalloc(schema->nfields + 1, sizeof *d->slots);
	for (size_t i = 0; i < schema->nfields; i++)
		if ((int)i != d->corrupt && (int)i != d->rescue)
			d->dcol[j++] = (int)i;
	return 0;
}

static struct sp_type *dec_schema(struct sp_dec *d)
{
	return d->schema;
}

static uint64_t dec_dropped(struct sp_dec *d)
{
	return d->dropped;
}

static void dec_free(struct sp_dec *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ninf; i++)
		free(d->names[i]);
	free(d->names);
	free(d->itypes);
	sp_type_unref(d->schema);
	free(d->dcol);
	free(d->slots);
	free(d->corrupt_name);
	free(d->rescue_name);
	sp_buf_release(&d->rescued);
	free(d->nullv);
	free(d->emptyv);
	free(d->nanv);
	free(d->posinf);
	free(d->neginf);
	free(d->name);
	free(d->tok);
	sp_buf_release(&d->app);
	sp_buf_release(&d->wsb);
	sp_buf_release(&d->tmp);
	free(d);
}

const struct sp_dec_class sp_csv_dec = {
	"csv",
	"header, inferSchema, sep (delimiter), quote, escape, charToEscapeQuoteEscaping, comment, "
	"nullValue, emptyValue, nanValue, positiveInf, negativeInf, ignoreLeadingWhiteSpace, "
	"ignoreTrailingWhiteSpace, mode, columnNameOfCorruptRecord, rescuedDataColumn, multiLine, lineSep, enforceSchema, "
	"preferDate, samplingRatio, timestampFormat, dateFormat, encoding, maxColumns, maxCharsPerColumn, "
	"unescapedQuoteHandling",
	dec_new,
	dec_infer,
	dec_inferred,
	dec_set_schema,
	dec_schema,
	dec_start,
	dec_decode,
	dec_dropped,
	dec_free,
};

/* ---- the encoder (Univocity's CsvWriter with Spark's settings) ---- */

struct sp_enc {
	struct csv_fmt f;
	int header, header_due, quote_all, escape_quotes;
	int wcomment;		/* Univocity's format comment ('#' unless set) */
	char *nullv, *emptyv;
	size_t nulllen, emptylen;
	const char *eol;
	size_t eollen;
	struct sp_type *checked;	/* the last schema found writable */
	uint8_t trig[256];	/* characters that make a value quoted */
};

static int enc_new(struct sp_enc **out, struct sp_kvs *o, struct sp_err *err)
{
	struct sp_enc *e = sp_xcalloc(1, sizeof *e);
	const char *v;

	(void)err;
	read_fmt(&e->f, o, 1);
	e->header = sp_kvs_bool(o, "header", 0);
	e->quote_all = sp_kvs_bool(o, "quoteAll", 0);
	e->escape_quotes = sp_kvs_bool(o, "escapeQuotes", 1);
	e->nullv = sp_xstrdup(sp_kvs_get(o, "nullValue", ""));
	e->nulllen = strlen(e->nullv);
	e->emptyv = sp_xstrdup(sp_kvs_get(o, "emptyValue", "\"\""));
	e->emptylen = strlen(e->emptyv);
	e->wcomment = e->f.comment >= 0 ? e->f.comment : '#';
	v = sp_kvs_get(o, "timestampFormat", NULL);
	if (v && strcmp(v, "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]") && strcmp(v, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"))
		sp_usage_error("option -o timestampFormat=%s: only Spark's default format is supported", v);
	v = sp_kvs_get(o, "dateFormat", NULL);
	if (v && strcmp(v, "yyyy-MM-dd"))
		sp_usage_error("option -o dateFormat=%s: only Spark's default format (yyyy-MM-dd) is supported", v);
	v = sp_kvs_get(o, "compression", NULL);
	if (v && strcasecmp(v, "none") && strcasecmp(v, "uncompressed"))
		sp_usage_error("option -o compression=%s: only none is supported", v);
	if (e->f.lseplen) {
		e->eol = e->f.lsep;
		e->eollen = e->f.lseplen;
	} else {
		e->eol = "\n";
		e->eollen = 1;
	}
	e->trig['\n'] = e->trig['\r'] = 1;
	for (size_t i = 0; i < e->eollen; i++)
		e->trig[(unsigned char)e->eol[i]] = 1;
	if (e->escape_quotes && e->f.quote)
		e->trig[e->f.quote] = 1;
	*out = e;
	return 0;
}

static void enc_start(struct sp_enc *e)
{
	e->header_due = e->header;
}

/* A delimiter or a quoting trigger anywhere in s[i..n)? */
static int needs_quotes(const struct sp_enc *e, const char *s, size_t i, size_t n)
{
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (e->trig[c] || (c == (unsigned char)e->f.sep[0] && at_sep(&e->f, s + i, s + n)))
			return 1;
	}
	return 0;
}

/* Drops trailing whitespace written since mark (Univocity's updateWhitespace). */
static void rtrim_since(struct sp_buf *out, size_t mark)
{
	while (out->len > mark && is_ws((unsigned char)out->p[out->len - 1]))
		out->len--;
	if (out->p)
		out->p[out->len] = '\0';
}

/* The body of a quoted value from s[i]: quotes and escapes escaped. */
static void put_quoted_body(const struct sp_enc *e, struct sp_buf *out, const char *s, size_t i, size_t n)
{
	size_t start = i;

	for (; i < n; i++) {
		int c = (unsigned char)s[i];

		if ((c == e->f.quote && e->f.quote) || c == e->f.esc) {
			sp_buf_add(out, s + start, i - start);
			start = i + 1;
			if (c == e->f.quote)
				sp_buf_addc(out, (char)e->f.esc);
			else if (e->f.ee)
				sp_buf_addc(out, (char)e->f.ee);
			sp_buf_addc(out, (char)c);
		}
	}
	sp_buf_add(out, s + start, n - start);
}

/*
 * Appends the text Univocity writes for one element, without the
 * surrounding quotes, and returns whether it must be quoted: when asked
 * (quoteAll), when it holds a delimiter, a line break or a quote
 * (escapeQuotes), when it starts with a quote, or when it is the first
 * field and starts with the comment character. nullValue and emptyValue
 * already in quotes (special) are written as they are.
 */
static int put_elem(const struct sp_enc *e, struct sp_buf *out, const char *s, size_t n, int quoted, int col,
		    int special)
{
	size_t start = 0, mark = out->len, i;

	if (e->f.lead)
		while (start < n && is_ws((unsigned char)s[start]))
			start++;
	if (start < n && ((e->f.quote && s[start] == (char)e->f.quote) || (col == 0 && s[0] == (char)e->wcomment)))
		quoted = 1;
	if (quoted && special && n >= 2 && e->f.quote && s[0] == (char)e->f.quote && s[n - 1] == (char)e->f.quote) {
		sp_buf_add(out, s, n);
		return 0;
	}
	i = start;
	if (!quoted) {
		for (; i < n; i++) {
			int c = (unsigned char)s[i];

			if ((c == e->f.quote && e->f.quote) || c == e->f.esc) {
				if (needs_quotes(e, s, i, n)) {
					quoted = 1;
					break;
				}
				/* a quote or escape in a value that needs no quotes: the rest as it is */
				i = n;
				break;
			}
			if (e->trig[c] || (c == (unsigned char)e->f.sep[0] && at_sep(&e->f, s + i, s + n))) {
				quoted = 1;
				break;
			}
		}
		sp_buf_add(out, s + start, i - start);
		start = i;
	}
	if (quoted)
		put_quoted_body(e, out, s, start, n);
	if (e->f.trail)
		rtrim_since(out, mark);
	return quoted;
}

/* Appends one value (NULL: nullValue; empty: emptyValue), quoted as Univocity does. */
static void put_value(const struct sp_enc *e, struct sp_buf *out, const char *s, size_t n, int is_null, int col)
{
	size_t mark = out->len;
	int quoted;

	if (is_null) {
		s = e->nullv;
		n = e->nulllen;
	}
	quoted = put_elem(e, out, s, n, e->quote_all, col, is_null);
	if (out->len == mark && !is_null)
		quoted = put_elem(e, out, e->emptyv, e->emptylen, quoted, col, 1);
	if (quoted) {
		sp_buf_room(out, 1);
		memmove(out->p + mark + 1, out->p + mark, out->len - mark);
		out->p[mark] = (char)e->f.quote;
		out->len++;
		sp_buf_addc(out, (char)e->f.quote);
	}
}

/*
 * Number and time formatting without printf, which dominates writing
 * otherwise. Each falls back to the library's formatter outside its
 * simple range, and gives the same text inside it.
 */
static size_t fmt_u64(uint64_t v, char *buf)
{
	char tmp[24];
	size_t n = 0, k = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		buf[k++] = tmp[--n];
	return k;
}

static size_t fmt_i64(int64_t v, char *buf)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + fmt_u64(0 - (uint64_t)v, buf + 1);
	}
	return fmt_u64((uint64_t)v, buf);
}

static const double exact_pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
				      1e13, 1e14, 1e15 };

/*
 * Java's Double.toString for 1e-3 <= |d| < 1e7 with at most 15
 * significant digits: the fewest fraction digits k for which the decimal
 * m / 10^k reads back as d (15-digit decimals are distinct doubles, so it
 * is the shortest and closest). Returns 0 when d is not such a number.
 */
static size_t fmt_double_fast(double d, char *buf)
{
	double v = fabs(d);
	size_t n = 0;

	if (!(v >= 1e-3 && v < 1e7))
		return 0;
	for (int k = 0; k <= 15; k++) {
		double m = nearbyint(v * exact_pow10[k]);
		uint64_t im, ip, fr;

		if (m >= 1e15)
			return 0;
		if (m / exact_pow10[k] != v)
			continue;
		im = (uint64_t)m;
		ip = im / (uint64_t)exact_pow10[k];
		fr = im % (uint64_t)exact_pow10[k];
		if (d < 0)
			buf[n++] = '-';
		n += fmt_u64(ip, buf + n);
		buf[n++] = '.';
		if (!k) {
			buf[n++] = '0';
		} else {
			for (int i = k - 1; i >= 0; i--) {
				buf[n + (size_t)i] = (char)('0' + fr % 10);
				fr /= 10;
			}
			n += (size_t)k;
		}
		buf[n] = '\0';
		return n;
	}
	return 0;
}

static inline void two(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* yyyy-mm-dd for years 0..9999, else the library's form. */
static size_t fmt_date_fast(int64_t days, char *buf)
{
	int64_t y;
	unsigned m, dd;

	sp_civil_from_days(days, &y, &m, &dd);
	if (y < 0 || y > 9999)
		return sp_date_format(days, buf);
	two(buf, (unsigned)(y / 100));
	two(buf + 2, (unsigned)(y % 100));
	buf[4] = '-';
	two(buf + 5, m);
	buf[7] = '-';
	two(buf + 8, dd);
	buf[10] = '\0';
	return 10;
}

/* Spark's CSV default, yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC (as sp_ts_format_iso). */
static size_t fmt_ts_fast(int64_t us, char *buf)
{
	int64_t days = sp_floordiv(us, SP_US_PER_DAY), rem = us - days * SP_US_PER_DAY;
	unsigned secs = (unsigned)(rem / SP_US_PER_SEC), ms = (unsigned)(rem % SP_US_PER_SEC / 1000);
	size_t n = fmt_date_fast(days, buf);

	if (n != 10)
		return sp_ts_format_iso(us, buf);
	buf[10] = 'T';
	two(buf + 11, secs / 3600);
	buf[13] = ':';
	two(buf + 14, secs / 60 % 60);
	buf[16] = ':';
	two(buf + 17, secs % 60);
	buf[19] = '.';
	buf[20] = (char)('0' + ms / 100);
	two(buf + 21, ms % 100);
	buf[23] = 'Z';
	buf[24] = '\0';
	return 24;
}

/* Spark's text for one value of a CSV column (UnivocityGenerator). */
static void put_cell(struct sp_enc *e, struct sp_buf *out, const struct sp_col *c, size_t row, int col)
{
	char tmp[SP_TS_BUFSZ];
	const char *s;
	size_t n;

	if (sp_col_isnull(c, row)) {
		put_value(e, out, NULL, 0, 1, col);
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		s = sp_col_bool(c, row) ? "true" : "false";
		n = strlen(s);
		break;
	case SP_T_LONG:
		n = fmt_i64(sp_col_i64(c, row), tmp);
		s = tmp;
		break;
	case SP_T_DOUBLE:
		if (!(n = fmt_double_fast(sp_col_f64(c, row), tmp)))
			n = sp_double_format(sp_col_f64(c, row), tmp);
		s = tmp;
		break;
	case SP_T_TIMESTAMP:
		n = fmt_ts_fast(sp_col_i64(c, row), tmp);
		s = tmp;
		break;
	case SP_T_DATE:
		n = fmt_date_fast(sp_col_i64(c, row), tmp);
		s = tmp;
		break;
	default:
		s = sp_col_str(c, row, &n);
		break;
	}
	put_value(e, out, s, n, 0, col);
}

static int enc_encode(struct sp_enc *e, const struct sp_batch *b, struct sp_buf *out, struct sp_err *err)
{
	const struct sp_type *st = b->schema;
	size_t ncols = st->nfields;

	if (st != e->checked) {
		if (unsupported(st, err, 0) < 0)
			return -1;
		sp_type_unref(e->checked);
		e->checked = sp_type_ref(b->schema);
	}
	if (e->header_due) {
		size_t mark = out->len;

		e->header_due = 0;
		for (size_t j = 0; j < ncols; j++) {
			if (j)
				sp_buf_add(out, e->f.sep, e->f.seplen);
			put_value(e, out, st->fields[j].name, strlen(st->fields[j].name), 0, (int)j);
		}
		if (out->len > mark)
			sp_buf_add(out, e->eol, e->eollen);
	}
	for (size_t i = 0; i < b->n; i++) {
		size_t mark = out->len;

		for (size_t j = 0; j < ncols; j++) {
			if (j)
				sp_buf_add(out, e->f.sep, e->f.seplen);
			put_cell(e, out, &b->cols[j], i, (int)j);
		}
		/* Univocity skips a record that comes out empty (a single NULL) */
		if (out->len > mark)
			sp_buf_add(out, e->eol, e->eollen);
	}
	return 0;
}

static void enc_free(struct sp_enc *e)
{
	if (!e)
		return;
	sp_type_unref(e->checked);
	free(e->nullv);
	free(e->emptyv);
	free(e);
}

const struct sp_enc_class sp_csv_enc = {
	"csv",
	"header, sep (delimiter), quote, escape, charToEscapeQuoteEscaping, nullValue, emptyValue, quoteAll, "
	"escapeQuotes, ignoreLeadingWhiteSpace, ignoreTrailingWhiteSpace, lineSep, timestampFormat, dateFormat, "
	"encoding, compression, comment",
	enc_new,
	enc_start,
	enc_encode,
	enc_free,
};
