/*
 * proc.c: a user's command as a child process, with pipes to it.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
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

extern char **environ;

#define ERR_LINE_MAX	(64 << 10)	/* longer stderr lines pass in pieces */
#define LINES_BUFSIZE	(1 << 20)	/* lines buffered for a command */

static struct proc_counter *counters;
static size_t ncounters;

/*
 * Takes a line of Hadoop Streaming's reporter protocol, "reporter:counter:
 * GROUP,NAME,AMOUNT" or "reporter:status:MESSAGE".  Returns 0 for any
 * other line, which passes through.
 */
static int
reporter_line(char *line, size_t len)
{
	static const char cpre[] = "reporter:counter:";
	static const char spre[] = "reporter:status:";
	char *group, *name, *amount, *end;
	long long n;

	if (strlen(line) != len)
		return 0;		/* a NUL inside: not the protocol */
	if (strncmp(line, spre, sizeof(spre) - 1) == 0)
		return 1;
	if (strncmp(line, cpre, sizeof(cpre) - 1) != 0)
		return 0;
	group = line + sizeof(cpre) - 1;
	if ((name = strchr(group, ',')) == NULL ||
	    (amount = strchr(name + 1, ',')) == NULL ||
	    strchr(amount + 1, ',') != NULL || strpbrk(group, "\t\r") != NULL)
		return 0;
	end = amount + 1 + (amount[1] == '-');
	if (*end == '\0' || strspn(end, "0123456789") != strlen(end))
		return 0;
	*name++ = '\0';
	*amount++ = '\0';
	errno = 0;
	n = strtoll(amount, &end, 10);
	if (errno != 0)
		die("counter %s,%s: amount %s overflows", group, name, amount);
	proc_count_add(group, name, n);
	return 1;
}

void
proc_count_add(const char *group, const char *name, long long n)
{
	size_t i;

	for (i = 0; i < ncounters; i++)
		if (strcmp(counters[i].group, group) == 0 &&
		    strcmp(counters[i].name, name) == 0)
			break;
	if (i == ncounters) {
		counters = xrealloc(counters, (ncounters + 1) *
		    sizeof(*counters));
		counters[i].group = strdup(group);
		counters[i].name = strdup(name);
		counters[i].total = 0;
		if (counters[i].group == NULL || counters[i].name == NULL)
			die("out of memory");
		ncounters++;
	}
	if ((n > 0 && counters[i].total > LLONG_MAX - n) ||
	    (n < 0 && counters[i].total < LLONG_MIN - n))
		die("counter %s,%s overflows", group, name);
	counters[i].total += n;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Drains the command's stderr line by line while it runs: reporter lines
 * are taken, every other byte goes on to the tool's stderr.
 */
static void *
drain(void *arg)
{
	struct proc *p = arg;
	char *buf = xmalloc(ERR_LINE_MAX + 1), *line, *nl;
	size_t len = 0;
	ssize_t n;
	int midline = 0;	/* the rest of a line too long to be the protocol */

	for (;;) {
		n = read(p->err, buf + len, ERR_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		line = buf;
		while ((nl = memchr(line, '\n', len - (size_t)(line - buf))) !=
		    NULL) {
			*nl = '\0';
			if (midline || !reporter_line(line, (size_t)(nl - line))) {
				*nl = '\n';
				(void)write_all(2, line, (size_t)(nl - line) + 1);
			}
			midline = 0;
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == ERR_LINE_MAX) {
			(void)write_all(2, buf, len);
			len = 0;
			midline = 1;
		}
	}
	/* an unfinished last line is ended, so the next message starts anew */
	if (len > 0 || midline) {
		buf[len++] = '\n';
		(void)write_all(2, buf, len);
	}
	free(buf);
	return NULL;
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
 * allowed.  It has room for one more entry, for set_pwd().
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
	env = xmalloc((n + m + 2) * sizeof(*env));
	m = 0;
	for (i = 0; environ[i] != NULL; i++)
		if (!env_named(environ[i], (const char *const *)extra))
			env[m++] = environ[i];
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		env[m++] = extra[i];
	env[m] = NULL;
	return env;
}

/* The value of name in env, or NULL. */
static const char *
env_value(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/*
 * The words of cmd as an argument vector, allocated (one block), when the
 * shell would run it as it is: words of the characters that the shell
 * never changes, split by blanks, the first neither an assignment nor one
 * that shell_word() names.  NULL for any other command.
 */
static char **
plain_words(const char *cmd)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:%@";
	static const char blank[] = " \t";
	size_t len = strlen(cmd), n = 0;
	const char *p;
	char **argv, *s;

	for (p = cmd + strspn(cmd, blank); *p != '\0'; p += strspn(p, blank)) {
		p += strspn(p, safe);
		if (*p != '\0' && strchr(blank, *p) == NULL)
			return NULL;
		n++;
	}
	if (n == 0)
		return NULL;
	argv = xmalloc((n + 1) * sizeof(*argv) + len + 1);
	s = memcpy(argv + n + 1, cmd, len + 1);
	for (n = 0; *(s += strspn(s, blank)) != '\0'; n++) {
		argv[n] = s;
		s += strspn(s, safe);
		if (*s != '\0')
			*s++ = '\0';
	}
	argv[n] = NULL;
	if (shell_word(argv[0]) || strchr(argv[0], '=') != NULL) {
		free(argv);
		return NULL;
	}
	return argv;
}

/*
 * The paths at which a shell would try to run the program name, in order,
 * allocated (one block), for the PATH of env: name itself when it holds a
 * "/".  NULL when the PATH is not set, or holds a "%", which dash takes
 * for its own: the shell looks then.
 */
static char **
exec_paths(const char *name, char **env)
{
	const char *path = env_value(env, "PATH"), *p, *end;
	size_t n = 1, nlen = strlen(name), dlen;
	char **v, *s;

	if (strchr(name, '/') != NULL)
		path = "";
	else if (path == NULL || strchr(path, '%') != NULL)
		return NULL;
	for (p = path; *p != '\0'; p++)
		n += *p == ':';
	v = xmalloc((n + 1) * sizeof(*v) + strlen(path) + n * (nlen + 2));
	s = (char *)(v + n + 1);
	for (n = 0, p = path;; p = end + 1) {
		end = p + strcspn(p, ":");
		dlen = (size_t)(end - p);
		/* an empty entry is the current directory */
		v[n++] = s;
		memcpy(s, p, dlen);
		s += dlen;
		if (dlen > 0)
			*s++ = '/';
		memcpy(s, name, nlen + 1);
		s += nlen + 1;
		if (*end == '\0')
			break;
	}
	v[n] = NULL;
	return v;
}

/*
 * Sets PWD in env, which has room for one more entry, as a shell does
 * when it starts: kept when it names the current directory, otherwise the
 * current directory's path, in *made, allocated (or NULL when it was
 * kept).  Returns 0, or -1 when the current directory has no path.
 */
static int
set_pwd(char **env, char **made)
{
	const char *pwd = env_value(env, "PWD");
	struct stat a, b;
	char cwd[PATH_MAX];
	size_t i;

	*made = NULL;
	if (pwd != NULL && pwd[0] == '/' && stat(pwd, &a) == 0 &&
	    stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	*made = xmalloc(strlen(cwd) + 5);
	sprintf(*made, "PWD=%s", cwd);
	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], "PWD=", 4) == 0)
			break;
	if (env[i] == NULL)
		env[i + 1] = NULL;
	env[i] = *made;
	return 0;
}

void
proc_start(struct proc *p, const char *cmd, char *const env[], int outfd)
{
	int in[2], out[2] = { -1, -1 }, err[2];
	char **envp = build_env(env), **words, **paths = NULL, *pwd = NULL;
	struct child ch;
	sigset_t block, old;

	/*
	 * Plain words run without the shell, which would only look for the
	 * program and run it, at the cost of a process.  PWD is set as the
	 * shell would set it, and the child leaves cmd to the shell after all
	 * when the program cannot be run, so that the shell's message and
	 * exit status say why, or is a script without "#!", which the shell
	 * runs itself.
	 */
	if ((words = plain_words(cmd)) != NULL &&
	    (set_pwd(envp, &pwd) < 0 ||
	    (paths = exec_paths(words[0], envp)) == NULL)) {
		free(words);
		words = NULL;
	}

	if (child_pipe(in) < 0 || child_pipe(err) < 0 ||
	    (outfd == PROC_PIPE && child_pipe(out) < 0))
		die("pipe: %s", strerror(errno));
	child_init(&ch);
	ch.argv = words;
	ch.paths = paths;
	ch.cmd = cmd;
	ch.env = envp;
	ch.fd[0] = in[0];
	ch.fd[1] = outfd == PROC_PIPE ? out[1] : outfd;
	ch.fd[2] = err[1];
	p->cmd = cmd;
	/* a signal before cli_child() knows the command must wait for it */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (child_start(&ch) < 0)
		die("cannot run %s: %s", words != NULL ? words[0] : "sh",
		    strerror(errno));
	p->pid = ch.pid;
	cli_child(p->pid, 1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(envp);
	free(words);
	free(paths);
	free(pwd);
	close(in[0]);
	close(err[1]);
	if (outfd == PROC_PIPE)
		close(out[1]);
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	p->buf = NULL;
	p->len = 0;
	proc_thread(&p->drain, drain, p);
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

int
proc_flush(struct proc *p)
{
	size_t len = p->len;

	p->len = 0;
	return proc_write(p, p->buf, len);
}

int
proc_write_rec(struct proc *p, const struct mr_rec *rec,
    const struct mr_textfmt *fmt)
{
	size_t need = rec->klen + 1 + rec->vlen + 1;
	unsigned char *q;

	if (p->buf == NULL)
		p->buf = xmalloc(LINES_BUFSIZE);
	if (p->len + need > LINES_BUFSIZE && proc_flush(p) < 0)
		return -1;
	if (need > LINES_BUFSIZE)
		return proc_write(p, rec->key, rec->klen) < 0 ||
		    (rec->vlen > 0 && (proc_write(p, &fmt->sep, 1) < 0 ||
		    proc_write(p, rec->val, rec->vlen) < 0)) ||
		    proc_write(p, &fmt->eol, 1) < 0 ? -1 : 0;
	q = p->buf + p->len;
	memcpy(q, rec->key, rec->klen);
	q += rec->klen;
	if (rec->vlen > 0) {
		*q++ = fmt->sep;
		memcpy(q, rec->val, rec->vlen);
		q += rec->vlen;
	}
	*q++ = fmt->eol;
	p->len = (size_t)(q - p->buf);
	return 0;
}

/* mr_writer_sink()'s function: proc_write() with its errno. */
static int
proc_sink(void *arg, const void *buf, size_t len)
{
	return proc_write(arg, buf, len) < 0 ? errno : 0;
}

struct mr_writer *
proc_framed_in(struct proc *p, const struct mr_textfmt *fmt,
    const unsigned char *meta, size_t metalen)
{
	struct mr_writer *w;

	if ((w = mr_writer_new(p->in, "the command's input", 0, fmt, meta,
	    metalen)) == NULL)
		die("out of memory");
	mr_writer_sink(w, proc_sink, p);
	return w;
}

void
proc_close_in(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

int
proc_sigpipe(const struct proc *p)
{
	return (WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGPIPE) ||
	    (WIFEXITED(p->status) && WEXITSTATUS(p->status) == 128 + SIGPIPE);
}

void
proc_kill(struct proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGKILL);
}

int
proc_wait(struct proc *p, char *msg, size_t msgsize)
{
	int status;

	proc_close_in(p);
	free(p->buf);
	p->buf = NULL;
	if (p->out >= 0)
		close(p->out);
	p->out = -1;
	pthread_join(p->drain, NULL);
	close(p->err);
	if ((status = child_wait(p->pid)) < 0)
		die("waitpid: %s", strerror(errno));
	cli_child(p->pid, 0);
	p->pid = 0;
	p->status = status;
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

const struct proc_counter *
proc_counters(size_t *n)
{
	*n = ncounters;
	return counters;
}

void
proc_counters_report(void)
{
	size_t i;

	for (i = 0; i < ncounters; i++)
		fprintf(stderr, "reporter:counter:%s,%s,%lld\n",
		    counters[i].group, counters[i].name, counters[i].total);
}

void
proc_counters_save(struct outfile *o, const struct proc_count *mine,
    size_t n)
{
	FILE *fp;
	size_t i;

	if ((fp = fdopen(dup(o->fd), "w")) == NULL)
		die("%s: %s", o->path, strerror(errno));
	for (i = 0; i < n; i++)
		fprintf(fp, "mr\t%s\t%llu\n", mine[i].name, mine[i].n);
	for (i = 0; i < ncounters; i++)
		fprintf(fp, "%s\t%s\t%lld\n", counters[i].group,
		    counters[i].name, counters[i].total);
	if (fclose(fp) != 0)
		die("%s: %s", o->path, strerror(errno));
}
