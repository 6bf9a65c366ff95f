#!/usr/bin/env bats
# Kafka to Kafka, end to end, on stream-kafka-mock: the IoT pipeline with
# late and out-of-order events, and a pipeline killed by SIGKILL again and
# again whose output, as read_committed readers see it, is that of a run
# that was never killed. Every test starts its own cluster and stops it.
load ../helpers

setup() {
	T=$BATS_TEST_TMPDIR
	MOCK_PID=
	cd "$T"
}

teardown() {
	if [ -n "$MOCK_PID" ]; then
		kill "$MOCK_PID" 2>/dev/null || true
		wait "$MOCK_PID" 2>/dev/null || true
	fi
}

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

# consume TOPIC: every committed message in order (the topics here have one partition)
consume() {
	kcat -C -b "$KAFKA" -t "$1" -e -q -X isolation.level=read_committed -f '%k %s\n'
}

@test "the IoT pipeline: Kafka, from_json, 5-minute windows with a 10-minute watermark, Kafka" {
	start_mock -t iot_events:4 -t iot_agg:1
	# batch 0 holds an out-of-order event (d1 at 10:04 after 10:30); after it the watermark is 10:20
	cat >b0.txt <<-'EOF'
	d1|{"device_id":"d1","temperature":20,"humidity":50,"timestamp":"2024-05-01T10:01:00Z"}
	d1|{"device_id":"d1","temperature":30,"humidity":55,"timestamp":"2024-05-01T10:03:00Z"}
	d2|{"device_id":"d2","temperature":100,"humidity":40,"timestamp":"2024-05-01T10:02:00Z"}
	d2|{"device_id":"d2","temperature":110,"humidity":45,"timestamp":"2024-05-01T10:07:00Z"}
	d1|{"device_id":"d1","temperature":25,"humidity":60,"timestamp":"2024-05-01T10:30:00Z"}
	d1|{"device_id":"d1","temperature":40,"humidity":52,"timestamp":"2024-05-01T10:04:00Z"}
	EOF
	# batch 1: d2 at 10:08 is late (its window ended before the watermark) and dropped; 10:21 after 10:25 is not
	cat >b1.txt <<-'EOF'
	d2|{"device_id":"d2","temperature":130,"humidity":47,"timestamp":"2024-05-01T10:08:00Z"}
	d1|{"device_id":"d1","temperature":35,"humidity":65,"timestamp":"2024-05-01T10:31:00Z"}
	d2|{"device_id":"d2","temperature":90,"humidity":30,"timestamp":"2024-05-01T10:25:00Z"}
	d2|{"device_id":"d2","temperature":50,"humidity":31,"timestamp":"2024-05-01T10:21:00Z"}
	EOF
	pipeline() {
		stream-read kafka -o kafka.bootstrap.servers="$KAFKA" -o subscribe=iot_events -o startingOffsets=earliest \
			-o maxOffsetsPerTrigger=50000 --checkpoint ck/read --trigger availableNow \
		  | stream-select --select "from_json(CAST(value AS STRING), 'device_id STRING, temperature DOUBLE, humidity DOUBLE, timestamp TIMESTAMP') AS data" --select 'data.*' \
		  | stream-window --time timestamp --watermark '10 minutes' --window '5 minutes' --group-by device_id \
			--agg 'avg(temperature) AS avg_temp, max(humidity) AS max_humidity' --output-mode update --checkpoint ck/win \
		  | tee >(stream-select --where 'avg_temp > 100' | stream-write json >>alerts.json) \
		  | stream-select --select 'CAST(device_id AS STRING) AS key, to_json(struct(*)) AS value' \
		  | stream-write kafka -o kafka.bootstrap.servers="$KAFKA" -o topic=iot_agg --checkpoint ck/write
	}
	kcat -P -q -b "$KAFKA" -t iot_events -K'|' <b0.txt
	pipeline
	kcat -P -q -b "$KAFKA" -t iot_events -K'|' <b1.txt
	pipeline
	run -0 consume iot_agg
	cat >want <<-'EOF'
	d1 {"window":{"start":"2024-05-01T10:00:00.000Z","end":"2024-05-01T10:05:00.000Z"},"device_id":"d1","avg_temp":30.0,"max_humidity":55.0}
	d2 {"window":{"start":"2024-05-01T10:00:00.000Z","end":"2024-05-01T10:05:00.000Z"},"device_id":"d2","avg_temp":100.0,"max_humidity":40.0}
	d2 {"window":{"start":"2024-05-01T10:05:00.000Z","end":"2024-05-01T10:10:00.000Z"},"device_id":"d2","avg_temp":110.0,"max_humidity":45.0}
	d1 {"window":{"start":"2024-05-01T10:30:00.000Z","end":"2024-05-01T10:35:00.000Z"},"device_id":"d1","avg_temp":25.0,"max_humidity":60.0}
	d2 {"window":{"start":"2024-05-01T10:20:00.000Z","end":"2024-05-01T10:25:00.000Z"},"device_id":"d2","avg_temp":50.0,"max_humidity":31.0}
	d2 {"window":{"start":"2024-05-01T10:25:00.000Z","end":"2024-05-01T10:30:00.000Z"},"device_id":"d2","avg_temp":90.0,"max_humidity":30.0}
	d1 {"window":{"start":"2024-05-01T10:30:00.000Z","end":"2024-05-01T10:35:00.000Z"},"device_id":"d1","avg_temp":30.0,"max_humidity":65.0}
	EOF
	diff want <(echo "$output")
	# the alerts branch saw the one window above 100
	for _ in $(seq 100); do [ -s alerts.json ] && break; sleep 0.05; done
	run -0 cat alerts.json
	[ "$output" = '{"window":{"start":"2024-05-01T10:05:00.000Z","end":"2024-05-01T10:10:00.000Z"},"device_id":"d2","avg_temp":110.0,"max_humidity":45.0}' ]
	# two batches, each committed in the source's checkpoint by the Kafka sink
	[ -f ck/read/commits/0 ] && [ -f ck/read/commits/1 ] && [ ! -e ck/read/offsets/2 ]
}

@test "Kafka -> stream-window -> Kafka killed by SIGKILL again and again: no duplicates, no loss" {
	start_mock -t events:1 -t agg:1 -t ref:1
	# 3000 events of 10 devices, out of order within 3 minutes (the watermark is 10 minutes)
	awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) { t = 1714557600 + i * 5 - int(rand() * 180);
		printf "d%d|{\"device_id\":\"d%d\",\"temperature\":%d,\"timestamp\":%d}\n", i % 10, i % 10, i % 97, t } }' \
		| kcat -P -q -b "$KAFKA" -t events -K'|'
	pipeline() {
		stream-read kafka -o kafka.bootstrap.servers="$KAFKA" -o subscribe=events -o startingOffsets=earliest \
			-o maxOffsetsPerTrigger=100 --checkpoint "ck-$1/read" --trigger availableNow \
		  | stream-select --select "from_json(CAST(value AS STRING), 'device_id STRING, temperature DOUBLE, timestamp TIMESTAMP') AS e" --select 'e.*' \
		  | stream-window --time timestamp --watermark '10 minutes' --window '5 minutes' --group-by device_id \
			--agg 'count(*) AS n, avg(temperature) AS avg_temp' --output-mode update --checkpoint "ck-$1/win" \
		  | stream-select --select 'device_id AS key, to_json(struct(*)) AS value' \
		  | stream-write kafka -o kafka.bootstrap.servers="$KAFKA" -o topic="$1" --checkpoint "ck-$1/write"
	}
	pipeline ref
	kills=0
	for round in $(seq 1 60); do
		pipeline agg 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
		stages=($(pgrep -P "$pid" || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			kill -9 "${stages[$((RANDOM % ${#stages[@]}))]}" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" || true
		[ "$kills" -ge 15 ] && break
	done
	echo "# survived $kills kills" >&3
	[ "$kills" -ge 10 ]
	run -0 pipeline agg
	[ -f ck-agg/read/commits/29 ] && [ ! -e ck-agg/read/offsets/30 ]
	consume ref >ref.txt
	consume agg >agg.txt
	[ "$(wc -l <ref.txt)" -gt 300 ]
	diff ref.txt agg.txt
}
