#!/bin/sh
# Every public header compiles alone, as the first include of a C11 and of a C++11 translation unit
# (strict warnings), so that a user can include just the header that names what they use.
# usage: check-headers.sh INCLUDE-DIR CC [CXX]
set -u
inc="$1"
cc="$2"
cxx="${3:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
for h in "$inc"/vfioiommu.h "$inc"/vfioiommu/*.h; do
	name=${h#"$inc"/}
	printf '#include <%s>\nint vfioiommu_header_check_;\n' "$name" >"$tmp/t.c"
	n=$((n + 1))
	if ! "$cc" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I"$inc" "$tmp/t.c" 2>"$tmp/err"; then
		echo "not ok: $name does not compile alone as C11:"
		cat "$tmp/err"
		fail=1
	fi
	if [ -n "$cxx" ] && command -v "$cxx" >/dev/null 2>&1; then
		cp "$tmp/t.c" "$tmp/t.cc"
		if ! "$cxx" -std=c++11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/t.cc" 2>"$tmp/err"; then
			echo "not ok: $name does not compile alone as C++11:"
			cat "$tmp/err"
			fail=1
		fi
	fi
done
[ "$fail" = 0 ] && echo "ok: $n public headers compile alone (C11${cxx:+ and C++11})"
exit "$fail"
