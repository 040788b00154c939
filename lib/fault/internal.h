/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * fault/: the lock-free fault ring and the pumps that feed it.  The ring's
 * shared layouts and index rules are what a producer outside the library
 * (the mock kernel's fault region) must follow, so they are exported here.
 */
#ifndef VI_FAULT_INTERNAL_H
#define VI_FAULT_INTERNAL_H

#include "ring.h"

#endif
