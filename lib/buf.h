/*
 * buf.h: a growable byte buffer, the one way text is assembled in lib/.
 * The bytes are always NUL-terminated after len (p may be NULL while empty).
 */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "msg.h"

struct sp_buf {
	char *p;
	size_t len, cap;
};
#define SP_BUF_INIT { NULL, 0, 0 }

/* Room for n more bytes (plus the NUL); returns where they go. */
static inline char *sp_buf_room(struct sp_buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		sp_grow(&b->p, &b->cap, b->len + n + 1, 1);
	return b->p + b->len;
}
static inline void sp_buf_add(struct sp_buf *b, const void *s, size_t n)
{
	char *d = sp_buf_room(b, n);

	if (n)
		memcpy(d, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
static inline void sp_buf_addc(struct sp_buf *b, char c)
{
	char *d = sp_buf_room(b, 1);

	d[0] = c;
	d[1] = '\0';
	b->len++;
}
static inline void sp_buf_puts(struct sp_buf *b, const char *s)
{
	sp_buf_add(b, s, strlen(s));
}
void sp_buf_printf(struct sp_buf *b, const char *fmt, ...) SP_PRINTF(2, 3);
static inline void sp_buf_reset(struct sp_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}
void sp_buf_release(struct sp_buf *b);
/* Little-endian integers, as stored state and checkpoints encode them. */
static inline void sp_buf_put32(struct sp_buf *b, uint32_t v)
{
	char *d = sp_buf_room(b, 4);

	for (int i = 0; i < 4; i++)
		d[i] = (char)(v >> (8 * i));
	b->len += 4;
	b->p[b->len] = '\0';
}
static inline void sp_buf_put64(struct sp_buf *b, uint64_t v)
{
	char *d = sp_buf_room(b, 8);

	for (int i = 0; i < 8; i++)
		d[i] = (char)(v >> (8 * i));
	b->len += 8;
	b->p[b->len] = '\0';
}
static inline uint32_t sp_get32(const void *q)
{
	const unsigned char *p = q;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t sp_get64(const void *q)
{
	const unsigned char *p = q;

	return (uint64_t)sp_get32(p) | (uint64_t)sp_get32(p + 4) << 32;
}
/* Hands the string over to the caller (a new string, "" if empty); the buffer is empty after. */
char *sp_buf_take(struct sp_buf *b);

#endif
