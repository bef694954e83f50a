/*
 * shuffle.c: moving a job's data to and from its hosts: a split of a file
 * here sent to the host of its map task, the partitions of the map
 * outputs fetched to the host of each reduce task (relayed through this
 * machine, or pulled directly with --shuffle=direct), and what a
 * committed attempt left on its host brought back here.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "mrrun.h"

/* Returns path without the scratch directory of h in front: h's name. */
const char *
on_host(const struct host *h, const char *path)
{
	size_t n = strlen(h->scratch);

	if (strncmp(path, h->scratch, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

/*
 * Copies the file path here to dest in h's scratch directory, keeping
 * its permissions; a host lost meanwhile is left to the scheduler.
 */
void
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

/*
 * Returns where the map outputs are now, allocated; and in *fetched,
 * allocated, which of them a reduce task on h reads from copies fetched
 * to h: those that another host holds.
 */
struct host **
map_places(struct mrrun *r, const struct host *h, char **fetched)
{
	int i, n = r->job.nsplits;
	struct host **where = xmalloc(((size_t)n + 1) * sizeof(*where));

	*fetched = xmalloc((size_t)n + 1);
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < n; i++) {
		where[i] = r->map.ts[i].where;
		(*fetched)[i] = where[i] != h;
	}
	pthread_mutex_unlock(&r->lock);
	return where;
}

/*
 * Makes map task i pending again when its output was on a host that is
 * lost, and takes back its counters; a reducer that still needs that
 * output waits until it is made again.
 */
void
remake_map(struct mrrun *r, int i)
{
	struct phase *map = &r->map;
	int redo = 0;

	pthread_mutex_lock(&r->lock);
	if (map->ts[i].state == DONE && (map->ts[i].where == NULL ||
	    !map->ts[i].where->up) && r->job.reducers > 0 &&
	    r->reduce.done < r->reduce.n) {
		/* no attempt starts or commits before the counters are back */
		map->ts[i].state = COMMITTING;
		map->ts[i].where = NULL;
		map->done--;
		map->bytes_done -= r->job.splits[i].end -
		    r->job.splits[i].start;
		redo = 1;
	}
	pthread_mutex_unlock(&r->lock);
	if (!redo)
		return;
	map_counters(r, i, map->ts[i].out, -1);
	pthread_mutex_lock(&r->lock);
	map->ts[i].state = map->ts[i].runs != NULL ? RUNNING : PENDING;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
}

/*
 * Sends split i to h, as the file that its map task reads: the whole
 * file when the split is one, checked before and after as the plan
 * found it, else the records of its range, which mrsplit --range cuts
 * and checks here.
 */
static int
send_input(struct mrrun *r, int i, struct host *h, char *msg,
    size_t msgsize)
{
	const struct job *j = &r->job;
	const struct split *s = &j->splits[i];
	char *dest = plan_file(&r->host_job[h->index], PLAN_INPUT, i, 0);
	char range[64], expect[96], *argv[10], *tool = NULL;
	int fd, p[2], rc, n = 0, whole;
	pid_t pid = -1;

	whole = s->codec || (s->start == 0 && s->end == s->stamp.size);
	if (whole) {
		if ((fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    plan_check(s, fd, msg, msgsize) < 0) {
			if (fd < 0)
				snprintf(msg, msgsize, "%s: %s", s->name,
				    strerror(errno));
			else
				close(fd);
			free(dest);
			return 1;
		}
	} else {
		tool = xmalloc(strlen(j->bindir) + 16);
		sprintf(tool, "%s%smrsplit", j->bindir,
		    j->bindir[0] != '\0' ? "/" : "");
		snprintf(range, sizeof(range), "--range=%llu:%llu",
		    (unsigned long long)s->start, (unsigned long long)s->end);
		plan_expect(s, expect, sizeof(expect));
		argv[n++] = tool;
		argv[n++] = range;
		argv[n++] = expect;
		if (j->zero)
			argv[n++] = "-z";
		if (j->sep != NULL) {
			argv[n++] = "-t";
			argv[n++] = (char *)j->sep;
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
	/* what was sent is the file planned only if it is so still */
	if (rc == 0 && whole && plan_check(s, fd, msg, msgsize) < 0)
		rc = 1;
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
 * The task that pulls partition r of the map outputs that host k holds
 * to h for --shuffle=direct, from map task i on: on host k, "cd
 * SCRATCH/map && tar cf - m-I/part-R ..."; on h, mkdir and "tar xf -".
 */
static struct task *
pull_task(struct mrrun *r, int k, int i, int part, struct host *h,
    struct host **where)
{
	struct host *from = &r->hosts[k];
	char *cmd = NULL, *pull, *src, *dst, name[64];
	struct task *t;
	size_t len = 0;

	shell_text(&cmd, &len, "cd ");
	src = path_join(from->scratch, "map");
	shell_quote(&cmd, &len, src);
	free(src);
	shell_text(&cmd, &len, " && exec tar cf -");
	for (; i < r->job.nsplits; i++) {
		if (where[i] != from)
			continue;
		snprintf(name, sizeof(name), " m-%05d/part-%05d", i, part);
		shell_text(&cmd, &len, name);
	}
	pull = host_command(from, &r->reach, cmd);
	free(cmd);
	dst = plan_file(&r->host_job[h->index], PLAN_FETCHED, 0, part);
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
	return t;
}

/*
 * Fetches partition part of every map output that another host holds to
 * h with --shuffle=direct: a task on h pulls from each host with ssh.
 */
static int
fetch_direct(struct mrrun *r, int part, struct host *h, struct host **where,
    uint32_t id, int errfd, char *msg, size_t msgsize)
{
	struct task *t;
	int i, k, rc = 0;

	for (k = 0; k < r->nhosts && rc == 0; k++) {
		for (i = 0; i < r->job.nsplits; i++)
			if (where[i] == &r->hosts[k] && where[i] != h)
				break;
		if (i == r->job.nsplits)
			continue;
		if (!r->hosts[k].up) {
			snprintf(msg, msgsize, "host %s was lost",
			    r->hosts[k].name);
			return HOST_LOST;
		}
		t = pull_task(r, k, i, part, h, where);
		rc = host_run(h, t, id, msg, msgsize, errfd);
		task_free(t);
		/* the pull fails before this machine sees the host die */
		if (rc != 0 && rc != HOST_LOST && !host_alive(&r->hosts[k],
		    HOST_GRACE_MS)) {
			snprintf(msg, msgsize, "host %s was lost",
			    r->hosts[k].name);
			rc = HOST_LOST;
		}
	}
	return rc;
}

/*
 * Fetches partition part of every map output that another host holds to
 * h, where the reduce task reads it: through this machine, or with
 * --shuffle=direct by a task on h that pulls from each host with ssh.
 */
static int
fetch(struct mrrun *r, int part, struct host *h, struct host **where,
    uint32_t id, int errfd, char *msg, size_t msgsize)
{
	char *src, *dst;
	int i, rc = 0;

	for (i = 0; i < r->job.nsplits; i++)
		if (where[i] == NULL || !where[i]->up) {
			remake_map(r, i);
			snprintf(msg, msgsize, "map output %d was lost", i);
			rc = HOST_LOST;
		}
	if (rc == 0 && r->direct)
		return fetch_direct(r, part, h, where, id, errfd, msg,
		    msgsize);
	for (i = 0; i < r->job.nsplits && rc == 0; i++) {
		if (where[i] == h)
			continue;
		src = plan_file(&r->host_job[where[i]->index], PLAN_MAP_PART,
		    i, part);
		dst = plan_file(&r->host_job[h->index], PLAN_FETCHED, i,
		    part);
		rc = host_relay(where[i], src, h, on_host(h, dst), msg,
		    msgsize);
		if (rc != 0 && rc != HOST_LOST && !host_alive(where[i],
		    HOST_GRACE_MS)) {
			snprintf(msg, msgsize, "host %s was lost",
			    where[i]->name);
			rc = HOST_LOST;
		}
		free(src);
		free(dst);
	}
	return rc;
}

/*
 * Runs task t, number i of ph, on h: first sends its input there (a map
 * task of a file here) or fetches its partitions (a reduce task).
 * Returns host_run()'s status, 1 for a failed copy, or HOST_LOST.
 */
int
remote_attempt(struct mrrun *r, struct phase *ph, int i, struct task *t,
    struct host *h, struct host **where, uint32_t id, int errfd, char *msg,
    size_t msgsize)
{
	int rc = 0, k;

	msg[0] = '\0';
	/* a broadcast task maps a split of the broadcast group, whole */
	k = ph == &r->sample ? plan_sample_split(&r->job, i) : i;
	if ((ph == &r->map || (ph == &r->sample && r->job.broadcast > 0)) &&
	    r->job.splits[k].host < 0)
		rc = send_input(r, k, h, msg, msgsize);
	else if (ph == &r->reduce)
		rc = fetch(r, i, h, where, id, errfd, msg, msgsize);
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

/* Copies h's file f (of task i, partition part) to the same file here. */
static int
bring(struct mrrun *r, struct host *h, enum plan_file f, int i, int part,
    char *msg, size_t msgsize)
{
	char *src = plan_file(&r->host_job[h->index], f, i, part);
	char *dst = plan_file(&r->job, f, i, part), *slash;
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
 * Brings here the counters of map task i on h, and, for a map-only job,
 * its output; notes the sizes of its partitions, which stay on h.
 */
static int
collect_map(struct mrrun *r, int i, struct host *h, char *msg,
    size_t msgsize)
{
	const struct job *j = &r->job;
	uint64_t size;
	char *p;
	int k, rc;

	rc = bring(r, h, PLAN_MAP_COUNTERS, i, 0, msg, msgsize);
	for (k = 0; rc == 0 && k < j->reducers; k++) {
		if (j->combiner != NULL && !j->combine_builtin)
			rc = bring(r, h, PLAN_COMBINE_COUNTERS, i, k, msg,
			    msgsize);
		p = plan_file(&r->host_job[h->index], PLAN_MAP_PART, i, k);
		if (rc == 0)
			rc = host_stat(h, p, &size, msg, msgsize);
		free(p);
		if (rc == 0)
			r->part_bytes[(size_t)i * (size_t)j->reducers +
			    (size_t)k] = size;
	}
	if (rc == 0 && j->broadcast > 0)
		rc = bring(r, h, PLAN_JOIN_COUNTERS, i, 0, msg, msgsize);
	if (rc == 0 && j->reducers == 0)
		rc = bring(r, h, PLAN_OUT_PART, 0, i, msg, msgsize);
	return rc;
}

/*
 * Brings here what a committed attempt of task i of ph on h left that
 * this machine reads: counters, the output parts, the samples; and the
 * sizes of the partitions of a map task, which stay on h.  Returns 0, or
 * non-zero with a message in msg.
 */
int
collect(struct mrrun *r, struct phase *ph, int i, struct host *h,
    char *msg, size_t msgsize)
{
	int k, rc = 0, pieces;

	if (ph == &r->map)
		rc = collect_map(r, i, h, msg, msgsize);
	else if (ph == &r->reduce) {
		rc = bring(r, h, PLAN_REDUCE_COUNTERS, 0, i, msg, msgsize);
		if (rc == 0)
			rc = bring(r, h, PLAN_OUT_PART, 0, i, msg, msgsize);
	} else if (ph == &r->sample && r->job.broadcast > 0) {
		rc = bring(r, h, PLAN_BROADCAST_PART, i, 0, msg, msgsize);
		if (rc == 0)
			rc = bring(r, h, PLAN_BROADCAST_COUNTERS, i, 0, msg,
			    msgsize);
	} else if (ph == &r->sample) {
		pieces = plan_sample_pieces(&r->job.splits[i]);
		for (k = 0; k < pieces && rc == 0; k++)
			rc = bring(r, h, PLAN_SAMPLE, i, k, msg, msgsize);
	}
	return rc;
}
