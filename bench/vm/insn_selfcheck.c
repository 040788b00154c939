/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest side of the instruction counter's self-check (bench/vm-insn.sh).
 *
 * Opens windows whose instruction count is known from the code alone and
 * prints, for each window in the order it closes, one line that the driver
 * pairs with the plugin's "vfioiommu-insn window K" lines:
 *
 *   @@INSN-WINDOW <label> iters=1 check=exact:<N>     the count must be N
 *   @@INSN-WINDOW <label> iters=1 check=atleast:<N>   the count must be >= N
 *   @@INSN-WINDOW <label> iters=1 check=noise:<N>     N executed; the excess is reported
 *
 * Each window is one asm block (markers included), so the compiler cannot add
 * instructions between the markers.  An interrupt landing inside a window adds
 * its handler's instructions, so each exact window is repeated REPS times and
 * the driver requires the smallest count to be exact: interrupts only ever add.
 * The big loop is long enough (~10^7 instructions) to catch timer ticks; its
 * excess is the interrupt noise per instruction that the map+unmap windows see
 * too.  The getppid window proves that kernel instructions are counted.
 */
#include <stdio.h>
#include <sys/syscall.h>

#include "../insn_marker.h"

#define REPS 5
#define LOOP_N 1000
#define BIG_N 1000000

static void say(const char *label, const char *kind, unsigned long n)
{
	printf("@@INSN-WINDOW selfcheck.%s iters=1 check=%s:%lu\n", label, kind, n);
}

#if defined(__x86_64__)
int main(void)
{
	long ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int r = 0; r < REPS; r++) {
		/* nothing between the markers: same TB */
		__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM VFIOIOMMU_INSN_MARK_STOP_ASM ::: "memory");
		say("empty", "exact", 0);

		/* one jump: START and STOP end up in different TBs */
		__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM "jmp 1f\n1:\n\t" VFIOIOMMU_INSN_MARK_STOP_ASM
				 ::: "memory");
		say("jmp", "exact", 1);

		/* 1000 straight-line NOPs: longer than a TB may be (512), so several TBs */
		__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM ".rept 1000\n\tnop\n\t.endr\n\t"
				 VFIOIOMMU_INSN_MARK_STOP_ASM ::: "memory");
		say("nop1000", "exact", 1000);

		/* a loop: one TB executed LOOP_N times */
		__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM
				 "mov %0, %%ecx\n"
				 "2:\n\tnop\n\tdec %%ecx\n\tjnz 2b\n\t"
				 VFIOIOMMU_INSN_MARK_STOP_ASM
				 :: "i"(LOOP_N) : "ecx", "cc", "memory");
		say("loop1000", "exact", 1 + 3UL * LOOP_N);
	}

	/* ~10^7 instructions: several ms of TCG time, so timer interrupts land in it */
	__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM
			 "mov %0, %%ecx\n"
			 "3:\n\t.rept 8\n\tnop\n\t.endr\n\tdec %%ecx\n\tjnz 3b\n\t"
			 VFIOIOMMU_INSN_MARK_STOP_ASM
			 :: "i"(BIG_N) : "ecx", "cc", "memory");
	say("bigloop", "noise", 1 + 10UL * BIG_N);

	/* a system call: the kernel's entry, getppid and exit are counted */
	__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM "syscall\n\t" VFIOIOMMU_INSN_MARK_STOP_ASM
			 : "=a"(ret) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
	say("getppid", "atleast", 50);
	return ret > 0 ? 0 : 1;
}
#else
int main(void)
{
	puts("insn_selfcheck: x86-64 only");
	return 77;
}
#endif
