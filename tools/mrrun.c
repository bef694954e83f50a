/*
 * mrrun: run a whole MapReduce job from one command, on this machine.
 * The plan (plan.c) makes the tasks; here they run on --jobs threads,
 * each task a set of processes (task.c), retried when they fail, and the
 * output is committed whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "plan.h"
#include "proc.h"
#include "remote.h"
#include "task.h"
#include "work.h"

#define DEFAULT_SPLIT	(64ULL << 20)
#define MAX_REDUCERS	100000
#define TAIL_LINES	10

static const char usage_text[] =
    "usage: mrrun -m CMD -r OP|CMD|NONE [-c OP|CMD] [-j N] [-n N] "
    "[-o DIR] [-t SEP] [-z]\n"
    "             [--dry-run] [--force] [--framed] [--joblog FILE] "
    "[--keep-temp]\n"
    "             [--memory SIZE] [--numeric] [--partition-fields K] "
    "[--progress]\n"
    "             [--quiet] [--resume] [--retries N] [--reverse] "
    "[--split-size SIZE]\n"
    "             [--stats] [--tmpdir DIR] [--total-order] [--values] "
    "[INPUT ...]\n";

/* One phase of the job: its tasks, run by the slot threads. */
struct phase {
	const char *name;
	int n;
	struct task *(*build)(const struct job *, int, int);
	void (*prepare)(int);	/* before each attempt of task i, or NULL */
	uint64_t (*input)(int);	/* the bytes task i reads, or NULL */
	int (*commit)(int, uint64_t *);
	char *reused;		/* tasks the manifest had, or NULL */
	int next, done;
	uint64_t bytes, bytes_done;
	struct timespec started;
};

static struct job job;
static const char *outdir;	/* --output, or NULL for stdout */
static char *work, *staged;	/* the work directory, and its "out" */
static int jobs, retries = 3, show_progress, stats, resume, force;
static int keep_temp, dry_run;
static int count_output;	/* mrreduce leaves a command's text uncounted */
static FILE *joblog;

/* The state that the slot threads share, under state. */
static pthread_mutex_t state = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct phase *cur;
static char *committed;		/* output parts that are complete */
static int failed, finished, interrupted;
static char failure[8192];

/* The directories of the work directory, beside "lock" and "manifest". */
static const char *const subdirs[] = { "map", "reduce", "sample", "out",
    "logs" };

static const char *const builtin_counters[] = {
	"MAP_INPUT_RECORDS", "MAP_INPUT_BYTES", "MAP_OUTPUT_RECORDS",
	"COMBINE_INPUT_RECORDS", "COMBINE_OUTPUT_RECORDS",
	"REDUCE_INPUT_GROUPS", "REDUCE_INPUT_RECORDS",
	"REDUCE_OUTPUT_RECORDS", "SPILLED_BYTES", "FAILED_ATTEMPTS",
};

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

/* dir/name, allocated. */
static char *
path_join(const char *dir, const char *name)
{
	char *p = xmalloc(strlen(dir) + strlen(name) + 2);

	sprintf(p, "%s/%s", dir, name);
	return p;
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Adds the counters in the --counters file path of mrmap or mrreduce,
 * and returns the value of the built-in counter want (NULL for none);
 * -1 when the file cannot be read.  A command combiner's mrreduce counts
 * for the combine counters.
 */
static long long
read_counters(const char *path, int combiner, const char *want)
{
	char line[1024], *group, *name, *val;
	long long found = 0;
	FILE *fp;
	int fd;

	/* close-on-exec: tasks start on other threads meanwhile */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	pthread_mutex_lock(&state);
	while (fgets(line, sizeof(line), fp) != NULL) {
		group = line;
		if ((name = strchr(group, '\t')) == NULL ||
		    (val = strchr(++name, '\t')) == NULL)
			continue;
		name[-1] = '\0';
		*val++ = '\0';
		if (strcmp(group, "mr") == 0 && combiner) {
			if (strcmp(name, "REDUCE_INPUT_RECORDS") == 0)
				name = "COMBINE_INPUT_RECORDS";
			else if (strcmp(name, "REDUCE_OUTPUT_RECORDS") == 0)
				name = "COMBINE_OUTPUT_RECORDS";
			else
				continue;
		}
		if (strcmp(group, "mr") == 0 &&
		    strcmp(name, "SKIPPED_VALUES") == 0)
			continue;
		if (want != NULL && strcmp(group, "mr") == 0 &&
		    strcmp(name, want) == 0)
			found = strtoll(val, NULL, 10);
		proc_count_add(group, name, strtoll(val, NULL, 10));
	}
	pthread_mutex_unlock(&state);
	fclose(fp);
	return found;
}

/* The built-in counters first, in the order they came; then by name. */
static int
by_counter(const void *a, const void *b)
{
	const struct proc_counter *const *x = a, *const *y = b;
	int xmr = strcmp((*x)->group, "mr") == 0;
	int ymr = strcmp((*y)->group, "mr") == 0;
	int c;

	if (xmr || ymr)
		return xmr && ymr ? (*x > *y) - (*x < *y) : ymr - xmr;
	if ((c = strcmp((*x)->group, (*y)->group)) != 0)
		return c;
	return strcmp((*x)->name, (*y)->name);
}

/* Writes the counters, sorted, as GROUP<TAB>NAME<TAB>TOTAL lines. */
static int
write_counters(FILE *fp)
{
	const struct proc_counter *c, **order;
	size_t n, i;

	c = proc_counters(&n);
	order = xmalloc((n + 1) * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &c[i];
	qsort(order, n, sizeof(*order), by_counter);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s\t%s\t%lld\n", order[i]->group,
		    order[i]->name, order[i]->total);
	free(order);
	return fflush(fp);
}

/* The size and CRC of the map output of task i. */
static int
map_output(int i, uint32_t *crc, uint64_t *bytes)
{
	char *p;
	int r, rc = 0;

	*crc = 0;
	*bytes = 0;
	if (job.reducers == 0) {
		p = plan_file(&job, PLAN_OUT_PART, 0, i);
		rc = file_sum(p, crc, bytes);
		free(p);
	}
	for (r = 0; r < job.reducers && rc == 0; r++) {
		p = plan_file(&job, PLAN_MAP_PART, i, r);
		rc = file_sum(p, crc, bytes);
		free(p);
	}
	return rc;
}

/*
 * Adds the counters of map task i, from the files it left, and returns
 * the records it wrote, or -1 when a counters file is missing (before
 * adding any).
 */
static long long
map_counters(int i, uint64_t bytes)
{
	long long records, n = 0;
	int r, cmd = job.combiner != NULL && !job.combine_builtin;
	char *p;

	for (r = 0; cmd && r < job.reducers; r++) {
		p = plan_file(&job, PLAN_COMBINE_COUNTERS, i, r);
		if (access(p, R_OK) < 0)
			n = -1;
		free(p);
	}
	p = plan_file(&job, PLAN_MAP_COUNTERS, i, 0);
	if (n < 0 || (records = read_counters(p, 0, job.combine_builtin ?
	    "COMBINE_OUTPUT_RECORDS" : "MAP_OUTPUT_RECORDS")) < 0) {
		free(p);
		return -1;
	}
	free(p);
	for (r = 0; cmd && r < job.reducers; r++) {
		p = plan_file(&job, PLAN_COMBINE_COUNTERS, i, r);
		n = read_counters(p, 1, "REDUCE_OUTPUT_RECORDS");
		records = r == 0 ? n : records + n;
		free(p);
	}
	if (job.reducers > 0) {
		pthread_mutex_lock(&state);
		proc_count_add("mr", "SPILLED_BYTES", (long long)bytes);
		pthread_mutex_unlock(&state);
	}
	return records;
}

static int
commit_map(int i, uint64_t *bytes_out)
{
	long long records;
	char id[24];
	uint32_t crc;

	if (map_output(i, &crc, bytes_out) < 0 ||
	    (records = map_counters(i, *bytes_out)) < 0) {
		warnx("map task %d: %s", i, strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "m-%05d", i);
	manifest_add(id, (uint64_t)records, crc, *bytes_out);
	if (job.reducers == 0) {
		pthread_mutex_lock(&state);
		committed[i] = 1;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&state);
	}
	return 0;
}

static int
commit_points(int i, uint64_t *bytes_out)
{
	uint32_t crc = 0;
	char *p;

	(void)i;
	*bytes_out = 0;
	p = plan_file(&job, PLAN_POINTS, 0, 0);
	if (file_sum(p, &crc, bytes_out) < 0) {
		warnx("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	manifest_add("points", 0, crc, *bytes_out);
	return 0;
}

static int
commit_sample(int i, uint64_t *bytes_out)
{
	(void)i;
	*bytes_out = 0;
	return 0;
}

/* Counts the lines of a text part that a reducer command wrote. */
static long long
count_lines(const char *path)
{
	char buf[1 << 16], eol = job.zero ? '\0' : '\n', last = 0;
	long long n = 0, bytes = 0;
	ssize_t got, k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		for (k = 0; k < got; k++)
			n += buf[k] == eol;
		last = buf[got - 1];
		bytes += got;
	}
	close(fd);
	return n + (bytes > 0 && last != eol);
}

static int
commit_reduce(int r, uint64_t *bytes_out)
{
	struct stat st;
	char *p = plan_file(&job, PLAN_OUT_PART, 0, r), *c;
	long long lines;

	if (stat(p, &st) < 0) {
		warnx("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	*bytes_out = (uint64_t)st.st_size;
	c = plan_file(&job, PLAN_REDUCE_COUNTERS, 0, r);
	if (read_counters(c, 0, NULL) < 0) {
		warnx("%s: %s", c, strerror(errno));
		free(c);
		free(p);
		return -1;
	}
	free(c);
	lines = count_output ? count_lines(p) : 0;
	pthread_mutex_lock(&state);
	if (count_output)
		proc_count_add("mr", "REDUCE_OUTPUT_RECORDS", lines);
	committed[r] = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
	free(p);
	return 0;
}

/* The bytes a reduce task reads: its partition of every map output. */
static uint64_t
reduce_input(int r)
{
	struct stat st;
	uint64_t n = 0;
	char *p;
	int i;

	for (i = 0; i < job.nsplits; i++) {
		p = plan_file(&job, PLAN_MAP_PART, i, r);
		if (stat(p, &st) == 0)
			n += (uint64_t)st.st_size;
		free(p);
	}
	return n;
}

/* A map attempt starts with no file of an earlier one. */
static void
prepare_map(int i)
{
	char *dir = plan_file(&job, PLAN_MAP_DIR, i, 0);

	if (rm_rf(dir) < 0)
		die("%s: %s", dir, strerror(errno));
	free(dir);
}

/* Appends one attempt's line to the --joblog file. */
static void
log_attempt(const struct task *t, double start, double secs, int rc,
    uint64_t in, uint64_t out)
{
	char *script, *p;

	if (joblog == NULL)
		return;
	script = task_script(t);
	for (p = script; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	pthread_mutex_lock(&state);
	fprintf(joblog, "%s\t:\t%.3f\t%.3f\t%d\t%llu\t%llu\t%s\n", t->id,
	    start, secs, rc, (unsigned long long)in,
	    (unsigned long long)out, script);
	if (fflush(joblog) != 0)
		warnx("the job log: %s", strerror(errno));
	pthread_mutex_unlock(&state);
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
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	close(fd);
}

/* The last lines of the file path, indented, appended to buf. */
static void
tail(const char *path, char *buf, size_t size)
{
	char data[4096], *p;
	ssize_t n = 0;
	off_t end;
	int fd, lines = 0;
	size_t len;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && lseek(fd, end > (off_t)sizeof(data) - 1 ?
	    end - (off_t)sizeof(data) + 1 : 0, SEEK_SET) >= 0)
		n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return;
	data[n] = '\0';
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

/* Records the job's failure, the first only, and stops every task. */
static void
fail(const struct task *t, const char *msg, int attempts, const char *err)
{
	char *script;
	size_t len;

	pthread_mutex_lock(&state);
	if (failed) {
		pthread_mutex_unlock(&state);
		return;
	}
	failed = 1;
	if (attempts > 1)
		snprintf(failure, sizeof(failure), "%s failed %d times: %s",
		    t->what, attempts, msg);
	else
		snprintf(failure, sizeof(failure), "%s failed: %s", t->what,
		    msg);
	if (err != NULL)
		tail(err, failure, sizeof(failure));
	script = task_script(t);
	len = strlen(failure);
	snprintf(failure + len, sizeof(failure) - len, "\nmrrun: to run it "
	    "again by hand:\n    %s", script);
	free(script);
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
	task_stop();
}

/* Whether the job is ending: failed, interrupted or cut short. */
static int
stopping(void)
{
	int s;

	pthread_mutex_lock(&state);
	s = failed;
	pthread_mutex_unlock(&state);
	return s;
}

/*
 * Runs task i of phase ph until an attempt commits, at most 1 + retries
 * attempts, and fails the job when none does.
 */
static void
run_task(struct phase *ph, int i)
{
	struct task *t = NULL;
	struct timespec t0;
	uint64_t in, out;
	char err[PATH_MAX], msg[512];
	double start;
	int attempt, fd, rc = 0;

	for (attempt = 0; attempt <= retries && !stopping(); attempt++) {
		task_free(t);
		t = ph->build(&job, i, attempt);
		if (ph->prepare != NULL)
			ph->prepare(i);
		in = ph->input != NULL ? ph->input(i) : t->bytes_in;
		snprintf(err, sizeof(err), "%s/logs/%s.%d", work, t->id,
		    attempt);
		if ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
		    O_CLOEXEC, 0600)) < 0) {
			if (stopping())
				break;
			die("%s: %s", err, strerror(errno));
		}
		clock_gettime(CLOCK_REALTIME, &t0);
		start = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = task_run(t, fd, msg, sizeof(msg));
		close(fd);
		out = 0;
		if (rc == 0 && ph->commit(i, &out) < 0) {
			snprintf(msg, sizeof(msg), "its output is missing");
			rc = 1;
		}
		if (rc == TASK_STOPPED)
			break;
		log_attempt(t, start, since(&t0), rc, in, out);
		if (rc == 0) {
			pass_stderr(err);
			pthread_mutex_lock(&state);
			ph->done++;
			ph->bytes_done += t->bytes_in;
			pthread_mutex_unlock(&state);
			break;
		}
		pthread_mutex_lock(&state);
		proc_count_add("mr", "FAILED_ATTEMPTS", 1);
		pthread_mutex_unlock(&state);
		if (attempt < retries)
			warnx("%s failed (%s); trying again", t->what, msg);
		else
			fail(t, msg, attempt + 1, err);
	}
	task_free(t);
}

static void *
slot(void *arg)
{
	struct phase *ph = arg;
	int i;

	for (;;) {
		pthread_mutex_lock(&state);
		i = failed || ph->next >= ph->n ? -1 : ph->next++;
		pthread_mutex_unlock(&state);
		if (i < 0)
			return NULL;
		if (ph->reused == NULL || !ph->reused[i])
			run_task(ph, i);
	}
}

/* Writes len bytes to stdout; a reader that went away ends mrrun. */
static void
write_out(const char *buf, size_t len)
{
	ssize_t w;

	for (; len > 0; buf += w, len -= (size_t)w) {
		if ((w = write(STDOUT_FILENO, buf, len)) >= 0)
			continue;
		w = 0;
		if (errno == EINTR)
			continue;
		if (errno != EPIPE)
			die("stdout: %s", strerror(errno));
		/* end as a filter ends on SIGPIPE, leaving nothing */
		pthread_mutex_lock(&state);
		failed = 1;
		pthread_mutex_unlock(&state);
		task_stop();
		if (!keep_temp)
			rm_rf(work);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(1);
	}
}

/*
 * Writes part i of the output to stdout once it is committed.  A text
 * part whose last line a reducer command left unterminated gets its
 * terminator, so that it does not run into the next part's first line.
 */
static int
emit_part(int i)
{
	char buf[1 << 16], *p, last = 0, eol = job.zero ? '\0' : '\n';
	ssize_t n;
	int fd;

	pthread_mutex_lock(&state);
	while (!committed[i] && !failed)
		pthread_cond_wait(&changed, &state);
	pthread_mutex_unlock(&state);
	if (!committed[i])
		return -1;
	p = plan_file(&job, PLAN_OUT_PART, 0, i);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		die("%s: %s", p, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("%s: %s", p, strerror(errno));
		}
		write_out(buf, (size_t)n);
		last = buf[n - 1];
	}
	if (!job.framed && n == 0 && lseek(fd, 0, SEEK_CUR) > 0 &&
	    last != eol)
		write_out(&eol, 1);
	close(fd);
	free(p);
	return 0;
}

/*
 * Runs the tasks of ph on up to --jobs threads.  The last phase of a job
 * writing to stdout sends each part there as it commits, in order.
 */
static void
run_phase(struct phase *ph, int parts)
{
	pthread_t *t;
	int n, i;

	pthread_mutex_lock(&state);
	cur = ph;
	clock_gettime(CLOCK_MONOTONIC, &ph->started);
	pthread_mutex_unlock(&state);
	n = jobs < ph->n ? jobs : ph->n;
	t = xmalloc((size_t)(n + 1) * sizeof(*t));
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, slot, ph) != 0)
			die("cannot start a thread");
	for (i = 0; i < parts && outdir == NULL; i++)
		if (emit_part(i) < 0)
			break;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* Prints the phase's progress on stderr a few times a second. */
static void *
progress(void *arg)
{
	const struct timespec tick = { 0, 250 * 1000 * 1000 };
	int tty = isatty(STDERR_FILENO), ticks = 0;
	char line[200];

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&state);
		if (finished) {
			pthread_mutex_unlock(&state);
			break;
		}
		if (cur != NULL) {
			double secs = since(&cur->started), rate;

			rate = secs > 0 ? (double)cur->bytes_done / secs : 0;
			snprintf(line, sizeof(line), "mrrun: %s %d/%d tasks, "
			    "%.1f of %.1f MB, %.1f MB/s", cur->name,
			    cur->done, cur->n, cur->bytes_done / 1e6,
			    cur->bytes / 1e6, rate / 1e6);
			if (rate > 0 && cur->bytes > cur->bytes_done) {
				size_t len = strlen(line);

				snprintf(line + len, sizeof(line) - len,
				    ", ETA %.0fs", (double)(cur->bytes -
				    cur->bytes_done) / rate);
			}
		} else
			line[0] = '\0';
		pthread_mutex_unlock(&state);
		if (line[0] == '\0')
			continue;
		if (tty)
			fprintf(stderr, "\r%s\033[K", line);
		else if (++ticks % 4 == 0)
			fprintf(stderr, "%s\n", line);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	return NULL;
}

/* Stops the job on SIGINT, SIGTERM or SIGHUP, keeping its work. */
static void *
on_signal(void *arg)
{
	sigset_t *set = arg;
	int sig;

	if (sigwait(set, &sig) != 0)
		return NULL;
	pthread_mutex_lock(&state);
	failed = interrupted = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
	task_stop();
	fprintf(stderr, "\n%s: interrupted; the work directory %s is kept "
	    "for --resume\n", progname, work);
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* Copies standard input to the work directory, so tasks can split it. */
static char *
save_stdin(void)
{
	char buf[1 << 16], *path = path_join(work, "stdin");
	ssize_t n;
	int fd;

	if (isatty(STDIN_FILENO))
		warnx("reading the input from the terminal");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		die("%s: %s", path, strerror(errno));
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("stdin: %s", strerror(errno));
		}
		if (write(fd, buf, (size_t)n) != n)
			die("%s: %s", path, strerror(errno));
	}
	if (close(fd) < 0)
		die("%s: %s", path, strerror(errno));
	return path;
}

/*
 * The work directory: beside the output directory, so the output is
 * renamed into place; for stdout, under the temp directory, named by a
 * hash of the command, so the same command finds it again for --resume.
 */
static char *
work_path(char **operands, int n)
{
	char cwd[PATH_MAX], *p, *slash, *w;
	const char *tmp;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	if (outdir != NULL) {
		p = xmalloc(strlen(cwd) + strlen(outdir) + 2);
		if (outdir[0] == '/')
			strcpy(p, outdir);
		else
			sprintf(p, "%s/%s", cwd, outdir);
		while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
			p[strlen(p) - 1] = '\0';
		if (strcmp(p, "/") == 0)
			usage_error(usage_text, "-o /: the output must be a "
			    "directory of its own");
		slash = strrchr(p, '/');
		w = xmalloc(strlen(p) + 16);
		sprintf(w, "%.*s/.%s.mrrun", (int)(slash - p), p, slash + 1);
		free(p);
		return w;
	}
	if ((tmp = job.tmpdir) == NULL && ((tmp = getenv("TMPDIR")) == NULL ||
	    *tmp == '\0'))
		tmp = "/tmp";
	w = xmalloc(strlen(tmp) + 64);
	sprintf(w, "%s/mrrun-%ld-%016llx", tmp, (long)geteuid(),
	    (unsigned long long)plan_name(&job, operands, n, cwd));
	return w;
}

/*
 * Where the mr tools are: beside mrrun when it was run by a path and they
 * are there; otherwise "", for the PATH.
 */
static const char *
tool_dir(const char *argv0)
{
	char cwd[PATH_MAX], *dir, *slash, *probe;

	if ((slash = strrchr(argv0, '/')) == NULL)
		return "";
	if (argv0[0] == '/')
		dir = xstrdup(argv0);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return "";
		dir = path_join(cwd, argv0);
	}
	*strrchr(dir, '/') = '\0';
	probe = path_join(dir, "mrmap");
	if (access(probe, X_OK) < 0) {
		free(dir);
		dir = xstrdup("");
	}
	free(probe);
	return dir;
}

/* Reuses the map tasks that the manifest holds and that are intact. */
static int
reuse_maps(char *reused)
{
	uint64_t bytes, mbytes, mrec;
	uint32_t crc, mcrc;
	char id[24];
	int i, n = 0;

	for (i = 0; i < job.nsplits; i++) {
		snprintf(id, sizeof(id), "m-%05d", i);
		if (!manifest_find(id, &mrec, &mcrc, &mbytes) ||
		    map_output(i, &crc, &bytes) < 0 ||
		    crc != mcrc || bytes != mbytes || map_counters(i, bytes) < 0)
			continue;
		reused[i] = 1;
		if (job.reducers == 0)
			committed[i] = 1;
		n++;
	}
	return n;
}

static int
points_kept(void)
{
	uint64_t r, b, bytes = 0;
	uint32_t c, crc = 0;
	char *p = plan_file(&job, PLAN_POINTS, 0, 0);
	int ok;

	ok = manifest_find("points", &r, &c, &b) &&
	    file_sum(p, &crc, &bytes) == 0 && crc == c && bytes == b;
	free(p);
	return ok;
}

/* Prints task t for --dry-run, and frees it. */
static void
print_task(struct task *t)
{
	char *s = task_script(t);

	printf("# %s\n%s\n", t->what, s);
	free(s);
	task_free(t);
}

static void
dry_run_print(void)
{
	int i;

	for (i = 0; job.total_order && i < job.nsplits; i++)
		print_task(plan_sample(&job, i, 0));
	if (job.total_order)
		print_task(plan_points(&job));
	for (i = 0; i < job.nsplits; i++)
		print_task(plan_map(&job, i, 0));
	for (i = 0; i < job.reducers; i++)
		print_task(plan_reduce(&job, i, 0));
	if (fflush(stdout) != 0 || ferror(stdout))
		die("stdout: %s", strerror(errno));
}

static struct task *
build_points(const struct job *j, int i, int attempt)
{
	(void)i;
	(void)attempt;
	return plan_points(j);
}

/* Writes _counters and _SUCCESS into the staged output and renames it. */
static void
commit_output(void)
{
	char *p, *old;
	mode_t mask;
	FILE *fp;
	int fd;

	p = path_join(staged, "_counters");
	if ((fp = fopen(p, "w")) == NULL || write_counters(fp) != 0 ||
	    fclose(fp) != 0)
		die("%s: %s", p, strerror(errno));
	free(p);
	p = path_join(staged, "_SUCCESS");
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 ||
	    close(fd) < 0)
		die("%s: %s", p, strerror(errno));
	free(p);
	mask = umask(022);
	umask(mask);
	if (chmod(staged, 0777 & ~mask) < 0)
		die("%s: %s", staged, strerror(errno));
	old = path_join(work, "old");
	if (force && rename(outdir, old) < 0 && errno != ENOENT)
		die("%s: cannot move it aside: %s", outdir, strerror(errno));
	if (rename(staged, outdir) < 0)
		die("%s: %s", outdir, strerror(errno));
	rm_rf(old);
	free(old);
}

int
main(int argc, char *argv[])
{
	enum { OPT_DRY_RUN = 256, OPT_FORCE, OPT_FRAMED, OPT_HELP,
	    OPT_JOBLOG, OPT_KEEP_TEMP, OPT_MEMORY, OPT_NUMERIC,
	    OPT_PROGRESS, OPT_QUIET, OPT_RESUME, OPT_RETRIES, OPT_REVERSE,
	    OPT_SPLIT_SIZE, OPT_STATS, OPT_TMPDIR, OPT_TOTAL_ORDER,
	    OPT_VALUES, OPT_VERSION, OPT_FIELDS };
	static const struct option longopts[] = {
		{ "combiner", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "framed", no_argument, NULL, OPT_FRAMED },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "jobs", required_argument, NULL, 'j' },
		{ "joblog", required_argument, NULL, OPT_JOBLOG },
		{ "keep-temp", no_argument, NULL, OPT_KEEP_TEMP },
		{ "mapper", required_argument, NULL, 'm' },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "numeric", no_argument, NULL, OPT_NUMERIC },
		{ "output", required_argument, NULL, 'o' },
		{ "partition-fields", required_argument, NULL, OPT_FIELDS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "reducer", required_argument, NULL, 'r' },
		{ "reducers", required_argument, NULL, 'n' },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "separator", required_argument, NULL, 't' },
		{ "split-size", required_argument, NULL, OPT_SPLIT_SIZE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "total-order", no_argument, NULL, OPT_TOTAL_ORDER },
		{ "values", no_argument, NULL, OPT_VALUES },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "zero-terminated", no_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	struct phase sample = { .name = "sample", .build = plan_sample,
	    .commit = commit_sample };
	struct phase points = { .name = "sample", .n = 1,
	    .build = build_points, .commit = commit_points };
	struct phase map = { .name = "map", .build = plan_map,
	    .prepare = prepare_map, .commit = commit_map };
	struct phase reduce = { .name = "reduce", .build = plan_reduce,
	    .input = reduce_input, .commit = commit_reduce };
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct job check;
	struct mr_op op, rop;
	sigset_t sigs;
	pthread_t sigthread, progthread;
	const char *joblog_path = NULL;
	char **inputs, *stdin_copy = NULL, *p;
	size_t size;
	long v;
	int c, i, n, quiet = 0, reducers = -1, uses_stdin = 0;
	struct stat st;

	cli_init("mrrun");
	if (argc > 1 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc, argv);
	job.split_size = DEFAULT_SPLIT;
	jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs < 1)
		jobs = 1;
	while ((c = getopt_long(argc, argv, "c:j:m:n:o:r:t:z", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			job.combiner = optarg;
			break;
		case 'j':
			if (mr_parse_count(optarg, 1, TASK_MAX_RUNNING,
			    &v) < 0)
				usage_error(usage_text, "bad number of jobs: "
				    "%s", optarg);
			jobs = (int)v;
			break;
		case 'm':
			job.mapper = optarg;
			break;
		case 'n':
			if (mr_parse_count(optarg, 1, MAX_REDUCERS, &v) < 0)
				usage_error(usage_text, "bad number of "
				    "reducers: %s", optarg);
			reducers = (int)v;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'r':
			job.reducer = optarg;
			break;
		case 't':
			opt_separator(usage_text, optarg, &fmt);
			job.sep = optarg;
			break;
		case 'z':
			job.zero = 1;
			break;
		case OPT_DRY_RUN:
			dry_run = 1;
			break;
		case OPT_FIELDS:
			if (mr_parse_count(optarg, 1, 1000000, &v) < 0)
				usage_error(usage_text, "bad number of fields: "
				    "%s", optarg);
			job.keyfields = (int)v;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_FRAMED:
			job.framed = 1;
			break;
		case OPT_JOBLOG:
			joblog_path = optarg;
			break;
		case OPT_KEEP_TEMP:
			keep_temp = 1;
			break;
		case OPT_MEMORY:
			if (mr_parse_size(optarg, &size) < 0)
				usage_error(usage_text, "bad memory size: %s",
				    optarg);
			job.memory = optarg;
			break;
		case OPT_NUMERIC:
			job.numeric = 1;
			break;
		case OPT_PROGRESS:
			show_progress = 1;
			break;
		case OPT_QUIET:
			quiet = 1;
			break;
		case OPT_RESUME:
			resume = 1;
			break;
		case OPT_RETRIES:
			if (mr_parse_count(optarg, 0, 1000, &v) < 0)
				usage_error(usage_text, "bad number of "
				    "retries: %s", optarg);
			retries = (int)v;
			break;
		case OPT_REVERSE:
			job.reverse = 1;
			break;
		case OPT_SPLIT_SIZE:
			if (mr_parse_size(optarg, &size) < 0)
				usage_error(usage_text, "bad split size: %s",
				    optarg);
			job.split_size = size;
			break;
		case OPT_STATS:
			stats = 1;
			break;
		case OPT_TMPDIR:
			job.tmpdir = optarg;
			break;
		case OPT_TOTAL_ORDER:
			job.total_order = 1;
			break;
		case OPT_VALUES:
			job.values = 1;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			cli_version();
		default:
			usage();
		}
	}
	if (job.mapper == NULL)
		usage_error(usage_text, "no --mapper given");
	if (job.reducer == NULL)
		usage_error(usage_text, "no --reducer given (NONE for a "
		    "map-only job)");
	if (show_progress && quiet)
		usage_error(usage_text, "--progress and --quiet exclude each "
		    "other");
	if (strcmp(job.reducer, "NONE") == 0) {
		if (job.combiner != NULL || job.total_order || reducers > 0)
			usage_error(usage_text, "a map-only job (--reducer "
			    "NONE) takes no --combiner, --reducers or "
			    "--total-order");
		job.reducers = 0;
	} else
		job.reducers = reducers > 0 ? reducers : 1;
	count_output = job.reducers > 0 && !job.framed &&
	    mr_op_parse(&rop, job.reducer) < 0;
	if (job.combiner != NULL && mr_op_parse(&op, job.combiner) == 0) {
		if (!mr_op_combinable(&op) || op.code == MR_OP_COLLECT)
			usage_error(usage_text, "--combiner %s: its state "
			    "grows with the data; use it as the reducer "
			    "alone", job.combiner);
		if (mr_op_parse(&rop, job.reducer) < 0 ||
		    rop.code != op.code)
			usage_error(usage_text, "--combiner %s needs --reducer "
			    "%s: a built-in combiner writes partial states "
			    "that only the same op reads", job.combiner,
			    job.combiner);
		job.combine_builtin = 1;
	}
	if (job.total_order && job.keyfields > 0)
		usage_error(usage_text, "--total-order and --partition-fields "
		    "exclude each other");
	if (job.reducers <= 1)
		job.total_order = 0;
	if (job.tmpdir != NULL && (stat(job.tmpdir, &st) < 0 ||
	    !S_ISDIR(st.st_mode)))
		usage_error(usage_text, "--tmpdir %s: not a directory",
		    job.tmpdir);
	n = argc;
	inputs = operands(usage_text, &n, argv);
	for (i = 0; i < n; i++)
		uses_stdin |= strcmp(inputs[i], "-") == 0;
	if (uses_stdin && (dry_run || resume))
		usage_error(usage_text, "%s cannot read standard input; name "
		    "the input files", dry_run ? "--dry-run" : "--resume");
	if (job.framed && outdir == NULL && !dry_run &&
	    isatty(STDOUT_FILENO))
		die("will not write framed records to a terminal; use "
		    "--output DIR or a pipe");
	if (!quiet && !show_progress)
		show_progress = isatty(STDERR_FILENO);
	job.bindir = tool_dir(argv[0]);
	work = work_path(inputs, n);
	job.work = work;

	if (dry_run) {
		plan_inputs(&job, inputs, n, NULL);
		plan_identity(&job);
		dry_run_print();
		return 0;
	}
	if (outdir != NULL && !force && lstat(outdir, &st) == 0)
		die("%s: the output directory exists (--force replaces it)",
		    outdir);
	/* every input is checked before the work directory is touched */
	check = job;
	plan_inputs(&check, inputs, n, NULL);
	for (i = 0; i < check.nsplits; i++) {
		free((char *)check.splits[i].path);
		free((char *)check.splits[i].name);
	}
	free(check.splits);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	work_lock(work, outdir != NULL ? outdir : "this job");
	if (pthread_create(&sigthread, NULL, on_signal, &sigs) != 0)
		die("cannot start a thread");
	if (!resume)
		work_clean(work);
	if (uses_stdin)
		stdin_copy = save_stdin();
	plan_inputs(&job, inputs, n, stdin_copy);
	plan_identity(&job);
	/* a reduce task's mrmerge names every map task's partition */
	if (job.reducers > 0 && (size_t)job.nsplits * (strlen(work) + 32) >
	    (1 << 20))
		die("%d map tasks are too many for one reduce task's command "
		    "line; use a larger --split-size", job.nsplits);
	if (!manifest_start(work, job.identity) && resume) {
		warnx("nothing to resume in %s: starting the job over", work);
		work_clean(work);
		manifest_start(work, job.identity);
	}
	for (i = 0; i < (int)(sizeof(subdirs) / sizeof(subdirs[0])); i++) {
		p = path_join(work, subdirs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			die("%s: %s", p, strerror(errno));
		free(p);
	}
	staged = path_join(work, "out");
	for (i = 0; i < (int)(sizeof(builtin_counters) /
	    sizeof(builtin_counters[0])); i++)
		proc_count_add("mr", builtin_counters[i], 0);
	if (joblog_path != NULL) {
		if ((joblog = fopen(joblog_path, resume ? "a" : "w")) == NULL ||
		    fcntl(fileno(joblog), F_SETFD, FD_CLOEXEC) < 0)
			die("%s: %s", joblog_path, strerror(errno));
		if (ftell(joblog) == 0)
			fputs("Task\tHost\tStarttime\tJobRuntime\tExitval\t"
			    "Send\tReceive\tCommand\n", joblog);
	}
	n = job.reducers > 0 ? job.reducers : job.nsplits;
	committed = xmalloc((size_t)n + 1);
	memset(committed, 0, (size_t)n + 1);
	map.n = job.nsplits;
	map.reused = xmalloc((size_t)map.n + 1);
	memset(map.reused, 0, (size_t)map.n + 1);
	for (i = 0; i < job.nsplits; i++)
		map.bytes += job.splits[i].end - job.splits[i].start;
	/* an exit by die(), from any thread, kills the tasks still running */
	atexit(task_stop);
	if (show_progress &&
	    pthread_create(&progthread, NULL, progress, NULL) != 0)
		die("cannot start a thread");

	/* new split points would make every map output stale */
	if (job.total_order && !(resume && points_kept())) {
		sample.n = job.nsplits;
		run_phase(&sample, 0);
		if (!failed)
			run_phase(&points, 0);
	} else if (resume) {
		i = reuse_maps(map.reused);
		map.done = i;
		if (i > 0)
			warnx("resuming: %d of %d map tasks are done", i,
			    map.n);
	}
	if (!failed)
		run_phase(&map, job.reducers == 0 ? job.nsplits : 0);
	if (!failed && job.reducers > 0) {
		reduce.n = job.reducers;
		run_phase(&reduce, job.reducers);
	}
	pthread_mutex_lock(&state);
	finished = 1;
	pthread_mutex_unlock(&state);
	if (show_progress)
		pthread_join(progthread, NULL);
	pthread_mutex_lock(&state);
	if (interrupted) {
		/* the signal thread ends the process */
		for (;;)
			pthread_cond_wait(&changed, &state);
	}
	pthread_mutex_unlock(&state);
	if (failed) {
		fprintf(stderr, "%s: %s\n%s: the work directory %s is kept "
		    "for --resume\n", progname, failure, progname, work);
		exit(1);
	}
	if (map.done != map.n || reduce.done != reduce.n)
		die("%d of %d map and %d of %d reduce tasks committed; the "
		    "work directory %s is kept", map.done, map.n, reduce.done,
		    reduce.n, work);
	if (outdir != NULL)
		commit_output();
	else if (fflush(stdout) != 0 || close(STDOUT_FILENO) < 0)
		die("stdout: %s", strerror(errno));
	if (stats)
		write_counters(stderr);
	if (joblog != NULL && fclose(joblog) != 0)
		die("%s: %s", joblog_path, strerror(errno));
	if (keep_temp)
		warnx("the work directory %s is kept", work);
	else if (rm_rf(work) < 0)
		warnx("%s: %s", work, strerror(errno));
	return 0;
}
