/*
 * key.h: grouping and deduplication keys as bytes, and their hash.
 *
 * A key is the values of some columns of a row, encoded so that equal
 * keys, by Spark's rules for grouping, are equal bytes. Each value: a byte
 * 0 (NULL, equal to NULL) or 1, then BOOLEAN 1 byte, LONG TIMESTAMP DATE 8
 * bytes, DOUBLE 8 bytes (-0.0 and NaN normalised, as Spark's
 * NormalizeFloatingNumbers does), STRING BINARY a 4-byte length and the
 * bytes, STRUCT its fields, ARRAY a 4-byte count and the elements.
 * Integers are little-endian. stream-window, stream-dedup and stream-join
 * keep their state by these keys.
 */
#ifndef SP_KEY_H
#define SP_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "value.h"

/* Appends the key bytes of row i of c. */
void sp_key_encode(struct sp_buf *b, const struct sp_col *c, size_t i);

static inline uint64_t sp_mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

static inline uint64_t sp_load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * A hash for the hash table: each 8-byte word is multiplied on its own
 * (the multiplications run in parallel), folded in with a rotation, and
 * the result mixed well at the end.
 */
static inline uint64_t sp_hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n, v;
	size_t i = 0;

	if (n >= 8) {
		for (; i + 8 <= n; i += 8)
			h = ((h << 23) | (h >> 41)) ^ (sp_load64(p + i) * UINT64_C(0xbf58476d1ce4e5b9));
		/* the tail: the last 8 bytes, overlapping what came before */
		v = i < n ? sp_load64(p + n - 8) : 0;
	} else {
		v = 0;
		for (; i < n; i++)
			v |= (uint64_t)p[i] << (8 * i);
	}
	h = ((h << 23) | (h >> 41)) ^ (v * UINT64_C(0x94d049bb133111eb));
	return sp_mix64(h);
}

/* Copies n bytes; short keys do not pay for a call. */
static inline void sp_copy_short(unsigned char *d, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n < 8) {
		for (size_t i = 0; i < n; i++)
			d[i] = (unsigned char)s[i];
	} else if (n <= 32) {
		uint64_t a[4];

		memcpy(a, s, 16);
		memcpy(a + 2, s + n - 16, 16);
		memcpy(d, a, 16);
		memcpy(d + n - 16, a + 2, 16);
	} else {
		memcpy(d, s, n);
	}
}

/* Whether n bytes at a and b are equal; NULL pointers are fine when n is 0. */
static inline int sp_keq(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	if (n >= 8) {
		size_t i;

		for (i = 0; i + 8 <= n; i += 8)
			if (sp_load64(p + i) != sp_load64(q + i))
				return 0;
		return i == n || sp_load64(p + n - 8) == sp_load64(q + n - 8);
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return 0;
	return 1;
}

static inline unsigned char *sp_st32(unsigned char *d, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(d, &v, 4);
#else
	for (int i = 0; i < 4; i++)
		d[i] = (unsigned char)(v >> (8 * i));
#endif
	return d + 4;
}

static inline unsigned char *sp_st64(unsigned char *d, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(d, &v, 8);
#else
	for (int i = 0; i < 8; i++)
		d[i] = (unsigned char)(v >> (8 * i));
#endif
	return d + 8;
}

/* sp_key_encode for a non-nested value, into memory reserved beforehand. */
static inline unsigned char *sp_key_encode_flat(unsigned char *d, const struct sp_col *c, size_t i)
{
	size_t len;
	const char *s;
	double x;
	uint64_t u;

	if (sp_col_isnull(c, i)) {
		*d = 0;
		return d + 1;
	}
	*d++ = 1;
	switch (c->type->id) {
	case SP_T_BOOLEAN:
		*d = (unsigned char)sp_col_bool(c, i);
		return d + 1;
	case SP_T_DOUBLE:
		x = sp_col_f64(c, i);
		if (x == 0)
			x = 0.0;
		if (x != x)
			u = UINT64_C(0x7ff8000000000000);
		else
			memcpy(&u, &x, 8);
		return sp_st64(d, u);
	case SP_T_STRING:
	case SP_T_BINARY:
		s = sp_col_str(c, i, &len);
		d = sp_st32(d, (uint32_t)len);
		sp_copy_short(d, s, len);
		return d + len;
	default:
		return sp_st64(d, (uint64_t)sp_col_i64(c, i));
	}
}

#endif
