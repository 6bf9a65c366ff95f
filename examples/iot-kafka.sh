#!/bin/bash
# The seed's IoT pipeline, end to end through Kafka: the readings of
# examples/iot/events.jsonl are produced to the topic iot_events, then read
# back as Spark reads Kafka, parsed with from_json, averaged per device in
# 5-minute event-time windows with a 10-minute watermark (update mode),
# anomalies (an average above 30 degrees) shown on the side, and the
# aggregates written as JSON messages to iot_agg with Kafka transactions.
# Needs KAFKA_BOOTSTRAP (make demo runs it inside stream-kafka-mock).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/build/bin:$PATH"
: "${KAFKA_BOOTSTRAP:?run it inside stream-kafka-mock, or set it to a Kafka cluster}"
ck=$(mktemp -d)
trap 'rm -rf "$ck"' EXIT

echo "== producing $(wc -l <"$top/examples/iot/events.jsonl") readings to iot_events"
stream-read json "$top/examples/iot/events.jsonl" \
  | stream-select --select 'device_id AS key, to_json(struct(*)) AS value' \
  | stream-write kafka -o kafka.bootstrap.servers="$KAFKA_BOOTSTRAP" -o topic=iot_events

echo "== the pipeline: Kafka -> from_json -> 5-minute windows -> Kafka (anomalies on the side)"
stream-read kafka -o kafka.bootstrap.servers="$KAFKA_BOOTSTRAP" -o subscribe=iot_events \
    -o startingOffsets=earliest -o maxOffsetsPerTrigger=500 --checkpoint "$ck/read" --trigger availableNow \
  | stream-select --select "from_json(CAST(value AS STRING), 'device_id STRING, temperature DOUBLE, humidity DOUBLE, timestamp TIMESTAMP') AS data" --select 'data.*' \
  | stream-window --time timestamp --watermark '10 minutes' --window '5 minutes' --group-by device_id \
      --agg 'avg(temperature) AS avg_temp, max(humidity) AS max_humidity' --output-mode update --checkpoint "$ck/win" \
  | tee >(stream-select --where 'avg_temp > 30' --select 'window.start AS window_start, device_id, round(avg_temp, 2) AS avg_temp' \
          | stream-write console >&2) \
  | stream-select --select 'CAST(device_id AS STRING) AS key, to_json(struct(*)) AS value' \
  | stream-write kafka -o kafka.bootstrap.servers="$KAFKA_BOOTSTRAP" -o topic=iot_agg --checkpoint "$ck/write"
sleep 0.2	# the anomalies' console, in its own process, may still be printing

echo "== what read_committed readers see in iot_agg (the first 20 messages)"
stream-read kafka -o kafka.bootstrap.servers="$KAFKA_BOOTSTRAP" -o subscribe=iot_agg \
    -o startingOffsets=earliest -o kafka.isolation.level=read_committed --trigger once \
  | stream-select --select 'CAST(key AS STRING) AS key, CAST(value AS STRING) AS value, offset' \
  | stream-write console -o numRows=20 -o truncate=false
