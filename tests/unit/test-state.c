/*
 * test-state: every committed version of a state store restores to exactly
 * what a plain in-memory model held at that version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static int failures;

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "test-state:%d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			failures++; \
		} \
	} while (0)

#define KEYS 50
#define VERSIONS 37

/* model[v][k]: value of key k after version v, or -1 */
static int model[VERSIONS][KEYS];
static int live[KEYS];

static int dump(void *ctx, sp_state_emit_fn emit, void *ectx)
{
	(void)ctx;
	for (int k = 0; k < KEYS; k++)
		if (live[k] >= 0) {
			char key[16];

			snprintf(key, sizeof key, "k%d", k);
			emit(ectx, key, strlen(key), &live[k], sizeof live[k]);
		}
	return 0;
}

static int got[KEYS];

static int collect(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
	char buf[16];
	int k;

	(void)ctx;
	if (klen >= sizeof buf || vlen != sizeof(int))
		return 1;
	memcpy(buf, key, klen);
	buf[klen] = '\0';
	k = atoi(buf + 1);
	memcpy(&got[k], val, sizeof(int));
	return 0;
}

static void check_version(struct sp_state *st, int v)
{
	struct sp_err err = SP_ERR_INIT;

	for (int k = 0; k < KEYS; k++)
		got[k] = -1;
	CHECK(sp_state_restore(st, v, collect, NULL, &err) == 0, "restore %d: %s", v, err.msg);
	for (int k = 0; k < KEYS; k++)
		CHECK(got[k] == (v >= 0 ? model[v][k] : -1), "version %d key %d: got %d want %d", v, k, got[k],
		      v >= 0 ? model[v][k] : -1);
}

/* Batch v's changes: deterministic puts and deletes. */
static void change(struct sp_state *st, int v, int salt)
{
	for (int k = 0; k < KEYS; k++) {
		char key[16];
		int r = (k * 7 + v * 13 + salt) % 11;

		snprintf(key, sizeof key, "k%d", k);
		if (r == 0 && live[k] >= 0) {
			live[k] = -1;
			sp_state_del(st, key, strlen(key));
		} else if (r < 4) {
			live[k] = v * 1000 + k + salt;
			sp_state_put(st, key, strlen(key), &live[k], sizeof live[k]);
		}
	}
}

int main(void)
{
	char dir[] = "/tmp/test-state-XXXXXX", cmd[128];
	struct sp_state *st = NULL;
	struct sp_err err = SP_ERR_INIT;

	setenv("SP_TEST_NOFSYNC", "1", 1);
	if (!mkdtemp(dir) || sp_state_open(&st, dir, &err) < 0)
		return 1;
	CHECK(sp_state_latest(st) == -1, "new store is empty");
	for (int k = 0; k < KEYS; k++)
		live[k] = -1;
	for (int v = 0; v < VERSIONS; v++) {
		change(st, v, 0);
		CHECK(sp_state_commit(st, v, dump, NULL, &err) == 0, "commit %d: %s", v, err.msg);
		memcpy(model[v], live, sizeof live);
	}
	CHECK(sp_state_latest(st) == VERSIONS - 1, "latest");
	for (int v = -1; v < VERSIONS; v++)
		check_version(st, v);

	/* A reopened store sees the same versions. */
	sp_state_free(st);
	CHECK(sp_state_open(&st, dir, &err) == 0 && sp_state_latest(st) == VERSIONS - 1, "reopen");
	check_version(st, 23);

	/* Replaying from 21: restore 20, commit 21 again with other changes; 22.. are gone. */
	check_version(st, 20);
	memcpy(live, model[20], sizeof live);
	change(st, 21, 5);
	CHECK(sp_state_commit(st, 21, dump, NULL, &err) == 0, "recommit 21: %s", err.msg);
	memcpy(model[21], live, sizeof live);
	CHECK(sp_state_latest(st) == 21, "later versions removed: latest %lld", (long long)sp_state_latest(st));
	check_version(st, 21);
	check_version(st, 20);

	/* Committing out of order is refused. */
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_state_commit(st, 30, dump, NULL, &err) == -1 && strstr(err.msg, "committing version 30 after version 20"),
	      "out of order: %s", err.msg);

	/* Purging keeps what versions >= 15 need. */
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_state_purge(st, 15, &err) == 0, "purge: %s", err.msg);
	for (int v = 15; v <= 21; v++)
		check_version(st, v);
	err = (struct sp_err)SP_ERR_INIT;
	CHECK(sp_state_restore(st, 5, collect, NULL, &err) == -1 && strstr(err.msg, "is missing"),
	      "purged version: %s", err.msg);

	sp_state_free(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		failures++;
	return failures;
}
