/*
 * expr-lex.c: the expression language's tokens, and its error messages.
 *
 * A token is a number (10, 10L, 1.5, .5, 1e3, 1.5D), a string ('it''s',
 * "a\tb", with Spark's backslash escapes), a name (device_id), a quoted
 * name (`my col`), or an operator (<=> <= >= <> != == || and the single
 * characters of ( ) + - * / % = < > , . [ ] !). Keywords are names: the
 * parser asks sp_lex_kw() whether a name is AND, CASE, ...
 *
 * Errors point at the place with a caret under the expression:
 *
 *   syntax error at column 18: expected ')' before end of expression
 *       amount > (1 + tax
 *                        ^
 */
#include "expr-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sp_expr_fail(struct sp_err *err, const char *text, size_t pos, const char *fmt, ...)
{
	char msg[512];
	struct sp_buf b = SP_BUF_INIT;
	va_list ap;
	size_t len = strlen(text);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (pos > len)
		pos = len;
	/* the caret line counts bytes; tabs stay tabs so that it lines up */
	sp_buf_printf(&b, "%s\n    %s\n    ", msg, text);
	for (size_t i = 0; i < pos; i++)
		sp_buf_addc(&b, text[i] == '\t' ? '\t' : ' ');
	sp_buf_addc(&b, '^');
	sp_err_usage(err, "%s", b.p);
	sp_buf_release(&b);
	return -1;
}

void sp_lex_init(struct sp_lexer *lx, const char *text, struct sp_err *err)
{
	memset(lx, 0, sizeof *lx);
	lx->text = lx->p = text;
	lx->err = err;
}

void sp_lex_release(struct sp_lexer *lx)
{
	sp_buf_release(&lx->s);
}

int sp_lex_fail(struct sp_lexer *lx, size_t pos, const char *what)
{
	return sp_expr_fail(lx->err, lx->text, pos, "syntax error at column %zu: %s", pos + 1, what);
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static const char *lex_number(struct sp_lexer *lx, const char *p)
{
	const char *s = p;

	while (is_digit(*p))
		p++;
	if (*p == '.' && !(p[1] == '.')) {
		lx->is_float = 1;
		p++;
		while (is_digit(*p))
			p++;
	}
	if ((*p == 'e' || *p == 'E') &&
	    (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
		lx->is_float = 1;
		p += 2;
		while (is_digit(*p))
			p++;
	}
	/* Spark's suffixes: 10L (BIGINT), 1.5D (DOUBLE); 10Y, 10S are smaller integers */
	if ((*p == 'L' || *p == 'l' || *p == 'S' || *p == 's' || *p == 'Y' || *p == 'y') && !is_name_char(p[1])) {
		if (lx->is_float)
			return NULL;
		p++;
	} else if ((*p == 'D' || *p == 'd') && !is_name_char(p[1])) {
		lx->is_float = 1;
		p++;
	} else if (is_name_char(*p)) {
		return NULL;	/* 12abc */
	}
	sp_buf_add(&lx->s, s, (size_t)(p - s));
	return p;
}

/* A quoted string; p is at the opening quote. */
static const char *lex_string(struct sp_lexer *lx, const char *p)
{
	char q = *p++;

	for (;;) {
		if (!*p)
			return NULL;
		if (*p == q) {
			if (p[1] == q) {	/* 'it''s' */
				sp_buf_addc(&lx->s, q);
				p += 2;
				continue;
			}
			return p + 1;
		}
		if (*p == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'n': sp_buf_addc(&lx->s, '\n'); break;
			case 't': sp_buf_addc(&lx->s, '\t'); break;
			case 'r': sp_buf_addc(&lx->s, '\r'); break;
			case 'b': sp_buf_addc(&lx->s, '\b'); break;
			case '0': sp_buf_addc(&lx->s, '\0'); break;
			case 'Z': sp_buf_addc(&lx->s, 26); break;
			/* LIKE patterns keep \% and \_ for the matcher */
			case '%': sp_buf_puts(&lx->s, "\\%"); break;
			case '_': sp_buf_puts(&lx->s, "\\_"); break;
			default: sp_buf_addc(&lx->s, *p); break;
			}
			p++;
			continue;
		}
		sp_buf_addc(&lx->s, *p++);
	}
}

int sp_lex_next(struct sp_lexer *lx)
{
	static const char *const multi[] = { "<=>", "<=", ">=", "<>", "!=", "==", "||", NULL };
	const char *p = lx->p, *q;

	while (isspace((unsigned char)*p))
		p++;
	lx->start = (size_t)(p - lx->text);
	sp_buf_reset(&lx->s);
	if (!lx->s.p)
		sp_buf_add(&lx->s, "", 0);
	lx->is_float = 0;
	switch (*p) {
	case '\0':
		lx->k = T_EOF;
		lx->p = p;
		lx->end = lx->start;
		return 0;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
		if (!(q = lex_number(lx, p)))
			return sp_lex_fail(lx, lx->start, "bad number");
		lx->k = T_NUM;
		break;
	case '.':
		if (is_digit(p[1])) {
			if (!(q = lex_number(lx, p)))
				return sp_lex_fail(lx, lx->start, "bad number");
			lx->k = T_NUM;
			break;
		}
		goto op;
	case '\'': case '"':
		if (!(q = lex_string(lx, p)))
			return sp_lex_fail(lx, lx->start, "unterminated string");
		lx->k = T_STR;
		break;
	case '`':
		for (q = p + 1;; q++) {
			if (!*q)
				return sp_lex_fail(lx, lx->start, "unterminated `name`");
			if (*q == '`') {
				if (q[1] != '`')
					break;
				q++;
			}
			sp_buf_addc(&lx->s, *q);
		}
		q++;
		lx->k = T_QIDENT;
		break;
	case '(': case ')': case '+': case '-': case '*': case '/': case '%': case '=': case '<': case '>':
	case ',': case '[': case ']': case '!': case '|':
	op: {
		size_t n = 1;

		for (int i = 0; multi[i]; i++)
			if (!strncmp(p, multi[i], strlen(multi[i]))) {
				n = strlen(multi[i]);
				break;
			}
		if (n == 1 && *p == '|')
			return sp_lex_fail(lx, lx->start, "unexpected character '|' (concatenation is ||)");
		memcpy(lx->op, p, n);
		lx->op[n] = '\0';
		q = p + n;
		lx->k = T_OP;
		break;
	}
	default:
		if (!is_name_char(*p) || is_digit(*p)) {
			char what[64];

			snprintf(what, sizeof what, isprint((unsigned char)*p) ? "unexpected character '%c'"
				 : "unexpected character 0x%02x", (unsigned char)*p);
			return sp_lex_fail(lx, lx->start, what);
		}
		for (q = p; is_name_char(*q); q++)
			;
		sp_buf_add(&lx->s, p, (size_t)(q - p));
		lx->k = T_IDENT;
		break;
	}
	lx->p = q;
	lx->end = (size_t)(q - lx->text);
	return 0;
}

char sp_lex_peek(const struct sp_lexer *lx)
{
	const char *q = lx->p;

	while (isspace((unsigned char)*q))
		q++;
	return *q;
}

int sp_lex_peek_kw(const struct sp_lexer *lx, const char *kw)
{
	const char *q = lx->p;
	size_t n = strlen(kw);

	while (isspace((unsigned char)*q))
		q++;
	return !strncasecmp(q, kw, n) && !is_name_char(q[n]);
}

int sp_lex_op(const struct sp_lexer *lx, const char *op)
{
	return lx->k == T_OP && !strcmp(lx->op, op);
}

int sp_lex_kw(const struct sp_lexer *lx, const char *kw)
{
	return lx->k == T_IDENT && !strcasecmp(lx->s.p, kw);
}

int sp_lex_expect(struct sp_lexer *lx, const char *op)
{
	char what[64];

	if (sp_lex_op(lx, op))
		return sp_lex_next(lx);
	snprintf(what, sizeof what, "expected '%s'%s", op, lx->k == T_EOF ? " before end of expression" : "");
	return sp_lex_fail(lx, lx->start, what);
}
