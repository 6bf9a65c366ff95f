/*
 * stream-read: the source of every pipeline. Reads JSON lines, CSV or text
 * from files, directories, globs or standard input, Kafka topics, a socket
 * or the rate generator (or replays a recorded frame stream) and writes a
 * frame stream to standard output, in batches.
 *
 * The engine in lib/source.c owns the trigger, the batch ids and the
 * checkpoint (plan a batch, log its offsets, emit it, replay what no sink
 * committed); this file parses the command line and picks the source.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"

enum {
	OPT_SCHEMA = 1, OPT_OPTION, OPT_CHECKPOINT, OPT_TRIGGER, OPT_FOLLOW, OPT_NAME, OPT_PROGRESS_FD, OPT_ZSTD,
};

static const struct sp_opt opts[] = {
	{ "schema", 0, "DDL", "schema of the records, e.g. 'id LONG, name STRING' (default: inferred)", OPT_SCHEMA },
	{ "option", 'o', "KEY=VALUE", "a source option, by Spark's name (repeatable; kafka.* go to librdkafka)", OPT_OPTION },
	{ "checkpoint", 0, "DIR", "keep offsets here: restarts replay what no sink committed", OPT_CHECKPOINT },
	{ "trigger", 0, "TRIGGER", "processingTime=DURATION, once or availableNow", OPT_TRIGGER },
	{ "follow", 'f', NULL, "tail the named files as they grow, complete lines only", OPT_FOLLOW },
	{ "name", 0, "NAME", "name of this source, for progress and joins", OPT_NAME },
	{ "progress-fd", 0, "FD", "also write progress JSON lines to this descriptor", OPT_PROGRESS_FD },
	{ "zstd", 0, NULL, "compress row frames with zstd (for recordings)", OPT_ZSTD },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-read FORMAT [options] [PATH ...]\n"
	"       stream-read kafka -o kafka.bootstrap.servers=HOST:PORT -o subscribe=TOPIC[,...] [options]\n"
	"       stream-read socket -o host=HOST -o port=PORT [options]\n"
	"       stream-read rate [-o rowsPerSecond=N] [options]";
static const char about[] =
	"Reads records and writes them as a frame stream on standard output.\n"
	"FORMAT is json (JSON lines), csv, text or frames (a recorded stream),\n"
	"read from each PATH: a file, a directory, a glob or - (standard input,\n"
	"the default). kafka reads Kafka topics, socket text lines from a TCP\n"
	"server, rate (or rate-micro-batch) generates rows, as Spark's sources.";

struct args {
	const char *format;
	const char *schema;
	struct sp_source_args src;
	struct sp_kvs kv;
	char **paths;
	size_t npaths;
	int given_paths;	/* PATH arguments were given (not just the default "-") */
	int follow;
};

static void parse_trigger(struct args *a, const char *t)
{
	struct sp_err err = SP_ERR_INIT;

	if (!strcasecmp(t, "once")) {
		a->src.trigger = SP_TRIG_ONCE;
	} else if (!strcasecmp(t, "availableNow")) {
		a->src.trigger = SP_TRIG_AVAILABLE_NOW;
	} else if (!strncasecmp(t, "processingTime=", 15)) {
		a->src.trigger = SP_TRIG_INTERVAL;
		if (sp_duration_parse(t + 15, &a->src.interval, "option '--trigger'", &err) < 0 || a->src.interval < 0)
			sp_usage_error("%s", err.set ? err.msg : "option '--trigger': negative interval");
	} else {
		sp_usage_error("option '--trigger': expected processingTime=DURATION, once or availableNow, not '%s'", t);
	}
}

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
		case OPT_CHECKPOINT:
			a->src.checkpoint = arg;
			break;
		case OPT_TRIGGER:
			parse_trigger(a, arg);
			break;
		case OPT_FOLLOW:
			a->follow = 1;
			break;
		case OPT_NAME:
			a->src.name = arg;
			break;
		case OPT_PROGRESS_FD:
			a->src.progress_fd = sp_opt_fd("progress-fd", arg);
			break;
		case OPT_ZSTD:
			a->src.zstd = 1;
			break;
		}
	}
	if (!a->format)
		sp_usage_error("no format given (json, csv, text, frames, kafka, socket, rate or rate-micro-batch)");
	a->given_paths = a->npaths > 0;
	if (!a->npaths) {
		static char dash[] = "-";

		a->paths = sp_xmalloc(sizeof *a->paths);
		a->paths[a->npaths++] = dash;
	}
}

/* Replays recorded streams, renumbering batches so that ids keep increasing across files. */
static int replay_frames(struct sp_writer *wr, char **paths, size_t npaths, struct sp_err *err)
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

/* Replays recorded frame files: no checkpoint, no schema of ours. */
static int run_frames(struct args *a, struct sp_writer *wr, struct sp_err *err)
{
	char **paths = NULL;
	size_t npaths = 0;
	int r = -1;

	if (sp_paths_expand(a->paths, a->npaths, &paths, &npaths, err) == 0 &&
	    replay_frames(wr, paths, npaths, err) == 0 && sp_running() && sp_writer_eos(wr, err) == 0)
		r = 0;
	sp_paths_free(paths, npaths);
	return r;
}

/* The source for the format, configured from the command line (usage errors exit 2). */
static int new_source(struct args *a, struct sp_srcimpl **impl, struct sp_err *err)
{
	struct sp_filesource_args fa = { a->format, a->schema, a->paths, a->npaths, a->follow };
	int generated = !strcasecmp(a->format, "rate") || !strcasecmp(a->format, "rate-micro-batch");

	if (generated || !strcasecmp(a->format, "socket") || !strcasecmp(a->format, "kafka")) {
		if (a->given_paths)
			sp_usage_error("%s: no PATH is read (got '%s')", a->format, a->paths[0]);
		if (a->schema)
			sp_usage_error("%s: the schema is fixed, --schema does not apply", a->format);
		if (a->follow)
			sp_usage_error("%s: --follow applies to files only", a->format);
	}
	if (!strcasecmp(a->format, "kafka"))
		return sp_kafkasource_new(impl, &a->kv, err);
	if (generated)
		return sp_ratesource_new(impl, a->format, &a->kv, err);
	if (!strcasecmp(a->format, "socket")) {
		if (a->src.checkpoint)
			sp_usage_error("socket: --checkpoint is refused: what a socket sent cannot be read again, "
				       "so batches cannot be replayed (the socket source is at-most-once)");
		return sp_socksource_new(impl, &a->kv, err);
	}
	if (sp_filesource_new(impl, &fa, &a->kv, err) < 0)
		return -1;
	if (a->src.checkpoint)
		for (size_t i = 0; i < a->npaths; i++)
			if (!strcmp(a->paths[i], "-"))
				sp_usage_error("--checkpoint needs files or directories to replay from, not standard input");
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, { NULL, NULL, SP_TRIG_DEFAULT, 0, -1, 0 }, SP_KVS_INIT, NULL, 0, 0, 0 };
	struct sp_srcimpl *impl = NULL;
	struct sp_writer *wr = NULL;
	struct sp_err err = SP_ERR_INIT;
	int status = SP_EXIT_FAIL, r;

	sp_setprog(argv[0]);
	parse_args(argc, argv, &a);
	if (!strcmp(a.format, "frames")) {
		sp_kvs_check_used(&a.kv, a.format, "none");
		if (a.src.checkpoint)
			sp_usage_error("--checkpoint needs files or directories to replay from, not a recorded stream");
	} else if (new_source(&a, &impl, &err) < 0) {
		goto done;
	}
	sp_catch_signals();
	if (sp_writer_open(&wr, "-", &err) < 0)
		goto done;
	if (a.src.zstd)
		sp_writer_set_zstd(wr, 1);
	if (!impl) {
		if (run_frames(&a, wr, &err) == 0)
			status = SP_EXIT_OK;
		goto done;
	}
	r = sp_source_run(impl, &a.src, wr, &err);
	impl = NULL;
	if (r == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	if (impl)
		impl->ops->free(impl);
	sp_writer_free(wr);
	free(a.paths);
	sp_kvs_release(&a.kv);
	return sp_finish(status);
}
