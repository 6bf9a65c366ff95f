/*
 * test-window: window assignment and the stateful aggregation under
 * stream-window, fed with hand-built columns: the programming guide's word
 * count with a watermark in the three output modes, Spark's session window
 * test, late rows, and saving and restoring the state between batches.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "timefmt.h"
#include "window.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
	printf(__VA_ARGS__); printf("\n"); } } while (0)

#define MIN (60 * SP_US_PER_SEC)
#define SEC SP_US_PER_SEC

/* ---- window assignment ---- */

static void test_assign(void)
{
	static const struct {
		int64_t t, size, slide, offset;
		size_t n;
		int64_t starts[4];
	} cases[] = {
		/* tumbling */
		{ 7 * MIN, 5 * MIN, 5 * MIN, 0, 1, { 5 * MIN } },
		{ 5 * MIN, 5 * MIN, 5 * MIN, 0, 1, { 5 * MIN } },
		{ 5 * MIN - 1, 5 * MIN, 5 * MIN, 0, 1, { 0 } },
		/* negative times floor, not truncate */
		{ -1, 5 * MIN, 5 * MIN, 0, 1, { -5 * MIN } },
		{ -5 * MIN, 5 * MIN, 5 * MIN, 0, 1, { -5 * MIN } },
		{ -7 * MIN, 5 * MIN, 5 * MIN, 0, 1, { -10 * MIN } },
		/* sliding, slide dividing the window: the latest window first */
		{ 7 * MIN, 10 * MIN, 5 * MIN, 0, 2, { 5 * MIN, 0 } },
		{ 10 * MIN, 10 * MIN, 5 * MIN, 0, 2, { 10 * MIN, 5 * MIN } },
		{ -3 * MIN, 10 * MIN, 5 * MIN, 0, 2, { -5 * MIN, -10 * MIN } },
		/* Spark's own example: 12:05, window 12m slide 5m, start 0m and 2m */
		{ 12 * 60 * MIN + 5 * MIN, 12 * MIN, 5 * MIN, 0, 3,
		  { 12 * 60 * MIN + 5 * MIN, 12 * 60 * MIN, 11 * 60 * MIN + 55 * MIN } },
		{ 12 * 60 * MIN + 5 * MIN, 12 * MIN, 5 * MIN, 2 * MIN, 2,
		  { 12 * 60 * MIN + 2 * MIN, 11 * 60 * MIN + 57 * MIN } },
		/* slide not dividing the window: windows not holding t are left out */
		{ 7 * MIN, 10 * MIN, 4 * MIN, 0, 2, { 4 * MIN, 0 } },
		{ 9 * MIN, 10 * MIN, 4 * MIN, 0, 3, { 8 * MIN, 4 * MIN, 0 } },
		/* offsets, positive and negative */
		{ 7 * MIN, 5 * MIN, 5 * MIN, 2 * MIN, 1, { 7 * MIN } },
		{ 6 * MIN, 5 * MIN, 5 * MIN, 2 * MIN, 1, { 2 * MIN } },
		{ 6 * MIN, 5 * MIN, 5 * MIN, -2 * MIN, 1, { 3 * MIN } },
		{ -1, 5 * MIN, 5 * MIN, -2 * MIN, 1, { -2 * MIN } },
		{ -3 * MIN, 5 * MIN, 5 * MIN, 2 * MIN, 1, { -3 * MIN } },
		/* one-microsecond windows */
		{ 123, 1, 1, 0, 1, { 123 } },
	};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int64_t got[8];
		size_t n = sp_window_assign(cases[c].t, cases[c].size, cases[c].slide, cases[c].offset, got);
		int ok = n == cases[c].n;

		for (size_t i = 0; ok && i < n; i++)
			ok = got[i] == cases[c].starts[i];
		CHECK(ok, "assign case %zu: t=%lld got %zu windows starting %lld", c, (long long)cases[c].t, n,
		      n ? (long long)got[0] : 0LL);
		for (size_t i = 0; i < n; i++)
			CHECK(got[i] <= cases[c].t && cases[c].t < got[i] + cases[c].size, "case %zu: window %zu misses t", c, i);
	}
}

/* ---- feeding the aggregation ---- */

struct feed {
	struct sp_type *schema;		/* t TIMESTAMP, k STRING, x DOUBLE */
	struct sp_batch b;
};

static int64_t ts(const char *s)
{
	int64_t us = 0;

	if (sp_ts_parse(s, strlen(s), &us) < 0) {
		printf("bad timestamp %s\n", s);
		exit(2);
	}
	return us;
}

static void feed_init(struct feed *f)
{
	struct sp_err err = SP_ERR_INIT;

	if (sp_type_parse_ddl("t TIMESTAMP, k STRING, x DOUBLE", &f->schema, &err) < 0)
		exit(2);
	sp_batch_init(&f->b, f->schema);
}

static void feed_release(struct feed *f)
{
	sp_batch_release(&f->b);
	sp_type_unref(f->schema);
}

/* Adds a row: t as "HH:MM[:SS]" on 2024-05-01 (NULL: no time), key, x (NAN: NULL). */
static void row(struct feed *f, const char *t, const char *k, double x)
{
	char buf[64];

	if (t) {
		snprintf(buf, sizeof buf, "2024-05-01 %s", t);
		sp_col_push_i64(&f->b.cols[0], ts(buf));
	} else {
		sp_col_push_null(&f->b.cols[0]);
	}
	if (k)
		sp_col_push_bytes(&f->b.cols[1], k, strlen(k));
	else
		sp_col_push_null(&f->b.cols[1]);
	if (x != x)
		sp_col_push_null(&f->b.cols[2]);
	else
		sp_col_push_f64(&f->b.cols[2], x);
	sp_batch_row_done(&f->b);
}

/* Rows at plain seconds since the epoch. */
static void row_sec(struct feed *f, int64_t sec, const char *k)
{
	sp_col_push_i64(&f->b.cols[0], sec * SEC);
	sp_col_push_bytes(&f->b.cols[1], k, strlen(k));
	sp_col_push_f64(&f->b.cols[2], (double)sec);
	sp_batch_row_done(&f->b);
}

/* Rows of a batch as text: "value | value | ...", one line per row, times as HH:MM[:SS]. */
static char *text(const struct sp_batch *b)
{
	struct sp_buf out = SP_BUF_INIT;

	if (!b)
		return sp_xstrdup("");
	for (size_t i = 0; i < b->n; i++) {
		for (size_t c = 0; c < b->schema->nfields; c++) {
			struct sp_val v;
			struct sp_buf one = SP_BUF_INIT;

			sp_col_get(&b->cols[c], i, &v);
			sp_val_format(&one, &v);
			/* shorten "2024-05-01 12:05:00" to "12:05" */
			const char *p = one.p;
			struct sp_buf sh = SP_BUF_INIT;

			for (size_t j = 0; j < one.len; j++) {
				if (one.len - j >= 19 && !strncmp(p + j, "2024-05-01 ", 11) && !strncmp(p + j + 16, ":00", 3) &&
				    p[j + 19] != '.') {
					sp_buf_add(&sh, p + j + 11, 5);
					j += 18;
					continue;
				}
				sp_buf_addc(&sh, p[j]);
			}
			sp_buf_printf(&out, "%s%s", c ? " | " : "", sh.p ? sh.p : "");
			sp_buf_release(&sh);
			sp_buf_release(&one);
		}
		sp_buf_addc(&out, '\n');
	}
	return sp_buf_take(&out);
}

struct run {
	struct sp_wstate *ws;
	struct feed f;
	uint64_t late_rows;
};

static void run_init(struct run *r, const struct sp_wspec *spec)
{
	struct sp_err err = SP_ERR_INIT;
	const struct sp_type *kt[1] = { sp_type_prim(SP_T_STRING) };
	enum sp_type_id at[8];

	for (size_t j = 0; j < spec->naggs; j++)
		at[j] = SP_T_DOUBLE;
	memset(r, 0, sizeof *r);
	if (sp_wstate_new(&r->ws, spec, &err) < 0 || sp_wstate_types(r->ws, kt, at, &err) < 0) {
		printf("FAIL setting up: %s\n", err.msg);
		exit(2);
	}
	feed_init(&r->f);
}

/* The text of the first output slice and of every slice after it. */
static char *all_text(struct run *r, const struct sp_batch *out)
{
	char *all = text(out), *more;

	while (out && sp_wstate_next(r->ws, &out)) {
		more = text(out);
		all = sp_xrealloc(all, strlen(all) + strlen(more) + 1);
		strcat(all, more);
		free(more);
	}
	return all;
}

/* Runs the rows pushed into r->f as batch id; returns the output as text. */
static char *run_batch(struct run *r, int64_t id)
{
	struct sp_err err = SP_ERR_INIT;
	const struct sp_col *keys[1] = { &r->f.b.cols[1] };
	const struct sp_col *args[4] = { &r->f.b.cols[2], &r->f.b.cols[2], &r->f.b.cols[2], &r->f.b.cols[2] };
	struct sp_winput in = { r->f.b.n, &r->f.b.cols[0], NULL, keys, args };
	uint8_t late[64];
	const struct sp_batch *out;

	sp_wstate_begin(r->ws, id);
	if (sp_wstate_rows(r->ws, &in, late, &err) < 0 || sp_wstate_end(r->ws, SP_NO_WATERMARK, &out, &err) < 0) {
		printf("FAIL batch %lld: %s\n", (long long)id, err.msg);
		exit(2);
	}
	for (size_t i = 0; i < r->f.b.n; i++)
		r->late_rows += late[i];
	sp_batch_reset(&r->f.b);
	return all_text(r, out);
}

static char *run_finish(struct run *r)
{
	struct sp_err err = SP_ERR_INIT;
	const struct sp_batch *out;

	if (sp_wstate_finish(r->ws, &out, &err) < 0) {
		printf("FAIL finish: %s\n", err.msg);
		exit(2);
	}
	return all_text(r, out);
}

static void run_release(struct run *r)
{
	sp_wstate_free(r->ws);
	feed_release(&r->f);
}

static void expect(const char *what, char *got, const char *want)
{
	CHECK(!strcmp(got, want), "%s:\n--- got\n%s--- want\n%s---", what, got, want);
	free(got);
}

/* ---- the word count of the programming guide ---- */

static struct sp_wagg_spec count_star = { SP_AGG_COUNT, 1, 0, 0, (char *)"count", NULL };
static char *word_key[] = { (char *)"word" };

static void word_count_spec(struct sp_wspec *s, enum sp_mode mode)
{
	memset(s, 0, sizeof *s);
	s->kind = SP_WK_TIME;
	s->size = 10 * MIN;
	s->slide = 5 * MIN;
	s->wmark = SP_WM_DELAY;
	s->delay = 10 * MIN;
	s->mode = mode;
	s->nkeys = 1;
	s->key_names = word_key;
	s->naggs = 1;
	s->aggs = &count_star;
}

static void word_batches(struct run *r, int b)
{
	switch (b) {
	case 0:
		row(&r->f, "12:07", "dog", 0);
		row(&r->f, "12:08", "owl", 0);
		break;
	case 1:
		row(&r->f, "12:14", "dog", 0);
		row(&r->f, "12:09", "cat", 0);
		break;
	case 2:
		row(&r->f, "12:15", "cat", 0);
		row(&r->f, "12:08", "dog", 0);
		row(&r->f, "12:13", "owl", 0);
		row(&r->f, "12:21", "owl", 0);
		break;
	case 3:
		row(&r->f, "12:04", "donkey", 0);
		row(&r->f, "12:17", "owl", 0);
		break;
	}
}

static void test_word_count(void)
{
	struct sp_wspec s;
	struct run r;

	word_count_spec(&s, SP_MODE_APPEND);
	run_init(&r, &s);
	word_batches(&r, 0);
	expect("append 0", run_batch(&r, 0), "");
	CHECK(sp_wstate_watermark(r.ws) == ts("2024-05-01 11:58"), "watermark after 0");
	word_batches(&r, 1);
	expect("append 1", run_batch(&r, 1), "");
	CHECK(sp_wstate_watermark(r.ws) == ts("2024-05-01 12:04"), "watermark after 1");
	word_batches(&r, 2);
	expect("append 2", run_batch(&r, 2),
	       "{12:00, 12:10} | cat | 1\n{12:00, 12:10} | dog | 2\n{12:00, 12:10} | owl | 1\n");
	CHECK(sp_wstate_watermark(r.ws) == ts("2024-05-01 12:11"), "watermark after 2");
	word_batches(&r, 3);
	expect("append 3", run_batch(&r, 3), "");
	CHECK(r.late_rows == 1, "append: donkey is late (%llu late)", (unsigned long long)r.late_rows);
	expect("append end of input", run_finish(&r),
	       "{12:05, 12:15} | cat | 1\n{12:05, 12:15} | dog | 3\n{12:05, 12:15} | owl | 2\n"
	       "{12:10, 12:20} | cat | 1\n{12:10, 12:20} | dog | 1\n{12:10, 12:20} | owl | 2\n"
	       "{12:15, 12:25} | cat | 1\n{12:15, 12:25} | owl | 2\n"
	       "{12:20, 12:30} | owl | 1\n");
	run_release(&r);

	word_count_spec(&s, SP_MODE_UPDATE);
	run_init(&r, &s);
	word_batches(&r, 0);
	expect("update 0", run_batch(&r, 0),
	       "{12:00, 12:10} | dog | 1\n{12:00, 12:10} | owl | 1\n{12:05, 12:15} | dog | 1\n{12:05, 12:15} | owl | 1\n");
	word_batches(&r, 1);
	expect("update 1", run_batch(&r, 1),
	       "{12:00, 12:10} | cat | 1\n{12:05, 12:15} | cat | 1\n{12:05, 12:15} | dog | 2\n{12:10, 12:20} | dog | 1\n");
	word_batches(&r, 2);
	expect("update 2", run_batch(&r, 2),
	       "{12:00, 12:10} | dog | 2\n{12:05, 12:15} | dog | 3\n{12:05, 12:15} | owl | 2\n"
	       "{12:10, 12:20} | cat | 1\n{12:10, 12:20} | owl | 1\n{12:15, 12:25} | cat | 1\n"
	       "{12:15, 12:25} | owl | 1\n{12:20, 12:30} | owl | 1\n");
	word_batches(&r, 3);
	expect("update 3", run_batch(&r, 3), "{12:10, 12:20} | owl | 2\n{12:15, 12:25} | owl | 2\n");
	CHECK(r.late_rows == 1, "update: donkey is late");
	expect("update end of input", run_finish(&r), "");
	run_release(&r);

	word_count_spec(&s, SP_MODE_COMPLETE);
	run_init(&r, &s);
	for (int b = 0; b < 3; b++) {
		word_batches(&r, b);
		free(run_batch(&r, b));
	}
	word_batches(&r, 3);
	expect("complete 3", run_batch(&r, 3),
	       "{11:55, 12:05} | donkey | 1\n"
	       "{12:00, 12:10} | cat | 1\n{12:00, 12:10} | dog | 2\n{12:00, 12:10} | donkey | 1\n{12:00, 12:10} | owl | 1\n"
	       "{12:05, 12:15} | cat | 1\n{12:05, 12:15} | dog | 3\n{12:05, 12:15} | owl | 2\n"
	       "{12:10, 12:20} | cat | 1\n{12:10, 12:20} | dog | 1\n{12:10, 12:20} | owl | 2\n"
	       "{12:15, 12:25} | cat | 1\n{12:15, 12:25} | owl | 2\n"
	       "{12:20, 12:30} | owl | 1\n");
	CHECK(r.late_rows == 0, "complete mode drops nothing");
	run_release(&r);
}

/* The word count again, saved after each batch and restored into a new state. */
static void test_save_load(void)
{
	for (int cut = 0; cut < 4; cut++) {
		struct sp_wspec s;
		struct run a, b;
		struct sp_buf saved = SP_BUF_INIT;
		struct sp_err err = SP_ERR_INIT;
		struct sp_wstate *fresh;
		char *x, *y;

		word_count_spec(&s, SP_MODE_APPEND);
		run_init(&a, &s);
		run_init(&b, &s);
		for (int i = 0; i <= cut; i++) {
			word_batches(&a, i);
			free(run_batch(&a, i));
		}
		sp_wstate_save(a.ws, &saved);
		/* a state that has not seen a schema yet learns the layout from the saved state */
		if (sp_wstate_new(&fresh, &s, &err) < 0 || sp_wstate_load(fresh, saved.p, saved.len, &err) < 0) {
			CHECK(0, "load after batch %d: %s", cut, err.msg);
			return;
		}
		sp_wstate_free(b.ws);
		b.ws = fresh;
		CHECK(sp_wstate_watermark(a.ws) == sp_wstate_watermark(b.ws), "watermark restored after %d", cut);
		for (int i = cut + 1; i < 4; i++) {
			word_batches(&a, i);
			word_batches(&b, i);
			x = run_batch(&a, i);
			y = run_batch(&b, i);
			CHECK(!strcmp(x, y), "after restoring batch %d, batch %d differs:\n%s---\n%s", cut, i, x, y);
			free(x);
			free(y);
		}
		x = run_finish(&a);
		y = run_finish(&b);
		CHECK(!strcmp(x, y) && *x, "after restoring batch %d, the end differs:\n%s---\n%s", cut, x, y);
		free(x);
		free(y);
		sp_buf_release(&saved);
		run_release(&a);
		run_release(&b);
	}
}

/* ---- sessions: Spark's StreamingSessionWindowSuite, "append mode - session window" ---- */

static void words(struct run *r, const char *line, int64_t sec)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		row_sec(&r->f, sec, w);
}

static void session_spec(struct sp_wspec *s, enum sp_mode mode)
{
	static char *key[] = { (char *)"sessionId" };
	static struct sp_wagg_spec aggs[] = {
		{ SP_AGG_COUNT, 1, 0, 0, (char *)"numEvents", NULL },
		{ SP_AGG_SUM, 0, 0, 0, (char *)"sum", NULL },
		{ SP_AGG_FIRST, 0, 0, 0, (char *)"first", NULL },
		{ SP_AGG_LAST, 0, 0, 0, (char *)"last", NULL },
	};

	memset(s, 0, sizeof *s);
	s->kind = SP_WK_SESSION;
	s->gap = 10 * SEC;
	s->wmark = SP_WM_DELAY;
	s->delay = 30 * SEC;
	s->mode = mode;
	s->nkeys = 1;
	s->key_names = key;
	s->naggs = 4;
	s->aggs = aggs;
}

static void session_batches(struct run *r, int b)
{
	switch (b) {
	case 0:
		words(r, "hello world spark streaming", 40);
		words(r, "world hello structured streaming", 41);
		break;
	case 1:
		words(r, "spark streaming", 25);
		break;
	case 2:
		words(r, "spark streaming", 0);	/* late: session end 10 <= watermark 11 */
		break;
	case 3:
		words(r, "spark streaming", 30);	/* joins [25,35) and [40,50) of spark */
		break;
	case 4:
		words(r, "hello apache spark", 60);
		break;
	case 5:
		words(r, "structured streaming", 90);
		break;
	}
}

static void test_sessions(void)
{
	struct sp_wspec s;
	struct run r;

	session_spec(&s, SP_MODE_APPEND);
	run_init(&r, &s);
	for (int b = 0; b < 5; b++) {
		session_batches(&r, b);
		expect("sessions, nothing final yet", run_batch(&r, b), "");
		if (b == 0)
			CHECK(sp_wstate_watermark(r.ws) == 11 * SEC, "session watermark 11");
		if (b == 2)
			CHECK(r.late_rows == 2, "two late rows, got %llu", (unsigned long long)r.late_rows);
	}
	session_batches(&r, 5);
	expect("sessions final at watermark 60", run_batch(&r, 5),
	       "{1970-01-01 00:00:25, 1970-01-01 00:00:50} | spark | 3 | 95.0 | 25.0 | 40.0\n"
	       "{1970-01-01 00:00:25, 1970-01-01 00:00:51} | streaming | 4 | 136.0 | 25.0 | 41.0\n"
	       "{1970-01-01 00:00:40, 1970-01-01 00:00:51} | hello | 2 | 81.0 | 40.0 | 41.0\n"
	       "{1970-01-01 00:00:40, 1970-01-01 00:00:51} | world | 2 | 81.0 | 40.0 | 41.0\n"
	       "{1970-01-01 00:00:41, 1970-01-01 00:00:51} | structured | 1 | 41.0 | 41.0 | 41.0\n");
	expect("sessions at the end of input", run_finish(&r),
	       "{1970-01-01 00:01:00, 1970-01-01 00:01:10} | apache | 1 | 60.0 | 60.0 | 60.0\n"
	       "{1970-01-01 00:01:00, 1970-01-01 00:01:10} | hello | 1 | 60.0 | 60.0 | 60.0\n"
	       "{1970-01-01 00:01:00, 1970-01-01 00:01:10} | spark | 1 | 60.0 | 60.0 | 60.0\n"
	       "{1970-01-01 00:01:30, 1970-01-01 00:01:40} | streaming | 1 | 90.0 | 90.0 | 90.0\n"
	       "{1970-01-01 00:01:30, 1970-01-01 00:01:40} | structured | 1 | 90.0 | 90.0 | 90.0\n");
	run_release(&r);

	/* complete mode shows every session each batch, late data included */
	session_spec(&s, SP_MODE_COMPLETE);
	run_init(&r, &s);
	for (int b = 0; b < 3; b++) {
		session_batches(&r, b);
		free(run_batch(&r, b));
	}
	session_batches(&r, 3);
	expect("complete sessions", run_batch(&r, 3),
	       "{1970-01-01 00:00:00, 1970-01-01 00:00:10} | spark | 1 | 0.0 | 0.0 | 0.0\n"
	       "{1970-01-01 00:00:00, 1970-01-01 00:00:10} | streaming | 1 | 0.0 | 0.0 | 0.0\n"
	       "{1970-01-01 00:00:25, 1970-01-01 00:00:50} | spark | 3 | 95.0 | 25.0 | 40.0\n"
	       "{1970-01-01 00:00:25, 1970-01-01 00:00:51} | streaming | 4 | 136.0 | 25.0 | 41.0\n"
	       "{1970-01-01 00:00:40, 1970-01-01 00:00:51} | hello | 2 | 81.0 | 40.0 | 41.0\n"
	       "{1970-01-01 00:00:40, 1970-01-01 00:00:51} | world | 2 | 81.0 | 40.0 | 41.0\n"
	       "{1970-01-01 00:00:41, 1970-01-01 00:00:51} | structured | 1 | 41.0 | 41.0 | 41.0\n");
	run_release(&r);

	/* saved and restored in the middle of open sessions */
	for (int cut = 0; cut < 5; cut++) {
		struct run a, b;
		struct sp_buf saved = SP_BUF_INIT;
		struct sp_err err = SP_ERR_INIT;
		char *x, *y;

		session_spec(&s, SP_MODE_APPEND);
		run_init(&a, &s);
		run_init(&b, &s);
		for (int i = 0; i <= cut; i++) {
			session_batches(&a, i);
			free(run_batch(&a, i));
		}
		sp_wstate_save(a.ws, &saved);
		if (sp_wstate_load(b.ws, saved.p, saved.len, &err) < 0)
			CHECK(0, "sessions: load after %d: %s", cut, err.msg);
		for (int i = cut + 1; i < 6; i++) {
			session_batches(&a, i);
			session_batches(&b, i);
			x = run_batch(&a, i);
			y = run_batch(&b, i);
			CHECK(!strcmp(x, y), "sessions restored after %d differ in batch %d:\n%s---\n%s", cut, i, x, y);
			free(x);
			free(y);
		}
		x = run_finish(&a);
		y = run_finish(&b);
		CHECK(!strcmp(x, y), "sessions restored after %d differ at the end", cut);
		free(x);
		free(y);
		sp_buf_release(&saved);
		run_release(&a);
		run_release(&b);
	}
}

/* ---- Spark's EventTimeWatermarkSuite "append mode" ---- */

static void test_watermark_append(void)
{
	struct sp_wspec s;
	struct run r;
	static char *nokey[] = { (char *)"k" };

	memset(&s, 0, sizeof s);
	s.kind = SP_WK_TIME;
	s.size = s.slide = 5 * SEC;
	s.wmark = SP_WM_DELAY;
	s.delay = 10 * SEC;
	s.mode = SP_MODE_APPEND;
	s.nkeys = 1;
	s.key_names = nokey;
	s.naggs = 1;
	s.aggs = &count_star;
	run_init(&r, &s);
	for (int v = 10; v <= 15; v++)
		row_sec(&r.f, v, "");
	expect("10..15", run_batch(&r, 0), "");
	row_sec(&r.f, 25, "");
	expect("25 moves the watermark to 15", run_batch(&r, 1),
	       "{1970-01-01 00:00:10, 1970-01-01 00:00:15} |  | 5\n");
	row_sec(&r.f, 10, "");
	expect("10 is late", run_batch(&r, 2), "");
	CHECK(r.late_rows == 1, "one late row");
	run_release(&r);
}

/* ---- rejected combinations ---- */

static void test_rejects(void)
{
	static const struct {
		enum sp_wkind kind;
		int64_t size, slide, offset;
		enum sp_wmark wm;
		int64_t delay;
		enum sp_mode mode;
		size_t nkeys;
		const char *msg;
	} cases[] = {
		{ SP_WK_TIME, 5 * MIN, 5 * MIN, 0, SP_WM_NONE, 0, SP_MODE_APPEND, 1,
		  "Append output mode not supported when there are streaming aggregations on streaming "
		  "DataFrames/DataSets without watermark" },
		{ SP_WK_NONE, 0, 0, 0, SP_WM_DELAY, MIN, SP_MODE_APPEND, 1,
		  "Append output mode not supported when there are streaming aggregations on streaming "
		  "DataFrames/DataSets without watermark" },
		{ SP_WK_SESSION, 0, 0, 0, SP_WM_DELAY, MIN, SP_MODE_UPDATE, 1,
		  "Update output mode not supported for session window on streaming DataFrames/DataSets" },
		{ SP_WK_SESSION, 0, 0, 0, SP_WM_DELAY, MIN, SP_MODE_APPEND, 0,
		  "Global aggregation with session window in streaming query is not supported" },
		{ SP_WK_TIME, 5 * MIN, 5 * MIN, 0, SP_WM_DELAY, -MIN, SP_MODE_UPDATE, 1,
		  "delay threshold (-1 minute) should not be negative" },
		{ SP_WK_TIME, 5 * MIN, 10 * MIN, 0, SP_WM_NONE, 0, SP_MODE_UPDATE, 1,
		  "the slide duration (10 minutes) must be less than or equal to the window duration (5 minutes)" },
		{ SP_WK_TIME, 10 * MIN, 5 * MIN, 5 * MIN, SP_WM_NONE, 0, SP_MODE_UPDATE, 1,
		  "the absolute value of the window offset (5 minutes) must be less than the slide duration (5 minutes)" },
		{ SP_WK_TIME, 10 * MIN, 5 * MIN, -5 * MIN, SP_WM_NONE, 0, SP_MODE_UPDATE, 1,
		  "the absolute value of the window offset (-5 minutes) must be less than the slide duration (5 minutes)" },
	};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct sp_wspec s;
		struct sp_wstate *ws = NULL;
		struct sp_err err = SP_ERR_INIT;

		word_count_spec(&s, cases[c].mode);
		s.kind = cases[c].kind;
		s.size = cases[c].size;
		s.slide = cases[c].slide;
		s.offset = cases[c].offset;
		s.gap = MIN;
		s.wmark = cases[c].wm;
		s.delay = cases[c].delay;
		s.nkeys = cases[c].nkeys;
		CHECK(sp_wstate_new(&ws, &s, &err) < 0 && err.status == SP_EXIT_USAGE && !strcmp(err.msg, cases[c].msg),
		      "reject case %zu: got '%s'", c, err.msg);
		sp_wstate_free(ws);
	}
}

/* ---- no window: a running groupBy().agg(), and the global aggregate ---- */

static void test_plain(void)
{
	struct sp_wspec s;
	struct run r;
	static struct sp_wagg_spec aggs[] = {
		{ SP_AGG_COUNT, 1, 0, 0, (char *)"n", NULL },
		{ SP_AGG_AVG, 0, 0, 0, (char *)"avg", NULL },
	};

	memset(&s, 0, sizeof s);
	s.kind = SP_WK_NONE;
	s.mode = SP_MODE_UPDATE;
	s.naggs = 2;
	s.aggs = aggs;
	{
		struct sp_err err = SP_ERR_INIT;
		enum sp_type_id at[2] = { SP_T_NULL, SP_T_DOUBLE };

		memset(&r, 0, sizeof r);
		if (sp_wstate_new(&r.ws, &s, &err) < 0 || sp_wstate_types(r.ws, NULL, at, &err) < 0) {
			CHECK(0, "global: %s", err.msg);
			return;
		}
		feed_init(&r.f);
	}
	/* an empty first batch already has the global row, with count 0 and avg NULL */
	expect("global, empty", run_batch(&r, 0), "0 | NULL\n");
	row(&r.f, "12:00", "a", 1);
	row(&r.f, "12:00", "b", 2);
	expect("global", run_batch(&r, 1), "2 | 1.5\n");
	expect("global, unchanged but shown each batch", run_batch(&r, 2), "2 | 1.5\n");
	run_release(&r);

	s.nkeys = 1;
	s.key_names = word_key;
	run_init(&r, &s);
	row(&r.f, "12:00", "b", 2);
	row(&r.f, NULL, NULL, 3);
	row(&r.f, "12:00", "a", NAN);
	expect("keys, NULL key first", run_batch(&r, 0), "NULL | 1 | 3.0\na | 1 | NULL\nb | 1 | 2.0\n");
	row(&r.f, "12:00", "a", 5);
	expect("keys, update", run_batch(&r, 1), "a | 2 | 5.0\n");
	run_release(&r);
}

/* ---- the output schema, and output in slices ---- */

static void test_schema_and_slices(void)
{
	struct sp_wspec s;
	struct run r;
	struct sp_type *o;
	const struct sp_batch *out;
	struct sp_err err = SP_ERR_INIT;
	char key[32];
	size_t rows = 0, slices = 0;
	int sorted = 1;
	char prev[32] = "";

	word_count_spec(&s, SP_MODE_COMPLETE);
	s.slide = s.size;
	run_init(&r, &s);
	o = sp_wstate_schema(r.ws);
	CHECK(o->nfields == 3 && !strcmp(o->fields[0].name, "window") && o->fields[0].flags == SP_FIELD_KEY &&
	      o->fields[0].type->id == SP_T_STRUCT && !strcmp(o->fields[0].type->fields[1].name, "end") &&
	      !strcmp(o->fields[1].name, "word") && o->fields[1].flags == SP_FIELD_KEY &&
	      !strcmp(o->fields[2].name, "count") && o->fields[2].flags == 0 && o->fields[2].type->id == SP_T_LONG,
	      "output schema: window and keys are keys");
	/* 40000 groups: three slices, in key order */
	for (int i = 0; i < 40000; i++) {
		snprintf(key, sizeof key, "k%05d", (i * 7919) % 40000);
		row(&r.f, "12:00", key, 1);
	}
	{
		const struct sp_col *keys[1] = { &r.f.b.cols[1] };
		const struct sp_col *args[1] = { &r.f.b.cols[2] };
		struct sp_winput in = { r.f.b.n, &r.f.b.cols[0], NULL, keys, args };

		sp_wstate_begin(r.ws, 0);
		if (sp_wstate_rows(r.ws, &in, NULL, &err) < 0 || sp_wstate_end(r.ws, SP_NO_WATERMARK, &out, &err) < 0) {
			CHECK(0, "slices: %s", err.msg);
			run_release(&r);
			return;
		}
	}
	do {
		slices++;
		for (size_t i = 0; i < out->n; i++) {
			size_t len;
			const char *k = sp_col_str(&out->cols[1], i, &len);

			if (len >= sizeof prev || (rows && strncmp(prev, k, len) >= 0))
				sorted = 0;
			memcpy(prev, k, len);
			prev[len] = '\0';
			rows++;
		}
	} while (sp_wstate_next(r.ws, &out));
	CHECK(rows == 40000 && slices == 3 && sorted, "slices: %zu rows in %zu slices, sorted %d", rows, slices, sorted);
	run_release(&r);
}

int main(void)
{
	test_assign();
	test_word_count();
	test_save_load();
	test_sessions();
	test_watermark_append();
	test_rejects();
	test_plain();
	test_schema_and_slices();
	if (failures)
		printf("%d failure(s)\n", failures);
	return failures;
}
