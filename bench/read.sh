#!/bin/bash
# Benchmarks: the stream-* tools next to cat, jq and DuckDB on the same
# generated events, measured in the same run. Prints rows/s, MB/s and the
# ratio to each baseline. Usage: bench/read.sh [ROWS] (default 2000000).
rows=${1:-2000000}
. "$(dirname "$0")/lib.sh"
events=$(events "$rows")
bytes=$(stat -c %s "$events")
stream-read json --schema "$schema" "$events" >"$out/events.frames"

echo "$rows events, $((bytes / 1000000)) MB of JSON lines, $(nproc) cores, $(uname -m)"
echo

t_cat=$(secs "cat '$events'")
report "cat" "$t_cat"

jq_rows=$((rows < 200000 ? rows : 200000))
head -n "$jq_rows" "$events" >"$out/jq-sample.jsonl"
t_jq_sample=$(secs "jq -c . '$out/jq-sample.jsonl'")
t_jq=$(echo "$t_jq_sample * $rows / $jq_rows" | bc -l)
report "jq -c . (timed on $jq_rows rows, scaled)" "$t_jq"

cols=$duck_cols
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
