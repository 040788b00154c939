#!/bin/sh
# vfioiommu-diag.1 against the program: every long option of `vfioiommu-diag --help` is described
# in the page, and the page renders without a groff warning.
# usage: check-diag-man.sh VFIOIOMMU-DIAG vfioiommu-diag.1
set -u
diag="$1"
page="$2"
fail=0
opts=$("$diag" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || { echo "not ok: no options in --help"; exit 1; }
for o in $opts; do
	# troff writes a minus as \-
	esc=$(printf '%s' "$o" | sed 's/-/\\-/g')
	if ! grep -qF -- "$esc" "$page"; then
		echo "not ok: $o is in --help but not in $(basename "$page")"
		fail=1
	fi
done
echo "ok: $(echo "$opts" | wc -w) options of --help are in the page"
if command -v groff >/dev/null 2>&1; then
	out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "not ok: groff warns: $out"
		fail=1
	else
		echo "ok: the page renders without warnings"
	fi
else
	echo "rendering NOT CHECKED: groff is not installed"
fi
exit $fail
