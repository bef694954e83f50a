/*
 * pool.c: the background job thread behind pool.h, a FIFO queue under one
 * mutex, and the threads of mr_parallel().
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include "mr.h"
#include "pool.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static struct pool_job *head, *tail;
static int state;	/* 0 not started, 1 running, -1 cannot start */

/*
 * Starts a thread with SIGINT, SIGTERM and SIGHUP blocked, so that they
 * go to the caller's thread alone, where the tools handle them (and hold
 * them off while a temp file has a name).  SIGPIPE stays as it is, so a
 * write to a closed pipe from any thread ends the tool quietly.  Returns
 * 0 or an error number.
 */
static int
start_thread(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
    void *arg)
{
	sigset_t set, old;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	rc = pthread_create(t, attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void *
pool_main(void *arg)
{
	struct pool_job *j;

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
pool_submit(struct pool_job *j)
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
			if (start_thread(&t, &attr, pool_main, NULL) == 0)
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
pool_wait(struct pool_job *j)
{
	pthread_mutex_lock(&lock);
	while (!j->done)
		pthread_cond_wait(&finished, &lock);
	pthread_mutex_unlock(&lock);
}

struct par_thread {
	pthread_t t;
	void (*fn)(void *, int);
	void *arg;
	int i, started;
};

static void *
par_main(void *p)
{
	struct par_thread *t = p;

	t->fn(t->arg, t->i);
	return NULL;
}

void
mr_parallel(int n, void (*fn)(void *, int), void *arg)
{
	struct par_thread *t;
	int i;

	if (n <= 1 || (t = calloc((size_t)n, sizeof(*t))) == NULL) {
		for (i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	for (i = 1; i < n; i++) {
		t[i].fn = fn;
		t[i].arg = arg;
		t[i].i = i;
		t[i].started = start_thread(&t[i].t, NULL, par_main,
		    &t[i]) == 0;
	}
	fn(arg, 0);
	for (i = 1; i < n; i++) {
		if (t[i].started)
			pthread_join(t[i].t, NULL);
		else
			fn(arg, i);
	}
	free(t);
}
