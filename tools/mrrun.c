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

#include "child.h"
#include "cli.h"
#include "hosts.h"
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
    "             [--dry-run] [--file PATH] [--force] [--framed] "
    "[--hosts FILE|LIST]\n"
    "             [--joblog FILE] [--keep-temp] [--memory SIZE] "
    "[--numeric]\n"
    "             [--partition-fields K] [--progress] [--quiet] "
    "[--remote-dir DIR]\n"
    "             [--remote-path DIR] [--resume] [--retries N] "
    "[--reverse] [--rsh CMD]\n"
    "             [--ship] [--shuffle relay|direct] [--speculate] "
    "[--split-size SIZE]\n"
    "             [--ssh-config FILE] [--ssh-option OPT] [--stats] "
    "[--tmpdir DIR]\n"
    "             [--total-order] [--values] [INPUT ...]\n";

static struct task *build_points(const struct job *, int, int);
static int commit_map(int, uint64_t *);
static int commit_map_remote(int, uint64_t *);
static int commit_points(int, uint64_t *);
static int commit_reduce(int, uint64_t *);
static int commit_sample(int, uint64_t *);
static uint64_t reduce_input(int);
static void stop_hosts(void);
static const char *on_host(const struct host *, const char *);

/* The states of a task of a phase. */
enum { PENDING, RUNNING, COMMITTING, DONE };

/* An attempt of a task that runs now, on a host or (h NULL) here. */
struct run {
	struct host *h;
	uint32_t id;		/* host_run()'s, for host_kill() */
	struct task *t;		/* here: for task_kill() */
	struct timespec since;
	struct run *next;
};

/* A task of a phase: where it stands and what it left. */
struct tstate {
	char state;
	int attempts;		/* started, so far: the next attempt's number */
	int failures;		/* those that count against --retries */
	struct run *runs;
	struct host *where;	/* the host that holds its committed output */
	uint64_t out;		/* the bytes it committed */
};

static void kill_runs(struct tstate *);

/* One phase of the job: its tasks, run by the slot threads. */
struct phase {
	const char *name;
	int n;
	struct task *(*build)(const struct job *, int, int);
	uint64_t (*input)(int);	/* the bytes task i reads, or NULL */
	int (*commit)(int, uint64_t *);
	int here;		/* its tasks run on this machine, always */
	struct tstate *ts;
	int done;
	uint64_t bytes, bytes_done;
	double *took;		/* the seconds of the committed attempts */
	int ntook;
	struct timespec started;
};

static struct job job;
static struct phase sample = { .name = "sample", .build = plan_sample,
    .commit = commit_sample };
static struct phase points = { .name = "sample", .here = 1,
    .build = build_points, .commit = commit_points };
static struct phase map = { .name = "map", .build = plan_map,
    .commit = commit_map };
static struct phase reduce = { .name = "reduce", .build = plan_reduce,
    .input = reduce_input, .commit = commit_reduce };
static struct phase *const phases[] = { &sample, &points, &map, &reduce };
#define NPHASES ((int)(sizeof(phases) / sizeof(phases[0])))

/* The hosts of a job over ssh (none in local mode), and their jobs. */
static struct host *hosts;
static int nhosts, speculate, direct;
static struct reach reach;
static struct job *host_job;	/* per host: work is its scratch */
static uint64_t *part_bytes;	/* [i * reducers + r] of a remote map */
static const char **files;	/* --file */
static int nfiles;
static int slots_left;		/* slot threads that have not ended */

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
 * times sign (-1 takes back those of a map output that was lost), and
 * returns the value of the built-in counter want (NULL for none); -1
 * when the file cannot be read.  A command combiner's mrreduce counts
 * for the combine counters.
 */
static long long
read_counters(const char *path, int combiner, const char *want, int sign)
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
		proc_count_add(group, name, sign * strtoll(val, NULL, 10));
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
 * Adds the counters of map task i, times sign, from the files it left,
 * and returns the records it wrote, or -1 when a counters file is
 * missing (before adding any).
 */
static long long
map_counters(int i, uint64_t bytes, int sign)
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
	    "COMBINE_OUTPUT_RECORDS" : "MAP_OUTPUT_RECORDS", sign)) < 0) {
		free(p);
		return -1;
	}
	free(p);
	for (r = 0; cmd && r < job.reducers; r++) {
		p = plan_file(&job, PLAN_COMBINE_COUNTERS, i, r);
		n = read_counters(p, 1, "REDUCE_OUTPUT_RECORDS", sign);
		records = r == 0 ? n : records + n;
		free(p);
	}
	if (job.reducers > 0) {
		pthread_mutex_lock(&state);
		proc_count_add("mr", "SPILLED_BYTES", sign * (long long)bytes);
		pthread_mutex_unlock(&state);
	}
	return records;
}

/*
 * Copies the file path here to dest in h's scratch directory, keeping
 * its permissions; a host lost meanwhile is left to the scheduler.
 */
static void
copy_to_host(struct host *h, const char *path, const char *dest)
{
	struct stat st;
	char err[512];
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (host_put(h, dest, (int)(st.st_mode & 0777), fd, err,
	    sizeof(err)) == -1)
		die("host %s: %s", h->name, err);
	close(fd);
}

/* Output part i is complete: stdout may have it. */
static void
part_committed(int i)
{
	pthread_mutex_lock(&state);
	committed[i] = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
}

static int
commit_map(int i, uint64_t *bytes_out)
{
	long long records;
	char id[24];
	uint32_t crc;

	if (nhosts > 0)
		return commit_map_remote(i, bytes_out);
	if (map_output(i, &crc, bytes_out) < 0 ||
	    (records = map_counters(i, *bytes_out, 1)) < 0) {
		warnx("map task %d: %s", i, strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "m-%05d", i);
	manifest_add(id, (uint64_t)records, crc, *bytes_out);
	if (job.reducers == 0)
		part_committed(i);
	return 0;
}

static int
commit_points(int i, uint64_t *bytes_out)
{
	uint32_t crc = 0;
	char *p;
	int k;

	(void)i;
	*bytes_out = 0;
	p = plan_file(&job, PLAN_POINTS, 0, 0);
	if (file_sum(p, &crc, bytes_out) < 0) {
		warnx("%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	manifest_add("points", 0, crc, *bytes_out);
	for (k = 0; k < nhosts; k++) {
		char *dest = plan_file(&host_job[k], PLAN_POINTS, 0, 0);

		if (hosts[k].up)
			copy_to_host(&hosts[k], p, on_host(&hosts[k], dest));
		free(dest);
	}
	free(p);
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
	if (read_counters(c, 0, NULL, 1) < 0) {
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
		if (nhosts > 0) {
			n += part_bytes[(size_t)i * (size_t)job.reducers +
			    (size_t)r];
			continue;
		}
		p = plan_file(&job, PLAN_MAP_PART, i, r);
		if (stat(p, &st) == 0)
			n += (uint64_t)st.st_size;
		free(p);
	}
	return n;
}

/* Appends one attempt's line to the --joblog file. */
static void
log_attempt(const struct task *t, const char *host, double start,
    double secs, int rc, uint64_t in, uint64_t out)
{
	char *script, *p;

	if (joblog == NULL)
		return;
	script = task_script(t);
	for (p = script; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	pthread_mutex_lock(&state);
	fprintf(joblog, "%s\t%s\t%.3f\t%.3f\t%d\t%llu\t%llu\t%s\n", t->id,
	    host, start, secs, rc == HOST_LOST ? 255 : rc, (unsigned long long)in,
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

/* Records the job's failure, the first only, and stops every task. */
static void
fail(const struct task *t, const char *msg, int attempts, const char *err)
{
	char *script;
	size_t len;
	int k, i;

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
	/* the tasks on the hosts: the job ends now, not when they do */
	for (k = 0; k < NPHASES; k++)
		for (i = 0; phases[k]->ts != NULL && i < phases[k]->n; i++)
			kill_runs(&phases[k]->ts[i]);
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

/* path without the scratch directory of h in front: h's own name. */
static const char *
on_host(const struct host *h, const char *path)
{
	size_t n = strlen(h->scratch);

	if (strncmp(path, h->scratch, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

/*
 * Where the map outputs are now, allocated; and in *fetched, allocated,
 * which of them a reduce task on h reads from copies fetched to h: those
 * that another host holds.
 */
static struct host **
map_places(const struct host *h, char **fetched)
{
	struct host **where = xmalloc(((size_t)job.nsplits + 1) *
	    sizeof(*where));
	int i;

	*fetched = xmalloc((size_t)job.nsplits + 1);
	pthread_mutex_lock(&state);
	for (i = 0; i < job.nsplits; i++) {
		where[i] = map.ts[i].where;
		(*fetched)[i] = where[i] != h;
	}
	pthread_mutex_unlock(&state);
	return where;
}

/*
 * Makes map task i pending again when its output was on a host that is
 * lost, and takes back its counters; a reducer that still needs that
 * output waits until it is made again.
 */
static void
remake_map(int i)
{
	int redo = 0;

	pthread_mutex_lock(&state);
	if (map.ts[i].state == DONE && (map.ts[i].where == NULL ||
	    !map.ts[i].where->up) && job.reducers > 0 &&
	    reduce.done < reduce.n) {
		/* no attempt starts or commits before the counters are back */
		map.ts[i].state = COMMITTING;
		map.ts[i].where = NULL;
		map.done--;
		map.bytes_done -= job.splits[i].end - job.splits[i].start;
		redo = 1;
	}
	pthread_mutex_unlock(&state);
	if (!redo)
		return;
	map_counters(i, map.ts[i].out, -1);
	pthread_mutex_lock(&state);
	map.ts[i].state = map.ts[i].runs != NULL ? RUNNING : PENDING;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
}

/*
 * Sends split i to h, as the file that its map task reads: the whole
 * file when the split is one, else the records of its range, which
 * mrsplit --range cuts here.
 */
static int
send_input(int i, struct host *h, char *msg, size_t msgsize)
{
	const struct split *s = &job.splits[i];
	char *dest = plan_file(&host_job[h->index], PLAN_INPUT, i, 0);
	char range[64], *argv[8], *tool = NULL;
	struct stat st;
	int fd, p[2], rc, n = 0;
	pid_t pid = -1;

	if (s->gz || (s->start == 0 && stat(s->path, &st) == 0 &&
	    (uint64_t)st.st_size == s->end)) {
		if ((fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(msg, msgsize, "%s: %s", s->name,
			    strerror(errno));
			free(dest);
			return 1;
		}
	} else {
		tool = xmalloc(strlen(job.bindir) + 16);
		sprintf(tool, "%s%smrsplit", job.bindir,
		    job.bindir[0] != '\0' ? "/" : "");
		snprintf(range, sizeof(range), "--range=%llu:%llu",
		    (unsigned long long)s->start, (unsigned long long)s->end);
		argv[n++] = tool;
		argv[n++] = range;
		if (job.zero)
			argv[n++] = "-z";
		if (job.sep != NULL) {
			argv[n++] = "-t";
			argv[n++] = (char *)job.sep;
		}
		argv[n++] = (char *)s->path;
		argv[n] = NULL;
		/* made under the spawn lock: no other slot's child gets p[1] */
		if (child_pipe(p) < 0)
			die("pipe: %s", strerror(errno));
		if ((pid = hosts_spawn(argv, -1, p[1], STDERR_FILENO)) < 0)
			snprintf(msg, msgsize, "cannot run %s: %s", tool,
			    strerror(errno));
		close(p[1]);
		fd = p[0];
		if (pid < 0) {
			close(fd);
			free(tool);
			free(dest);
			return 1;
		}
	}
	rc = host_put(h, on_host(h, dest), 0600, fd, msg, msgsize);
	close(fd);
	if (pid > 0 && hosts_reap(pid, -1) != 0 && rc == 0) {
		snprintf(msg, msgsize, "mrsplit %s failed", range);
		rc = 1;
	}
	free(tool);
	free(dest);
	return rc;
}

/*
 * Fetches partition r of every map output that another host holds to h,
 * where the reduce task reads it: through this machine, or with
 * --shuffle=direct by a task on h that pulls from each host with ssh.
 */
static int
fetch(int r, struct host *h, struct host **where, uint32_t id, int errfd,
    char *msg, size_t msgsize)
{
	char *src, *dst;
	int i, k, rc = 0;

	for (i = 0; i < job.nsplits; i++)
		if (where[i] == NULL || !where[i]->up) {
			remake_map(i);
			snprintf(msg, msgsize, "map output %d was lost", i);
			rc = HOST_LOST;
		}
	for (i = 0; i < job.nsplits && rc == 0 && !direct; i++) {
		if (where[i] == h)
			continue;
		src = plan_file(&host_job[where[i]->index], PLAN_MAP_PART, i,
		    r);
		dst = plan_file(&host_job[h->index], PLAN_FETCHED, i, r);
		rc = host_relay(where[i], src, h, on_host(h, dst), msg,
		    msgsize);
		if (rc != 0 && rc != HOST_LOST && !host_alive(where[i]))
			rc = HOST_LOST;
		free(src);
		free(dst);
	}
	for (k = 0; k < nhosts && rc == 0 && direct; k++) {
		struct task *t;
		char *cmd = NULL, *pull;
		size_t len = 0;

		for (i = 0; i < job.nsplits; i++)
			if (where[i] == &hosts[k] && where[i] != h)
				break;
		if (i == job.nsplits)
			continue;
		if (!hosts[k].up) {
			snprintf(msg, msgsize, "host %s was lost",
			    hosts[k].name);
			rc = HOST_LOST;
			break;
		}
		/* on hosts[k]: cd SCRATCH/map && tar cf - m-I/part-R ... */
		shell_text(&cmd, &len, "cd ");
		src = path_join(hosts[k].scratch, "map");
		shell_quote(&cmd, &len, src);
		free(src);
		shell_text(&cmd, &len, " && exec tar cf -");
		for (; i < job.nsplits; i++) {
			char part[64];

			if (where[i] != &hosts[k])
				continue;
			snprintf(part, sizeof(part), " m-%05d/part-%05d", i,
			    r);
			shell_text(&cmd, &len, part);
		}
		pull = host_command(&hosts[k], &reach, cmd);
		free(cmd);
		dst = plan_file(&host_job[h->index], PLAN_FETCHED, 0, r);
		*strrchr(dst, '/') = '\0';
		*strrchr(dst, '/') = '\0';
		t = task_new("fetch", "the shuffle");
		task_pipeline(t);
		task_stage(t);
		task_arg(t, "mkdir");
		task_arg(t, "-p");
		task_arg(t, dst);
		task_pipeline(t);
		task_stage(t);
		task_arg(t, "sh");
		task_arg(t, "-c");
		task_arg(t, pull);
		/* not tar -C: GNU tar would unquote a backslash in dst */
		task_stage(t);
		task_arg(t, "sh");
		task_arg(t, "-c");
		task_arg(t, "cd \"$0\" && exec tar xf -");
		task_arg(t, dst);
		free(pull);
		free(dst);
		rc = host_run(h, t, id, msg, msgsize, errfd);
		task_free(t);
		/* the pull fails before this machine sees the host die */
		if (rc != 0 && rc != HOST_LOST && !host_alive(&hosts[k]))
			rc = HOST_LOST;
	}
	return rc;
}

/*
 * Runs task t, number i of ph, on h: first sends its input there (a map
 * task of a file here) or fetches its partitions (a reduce task).
 */
static int
remote_attempt(struct phase *ph, int i, struct task *t, struct host *h,
    struct host **where, uint32_t id, int errfd, char *msg, size_t msgsize)
{
	int rc = 0;

	msg[0] = '\0';
	if (ph == &map && job.splits[i].host < 0)
		rc = send_input(i, h, msg, msgsize);
	else if (ph == &reduce)
		rc = fetch(i, h, where, id, errfd, msg, msgsize);
	/*
	 * A failed copy is a failure, never TASK_STOPPED (-1); a map output
	 * lost with its host is HOST_LOST, and the task does not run.
	 */
	if (rc == HOST_LOST)
		return rc;
	if (rc != 0)
		return h->up ? 1 : HOST_LOST;
	return host_run(h, t, id, msg, msgsize, errfd);
}

/* Copies h's file f (of task i, partition r) to the same file here. */
static int
bring(struct host *h, enum plan_file f, int i, int r, char *msg,
    size_t msgsize)
{
	char *src = plan_file(&host_job[h->index], f, i, r);
	char *dst = plan_file(&job, f, i, r), *slash;
	int fd, rc;

	slash = strrchr(dst, '/');
	*slash = '\0';
	if (mkdir(dst, 0700) < 0 && errno != EEXIST) {
		snprintf(msg, msgsize, "%s: %s", dst, strerror(errno));
		free(src);
		free(dst);
		return 1;
	}
	*slash = '/';
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    f == PLAN_OUT_PART ? 0666 : 0600)) < 0) {
		snprintf(msg, msgsize, "%s: %s", dst, strerror(errno));
		rc = 1;
	} else {
		rc = host_cat(h, src, fd, msg, msgsize);
		if (close(fd) < 0 && rc == 0) {
			snprintf(msg, msgsize, "%s: %s", dst,
			    strerror(errno));
			rc = 1;
		}
	}
	free(src);
	free(dst);
	return rc;
}

/*
 * Brings here what a committed attempt on h left that this machine
 * reads: counters, the output parts, the samples; and the sizes of the
 * partitions of a map task, which stay on h.
 */
static int
collect(struct phase *ph, int i, struct host *h, char *msg, size_t msgsize)
{
	const struct split *s;
	uint64_t size;
	char *p;
	int r, k, rc = 0, pieces;

	if (ph == &map) {
		rc = bring(h, PLAN_MAP_COUNTERS, i, 0, msg, msgsize);
		for (r = 0; rc == 0 && r < job.reducers; r++) {
			if (job.combiner != NULL && !job.combine_builtin)
				rc = bring(h, PLAN_COMBINE_COUNTERS, i, r, msg,
				    msgsize);
			p = plan_file(&host_job[h->index], PLAN_MAP_PART, i,
			    r);
			if (rc == 0)
				rc = host_stat(h, p, &size, msg, msgsize);
			free(p);
			if (rc == 0)
				part_bytes[(size_t)i * (size_t)job.reducers +
				    (size_t)r] = size;
		}
		if (rc == 0 && job.reducers == 0)
			rc = bring(h, PLAN_OUT_PART, 0, i, msg, msgsize);
	} else if (ph == &reduce) {
		rc = bring(h, PLAN_REDUCE_COUNTERS, 0, i, msg, msgsize);
		if (rc == 0)
			rc = bring(h, PLAN_OUT_PART, 0, i, msg, msgsize);
	} else if (ph == &sample) {
		s = &job.splits[i];
		pieces = s->gz || s->end - s->start <= PLAN_SAMPLE_PIECES *
		    PLAN_SAMPLE_BYTES ? 1 : PLAN_SAMPLE_PIECES;
		for (k = 0; k < pieces && rc == 0; k++)
			rc = bring(h, PLAN_SAMPLE, i, k, msg, msgsize);
	}
	return rc;
}

/* Commits map task i of a job over hosts: its output stays there. */
static int
commit_map_remote(int i, uint64_t *bytes_out)
{
	int r;

	*bytes_out = 0;
	for (r = 0; r < job.reducers; r++)
		*bytes_out += part_bytes[(size_t)i * (size_t)job.reducers +
		    (size_t)r];
	if (map_counters(i, *bytes_out, 1) < 0) {
		warnx("map task %d: %s", i, strerror(errno));
		return -1;
	}
	if (job.reducers == 0)
		part_committed(i);
	return 0;
}

/*
 * Called when host h is lost: the map outputs it held are made again
 * elsewhere while a reducer may still need them, and their counters are
 * taken back; a task whose input only h has fails the job.
 */
static void
host_lost(struct host *h)
{
	int i, up = 0, k;

	pthread_mutex_lock(&state);
	for (k = 0; k < nhosts; k++)
		up += hosts[k].up;
	pthread_mutex_unlock(&state);
	warnx("host %s was lost%s", h->name, up > 0 ?
	    "; its tasks run again on the other hosts" : "");
	for (i = 0; i < map.n; i++)
		remake_map(i);
	for (i = 0; i < job.nsplits; i++)
		if (job.splits[i].host == h->index && (map.ts[i].state !=
		    DONE || map.ts[i].where == NULL)) {
			pthread_mutex_lock(&state);
			if (!failed) {
				failed = 1;
				snprintf(failure, sizeof(failure), "%s: its "
				    "host %s was lost", job.splits[i].name,
				    h->name);
				pthread_cond_broadcast(&changed);
			}
			pthread_mutex_unlock(&state);
			break;
		}
}

/*
 * The tasks of ph are runnable when every earlier phase is done: a map
 * output that a lost host held makes the map phase undone again.
 */
static int
runnable(const struct phase *ph)
{
	int k;

	for (k = 0; k < NPHASES && phases[k] != ph; k++)
		if (phases[k]->done < phases[k]->n)
			return 0;
	return ph->done < ph->n;
}

/* Whether every task of the job is done; under state. */
static int
all_done(void)
{
	int k;

	for (k = 0; k < NPHASES; k++)
		if (phases[k]->done < phases[k]->n)
			return 0;
	return 1;
}

/* The host that must run task i of ph, or -1 for any. */
static int
pinned(const struct phase *ph, int i)
{
	if ((ph == &sample || ph == &map) && i < job.nsplits)
		return job.splits[i].host;
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
straggler(struct phase *ph, struct host *h)
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
		struct run *r = ph->ts[i].runs;

		if (ph->ts[i].state == RUNNING && r != NULL &&
		    r->next == NULL && r->h != h && pinned(ph, i) < 0 &&
		    since(&r->since) > limit)
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
	const struct run *r;

	if (ph->ts[i].state != PENDING)
		return 0;
	for (r = ph->ts[i].runs; r != NULL; r = r->next)
		if (r->h == h && h != NULL)
			return 0;
	return 1;
}

/*
 * Picks a task for a slot of h (NULL here), under state: a pending task
 * whose input h holds, else any pending task that may run anywhere, else
 * a straggler.  Returns its number, with its phase in *php, or -1.
 */
static int
pick(struct host *h, struct phase **php)
{
	struct phase *ph;
	int k, i, pin, want = h != NULL ? h->index : -1;

	for (k = 0; k < NPHASES; k++) {
		ph = phases[k];
		if (!runnable(ph))
			continue;
		*php = ph;
		for (i = 0; i < ph->n; i++)
			if (want >= 0 && pinned(ph, i) == want &&
			    startable(ph, i, h))
				return i;
		for (i = 0; i < ph->n; i++) {
			pin = pinned(ph, i);
			if ((pin < 0 || nhosts == 0) && startable(ph, i, h))
				return i;
		}
		if (speculate && h != NULL && (i = straggler(ph, h)) >= 0)
			return i;
		return -1;
	}
	return -1;
}

/* Kills the attempts of task i of ph that still run; under state. */
static void
kill_runs(struct tstate *ts)
{
	struct run *r;

	for (r = ts->runs; r != NULL; r = r->next) {
		if (r->h != NULL)
			host_kill(r->h, r->id);
		else if (r->t != NULL)
			task_kill(r->t);
	}
}

/* Where an attempt ran, for the job log and messages. */
static const char *
host_name(const struct host *h)
{
	return h != NULL ? h->name : ":";
}

/*
 * Settles an attempt of task i of ph that ended with rc, under state:
 * its run is gone; a commit makes the task done and kills the other
 * attempts; a failure puts it back for another attempt, or fails the
 * job when it had its retries.  Returns 1 when the job is to fail.
 */
static int
settle(struct phase *ph, int i, struct run *run, int rc, int claimed,
    double secs)
{
	struct tstate *ts = &ph->ts[i];
	struct run **pp;

	for (pp = &ts->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	pthread_cond_broadcast(&changed);
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
	return ++ts->failures > retries;
}

/*
 * Runs one attempt of task i of ph on h (NULL: here), whose run is
 * already on the task's list, and settles it.
 */
static void
run_attempt(struct phase *ph, int i, struct host *h, struct run *run,
    int attempt)
{
	const struct job *j = h != NULL ? &host_job[h->index] : &job;
	struct host **where = NULL;
	struct job shaped;
	struct task *t;
	struct timespec t0;
	uint64_t in, out = 0;
	char err[PATH_MAX], msg[512];
	double start, secs;
	int fd, rc, claimed = 0, fatal;

	if (ph->here || (ph == &sample && pinned(ph, i) < 0))
		h = NULL, j = &job;
	shaped = *j;
	shaped.fetched = NULL;
	if (h != NULL && ph == &reduce)
		where = map_places(h, (char **)&shaped.fetched);
	t = ph->build(&shaped, i, attempt);
	free((char *)shaped.fetched);
	in = ph->input != NULL ? ph->input(i) : t->bytes_in;
	snprintf(err, sizeof(err), "%s/logs/%s.%d", work, t->id, attempt);
	if ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) < 0)
		die("%s: %s", err, strerror(errno));
	pthread_mutex_lock(&state);
	run->t = t;
	run->h = h;
	if (h != NULL)
		run->id = host_id();
	pthread_mutex_unlock(&state);
	clock_gettime(CLOCK_REALTIME, &t0);
	start = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (h == NULL)
		rc = task_run(t, fd, msg, sizeof(msg));
	else
		rc = remote_attempt(ph, i, t, h, where, run->id, fd, msg,
		    sizeof(msg));
	close(fd);
	if (rc == 0) {
		pthread_mutex_lock(&state);
		if (ph->ts[i].state == RUNNING) {
			ph->ts[i].state = COMMITTING;
			claimed = 1;
		} else
			rc = TASK_STOPPED;	/* another attempt won */
		pthread_mutex_unlock(&state);
	}
	if (claimed && h != NULL && (rc = collect(ph, i, h, msg,
	    sizeof(msg))) != 0 && rc != HOST_LOST)
		rc = h->up ? 1 : HOST_LOST;
	if (claimed && rc == 0 && ph->commit(i, &out) < 0) {
		snprintf(msg, sizeof(msg), "its output is missing");
		rc = 1;
	}
	secs = since(&t0);
	if (rc != TASK_STOPPED || !stopping())
		log_attempt(t, host_name(h), start, secs, rc, in, out);
	if (rc == 0)
		pass_stderr(err);
	pthread_mutex_lock(&state);
	run->t = NULL;
	if (rc == 0 && claimed)
		ph->ts[i].out = out;
	fatal = settle(ph, i, run, rc, claimed, secs);
	if (rc == 0 && claimed)
		ph->bytes_done += t->bytes_in;
	pthread_mutex_unlock(&state);
	/* committed just as its host was lost: make it again */
	if (ph == &map && h != NULL && !h->up)
		remake_map(i);
	free(where);
	if (fatal)
		fail(t, msg, attempt + 1, err);
	else if (rc == HOST_LOST && !stopping())
		warnx("%s on host %s: %s; it runs again elsewhere", t->what,
		    h->name, msg);
	else if (rc != 0 && rc != TASK_STOPPED && !stopping())
		warnx("%s failed%s%s (%s); trying again", t->what,
		    h != NULL ? " on host " : "", h != NULL ? h->name : "",
		    msg);
	task_free(t);
}

/*
 * A slot: runs tasks on h (NULL: here) until the job is done or failed,
 * or h is lost.  The last slot to end fails a job that is not done.
 */
static void *
slot(void *arg)
{
	struct host *h = arg;
	struct phase *ph = NULL;
	struct timespec ts;
	struct run *run;
	int i, attempt;

	pthread_mutex_lock(&state);
	while (!failed && !all_done() && (h == NULL || h->up)) {
		if ((i = pick(h, &ph)) < 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&changed, &state, &ts);
			continue;
		}
		if (cur != ph) {
			cur = ph;
			clock_gettime(CLOCK_MONOTONIC, &ph->started);
		}
		run = xmalloc(sizeof(*run));
		memset(run, 0, sizeof(*run));
		run->h = h;
		clock_gettime(CLOCK_MONOTONIC, &run->since);
		run->next = ph->ts[i].runs;
		ph->ts[i].runs = run;
		ph->ts[i].state = RUNNING;
		attempt = ph->ts[i].attempts++;
		pthread_mutex_unlock(&state);
		run_attempt(ph, i, h, run, attempt);
		free(run);
		pthread_mutex_lock(&state);
	}
	if (--slots_left == 0 && !failed && !all_done()) {
		failed = 1;
		snprintf(failure, sizeof(failure), "every host was lost");
		pthread_cond_broadcast(&changed);
	}
	pthread_mutex_unlock(&state);
	return NULL;
}

/*
 * Writes len bytes to stdout.  Returns -1 when its reader went away, and
 * the job is to end as a filter ends on SIGPIPE.
 */
static int
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
		return -1;
	}
	return 0;
}

/*
 * Writes part i of the output to stdout once it is committed.  A text
 * part whose last line a reducer command left unterminated gets its
 * terminator, so that it does not run into the next part's first line.
 * Returns -1 when the job failed first, -2 when stdout's reader went
 * away.
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
		if (write_out(buf, (size_t)n) < 0)
			break;
		last = buf[n - 1];
	}
	if (n == 0 && !job.framed && lseek(fd, 0, SEEK_CUR) > 0 &&
	    last != eol && write_out(&eol, 1) < 0)
		n = -1;
	close(fd);
	free(p);
	return n == 0 ? 0 : -2;
}

/*
 * Ends mrrun as a filter ends on SIGPIPE, leaving nothing: once every
 * slot has ended, the work directory goes.
 */
static void
reader_gone(pthread_t *t, int n)
{
	int i;

	pthread_mutex_lock(&state);
	failed = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&state);
	task_stop();
	stop_hosts();
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (!keep_temp)
		rm_rf(work);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(1);
}

/*
 * Runs the job's tasks on the slots of the hosts, or on --jobs threads
 * here.  A job writing to stdout sends each part there as it commits, in
 * order.
 */
static void
run_job(void)
{
	pthread_t *t;
	int n = 0, i, k, parts, rc;

	for (k = 0; k < nhosts; k++)
		if (hosts[k].up)
			n += hosts[k].slots;
	if (nhosts == 0)
		n = jobs;
	t = xmalloc((size_t)(n + 1) * sizeof(*t));
	pthread_mutex_lock(&state);
	slots_left = n;
	pthread_mutex_unlock(&state);
	for (i = 0, k = 0; i < n; k++) {
		struct host *h = nhosts > 0 ? &hosts[k] : NULL;
		int m = h != NULL ? (h->up ? h->slots : 0) : n;

		for (; m > 0; m--, i++)
			if (pthread_create(&t[i], NULL, slot, h) != 0)
				die("cannot start a thread");
	}
	parts = job.reducers > 0 ? job.reducers : job.nsplits;
	for (i = 0; i < parts && outdir == NULL; i++)
		if ((rc = emit_part(i)) == -2)
			reader_gone(t, n);
		else if (rc < 0)
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
	if (nhosts > 0) {
		stop_hosts();
		if (!keep_temp)
			rm_rf(work);
		fprintf(stderr, "\n%s: interrupted\n", progname);
	} else
		fprintf(stderr, "\n%s: interrupted; the work directory %s is "
		    "kept for --resume\n", progname, work);
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
reuse_maps(void)
{
	uint64_t bytes, mbytes, mrec;
	uint32_t crc, mcrc;
	char id[24];
	int i, n = 0;

	for (i = 0; i < job.nsplits; i++) {
		snprintf(id, sizeof(id), "m-%05d", i);
		if (!manifest_find(id, &mrec, &mcrc, &mbytes) ||
		    map_output(i, &crc, &bytes) < 0 ||
		    crc != mcrc || bytes != mbytes || map_counters(i, bytes, 1) < 0)
			continue;
		map.ts[i].state = DONE;
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

/*
 * The host whose file the operand HOST:PATH names, with *path set to
 * PATH; -1 for a file here.
 */
static int
input_host(const char *op, const char **path)
{
	size_t len;
	int k;

	for (k = 0; k < nhosts; k++) {
		len = strlen(hosts[k].name);
		if (strncmp(op, hosts[k].name, len) == 0 && op[len] == ':' &&
		    op[len + 1] != '\0') {
			*path = op + len + 1;
			return k;
		}
	}
	return -1;
}

/* Adds the splits of the operands that are files here, in order. */
static void
plan_local_inputs(struct job *j, char **ops, int n, const char *stdin_copy)
{
	const char *path;
	int i;

	for (i = 0; i < n; i++)
		if (input_host(ops[i], &path) < 0)
			plan_inputs(j, &ops[i], 1, stdin_copy);
}

/*
 * The listing() of path on host k, allocated, with its length in *len;
 * dies when the host cannot give it.
 */
static char *
host_listing(int k, const char *path, const char *op, size_t *len)
{
	char err[1024], *tmp = path_join(work, "listing.XXXXXX"), *list;
	struct stat st;
	int fd;

	if ((fd = mkstemp(tmp)) < 0)
		die("%s: %s", tmp, strerror(errno));
	unlink(tmp);
	free(tmp);
	if (host_list(&hosts[k], path, fd, err, sizeof(err)) != 0)
		die("%s: %s", op, err);
	if (fstat(fd, &st) < 0)
		die("the listing of %s: %s", op, strerror(errno));
	*len = (size_t)st.st_size;
	list = xmalloc(*len + 1);
	if (pread(fd, list, *len, 0) != (ssize_t)*len)
		die("the listing of %s: %s", op, strerror(errno));
	list[*len] = '\0';
	close(fd);
	/* a listing ends in a NUL, so that a bad one cannot run over */
	if (*len > 0 && list[*len - 1] != '\0')
		die("%s: a bad listing from host %s", op, hosts[k].name);
	return list;
}

/* Adds the splits of every operand, here or on a host, in order. */
static void
add_inputs(char **ops, int n, const char *stdin_copy)
{
	const char *path;
	char *list;
	size_t len;
	int i, k;

	for (i = 0; i < n; i++) {
		if ((k = input_host(ops[i], &path)) < 0) {
			plan_inputs(&job, &ops[i], 1, stdin_copy);
			continue;
		}
		if (!hosts[k].up)
			die("%s: host %s is not reachable", ops[i],
			    hosts[k].name);
		if (path[0] != '/')
			die("%s: a path on a host must be absolute", ops[i]);
		list = host_listing(k, path, ops[i], &len);
		plan_listed(&job, k, list, len, path, ops[i]);
		free(list);
	}
}

/* The directory of this machine's mr tools, for --ship. */
static const char *
local_tools(void)
{
	char *path, *dir, *save, *probe;
	const char *env = getenv("PATH");

	if (job.bindir[0] != '\0')
		return job.bindir;
	path = xstrdup(env != NULL ? env : "");
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		probe = path_join(dir, "mrmap");
		if (access(probe, X_OK) == 0) {
			free(probe);
			return dir;	/* path is kept: dir points into it */
		}
		free(probe);
	}
	die("--ship: cannot find the mr tools here");
}

static char ctldir[64];		/* ssh's control sockets, here */

/* Ends the workers and removes the control directory. */
static void
stop_hosts(void)
{
	if (nhosts > 0)
		hosts_stop(hosts, nhosts);
	if (ctldir[0] != '\0')
		rm_rf(ctldir);
}

/* The job as each host runs it: its scratch is the work directory. */
static void
host_jobs(void)
{
	int k;

	host_job = xmalloc((size_t)nhosts * sizeof(*host_job));
	for (k = 0; k < nhosts; k++) {
		host_job[k] = job;
		host_job[k].work = hosts[k].scratch != NULL ?
		    hosts[k].scratch : "/nonexistent";
		host_job[k].bindir = "";
		host_job[k].tmpdir = NULL;
		host_job[k].streamed = 1;
	}
}

/*
 * Connects to the hosts, gives each its slots, and copies the --file
 * files there.
 */
static void
start_hosts(int jobs_given)
{
	char *dest;
	int k, i, up;

	snprintf(ctldir, sizeof(ctldir), "/tmp/mrrun-ssh-XXXXXX");
	if (mkdtemp(ctldir) == NULL)
		die("%s: %s", ctldir, strerror(errno));
	atexit(stop_hosts);
	reach.ctldir = ctldir;
	if (reach.ship)
		reach.tools = local_tools();
	if ((up = hosts_start(hosts, nhosts, &reach, host_lost)) == 0)
		die("no host is reachable");
	for (k = 0; k < nhosts; k++) {
		struct host *h = &hosts[k];

		if (!h->up)
			continue;
		if (h->slots == 0)
			h->slots = jobs_given ? jobs : h->nproc;
		for (i = 0; i < nfiles; i++) {
			const char *base = strrchr(files[i], '/');

			dest = path_join("files", base != NULL ? base + 1 :
			    files[i]);
			copy_to_host(h, files[i], dest);
			free(dest);
		}
	}
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
	    OPT_VALUES, OPT_VERSION, OPT_FIELDS, OPT_FILE, OPT_HOSTS,
	    OPT_REMOTE_DIR, OPT_REMOTE_PATH, OPT_RSH, OPT_SHIP, OPT_SHUFFLE,
	    OPT_SPECULATE, OPT_SSH_CONFIG, OPT_SSH_OPTION };
	static const struct option longopts[] = {
		{ "combiner", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "framed", no_argument, NULL, OPT_FRAMED },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
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
		{ "remote-dir", required_argument, NULL, OPT_REMOTE_DIR },
		{ "remote-path", required_argument, NULL, OPT_REMOTE_PATH },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "reverse", no_argument, NULL, OPT_REVERSE },
		{ "rsh", required_argument, NULL, OPT_RSH },
		{ "separator", required_argument, NULL, 't' },
		{ "ship", no_argument, NULL, OPT_SHIP },
		{ "shuffle", required_argument, NULL, OPT_SHUFFLE },
		{ "speculate", no_argument, NULL, OPT_SPECULATE },
		{ "split-size", required_argument, NULL, OPT_SPLIT_SIZE },
		{ "ssh-config", required_argument, NULL, OPT_SSH_CONFIG },
		{ "ssh-option", required_argument, NULL, OPT_SSH_OPTION },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "total-order", no_argument, NULL, OPT_TOTAL_ORDER },
		{ "values", no_argument, NULL, OPT_VALUES },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "zero-terminated", no_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	struct mr_textfmt fmt = MR_TEXTFMT_DEFAULT;
	struct job check;
	struct mr_op op, rop;
	sigset_t sigs;
	pthread_t sigthread, progthread;
	const char *joblog_path = NULL, *hosts_arg = NULL;
	char **inputs, *stdin_copy = NULL, *p, err[1024];
	size_t size;
	long v;
	int c, i, n, quiet = 0, reducers = -1, uses_stdin = 0, jobs_given = 0;
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
			jobs_given = 1;
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
		case OPT_FILE:
			files = xrealloc(files, (size_t)(nfiles + 1) *
			    sizeof(*files));
			files[nfiles++] = optarg;
			break;
		case OPT_HOSTS:
			hosts_arg = optarg;
			break;
		case OPT_REMOTE_DIR:
			reach.remote_dir = optarg;
			break;
		case OPT_REMOTE_PATH:
			reach.remote_path = optarg;
			break;
		case OPT_RSH:
			reach.rsh = optarg;
			break;
		case OPT_SHIP:
			reach.ship = 1;
			break;
		case OPT_SHUFFLE:
			if (strcmp(optarg, "direct") == 0)
				direct = 1;
			else if (strcmp(optarg, "relay") != 0)
				usage_error(usage_text, "--shuffle %s: relay or "
				    "direct", optarg);
			break;
		case OPT_SPECULATE:
			speculate = 1;
			break;
		case OPT_SSH_CONFIG:
			reach.config = optarg;
			break;
		case OPT_SSH_OPTION:
			reach.options = xrealloc(reach.options,
			    (size_t)(reach.noptions + 1) *
			    sizeof(*reach.options));
			reach.options[reach.noptions++] = optarg;
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
	if (hosts_arg != NULL) {
		if ((hosts = hosts_parse(hosts_arg, &nhosts, err,
		    sizeof(err))) == NULL)
			usage_error(usage_text, "--hosts: %s", err);
		if (resume)
			usage_error(usage_text, "--resume works in local mode "
			    "only: the hosts' scratch is gone after a job");
	} else if (reach.config != NULL || reach.noptions > 0 ||
	    reach.rsh != NULL || reach.remote_dir != NULL ||
	    reach.remote_path != NULL || reach.ship || speculate || direct)
		usage_error(usage_text, "the options of ssh, --ship, "
		    "--shuffle and --speculate need --hosts");
	if (reach.ship && reach.remote_path != NULL)
		usage_error(usage_text, "--ship and --remote-path exclude each "
		    "other");
	for (i = 0; i < nfiles; i++)
		if (stat(files[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    access(files[i], R_OK) < 0)
			die("--file %s: %s", files[i], errno != 0 &&
			    !S_ISREG(st.st_mode) ? strerror(errno) :
			    "not a readable file");
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
		plan_local_inputs(&job, inputs, n, NULL);
		plan_identity(&job);
		dry_run_print();
		return 0;
	}
	if (outdir != NULL && !force && lstat(outdir, &st) == 0)
		die("%s: the output directory exists (--force replaces it)",
		    outdir);
	/* every input is checked before the work directory is touched */
	check = job;
	plan_local_inputs(&check, inputs, n, NULL);
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
	/* an exit by die(), from any thread, kills the tasks still running */
	atexit(task_stop);
	if (nhosts > 0)
		start_hosts(jobs_given);
	add_inputs(inputs, n, stdin_copy);
	plan_identity(&job);
	if (nhosts > 0)
		host_jobs();
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
	for (i = 0; i < job.nsplits; i++)
		map.bytes += job.splits[i].end - job.splits[i].start;
	if (job.reducers > 0)
		reduce.n = job.reducers;
	part_bytes = xmalloc(((size_t)job.nsplits * (size_t)job.reducers +
	    1) * sizeof(*part_bytes));
	if (show_progress &&
	    pthread_create(&progthread, NULL, progress, NULL) != 0)
		die("cannot start a thread");

	/* new split points would make every map output stale */
	if (job.total_order && !(resume && points_kept())) {
		sample.n = job.nsplits;
		points.n = 1;
	}
	for (i = 0; i < NPHASES; i++) {
		phases[i]->ts = xmalloc(((size_t)phases[i]->n + 1) *
		    sizeof(struct tstate));
		memset(phases[i]->ts, 0, ((size_t)phases[i]->n + 1) *
		    sizeof(struct tstate));
	}
	if (resume && points.n == 0) {
		map.done = reuse_maps();
		if (map.done > 0)
			warnx("resuming: %d of %d map tasks are done", map.done,
			    map.n);
	}
	run_job();
	pthread_mutex_lock(&state);
	finished = 1;
	pthread_mutex_unlock(&state);
	stop_hosts();
	if (show_progress)
		pthread_join(progthread, NULL);
	pthread_mutex_lock(&state);
	if (interrupted) {
		/* the signal thread ends the process */
		for (;;)
			pthread_cond_wait(&changed, &state);
	}
	pthread_mutex_unlock(&state);
	if (failed && nhosts > 0) {
		fprintf(stderr, "%s: %s\n", progname, failure);
		if (!keep_temp)
			rm_rf(work);
		exit(1);
	}
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
