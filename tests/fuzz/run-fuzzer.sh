#!/bin/sh
# Runs a libFuzzer binary for a bounded time as a meson test.
#   run-fuzzer.sh FUZZER WORKDIR SEEDS DICT SECONDS
# New inputs go to WORKDIR (in the build tree); SEEDS stays untouched.
# Exits 77 (skipped) when the fuzzer could not be built (no clang++).
set -eu
fuzzer="$1" work="$2" seeds="$3" dict="$4" seconds="$5"
if [ ! -x "$fuzzer" ]; then
  echo "skipped: $fuzzer was not built (clang++ with libFuzzer is missing)"
  exit 77
fi
mkdir -p "$work"
exec "$fuzzer" -error_exitcode=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -dict="$dict" "$work" "$seeds"
