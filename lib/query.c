/*
 * query.c: query identity and checkpoint directories (see query.h).
 */
#include "query.h"

#include <fcntl.h>
#include "jsonc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "timefmt.h"

char *sp_uuid_new(void)
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof b) {
		uint64_t x = (uint64_t)sp_now_us() ^ ((uint64_t)getpid() << 32);

		for (size_t i = 0; i < sizeof b; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[i] = (unsigned char)x;
		}
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return sp_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
			    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

char *sp_query_info_new(const struct sp_query *q)
{
	struct json_object *o = json_object_new_object();
	char *s;

	add_str(o, "queryId", q->id);
	add_str(o, "runId", q->run_id);
	add_str(o, "checkpoint", q->checkpoint);
	add_str(o, "name", q->name);
	s = sp_xstrdup(sp_jsonc_text(o));
	json_object_put(o);
	return s;
}

static char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return sp_xstrdup(json_object_get_string(v));
}

int sp_query_parse(struct sp_query *q, const char *json, struct sp_err *err)
{
	struct json_object *o = json_tokener_parse(json);

	memset(q, 0, sizeof *q);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return sp_err_set(err, "bad stream info frame: '%.80s'", json);
	}
	q->id = get_str(o, "queryId");
	q->run_id = get_str(o, "runId");
	q->checkpoint = get_str(o, "checkpoint");
	q->name = get_str(o, "name");
	json_object_put(o);
	return 0;
}

void sp_query_release(struct sp_query *q)
{
	free(q->id);
	free(q->run_id);
	free(q->checkpoint);
	free(q->name);
	memset(q, 0, sizeof *q);
}

int sp_ckdir_open(const char *dir, const char *tool, const struct sp_query *q, char **id, struct sp_err *err)
{
	char *path = sp_xasprintf("%s/metadata", dir), *text = NULL, *have_id, *have_tool, *have_src;
	struct json_object *o;
	size_t len;
	int r;

	if (sp_mkdirs(dir, err) < 0) {
		free(path);
		return -1;
	}
	r = sp_ckpt_read(path, (void **)&text, &len, err);
	if (r < 0) {
		free(path);
		return -1;
	}
	if (r == 1) {
		o = json_object_new_object();
		*id = q && q->id ? sp_xstrdup(q->id) : sp_uuid_new();
		add_str(o, "id", *id);
		add_str(o, "tool", tool);
		add_str(o, "source", q ? q->checkpoint : NULL);
		r = sp_ckpt_write(path, sp_jsonc_text(o), strlen(sp_jsonc_text(o)), 0, err);
		json_object_put(o);
		free(path);
		if (r < 0) {
			free(*id);
			*id = NULL;
		}
		return r;
	}
	o = json_tokener_parse(text);
	have_id = o ? get_str(o, "id") : NULL;
	have_tool = o ? get_str(o, "tool") : NULL;
	have_src = o ? get_str(o, "source") : NULL;
	json_object_put(o);
	free(text);
	r = 0;
	if (!have_id || !have_tool)
		r = sp_err_set(err, "checkpoint metadata '%s' is corrupt (remove the directory to start over)", path);
	else if (strcmp(have_tool, tool))
		r = sp_err_set(err, "checkpoint '%s' belongs to %s, not %s (give each tool its own directory)", dir,
			       have_tool, tool);
	else if (q && q->id && strcmp(have_id, q->id))
		r = sp_err_set(err, "checkpoint '%s' belongs to query %s (source '%s'), not to this stream's query %s "
			       "(source '%s')", dir, have_id, have_src ? have_src : "none", q->id,
			       q->checkpoint ? q->checkpoint : "none");
	if (r == 0)
		*id = have_id;
	else
		free(have_id);
	free(have_tool);
	free(have_src);
	free(path);
	return r;
}
