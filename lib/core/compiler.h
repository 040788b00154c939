/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Branch hints and inlining control for the hot paths (the fault ring): one spelling each. */
#ifndef VI_COMPILER_H
#define VI_COMPILER_H

#define VI_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* keep a rarely taken general case out of its fast-path caller */
#define VI_NOINLINE __attribute__((noinline))

#endif
