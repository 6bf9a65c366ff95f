#!/usr/bin/env bats
# stream-read socket (text lines from a TCP server started here on
# loopback) and stream-read rate (Spark's rate and rate-micro-batch).
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	SRV_PID=
}

teardown() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
}

# serve CHUNK...: a TCP server on loopback for one client, which gets the
# chunks half a second apart, then the connection closes; its port in $PORT
serve() {
	rm -f "$T/port"
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = s.accept()
for i, chunk in enumerate(sys.argv[2:]):
    if i:
        time.sleep(0.5)
    c.sendall(chunk.encode())
c.close()' "$T/port" "$@" 3>&- &
	SRV_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$T/port")
}

# a port nothing listens on
free_port() {
	/usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# ---- socket ----

@test "socket: one row per line, CR LF too, the last line without its newline; the stream ends when the server closes" {
	serve $'hello\nworld\r\n' $'last'
	run -0 --separate-stderr bash -c "stream-read socket -o host=127.0.0.1 -o port=$PORT | stream-write json"
	[ "$output" = $'{"value":"hello"}\n{"value":"world"}\n{"value":"last"}' ]
	[ -z "$stderr" ]
}

@test "socket: a batch holds the lines there when it starts" {
	serve $'a\nb\n' $'c\n'
	run -0 --separate-stderr bash -c "stream-read socket -o host=127.0.0.1 -o port=$PORT | stream-write console"
	[ "$output" = "-------------------------------------------
Batch: 0
-------------------------------------------
+-----+
|value|
+-----+
|    a|
|    b|
+-----+

-------------------------------------------
Batch: 1
-------------------------------------------
+-----+
|value|
+-----+
|    c|
+-----+" ]
}

@test "socket: includeTimestamp adds when each line was read" {
	serve $'x\ny\n'
	now=$(date +%s)
	stream-read socket -o host=localhost -o port="$PORT" -o includeTimestamp=true \
	  | stream-select --select 'value, typeof(timestamp) AS t, CAST(timestamp AS LONG) AS s' | stream-write csv >"$T/out"
	[ "$(cut -d, -f1,2 "$T/out")" = $'x,timestamp\ny,timestamp' ]
	while IFS=, read -r _ _ s; do [ $((s - now)) -ge 0 ] && [ $((s - now)) -lt 30 ]; done <"$T/out"
}

@test "socket: a server that is not there is an error, status 1" {
	port=$(free_port)
	run -1 --separate-stderr stream-read socket -o host=127.0.0.1 -o port="$port"
	[ "$stderr" = "stream-read: cannot connect to 127.0.0.1:$port: Connection refused" ]
	[ -z "$output" ]
}

@test "socket: host and port are required, --checkpoint is refused (it cannot replay)" {
	run -2 --separate-stderr stream-read socket -o port=1
	[ "${stderr_lines[0]}" = "stream-read: socket: option -o host=HOST is required" ]
	run -2 --separate-stderr stream-read socket -o host=localhost
	[ "${stderr_lines[0]}" = "stream-read: socket: option -o port=PORT is required" ]
	run -2 --separate-stderr stream-read socket -o host=localhost -o port=1 --checkpoint "$T/ck"
	[ "${stderr_lines[0]}" = "stream-read: socket: --checkpoint is refused: what a socket sent cannot be read again, so batches cannot be replayed (the socket source is at-most-once)" ]
	[ ! -e "$T/ck" ]
	run -2 --separate-stderr stream-read socket -o host=localhost -o port=1 -o includeTimestamp=yes
	[[ ${stderr_lines[0]} == "stream-read: "*"includeTimestamp"* ]]
	run -2 --separate-stderr stream-read socket -o host=localhost -o port=1 -o sep=,
	[[ ${stderr_lines[0]} == "stream-read: unknown option -o 'sep' for socket (known: host, port, includeTimestamp)" ]]
}

# ---- rate ----

@test "rate-micro-batch: rowsPerBatch values per batch, one timestamp per batch, partition after partition" {
	run -0 --separate-stderr bash -c "stream-read rate -o rowsPerBatch=5 -o numPartitions=2 -o startTimestamp=1000 \
	  -o advanceMillisPerBatch=500 --trigger once | stream-write csv"
	[ "$output" = $'1970-01-01T00:00:01.000Z,0\n1970-01-01T00:00:01.000Z,2\n1970-01-01T00:00:01.000Z,4\n1970-01-01T00:00:01.000Z,1\n1970-01-01T00:00:01.000Z,3' ]
	# with a checkpoint, each run goes on with the next batch
	for i in 1 2 3; do
		stream-read rate-micro-batch -o rowsPerBatch=2 -o startTimestamp=1000 -o advanceMillisPerBatch=500 \
		  --checkpoint "$T/ck" --trigger once | stream-write json --checkpoint "$T/wck" "$T/out"
	done
	run -0 bash -c "stream-read json '$T/out' --trigger once --schema 'timestamp TIMESTAMP, value LONG' | stream-write csv | sort -t, -k2n"
	[ "$output" = $'1970-01-01T00:00:01.000Z,0\n1970-01-01T00:00:01.000Z,1\n1970-01-01T00:00:01.500Z,2\n1970-01-01T00:00:01.500Z,3\n1970-01-01T00:00:02.000Z,4\n1970-01-01T00:00:02.000Z,5' ]
}

@test "rate: a replayed batch is the same rows, timestamps included (exactly-once with a checkpoint)" {
	stream-read rate -o rowsPerSecond=7 --checkpoint "$T/ck" --trigger processingTime='1 second' >"$T/frames" &
	pid=$!
	for _ in $(seq 100); do [ -e "$T/ck/offsets/1" ] && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid"
	stream-write csv <"$T/frames" >"$T/first"
	[ -s "$T/first" ]
	# nothing was committed: the next run replays the same batches first
	stream-read rate -o rowsPerSecond=7 --checkpoint "$T/ck" --trigger availableNow | stream-write csv >"$T/again"
	[ "$(head -n "$(wc -l <"$T/first")" "$T/again")" = "$(cat "$T/first")" ]
}

@test "rate: rowsPerSecond values count up from 0, spaced evenly over each second" {
	stream-read rate -o rowsPerSecond=10 >"$T/frames" &
	pid=$!
	sleep 2.6
	kill -TERM "$pid"
	wait "$pid"
	stream-select --select 'CAST(timestamp AS DOUBLE) * 1000 AS ms, value' <"$T/frames" | stream-write csv >"$T/out"
	n=$(wc -l <"$T/out")
	[ "$n" -ge 20 ] && [ "$n" -le 30 ]
	[ "$(cut -d, -f2 "$T/out" | tr '\n' ' ')" = "$(seq 0 $((n - 1)) | tr '\n' ' ')" ]
	# 100 ms apart, second after second
	awk -F, 'NR > 1 && $1 - prev != 100 { bad = 1 } { prev = $1 } END { exit bad }' "$T/out"
}

@test "rate: rampUpTime ramps the rate up linearly, as Spark's valueAtSecond" {
	stream-read rate -o rowsPerSecond=10 -o rampUpTime=4s --progress-fd 3 3>"$T/progress" >/dev/null &
	pid=$!
	sleep 3.5
	kill -TERM "$pid"
	wait "$pid"
	[ -s "$T/progress" ]
	# second 0 1 2 3 4 5 -> value 0 2 6 12 20 30: each batch holds v(end) - v(start) rows
	sed 's/.*"startOffset":\([0-9]*\),"endOffset":\([0-9]*\),"numInputRows":\([0-9]*\).*/\1 \2 \3/' "$T/progress" >"$T/b"
	awk 'function v(s) { return s <= 4 ? 2 * s * (s + 1) / 2 : 20 + (s - 4) * 10 }
	     { if ($3 != v($2) - v($1)) bad = 1; last = $2 } END { exit bad || last < 2 }' "$T/b"
}

@test "rate: bad options are usage errors naming the option" {
	run -2 --separate-stderr stream-read rate -o rowsPerSecond=0
	[[ ${stderr_lines[0]} == "stream-read: "*"rowsPerSecond"* ]]
	run -2 --separate-stderr stream-read rate -o numPartitions=0
	[[ ${stderr_lines[0]} == "stream-read: "*"numPartitions"* ]]
	run -2 --separate-stderr stream-read rate -o rampUpTime=-5s
	[ "${stderr_lines[0]}" = "stream-read: option -o rampUpTime=-5s: must not be negative" ]
	run -2 --separate-stderr stream-read rate -o rampUpTime=soon
	[[ ${stderr_lines[0]} == "stream-read: option -o rampUpTime"* ]]
	run -2 --separate-stderr stream-read rate -o rowsPerSecond=3 -o rampUpTime=5
	[ "${stderr_lines[0]}" = "stream-read: option -o rampUpTime=5 seconds: rowsPerSecond=3 is too small to ramp up over it (it must be at least rampUpTime in seconds + 1)" ]
	run -2 --separate-stderr stream-read rate-micro-batch
	[ "${stderr_lines[0]}" = "stream-read: rate-micro-batch: option -o rowsPerBatch is required" ]
	run -2 --separate-stderr stream-read rate -o rowsPerBatch=5 -o rowsPerSecond=5
	[ "${stderr_lines[0]}" = "stream-read: unknown option -o 'rowsPerSecond' for rate (known: rowsPerBatch, numPartitions, startTimestamp, advanceMillisPerBatch)" ]
	run -2 --separate-stderr stream-read rate --schema 'value LONG'
	[ "${stderr_lines[0]}" = "stream-read: rate: the schema is fixed, --schema does not apply" ]
	run -2 --separate-stderr stream-read rate in.json
	[ "${stderr_lines[0]}" = "stream-read: rate: no PATH is read (got 'in.json')" ]
}
