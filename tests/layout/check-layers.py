#!/usr/bin/env python3
"""lib/ is a stack of areas (the subdir() order of lib/meson.build, bottom first).

Checked here, from the sources and from the built objects:
  * a file includes another area only through that area's entry header
    ("AREA/internal.h", or "kabi/kabi.h"), and only an area below its own;
  * every call from one area into another (an undefined vi_/vfioiommu_ symbol
    of an object resolved by an object of another area) goes downwards, so no
    call cycle crosses an area boundary;
  * the mock (lib/mock, a library of its own) may use any area's entry header
    but no object of libvfioiommu's may need a mock symbol;
  * the ioctls of an address space (every iommufd one, VFIO's ATTACH/DETACH
    to an iommufd object, type1's MAP_DMA/UNMAP_DMA) go through the door only
    from lib/backend: the areas above reach them through the backend's calls.
usage: check-layers.py SRCDIR BUILDDIR
"""
import os
import re
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
lib = os.path.join(src, 'lib')
order = re.findall(r"^subdir\('([a-z]+)'\)", open(os.path.join(lib, 'meson.build')).read(), re.M)
order = [a for a in order if a != 'mock']
rank = {a: i for i, a in enumerate(order)}
bad = []

for area in order + ['mock']:
    d = os.path.join(lib, area)
    for f in sorted(os.listdir(d)):
        if not f.endswith(('.c', '.h')):
            continue
        for n, line in enumerate(open(os.path.join(d, f)), 1):
            m = re.match(r'#include "([a-z_]+)/([a-z_]+\.h)"', line)
            if not m or m.group(1) == area:
                continue
            other, hdr = m.groups()
            where = '%s/%s:%d' % (area, f, n)
            if other not in rank:
                bad.append('%s includes %s/%s: no such area' % (where, other, hdr))
                continue
            entry = 'kabi.h' if other == 'kabi' else 'internal.h'
            if hdr != entry:
                bad.append('%s includes %s/%s: other areas are reached only through %s/%s'
                           % (where, other, hdr, other, entry))
            if area != 'mock' and rank[other] >= rank[area]:
                bad.append('%s includes %s/%s: %s is not below %s' % (where, other, hdr, other, area))

# the address-space ioctls belong to the backend: a door ioctl of one elsewhere is a bypass
owned = re.compile(r'^KABI_(IOMMU_[A-Z_]+|VFIO_DEVICE_(ATTACH|DETACH)_IOMMUFD_PT|VFIO_IOMMU_(MAP|UNMAP)_DMA)$')
for area in order:
    if area == 'backend':
        continue
    d = os.path.join(lib, area)
    for f in sorted(os.listdir(d)):
        if not f.endswith('.c'):
            continue
        text = open(os.path.join(d, f)).read()
        for m in re.finditer(r'vi_kioctl\([^;]*?,[^;]*?,\s*(KABI_\w+)', text):
            if owned.match(m.group(1)):
                n = text.count('\n', 0, m.start()) + 1
                bad.append('%s/%s:%d issues %s itself: address-space ioctls go through lib/backend'
                           % (area, f, n, m.group(1)))

# objects of the shared library: NAME.so...p/AREA_FILE.c.o (meson flattens the path)
objdir = None
for dp, dn, fn in os.walk(os.path.join(build, 'lib')):
    if os.path.basename(dp).startswith('libvfioiommu.so') and dp.endswith('.p'):
        objdir = dp
if not objdir:
    sys.exit('no object directory of libvfioiommu.so under %s/lib' % build)
defs, uses = {}, []
for o in sorted(os.listdir(objdir)):
    if not o.endswith('.o'):
        continue
    area = o.split('_', 1)[0]
    if area not in rank:
        bad.append('object %s: not in an area folder' % o)
        continue
    out = subprocess.run(['nm', os.path.join(objdir, o)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'TDBR' and p[2].startswith(('vi_', 'vfioiommu_')):
            defs[p[2]] = (area, o)
        elif len(p) == 2 and p[0] == 'U' and p[1].startswith(('vi_', 'vfioiommu_')):
            uses.append((area, o, p[1]))
edges = {}
for area, o, sym in uses:
    if sym.startswith('vfioiommu_mock_'):
        bad.append('%s calls %s: the library must not depend on the mock' % (o, sym))
        continue
    if sym not in defs:
        continue
    to = defs[sym][0]
    if to == area:
        continue
    edges.setdefault((area, to), set()).add(sym)
    if rank[to] > rank[area]:
        bad.append('%s (%s) calls %s of %s, an area above it' % (o, area, sym, to))

print('areas, bottom first: ' + ' < '.join(order))
for (a, b), syms in sorted(edges.items(), key=lambda e: (rank[e[0][0]], rank[e[0][1]])):
    print('  %-8s -> %-8s %d symbol(s)' % (a, b, len(syms)))
for b in bad:
    print('not ok: ' + b)
print('%d problem(s)' % len(bad))
sys.exit(1 if bad else 0)
