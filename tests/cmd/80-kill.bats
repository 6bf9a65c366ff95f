#!/usr/bin/env bats
# Exactly-once under SIGKILL: a pipeline killed at random moments, at a
# random stage, and restarted with the same command, ends with output
# identical to a run that was never killed: nothing lost, nothing twice.
load ../helpers

SCHEMA='device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG'

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/in"
	# 200k rows in 500 files, deterministic
	cc -O2 -o "$T/gen" "$SP_TOP/bench/gen-events.c"
	"$T/gen" 200000 500 | split -l 400 -d -a 3 --additional-suffix=.json - "$T/in/part-"
	# Real fsyncs here: they are part of what is tested, and they pace the batches.
	unset SP_TEST_NOFSYNC
}

latest_commit() {
	ls "$T/ck/read/commits" 2>/dev/null | sort -n | tail -1
}

# Runs the function pipeline again and again, SIGKILLing one of its stages
# at a random moment each time (up to JITTER ms after it made progress),
# until 25 kills (at least 15: a loaded machine may finish the 500 batches
# sooner), then once to the end.
kill_loop() {
	kills=0
	for round in $(seq 1 80); do
		before=$(latest_commit)
		pipeline 2>/dev/null &
		pid=$!
		# Kill at a random moment once the run has made some progress.
		for _ in $(seq 200); do
			[ "$(latest_commit)" != "$before" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.005
		done
		sleep "$(printf '0.%03d' $((RANDOM % ${JITTER:-20})))"
		stages=($(pgrep -P "$pid" || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			kill -9 "${stages[$((RANDOM % ${#stages[@]}))]}" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" || true
		if [ "$kills" -ge 25 ]; then break; fi
	done
	echo "# survived $kills kills" >&3
	[ "$kills" -ge 15 ]
	run -0 pipeline
	# All 500 planned batches were committed.
	[ -f "$T/ck/read/commits/499" ] && [ ! -e "$T/ck/read/offsets/500" ]
}

@test "read | select | write survives 15+ random SIGKILLs with exactly-once output" {
	pipeline() {
		stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow \
			-o maxFilesPerTrigger=1 \
		  | stream-select --where 'temperature > 20' --with 'temp_f = temperature * 1.8 + 32' \
		  | stream-write json --checkpoint "$T/ck/write" "$T/out"
	}
	kill_loop
	stream-read json "$T/out" --trigger once --schema "$SCHEMA, temp_f DOUBLE" | stream-write json | sort >"$T/got"
	stream-read json "$T/in" --trigger once --schema "$SCHEMA" \
	  | stream-select --where 'temperature > 20' --with 'temp_f = temperature * 1.8 + 32' \
	  | stream-write json | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -gt 100000 ]
	cmp "$T/got" "$T/want"
}

@test "read | window | write survives 15+ random SIGKILLs with exactly-once output" {
	# append mode: every window once, final; the files of the output are the result
	W=(--time ts --watermark '1 minute' --window '1 minute' --group-by device_id --keep-state-at-end
	   --agg 'count(*) AS n, avg(temperature) AS avg_t, max(humidity) AS max_h, sum(seq) AS s')
	pipeline() {
		stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow \
			-o maxFilesPerTrigger=1 \
		  | stream-window "${W[@]}" --checkpoint "$T/ck/window" \
		  | stream-write json --checkpoint "$T/ck/write" "$T/out"
	}
	kill_loop
	stream-read json "$T/out" --trigger once | stream-write json | sort >"$T/got"
	# the same batches, uninterrupted, from a second checkpoint
	stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck2/read" --trigger availableNow \
		-o maxFilesPerTrigger=1 \
	  | stream-window "${W[@]}" --checkpoint "$T/ck2/window" | stream-write json --checkpoint "$T/ck2/write" "$T/out2"
	stream-read json "$T/out2" --trigger once | stream-write json | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -gt 10000 ]
	cmp "$T/got" "$T/want"
}

@test "read | dedup | write survives 15+ random SIGKILLs with exactly-once output" {
	# dropDuplicatesWithinWatermark per device: keys evicted and seen again across batches
	D=(--keys device_id --time ts --watermark '30 seconds' --within-watermark)
	pipeline() {
		stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow \
			-o maxFilesPerTrigger=1 \
		  | stream-dedup "${D[@]}" --checkpoint "$T/ck/dedup" \
		  | stream-write json --checkpoint "$T/ck/write" "$T/out"
	}
	JITTER=10 kill_loop
	stream-read json "$T/out" --trigger once --schema "$SCHEMA" | stream-write json | sort >"$T/got"
	stream-read json "$T/in" --schema "$SCHEMA" --trigger availableNow -o maxFilesPerTrigger=1 \
	  | stream-dedup "${D[@]}" | stream-write json | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -gt 10000 ]
	[ "$(wc -l <"$T/want")" -lt 190000 ]
	cmp "$T/got" "$T/want"
}
