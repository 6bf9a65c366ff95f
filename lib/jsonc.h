/*
 * jsonc.h: json-c for the control plane (checkpoint entries, progress,
 * stream info, manifests). Rows never go through here: their JSON is the
 * hand-written codec's (codec.h).
 */
#ifndef SP_JSONC_H
#define SP_JSONC_H

#include <json-c/json.h>

/* Compact text of o, with '/' left alone (Spark's files are read by people and Jackson). Borrowed from o. */
static inline const char *sp_jsonc_text(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

#endif
