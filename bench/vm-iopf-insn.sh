#!/usr/bin/env bash
# vm-iopf-insn.sh: guest instructions per IO page fault round trip on the real kernel (IOMMUFD_TEST), the
# library (pump -> ring -> consumer -> response) against a raw read()/write() loop on the same fault fd,
# at batch 1 and 16, counted exactly by the TCG plugin of bench/vm-insn.sh while bench/bench_iopf runs in
# the VM of tests/vm/run-vm.sh.
#
# Usage: bench/vm-iopf-insn.sh [--build DIR] [--topology NAME]
#   --build     a build configured with -Dbench=true (default build/); needs bench/bench_iopf and
#               bench/vm/insn_plugin.so
#   --topology  intel (default) or amd
# Output: per label the minimum and median instructions per fault over the windows (an interrupt inside
# a window only adds, so the minimum is the interrupt-free cost), and lib/raw of both.
# The plugin itself is checked by bench/vm-insn.sh (its self-check windows); bench/vm/windows.awk pairs the
# guest's "@@INSN-WINDOW" lines with the plugin's counts, in order.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=$repo/build
topo=intel
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--topology) topo=$2; shift 2 ;;
	*) echo "vm-iopf-insn.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
plugin=$build/bench/vm/insn_plugin.so
bench=$build/bench/bench_iopf
for f in "$plugin" "$bench"; do
	[ -f "$f" ] || { echo "vm-iopf-insn.sh: $f missing (meson setup $build -Dbench=true)" >&2; exit 2; }
done
log=$(mktemp "${TMPDIR:-/tmp}/vm-iopf.XXXXXX")
"$repo/tests/vm/run-vm.sh" --plugin "$plugin" --topology "$topo" "$bench" > "$log" 2>&1
rc=$?
[ "$rc" = 77 ] && { grep '^VM suite NOT RUN' "$log"; rm -f "$log"; exit 77; }
[ "$rc" = 0 ] || echo "run-vm.sh rc $rc"
# the shared pairing of guest windows and plugin counts (also bench/vm-harvest.sh's)
awk -v prefix=bench_iopf. -v unit="per fault" -f "$here/vm/windows.awk" "$log"
st=$?
[ "$st" = 0 ] && rm -f "$log" || echo "log: $log"
exit "$st"
