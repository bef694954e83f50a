/*
 * child.c: child processes and the pipes to them, under one lock.
 *
 * The lock is a plain mutex that child_pipe() holds from pipe() until
 * both ends are close-on-exec, and child_start() holds while the child
 * copies this process's descriptors.  A reader-writer lock would let
 * pipes be made at once, but a pipe is made in microseconds, and with
 * readers preferred (glibc's default) a steady stream of them could keep
 * a spawn waiting for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

static pthread_mutex_t fdlock = PTHREAD_MUTEX_INITIALIZER;

/* The signals at their defaults in every child, whatever ours are. */
static const int default_sigs[] = {
	SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM
};

/*
 * The signals a handler of ours may catch, which the child of fork()
 * sets to their defaults before it unblocks them: the handler would run
 * in the child otherwise, and the tools' handlers kill their commands'
 * process groups and remove their temporary files.
 */
static const int caught_sigs[] = {
	SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL,
	SIGINT, SIGPIPE, SIGPROF, SIGQUIT, SIGSEGV, SIGSYS, SIGTERM, SIGTRAP,
	SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM,
	SIGXCPU, SIGXFSZ
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

void
child_init(struct child *c)
{
	memset(c, 0, sizeof(*c));
	c->fd[0] = STDIN_FILENO;
	c->fd[1] = STDOUT_FILENO;
	c->fd[2] = STDERR_FILENO;
	c->keep = -1;
	c->pgroup = 0;
	c->pid = -1;
}

int
child_pipe(int fd[2])
{
	int rc = 0, e = 0;

	pthread_mutex_lock(&fdlock);
	if (pipe(fd) < 0) {
		e = errno;
		rc = -1;
	} else if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd[1], F_SETFD, FD_CLOEXEC) < 0) {
		e = errno;
		close(fd[0]);
		close(fd[1]);
		rc = -1;
	}
	pthread_mutex_unlock(&fdlock);
	errno = e;
	return rc;
}

/*
 * The file actions that give the child c->fd as its 0, 1 and 2, and keep,
 * a close-on-exec copy of c->keep, as c->keep.  dup2() to its own number
 * would leave c->keep close-on-exec, unless the C library follows POSIX
 * 2024 there, so the copy is what is duplicated.
 */
static int
file_actions(posix_spawn_file_actions_t *fa, const struct child *c, int keep)
{
	int i, e = 0;

	if ((e = posix_spawn_file_actions_init(fa)) != 0)
		return e;
	for (i = 0; i < 3 && e == 0; i++) {
		if (c->fd[i] == CHILD_NULL)
			e = posix_spawn_file_actions_addopen(fa, i,
			    "/dev/null", O_RDWR, 0);
		else if (c->fd[i] != i)
			e = posix_spawn_file_actions_adddup2(fa, c->fd[i], i);
	}
	if (e == 0 && c->keep >= 0)
		e = posix_spawn_file_actions_adddup2(fa, keep, c->keep);
	if (e != 0)
		posix_spawn_file_actions_destroy(fa);
	return e;
}

/*
 * Starts c with posix_spawn(), the lock held, keep a copy of c->keep.  0,
 * or an errno value.
 */
static int
start_spawn(struct child *c, int keep)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *shargv[] = { "sh", "-c", (char *)c->cmd, NULL };
	char *const *env = c->env != NULL ? c->env : environ;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	size_t i;
	int e;

	sigemptyset(&none);
	sigemptyset(&dflt);
	for (i = 0; i < NELEM(default_sigs); i++)
		sigaddset(&dflt, default_sigs[i]);
	if ((e = file_actions(&fa, c, keep)) != 0)
		return e;
	if ((e = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	if (c->pgroup != CHILD_NOPGRP) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, c->pgroup);
	}
	posix_spawnattr_setflags(&attr, flags);
	if (c->argv != NULL)
		e = posix_spawnp(&c->pid, c->argv[0], &fa, &attr, c->argv,
		    env);
	else
		e = posix_spawn(&c->pid, "/bin/sh", &fa, &attr, shargv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return e;
}

/*
 * The child of fork(), all signals blocked: only async-signal-safe calls
 * from here on, with dfl (SIG_DFL) made before.  Its handlers go back to
 * their defaults before any signal is let in.
 */
static void
child(const struct child *c, char *const shargv[],
    const struct sigaction *dfl)
{
	char *const *env = c->env != NULL ? c->env : environ;
	struct sigaction old;
	sigset_t none;
	char *const *p;
	size_t i;
	int fd;

	if (c->pgroup != CHILD_NOPGRP)
		(void)setpgid(0, c->pgroup);
	for (i = 0; i < NELEM(caught_sigs); i++)
		if (sigaction(caught_sigs[i], NULL, &old) == 0 &&
		    ((old.sa_flags & SA_SIGINFO) != 0 ||
		    (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)))
			sigaction(caught_sigs[i], dfl, NULL);
	for (i = 0; i < NELEM(default_sigs); i++)
		sigaction(default_sigs[i], dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 0; i < 3; i++) {
		if ((fd = c->fd[i]) == (int)i)
			continue;
		/* 0 to 2 are open: /dev/null comes above them */
		if (fd == CHILD_NULL && (fd = open("/dev/null", O_RDWR)) < 0)
			_exit(126);
		if (dup2(fd, (int)i) < 0)
			_exit(126);
		if (c->fd[i] == CHILD_NULL)
			close(fd);
	}
	if (c->keep >= 0 && fcntl(c->keep, F_SETFD, 0) < 0)
		_exit(126);
	for (p = c->paths; *p != NULL; p++) {
		execve(*p, c->argv, env);
		if (errno == ENOEXEC)
			break;
	}
	if (c->cmd != NULL)
		execve("/bin/sh", shargv, env);
	_exit(127);
}

/* Starts c with fork(), the lock held.  0, or an errno value. */
static int
start_fork(struct child *c)
{
	char *shargv[] = { "sh", "-c", (char *)c->cmd, NULL };
	struct sigaction dfl;
	sigset_t all, old;
	pid_t pid;
	int e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0)
		child(c, shargv, &dfl);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return e;
	c->pid = pid;
	return 0;
}

int
child_start(struct child *c)
{
	int e, keep = -1;

	/* a copy made close-on-exec at once needs no lock */
	if (c->keep >= 0 && c->paths == NULL &&
	    (keep = fcntl(c->keep, F_DUPFD_CLOEXEC, 3)) < 0) {
		c->pid = -1;
		return -1;
	}
	pthread_mutex_lock(&fdlock);
	e = c->paths != NULL ? start_fork(c) : start_spawn(c, keep);
	pthread_mutex_unlock(&fdlock);
	if (keep >= 0)
		close(keep);
	if (e != 0) {
		c->pid = -1;
		errno = e;
		return -1;
	}
	/*
	 * The child joins its group itself; this closes the race with a
	 * kill of the group that comes before it did.  Once it has run a
	 * program the call fails, and is not needed.
	 */
	if (c->pgroup != CHILD_NOPGRP)
		(void)setpgid(c->pid, c->pgroup != 0 ? c->pgroup : c->pid);
	return 0;
}

int
child_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
