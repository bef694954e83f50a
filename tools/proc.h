/*
 * proc.h: running a user's shell command (a mapper or a reducer) as a
 * child process with pipes to it, and the threads that feed and drain
 * those pipes, so that a command that writes before it reads never
 * deadlocks.
 */
#ifndef MR_PROC_H
#define MR_PROC_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_OUT	1	/* pipe the command's stdout to proc.out */
#define PROC_ERR	2	/* pipe its stderr to proc.err */

struct proc {
	const char *cmd;
	pid_t pid;
	int in;		/* write end of the command's stdin, or -1 */
	int out;	/* read end of its stdout, or -1: it writes ours */
	int err;	/* read end of its stderr, or -1: it writes ours */
};

/*
 * proc_start() runs cmd with /bin/sh -c.  Its standard input is a pipe
 * written through proc_write(); its stdout and stderr are pipes when flags
 * ask for them and the tool's own otherwise.  env is a NULL-terminated
 * list of "name=value" strings that are added to (or replace those in)
 * the environment, or NULL.  The caller keeps cmd alive.  Dies on error.
 */
void proc_start(struct proc *p, const char *cmd, char *const env[],
    int flags);

/*
 * proc_write() writes len bytes to the command's stdin.  Returns 0, or -1
 * with errno EPIPE when the command no longer reads its input (which
 * raises no SIGPIPE) or another errno on other errors.  Safe in any
 * thread.
 */
int proc_write(struct proc *p, const void *buf, size_t len);

/* proc_close_in() closes the command's stdin, so it sees the end. */
void proc_close_in(struct proc *p);

/*
 * proc_wait() closes the pipes still open and waits for the command.
 * Returns 0 when it exited with status 0; otherwise -1, with how it ended
 * ("exited with status 3", "was killed by signal 9 (SIGKILL)") in msg.
 */
int proc_wait(struct proc *p, char *msg, size_t msgsize);

/* proc_kill() sends the command SIGTERM, if it still runs. */
void proc_kill(struct proc *p);

/*
 * proc_thread() starts fn(arg) on a new thread with SIGINT, SIGTERM and
 * SIGHUP blocked, so that they reach the main thread; the caller joins it
 * with pthread_join().  Dies when the thread cannot be started.
 */
void proc_thread(pthread_t *t, void *(*fn)(void *), void *arg);

/*
 * proc_env() sets name=value in env, a list of at most max - 1 strings
 * ended by NULL, replacing an earlier entry for name.  The string is
 * allocated and stays allocated.
 */
void proc_env(char **env, size_t max, const char *name, const char *value);

#endif
