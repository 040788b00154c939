#!/usr/bin/env bash
# run-vm.sh: run test binaries inside a QEMU (TCG) guest on the real kernel (Linux 7.2 with VFIO + iommufd).
#
# Usage: tests/vm/run-vm.sh [--kernel PATH] [--topology NAME[,NAME...]] [--timeout SEC]
#                           [--test-timeout SEC] [--bind VEN:DEV[,...]] [--append ARGS] [--edu] [--keep]
#                           [--plugin FILE[,ARG=VAL...]] [--with FILE]... [--sriov] BIN...
#
#   --kernel    bzImage to boot. Default: $VFIOIOMMU_VM_KERNEL, else ../shared/vm/bzImage relative to the
#               repo root (computed from this script's location). $VFIOIOMMU_VM_KERNEL wins over --kernel.
#   --topology  intel (default), amd, virtio, virtio-strict, or a comma-separated list / "all"
#               (= intel,amd,virtio).
#               Each topology boots its own VM and runs every BIN in it. All use q35, TCG (thread=single:
#               multi-threaded TCG crashed the guest once in ~12 boots with an int3 oops during text
#               patching) and three e1000e NICs (8086:10d3), each in its own group.
#               intel: intel-iommu,intremap=on,caching-mode=on. amd: amd-iommu (itself PCI 00:02.0, no group).
#               virtio: virtio-iommu-pci (never unbound). It gives no MSI isolation, so VFIO refuses it
#               (EPERM) unless the kernel has "vfio_iommu_type1.allow_unsafe_interrupts=1
#               iommufd.allow_unsafe_interrupts=1": this topology always boots with them (added before
#               --append). virtio-strict: the same machine booted WITHOUT them (the guest sees
#               VFIOIOMMU_VM_TOPOLOGY=virtio-strict), for the programs that check the refusal.
#   --timeout   wall-clock limit per VM boot in seconds (default 300).
#   --test-timeout  the guest kills a single binary (SIGKILL) after this many seconds, so one hung binary
#               does not stop the others (default: 2/3 of --timeout).
#   --bind      vendor:device ids to bind to vfio-pci in the guest (default 8086:10d3, the e1000e NICs).
#   (env)       VFIOIOMMU_VM_MEM: guest memory, QEMU -m syntax (default 1G; bench/vm-superpage.sh --gib uses 3G).
#   --append    extra kernel command-line arguments (e.g. "iommufd.allow_unsafe_interrupts=1"), after the
#               topology's own (virtio's two allow_unsafe_interrupts parameters).
#   --edu       also give every VM QEMU's edu device (1234:11e8, a DMA engine), last on the command
#               line; the guest binds it to vfio-pci after everything else (so the NICs and the ICH9
#               LPC function keep their cdev numbers) and passes its BDF as VFIOIOMMU_VM_EDU, never in
#               VFIOIOMMU_VM_BDFS. It takes a PCI slot and an IOMMU group of its own before the ICH9
#               LPC group, whose group number therefore moves up by one: the conformance table
#               (vm_conform) expects the machine without it.
#   --keep      keep the temporary directory (initramfs, console log) and print its path.
#   --sriov     also give every topology an SR-IOV NVMe controller (QEMU's nvme with sriov_max_vfs=2 in an
#               nvme-subsys; PF 1b36:0010, bound to vfio-pci too) and boot with vfio_pci.enable_sriov=1, so a
#               program can set a VF token and create VFs through sriov_numvfs. The NICs stay as they are.
#   --with      also copy FILE (and its libraries) into the guest at its absolute path, without running it:
#               a program a BIN starts (examples/launcher runs examples/unprivileged_vmm beside it).
#   --plugin    load a QEMU TCG plugin into every VM: adds -plugin file=FILE[,ARG=VAL...] -d plugin
#               -D <log>, and prints the log after the VM's console, under "=== plugin output topology=T".
#               Used by bench/vm-insn.sh (bench/vm/insn_plugin.so, the guest-instruction counter).
#
# Each BIN is copied into the initramfs at its own absolute path (reachable as /tests/<basename>), together
# with every shared library ldd reports (at the same absolute paths) and the dynamic loader, so meson-built
# (dynamically linked) test programs work unchanged. In the guest, /init (guest-init.sh) binds the chosen devices to vfio-pci, waits
# for /dev/vfio/<group> and /dev/vfio/devices/vfioN (on intel it then also unbinds the ICH9 AHCI function and
# puts the SMBus one on vfio-pci, so the LPC group with its direct-relaxable region is usable through VFIO;
# those two are not in VFIOIOMMU_VM_BDFS), then runs each binary with
#   VFIOIOMMU_VM_BDFS      space-separated BDFs bound to vfio-pci
#   VFIOIOMMU_VM_TOPOLOGY  the topology name
#   VFIOIOMMU_VM_EDU       the edu device's BDF, on vfio-pci (only with --edu; empty if binding failed)
# and prints "@@VMTEST-RESULT <name> rc=<code>" after each one, then powers off.
#
# Counting (the closing "N passed, N failed" line): ONE TEST = ONE BINARY IN ONE TOPOLOGY.
#   pass  = the binary's result marker is present with rc=0
#   skip  = rc=77 (the binary decided it cannot run here); counted in neither column, reported on a
#           separate "N skipped" line before the summary
#   fail  = any other rc (a binary killed by the guest's per-binary timeout shows rc=137), or the marker
#           is missing (kernel crash, guest hang, VM timeout).
#   In addition, a VM that never reached poweroff (no "@@VMTEST-DONE", or qemu killed by the timeout or
#   exiting non-zero) counts as ONE extra failed test for that topology.
# Any line a binary prints is echoed as is (TAP-ish "ok"/"not ok" lines are not counted separately).
#
# Exit status: 0 if nothing failed and at least one binary passed or skipped; 1 if anything failed;
# 77 (meson's skip code) with a line "VM suite NOT RUN: <reason>" when the kernel, qemu, busybox or cpio
# is missing. Never reports success for a suite that did not run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
kernel_opt=""
topologies="intel"
timeout_s=300
test_timeout=""
bind_ids="8086:10d3"
keep=0
extra_append=""
plugin=""
edu=0
bins=()
withs=()
sriov=0

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel_opt=$2; shift 2 ;;
	--kernel=*) kernel_opt=${1#*=}; shift ;;
	--topology) topologies=$2; shift 2 ;;
	--topology=*) topologies=${1#*=}; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--test-timeout=*) test_timeout=${1#*=}; shift ;;
	--bind) bind_ids=$2; shift 2 ;;
	--bind=*) bind_ids=${1#*=}; shift ;;
	--append) extra_append=$2; shift 2 ;;
	--append=*) extra_append=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	--edu) edu=1; shift ;;
	--sriov) sriov=1; shift ;;
	--with) withs+=("$2"); shift 2 ;;
	--with=*) withs+=("${1#*=}"); shift ;;
	--plugin) plugin=$2; shift 2 ;;
	--plugin=*) plugin=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; bins+=("$@"); break ;;
	-*) echo "run-vm.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) bins+=("$1"); shift ;;
	esac
done

# CI sets VFIOIOMMU_VM_REQUIRED=1: there, a suite that cannot run is a failure, not a skip.
not_run() {
	echo "VM suite NOT RUN: $*"
	if [ "${VFIOIOMMU_VM_REQUIRED:-0}" = 1 ]; then
		echo "0 passed, 1 failed"
		exit 1
	fi
	exit 77
}

[ ${#bins[@]} -gt 0 ] || { echo "run-vm.sh: no test binary given" >&2; usage >&2; exit 2; }
case "$timeout_s" in ''|*[!0-9]*) echo "run-vm.sh: bad --timeout $timeout_s" >&2; exit 2 ;; esac
[ -n "$test_timeout" ] || test_timeout=$(( timeout_s * 2 / 3 ))
case "$test_timeout" in ''|*[!0-9]*) echo "run-vm.sh: bad --test-timeout $test_timeout" >&2; exit 2 ;; esac
[ "$topologies" = all ] && topologies="intel,amd,virtio"

if [ -n "${VFIOIOMMU_VM_KERNEL:-}" ]; then kernel=$VFIOIOMMU_VM_KERNEL
elif [ -n "$kernel_opt" ]; then kernel=$kernel_opt
else kernel="$here/../../../shared/vm/bzImage"
fi
[ -r "$kernel" ] || not_run "no kernel at $kernel (set VFIOIOMMU_VM_KERNEL or --kernel)"
qemu=$(command -v qemu-system-x86_64) || not_run "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
busybox=""
for b in /bin/busybox /usr/bin/busybox; do
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then busybox=$b; break; fi  # static only
done
[ -n "$busybox" ] || not_run "no statically linked busybox (apt-get install busybox-static)"
command -v cpio >/dev/null || not_run "cpio not found"
command -v gzip >/dev/null || not_run "gzip not found"
for b in "${bins[@]}"; do
	[ -f "$b" ] && [ -x "$b" ] || { echo "run-vm.sh: $b is not an executable file" >&2; exit 2; }
done
if [ -n "$plugin" ]; then
	# an absolute path: qemu runs from this directory, but the caller may have given a relative one
	plugin_file=${plugin%%,*}
	[ -f "$plugin_file" ] || { echo "run-vm.sh: plugin $plugin_file is not a file" >&2; exit 2; }
	plugin="$(readlink -f "$plugin_file")${plugin#"$plugin_file"}"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfioiommu-vm.XXXXXX") || exit 1
cleanup() {
	if [ "$keep" = 1 ]; then echo "run-vm.sh: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- initramfs
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,tests}
cp "$busybox" "$root/bin/busybox"
# Create the applet links on the host (same effect as `busybox --install -s /bin` in the guest).
for applet in $("$busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

copy_lib() {  # copy a file to the same absolute path inside the root, following symlinks
	local src=$1
	[ -e "$root$src" ] && return 0
	mkdir -p "$root$(dirname "$src")"
	cp -L "$src" "$root$src"
}

# A file at its own absolute path in the root, with every library ldd reports.
copy_with_libs() {
	local b=$1 abs ldd_out line p name
	name=$(basename "$b")
	abs=$(readlink -f "$b")
	copy_lib "$abs"
	chmod +x "$root$abs"
	# ldd lines: "libx.so => /path/libx.so (0x..)", "/lib64/ld-linux-x86-64.so.2 (0x..)", "linux-vdso.so.1 (..)"
	if ldd_out=$(ldd "$b" 2>&1); then
		while read -r line; do
			case "$line" in
			*"=> not found"*) echo "run-vm.sh: $name: missing library: $line" >&2; exit 2 ;;
			*"=> /"*) p=${line#*=> }; p=${p%% (*}; copy_lib "$p" ;;
			/*) p=${line%% (*}; copy_lib "$p"
			    # keep the loader reachable under its canonical path too
			    copy_lib "$(readlink -f "$p")" ;;
			esac
		done <<<"$ldd_out"
	fi
}

names=()
for b in "${bins[@]}"; do
	name=$(basename "$b")
	for n in "${names[@]:-}"; do
		[ "$n" = "$name" ] && { echo "run-vm.sh: two binaries named $name" >&2; exit 2; }
	done
	names+=("$name")
	# Keep the binary at its own absolute path (so an $ORIGIN-relative rpath, as meson sets for build-dir
	# libraries, resolves the same way in the guest) and point /tests/<name> at it.
	copy_with_libs "$b"
	ln -s "$(readlink -f "$b")" "$root/tests/$name"
done
# --with FILE: in the guest at its absolute path (beside a BIN that runs it), never run by itself
for b in "${withs[@]:-}"; do
	[ -n "$b" ] || continue
	[ -f "$b" ] || { echo "run-vm.sh: --with $b is not a file" >&2; exit 2; }
	copy_with_libs "$b"
done

install -m 0755 "$here/guest-init.sh" "$root/init"

# ---------------------------------------------------------------- topologies
topo_args() {
	local t=$1
	local nics="-device e1000e,romfile=,netdev=n0 -netdev user,id=n0,restrict=on
	            -device e1000e,romfile=,netdev=n1 -netdev user,id=n1,restrict=on
	            -device e1000e,romfile=,netdev=n2 -netdev user,id=n2,restrict=on"
	[ "$edu" = 1 ] && nics="$nics -device edu"
	case "$t" in
	intel)  echo "-machine q35,kernel-irqchip=split -accel tcg,thread=single -device intel-iommu,intremap=on,caching-mode=on $nics" ;;
	amd)    echo "-machine q35,kernel-irqchip=split -accel tcg,thread=single -device amd-iommu $nics" ;;
	virtio|virtio-strict) echo "-machine q35 -accel tcg,thread=single -device virtio-iommu-pci $nics" ;;
	*) return 1 ;;
	esac
}
# The kernel parameters a topology needs (before --append): virtio-iommu isolates no MSI on x86.
topo_append() {
	case "$1" in
	virtio) echo "vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1" ;;
	esac
}

total_pass=0; total_fail=0; total_skip=0
IFS=, read -r -a topo_list <<<"$topologies"
for topo in "${topo_list[@]}"; do
	if ! qargs=$(topo_args "$topo"); then
		echo "run-vm.sh: unknown topology '$topo' (known: intel amd virtio virtio-strict)" >&2; exit 2
	fi
	tappend=$(topo_append "$topo")
	[ -n "$extra_append" ] && tappend="${tappend:+$tappend }$extra_append"
	if [ "$sriov" = 1 ]; then
		qargs="$qargs -device nvme-subsys,id=ns0 -device nvme,serial=x,subsys=ns0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4"
	fi
	cat > "$root/etc/vmtest.conf" <<CONF
VMTEST_TOPOLOGY='$topo'
VMTEST_BIND_IDS='${bind_ids//,/ }$([ "$sriov" = 1 ] && echo " 1b36:0010")'
VMTEST_TESTS='${names[*]}'
VMTEST_TEST_TIMEOUT='$test_timeout'
VMTEST_EDU='$edu'
CONF
	initrd=$tmp/initrd-$topo.gz
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd" || { echo "run-vm.sh: cpio failed" >&2; exit 1; }

	log=$tmp/console-$topo.log
	echo "=== VM topology=$topo kernel=$kernel timeout=${timeout_s}s${tappend:+ append: $tappend}$([ "$edu" = 1 ] && echo " +edu") binaries: ${names[*]}"
	start=$(date +%s)
	# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can miss its
	# window and panic ("timer doesn't work through Interrupt-remapped IO-APIC") before init runs.
	# A boot that dies before the guest's first marker ran no test: it is retried (twice at most)
	# and said so; a failure after the marker counts.
	plugin_log=$tmp/plugin-$topo.log
	plugin_args=()
	[ -n "$plugin" ] && plugin_args=(-plugin "file=$plugin" -d plugin -D "$plugin_log")
	for attempt in 1 2 3; do
		rm -f "$plugin_log"
		# shellcheck disable=SC2086
		timeout -k 5 "$timeout_s" "$qemu" $qargs -nographic -no-reboot -m "${VFIOIOMMU_VM_MEM:-1G}" -smp 2 ${plugin_args[@]+"${plugin_args[@]}"} \
			-kernel "$kernel" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1 no_timer_check${tappend:+ $tappend}$([ "$sriov" = 1 ] && echo " vfio_pci.enable_sriov=1")" </dev/null 2>&1 \
			| tr -d '\r' | tee "$log"
		qrc=${PIPESTATUS[0]}
		grep -q '^@@VMTEST-BOOT' "$log" && break
		echo "VMTEST NOTE $topo: the kernel died before init started (attempt $attempt); booting again"
	done
	elapsed=$(( $(date +%s) - start ))
	if [ -n "$plugin" ]; then
		echo "=== plugin output topology=$topo"
		if [ -s "$plugin_log" ]; then cat "$plugin_log"; else echo "(the plugin wrote nothing)"; fi
	fi
	timed_out=0
	[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && timed_out=1

	pass=0; fail=0; skip=0
	for n in "${names[@]}"; do
		rc=$(sed -n "s/^@@VMTEST-RESULT $n rc=\([0-9]*\)\$/\1/p" "$log" | tail -n1)
		if [ -z "$rc" ]; then
			echo "VMTEST FAIL $topo/$n: no result marker (crash, hang or timeout)"; fail=$((fail+1))
		elif [ "$rc" = 0 ]; then
			echo "VMTEST PASS $topo/$n"; pass=$((pass+1))
		elif [ "$rc" = 77 ]; then
			echo "VMTEST SKIP $topo/$n (rc=77)"; skip=$((skip+1))
		else
			echo "VMTEST FAIL $topo/$n: rc=$rc"; fail=$((fail+1))
		fi
	done
	if ! grep -q '^@@VMTEST-DONE$' "$log"; then
		echo "VMTEST FAIL $topo/vm: the guest did not reach poweroff (qemu rc=$qrc, timed out=$timed_out)"
		fail=$((fail+1))
	elif [ $timed_out = 1 ] || [ "$qrc" != 0 ]; then
		echo "VMTEST FAIL $topo/vm: qemu did not exit cleanly after poweroff (rc=$qrc)"
		fail=$((fail+1))
	fi
	if grep -qE '^\[ *[0-9.]+\] (Kernel panic|BUG: |Oops|WARNING: CPU|general protection)' "$log"; then
		echo "VMTEST NOTE $topo: kernel warning/oops/panic text seen on the console"
	fi
	echo "=== topology=$topo: $pass passed, $fail failed, $skip skipped in ${elapsed}s"
	total_pass=$((total_pass+pass)); total_fail=$((total_fail+fail)); total_skip=$((total_skip+skip))
done

[ $total_skip -gt 0 ] && echo "$total_skip skipped"
echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ] && [ $((total_pass + total_skip)) -gt 0 ] && exit 0
exit 1
