#!/usr/bin/env bats
# stream-join: stream-static joins (every type, USING, residual conditions,
# a table read again when it changes), Spark's impressions and clicks
# stream-stream example batch by batch with every join type, late rows,
# state eviction, Spark's refusals, and restarts after SIGKILL.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	COND='clickAdId = adId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'
	WM=(--watermark 'impressions.impressionTime=2 hours' --watermark 'clicks.clickTime=3 hours')
	printf '%s\n' '{"id":1,"name":"ann","active":true}' '{"id":2,"name":"bob","active":false}' \
		'{"id":3,"name":"cy","active":true}' >"$T/users.json"
	printf '%s\n' '{"user_id":1,"amount":10}' '{"user_id":2,"amount":20}' '{"user_id":4,"amount":40}' \
		'{"user_id":1,"amount":11}' >"$T/ev.json"
}

# Spark's guide: impressions and clicks, three files each, one batch per file.
ads() {
	mkdir -p "$T/imp" "$T/clk"
	printf '%s\n' '{"adId":1,"impressionTime":"2024-01-01T12:00:00Z"}' '{"adId":2,"impressionTime":"2024-01-01T12:10:00Z"}' \
		'{"adId":3,"impressionTime":"2024-01-01T12:20:00Z"}' >"$T/imp/1.json"
	printf '%s\n' '{"adId":4,"impressionTime":"2024-01-01T14:00:00Z"}' >"$T/imp/2.json"
	printf '%s\n' '{"adId":5,"impressionTime":"2024-01-01T20:00:00Z"}' '{"adId":6,"impressionTime":"2024-01-01T10:00:00Z"}' >"$T/imp/3.json"
	printf '%s\n' '{"clickAdId":1,"clickTime":"2024-01-01T12:30:00Z"}' '{"clickAdId":3,"clickTime":"2024-01-01T13:30:00Z"}' >"$T/clk/1.json"
	printf '%s\n' '{"clickAdId":2,"clickTime":"2024-01-01T12:40:00Z"}' '{"clickAdId":4,"clickTime":"2024-01-01T14:05:00Z"}' >"$T/clk/2.json"
	printf '%s\n' '{"clickAdId":5,"clickTime":"2024-01-01T20:10:00Z"}' >"$T/clk/3.json"
	stream-read json "$T/imp" --trigger availableNow -o maxFilesPerTrigger=1 \
		--schema 'adId LONG, impressionTime TIMESTAMP' >"$T/imp.frames"
	stream-read json "$T/clk" --trigger availableNow -o maxFilesPerTrigger=1 \
		--schema 'clickAdId LONG, clickTime TIMESTAMP' >"$T/clk.frames"
}

sjoin() {
	stream-join --left "$T/imp.frames" --right "$T/clk.frames" --left-name impressions --right-name clicks \
		--on "$COND" "${WM[@]}" "$@"
}

@test "stream-static inner join with qualified names: left columns, then right columns" {
	run -0 bash -c "stream-read json '$T/ev.json' | stream-join --static '$T/users.json' --on 'stream.user_id = static.id' | stream-write json"
	[ "$output" = '{"amount":10,"user_id":1,"active":true,"id":1,"name":"ann"}
{"amount":20,"user_id":2,"active":false,"id":2,"name":"bob"}
{"amount":11,"user_id":1,"active":true,"id":1,"name":"ann"}' ]
}

@test "stream-static leftOuter with a condition on the table: unmatched rows at once, with NULLs" {
	run -0 bash -c "stream-read json '$T/ev.json' | stream-join --static '$T/users.json' --on 'user_id = id AND static.active' --type leftOuter | stream-write json"
	[ "$output" = '{"amount":10,"user_id":1,"active":true,"id":1,"name":"ann"}
{"amount":20,"user_id":2}
{"amount":40,"user_id":4}
{"amount":11,"user_id":1,"active":true,"id":1,"name":"ann"}' ]
}

@test "stream-static leftSemi: each matching row once, its own columns" {
	run -0 bash -c "stream-read json '$T/ev.json' | stream-join --static '$T/users.json' --on 'left.user_id = right.id' --type leftSemi | stream-write json"
	[ "$output" = '{"amount":10,"user_id":1}
{"amount":20,"user_id":2}
{"amount":11,"user_id":1}' ]
}

@test "stream-static USING: the key once, first; a CSV table with its options" {
	printf 'id,name\n1,ann\n4,dee\n' >"$T/u.csv"
	run -0 bash -c "stream-read json '$T/ev.json' | stream-select --with 'id = user_id' --drop user_id | stream-join --static '$T/u.csv' -o header=true --schema 'id LONG, name STRING' --on id --type leftOuter | stream-write console"
	[ "$output" = '-------------------------------------------
Batch: 0
-------------------------------------------
+---+------+----+
| id|amount|name|
+---+------+----+
|  1|    10| ann|
|  2|    20|null|
|  4|    40| dee|
|  1|    11| ann|
+---+------+----+' ]
}

@test "stream-static: the table is read again between batches when it changes" {
	echo '{"user_id":1,"amount":10}' >"$T/f.json"
	mkfifo "$T/in"
	stream-read json --follow "$T/f.json" --schema 'user_id LONG, amount LONG' >"$T/in" &
	src=$!
	stream-join --static "$T/users.json" --on 'user_id = id' <"$T/in" | stream-write json >"$T/out" &
	for _ in $(seq 100); do [ -s "$T/out" ] && break; sleep 0.05; done
	echo '{"id":1,"name":"ann2","active":true}' >"$T/u.tmp" && mv "$T/u.tmp" "$T/users.json"
	echo '{"user_id":1,"amount":12}' >>"$T/f.json"
	for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 2 ] && break; sleep 0.05; done
	kill -TERM "$src"
	wait
	[ "$(cat "$T/out")" = '{"user_id":1,"amount":10,"active":true,"id":1,"name":"ann"}
{"user_id":1,"amount":12,"active":true,"id":1,"name":"ann2"}' ]
}

@test "stream-static: a table that cannot be read keeps the old one, with a warning" {
	echo '{"user_id":1,"amount":10}' >"$T/f.json"
	mkfifo "$T/in"
	stream-read json --follow "$T/f.json" --schema 'user_id LONG, amount LONG' >"$T/in" &
	src=$!
	stream-join --static "$T/users.json" -o mode=FAILFAST --on 'user_id = id' <"$T/in" 2>"$T/err" | stream-write json >"$T/out" &
	for _ in $(seq 100); do [ -s "$T/out" ] && break; sleep 0.05; done
	echo '{"id":1,' >"$T/u.tmp" && mv "$T/u.tmp" "$T/users.json"
	echo '{"user_id":1,"amount":12}' >>"$T/f.json"
	for _ in $(seq 100); do [ "$(wc -l <"$T/out")" -ge 2 ] && break; sleep 0.05; done
	kill -TERM "$src"
	wait
	[ "$(cat "$T/out")" = '{"user_id":1,"amount":10,"active":true,"id":1,"name":"ann"}
{"user_id":1,"amount":12,"active":true,"id":1,"name":"ann"}' ]
	grep -q "^stream-join: warning: .*users.json.*; keeping the table read before$" "$T/err"
}

@test "stream-static: Spark refuses right and full outer joins with a static right side" {
	run -2 --separate-stderr stream-join --static "$T/users.json" --on id --type rightOuter
	[ "$stderr" = "stream-join: RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/Dataset on the right is not supported" ]
	run -2 --separate-stderr stream-join --static "$T/users.json" --on id --type fullOuter
	[ "$stderr" = "stream-join: FullOuter joins with streaming DataFrames/Datasets on the left and a static DataFrame/Dataset on the right is not supported" ]
}

@test "usage errors: no condition, a bad type, both modes, a bad watermark" {
	run -2 --separate-stderr stream-join --static "$T/users.json"
	[[ $stderr == "stream-join: no join condition given (--on)"* ]]
	run -2 --separate-stderr stream-join --static "$T/users.json" --on id --type sideways
	[[ $stderr == "stream-join: option '--type': expected inner, leftOuter, rightOuter, fullOuter or leftSemi, not 'sideways'"* ]]
	run -2 --separate-stderr stream-join --static x --left a --right b --on id
	[[ $stderr == "stream-join: --static joins standard input with a table; --left and --right join two streams: not both"* ]]
	run -2 --separate-stderr stream-join --left a --right b --on id --watermark 'time=1 hour'
	[[ $stderr == "stream-join: option '--watermark': expected SIDE.COLUMN=DELAY, not 'time=1 hour'"* ]]
}

@test "Spark's impressions and clicks, inner: each match in the batch that completes it" {
	ads
	run -0 bash -c "$(declare -f sjoin); T='$T' COND='$COND'; WM=(--watermark 'impressions.impressionTime=2 hours' --watermark 'clicks.clickTime=3 hours'); sjoin | stream-write console | grep -v -e '^---' -e '^+' -e '^$' -e '^||'"
	[ "$output" = 'Batch: 0
Batch: 1
|adId|     impressionTime|clickAdId|          clickTime|
|   1|2024-01-01 12:00:00|        1|2024-01-01 12:30:00|
Batch: 2
|adId|impressionTime|clickAdId|clickTime|
Batch: 3
|adId|impressionTime|clickAdId|clickTime|
Batch: 4
|adId|impressionTime|clickAdId|clickTime|
Batch: 5
|adId|     impressionTime|clickAdId|          clickTime|
|   2|2024-01-01 12:10:00|        2|2024-01-01 12:40:00|
|   4|2024-01-01 14:00:00|        4|2024-01-01 14:05:00|
Batch: 6
|adId|impressionTime|clickAdId|clickTime|
Batch: 7
|adId|impressionTime|clickAdId|clickTime|
Batch: 8
|adId|     impressionTime|clickAdId|          clickTime|
|   5|2024-01-01 20:00:00|        5|2024-01-01 20:10:00|
Batch: 9
|adId|impressionTime|clickAdId|clickTime|' ]
}

@test "leftOuter: the unmatched impression comes out with NULLs when the watermark evicts it" {
	ads
	run -0 bash -c "$(declare -f sjoin); T='$T' COND='$COND'; WM=(--watermark 'impressions.impressionTime=2 hours' --watermark 'clicks.clickTime=3 hours'); sjoin --type leftOuter | stream-write console | sed -n '/^Batch: 9/,\$p'"
	[ "$output" = 'Batch: 9
-------------------------------------------
+----+-------------------+---------+---------+
|adId|     impressionTime|clickAdId|clickTime|
+----+-------------------+---------+---------+
|   3|2024-01-01 12:20:00|     null|     null|
+----+-------------------+---------+---------+' ]
}

@test "progress: state rows, evictions and the late impression (10:00 under the watermark)" {
	ads
	sjoin --progress-fd 3 3>"$T/prog" >/dev/null
	run -0 bash -c "grep -o '\"batchId\":[0-9]*\\|\"numRowsTotal\":[0-9]*,\"numRowsUpdated\":[0-9]*\\|\"numRowsRemoved\":[0-9]*,\"numRowsDroppedByWatermark\":[0-9]*' '$T/prog' | paste -d' ' - - - | sed -n '8p;10p'"
	[ "$output" = '"batchId":7 "numRowsTotal":9,"numRowsUpdated":1 "numRowsRemoved":0,"numRowsDroppedByWatermark":1
"batchId":9 "numRowsTotal":2,"numRowsUpdated":0 "numRowsRemoved":8,"numRowsDroppedByWatermark":0' ]
	grep -q '"operatorName":"symmetricHashJoin"' "$T/prog"
}

@test "rightOuter, fullOuter and leftSemi on the same streams" {
	ads
	run -0 bash -c "$(declare -f sjoin); T='$T' COND='$COND'; WM=(--watermark 'impressions.impressionTime=2 hours' --watermark 'clicks.clickTime=3 hours'); sjoin --type rightOuter | stream-write json | tail -1; sjoin --type fullOuter | stream-write json | tail -2; sjoin --type leftSemi | stream-write json"
	[ "$output" = '{"clickAdId":3,"clickTime":"2024-01-01T13:30:00.000Z"}
{"adId":3,"impressionTime":"2024-01-01T12:20:00.000Z"}
{"clickAdId":3,"clickTime":"2024-01-01T13:30:00.000Z"}
{"adId":1,"impressionTime":"2024-01-01T12:00:00.000Z"}
{"adId":2,"impressionTime":"2024-01-01T12:10:00.000Z"}
{"adId":4,"impressionTime":"2024-01-01T14:00:00.000Z"}
{"adId":5,"impressionTime":"2024-01-01T20:00:00.000Z"}' ]
}

@test "a watermarked time as the key evicts both sides" {
	printf '%s\n' '{"k":1,"t":"2024-01-01T12:00:00Z"}' | stream-read json --schema 'k LONG, t TIMESTAMP' >"$T/a.frames"
	printf '%s\n' '{"k":1,"t":"2024-01-01T12:00:00Z"}' | stream-read json --schema 'k LONG, t TIMESTAMP' >"$T/b.frames"
	run -0 bash -c "stream-join --left '$T/a.frames' --right '$T/b.frames' --on 'left.k = right.k AND left.t = right.t' --watermark 'left.t=0 seconds' --watermark 'right.t=0 seconds' --type fullOuter --progress-fd 3 3>'$T/p' | stream-write json; grep -c '\"numRowsRemoved\":2' '$T/p'"
	[ "$output" = '{"k":1,"t":"2024-01-01T12:00:00.000Z","k":1,"t":"2024-01-01T12:00:00.000Z"}
1' ]
}

@test "Spark's refusals: no equality, outer joins without a bound on the nullable side" {
	ads
	run -2 --separate-stderr stream-join --left "$T/imp.frames" --right "$T/clk.frames" --on 'clickTime >= impressionTime'
	[ "$stderr" = "stream-join: Stream-stream join without equality predicate is not supported" ]
	for t in leftOuter rightOuter fullOuter leftSemi; do
		run -2 --separate-stderr stream-join --left "$T/imp.frames" --right "$T/clk.frames" --on 'clickAdId = adId' --type $t
		name=$(echo $t | sed 's/^./\U&/')
		[ "$stderr" = "stream-join: Stream-stream $name join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition" ]
	done
	# clickTime >= impressionTime bounds clicks from below, not impressions
	run -2 --separate-stderr stream-join --left "$T/imp.frames" --right "$T/clk.frames" \
		--on 'clickAdId = adId AND clickTime >= impressionTime' --watermark 'left.impressionTime=1 hour' \
		--watermark 'right.clickTime=1 hour' --type leftOuter
	[[ $stderr == "stream-join: Stream-stream LeftOuter join"* ]]
	run -0 stream-join --left "$T/imp.frames" --right "$T/clk.frames" \
		--on 'clickAdId = adId AND clickTime >= impressionTime' --watermark 'left.impressionTime=1 hour' \
		--watermark 'right.clickTime=1 hour' --type rightOuter
	run -2 --separate-stderr stream-join --left "$T/imp.frames" --right "$T/clk.frames" --on 'adId = adId'
	[[ $stderr == "stream-join: column 'adId' is ambiguous"* || $stderr == "stream-join: Stream-stream join without"* ]]
}

# The pipeline of two checkpointed sources through FIFOs, the join and an exactly-once sink.
pipeline() {
	rm -f "$T/L" "$T/R"
	mkfifo "$T/L" "$T/R"
	stream-read json "$T/kimp" --trigger availableNow -o maxFilesPerTrigger=1 --schema 'adId LONG, impressionTime TIMESTAMP' \
		--checkpoint "$T/ck/l" --name impressions >"$T/L" &
	stream-read json "$T/kclk" --trigger availableNow -o maxFilesPerTrigger=1 --schema 'clickAdId LONG, clickTime TIMESTAMP' \
		--checkpoint "$T/ck/r" --name clicks >"$T/R" &
	# killed runs may leave the join waiting for a source that died: bounded then, not at the end
	timeout "${JOIN_TIMEOUT:-300}" stream-join --left "$T/L" --right "$T/R" --on "$COND" "${WM[@]}" \
		--checkpoint "$T/ck/j" | stream-write json --checkpoint "$T/ck/w" "$T/out" || return 1
	wait
}

@test "SIGKILLs at random stages, restarts with the same command: every match once" {
	mkdir -p "$T/kimp" "$T/kclk"
	for f in $(seq 10 39); do
		for i in $(seq 0 19); do
			m=$((f * 20 + i)) t=$((f * 30 + i)) c=$((f * 30 + i + 20))
			printf '{"adId":%d,"impressionTime":"2024-01-01T%02d:%02d:00Z"}\n' $m $((t / 60)) $((t % 60)) >>"$T/kimp/$f.json"
			if [ $((m % 3)) -eq 0 ]; then
				printf '{"clickAdId":%d,"clickTime":"2024-01-01T%02d:%02d:00Z"}\n' $m $((c / 60)) $((c % 60)) >>"$T/kclk/$f.json"
			fi
		done
	done
	kills=0
	for round in $(seq 1 40); do
		# fd 3 closed: a stage left blocked cannot hold bats' output open
		JOIN_TIMEOUT=20 pipeline 2>/dev/null 3>&- &
		pid=$!
		sleep "0.0$((RANDOM % 30))"
		stages=($(pgrep -P "$pid" -f 'stream-' || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			kill -9 "${stages[$((RANDOM % ${#stages[@]}))]}" 2>/dev/null && kills=$((kills + 1))
		fi
		sleep 0.2
		# what a kill left blocked (a FIFO nobody opens any more)
		for c in $(pgrep -P "$pid" || true); do pkill -9 -P "$c" 2>/dev/null || true; kill -9 "$c" 2>/dev/null || true; done
		wait "$pid" || true
		[ "$kills" -ge 6 ] && break
	done
	run -0 pipeline
	# a run with everything committed adds nothing
	run -0 pipeline
	stream-read json "$T/out" --trigger once | stream-write json | sort >"$T/got"
	[ "$(wc -l <"$T/got")" -eq 200 ]
	[ -z "$(uniq -d "$T/got")" ]
}
