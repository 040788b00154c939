/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The lock of the DMA map/unmap path (dma.c): one atomic word when nobody
 * waits, a pthread mutex and condition variable when somebody does.
 *
 * Why not a plain pthread_mutex_t: every map and every unmap takes this lock
 * once, and glibc's pthread_mutex_lock/unlock pair costs ~55 instructions
 * uncontended (type dispatch, owner bookkeeping, two calls), a quarter of what
 * the library adds to a map+unmap (bench/bench_dma.c).  The uncontended path
 * here is one compare-and-swap to lock and one exchange to unlock.
 *
 * The protocol is the classic three-state lock (Drepper, "Futexes are
 * tricky", mutex 2) with the futex replaced by a mutex + condvar, so the
 * library makes no syscall outside the door and threads that wait sleep:
 * the lock is held across kernel calls that can take long (pinning pages).
 *   state 0: free; 1: held, no waiter; 2: held, maybe waiters.
 * A waiter sets 2 while holding wm, and sleeps on wc (which releases wm
 * atomically); the unlocker that finds 2 signals wc under wm, so the wake-up
 * cannot fall between a waiter's check and its sleep.  No fairness, like a
 * default pthread mutex.
 */
#ifndef VI_DMA_LOCK_H
#define VI_DMA_LOCK_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"

struct vi_dma_lock {
	atomic_int state;
	pthread_mutex_t wm;
	pthread_cond_t wc;
};

/* 0, or an errno from pthread. */
int vi_dma_lock_init(struct vi_dma_lock *l);
void vi_dma_lock_destroy(struct vi_dma_lock *l);
/* The contended halves. */
void vi_dma_lock_wait(struct vi_dma_lock *l);
void vi_dma_lock_wake(struct vi_dma_lock *l);

VI_ALWAYS_INLINE void vi_dma_lock(struct vi_dma_lock *l)
{
	int expected = 0;

	/*
	 * acquire on success: pairs with the release exchange in vi_dma_unlock(),
	 * so this holder sees everything the previous one wrote.  relaxed on
	 * failure: the slow path re-reads the word with its own exchange.
	 */
	if (VI_UNLIKELY(!atomic_compare_exchange_strong_explicit(&l->state, &expected, 1, memory_order_acquire,
								  memory_order_relaxed)))
		vi_dma_lock_wait(l);
}

VI_ALWAYS_INLINE void vi_dma_unlock(struct vi_dma_lock *l)
{
	/* release: pairs with the acquire of the next vi_dma_lock() or vi_dma_lock_wait() */
	if (VI_UNLIKELY(atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2))
		vi_dma_lock_wake(l);
}

#endif
