#!/usr/bin/env bash
# Build every libFuzzer target (clang, meson -Dfuzz=true, in its own build dir) and run each
# fuzz/fuzz_*.c in turn, one at a time, for a bounded time on a temporary copy of its seed corpus
# (the source tree is never written).  Prints executions and exit status per target; exits
# non-zero when any target crashed, failed to build or did not run.  See docs/fuzzing.md.
#
#   fuzz/run-smoke.sh                      # 60 s per target
#   FUZZ_SECONDS=10 fuzz/run-smoke.sh      # shorter
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_RUNS       stop each target after this many executions instead (0: use FUZZ_SECONDS)
#   FUZZ_BUILD_DIR  build directory (default: <repo>/build-fuzz)
#   FUZZ_OUT        where logs and crash artifacts go (default: <build dir>/fuzz-out)
#   FUZZ_CORPUS_DIR keep the grown corpus per target under this directory and start from it
#                   next time (default: a temporary directory, deleted afterwards)
#   FUZZ_TARGETS    space-separated subset of target names (default: every fuzz/fuzz_*.c)
#   FUZZ_ARGS       extra libFuzzer flags
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:-0}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
out=${FUZZ_OUT:-$build/fuzz-out}
keep=${FUZZ_CORPUS_DIR:-}

if [ -n "${FUZZ_TARGETS:-}" ]; then
	targets=$FUZZ_TARGETS
else
	targets=$(cd "$root/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi
[ -n "$targets" ] || { echo "no fuzz targets in $root/fuzz" >&2; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
	CC=${CC_FUZZ:-clang} meson setup "$build" "$root" -Dfuzz=true -Dtests=false -Dtools=false \
		-Dexamples=false -Dvm_tests=false >"$build.setup.log" 2>&1 ||
		{ cat "$build.setup.log" >&2; echo "fuzz: meson setup failed" >&2; exit 1; }
	rm -f "$build.setup.log"
fi
# One target at a time: a target missing from fuzz/meson.build must not stop the others building.
build_failed=""
: >"$build/fuzz-build.log"
for t in $targets; do
	meson compile -C "$build" "fuzz/$t" >>"$build/fuzz-build.log" 2>&1 || build_failed="$build_failed $t"
done

mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfioiommu-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failed=0
total_execs=0
printf '%-12s %12s %8s %6s  %s\n' target executions seconds exit result
for t in $targets; do
	exe=$build/fuzz/$t
	seeds=$root/fuzz/corpus/${t#fuzz_}
	if [ ! -x "$exe" ] || [[ " $build_failed " == *" $t "* ]]; then
		printf '%-12s %12s %8s %6s  %s\n' "$t" - - - "NOT BUILT (fuzz/meson.build? see $build/fuzz-build.log)"
		failed=1
		continue
	fi
	if [ -n "$keep" ]; then
		corpus=$keep/$t
	else
		corpus=$tmp/$t
	fi
	mkdir -p "$corpus" "$out/$t"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null
	if [ "$runs" -gt 0 ]; then
		limit=(-runs="$runs")
	else
		limit=(-max_total_time="$seconds")
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$exe" "${limit[@]}" -print_final_stats=1 -timeout=30 -rss_limit_mb=2560 \
		-artifact_prefix="$out/$t/" ${FUZZ_ARGS:-} "$corpus" >"$out/$t/log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t/log" | tail -1)
	execs=${execs:-0}
	total_execs=$((total_execs + execs))
	if [ $rc -eq 0 ] && [ "$execs" -gt 0 ]; then
		result="ok ($(ls "$corpus" | wc -l) corpus files)"
	else
		result="FAILED: $(grep -m1 -E '^==[0-9]+==ERROR|SUMMARY|deadly signal|ERROR:' "$out/$t/log" || echo 'see log')"
		result="$result; log $out/$t/log; artifacts $out/$t/"
		failed=1
	fi
	printf '%-12s %12s %8s %6s  %s\n' "$t" "$execs" "$secs" "$rc" "$result"
done
echo "fuzz: $total_execs executions in total; $([ $failed -eq 0 ] && echo 'no crash' || echo 'FAILURES above')"
exit $failed
