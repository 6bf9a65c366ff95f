/*
 * ack.h: a sink acknowledges the batches it committed to the source.
 *
 * The source replays, when it restarts, every batch after the latest entry
 * of its commits log (<source checkpoint>/commits/N). One sink writes that
 * entry when it has committed a batch. Several sinks may read one source
 * (tee), and a batch is then done only when every one of them has
 * committed it, so each sink registers its own commits log with the
 * source, as a file in <source checkpoint>/sinks/ naming it, and after
 * committing batch N in its own log writes the source's entry for the
 * lowest latest commit of all registered sinks:
 *
 *   ck/read/sinks/3f2a...  ->  /abs/ck/write-json/commits     (latest 41)
 *   ck/read/sinks/91c0...  ->  /abs/ck/write-kafka/commits    (latest 39)
 *   ck/read/commits/39         (a restart replays 40 and 41; the first sink skips them)
 *
 * A registered log whose directory no longer exists (a sink's checkpoint
 * removed to start it over) is forgotten. A sink that is no longer used
 * must be forgotten by removing its file in sinks/, or the source waits
 * for it.
 */
#ifndef SP_ACK_H
#define SP_ACK_H

#include <stdint.h>

#include "msg.h"

struct sp_ack;

/* Registers the commits log in own (a directory) with the source whose checkpoint is source. */
int sp_ack_open(struct sp_ack **a, const char *source, const char *own, struct sp_err *err);
/* Batch id is in our log (with entry text): writes the source's entry if every sink has it. */
int sp_ack_commit(struct sp_ack *a, int64_t id, const char *entry, struct sp_err *err);
void sp_ack_free(struct sp_ack *a);

#endif
