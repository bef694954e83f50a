/*
 * pool.h: the threads of libmr.  One background thread, shared by the
 * whole process, runs jobs in the order they were submitted: the writers
 * use it to checksum and write full blocks while the caller goes on
 * building the next one.  mr_parallel() (mr.h) runs one function on
 * several threads at once.  Every thread started here blocks SIGINT,
 * SIGTERM and SIGHUP, so that those reach the tool's main thread alone.
 * Internal to libmr.
 */
#ifndef MR_POOL_H
#define MR_POOL_H

struct pool_job {
	void (*run)(struct pool_job *);
	struct pool_job *next;
	int done;
};

/*
 * pool_submit() queues j; j->run must be set.  If the thread cannot be
 * started, j runs at once in the caller.  j must stay alive until
 * pool_wait(j) returns.
 */
void pool_submit(struct pool_job *j);

/* pool_wait() returns when j has run. */
void pool_wait(struct pool_job *j);

#endif
