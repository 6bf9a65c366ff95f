# Common set-up for the command tests: load with `load ../helpers`.
bats_require_minimum_version 1.5.0

: "${SP_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${SP_BUILD:=build}"
export PATH="$SP_TOP/$SP_BUILD/bin:$PATH"
export SP_TEST_NOFSYNC=1
DATA="$SP_TOP/tests/data"

# Runs an independent DuckDB query and prints JSON lines.
duckdb_json() {
	node "$SP_TOP/tests/duckdb.js" "$1"
}

# The EXAMPLES section of a man page, as shell commands (lines starting with "$ ").
man_examples() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$SP_TOP/man/$1" | sed -n 's/^\$ //p'
}
