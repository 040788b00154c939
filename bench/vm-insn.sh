#!/usr/bin/env bash
# vm-insn.sh: guest instructions per map+unmap on the real kernel, raw ioctls vs the library, counted exactly
# by a QEMU TCG plugin (bench/vm/insn_plugin.c) while bench_dma runs in the VM of tests/vm/run-vm.sh.
#
# Usage: bench/vm-insn.sh [--build DIR] [--runs N] [--topology NAME[,NAME...]] [--no-check] [--logs DIR]
#
#   --build     meson build dir configured with -Dbench=true (default: $VFIOIOMMU_BUILD, else build/
#               in the repo). Needs bench/bench_dma, bench/vm/insn_plugin.so and bench/vm/insn_selfcheck.
#   --runs      VM boots per topology (default 3); each boot takes ~10-60 s of one core.
#   --topology  intel (default), amd, or both (as run-vm.sh). Each run boots one VM per topology.
#   --no-check  do not load the plugin's second, per-instruction counter (see below).
#   --logs      keep each run's full output (console + plugin lines) in DIR (default: a temporary
#               directory, removed at the end unless a run failed).
#
# In each VM, first insn_selfcheck then bench_dma run in the guest. Every window (START..STOP marker of
# bench/insn_marker.h) is announced by the guest with a line "@@INSN-WINDOW <label> iters=N [check=..]
# [rc=..]" and counted by the plugin ("vfioiommu-insn window K: COUNT [exact COUNT]"); the K-th line of one
# is paired with the K-th line of the other.
#
# Self-check (every run, every topology; a failure fails the script):
#   empty    START then STOP, nothing between                          exactly 0
#   jmp      one jmp between (the markers land in different TBs)       exactly 1
#   nop1000  1000 straight-line NOPs (several TBs)                      exactly 1000
#   loop1000 mov + 1000 x (nop, dec, jnz)                               exactly 3001
#   each repeated 5 times; the smallest count must be exact (an interrupt inside a window only adds, so
#   the other repetitions may be higher; how many were exact is shown);
#   getppid  one syscall: the kernel's instructions are counted         at least 50
#   bigloop  10^7 + 1 instructions, long enough for timer interrupts: the excess is the interrupt noise
#            that every window carries (it scales with emulated time; it is shown, not checked);
#   plus the plugin's own summary: one translating thread (TCG thread=single, so the plain counter cannot
#   race), no STOP without START, no dropped window; and, with the check counter, the per-TB count equals
#   the per-instruction count to within the TB-granularity error (reported, not checked).
#
# Output: per run and topology the self-check line and instructions per map+unmap for raw and library and
# their ratio, for type1v2 (container) and iommufd; then the mean/min/max over the runs.
# Exit status: 0 when every run parsed and every self-check passed, 1 otherwise, 77 when run-vm.sh could
# not run a VM at all (no kernel/qemu/busybox).
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${VFIOIOMMU_BUILD:-$repo/build}
runs=3
topologies=intel
check=1
logs=""

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--build=*) build=${1#*=}; shift ;;
	--runs) runs=$2; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--topology) topologies=$2; shift 2 ;;
	--topology=*) topologies=${1#*=}; shift ;;
	--no-check) check=0; shift ;;
	--logs) logs=$2; shift 2 ;;
	--logs=*) logs=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "vm-insn.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done
case "$runs" in ''|*[!0-9]*|0) echo "vm-insn.sh: bad --runs $runs" >&2; exit 2 ;; esac

plugin=$build/bench/vm/insn_plugin.so
selfcheck=$build/bench/vm/insn_selfcheck
bench=$build/bench/bench_dma
for f in "$plugin" "$selfcheck" "$bench"; do
	[ -f "$f" ] || { echo "vm-insn.sh: $f missing (meson setup $build -Dbench=true; meson compile -C $build)" >&2; exit 2; }
done

keep_logs=1
if [ -z "$logs" ]; then
	logs=$(mktemp -d "${TMPDIR:-/tmp}/vm-insn.XXXXXX") || exit 1
	keep_logs=0
fi
mkdir -p "$logs" || exit 1

plugin_arg=$plugin
[ "$check" = 1 ] && plugin_arg="$plugin,check=on"

# Parse one run-vm.sh output: for every topology, check the self-check and print
#   SELFCHECK <topo> PASS|FAIL <details>
#   RESULT <topo> <variant> <iters> <count> <exact count or -> 
parse() {
	awk '
	function flush(   k, lbl, n, ok, msg, sep, e, want, kind, got, ex, minv, nex, i) {
		if (topo == "") return
		ok = 1; msg = ""
		if (nd != nw) { ok = 0; msg = msg sprintf(" windows: guest announced %d, plugin counted %d;", nd, nw) }
		if (summary == "") { ok = 0; msg = msg " no plugin summary (plugin not loaded, or qemu killed);" }
		else {
			if (summary !~ / threads=1 /) { ok = 0; msg = msg " more than one TCG thread (" summary ");" }
			if (summary !~ / errors=0 / || summary !~ / dropped=0 / || summary !~ / open=0 /) { ok = 0; msg = msg " marker errors (" summary ");" }
		}
		delete minv; delete nex; delete nrep; delete want; delete kindof
		maxdiff = 0
		for (k = 0; k < nd && k < nw; k++) {
			lbl = dlabel[k]; got = wcount[k]; ex = wexact[k]
			if (ex != "-" && got - ex > maxdiff) maxdiff = got - ex
			if (ex != "-" && ex - got > maxdiff) maxdiff = ex - got
			if (lbl ~ /^bench_dma\./) {
				if (drc[k] != "0") { ok = 0; msg = msg sprintf(" %s rc=%s;", lbl, drc[k]) }
				printf "RESULT %s %s %s %s %s\n", topo, substr(lbl, 11), diters[k], got, ex
				continue
			}
			split(dcheck[k], e, ":"); kind = e[1]
			kindof[lbl] = kind; want[lbl] = e[2]
			if (!(lbl in minv) || got < minv[lbl]) minv[lbl] = got
			nrep[lbl]++
			if (got == e[2]) nex[lbl]++
			if (kind == "noise") noise[lbl] = got - e[2]
		}
		for (k = 0; k < nd; k++) {
			lbl = dlabel[k]
			if (!(lbl in kindof) || (lbl in done)) continue
			done[lbl] = 1
			kind = kindof[lbl]; n = substr(lbl, 11)
			if (kind == "exact") {
				msg = msg sprintf(" %s=%d(%d/%d exact)", n, minv[lbl], nex[lbl] + 0, nrep[lbl])
				if (minv[lbl] != want[lbl]) { ok = 0; msg = msg sprintf("!=%d", want[lbl]) }
			} else if (kind == "atleast") {
				msg = msg sprintf(" %s=%d(>=%d)", n, minv[lbl], want[lbl])
				if (minv[lbl] < want[lbl]) ok = 0
			} else if (kind == "noise") {
				msg = msg sprintf(" %s: +%d over %d (%.3f%% interrupt noise)", n, noise[lbl], want[lbl], 100 * noise[lbl] / want[lbl])
			}
		}
		if (!("selfcheck.empty" in done)) { ok = 0; msg = msg " self-check windows missing;" }
		if (wexact[0] != "-") msg = msg sprintf("; per-TB vs per-insn counter: max |diff| %d per window", maxdiff)
		printf "SELFCHECK %s %s%s\n", topo, ok ? "PASS" : "FAIL", msg
		delete done
	}
	/^=== VM topology=/ {
		flush(); topo = $3; sub(/^topology=/, "", topo)
		nd = 0; nw = 0; summary = ""; section = "console"; next
	}
	/^=== plugin output topology=/ { section = "plugin"; next }
	/^=== / { section = ""; next }
	section == "console" && /^@@INSN-WINDOW / {
		dlabel[nd] = $2; diters[nd] = ""; dcheck[nd] = ""; drc[nd] = "0"
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^iters=/) diters[nd] = substr($i, 7)
			else if ($i ~ /^check=/) dcheck[nd] = substr($i, 7)
			else if ($i ~ /^rc=/) drc[nd] = substr($i, 4)
		}
		nd++; next
	}
	section == "plugin" && /^vfioiommu-insn window / {
		wcount[nw] = $4; wexact[nw] = ($5 == "exact") ? $6 : "-"
		nw++; next
	}
	section == "plugin" && /^vfioiommu-insn summary:/ { summary = $0 " "; next }
	END { flush() }
	' "$1"
}

fail=0
results=$logs/results.txt
: > "$results"
for r in $(seq 1 "$runs"); do
	log=$logs/run$r.log
	echo "=== run $r/$runs: tests/vm/run-vm.sh --plugin $plugin_arg --topology $topologies insn_selfcheck bench_dma"
	"$repo/tests/vm/run-vm.sh" --plugin "$plugin_arg" --topology "$topologies" "$selfcheck" "$bench" > "$log" 2>&1
	rc=$?
	if [ "$rc" = 77 ]; then
		grep '^VM suite NOT RUN' "$log"
		exit 77
	fi
	[ "$rc" = 0 ] || { echo "run $r: run-vm.sh failed (rc=$rc), see $log"; grep -E '^VMTEST (FAIL|NOTE)' "$log"; fail=1; keep_logs=1; }
	parsed=$(parse "$log")
	grep -q '^SELFCHECK' <<<"$parsed" || { echo "run $r: no VM output to parse, see $log"; fail=1; keep_logs=1; continue; }
	while read -r tag topo rest; do
		case "$tag" in
		SELFCHECK)
			echo "  $topo self-check $rest"
			case "$rest" in PASS*) ;; *) fail=1; keep_logs=1 ;; esac ;;
		RESULT) echo "$r $topo $rest" >> "$results" ;;
		esac
	done <<<"$parsed"
	# per run: instructions per map+unmap (count / iterations) and the ratio
	awk -v run="$r" '
	$1 == run { per[$2 " " $3] = $5 / $4; topo[$2] = 1 }
	END {
		for (t in topo) for (b = 0; b < 2; b++) {
			be = b ? "iommufd" : "type1"; raw = per[t " raw-" be]; lib = per[t " lib-" be]
			if (raw == "" || lib == "") { printf "  %s %-8s missing windows\n", t, b ? "iommufd" : "type1v2"; continue }
			printf "  %s %-8s raw ioctls %9.1f   library %9.1f   lib/raw %.4f   (instructions per map+unmap)\n", t, b ? "iommufd" : "type1v2", raw, lib, lib / raw
		}
	}' "$results" | sort
done

echo "=== over $runs run(s): instructions per map+unmap on the real kernel (guest user + kernel, all vCPUs)"
echo "    mean [min..max]; interrupts inside a window only add (see each run's bigloop noise), so min is closest"
echo "    to the interrupt-free cost, and min(lib)/min(raw) estimates the interrupt-free ratio"
awk '
{ k = $2 " " $3; v = $5 / $4; n[k]++; s[k] += v; if (!(k in mn) || v < mn[k]) mn[k] = v; if (!(k in mx) || v > mx[k]) mx[k] = v
  per[$1 " " k] = v; topo[$2] = 1; run[$1] = 1 }
END {
	for (t in topo) for (b = 0; b < 2; b++) {
		be = b ? "iommufd" : "type1"; rk = t " raw-" be; lk = t " lib-" be
		if (!n[rk] || !n[lk]) continue
		rn = 0; rs = 0; rmin = ""; rmax = ""
		for (r in run) if ((r " " rk) in per && (r " " lk) in per) {
			q = per[r " " lk] / per[r " " rk]; rn++; rs += q
			if (rmin == "" || q < rmin) rmin = q; if (rmax == "" || q > rmax) rmax = q
		}
		printf "  %s %-8s raw %9.1f [%.1f..%.1f]   lib %9.1f [%.1f..%.1f]   lib/raw %.4f [%.4f..%.4f]  min/min %.4f  (n=%d)\n",
			t, b ? "iommufd" : "type1v2", s[rk] / n[rk], mn[rk], mx[rk], s[lk] / n[lk], mn[lk], mx[lk], rs / rn, rmin, rmax,
			mn[lk] / mn[rk], rn
	}
}' "$results" | sort

if [ "$keep_logs" = 1 ]; then echo "logs: $logs"; else rm -rf "$logs"; fi
[ "$fail" = 0 ] && echo "vm-insn: OK" || echo "vm-insn: FAILED"
exit "$fail"
