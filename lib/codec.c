/*
 * codec.c: the text formats by name (json, csv, text), and the "mode"
 * option their readers share.
 */
#include "codec.h"

#include <strings.h>

static const struct sp_dec_class *const decoders[] = { &sp_json_dec, &sp_csv_dec, &sp_text_dec };
static const struct sp_enc_class *const encoders[] = { &sp_json_enc, &sp_csv_enc, &sp_text_enc };

/* Spark's format names are case-insensitive: format("JSON") works. */
const struct sp_dec_class *sp_dec_find(const char *name)
{
	for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
		if (!strcasecmp(name, decoders[i]->name))
			return decoders[i];
	return NULL;
}

const struct sp_enc_class *sp_enc_find(const char *name)
{
	for (size_t i = 0; i < sizeof encoders / sizeof encoders[0]; i++)
		if (!strcasecmp(name, encoders[i]->name))
			return encoders[i];
	return NULL;
}

enum sp_parse_mode sp_parse_mode_opt(struct sp_kvs *o)
{
	const char *m = sp_kvs_get(o, "mode", "PERMISSIVE");

	if (!strcasecmp(m, "PERMISSIVE"))
		return SP_PERMISSIVE;
	if (!strcasecmp(m, "DROPMALFORMED"))
		return SP_DROPMALFORMED;
	if (!strcasecmp(m, "FAILFAST"))
		return SP_FAILFAST;
	sp_usage_error("option -o mode=%s: expected PERMISSIVE, DROPMALFORMED or FAILFAST", m);
}
