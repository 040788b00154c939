/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The pieces of the mock's sysfs files: path parsing and the read, readlink
 * and write contracts of the door, shared by every file the mock serves.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mock.h"

int vm_spath_split(const char *path, struct vm_spath *sp)
{
	char *save = NULL, *tok;

	if (!path || strncmp(path, "/sys", 4) || (path[4] && path[4] != '/'))
		return -ENOENT;
	if (strlen(path) >= sizeof(sp->buf))
		return -ENAMETOOLONG;
	strcpy(sp->buf, path + 4);
	sp->n = 0;
	for (tok = strtok_r(sp->buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (sp->n == (int)(sizeof(sp->c) / sizeof(sp->c[0])))
			return -ENOENT;
		sp->c[sp->n++] = tok;
	}
	return 0;
}

bool vm_spath_is(const struct vm_spath *sp, int i, const char *s)
{
	return i < sp->n && !strcmp(sp->c[i], s);
}

/* vsnprintf into the caller's buffer: the full length, or -EINVAL for no buffer at all */
static ssize_t vput(char *buf, size_t n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static ssize_t vput(char *buf, size_t n, const char *fmt, va_list ap)
{
	int len;

	if (n == 0)
		return -EINVAL;
	len = vsnprintf(buf, n, fmt, ap);
	return len < 0 ? -EINVAL : len;
}

ssize_t vm_put(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	ssize_t len;

	va_start(ap, fmt);
	len = vput(buf, n, fmt, ap);
	va_end(ap);
	return len >= 0 && (size_t)len >= n ? -EFBIG : len;
}

ssize_t vm_put_link(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	ssize_t len;

	va_start(ap, fmt);
	len = vput(buf, n, fmt, ap);
	va_end(ap);
	if (len >= 0 && (size_t)len >= n) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return len;
}

int vm_written(const char *buf, size_t n, char *out, size_t cap)
{
	if (!buf)
		return -EFAULT;
	if (n && buf[n - 1] == '\n')
		n--;
	if (n >= cap || memchr(buf, '\0', n))
		return -EINVAL;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}
