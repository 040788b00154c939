#!/bin/sh
# The built library's ABI against the baseline in the tree (libabigail).  Any difference fails and is
# printed, so CI says what changed: an added function as much as a resized struct.  A deliberate
# change regenerates the baseline in the same commit (the .abi diff is then the review of it):
#   abidw --no-corpus-path --no-comp-dir-path --headers-dir include/vfioiommu \
#         --out-file tests/abi/NAME.abi build/lib/.../NAME.so
# usage: check-baseline.sh BASELINE.abi LIB.so PUBLIC-HEADER-DIR
set -u
base="$1"
lib="$2"
hdrs="$3"
if ! command -v abidiff >/dev/null 2>&1; then
	echo "ABI baseline NOT CHECKED: abidiff (libabigail, Debian package abigail-tools) is not installed"
	exit 77
fi
abidiff --headers-dir1 "$hdrs" --headers-dir2 "$hdrs" "$base" "$lib"
rc=$?
# abidiff's exit status is a bit mask: 1 error, 2 usage, 4 ABI change, 8 incompatible ABI change
if [ $((rc & 3)) -ne 0 ]; then
	echo "not ok: abidiff failed (status $rc)"
	exit 1
fi
if [ $((rc & 12)) -ne 0 ]; then
	kind="changed"
	[ $((rc & 8)) -ne 0 ] && kind="changed incompatibly (a symbol was removed)"
	echo "not ok: the ABI of $(basename "$lib") $kind against $(basename "$base") (report above);" \
		"if that is intended, regenerate the baseline as this script's header says and note it in NEWS.md"
	exit 1
fi
echo "ok: $(basename "$lib") has the ABI of $(basename "$base")"
exit 0
