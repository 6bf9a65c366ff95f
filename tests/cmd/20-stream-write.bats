#!/usr/bin/env bats
# stream-write: every format, files that appear whole or not at all, and its errors.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":1,"name":"ada","score":9.5}' '{"id":2,"name":null,"score":10.0}' '{"id":3,"name":"grace, \"amazing\"","score":null}' >"$T/p.json"
	SCHEMA='id LONG, name STRING, score DOUBLE'
}

@test "raw JSON on standard input is not a frame stream" {
	run -1 --separate-stderr stream-write json <"$T/p.json"
	[ "$stderr" = "stream-write: standard input is not a frame stream (did you forget stream-read?)" ]
	[ -z "$output" ]
}

@test "empty standard input says the upstream failed" {
	run -1 --separate-stderr stream-write json </dev/null
	[ "$stderr" = "stream-write: standard input is empty, not a frame stream (did the upstream tool fail?)" ]
}

@test "a truncated stream fails and commits no file" {
	stream-read json --schema "$SCHEMA" "$T/p.json" >"$T/p.frames"
	size=$(stat -c %s "$T/p.frames")
	for cut in 20 40 $((size - 8)) $((size - 1)); do
		run -1 --separate-stderr bash -c "head -c $cut '$T/p.frames' | stream-write json '$T/out.json'"
		[[ $stderr == "stream-write: standard input"* ]]
		[ ! -e "$T/out.json" ]
		[ -z "$(ls -A "$T" | grep '^\.out')" ]
	done
}

@test "unknown format and extra path are usage errors" {
	run -2 --separate-stderr stream-write parquet
	[ "${stderr_lines[0]}" = "stream-write: unknown format 'parquet' (console, json, csv, text, frames, kafka or exec)" ]
	run -2 --separate-stderr stream-write json a b
	[ "${stderr_lines[0]}" = "stream-write: more than one output path ('a' and 'b')" ]
}

@test "an unknown -o key is a usage error listing the known ones" {
	run -2 --separate-stderr stream-write console -o numrow=3 </dev/null
	[ "${stderr_lines[0]}" = "stream-write: unknown option -o 'numrow' for console (known: numRows, truncate, vertical)" ]
}

@test "json: NULL fields are left out" {
	run -0 bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-write json"
	[ "${lines[0]}" = '{"id":1,"name":"ada","score":9.5}' ]
	[ "${lines[1]}" = '{"id":2,"score":10.0}' ]
	[ "${lines[2]}" = '{"id":3,"name":"grace, \"amazing\""}' ]
}

@test "json output parses with jq to the same values" {
	run -0 bash -c "stream-read json examples/iot/events.jsonl | stream-write json | jq -c '[.device_id, .temperature, .humidity, .timestamp]' | md5sum"
	want=$(jq -c '[.device_id, .temperature, .humidity, .timestamp]' examples/iot/events.jsonl | md5sum)
	[ "$output" = "$want" ]
}

@test "csv: Spark's quoting, NULL as empty, header on request" {
	run -0 bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-write csv -o header=true"
	[ "${lines[0]}" = 'id,name,score' ]
	[ "${lines[1]}" = '1,ada,9.5' ]
	[ "${lines[2]}" = '2,,10.0' ]
	[ "${lines[3]}" = '3,"grace, \"amazing\"",' ]
}

@test "text: one STRING column only" {
	run -0 bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-select --select 'name' --where 'name IS NOT NULL' | stream-write text"
	[ "$output" = $'ada\ngrace, "amazing"' ]
	run -1 --separate-stderr bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-write text"
	[[ $stderr == "stream-write: "*"single column"* ]]
}

@test "console: Spark's banner and table" {
	run -0 bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-write console"
	expected='-------------------------------------------
Batch: 0
-------------------------------------------
+---+----------------+-----+
| id|            name|score|
+---+----------------+-----+
|  1|             ada|  9.5|
|  2|            null| 10.0|
|  3|grace, "amazing"| null|
+---+----------------+-----+'
	[ "$output" = "$expected" ]
}

@test "console: numRows limits the rows shown" {
	run -0 bash -c "stream-read json examples/iot/events.jsonl | stream-write console -o numRows=2"
	[ "${lines[9]}" = "only showing top 2 rows" ]
	[ "${#lines[@]}" -eq 10 ]
}

@test "a file appears whole, with no temporary left behind" {
	run -0 bash -c "stream-read json --schema '$SCHEMA' '$T/p.json' | stream-write json '$T/out.json'"
	[ -z "$output" ]
	[ "$(wc -l <"$T/out.json")" -eq 3 ]
	[ "$(ls -A "$T" | grep -c '^\.out')" -eq 0 ]
}

@test "frames: a recording with zstd replays identically" {
	stream-read json examples/iot/events.jsonl | stream-write frames -o compression=zstd "$T/rec.frames"
	cmp <(stream-read frames "$T/rec.frames" | stream-write json) <(stream-read json examples/iot/events.jsonl | stream-write json)
	run -2 --separate-stderr stream-write frames -o compression=lz4 "$T/x.frames" </dev/null
	[ "${stderr_lines[0]}" = "stream-write: option -o compression=lz4: expected none or zstd" ]
}

@test "a reader that goes away ends stream-write quietly" {
	seq 1 200000 | sed 's/.*/{"n":&}/' >"$T/many.json"
	run -0 --separate-stderr bash -c "stream-read json '$T/many.json' | stream-write json | head -1"
	[ "$output" = '{"n":1}' ]
	[ -z "$stderr" ]
}
