#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time (CTest's fuzz tests call this).
# usage: run-fuzzer.sh <fuzzer> <seed corpus dir> <seconds> <artifact dir> [libFuzzer flags...]
# The seed corpus is only read: new inputs go to a temporary folder removed afterwards.
# Exit status: 0 if nothing was found, non-zero (and the input in <artifact dir>) otherwise.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3 artifacts=$4
shift 4
work=$(mktemp -d "${TMPDIR:-/tmp}/lookalike-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
name=$(basename "$fuzzer")
# -timeout: one input taking this long is a hang; -rss_limit_mb: and this much memory a leak
# or an unbounded allocation. -print_final_stats shows how much was covered.
"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" "$@" "$work" "$seeds"
