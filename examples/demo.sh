#!/bin/sh
# The demo: the seed's IoT pipeline through Kafka (examples/iot-kafka.sh),
# on a Kafka cluster of its own, stream-kafka-mock on loopback: no server
# to install or start.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/build/bin/stream-kafka-mock" --topic iot_events:4 --topic iot_agg:1 -- bash "$top/examples/iot-kafka.sh"
