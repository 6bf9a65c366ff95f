#!/bin/bash
# Benchmarks: the stream-* tools next to cat, jq and DuckDB on the same
# generated events, measured in the same run. Prints rows/s, MB/s and the
# ratio to each baseline. Usage: bench/run.sh [ROWS] (default 2000000).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-2000000}
out=$top/bench/out
mkdir -p "$out"
export PATH="$top/build/bin:$PATH"
cc -O2 -o "$out/gen-events" "$top/bench/gen-events.c"

events=$out/events-$rows.jsonl
[ -s "$events" ] || "$out/gen-events" "$rows" >"$events"
bytes=$(stat -c %s "$events")
schema='device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG'
stream-read json --schema "$schema" "$events" >"$out/events.frames"

# secs CMD...: wall-clock seconds of the best of three runs
secs() {
	local best= t0 t1 d
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		bash -c "$1" >/dev/null
		t1=$(date +%s.%N)
		d=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
	done
	echo "$best"
}

report() {	# name seconds [baseline-name baseline-seconds]
	printf '%-52s %7.3f s %8.2f M rows/s %8.1f MB/s' "$1" "$2" \
		"$(echo "$rows / $2 / 1000000" | bc -l)" "$(echo "$bytes / $2 / 1000000" | bc -l)"
	[ $# -gt 2 ] && printf '   %.2fx %s' "$(echo "$4 / $2" | bc -l)" "$3"
	echo
}

echo "$rows events, $((bytes / 1000000)) MB of JSON lines, $(nproc) cores, $(uname -m)"
echo

t_cat=$(secs "cat '$events'")
report "cat" "$t_cat"

jq_rows=$((rows < 200000 ? rows : 200000))
head -n "$jq_rows" "$events" >"$out/jq-sample.jsonl"
t_jq_sample=$(secs "jq -c . '$out/jq-sample.jsonl'")
t_jq=$(echo "$t_jq_sample * $rows / $jq_rows" | bc -l)
report "jq -c . (timed on $jq_rows rows, scaled)" "$t_jq"

duck() {
	node -e "
const { DuckDBInstance } = require('$top/tests/node_modules/@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  let best = 1e9;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    await c.run(\`$1\`);
    const d = Number(process.hrtime.bigint() - t0) / 1e9;
    if (d < best) best = d;
  }
  console.log(best.toFixed(3));
})();"
}
cols="{device_id: 'VARCHAR', temperature: 'DOUBLE', humidity: 'DOUBLE', ts: 'TIMESTAMP', seq: 'BIGINT'}"
t_duck=$(duck "CREATE OR REPLACE TABLE t AS SELECT * FROM read_json('$events', format='newline_delimited', columns=$cols)")
report "DuckDB: read_json into a table" "$t_duck"
t_duck_out=$(duck "COPY (SELECT * FROM read_json('$events', format='newline_delimited', columns=$cols)) TO '/dev/null' (FORMAT json)")
report "DuckDB: read_json, write JSON" "$t_duck_out"
echo

t=$(secs "stream-read json --schema '$schema' '$events' | stream-write frames")
report "stream-read json | stream-write frames" "$t" DuckDB "$t_duck"
t1=$(secs "stream-read json --schema '$schema' '$events'")
report "stream-read json (frames out)" "$t1" DuckDB "$t_duck"
t=$(secs "stream-read json --schema '$schema' '$events' | stream-write json")
report "stream-read json | stream-write json" "$t" "DuckDB JSON->JSON" "$t_duck_out"
t=$(secs "stream-read frames '$out/events.frames' | stream-write json")
report "stream-read frames | stream-write json" "$t"
echo

t0=$(secs "stream-read frames '$out/events.frames' | stream-write frames")
report "frames: read | write" "$t0"
t2=$(secs "stream-read frames '$out/events.frames' | stream-select | stream-select | stream-write frames")
report "frames: read | select | select | write" "$t2"
t3=$(secs "stream-read frames '$out/events.frames' | stream-select --where 'temperature > 20' | stream-write frames")
report "frames: read | select --where | write" "$t3"
t4=$(secs "stream-select < '$out/events.frames'")
report "one stream-select stage alone (file in, frames out)" "$t4"
t5=$(secs "stream-select --where 'temperature > 20' < '$out/events.frames'")
report "one stream-select --where stage alone" "$t5"
