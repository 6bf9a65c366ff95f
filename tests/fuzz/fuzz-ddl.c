/*
 * fuzz-ddl: any text as a DDL schema. What parses must print back as DDL
 * that parses to the same type, and survive the schema frame's codec;
 * what does not parse must say so in a message that names a column.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* The frame codec's limit on names (the DDL has none). */
static int names_fit(const struct sp_type *t)
{
	if (t->id == SP_T_ARRAY)
		return names_fit(t->elem);
	for (size_t i = 0; i < t->nfields; i++)
		if (strlen(t->fields[i].name) > 65535 || !names_fit(t->fields[i].type))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = sp_xstrndup((const char *)data, size);
	struct sp_err err = SP_ERR_INIT;
	struct sp_type *t = NULL, *back = NULL, *one = NULL;

	if (sp_type_parse_ddl(text, &t, &err) == 0) {
		char *ddl = sp_type_ddl_new(t), *simple = sp_type_simple_new(t);
		size_t len;
		void *enc;

		if (t->id != SP_T_STRUCT || !simple || strncmp(simple, "struct<", 7))
			abort();
		if (sp_type_parse_ddl(ddl, &back, &err) < 0) {
			fprintf(stderr, "fuzz-ddl: '%s' prints as '%s', which does not parse: %s\n", text, ddl, err.msg);
			abort();
		}
		if (!sp_type_equal(t, back)) {
			fprintf(stderr, "fuzz-ddl: '%s' prints as '%s', another type\n", text, ddl);
			abort();
		}
		sp_type_unref(back);
		back = NULL;
		if (names_fit(t)) {
			enc = sp_schema_encode_new(t, &len);
			if (sp_schema_decode(enc, len, &back, &err) < 0 || !sp_type_equal(t, back)) {
				fprintf(stderr, "fuzz-ddl: '%s': schema codec: %s\n", text, err.msg);
				abort();
			}
			free(enc);
		}
		free(ddl);
		free(simple);
	} else if (!err.set || strncmp(err.msg, "bad schema", 10) || err.status != SP_EXIT_USAGE) {
		abort();
	}
	err = (struct sp_err)SP_ERR_INIT;
	if (sp_type_parse_one(text, &one, &err) == 0) {
		char *ddl = sp_type_ddl_new(one);

		free(ddl);
	} else if (!err.set) {
		abort();
	}
	sp_type_unref(t);
	sp_type_unref(back);
	sp_type_unref(one);
	free(text);
	return 0;
}
