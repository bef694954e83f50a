/*
 * setup.c: a job made ready to run: the inputs checked and planned, here
 * or on the hosts, the work directory locked and laid out (or found again
 * for --resume), the phases and their tasks, the signal thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mrrun.h"
#include "proc.h"
#include "work.h"

#define DEFAULT_SPLIT	(64ULL << 20)

/* The directories of the work directory, beside "lock" and "manifest". */
static const char *const subdirs[] = { "map", "reduce", "sample", "out",
    "logs" };

static const char *const builtin_counters[] = {
	"MAP_INPUT_RECORDS", "MAP_INPUT_BYTES", "MAP_OUTPUT_RECORDS",
	"COMBINE_INPUT_RECORDS", "COMBINE_OUTPUT_RECORDS",
	"REDUCE_INPUT_GROUPS", "REDUCE_INPUT_RECORDS",
	"REDUCE_OUTPUT_RECORDS", "SPILLED_BYTES", "FAILED_ATTEMPTS",
};

/*
 * dir/name, allocated, as cli.c's join_path(): never "//", however dir
 * (--tmpdir, an input directory) ends.
 */
char *
path_join(const char *dir, const char *name)
{
	return join_path(dir, name);
}

static struct task *
build_points(const struct job *j, int i, int attempt)
{
	(void)i;
	(void)attempt;
	return plan_points(j);
}

/*
 * Returns a new job with the defaults of the options, allocated: it
 * lives as long as the process, which its threads and atexit() handlers
 * share.
 */
struct mrrun *
mrrun_new(void)
{
	struct mrrun *r = xmalloc(sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->job.split_size = DEFAULT_SPLIT;
	r->job.key_fields = 1;
	r->reducers = -1;
	r->retries = 3;
	if ((r->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		r->jobs = 1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	r->sample = (struct phase){ .name = "sample", .build = plan_sample,
	    .commit = commit_sample };
	r->points = (struct phase){ .name = "sample", .here = 1,
	    .build = build_points, .commit = commit_points };
	r->map = (struct phase){ .name = "map", .build = plan_map,
	    .commit = commit_map };
	r->reduce = (struct phase){ .name = "reduce", .build = plan_reduce,
	    .input = reduce_input, .commit = commit_reduce };
	r->phases[0] = &r->sample;
	r->phases[1] = &r->points;
	r->phases[2] = &r->map;
	r->phases[3] = &r->reduce;
	return r;
}

/* Copies standard input to the work directory, so tasks can split it. */
static char *
save_stdin(const char *work)
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
 * The host whose file the operand HOST:PATH names, with *path set to
 * PATH; -1 for a file here.
 */
static int
input_host(const struct mrrun *r, const char *op, const char **path)
{
	size_t len;
	int k;

	for (k = 0; k < r->nhosts; k++) {
		len = strlen(r->hosts[k].name);
		if (strncmp(op, r->hosts[k].name, len) == 0 &&
		    op[len] == ':' && op[len + 1] != '\0') {
			*path = op + len + 1;
			return k;
		}
	}
	return -1;
}

/* Adds to j the splits of the operands that are files here, in order. */
static void
plan_local_inputs(const struct mrrun *r, struct job *j)
{
	const char *path;
	int i, from;

	for (i = 0; i < r->ninputs; i++)
		if (input_host(r, r->inputs[i], &path) < 0) {
			from = j->nsplits;
			plan_inputs(j, &r->inputs[i], 1, NULL);
			plan_group(j, from, r->input_group[i]);
		}
}

/*
 * The listing() of path on host k, allocated, with its length in *len;
 * dies when the host cannot give it.
 */
static char *
host_listing(struct mrrun *r, int k, const char *path, const char *op,
    size_t *len)
{
	char err[1024], *tmp = path_join(r->work, "listing.XXXXXX"), *list;
	struct stat st;
	int fd;

	if ((fd = mkstemp(tmp)) < 0)
		die("%s: %s", tmp, strerror(errno));
	unlink(tmp);
	free(tmp);
	if (host_list(&r->hosts[k], path, fd, err, sizeof(err)) != 0)
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
		die("%s: a bad listing from host %s", op, r->hosts[k].name);
	return list;
}

/* Adds the splits of every operand, here or on a host, in order. */
static void
add_inputs(struct mrrun *r)
{
	const char *path;
	char *list, *op;
	size_t len;
	int i, k, from;

	for (i = 0; i < r->ninputs; i++) {
		op = r->inputs[i];
		from = r->job.nsplits;
		if ((k = input_host(r, op, &path)) < 0) {
			plan_inputs(&r->job, &r->inputs[i], 1, r->stdin_copy);
			plan_group(&r->job, from, r->input_group[i]);
			continue;
		}
		if (!r->hosts[k].up)
			die("%s: host %s is not reachable", op,
			    r->hosts[k].name);
		if (path[0] != '/')
			die("%s: a path on a host must be absolute", op);
		list = host_listing(r, k, path, op, &len);
		plan_listed(&r->job, k, list, len, path, op);
		plan_group(&r->job, from, r->input_group[i]);
		free(list);
	}
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

/* Spark's threshold for a broadcast join: 10 MiB. */
#define BROADCAST_HINT	(10 << 20)

/*
 * Says on stderr, for --dry-run of a --join of two groups without
 * --broadcast, when --broadcast would do: the smaller group that the
 * join type lets go to every map task holds under BROADCAST_HINT bytes,
 * and under half of --memory, and no option rules it out.
 */
static void
broadcast_hint(const struct mrrun *r)
{
	const struct job *j = &r->job;
	uint64_t bytes[2] = { 0, 0 }, most = BROADCAST_HINT;
	size_t mem;
	int i, g, best = -1;

	if (j->join == JOIN_NONE || j->broadcast > 0 || j->ngroups != 2 ||
	    r->reducers > 0 || j->total_order || j->keyfields > 0)
		return;
	if (j->memory != NULL && parse_size(j->memory, &mem) == 0 &&
	    mem / 2 < most)
		most = mem / 2;
	for (i = 0; i < j->nsplits; i++)
		bytes[j->splits[i].group] += j->splits[i].end -
		    j->splits[i].start;
	for (g = 0; g < 2; g++)
		if (plan_broadcast_allowed(j->join, g + 1) && bytes[g] < most &&
		    (best < 0 || bytes[g] < bytes[best]))
			best = g;
	if (best >= 0)
		warnx("group %d's inputs hold %llu bytes, under 10 MiB: "
		    "--broadcast %d would join them in the map tasks, with no "
		    "shuffle", best + 1, (unsigned long long)bytes[best],
		    best + 1);
}

/* Prints every task of the job, as shell lines, for --dry-run. */
void
dry_run(struct mrrun *r)
{
	struct job *j = &r->job;
	int i, n;

	plan_local_inputs(r, j);
	plan_streamed_first(j);
	plan_identity(j);
	n = plan_samples(j);
	for (i = 0; i < n; i++)
		print_task(plan_sample(j, i, 0));
	if (j->total_order || j->broadcast > 0)
		print_task(plan_points(j));
	for (i = 0; i < plan_maps(j); i++)
		print_task(plan_map(j, i, 0));
	for (i = 0; i < j->reducers; i++)
		print_task(plan_reduce(j, i, 0));
	if (fflush(stdout) != 0 || ferror(stdout))
		die("stdout: %s", strerror(errno));
	broadcast_hint(r);
}

/*
 * Mixes the --file files, their base names, sizes and CRC-32C, into the
 * job's identity: a script given by --file is part of the job as much
 * as the mapper's command line, and --resume must not reuse the map
 * outputs of the script before an edit.
 */
static void
files_identity(const struct mrrun *r, struct job *j)
{
	uint64_t v[4], bytes;
	const char *base;
	uint32_t crc;
	int i;

	for (i = 0; i < r->nfiles; i++) {
		base = strrchr(r->files[i], '/');
		base = base != NULL ? base + 1 : r->files[i];
		crc = 0;
		bytes = 0;
		if (file_sum(r->files[i], &crc, &bytes) < 0)
			die("--file %s: %s", r->files[i], strerror(errno));
		v[0] = j->identity;
		v[1] = bytes;
		v[2] = crc;
		v[3] = mr_hash64(base, strlen(base));
		j->identity = mr_hash64(v, sizeof(v));
	}
}

/*
 * What the output directory holds, by its _SUCCESS: the output of this
 * command (r->name) over inputs of identity (OUT_CURRENT), over others
 * (OUT_STALE), or of another job or none (OUT_OTHER).  An identity of 0
 * is never current: a job that reads standard input or a host's files
 * cannot tell whether they changed.
 */
enum { OUT_CURRENT, OUT_STALE, OUT_OTHER };

static int
output_state(const struct mrrun *r, uint64_t identity)
{
	char buf[4096], *p = path_join(r->outdir, "_SUCCESS"), *line;
	unsigned long long name = 0, id = 0;
	ssize_t n;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return OUT_OTHER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (line = buf; line != NULL && *line != '\0';
	    line = (line = strchr(line, '\n')) != NULL ? line + 1 : NULL) {
		if (strncmp(line, "job\t", 4) == 0)
			name = strtoull(line + 4, NULL, 16);
		else if (strncmp(line, "identity\t", 9) == 0)
			id = strtoull(line + 9, NULL, 16);
	}
	if (name == 0 || name != r->name)
		return OUT_OTHER;
	return identity != 0 && id == identity ? OUT_CURRENT : OUT_STALE;
}

/*
 * Whether the job may write its output, as inputs_check() says: with
 * the output directory there, the output of this command over the same
 * inputs ends the job at once, with status 0; over inputs since changed,
 * it is made again and replaces the old, as with --force; that of
 * another job, or a directory without _SUCCESS, is an error without
 * --force.  check holds the plan of the inputs here.
 */
static void
output_check(struct mrrun *r, struct job *check)
{
	const char *path;
	struct stat st;
	int i, state, known = !r->uses_stdin;

	if (r->outdir == NULL || lstat(r->outdir, &st) < 0)
		return;
	for (i = 0; i < r->ninputs; i++)
		known &= input_host(r, r->inputs[i], &path) < 0;
	plan_streamed_first(check);
	plan_identity(check);
	files_identity(r, check);
	state = output_state(r, known ? check->identity : 0);
	if (state == OUT_CURRENT && !r->force) {
		if (r->stats || isatty(STDERR_FILENO))
			warnx("%s is up to date", r->outdir);
		exit(0);
	}
	if (state == OUT_STALE)
		r->force = 1;
	if (!r->force)
		die("%s: the output directory exists (--force replaces it)",
		    r->outdir);
}

/*
 * Checks, before the work directory is touched, that every input here
 * can be read and that the output directory may be made (output_check());
 * dies otherwise.
 */
void
inputs_check(struct mrrun *r)
{
	struct job check;
	int i;

	check = r->job;
	/* the counts of the groups are the job's, not the check's */
	check.groups = xmalloc((size_t)check.ngroups * sizeof(*check.groups));
	memcpy(check.groups, r->job.groups, (size_t)check.ngroups *
	    sizeof(*check.groups));
	plan_local_inputs(r, &check);
	output_check(r, &check);
	for (i = 0; i < check.nsplits; i++) {
		free((char *)check.splits[i].path);
		free((char *)check.splits[i].name);
	}
	free(check.splits);
	free(check.groups);
}

/* Stops the job on SIGINT, SIGTERM or SIGHUP, keeping its work. */
static void *
on_signal(void *arg)
{
	struct mrrun *r = arg;
	int sig;

	if (sigwait(&r->sigs, &sig) != 0)
		return NULL;
	pthread_mutex_lock(&r->lock);
	r->failed = r->interrupted = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	task_stop();
	if (r->nhosts > 0) {
		stop_hosts(r);
		if (!r->keep_temp)
			rm_rf(r->work);
		fprintf(stderr, "\n%s: interrupted\n", progname);
	} else
		fprintf(stderr, "\n%s: interrupted; the work directory %s is "
		    "kept for --resume\n", progname, r->work);
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &r->sigs, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * Puts in r->sigs the signals that stop the job, SIGINT, SIGTERM and
 * SIGHUP, and blocks them for the signal thread to take; but one that was
 * ignored when mrrun started, as nohup(1) and a shell's background job
 * leave them, stays ignored, as in the other tools (cli_init()).  The
 * tasks get every signal at its default all the same (child.c).  Returns
 * how many signals it took.
 */
static int
stop_signals(struct mrrun *r)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction old;
	size_t i;
	int n = 0;

	sigemptyset(&r->sigs);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&r->sigs, sigs[i]);
		n++;
	}
	pthread_sigmask(SIG_BLOCK, &r->sigs, NULL);
	return n;
}

/*
 * A relative TMPDIR names a directory of mrrun's current directory, but
 * the tasks of a local job with --file run in the work directory: they
 * get it absolute.  setenv() must come before any thread starts.
 */
static void
absolute_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char cwd[PATH_MAX], *abs;

	if (tmp == NULL || *tmp == '\0' || *tmp == '/')
		return;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	abs = path_join(cwd, tmp);
	if (setenv("TMPDIR", abs, 1) < 0)
		die("TMPDIR: %s", strerror(errno));
	free(abs);
}


/*
 * Takes the work directory, with the signal thread that keeps it for
 * --resume on an interrupt, and plans the job's inputs in it.
 */
static void
start_work(struct mrrun *r)
{
	char cwd[PATH_MAX];
	pthread_t sigthread;
	int nsigs;

	/* the tasks of a local job with --file run in the work directory */
	if (r->nfiles > 0 && r->nhosts == 0 && r->work[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			die("cannot name the current directory: %s",
			    strerror(errno));
		r->work = path_join(cwd, r->work);
		r->job.work = r->work;
	}
	if (r->nfiles > 0 && r->nhosts == 0)
		absolute_tmpdir();
	signal(SIGPIPE, SIG_IGN);
	nsigs = stop_signals(r);
	work_lock(r->work, r->outdir != NULL ? r->outdir : "this job");
	if (nsigs > 0 && pthread_create(&sigthread, NULL, on_signal, r) != 0)
		die("cannot start a thread");
	if (!r->resume)
		work_clean(r->work);
	if (r->uses_stdin)
		r->stdin_copy = save_stdin(r->work);
	/* an exit by die(), from any thread, kills the tasks still running */
	atexit(task_stop);
	if (r->nhosts > 0)
		start_hosts(r);
	add_inputs(r);
	plan_streamed_first(&r->job);
	plan_identity(&r->job);
	files_identity(r, &r->job);
	if (r->nhosts > 0)
		host_jobs(r);
	/* a reduce task's mrmerge names every map task's partition */
	if (r->job.reducers > 0 && (size_t)r->job.nsplits *
	    (strlen(r->work) + 32) > (1 << 20))
		die("%d map tasks are too many for one reduce task's command "
		    "line; use a larger --split-size", r->job.nsplits);
}

/*
 * Copies the --file files, with their permissions, under their base names
 * into the directory "files" of the work directory, and makes it the
 * current directory, where the tasks run: as on the hosts, whose workers
 * run the tasks where the files are.  What mrrun names by a relative
 * path after this is made absolute first.
 */
static void
place_files(struct mrrun *r)
{
	char buf[1 << 16], cwd[PATH_MAX], *dir, *dest, *p;
	const char *base;
	struct stat st;
	ssize_t n;
	int i, in, out;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("cannot name the current directory: %s", strerror(errno));
	dir = path_join(r->work, "files");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	for (i = 0; i < r->nfiles; i++) {
		base = strrchr(r->files[i], '/');
		dest = path_join(dir, base != NULL ? base + 1 : r->files[i]);
		if ((in = open(r->files[i], O_RDONLY | O_CLOEXEC)) < 0 ||
		    fstat(in, &st) < 0)
			die("--file %s: %s", r->files[i], strerror(errno));
		if ((out = open(dest, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600)) < 0)
			die("%s: %s", dest, strerror(errno));
		while ((n = read(in, buf, sizeof(buf))) != 0)
			if ((n < 0 && errno != EINTR) ||
			    (n > 0 && write_all(out, buf, (size_t)n) < 0))
				die("%s: %s", dest, strerror(errno));
		if (fchmod(out, st.st_mode & 0777) < 0 || close(out) < 0)
			die("%s: %s", dest, strerror(errno));
		close(in);
		free(dest);
	}
	if (r->outdir != NULL && r->outdir[0] != '/')
		r->outpath = path_join(cwd, r->outdir);
	if ((p = (char *)r->job.tmpdir) != NULL && p[0] != '/')
		r->job.tmpdir = path_join(cwd, p);
	if (chdir(dir) < 0)
		die("%s: %s", dir, strerror(errno));
	free(dir);
}

/* Lays out the work directory, its manifest and the job log. */
static void
lay_out_work(struct mrrun *r)
{
	char *p;
	size_t i;

	if (!manifest_start(r->work, r->job.identity) && r->resume) {
		warnx("nothing to resume in %s: starting the job over",
		    r->work);
		work_clean(r->work);
		manifest_start(r->work, r->job.identity);
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		p = path_join(r->work, subdirs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			die("%s: %s", p, strerror(errno));
		free(p);
	}
	r->staged = path_join(r->work, "out");
	for (i = 0; i < sizeof(builtin_counters) /
	    sizeof(builtin_counters[0]); i++)
		proc_count_add("mr", builtin_counters[i], 0);
	if (r->joblog_path != NULL) {
		if ((r->joblog = fopen(r->joblog_path, r->resume ? "a" :
		    "w")) == NULL ||
		    fcntl(fileno(r->joblog), F_SETFD, FD_CLOEXEC) < 0)
			die("%s: %s", r->joblog_path, strerror(errno));
		if (ftell(r->joblog) == 0)
			fputs("Task\tHost\tStarttime\tJobRuntime\tExitval\t"
			    "Send\tReceive\tCommand\n", r->joblog);
	}
	if (r->nfiles > 0 && r->nhosts == 0)
		place_files(r);
}

/* Reuses the map tasks that the manifest holds and that are intact. */
static int
reuse_maps(struct mrrun *r)
{
	uint64_t bytes, mbytes, mrec;
	uint32_t crc, mcrc;
	char id[24];
	int i, n = 0;

	for (i = 0; i < r->map.n; i++) {
		snprintf(id, sizeof(id), "m-%05d", i);
		if (!manifest_find(id, &mrec, &mcrc, &mbytes) ||
		    map_output(r, i, &crc, &bytes) < 0 ||
		    crc != mcrc || bytes != mbytes ||
		    map_counters(r, i, bytes, 1) < 0)
			continue;
		r->map.ts[i].state = DONE;
		r->map.ts[i].out = bytes;
		if (r->job.reducers == 0)
			r->committed[i] = 1;
		n++;
	}
	return n;
}

/* Whether the split points of a job resumed are kept and intact. */
static int
points_kept(const struct mrrun *r)
{
	uint64_t n, b, bytes = 0;
	uint32_t c, crc = 0;
	char *p = plan_file(&r->job, plan_gathered(&r->job), 0, 0);
	int ok;

	ok = manifest_find("points", &n, &c, &b) &&
	    file_sum(p, &crc, &bytes) == 0 && crc == c && bytes == b;
	free(p);
	return ok;
}

/* Makes the phases' tasks, finding those of a resumed job done. */
static void
make_phases(struct mrrun *r)
{
	struct job *j = &r->job;
	int i, n;

	r->map.n = plan_maps(j);
	n = j->reducers > 0 ? j->reducers : r->map.n;
	r->committed = xmalloc((size_t)n + 1);
	memset(r->committed, 0, (size_t)n + 1);
	for (i = 0; i < r->map.n; i++)
		r->map.bytes += j->splits[i].end - j->splits[i].start;
	if (j->reducers > 0)
		r->reduce.n = j->reducers;
	r->part_bytes = xmalloc(((size_t)j->nsplits * (size_t)j->reducers +
	    1) * sizeof(*r->part_bytes));
	if (r->show_progress)
		progress_start(r, &r->progthread);

	/* new split points would make every map output stale */
	if ((j->total_order || j->broadcast > 0) &&
	    !(r->resume && points_kept(r))) {
		r->sample.n = plan_samples(j);
		r->points.n = 1;
	}
	for (i = 0; i < NPHASES; i++) {
		r->phases[i]->ts = xmalloc(((size_t)r->phases[i]->n + 1) *
		    sizeof(struct tstate));
		memset(r->phases[i]->ts, 0, ((size_t)r->phases[i]->n + 1) *
		    sizeof(struct tstate));
	}
	if (r->resume && r->points.n == 0) {
		r->map.done = reuse_maps(r);
		if (r->map.done > 0)
			warnx("resuming: %d of %d map tasks are done",
			    r->map.done, r->map.n);
	}
}

/*
 * Makes the job ready to run: the work directory taken and laid out, the
 * hosts started, the inputs planned, the phases made; dies when it
 * cannot.
 */
void
job_start(struct mrrun *r)
{
	start_work(r);
	lay_out_work(r);
	make_phases(r);
}
