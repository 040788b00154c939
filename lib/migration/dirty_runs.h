/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The dirty-run walk with a chosen instruction set, for the unit tests and
 * bench/bench_dirty_runs.c: vi_runs_feed() (objs.h) picks the fastest the CPU
 * has, and the others would otherwise go untested on that machine.
 */
#ifndef VI_MIGRATION_DIRTY_RUNS_H
#define VI_MIGRATION_DIRTY_RUNS_H

#include <stdint.h>

#include "internal.h"

enum {
	VI_RUNS_ISA_BASE = 0, /* 16-byte vectors: any CPU */
	VI_RUNS_ISA_AVX2 = 1, /* 32-byte vectors: x86-64 with AVX2, BMI1 and POPCNT */
};

/* vi_runs_feed() through the walk for @isa; -EOPNOTSUPP when the build or the CPU lacks it. */
int vi_runs_feed_isa(struct vi_runs *r, const uint64_t *words, uint64_t first, uint64_t n, int isa);

#endif
