/*
 * mrrun.h: the state of one mrrun job and the functions that its files
 * share.  One struct mrrun holds the job: what the command line asked
 * for, the work directory, the hosts, the phases and their tasks, and
 * what the slot threads share under its lock.  main.c makes it and hands
 * it to options.c (the command line), setup.c (the work directory and
 * the inputs), schedule.c and attempt.c (running the tasks), shuffle.c
 * and cluster.c (the hosts), commit.c and counters.c (the output).
 */
#ifndef MR_MRRUN_H
#define MR_MRRUN_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hosts.h"
#include "plan.h"
#include "task.h"

/* The states of a task of a phase. */
enum { PENDING, RUNNING, COMMITTING, DONE };

/* An attempt of a task that runs now, on a host or (h NULL) here. */
struct attempt {
	struct host *h;
	uint32_t id;		/* host_run()'s, for host_kill() */
	struct task *t;		/* here: for task_kill() */
	struct timespec since;
	int timed_out;		/* killed by --timeout */
	struct attempt *next;
};

/* A task of a phase: where it stands and what it left. */
struct tstate {
	char state;
	int attempts;		/* started so far: the next one's number */
	int failures;		/* those that count against --retries */
	struct attempt *runs;
	struct host *where;	/* the host that holds its output */
	struct host *failed_on;	/* where its last failed attempt ran */
	uint64_t out;		/* the bytes it committed */
};

struct mrrun;

/* One phase of the job: its tasks, run by the slot threads. */
struct phase {
	const char *name;
	int n;
	struct task *(*build)(const struct job *, int, int);
	/* the bytes task i reads, or NULL */
	uint64_t (*input)(struct mrrun *, int);
	int (*commit)(struct mrrun *, int, uint64_t *);
	int here;		/* its tasks run on this machine, always */
	struct tstate *ts;
	int done;
	uint64_t bytes, bytes_done;
	double *took;		/* the seconds of the committed attempts */
	int ntook;
	struct timespec started;
};

#define NPHASES	4

struct mrrun {
	/* What the command line asked for (options.c). */
	struct job job;
	const char *outdir;	/* --output, or NULL for stdout */
	const char *outpath;	/* outdir, from the tasks' directory */
	int reducers;		/* -n, or -1 */
	int jobs, jobs_given, retries, show_progress, quiet, stats;
	double timeout;		/* --timeout: seconds an attempt may run, or 0 */
	int resume, force, keep_temp, dry_run;
	int count_output;	/* count the lines a reducer command wrote */
	const char *joblog_path, *hosts_arg;
	const char **files;	/* --file */
	int nfiles;
	uint64_t name;		/* plan_name(): the command, the same again */
	char **inputs;		/* the operands */
	int *input_group;	/* the group of each */
	int ninputs, uses_stdin;

	/* The work directory (setup.c). */
	char *work, *staged;	/* the work directory, and its "out" */
	char *stdin_copy;	/* standard input, saved there, or NULL */
	FILE *joblog;
	sigset_t sigs;		/* what the signal thread waits for */
	pthread_t progthread;	/* the progress line's */

	/* The hosts of a job over ssh (none in local mode). */
	struct host *hosts;
	int nhosts, speculate, direct;
	struct reach reach;
	struct job *host_job;	/* per host: work is its scratch */
	uint64_t *part_bytes;	/* [i * reducers + r] of a remote map */
	char ctldir[64];	/* ssh's control sockets, here */

	/* Framed output on stdout, one stream (commit.c, main thread). */
	int out_begun;		/* its header is written */
	uint64_t out_records;	/* the records of the parts written */

	struct phase sample, points, map, reduce;
	struct phase *phases[NPHASES];	/* in the order they run */

	/* What the threads share, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct phase *cur;	/* the phase that runs, for progress */
	char *committed;	/* output parts that are complete */
	int slots_left;		/* slot threads that have not ended */
	int failed, finished, interrupted;
	int failing;		/* a task failed for good: start no attempt */
	char failure[8192];
};

/* options.c: the usage text, and reading and checking the command line. */
extern const char mrrun_usage[];
void options_parse(struct mrrun *r, int argc, char **argv);
void options_check(struct mrrun *r);

/* setup.c: the inputs and the work directory, made ready to run. */
struct mrrun *mrrun_new(void);
char *path_join(const char *dir, const char *name);
void inputs_check(struct mrrun *r);
void job_start(struct mrrun *r);
void dry_run(struct mrrun *r);

/* schedule.c and attempt.c: the slot threads and what they run. */
double since(const struct timespec *t0);
void run_job(struct mrrun *r);
void run_attempt(struct mrrun *r, struct phase *ph, int i, struct host *h,
    struct attempt *run, int attempt);
int settle(struct mrrun *r, struct phase *ph, int i, struct attempt *run,
    int rc, int claimed, double secs);
void fail(struct mrrun *r, const struct task *t, const char *msg,
    int attempts, const char *err);
int stopping(struct mrrun *r);
int pinned(const struct mrrun *r, const struct phase *ph, int i);
void kill_runs(struct tstate *ts);

/* progress.c: the progress line. */
void progress_start(struct mrrun *r, pthread_t *t);

/* commit.c and counters.c: the tasks' outputs, the counters, the output. */
int commit_map(struct mrrun *r, int i, uint64_t *bytes_out);
int commit_points(struct mrrun *r, int i, uint64_t *bytes_out);
int commit_reduce(struct mrrun *r, int i, uint64_t *bytes_out);
int commit_sample(struct mrrun *r, int i, uint64_t *bytes_out);
uint64_t reduce_input(struct mrrun *r, int i);
int map_output(struct mrrun *r, int i, uint32_t *crc, uint64_t *bytes);
int emit_part(struct mrrun *r, int i);
int job_finish(struct mrrun *r);
enum { COUNTS_TASK, COUNTS_COMBINER, COUNTS_PARTITION, COUNTS_JOIN };
long long read_counters(struct mrrun *r, const char *path, int kind,
    const char *want, int sign);
long long map_counters(struct mrrun *r, int i, uint64_t bytes, int sign);
long long count_lines(const struct mrrun *r, const char *path);
int write_counters(FILE *fp);

/* shuffle.c and cluster.c: the hosts, and moving files to and from them. */
void start_hosts(struct mrrun *r);
void stop_hosts(struct mrrun *r);
void host_jobs(struct mrrun *r);
const char *on_host(const struct host *h, const char *path);
void copy_to_host(struct host *h, const char *path, const char *dest);
void remake_map(struct mrrun *r, int i);
struct host **map_places(struct mrrun *r, const struct host *h,
    char **fetched);
int remote_attempt(struct mrrun *r, struct phase *ph, int i,
    struct task *t, struct host *h, struct host **where, uint32_t id,
    int errfd, char *msg, size_t msgsize);
int collect(struct mrrun *r, struct phase *ph, int i, struct host *h,
    char *msg, size_t msgsize);

#endif
