/*
 * kafkasink.h: the Kafka sink (stream-write kafka), with Spark's columns.
 *
 * Each row becomes one Kafka message: the columns value (STRING or
 * BINARY, required), key (STRING or BINARY), topic (STRING; the topic
 * option wins over it, as in Spark), partition (INT: LONG here) and
 * headers (ARRAY<STRUCT<key: STRING, value: BINARY>>) say what and where;
 * other columns are ignored, as Spark ignores them.
 *
 * Exactly-once (transactional, the default with a checkpoint): each batch
 * is one Kafka transaction, whose transactional.id is derived from the
 * query id and the sink's checkpoint, so that a restarted pipeline fences
 * its crashed predecessor and aborts the transaction it left open. The
 * batch id is committed in the same transaction, as the offset of a
 * consumer group named like the transactional id: read back on restart,
 * it says which batches are in Kafka already, and those are skipped.
 *
 *   batch N:  note each partition's end offset (<checkpoint>/kafka-pending),
 *             begin, produce its rows, send offset N+1 for the group,
 *             commit  --> then N is recorded in the checkpoints
 *   restart:  init_transactions (fences, aborts), last committed =
 *             max(group offset - 1, checkpoint's commits log); what
 *             read_committed readers see of the batch that was open is
 *             not sent again when it is replayed
 *
 * The last step is for brokers that show the messages of an aborted
 * transaction (librdkafka's mock cluster does): through Kafka, nothing of
 * the aborted batch is visible and everything is sent again. It works
 * because a replayed batch is the same rows in the same order, and each
 * row goes to the same partition: Java's murmur2 partitioner for a key, as
 * Spark's sink, round robin from the batch id without one.
 *
 * At-least-once (-o transactional=false, or without a checkpoint): rows
 * are produced without a transaction, and a batch counts as written when
 * every message of it is acknowledged. A delivery failure fails the batch
 * in both modes: nothing is ever dropped silently.
 *
 * Calling sequence: sp_kafkasink_new(), sp_kafkasink_bind() (with a
 * checkpoint), then per batch sp_kafkasink_begin(), sp_kafkasink_rows()...,
 * sp_kafkasink_commit(); sp_kafkasink_close() at the end of the stream.
 * Errors: every call returns 0 or -1 and fills the sp_err you pass.
 */
#ifndef SP_KAFKASINK_H
#define SP_KAFKASINK_H

#include <stdint.h>

#include "msg.h"
#include "opt.h"
#include "value.h"

/* The -o options of the Kafka sink, for messages. */
#define SP_KAFKASINK_KEYS "topic, transactional, and kafka.* (librdkafka's properties)"

struct sp_kafkasink;

/*
 * Reads the sink's options from kv (marking them used): topic,
 * transactional (default: true when checkpointed) and every kafka.*
 * option. Usage problems exit 2 or return -1 with status 2.
 */
int sp_kafkasink_new(struct sp_kafkasink **ks, struct sp_kvs *kv, int checkpointed, struct sp_err *err);
/*
 * Binds the sink to its pipeline and its checkpoint ckdir (absolute):
 * query_id and ckdir name the transactional id and the group. In
 * transactional mode, connects, fences earlier producers of this id and
 * reads back the last batch committed in Kafka (sp_kafkasink_committed()).
 * In both modes, reads what the batch left open by a crash wrote, for its
 * replay. Nothing of the strings is kept.
 */
int sp_kafkasink_bind(struct sp_kafkasink *ks, const char *query_id, const char *ckdir, struct sp_err *err);
/* The last batch id committed in Kafka, as read by sp_kafkasink_bind(); -1 if none or unknown. */
int64_t sp_kafkasink_committed(const struct sp_kafkasink *ks);
/* Starts batch id (a transaction, in transactional mode). */
int sp_kafkasink_begin(struct sp_kafkasink *ks, int64_t id, struct sp_err *err);
/* Produces the rows of b (borrowed; copied as needed). */
int sp_kafkasink_rows(struct sp_kafkasink *ks, const struct sp_batch *b, struct sp_err *err);
/* Ends batch id: waits for every delivery, and commits the transaction. */
int sp_kafkasink_commit(struct sp_kafkasink *ks, int64_t id, struct sp_err *err);
/* End of stream: waits for outstanding deliveries. */
int sp_kafkasink_close(struct sp_kafkasink *ks, struct sp_err *err);
/* "KafkaSink[topic]" or "KafkaSink[column topic]", for progress (borrowed). */
const char *sp_kafkasink_describe(const struct sp_kafkasink *ks);
/* Aborts an open transaction (without waiting long) and frees; NULL is a no-op. */
void sp_kafkasink_free(struct sp_kafkasink *ks);

#endif
