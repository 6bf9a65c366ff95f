/*
 * kafka.h: what the Kafka source and the Kafka sink share.
 *
 * Spark passes every option named "kafka.<property>" to the Kafka client
 * as "<property>" (-o kafka.bootstrap.servers=host:9092, -o
 * kafka.security.protocol=SASL_SSL, ...); here the client is librdkafka,
 * so the properties are librdkafka's (CONFIGURATION.md; mostly the same
 * names as Java's). sp_kafka_conf() builds the client configuration from
 * those options; sp_kafka_new() makes the client. Only the Kafka modules
 * of lib/ (and stream-kafka-mock, which is librdkafka's mock cluster)
 * include this header: commands see the source and the sink through their
 * own opaque handles.
 *
 * librdkafka's own log lines go through sp_warn(), tagged "kafka:", at
 * -v (errors and warnings), -vv (notices and information) and -vvv
 * (debug, with -o kafka.debug=...). Errors: every call returns 0 or -1
 * and fills the sp_err you pass.
 */
#ifndef SP_KAFKA_H
#define SP_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "msg.h"
#include "opt.h"

/* Options given to librdkafka start with this. */
#define SP_KAFKA_PREFIX "kafka."

/*
 * A new librdkafka configuration in *conf holding every "kafka.<prop>"
 * option of kv (marked used, so that sp_kvs_check_used() accepts them),
 * after the defaults in defs ("prop", "value", ..., NULL; may be NULL),
 * which the options override. Sets the log and error callbacks. With
 * need_brokers, a missing kafka.bootstrap.servers is a usage error. A
 * property librdkafka refuses is a usage error (status 2) naming the
 * option: "option -o kafka.foo=bar: No such configuration property: ...".
 * The caller owns *conf (rd_kafka_conf_destroy(), or sp_kafka_new()).
 */
int sp_kafka_conf(rd_kafka_conf_t **conf, struct sp_kvs *kv, const char *const *defs, int need_brokers,
		  struct sp_err *err);
/* Sets one property; opt names it in the message ("option -o kafka.acks"), NULL for "property 'acks'". */
int sp_kafka_conf_set(rd_kafka_conf_t *conf, const char *prop, const char *val, const char *opt,
		      struct sp_err *err);
/*
 * A new client of type (RD_KAFKA_PRODUCER or RD_KAFKA_CONSUMER) in *rk.
 * Takes conf on success only (on failure the caller still owns it).
 */
int sp_kafka_new(rd_kafka_t **rk, rd_kafka_type_t type, rd_kafka_conf_t *conf, struct sp_err *err);
/*
 * Waits up to timeout_ms for the client's outstanding messages to be
 * delivered and destroys it; rk may be NULL. Never fails: delivery
 * failures are reported by the delivery callbacks, before this.
 */
void sp_kafka_destroy(rd_kafka_t *rk, int timeout_ms);

/* Fills err with "what: <librdkafka's text for e>" and returns -1. */
int sp_kafka_err(struct sp_err *err, rd_kafka_resp_err_t e, const char *fmt, ...) SP_PRINTF(3, 4);
/* Same for an rd_kafka_error_t (transactions, admin), which it destroys. */
int sp_kafka_error(struct sp_err *err, rd_kafka_error_t *error, const char *fmt, ...) SP_PRINTF(3, 4);
/*
 * The last error librdkafka's error callback reported (a broker down, a
 * name that does not resolve...), copied into buf, or "" when none: the
 * cause to append when a call times out. Thread-safe.
 */
const char *sp_kafka_last_error(char *buf, size_t size);

#endif
