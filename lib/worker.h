/*
 * worker.h: one background thread, shared by the whole process, that runs
 * jobs in the order they were submitted.  The writers use it to checksum
 * and write full blocks while the caller goes on building the next one.
 * Every thread started here blocks SIGINT, SIGTERM and SIGHUP, so that
 * those reach the tool's main thread alone.  Internal to libmr.
 */
#ifndef MR_WORKER_H
#define MR_WORKER_H

struct worker_job {
	void (*run)(struct worker_job *);
	struct worker_job *next;
	int done;
};

/*
 * worker_submit() queues j; j->run must be set.  If the thread cannot be
 * started, j runs at once in the caller.  j must stay alive until
 * worker_wait(j) returns.
 */
void worker_submit(struct worker_job *j);

/* worker_wait() returns when j has run. */
void worker_wait(struct worker_job *j);

/*
 * worker_parallel() runs fn(arg, i) for i from 0 to n-1, each in a thread
 * of its own (i = 0 in the caller's), and returns when all have returned.
 * If a thread cannot be started, its share runs in the caller.
 */
void worker_parallel(int n, void (*fn)(void *, int), void *arg);

#endif
