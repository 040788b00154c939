#!/usr/bin/env bash
# The long fuzz run documented in docs/fuzzing.md: every fuzz/fuzz_*.c, one after the other (one
# CPU), until each has executed FUZZ_RUNS inputs (default 10 million).  The grown corpus of each
# target is kept under FUZZ_CORPUS_DIR, so a second run continues from where the first stopped.
#
#   fuzz/run-long.sh                                   # ~1 h on one core of a 2020s x86
#   FUZZ_TARGETS=fuzz_caps FUZZ_RUNS=50000000 fuzz/run-long.sh
#
# Same environment as run-smoke.sh, plus:
#   FUZZ_RUNS        executions per target (default 10000000)
#   FUZZ_CORPUS_DIR  kept corpora (default: <build dir>/fuzz-corpus); new findings are
#                    worth minimising (-merge=1) and copying into fuzz/corpus/<name>/ by hand
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
export FUZZ_BUILD_DIR=$build
export FUZZ_RUNS=${FUZZ_RUNS:-10000000}
export FUZZ_CORPUS_DIR=${FUZZ_CORPUS_DIR:-$build/fuzz-corpus}
export FUZZ_OUT=${FUZZ_OUT:-$build/fuzz-long-out}
exec "$root/fuzz/run-smoke.sh"
