/*
 * json-parse.c: a micro-benchmark of the JSON lines codec: decodes a file
 * of IoT readings (generated, 1M lines of about 110 bytes, unless a file
 * is given) into batches with a fixed schema, encodes the batches back to
 * JSON lines, infers the schema of the file, and prints rows per second
 * for each: the
 * best of five passes, in thread CPU time, so that other work on the
 * machine disturbs the figures less.
 *
 *   cc -O2 -Ilib bench/json-parse.c build/libsp.a -lm $(pkg-config --libs json-c rdkafka libzstd)
 *   ./a.out [FILE]
 */
#include "sp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS 1000000
#define BATCH 16384
#define PASSES 5

static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *generate(size_t *len)
{
	struct sp_buf b = SP_BUF_INIT;
	uint64_t x = 88172645463325252u;

	for (int i = 0; i < ROWS; i++) {
		int ms = i * 250;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sp_buf_printf(&b, "{\"device_id\":\"dev-%04d\",\"temperature\":%.1f,\"humidity\":%.2f,"
			      "\"ts\":\"2024-05-%02dT%02d:%02d:%02d.%03dZ\",\"seq\":%d}\n",
			      (int)(x % 1000), (double)(x % 400) / 10 - 5, (double)(x % 10000) / 100,
			      1 + ms / 86400000 % 28, ms / 3600000 % 24, ms / 60000 % 60, ms / 1000 % 60, ms % 1000,
			      1000000 + i);
	}
	*len = b.len;
	return b.p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct sp_buf b = SP_BUF_INIT;
	char tmp[65536];
	size_t n;

	if (!f)
		sp_die("cannot open '%s'", path);
	while ((n = fread(tmp, 1, sizeof tmp, f)))
		sp_buf_add(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return b.p;
}

int main(int argc, char **argv)
{
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dec *d;
	struct sp_enc *e;
	struct sp_type *schema;
	struct sp_batch b;
	struct sp_buf out = SP_BUF_INIT;
	size_t len, pos = 0, rows = 0, bytes = 0;
	char *text = argc > 1 ? slurp(argv[1], &len) : generate(&len);
	int64_t t0, dec_us = 0, enc_us = 0, inf_us = 0;
	ssize_t n;

	sp_setprog(argv[0]);
	if (sp_type_parse_ddl("device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG", &schema,
			      &err) < 0 || sp_json_dec.new(&d, &kv, &err) < 0 || sp_json_dec.set_schema(d, schema, &err) < 0 ||
	    sp_json_enc.new(&e, &kv, &err) < 0)
		return sp_err_report(&err);
	sp_batch_init(&b, schema);
	for (int pass = 0; pass < PASSES; pass++) {
		int64_t dec = 0, enc = 0;

		sp_json_dec.start(d, "'bench'");
		pos = rows = bytes = 0;
		while (pos < len) {
			t0 = cpu_us();
			n = sp_json_dec.decode(d, text + pos, len - pos, 1, &b, BATCH, &err);
			dec += cpu_us() - t0;
			if (n < 0)
				return sp_err_report(&err);
			pos += (size_t)n;
			rows += b.n;
			t0 = cpu_us();
			sp_json_enc.encode(e, &b, &out, &err);
			enc += cpu_us() - t0;
			bytes += out.len;
			sp_buf_reset(&out);
			sp_batch_reset(&b);
		}
		if (!pass || dec < dec_us)
			dec_us = dec;
		if (!pass || enc < enc_us)
			enc_us = enc;
	}
	for (int pass = 0; pass < PASSES; pass++) {
		struct sp_dec *inf;
		size_t used;
		int64_t us;

		if (sp_json_dec.new(&inf, &kv, &err) < 0)
			return sp_err_report(&err);
		sp_json_dec.start(inf, "'bench'");
		t0 = cpu_us();
		if (sp_json_dec.infer(inf, text, len, 1, SIZE_MAX, &used, &err) < 0)
			return sp_err_report(&err);
		us = cpu_us() - t0;
		if (!pass || us < inf_us)
			inf_us = us;
		sp_json_dec.free(inf);
	}
	printf("%zu rows, %zu bytes in, %zu bytes out\n", rows, len, bytes);
	printf("decode: %.2f M rows/s (%.0f MB/s)\n", (double)rows / (double)dec_us, (double)len / (double)dec_us);
	printf("encode: %.2f M rows/s (%.0f MB/s)\n", (double)rows / (double)enc_us, (double)bytes / (double)enc_us);
	printf("infer:  %.2f M rows/s (%.0f MB/s)\n", (double)rows / (double)inf_us, (double)len / (double)inf_us);
	sp_batch_release(&b);
	sp_json_dec.free(d);
	sp_json_enc.free(e);
	sp_type_unref(schema);
	sp_buf_release(&out);
	free(text);
	return 0;
}
