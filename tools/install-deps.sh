#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# Install the Debian 12 packages libvfioiommu needs:
#   build  what `meson setup build -Dtests=false && meson compile -C build` needs: the library,
#          vfioiommu-diag and the examples (libnl-3 for the hotplug monitor)
#   test   build, plus what the test suites use: cmocka (unit tests), g++ (C++ consumers),
#          clang and binutils (sanitizers, fuzzing, symbol checks), libck (benchmarks), QEMU,
#          busybox, cpio and gzip (the VM suite), valgrind, abigail-tools (ABI baseline),
#          doxygen, groff and man-db (the API reference and its man-page checks)
# Idempotent and quiet: it says which packages it installs, and installs only those missing.
# Installing needs root; when nothing is missing it needs nothing.
# usage: tools/install-deps.sh build|test
set -eu

build="meson ninja-build gcc libc6-dev pkg-config libnl-3-dev"
test="$build libcmocka-dev g++ clang binutils libck-dev qemu-system-x86 busybox-static cpio gzip valgrind
      abigail-tools doxygen groff-base man-db"

case "${1:-}" in
build) want=$build ;;
test) want=$test ;;
*)
	echo "usage: $0 build|test" >&2
	exit 2
	;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: every package for '$1' is installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run this as root to install them (apt-get)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
