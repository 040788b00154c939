/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * hotplug/: kernel uevents (parser, monitor, device state).  The parser is
 * what device/'s bind uses to wait for the kernel's answer.
 */
#ifndef VI_HOTPLUG_INTERNAL_H
#define VI_HOTPLUG_INTERNAL_H

#include "uevent.h"

#endif
