#!/bin/sh
# The demo pipeline, on the IoT readings shipped in examples/iot: average
# temperature and peak humidity per device in 5-minute event-time windows,
# with a 10-minute watermark, as Spark's console sink shows them. The
# readings arrive as four files, one micro-batch each, so that the
# watermark moves on and late readings are dropped along the way.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/build/bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in"
split -n l/4 -d --additional-suffix=.json "$top/examples/iot/events.jsonl" "$tmp/in/events-"
echo "+ stream-read json | stream-window | stream-select | stream-write console" >&2
stream-read json "$tmp/in" --checkpoint "$tmp/ck/read" --trigger availableNow -o maxFilesPerTrigger=1 \
    --schema 'device_id STRING, temperature DOUBLE, humidity DOUBLE, timestamp TIMESTAMP' \
  | stream-window --time timestamp --watermark '10 minutes' --window '5 minutes' --group-by device_id \
      --agg 'avg(temperature) AS avg_temp, max(humidity) AS max_humidity' --output-mode update \
      --checkpoint "$tmp/ck/window" \
  | stream-select --select 'window.start AS window_start, device_id, round(avg_temp, 2) AS avg_temp, max_humidity' \
  | stream-write console -o numRows=12 --checkpoint "$tmp/ck/write"
