/*
 * worker.c: the background job thread behind worker.h, a FIFO queue under
 * one mutex.
 */
#include <pthread.h>
#include <stddef.h>

#include "worker.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static struct worker_job *head, *tail;
static int state;	/* 0 not started, 1 running, -1 cannot start */

static void *
worker_main(void *arg)
{
	struct worker_job *j;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (head == NULL)
			pthread_cond_wait(&queued, &lock);
		j = head;
		head = j->next;
		if (head == NULL)
			tail = NULL;
		pthread_mutex_unlock(&lock);
		j->run(j);
		pthread_mutex_lock(&lock);
		j->done = 1;
		pthread_cond_broadcast(&finished);
	}
	return NULL;
}

void
worker_submit(struct worker_job *j)
{
	pthread_attr_t attr;
	pthread_t t;

	j->next = NULL;
	j->done = 0;
	pthread_mutex_lock(&lock);
	if (state == 0) {
		state = -1;
		if (pthread_attr_init(&attr) == 0) {
			pthread_attr_setdetachstate(&attr,
			    PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &attr, worker_main, NULL) == 0)
				state = 1;
			pthread_attr_destroy(&attr);
		}
	}
	if (state < 0) {
		pthread_mutex_unlock(&lock);
		j->run(j);
		j->done = 1;
		return;
	}
	if (tail != NULL)
		tail->next = j;
	else
		head = j;
	tail = j;
	pthread_cond_signal(&queued);
	pthread_mutex_unlock(&lock);
}

void
worker_wait(struct worker_job *j)
{
	pthread_mutex_lock(&lock);
	while (!j->done)
		pthread_cond_wait(&finished, &lock);
	pthread_mutex_unlock(&lock);
}
