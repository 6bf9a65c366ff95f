/*
 * state.h: a versioned key-value state store in a checkpoint directory.
 *
 * A stateful tool keeps its state in its own memory and records here what
 * changed in each batch. Committing batch v writes one delta file, v.delta
 * (every put and delete of the batch), and every SP_STATE_SNAPSHOT_EVERY
 * versions a full snapshot, v.snapshot. Restoring version v loads the
 * newest snapshot at or before v and applies the deltas after it, in order:
 *
 *   version   0      1      2      3      4   ...  10         11
 *   files     delta  delta  delta  delta  ...      delta +    delta
 *                                                  snapshot
 *   restore 11 = snapshot 10 + delta 11;  restore 3 = deltas 0..3
 *
 * So a tool that receives batch v again after a crash restores v-1 and
 * recomputes, and the output is the same. Files are checkpoint files
 * (ckpt.h): atomic, checksummed, zstd-compressed.
 */
#ifndef SP_STATE_H
#define SP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define SP_STATE_SNAPSHOT_EVERY 10

struct sp_state;

/* Called for each live entry of a restored version; key and value are borrowed. Non-zero stops. */
typedef int (*sp_state_each_fn)(void *ctx, const void *key, size_t klen, const void *val, size_t vlen);
/* Records one entry into a snapshot (the function passed to a sp_state_dump_fn). */
typedef void (*sp_state_emit_fn)(void *ectx, const void *key, size_t klen, const void *val, size_t vlen);
/* Records that a key was deleted (the counterpart of sp_state_emit_fn). */
typedef void (*sp_state_forget_fn)(void *ectx, const void *key, size_t klen);
/* Emits every live entry of the tool's state through emit. */
typedef int (*sp_state_dump_fn)(void *ctx, sp_state_emit_fn emit, void *ectx);

/* Opens (creating) the store in dir. */
int sp_state_open(struct sp_state **st, const char *dir, struct sp_err *err);
/* Highest committed version, or -1 when there is none. */
int64_t sp_state_latest(const struct sp_state *st);
/*
 * Restores version v (-1: the empty state), calling each for every entry.
 * Forgets the changes recorded since the last commit. Versions after v stay
 * on disk until the next commit replaces them.
 */
int sp_state_restore(struct sp_state *st, int64_t v, sp_state_each_fn each, void *ctx, struct sp_err *err);
/* Records a change for the version being built (copies key and value). */
void sp_state_put(struct sp_state *st, const void *key, size_t klen, const void *val, size_t vlen);
void sp_state_del(struct sp_state *st, const void *key, size_t klen);
/*
 * Commits version v (the restored or last committed version plus one): the
 * recorded changes as v.delta, and, when a snapshot is due, every entry
 * that dump emits as v.snapshot. Later versions left from an earlier run
 * are removed first.
 */
int sp_state_commit(struct sp_state *st, int64_t v, sp_state_dump_fn dump, void *ctx, struct sp_err *err);
/* Removes files no longer needed to restore any version >= keep. */
int sp_state_purge(struct sp_state *st, int64_t keep, struct sp_err *err);
/* Bytes of the last delta and snapshot written (for progress metrics). */
uint64_t sp_state_bytes_written(const struct sp_state *st);
void sp_state_free(struct sp_state *st);

#endif
