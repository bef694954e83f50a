/*
 * proc.c: a user's command as a child process, with pipes to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"

extern char **environ;

static void
make_pipe(int fd[2])
{
	if (pipe(fd) < 0)
		die("pipe: %s", strerror(errno));
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
}

static int
env_named(const char *entry, const char *const *extra)
{
	size_t n;

	for (; extra != NULL && *extra != NULL; extra++) {
		n = strcspn(*extra, "=");
		if (strncmp(entry, *extra, n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/*
 * The child's environment is built before fork(), because between fork()
 * and exec() in a process with threads only async-signal-safe calls are
 * allowed.
 */
static char **
build_env(char *const extra[])
{
	size_t n = 0, m = 0, i;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[m] != NULL)
		m++;
	env = xmalloc((n + m + 1) * sizeof(*env));
	m = 0;
	for (i = 0; environ[i] != NULL; i++)
		if (!env_named(environ[i], (const char *const *)extra))
			env[m++] = environ[i];
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		env[m++] = extra[i];
	env[m] = NULL;
	return env;
}

void
proc_start(struct proc *p, const char *cmd, char *const env[], int flags)
{
	int in[2], out[2] = { -1, -1 }, err[2] = { -1, -1 };
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char **envp = build_env(env);

	make_pipe(in);
	if (flags & PROC_OUT)
		make_pipe(out);
	if (flags & PROC_ERR)
		make_pipe(err);
	p->cmd = cmd;
	if ((p->pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (p->pid == 0) {
		if (dup2(in[0], 0) < 0 ||
		    (out[1] >= 0 && dup2(out[1], 1) < 0) ||
		    (err[1] >= 0 && dup2(err[1], 2) < 0))
			_exit(126);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	free(envp);
	close(in[0]);
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	if (out[1] >= 0)
		close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
}

/*
 * SIGPIPE is held off while writing to the command: a write to a command
 * that has exited fails with EPIPE, and the SIGPIPE it raises for this
 * thread is taken back before the mask is restored.  The tool's own
 * stdout keeps SIGPIPE at its default.
 */
int
proc_write(struct proc *p, const void *buf, size_t len)
{
	const char *s = buf;
	sigset_t pipeset, old;
	struct timespec zero = { 0, 0 };
	ssize_t n;
	int saved = 0;

	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &old);
	while (len > 0) {
		n = write(p->in, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			if (saved == EPIPE)
				while (sigtimedwait(&pipeset, NULL, &zero) < 0 &&
				    errno == EINTR)
					;
			break;
		}
		s += n;
		len -= (size_t)n;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

void
proc_close_in(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

void
proc_kill(struct proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGTERM);
}

int
proc_wait(struct proc *p, char *msg, size_t msgsize)
{
	int status;

	proc_close_in(p);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->out = p->err = -1;
	while (waitpid(p->pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	p->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(msg, msgsize, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(msg, msgsize, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(msg, msgsize, "ended with wait status %d", status);
	return -1;
}

void
proc_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int e;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	e = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		die("cannot start a thread: %s", strerror(e));
}

void
proc_env(char **env, size_t max, const char *name, const char *value)
{
	size_t n = strlen(name), i;
	char *s = xmalloc(n + strlen(value) + 2);

	sprintf(s, "%s=%s", name, value);
	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=') {
			env[i] = s;
			return;
		}
	if (i + 1 >= max)
		die("too many environment variables");
	env[i] = s;
	env[i + 1] = NULL;
}
