#!/usr/bin/env bash
# vm-superpage.sh: guest instructions per map+unmap of a huge-page buffer on the real kernel, at an IOVA
# congruent to the buffer (the library's default) vs one 4 KiB off, counted exactly by the TCG plugin
# (bench/vm/insn_plugin.c, as bench/vm-insn.sh) while bench/bench_superpage runs in the VM.
#
# Usage: bench/vm-superpage.sh [--build DIR] [--topology NAME[,NAME...]] [--runs N] [--gib]
#
#   --build     meson build dir with -Dbench=true (default: $VFIOIOMMU_BUILD, else build/)
#   --topology  as tests/vm/run-vm.sh (default intel)
#   --runs      VM boots (default 1)
#   --gib       also the 1 GiB case: boots with 3 GiB of guest memory and one 1 GiB hugetlb page
#               (hugepagesz=1G hugepages=1); without it the guest has the harness's 1 GiB, too little.
#
# Output: per topology, backend and size: instructions per map+unmap aligned and misaligned, and the ratio.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${VFIOIOMMU_BUILD:-$repo/build}
topologies=intel
runs=1
gib=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--topology) topologies=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--gib) gib=1; shift ;;
	*) echo "vm-superpage.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
plugin=$build/bench/vm/insn_plugin.so
bench=$build/bench/bench_superpage
for f in "$plugin" "$bench"; do
	[ -f "$f" ] || { echo "vm-superpage.sh: $f missing (meson setup $build -Dbench=true)" >&2; exit 2; }
done
append=()
if [ "$gib" = 1 ]; then
	export VFIOIOMMU_VM_MEM=3G
	append=(--append "hugepagesz=1G hugepages=1")
fi
fail=0
for r in $(seq 1 "$runs"); do
	log=$(mktemp "${TMPDIR:-/tmp}/vm-superpage.XXXXXX")
	"$repo/tests/vm/run-vm.sh" --plugin "$plugin" --topology "$topologies" ${append[@]+"${append[@]}"} "$bench" \
		> "$log" 2>&1
	rc=$?
	[ "$rc" = 77 ] && { grep '^VM suite NOT RUN' "$log"; rm -f "$log"; exit 77; }
	[ "$rc" = 0 ] || { echo "run $r: run-vm.sh failed (rc=$rc), log kept: $log"; fail=1; }
	grep -h '^bench_superpage: no ' "$log" | sort -u
	awk -v run="$r" '
	/^=== VM topology=/ { topo = $3; sub(/^topology=/, "", topo); nd = 0; nw = 0; section = "console"; next }
	/^=== plugin output topology=/ { section = "plugin"; next }
	/^=== / { if (section == "plugin") emit(); section = ""; next }
	section == "console" && /^@@INSN-WINDOW bench_superpage\./ {
		lbl[nd] = substr($2, 17); it[nd] = substr($3, 7); rcs[nd] = substr($4, 4); buf[nd] = substr($5, 8); nd++; next
	}
	section == "plugin" && /^vfioiommu-insn window / { cnt[nw++] = $4; next }
	function emit(   k, key, n) {
		if (nd != nw) printf "run %s %s: %d windows announced, %d counted\n", run, topo, nd, nw
		for (k = 0; k < nd && k < nw; k++) {
			if (rcs[k] != "0") { printf "run %s %s %s: rc=%s\n", run, topo, lbl[k], rcs[k]; continue }
			per[lbl[k]] = cnt[k] / it[k]; bufof[lbl[k]] = buf[k]
		}
		for (key in per) {
			if (key !~ /\.aligned$/) continue
			n = key; sub(/\.aligned$/, "", n)
			if (!((n ".misaligned") in per)) continue
			printf "run %s %-6s %-16s (%s) aligned %12.0f   misaligned %12.0f   misaligned/aligned %.2f\n", run, topo, n,
				bufof[key], per[key], per[n ".misaligned"], per[n ".misaligned"] / per[key]
		}
		delete per; delete bufof; nd = 0; nw = 0
	}
	END { if (section == "plugin") emit() }
	' "$log" | sort
	[ "$fail" = 0 ] && rm -f "$log"
done
exit "$fail"
