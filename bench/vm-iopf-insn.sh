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
# The plugin itself is checked by bench/vm-insn.sh (its self-check windows); this script only pairs the
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
awk -v rc="$rc" '
BEGIN { nd = 0; nw = 0 }
{ sub(/\r$/, "") }
/^=== plugin output/ { section = "plugin"; next }
/^=== / { section = ""; }
/^@@INSN-WINDOW bench_iopf\./ { lbl[nd] = substr($2, 12); for (i = 3; i <= NF; i++) { if ($i ~ /^iters=/) it[nd] = substr($i, 7); if ($i ~ /^rc=/) r[nd] = substr($i, 4) } nd++; next }
section == "plugin" && /^vfioiommu-insn window / { cnt[nw++] = $4; next }
END {
	if (nd == 0 || nd != nw) { printf "windows: guest %d, plugin %d: cannot pair (run-vm rc %s)\n", nd, nw, rc; exit 1 }
	bad = 0
	for (k = 0; k < nd; k++) {
		if (r[k] != "0") bad++
		l = lbl[k]; v = cnt[k] / it[k]; n[l]++; vals[l, n[l]] = v
	}
	if (bad) { printf "%d windows reported a failed round trip\n", bad; exit 1 }
	for (l in n) {
		m = n[l]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (vals[l, j] < vals[l, i]) { t = vals[l, i]; vals[l, i] = vals[l, j]; vals[l, j] = t }
		mn[l] = vals[l, 1]; md[l] = vals[l, int((m + 1) / 2)]
		printf "%-8s min %9.1f  median %9.1f  instructions per fault (%d windows)\n", l, mn[l], md[l], m
	}
	for (b = 1; b <= 16; b *= 16) {
		lb = "lib-b" b; rb = "raw-b" b
		if ((lb in mn) && (rb in mn))
			printf "batch %-3d lib/raw  min %.4f  median %.4f\n", b, mn[lb] / mn[rb], md[lb] / md[rb]
	}
}' "$log"
st=$?
[ "$st" = 0 ] && rm -f "$log" || echo "log: $log"
exit "$st"
