/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Branch hints and forced inlining for the hot paths (map/unmap, the ring). */
#ifndef VI_COMPILER_H
#define VI_COMPILER_H

#define VI_LIKELY(x) __builtin_expect(!!(x), 1)
#define VI_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Inlined whatever the compiler's heuristics think: these are measured hot paths (bench/). */
#define VI_ALWAYS_INLINE static inline __attribute__((always_inline))

#endif
