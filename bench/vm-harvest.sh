#!/usr/bin/env bash
# vm-harvest.sh: guest instructions (user + kernel) of one dirty-page harvest of a large IOVA range at 4 KiB
# pages on the real kernel, through the library vs the raw ioctl it issues, counted exactly by the TCG plugin
# (bench/vm/insn_plugin.c, as bench/vm-insn.sh) while bench/bench_harvest runs in the VM: type1
# (VFIO_IOMMU_DIRTY_PAGES on the first NIC's container) and iommufd (IOMMU_HWPT_GET_DIRTY_BITMAP on
# IOMMUFD_TEST's mock IOMMU).
#
# Usage: bench/vm-harvest.sh [--build DIR] [--topology NAME[,NAME...]] [--runs N] [--gib N] [--chunk-mib M]
#                            [--windows W] [--only type1|hwpt] [--logs DIR]
#
#   --build      meson build dir with -Dbench=true (default: $VFIOIOMMU_BUILD, else build/)
#   --topology   as tests/vm/run-vm.sh (default intel)
#   --runs       VM boots (default 1)
#   --gib        the range (default 64): one buffer of --chunk-mib (default 256) mapped gib*1024/chunk times
#   --windows    windows per label and boot (default 5)
#   --only       one backend
#   --logs       keep each boot's log in DIR
#
# Output: per run, topology and label the min and median instructions per harvest and lib/raw of both
# (bench/vm/windows.awk), the bench's own "#" and "fact" lines (set-up times, the kernel's limits).
# Exit: 0, 1 when a run failed or could not be paired, 77 when no VM could run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${VFIOIOMMU_BUILD:-$repo/build}
topologies=intel
runs=1
logs=""
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--topology) topologies=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--gib|--chunk-mib|--windows|--only) args+=("$1" "$2"); shift 2 ;;
	--logs) logs=$2; shift 2 ;;
	*) echo "vm-harvest.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
plugin=$build/bench/vm/insn_plugin.so
bench=$build/bench/bench_harvest
for f in "$plugin" "$bench"; do
	[ -f "$f" ] || { echo "vm-harvest.sh: $f missing (meson setup $build -Dbench=true)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm-harvest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# run-vm.sh runs programs without arguments: a guest script passes them on (bench_harvest goes in with --with)
printf '#!/bin/sh\nexec %s %s\n' "$(readlink -f "$bench")" "${args[*]:-}" > "$tmp/bench_harvest.sh"
chmod +x "$tmp/bench_harvest.sh"
[ -n "$logs" ] && mkdir -p "$logs"
fail=0
for r in $(seq 1 "$runs"); do
	log=$tmp/run$r.log
	start=$(date +%s)
	"$repo/tests/vm/run-vm.sh" --plugin "$plugin" --topology "$topologies" --timeout 1200 --with "$bench" \
		"$tmp/bench_harvest.sh" > "$log" 2>&1
	rc=$?
	[ -n "$logs" ] && cp "$log" "$logs/run$r.log"
	[ "$rc" = 77 ] && { grep '^VM suite NOT RUN' "$log"; exit 77; }
	echo "=== run $r/$runs ($(( $(date +%s) - start )) s wall): bench_harvest ${args[*]:-}"
	grep -hE '^(# harvest|fact - harvest|(not )?ok - harvest)' "$log" | sed 's/^/  /'
	[ "$rc" = 0 ] || { echo "  run-vm.sh failed (rc=$rc)"; grep -E '^VMTEST (FAIL|NOTE)|^bench_harvest:' "$log"; fail=1; }
	awk -v prefix=bench_harvest. -v unit="per harvest" -f "$here/vm/windows.awk" "$log" | sort -s -k1,2 | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || fail=1
done
exit "$fail"
