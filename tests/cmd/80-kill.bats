#!/usr/bin/env bats
# Exactly-once under SIGKILL: a pipeline killed at random moments, at a
# random stage, and restarted with the same command, ends with output
# identical to a run that was never killed: nothing lost, nothing twice.
load ../helpers

SCHEMA='device_id STRING, temperature DOUBLE, humidity DOUBLE, ts TIMESTAMP, seq LONG'

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/in"
	# 120k rows in 60 files, deterministic
	cc -O2 -o "$T/gen" "$SP_TOP/bench/gen-events.c"
	"$T/gen" 120000 500 | split -l 2000 -d -a 3 --additional-suffix=.json - "$T/in/part-"
}

pipeline() {
	stream-read json "$T/in" --schema "$SCHEMA" --checkpoint "$T/ck/read" --trigger availableNow \
		-o maxFilesPerTrigger=1 \
	  | stream-select --where 'temperature > 20' --with 'temp_f = temperature * 1.8 + 32' \
	  | stream-write json --checkpoint "$T/ck/write" "$T/out"
}

@test "read | select | write survives 20+ random SIGKILLs with exactly-once output" {
	kills=0
	for round in $(seq 1 40); do
		pipeline 2>/dev/null &
		pid=$!
		sleep "0.$(printf '%03d' $((RANDOM % 250 + 10)))"
		stages=($(pgrep -P "$pid" || true))
		if [ "${#stages[@]}" -gt 0 ]; then
			victim=${stages[$((RANDOM % ${#stages[@]}))]}
			kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
		fi
		wait "$pid" || true
		[ "$kills" -ge 25 ] && break
	done
	echo "# survived $kills kills" >&3
	[ "$kills" -ge 20 ]
	run -0 pipeline
	stream-read json "$T/out" --trigger once --schema "$SCHEMA, temp_f DOUBLE" | stream-write json | sort >"$T/got"
	stream-read json "$T/in" --trigger once --schema "$SCHEMA" \
	  | stream-select --where 'temperature > 20' --with 'temp_f = temperature * 1.8 + 32' \
	  | stream-write json | sort >"$T/want"
	[ "$(wc -l <"$T/want")" -gt 50000 ]
	cmp "$T/got" "$T/want"
	# Every planned batch was committed, once.
	[ "$(ls "$T/ck/read/commits" | wc -l)" -eq 60 ]
}
