#!/usr/bin/env bats
# stream-read kafka against stream-kafka-mock, fed by kcat: Spark's options
# and columns, offsets in the checkpoint, restarts, data loss and errors.
# Every test starts its own cluster and stops it.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	MOCK_PID=
	BG_PID=
}

teardown() {
	for p in $BG_PID $MOCK_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# start_mock ARGS...: a cluster in the background; its address in $KAFKA.
start_mock() {
	rm -f "$T/kafka.addr"
	stream-kafka-mock "$@" --bootstrap-file "$T/kafka.addr" >/dev/null 3>&- &
	MOCK_PID=$!
	for _ in $(seq 200); do
		[ -s "$T/kafka.addr" ] && break
		sleep 0.05
	done
	KAFKA=$(cat "$T/kafka.addr")
}

# produce TOPIC PARTITION KEY:VALUE...: messages, in order, to one partition
produce() {
	local topic=$1 part=$2
	shift 2
	printf '%s\n' "$@" | kcat -P -b "$KAFKA" -t "$topic" -p "$part" -K:
}

# kread ARGS...: stream-read kafka on the cluster
kread() {
	stream-read kafka -o kafka.bootstrap.servers="$KAFKA" -o kafkaConsumer.pollTimeoutMs=5000 "$@"
}

# rows: the stream as CSV of key, value, topic, partition, offset
rows() {
	stream-select --select 'CAST(key AS STRING) AS k, CAST(value AS STRING) AS v, topic, partition, offset' \
	  | stream-write csv
}

# krows ARGS...: kread's rows as CSV
krows() {
	kread "$@" | rows
}

# offsets DIR N: the start and end offsets of offsets log entry N
offsets() {
	grep -ao '"start":.*}}}' "$1/offsets/$2"
}

# progress_rows FILE: the input rows of the batches the progress lines count
progress_rows() {
	[ -s "$1" ] || { echo 0; return; }
	sed 's/.*"numInputRows":\([0-9]*\).*/\1/' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# bg_read ARGS...: stream-read kafka in the background, frames to $T/frames, progress to $T/progress
bg_read() {
	stream-read kafka -o kafka.bootstrap.servers="$KAFKA" "$@" --progress-fd 3 3>"$T/progress" >"$T/frames" &
	BG_PID=$!
}

# wait_rows N: until the background reader has emitted N rows (10 s at most)
wait_rows() {
	for _ in $(seq 100); do
		[ "$(progress_rows "$T/progress")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_bg: SIGTERM to the background reader, which ends its stream and exits 0
stop_bg() {
	kill -TERM "$BG_PID"
	wait "$BG_PID"
	BG_PID=
}

@test "kafka: Spark's columns and types, key and value as BINARY" {
	start_mock -t t
	produce t 0 k1:v1 k2:v2
	kread -o subscribe=t -o startingOffsets=earliest --trigger availableNow \
	  | stream-select --select 'typeof(key), typeof(value), typeof(topic), typeof(partition), typeof(offset), typeof(timestamp), typeof(timestampType)' \
	  | stream-write csv -o header=true >"$T/types"
	run -0 cat "$T/types"
	[ "${lines[0]}" = "typeof(key),typeof(value),typeof(topic),typeof(partition),typeof(offset),typeof(timestamp),typeof(timestampType)" ]
	[ "${lines[1]}" = "binary,binary,string,bigint,bigint,timestamp,bigint" ]
	kread -o subscribe=t -o startingOffsets=earliest --trigger availableNow \
	  | stream-select --select 'key, value, topic, partition, offset, timestampType' | stream-write console >"$T/out"
	cat >"$T/want" <<-'EOF'
	-------------------------------------------
	Batch: 0
	-------------------------------------------
	+-------+-------+-----+---------+------+-------------+
	|    key|  value|topic|partition|offset|timestampType|
	+-------+-------+-----+---------+------+-------------+
	|[6B 31]|[76 31]|    t|        0|     0|            0|
	|[6B 32]|[76 32]|    t|        0|     1|            0|
	+-------+-------+-----+---------+------+-------------+

	EOF
	diff "$T/want" "$T/out"
	# the producer's CreateTime, in microseconds: within the last minute
	now=$(date +%s)
	kread -o subscribe=t -o startingOffsets=earliest --trigger availableNow \
	  | stream-select --select 'CAST(timestamp AS LONG) AS s' | stream-write csv >"$T/ts"
	while read -r s; do [ $((now - s)) -lt 60 ] && [ $((now - s)) -ge -1 ]; done <"$T/ts"
}

@test "kafka: subscribe takes a list; rows come topic by topic, partition by partition, in offset order" {
	start_mock -t a:2 -t b
	produce a 1 x:a1-0 y:a1-1
	produce b 0 z:b0-0
	produce a 0 w:a0-0
	run -0 --separate-stderr krows -o 'subscribe=b, a' -o startingOffsets=earliest --trigger availableNow
	[ "$output" = $'w,a0-0,a,0,0\nx,a1-0,a,1,0\ny,a1-1,a,1,1\nz,b0-0,b,0,0' ]
}

@test "kafka: subscribePattern reads every matching topic, assign only the partitions named" {
	start_mock -t ev1 -t ev2:2 -t other
	produce ev1 0 a:1
	produce ev2 1 b:2
	produce other 0 c:3
	run -0 --separate-stderr krows -o 'subscribePattern=^ev[0-9]+$' -o startingOffsets=earliest --trigger availableNow
	[ "$output" = $'a,1,ev1,0,0\nb,2,ev2,1,0' ]
	produce ev2 0 d:4
	run -0 --separate-stderr krows -o 'assign={"ev2":[0],"other":[0]}' -o startingOffsets=earliest --trigger availableNow
	[ "$output" = $'d,4,ev2,0,0\nc,3,other,0,0' ]
}

@test "kafka: startingOffsets latest (the default), earliest, and per partition with -2 and -1" {
	start_mock -t t:3
	produce t 0 a:0 b:1 c:2
	produce t 1 d:0 e:1
	produce t 2 f:0
	run -0 --separate-stderr krows -o subscribe=t --trigger availableNow
	[ -z "$output" ]
	run -0 --separate-stderr krows -o subscribe=t -o startingOffsets=EARLIEST --trigger availableNow
	[ "${#lines[@]}" = 6 ]
	run -0 --separate-stderr krows -o subscribe=t -o 'startingOffsets={"t":{"0":1,"1":-2,"2":-1}}' --trigger availableNow
	[ "$output" = $'b,1,t,0,1\nc,2,t,0,2\nd,0,t,1,0\ne,1,t,1,1' ]
}

@test "kafka: startingTimestamp and startingOffsetsByTimestamp: no record that recent is an error, or the end with the strategy latest" {
	start_mock -t t:2
	produce t 0 a:old
	produce t 1 b:old
	# an hour from now: no partition has a record at or after it
	ms=$(($(date +%s) * 1000 + 3600000))
	run -1 --separate-stderr krows -o subscribe=t -o startingTimestamp=$ms --trigger availableNow
	[[ $stderr == "stream-read: topic 't' partition 0 has no record at or after timestamp $ms (startingOffsetsByTimestampStrategy=error; 'latest' starts at the end)"* ]]
	run -1 --separate-stderr krows -o subscribe=t -o "startingOffsetsByTimestamp={\"t\":{\"1\":$ms}}" --trigger availableNow
	[[ $stderr == "stream-read: topic 't' partition 1 has no record at or after timestamp $ms "* ]]
	# latest: the run starts at the end, and the next run reads on from there
	run -0 --separate-stderr krows -o subscribe=t -o startingTimestamp=$ms -o startingOffsetsByTimestampStrategy=latest --checkpoint "$T/ck" --trigger availableNow
	[ -z "$output" ]
	produce t 1 c:new
	run -0 --separate-stderr krows -o subscribe=t --checkpoint "$T/ck" --trigger availableNow
	[ "$output" = "c,new,t,1,1" ]
	run -2 --separate-stderr kread -o subscribe=t -o startingTimestamp=yesterday
	[ "${stderr_lines[0]}" = "stream-read: option -o startingTimestamp=yesterday: expected milliseconds since 1970-01-01 UTC" ]
}

@test "kafka: endingOffsets makes a bounded read that ends by itself (latest, or per partition)" {
	start_mock -t t:2
	produce t 0 a:0 b:1 c:2
	produce t 1 d:0 e:1
	run -0 --separate-stderr krows -o subscribe=t -o startingOffsets=earliest -o endingOffsets=latest
	[ "${#lines[@]}" = 5 ]
	run -0 --separate-stderr krows -o subscribe=t -o startingOffsets=earliest -o 'endingOffsets={"t":{"0":2,"1":-1}}'
	[ "$output" = $'a,0,t,0,0\nb,1,t,0,1\nd,0,t,1,0\ne,1,t,1,1' ]
}

@test "kafka: maxOffsetsPerTrigger splits the backlog as Spark does, the offsets log holds Spark's JSON" {
	start_mock -t t:2
	produce t 0 a:0 b:1 c:2 d:3 e:4 f:5
	produce t 1 g:0 h:1
	kread -o subscribe=t -o startingOffsets=earliest -o maxOffsetsPerTrigger=4 --trigger availableNow \
	  --checkpoint "$T/ck" | stream-write json >/dev/null
	[ "$(ls "$T/ck/offsets")" = $'0\n1' ]
	# 4 of 8: t-0 has 6/8 of the backlog (3), t-1 2/8 (1); then what is left
	run -0 offsets "$T/ck" 0
	[ "$output" = '"start":{"t":{"0":0,"1":0}},"end":{"t":{"0":3,"1":1}}}' ]
	run -0 offsets "$T/ck" 1
	[ "$output" = '"start":{"t":{"0":3,"1":1}},"end":{"t":{"0":6,"1":2}}}' ]
	# once: one batch of everything, the limit ignored
	kread -o subscribe=t -o startingOffsets=earliest -o maxOffsetsPerTrigger=4 --trigger once | stream-write console >"$T/once"
	[ "$(grep -c '^Batch' "$T/once")" = 1 ]
	[ "$(grep -c '^| *\[' "$T/once")" = 8 ]
}

@test "kafka: a restart reads on exactly where the checkpoint stopped; an uncommitted batch is replayed as it was" {
	start_mock -t t:2
	produce t 0 a:0 b:1
	produce t 1 c:0
	run_ck() {
		kread -o subscribe=t -o startingOffsets=earliest --checkpoint "$T/ck" --trigger availableNow
	}
	sink() {
		stream-select --select 'CAST(value AS STRING) AS v, partition, offset' | stream-write json --checkpoint "$T/wck" "$T/out"
	}
	run_ck | sink
	produce t 0 d:2
	produce t 1 e:1
	# this run's sink commits nothing: batch 1 stays uncommitted
	run_ck | rows >"$T/first"
	[ "$(cat "$T/first")" = $'d,2,t,0,2\ne,1,t,1,1' ]
	produce t 1 f:2
	# the restart replays batch 1 over the same offsets, then reads what is new
	run_ck | sink
	stream-read json "$T/out" --trigger once --schema 'v STRING, partition LONG, offset LONG' | stream-write csv | sort >"$T/all"
	[ "$(cat "$T/all")" = $'0,0,0\n0,1,0\n1,0,1\n1,1,1\n2,0,2\n2,1,2' ]
	[ "$(ls "$T/ck/offsets")" = $'0\n1\n2' ]
	[ "$(ls "$T/ck/commits")" = $'0\n1\n2' ]
	run -0 offsets "$T/ck" 1
	[ "$output" = '"start":{"t":{"0":2,"1":1}},"end":{"t":{"0":3,"1":2}}}' ]
	run -0 offsets "$T/ck" 2
	[ "$output" = '"start":{"t":{"0":3,"1":2}},"end":{"t":{"0":3,"1":3}}}' ]
}

@test "kafka: read | select | write killed at random moments: every record once in the output" {
	start_mock -t t:4
	for p in 0 1 2 3; do
		seq 1 500 | sed "s/^/k$p:$p-/" | kcat -P -b "$KAFKA" -t t -p "$p" -K:
	done
	# real fsyncs: they pace the batches
	unset SP_TEST_NOFSYNC
	pipeline() {
		stream-read kafka -o kafka.bootstrap.servers="$KAFKA" -o subscribe=t -o startingOffsets=earliest \
		    -o maxOffsetsPerTrigger=4 --checkpoint "$T/ck" --trigger availableNow \
		  | stream-select --select 'CAST(value AS STRING) AS v, partition, offset' \
		  | stream-write json --checkpoint "$T/wck" "$T/out"
	}
	latest() {
		ls "$T/ck/commits" 2>/dev/null | sort -n | tail -1
	}
	kills=0
	for _ in $(seq 40); do
		before=$(latest)
		pipeline 2>/dev/null &
		pid=$!
		# kill at a random moment once the run has made some progress
		for _ in $(seq 200); do
			[ "$(latest)" != "$before" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.01
		done
		sleep "0.0$((RANDOM % 10))"
		stages=($(pgrep -P "$pid" || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			kill -9 "${stages[$((RANDOM % ${#stages[@]}))]}" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" || true
		[ "$kills" -ge 10 ] && break
	done
	echo "# survived $kills kills" >&3
	[ "$kills" -ge 5 ]
	run -0 pipeline
	stream-read json "$T/out" --trigger once --schema 'v STRING, partition LONG, offset LONG' | stream-write csv | sort >"$T/got"
	for p in 0 1 2 3; do seq 1 500 | awk -v p=$p '{ print p "-" $1 "," p "," $1 - 1 }'; done | sort >"$T/want"
	cmp "$T/got" "$T/want"
}

@test "kafka: failOnDataLoss: offsets gone or beyond the end are an error naming them, or a warning and a skip" {
	start_mock -t t
	produce t 0 a:0 b:1 c:2
	run -1 --separate-stderr krows -o subscribe=t -o 'startingOffsets={"t":{"0":7}}' --trigger availableNow
	[ "${stderr_lines[0]}" = "stream-read: topic 't' partition 0: offset 7 is beyond its end 3 (was the topic recreated?): some data was lost (failOnDataLoss=true; -o failOnDataLoss=false skips it)" ]
	run -0 --separate-stderr krows -o subscribe=t -o 'startingOffsets={"t":{"0":7}}' -o failOnDataLoss=false --trigger availableNow
	[ "$stderr" = "stream-read: warning: topic 't' partition 0: offset 7 is beyond its end 3 (was the topic recreated?): some data was lost, skipped (failOnDataLoss=false)" ]
	[ -z "$output" ]
	# the cluster keeps about 5 MB a partition: its oldest records go, as with retention
	head -c 6000000 /dev/zero | tr '\0' x | fold -w 1000 | kcat -P -b "$KAFKA" -t t -p 0
	low=$(kcat -Q -b "$KAFKA" -t t:0:-2 | awk '{print $NF}')
	[ "$low" -gt 3 ]
	run -1 --separate-stderr krows -o subscribe=t -o 'startingOffsets={"t":{"0":1}}' --trigger availableNow
	[ "${stderr_lines[0]}" = "stream-read: topic 't' partition 0: offsets 1 to $((low - 1)) are no longer available (the earliest is $low): some data was lost (failOnDataLoss=true; -o failOnDataLoss=false skips it)" ]
	kread -o subscribe=t -o 'startingOffsets={"t":{"0":1}}' -o failOnDataLoss=false --trigger availableNow 2>"$T/err" \
	  | stream-select --select 'offset' | stream-write csv >"$T/out"
	[ "$(head -1 "$T/out")" = "$low" ]
	[ "$(cat "$T/err")" = "stream-read: warning: topic 't' partition 0: offsets 1 to $((low - 1)) are no longer available (the earliest is $low): some data was lost, skipped (failOnDataLoss=false)" ]
}

@test "kafka: a checkpoint against a recreated topic (a new cluster) follows failOnDataLoss" {
	start_mock -t t
	produce t 0 a:0 b:1 c:2
	kread -o subscribe=t -o startingOffsets=earliest --checkpoint "$T/ck" --trigger availableNow | stream-write json --checkpoint "$T/wck" "$T/out"
	kill "$MOCK_PID"
	wait "$MOCK_PID" || true
	start_mock -t t
	produce t 0 x:0
	run -1 --separate-stderr krows -o subscribe=t --checkpoint $T/ck --trigger availableNow
	[ "${stderr_lines[0]}" = "stream-read: topic 't' partition 0: offset 3 is beyond its end 1 (was the topic recreated?): some data was lost (failOnDataLoss=true; -o failOnDataLoss=false skips it)" ]
}

@test "kafka: includeHeaders adds Spark's headers column; no headers is NULL" {
	start_mock -t t
	printf 'k1:v1\n' | kcat -P -b "$KAFKA" -t t -p 0 -K: -H h1=x -H h2=yz
	produce t 0 k2:v2
	kread -o subscribe=t -o startingOffsets=earliest -o includeHeaders=true --trigger availableNow \
	  | stream-select --select 'typeof(headers) AS t, size(headers) AS n, headers[1].key AS k, CAST(headers[1].value AS STRING) AS v' \
	  | stream-write csv >"$T/out"
	run -0 cat "$T/out"
	[ "$output" = $'"array<struct<key:string,value:binary>>",2,h2,yz\n"array<struct<key:string,value:binary>>",-1,,' ]
}

@test "kafka: new topics of a pattern are picked up while running, from their earliest offset" {
	start_mock -t ev1
	produce ev1 0 a:1
	bg_read -o 'subscribePattern=ev.*' -o startingOffsets=earliest
	wait_rows 1
	produce ev2 0 b:2 c:3
	wait_rows 3
	stop_bg
	run -0 rows <"$T/frames"
	[ "$output" = $'a,1,ev1,0,0\nb,2,ev2,0,0\nc,3,ev2,0,1' ]
}

@test "kafka: minOffsetsPerTrigger waits for enough records, or for maxTriggerDelay" {
	start_mock -t t
	bg_read -o subscribe=t -o minOffsetsPerTrigger=3 -o maxTriggerDelay='30 seconds'
	sleep 1
	produce t 0 a:0 b:1
	sleep 1.5
	[ "$(progress_rows "$T/progress")" = 0 ]
	produce t 0 c:2
	wait_rows 3
	stop_bg
	run -0 rows <"$T/frames"
	[ "$output" = $'a,0,t,0,0\nb,1,t,0,1\nc,2,t,0,2' ]
	# a short delay lets a small batch through
	bg_read -o subscribe=t -o minOffsetsPerTrigger=100 -o maxTriggerDelay='1 second'
	sleep 0.5
	produce t 0 d:3
	wait_rows 1
	stop_bg
	run -0 rows <"$T/frames"
	[ "$output" = "d,3,t,0,3" ]
}

@test "kafka: offsets go to the consumer group after the sink commits (kafka.group.id), for lag tools" {
	start_mock -t t
	produce t 0 a:0 b:1 c:2
	kread -o subscribe=t -o startingOffsets=earliest -o kafka.group.id=g1 --checkpoint "$T/ck" --trigger availableNow \
	  | stream-write json --checkpoint "$T/wck" "$T/out"
	# the group g1 is at the end: a member of it reads nothing; another group reads everything
	run -0 kcat -b "$KAFKA" -G g1 -X auto.offset.reset=earliest -e -q t
	[ -z "$output" ]
	run -0 kcat -b "$KAFKA" -G g2 -X auto.offset.reset=earliest -e -q t
	[ "$output" = $'0\n1\n2' ]
}

@test "kafka: malformed JSON values give NULL through from_json, and can be routed apart" {
	start_mock -t t
	produce t 0 'a:{"id":1,"n":"x"}' 'b:{"id":2,' 'c:{"id":3,"n":"z"}'
	kread -o subscribe=t -o startingOffsets=earliest --trigger availableNow \
	  | stream-select --select "offset, from_json(CAST(value AS STRING), 'id LONG, n STRING') AS j" >"$T/parsed"
	# the bad ones apart, the good ones on
	stream-select --where 'j IS NULL' --select 'offset' <"$T/parsed" | stream-write csv >"$T/bad"
	stream-select --where 'j IS NOT NULL' --select 'j.id, j.n' <"$T/parsed" | stream-write csv >"$T/good"
	[ "$(cat "$T/bad")" = "1" ]
	[ "$(cat "$T/good")" = $'1,x\n3,z' ]
}

@test "kafka: an unknown topic or partition is an error naming it" {
	start_mock -t t
	run -1 --separate-stderr kread -o subscribe=nope
	[ "$stderr" = "stream-read: topic 'nope' does not exist on the Kafka brokers '$KAFKA'" ]
	run -1 --separate-stderr kread -o 'assign={"t":[0,5]}'
	[ "$stderr" = "stream-read: topic 't' partition 5 does not exist on the Kafka brokers '$KAFKA' (option -o assign)" ]
}

@test "kafka: an unreachable broker is a clear error within the poll timeout, status 1" {
	start=$(date +%s)
	run -1 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=127.0.0.1:1 -o subscribe=t -o kafkaConsumer.pollTimeoutMs=1500
	[ $(($(date +%s) - start)) -lt 10 ]
	[[ $stderr == "stream-read: cannot read the topics of the Kafka brokers '127.0.0.1:1' within 1500 ms: "*"127.0.0.1:1"*"Connection refused"* ]]
	[ -z "$output" ]
}

@test "kafka: kafka.* options reach librdkafka: TLS and SASL settings are used, bad ones named" {
	start_mock -t t
	# the mock cluster has no SASL: librdkafka says so, naming the mechanism asked for
	run -1 --separate-stderr kread -o subscribe=t -o kafkaConsumer.pollTimeoutMs=2000 -o kafka.security.protocol=SASL_PLAINTEXT \
	  -o kafka.sasl.mechanism=PLAIN -o kafka.sasl.username=u -o kafka.sasl.password=p
	[[ $stderr == "stream-read: cannot read the topics of the Kafka brokers '$KAFKA' within 2000 ms: "*"SASL"*"PLAIN"* ]]
	run -2 --separate-stderr kread -o subscribe=t -o kafka.security.protocol=BOGUS
	[ "${stderr_lines[0]}" = "stream-read: option -o kafka.security.protocol=BOGUS: Invalid value \"BOGUS\" for configuration property \"security.protocol\"" ]
	run -2 --separate-stderr kread -o subscribe=t -o kafka.security.protocol=SSL -o kafka.ssl.ca.location=/nonexistent/ca.pem
	[[ ${stderr_lines[0]} == "stream-read: cannot create the Kafka consumer: ssl.ca.location failed: "* ]]
}

@test "kafka: bad options are usage errors naming the option" {
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1
	[ "${stderr_lines[0]}" = "stream-read: kafka: one of the options -o subscribe, -o subscribePattern, -o assign must be given" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o assign='{"a":[0]}'
	[ "${stderr_lines[0]}" = "stream-read: kafka: only one of the options -o subscribe, -o subscribePattern, -o assign must be given" ]
	run -2 --separate-stderr stream-read kafka -o subscribe=a
	[ "${stderr_lines[0]}" = "stream-read: option -o kafka.bootstrap.servers=HOST:PORT[,...] is required" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o assign='{"a":0}'
	[ "${stderr_lines[0]}" = "stream-read: option -o assign: expected a JSON object like {\"topicA\":[0,1]}, not '{\"a\":0}'" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o startingOffsets=first
	[ "${stderr_lines[0]}" = "stream-read: option -o startingOffsets: expected a JSON object like {\"topicA\":{\"0\":23,\"1\":-2}}, not 'first'" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o 'subscribePattern=a('
	[ "${stderr_lines[0]}" = "stream-read: kafka: only one of the options -o subscribe, -o subscribePattern, -o assign must be given" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o 'subscribePattern=a('
	[[ ${stderr_lines[0]} == "stream-read: option -o subscribePattern=a(: "* ]]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o maxOffsetsPerTrigger=0
	[[ ${stderr_lines[0]} == "stream-read: "*"maxOffsetsPerTrigger"* ]]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o failOnDataLoss=maybe
	[[ ${stderr_lines[0]} == "stream-read: "*"failOnDataLoss"* ]]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o kafka.no.such=1
	[[ ${stderr_lines[0]} == "stream-read: option -o kafka.no.such=1: No such configuration property"* ]]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o topic=a
	[[ ${stderr_lines[0]} == "stream-read: unknown option -o 'topic' for kafka (known: subscribe, "* ]]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o commitOffsetsToGroup=true
	[ "${stderr_lines[0]}" = "stream-read: option -o commitOffsetsToGroup=true needs -o kafka.group.id=GROUP" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a --schema 'a LONG'
	[ "${stderr_lines[0]}" = "stream-read: kafka: the schema is fixed, --schema does not apply" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a in.json
	[ "${stderr_lines[0]}" = "stream-read: kafka: no PATH is read (got 'in.json')" ]
	run -2 --separate-stderr stream-read kafka -o kafka.bootstrap.servers=x:1 -o subscribe=a -o endingOffsets=earliest
	[ "${stderr_lines[0]}" = "stream-read: option -o endingOffsets=earliest: only latest or per-partition offsets (JSON)" ]
}
