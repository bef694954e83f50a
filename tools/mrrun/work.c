/*
 * work.c: the work directory of an mrrun job and its manifest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "task.h"
#include "work.h"

/*
 * The lock of the work directory: a write lock on byte 0 of its file
 * "lock", held until the process ends.  Byte 1 is its tasks': each mr
 * tool of a task holds a shared lock on it while it lives (see
 * task_lifeline()), and a new run takes it for a moment before it starts
 * work, so that it waits for the last task of a run that died before it.
 * fcntl() locks go with each process, however it ends.
 */
static int lockfd = -1;

/* Sets fl to cover byte byte of the lock file, with type. */
static void
lock_byte(struct flock *fl, int type, off_t byte)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = (short)type;
	fl->l_whence = SEEK_SET;
	fl->l_start = byte;
	fl->l_len = 1;
}

/*
 * Waits until no task of an earlier run in the work directory lives, with
 * a message when one does.  SIGINT, SIGTERM and SIGHUP, which the caller
 * blocks, end mrrun meanwhile, as nothing is done yet.
 */
static void
wait_tasks(const char *path, const char *what)
{
	struct flock fl, who;
	sigset_t stop, old;

	lock_byte(&fl, F_WRLCK, 1);
	if (fcntl(lockfd, F_SETLK, &fl) < 0) {
		if (errno != EACCES && errno != EAGAIN)
			die("%s: lock: %s", path, strerror(errno));
		who = fl;
		if (fcntl(lockfd, F_GETLK, &who) == 0 &&
		    who.l_type != F_UNLCK)
			warnx("%s: waiting for the tasks of an earlier run to "
			    "end (pid %ld is one)", what, (long)who.l_pid);
		else
			warnx("%s: waiting for the tasks of an earlier run to "
			    "end", what);
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGHUP);
		pthread_sigmask(SIG_UNBLOCK, &stop, &old);
		while (fcntl(lockfd, F_SETLKW, &fl) < 0)
			if (errno != EINTR)
				die("%s: lock: %s", path, strerror(errno));
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	lock_byte(&fl, F_UNLCK, 1);
	if (fcntl(lockfd, F_SETLK, &fl) < 0)
		die("%s: lock: %s", path, strerror(errno));
}

void
work_lock(const char *dir, const char *what)
{
	struct flock fl;
	struct stat st;
	char path[4096], cwd[4096], *abs;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	/*
	 * Its name can be guessed: take only a real directory of ours that
	 * nobody else can write, never a link someone put there.
	 */
	if (lstat(dir, &st) < 0)
		die("%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)
		die("%s: not a work directory of mrrun (a directory of mode "
		    "0700 that this user owns); remove it", dir);
	snprintf(path, sizeof(path), "%s/lock", dir);
	if ((lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0)
		die("%s: %s", path, strerror(errno));
	lock_byte(&fl, F_WRLCK, 0);
	if (fcntl(lockfd, F_SETLK, &fl) < 0) {
		if (errno != EACCES && errno != EAGAIN)
			die("%s: lock: %s", path, strerror(errno));
		if (fcntl(lockfd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			die("%s: another mrrun (pid %ld) is running this job; "
			    "its work directory is %s", what, (long)fl.l_pid,
			    dir);
		die("%s: another mrrun is running this job; its work "
		    "directory is %s", what, dir);
	}
	wait_tasks(path, what);
	/* a task may run in another directory (--file) */
	if (path[0] == '/')
		abs = xstrdup(path);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		abs = join_path(cwd, path);
	else
		die("cannot name the current directory: %s", strerror(errno));
	task_lifeline(abs);
	free(abs);
}

/* A name being removed, in the directory of up (NULL: the top). */
struct at {
	const struct at *up;
	const char *name;
};

/* Where rm_rf_why() puts its first failure: msg (or none) and errno. */
struct why {
	char *msg;
	size_t size;
	int err;
};

/* Appends the path of a to the string in buf. */
static void
append_path(char *buf, size_t size, const struct at *a)
{
	size_t len;

	if (a->up != NULL)
		append_path(buf, size, a->up);
	len = strlen(buf);
	snprintf(buf + len, size - len, "%s%s", a->up != NULL ? "/" : "",
	    a->name);
}

/*
 * Keeps errno and "rm: cannot remove 'PATH': REASON" for a in w, unless
 * it holds a failure already.  Returns -1.
 */
static int
cannot_remove(const struct at *a, struct why *w)
{
	size_t len;
	int e = errno;

	if (w->err != 0)
		return -1;
	w->err = e;
	if (w->msg == NULL || *w->msg != '\0')
		return -1;
	snprintf(w->msg, w->size, "rm: cannot remove '");
	append_path(w->msg, w->size, a);
	len = strlen(w->msg);
	snprintf(w->msg + len, w->size - len, "': %s", strerror(e));
	return -1;
}

/*
 * Whether an error of rm -rf for a name only says that it does not exist
 * (ENOTDIR: a file where a directory above it should be), which is fine.
 */
static int
missing(int e)
{
	return e == ENOENT || e == ENOTDIR;
}

/*
 * Removes a in the directory dfd, and for a directory everything under
 * it, never following a symbolic link: a link is removed, not what it
 * points to.  Returns 0, or -1 with the first failure in w.
 */
static int
remove_at(int dfd, const struct at *a, struct why *w)
{
	struct dirent *e;
	struct stat st;
	struct at sub;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(dfd, a->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return missing(errno) ? 0 : cannot_remove(a, w);
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, a->name, 0) < 0 && !missing(errno) ?
		    cannot_remove(a, w) : 0;
	/* O_NOFOLLOW: a link that replaced it since is no way out */
	if ((fd = openat(dfd, a->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return missing(errno) ? 0 : cannot_remove(a, w);
	if ((d = fdopendir(fd)) == NULL) {
		rc = cannot_remove(a, w);
		close(fd);
		return rc;
	}
	sub.up = a;
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0)
				rc = cannot_remove(a, w);
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub.name = e->d_name;
		if (remove_at(dirfd(d), &sub, w) < 0)
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, a->name, AT_REMOVEDIR) < 0 &&
	    !missing(errno))
		rc = cannot_remove(a, w);
	return rc;
}

int
rm_rf_why(const char *path, char *msg, size_t msgsize)
{
	struct at top = { NULL, path };
	struct why w = { msg, msgsize, 0 };

	if (remove_at(AT_FDCWD, &top, &w) == 0)
		return 0;
	errno = w.err;
	return -1;
}

int
rm_rf(const char *path)
{
	return rm_rf_why(path, NULL, 0);
}

void
work_clean(const char *dir)
{
	struct dirent *e;
	char sub[4096];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		die("%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "lock") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (rm_rf(sub) < 0)
			die("%s: %s", sub, strerror(errno));
	}
	closedir(d);
}

int
file_sum(const char *path, uint32_t *crc, uint64_t *bytes)
{
	static const size_t size = 1 << 20;
	unsigned char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	buf = xmalloc(size);
	while ((n = read(fd, buf, size)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return -1;
		}
		*crc = mr_crc32c(*crc, buf, (size_t)n);
		*bytes += (uint64_t)n;
	}
	free(buf);
	close(fd);
	return 0;
}

/* The manifest kept from an earlier run, and the one being appended. */
static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;
static char *kept;
static int mfd = -1;
static char mpath[4096];

int
manifest_start(const char *dir, uint64_t identity)
{
	char first[64], *nl;
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(mpath, sizeof(mpath), "%s/manifest", dir);
	snprintf(first, sizeof(first), "mrrun manifest %016llx\n",
	    (unsigned long long)identity);
	free(kept);
	kept = NULL;
	if ((fd = open(mpath, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fstat(fd, &st) == 0 && st.st_size < (1 << 30)) {
			kept = xmalloc((size_t)st.st_size + 1);
			n = read(fd, kept, (size_t)st.st_size);
			kept[n > 0 ? n : 0] = '\0';
		}
		close(fd);
	}
	if (kept != NULL && strncmp(kept, first, strlen(first)) == 0) {
		/* a line cut short by a crash is not a commit */
		if ((nl = strrchr(kept, '\n')) != NULL)
			nl[1] = '\0';
		if ((mfd = open(mpath, O_WRONLY | O_CLOEXEC)) < 0 ||
		    ftruncate(mfd, (off_t)strlen(kept)) < 0 ||
		    lseek(mfd, 0, SEEK_END) < 0)
			die("%s: %s", mpath, strerror(errno));
		return 1;
	}
	free(kept);
	kept = NULL;
	if ((mfd = open(mpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write(mfd, first, strlen(first)) !=
	    (ssize_t)strlen(first))
		die("%s: %s", mpath, strerror(errno));
	return 0;
}

int
manifest_find(const char *task, uint64_t *records, uint32_t *crc,
    uint64_t *bytes)
{
	unsigned long long r, b;
	unsigned int c;
	size_t n = strlen(task);
	const char *p;

	if (kept == NULL)
		return 0;
	for (p = strchr(kept, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
		if (strncmp(p + 1, task, n) != 0 || p[1 + n] != ' ')
			continue;
		if (sscanf(p + 1 + n, " %llu %x %llu", &r, &c, &b) != 3)
			return 0;
		*records = r;
		*crc = c;
		*bytes = b;
		return 1;
	}
	return 0;
}

void
manifest_add(const char *task, uint64_t records, uint32_t crc,
    uint64_t bytes)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "%s %llu %08x %llu\n", task,
	    (unsigned long long)records, crc, (unsigned long long)bytes);
	pthread_mutex_lock(&mlock);
	if (write(mfd, line, (size_t)n) != n || fsync(mfd) < 0)
		die("%s: %s", mpath, strerror(errno));
	pthread_mutex_unlock(&mlock);
}

ssize_t
file_tail(const char *path, char *buf, size_t size)
{
	ssize_t n = 0;
	off_t end;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && lseek(fd, end > (off_t)size - 1 ? end - (off_t)size + 1 :
	    0, SEEK_SET) >= 0)
		n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}
