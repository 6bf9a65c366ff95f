/*
 * sockrate.c: the socket and rate sources behind the engine (source.h), as
 * Spark's "socket", "rate" and "rate-micro-batch" formats.
 *
 * rate: rows (timestamp, value) generated at rowsPerSecond, after a linear
 * ramp up over rampUpTime. An offset is a whole second since the stream's
 * creation; batch [s0, s1) holds the values valueAtSecond(s0) up to
 * valueAtSecond(s1), spread over the batch's seconds, read partition by
 * partition (value v belongs to partition (v - first) % numPartitions), so
 * a batch is a pure function of its offsets and a replay is identical.
 * rowsPerSecond=10, rampUpTime=4s:
 *
 *   second      0  1  2  3  4  5  6
 *   rows/s      0  2  4  6  8 10 10
 *   value at    0  2  6 12 20 30 40
 *
 * With rowsPerBatch (rate-micro-batch), batch n holds the values
 * [n * rowsPerBatch, (n + 1) * rowsPerBatch), all with the timestamp
 * startTimestamp + n * advanceMillisPerBatch, whatever the clock says.
 *
 * socket: text lines read from a TCP server, one row per line. What was
 * read cannot be read again, so there is no checkpoint: at-most-once.
 */
#include "source.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "jsonc.h"
#include "timefmt.h"

/* Rows per row frame. */
#define ROWS_PER_FLUSH 16384
/* Bytes of one socket batch, at most (the rest waits for the next batch). */
#define SOCK_BATCH_BYTES (4 << 20)
/* Longest line accepted from a socket. */
#define SOCK_MAX_LINE (64 << 20)
/* Connecting gives up after this long. */
#define CONNECT_TIMEOUT_MS 10000

/* Reads integer member key of entry into *v; -1 with err set if it is not there. */
static int entry_long(const char *entry, const char *key, int64_t *v, struct sp_err *err)
{
	struct json_object *o = json_tokener_parse(entry), *m;
	int r = -1;

	if (o && json_object_object_get_ex(o, key, &m) && json_object_is_type(m, json_type_int)) {
		*v = json_object_get_int64(m);
		r = 0;
	} else {
		sp_err_set(err, "bad offsets log entry: no \"%s\" in '%.80s'", key, entry);
	}
	json_object_put(o);
	return r;
}

/* ---- rate ---- */

struct rate {
	struct sp_srcimpl base;
	struct sp_batch rows;
	int64_t rps;			/* rowsPerSecond */
	int64_t ramp;			/* rampUpTime, seconds */
	int64_t parts;			/* numPartitions */
	int64_t per_batch;		/* rowsPerBatch: rate-micro-batch; 0 otherwise */
	int64_t start_ts;		/* startTimestamp, ms (micro-batch) */
	int64_t advance;		/* advanceMillisPerBatch (micro-batch) */
	int64_t created;		/* ms: second 0 of the stream */
	int64_t end;			/* the last planned batch's end (seconds, or values) */
	int64_t next_ts;		/* micro-batch: the next batch's timestamp, ms */
};

/* Spark's RateStreamProvider.valueAtSecond. */
static int64_t value_at(int64_t s, int64_t rps, int64_t ramp)
{
	int64_t delta = rps / (ramp + 1);

	if (s <= ramp)
		return s % 2 == 1 ? (s + 1) / 2 * delta * s : s / 2 * delta * (s + 1);
	return value_at(ramp, rps, ramp) + (s - ramp) * rps;
}

static struct sp_type *rate_schema(void)
{
	struct sp_type *t = sp_type_new_struct();

	sp_type_add_field(t, "timestamp", sp_type_prim(SP_T_TIMESTAMP), 0);
	sp_type_add_field(t, "value", sp_type_prim(SP_T_LONG), 0);
	return t;
}

static int rate_start(struct sp_srcimpl *impl, const char *ckdir, struct sp_log *offsets, struct sp_err *err)
{
	struct rate *s = (struct rate *)impl;
	int64_t last = offsets ? sp_log_latest(offsets) : -1;
	char *text = NULL;
	int r = 0;

	(void)ckdir;
	s->base.schema = rate_schema();
	sp_batch_init(&s->rows, s->base.schema);
	s->created = sp_now_us() / 1000;
	s->next_ts = s->start_ts;
	if (last < 0)
		return 0;
	/* Go on from the last planned batch, on the same clock. */
	if ((r = sp_log_get(offsets, last, &text, err)) != 0)
		return r < 0 ? -1 : sp_err_set(err, "offsets log entry %lld is missing in '%s'", (long long)last,
					       sp_log_dir(offsets));
	if (s->per_batch) {
		r = entry_long(text, "endValue", &s->end, err);
		if (r == 0)
			r = entry_long(text, "batchTimestampMs", &s->next_ts, err);
		s->next_ts += s->advance;
	} else {
		r = entry_long(text, "endSecond", &s->end, err);
		if (r == 0)
			r = entry_long(text, "creationTimeMs", &s->created, err);
	}
	if (r < 0)
		sp_err_prefix(err, "'%s/%lld'", sp_log_dir(offsets), (long long)last);
	free(text);
	return r;
}

static int rate_plan(struct sp_srcimpl *impl, enum sp_trigger trig, char **members, struct sp_err *err)
{
	struct rate *s = (struct rate *)impl;
	int64_t now;

	(void)trig;
	(void)err;
	if (s->per_batch) {
		*members = sp_xasprintf("\"startValue\":%lld,\"endValue\":%lld,\"batchTimestampMs\":%lld",
					(long long)s->end, (long long)(s->end + s->per_batch), (long long)s->next_ts);
		s->end += s->per_batch;
		s->next_ts += s->advance;
		return SP_PLAN_BATCH;
	}
	now = (sp_now_us() / 1000 - s->created) / 1000;
	if (now <= s->end)
		return SP_PLAN_NONE;
	*members = sp_xasprintf("\"startSecond\":%lld,\"endSecond\":%lld,\"creationTimeMs\":%lld", (long long)s->end,
				(long long)now, (long long)s->created);
	s->end = now;
	return SP_PLAN_BATCH;
}

static int rate_read(struct sp_srcimpl *impl, int64_t id, const char *entry, struct sp_err *err)
{
	struct rate *s = (struct rate *)impl;
	int64_t first, end, base_ms, a, b, created;
	double ms_per_value = 0;

	(void)id;
	if (s->per_batch) {
		if (entry_long(entry, "startValue", &first, err) < 0 || entry_long(entry, "endValue", &end, err) < 0 ||
		    entry_long(entry, "batchTimestampMs", &base_ms, err) < 0)
			return -1;
	} else {
		if (entry_long(entry, "startSecond", &a, err) < 0 || entry_long(entry, "endSecond", &b, err) < 0 ||
		    entry_long(entry, "creationTimeMs", &created, err) < 0)
			return -1;
		first = value_at(a, s->rps, s->ramp);
		end = value_at(b, s->rps, s->ramp);
		base_ms = created + a * 1000;
		if (end > first)
			ms_per_value = (double)(b - a) * 1000 / (double)(end - first);
	}
	for (int64_t p = 0; p < s->parts; p++) {
		for (int64_t v = first + p; v < end; v += s->parts) {
			int64_t ms = base_ms + (s->per_batch ? 0 : llround((double)(v - first) * ms_per_value));

			sp_col_push_i64(&s->rows.cols[0], ms * 1000);
			sp_col_push_i64(&s->rows.cols[1], v);
			sp_batch_row_done(&s->rows);
			if (s->rows.n >= ROWS_PER_FLUSH && sp_srcimpl_rows(impl, &s->rows, err) < 0)
				return -1;
		}
		if (sp_stop_signal() == SIGINT)
			return sp_err_set(err, "interrupted");
	}
	return sp_srcimpl_rows(impl, &s->rows, err);
}

static char *rate_progress(struct sp_srcimpl *impl, int64_t id, const char *entry, uint64_t rows)
{
	struct rate *s = (struct rate *)impl;
	struct sp_err err = SP_ERR_INIT;
	int64_t a = 0, b = 0;

	(void)id;
	if (s->per_batch) {
		entry_long(entry, "startValue", &a, &err);
		entry_long(entry, "endValue", &b, &err);
		return sp_xasprintf("[{\"description\":\"RatePerMicroBatchStream[rowsPerBatch=%lld, numPartitions=%lld]\","
				    "\"startOffset\":%lld,\"endOffset\":%lld,\"numInputRows\":%llu}]",
				    (long long)s->per_batch, (long long)s->parts, (long long)a, (long long)b,
				    (unsigned long long)rows);
	}
	entry_long(entry, "startSecond", &a, &err);
	entry_long(entry, "endSecond", &b, &err);
	return sp_xasprintf("[{\"description\":\"RateStreamV2[rowsPerSecond=%lld, rampUpTimeSeconds=%lld, "
			    "numPartitions=%lld]\",\"startOffset\":%lld,\"endOffset\":%lld,\"numInputRows\":%llu}]",
			    (long long)s->rps, (long long)s->ramp, (long long)s->parts, (long long)a, (long long)b,
			    (unsigned long long)rows);
}

/* Sleeps to the next whole second of the stream, or timeout. */
static void rate_wait(struct sp_srcimpl *impl, int64_t timeout)
{
	struct rate *s = (struct rate *)impl;
	int64_t ms = sp_now_us() / 1000 - s->created, left = (1000 - ms % 1000) * 1000 + 1000;

	if (s->per_batch)
		return;
	usleep((useconds_t)(left < timeout ? left : timeout));
}

static void rate_free(struct sp_srcimpl *impl)
{
	struct rate *s = (struct rate *)impl;

	if (!s)
		return;
	sp_batch_release(&s->rows);
	sp_type_unref(s->base.schema);
	free(s);
}

static const struct sp_source_ops rate_ops = {
	rate_start, rate_plan, rate_read, rate_progress, NULL, rate_wait, NULL, rate_free,
};

/* A duration option in whole seconds (Spark's timeStringAsSec: "5s", "1 minute", or "5" for seconds). */
static int64_t seconds_opt(struct sp_kvs *kv, const char *key, const char *def)
{
	const char *v = sp_kvs_get(kv, key, def);
	struct sp_err err = SP_ERR_INIT;
	char *end, *what = sp_xasprintf("option -o %s", key);
	long long n = strtoll(v, &end, 10);
	int64_t us;

	if (end != v && !*end) {
		us = n * SP_US_PER_SEC;
	} else if (sp_duration_parse(v, &us, what, &err) < 0) {
		sp_usage_error("%s", err.msg);
	}
	free(what);
	if (us < 0)
		sp_usage_error("option -o %s=%s: must not be negative", key, v);
	return us / SP_US_PER_SEC;
}

int sp_ratesource_new(struct sp_srcimpl **impl, const char *format, struct sp_kvs *kv, struct sp_err *err)
{
	struct rate *s = sp_xcalloc(1, sizeof *s);
	int micro = !strcasecmp(format, "rate-micro-batch") || sp_kvs_get(kv, "rowsPerBatch", NULL);

	(void)err;
	s->base.ops = &rate_ops;
	s->base.keep = INT64_MAX;
	s->parts = sp_kvs_long(kv, "numPartitions", 1, 1, 1 << 20);
	if (micro) {
		s->per_batch = sp_kvs_long(kv, "rowsPerBatch", 0, 1, INT64_MAX / 2);
		s->start_ts = sp_kvs_long(kv, "startTimestamp", 0, 0, INT64_MAX / 4000);
		s->advance = sp_kvs_long(kv, "advanceMillisPerBatch", 1000, 0, INT64_MAX / 4000);
		if (!s->per_batch)
			sp_usage_error("rate-micro-batch: option -o rowsPerBatch is required");
		sp_kvs_check_used(kv, format, "rowsPerBatch, numPartitions, startTimestamp, advanceMillisPerBatch");
	} else {
		s->rps = sp_kvs_long(kv, "rowsPerSecond", 1, 1, INT64_MAX / 4000);
		s->ramp = seconds_opt(kv, "rampUpTime", "0s");
		if (s->ramp >= INT32_MAX)
			sp_usage_error("option -o rampUpTime: too long");
		if (s->ramp && s->rps / (s->ramp + 1) == 0)
			sp_usage_error("option -o rampUpTime=%lld seconds: rowsPerSecond=%lld is too small to ramp up over it "
				       "(it must be at least rampUpTime in seconds + 1)", (long long)s->ramp, (long long)s->rps);
		sp_kvs_check_used(kv, format, "rowsPerSecond, rampUpTime, numPartitions, rowsPerBatch");
	}
	*impl = &s->base;
	return 0;
}

/* ---- socket ---- */

struct sock {
	struct sp_srcimpl base;
	struct sp_batch rows;
	const char *host, *port;	/* borrowed from the options */
	int stamp;			/* includeTimestamp */
	int fd;
	int eof;			/* the server closed the connection */
	struct sp_buf in;		/* bytes read, not yet planned */
	struct sp_buf batch;		/* the planned batch's lines, each ending in '\n' */
	int64_t batch_ts;		/* when they were read, us (ms precision, as Spark) */
	int64_t lines;			/* lines planned so far (Spark's offsets) */
};

static struct sp_type *sock_schema(int stamp)
{
	struct sp_type *t = sp_type_new_struct();

	sp_type_add_field(t, "value", sp_type_prim(SP_T_STRING), 0);
	if (stamp)
		sp_type_add_field(t, "timestamp", sp_type_prim(SP_T_TIMESTAMP), 0);
	return t;
}

/* Connects, giving up after CONNECT_TIMEOUT_MS. */
static int sock_connect(struct sock *s, struct sp_err *err)
{
	struct addrinfo hints, *ai = NULL, *p;
	int e, fd = -1, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(s->host, s->port, &hints, &ai)) != 0)
		return sp_err_set(err, "socket %s:%s: %s", s->host, s->port, gai_strerror(e));
	for (p = ai; p; p = p->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof saved;

		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol)) < 0) {
			saved = errno;
			continue;
		}
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		saved = errno;
		if (errno == EINPROGRESS) {
			pfd = (struct pollfd){ fd, POLLOUT, 0 };
			if ((e = poll(&pfd, 1, CONNECT_TIMEOUT_MS)) == 0)
				saved = ETIMEDOUT;
			else if (e > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &len) == 0 && !saved)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		errno = saved;
		return sp_err_sys(err, "cannot connect to %s:%s", s->host, s->port);
	}
	s->fd = fd;
	return 0;
}

static int sock_start(struct sp_srcimpl *impl, const char *ckdir, struct sp_log *offsets, struct sp_err *err)
{
	struct sock *s = (struct sock *)impl;

	(void)ckdir;
	(void)offsets;
	s->base.schema = sock_schema(s->stamp);
	sp_batch_init(&s->rows, s->base.schema);
	return sock_connect(s, err);
}

/* Reads what the socket has now, without waiting: a batch's worth, and at least a whole line. */
static int sock_fill(struct sock *s, struct sp_err *err)
{
	int nl = s->in.len && memchr(s->in.p, '\n', s->in.len);

	while (!s->eof && s->in.len <= SOCK_MAX_LINE && (s->in.len < SOCK_BATCH_BYTES || !nl)) {
		char *p = sp_buf_room(&s->in, 65536);
		ssize_t n = read(s->fd, p, 65536);

		if (n > 0) {
			nl = nl || memchr(p, '\n', (size_t)n);
			s->in.len += (size_t)n;
			s->in.p[s->in.len] = '\0';
		} else if (n == 0) {
			s->eof = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return 0;
		} else if (errno != EINTR) {
			return sp_err_sys(err, "socket %s:%s", s->host, s->port);
		}
	}
	return 0;
}

/* A batch is every complete line there now (at the end of the stream, the last one too). */
static int sock_plan(struct sp_srcimpl *impl, enum sp_trigger trig, char **members, struct sp_err *err)
{
	struct sock *s = (struct sock *)impl;
	size_t take = 0;
	int64_t n = 0;

	(void)trig;
	if (sock_fill(s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->in.len; i++)
		if (s->in.p[i] == '\n') {
			take = i + 1;
			n++;
		}
	if (s->eof && take < s->in.len) {
		sp_buf_add(&s->in, "\n", 1);
		take = s->in.len;
		n++;
	}
	if (!take && s->in.len > SOCK_MAX_LINE)
		return sp_err_set(err, "socket %s:%s: line %lld is longer than %d bytes", s->host, s->port,
				  (long long)s->lines + 1, SOCK_MAX_LINE);
	if (!take)
		return s->eof ? SP_PLAN_END : SP_PLAN_NONE;
	sp_buf_reset(&s->batch);
	sp_buf_add(&s->batch, s->in.p, take);
	memmove(s->in.p, s->in.p + take, s->in.len - take);
	s->in.len -= take;
	s->batch_ts = sp_now_us() / 1000 * 1000;
	*members = sp_xasprintf("\"startLine\":%lld,\"endLine\":%lld", (long long)s->lines, (long long)(s->lines + n));
	s->lines += n;
	return SP_PLAN_BATCH;
}

static int sock_read(struct sp_srcimpl *impl, int64_t id, const char *entry, struct sp_err *err)
{
	struct sock *s = (struct sock *)impl;
	const char *p = s->batch.p, *end = p + s->batch.len;

	(void)id;
	(void)entry;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);

		if (len && p[len - 1] == '\r')
			len--;
		sp_col_push_bytes(&s->rows.cols[0], p, len);
		if (s->stamp)
			sp_col_push_i64(&s->rows.cols[1], s->batch_ts);
		sp_batch_row_done(&s->rows);
		if (s->rows.n >= ROWS_PER_FLUSH && sp_srcimpl_rows(impl, &s->rows, err) < 0)
			return -1;
		p = nl + 1;
	}
	sp_buf_reset(&s->batch);
	return sp_srcimpl_rows(impl, &s->rows, err);
}

static char *sock_progress(struct sp_srcimpl *impl, int64_t id, const char *entry, uint64_t rows)
{
	struct sock *s = (struct sock *)impl;
	struct sp_err err = SP_ERR_INIT;
	int64_t a = 0, b = 0;

	(void)id;
	entry_long(entry, "startLine", &a, &err);
	entry_long(entry, "endLine", &b, &err);
	return sp_xasprintf("[{\"description\":\"TextSocketV2[host: %s, port: %s]\",\"startOffset\":%lld,"
			    "\"endOffset\":%lld,\"numInputRows\":%llu}]", s->host, s->port, (long long)a, (long long)b,
			    (unsigned long long)rows);
}

static void sock_wait(struct sp_srcimpl *impl, int64_t timeout)
{
	struct sock *s = (struct sock *)impl;
	struct pollfd pfd = { s->fd, POLLIN, 0 };

	if (s->eof)
		return;
	poll(&pfd, 1, (int)(timeout / 1000));
}

static void sock_free(struct sp_srcimpl *impl)
{
	struct sock *s = (struct sock *)impl;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	sp_buf_release(&s->in);
	sp_buf_release(&s->batch);
	sp_batch_release(&s->rows);
	sp_type_unref(s->base.schema);
	free(s);
}

static const struct sp_source_ops sock_ops = {
	sock_start, sock_plan, sock_read, sock_progress, NULL, sock_wait, NULL, sock_free,
};

int sp_socksource_new(struct sp_srcimpl **impl, struct sp_kvs *kv, struct sp_err *err)
{
	struct sock *s = sp_xcalloc(1, sizeof *s);

	(void)err;
	s->base.ops = &sock_ops;
	s->base.keep = INT64_MAX;
	s->fd = -1;
	s->host = sp_kvs_get(kv, "host", NULL);
	s->port = sp_kvs_get(kv, "port", NULL);
	s->stamp = sp_kvs_bool(kv, "includeTimestamp", 0);
	sp_kvs_check_used(kv, "socket", "host, port, includeTimestamp");
	if (!s->host || !*s->host)
		sp_usage_error("socket: option -o host=HOST is required");
	if (!s->port || !*s->port)
		sp_usage_error("socket: option -o port=PORT is required");
	*impl = &s->base;
	return 0;
}
