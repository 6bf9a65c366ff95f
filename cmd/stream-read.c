/*
 * stream-read: the source of every pipeline. Reads JSON lines, CSV or text
 * from files, directories, globs or standard input (or replays a recorded
 * frame stream) and writes a frame stream to standard output.
 *
 * Without --schema the schema is inferred first, as Spark does: over every
 * input file, or over the first records of standard input, which stay
 * buffered so that nothing is read twice from a pipe.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

enum { OPT_SCHEMA = 1, OPT_OPTION, OPT_ZSTD, OPT_QUIET, OPT_VERBOSE };

static const struct sp_opt opts[] = {
	{ "schema", 0, "DDL", "schema of the records, e.g. 'id LONG, name STRING' (default: inferred)", OPT_SCHEMA },
	{ "option", 'o', "KEY=VALUE", "a source option, by Spark's name (repeatable)", OPT_OPTION },
	{ "zstd", 0, NULL, "compress row frames with zstd (for recordings)", OPT_ZSTD },
	{ "quiet", 'q', NULL, "print no warnings", OPT_QUIET },
	{ "verbose", 'v', NULL, "print more", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-read FORMAT [options] [PATH ...]";
static const char about[] =
	"Reads records and writes them as a frame stream on standard output.\n"
	"FORMAT is json (JSON lines), csv, text or frames (a recorded stream).\n"
	"PATH is a file, a directory, a glob or - (standard input, the default).";

/* Rows per batch handed to the frame writer. */
#define ROWS_PER_FLUSH 16384
/* Records sampled from standard input when inferring a schema. */
#define STDIN_SAMPLE 10000

struct args {
	const char *format;
	const char *schema;
	struct sp_kvs kv;
	char **paths;
	size_t npaths;
	int zstd;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case SP_OPT_POS:
			if (!a->format) {
				a->format = arg;
				break;
			}
			a->paths = sp_xrealloc(a->paths, (a->npaths + 1) * sizeof *a->paths);
			a->paths[a->npaths++] = (char *)arg;
			break;
		case OPT_SCHEMA:
			a->schema = arg;
			break;
		case OPT_OPTION:
			sp_kvs_add(&a->kv, "-o", arg);
			break;
		case OPT_ZSTD:
			a->zstd = 1;
			break;
		case OPT_QUIET:
			sp_verbose = 0;
			break;
		case OPT_VERBOSE:
			sp_verbose++;
			break;
		}
	}
	if (!a->format)
		sp_usage_error("no format given (json, csv, text or frames)");
	if (!a->npaths) {
		static char dash[] = "-";

		a->paths = sp_xmalloc(sizeof *a->paths);
		a->paths[a->npaths++] = dash;
	}
}

/* Feeds the first records of in to the decoder's schema inference. */
static int infer_input(const struct sp_dec_class *cls, struct sp_dec *d, struct sp_input *in, size_t *budget,
		       struct sp_err *err)
{
	size_t off = 0, len, used;
	const char *p;
	ssize_t n;
	int eof = 0, r;

	cls->start(d, sp_input_name(in));
	while (*budget) {
		p = sp_input_data(in, &len);
		if ((n = cls->infer(d, p + off, len - off, eof, *budget, &used, err)) < 0)
			return -1;
		off += used;
		*budget -= (size_t)n;
		if (eof || !*budget)
			break;
		if ((r = sp_input_more(in, err)) < 0)
			return -1;
		eof = r == 0;
	}
	return 0;
}

/*
 * The schema from the data: every file is read once for it; standard input
 * keeps its sample buffered in *stdin_in for decoding.
 */
static int infer_schema(const struct sp_dec_class *cls, struct sp_dec *d, const struct args *a, char **paths,
			size_t npaths, struct sp_input **stdin_in, struct sp_type **out, struct sp_err *err)
{
	size_t budget = SIZE_MAX, stdin_budget = STDIN_SAMPLE;

	for (size_t i = 0; i < npaths; i++) {
		struct sp_input *in = NULL;
		int is_stdin = !strcmp(paths[i], "-");

		if (sp_input_open(&in, paths[i], err) < 0)
			return -1;
		if (infer_input(cls, d, in, is_stdin ? &stdin_budget : &budget, err) < 0) {
			sp_input_free(in);
			return -1;
		}
		if (is_stdin)
			*stdin_in = in;
		else
			sp_input_free(in);
	}
	(void)a;
	*out = cls->inferred(d);
	return 0;
}

struct source {
	const struct sp_dec_class *cls;
	struct sp_dec *dec;
	struct sp_writer *wr;
	struct sp_batch rows;
	uint64_t total;
};

static int flush_rows(struct source *s, struct sp_err *err)
{
	if (!s->rows.n)
		return 0;
	if (sp_writer_rows(s->wr, &s->rows, err) < 0)
		return -1;
	s->total += s->rows.n;
	sp_batch_reset(&s->rows);
	return 0;
}

/* Decodes all of one input into row frames. */
static int read_input(struct source *s, struct sp_input *in, struct sp_err *err)
{
	const char *p;
	size_t len;
	ssize_t n;
	int eof = 0, r;

	s->cls->start(s->dec, sp_input_name(in));
	while (sp_running()) {
		p = sp_input_data(in, &len);
		n = s->cls->decode(s->dec, p, len, eof, &s->rows, ROWS_PER_FLUSH - s->rows.n, err);
		if (n < 0)
			return -1;
		sp_input_consume(in, (size_t)n);
		if (s->rows.n >= ROWS_PER_FLUSH) {
			if (flush_rows(s, err) < 0)
				return -1;
			continue;
		}
		if (eof)
			break;
		if ((r = sp_input_more(in, err)) < 0)
			return -1;
		eof = r == 0;
	}
	return 0;
}

/* Replays recorded streams, renumbering batches so that ids keep increasing across files. */
static int replay(struct sp_writer *wr, char **paths, size_t npaths, struct sp_err *err)
{
	int64_t base = 0, next = 0;

	for (size_t i = 0; i < npaths && sp_running(); i++) {
		struct sp_reader *rd = NULL;
		struct sp_frame fr;
		int r;

		if (sp_reader_open(&rd, paths[i], err) < 0)
			return -1;
		while ((r = sp_reader_next(rd, &fr, err)) > 0) {
			switch (fr.type) {
			case SP_FR_ROWS:
				r = sp_writer_rows(wr, fr.batch, err);
				break;
			case SP_FR_BEGIN:
				fr.info.id += base;
				r = sp_writer_begin(wr, &fr.info, err);
				break;
			case SP_FR_END:
				fr.info.id += base;
				next = fr.info.id + 1;
				r = sp_writer_end(wr, &fr.info, err);
				break;
			case SP_FR_INFO:
				r = i ? 0 : sp_writer_info(wr, fr.json, err);
				break;
			default:
				r = 0;
				break;
			}
			if (r < 0)
				break;
		}
		sp_reader_free(rd);
		if (r < 0)
			return -1;
		base = next;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, SP_KVS_INIT, NULL, 0, 0 };
	struct source s = { NULL, NULL, NULL, { NULL, 0, NULL }, 0 };
	struct sp_err err = SP_ERR_INIT;
	struct sp_input *stdin_in = NULL;
	struct sp_type *schema = NULL;
	struct sp_batch_info bi = { 0, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };
	char **paths = NULL;
	size_t npaths = 0;
	int status = SP_EXIT_FAIL, failed = 0;

	sp_setprog(argv[0]);
	parse_args(argc, argv, &a);
	if (strcmp(a.format, "frames")) {
		if (!(s.cls = sp_dec_find(a.format)))
			sp_usage_error("unknown format '%s' (json, csv, text or frames)", a.format);
		if (s.cls->new(&s.dec, &a.kv, &err) < 0)
			goto done;
		if (a.schema && sp_type_parse_ddl(a.schema, &schema, &err) < 0)
			goto done;
	}
	sp_kvs_check_used(&a.kv, a.format, s.cls ? s.cls->keys : "none");
	sp_catch_signals();
	if (sp_paths_expand(a.paths, a.npaths, &paths, &npaths, &err) < 0 ||
	    sp_writer_open(&s.wr, "-", &err) < 0)
		goto done;
	if (a.zstd)
		sp_writer_set_zstd(s.wr, 1);
	if (!s.cls) {
		if (replay(s.wr, paths, npaths, &err) == 0 && sp_running() && sp_writer_eos(s.wr, &err) == 0)
			status = SP_EXIT_OK;
		goto done;
	}
	if (!schema) {
		if (!s.cls->infer)
			schema = s.cls->inferred(s.dec);
		else if (infer_schema(s.cls, s.dec, &a, paths, npaths, &stdin_in, &schema, &err) < 0)
			goto done;
	}
	if (s.cls->set_schema(s.dec, schema, &err) < 0)
		goto done;
	sp_batch_init(&s.rows, s.cls->schema(s.dec));
	if (sp_writer_schema(s.wr, s.rows.schema, &err) < 0 || sp_writer_begin(s.wr, &bi, &err) < 0)
		goto done;
	for (size_t i = 0; i < npaths && sp_running(); i++) {
		struct sp_input *in = NULL;

		if (!strcmp(paths[i], "-") && stdin_in) {
			in = stdin_in;
			stdin_in = NULL;
		} else if (sp_input_open(&in, paths[i], &err) < 0) {
			/* One unreadable file does not stop the others; the exit status tells. */
			sp_err_report(&err);
			err = (struct sp_err)SP_ERR_INIT;
			failed = 1;
			continue;
		}
		if (read_input(&s, in, &err) < 0) {
			sp_input_free(in);
			goto done;
		}
		sp_input_free(in);
	}
	if (!sp_running()) {
		/* Without a checkpoint a batch cannot be resumed: say that it is incomplete. */
		sp_err_set(&err, "interrupted by %s before the end of the input", strsignal(sp_stop_signal()));
		goto done;
	}
	if (flush_rows(&s, &err) < 0)
		goto done;
	bi.rows = s.total;
	if (sp_writer_end(s.wr, &bi, &err) < 0 || sp_writer_eos(s.wr, &err) < 0)
		goto done;
	if (s.cls->dropped(s.dec) && sp_verbose)
		sp_warn("warning: dropped %llu malformed records", (unsigned long long)s.cls->dropped(s.dec));
	status = failed ? SP_EXIT_FAIL : SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_input_free(stdin_in);
	sp_batch_release(&s.rows);
	sp_type_unref(schema);
	if (s.dec)
		s.cls->free(s.dec);
	sp_writer_free(s.wr);
	sp_paths_free(paths, npaths);
	free(a.paths);
	sp_kvs_release(&a.kv);
	return sp_finish(status);
}
