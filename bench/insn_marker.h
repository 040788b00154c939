/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Window markers for the guest-instruction counter (bench/vm/insn_plugin.c).
 *
 * A marker is a 7-byte NOP with a magic 32-bit displacement,
 * `nopl DISP(%rax)` = 0f 1f 80 <disp little-endian>.  A NOP with a memory
 * operand never touches memory, so on real hardware (or under KVM, or on the
 * mock without a VM) the markers cost one instruction each and do nothing.
 * Under QEMU TCG with the plugin loaded, the plugin recognises the exact bytes
 * at translation time: START snapshots the instruction counter, STOP records
 * the instructions executed strictly between the two markers (the markers
 * themselves are not counted).
 *
 * x86-64 only: elsewhere the functions are empty (and no window is recorded).
 */
#ifndef VFIOIOMMU_BENCH_INSN_MARKER_H
#define VFIOIOMMU_BENCH_INSN_MARKER_H

/* Displacements "VIOM" and "STOP" in little-endian byte order. */
#define VFIOIOMMU_INSN_MARK_START_BYTES 0x0f, 0x1f, 0x80, 0x56, 0x49, 0x4f, 0x4d
#define VFIOIOMMU_INSN_MARK_STOP_BYTES  0x0f, 0x1f, 0x80, 0x53, 0x54, 0x4f, 0x50
#define VFIOIOMMU_INSN_MARK_LEN 7

/* The two levels make the byte lists expand before they are turned into a string. */
#define VFIOIOMMU_INSN_STR_(...) #__VA_ARGS__
#define VFIOIOMMU_INSN_STR(...) VFIOIOMMU_INSN_STR_(__VA_ARGS__)
/* Assembler text of each marker, for use inside a larger asm block. */
#define VFIOIOMMU_INSN_MARK_START_ASM ".byte " VFIOIOMMU_INSN_STR(VFIOIOMMU_INSN_MARK_START_BYTES) "\n\t"
#define VFIOIOMMU_INSN_MARK_STOP_ASM ".byte " VFIOIOMMU_INSN_STR(VFIOIOMMU_INSN_MARK_STOP_BYTES) "\n\t"

#if defined(__x86_64__)
/* "memory": the compiler must not move loads or stores of the counted work across a marker. */
static inline void vfioiommu_bench_mark_start(void)
{
	__asm__ volatile(VFIOIOMMU_INSN_MARK_START_ASM ::: "memory");
}

static inline void vfioiommu_bench_mark_stop(void)
{
	__asm__ volatile(VFIOIOMMU_INSN_MARK_STOP_ASM ::: "memory");
}
#else
static inline void vfioiommu_bench_mark_start(void) {}
static inline void vfioiommu_bench_mark_stop(void) {}
#endif

#endif
