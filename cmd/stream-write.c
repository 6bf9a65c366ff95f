/*
 * stream-write: the sink of every pipeline. Reads a frame stream on
 * standard input and writes it as a console table, JSON lines, CSV, text
 * or frames, to standard output or to a file.
 *
 * A file appears whole or not at all: it is written beside its final name
 * and renamed into place when the stream ends cleanly, so a broken
 * upstream never leaves half a file behind.
 */
#include "sp.h"

#include <string.h>
#include <unistd.h>

#include "console.h"

enum { OPT_OPTION = 1, OPT_QUIET, OPT_VERBOSE };

static const struct sp_opt opts[] = {
	{ "option", 'o', "KEY=VALUE", "a sink option, by Spark's name (repeatable)", OPT_OPTION },
	{ "quiet", 'q', NULL, "print no warnings", OPT_QUIET },
	{ "verbose", 'v', NULL, "print more", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-write FORMAT [options] [PATH]";
static const char about[] =
	"Writes the frame stream on standard input as FORMAT: console (Spark's\n"
	"console sink), json (JSON lines), csv, text or frames. PATH is a file,\n"
	"or - for standard output (the default).";

/* Text is written out in chunks of about this size. */
#define OUT_CHUNK (1 << 20)

struct args {
	const char *format;
	const char *path;
	struct sp_kvs kv;
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
			if (!a->format)
				a->format = arg;
			else if (!a->path)
				a->path = arg;
			else
				sp_usage_error("more than one output path ('%s' and '%s')", a->path, arg);
			break;
		case OPT_OPTION:
			sp_kvs_add(&a->kv, "-o", arg);
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
		sp_usage_error("no format given (console, json, csv, text or frames)");
	if (!a->path)
		a->path = "-";
}

/* One of three kinds of sink, by format. */
struct sink {
	const struct sp_enc_class *cls;	/* json, csv, text */
	struct sp_enc *enc;
	struct sp_console *con;		/* console */
	struct sp_writer *fw;		/* frames */
	struct sp_output *out;
	struct sp_buf text;
	int in_batch;
};

static int sink_open(struct sink *s, struct args *a, struct sp_err *err)
{
	const char *known = "numRows, truncate, vertical";

	if (!strcmp(a->format, "console")) {
		if (sp_console_new(&s->con, &a->kv, err) < 0)
			return -1;
	} else if (!strcmp(a->format, "frames")) {
		const char *c = sp_kvs_get(&a->kv, "compression", "none");

		known = "compression";
		if (strcmp(c, "none") && strcmp(c, "zstd"))
			sp_usage_error("option -o compression=%s: expected none or zstd", c);
		if (sp_output_open(&s->out, a->path, err) < 0)
			return -1;
		if (sp_writer_open_fd(&s->fw, dup(sp_output_fd(s->out)), sp_output_name(s->out), err) < 0)
			return -1;
		if (!strcmp(c, "zstd"))
			sp_writer_set_zstd(s->fw, 1);
	} else {
		if (!(s->cls = sp_enc_find(a->format)))
			sp_usage_error("unknown format '%s' (console, json, csv, text or frames)", a->format);
		known = s->cls->keys;
		if (s->cls->new(&s->enc, &a->kv, err) < 0)
			return -1;
		s->cls->start(s->enc);
	}
	sp_kvs_check_used(&a->kv, a->format, known);
	if (!s->out && sp_output_open(&s->out, a->path, err) < 0)
		return -1;
	return 0;
}

static int sink_drain(struct sink *s, struct sp_err *err)
{
	if (!s->text.len)
		return 0;
	if (sp_output_write(s->out, s->text.p, s->text.len, err) < 0)
		return -1;
	sp_buf_reset(&s->text);
	return 0;
}

static int sink_begin(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	s->in_batch = 1;
	if (s->con)
		sp_console_begin(s->con, bi->id);
	return s->fw ? sp_writer_begin(s->fw, bi, err) : 0;
}

static int sink_rows(struct sink *s, const struct sp_batch *b, struct sp_err *err)
{
	static const struct sp_batch_info first = { 0, SP_MODE_APPEND, SP_NO_WATERMARK, 0, NULL };

	if (!s->in_batch && sink_begin(s, &first, err) < 0)
		return -1;
	if (s->fw)
		return sp_writer_rows(s->fw, b, err);
	if (s->con)
		return sp_console_rows(s->con, b, err);
	if (s->cls->encode(s->enc, b, &s->text, err) < 0)
		return -1;
	return s->text.len >= OUT_CHUNK ? sink_drain(s, err) : 0;
}

/* A batch ends: what it produced is written out, so a live pipeline shows it now. */
static int sink_end(struct sink *s, const struct sp_batch_info *bi, struct sp_err *err)
{
	s->in_batch = 0;
	if (s->fw)
		return sp_writer_end(s->fw, bi, err) < 0 ? -1 : sp_writer_flush(s->fw, err);
	if (s->con && sp_console_end(s->con, &s->text, err) < 0)
		return -1;
	return sink_drain(s, err);
}

static int sink_close(struct sink *s, struct sp_err *err)
{
	if (s->fw && sp_writer_eos(s->fw, err) < 0)
		return -1;
	if (sink_drain(s, err) < 0)
		return -1;
	return sp_output_commit(s->out, err);
}

static void sink_free(struct sink *s)
{
	if (s->enc)
		s->cls->free(s->enc);
	sp_console_free(s->con);
	sp_writer_free(s->fw);
	sp_output_free(s->out);
	sp_buf_release(&s->text);
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, SP_KVS_INIT };
	struct sink s;
	struct sp_reader *rd = NULL;
	struct sp_err err = SP_ERR_INIT;
	struct sp_frame fr;
	int status = SP_EXIT_FAIL, r = 0;

	sp_setprog(argv[0]);
	memset(&s, 0, sizeof s);
	parse_args(argc, argv, &a);
	if (sink_open(&s, &a, &err) < 0)
		goto done;
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0)
		goto done;
	while (sp_running() && (r = sp_reader_next(rd, &fr, &err)) > 0) {
		switch (fr.type) {
		case SP_FR_BEGIN:
			r = sink_begin(&s, &fr.info, &err);
			break;
		case SP_FR_ROWS:
			r = sink_rows(&s, fr.batch, &err);
			break;
		case SP_FR_END:
			r = sink_end(&s, &fr.info, &err);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			break;
	}
	if (r < 0)
		goto done;
	if (!sp_running()) {
		sp_err_set(&err, "interrupted by %s before the end of the stream", strsignal(sp_stop_signal()));
		goto done;
	}
	if (sink_close(&s, &err) == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_reader_free(rd);
	sink_free(&s);
	sp_kvs_release(&a.kv);
	return sp_finish(status);
}
