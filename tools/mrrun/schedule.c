/*
 * schedule.c: the slot threads of a job, on this machine or on the
 * hosts, that pick the tasks that may run, run them one attempt at a
 * time (attempt.c) and settle how each attempt ended: retried, failed,
 * or committed; with --speculate, a backup attempt of a straggler.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"
#include "proc.h"
#include "work.h"

#define TAIL_LINES	10

/* A slot thread's argument: its job, and its host (NULL: here). */
struct slot {
	struct mrrun *r;
	struct host *h;
};

/* The seconds since t0, of the monotonic clock. */
double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The last lines of the file path, indented, appended to buf. */
static void
tail(const char *path, char *buf, size_t size)
{
	char data[4096], *p;
	ssize_t n;
	int lines = 0;
	size_t len;

	if ((n = file_tail(path, data, sizeof(data))) <= 0)
		return;
	if (data[n - 1] == '\n')
		data[--n] = '\0';
	for (p = data + n; p > data; p--)
		if (p[-1] == '\n' && ++lines == TAIL_LINES)
			break;
	len = strlen(buf);
	snprintf(buf + len, size - len, "\nmrrun: its stderr ended with:");
	while (*p != '\0' && (len = strlen(buf)) + 8 < size) {
		char *nl = strchr(p, '\n');
		int k = nl != NULL ? (int)(nl - p) : (int)strlen(p);

		snprintf(buf + len, size - len, "\n    %.*s", k, p);
		p += k + (nl != NULL);
	}
}

/*
 * Longest shell line that a failure message shows: a map task of many
 * reducers sorts each partition by a command of its own, megabytes of
 * them, which --dry-run prints in full.
 */
#define SCRIPT_SHOWN	4096

/*
 * Records the job's failure, the first only, and stops every task: t
 * failed attempts times with msg, and err names its stderr (or NULL).
 * The message is made before the lock is taken, and bounded, so that the
 * signal thread, which takes the lock, is never held up by it.
 */
void
fail(struct mrrun *r, const struct task *t, const char *msg, int attempts,
    const char *err)
{
	char *script, f[sizeof(r->failure)];
	size_t len, slen;
	int k, i;

	if (stopping(r))
		return;
	if (attempts > 1)
		snprintf(f, sizeof(f), "%s failed %d times: %s", t->what,
		    attempts, msg);
	else
		snprintf(f, sizeof(f), "%s failed: %s", t->what, msg);
	if (err != NULL)
		tail(err, f, sizeof(f));
	script = task_script(t);
	len = strlen(f);
	if ((slen = strlen(script)) <= SCRIPT_SHOWN)
		snprintf(f + len, sizeof(f) - len, "\nmrrun: to run it again "
		    "by hand:\n    %s", script);
	else
		snprintf(f + len, sizeof(f) - len, "\nmrrun: its shell line, "
		    "%zu bytes, is too long to show; --dry-run prints it",
		    slen);
	free(script);
	pthread_mutex_lock(&r->lock);
	if (r->failed) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	r->failed = 1;
	memcpy(r->failure, f, sizeof(f));
	/* the tasks on the hosts: the job ends now, not when they do */
	for (k = 0; k < NPHASES; k++)
		for (i = 0; r->phases[k]->ts != NULL && i < r->phases[k]->n;
		    i++)
			kill_runs(&r->phases[k]->ts[i]);
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	task_stop();
}

/* Whether the job is ending: failed, interrupted or cut short. */
int
stopping(struct mrrun *r)
{
	int s;

	pthread_mutex_lock(&r->lock);
	s = r->failed;
	pthread_mutex_unlock(&r->lock);
	return s;
}

/*
 * The tasks of ph are runnable when every earlier phase is done: a map
 * output that a lost host held makes the map phase undone again.
 */
static int
runnable(const struct mrrun *r, const struct phase *ph)
{
	int k;

	for (k = 0; k < NPHASES && r->phases[k] != ph; k++)
		if (r->phases[k]->done < r->phases[k]->n)
			return 0;
	return ph->done < ph->n;
}

/* Whether every task of the job is done; under lock. */
static int
all_done(const struct mrrun *r)
{
	int k;

	for (k = 0; k < NPHASES; k++)
		if (r->phases[k]->done < r->phases[k]->n)
			return 0;
	return 1;
}

/* The host that must run task i of ph, or -1 for any. */
int
pinned(const struct mrrun *r, const struct phase *ph, int i)
{
	if (ph == &r->sample)
		return r->job.splits[plan_sample_split(&r->job, i)].host;
	if (ph == &r->map && i < r->job.nsplits)
		return r->job.splits[i].host;
	return -1;
}

static int
by_seconds(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The running task of ph that a backup attempt on h should take over for
 * --speculate, or -1: one attempt only, not on h, running for more than
 * twice the median of the committed attempts and a second at least.
 */
static int
straggler(const struct mrrun *r, struct phase *ph, struct host *h)
{
	double *sorted, median, limit;
	int i, n = ph->ntook;

	if (n == 0 || ph->took == NULL)
		return -1;
	sorted = xmalloc((size_t)n * sizeof(*sorted));
	memcpy(sorted, ph->took, (size_t)n * sizeof(*sorted));
	qsort(sorted, (size_t)n, sizeof(*sorted), by_seconds);
	median = sorted[n / 2];
	free(sorted);
	limit = 2 * median > 1.0 ? 2 * median : 1.0;
	for (i = 0; i < ph->n; i++) {
		struct attempt *a = ph->ts[i].runs;

		if (ph->ts[i].state == RUNNING && a != NULL &&
		    a->next == NULL && a->h != h && pinned(r, ph, i) < 0 &&
		    since(&a->since) > limit)
			return i;
	}
	return -1;
}

/*
 * Whether task i of ph may start on h now: it is pending, and no attempt
 * of it still ends on h.  A map task made again after its host was lost
 * can still have a killed attempt there, which would share its files.
 */
static int
startable(const struct phase *ph, int i, const struct host *h)
{
	const struct attempt *a;

	if (ph->ts[i].state != PENDING)
		return 0;
	for (a = ph->ts[i].runs; a != NULL; a = a->next)
		if (a->h == h && h != NULL)
			return 0;
	return 1;
}

/*
 * Whether a slot of h should leave task i of ph to another host: its last
 * attempt failed on h, which may lack what it needs, and another host is
 * up to run it.  A task pinned to its input's host stays there.
 */
static int
elsewhere(const struct mrrun *r, const struct phase *ph, int i,
    const struct host *h)
{
	int k;

	if (h == NULL || ph->ts[i].failed_on != h || pinned(r, ph, i) >= 0)
		return 0;
	for (k = 0; k < r->nhosts; k++)
		if (&r->hosts[k] != h && r->hosts[k].up)
			return 1;
	return 0;
}

/*
 * Picks a task for a slot of h (NULL here), under lock: a pending task
 * whose input h holds, else any pending task that may run anywhere, else
 * a straggler.  Returns its number, with its phase in *php, or -1.
 */
static int
pick(struct mrrun *r, struct host *h, struct phase **php)
{
	struct phase *ph;
	int k, i, pin, want = h != NULL ? h->index : -1;

	if (r->failing)
		return -1;
	for (k = 0; k < NPHASES; k++) {
		ph = r->phases[k];
		if (!runnable(r, ph))
			continue;
		*php = ph;
		for (i = 0; i < ph->n; i++)
			if (want >= 0 && pinned(r, ph, i) == want &&
			    startable(ph, i, h))
				return i;
		for (i = 0; i < ph->n; i++) {
			pin = pinned(r, ph, i);
			if ((pin < 0 || r->nhosts == 0) &&
			    startable(ph, i, h) && !elsewhere(r, ph, i, h))
				return i;
		}
		if (r->speculate && h != NULL &&
		    (i = straggler(r, ph, h)) >= 0)
			return i;
		return -1;
	}
	return -1;
}

/* Kills the attempts of the task ts that still run; under lock. */
void
kill_runs(struct tstate *ts)
{
	struct attempt *a;

	for (a = ts->runs; a != NULL; a = a->next) {
		if (a->h != NULL)
			host_kill(a->h, a->id);
		else if (a->t != NULL)
			task_kill(a->t);
	}
}

/*
 * Settles an attempt of task i of ph that ended with rc, under lock:
 * its run is gone; a commit makes the task done and kills the other
 * attempts; a failure puts it back for another attempt, or fails the
 * job when it had its retries.  Returns 1 when the job is to fail.
 */
int
settle(struct mrrun *r, struct phase *ph, int i, struct attempt *run,
    int rc, int claimed, double secs)
{
	struct tstate *ts = &ph->ts[i];
	struct attempt **pp;

	for (pp = &ts->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	pthread_cond_broadcast(&r->changed);
	if (claimed && rc == 0) {
		ts->state = DONE;
		ts->where = run->h;
		if (ph->took == NULL)
			ph->took = xmalloc((size_t)ph->n * sizeof(double));
		if (ph->ntook < ph->n)
			ph->took[ph->ntook++] = secs;
		ph->done++;
		kill_runs(ts);
		return 0;
	}
	if (ts->state == DONE || (ts->state == COMMITTING && !claimed))
		return 0;
	ts->state = ts->runs != NULL ? RUNNING : PENDING;
	if (rc == TASK_STOPPED || rc == HOST_LOST)
		return 0;
	proc_count_add("mr", "FAILED_ATTEMPTS", 1);
	ts->failed_on = run->h;
	if (++ts->failures <= r->retries)
		return 0;
	/* no attempt starts while fail() says why, outside the lock */
	r->failing = 1;
	return 1;
}

/* Waits, under lock, for a change or secs seconds, at most a second. */
static void
wait_for_change(struct mrrun *r, double secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)((secs < 1 ? secs : 1) * 1e9);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&r->changed, &r->lock, &ts);
}

/* Waits, under lock, for a change or a fifth of a second. */
static void
wait_a_little(struct mrrun *r)
{
	wait_for_change(r, 0.2);
}

/*
 * ph is the phase that runs now, under lock.  The bytes that the reduce
 * phase reads are known once the map outputs are.
 */
static void
phase_starts(struct mrrun *r, struct phase *ph)
{
	int i;

	r->cur = ph;
	clock_gettime(CLOCK_MONOTONIC, &ph->started);
	if (ph != &r->reduce)
		return;
	ph->bytes = 0;
	for (i = 0; i < r->map.n; i++)
		ph->bytes += r->map.ts[i].out;
}

/*
 * A slot: runs tasks on h (NULL: here) until the job is done or failed,
 * or h is lost.  The last slot to end fails a job that is not done.
 */
static void *
slot(void *arg)
{
	struct slot *s = arg;
	struct mrrun *r = s->r;
	struct host *h = s->h;
	struct phase *ph = NULL;
	struct attempt *run;
	int i, attempt;

	pthread_mutex_lock(&r->lock);
	while (!r->failed && !all_done(r) && (h == NULL || h->up)) {
		if ((i = pick(r, h, &ph)) < 0) {
			wait_a_little(r);
			continue;
		}
		if (r->cur != ph)
			phase_starts(r, ph);
		run = xmalloc(sizeof(*run));
		memset(run, 0, sizeof(*run));
		run->h = h;
		clock_gettime(CLOCK_MONOTONIC, &run->since);
		run->next = ph->ts[i].runs;
		ph->ts[i].runs = run;
		ph->ts[i].state = RUNNING;
		attempt = ph->ts[i].attempts++;
		pthread_mutex_unlock(&r->lock);
		run_attempt(r, ph, i, h, run, attempt);
		free(run);
		pthread_mutex_lock(&r->lock);
	}
	if (--r->slots_left == 0 && !r->failed && !all_done(r)) {
		r->failed = 1;
		snprintf(r->failure, sizeof(r->failure), "every host was lost");
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * Kills the attempts of ts that have run over --timeout, under lock: the
 * whole process group here, the task on a host; each is marked timed
 * out, a failure that its slot reports.  An attempt runs once its task is
 * set.
 */
static void
expire(const struct mrrun *r, struct tstate *ts)
{
	struct attempt *a;

	for (a = ts->runs; a != NULL; a = a->next) {
		if (a->timed_out || a->t == NULL ||
		    since(&a->since) <= r->timeout)
			continue;
		a->timed_out = 1;
		if (a->h != NULL)
			host_kill(a->h, a->id);
		else
			task_kill(a->t);
	}
}

/*
 * With --timeout: kills the attempts that run over it, looking every
 * tenth of it (a millisecond at least, a fifth of a second at most), so
 * a tenth late at most; until every slot has ended.
 */
static void *
watchdog(void *arg)
{
	struct mrrun *r = arg;
	double tick = r->timeout / 10;
	struct phase *ph;
	int k, i;

	tick = tick < 0.001 ? 0.001 : tick > 0.2 ? 0.2 : tick;
	pthread_mutex_lock(&r->lock);
	while (r->slots_left > 0) {
		for (k = 0; k < NPHASES; k++)
			for (ph = r->phases[k], i = 0; ph->ts != NULL &&
			    i < ph->n; i++)
				expire(r, &ph->ts[i]);
		wait_for_change(r, tick);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * Ends mrrun as a filter ends on SIGPIPE, leaving nothing: once every
 * slot has ended, the work directory goes.
 */
static void
reader_gone(struct mrrun *r, pthread_t *t, int n)
{
	int i;

	pthread_mutex_lock(&r->lock);
	r->failed = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	task_stop();
	stop_hosts(r);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (!r->keep_temp)
		rm_rf(r->work);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(1);
}

/*
 * Runs the job's tasks on the slots of the hosts, or on --jobs threads
 * here, and returns when every slot has ended.  A job writing to stdout
 * sends each part there as it commits, in order.
 */
void
run_job(struct mrrun *r)
{
	struct slot *s;
	pthread_t *t, wd;
	int n = 0, i, k, parts, rc;

	for (k = 0; k < r->nhosts; k++)
		if (r->hosts[k].up)
			n += r->hosts[k].slots;
	if (r->nhosts == 0)
		n = r->jobs;
	t = xmalloc((size_t)(n + 1) * sizeof(*t));
	s = xmalloc((size_t)(n + 1) * sizeof(*s));
	pthread_mutex_lock(&r->lock);
	r->slots_left = n;
	pthread_mutex_unlock(&r->lock);
	if (r->timeout > 0 && pthread_create(&wd, NULL, watchdog, r) != 0)
		die("cannot start a thread");
	for (i = 0, k = 0; i < n; k++) {
		struct host *h = r->nhosts > 0 ? &r->hosts[k] : NULL;
		int m = h != NULL ? (h->up ? h->slots : 0) : n;

		for (; m > 0; m--, i++) {
			s[i].r = r;
			s[i].h = h;
			if (pthread_create(&t[i], NULL, slot, &s[i]) != 0)
				die("cannot start a thread");
		}
	}
	parts = r->job.reducers > 0 ? r->job.reducers : r->map.n;
	for (i = 0; i < parts && r->outdir == NULL; i++)
		if ((rc = emit_part(r, i)) == -2)
			reader_gone(r, t, n);
		else if (rc < 0)
			break;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (r->timeout > 0)
		pthread_join(wd, NULL);
	free(s);
	free(t);
}
