#!/bin/sh
# A shared library exports exactly the names its version script lists (no more, no fewer), each
# with the expected prefix and declared in a public header, under the script's version node.
# usage: check-abi.sh LIB.so VERSION-SCRIPT INCLUDE-DIR PREFIX SONAME
set -eu
lib="$1"
map="$2"
incdir="$3"
prefix="$4"
want_soname="$5"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRVW]/ {print $3}' | grep -v '^LIBVFIOIOMMU' | sed 's/@.*//' | sort -u >"$tmp/have"
# the names between "global:" and "local:", without comments
sed 's|/\*.*\*/||' "$map" | awk '/global:/ {g = 1; next} /local:/ {g = 0} g' | tr -d ' \t;' | grep -v '^$' |
	sort -u >"$tmp/want"
node=$(sed 's|/\*.*\*/||' "$map" | awk '/\{/ {print $1; exit}')
bad=0
[ -s "$tmp/have" ] || { echo "not ok: no exported symbols found in $lib"; exit 1; }
grep -q '\*' "$tmp/want" && { echo "not ok: $map has a wildcard in its global list"; bad=$((bad + 1)); }
for s in $(comm -23 "$tmp/want" "$tmp/have"); do
	echo "not ok: $s is listed in $(basename "$map") but not exported (renamed or removed?)"; bad=$((bad + 1))
done
for s in $(comm -13 "$tmp/want" "$tmp/have"); do
	echo "not ok: $s is exported but not listed in $(basename "$map")"; bad=$((bad + 1))
done
n=0
for s in $(cat "$tmp/have"); do
	n=$((n + 1))
	case "$s" in
	"$prefix"*) ;;
	*) echo "not ok: $s is exported but lacks the $prefix prefix"; bad=$((bad + 1)); continue ;;
	esac
	grep -rqw "$s" "$incdir" || { echo "not ok: $s is exported but not declared in $incdir"; bad=$((bad + 1)); }
done
# every symbol carries the version node
if nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRVW]/ {print $3}' | grep -v '^LIBVFIOIOMMU' | grep -qv "@@$node\$"; then
	echo "not ok: some symbols of $lib are not under $node"; bad=$((bad + 1))
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "$want_soname" ] || { echo "not ok: SONAME is '$soname', want $want_soname"; bad=$((bad + 1)); }
echo "$n exported symbols of $(basename "$lib") checked against $(basename "$map") ($node), $bad problems"
[ "$bad" -eq 0 ]
