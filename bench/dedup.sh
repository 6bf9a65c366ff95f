#!/bin/bash
# stream-dedup next to DuckDB: dropDuplicates() over generated IoT events
# of which 0.5% are exact copies of an event 1000 lines earlier, the same
# file and the same distinct rows (compared, sorted), measured in the same
# run. Prints rows/s, the ratio to DuckDB, peak RSS and the state's bytes
# per key, without a watermark (the whole file one batch, every key kept)
# and with one on the event time (the file in 100 batches, old keys
# evicted as the watermark moves).
# Usage: [SP_BUILD=build-dir] bench/dedup.sh [ROWS] (default 10000000).
rows=${1:-10000000}
. "$(dirname "$0")/lib.sh"

# ROWS events, one in 200 a copy of the event 1000 lines before it
input=$out/dedup-$rows.jsonl
if ! [ -s "$input" ]; then
	# gen-events makes more than is needed: awk stops at ROWS, and gen-events ends on SIGPIPE
	{ "$out/gen-events" "$rows" 1000 || true; } | awk -v n="$rows" '
		{ ring[NR % 1000] = $0; print; if (++c == n) exit }
		NR % 199 == 0 && NR > 1000 { print ring[(NR + 1) % 1000]; if (++c == n) exit }' >"$input.tmp"
	mv "$input.tmp" "$input"
fi
# the same events in 100 files, read one file per batch: the watermark moves between batches
parts=$out/dedup-$rows.d
if ! [ -s "$parts/part-99" ]; then
	rm -rf "$parts" && mkdir "$parts"
	split -n l/100 -d -a 2 "$input" "$parts/part-"
fi
frames=$out/dedup-in.frames
stream-read json --schema "$schema" "$input" >"$frames"
dedup="stream-dedup -q"
dedup_wm="stream-dedup --time ts --watermark '10 minutes'"
read_parts="stream-read json --schema '$schema' -o maxFilesPerTrigger=1 --trigger availableNow '$parts'"

echo "$(wc -l <"$input") events, $(($(stat -c %s "$input") / 1000000)) MB of JSON lines, 0.5% duplicates, $(nproc) cores"
echo

sql="SELECT DISTINCT * FROM read_json('$input', format='newline_delimited', columns=$duck_cols)"
t_duck=$(duck "COPY ($sql) TO '/dev/null' (FORMAT json)")
report "DuckDB: read_json, SELECT DISTINCT *, write JSON" "$t_duck"

t=$(secs "stream-read json --schema '$schema' '$input' | $dedup | stream-write json")
report "stream-read json | stream-dedup | stream-write json" "$t" DuckDB "$t_duck"
t=$(secs "$read_parts | $dedup_wm | stream-write json")
report "the same, 100 batches, --watermark '10 minutes'" "$t" DuckDB "$t_duck"
t_alone=$(secs "$dedup <'$frames'")
report "stream-dedup alone (frames in, frames out)" "$t_alone"
eval "$read_parts" >"$out/dedup-parts.frames"
t_alone=$(secs "$dedup_wm <'$out/dedup-parts.frames'")
report "stream-dedup alone, 100 batches, with the watermark" "$t_alone"

# the same rows: ours against DuckDB's, as multisets (EXCEPT ALL both ways)
compare() {
	local diff
	diff=$(duck_query "
WITH a AS (SELECT * FROM read_json('$1', format='newline_delimited', columns=$duck_cols)),
     b AS ($sql)
SELECT (SELECT count(*) FROM a) AS ours, (SELECT count(*) FROM b) AS duckdb,
       (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)) AS only_ours,
       (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a)) AS only_duckdb")
	echo "result rows ($2): $diff"
	case $diff in *'"only_ours":"0","only_duckdb":"0"'*) echo "results: equal" ;; *) echo "results: DIFFERENT"; exit 1 ;; esac
}
rm -f "$out/rss"
stream-read json --schema "$schema" "$input" \
  | eval "$TIMED 'dedup %M' $dedup --progress-fd 3 3>'$out/dedup-progress'" | stream-write json >"$out/dedup.jsonl"
compare "$out/dedup.jsonl" "no watermark"
eval "$read_parts" \
  | eval "$TIMED 'dedup-wm %M' $dedup_wm --progress-fd 3 3>'$out/dedup-wm-progress'" | stream-write json >"$out/dedup-wm.jsonl"
compare "$out/dedup-wm.jsonl" "watermark"

# peak memory and the state per key
for v in dedup dedup-wm; do
	# the batch with the most keys: its memory per key
	read -r keys mem < <(jq -rs 'max_by(.stateOperators[0].numRowsTotal) | .stateOperators[0] |
		"\(.numRowsTotal) \(.memoryUsedBytes)"' "$out/$v-progress")
	dups=$(jq -s 'map(.stateOperators[0].customMetrics.numDroppedDuplicateRows) | add' "$out/$v-progress")
	batches=$(wc -l <"$out/$v-progress")
	echo "$v: peak RSS $(rss "$v") MB; $batches batches; state: up to $keys keys, then $mem bytes, $((mem / keys)) bytes per key; $dups duplicates dropped"
done
