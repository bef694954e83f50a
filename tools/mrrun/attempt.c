/*
 * attempt.c: one attempt of a task, here or on a host: build it, run it
 * with its stderr in the work directory's logs, claim and commit its
 * output when it is the first to succeed, log it, and say what happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"

/* An attempt killed by --timeout: timeout(1)'s exit status. */
#define TIMED_OUT	124

/* Where an attempt ran, for the job log and messages. */
static const char *
host_name(const struct host *h)
{
	return h != NULL ? h->name : ":";
}

/* Appends one attempt's line to the --joblog file. */
static void
log_attempt(struct mrrun *r, const struct task *t, const char *host,
    double start, double secs, int rc, uint64_t in, uint64_t out)
{
	char *script, *p;

	if (r->joblog == NULL)
		return;
	script = task_script(t);
	for (p = script; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	pthread_mutex_lock(&r->lock);
	fprintf(r->joblog, "%s\t%s\t%.3f\t%.3f\t%d\t%llu\t%llu\t%s\n", t->id,
	    host, start, secs, rc == HOST_LOST ? 255 : rc,
	    (unsigned long long)in, (unsigned long long)out, script);
	if (fflush(r->joblog) != 0)
		warnx("the job log: %s", strerror(errno));
	pthread_mutex_unlock(&r->lock);
	free(script);
}

/* Copies what a task wrote to its stderr to ours. */
static void
pass_stderr(const char *path)
{
	char buf[1 << 16];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	/* no message of another thread in the middle */
	flockfile(stderr);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	funlockfile(stderr);
	close(fd);
}

/*
 * Builds attempt number attempt of task i of ph, to run on h (NULL:
 * here), with the places of the map outputs in *where for a reduce task
 * on a host.
 */
static struct task *
build(struct mrrun *r, struct phase *ph, int i, struct host *h,
    int attempt, struct host ***where)
{
	struct job shaped;
	struct task *t;

	shaped = h != NULL ? r->host_job[h->index] : r->job;
	shaped.fetched = NULL;
	*where = NULL;
	if (h != NULL && ph == &r->reduce)
		*where = map_places(r, h, (char **)&shaped.fetched);
	t = ph->build(&shaped, i, attempt);
	free((char *)shaped.fetched);
	return t;
}

/*
 * Whether h, where an attempt of task i of ph failed (claimed: in
 * bringing back its output), is alive; else the attempt is lost with its
 * host and does not count against --retries.  A worker whose host dies
 * may see its task killed and report it before it dies itself, its
 * processes killed one by one: when the failure would fail the job, or
 * its output cannot be brought back, wait a moment for the channel to
 * break.  Other failures, retried anyway, ask at once.
 */
static int
alive(struct mrrun *r, struct phase *ph, int i, struct host *h, int claimed)
{
	int last;

	pthread_mutex_lock(&r->lock);
	last = ph->ts[i].failures >= r->retries;
	pthread_mutex_unlock(&r->lock);
	return host_alive(h, last || claimed ? HOST_GRACE_MS : 0);
}

/*
 * After an attempt of task i of ph on h ended with rc: claims the task
 * when the attempt succeeded first (*claimed), brings back what it left
 * on a host and commits it, with its bytes in *out.  Returns the
 * attempt's status now, with a message in msg.
 */
static int
conclude(struct mrrun *r, struct phase *ph, int i, struct host *h, int rc,
    int *claimed, uint64_t *out, char *msg, size_t msgsize)
{
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		if (ph->ts[i].state == RUNNING) {
			ph->ts[i].state = COMMITTING;
			*claimed = 1;
		} else
			rc = TASK_STOPPED;	/* another attempt won */
		pthread_mutex_unlock(&r->lock);
	}
	if (*claimed && h != NULL && (rc = collect(r, ph, i, h, msg,
	    msgsize)) != 0 && rc != HOST_LOST)
		rc = 1;
	if (h != NULL && rc != 0 && rc != TASK_STOPPED && rc != HOST_LOST &&
	    !alive(r, ph, i, h, *claimed)) {
		snprintf(msg, msgsize, "host %s was lost", h->name);
		rc = HOST_LOST;
	}
	if (*claimed && rc == 0 && ph->commit(r, i, out) < 0) {
		snprintf(msg, msgsize, "its output is missing");
		rc = 1;
	}
	return rc;
}

/* Says how an attempt that did not commit ended, or fails the job. */
static void
report(struct mrrun *r, const struct task *t, struct host *h, int rc,
    int fatal, int attempt, const char *msg, const char *err)
{
	if (fatal)
		fail(r, t, msg, attempt + 1, err);
	else if (rc == HOST_LOST && !stopping(r))
		warnx("%s on host %s: %s; it runs again elsewhere", t->what,
		    h->name, msg);
	else if (rc != 0 && rc != TASK_STOPPED && !stopping(r))
		warnx("%s failed%s%s (%s); trying again", t->what,
		    h != NULL ? " on host " : "", h != NULL ? h->name : "",
		    msg);
}

/*
 * Runs one attempt of task i of ph on h (NULL: here), whose run is
 * already on the task's list, and settles it.
 */
void
run_attempt(struct mrrun *r, struct phase *ph, int i, struct host *h,
    struct attempt *run, int attempt)
{
	struct host **where;
	struct task *t;
	struct timespec t0;
	uint64_t in, out = 0;
	char err[PATH_MAX], msg[512];
	double start, secs;
	int fd, rc, claimed = 0, fatal, stopped;

	/* the sample tasks of a total order run here, but for HOST:PATH */
	if (ph->here || (ph == &r->sample && r->job.broadcast == 0 &&
	    pinned(r, ph, i) < 0))
		h = NULL;
	t = build(r, ph, i, h, attempt, &where);
	in = ph->input != NULL ? ph->input(r, i) : t->bytes_in;
	snprintf(err, sizeof(err), "%s/logs/%s.%d", r->work, t->id, attempt);
	if ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) < 0)
		die("%s: %s", err, strerror(errno));
	pthread_mutex_lock(&r->lock);
	run->t = t;
	run->h = h;
	if (h != NULL)
		run->id = host_id();
	/* the job failed while this was built: kill_runs() missed it */
	stopped = r->failed || r->failing;
	pthread_mutex_unlock(&r->lock);
	clock_gettime(CLOCK_REALTIME, &t0);
	start = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stopped) {
		snprintf(msg, sizeof(msg), "the job failed");
		rc = TASK_STOPPED;
	} else if (h == NULL) {
		/* counting a split's bytes costs a copy: only for the line */
		if (!r->show_progress)
			t->counted = 0;
		rc = task_run(t, fd, msg, sizeof(msg));
	} else
		rc = remote_attempt(r, ph, i, t, h, where, run->id, fd, msg,
		    sizeof(msg));
	close(fd);
	pthread_mutex_lock(&r->lock);
	if (run->timed_out && rc != 0) {
		snprintf(msg, sizeof(msg), "it ran over --timeout, %g s",
		    r->timeout);
		rc = TIMED_OUT;
	}
	pthread_mutex_unlock(&r->lock);
	rc = conclude(r, ph, i, h, rc, &claimed, &out, msg, sizeof(msg));
	secs = since(&t0);
	if (rc != TASK_STOPPED || !stopping(r))
		log_attempt(r, t, host_name(h), start, secs, rc, in, out);
	if (rc == 0)
		pass_stderr(err);
	pthread_mutex_lock(&r->lock);
	run->t = NULL;
	if (rc == 0 && claimed)
		ph->ts[i].out = out;
	fatal = settle(r, ph, i, run, rc, claimed, secs);
	if (rc == 0 && claimed)
		ph->bytes_done += in;
	pthread_mutex_unlock(&r->lock);
	/* committed just as its host was lost: make it again */
	if (ph == &r->map && h != NULL && !h->up)
		remake_map(r, i);
	free(where);
	report(r, t, h, rc, fatal, attempt, msg, err);
	task_free(t);
}
