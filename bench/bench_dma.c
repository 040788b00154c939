/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The library's own overhead on map+unmap: instructions per map+unmap through
 * vfioiommu_dma_map/unmap beside the same two raw ioctls through the same
 * door, on the mock kernel (type1v2 and iommufd), counted by callgrind so the
 * figure is repeatable on a loaded machine.  The mock figures are
 * informational: the mock's ioctls cost a fraction of the kernel's, so the
 * same library code is a far larger ratio here.  The budget is the real
 * kernel's, lib/raw <= 1.05, counted in the VM by bench/vm-insn.sh.
 *
 *   bench_dma            run every variant under callgrind, print the ratios
 *   bench_dma --wall     wall-clock ns per map+unmap instead (no valgrind)
 *   with VFIOIOMMU_VM_BDFS set (the VM suite's guest) it uses the real kernel
 *   and wall-clock time: tests/vm/run-vm.sh build/bench/bench_dma
 *   bench_dma --variant NAME --iters N   one variant (what the driver runs)
 *   bench_dma --variant scale-{type1,iommufd}-{map,unmap} --live N --iters I
 *                        one scaling run: I maps (or unmaps) amid N live mappings
 *
 * After the lib/raw table (callgrind mode only) a scaling section shows the
 * cost of the library's own DMA table (an AVL tree, lib/dma/dma_table.h) with
 * 1k/16k/64k live mappings.  The mock kernel keeps its mappings in an O(n)
 * array on purpose (it models the kernel, not us), so its share, the
 * inclusive cost of md_ioctl, is subtracted from the callgrind count.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/callgrind.h>
#include <vfioiommu.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/iommufd.h>
#include <vfioiommu/mock.h>

#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "insn_marker.h"
#include "callgrind_run.h"

#define PG 4096ULL
#define IOVA 0x100000ULL

static const char host[] =
	"address-width 39\npgsizes 0x40201000\n"
	"group 3\n  resv 0xfee00000 0xfeefffff msi\n  device 0000:00:03.0 vfio-pci\n";

struct setup {
	vfioiommu_mock *mock;
	const vfioiommu_door *door;
	vfioiommu_ctx *ctx;
	int container; /* raw type1: the library's container fd */
	int iommufd;
	uint32_t ioas;
	void *buf;
};

static void die(const char *what, int rc, vfioiommu_ctx *ctx)
{
	fprintf(stderr, "bench_dma: %s: %s (%s)\n", what, strerror(-rc), ctx ? vfioiommu_strerror(ctx) : "");
	exit(2);
}

static const char *real_bdf(void)
{
	static char bdf[32];
	const char *env = getenv("VFIOIOMMU_VM_BDFS");

	if (!env || !*env)
		return NULL;
	snprintf(bdf, sizeof(bdf), "%.12s", env);
	return bdf;
}

static void setup(struct setup *s, bool iommufd)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	vfioiommu_device *dev;
	const char *bdf = real_bdf();
	int rc;

	memset(s, 0, sizeof(*s));
	s->container = s->iommufd = -1;
	if (!bdf) {
		char err[128];
		bdf = "0000:00:03.0";
		if (vfioiommu_mock_new(&s->mock) || vfioiommu_mock_load_string(s->mock, host, err, sizeof(err)))
			die("mock", -EINVAL, NULL);
		o.door = vfioiommu_mock_door(s->mock);
	}
	s->door = o.door ? o.door : vfioiommu_door_system();
	s->buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	o.mode = iommufd ? VFIOIOMMU_MODE_IOMMUFD : VFIOIOMMU_MODE_CONTAINER;
	if ((rc = vfioiommu_ctx_new(&o, &s->ctx)) < 0)
		die("ctx", rc, NULL);
	if ((rc = vfioiommu_device_open(s->ctx, bdf, &dev)) < 0)
		die("device_open", rc, s->ctx);
	if (iommufd) {
		s->iommufd = vfioiommu_ctx_iommufd_fd(s->ctx);
		if ((rc = vfioiommu_ctx_ioas_id(s->ctx, &s->ioas)) < 0)
			die("ioas", rc, s->ctx);
	} else {
		/* the raw side uses the library's own container, so both see the same kernel state */
		s->container = vi_container_fd(s->ctx);
		if (s->container < 0)
			die("container fd", s->container, s->ctx);
	}
}

static void teardown(struct setup *s)
{
	vfioiommu_ctx_destroy(s->ctx);
	vfioiommu_mock_destroy(s->mock);
	munmap(s->buf, PG);
}

static int raw_type1(struct setup *s, int fd)
{
	struct kabi_vfio_dma_map m = { .argsz = sizeof(m), .flags = KABI_VFIO_DMA_MAP_FLAG_READ |
				       KABI_VFIO_DMA_MAP_FLAG_WRITE, .vaddr = (uintptr_t)s->buf, .iova = IOVA, .size = PG };
	struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .iova = IOVA, .size = PG };
	int rc = s->door->ioctl(s->door->priv, fd, KABI_VFIO_IOMMU_MAP_DMA, &m);

	if (rc == 0)
		rc = s->door->ioctl(s->door->priv, fd, KABI_VFIO_IOMMU_UNMAP_DMA, &u);
	return rc;
}

static int raw_iommufd(struct setup *s)
{
	struct kabi_iommu_ioas_map m = { .size = sizeof(m), .flags = KABI_IOMMU_IOAS_MAP_FIXED_IOVA |
					 KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE,
					 .ioas_id = s->ioas, .user_va = (uintptr_t)s->buf, .length = PG, .iova = IOVA };
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = s->ioas, .iova = IOVA, .length = PG };
	int rc = s->door->ioctl(s->door->priv, s->iommufd, KABI_IOMMU_IOAS_MAP, &m);

	if (rc == 0)
		rc = s->door->ioctl(s->door->priv, s->iommufd, KABI_IOMMU_IOAS_UNMAP, &u);
	return rc;
}

static int lib_op(struct setup *s)
{
	uint64_t iova = IOVA;
	int rc = vfioiommu_dma_map(s->ctx, s->buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
				   VFIOIOMMU_DMA_FIXED_IOVA, &iova);

	if (rc == 0)
		rc = vfioiommu_dma_unmap(s->ctx, IOVA, PG);
	return rc;
}

static int raw_type1_op(struct setup *s)
{
	return raw_type1(s, s->container);
}

typedef int (*op_fn)(struct setup *s);

/*
 * Resolved once, before the counted loop: comparing names on every iteration
 * cost the raw variants ~115 instructions per op and the library variants
 * fewer, which flattered the ratio.
 */
static op_fn variant_op(const char *variant)
{
	if (!strcmp(variant, "lib-type1") || !strcmp(variant, "lib-iommufd"))
		return lib_op;
	if (!strcmp(variant, "raw-type1"))
		return raw_type1_op;
	if (!strcmp(variant, "raw-iommufd"))
		return raw_iommufd;
	fprintf(stderr, "bench_dma: unknown variant %s\n", variant);
	exit(2);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Run @iters map+unmap of one variant; the counted region is the loop only. */
static double run_variant(const char *variant, long iters)
{
	struct setup s;
	op_fn op = variant_op(variant);
	double t0, t1;
	int rc;

	setup(&s, strstr(variant, "iommufd") != NULL);
	/* warm up: first map builds the library's table and allocator */
	if ((rc = op(&s)) < 0)
		die(variant, rc, s.ctx);
	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_ZERO_STATS;
	t0 = now_ns();
	vfioiommu_bench_mark_start(); /* the guest-instruction window (bench/vm-insn.sh): the loop only */
	for (long i = 0; i < iters; i++)
		if ((rc = op(&s)) < 0)
			break;
	vfioiommu_bench_mark_stop();
	t1 = now_ns();
	CALLGRIND_DUMP_STATS_AT(variant);
	CALLGRIND_STOP_INSTRUMENTATION;
	if (real_bdf()) /* bench/vm-insn.sh pairs the plugin's windows with these lines, in order */
		printf("@@INSN-WINDOW bench_dma.%s iters=%ld rc=%d\n", variant, iters, rc);
	if (rc < 0)
		die(variant, rc, s.ctx);
	teardown(&s);
	return (t1 - t0) / (double)iters;
}

/*
 * Scaling: N live one-page mappings at spaced IOVAs, then map and unmap one
 * page in the gap in the middle of the table.  The callgrind child collects
 * only inside these wrappers (--toggle-collect), so the setup maps and the
 * other half of each map/unmap pair are not counted.  Their names must stay
 * exact: gcc's IPA could clone them under a ".constprop" name.
 */
#if defined(__clang__)
#define BENCH_OPAQUE __attribute__((noinline, used))
#else
#define BENCH_OPAQUE __attribute__((noipa, used))
#endif
#define SCALE_IOVA 0x100000000ULL
#define SCALE_STRIDE (2 * PG) /* leaves a free page between neighbours */

int bench_scale_map(vfioiommu_ctx *ctx, void *buf, uint64_t iova);
int bench_scale_unmap(vfioiommu_ctx *ctx, uint64_t iova);

BENCH_OPAQUE int bench_scale_map(vfioiommu_ctx *ctx, void *buf, uint64_t iova)
{
	return vfioiommu_dma_map(ctx, buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA,
				 &iova);
}

BENCH_OPAQUE int bench_scale_unmap(vfioiommu_ctx *ctx, uint64_t iova)
{
	return vfioiommu_dma_unmap(ctx, iova, PG);
}

static const long scale_live[] = { 1000, 16000, 64000 };

static void run_scale(const char *variant, long live, long iters)
{
	bool map = strstr(variant, "-unmap") == NULL;
	uint64_t mid = SCALE_IOVA + (uint64_t)(live / 2) * SCALE_STRIDE + PG;
	const unsigned flags = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA;
	struct setup s;
	int rc;

	if (real_bdf() || live < 1 || live > 1000000)
		die(variant, -EINVAL, NULL);
	setup(&s, strstr(variant, "iommufd") != NULL);
	if ((rc = vfioiommu_mock_set_dma_limit(s.mock, (uint32_t)live + 16)) < 0)
		die("dma limit", rc, NULL);
	for (long i = 0; i < live; i++) {
		uint64_t iova = SCALE_IOVA + (uint64_t)i * SCALE_STRIDE;
		if ((rc = vfioiommu_dma_map(s.ctx, s.buf, PG, flags, &iova)) < 0)
			die("setup map", rc, s.ctx);
	}
	/* warm up: the first op in the gap may grow the library's allocator */
	if ((rc = bench_scale_map(s.ctx, s.buf, mid)) < 0 || (rc = bench_scale_unmap(s.ctx, mid)) < 0)
		die(variant, rc, s.ctx);
	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_ZERO_STATS;
	for (long i = 0; i < iters && rc == 0; i++) {
		uint64_t iova = mid;
		if (map) {
			if ((rc = bench_scale_map(s.ctx, s.buf, mid)) == 0)
				rc = vfioiommu_dma_unmap(s.ctx, mid, PG);
		} else if ((rc = vfioiommu_dma_map(s.ctx, s.buf, PG, flags, &iova)) == 0) {
			rc = bench_scale_unmap(s.ctx, mid);
		}
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	if (rc < 0)
		die(variant, rc, s.ctx);
	teardown(&s);
}

/*
 * Ir of a callgrind output file (uncompressed names): the total, and the
 * inclusive cost of every function named @fn (its own cost lines plus the
 * cost lines that follow its calls= lines, which callgrind gives inclusive).
 */
static int callgrind_parse(const char *path, const char *fn, double *total, double *incl)
{
	char line[4096];
	bool in_fn = false, have_total = false;
	size_t fnlen = strlen(fn);
	FILE *f = fopen(path, "r");

	*total = *incl = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		if (!strncmp(line, "summary: ", 9) || !strncmp(line, "totals: ", 8)) {
			*total = strtod(strchr(line, ' ') + 1, NULL);
			have_total = true;
		} else if (!strncmp(line, "fn=", 3)) {
			in_fn = !strncmp(line + 3, fn, fnlen) && (line[3 + fnlen] == '\n' || line[3 + fnlen] == ' ');
		} else if ((line[0] >= '0' && line[0] <= '9') || line[0] == '+' || line[0] == '-' || line[0] == '*') {
			/* "<position> <Ir> ...": the position may be relative (+n, -n) or "*" */
			strtoll(line[0] == '*' ? line + 1 : line, &end, 0);
			if (in_fn)
				*incl += strtod(end, NULL);
		}
	}
	fclose(f);
	return have_total ? 0 : -1;
}

static const char *const variants[] = { "raw-type1", "lib-type1", "raw-iommufd", "lib-iommufd" };

/* Run one variant under callgrind in a child; return instructions per map+unmap. */
static double callgrind_ir(const char *self, const char *variant, long iters)
{
	static const char *const opts[] = { "--instr-atstart=no", "--combine-dumps=no", "--dump-before=none", NULL };
	char out[BENCH_CG_OUT], line[512], n[32];
	double ir = -1;
	FILE *f;

	snprintf(n, sizeof(n), "%ld", iters);
	{
		char *const child[] = { (char *)self, (char *)"--variant", (char *)variant, (char *)"--iters", n, NULL };

		if (bench_callgrind(opts, child, out) < 0)
			return -1;
	}
	/* a dump holds "summary: <Ir>" for the counted loop; take the dump named after the variant */
	f = fopen(out, "r");
	for (bool ours = false; f && fgets(line, sizeof(line), f);) {
		if (!strncmp(line, "desc: Trigger: Client Request: ", 31))
			ours = !strncmp(line + 31, variant, strlen(variant));
		if (ours && (!strncmp(line, "summary: ", 9) || !strncmp(line, "totals: ", 8)))
			ir = strtod(strchr(line, ' ') + 1, NULL) / (double)iters;
	}
	if (f)
		fclose(f);
	/* callgrind may write one file per dump: look for "<out>.1" too */
	if (ir < 0) {
		char alt[64];
		snprintf(alt, sizeof(alt), "%s.1", out);
		f = fopen(alt, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "summary: ", 9) || !strncmp(line, "totals: ", 8))
				ir = strtod(strchr(line, ' ') + 1, NULL) / (double)iters;
		if (f)
			fclose(f);
		unlink(alt);
	}
	unlink(out);
	return ir;
}

/*
 * One scaling run under callgrind in a child: the library's own instructions
 * per op, i.e. the wrapper's inclusive count minus the mock kernel's (md_ioctl).
 */
static double callgrind_scale(const char *self, const char *variant, long live, long iters)
{
	static const char *const opts[] = { "--instr-atstart=no", "--collect-atstart=no", "--toggle-collect=bench_scale_map",
					    "--toggle-collect=bench_scale_unmap", "--compress-strings=no", "--compress-pos=no",
					    NULL };
	char out[BENCH_CG_OUT], n[32], l[32];
	double total, mock;
	int rc;

	snprintf(n, sizeof(n), "%ld", iters);
	snprintf(l, sizeof(l), "%ld", live);
	{
		char *const child[] = { (char *)self, (char *)"--variant", (char *)variant, (char *)"--live", l,
					(char *)"--iters", n, NULL };

		if (bench_callgrind(opts, child, out) < 0)
			return -1;
	}
	rc = callgrind_parse(out, "md_ioctl", &total, &mock);
	unlink(out);
	/* no md_ioctl at all would mean the symbol is gone and the mock was not subtracted */
	if (rc < 0 || total <= 0 || mock <= 0 || mock >= total)
		return -1;
	return (total - mock) / (double)iters;
}

static void print_scale(const char *self)
{
	static const char *const modes[] = { "type1", "iommufd" }, *const ops[] = { "map", "unmap" };
	double ir[2][2][sizeof(scale_live) / sizeof(scale_live[0])];
	const size_t nn = sizeof(scale_live) / sizeof(scale_live[0]);

	printf("library instructions per op with N live mappings (mock kernel's share removed)\n");
	printf("  %-8s %-5s", "", "");
	for (size_t k = 0; k < nn; k++) {
		char h[32];
		snprintf(h, sizeof(h), "N=%ld", scale_live[k]);
		printf(" %9s", h);
	}
	printf("   growth %ldk vs %ldk\n", scale_live[nn - 1] / 1000, scale_live[0] / 1000);
	for (int m = 0; m < 2; m++)
		for (int o = 0; o < 2; o++) {
			char variant[48];
			snprintf(variant, sizeof(variant), "scale-%s-%s", modes[m], ops[o]);
			printf("  %-8s %-5s", m ? "iommufd" : "type1v2", ops[o]);
			for (size_t k = 0; k < nn; k++) {
				/* the mock's O(n) store dominates the run time at large N */
				long iters = scale_live[k] > 10000 ? 200 : 1000;
				ir[m][o][k] = callgrind_scale(self, variant, scale_live[k], iters);
				if (ir[m][o][k] > 0)
					printf(" %9.0f", ir[m][o][k]);
				else
					printf(" %9s", "failed");
				fflush(stdout);
			}
			if (ir[m][o][0] > 0 && ir[m][o][nn - 1] > 0)
				printf("   %.2fx (O(log n) ~1.6x, O(n) far more)", ir[m][o][nn - 1] / ir[m][o][0]);
			printf("\n");
		}
}

int main(int argc, char **argv)
{
	long iters = 20000;
	bool wall = false;
	long live = 0;
	const char *variant = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--variant") && i + 1 < argc)
			variant = argv[++i];
		else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--live") && i + 1 < argc)
			live = atol(argv[++i]);
		else if (!strcmp(argv[i], "--wall"))
			wall = true;
	}
	if (variant && !strncmp(variant, "scale-", 6)) {
		run_scale(variant, live, iters);
		return 0;
	}
	if (variant) {
		run_variant(variant, iters);
		return 0;
	}
	/* the VM guest has no valgrind: on the real kernel, time it */
	if (real_bdf())
		wall = true;
	printf("bench_dma: map+unmap of one 4 KiB page at a fixed IOVA, %s, %s\n",
	       real_bdf() ? "real kernel" : "mock kernel",
	       wall ? "wall-clock ns per op" : "instructions per op (callgrind)");
	for (int b = 0; b < 2; b++) {
		double raw, lib;
		if (wall) {
			raw = run_variant(variants[2 * b], iters);
			lib = run_variant(variants[2 * b + 1], iters);
		} else {
			/*
			 * All iterations, not a tenth: the mock's iommufd MAP mallocs, and
			 * glibc consolidates its fastbins about once per 2000 of them
			 * (~60,000 instructions each time), so 2000 counted iterations
			 * caught that event in one variant and not in the other (~31 per op).
			 */
			raw = callgrind_ir(argv[0], variants[2 * b], iters);
			lib = callgrind_ir(argv[0], variants[2 * b + 1], iters);
			if (raw <= 0 || lib <= 0) {
				printf("  callgrind not available (install valgrind) or a run failed; try --wall\n");
				return 0;
			}
		}
		printf("  %-8s raw ioctls %10.0f   library %10.0f   ratio lib/raw %.3f\n",
		       b ? "iommufd" : "type1v2", raw, lib, lib / raw);
	}
	/* callgrind only: wall-clock time would be mostly the mock's O(n) store */
	if (!wall)
		print_scale(argv[0]);
	return 0;
}
