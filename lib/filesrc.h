/*
 * filesrc.h: the file source, like Spark's file stream source and
 * Databricks Auto Loader: which files make up each batch.
 *
 * A batch is planned as a list of files with the byte range to read from
 * each ({"path", "size", "mtime", "start", "end"}), written to the offsets
 * log before the batch is emitted, so a replay reads exactly the same
 * bytes. Each file is taken once: the source remembers the files it has
 * planned (the "seen" set), restores them from the checkpoint on restart,
 * and forgets files older than maxFileAge so that the set stays bounded.
 *
 * Files whose names begin with '.' or '_' or end in .tmp, .part or
 * .crdownload are never read (writers should write under such a name and
 * rename when done). In a continuous run a new file is taken only once two
 * listings in a row saw the same size and modification time; once and
 * availableNow take what is there.
 *
 * With follow, files named on the command line are tailed instead: each
 * batch takes the bytes added since the last one, up to the last complete
 * line, so a line still being written is never read in part. A file that
 * shrinks or is replaced (a new inode: log rotation) is read again from
 * its start.
 */
#ifndef SP_FILESRC_H
#define SP_FILESRC_H

#include <stdint.h>

#include "msg.h"
#include "opt.h"

enum sp_clean { SP_CLEAN_OFF, SP_CLEAN_ARCHIVE, SP_CLEAN_DELETE };

struct sp_filesrc_opts {
	char **paths;		/* as given: files, directories, globs */
	size_t npaths;
	long long max_files;	/* maxFilesPerTrigger, 0 = no limit */
	long long max_bytes;	/* maxBytesPerTrigger, 0 = no limit */
	int64_t max_file_age;	/* maxFileAge in us, 0 = forever */
	enum sp_clean clean;	/* cleanSource */
	const char *archive_dir;	/* sourceArchiveDir */
	int follow;		/* tail the named files as they grow */
};

/* Reads the options above from -o (Spark's names); usage errors exit 2. */
void sp_filesrc_opts_read(struct sp_filesrc_opts *o, struct sp_kvs *kv);

/* One file of a batch. */
struct sp_file {
	char *path;
	int64_t size, mtime, start, end;
	int pinned;		/* named on the command line: exempt from maxFileAge */
	int64_t inode;		/* followed files: the inode the range belongs to */
};

struct sp_filesrc;

int sp_filesrc_new(struct sp_filesrc **fs, const struct sp_filesrc_opts *o, struct sp_err *err);
/* Marks the files of a planned batch (its JSON, as from sp_filesrc_plan) as seen. */
int sp_filesrc_note(struct sp_filesrc *fs, const char *batch_json, struct sp_err *err);
/*
 * Lists the inputs and plans the next batch: up to the limits unless all
 * is set, waiting for sizes to settle when settle is set. *batch_json is a
 * new JSON array text, or NULL when there is nothing new.
 */
int sp_filesrc_plan(struct sp_filesrc *fs, int all, int settle, char **batch_json, struct sp_err *err);
/* The files of a batch's JSON; free with sp_files_free. */
int sp_files_parse(const char *batch_json, struct sp_file **files, size_t *n, struct sp_err *err);
void sp_files_free(struct sp_file *files, size_t n);
/* Applies cleanSource to the files of a committed batch. */
int sp_filesrc_clean(struct sp_filesrc *fs, const char *batch_json, struct sp_err *err);
/* The seen set as JSON (for a compacted checkpoint file), and back. */
char *sp_filesrc_seen_json(const struct sp_filesrc *fs);
int sp_filesrc_seen_load(struct sp_filesrc *fs, const char *json, struct sp_err *err);
/* Number of files remembered. */
size_t sp_filesrc_seen_count(const struct sp_filesrc *fs);
void sp_filesrc_free(struct sp_filesrc *fs);

#endif
