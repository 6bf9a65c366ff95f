/*
 * kafkasrc.c: the Kafka source behind the engine (source.h), as Spark's
 * "kafka" format: the same options, the same columns, the same offsets.
 *
 * As Spark does, it never lets a consumer group decide what to read: the
 * partitions (subscribe, subscribePattern or assign) are found in the
 * brokers' metadata and read by assign(), and each batch is a range of
 * offsets per partition that the engine logs before the batch is read:
 *
 *   offsets/7: {"batchId":7,...,"start":{"t":{"0":100,"1":80}},
 *                               "end":{"t":{"0":150,"1":80}}}
 *
 * Batch 7 is then every record of t-0 from offset 100 up to 149, and none
 * of t-1, read partition after partition (so a replay gives the same rows
 * in the same order). The next batch starts where this one ends; the
 * checkpoint, not the group, is the source of truth. Partitions that
 * appear later are read from their earliest offset; offsets that are gone
 * (retention, a topic deleted or recreated) follow failOnDataLoss.
 *
 * The partitions of a batch are fetched at once (librdkafka's legacy
 * consumer: rd_kafka_consume_start_queue() at each range's first offset,
 * into one queue, read with rd_kafka_consume_batch_queue()) and stopped
 * when their range is read; rows are emitted partition after partition.
 */
#include "source.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "jsonc.h"
#include "kafka.h"
#include "timefmt.h"

/* Rows per row frame, and messages per consume call. */
#define ROWS_PER_FLUSH 16384
/* The brokers' topic list is looked at again after this long. */
#define METADATA_EVERY_US 1000000
/* A partition that reads "earliest" or "latest" until resolved. */
#define OFF_EARLIEST (-2)
#define OFF_LATEST (-1)
#define OFF_BY_TIME (-3)

struct part {
	char *topic;
	int32_t id;
	int64_t next;			/* where the next planned batch starts (OFF_* until resolved) */
	int64_t at_time;		/* OFF_BY_TIME: the timestamp, ms */
	int64_t stop;			/* endingOffsets or availableNow: read up to here; -1: no bound */
	int seen;			/* in the latest metadata */
	int gone;			/* reported gone (failOnDataLoss=false) */
	rd_kafka_topic_t *rkt;		/* for its fetch queue (librdkafka's per-partition consumer) */
	int started;			/* fetching */
};

/* A topic, partition and offset, as parsed from Spark's JSON. */
struct tpo {
	char *topic;
	int32_t id;
	int64_t off;
};

enum sub { SUB_TOPICS, SUB_PATTERN, SUB_ASSIGN };

struct kafkasrc {
	struct sp_srcimpl base;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;		/* every partition's records come here */
	char *brokers;
	struct sp_batch rows;
	struct part *parts;		/* sorted by topic, then partition */
	size_t nparts;
	/* options */
	enum sub sub;
	char **topics;			/* subscribe */
	size_t ntopics;
	regex_t re;			/* subscribePattern */
	const char *pattern;
	struct tpo *assign;		/* assign */
	size_t nassign;
	struct tpo *starting;		/* startingOffsets as JSON, or startingOffsetsByTimestamp */
	size_t nstarting;
	int64_t start_default;		/* OFF_EARLIEST or OFF_LATEST; OFF_BY_TIME with startingTimestamp */
	int64_t start_ts;		/* startingTimestamp, ms */
	int by_time_json;		/* starting holds timestamps */
	int ts_fail;			/* startingOffsetsByTimestampStrategy=error */
	struct tpo *ending;		/* endingOffsets JSON */
	size_t nending;
	int end_latest;			/* endingOffsets=latest */
	int64_t max_per, min_per;	/* maxOffsetsPerTrigger, minOffsetsPerTrigger; 0: none */
	int64_t max_delay;		/* maxTriggerDelay, us */
	int fail_on_loss;
	int headers;
	int commit;			/* commit to the consumer group */
	int timeout;			/* kafkaConsumer.pollTimeoutMs */
	/* state */
	int fresh;			/* no batch planned before: startingOffsets apply */
	int bounded_set;		/* the end offsets of availableNow/once/endingOffsets are fixed */
	int64_t md_at;			/* when the metadata was last read (mono us) */
	int64_t last_batch;		/* when the last batch was planned (mono us) */
	int64_t group_done;		/* highest batch committed to the group */
	struct sp_log *offsets;		/* borrowed from the engine */
	char *initial_dir;		/* DIR/sources/0: the starting offsets, as resolved on the first run */
	char *planned;			/* the end offsets of the last planned batch (JSON) */
};

/* ---- offsets as Spark writes them: {"topic":{"0":12,"1":-2}} ---- */

static int tpo_cmp(const void *a, const void *b)
{
	const struct tpo *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

static void tpo_free(struct tpo *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].topic);
	free(t);
}

/*
 * Parses Spark's per-partition JSON: with list set, {"t":[0,1]} (assign);
 * otherwise {"t":{"0":12}}. what names it in messages. *out is sorted.
 */
static int tpo_parse(const char *json, int list, const char *what, struct tpo **out, size_t *n, struct sp_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, json, (int)strlen(json));
	int bad = json_tokener_get_error(tok) != json_tokener_success;
	struct tpo *t = NULL;
	size_t k = 0, cap = 0;

	json_tokener_free(tok);
	*out = NULL;
	*n = 0;
	if (bad || !o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return sp_err_usage(err, "%s: expected a JSON object like %s, not '%s'", what,
				    list ? "{\"topicA\":[0,1]}" : "{\"topicA\":{\"0\":23,\"1\":-2}}", json);
	}
	json_object_object_foreach(o, topic, v) {
		if (list ? !json_object_is_type(v, json_type_array) : !json_object_is_type(v, json_type_object))
			goto bad;
		if (list) {
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				struct json_object *e = json_object_array_get_idx(v, i);
				int64_t p = json_object_get_int64(e);

				if (!json_object_is_type(e, json_type_int) || p < 0 || p > INT32_MAX)
					goto bad;
				sp_grow(&t, &cap, k + 1, sizeof *t);
				t[k++] = (struct tpo){ sp_xstrdup(topic), (int32_t)p, 0 };
			}
			continue;
		}
		json_object_object_foreach(v, pk, pv) {
			char *end;
			long long p = strtoll(pk, &end, 10);

			if (end == pk || *end || p < 0 || p > INT32_MAX || !json_object_is_type(pv, json_type_int))
				goto bad;
			sp_grow(&t, &cap, k + 1, sizeof *t);
			t[k++] = (struct tpo){ sp_xstrdup(topic), (int32_t)p, json_object_get_int64(pv) };
		}
	}
	json_object_put(o);
	if (k)
		qsort(t, k, sizeof *t, tpo_cmp);
	*out = t;
	*n = k;
	return 0;
bad:
	json_object_put(o);
	tpo_free(t, k);
	return sp_err_usage(err, "%s: expected a JSON object like %s, not '%s'", what,
			    list ? "{\"topicA\":[0,1]}" : "{\"topicA\":{\"0\":23,\"1\":-2}}", json);
}

static const struct tpo *tpo_find(const struct tpo *t, size_t n, const char *topic, int32_t id)
{
	struct tpo key = { (char *)topic, id, 0 };

	return n ? bsearch(&key, t, n, sizeof *t, tpo_cmp) : NULL;
}

/* Appends {"t":{"0":12,...},...} for the offsets of n sorted entries. */
static void tpo_json(struct sp_buf *b, const struct tpo *t, size_t n)
{
	struct json_object *s;

	sp_buf_addc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(t[i].topic, t[i - 1].topic)) {
			if (i)
				sp_buf_puts(b, "},");
			s = json_object_new_string(t[i].topic);
			sp_buf_puts(b, sp_jsonc_text(s));
			json_object_put(s);
			sp_buf_puts(b, ":{");
		} else {
			sp_buf_addc(b, ',');
		}
		sp_buf_printf(b, "\"%d\":%lld", (int)t[i].id, (long long)t[i].off);
	}
	sp_buf_puts(b, n ? "}}" : "}");
}

/* ---- partitions ---- */

static int part_cmp(const struct part *p, const char *topic, int32_t id)
{
	int c = strcmp(p->topic, topic);

	return c ? c : (p->id > id) - (p->id < id);
}

/* The partition, added (with next offset `next`) if it is new. */
static struct part *part_get(struct kafkasrc *s, const char *topic, int32_t id, int64_t next, int *added)
{
	size_t lo = 0, hi = s->nparts, cap = s->nparts;
	struct part *p;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = part_cmp(&s->parts[mid], topic, id);

		if (!c) {
			if (added)
				*added = 0;
			return &s->parts[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	sp_grow(&s->parts, &cap, s->nparts + 1, sizeof *s->parts);
	memmove(&s->parts[lo + 1], &s->parts[lo], (s->nparts - lo) * sizeof *s->parts);
	s->nparts++;
	p = &s->parts[lo];
	*p = (struct part){ sp_xstrdup(topic), id, next, 0, -1, 1, 0, NULL, 0 };
	if (added)
		*added = 1;
	return p;
}

static void part_release(struct part *p)
{
	if (p->started)
		rd_kafka_consume_stop(p->rkt, p->id);
	if (p->rkt)
		rd_kafka_topic_destroy(p->rkt);
	free(p->topic);
}

static const char *name_of(const struct part *p, char *buf, size_t size)
{
	snprintf(buf, size, "topic '%s' partition %d", p->topic, (int)p->id);
	return buf;
}

/* The cause of a timeout, from librdkafka's error callback. */
static const char *why(rd_kafka_resp_err_t e, char *buf, size_t size)
{
	const char *last = sp_kafka_last_error(buf, size);

	return *last ? last : rd_kafka_err2str(e);
}

/* Reports lost data: an error with failOnDataLoss (the default), a warning without. */
static int data_loss(struct kafkasrc *s, struct sp_err *err, const char *fmt, ...) SP_PRINTF(3, 4);
static int data_loss(struct kafkasrc *s, struct sp_err *err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s->fail_on_loss)
		return sp_err_set(err, "%s: some data was lost (failOnDataLoss=true; -o failOnDataLoss=false skips it)",
				  msg);
	sp_warn("warning: %s: some data was lost, skipped (failOnDataLoss=false)", msg);
	return 0;
}

static int subscribed(struct kafkasrc *s, const char *topic)
{
	switch (s->sub) {
	case SUB_TOPICS:
		for (size_t i = 0; i < s->ntopics; i++)
			if (!strcmp(s->topics[i], topic))
				return 1;
		return 0;
	case SUB_PATTERN:
		/* As Kafka's pattern subscription: internal topics are left out. */
		return strncmp(topic, "__", 2) && regexec(&s->re, topic, 0, NULL, 0) == 0;
	case SUB_ASSIGN:
		for (size_t i = 0; i < s->nassign; i++)
			if (!strcmp(s->assign[i].topic, topic))
				return 1;
		return 0;
	}
	return 0;
}

/* Where a partition seen for the first time starts. */
static int64_t first_offset(struct kafkasrc *s, struct part *p)
{
	const struct tpo *t;

	if (!s->fresh)
		return OFF_EARLIEST;	/* a partition added while running: all of it, as Spark */
	if (s->by_time_json && (t = tpo_find(s->starting, s->nstarting, p->topic, p->id))) {
		p->at_time = t->off;
		return OFF_BY_TIME;
	}
	if (!s->by_time_json && (t = tpo_find(s->starting, s->nstarting, p->topic, p->id)))
		return t->off;
	if (s->start_default == OFF_BY_TIME)
		p->at_time = s->start_ts;
	return s->start_default;
}

/*
 * Reads the brokers' topics: partitions of the subscription are added, and
 * those that are gone follow failOnDataLoss. The first time, a broker that
 * does not answer, or a topic named that does not exist, is an error.
 */
static int refresh(struct kafkasrc *s, int force, struct sp_err *err)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	char buf[512], name[300];

	if (!force && sp_mono_us() - s->md_at < METADATA_EVERY_US)
		return 0;
	if ((e = rd_kafka_metadata(s->rk, 1, NULL, &md, s->timeout)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_poll(s->rk, 0);	/* the error callback says why */
		return sp_err_set(err, "cannot read the topics of the Kafka brokers '%s' within %d ms: %s", s->brokers,
				  s->timeout, why(e, buf, sizeof buf));
	}
	s->md_at = sp_mono_us();
	for (size_t i = 0; i < s->nparts; i++)
		s->parts[i].seen = 0;
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];

		if (t->err || !subscribed(s, t->topic))
			continue;
		for (int k = 0; k < t->partition_cnt; k++) {
			int32_t id = t->partitions[k].id;
			struct part *p;
			int added;

			if (s->sub == SUB_ASSIGN && !tpo_find(s->assign, s->nassign, t->topic, id))
				continue;
			p = part_get(s, t->topic, id, 0, &added);
			if (added)
				p->next = first_offset(s, p);
			p->seen = 1;
		}
	}
	rd_kafka_metadata_destroy(md);
	/* Topics and partitions named that the brokers do not have. */
	if (s->sub == SUB_TOPICS || s->sub == SUB_ASSIGN) {
		size_t n = s->sub == SUB_TOPICS ? s->ntopics : s->nassign;

		for (size_t i = 0; i < n; i++) {
			const char *topic = s->sub == SUB_TOPICS ? s->topics[i] : s->assign[i].topic;
			int found = 0;

			for (size_t k = 0; k < s->nparts && !found; k++)
				found = !strcmp(s->parts[k].topic, topic) && s->parts[k].seen &&
					(s->sub == SUB_TOPICS || s->parts[k].id == s->assign[i].id);
			if (found || !s->fresh)
				continue;
			if (s->sub == SUB_TOPICS)
				return sp_err_set(err, "topic '%s' does not exist on the Kafka brokers '%s'", topic,
						  s->brokers);
			return sp_err_set(err, "topic '%s' partition %d does not exist on the Kafka brokers '%s' "
					  "(option -o assign)", topic, (int)s->assign[i].id, s->brokers);
		}
	}
	for (size_t i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];

		if (p->seen && p->gone) {
			/* Back (recreated): read it from its start. */
			p->gone = 0;
			p->next = OFF_EARLIEST;
		}
		if (p->seen || p->gone)
			continue;
		if (data_loss(s, err, "%s is gone from the brokers (deleted?) at offset %lld",
			      name_of(p, name, sizeof name), (long long)p->next) < 0)
			return -1;
		p->gone = 1;
	}
	return 0;
}

/* Turns "earliest", "latest" and timestamps into offsets, now that the watermarks are known. */
static int resolve(struct kafkasrc *s, struct part *p, int64_t lo, int64_t hi, struct sp_err *err)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	char buf[512], name[300];
	int64_t off;

	if (p->next == OFF_EARLIEST || p->next == OFF_LATEST) {
		p->next = p->next == OFF_EARLIEST ? lo : hi;
		return 0;
	}
	if (p->next != OFF_BY_TIME)
		return 0;
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, p->topic, p->id)->offset = p->at_time;
	e = rd_kafka_offsets_for_times(s->rk, l, s->timeout);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		e = l->elems[0].err;
	off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		return sp_err_set(err, "%s: cannot find the offset of timestamp %lld: %s", name_of(p, name, sizeof name),
				  (long long)p->at_time, why(e, buf, sizeof buf));
	if (off < 0) {
		if (s->ts_fail)
			return sp_err_set(err, "%s has no record at or after timestamp %lld "
					  "(startingOffsetsByTimestampStrategy=error; 'latest' starts at the end)",
					  name_of(p, name, sizeof name), (long long)p->at_time);
		off = hi;
	}
	p->next = off;
	return 0;
}

/*
 * The starting offsets, once resolved, are kept in the checkpoint (as
 * Spark's initial offsets): a run that stops before its first batch goes
 * on from them, not from a new "latest".
 */
static int save_initial(struct kafkasrc *s, struct sp_err *err)
{
	struct sp_log *l = NULL;
	struct tpo *t = sp_xcalloc(s->nparts + 1, sizeof *t);
	struct sp_buf b = SP_BUF_INIT;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < s->nparts; i++)
		if (!s->parts[i].gone && s->parts[i].next >= 0)
			t[n++] = (struct tpo){ s->parts[i].topic, s->parts[i].id, s->parts[i].next };
	tpo_json(&b, t, n);
	r = sp_log_open(&l, s->initial_dir, err);
	if (r == 0)
		r = sp_log_put(l, 0, b.p, err);
	sp_log_free(l);
	sp_buf_release(&b);
	free(t);
	return r;
}

/* Restores the starting offsets an earlier run resolved (none: 0, fresh start). */
static int load_initial(struct kafkasrc *s, struct sp_err *err)
{
	struct sp_log *l = NULL;
	struct tpo *t = NULL;
	char *text = NULL;
	size_t n = 0;
	int r;

	if (sp_log_open(&l, s->initial_dir, err) < 0)
		return -1;
	r = sp_log_get(l, 0, &text, err);
	if (r == 0 && (r = tpo_parse(text, 0, "initial offsets", &t, &n, err)) < 0)
		sp_err_prefix(err, "'%s/0'", s->initial_dir);
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			part_get(s, t[i].topic, t[i].id, t[i].off, NULL)->next = t[i].off;
		s->fresh = 0;
	}
	tpo_free(t, n);
	free(text);
	sp_log_free(l);
	return r < 0 ? -1 : 0;
}

/*
 * Spark's rate limit (KafkaMicroBatchStream.rateLimit): each partition
 * gets its share of limit in proportion to what it has, rounded down (up
 * below 1).
 */
static int64_t share(int64_t limit, int64_t avail, int64_t total)
{
	double prorate = (double)limit * ((double)avail / (double)total);
	int64_t n = prorate < 1 ? (int64_t)ceil(prorate) : (int64_t)prorate;

	return n < avail ? n : avail;
}

/*
 * Every partition's earliest (lists[0]) or end (lists[1]) offsets, in one
 * ListOffsets request a broker (the timestamps -2 and -1 mean just that),
 * rather than a request for each. 0, or -1 if that failed: then each
 * partition is asked on its own.
 */
static int watermarks(struct kafkasrc *s, rd_kafka_topic_partition_list_t **lists)
{
	for (int k = 0; k < 2; k++) {
		lists[k] = rd_kafka_topic_partition_list_new((int)s->nparts + 1);
		for (size_t i = 0; i < s->nparts; i++)
			rd_kafka_topic_partition_list_add(lists[k], s->parts[i].topic, s->parts[i].id)->offset =
				k ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
		if (rd_kafka_offsets_for_times(s->rk, lists[k], s->timeout) != RD_KAFKA_RESP_ERR_NO_ERROR)
			return -1;
		for (int i = 0; i < lists[k]->cnt; i++)
			if (lists[k]->elems[i].err)
				lists[k]->elems[i].offset = -1;
	}
	return 0;
}

static int kafka_plan(struct sp_srcimpl *impl, enum sp_trigger trig, char **members, struct sp_err *err)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;
	struct tpo *start = NULL, *end = NULL;
	int64_t *avail = NULL, total = 0, lo, hi;
	struct sp_buf b = SP_BUF_INIT;
	size_t n = 0;
	int bounded, r = -1, done = 1;
	rd_kafka_topic_partition_list_t *marks[2] = { NULL, NULL };
	rd_kafka_resp_err_t e;
	int ok;
	char buf[512], name[300];

	if (refresh(s, s->fresh, err) < 0)
		return -1;
	ok = watermarks(s, marks) == 0;
	avail = sp_xcalloc(s->nparts + 1, sizeof *avail);
	bounded = s->end_latest || s->nending || trig == SP_TRIG_ONCE || trig == SP_TRIG_AVAILABLE_NOW;
	for (size_t i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		int64_t limit;

		if (p->gone)
			continue;
		lo = ok ? marks[0]->elems[i].offset : -1;
		hi = ok ? marks[1]->elems[i].offset : -1;
		e = RD_KAFKA_RESP_ERR_NO_ERROR;
		if (lo < 0 || hi < 0)
			e = rd_kafka_query_watermark_offsets(s->rk, p->topic, p->id, &lo, &hi, s->timeout);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			r = sp_err_set(err, "%s: cannot read its offsets from the Kafka brokers '%s' within %d ms: %s",
				       name_of(p, name, sizeof name), s->brokers, s->timeout, why(e, buf, sizeof buf));
			goto done;
		}
		if (resolve(s, p, lo, hi, err) < 0)
			goto done;
		if (p->next < lo) {
			if (data_loss(s, err, "%s: offsets %lld to %lld are no longer available (the earliest is %lld)",
				      name_of(p, name, sizeof name), (long long)p->next, (long long)lo - 1,
				      (long long)lo) < 0)
				goto done;
			p->next = lo;
		} else if (p->next > hi) {
			if (data_loss(s, err, "%s: offset %lld is beyond its end %lld (was the topic recreated?)",
				      name_of(p, name, sizeof name), (long long)p->next, (long long)hi) < 0)
				goto done;
			p->next = hi;
		}
		if (bounded && p->stop < 0) {
			const struct tpo *t = tpo_find(s->ending, s->nending, p->topic, p->id);

			/* The end is fixed once: what is there when the run starts (or endingOffsets). */
			if (t && t->off >= 0)
				p->stop = t->off;
			else if (!s->bounded_set || s->nending || s->end_latest)
				p->stop = hi;
			else
				p->stop = p->next;	/* a partition added during availableNow: not this run's */
		}
		limit = p->stop >= 0 && p->stop < hi ? p->stop : hi;
		avail[i] = limit > p->next ? limit - p->next : 0;
		total += avail[i];
		if (p->stop < 0 || p->next < p->stop)
			done = 0;
	}
	s->bounded_set |= bounded;
	if (s->fresh && s->initial_dir && save_initial(s, err) < 0)
		goto done;
	s->fresh = 0;
	if (!total) {
		r = bounded && done && (s->end_latest || s->nending) ? SP_PLAN_END : SP_PLAN_NONE;
		goto done;
	}
	if (s->min_per && total < s->min_per && !bounded &&
	    sp_mono_us() - s->last_batch < s->max_delay) {
		r = SP_PLAN_NONE;
		goto done;
	}
	start = sp_xcalloc(s->nparts, sizeof *start);
	end = sp_xcalloc(s->nparts, sizeof *end);
	for (size_t i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		int64_t take = avail[i];

		if (p->gone)
			continue;
		if (s->max_per && trig != SP_TRIG_ONCE && total > s->max_per)
			take = share(s->max_per, avail[i], total);
		start[n] = (struct tpo){ p->topic, p->id, p->next };
		end[n] = (struct tpo){ p->topic, p->id, p->next + take };
		p->next += take;
		n++;
	}
	sp_buf_puts(&b, "\"start\":");
	tpo_json(&b, start, n);
	sp_buf_puts(&b, ",\"end\":");
	tpo_json(&b, end, n);
	*members = sp_buf_take(&b);
	free(s->planned);
	tpo_json(&b, end, n);
	s->planned = sp_buf_take(&b);
	s->last_batch = sp_mono_us();
	r = SP_PLAN_BATCH;
done:
	for (int k = 0; k < 2; k++)
		if (marks[k])
			rd_kafka_topic_partition_list_destroy(marks[k]);
	free(start);
	free(end);
	free(avail);
	return r;
}

/* ---- reading a batch ---- */

static struct sp_type *kafka_schema(int headers)
{
	struct sp_type *t = sp_type_new_struct();

	sp_type_add_field(t, "key", sp_type_prim(SP_T_BINARY), 0);
	sp_type_add_field(t, "value", sp_type_prim(SP_T_BINARY), 0);
	sp_type_add_field(t, "topic", sp_type_prim(SP_T_STRING), 0);
	sp_type_add_field(t, "partition", sp_type_prim(SP_T_LONG), 0);
	sp_type_add_field(t, "offset", sp_type_prim(SP_T_LONG), 0);
	sp_type_add_field(t, "timestamp", sp_type_prim(SP_T_TIMESTAMP), 0);
	sp_type_add_field(t, "timestampType", sp_type_prim(SP_T_LONG), 0);
	if (headers) {
		struct sp_type *h = sp_type_new_struct();

		sp_type_add_field(h, "key", sp_type_prim(SP_T_STRING), 0);
		sp_type_add_field(h, "value", sp_type_prim(SP_T_BINARY), 0);
		sp_type_add_field(t, "headers", sp_type_new_array(h), 0);
	}
	return t;
}

static void add_row(struct kafkasrc *s, struct sp_batch *b, const rd_kafka_message_t *m, const char *topic,
		    size_t topic_len)
{
	struct sp_col *c = b->cols;
	rd_kafka_timestamp_type_t tt;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);

	if (m->key)
		sp_col_push_bytes(&c[0], m->key, m->key_len);
	else
		sp_col_push_null(&c[0]);
	if (m->payload)
		sp_col_push_bytes(&c[1], m->payload, m->len);
	else
		sp_col_push_null(&c[1]);
	sp_col_push_bytes(&c[2], topic, topic_len);
	sp_col_push_i64(&c[3], m->partition);
	sp_col_push_i64(&c[4], m->offset);
	sp_col_push_i64(&c[5], ts * 1000);
	/* Java's TimestampType ids: -1 none, 0 CreateTime, 1 LogAppendTime. */
	sp_col_push_i64(&c[6], tt == RD_KAFKA_TIMESTAMP_CREATE_TIME ? 0 : tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1 : -1);
	if (s->headers) {
		rd_kafka_headers_t *hdrs = NULL;
		struct sp_col *el = &c[7].child[0];
		const char *hk;
		const void *hv;
		size_t hl;

		/* As Spark: no headers is NULL, not an empty array. */
		if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !rd_kafka_header_cnt(hdrs)) {
			sp_col_push_null(&c[7]);
		} else {
			for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &hk, &hv, &hl) == RD_KAFKA_RESP_ERR_NO_ERROR;
			     i++) {
				sp_col_push_bytes(&el->child[0], hk, strlen(hk));
				if (hv)
					sp_col_push_bytes(&el->child[1], hv, hl);
				else
					sp_col_push_null(&el->child[1]);
				sp_col_push_struct(el);
			}
			sp_col_push_array(&c[7]);
		}
	}
	sp_batch_row_done(b);
}

/* One partition's range in the batch being read. */
struct range {
	struct part *p;
	int64_t cur, to;		/* the next offset wanted; the range's end */
	int done;
	struct sp_batch rows;		/* rows read ahead of their turn */
};

/* Starts fetching p at offset from, into the source's queue. */
static int fetch_start(struct kafkasrc *s, struct part *p, int64_t from, struct sp_err *err)
{
	char name[300];

	if (!p->rkt)
		p->rkt = rd_kafka_topic_new(s->rk, p->topic, NULL);
	if (!p->rkt)
		return sp_kafka_err(err, rd_kafka_last_error(), "%s", name_of(p, name, sizeof name));
	if (rd_kafka_consume_start_queue(p->rkt, p->id, from, s->q) < 0)
		return sp_kafka_err(err, rd_kafka_last_error(), "%s: cannot start reading at offset %lld",
				    name_of(p, name, sizeof name), (long long)from);
	p->started = 1;
	return 0;
}

/* Stops fetching p: what it fetched beyond its range is dropped by librdkafka. */
static void fetch_stop(struct part *p)
{
	if (p->started)
		rd_kafka_consume_stop(p->rkt, p->id);
	p->started = 0;
}

/* The range a message belongs to (NULL: none, e.g. a stopped partition's leftovers). */
static struct range *range_of(struct range *rg, size_t n, const rd_kafka_message_t *m, size_t *hint)
{
	const char *topic;

	if (*hint < n && rg[*hint].p->id == m->partition && rg[*hint].p->rkt == m->rkt)
		return &rg[*hint];
	topic = rd_kafka_topic_name(m->rkt);
	for (size_t i = 0; i < n; i++)
		if (rg[i].p->id == m->partition && !strcmp(rg[i].p->topic, topic)) {
			*hint = i;
			return &rg[i];
		}
	return NULL;
}

/*
 * Reads the ranges: every partition fetches at once into one queue, as
 * fast as the brokers send; the rows come out partition after partition
 * (the first unfinished range's rows go straight out, the others' wait in
 * their own columns), so a replay gives the same rows in the same order.
 */
static int read_ranges(struct kafkasrc *s, struct range *rg, size_t n, struct sp_err *err)
{
	rd_kafka_message_t *msgs[1024];
	size_t k = 0, hint = 0;
	int64_t idle = sp_mono_us();
	char buf[512], name[300];

	while (k < n) {
		/* What is there now (a timeout would wait for a full array), or else one message, waiting for it. */
		ssize_t got = rd_kafka_consume_batch_queue(s->q, 0, msgs, 1024);
		int r = 0;

		if (got == 0 && (msgs[0] = rd_kafka_consume_queue(s->q, 100)))
			got = 1;
		if (got < 0)
			return sp_kafka_err(err, rd_kafka_last_error(), "cannot read from the Kafka brokers '%s'", s->brokers);
		for (ssize_t i = 0; i < got; i++) {
			rd_kafka_message_t *m = msgs[i];
			struct range *g = r < 0 ? NULL : range_of(rg, n, m, &hint);

			if (!g || g->done) {
				rd_kafka_message_destroy(m);
				continue;
			}
			if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				/* Only a gap (compaction, transaction markers) can end a range before its last offset. */
				if (m->offset >= g->to)
					g->done = 1;
			} else if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
				   m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
				r = data_loss(s, err, "%s: offsets %lld to %lld are no longer available",
					      name_of(g->p, name, sizeof name), (long long)g->cur, (long long)g->to - 1);
				g->done = 1;
			} else if (m->err) {
				if (sp_verbose >= 2)
					sp_warn("kafka: %s: %s", name_of(g->p, name, sizeof name), rd_kafka_message_errstr(m));
			} else if (m->offset >= g->cur && m->offset < g->to) {
				add_row(s, g == &rg[k] ? &s->rows : &g->rows, m, g->p->topic, strlen(g->p->topic));
				g->cur = m->offset + 1;
				if (g->cur >= g->to)
					g->done = 1;
			} else if (m->offset >= g->to) {
				g->done = 1;	/* the range ended in a gap, and newer records follow */
			}
			if (g->done)
				fetch_stop(g->p);
			rd_kafka_message_destroy(m);
		}
		if (r < 0)
			return -1;
		if (s->rows.n >= ROWS_PER_FLUSH && sp_srcimpl_rows(&s->base, &s->rows, err) < 0)
			return -1;
		/* The ranges whose turn it is: out with what they read ahead. */
		while (k < n && rg[k].done) {
			if (sp_srcimpl_rows(&s->base, &s->rows, err) < 0)
				return -1;
			if (++k < n && rg[k].rows.n) {
				if (sp_srcimpl_rows(&s->base, &rg[k].rows, err) < 0)
					return -1;
			}
		}
		rd_kafka_poll(s->rk, 0);
		if (got > 0) {
			idle = sp_mono_us();
		} else if (k < n && sp_mono_us() - idle > (int64_t)s->timeout * 1000) {
			for (size_t i = k; i < n; i++)
				if (!rg[i].done)
					return sp_err_set(err, "%s: no record from offset %lld (up to %lld) within %d ms from "
							  "the Kafka brokers '%s': %s", name_of(rg[i].p, name, sizeof name),
							  (long long)rg[i].cur, (long long)rg[i].to - 1, s->timeout,
							  s->brokers, why(RD_KAFKA_RESP_ERR__TIMED_OUT, buf, sizeof buf));
		}
		if (sp_stop_signal() == SIGINT)
			return sp_err_set(err, "interrupted");
	}
	return 0;
}

static int kafka_read(struct sp_srcimpl *impl, int64_t id, const char *entry, struct sp_err *err)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;
	char *sj = sp_source_member(entry, "start", err), *ej = sj ? sp_source_member(entry, "end", err) : NULL;
	struct tpo *start = NULL, *end = NULL;
	struct range *rg = NULL;
	size_t ns = 0, ne = 0, n = 0;
	int r = -1;

	(void)id;
	if (!ej || tpo_parse(sj, 0, "offsets log entry", &start, &ns, err) < 0 ||
	    tpo_parse(ej, 0, "offsets log entry", &end, &ne, err) < 0)
		goto done;
	rg = sp_xcalloc(ne + 1, sizeof *rg);
	for (size_t i = 0; i < ne; i++) {
		const struct tpo *from = tpo_find(start, ns, end[i].topic, end[i].id);

		if (!from || end[i].off <= from->off)
			continue;
		part_get(s, end[i].topic, end[i].id, end[i].off, NULL);
		rg[n].cur = from->off;
		rg[n].to = end[i].off;
		sp_batch_init(&rg[n].rows, s->base.schema);
		n++;
	}
	/* The parts may have moved while being added: point at them now. */
	for (size_t i = 0, j = 0; i < ne; i++) {
		const struct tpo *from = tpo_find(start, ns, end[i].topic, end[i].id);

		if (from && end[i].off > from->off)
			rg[j++].p = part_get(s, end[i].topic, end[i].id, end[i].off, NULL);
	}
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = fetch_start(s, rg[i].p, rg[i].cur, err);
	if (r == 0)
		r = read_ranges(s, rg, n, err);
	if (r == 0)
		r = sp_srcimpl_rows(impl, &s->rows, err);
	for (size_t i = 0; i < n; i++) {
		fetch_stop(rg[i].p);
		sp_batch_release(&rg[i].rows);
	}
done:
	free(rg);
	tpo_free(start, ns);
	tpo_free(end, ne);
	free(sj);
	free(ej);
	return r;
}

static char *kafka_progress(struct sp_srcimpl *impl, int64_t id, const char *entry, uint64_t rows)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;
	struct sp_err err = SP_ERR_INIT;
	char *sj = sp_source_member(entry, "start", &err), *ej = sp_source_member(entry, "end", &err), *r;
	struct sp_buf desc = SP_BUF_INIT;

	(void)id;
	switch (s->sub) {
	case SUB_TOPICS:
		sp_buf_puts(&desc, "KafkaV2[Subscribe[");
		for (size_t i = 0; i < s->ntopics; i++)
			sp_buf_printf(&desc, "%s%s", i ? ", " : "", s->topics[i]);
		sp_buf_puts(&desc, "]]");
		break;
	case SUB_PATTERN:
		sp_buf_printf(&desc, "KafkaV2[SubscribePattern[%s]]", s->pattern);
		break;
	case SUB_ASSIGN:
		sp_buf_puts(&desc, "KafkaV2[Assign[");
		for (size_t i = 0; i < s->nassign; i++)
			sp_buf_printf(&desc, "%s%s-%d", i ? ", " : "", s->assign[i].topic, (int)s->assign[i].id);
		sp_buf_puts(&desc, "]]");
		break;
	}
	{
		struct json_object *d = json_object_new_string(desc.p);

		r = sp_xasprintf("[{\"description\":%s,\"startOffset\":%s,\"endOffset\":%s,\"numInputRows\":%llu}]",
				 sp_jsonc_text(d), sj ? sj : "null", ej ? ej : "null", (unsigned long long)rows);
		json_object_put(d);
	}
	sp_buf_release(&desc);
	free(sj);
	free(ej);
	return r;
}

/* ---- committing to the consumer group, for lag tools ---- */

static int kafka_committed(struct sp_srcimpl *impl, int64_t last, int64_t committed, struct sp_err *err)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;
	rd_kafka_topic_partition_list_t *l;
	struct tpo *end = NULL;
	size_t n = 0;
	char *text = NULL, *ej = NULL;
	rd_kafka_resp_err_t e;
	int64_t b = s->offsets ? committed : last;

	/* Without a checkpoint there is no sink commit to wait for: what was emitted counts. */
	if (!s->commit || b < 0 || b <= s->group_done)
		return 0;
	if (s->offsets) {
		if (sp_log_get(s->offsets, b, &text, err) != 0)
			return err->set ? -1 : 0;
		ej = sp_source_member(text, "end", err);
		free(text);
	} else {
		ej = s->planned ? sp_xstrdup(s->planned) : NULL;
	}
	if (!ej || tpo_parse(ej, 0, "offsets log entry", &end, &n, err) < 0) {
		free(ej);
		return -1;
	}
	free(ej);
	l = rd_kafka_topic_partition_list_new((int)n);
	for (size_t i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, end[i].topic, end[i].id)->offset = end[i].off;
	e = rd_kafka_commit(s->rk, l, 0);
	rd_kafka_topic_partition_list_destroy(l);
	tpo_free(end, n);
	/* The checkpoint is what counts: a failed group commit only delays what lag tools see. */
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
		sp_warn("warning: cannot commit batch %lld's offsets to the consumer group: %s", (long long)b,
			rd_kafka_err2str(e));
	else
		s->group_done = b;
	return 0;
}

/* ---- life ---- */

static int kafka_start(struct sp_srcimpl *impl, const char *ckdir, struct sp_log *offsets, struct sp_err *err)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;
	int64_t last = offsets ? sp_log_latest(offsets) : -1;
	char *text = NULL, *ej = NULL;
	struct tpo *end = NULL;
	size_t n = 0;
	int r;

	s->offsets = offsets;
	if (ckdir)
		s->initial_dir = sp_xasprintf("%s/sources/0", ckdir);
	s->base.schema = kafka_schema(s->headers);
	sp_batch_init(&s->rows, s->base.schema);
	s->group_done = -1;
	if (last >= 0) {
		/* Go on from where the last planned batch ends. */
		if ((r = sp_log_get(offsets, last, &text, err)) != 0)
			return r < 0 ? -1 : sp_err_set(err, "offsets log entry %lld is missing in '%s'", (long long)last,
						       sp_log_dir(offsets));
		ej = sp_source_member(text, "end", err);
		free(text);
		if (!ej || tpo_parse(ej, 0, "offsets log entry", &end, &n, err) < 0) {
			sp_err_prefix(err, "'%s/%lld'", sp_log_dir(offsets), (long long)last);
			free(ej);
			return -1;
		}
		free(ej);
		for (size_t i = 0; i < n; i++)
			part_get(s, end[i].topic, end[i].id, end[i].off, NULL)->next = end[i].off;
		tpo_free(end, n);
		s->fresh = 0;
	} else if (s->initial_dir && load_initial(s, err) < 0) {
		return -1;
	}
	s->last_batch = sp_mono_us();
	return refresh(s, 1, err);
}

static void kafka_wait(struct sp_srcimpl *impl, int64_t timeout)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;

	/* Serves librdkafka's callbacks (errors, logs) while idle. */
	rd_kafka_poll(s->rk, (int)(timeout / 1000));
}

static void kafka_free(struct sp_srcimpl *impl)
{
	struct kafkasrc *s = (struct kafkasrc *)impl;

	if (!s)
		return;
	for (size_t i = 0; i < s->nparts; i++)
		part_release(&s->parts[i]);
	free(s->parts);
	if (s->q)
		rd_kafka_queue_destroy(s->q);
	if (s->rk)
		rd_kafka_destroy(s->rk);
	sp_batch_release(&s->rows);
	sp_type_unref(s->base.schema);
	for (size_t i = 0; i < s->ntopics; i++)
		free(s->topics[i]);
	free(s->topics);
	if (s->pattern)
		regfree(&s->re);
	tpo_free(s->assign, s->nassign);
	tpo_free(s->starting, s->nstarting);
	tpo_free(s->ending, s->nending);
	free(s->brokers);
	free(s->planned);
	free(s->initial_dir);
	free(s);
}

static const struct sp_source_ops kafka_ops = {
	kafka_start, kafka_plan, kafka_read, kafka_progress, kafka_committed, kafka_wait, NULL, kafka_free,
};

static const char kafka_keys[] =
	"subscribe, subscribePattern, assign, startingOffsets, startingTimestamp, startingOffsetsByTimestamp, "
	"startingOffsetsByTimestampStrategy, endingOffsets, maxOffsetsPerTrigger, minOffsetsPerTrigger, "
	"maxTriggerDelay, failOnDataLoss, includeHeaders, commitOffsetsToGroup, kafkaConsumer.pollTimeoutMs, "
	"kafka.*";

/* subscribe, subscribePattern or assign: exactly one, as Spark. */
static void parse_subscription(struct kafkasrc *s, struct sp_kvs *kv)
{
	const char *sub = sp_kvs_get(kv, "subscribe", NULL), *pat = sp_kvs_get(kv, "subscribePattern", NULL);
	const char *as = sp_kvs_get(kv, "assign", NULL);
	struct sp_err err = SP_ERR_INIT;
	int n = !!sub + !!pat + !!as, e;

	if (n != 1)
		sp_usage_error("kafka: %s of the options -o subscribe, -o subscribePattern, -o assign must be given",
			       n ? "only one" : "one");
	if (sub) {
		char *copy = sp_xstrdup(sub), *save = NULL;
		size_t cap = 0;

		s->sub = SUB_TOPICS;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			while (*t == ' ')
				t++;
			for (char *z = t + strlen(t); z > t && z[-1] == ' ';)
				*--z = '\0';
			if (!*t)
				continue;
			sp_grow(&s->topics, &cap, s->ntopics + 1, sizeof *s->topics);
			s->topics[s->ntopics++] = sp_xstrdup(t);
		}
		free(copy);
		if (!s->ntopics)
			sp_usage_error("option -o subscribe: no topic given");
	} else if (pat) {
		s->sub = SUB_PATTERN;
		if ((e = regcomp(&s->re, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
			char msg[256];

			regerror(e, &s->re, msg, sizeof msg);
			sp_usage_error("option -o subscribePattern=%s: %s", pat, msg);
		}
		s->pattern = pat;
	} else {
		s->sub = SUB_ASSIGN;
		if (tpo_parse(as, 1, "option -o assign", &s->assign, &s->nassign, &err) < 0)
			sp_usage_error("%s", err.msg);
		if (!s->nassign)
			sp_usage_error("option -o assign: no partition given");
	}
}

static void parse_offsets(struct kafkasrc *s, struct sp_kvs *kv)
{
	const char *so = sp_kvs_get(kv, "startingOffsets", "latest"), *st = sp_kvs_get(kv, "startingTimestamp", NULL);
	const char *sbt = sp_kvs_get(kv, "startingOffsetsByTimestamp", NULL);
	const char *strat = sp_kvs_get(kv, "startingOffsetsByTimestampStrategy", "error");
	const char *eo = sp_kvs_get(kv, "endingOffsets", NULL);
	struct sp_err err = SP_ERR_INIT;

	if (!strcasecmp(strat, "error") || !strcasecmp(strat, "latest"))
		s->ts_fail = !strcasecmp(strat, "error");
	else
		sp_usage_error("option -o startingOffsetsByTimestampStrategy=%s: expected error or latest", strat);
	/* Spark's precedence: startingTimestamp, then startingOffsetsByTimestamp, then startingOffsets. */
	if (st) {
		char *end;
		long long ts = strtoll(st, &end, 10);

		if (end == st || *end || ts < 0)
			sp_usage_error("option -o startingTimestamp=%s: expected milliseconds since 1970-01-01 UTC", st);
		s->start_default = OFF_BY_TIME;
		s->start_ts = ts;
	} else if (sbt) {
		if (tpo_parse(sbt, 0, "option -o startingOffsetsByTimestamp", &s->starting, &s->nstarting, &err) < 0)
			sp_usage_error("%s", err.msg);
		s->by_time_json = 1;
		s->start_default = OFF_LATEST;
	} else if (!strcasecmp(so, "earliest") || !strcasecmp(so, "latest")) {
		s->start_default = !strcasecmp(so, "earliest") ? OFF_EARLIEST : OFF_LATEST;
	} else {
		if (tpo_parse(so, 0, "option -o startingOffsets", &s->starting, &s->nstarting, &err) < 0)
			sp_usage_error("%s", err.msg);
		for (size_t i = 0; i < s->nstarting; i++)
			if (s->starting[i].off < OFF_EARLIEST)
				sp_usage_error("option -o startingOffsets: topic '%s' partition %d: offset %lld "
					       "(use -2 for earliest, -1 for latest)", s->starting[i].topic,
					       (int)s->starting[i].id, (long long)s->starting[i].off);
		s->start_default = OFF_LATEST;
	}
	if (eo && !strcasecmp(eo, "latest")) {
		s->end_latest = 1;
	} else if (eo && !strcasecmp(eo, "earliest")) {
		sp_usage_error("option -o endingOffsets=earliest: only latest or per-partition offsets (JSON)");
	} else if (eo) {
		if (tpo_parse(eo, 0, "option -o endingOffsets", &s->ending, &s->nending, &err) < 0)
			sp_usage_error("%s", err.msg);
		for (size_t i = 0; i < s->nending; i++)
			if (s->ending[i].off < OFF_LATEST)
				sp_usage_error("option -o endingOffsets: topic '%s' partition %d: offset %lld "
					       "(-1 is latest; earliest is not allowed)", s->ending[i].topic,
					       (int)s->ending[i].id, (long long)s->ending[i].off);
	}
}

int sp_kafkasource_new(struct sp_srcimpl **impl, struct sp_kvs *kv, struct sp_err *err)
{
	static const char *const defs[] = {
		"client.id", "stream-read",
		"enable.auto.commit", "false",
		"enable.auto.offset.store", "false",
		"auto.offset.reset", "error",
		"enable.partition.eof", "true",
		/*
		 * A batch's ranges hold records already there: the brokers need not
		 * wait for more, and a fetch in flight delays the next batch's start.
		 */
		"fetch.wait.max.ms", "1",
		NULL,
	};
	struct kafkasrc *s = sp_xcalloc(1, sizeof *s);
	rd_kafka_conf_t *conf = NULL;
	const char *cg;
	char buf[512];
	size_t len = sizeof buf;
	int64_t us;

	*impl = NULL;
	s->base.ops = &kafka_ops;
	s->base.keep = INT64_MAX;
	s->fresh = 1;
	parse_subscription(s, kv);
	parse_offsets(s, kv);
	s->max_per = sp_kvs_long(kv, "maxOffsetsPerTrigger", 0, 1, INT64_MAX / 2);
	s->min_per = sp_kvs_long(kv, "minOffsetsPerTrigger", 0, 1, INT64_MAX / 2);
	if (sp_duration_parse(sp_kvs_get(kv, "maxTriggerDelay", "15m"), &us, "option -o maxTriggerDelay", err) < 0)
		sp_usage_error("%s", err->msg);
	if (us < 0)
		sp_usage_error("option -o maxTriggerDelay: must not be negative");
	s->max_delay = us;
	s->fail_on_loss = sp_kvs_bool(kv, "failOnDataLoss", 1);
	s->headers = sp_kvs_bool(kv, "includeHeaders", 0);
	s->timeout = (int)sp_kvs_long(kv, "kafkaConsumer.pollTimeoutMs", 10000, 1, INT32_MAX);
	cg = sp_kvs_get(kv, "kafka.group.id", NULL);
	s->commit = sp_kvs_bool(kv, "commitOffsetsToGroup", cg != NULL);
	if (s->commit && !cg)
		sp_usage_error("option -o commitOffsetsToGroup=true needs -o kafka.group.id=GROUP");
	s->base.await_commit = s->commit;
	if (sp_kafka_conf(&conf, kv, defs, 1, err) < 0)
		goto fail;
	sp_kvs_check_used(kv, "kafka", kafka_keys);
	if (rd_kafka_conf_get(conf, "bootstrap.servers", buf, &len) != RD_KAFKA_CONF_OK)
		buf[0] = '\0';
	s->brokers = sp_xstrdup(buf);
	if (sp_kafka_new(&s->rk, RD_KAFKA_CONSUMER, conf, err) < 0) {
		rd_kafka_conf_destroy(conf);
		goto fail;
	}
	s->q = rd_kafka_queue_new(s->rk);
	*impl = &s->base;
	return 0;
fail:
	kafka_free(&s->base);
	return -1;
}
