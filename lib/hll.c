/*
 * hll.c: XXH64 and the HyperLogLog++ sketch behind approx_count_distinct
 * (see hll.h).
 *
 * Estimating, for m = 2^p registers M[j], V of them zero:
 *
 *   E = alpha_m * m^2 / sum(2^-M[j])          the raw estimate
 *   H = m * ln(m / V)                          linear counting (V > 0)
 *
 *   V > 0 and (H <= threshold(p) or E <= 2.5m)  ->  H
 *   E >= 5m                                     ->  E
 *   otherwise                                   ->  Ertl's improved estimator
 *
 * rounded to the nearest integer. The thresholds are HLL++'s (and Spark's):
 * p=9, the default, switches away from linear counting at 400.
 */
#include "hll.h"

#include <math.h>
#include <string.h>

#define P1 UINT64_C(0x9E3779B185EBCA87)
#define P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define P3 UINT64_C(0x165667B19E3779F9)
#define P4 UINT64_C(0x85EBCA77C2B2AE63)
#define P5 UINT64_C(0x27D4EB2F165667C5)

static inline uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t round64(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

static inline uint64_t merge_round(uint64_t acc, uint64_t v)
{
	return (acc ^ round64(0, v)) * P1 + P4;
}

static inline uint64_t fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t sp_xxh64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data, *end = p + n;
	uint64_t h;

	if (n >= 32) {
		uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;

		do {
			v1 = round64(v1, rd64(p));
			v2 = round64(v2, rd64(p + 8));
			v3 = round64(v3, rd64(p + 16));
			v4 = round64(v4, rd64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
		h = merge_round(h, v1);
		h = merge_round(h, v2);
		h = merge_round(h, v3);
		h = merge_round(h, v4);
	} else {
		h = seed + P5;
	}
	h += (uint64_t)n;
	while (end - p >= 8) {
		h ^= round64(0, rd64(p));
		h = rotl(h, 27) * P1 + P4;
		p += 8;
	}
	if (end - p >= 4) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p++ * P5;
		h = rotl(h, 11) * P1;
	}
	return fmix(h);
}

uint64_t sp_xxh64_long(int64_t v, uint64_t seed)
{
	uint64_t h = seed + P5 + 8;

	h ^= rotl((uint64_t)v * P2, 31) * P1;
	h = rotl(h, 27) * P1 + P4;
	return fmix(h);
}

uint64_t sp_xxh64_int(int32_t v, uint64_t seed)
{
	uint64_t h = seed + P5 + 4;

	h ^= ((uint64_t)(uint32_t)v) * P1;
	h = rotl(h, 23) * P2 + P3;
	return fmix(h);
}

int sp_hll_precision(double rsd, struct sp_err *err)
{
	double p;

	if (!(rsd > 0) || !isfinite(rsd))
		return sp_err_usage(err, "the relative standard deviation must be positive");
	p = ceil(2.0 * log(1.106 / rsd) / log(2.0));
	if (p < SP_HLL_MIN_P)
		return sp_err_usage(err, "HLL++ requires at least 4 bits for addressing: use a lower error, at most 39%%");
	if (p > SP_HLL_MAX_P)
		return sp_err_usage(err, "a relative standard deviation of %g needs %d bits of addressing, more than "
				    "the %d supported", rsd, (int)p, SP_HLL_MAX_P);
	return (int)p;
}

void sp_hll_merge(uint8_t *dst, const uint8_t *src, int p)
{
	size_t m = (size_t)1 << p;

	for (size_t j = 0; j < m; j++)
		if (src[j] > dst[j])
			dst[j] = src[j];
}

/* Ertl's sigma and tau series (arXiv:1702.01284, algorithm 6). */
static double ertl_sigma(double x)
{
	double y = 1, z = x, old;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		old = z;
		z += x * y;
		y += y;
	} while (z != old);
	return z;
}

static double ertl_tau(double x)
{
	double y = 1, z = 1 - x, old;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		old = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != old);
	return z / 3;
}

static double ertl_estimate(const uint8_t *reg, int p)
{
	int q = 64 - p;
	double m = (double)((size_t)1 << p), c[66] = { 0 }, z;

	for (size_t j = 0; j < ((size_t)1 << p); j++)
		c[reg[j]]++;
	z = m * ertl_tau(1 - c[q + 1] / m);
	for (int k = q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * ertl_sigma(c[0] / m);
	return m * m / (2 * log(2.0)) / z;
}

int64_t sp_hll_estimate(const uint8_t *reg, int p)
{
	/* HLL++'s thresholds for p = 4..18, below which linear counting is used. */
	static const double threshold[] = { 10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 15500, 20000,
					    50000, 120000, 350000 };
	size_t m = (size_t)1 << p;
	double zinv = 0, v = 0, e, alpha, est;

	for (size_t j = 0; j < m; j++) {
		zinv += 1.0 / (double)((uint64_t)1 << reg[j]);
		if (!reg[j])
			v++;
	}
	switch (p) {
	case 4:
		alpha = 0.673;
		break;
	case 5:
		alpha = 0.697;
		break;
	case 6:
		alpha = 0.709;
		break;
	default:
		alpha = 0.7213 / (1.0 + 1.079 / (double)m);
		break;
	}
	e = alpha * (double)m * (double)m / zinv;
	if (v > 0) {
		double h = (double)m * log((double)m / v);

		if (h <= threshold[p - 4] || e <= 2.5 * (double)m)
			return (int64_t)floor(h + 0.5);
	}
	est = e < 5.0 * (double)m ? ertl_estimate(reg, p) : e;
	/* Java's Math.round: floor(x + 0.5) */
	return (int64_t)floor(est + 0.5);
}
