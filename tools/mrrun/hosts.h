/*
 * hosts.h: the hosts of an mrrun job that runs over ssh, seen from the
 * controller.  Each host runs one "mrrun --worker" (remote.c) for the
 * whole job, started over one ssh connection, and this module talks to it
 * with the messages of wire.h: a request goes out, a reader thread per
 * host collects its DATA and its DONE.  A host whose channel breaks is
 * lost: every request pending on it ends with HOST_LOST.
 */
#ifndef MR_HOSTS_H
#define MR_HOSTS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "task.h"

#define HOST_LOST	(-2)	/* a request's status when its host is lost */
#define HOST_GRACE_MS	2000	/* host_alive()'s wait after a failure that
				   its host's death may have caused */

struct request;

struct host {
	char *name;		/* as written in --hosts: [user@]host[:port] */
	char *dest;		/* [user@]host, for ssh */
	char *port;		/* or NULL */
	int slots;		/* 0: the -j value, else the host's processors */
	int index;

	/* Set by hosts_start(). */
	int up;			/* connected; cleared when lost */
	char *scratch;		/* the worker's scratch directory */
	int nproc;
	pid_t pid;		/* the ssh that runs the worker */
	int to, from;		/* its stdin and stdout */
	pthread_mutex_t wlock;	/* one writer at a time on to */
	pthread_t reader;
	struct request *pending;
	int losing;		/* its reader runs lost() */
	char ctl[128];		/* ssh's ControlPath, or "" */
};

/* How mrrun reaches the hosts: the options given. */
struct reach {
	const char *config;	/* --ssh-config, or NULL */
	const char **options;	/* --ssh-option values */
	int noptions;
	const char *rsh;	/* --rsh, or NULL */
	const char *remote_dir;	/* --remote-dir, or NULL */
	const char *remote_path;	/* --remote-path, or NULL */
	int ship;		/* --ship */
	const char *tools;	/* this machine's mr tools, for --ship */
	const char *ctldir;	/* a private directory for ControlPaths */
};

/*
 * hosts_parse() reads the --hosts argument: a file when one of that name
 * exists, else a comma-separated list.  It returns the hosts, allocated,
 * with their number in *n; or NULL with a message in err when a line or
 * name is bad (a name must be a plain [user@]host[:port] that does not
 * start with "-"), a host is named twice, or there is no host.
 */
struct host *hosts_parse(const char *arg, int *n, char *err, size_t errsize);

/*
 * hosts_start() connects to the n hosts at once and starts a worker on
 * each, shipping the tools first when r->ship says so and they are
 * missing or of another version.  A host that cannot be reached is
 * skipped with a warning and stays down (up == 0).  Returns the number of
 * hosts that are up.  lost(host, arg) is called, from the host's reader
 * thread, when a host that was up is lost later.
 */
int hosts_start(struct host *h, int n, const struct reach *r,
    void (*lost)(struct host *, void *), void *arg);

/*
 * hosts_stop() ends every worker: it closes their channels, so that they
 * kill their tasks and remove their scratch directories, and waits for
 * the ssh processes (killing them after a few seconds).  Requests still
 * waiting end with HOST_LOST, and lost is not called any more; a lost()
 * that a reader runs already is waited for (a few seconds at most), so
 * that a host lost before the end is always reported.
 */
void hosts_stop(struct host *h, int n);

/*
 * The requests of wire.h.  Each returns 0 on success, HOST_LOST when the
 * host is or gets lost (or, for host_relay(), either host), and -1 with a
 * message in err otherwise.
 *
 * host_put() copies everything that can be read from fd to the file path
 * of h's scratch directory, with the permissions mode.  host_cat() copies
 * h's file path to fd.  host_relay() copies src's file to dst's, through
 * this machine.  host_stat() puts the size of h's file path in *size.
 * host_list() copies the listing() of h's path (listing.h) to fd.
 */
int host_put(struct host *h, const char *path, int mode, int fd, char *err,
    size_t errsize);
int host_cat(struct host *h, const char *path, int fd, char *err,
    size_t errsize);
int host_relay(struct host *src, const char *srcpath, struct host *dst,
    const char *dstpath, char *err, size_t errsize);
int host_stat(struct host *h, const char *path, uint64_t *size, char *err,
    size_t errsize);
int host_list(struct host *h, const char *path, int fd, char *err,
    size_t errsize);

/*
 * host_run() runs t on h and returns as task_run() does (0, the failed
 * program's exit value, TASK_STOPPED) or HOST_LOST, with the failure in
 * msg and the task's stderr (its last WIRE_TAIL bytes) written to errfd.
 * id, from host_id(), is the number that host_kill() takes to stop it
 * from another thread.
 */
uint32_t host_id(void);
int host_run(struct host *h, const struct task *t, uint32_t id, char *msg,
    size_t msgsize, int errfd);

/* host_kill() stops the task that host_run() started as id, if it runs. */
void host_kill(struct host *h, uint32_t id);

/*
 * host_alive() asks h for an answer and returns 1 when one comes, 0 when
 * h is lost.  A request that failed because another host died may end
 * before this machine's channel to that host has broken; asking tells
 * the two cases apart.  A host that dies may answer while it dies, its
 * processes killed one by one: with grace_ms > 0 it first waits that
 * long for the channel to break (less when it breaks or the hosts stop).
 */
int host_alive(struct host *h, int grace_ms);

/*
 * host_command() returns the shell command, allocated, that runs argv on
 * host h from another host: ssh (or --rsh) with the same options, for
 * --shuffle=direct.  Every word is quoted for the shell that runs it.
 */
char *host_command(const struct host *h, const struct reach *r,
    const char *remote);

/*
 * hosts_spawn() starts argv (found in PATH) with stdin from in (or
 * /dev/null when -1), stdout to out (or /dev/null when -1) and stderr to
 * err, in a process group of its own; returns its pid, or -1.
 * hosts_reap() waits for pid and returns its wait status (-1 on error):
 * for ever when ms is negative, else for ms milliseconds, after which it
 * sends SIGTERM, and SIGKILL a second later.
 */
pid_t hosts_spawn(char **argv, int in, int out, int err);
int hosts_reap(pid_t pid, int ms);

/* shell_text() appends the text s, unquoted, to *buf of length *len. */
void shell_text(char **buf, size_t *len, const char *s);

#endif
