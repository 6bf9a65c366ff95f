/*
 * stream-select: Spark's stateless transformations (where/filter, select,
 * selectExpr, withColumn, drop, explode) on a frame stream. Control frames
 * pass through unchanged, except that each batch's end says how many rows
 * this stage emitted. A new schema frame recompiles the steps.
 */
#include "sp.h"

#include <stdlib.h>
#include <string.h>

#include "select.h"

enum { OPT_WHERE = 1, OPT_SELECT, OPT_WITH, OPT_DROP };

static const struct sp_opt opts[] = {
	{ "where", 'w', "EXPR", "keep the rows for which EXPR is true (filter)", OPT_WHERE },
	{ "select", 's', "LIST", "compute these columns: 'EXPR [AS name], ...' (*, t.*, explode())", OPT_SELECT },
	{ "with", 0, "NAME=EXPR", "add or replace one column (withColumn)", OPT_WITH },
	{ "drop", 'd', "COLS", "remove these columns, comma-separated (missing ones are ignored)", OPT_DROP },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] = "stream-select [-w EXPR] [-s LIST] [--with NAME=EXPR] [-d COLS] ...";
static const char about[] =
	"Filters and transforms the rows of the frame stream on standard input and\n"
	"writes the result to standard output. Each option is a step, repeatable;\n"
	"the steps apply in the order given. Expressions: see stream-expr(7).";

static void parse_args(int argc, char **argv, struct sp_select *sel, struct sp_err *err)
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
			/* the first syntax error is kept and reported by main, with status 2 */
			if (!err->set)
				sp_select_add(sel, kinds[id], arg, err);
			break;
		default:
			sp_usage_error("unexpected argument '%s' (expressions go after --where, --select, ...)", arg);
		}
	}
}

/* Passes one frame on, transformed: 0, or -1 with err set. */
static int pass(struct sp_select *sel, struct sp_writer *wr, struct sp_frame *fr, uint64_t *emitted,
		struct sp_err *err)
{
	const struct sp_batch *out;

	switch (fr->type) {
	case SP_FR_SCHEMA:
		if (sp_select_bind(sel, fr->schema, err) < 0)
			return -1;
		if (sp_verbose > 1) {
			char *ddl = sp_type_ddl_new(sp_select_schema(sel));

			sp_warn("output columns: %s", ddl);
			free(ddl);
		}
		return sp_writer_schema(wr, sp_select_schema(sel), err);
	case SP_FR_ROWS:
		if (sp_select_apply(sel, fr->batch, &out, err) < 0)
			return -1;
		*emitted += out->n;
		return out->n ? sp_writer_rows(wr, out, err) : 0;
	case SP_FR_BEGIN:
		*emitted = 0;
		return sp_writer_begin(wr, &fr->info, err);
	case SP_FR_END:
		fr->info.rows = *emitted;
		if (sp_writer_end(wr, &fr->info, err) < 0)
			return -1;
		/* a batch is done: the next stage should see it now, not when the pipe fills */
		return sp_writer_flush(wr, err);
	case SP_FR_HEARTBEAT:
		return sp_writer_heartbeat(wr, fr->time, err);
	case SP_FR_INFO:
		return sp_writer_info(wr, fr->json, err);
	default:
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct sp_select *sel = sp_select_new();
	struct sp_reader *rd = NULL;
	struct sp_writer *wr = NULL;
	struct sp_err err = SP_ERR_INIT;
	struct sp_frame fr;
	uint64_t emitted = 0;
	int status = SP_EXIT_FAIL, r;

	sp_setprog(argv[0]);
	parse_args(argc, argv, sel, &err);
	if (err.set)
		goto done;
	/* A signal does not cut the stream short: the source ends it, and we drain it. */
	sp_catch_signals();
	if (sp_reader_open(&rd, "-", &err) < 0 || sp_writer_open(&wr, "-", &err) < 0)
		goto done;
	while ((r = sp_reader_next(rd, &fr, &err)) > 0)
		if (pass(sel, wr, &fr, &emitted, &err) < 0)
			goto done;
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
