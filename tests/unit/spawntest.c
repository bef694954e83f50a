/*
 * spawntest: checks tools/child.c, the one way the mr tools start child
 * processes and make pipes, for what tests/spawn.bats cannot see from a
 * shell: descriptors that leak into children from other threads.
 *
 *   spawntest check [group] [FD]
 *                           exits 1, naming each, when a descriptor
 *                           above 2 but FD is open, FD is not, a signal
 *                           is blocked, or one of SIGHUP, SIGINT,
 *                           SIGPIPE, SIGQUIT, SIGTERM is not at its
 *                           default, or with group when this process
 *                           does not lead a process group of its own;
 *                           prints "ok" or "leak" on stdout
 *   spawntest race [-r] N   starts N children that run "spawntest
 *                           check group", from several threads, while
 *                           other threads make and close pipes with
 *                           child_pipe() (with -r as the code before it
 *                           did: pipe(), then fcntl() FD_CLOEXEC); exits
 *                           1 when a child failed the check
 *   spawntest keep          starts a child each way with the read end
 *                           of a pipe from child_pipe() as child.keep,
 *                           which runs "spawntest check group FD"; exits
 *                           1 when one failed the check
 *   spawntest bare CMD ARG...
 *                           runs CMD (found in PATH) with every
 *                           descriptor above 2 closed: a tool under test
 *                           starts with none that its children would
 *                           see, whatever the test harness left open
 *
 * race starts its children every way that child_start() has: argv with
 * posix_spawn(), a list of paths with fork() (the first path missing),
 * and a command for /bin/sh -c.  Each child's stdout is a pipe from
 * child_pipe() that the thread reads to its end.  The threads that start
 * children have SIGHUP and SIGTERM blocked and the process ignores
 * SIGINT, SIGPIPE and SIGQUIT, which no child may inherit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#define PIPERS		3	/* threads that make pipes */
#define SPAWNERS	3	/* threads that start children */
#define FD_LIMIT	1024	/* the descriptors that check looks at */

static const int std_sigs[] = {
	SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL,
	SIGINT, SIGPIPE, SIGPROF, SIGQUIT, SIGSYS, SIGTERM, SIGTRAP, SIGTSTP,
	SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGXCPU,
	SIGXFSZ
};
static const int default_sigs[] = {
	SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *self;	/* this program, for the children */
static int raw;			/* -r: pipes made as before child.c */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int done;		/* the spawners are done: pipers stop */
static long left;		/* children still to start */
static long started, failed;

static void
die(const char *msg)
{
	fprintf(stderr, "spawntest: %s: %s\n", msg, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: spawntest check [group] [FD]\n"
	    "       spawntest race [-r] N\n"
	    "       spawntest keep\n"
	    "       spawntest bare CMD [ARG ...]\n");
	exit(2);
}

/* The check that every child runs; keep is the FD of check, or -1. */
static int
check(int group, int keep)
{
	struct sigaction sa;
	sigset_t mask;
	long max = sysconf(_SC_OPEN_MAX);
	int fd, bad = 0;
	size_t i;

	if (max < 0 || max > FD_LIMIT)
		max = FD_LIMIT;
	for (fd = 3; fd < max; fd++)
		if (fd != keep && fcntl(fd, F_GETFD) >= 0) {
			fprintf(stderr, "spawntest: check: descriptor %d is "
			    "open\n", fd);
			bad = 1;
		}
	if (keep >= 0 && fcntl(keep, F_GETFD) < 0) {
		fprintf(stderr, "spawntest: check: descriptor %d is not open\n",
		    keep);
		bad = 1;
	}
	sigprocmask(SIG_SETMASK, NULL, &mask);
	for (i = 0; i < NELEM(std_sigs); i++)
		if (sigismember(&mask, std_sigs[i]) == 1) {
			fprintf(stderr, "spawntest: check: signal %d is "
			    "blocked\n", std_sigs[i]);
			bad = 1;
		}
	for (i = 0; i < NELEM(default_sigs); i++)
		if (sigaction(default_sigs[i], NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL) {
			fprintf(stderr, "spawntest: check: signal %d is not "
			    "at its default\n", default_sigs[i]);
			bad = 1;
		}
	if (group && getpgrp() != getpid()) {
		fprintf(stderr, "spawntest: check: not in a process group of "
		    "its own\n");
		bad = 1;
	}
	printf("%s\n", bad ? "leak" : "ok");
	return bad;
}

/* The way before child.c: a window in which the ends are inherited. */
static int
raw_pipe(int fd[2])
{
	if (pipe(fd) < 0)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static void *
piper(void *arg)
{
	int fd[2], stop = 0;

	(void)arg;
	while (!stop) {
		if ((raw ? raw_pipe(fd) : child_pipe(fd)) < 0)
			die("pipe");
		close(fd[0]);
		close(fd[1]);
		pthread_mutex_lock(&lock);
		stop = done;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/*
 * Runs child n (its way chosen by n), with keep as child.keep (or -1),
 * and reads its stdout to the end.  Returns 0 when it passed the check.
 */
static int
run_child(long n, int keep)
{
	char *argv[5], *argv_name[5], *paths[3], env0[4096], *env[2];
	char cmd[64], num[16], out[64];
	struct child sp;
	size_t len = 0;
	ssize_t r;
	int fd[2], status;

	if (child_pipe(fd) < 0)
		die("pipe");
	child_init(&sp);
	sp.fd[0] = CHILD_NULL;
	sp.fd[1] = fd[1];
	sp.keep = keep;
	snprintf(num, sizeof(num), "%d", keep);
	argv[0] = argv_name[0] = (char *)self;
	argv_name[0] = "spawntest";
	argv[1] = argv_name[1] = "check";
	argv[2] = argv_name[2] = "group";
	argv[3] = argv_name[3] = keep >= 0 ? num : NULL;
	argv[4] = argv_name[4] = NULL;
	snprintf(cmd, sizeof(cmd), "exec \"$SPAWNTEST\" check group %s",
	    keep >= 0 ? num : "");
	switch (n % 3) {
	case 0:
		sp.argv = argv;
		break;
	case 1:
		paths[0] = "/nonexistent/spawntest";
		paths[1] = (char *)self;
		paths[2] = NULL;
		sp.argv = argv_name;
		sp.paths = paths;
		break;
	default:
		snprintf(env0, sizeof(env0), "SPAWNTEST=%s", self);
		env[0] = env0;
		env[1] = NULL;
		sp.cmd = cmd;
		sp.env = env;
		break;
	}
	if (child_start(&sp) < 0)
		die("spawn");
	close(fd[1]);
	while ((r = read(fd[0], out + len, sizeof(out) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		len += (size_t)r;
		if (len == sizeof(out) - 1)
			break;
	}
	close(fd[0]);
	out[len] = '\0';
	if ((status = child_wait(sp.pid)) < 0)
		die("wait");
	return status == 0 && strcmp(out, "ok\n") == 0 ? 0 : -1;
}

static void *
spawner(void *arg)
{
	sigset_t set;
	long n;
	int rc;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		pthread_mutex_lock(&lock);
		if (left == 0) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		n = left--;
		pthread_mutex_unlock(&lock);
		rc = run_child(n, -1);
		pthread_mutex_lock(&lock);
		started++;
		failed += rc != 0;
		pthread_mutex_unlock(&lock);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
}

/* What the caller left open is not ours to check: none reaches a child. */
static void
cloexec_all(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > FD_LIMIT)
		max = FD_LIMIT;
	for (fd = 3; fd < max; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
race(long n)
{
	pthread_t p[PIPERS], s[SPAWNERS];
	struct sigaction sa;
	int i, e;

	cloexec_all();
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	left = n;
	for (i = 0; i < PIPERS; i++)
		if ((e = pthread_create(&p[i], NULL, piper, NULL)) != 0)
			errno = e, die("thread");
	for (i = 0; i < SPAWNERS; i++)
		if ((e = pthread_create(&s[i], NULL, spawner, NULL)) != 0)
			errno = e, die("thread");
	for (i = 0; i < SPAWNERS; i++)
		pthread_join(s[i], NULL);
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_mutex_unlock(&lock);
	for (i = 0; i < PIPERS; i++)
		pthread_join(p[i], NULL);
	printf("%ld children, %ld failed the check\n", started, failed);
	return failed != 0;
}

/* spawntest keep: a child each way, given a pipe's read end. */
static int
keep(void)
{
	int fd[2], n, failed = 0;

	cloexec_all();
	if (child_pipe(fd) < 0)
		die("pipe");
	for (n = 0; n < 3; n++)
		failed += run_child(n, fd[0]) != 0;
	printf("3 children, %d failed the check\n", failed);
	return failed != 0;
}

static int
bare(char *argv[])
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > FD_LIMIT)
		max = FD_LIMIT;
	for (fd = 3; fd < max; fd++)
		(void)close(fd);
	execvp(argv[0], argv);
	fprintf(stderr, "spawntest: %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int
main(int argc, char *argv[])
{
	char *end;
	long n;
	int c, group;

	self = argv[0];
	if (argc >= 2 && argc <= 4 && strcmp(argv[1], "check") == 0) {
		group = argc >= 3 && strcmp(argv[2], "group") == 0;
		if (argc == 2 + group)
			return check(group, -1);
		n = strtol(argv[2 + group], &end, 10);
		if (argc == 3 + group && *end == '\0' && n > 2 && n < FD_LIMIT)
			return check(group, (int)n);
		usage();
	}
	if (argc == 2 && strcmp(argv[1], "keep") == 0) {
		if (strchr(self, '/') == NULL)
			usage();
		return keep();
	}
	if (argc >= 3 && strcmp(argv[1], "bare") == 0)
		return bare(argv + 2);
	if (argc < 2 || strcmp(argv[1], "race") != 0)
		usage();
	optind = 2;
	while ((c = getopt(argc, argv, "r")) != -1) {
		if (c != 'r')
			usage();
		raw = 1;
	}
	if (optind != argc - 1)
		usage();
	n = strtol(argv[optind], &end, 10);
	if (*end != '\0' || n < 1 || strchr(self, '/') == NULL)
		usage();
	return race(n);
}
