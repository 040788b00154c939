/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * An exact guest-instruction counter for QEMU TCG (system mode, x86-64 guest),
 * windowed by the NOP markers of bench/insn_marker.h.
 *
 *   qemu-system-x86_64 ... -plugin file=insn_plugin.so[,check=on] -d plugin -D LOG
 *
 * Every guest instruction executed on any vCPU, user and kernel, is counted
 * (interrupt and exception handlers included, markers excluded).  When a START
 * marker executes, the counter is snapshot; when a STOP marker executes, the
 * instructions executed strictly between the two are recorded as a window.
 * At exit, through qemu_plugin_outs (so `-d plugin` is needed), one line per
 * window, in the order the windows closed:
 *
 *   vfioiommu-insn window 3: 123456789
 *   vfioiommu-insn window 3: 123456789 exact 123456789     (check=on)
 *   vfioiommu-insn summary: windows=N errors=E threads=T total=I check=on|off
 *
 * errors counts a STOP without an open window and a START while one is open
 * (the later START wins).  threads is the number of host threads that
 * translated guest code; anything but 1 means multi-threaded TCG, where the
 * plain counter below races, and the driver (bench/vm-insn.sh) then rejects
 * the run.
 *
 * How the count is taken.  At translation time each TB gets one inline
 * "add n" on a plain uint64_t, n = its instructions minus its markers; the
 * add runs once each time the TB is entered.  The VM runs TCG with
 * thread=single (tests/vm/run-vm.sh): one host thread runs every vCPU in turn,
 * so the non-atomic add never races, and a single counter is the sum over all
 * vCPUs.  Each marker gets an execution callback whose user data carries how
 * many counted instructions of its TB come after it; at the marker, the
 * instructions executed before it are therefore "counter - after".
 *
 * Why counting per TB is exact here and how far it can be off.  The add
 * counts the whole TB on entry.  TCG takes interrupts only between TBs (the
 * exit-request check precedes the plugin's add in the TB prologue, so an
 * interrupted entry counts nothing), and branches, syscalls, hlt, pause,
 * iret and the like end their TB, so a TB normally runs to its end.  The
 * count is too high only when a TB is left in the middle: a synchronous
 * exception raised by an instruction that is not the last of its TB (a page
 * fault, a #GP that the kernel fixes up), or a store into a page holding
 * translated code.  Each such event overcounts by the instructions of the TB
 * that did not run: at most TCG_MAX_INSNS - 1 = 511, typically a handful.
 * In the map+unmap loop after its warm-up iteration the buffer, stack and
 * ioctl arguments are resident, so such events are rare: at 10^4 iterations
 * of ~10^4 instructions (10^8 per window) even one event per iteration would
 * stay under 0.1 %.  check=on measures it: a second counter with an inline
 * add on every instruction, which a TB left midway cannot fool (it overcounts
 * only the faulting instruction itself, by one, as that is retried).
 * Measured on Linux 7.2 (bench/vm-insn.sh): the two counters agree exactly in
 * every window but one type1 window per boot, where they differ by 29 out of
 * ~1.7*10^8, although each window takes hundreds of timer interrupts; they
 * also agree on the self-check's exact windows.  (Before the page-crossing
 * handling below, the per-TB count was 13-15 too high per map+unmap.)
 * A REP-prefixed string instruction counts once per iteration (QEMU runs each
 * iteration as one execution of its TB), as callgrind counts it; a hardware
 * PMU counts it once.
 *
 * The QEMU plugin API is declared here from QEMU 7.2's include/qemu/qemu-plugin.h
 * (API version 1: this QEMU refuses a plugin declaring 2 with "supports only up
 * to version 1"); QEMU ships no header in Debian's packages.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../insn_marker.h"

/* ------------------------------------------------ QEMU 7.2 plugin ABI (API version 1) */
#define PLUGIN_API_VERSION 1
#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

PLUGIN_EXPORT extern int qemu_plugin_version;
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
					      uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
						uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

/* ------------------------------------------------ the counter */
PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;

#define MAX_WINDOWS 4096

static const uint8_t mark_start[VFIOIOMMU_INSN_MARK_LEN] = { VFIOIOMMU_INSN_MARK_START_BYTES };
static const uint8_t mark_stop[VFIOIOMMU_INSN_MARK_LEN] = { VFIOIOMMU_INSN_MARK_STOP_BYTES };

/* Written by TCG-generated code (inline adds) and read by the marker callbacks, all on the one vCPU thread. */
static uint64_t count_tb;
static uint64_t count_insn; /* check=on only */
static bool check;

struct window {
	uint64_t tb, insn;
	unsigned int vcpu_start, vcpu_stop;
};

/* Touched only by marker callbacks (the vCPU thread) and by the atexit callback after the vCPUs stopped. */
static struct {
	bool open;
	uint64_t tb, insn;
	unsigned int vcpu;
} cur;
static struct window windows[MAX_WINDOWS];
static unsigned int n_windows, dropped, errors;

/*
 * Threads that translated guest code.  Relaxed is enough: each thread counts
 * itself once through its own thread-local flag, and the total is read at
 * exit, after every vCPU thread has stopped running guest code.
 */
static atomic_uint n_threads;
static _Thread_local bool thread_seen;

/* Marker user data: bit 0 = STOP, the rest = counted instructions of the TB after the marker. */
#define UD_STOP 1u

static void on_marker(unsigned int vcpu, void *udata)
{
	uintptr_t ud = (uintptr_t)udata;
	/* the TB's add already ran for the whole TB: take back what has not executed yet */
	uint64_t tb_now = count_tb - (ud >> 1);

	if (!(ud & UD_STOP)) {
		errors += cur.open;
		cur.open = true;
		cur.tb = tb_now;
		cur.insn = count_insn;
		cur.vcpu = vcpu;
		return;
	}
	if (!cur.open) {
		errors++;
		return;
	}
	cur.open = false;
	if (n_windows >= MAX_WINDOWS) {
		dropped++;
		return;
	}
	windows[n_windows++] = (struct window){
		.tb = tb_now - cur.tb,
		.insn = count_insn - cur.insn,
		.vcpu_start = cur.vcpu,
		.vcpu_stop = vcpu,
	};
}

static int marker_kind(const struct qemu_plugin_insn *insn)
{
	const void *data = qemu_plugin_insn_data(insn);

	if (qemu_plugin_insn_size(insn) != VFIOIOMMU_INSN_MARK_LEN || !data)
		return 0;
	if (!memcmp(data, mark_start, VFIOIOMMU_INSN_MARK_LEN))
		return 1;
	if (!memcmp(data, mark_stop, VFIOIOMMU_INSN_MARK_LEN))
		return 2;
	return 0;
}

/*
 * QEMU 7.2's x86 translator, on meeting an instruction that would cross into
 * the next page (when it is not the TB's first), drops its code and ends the
 * TB before it, but the plugin still lists it as the TB's last instruction,
 * with only the bytes it had fetched.  It never executes there (its inline
 * op was dropped with its code: measured, ~13 per map+unmap on the real
 * kernel) and reappears as the first instruction of the next TB.  A last
 * instruction that starts within the last 15 bytes of a page (the longest x86
 * instruction) is therefore counted by its own inline add, which runs only if
 * it really executes, instead of by the TB's.
 */
#define PAGE 4096u
#define MAX_INSN_LEN 15u

static bool maybe_phantom(const struct qemu_plugin_tb *tb, size_t i, size_t n)
{
	uint64_t va = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));

	return i > 0 && i + 1 == n && PAGE - (va & (PAGE - 1)) < MAX_INSN_LEN;
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), in_tb = 0;

	(void)id;
	if (!thread_seen) {
		thread_seen = true;
		atomic_fetch_add_explicit(&n_threads, 1, memory_order_relaxed);
	}
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (marker_kind(insn))
			continue;
		if (check)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count_insn, 1);
		if (maybe_phantom(tb, i, n))
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count_tb, 1);
		else
			in_tb++;
	}
	if (in_tb)
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &count_tb, in_tb);
	/* second pass: each marker learns how many of the TB's counted instructions follow it */
	for (size_t i = 0, after = in_tb; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int kind = marker_kind(insn);

		if (!kind) {
			after -= !maybe_phantom(tb, i, n);
			continue;
		}
		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
						       (void *)(((uintptr_t)after << 1) | (kind == 2 ? UD_STOP : 0)));
	}
}

static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
	char line[160];

	(void)id;
	(void)udata;
	for (unsigned int i = 0; i < n_windows; i++) {
		const struct window *w = &windows[i];
		int len = snprintf(line, sizeof(line), "vfioiommu-insn window %u: %llu", i, (unsigned long long)w->tb);

		if (check)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " exact %llu",
					(unsigned long long)w->insn);
		if (w->vcpu_start != w->vcpu_stop)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " vcpu %u->%u", w->vcpu_start,
					w->vcpu_stop);
		snprintf(line + len, sizeof(line) - (size_t)len, "\n");
		qemu_plugin_outs(line);
	}
	snprintf(line, sizeof(line),
		 "vfioiommu-insn summary: windows=%u dropped=%u errors=%u open=%d threads=%u total=%llu check=%s\n",
		 n_windows, dropped, errors, cur.open, atomic_load_explicit(&n_threads, memory_order_relaxed),
		 (unsigned long long)count_tb, check ? "on" : "off");
	qemu_plugin_outs(line);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	char msg[160];

	if (!info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
		snprintf(msg, sizeof(msg), "vfioiommu-insn: needs qemu-system-x86_64 (target %s)\n",
			 info->target_name);
		qemu_plugin_outs(msg);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "check=on")) {
			check = true;
		} else if (strcmp(argv[i], "check=off") != 0) {
			snprintf(msg, sizeof(msg), "vfioiommu-insn: unknown argument '%.100s' (known: check=on|off)\n",
				 argv[i]);
			qemu_plugin_outs(msg);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	return 0;
}
