#!/usr/bin/env bats
# stream-dedup: dropDuplicates on every column and on some, with a
# watermark (eviction, late rows), dropDuplicatesWithinWatermark, NULL
# keys, progress, checkpoints and restarts, and its refusals.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	S='id STRING, t TIMESTAMP, v LONG'
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

# run_dedup 'BATCHES' ARGS...: the batches through stream-dedup ARGS, as CSV lines "batch,row"
run_dedup() {
	local b=$1
	shift
	run -0 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames $b | stream-dedup $(printf '%q ' "$@") | stream-write console -o truncate=false | sed -n 's/^Batch: //p; s/^|\(.*\)|$/\1/p' | grep -v '^id'"
}

# The within-watermark example of the man page, one input batch per trigger.
within_batches() {
	batch 0 "$S" '{"id":"a","t":"2024-05-01T12:00:00Z","v":1}' '{"id":"a","t":"2024-05-01T12:05:00Z","v":2}' \
		'{"id":"b","t":"2024-05-01T12:08:00Z","v":3}'
	batch 1 "$S" '{"id":"a","t":"2024-05-01T12:09:00Z","v":4}' '{"id":"c","t":"2024-05-01T12:25:00Z","v":5}'
	batch 2 "$S" '{"id":"a","t":"2024-05-01T12:16:00Z","v":6}' '{"id":"b","t":"2024-05-01T12:17:00Z","v":7}' \
		'{"id":"x","t":"2024-05-01T12:14:00Z","v":8}'
	batch 3 "$S" '{"id":"b","t":"2024-05-01T12:40:00Z","v":9}'
	batch 4 "$S" '{"id":"b","t":"2024-05-01T12:41:00Z","v":10}'
}
WITHIN=(--keys id --time t --watermark '10 minutes' --within-watermark)

# Time in the key: (id, t) pairs, evicted once the watermark passes t.
timekey_batches() {
	batch 0 "$S" '{"id":"a","t":"2024-05-01T12:00:00Z","v":1}' '{"id":"a","t":"2024-05-01T12:00:00Z","v":2}' \
		'{"id":"b","t":"2024-05-01T12:20:00Z","v":3}'
	batch 1 "$S" '{"id":"a","t":"2024-05-01T12:00:00Z","v":4}' '{"id":"c","t":"2024-05-01T12:05:00Z","v":5}' \
		'{"id":"b","t":"2024-05-01T12:20:00Z","v":6}' '{"id":"d","t":"2024-05-01T12:11:00Z","v":7}'
	batch 2 "$S" '{"id":"b","t":"2024-05-01T12:20:00Z","v":8}' '{"id":"e","t":"2024-05-01T12:30:00Z","v":9}'
}
TIMEKEY=(--keys 'id, t' --time t --watermark '10 minutes')

@test "dropDuplicates(): every column is the key, rows keep their order" {
	batch 0 "$S" '{"id":"a","t":"2024-05-01T12:00:00Z","v":1}' '{"id":"a","t":"2024-05-01T12:00:00Z","v":1}' \
		'{"id":"a","t":"2024-05-01T12:00:00Z","v":2}' '{"id":"b","v":1}'
	batch 1 "$S" '{"id":"b","v":1}' '{"id":"a","t":"2024-05-01T12:00:00Z","v":2}' '{"id":"c","v":1}' \
		'{"id":"a","t":"2024-05-01T12:00:00.000001Z","v":2}'
	run_dedup '0 1' -q
	[ "$output" = '0
a  |2024-05-01 12:00:00|1  
a  |2024-05-01 12:00:00|2  
b  |null               |1  
1
c  |null                      |1  
a  |2024-05-01 12:00:00.000001|2  ' ]
	[ -z "$stderr" ]
}

@test "dropDuplicates(id): the first row of each key passes, in every later batch too" {
	batch 0 "$S" '{"id":"a","v":1}' '{"id":"b","v":2}' '{"id":"a","v":3}'
	batch 1 "$S" '{"id":"b","v":4}' '{"id":"c","v":5}' '{"id":"A","v":6}'
	run_dedup '0 1' --keys id -q
	[ "$output" = '0
a  |null|1  
b  |null|2  
1
c  |null|5  
A  |null|6  ' ]
}

@test "NULL keys equal each other, also inside several key columns; -0.0 equals 0.0" {
	batch 0 'k STRING, n LONG, d DOUBLE' '{"k":null,"n":1}' '{"n":1}' '{"k":"x"}' '{"k":"x","n":null}' \
		'{"k":"x","n":1,"d":0.0}' '{"k":"x","n":1,"d":-0.0}' '{"k":"","n":1}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup -q --keys k,n,d | stream-write json"
	[ "$output" = '{"n":1}
{"k":"x"}
{"k":"x","n":1,"d":0.0}
{"k":"","n":1}' ]
}

@test "nested key columns: structs and arrays compare by value" {
	printf '%s\n' '{"s":{"a":1,"b":[1,2]},"n":1}' '{"s":{"a":1,"b":[1,2]},"n":2}' '{"s":{"a":1,"b":[2,1]},"n":3}' \
		'{"s":{"a":1,"b":[]},"n":4}' '{"s":{"a":1},"n":5}' '{"s":null,"n":6}' '{"n":7}' >"$T/n.json"
	run -0 bash -c "stream-read json '$T/n.json' | stream-dedup -q --keys s | stream-write json | jq -c .n"
	[ "$output" = '1
3
4
5
6' ]
}

@test "time in the key: late rows dropped, entries evicted once the watermark passes their time" {
	timekey_batches
	run_dedup '0 1 2' "${TIMEKEY[@]}"
	[ "$output" = '0
a  |2024-05-01 12:00:00|1  
b  |2024-05-01 12:20:00|3  
1
d  |2024-05-01 12:11:00|7  
2
e  |2024-05-01 12:30:00|9  ' ]
	[ -z "$stderr" ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-dedup $(printf '%q ' "${TIMEKEY[@]}") --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, .numInputRows, .eventTime.watermark, (.stateOperators[0] | .operatorName, .numRowsTotal, .numRowsUpdated, .numRowsRemoved, .numRowsDroppedByWatermark, .customMetrics.numDroppedDuplicateRows)]'"
	[ "$output" = '[0,3,"2024-05-01T12:10:00.000Z","dedupe",1,2,1,0,1]
[1,4,"2024-05-01T12:10:00.000Z","dedupe",2,1,0,2,1]
[2,2,"2024-05-01T12:20:00.000Z","dedupe",1,1,2,0,1]' ]
}

@test "time not in the key: late rows are dropped all the same, nothing is evicted, a warning says so" {
	timekey_batches
	run_dedup '0 1 2' --keys id --time t --watermark '10 minutes'
	[ "$output" = '0
a  |2024-05-01 12:00:00|1  
b  |2024-05-01 12:20:00|3  
1
d  |2024-05-01 12:11:00|7  
2
e  |2024-05-01 12:30:00|9  ' ]
	[ "$stderr" = "stream-dedup: warning: the event-time column is not a key column: the seen keys are never forgotten, the state grows with every new key" ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-dedup -q --keys id --time t --watermark '10 minutes' --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, (.stateOperators[0] | .numRowsTotal, .numRowsRemoved, .numRowsDroppedByWatermark)]'"
	[ "$output" = '[0,2,0,0]
[1,3,0,2]
[2,4,0,0]' ]
}

@test "no watermark: nothing is late, the state grows, a warning says so once (none with -q)" {
	timekey_batches
	run_dedup '0 1 2' --keys id
	[ "$output" = '0
a  |2024-05-01 12:00:00|1  
b  |2024-05-01 12:20:00|3  
1
c  |2024-05-01 12:05:00|5  
d  |2024-05-01 12:11:00|7  
2
e  |2024-05-01 12:30:00|9  ' ]
	[ "$stderr" = "stream-dedup: warning: no watermark: the seen keys are never forgotten, the state grows with every new key" ]
	run_dedup '0 1 2' --keys id -q
	[ -z "$stderr" ]
}

@test "dropDuplicatesWithinWatermark: a key is remembered until the watermark passes its first time + delay" {
	within_batches
	run_dedup '0 1 2 3 4' "${WITHIN[@]}"
	[ "$output" = '0
a  |2024-05-01 12:00:00|1  
b  |2024-05-01 12:08:00|3  
1
c  |2024-05-01 12:25:00|5  
2
a  |2024-05-01 12:16:00|6  
3
4
b  |2024-05-01 12:41:00|10 ' ]
	[ -z "$stderr" ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 | stream-dedup $(printf '%q ' "${WITHIN[@]}") --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, .eventTime.watermark, (.stateOperators[0] | .operatorName, .numRowsTotal, .numRowsUpdated, .numRowsRemoved, .numRowsDroppedByWatermark, .customMetrics.numDroppedDuplicateRows)]'"
	[ "$output" = '[0,"2024-05-01T11:58:00.000Z","dedupeWithinWatermark",2,2,0,0,1]
[1,"2024-05-01T12:15:00.000Z","dedupeWithinWatermark",2,1,1,0,1]
[2,"2024-05-01T12:15:00.000Z","dedupeWithinWatermark",3,1,0,1,1]
[3,"2024-05-01T12:30:00.000Z","dedupeWithinWatermark",1,0,2,0,1]
[4,"2024-05-01T12:31:00.000Z","dedupeWithinWatermark",2,1,0,0,0]' ]
}

@test "the watermark of the input's batch ends, with 'upstream', decides what is late" {
	timekey_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 | stream-dedup -q --keys id --time t --watermark '10 minutes' | stream-dedup --keys 'id,t' --time t --watermark upstream --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, .eventTime.watermark, .stateOperators[0].numRowsTotal]'"
	[ "$output" = '[0,"2024-05-01T12:10:00.000Z",1]
[1,"2024-05-01T12:10:00.000Z",2]
[2,"2024-05-01T12:20:00.000Z",1]' ]
}

@test "each input batch gives one output batch with the same id, the watermark in its end, also when empty" {
	batch 0 "$S"
	batch 1 "$S" '{"id":"a","t":"2024-05-01T12:00:00Z","v":1}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 1 | stream-dedup -q | stream-write console | grep '^Batch'"
	[ "$output" = 'Batch: 0
Batch: 1
Batch: 2' ]
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 1 | stream-dedup -q --time t --watermark '1 minute' | stream-dedup -q --keys id --time t --watermark upstream --progress-fd 3 3>&1 >/dev/null | jq -c '[.batchId, .numInputRows, .eventTime.watermark]'"
	[ "$output" = '[0,0,"1970-01-01T00:00:00.000Z"]
[1,1,"2024-05-01T11:59:00.000Z"]
[2,0,"2024-05-01T11:59:00.000Z"]' ]
}

@test "progress: memory per key is reported, and so are the bytes the checkpoint wrote" {
	batch 0 'k LONG' '{"k":1}' '{"k":2}' '{"k":2}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup -q --checkpoint '$T/ck' >/dev/null; jq -c '.stateOperators[0] | [.numRowsTotal, .memoryUsedBytes > 0, .stateBytesWritten > 0]' '$T/ck/progress'"
	[ "$output" = '[2,true,true]' ]
}

# restart: a checkpointed source and sink, one file per batch
restart_pipeline() {
	echo "stream-read json --schema '$S' -o maxFilesPerTrigger=1 --checkpoint '$T/ck/read' --trigger availableNow '$T/in' |
		stream-dedup -q $1 --checkpoint '$T/ck/dedup' | stream-write json --checkpoint '$T/ck/write' '$T/out'"
}

@test "restarting from the checkpoint in the middle gives the rows of one run" {
	within_batches
	mkdir "$T/in"
	cp "$T/b0.json" "$T/in/0.json"
	cp "$T/b1.json" "$T/in/1.json"
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WITHIN[@]}")")"
	[ "$(ls "$T/ck/dedup/state" | tr '\n' ' ')" = "0.delta 1.delta " ]
	cp "$T/b2.json" "$T/in/2.json"
	cp "$T/b3.json" "$T/in/3.json"
	cp "$T/b4.json" "$T/in/4.json"
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WITHIN[@]}")")"
	run -0 bash -c "cat '$T'/out/part-* | sort"
	got=$output
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 | stream-dedup $(printf '%q ' "${WITHIN[@]}") | stream-write json | sort"
	[ "$got" = "$output" ]
	[ "${#lines[@]}" = 5 ]
}

@test "killed with SIGKILL between batches, then the batches replayed: the same rows" {
	within_batches
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 | stream-dedup $(printf '%q ' "${WITHIN[@]}") | stream-write json"
	want=$output
	# batches 0 and 1 without the end of the stream, then nothing: the tool waits for more
	mkfifo "$T/fifo"
	bash -c "$(declare -f frames); T='$T'; { frames 0 1 | head -c -8; exec sleep 30; } >'$T/fifo'" &
	feeder=$!
	stream-dedup "${WITHIN[@]}" --checkpoint "$T/ck" <"$T/fifo" >/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -e "$T/ck/state/1.delta" ] && break; sleep 0.1; done
	[ -e "$T/ck/state/1.delta" ]
	kill -9 "$pid"
	wait "$pid" || true
	kill "$feeder"
	wait "$feeder" || true
	# the source replays everything: batch 0 starts from the empty state, batch 2 from batch 1's
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 | stream-dedup $(printf '%q ' "${WITHIN[@]}") --checkpoint '$T/ck' | stream-write json"
	[ "$output" = "$want" ]
	# and once more, from the state of the last batch on disk
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 2 3 4 | stream-dedup $(printf '%q ' "${WITHIN[@]}") --checkpoint '$T/ck' | stream-write json"
	[ "$output" = "$want" ]
}

@test "a checkpoint of another deduplication is refused" {
	within_batches
	mkdir "$T/in"
	cp "$T/b0.json" "$T/in/0.json"
	run -0 bash -c "$(restart_pipeline "$(printf '%q ' "${WITHIN[@]}")")"
	cp "$T/b1.json" "$T/in/1.json"
	run -1 --separate-stderr bash -c "$(restart_pipeline "--keys id") 2>&1 >/dev/null | grep stream-dedup >&2"
	[ "$stderr" = "stream-dedup: checkpoint '$T/ck/dedup': the saved state was made by another deduplication (different keys, time column, watermark or mode): start over with a new checkpoint" ]
}

@test "a schema change that keeps the key columns is fine, one that changes their types fails" {
	batch 0 'k STRING, v LONG' '{"k":"a","v":1}'
	batch 1 'k STRING, v LONG, extra STRING' '{"k":"a","v":2,"extra":"x"}' '{"k":"b","v":3,"extra":"y"}'
	batch 2 'k LONG, v LONG' '{"k":1,"v":3}'
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 1 | stream-dedup -q --keys k | stream-write csv"
	[ "$output" = 'a,1
b,3,y' ]
	run -1 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 2 | stream-dedup -q --keys k >/dev/null"
	[ "$stderr" = "stream-dedup: the key columns changed from (k STRING) to (k LONG): the seen keys cannot be compared (start over with a new checkpoint)" ]
}

@test "key and time columns that do not exist, or a time that is no TIMESTAMP, are named with the columns there are" {
	batch 0 "$S" '{"id":"a","v":1}'
	run -2 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup -q --keys 'id, nope' >/dev/null"
	[ "$stderr" = "stream-dedup: option '--keys': no column 'nope' in the input (its columns: 'id', 't', 'v')" ]
	run -2 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup --time ts --watermark '1 minute' >/dev/null"
	[ "$stderr" = "stream-dedup: option '--time': no column 'ts' in the input (its columns: 'id', 't', 'v')" ]
	run -2 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup --time v --watermark '1 minute' >/dev/null"
	[ "$stderr" = "stream-dedup: option '--time': column 'v' is LONG, not TIMESTAMP (cast it with stream-select)" ]
	# names match as Spark's do: case-insensitively, `quoted` too
	run -0 bash -c "$(declare -f frames); T='$T'; frames 0 | stream-dedup -q --keys '\`ID\`, V' | stream-write json"
	[ "$output" = '{"id":"a","v":1}' ]
}

@test "refusals at start-up: Spark's reasons, status 2" {
	run -2 --separate-stderr stream-dedup --within-watermark
	[ "$stderr" = "stream-dedup: Watermark must be defined on the streaming DataFrame when using dropDuplicatesWithinWatermark: give '--time' and '--watermark'" ]
	run -2 --separate-stderr stream-dedup --within-watermark --time t
	[ "$stderr" = "stream-dedup: Watermark must be defined on the streaming DataFrame when using dropDuplicatesWithinWatermark: give '--time' and '--watermark'" ]
	run -2 --separate-stderr stream-dedup --within-watermark --time t --watermark upstream
	[ "$stderr" = "stream-dedup: option '--within-watermark' needs a delay in '--watermark', not 'upstream' (the delay sets how long a key is remembered)" ]
	run -2 --separate-stderr stream-dedup --watermark '1 minute'
	[ "$stderr" = "stream-dedup: option '--watermark' needs '--time' (the event-time column)" ]
	run -2 --separate-stderr stream-dedup --time t
	[ "$stderr" = "stream-dedup: option '--time' needs '--watermark' (as Spark's withWatermark names both)" ]
	run -2 --separate-stderr stream-dedup --time t --watermark '-1 minute'
	[ "$stderr" = "stream-dedup: delay threshold (-1 minute) should not be negative" ]
	run -2 --separate-stderr stream-dedup --keys 'a,,b'
	[ "$stderr" = "stream-dedup: option '--keys': empty column name in 'a,,b'" ]
	run -2 --separate-stderr stream-dedup --time t --watermark 'five minutes'
	[[ ${stderr_lines[0]} == "stream-dedup: option '--watermark': "* ]]
	[ "${stderr_lines[1]}" = "try 'stream-dedup -h'" ]
	[ -z "$output" ]
}

@test "usage errors: unknown option, positional argument; -h" {
	run -2 --separate-stderr stream-dedup --frobnicate
	[ "${stderr_lines[0]}" = "stream-dedup: unknown option '--frobnicate'" ]
	[ "${stderr_lines[1]}" = "try 'stream-dedup -h'" ]
	run -2 --separate-stderr stream-dedup file.frames
	[ "${stderr_lines[0]}" = "stream-dedup: unexpected argument 'file.frames' (stream-dedup reads standard input)" ]
	run -0 stream-dedup -h
	[ "${lines[0]}" = "usage: stream-dedup [options]" ]
}

@test "an input in update mode is refused; raw JSON is not a frame stream" {
	batch 0 'word STRING' '{"word":"dog"}'
	run -1 --separate-stderr bash -c "$(declare -f frames); T='$T'; frames 0 | stream-window --group-by word --agg 'count(*) AS n' --output-mode update | stream-dedup -q >/dev/null"
	[ "$stderr" = "stream-dedup: input batch 0 is in update mode: stream-dedup takes appended rows (Spark deduplicates only before an aggregation or after append output)" ]
	echo '{"a":1}' >"$T/a.json"
	run -1 --separate-stderr stream-dedup -q <"$T/a.json"
	[ "$stderr" = "stream-dedup: standard input is not a frame stream (did you forget stream-read?)" ]
	[ -z "$output" ]
}
