#!/usr/bin/env bats
# stream-window: Spark's documented examples batch by batch, sliding and
# session windows, every aggregate with NULLs, the rejected combinations,
# late rows, the end of input, checkpoints, and its errors.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	WC='timestamp TIMESTAMP, word STRING'
	WINDOW=(--time timestamp --window '10 minutes' --slide '5 minutes' --watermark '10 minutes'
		--group-by word --agg 'count(*) AS count')
}

# batch N SCHEMA JSON...: batch N's rows, recorded as $T/bN.frames
batch() {
	local n=$1 schema=$2
	shift 2
	printf '%s\n' "$@" >"$T/b$n.json"
	stream-read json --schema "$schema" "$T/b$n.json" >"$T/b$n.frames"
}

# frames N...: the recorded batches, replayed as one stream with ids 0, 1, ...
frames() {
	local f=()
	for i in "$@"; do f+=("$T/b$i.frames"); done
	stream-read frames "${f[@]}"
}

# The programming guide's word count ("Handling Late Data and Watermarking"):
# one input batch per trigger, 12:10 to 12:25.
guide_batches() {
	batch 0 "$WC" '{"timestamp":"2024-05-01T12:07:00Z","word":"dog"}' '{"timestamp":"2024-05-01T12:08:00Z","word":"owl"}'
	batch 1 "$WC" '{"timestamp":"2024-05-01T12:14:00Z","word":"dog"}' '{"timestamp":"2024-05-01T12:09:00Z","word":"cat"}'
	batch 2 "$WC" '{"timestamp":"2024-05-01T12:15:00Z","word":"cat"}' '{"timestamp":"2024-05-01T12:08:00Z","word":"dog"}' \
		'{"timestamp":"2024-05-01T12:13:00Z","word":"owl"}' '{"timestamp":"2024-05-01T12:21:00Z","word":"owl"}'
	batch 3 "$WC" '{"timestamp":"2024-05-01T12:04:00Z","word":"donkey"}' '{"timestamp":"2024-05-01T12:17:00Z","word":"owl"}'
}

@test "guide's word count, update mode: changed windows each batch; (12:04, donkey) is too late" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --output-mode update | stream-write console -o truncate=false"
	cat >"$T/want" <<'EOF'
-------------------------------------------
Batch: 0
-------------------------------------------
+------------------------------------------+----+-----+
|window                                    |word|count|
+------------------------------------------+----+-----+
|{2024-05-01 12:00:00, 2024-05-01 12:10:00}|dog |1    |
|{2024-05-01 12:00:00, 2024-05-01 12:10:00}|owl |1    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|dog |1    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|owl |1    |
+------------------------------------------+----+-----+

-------------------------------------------
Batch: 1
-------------------------------------------
+------------------------------------------+----+-----+
|window                                    |word|count|
+------------------------------------------+----+-----+
|{2024-05-01 12:00:00, 2024-05-01 12:10:00}|cat |1    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|cat |1    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|dog |2    |
|{2024-05-01 12:10:00, 2024-05-01 12:20:00}|dog |1    |
+------------------------------------------+----+-----+

-------------------------------------------
Batch: 2
-------------------------------------------
+------------------------------------------+----+-----+
|window                                    |word|count|
+------------------------------------------+----+-----+
|{2024-05-01 12:00:00, 2024-05-01 12:10:00}|dog |2    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|dog |3    |
|{2024-05-01 12:05:00, 2024-05-01 12:15:00}|owl |2    |
|{2024-05-01 12:10:00, 2024-05-01 12:20:00}|cat |1    |
|{2024-05-01 12:10:00, 2024-05-01 12:20:00}|owl |1    |
|{2024-05-01 12:15:00, 2024-05-01 12:25:00}|cat |1    |
|{2024-05-01 12:15:00, 2024-05-01 12:25:00}|owl |1    |
|{2024-05-01 12:20:00, 2024-05-01 12:30:00}|owl |1    |
+------------------------------------------+----+-----+

-------------------------------------------
Batch: 3
-------------------------------------------
+------------------------------------------+----+-----+
|window                                    |word|count|
+------------------------------------------+----+-----+
|{2024-05-01 12:10:00, 2024-05-01 12:20:00}|owl |2    |
|{2024-05-01 12:15:00, 2024-05-01 12:25:00}|owl |2    |
+------------------------------------------+----+-----+
EOF
	diff -u "$T/want" <(printf '%s\n' "$output")
}

@test "guide's word count, append mode: 12:00-12:10 final once the watermark is 12:11, the rest at the end" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") | stream-write json"
	cat >"$T/want" <<'EOF'
{"window":{"start":"2024-05-01T12:00:00.000Z","end":"2024-05-01T12:10:00.000Z"},"word":"cat","count":1}
{"window":{"start":"2024-05-01T12:00:00.000Z","end":"2024-05-01T12:10:00.000Z"},"word":"dog","count":2}
{"window":{"start":"2024-05-01T12:00:00.000Z","end":"2024-05-01T12:10:00.000Z"},"word":"owl","count":1}
{"window":{"start":"2024-05-01T12:05:00.000Z","end":"2024-05-01T12:15:00.000Z"},"word":"cat","count":1}
{"window":{"start":"2024-05-01T12:05:00.000Z","end":"2024-05-01T12:15:00.000Z"},"word":"dog","count":3}
{"window":{"start":"2024-05-01T12:05:00.000Z","end":"2024-05-01T12:15:00.000Z"},"word":"owl","count":2}
{"window":{"start":"2024-05-01T12:10:00.000Z","end":"2024-05-01T12:20:00.000Z"},"word":"cat","count":1}
{"window":{"start":"2024-05-01T12:10:00.000Z","end":"2024-05-01T12:20:00.000Z"},"word":"dog","count":1}
{"window":{"start":"2024-05-01T12:10:00.000Z","end":"2024-05-01T12:20:00.000Z"},"word":"owl","count":2}
{"window":{"start":"2024-05-01T12:15:00.000Z","end":"2024-05-01T12:25:00.000Z"},"word":"cat","count":1}
{"window":{"start":"2024-05-01T12:15:00.000Z","end":"2024-05-01T12:25:00.000Z"},"word":"owl","count":2}
{"window":{"start":"2024-05-01T12:20:00.000Z","end":"2024-05-01T12:30:00.000Z"},"word":"owl","count":1}
EOF
	diff -u "$T/want" <(printf '%s\n' "$output")
	# batch by batch: nothing in 0, 1 and 3; 12:00-12:10 in 2; the rest in the extra batch 4 at the end of input
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") | stream-write console | grep -E '^Batch|^\\|\\{' | cut -c1-33"
	[ "$output" = "Batch: 0
Batch: 1
Batch: 2
|{2024-05-01 12:00...| cat|    1|
|{2024-05-01 12:00...| dog|    2|
|{2024-05-01 12:00...| owl|    1|
Batch: 3
Batch: 4
|{2024-05-01 12:05...| cat|    1|
|{2024-05-01 12:05...| dog|    3|
|{2024-05-01 12:05...| owl|    2|
|{2024-05-01 12:10...| cat|    1|
|{2024-05-01 12:10...| dog|    1|
|{2024-05-01 12:10...| owl|    2|
|{2024-05-01 12:15...| cat|    1|
|{2024-05-01 12:15...| owl|    2|
|{2024-05-01 12:20...| owl|    1|" ]
}

@test "guide's word count, complete mode: the whole table each batch, late data counted" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --output-mode complete | stream-write console -o numRows=100 | sed -n '/^Batch: 3/,\$p'"
	cat >"$T/want" <<'EOF'
Batch: 3
-------------------------------------------
+--------------------+------+-----+
|              window|  word|count|
+--------------------+------+-----+
|{2024-05-01 11:55...|donkey|    1|
|{2024-05-01 12:00...|   cat|    1|
|{2024-05-01 12:00...|   dog|    2|
|{2024-05-01 12:00...|donkey|    1|
|{2024-05-01 12:00...|   owl|    1|
|{2024-05-01 12:05...|   cat|    1|
|{2024-05-01 12:05...|   dog|    3|
|{2024-05-01 12:05...|   owl|    2|
|{2024-05-01 12:10...|   cat|    1|
|{2024-05-01 12:10...|   dog|    1|
|{2024-05-01 12:10...|   owl|    2|
|{2024-05-01 12:15...|   cat|    1|
|{2024-05-01 12:15...|   owl|    2|
|{2024-05-01 12:20...|   owl|    1|
+--------------------+------+-----+
EOF
	diff -u "$T/want" <(printf '%s\n' "$output")
}

@test "Spark's EventTimeWatermarkSuite 'append mode': 25 moves the watermark to 15, then 10 is late" {
	S='value LONG, eventTime TIMESTAMP'
	batch 0 "$S" '{"value":10,"eventTime":"1970-01-01T00:00:10Z"}' '{"value":11,"eventTime":"1970-01-01T00:00:11Z"}' \
		'{"value":12,"eventTime":"1970-01-01T00:00:12Z"}' '{"value":13,"eventTime":"1970-01-01T00:00:13Z"}' \
		'{"value":14,"eventTime":"1970-01-01T00:00:14Z"}' '{"value":15,"eventTime":"1970-01-01T00:00:15Z"}'
	batch 1 "$S" '{"value":25,"eventTime":"1970-01-01T00:00:25Z"}'
	batch 2 "$S" '{"value":10,"eventTime":"1970-01-01T00:00:10Z"}'
	run -0 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-window --time eventTime --watermark '10 seconds' --window '5 seconds' --agg 'count(*) AS count' --late-output '$T/late' --keep-state-at-end | stream-write json"
	[ "$output" = '{"window":{"start":"1970-01-01T00:00:10.000Z","end":"1970-01-01T00:00:15.000Z"},"count":5}' ]
	run -0 bash -c "stream-read frames '$T/late' | stream-write json"
	[ "$output" = '{"value":10,"eventTime":"1970-01-01T00:00:10.000Z"}' ]
}

@test "sliding windows whose slide does not divide the window, with an offset, and negative times" {
	S='t TIMESTAMP, k STRING'
	batch 0 "$S" '{"t":"2024-05-01T12:07:00Z","k":"a"}' '{"t":"1969-12-31T23:59:00Z","k":"b"}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --time t --window '10 minutes' --slide '4 minutes' --window-offset '1 minute' --group-by k --agg 'count(*) AS n' --output-mode update | stream-write json"
	# 23:59 is -1 minute: windows start at -3 + 4k minutes; [-11, -1) does not hold it, nor [11:57, 12:07) 12:07
	[ "$output" = '{"window":{"start":"1969-12-31T23:53:00.000Z","end":"1970-01-01T00:03:00.000Z"},"k":"b","n":1}
{"window":{"start":"1969-12-31T23:57:00.000Z","end":"1970-01-01T00:07:00.000Z"},"k":"b","n":1}
{"window":{"start":"2024-05-01T12:01:00.000Z","end":"2024-05-01T12:11:00.000Z"},"k":"a","n":1}
{"window":{"start":"2024-05-01T12:05:00.000Z","end":"2024-05-01T12:15:00.000Z"},"k":"a","n":1}' ]
}

# Spark's StreamingSessionWindowSuite, "append mode - session window": the words of
# each line are session ids, at the line's second
session_batches() {
	local n=0 line sec w rows
	for line in 'hello world spark streaming@40|world hello structured streaming@41' 'spark streaming@25' \
		'spark streaming@0' 'spark streaming@30' 'hello apache spark@60' 'structured streaming@90'; do
		rows=()
		IFS='|' read -ra parts <<<"$line"
		for part in "${parts[@]}"; do
			sec=${part##*@}
			for w in ${part%@*}; do
				rows+=("{\"sessionId\":\"$w\",\"eventTime\":\"1970-01-01T00:0$((sec / 60)):$(printf %02d $((sec % 60)))Z\"}")
			done
		done
		batch $n 'sessionId STRING, eventTime TIMESTAMP' "${rows[@]}"
		n=$((n + 1))
	done
}

@test "Spark's session window test: sessions merge when they touch, close at watermark 60" {
	session_batches
	run -0 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 5 | stream-window --time eventTime --watermark '30 seconds' --session-gap '10 seconds' --group-by sessionId --agg 'count(*) AS numEvents' --late-output '$T/late' | stream-write console -o truncate=false | grep -E '^Batch|^\\|\\{'"
	[ "$output" = "Batch: 0
Batch: 1
Batch: 2
Batch: 3
Batch: 4
Batch: 5
|{1970-01-01 00:00:25, 1970-01-01 00:00:50}|spark     |3        |
|{1970-01-01 00:00:25, 1970-01-01 00:00:51}|streaming |4        |
|{1970-01-01 00:00:40, 1970-01-01 00:00:51}|hello     |2        |
|{1970-01-01 00:00:40, 1970-01-01 00:00:51}|world     |2        |
|{1970-01-01 00:00:41, 1970-01-01 00:00:51}|structured|1        |
Batch: 6
|{1970-01-01 00:01:00, 1970-01-01 00:01:10}|apache    |1        |
|{1970-01-01 00:01:00, 1970-01-01 00:01:10}|hello     |1        |
|{1970-01-01 00:01:00, 1970-01-01 00:01:10}|spark     |1        |
|{1970-01-01 00:01:30, 1970-01-01 00:01:40}|streaming |1        |
|{1970-01-01 00:01:30, 1970-01-01 00:01:40}|structured|1        |" ]
	run -0 bash -c "stream-read frames '$T/late' | stream-write json"
	[ "$output" = '{"sessionId":"spark","eventTime":"1970-01-01T00:00:00.000Z"}
{"sessionId":"streaming","eventTime":"1970-01-01T00:00:00.000Z"}' ]
}

@test "session gap per row: a zero or negative gap drops the row, as Spark's dynamic gap" {
	session_batches
	run -0 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 5 | stream-window --time eventTime --watermark '30 seconds' --session-gap-expr \"CASE sessionId WHEN 'hello' THEN '1 second' WHEN 'structured' THEN '0 second' WHEN 'world' THEN '-10 seconds' ELSE '10 seconds' END\" --group-by sessionId --agg 'count(*) AS numEvents' --keep-state-at-end | stream-write json"
	[ "$output" = '{"session_window":{"start":"1970-01-01T00:00:25.000Z","end":"1970-01-01T00:00:50.000Z"},"sessionId":"spark","numEvents":3}
{"session_window":{"start":"1970-01-01T00:00:25.000Z","end":"1970-01-01T00:00:51.000Z"},"sessionId":"streaming","numEvents":4}
{"session_window":{"start":"1970-01-01T00:00:40.000Z","end":"1970-01-01T00:00:42.000Z"},"sessionId":"hello","numEvents":2}' ]
}

@test "every aggregate with NULLs matches DuckDB" {
	S='k STRING, x DOUBLE, n LONG'
	batch 0 "$S" '{"k":"a","x":1.5,"n":1}' '{"k":"a","x":null,"n":null}' '{"k":"a","x":2.25,"n":7}' \
		'{"k":"b","x":null,"n":null}' '{"k":"c","x":-4.0,"n":-3}' '{"k":"a","x":10.0,"n":2}' '{"k":"c","x":3.5,"n":5}'
	aggs='count(*) AS rows, count(x) AS cx, sum(x) AS sx, sum(n) AS sn, avg(x) AS ax, avg(n) AS an, min(x) AS mnx, max(n) AS mxn,
		stddev(x) AS sd, stddev_pop(x) AS sdp, variance(n) AS vr, var_pop(n) AS vp'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by k --agg '$aggs' --output-mode complete | stream-write json | jq -c '.[] |= (if type == \"number\" then (. * 1e9 | round / 1e9) else . end)'"
	want=$(duckdb_json "SELECT k, count(*) AS rows, count(x) AS cx, sum(x) AS sx, sum(n) AS sn, avg(x) AS ax, avg(n) AS an,
		min(x) AS mnx, max(n) AS mxn, stddev_samp(x) AS sd, stddev_pop(x) AS sdp, var_samp(n) AS vr, var_pop(n) AS vp
		FROM read_json('$T/b0.json', columns={k: 'VARCHAR', x: 'DOUBLE', n: 'BIGINT'}) GROUP BY k ORDER BY k" |
		jq -c 'with_entries(select(.value != null)) | .[] |= (if type == "string" and test("^-?[0-9]+$") then tonumber else . end)
			| .[] |= (if type == "number" then (. * 1e9 | round / 1e9) else . end)')
	[ "$output" = "$want" ]
	# the NULL rules, spelt out: b has only NULLs
	[ "${lines[1]}" = '{"k":"b","rows":1,"cx":0}' ]
}

@test "first and last, with and without ignoring NULLs, and approx_count_distinct" {
	S='k STRING, x LONG'
	batch 0 "$S" '{"k":"a","x":null}' '{"k":"a","x":1}' '{"k":"a","x":1}' '{"k":"a","x":2}' '{"k":"a","x":null}'
	batch 1 "$S" '{"k":"a","x":3}' '{"k":"a","x":3}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-window --group-by k --agg 'first(x) AS f, first(x, true) AS fi, last(x) AS l, last(x, true) AS li, approx_count_distinct(x) AS d' --output-mode update | stream-write json"
	[ "$output" = '{"k":"a","fi":1,"li":2,"d":2}
{"k":"a","fi":1,"l":3,"li":3,"d":3}' ]
}

@test "default column names are Spark's" {
	batch 0 'device_id STRING, temperature DOUBLE, humidity DOUBLE' '{"device_id":"d","temperature":1.0,"humidity":2.0}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by device_id --agg 'avg(temperature), count(*), COUNT(humidity), max(humidity), stddev(humidity)' --output-mode complete | stream-write csv -o header=true"
	[ "${lines[0]}" = 'device_id,avg(temperature),count(1),count(humidity),max(humidity),stddev(humidity)' ]
}

@test "group keys are expressions" {
	batch 0 'site STRING, v LONG' '{"site":"Paris","v":1}' '{"site":"PARIS","v":2}' '{"site":"lyon","v":3}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by 'upper(site) AS site, v % 2 AS odd' --agg 'sum(v) AS s' --output-mode complete | stream-write json"
	[ "$output" = '{"site":"LYON","odd":1,"s":3}
{"site":"PARIS","odd":0,"s":2}
{"site":"PARIS","odd":1,"s":1}' ]
}

@test "no window: a running groupBy().agg() in complete mode, and a global aggregate" {
	batch 0 "$WC" '{"timestamp":"2024-05-01T12:07:00Z","word":"dog"}' '{"timestamp":"2024-05-01T12:08:00Z","word":"owl"}'
	batch 1 "$WC" '{"timestamp":"2024-05-01T12:09:00Z","word":"dog"}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-window --group-by word --agg 'count(*) AS n' --output-mode complete | stream-write csv"
	[ "$output" = 'dog,1
owl,1
dog,2
owl,1' ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-window --agg 'count(*) AS n, max(timestamp) AS latest' --output-mode update | stream-write csv"
	[ "$output" = '2,2024-05-01T12:08:00.000Z
3,2024-05-01T12:09:00.000Z' ]
}

@test "grouping by the event time itself allows append mode" {
	batch 0 "$WC" '{"timestamp":"2024-05-01T12:07:00Z","word":"dog"}' '{"timestamp":"2024-05-01T12:07:00Z","word":"owl"}'
	batch 1 "$WC" '{"timestamp":"2024-05-01T12:20:00Z","word":"dog"}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-window --time timestamp --watermark '5 minutes' --group-by timestamp --agg 'count(*) AS n' --keep-state-at-end | stream-write csv"
	[ "$output" = '2024-05-01T12:07:00.000Z,2' ]
}

@test "combinations Spark refuses fail at start-up with Spark's reason" {
	while IFS='|' read -r args msg; do
		eval "set -- $args"
		run -2 --separate-stderr stream-window "$@" </dev/null
		[ "${stderr_lines[0]}" = "stream-window: $msg" ] || { echo "$args: $stderr"; false; }
		[ -z "$output" ]
	done <<'EOF'
--time t --window '5 minutes' --group-by k --agg 'count(*)'|Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark
--time t --watermark '1 minute' --group-by k --agg 'count(*)'|Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark
--time t --session-gap '5 minutes' --watermark '1 minute' --group-by k --agg 'count(*)' --output-mode update|Update output mode not supported for session window on streaming DataFrames/DataSets
--time t --session-gap '5 minutes' --watermark '1 minute' --agg 'count(*)'|Global aggregation with session window in streaming query is not supported
--time t --window '5 minutes' --watermark '-1 minute' --group-by k --agg 'count(*)'|delay threshold (-1 minute) should not be negative
--time t --window '5 minutes' --slide '10 minutes' --group-by k --agg 'count(*)' --output-mode update|the slide duration (10 minutes) must be less than or equal to the window duration (5 minutes)
--time t --window '10 minutes' --slide '5 minutes' --window-offset '5 minutes' --group-by k --agg 'count(*)' --output-mode update|the absolute value of the window offset (5 minutes) must be less than the slide duration (5 minutes)
--group-by k --agg 'count(DISTINCT x)' --output-mode update|Distinct aggregations are not supported on streaming DataFrames/Datasets. Consider using approx_count_distinct() instead.
--time t --window '5 minutes' --session-gap '1 minute' --group-by k --agg 'count(*)' --output-mode update|Multiple time/session window expressions would result in a cartesian product of rows, therefore they are currently not supported
--window '5 minutes' --group-by k --agg 'count(*)' --output-mode update|option '--window' needs --time (the event-time column)
--slide '5 minutes' --agg 'count(*)' --output-mode update|option '--slide' needs --window
--group-by k --agg 'x + 1' --output-mode update|option '--agg': 'x + 1' is not an aggregate function call (count, sum, avg, min, max, first, last, stddev, variance, approx_count_distinct, ...)
--group-by k --agg 'first(x, 1)' --output-mode update|option '--agg': 'first(x, 1)': the second argument of first must be a boolean literal
--group-by k --agg 'approx_count_distinct(x, 0.5)' --output-mode update|option '--agg': 'approx_count_distinct(x, 0.5)': HLL++ requires at least 4 bits for addressing: use a lower error, at most 39%
--group-by k --output-mode sideways|option '--output-mode': expected append, update or complete, not 'sideways'
--output-mode update|nothing to aggregate: give --agg, with --group-by or a window
EOF
}

@test "types Spark refuses fail when the schema is known" {
	batch 0 'k STRING, b BOOLEAN, t LONG' '{"k":"a","b":true,"t":1}'
	run -2 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by k --agg 'sum(b) AS s' --output-mode update"
	[ "$stderr" = "stream-window: option '--agg': 'sum(b)': sum needs a numeric argument, not BOOLEAN" ]
	run -2 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --time t --window '1 minute' --agg 'count(*)' --output-mode update"
	[ "$stderr" = "stream-window: option '--time': 't' is LONG, not a TIMESTAMP (convert it with CAST(.. AS TIMESTAMP) or timestamp_seconds(..))" ]
}

@test "chained: the watermark of the input's batch ends, alone or with our own (the lower wins)" {
	guide_batches
	first="stream-window $(printf '%q ' "${WINDOW[@]}") --keep-state-at-end"
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | $first | stream-window --time window.end --watermark upstream --window '1 hour' --agg 'sum(count) AS words, count(*) AS windows' | stream-write json"
	[ "$output" = '{"window":{"start":"2024-05-01T12:00:00.000Z","end":"2024-05-01T13:00:00.000Z"},"words":4,"windows":3}' ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | $first | stream-window --time window.end --watermark '0 seconds' --window '1 hour' --agg 'count(*) AS windows' --progress-fd 3 3>&1 >/dev/null | jq -r .eventTime.watermark"
	[ "$output" = '2024-05-01T11:58:00.000Z
2024-05-01T12:04:00.000Z
2024-05-01T12:10:00.000Z
2024-05-01T12:10:00.000Z' ]
}

@test "late rows go to a side output, one batch per input batch, or to a descriptor" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --late-output '$T/late.frames' >/dev/null && stream-read frames '$T/late.frames' | stream-write console"
	[[ $output == *"Batch: 3"*"|2024-05-01 12:04:00|donkey|"* ]]
	[ "$(grep -c '^Batch' <<<"$output")" = 4 ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --late-output fd:3 3>&1 >/dev/null | stream-write json"
	[ "$output" = '{"timestamp":"2024-05-01T12:04:00.000Z","word":"donkey"}' ]
	run -2 --separate-stderr stream-window "${WINDOW[@]}" --late-output fd:9 </dev/null
	[ "${stderr_lines[0]}" = "stream-window: option '--late-output': 'fd:9' is not an open descriptor" ]
}

@test "end of input: append emits what is left unless --keep-state-at-end; update and complete add nothing" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --keep-state-at-end | stream-write json | wc -l"
	[ "$output" = 3 ]
	for mode in update complete; do
		run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --output-mode $mode | stream-write console | grep -c '^Batch'"
		[ "$output" = 4 ]
	done
}

@test "progress: batch ids, watermarks and the state's figures, per batch" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, .numInputRows, .eventTime.watermark, .stateOperators[0].numRowsTotal, .stateOperators[0].numRowsDroppedByWatermark]'"
	[ "$output" = '[0,2,"2024-05-01T11:58:00.000Z",4,0]
[1,2,"2024-05-01T12:04:00.000Z",7,0]
[2,4,"2024-05-01T12:11:00.000Z",9,0]
[3,2,"2024-05-01T12:11:00.000Z",9,1]' ]
}

# restart: a checkpointed source and sink, in append mode, keeping open windows in the state between runs
restart_pipeline() {
	echo "stream-read json --schema '$WC' -o maxFilesPerTrigger=1 --checkpoint '$T/ck/read' --trigger availableNow '$T/in' |
		stream-window $1 --checkpoint '$T/ck/window' $2 | stream-write json --checkpoint '$T/ck/write' '$T/out'"
}

@test "restarting from the checkpoint in the middle of open windows gives the rows of one run" {
	guide_batches
	mkdir "$T/in"
	cp "$T/b0.json" "$T/in/0.json"
	cp "$T/b1.json" "$T/in/1.json"
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WINDOW[@]}")" --keep-state-at-end)"
	[ "$(ls "$T/ck/window/state")" = "0.delta
1.delta" ]
	cp "$T/b2.json" "$T/in/2.json"
	cp "$T/b3.json" "$T/in/3.json"
	# batches 2 and 3 start from the state of batch 1; the end of input emits the rest
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WINDOW[@]}")")"
	[ "$(ls "$T/ck/window/state" | tr '\n' ' ')" = "0.delta 1.delta 2.delta 3.delta " ]
	run -0 bash -c "cat '$T'/out/part-* | sort"
	got=$output
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 | stream-window $(printf '%q ' "${WINDOW[@]}") | stream-write json | sort"
	[ "$got" = "$output" ]
	[ "${#lines[@]}" = 12 ]
}

@test "a checkpoint of another aggregation is refused" {
	guide_batches
	mkdir "$T/in"
	cp "$T/b0.json" "$T/in/0.json"
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WINDOW[@]}")" --keep-state-at-end)"
	cp "$T/b1.json" "$T/in/1.json"
	run -1 --separate-stderr bash -c "$(restart_pipeline "--time timestamp --window '10 minutes' --watermark '10 minutes' --group-by word --agg 'count(*) AS count'") 2>&1 >/dev/null | grep stream-window >&2"
	[ "$stderr" = "stream-window: checkpoint '$T/ck/window': the saved state was made by another aggregation (different windows, keys or aggregates): start over with a new checkpoint" ]
}

@test "a batch replayed after a crash gives the same rows again" {
	guide_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-window $(printf '%q ' "${WINDOW[@]}") --output-mode update --checkpoint '$T/ck' | stream-write json"
	first=$output
	# the same batches again: batch 0 starts over from the empty state, and so on
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-window $(printf '%q ' "${WINDOW[@]}") --output-mode update --checkpoint '$T/ck' | stream-write json"
	[ "$output" = "$first" ]
	[ -n "$output" ]
}

@test "a schema change that keeps the key types is fine, one that changes them fails" {
	batch 0 'k STRING, v LONG' '{"k":"a","v":1}'
	batch 1 'k STRING, v LONG, extra STRING' '{"k":"a","v":2,"extra":"x"}'
	batch 2 'k LONG, v LONG' '{"k":1,"v":3}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-window --group-by k --agg 'sum(v) AS s' --output-mode update | stream-write csv"
	[ "$output" = 'a,1
a,3' ]
	run -1 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 2 | stream-window --group-by k --agg 'sum(v) AS s' --output-mode update >/dev/null"
	[ "$stderr" = "stream-window: the aggregation state holds keys (STRING) aggregates (sum of LONG) but the input now gives keys (LONG) aggregates (sum of LONG): the state cannot be kept (start over with a new checkpoint, or cast the columns back)" ]
}

@test "an input in update mode is refused" {
	batch 0 "$WC" '{"timestamp":"2024-05-01T12:07:00Z","word":"dog"}'
	run -1 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by word --agg 'count(*) AS n' --output-mode update | stream-window --group-by word --agg 'count(*) AS m' --output-mode update"
	[ "$stderr" = "stream-window: input batch 0 is in update mode: stream-window aggregates appended rows (Spark chains aggregations only after append output)" ]
}

@test "raw JSON on standard input is not a frame stream" {
	echo '{"a":1}' >"$T/a.json"
	run -1 --separate-stderr stream-window --group-by a --agg 'count(*)' --output-mode update <"$T/a.json"
	[ "$stderr" = "stream-window: standard input is not a frame stream (did you forget stream-read?)" ]
	[ -z "$output" ]
}

@test "usage errors: unknown option, bad duration, positional argument" {
	run -2 --separate-stderr stream-window --frobnicate
	[ "${stderr_lines[0]}" = "stream-window: unknown option '--frobnicate'" ]
	[ "${stderr_lines[1]}" = "try 'stream-window -h'" ]
	run -2 --separate-stderr stream-window --window 'five minutes' --agg 'count(*)'
	[[ ${stderr_lines[0]} == "stream-window: option '--window': "* ]]
	run -2 --separate-stderr stream-window --agg 'count(*)' file.frames
	[ "${stderr_lines[0]}" = "stream-window: unexpected argument 'file.frames' (stream-window reads standard input)" ]
	run -0 stream-window -h
	[ "${lines[0]}" = "usage: stream-window [options] --agg AGGS" ]
}

@test "each input batch gives one output batch, with the same id, also when empty" {
	batch 0 "$WC"
	batch 1 "$WC" '{"timestamp":"2024-05-01T12:07:00Z","word":"dog"}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 0 | stream-window --group-by word --agg 'count(*) AS n' --output-mode update | stream-write console | grep '^Batch'"
	[ "$output" = 'Batch: 0
Batch: 1
Batch: 2' ]
}
