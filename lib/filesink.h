/*
 * filesink.h: the file sink, as Spark's: a directory of part files plus a
 * manifest, _spark_metadata/, that says which files are committed.
 *
 * Each batch writes its part file under a hidden temporary name, renames
 * it into place, and then writes manifest entry N (Spark's format: "v1"
 * and one JSON object per file, {"path":"file:///...","action":"add",...}),
 * atomically. Readers that honour the manifest (stream-read, Spark) see a
 * batch whole or not at all; a part file left by a crash before its
 * manifest entry is never listed. A complete-mode batch marks every earlier
 * file deleted, so the directory then holds just that batch's result.
 * Every 10 batches the manifest is compacted into N.compact.
 */
#ifndef SP_FILESINK_H
#define SP_FILESINK_H

#include <stdint.h>

#include "msg.h"
#include "output.h"

struct sp_filesink;

/* Opens (creating) the sink directory; ext is the part files' extension ("json"). */
int sp_filesink_open(struct sp_filesink **fs, const char *dir, const char *ext, struct sp_err *err);
/* The last batch in the manifest, or -1. */
int64_t sp_filesink_latest(const struct sp_filesink *fs);
/* A new part file for batch id; the output belongs to the sink until commit. */
int sp_filesink_part(struct sp_filesink *fs, int64_t id, struct sp_output **o, struct sp_err *err);
/* Commits batch id: renames the part file (if any) and writes manifest entry id. */
int sp_filesink_commit(struct sp_filesink *fs, int64_t id, int complete, struct sp_err *err);
void sp_filesink_free(struct sp_filesink *fs);

/*
 * The files a manifest lists as committed, in commit order, for readers.
 * Returns 1 if dir has no _spark_metadata (not a sink directory), 0 with
 * *paths (new strings) otherwise, -1 on error.
 */
int sp_manifest_files(const char *dir, char ***paths, size_t *n, struct sp_err *err);

#endif
