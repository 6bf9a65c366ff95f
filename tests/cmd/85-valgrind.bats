#!/usr/bin/env bats
# No leaks and no invalid accesses on the main paths, under valgrind.
load ../helpers

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ "$SP_BUILD" != build-asan ] || skip "the sanitizer build checks this already"
	T=$BATS_TEST_TMPDIR
	head -200 "$SP_TOP/examples/iot/events.jsonl" >"$T/in.json"
	stream-read json "$T/in.json" >"$T/in.frames"
}

vg() {
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
		--error-exitcode=99 "$@"
}

@test "stream-read json, csv and text, inferred and given schemas" {
	vg stream-read json "$T/in.json" >/dev/null
	vg stream-read json --schema 'device_id STRING, temperature DOUBLE, timestamp TIMESTAMP' "$T/in.json" >/dev/null
	vg stream-read csv -o header=true -o inferSchema=true "$SP_TOP/examples/orders.csv" >/dev/null
	vg stream-read text "$T/in.json" >/dev/null
	vg stream-read frames "$T/in.frames" >/dev/null
}

@test "stream-write in every format" {
	for f in json csv console frames; do
		vg stream-write "$f" <"$T/in.frames" >/dev/null
	done
	vg stream-write json "$T/out.json" <"$T/in.frames"
}

@test "checkpointed source and sink" {
	mkdir "$T/d"
	cp "$T/in.json" "$T/d/a.json"
	vg stream-read json "$T/d" --checkpoint "$T/ck/r" --trigger availableNow >"$T/ck.frames"
	vg stream-write json --checkpoint "$T/ck/w" "$T/out" <"$T/ck.frames"
}

@test "stream-select with expressions" {
	command -v stream-select >/dev/null || skip "no stream-select"
	vg stream-select --where 'temperature > 25' --select 'device_id, upper(device_id) AS d, temperature * 2 AS t' <"$T/in.frames" >/dev/null
}
