/*
 * task.h: the unit of work of mrrun.  A task is a list of pipelines run
 * one after the other, each a list of programs (argument vectors) joined
 * by pipes, with a few environment variables that every program sees.
 * Nothing in a task depends on where it runs: the plan builds tasks, a
 * launcher runs them (task_run() here, on this machine), and
 * task_script() prints one as the shell line that does the same.
 */
#ifndef MR_TASK_H
#define MR_TASK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stage {
	char **argv;		/* NULL-terminated */
	size_t argc, cap;
};

struct pipeline {
	struct stage *st;
	size_t n, cap;
};

struct task {
	char id[24];		/* "m-00003": the task's name in files and logs */
	char what[160];		/* "map task 3 (words.txt bytes 0-33554432)" */
	char **env;		/* "name=value", NULL-terminated */
	size_t nenv, envcap;
	struct pipeline *p;
	size_t np, pcap;
	uint64_t bytes_in;	/* the input it reads, for logs and progress */
	size_t counted;		/* 1 + the pipeline whose reader is counted */
	uint64_t bytes_read;	/* task.c: what that reader has written */
	pid_t pgid;		/* task.c: the group of the running pipeline */
	int killed;		/* task.c: task_kill() was called */
};

/* task_new() returns an empty task named id, described by what. */
struct task *task_new(const char *id, const char *what);

/* task_free() frees t and everything it holds. */
void task_free(struct task *t);

/*
 * task_env() adds name=value to the environment of t's programs;
 * task_env_line() adds line, which is NAME=VALUE.
 */
void task_env(struct task *t, const char *name, const char *value);
void task_env_line(struct task *t, const char *line);

/*
 * task_pipeline() starts a new pipeline at the end of t; task_stage()
 * starts a new program at the end of the last pipeline; task_arg() adds
 * an argument (a copy of s) to the last program, and task_argf() one made
 * by printf.
 */
void task_pipeline(struct task *t);
void task_stage(struct task *t);
void task_arg(struct task *t, const char *s);
void task_argf(struct task *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * task_script() returns t as one line of POSIX shell, allocated: a
 * subshell that exports the environment and runs the pipelines joined by
 * &&, every word quoted where the shell would change it.
 */
char *task_script(const struct task *t);

/*
 * shell_quote() appends s to the allocated string *buf (of length *len),
 * in single quotes unless it holds only characters the shell leaves
 * alone.
 */
void shell_quote(char **buf, size_t *len, const char *s);

/*
 * task_pack() returns t as bytes that task_unpack() turns back into the
 * same task, allocated, with its length in *len: NUL-terminated strings,
 * id, what, bytes_in in decimal, the number of environment entries and
 * the entries, the number of pipelines, and for each its number of
 * programs, and for each program its number of arguments and the
 * arguments.  task_unpack() returns NULL when buf is not such a packing
 * (a count or string runs past len, or bytes are left over) or not one
 * that task_run() can run (an id or what too long for struct task, an
 * environment entry without "=", a pipeline of no programs or of more
 * than 64, a program of no arguments).
 */
char *task_pack(const struct task *t, size_t *len);
struct task *task_unpack(const char *buf, size_t len);

/*
 * task_lifeline() makes every later task_run() of this process give the
 * programs it starts the read end of a pipe whose write end this process
 * alone holds, close-on-exec, until it ends: its descriptor in
 * MR_LIFELINE, and lock, the lock file of the job's work directory, in
 * MR_WORK_LOCK.  The mr tools take both from their environment; they stop
 * when the pipe ends, that is when this process is gone however it ended,
 * and hold a shared lock on byte 1 of lock while they live (see
 * work_lock()).  Without it, as in a remote worker, tasks get neither
 * variable, even from this process's environment.  Called once, before
 * any task runs; dies when the pipe cannot be made.
 */
void task_lifeline(const char *lock);

#define TASK_STOPPED	(-1)	/* task_run(): task_stop() stopped it */
#define TASK_MAX_RUNNING 1024	/* task_run() calls at once, at most */

/*
 * task_run() runs t on this machine and returns 0 when every pipeline
 * succeeded.  Every program's stdin is /dev/null or the pipe from the one
 * before it, its stdout the pipe to the next one or /dev/null, and its
 * stderr errfd.  A pipeline succeeds when each program exits 0, except
 * that one killed by SIGPIPE is fine when every program after it
 * succeeded (a mapper like head stops reading early).  On failure it puts
 * in msg which program failed and how ("mrmap exited with status 1") and
 * returns that program's exit value (128 + N for signal N, 127 when it
 * could not be run), or TASK_STOPPED; a pipeline that fails ends the
 * task.  Each pipeline runs in a process group of its own, which
 * task_stop() can kill.  Safe to call from several threads at once.
 *
 * Two pipelines are done in this process instead, as a shell does its
 * built-ins: one program "mkdir -p PATH..." or "rm -rf PATH...", spelt
 * exactly so, whose paths are all non-empty, start with no "-", and for
 * rm end in none of "/", "." and "..".  They have the effect of the real
 * tools, which run as before for any other spelling: every path is
 * handled even after one failed, rm -rf never follows a symbolic link and
 * takes a path that does not exist as removed, and a failure returns 1
 * with the tool's message in msg ("mkdir: cannot create directory 'X':
 * REASON", "rm: cannot remove 'X': REASON"), writing nothing to errfd.
 * task_script() prints them as they are, for the real tools.
 */
int task_run(struct task *t, int errfd, char *msg, size_t msgsize);

/*
 * When t->counted is N > 0, task_run() passes the output of the first
 * program of pipeline N - 1 (the one that reads the task's input) on to
 * the next itself, and task_bytes_read() returns how many bytes it has
 * passed so far, for progress.  Not packed by task_pack(): it is this
 * machine's.
 */
uint64_t task_bytes_read(struct task *t);

/*
 * task_stop() makes every task_run() in progress, and every later one,
 * fail at once: it sends SIGTERM to the process groups of the running
 * pipelines, so that the mr tools in them clean up and kill their own
 * commands, and SIGKILL to those left after a grace period.  It returns
 * when no pipeline runs, and no built-in of task_run() either.
 */
void task_stop(void);

/*
 * task_kill() makes the task_run(t) in progress on another thread, or a
 * later one, return TASK_STOPPED at once: it sends SIGTERM to the process
 * group of t's running pipeline, so that the mr tools in it kill their
 * own commands, and SIGKILL when the group is still there after a grace
 * period (from a thread of its own: task_kill() never waits).  t stays
 * owned by the caller of task_run(); it must not be freed before that
 * call returns.
 */
void task_kill(struct task *t);

#endif
