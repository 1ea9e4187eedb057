#!/usr/bin/env bash
# Everything CI checks, in one command (also what .ci/run runs):
#   1. the Debian packages (scripts/install-deps.sh),
#   2. the Release build and the whole Qt Test suite      (cmake --workflow --preset ci),
#   3. the whole suite again under AddressSanitizer+UBSan  (cmake --workflow --preset asan),
#   4. the libFuzzer targets, each fuzzed for a bounded time (cmake --workflow --preset fuzz).
# Every stage runs even if an earlier one failed; the exit status is non-zero if any failed,
# and the summary at the end names it.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || exit 1

failed=()
summary=()
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "==== $name: $*"
  if "$@"; then
    summary+=("ok      $name ($((SECONDS - start)) s)")
  else
    summary+=("FAILED  $name ($((SECONDS - start)) s)")
    failed+=("$name")
  fi
}

stage "release build + tests" cmake --workflow --preset ci
stage "ASan + UBSan tests" cmake --workflow --preset asan
stage "fuzzing" cmake --workflow --preset fuzz

echo "==== summary"
printf '%s\n' "${summary[@]}"
[ "${#failed[@]}" -eq 0 ]
