#!/bin/sh
# Install into a scratch prefix, then build a program outside the tree with only pkg-config.
set -eu
builddir="$1"
srcdir="$2"
cc="${3:-cc}"
san="${4:-none}"
# A sanitized library needs the same runtime in the consumer.
sanflags=""
[ "$san" = none ] || sanflags="-fsanitize=$san"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$builddir" --destdir "$tmp" --no-rebuild --quiet >/dev/null
pc=$(find "$tmp" -name libvfioiommu.pc | head -n 1)
[ -n "$pc" ] || { echo "not ok: libvfioiommu.pc was not installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$tmp"
for h in vfioiommu.h vfioiommu/context.h vfioiommu/mock.h vfioiommu/iova.h; do
	[ -f "$tmp$prefix/include/$h" ] || { echo "not ok: $h not installed"; exit 1; }
done
"$cc" $sanflags -std=c99 -Wall -Wextra -Werror -o "$tmp/consumer" "$srcdir/consumer.c" $(pkg-config --cflags --libs libvfioiommu)
libdir=$(dirname "$(find "$tmp" -name 'libvfioiommu.so.0' | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$tmp/consumer"
echo "ok: dynamic consumer built and ran"
"$cc" $sanflags -std=c99 -Wall -Werror -o "$tmp/consumer-static" "$srcdir/consumer.c" $(pkg-config --static --cflags libvfioiommu) \
	"$libdir/libvfioiommu.a" $(pkg-config --static --libs-only-l --libs-only-other libvfioiommu | sed 's/-lvfioiommu//')
"$tmp/consumer-static"
echo "ok: static consumer built and ran"
if [ "$san" = none ] && command -v c++ >/dev/null 2>&1; then
	c++ -Wall -Wextra -Werror -o "$tmp/consumer-cxx" "$srcdir/consumer_cxx.cpp" $(pkg-config --cflags --libs libvfioiommu)
	LD_LIBRARY_PATH="$libdir" "$tmp/consumer-cxx"
	echo "ok: C++ consumer built and ran"
fi
