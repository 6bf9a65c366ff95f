/*
 * hll.h: approx_count_distinct's sketch, HyperLogLog++ as Spark builds it.
 *
 * A sketch is m = 2^p one-byte registers. Values are hashed with XXH64
 * (seed 42) exactly as Spark's XxHash64Function hashes them, the register
 * index is the top p bits of the hash and the register keeps the largest
 * "number of leading zeros + 1" of the remaining bits, so a sketch filled
 * here holds the same registers as Spark's. The precision follows the
 * relative standard deviation asked for, as in Spark:
 *
 *   p = ceil(2 * log2(1.106 / rsd))       rsd 0.05 (the default) -> p = 9
 *
 * Estimating follows Spark too (linear counting below its thresholds, the
 * raw estimate above 5m), except in the band where Spark subtracts a bias
 * interpolated from the HLL++ paper's empirical tables: there, Ertl's
 * improved raw estimator (2017), which needs no tables, is used instead.
 * Both stay within the requested error (typically 1.04 / sqrt(m)).
 */
#ifndef SP_HLL_H
#define SP_HLL_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define SP_HLL_MIN_P 4
#define SP_HLL_MAX_P 16

/* XXH64 of n bytes. */
uint64_t sp_xxh64(const void *p, size_t n, uint64_t seed);
/* Spark's XXH64.hashLong / hashInt: XXH64 of the 8 or 4 little-endian bytes. */
uint64_t sp_xxh64_long(int64_t v, uint64_t seed);
uint64_t sp_xxh64_int(int32_t v, uint64_t seed);

/* The precision for a relative standard deviation; -1 with err if out of range. */
int sp_hll_precision(double rsd, struct sp_err *err);
/* Adds a hashed value to the m = 1 << p registers. */
static inline void sp_hll_add(uint8_t *reg, int p, uint64_t x)
{
	uint64_t w = (x << p) | ((uint64_t)1 << (p - 1));
	uint8_t pw = (uint8_t)(__builtin_clzll(w) + 1);
	uint8_t *r = &reg[x >> (64 - p)];

	if (pw > *r)
		*r = pw;
}
/* dst = max(dst, src) register by register. */
void sp_hll_merge(uint8_t *dst, const uint8_t *src, int p);
/* The cardinality estimate. */
int64_t sp_hll_estimate(const uint8_t *reg, int p);

#endif
