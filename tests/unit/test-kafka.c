/*
 * test-kafka: the client configuration from -o options: kafka.* options
 * reach librdkafka (and are marked used), defaults give way to them, and a
 * property librdkafka refuses is a usage error naming the option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-kafka:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

static const struct {
	const char *opts;	/* key=value;key=value */
	int need_brokers;
	const char *prop, *want;	/* a property to read back, and its value */
	const char *err;	/* or the message, status 2 */
} cases[] = {
	{ "kafka.bootstrap.servers=h:9092", 1, "bootstrap.servers", "h:9092", NULL },
	{ "KAFKA.Bootstrap.Servers=h:1;kafka.client.id=x", 1, "client.id", "x", NULL },
	{ "kafka.bootstrap.servers=h:1", 1, "linger.ms", "10", NULL },
	{ "kafka.bootstrap.servers=h:1;kafka.linger.ms=50", 1, "linger.ms", "50", NULL },
	{ "kafka.bootstrap.servers=h:1;kafka.security.protocol=SASL_SSL", 1, "security.protocol", "sasl_ssl", NULL },
	{ "topic=t", 0, "linger.ms", "10", NULL },
	{ "topic=t", 1, NULL, NULL, "option -o kafka.bootstrap.servers=HOST:PORT[,...] is required" },
	{ "kafka.bootstrap.servers=", 1, NULL, NULL, "option -o kafka.bootstrap.servers=HOST:PORT[,...] is required" },
	{ "kafka.bootstrap.servers=h:1;kafka.no.such=1", 1, NULL, NULL,
	  "option -o kafka.no.such=1: No such configuration property: \"no.such\"" },
	{ "kafka.bootstrap.servers=h:1;kafka.linger.ms=soon", 1, NULL, NULL,
	  "option -o kafka.linger.ms=soon: Invalid value for configuration property \"queue.buffering.max.ms\"" },
};

int main(void)
{
	static const char *const defs[] = { "linger.ms", "10", NULL };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sp_kvs kv = SP_KVS_INIT;
		struct sp_err err = SP_ERR_INIT;
		rd_kafka_conf_t *conf = NULL;
		char *opts = sp_xstrdup(cases[i].opts), *save = NULL, buf[256];
		size_t size = sizeof buf;
		int r;

		for (char *o = strtok_r(opts, ";", &save); o; o = strtok_r(NULL, ";", &save))
			sp_kvs_add(&kv, "-o", o);
		r = sp_kafka_conf(&conf, &kv, defs, cases[i].need_brokers, &err);
		if (cases[i].err) {
			CHECK(r == -1 && !conf, "case %zu: accepted", i);
			CHECK(err.status == SP_EXIT_USAGE, "case %zu: status %d", i, err.status);
			CHECK(!strcmp(err.msg, cases[i].err), "case %zu: message '%s', want '%s'", i, err.msg, cases[i].err);
		} else {
			CHECK(r == 0 && conf, "case %zu: %s", i, err.msg);
			if (conf) {
				CHECK(rd_kafka_conf_get(conf, cases[i].prop, buf, &size) == RD_KAFKA_CONF_OK &&
				      !strcmp(buf, cases[i].want), "case %zu: %s is '%s', want '%s'", i, cases[i].prop, buf,
				      cases[i].want);
				rd_kafka_conf_destroy(conf);
			}
			/* every kafka.* option is used; the others are left to the caller */
			for (size_t k = 0; k < kv.n; k++)
				CHECK(kv.v[k].used == !strncasecmp(kv.v[k].key, "kafka.", 6), "case %zu: '%s' used %d", i,
				      kv.v[k].key, kv.v[k].used);
		}
		sp_kvs_release(&kv);
		free(opts);
	}
	{
		struct sp_err err = SP_ERR_INIT;

		CHECK(sp_kafka_err(&err, RD_KAFKA_RESP_ERR__TIMED_OUT, "batch %d", 3) == -1 &&
		      !strcmp(err.msg, "batch 3: Local: Timed out"), "sp_kafka_err: '%s'", err.msg);
	}
	return failures != 0;
}
