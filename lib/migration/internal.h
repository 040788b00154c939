/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * migration/: device migration v2: the kernel's state machine walked one
 * arc at a time, the data fd, and the library's framed stream of the
 * device's state.  Built on core/ only (the device fd is core's); nothing
 * above includes it yet.
 */
#ifndef VI_MIGRATION_INTERNAL_H
#define VI_MIGRATION_INTERNAL_H

#include "core/internal.h"

#endif
