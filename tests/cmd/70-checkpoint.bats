#!/usr/bin/env bats
# Checkpoints, triggers and the directory source: each file once, batches
# by the rate limits, commits flowing back to the source, and the errors.
load ../helpers

SCHEMA='device_id STRING, temperature DOUBLE, humidity DOUBLE, timestamp TIMESTAMP'

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/in"
	for i in 1 2 3 4 5; do
		sed -n "$((i * 10 - 9)),$((i * 10))p" "$SP_TOP/examples/iot/events.jsonl" >"$T/in/f$i.json"
		touch -d "2024-05-01 10:0$i:00" "$T/in/f$i.json"
	done
}

run_once() {
	stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow "$@" \
	  | stream-write json --checkpoint "$T/ck/write" "$T/out"
}

committed_rows() {
	stream-read json "$T/out" --trigger once --schema "$SCHEMA" | stream-write json | wc -l
}

@test "availableNow: batches by maxFilesPerTrigger, then exit 0; a rerun reads nothing again" {
	run -0 run_once -o maxFilesPerTrigger=2
	[ "$(ls "$T/ck/read/offsets")" = $'0\n1\n2' ]
	[ "$(ls "$T/ck/read/commits")" = $'0\n1\n2' ]
	[ "$(committed_rows)" -eq 50 ]
	run -0 run_once
	[ "$(ls "$T/ck/read/offsets" | wc -l)" -eq 3 ]
	[ "$(committed_rows)" -eq 50 ]
	sed -n 51,57p "$SP_TOP/examples/iot/events.jsonl" >"$T/in/f6.json"
	run -0 run_once
	[ "$(committed_rows)" -eq 57 ]
	[ "$(ls "$T/ck/read/offsets" | wc -l)" -eq 4 ]
}

@test "once: everything in one batch, ignoring the limits" {
	run -0 bash -c "stream-read json '$T/in' --schema '$SCHEMA' --trigger once -o maxFilesPerTrigger=1 | stream-write console -o numRows=1 | grep -c '^Batch:'"
	[ "$output" = 1 ]
}

@test "maxBytesPerTrigger cuts batches by size, at least one file each" {
	run -0 bash -c "stream-read json '$T/in' --schema '$SCHEMA' --trigger availableNow -o maxBytesPerTrigger=1 | stream-write console -o numRows=1 | grep -c '^Batch:'"
	[ "$output" = 5 ]
}

@test "files are taken oldest first" {
	touch -d '2024-05-01 09:00:00' "$T/in/f5.json"
	run -0 bash -c "stream-read json '$T/in' --schema '$SCHEMA' --trigger availableNow -o maxFilesPerTrigger=1 | stream-write json | head -1"
	[ "$output" = "$(stream-read json "$T/in/f5.json" --schema "$SCHEMA" | stream-write json | head -1)" ]
}

@test "the sink skips a batch it committed when the source replays it" {
	run -0 run_once -o maxFilesPerTrigger=2
	# The source lost its record of the last commit: it replays batch 2.
	rm "$T/ck/read/commits/2"
	run -0 --separate-stderr bash -c "stream-read json '$T/in' --schema '$SCHEMA' --checkpoint '$T/ck/read' --trigger availableNow -v -v | stream-write json -v -v --checkpoint '$T/ck/write' '$T/out'"
	[[ $stderr == *"stream-read: replaying batch 2"* ]]
	[[ $stderr == *"stream-write: batch 2 was committed before: skipped"* ]]
	[ -f "$T/ck/read/commits/2" ]
	[ "$(committed_rows)" -eq 50 ]
}

@test "two sinks on one source (tee): a batch is done when both have it, and a restart gives each what it missed" {
	# sink B fails on batch 1 until told otherwise; sink A goes on
	tee_run() {
		stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow \
			-o maxFilesPerTrigger=2 \
		  | tee >(stream-write json --checkpoint "$T/ck/a" "$T/out") \
		  | stream-write exec --checkpoint "$T/ck/b" -o maxRetries=0 -- \
			sh -c 'test "$STREAM_BATCH_ID" != 1 || test -e "$0/ok" || exit 3; echo "$STREAM_BATCH_ID" >>"$0/b-batches"' "$T"
	}
	run tee_run
	[ "$status" -ne 0 ]
	[ "$(ls "$T/ck/read/sinks" | wc -l)" -eq 2 ]
	[ "$(ls "$T/ck/read/commits")" = 0 ]
	touch "$T/ok"
	run -0 tee_run
	# the process substitution may finish after the pipeline
	for _ in $(seq 50); do [ -e "$T/ck/read/commits/2" ] && break; sleep 0.1; done
	[ "$(ls "$T/ck/read/commits" | sort -n | tail -1)" = 2 ]
	[ "$(cat "$T/b-batches")" = $'0\n1\n2' ]
	[ "$(committed_rows)" -eq 50 ]
	[ "$(stream-read json "$T/out" --trigger once --schema "$SCHEMA" | stream-write json | sort -u | wc -l)" -eq 50 ]
}

@test "a part file without its manifest entry is never read" {
	run -0 run_once
	cp "$T/in/f1.json" "$T/out/part-00099-leftover.c000.json"
	[ "$(committed_rows)" -eq 50 ]
	[ "$(head -1 "$T/out/_spark_metadata/0")" = v1 ]
}

@test "a checkpoint of another query is refused, naming both" {
	run -0 run_once
	mkdir "$T/in2"
	cp "$T/in/f1.json" "$T/in2/"
	run -1 --separate-stderr bash -c "stream-read json '$T/in2' --schema '$SCHEMA' --checkpoint '$T/ck/other' --trigger availableNow | stream-write json --checkpoint '$T/ck/write' '$T/out'"
	[[ $stderr == "stream-write: checkpoint '$T/ck/write' belongs to query "*" (source '$T/ck/read'), not to this stream's query "*" (source '$T/ck/other')" ]]
}

@test "a checkpoint of another tool is refused" {
	run -1 --separate-stderr bash -c "stream-read json '$T/in' --schema '$SCHEMA' --checkpoint '$T/ck/read' --trigger availableNow | stream-write json --checkpoint '$T/ck/read' '$T/out'"
	[[ $stderr == *"stream-write: checkpoint '$T/ck/read' belongs to stream-read, not stream-write (give each tool its own directory)"* ]]
}

@test "a corrupt checkpoint file is reported with its path" {
	run -0 run_once -o maxFilesPerTrigger=2
	rm "$T/ck/read/commits/2"
	printf 'garbage' >>"$T/ck/read/offsets/2"
	run -1 --separate-stderr run_once
	[[ $stderr == *"stream-read: checkpoint file '$T/ck/read/offsets/2' is corrupt: bad length"* ]]
}

@test "standard input cannot be checkpointed" {
	run -2 --separate-stderr stream-read json --checkpoint "$T/ck" - </dev/null
	[ "${stderr_lines[0]}" = "stream-read: --checkpoint needs files or directories to replay from, not standard input" ]
}

@test "a bad trigger is a usage error" {
	run -2 --separate-stderr stream-read json --trigger sometimes "$T/in"
	[ "${stderr_lines[0]}" = "stream-read: option '--trigger': expected processingTime=DURATION, once or availableNow, not 'sometimes'" ]
	run -2 --separate-stderr stream-read json --trigger processingTime=soon "$T/in"
	[[ ${stderr_lines[0]} == "stream-read: option '--trigger': bad duration 'soon'"* ]]
}

@test "cleanSource=delete removes the files of committed batches; archive moves them" {
	run -0 run_once -o maxFilesPerTrigger=2 -o cleanSource=delete
	# What the sink had committed by a batch's end is gone then; the rest goes at the next start.
	run -0 run_once -o cleanSource=delete
	[ "$(ls "$T/in" | wc -l)" -eq 0 ]
	[ "$(committed_rows)" -eq 50 ]
	mkdir "$T/in3"
	cp "$T/out/"part-* "$T/in3/" 2>/dev/null || true
	echo '{"device_id":"x"}' >"$T/in3/a.json"
	run -0 bash -c "stream-read json '$T/in3' --schema '$SCHEMA' --checkpoint '$T/ck3' --trigger availableNow -o cleanSource=archive -o sourceArchiveDir='$T/archive' | stream-write json --checkpoint '$T/ck3w' '$T/out3'"
	run -0 bash -c "stream-read json '$T/in3' --schema '$SCHEMA' --checkpoint '$T/ck3' --trigger availableNow -o cleanSource=archive -o sourceArchiveDir='$T/archive' | stream-write json --checkpoint '$T/ck3w' '$T/out3'"
	[ -f "$T/archive$T/in3/a.json" ]
	[ ! -e "$T/in3/a.json" ]
}

@test "progress: one JSON line per batch with Spark's fields, in the checkpoint and on a descriptor" {
	run -0 bash -c "stream-read json '$T/in' --schema '$SCHEMA' --checkpoint '$T/ck/read' --trigger availableNow -o maxFilesPerTrigger=2 --progress-fd 3 3>'$T/fd3' | stream-write json --checkpoint '$T/ck/write' '$T/out'"
	[ "$(wc -l <"$T/ck/read/progress")" -eq 3 ]
	cmp "$T/fd3" "$T/ck/read/progress"
	run -0 jq -r '[.batchId, .numInputRows, (.sources[0].numInputRows), (.id | length), (.runId | length)] | @tsv' "$T/ck/read/progress"
	[ "$output" = $'0\t20\t20\t36\t36\n1\t20\t20\t36\t36\n2\t10\t10\t36\t36' ]
	run -0 jq -r '[.batchId, .sink.numOutputRows] | @tsv' "$T/ck/write/progress"
	[ "$output" = $'0\t20\n1\t20\n2\t10' ]
	[ "$(jq -r .id "$T/ck/read/progress" | sort -u)" = "$(jq -r .id "$T/ck/write/progress" | sort -u)" ]
}

@test "watching a directory: new files make new batches; SIGTERM ends the stream and everything exits 0" {
	stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" \
	  | stream-write json --checkpoint "$T/ck/write" "$T/out" &
	pid=$!
	for _ in $(seq 50); do [ -f "$T/ck/read/commits/0" ] && break; sleep 0.1; done
	sed -n 51,53p "$SP_TOP/examples/iot/events.jsonl" >"$T/in/.new.json.tmp"
	mv "$T/in/.new.json.tmp" "$T/in/new.json"
	for _ in $(seq 50); do [ -f "$T/ck/read/commits/1" ] && break; sleep 0.1; done
	pkill -TERM -f "stream-read json $T/in"
	wait "$pid"
	[ "$(committed_rows)" -eq 53 ]
}

@test "--follow tails a growing file, complete lines only, across rotation" {
	printf '{"n":1}\n' >"$T/log.json"
	stream-read json --follow --schema 'n LONG' "$T/log.json" | stream-write json >"$T/follow.out" &
	pid=$!
	sleep 0.4
	printf '{"n":2}\n{"n"' >>"$T/log.json"
	sleep 0.4
	[ "$(cat "$T/follow.out")" = $'{"n":1}\n{"n":2}' ]
	printf ':3}\n' >>"$T/log.json"
	sleep 0.4
	mv "$T/log.json" "$T/log.json.1"
	printf '{"n":4}\n' >"$T/log.json"
	sleep 0.6
	pkill -TERM -f "stream-read json --follow --schema n LONG $T/log.json"
	wait "$pid"
	[ "$(cat "$T/follow.out")" = $'{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}' ]
}

@test "schema evolution: new columns stop the run, and the next run reads them (addNewColumns)" {
	mkdir "$T/ev"
	echo '{"a":1,"b":"x"}' >"$T/ev/1.json"
	touch -d '2024-01-01' "$T/ev/1.json"
	evolve() {
		stream-read json "$T/ev" --checkpoint "$T/eck" --trigger availableNow "$@" | stream-write json --checkpoint "$T/ewk" "$T/eout"
	}
	run -0 evolve
	echo '{"a":2,"c":true,"b":"y"}' >"$T/ev/2.json"
	run -1 --separate-stderr evolve -o schemaEvolutionMode=failOnNewColumns
	[ "${stderr_lines[0]}" = "stream-read: batch 1 has new columns 'c', which the schema in '$T/eck/schema' lacks (schemaEvolutionMode=failOnNewColumns)" ]
	run -1 --separate-stderr evolve
	[ "${stderr_lines[0]}" = "stream-read: batch 1 has new columns 'c': the schema in '$T/eck/schema' now has them; run again to read them (schemaEvolutionMode=addNewColumns)" ]
	run -0 evolve
	run -0 bash -c "stream-read json '$T/eout' --trigger once | stream-write json"
	[ "$output" = $'{"a":1,"b":"x"}\n{"a":2,"b":"y","c":true}' ]
	run -2 --separate-stderr stream-read json "$T/ev" --checkpoint "$T/eck" -o schemaEvolutionMode=grow
	[ "${stderr_lines[0]}" = "stream-read: option -o schemaEvolutionMode=grow: expected addNewColumns, rescue, failOnNewColumns or none" ]
}

@test "schema evolution: rescue keeps the schema and puts what it lacks in _rescued_data" {
	mkdir "$T/ev"
	echo '{"a":1,"b":"x"}' >"$T/ev/1.json"
	touch -d '2024-01-01' "$T/ev/1.json"
	evolve() {
		stream-read json "$T/ev" --checkpoint "$T/eck" --trigger availableNow -o schemaEvolutionMode=rescue \
		  | stream-write json --checkpoint "$T/ewk" "$T/eout"
	}
	run -0 evolve
	printf '%s\n' '{"a":2,"c":true,"b":"y"}' '{"a":"three","b":"z"}' >"$T/ev/2.json"
	run -0 evolve
	run -0 bash -c "stream-read json '$T/eout' --trigger once --schema 'a LONG, b STRING, _rescued_data STRING' | stream-write json"
	[ "$output" = '{"a":1,"b":"x"}
{"a":2,"b":"y","_rescued_data":"{\"c\":true}"}
{"b":"z","_rescued_data":"{\"a\":\"three\"}"}' ]
}
