/*
 * test-format: values as Spark prints them. Doubles follow Java's
 * Double.toString of JDK 19 and later (the shortest decimal that reads
 * back; of one digit or two, the closer), which Spark's CAST AS STRING,
 * show() and JSON writer print; the table below came from a JVM, except
 * for the values where JDK 17 and earlier printed more digits than needed
 * (1.0E23, 8.41E21, 2^-44, 9.9E-324, 9.9E-323), given as JDK 19 prints them.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "value.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-format:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

static const struct {
	double d;
	const char *java;
} doubles[] = {
	{ 0x1.999999999999ap-4, "0.1" },
	{ 0x1.0000000000000p+0, "1.0" },
	{ 0x1.9000000000000p+6, "100.0" },
	{ 0x1.312d000000000p+23, "1.0E7" },
	{ 0x1.312cfe0000000p+23, "9999999.0" },
	{ 0x1.0624dd2f1a9fcp-10, "0.001" },
	{ 0x1.a36e2eb1c432dp-14, "1.0E-4" },
	{ 0x1.d6f34547df3b6p+26, "1.23456789123E8" },
	{ 0x0.0000000000001p-1022, "4.9E-324" },
	{ 0x1.fffffffffffffp+1023, "1.7976931348623157E308" },
	{ -0x0.0p+0, "-0.0" },
	{ 0x0.0p+0, "0.0" },
	{ NAN, "NaN" },
	{ INFINITY, "Infinity" },
	{ -INFINITY, "-Infinity" },
	{ 0x1.3333333333333p-2, "0.3" },
	{ 0x1.3333333333334p-2, "0.30000000000000004" },
	{ 0x1.5555555555555p-1, "0.6666666666666666" },
	{ 0x1.5555555555555p-2, "0.3333333333333333" },
	{ -0x1.8000000000000p+0, "-1.5" },
	{ 0x1.52d02c7e14af6p+76, "1.0E23" },
	{ 0x1.c7e83209e90b2p+72, "8.41E21" },
	{ 0x1.0624dd2f1a9fcp-9, "0.002" },
	{ 0x1.0f0cf064dd592p+73, "1.0E22" },
	{ 0x1.edd2f1a9fbe77p+6, "123.456" },
	{ 0x1.2d68700000000p+20, "1234567.0" },
	{ 0x1.78c29c0000000p+23, "1.2345678E7" },
	{ 0x1.061e273273f09p-10, "9.999E-4" },
	{ 0x1.312cffff7ced9p+23, "9999999.999" },
	{ 0x1.312d010000000p+23, "1.00000005E7" },
	{ 0x1.9200000000000p+6, "100.5" },
	{ 0x1.4f8b588e368f1p-17, "1.0E-5" },
	{ 0x1.921f9f01b866ep+1, "3.14159" },
	{ 0x1.921fb54442d18p+1, "3.141592653589793" },
	{ 0x1.5bf0a8b145769p+1, "2.718281828459045" },
	{ 0x1.0000000000000p-1022, "2.2250738585072014E-308" },
	{ 0x1.0000000000000p-1021, "4.450147717014403E-308" },
	{ 0x0.fffffffffffffp-1022, "2.225073858507201E-308" },
	{ 0x0.0000000000014p-1022, "9.9E-323" },
	{ 0x0.0000000000002p-1022, "9.9E-324" },
	{ 0x0.0000000000003p-1022, "1.5E-323" },
	{ 0x0.0000000000005p-1022, "2.5E-323" },
	{ 0x0.0000000000007p-1022, "3.5E-323" },
	{ 0x0.0000000000058p-1022, "4.35E-322" },
	{ 0x1.0000000000000p+63, "9.223372036854776E18" },
	{ 0x1.0000000000000p+53, "9.007199254740992E15" },
	{ 0x1.0000000000001p+53, "9.007199254740994E15" },
	{ 0x1.c6bf526340000p+49, "1.0E15" },
	{ 0x1.1c37937e08000p+53, "1.0E16" },
	{ 0x1.6345785d8a000p+56, "1.0E17" },
	{ 0x1.b69b4ba630f35p+56, "1.2345678901234568E17" },
	{ 0x1.01f31f46ed246p-13, "1.23E-4" },
	{ 0x1.0624dd2f1a9fcp-11, "5.0E-4" },
	{ 0x1.5000000000000p+5, "42.0" },
	{ -0x1.5100000000000p+5, "-42.125" },
	{ 0x1.b99999999999ap+4, "27.6" },
	{ 0x1.dc51eb851eb85p+4, "29.77" },
	{ 0x1.d266666666666p+5, "58.3" },
	{ 0x1.199999999999ap+0, "1.1" },
	{ 0x1.5666666666666p+1, "2.675" },
	{ 0x1.7e43c8800759cp+996, "1.0E300" },
	{ 0x1.56e1fc2f8f359p-997, "1.0E-300" },
	{ 0x1.fe185ca57c517p+78, "6.02214076E23" },
	{ 0x1.7a4da290c1653p-63, "1.602176634E-19" },
	{ 0x1.1de784a000000p+28, "2.99792458E8" },
	{ 0x1.0000000000000p-1, "0.5" },
	{ 0x1.0000000000000p-2, "0.25" },
	{ 0x1.0000000000000p-3, "0.125" },
	{ 0x1.0000000000000p-10, "9.765625E-4" },
	{ 0x1.0000000000000p+16, "65536.0" },
	{ 0x1.0000000000000p+32, "4.294967296E9" },
	{ 0x1.b1ae4d6e2ef50p+69, "1.0E21" },
	{ 0x1.ad7f29abcaf48p-24, "1.0E-7" },
	{ 0x1.a82bc4b32f8e3p-27, "1.2345E-8" },
	{ 0x1.6fee0e5240000p+36, "9.87654321E10" },
	{ 0x1.eb851eb851eb8p-6, "0.03" },
	{ 0x1.0000000000000p-44, "5.684341886080802E-14" },
	{ 0x1.0000000000000p-80, "8.271806125530277E-25" },
	{ 0x1.0000000000000p+100, "1.2676506002282294E30" },
	{ 0x1.0000000000000p-1000, "9.332636185032189E-302" },
	{ 0x1.fffffffffffffp+0, "1.9999999999999998" },
	{ 0x1.fffffffffffffp-1, "0.9999999999999999" },
	{ 0x1.0000000000001p+0, "1.0000000000000002" },
	{ 0x0.0000000000090p-1022, "7.1E-322" },
	{ 0x0.00000000009bap-1022, "1.23E-320" },
	{ 0x0.fd1d7d505cd02p-1022, "2.2E-308" },
	{ 0x1.5d867c3ece2a6p-12, "3.333333333333334E-4" },
	{ 0x1.0000000000000p-14, "6.103515625E-5" },
	{ 0x1.0c6f7a0b5ed8dp-20, "1.0E-6" },
	{ 0x1.b7cdfd9d7bdbbp-34, "1.0E-10" },
	{ 0x1.bff2ee48e0530p-333, "1.0E-100" },
	{ -0x1.19d350dfe8af7p-91, "-4.446421636188976E-28" },
	{ -0x1.7bbe10c45c028p-273, "-9.773730481407064E-83" },
	{ 0x1.83ce3f12bbb4bp+241, "5.353072455204317E72" },
	{ 0x1.e9d82b52c856dp+111, "4.967612493611081E33" },
	{ -0x1.16abe17610c9ap-345, "-1.518811735223662E-104" },
	{ -0x1.367bd738597dcp+629, "-2.70188080721057E189" },
	{ 0x1.88e9961b35c88p+487, "6.132869304281319E146" },
	{ 0x1.76cf7b0bfbe20p+106, "1.1878217972734457E32" },
	{ 0x1.20010c3185754p+876, "5.668065954393482E263" },
	{ -0x1.c400eff88a1e3p+135, "-7.690443792409689E40" },
	{ -0x1.910f126e6bc6fp+694, "-1.2876124188040096E209" },
	{ 0x1.ddf557096b883p+764, "1.8116186528812876E230" },
	{ -0x1.9d9d5ee3dd852p+0, "-1.6156825357734488" },
	{ 0x1.60bdbcc5c8305p+560, "5.200124569960912E168" },
	{ 0x1.8ad16268a478cp-297, "6.056868785630053E-90" },
	{ -0x1.750f4569b5949p-637, "-2.555236359312043E-192" },
	{ 0x1.353dd402b571ap-164, "5.165811322465727E-50" },
	{ -0x1.27ff25d7b347fp+312, "-9.647293889165647E93" },
	{ 0x1.67999289d95fap-318, "2.6305161135860186E-96" },
	{ -0x1.1a43246302cd9p-665, "-7.202209566664596E-201" },
	{ -0x1.3e996a4c46c02p+6, "-79.64981955701663" },
	{ -0x1.fb35e148d9e82p-733, "-4.3849174499425896E-221" },
	{ -0x1.c82ee1735c9edp-696, "-5.4202868535839066E-210" },
	{ -0x1.47deecc7229cep+11, "-2622.966403548816" },
	{ 0x1.b069b510846b6p-895, "6.394588115485262E-270" },
	{ 0x1.0a3f332f702b1p+443, "2.362286850704562E133" },
	{ -0x1.b23ed02d53e28p+278, "-8.238232034121643E83" },
	{ 0x1.d9210c5004375p+687, "1.1867157621731928E207" },
	{ -0x1.a672314a5c4b6p+918, "-3.65651469328019E276" },
	{ -0x1.1cac9887336a7p-149, "-1.558255947845137E-45" },
	{ 0x1.6ee52df9a8487p+945, "4.26233917795445E284" },
	{ 0x1.a00013832cc52p+171, "4.863880930166066E51" },
	{ -0x1.a088b988bd7d5p+819, "-5.688228380815148E246" },
	{ -0x1.bc0bc3051ae6fp+289, "-1.7252684862688197E87" },
	{ -0x1.b233f60e0b477p-464, "-3.5606955320134227E-140" },
	{ 0x1.ebf2c22eca89bp+488, "1.5357388158539992E147" },
	{ 0x1.9a9da6fb03cbbp+452, "1.8653217840622902E136" },
	{ 0x1.5f2e9a617570ap+757, "1.0399178995150088E228" },
	{ 0x1.2bbb4b22b0979p+850, "8.790000568126636E255" },
	{ 0x1.21b82f37050bbp+913, "7.836529244073078E274" },
	{ 0x1.1dc308c868164p+898, "2.3588503753624405E270" },
	{ -0x1.b6736099140edp+317, "-4.572875954765833E95" },
	{ 0x1.a011e0d75d1a3p-405, "1.9668807214276304E-122" },
	{ -0x1.841fac9e2a3d1p+344, "-5.433112990038016E103" },
	{ 0x1.6a35cc2e15b9fp+862, "4.350878036141683E259" },
	{ 0x1.390c6a1a21a80p+126, "1.0402820556218685E38" },
	{ 0x1.ab5c65846ac1ep-221, "4.953655524927778E-67" },
	{ 0x1.4dd0df6658a2ep-289, "1.3109867972423422E-87" },
	{ -0x1.da64b7b384f91p+474, "-9.03892209668785E142" },
	{ 0x1.134888c547aa0p+970, "1.0730890242895463E292" },
	{ 0x1.4cd5d021617a9p+701, "1.3677800171847552E211" },
	{ -0x1.3c138c1f467dbp-479, "-7.910139135321069E-145" },
	{ -0x1.9ef8da18ba62fp-205, "-3.152316382561985E-62" },
	{ 0x1.95daa11fbfb1dp+268, "7.519149603776616E80" },
	{ -0x1.5b57757ec5114p-730, "-2.402260200810779E-220" },
	{ 0x1.aa97c4a6c5f10p+496, "3.4091919196718454E149" },
	{ -0x1.f3ddb2760b3c7p+499, "-3.1958138356391172E150" },
	{ -0x1.4621f406f233dp+229, "-1.0990647882570156E69" },
	{ -0x1.02e0c624b81c6p-547, "-2.1950660386120596E-165" },
	{ 0x1.603dd1d6a62bep+510, "4.6120958503696624E153" },
	{ 0x1.5c9fdf3b645a2p+9, "697.249" },
	{ -0x1.239126e978d50p+8, "-291.567" },
	{ 0x1.9490000000000p+9, "809.125" },
	{ 0x1.866604189374cp+9, "780.797" },
	{ 0x1.3194395810625p+8, "305.579" },
	{ 0x1.8e03b645a1cacp+9, "796.029" },
	{ -0x1.f9083126e978dp+6, "-126.258" },
	{ 0x1.8b5ac083126e9p+9, "790.709" },
	{ -0x1.23e147ae147aep+5, "-36.485" },
	{ -0x1.cb5d2f1a9fbe7p+8, "-459.364" },
	{ 0x1.8bc4189374bc7p+8, "395.766" },
	{ 0x1.1073333333333p+7, "136.225" },
	{ 0x1.431db22d0e560p+9, "646.232" },
	{ -0x1.5f05c28f5c28fp+9, "-702.045" },
	{ 0x1.2b6b22d0e5604p+9, "598.837" },
	{ -0x1.339374bc6a7f0p+9, "-615.152" },
	{ -0x1.838f7ced91687p+9, "-775.121" },
	{ -0x1.e9474bc6a7efap+9, "-978.557" },
	{ -0x1.75d604189374cp+8, "-373.836" },
	{ 0x1.157c6a7ef9db2p+8, "277.486" },
	{ -0x1.3b25a1cac0831p+8, "-315.147" },
	{ -0x1.f5810624dd2f2p+6, "-125.376" },
	{ -0x1.749395810624ep+9, "-745.153" },
	{ -0x1.c8545a1cac083p+9, "-912.659" },
	{ -0x1.17947ae147ae1p+7, "-139.79" },
	{ 0x1.295b645a1cac1p+8, "297.357" },
	{ -0x1.122ae147ae148p+9, "-548.335" },
	{ 0x1.94f999999999ap+8, "404.975" },
	{ -0x1.c44020c49ba5ep+9, "-904.501" },
	{ -0x1.6cce147ae147bp+9, "-729.61" },
	{ 0x1.f67ea69ed3795p+57, "2.82879384806159E17" },
	{ 0x1.52d02c7e14af6p+77, "2.0E23" },
	{ 0x0.00000016e3600p-1022, "1.18575755E-316" },
};

static void test_doubles(void)
{
	for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
		char buf[40];
		size_t n = sp_double_format(doubles[i].d, buf);

		CHECK(n == strlen(buf) && !strcmp(buf, doubles[i].java), "%a: '%s', want '%s'", doubles[i].d, buf,
		      doubles[i].java);
		/* and it reads back, and -x prints with a minus */
		if (isfinite(doubles[i].d)) {
			char neg[40];

			CHECK(strtod(buf, NULL) == doubles[i].d, "'%s' does not read back as %a", buf, doubles[i].d);
			sp_double_format(-doubles[i].d, neg);
			CHECK(neg[0] == '-' ? !strcmp(neg + 1, buf) : buf[0] == '-' && !strcmp(neg, buf + 1),
			      "'%s' negated is '%s'", buf, neg);
		}
	}
	/* Shortest: no decimal with fewer significant digits reads back (checked on scattered doubles). */
	{
		uint64_t u = 0x9e3779b97f4a7c15ull;

		for (int i = 0; i < 20000; i++) {
			char buf[40], tmp[40], *e;
			double d;
			int digits = 0;

			u ^= u << 13, u ^= u >> 7, u ^= u << 17;
			memcpy(&d, &u, 8);
			if (!isfinite(d) || d == 0)
				continue;
			sp_double_format(d, buf);
			/* significant digits: those of the mantissa, less leading and trailing zeros */
			{
				char dig[40];
				int nd = 0, lead = 0;

				for (e = buf; *e && *e != 'E'; e++)
					if (*e >= '0' && *e <= '9')
						dig[nd++] = *e;
				while (lead < nd && dig[lead] == '0')
					lead++;
				while (nd > lead && dig[nd - 1] == '0')
					nd--;
				digits = nd - lead;
			}
			if (strtod(buf, NULL) != d) {
				CHECK(0, "%a: '%s' does not read back", d, buf);
				break;
			}
			if (digits > 2) {
				snprintf(tmp, sizeof tmp, "%.*e", digits - 2, d);
				if (strtod(tmp, NULL) == d) {
					CHECK(0, "%a: '%s' is not the shortest ('%s' reads back too)", d, buf, tmp);
					break;
				}
			}
		}
	}
}

/* ---- against a slow but plain implementation ---- */

/*
 * The oracle: the shortest decimal of length L, if there is one, is the
 * double correctly rounded to L digits (printf's %.*e) or, where the
 * interval of decimals that read back is lopsided (at powers of two), its
 * neighbour on the other side; strtod says which read back. For normal
 * doubles DBL_DIG (15) digits always read back to the same 15-digit
 * decimal, so one %.14e that reads back is the shortest with zeros
 * appended. About 1 us a number.
 */

/* Digits of x rounded to L significant digits, if they read back as x. */
static int try_digits(double x, int L, char *dig, int *exp)
{
	char tmp[40], num[48];
	double y;
	int i, nd = 0;
	char *e;

	snprintf(tmp, sizeof tmp, "%.*e", L - 1, x);
	e = strchr(tmp, 'e');
	*exp = atoi(e + 1);
	for (char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			dig[nd++] = *p;
	y = strtod(tmp, NULL);
	if (y == x)
		return 1;
	/* The neighbour on the far side of x, one unit in the last digit away. */
	if (y < x) {
		for (i = L - 1; i >= 0 && dig[i] == '9'; i--)
			dig[i] = '0';
		if (i < 0) {
			dig[0] = '1';
			++*exp;
		} else {
			dig[i]++;
		}
	} else {
		for (i = L - 1; i >= 0 && dig[i] == '0'; i--)
			dig[i] = '9';
		if (i < 0)
			return 0;
		dig[i]--;
		if (dig[0] == '0') {
			memmove(dig, dig + 1, (size_t)L - 1);
			dig[L - 1] = '9';
			--*exp;
		}
	}
	snprintf(num, sizeof num, "%c.%.*se%d", dig[0], L - 1, dig + 1, *exp);
	return strtod(num, NULL) == x;
}

static size_t slow_format(double d, char *buf)
{
	char digits[24];
	int exp = 0, nd, L;
	size_t n = 0;
	double x = fabs(d);

	if (isnan(d))
		return (size_t)sprintf(buf, "NaN");
	if (isinf(d))
		return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
	if (x >= DBL_MIN && try_digits(x, DBL_DIG, digits, &exp)) {
		L = DBL_DIG;
	} else {
		for (L = x >= DBL_MIN ? DBL_DIG + 1 : 1; L < 17; L++)
			if (try_digits(x, L, digits, &exp))
				break;
		if (L == 17)
			try_digits(x, 17, digits, &exp);
		else if (L == 1)
			try_digits(x, L = 2, digits, &exp);
	}
	nd = L;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (d < 0)
		buf[n++] = '-';
	if (exp >= -3 && exp < 7) {
		if (exp < 0) {
			buf[n++] = '0';
			buf[n++] = '.';
			for (int i = -1; i > exp; i--)
				buf[n++] = '0';
			for (int i = 0; i < nd; i++)
				buf[n++] = digits[i];
		} else {
			for (int i = 0; i <= exp; i++)
				buf[n++] = i < nd ? digits[i] : '0';
			buf[n++] = '.';
			if (nd > exp + 1)
				for (int i = exp + 1; i < nd; i++)
					buf[n++] = digits[i];
			else
				buf[n++] = '0';
		}
		buf[n] = '\0';
		return n;
	}
	buf[n++] = digits[0];
	buf[n++] = '.';
	if (nd > 1)
		for (int i = 1; i < nd; i++)
			buf[n++] = digits[i];
	else
		buf[n++] = '0';
	n += (size_t)sprintf(buf + n, "E%d", exp);
	return n;
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next_u64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

static uint64_t to_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof u);
	return u;
}

static long compared, mismatches;

/* d against the oracle, and -d against d with its sign changed */
static void compare(double d)
{
	char fast[40], slow[40], neg[40];
	size_t n = sp_double_format(d, fast);

	slow_format(d, slow);
	sp_double_format(-d, neg);
	compared++;
	if (n != strlen(fast) || strcmp(fast, slow) ||
	    (fast[0] == '-' ? strcmp(neg, fast + 1) : neg[0] != '-' || strcmp(neg + 1, fast))) {
		if (++mismatches <= 20)
			CHECK(0, "%a: '%s' (negated '%s'), the oracle says '%s'", d, fast, neg, slow);
		else
			failures++;
	}
}

/* d and its neighbours up to two units in the last place away */
static void compare_near(double d)
{
	uint64_t u = to_bits(fabs(d));

	for (uint64_t i = u < 2 ? 0 : u - 2; i <= u + 2 && i < 0x7ff0000000000000ull; i++)
		compare(from_bits(i));
}

/* A random decimal of 1 to 17 digits, as strtod reads it. */
static double random_decimal(int emin, int emax)
{
	char num[48];
	uint64_t m = 0;
	int nd = (int)(next_u64() % 17) + 1;

	for (int i = 0; i < nd; i++)
		m = m * 10 + next_u64() % 10;
	snprintf(num, sizeof num, "%llue%d", (unsigned long long)m,
		 emin + (int)(next_u64() % (uint64_t)(emax - emin + 1)));
	return strtod(num, NULL);
}

static void test_against_oracle(long random)
{
	static const char *const decimals[] = {
		"0.1", "0.2", "0.3", "28.15", "2.82879384806159E17", "1e7", "1e-3", "9999999.999999998",
		"9999999.999999999", "0.0009999999999999998", "0.00099999999999999999", "1e23", "9.9e22",
		"5e-324", "2.2250738585072014E-308", "1.7976931348623157E308", "4.35E-322", "123456789012345678", "31722300588172752", "1e16", "1e22", "9007199254740993",
	};
	char num[48];

	compare(0.0);
	for (size_t i = 0; i < sizeof decimals / sizeof decimals[0]; i++)
		compare_near(strtod(decimals[i], NULL));
	compare_near(1.0 / 3);
	compare_near(2.0 / 3);
	/* subnormals: the smallest, where one or two digits compete, and the largest */
	for (uint64_t t = 1; t < 20000; t++) {
		compare(from_bits(t));
		compare(from_bits(0x000fffffffffffffull - t + 1));
	}
	compare(from_bits(0x8000000000000000ull));
	/* each binade: its first significands (the lopsided interval), a middle one, its last */
	for (uint64_t bq = 1; bq < 0x7ff; bq++) {
		compare_near(from_bits(bq << 52));
		compare(from_bits(bq << 52 | 0x0008000000000000ull));
		compare(from_bits(bq << 52 | 0x000ffffffffffffeull));
	}
	/* powers of ten, and the 1e-3 and 1e7 edges of the plain layout */
	for (int e = -325; e <= 309; e++) {
		snprintf(num, sizeof num, "1e%d", e);
		compare_near(strtod(num, NULL));
		snprintf(num, sizeof num, "5e%d", e);
		compare_near(strtod(num, NULL));
	}
	for (int i = 1; i < 1000; i++) {
		compare_near(i * 1e-6);
		compare_near(9999000.0 + i);
		compare_near(10000000.0 - i / 1000.0);
	}
	/* integers: small ones, and up to and past 2^53 */
	for (int i = 1; i <= 100000; i++)
		compare((double)i);
	for (int i = 0; i < 100000; i++) {
		compare((double)(next_u64() >> 11));
		compare((double)(next_u64() >> (next_u64() % 64)));
	}
	/* random bit patterns, and random decimals of 1 to 17 digits */
	for (long i = 0; i < random; i++) {
		double d = from_bits(next_u64());

		if (isfinite(d))
			compare(d);
		compare(random_decimal(-330, 310));
		compare(random_decimal(-8, 10));
	}
}

/* ---- values, as CAST(v AS STRING) ---- */

static struct sp_type *ddl(const char *text)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL;

	if (sp_type_parse_ddl(text, &t, &err) < 0) {
		fprintf(stderr, "test-format: %s\n", err.msg);
		exit(99);
	}
	return t;
}

static void test_values(void)
{
	struct sp_type *t = ddl("s STRUCT<a: LONG, b: ARRAY<DOUBLE>, c: STRUCT<d: STRING, e: TIMESTAMP>, "
				"f: BOOLEAN, g: DATE, h: BINARY, i: ARRAY<STRUCT<j: LONG>>>");
	struct sp_col col, *a, *b, *c, *f, *g, *h, *i;
	static const char *const want[] = {
		"{1, [1.0, null, 1.0E7], {x, 2024-05-01 10:00:00.5}, true, 2024-05-01, ab, [{7}, null, {null}]}",
		"NULL",
		"{null, [], null, false, null, , []}",
		"{-5, null, {null, null}, null, 1969-12-31, null, null}",
	};

	sp_col_init(&col, t->fields[0].type);
	a = &col.child[0], b = &col.child[1], c = &col.child[2], f = &col.child[3];
	g = &col.child[4], h = &col.child[5], i = &col.child[6];
	sp_col_push_i64(a, 1);
	sp_col_push_f64(b->child, 1.0);
	sp_col_push_null(b->child);
	sp_col_push_f64(b->child, 1e7);
	sp_col_push_array(b);
	sp_col_push_bytes(&c->child[0], "x", 1);
	sp_col_push_i64(&c->child[1], 1714557600500000LL);
	sp_col_push_struct(c);
	sp_col_push_bool(f, 1);
	sp_col_push_i64(g, 19844);
	sp_col_push_bytes(h, "ab", 2);
	sp_col_push_i64(&i->child->child[0], 7);
	sp_col_push_struct(i->child);
	sp_col_push_null(i->child);
	sp_col_push_null(&i->child->child[0]);
	sp_col_push_struct(i->child);
	sp_col_push_array(i);
	sp_col_push_struct(&col);

	sp_col_push_null(&col);

	sp_col_push_null(a);
	sp_col_push_array(b);
	sp_col_push_null(c);
	sp_col_push_bool(f, 0);
	sp_col_push_null(g);
	sp_col_push_bytes(h, "", 0);
	sp_col_push_array(i);
	sp_col_push_struct(&col);

	sp_col_push_i64(a, -5);
	sp_col_push_null(b);
	sp_col_push_null(&c->child[0]);
	sp_col_push_null(&c->child[1]);
	sp_col_push_struct(c);
	sp_col_push_null(f);
	sp_col_push_i64(g, -1);
	sp_col_push_null(h);
	sp_col_push_null(i);
	sp_col_push_struct(&col);

	for (size_t r = 0; r < 4; r++) {
		struct sp_buf out = SP_BUF_INIT;
		struct sp_val v;

		sp_buf_puts(&out, ">");
		sp_col_get(&col, r, &v);
		sp_val_format(&out, &v);
		CHECK(out.p[0] == '>' && !strcmp(out.p + 1, want[r]),
		      "row %zu: '%s', want '%s'", r, out.p + 1, want[r]);
		CHECK(out.len == strlen(out.p), "row %zu: length", r);
		sp_buf_release(&out);
	}
	sp_col_release(&col);
	sp_type_unref(t);

	/* Scalars at the top level. */
	{
		static const struct {
			struct sp_val v;
			const char *s;
		} top[] = {
			{ { SP_T_LONG, 0, { .i = INT64_MIN } }, "-9223372036854775808" },
			{ { SP_T_DOUBLE, 0, { .d = 0.1 } }, "0.1" },
			{ { SP_T_DOUBLE, 0, { .d = -INFINITY } }, "-Infinity" },
			{ { SP_T_BOOLEAN, 0, { .b = 1 } }, "true" },
			{ { SP_T_STRING, 0, { .s = { "caf\xc3\xa9", 5 } } }, "caf\xc3\xa9" },
			{ { SP_T_STRING, 0, { .s = { "", 0 } } }, "" },
			{ { SP_T_TIMESTAMP, 0, { .i = 0 } }, "1970-01-01 00:00:00" },
			{ { SP_T_DATE, 0, { .i = -719162 } }, "0001-01-01" },
			{ { SP_T_STRING, 1, { .i = 0 } }, "NULL" },
			{ { SP_T_NULL, 1, { .i = 0 } }, "NULL" },
			{ { SP_T_NULL, 0, { .i = 0 } }, "NULL" },
		};

		for (size_t k = 0; k < sizeof top / sizeof top[0]; k++) {
			struct sp_buf out = SP_BUF_INIT;

			sp_val_format(&out, &top[k].v);
			CHECK(out.p && !strcmp(out.p, top[k].s), "scalar %zu: '%s', want '%s'", k, out.p ? out.p : "(null)",
			      top[k].s);
			sp_buf_release(&out);
		}
	}
}

/* ---- the growable buffer ---- */

static void test_buf(void)
{
	struct sp_buf b = SP_BUF_INIT;
	char *s;

	sp_buf_printf(&b, "%s-%d", "a", 42);
	sp_buf_addc(&b, '!');
	sp_buf_add(&b, "xyz", 2);
	CHECK(!strcmp(b.p, "a-42!xy") && b.len == 7, "buf: '%s'", b.p);
	for (int i = 0; i < 1000; i++)
		sp_buf_printf(&b, "%04d", i);
	CHECK(b.len == 7 + 4000 && !strncmp(b.p + b.len - 4, "0999", 4) && b.p[b.len] == '\0', "buf growth");
	sp_buf_reset(&b);
	CHECK(b.len == 0 && b.p[0] == '\0', "reset");
	sp_buf_puts(&b, "kept");
	s = sp_buf_take(&b);
	CHECK(!strcmp(s, "kept") && b.p == NULL && b.len == 0, "take");
	free(s);
	s = sp_buf_take(&b);
	CHECK(s && !strcmp(s, ""), "take of an empty buffer");
	free(s);
	sp_buf_release(&b);
}

/* An argument sets how many random doubles of each kind to compare (default 250000). */
int main(int argc, char **argv)
{
	long random = argc > 1 ? strtol(argv[1], NULL, 10) : 250000;

	sp_setprog("test-format");
	test_doubles();
	test_against_oracle(random);
	if (mismatches || argc > 1)
		fprintf(stderr, "test-format: %ld of %ld doubles differ from the oracle\n", mismatches, compared);
	test_values();
	test_buf();
	if (failures)
		fprintf(stderr, "test-format: %d failures\n", failures);
	return failures;
}
