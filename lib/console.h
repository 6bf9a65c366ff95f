/*
 * console.h: Spark's console sink, writeStream.format("console").
 *
 * Each batch is printed as Spark prints it: a banner with the batch id,
 * then the table Dataset.show(numRows, truncate) draws, then a blank line:
 *
 *   -------------------------------------------
 *   Batch: 0
 *   -------------------------------------------
 *   +--------+-----------+
 *   |  device|temperature|
 *   +--------+-----------+
 *   |sensor-1|       21.5|
 *   +--------+-----------+
 *   only showing top 1 row
 *
 * Options (-o key=value, Spark's names): numRows (default 20), truncate
 * (true: cells longer than 20 characters end in "..."; false; or a number
 * of characters), vertical (one line per column value).
 *
 * Calling sequence per batch: sp_console_begin(), sp_console_rows() for
 * each batch of rows, sp_console_end() to get the text. Only numRows rows
 * are kept (copied); the rest are counted. Errors: calls returning int
 * give 0 or -1 and fill the sp_err.
 */
#ifndef SP_CONSOLE_H
#define SP_CONSOLE_H

#include <stdint.h>

#include "buf.h"
#include "opt.h"
#include "value.h"

struct sp_console;

/* A new console sink configured from o; bad option values exit 2. */
int sp_console_new(struct sp_console **c, struct sp_kvs *o, struct sp_err *err);
/* A batch begins; forgets the rows of the previous one. */
void sp_console_begin(struct sp_console *c, int64_t batch_id);
/*
 * Rows of the current batch (b is borrowed; what is kept is copied). If
 * the schema changes within a batch, the rows so far form a table of
 * their own, printed before the next.
 */
int sp_console_rows(struct sp_console *c, const struct sp_batch *b, struct sp_err *err);
/*
 * The batch ends: appends banner and tables to out. A batch without rows
 * prints the table header of the last schema seen (no columns if none).
 */
int sp_console_end(struct sp_console *c, struct sp_buf *out, struct sp_err *err);
void sp_console_free(struct sp_console *c);

#endif
