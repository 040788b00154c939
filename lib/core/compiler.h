/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Branch hints for the hot paths (the fault ring). */
#ifndef VI_COMPILER_H
#define VI_COMPILER_H

#define VI_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
