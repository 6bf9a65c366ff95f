#!/bin/bash
# Kafka to Kafka: stream-read kafka | stream-write kafka next to kcat
# consuming and producing the same events, against the same local mock
# cluster (stream-kafka-mock), measured in the same run. Prints rows/s and
# the ratio to kcat. Usage: bench/kafka.sh [ROWS] (default 1000000).
rows=${1:-1000000}
. "$(dirname "$0")/lib.sh"
events=$(events "$rows")
parts=64	# the mock cluster keeps about 5 MiB per partition: room for every event

work=$out/kafka
rm -rf "$work"
mkdir -p "$work"
stream-kafka-mock -q -t events:$parts -t kcat_in:$parts -t kcat_out:$parts -t eo_out:$parts -t alo_out:$parts \
	--bootstrap-file "$work/addr" >/dev/null &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null' EXIT
while [ ! -s "$work/addr" ]; do sleep 0.05; done
b=$(cat "$work/addr")

# the events, keyed by device, as the topic's input
keyed=$work/keyed.txt
awk -F'"' '{ print $4 "\t" $0 }' "$events" >"$keyed"

echo "$rows events of $(($(stat -c %s "$events") / rows)) bytes, keyed, $parts partitions, mock cluster at $b, $(nproc) cores"
echo

t_prod=$(secs "kcat -P -q -b $b -t kcat_in -K '\t' -l '$keyed'")
report "kcat -P (produce)" "$t_prod"
kcat -P -q -b "$b" -t events -K '\t' -l "$keyed"
n=$(kcat -C -q -e -b "$b" -t events -o beginning -f '.' | wc -c)
[ "$n" = "$rows" ] || echo "warning: the topic holds $n of the $rows events"
src="stream-read kafka -o kafka.bootstrap.servers=$b -o subscribe=events -o startingOffsets=earliest --trigger availableNow"

t_cons=$(secs "kcat -C -q -e -b $b -t events -o beginning")
report "kcat -C (consume, all $n messages)" "$t_cons"
t_kcat=$(secs "kcat -C -q -e -b $b -t events -o beginning -f '%k\t%s\n' | kcat -P -q -b $b -t kcat_out -K '\t'")
report "kcat -C | kcat -P (consume + produce)" "$t_kcat"
echo

t=$(secs "$src >/dev/null")
report "stream-read kafka (frames out)" "$t" "kcat -C" "$t_cons"
$src >"$work/events.frames"
t=$(secs "stream-write kafka -o kafka.bootstrap.servers=$b -o topic=alo_out -o transactional=false <'$work/events.frames'")
report "stream-write kafka alone (frames in, at-least-once)" "$t" "kcat -P" "$t_prod"
t=$(secs "rm -rf '$work/ck-w' && stream-write kafka -o kafka.bootstrap.servers=$b -o topic=eo_out --checkpoint '$work/ck-w' <'$work/events.frames'")
report "stream-write kafka alone (frames in, exactly-once)" "$t" "kcat -P" "$t_prod"
t=$(secs "rm -rf '$work/ck-alo' && $src | stream-write kafka -o kafka.bootstrap.servers=$b -o topic=alo_out -o transactional=false")
report "stream-read kafka | stream-write kafka (at-least-once)" "$t" "kcat | kcat" "$t_kcat"
t=$(secs "rm -rf '$work/ck' && $src --checkpoint '$work/ck/read' | stream-write kafka -o kafka.bootstrap.servers=$b -o topic=eo_out --checkpoint '$work/ck/write'")
report "stream-read kafka | stream-write kafka (exactly-once)" "$t" "kcat | kcat" "$t_kcat"
