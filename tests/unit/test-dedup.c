/*
 * test-dedup: the deduplication under stream-dedup, fed with hand-built
 * batches: the combinations refused, dropDuplicatesWithinWatermark batch by
 * batch, eviction with the time in the key, a table that grows and
 * shrinks, and the state's entries for a checkpoint (changes, dump,
 * restore).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dedup.h"
#include "timefmt.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
	printf(__VA_ARGS__); printf("\n"); } } while (0)

#define MIN (60 * SP_US_PER_SEC)

static struct sp_type *schema(void)
{
	struct sp_type *st;
	struct sp_err err = SP_ERR_INIT;

	if (sp_type_parse_ddl("id STRING, t TIMESTAMP", &st, &err) < 0) {
		printf("FAIL: %s\n", err.msg);
		exit(1);
	}
	return st;
}

/* A batch of rows "id@minute" ("-" for a NULL id, "id@" for a NULL time), separated by spaces. */
static void rows(struct sp_batch *b, const char *spec)
{
	char *copy = sp_xstrdup(spec), *save = NULL;

	sp_batch_reset(b);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *at = strchr(w, '@');

		*at = '\0';
		if (!strcmp(w, "-"))
			sp_col_push_null(&b->cols[0]);
		else
			sp_col_push_bytes(&b->cols[0], w, strlen(w));
		if (at[1])
			sp_col_push_i64(&b->cols[1], atoll(at + 1) * MIN);
		else
			sp_col_push_null(&b->cols[1]);
		sp_batch_row_done(b);
	}
	free(copy);
}

/* The ids of a batch, space-separated ("-" for NULL). */
static void ids(const struct sp_batch *b, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < b->n && n + 1 < size; i++) {
		size_t len;
		const char *p = sp_col_str(&b->cols[0], i, &len);

		if (sp_col_isnull(&b->cols[0], i))
			p = "-", len = 1;
		n += (size_t)snprintf(out + n, size - n, "%s%.*s", i ? " " : "", (int)len, p);
	}
}

/* Runs one batch through d: the ids that pass. */
static void run(struct sp_dedup *d, struct sp_batch *in, const char *spec, char *out, size_t size)
{
	const struct sp_batch *o;
	struct sp_err err = SP_ERR_INIT;

	rows(in, spec);
	sp_dedup_begin(d);
	if (sp_dedup_rows(d, in, &o, &err) < 0) {
		snprintf(out, size, "error: %s", err.msg);
		return;
	}
	ids(o, out, size);
	sp_dedup_end(d, SP_NO_WATERMARK);
}

static struct sp_dedup *make(const char *keys, int wm, int within, struct sp_type *st)
{
	struct sp_dedup_opts o = { keys, wm ? "t" : NULL, wm ? SP_WM_DELAY : SP_WM_NONE, 10 * MIN, within };
	struct sp_dedup *d;
	struct sp_err err = SP_ERR_INIT;

	if (sp_dedup_new(&d, &o, &err) < 0 || sp_dedup_bind(d, st, &err) < 0) {
		printf("FAIL: %s\n", err.msg);
		exit(1);
	}
	return d;
}

static void test_rejects(void)
{
	static const struct {
		const char *keys, *time;
		enum sp_wmark wm;
		int64_t delay;
		int within;
		const char *msg;
	} cases[] = {
		{ NULL, NULL, SP_WM_NONE, 0, 1, "Watermark must be defined on the streaming DataFrame when using "
		  "dropDuplicatesWithinWatermark: give '--time' and '--watermark'" },
		{ NULL, "t", SP_WM_UPSTREAM, 0, 1, "option '--within-watermark' needs a delay in '--watermark', not "
		  "'upstream' (the delay sets how long a key is remembered)" },
		{ NULL, NULL, SP_WM_DELAY, MIN, 0, "option '--watermark' needs '--time' (the event-time column)" },
		{ NULL, "t", SP_WM_NONE, 0, 0, "option '--time' needs '--watermark' (as Spark's withWatermark names both)" },
		{ NULL, "t", SP_WM_DELAY, -MIN, 0, "delay threshold (-1 minute) should not be negative" },
		{ "a,", NULL, SP_WM_NONE, 0, 0, "option '--keys': empty column name in 'a,'" },
		{ "a, ``", NULL, SP_WM_NONE, 0, 0, "option '--keys': empty column name in 'a, ``'" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sp_dedup_opts o = { cases[i].keys, cases[i].time, cases[i].wm, cases[i].delay, cases[i].within };
		struct sp_dedup *d = NULL;
		struct sp_err err = SP_ERR_INIT;

		CHECK(sp_dedup_new(&d, &o, &err) < 0 && !d, "case %zu accepted", i);
		CHECK(err.status == SP_EXIT_USAGE, "case %zu: status %d", i, err.status);
		CHECK(!strcmp(err.msg, cases[i].msg), "case %zu: '%s'", i, err.msg);
	}
}

/* The man page's example: keys remembered for 10 minutes past their first row. */
static void test_within(void)
{
	static const struct {
		const char *in, *out;
		uint64_t keys, added, removed, late, dups;
	} batches[] = {
		{ "a@1 a@5 b@8", "a b", 2, 2, 0, 0, 1 },	/* 8 - 10 minutes: the watermark stays 0 */
		{ "a@9 c@25", "c", 2, 1, 1, 0, 1 },		/* -> 15: a (expires 11) goes */
		{ "a@16 b@17 x@14", "a", 3, 1, 0, 1, 1 },	/* x is late; b expires at 18 */
		{ "b@40", "", 1, 0, 2, 0, 1 },			/* -> 30: b and a (26) go */
		{ "b@41 -@ -@", "b -", 2, 2, 1, 0, 1 },	/* NULL time: expires at 0 + 10, at once */
	};
	struct sp_type *st = schema();
	struct sp_dedup *d = make("id", 1, 1, st);
	struct sp_batch in;
	char got[256];

	sp_batch_init(&in, st);
	for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
		struct sp_dedup_stats s;

		run(d, &in, batches[i].in, got, sizeof got);
		sp_dedup_stats(d, &s);
		CHECK(!strcmp(got, batches[i].out), "batch %zu: '%s', want '%s'", i, got, batches[i].out);
		CHECK(s.keys == batches[i].keys && s.added == batches[i].added && s.removed == batches[i].removed &&
		      s.late == batches[i].late && s.dups == batches[i].dups,
		      "batch %zu: keys %llu added %llu removed %llu late %llu dups %llu", i, (unsigned long long)s.keys,
		      (unsigned long long)s.added, (unsigned long long)s.removed, (unsigned long long)s.late,
		      (unsigned long long)s.dups);
	}
	CHECK(!strcmp(sp_dedup_name(d), "dedupeWithinWatermark"), "%s", sp_dedup_name(d));
	CHECK(sp_dedup_watermark(d) == 31 * MIN, "watermark %lld", (long long)sp_dedup_watermark(d));
	sp_batch_release(&in);
	sp_dedup_free(d);
	sp_type_unref(st);
}

/* Many keys: the table grows, evicts half of them, and still finds the rest. */
static void test_grow_evict(void)
{
	struct sp_type *st = schema();
	struct sp_dedup *d = make("id, t", 1, 0, st);
	struct sp_batch in;
	const struct sp_batch *o;
	struct sp_err err = SP_ERR_INIT;
	struct sp_dedup_stats s;
	const int n = 50000;

	CHECK(!sp_dedup_grows(d), "the time is in the key");
	sp_batch_init(&in, st);
	/* keys k0..k(n-1) at minutes 100 + i % 100, each twice */
	sp_dedup_begin(d);
	for (int pass = 0; pass < 2; pass++) {
		sp_batch_reset(&in);
		for (int i = 0; i < n; i++) {
			char k[16];

			snprintf(k, sizeof k, "k%d", i);
			sp_col_push_bytes(&in.cols[0], k, strlen(k));
			sp_col_push_i64(&in.cols[1], (100 + i % 100) * MIN);
			sp_batch_row_done(&in);
		}
		CHECK(sp_dedup_rows(d, &in, &o, &err) == 0, "%s", err.msg);
		CHECK(o->n == (size_t)(pass ? 0 : n), "pass %d: %zu rows", pass, o->n);
	}
	/* the watermark goes to minute 199 - 10 = 189: keys at minutes <= 189 go */
	sp_dedup_end(d, SP_NO_WATERMARK);
	sp_dedup_stats(d, &s);
	CHECK(s.keys == (uint64_t)n / 10 && s.removed == (uint64_t)n * 9 / 10, "keys %llu removed %llu",
	      (unsigned long long)s.keys, (unsigned long long)s.removed);
	/* what stayed is still a duplicate; an evicted key is late now */
	{
		char got[64];

		run(d, &in, "k199@199 k99@195 k99@190 k0@100", got, sizeof got);
		CHECK(!strcmp(got, "k99 k99"), "'%s'", got);
	}
	sp_batch_release(&in);
	sp_dedup_free(d);
	sp_type_unref(st);
}

/* ---- the checkpoint's entries ---- */

struct log {
	struct sp_buf b;	/* "+key=8 bytes" and "-key" lines, keys printed as their length */
	int puts, dels;
	struct sp_buf all;	/* u32 klen, key, u32 vlen, value: for restoring */
};

static void put(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
	struct log *l = ctx;

	if (kl == 1 && *(const char *)k == 'M')
		return;
	l->puts++;
	sp_buf_put32(&l->all, (uint32_t)kl);
	sp_buf_add(&l->all, k, kl);
	sp_buf_put32(&l->all, (uint32_t)vl);
	sp_buf_add(&l->all, v, vl);
}

static void putm(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
	struct log *l = ctx;

	sp_buf_put32(&l->all, (uint32_t)kl);
	sp_buf_add(&l->all, k, kl);
	sp_buf_put32(&l->all, (uint32_t)vl);
	sp_buf_add(&l->all, v, vl);
}

static void del(void *ctx, const void *k, size_t kl)
{
	struct log *l = ctx;

	(void)k;
	(void)kl;
	l->dels++;
}

static void test_entries(void)
{
	struct sp_type *st = schema();
	struct sp_dedup *d = make("id", 1, 1, st), *e;
	struct sp_batch in;
	struct log l;
	struct sp_err err = SP_ERR_INIT;
	char got[128];

	memset(&l, 0, sizeof l);
	sp_batch_init(&in, st);
	sp_dedup_track(d, 1);
	run(d, &in, "a@1 a@5 b@8", got, sizeof got);
	sp_dedup_ops.changes(d, put, del, &l);
	CHECK(l.puts == 2 && l.dels == 0, "batch 0: %d puts %d deletes", l.puts, l.dels);
	run(d, &in, "a@9 c@25", got, sizeof got);
	l.puts = l.dels = 0;
	sp_dedup_ops.changes(d, put, del, &l);
	CHECK(l.puts == 1 && l.dels == 1, "batch 1: %d puts %d deletes", l.puts, l.dels);

	/* the whole state into another deduplication: it goes on the same way */
	sp_buf_release(&l.all);
	sp_dedup_ops.dump(d, putm, &l);
	e = make("id", 1, 1, st);
	sp_dedup_ops.clear(e);
	for (const unsigned char *p = (const unsigned char *)l.all.p, *end = p + l.all.len; p < end; ) {
		uint32_t kl = sp_get32(p), vl = sp_get32(p + 4 + kl);

		sp_dedup_ops.restore(e, p + 4, kl, p + 8 + kl, vl);
		p += 8 + kl + vl;
	}
	CHECK(sp_dedup_ops.restored(e, &err) == 0, "%s", err.msg);
	CHECK(sp_dedup_watermark(e) == sp_dedup_watermark(d), "watermark %lld", (long long)sp_dedup_watermark(e));
	run(e, &in, "a@16 b@17 x@14", got, sizeof got);
	CHECK(!strcmp(got, "a"), "restored: '%s'", got);
	sp_dedup_free(e);

	/* another deduplication's state is refused */
	e = make("id, t", 1, 0, st);
	sp_dedup_ops.clear(e);
	for (const unsigned char *p = (const unsigned char *)l.all.p, *end = p + l.all.len; p < end; ) {
		uint32_t kl = sp_get32(p), vl = sp_get32(p + 4 + kl);

		sp_dedup_ops.restore(e, p + 4, kl, p + 8 + kl, vl);
		p += 8 + kl + vl;
	}
	CHECK(sp_dedup_ops.restored(e, &err) < 0 &&
	      strstr(err.msg, "the saved state was made by another deduplication"), "'%s'", err.msg);
	sp_dedup_free(e);

	sp_buf_release(&l.all);
	sp_buf_release(&l.b);
	sp_batch_release(&in);
	sp_dedup_free(d);
	sp_type_unref(st);
}

/* NULLs: NULL ids equal each other; every column as the key. */
static void test_nulls(void)
{
	struct sp_type *st = schema();
	struct sp_dedup *d = make(NULL, 0, 0, st);
	struct sp_batch in;
	char got[128];

	CHECK(sp_dedup_grows(d), "no watermark");
	CHECK(!strcmp(sp_dedup_name(d), "dedupe"), "%s", sp_dedup_name(d));
	sp_batch_init(&in, st);
	run(d, &in, "-@ -@ -@1 a@ a@ a@1 a@1", got, sizeof got);
	CHECK(!strcmp(got, "- - a a"), "'%s'", got);
	run(d, &in, "-@ a@1 a@2", got, sizeof got);
	CHECK(!strcmp(got, "a"), "'%s'", got);
	sp_batch_release(&in);
	sp_dedup_free(d);
	sp_type_unref(st);
}

int main(void)
{
	test_rejects();
	test_within();
	test_grow_evict();
	test_entries();
	test_nulls();
	if (failures)
		printf("%d failure(s)\n", failures);
	return failures;
}
