/*
 * child.h: every child process of the mr tools, and every pipe to one.
 *
 * A descriptor that a child must not have is close-on-exec from the
 * moment it exists, or another thread's child could inherit it: a pipe's
 * write end held open by an unrelated child holds back the reader's end
 * of file for as long as that child lives.  POSIX.1-2008 has no pipe2(),
 * so a pipe is made and then marked, and one process-wide lock keeps
 * every spawn out of that window: child_pipe() and child_start() both
 * take it.  Descriptors opened with O_CLOEXEC or F_DUPFD_CLOEXEC need no
 * lock.
 *
 * Every child gets the same signal state, whatever the thread that starts
 * it had: no signal blocked, and SIGHUP, SIGINT, SIGPIPE, SIGQUIT and
 * SIGTERM at their defaults, so that a tool run as a child writes to a
 * closed pipe and is stopped as it would be from a shell.
 */
#ifndef MR_CHILD_H
#define MR_CHILD_H

#include <sys/types.h>

#define CHILD_NULL	(-1)	/* child.fd[]: /dev/null */
#define CHILD_NOPGRP	(-1)	/* child.pgroup: stay in the caller's group */

struct child {
	/*
	 * What runs: argv (argv[0] looked up in this process's PATH unless
	 * it holds a "/"), or with argv NULL the command cmd, with
	 * "/bin/sh -c".  With paths, the files of paths are tried in turn
	 * with argv, as a shell tries those of its PATH, and cmd runs with
	 * /bin/sh after all when none can be run or one is a script without
	 * "#!" (so that the shell's message and exit status say why), or the
	 * child exits 127 when cmd is NULL.
	 */
	char *const *argv;
	const char *cmd;
	char *const *paths;
	char *const *env;	/* "name=value", NULL-terminated; NULL: ours */
	int fd[3];		/* its stdin, stdout, stderr, or CHILD_NULL */
	int keep;		/* one more of ours it gets, at the same
				   number (above 2), or -1 */
	pid_t pgroup;		/* 0: a group of its own; a group to join;
				   or CHILD_NOPGRP */
	pid_t pid;		/* set by child_start() */
};

/*
 * child_init() sets c to run nothing yet, with this process's environment
 * and standard descriptors and no other, in a process group of its own:
 * every child of the mr tools is stopped as a group, and a ^C at the
 * terminal is the tool's to handle, not its child's.
 */
void child_init(struct child *c);

/*
 * child_start() starts the child that c describes and sets c->pid.  The
 * descriptors of c->fd become its 0, 1 and 2: one that is already its own
 * number is left as it is, and must not be close-on-exec, and none may be
 * another of 0 to 2 (cli_init() keeps them open, so that pipes and files
 * come above them).  c->keep, when not -1, is open in it too, at the same
 * number and not close-on-exec there, whether or not it is close-on-exec
 * here: mrrun gives its tasks the read end of a pipe so (see task.h).
 * Every other descriptor is closed in it, when the rest of the program
 * made them close-on-exec as this module does, or opened them with
 * O_CLOEXEC.  Returns 0, or -1 with errno set
 * when it could not be started; a program that is not found is such an
 * error for argv without paths, where the C library tells it (posix_spawn
 * may instead start a child that exits 127).  With paths the child is
 * started with fork(), because only a child can try one program after
 * another; the caller builds env and paths before, as nothing may be
 * allocated between fork() and exec() in a program with threads.  Safe
 * in any thread; c stays the caller's.
 */
int child_start(struct child *c);

/*
 * child_pipe() makes a pipe whose two ends are close-on-exec before any
 * child can be started, fd[0] for reading and fd[1] for writing.  Returns
 * 0, or -1 with errno set.  Safe in any thread.
 */
int child_pipe(int fd[2]);

/*
 * child_wait() waits for the child pid, retrying on EINTR, and returns
 * its wait status, or -1 with errno set when it cannot be waited for.
 */
int child_wait(pid_t pid);

#endif
