/*
 * kafkasink.c: rows to Kafka messages, one transaction per batch (see
 * kafkasink.h for the protocol). Messages are handed to librdkafka with
 * rd_kafka_producev() as the rows come, copied, and batched by librdkafka
 * (linger.ms); the only waits are at the end of a batch, for the delivery
 * reports and the commit. Delivery reports are served by our own
 * rd_kafka_poll()/rd_kafka_flush() calls, so they run in this thread.
 */
#include "kafkasink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "jsonc.h"
#include "kafka.h"
#include "timefmt.h"

/* A topic handle per topic name seen; most streams use one or two. */
struct topic_ent {
	char *name;
	rd_kafka_topic_t *rkt;
	int nparts;
	int64_t batch;		/* the last batch that wrote to it */
};

/* A partition of the in-doubt batch: where it started, what readers see of it now. */
struct part_rec {
	char *topic;
	int32_t part;
	int64_t start;
	uint64_t *h;		/* hashes of the messages visible since start, in order */
	size_t n, cap, i;	/* i: the next one to match; n once matching failed */
	int eof;
};

struct sp_kafkasink {
	rd_kafka_conf_t *conf;	/* until the producer is made */
	rd_kafka_t *rk;
	char *topic;		/* the topic option, or NULL */
	char *brokers;
	int txn;		/* transactional */
	int bound;
	char *txn_id;		/* also the group of the batch-id offsets */
	int timeout_ms;		/* for each blocking call */
	int in_txn;
	int64_t batch, committed;
	char *marker;		/* the topic whose partition 0 carries the group offset */
	char *marker_path;	/* <checkpoint>/kafka: remembers it */
	char *pending_path;	/* <checkpoint>/kafka-pending: where the open batch started */
	struct part_rec *pend;	/* this batch's partitions and their start offsets */
	size_t npend, cap_pend;
	struct part_rec *rec;	/* the in-doubt batch, being replayed */
	size_t nrec, cap_rec;
	int64_t rec_batch;
	uint64_t rr;		/* round robin for rows without key or partition */
	/* the bound schema */
	struct sp_type *schema;
	int c_key, c_value, c_topic, c_part, c_headers, h_key, h_value;
	struct topic_ent *topics;
	size_t ntopics, cap_topics, last;
	/* delivery reports of the current batch */
	uint64_t sent, failed;
	char fail_msg[512];
	char *desc;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct sp_kafkasink *ks = opaque;

	(void)rk;
	if (!m->err)
		return;
	if (ks->failed++)
		return;
	if (m->partition == RD_KAFKA_PARTITION_UA)
		snprintf(ks->fail_msg, sizeof ks->fail_msg, "topic '%s': %s", rd_kafka_topic_name(m->rkt),
			 rd_kafka_err2str(m->err));
	else
		snprintf(ks->fail_msg, sizeof ks->fail_msg, "topic '%s' partition %d: %s", rd_kafka_topic_name(m->rkt),
			 (int)m->partition, rd_kafka_err2str(m->err));
}

int sp_kafkasink_new(struct sp_kafkasink **out, struct sp_kvs *kv, int checkpointed, struct sp_err *err)
{
	static const char *const defs[] = {
		/* bounded waits: a broker that cannot be reached fails the batch in 30 s, not 5 min */
		"message.timeout.ms", "30000",
		"transaction.timeout.ms", "60000",
		/* a topic name with a typo is an error, not a new topic */
		"allow.auto.create.topics", "false",
		"topic.metadata.propagation.max.ms", "10000",
		"linger.ms", "10",
		NULL,
	};
	struct sp_kafkasink *ks = sp_xcalloc(1, sizeof *ks);
	const char *topic = sp_kvs_get(kv, "topic", NULL);
	char buf[512];
	size_t size = sizeof buf;

	*out = ks;
	ks->committed = -1;
	ks->batch = -1;
	ks->rec_batch = -1;
	ks->c_key = ks->c_value = ks->c_topic = ks->c_part = ks->c_headers = -1;
	if (topic && !*topic)
		return sp_err_usage(err, "option -o topic: empty topic name");
	ks->topic = topic ? sp_xstrdup(topic) : NULL;
	ks->txn = sp_kvs_bool(kv, "transactional", checkpointed);
	if (ks->txn && !checkpointed)
		return sp_err_usage(err, "option -o transactional=true needs --checkpoint (the batches committed "
				    "to Kafka are counted there)");
	if (sp_kafka_conf(&ks->conf, kv, defs, 1, err) < 0)
		return -1;
	if (rd_kafka_conf_get(ks->conf, "bootstrap.servers", buf, &size) == RD_KAFKA_CONF_OK)
		ks->brokers = sp_xstrdup(buf);
	size = sizeof buf;
	if (rd_kafka_conf_get(ks->conf, "message.timeout.ms", buf, &size) == RD_KAFKA_CONF_OK)
		ks->timeout_ms = atoi(buf);
	if (ks->timeout_ms <= 0)
		ks->timeout_ms = 30000;
	size = sizeof buf;
	if (rd_kafka_conf_get(ks->conf, "transactional.id", buf, &size) == RD_KAFKA_CONF_OK && *buf) {
		if (!ks->txn)
			return sp_err_usage(err, "option -o kafka.transactional.id needs transactions (--checkpoint, "
					    "without -o transactional=false)");
		ks->txn_id = sp_xstrdup(buf);
	}
	rd_kafka_conf_set_dr_msg_cb(ks->conf, dr_cb);
	rd_kafka_conf_set_opaque(ks->conf, ks);
	ks->desc = sp_xasprintf("KafkaSink[%s]", ks->topic ? ks->topic : "topic column");
	return 0;
}

const char *sp_kafkasink_describe(const struct sp_kafkasink *ks)
{
	return ks->desc;
}

int64_t sp_kafkasink_committed(const struct sp_kafkasink *ks)
{
	return ks->committed;
}

/* " (last error: ...)" when librdkafka reported one, for timeouts. */
static const char *cause(char *buf, size_t size)
{
	char last[400];

	if (!*sp_kafka_last_error(last, sizeof last))
		return "";
	snprintf(buf, size, " (last error: %s)", last);
	return buf;
}

static int make_producer(struct sp_kafkasink *ks, struct sp_err *err)
{
	if (ks->rk)
		return 0;
	if (sp_kafka_new(&ks->rk, RD_KAFKA_PRODUCER, ks->conf, err) < 0)
		return -1;
	ks->conf = NULL;
	return 0;
}

/* The marker topic, remembered in <checkpoint>/kafka: {"transactionalId":"...","topic":"..."}. */
static int marker_load(struct sp_kafkasink *ks, struct sp_err *err)
{
	struct json_object *o, *v;
	char *text = NULL;
	size_t len;
	int r = sp_ckpt_read(ks->marker_path, (void **)&text, &len, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_object_get_ex(o, "topic", &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return sp_err_set(err, "checkpoint file '%s' is corrupt (remove the checkpoint to start over)",
				  ks->marker_path);
	}
	ks->marker = sp_xstrdup(json_object_get_string(v));
	json_object_put(o);
	return 0;
}

static int marker_save(struct sp_kafkasink *ks, const char *topic, struct sp_err *err)
{
	struct json_object *o = json_object_new_object();
	const char *text;
	int r;

	json_object_object_add(o, "transactionalId", json_object_new_string(ks->txn_id));
	json_object_object_add(o, "topic", json_object_new_string(topic));
	text = sp_jsonc_text(o);
	r = sp_ckpt_write(ks->marker_path, text, strlen(text), 0, err);
	json_object_put(o);
	if (r == 0)
		ks->marker = sp_xstrdup(topic);
	return r;
}

/* The group's committed offset on the marker topic: the next batch to write. */
static int read_committed(struct sp_kafkasink *ks, rd_kafka_conf_t *conf, struct sp_err *err)
{
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t e;
	rd_kafka_t *c = NULL;
	char why[512];
	int r = -1;

	rd_kafka_topic_partition_list_add(parts, ks->marker, 0);
	if (sp_kafka_conf_set(conf, "group.id", ks->txn_id, NULL, err) < 0 ||
	    sp_kafka_new(&c, RD_KAFKA_CONSUMER, conf, err) < 0) {
		rd_kafka_conf_destroy(conf);
		goto done;
	}
	e = rd_kafka_committed(c, parts, ks->timeout_ms);
	if (!e)
		e = parts->elems[0].err;
	if (e) {
		sp_kafka_err(err, e, "cannot read the last batch committed to Kafka (group '%s', topic '%s')%s",
			     ks->txn_id, ks->marker, cause(why, sizeof why));
		goto done;
	}
	if (parts->elems[0].offset > 0 && parts->elems[0].offset - 1 > ks->committed)
		ks->committed = parts->elems[0].offset - 1;
	r = 0;
done:
	if (c) {
		rd_kafka_consumer_close(c);
		rd_kafka_destroy(c);
	}
	rd_kafka_topic_partition_list_destroy(parts);
	return r;
}

/* ---- the in-doubt batch ---- */

static struct part_rec *rec_add(struct part_rec **v, size_t *n, size_t *cap, const char *topic, int32_t part,
				int64_t start)
{
	struct part_rec *r;

	sp_grow(v, cap, *n + 1, sizeof **v);
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof *r);
	r->topic = sp_xstrdup(topic);
	r->part = part;
	r->start = start;
	return r;
}

static void recs_free(struct part_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].topic);
		free(v[i].h);
	}
	free(v);
}

/*
 * <checkpoint>/kafka-pending, written before the first message of a topic
 * goes out in a batch: {"batchId":7,"start":[["out",0,1200],["out",1,1187]]},
 * each partition's end offset before the batch.
 */
static int pending_save(struct sp_kafkasink *ks, struct sp_err *err)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	const char *text;
	int r;

	json_object_object_add(o, "batchId", json_object_new_int64(ks->batch));
	for (size_t i = 0; i < ks->npend; i++) {
		struct json_object *e = json_object_new_array();

		json_object_array_add(e, json_object_new_string(ks->pend[i].topic));
		json_object_array_add(e, json_object_new_int(ks->pend[i].part));
		json_object_array_add(e, json_object_new_int64(ks->pend[i].start));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "start", a);
	text = sp_jsonc_text(o);
	r = sp_ckpt_write(ks->pending_path, text, strlen(text), 0, err);
	json_object_put(o);
	return r;
}

static int pending_load(struct sp_kafkasink *ks, struct sp_err *err)
{
	struct json_object *o, *b, *a;
	char *text = NULL;
	size_t len;
	int r = sp_ckpt_read(ks->pending_path, (void **)&text, &len, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_object_get_ex(o, "batchId", &b) || !json_object_object_get_ex(o, "start", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(o);
		return sp_err_set(err, "checkpoint file '%s' is corrupt (remove the checkpoint to start over)",
				  ks->pending_path);
	}
	ks->rec_batch = json_object_get_int64(b);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3)
			continue;
		rec_add(&ks->rec, &ks->nrec, &ks->cap_rec, json_object_get_string(json_object_array_get_idx(e, 0)),
			json_object_get_int(json_object_array_get_idx(e, 1)),
			json_object_get_int64(json_object_array_get_idx(e, 2)));
	}
	json_object_put(o);
	return 0;
}

/* FNV-1a over what identifies a message: key and value, NULL told apart from empty. */
static uint64_t msg_hash(const void *k, size_t kl, const void *v, size_t vl)
{
	uint64_t h = 1469598103934665603ull;
	const unsigned char *p;
	unsigned char tag[2] = { k != NULL, v != NULL };

	for (size_t i = 0; i < 2; i++)
		h = (h ^ tag[i]) * 1099511628211ull;
	for (p = k; p && kl--; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (p = v; p && vl--; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

static struct part_rec *rec_find(struct sp_kafkasink *ks, const char *topic, int32_t part)
{
	for (size_t i = 0; i < ks->nrec; i++)
		if (ks->rec[i].part == part && !strcmp(ks->rec[i].topic, topic))
			return &ks->rec[i];
	return NULL;
}

/*
 * What readers see now of the in-doubt batch: every committed message from
 * each partition's start to its end. Through Kafka, nothing (the
 * transaction was aborted), unless another producer wrote there; through a
 * broker that shows uncommitted data (or without transactions), the
 * messages that reached it before the crash, which the replay then skips.
 */
static int recover(struct sp_kafkasink *ks, rd_kafka_conf_t *conf, struct sp_err *err)
{
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)ks->nrec);
	rd_kafka_resp_err_t e;
	rd_kafka_t *c = NULL;
	int64_t deadline = sp_mono_us() + (int64_t)ks->timeout_ms * 1000;
	size_t left = ks->nrec;
	char why[512];
	int r = -1;

	for (size_t i = 0; i < ks->nrec; i++)
		rd_kafka_topic_partition_list_add(parts, ks->rec[i].topic, ks->rec[i].part)->offset = ks->rec[i].start;
	if (sp_kafka_conf_set(conf, "group.id", ks->txn_id, NULL, err) < 0 ||
	    sp_kafka_conf_set(conf, "isolation.level", "read_committed", NULL, err) < 0 ||
	    sp_kafka_conf_set(conf, "enable.partition.eof", "true", NULL, err) < 0 ||
	    sp_kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0 ||
	    sp_kafka_new(&c, RD_KAFKA_CONSUMER, conf, err) < 0) {
		rd_kafka_conf_destroy(conf);
		goto done;
	}
	if ((e = rd_kafka_assign(c, parts))) {
		sp_kafka_err(err, e, "cannot read back batch %lld", (long long)ks->rec_batch);
		goto done;
	}
	while (left) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
		struct part_rec *pr;

		if (!m) {
			if (sp_mono_us() > deadline) {
				sp_err_set(err, "cannot read back batch %lld within %d ms%s", (long long)ks->rec_batch,
					   ks->timeout_ms, cause(why, sizeof why));
				goto done;
			}
			continue;
		}
		pr = m->rkt ? rec_find(ks, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (pr && !pr->eof) {
				pr->eof = 1;
				left--;
			}
		} else if (m->err) {
			sp_kafka_err(err, m->err, "cannot read back batch %lld", (long long)ks->rec_batch);
			rd_kafka_message_destroy(m);
			goto done;
		} else if (pr) {
			sp_grow(&pr->h, &pr->cap, pr->n + 1, sizeof *pr->h);
			pr->h[pr->n++] = msg_hash(m->key, m->key_len, m->payload, m->len);
		}
		rd_kafka_message_destroy(m);
	}
	r = 0;
	if (sp_verbose > 1)
		for (size_t i = 0; i < ks->nrec; i++)
			sp_warn("batch %lld: %zu messages of topic '%s' partition %d already visible", (long long)ks->rec_batch,
				ks->rec[i].n, ks->rec[i].topic, (int)ks->rec[i].part);
done:
	if (c) {
		rd_kafka_consumer_close(c);
		rd_kafka_destroy(c);
	}
	rd_kafka_topic_partition_list_destroy(parts);
	return r;
}

int sp_kafkasink_bind(struct sp_kafkasink *ks, const char *query_id, const char *ckdir, struct sp_err *err)
{
	rd_kafka_conf_t *base;
	rd_kafka_error_t *e;
	char why[512];
	int r = -1;

	if (ks->bound)
		return 0;
	ks->bound = 1;
	if (!ks->txn_id)
		ks->txn_id = sp_xasprintf("stream-write-%s-%08x", query_id ? query_id : "none",
					  (unsigned)sp_crc32c(0, ckdir, strlen(ckdir)));
	ks->marker_path = sp_xasprintf("%s/kafka", ckdir);
	ks->pending_path = sp_xasprintf("%s/kafka-pending", ckdir);
	if (marker_load(ks, err) < 0 || pending_load(ks, err) < 0)
		return -1;
	base = rd_kafka_conf_dup(ks->conf);
	if (ks->txn) {
		if (sp_kafka_conf_set(ks->conf, "transactional.id", ks->txn_id, NULL, err) < 0 ||
		    make_producer(ks, err) < 0)
			goto done;
		/* fences any earlier producer of this id and ends the transaction it left open */
		if ((e = rd_kafka_init_transactions(ks->rk, ks->timeout_ms))) {
			rd_kafka_poll(ks->rk, 0);	/* serves the error callback: the cause */
			if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
				rd_kafka_error_destroy(e);
				sp_err_set(err, "cannot start Kafka transactions at '%s' (transactional id '%s'): no "
					   "answer within %d ms%s", ks->brokers, ks->txn_id, ks->timeout_ms,
					   cause(why, sizeof why));
			} else {
				sp_kafka_error(err, e, "cannot start Kafka transactions at '%s' (transactional id '%s')%s",
					       ks->brokers, ks->txn_id, cause(why, sizeof why));
			}
			goto done;
		}
		if (ks->marker && read_committed(ks, rd_kafka_conf_dup(base), err) < 0)
			goto done;
	}
	if (ks->nrec && ks->rec_batch > ks->committed && recover(ks, rd_kafka_conf_dup(base), err) < 0)
		goto done;
	r = 0;
done:
	rd_kafka_conf_destroy(base);
	return r;
}

int sp_kafkasink_begin(struct sp_kafkasink *ks, int64_t id, struct sp_err *err)
{
	rd_kafka_error_t *e;

	if (make_producer(ks, err) < 0)
		return -1;
	ks->batch = id;
	ks->sent = ks->failed = 0;
	ks->fail_msg[0] = '\0';
	ks->rr = (uint64_t)id;
	recs_free(ks->pend, ks->npend);
	ks->pend = NULL;
	ks->npend = ks->cap_pend = 0;
	if (id != ks->rec_batch) {
		/* what readers saw of the in-doubt batch matters only to its replay */
		recs_free(ks->rec, ks->nrec);
		ks->rec = NULL;
		ks->nrec = ks->cap_rec = 0;
	}
	if (!ks->txn)
		return 0;
	if ((e = rd_kafka_begin_transaction(ks->rk)))
		return sp_kafka_error(err, e, "batch %lld: cannot begin a Kafka transaction", (long long)id);
	ks->in_txn = 1;
	return 0;
}

/* ---- rows to messages ---- */

static int want_bytes(const struct sp_type *schema, int i, const char *what, struct sp_err *err)
{
	enum sp_type_id t = schema->fields[i].type->id;

	if (t == SP_T_STRING || t == SP_T_BINARY)
		return 0;
	return sp_err_usage(err, "the Kafka sink's %s column '%s' is %s: it must be STRING or BINARY (cast it)",
			    what, schema->fields[i].name, sp_type_name(t));
}

static int bind_schema(struct sp_kafkasink *ks, struct sp_type *schema, struct sp_err *err)
{
	int i;

	if (ks->schema && (ks->schema == schema || sp_type_equal(ks->schema, schema)))
		return 0;
	sp_type_unref(ks->schema);
	ks->schema = sp_type_ref(schema);
	ks->c_key = sp_type_field_index(schema, "key", 3);
	ks->c_value = sp_type_field_index(schema, "value", 5);
	ks->c_topic = sp_type_field_index(schema, "topic", 5);
	ks->c_part = sp_type_field_index(schema, "partition", 9);
	ks->c_headers = sp_type_field_index(schema, "headers", 7);
	if (ks->c_value < 0)
		return sp_err_usage(err, "the Kafka sink needs a 'value' column (STRING or BINARY); the stream has "
				    "none");
	if (want_bytes(schema, ks->c_value, "value", err) < 0 ||
	    (ks->c_key >= 0 && want_bytes(schema, ks->c_key, "key", err) < 0))
		return -1;
	if (ks->c_topic >= 0 && schema->fields[ks->c_topic].type->id != SP_T_STRING)
		return sp_err_usage(err, "the Kafka sink's topic column '%s' is %s: it must be STRING",
				    schema->fields[ks->c_topic].name, sp_type_name(schema->fields[ks->c_topic].type->id));
	if (ks->c_topic < 0 && !ks->topic)
		return sp_err_usage(err, "no topic: give -o topic=NAME, or a 'topic' column");
	if (ks->c_part >= 0 && schema->fields[ks->c_part].type->id != SP_T_LONG)
		return sp_err_usage(err, "the Kafka sink's partition column '%s' is %s: it must be INT",
				    schema->fields[ks->c_part].name, sp_type_name(schema->fields[ks->c_part].type->id));
	if (ks->c_headers >= 0) {
		const struct sp_type *t = schema->fields[ks->c_headers].type, *st = t->elem;

		i = -1;
		if (t->id == SP_T_ARRAY && st->id == SP_T_STRUCT && st->nfields == 2) {
			ks->h_key = sp_type_field_index(st, "key", 3);
			ks->h_value = sp_type_field_index(st, "value", 5);
			if (ks->h_key >= 0 && ks->h_value >= 0 && st->fields[ks->h_key].type->id == SP_T_STRING &&
			    (st->fields[ks->h_value].type->id == SP_T_BINARY ||
			     st->fields[ks->h_value].type->id == SP_T_STRING))
				i = 0;
		}
		if (i < 0) {
			char *ddl = sp_type_ddl_new(t);

			sp_err_usage(err, "the Kafka sink's headers column '%s' is %s: it must be "
				     "ARRAY<STRUCT<key: STRING, value: BINARY>>", schema->fields[ks->c_headers].name, ddl);
			free(ddl);
			return -1;
		}
	}
	return 0;
}

/* The partition count of a new topic; a topic that does not exist is an error. */
static int topic_meta(struct sp_kafkasink *ks, struct topic_ent *t, struct sp_err *err)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e = rd_kafka_metadata(ks->rk, 0, t->rkt, &md, ks->timeout_ms);
	char why[512];

	if (e) {
		rd_kafka_poll(ks->rk, 0);	/* serves the error callback: the cause */
		return sp_err_set(err, "cannot get the partitions of topic '%s' at '%s': %s%s", t->name, ks->brokers,
				  rd_kafka_err2str(e), cause(why, sizeof why));
	}
	e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	if (!e && md->topics[0].partition_cnt <= 0)
		e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	if (!e)
		t->nparts = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		return sp_err_set(err, "topic '%s' does not exist at '%s' (create it, or let the broker create topics: "
				  "-o kafka.allow.auto.create.topics=true)", t->name, ks->brokers);
	if (e)
		return sp_kafka_err(err, e, "topic '%s' at '%s'", t->name, ks->brokers);
	return 0;
}

/*
 * A topic's first message in a batch: with a checkpoint, its partitions'
 * end offsets go to the pending file before anything is sent, so that a
 * restart knows where to look for what this batch wrote.
 */
static int topic_begin(struct sp_kafkasink *ks, struct topic_ent *t, struct sp_err *err)
{
	t->batch = ks->batch;
	if (!ks->pending_path)
		return 0;
	for (int32_t p = 0; p < t->nparts; p++) {
		struct part_rec *pr = ks->nrec ? rec_find(ks, t->name, p) : NULL;
		int64_t lo, hi;
		rd_kafka_resp_err_t e;

		/* replaying the in-doubt batch: its messages still start where they did the first time */
		if (pr) {
			rec_add(&ks->pend, &ks->npend, &ks->cap_pend, t->name, p, pr->start);
			continue;
		}
		e = rd_kafka_query_watermark_offsets(ks->rk, t->name, p, &lo, &hi, ks->timeout_ms);
		if (e)
			return sp_kafka_err(err, e, "batch %lld: cannot get the end of topic '%s' partition %d",
					    (long long)ks->batch, t->name, (int)p);
		rec_add(&ks->pend, &ks->npend, &ks->cap_pend, t->name, p, hi);
	}
	return pending_save(ks, err);
}

static struct topic_ent *topic_handle(struct sp_kafkasink *ks, const char *name, size_t len, struct sp_err *err)
{
	struct topic_ent *t = NULL;

	if (ks->last < ks->ntopics) {
		t = &ks->topics[ks->last];
		if (strlen(t->name) != len || memcmp(t->name, name, len))
			t = NULL;
	}
	for (size_t i = 0; !t && i < ks->ntopics; i++)
		if (strlen(ks->topics[i].name) == len && !memcmp(ks->topics[i].name, name, len)) {
			ks->last = i;
			t = &ks->topics[i];
		}
	if (!t) {
		sp_grow(&ks->topics, &ks->cap_topics, ks->ntopics + 1, sizeof *ks->topics);
		t = &ks->topics[ks->ntopics];
		memset(t, 0, sizeof *t);
		t->name = sp_xstrndup(name, len);
		t->batch = -1;
		if (!(t->rkt = rd_kafka_topic_new(ks->rk, t->name, NULL))) {
			sp_err_set(err, "bad topic name '%s'", t->name);
			free(t->name);
			return NULL;
		}
		ks->last = ks->ntopics++;
		if (topic_meta(ks, t, err) < 0)
			return NULL;
	}
	if (t->batch != ks->batch && topic_begin(ks, t, err) < 0)
		return NULL;
	return t;
}

static rd_kafka_headers_t *row_headers(const struct sp_kafkasink *ks, const struct sp_col *c, size_t i)
{
	const struct sp_col *st = &c->child[0];
	const struct sp_col *hk = &st->child[ks->h_key], *hv = &st->child[ks->h_value];
	uint32_t from = c->off[i], to = c->off[i + 1];
	rd_kafka_headers_t *h;

	if (sp_col_isnull(c, i) || from == to)
		return NULL;
	h = rd_kafka_headers_new(to - from);
	for (uint32_t j = from; j < to; j++) {
		const char *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;

		if (sp_col_isnull(st, j))
			continue;
		if (!sp_col_isnull(hk, j))
			k = sp_col_str(hk, j, &kl);
		if (!sp_col_isnull(hv, j))
			v = sp_col_str(hv, j, &vl);
		rd_kafka_header_add(h, k ? k : "", k ? (ssize_t)kl : 0, v, v ? (ssize_t)vl : 0);
	}
	return h;
}

static void free_headers(rd_kafka_headers_t *h)
{
	if (h)
		rd_kafka_headers_destroy(h);
}

/* Bytes of a STRING/BINARY cell; NULL for SQL NULL (a NULL key or a tombstone), never NULL when empty. */
static const void *cell(const struct sp_col *c, size_t i, size_t *len)
{
	const char *p;

	*len = 0;
	if (sp_col_isnull(c, i))
		return NULL;
	p = sp_col_str(c, i, len);
	return *len ? p : "";
}

int sp_kafkasink_rows(struct sp_kafkasink *ks, const struct sp_batch *b, struct sp_err *err)
{
	const struct sp_col *cv, *ck = NULL, *ct = NULL, *cp = NULL, *ch = NULL;

	if (bind_schema(ks, b->schema, err) < 0)
		return -1;
	cv = &b->cols[ks->c_value];
	if (ks->c_key >= 0)
		ck = &b->cols[ks->c_key];
	if (ks->c_topic >= 0 && !ks->topic)
		ct = &b->cols[ks->c_topic];
	if (ks->c_part >= 0)
		cp = &b->cols[ks->c_part];
	if (ks->c_headers >= 0)
		ch = &b->cols[ks->c_headers];
	for (size_t i = 0; i < b->n; i++) {
		struct topic_ent *te;
		rd_kafka_headers_t *h;
		rd_kafka_resp_err_t e;
		int32_t part = -1;
		const void *k = NULL, *v;
		size_t kl = 0, vl, tl;
		const char *t;

		if (ct) {
			if (sp_col_isnull(ct, i))
				return sp_err_set(err, "batch %lld: a row has a NULL topic, and no -o topic is given",
						  (long long)ks->batch);
			t = sp_col_str(ct, i, &tl);
		} else {
			t = ks->topic;
			tl = strlen(t);
		}
		if (!(te = topic_handle(ks, t, tl, err))) {
			sp_err_prefix(err, "batch %lld", (long long)ks->batch);
			return -1;
		}
		if (cp && !sp_col_isnull(cp, i)) {
			int64_t p = sp_col_i64(cp, i);

			if (p < -1 || p >= te->nparts)
				return sp_err_set(err, "batch %lld: partition %lld is out of range (topic '%s' has %d)",
						  (long long)ks->batch, (long long)p, te->name, te->nparts);
			part = (int32_t)p;
		}
		if (ck)
			k = cell(ck, i, &kl);
		v = cell(cv, i, &vl);
		/* Java's partitioner (as Spark's), and round robin without a key: the same rows go to the same partitions on replay */
		if (part < 0)
			part = k ? rd_kafka_msg_partitioner_murmur2_random(te->rkt, k, kl, te->nparts, NULL, NULL)
				 : (int32_t)(ks->rr++ % (uint64_t)te->nparts);
		if (ks->nrec) {
			struct part_rec *pr = rec_find(ks, te->name, part);

			if (pr && pr->i < pr->n) {
				if (pr->h[pr->i] == msg_hash(k, kl, v, vl)) {
					pr->i++;
					continue;	/* readers see it already */
				}
				pr->i = pr->n;
			}
		}
		h = ch ? row_headers(ks, ch, i) : NULL;
		for (;;) {
			e = rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(te->rkt), RD_KAFKA_V_PARTITION(part),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(k, kl),
					      RD_KAFKA_V_VALUE((void *)v, vl), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			/* the local queue is full: let librdkafka send, and serve delivery reports */
			rd_kafka_poll(ks->rk, 10);
		}
		if (e) {
			free_headers(h);
			return sp_kafka_err(err, e, "batch %lld: cannot produce to topic '%s'", (long long)ks->batch,
					    te->name);
		}
		ks->sent++;
	}
	rd_kafka_poll(ks->rk, 0);
	if (ks->failed)
		return sp_err_set(err, "batch %lld: delivery failed: %s", (long long)ks->batch, ks->fail_msg);
	return 0;
}

/* Waits for every delivery report of the batch. */
static int deliver_all(struct sp_kafkasink *ks, struct sp_err *err)
{
	char why[512];
	int left;

	rd_kafka_flush(ks->rk, ks->timeout_ms + 5000);
	if (ks->failed)
		return sp_err_set(err, "batch %lld: %llu of %llu messages not delivered: %s%s", (long long)ks->batch,
				  (unsigned long long)ks->failed, (unsigned long long)ks->sent, ks->fail_msg,
				  cause(why, sizeof why));
	if ((left = rd_kafka_outq_len(ks->rk)) > 0)
		return sp_err_set(err, "batch %lld: %d messages still undelivered after %d ms%s", (long long)ks->batch,
				  left, ks->timeout_ms + 5000, cause(why, sizeof why));
	return 0;
}

static int abort_txn(struct sp_kafkasink *ks)
{
	rd_kafka_error_t *e;

	if (!ks->in_txn)
		return 0;
	ks->in_txn = 0;
	if ((e = rd_kafka_abort_transaction(ks->rk, ks->timeout_ms)))
		rd_kafka_error_destroy(e);
	return -1;
}

/* Sends the batch id, as offset id+1 of the group on the marker topic, inside the transaction. */
static int send_batch_id(struct sp_kafkasink *ks, int64_t id, struct sp_err *err)
{
	rd_kafka_topic_partition_list_t *offs;
	rd_kafka_consumer_group_metadata_t *g;
	rd_kafka_topic_partition_t *tp;
	rd_kafka_error_t *e;
	char meta[64];

	if (!ks->marker) {
		/* the first topic written; remembered before any commit names it */
		const char *t = ks->topic ? ks->topic : ks->ntopics ? ks->topics[0].name : NULL;

		if (!t)
			return 0;
		if (marker_save(ks, t, err) < 0)
			return -1;
	}
	offs = rd_kafka_topic_partition_list_new(1);
	tp = rd_kafka_topic_partition_list_add(offs, ks->marker, 0);
	tp->offset = id + 1;
	snprintf(meta, sizeof meta, "{\"batchId\":%lld}", (long long)id);
	tp->metadata = sp_xstrdup(meta);
	tp->metadata_size = strlen(meta);
	g = rd_kafka_consumer_group_metadata_new(ks->txn_id);
	e = rd_kafka_send_offsets_to_transaction(ks->rk, offs, g, ks->timeout_ms);
	rd_kafka_consumer_group_metadata_destroy(g);
	rd_kafka_topic_partition_list_destroy(offs);
	if (e)
		return sp_kafka_error(err, e, "batch %lld: cannot record the batch in the transaction", (long long)id);
	return 0;
}

int sp_kafkasink_commit(struct sp_kafkasink *ks, int64_t id, struct sp_err *err)
{
	rd_kafka_error_t *e;
	char why[512];

	if (!ks->rk)
		return 0;
	if (deliver_all(ks, err) < 0)
		return abort_txn(ks);
	if (!ks->txn)
		return 0;
	if (send_batch_id(ks, id, err) < 0)
		return abort_txn(ks);
	for (int tries = 0;; tries++) {
		if (!(e = rd_kafka_commit_transaction(ks->rk, ks->timeout_ms)))
			break;
		if (rd_kafka_error_is_retriable(e) && tries < 3) {
			rd_kafka_error_destroy(e);
			continue;
		}
		if (rd_kafka_error_txn_requires_abort(e)) {
			sp_kafka_error(err, e, "batch %lld: the Kafka transaction failed and was aborted%s",
				       (long long)id, cause(why, sizeof why));
			return abort_txn(ks);
		}
		ks->in_txn = 0;
		return sp_kafka_error(err, e, "batch %lld: cannot commit the Kafka transaction%s", (long long)id,
				      cause(why, sizeof why));
	}
	ks->in_txn = 0;
	ks->committed = id;
	return 0;
}

int sp_kafkasink_close(struct sp_kafkasink *ks, struct sp_err *err)
{
	if (!ks->rk || ks->txn)
		return 0;
	return deliver_all(ks, err);
}

void sp_kafkasink_free(struct sp_kafkasink *ks)
{
	if (!ks)
		return;
	if (ks->rk && ks->in_txn) {
		rd_kafka_error_t *e = rd_kafka_abort_transaction(ks->rk, 5000);

		if (e)
			rd_kafka_error_destroy(e);
	}
	for (size_t i = 0; i < ks->ntopics; i++) {
		rd_kafka_topic_destroy(ks->topics[i].rkt);
		free(ks->topics[i].name);
	}
	free(ks->topics);
	if (ks->rk)
		rd_kafka_destroy(ks->rk);
	if (ks->conf)
		rd_kafka_conf_destroy(ks->conf);
	sp_type_unref(ks->schema);
	recs_free(ks->pend, ks->npend);
	recs_free(ks->rec, ks->nrec);
	free(ks->pending_path);
	free(ks->topic);
	free(ks->brokers);
	free(ks->txn_id);
	free(ks->marker);
	free(ks->marker_path);
	free(ks->desc);
	free(ks);
}
