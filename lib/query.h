/*
 * query.h: a pipeline's identity, and the checkpoint directory of a tool.
 *
 * The source (stream-read --checkpoint) gives the pipeline, the "query" in
 * Spark's words, an id kept in its checkpoint, and a new run id each time it
 * starts. It announces both, with the absolute path of its checkpoint, in
 * an INFO frame at the head of the stream:
 *
 *   {"queryId":"...","runId":"...","checkpoint":"/abs/ck/read","name":"clicks"}
 *
 * Every tool with a checkpoint records the query id in its own metadata
 * file on first use and refuses, from then on, a stream of another query,
 * so a checkpoint cannot be mixed up with another pipeline's. Sinks use the
 * source's path to record their commits where the source reads them
 * (<source>/commits/<batch>), as Spark keeps offsets/ and commits/ side by
 * side.
 */
#ifndef SP_QUERY_H
#define SP_QUERY_H

#include "msg.h"

struct sp_query {
	char *id;
	char *run_id;
	char *checkpoint;	/* the source's checkpoint, absolute; NULL without one */
	char *name;		/* the source's --name, or NULL */
};

/* A new random UUID (version 4 text). */
char *sp_uuid_new(void);
/* The INFO frame text for q (new string). */
char *sp_query_info_new(const struct sp_query *q);
/* Parses an INFO frame text into q (fields are new strings). */
int sp_query_parse(struct sp_query *q, const char *json, struct sp_err *err);
void sp_query_release(struct sp_query *q);

/*
 * Opens the checkpoint directory dir of tool (creating it). With a query id,
 * binds dir to it (first use) or checks that dir belongs to it; without
 * one (the source itself), *id receives the id stored there, or a new one.
 * A directory of another tool or query is refused with a message naming both.
 */
int sp_ckdir_open(const char *dir, const char *tool, const struct sp_query *q, char **id, struct sp_err *err);

#endif
