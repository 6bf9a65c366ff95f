/*
 * frame.h: the binary stream format that the stream-* tools exchange
 * over pipes (specified in stream-frame(5)).
 *
 * A stream is a 16-byte header followed by frames. Each frame is an 8-byte
 * header (type, flags, length) and a payload padded to 8 bytes. Row frames
 * carry a batch of rows column by column, so a stage that passes rows on
 * does little more than copy memory.
 *
 * Reading: sp_reader_open(), then sp_reader_next() until it returns 0 (end
 * of stream) or -1 (error, in err). The batch and schema a frame points to
 * are borrowed from the reader and valid until the next sp_reader_next().
 * Writing: sp_writer_open(), any frames, sp_writer_eos(), sp_writer_free().
 */
#ifndef SP_FRAME_H
#define SP_FRAME_H

#include <stdint.h>
#include <stdio.h>

#include "value.h"

#define SP_FRAME_VERSION 1
#define SP_FRAME_MAGIC "\x89SFR\r\n\x1a\n"
#define SP_FRAME_HEADER_LEN 16
/* Largest payload a frame may have, compressed or not. */
#define SP_FRAME_MAX (64u << 20)
/* Row frames are cut at about this many bytes of payload. */
#define SP_FRAME_TARGET (1u << 20)
/* "no watermark yet" */
#define SP_NO_WATERMARK INT64_MIN

enum sp_frame_type {
	SP_FR_SCHEMA = 'S',
	SP_FR_ROWS = 'R',
	SP_FR_BEGIN = 'B',
	SP_FR_END = 'E',
	SP_FR_HEARTBEAT = 'H',
	SP_FR_INFO = 'I',
	SP_FR_EOS = 'Z',
};

enum sp_frame_flags {
	SP_FRF_ZSTD = 1 << 0,	/* ROWS: payload is zstd-compressed */
};

/* How the rows of a batch relate to earlier output (Spark's output modes). */
enum sp_mode {
	SP_MODE_APPEND = 0,	/* new rows */
	SP_MODE_UPDATE = 1,	/* rows replace earlier rows with the same key */
	SP_MODE_COMPLETE = 2,	/* the batch is the whole result */
};
const char *sp_mode_name(enum sp_mode m);
/* "append", "update", "complete" (any case); -1 if none. */
int sp_mode_parse(const char *s);

/* What batch-begin and batch-end frames say. */
struct sp_batch_info {
	int64_t id;		/* batch id, from 0 */
	enum sp_mode mode;	/* BEGIN */
	int64_t watermark;	/* END: event-time watermark (us), or SP_NO_WATERMARK */
	uint64_t rows;		/* END: rows in the batch */
	char *meta;		/* END: JSON object text or NULL; owned by whoever filled it */
};

struct sp_frame {
	enum sp_frame_type type;
	unsigned flags;
	uint64_t offset;	/* byte offset of the frame in its stream */
	uint64_t seq;		/* frame number, from 1 */
	struct sp_type *schema;	/* SCHEMA, ROWS: current schema (borrowed) */
	struct sp_batch *batch;	/* ROWS: the rows (borrowed) */
	struct sp_batch_info info;	/* BEGIN, END (info.meta borrowed) */
	int64_t time;		/* HEARTBEAT: sender's clock, us */
	const char *json;	/* INFO: JSON object text, NUL-terminated (borrowed) */
};

struct sp_reader;

/* Opens path ("-" is standard input) and checks the stream header. */
int sp_reader_open(struct sp_reader **rd, const char *path, struct sp_err *err);
/* Same over an open descriptor, named name in messages; takes fd. */
int sp_reader_open_fd(struct sp_reader **rd, int fd, const char *name, struct sp_err *err);
/* Reads from memory (tests, fuzzing); buf must outlive the reader. */
int sp_reader_open_mem(struct sp_reader **rd, const void *buf, size_t len, const char *name,
		       struct sp_err *err);
/* 1: a frame in *fr; 0: end of stream reached (EOS frame); -1: error. */
int sp_reader_next(struct sp_reader *rd, struct sp_frame *fr, struct sp_err *err);
/* "standard input" or "'path'", for messages. */
const char *sp_reader_name(const struct sp_reader *rd);
/* The descriptor, for poll(); -1 for memory readers. */
int sp_reader_fd(const struct sp_reader *rd);
/* Bytes of data buffered but not yet returned (poll() would not show them). */
size_t sp_reader_buffered(const struct sp_reader *rd);
void sp_reader_free(struct sp_reader *rd);

struct sp_writer;

/* Opens path ("-" is standard output) for writing a frame stream. */
int sp_writer_open(struct sp_writer **wr, const char *path, struct sp_err *err);
/* Same over an open descriptor, named name in messages; takes fd. */
int sp_writer_open_fd(struct sp_writer **wr, int fd, const char *name, struct sp_err *err);
/* zstd level for row frames; 0 (the default) writes them uncompressed. */
void sp_writer_set_zstd(struct sp_writer *wr, int level);
/* Writes a schema frame if schema differs from the last one written. */
int sp_writer_schema(struct sp_writer *wr, struct sp_type *schema, struct sp_err *err);
/* Writes the rows of b (schema frame first if needed), cut into frames. */
int sp_writer_rows(struct sp_writer *wr, const struct sp_batch *b, struct sp_err *err);
int sp_writer_begin(struct sp_writer *wr, const struct sp_batch_info *bi, struct sp_err *err);
int sp_writer_end(struct sp_writer *wr, const struct sp_batch_info *bi, struct sp_err *err);
int sp_writer_heartbeat(struct sp_writer *wr, int64_t time, struct sp_err *err);
int sp_writer_info(struct sp_writer *wr, const char *json, struct sp_err *err);
/* Writes the end-of-stream frame and flushes. */
int sp_writer_eos(struct sp_writer *wr, struct sp_err *err);
int sp_writer_flush(struct sp_writer *wr, struct sp_err *err);
/* Frees; does not flush. */
void sp_writer_free(struct sp_writer *wr);

/* Encodes/decodes one schema (tests and tools that store schemas). */
int sp_schema_decode(const void *buf, size_t len, struct sp_type **out, struct sp_err *err);
void *sp_schema_encode_new(const struct sp_type *schema, size_t *len);

#endif
