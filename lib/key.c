/*
 * key.c: keys as bytes (see key.h).
 */
#include "key.h"

/*
 * Appends row i of c: a byte 0 (NULL) or 1, then BOOLEAN 1 byte, DOUBLE
 * 8 bytes with -0.0 and NaN normalised (Spark's NormalizeFloatingNumbers),
 * LONG TIMESTAMP DATE 8 bytes, STRING BINARY a 4-byte length and the
 * bytes, STRUCT its fields, ARRAY a 4-byte count and the elements.
 */
void sp_key_encode(struct sp_buf *b, const struct sp_col *c, size_t i)
{
	unsigned char *d;
	const char *s;
	size_t len;
	double x;
	uint64_t u;

	if (sp_col_isnull(c, i)) {
		sp_buf_room(b, 1);
		b->p[b->len++] = 0;
		return;
	}
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		d = (unsigned char *)sp_buf_room(b, 2);
		d[0] = 1;
		d[1] = (unsigned char)sp_col_bool(c, i);
		b->len += 2;
		return;
	case SP_T_DOUBLE:
		x = sp_col_f64(c, i);
		if (x == 0)
			x = 0.0;
		if (x != x)
			u = UINT64_C(0x7ff8000000000000);
		else
			memcpy(&u, &x, 8);
		break;
	case SP_T_STRING:
	case SP_T_BINARY:
		s = sp_col_str(c, i, &len);
		d = (unsigned char *)sp_buf_room(b, 5 + len);
		d[0] = 1;
		d[1] = (unsigned char)len;
		d[2] = (unsigned char)(len >> 8);
		d[3] = (unsigned char)(len >> 16);
		d[4] = (unsigned char)(len >> 24);
		if (len)
			memcpy(d + 5, s, len);
		b->len += 5 + len;
		return;
	case SP_T_STRUCT:
		sp_buf_room(b, 1);
		b->p[b->len++] = 1;
		for (size_t f = 0; f < c->nchild; f++)
			sp_key_encode(b, &c->child[f], i);
		return;
	case SP_T_ARRAY:
		sp_buf_room(b, 1);
		b->p[b->len++] = 1;
		sp_buf_put32(b, c->off[i + 1] - c->off[i]);
		for (uint32_t e = c->off[i]; e < c->off[i + 1]; e++)
			sp_key_encode(b, &c->child[0], e);
		return;
	default:
		u = (uint64_t)sp_col_i64(c, i);
		break;
	}
	d = (unsigned char *)sp_buf_room(b, 9);
	d[0] = 1;
	sp_st64(d + 1, u);
	b->len += 9;
}
