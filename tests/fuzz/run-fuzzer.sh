#!/bin/sh
# Runs a libFuzzer binary for a bounded time as a meson test.
#   run-fuzzer.sh FUZZER WORKDIR SEEDS DICT SECONDS
# New inputs go to WORKDIR (in the build tree); SEEDS stays untouched, and
# so does the campaign's minimised corpus next to it (corpus-NAME, see
# tests/fuzz/campaign), which the run starts from when it exists.
# Exits 77 (skipped) when the fuzzer could not be built (no clang++).
set -eu
fuzzer="$1" work="$2" seeds="$3" dict="$4" seconds="$5"
if [ ! -x "$fuzzer" ]; then
  echo "skipped: $fuzzer was not built (clang++ with libFuzzer is missing)"
  exit 77
fi
mkdir -p "$work"
corpus="$(dirname "$seeds")/corpus-$(basename "$fuzzer" | sed 's/^fuzz-//')"
[ -d "$corpus" ] || corpus=""
exec "$fuzzer" -error_exitcode=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -dict="$dict" "$work" "$seeds" $corpus
