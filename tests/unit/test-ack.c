/*
 * test-ack: with several sinks on one source, the source's commits log
 * moves on to the lowest batch every sink has committed, and a sink whose
 * checkpoint was removed stops holding it back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "log.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-ack:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

static char top[] = "/tmp/test-ack-XXXXXX";

/* The latest entry of the source's commits log. */
static int64_t source_latest(void)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_log *l;
	char *p = sp_xasprintf("%s/src/commits", top);
	int64_t v = -2;

	if (sp_log_open(&l, p, &err) == 0) {
		v = sp_log_latest(l);
		sp_log_free(l);
	}
	free(p);
	return v;
}

/* A sink committing batch id: in its own log, then to the source. */
static void commit(struct sp_ack *a, const char *own, int64_t id)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_log *l;
	char *p = sp_xasprintf("%s/%s", top, own);

	CHECK(sp_log_open(&l, p, &err) == 0 && sp_log_put(l, id, "{}", &err) == 0, "own commit: %s", err.msg);
	sp_log_free(l);
	free(p);
	CHECK(sp_ack_commit(a, id, "{\"batchId\":0}", &err) == 0, "ack %lld: %s", (long long)id, err.msg);
}

int main(void)
{
	struct sp_err err = SP_ERR_INIT;
	struct sp_ack *a = NULL, *b = NULL, *again = NULL;
	char *src, *own_a, *own_b, *cmd;

	if (!mkdtemp(top))
		return perror("mkdtemp"), 1;
	src = sp_xasprintf("%s/src", top);
	own_a = sp_xasprintf("%s/a/commits", top);
	own_b = sp_xasprintf("%s/b/commits", top);
	CHECK(sp_ack_open(&a, src, own_a, &err) == 0, "open a: %s", err.msg);
	commit(a, "a/commits", 0);
	CHECK(source_latest() == 0, "one sink: batch 0 is done (%lld)", (long long)source_latest());
	CHECK(sp_ack_open(&b, src, own_b, &err) == 0, "open b: %s", err.msg);
	/* registering again is fine */
	CHECK(sp_ack_open(&again, src, own_b, &err) == 0, "open b again: %s", err.msg);
	commit(a, "a/commits", 1);
	CHECK(source_latest() == 0, "b has nothing yet: still 0 (%lld)", (long long)source_latest());
	commit(b, "b/commits", 1);
	CHECK(source_latest() == 1, "both have 1 (%lld)", (long long)source_latest());
	commit(b, "b/commits", 2);
	commit(b, "b/commits", 3);
	CHECK(source_latest() == 1, "a is at 1 (%lld)", (long long)source_latest());
	commit(a, "a/commits", 2);
	CHECK(source_latest() == 2, "a at 2, b at 3: 2 (%lld)", (long long)source_latest());
	/* a's checkpoint is removed: b alone decides */
	cmd = sp_xasprintf("rm -rf '%s/a'", top);
	CHECK(system(cmd) == 0, "rm");
	free(cmd);
	commit(b, "b/commits", 4);
	CHECK(source_latest() == 4, "a gone: 4 (%lld)", (long long)source_latest());
	sp_ack_free(a);
	sp_ack_free(b);
	sp_ack_free(again);
	cmd = sp_xasprintf("rm -rf '%s'", top);
	CHECK(system(cmd) == 0, "cleanup");
	free(cmd);
	free(src);
	free(own_a);
	free(own_b);
	printf("test-ack: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
