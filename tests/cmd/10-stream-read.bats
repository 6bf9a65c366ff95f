#!/usr/bin/env bats
# stream-read: formats, inputs, schemas, modes, recordings, and its errors.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "no format is a usage error" {
	run -2 --separate-stderr stream-read
	[ "$stderr" = "stream-read: no format given (json, csv, text, frames, kafka, socket, rate or rate-micro-batch)
try 'stream-read -h'" ]
	[ -z "$output" ]
}

@test "unknown option is a usage error" {
	run -2 --separate-stderr stream-read json --frobnicate
	[ "${stderr_lines[0]}" = "stream-read: unknown option '--frobnicate'" ]
	[ "${stderr_lines[1]}" = "try 'stream-read -h'" ]
	[ -z "$output" ]
}

@test "unknown format is a usage error" {
	run -2 --separate-stderr stream-read xml x.xml
	[ "${stderr_lines[0]}" = "stream-read: unknown format 'xml' (json, csv, text, frames, kafka, socket, rate or rate-micro-batch)" ]
}

@test "a bad schema is a usage error naming the column" {
	echo '{"a":1}' >"$T/a.json"
	run -2 --separate-stderr stream-read json --schema 'a LONG, b STRNG' "$T/a.json"
	[ "$stderr" = "stream-read: bad schema at column 11: unknown type 'STRNG': 'a LONG, b STRNG'" ]
	[ -z "$output" ]
}

@test "an unknown -o key is a usage error listing the known ones" {
	run -2 --separate-stderr stream-read csv -o heder=true examples/orders.csv
	[[ ${stderr_lines[0]} == "stream-read: unknown option -o 'heder' for csv (known: "*"header"* ]]
}

@test "-o without = is a usage error" {
	run -2 --separate-stderr stream-read json -o header "$T/x"
	[ "${stderr_lines[0]}" = "stream-read: option '-o' wants key=value, not 'header'" ]
}

@test "-h prints the usage and every option" {
	run -0 stream-read -h
	[ "${lines[0]}" = "usage: stream-read FORMAT [options] [PATH ...]" ]
	[[ $output == *"--schema DDL"* && $output == *"-o, --option KEY=VALUE"* && $output == *"--zstd"* ]]
}

@test "--version prints one line" {
	run -0 stream-read --version
	[[ $output =~ ^stream-read\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "json with a schema: every type through and back" {
	cat >"$T/in.json" <<'J'
{"b":true,"l":-9223372036854775808,"d":0.1,"s":"h\u00e9llo \"q\"\n","t":"2024-05-01T10:00:00.5Z","dt":"2024-05-01","arr":[1,null,3],"st":{"x":1.5,"y":"z"}}
{"b":null,"l":42,"d":1e10,"s":"","t":"2024-05-01 10:00:00+02:00","dt":null,"arr":[],"st":null}
{}
J
	run -0 --separate-stderr bash -c "stream-read json --schema 'b BOOLEAN, l LONG, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, arr ARRAY<LONG>, st STRUCT<x: DOUBLE, y: STRING>' '$T/in.json' | stream-write json"
	[ "${lines[0]}" = '{"b":true,"l":-9223372036854775808,"d":0.1,"s":"héllo \"q\"\n","t":"2024-05-01T10:00:00.500Z","dt":"2024-05-01","arr":[1,null,3],"st":{"x":1.5,"y":"z"}}' ]
	[ "${lines[1]}" = '{"l":42,"d":1.0E10,"s":"","t":"2024-05-01T08:00:00.000Z","arr":[]}' ]
	[ "${lines[2]}" = '{}' ]
	[ "${#lines[@]}" -eq 3 ]
	[ -z "$stderr" ]
}

@test "json without a schema: Spark's inference, fields sorted by name" {
	printf '%s\n' '{"z":1,"a":"x","n":{"q":1,"b":2.5}}' '{"z":2.5,"m":[1,2],"n":{"b":1}}' '{"a":null,"k":true}' >"$T/in.json"
	run -0 bash -c "stream-read json '$T/in.json' | stream-write json"
	[ "${lines[0]}" = '{"a":"x","n":{"b":2.5,"q":1},"z":1.0}' ]
	[ "${lines[1]}" = '{"m":[1,2],"n":{"b":1.0},"z":2.5}' ]
	[ "${lines[2]}" = '{"k":true}' ]
}

@test "json from standard input, with '-' and by default" {
	printf '{"a":1}\n{"a":2}\n' >"$T/in.json"
	run -0 bash -c "stream-read json - <'$T/in.json' | stream-write json"
	[ "$output" = $'{"a":1}\n{"a":2}' ]
	run -0 bash -c "cat '$T/in.json' | stream-read json | stream-write json"
	[ "$output" = $'{"a":1}\n{"a":2}' ]
}

@test "a directory is read oldest file first, skipping . and _ files" {
	mkdir "$T/d"
	echo '{"n":2}' >"$T/d/a.json"
	echo '{"n":1}' >"$T/d/b.json"
	echo '{"n":9}' >"$T/d/.hidden.json"
	echo '{"n":9}' >"$T/d/_SUCCESS"
	echo '{"n":9}' >"$T/d/c.json.tmp"
	touch -d '2024-01-01 10:00:00' "$T/d/b.json"
	touch -d '2024-01-01 11:00:00' "$T/d/a.json"
	run -0 bash -c "stream-read json --trigger availableNow '$T/d' | stream-write json"
	[ "$output" = $'{"n":1}\n{"n":2}' ]
}

@test "a quoted glob is expanded; no match yet is an empty stream" {
	echo '{"n":1}' >"$T/x1.json"
	echo '{"n":2}' >"$T/x2.json"
	touch -d '2024-01-01 10:00:00' "$T/x1.json"
	run -0 bash -c "stream-read json --trigger availableNow '$T/x*.json' | stream-write json"
	[ "$output" = $'{"n":1}\n{"n":2}' ]
	run -0 --separate-stderr bash -c "stream-read json --trigger once --schema 'n LONG' '$T/nothing*.json' | stream-write json"
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a missing file is reported, the others are still read, exit 1" {
	echo '{"n":1}' >"$T/a.json"
	run -1 --separate-stderr bash -c "stream-read json --schema 'n LONG' '$T/missing.json' '$T/a.json' | stream-write json; exit \${PIPESTATUS[0]}"
	[ "$output" = '{"n":1}' ]
	[ "$stderr" = "stream-read: cannot open '$T/missing.json': No such file or directory" ]
}

@test "FAILFAST stops at the first malformed line, naming file and line" {
	printf '{"a":1}\n{"a":2\n{"a":3}\n' >"$T/bad.json"
	run -1 --separate-stderr bash -c "stream-read json -o mode=FAILFAST --schema 'a LONG' '$T/bad.json' | stream-write json"
	[[ ${stderr_lines[0]} == "stream-read: '$T/bad.json' line 2: malformed JSON: "* ]]
	[[ ${stderr_lines[1]} == "stream-write: standard input "*"(did the upstream tool fail?)" ]]
	[ -z "$output" ]
}

@test "DROPMALFORMED drops bad lines and says how many" {
	printf '{"a":1}\n{"a":2\nnot json\n{"a":3}\n' >"$T/bad.json"
	run -0 --separate-stderr bash -c "stream-read json -o mode=DROPMALFORMED --schema 'a LONG' '$T/bad.json' | stream-write json"
	[ "$output" = $'{"a":1}\n{"a":3}' ]
	[ "$stderr" = "stream-read: warning: dropped 2 malformed records" ]
	run -0 --separate-stderr bash -c "stream-read json -q -o mode=DROPMALFORMED --schema 'a LONG' '$T/bad.json' | stream-write json"
	[ -z "$stderr" ]
}

@test "PERMISSIVE keeps the raw line in _corrupt_record" {
	printf '{"a":1}\n{"a":2\n' >"$T/bad.json"
	run -0 bash -c "stream-read json --schema 'a LONG, _corrupt_record STRING' '$T/bad.json' | stream-write json"
	[ "${lines[0]}" = '{"a":1}' ]
	[ "${lines[1]}" = '{"_corrupt_record":"{\"a\":2"}' ]
}

@test "a bad mode is a usage error" {
	run -2 --separate-stderr stream-read json -o mode=LENIENT examples/iot/events.jsonl
	[[ ${stderr_lines[0]} == "stream-read: "*"LENIENT"* ]]
}

@test "text: one value column per line" {
	printf 'hello world\n\nlast line without newline' >"$T/in.txt"
	run -0 bash -c "stream-read text '$T/in.txt' | stream-write json"
	[ "${lines[0]}" = '{"value":"hello world"}' ]
	[ "${lines[1]}" = '{"value":""}' ]
	[ "${lines[2]}" = '{"value":"last line without newline"}' ]
}

@test "csv with header and inferred types" {
	run -0 bash -c "stream-read csv -o header=true -o inferSchema=true examples/orders.csv | stream-write json"
	[ "${lines[0]}" = '{"order_id":1001,"user_id":"u-17","amount":25.5,"event_time":"2024-05-01T10:00:05.000Z"}' ]
	[ "${lines[4]}" = '{"order_id":1005,"user_id":"u-08","event_time":"2024-05-01T10:04:59.000Z"}' ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "a recorded stream replays to identical rows" {
	stream-read json examples/iot/events.jsonl >"$T/ev.frames"
	stream-read json examples/iot/events.jsonl | stream-write json >"$T/direct.json"
	stream-read frames "$T/ev.frames" | stream-write json >"$T/replayed.json"
	cmp "$T/direct.json" "$T/replayed.json"
	[ "$(wc -l <"$T/replayed.json")" -eq 2000 ]
}

@test "--zstd recordings are smaller and replay identically" {
	stream-read json examples/iot/events.jsonl >"$T/plain.frames"
	stream-read json --zstd examples/iot/events.jsonl >"$T/z.frames"
	[ "$(stat -c %s "$T/z.frames")" -lt "$(stat -c %s "$T/plain.frames")" ]
	cmp <(stream-read frames "$T/plain.frames" | stream-write json) <(stream-read frames "$T/z.frames" | stream-write json)
}

@test "replaying two recordings renumbers the batches" {
	stream-read json examples/iot/events.jsonl >"$T/a.frames"
	run -0 bash -c "stream-read frames '$T/a.frames' '$T/a.frames' | stream-write console -o numRows=1 | grep '^Batch:'"
	[ "$output" = $'Batch: 0\nBatch: 1' ]
}

@test "zstd- and gzip-compressed input files are read; a cut one is an error" {
	zstd -q examples/iot/events.jsonl -o "$T/events.jsonl.zst"
	(gzip -c examples/iot/events.jsonl; gzip -c examples/iot/events.jsonl) >"$T/twice.jsonl.gz"
	cmp <(stream-read json "$T/events.jsonl.zst" | stream-write json) <(stream-read json examples/iot/events.jsonl | stream-write json)
	cmp <(stream-read json "$T/twice.jsonl.gz" | stream-write json) <(cat examples/iot/events.jsonl examples/iot/events.jsonl | stream-read json | stream-write json)
	head -c 10000 "$T/twice.jsonl.gz" >"$T/cut.jsonl.gz"
	run -1 --separate-stderr stream-read json --schema 'device_id STRING' "$T/cut.jsonl.gz"
	[ "$stderr" = "stream-read: '$T/cut.jsonl.gz': gzip: unexpected end of file" ]
}

@test "an empty input gives an empty stream" {
	: >"$T/empty.json"
	run -0 --separate-stderr bash -c "stream-read json '$T/empty.json' | stream-write json"
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a 4 MiB string value survives" {
	head -c 3145728 /dev/zero | base64 -w0 | sed 's/^/{"big":"/; s/$/"}/' >"$T/big.json"
	echo >>"$T/big.json"
	run -0 bash -c "stream-read json '$T/big.json' | stream-write json | cmp - '$T/big.json'"
}

@test "100k rows go through in order" {
	seq 1 100000 | sed 's/.*/{"n":&}/' >"$T/many.json"
	run -0 bash -c "stream-read json '$T/many.json' | stream-write json | cmp - '$T/many.json'"
}

@test "a reader that goes away ends stream-read quietly" {
	seq 1 200000 | sed 's/.*/{"n":&}/' >"$T/many.json"
	run -0 --separate-stderr bash -c "stream-read json '$T/many.json' | head -c 100 >/dev/null"
	[ -z "$stderr" ]
}

@test "-h names every kind of source, each with its own usage line" {
	run -0 stream-read -h
	[ "${lines[0]}" = "usage: stream-read FORMAT [options] [PATH ...]" ]
	[ "${lines[1]}" = "       stream-read kafka -o kafka.bootstrap.servers=HOST:PORT -o subscribe=TOPIC[,...] [options]" ]
	[ "${lines[2]}" = "       stream-read socket -o host=HOST -o port=PORT [options]" ]
	[ "${lines[3]}" = "       stream-read rate [-o rowsPerSecond=N] [options]" ]
}

@test "the file formats' options are refused by the other sources, and theirs by the file formats" {
	run -2 --separate-stderr stream-read rate -o header=true
	[[ ${stderr_lines[0]} == "stream-read: unknown option -o 'header' for rate (known: "* ]]
	run -2 --separate-stderr stream-read json -o rowsPerSecond=5 /dev/null
	[[ ${stderr_lines[0]} == "stream-read: unknown option -o 'rowsPerSecond' for json (known: "* ]]
	run -2 --separate-stderr stream-read socket -o host=h -o port=1 --follow
	[ "${stderr_lines[0]}" = "stream-read: socket: --follow applies to files only" ]
}
