#!/bin/sh
# The generated man pages (docs/build-docs.py): every function exported by the two version
# scripts has a page of its own (not a .so link), every page renders without a groff warning,
# and `man -l` shows vfioiommu_dma_map(3) from outside the build tree.
# usage: check-man.sh DOCS-BUILDDIR LIB.map...
set -u
dir=$(cd "$1" && pwd)
shift
fail=0
if ! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
	echo "man pages NOT CHECKED: man or groff is not installed"
	exit 77
fi
n=0
for map in "$@"; do
	for f in $(sed -n 's/^[[:space:]]*\(vfioiommu_[a-z0-9_]*\);.*/\1/p' "$map"); do
		n=$((n + 1))
		page="$dir/man3/$f.3"
		if [ ! -f "$page" ] || [ "$(head -c 3 "$page")" = ".so" ]; then
			echo "not ok: $f has no man page of its own ($page)"
			fail=1
		fi
	done
done
echo "ok: $n exported functions checked for a page"
# every page renders without a warning; every ".so" link names a page that exists (resolved from
# the directory above man3, as man does in the installed tree)
w=0
for page in "$dir"/man3/*.3 "$dir"/man3type/*.3type; do
	rel=${page#"$dir"/}
	if [ "$(head -c 4 "$page")" = ".so " ]; then
		target=$(sed -n '1s/^\.so //p' "$page")
		if [ ! -f "$dir/$target" ]; then
			echo "not ok: $rel links to $target, which does not exist"
			w=$((w + 1))
		fi
		continue
	fi
	out=$(groff -K utf8 -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "not ok: $rel: $out"
		w=$((w + 1))
	fi
done
[ "$w" = 0 ] || fail=1
echo "ok: every page rendered by groff or a valid link, $w with problems"
out=$(cd / && MANWIDTH=80 man -P cat -l "$dir/man3/vfioiommu_dma_map.3" 2>&1)
rc=$?
if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^NAME' ||
	! printf '%s\n' "$out" | grep -q 'vfioiommu_dma_map - ' ||
	! printf '%s\n' "$out" | grep -q '#include <vfioiommu/dma.h>' ||
	! printf '%s\n' "$out" | grep -q -- '-ERANGE' || printf '%s\n' "$out" | grep -qi 'warning'; then
	echo "not ok: man -l vfioiommu_dma_map.3 (exit $rc):"
	printf '%s\n' "$out"
	fail=1
else
	echo "ok: man -l $dir/man3/vfioiommu_dma_map.3 renders from /"
fi
exit $fail
