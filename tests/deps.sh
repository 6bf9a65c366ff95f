#!/bin/sh
# Installs, on Debian, whatever building and testing need and is missing.
# Safe to run again: it only acts on what is absent.
set -e
pkgs="gcc make pkg-config libjson-c-dev librdkafka-dev libzstd-dev zlib1g-dev zstd bats jq kcat clang libclang-rt-14-dev mandoc valgrind gzip parallel bc gawk postgresql python3-kafka"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian (its npm then comes with it): look for the commands.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
# DuckDB, an independent reader the tests and benchmarks compare against.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$top/tests/node_modules/@duckdb/node-api" ]; then
	echo "deps: installing @duckdb/node-api (npm)"
	(cd "$top/tests" && npm install --no-audit --no-fund --silent >/dev/null)
fi
