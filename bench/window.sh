#!/bin/bash
# stream-window next to DuckDB: 5-minute tumbling windows per device with
# count, avg and max, over generated IoT events (1000 devices), the same
# file and the same result, measured in the same run. Prints rows/s, the
# ratio to DuckDB, peak RSS and the state's bytes per key.
# Usage: bench/window.sh [ROWS] (default 10000000).
rows=${1:-10000000}
. "$(dirname "$0")/lib.sh"
events=$(events "$rows" 1000)
frames=$out/window-in.frames
stream-read json --schema "$schema" "$events" >"$frames"
agg='count(*) AS n, avg(temperature) AS avg_t, max(humidity) AS max_h'
win="stream-window --time ts --watermark '10 minutes' --window '5 minutes' --group-by device_id --agg '$agg'"

echo "$rows events, $(($(stat -c %s "$events") / 1000000)) MB of JSON lines, 1000 devices, $(nproc) cores"
echo

sql="SELECT time_bucket(INTERVAL 5 minutes, ts) AS ws, device_id, count(*) AS n, avg(temperature) AS avg_t,
       max(humidity) AS max_h
     FROM read_json('$events', format='newline_delimited', columns=$duck_cols) GROUP BY ALL"
t_duck=$(duck "COPY ($sql) TO '/dev/null' (FORMAT json)")
report "DuckDB: read_json, GROUP BY window, device, write JSON" "$t_duck"

t=$(secs "stream-read json --schema '$schema' '$events' | $win | stream-write json")
report "stream-read json | stream-window | stream-write json" "$t" DuckDB "$t_duck"
t_alone=$(secs "$win <'$frames'")
report "stream-window alone (frames in, frames out)" "$t_alone"

# the same result, compared in DuckDB (averages to 12 significant digits)
stream-read json --schema "$schema" "$events" | eval "$win" \
  | stream-select --select 'window.start AS ws, device_id, n, avg_t, max_h' | stream-write json >"$out/window.jsonl"
diff=$(duck_query "
WITH a AS (SELECT ws::TIMESTAMP AS ws, device_id, n, round(avg_t, 9) AS avg_t, max_h FROM read_json('$out/window.jsonl')),
     b AS (SELECT ws, device_id, n, round(avg_t, 9) AS avg_t, max_h FROM ($sql))
SELECT (SELECT count(*) FROM a) AS ours, (SELECT count(*) FROM b) AS duckdb,
       (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) AS only_ours,
       (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) AS only_duckdb")
echo "result rows: $diff"
case $diff in *'"only_ours":"0","only_duckdb":"0"'*) echo "results: equal" ;; *) echo "results: DIFFERENT"; exit 1 ;; esac

# peak memory of each stage, and the state per key
rm -f "$out/rss"
stream-read json --schema "$schema" "$events" \
  | eval "$TIMED 'window %M' $win --progress-fd 3 3>'$out/window-progress'" >/dev/null
# the file is one batch: every group of it is open until the batch ends
keys=$(jq -s 'map([.stateOperators[0].numRowsTotal, .stateOperators[0].numRowsUpdated] | max) | max' "$out/window-progress")
mem=$(jq -s 'map(.stateOperators[0].memoryUsedBytes) | max' "$out/window-progress")
echo "stream-window peak RSS: $(rss window) MB; state: up to $keys open groups in $mem bytes, $((mem / keys)) bytes per group"
