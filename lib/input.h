/*
 * input.h: reading text inputs (files, standard input) in large chunks.
 *
 * Decoders want whole records, so the caller looks at what is buffered
 * (sp_input_data), consumes the records it could decode, and asks for more
 * (sp_input_more) when what is left is an incomplete record. The buffer
 * grows as needed to hold one record, however long. Inputs ending in .zst
 * are decompressed on the fly.
 */
#ifndef SP_INPUT_H
#define SP_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct sp_input;

/* Opens path ("-" is standard input). */
int sp_input_open(struct sp_input **in, const char *path, struct sp_err *err);
/* "'path'" or "standard input", for messages (borrowed). */
const char *sp_input_name(const struct sp_input *in);
/* The buffered, unconsumed bytes (borrowed until the next call that changes in). */
const char *sp_input_data(const struct sp_input *in, size_t *len);
/* Drops n bytes from the front of the buffered data. */
void sp_input_consume(struct sp_input *in, size_t n);
/* Reads more: 1 if bytes were added, 0 at end of input, -1 on error. */
int sp_input_more(struct sp_input *in, struct sp_err *err);
/* Whether the input is decompressed as it is read (its offsets are not the file's). */
int sp_input_compressed(const struct sp_input *in);
/* Whether the input is a regular file (so it can be read twice). */
int sp_input_seekable(const struct sp_input *in);
/* Continues from byte off of a regular, uncompressed file (the buffer is emptied). */
int sp_input_seek(struct sp_input *in, int64_t off, struct sp_err *err);
/* Back to the start of a regular file. */
int sp_input_rewind(struct sp_input *in, struct sp_err *err);
void sp_input_free(struct sp_input *in);

/*
 * Expands the input arguments: "-" stays, a directory gives its files
 * (sorted, skipping names that start with '.' or '_', as Spark does), a
 * pattern with * ? [ is globbed (sorted), other paths stay as they are.
 * Returns a new NULL-terminated array of new strings; free with
 * sp_paths_free(). A pattern or directory matching nothing is an error.
 */
int sp_paths_expand(char *const *args, size_t nargs, char ***out, size_t *nout, struct sp_err *err);
void sp_paths_free(char **paths, size_t n);

#endif
