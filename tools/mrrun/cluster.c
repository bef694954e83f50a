/*
 * cluster.c: the hosts of a job over ssh: starting a worker on each with
 * its slots and the --file files, the job as each host runs it, a host
 * lost, and stopping them all.
 */
#include <dirent.h>
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
#include "work.h"

/* The control directories, /tmp/mrrun-ssh-PID-XXXXXX, PID the controller. */
#define CTL_DIR		"/tmp"
#define CTL_PREFIX	"mrrun-ssh-"

/*
 * The job whose hosts stop at exit.  Global because atexit() handlers
 * take no argument, and die() may exit from any thread.
 */
static struct mrrun *at_exit;

/*
 * Called when host h is lost: the map outputs it held are made again
 * elsewhere while a reducer may still need them, and their counters are
 * taken back; a task whose input only h has fails the job.
 */
static void
host_lost(struct host *h, void *arg)
{
	struct mrrun *r = arg;
	const struct split *s = r->job.splits;
	int i, up = 0, k;

	pthread_mutex_lock(&r->lock);
	for (k = 0; k < r->nhosts; k++)
		up += r->hosts[k].up;
	pthread_mutex_unlock(&r->lock);
	warnx("host %s was lost%s", h->name, up > 0 ?
	    "; its tasks run again on the other hosts" : "");
	for (i = 0; i < r->map.n; i++)
		remake_map(r, i);
	for (i = 0; i < r->map.n; i++)
		if (s[i].host == h->index && (r->map.ts[i].state != DONE ||
		    r->map.ts[i].where == NULL)) {
			pthread_mutex_lock(&r->lock);
			if (!r->failed) {
				r->failed = 1;
				snprintf(r->failure, sizeof(r->failure),
				    "%s: its host %s was lost", s[i].name,
				    h->name);
				pthread_cond_broadcast(&r->changed);
			}
			pthread_mutex_unlock(&r->lock);
			break;
		}
}

/* The directory of this machine's mr tools, for --ship. */
static const char *
local_tools(const struct mrrun *r)
{
	char *path, *dir, *save, *probe;
	const char *env = getenv("PATH");

	if (r->job.bindir[0] != '\0')
		return r->job.bindir;
	path = xstrdup(env != NULL ? env : "");
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		probe = path_join(dir, "mrmap");
		if (access(probe, X_OK) == 0) {
			free(probe);
			return dir;	/* in path, which is kept */
		}
		free(probe);
	}
	die("--ship: cannot find the mr tools here");
}

/* Ends the workers of r's hosts and removes the control directory. */
void
stop_hosts(struct mrrun *r)
{
	if (r->nhosts > 0)
		hosts_stop(r->hosts, r->nhosts);
	if (r->ctldir[0] != '\0')
		rm_rf(r->ctldir);
}

static void
stop_hosts_at_exit(void)
{
	if (at_exit != NULL)
		stop_hosts(at_exit);
}

/*
 * Whether name, in CTL_DIR, is the control directory of a run that died
 * without removing it: named by a pid that no process has (this run's
 * own pid is alive), a directory and not a link, ours, of mode 0700.
 * A pid that a process has again keeps the directory until that one
 * ends; a directory of another user is never ours to remove.
 */
static int
dead_ctldir(int dfd, const char *name)
{
	const char *p = name + strlen(CTL_PREFIX);
	struct stat st;
	char *end;
	long pid;

	if (strncmp(name, CTL_PREFIX, strlen(CTL_PREFIX)) != 0 ||
	    *p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	/* mkdtemp()'s six characters after the pid */
	if (errno != 0 || pid > INT_MAX || *end != '-' ||
	    strlen(end + 1) != 6)
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0700)
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/*
 * Removes the control directories that runs killed before they could
 * (by SIGKILL, say) left in CTL_DIR.  Two runs that sweep at once may
 * both remove one: rm_rf() takes what is gone as removed.
 */
static void
sweep_ctldirs(void)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d;

	if ((d = opendir(CTL_DIR)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!dead_ctldir(dirfd(d), e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CTL_DIR, e->d_name);
		(void)rm_rf(path);
	}
	closedir(d);
}

/* Makes the job as each host runs it: its scratch is the work directory. */
void
host_jobs(struct mrrun *r)
{
	int k;

	r->host_job = xmalloc((size_t)r->nhosts * sizeof(*r->host_job));
	for (k = 0; k < r->nhosts; k++) {
		r->host_job[k] = r->job;
		r->host_job[k].work = r->hosts[k].scratch != NULL ?
		    r->hosts[k].scratch : "/nonexistent";
		r->host_job[k].bindir = "";
		r->host_job[k].tmpdir = NULL;
		r->host_job[k].streamed = 1;
	}
}

/*
 * Connects to the hosts, gives each its slots, and copies the --file
 * files there; dies when no host is reachable.
 */
void
start_hosts(struct mrrun *r)
{
	const char *base;
	char *dest;
	int k, i;

	sweep_ctldirs();
	snprintf(r->ctldir, sizeof(r->ctldir), "%s/%s%ld-XXXXXX", CTL_DIR,
	    CTL_PREFIX, (long)getpid());
	if (mkdtemp(r->ctldir) == NULL)
		die("%s: %s", r->ctldir, strerror(errno));
	at_exit = r;
	atexit(stop_hosts_at_exit);
	r->reach.ctldir = r->ctldir;
	if (r->reach.ship)
		r->reach.tools = local_tools(r);
	if (hosts_start(r->hosts, r->nhosts, &r->reach, host_lost, r) == 0)
		die("no host is reachable");
	for (k = 0; k < r->nhosts; k++) {
		struct host *h = &r->hosts[k];

		if (!h->up)
			continue;
		if (h->slots == 0)
			h->slots = r->jobs_given ? r->jobs : h->nproc;
		for (i = 0; i < r->nfiles; i++) {
			base = strrchr(r->files[i], '/');
			dest = path_join("files", base != NULL ? base + 1 :
			    r->files[i]);
			copy_to_host(h, r->files[i], dest);
			free(dest);
		}
	}
}
