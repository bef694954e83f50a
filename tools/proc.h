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

#include "mr.h"

#define PROC_PIPE	(-1)	/* proc_start(): the command's stdout a pipe */

struct proc {
	const char *cmd;
	pid_t pid;
	int in;		/* write end of the command's stdin, or -1 */
	int out;	/* read end of its stdout, or -1 */
	int err;	/* read end of its stderr, for the drain thread */
	pthread_t drain;
	unsigned char *buf;	/* lines on their way to its stdin */
	size_t len;
	int status;		/* its wait status, after proc_wait() */
};

/*
 * proc_start() runs cmd with /bin/sh -c.  Its standard input is a pipe
 * written through proc_write().  Its stdout is outfd, or with PROC_PIPE a
 * pipe read from p->out.  Its stderr is drained by a thread while it runs:
 * lines of Hadoop Streaming's reporter protocol are taken (see
 * proc_counters()), every other byte goes on to the tool's stderr.  env
 * is a NULL-terminated list of "name=value" strings that are added to
 * (or replace those in) the environment, or NULL.  The caller keeps cmd
 * alive.  Dies on error.
 *
 * A cmd of plain words runs without the shell, a process less, with the
 * same result: words of the characters that the shell leaves alone
 * (letters, digits and "_-+=/.,:%@") split by blanks, the first neither
 * an assignment nor a reserved word or built-in of dash or bash.  The
 * program is looked for in the PATH of its environment as the shell looks
 * for it, PWD is set as the shell sets it, and /bin/sh -c runs cmd after
 * all when the program cannot be run, for the shell's message and exit
 * status, or is a script without "#!".
 */
void proc_start(struct proc *p, const char *cmd, char *const env[],
    int outfd);

/*
 * proc_write() writes len bytes to the command's stdin.  Returns 0, or -1
 * with errno EPIPE when the command no longer reads its input (which
 * raises no SIGPIPE) or another errno on other errors.  Safe in any
 * thread.
 */
int proc_write(struct proc *p, const void *buf, size_t len);

/*
 * proc_write_rec() appends rec as a text line in fmt (a record with an
 * empty value as its key alone) to the lines buffered for the command's
 * stdin, writing them when the buffer is full; proc_flush() writes what is
 * buffered.  Both return as proc_write() does.
 */
int proc_write_rec(struct proc *p, const struct mr_rec *rec,
    const struct mr_textfmt *fmt);
int proc_flush(struct proc *p);

/*
 * proc_framed_in() makes a writer of one framed stream, with the metalen
 * bytes of metadata at meta, to the command's stdin, for a command that
 * reads records unchanged (--framed-input).  It writes through
 * proc_write(): when the command stops reading, the writer fails with
 * mr_writer_errno() EPIPE and no signal.  The caller finishes and frees
 * it, then calls proc_close_in().  Dies when out of memory.
 */
struct mr_writer *proc_framed_in(struct proc *p, const struct mr_textfmt *fmt,
    const unsigned char *meta, size_t metalen);

/* proc_close_in() closes the command's stdin, so it sees the end. */
void proc_close_in(struct proc *p);

/*
 * proc_wait() closes the pipes still open, waits for the command and for
 * the draining of its stderr.
 * Returns 0 when it exited with status 0; otherwise -1, with how it ended
 * ("exited with status 3", "was killed by signal 9 (SIGKILL)") in msg.
 */
int proc_wait(struct proc *p, char *msg, size_t msgsize);

/*
 * proc_sigpipe() is 1 when the command that proc_wait() waited for was
 * killed by SIGPIPE, or its shell exited with 141 because a process of
 * its was: it wrote to a pipe whose reader had gone.
 */
int proc_sigpipe(const struct proc *p);

/*
 * proc_kill() kills the command and every process it started (its process
 * group) with SIGKILL, if it still runs.
 */
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

/* A user counter, summed from "reporter:counter:GROUP,NAME,AMOUNT". */
struct proc_counter {
	char *group, *name;
	long long total;
};

/*
 * proc_counters() returns the counters of every command run so far, in
 * the order they first came, and sets *n to their number.  Valid until
 * the next command starts.
 */
const struct proc_counter *proc_counters(size_t *n);

/*
 * proc_count_add() adds n to the counter group,name, making it after the
 * others when it is new, as a reporter:counter: line does.  Dies when the
 * total overflows.  Not safe in threads without a lock around it.
 */
void proc_count_add(const char *group, const char *name, long long n);

/*
 * proc_counters_report() writes each counter to the tool's stderr as a
 * reporter:counter: line with its total, so that a runner above the tool
 * that speaks the same protocol sums them in turn.
 */
void proc_counters_report(void);

/* A counter that a tool counts itself, in the group "mr". */
struct proc_count {
	const char *name;
	unsigned long long n;
};

/*
 * proc_counters_save() writes the n counters of mine, then the user
 * counters of proc_counters(), to the open output o as GROUP<TAB>NAME<TAB>
 * TOTAL lines, the --counters format of mrmap and mrreduce.  Dies on a
 * write error; the caller closes and commits o.
 */
struct outfile;
void proc_counters_save(struct outfile *o, const struct proc_count *mine,
    size_t n);

/*
 * write_all() writes the len bytes at buf to fd, looping on short writes
 * and EINTR.  Returns 0, or -1 with errno set.
 */
int write_all(int fd, const void *buf, size_t len);

#endif
