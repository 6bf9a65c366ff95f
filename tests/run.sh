#!/bin/sh
# Runs the unit tests and the command tests against the build in $1
# (build or build-asan). Prints bats' summary; exits non-zero on failure.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
status=0
export SP_TOP="$top" SP_BUILD="$build" SP_TEST_NOFSYNC=1
if [ "$build" = build-asan ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
for t in "$top/$build"/unit/test-*; do
	[ -x "$t" ] || continue
	"$t" || { echo "unit test failed: $t"; status=1; }
done
export PATH="$top/$build/bin:$PATH"
jobs=$(nproc 2>/dev/null || echo 2)
bats --jobs "$jobs" --no-parallelize-within-files "$top"/tests/cmd/*.bats || status=1
exit $status
