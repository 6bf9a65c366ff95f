#!/usr/bin/env bats
# The documentation tells the truth: every man page is lint-clean, every
# command's SYNOPSIS is its -h usage, and every EXAMPLE runs as printed.
load ../helpers

synopsis() {
	mandoc -Tascii "$SP_TOP/man/$1.1" | col -b |
		sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

usage_line() {
	"$1" -h | sed -n '1,/^$/p' | sed 's/^usage: //; s/^       //' | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

@test "man pages are lint-clean" {
	for m in "$SP_TOP"/man/*.[157]; do
		run mandoc -Tlint -W warning "$m"
		[ "$status" -eq 0 ] || { echo "$m: $output"; false; }
	done
}

@test "every command has a man page whose SYNOPSIS matches -h" {
	for src in "$SP_TOP"/cmd/*.c; do
		cmd=$(basename "$src" .c)
		[ -f "$SP_TOP/man/$cmd.1" ] || { echo "no man page for $cmd"; false; }
		want=$(usage_line "$cmd")
		got=$(synopsis "$cmd")
		[ "$want" = "$got" ] || { echo "$cmd: -h says '$want', SYNOPSIS says '$got'"; false; }
	done
}

@test "every man page EXAMPLE runs as printed, silently on stderr" {
	cd "$SP_TOP"
	n=0
	for m in man/*.[157]; do
		while IFS= read -r cmd; do
			n=$((n + 1))
			status=0
			bash -c "$cmd" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
			if [ "$status" -ne 0 ] || [ -s "$BATS_TEST_TMPDIR/err" ]; then
				echo "$m: example failed (status $status): $cmd"
				cat "$BATS_TEST_TMPDIR/err"
				false
			fi
		done < <(man_examples "$(basename "$m")")
	done
	[ "$n" -gt 5 ]
}
