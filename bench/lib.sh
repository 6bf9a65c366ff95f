# Shared by the benchmarks: timing, reporting, DuckDB. Source it after
# setting rows (the row count the rates are computed for). The tools are
# those of build/, or of the build directory SP_BUILD names.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$top/bench/out
mkdir -p "$out"
export PATH="$top/${SP_BUILD:-build}/bin:$PATH"
[ -x "$out/gen-events" ] && [ "$out/gen-events" -nt "$top/bench/gen-events.c" ] ||
	cc -O2 -o "$out/gen-events" "$top/bench/gen-events.c"
schema='device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG'
duck_cols="{device_id: 'VARCHAR', temperature: 'DOUBLE', humidity: 'DOUBLE', ts: 'TIMESTAMP', seq: 'BIGINT'}"

# events N [DEVICES]: the path of a file of N generated events (made once)
events() {
	local f=$out/events-$1-${2:-1000}.jsonl
	[ -s "$f" ] || "$out/gen-events" "$1" "${2:-1000}" >"$f"
	echo "$f"
}

# secs CMD: wall-clock seconds of the best of three runs
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

# Prefix a stage with "$TIMED name" to record its peak RSS (KB) in $out/rss.
TIMED="/usr/bin/time -a -o $out/rss -f"
# rss NAME: the peak RSS recorded for the stage NAME, in MB
rss() {
	awk -v n="$1" '$1 == n { kb = $2 } END { printf "%.0f", kb / 1024 }' "$out/rss"
}

# report NAME SECONDS [BASELINE-NAME BASELINE-SECONDS]: rows/s (MB/s when
# bytes is set, and the ratio to the baseline)
report() {
	printf '%-56s %7.3f s %8.2f M rows/s' "$1" "$2" "$(echo "$rows / $2 / 1000000" | bc -l)"
	[ -n "${bytes:-}" ] && printf ' %8.1f MB/s' "$(echo "$bytes / $2 / 1000000" | bc -l)"
	[ $# -gt 2 ] && printf '   %.2fx %s' "$(echo "$4 / $2" | bc -l)" "$3"
	echo
}

# duck SQL: seconds of the best of three runs of SQL in an in-memory DuckDB
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

# duck_query SQL: the result of SQL as JSON lines
duck_query() {
	node "$top/tests/duckdb.js" "$1"
}
