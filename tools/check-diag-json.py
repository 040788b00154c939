#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Check vfioiommu-diag on one mock host against docs/diag-json.md.

usage: check-diag-json.py [--self-test] DIAG-JSON-DOC VFIOIOMMU-DIAG HOST-FILE

Runs the program with --json (all of the host, each device with -s, each
group with -g, an --aperture), validates every output against the JSON
Schema embedded in the doc and against the rules the doc states that a schema
cannot (sorted and consistent lists, ranges inside the aperture, byte totals,
the all-groups summary, all_assignable and the exit status), then checks the
text views (one line per device; -v) and the usage errors (exit 2).  Only the
Python standard library: the schema subset the doc names is validated here.

--self-test: instead, break a good output in each way the checks are meant to
catch and fail unless every broken copy is caught (the checks are not vacuous).
"""
import copy
import json
import re
import subprocess
import sys

failures = []
quiet = False   # the self-test expects failures: they are counted, not printed


def fail(msg):
    failures.append(msg)
    if not quiet:
        print('not ok: ' + msg)


# ---------------------------------------------------------------- the schema subset

def load_schema(doc):
    text = open(doc, encoding='utf-8').read()
    m = re.search(r'<!-- schema begin -->\s*```json\n(.*?)```\s*<!-- schema end -->', text, re.S)
    if not m:
        sys.exit('check-diag-json: no schema block in %s' % doc)
    return json.loads(m.group(1))


TYPES = {
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'boolean': lambda v: isinstance(v, bool),
    'null': lambda v: v is None,
}
KNOWN = {'$schema', '$id', '$defs', '$ref', 'type', 'enum', 'const', 'pattern', 'minimum', 'maximum',
         'properties', 'required', 'additionalProperties', 'items', 'oneOf'}


def resolve(root, ref):
    if not ref.startswith('#/'):
        raise ValueError('only local $ref: ' + ref)
    node = root
    for part in ref[2:].split('/'):
        node = node[part]
    return node


def validate(root, schema, value, path, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError('%s: schema keyword(s) this checker does not know: %s' % (path, sorted(unknown)))
    if '$ref' in schema:
        validate(root, resolve(root, schema['$ref']), value, path, errors)
    if 'oneOf' in schema:
        ok = 0
        for sub in schema['oneOf']:
            e = []
            validate(root, sub, value, path, e)
            ok += not e
        if ok != 1:
            errors.append('%s: matches %d of the oneOf alternatives, not 1' % (path, ok))
    if 'const' in schema and value != schema['const']:
        errors.append('%s: %r is not %r' % (path, value, schema['const']))
    if 'enum' in schema and value not in schema['enum']:
        errors.append('%s: %r is not one of %r' % (path, value, schema['enum']))
    if 'type' in schema:
        types = schema['type'] if isinstance(schema['type'], list) else [schema['type']]
        if not any(TYPES[t](value) for t in types):
            errors.append('%s: %r is not of type %s' % (path, value, ' or '.join(types)))
            return
    if isinstance(value, str) and 'pattern' in schema and not re.search(schema['pattern'], value):
        errors.append('%s: %r does not match %s' % (path, value, schema['pattern']))
    if TYPES['number'](value):
        if 'minimum' in schema and value < schema['minimum']:
            errors.append('%s: %r < %r' % (path, value, schema['minimum']))
        if 'maximum' in schema and value > schema['maximum']:
            errors.append('%s: %r > %r' % (path, value, schema['maximum']))
    if isinstance(value, dict):
        props = schema.get('properties', {})
        for k in schema.get('required', []):
            if k not in value:
                errors.append('%s: member %r is missing' % (path, k))
        for k, v in value.items():
            if k in props:
                validate(root, props[k], v, path + '.' + k, errors)
            elif schema.get('additionalProperties', True) is False:
                errors.append('%s: member %r is not in the schema' % (path, k))
    if isinstance(value, list) and 'items' in schema:
        for i, v in enumerate(value):
            validate(root, schema['items'], v, '%s[%d]' % (path, i), errors)


# ---------------------------------------------------------------- the rules beyond the schema

ASSIGNABLE = ('assignable', 'assignable-with-warnings')
REFUSED = ('refused-resv-direct', 'not-viable')


def h(s):
    return int(s, 16)


def check_ranges(what, r, ap):
    spans = [(h(x['start']), h(x['last'])) for x in r['ranges']]
    for i, (a, b) in enumerate(spans):
        if a > b:
            fail('%s: range %d starts after it ends' % (what, i))
        if a < ap[0] or b > ap[1]:
            fail('%s: range %d [%#x, %#x] is outside the aperture' % (what, i, a, b))
        if i and spans[i - 1][1] + 1 >= a:
            fail('%s: ranges %d and %d are out of order, overlap or touch' % (what, i - 1, i))
    total = sum(b - a + 1 for a, b in spans)
    if h(r['bytes']) != total:
        fail('%s: bytes %s, the ranges cover %#x' % (what, r['bytes'], total))
    return spans


def inside(spans, a, b):
    return any(x <= a and b <= y for x, y in spans)


def check_rules(d, what):
    ap = (h(d['aperture']['start']), h(d['aperture']['last']))
    if ap[0] > ap[1]:
        fail('%s: the aperture starts after it ends' % what)
    bits = d['aperture']['bits']
    if bits is not None and (ap[0] != 0 or ap[1] != (1 << bits) - 1):
        fail('%s: aperture bits %d but range [%#x, %#x]' % (what, bits, ap[0], ap[1]))
    widths = [i['bits'] for i in d['iommus'] if i['bits'] is not None]
    if d['aperture']['source'] == 'sysfs' and bits != min(widths or [0]):
        fail('%s: aperture from sysfs is %s bits, the narrowest IOMMU %s' % (what, bits, min(widths or [0])))
    if d['aperture']['source'] == 'default' and (widths or bits != 39):
        fail('%s: a default aperture with IOMMU widths %r or not 39 bits' % (what, widths))
    names = [i['name'] for i in d['iommus']]
    if len(set(names)) != len(names):
        fail('%s: an IOMMU is listed twice' % what)

    groups = d['groups']
    devs = d['devices']
    nums = [g['group'] for g in groups]
    if nums != sorted(set(nums)):
        fail('%s: groups are not sorted and unique: %r' % (what, nums))
    dnames = [x['name'] for x in devs]
    if dnames != sorted(set(dnames)):
        fail('%s: devices are not sorted and unique' % what)
    byname = {x['name']: x for x in devs}
    for x in devs:
        w = '%s: device %s' % (what, x['name'])
        if x['assignable'] != (x['verdict'] in ASSIGNABLE):
            fail('%s: assignable %r with verdict %r' % (w, x['assignable'], x['verdict']))
        if x['pci'] != (x['verdict'] is not None):
            fail('%s: pci %r but verdict %r' % (w, x['pci'], x['verdict']))
        if x['verdict'] is None and (x['reason'] is not None or x['culprit'] is not None):
            fail('%s: a reason or culprit without a verdict' % w)
        if x['iommu'] is not None and x['iommu'] not in names and x['group'] is not None:
            fail('%s: IOMMU %s is not in iommus[]' % (w, x['iommu']))
        if x['group'] is None:
            if groups or x['verdict'] not in ('no-group', None):
                fail('%s: no group, verdict %r, on a host with %d groups listed' % (w, x['verdict'], len(groups)))
        elif x['group'] not in nums:
            fail('%s: its group %d is not listed' % (w, x['group']))
        elif x['name'] not in groups[nums.index(x['group'])]['devices']:
            fail('%s: its group %d does not list it' % (w, x['group']))
    for g in groups:
        w = '%s: group %d' % (what, g['group'])
        if g['error'] is not None:
            if any(g[k] is not None for k in ('verdict', 'reason', 'culprit', 'reserved_regions', 'usable')):
                fail('%s: in error yet with a verdict, regions or ranges' % w)
        elif None in (g['verdict'], g['reason'], g['reserved_regions'], g['usable']):
            fail('%s: no error yet a null verdict, reason, regions or ranges' % w)
        if g['assignable'] != (g['verdict'] in ASSIGNABLE):
            fail('%s: assignable %r with verdict %r' % (w, g['assignable'], g['verdict']))
        if g['in_all_groups'] != (g['error'] is None and g['verdict'] not in REFUSED):
            fail('%s: in_all_groups %r with verdict %r' % (w, g['in_all_groups'], g['verdict']))
        if d['filter']['device'] is None:
            for n in g['devices']:
                if n not in byname:
                    fail('%s: lists %s, which devices[] lacks' % (w, n))
        for i, r in enumerate(g['reserved_regions'] or []):
            if h(r['start']) > h(r['last']):
                fail('%s: reserved region %d starts after it ends' % (w, i))
        if g['usable'] is not None:
            spans = check_ranges(w + ' usable', g['usable'], ap)
            # no usable IOVA inside a reserved region that is not direct-relaxable
            for r in g['reserved_regions']:
                if r['type'] == 'direct-relaxable':
                    continue
                for a, b in spans:
                    if a <= h(r['last']) and h(r['start']) <= b:
                        fail('%s: usable [%#x, %#x] overlaps reserved %s' % (w, a, b, r['type']))

    a = d['all_groups']
    if (a is None) != (not groups):
        fail('%s: all_groups is %s with %d groups' % (what, 'null' if a is None else 'an object', len(groups)))
    if a is not None:
        counted = [g['group'] for g in groups if g['in_all_groups']]
        if a['groups'] != counted:
            fail('%s: all_groups.groups %r, in_all_groups says %r' % (what, a['groups'], counted))
        left = [{'group': g['group'], 'verdict': g['verdict'] if g['error'] is None else None}
                for g in groups if not g['in_all_groups']]
        if a['left_out'] != left:
            fail('%s: all_groups.left_out %r, expected %r' % (what, a['left_out'], left))
        spans = check_ranges(what + ' all_groups.usable', a['usable'], ap)
        if not counted and spans:
            fail('%s: usable space with no group counted' % what)
        for g in groups:
            if g['in_all_groups']:
                gs = [(h(x['start']), h(x['last'])) for x in g['usable']['ranges']]
                for s, e in spans:
                    if not inside(gs, s, e):
                        fail('%s: all_groups.usable [%#x, %#x] is not usable in group %d' % (what, s, e, g['group']))

    f = d['filter']
    if f['device'] is not None and dnames != [f['device']]:
        fail('%s: -s %s shows devices %r' % (what, f['device'], dnames))
    if f['group'] is not None and nums != [f['group']]:
        fail('%s: -g %d shows groups %r' % (what, f['group'], nums))
    if f['device'] is not None:
        want = bool(devs) and devs[0]['assignable']
    else:
        want = bool(groups) and all(g['assignable'] for g in groups)
    if d['all_assignable'] != want:
        fail('%s: all_assignable %r, the verdicts say %r' % (what, d['all_assignable'], want))


# ---------------------------------------------------------------- running the program

def run(diag, host, *args):
    p = subprocess.run([diag, '--mock', host] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def json_run(schema, diag, host, *args):
    what = 'vfioiommu-diag --json %s' % ' '.join(args) if args else 'vfioiommu-diag --json'
    rc, out, err = run(diag, host, '--json', *args)
    if rc not in (0, 1):
        fail('%s: exit status %d (%s)' % (what, rc, err.strip()))
        return None, rc
    if out.count('\n') != 1 or not out.endswith('\n'):
        fail('%s: not one line of output' % what)
    try:
        d = json.loads(out)
    except ValueError as e:
        fail('%s: not JSON: %s' % (what, e))
        return None, rc
    errors = []
    validate(schema, schema, d, '$', errors)
    for e in errors:
        fail('%s: schema: %s' % (what, e))
    if not errors:
        check_rules(d, what)
        if d['all_assignable'] != (rc == 0):
            fail('%s: exit status %d but all_assignable %r' % (what, rc, d['all_assignable']))
    return d, rc


MUTATIONS = [
    ('schema_version 2', lambda d: d.update(schema_version=2)),
    ('a member missing', lambda d: d.pop('iommus')),
    ('an unknown member', lambda d: d.update(extra=1)),
    ('an address as a number', lambda d: d['aperture'].update(last=549755813887)),
    ('an address with leading zeros', lambda d: d['aperture'].update(start='0x00')),
    ('"" for absent', lambda d: d['devices'][0].update(cdev='')),
    ('a vendor id as a string', lambda d: d['devices'][0].update(vendor='8086')),
    ('an unknown verdict', lambda d: d['groups'][0].update(verdict='fine')),
    ('assignable against its verdict', lambda d: d['groups'][0].update(assignable=not d['groups'][0]['assignable'])),
    ('all_assignable against the verdicts', lambda d: d.update(all_assignable=not d['all_assignable'])),
    ('groups out of order', lambda d: d['groups'].reverse() if len(d['groups']) > 1 else d['groups'].append(d['groups'][0])),
    ('a wrong byte total', lambda d: d['groups'][0]['usable'].update(bytes='0x1')),
    ('a range outside the aperture', lambda d: d['groups'][0]['usable']['ranges'].append(
        {'start': '0xffffffffffff0000', 'last': '0xffffffffffffffff'})),
    ('a refused group counted', lambda d: d['all_groups']['groups'].append(12345)),
    ('an aperture whose bits do not match', lambda d: d['aperture'].update(bits=40)),
    ('a device in no listed group', lambda d: d['devices'][0].update(group=12345)),
]


def self_test(schema, diag, host):
    global quiet
    rc, out, err = run(diag, host, '--json')
    good = json.loads(out)
    for name, mutate in MUTATIONS:
        d = copy.deepcopy(good)
        mutate(d)
        before = len(failures)
        quiet = True
        errors = []
        validate(schema, schema, d, '$', errors)
        if not errors:
            check_rules(d, name)
        caught = errors or len(failures) > before
        del failures[before:]
        quiet = False
        if not caught:
            fail('self-test: %s was not caught' % name)
        else:
            print('ok: caught %s' % name)
    if failures:
        sys.exit(1)
    print('ok: every one of %d broken outputs was caught' % len(MUTATIONS))


def main():
    args = sys.argv[1:]
    test = args[:1] == ['--self-test']
    if test:
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    doc, diag, host = args
    schema = load_schema(doc)
    if test:
        self_test(schema, diag, host)
        return
    checked = 0

    d, rc = json_run(schema, diag, host)
    if d is None:
        sys.exit(1)
    checked += 1
    for x in d['devices']:
        if x['pci']:
            s, src = json_run(schema, diag, host, '-s', x['name'])
            checked += 1
            if s is not None and (src == 0) != x['assignable']:
                fail('-s %s: exit status %d for a %s device' % (x['name'], src, x['verdict']))
            # the short form names the same device
            if x['name'].startswith('0000:'):
                s2, _ = json_run(schema, diag, host, '-s', x['name'][5:].upper())
                checked += 1
                if s2 is not None and s2['filter']['device'] != x['name']:
                    fail('-s %s: normalised to %r' % (x['name'][5:].upper(), s2['filter']['device']))
    for g in d['groups']:
        s, src = json_run(schema, diag, host, '-g', str(g['group']))
        checked += 1
        if s is not None and (src == 0) != g['assignable']:
            fail('-g %d: exit status %d for a %s group' % (g['group'], src, g['verdict']))
    s, _ = json_run(schema, diag, host, '--aperture', '48')
    checked += 1
    if s is not None and (s['aperture']['source'], s['aperture']['bits'], s['aperture']['last']) != \
            ('option', 48, '0xffffffffffff'):
        fail('--aperture 48: aperture %r' % s['aperture'])
    s, _ = json_run(schema, diag, host, '--aperture', '0x1000-0xffffffff')
    checked += 1
    if s is not None and (s['aperture']['bits'], s['aperture']['start']) != (None, '0x1000'):
        fail('--aperture 0x1000-0xffffffff: aperture %r' % s['aperture'])

    # the text views agree on the exit status; the default view has one line per device
    for args in ((), ('-v',)):
        trc, out, err = run(diag, host, *args)
        if trc != rc:
            fail('vfioiommu-diag %s: exit status %d, --json gave %d' % (' '.join(args), trc, rc))
        if not args:
            for x in d['devices']:
                n = sum(1 for line in out.splitlines() if line.split()[:1] == [x['name']])
                if n != 1:
                    fail('default view: %d lines for device %s' % (n, x['name']))
        checked += 1

    # usage errors and lookups that find nothing: exit status 2, nothing on stdout
    for args in (('--bogus',), ('-s', 'zz'), ('-s', '0000:ff:1f.7'), ('-g', 'x'), ('-g', '4294967295'),
                 ('--json', '-v'), ('--aperture', '7'), ('extra',)):
        erc, out, err = run(diag, host, *args)
        checked += 1
        if erc != 2 or out:
            fail('vfioiommu-diag %s: exit status %d (want 2), stdout %r' % (' '.join(args), erc, out[:80]))
    vrc, out, _ = run(diag, host, '--version')
    checked += 1
    if vrc != 0 or out.strip() != 'vfioiommu-diag %s' % d['version']:
        fail('--version: exit status %d, %r' % (vrc, out))

    if failures:
        print('%d failure(s) in %d runs of vfioiommu-diag on %s' % (len(failures), checked, host))
        sys.exit(1)
    print('ok: %d runs of vfioiommu-diag on %s match docs/diag-json.md (exit status %d: %s)' %
          (checked, host, rc, 'all assignable' if rc == 0 else 'not all assignable'))


if __name__ == '__main__':
    main()
