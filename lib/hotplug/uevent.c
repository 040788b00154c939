/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The uevent parser.  Input is hostile by assumption (anything that reaches
 * the socket, or a fuzzer): every length is checked before use and nothing
 * is copied without a bound.  The shapes accepted are those Linux 7.2 was
 * seen to send (tests/fixtures/uevent_captures.h holds the captures).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "uevent.h"

struct span {
	const char *p;
	size_t n;
	bool set;
};

static bool span_is(const struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->set && s->n == n && !memcmp(s->p, lit, n);
}

static bool hexlow(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool vi_uevent_is_bdf(const char *s, size_t len)
{
	size_t dom;
	unsigned int dev;

	/* DDDD[DDDD]:BB:DD.F */
	if (len < 12 || len > 16)
		return false;
	dom = len - 8;
	for (size_t i = 0; i < dom; i++)
		if (!hexlow(s[i]))
			return false;
	if (s[dom] != ':' || !hexlow(s[dom + 1]) || !hexlow(s[dom + 2]) || s[dom + 3] != ':' ||
	    !hexlow(s[dom + 4]) || !hexlow(s[dom + 5]) || s[dom + 6] != '.' || s[dom + 7] < '0' ||
	    s[dom + 7] > '7')
		return false;
	dev = (unsigned int)((s[dom + 4] <= '9' ? s[dom + 4] - '0' : s[dom + 4] - 'a' + 10) * 16 +
			     (s[dom + 5] <= '9' ? s[dom + 5] - '0' : s[dom + 5] - 'a' + 10));
	return dev <= 0x1f;
}

static bool printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7f)
			return false;
	return true;
}

/* Decimal without sign or leading junk; fits in max. */
static bool dec(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned int d;
		if (p[i] < '0' || p[i] > '9')
			return false;
		d = (unsigned int)(p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static enum vi_uev_action action_of(const char *p, size_t n, bool *known)
{
	static const struct {
		const char *word;
		enum vi_uev_action a;
	} tab[] = {
		{ "add", VI_UEV_ACT_ADD },       { "remove", VI_UEV_ACT_REMOVE }, { "bind", VI_UEV_ACT_BIND },
		{ "unbind", VI_UEV_ACT_UNBIND }, { "change", VI_UEV_ACT_OTHER },  { "move", VI_UEV_ACT_OTHER },
		{ "online", VI_UEV_ACT_OTHER },  { "offline", VI_UEV_ACT_OTHER },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].word) == n && !memcmp(tab[i].word, p, n)) {
			*known = true;
			return tab[i].a;
		}
	}
	*known = false;
	return VI_UEV_ACT_OTHER;
}

/* The last '/'-separated component of a DEVPATH, and the one before it. */
static void last_two(const struct span *path, struct span *last, struct span *prev)
{
	const char *end = path->p + path->n;
	const char *s = end;

	while (s > path->p && s[-1] != '/')
		s--;
	*last = (struct span){ s, (size_t)(end - s), true };
	*prev = (struct span){ NULL, 0, false };
	if (s > path->p) {
		const char *pe = s - 1, *ps = pe;
		while (ps > path->p && ps[-1] != '/')
			ps--;
		*prev = (struct span){ ps, (size_t)(pe - ps), true };
	}
}

struct fields {
	struct span action, devpath, subsystem, driver, devname, seqnum, slot;
};

static int take(struct span *slot, const char *v, size_t n, const char *key, struct vi_err *e)
{
	if (slot->set)
		return vi_errf(e, -EINVAL, "uevent: %s= appears twice", key);
	*slot = (struct span){ v, n, true };
	return 0;
}

static int split_fields(const char *b, size_t len, size_t off, struct fields *f, struct vi_err *e)
{
	const struct {
		const char *key;
		struct span *slot;
	} keys[] = {
		{ "ACTION", &f->action },   { "DEVPATH", &f->devpath }, { "SUBSYSTEM", &f->subsystem },
		{ "DRIVER", &f->driver },   { "DEVNAME", &f->devname }, { "SEQNUM", &f->seqnum },
		{ "PCI_SLOT_NAME", &f->slot },
	};

	while (off < len) {
		const char *s = b + off;
		size_t n = strlen(s); /* the final NUL was checked: this stays inside buf */
		const char *eq = memchr(s, '=', n);
		size_t klen;

		if (n == 0)
			return vi_errf(e, -EINVAL, "uevent: empty field at byte %zu", off);
		if (!eq || eq == s)
			return vi_errf(e, -EINVAL, "uevent: field at byte %zu is not KEY=VALUE", off);
		klen = (size_t)(eq - s);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, s, klen)) {
				int rc = take(keys[i].slot, eq + 1, n - klen - 1, keys[i].key, e);
				if (rc < 0)
					return rc;
			}
		}
		off += n + 1;
	}
	return 0;
}

static int classify_pci(const struct fields *f, struct vi_uevent *out, struct vi_err *e)
{
	struct span last, prev;

	last_two(&f->devpath, &last, &prev);
	if (!vi_uevent_is_bdf(last.p, last.n))
		return vi_errf(e, -EINVAL, "uevent: PCI device path does not end in a PCI address");
	if (f->slot.set && (f->slot.n != last.n || memcmp(f->slot.p, last.p, last.n)))
		return vi_errf(e, -EINVAL, "uevent: PCI_SLOT_NAME disagrees with DEVPATH");
	memcpy(out->bdf, last.p, last.n);
	out->bdf[last.n] = '\0';
	if (f->driver.set) {
		if (f->driver.n == 0 || f->driver.n >= sizeof(out->driver) || memchr(f->driver.p, '/', f->driver.n) ||
		    !printable(f->driver.p, f->driver.n))
			return vi_errf(e, -EINVAL, "uevent: DRIVER= is not a driver name");
		memcpy(out->driver, f->driver.p, f->driver.n);
		out->driver[f->driver.n] = '\0';
	}
	if (out->action == VI_UEV_ACT_BIND && !out->driver[0])
		return vi_errf(e, -EINVAL, "uevent: bind without DRIVER=");
	out->what = VI_UEV_PCI;
	return 0;
}

static void classify_group(const struct fields *f, struct vi_uevent *out)
{
	struct span name, prev;
	uint64_t v;

	if (f->devname.set) {
		/* "vfio/N" or "vfio/noiommu-N" */
		if (f->devname.n < 5 || memcmp(f->devname.p, "vfio/", 5))
			return;
		name = (struct span){ f->devname.p + 5, f->devname.n - 5, true };
	} else {
		last_two(&f->devpath, &name, &prev);
	}
	if (name.n > 8 && !memcmp(name.p, "noiommu-", 8)) {
		out->noiommu = true;
		name.p += 8;
		name.n -= 8;
	}
	/* other vfio-class devices, if a kernel ever adds them, are not groups */
	if (!dec(name.p, name.n, INT_MAX, &v)) {
		out->noiommu = false;
		return;
	}
	out->group = (int)v;
	out->what = VI_UEV_GROUP;
}

static int classify_cdev(const struct fields *f, struct vi_uevent *out, struct vi_err *e)
{
	struct span last, glue, parent, skip;
	struct span head;
	uint64_t v;

	/* .../<parent>/vfio-dev/vfioN: the class glue directory sits between parent and cdev */
	last_two(&f->devpath, &last, &glue);
	if (!glue.set || !span_is(&glue, "vfio-dev") || last.n < 5 || memcmp(last.p, "vfio", 4) ||
	    !dec(last.p + 4, last.n - 4, INT_MAX, &v))
		return 0;
	head = (struct span){ f->devpath.p, (size_t)(glue.p - f->devpath.p), true };
	if (head.n < 2)
		return 0;
	head.n--; /* drop the '/' before the glue directory */
	last_two(&head, &parent, &skip);
	if (f->devname.set) {
		char want[32];
		int w = snprintf(want, sizeof(want), "vfio/devices/vfio%d", (int)v);
		if (w < 0 || f->devname.n != (size_t)w || memcmp(f->devname.p, want, (size_t)w))
			return vi_errf(e, -EINVAL, "uevent: DEVNAME= disagrees with the vfio-dev DEVPATH");
	}
	/* a cdev of a non-PCI device (platform, mdev): outside what this library opens */
	if (!vi_uevent_is_bdf(parent.p, parent.n))
		return 0;
	memcpy(out->bdf, parent.p, parent.n);
	out->bdf[parent.n] = '\0';
	out->cdev = (int)v;
	out->what = VI_UEV_CDEV;
	return 0;
}

static int check_header(const char *b, size_t hlen, const struct fields *f, struct vi_uevent *out,
			struct vi_err *e)
{
	const char *at = memchr(b, '@', hlen);
	bool known;

	if (!at)
		return vi_errf(e, -EINVAL, "uevent: the first string has no '@' (not ACTION@DEVPATH)");
	if (at == b || at + 1 == b + hlen || at[1] != '/')
		return vi_errf(e, -EINVAL, "uevent: empty action or device path in the header");
	if (!printable(b, hlen))
		return vi_errf(e, -EINVAL, "uevent: control characters in the header");
	if (!f->action.set)
		return vi_errf(e, -EINVAL, "uevent: no ACTION=");
	if (!f->devpath.set)
		return vi_errf(e, -EINVAL, "uevent: no DEVPATH=");
	if (f->action.n != (size_t)(at - b) || memcmp(f->action.p, b, f->action.n))
		return vi_errf(e, -EINVAL, "uevent: ACTION= disagrees with the header");
	if (f->devpath.n != hlen - (size_t)(at + 1 - b) || memcmp(f->devpath.p, at + 1, f->devpath.n))
		return vi_errf(e, -EINVAL, "uevent: DEVPATH= disagrees with the header");
	out->action = action_of(b, (size_t)(at - b), &known);
	if (!known)
		return vi_errf(e, -EINVAL, "uevent: unknown action");
	return 0;
}

static int parse(const void *buf, size_t len, struct vi_uevent *out, struct vi_err *e)
{
	const char *b = buf;
	struct fields f;
	size_t hlen;
	int rc;

	if (!buf || len == 0)
		return vi_errf(e, -EINVAL, "uevent: empty message");
	if (len > VI_UEVENT_MAX)
		return vi_errf(e, -EINVAL, "uevent: %zu bytes, more than the kernel ever sends", len);
	if (b[len - 1] != '\0')
		return vi_errf(e, -EINVAL, "uevent: the message does not end with a NUL");
	/* udev re-broadcasts on group 2 with this magic; it must never pass for the kernel */
	if (len >= 8 && !memcmp(b, "libudev", 8))
		return vi_errf(e, -EINVAL, "uevent: a udev (libudev) message, not the kernel's");
	hlen = strlen(b);
	memset(&f, 0, sizeof(f));
	rc = split_fields(b, len, hlen + 1, &f, e);
	if (rc < 0)
		return rc;
	rc = check_header(b, hlen, &f, out, e);
	if (rc < 0)
		return rc;
	if (f.seqnum.set && !dec(f.seqnum.p, f.seqnum.n, UINT64_MAX, &out->seqnum))
		return vi_errf(e, -EINVAL, "uevent: SEQNUM= is not a number");
	if (f.devpath.n < 9 || memcmp(f.devpath.p, "/devices/", 9))
		return 0; /* /module/..., /bus/... and other non-device kobjects */
	if (out->action == VI_UEV_ACT_OTHER)
		return 0;
	if (span_is(&f.subsystem, "pci"))
		return classify_pci(&f, out, e);
	if (out->action != VI_UEV_ACT_ADD && out->action != VI_UEV_ACT_REMOVE)
		return 0;
	if (span_is(&f.subsystem, "vfio"))
		classify_group(&f, out);
	else if (span_is(&f.subsystem, "vfio-dev"))
		return classify_cdev(&f, out, e);
	return 0;
}

int vi_uevent_parse(const void *buf, size_t len, struct vi_uevent *out, struct vi_err *e)
{
	int rc;

	if (!out)
		return vi_errf(e, -EINVAL, "uevent: no output");
	memset(out, 0, sizeof(*out));
	out->group = -1;
	out->cdev = -1;
	rc = parse(buf, len, out, e);
	if (rc < 0) {
		/* a rejected message leaves nothing half-filled behind */
		memset(out, 0, sizeof(*out));
		out->group = -1;
		out->cdev = -1;
	}
	return rc;
}
