#!/usr/bin/env bats
# The foreachBatch sink into a real PostgreSQL, made idempotent with
# STREAM_BATCH_ID: killed mid-way and restarted, the table ends up with
# every row exactly once. The server is started by the test on a private
# socket and stopped by it, also when the test fails.
load ../helpers

SCHEMA='device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG'

setup() {
	T=$BATS_TEST_TMPDIR
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	[ -x "$PGBIN/initdb" ] || skip "PostgreSQL server not installed"
	# The server runs as postgres, which cannot enter bats' private directories.
	PG=$(mktemp -d /tmp/stream-pg.XXXXXX)
	chmod 755 "$PG"
	mkdir -p "$PG/data" "$PG/sock" && chown postgres "$PG/data" "$PG/sock"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -A trust >/dev/null
	PGPORT=$((20000 + RANDOM % 20000))
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -w -l "$PG/data/log" \
		-o "-k $PG/sock -p $PGPORT -c listen_addresses=''" start >/dev/null
	export PGHOST=$PG/sock PGPORT PGUSER=postgres PGDATABASE=postgres
	psql -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE events (batch_id BIGINT, device_id TEXT, temperature DOUBLE PRECISION, humidity DOUBLE PRECISION, ts TIMESTAMPTZ, seq BIGINT PRIMARY KEY)'
	mkdir -p "$T/in"
	cc -O2 -o "$T/gen" "$SP_TOP/bench/gen-events.c"
	"$T/gen" 30000 50 | split -l 1000 -d -a 3 --additional-suffix=.json - "$T/in/part-"
	# The batch's rows replace whatever an earlier attempt of the same batch wrote, in one transaction.
	cat >"$T/load.sh" <<'SH'
#!/bin/sh
set -e
{
	echo "BEGIN;"
	echo "DELETE FROM events WHERE batch_id = $STREAM_BATCH_ID;"
	echo "CREATE TEMP TABLE batch (device_id TEXT, temperature DOUBLE PRECISION, humidity DOUBLE PRECISION, ts TIMESTAMPTZ, seq BIGINT);"
	echo "COPY batch FROM STDIN (FORMAT csv);"
	cat
	echo '\.'
	echo "INSERT INTO events SELECT $STREAM_BATCH_ID, * FROM batch;"
	echo "COMMIT;"
} | psql -q -v ON_ERROR_STOP=1 >/dev/null
SH
	chmod +x "$T/load.sh"
}

teardown() {
	if [ -n "${PG:-}" ]; then
		[ -f "$PG/data/postmaster.pid" ] &&
			runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m immediate stop >/dev/null 2>&1
		rm -rf "$PG"
	fi
}

pipeline() {
	stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow -o maxFilesPerTrigger=1 \
	  | stream-write exec --checkpoint "$T/ck/write" -o format=csv -- "$T/load.sh"
}

@test "exec into PostgreSQL: killed and restarted, every row exactly once" {
	kills=0
	for round in $(seq 1 15); do
		pipeline 2>/dev/null &
		pid=$!
		sleep "0.$(printf '%03d' $((RANDOM % 300 + 20)))"
		stages=($(pgrep -P "$pid" || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			kill -9 "${stages[$((RANDOM % ${#stages[@]}))]}" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" || true
	done
	echo "# survived $kills kills" >&3
	run -0 pipeline
	run -0 psql -At -c 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events'
	[ "$output" = "30000|30000|1000000000|1000029999" ]
	run -0 psql -At -c 'SELECT count(DISTINCT batch_id) FROM events'
	[ "$output" = 30 ]
}

@test "exec: a failing command is retried, then fails the pipeline with its status" {
	run -3 --separate-stderr bash -c "stream-read json '$T/in/part-000.json' --schema '$SCHEMA' | stream-write exec -o maxRetries=1 -o retryBackoff='10 ms' -- sh -c 'cat >/dev/null; echo no >&2; exit 3'"
	[ "${stderr_lines[0]}" = "no" ]
	[ "${stderr_lines[1]}" = "stream-write: warning: 'sh' exited with status 3; retrying in 10 milliseconds (attempt 2 of 2)" ]
	[ "${stderr_lines[2]}" = "no" ]
	[ "${stderr_lines[3]}" = "stream-write: batch 0: 'sh' failed with exit status 3" ]
}
