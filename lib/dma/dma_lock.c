/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The contended half of the DMA path's lock (protocol in dma_lock.h). */
#include "dma_lock.h"

int vi_dma_lock_init(struct vi_dma_lock *l)
{
	int rc;

	atomic_init(&l->state, 0);
	rc = pthread_mutex_init(&l->wm, NULL);
	if (rc)
		return rc;
	rc = pthread_cond_init(&l->wc, NULL);
	if (rc)
		pthread_mutex_destroy(&l->wm);
	return rc;
}

void vi_dma_lock_destroy(struct vi_dma_lock *l)
{
	pthread_cond_destroy(&l->wc);
	pthread_mutex_destroy(&l->wm);
}

void vi_dma_lock_wait(struct vi_dma_lock *l)
{
	pthread_mutex_lock(&l->wm);
	/*
	 * Taking the lock from here leaves it at 2 (maybe waiters), so the next
	 * unlock wakes whoever still sleeps.  acquire: pairs with the release
	 * exchange in vi_dma_unlock().
	 */
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
		pthread_cond_wait(&l->wc, &l->wm);
	pthread_mutex_unlock(&l->wm);
}

void vi_dma_lock_wake(struct vi_dma_lock *l)
{
	/* under wm: a waiter between its exchange and its sleep holds wm, so it cannot miss this */
	pthread_mutex_lock(&l->wm);
	pthread_cond_signal(&l->wc);
	pthread_mutex_unlock(&l->wm);
}
