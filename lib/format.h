/*
 * format.h: values as text, the way Spark prints them.
 *
 * Doubles follow Java's Double.toString (shortest digits that read back
 * exactly; "1.0", "0.001", "1.0E7", "1.0E-4", "NaN", "Infinity"), which is
 * what Spark's CAST AS STRING, show() and JSON writer produce.
 */
#ifndef SP_FORMAT_H
#define SP_FORMAT_H

#include "buf.h"
#include "value.h"

/* Java's Double.toString(d) into buf (at least 32 bytes); returns the length. */
size_t sp_double_format(double d, char *buf);
/*
 * Spark's CAST(v AS STRING): numbers as above, booleans "true"/"false",
 * timestamps "2024-05-01 10:00:00[.fraction]", dates "2024-05-01", binary
 * as its bytes, structs "{1, a}", arrays "[1, 2]", NULL inside them "null".
 * A top-level NULL appends "NULL" (show()'s spelling); callers that want
 * SQL NULL check v->null first.
 */
void sp_val_format(struct sp_buf *out, const struct sp_val *v);

#endif
