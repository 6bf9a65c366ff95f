/*
 * stream-kafka-mock: a Kafka cluster on loopback, for tests and trials.
 *
 * librdkafka's mock cluster speaks the Kafka protocol (produce, fetch,
 * consumer groups, idempotence and transactions) from threads of this
 * process, so kcat and any Kafka client can talk to it. The cluster is
 * created with the topics asked for; then either we wait for SIGTERM or
 * SIGINT, or we run a command with KAFKA_BOOTSTRAP in its environment and
 * end with its exit status. The signals are blocked in every thread and
 * taken with sigwaitinfo(), so that the cluster's threads never see them.
 */
#include "sp.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kafka.h"
#include <librdkafka/rdkafka_mock.h>

enum { OPT_TOPIC = 1, OPT_BROKERS, OPT_BOOTSTRAP_FILE };

static const struct sp_opt opts[] = {
	{ "topic", 't', "NAME[:PARTITIONS]", "create this topic (repeatable; 1 partition by default)", OPT_TOPIC },
	{ "brokers", 'b', "N", "number of brokers (default 1)", OPT_BROKERS },
	{ "bootstrap-file", 0, "PATH", "also write the bootstrap address to PATH once the cluster is up",
	  OPT_BOOTSTRAP_FILE },
	SP_OPT_VERBOSITY,
	{ NULL, 0, NULL, NULL, 0 },
};

static const char usage[] =
	"stream-kafka-mock [-b N] [-t NAME[:PARTITIONS]] ... [--bootstrap-file PATH] [-- COMMAND [ARG ...]]";
static const char about[] =
	"Starts a Kafka cluster on loopback (librdkafka's mock cluster) with the\n"
	"topics given. Without COMMAND, prints the bootstrap address on standard\n"
	"output and runs until SIGTERM or SIGINT. With COMMAND, runs it with\n"
	"KAFKA_BOOTSTRAP set to the address and exits with its status.";

struct topic {
	const char *name;
	size_t len;
	int partitions;
};

struct args {
	struct topic *topics;
	size_t ntopics;
	int brokers;
	const char *bootstrap_file;
	char **cmd;
};

static void add_topic(struct args *a, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	struct topic t = { arg, strlen(arg), 1 };

	if (colon) {
		char *end;
		long n;

		errno = 0;
		n = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || n < 1 || n > 10000)
			sp_usage_error("option --topic %s: expected NAME or NAME:PARTITIONS, with 1 to 10000 "
				       "partitions", arg);
		t.len = (size_t)(colon - arg);
		t.partitions = (int)n;
	}
	if (!t.len || t.len > 249)
		sp_usage_error("option --topic '%s': a topic name has 1 to 249 characters", arg);
	for (size_t i = 0; i < t.len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", arg[i]))
			sp_usage_error("option --topic '%s': a topic name has only letters, digits, '.', '_' and '-'",
				       arg);
	a->topics = sp_xrealloc(a->topics, (a->ntopics + 1) * sizeof *a->topics);
	a->topics[a->ntopics++] = t;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	struct sp_optparse p;
	const char *arg;
	int id;

	sp_opt_init(&p, opts, usage, about, argc, argv);
	while ((id = sp_opt_next(&p, &arg)) != -1) {
		switch (id) {
		case OPT_TOPIC:
			add_topic(a, arg);
			break;
		case OPT_BROKERS: {
			char *end;
			long n;

			errno = 0;
			n = strtol(arg, &end, 10);
			if (errno || end == arg || *end || n < 1 || n > 100)
				sp_usage_error("option --brokers %s: expected a whole number from 1 to 100", arg);
			a->brokers = (int)n;
			break;
		}
		case OPT_BOOTSTRAP_FILE:
			a->bootstrap_file = arg;
			break;
		case SP_OPT_DASHDASH:
			/* the rest is the command, options and all */
			if (p.i >= argc)
				sp_usage_error("no command after '--'");
			a->cmd = argv + p.i;
			return;
		case SP_OPT_POS:
			sp_usage_error("unexpected argument '%s' (a command goes after '--')", arg);
		}
	}
}

/* Writes the address to path whole: a reader polling for the file never sees half of it. */
static int write_bootstrap(const char *path, const char *addr, struct sp_err *err)
{
	char *tmp = sp_xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int r = 0;

	if (!f) {
		r = sp_err_sys(err, "cannot write '%s'", tmp);
	} else {
		fprintf(f, "%s\n", addr);
		if (fclose(f) != 0)
			r = sp_err_sys(err, "cannot write '%s'", tmp);
		else if (rename(tmp, path) < 0)
			r = sp_err_sys(err, "cannot rename '%s' to '%s'", tmp, path);
		if (r < 0)
			unlink(tmp);
	}
	free(tmp);
	return r;
}

/* Runs cmd and waits for it, passing on SIGINT, SIGTERM and SIGHUP. Returns its status as a shell does. */
static int run_command(char **cmd, const char *addr, const sigset_t *orig, const sigset_t *wait_set)
{
	siginfo_t si;
	pid_t pid;
	int wstatus;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		sp_warn("cannot run '%s': fork: %s", cmd[0], strerror(errno));
		return SP_EXIT_FAIL;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, orig, NULL);
		setenv("KAFKA_BOOTSTRAP", addr, 1);
		execvp(cmd[0], cmd);
		sp_warn("cannot run '%s': %s", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		int sig = sigwaitinfo(wait_set, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		if (waitpid(pid, &wstatus, WNOHANG) == pid)
			break;
	}
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}

int main(int argc, char **argv)
{
	struct args a = { NULL, 0, 1, NULL, NULL };
	struct sp_kvs kv = SP_KVS_INIT;
	struct sp_err err = SP_ERR_INIT;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_t *rk = NULL;
	rd_kafka_mock_cluster_t *mc = NULL;
	sigset_t orig, wait_set;
	const char *addr;
	int status = SP_EXIT_FAIL, sig;

	sp_setprog(argv[0]);
	parse_args(argc, argv, &a);
	/* block before librdkafka starts its threads: they inherit the mask */
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGHUP);
	if (a.cmd)
		sigaddset(&wait_set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wait_set, &orig);

	if (sp_kafka_conf(&conf, &kv, NULL, 0, &err) < 0 || sp_kafka_new(&rk, RD_KAFKA_PRODUCER, conf, &err) < 0)
		goto done;
	conf = NULL;
	if (!(mc = rd_kafka_mock_cluster_new(rk, a.brokers))) {
		sp_err_set(&err, "cannot start the mock cluster (see -v for librdkafka's messages)");
		goto done;
	}
	for (size_t i = 0; i < a.ntopics; i++) {
		char *name = sp_xstrndup(a.topics[i].name, a.topics[i].len);
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, a.topics[i].partitions,
								   a.brokers < 3 ? a.brokers : 3);

		if (e)
			sp_kafka_err(&err, e, "cannot create topic '%s'", name);
		free(name);
		if (e)
			goto done;
	}
	addr = rd_kafka_mock_cluster_bootstraps(mc);
	if (a.bootstrap_file && write_bootstrap(a.bootstrap_file, addr, &err) < 0)
		goto done;
	if (a.cmd) {
		status = run_command(a.cmd, addr, &orig, &wait_set);
	} else {
		printf("%s\n", addr);
		if (fflush(stdout) != 0) {
			sp_err_sys(&err, "write error on standard output");
			goto done;
		}
		while ((sig = sigwaitinfo(&wait_set, NULL)) < 0)
			;
		if (sp_verbose > 1)
			sp_warn("stopped by signal %d", sig);
		status = SP_EXIT_OK;
	}
done:
	if (err.set)
		status = sp_err_report(&err);
	if (a.bootstrap_file && mc)
		unlink(a.bootstrap_file);
	if (conf)
		rd_kafka_conf_destroy(conf);
	if (mc)
		rd_kafka_mock_cluster_destroy(mc);
	if (rk)
		rd_kafka_destroy(rk);
	free(a.topics);
	return sp_finish(status);
}
