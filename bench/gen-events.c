/*
 * gen-events: writes N IoT events as JSON lines (5 fields, about 140 bytes), for
 * the benchmarks: gen-events N [DEVICES] > events.jsonl
 *
 * Deterministic (a fixed-seed xorshift), one event every 30 ms of event
 * time from 2024-05-01 00:00:00 UTC, 1% of them up to 2 minutes late.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

int main(int argc, char **argv)
{
	long long n = argc > 1 ? atoll(argv[1]) : 1000000;
	long long devices = argc > 2 ? atoll(argv[2]) : 1000;
	const long long t0 = 1714521600000LL;	/* ms */
	static char out[1 << 16];

	setvbuf(stdout, out, _IOFBF, sizeof out);
	for (long long i = 0; i < n; i++) {
		uint64_t r = next();
		long long ms = t0 + i * 30 - ((r >> 40) % 100 == 0 ? (long long)(r >> 8) % 120000 : 0);
		time_t secs = (time_t)(ms / 1000);
		struct tm tm;

		gmtime_r(&secs, &tm);
		long long dev = (long long)(r % (uint64_t)devices);

		printf("{\"device_id\":\"building-%02lld/sensor-%05lld\",\"temperature\":%.2f,\"humidity\":%.2f,"
		       "\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\",\"seq\":%lld}\n",
		       dev % 16, dev, 15.0 + (double)((r >> 16) % 2500) / 100.0,
		       30.0 + (double)((r >> 32) % 5000) / 100.0, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		       tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000, i + 1000000000LL);
	}
	return fflush(stdout) != 0;
}
