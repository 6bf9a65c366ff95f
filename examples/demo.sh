#!/bin/sh
# The demo pipeline, on the IoT readings shipped in examples/iot: the
# anomalies (temperature over 100 degrees), as Spark's console sink shows them.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/build/bin:$PATH"
cd "$top"
set -x
stream-read json examples/iot/events.jsonl \
  | stream-select --where 'temperature > 100' \
      --select 'device_id, temperature, CAST(timestamp AS TIMESTAMP) AS ts' \
  | stream-write console -o numRows=50
