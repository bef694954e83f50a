/*
 * hosts.c: the controller's side of mrrun over ssh.  One ssh per host
 * runs the worker; its stdin and stdout carry the messages of wire.h.
 * Requests wait on one condition variable; the reader thread of each
 * host ends them (DONE), feeds their DATA to a file or forwards it to
 * another host, and ends them all with HOST_LOST when the channel
 * breaks.  The reader never waits for a request, so a worker's output
 * always drains, and a worker never waits for its input to be read by a
 * task, so the controller's writes always drain too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "hosts.h"
#include "proc.h"
#include "wire.h"
#include "work.h"

#define CONNECT_SECS	"10"	/* ssh ConnectTimeout */
#define HELLO_SECS	60	/* the most a worker may take to start, unless
				   MRRUN_START_TIMEOUT says otherwise */
#define STOP_MS		5000	/* from closing a channel to SIGKILL */
#define NAME_MAX_BYTES	255	/* the longest [user@]host[:port] */
#define SLOTS_MAX	1024	/* the most slots a host may have */

struct request {
	uint32_t id;
	struct host *h;
	int done, status;
	char *msg;		/* DONE's message, allocated */
	char *tail;		/* DONE's stderr tail, allocated */
	size_t tail_len;
	int fd;			/* CAT: the DATA goes here, or -1 */
	struct host *fwd;	/* CAT: or to this host's PUT fwd_id */
	uint32_t fwd_id;
	int failed_io;		/* the DATA could not be written */
	struct request *next;
};

/*
 * The requests of every host, and what hosts_start() was given: shared by
 * the callers of the host_*() functions and the hosts' reader threads.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ended = PTHREAD_COND_INITIALIZER;
static uint32_t last_id;
static int closing;		/* hosts_stop() runs: no host is "lost" */
static void (*on_lost)(struct host *, void *);
static void *on_lost_arg;

static const char *const tool_names[] = { "mrrun", "mrsplit", "mrmap",
    "mrpartition", "mrsort", "mrmerge", "mrreduce", "mrjoin" };

/* Whether c may be in the host part of a name: [user@]host[:port]. */
static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-._:[]%",
	    c) != NULL);
}

/* Whether c may be in the user part of a name. */
static int
user_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("-._", c) != NULL);
}

/*
 * Checks that name is a plain [user@]host[:port]: at most NAME_MAX_BYTES
 * bytes, a user and a host of the characters above that start with no
 * "-", and a port from 1 to 65535 (a host with more than one ":" is an
 * IPv6 address, with no port).  Returns 0, or -1 with why in err.
 */
static int
check_name(const char *name, char *err, size_t errsize)
{
	const char *host = name, *at = strchr(name, '@'), *p, *colon;
	long port;

	if (*name == '\0') {
		snprintf(err, errsize, "an empty host name");
		return -1;
	}
	if (strlen(name) > NAME_MAX_BYTES) {
		snprintf(err, errsize, "%s: a host name of %zu bytes, over %d",
		    shown((const unsigned char *)name, strlen(name), 0),
		    strlen(name), NAME_MAX_BYTES);
		return -1;
	}
	if (at != NULL) {
		for (p = name; p < at && user_char((unsigned char)*p); p++)
			;
		if (at == name || *name == '-' || p < at)
			goto bad;
		host = at + 1;
	}
	for (p = host; host_char((unsigned char)*p); p++)
		;
	if (*host == '\0' || *host == '-' || *host == ':' || *p != '\0')
		goto bad;
	colon = strchr(host, ':');
	if (colon == NULL || strchr(colon + 1, ':') != NULL)
		return 0;
	port = 0;
	for (p = colon + 1; *p >= '0' && *p <= '9' && port <= 65535; p++)
		port = port * 10 + (*p - '0');
	if (p == colon + 1 || *p != '\0' || port < 1 || port > 65535) {
		snprintf(err, errsize, "%s: bad port (1 to 65535)",
		    shown((const unsigned char *)name, strlen(name), 0));
		return -1;
	}
	return 0;
bad:
	snprintf(err, errsize, "%s: not a host name ([user@]host[:port])",
	    shown((const unsigned char *)name, strlen(name), 0));
	return -1;
}

/* Adds the host of one entry to *hs; -1 with err when it is bad. */
static int
add_host(struct host **hs, int *n, const char *name, int slots, char *err,
    size_t errsize)
{
	struct host *h;
	char *colon;
	int i;

	if (check_name(name, err, errsize) < 0)
		return -1;
	for (i = 0; i < *n; i++)
		if (strcmp((*hs)[i].name, name) == 0) {
			snprintf(err, errsize, "%s: named twice",
			    shown((const unsigned char *)name, strlen(name),
			    0));
			return -1;
		}
	*hs = xrealloc(*hs, (size_t)(*n + 1) * sizeof(**hs));
	h = &(*hs)[*n];
	memset(h, 0, sizeof(*h));
	h->index = (*n)++;
	h->name = xstrdup(name);
	h->dest = xstrdup(name);
	h->slots = slots;
	h->to = h->from = -1;
	/* host:port, but not an IPv6 address without brackets */
	colon = strrchr(h->dest, ':');
	if (colon != NULL && strchr(h->dest, ':') == colon) {
		h->port = xstrdup(colon + 1);
		*colon = '\0';
	}
	pthread_mutex_init(&h->wlock, NULL);
	return 0;
}

/*
 * Adds the host of one line of a hosts file, of len bytes:
 * "[user@]host[:port] [slots]", a comment after "#".  Returns 0, or -1
 * with why in err.
 */
static int
add_line(struct host **hs, int *n, char *line, size_t len, char *err,
    size_t errsize)
{
	char *name, *slots, *extra, *end, *save;
	long v = 0;

	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errsize, "a NUL byte");
		return -1;
	}
	line[strcspn(line, "#\n")] = '\0';
	if ((name = strtok_r(line, " \t\r", &save)) == NULL)
		return 0;
	slots = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if (extra != NULL) {
		snprintf(err, errsize, "expected \"[user@]host[:port] "
		    "[slots]\"");
		return -1;
	}
	if (slots != NULL) {
		errno = 0;
		v = strtol(slots, &end, 10);
		if (errno != 0 || *end != '\0' || *slots < '0' ||
		    *slots > '9' || v < 1 || v > SLOTS_MAX) {
			snprintf(err, errsize, "%s: bad slots (1 to %d)",
			    shown((const unsigned char *)slots,
			    strlen(slots), 0), SLOTS_MAX);
			return -1;
		}
	}
	return add_host(hs, n, name, (int)v, err, errsize);
}

/* Adds the hosts of the file path, open as fp; -1 with err if bad. */
static int
parse_file(struct host **hs, int *n, const char *path, FILE *fp,
    char *err, size_t errsize)
{
	char *line = NULL, why[512];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;

	/* a line of any length is one line: its tail is no host */
	while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if ((rc = add_line(hs, n, line, (size_t)len, why,
		    sizeof(why))) < 0)
			snprintf(err, errsize, "%s, line %ld: %s", path,
			    lineno, why);
	}
	/* getline() fails short of the end without an error flag too */
	if (rc == 0 && (ferror(fp) || !feof(fp))) {
		snprintf(err, errsize, "%s, line %ld: %s", path, lineno + 1,
		    strerror(errno));
		rc = -1;
	}
	free(line);
	return rc;
}

/* Frees the n hosts hs that hosts_parse() made. */
static void
free_hosts(struct host *hs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(hs[i].name);
		free(hs[i].dest);
		free(hs[i].port);
		pthread_mutex_destroy(&hs[i].wlock);
	}
	free(hs);
}

/* Adds the hosts of a comma-separated list; -1 with err if bad. */
static int
parse_list(struct host **hs, int *n, const char *arg, char *err,
    size_t errsize)
{
	char *list = xstrdup(arg), *name, *next;
	int rc = 0;

	/* not strtok: an empty name between commas is an error */
	for (name = list; rc == 0 && name != NULL; name = next) {
		if ((next = strchr(name, ',')) != NULL)
			*next++ = '\0';
		rc = add_host(hs, n, name, 0, err, errsize);
	}
	free(list);
	return rc;
}

struct host *
hosts_parse(const char *arg, int *n, char *err, size_t errsize)
{
	struct host *hs = NULL;
	struct stat st;
	FILE *fp;
	int rc;

	*n = 0;
	if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if ((fp = fopen(arg, "r")) == NULL) {
			snprintf(err, errsize, "%s: %s", arg,
			    strerror(errno));
			return NULL;
		}
		rc = parse_file(&hs, n, arg, fp, err, errsize);
		fclose(fp);
	} else if (strchr(arg, '/') != NULL) {
		snprintf(err, errsize, "%s: %s", arg,
		    strerror(stat(arg, &st) == 0 ? EISDIR : errno));
		return NULL;
	} else
		rc = parse_list(&hs, n, arg, err, errsize);
	if (rc == 0 && *n == 0) {
		snprintf(err, errsize, "%s: no host", arg);
		rc = -1;
	}
	if (rc < 0) {
		free_hosts(hs, *n);
		*n = 0;
		return NULL;
	}
	return hs;
}

/* Appends s, quoted for the shell, and a space, to *buf. */
static void
word(char **buf, size_t *len, const char *s)
{
	shell_quote(buf, len, s);
	*buf = xrealloc(*buf, *len + 2);
	(*buf)[(*len)++] = ' ';
	(*buf)[*len] = '\0';
}

void
shell_text(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* The remote directory that --ship and the default scratch live in. */
static void
remote_base(char **buf, size_t *len, const struct reach *r)
{
	if (r->remote_dir != NULL)
		shell_quote(buf, len, r->remote_dir);
	else
		shell_text(buf, len, "\"${TMPDIR:-/tmp}\"");
}

/* The shell command that starts the worker on a host, allocated. */
static char *
worker_command(const struct reach *r)
{
	char *buf = NULL, *p;
	size_t len = 0;

	if (r->ship) {
		shell_text(&buf, &len, "d=");
		remote_base(&buf, &len, r);
		shell_text(&buf, &len, "/mr-tools-$(id -u) && test -d \"$d\" && "
		    "test -O \"$d\" && test ! -h \"$d\" || exit 127; exec "
		    "\"$d\"/mrrun");
	} else if (r->remote_path != NULL) {
		shell_text(&buf, &len, "exec ");
		p = xmalloc(strlen(r->remote_path) + 8);
		sprintf(p, "%s/mrrun", r->remote_path);
		shell_quote(&buf, &len, p);
		free(p);
	} else
		shell_text(&buf, &len, "exec mrrun");
	shell_text(&buf, &len, " --worker");
	if (r->remote_dir != NULL) {
		shell_text(&buf, &len, " ");
		p = xmalloc(strlen(r->remote_dir) + 16);
		sprintf(p, "--remote-dir=%s", r->remote_dir);
		shell_quote(&buf, &len, p);
		free(p);
	}
	return buf;
}

/*
 * The shell command that unpacks a tar of the tools for --ship.  Hosts
 * that share the directory may ship at once: a copy of this version that
 * is already there stays, and the worker's own version check decides.
 */
static char *
ship_command(const struct reach *r)
{
	char *buf = NULL;
	size_t len = 0;

	shell_text(&buf, &len, "umask 077 && d=");
	remote_base(&buf, &len, r);
	shell_text(&buf, &len, "/mr-tools-$(id -u) && n=\"$d.new.$$\" && "
	    "mkdir -p \"$n\" && (cd \"$n\" && exec tar xf -) || exit 1; "
	    "if test \"$(\"$d\"/mrrun --version 2>/dev/null)\" != ");
	shell_quote(&buf, &len, "mrrun (mr) " MR_VERSION_STRING);
	shell_text(&buf, &len, "; then rm -rf \"$d\"; mv \"$n\" \"$d\"; fi; "
	    "rm -rf \"$n\"; test -x \"$d/mrrun\"");
	return buf;
}

/* The argument vector that runs the shell command remote on h. */
static char **
ssh_argv(const struct host *h, const struct reach *r, const char *remote)
{
	char **v = xmalloc((size_t)(2 * r->noptions + 32) * sizeof(*v));
	char *cmd;
	int n = 0, i;

	if (r->rsh != NULL) {
		cmd = xmalloc(strlen(r->rsh) + 8);
		sprintf(cmd, "%s \"$@\"", r->rsh);
		v[n++] = xstrdup("sh");
		v[n++] = xstrdup("-c");
		v[n++] = cmd;
		v[n++] = xstrdup("sh");
		v[n++] = xstrdup(h->name);
		v[n++] = xstrdup(remote);
		v[n] = NULL;
		return v;
	}
	v[n++] = xstrdup("ssh");
	if (r->config != NULL) {
		v[n++] = xstrdup("-F");
		v[n++] = xstrdup(r->config);
	}
	/* ssh takes the first value of an option: the user's win */
	for (i = 0; i < r->noptions; i++) {
		v[n++] = xstrdup("-o");
		v[n++] = xstrdup(r->options[i]);
	}
	v[n++] = xstrdup("-oBatchMode=yes");
	v[n++] = xstrdup("-oConnectTimeout=" CONNECT_SECS);
	v[n++] = xstrdup("-oServerAliveInterval=5");
	v[n++] = xstrdup("-oServerAliveCountMax=3");
	if (h->ctl[0] != '\0') {
		cmd = xmalloc(strlen(h->ctl) + 16);
		sprintf(cmd, "-oControlPath=%s", h->ctl);
		v[n++] = cmd;
		v[n++] = xstrdup("-oControlMaster=auto");
		v[n++] = xstrdup("-oControlPersist=no");
	}
	v[n++] = xstrdup("-x");
	v[n++] = xstrdup("-a");
	v[n++] = xstrdup("-T");
	if (h->port != NULL) {
		v[n++] = xstrdup("-p");
		v[n++] = xstrdup(h->port);
	}
	v[n++] = xstrdup("--");
	v[n++] = xstrdup(h->dest);
	v[n++] = xstrdup(remote);
	v[n] = NULL;
	return v;
}

static void
free_argv(char **v)
{
	char **p;

	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

char *
host_command(const struct host *h, const struct reach *r, const char *remote)
{
	struct host copy = *h;
	char **v, **p, *buf = NULL;
	size_t len = 0;

	copy.ctl[0] = '\0';
	v = ssh_argv(&copy, r, remote);
	for (p = v; *p != NULL; p++)
		word(&buf, &len, *p);
	free_argv(v);
	return buf;
}

pid_t
hosts_spawn(char **argv, int in, int out, int err)
{
	struct child ch;

	child_init(&ch);
	ch.argv = argv;
	ch.fd[0] = in;
	ch.fd[1] = out;
	ch.fd[2] = err;
	/* its own group (child_init()): a ^C at the terminal is mrrun's */
	return child_start(&ch) == 0 ? ch.pid : -1;
}

int
hosts_reap(pid_t pid, int ms)
{
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	int status, waited = 0;

	for (;;) {
		pid_t w = waitpid(pid, &status, ms < 0 ? 0 : WNOHANG);

		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w == 0 && waited >= ms) {
			/* its group: a launcher's children too */
			kill(-pid, waited >= ms + 1000 ? SIGKILL : SIGTERM);
			if (waited >= ms + 2000)
				ms = -1;
		}
		nanosleep(&tick, NULL);
		waited += 20;
	}
}

/* The last line that the file path holds, in buf. */
static void
last_line(const char *path, char *buf, size_t size)
{
	char data[2048], *p;
	ssize_t n;

	buf[0] = '\0';
	if ((n = file_tail(path, data, sizeof(data))) <= 0)
		return;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		data[--n] = '\0';
	p = strrchr(data, '\n');
	p = p != NULL ? p + 1 : data;
	if (strlen(p) >= size)
		p[size - 1] = '\0';
	memcpy(buf, p, strlen(p) + 1);
}

/* Where ssh's own messages about host h go. */
static void
err_path(const struct host *h, const struct reach *r, char *buf,
    size_t size)
{
	snprintf(buf, size, "%s/h%d.err", r->ctldir, h->index);
}

/*
 * Runs the remote command on h with stdin from in; returns its wait
 * status, or -1 when ssh cannot be started.
 */
static int
run_remote(struct host *h, const struct reach *r, const char *remote,
    int in)
{
	char path[512], **argv = ssh_argv(h, r, remote);
	pid_t pid;
	int err;

	err_path(h, r, path, sizeof(path));
	if ((err = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0) {
		free_argv(argv);
		return -1;
	}
	pid = hosts_spawn(argv, in, -1, err);
	close(err);
	free_argv(argv);
	return pid < 0 ? -1 : hosts_reap(pid, -1);
}

/* Copies this machine's tools to h for --ship.  0, or -1. */
static int
ship(struct host *h, const struct reach *r)
{
	char **tar, *cmd;
	int fd[2], status, n = 0;
	size_t i;
	pid_t pid;

	if (child_pipe(fd) < 0)
		return -1;
	/* not tar -C: GNU tar would unquote a backslash in the name */
	tar = xmalloc(16 * sizeof(*tar));
	tar[n++] = xstrdup("sh");
	tar[n++] = xstrdup("-c");
	tar[n++] = xstrdup("cd \"$0\" && exec tar cf - \"$@\"");
	tar[n++] = xstrdup(r->tools);
	for (i = 0; i < sizeof(tool_names) / sizeof(tool_names[0]); i++)
		tar[n++] = xstrdup(tool_names[i]);
	tar[n] = NULL;
	pid = hosts_spawn(tar, -1, fd[1], STDERR_FILENO);
	free_argv(tar);
	close(fd[1]);
	cmd = ship_command(r);
	status = run_remote(h, r, cmd, fd[0]);
	free(cmd);
	close(fd[0]);
	if (pid < 0 || hosts_reap(pid, -1) != 0)
		return -1;
	return status == 0 ? 0 : -1;
}

/* Frees a request, which no reader can reach any more. */
static void
request_free(struct request *q)
{
	free(q->msg);
	free(q->tail);
	free(q);
}

uint32_t
host_id(void)
{
	uint32_t id;

	pthread_mutex_lock(&lock);
	id = ++last_id;
	pthread_mutex_unlock(&lock);
	return id;
}

/* Makes request id on h and links it where its reader finds it. */
static struct request *
request_with(struct host *h, uint32_t id)
{
	struct request *q = xmalloc(sizeof(*q));

	memset(q, 0, sizeof(*q));
	q->h = h;
	q->fd = -1;
	q->id = id;
	pthread_mutex_lock(&lock);
	if (!h->up) {
		q->done = 1;
		q->status = HOST_LOST;
	} else {
		q->next = h->pending;
		h->pending = q;
	}
	pthread_mutex_unlock(&lock);
	return q;
}

static struct request *
request_new(struct host *h)
{
	return request_with(h, host_id());
}

/* Sends one message to h; a failure leaves it to h's reader. */
static int
send_msg(struct host *h, int type, uint32_t id, const void *data,
    size_t len)
{
	int rc;

	pthread_mutex_lock(&h->wlock);
	rc = wire_send(h->to, type, id, data, len);
	pthread_mutex_unlock(&h->wlock);
	return rc;
}

/* Waits for q's DONE and returns its status. */
static int
request_wait(struct request *q)
{
	int status;

	pthread_mutex_lock(&lock);
	while (!q->done)
		pthread_cond_wait(&ended, &lock);
	status = q->status;
	pthread_mutex_unlock(&lock);
	return status;
}

/* Takes q off its host's list, when its reader has not. */
static void
request_unlink(struct request *q)
{
	struct request **pp;

	for (pp = &q->h->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
}

/* Sends a request of type with a string payload, and waits for it. */
static struct request *
request_string(struct host *h, int type, const char *s, int fd)
{
	struct request *q = request_new(h);

	q->fd = fd;
	if (!q->done && send_msg(h, type, q->id, s, strlen(s) + 1) < 0)
		(void)0;	/* the reader sees the broken channel */
	request_wait(q);
	return q;
}

/* The status of a finished request q, its message copied to err. */
static int
request_result(struct request *q, char *err, size_t errsize)
{
	int status = q->status;

	if (status == 0 && q->failed_io) {
		status = -1;
		snprintf(err, errsize, "%s", strerror(EIO));
	} else if (status != 0 && status != HOST_LOST) {
		status = -1;
		snprintf(err, errsize, "%s", q->msg != NULL ? q->msg : "");
	} else if (status == HOST_LOST)
		snprintf(err, errsize, "host %s was lost", q->h->name);
	request_free(q);
	return status;
}

int
host_put(struct host *h, const char *path, int mode, int fd, char *err,
    size_t errsize)
{
	struct request *q = request_new(h);
	char *buf = xmalloc(WIRE_CHUNK), head[32];
	size_t hl = (size_t)snprintf(head, sizeof(head), "%o", mode) + 1;
	size_t pl = strlen(path) + 1;
	ssize_t n;
	int rc = 0;

	memcpy(buf, head, hl);
	memcpy(buf + hl, path, pl);
	if (!q->done)
		rc = send_msg(h, WIRE_PUT, q->id, buf, hl + pl);
	while (rc == 0 && !q->done) {
		if ((n = read(fd, buf, WIRE_CHUNK)) < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			q->failed_io = 1;
			break;
		}
		if (n == 0)
			break;
		rc = send_msg(h, WIRE_DATA, q->id, buf, (size_t)n);
	}
	free(buf);
	send_msg(h, WIRE_END, q->id, NULL, 0);
	request_wait(q);
	return request_result(q, err, errsize);
}

int
host_cat(struct host *h, const char *path, int fd, char *err,
    size_t errsize)
{
	return request_result(request_string(h, WIRE_CAT, path, fd), err,
	    errsize);
}

int
host_list(struct host *h, const char *path, int fd, char *err,
    size_t errsize)
{
	return request_result(request_string(h, WIRE_LIST, path, fd), err,
	    errsize);
}

int
host_stat(struct host *h, const char *path, uint64_t *size, char *err,
    size_t errsize)
{
	struct request *q = request_string(h, WIRE_STAT, path, -1);

	if (q->status == 0)
		*size = strtoull(q->msg, NULL, 10);
	return request_result(q, err, errsize);
}

int
host_relay(struct host *src, const char *srcpath, struct host *dst,
    const char *dstpath, char *err, size_t errsize)
{
	struct request *put = request_new(dst), *cat;
	char *buf = xmalloc(strlen(dstpath) + 8);
	int rc, prc;

	sprintf(buf, "600");
	memcpy(buf + 4, dstpath, strlen(dstpath) + 1);
	if (!put->done)
		send_msg(dst, WIRE_PUT, put->id, buf, strlen(dstpath) + 5);
	free(buf);
	cat = request_new(src);
	cat->fwd = dst;
	cat->fwd_id = put->id;
	if (!cat->done)
		send_msg(src, WIRE_CAT, cat->id, srcpath, strlen(srcpath) + 1);
	rc = request_wait(cat);
	send_msg(dst, WIRE_END, put->id, NULL, 0);
	prc = request_wait(put);
	if (rc == HOST_LOST || prc == HOST_LOST) {
		request_free(put);
		snprintf(err, errsize, "host %s was lost", rc == HOST_LOST ?
		    src->name : dst->name);
		request_free(cat);
		return HOST_LOST;
	}
	if ((rc = request_result(cat, err, errsize)) != 0) {
		request_free(put);
		return rc;
	}
	return request_result(put, err, errsize);
}

int
host_run(struct host *h, const struct task *t, uint32_t id, char *msg,
    size_t msgsize, int errfd)
{
	struct request *q = request_with(h, id);
	size_t len;
	char *packed;
	int status;

	packed = task_pack(t, &len);
	if (!q->done)
		send_msg(h, WIRE_RUN, q->id, packed, len);
	free(packed);
	status = request_wait(q);
	(void)write_all(errfd, q->tail, q->tail_len);
	if (status == HOST_LOST)
		snprintf(msg, msgsize, "host %s was lost", h->name);
	else
		snprintf(msg, msgsize, "%s", q->msg != NULL ? q->msg : "");
	request_free(q);
	return status;
}

void
host_kill(struct host *h, uint32_t id)
{
	pthread_mutex_lock(&lock);
	if (!h->up) {
		pthread_mutex_unlock(&lock);
		return;
	}
	pthread_mutex_unlock(&lock);
	send_msg(h, WIRE_KILL, id, NULL, 0);
}

/* The time ms milliseconds from now, for pthread_cond_timedwait(). */
static struct timespec
after_ms(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

int
host_alive(struct host *h, int grace_ms)
{
	struct timespec until = after_ms(grace_ms);
	struct request *q;
	int lost;

	pthread_mutex_lock(&lock);
	while (grace_ms > 0 && h->up && !closing &&
	    pthread_cond_timedwait(&ended, &lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&lock);
	q = request_string(h, WIRE_STAT, ".", -1);
	lost = q->status == HOST_LOST;
	request_free(q);
	return !lost;
}

/* The request of h numbered id, under lock; NULL when there is none. */
static struct request *
find(struct host *h, uint32_t id)
{
	struct request *q;

	for (q = h->pending; q != NULL; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

/* Gives q's DATA m to its file or to the host it is relayed to. */
static void
deliver(struct request *q, const struct wire_msg *m)
{
	if (q->failed_io)
		return;
	if (q->fwd != NULL) {
		if (send_msg(q->fwd, WIRE_DATA, q->fwd_id, m->data,
		    m->len) < 0)
			q->failed_io = 1;
		return;
	}
	if (write_all(q->fd, m->data, m->len) < 0)
		q->failed_io = 1;
}

/* Ends q with the DONE message m. */
static void
finish(struct request *q, const struct wire_msg *m)
{
	const char *msg, *tail;
	size_t tail_len;
	int status;

	if (wire_parse_done(m, &status, &msg, &tail, &tail_len) < 0) {
		status = 1;
		msg = "a bad answer from the worker";
		tail_len = 0;
	}
	q->status = status;
	q->msg = xstrdup(msg);
	if (tail_len > 0) {
		q->tail = xmalloc(tail_len);
		memcpy(q->tail, tail, tail_len);
		q->tail_len = tail_len;
	}
}

/* Reads h's messages until its channel ends; then h is lost. */
static void *
reader(void *arg)
{
	struct host *h = arg;
	struct request *q;
	struct wire_msg m;
	int was_closing;

	while (wire_recv(h->from, &m) == 1) {
		pthread_mutex_lock(&lock);
		q = find(h, m.id);
		pthread_mutex_unlock(&lock);
		if (q != NULL && m.type == WIRE_DATA)
			deliver(q, &m);
		else if (q != NULL && m.type == WIRE_DONE) {
			pthread_mutex_lock(&lock);
			finish(q, &m);
			request_unlink(q);
			q->done = 1;
			pthread_cond_broadcast(&ended);
			pthread_mutex_unlock(&lock);
		}
		free(m.data);
	}
	pthread_mutex_lock(&lock);
	h->up = 0;
	while ((q = h->pending) != NULL) {
		h->pending = q->next;
		q->status = HOST_LOST;
		q->done = 1;
	}
	was_closing = closing;
	/* hosts_stop() waits for lost(), so that its message is out */
	h->losing = !was_closing && on_lost != NULL;
	pthread_cond_broadcast(&ended);
	pthread_mutex_unlock(&lock);
	if (!h->losing)
		return NULL;
	on_lost(h, on_lost_arg);
	pthread_mutex_lock(&lock);
	h->losing = 0;
	pthread_cond_broadcast(&ended);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* The seconds a worker may take to say HELLO. */
static int
start_secs(void)
{
	const char *s = getenv("MRRUN_START_TIMEOUT");
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return HELLO_SECS;
	n = strtol(s, &end, 10);
	return *end == '\0' && n > 0 && n <= 86400 ? (int)n : HELLO_SECS;
}

/*
 * Starts the worker on h and reads its HELLO.  Returns 0; 1 when it is
 * missing there or of another version (a message in why); -1 when the
 * host cannot be reached.
 */
static int
start_worker(struct host *h, const struct reach *r, char *why,
    size_t whysize)
{
	char path[512], *cmd, **argv, *scratch, *nproc;
	struct pollfd pfd;
	struct wire_msg m;
	int in[2], out[2], err, rc, status, timed_out = 0;

	err_path(h, r, path, sizeof(path));
	if (child_pipe(in) < 0 || child_pipe(out) < 0 ||
	    (err = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0)
		die("cannot start ssh: %s", strerror(errno));
	cmd = worker_command(r);
	argv = ssh_argv(h, r, cmd);
	free(cmd);
	h->pid = hosts_spawn(argv, in[0], out[1], err);
	free_argv(argv);
	close(in[0]);
	close(out[1]);
	close(err);
	if (h->pid < 0)
		die("cannot run %s: %s", r->rsh != NULL ? "sh" : "ssh",
		    strerror(errno));
	h->to = in[1];
	h->from = out[0];
	/* a login that hangs must not hang the job */
	pfd.fd = h->from;
	pfd.events = POLLIN;
	while ((rc = poll(&pfd, 1, start_secs() * 1000)) < 0 &&
	    errno == EINTR)
		;
	if (rc == 0) {
		snprintf(why, whysize, "no answer in %d s", start_secs());
		timed_out = 1;
		rc = -1;
	} else
		rc = wire_recv(h->from, &m);
	if (rc == 1 && m.type == WIRE_HELLO) {
		scratch = memchr(m.data, '\0', m.len);
		nproc = scratch != NULL ? memchr(scratch + 1, '\0',
		    m.len - (size_t)(scratch + 1 - m.data)) : NULL;
		if (strcmp(m.data, MR_VERSION_STRING) != 0 || nproc == NULL) {
			snprintf(why, whysize, "its mrrun is version %.40s, "
			    "not %s", m.data, MR_VERSION_STRING);
			free(m.data);
			rc = 1;
			goto fail;
		}
		h->scratch = xstrdup(scratch + 1);
		h->nproc = atoi(nproc + 1);
		if (h->nproc < 1)
			h->nproc = 1;
		free(m.data);
		return 0;
	}
	if (rc == 1)
		free(m.data);
	rc = -1;
fail:
	close(h->to);
	close(h->from);
	h->to = h->from = -1;
	status = hosts_reap(h->pid, rc == 1 ? 0 : 2000);
	if (rc == -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(why, whysize, "no mrrun there");
		rc = 1;
	}
	if (rc == -1 && !timed_out) {
		last_line(path, why, whysize);
		if (why[0] == '\0')
			snprintf(why, whysize, "the connection ended");
	}
	return rc;
}

struct starter {
	struct host *h;
	const struct reach *r;
	pthread_t thread;
};

/* Connects one host, shipping the tools when it may and must. */
static void *
connect_host(void *arg)
{
	struct starter *s = arg;
	struct host *h = s->h;
	char why[512];
	int rc, tries;

	rc = start_worker(h, s->r, why, sizeof(why));
	/* hosts that share the directory may ship over each other */
	for (tries = 0; rc == 1 && s->r->ship && tries < 3; tries++) {
		if (ship(h, s->r) < 0) {
			snprintf(why, sizeof(why), "cannot copy the tools "
			    "there");
			continue;
		}
		rc = start_worker(h, s->r, why, sizeof(why));
	}
	if (rc == 0) {
		h->up = 1;
		return NULL;
	}
	if (rc == 1)
		warnx("host %s: %s%s; going on without it", h->name, why,
		    s->r->ship ? "" : " (use --ship or --remote-path)");
	else
		warnx("host %s: unreachable (%s); going on without it",
		    h->name, why);
	return NULL;
}

int
hosts_start(struct host *hs, int n, const struct reach *r,
    void (*lost)(struct host *, void *), void *arg)
{
	struct starter *s = xmalloc((size_t)n * sizeof(*s));
	int i, up = 0;

	on_lost = lost;
	on_lost_arg = arg;
	for (i = 0; i < n; i++) {
		s[i].h = &hs[i];
		s[i].r = r;
		if (r->rsh == NULL)
			snprintf(hs[i].ctl, sizeof(hs[i].ctl), "%s/c%d",
			    r->ctldir, i);
		if (pthread_create(&s[i].thread, NULL, connect_host,
		    &s[i]) != 0)
			die("cannot start a thread");
	}
	for (i = 0; i < n; i++)
		pthread_join(s[i].thread, NULL);
	free(s);
	for (i = 0; i < n; i++) {
		if (!hs[i].up)
			continue;
		up++;
		if (pthread_create(&hs[i].reader, NULL, reader, &hs[i]) != 0 ||
		    pthread_detach(hs[i].reader) != 0)
			die("cannot start a thread");
	}
	return up;
}

void
hosts_stop(struct host *hs, int n)
{
	struct timespec until;
	int i;

	pthread_mutex_lock(&lock);
	if (closing) {
		pthread_mutex_unlock(&lock);
		return;
	}
	closing = 1;
	/*
	 * A host lost before is still reported: its lost() may be saying
	 * so as the job ends.  Not the one that calls this (lost() may
	 * die()), and not for ever (lost() may wait for a lock held here).
	 */
	until = after_ms(STOP_MS);
	for (;;) {
		for (i = 0; i < n; i++)
			if (hs[i].losing && !pthread_equal(hs[i].reader,
			    pthread_self()))
				break;
		if (i == n || pthread_cond_timedwait(&ended, &lock,
		    &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++)
		if (hs[i].to >= 0) {
			pthread_mutex_lock(&hs[i].wlock);
			close(hs[i].to);
			hs[i].to = -1;
			pthread_mutex_unlock(&hs[i].wlock);
		}
	for (i = 0; i < n; i++)
		if (hs[i].pid > 0) {
			hosts_reap(hs[i].pid, STOP_MS);
			hs[i].pid = 0;
		}
}
