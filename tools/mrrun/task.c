/*
 * task.c: building tasks, printing them as shell, and running them on
 * this machine through child.h, with posix_spawn(), which is safe in a
 * program with threads where fork() followed by work in the child is
 * not.  The
 * "mkdir -p" and "rm -rf" that begin most tasks are done in this process
 * instead, as a shell does its built-ins: each would cost more than the
 * rest of a tiny task.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "proc.h"
#include "task.h"
#include "work.h"

#define GRACE_MS	2000	/* from SIGTERM to SIGKILL in task_stop() */

extern char **environ;

/*
 * The process groups of the pipelines that run now, and the number of
 * built-ins that run now.  The process's, not a job's: task_stop() kills
 * them all, from an atexit() handler or any thread, with no argument.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ended = PTHREAD_COND_INITIALIZER;
static pid_t running[TASK_MAX_RUNNING];
static int nrunning, nbuiltin, stopping;

/*
 * The lifeline of this process's tasks (task_lifeline()): the read end
 * they get, its write end, and the environment entries that name it and
 * the lock, NULL-terminated.
 */
static int lifeline = -1, lifeline_w = -1;
static char *lifeline_env[3];

/* The programs that task_run() runs itself. */
enum builtin {
	NOT_BUILTIN,
	MKDIR_P,		/* mkdir -p PATH... */
	RM_RF			/* rm -rf PATH... */
};

struct task *
task_new(const char *id, const char *what)
{
	struct task *t = xmalloc(sizeof(*t));

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->what, sizeof(t->what), "%s", what);
	return t;
}

void
task_free(struct task *t)
{
	size_t i, j, k;

	if (t == NULL)
		return;
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	free(t->env);
	for (i = 0; i < t->np; i++) {
		for (j = 0; j < t->p[i].n; j++) {
			for (k = 0; k < t->p[i].st[j].argc; k++)
				free(t->p[i].st[j].argv[k]);
			free(t->p[i].st[j].argv);
		}
		free(t->p[i].st);
	}
	free(t->p);
	free(t);
}

/* Makes room for one more of the items of size size at *v. */
static void
grow(void *v, size_t n, size_t *cap, size_t size)
{
	void **p = v;

	if (n + 2 <= *cap)
		return;
	*cap = *cap == 0 ? 8 : *cap * 2;
	*p = xrealloc(*p, *cap * size);
}

void
task_env(struct task *t, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;

	grow(&t->env, t->nenv, &t->envcap, sizeof(char *));
	t->env[t->nenv] = xmalloc(n);
	snprintf(t->env[t->nenv], n, "%s=%s", name, value);
	t->env[++t->nenv] = NULL;
}

void
task_env_line(struct task *t, const char *line)
{
	const char *eq = strchr(line, '=');
	char *name = xmalloc((size_t)(eq - line) + 1);

	memcpy(name, line, (size_t)(eq - line));
	name[eq - line] = '\0';
	task_env(t, name, eq + 1);
	free(name);
}

void
task_pipeline(struct task *t)
{
	grow(&t->p, t->np, &t->pcap, sizeof(struct pipeline));
	memset(&t->p[t->np++], 0, sizeof(struct pipeline));
}

void
task_stage(struct task *t)
{
	struct pipeline *p = &t->p[t->np - 1];

	grow(&p->st, p->n, &p->cap, sizeof(struct stage));
	memset(&p->st[p->n++], 0, sizeof(struct stage));
}

void
task_arg(struct task *t, const char *s)
{
	struct pipeline *p = &t->p[t->np - 1];
	struct stage *st = &p->st[p->n - 1];

	grow(&st->argv, st->argc, &st->cap, sizeof(char *));
	st->argv[st->argc++] = xstrdup(s);
	st->argv[st->argc] = NULL;
}

void
task_argf(struct task *t, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	task_arg(t, buf);
}

/*
 * A string that grows by doubling, so that building a long one (a map
 * task of many reducers has a sort command a partition) is linear.
 */
struct str {
	char *s;
	size_t len, cap;
};

static void
str_add(struct str *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		if (b->cap == 0)
			b->cap = 256;
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
str_quote(struct str *b, const char *s)
{
	size_t n;

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:%@") == strlen(s)) {
		str_add(b, s, strlen(s));
		return;
	}
	str_add(b, "'", 1);
	while (*s != '\0') {
		n = strcspn(s, "'");
		str_add(b, s, n);
		s += n;
		if (*s == '\'') {
			str_add(b, "'\\''", 4);
			s++;
		}
	}
	str_add(b, "'", 1);
}

void
shell_quote(char **buf, size_t *len, const char *s)
{
	struct str b = { *buf, *len, *buf != NULL ? *len + 1 : 0 };

	str_quote(&b, s);
	*buf = b.s;
	*len = b.len;
}

char *
task_script(const struct task *t)
{
	struct str b = { NULL, 0, 0 };
	const char *eq;
	size_t i, j, k;

	str_add(&b, "(", 1);
	if (t->nenv > 0) {
		str_add(&b, "export", 6);
		for (i = 0; i < t->nenv; i++) {
			eq = strchr(t->env[i], '=');
			str_add(&b, " ", 1);
			str_add(&b, t->env[i], (size_t)(eq - t->env[i]));
			str_add(&b, "=", 1);
			str_quote(&b, eq + 1);
		}
		str_add(&b, " && ", 4);
	}
	for (i = 0; i < t->np; i++) {
		if (i > 0)
			str_add(&b, " && ", 4);
		for (j = 0; j < t->p[i].n; j++) {
			if (j > 0)
				str_add(&b, " | ", 3);
			for (k = 0; k < t->p[i].st[j].argc; k++) {
				if (k > 0)
					str_add(&b, " ", 1);
				str_quote(&b, t->p[i].st[j].argv[k]);
			}
		}
	}
	str_add(&b, ")", 1);
	return b.s;
}

void
task_lifeline(const char *lock)
{
	size_t len = strlen("MR_WORK_LOCK=") + strlen(lock) + 1;
	int fd[2];

	if (child_pipe(fd) < 0)
		die("pipe: %s", strerror(errno));
	lifeline = fd[0];
	lifeline_w = fd[1];	/* never closed: it ends with this process */
	lifeline_env[0] = xmalloc(32);
	snprintf(lifeline_env[0], 32, "MR_LIFELINE=%d", lifeline);
	lifeline_env[1] = xmalloc(len);
	snprintf(lifeline_env[1], len, "MR_WORK_LOCK=%s", lock);
}

/* Whether the entry s of this process's environment is left out. */
static int
env_left_out(const char *s, const struct task *t)
{
	static const char *const ours[] = { "MR_LIFELINE=", "MR_WORK_LOCK=" };
	size_t j;

	for (j = 0; j < sizeof(ours) / sizeof(ours[0]); j++)
		if (strncmp(s, ours[j], strlen(ours[j])) == 0)
			return 1;
	for (j = 0; j < t->nenv; j++)
		if (strncmp(s, t->env[j], strcspn(t->env[j], "=") + 1) == 0)
			return 1;
	return 0;
}

/*
 * The environment of t's programs: this process's, with t's and the
 * lifeline's added.
 */
static char **
task_environ(const struct task *t)
{
	size_t n = 0, i, j, m;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xmalloc((n + t->nenv + 3) * sizeof(char *));
	m = 0;
	for (i = 0; i < n; i++)
		if (!env_left_out(environ[i], t))
			env[m++] = environ[i];
	for (j = 0; j < t->nenv; j++)
		env[m++] = t->env[j];
	for (j = 0; lifeline_env[j] != NULL; j++)
		env[m++] = lifeline_env[j];
	env[m] = NULL;
	return env;
}


static void
untrack(pid_t pgid)
{
	int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nrunning; i++) {
		if (running[i] == pgid) {
			running[i] = running[--nrunning];
			break;
		}
	}
	pthread_cond_broadcast(&ended);
	pthread_mutex_unlock(&lock);
}

static int
stopped(void)
{
	int s;

	pthread_mutex_lock(&lock);
	s = stopping;
	pthread_mutex_unlock(&lock);
	return s;
}

/*
 * How a program ended, in words ("exited with status 3"), and as an exit
 * value (3; 128 + N for signal N).
 */
static int
describe(char *msg, size_t size, const char *prog, int status)
{
	const char *slash = strrchr(prog, '/');

	if (slash != NULL)
		prog = slash + 1;
	if (WIFEXITED(status))
		snprintf(msg, size, "%s exited with status %d", prog,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(msg, size, "%s was killed by signal %d (%s)", prog,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(msg, size, "%s ended with wait status %d", prog,
		    status);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

static int
is_sigpipe(int status)
{
	return (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGPIPE);
}

/*
 * Passes what comes from from on to to (when pass, else nothing),
 * counting it in t->bytes_read, until from ends or to's reader stops
 * reading (whose writer then gets SIGPIPE, as it would have without
 * this); then closes both.
 */
static void
pass_on(struct task *t, int from, int to, int pass)
{
	char buf[1 << 16];
	ssize_t n;

	while (pass) {
		if ((n = read(from, buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(to, buf, (size_t)n) < 0)
			break;
		pthread_mutex_lock(&lock);
		t->bytes_read += (uint64_t)n;
		pthread_mutex_unlock(&lock);
	}
	close(from);
	if (to >= 0)
		close(to);
}

/*
 * Returns the bytes that the first program of t's counted pipeline has
 * written so far (see task.h).
 */
uint64_t
task_bytes_read(struct task *t)
{
	uint64_t n;

	pthread_mutex_lock(&lock);
	n = t->bytes_read;
	pthread_mutex_unlock(&lock);
	return n;
}

/*
 * Starts program st with stdin in, stdout out and stderr errfd
 * (CHILD_NULL: /dev/null), in the process group pgid (0: a group of its
 * own); in *pid.  Returns child_start()'s result.
 */
static int
spawn_stage(const struct stage *st, char **env, int in, int out, int errfd,
    pid_t pgid, pid_t *pid)
{
	struct child ch;
	int rc;

	child_init(&ch);
	ch.argv = st->argv;
	ch.env = env;
	ch.fd[0] = in;
	ch.fd[1] = out;
	ch.fd[2] = errfd;
	ch.pgroup = pgid;
	ch.keep = lifeline;
	rc = child_start(&ch);
	*pid = ch.pid;
	return rc;
}

/*
 * How the started programs of p, which ended with status, went: 0, the
 * first failure's exit value with msg, or TASK_STOPPED when the task was
 * killed or every task stopped.
 */
static int
pipeline_status(const struct pipeline *p, int killed, const int *status,
    int started, char *msg, size_t msgsize)
{
	int i;

	if (killed) {
		snprintf(msg, msgsize, "killed");
		return TASK_STOPPED;
	}
	if (stopped()) {
		snprintf(msg, msgsize, "stopped");
		return TASK_STOPPED;
	}
	/*
	 * A program killed by SIGPIPE wrote to one after it that stopped
	 * reading: a failure only when that one failed.  So the cause is the
	 * first program that failed otherwise.
	 */
	for (i = 0; i < started; i++) {
		if (status[i] != 0 && (!is_sigpipe(status[i]) ||
		    i == started - 1))
			return describe(msg, msgsize, p->st[i].argv[0],
			    status[i]);
	}
	return 0;
}

/*
 * Starts the programs of p, all in one new process group, and waits for
 * them.  Returns 0 or -1 as task_run() does.
 */
static int
run_pipeline(struct task *t, const struct pipeline *p, int relay, char **env,
    int errfd, char *msg, size_t msgsize)
{
	pid_t pids[64], pgid = 0;
	int status[64], fd[2], in, started, tracked = 0, i, rc = 0;
	int killed, from = -1, to = -1;

	if (p->n > 64)
		die("a pipeline of more than 64 programs");
	in = CHILD_NULL;
	/* under the lock: no pipeline starts once task_stop() has begun */
	pthread_mutex_lock(&lock);
	if (stopping || t->killed || nrunning == TASK_MAX_RUNNING) {
		pthread_mutex_unlock(&lock);
		snprintf(msg, msgsize, t->killed ? "killed" : "stopped");
		return TASK_STOPPED;
	}
	for (started = 0; started < (int)p->n; started++) {
		fd[0] = fd[1] = CHILD_NULL;
		if (started == 1 && relay) {
			/* the first program's output comes through here */
			from = in;
			if (child_pipe(fd) < 0) {
				snprintf(msg, msgsize, "pipe: %s",
				    strerror(errno));
				rc = 126;
				break;
			}
			to = fd[1];
			in = fd[0];
			fd[0] = fd[1] = CHILD_NULL;
		}
		if (started + 1 < (int)p->n && child_pipe(fd) < 0) {
			snprintf(msg, msgsize, "pipe: %s", strerror(errno));
			if (in != CHILD_NULL)
				close(in);
			rc = 126;
			break;
		}
		if (spawn_stage(&p->st[started], env, in, fd[1], errfd, pgid,
		    &pids[started]) < 0) {
			snprintf(msg, msgsize, "cannot run %s: %s",
			    p->st[started].argv[0], strerror(errno));
			rc = 127;
		}
		if (in != CHILD_NULL)
			close(in);
		if (fd[1] != CHILD_NULL)
			close(fd[1]);
		in = fd[0];
		if (rc != 0) {
			if (in != CHILD_NULL)
				close(in);
			break;
		}
		if (started == 0) {
			pgid = pids[0];
			running[nrunning++] = pgid;
			t->pgid = pgid;
			tracked = 1;
		}
	}
	pthread_mutex_unlock(&lock);
	if (from >= 0)
		pass_on(t, from, to, rc == 0);
	if (rc != 0 && started > 0)
		kill(-pgid, SIGKILL);
	for (i = 0; i < started; i++)
		if ((status[i] = child_wait(pids[i])) < 0) {
			/* task_stop() at exit waits for what is tracked */
			if (tracked)
				untrack(pgid);
			die("waitpid: %s", strerror(errno));
		}
	if (tracked)
		untrack(pgid);
	pthread_mutex_lock(&lock);
	t->pgid = 0;
	killed = t->killed;
	pthread_mutex_unlock(&lock);
	if (rc != 0)
		return rc;
	return pipeline_status(p, killed, status, started, msg, msgsize);
}

/*
 * Which built-in p is: a pipeline of one program, "mkdir -p" or "rm -rf"
 * spelt so, with at least one path, and no path that the real tool would
 * take otherwise (an empty one, one that starts with "-", and for rm one
 * that ends in "/", ".", or "..").  NOT_BUILTIN for anything else.
 */
static enum builtin
builtin_of(const struct pipeline *p)
{
	char **argv = p->st[0].argv;
	const char *base;
	enum builtin b;
	size_t len;

	if (p->n != 1 || p->st[0].argc < 3)
		return NOT_BUILTIN;
	if (strcmp(argv[0], "mkdir") == 0 && strcmp(argv[1], "-p") == 0)
		b = MKDIR_P;
	else if (strcmp(argv[0], "rm") == 0 && strcmp(argv[1], "-rf") == 0)
		b = RM_RF;
	else
		return NOT_BUILTIN;
	for (argv += 2; *argv != NULL; argv++) {
		if ((len = strlen(*argv)) == 0 || **argv == '-')
			return NOT_BUILTIN;
		base = strrchr(*argv, '/');
		base = base != NULL ? base + 1 : *argv;
		if (b == RM_RF && ((*argv)[len - 1] == '/' ||
		    strcmp(base, ".") == 0 || strcmp(base, "..") == 0))
			return NOT_BUILTIN;
	}
	return b;
}

/*
 * Makes the directory path, which may exist as a directory already.  A
 * parent made on the way gets write and search permission for its owner,
 * whatever the umask, as with mkdir -p.  Returns 0, or -1 with errno set.
 */
static int
make_dir(const char *path, int parent)
{
	struct stat st;
	int e;

	if (mkdir(path, 0777) == 0) {
		if (parent && stat(path, &st) == 0 &&
		    (st.st_mode & 0300) != 0300)
			(void)chmod(path, (st.st_mode & 07777) | 0300);
		return 0;
	}
	e = errno;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	errno = e;
	return -1;
}

/*
 * "mkdir -p path": makes path and the directories above it that are
 * missing.  Returns 0, or 1 with the message in msg unless msg holds one.
 */
static int
builtin_mkdir(const char *path, char *msg, size_t msgsize)
{
	char *up = NULL, *s;
	int rc;

	/* the parents are there, mostly: one mkdir() */
	if ((rc = make_dir(path, 0)) < 0 && errno == ENOENT) {
		up = xstrdup(path);
		for (s = up + 1, rc = 0; *s != '\0' && rc == 0; s++) {
			if (*s != '/' || s[-1] == '/')
				continue;
			*s = '\0';
			if ((rc = make_dir(up, 1)) == 0)
				*s = '/';
		}
		if (rc == 0)
			rc = make_dir(path, 0);
		else
			path = up;	/* the parent that failed */
	}
	if (rc < 0 && *msg == '\0')
		snprintf(msg, msgsize, "mkdir: cannot create directory '%s': "
		    "%s", path, strerror(errno));
	free(up);
	return rc < 0;
}

/*
 * Runs the built-in b with the paths of p in this thread, each path
 * even after one failed, as the real tool does.  Returns as task_run()
 * does: 0, 1 with the first failure in msg, or TASK_STOPPED.
 */
static int
run_builtin(struct task *t, enum builtin b, const struct pipeline *p,
    char *msg, size_t msgsize)
{
	char **path;
	int rc = 0;

	pthread_mutex_lock(&lock);
	if (stopping || t->killed) {
		pthread_mutex_unlock(&lock);
		snprintf(msg, msgsize, t->killed ? "killed" : "stopped");
		return TASK_STOPPED;
	}
	/* task_stop() waits for it: nothing is made after it returned */
	nbuiltin++;
	pthread_mutex_unlock(&lock);
	*msg = '\0';
	for (path = p->st[0].argv + 2; *path != NULL; path++)
		rc |= b == MKDIR_P ? builtin_mkdir(*path, msg, msgsize) :
		    rm_rf_why(*path, msg, msgsize) < 0;
	pthread_mutex_lock(&lock);
	nbuiltin--;
	pthread_cond_broadcast(&ended);
	if (rc == 0 && (stopping || t->killed)) {
		snprintf(msg, msgsize, t->killed ? "killed" : "stopped");
		rc = TASK_STOPPED;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int
task_run(struct task *t, int errfd, char *msg, size_t msgsize)
{
	char **env = task_environ(t);
	enum builtin b;
	size_t i;
	int rc = 0;

	for (i = 0; i < t->np && rc == 0; i++) {
		if (stopped()) {
			snprintf(msg, msgsize, "stopped");
			rc = TASK_STOPPED;
		} else if ((b = builtin_of(&t->p[i])) != NOT_BUILTIN)
			rc = run_builtin(t, b, &t->p[i], msg, msgsize);
		else
			rc = run_pipeline(t, &t->p[i], t->counted == i + 1,
			    env, errfd, msg, msgsize);
	}
	free(env);
	return rc;
}

void
task_stop(void)
{
	struct timespec until;
	int i;

	pthread_mutex_lock(&lock);
	stopping = 1;
	for (i = 0; i < nrunning; i++)
		kill(-running[i], SIGTERM);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += GRACE_MS / 1000;
	while (nrunning > 0 &&
	    pthread_cond_timedwait(&ended, &lock, &until) == 0)
		;
	for (i = 0; i < nrunning; i++)
		kill(-running[i], SIGKILL);
	while (nrunning > 0 || nbuiltin > 0)
		pthread_cond_wait(&ended, &lock);
	pthread_mutex_unlock(&lock);
}

/*
 * Kills the group pgid with SIGKILL when it still runs GRACE_MS after
 * task_kill() sent it SIGTERM.
 */
static void *
kill_later(void *arg)
{
	struct timespec until;
	pid_t pgid = *(pid_t *)arg;
	int i, found = 1;

	free(arg);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += GRACE_MS / 1000;
	pthread_mutex_lock(&lock);
	for (;;) {
		for (i = 0, found = 0; i < nrunning && !found; i++)
			found = running[i] == pgid;
		if (!found || pthread_cond_timedwait(&ended, &lock,
		    &until) != 0)
			break;
	}
	if (found)
		kill(-pgid, SIGKILL);
	pthread_mutex_unlock(&lock);
	return NULL;
}

void
task_kill(struct task *t)
{
	pthread_attr_t attr;
	pthread_t tid;
	pid_t *arg;

	pthread_mutex_lock(&lock);
	t->killed = 1;
	if (t->pgid != 0) {
		/*
		 * SIGTERM first, as task_stop() does: mrmap and mrreduce
		 * run the user's command in a group of its own, which only
		 * they can kill, and SIGKILL would leave it behind.
		 */
		kill(-t->pgid, SIGTERM);
		arg = xmalloc(sizeof(*arg));
		*arg = t->pgid;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&tid, &attr, kill_later, arg) != 0) {
			free(arg);
			kill(-t->pgid, SIGKILL);
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&lock);
}

static void
pack_str(struct str *b, const char *s)
{
	str_add(b, s, strlen(s) + 1);
}

static void
pack_num(struct str *b, unsigned long long n)
{
	char num[32];

	snprintf(num, sizeof(num), "%llu", n);
	pack_str(b, num);
}

char *
task_pack(const struct task *t, size_t *len)
{
	const struct stage *st;
	struct str b = { NULL, 0, 0 };
	size_t i, j, k;

	pack_str(&b, t->id);
	pack_str(&b, t->what);
	pack_num(&b, t->bytes_in);
	pack_num(&b, t->nenv);
	for (i = 0; i < t->nenv; i++)
		pack_str(&b, t->env[i]);
	pack_num(&b, t->np);
	for (i = 0; i < t->np; i++) {
		pack_num(&b, t->p[i].n);
		for (j = 0; j < t->p[i].n; j++) {
			st = &t->p[i].st[j];
			pack_num(&b, st->argc);
			for (k = 0; k < st->argc; k++)
				pack_str(&b, st->argv[k]);
		}
	}
	*len = b.len;
	return b.s;
}

/* A packing being read: the bytes from p to end are left. */
struct unpack {
	const char *p, *end;
};

/* The next string, or NULL when none ends before the end. */
static const char *
unpack_str(struct unpack *u)
{
	const char *s = u->p, *nul;

	if ((nul = memchr(u->p, '\0', (size_t)(u->end - u->p))) == NULL)
		return NULL;
	u->p = nul + 1;
	return s;
}

/*
 * The next number, which must be decimal digits alone, from min to max;
 * returns 0 when it is not.
 */
static int
unpack_num(struct unpack *u, unsigned long long min, unsigned long long max,
    unsigned long long *n)
{
	const char *s = unpack_str(u);

	if (s == NULL || *s == '\0')
		return 0;
	for (*n = 0; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    *n > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
			return 0;
		*n = *n * 10 + (unsigned)(*s - '0');
	}
	return *n >= min && *n <= max;
}

struct task *
task_unpack(const char *buf, size_t len)
{
	struct unpack u = { buf, buf + len };
	struct task *t;
	const char *id, *what, *s;
	unsigned long long n, np, nst, argc, i, j, k;

	if ((id = unpack_str(&u)) == NULL || (what = unpack_str(&u)) == NULL ||
	    strlen(id) >= sizeof(t->id) || strlen(what) >= sizeof(t->what) ||
	    !unpack_num(&u, 0, UINT64_MAX, &n))
		return NULL;
	t = task_new(id, what);
	t->bytes_in = n;
	/* every item takes a byte at least, which bounds every count */
	if (!unpack_num(&u, 0, len, &n))
		goto bad;
	for (i = 0; i < n; i++) {
		if ((s = unpack_str(&u)) == NULL || strchr(s, '=') == NULL)
			goto bad;
		grow(&t->env, t->nenv, &t->envcap, sizeof(char *));
		t->env[t->nenv] = xstrdup(s);
		t->env[++t->nenv] = NULL;
	}
	if (!unpack_num(&u, 0, len, &np))
		goto bad;
	for (i = 0; i < np; i++) {
		/* run_pipeline() takes 1 to 64 programs */
		if (!unpack_num(&u, 1, 64, &nst))
			goto bad;
		task_pipeline(t);
		for (j = 0; j < nst; j++) {
			if (!unpack_num(&u, 1, len, &argc))
				goto bad;
			task_stage(t);
			for (k = 0; k < argc; k++) {
				if ((s = unpack_str(&u)) == NULL)
					goto bad;
				task_arg(t, s);
			}
		}
	}
	if (u.p == u.end)
		return t;
bad:
	task_free(t);
	return NULL;
}
