#!/bin/sh
# The shared library exports only vfioiommu_* names, and each one is declared in a public header.
set -eu
lib="$1"
incdir="$2"
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRVW]/ {print $3}' | sed 's/@.*//' | sort -u)
[ -n "$syms" ] || { echo "no exported symbols found in $lib"; exit 1; }
bad=0
n=0
for s in $syms; do
	n=$((n + 1))
	case "$s" in
	LIBVFIOIOMMU_*) continue ;;
	vfioiommu_*) ;;
	*) echo "not ok: $s is exported but lacks the vfioiommu_ prefix"; bad=$((bad + 1)); continue ;;
	esac
	if ! grep -rqw "$s" "$incdir"; then
		echo "not ok: $s is exported but not declared in $incdir"
		bad=$((bad + 1))
	fi
done
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
if [ "$soname" != "libvfioiommu.so.0" ]; then
	echo "not ok: SONAME is '$soname', want libvfioiommu.so.0"
	bad=$((bad + 1))
fi
echo "$n exported symbols checked, $bad problems"
[ "$bad" -eq 0 ]
