#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Build the API reference: run Doxygen, fail on any warning, then shape the man pages.

usage: build-docs.py DOXYGEN DOXYFILE OUTDIR

Doxygen writes OUTDIR/html, OUTDIR/man3 (one page per header and per struct, plus a
".so" link page per documented name: MAN_LINKS) and OUTDIR/xml (only read here: it says
which page documents what).  Any line in the warning log fails the build, and the count
is printed either way ("doxygen: 0 warnings").

The man pages are then made fit to install under share/man:
  - header pages are named after the include path: vfioiommu/dma.h -> vfioiommu_dma.h.3
    (vfioiommu.h.3 keeps its name), so no page is called just "dma.h";
  - every function gets a page of its own, vfioiommu_dma_map.3: NAME with the brief,
    SYNOPSIS with the #include and the prototype, DESCRIPTION with parameters, return
    values and errnos (the function's section of its header page), SEE ALSO the header.
    These are real pages, so `man -l .../vfioiommu_dma_map.3` works from any directory;
  - struct pages move to man3type/NAME.3type (the man-pages convention for types), so
    struct vfioiommu_device_info and the function vfioiommu_device_info() both have one;
  - enums, enum values, macros and typedefs keep a ".so man3/vfioiommu_X.h.3" link to
    their header page (man resolves it from the installed tree);
  - Doxygen's link pages for struct fields ("size.3", "flags.3", ...) are removed: those
    names belong to nobody in particular.
"""
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def die(msg):
    print('build-docs: ' + msg, file=sys.stderr)
    sys.exit(1)


def run_doxygen(doxygen, doxyfile, outdir):
    for d in ('html', 'man3', 'man3type', 'xml'):
        shutil.rmtree(os.path.join(outdir, d), ignore_errors=True)
    log = os.path.join(outdir, 'doxygen-warnings.log')
    if os.path.exists(log):
        os.remove(log)
    rc = subprocess.call([doxygen, doxyfile], cwd=outdir)
    text = open(log, encoding='utf-8', errors='replace').read() if os.path.exists(log) else ''
    # one warning per line that starts with FILE:LINE: (continuation lines list parameters)
    warnings = [l for l in text.splitlines() if re.match(r'^\S.*?:\d+: ', l)]
    print('doxygen: %d warnings' % len(warnings))
    if warnings or rc != 0 or text.strip():
        sys.stderr.write(text)
        die('doxygen failed (exit %d) or warned: every public name must be documented, '
            'with its parameters and return value' % rc)


def header_page_name(fname):
    """'dma.h' -> 'vfioiommu_dma.h'; the umbrella 'vfioiommu.h' stays."""
    return fname if fname == 'vfioiommu.h' else 'vfioiommu_' + fname


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def strip_font(s):
    return re.sub(r'\\f[BIRPC]', '', s)


def function_sections(page):
    """Map function name -> (prototype line, body) from a header page's Function Documentation."""
    out = {}
    m = re.search(r'^\.SH "Function Documentation"\n', page, re.M)
    if not m:
        return out
    rest = page[m.end():]
    end = re.search(r'^\.SH ', rest, re.M)
    if end:
        rest = rest[:end.start()]
    for chunk in re.split(r'^(?=\.SS ")', rest, flags=re.M):
        if not chunk.startswith('.SS "'):
            continue
        first, _, body = chunk.partition('\n')
        proto = first[len('.SS "'):-1] if first.endswith('"') else first[len('.SS "'):]
        name = re.search(r'(\w+)\s*\(', strip_font(proto))
        if name:
            out[name.group(1)] = (proto, body)
    return out


def briefs(page):
    """Map function name -> brief, from the Functions summary of a header page."""
    out = {}
    lines = page.split('\n')
    for i, l in enumerate(lines):
        m = re.match(r'^\.RI ".*?\\fB(\w+)\\fP \(', l)
        if m and i + 2 < len(lines) and lines[i + 1] == '.br' and lines[i + 2].startswith('.RI "'):
            b = lines[i + 2][len('.RI "'):]
            out[m.group(1)] = b[:-1] if b.endswith('"') else b
    return out


def shape_man(outdir):
    man3 = os.path.join(outdir, 'man3')
    man3type = os.path.join(outdir, 'man3type')
    os.makedirs(man3type, exist_ok=True)
    index = ET.parse(os.path.join(outdir, 'xml', 'index.xml')).getroot()
    keep = set()

    # Header pages first: their new names are what the links point at.
    files = {}
    for c in index.findall('compound'):
        if c.get('kind') != 'file':
            continue
        fname = c.findtext('name')
        src = os.path.join(man3, fname + '.3')
        if not os.path.exists(src):
            die('no man page for %s' % fname)
        new = header_page_name(fname)
        if new != fname:
            os.replace(src, os.path.join(man3, new + '.3'))
        files[fname] = (new, c)
        keep.add(new + '.3')

    for fname, (page_name, c) in files.items():
        page = read(os.path.join(man3, page_name + '.3'))
        th = re.match(r'^\.TH "([^"]*)" 3 (.*)$', page, re.M)
        if not th:
            die('%s.3 has no .TH line' % page_name)
        include = th.group(1)          # "vfioiommu/dma.h"
        th_rest = re.sub(r'\s*\\".*$', '', th.group(2))
        sections = function_sections(page)
        brief = briefs(page)
        for m in c.findall('member'):
            kind, name = m.get('kind'), m.findtext('name')
            target = os.path.join(man3, name + '.3')
            if kind == 'function':
                if name not in sections:
                    die('%s: no section for %s()' % (page_name, name))
                proto, body = sections[name]
                text = ('.TH "%s" 3 %s\n.ad l\n.nh\n.SH NAME\n%s \\- %s\n'
                        '.SH SYNOPSIS\n.nf\n\\fB#include <%s>\\fP\n.sp\n\\fB%s\\fP;\n.fi\n'
                        '.SH DESCRIPTION\n%s\n.SH "SEE ALSO"\n\\fB%s\\fP(3)\n'
                        % (name, th_rest, name, brief.get(name, 'see DESCRIPTION'), include,
                           strip_font(proto), body.rstrip('\n'), page_name))
                if os.path.exists(target) and not read(target).startswith('.so '):
                    # a struct of the same name: it moves to man3type below
                    os.replace(target, target + '.struct')
                write(target, text)
            elif kind in ('define', 'enum', 'enumvalue', 'typedef', 'variable'):
                if os.path.exists(target) and not read(target).startswith('.so '):
                    continue       # a struct page of the same name (typedef struct X X)
                write(target, '.so man3/%s.3\n' % page_name)
            else:
                die('%s: unexpected member kind %s (%s)' % (page_name, kind, name))
            keep.add(name + '.3')

    for c in index.findall('compound'):
        if c.get('kind') not in ('struct', 'union'):
            continue
        name = c.findtext('name')
        src = os.path.join(man3, name + '.3')
        if os.path.exists(src + '.struct'):
            src += '.struct'
        if not os.path.exists(src):
            die('no man page for struct %s' % name)
        page = read(src)
        page = re.sub(r'^(\.TH "[^"]*") 3 ', r'\1 3type ', page, count=1, flags=re.M)
        write(os.path.join(man3type, name + '.3type'), page)
        os.remove(src)

    # Doxygen 1.9.4 starts a text line with a quote when a sentence opens with a quoted word
    # ("none", ...): troff would take that line for a request.  \& in front makes it text.
    for d in (man3, man3type):
        for f in os.listdir(d):
            path = os.path.join(d, f)
            text = read(path)
            fixed = re.sub(r"^'", r"\\&'", text, flags=re.M)
            if fixed != text:
                write(path, fixed)

    for f in sorted(os.listdir(man3)):
        if f in keep:
            continue
        text = read(os.path.join(man3, f))
        if not text.startswith('.so '):
            die('man page %s is not accounted for (neither a header, a struct nor a link)' % f)
        os.remove(os.path.join(man3, f))     # a struct field's link: "size.3", "flags.3", ...

    # every remaining page must carry the library's prefix
    for d in (man3, man3type):
        for f in os.listdir(d):
            if not f.lower().startswith('vfioiommu'):
                die('man page %s/%s lacks the vfioiommu prefix' % (os.path.basename(d), f))
    n3 = len(os.listdir(man3))
    nt = len(os.listdir(man3type))
    nf = sum(1 for f in os.listdir(man3) if not read(os.path.join(man3, f)).startswith('.so '))
    print('man: %d pages in man3 (%d written out, the rest links), %d in man3type' % (n3, nf, nt))


def main():
    if len(sys.argv) != 4:
        die('usage: build-docs.py DOXYGEN DOXYFILE OUTDIR')
    doxygen, doxyfile, outdir = sys.argv[1:]
    run_doxygen(doxygen, os.path.abspath(doxyfile), outdir)
    shape_man(outdir)
    shutil.rmtree(os.path.join(outdir, 'xml'), ignore_errors=True)


if __name__ == '__main__':
    main()
