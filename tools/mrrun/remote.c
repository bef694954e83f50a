/*
 * remote.c: "mrrun --worker", the end of mrrun's ssh channel on a remote
 * host.  The main thread reads the controller's messages (wire.h) and
 * does only quick things itself, and the writes of PUT: the controller
 * must always be able to write to it.  Each task runs on a thread of its
 * own, and so does each CAT, since both can take long.  Every message out
 * goes through one lock.  When the channel ends, the tasks are killed and
 * the scratch directory is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "listing.h"
#include "proc.h"
#include "remote.h"
#include "task.h"
#include "wire.h"
#include "work.h"

#define QUIT_WAIT	5	/* seconds for the threads to end at the end */

static const char usage_text[] = "usage: mrrun --worker [--remote-dir=DIR]\n";

/* A file that PUT opened, until its END. */
struct put {
	uint32_t id;
	int fd;			/* -1 after an error */
	int made;		/* the file was opened (and truncated) */
	char *path;		/* as the controller named it */
	char *full;
	char *err;		/* the first error, or NULL */
};

/*
 * The worker's state, shared by its threads, which each get a pointer to
 * it.  None of it need be global: a signal is taken by a thread of its
 * own with sigwait(), not by a handler, and nothing runs at exit.  It
 * lives in worker_main()'s frame, which lasts until the process exits:
 * the worker never returns from there, it ends in quit().
 */
struct worker {
	int chan_in, chan_out;	/* the channel, off descriptors 0 and 1 */
	char *scratch;		/* the scratch directory, absolute */
	sigset_t sigs;		/* those that end the worker */

	/* Every message out, whole. */
	pthread_mutex_t chan;

	/* The threads and the running tasks, and whether the worker ends. */
	pthread_mutex_t state;
	pthread_cond_t idle;
	struct job **runs;
	size_t nruns, runcap;
	int nthreads, quitting;

	/* The ids that a KILL named: a RUN of one of them stops at once. */
	uint32_t *killed;
	size_t nkilled, killcap;

	/* Held by whoever ends the worker, never given back. */
	pthread_mutex_t ending;

	/* The open PUTs: the main thread's alone. */
	struct put *puts;
	size_t nputs, putcap;
};

/* A task that runs, or a file that CAT sends, on a thread. */
struct job {
	struct worker *w;
	uint32_t id;
	struct task *t;		/* RUN */
	char *path, *full;	/* CAT, LIST */
};

static char *
strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* A path from the controller: relative ones are in the scratch directory. */
static char *
full_path(const struct worker *w, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : strf("%s/%s", w->scratch,
	    path);
}

/*
 * Kills the tasks, removes the scratch directory and exits with status,
 * or by signal sig when it is not 0.  A thread of the worker (self 1) only
 * tries: when another one is ending the worker already, it returns, and
 * the thread just ends.  The memory is freed only when the main thread
 * ends the worker and every other thread has ended.
 */
static void
quit(struct worker *w, int status, int sig, int self)
{
	struct timespec until;
	sigset_t set;
	size_t i;
	int all;

	if (self) {
		if (pthread_mutex_trylock(&w->ending) != 0)
			return;
	} else
		pthread_mutex_lock(&w->ending);
	pthread_mutex_lock(&w->state);
	w->quitting = 1;
	pthread_mutex_unlock(&w->state);
	task_stop();
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += QUIT_WAIT;
	pthread_mutex_lock(&w->state);
	/* a CAT can be stuck writing to a channel that nobody reads */
	while (w->nthreads > self &&
	    pthread_cond_timedwait(&w->idle, &w->state, &until) == 0)
		;
	all = w->nthreads == 0;
	pthread_mutex_unlock(&w->state);
	if (chdir("/") < 0 || rm_rf(w->scratch) < 0)
		warnx("%s: %s", w->scratch, strerror(errno));
	/* only the main thread, or a signal, comes here with self 0 */
	if (all && sig == 0) {
		for (i = 0; i < w->nputs; i++) {
			if (w->puts[i].fd >= 0)
				close(w->puts[i].fd);
			free(w->puts[i].path);
			free(w->puts[i].full);
			free(w->puts[i].err);
		}
		free(w->puts);
		free(w->runs);
		free(w->killed);
		free(w->scratch);
	}
	if (sig != 0) {
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		status = 128 + sig;
	}
	exit(status);
}

/* Ends the worker on a bad message from the controller. */
static void bad_message(struct worker *, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
bad_message(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: bad message from the controller: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	quit(w, 1, 0, 0);
	exit(1);
}

/*
 * Sends a message whole.  Returns 0, or -1 when the worker is ending and
 * the calling thread must end too.  A channel that breaks ends the
 * worker.
 */
static int
send_msg(struct worker *w, int type, uint32_t id, const void *data,
    size_t len, int self)
{
	int rc, e, q;

	pthread_mutex_lock(&w->state);
	q = w->quitting;
	pthread_mutex_unlock(&w->state);
	if (q)
		return -1;
	pthread_mutex_lock(&w->chan);
	rc = wire_send(w->chan_out, type, id, data, len);
	e = errno;
	pthread_mutex_unlock(&w->chan);
	if (rc == 0)
		return 0;
	warnx("writing to the controller: %s", strerror(e));
	quit(w, 1, 0, self);
	return -1;
}

struct later {
	struct worker *w;
	uint32_t id;
	char *buf;
	size_t len;
};

static void thread_end(struct worker *);

/* Sends the DONE that the main thread could not wait to send. */
static void *
send_later(void *arg)
{
	struct later *l = arg;
	struct worker *w = l->w;

	send_msg(w, WIRE_DONE, l->id, l->buf, l->len, 1);
	free(l->buf);
	free(l);
	thread_end(w);
	return NULL;
}

static int start(struct worker *, void *(*)(void *), void *);

/*
 * Sends DONE id.  The main thread (self 0) hands it to a thread of its
 * own and goes back to reading at once: were it to wait for the channel
 * while the controller waits to forward a relay's DATA to this worker,
 * and another worker the same way, neither would move.
 */
static int
send_done(struct worker *w, uint32_t id, int status, const char *msg,
    const char *tail, size_t tail_len, int self)
{
	struct later *l = xmalloc(sizeof(*l));
	int rc = 0;

	l->w = w;
	l->id = id;
	l->buf = wire_done(status, msg, tail, tail_len, &l->len);
	if (!self && start(w, send_later, l) == 0)
		return 0;
	rc = send_msg(w, WIRE_DONE, id, l->buf, l->len, self);
	free(l->buf);
	free(l);
	return rc;
}

/* Counts a thread out, so that quit() knows when none is left. */
static void
thread_end(struct worker *w)
{
	pthread_mutex_lock(&w->state);
	w->nthreads--;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->state);
}

/* Starts fn(j) on a detached thread.  Returns 0, or -1 with errno set. */
static int
start(struct worker *w, void *(*fn)(void *), void *j)
{
	pthread_attr_t attr;
	pthread_t tid;
	int e;

	pthread_mutex_lock(&w->state);
	w->nthreads++;
	pthread_mutex_unlock(&w->state);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&tid, &attr, fn, j);
	pthread_attr_destroy(&attr);
	if (e == 0)
		return 0;
	thread_end(w);
	errno = e;
	return -1;
}

/* The last WIRE_TAIL bytes of the file fd at most, allocated. */
static char *
read_tail(int fd, size_t *len)
{
	struct stat st;
	off_t off;
	ssize_t n;
	char *buf;

	*len = 0;
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		return NULL;
	off = st.st_size > (off_t)WIRE_TAIL ? st.st_size - (off_t)WIRE_TAIL :
	    0;
	buf = xmalloc((size_t)(st.st_size - off));
	while (*len < (size_t)(st.st_size - off)) {
		n = pread(fd, buf + *len, (size_t)(st.st_size - off) - *len,
		    off + (off_t)*len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	return buf;
}

/* Takes the task j off the table of running tasks. */
static void
forget_run(struct job *j)
{
	struct worker *w = j->w;
	size_t i;

	pthread_mutex_lock(&w->state);
	for (i = 0; i < w->nruns; i++)
		if (w->runs[i] == j) {
			w->runs[i] = w->runs[--w->nruns];
			break;
		}
	pthread_mutex_unlock(&w->state);
}

/* Runs the task of a RUN with its stderr in logs/ID, and answers DONE. */
static void *
run_task(void *arg)
{
	struct job *j = arg;
	struct worker *w = j->w;
	char msg[4096] = "", *log, *tail = NULL;
	size_t tail_len = 0;
	int errfd, status;

	log = strf("%s/logs/%lu", w->scratch, (unsigned long)j->id);
	if ((errfd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) < 0) {
		snprintf(msg, sizeof(msg), "logs/%lu: %s",
		    (unsigned long)j->id, strerror(errno));
		status = 126;
	} else {
		status = task_run(j->t, errfd, msg, sizeof(msg));
		tail = read_tail(errfd, &tail_len);
		close(errfd);
		unlink(log);
	}
	free(log);
	/* out of the table before DONE, so that the id can be used again */
	forget_run(j);
	task_free(j->t);
	send_done(w, j->id, status, msg, tail, tail_len, 1);
	free(tail);
	free(j);
	thread_end(w);
	return NULL;
}

/* Frees the job of a CAT or LIST, whose thread then ends. */
static void
path_job_end(struct job *j)
{
	struct worker *w = j->w;

	free(j->path);
	free(j->full);
	free(j);
	thread_end(w);
}

/* Sends the file of a CAT as DATA, then DONE. */
static void *
cat_file(void *arg)
{
	struct job *j = arg;
	char *buf = NULL, *err;
	size_t len;
	ssize_t n;
	int fd, e = 0;

	if ((fd = open(j->full, O_RDONLY | O_CLOEXEC)) < 0)
		e = errno;
	else
		buf = xmalloc(WIRE_CHUNK);
	while (fd >= 0 && e == 0) {
		for (len = 0; len < WIRE_CHUNK; len += (size_t)n) {
			if ((n = read(fd, buf + len, WIRE_CHUNK - len)) < 0) {
				if (errno == EINTR) {
					n = 0;
					continue;
				}
				e = errno;
				break;
			}
			if (n == 0)
				break;
		}
		if (e != 0 || len == 0)
			break;
		if (send_msg(j->w, WIRE_DATA, j->id, buf, len, 1) < 0)
			goto out;
	}
	if (e != 0) {
		err = strf("%s: %s", j->path, strerror(e));
		send_done(j->w, j->id, 1, err, NULL, 0, 1);
		free(err);
	} else
		send_done(j->w, j->id, 0, "", NULL, 0, 1);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	path_job_end(j);
	return NULL;
}

/* Sends the listing of a LIST as DATA, then DONE. */
static void *
list_files(void *arg)
{
	struct job *j = arg;
	char err[PATH_MAX + 128], *list;
	size_t len, at, n;

	if ((list = listing(j->full, j->path, &len, err, sizeof(err))) ==
	    NULL)
		send_done(j->w, j->id, 1, err, NULL, 0, 1);
	else {
		for (at = 0; at < len; at += n) {
			n = len - at < WIRE_CHUNK ? len - at : WIRE_CHUNK;
			if (send_msg(j->w, WIRE_DATA, j->id, list + at, n,
			    1) < 0)
				break;
		}
		if (at == len)
			send_done(j->w, j->id, 0, "", NULL, 0, 1);
	}
	free(list);
	path_job_end(j);
	return NULL;
}

/*
 * The one NUL-terminated string that is the whole payload of m, or NULL
 * when it is not one.
 */
static const char *
payload_str(const struct wire_msg *m)
{
	if (m->len < 2 || memchr(m->data, '\0', m->len) !=
	    m->data + m->len - 1)
		return NULL;
	return m->data;
}

static struct put *
find_put(struct worker *w, uint32_t id)
{
	size_t i;

	for (i = 0; i < w->nputs; i++)
		if (w->puts[i].id == id)
			return &w->puts[i];
	return NULL;
}

/* A path that PUT may write: relative, without a ".." component. */
static int
inside(const char *path)
{
	const char *p = path;
	size_t n;

	if (*path == '\0' || *path == '/')
		return 0;
	for (;;) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (p[n] == '\0')
			return 1;
		p += n + 1;
	}
}

/* Makes the directories above the relative path in the scratch directory. */
static int
make_parents(const struct worker *w, const char *path)
{
	const char *slash;
	char *dir;
	int rc = 0;

	for (slash = strchr(path, '/'); slash != NULL && rc == 0;
	    slash = strchr(slash + 1, '/')) {
		dir = strf("%s/%.*s", w->scratch, (int)(slash - path), path);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = -1;
		free(dir);
	}
	return rc;
}

static void
put_error(struct put *p, int e)
{
	if (p->err == NULL)
		p->err = strf("%s: %s", p->path, strerror(e));
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void
on_put(struct worker *w, const struct wire_msg *m)
{
	const char *path, *nul;
	unsigned long mode;
	struct put *p;
	char *end;

	if ((nul = memchr(m->data, '\0', m->len)) == NULL ||
	    nul == m->data || strspn(m->data, "01234567") !=
	    (size_t)(nul - m->data) || (size_t)(nul - m->data) > 4)
		bad_message(w, "PUT %lu: no mode", (unsigned long)m->id);
	mode = strtoul(m->data, &end, 8);
	path = nul + 1;
	if (path >= m->data + m->len || memchr(path, '\0',
	    (size_t)(m->data + m->len - path)) != m->data + m->len - 1)
		bad_message(w, "PUT %lu: no path", (unsigned long)m->id);
	if (find_put(w, m->id) != NULL)
		bad_message(w, "PUT %lu: the id is in use",
		    (unsigned long)m->id);
	if (w->nputs == w->putcap) {
		w->putcap = w->putcap == 0 ? 8 : w->putcap * 2;
		w->puts = xrealloc(w->puts, w->putcap * sizeof(*w->puts));
	}
	p = &w->puts[w->nputs++];
	memset(p, 0, sizeof(*p));
	p->id = m->id;
	p->fd = -1;
	p->path = xstrdup(path);
	p->full = full_path(w, path);
	if (!inside(path)) {
		p->err = strf("%s: not a path inside the scratch directory",
		    path);
		return;
	}
	if (make_parents(w, path) < 0 || (p->fd = open(p->full, O_CREAT |
	    O_TRUNC | O_WRONLY | O_CLOEXEC, (mode_t)mode)) < 0) {
		put_error(p, errno);
		return;
	}
	p->made = 1;
	/* the mode asked for, whatever the umask and an older file's mode */
	if (fchmod(p->fd, (mode_t)mode) < 0)
		put_error(p, errno);
}

static void
on_data(struct worker *w, const struct wire_msg *m)
{
	struct put *p;

	if ((p = find_put(w, m->id)) == NULL)
		bad_message(w, "DATA %lu: no such PUT", (unsigned long)m->id);
	if (p->fd >= 0 && write_all(p->fd, m->data, m->len) < 0)
		put_error(p, errno);
}

static void
on_end(struct worker *w, const struct wire_msg *m)
{
	struct put *p;
	int fd;

	if ((p = find_put(w, m->id)) == NULL)
		bad_message(w, "END %lu: no such PUT", (unsigned long)m->id);
	if (m->len != 0)
		bad_message(w, "END %lu: a payload", (unsigned long)m->id);
	if ((fd = p->fd) >= 0) {
		p->fd = -1;
		if (close(fd) < 0)
			put_error(p, errno);
	}
	/* no half file where the task expects a whole one */
	if (p->err != NULL && p->made)
		unlink(p->full);
	send_done(w, p->id, p->err != NULL, p->err != NULL ? p->err : "",
	    NULL, 0, 0);
	free(p->path);
	free(p->full);
	free(p->err);
	*p = w->puts[--w->nputs];
}

static void
on_run(struct worker *w, const struct wire_msg *m)
{
	struct job *j;
	struct task *t;
	char err[256];
	size_t i;

	if ((t = task_unpack(m->data, m->len)) == NULL)
		bad_message(w, "RUN %lu: not a task", (unsigned long)m->id);
	j = xmalloc(sizeof(*j));
	memset(j, 0, sizeof(*j));
	j->w = w;
	j->id = m->id;
	j->t = t;
	pthread_mutex_lock(&w->state);
	for (i = 0; i < w->nruns; i++)
		if (w->runs[i]->id == m->id)
			break;
	if (i < w->nruns) {
		pthread_mutex_unlock(&w->state);
		task_free(t);
		free(j);
		bad_message(w, "RUN %lu: the id is in use",
		    (unsigned long)m->id);
	}
	if (w->nruns == w->runcap) {
		w->runcap = w->runcap == 0 ? 16 : w->runcap * 2;
		w->runs = xrealloc(w->runs, w->runcap * sizeof(*w->runs));
	}
	w->runs[w->nruns++] = j;
	/* killed while its input was still on the way */
	for (i = 0; i < w->nkilled; i++)
		if (w->killed[i] == m->id)
			task_kill(t);
	pthread_mutex_unlock(&w->state);
	if (start(w, run_task, j) == 0)
		return;
	snprintf(err, sizeof(err), "cannot start a thread: %s",
	    strerror(errno));
	forget_run(j);
	task_free(t);
	free(j);
	send_done(w, m->id, 126, err, NULL, 0, 0);
}

static void
on_kill(struct worker *w, const struct wire_msg *m)
{
	size_t i;

	if (m->len != 0)
		bad_message(w, "KILL %lu: a payload", (unsigned long)m->id);
	/*
	 * A task that is not in the table may have ended, or not have
	 * started: its RUN can still come, after a PUT of its input.
	 */
	pthread_mutex_lock(&w->state);
	for (i = 0; i < w->nruns; i++)
		if (w->runs[i]->id == m->id)
			task_kill(w->runs[i]->t);
	if (w->nkilled == w->killcap) {
		w->killcap = w->killcap == 0 ? 16 : w->killcap * 2;
		w->killed = xrealloc(w->killed, w->killcap *
		    sizeof(*w->killed));
	}
	w->killed[w->nkilled++] = m->id;
	pthread_mutex_unlock(&w->state);
}

/* Starts a thread that answers the CAT or LIST m with fn. */
static void
on_path(struct worker *w, const struct wire_msg *m, void *(*fn)(void *))
{
	const char *path;
	struct job *j;
	char *err;

	if ((path = payload_str(m)) == NULL)
		bad_message(w, "%s %lu: no path", m->type == WIRE_CAT ?
		    "CAT" : "LIST", (unsigned long)m->id);
	j = xmalloc(sizeof(*j));
	memset(j, 0, sizeof(*j));
	j->w = w;
	j->id = m->id;
	j->path = xstrdup(path);
	j->full = full_path(w, path);
	if (start(w, fn, j) == 0)
		return;
	err = strf("%s: cannot start a thread: %s", path, strerror(errno));
	free(j->path);
	free(j->full);
	free(j);
	send_done(w, m->id, 1, err, NULL, 0, 0);
	free(err);
}

static void
on_stat(struct worker *w, const struct wire_msg *m)
{
	const char *path;
	struct stat st;
	char *full, *text;

	if ((path = payload_str(m)) == NULL)
		bad_message(w, "STAT %lu: no path", (unsigned long)m->id);
	full = full_path(w, path);
	if (stat(full, &st) < 0) {
		text = strf("%s: %s", path, strerror(errno));
		send_done(w, m->id, 1, text, NULL, 0, 0);
	} else if (!S_ISREG(st.st_mode)) {
		text = strf("%s: not a regular file", path);
		send_done(w, m->id, 1, text, NULL, 0, 0);
	} else {
		text = strf("%lld", (long long)st.st_size);
		send_done(w, m->id, 0, text, NULL, 0, 0);
	}
	free(text);
	free(full);
}

/* Ends the worker on SIGINT, SIGTERM or SIGHUP. */
static void *
on_signal(void *arg)
{
	struct worker *w = arg;
	int sig;

	if (sigwait(&w->sigs, &sig) != 0)
		return NULL;
	quit(w, 0, sig, 0);
	return NULL;
}

/*
 * Makes dir and the directories above it that are missing, mode 0700.
 * Returns 0, or -1 with errno set.
 */
static int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0, last;

	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

/*
 * Makes the scratch directory PARENT/mrrun-XXXXXX with its "files" and
 * "logs", and goes to "files".  Returns its absolute path, allocated.
 */
static char *
make_scratch(const char *parent)
{
	char cwd[PATH_MAX], *abs, *tmpl, *sub;

	if (mkdir_p(parent) < 0)
		die("%s: %s", parent, strerror(errno));
	if (parent[0] == '/')
		abs = xstrdup(parent);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		die("the current directory: %s", strerror(errno));
	else
		abs = strf("%s/%s", cwd, parent);
	tmpl = strf("%s/mrrun-XXXXXX", strcmp(abs, "/") == 0 ? "" : abs);
	free(abs);
	if (mkdtemp(tmpl) == NULL)
		die("%s: %s", parent, strerror(errno));
	sub = strf("%s/logs", tmpl);
	if (mkdir(sub, 0700) < 0)
		die("%s: %s", sub, strerror(errno));
	free(sub);
	sub = strf("%s/files", tmpl);
	if (mkdir(sub, 0700) < 0 || chdir(sub) < 0)
		die("%s: %s", sub, strerror(errno));
	free(sub);
	return tmpl;
}

/*
 * Moves the channel off descriptors 0 and 1, close-on-exec, and puts
 * /dev/null there: no task, and no process a task leaves behind, holds
 * the ssh session open.
 */
static void
take_channel(struct worker *w)
{
	int null;

	if ((w->chan_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (w->chan_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
		die("the channel: %s", strerror(errno));
	if ((null = open("/dev/null", O_RDWR)) < 0)
		die("/dev/null: %s", strerror(errno));
	if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		die("/dev/null: %s", strerror(errno));
	if (null > STDERR_FILENO)
		close(null);
}

/*
 * Puts the directory of this mrrun first in PATH, so that the tasks run
 * the tools beside it: those of --remote-path or --ship.
 */
static void
tools_first(const char *argv0)
{
	const char *slash = strrchr(argv0, '/'), *old = getenv("PATH");
	char *path;

	if (slash == NULL)
		return;
	path = xmalloc((size_t)(slash - argv0) + strlen(old != NULL ? old :
	    "") + 2);
	sprintf(path, "%.*s:%s", (int)(slash - argv0), argv0,
	    old != NULL ? old : "");
	if (setenv("PATH", path, 1) < 0)
		die("PATH: %s", strerror(errno));
	free(path);
}

/*
 * Readies the worker w, given the parent of its scratch directory: takes
 * the channel, blocks the signals that end it for a thread to wait for,
 * makes the scratch directory and says HELLO with it and the number of
 * processors.
 */
static void
worker_start(struct worker *w, const char *parent)
{
	pthread_t sigthread;
	char hello[PATH_MAX + 64];
	long nproc;
	int n;

	memset(w, 0, sizeof(*w));
	w->chan_in = w->chan_out = -1;
	pthread_mutex_init(&w->chan, NULL);
	pthread_mutex_init(&w->state, NULL);
	pthread_cond_init(&w->idle, NULL);
	pthread_mutex_init(&w->ending, NULL);
	take_channel(w);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&w->sigs);
	sigaddset(&w->sigs, SIGINT);
	sigaddset(&w->sigs, SIGTERM);
	sigaddset(&w->sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &w->sigs, NULL);
	w->scratch = make_scratch(parent);
	if (pthread_create(&sigthread, NULL, on_signal, w) != 0)
		die("cannot start a thread");
	pthread_detach(sigthread);
	if ((nproc = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		nproc = 1;
	n = snprintf(hello, sizeof(hello), "%s%c%s%c%ld%c", MR_VERSION_STRING,
	    '\0', w->scratch, '\0', nproc, '\0');
	if (n < 0 || (size_t)n >= sizeof(hello))
		die("%s: too long a path", w->scratch);
	send_msg(w, WIRE_HELLO, 0, hello, (size_t)n, 0);
}

/*
 * Answers the controller's messages until the channel ends.  Returns the
 * worker's exit status: 0 when the controller closed the channel, 1 when
 * it broke.  A bad message ends the worker here.
 */
static int
serve(struct worker *w)
{
	struct wire_msg m;
	int rc;

	while ((rc = wire_recv(w->chan_in, &m)) == 1) {
		switch (m.type) {
		case WIRE_PUT:
			on_put(w, &m);
			break;
		case WIRE_DATA:
			on_data(w, &m);
			break;
		case WIRE_END:
			on_end(w, &m);
			break;
		case WIRE_RUN:
			on_run(w, &m);
			break;
		case WIRE_KILL:
			on_kill(w, &m);
			break;
		case WIRE_CAT:
			on_path(w, &m, cat_file);
			break;
		case WIRE_LIST:
			on_path(w, &m, list_files);
			break;
		case WIRE_STAT:
			on_stat(w, &m);
			break;
		default:
			bad_message(w, "type 0x%02x", (unsigned)m.type);
		}
		free(m.data);
	}
	if (rc < 0 && errno == EPROTO)
		bad_message(w, "a bad header or a truncated message");
	if (rc < 0) {
		warnx("reading from the controller: %s", strerror(errno));
		return 1;
	}
	return 0;
}

int
worker_main(int argc, char *argv[])
{
	struct worker w;
	const char *parent = NULL, *s;

	progname = "mrrun --worker";
	if (argc == 3 && strncmp(argv[2], "--remote-dir=", 13) == 0 &&
	    argv[2][13] != '\0')
		parent = argv[2] + 13;
	else if (argc != 2)
		usage_error(usage_text, "the worker takes --remote-dir=DIR "
		    "alone");
	if (parent == NULL)
		parent = (s = getenv("TMPDIR")) != NULL && *s != '\0' ? s :
		    "/tmp";
	tools_first(argv[0]);
	worker_start(&w, parent);
	/* quit() exits: w lives as long as the threads that point to it */
	quit(&w, serve(&w), 0, 0);
	return 0;
}
