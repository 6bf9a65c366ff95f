#!/usr/bin/env bats
# stream-select: every option, the order of steps, star expansion,
# generators, JSON round trips, control frames, and the errors users see.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	EV="$SP_TOP/examples/iot/events.jsonl"
	printf '%s\n' \
		'{"id":1,"name":"ada","score":9.5,"tags":["a","b"],"data":{"x":1,"y":"p"}}' \
		'{"id":2,"name":null,"score":10.0,"tags":[],"data":{"x":2,"y":null}}' \
		'{"id":3,"name":"Grace","score":null,"tags":null,"data":null}' >"$T/p.json"
	SCHEMA='id LONG, name STRING, score DOUBLE, tags ARRAY<STRING>, data STRUCT<x: LONG, y: STRING>'
	stream-read json --schema "$SCHEMA" "$T/p.json" >"$T/p.frames"
}

# stream-select ARGS... on the small table, as JSON lines; stream-select's status
sel() {
	stream-select "$@" <"$T/p.frames" >"$T/sel.frames" || return
	stream-write json <"$T/sel.frames"
}

@test "no step, or steps that change nothing, pass the stream through byte for byte" {
	run -0 bash -c "stream-select <'$T/p.frames' | cmp - '$T/p.frames'"
	run -0 bash -c "stream-select --where 'id > 0' --select '*' --drop nothing <'$T/p.frames' | cmp - '$T/p.frames'"
}

@test "--where keeps rows whose condition is TRUE, not NULL or FALSE" {
	run -0 sel --where 'score > 9.6'
	[ "$output" = '{"id":2,"score":10.0,"tags":[],"data":{"x":2}}' ]
	run -0 sel --where 'NOT (score > 9.6)' --select id
	[ "$output" = '{"id":1}' ]
	run -0 sel -w 'name IS NULL OR score IS NULL' -s id
	[ "$output" = $'{"id":2}\n{"id":3}' ]
}

@test "--select computes columns with Spark's default names" {
	run -0 sel --select 'id, upper(name), score * 2, CAST(id AS STRING), name AS n'
	[ "${lines[0]}" = '{"id":1,"upper(name)":"ADA","(score * 2)":19.0,"CAST(id AS STRING)":"1","n":"ada"}' ]
	[ "${lines[1]}" = '{"id":2,"(score * 2)":20.0,"CAST(id AS STRING)":"2"}' ]
	[ "${lines[2]}" = '{"id":3,"upper(name)":"GRACE","CAST(id AS STRING)":"3","n":"Grace"}' ]
}

@test "--select: * and data.* expand, fields are named after themselves" {
	run -0 sel --select '*, data.x' --drop tags,data,name
	[ "${lines[0]}" = '{"id":1,"score":9.5,"x":1}' ]
	run -0 sel --select 'id, data.*'
	[ "$output" = $'{"id":1,"x":1,"y":"p"}\n{"id":2,"x":2}\n{"id":3}' ]
	run -0 sel --select 'data.*, *' --drop tags,data
	[ "${lines[0]}" = '{"x":1,"y":"p","id":1,"name":"ada","score":9.5}' ]
}

@test "--with adds a column, or replaces one in place" {
	run -0 sel --with 'double = id * 2' --select 'id, double'
	[ "$output" = $'{"id":1,"double":2}\n{"id":2,"double":4}\n{"id":3,"double":6}' ]
	run -0 sel --with 'name = coalesce(name, "?")' --drop tags,data
	[ "$output" = $'{"id":1,"name":"ada","score":9.5}\n{"id":2,"name":"?","score":10.0}\n{"id":3,"name":"Grace"}' ]
	run -0 sel --where 'id = 1' --with '`my col`=1' --select '`my col`'
	[ "$output" = '{"my col":1}' ]
}

@test "--drop removes columns and ignores names that are not there" {
	run -0 sel --drop 'tags, data,nothing,  SCORE'
	[ "$output" = $'{"id":1,"name":"ada"}\n{"id":2}\n{"id":3,"name":"Grace"}' ]
}

@test "steps apply in the order given" {
	run -0 sel --with 'k = id * 10' --where 'k > 10' --select 'k + 1 AS k1' --where 'k1 < 30'
	[ "$output" = '{"k1":21}' ]
	# the same steps in another order see other columns
	run -2 --separate-stderr sel --select 'id' --with 'k = score'
	[ "${stderr_lines[0]}" = "stream-select: unknown column 'score' (columns: id)" ]
}

@test "explode makes a row per element; explode_outer keeps empty and NULL arrays" {
	run -0 sel --select 'id, explode(tags) AS tag'
	[ "$output" = $'{"id":1,"tag":"a"}\n{"id":1,"tag":"b"}' ]
	run -0 sel --select 'id, explode_outer(tags)'
	[ "$output" = $'{"id":1,"col":"a"}\n{"id":1,"col":"b"}\n{"id":2}\n{"id":3}' ]
}

@test "word count's first half: explode(split(value, ' ')) on stream-read text" {
	printf 'the cat\nsat on  the mat\n\n' >"$T/words.txt"
	run -0 bash -c "stream-read text '$T/words.txt' | stream-select --select \"explode(split(value, ' ')) AS word\" --where \"word != ''\" | stream-write json | jq -r .word | sort | uniq -c | sort -k2 | tr -s ' '"
	[ "$output" = $' 1 cat\n 1 mat\n 1 on\n 1 sat\n 2 the' ]
}

@test "to_json(struct(*)) and from_json round trip" {
	run -0 bash -c "stream-read json '$EV' | stream-select --select 'to_json(struct(*)) AS value' | stream-write text | head -1"
	[ "$output" = '{"device_id":"sensor-05","humidity":58.3,"temperature":27.6,"timestamp":"2024-05-01T10:00:00Z"}' ]
	run -0 bash -c "stream-read json '$EV' | stream-select --select 'to_json(struct(*)) AS value' --select \"from_json(value, 'device_id STRING, humidity DOUBLE, temperature DOUBLE, timestamp STRING') AS d\" --select 'd.*' | stream-write json | jq -c . | md5sum"
	[ "$output" = "$(jq -c '{device_id, humidity, temperature, timestamp}' "$EV" | md5sum)" ]
}

@test "from_json of text read as lines gives typed columns" {
	run -0 bash -c "stream-read text '$T/p.json' | stream-select --select \"from_json(value, '$SCHEMA').*\" | stream-write json"
	[ "$output" = "$(stream-write json <"$T/p.frames")" ]
}

@test "filter and functions agree with DuckDB on the sample events" {
	cols="device_id, upper(device_id) AS u, length(device_id) AS n, humidity, substring(device_id, -2) AS s, temperature BETWEEN 30 AND 40 AS b, concat(device_id, '/', CAST(humidity AS STRING)) AS c"
	cond="temperature > 100 OR humidity < 42 AND device_id IN ('sensor-01', 'sensor-03')"
	run -0 bash -c "stream-read json '$EV' | stream-select --where \"$cond\" --select \"$cols\" | stream-write json | jq -c ."
	want=$(duckdb_json "SELECT ${cols/length(device_id)/length(device_id)::INTEGER} FROM read_json_auto('$EV') WHERE $cond" | jq -c .)
	[ "${#lines[@]}" -gt 50 ]
	[ "$output" = "$want" ]
}

@test "timestamps: casts, intervals, date_trunc, date_format" {
	run -0 bash -c "stream-read json '$EV' | stream-select --select \"CAST(timestamp AS TIMESTAMP) + INTERVAL 90 MINUTES AS t, date_trunc('hour', timestamp) AS h, date_format(timestamp, 'dd/MM HH:mm') AS f, hour(timestamp) AS hr\" | stream-write json | head -1"
	[ "$output" = '{"t":"2024-05-01T11:30:00.000Z","h":"2024-05-01T10:00:00.000Z","f":"01/05 10:00","hr":10}' ]
}

@test "batch ends count the rows this stage emitted" {
	run -0 bash -c "stream-read json '$EV' -o maxFilesPerTrigger=1 | stream-select --where 'temperature > 100' | stream-write console -o numRows=1 | grep -c '^|sensor'"
	[ "$output" = 1 ]
	run -0 bash -c "stream-read json '$EV' | stream-select --where 'temperature > 100' | stream-write json | wc -l"
	[ "$output" = "$(jq -c 'select(.temperature > 100)' "$EV" | wc -l)" ]
}

@test "a syntax error shows the expression with a caret, before reading input" {
	run -2 --separate-stderr stream-select --where 'amount > (1 + tax' </dev/null
	[ "$stderr" = "stream-select: syntax error at column 18: expected ')' before end of expression
    amount > (1 + tax
                     ^" ]
	[ -z "$output" ]
}

@test "an unknown column lists the columns" {
	run -2 --separate-stderr bash -c "stream-read json '$EV' | stream-select --where 'amout > 1'"
	[ "$stderr" = "stream-select: unknown column 'amout' (columns: device_id, humidity, temperature, timestamp)
    amout > 1
    ^" ]
	[ -z "$output" ]
}

@test "an unknown function and a type error name what is wrong" {
	run -2 --separate-stderr sel --select 'lowr(name)'
	[ "$stderr" = "stream-select: unknown function 'lowr'
    lowr(name)
    ^" ]
	run -2 --separate-stderr sel --where 'name = tags'
	[ "$stderr" = "stream-select: cannot compare STRING with ARRAY<STRING>
    name = tags
    ^" ]
	run -2 --separate-stderr sel --where 'score + 1'
	[ "$stderr" = "stream-select: --where needs a BOOLEAN condition, and 'score + 1' is DOUBLE" ]
}

@test "aggregates are not allowed: they belong to stream-window" {
	run -2 --separate-stderr sel --select 'name, sum(score)'
	[ "$stderr" = "stream-select: aggregate function 'sum' is not allowed here (use stream-window)
    name, sum(score)
          ^" ]
}

@test "raw JSON on standard input is not a frame stream" {
	run -1 --separate-stderr stream-select --where 'id > 1' <"$T/p.json"
	[ "$stderr" = "stream-select: standard input is not a frame stream (did you forget stream-read?)" ]
	[ -z "$output" ]
}

@test "a truncated stream fails and writes no end of stream" {
	size=$(stat -c %s "$T/p.frames")
	run -1 --separate-stderr bash -c "head -c $((size - 8)) '$T/p.frames' | stream-select --select id >'$T/out.frames'"
	[[ $stderr == "stream-select: standard input"* ]]
	run -1 --separate-stderr stream-write json <"$T/out.frames"
}

@test "bad options are usage errors" {
	run -2 --separate-stderr stream-select --frobnicate
	[ "${stderr_lines[0]}" = "stream-select: unknown option '--frobnicate'" ]
	run -2 --separate-stderr stream-select 'id > 1'
	[ "${stderr_lines[0]}" = "stream-select: unexpected argument 'id > 1' (expressions go after --where, --select, ...)" ]
	run -2 --separate-stderr stream-select --with 'x'
	[ "$stderr" = "stream-select: --with wants 'name = expression', not 'x'" ]
}

@test "-h prints the usage and the options" {
	run -0 stream-select -h
	[ "${lines[0]}" = "usage: stream-select [-w EXPR] [-s LIST] [--with NAME=EXPR] [-d COLS] ..." ]
	[[ $output == *"--where EXPR"* ]]
}

@test "--version prints one line" {
	run -0 --separate-stderr stream-select --version
	[[ $output =~ ^stream-select\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[ -z "$stderr" ]
}

@test "-q and -v change no rows; -v shows the output columns" {
	run -0 bash -c "stream-select -q --where 'id > 1' <'$T/p.frames' | stream-write json"
	[ "$output" = $'{"id":2,"score":10.0,"tags":[],"data":{"x":2}}\n{"id":3,"name":"Grace"}' ]
	run -0 --separate-stderr bash -c "stream-select -v --where 'id > 1' <'$T/p.frames' | stream-write json"
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "stream-select: output columns: id LONG, name STRING, score DOUBLE, tags ARRAY<STRING>, data STRUCT<x: LONG, y: STRING>" ]
}

@test "NULL literals make STRING columns; CASE, IN and LIKE work on rows" {
	run -0 sel --select "id, NULL AS nothing, CASE WHEN id = 1 THEN 'one' WHEN id IN (2, 4) THEN 'even' END AS w, name LIKE '_r%' AS r"
	[ "$output" = $'{"id":1,"w":"one","r":false}\n{"id":2,"w":"even"}\n{"id":3,"r":true}' ]
	run -0 bash -c "stream-select --select 'id, NULL AS nothing, typeof(NULL) AS t' <'$T/p.frames' | stream-write csv -o header=true"
	[ "$output" = $'id,nothing,t\n1,,void\n2,,void\n3,,void' ]
}
