/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "core/internal.h"
#include "core/error.h"

struct logged {
	int n;
	int level;
	char last[512];
};

static void logger(void *arg, int level, const char *msg)
{
	struct logged *l = arg;
	l->n++;
	l->level = level;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

static void errf_and_fail(void **state)
{
	struct vi_err e;
	struct logged l = { 0 };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .log_fn = logger, .log_arg = &l,
					.log_level = VFIOIOMMU_LOG_DEBUG };
	vfioiommu_ctx *ctx;

	assert_int_equal(vi_errf(&e, -EPROTO, "cap at offset %u", 24u), -EPROTO);
	assert_string_equal(e.msg, "cap at offset 24");
	assert_int_equal(vi_errf(NULL, -EINVAL, "x"), -EINVAL);
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_string_equal(vfioiommu_strerror(ctx), "");
	assert_int_equal(vi_fail(ctx, -EBUSY, "group %d busy", 7), -EBUSY);
	assert_string_equal(vfioiommu_strerror(ctx), "group 7 busy");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.level, VFIOIOMMU_LOG_DEBUG);
	th_assert_msg(l.last, "group 7 busy", NULL);
	assert_int_equal(vi_fail_from(ctx, -EPROTO, &e), -EPROTO);
	assert_string_equal(vfioiommu_strerror(ctx), "cap at offset 24");
	assert_int_equal(vi_fail(NULL, -EIO, "nobody"), -EIO);
	vfioiommu_ctx_destroy(ctx);
}

static void silent_by_default_and_level_filter(void **state)
{
	struct logged l = { 0 };
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .log_fn = logger, .log_arg = &l };
	vfioiommu_ctx *ctx;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	vi_log(ctx, VFIOIOMMU_LOG_DEBUG, "hidden");
	vi_fail(ctx, -EIO, "also hidden at INFO");
	assert_int_equal(l.n, 0);
	vi_log(ctx, VFIOIOMMU_LOG_WARNING, "shown %d", 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.last, "shown 1");
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_ctx_new(NULL, &ctx), 0);
	vi_log(ctx, VFIOIOMMU_LOG_ERR, "no callback: nothing happens");
	vfioiommu_ctx_destroy(ctx);
}

static vfioiommu_ctx *shared;

static void *other_thread(void *arg)
{
	/* this thread did not fail: it sees the context's last message */
	snprintf(arg, 64, "%s", vfioiommu_strerror(shared));
	vi_fail(shared, -EIO, "from the other thread");
	return NULL;
}

static void per_thread_messages(void **state)
{
	char seen[64];
	pthread_t t;

	assert_int_equal(vfioiommu_ctx_new(NULL, &shared), 0);
	vi_fail(shared, -EINVAL, "from main");
	assert_int_equal(pthread_create(&t, NULL, other_thread, seen), 0);
	pthread_join(t, NULL);
	assert_string_equal(seen, "from main");
	/* main's own failure stays main's */
	assert_string_equal(vfioiommu_strerror(shared), "from main");
	vfioiommu_ctx_destroy(shared);
}

static void errno_names(void **state)
{
	assert_string_equal(vi_errno_name(-EPROTO), "EPROTO");
	assert_string_equal(vi_errno_name(EMSGSIZE), "EMSGSIZE");
	assert_string_equal(vfioiommu_version(), "0.2.0");
}

/* #20 item 6: every errno has its name; nothing is a bare "errno" */
static void errno_names_every(void **state)
{
	char a[64], b[64];

	for (int e = 1; e < 4096; e++) {
		const char *name = vi_errno_name(-e);
		const char *libc = strerrorname_np(e);

		assert_non_null(name);
		assert_string_not_equal(name, "errno");
		if (libc) {
			assert_string_equal(name, libc);
			/* the table for C libraries without strerrorname_np() knows every one glibc knows */
			assert_non_null(vi_errno_table_name(-e));
			assert_string_equal(vi_errno_table_name(e), libc);
		}
	}
	assert_null(vi_errno_table_name(-9999));
	assert_string_equal(vi_errno_name(-ENAMETOOLONG), "ENAMETOOLONG");
	assert_string_equal(vi_errno_name(ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(vi_errno_name(-EISDIR), "EISDIR");
	assert_string_equal(vi_errno_name(-EHWPOISON), "EHWPOISON");
	/* not an errno at all: its number, and two in one message do not share a buffer */
	snprintf(a, sizeof(a), "%s %s", vi_errno_name(-9999), vi_errno_name(4242));
	assert_string_equal(a, "errno 9999 errno 4242");
	snprintf(b, sizeof(b), "%s", vi_errno_name(0));
	assert_string_not_equal(b, "errno");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errf_and_fail),
		cmocka_unit_test(silent_by_default_and_level_filter),
		cmocka_unit_test(per_thread_messages),
		cmocka_unit_test(errno_names),
		cmocka_unit_test(errno_names_every),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
