/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* UUIDs in their 8-4-4-4-12 text form: VF tokens (the kernel parses the same form after "vf_token="). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu/sriov.h>

#include "internal.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

VFIOIOMMU_API int vfioiommu_uuid_parse(const char *text, uint8_t uuid[16])
{
	uint8_t u[16];
	size_t pos = 0;

	if (!text || !uuid || strlen(text) != 36)
		return -EINVAL;
	for (unsigned int i = 0; i < 16; i++) {
		int hi, lo;

		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (text[pos] != '-')
				return -EINVAL;
			pos++;
		}
		hi = hexval(text[pos]);
		lo = hexval(text[pos + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[i] = (uint8_t)(hi << 4 | lo);
		pos += 2;
	}
	memcpy(uuid, u, sizeof(u));
	return 0;
}

void vi_uuid_text(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

VFIOIOMMU_API int vfioiommu_uuid_format(const uint8_t uuid[16], char *out, size_t n)
{
	if (!uuid || !out)
		return -EINVAL;
	if (n < VFIOIOMMU_UUID_STRLEN)
		return -ENOSPC;
	vi_uuid_text(uuid, out);
	return 0;
}
