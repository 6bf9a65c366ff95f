#!/usr/bin/env bash
# Stream-stream join benchmark: N impressions joined with N/10 clicks that
# fall within an hour of their impression (Spark's guide's condition, with
# watermarks of 2 and 3 hours), each side cut into 10 batches; DuckDB
# computes the same join over the same JSON lines in the same run, and the
# two answers (count and sum of ids) are compared. Prints rows/s, state
# bytes per stored row (memoryUsedBytes / numRowsTotal at the batch with
# the most rows in state, from the progress lines) and peak RSS.
#
# Usage: bash bench/join.sh [IMPRESSIONS]   (default 1000000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
bin=${SP_BUILD:-$top/build}/bin
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

# impression i at 2024-01-01 + i seconds; every 10th ad clicked 0 to 4000 s later
awk -v n="$n" -v dir="$w" 'function ts(s) { return sprintf("2024-01-%02dT%02d:%02d:%02dZ", 1 + int(s / 86400), int(s % 86400 / 3600), int(s % 3600 / 60), s % 60) }
BEGIN {
	per = int(n / 10)
	for (i = 0; i < n; i++) {
		f = int(i / per); if (f > 9) f = 9
		printf "{\"adId\":%d,\"impressionTime\":\"%s\"}\n", i, ts(i) > (dir "/imp-" f ".json")
		if (i % 10 == 0)
			printf "{\"clickAdId\":%d,\"clickTime\":\"%s\"}\n", i, ts(i + (i * 7919) % 4000) > (dir "/clk-" f ".json")
	}
}'
mkdir "$w/imp" "$w/clk"
mv "$w"/imp-*.json "$w/imp/"
mv "$w"/clk-*.json "$w/clk/"
"$bin/stream-read" json "$w/imp" --trigger availableNow -o maxFilesPerTrigger=1 \
	--schema 'adId LONG, impressionTime TIMESTAMP' >"$w/imp.frames"
"$bin/stream-read" json "$w/clk" --trigger availableNow -o maxFilesPerTrigger=1 \
	--schema 'clickAdId LONG, clickTime TIMESTAMP' >"$w/clk.frames"
clicks=$(cat "$w"/clk/*.json | wc -l)

cond='clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + INTERVAL 1 HOUR'
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$w/rss" "$bin/stream-join" --left "$w/imp.frames" --right "$w/clk.frames" \
	--on "$cond" --watermark 'left.impressionTime=2 hours' --watermark 'right.clickTime=3 hours' \
	--progress-fd 3 3>"$w/progress" >"$w/out.frames"
end=$(date +%s.%N)
ours=$("$bin/stream-read" frames "$w/out.frames" | "$bin/stream-write" csv | awk -F, '{ c++; s += $1 } END { printf "%d %d\n", c, s }')

dstart=$(date +%s.%N)
theirs=$(node "$top/tests/duckdb.js" "SELECT count(*) AS c, sum(adId) AS s FROM read_json('$w/imp/*.json', columns={adId: 'BIGINT', impressionTime: 'TIMESTAMP'}) i JOIN read_json('$w/clk/*.json', columns={clickAdId: 'BIGINT', clickTime: 'TIMESTAMP'}) k ON clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + INTERVAL 1 HOUR" |
	sed 's/[^0-9 ,]//g; s/,/ /')
dend=$(date +%s.%N)

secs=$(echo "$end - $start" | bc -l)
dsecs=$(echo "$dend - $dstart" | bc -l)
bpr=$(grep -o '"numRowsTotal":[0-9]*,"numRowsUpdated":[0-9]*,"memoryUsedBytes":[0-9]*' "$w/progress" |
	awk -F'[:,]' '$2 > r { r = $2; b = $6 } END { printf "%.0f", r ? b / r : 0 }')
printf 'inputs: %d impressions, %d clicks; matches: %s (count sum)\n' "$n" "$clicks" "$ours"
printf 'stream-join: %.2f s, %.2fM input rows/s, state %s bytes/row, peak RSS %d MB\n' "$secs" \
	"$(echo "($n + $clicks) / $secs / 1000000" | bc -l)" "$bpr" "$(($(cat "$w/rss") / 1024))"
printf 'DuckDB (read JSON and join): %.2f s, answer %s\n' "$dsecs" "$theirs"
if [ "$ours" = "$theirs" ]; then
	echo "same answer"
else
	echo "DIFFERENT answers" >&2
	exit 1
fi
