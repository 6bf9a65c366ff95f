/*
 * kafka.c: the client configuration from -o kafka.* options, librdkafka's
 * log and error callbacks, and error messages (see kafka.h).
 */
#include "kafka.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_error[512];

/* librdkafka's levels are syslog's: 3 error, 4 warning, 5 notice, 6 info, 7 debug. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	int need = level <= 4 ? 2 : level <= 6 ? 3 : 4;

	(void)rk;
	if (sp_verbose >= need)
		sp_warn("kafka: %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	pthread_mutex_lock(&last_lock);
	snprintf(last_error, sizeof last_error, "%s", reason && *reason ? reason : rd_kafka_err2str(e));
	pthread_mutex_unlock(&last_lock);
	if (sp_verbose >= 2)
		sp_warn("kafka: %s", reason && *reason ? reason : rd_kafka_err2str(e));
}

const char *sp_kafka_last_error(char *buf, size_t size)
{
	pthread_mutex_lock(&last_lock);
	snprintf(buf, size, "%s", last_error);
	pthread_mutex_unlock(&last_lock);
	return buf;
}

int sp_kafka_conf_set(rd_kafka_conf_t *conf, const char *prop, const char *val, const char *opt,
		      struct sp_err *err)
{
	char errstr[512];
	size_t n;

	if (rd_kafka_conf_set(conf, prop, val, errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
		return 0;
	/* librdkafka ends some of its messages with a full stop or a newline */
	n = strlen(errstr);
	while (n && (errstr[n - 1] == '\n' || errstr[n - 1] == '.'))
		errstr[--n] = '\0';
	if (opt)
		return sp_err_usage(err, "%s=%s: %s", opt, val, errstr);
	return sp_err_usage(err, "property '%s=%s': %s", prop, val, errstr);
}

int sp_kafka_conf(rd_kafka_conf_t **conf, struct sp_kvs *kv, const char *const *defs, int need_brokers,
		  struct sp_err *err)
{
	size_t plen = strlen(SP_KAFKA_PREFIX);
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	int brokers = 0;

	*conf = NULL;
	rd_kafka_conf_set_log_cb(c, log_cb);
	rd_kafka_conf_set_error_cb(c, error_cb);
	/* connection closes are routine (idle brokers); report them with -v only through the log */
	if (sp_kafka_conf_set(c, "log.connection.close", "false", NULL, err) < 0)
		goto fail;
	for (; defs && defs[0]; defs += 2)
		if (sp_kafka_conf_set(c, defs[0], defs[1], NULL, err) < 0)
			goto fail;
	for (size_t i = 0; i < kv->n; i++) {
		struct sp_kv *o = &kv->v[i];
		char *opt, *prop;
		int r;

		if (strncasecmp(o->key, SP_KAFKA_PREFIX, plen) || !o->key[plen])
			continue;
		o->used = 1;
		if (!strcasecmp(o->key + plen, "bootstrap.servers"))
			brokers = *o->val != '\0';
		/* librdkafka's names are lower case; Spark lower-cases its option names too */
		prop = sp_xstrdup(o->key + plen);
		for (char *p = prop; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		opt = sp_xasprintf("option -o %s", o->key);
		r = sp_kafka_conf_set(c, prop, o->val, opt, err);
		free(opt);
		free(prop);
		if (r < 0)
			goto fail;
	}
	if (need_brokers && !brokers) {
		sp_err_usage(err, "option -o kafka.bootstrap.servers=HOST:PORT[,...] is required");
		goto fail;
	}
	*conf = c;
	return 0;
fail:
	rd_kafka_conf_destroy(c);
	return -1;
}

int sp_kafka_new(rd_kafka_t **rk, rd_kafka_type_t type, rd_kafka_conf_t *conf, struct sp_err *err)
{
	char errstr[512];

	*rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
	if (!*rk)
		return sp_err_usage(err, "cannot create the Kafka %s: %s",
				    type == RD_KAFKA_PRODUCER ? "producer" : "consumer", errstr);
	return 0;
}

void sp_kafka_destroy(rd_kafka_t *rk, int timeout_ms)
{
	if (!rk)
		return;
	if (timeout_ms > 0)
		rd_kafka_flush(rk, timeout_ms);
	rd_kafka_destroy(rk);
}

static int verr(struct sp_err *err, const char *why, const char *fmt, va_list ap)
{
	char what[512];

	vsnprintf(what, sizeof what, fmt, ap);
	return sp_err_set(err, "%s: %s", what, why);
}

int sp_kafka_err(struct sp_err *err, rd_kafka_resp_err_t e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(err, rd_kafka_err2str(e), fmt, ap);
	va_end(ap);
	return r;
}

int sp_kafka_error(struct sp_err *err, rd_kafka_error_t *error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(err, error ? rd_kafka_error_string(error) : "unknown error", fmt, ap);
	va_end(ap);
	if (error)
		rd_kafka_error_destroy(error);
	return r;
}
