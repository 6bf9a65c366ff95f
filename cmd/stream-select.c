/*
 * stream-select: Spark's stateless transformations (where, select,
 * selectExpr, withColumn, drop, explode) on a frame stream. Control frames
 * pass through; each batch's end says how many rows this stage emitted.
 */
#include "sp.h"

#include <string.h>

#include "select.h"

enum { OPT_WHERE = 1, OPT_SELECT, OPT_WITH, OPT_DROP, OPT_QUIET, OPT_VERBOSE };

static const struct sp_opt opts[] = {
	{ "where", 'w', "EXPR", "keep the rows for which EXPR is true", OPT_WHERE },
	{ "select", 's', "'EXPR [AS name], ...'", "compute these columns (* and t.* expand)", OPT_SELECT },
	{ "with", 0, "'name = EXPR'", "add or replace one column (withColumn)", OPT_WITH },
	{ "drop", 'd', "COL,...", "remove these columns", OPT_DROP },
	{ "quiet", 'q', NULL, "print no warnings", OPT_QUIET },
	{ "verbose", 'v', NULL, "print more", OPT_VERBOSE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-select [options]";
static const char about[] =
	"Filters and transforms the rows of the frame stream on standard input.\n"
	"The steps apply in the order given; see stream-expr(7) for expressions.";

static void parse_args(int argc, char **argv, struct sp_select *sel)
{
	static const enum sp_step_kind kinds[] = {
		[OPT_WHERE] = SP_STEP_WHERE, [OPT_SELECT] = SP_STEP_SELECT, [OPT_WITH] = SP_STEP_WITH,
		[OPT_DROP] = SP_STEP_DROP,
	};
	struct sp_optparse p;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case OPT_WHERE: case OPT_SELECT: case OPT_WITH: case OPT_DROP:
			sp_select_add(sel, kinds[id], arg);
			break;
		case OPT_QUIET:
			sp_verbose = 0;
			break;
		case OPT_VERBOSE:
			sp_verbose++;
			break;
		default:
			sp_usage_error("unexpected argument '%s' (expressions go after --where, --select, ...)", arg);
		}
	}
}

int main(int argc, char **argv)
{
	struct sp_select *sel = sp_select_new();
	struct sp_reader *rd = NULL;
	struct sp_writer *wr = NULL;
	struct sp_err err = SP_ERR_INIT;
	const struct sp_batch *out;
	struct sp_frame fr;
	uint64_t emitted = 0;
	int status = SP_EXIT_FAIL, r;

	sp_setprog(argv[0]);
	parse_args(argc, argv, sel);
	/* A signal does not cut the stream: the source ends it, and we drain it. */
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0 || sp_writer_open(&wr, "-", &err) < 0)
		goto done;
	while ((r = sp_reader_next(rd, &fr, &err)) > 0) {
		switch (fr.type) {
		case SP_FR_SCHEMA:
			r = sp_select_bind(sel, fr.schema, &err) < 0 ? -1
			  : sp_writer_schema(wr, sp_select_schema(sel), &err);
			break;
		case SP_FR_ROWS:
			r = sp_select_apply(sel, fr.batch, &out, &err);
			if (r == 0 && out->n) {
				emitted += out->n;
				r = sp_writer_rows(wr, out, &err);
			}
			break;
		case SP_FR_BEGIN:
			emitted = 0;
			r = sp_writer_begin(wr, &fr.info, &err);
			break;
		case SP_FR_END:
			fr.info.rows = emitted;
			r = sp_writer_end(wr, &fr.info, &err);
			if (r == 0)
				r = sp_writer_flush(wr, &err);
			break;
		case SP_FR_HEARTBEAT:
			r = sp_writer_heartbeat(wr, fr.time, &err);
			break;
		case SP_FR_INFO:
			r = sp_writer_info(wr, fr.json, &err);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			break;
	}
	if (r == 0 && sp_writer_eos(wr, &err) == 0)
		status = SP_EXIT_OK;
done:
	if (err.set)
		status = sp_err_report(&err);
	sp_writer_free(wr);
	sp_reader_free(rd);
	sp_select_free(sel);
	return sp_finish(status);
}
