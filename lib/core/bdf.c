/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* PCI address syntax; also built into the mock library, which checks the same names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int vi_bdf_check(const char *bdf)
{
	static const char shape[] = "xxxx:xx:xx.x";
	size_t i;

	if (!bdf || strlen(bdf) != sizeof(shape) - 1)
		return -EINVAL;
	for (i = 0; i < sizeof(shape) - 1; i++) {
		char c = bdf[i];
		if (shape[i] == 'x') {
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return -EINVAL;
		} else if (c != shape[i]) {
			return -EINVAL;
		}
	}
	/* device 0..31, function 0..7 */
	if (strtoul(bdf + 8, NULL, 16) > 0x1f || bdf[11] > '7')
		return -EINVAL;
	return 0;
}


int vi_uuid_check(const char *uuid)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!uuid || strlen(uuid) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = uuid[i];
		if (shape[i] == 'x' ? !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) : c != '-')
			return -EINVAL;
	}
	return 0;
}

const char *vi_dev_bus(const char *name)
{
	return vi_uuid_check(name) == 0 ? "mdev" : "pci";
}
