/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The DMA path's lock: mutual exclusion under contention (more threads than
 * CPUs, holders that sleep so waiters really block), every waiter woken.
 * Run it under TSan too: the counter is plain memory the lock alone guards.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "dma/dma_lock.h"

#define THREADS 8

struct shared {
	struct vi_dma_lock l;
	uint64_t counter; /* guarded by l only */
	int inside;       /* guarded by l only: must never be seen above 0 on entry */
	int overlaps;
	unsigned int rounds;
	int sleep_every;
};

static void *worker(void *arg)
{
	struct shared *s = arg;

	for (unsigned int i = 0; i < s->rounds; i++) {
		vi_dma_lock(&s->l);
		if (s->inside++)
			s->overlaps++;
		s->counter++;
		/* a holder that sleeps, as one in a kernel call does: the others must block and be woken */
		if (s->sleep_every && i % (unsigned int)s->sleep_every == 0) {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
		s->inside--;
		vi_dma_unlock(&s->l);
	}
	return NULL;
}

static void run(unsigned int rounds, int sleep_every)
{
	struct shared s = { .rounds = rounds, .sleep_every = sleep_every };
	pthread_t t[THREADS];

	assert_int_equal(vi_dma_lock_init(&s.l), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, &s), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s.counter, (uint64_t)THREADS * rounds);
	assert_int_equal(s.overlaps, 0);
	/* everyone left: the word is free again, not stuck at "waiters" */
	assert_int_equal(atomic_load(&s.l.state), 0);
	vi_dma_lock_destroy(&s.l);
}

static void uncontended(void **state)
{
	struct vi_dma_lock l;

	assert_int_equal(vi_dma_lock_init(&l), 0);
	for (int i = 0; i < 1000; i++) {
		vi_dma_lock(&l);
		assert_int_equal(atomic_load(&l.state), 1);
		vi_dma_unlock(&l);
	}
	assert_int_equal(atomic_load(&l.state), 0);
	vi_dma_lock_destroy(&l);
}

static void short_holds(void **state)
{
	run(20000, 0);
}

static void sleeping_holders(void **state)
{
	run(200, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uncontended),
		cmocka_unit_test(short_holds),
		cmocka_unit_test(sleeping_holders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
