/*
 * select.h: the stateless transformations of stream-select, on batches:
 * --where (filter), --select (select/selectExpr, with '*', 't.*' and one
 * generator such as explode), --with (withColumn) and --drop, applied in
 * the order given, each step seeing the schema the previous one made.
 *
 * Columns that pass through unchanged are shared with the input batch,
 * not copied, and a filter that keeps every row passes the batch on as it
 * is, so a stage that does little costs little.
 */
#ifndef SP_SELECT_H
#define SP_SELECT_H

#include "value.h"

enum sp_step_kind { SP_STEP_WHERE, SP_STEP_SELECT, SP_STEP_WITH, SP_STEP_DROP };

struct sp_select;

struct sp_select *sp_select_new(void);
/*
 * Adds a step; text is copied. Its syntax is checked now (-1 with a usage
 * error); names and types are checked by sp_select_bind().
 */
int sp_select_add(struct sp_select *s, enum sp_step_kind kind, const char *text, struct sp_err *err);
/* Compiles the steps for an input schema (again when the schema changes). Errors have status 2. */
int sp_select_bind(struct sp_select *s, struct sp_type *schema, struct sp_err *err);
/* The output schema of the last bind (borrowed). */
struct sp_type *sp_select_schema(const struct sp_select *s);
/*
 * Applies the steps to in. *out is borrowed: the input itself, or batches
 * of s that share columns with in; valid until the next call or until in
 * changes.
 */
int sp_select_apply(struct sp_select *s, const struct sp_batch *in, const struct sp_batch **out, struct sp_err *err);
void sp_select_free(struct sp_select *s);

#endif
